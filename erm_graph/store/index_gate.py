"""The embedded engine's connections wait for a graph's indexes before they use it.

The embedded server starts with ``DELAY_INDEXING yes`` (:mod:`embedded_server`): it answers as
soon as the graph is read and rebuilds the uid indexes in the background, which took about
half of a start (docs/scaling.md, "Start-up"). While an index is being rebuilt, the unique
constraint that rests on it does not hold: a ``CREATE`` of a stored uid was accepted. So on
every new socket, the first command that may write a graph first waits, on that socket,
until ``db.indexes()`` reports every index of that graph OPERATIONAL; from then on the
constraints hold as they do after a start that built the indexes first.

The wait is per socket, not per process: redis-py reconnects on its own, and a new socket may
reach a server that another process has just started again, its indexes still building.

A connection made with ``read_before_indexes`` lets reads through at once (the engine does
not use an index before it is built: a uid lookup scans its label, the right answer, sooner
than the index is built on a graph of the medium demo's size) and waits only before a write;
the one-command processes that :mod:`head_start` served use it. Every other connection waits
before its reads too, as it waited for the server to start before: on a large graph a read
of many uids without the indexes would take far longer than the indexes take to build.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import redis

from erm_graph.errors import StoreError
from erm_graph.store.embedded_server import POLL_SECONDS

#: Commands that never wait: they read no graph's data (GRAPH.INFO lists the running queries,
#: for :meth:`FalkorDBStore.stop_read`).
NEVER_WAIT = frozenset({"GRAPH.LIST", "GRAPH.INFO"})
#: Commands a ``read_before_indexes`` connection sends at once: they cannot write.
READS = frozenset({"GRAPH.RO_QUERY", "GRAPH.EXPLAIN"})
#: How long a command waits for the indexes of a large graph to be built.
INDEX_SECONDS = 600.0
STATUS = "CALL db.indexes() YIELD status RETURN status"


def _name(arg: Any) -> str:
    return (arg.decode() if isinstance(arg, bytes) else str(arg)).upper()


class IndexGatedConnection(redis.UnixDomainSocketConnection):
    """A unix-socket connection that sends a graph command only once that graph's indexes
    are built (see the module's docstring)."""

    def __init__(self, *args: Any, read_before_indexes: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.read_before_indexes = read_before_indexes
        self._ready: set[str] = set()  # graphs whose indexes this socket found built

    def disconnect(self, *args: Any, **kwargs: Any) -> None:
        self._ready = set()  # the next socket may reach another start of the server
        super().disconnect(*args, **kwargs)

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        self._gate(args)
        super().send_command(*args, **kwargs)

    def pack_commands(self, commands: Iterable[Sequence[Any]]) -> list[bytes]:
        commands = list(commands)
        for command in commands:  # a pipeline: its commands are sent together
            self._gate(command)
        return super().pack_commands(commands)

    def _gate(self, command: Sequence[Any]) -> None:
        name = _name(command[0]) if command else ""
        if not name.startswith("GRAPH.") or name in NEVER_WAIT:
            return
        if self.read_before_indexes and name in READS:
            return
        at = 2 if name == "GRAPH.CONSTRAINT" else 1  # GRAPH.CONSTRAINT CREATE graph ...
        if len(command) <= at:
            return
        graph = command[at].decode() if isinstance(command[at], bytes) else str(command[at])
        if graph not in self._ready:
            self._await_indexes(graph)
            self._ready.add(graph)

    def _await_indexes(self, graph: str) -> None:
        deadline = time.monotonic() + INDEX_SECONDS
        while True:
            super().send_command("GRAPH.RO_QUERY", graph, STATUS)
            try:
                reply = self.read_response()
            except redis.ResponseError as exc:
                if "empty key" in str(exc).lower():
                    return  # no graph yet: no index to wait for
                raise
            if all(_name(row[0]) == "OPERATIONAL" for row in reply[1]):
                return
            if time.monotonic() > deadline:
                raise StoreError(f"the indexes of graph {graph} were still being built after "
                                 f"{INDEX_SECONDS:g} s; see the server's log")
            time.sleep(POLL_SECONDS)


def gated_client_kwargs(socket: str, *, read_before_indexes: bool) -> dict[str, Any]:
    """Arguments for ``falkordb.FalkorDB`` on the embedded server's socket: a connection pool
    of :class:`IndexGatedConnection`, with the settings the client gives its own (redis-py's
    defaults differ: a socket timeout, silent retries of any command, a write too; only the
    library name the server is told differs)."""
    template = redis.Redis(  # connects lazily: a holder of the settings
        unix_socket_path=socket, decode_responses=True, socket_timeout=None,
        retry=None,  # type: ignore[arg-type]  # as the client passes it: no retry at all
        protocol=2)
    pool = redis.ConnectionPool(connection_class=IndexGatedConnection,
                                read_before_indexes=read_before_indexes,
                                **template.connection_pool.connection_kwargs)
    return {"connection_pool": pool}
