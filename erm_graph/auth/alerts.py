"""Alerts: what watch rules (:mod:`erm_graph.watch`) fired, kept in the security file beside
users and the audit trail.

An alert is one condition (a rule and its key columns' values) from the pass that first saw it
until the first pass that no longer does (``cleared_at``). The partial unique index on open
alerts is what makes "never fired twice for the same condition" hold when two passes run at
once (`erm watch run` from cron while `erm serve` runs its schedule): the second insert is
ignored, so only one pass tells anybody. Deliveries that failed (mail server down, webhook
refusing) are kept per alert and tried again by later passes, never re-sent once through.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erm_graph.auth import audit
from erm_graph.auth.db import connect, transaction
from erm_graph.auth.roles import expand_access


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_alerts(path: Path) -> sqlite3.Connection:
    """A connection to the security file at ``path`` (its tables, these included, are made by
    :func:`erm_graph.auth.db.connect`): for a watch pass outside the CLI and web edges."""
    return connect(path)


@dataclass(frozen=True)
class Firing:
    """One condition seen by a pass: the rule's key for it, its message and its row."""

    key: str
    message: str
    row: dict[str, Any]


def record_pass(conn: sqlite3.Connection, rule: str, title: str, firings: list[Firing], *,
                roles: tuple[str, ...], users: tuple[str, ...], targets: list[str],
                at: str) -> tuple[list[int], int]:
    """Record what one pass of ``rule`` saw: new conditions become alerts (their ids are
    returned: the ones to tell about), conditions no longer seen are cleared (counted).
    ``targets`` (mail addresses and webhooks) start as undelivered on each new alert."""
    seen = {f.key for f in firings}
    with transaction(conn):
        new = []
        for firing in firings:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO watch_alerts (rule, key, title, message, row, roles, "
                "users, undelivered, fired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rule, firing.key, title, firing.message, json.dumps(firing.row, default=str),
                 json.dumps(roles), json.dumps(users), json.dumps(targets), at))
            if cursor.rowcount:
                new.append(int(cursor.lastrowid or 0))
        open_keys = conn.execute("SELECT id, key FROM watch_alerts WHERE rule = ? AND "
                                 "cleared_at IS NULL", (rule,)).fetchall()
        gone = [alert_id for alert_id, key in open_keys if key not in seen]
        conn.executemany("UPDATE watch_alerts SET cleared_at = ? WHERE id = ?",
                         [(at, i) for i in gone])
        conn.execute("INSERT INTO watch_runs (rule, ran_at, outcome) VALUES (?, ?, 'ok') "
                     "ON CONFLICT(rule) DO UPDATE SET ran_at = excluded.ran_at, "
                     "outcome = excluded.outcome", (rule, at))
        if new or gone:
            audit.record(conn, None, "watch.fire", rule,
                         detail={"fired": new, "cleared": gone})
    return new, len(gone)


def record_failure(conn: sqlite3.Connection, rule: str, at: str, why: str) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO watch_runs (rule, ran_at, outcome) VALUES (?, ?, ?) "
                     "ON CONFLICT(rule) DO UPDATE SET ran_at = excluded.ran_at, "
                     "outcome = excluded.outcome", (rule, at, f"failed: {why}"))


def last_runs(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """rule -> (when its last pass ran, its outcome)."""
    return {rule: (at, outcome) for rule, at, outcome in
            conn.execute("SELECT rule, ran_at, outcome FROM watch_runs")}


def undelivered(conn: sqlite3.Connection, rule: str) -> dict[str, list[int]]:
    """target -> the alerts of ``rule`` not yet delivered to it (oldest first)."""
    waiting: dict[str, list[int]] = {}
    for alert_id, targets in conn.execute(
            "SELECT id, undelivered FROM watch_alerts WHERE rule = ? AND undelivered != '[]' "
            "ORDER BY id", (rule,)):
        for target in json.loads(targets):
            waiting.setdefault(target, []).append(alert_id)
    return waiting


def delivered(conn: sqlite3.Connection, target: str, alert_ids: list[int]) -> None:
    with transaction(conn):
        for alert_id in alert_ids:
            (targets,) = conn.execute("SELECT undelivered FROM watch_alerts WHERE id = ?",
                                      (alert_id,)).fetchone()
            left = [t for t in json.loads(targets) if t != target]
            conn.execute("UPDATE watch_alerts SET undelivered = ? WHERE id = ?",
                         (json.dumps(left), alert_id))


def alerts(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(ids))
    # only placeholders are joined into the statement
    cursor = conn.execute(f"SELECT id, rule, key, title, message, row, fired_at, cleared_at "  # noqa: S608
                          f"FROM watch_alerts WHERE id IN ({marks}) ORDER BY id", ids)
    return [_alert(row) for row in cursor]


def _alert(row: tuple[Any, ...]) -> dict[str, Any]:
    alert_id, rule, key, title, message, data, fired_at, cleared_at = row[:8]
    found = {"id": alert_id, "rule": rule, "key": key, "title": title, "message": message,
             "row": json.loads(data), "fired_at": fired_at, "cleared_at": cleared_at}
    if len(row) > 8:
        found["read"] = bool(row[8])
    return found


def visible_to(name: str, role: str, roles_json: str, users_json: str) -> bool:
    """Whether the user ``name`` of ``role`` sees an alert told to these roles and users:
    admins see every alert, partners none."""
    if role == "partner":
        return False
    if role == "admin" or name in json.loads(users_json):
        return True
    return role in expand_access(json.loads(roles_json))


def inbox(conn: sqlite3.Connection, name: str, role: str, *, include_cleared: bool = False,
          limit: int = 200) -> list[dict[str, Any]]:
    """The alerts ``name`` may see, newest first, each marked read or not."""
    where = "" if include_cleared else "WHERE a.cleared_at IS NULL"
    cursor = conn.execute(
        "SELECT a.id, a.rule, a.key, a.title, a.message, a.row, a.fired_at, a.cleared_at, "  # noqa: S608
        f"r.user IS NOT NULL, a.roles, a.users FROM watch_alerts a LEFT JOIN watch_reads r "
        f"ON r.alert = a.id AND r.user = ? {where} ORDER BY a.fired_at DESC, a.id DESC",
        (name,))
    found = []
    for row in cursor:
        if visible_to(name, role, row[9], row[10]):
            found.append(_alert(row[:9]))
            if len(found) >= limit:
                break
    return found


def mark_read(conn: sqlite3.Connection, name: str, role: str, alert_id: int) -> bool:
    """Mark one alert read for ``name``; False when there is no such alert it may see."""
    row = conn.execute("SELECT roles, users FROM watch_alerts WHERE id = ?",
                       (alert_id,)).fetchone()
    if row is None or not visible_to(name, role, row[0], row[1]):
        return False
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO watch_reads (alert, user, at) VALUES (?, ?, ?)",
                     (alert_id, name, now_text()))
    return True
