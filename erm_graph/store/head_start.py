"""The embedded server started ahead of the store that will use it.

A fresh ``erm`` process spends about as long importing the command line as the embedded server
spends loading the graph; one after the other, they made most of the wait for a command's first
answer (docs/scaling.md, "Start-up"). :func:`begin` acquires the server of a data directory on a
thread, first thing, so the server loads the graph on the other core while the process imports
the rest; the store then :func:`claim`\\ s that server instead of starting one.

The server is acquired exactly as a store acquires it (:meth:`EmbeddedServer.acquire`: the same
locks, the same left-running check, the same release at exit), so a head start that no store
claims (the command failed first, or named another database) is released when the process
ends, as an unused store would be. An error starting it is raised by :func:`claim`, to the
store that needed the server; unclaimed, it is nobody's.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from erm_graph.store.embedded_server import EmbeddedServer

#: The longest :func:`begin` waits for the server process to be launched. It takes a few
#: milliseconds, unless another process holds the folder's start lock (it starts or stops the
#: server): then the launch, if any, waits for that process, and this one imports meanwhile.
LAUNCH_SECONDS = 0.25

_begun: dict[Path, Future[EmbeddedServer]] = {}
_lock = threading.Lock()


def begin(data_dir: Path) -> None:
    """Start acquiring the server of ``data_dir`` on a thread, for the next store on it."""
    key = data_dir.expanduser().resolve()
    acquired: Future[EmbeddedServer] = Future()
    with _lock:
        if key in _begun:
            return
        _begun[key] = acquired

    launched = threading.Event()

    def acquire() -> None:
        try:
            server = EmbeddedServer(key)
            server.read_before_indexes = True
            server.acquire(launched.set)
        except BaseException as exc:  # for claim() to raise, in the store that needs it
            acquired.set_exception(exc)
        else:
            acquired.set_result(server)
        finally:
            launched.set()

    # not a daemon: the process waits for the start to finish at exit, then releases it
    threading.Thread(target=acquire, name="erm-head-start").start()
    # The few milliseconds until the server process runs are waited for here: run beside the
    # imports, they took hundreds, each system call of the thread then waiting for the
    # interpreter lock that the importing thread holds.
    launched.wait(LAUNCH_SECONDS)


def claim(data_dir: Path) -> EmbeddedServer:
    """The acquired server of ``data_dir``: the one :func:`begin` started (once: the next
    store acquires its own, as every store does), else a new one."""
    with _lock:
        begun = _begun.pop(data_dir.expanduser().resolve(), None)
    if begun is not None:
        return begun.result()
    server = EmbeddedServer(data_dir)
    server.acquire()
    return server
