"""A chunk held as its columns (the columnar reader's) reads as the same rows as a list of
them (the csv module's): row by row, column by column, picked, sliced and hashed alike."""

from __future__ import annotations

from erm_graph.ingest.chunk_rows import ChunkRows, cell_hashes, cells_at, picked_rows

ROWS = [("1", "call", "Zoë"), ("2", "visit", ""), ("3", "call", "a\x1fb"), ("4", "", "Zoë")]


def by_column(rows: list[tuple[str, ...]]) -> ChunkRows:
    return ChunkRows([list(column) for column in zip(*rows, strict=True)], len(rows))


def test_a_chunk_of_columns_reads_as_its_rows():
    chunk = by_column(ROWS)
    assert len(chunk) == 4
    assert list(chunk) == ROWS
    assert [chunk[i] for i in range(4)] == ROWS
    assert chunk[-1] == ROWS[-1]
    assert list(chunk[1:3]) == ROWS[1:3] and len(chunk[1:3]) == 2
    assert list(chunk[::-2]) == ROWS[::-2]


def test_columns_picks_and_hashes_are_those_of_the_rows():
    chunk, rows = by_column(ROWS), [list(row) for row in ROWS]
    for index in range(3):
        assert cells_at(chunk, index) == cells_at(rows, index) == [r[index] for r in ROWS]
    assert cells_at(chunk, 1) is chunk.columns[1]  # handed on, not copied
    for indexes in ([3, 0, 0], [], [2]):
        assert [tuple(r) for r in picked_rows(chunk, indexes)] == [ROWS[i] for i in indexes]
        assert picked_rows(rows, indexes) == [rows[i] for i in indexes]
    # the hashes that tell a repeated record: of the tuple of the cells, of one cell alone
    for indexes in ([1, 2], [2, 1], [0], []):
        expected = [hash(tuple(r[i] for i in indexes)) if len(indexes) != 1
                    else hash(r[indexes[0]]) for r in ROWS]
        assert cell_hashes(chunk, indexes) == cell_hashes(rows, indexes) == expected
    assert cell_hashes(chunk, [1, 2])[0] != cell_hashes(chunk, [1, 2])[3]
