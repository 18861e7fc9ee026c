"""`erm merge`: one identity across sources. Suggest likely duplicates, merge them into one
record (`erm merge KEEP DROP...`), list and undo merges (docs/data-model.md, "One identity
across sources")."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from erm_graph.cli.root import app, command, console, describe, opened_store
from erm_graph.identity import list_merges, merge_nodes, suggest_duplicates, undo_merge


class _MergeGroup(TyperGroup):
    """``erm merge KEEP DROP...`` is ``erm merge apply KEEP DROP...``: a first word that is no
    subcommand is a uid."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # typer's own click Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["apply", *args]
        return super().resolve_command(ctx, args)


merge_app = typer.Typer(
    cls=_MergeGroup, no_args_is_help=True,
    help="One identity across sources: `erm merge suggest` lists likely duplicates, scored "
         "and explained; `erm merge KEEP DROP...` merges the DROP records into KEEP (every "
         "relationship moved, in one transaction, audited; the dropped uids become aliases "
         "that later loads land on); `erm merge list` and `erm merge undo ID` take one back.")
app.add_typer(merge_app, name="merge")


def _json(value: Any) -> None:
    console.print_json(json.dumps(value, default=str, ensure_ascii=False))


@command("suggest", group=merge_app)
def suggest(
    ctx: typer.Context,
    label: Annotated[str | None, typer.Option(
        help="a label whose records have names (Department, Customer, Document, ...); "
             "default: departments, documents, people, parties, products, processes")] = None,
    min_score: Annotated[int, typer.Option(min=0, max=100, help="least score shown")] = 80,
    limit: Annotated[int, typer.Option(min=1, help="most pairs shown per label")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Likely duplicates per label, best first, each with its score (0-100) and why: names
    alike once case, punctuation and words like Corp, GmbH or Department are set aside; uids
    that differ only in punctuation (dept:sales, dept-sales); the same email.

    Then merge a pair: `erm merge KEEP DROP` (try `--dry-run` first)."""
    with opened_store(ctx) as store:
        found = suggest_duplicates(store, label, min_score=min_score, limit=limit)
    if as_json:
        _json([s.as_dict() for s in found])
        return
    table = Table("label", "score", "record", "record", "why", show_lines=True)
    for s in found:
        table.add_row(s.label, str(s.score), f"{s.a['uid']}\n{s.a['name'] or ''}",
                      f"{s.b['uid']}\n{s.b['name'] or ''}", "\n".join(s.reasons))
    console.print(table)
    console.print(f"[dim]{len(found)} pair(s). Merge one with: erm merge KEEP DROP[/]")


@command("apply", group=merge_app)
def apply(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="uid of the record to keep")],
    drop: Annotated[list[str], typer.Argument(help="uids of the records to merge into it")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be done; write "
                                                            "nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Merge DROP records into KEEP (the short form is `erm merge KEEP DROP...`).

    Every relationship of the dropped records moves to the kept one (none twice; those
    between the merged records are not moved), the kept record takes the properties it lacks
    (where both have one, KEEP's value wins and the other is kept in the merge's record), the
    dropped records are deleted, and their uids become aliases: loading their sources again
    lands on KEEP. One transaction, audited. Records of different labels are refused.
    `erm merge undo ID` takes it back."""
    with opened_store(ctx) as store:
        done = merge_nodes(store, keep, drop, dry_run=dry_run)
        where = describe(store)
    if as_json:
        _json(done)
        return
    verb = "Would merge" if dry_run else "Merged"
    moved = sum(done["moved"].values())
    console.print(f"{verb} {', '.join(done['dropped'])} into {done['keep']} ({done['label']}) "
                  f"in {where}: {moved} relationship(s) moved "
                  f"({', '.join(f'{t} {n}' for t, n in done['moved'].items()) or 'none'}), "
                  f"{done['already_on_kept']} already on the kept record, "
                  f"{done['between_merged']} between the merged records left out; "
                  f"properties added: {', '.join(done['added']) or 'none'}.")
    for name, conflict in done["conflicts"].items():
        others = ", ".join(f"{u}: {v!r}" for u, v in conflict["dropped"].items())
        console.print(f"  {name}: kept {conflict['kept']!r} (dropped {others})")
    for note in done["notes"]:
        console.print(f"  {note}", highlight=False, markup=False)
    if not dry_run:
        console.print(f"Merge id {done['id']}: undo it with `erm merge undo {done['id']}`.")


@command("list", group=merge_app)
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The merges of this library, newest first: what was kept, the aliases (the dropped
    uids), who merged and when, and whether it was undone."""
    with opened_store(ctx) as store:
        merges = list_merges(store)
    if as_json:
        _json(merges)
        return
    table = Table("id", "label", "kept", "aliases (dropped)", "moved", "at", "by", "undone")
    for m in merges:
        table.add_row(m["id"], m["label"], m["keep"], ", ".join(m["dropped"]), str(m["moved"]),
                      str(m["at"]), m["by"], str(m["undone_at"] or ""))
    console.print(table)


@command("undo", group=merge_app)
def undo(
    ctx: typer.Context,
    merge_id: Annotated[str, typer.Argument(metavar="ID", help="the merge's id "
                                                               "(`erm merge list`)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Undo a merge: the dropped records come back with their properties and relationships,
    the kept record loses what the merge gave it, and the aliases end. One transaction,
    audited. Merges of the same records are undone latest first."""
    with opened_store(ctx) as store:
        done = undo_merge(store, merge_id)
    if as_json:
        _json(done)
        return
    console.print(f"Undid {done['id']}: {', '.join(done['restored'])} restored with "
                  f"{done['relationships']} relationship(s)"
                  + (f"; {done['not_restored']} could not be, their other end is gone"
                     if done["not_restored"] else "") + ".")
