"""Calendar subscriptions: a secret address per user from which a calendar program fetches
that user's appointments and tasks as iCalendar (``/calendar/feed/TOKEN.ics``).

A calendar program cannot log in, so the address itself is the credential: a random token of
256 bits, shown once when it is made, kept here only as its SHA-256 digest (as API tokens
are), never logged (the feed's route is left out of access logs' detail and the audit trail
names the user, not the token). Making a new address revokes the old one; revoking leaves the
user with none. Both are audited (``calendar.subscribe``, ``calendar.revoke``).
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime

from erm_graph.auth import audit
from erm_graph.auth.db import transaction
from erm_graph.auth.passwords import digest
from erm_graph.errors import ErmError

#: what a feed token starts with, so that one found in a log or a paste is recognised
PREFIX = "ermcal_"


def new_feed(conn: sqlite3.Connection, user: str, *, actor: str | None = None) -> str:
    """A new feed token for ``user`` (its old one stops working); returned once."""
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction(conn):
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone() is None:
            raise ErmError(f"no user {user!r}; a calendar subscription belongs to a user "
                           f"(`erm users list`)")
        replaced = conn.execute("DELETE FROM calendar_feeds WHERE user = ?", (user,)).rowcount
        conn.execute("INSERT INTO calendar_feeds VALUES (?, ?, ?)",
                     (user, digest(token), datetime.now(UTC).isoformat(timespec="seconds")))
        audit.record(conn, actor, "calendar.subscribe", user, detail={"replaced": replaced})
    return token


def revoke_feed(conn: sqlite3.Connection, user: str, *, actor: str | None = None) -> bool:
    """Revoke ``user``'s feed; whether there was one."""
    with transaction(conn):
        gone = conn.execute("DELETE FROM calendar_feeds WHERE user = ?", (user,)).rowcount
        audit.record(conn, actor, "calendar.revoke", user, detail={"revoked": gone})
    return bool(gone)


def feed_user(conn: sqlite3.Connection, token: str) -> str | None:
    """The user whose feed ``token`` is, or None (a wrong or revoked token)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = conn.execute("SELECT user FROM calendar_feeds WHERE token_hash = ?",
                       (digest(token),)).fetchone()
    return str(row[0]) if row else None


def has_feed(conn: sqlite3.Connection, user: str) -> str | None:
    """When ``user``'s feed was made, or None."""
    row = conn.execute("SELECT created_at FROM calendar_feeds WHERE user = ?",
                       (user,)).fetchone()
    return str(row[0]) if row else None
