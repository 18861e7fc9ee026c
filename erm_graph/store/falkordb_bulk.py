"""New relationships and nodes through FalkorDB's bulk protocol (``GRAPH.BULK``), safely.

Why: creating a relationship with Cypher costs the engine two uid index lookups and an
edge insert per row; ``GRAPH.BULK`` inserts edges from pairs of node ids, at a small
fraction of that cost. It is the protocol of falkordb-bulk-loader, and without its ``BEGIN``
token it adds to an existing graph.

The catch: the protocol trusts the ids it is given. It checks nothing, so an edge sent
with the id of a node that was deleted meanwhile would join whatever node takes that id
next (the engine reuses ids). The ids are therefore read and used inside one Redis
optimistic transaction: ``WATCH`` the graph key, read the ids (a read does not touch the
key), then ``MULTI`` / ``GRAPH.BULK`` / ``EXEC``. Any write to the graph in between, by any
client, makes ``EXEC`` refuse, and the batch is tried again. So an edge only ever joins the
nodes whose uids it was asked for, as the Cypher path does. Reading the ids is most of the
cost that remains (see ``FalkorDBStore._id_reads``); even so, new relationships go in
between two and three times as fast as by Cypher. Each call has a fixed cost whatever its
size, so the store sends large chunks (``BARE_CHUNK``). Figures: docs/scaling.md.
The writer is :class:`BulkWriter`, which the embedded engine's store owns.

New nodes go the same way (:meth:`BulkWriter.create_nodes`), labels and all (the token
names several, ``Party:Customer``). ``GRAPH.BULK`` adds them to the uid indexes but does not
enforce the unique uid constraint, and it reports no ids. So, on the watched connection, the
store first makes sure that none of the batch's uids is stored (``_NewNodes`` in
``falkordb_store.py``: an index scan of its uids, unless the upsert knows every uid of the
label) and only then sends ``MULTI`` / ``GRAPH.BULK`` / a read that confirms the ids it foretold /
``EXEC``. Inside ``MULTI`` the engine runs graph commands one after another, so the read
sees the nodes just created, and no other write can come between. A batch holding a stored
uid is not sent: it fails as the constraint would fail a ``CREATE`` (``UniqueViolation``),
and the upsert takes its read path. The engine saves reading the rows as Cypher parameters
and checking the constraint, about a third of its work on new nodes; it still pays the index
updates, which are most of a node's cost, and the client's work is about the same, so a
load's wall time gains much less than the engine does (figures: docs/scaling.md).
Once created, the nodes are the engine's own: the AOF replays the command, the index finds
them and the constraint refuses their uids to later writes (tests/test_bulk_nodes.py).

The protocol must store exactly what Cypher stores. It carries strings, booleans, 64-bit
integers, doubles and lists of those; a null leaves the property unset, as in a ``CREATE``.
A batch with any other value (a map, a list holding a null, an integer Cypher would clamp,
NaN, a string with a NUL, a property name that is not a plain identifier...) is not carried
(:class:`NotCarried`) and goes by Cypher, which stores or refuses it as it always has.
Nor does the protocol ever declare a label or a property key: the engine records a new key
in the AOF by name here but by number in a Cypher write's effects, so a key declared here
while a Cypher write that declared another one was in flight could be renumbered at the
next restart. The store declares the keys first, by Cypher, alone
(``FalkorDBStore._declare``), and the writer checks on the watched connection that they
are there.

Binary format (see FalkorDB's ``src/bulk_insert/bulk_insert.c``). A relationship token: the
type name NUL-terminated, a 4-byte property count (0 here), then for each edge the source and
destination node ids as 8-byte unsigned integers. A node token: the labels joined by ``:``
and NUL-terminated, a 4-byte property count, the property names each NUL-terminated, then
for each node one value per property: a type byte (0 null, 1 bool, 2 double, 3 string,
4 long, 5 array) and its payload (1 byte; 8 bytes; UTF-8 NUL-terminated; 8 bytes; an 8-byte
length and that many values). Numbers go in the server's byte order (the embedded server
runs on this machine, so that is ours).
"""

from __future__ import annotations

import math
import struct
import threading
from array import array
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any, TypeVar, cast

import redis

#: Attempts of one batch before the caller falls back to Cypher: a retry only happens when
#: another client wrote to the graph during the batch's few milliseconds.
ATTEMPTS = 5

#: ``read(conn)``: {uid: node id} of one side's nodes, read on the watched connection ``conn``
Ids = Callable[[Any], dict[str, int]]


