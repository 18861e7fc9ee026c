"""A subgraph: the nodes (by uid) and relationships the explorer's reads return, and the
subgraph a query result holds.

Nodes are keyed by ``uid`` (the stable key of the model), so pieces fetched by separate
requests join up in the explorer. Nothing here reads the store: :mod:`erm_graph.query.explore`
fills these shapes, :mod:`erm_graph.viz` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.store import QueryResult

#: Properties kept out of tooltips and detail panels (bookkeeping, not meaning).
HIDDEN_PROPS = frozenset({"content_hash"})

@dataclass
class GNode:
    uid: str
    labels: list[str]
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return model.primary_label(self.labels)

    @property
    def name(self) -> str:
        p = self.props
        if p.get("name"):
            return str(p["name"])
        if p.get("kind"):
            when = p.get("at") or p.get("opened_at") or ""
            return f"{p['kind']} {str(when)[:10]}".strip()
        return self.uid


@dataclass
class GEdge:
    start: str
    end: str
    type: str
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.start}|{self.type}|{self.end}"


@dataclass
class Subgraph:
    """Nodes by uid and the relationships between them, plus what was left out.

    ``more`` maps a node uid to how many of its neighbours are not shown; ``groups`` holds one
    summary per (node, label) that was collapsed because it passed a cap.
    """

    nodes: dict[str, GNode] = field(default_factory=dict)
    edges: dict[str, GEdge] = field(default_factory=dict)
    more: dict[str, int] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""

    def add_node(self, node: GNode) -> None:
        known = self.nodes.get(node.uid)
        if known is None or len(node.props) > len(known.props):
            self.nodes[node.uid] = node

    def add_edge(self, edge: GEdge) -> None:
        self.edges.setdefault(edge.id, edge)

    def merge(self, other: Subgraph) -> Subgraph:
        for node in other.nodes.values():
            self.add_node(node)
        for edge in other.edges.values():
            self.add_edge(edge)
        self.more.update(other.more)
        self.groups += other.groups
        return self


def clean_props(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in HIDDEN_PROPS and not k.startswith("_")}


# -- any query result --------------------------------------------------------------------------
#: columns holding a path as the list of its uids, in order (``warm-path``'s ``chain``)
PATH_COLUMNS = ("chain", "path")


def is_path_column(column: str) -> bool:
    return column in PATH_COLUMNS or column.endswith("_path")


def uid_paths(result: QueryResult) -> list[list[str]]:
    """The paths a result names as lists of uids (:data:`PATH_COLUMNS`, ``*_path``), so a
    picture of it can lay each out as a path rather than as a cloud."""
    return [cell for row in result.rows
            for column, cell in zip(result.columns, row, strict=False)
            if is_path_column(column) and isinstance(cell, list)
            and all(isinstance(v, str) for v in cell)]


def mentioned_uids(result: QueryResult, limit: int = 500) -> list[str]:
    """The uids a result names: columns ``uid`` / ``*_uid``, ``uid`` keys of maps in cells,
    and the lists of uids of path columns (:func:`uid_paths`)."""
    found: dict[str, None] = {}

    def visit(key: str, value: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, str) and (key == "uid" or key.endswith("_uid")
                                       or is_path_column(key)):
            found.setdefault(value)
        elif isinstance(value, dict) and "_labels" not in value and "_type" not in value:
            for k, v in value.items():
                visit(str(k), v)
        elif isinstance(value, list):
            for v in value:
                visit(key, v)

    for row in result.rows:
        for column, cell in zip(result.columns, row, strict=False):
            visit(column, cell)
    return list(found)


def from_result(result: QueryResult) -> Subgraph:
    """The nodes, relationships and paths anywhere in a result's cells.

    Relationships name their ends by the engine's internal id; they are drawn when both ends
    are in the result too.
    """
    sub = Subgraph()
    by_id: dict[Any, str] = {}
    rels: list[dict[str, Any]] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if "_labels" in value:
                uid = str(value.get("uid", value.get("_id")))
                by_id[value.get("_id")] = uid
                sub.add_node(GNode(uid, list(value["_labels"]), clean_props(value)))
            elif "_type" in value:
                rels.append(value)
            else:
                for v in value.values():
                    visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    for row in result.rows:
        for cell in row:
            visit(cell)
    for rel in rels:
        s, e = by_id.get(rel.get("_start")), by_id.get(rel.get("_end"))
        if s is not None and e is not None:
            sub.add_edge(GEdge(s, e, rel["_type"], clean_props(rel)))
    return sub
