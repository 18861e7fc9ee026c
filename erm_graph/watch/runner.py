"""One watch pass: run each rule's query, turn new conditions into alerts, clear the ones gone,
and tell people.

`erm watch run` is one pass (for cron); `erm serve` runs each rule on its own schedule
(:mod:`erm_graph.watch.schedule`). Both go through :func:`run_rules`, so a condition fires
once whichever saw it first. A rule whose query fails is reported and the others still run.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from erm_graph.auth import alerts as inbox
from erm_graph.edit.agenda import now_local
from erm_graph.errors import ErmError
from erm_graph.query import run_query
from erm_graph.settings import Settings, current
from erm_graph.store import GraphStore
from erm_graph.watch import notify
from erm_graph.watch.opens import open_tasks
from erm_graph.watch.rules import Rule


@dataclass
class RuleOutcome:
    """What one rule's pass did."""

    rule: str
    conditions: int = 0
    fired: list[int] = field(default_factory=list)
    #: the tasks this pass's firings opened (a rule with ``opens``)
    opened: list[str] = field(default_factory=list)
    cleared: int = 0
    delivered: int = 0
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "conditions": self.conditions, "fired": len(self.fired),
                "cleared": self.cleared, "delivered": self.delivered,
                "opened": len(self.opened),
                "failures": self.failures, "error": self.error}


def due(rule: Rule, last_run: str | None, now: datetime) -> bool:
    """Whether ``rule``'s schedule has come round since its last pass (never run: due)."""
    if last_run is None:
        return True
    after = datetime.fromisoformat(last_run).astimezone(now.tzinfo)
    upcoming = rule.trigger().get_next_fire_time(None, after)
    return upcoming is not None and upcoming <= now


def run_rules(store: GraphStore, rules: list[Rule], conn: sqlite3.Connection, *,
              settings: Settings | None = None, only_due: bool = False,
              now: datetime | None = None) -> list[RuleOutcome]:
    """One pass over ``rules`` (with ``only_due``, those whose schedule has come round)."""
    settings = settings or current()
    now = now or datetime.now().astimezone()
    last = inbox.last_runs(conn)
    outcomes = []
    for rule in rules:
        if only_due and not due(rule, last.get(rule.name, (None, ""))[0], now):
            continue
        outcomes.append(run_rule(store, rule, conn, settings))
    return outcomes


def run_rule(store: GraphStore, rule: Rule, conn: sqlite3.Connection,
             settings: Settings) -> RuleOutcome:
    outcome = RuleOutcome(rule.name)
    at = inbox.now_text()
    try:
        params = dict(rule.params)
        if "now" in params and params["now"] is None:  # what is overdue: overdue now
            params["now"] = now_local()
        rows = run_query(store, rule.query, params).records()
    except ErmError as exc:
        outcome.error = str(exc)
        inbox.record_failure(conn, rule.name, at, str(exc))
        return outcome
    firings: dict[str, inbox.Firing] = {}
    for row in rows:
        key = rule.condition_key(row)
        firings.setdefault(key, inbox.Firing(key, rule.text_of(row), row))
    outcome.conditions = len(firings)
    outcome.fired, outcome.cleared = inbox.record_pass(
        conn, rule.name, rule.title, list(firings.values()), roles=rule.roles,
        users=rule.users, targets=[*rule.emails, *rule.webhooks], at=at)
    if rule.opens is not None and outcome.fired:
        outcome.opened, problems = open_tasks(store, rule, inbox.alerts(conn, outcome.fired))
        outcome.failures += problems
    _deliver(conn, rule, settings, outcome)
    return outcome


def _deliver(conn: sqlite3.Connection, rule: Rule, settings: Settings,
             outcome: RuleOutcome) -> None:
    """Send what is waiting for each target of the rule: this pass's alerts and those earlier
    passes could not deliver."""
    for target, alert_ids in inbox.undelivered(conn, rule.name).items():
        try:
            notify.send(target, rule.title, inbox.alerts(conn, alert_ids), settings)
        except notify.DeliveryError as exc:
            outcome.failures.append(str(exc))
            continue
        inbox.delivered(conn, target, alert_ids)
        outcome.delivered += 1
