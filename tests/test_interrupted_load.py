"""A load interrupted between its nodes and their relationships is completed by the next one.

The mapping loader skips a row whose node carries the row's fingerprint, relationships
included; nodes are written first. Without the mark a load leaves while it writes, a load
stopped after its nodes (Ctrl-C, a killed server) would leave relationships that the next
load of the same file counts as unchanged and never writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.ingest import GraphBatch, write_batch
from erm_graph.ingest.contract import LoadOptions
from erm_graph.ingest.journal import begin_load, end_load
from erm_graph.ingest.load import prepare
from erm_graph.query.loads import unfinished_loads
from erm_graph.store import open_store

MAPPING = """\
tables:
  - file: "calls-*.csv"
    label: Interaction
    key: {column: id}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "%Y-%m-%d %H:%M"}
    relationships:
      - {type: HAD, label: Customer, column: customer, direction: in}
"""


@pytest.fixture(autouse=True, params=["kept", "read again"])
def write_pass(request, monkeypatch) -> None:
    """Each test with the load's records kept from its check pass, and read again to be
    written (erm_graph/ingest/streamed.py)."""
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS", "1000000000" if request.param == "kept" else "1")


@pytest.fixture
def files(tmp_path, store):
    batch = GraphBatch()
    for c in ("c1", "c2"):
        batch.add_node("Customer", {"uid": c, "name": c})
    write_batch(store, batch)
    (tmp_path / "map.yaml").write_text(MAPPING)
    for part in ("a", "b"):
        (tmp_path / f"calls-{part}.csv").write_text("id,customer,kind,at\n" + "".join(
            f"{part}{i},c{1 + i % 2},call,2026-01-0{1 + i % 9} 10:00\n" for i in range(30)))
    return tmp_path


def interrupted(store, monkeypatch, paths, mapping) -> None:
    """Load ``paths`` but stop, as Ctrl-C would, once the nodes are written."""
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(store, "upsert_relationships", stop)
        with pytest.raises(KeyboardInterrupt):
            load(store, paths, mapping=mapping)


def had(store) -> int:
    return store.run("MATCH (:Customer)-[h:HAD]->(:Interaction) RETURN count(h)").rows[0][0]


def test_the_next_load_writes_what_an_interrupted_one_left_out(store, files, monkeypatch):
    a, mapping = files / "calls-a.csv", files / "map.yaml"
    interrupted(store, monkeypatch, [a], mapping)
    assert store.run("MATCH (n:Interaction) RETURN count(n)").rows[0][0] == 30
    assert had(store) == 0
    assert list(unfinished_loads(store).values()) == [["calls-a.csv"]]

    again = load(store, [a], mapping=mapping)
    assert again.types["HAD"].created == 30 and again.labels["Interaction"].unchanged == 30
    assert any("calls-a.csv: an earlier load of this file was interrupted" in note
               for note in again.notes)
    assert had(store) == 30 and unfinished_loads(store) == {}

    third = load(store, [a], mapping=mapping)  # fingerprints are trusted again
    assert third.total("created") == third.total("updated") == 0
    assert third.types["HAD"].unchanged == 30


def test_each_file_of_an_interrupted_load_is_settled_by_its_own_next_load(store, files,
                                                                          monkeypatch):
    a, b, mapping = files / "calls-a.csv", files / "calls-b.csv", files / "map.yaml"
    interrupted(store, monkeypatch, [a, b], mapping)
    load(store, [a], mapping=mapping)
    assert list(unfinished_loads(store).values()) == [["calls-b.csv"]]
    assert had(store) == 30
    report = load(store, [b], mapping=mapping)
    assert report.types["HAD"].created == 30
    assert had(store) == 60 and unfinished_loads(store) == {}


@pytest.mark.slow
def test_an_import_job_killed_after_its_nodes_is_completed_by_its_next_run(tmp_path):
    """The real thing: `erm load` in a process of its own, kill -9 once its nodes are in."""
    rows = 60_000
    (tmp_path / "map.yaml").write_text(MAPPING)
    csv_file = tmp_path / "calls-big.csv"
    csv_file.write_text("id,customer,kind,at\n" + "".join(
        f"x{i},c{1 + i % 2},call,2026-01-0{1 + i % 9} 10:00\n" for i in range(rows)))
    url = f"embedded:{tmp_path / 'db'}"
    reader = open_store(url)  # keeps the server up, and watches
    try:
        batch = GraphBatch()
        for c in ("c1", "c2"):
            batch.add_node("Customer", {"uid": c, "name": c})
        write_batch(reader, batch)
        command = [str(Path(sys.executable).parent / "erm"), "--db", url, "load",
                   str(csv_file), "--mapping", str(tmp_path / "map.yaml")]
        job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and job.poll() is None:
            nodes = reader.run("MATCH (n:Interaction) RETURN count(n)").rows[0][0]
            if nodes == rows:
                os.kill(job.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
        job.wait(timeout=60)
        assert job.returncode == -signal.SIGKILL, "the load ended before it could be killed"
        assert had(reader) < rows, "the load wrote its relationships before it was killed"
        assert unfinished_loads(reader), "the killed load left no mark"
        status = subprocess.run([*command[:3], "status"], check=True, capture_output=True,
                                text=True, timeout=60).stdout
        assert "Loads under way or interrupted: calls-big.csv." in " ".join(status.split())
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        assert had(reader) == rows and unfinished_loads(reader) == {}
    finally:
        reader.close()


def test_a_load_under_way_while_another_read_its_files_is_not_called_interrupted(store, files):
    """Loads read outside the load lock, so one may find the mark of a load under way, and
    said it was interrupted (every parallel `erm load` of a file did). Under the lock, once
    that load has ended, its mark is gone: no such note, and nothing left marked."""
    a, mapping = files / "calls-a.csv", files / "map.yaml"
    with store.load_lock():  # a load under way, as it marks its files
        token = begin_load(store, [a.name])
        prepared = prepare(store, [a], options=LoadOptions(mapping=mapping))
        end_load(store, token, [a.name])
    report = prepared.write(store)
    assert not [note for note in report.notes if "interrupted" in note], report.notes
    assert report.types["HAD"].created == 30 and had(store) == 30
    assert unfinished_loads(store) == {}