#: ``send(*commands)``: their replies, the commands sent in one round trip on the watched
#: connection (an error reply raises)
Send = Callable[..., list[Any]]
#: ``ready(send)``: whether the nodes of a batch may be created, read through ``send`` (it
#: raises ``UniqueViolation`` when one of their uids is stored): None if not, else the
#: read-only commands to run right after them, in the same transaction
Ready = Callable[[Send], "list[list[Any]] | None"]
T = TypeVar("T")

_NULL, _BOOL, _DOUBLE, _STRING, _LONG, _ARRAY = (bytes([code]) for code in range(6))
_COUNT, _I64, _F64 = struct.Struct("=I").pack, struct.Struct("=q").pack, struct.Struct("=d").pack


class NotCarried(ValueError):
    """A value or name that ``GRAPH.BULK`` cannot carry as a Cypher ``CREATE`` would store it."""


def _text(value: str) -> bytes:
    """A string as the protocol carries it: UTF-8, NUL-terminated."""
    if "\0" in value:
        raise NotCarried("a string holds a NUL")
    try:
        return value.encode() + b"\0"
    except UnicodeEncodeError:  # a lone surrogate: Cypher cannot send it either
        raise NotCarried("a string is not valid Unicode") from None


def _value(value: Any) -> bytes:
    """One property value: its type byte, then its payload."""
    kind = type(value)
    if kind is str:
        return _STRING + _text(value)
    if value is None:
        return _NULL
    if kind is bool:
        return _BOOL + (b"\1" if value else b"\0")
    if kind is int:
        try:
            return _LONG + _I64(value)
        except struct.error:  # beyond 64 bits, where Cypher clamps
            raise NotCarried("an integer does not fit 64 bits") from None
    if kind is float and math.isfinite(value):
        return _DOUBLE + _F64(value)
    if kind is list and None not in value:  # Cypher refuses a null in a stored list
        return b"".join([_ARRAY, _I64(len(value)), *map(_value, value)])
    raise NotCarried(f"a value of type {kind.__name__} ({value!r:.40})")


def _column(values: Sequence[Any]) -> tuple[bytes, list[bytes], bytes]:
    """A property's values for all nodes: (type byte, payloads, terminator) when every value
    has the same type, so that those two bytes are written once per row by the join; else
    (b"", each value whole, b"")."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "\0".join(values)
        if joined.count("\0") != len(values) - 1:
            raise NotCarried("a string holds a NUL")
        try:
            return _STRING, joined.encode().split(b"\0"), b"\0"
        except UnicodeEncodeError:
            raise NotCarried("a string is not valid Unicode") from None
    if kinds == {float} and all(map(math.isfinite, values)):
        return _DOUBLE, list(map(_F64, values)), b""
    return b"", list(map(_value, values)), b""


def nodes_token(labels: Sequence[str], same: Mapping[str, Any], names: Sequence[str],
                columns: Sequence[Sequence[Any]]) -> bytes:
    """One ``GRAPH.BULK`` node token: one node per row of ``columns`` (``columns[i]`` holds
    property ``names[i]`` of every node; at least one column), with the ``labels``, and the
    properties ``same`` with the same value on every node. Raises :class:`NotCarried`."""
    every = [*same, *names]
    if any("\0" in name or not name for name in every):
        raise NotCarried("a property name is empty or holds a NUL")
    head = b"".join([":".join(labels).encode(), b"\0", _COUNT(len(every)),
                     *(name.encode() + b"\0" for name in every)])
    fixed = b"".join(map(_value, same.values()))
    parts: list[Any] = []
    ending = fixed
    for begin, payloads, end in map(_column, columns):
        parts += [repeat(ending + begin), payloads]
        ending = end
    parts.append(repeat(ending))
    return head + b"".join(chain.from_iterable(zip(*parts, strict=False)))  # repeats: endless


def edges_token(rel_type: str, starts: Sequence[int], ends: Sequence[int]) -> bytes:
    """One ``GRAPH.BULK`` relationship token: ``rel_type`` edges from ``starts[i]`` to
    ``ends[i]`` (node ids), no properties. The ids go in this machine's byte order, which is
    the embedded server's."""
    ids = array("Q", bytes(16 * len(starts)))
    ids[0::2], ids[1::2] = array("Q", starts), array("Q", ends)
    return rel_type.encode() + b"\0" + struct.pack("<I", 0) + ids.tobytes()


