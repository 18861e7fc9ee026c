"""`GraphBatch`: what every loader (and the demo generator) produces before anything is written.

A batch holds typed node rows per label and relationship rows per (type, start label, end
label). It is checked whole against the model, and every relationship end is resolved against
the batch or the database, before the first write: so a bad file writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.errors import Problem
from erm_graph.records import Records

RelKey = tuple[str, str, str]  # (type, start label, end label)
#: the records of one label or type: dicts, or columns (a table's, :mod:`erm_graph.records`)
Rows = list[dict[str, Any]] | Records


@dataclass
class GraphBatch:
    nodes: dict[str, Rows] = field(default_factory=lambda: defaultdict(list))
    relationships: dict[RelKey, Rows] = field(default_factory=lambda: defaultdict(list))

    def add_node(self, label: str, row: Mapping[str, Any]) -> None:
        self.nodes[label].append(dict(row))

    def add_relationship(self, rel_type: str, start_label: str, start: str, end_label: str,
                         end: str, **props: Any) -> None:
        self.relationships[(rel_type, start_label, end_label)].append(
            {"start": start, "end": end, **props})

    def node_records(self, label: str) -> Records:
        """The nodes of ``label`` as columns, to add a table's rows to."""
        return _as_records(self.nodes, label)

    def relationship_records(self, key: RelKey) -> Records:
        """The relationships of ``key`` as columns, to add a table's rows to."""
        return _as_records(self.relationships, key)

    def as_dicts(self) -> None:
        """Hold every label's and type's records as a list of dicts, each dict made once:
        for code that keeps a record by its identity (a map's revision)."""
        for label, rows in self.nodes.items():
            self.nodes[label] = list(rows)
        for key, rows in self.relationships.items():
            self.relationships[key] = list(rows)

    def extend(self, other: GraphBatch) -> None:
        """Add ``other``'s records; a table's columns are added as columns to records that
        are columns too or none yet (chunks of a large load joined: no dict per row)."""
        for label, rows in other.nodes.items():
            _add(self.nodes, label, rows)
        for key, rows in other.relationships.items():
            _add(self.relationships, key, rows)

    @property
    def node_count(self) -> int:
        return sum(len(rows) for rows in self.nodes.values())

    @property
    def relationship_count(self) -> int:
        return sum(len(rows) for rows in self.relationships.values())

    def __len__(self) -> int:
        return self.node_count + self.relationship_count

    def problems(self) -> list[Problem]:
        """Every record that does not fit the model (endpoints are checked by the writer)."""
        found: list[Problem] = []
        for label, rows in self.nodes.items():
            found += model.node_problems(label, rows)
        for (rel_type, start, end), rows in self.relationships.items():
            found += model.relationship_problems(rel_type, start, end, rows)
        return found


def _add(groups: dict[Any, Rows], key: Any, rows: Rows) -> None:
    """``rows`` added to ``groups[key]``: columns to columns, or to records not held yet."""
    found = groups.get(key)
    if isinstance(rows, Records) and (not found or isinstance(found, Records)):
        _as_records(groups, key).extend_columns(rows.columns, len(rows))
    else:
        groups[key].extend(rows)


def _as_records(groups: dict[Any, Rows], key: Any) -> Records:
    """``groups[key]`` as records, made so (and kept) if it was a list."""
    rows = groups.get(key)
    if not isinstance(rows, Records):
        rows = groups[key] = Records.of(rows or [])
    return rows
