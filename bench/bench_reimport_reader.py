"""The loading process's side of an unchanged re-import: the mapping loader reading, keying and
fingerprinting a file whose every row the store holds as it is, against another commit's code
on the same file, in one run.

    .venv/bin/python bench/bench_reimport_reader.py --rows 300000 --baseline-ref 5549fcb

An unchanged re-import runs the reader and the engine's lookups side by side; on a shared
2-core machine its seconds say more about the other loads than about either side. This times
the reader alone: ``Mapping.read`` of the interactions CSV of bench_load.py with a store that
answers "none stale" at once, ``--reads`` times in a process (the first makes the process's
imports and is not counted), the CPU seconds of each. The processes alternate between this
code and the baseline's, ``--rounds`` of each, so that other loads fall on both; the medians
and their ratio are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench_load import (  # bench/ is on sys.path when run from it
    alternated_options,
    child_json,
    export_package,
    write_inputs,
)


def none_stale(label: str, uids: Sequence[str], prints: Sequence[str]) -> list[int]:
    """The store's answer for an unchanged file, after reading the fingerprints as the store
    would (they are made into texts for its query)."""
    for _ in prints:
        pass
    return []


def read_times(folder: Path, reads: int) -> list[float]:
    """CPU seconds of each of ``reads`` reads of the file, in this process."""
    from erm_graph.ingest.contract import LoadContext, LoadOptions
    from erm_graph.ingest.gc_pause import paused_gc
    from erm_graph.loaders.mapping import LOADER

    csv_path = folder / "interactions.csv"
    options = LoadOptions(mapping=folder / "interactions.yaml")
    found = []
    for _ in range(reads):
        ctx = LoadContext.for_source(csv_path, LOADER, options, stale=none_stale)
        started = time.process_time()
        with paused_gc():  # as erm_graph.load reads
            result = LOADER.read(csv_path, ctx)
        found.append(time.process_time() - started)
        assert sum(result.unchanged_nodes.values()) == result.rows, result.unchanged_nodes
    return found[1:]


def run_child(folder: Path, reads: int, code: Path | None) -> list[float]:
    found: list[float] = child_json(__file__, ["--child", str(folder), str(reads)], code)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    alternated_options(parser, rounds=3)
    parser.add_argument("--reads", type=int, default=4,
                        help="reads per process (the first is not counted)")
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "READS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(read_times(Path(args.child[0]), int(args.child[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="erm-bench-") as tmp:
        folder = Path(tmp)
        write_inputs(folder, args.rows)
        code = export_package(args.baseline_ref, folder / "baseline-code")
        found: dict[str, list[float]] = {"baseline": [], "this code": []}
        for _ in range(args.rounds):
            found["baseline"] += run_child(folder, args.reads, code)
            found["this code"] += run_child(folder, args.reads, None)
    base = statistics.median(found["baseline"])
    print(f"rows: {args.rows:,}; reader CPU of an unchanged re-import (store answering at "
          f"once), {args.rounds} processes per code alternated, {args.reads - 1} timed reads "
          f"each; load average {os.getloadavg()[0]:.1f} at the end")
    for name, times in found.items():
        median = statistics.median(times)
        print(f"{name:10s} ({'commit ' + args.baseline_ref if name == 'baseline' else 'here'}): "
              f"median {median:.3f} s, {min(times):.3f}-{max(times):.3f} s, "
              f"{args.rows / median:,.0f} rows/s ({base / median:.2f}x baseline)")


if __name__ == "__main__":
    main()
