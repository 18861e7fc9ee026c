"""FalkorDB through its native client: the embedded child server or a `falkordb://` server.

Read-only is enforced by the engine (``GRAPH.RO_QUERY`` refuses any write); timeouts are the
engine's own per-query timeout. The Bolt port of FalkorDB is never used (see ENGINE-NOTES).
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import falkordb
import redis
from falkordb.edge import Edge
from falkordb.exceptions import SchemaVersionMismatchException
from falkordb.helpers import stringify_param_value
from falkordb.node import Node
from falkordb.path import Path as GraphPath
from falkordb.query_result import QueryResult as QueryResultParser

from erm_graph import model
from erm_graph.errors import (
    ErmError,
    QueryCancelled,
    QueryError,
    QueryTimeout,
    ReadOnlyError,
    StoreError,
    UniqueViolation,
)
from erm_graph.events import WriteKind, announced
from erm_graph.records import Hex64
from erm_graph.store import head_start
from erm_graph.store.base import RUN_TAG, QueryResult, now_iso
from erm_graph.store.cypher_store import CypherStore
from erm_graph.store.embedded_server import TIMEOUT_MAX_MS, EmbeddedServer
from erm_graph.store.falkordb_bulk import BulkWriter, NotCarried, Send, nodes_token
from erm_graph.store.index_gate import gated_client_kwargs
from erm_graph.store.load_lock import file_lock, file_lock_if_free
from erm_graph.store.node_ids import likely_ids
from erm_graph.store.upsert import NodeUpsert, Payload, match_uids
from erm_graph.store.values import GraphNode, GraphRelationship
from erm_graph.store.values import GraphPath as StorePath
from erm_graph.store.watchdog import Watchdog, overdue_after

GRAPH = "erm"
#: between the graph's name and the pid in the name of a copy (:meth:`frozen_copy`)
_COPY_MARK = ".backup."
#: the embedded engine's load lock, in its data directory
LOAD_LOCK_FILE = "load.lock"

#: A rewrite of the AOF begun during a load (``compact(wait=False)``) is all its end needs
#: unless Cypher changed more than this many things (nodes, relationships, properties) since
#: it began: GRAPH.BULK commands replay quickly (a fraction of a second per million edges),
#: Cypher ones far slower than they ran (figures: docs/scaling.md).
TAIL_CHANGES = 1000

#: Fewest seconds between two restarts of the engine by :meth:`FalkorDBStore.stop_read`: a
#: restart makes everyone's reads wait for it (seconds on a large graph), so stopping queries
#: one after another cannot keep the engine down; a read stopped sooner ends at its timeout.
RESTART_SPACING_SECONDS = 10.0

#: Longest the first query of a new store (does the graph exist?) may take; the engine
#: answered its readiness probe just before, so this only bounds a frozen engine.
FIRST_QUERY_SECONDS = 30.0

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
        if isinstance(value, Hex64):  # hex digits: its JSON is the literal, made at once
            parts.append(f"{name}={value.json()}")
            continue
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
    """The typed error of :mod:`erm_graph.errors` for a reply of the engine: the one place
    FalkorDB's messages are read (callers catch the types)."""
    text = str(exc)
    lowered = text.lower()
    if "unique constraint violation" in lowered:
        return UniqueViolation(f"the engine rejected the query: {text}")
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
    syntax = _SYNTAX.search(text)
    if syntax:
        error = QueryError(f"the query's syntax is wrong: {_plain_syntax(syntax['what'])}")
        error.offset = int(syntax["offset"])
        return error
    error = QueryError(f"the engine rejected the query: {text}")
    named = _NAMED.search(text)
    error.near = (named["name"] or named["var"]) if named else None
    return error


#: the engine's syntax error: what it read, what it expected, and where (an offset in the
#: statement, counted after the ``CYPHER`` header of parameters: checked in tests/test_console.py)
_SYNTAX = re.compile(r"errMsg: (?P<what>.*?) line: \d+, column: \d+, offset: (?P<offset>\d+)",
                     re.S)
#: an error that names the unknown thing but not where it is
_NAMED = re.compile(r"^Unknown function '(?P<name>\w+)'|^'(?P<var>\w+)' not defined")
#: alternatives of "expected ..." shown at most: the end of a query can expect fifty
_EXPECTED_SHOWN = 8


