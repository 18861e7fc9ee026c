"""One load at a time per store: loads that run at once queue up and end as one load would.

An upsert reads what is stored, then creates what it did not find. Two loads of one file that
ran at once both found nothing and both created: every NEXT and HAS_STEP twice (and the next
load, finding the pair, reported it unchanged). Neither engine can refuse the second copy for
us: FalkorDB has no constraint on relationships, and Neo4j's relationship key constraints are
Enterprise-only. So every write of a load (:func:`erm_graph.ingest.writer.write_batch`) holds
the store's load lock:

- **embedded**: an ``flock`` on ``load.lock`` in the data directory. It covers every process
  and thread on the machine (each holder opens the file anew), and the kernel drops it when
  its holder dies, so a killed load never blocks the next.
- **falkordb://, bolt://, neo4j://**: a lease, the ``LoadLock`` node, taken and renewed by
  portable Cypher on the server's clock (``timestamp()``), so that loads from several machines
  queue too. It lasts :data:`LEASE_SECONDS` and is renewed every third of that while the load
  runs; a load killed without releasing it holds back the next for at most that long. On Neo4j a
  uniqueness constraint on ``LoadLock.name`` keeps two first takers from creating two nodes.

Limits: writers that do not load (a web edit, ``erm cypher --write``) do not take the lock;
a load paused past its lease (a stopped process) may find another load began meanwhile.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from erm_graph.errors import StoreError

if TYPE_CHECKING:
    from erm_graph.store.cypher_store import CypherStore

#: how long a load waits for the one before it
WAIT_SECONDS = 600.0
#: how long a lease holds without renewal
LEASE_SECONDS = 60
#: the label of the lease node (not part of the model, like PendingLoad)
LOAD_LOCK = "LoadLock"

_POLL = 0.05


def _waited_too_long(where: str, holder: str) -> StoreError:
    return StoreError(f"another load ({holder}) has been writing to {where} for over "
                      f"{WAIT_SECONDS:.0f} s; run this load again when it has finished")


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (the embedded engine's load lock)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                    raise _waited_too_long(str(path.parent), holder or "unknown") from None
                time.sleep(_POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _owner().encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the file releases its flock


@contextmanager
def file_lock_if_free(path: Path) -> Iterator[bool]:
    """Hold the lock of :func:`file_lock` when no load holds it now (yields True), without
    waiting (yields False): for what must not happen during a load, and need not happen at
    all (:meth:`FalkorDBStore.stop_read`)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _owner() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


_TAKE = (f"MERGE (l:{LOAD_LOCK} {{name: 'load'}}) "
         "WITH l WHERE l.token IS NULL OR l.token = $token OR l.expires < timestamp() "
         "SET l.token = $token, l.owner = $owner, l.expires = timestamp() + $ms "
         "RETURN count(l)")
_RENEW = (f"MATCH (l:{LOAD_LOCK} {{name: 'load'}}) WHERE l.token = $token "
          "SET l.expires = timestamp() + $ms RETURN count(l)")
_RELEASE = f"MATCH (l:{LOAD_LOCK} {{name: 'load'}}) WHERE l.token = $token DELETE l"
_HOLDER = f"MATCH (l:{LOAD_LOCK} {{name: 'load'}}) RETURN l.owner"


@contextmanager
def lease_lock(store: CypherStore) -> Iterator[None]:
    """Hold the ``LoadLock`` lease of a server store, renewing it while the block runs."""
    store._prepare_load_lock()
    params = {"token": uuid.uuid4().hex, "owner": _owner(), "ms": LEASE_SECONDS * 1000}
    deadline = time.monotonic() + WAIT_SECONDS
    while not store.write(_TAKE, params).rows[0][0]:
        if time.monotonic() > deadline:
            rows = store.run(_HOLDER).rows
            raise _waited_too_long(store.location, rows[0][0] if rows else "unknown")
        time.sleep(_POLL * 4)
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LEASE_SECONDS / 3):
            try:
                store.write(_RENEW, params)
            except StoreError:
                pass  # the load's own queries will report a lost server

    keeper = threading.Thread(target=renew, name="erm-load-lease", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()
        store.write(_RELEASE, params)
