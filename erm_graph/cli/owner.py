"""`erm owner set|clear|check`: the one responsible employee of each component of the maps
(see docs/data-model.md, "Owners")."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from erm_graph import model
from erm_graph.cli.root import app, command, console, opened_store
from erm_graph.ingest.component_owners import OwnerChange, clear_owner, set_owner
from erm_graph.query.governance import governance

owner_app = typer.Typer(
    help=f"The one owner (RESPONSIBLE_FOR) of each component of the maps: "
         f"{', '.join(model.COMPONENT_LABELS)}.\n\n"
         f"`erm owner check` lists the components with no owner, more than one, or one who "
         f"has left; `erm owner set STEP EMPLOYEE` fixes one.",
    no_args_is_help=True)
app.add_typer(owner_app, name="owner")


#: which component a uid names, when a Map and the Process it depicts share it
LabelOption = Annotated[str | None, typer.Option(
    help=f"the component's label, when its uid names several "
         f"({', '.join(model.COMPONENT_LABELS)})")]


def _said(change: OwnerChange) -> str:
    before = ", ".join(o["uid"] for o in change.before) or "nobody"
    after = change.after or "nobody"
    return escape(f"{change.label} {change.component}: owner {before} -> {after}")


@command("set", group=owner_app)
def set_(
    ctx: typer.Context,
    component: Annotated[str, typer.Argument(
        help=f"uid of the component ({', '.join(model.COMPONENT_LABELS)})")],
    employee: Annotated[str, typer.Argument(help="uid of the Employee who will own it")],
    label: LabelOption = None,
) -> None:
    """Make EMPLOYEE the one owner of COMPONENT, replacing any owner it had. Refused when
    COMPONENT is not a component or EMPLOYEE has left (its `left_on` date has come). Audited
    (`erm audit --action owner`) with the owners before and after; a later load of a file
    that names another owner keeps this one and says so."""
    with opened_store(ctx) as store:
        console.print(_said(set_owner(store, component, employee, label=label)),
                      highlight=False)


@command("clear", group=owner_app)
def clear(
    ctx: typer.Context,
    component: Annotated[str, typer.Argument(help="uid of the component")],
    label: LabelOption = None,
) -> None:
    """Leave COMPONENT with no owner (`erm owner check` then lists it). Audited."""
    with opened_store(ctx) as store:
        console.print(_said(clear_owner(store, component, label=label)), highlight=False)


@command("check", group=owner_app)
def check(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option(
        help="the date (YYYY-MM-DD) on which an owner counts as left [default: today]")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the three lists as JSON")]
    = False,
    strict: Annotated[bool, typer.Option(
        help="exit with code 2 when any component breaks the rule (for scheduled checks)")]
    = False,
) -> None:
    """The governance view: components with no owner, with more than one owner, and whose
    owner has left. Every component should have exactly one owner who is still with us.

    A scheduled check: `erm owner check --strict --json > governance.json` exits with code 2
    while anything is listed."""
    with opened_store(ctx) as store:
        found = governance(store, on=on)
    if as_json:
        print(json.dumps(found.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        _table("No owner", found.unowned, "process")
        _table("More than one owner", found.shared, "owners")
        _table("Owner has left", found.departed, "owners")
        if found.clean:
            console.print(f"Every component has exactly one owner who is still with us "
                          f"(on {found.on}).")
    if strict and not found.clean:
        raise typer.Exit(2)


def _table(title: str, rows: list[dict[str, Any]], last: str) -> None:
    if not rows:
        return
    table = Table("label", "uid", "name", last, title=f"{title} ({len(rows)})")
    for row in rows:
        extra = row.get(last)
        if isinstance(extra, list):
            extra = ", ".join(f"{o['uid']}" + (f" (left {o['left_on']})" if o.get("left_on")
                                                 else "") for o in extra)
        table.add_row(row["label"], row["uid"], row["name"] or "", extra or "")
    console.print(table)
