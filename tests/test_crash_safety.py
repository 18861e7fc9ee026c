"""kill -9 at random points of an import, several times: nothing acknowledged is lost, no batch is
half-written, and re-running the import converges on the uninterrupted result.

Half the runs kill the embedded server, half kill the loader process itself. A reader checks,
while the load runs, that it only ever sees whole batches.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erm_graph.store import open_store
from erm_graph.store.embedded_server import PID
from tests import crash_loader

LOADER = [sys.executable, "-m", "tests.crash_loader"]
ROOT = Path(__file__).parent.parent
#: kills per run of the suite, alternating server and loader; each run of the suite draws new
#: points (``ERM_CRASH_SEED`` replays one)
RUNS = 6

pytestmark = pytest.mark.slow  # kill -9 of real processes, ten times


def checksum(store) -> tuple:
    """Counts and a digest of every interaction's and relationship's loaded properties."""
    nodes = store.run("MATCH (n:Interaction) RETURN n.uid, n.kind, n.at, n.amount, n.batch "
                      "ORDER BY n.uid").rows
    rels = store.run("MATCH (c:Party)-[h:HAD]->(i:Interaction) RETURN c.uid, i.uid, h.batch "
                     "ORDER BY i.uid").rows
    met = store.run("MATCH (i:Interaction)-[w:WITH]->(e:Employee) RETURN i.uid, e.uid, "
                    "properties(w) ORDER BY i.uid").rows
    assert len(met) == len(rels), "WITH and HAD counts differ"
    digest = hashlib.sha256(repr((nodes, rels, met)).encode()).hexdigest()
    return len(nodes), len(rels), digest, (nodes, rels, met)


def first_difference(got: tuple, expected: tuple) -> str:
    """Where two checksums' rows part: what the failure message shows."""
    for name, a, b in zip(("Interaction", "HAD", "WITH"), got[3], expected[3], strict=True):
        for x, y in zip(a, b, strict=False):
            if x != y:
                return f"{name}: got {x}, expected {y}"
        if len(a) != len(b):
            return f"{name}: {len(a)} rows, expected {len(b)}"
    return "no difference"


def whole_batches(store) -> None:
    """Every batch of nodes and of relationships is there entirely or not at all."""
    for query in ("MATCH (n:Interaction) RETURN n.batch, count(n)",
                  "MATCH ()-[h:HAD]->() RETURN h.batch, count(h)"):
        for batch, count in store.run(query).rows:
            # A group of 0 rows is no batch at all: Cypher never makes one, but a reader
            # racing a write on FalkorDB 4.16 can get [None, 0] (docs/testing.md)
            if count:
                assert count == crash_loader.BATCH, \
                    f"batch {batch} is half-written: {count} rows"
    bare = store.run("MATCH ()-[w:WITH]->() RETURN count(w)").rows[0][0]  # no batch property
    assert bare % crash_loader.BATCH == 0, f"a batch of WITH is half-written: {bare} in all"


def run_loader_and_crash(url: str, data: Path, victim: str, rng: random.Random
                         ) -> dict[str, int]:
    """Start the loader, kill -9 `victim` after a random number of acks; return the acked
    rows of each kind (nodes, rels, with)."""
    errors = (data.parent / f"{data.name}.stderr").open("w+")
    proc = subprocess.Popen([*LOADER, url, "--step"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, stderr=errors)
    kill_after = rng.randint(1, 3 * crash_loader.ROWS // crash_loader.BATCH - 1)
    acked: dict[str, int] = {}
    acks = 0
    assert proc.stdout is not None and proc.stdin is not None
    for line in proc.stdout:
        if not line.startswith("ACK"):
            continue
        _, kind, count = line.split()
        acks += 1
        acked[kind] = int(count)
        proc.stdin.write("\n")  # let the loader go on
        proc.stdin.flush()
        if acks == kill_after:
            time.sleep(rng.random() * 0.05)  # land inside the next batch, not between two
            pid = int((data / PID).read_text()) if victim == "server" else proc.pid
            os.kill(pid, signal.SIGKILL)
            break
    proc.stdout.close()
    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        errors.seek(0)
        pytest.fail(f"the loader hung after the {victim} was killed; its threads:\n"
                    f"{errors.read()[-6000:]}")
    finally:
        errors.close()
    return acked


def test_kill_9_during_imports_loses_nothing_acknowledged(tmp_path):
    seed = int(os.environ.get("ERM_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    clean_url = f"embedded:{tmp_path / 'clean'}"
    subprocess.run([*LOADER, clean_url], check=True, cwd=ROOT, capture_output=True)
    store = open_store(clean_url)
    expected = checksum(store)
    store.close()
    assert expected[:2] == (crash_loader.ROWS, crash_loader.ROWS)

    survived = 0
    for run in range(RUNS):
        data = tmp_path / f"crash{run}"
        url = f"embedded:{data}"
        victim = "server" if run % 2 == 0 else "loader"
        acked = run_loader_and_crash(url, data, victim, rng)
        store = open_store(url)  # recovers a killed server, or reuses an orphaned one
        nodes = store.run("MATCH (n:Interaction) RETURN count(n)").rows[0][0]
        met = store.run("MATCH ()-[w:WITH]->() RETURN count(w)").rows[0][0]
        assert nodes >= acked.get("nodes", 0), f"seed {seed}, run {run}: {acked} acked but " \
            f"{nodes} nodes stored"
        assert met >= acked.get("with", 0), f"seed {seed}, run {run}: {acked} acked but " \
            f"{met} WITH stored"
        whole_batches(store)
        store.close()
        subprocess.run([*LOADER, url], check=True, cwd=ROOT, capture_output=True)
        store = open_store(url)
        got = checksum(store)
        assert got[:3] == expected[:3], \
            f"seed {seed}, run {run}: re-import differs: {first_difference(got, expected)}"
        store.close()
        survived += 1
    assert survived == RUNS


def test_readers_during_a_load_see_whole_batches(tmp_path):
    url = f"embedded:{tmp_path / 'db'}"
    reader = open_store(url)  # keeps the server up for the loader and for the checks
    proc = subprocess.Popen([*LOADER, url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=ROOT)
    looks = 0
    while proc.poll() is None:
        whole_batches(reader)
        looks += 1
    assert proc.returncode == 0
    whole_batches(reader)
    assert looks > 3
    assert reader.run("MATCH (n:Interaction) RETURN count(n)").rows == [[crash_loader.ROWS]]
    reader.close()


@pytest.fixture(autouse=True)
def _no_leftover_servers(tmp_path):
    yield
    for pid_file in tmp_path.glob("*/server.pid"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
