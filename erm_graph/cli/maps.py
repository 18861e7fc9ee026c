"""`erm map history|restore`: the versions of a map loaded from a file, and bringing one back
(see docs/loaders.md, "Revising a map")."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from erm_graph.cli.app import app, command, console, opened_store
from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.ingest.revisions import restore_map
from erm_graph.query.revisions import map_history
from erm_graph.store import QueryResult

map_app = typer.Typer(help="The history of a map loaded from a file: every load that changed "
                           "it is a version; any version can be brought back.",
                      no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(map_app, name="map")

UidArgument = Annotated[str, typer.Argument(
    help="the map: its uid, its process's, or its name (the prefix of its uids, e.g. "
         "camunda-order)")]


@command("history", group=map_app)
def history(ctx: typer.Context, uid: UidArgument, fmt: FormatOption = Format.table) -> None:
    """List the versions of a map, newest first: when, by whom, from which file, and how many
    records each added, changed and removed (`--format json` gives their names).

    Example: `erm map history camunda-order`
    """
    with opened_store(ctx) as store:
        found = map_history(store, uid)
    if fmt is Format.json:
        console.print_json(json.dumps(found, default=str))
        return
    if not found["revisions"]:
        console.print(f"Map {found['map']!r} has no history: no load recorded it.")
        return
    columns = ["version", "at", "by", "action", "source_file", "added", "changed", "removed"]
    rows = [[_what(r) if c == "action" else r[c] for c in columns] for r in found["revisions"]]
    show(QueryResult(columns, rows), fmt, title=f"map {found['map']}: version "
                                                f"{found['version']}")


def _what(revision: dict[str, Any]) -> str:
    if revision["action"] == "restore":
        return f"restore of v{revision['restored_from']}"
    return str(revision["action"])


@command("restore", group=map_app)
def restore(ctx: typer.Context, uid: UidArgument,
            version: Annotated[int, typer.Argument(help="the version to bring back", min=1)]
            ) -> None:
    """Write a previous version of a map back, as its newest version: its records return and
    what it did not have is retired, as a load of its file would (relationships entered by
    hand stay).

    Example: `erm map restore camunda-order 1`
    """
    with opened_store(ctx) as store:
        plan = restore_map(store, uid, version)
    show_changes(plan.as_dict())
    console.print(f"Map {plan.namespace!r}: version {version} restored as version "
                  f"{plan.version}.")


def show_changes(found: dict[str, Any]) -> None:
    """One map's diff: ``+`` added, ``~`` changed, ``-`` removed, by label and type."""
    marks = {"added": "[green]+[/]", "changed": "[yellow]~[/]", "removed": "[red]-[/]"}
    for what, mark in marks.items():
        for name, entries in found["changes"][what].items():
            for entry in entries:
                console.print(f"  {mark} {escape(name)}: {escape(entry)}", highlight=False)
