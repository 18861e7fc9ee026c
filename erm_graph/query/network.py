"""The relationship network's reads for analytics: who met whom, one hop of ties from a party
or contact, and the relationships a networkx projection is built from.

:mod:`erm_graph.analytics` computes from these rows and never reads the graph itself. Labels
and types come from the model (:mod:`erm_graph.model`), never from user text.
"""

from __future__ import annotations

from typing import Any

from erm_graph.store import GraphStore

#: every employee and party or contact that met, with the inputs of a relationship's strength
INTERACTION_PAIRS = """
MATCH (p)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)
WHERE $until IS NULL OR i.at < $until
RETURN e.uid AS employee, p.uid AS party, last(labels(p)) AS label, count(i) AS interactions,
       sum(CASE WHEN i.inbound THEN 1 ELSE 0 END) AS inbound, max(i.at) AS last,
       avg(i.sentiment) AS sentiment
"""
#: one hop of a warm-path search from each of ``$uids`` (Parties or Contacts): rows of
#: (from uid, reached uid, reached label, tie)
WARM_TIES: dict[str, tuple[str, ...]] = {
    "Party": ("UNWIND $uids AS u MATCH (n:Party {uid: u})<-[:MANAGES|KNOWS]-(m:Employee) "
              "RETURN u, m.uid, 'Employee', 'MANAGES/KNOWS'",
              "UNWIND $uids AS u MATCH (n:Party {uid: u})-[:RELATES_TO]-(m:Party) "
              "RETURN u, m.uid, 'Party', 'RELATES_TO'",
              "UNWIND $uids AS u MATCH (n:Party {uid: u})<-[:WORKS_FOR]-(m:Contact) "
              "RETURN u, m.uid, 'Contact', 'WORKS_FOR'",
              "UNWIND $uids AS u MATCH (n:Party {uid: u})-[:HAD]->(:Interaction)-[:WITH]->"
              "(m:Employee) RETURN DISTINCT u, m.uid, 'Employee', 'MET'"),
    "Contact": ("UNWIND $uids AS u MATCH (n:Contact {uid: u})-[:WORKS_FOR]->(m:Party) "
                "RETURN u, m.uid, 'Party', 'WORKS_FOR'",
                "UNWIND $uids AS u MATCH (n:Contact {uid: u})<-[:KNOWS]-(m:Employee) "
                "RETURN u, m.uid, 'Employee', 'KNOWS'",
                "UNWIND $uids AS u MATCH (n:Contact {uid: u})-[:HAD]->(:Interaction)-[:WITH]->"
                "(m:Employee) RETURN DISTINCT u, m.uid, 'Employee', 'MET'"),
}


def interaction_pairs(store: GraphStore, *, timeout: float | None = None,
                      until: str | None = None) -> list[dict[str, Any]]:
    """One record per employee and party (or contact) that met: ``employee``, ``party``,
    ``label``, ``interactions``, ``inbound``, ``last`` (the latest ``at``), ``sentiment``
    (the average); only the interactions before ``until`` (a date) when given."""
    return store.run(INTERACTION_PAIRS, {"until": until}, timeout=timeout).records()


#: the strength series of every KNOWS relationship that has one
KNOWS_SERIES = ("MATCH (e:Employee)-[k:KNOWS]->(p) WHERE k.strength_series IS NOT NULL "
                "RETURN e.uid AS employee, p.uid AS party, k.strength_series AS series, "
                "k.strength AS strength, k.evidence AS evidence")


def knows_series(store: GraphStore) -> dict[tuple[str, str], dict[str, Any]]:
    """(employee uid, party or contact uid) -> the KNOWS relationship's ``series`` as stored
    (``"YYYY-MM-DD=score"`` oldest first, :func:`erm_graph.analytics.strength.write_knows`),
    its ``strength`` and its ``evidence``."""
    return {(r["employee"], r["party"]): {"series": list(r["series"] or []),
                                          "strength": r["strength"], "evidence": r["evidence"]}
            for r in store.run(KNOWS_SERIES).records()}


def party_exists(store: GraphStore, uid: str) -> bool:
    return bool(store.run("MATCH (p:Party {uid: $uid}) RETURN p.uid", {"uid": uid}).rows)


def ties(store: GraphStore, label: str, uids: list[str]) -> list[tuple[str, str, str, str]]:
    """One hop from the ``label`` nodes ``uids`` (see :data:`WARM_TIES`), query by query."""
    found: list[tuple[str, str, str, str]] = []
    for cypher in WARM_TIES[label]:
        found += [(u, m, m_label, tie)
                  for u, m, m_label, tie in store.run(cypher, {"uids": uids}).rows]
    return found


def relationship_ends(store: GraphStore, rel_type: str, *, limit: int | None = None,
                      timeout: float | None = None) -> list[list[Any]]:
    """Every ``rel_type`` relationship (at most ``limit``) as its two ends:
    ``[a.uid, a's label, a.name, b.uid, b's label, b.name]``. ``rel_type`` is a model type."""
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    return store.run(f"MATCH (a)-[r:{rel_type}]->(b) RETURN a.uid, last(labels(a)), a.name, "
                     f"b.uid, last(labels(b)), b.name{cap}", timeout=timeout).rows


def met(store: GraphStore, *, limit: int | None = None,
        timeout: float | None = None) -> list[list[Any]]:
    """Each party or contact and employee that met (at most ``limit`` pairs), with how many
    interactions: ``[p.uid, p's label, p.name, e.uid, e.name, n]``."""
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    # count(i), not count(*): FalkorDB collapses a middle node that nothing refers to, and
    # every weight came out 1 (docs/queries.md, "Path multiplicity")
    return store.run("MATCH (p)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee) "
                     f"WITH p, e, count(i) AS n{cap} "
                     "RETURN p.uid, last(labels(p)), p.name, e.uid, e.name, n",
                     timeout=timeout).rows
