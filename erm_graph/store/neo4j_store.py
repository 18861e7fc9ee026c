"""Neo4j 5 (server, cluster or Aura) through the official driver.

- **Read-only** statements run in a read transaction, which Neo4j itself refuses to write in;
  writes run in write transactions. Both are the driver's *managed* transactions
  (``execute_read`` / ``execute_write``): a transient failure (a leader switch, a deadlock, a
  lost connection to one cluster member) is retried with back-off for up to
  :data:`RETRY_SECONDS`. Upserts are idempotent, so a retried batch is safe.
- **Routing**: with ``neo4j://`` or ``neo4j+s://`` (a cluster, Aura) the driver keeps the
  cluster's routing table; read transactions go to followers and read replicas, write
  transactions to the leader. ``bolt://`` talks to one server directly.
- **Batching** is the shared :class:`~erm_graph.store.cypher_store.CypherStore` logic: one
  ``UNWIND $rows`` statement per batch of :data:`~erm_graph.store.base.BATCH_SIZE` rows, each
  its own transaction.
- **Timeouts**: ``run(..., timeout=s)`` becomes the transaction's server-side timeout; the
  server stops the statement and rolls it back.
- **Schema**: a unique ``uid`` constraint per key label (it brings its own index), a range
  index per sub-label (``Customer`` ...), and the full-text index :data:`FULLTEXT_INDEX` on the
  names of every named label, for ``db.index.fulltext.queryNodes``.

Credentials are passed to the driver separately from the URL and never appear in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import neo4j
from neo4j.exceptions import (
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from neo4j.graph import Node, Path, Relationship

from erm_graph import model
from erm_graph.errors import QueryError, QueryTimeout, ReadOnlyError, StoreError, UniqueViolation
from erm_graph.store.base import QueryResult
from erm_graph.store.cypher_store import CypherStore
from erm_graph.store.load_lock import LOAD_LOCK
from erm_graph.store.values import GraphNode, GraphRelationship
from erm_graph.store.values import GraphPath as StorePath

#: name of the full-text index on ``name``
FULLTEXT_INDEX = "erm_names"
#: how long the driver keeps retrying a transaction that failed transiently, in seconds
RETRY_SECONDS = 30.0
#: how long ``ensure_schema`` waits for new indexes to come online, in seconds
INDEX_WAIT_SECONDS = 300


def to_python(value: Any) -> Any:
    """The same plain shapes as the FalkorDB engine returns."""
    if isinstance(value, Node):
        return GraphNode(value.element_id, sorted(value.labels), to_python(dict(value)))
    if isinstance(value, Relationship):
        return GraphRelationship(
            value.element_id, value.type,
            value.start_node.element_id if value.start_node else None,
            value.end_node.element_id if value.end_node else None, to_python(dict(value)))
    if isinstance(value, Path):
        return StorePath([to_python(n) for n in value.nodes],
                         [to_python(r) for r in value.relationships])
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time types
        return value.iso_format()
    return value


def fulltext_labels() -> tuple[str, ...]:
    """Key labels whose nodes carry a ``name`` (sub-labels such as Customer are Party too)."""
    return tuple(name for name in model.KEY_LABELS if "name" in model.LABELS[name].props)


def schema_statements() -> list[str]:
    """The statements :meth:`Neo4jStore.ensure_schema` runs, in order; each is idempotent."""
    statements = []
    for name in model.LABELS:
        if name in model.KEY_LABELS:
            statements.append(f"CREATE CONSTRAINT erm_uid_{name} IF NOT EXISTS "
                              f"FOR (n:{name}) REQUIRE n.uid IS UNIQUE")
        else:
            statements.append(f"CREATE INDEX erm_uid_{name} IF NOT EXISTS "
                              f"FOR (n:{name}) ON (n.uid)")
    statements.append(f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS "
                      f"FOR (n:{'|'.join(fulltext_labels())}) ON EACH [n.name]")
    return statements


#: the labels the existing full-text index covers (empty when there is none)
FULLTEXT_LABELS_QUERY = ("SHOW FULLTEXT INDEXES YIELD name, labelsOrTypes "
                         "WHERE name = $name RETURN labelsOrTypes")
FULLTEXT_DROP = f"DROP INDEX {FULLTEXT_INDEX} IF EXISTS"
AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"
#: one lease node for the load lock (see :mod:`erm_graph.store.load_lock`)
LOAD_LOCK_CONSTRAINT = (f"CREATE CONSTRAINT erm_load_lock IF NOT EXISTS FOR (l:{LOAD_LOCK}) "
                        "REQUIRE l.name IS UNIQUE")


def translate(exc: Neo4jError | DriverError, location: str) -> StoreError:
    """The typed error of :mod:`erm_graph.errors` for a driver error, by its code: the one
    place Neo4j's errors are read (callers catch the types)."""
    code = getattr(exc, "code", None) or ""
    if isinstance(exc, ServiceUnavailable | SessionExpired):
        return StoreError(f"lost the connection to {location} (retried for {RETRY_SECONDS:.0f} "
                          f"s): {exc}")
    if "AccessMode" in code or "WriteOnReadOnlyAccessDatabase" in code \
            or "ForbiddenOnReadOnlyDatabase" in code:
        return ReadOnlyError("this query writes to the graph but was run read-only; writes "
                             "need --write (CLI) or read_only=False (Python)")
    if "TransactionTimedOut" in code or ("Terminated" in code and "timeout" in str(exc).lower()):
        return QueryTimeout("the query ran past its timeout and was stopped (set a longer one "
                            "with ERM_QUERY_TIMEOUT or timeout=...)")
    if isinstance(exc, ClientError) and code == "Neo.ClientError.Schema.ConstraintValidationFailed":
        return UniqueViolation(f"Neo4j rejected the query: {exc.message}")
    if isinstance(exc, TransientError):
        return StoreError(f"Neo4j kept failing transiently for {RETRY_SECONDS:.0f} s: "
                          f"{exc.message}")
    if isinstance(exc, ClientError) and ".Security." not in code:
        return QueryError(f"Neo4j rejected the query: {exc.message}")
    if isinstance(exc, Neo4jError):
        return StoreError(f"Neo4j rejected the query: {exc.message}")
    return StoreError(f"the Neo4j driver failed: {exc}")


