"""The console's queries while they run, so that the person who started one can stop it.

The page names each run with an id of its own (random, sent with the query); the cancel
route finds the run by that id and by the user, so nobody stops another person's query, and
asks the store to end it in the engine (:meth:`GraphStore.stop_read`: on the embedded engine
the query really stops, the engine's thread is free at once). A run stopped before it reached
the engine, or after its answer came back, is still refused to its page: the answer the person
gave up on is never shown as if they had waited for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from erm_graph.errors import ErmError, QueryCancelled
from erm_graph.store import GraphStore

#: how long a cancel keeps asking the engine for a run that has not reached it yet
REACH_SECONDS = 2.0

log = logging.getLogger(__name__)


class UnknownRun(ErmError):
    kind = "not_found"


@dataclass
class _Run:
    owner: str
    cancelled: bool = False


class ConsoleRuns:
    """The runs of one app, by id (thread-safe: requests run on a thread pool)."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, run_id: str, owner: str) -> Iterator[None]:
        """Hold ``run_id`` for ``owner`` while the query runs; raise :class:`QueryCancelled`
        at the end when it was cancelled meanwhile (whatever the engine answered)."""
        with self._lock:
            if run_id in self._runs:
                raise ErmError(f"the run id {run_id} is in use: the page sends a new one with "
                               "every query")
            run = self._runs[run_id] = _Run(owner)
        try:
            yield
        finally:
            with self._lock:
                del self._runs[run_id]
        if run.cancelled:
            raise QueryCancelled("the query was stopped before it answered")

    def cancel(self, store: GraphStore, run_id: str, owner: str) -> bool:
        """Mark the run cancelled and stop it in the engine; True when the engine stopped it
        (False: it had not reached the engine, had ended, or the engine cannot stop one)."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.owner != owner:
                raise UnknownRun(f"no query of yours is running as {run_id}: it has ended")
            run.cancelled = True
        deadline = time.monotonic() + REACH_SECONDS
        while True:
            if store.stop_read(run_id):
                # the engine was restarted for it: the server's log says who and when
                log.warning("console run %s of %s stopped in the engine (restarted)", run_id,
                            owner)
                return True
            with self._lock:
                if run_id not in self._runs or time.monotonic() > deadline:
                    return False
            time.sleep(0.05)
