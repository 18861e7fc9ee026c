"""Tabular interactions import: `erm_graph.load` end to end, before and after the columnar
reader, against the raw engine and falkordb-bulk-loader, on the same rows, in one run.

    .venv/bin/python bench/bench_load.py --rows 1000000     (make bench installs the loader)

1. writes a CSV of N interactions (customer, employee, kind, time, channel, money amount,
   sentiment) and its mapping file;
2. per mode, in a process of its own (so its peak RSS is its own) and a fresh embedded
   store: loads 1,000 customers and 100 employees, then ``erm_graph.load`` of the CSV
   (parse, type, validate, dangling check, upsert of N Interaction nodes + N HAD + N WITH
   relationships, AOF rewrite), then re-imports the unchanged file. With ``--reimports N``,
   N more re-imports per mode follow once every mode has loaded, each in a process of its
   own on that mode's store after one untimed (which makes the process's imports and
   caches), the modes alternating round by round so that a shared machine's other loads
   fall on both; their median is printed, with the loading process's CPU (the reader's
   side, which other loads delay but do not add to). ``baseline``: the csv module and
   per-text typing; ``columnar``: pyarrow's reader and vectorised typing
   (erm_graph.ingest.columnar). Ratios are against the baseline of the same run;
3. the raw baseline: the same typed rows through the falkordb client, ``UNWIND $rows ...
   CREATE`` in batches of 5,000, into a graph of its own (no uid index on Interaction, no
   provenance: the least an engine can be asked to do);
4. falkordb-bulk-insert of the same rows into a new graph of its own server (see
   bulk_loader.py: it cannot add to an existing graph);
5. LadybugDB (the maintained Kuzu fork, an embedded graph database a user could pick instead)
   ``COPY FROM`` the same CSV into a new database, the money, time and key columns turned
   into the same values by the ``LOAD FROM`` subquery each COPY reads (pip install
   '.[bench]'; skipped, with the reason, when the package is absent);
6. the naive loader: one ``MERGE`` statement per row through the falkordb client (node, then
   its two relationships), as a first hand-written import would be, on the first
   ``--naive-rows`` rows only and extrapolated to N (printed as extrapolated).
Each of 3-6 runs in a process of its own too. rows/s counts input rows (each one node and two
relationships); "x erm" is a method's rows/s over erm_graph.load's (columnar) of the same run;
peak RSS is the loading process's and the engine's (one process for LadybugDB: it is
embedded in the loader).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from bulk_loader import bulk_load, typed_rows  # bench/ is on sys.path when run from it
from rival_loaders import ladybug_copy, ladybug_missing, naive_merge, raw_unwind
from run import own_peak_rss_mb, server_peak_rss_mb

from erm_graph import load
from erm_graph.ingest import GraphBatch, write_batch
from erm_graph.ingest.gc_pause import paused_gc
from erm_graph.store import open_store

MAPPING = """\
tables:
  - file: interactions.csv
    label: Interaction
    key: {column: id, prefix: "ix-"}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "%Y-%m-%d %H:%M:%S"}
      channel: {column: channel}
      amount: {column: amount, type: money}
      sentiment: {column: sentiment, type: float}
    relationships:
      - {type: HAD, label: Customer, column: customer, direction: in}
      - {type: WITH, label: Employee, column: employee}
