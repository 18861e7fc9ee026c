"""Notice a query the engine did not stop at its timeout.

FalkorDB stops a query at its timeout, except when it cannot: a text that hangs its parser (see
:mod:`erm_graph.query.guard`; the parse comes before the timeout starts) or a frozen server.
The engine still answers PING meanwhile (at once, while a query parses for many seconds), but
the query holds one of its threads busy for as long as it likes. A :class:`Watchdog` calls
its ``on_overdue`` for a call still unanswered :func:`overdue_after` its timeout; the store
then restarts the embedded engine (the only way to stop the query) or drops its connections
to a server it does not run, and reports the query as interrupted.

One thread per store watches every call in flight; it sleeps while there is none, and ends
when the store is closed.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: added to twice the timeout: a query may wait behind others, each bounded by its own
GRACE_SECONDS = 5.0


def overdue_after(timeout: float) -> float:
    """Seconds after which a call with this timeout is overdue."""
    return 2 * timeout + GRACE_SECONDS


class Watch:
    """One call under watch; ``fired`` is set when it became overdue."""

    __slots__ = ("deadline", "fired")

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False


class Watchdog:
    """Calls ``on_overdue()`` (on its own thread) when a watched call passes its deadline."""

    def __init__(self, on_overdue: Callable[[], None]):
        self._on_overdue = on_overdue
        self._start_afresh()
        _ALL.add(self)

    def _start_afresh(self) -> None:
        """No watches and no thread; also in a forked child, whose copy of the condition's
        lock the parent's watching thread may have held at the fork."""
        self._cond = threading.Condition()
        self._watches: set[Watch] = set()
        self._thread: threading.Thread | None = None
        self._wakes_at: float | None = None  # None: asleep until a watch comes

    @contextmanager
    def watch(self, seconds: float) -> Iterator[Watch]:
        """Watch the calls made inside the block for ``seconds``."""
        watch = Watch(time.monotonic() + seconds)
        with self._cond:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="erm-watchdog",
                                                daemon=True)
                self._thread.start()
            if self._wakes_at is None or watch.deadline < self._wakes_at:
                self._cond.notify()  # most calls end long before the nearest deadline
        try:
            yield watch
        finally:
            with self._cond:
                self._watches.discard(watch)

    def stop(self) -> None:
        """End the watching thread (its store is closed): it would otherwise wait forever,
        holding ``on_overdue`` and so its store. A later watch starts a new one."""
        with self._cond:
            self._thread = None
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while self._thread is threading.current_thread():
                now = time.monotonic()
                overdue = [w for w in self._watches if w.deadline <= now]
                if overdue:
                    for watch in overdue:
                        watch.fired = True
                        self._watches.discard(watch)
                    self._cond.release()
                    try:
                        self._on_overdue()
                    finally:
                        self._cond.acquire()
                    continue
                self._wakes_at = min((w.deadline for w in self._watches), default=None)
                self._cond.wait(None if self._wakes_at is None else self._wakes_at - now)


_ALL: weakref.WeakSet[Watchdog] = weakref.WeakSet()


def _after_fork() -> None:
    for dog in list(_ALL):
        dog._start_afresh()


os.register_at_fork(after_in_child=_after_fork)
