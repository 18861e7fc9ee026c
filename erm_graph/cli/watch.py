"""`erm watch run|list|inbox`: alerts from watch rules (docs/alerts.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from erm_graph.auth import alerts as inbox
from erm_graph.auth.db import connect, users_db_path
from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.cli.root import app, command, opened_store, settings_of
from erm_graph.store import QueryResult

watch_app = typer.Typer(
    help="Watch rules: named queries run on a schedule; each new row is an alert in the "
         "inbox of the roles the rule names, mailed and posted to webhooks once, and cleared "
         "when the row no longer comes back.\n\n"
         "`erm serve` runs the rules on their schedules; `erm watch run` is one pass, for "
         "cron. The rules: `erm watch list`; add yours as files in ERM_WATCH_RULES "
         "(docs/alerts.md).",
    no_args_is_help=True)
app.add_typer(watch_app, name="watch")


@command("run", group=watch_app)
def run(
    ctx: typer.Context,
    rules: Annotated[list[str] | None, typer.Argument(
        help="rule names (default: every rule)", show_default=False)] = None,
    only_due: Annotated[bool, typer.Option(
        "--due", help="only the rules whose schedule has come round since their last pass "
                      "(for a cron line that runs every few minutes)")] = False,
    escalate: Annotated[bool, typer.Option(
        "--escalate", help="then apply the escalation rules (docs/service.md): they "
                           "escalate cases, each audited as case.escalate")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """One pass over the watch rules (with --escalate, then the escalation rules). A
    condition already alerted is not alerted again until
    it has cleared; mail or webhooks that fail are tried again by the next pass. Exits with
    code 2 when a rule failed or a delivery did not get through."""
    # the rules' cron triggers (apscheduler) and pydantic models: watch commands only
    from erm_graph.watch import load_rules, run_rules
    from erm_graph.watch.escalation import apply_escalations, load_escalations

    settings = settings_of(ctx)
    chosen = load_rules(settings.watch_rules, rules or None)
    escalations = load_escalations(settings.watch_rules) if escalate else []
    conn = connect(users_db_path(settings.db, settings))
    try:
        with opened_store(ctx) as store:
            outcomes = run_rules(store, chosen, conn, settings=settings, only_due=only_due)
            escalated = apply_escalations(store, escalations)
    finally:
        conn.close()
    show(QueryResult(["rule", "conditions", "new_alerts", "cleared", "sent", "problems"],
                     [[o.rule, o.conditions, len(o.fired), o.cleared, o.delivered,
                       o.error or "; ".join(o.failures)] for o in outcomes]
                     + [[f"escalation:{e.rule}", e.candidates, len(e.escalated), 0, 0,
                         "; ".join(e.problems)] for e in escalated]), fmt)
    if any(o.error or o.failures for o in outcomes):
        raise typer.Exit(2)


@command("list", group=watch_app)
def list_(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """The watch rules (shipped and ERM_WATCH_RULES'), their schedules, whom they tell, and
    their last pass."""
    from erm_graph.watch import load_rules
    from erm_graph.watch.notify import shown
    from erm_graph.watch.runner import due

    settings = settings_of(ctx)
    rules = load_rules(settings.watch_rules)
    conn = connect(users_db_path(settings.db, settings))
    try:
        last = inbox.last_runs(conn)
    finally:
        conn.close()
    now = datetime.now().astimezone()
    rows = []
    for r in rules:
        ran_at, outcome = last.get(r.name, (None, ""))
        rows.append([r.name, r.title, r.query, r.schedule,
                     ", ".join([*r.roles, *r.users, *map(shown, (*r.emails, *r.webhooks))]),
                     ran_at, outcome, due(r, ran_at, now)])
    show(QueryResult(["rule", "title", "query", "schedule", "tells", "last_pass", "outcome",
                      "due"], rows), fmt)


@command("inbox", group=watch_app)
def inbox_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="cleared alerts too")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Every alert (as an admin sees the inbox), newest first."""
    settings = settings_of(ctx)
    conn = connect(users_db_path(settings.db, settings))
    try:
        found = inbox.inbox(conn, "(cli)", "admin", include_cleared=all_)
    finally:
        conn.close()
    show(QueryResult(["fired_at", "rule", "message", "cleared_at"],
                     [[a["fired_at"], a["rule"], a["message"], a["cleared_at"]]
                      for a in found]), fmt)
