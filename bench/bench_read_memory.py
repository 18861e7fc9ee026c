"""Peak memory of reading a large CSV: the mapping loader reading the interactions CSV of
bench_load.py, no store, its records kept as a load keeps them, against another commit's code
on the same file, in one run.

    .venv/bin/python bench/bench_read_memory.py --rows 1000000 --baseline-ref 8d1d80c

A load's peak is its write's at 1M rows, which hides what reading alone holds; a streaming load
needs reading to hold one block of the file, not its text. ``--drop``: the rows read through
the loaders' context (``LoadContext.csv_chunks``) and each chunk let go, no records made: what
reading holds of the file itself, which a load that writes as it reads would add to what it
keeps. ``--keys-only``: the mapping loader reading the file as a load does, each chunk's
records let go as soon as they are typed (its ``finish`` given a result of its own, dropped):
what a streaming load's check pass keeps, the table's per-key state (``NodeTable.seen`` and
``firsts``); run at two row counts, the growth per row is what that state costs a key. Each
read runs in a process of its own (its peak RSS is its own: VmHWM); the processes alternate
between this code and the baseline's, ``--rounds`` of each, so that other loads fall on both.
Printed per code: the peak RSS, the CPU seconds of the read and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_load import (  # bench/ is on sys.path when run from it
    alternated_options,
    child_json,
    export_package,
    write_inputs,
)
from run import own_peak_rss_mb


def read_once(folder: Path, drop: bool, keys_only: bool) -> dict[str, float]:
    """The peak RSS and CPU seconds of one read of the file, in this process; ``drop``: its
    chunks of rows let go as read, no records made; ``keys_only``: each chunk's records let
    go once typed."""
    from erm_graph.ingest import columnar
    from erm_graph.ingest.contract import LoadContext, LoadOptions
    from erm_graph.ingest.gc_pause import paused_gc
    from erm_graph.loaders.mapping import LOADER, reader

    csv_path = folder / "interactions.csv"
    options = LoadOptions(mapping=folder / "interactions.yaml")
    ctx = LoadContext.for_source(csv_path, LOADER, options)
    if keys_only:
        finish = reader.finish

        def let_go(result: object, *chunk: Any) -> None:
            finish(ctx.result(csv_path), *chunk)

        reader.finish = let_go  # type: ignore[assignment]
    started = time.process_time()
    with paused_gc():  # as erm_graph.load reads
        if drop:
            chunks = ctx.csv_chunks(csv_path, columnar.CHUNK_ROWS)[1]
            rows = sum(len(lines) for lines, _ in chunks)
        else:
            result = LOADER.read(csv_path, ctx)
            assert not result.rejects, result.rejects[:3]
            rows = result.rows
    cpu = time.process_time() - started
    return {"rss_mb": own_peak_rss_mb(), "cpu": cpu, "rows": rows}


def run_child(folder: Path, code: Path | None, mode: list[str]) -> dict[str, float]:
    found: dict[str, float] = child_json(__file__, ["--child", str(folder), *mode], code)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    alternated_options(parser, rounds=3)
    parser.add_argument("--drop", action="store_true",
                        help="the rows read and let go, no records made (reading alone)")
    parser.add_argument("--keys-only", action="store_true",
                        help="each chunk's records let go once typed: the loader's per-key "
                             "state alone (a streaming check pass)")
    parser.add_argument("--child", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(read_once(Path(args.child), args.drop, args.keys_only)))
        return
    mode = ["--drop"] * args.drop + ["--keys-only"] * args.keys_only
    with tempfile.TemporaryDirectory(prefix="erm-bench-") as tmp:
        folder = Path(tmp)
        size = write_inputs(folder, args.rows).stat().st_size
        code = export_package(args.baseline_ref, folder / "baseline-code")
        found: dict[str, list[dict[str, float]]] = {"baseline": [], "this code": []}
        for _ in range(args.rounds):
            found["baseline"].append(run_child(folder, code, mode))
            found["this code"].append(run_child(folder, None, mode))
    what = "rows let go as read" if args.drop else "mapping loader, records let go once " \
        "typed" if args.keys_only else "mapping loader, records kept"
    print(f"rows: {args.rows:,} ({size / 2**20:,.0f} MB file); reading alone ({what}), "
          f"{args.rounds} processes per code alternated; load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    base = {key: statistics.median(r[key] for r in found["baseline"])
            for key in ("rss_mb", "cpu")}
    for name, runs in found.items():
        rss = [r["rss_mb"] for r in runs]
        cpu = [r["cpu"] for r in runs]
        print(f"{name:10s} ({'commit ' + args.baseline_ref if name == 'baseline' else 'here'}): "
              f"peak RSS median {statistics.median(rss):,.0f} MB ({min(rss):,.0f}-"
              f"{max(rss):,.0f}, {statistics.median(rss) / base['rss_mb']:.2f}x baseline); "
              f"CPU median {statistics.median(cpu):.2f} s ({min(cpu):.2f}-{max(cpu):.2f}, "
              f"{statistics.median(cpu) / base['cpu']:.2f}x baseline)")


if __name__ == "__main__":
    main()
