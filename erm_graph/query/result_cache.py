"""Rows of read-only named queries kept between web requests until the graph changes.

A dashboard asks every morning, for every officer, the same graph-wide questions (customers
at risk, key-person risk: a scan of every party, hundreds of milliseconds each on the medium
demo). Their answers change only when the graph does, so the web app keeps them
(:func:`erm_graph.query.named.run_query` with ``cache=RESULTS``).

How a kept answer is known to be stale:

* a store that tells when its data changed (FalkorDB's ``change_stamp()``, one round trip):
  the stamp differs from the answer's, whichever process wrote (an ``erm load`` while
  ``erm serve`` runs included);
* any store: a write made through this process's write path ends (the subscriber
  :func:`forget_results_after`, installed in ``erm_graph/__init__.py``);
* a store that does not tell (Neo4j): the answer is older than :data:`RESULT_TTL` seconds, so
  another process's write shows within that time.

No answer is kept longer than :data:`MAX_AGE` (a query may read today's date). A partner's
store is never cached (its rows are its scope's), and the rights to run a query are checked
before the cache is looked in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

from erm_graph.events import Finish, WriteEvent
from erm_graph.store import QueryResult

#: seconds an answer is kept on a store that does not tell when its data changed
RESULT_TTL = 60.0
#: seconds an answer is kept at most, whatever the store tells
MAX_AGE = 3600.0
#: answers kept at most; the oldest go first
MAX_RESULTS = 512


def _frozen(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def change_stamp(store: Any) -> Hashable | None:
    """The store's stamp of its data (see the module docstring), or None: it does not tell."""
    stamp_of = getattr(store, "change_stamp", None)
    return stamp_of() if callable(stamp_of) else None


@dataclass(frozen=True)
class _Answer:
    at: float
    stamp: Hashable | None
    result: QueryResult


class ResultCache:
    """Answers by (store, statement, parameters), while the store's data is as it was."""

    def __init__(self, ttl: float = RESULT_TTL, size: int = MAX_RESULTS,
                 max_age: float = MAX_AGE):
        self.ttl = ttl
        self.size = size
        self.max_age = max_age
        self._answers: dict[Hashable, _Answer] = {}
        self._lock = threading.Lock()
        #: how many times it was cleared: a read that saw it change keeps nothing
        self._generation = 0

    def _fresh(self, answer: _Answer, stamp: Hashable | None, now: float) -> bool:
        if now - answer.at >= self.max_age:
            return False
        if stamp is not None:
            return answer.stamp == stamp
        return now - answer.at < self.ttl

    def run(self, store: Any, cypher: str, params: dict[str, Any],
            read: Callable[[], QueryResult]) -> QueryResult:
        """The kept answer of ``cypher`` with ``params`` on ``store``, else ``read()``'s, kept.
        Each caller gets its own copy of the rows' list (the web trims it)."""
        key = (store.engine, store.location, id(store), cypher, _frozen(params))
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            answer = self._answers.get(key)
        stamp = change_stamp(store)
        if answer is None or not self._fresh(answer, stamp, now):
            answer = _Answer(now, stamp, read())
            with self._lock:
                # a write that ended while it ran may have changed the rows: not kept then
                if generation == self._generation:
                    self._answers.pop(key, None)
                    while len(self._answers) >= self.size:
                        self._answers.pop(next(iter(self._answers)))
                    self._answers[key] = answer
        kept = answer.result
        return replace(kept, rows=list(kept.rows), stats=dict(kept.stats),
                       warnings=list(kept.warnings))

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._answers)


#: the web app's answers (see the module docstring)
RESULTS = ResultCache()


def forget_results_after(event: WriteEvent) -> Finish:
    """The cache's subscription to write events: dropped when a write begins and again when it
    ends (a read meanwhile would keep the graph as it was), whoever writes."""
    RESULTS.clear()
    return lambda outcome: RESULTS.clear()


def kept(store: Any, key: str, params: dict[str, Any], build: Callable[[], Any],
         cache: ResultCache | None = RESULTS) -> Any:
    """``build()``'s answer, kept in ``cache`` like a query's rows: for answers computed from
    several reads (a maturity assessment, a target check, a fitted forecast) that change only
    when the graph does. ``key`` names the computation (never a Cypher statement) and
    ``params`` what else it depends on; a partner's store is never cached."""
    from erm_graph.auth.scope import scope_of

    if cache is None or scope_of(store) is not None:
        return build()
    made: list[Any] = []

    def read() -> QueryResult:
        made.append(build())
        return QueryResult(["answer"], [[made[0]]])

    return cache.run(store, f"kept:{key}", params, read).rows[0][0]
