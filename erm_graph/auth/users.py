"""Users, API tokens and web sessions, kept in the security file (:mod:`erm_graph.auth.db`).

>>> users = Users.open(Path("/tmp/erm/users.db"))                 # doctest: +SKIP
>>> users.add("ana", "analyst", password="a long passphrase")    # doctest: +SKIP
>>> token = users.new_token("ana")                               # shown once
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erm_graph.auth import audit
from erm_graph.auth.db import connect, transaction, users_db_path
from erm_graph.auth.passwords import (
    digest,
    hash_password,
    new_token,
    same,
    split_token,
    verify_password,
)
from erm_graph.auth.roles import check_role
from erm_graph.errors import ErmError

#: a web session lasts this long after login
SESSION_SECONDS = 12 * 3600
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user name, a role, for a partner its Party uid, and for our own staff
    the Employee uid an admin linked the user to (`erm users link`)."""

    name: str
    role: str
    party: str | None = None
    #: how they proved it: local (single-user mode), session, token, cli
    via: str = "session"
    employee: str | None = None


LOCAL_ADMIN = Principal("local", "admin", via="local")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Users:
    """The users of one deployment; every change is written to the audit trail, as done by
    the current actor (:func:`erm_graph.events.current_actor`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None, *, store_or_url: Any = None) -> Users:
        path = path or users_db_path(store_or_url)
        return cls(connect(path), path)

    def close(self) -> None:
        self.conn.close()

    # -- users -------------------------------------------------------------------------------
    def add(self, name: str, role: str, *, password: str, party: str | None = None) -> None:
        check_role(role)
        if not name or len(name) > 64 or not set(name) <= _NAME_CHARS:
            raise ErmError(f"user name {name!r} must be 1-64 letters, digits or . _ @ -")
        if role == "partner" and not party:
            raise ErmError("a partner is bound to one Party: give --party PARTY_UID")
        if role != "partner" and party:
            raise ErmError("only a partner is bound to a Party; drop --party")
        password_hash = hash_password(password)
        with transaction(self.conn):  # the change and its audit event, or neither
            if self.get(name):
                raise ErmError(f"user {name!r} exists; remove it first or choose another name")
            self.conn.execute("INSERT INTO users (name, role, party, password_hash, created_at) "
                              "VALUES (?, ?, ?, ?, ?)",
                              (name, role, party, password_hash, _now()))
            audit.record(self.conn, None, "user.add", name,
                         detail={"role": role, "party": party})

    def remove(self, name: str) -> None:
        with transaction(self.conn):
            if not self.get(name):
                raise ErmError(f"no user {name!r}; see `erm users list`")
            self.conn.execute("DELETE FROM users WHERE name = ?", (name,))
            audit.record(self.conn, None, "user.remove", name)

    def link_employee(self, name: str, employee: str | None) -> None:
        """Make ``name`` the Employee ``employee`` (a uid; None unlinks): its dashboards' "my
        ..." tiles then show that employee's customers and cases. The caller checks that the
        Employee exists (:func:`erm_graph.auth.me.check_employee`). A partner is an outside
        party's user and is never one of our employees."""
        with transaction(self.conn):
            user = self.get(name)
            if not user:
                raise ErmError(f"no user {name!r}; see `erm users list`")
            if employee and user.role == "partner":
                raise ErmError(f"{name!r} is a partner, an outside party's user: it cannot be "
                               f"linked to one of our employees")
            self.conn.execute("UPDATE users SET employee = ? WHERE name = ?",
                              (employee or None, name))
            audit.record(self.conn, None, "user.link", name, detail={"employee": employee})

    def get(self, name: str) -> Principal | None:
        row = self.conn.execute("SELECT name, role, party, employee FROM users WHERE name = ?",
                                (name,)).fetchone()
        return Principal(row[0], row[1], row[2], employee=row[3]) if row else None

    def listing(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT u.name, u.role, u.party, u.employee, u.created_at, count(t.id) FROM users u "
            "LEFT JOIN tokens t ON t.user = u.name GROUP BY u.name ORDER BY u.name").fetchall()
        return [{"name": n, "role": r, "party": p, "employee": e, "created_at": c, "tokens": t}
                for n, r, p, e, c, t in rows]

    def count(self, role: str | None = None) -> int:
        if role:
            return self.conn.execute("SELECT count(*) FROM users WHERE role = ?",
                                     (role,)).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM users").fetchone()[0]

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The user when the password is right; the same work is done when the user is not
        known, so timing does not tell which names exist."""
        row = self.conn.execute("SELECT password_hash FROM users WHERE name = ?",
                                (name,)).fetchone()
        if verify_password(row[0] if row else None, password):
            return self.get(name)
        return None

    # -- API tokens --------------------------------------------------------------------------
    def new_token(self, name: str) -> str:
        """A new API token for ``name``; it is returned once and only its digest is kept."""
        token, token_id, token_digest = new_token()
        with transaction(self.conn):
            if not self.get(name):
                raise ErmError(f"no user {name!r}; see `erm users list`")
            self.conn.execute("INSERT INTO tokens VALUES (?, ?, ?, ?)",
                              (token_id, name, token_digest, _now()))
            audit.record(self.conn, None, "token.add", name,
                         detail={"token_id": token_id})
        return token

    def revoke_tokens(self, name: str) -> int:
        with transaction(self.conn):
            gone = self.conn.execute("DELETE FROM tokens WHERE user = ?", (name,)).rowcount
            audit.record(self.conn, None, "token.revoke", name,
                         detail={"revoked": gone})
        return gone

    def by_token(self, token: str) -> Principal | None:
        parts = split_token(token)
        if parts is None:
            return None
        row = self.conn.execute("SELECT user, token_hash FROM tokens WHERE id = ?",
                                (parts[0],)).fetchone()
        if row is None or not same(row[1], digest(parts[1])):
            return None
        user = self.get(row[0])
        return replace(user, via="token") if user else None

    # -- web sessions ------------------------------------------------------------------------
    def new_session(self, name: str) -> str:
        session_id = secrets.token_urlsafe(32)
        self.conn.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
        self.conn.execute("INSERT INTO sessions VALUES (?, ?, ?)",
                          (digest(session_id), name, time.time() + SESSION_SECONDS))
        return session_id

    def by_session(self, session_id: str) -> Principal | None:
        row = self.conn.execute("SELECT user FROM sessions WHERE id_hash = ? AND expires > ?",
                                (digest(session_id), time.time())).fetchone()
        user = self.get(row[0]) if row else None
        return replace(user, via="session") if user else None

    def end_session(self, session_id: str) -> None:
        self.conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(session_id),))
