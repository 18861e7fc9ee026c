"""Demo load throughput: erm-graph's writer against the raw engine, on the same rows, one run.

    python bench/run.py --size medium          # the figure the foundation issue asks for
    python bench/run.py --size large           # time and memory of the large demo

The baseline is the fastest plain use of the engine: ``UNWIND $rows AS r CREATE (n:L) SET n = r``
for nodes and ``UNWIND .. MATCH (a) MATCH (b) CREATE (a)-[:T]->(b)`` for relationships, in
batches of the same size, straight through the falkordb client, with the same uid indexes made
first. erm-graph's path adds validation-free upserts (MERGE), change detection and provenance.
Both runs get a fresh data directory; the demo rows are generated once, before either is timed.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import falkordb

from erm_graph import model
from erm_graph.demo import generate, load_demo
from erm_graph.store import open_store
from erm_graph.store.base import BATCH_SIZE, batches
from erm_graph.store.embedded_server import PID


def server_peak_rss_mb(data_dir: Path) -> float:
    """Peak resident memory of the embedded server process (VmHWM), in MB."""
    return peak_rss_mb(int((data_dir / PID).read_text().strip()))


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


#: a page of memory, in MB: /proc/self/statm counts pages
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE_MB


def own_peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB: VmHWM, which starts again at exec, not
    ``ru_maxrss``, which a child process started by a big parent inherits from it."""
    return peak_rss_mb(os.getpid())


def raw_load(parts, data_dir: Path) -> float:
    """Seconds to load ``parts`` with plain UNWIND/CREATE through the client."""
    store = open_store(f"embedded:{data_dir}")
    store.ensure_schema()  # same indexes as the erm path: edges need them
    graph = falkordb.FalkorDB(unix_socket_path=str(data_dir / "falkordb.sock")).select_graph("erm")
    started = time.perf_counter()
    for part in parts:
        for label, rows in part.nodes.items():
            labels = ":".join(model.label(label).labels)
            for chunk in batches(rows, BATCH_SIZE):
                graph.query(f"UNWIND $rows AS r CREATE (n:{labels}) SET n = r", {"rows": chunk})
        for (rel_type, start, end), rows in part.relationships.items():
            s, e = model.label(start).key_label, model.label(end).key_label
            for chunk in batches(rows, BATCH_SIZE):
                payload = [{"s": r["start"], "e": r["end"],
                            "p": {k: v for k, v in r.items() if k not in ("start", "end")}}
                           for r in chunk]
                graph.query(f"UNWIND $rows AS r MATCH (a:{s} {{uid: r.s}}) "
                            f"MATCH (b:{e} {{uid: r.e}}) CREATE (a)-[x:{rel_type}]->(b) "
                            f"SET x = r.p", {"rows": payload})
    took = time.perf_counter() - started
    store.close()
    return took


def erm_load(size, seed: int, data_dir: Path) -> tuple[float, float]:
    """Seconds for `load_demo` (generation included) and the server's peak RSS."""
    store = open_store(f"embedded:{data_dir}")
    started = time.perf_counter()
    load_demo(store, size, seed)
    took = time.perf_counter() - started
    rss = server_peak_rss_mb(data_dir)
    store.close()
    return took, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium", help="small, medium, large or a node count")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", metavar="DIR",
                        help="load erm-graph's copy into DIR and keep it (for bench_query.py)")
    parser.add_argument("--skip-raw", action="store_true",
                        help="only time erm-graph (large: the baseline needs all rows in RAM)")
    args = parser.parse_args()
    size = int(args.size) if args.size.isdigit() else args.size
    root = Path(tempfile.mkdtemp(prefix="erm-bench-"))
    erm_dir = Path(args.keep) if args.keep else root / "erm"
    try:
        started = time.perf_counter()
        parts = [] if args.skip_raw else list(generate(size, args.seed))
        gen_s = time.perf_counter() - started
        rows = sum(len(p) for p in parts)
        print(f"demo {args.size}: generated {rows:,} rows in {gen_s:.1f} s", flush=True)

        raw_s = None
        if not args.skip_raw:
            raw_s = raw_load(parts, root / "raw")
        del parts
        gc.collect()
        erm_s, server_rss = erm_load(size, args.seed, erm_dir)
        total = rows or _count(erm_dir)
        print(f"erm-graph load_demo (generation included): {erm_s:.1f} s, "
              f"{total / erm_s:,.0f} rows/s; server peak RSS {server_rss:,.0f} MB; "
              f"bench process peak RSS {own_peak_rss_mb():,.0f} MB")
        if raw_s is not None:
            erm_no_gen = max(erm_s - gen_s, 1e-9)
            print(f"raw engine UNWIND/CREATE baseline: {raw_s:.1f} s, {rows / raw_s:,.0f} rows/s")
            print(f"ratio erm/raw (rows/s, generation included): {raw_s / erm_s:.2f}x")
            print(f"ratio erm/raw (rows/s, generation excluded): {raw_s / erm_no_gen:.2f}x")
        started = time.perf_counter()
        store = open_store(f"embedded:{erm_dir}")
        reopen = time.perf_counter() - started
        started = time.perf_counter()
        again = load_demo(store, size, args.seed)
        redo = time.perf_counter() - started
        store.close()
        print(f"reopen after load: {reopen:.2f} s; unchanged re-load: {redo:.1f} s "
              f"({again.total('unchanged'):,} unchanged, {again.total('created')} created)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _count(data_dir: Path) -> int:
    store = open_store(f"embedded:{data_dir}")
    labels, types = store.counts()
    store.close()
    key = sum(n for name, n in labels.items() if name in model.KEY_LABELS)
    return key + sum(types.values())


if __name__ == "__main__":
    sys.exit(main())
