"""FalkorDB through its native client: the embedded child server or a `falkordb://` server.

Read-only is enforced by the engine (``GRAPH.RO_QUERY`` refuses any write); timeouts are the
engine's own per-query timeout. The Bolt port of FalkorDB is never used (see ENGINE-NOTES).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import falkordb
import redis
from falkordb.edge import Edge
from falkordb.exceptions import SchemaVersionMismatchException
from falkordb.helpers import stringify_param_value
from falkordb.node import Node
from falkordb.path import Path as GraphPath
from falkordb.query_result import QueryResult as QueryResultParser

from erm_graph import model
from erm_graph.errors import ErmError, QueryError, QueryTimeout, ReadOnlyError, StoreError
from erm_graph.store import falkordb_bulk
from erm_graph.store.base import CypherStore, QueryResult
from erm_graph.store.embedded_server import (
    AOF_DIR,
    TIMEOUT_MAX_MS,
    EmbeddedServer,
    _binaries,
)
from erm_graph.store.load_lock import file_lock
from erm_graph.store.values import GraphNode, GraphRelationship
from erm_graph.store.values import GraphPath as StorePath
from erm_graph.store.watchdog import Watchdog, overdue_after

GRAPH = "erm"
#: the embedded engine's load lock, in its data directory
LOAD_LOCK_FILE = "load.lock"

#: A rewrite of the AOF begun during a load (``compact(wait=False)``) is all its end needs
#: unless Cypher changed more than this many things (nodes, relationships, properties) since
#: it began: GRAPH.BULK commands replay quickly (2M edges added 0.5 s to a restart), Cypher
#: ones far slower than they ran.
TAIL_CHANGES = 1000

#: How long one query is sent again while the engine refuses its schema version (see
#: ``_reply``): each new label, type or key of another writer refuses it once more, and
#: ``ensure_schema`` on a new graph adds 22 labels one query after another.
SCHEMA_SECONDS = 10.0


def to_python(value: Any) -> Any:
    """Nodes, relationships and paths as plain dicts/lists, the same shape on every engine."""
    if isinstance(value, Node):
        return GraphNode(value.id, value.labels or [], to_python(value.properties))
    if isinstance(value, Edge):
        return GraphRelationship(value.id, value.relation, value.src_node, value.dest_node,
                                 to_python(value.properties))
    if isinstance(value, GraphPath):
        return StorePath([to_python(n) for n in value.nodes()],
                         [to_python(e) for e in value.edges()])
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _map_keys(value: Any, keys: set[str]) -> set[str]:
    if isinstance(value, dict):
        keys.update(value)
        for v in value.values():
            if isinstance(v, dict | list):
                _map_keys(v, keys)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                _map_keys(v, keys)
    return keys


def params_header(params: Mapping[str, Any]) -> str:
    """The ``CYPHER k=v ...`` prefix that carries parameters, built by the C JSON encoder.

    The client's own encoder walks every value in Python and costs more than the engine's
    work on a load. JSON is Cypher's literal syntax except for map keys, which are rewritten
    from ``{"key":`` / ``,"key":`` to ``{key:`` / ``,key:``. Inside a JSON string every quote
    is escaped, so those sequences only ever occur as keys and the rewrite cannot touch a
    value. Values that JSON would escape as ``\\uXXXX`` (control characters) and maps whose
    keys are not plain identifiers go through the client's own encoder instead.
    """
    if not params:
        return ""
    parts = []
    for name, value in params.items():
        if not _IDENTIFIER.fullmatch(name):
            raise ErmError(f"parameter name {name[:100]!r} is not a plain name: use letters, "
                           "digits and _")
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=False)
        except ValueError:
            raise ErmError(f"parameter ${name} holds NaN or infinity, which the graph engine "
                           "cannot store") from None
        keys = _map_keys(value, set()) if "{" in text else set()  # no maps, no keys
        if "\\u0000" in text:
            # the engine's parameter parser cannot hold a NUL: refuse it as bad input
            raise ErmError(f"parameter ${name} contains a NUL character, which the graph "
                           "engine cannot store")
        if "\\u" in text or not all(_IDENTIFIER.fullmatch(k) for k in keys):
            try:
                text = stringify_param_value(value)
            except ValueError as exc:  # a map key that is empty or holds a backtick
                raise ErmError(f"parameter ${name} cannot be sent to the graph engine: "
                               f"{exc}") from None
        else:
            for key in keys:
                text = text.replace(f'{{"{key}":', f"{{{key}:").replace(f',"{key}":', f",{key}:")
        parts.append(f"{name}={text}")
    return "CYPHER " + " ".join(parts) + " "


def _translate(exc: redis.ResponseError, read_only: bool) -> StoreError:
    text = str(exc)
    lowered = text.lower()
    if "read-only" in lowered or "ro_query" in lowered:
        return ReadOnlyError("this query writes to the graph but was run read-only; "
                             "writes need --write (CLI) or read_only=False (Python)")
    if "timed out" in lowered:
        return QueryTimeout("the query ran past its timeout and was stopped"
                            + ("" if read_only else "; nothing of it was written"))
    if "misconf" in lowered or "no space" in lowered or "aof" in lowered:
        return StoreError(f"the engine cannot write its append-only file (is the disk full?): "
                          f"{text}")
    if lowered.startswith("oom ") or "maxmemory" in lowered or "unknown command" in lowered:
        return StoreError(f"the engine cannot serve queries: {text}")
    return QueryError(f"the engine rejected the query: {text}")


class FalkorDBStore(CypherStore):
    """A :class:`GraphStore` on FalkorDB."""

    engine = "falkordb"
    #: pid of an embedded server this store found left running by a killed process
    server_left_running: int | None = None

    def __init__(self, *, data_dir: Path | None = None, host: str = "localhost",
                 port: int = 6379, password: str | None = None, graph: str = GRAPH):
        self._server: EmbeddedServer | None = None
        if data_dir is not None:
            self.engine = "embedded"
            self._server = EmbeddedServer(data_dir)
            self._server.acquire()
            self.server_left_running = self._server.left_running
            self.location = str(self._server.data_dir)
            self._db = falkordb.FalkorDB(unix_socket_path=str(self._server.socket))
        else:
            self.location = f"falkordb://{host}:{port}/{graph}"
            try:  # the client connects at once
                self._db = falkordb.FalkorDB(host=host, port=port, password=password)
            except redis.ConnectionError as exc:
                raise self._unreachable(exc) from None
        self._graph = self._db.select_graph(graph)
        self._graph_name = graph
        #: what Cypher has changed since the last AOF rewrite this store began (see compact)
        self._changes = 0
        self._rewrite_begun = False
        # one bulk transaction at a time: two would keep making each other's EXEC refuse
        self._bulk_lock = threading.Lock()
        self._watchdog = Watchdog(self._overdue)
        self._answered_ping = False  # what the engine did when the watchdog last fired
        try:
            self._create_graph()
        except BaseException:
            self.close()  # a store that failed to open must not keep the server up
            raise

    def _create_graph(self, *, rewrite: bool = False) -> None:
        """Reads on a graph key that does not exist yet fail, so make it exist (it is cheap).

        On the embedded server a new graph also starts a new append-only file, so that no
        restart ever replays a ``GRAPH.DELETE``. FalkorDB 4.16 rebuilds the constraints of a
        graph it replays and appends their ``GRAPH.CONSTRAINT CREATE`` to the AOF once the
        replay ends, even when the replay went on to delete that graph: the live server
        ignores them, the next replay runs them after the delete and so creates labels (and
        the ``uid`` key) that the live graph never had, in another order. Writes reach the AOF
        as effects, which name labels, types and keys by their ids: after
        ``load; reset; load`` a restart read the Steps as Cases. Rewritten here, the AOF holds
        the empty graph and nothing before it (0.1-0.2 s: the server notices the end of its
        rewrite on its 10 Hz timer); this also covers a crash between the delete and the
        rewrite, as the next open finds no graph.
        ``rewrite`` rewrites even when the graph exists (another client may have written
        between a delete and this call).
        """
        try:
            if self._graph_name in self._db.list_graphs():
                if not rewrite:
                    return
            else:
                self._graph.query("RETURN 1")
        except redis.ResponseError as exc:
            raise _translate(exc, False) from None
        except redis.ConnectionError as exc:
            raise self._unreachable(exc) from None
        if self._server is not None:
            self._rewrite_aof(self._db.connection)

    def _unreachable(self, exc: redis.ConnectionError) -> StoreError:
        return StoreError(f"cannot reach the engine at {self.location}: {exc}")

    # -- execution -------------------------------------------------------------------------------
    def _execute(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        try:
            return self._watched(cypher, params, read_only, timeout)
        except redis.ConnectionError:
            # Only reads are retried; a write may or may not have been applied before the crash.
            self._recover(read_only)
            return self._watched(cypher, params, read_only, timeout)

    def _watched(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        """:meth:`_once` under the watchdog: a query unanswered long after its timeout (the
        embedded engine's default when it states none) is interrupted (see :mod:`watchdog`)."""
        limit = timeout if timeout is not None else (
            TIMEOUT_MAX_MS / 1000 if self._server is not None else None)
        if limit is None:  # a server we do not run may allow any time
            return self._once(cypher, params, read_only, timeout)
        with self._watchdog.watch(overdue_after(limit)) as watch:
            try:
                return self._once(cypher, params, read_only, timeout)
            except redis.ConnectionError:
                if not watch.fired:
                    raise
        raise self._interrupted(limit, read_only)

    def _overdue(self) -> None:
        """On the watchdog's thread: stop the engine that holds an overdue query (ours), or
        let go of a server we do not run; the blocked call then fails and is reported."""
        if self._server is not None:
            self._answered_ping = self._server._probe() == "ready"
            self._server.kill()
        self._db.connection.connection_pool.disconnect()

    def _interrupted(self, limit: float, read_only: bool) -> QueryTimeout:
        waited = f"{overdue_after(limit):.0f} s, past its timeout of {limit:g} s"
        written = "" if read_only else " (a write may or may not have been applied)"
        if self._server is None:
            return QueryTimeout(f"{self.location} did not answer the query within {waited}; "
                                f"the connection was dropped, the server may still be "
                                f"running it{written}")
        state = ("kept running the query" if self._answered_ping else "stopped answering")
        self._server.ensure_running()
        self._db.connection.connection_pool.reset()
        return QueryTimeout(f"the embedded engine {state} for {waited}: it was restarted "
                            f"and the query interrupted{written}")

    def _recover(self, read_only: bool) -> None:
        """After a lost connection: restart the embedded server from its AOF (crash, kill -9).
        Raises :class:`StoreError` for a write, which may or may not have been applied, and
        for a server we do not run."""
        if self._server is None:
            raise StoreError(f"lost the connection to {self.location}") from None
        self._server.ensure_running()
        self._db.connection.connection_pool.reset()
        if not read_only:
            raise StoreError("the embedded server stopped during a write and was "
                             "restarted; run the write again (upserts are idempotent)") from None

    def _once(self, cypher: str, params: Mapping[str, Any], read_only: bool,
              timeout: float | None, conn: Any = None) -> QueryResult:
        """Run one statement on ``conn`` (by default the store's connection; a bulk write
        reads on its watched pipeline)."""
        conn = conn or self._db.connection
        command: list[Any] = ["GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY",
                              self._graph_name, params_header(params) + cypher, "--compact"]
        if timeout is not None:
            command += ["timeout", max(1, int(timeout * 1000))]
        try:
            try:
                res = self._reply(conn, command)
            except redis.ResponseError as exc:
                if "empty key" not in str(exc):
                    raise
                # the graph key is gone (never written, or cleared): recreate it and retry
                self._create_graph()
                res = self._reply(conn, command)
        except redis.ResponseError as exc:
            raise _translate(exc, read_only) from None
        if not read_only:  # two threads may add at once: a lost count only means a guess
            self._changes += (res.nodes_created + res.relationships_created + res.nodes_deleted
                              + res.relationships_deleted + res.properties_set)
        columns = [h[1] if isinstance(h, list | tuple) else h for h in (res.header or [])]
        rows = [[to_python(v) for v in row] for row in res.result_set]
        return QueryResult([str(c) for c in columns], rows, {
            "nodes_created": res.nodes_created, "relationships_created":
            res.relationships_created, "properties_set": res.properties_set,
            "nodes_deleted": res.nodes_deleted})

    def _reply(self, conn: Any, command: list[Any]) -> QueryResultParser:
        """Send ``command`` with the schema version this client knows, and parse the reply.

        In compact replies nodes and relationships name their labels, type and property keys
        by the engine's ids, which the client turns into names from a cache. The ids of a
        graph that was deleted and written again (``erm reset`` in another process) mean other
        names, so a cache that is never dropped gave a long-lived client (the web app) nodes
        under the wrong labels. The engine refuses, unrun, a query whose version is not the
        graph's, which changes with every new label, type or key and starts at 0 on an empty
        graph: the cache is then read again and the query sent again.
        """
        schema = self._graph.schema
        deadline = time.monotonic() + SCHEMA_SECONDS
        while time.monotonic() < deadline:
            try:
                return QueryResultParser(
                    self._graph, conn.execute_command(*command, "version", schema.version))
            except SchemaVersionMismatchException as exc:
                schema.refresh(exc.version)
        raise StoreError("the graph's labels and keys kept changing while the query was "
                         "sent; run it again")

    # -- new property keys -----------------------------------------------------------------------
    def _declare(self, keys: set[str], rel_type: str | None = None) -> None:
        """Create the property keys (and the relationship type) that a load's batches use,
        in one query of its own, before the batches run two at a time.

        FalkorDB records a new key (or type) in the AOF with the effects of the query that
        planned it first. Two batches are planned together: when the one that did not declare
        the key commits first, its effects reach the AOF before the key's declaration, and a
        restart from that AOF shifts the keys: the crash tests found `batch` holding the
        amounts and `kind` the batch numbers, on about 1 load in 50 (on the commit before
        this change too). Declared here, by a query that runs alone, no batch declares any.
        The names travel as the keys of a parameter map, never in the query text.
        """
        known = {row[0] for row in self.run("CALL db.propertyKeys()").rows}
        new = sorted(keys - known)
        if new:
            self.run("CREATE (n) SET n += $keys DELETE n", {"keys": dict.fromkeys(new, 0)},
                     read_only=False)
        if rel_type and [rel_type] not in self.run("CALL db.relationshipTypes()").rows:
            self.run(f"CREATE (a)-[r:{rel_type}]->(b) DELETE r, a, b", read_only=False)

    # -- bulk relationships ------------------------------------------------------------------------
    _ids_of_created = " RETURN collect(id(n))"

    def _create_bare(self, rel_type: str, start: str, end: str,
                     pairs: Sequence[Sequence[str]],
                     new_ids: tuple[Mapping[str, int | None], Mapping[str, int | None]],
                     ) -> int:
        """New relationships without properties through ``GRAPH.BULK`` (see
        :mod:`falkordb_bulk`, which says why it is safe): with the reads of node ids it needs,
        a type of 1M new relationships took 2.2 s in a load, against 5.4 to 6.6 s by Cypher.

        Only on the embedded server, whose engine version we ship; on any other server, or
        when other writers keep changing the graph, the portable Cypher does it.
        """
        if self._server is not None and pairs:
            starts, ends = zip(*pairs, strict=True)
            # worked out before the transaction, while another chunk may hold it
            reads = (self._id_reads(start, starts, new_ids[0]),
                     self._id_reads(end, ends, new_ids[1]))
            try:
                with self._bulk_lock:
                    made = falkordb_bulk.create_edges(
                        self._db.connection, self._graph_name, rel_type, starts, ends, reads)
            except redis.ConnectionError:
                self._recover(read_only=False)  # raises: a write is never retried blindly
            except redis.ResponseError as exc:
                raise _translate(exc, False) from None
            if made is not None:
                return made
        return super()._create_bare(rel_type, start, end, pairs, new_ids)

    def _id_reads(self, key: str, uids: Sequence[str], reported: Mapping[str, int | None]
                  ) -> Callable[[Any], dict[str, int]]:
        """How to read {uid: internal node id} of the ``key`` nodes with these uids on a
        connection (a watched pipeline).

        Ids a CREATE of this load ``reported`` are only confirmed, by id seek with the uid
        compared (0.9 s per 1M nodes, a third of a uid index lookup); the others are looked
        up. Uids and ids travel as two flat lists: a list of pairs cost the engine twice as
        much to read.
        """
        distinct = list(dict.fromkeys(uids))
        known = list(map(reported.get, distinct))
        reported_ids: dict[str, int] = (
            {u: i for u, i in zip(distinct, known, strict=True) if i is not None} if None in known
            else cast("dict[str, int]", dict(zip(distinct, known, strict=True))))
        # the query text with its parameters, encoded now rather than inside the transaction
        confirm = params_header({"ids": list(reported_ids.values()), "uids": list(reported_ids)}
                                ) + (f"UNWIND range(0, size($ids) - 1) AS k WITH k, $ids[k] AS i "
                                     f"MATCH (n) WHERE id(n) = i AND n:{key} "
                                     f"AND n.uid = $uids[k] RETURN count(n)")

        def read(conn: Any) -> dict[str, int]:
            trusted = reported_ids
            if trusted and self._read_on(conn, confirm, {}) != len(trusted):
                trusted = {}  # one was deleted or changed meanwhile: look all up
            rest = ([u for u in distinct if u not in trusted]
                    if len(trusted) < len(distinct) else [])
            if not rest:
                return trusted
            found = self._read_on(conn, f"UNWIND $uids AS u OPTIONAL MATCH (n:{key} {{uid: u}}) "
                                        f"RETURN collect(coalesce(id(n), -1))", {"uids": rest})
            return trusted | {u: i for u, i in zip(rest, found, strict=True) if i >= 0}

        return read

    def _read_on(self, conn: Any, cypher: str, params: Mapping[str, Any]) -> Any:
        """The one value a read-only query returns, run on ``conn`` (a watched pipeline)."""
        return self._once(cypher, params, True, None, conn).rows[0][0]

    # -- schema ----------------------------------------------------------------------------------
    def _indexed(self) -> set[tuple[str, str]]:
        """(label, property) pairs that already have a range index."""
        rows = self.run("CALL db.indexes() YIELD label, properties, types "
                        "RETURN label, properties, types").rows
        found = set()
        for lab, props, types in rows:
            for prop in props:
                kinds = types.get(prop, []) if isinstance(types, dict) else types
                if "RANGE" in [str(k).upper() for k in kinds]:
                    found.add((lab, prop))
        return found

    def ensure_schema(self) -> None:
        """A uid index on every label; a unique constraint on every key label.

        FalkorDB has no ``IF NOT EXISTS`` and errors on a duplicate index, so existing ones are
        read first. The constraint is built in the background; it needs the index first.

        The key labels are indexed first, in the constraints' order, so that labels get the
        same ids here as in a replay that runs stray constraint commands of a deleted graph
        before this (see :meth:`_create_graph`): the rewrite at a new graph's start cannot
        stop the server appending them after it when their background build ends late (seen
        once under load: Departments replayed as Products).
        """
        have = self._indexed()
        key_first = [*model.KEY_LABELS, *(n for n in model.LABELS if n not in model.KEY_LABELS)]
        for name in key_first:
            if (name, "uid") not in have:
                self.run(f"CREATE INDEX FOR (n:{name}) ON (n.uid)", read_only=False)
        constrained = {row[1] for row in self.run(
            "CALL db.constraints() YIELD type, label RETURN type, label").rows
            if row[0] == "UNIQUE"}
        for name in model.KEY_LABELS:
            if name not in constrained:
                try:
                    self._db.connection.execute_command(
                        "GRAPH.CONSTRAINT", "CREATE", self._graph_name, "UNIQUE", "NODE", name,
                        "PROPERTIES", 1, "uid")
                except redis.ResponseError as exc:
                    if "already exists" not in str(exc).lower():
                        raise _translate(exc, False) from None

    def _uid_is_enforced(self, label: str) -> bool:
        """The unique constraint is OPERATIONAL: after a restart it is rebuilt in the
        background (UNDER CONSTRUCTION), and until then it may let a duplicate through."""
        return [label, "OPERATIONAL"] in self.run(
            "CALL db.constraints() YIELD type, label, status WHERE type = 'UNIQUE' "
            "RETURN label, status").rows

    # -- life ------------------------------------------------------------------------------------
    def load_lock(self) -> AbstractContextManager[None]:
        if self._server is None:
            return super().load_lock()
        return file_lock(self._server.data_dir / LOAD_LOCK_FILE)

    def compact(self, *, wait: bool = True) -> None:
        """Rewrite the AOF as a snapshot: replaying a big load's AOF is ~100x slower than it.

        The rewrite runs in the server's own child process. ``wait=False`` begins it and
        returns, so that a load goes on writing its relationships meanwhile (1.2 s less in a
        1M-row load); the next call then waits for it, and rewrites again only when Cypher
        changed more than ``TAIL_CHANGES`` things since it began.
        """
        if self._server is None:
            return
        conn = self._db.connection
        if not self._rewrite_begun or self._changes > TAIL_CHANGES:
            self._rewrite_aof(conn, wait=False)
        self._rewrite_begun = not wait
        if wait:
            self._await_rewrite(conn)

    def _rewrite_aof(self, conn: Any, *, wait: bool = True) -> None:
        """Begin a rewrite of the AOF as a snapshot of the data as it is now."""
        self._await_rewrite(conn)  # one under way may predate what must be in it
        try:
            conn.bgrewriteaof()
        except redis.ResponseError as exc:
            raise _translate(exc, False) from None
        self._changes = 0
        if wait:
            self._await_rewrite(conn)

    @staticmethod
    def _await_rewrite(conn: Any) -> None:
        pause = 0.005  # the server sees a rewrite end on its 10 Hz timer: poll finer than that
        while True:
            info = conn.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get(
                    "aof_rewrite_scheduled"):
                return
            time.sleep(pause)
            pause = min(2 * pause, 0.05)

    def clear(self) -> None:
        """Drop the whole graph; the schema is recreated by the next ensure_schema()."""
        try:
            self._graph.delete()
        except redis.ResponseError as exc:
            if "empty key" not in str(exc).lower() and "invalid graph" not in str(exc).lower():
                raise _translate(exc, False) from None
        self._create_graph(rewrite=True)

    def close(self) -> None:
        try:
            self._db.connection.close()
        finally:
            if self._server is not None:
                self._server.release()
                self._server = None


def repair_aof(data_dir: Path) -> str:
    """Run redis-check-aof --fix on the embedded AOF (the server binary doubles as the tool)."""
    server, _ = _binaries()
    aof_dir = Path(data_dir).expanduser().resolve() / AOF_DIR
    manifests = sorted(aof_dir.glob("*.manifest"))
    if not manifests:
        raise StoreError(f"no append-only file to repair in {aof_dir}")
    done = subprocess.run(["redis-check-aof", "--fix", str(manifests[0])], executable=server,
                          input="y\n", capture_output=True, text=True, cwd=aof_dir)
    if done.returncode != 0:
        raise StoreError(f"redis-check-aof could not repair {aof_dir}:\n{done.stdout}"
                         f"{done.stderr}")
    return done.stdout
