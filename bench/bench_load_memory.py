"""Peak RSS of the loading process per phase of a first mapping import, this code against a
baseline commit, in one run: where a large load's memory goes, and how it grows with the rows.

    nice .venv/bin/python bench/bench_load_memory.py --baseline-ref 8d1d80c
    nice .venv/bin/python bench/bench_load_memory.py --baseline-ref 8d1d80c \\
        --rows 1000000,5000000                       # and the growth from 1M to 5M rows
    nice .venv/bin/python bench/bench_load_memory.py --baseline-ref 8d1d80c --ref abc1234 \\
        --rounds 2                                   # one more commit, two alternated rounds

Per row count, the bench's interaction CSV and its mapping (bench/bench_load.py's
``write_inputs``: one Interaction node, a HAD and a WITH relationship per row, to 1,000
customers and 100 employees that ``seed_parties`` loads first) are written once. Then each
code (this tree, the ``--baseline-ref`` commit and every ``--ref``, each exported with
``git archive`` as bench_load.py's ``export_package`` does) loads it into a fresh embedded
store, in a process of its own (so its RSS is its own load's), with the columnar reader on.
With ``--rounds R`` the codes alternate, round by round in the opposite order, and each
figure printed is the median of the R.

In that process a thread reads the process's RSS (``/proc/self/statm``) every
``--interval`` seconds, and once more at each change of phase, and tags each sample with the
phase the load is in. The phases are taken from the real code, its functions wrapped in place
(as bench/demo_phases.py does for the demo): ``reading`` (``prepare`` up to its first check:
the loaders read, type and key the rows), each check of ``prepare`` by its function's name
(``_distinct``, ``_against_stored``, ``_model_rejects``, ``second_owner_rejects``,
``_dangling_rejects``...), ``write`` (the rest of the write: load owners, schema, AOF
rewrite), ``node step`` (``upsert_nodes``) and ``relationship step``
(``upsert_relationships``). Per phase it prints the peak sampled and the CPU of the loading
process (every thread, ``time.process_time``) spent in it; then the whole load's peak
(VmHWM: no sample can miss it), its CPU and wall seconds, and the engine's peak RSS. The
ratios are each code's over the baseline's. With several row counts, the growth of each
code's peaks from the first count to the last.

A sample is taken when the sampling thread gets the interpreter's lock: a phase inside one
long call in C that holds it is sampled at its end only, so VmHWM is the figure to trust for
the whole load, the phases for where it is reached.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_load import (  # bench/ is on sys.path
    child_json,
    export_package,
    seed_parties,
    write_inputs,
)
from run import own_peak_rss_mb, rss_mb, server_peak_rss_mb

#: the checks of ``prepare`` (erm_graph/ingest/load.py) tagged by name, if the code has them
CHECKS = ("resolve_aliases", "distinct", "merge", "refuse_taken_maps", "against_stored",
          "model_rejects", "second_owner_rejects", "_dangling_rejects", "forget_fingerprints",
          # their names before they moved to erm_graph/ingest/record_checks.py
          "_distinct", "_merge", "_against_stored", "_model_rejects", "_forget_fingerprints")
WRITES = {"upsert_nodes": "node step", "upsert_relationships": "relationship step"}


class Sampler:
    """RSS samples tagged by phase, and the CPU of this process spent per phase. Phases
    nest: a wrapped call inside another is its own phase until it returns."""

    def __init__(self, interval: float):
        self.interval, self.stack = interval, ["setup"]
        self.peaks: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.since = time.process_time()
        self.lock, self.done = threading.Lock(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        with self.lock:
            phase, now = self.stack[-1], rss_mb()
            self.peaks[phase] = max(self.peaks.get(phase, 0.0), now)

    def enter(self, phase: str) -> None:
        self._switch(lambda: self.stack.append(phase))

    def leave(self) -> None:
        self._switch(self.stack.pop)

    def _switch(self, change: Callable[[], Any]) -> None:
        self.sample()
        with self.lock:
            cpu = time.process_time()
            top = self.stack[-1]
            self.cpu[top] = self.cpu.get(top, 0.0) + cpu - self.since
            self.since = cpu
            change()
        self.sample()

    def wrapped(self, phase: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.enter(phase)
            try:
                return call(*args, **kwargs)
            finally:
                self.leave()
        return wrapper


def wrap_phases(sampler: Sampler, store: Any) -> None:
    """The load's phases, its functions wrapped where it calls them."""
    import erm_graph.ingest.load as load_module

    for name in CHECKS:
        if hasattr(load_module, name):
            setattr(load_module, name, sampler.wrapped(name, getattr(load_module, name)))
    load_module.prepare = sampler.wrapped("reading", load_module.prepare)
    prepared = load_module.Prepared
    prepared.write = sampler.wrapped("write", prepared.write)  # type: ignore[method-assign]
    for method, phase in WRITES.items():
        setattr(store, method, sampler.wrapped(phase, getattr(store, method)))


def child(folder: Path, interval: float) -> dict[str, Any]:
    """One first import in this process, its phases sampled."""
    import erm_graph
    from erm_graph import load
    from erm_graph.ingest import columnar
    from erm_graph.store import open_store

    columnar.ENABLED = columnar.available()
    csv_path, mapping = folder / "interactions.csv", folder / "interactions.yaml"
    n = sum(1 for _ in csv_path.open()) - 1
    data = folder / "db"
    store = open_store(f"embedded:{data}")
    try:
        seed_parties(store)
        sampler = Sampler(interval)
        wrap_phases(sampler, store)
        sampler.thread.start()
        started, cpu = time.perf_counter(), time.process_time()
        sampler.enter("load")
        report = load(store, csv_path, mapping=mapping)
        sampler.leave()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        sampler.done.set()
        sampler.thread.join()
        assert report.labels["Interaction"].created == n, report.as_dict()
        assert report.types["HAD"].created == report.types["WITH"].created == n
        assert not report.rejected
        found = {"code": erm_graph.__file__, "peaks": sampler.peaks, "cpu": sampler.cpu,
                 "seconds": seconds, "load_cpu": cpu, "rss_mb": own_peak_rss_mb(),
                 "engine_rss_mb": server_peak_rss_mb(data)}
    finally:
        store.close()
    return found


