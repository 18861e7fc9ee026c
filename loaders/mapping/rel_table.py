"""The rows of a relationship table: one relationship per row between two nodes named by key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from erm_graph import model
from erm_graph.ingest.chunk_rows import Cells, cells_at
from erm_graph.ingest.contract import LoaderResult
from erm_graph.records import Numbered

from .columns import ColumnConverter, Columns, TypedProperty, typed_columns
from .node_table import FORMAT, picked, property_columns, rejected
from .values import normaliser


class _End:
    """One end of a relationship table: the column with the key of the node there."""

    def __init__(self, side: str, spec: dict[str, Any], columns: Columns):
        self.label, self.column = spec["label"], spec["column"]
        self.index = columns.index(spec["column"])
        self.prefix = spec.get("prefix", "")
        self.norm = ColumnConverter(normaliser(spec.get("normalize", ["trim"]),
                                                spec.get("aliases")))
        self.expected = f"the key of the {side} node ({self.label})"

    def uids(self, cells: Sequence[Cells]) -> list[str | None]:
        keys, _ = self.norm.apply(cells_at(cells, self.index))
        prefix = self.prefix
        return [prefix + key if key else None for key in keys]


class RelTable:
    """A relationship table: each row is one relationship between two nodes named by key.

    Its rows make no node, so nothing carries their fingerprint and none is skipped: they go
    whole to the writer, whose change detection (a hash of each relationship's properties)
    counts the unchanged ones.
    """

    def __init__(self, doc: dict, table: dict, path: Path, names: list[str],
                 date_cells: dict[int, set[str]]):
        self.names, self.type, self.date_cells = names, table["type"], date_cells
        columns = Columns(path, table, names, "relationship table")
        self.start = _End("start", table["start"], columns)
        self.end = _End("end", table["end"], columns)
        self.key = (self.type, self.start.label, self.end.label)
        self.props = [TypedProperty(name, spec, doc, columns)
                      for name, spec in table.get("properties", {}).items()]
        self.constants: dict[str, Any] = table.get("set", {})

    def record(self, cells: Cells) -> dict[str, str]:
        return dict(zip(self.names, cells, strict=False))


def add_relationships(result: LoaderResult, table: RelTable, places: Numbered,
                      cells: Sequence[Cells]) -> None:
    """Make one relationship per row (``places`` and ``cells`` of each); a row without both
    keys, or with a property that does not convert, is rejected naming the column."""
    failed: dict[int, tuple[str, str, str]] = {}
    ends = []
    for end in (table.start, table.end):
        uids = end.uids(cells)
        for i, uid in enumerate(uids):
            if uid is None and i not in failed:
                failed[i] = (end.column, end.expected, cells[i][end.index])
        ends.append(uids)
    columns = typed_columns(table.props, cells, table.date_cells, failed)
    for i, (column, why, text) in sorted(failed.items()):
        result.rejects.append(rejected(table.type, places[i], column, why, text,
                                       table.record(cells[i])))
    made = property_columns(table.constants, columns, len(places))
    made |= {"start": ends[0], "end": ends[1],
             model.WHERE: places.prefixed(f"{FORMAT}:")}
    kept = [i for i in range(len(places)) if i not in failed]
    result.batch.relationship_records(table.key).extend_columns(
        picked(made, kept) if failed else made, len(kept))
