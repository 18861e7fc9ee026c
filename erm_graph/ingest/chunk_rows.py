"""A chunk of a table's rows, as loaders take them: each row's cells, or the chunk's columns.

The columnar reader hands a chunk on as its columns (:class:`ChunkRows`); the csv module's
reader as a list of rows. The functions here read either the same way, a column at a time
where the columns are at hand.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from operator import itemgetter
from typing import overload

#: a row's cells: a list from the csv module, a tuple from the columnar reader's
#: :class:`ChunkRows` (a list per row cost that reader as much as the rest of making the row)
Cells = Sequence[str]


class ChunkRows(Sequence[Cells]):
    """The rows of a chunk held as its columns, as the columnar reader makes them: a row is
    made (a tuple) only when it is read, and :func:`cells_at` hands on a column as it is.

    Most of what a loader does with a chunk goes column by column (keys, the hashes that
    tell a repeated record, relationship counts, typing); making a tuple per row and taking
    it apart again per column was much of what an unchanged re-import's reader spent
    (docs/loaders.md, "Speed and memory")."""

    __slots__ = ("columns", "length")

    def __init__(self, columns: list[list[str]], length: int):
        self.columns, self.length = columns, length

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Cells: ...

    @overload
    def __getitem__(self, index: slice) -> ChunkRows: ...

    def __getitem__(self, index: int | slice) -> Cells | ChunkRows:
        if isinstance(index, slice):
            return ChunkRows([c[index] for c in self.columns], len(range(self.length)[index]))
        return tuple(c[index] for c in self.columns)

    def __iter__(self) -> Iterator[Cells]:
        return zip(*self.columns, strict=True)

    def pick(self, indexes: Collection[int]) -> ChunkRows:
        """The rows at ``indexes``, in their order."""
        return ChunkRows([list(map(c.__getitem__, indexes)) for c in self.columns],
                         len(indexes))

    def __repr__(self) -> str:
        return f"ChunkRows({self.length} rows)"


def cells_at(rows: Sequence[Cells], index: int) -> list[str]:
    """Each row's cell at ``index``: for :class:`ChunkRows` the column itself (not to
    change)."""
    if isinstance(rows, ChunkRows):
        return rows.columns[index]
    return list(map(itemgetter(index), rows))


def picked_rows(rows: Sequence[Cells], indexes: Collection[int]) -> Sequence[Cells]:
    """The rows at ``indexes``, in their order: :class:`ChunkRows` stay columns."""
    if isinstance(rows, ChunkRows):
        return rows.pick(indexes)
    return [rows[i] for i in indexes]


def cell_hashes(rows: Sequence[Cells], indexes: Sequence[int]) -> list[int]:
    """Per row, the hash of its cells at ``indexes`` (of the tuple of them; of the cell
    itself for one index): the same numbers whichever way the rows are held."""
    if not indexes:
        return [hash(())] * len(rows)
    if isinstance(rows, ChunkRows):
        if len(indexes) == 1:
            return list(map(hash, rows.columns[indexes[0]]))
        return list(map(hash, zip(*map(rows.columns.__getitem__, indexes), strict=True)))
    return list(map(hash, map(itemgetter(*indexes), rows)))
