"""`erm assess` (CRM capability maturity) and `erm targets` (the gaps between designed and
actual relationships): docs/strategy.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from erm_graph.cli.app import app, command, console, opened_store, settings_of
from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.query.maturity import assessments
from erm_graph.store import QueryResult
from erm_graph.strategy import assess as assess_library
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
    fmt: FormatOption = Format.table,
) -> None:
    """The gap analysis: for each target segment and account, its parties, those on target
    and what the others fall short on; then each party's gaps with the proposed action.
    A named account not in the library shows as "no relationship yet"; one that is not a
    customer yet, with its warm path (who of us can introduce it)."""
    path = plan or settings_of(ctx).target_plan
    if path is None:
        raise typer.BadParameter("give the plan file, or set ERM_TARGET_PLAN")
    spec = read_plan(path)
    with opened_store(ctx) as store:
        report = check_plan(store, spec)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
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
