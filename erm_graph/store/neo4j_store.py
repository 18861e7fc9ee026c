"""Neo4j 5 (server, cluster or Aura) through the official driver.

Read-only runs in a read transaction, which Neo4j itself refuses to write in; writes run in
managed write transactions that the driver retries on transient errors. Routing (``neo4j://``,
``neo4j+s://``) sends reads to followers in a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import neo4j
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable
from neo4j.graph import Node, Path, Relationship

from erm_graph import model
from erm_graph.errors import QueryTimeout, ReadOnlyError, StoreError
from erm_graph.store.base import CypherStore, QueryResult


def to_python(value: Any) -> Any:
    """The same plain shapes as the FalkorDB engine returns."""
    if isinstance(value, Node):
        return {"_id": value.element_id, "_labels": sorted(value.labels), **dict(value)}
    if isinstance(value, Relationship):
        return {"_id": value.element_id, "_type": value.type,
                "_start": value.start_node.element_id if value.start_node else None,
                "_end": value.end_node.element_id if value.end_node else None, **dict(value)}
    if isinstance(value, Path):
        return {"nodes": [to_python(n) for n in value.nodes],
                "relationships": [to_python(r) for r in value.relationships]}
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time types
        return value.iso_format()
    return value


class Neo4jStore(CypherStore):
    """A :class:`GraphStore` on Neo4j 5. Credentials come from the environment only."""

    engine = "neo4j"

    def __init__(self, url: str, user: str, password: str, database: str | None = None):
        self.location = url  # never holds the password: it is passed separately
        self._database = database
        try:
            self._driver = neo4j.GraphDatabase.driver(url, auth=(user, password))
            self._driver.verify_connectivity()
        except ServiceUnavailable as exc:
            raise StoreError(f"cannot reach Neo4j at {url}: {exc}") from None
        except Neo4jError as exc:
            raise StoreError(f"Neo4j at {url} refused the connection: {exc.message}") from None

    def _execute(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        query = neo4j.Query(cypher, timeout=timeout)  # type: ignore[arg-type]

        def work(tx):
            result = tx.run(query, dict(params))
            keys = list(result.keys())
            rows = [[to_python(v) for v in record.values()] for record in result]
            counters = result.consume().counters
            return keys, rows, {"nodes_created": counters.nodes_created,
                                "relationships_created": counters.relationships_created,
                                "properties_set": counters.properties_set,
                                "nodes_deleted": counters.nodes_deleted}

        try:
            with self._driver.session(database=self._database) as session:
                run = session.execute_read if read_only else session.execute_write
                keys, rows, stats = run(work)
        except ClientError as exc:
            code = exc.code or ""
            if "WriteOnReadOnlyAccessDatabase" in code or "ForbiddenOnReadOnlyDatabase" in code \
                    or "AccessMode" in code:
                raise ReadOnlyError("this query writes to the graph but was run read-only; "
                                    "writes need --write (CLI) or read_only=False (Python)")\
                    from None
            if "TransactionTimedOut" in code or "Timeout" in code:
                raise QueryTimeout("the query ran past its timeout and was stopped") from None
            raise StoreError(f"Neo4j rejected the query: {exc.message}") from None
        except ServiceUnavailable as exc:
            raise StoreError(f"lost the connection to {self.location}: {exc}") from None
        return QueryResult(keys, rows, stats)

    def ensure_schema(self) -> None:
        """A unique constraint per key label (it brings its index) and an index per sub-label."""
        for name in model.LABELS:
            if name in model.KEY_LABELS:
                self.run(f"CREATE CONSTRAINT erm_uid_{name} IF NOT EXISTS "
                         f"FOR (n:{name}) REQUIRE n.uid IS UNIQUE", read_only=False)
            else:
                self.run(f"CREATE INDEX erm_uid_{name} IF NOT EXISTS FOR (n:{name}) ON (n.uid)",
                         read_only=False)
        self.run("CALL db.awaitIndexes(300)")

    def close(self) -> None:
        self._driver.close()