class BulkWriter:
    """The embedded engine's bulk writer of new edges and nodes, owned by its store
    (``FalkorDBStore``): only the embedded server, whose engine version we ship, gets one.

    One bulk transaction runs at a time: two would keep making each other's ``EXEC`` refuse.
    """

    def __init__(self, conn: redis.Redis, graph: str):
        self.conn = conn
        self.graph = graph
        self._lock = threading.Lock()

    def create_edges(self, rel_type: str, starts: Sequence[str], ends: Sequence[str],
               ids: tuple[Ids, Ids]) -> int | None:
        """Create a ``rel_type`` edge from ``starts[i]`` to ``ends[i]`` (uids) wherever both
        ends exist; ``ids`` reads the ids of the start and of the end nodes.

        Returns how many edges were created, or None when other writers kept changing the
        graph (the caller then uses Cypher).
        """
        with self._lock:
            for _ in range(ATTEMPTS):
                made = self._attempt(rel_type, starts, ends, ids)
                if made is not None:
                    return made
        return None

    def _attempt(self, rel_type: str, starts: Sequence[str], ends: Sequence[str],
                 ids: tuple[Ids, Ids]) -> int | None:
        """One optimistic transaction; None when another write to the graph made it refuse."""
        graph = self.graph
        with self.conn.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(graph)
                a, b = list(map(ids[0](pipe).get, starts)), list(map(ids[1](pipe).get, ends))
                if None in a or None in b:  # an end does not exist: that row is not written
                    kept = [(x, y) for x, y in zip(a, b, strict=True)
                            if x is not None and y is not None]
                    a, b = [x for x, _ in kept], [y for _, y in kept]
                if not a:
                    return 0
                pipe.multi()
                pipe.execute_command("GRAPH.BULK", graph, 0, len(a), 0, 1,
                                     edges_token(rel_type, cast("list[int]", a),  # no None
                                                 cast("list[int]", b)))
                pipe.execute()
                return len(a)
            except redis.WatchError:
                return None

    def create_nodes(self, token: bytes, count: int, ready: Ready,
                     done: Callable[[list[Any]], T]) -> T | None:
        """Create the ``count`` nodes of ``token`` if ``ready`` says they may be, and run the
        reads it gives in the same transaction.

        Returns what ``done`` makes of their replies (it runs before the next transaction
        may begin); None when ``ready`` said no or other writers kept changing the graph (the
        caller then uses Cypher).

        The commands go straight down one connection of the pool, several to a round trip
        (``WATCH`` with the first reads; ``MULTI`` to ``EXEC`` in one): each round trip made
        while the other batch in flight builds its rows waits for Python's lock, and with
        one command each they took most of what the engine saves (docs/scaling.md).
        """
        pool = self.conn.connection_pool
        with self._lock:
            conn = pool.get_connection()
            try:
                for _ in range(ATTEMPTS):
                    reads = ready(_Watched(conn, self.graph).send)
                    if reads is None:
                        _round_trip(conn, [("UNWATCH",)])
                        return None
                    replies = _round_trip(conn, [("MULTI",), (
                        "GRAPH.BULK", self.graph, count, 0, 1, 0, token), *reads, ("EXEC",)])[-1]
                    if replies is None:  # another write since WATCH: the transaction refused
                        continue
                    for reply in replies:
                        if isinstance(reply, Exception):
                            raise reply
                    return done(replies[1:])
            except BaseException:
                conn.disconnect()  # replies may be left unread, or a WATCH in force
                raise
            finally:
                pool.release(conn)
        return None


class _Watched:
    """Sends commands on ``conn``, the first ones with the ``WATCH`` of ``graph``."""

    def __init__(self, conn: Any, graph: str):
        self.conn = conn
        self.watch: list[tuple[str, str]] = [("WATCH", graph)]

    def send(self, *commands: Sequence[Any]) -> list[Any]:
        replies = _round_trip(self.conn, [*self.watch, *commands])[len(self.watch):]
        self.watch = []
        return replies


def _round_trip(conn: Any, commands: Sequence[Sequence[Any]]) -> list[Any]:
    """The replies to ``commands``, sent on ``conn`` in one write (an error reply raises,
    once all are read)."""
    conn.send_packed_command(conn.pack_commands(commands))
    replies = [_reply(conn) for _ in commands]
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


def _reply(conn: Any) -> Any:
    """The next reply on ``conn``; an error reply as its exception, not raised."""
    try:
        return conn.read_response()
    except redis.ResponseError as exc:
        return exc
