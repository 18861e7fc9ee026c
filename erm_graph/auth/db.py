"""The security file: a small SQLite database next to the graph's data, never in the graph.

It holds users, API token hashes, sessions, the append-only audit trail and the users' saved
views (:mod:`erm_graph.auth.saved_views`). Keeping it out of
the graph means no Cypher a partner or analyst can run ever reaches a credential.

Where it lives: ``ERM_USERS_DB`` when set, else ``users.db`` in the data directory of an
``embedded:`` store, else ``users.db`` in the default data directory.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from erm_graph.database_url import DatabaseURL
from erm_graph.errors import ConfigError
from erm_graph.settings import Settings, current

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, party TEXT, password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    token_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT 'ok',
    source TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}', completes INTEGER);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TABLE IF NOT EXISTS login_throttle (
    kind TEXT NOT NULL, source TEXT NOT NULL, account TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0, last_failure REAL NOT NULL DEFAULT 0,
    blocked_until REAL NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0,
    first_blocked REAL, PRIMARY KEY (kind, source, account));
CREATE TABLE IF NOT EXISTS saved_views (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, url TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL, team TEXT NOT NULL,
    shared TEXT NOT NULL DEFAULT 'team', created_at TEXT NOT NULL, UNIQUE (owner, name));
-- the alerts of watch rules (erm_graph/auth/alerts.py)
CREATE TABLE IF NOT EXISTS watch_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, key TEXT NOT NULL,
    title TEXT NOT NULL, message TEXT NOT NULL, row TEXT NOT NULL DEFAULT '{}',
    roles TEXT NOT NULL DEFAULT '[]', users TEXT NOT NULL DEFAULT '[]',
    undelivered TEXT NOT NULL DEFAULT '[]', fired_at TEXT NOT NULL, cleared_at TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS watch_alerts_open ON watch_alerts(rule, key)
    WHERE cleared_at IS NULL;
CREATE INDEX IF NOT EXISTS watch_alerts_fired ON watch_alerts(fired_at);
CREATE TABLE IF NOT EXISTS watch_reads (
    alert INTEGER NOT NULL REFERENCES watch_alerts(id) ON DELETE CASCADE,
    user TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (alert, user));
CREATE TABLE IF NOT EXISTS watch_runs (
    rule TEXT PRIMARY KEY, ran_at TEXT NOT NULL, outcome TEXT NOT NULL);
-- calendar subscriptions: one secret feed address per user, its token kept as a digest only
-- (erm_graph/auth/calendar_feeds.py)
CREATE TABLE IF NOT EXISTS calendar_feeds (
    user TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def users_db_path(store_or_url: Any = None, settings: Settings | None = None) -> Path:
    """The security file of a store (or database URL, default ``settings.db``); see the module
    docstring. ``settings`` defaults to the environment's."""
    settings = settings or current()
    if settings.users_db is not None:
        return settings.users_db
    if isinstance(store_or_url, str):
        store_or_url = DatabaseURL.parse(store_or_url)
    if isinstance(store_or_url, DatabaseURL) or store_or_url is None:
        url = store_or_url or settings.db
        if url.engine == "embedded":
            return url.data_dir(settings.data_dir) / "users.db"
    elif store_or_url.engine == "embedded":
        return Path(store_or_url.location) / "users.db"
    return settings.data_dir / "users.db"


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """An open connection with the schema in place; the file is private to its owner.

    The file is never opened other than through SQLite: closing any other descriptor of it
    drops every POSIX lock this process holds on it (those of its other connections
    included), and the next process to close its connection then believes it is the last,
    checkpoints and deletes the WAL under this one, whose later writes are lost.
    """
    new = create and not path.exists()
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot open the users and audit file {path}: {exc.strerror}; "
                              f"set ERM_USERS_DB to a writable path") from None
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode={'rwc' if create else 'rw'}",
                               uri=True, timeout=BUSY_SECONDS, isolation_level=None,
                               check_same_thread=False)
        if new:
            # before the first write: SQLite gives the WAL and shared-memory files the
            # database file's mode when it creates them
            os.chmod(path, 0o600)
        _use_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged audit event survives a crash
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        _upgrade(conn)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise ConfigError(f"the users and audit file {path} is not usable: {exc}; "
                          f"set ERM_USERS_DB to a writable path") from None
    return conn


#: how long opening the file waits for other processes' locks, in seconds
BUSY_SECONDS = 10.0


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting for other processes that open it at the same moment.

    Switching needs the file to itself for an instant. Processes opening a new file at once
    (parallel `erm load`s, each auditing its write) each hold a shared lock and ask for that;
    SQLite answers one of them "database is locked" at once, without waiting, to avoid a
    deadlock; so it is asked again until the others are through."""
    deadline = time.monotonic() + BUSY_SECONDS
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.1)


def _upgrade(conn: sqlite3.Connection) -> None:
    """Files written before two-phase audit events lack ``audit.completes`` (the id of the
    ``started`` event an event completes): add it, and the indexes that find unfinished
    writes. Files written before users were linked to employees lack ``users.employee``."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit)")}
    if "completes" not in columns:
        try:
            conn.execute("ALTER TABLE audit ADD COLUMN completes INTEGER")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another process added it just now
                raise
    conn.execute("CREATE INDEX IF NOT EXISTS audit_completes ON audit(completes)")
    # a staff user's Employee (`erm users link`): whose "my ..." dashboard tiles are theirs
    users = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
    if "employee" not in users:
        try:
            conn.execute("ALTER TABLE users ADD COLUMN employee TEXT")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):
                raise
    conn.execute("CREATE INDEX IF NOT EXISTS audit_outcome ON audit(outcome)")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: everything inside commits together or not at all, and no other
    process or worker writes in between (``BEGIN IMMEDIATE``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


#: the tables a backup carries, whose rows it counts; sessions and login throttling are left
#: out: a restored library asks everyone to log in again
BACKED_UP = ("users", "tokens", "audit")


def snapshot(path: Path, dest: Path) -> dict[str, int]:
    """Copy the security file at ``path`` to the new file ``dest`` (mode 0600) as it is at
    one moment, while the server goes on writing, and count its rows per table.

    SQLite's online backup API copies every page in one read transaction of the source, so
    the copy is one committed state (a plain file copy could take the main file without its
    WAL, or half a checkpoint). The copy then drops sessions and throttling and is vacuumed:
    free pages would let a small file decompress out of proportion.
    """
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    source = connect(path, create=False)
    target = sqlite3.connect(dest, isolation_level=None)
    try:
        source.backup(target)
        target.execute("DELETE FROM sessions")
        target.execute("DELETE FROM login_throttle")
        target.execute("VACUUM")
        return row_counts(target)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"cannot back up the users and audit file {path}: {exc}") from None
    finally:
        source.close()
        target.close()


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table of :data:`BACKED_UP`."""
    # only the fixed table names above are joined into the statement
    return {table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in BACKED_UP}
