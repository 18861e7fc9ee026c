"""Storage: the `GraphReader` / `GraphWriter` protocols (`GraphStore` is both), two engines,
chosen by URL.

The URL forms are listed in :mod:`erm_graph.database_url`; the credentials, the default data
directory and the app's read timeout come from :class:`~erm_graph.settings.Settings`.
"""

from __future__ import annotations

from erm_graph.database_url import DatabaseURL, redact
from erm_graph.settings import Settings, current
from erm_graph.store.base import GraphReader, GraphStore, GraphWriter, QueryResult, UpsertCounts


def open_store(url: str | DatabaseURL = "embedded:", *, read_timeout: float | None = None,
               settings: Settings | None = None) -> GraphStore:
    """Open the graph named by ``url``; the caller closes it (or uses ``with``-less try/finally).

    ``read_timeout`` (seconds) bounds every read-only statement whose caller names no timeout
    of its own (:attr:`GraphStore.read_timeout`); None leaves reads to the engine's limit.
    Passwords and the default data directory come from ``settings`` (default: the
    environment's, :func:`erm_graph.settings.current`).

    >>> store = open_store("embedded:/tmp/erm-doc")   # doctest: +SKIP
    >>> store.run("MATCH (n) RETURN count(n)").rows    # doctest: +SKIP
    [[0]]
    """
    store = _open(DatabaseURL.parse(url) if isinstance(url, str) else url, settings or current())
    store.read_timeout = read_timeout
    return store


def open_configured(settings: Settings) -> GraphStore:
    """The store ``settings.db`` names, its reads bounded by ``settings.query_timeout``: the
    web app's, where every read answers a request."""
    return open_store(settings.db, read_timeout=settings.query_timeout, settings=settings)


def _open(url: DatabaseURL, settings: Settings) -> GraphStore:
    if url.engine == "embedded":
        from erm_graph.store.falkordb_store import FalkorDBStore

        return FalkorDBStore(data_dir=url.data_dir(settings.data_dir))
    if url.engine == "falkordb":
        from erm_graph.store.falkordb_store import FalkorDBStore

        return FalkorDBStore(host=url.host, port=url.port,
                             password=settings.db_password.reveal() or None, graph=url.graph)
    from erm_graph.store.neo4j_store import Neo4jStore

    return Neo4jStore(url.text, settings.neo4j_user, settings.neo4j_password.reveal(),
                      settings.neo4j_database)


__all__ = ["GraphReader", "GraphStore", "GraphWriter", "QueryResult", "UpsertCounts",
           "open_configured", "open_store", "redact"]
