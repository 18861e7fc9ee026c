"""Failed logins slow down their source, never lock the right user out.

Three counts of failures, kept in the security file so that every worker of `erm serve` shares
them: per source and account (one address guessing one user's password), per source (one
address trying many users: password spraying) and per account (many addresses after one user).
A source is refused while its pair or its own count is blocked; each failure past a limit
doubles the wait (:attr:`Limits.base` seconds, twice that, ... up to :attr:`Limits.cap`).

The per-account count never blocks an account: past its limit, a source that has failed on
that account is blocked from its first failure rather than its fifth, so a distributed attack
gets one guess per address per wait, while a source that has not failed (the user's own) still
logs in with the right password.

Refused attempts are not audited one by one (an attacker would fill the append-only trail):
each blocked window becomes one ``login.throttled`` event with the number of attempts refused,
written when the window has ended (by the next login attempt or reading of the audit trail).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from erm_graph.auth import audit
from erm_graph.auth.db import transaction

PAIR, SOURCE, ACCOUNT = "pair", "source", "account"


@dataclass(frozen=True)
class Limits:
    """Failures allowed before a wait, and the waits, in seconds."""

    per_pair: int = 5
    per_source: int = 20
    #: failures of one account from any source that put it under attack (see module doc)
    per_account: int = 20
    base: float = 30.0
    cap: float = 900.0
    #: failures older than this are forgotten
    window: float = 3600.0


class LoginThrottle:
    """Decide whether a source may try a password now, and remember how its tries went.

    ``source`` is the client's address, ``account`` the user name tried (``(token)`` for API
    tokens). Every method takes the caller's connection to the security file.
    """

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.time):
        self.limits = limits or Limits()
        self.clock = clock

    def wait(self, conn: sqlite3.Connection, source: str, account: str) -> float:
        """Seconds ``source`` must wait before trying ``account`` (0: it may try now). A
        refused attempt is counted for the window's audit event."""
        now = self.clock()
        with transaction(conn):
            self._flush(conn, now)
            row = conn.execute(
                "SELECT kind, account, blocked_until FROM login_throttle WHERE source = ? "
                "AND ((kind = ? AND account = ?) OR kind = ?) ORDER BY blocked_until DESC "
                "LIMIT 1", (source, PAIR, account, SOURCE)).fetchone()
            if row is None or row[2] <= now:
                return 0.0
            conn.execute("UPDATE login_throttle SET blocked = blocked + 1, "
                         "first_blocked = coalesce(first_blocked, ?) WHERE kind = ? AND "
                         "source = ? AND account = ?", (now, row[0], source, row[1]))
            return float(row[2] - now)

    def failed(self, conn: sqlite3.Connection, source: str, account: str) -> None:
        """Count a failure; block the pair or the source once past their limits."""
        now, lim = self.clock(), self.limits
        with transaction(conn):
            counts = {kind: self._count(conn, kind, s, a, now) for kind, s, a in
                      ((PAIR, source, account), (SOURCE, source, ""), (ACCOUNT, "", account))}
            pair_limit = 1 if counts[ACCOUNT] >= lim.per_account else lim.per_pair
            for kind, s, a, limit in ((PAIR, source, account, pair_limit),
                                      (SOURCE, source, "", lim.per_source)):
                if counts[kind] >= limit:
                    wait = min(lim.cap, lim.base * 2 ** min(counts[kind] - limit, 32))
                    conn.execute("UPDATE login_throttle SET blocked_until = ? WHERE kind = ? "
                                 "AND source = ? AND account = ?", (now + wait, kind, s, a))

    def succeeded(self, conn: sqlite3.Connection, source: str, account: str) -> None:
        """The right password from ``source``: its earlier failures on ``account`` are
        forgiven (those of the source as a whole, and of the account, are not)."""
        with transaction(conn):
            self._flush(conn, self.clock())
            conn.execute("DELETE FROM login_throttle WHERE kind = ? AND source = ? AND "
                         "account = ?", (PAIR, source, account))

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write the audit events of blocked windows that have ended."""
        with transaction(conn):
            self._flush(conn, self.clock())

    def _count(self, conn: sqlite3.Connection, kind: str, source: str, account: str,
               now: float) -> int:
        """Add one failure to a count (restarted when its last failure is too old)."""
        conn.execute(
            "INSERT INTO login_throttle (kind, source, account, failures, last_failure) "
            "VALUES (?, ?, ?, 1, ?) ON CONFLICT (kind, source, account) DO UPDATE SET "
            "failures = CASE WHEN last_failure < ? THEN 1 ELSE failures + 1 END, "
            "last_failure = excluded.last_failure",
            (kind, source, account, now, now - self.limits.window))
        failures: int = conn.execute("SELECT failures FROM login_throttle WHERE kind = ? AND "
                                     "source = ? AND account = ?",
                                     (kind, source, account)).fetchone()[0]
        return failures

    def _flush(self, conn: sqlite3.Connection, now: float) -> None:
        ended = conn.execute("SELECT kind, source, account, blocked, first_blocked, "
                             "blocked_until FROM login_throttle WHERE blocked > 0 AND "
                             "blocked_until <= ?", (now,)).fetchall()
        for kind, source, account, blocked, first, until in ended:
            audit.record(conn, "(anonymous)", "login.throttled", account or "(any)",
                         outcome="denied", source=f"web {source}",
                         detail={"refused": blocked, "by": kind, "from": _iso(first),
                                 "until": _iso(until)})
        conn.execute("UPDATE login_throttle SET blocked = 0, first_blocked = NULL "
                     "WHERE blocked > 0 AND blocked_until <= ?", (now,))
        conn.execute("DELETE FROM login_throttle WHERE blocked = 0 AND blocked_until <= ? "
                     "AND last_failure < ?", (now, now - self.limits.window))


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
