"""Peak memory and seconds of `erm import` of Neo4j admin-import CSV (a folder as `erm export`
writes it) into an empty embedded store, or of `erm restore` of a backup holding that graph,
against another commit's code on the same files, in one run.

    nice .venv/bin/python bench/bench_import_memory.py --size 1000000 --baseline-ref 1d56363
    nice .venv/bin/python bench/bench_import_memory.py --restore --size 1000000 --baseline-ref X
    nice .venv/bin/python bench/bench_import_memory.py --managers 1000 --load --baseline-ref X

``--load``: `erm load` of the folder (the neo4j-csv loader, into an empty store), not `erm
import`. ``--managers N``: every relationship starts at one of the first N nodes (an account
manager's many accounts), so that a page of the walk that checks an import starts them all.

``--restore``: the folder is imported once (this code) into a store that is backed up
(``backup_library``, no users file); each process then restores that backup into a new store.

``--size``: nodes and relationships together, half of each (``Party;Customer`` nodes with a
name, a tier, a time of creation and a content hash; ``RELATES_TO`` relationships between
them, with a kind), written straight into the export's layout. Each import runs in a process
of its own, a fresh data directory each (its peak RSS is its own: VmHWM; the engine's server
is a process of its own, not counted); the processes alternate between this code and the
baseline's, ``--rounds`` of each, so that other loads fall on both. Printed per code: the peak
RSS, what the process held before the import began, the seconds (wall and CPU) and the ratios
to the baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_load import (  # bench/ is on sys.path when run from it
    alternated_options,
    child_json,
    export_package,
)
from run import own_peak_rss_mb, rss_mb


def write_export(folder: Path, size: int, managers: int = 0) -> int:
    """A node file and a relationship file of ``size`` records together, as `erm export`
    lays them out, the relationships starting at the first ``managers`` nodes (0: at every
    node); returns their bytes."""
    folder.mkdir(parents=True)
    nodes = size // 2
    with (folder / "nodes_Party.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["uid:ID(Party)", ":LABEL", "content_hash", "created_at", "name",
                      "tier:long"])
        for i in range(nodes):
            out.writerow([f"bench:party:{i:08d}", "Party;Customer", f"{i * 2654435761:016x}",
                          "2026-01-02T03:04:05", f"Customer {i} Ltd", i % 3 + 1])
    with (folder / "rels_RELATES_TO_Party_Party.csv").open("w", newline="",
                                                           encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([":START_ID(Party)", ":END_ID(Party)", ":TYPE", "kind"])
        for i in range(size - nodes):
            out.writerow([f"bench:party:{i % (managers or nodes):08d}",
                          f"bench:party:{(i * 7919 + 1) % nodes:08d}", "RELATES_TO", "supplies"])
    return sum(p.stat().st_size for p in folder.iterdir())


def import_once(folder: Path, data: Path) -> dict[str, float]:
    """Peak RSS and seconds of one import of ``folder`` into a new store at ``data``."""
    from erm_graph.interop import import_graph

    def run(store: Any) -> None:
        result = import_graph(store, folder)
        assert result.ok, (result.mismatches, result.problems)

    return _measured(data, run)


def load_once(folder: Path, data: Path) -> dict[str, float]:
    """Peak RSS and seconds of one `erm load` of ``folder`` into a new store at ``data``."""
    from erm_graph import load

    def run(store: Any) -> None:
        report = load(store, folder)
        assert not report.rejected, report.rejected[:3]

    return _measured(data, run)


def restore_once(archive: Path, data: Path) -> dict[str, float]:
    """Peak RSS and seconds of one restore of ``archive`` into a new store at ``data``."""
    from erm_graph.interop.backup import restore_library

    def run(store: Any) -> None:
        result = restore_library(store, archive, users_db=data / "users.db").verification
        assert result.ok, (result.mismatches, result.problems)

    return _measured(data, run)


def _measured(data: Path, run: Callable[[Any], None]) -> dict[str, float]:
    """``run`` on a new store at ``data``: this process's peak RSS, its RSS before ``run``,
    and the seconds (wall and CPU) ``run`` took."""
    from erm_graph.store import open_store

    store = open_store(f"embedded:{data}")
    try:
        store.ensure_schema()
        start_mb = rss_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        run(store)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        store.close()
    return {"rss_mb": own_peak_rss_mb(), "start_mb": start_mb, "wall": wall, "cpu": cpu}


def write_backup(folder: Path, archive: Path) -> None:
    """The graph of ``folder`` imported into a store of its own, backed up to ``archive``."""
    from erm_graph.interop import import_graph
    from erm_graph.interop.backup import backup_library
    from erm_graph.store import open_store

    data = archive.with_name("db-source")
    store = open_store(f"embedded:{data}")
    try:
        store.ensure_schema()
        assert import_graph(store, folder).ok
        backup_library(store, archive, users_db=data / "users.db")
    finally:
        store.close()
    shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000,
                        help="nodes and relationships together")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--restore", action="store_true",
                       help="measure `erm restore` of a backup of the graph, not `erm import`")
    modes.add_argument("--load", action="store_true",
                       help="measure `erm load` of the folder (neo4j-csv), not `erm import`")
    parser.add_argument("--managers", type=int, default=0, metavar="N",
                        help="every relationship starts at one of the first N nodes")
    alternated_options(parser, rounds=2)
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    mode = "restore" if args.restore else "load" if args.load else "import"
    once = {"restore": restore_once, "load": load_once, "import": import_once}[mode]
    if args.child:
        print(json.dumps(once(Path(args.child[0]), Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="erm-bench-") as tmp:
        root = Path(tmp)
        size = write_export(root / "export", args.size, args.managers)
        source = root / "export"
        if args.restore:
            source = root / "library.erm"
            write_backup(root / "export", source)
            shutil.rmtree(root / "export")
        code = export_package(args.baseline_ref, root / "baseline-code")
        found: dict[str, list[dict[str, float]]] = {"baseline": [], "this code": []}
        for i in range(args.rounds):
            for name, package in (("baseline", code), ("this code", None)):
                data = root / f"db-{name.replace(' ', '-')}-{i}"
                found[name].append(child_json(
                    __file__, [*([f"--{mode}"] if mode != "import" else []), "--child",
                               str(source), str(data)], package))
                shutil.rmtree(data, ignore_errors=True)
    starts = f", every relationship from one of {args.managers:,} nodes" if args.managers else ""
    print(f"{mode} of {args.size:,} nodes and relationships ({size / 2**20:,.0f} MB of CSV"
          f"{starts}), "
          f"{args.rounds} processes per code alternated; load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    keys = ("rss_mb", "start_mb", "wall", "cpu")
    base = {key: statistics.median(r[key] for r in found["baseline"]) for key in keys}
    for name, runs in found.items():
        mid = {key: statistics.median(r[key] for r in runs) for key in keys}
        rss = [r["rss_mb"] for r in runs]
        print(f"{name:10s} ({'commit ' + args.baseline_ref if name == 'baseline' else 'here'}): "
              f"peak RSS median {mid['rss_mb']:,.0f} MB ({min(rss):,.0f}-{max(rss):,.0f}, "
              f"{mid['rss_mb'] / base['rss_mb']:.2f}x baseline; {mid['start_mb']:,.0f} MB "
              f"before the {mode}); wall {mid['wall']:.1f} s ({mid['wall'] / base['wall']:.2f}x),"
              f" CPU {mid['cpu']:.1f} s ({mid['cpu'] / base['cpu']:.2f}x)")


if __name__ == "__main__":
    main()
