"""`erm backup` / `erm restore`: a consistent snapshot of a library that keeps serving, restored
into an empty store only, all or nothing; hostile backup files refused. Real embedded engine,
real SQLite files, real subprocesses."""

from __future__ import annotations

import csv as _csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from erm_graph.auth import Users
from erm_graph.errors import ErmError
from erm_graph.interop import backup_file
from erm_graph.interop.backup import backup_library, restore_library
from erm_graph.interop.checksum import tally_store
from erm_graph.store import open_store

#: nodes per write of the writer process: a point-in-time snapshot holds whole batches only
N = 50
PASSWORD = "correct horse battery"

WRITER = textwrap.dedent("""
    import sys, time, uuid
    from pathlib import Path
    from erm_graph.auth import Users
    from erm_graph.store import open_store
    url, users_db, stop, n = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    store = open_store(url)
    users = Users.open(users_db)
    batches = 0
    # each batch: N Departments and N Documents in one query (all or nothing in the engine),
    # with uids spread over the whole uid order so that they land on every page of an export;
    # bounded in count, and paced so that a backup on 2 busy cores sees many of them
    while not stop.exists() and batches < 1500:
        store.run("UNWIND $uids AS u CREATE (:Department {uid: 'd-' + u, batch: $b}) "
                  "CREATE (:Document {uid: 'x-' + u, batch: $b})",
                  {"uids": [uuid.uuid4().hex for _ in range(n)], "b": batches},
                  read_only=False)
        if batches % 5 == 0:  # a user and its audit event in one SQLite transaction
            users.add(f"u{batches}", "viewer", password="correct horse battery")
        batches += 1
        if batches == 20:
            stop.with_name("ready").touch()
        time.sleep(0.01)
    print(batches)
    users.close()
    store.close()
""")


def _users_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()  # noqa: S608
                for t in ("users", "tokens", "audit")}
    finally:
        conn.close()


def _snapshot_store(tmp_path: Path, archive: Path, name: str):
    """A new store with ``archive`` restored into it (security file beside it)."""
    target = open_store(f"embedded:{tmp_path / name}")
    restore_library(target, archive, users_db=tmp_path / name / "users.db")
    return target


@pytest.mark.own_engine
def test_a_backup_taken_while_another_process_writes_is_one_point_in_time(
        store, store_url, tmp_path):
    """The writer adds N Departments and N Documents per query while two backups run; each
    snapshot holds a whole number of batches and as many Documents as Departments. Reading the
    live graph instead (no GRAPH.COPY) mixed moments: Departments and Documents are read by
    separate queries, and batches landed between them."""
    users_db = tmp_path / "users.db"
    Users.open(users_db).close()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, store_url, str(users_db),
                               str(stop), str(N)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ready").exists():  # the writer is under way
            assert writer.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        archives = []
        for i in range(2):
            archives.append(tmp_path / f"during-{i}.erm")
            backup_library(store, archives[-1], users_db=users_db)
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0
    written = int(out.split()[-1])
    for i, archive in enumerate(archives):
        manifest = json.loads(zipfile.ZipFile(archive).read("manifest.json"))
        counts = {k: v["count"] for k, v in manifest["graph"]["tally"].items() if v["count"]}
        departments, documents = counts["Department"], counts["Document"]
        assert departments == documents, counts
        assert departments % N == 0 and 0 < departments <= written * N, counts
        restored = _snapshot_store(tmp_path, archive, f"restored-{i}")
        # the security file's snapshot is one committed state too: every user with its event
        rows = _users_rows(tmp_path / f"restored-{i}" / "users.db")
        added = [e for e in rows["audit"] if e[3] == "user.add"]
        assert len(rows["users"]) == len(added) == manifest["users"]["users"] > 0
        try:
            labels, _ = restored.counts()
            assert labels["Department"] == labels["Document"] == departments
            batches = restored.run("MATCH (d:Department) RETURN d.batch, count(d)").rows
            assert all(n == N for _, n in batches), "a batch is whole or absent"
        finally:
            restored.close()
    assert store._db.list_graphs() == ["erm"], "the copy is deleted after the backup"


