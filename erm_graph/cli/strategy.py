"""`erm assess` (CRM capability maturity), `erm targets` (the gaps between designed and
actual relationships) and `erm clv` (forward-looking lifetime value): docs/strategy.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.cli.root import app, command, console, err_console, opened_store, settings_of
from erm_graph.query.maturity import assessments
from erm_graph.store import QueryResult
from erm_graph.strategy import assess as assess_library
from erm_graph.strategy.gap_tasks import DEFAULT_LIMIT, open_gap_tasks
from erm_graph.strategy.maturity import read_answers, save
from erm_graph.strategy.targets import check_plan, read_plan


@command()
def assess(
    ctx: typer.Context,
    answers: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False,
        help="the questionnaire's answers, `question_id: yes|no` per line (YAML) "
             "[default: those of the last kept assessment]")] = None,
    keep: Annotated[bool, typer.Option(
        "--save", help="keep this assessment in the library: a point of the trend "
                       "(an audited write)")] = False,
    history: Annotated[bool, typer.Option(
        help="show the kept assessments (the trend) instead")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """How mature the enterprise's relationship management is: a level from 1 (initial) to 5
    (optimising) for each of seven areas (process mapping, ownership, interaction capture,
    knowledge sharing, feedback loops, analytics use, relationship design), with the evidence
    for every criterion (measured from the library, or answered in the questionnaire) and
    what would raise each area one level. The questions: docs/strategy.md."""
    with opened_store(ctx) as store:
        if history:
            kept = assessments(store)
            areas = sorted({a for k in kept for a in k["levels"]})
            show(QueryResult(["at", "overall", *areas, "by"],
                             [[k["at"], k["overall"], *(k["levels"].get(a) for a in areas),
                               k["by"]] for k in kept]), fmt)
            return
        found = assess_library(store, read_answers(answers) if answers else None)
        uid = save(store, found) if keep else None
    if fmt is Format.json:
        sys.stdout.write(json.dumps({**found.as_json(), "kept_as": uid}, indent=2,
                                    ensure_ascii=False) + "\n")
        return
    show(QueryResult(["area", "level", "to_reach_the_next_level"],
                     [[a.title, a.level, " ".join(e.advice for e in a.to_next)]
                      for a in found.areas]), fmt, title=f"CRM maturity: level "
                                                          f"{found.overall} overall")
    if fmt is Format.table:
        console.print("[dim]The evidence for each criterion: --format json; the trend: "
                      "--history.[/]" + (f" Kept as {uid}." if uid else ""))


targets_app = typer.Typer(
    help="Designed target relationships: a plan file says how chosen segments and named "
         "accounts should relate to us; `erm targets check` lists, party by party, where each "
         "falls short, with the action for its owner.", no_args_is_help=True)
app.add_typer(targets_app, name="targets")


@command("check", group=targets_app)
def targets_check(
    ctx: typer.Context,
    plan: Annotated[Path | None, typer.Argument(
        dir_okay=False, help="the plan (YAML; docs/strategy.md) [default: ERM_TARGET_PLAN]",
        show_default=False)] = None,
    gaps_only: Annotated[bool, typer.Option(
        "--gaps", help="only the parties that fall short")] = False,
    open_tasks: Annotated[bool, typer.Option(
        "--open-tasks", help="also open a task for each short party's account owner, listing "
                             "the proposed actions (once for the same gaps; audited)")] = False,
    due_in_days: Annotated[int, typer.Option(
        "--due-in-days", min=0, max=365, help="the opened tasks are due this many days from "
                                              "now")] = 14,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, help="most tasks one run opens")] = DEFAULT_LIMIT,
    fmt: FormatOption = Format.table,
) -> None:
    """The gap analysis: for each target segment and account, its parties, those on target
    and what the others fall short on; then each party's gaps with the proposed action.
    A named account not in the library shows as "no relationship yet"; one that is not a
    customer yet, with its warm path (who of us can introduce it).

    With --open-tasks the gaps become work: each party that falls short gets one task for its
    account owner (see `erm task list`), e.g.
    `erm targets check plan.yaml --gaps --open-tasks --due-in-days 7`."""
    path = plan or settings_of(ctx).target_plan
    if path is None:
        raise typer.BadParameter("give the plan file, or set ERM_TARGET_PLAN")
    spec = read_plan(path)
    with opened_store(ctx) as store:
        report = check_plan(store, spec)
        opened = (open_gap_tasks(store, report, due_in_days=due_in_days, limit=limit)
                  if open_tasks else None)
    if fmt is Format.json:
        found = report.as_json()
        if opened is not None:
            found["tasks"] = opened.as_json()
        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
        return
    if opened is not None:
        err_console.print(f"Tasks: {opened.says()}")
        for problem in opened.problems:
            err_console.print(f"  not opened: {problem}")
    if fmt is Format.table:  # CSV: the one table of gaps, for a spreadsheet
        show(QueryResult(["target", "parties", "on_target", "short_on"],
                         [[t["target"], t["parties"], t["on_target"],
                           ", ".join(f"{k} {v}" for k, v in t["short_on"].items())]
                          for t in report.by_target()]), fmt, title=report.title)
    show(QueryResult(["party", "target", "owner", "gap", "action"],
                     [[c.name, c.target, c.owner, g.says, g.action]
                      for c in report.checks for g in c.gaps]
                     + ([] if gaps_only else [[c.name, c.target, c.owner, "on target", ""]
                                              for c in report.checks if not c.gaps])), fmt)


@command()
def clv(
    ctx: typer.Context,
    horizon: Annotated[float, typer.Option(
        min=0.1, max=120, help="months ahead to predict")] = 12.0,
    customer: Annotated[str | None, typer.Option(
        help="only this customer's row (its uid)")] = None,
    segment: Annotated[str | None, typer.Option(
        help="fit and predict on the customers of this segment only")] = None,
    calibrate_at: Annotated[str | None, typer.Option(
        "--calibrate", metavar="YYYY-MM-DD",
        help="fit on the history before this day and compare the prediction with what the "
             "customers did from it to the end of the history (the horizon is that "
             "hold-out)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="rows shown")] = 25,
    fmt: FormatOption = Format.table,
) -> None:
    """Forward-looking customer lifetime value: fits BG/NBD (repeat purchases) and
    Gamma-Gamma (spend per purchase) on every customer's purchase days and predicts, per
    customer, the purchases and value over the next HORIZON months with a 90% interval of
    the model's uncertainty, and the probability it still buys. What counts as a purchase and
    how to read the figures: docs/strategy.md#lifetime-value-forward-looking."""
    from erm_graph.strategy import clv as clv_model  # numpy loads for this command only

    with opened_store(ctx) as store:
        if calibrate_at:
            found = clv_model.calibrate(store, calibrate_at, segment=segment)
        else:
            found = clv_model.forecast(store, horizon=horizon, segment=segment, cache=None)
    rows = [r for r in found.rows if customer is None or r["uid"] == customer]
    if customer is not None and not rows:
        raise typer.BadParameter(f"{customer!r} has no purchases before {found.end}: nothing "
                                 f"to predict from", param_hint="--customer")
    if fmt is Format.json:
        sys.stdout.write(json.dumps({**found.as_json(), "rows": rows[:limit]}, indent=2,
                                    ensure_ascii=False) + "\n")
        return
    columns = ["uid", "name", "purchases", "spent", "p_alive", "expected_purchases",
               "purchases_low", "purchases_high", "spend_per_purchase", "predicted_value",
               "value_low", "value_high"]
    if found.calibration:
        columns += ["actual_purchases", "naive_purchases"]
    title = f"Predicted value, {found.horizon:.1f} months from {found.end}"
    if fmt is Format.table:  # a terminal's width: each interval in one cell
        narrow = ["uid", "name", "p_alive", "expected_purchases", "predicted_value"]
        narrow += ["actual_purchases"] if found.calibration else []
        show(QueryResult(narrow, [[
            f"{r[c]} ({r['purchases_low']}-{r['purchases_high']})"
            if c == "expected_purchases" else
            f"{r[c]:,.0f} ({r['value_low']:,.0f}-{r['value_high']:,.0f})"
            if c == "predicted_value" else r[c] for c in narrow] for r in rows[:limit]]),
            fmt, title=title)
    else:
        show(QueryResult(columns, [[r[c] for c in columns] for r in rows[:limit]]), fmt,
             title=title)
    if fmt is Format.table:
        t = found.totals
        console.print(f"All {found.customers} customers: {t['expected_purchases']:,.0f} "
                      f"purchases expected ({t['purchases_low']:,.0f} to "
                      f"{t['purchases_high']:,.0f}), value {t['predicted_value']:,.2f} "
                      f"({t['value_low']:,.2f} to {t['value_high']:,.2f}).")
        cal = found.calibration
        if cal:
            console.print(
                f"Hold-out {cal['cutoff']} to {cal['end']}: {cal['actual_purchases']} purchases "
                f"made, {cal['predicted_purchases']:,.1f} predicted (error "
                f"{_percent(cal['aggregate_error'])}); the naive baseline (the same period "
                f"before) said {cal['naive_purchases']} (error "
                f"{_percent(cal['naive_aggregate_error'])}). Mean absolute error per customer "
                f"{cal['mean_absolute_error']} against {cal['naive_mean_absolute_error']}; "
                f"the top predicted decile bought {cal['top_decile_actual']} each, the bottom "
                f"{cal['bottom_decile_actual']}.")
        console.print("[dim]" + "; ".join(found.notes) + ".[/]")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"
