"""Tabular interactions import: `erm_graph.load` end to end vs the raw engine, same rows, one run.

    .venv/bin/python bench/bench_load.py --rows 200000

1. writes a CSV of N interactions (customer, employee, kind, time, channel, money amount,
   sentiment) and its mapping file; 2. loads 1,000 customers and 100 employees;
3. ``erm_graph.load`` of the CSV into a fresh embedded store (parse, type, validate, dangling
   check, upsert of N Interaction nodes + N HAD + N WITH relationships); 4. the raw baseline:
   the same typed rows through the falkordb client, ``UNWIND $rows ... CREATE`` in batches of
   5,000, into another graph of the same server; 5. re-import of the unchanged file.
rows/s counts input rows (each one node and two relationships).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from erm_graph import load
from erm_graph.ingest import GraphBatch, write_batch
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erm-bench-") as tmp:
        folder = Path(tmp)
        csv_path = write_inputs(folder, args.rows)
        store = open_store(f"embedded:{folder / 'db'}")
        try:
            seed_parties(store)
            started = time.perf_counter()
            report = load(store, csv_path, mapping=folder / "interactions.yaml")
            ours = time.perf_counter() - started
            assert report.labels["Interaction"].created == args.rows, report.as_dict()
            assert not report.rejected

            rows = [dict(r) for r in _typed(store, report)]
            graph = store._db.select_graph("bench_raw")  # same server, separate graph
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
            raw = time.perf_counter() - started
            made = graph.query("MATCH (x:Interaction) RETURN count(x)").result_set[0][0]
            assert made == args.rows, made
            graph.delete()

            started = time.perf_counter()
            again = load(store, csv_path, mapping=folder / "interactions.yaml")
            reimport = time.perf_counter() - started
            assert again.total("created") == 0 and again.total("updated") == 0
        finally:
            store.close()
    n = args.rows
    print(f"rows: {n:,} interactions (1 node + 2 relationships each), 2 cores")
    print(f"erm_graph.load end to end : {ours:6.2f} s  {n / ours:>10,.0f} rows/s")
    print(f"raw UNWIND ... CREATE     : {raw:6.2f} s  {n / raw:>10,.0f} rows/s")
    print(f"ratio load / raw          : {raw / ours:6.2f}x")
    print(f"re-import unchanged file  : {reimport:6.2f} s  {n / reimport:>10,.0f} rows/s")


def _typed(store, report):
    """The typed interaction rows as the loader stored them, read back for the baseline."""
    result = store.run("MATCH (c:Party)-[:HAD]->(x:Interaction)-[:WITH]->(e:Employee) "
                       "RETURN x.uid, c.uid, e.uid, x.kind, x.at, x.channel, x.amount, "
                       "x.sentiment")
    for uid, customer, employee, kind, at, channel, amount, sentiment in result.rows:
        yield {"uid": uid, "customer": customer, "employee": employee, "kind": kind, "at": at,
               "channel": channel, "amount": amount, "sentiment": sentiment}


if __name__ == "__main__":
    main()