def test_round_trip_restores_graph_users_and_audit_unchanged(demo_store, tmp_path):
    """Every node, relationship and property (the export checksum covers them all, values'
    types included) and every user, token digest and audit event comes back."""
    users_db = tmp_path / "source-users.db"
    users = Users.open(users_db)
    users.add("ada", "admin", password=PASSWORD)
    users.add("bob", "partner", password=PASSWORD, party="party-1")
    token = users.new_token("ada")
    users.close()
    archive = tmp_path / "library.erm"
    before = _users_rows(users_db)
    report = backup_library(demo_store, archive, users_db=users_db)
    assert report.verification.ok
    assert os.stat(archive).st_mode & 0o777 == 0o600, "the backup holds password hashes"
    raw = archive.read_bytes()
    assert token.encode() not in raw and PASSWORD.encode() not in raw
    with zipfile.ZipFile(archive) as z:
        assert not any(token.encode() in z.read(n) or PASSWORD.encode() in z.read(n)
                       for n in z.namelist())
    target = open_store(f"embedded:{tmp_path / 'new'}")
    try:
        restored = restore_library(target, archive)
        assert restored.verification.ok
        source_tally, problems = tally_store(demo_store)
        target_tally, target_problems = tally_store(target)
        assert not problems and not target_problems
        assert source_tally.as_dict() == target_tally.as_dict()
        assert target.counts() == demo_store.counts()
        after = _users_rows(tmp_path / "new" / "users.db")
        assert after["users"] == before["users"] and after["tokens"] == before["tokens"]
        backup_event = [e for e in after["audit"] if e[3] == "backup"]
        assert after["audit"][:len(before["audit"])] == before["audit"]
        assert not backup_event, "the backup's own event is recorded after its snapshot"
        restore_events = after["audit"][len(before["audit"]):]
        assert [(e[3], e[5]) for e in restore_events] == [("restore", "started"),
                                                          ("restore", "ok")]
        assert os.stat(tmp_path / "new" / "users.db").st_mode & 0o777 == 0o600
        restored_users = Users.open(tmp_path / "new" / "users.db")
        try:
            assert restored_users.by_token(token).name == "ada"
            assert restored_users.authenticate("bob", PASSWORD).party == "party-1"
        finally:
            restored_users.close()
    finally:
        target.close()
    source_events = _users_rows(users_db)["audit"]
    assert source_events[-1][3] == "backup", "the backup is audited in the live file"



@pytest.fixture(scope="module")
def good_backup(demo_store, tmp_path_factory) -> Path:
    """A backup of the demo with one user: hostile files are built from it."""
    folder = tmp_path_factory.mktemp("good")
    users = Users.open(folder / "users.db")
    users.add("ada", "admin", password=PASSWORD)
    users.close()
    archive = folder / "library.erm"
    backup_library(demo_store, archive, users_db=folder / "users.db")
    return archive


