"""Where a demo load's time goes: wall, Python CPU and engine CPU per phase of `load_demo`.

    python bench/demo_phases.py --size large            # one load into a fresh directory
    python bench/demo_phases.py --size large --rounds 2 --baseline DIR [--baseline DIR2]
        # alternates with the code exported to each DIR (bench_load.export_package), each
        # load in a process of its own, and prints the ratios of the medians

The phases are taken from the real `load_demo`, its calls timed in place: pulling the next
part from `generate` (the demo's rows, Python), `upsert_nodes` and `upsert_relationships`
(payloads, bulk tokens and the engine's writes: two batches in flight), the rest of
`write_batch` (load owners, schema) and the final `compact` (the AOF rewrite, in the server's
child process). Python CPU is this process's (every thread), engine CPU the server's
utime+stime with its reaped children (the rewrite), both read around each call. When the
code overlaps phases (a part generated while another is written) their wall times add up to
more than the load's; the load's own wall time is printed apart. When the parts are made
ahead in a child process (`erm_graph.demo.ahead`), "generate" is the loader's wait for the
next part and its unpickling, and the child's own CPU and peak RSS are printed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
PHASES = ("generate", "nodes", "relationships", "other writes", "compact")


def engine_cpu(pid: int) -> float:
    """The server's CPU seconds so far, its reaped children's (the AOF rewrite) included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK  # utime stime cutime cstime


class Phases:
    """Wall, Python CPU and engine CPU added up per phase."""

    def __init__(self, pid: int):
        self.pid = pid
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])

    def timed(self, phase: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            before = self.now()
            try:
                return call(*args, **kwargs)
            finally:
                self.add(phase, before)
        return wrapper

    def now(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), engine_cpu(self.pid)

    def add(self, phase: str, before: tuple[float, float, float]) -> None:
        for i, (a, b) in enumerate(zip(before, self.now(), strict=True)):
            self.totals[phase][i] += b - a


def one_load(size: str | int, seed: int, data_dir: Path) -> dict[str, Any]:
    """Load the demo into ``data_dir`` with every phase timed."""
    import erm_graph.demo as demo
    import erm_graph.ingest.writer as writer
    from erm_graph.store import open_store
    from erm_graph.store.embedded_server import PID

    store = open_store(f"embedded:{data_dir}")
    phases = Phases(int((data_dir / PID).read_text().strip()))

    def timed_parts(make: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def parts_of(*args: Any, **kwargs: Any) -> Iterator[Any]:
            parts = make(*args, **kwargs)
            while True:
                before = phases.now()
                part = next(parts, None)
                phases.add("generate", before)
                if part is None:
                    return
                yield part
        return parts_of

    generate = demo.generate
    demo.generate = timed_parts(generate)  # type: ignore[assignment]
    ahead = getattr(demo, "made_ahead", None)  # parts made in a child: the wait for each
    if ahead is not None:
        demo.made_ahead = timed_parts(ahead)  # type: ignore[attr-defined]
    store.upsert_nodes = phases.timed("nodes", store.upsert_nodes)  # type: ignore[method-assign]
    store.upsert_relationships = phases.timed(  # type: ignore[method-assign]
        "relationships", store.upsert_relationships)
    store.compact = phases.timed("compact", store.compact)  # type: ignore[method-assign]
    write = writer.write_batch
    demo.write_batch = phases.timed("write_batch", write)  # type: ignore[attr-defined]
    before = phases.now()
    try:  # an interrupted run stops its server too
        report = demo.load_demo(store, size, seed)
        load = [b - a for a, b in zip(before, phases.now(), strict=True)]
        rss = {"loading process": peak_rss_mb(os.getpid()), "engine": peak_rss_mb(phases.pid)}
        made = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parts' child, if any
        if made.ru_maxrss:
            rss["generator"] = made.ru_maxrss / 1024
    finally:
        store.close()
    demo.write_batch = write  # type: ignore[attr-defined]
    demo.generate = generate  # type: ignore[assignment]
    if ahead is not None:
        demo.made_ahead = ahead  # type: ignore[attr-defined]
    totals = dict(phases.totals)
    batch = totals.pop("write_batch")
    totals["other writes"] = [b - n - r for b, n, r in zip(
        batch, totals["nodes"], totals["relationships"], strict=True)]
    return {"load": load, "phases": totals, "rows": report.total("created"), "peak RSS MB": rss,
            "generator CPU s": made.ru_utime + made.ru_stime}


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_child(size: str, seed: int, pythonpath: str | None) -> dict[str, Any]:
    """`one_load` in a fresh process (``pythonpath``: the code to run, else this tree's)."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run([sys.executable, __file__, "--size", size, "--seed", str(seed),
                          "--json"], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def table(result: dict[str, Any]) -> str:
    lines = ["| phase | wall s | Python CPU s | engine CPU s |", "|---|---|---|---|"]
    for phase in PHASES:
        wall, cpu, engine = result["phases"].get(phase, (0.0, 0.0, 0.0))
        lines.append(f"| {phase} | {wall:.1f} | {cpu:.1f} | {engine:.1f} |")
    wall, cpu, engine = result["load"]
    lines.append(f"| whole load | {wall:.1f} | {cpu:.1f} | {engine:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", metavar="DIR", action="append", default=[],
                        help="an exported erm_graph package to alternate with (repeatable)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size: str | int = int(args.size) if args.size.isdigit() else args.size
    if args.json:
        root = Path(tempfile.mkdtemp(prefix="erm-phases-"))
        try:
            print(json.dumps(one_load(size, args.seed, root / "db")))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    walls: dict[str, list[float]] = defaultdict(list)
    codes: list[tuple[str, str | None]] = [("this tree", None)]
    codes += [(Path(path).name, path) for path in args.baseline]
    for n in range(args.rounds):
        for name, path in codes if n % 2 == 0 else codes[::-1]:
            result = run_child(args.size, args.seed, path)
            walls[name].append(result["load"][0])
            rss = ", ".join(f"{k} {v:,.0f}" for k, v in result["peak RSS MB"].items())
            child = result.get("generator CPU s", 0.0)
            made = f"; the parts' child process: {child:.1f} s CPU" if child else ""
            print(f"## {name}, round {n + 1}, load average {os.getloadavg()[0]:.2f}: "
                  f"{result['rows']:,} rows created; peak RSS MB: {rss}{made}\n"
                  f"{table(result)}\n", flush=True)
    for name, times in walls.items():
        print(f"{name}: {', '.join(f'{t:.1f}' for t in times)} s, "
              f"median {statistics.median(times):.1f} s")
    for name, _ in codes[1:]:
        ratio = statistics.median(walls[name]) / statistics.median(walls["this tree"])
        print(f"speed ratio this tree / {name} (medians): {ratio:.2f}x")


if __name__ == "__main__":
    main()
