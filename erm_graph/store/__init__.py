"""Storage: one `GraphStore` protocol, two engines, chosen by URL.

=========================  ==========================================================
URL                         engine
=========================  ==========================================================
``embedded:``               FalkorDB child server in the default data directory
``embedded:DIR``            the same, in DIR
``falkordb://host:port``    a FalkorDB server (password from ``ERM_DB_PASSWORD``)
``bolt://``, ``neo4j://``,  Neo4j 5 / Aura (``ERM_NEO4J_USER``, ``ERM_NEO4J_PASSWORD``,
``neo4j+s://``, ...         optional ``ERM_NEO4J_DATABASE``)
=========================  ==========================================================
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from erm_graph import settings
from erm_graph.errors import ConfigError
from erm_graph.settings import default_data_dir
from erm_graph.store.base import GraphStore, QueryResult, UpsertCounts

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def open_store(url: str = "embedded:") -> GraphStore:
    """Open the graph named by ``url``; the caller closes it (or uses ``with``-less try/finally).

    >>> store = open_store("embedded:/tmp/erm-doc")   # doctest: +SKIP
    >>> store.run("MATCH (n) RETURN count(n)").rows    # doctest: +SKIP
    [[0]]
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "embedded":
        from erm_graph.store.falkordb_store import FalkorDBStore

        path = url.split(":", 1)[1]
        return FalkorDBStore(data_dir=Path(path) if path else default_data_dir())
    if scheme == "falkordb":
        from erm_graph.store.falkordb_store import FalkorDBStore

        parts = urlsplit(url)
        graph = parts.path.strip("/") or "erm"
        return FalkorDBStore(host=parts.hostname or "localhost", port=parts.port or 6379,
                             password=settings.get("db_password") or None, graph=graph)
    if scheme in NEO4J_SCHEMES:
        from erm_graph.store.neo4j_store import Neo4jStore

        parts = urlsplit(url)
        if parts.password:
            raise ConfigError("put the Neo4j password in ERM_NEO4J_PASSWORD, not in the URL")
        return Neo4jStore(url, settings.get("neo4j_user"), settings.get("neo4j_password"),
                          settings.get("neo4j_database") or None)
    raise ConfigError(f"unknown database URL {redact(url)!r}: use embedded:[DIR], "
                      "falkordb://host:port or bolt:// / neo4j:// / neo4j+s://host:port")


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


__all__ = ["GraphStore", "QueryResult", "UpsertCounts", "open_store", "redact"]