def _members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rezip(path: Path, members: dict[str, bytes], *, manifest_files: bool = True) -> Path:
    """An archive of ``members``; with ``manifest_files`` the manifest lists each one's true
    size and SHA-256 (so that only what the test changed is wrong)."""
    import hashlib

    manifest = json.loads(members["manifest.json"])
    if manifest_files:
        manifest["files"] = {n: {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                             for n, b in members.items() if n != "manifest.json"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            if name != "manifest.json":
                z.writestr(name, data)
    return path


def _graph_csv(members: dict[str, bytes]) -> str:
    return next(n for n in members if n.startswith("graph/nodes_Party"))


def _hostile(good: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the refusal says)."""
    m = _members(good)
    csv = _graph_csv(m)
    cases: dict[str, tuple[Path, str]] = {}

    def add(name: str, path: Path, says: str) -> None:
        cases[name] = (path, says)

    for i, evil in enumerate(("../evil.csv", "/etc/evil", "graph/../../evil",
                              "graph/sub/x.csv", "graph/.hidden", "evil.db")):
        add(f"traversal-{i}", _rezip(tmp / f"trav{i}.erm", {**m, evil: b"x"}), "not one a backup")
    # a member that decompresses 1000-fold: refused from the directory, before inflating
    bomb = tmp / "bomb.erm"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", m["manifest.json"])
        z.writestr("graph/nodes_Party.csv", b"\0" * (200 * 2**20))
    add("bomb", bomb, "decompression bomb")
    many = {**m, **{f"graph/x{i}.csv": b"" for i in range(backup_file.MAX_MEMBERS + 1)}}
    add("too-many-members", _rezip(tmp / "many.erm", many), "members, over")
    manifest = json.loads(m["manifest.json"])
    manifest["padding"] = "x" * (backup_file.MAX_MANIFEST + 1)
    add("huge-manifest", _rezip(tmp / "hugeman.erm", {**m, "manifest.json":
                                                      json.dumps(manifest).encode()}),
        "a manifest may be")
    rows = list(_csv.reader(io.StringIO(m[csv].decode())))
    rows[1][rows[0].index("name")] += " (changed)"
    out = io.StringIO()
    _csv.writer(out).writerows(rows)
    changed = out.getvalue().encode()
    dropped = b"".join(m[csv].splitlines(keepends=True)[:-1])
    add("wrong-size", _rezip(tmp / "size.erm", {**m, csv: m[csv] + b"x\n"},
                             manifest_files=False), "the manifest says")
    same_size = bytearray(m[csv])
    same_size[-2] = ord("Z") if same_size[-2] != ord("Z") else ord("Y")
    add("changed-byte", _rezip(tmp / "byte.erm", {**m, csv: bytes(same_size)},
                               manifest_files=False), "SHA-256")
    # consistent SHA-256s but a graph that differs from the counts and checksums
    add("changed-property", _rezip(tmp / "prop.erm", {**m, csv: changed}), "do not match")
    add("dropped-row", _rezip(tmp / "row.erm", {**m, csv: dropped}),
        "(graph): 8 relationship(s) join nodes that are not in the files")
    add("missing-member", _rezip(tmp / "missing.erm", {k: v for k, v in m.items()
                                                      if k != "users.db"}, manifest_files=False),
        "missing: users.db")
    unlisted = _rezip(tmp / "unlisted.erm", {**m, "graph/extra.csv": b"a\n"},
                      manifest_files=False)
    add("unlisted-member", unlisted, "not listed: graph/extra.csv")
    link = tmp / "link.erm"
    with zipfile.ZipFile(link, "w") as z:
        for name, data in m.items():
            info = zipfile.ZipInfo(name)
            if name == "users.db":
                info.external_attr = (0o120777 << 16)  # a symbolic link
            z.writestr(info, data)
    add("symlink", link, "not a regular file")
    not_zip = tmp / "notzip.erm"
    not_zip.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    add("not-a-zip", not_zip, "not a readable backup")
    truncated = tmp / "truncated.erm"
    truncated.write_bytes(good.read_bytes()[:-300])
    add("truncated", truncated, "not a readable backup")
    foreign = dict(m)
    foreign["manifest.json"] = json.dumps({**json.loads(m["manifest.json"]),
                                           "format": "other"}).encode()
    add("foreign-manifest", _rezip(tmp / "foreign.erm", foreign), "not describe")
    no_graph = {k: v for k, v in json.loads(m["manifest.json"]).items() if k != "graph"}
    add("manifest-without-graph", _rezip(tmp / "nograph.erm", {
        **m, "manifest.json": json.dumps(no_graph).encode()}), "no counts and checksums")
    db = bytearray(m["users.db"])
    db[4096:8192] = b"\xff" * 4096  # the second page: a table's b-tree
    add("corrupt-users-db", _rezip(tmp / "db.erm", {**m, "users.db": bytes(db)}), "users.db")
    return cases


def test_hostile_backup_files_are_refused_quickly_and_nothing_is_written(
        good_backup, store, tmp_path, monkeypatch):
    users_db = tmp_path / "target-users.db"
    for name, (path, says) in _hostile(good_backup, tmp_path).items():
        started = time.monotonic()
        with pytest.raises(ErmError) as caught:
            restore_library(store, path, users_db=users_db)
            pytest.fail(f"{name}: restored")
        took = time.monotonic() - started
        assert says in str(caught.value), (name, str(caught.value))
        assert took < 10, (name, took)
        labels, types = store.counts()
        assert not sum(labels.values()) and not sum(types.values()), name
        assert not users_db.exists() and not Path(f"{users_db}.restoring").exists(), name
    assert not list(Path("/").glob("evil*"))


def test_restore_refuses_a_store_that_holds_anything(good_backup, store, tmp_path):
    """A graph with one node, or a security file with a user or an audit event, is not an
    empty store: refused with the reason, nothing changed."""
    users_db = tmp_path / "users.db"
    store.run("CREATE (:Department {uid: 'keep-me'})", read_only=False)
    with pytest.raises(ErmError, match="is not empty: a restore needs an empty store"):
        restore_library(store, good_backup, users_db=users_db)
    assert store.counts()[0]["Department"] == 1 and not users_db.exists()
    store.clear()
    users = Users.open(users_db)
    users.add("someone", "viewer", password=PASSWORD)
    users.close()
    with pytest.raises(ErmError, match=r"users and audit file .* is not empty \(1 users row"):
        restore_library(store, good_backup, users_db=users_db)
    assert not sum(store.counts()[0].values())
    assert [r[0] for r in _users_rows(users_db)["users"]] == ["someone"]
    assert not Path(f"{users_db}.restoring").exists()


def test_a_restore_interrupted_while_writing_leaves_the_store_empty(good_backup, store,
                                                                   tmp_path):
    """Ctrl-C after some thousands of rows: the graph is emptied again, and the security file
    is not put in place (it is renamed in only after the graph is written and verified)."""
    users_db = tmp_path / "users.db"
    written = []

    def interrupt(n: int) -> None:
        written.append(n)
        if sum(written) >= 5000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        restore_library(store, good_backup, users_db=users_db, progress=interrupt)
    assert sum(written) >= 5000
    labels, types = store.counts()
    assert not sum(labels.values()) and not sum(types.values())
    assert not users_db.exists() and not Path(f"{users_db}.restoring").exists()
    restored = restore_library(store, good_backup, users_db=users_db)  # and it can be run again
    assert restored.verification.ok and restored.users["users"] == 1


@pytest.mark.own_engine
def test_a_copy_left_by_a_killed_backup_is_deleted_by_the_next(store, tmp_path):
    store.run("CREATE (:Department {uid: 'd1'})", read_only=False)
    dead = 2**22 + 12345  # above pid_max's default: no such process
    conn = store._db.connection
    conn.execute_command("GRAPH.COPY", "erm", f"erm.backup.{dead}.abcd1234")
    conn.execute_command("GRAPH.COPY", "erm", "erm.backup.1.alive")  # pid 1 runs
    backup_library(store, tmp_path / "b.erm", users_db=tmp_path / "users.db")
    assert sorted(store._db.list_graphs()) == ["erm", "erm.backup.1.alive"]


def test_cli_backup_and_restore(store_url, tmp_path):
    """The commands, their exit codes and messages, through a real `erm` process."""
    erm = [str(Path(sys.executable).with_name("erm"))]
    env = {**os.environ, "ERM_DB": store_url}
    env.pop("ERM_USERS_DB", None)
    source = open_store(store_url)
    source.run("UNWIND range(1, 30) AS i CREATE (:Department {uid: 'd' + toString(i), "
               "n: i, f: 1.5})", read_only=False)
    source.close()
    subprocess.run([*erm, "users", "add", "ada", "--role", "admin", "--password-stdin"],
                   env=env, check=True, input=f"{PASSWORD}\n", text=True, capture_output=True)
    archive = tmp_path / "library.erm"
    done = subprocess.run([*erm, "backup", str(archive)], env=env, text=True,
                          capture_output=True)
    assert done.returncode == 0, done.stderr
    assert "30 nodes" in done.stdout and "1 users" in done.stdout
    target = f"embedded:{tmp_path / 'new'}"
    done = subprocess.run([*erm, "--db", target, "restore", str(archive)], env=env,
                          text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert "Lossless" in done.stdout
    again = subprocess.run([*erm, "--db", target, "restore", str(archive)], env=env,
                           text=True, capture_output=True)
    assert again.returncode == 1 and "is not empty" in " ".join(again.stderr.split())
    assert "Traceback" not in again.stderr
    helped = subprocess.run([*erm, "backup", "--help"], env=env, text=True,
                            capture_output=True).stdout
    assert "erm restore" in helped and "docs/deployment.md" in helped


def test_only_an_admin_downloads_a_backup_from_the_web_app_and_it_is_audited(
        demo_store, tmp_path):
    from fastapi.testclient import TestClient

    from erm_graph.settings import Settings
    from erm_graph.web import create_app

    users_db = tmp_path / "users.db"
    users = Users.open(users_db)
    tokens = {}
    for role in ("admin", "editor", "viewer"):
        users.add(role, role, password=PASSWORD)
        tokens[role] = users.new_token(role)
    users.close()
    settings = Settings.from_env(users_db=users_db, web_host="0.0.0.0")
    with TestClient(create_app(settings, store=demo_store),
                    base_url="http://127.0.0.1") as client:
        for role in ("editor", "viewer"):
            r = client.get("/api/backup", headers={"authorization": f"Bearer {tokens[role]}"})
            assert r.status_code == 403 and r.json()["error"]
        assert client.get("/api/backup").status_code == 401
        r = client.get("/api/backup", headers={"authorization": f"Bearer {tokens['admin']}"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"].startswith('attachment; filename="erm-backup-')
    archive = tmp_path / "downloaded.erm"
    archive.write_bytes(r.content)
    events = [e for e in _users_rows(users_db)["audit"] if e[3] == "backup"]
    assert [(e[2], e[6].split()[0]) for e in events] == [("admin", "web")]
    target = open_store(f"embedded:{tmp_path / 'new'}")
    try:
        restored = restore_library(target, archive, users_db=tmp_path / "new-users.db")
        assert restored.verification.ok and restored.users["users"] == 3
        assert target.counts() == demo_store.counts()
    finally:
        target.close()
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(
        f"erm-backup-*/{r.headers['content-disposition'].split('=')[1].strip(chr(34))}")), \
        "the server's copy is deleted once sent"


@pytest.mark.neo4j
def test_neo4j_backup_holds_the_load_lock_and_round_trips(tmp_path):
    """On Neo4j (no copy command) the export holds the load lock; a round trip is lossless."""
    from tests.conftest import NEO4J_URL

    assert NEO4J_URL
    neo = open_store(NEO4J_URL)
    try:
        neo.clear()
        neo.run("UNWIND range(1, 40) AS i CREATE (:Department {uid: 'd' + toString(i), n: i})",
                read_only=False)
        archive = tmp_path / "neo4j.erm"
        report = backup_library(neo, archive, users_db=tmp_path / "users.db")
        assert report.verification.ok and report.manifest["engine"] == "neo4j"
        before, _ = tally_store(neo)
        neo.clear()
        restored = restore_library(neo, archive, users_db=tmp_path / "restored-users.db")
        after, _ = tally_store(neo)
        assert restored.verification.ok and before.as_dict() == after.as_dict()
    finally:
        neo.clear()
        neo.close()


@pytest.mark.own_engine
def test_backups_in_a_row_do_not_freeze_the_engine(store, tmp_path):
    """GRAPH.COPY started while the server still rewrote its AOF (begun by the backup before)
    froze the whole server for good: the second of two backups in a row never returned."""
    import threading

    store.run("UNWIND range(1, 500) AS i CREATE (:Department {uid: 'd' + toString(i)})",
              read_only=False)
    done = []

    def three() -> None:
        for i in range(3):
            backup_library(store, tmp_path / f"b{i}.erm", users_db=tmp_path / "users.db")
            done.append(i)

    worker = threading.Thread(target=three, daemon=True)
    worker.start()
    worker.join(90)
    if worker.is_alive():  # the engine is frozen: stop it so that the fixture can end
        store._server.kill()
        pytest.fail(f"backup {len(done) + 1} of 3 froze the engine")
    assert done == [0, 1, 2]
