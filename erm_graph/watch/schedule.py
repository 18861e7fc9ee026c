"""`erm serve` runs each watch rule on its own schedule, in a background thread of the serving
process (once, however many web workers it starts).

APScheduler's cron triggers say when; each run is an ordinary pass over one rule
(:func:`erm_graph.watch.runner.run_rules`), with its own store and security-file connection,
so a pass from cron at the same minute fires nothing twice. A run missed while the server was
down is made up once at start (``coalesce``), not once per missed slot.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from erm_graph.auth.alerts import open_alerts
from erm_graph.events import Actor, acting_as
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.watch.escalation import Escalation, apply_escalation, load_escalations
from erm_graph.watch.rules import Rule, load_rules
from erm_graph.watch.runner import run_rules

log = logging.getLogger("erm_graph.watch")
#: who the audit trail says made the writes of scheduled passes
ACTOR = "watch"


def run_one(settings: Settings, security: Path, rule: Rule) -> None:
    """One scheduled pass of ``rule``, its alerts kept in the security file ``security``;
    problems are logged, never raised into the scheduler."""
    try:
        conn = open_alerts(security)
        try:
            store = open_store(settings.db, settings=settings)
            try:
                with acting_as(Actor(ACTOR, f"erm serve pid {os.getpid()} (watch schedule)")):
                    (outcome,) = run_rules(store, [rule], conn, settings=settings)
            finally:
                store.close()
        finally:
            conn.close()
    except Exception:  # a scheduled job must not take the scheduler down with it
        log.exception("watch rule %s failed", rule.name)
        return
    for problem in filter(None, [outcome.error, *outcome.failures]):
        log.warning("watch rule %s: %s", rule.name, problem)


def start(settings: Settings, security: Path, *,
          escalate: bool = False) -> BackgroundScheduler:
    """Schedule every watch rule, its alerts kept in the security file ``security`` (with
    ``escalate``, every escalation rule too), and start the scheduler's thread; returns it,
    to shut down."""
    scheduler = BackgroundScheduler(daemon=True)
    for rule in load_rules(settings.watch_rules):
        scheduler.add_job(run_one, rule.trigger(), args=[settings, security, rule], id=rule.name,
                          name=rule.title, max_instances=1, coalesce=True,
                          misfire_grace_time=3600)
    for escalation in load_escalations(settings.watch_rules) if escalate else []:
        scheduler.add_job(escalate_one, escalation.trigger(), args=[settings, escalation],
                          id=f"escalation:{escalation.name}", name=escalation.spec.title,
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
    scheduler.start()
    return scheduler


def escalate_one(settings: Settings, escalation: Escalation) -> None:
    """One scheduled pass of an escalation rule; problems are logged, never raised."""
    try:
        store = open_store(settings.db, settings=settings)
        try:
            with acting_as(Actor(ACTOR, f"erm serve pid {os.getpid()} (escalation)")):
                outcome = apply_escalation(store, escalation)
        finally:
            store.close()
    except Exception:  # a scheduled job must not take the scheduler down with it
        log.exception("escalation rule %s failed", escalation.name)
        return
    for problem in outcome.problems:
        log.warning("escalation rule %s: %s", escalation.name, problem)
