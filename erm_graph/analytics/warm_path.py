"""Warm path by breadth-first search, for when the named `warm-path` query finds nothing.

The named query follows management, KNOWS and party ties up to three ties deep in one Cypher
statement. This search goes wider, one hop per query, in both directions, and also through
interactions (an employee who met a party or contact), until it reaches an employee.
"""

from __future__ import annotations

from erm_graph.errors import ErmError
from erm_graph.store import GraphStore

_TIES = {
    "Party": ["MATCH (n:Party {uid: u})<-[:MANAGES|KNOWS]-(m:Employee) "
              "RETURN u, m.uid, 'Employee', 'MANAGES/KNOWS'",
              "MATCH (n:Party {uid: u})-[:RELATES_TO]-(m:Party) RETURN u, m.uid, 'Party', "
              "'RELATES_TO'",
              "MATCH (n:Party {uid: u})<-[:WORKS_FOR]-(m:Contact) RETURN u, m.uid, 'Contact', "
              "'WORKS_FOR'",
              "MATCH (n:Party {uid: u})-[:HAD]->(:Interaction)-[:WITH]->(m:Employee) "
              "RETURN DISTINCT u, m.uid, 'Employee', 'MET'"],
    "Contact": ["MATCH (n:Contact {uid: u})-[:WORKS_FOR]->(m:Party) RETURN u, m.uid, 'Party', "
                "'WORKS_FOR'",
                "MATCH (n:Contact {uid: u})<-[:KNOWS]-(m:Employee) RETURN u, m.uid, "
                "'Employee', 'KNOWS'",
                "MATCH (n:Contact {uid: u})-[:HAD]->(:Interaction)-[:WITH]->(m:Employee) "
                "RETURN DISTINCT u, m.uid, 'Employee', 'MET'"],
}


def warm_path(store: GraphStore, target: str, *, max_hops: int = 6) -> dict | None:
    """The shortest chain ``employee -> ... -> target`` as ``{chain, relationships, hops}``,
    or None when no employee is within ``max_hops``."""
    if not store.run("MATCH (p:Party {uid: $uid}) RETURN p.uid", {"uid": target}).rows:
        raise ErmError(f"no party with uid {target!r}")
    parent: dict[str, tuple[str, str] | None] = {target: None}
    frontier = {"Party": [target], "Contact": []}
    for _ in range(max_hops):
        found: dict[str, list[str]] = {"Party": [], "Contact": []}
        for label, uids in frontier.items():
            if not uids:
                continue
            for tie in _TIES[label]:
                for u, m, m_label, rel in store.run(f"UNWIND $uids AS u {tie}",
                                                    {"uids": uids}).rows:
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
