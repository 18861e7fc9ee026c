"""Graph values as every engine returns them: plain dicts that also say what they are.

A node is ``{"_id", "_labels", **properties}``, a relationship ``{"_id", "_type", "_start",
"_end", **properties}`` and a path ``{"nodes", "relationships"}``: JSON-ready shapes the web
layer and DataFrames use as they are. The classes let a reader tell a node from a map that
happens to have the same keys (``RETURN {_labels: []}``), and keep the properties apart from
the bookkeeping keys; the conformance runner needs both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class GraphNode(dict[str, Any]):
    """A node: ``{"_id", "_labels", **properties}``."""

    def __init__(self, node_id: Any, labels: Sequence[str], properties: Mapping[str, Any]):
        super().__init__({"_id": node_id, "_labels": list(labels), **properties})
        self.properties = dict(properties)

    @property
    def id(self) -> Any:
        return self["_id"]

    @property
    def labels(self) -> list[str]:
        labels: list[str] = self["_labels"]
        return labels


class GraphRelationship(dict[str, Any]):
    """A relationship: ``{"_id", "_type", "_start", "_end", **properties}``."""

    def __init__(self, rel_id: Any, rel_type: str, start: Any, end: Any,
                 properties: Mapping[str, Any]):
        super().__init__({"_id": rel_id, "_type": rel_type, "_start": start, "_end": end,
                          **properties})
        self.properties = dict(properties)

    @property
    def id(self) -> Any:
        return self["_id"]

    @property
    def type(self) -> str:
        rel_type: str = self["_type"]
        return rel_type

    @property
    def start(self) -> Any:
        return self["_start"]


class GraphPath(dict[str, Any]):
    """A path: ``{"nodes": [...], "relationships": [...]}``, in path order."""

    def __init__(self, nodes: Sequence[GraphNode], relationships: Sequence[GraphRelationship]):
        super().__init__({"nodes": list(nodes), "relationships": list(relationships)})

    @property
    def nodes(self) -> list[GraphNode]:
        nodes: list[GraphNode] = self["nodes"]
        return nodes

    @property
    def relationships(self) -> list[GraphRelationship]:
        rels: list[GraphRelationship] = self["relationships"]
        return rels
