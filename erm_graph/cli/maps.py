"""`erm map history|restore|edit`: the versions of a map loaded from a file, bringing one back
(see docs/loaders.md, "Revising a map"), and editing a map by a change list (docs/editing.md,
"Editing a map")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.cli.root import app, command, console, opened_store
from erm_graph.edit.maps import edit_map, read_changes
from erm_graph.ingest.owners import namespace_of
from erm_graph.ingest.revisions import restore_map
from erm_graph.query.maps import resolve_process
from erm_graph.query.revisions import latest_version, map_history
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
    if revision["action"] == "edit" and revision.get("summary"):
        first, *rest = str(revision["summary"]).splitlines()
        return f"edit: {first}" + (f" (+{len(rest)} more)" if rest else "")
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


@command("edit", group=map_app)
def edit(ctx: typer.Context, uid: UidArgument,
         changes: Annotated[Path, typer.Option(
             "--changes", exists=True, dir_okay=False, readable=True,
             help="a YAML or JSON file: the list of changes (add_step, rename_step, "
                  "remove_step, add_flow, remove_flow, rename_flow, assign_performer, "
                  "attach_document, add_party, detach, set_owner)")],
         based_on: Annotated[int | None, typer.Option(
             "--based-on", min=0, help="the version the changes were made on: refused when "
                                       "the map has a newer one [default: its newest now]")]
         = None,
         dry_run: Annotated[bool, typer.Option(
             "--dry-run", help="check the changes and show what they would change; write "
                               "nothing")] = False) -> None:
    """Apply a change list to a map as one save: all checked first (nothing is written when
    one fails), then written as the map's next version, which `erm map restore` can undo.

    Example: `erm map edit proc-customer --changes changes.yaml`
    """
    with opened_store(ctx) as store:
        listed = read_changes(changes)
        if based_on is None:
            based_on = latest_version(store, namespace_of(resolve_process(store, uid).uid))
        done = edit_map(store, uid, listed, based_on=based_on, dry_run=dry_run)
    for line in done.summary:
        console.print(f"  {escape(line)}", highlight=False)
    show_changes(done.as_dict())
    if dry_run:
        console.print(f"Map {done.map!r}: {len(done.summary)} change(s) checked; nothing "
                      f"written (dry run).")
    else:
        console.print(f"Map {done.map!r}: saved as version {done.version} (made on version "
                      f"{done.based_on}).")
