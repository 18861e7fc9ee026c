"""The audit trail: who did what, when, from where. Append-only: SQLite triggers refuse any
UPDATE or DELETE of a recorded event, and each event is committed with ``synchronous=FULL``.

Writes to the graph reach it as write events (:mod:`erm_graph.events`): :func:`record_writes`
is the subscription, made once in ``erm_graph/__init__.py``. Each write is recorded in two
phases: a ``started`` event before anything is written, and an event that ``completes`` it
after, with the outcome. So the record of a write exists whenever the write does: a process
killed in the middle (kill -9, a crashed server) leaves a ``started`` event that nothing
completes, which :func:`events` shows as ``interrupted`` once its writer is gone.

Changes to users and tokens are recorded by :class:`~erm_graph.auth.users.Users` itself, in
the same SQLite transaction as the change. Who acts is the actor the CLI or the web app set
where it started (:func:`erm_graph.events.current_actor`).
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from erm_graph.auth.db import connect, transaction, users_db_path
from erm_graph.errors import ErmError
from erm_graph.events import Finish, Outcome, WriteEvent, WriteOutcome, current_actor

#: detail keys never written (a value under such a key is replaced by "***")
SECRET_KEYS = re.compile(r"pass|token|secret|key|credential|authorization|cookie", re.I)
#: the outcome of the first phase of a write; :func:`events` shows it as one of the next three
STARTED, UNDER_WAY, INTERRUPTED = "started", "under way", "interrupted"
#: a write begun on another machine sharing the security file: this one cannot tell
ELSEWHERE = "unfinished (another host)"
#: the detail key of a ``started`` event that names the process doing the write
WRITER = "writer"

#: the security file of the app the writes are made in (the web app's); None: the store's
_trail: ContextVar[Path | None] = ContextVar("erm_audit_trail", default=None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def scrub(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: "***" if SECRET_KEYS.search(str(k)) else scrub(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [scrub(v) for v in detail]
    return detail


def set_trail(path: Path) -> None:
    """Record the writes of the rest of the current context in the security file at
    ``path``: the web app's, set for each request where its user is."""
    _trail.set(path)


@contextmanager
def recording_to(path: Path) -> Iterator[Path]:
    """Writes inside the block are recorded in the security file at ``path``."""
    token = _trail.set(path)
    try:
        yield path
    finally:
        _trail.reset(token)


def record(conn: sqlite3.Connection, actor: str | None, action: str, target: str = "", *,
           outcome: str = "ok", source: str | None = None,
           detail: dict[str, Any] | None = None, completes: int | None = None) -> int:
    """Append one event and return its id; secrets in ``detail`` are masked. ``completes``:
    the id of the ``started`` event whose write this one ends."""
    if actor is None or source is None:
        who = current_actor()
        actor, source = actor or who.name, source if source is not None else who.source
    cursor = conn.execute(
        "INSERT INTO audit (at, actor, action, target, outcome, source, detail, completes) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (_now(), actor, action, target[:500], outcome, source[:500],
         json.dumps(scrub(detail or {}), default=str)[:20_000], completes))
    return int(cursor.lastrowid or 0)


def _begin(path: Path, actor: str, source: str, action: str, target: str,
           detail: dict[str, Any]) -> Callable[[str, dict[str, Any]], None]:
    """Record the ``started`` event of a write in the security file at ``path``; return the
    function that records the event completing it (``outcome``, its detail) and closes the
    file. Raises when the ``started`` event cannot be written: then nothing is.

    Writes found begun by a process that is gone are first closed as ``interrupted``: the
    trail says so for good, and `erm status` lists only those no later write has noticed.
    """
    conn = connect(path)
    try:
        _close_interrupted(conn)
        started = record(conn, actor, action, target, outcome=STARTED, source=source,
                         detail={**detail, WRITER: _this_process()})
    except BaseException:
        conn.close()
        raise

    def close(outcome: str, done: dict[str, Any]) -> None:
        try:
            record(conn, actor, action, target, outcome=outcome, source=source, detail=done,
                   completes=started)
        finally:
            conn.close()

    return close


def _error_text(error: BaseException | None) -> str:
    """What the trail says of a failed write: our own errors' text (they name no secret),
    else only the kind of error."""
    return str(error)[:2000] if isinstance(error, ErmError) else type(error).__name__


def record_writes(event: WriteEvent) -> Finish:
    """The audit trail's subscription to write events: the ``started`` event now, in the
    app's security file (:func:`set_trail`) or else the store's; the one completing it when
    the write ends."""
    path = _trail.get() or users_db_path(event.store)
    close = _begin(path, event.actor.name, event.actor.source, event.kind.value, event.target,
                   dict(event.detail))

    def finish(ended: WriteOutcome) -> None:
        detail = dict(ended.detail)
        if ended.outcome is Outcome.FAILED:
            detail["error"] = _error_text(ended.error)
        close(ended.outcome.value, detail)

    return finish


def _process_start(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot), None when no such process runs: with
    the pid it names one process, even after the pid is used again."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def _this_process() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "since": _process_start(os.getpid())}


def _unfinished(detail: dict[str, Any]) -> str:
    """``under way`` while the writer of a ``started`` event runs, else ``interrupted``."""
    writer = detail.get(WRITER) or {}
    if writer.get("host") != socket.gethostname():
        return ELSEWHERE
    alive = (writer.get("since") is not None
             and _process_start(int(writer.get("pid", 0))) == writer["since"])
    return UNDER_WAY if alive else INTERRUPTED


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
#: the ids of ``started`` events that another event completes
_COMPLETED = "SELECT completes FROM audit WHERE completes IS NOT NULL"


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS, row, strict=True)) | {"detail": json.loads(row[-1])}
            for row in cursor]


def events(conn: sqlite3.Connection, *, since: str | None = None, user: str | None = None,
           action: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Events, newest first; ``action`` matches a prefix (``login`` finds login.failed).

    A write appears once: by the event that completed it, or, when nothing did, by its
    ``started`` event with the outcome ``under way`` or ``interrupted``.
    """
    where = [f"NOT (outcome = ? AND id IN ({_COMPLETED}))"]
    params: list[Any] = [STARTED]
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
           + " WHERE " + " AND ".join(where) + " ORDER BY id DESC LIMIT ?")
    found = _rows(conn.execute(sql, [*params, limit]))
    for event in found:
        if event["outcome"] == STARTED:
            event["outcome"] = _unfinished(event["detail"])
    return found


def _unfinished_events(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """``started`` events nothing completes whose writer is gone, newest first."""
    found = _rows(conn.execute("SELECT " + ", ".join(COLUMNS) + " FROM audit "  # noqa: S608
                               f"WHERE outcome = ? AND id NOT IN ({_COMPLETED}) "
                               "ORDER BY id DESC", (STARTED,)))
    return [e for e in found if _unfinished(e["detail"]) == INTERRUPTED]


def _close_interrupted(conn: sqlite3.Connection) -> None:
    with transaction(conn):  # two writers starting at once close each one once
        for event in _unfinished_events(conn):
            detail = {k: v for k, v in event["detail"].items() if k != WRITER}
            record(conn, event["actor"], event["action"], event["target"],
                   outcome=INTERRUPTED, source=event["source"], detail=detail,
                   completes=event["id"])


def interrupted(store: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Writes to ``store`` that began and never ended, their writer gone (killed, or its
    server was), that no later write has noticed yet; newest first."""
    path = users_db_path(store)
    if not path.exists():
        return []
    conn = connect(path)
    try:
        return [e | {"outcome": INTERRUPTED} for e in _unfinished_events(conn)[:limit]]
    finally:
        conn.close()
