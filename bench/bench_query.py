"""Latency of the named queries on a demo enterprise: p50 / p95 per query, and analytics times.

    .venv/bin/python bench/bench_query.py --db /tmp/erm-bench-medium --size medium
    .venv/bin/python bench/bench_query.py --db /tmp/erm-bench-large --size large --runs 20

The demo is loaded into the --db data directory once (a marker file records size and seed)
and reused by later runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from erm_graph import analytics, model
from erm_graph.demo import load_demo
from erm_graph.query import load_library, run_query
from erm_graph.store import open_store

#: exact betweenness is O(n*m): measured against the approximation on the medium demo only
EXACT_BETWEENNESS_MAX_NODES = 200_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ensure_demo(db: Path, size: str, seed: int):
    store = open_store(f"embedded:{db}")
    marker = db / ".bench-demo"
    wanted = f"{size}:{seed}"
    if not marker.exists() or marker.read_text() != wanted:
        started = time.perf_counter()
        store.clear()
        load_demo(store, size, seed)
        store.compact()
        marker.write_text(wanted)
        print(f"loaded demo {size} (seed {seed}) in {time.perf_counter() - started:.1f} s")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="embedded data directory")
    parser.add_argument("--size", default="medium", help="small, medium or large")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query")
    parser.add_argument("--only", nargs="*", help="query names (default: all)")
    parser.add_argument("--analytics", action="store_true",
                        help="also time projection, PageRank, Louvain and betweenness")
    args = parser.parse_args()
    size = int(args.size) if args.size.isdigit() else args.size
    store = ensure_demo(args.db, size, args.seed)
    try:
        labels, _ = store.counts()
        nodes = sum(labels[k] for k in model.KEY_LABELS)
        print(f"demo {args.size}: {nodes:,} nodes")
        print(f"{'query':<22} {'p50 ms':>9} {'p95 ms':>9} {'rows':>6}")
        for query in load_library():
            if args.only and query.name not in args.only:
                continue
            params = query.example_params()
            times, rows = [], 0
            run_query(store, query.name, params, timeout=300)  # warm-up
            for _ in range(args.runs):
                started = time.perf_counter()
                rows = len(run_query(store, query.name, params, timeout=300).rows)
                times.append((time.perf_counter() - started) * 1000)
            print(f"{query.name:<22} {statistics.median(times):>9.1f} "
                  f"{percentile(times, 0.95):>9.1f} {rows:>6}")
        if args.analytics:
            started = time.perf_counter()
            graph = analytics.project(store)
            print(f"projection: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} "
                  f"edges in {time.perf_counter() - started:.1f} s")
            approx_top: set[str] = set()
            for name, options in (("pagerank", {}), ("communities", {}),
                                  ("betweenness", {"samples": 256}),
                                  ("betweenness", {"samples": None})):
                if name == "betweenness" and options["samples"] is None \
                        and graph.number_of_nodes() > EXACT_BETWEENNESS_MAX_NODES:
                    print("exact betweenness: skipped (O(n*m); run --size medium for it)")
                    continue
                started = time.perf_counter()
                frame = analytics.run_algorithm(name, graph, **options)
                label = name + ("" if not options else f" (samples={options['samples']})")
                print(f"{label:<32} {time.perf_counter() - started:>8.1f} s")
                if name == "betweenness":
                    top = set(frame["uid"].head(20))
                    if options["samples"] is None and approx_top:
                        print(f"top-20 agreement approx vs exact: {len(top & approx_top)}/20")
                    approx_top = top
    finally:
        store.close()


if __name__ == "__main__":
    main()
