"""The maturity and target pages (and the CLV forecast) keep their answer until the graph
changes (erm_graph/query/result_cache.py ``kept``): a second request does not recompute, a
write through the write path or a new stamp from the engine does, and the target check also
when its plan file changes."""

from __future__ import annotations

import os
from types import SimpleNamespace

from erm_graph.query.result_cache import ResultCache, kept
from erm_graph.web.routers import strategy as pages

PLAN = """title: T
accounts:
  - {uid: c-a, want: {contact_every_days: 30}}
"""


def test_a_kept_answer_lasts_until_the_graph_changes(store):
    cache = ResultCache()
    calls: list[int] = []

    def build() -> int:
        calls.append(1)
        return len(calls)

    assert kept(store, "k", {"a": 1}, build, cache) == 1
    assert kept(store, "k", {"a": 1}, build, cache) == 1, "kept"
    assert kept(store, "k", {"a": 2}, build, cache) == 2, "other parameters, another answer"
    store.run("CREATE (:Customer:Party {uid: 'c-new', name: 'New'})", read_only=False)
    assert kept(store, "k", {"a": 1}, build, cache) == 3, "the engine's stamp changed"
    assert kept(store, "k", {"a": 1}, build, None) == 4, "no cache: built every time"


def test_the_maturity_and_target_pages_keep_their_answer(store, tmp_path):
    store.run("CREATE (:Customer:Party {uid: 'c-a', name: 'Alpha'})", read_only=False)
    first = pages._current(store)
    assert pages._current(store) is first
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    settings = SimpleNamespace(target_plan=plan)
    report = pages._gaps(store, settings)  # type: ignore[arg-type]
    assert report is not None and pages._gaps(store, settings) is report  # type: ignore[arg-type]
    plan.write_text(PLAN.replace("30", "7") + "\n")
    os.utime(plan, ns=(plan.stat().st_atime_ns, plan.stat().st_mtime_ns + 10**9))
    again = pages._gaps(store, settings)  # type: ignore[arg-type]
    assert again is not report, "the plan file changed"
    store.run("CREATE (:Customer:Party {uid: 'c-b', name: 'Beta'})", read_only=False)
    assert pages._current(store) is not first
