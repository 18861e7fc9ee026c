"""Users, sessions and the audit trail under attack and under crashes: the CLI beside the
server on one users database, login throttling, forwarded addresses, two-phase audit of
writes killed midway, and the sources the audit trail names. Real `erm serve` processes on
loopback, real `erm` CLI processes, real kill -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from erm_graph.auth import Users, audit
from erm_graph.auth.audit import recording_to
from erm_graph.auth.db import connect
from erm_graph.auth.throttle import Limits, LoginThrottle
from erm_graph.events import Actor, StoreRef, WriteKind, acting_as, writing
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

PASSWORD = "correct horse battery"
ERM = Path(sys.executable).with_name("erm")


# -- real processes ------------------------------------------------------------------------------
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERM_")}
    return env | extra


def erm(db: str, *args: str, stdin: str | None = None, **env: str) -> str:
    """Run the `erm` CLI; its standard output (the command must succeed)."""
    done = subprocess.run([str(ERM), "--db", db, *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=_env(**env))
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`erm --db DB serve` on a loopback port, ready once /login answers."""

    def __init__(self, db: str, **env: str):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([str(ERM), "--db", db, "serve", "--port", str(port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=_env(**env))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stdout.read().decode()
            try:
                if httpx.get(self.url + "/login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError("erm serve did not answer within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def actions(path: Path) -> Counter[str]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return Counter(a for (a,) in conn.execute("SELECT action FROM audit"))
    finally:
        conn.close()


# -- item 2: the CLI beside the server -----------------------------------------------------------
def test_a_second_connection_in_a_process_keeps_the_first_ones_locks(tmp_path):
    """Opening the security file again must not drop this process's locks on it: when it
    did, the next process to close its connection deleted the WAL under this one and the
    events this process wrote next were lost."""
    path = tmp_path / "users.db"
    first = connect(path)
    second = connect(path)
    child = ("import sys; from pathlib import Path; from erm_graph.auth.db import connect; "
             "from erm_graph.auth import audit; c = connect(Path(sys.argv[1])); "
             "audit.record(c, 'child', 'child'); c.close()")
    for _ in range(3):
        subprocess.run([sys.executable, "-c", child, str(path)], check=True, timeout=60)
        audit.record(first, "parent", "parent")
        audit.record(second, "parent", "parent")
    first.close()
    second.close()
    assert actions(path) == {"child": 3, "parent": 6}


ROUNDS = 5


@pytest.mark.slow
def _open_at_once(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        connect(Path(path)).close()
        results.put("ok")
    except Exception as exc:  # reported to the test, which names it
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_security_file_at_once_all_get_it(tmp_path):
    """Parallel `erm load`s each audit their write, so each opens the library's security
    file; on a new library they create it together. Switching it to WAL answered one of
    them "database is locked" at once, without waiting (about one round in ten of twelve
    processes), and that load failed after writing nothing."""
    import multiprocessing

    spawn = multiprocessing.get_context("fork")
    failures = []
    for round_ in range(25):
        path = tmp_path / f"round{round_}" / "users.db"
        barrier, results = spawn.Barrier(12), spawn.Queue()
        procs = [spawn.Process(target=_open_at_once, args=(str(path), barrier, results))
                 for _ in range(12)]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join()
        failures += [o for o in outcomes if o != "ok"]
    assert not failures, failures[:3]


def test_the_cli_beside_the_server_loses_no_revocation_and_no_event(tmp_path):
    """`erm users` processes and `erm serve` on one users.db, interleaved: a revoked token
    and a removed user's session are refused at once, nothing answers 5xx, and every event
    either side wrote is in the file afterwards. Requests come through a trusted proxy
    (X-Forwarded-For from 127.0.0.1) so that each round counts failures under its own
    address."""
    db = f"embedded:{tmp_path / 'data'}"
    erm(db, "users", "add", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    admin = {"authorization": "Bearer " + erm(db, "users", "token", "admin").strip()}
    server = Served(db, ERM_TRUSTED_PROXIES="127.0.0.1")
    stop, bad = threading.Event(), []

    def steady_reader() -> None:  # keeps several server threads on the file meanwhile
        while not stop.is_set():
            r = httpx.get(server.url + "/api/audit?limit=5", headers=admin, timeout=30)
            if r.status_code != 200:
                bad.append((r.status_code, r.text[:200]))
            stop.wait(0.05)

    readers = [threading.Thread(target=steady_reader) for _ in range(2)]
    try:
        for t in readers:
            t.start()
        for i in range(ROUNDS):
            name, via = f"user{i}", {"x-forwarded-for": f"192.0.2.{i + 1}"}
            erm(db, "users", "add", name, "--role", "viewer", "--password-stdin",
                stdin=PASSWORD)
            token = {"authorization": "Bearer " + erm(db, "users", "token", name).strip()}
            me = httpx.get(server.url + "/api/me", headers=token | via, timeout=30)
            assert me.status_code == 200 and me.json()["name"] == name
            with httpx.Client(base_url=server.url, headers=via, timeout=30) as web:
                web.get("/login")
                form = {"username": name, "csrf": web.cookies["erm_csrf"]}
                assert web.post("/login", data=form | {"password": "wrong!"}).status_code == 401
                r = web.post("/login", data=form | {"password": PASSWORD},
                             follow_redirects=False)
                assert r.status_code == 303
                assert web.get("/api/me").json()["name"] == name
                erm(db, "users", "token", name, "--revoke")
                r = httpx.get(server.url + "/api/me", headers=token | via, timeout=30)
                assert r.status_code == 401, f"round {i}: a revoked token answered {r}"
                erm(db, "users", "remove", name)
                r = web.get("/api/me")
                assert r.status_code == 401, f"round {i}: a removed user's session answered {r}"
    finally:
        stop.set()
        for t in readers:
            t.join()
        server.stop()
    assert bad == []
    assert actions(tmp_path / "data" / "users.db") == {
        "user.add": ROUNDS + 1, "token.add": ROUNDS + 1, "token.revoke": ROUNDS,
        "user.remove": ROUNDS, "login": ROUNDS, "login.failed": 2 * ROUNDS}


def test_the_security_file_and_its_journal_are_private(tmp_path):
    path = tmp_path / "users.db"
    conn = connect(path)
    audit.record(conn, "a", "x")
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    conn.close()
    assert modes == {"users.db": 0o600, "users.db-wal": 0o600, "users.db-shm": 0o600}


# -- item 11: throttling without lockout ------------------------------------------------------
#: smaller than the defaults (5, 20, 20), so that each test checks few passwords
LIMITS = Limits(per_pair=3, per_source=6, per_account=5, base=30.0, cap=120.0)


@pytest.fixture
def web(store, tmp_path):
    """An app on a users.db with one viewer; ``web(address)`` is a client from there."""
    path = tmp_path / "users.db"
    users = Users.open(path)
    users.add("ana", "viewer", password=PASSWORD)
    users.close()
    app = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1",
                                       trusted_proxies=(ip_network("10.0.0.0/8"),)), store=store)
    # a clock the test moves: no waiting, and no window ends while a slow machine runs it
    now = [time.time()]
    app.state.auth.throttle = LoginThrottle(LIMITS, clock=lambda: now[0])
    clients: list[TestClient] = []

    def client(address: str) -> TestClient:
        c = TestClient(app, base_url="http://127.0.0.1", client=(address, 40000))
        c.__enter__()
        clients.append(c)
        c.get("/login")
        return c

    client.app = app
    client.now = now
    yield client
    for c in clients:
        c.__exit__(None, None, None)


def _login(client: TestClient, password: str, name: str = "ana", **headers: str) -> int:
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf": client.cookies.get("erm_csrf")},
                       headers=headers, follow_redirects=False).status_code


def _events(app, action: str) -> list[dict]:
    conn = connect(app.state.auth.path)
    try:
        app.state.auth.throttle.flush(conn)
        return audit.events(conn, action=action)
    finally:
        conn.close()


def test_a_stranger_cannot_lock_the_right_user_out(web):
    attacker, user = web("203.0.113.9"), web("198.51.100.7")
    codes = [_login(attacker, f"guess {i}") for i in range(25)]
    assert codes[:3] == [401] * 3 and set(codes[3:]) == {429}
    assert _login(user, PASSWORD) == 303, "the right password from elsewhere still works"
    assert _login(attacker, PASSWORD) == 429, "the attacker's address waits, even when right"


def test_a_distributed_attack_gets_one_guess_per_address_and_the_user_still_logs_in(web):
    for n in range(8):
        attacker = web(f"203.0.113.{n + 1}")
        assert _login(attacker, "guess") == 401
        if n >= 4:  # the account is under attack: a failed address waits from its 1st failure
            assert _login(attacker, "guess again") == 429
    assert _login(web("198.51.100.7"), PASSWORD) == 303


def test_one_source_spraying_many_accounts_is_throttled(web):
    sprayer = web("203.0.113.50")
    codes = [_login(sprayer, "password1", name=f"user{n}") for n in range(9)]
    assert codes[:6] == [401] * 6 and set(codes[6:]) == {429}


def test_refused_attempts_are_one_audit_event_per_blocked_window(web):
    attacker = web("203.0.113.9")
    codes = [_login(attacker, f"guess {i}") for i in range(43)]
    assert codes.count(429) == 40
    assert _events(web.app, "login.throttled") == [], "written once the window has ended"
    web.now[0] += 30
    throttled = _events(web.app, "login.throttled")
    assert len(throttled) == 1 and throttled[0]["detail"]["refused"] == 40
    assert throttled[0]["source"] == "web 203.0.113.9" and throttled[0]["target"] == "ana"
    assert len(_events(web.app, "login.failed")) == 3
    assert _login(attacker, "guess again") == 401  # then it waits twice as long
    web.now[0] += 59
    assert _login(attacker, PASSWORD) == 429
    web.now[0] += 1
    assert _login(attacker, PASSWORD) == 303


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(web):
    stranger = web("203.0.113.9")
    for i in range(4):  # a new forged address each time does not escape the throttle
        code = _login(stranger, f"guess {i}", **{"x-forwarded-for": f"198.51.100.{i}"})
    assert code == 429
    proxy = web("10.1.2.3")
    assert _login(proxy, "guess", **{"x-forwarded-for": "192.0.2.1, 10.9.9.9"}) == 401
    sources = {e["source"] for e in _events(web.app, "login.failed")}
    assert sources == {"web 203.0.113.9", "web 192.0.2.1"}


@pytest.mark.slow
def test_erm_serve_ignores_x_forwarded_for_by_default(tmp_path):
    """uvicorn's own default believes X-Forwarded-For from 127.0.0.1; the app must not."""
    db = f"embedded:{tmp_path / 'data'}"
    erm(db, "users", "add", "ana", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    for trusted, expected in (("", "web 127.0.0.1"), ("127.0.0.1", "web 192.0.2.77")):
        server = Served(db, ERM_TRUSTED_PROXIES=trusted)
        try:
            with httpx.Client(base_url=server.url, timeout=30,
                              headers={"x-forwarded-for": "192.0.2.77"}) as client:
                client.get("/login")
                r = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                                "csrf": client.cookies["erm_csrf"]},
                                headers={"x-forwarded-proto": "https"},
                                follow_redirects=False)
        finally:
            server.stop()
        assert r.status_code == 303
        assert ("Secure" in r.headers["set-cookie"]) == bool(trusted)
        conn = connect(tmp_path / "data" / "users.db")
        assert audit.events(conn, action="login")[0]["source"] == expected
        conn.close()


def test_erm_serve_refuses_a_trusted_proxy_that_is_not_an_address(tmp_path):
    done = subprocess.run([str(ERM), "--db", f"embedded:{tmp_path / 'data'}", "serve",
                           "--port", str(free_port())], capture_output=True, text=True,
                          timeout=60, env=_env(ERM_TRUSTED_PROXIES="127.0.0.1, nginx"))
    assert done.returncode == 1
    assert "ERM_TRUSTED_PROXIES: 'nginx' is not an address" in " ".join(done.stderr.split())


# -- item 8: two-phase audit, interrupted web loads, the engine left running ------------------
def _mermaid(steps: int) -> bytes:
    return ("flowchart LR\n" + "".join(f"  s{i}[Step {i}] --> s{i + 1}\n"
                                       for i in range(steps - 1))).encode()


def _nodes(data: Path) -> int:
    """Nodes in the graph, asked on the engine's socket without registering as its user."""
    conn = redis.Redis(unix_socket_path=str(data / "falkordb.sock"), socket_timeout=5)
    try:
        if b"erm" not in conn.execute_command("GRAPH.LIST"):
            return 0
        reply = conn.execute_command("GRAPH.RO_QUERY", "erm", "MATCH (n:Step) RETURN count(n)")
        return reply[1][0][0]
    except (redis.ConnectionError, redis.ResponseError):
        return 0
    finally:
        conn.close()


@pytest.fixture
def data(tmp_path):
    """A data directory whose engine is stopped afterwards, even when a test fails after
    killing its server (the next open takes the engine over; its close stops it)."""
    path = tmp_path / "data"
    yield path
    if (path / "server.pid").exists():
        open_store(f"embedded:{path}").close()


class Upload:
    """A web upload of a 15,000-step Mermaid file to ``server``, under way in a thread;
    returned once some of its nodes are in the graph."""

    def __init__(self, server: Served, data: Path):
        self.client = httpx.Client(base_url=server.url, timeout=120)
        self.client.get("/")
        self.result: list = []
        self.thread = threading.Thread(target=self._post, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while _nodes(data) == 0 and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.01)
        assert self.thread.is_alive(), f"the upload ended before writing: {self.result}"

    def _post(self) -> None:
        try:
            self.result.append(self.client.post(
                "/api/load", files={"file": ("big.mmd", _mermaid(15_000))},
                headers={"x-csrf-token": self.client.cookies["erm_csrf"]}))
        except httpx.HTTPError as exc:
            self.result.append(exc)

    def outcome(self) -> object:
        self.thread.join(120)
        self.client.close()
        return self.result[0]


def _served_library(data) -> tuple[str, Served, int]:
    """An empty library in ``data`` served by ``erm serve``: (its URL, the server, the
    engine's pid)."""
    db = f"embedded:{data}"
    erm(db, "init")
    server = Served(db, ERM_WEB_MAX_BODY="5000000")
    try:
        return db, server, int((data / "server.pid").read_text())
    except BaseException:
        server.kill()
        raise


@pytest.mark.slow
def test_kill_9_of_the_server_during_a_web_upload_leaves_an_interrupted_audit_event(tmp_path, data):
    db, server, engine = _served_library(data)
    try:
        upload = Upload(server, data)
    finally:
        server.kill()  # while the upload writes: some of its nodes are in the graph
    assert isinstance(upload.outcome(), httpx.HTTPError), "the upload had not finished"
    assert _nodes(data) > 0
    assert (data / "server.pid").exists() and os.path.exists(f"/proc/{engine}"), \
        "the engine outlives the killed server until the next open"

    status = " ".join(erm(db, "status").split())
    assert f"The embedded server (pid {engine}) was running with no process using it" in status
    assert "Loads under way or interrupted: big.mmd" in status
    assert "Interrupted write: load" in status and "big.mmd by local (web 127.0.0.1" in status
    events = json.loads(erm(db, "audit", "--format", "json"))
    assert [(e["action"], e["outcome"], e["actor"]) for e in events] == \
        [("load", "interrupted", "local")]
    assert events[0]["source"].startswith("web 127.0.0.1 upload big.mmd")
    deadline = time.monotonic() + 30  # the status command, last user, stopped the engine
    while os.path.exists(f"/proc/{engine}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (data / "server.pid").exists()

    erm(db, "load", str(_write(tmp_path / "big.mmd")))  # loading it again completes it
    assert "interrupted" not in erm(db, "status").lower()
    events = json.loads(erm(db, "audit", "--format", "json"))
    assert [(e["action"], e["outcome"]) for e in events] == [("load", "ok"),
                                                              ("load", "interrupted")]


@pytest.mark.slow
def test_kill_9_of_the_engine_during_a_web_upload_is_audited_and_listed(tmp_path, data):
    db, server, engine = _served_library(data)
    try:
        upload = Upload(server, data)
        os.kill(engine, signal.SIGKILL)
        answer = upload.outcome()
    finally:
        server.stop()
    assert isinstance(answer, httpx.Response) and answer.status_code == 503
    assert answer.json()["error"]["kind"] == "store"
    events = json.loads(erm(db, "audit", "--format", "json"))
    assert [(e["action"], e["outcome"]) for e in events] == [("load", "failed")]
    assert "stopped during a write" in events[0]["detail"]["error"]
    assert "Loads under way or interrupted: big.mmd" in " ".join(erm(db, "status").split())


def _write(path: Path) -> Path:
    path.write_bytes(_mermaid(15_000))
    return path


def test_a_write_killed_midway_reads_interrupted_and_a_finished_one_once(tmp_path):
    path = tmp_path / "users.db"
    child = ("import os, signal, sys; from pathlib import Path; import erm_graph\n"
             "from erm_graph.auth.audit import recording_to\n"
             "from erm_graph.events import Actor, StoreRef, WriteKind, acting_as, writing\n"
             "with recording_to(Path(sys.argv[1])), acting_as(Actor('ana', 'test')), \\\n"
             "        writing(WriteKind.LOAD, 'f.csv', StoreRef('embedded', sys.argv[1])):\n"
             "    os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", child, str(path)], timeout=60)
    where = StoreRef("embedded", str(tmp_path))
    with recording_to(path), acting_as(Actor("bo", "test")):
        with writing(WriteKind.EDIT, "x", where) as done:
            done.detail["after"] = 1
            conn = connect(path)
            under_way = audit.events(conn)[0]
            conn.close()
        with pytest.raises(RuntimeError), writing(WriteKind.EDIT, "y", where):
            raise RuntimeError("boom")
    conn = connect(path)
    events = [(e["action"], e["target"], e["outcome"]) for e in audit.events(conn)]
    conn.close()
    assert under_way["outcome"] == "under way"
    assert events == [("edit", "y", "failed"), ("edit", "x", "ok"),
                      ("load", "f.csv", "interrupted")]


def test_a_web_edit_is_recorded_before_it_is_written_and_completed_after(store, tmp_path):
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    path = tmp_path / "users.db"
    app = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1"),
                     store=store)
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 40000)) as client:
        r = client.patch("/api/nodes/c1", json={"properties": {"name": "Acme Ltd"}})
    assert r.status_code == 200
    conn = connect(path)
    rows = conn.execute("SELECT id, action, outcome, completes FROM audit").fetchall()
    shown = audit.events(conn)
    conn.close()
    assert rows == [(1, "edit", "started", None), (2, "edit", "ok", 1)]
    assert [(e["action"], e["outcome"], e["detail"]["after"]) for e in shown] == \
        [("edit", "ok", {"name": "Acme Ltd"})]


# -- item 13: the source the audit trail names ------------------------------------------------
def test_cli_events_name_the_subcommand_not_the_global_option(tmp_path):
    db = f"embedded:{tmp_path / 'data'}"
    erm(db, "users", "add", "ana", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    erm(db, "users", "token", "ana")
    sources = [e["source"].rsplit(" pid ", 1)[0]
               for e in json.loads(erm(db, "audit", "--format", "json"))]
    assert sources == ["erm users token", "erm users add"]
