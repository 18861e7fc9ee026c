"""The security file: a small SQLite database next to the graph's data, never in the graph.

It holds users, API token hashes, sessions and the append-only audit trail. Keeping it out of
the graph means no Cypher a partner or analyst can run ever reaches a credential.

Where it lives: ``ERM_USERS_DB`` when set, else ``users.db`` in the data directory of an
``embedded:`` store, else ``users.db`` in the default data directory.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from erm_graph import settings
from erm_graph.errors import ConfigError

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
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def users_db_path(store_or_url: Any = None) -> Path:
    """The security file of a store (or database URL); see the module docstring."""
    explicit = settings.get("users_db")
    if explicit:
        return Path(explicit).expanduser()
    engine = getattr(store_or_url, "engine", None)
    if engine == "embedded":
        return Path(store_or_url.location) / "users.db"
    url = store_or_url if isinstance(store_or_url, str) else None
    if engine is None and url is None:
        url = settings.get("db")
    if url and url.lower().startswith("embedded:") and url.split(":", 1)[1]:
        return Path(url.split(":", 1)[1]).expanduser() / "users.db"
    return settings.default_data_dir() / "users.db"


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
                               uri=True, timeout=10, isolation_level=None,
                               check_same_thread=False)
        if new:
            # before the first write: SQLite gives the WAL and shared-memory files the
            # database file's mode when it creates them
            os.chmod(path, 0o600)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged audit event survives a crash
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        _upgrade(conn)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise ConfigError(f"the users and audit file {path} is not usable: {exc}; "
                          f"set ERM_USERS_DB to a writable path") from None
    return conn


def _upgrade(conn: sqlite3.Connection) -> None:
    """Files written before two-phase audit events lack ``audit.completes`` (the id of the
    ``started`` event an event completes): add it, and the indexes that find unfinished
    writes."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit)")}
    if "completes" not in columns:
        try:
            conn.execute("ALTER TABLE audit ADD COLUMN completes INTEGER")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another process added it just now
                raise
    conn.execute("CREATE INDEX IF NOT EXISTS audit_completes ON audit(completes)")
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