"""
KINDS = ("consultation", "purchase", "service", "support", "call", "email")
CHANNELS = ("phone", "email", "web", "visit", "chat")


def write_inputs(folder: Path, rows: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    with (folder / "interactions.csv").open("w") as fh:
        fh.write("id,customer,employee,kind,at,channel,amount,sentiment\n")
        for i in range(rows):
            fh.write(f"{i},cust-{rng.randrange(1000):04d},emp-{rng.randrange(100):03d},"
                     f"{rng.choice(KINDS)},2024-{rng.randint(1, 12):02d}-"
                     f"{rng.randint(1, 28):02d} {rng.randint(8, 17):02d}:15:00,"
                     f"{rng.choice(CHANNELS)},\"${rng.randint(0, 5000):,}.{rng.randint(0, 99):02d}"
                     f" \",{rng.uniform(-1, 1):.2f}\n")
    (folder / "interactions.yaml").write_text(MAPPING)
    return folder / "interactions.csv"


def seed_parties(store) -> None:
    batch = GraphBatch()
    for i in range(1000):
        batch.add_node("Customer", {"uid": f"cust-{i:04d}", "name": f"Customer {i}"})
    for i in range(100):
        batch.add_node("Employee", {"uid": f"emp-{i:03d}", "name": f"Employee {i}"})
    write_batch(store, batch)


def load_once(folder: Path, mode: str) -> dict:
    """One mode's import and re-import into a fresh store, in this process: seconds, and
    the peak RSS of this process and of its engine."""
    _columnar_as(mode)
    csv_path, mapping = folder / "interactions.csv", folder / "interactions.yaml"
    n = sum(1 for _ in csv_path.open()) - 1
    data = folder / f"db-{mode}"
    store = open_store(f"embedded:{data}")
    try:
        seed_parties(store)
        started, cpu = time.perf_counter(), time.process_time()
        report = load(store, csv_path, mapping=mapping)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.labels["Interaction"].created == n, report.as_dict()
        assert report.types["HAD"].created == report.types["WITH"].created == n
        assert not report.rejected
        rss = own_peak_rss_mb()
        again = reimport(store, csv_path, mapping, n)
        engine = server_peak_rss_mb(data)
    finally:
        store.close()
    import erm_graph

    return {"mode": mode, "code": erm_graph.__file__, "seconds": seconds, "cpu": cpu,
            "rss_mb": rss, "engine_rss_mb": engine} | again


def _columnar_as(mode: str) -> None:
    """The columnar reader on for the columnar modes, off for the others."""
    try:
        from erm_graph.ingest import columnar
        columnar.ENABLED = mode.endswith("columnar") and columnar.available()
    except ImportError:  # the code of a --baseline-ref commit from before it
        pass


def reimport(store, csv_path: Path, mapping: Path, n: int) -> dict:
    """One re-import of the unchanged file: its seconds, and its CPU in this process."""
    started, cpu = time.perf_counter(), time.process_time()
    again = load(store, csv_path, mapping=mapping)
    found = {"reimport": time.perf_counter() - started, "reimport_cpu": time.process_time() - cpu}
    assert again.total("created") == again.total("updated") == 0, again.as_dict()
    assert again.labels["Interaction"].unchanged == n
    return found


def run_child(folder: Path, mode: str, code: Path | None = None) -> dict:
    """``mode`` run by a child process; ``code``: a folder holding another version of the
    erm_graph package, imported instead of this one."""
    return child_json(__file__, ["--child", mode, str(folder)], code)


def child_json(script: str, args: list[str], code: Path | None) -> Any:
    """What ``script args``, run in a process of its own, prints as JSON on its last line:
    how each benchmark measures one version in a process whose memory and imports are its
    own. ``code``: a folder holding another version of the erm_graph package
    (:func:`export_package`), imported instead of this one."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, script, *args], check=True, capture_output=True,
                         text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternated_options(parser: argparse.ArgumentParser, rounds: int) -> None:
    """``--baseline-ref`` and ``--rounds`` of a benchmark whose processes alternate between this
    code and a commit's (:func:`export_package`, :func:`child_json`)."""
    parser.add_argument("--baseline-ref", metavar="COMMIT", default="HEAD",
                        help="the baseline is the code of this commit (git archive; "
                             "default HEAD, which leaves out what is not committed)")
    parser.add_argument("--rounds", type=int, default=rounds, help="processes per code, alternated")


