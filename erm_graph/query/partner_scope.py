"""The uids a partner may see: the scope of its Party, read from the graph.

The scope is defined in :mod:`erm_graph.auth.scope`, which enforces it on every query; the
statements that read it live here, with the other reads of the app.
"""

from __future__ import annotations

import time
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.events import Finish, WriteEvent
from erm_graph.store import GraphStore

#: the customers, opportunities and cases shared with the partner (SHARED_WITH): in its scope
#: while the relationship exists, with the products they are about (what the partner works on
#: with us, as for its own records); nothing else reached from them is (the customer holding a
#: shared deal, its contacts and other records stay hidden unless shared too)
SHARED_QUERIES = (
    "MATCH (p:Party {uid: $party})<-[:SHARED_WITH]-(x) RETURN DISTINCT x.uid",
    "MATCH (p:Party {uid: $party})<-[:SHARED_WITH]-(x)-[:ABOUT]->(d:Product) "
    "RETURN DISTINCT d.uid",
)
#: one statement per part of the scope anchored on the Party's uid; each row is one uid
SCOPE_QUERIES = (
    "MATCH (p:Party {uid: $party}) RETURN p.uid",
    "MATCH (p:Party {uid: $party})<-[:WORKS_FOR]-(c:Contact) RETURN c.uid",
    "MATCH (p:Party {uid: $party})<-[:WORKS_FOR*0..1]-(w)-[:HAD|RAISED|GAVE]->(x) "
    "RETURN DISTINCT x.uid",
    "MATCH (p:Party {uid: $party})-[:HOLDS]->(x) RETURN x.uid",
    "MATCH (p:Party {uid: $party})<-[:WORKS_FOR*0..1]-(w)-[:HAD|RAISED|GAVE]->(x)"
    "<-[:FROM]-(f:Feedback) RETURN DISTINCT f.uid",
    "MATCH (p:Party {uid: $party})<-[:WORKS_FOR*0..1]-(w)-[:HAD|RAISED]->(x)-[:ABOUT]->"
    "(d:Product) RETURN DISTINCT d.uid",
    "MATCH (p:Party {uid: $party})-[:HOLDS]->(x)-[:ABOUT]->(d:Product) RETURN DISTINCT d.uid",
    "MATCH (p:Party {uid: $party})<-[:MANAGES]-(e:Employee) RETURN e.uid",
    "MATCH (p:Party {uid: $party})-[:PARTICIPATES_IN]->(:Step)<-[:HAS_STEP]-(pr:Process) "
    "RETURN DISTINCT pr.uid",
)
#: from the processes in scope to their steps and maps; then from the steps to their
#: departments and documents. One uid a row: ``[pr.uid] + collect(...)`` gave null on FalkorDB
#: (see ENGINE-NOTES), which left every process out of a partner's scope.
PROCESS_QUERIES = (
    "UNWIND $uids AS u MATCH (:Process {uid: u})-[:HAS_STEP]->(s:Step) RETURN DISTINCT s.uid",
    "UNWIND $uids AS u MATCH (m:Map)-[:DEPICTS]->(:Process {uid: u}) RETURN DISTINCT m.uid",
)
COMPONENT_QUERIES = (
    "UNWIND $uids AS u MATCH (s:Step {uid: u})<-[:PERFORMS]-(d:Department) "
    "RETURN DISTINCT d.uid",
    "UNWIND $uids AS u MATCH (s:Step {uid: u})-[:USES|PRODUCES]->(d:Document) "
    "RETURN DISTINCT d.uid",
)
OWNER_QUERIES = tuple(
    f"UNWIND $uids AS u MATCH (x:{label} {{uid: u}})<-[:RESPONSIBLE_FOR]-(e:Employee) "
    f"RETURN DISTINCT e.uid" for label in model.COMPONENT_LABELS)
#: seconds a computed scope is reused
SCOPE_TTL = 30.0


def partner_scope(store: GraphStore, party: str) -> frozenset[str]:
    """The uids a partner bound to ``party`` may see (see the module docstring)."""
    return own_scope(store, party) | shared_scope(store, party)


def shared_scope(store: GraphStore, party: str) -> frozenset[str]:
    """The part of the scope shared with the partner (:data:`SHARED_QUERIES`). Never cached:
    a share revoked by another process (`erm unshare` beside `erm serve`) is gone from the
    partner's next request, not after :data:`SCOPE_TTL`."""
    return frozenset(v for cypher in SHARED_QUERIES
                     for (v,) in store.run(cypher, {"party": party}).rows if v)


def own_scope(store: GraphStore, party: str) -> frozenset[str]:
    """The part of the scope that concerns the partner's own Party (:data:`SCOPE_QUERIES`
    and the stages that follow from it)."""
    uids: set[str] = set()

    def add(queries: tuple[str, ...], params: dict[str, Any]) -> None:
        for cypher in queries:
            uids.update(v for (v,) in store.run(cypher, params).rows if v)

    add(SCOPE_QUERIES, {"party": party})
    if party not in uids:
        raise ErmError(f"partner's Party {party!r} is not in the graph; an admin must bind "
                       f"the user to an existing Party (`erm users add --party`)")
    # each stage reads from every uid found so far: the label in each pattern picks its own
    for stage in (PROCESS_QUERIES, COMPONENT_QUERIES, OWNER_QUERIES):
        add(stage, {"uids": sorted(uids)})
    return frozenset(uids)


def partner_tie(store: GraphStore, party: str, node_uid: str, key_label: str) -> str | None:
    """How the record ``node_uid`` (of ``key_label``) belongs to the partner bound to
    ``party``: ``own`` (the Party itself, a Contact that works for it), ``shared`` (it is
    shared with it) or None (anything else it may see: a product, an employee, a case its
    contacts raised). Which fields it may then edit is :func:`erm_graph.auth.roles.
    check_partner_edit`'s business."""
    if key_label == "Party" and node_uid == party:
        return "own"
    if key_label == "Contact" and store.run(
            "MATCH (:Contact {uid: $u})-[:WORKS_FOR]->(:Party {uid: $p}) RETURN 1 LIMIT 1",
            {"u": node_uid, "p": party}).rows:
        return "own"
    if key_label in model.SHAREABLE_LABELS and store.run(
            f"MATCH (:{key_label} {{uid: $u}})-[:SHARED_WITH]->(:Party {{uid: $p}}) "
            f"RETURN 1 LIMIT 1", {"u": node_uid, "p": party}).rows:
        return "shared"
    return None


_cache: dict[tuple[int, str], tuple[float, frozenset[str]]] = {}


def cached_scope(store: GraphStore, party: str) -> frozenset[str]:
    """:func:`partner_scope`, its own part reused for :data:`SCOPE_TTL` seconds, its shared
    part read afresh (:func:`shared_scope`)."""
    key = (id(store), party)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < SCOPE_TTL:
        return hit[1] | shared_scope(store, party)
    scope = own_scope(store, party)
    if len(_cache) > 1000:
        _cache.clear()
    _cache[key] = (time.monotonic(), scope)
    return scope | shared_scope(store, party)


def forget_scopes() -> None:
    """Drop every cached scope (after a write that may change one)."""
    _cache.clear()


def forget_scopes_after(event: WriteEvent) -> Finish:
    """The scope cache's subscription to write events: any write may change what a partner
    reaches (an owner set, a merge, a restored map, an edit, a load), whoever makes it, so
    the cache is dropped when the write ends (not before: a read meanwhile would fill it
    with the graph as it was)."""
    return lambda outcome: forget_scopes()