def _runs_tagged(info: Any, tag: str) -> bool:
    """Whether ``GRAPH.INFO`` lists a running or waiting query whose parameters carry
    :data:`RUN_TAG` = ``tag`` (the reply nests lists of name, value pairs)."""
    needle = f'{RUN_TAG}={json.dumps(tag)}'.encode()
    pending = [info]
    while pending:
        value = pending.pop()
        if isinstance(value, list | tuple):
            pending.extend(value)
        elif isinstance(value, bytes | str) and needle in (
                value if isinstance(value, bytes) else value.encode()):
            return True
    return False


def _plain_syntax(what: str) -> str:
    """``Invalid input 'R': expected a label or ')'`` in words: "found 'R' where a label or
    ')' was expected"; a long list of alternatives is cut."""
    found, _, expected = what.partition(": expected ")
    alternatives = [a.strip() for a in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)| or ", expected)
                    if a.strip()]
    if len(alternatives) > _EXPECTED_SHOWN:
        expected = ", ".join(alternatives[:_EXPECTED_SHOWN]) + ", …"
    if found.startswith("Invalid input at end of input"):
        return f"the query ends where {expected} was expected" if expected else found
    read = found.removeprefix("Invalid input ")
    return f"found {read} where {expected} was expected" if expected else found


def _mark(info: str) -> tuple[str, ...]:
    """What changes whenever the server writes anything, from its ``INFO`` text: its run's id
    (a restart) and its count of writes since its last save, which every write moves
    (tests/test_bulk_nodes.py writes between two batches)."""
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return fields["run_id"], fields["rdb_changes_since_last_save"], fields["rdb_last_save_time"]


#: the sections of ``INFO`` that :func:`_mark` reads
_MARKED = ("server", "persistence")


@dataclass
class _KnownUids:
    """Every uid of a key label's nodes, as one upsert's bulk batches left the graph at
    ``mark``: an upsert of new nodes into an empty label knows all of them, as long as
    nothing else wrote."""

    mark: tuple[str, ...]
    uids: set[str]


class _NewNodes:
    """The reads around a bulk creation of nodes with ``uids`` (one batch, by
    :meth:`FalkorDBStore._create_nodes`): called on the watched connection, whether they may
    be created (their labels and property keys are declared, see the bulk module, and no
    ``key`` node holds one of the uids) and the reads to run right after them, in the same
    transaction; then, from their replies, the nodes' ids.

    Whether a uid is stored is known without reading when the label is empty, and, batch
    after batch, as long as the server has written nothing since this writer's last batch
    (:func:`_mark`, read inside that batch's transaction and again under ``WATCH``): then the
    label holds exactly the uids this upsert has sent since it was empty (``_KnownUids``, kept
    by the upsert: ``NodeUpsert.engine_state``).
    Otherwise the uids are looked up.

    The ids are foretold rather than looked up by uid, which costs a third as much: with no
    deleted node's id free for reuse, the engine numbers new nodes on from the count of
    nodes, in row order. The read after them confirms that guess by id seek, uid compared,
    and when it fails (ids of deleted nodes were reused) the ids are looked up instead.
    """

    def __init__(self, store: FalkorDBStore, nodes: NodeUpsert, names: list[str],
                 uids: list[str]):
        self.store, self.nodes, self.names, self.uids = store, nodes, names, uids
        self.key, self.labels = nodes.key, nodes.labels.split(":")
        # the query texts with their parameters, encoded now rather than inside the transaction
        self.header = params_header({"uids": uids})
        self.first = 0  # the id foretold for the first node
        self.known: set[str] | None = None  # every uid of the label before this batch
        #: some property keys are not declared yet (the store declares them, then tries again)
        self.undeclared = False

    def read(self, text: str) -> list[Any]:
        """The command of a read-only query (``text``, parameters included)."""
        return ["GRAPH.RO_QUERY", self.store._graph_name, text, "--compact"]

    def row(self, reply: Any) -> list[Any]:
        """The one row of a read's reply."""
        row: list[Any] = QueryResultParser(self.store._graph, reply).result_set[0]
        return row

    def __call__(self, send: Send) -> list[list[Any]] | None:
        key = self.key
        # how many of the names are declared, how many nodes each label has (-1: not
        # declared), how many nodes there are (the counts are the engine's own); the mark
        stats, info = send(self.read(params_header(
            {"names": self.names, "labels": [key, *self.labels]}) + (
            "CALL db.propertyKeys() YIELD propertyKey WHERE propertyKey IN $names "
            "WITH count(propertyKey) AS keys CALL db.meta.stats() YIELD labels, nodeCount "
            "RETURN keys, [l IN $labels | coalesce(labels[l], -1)], nodeCount")),
            ["INFO", *_MARKED])
        declared, counts, self.first = self.row(stats)
        if -1 in counts:
            return None  # Cypher will declare the labels
        self.undeclared = declared < len(self.names)
        if self.undeclared:
            return None
        last = self.nodes.engine_state
        if isinstance(last, _KnownUids) and last.mark == _mark(info):
            self.known = last.uids
            stored = not self.known.isdisjoint(self.uids)
        elif counts[0] == 0:
            self.known, stored = set(), False
        else:
            self.known = None
            (found,) = send(self.read(self.header + match_uids(key) + "RETURN count(n)"))
            stored = self.row(found)[0] > 0
        if stored:
            raise UniqueViolation(f"a {key} with one of these uids exists already")
        return [self.read(self.header + (
            f"UNWIND range(0, size($uids) - 1) AS k WITH {self.first} + k AS i, $uids[k] AS u "
            f"MATCH (n) WHERE id(n) = i AND n.uid = u RETURN count(n)")), ["INFO", *_MARKED]]

    def done(self, replies: list[Any]) -> Callable[[], list[int | None]]:
        """After the transaction, still alone: note what the graph now holds; how to get the
        new nodes' ids (once the transaction is let go)."""
        confirmed, info = replies
        if self.known is None:
            self.nodes.engine_state = None
        else:
            self.known.update(self.uids)
            self.nodes.engine_state = _KnownUids(_mark(info), self.known)
        if self.row(confirmed)[0] == len(self.uids):
            return lambda: list(range(self.first, self.first + len(self.uids)))
        return self.looked_up

    def looked_up(self) -> list[int | None]:
        """The new nodes' ids read by uid. Sent as the bulk writer's other reads are, not
        through :meth:`FalkorDBStore.run`: ``id()`` is this engine's, which the portable
        statements never use."""
        reply = self.store._db.connection.execute_command(*self.read(
            self.header + f"UNWIND $uids AS u OPTIONAL MATCH (n:{self.key} {{uid: u}}) "
            "RETURN collect(coalesce(id(n), -1))"))
        return [i if i >= 0 else None for i in self.row(reply)[0]]


