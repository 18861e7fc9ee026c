"""The embedded engine's server life: start, sharing, crash recovery, clean stop, errors."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from erm_graph.errors import StoreError
from erm_graph.store import open_store
from erm_graph.store.embedded_server import PID, SOCKET, EmbeddedServer


def _server_pid(data_dir: Path) -> int:
    return int((data_dir / PID).read_text())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text()\
        .split()[2]


def test_starts_quickly_on_a_socket_only_and_stops_when_closed(tmp_path):
    started = time.monotonic()
    store = open_store(f"embedded:{tmp_path}")
    took = time.monotonic() - started
    pid = _server_pid(tmp_path)
    assert took < 2.0
    assert (tmp_path / SOCKET).is_socket()
    conn = redis.Redis(unix_socket_path=str(tmp_path / SOCKET))
    assert conn.config_get("port") == {"port": "0"}  # no TCP port
    assert conn.config_get("appendfsync") == {"appendfsync": "always"}
    conn.close()
    assert store.run("RETURN 1 AS one").rows == [[1]]
    store.close()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not (tmp_path / SOCKET).exists()


def test_a_script_that_raises_without_closing_still_stops_the_server(tmp_path):
    script = ("from erm_graph.store import open_store\n"
              f"store = open_store('embedded:{tmp_path}')\n"
              "store.run('RETURN 1')\n"
              "raise SystemExit('the script fails before it closes the store')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "fails before" in done.stderr
    assert not (tmp_path / PID).exists(), "the server outlived the script"
    assert not (tmp_path / SOCKET).exists()


def test_a_second_process_shares_the_running_server(tmp_path):
    store = open_store(f"embedded:{tmp_path}")
    store.ensure_schema()
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    pid = _server_pid(tmp_path)
    code = (
        "from erm_graph.store import open_store\n"
        f"s = open_store('embedded:{tmp_path}')\n"
        "print(s.run('MATCH (c:Customer) RETURN c.name').rows[0][0])\n"
        "s.upsert_nodes('Customer', [{'uid': 'c2', 'name': 'Beta'}])\n"
        "s.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "Acme"
    assert _server_pid(tmp_path) == pid and _alive(pid), "the second process must not stop it"
    assert store.run("MATCH (c:Customer) RETURN count(c)").rows == [[2]]
    store.close()


def test_kill_9_of_the_server_is_recovered_with_data_intact(tmp_path):
    store = open_store(f"embedded:{tmp_path}")
    store.ensure_schema()
    rows = [{"uid": f"c{i}", "name": f"Customer {i}"} for i in range(2000)]
    store.upsert_nodes("Customer", rows)
    os.kill(_server_pid(tmp_path), signal.SIGKILL)
    time.sleep(0.2)
    # the open store restarts the server from its AOF and retries the read
    assert store.run("MATCH (c:Customer) RETURN count(c)").rows == [[2000]]
    store.close()
    # a new process after a crash with a stale pid file and socket also recovers
    store = open_store(f"embedded:{tmp_path}")
    os.kill(_server_pid(tmp_path), signal.SIGKILL)
    store2 = open_store(f"embedded:{tmp_path}")
    assert store2.run("MATCH (c:Customer) RETURN count(c)").rows == [[2000]]
    store2.close()
    store.close()


def test_a_write_interrupted_by_a_crash_is_reported_not_silently_retried(tmp_path):
    store = open_store(f"embedded:{tmp_path}")
    os.kill(_server_pid(tmp_path), signal.SIGKILL)
    time.sleep(0.2)
    with pytest.raises(StoreError, match="run the write again"):
        store.run("CREATE (:Customer {uid: 'x'})", read_only=False)
    assert store.run("RETURN 1").rows == [[1]]
    store.close()


def test_a_backup_whose_engine_is_lost_says_so_in_the_stores_words(tmp_path):
    """The copy a backup reads is made on the bare connection, not through the store's
    queries: a lost engine there came out as the client library's ConnectionError."""
    store = open_store(f"embedded:{tmp_path}")
    try:
        os.kill(_server_pid(tmp_path), signal.SIGKILL)
        time.sleep(0.2)
        with pytest.raises(StoreError, match="cannot reach the engine"), store.frozen_copy():
            pass
    finally:
        store.close()

def test_stale_files_of_a_dead_server_are_cleaned(tmp_path):
    (tmp_path / PID).write_text("999999")
    (tmp_path / SOCKET).write_text("")
    store = open_store(f"embedded:{tmp_path}")
    assert store.run("RETURN 2").rows == [[2]]
    store.close()


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        target = Path("/proc/erm-graph-cannot-be-here")
    else:
        target = tmp_path / "ro" / "db"
        (tmp_path / "ro").mkdir(mode=0o500)
    with pytest.raises(StoreError, match="data directory"):
        open_store(f"embedded:{target}")


