"""`erm log`, `erm case open|assign|escalate|resolve`, `erm opportunity open|assign|advance`:
the quick actions of the account page on the command line (:mod:`erm_graph.edit.actions`),
each checked by the model and audited with before and after."""

from __future__ import annotations

from typing import Annotated

import typer

from erm_graph.cli.edit import JsonOption, said
from erm_graph.cli.root import app, command, opened_store
from erm_graph.edit import actions

case_app = typer.Typer(
    help="Work a case: `erm case open PARTY --kind complaint`, then `assign CASE EMPLOYEE`, "
         "`escalate CASE`, `resolve CASE TEXT`. Each is audited (`erm audit --action case`).",
    no_args_is_help=True)
opportunity_app = typer.Typer(
    help="Work an opportunity or lead: `erm opportunity open PARTY --name ...`, then "
         "`assign DEAL EMPLOYEE`, `advance DEAL STAGE` (its stage history is kept). Audited "
         "(`erm audit --action opportunity`).",
    no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(opportunity_app, name="opportunity")

Party = Annotated[str, typer.Argument(help="uid of the party (or contact)")]
Assignee = Annotated[str, typer.Argument(help="uid of an Employee or a Department")]
AssigneeOption = Annotated[str | None, typer.Option(help="uid of an Employee or Department")]
Product = Annotated[str | None, typer.Option(help="uid of the product it is about")]
Campaign = Annotated[str | None, typer.Option(help="uid of the campaign that produced it")]


@command("log")
def log(
    ctx: typer.Context,
    party: Party,
    kind: Annotated[str, typer.Option(help="call, meeting, email, visit's kind...")] = "call",
    notes: Annotated[str | None, typer.Option(help="what was said and agreed")] = None,
    sentiment: Annotated[float | None, typer.Option(help="-1 (angry) .. 1 (delighted)")]
    = None,
    channel: Annotated[str | None, typer.Option(help="phone, email, web, visit, chat, event")]
    = None,
    product: Product = None,
    employee: Annotated[str | None, typer.Option(help="uid of the Employee on our side")]
    = None,
    at: Annotated[str | None, typer.Option(help="when (YYYY-MM-DDTHH:MM:SS) [default: now]")]
    = None,
    campaign: Campaign = None,
    as_json: JsonOption = False,
) -> None:
    """Log an interaction PARTY had. Audited as `interaction.log`.

    Example: `erm log cust-000002 --notes "wants a demo" --sentiment 0.5 --channel phone`
    """
    with opened_store(ctx) as store:
        said(actions.log_interaction(store, party, kind=kind, at=at, notes=notes,
                                     sentiment=sentiment, channel=channel, product=product,
                                     employee=employee, campaign=campaign), as_json)


@command("open", group=case_app)
def case_open(
    ctx: typer.Context,
    party: Party,
    kind: Annotated[str, typer.Option(help="service, warranty or complaint")],
    summary: Annotated[str | None, typer.Option(help="what the customer reported")] = None,
    severity: Annotated[int | None, typer.Option(help="1 = critical .. 4")] = None,
    product: Product = None,
    assignee: AssigneeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a case PARTY raised."""
    with opened_store(ctx) as store:
        said(actions.open_case(store, party, kind=kind, summary=summary, severity=severity,
                               product=product, assignee=assignee), as_json)


@command("assign", group=case_app)
def case_assign(ctx: typer.Context, case: str, assignee: Assignee,
                as_json: JsonOption = False) -> None:
    """Assign CASE to ASSIGNEE, replacing whoever had it."""
    with opened_store(ctx) as store:
        said(actions.assign_case(store, case, assignee), as_json)


@command("escalate", group=case_app)
def case_escalate(
    ctx: typer.Context, case: str,
    to: Annotated[str | None, typer.Option(help="hand it to this Employee or Department")]
    = None,
    severity: Annotated[int | None, typer.Option(help="its new severity, 1 = critical")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Mark CASE escalated."""
    with opened_store(ctx) as store:
        said(actions.escalate_case(store, case, to=to, severity=severity), as_json)


@command("resolve", group=case_app)
def case_resolve(ctx: typer.Context, case: str,
                 resolution: Annotated[str, typer.Argument(help="what was done")],
                 article: Annotated[str | None, typer.Option(
                     help="uid of the knowledge-base article used (`erm case suggest`)")]
                 = None,
                 as_json: JsonOption = False) -> None:
    """Resolve CASE (closed now)."""
    with opened_store(ctx) as store:
        said(actions.resolve_case(store, case, resolution, article=article), as_json)


@command("open", group=opportunity_app)
def opportunity_open(
    ctx: typer.Context,
    party: Party,
    name: Annotated[str, typer.Option(help="what the deal is")],
    stage: Annotated[str, typer.Option(help="lead, qualified, proposal, won or lost")]
    = "lead",
    amount: Annotated[float | None, typer.Option(help="its value")] = None,
    close_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    product: Product = None,
    assignee: AssigneeOption = None,
    campaign: Campaign = None,
    as_json: JsonOption = False,
) -> None:
    """Open an opportunity (a lead unless --stage says otherwise) PARTY holds."""
    with opened_store(ctx) as store:
        said(actions.open_opportunity(store, party, name=name, stage=stage, amount=amount,
                                      close_date=close_date, product=product,
                                      assignee=assignee, campaign=campaign), as_json)


@command("assign", group=opportunity_app)
def opportunity_assign(ctx: typer.Context, opportunity: str, assignee: Assignee,
                       as_json: JsonOption = False) -> None:
    """Give OPPORTUNITY to ASSIGNEE, replacing whoever worked it."""
    with opened_store(ctx) as store:
        said(actions.assign_opportunity(store, opportunity, assignee), as_json)


@command("advance", group=opportunity_app)
def opportunity_advance(ctx: typer.Context, opportunity: str,
                        stage: Annotated[str, typer.Argument(
                            help="lead, qualified, proposal, won or lost")],
                        as_json: JsonOption = False) -> None:
    """Move OPPORTUNITY to STAGE, kept in its stage history."""
    with opened_store(ctx) as store:
        said(actions.advance_opportunity(store, opportunity, stage), as_json)
