"""Every `erm` command through Typer's runner, and `erm demo` as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erm_graph import model
from erm_graph.cli import app
from erm_graph.store.embedded_server import PID

runner = CliRunner()


def erm(db: str, *args: str):
    return runner.invoke(app, ["--db", db, *args], catch_exceptions=False)


def counts_from_status(output: str) -> dict[str, int]:
    found = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│") if c.strip()]
        for name, count in zip(cells[::2], cells[1::2], strict=False):
            if name in model.LABELS or name in model.RELATIONSHIPS:
                found[name] = int(count.replace(",", ""))
    return found


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    db = f"embedded:{tmp_path_factory.mktemp('cli') / 'db'}"
    result = erm(db, "demo", "--size", "small")
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    return db


def test_init_creates_the_database(tmp_path):
    result = erm(f"embedded:{tmp_path / 'new'}", "init")
    assert result.exit_code == 0
    assert "Ready: embedded at" in result.output
    assert (tmp_path / "new" / "appendonlydir").is_dir()


def test_status_shows_every_label_with_a_count(demo_db):
    result = erm(demo_db, "status")
    assert result.exit_code == 0
    assert "Engine: embedded at" in result.output
    counts = counts_from_status(result.output)
    # every label of the demo's enterprise (it has made no merges)
    assert {name for name in model.LABELS if counts.get(name, 0) == 0} == \
        set(model.BOOKKEEPING_LABELS)


def test_demo_again_changes_nothing(demo_db):
    result = erm(demo_db, "demo", "--size", "small")
    assert result.exit_code == 0
    assert " 0 created, 0 updated" in result.output


def test_cypher_is_read_only_unless_write(demo_db):
    refused = erm(demo_db, "cypher", "CREATE (n:Customer {uid:'x'})")
    assert refused.exit_code == 1
    assert "--write" in refused.output
    assert erm(demo_db, "cypher", "MATCH (n {uid:'x'}) RETURN count(n) AS n", "-f", "json"
               ).output.count('"n": 0') == 1


def test_cypher_params_and_formats(demo_db):
    result = erm(demo_db, "cypher", "MATCH (c:Customer) WHERE c.tier = $tier "
                 "RETURN c.uid AS uid ORDER BY uid LIMIT $n", "-p", "tier=1", "-p", "n=3",
                 "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert 1 <= len(rows) <= 3 and all(r["uid"] for r in rows)
    csv_out = erm(demo_db, "cypher", "RETURN $who AS who", "-p", "who=Ann Lee", "-f", "csv")
    assert csv_out.output.splitlines() == ["who", "Ann Lee"]
    bad = erm(demo_db, "cypher", "RETURN 1", "-p", "novalue")
    assert bad.exit_code == 1 and "key=value" in bad.output


def test_cypher_write_and_reset(tmp_path):
    db = f"embedded:{tmp_path / 'w'}"
    assert erm(db, "cypher", "CREATE (:Customer:Party {uid: 'x', name: 'X'})", "--write"
               ).exit_code == 0
    refused = erm(db, "reset")
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert erm(db, "reset", "--yes").exit_code == 0
    assert '"n": 0' in erm(db, "cypher", "MATCH (n) RETURN count(n) AS n", "-f", "json").output


def test_unknown_database_url_is_explained():
    result = erm("postgres://x", "status")
    assert result.exit_code == 1
    assert "embedded:" in result.output and "neo4j" in result.output


def test_query_run_stops_the_server_it_started_whatever_fails_first(tmp_path):
    """`erm query run` opens the store on a thread while it reads the library: the server it
    started is stopped when the query answers and when the command fails before it asked."""
    data = tmp_path / "db"
    done = erm(f"embedded:{data}", "query", "run", "customer-360", "-p", "uid=cust-000001",
               "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == []
    assert not (data / PID).exists()
    unknown = erm(f"embedded:{data}", "query", "run", "no-such-query")
    assert unknown.exit_code == 1 and "no named query 'no-such-query'" in unknown.output
    assert not (data / PID).exists()
    long = tmp_path / ("x" * 120)
    unopened = erm(f"embedded:{long}", "query", "run", "customer-360", "-p", "uid=c")
    assert unopened.exit_code == 1 and "too long for a unix socket" in unopened.output


def test_help_teaches():
    result = runner.invoke(app, ["--help"])
    for name in ("init", "status", "demo", "cypher", "reset", "repair"):
        assert name in result.output
    assert "ERM_DB" in result.output


def test_erm_demo_as_a_subprocess_then_kill_9_and_status_recovers(tmp_path):
    erm_bin = shutil.which("erm", path=str(Path(sys.executable).parent))
    assert erm_bin, "the console script `erm` must be installed"
    data = tmp_path / "sub"
    env = {**os.environ, "ERM_DB": f"embedded:{data}"}
    done = subprocess.run([erm_bin, "demo"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    before = counts_from_status(subprocess.run([erm_bin, "status"], env=env,
                                               capture_output=True, text=True).stdout)
    # keep a server running (as `erm serve` would), then crash it
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from erm_graph.store import open_store; "
                               f"s = open_store('embedded:{data}'); print('up', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "up"
        os.kill(int((data / PID).read_text()), signal.SIGKILL)
        after = subprocess.run([erm_bin, "status"], env=env, capture_output=True, text=True)
    finally:
        holder.kill()
        holder.wait()
    # the holder died holding the server; the next command, now its last user, stops it
    subprocess.run([erm_bin, "status"], env=env, capture_output=True, check=True)
    assert not (data / PID).exists()
    assert after.returncode == 0, after.stderr
    assert counts_from_status(after.stdout) == before
    assert before["Customer"] > 0
