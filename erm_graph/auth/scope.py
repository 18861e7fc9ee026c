"""A partner's scope: the subgraph that concerns its own Party, enforced on every query.

The scope of a partner bound to Party ``P`` is the set of these nodes (each pattern anchored
on ``P`` by its uid):

* ``P`` itself, and the Contacts that ``WORKS_FOR`` it;
* the Interactions ``P`` or its Contacts ``HAD``, the Cases they ``RAISED``, the Responses
  they ``GAVE``; the Opportunities and Contracts ``P`` ``HOLDS``; the Feedback ``FROM`` any
  of those records;
* the Steps ``P`` ``PARTICIPATES_IN``; the Processes that have those steps, every Step of
  those Processes, the Maps that ``DEPICTS`` them, the Departments that ``PERFORMS`` and the
  Documents those steps ``USES`` or ``PRODUCES``;
* the Products its interactions, cases, opportunities and contracts are ``ABOUT``;
* our Employees who ``MANAGES`` ``P`` (its account owners) and the owners
  (``RESPONSIBLE_FOR``) of the process components above.

Nothing else: no other Party, Contact, Interaction or Case, no Employee but those named.

Enforcement is a store wrapper, :class:`ScopedStore`, through which every query of a partner
runs (named queries, search, neighbours, node details, maps, paths). It fails closed: a row
is returned only when it names at least one uid and every uid it names (columns ``uid``,
``*.uid``, ``*_uid``; ``uid`` keys of nodes and maps, at any depth) lies in the scope. A
row of bare counts or names is dropped. Writes never pass through it.

That filter is the second line. The first: every reader a partner reaches puts the scope into
its query (:func:`within`, the ``$scope`` parameter the store fills) before any LIMIT, SKIP or
count, since rows dropped after a LIMIT or a count would tell what lies outside the scope.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError, ReadOnlyError
from erm_graph.store import GraphStore, QueryResult

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


def partner_scope(store: GraphStore, party: str, *,
                  timeout: float | None = None) -> frozenset[str]:
    """The uids a partner bound to ``party`` may see (see the module docstring)."""
    uids: set[str] = set()

    def add(queries: tuple[str, ...], params: dict[str, Any]) -> None:
        for cypher in queries:
            uids.update(v for (v,) in store.run(cypher, params, timeout=timeout).rows if v)

    add(SCOPE_QUERIES, {"party": party})
    if party not in uids:
        raise ErmError(f"partner's Party {party!r} is not in the graph; an admin must bind "
                       f"the user to an existing Party (`erm users add --party`)")
    # each stage reads from every uid found so far: the label in each pattern picks its own
    for stage in (PROCESS_QUERIES, COMPONENT_QUERIES, OWNER_QUERIES):
        add(stage, {"uids": sorted(uids)})
    return frozenset(uids)


_cache: dict[tuple[int, str], tuple[float, frozenset[str]]] = {}


def cached_scope(store: GraphStore, party: str, *, timeout: float | None = None
                 ) -> frozenset[str]:
    key = (id(store), party)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < SCOPE_TTL:
        return hit[1]
    scope = partner_scope(store, party, timeout=timeout)
    if len(_cache) > 1000:
        _cache.clear()
    _cache[key] = (time.monotonic(), scope)
    return scope


def forget_scopes() -> None:
    """Drop every cached scope (after a write that may change one)."""
    _cache.clear()


#: the parameter a :class:`ScopedStore` fills with its scope's uids (``$scope``)
SCOPE_PARAM = "scope"
_SCOPE_REF = re.compile(r"\$scope\b")


def names_scope(cypher: str) -> bool:
    """Whether a statement reads ``$scope``."""
    return _SCOPE_REF.search(cypher) is not None


def scope_of(store: Any) -> frozenset[str] | None:
    """The uids ``store`` may show (a partner's :class:`ScopedStore`), or None: no limit."""
    return store.scope if isinstance(store, ScopedStore) else None


def within(store: Any, *variables: str) -> str:
    """A Cypher condition keeping each of ``variables`` inside a partner's scope, to go in
    the WHERE of the MATCH that finds them, before any LIMIT, SKIP or count: a filter after
    the query would let what lies outside the scope shape pages and numbers. ``true`` for a
    store with no scope. The variables come from the caller's own Cypher, never from users.
    """
    if scope_of(store) is None or not variables:
        return "true"
    return " AND ".join(f"{v}.uid IN ${SCOPE_PARAM}" for v in variables)


def _uid_column(name: str) -> bool:
    return name == "uid" or name.endswith((".uid", "_uid"))


def row_uids(columns: list[str], row: list[Any]) -> set[str] | None:
    """Every uid a row names, or None when it names one that is not a string."""
    found: set[str] = set()

    def visit(value: Any, is_uid: bool) -> None:
        if is_uid:
            if value is None:
                return
            found.add(value if isinstance(value, str) else repr(value))
        elif isinstance(value, Mapping):
            for key, inner in value.items():
                visit(inner, key == "uid")
        elif isinstance(value, list | tuple):
            for inner in value:
                visit(inner, False)

    for column, cell in zip(columns, row, strict=False):
        if _uid_column(column) and isinstance(cell, list):
            for inner in cell:
                visit(inner, True)
        else:
            visit(cell, _uid_column(column))
    return found


def in_scope(scope: frozenset[str], columns: list[str], row: list[Any]) -> bool:
    uids = row_uids(columns, row)
    return uids is not None and bool(uids) and uids <= scope


class ScopedStore:
    """A read-only view of ``store`` that returns only rows inside ``scope``.

    A statement that names ``$scope`` gets the scope's uids as that parameter (whatever the
    caller passed under that name), so a reader can filter inside the query, before any
    LIMIT, SKIP or count: see :func:`scope_of` and :func:`within`.
    """

    def __init__(self, store: GraphStore, scope: frozenset[str]):
        self._store = store
        self.scope = scope
        self._scope_list = sorted(scope)
        self.engine = store.engine
        self.location = store.location

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            read_only: bool = True, timeout: float | None = None) -> QueryResult:
        if not read_only:
            raise ReadOnlyError("a partner's queries are read-only")
        if names_scope(cypher):
            params = {**(params or {}), SCOPE_PARAM: self._scope_list}
        result = self._store.run(cypher, params, read_only=True, timeout=timeout)
        kept = [row for row in result.rows if in_scope(self.scope, result.columns, row)]
        result.stats["scope_dropped"] = float(len(result.rows) - len(kept))
        result.rows = kept
        return result

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        labels: dict[str, int] = {}
        for key in model.KEY_LABELS:
            rows = self._store.run(f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) "
                                   f"UNWIND labels(n) AS l RETURN l, count(*)",
                                   {"uids": self._scope_list}).rows
            for label, n in rows:
                labels[label] = labels.get(label, 0) + n
        return labels, {}

    def __getattr__(self, name: str) -> Any:
        if name in ("ensure_schema", "upsert_nodes", "upsert_relationships", "clear",
                    "compact", "close"):
            raise ReadOnlyError(f"a partner's store has no {name}")
        raise AttributeError(name)