def run_child(folder: Path, code: Path | None, interval: float) -> dict[str, Any]:
    """:func:`child` in a process of its own; ``code``: an exported erm_graph to import."""
    found: dict[str, Any] = child_json(
        __file__, ["--child", str(folder), "--interval", str(interval)], code)
    if code is not None:
        assert found["code"].startswith(str(code)), found["code"]
    return found


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure of ``runs`` as the median of the runs."""
    phases = {p for run in runs for p in run["peaks"]}
    return {"peaks": {p: statistics.median(r["peaks"].get(p, 0.0) for r in runs) for p in phases},
            "cpu": {p: statistics.median(r["cpu"].get(p, 0.0) for r in runs) for p in phases},
            **{k: statistics.median(r[k] for r in runs)
               for k in ("seconds", "load_cpu", "rss_mb", "engine_rss_mb")}}


def order(found: dict[str, Any]) -> list[str]:
    """The phases in the order a load goes through them."""
    known = ["reading", *CHECKS, "write", "node step", "relationship step"]
    return [p for p in known if p in found["peaks"]]


def report(rows: int, results: dict[str, dict[str, Any]], rounds: int) -> None:
    base = results["baseline"]
    names = list(results)
    told = f"median of {rounds} alternated" if rounds > 1 else "one run"
    print(f"\n## {rows:,} rows ({told}, load average {os.getloadavg()[0]:.1f})")
    print(f"{'phase: peak RSS MB (CPU s)':28s}" + "".join(f"{n:>26s}" for n in names))
    for phase in order(base):
        cells = []
        for name in names:
            peak = results[name]["peaks"].get(phase, 0.0)
            cpu = results[name]["cpu"].get(phase, 0.0)
            ratio = peak / base["peaks"][phase] if base["peaks"].get(phase) else 0.0
            cells.append(f"{peak:7,.0f} {ratio:4.2f}x ({cpu:6.2f})")
        print(f"{phase:28s}" + "".join(f"{c:>26s}" for c in cells))
    for key, what in (("rss_mb", "whole load, VmHWM MB"), ("load_cpu", "whole load, CPU s"),
                      ("seconds", "whole load, wall s"), ("engine_rss_mb", "engine, VmHWM MB")):
        print(f"{what:28s}" + "".join(
            f"{results[n][key]:>15,.1f} {results[n][key] / base[key]:4.2f}x{'':5s}"
            for n in names))


def growth(first: int, last: int, found: dict[int, dict[str, dict[str, Any]]]) -> None:
    print(f"\n## growth from {first:,} to {last:,} rows ({last / first:.0f}x the rows)")
    for name, small in found[first].items():
        big = found[last][name]
        phases = ", ".join(f"{p} {big['peaks'][p] / small['peaks'][p]:.2f}x"
                           for p in order(small) if p in big["peaks"] and small["peaks"][p])
        print(f"{name}: whole load {big['rss_mb'] / small['rss_mb']:.2f}x "
              f"({small['rss_mb']:,.0f} MB to {big['rss_mb']:,.0f} MB); {phases}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], epilog="see the module's docstring for the phases",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000", metavar="N[,N...]",
                        help="row counts, comma-separated; with two or more, the growth of "
                             "the peaks from the first to the last (default 1000000)")
    parser.add_argument("--baseline-ref", metavar="COMMIT",
                        help="the code the ratios are against (e.g. main's HEAD)")
    parser.add_argument("--ref", metavar="COMMIT", action="append", default=[],
                        help="another commit to measure beside them (repeatable)")
    parser.add_argument("--skip-tree", action="store_true",
                        help="leave out this tree: only the commits (while it is edited)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs per code, alternated; figures are their medians")
    parser.add_argument("--interval", type=float, default=0.02, metavar="SECONDS",
                        help="between two RSS samples (default 0.02)")
    parser.add_argument("--child", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.interval)))
        return
    if not args.baseline_ref:
        parser.error("--baseline-ref COMMIT is needed: the code the ratios are against")
    counts = [int(n) for n in args.rows.split(",")]
    found: dict[int, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="erm-bench-mem-") as tmp:
        codes: dict[str, Path | None] = {} if args.skip_tree else {"this tree": None}
        for ref in [args.baseline_ref, *args.ref]:
            name = "baseline" if ref == args.baseline_ref else ref
            codes[name] = export_package(ref, Path(tmp) / f"code-{ref}")
        for rows in counts:
            folder = Path(tmp) / f"rows-{rows}"
            folder.mkdir()
            write_inputs(folder, rows)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in codes}
            for n in range(args.rounds):
                for name in list(codes) if n % 2 == 0 else list(codes)[::-1]:
                    runs[name].append(run_child(folder, codes[name], args.interval))
                    _forget_store(folder)
            names = ["baseline", *(name for name in codes if name != "baseline")]
            found[rows] = {name: medians(runs[name]) for name in names}
            report(rows, found[rows], args.rounds)
            sys.stdout.flush()
    if len(counts) > 1:
        growth(counts[0], counts[-1], found)


def _forget_store(folder: Path) -> None:
    """The store a run left, removed: each run imports into a fresh one."""
    import shutil

    shutil.rmtree(folder / "db", ignore_errors=True)


if __name__ == "__main__":
    main()
