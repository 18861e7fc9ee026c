"""The security file: a small SQLite database next to the graph's data, never in the graph.

It holds users, API token hashes, sessions and the append-only audit trail. Keeping it out of
the graph means no Cypher a partner or analyst can run ever reaches a credential.

Where it lives: ``ERM_USERS_DB`` when set, else ``users.db`` in the data directory of an
``embedded:`` store, else ``users.db`` in the default data directory.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

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
    source TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
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
    """An open connection with the schema in place; the file is private to its owner."""
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
        except OSError as exc:
            raise ConfigError(f"cannot open the users and audit file {path}: {exc.strerror}; "
                              f"set ERM_USERS_DB to a writable path") from None
    try:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged audit event survives a crash
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"the users and audit file {path} is not usable: {exc}") from None
    return conn
