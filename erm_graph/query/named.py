"""Running named queries: bind the parameters, pick the engine's variant, run read-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from erm_graph.auth.roles import Forbidden, may_run_named
from erm_graph.auth.scope import SCOPE_PARAM, names_scope, scope_of
from erm_graph.errors import ReadOnlyError
from erm_graph.events import WriteKind, writing
from erm_graph.query.adhoc import BYPASSES_MODEL
from erm_graph.query.library import Library, load_library
from erm_graph.query.result_cache import ResultCache
from erm_graph.settings import current
from erm_graph.store import GraphStore, QueryResult, open_store

if TYPE_CHECKING:
    import pandas as pd


def run_query(store: GraphStore, name: str, params: Mapping[str, Any] | None = None, *,
              timeout: float | None = None, write: bool = False,
              library: Library | None = None, role: str | None = None,
              cache: ResultCache | None = None) -> QueryResult:
    """Run the named query ``name`` on ``store`` and return its rows.

    Parameters are checked and converted against the query's header (text from the command
    line is accepted: ``"25"`` for an integer). A query whose header says ``read_only: false``
    runs only with ``write=True``; every other query runs read-only, enforced by the engine.
    With a ``role`` (see :mod:`erm_graph.auth.roles`), the query runs only when that role may
    run it: analysts and above run any, every other role those whose header's ``access``
    lists it (or a group holding it).
    A partner's query must name ``$scope`` (the uids of its scope, given by its store) and
    filter by it; on any other store ``$scope`` is null.
    With a ``cache`` (the web app's :data:`erm_graph.query.result_cache.RESULTS`), a read-only
    query's answer is reused until the graph changes; never on a partner's store.

    >>> run_query(store, "customer-360", {"uid": "cust-000001"}).records()  # doctest: +SKIP
    """
    query = (library or load_library()).get(name)
    if role is not None and not may_run_named(role, query.access):
        raise Forbidden(f"the {role} role may not run query {name!r}: its header's access "
                        f"lists {', '.join(query.access) or 'nobody'}; analysts and above "
                        f"run any")
    cypher = query.cypher_for(store.engine)
    if role == "partner" and not names_scope(cypher):
        # a filter after the query cannot undo what out-of-scope rows did to its LIMITs and
        # counts: the query must keep to the scope itself
        raise Forbidden(f"query {name!r} lists partner in its header but does not filter by "
                        f"${SCOPE_PARAM}; keep every record it reads inside the partner's scope "
                        f"(`WHERE n.uid IN ${SCOPE_PARAM}`) before any LIMIT or count")
    bound = query.bind(params or {})
    if names_scope(cypher) and scope_of(store) is None:
        bound[SCOPE_PARAM] = None
    if not query.read_only and not write:
        raise ReadOnlyError(f"query {name!r} writes to the graph: run it with --write "
                            "(CLI) or write=True (Python)")
    timeout = current().query_timeout if timeout is None else timeout
    if query.read_only:
        if cache is not None and scope_of(store) is None:
            return cache.run(store, cypher, bound,
                             lambda: store.run(cypher, bound, read_only=True, timeout=timeout))
        return store.run(cypher, bound, read_only=True, timeout=timeout)
    with writing(WriteKind.QUERY, name, store, detail={"params": sorted(bound)}) as report:
        result = store.run(cypher, bound, read_only=False, timeout=timeout)
        report.detail.update(result.stats)
    result.warnings.append(BYPASSES_MODEL.replace("cypher", "query"))
    return result


def dataframe(name: str, db: str | None = None, *, store: GraphStore | None = None,
              timeout: float | None = None, write: bool = False,
              library: Library | None = None, **params: Any) -> pd.DataFrame:
    """The named query ``name`` as a pandas DataFrame.

    Runs on ``store`` when given, otherwise opens ``db`` (a database URL; default the
    ``ERM_DB`` setting) for this one call.

    >>> import erm_graph
    >>> erm_graph.query.dataframe("key-person-risk", limit=5)  # doctest: +SKIP
    >>> erm_graph.query.dataframe("customer-360", uid="cust-000001", store=store)  # doctest: +SKIP
    """
    if store is not None:
        return run_query(store, name, params, timeout=timeout, write=write,
                         library=library).to_dataframe()
    opened = open_store(db or current().db)
    try:
        return run_query(opened, name, params, timeout=timeout, write=write,
                         library=library).to_dataframe()
    finally:
        opened.close()
