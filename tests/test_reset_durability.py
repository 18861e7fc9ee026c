"""A graph written after a reset reads back with the names it was written with: across
restarts, a kill -9 of the server, and in a client that stayed up meanwhile.

Each step runs as its own process (:mod:`tests.reset_steps`), as ``erm`` commands do, so
the embedded server stops between steps and restarts from its append-only file. Before the
fix, ``erm load F; erm reset --yes; erm load F`` came back with Steps read as Cases: the
restart replayed the deleted graph's constraints after its ``GRAPH.DELETE`` and the engine's
label, type and property ids of the new graph meant other names (docs/architecture.md,
"Reset and the append-only file").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from erm_graph.store import open_store
from tests import reset_steps
from tests.reset_steps import snapshot

ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.slow  # a process and a server restart per step


def step(url: str, name: str, *, kill: bool = False) -> dict:
    """Run one step in a new process; the graph it printed."""
    done = subprocess.run([sys.executable, "-m", "tests.reset_steps", url, name,
                           *(["--kill"] if kill else [])],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def check_b(graph: dict) -> None:
    """The B graph, by name: what ``write_b`` wrote, independent of what any process read."""
    steps = [row for row in graph["nodes"] if row[1] == ["Step"]]
    assert [row[0] for row in steps] == [f"s-{n}" for n in range(reset_steps.STEPS)]
    assert steps[0][2]["reviewed_by"] == "Ann" and steps[0][2]["score"] == 4
    assert all(row[2]["kind"] == "task" for row in steps)
    by_uid = {row[0]: row for row in graph["nodes"]}
    assert set(by_uid) == {*(row[0] for row in steps), "doc-1", "dept-1"}
    assert by_uid["doc-1"][1] == ["Document"] and by_uid["doc-1"][2]["name"] == "Packing slip"
    assert by_uid["dept-1"][1] == ["Department"] and by_uid["dept-1"][2]["floor"] == 3
    types = sorted({row[1] for row in graph["relationships"]})
    assert types == ["NEXT", "USES"]
    assert [row[3] for row in graph["relationships"] if row[1] == "NEXT"] == [
        {"label": f"then {n}", "content_hash": row[3]["content_hash"]}
        for n, row in enumerate(r for r in graph["relationships"] if r[1] == "NEXT")]
    # the names this client gave what it was sent are the engine's names
    assert graph["nodes_as_sent"] == graph["nodes"]
    assert graph["relationships_as_sent"] == graph["relationships"]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"embedded:{tmp_path / 'db'}"


def test_load_reset_load_in_separate_processes(url):
    """The reported case: load, reset, load again, read in a new process."""
    step(url, "write-b")
    step(url, "read")  # a restart that replays the first graph's constraints
    step(url, "reset")
    written = step(url, "write-b")
    check_b(written)
    assert step(url, "read") == written
    assert step(url, "read") == written  # and once more, from the AOF the last read left


def test_other_graph_before_the_reset(url):
    """The graph before the reset had other labels, types and keys, made in another order."""
    step(url, "write-a")
    step(url, "reset")
    written = step(url, "write-b")
    check_b(written)
    assert step(url, "read") == written


@pytest.mark.parametrize("victim_step", ["reset", "write-b"])
def test_kill_after_reset(url, victim_step):
    """kill -9 of the server right after the reset, or right after the load that follows."""
    step(url, "write-a")
    step(url, "read")
    step(url, "reset", kill=victim_step == "reset")
    written = step(url, "write-b", kill=victim_step == "write-b")
    check_b(written)
    assert step(url, "read") == written


def test_kill_between_delete_and_its_aftermath(url):
    """The server dies right after ``GRAPH.DELETE``, before the store's reset finished: the
    next process opens a graph that does not exist and must still start it cleanly."""
    step(url, "write-a")
    step(url, "read")
    step(url, "delete", kill=True)
    written = step(url, "write-b")
    check_b(written)
    assert step(url, "read") == written


def test_client_that_stayed_up_reads_the_new_graph_by_its_names(url):
    """A long-lived client (the web app) keeps reading while other processes reset the graph
    and write a different one: it must name what it is sent by the new graph's names."""
    store = open_store(url)
    try:
        step(url, "write-a")
        snapshot(store)  # the client now knows graph A's names by id
        step(url, "reset")
        written = step(url, "write-b")
        check_b(written)
        assert snapshot(store) == written
    finally:
        store.close()
