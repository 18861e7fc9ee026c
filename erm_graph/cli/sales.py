"""`erm sales pipeline|quota|commissions|campaigns`: sales operations on the command line
(:mod:`erm_graph.sales`, docs/sales.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.cli.root import app, command, opened_store, settings_of
from erm_graph.query.named import run_query
from erm_graph.store import QueryResult

sales_app = typer.Typer(
    help="Sales operations: `erm sales pipeline`, `quota --period 2026-Q3`, "
         "`commissions --period 2026-Q3 [--rep EMPLOYEE]`, `campaigns` (docs/sales.md).",
    no_args_is_help=True)
app.add_typer(sales_app, name="sales")

PeriodOption = Annotated[str | None, typer.Option(
    help="a year (2026), quarter (2026-Q3) or month (2026-07) [default: this quarter]",
    show_default=False)]
RepOption = Annotated[str | None, typer.Option(help="only this rep (an Employee uid)")]
RulesOption = Annotated[Path | None, typer.Option(
    dir_okay=False, help="the commission rules file [default: ERM_COMMISSION_RULES, else "
                         "the shipped example]", show_default=False)]


def _rows(records: list[dict], columns: list[str]) -> QueryResult:
    return QueryResult(columns, [[r.get(c) for c in columns] for r in records])


@command("pipeline", group=sales_app)
def sales_pipeline(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help="rep or territory")] = "rep",
    rep: RepOption = None,
    all_stages: Annotated[bool, typer.Option(
        "--all", help="won and lost too, not only the open stages")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Opportunities by rep (or territory) and stage: how many and what they are worth."""
    from erm_graph.sales import pipeline  # the rules' pydantic models: sales commands only

    if by not in ("rep", "territory"):
        raise typer.BadParameter("--by is rep or territory")
    if rep and by != "rep":
        raise typer.BadParameter("--rep goes with --by rep")
    stages = ("lead", "qualified", "proposal", "won", "lost") if all_stages else None
    with opened_store(ctx) as store:
        rows = pipeline(store, by, stages)
    if rep:
        rows = [r for r in rows if r.get("rep_uid") == rep]
    columns = (["rep_uid", "rep", "stage", "deals", "amount"] if by == "rep" else
               ["territory", "kind", "reps", "stage", "deals", "amount"])
    show(_rows(rows, columns), fmt, title=f"Pipeline by {by}")


@command("quota", group=sales_app)
def sales_quota(ctx: typer.Context, period: PeriodOption = None, rep: RepOption = None,
                rules: RulesOption = None, fmt: FormatOption = Format.table) -> None:
    """Quota attainment per rep in the period: the quota, the won revenue credited to the
    rep (their split of each deal) and the share of the quota reached."""
    from erm_graph.sales import commissions as commission_report
    from erm_graph.sales import current_quarter
    from erm_graph.sales.report import attainment

    when = period or current_quarter()
    with opened_store(ctx) as store:
        report = commission_report(store, when, rules or settings_of(ctx).commission_rules,
                                   {rep} if rep else None)
    show(_rows(attainment(report), ["rep", "name", "quota", "credited", "attainment"]), fmt,
         title=f"Quota attainment {report.period}")


@command("commissions", group=sales_app)
def sales_commissions(
    ctx: typer.Context, period: PeriodOption = None, rep: RepOption = None,
    rules: RulesOption = None,
    lines: Annotated[bool, typer.Option(
        "--lines", help="every credit (deal, product, role, rate, tier) instead of the "
                        "totals")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """The commission report of the period: per rep, the won revenue credited, the quota
    attainment and the commission under the rules file.

    Example: `erm sales commissions --period 2026-Q3 --rep emp-0008 --lines`
    """
    from erm_graph.sales import commissions as commission_report
    from erm_graph.sales import current_quarter

    when = period or current_quarter()
    with opened_store(ctx) as store:
        report = commission_report(store, when, rules or settings_of(ctx).commission_rules,
                                   {rep} if rep else None)
    found = report.as_json()
    if fmt is Format.json:
        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
        return
    title = f"Commissions {report.period} ({report.rules}, {report.currency})"
    if lines:
        show(_rows([{**line, "rep": r["rep"]} for r in found["reps"] for line in r["lines"]],
                   ["rep", "deal", "won_on", "product", "domain", "role", "share",
                    "credited", "rate", "multiplier", "commission"]), fmt, title=title)
    else:
        show(_rows(found["reps"], ["rep", "name", "quota", "credited", "attainment",
                                   "commission"]), fmt, title=title)
    if found["unassigned"] and fmt is Format.table:
        sys.stdout.write("Won with nobody to credit: " + ", ".join(found["unassigned"]) + "\n")


@command("campaigns", group=sales_app)
def sales_campaigns(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Campaign performance: responses, opportunities, won revenue, cost and return (the
    named query campaign-performance)."""
    with opened_store(ctx) as store:
        result = run_query(store, "campaign-performance")
    show(result, fmt, title="Campaign performance")
