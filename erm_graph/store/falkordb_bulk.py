"""New relationships through FalkorDB's bulk protocol (``GRAPH.BULK``), safely.

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
The writer is :class:`BulkEdges`, which the embedded engine's store owns.

Binary format of one relationship token (see FalkorDB's ``src/bulk_insert/bulk_insert.c``):
the type name NUL-terminated, a 4-byte property count (0 here), then for each edge the
source and destination node ids as 8-byte unsigned integers, in the server's byte order
(the embedded server runs on this machine, so that is ours).
"""

from __future__ import annotations

import struct
import threading
from array import array
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

#: Attempts of one batch before the caller falls back to Cypher: a retry only happens when
#: another client wrote to the graph during the batch's few milliseconds.
ATTEMPTS = 5

#: ``read(conn)``: {uid: node id} of one side's nodes, read on the watched connection ``conn``
Ids = Callable[[Any], dict[str, int]]


def edges_token(rel_type: str, starts: Sequence[int], ends: Sequence[int]) -> bytes:
    """One ``GRAPH.BULK`` relationship token: ``rel_type`` edges from ``starts[i]`` to
    ``ends[i]`` (node ids), no properties. The ids go in this machine's byte order, which is
    the embedded server's."""
    ids = array("Q", bytes(16 * len(starts)))
    ids[0::2], ids[1::2] = array("Q", starts), array("Q", ends)
    return rel_type.encode() + b"\0" + struct.pack("<I", 0) + ids.tobytes()


class BulkEdges:
    """The embedded engine's bulk edge writer, owned by its store (``FalkorDBStore``): only
    the embedded server, whose engine version we ship, gets one.

    One bulk transaction runs at a time: two would keep making each other's ``EXEC`` refuse.
    """

    def __init__(self, conn: redis.Redis, graph: str):
        self.conn = conn
        self.graph = graph
        self._lock = threading.Lock()

    def create(self, rel_type: str, starts: Sequence[str], ends: Sequence[str],
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
