"""Customer service reads on a demo: the service-targets query (every case, and the
breached-service-target rule's open and breached ones), articles suggested for a case, a
knowledge-base search (plain words and a hostile megabyte), and one escalation pass.

    .venv/bin/python bench/bench_service.py --data-dir /tmp/erm-bench-medium --size medium

The demo is loaded into --data-dir once and reused (bench_web.ensure_demo). The escalation
pass writes: it runs last, with --escalate only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import ensure_demo  # noqa: E402

from erm_graph.query import service  # noqa: E402
from erm_graph.store import open_store  # noqa: E402
from erm_graph.watch.escalation import apply_escalations, load_escalations  # noqa: E402


def timed(what: str, runs: int, call: Callable[[], Any]) -> None:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    size = len(result) if hasattr(result, "__len__") else result
    print(f"{what:<48} p50 {statistics.median(took):8.1f} ms  "
          f"p95 {took[max(0, round(0.95 * runs) - 1)]:8.1f} ms  ({size} rows)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--size", default="medium")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--escalate", action="store_true")
    args = ap.parse_args()
    ensure_demo(args.data_dir, args.size)
    store = open_store(f"embedded:{args.data_dir}")
    try:
        (cases,) = store.run("MATCH (x:Case) RETURN count(x)").rows[0]
        print(f"{cases} cases")
        open_case = store.run("MATCH (x:Case) WHERE x.status = 'open' RETURN x.uid "
                              "ORDER BY x.uid LIMIT 1").rows[0][0]
        timed("service-targets, every case (limit 1M)", args.runs,
              lambda: service.service_targets(store, limit=1_000_000))
        timed("service-targets, open and breached (the rule)", args.runs,
              lambda: service.service_targets(store, open_only=True, breached_only=True,
                                               limit=1000))
        timed("service-targets, one case", args.runs,
              lambda: service.service_targets(store, case=open_case))
        timed("suggest articles for a case", args.runs,
              lambda: service.suggest_articles(store, open_case))
        timed("search 'no power reset'", args.runs,
              lambda: service.search_articles(store, "no power reset"))
        timed("search 1 MB of '.*(a+)+$'", args.runs,
              lambda: service.search_articles(store, ".*(a+)+$" * 125_000))
        if args.escalate:
            started = time.perf_counter()
            done = apply_escalations(store, load_escalations())
            print(f"one escalation pass: {sum(len(o.escalated) for o in done)} cases in "
                  f"{time.perf_counter() - started:.1f} s")
    finally:
        store.close()


if __name__ == "__main__":
    main()