def test_too_long_socket_path_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="too long"):
        EmbeddedServer(tmp_path / ("x" * 120))


def test_damaged_aof_says_what_to_do_and_repair_fixes_it(tmp_path):
    store = open_store(f"embedded:{tmp_path}")
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    store.close()
    incr = next((tmp_path / "appendonlydir").glob("*.incr.aof"))
    with incr.open("ab") as f:
        f.write(b"*3\r\n$10\r\nGRAPH.QUERY\r\ngarbage-not-resp\r\n")
    with pytest.raises(StoreError, match="erm repair"):
        open_store(f"embedded:{tmp_path}")
    EmbeddedServer(tmp_path).repair_aof()
    store = open_store(f"embedded:{tmp_path}")
    assert store.run("MATCH (c:Customer) RETURN c.name").rows == [["Acme"]]
    store.close()
    # the refused open did not leave this process counted as a user: the server stopped
    assert not (tmp_path / PID).exists()


def test_no_batch_of_a_load_declares_a_property_key_or_type(tmp_path, monkeypatch):
    """FalkorDB writes a new key to the AOF with the effects of the query that planned it
    first; two batches run at once, so a batch that declared a key could reach the AOF after
    one that used it, and a restart would then shift the keys (found by the crash tests:
    `batch` holding amounts). Every key and type a load uses is declared before its batches:
    each batch finds all of its keys already known."""
    from erm_graph.ingest import GraphBatch, write_batch

    store = open_store(f"embedded:{tmp_path}")
    checked = []
    run = type(store)._execute

    def checking(self, cypher, params, read_only, timeout):
        rows = params.get("rows")
        if not read_only and cypher.startswith("UNWIND $rows") and rows:
            known = {r[0] for r in run(self, "CALL db.propertyKeys()", {}, True, None).rows}
            types = {r[0] for r in run(self, "CALL db.relationshipTypes()", {}, True,
                                       None).rows}
            used = set().union(*(r[-1] for r in rows if isinstance(r[-1], dict)))
            used |= {name.strip("`") for name in re.findall(r"`(\w+)`:", cypher)}
            assert used <= known, f"a batch declares {used - known}"
            assert all(t in types for t in re.findall(r"\[x:(\w+)", cypher))
            checked.append(cypher)
        return run(self, cypher, params, read_only, timeout)

    monkeypatch.setattr(type(store), "_execute", checking)
    batch = GraphBatch()
    for i in range(12_000):
        batch.add_node("Customer", {"uid": f"c{i}", "name": f"C{i}", "tier": 1,
                                    "loyalty code": f"L{i}"})  # not in the model: a map key
        batch.add_relationship("KNOWS", "Customer", f"c{i}", "Customer", f"c{(i + 1) % 12_000}",
                               strength=0.5)
    try:
        write_batch(store, batch, check=False)
    finally:
        store.close()
    assert len(checked) >= 6  # the node and relationship batches were all looked at


@pytest.mark.parametrize("with_props", [False, True])
def test_a_large_load_rewrites_the_aof_while_its_relationships_load(tmp_path, monkeypatch,
                                                                       with_props):
    """The AOF rewrite begins once the nodes are in and runs while the relationships load.
    Bare relationships go to the AOF as GRAPH.BULK commands, which replay quickly: that one
    rewrite is enough. Relationships written by Cypher (here: with a property) get a second
    rewrite at the end. Either way a restart finds everything."""
    from erm_graph.ingest import GraphBatch, write_batch, writer
    from erm_graph.store import falkordb_store

    monkeypatch.setattr(writer, "COMPACT_AFTER_ROWS", 1000)
    monkeypatch.setattr(falkordb_store, "TAIL_CHANGES", 100)
    url = f"embedded:{tmp_path}"
    store = open_store(url)
    batch = GraphBatch()
    batch.add_node("Customer", {"uid": "c", "name": "C"})
    for i in range(3000):
        batch.add_node("Interaction", {"uid": f"x{i}", "kind": "call",
                                       "at": "2026-01-02T10:00:00"})
        batch.add_relationship("HAD", "Customer", "c", "Interaction", f"x{i}",
                               **({"weight": 1.0} if with_props else {}))
    store._await_rewrite(store._db.connection)  # a new server writes its first AOF base
    rewrites = store._db.connection.info("persistence")["aof_rewrites"]  # begun, so far
    begun = []
    upsert = store.upsert_relationships

    def relationships(*args, **kwargs):
        begun.append(store._db.connection.info("persistence")["aof_rewrites"] - rewrites)
        return upsert(*args, **kwargs)

    monkeypatch.setattr(store, "upsert_relationships", relationships)
    try:
        write_batch(store, batch)
        info = store._db.connection.info("persistence")
    finally:
        store.close()
    assert begun == [1], "the rewrite had not begun when the relationships did"
    assert info["aof_rewrites"] - rewrites == (2 if with_props else 1)
    assert not info["aof_rewrite_in_progress"]
    store = open_store(url)  # a new server, from the AOF
    try:
        assert store.run("MATCH (:Customer)-[h:HAD]->(x:Interaction) RETURN count(h), "
                         "count(DISTINCT x)").rows == [[3000, 3000]]
    finally:
        store.close()


