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
  (``RESPONSIBLE_FOR``) of the process components above;
* the customers, opportunities and cases ``SHARED_WITH`` ``P`` (see docs/partners.md), while
  the relationship stands, and the Products they are ``ABOUT``; nothing else reached from
  them (the customer holding a shared deal stays hidden unless it is shared too).

Nothing else: no other Party, Contact, Interaction or Case, no Employee but those named.

Enforcement is a store wrapper, :class:`ScopedStore`, through which every query of a partner
runs (named queries, search, neighbours, node details, maps, paths). It fails closed: a row
is returned only when it names at least one uid and every uid it names (columns ``uid``,
``*.uid``, ``*_uid``; ``uid`` keys of nodes and maps, at any depth) lies in the scope. A
row of bare counts or names is dropped. Writes never pass through it.

That filter is the second line. The first: every reader a partner reaches puts the scope into
its query (:func:`within`, the ``$scope`` parameter the store fills) before any LIMIT, SKIP or
count, since rows dropped after a LIMIT or a count would tell what lies outside the scope.

The scope itself is read by :func:`erm_graph.query.partner_scope.partner_scope`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from erm_graph import model
from erm_graph.errors import ReadOnlyError
from erm_graph.store import GraphReader, QueryResult

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
    return bool(uids and uids <= scope)


class ScopedStore:
    """A :class:`~erm_graph.store.GraphReader` over ``store`` that returns only rows inside
    ``scope``: a partner's whole view of the graph. It has no writing side at all.

    A statement that names ``$scope`` gets the scope's uids as that parameter (whatever the
    caller passed under that name), so a reader can filter inside the query, before any
    LIMIT, SKIP or count: see :func:`scope_of` and :func:`within`.
    """

    def __init__(self, store: GraphReader, scope: frozenset[str]):
        self._store = store
        self.scope = scope
        self._scope_list = sorted(scope)
        self.engine = store.engine
        self.location = store.location
        self.read_timeout = store.read_timeout

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            read_only: bool = True, timeout: float | None = None) -> QueryResult:
        """The rows of a read-only statement that lie inside the scope. ``read_only=False``
        (a caller that passes it through from ad hoc Cypher) is refused."""
        if not read_only:
            raise ReadOnlyError("a partner's queries are read-only")
        if names_scope(cypher):
            params = {**(params or {}), SCOPE_PARAM: self._scope_list}
        result = self._store.run(cypher, params, timeout=timeout)
        kept = [row for row in result.rows if in_scope(self.scope, result.columns, row)]
        result.stats["scope_dropped"] = float(len(result.rows) - len(kept))
        result.rows = kept
        return result

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Nodes per label inside the scope; no relationship counts (a relationship's other
        end may lie outside it)."""
        labels: dict[str, int] = {}
        for key in model.KEY_LABELS:
            rows = self._store.run(f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) "
                                   f"UNWIND labels(n) AS l RETURN l, count(*)",
                                   {"uids": self._scope_list}).rows
            for label, n in rows:
                labels[label] = labels.get(label, 0) + n
        return labels, {}

    def close(self) -> None:
        """Nothing to let go: the store it reads belongs to whoever opened it (the web app)."""
