"""`erm add`, `erm set`, `erm link`, `erm unlink`, `erm remove`: one record at a time, checked
by the model as a load is, and audited with the values before and after
(:mod:`erm_graph.edit.records`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from erm_graph import model
from erm_graph.cli.root import command, console, opened_store
from erm_graph.edit import records
from erm_graph.edit.records import Change
from erm_graph.edit.values import declared, pairs, typed_all
from erm_graph.errors import ErmError

SetOption = Annotated[list[str], typer.Option(
    "--set", "-s", help="a property as key=value, typed by the model (severity=2, "
                        "escalated=true, tags=a;b); an empty value clears it; repeat")]
LabelOption = Annotated[str | None, typer.Option(
    help="the record's label, when its uid names records of several labels (a Map and its "
         "Process)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print what changed as JSON")]


def _typed(name: str, texts: list[str]) -> dict[str, object]:
    """``key=value`` texts typed by the properties of the label or type ``name``."""
    return typed_all(declared(name), pairs(texts))


def said(change: Change, as_json: bool) -> None:
    """What a change did, as a line (``edit Case k1; severity: None -> 2; +ASSIGNED_TO ->
    emp-0007``) or as JSON."""
    if as_json:
        print(json.dumps(change.as_dict(), indent=2, default=str, ensure_ascii=False))
        return
    changed = ", ".join(f"{k}: {change.before.get(k)!r} -> {v!r}" for k, v in
                        change.after.items())
    ties = [f"+{t['type']} {'->' if t['direction'] == 'out' else '<-'} {t['uid']}"
            for t in change.linked]
    ties += [f"-{t['type']} {'->' if t['direction'] == 'out' else '<-'} {t['uid']}"
             for t in change.unlinked]
    what = change.uid if change.action in ("link", "unlink") else f"{change.label} {change.uid}"
    console.print(f"{change.action} {what}" + "".join(f"; {part}" for part in (
        changed, ", ".join(ties)) if part), highlight=False, markup=False)


@command("add")
def add(
    ctx: typer.Context,
    label: Annotated[str, typer.Argument(help="the label of the new record (see `erm model "
                                              "show`): Customer, Case, Opportunity...")],
    values: SetOption = [],  # noqa: B006
    uid: Annotated[str | None, typer.Option(help="its uid [default: the label and random "
                                                 "hex, e.g. case-3f2a9c01b7d4]")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create one record. Every property is checked by the model (its required ones, kinds,
    choices and ranges); nothing is written when one is wrong, and the error names each
    field. Audited as `add`.

    Example: `erm add Case -s kind=complaint -s status=open -s opened_at=2026-12-02T10:00:00`
    then `erm link cust-000001 RAISED case-...`
    """
    with opened_store(ctx) as store:
        records.editable_label(label)
        said(records.add_node(store, label, _typed(label, values), uid=uid), as_json)


@command("set")
def set_(
    ctx: typer.Context,
    uid: Annotated[str, typer.Argument(help="uid of the record to change")],
    values: Annotated[list[str], typer.Argument(
        help="properties as key=value, typed by the model; key= (empty) clears one")],
    label: LabelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change properties of one record, checked by the model; audited as `edit` with the
    values before and after.

    Example: `erm set case-000042 severity=1 escalated=true resolution=`
    """
    with opened_store(ctx) as store:
        node = records.record(store, uid, label)
        said(records.set_properties(store, uid, _typed(node.label, values), node=node),
              as_json)


def _rel_type(name: str) -> str:
    if name not in model.RELATIONSHIPS:
        raise ErmError(f"unknown relationship type {name!r}; choose from "
                       f"{', '.join(sorted(model.RELATIONSHIPS))}")
    return name


@command("link")
def link(
    ctx: typer.Context,
    start: Annotated[str, typer.Argument(help="uid of the record it starts from")],
    rel_type: Annotated[str, typer.Argument(metavar="TYPE", help="the relationship type: "
                                            "RAISED, ASSIGNED_TO, WORKS_FOR...")],
    end: Annotated[str, typer.Argument(help="uid of the record it goes to")],
    values: SetOption = [],  # noqa: B006
    as_json: JsonOption = False,
) -> None:
    """Make a relationship START -TYPE-> END (or change its properties when it exists). The
    model says which labels each type joins; an owner is set with `erm owner set`. Audited
    as `link`.

    Example: `erm link case-000042 ASSIGNED_TO emp-0007`
    """
    with opened_store(ctx) as store:
        said(records.link(store, start, _rel_type(rel_type), end,
                           _typed(rel_type, values)), as_json)


@command("unlink")
def unlink(
    ctx: typer.Context,
    start: Annotated[str, typer.Argument(help="uid of the record it starts from")],
    rel_type: Annotated[str, typer.Argument(metavar="TYPE", help="the relationship type")],
    end: Annotated[str, typer.Argument(help="uid of the record it goes to")],
    as_json: JsonOption = False,
) -> None:
    """Delete the relationship START -TYPE-> END; audited as `unlink` with its properties."""
    with opened_store(ctx) as store:
        said(records.unlink(store, start, _rel_type(rel_type), end), as_json)


@command("remove")
def remove(
    ctx: typer.Context,
    uid: Annotated[str, typer.Argument(help="uid of the record to delete")],
    label: LabelOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="confirm: delete the record and every "
                                                    "relationship it has")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete one record and its relationships. Audited as `remove` with its properties and
    relationships, so `erm audit --action remove` shows what was there."""
    if not yes:
        raise ErmError(f"remove deletes {uid} and every relationship it has: run it again "
                       f"with --yes")
    with opened_store(ctx) as store:
        said(records.remove_node(store, uid, label=label), as_json)
