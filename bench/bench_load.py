"""Tabular interactions import: `erm_graph.load` end to end, before and after the columnar
reader, against the raw engine and falkordb-bulk-loader, on the same rows, in one run.

    .venv/bin/python bench/bench_load.py --rows 1000000     (make bench installs the loader)

1. writes a CSV of N interactions (customer, employee, kind, time, channel, money amount,
   sentiment) and its mapping file;
2. per mode, in a process of its own (so its peak RSS is its own) and a fresh embedded
   store: loads 1,000 customers and 100 employees, then ``erm_graph.load`` of the CSV
   (parse, type, validate, dangling check, upsert of N Interaction nodes + N HAD + N WITH
   relationships, AOF rewrite), then re-imports the unchanged file. ``baseline``: the csv
   module and per-text typing; ``columnar``: pyarrow's reader and vectorised typing
   (erm_graph.ingest.columnar). Ratios are against the baseline of the same run;
3. the raw baseline: the same typed rows through the falkordb client, ``UNWIND $rows ...
   CREATE`` in batches of 5,000, into a graph of its own (no uid index on Interaction, no
   provenance: the least an engine can be asked to do);
4. falkordb-bulk-insert of the same rows into a new graph of its own server (see
   bulk_loader.py: it cannot add to an existing graph).
rows/s counts input rows (each one node and two relationships).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bulk_loader import bulk_load, typed_rows  # bench/ is on sys.path when run from it
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
    try:
        from erm_graph.ingest import columnar
        columnar.ENABLED = mode.endswith("columnar") and columnar.available()
    except ImportError:  # the code of a --baseline-ref commit from before it
        pass
    csv_path, mapping = folder / "interactions.csv", folder / "interactions.yaml"
    n = sum(1 for _ in csv_path.open()) - 1
    data = folder / f"db-{mode}"
    store = open_store(f"embedded:{data}")
    try:
        seed_parties(store)
        started = time.perf_counter()
        report = load(store, csv_path, mapping=mapping)
        seconds = time.perf_counter() - started
        assert report.labels["Interaction"].created == n, report.as_dict()
        assert report.types["HAD"].created == report.types["WITH"].created == n
        assert not report.rejected
        rss = own_peak_rss_mb()
        started = time.perf_counter()
        again = load(store, csv_path, mapping=mapping)
        reimport = time.perf_counter() - started
        assert again.total("created") == again.total("updated") == 0, again.as_dict()
        assert again.labels["Interaction"].unchanged == n
        engine = server_peak_rss_mb(data)
    finally:
        store.close()
    import erm_graph

    return {"mode": mode, "code": erm_graph.__file__, "seconds": seconds,
            "reimport": reimport, "rss_mb": rss, "engine_rss_mb": engine}


def run_mode(folder: Path, mode: str, code: Path | None = None) -> dict:
    """``mode`` run by a child process; ``code``: a folder holding another version of the
    erm_graph package, imported instead of this one."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code),
                                                          env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(folder)],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--baseline-columnar", action="store_true",
                        help="with --baseline-ref: that commit runs with its columnar reader "
                             "on (compares two versions of the columnar import)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(load_once(Path(args.child[1]), args.child[0])))
        return
    n = args.rows
    typed = typed_rows(n)
    raw = None
    with tempfile.TemporaryDirectory(prefix="erm-bench-") as tmp:
        folder = Path(tmp)
        write_inputs(folder, n)
        runs = {}
        if args.baseline_ref:
            code = export_package(args.baseline_ref, folder / "baseline-code")
            runs["baseline"] = run_mode(
                folder, "baseline-columnar" if args.baseline_columnar else "baseline", code)
            assert runs["baseline"]["code"].startswith(str(code)), runs["baseline"]
            if not args.skip_off:
                runs["columnar off"] = run_mode(folder, "off")
        else:
            runs["baseline"] = run_mode(folder, "off")
        runs["columnar"] = run_mode(folder, "columnar")
        if not args.skip_raw:
            store = open_store(f"embedded:{folder / 'db-raw'}")
            try:
                with paused_gc():  # as erm_graph.load runs: the baseline gets the same help
                    raw = raw_baseline(store._db, typed)
            finally:
                store.close()
        bulk = None if args.skip_bulk else bulk_load(typed, folder / "bulk")
    base = runs["baseline"]
    print(f"rows: {n:,} interactions (1 node + 2 relationships each), 2 cores, one run")
    if args.baseline_ref:
        print(f"baseline: the code of commit {args.baseline_ref}, columnar reader "
              f"{'on' if args.baseline_columnar else 'off'}; 'columnar off' is this code with "
              "the columnar reader off")
    for mode, run in runs.items():
        s = run["seconds"]
        print(f"erm_graph.load, {mode:12s}       : {s:7.2f} s  {n / s:>9,.0f} rows/s"
              f"  ({base['seconds'] / s:4.2f}x baseline)  peak RSS {run['rss_mb']:,.0f} MB"
              f" ({run['rss_mb'] / base['rss_mb']:4.2f}x), engine {run['engine_rss_mb']:,.0f} MB")
    for mode, run in runs.items():
        s = run["reimport"]
        print(f"re-import unchanged, {mode:12s} : {s:7.2f} s  {n / s:>9,.0f} rows/s"
              f"  ({base['reimport'] / s:4.2f}x baseline)")
    ours = runs["columnar"]["seconds"]
    if raw:
        print(f"raw UNWIND ... CREATE           : {raw:7.2f} s  {n / raw:>9,.0f} rows/s")
        print(f"  ratio load / raw              : {raw / ours:7.2f}x")
    if bulk:
        print(f"falkordb-bulk-insert (own timer): {bulk.load:7.2f} s  {n / bulk.load:>9,.0f} "
              f"rows/s (+{bulk.index:.2f} s for its uid indexes afterwards)")
        print(f"  ratio load / bulk loader      : {bulk.load / ours:7.2f}x")


def raw_baseline(db, rows: list[dict]) -> float:
    """Seconds for the raw engine to take ``rows`` into a graph of its own, same server."""
    graph = db.select_graph("bench_raw")
    graph.query("CREATE INDEX FOR (n:Party) ON (n.uid)")
    graph.query("CREATE INDEX FOR (n:Employee) ON (n.uid)")
    graph.query("UNWIND range(0, 999) AS i CREATE (:Party:Customer {uid: 'cust-' + "
                "substring('000' + toString(i), size(toString(i)) - 1, 4)})")
    graph.query("UNWIND range(0, 99) AS i CREATE (:Employee {uid: 'emp-' + "
                "substring('00' + toString(i), size(toString(i)) - 1, 3)})")
    started = time.perf_counter()
    for i in range(0, len(rows), 5000):
        graph.query("UNWIND $rows AS r MATCH (c:Party {uid: r.customer}) "
                    "MATCH (e:Employee {uid: r.employee}) "
                    "CREATE (c)-[:HAD]->(x:Interaction {uid: r.uid, kind: r.kind, "
                    "at: r.at, channel: r.channel, amount: r.amount, "
                    "sentiment: r.sentiment})-[:WITH]->(e)",
                    {"rows": rows[i:i + 5000]})
    seconds = time.perf_counter() - started
    made = graph.query("MATCH (x:Interaction) RETURN count(x)").result_set[0][0]
    assert made == len(rows), made
    graph.delete()
    return seconds


if __name__ == "__main__":
    main()
