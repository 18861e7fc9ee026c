"""Warm path by breadth-first search, for when the named `warm-path` query finds nothing.

The named query follows management, KNOWS and party ties up to three ties deep in one Cypher
statement. This search goes wider, one hop per query, in both directions, and also through
interactions (an employee who met a party or contact), until it reaches an employee.
"""

from __future__ import annotations

from erm_graph.errors import ErmError
from erm_graph.query.network import party_exists, ties
from erm_graph.store import GraphStore


def warm_path(store: GraphStore, target: str, *, max_hops: int = 6) -> dict | None:
    """The shortest chain ``employee -> ... -> target`` as ``{chain, relationships, hops}``,
    or None when no employee is within ``max_hops``."""
    if not party_exists(store, target):
        raise ErmError(f"no party with uid {target!r}")
    parent: dict[str, tuple[str, str] | None] = {target: None}
    frontier = {"Party": [target], "Contact": []}
    for _ in range(max_hops):
        found: dict[str, list[str]] = {"Party": [], "Contact": []}
        for label, uids in frontier.items():
            if not uids:
                continue
            for u, m, m_label, rel in ties(store, label, uids):
                if m in parent:
                    continue
                parent[m] = (u, rel)
                if m_label == "Employee":
                    return _chain(parent, m)
                found[m_label].append(m)
        frontier = found
        if not any(found.values()):
            return None
    return None


def _chain(parent: dict[str, tuple[str, str] | None], employee: str) -> dict:
    chain, rels, node = [employee], [], employee
    while (step := parent[node]) is not None:
        node, rel = step
        chain.append(node)
        rels.append(rel)
    return {"chain": chain, "relationships": rels, "hops": len(rels)}
