"""The audit trail: who did what, when, from where. Append-only: SQLite triggers refuse any
UPDATE or DELETE of a recorded event, and each event is committed with ``synchronous=FULL``.

Writers outside the web and CLI layers (the loaders) say who they act for through
:func:`acting_as`; with no one named, the operating-system user and the process are recorded.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from erm_graph.errors import ErmError

#: detail keys never written (a value under such a key is replaced by "***")
SECRET_KEYS = re.compile(r"pass|token|secret|key|credential|authorization|cookie", re.I)

_actor: ContextVar[tuple[str, str] | None] = ContextVar("erm_audit_actor", default=None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def scrub(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: "***" if SECRET_KEYS.search(str(k)) else scrub(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [scrub(v) for v in detail]
    return detail


def default_actor() -> tuple[str, str]:
    """``(who, source)`` for a write made outside the web app: the named actor, else the
    OS user and the command line's program name."""
    named = _actor.get()
    if named:
        return named
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    # the program and its subcommand, never the rest of the command line (it may hold secrets)
    program = " ".join([os.path.basename(sys.argv[0] or "python"), *sys.argv[1:2]])
    return f"os:{user}", f"{program} pid {os.getpid()}"


@contextmanager
def acting_as(actor: str, source: str) -> Iterator[None]:
    """Writes inside the block are recorded as done by ``actor`` from ``source``."""
    token = _actor.set((actor, source))
    try:
        yield
    finally:
        _actor.reset(token)


def record(conn: sqlite3.Connection, actor: str | None, action: str, target: str = "", *,
           outcome: str = "ok", source: str | None = None,
           detail: dict[str, Any] | None = None) -> None:
    """Append one event; secrets in ``detail`` are masked."""
    if actor is None or source is None:
        who, where = default_actor()
        actor, source = actor or who, source if source is not None else where
    conn.execute("INSERT INTO audit (at, actor, action, target, outcome, source, detail) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (_now(), actor, action, target[:500], outcome, source[:500],
                  json.dumps(scrub(detail or {}), default=str)[:20_000]))


def parse_since(text: str | None) -> str | None:
    """``2024-05-01``, an ISO time, or an age: ``90m``, ``12h``, ``7d``."""
    if not text:
        return None
    match = re.fullmatch(r"(\d+)\s*([mhd])", text.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
        return (datetime.now(UTC) - timedelta(**{unit: int(match[1])})).isoformat()
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ErmError(f"--since {text!r}: give a date (2024-05-01), a time "
                       f"(2024-05-01T12:00) or an age (90m, 12h, 7d)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


COLUMNS = ("id", "at", "actor", "action", "target", "outcome", "source", "detail")


def events(conn: sqlite3.Connection, *, since: str | None = None, user: str | None = None,
           action: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Events, newest first; ``action`` matches a prefix (``login`` finds login.failed)."""
    where, params = [], []
    if since:
        where.append("at >= ?")
        params.append(parse_since(since))
    if user:
        where.append("(actor = ? OR target = ?)")
        params += [user, user]
    if action:
        where.append("action LIKE ?")
        params.append(action.replace("%", "") + "%")
    # only fixed column names and placeholders are joined; every value is a parameter
    sql = ("SELECT " + ", ".join(COLUMNS) + " FROM audit"  # noqa: S608
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY id DESC LIMIT ?")
    rows = conn.execute(sql, [*params, limit]).fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) | {"detail": json.loads(row[-1])}
            for row in rows]


def recent_failures(conn: sqlite3.Connection, *, ip: str, user: str,
                    seconds: int = 60) -> tuple[int, int]:
    """Failed logins in the last ``seconds`` from ``ip`` and for ``user``."""
    after = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()
    by_ip = conn.execute("SELECT count(*) FROM audit WHERE action = 'login.failed' AND at >= ? "
                         "AND source = ?", (after, f"web {ip}")).fetchone()[0]
    by_user = conn.execute("SELECT count(*) FROM audit WHERE action = 'login.failed' "
                           "AND at >= ? AND target = ?", (after, user)).fetchone()[0]
    return by_ip, by_user


def record_write(store: Any, action: str, target: str = "", *, outcome: str = "ok",
                 detail: dict[str, Any] | None = None) -> None:
    """Append an event to the security file of ``store`` (the loaders' hook)."""
    from erm_graph.auth.db import connect, users_db_path

    conn = connect(users_db_path(store))
    try:
        record(conn, None, action, target, outcome=outcome, detail=detail)
    finally:
        conn.close()