def test_a_server_that_hangs_while_starting_is_killed_and_started_again(tmp_path, monkeypatch):
    """FalkorDB can stop in the middle of replaying an AOF that the next start loads at once
    (docs/testing.md). A start that answers nothing (not even LOADING) is killed and tried
    once more. Here the first server is frozen (SIGSTOP) as soon as it is launched."""
    from erm_graph.store import embedded_server

    monkeypatch.setattr(embedded_server, "SILENT_SECONDS", 1.0)
    launched = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        if not launched:
            os.kill(proc.pid, signal.SIGSTOP)
        launched.append(proc)
        return proc

    monkeypatch.setattr(embedded_server.subprocess, "Popen", popen)
    store = open_store(f"embedded:{tmp_path}")
    try:
        assert store.run("RETURN 1").rows == [[1]]
        assert len(launched) == 2
        assert launched[0].poll() is not None, "the hung server is still there"
    finally:
        store.close()



@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace holds the server between two steps of its shutdown "
                           "(tests/setup.sh installs it)")
def test_a_stopped_server_has_removed_its_socket_before_the_next_one_starts(tmp_path,
                                                                              monkeypatch):
    """Redis removes its pid file and then its socket file as it shuts down. A stop that
    returned at the pid file let the next command start a server on the same path, whose
    socket the old one then removed: the new server ran, but nobody could connect to it any
    more (a backup right after a load, in one process, failed with ConnectionError).

    The real server runs under strace, which delays its return from removing the pid file
    (only that file's syscalls are traced): the window is held open for a second."""
    from erm_graph.store import embedded_server

    real_popen = subprocess.Popen
    held = tmp_path / PID

    def popen(args, **kwargs):
        return real_popen(["strace", "-f", "-qq", "-o", os.devnull, "-P", str(held),
                           "-e", "trace=unlink,unlinkat",
                           "-e", "inject=unlink,unlinkat:delay_exit=1000000", *args], **kwargs)

    monkeypatch.setattr(embedded_server.subprocess, "Popen", popen)
    first = EmbeddedServer(tmp_path)
    first.acquire()
    monkeypatch.undo()
    old = _server_pid(tmp_path)
    first.release()
    store = open_store(f"embedded:{tmp_path}")  # the next server, while the old one ends
    try:
        assert _server_pid(tmp_path) != old
        time.sleep(1.5)  # past the old server's delay: it is gone, or past its socket
        fresh = redis.Redis(unix_socket_path=str(tmp_path / SOCKET))
        assert fresh.ping()
        fresh.close()
    finally:
        store.close()


def test_a_copy_made_as_the_server_starts_is_made_whole(tmp_path):
    """A backup copies the graph inside the engine (GRAPH.COPY), which decodes the copy into a
    new key; with the server's indexes built in the background (DELAY_INDEXING, for a quick
    start), FalkorDB 4.16 crashed decoding some of the copies made just after a start (a
    null label matrix): a backup right after a load, each in a fresh process, failed now and
    then (docs/testing.md). Several rounds, each a fresh start from the AOF and a copy at once."""
    store = open_store(f"embedded:{tmp_path}")
    store.ensure_schema()
    store.upsert_nodes("Customer", [{"uid": f"c{i}", "name": f"C {i}"} for i in range(5)])
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "E"}])
    store.run("MATCH (c:Customer {uid: 'c4'}) DELETE c", read_only=False)
    store.close()
    for _ in range(12):
        store = open_store(f"embedded:{tmp_path}")
        try:
            with store.frozen_copy() as frozen:
                assert frozen.run("MATCH (n) RETURN count(n)").rows == [[5]]
        finally:
            store.close()