class FalkorDBStore(CypherStore):
    """A :class:`GraphStore` on FalkorDB."""

    engine = "falkordb"
    #: pid of an embedded server this store found left running by a killed process
    server_left_running: int | None = None

    def __init__(self, *, data_dir: Path | None = None, host: str = "localhost",
                 port: int = 6379, password: str | None = None, graph: str = GRAPH):
        self._server: EmbeddedServer | None = None
        self._graph_name = graph
        #: what Cypher has changed since the last AOF rewrite this store began (see compact)
        self._changes = 0
        self._rewrite_begun = False
        #: new nodes and bare relationships by the bulk protocol: the embedded server only (set
        #: once the engine answers, in :meth:`_open`)
        self._bulk: BulkWriter | None = None
        self._watchdog = Watchdog(self._overdue)
        #: tags of reads :meth:`stop_read` ended by restarting the server: not sent again
        self._stopped: set[str] = set()
        self._stopping = threading.Lock()
        self._restarted_at = float("-inf")  # monotonic time of the last stop
        self._answered_ping = False  # what the engine did when the watchdog last fired
        connect: Callable[[], falkordb.FalkorDB]
        if data_dir is not None:
            self.engine = "embedded"
            server = self._server = head_start.claim(data_dir)  # acquired
            self.server_left_running = server.left_running
            self.location = str(server.data_dir)
            gate = gated_client_kwargs(str(server.socket),
                                       read_before_indexes=server.read_before_indexes)
            connect = lambda: falkordb.FalkorDB(**gate)  # noqa: E731
        else:
            self.location = f"falkordb://{host}:{port}/{graph}"
            connect = lambda: falkordb.FalkorDB(host=host, port=port,  # noqa: E731
                                                password=password)
        try:
            self._open(connect)
        except BaseException:
            self.close()  # a store that failed to open must not keep the server up
            raise

    def _open(self, connect: Callable[[], falkordb.FalkorDB]) -> None:
        """Connect (the client asks the server at once) and :meth:`_create_graph`, within
        FIRST_QUERY_SECONDS. An engine that answered its readiness probe but not these first
        commands (seen once: every test of a run then waited out its timeout) is stopped by
        the watchdog; ours is started again and asked once more."""
        for attempt in range(2):
            with self._watchdog.watch(FIRST_QUERY_SECONDS) as watch:
                try:
                    self._db = connect()
                    self._graph = self._db.select_graph(self._graph_name)
                    self._create_graph()
                    if self._server is not None:
                        self._bulk = BulkWriter(self._db.connection, self._graph_name)
                    return
                except redis.ConnectionError as exc:
                    if not watch.fired:
                        raise self._unreachable(exc) from None
                except StoreError:
                    if not watch.fired:
                        raise
            if self._server is None or attempt:
                break
            self._server.ensure_running()
        again = "" if self._server is None else " twice, after a restart"
        raise StoreError(f"the engine at {self.location} did not answer its first commands "
                         f"within {FIRST_QUERY_SECONDS:g} s{again}")

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
        the empty graph and nothing before it (a wait of a tick or two: the server notices the
        end of its rewrite on its 10 Hz timer); this also covers a crash between the delete and the
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

    @contextmanager
    def _reached(self) -> Iterator[None]:
        """Commands sent on the bare connection, outside :meth:`_execute`: a lost engine is
        the store's error, not the client library's."""
        try:
            yield
        except redis.ConnectionError as exc:
            raise self._unreachable(exc) from None

    # -- execution -------------------------------------------------------------------------------
    def _execute(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        try:
            return self._watched(cypher, params, read_only, timeout)
        except redis.ConnectionError:
            tag = params.get(RUN_TAG)
            if tag is not None and tag in self._stopped:
                self._stopped.discard(tag)
                raise QueryCancelled("the query was stopped before it answered") from None
            # Only reads are retried; a write may or may not have been applied before the crash.
            self._recover(read_only)
            return self._watched(cypher, params, read_only, timeout)

    def stop_read(self, tag: str) -> bool:
        """End the read tagged ``tag`` by restarting the embedded server.

        FalkorDB 4.16 has no command that stops one query (an abort command is an open request
        upstream), and a client that disconnects or is killed leaves its query running to its
        timeout on one of the engine's threads (two such queries hold both, and a ``RETURN 1``
        waits until one ends). So the server, which only the embedded engine runs here, is
        killed as the watchdog kills it for an overdue query and started again from its AOF,
        which holds every acknowledged write (``appendfsync always``); the reads other callers
        had in flight are sent again by their stores (:meth:`_execute`). Nothing is done while
        the engine runs anything but reads (a write, a bulk load, a copy for a backup: their
        clients wait on another command) or while a load holds the load lock (between its
        batches), so no write is cut off, nor within :data:`RESTART_SPACING_SECONDS` of the
        last restart: the query then ends at its timeout. A server we do not run is never
        restarted."""
        if self._server is None:
            return False
        with self._stopping, file_lock_if_free(self._server.data_dir / LOAD_LOCK_FILE) as free:
            if not free:  # a load is under way: between its batches no client waits
                return False
            if time.monotonic() - self._restarted_at < RESTART_SPACING_SECONDS:
                return False
            try:
                conn = self._db.connection
                if not _runs_tagged(conn.execute_command("GRAPH.INFO"), tag):
                    return False
                busy = [c for c in conn.client_list() if "b" in c.get("flags", "")
                        and c.get("cmd", "").lower() != "graph.ro_query"]
            except (redis.ConnectionError, redis.ResponseError):
                return False
            if busy:
                return False
            self._stopped.add(tag)
            self._server.kill()
            self._server.ensure_running()
            conn.connection_pool.reset()
            self._restarted_at = time.monotonic()
        return True

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
            self._answered_ping = self._server.probe() == "ready"
            self._server.kill()
        if hasattr(self, "_db"):  # not while the store's first connection is being made
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
                # the client's frame that raised it holds it: a cycle, which a load (its
                # collector paused) would keep with every caller's frame, rows and all
                exc.__traceback__ = None
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
            self.write("CREATE (n) SET n += $keys DELETE n", {"keys": dict.fromkeys(new, 0)})
        if rel_type and [rel_type] not in self.run("CALL db.relationshipTypes()").rows:
            self.write(f"CREATE (a)-[r:{rel_type}]->(b) DELETE r, a, b")

    # -- bulk nodes and relationships -------------------------------------------------------------
    _ids_of_created = " RETURN collect(id(n))"

    def _create_nodes(self, nodes: NodeUpsert, payload: Payload, rows: list[list[Any]]
                      ) -> dict[str, int | None]:
        """New nodes through ``GRAPH.BULK`` by the embedded server's
        :class:`~erm_graph.store.falkordb_bulk.BulkWriter` (its module says why it is safe and
        what it cannot carry), which spares the engine reading the rows as Cypher parameters
        (figures: docs/scaling.md).

        Only on the embedded server; on any other server, for values the protocol cannot
        carry, or when other writers keep changing the graph, the portable Cypher does it.
        """
        if self._bulk is not None and rows:
            labels = nodes.labels.split(":")
            try:
                token, names = self._nodes_token(labels, payload, rows, now_iso())
            except NotCarried:
                return super()._create_nodes(nodes, payload, rows)
            uids = [r[0] for r in rows]
            ready = _NewNodes(self, nodes, names, uids)
            try:
                ids = self._bulk.create_nodes(token, len(rows), ready, ready.done)
                if ids is None and ready.undeclared:
                    self._declare(set(names))
                    ids = self._bulk.create_nodes(token, len(rows), ready, ready.done)
                if ids is not None:
                    return dict(zip(uids, ids(), strict=True))
            except redis.ConnectionError:
                self._recover(read_only=False)  # raises: a write is never retried blindly
            except redis.ResponseError as exc:
                raise _translate(exc, False) from None
        return super()._create_nodes(nodes, payload, rows)

    @staticmethod
    def _nodes_token(labels: list[str], payload: Payload, rows: list[list[Any]], now: str
                     ) -> tuple[bytes, list[str]]:
        """The ``GRAPH.BULK`` token of ``rows`` (``payload``'s layout) and the names of the
        properties it writes: those a Cypher ``CREATE`` of :class:`NodeUpsert` writes, the
        ``others`` map flattened. Raises :class:`NotCarried`."""
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        names = ["uid", "content_hash", *payload.columns]
        if payload.others:
            maps = columns.pop()
            others = sorted(set().union(*maps))
            if not all(_IDENTIFIER.fullmatch(k) for k in others):
                raise NotCarried("a property name is not a plain identifier")
            names += others
            columns += [[m.get(k) for m in maps] for k in others]
        same = {"created_at": now, "updated_at": now}
        return nodes_token(labels, same, names, columns), [*same, *names]

    def _create_bare(self, rel_type: str, start: str, end: str,
                     pairs: Sequence[Sequence[str]],
                     new_ids: tuple[Mapping[str, int | None], Mapping[str, int | None]],
                     ) -> int:
        """New relationships without properties through ``GRAPH.BULK`` by the embedded
        server's :class:`~erm_graph.store.falkordb_bulk.BulkWriter` (its module says why it is
        safe): with the reads of node ids it needs, it creates them between two and three
        times as fast as Cypher does (figures: docs/scaling.md).

        Only on the embedded server, whose engine version we ship; on any other server, or
        when other writers keep changing the graph, the portable Cypher does it.
        """
        if self._bulk is not None and pairs:
            starts, ends = zip(*pairs, strict=True)
            # worked out before the transaction, while another chunk may hold it
            reads = (self._id_reads(start, starts, new_ids[0]),
                     self._id_reads(end, ends, new_ids[1]))
            try:
                made = self._bulk.create_edges(rel_type, starts, ends, reads)
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
        compared (a third of the cost of a uid index lookup); the others are looked
        up. Uids and ids travel as two flat lists: a list of pairs cost the engine twice as
        much to read.
        """
        distinct = list(dict.fromkeys(uids))
        reported_ids = likely_ids(reported, distinct)  # each confirmed below
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
                self.write(f"CREATE INDEX FOR (n:{name}) ON (n.uid)")
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

    def _texts_param(self, texts: Sequence[str]) -> Sequence[str]:
        # a column of fingerprints goes as it is: params_header writes its JSON at once
        return texts if isinstance(texts, Hex64) else list(texts)

    # -- life ------------------------------------------------------------------------------------
    def load_lock(self) -> AbstractContextManager[None]:
        if self._server is None:
            return super().load_lock()
        return file_lock(self._server.data_dir / LOAD_LOCK_FILE)

    def change_stamp(self) -> tuple[Any, ...] | None:
        """A value that changes whenever the engine's data does, whichever process writes
        (the server's count of changes since its last save, that save's time and the
        append-only file's size), in one round trip; None when the server will not tell.
        For a caller that keeps answers between requests (erm_graph/query/result_cache.py)."""
        try:
            info = self._db.connection.info("persistence")
        except redis.RedisError:
            return None
        return (info.get("rdb_last_save_time"), info.get("rdb_changes_since_last_save"),
                info.get("aof_current_size"))

    def compact(self, *, wait: bool = True) -> None:
        """Rewrite the AOF as a snapshot: replaying a big load's AOF is far slower than it.

        The rewrite runs in the server's own child process. ``wait=False`` begins it and
        returns, so that a load goes on writing its relationships meanwhile (the rewrite's
        time is hidden behind them); the next call then waits for it, and rewrites again only
        when Cypher changed more than ``TAIL_CHANGES`` things since it began.
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
        """Begin a rewrite of the AOF as a snapshot of the data as it is now.

        A rewrite under way may predate what must be in it: it is waited for, and this one
        begun after it. Another client may begin one in between (loads started at once into
        a new library each begin one as they make the graph): the engine refuses this one
        as "already in progress", and it is waited for too."""
        while True:
            self._await_rewrite(conn)
            try:
                conn.bgrewriteaof()
                break
            except redis.ResponseError as exc:
                if "already in progress" not in str(exc):
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

    @contextmanager
    def frozen_copy(self) -> Iterator[FalkorDBStore]:
        """A read-only view of the graph as it is now, while writers go on (for a backup).

        ``GRAPH.COPY`` forks the server: the child encodes the graph as it was at the fork, the
        server decodes that into a new key, and the source takes reads and writes throughout
        (docs/scaling.md gives the measured copy time). Loads wait for the load lock during the
        copy only, not while the view is read. The copy is deleted afterwards; its
        ``GRAPH.RESTORE`` and ``GRAPH.DELETE`` would stay in the AOF, so on the embedded server
        the AOF is rewritten.
        A copy left by a process that died meanwhile is deleted by the next one.
        """
        conn = self._db.connection
        name = f"{self._graph_name}{_COPY_MARK}{os.getpid()}.{uuid.uuid4().hex[:8]}"
        # FalkorDB 4.16 stops answering anyone, for good, when GRAPH.COPY starts while the
        # server rewrites its AOF (both need the one forked child): so no copy starts before a
        # rewrite has ended, and under the load lock no load begins one meanwhile; the rewrite
        # after the copy ends before the lock is let go, so backups in a row are safe too.
        with self.load_lock(), self._reached():
            self._delete_stale_copies(conn)
            self._await_rewrite(conn)
            if self._server is not None:
                # Our server starts with its indexes built in the background, and that setting
                # also applies to the copy's decoding, where FalkorDB 4.16 then crashed now and
                # then (a null label matrix) on a copy made just after a start. Past its own
                # start the server decodes nothing else, so the setting can go.
                conn.execute_command("GRAPH.CONFIG", "SET", "DELAY_INDEXING", "no")
            try:
                conn.execute_command("GRAPH.COPY", self._graph_name, name)
            except redis.ResponseError as exc:
                raise _translate(exc, True) from None
        view = copy.copy(self)
        view._graph_name, view._graph = name, self._db.select_graph(name)
        try:
            yield view
        finally:
            with self.load_lock(), self._reached():
                conn.execute_command("GRAPH.DELETE", name)
                if self._server is not None:
                    self._rewrite_aof(conn)

    def _delete_stale_copies(self, conn: Any) -> None:
        """Delete copies whose process is gone (only the embedded server's: same machine)."""
        if self._server is None:
            return
        for graph in self._db.list_graphs():
            head, mark, tail = str(graph).partition(_COPY_MARK)
            pid = tail.partition(".")[0]
            if mark and head == self._graph_name and pid.isdigit() \
                    and not Path(f"/proc/{pid}").exists():
                conn.execute_command("GRAPH.DELETE", graph)

    @announced(WriteKind.RESET)
    def clear(self) -> None:
        """Drop the whole graph; the schema is recreated by the next ensure_schema()."""
        try:
            self._graph.delete()
        except redis.ResponseError as exc:
            if "empty key" not in str(exc).lower() and "invalid graph" not in str(exc).lower():
                raise _translate(exc, False) from None
        self._create_graph(rewrite=True)

    def close(self) -> None:
        self._watchdog.stop()
        try:
            if hasattr(self, "_db"):  # a store whose first connection failed has none
                self._db.connection.close()
        finally:
            if self._server is not None:
                self._server.release()
                self._server = None

