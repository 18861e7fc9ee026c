"""One file of a mapping read in chunks, as a node table or a relationship table."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from erm_graph import model
from erm_graph.errors import listed, shown
from erm_graph.ingest.chunk_rows import Cells
from erm_graph.ingest.contract import InMemoryOnly, LoadContext, LoaderResult, TableKeys
from erm_graph.ingest.tabular import in_chunks
from erm_graph.ingest.untrusted import LoadError
from erm_graph.records import Numbered

from .node_table import NodeTable, finish, key_rows, stale_rows
from .rel_table import RelTable, add_relationships

#: rows keyed, checked against the store and typed together: bounds memory on large files
CHUNK_ROWS = 20_000


def read_file(result: LoaderResult, ctx: LoadContext, doc: dict[str, Any], table: dict[str, Any],
              path: Path) -> None:
    """Read a file in chunks of CHUNK_ROWS rows into ``result``, as a node table or a
    relationship table."""
    for _ in file_chunks(lambda: result, ctx, doc, table, path, whole=True):
        pass


def file_chunks(into: Callable[[], LoaderResult], ctx: LoadContext, doc: dict[str, Any],
                table: dict[str, Any], path: Path, *, whole: bool, name: str = ""
                ) -> Iterator[LoaderResult]:
    """Read a file in chunks of CHUNK_ROWS rows, as a node table or a relationship table:
    each chunk's records go into ``into()``, which is yielded once they are in (one result
    for the whole file, or a new one per chunk for a load that writes as it reads).

    For a node table, the store's answer for one chunk (which of its rows are stale) is
    awaited while the next chunk is read and keyed: the engine's index lookups and Python's
    parsing overlap, which makes re-importing an unchanged file faster on two cores.

    Not ``whole``: a row that repeats its key's record with other relationship cells
    raises :class:`InMemoryOnly`, as its relationships may repeat those of its key's first
    row, in an earlier chunk, which only the whole file's records tell apart. Each chunk
    then carries the table's keys (:class:`TableKeys`), and a table with no key on two rows
    is named (``name``) in ``ctx.distinct_keys``: read again with that context, its rows are
    keyed without keeping their keys.
    """
    names, prefix, chunks, date_cells = _rows(ctx, table, path)
    if "label" not in table:
        relationships = RelTable(doc, table, path, names, date_cells)
        for places, cells in chunks:
            result = into()
            ctx.advance(result, len(cells))
            add_relationships(result, relationships, places, cells)
            yield result
        return
    nodes = NodeTable(doc, table, path, names, date_cells, prefix,
                      distinct=not whole and name in ctx.distinct_keys)
    key = model.label(nodes.label).key_label
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for places, cells in chunks:
            result = into()
            ctx.advance(result, len(cells))
            keyed, rejects, repeats = key_rows(nodes, places, cells)
            if not whole:
                if repeats:
                    raise InMemoryOnly(f"{path}: rows repeat a key's record with other "
                                       "relationships")
                if not nodes.distinct:
                    result.keys[key] = TableKeys(nodes.seen, keyed.uids, len(nodes.firsts[0]))
            asked = pool.submit(stale_rows, ctx, nodes, keyed)
            if pending:
                finish(*pending)
                yield pending[0]
            pending = (result, nodes, keyed, rejects, repeats, asked)
        if pending:
            finish(*pending)
            yield pending[0]
    if not whole and not nodes.repeated:
        ctx.distinct_keys.add(name)


def _rows(ctx: LoadContext, table: dict[str, Any], path: Path
          ) -> tuple[list[str], str, Iterator[tuple[Numbered, Sequence[Cells]]],
                     dict[int, set[str]]]:
    """The column names; what each row's place begins with (``file#``); the rows of a CSV
    file or a workbook sheet CHUNK_ROWS at a time, as (their places, their cells); per column
    of a workbook the texts of its date cells.

    A workbook's date or date-time cell is a ``datetime``; its text is ``str(value)``
    (``2024-03-02 10:05:00``), and a ``date``/``datetime`` property reads the texts listed
    here as ISO-8601, whatever its ``format`` says (which is the form of text cells). Each
    distinct text of a column is typed once, so a text cell with the very text of one of
    the column's date cells reads as that date too.
    """
    file = path.name
    if path.suffix.lower() != ".xlsx":
        names, csv_chunks = ctx.csv_chunks(path, CHUNK_ROWS)
        prefix = f"{file}#"
        return names, prefix, ((Numbered(prefix, lines), cells)
                               for lines, cells in csv_chunks), {}
    sheets = ctx.sheets(path)
    name = (table.get("sheet") or next(iter(sheets), "")).lower()
    if name not in sheets:
        raise LoadError(f"{path}: no sheet {shown(table.get('sheet'))}; it has "
                        f"{listed(list(sheets))}")
    found = sheets[name]
    names = list(dict.fromkeys(k for _, row in found for k in row))
    dates: dict[int, set[str]] = {}
    read: list[tuple[int, list[str]]] = []
    for number, row in found:
        cells = []
        for i, k in enumerate(names):
            value = row.get(k)
            text = "" if value is None else str(value)
            if isinstance(value, date):  # datetime too: a real date cell, not text
                dates.setdefault(i, set()).add(text)
            cells.append(text)
        read.append((number, cells))
    prefix = f"{file}#{name}!"
    return names, prefix, ((Numbered(prefix, lines), cells)
                           for lines, cells in in_chunks(read, CHUNK_ROWS)), dates