class Neo4jStore(CypherStore):
    """A :class:`GraphStore` on Neo4j 5. Credentials come from the environment only.

    ``url`` is ``bolt://host:7687`` (one server), ``neo4j://host:7687`` (a cluster, with
    routing) or ``neo4j+s://xxxx.databases.neo4j.io`` (Aura, TLS); ``database`` is the
    user's home database when None.
    """

    engine = "neo4j"

    def __init__(self, url: str, user: str, password: str, database: str | None = None):
        self.location = url  # never holds the password: it is passed separately
        self._database = database
        try:
            self._driver = neo4j.GraphDatabase.driver(
                url, auth=(user, password), max_transaction_retry_time=RETRY_SECONDS,
                user_agent="erm-graph")
            self._driver.verify_connectivity()
        except ServiceUnavailable as exc:
            raise StoreError(f"cannot reach Neo4j at {url}: {exc}") from None
        except Neo4jError as exc:
            raise StoreError(f"Neo4j at {url} refused the connection: {exc.message}") from None
        except (DriverError, ValueError) as exc:
            raise StoreError(f"cannot open Neo4j at {url}: {exc}") from None

    def _execute(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        query = neo4j.Query(cypher, timeout=timeout)  # type: ignore[arg-type]

        def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[list[Any]], dict]:
            # consumed inside the transaction function, so that a retry starts it afresh
            result = tx.run(query, dict(params))  # type: ignore[arg-type]  # a Query is allowed
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
        except (Neo4jError, DriverError) as exc:
            raise translate(exc, self.location) from None
        return QueryResult(keys, rows, stats)

    def ensure_schema(self) -> None:
        """Constraints, indexes and the full-text index; waits until they are online.

        ``IF NOT EXISTS`` keeps an existing full-text index as it is, so one built for an
        older vocabulary (other labels) is dropped and built again.
        """
        statements = schema_statements()
        wanted = sorted(fulltext_labels())
        try:
            found = self.run(FULLTEXT_LABELS_QUERY, {"name": FULLTEXT_INDEX}).rows
        except StoreError:
            found = []  # a user without SHOW rights: keep whatever index there is
        if found and sorted(found[0][0] or []) != wanted:
            self.write(FULLTEXT_DROP)
        for statement in statements:
            self.write(statement)
        self.run(AWAIT_INDEXES, {"seconds": INDEX_WAIT_SECONDS})

    def _prepare_load_lock(self) -> None:
        """MERGE alone may create two lease nodes when two loads take the first lease at
        once; a uniqueness constraint makes it create one."""
        self.write(LOAD_LOCK_CONSTRAINT)

    def close(self) -> None:
        self._driver.close()
