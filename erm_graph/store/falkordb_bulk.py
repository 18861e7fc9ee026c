"""New relationships through FalkorDB's bulk protocol (``GRAPH.BULK``), safely.

Why: creating a relationship with Cypher costs the engine two uid index lookups and an
edge insert per row; ``GRAPH.BULK`` inserts edges from pairs of node ids, about 0.1 s per
200k. It is the protocol of falkordb-bulk-loader, and without its ``BEGIN`` token it adds to
an existing graph.

The catch: the protocol trusts the ids it is given. It checks nothing, so an edge sent
with the id of a node that was deleted meanwhile would join whatever node takes that id
next (the engine reuses ids). The ids are therefore read and used inside one Redis
optimistic transaction: ``WATCH`` the graph key, read the ids (a read does not touch the
key), then ``MULTI`` / ``GRAPH.BULK`` / ``EXEC``. Any write to the graph in between, by any
client, makes ``EXEC`` refuse, and the batch is tried again. So an edge only ever joins the
nodes whose uids it was asked for, as the Cypher path does. Reading the ids is most of the
cost that remains (see ``FalkorDBStore._node_ids``): one relationship type of 200k rows
went from about 1.5 s to 1.0 s in a load, and about 15% faster at 1M rows.

Binary format of one relationship token (see FalkorDB's ``src/bulk_insert/bulk_insert.c``):
the type name NUL-terminated, a 4-byte property count (0 here), then for each edge the
source and destination node ids as 8-byte unsigned integers, in the server's byte order
(the embedded server runs on this machine, so that is ours).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import redis

#: Attempts of one batch before the caller falls back to Cypher: a retry only happens when
#: another client wrote to the graph during the batch's few milliseconds.
ATTEMPTS = 5

#: ``ids(conn, side)``: {uid: node id} of the pairs' start (side 0) or end (side 1) nodes,
#: read on the watched connection ``conn``
Ids = Callable[[Any, int], dict[str, int]]


def edges_token(rel_type: str, pairs: Iterable[tuple[int, int]]) -> bytes:
    """One ``GRAPH.BULK`` relationship token: ``rel_type`` edges between node ids, no
    properties. The ids go in this machine's byte order, which is the embedded server's."""
    ids = array("Q", chain.from_iterable(pairs))
    return rel_type.encode() + b"\0" + struct.pack("<I", 0) + ids.tobytes()


def create_edges(conn: redis.Redis, graph: str, rel_type: str, pairs: list[list[str]],
                 ids: Ids) -> int | None:
    """Create a ``rel_type`` edge for each (start uid, end uid) pair whose ends exist.

    Returns how many edges were created, or None when other writers kept changing the graph
    (the caller then uses Cypher).
    """
    for _ in range(ATTEMPTS):
        with conn.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(graph)
                starts, ends = ids(pipe, 0), ids(pipe, 1)
                find_start, find_end = starts.get, ends.get
                edges = [(a, b) for s, e in pairs
                         if (a := find_start(s)) is not None and (b := find_end(e)) is not None]
                if not edges:
                    return 0
                pipe.multi()
                pipe.execute_command("GRAPH.BULK", graph, 0, len(edges), 0, 1,
                                     edges_token(rel_type, edges))
                pipe.execute()
                return len(edges)
            except redis.WatchError:
                continue
    return None
