"""The other ways in that bench_load.py measures erm_graph.load against, each on the rows of
bench_load.write_inputs (1,000 customers and 100 employees made first, untimed; N interactions,
each one node and two relationships): raw ``UNWIND`` batches, the naive per-row ``MERGE``
loader, and LadybugDB's ``COPY FROM``. Each returns the seconds of the load alone; bench_load
runs each in a process of its own and adds the peak RSS.
"""

from __future__ import annotations

import csv
import importlib.util
import time
from pathlib import Path

#: the interactions CSV, as LadybugDB's LOAD FROM reads it: every column as text, typed below
LADYBUG_SOURCE = ("LOAD WITH HEADERS (id STRING, customer STRING, employee STRING, kind STRING,"
                  " at STRING, channel STRING, amount STRING, sentiment DOUBLE) FROM '{csv}' "
                  "(header=true)")
LADYBUG_SCHEMA = (
    "CREATE NODE TABLE Customer(uid STRING, name STRING, PRIMARY KEY(uid))",
    "CREATE NODE TABLE Employee(uid STRING, name STRING, PRIMARY KEY(uid))",
    "CREATE NODE TABLE Interaction(uid STRING, kind STRING, at STRING, channel STRING, "
    "amount DOUBLE, sentiment DOUBLE, PRIMARY KEY(uid))",
    "CREATE REL TABLE HAD(FROM Customer TO Interaction)",
    "CREATE REL TABLE `WITH`(FROM Interaction TO Employee)",  # WITH is a keyword there
    "UNWIND range(0, 999) AS i CREATE (:Customer {uid: 'cust-' + lpad(CAST(i AS STRING), 4, "
    "'0'), name: 'Customer ' + CAST(i AS STRING)})",
    "UNWIND range(0, 99) AS i CREATE (:Employee {uid: 'emp-' + lpad(CAST(i AS STRING), 3, "
    "'0'), name: 'Employee ' + CAST(i AS STRING)})",
)
#: the same values erm_graph.load stores: ``ix-`` keys, ISO times, money as a number
LADYBUG_COPIES = (
    "COPY Interaction FROM ({source} RETURN 'ix-' + id, kind, replace(at, ' ', 'T'), channel, "
    "CAST(replace(replace(trim(amount), '$', ''), ',', '') AS DOUBLE), sentiment)",
    "COPY HAD FROM ({source} RETURN customer, 'ix-' + id)",
    "COPY `WITH` FROM ({source} RETURN 'ix-' + id, employee)",
)


def ladybug_missing() -> str | None:
    """Why LadybugDB cannot be measured here, or None."""
    if importlib.util.find_spec("ladybug") is None:
        return "the package ladybug is not installed (pip install '.[bench]')"
    return None


def ladybug_copy(csv_path: Path, folder: Path, rows: int) -> float:
    """Seconds for LadybugDB to ``COPY FROM`` the interactions CSV into a new database in
    ``folder`` (its nodes, then each relationship table; one transaction per COPY, as the
    engine does them), checked by counts and one row afterwards."""
    import ladybug

    db = ladybug.Database(str(folder / "ladybug.db"))
    conn = ladybug.Connection(db)
    for statement in LADYBUG_SCHEMA:
        conn.execute(statement)
    source = LADYBUG_SOURCE.format(csv=csv_path)
    started = time.perf_counter()
    for statement in LADYBUG_COPIES:
        conn.execute(statement.format(source=source))
    seconds = time.perf_counter() - started

    def one(query: str) -> object:
        return conn.execute(query).get_next()[0]

    counts = (one("MATCH (x:Interaction) RETURN count(x)"),
              one("MATCH (:Customer)-[r:HAD]->(:Interaction) RETURN count(r)"),
              one("MATCH (:Interaction)-[r:`WITH`]->(:Employee) RETURN count(r)"))
    assert counts == (rows, rows, rows), counts
    if rows:
        amount = one("MATCH (x:Interaction {uid: 'ix-0'}) RETURN x.amount")
        assert isinstance(amount, float), amount
    return seconds


def raw_unwind(db, rows: list[dict]) -> float:
    """Seconds for the raw engine to take ``rows`` into a graph of its own, same server:
    ``UNWIND $rows ... CREATE`` in batches of 5,000 (no uid index on Interaction, no
    provenance: the least an engine can be asked to do)."""
    graph = db.select_graph("bench_raw")
    _parties(graph)
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


def naive_merge(db, csv_path: Path, rows: int) -> float:
    """Seconds for the loader a first attempt would write: the csv module, each cell typed in
    Python, and one ``MERGE`` statement per row (the interaction by uid, then its customer
    and employee, each relationship merged), on the first ``rows`` rows, into a graph of its
    own with the uid indexes made first."""
    graph = db.select_graph("bench_naive")
    _parties(graph)
    graph.query("CREATE INDEX FOR (n:Interaction) ON (n.uid)")
    started = time.perf_counter()
    with csv_path.open(newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i == rows:
                break
            graph.query(
                "MERGE (x:Interaction {uid: $uid}) "
                "SET x.kind = $kind, x.at = $at, x.channel = $channel, x.amount = $amount, "
                "x.sentiment = $sentiment "
                "WITH x MATCH (c:Party {uid: $customer}) MERGE (c)-[:HAD]->(x) "
                "WITH x MATCH (e:Employee {uid: $employee}) MERGE (x)-[:WITH]->(e)",
                {"uid": f"ix-{row['id']}", "kind": row["kind"],
                 "at": row["at"].replace(" ", "T"), "channel": row["channel"],
                 "amount": float(row["amount"].strip().lstrip("$").replace(",", "")),
                 "sentiment": float(row["sentiment"]), "customer": row["customer"],
                 "employee": row["employee"]})
    seconds = time.perf_counter() - started
    made = tuple(graph.query(query).result_set[0][0] for query in (
        "MATCH (x:Interaction) RETURN count(x)",
        "MATCH (:Party)-[r:HAD]->(:Interaction) RETURN count(r)",
        "MATCH (:Interaction)-[r:WITH]->(:Employee) RETURN count(r)"))
    assert made == (rows, rows, rows), made
    graph.delete()
    return seconds


def _parties(graph) -> None:
    """The 1,000 customers and 100 employees the rows refer to, uid-indexed (untimed)."""
    graph.query("CREATE INDEX FOR (n:Party) ON (n.uid)")
    graph.query("CREATE INDEX FOR (n:Employee) ON (n.uid)")
    graph.query("UNWIND range(0, 999) AS i CREATE (:Party:Customer {uid: 'cust-' + "
                "substring('000' + toString(i), size(toString(i)) - 1, 4)})")
    graph.query("UNWIND range(0, 99) AS i CREATE (:Employee {uid: 'emp-' + "
                "substring('00' + toString(i), size(toString(i)) - 1, 3)})")