def export_package(ref: str, into: Path) -> Path:
    """The erm_graph package as commit ``ref`` of this repository has it, laid out as
    installed (the root folders loaders/, cypher/, schemas/ inside it), in ``into``."""
    root = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True,
                               capture_output=True, text=True, cwd=Path(__file__).parent
                               ).stdout.strip())
    tree = subprocess.run(["git", "archive", ref, "erm_graph", "loaders", "cypher", "schemas"],
                          check=True, capture_output=True, cwd=root).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        tar.extractall(into, filter="data")
    for folder in ("loaders", "cypher", "schemas"):
        if (into / folder).is_dir():
            (into / folder).rename(into / "erm_graph" / folder)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-bulk", action="store_true",
                        help="leave out falkordb-bulk-loader (pip install '.[bench]')")
    parser.add_argument("--skip-raw", action="store_true", help="leave out raw UNWIND")
    parser.add_argument("--baseline-ref", metavar="COMMIT",
                        help="the baseline is the code of this commit (git archive), not "
                             "this code with the columnar reader off")
    parser.add_argument("--skip-off", action="store_true",
                        help="with --baseline-ref: leave out this code with the columnar "
                             "reader off")
    parser.add_argument("--skip-ladybug", action="store_true",
                        help="leave out LadybugDB COPY FROM (pip install '.[bench]')")
    parser.add_argument("--naive-rows", type=int, default=5000, metavar="N",
                        help="rows the naive per-row MERGE loader is timed on, then "
                             "extrapolated (0 leaves it out)")
    parser.add_argument("--baseline-columnar", action="store_true",
                        help="with --baseline-ref: that commit runs with its columnar reader "
                             "on (compares two versions of the columnar import)")
    parser.add_argument("--reimports", type=int, default=0, metavar="N",
                        help="N more re-imports per mode, the modes alternating, each in a "
                             "process of its own: their median is printed (a shared machine)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    n = args.rows
    typed = typed_rows(n)
    with tempfile.TemporaryDirectory(prefix="erm-bench-") as tmp:
        folder = Path(tmp)
        write_inputs(folder, n)
        runs = {}
        if args.baseline_ref:
            code = export_package(args.baseline_ref, folder / "baseline-code")
            runs["baseline"] = run_child(
                folder, "baseline-columnar" if args.baseline_columnar else "baseline", code)
            assert runs["baseline"]["code"].startswith(str(code)), runs["baseline"]
            if not args.skip_off:
                runs["columnar off"] = run_child(folder, "off")
        else:
            runs["baseline"] = run_child(folder, "off")
        runs["columnar"] = run_child(folder, "columnar")
        _reimport_rounds(folder, runs, args.reimports,
                         code if args.baseline_ref else None)
        raw = None if args.skip_raw else run_child(folder, "raw")
        bulk, bulk_failed = None, ""
        if not args.skip_bulk:
            try:
                bulk = bulk_load(typed, folder / "bulk")
            except RuntimeError as exc:  # the tool's own failure: the other figures still count
                said = str(exc).strip().splitlines()
                bulk_failed = next((line for line in reversed(said) if "Error" in line),
                                   said[-1])
        missing = ladybug_missing()
        ladybug = None if args.skip_ladybug or missing else run_child(folder, "ladybug")
        naive = (None if args.naive_rows <= 0
                 else run_child(folder, f"naive:{min(args.naive_rows, n)}"))
    base = runs["baseline"]
    print(f"rows: {n:,} interactions (1 node + 2 relationships each), {os.cpu_count()} cores, "
          "one run")
    if args.baseline_ref:
        print(f"baseline: the code of commit {args.baseline_ref}, columnar reader "
              f"{'on' if args.baseline_columnar else 'off'}; 'columnar off' is this code with "
              "the columnar reader off")
    for mode, run in runs.items():
        s = run["seconds"]
        print(f"erm_graph.load, {mode:12s}       : {s:7.2f} s  {n / s:>9,.0f} rows/s"
              f"  ({base['seconds'] / s:4.2f}x baseline)  peak RSS {run['rss_mb']:,.0f} MB"
              f" ({run['rss_mb'] / base['rss_mb']:4.2f}x), engine {run['engine_rss_mb']:,.0f} MB")
    told = f"median of {args.reimports} alternated" if args.reimports else "one"
    for mode, run in runs.items():
        s, cpu = run["reimport"], run["reimport_cpu"]
        print(f"re-import unchanged, {mode:12s} : {s:7.2f} s  {n / s:>9,.0f} rows/s"
              f"  ({base['reimport'] / s:4.2f}x baseline), {told}; CPU of the loading "
              f"process {cpu:.2f} s ({base['reimport_cpu'] / cpu:4.2f}x)")
    ours = runs["columnar"]["seconds"]
    table = [("erm_graph.load (columnar)", ours, runs["columnar"]["rss_mb"],
              f"{runs['columnar']['engine_rss_mb']:,.0f} MB")]
    if raw:
        table.append(("raw UNWIND ... CREATE", raw["seconds"], raw["rss_mb"],
                      f"{raw['engine_rss_mb']:,.0f} MB"))
    if bulk:
        table.append(("falkordb-bulk-insert (own timer)", bulk.load, bulk.rss_mb,
                      f"{bulk.engine_rss_mb:,.0f} MB"))
    if ladybug:
        table.append(("LadybugDB COPY FROM", ladybug["seconds"], ladybug["rss_mb"],
                      "(in the loader)"))
    if naive:
        table.append((f"naive per-row MERGE, EXTRAPOLATED from {naive['rows']:,} rows",
                       naive["seconds"] * n / naive["rows"], naive["rss_mb"],
                       f"{naive['engine_rss_mb']:,.0f} MB"))
    print(f"\n{'side by side, same rows':48s} {'seconds':>9s} {'rows/s':>10s} {'x erm':>7s}"
          f" {'peak RSS':>9s}  engine")
    for name, seconds, rss, engine in table:
        print(f"{name:48s} {seconds:9.2f} {n / seconds:>10,.0f} {ours / seconds:7.2f}"
              f" {rss:>6,.0f} MB  {engine}")
    if bulk:
        print(f"falkordb-bulk-insert: +{bulk.index:.2f} s for its uid indexes afterwards")
    if bulk_failed:
        print(f"falkordb-bulk-insert: failed in this run, {bulk_failed}")
    if missing and not args.skip_ladybug:
        print(f"LadybugDB COPY FROM: skipped, {missing}")


def _reimport_rounds(folder: Path, runs: dict[str, dict], rounds: int,
                     code: Path | None) -> None:
    """``rounds`` re-imports per run of ``runs``, the runs alternating, each in a child on
    the store its first import left; each run's re-import figures become their medians."""
    if rounds <= 0:
        return
    found: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            found[name].append(run_child(folder, f"reimport:{run['mode']}",
                                         code if name == "baseline" else None))
    for name, run in runs.items():
        for key in ("reimport", "reimport_cpu"):
            run[key] = statistics.median(r[key] for r in found[name])


def child(mode: str, folder: Path) -> dict:
    """One measurement in this (child) process, so that its peak RSS is its own."""
    if mode in ("baseline", "baseline-columnar", "off", "columnar"):
        return load_once(folder, mode)
    csv_path = folder / "interactions.csv"
    n = sum(1 for _ in csv_path.open()) - 1
    if mode.startswith("reimport:"):  # on the store the mode's first import left
        first = mode.partition(":")[2]
        _columnar_as(first)
        store = open_store(f"embedded:{folder / f'db-{first}'}")
        try:  # the process's first load makes its imports and caches: not timed
            reimport(store, csv_path, folder / "interactions.yaml", n)
            return reimport(store, csv_path, folder / "interactions.yaml", n)
        finally:
            store.close()
    if mode == "ladybug":
        seconds = ladybug_copy(csv_path, folder, n)
        return {"seconds": seconds, "rss_mb": own_peak_rss_mb()}
    data = folder / f"db-{mode.partition(':')[0]}"
    store = open_store(f"embedded:{data}")
    try:
        if mode == "raw":
            typed = typed_rows(n)
            with paused_gc():  # as erm_graph.load runs: the baseline gets the same help
                found = {"seconds": raw_unwind(store._db, typed)}
        else:  # naive:ROWS
            rows = int(mode.partition(":")[2])
            found = {"seconds": naive_merge(store._db, csv_path, rows), "rows": rows}
        found.update(rss_mb=own_peak_rss_mb(), engine_rss_mb=server_peak_rss_mb(data))
    finally:
        store.close()
    return found


if __name__ == "__main__":
    main()
