"""`erm load`: import flowcharts and relationship data from files (see docs/loaders.md)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from erm_graph.cli.core import rows_per_second_progress
from erm_graph.cli.maps import show_changes
from erm_graph.cli.root import command, console, describe, err_console, opened_store
from erm_graph.errors import by_cause
from erm_graph.ingest.contract import LoadOptions
from erm_graph.ingest.gc_pause import paused_gc
from erm_graph.ingest.load import prepare
from erm_graph.ingest.writer import LoadReport
from erm_graph.settings import default_hint


class OnError(StrEnum):
    stop = "stop"
    skip = "skip"


class Diagram(StrEnum):
    flowchart = "flowchart"
    orgchart = "orgchart"


@command()
def load(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="files or folders; a folder of CSV sheets or Neo4j import files loads as one")
    ] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="auto, table, yaml, bpmn, drawio, vsdx, mermaid, mapping (or a "
                               "custom loader's name)")] = "auto",
    mapping: Annotated[Path | None, typer.Option(
        help="YAML mapping file for generic tabular import (columns -> labels)")] = None,
    map_name: Annotated[str | None, typer.Option(
        "--map", help="name of the map: the prefix of the uids (default: the file name "
                      "without its extension); needed to load a file into a map that another "
                      "file wrote")
    ] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="read and check everything, report what would change (for a map: "
                          "what it would add, change and remove, by name), write "
                          "nothing")] = False,
    on_error: Annotated[OnError, typer.Option(
        help="stop: write nothing when any record is wrong, and list the problems by cause; "
             "skip: write the good records and the bad ones to --rejects")] = OnError.stop,
    rejects: Annotated[Path, typer.Option(
        help="where --on-error skip writes rejected records and reasons (.csv or .json)")
    ] = Path("erm-rejects.csv"),
    report: Annotated[Path | None, typer.Option(help="write the report as JSON")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="the files' encoding when not UTF-8 (latin-1, cp1252, utf-16, ...)")] = None,
    max_mb: Annotated[float | None, typer.Option(
        help=f"largest file in MB {default_hint('load_max_mb')}")] = None,
    diagram: Annotated[Diagram | None, typer.Option(
        "--as", help="what a draw.io diagram is, when not what it looks like: flowchart loads "
                     "any page as a process (an org chart or concept map is refused "
                     "otherwise), orgchart loads people and departments with reporting "
                     "lines")] = None,
    our_pool: Annotated[list[str], typer.Option(
        "--our-pool", metavar="<str>",
        help="BPMN: a pool (participant) that is your enterprise, by name or id; repeat for "
             "several. Every other pool is an outside party that takes part in the steps its "
             "message flows touch. Default: the pool with the most steps")] = [],  # noqa: B006
    of: Annotated[str | None, typer.Option(
        "--of", metavar="PARTY",
        help="with --as orgchart: the uid of the party (a customer, a supplier...) whose org "
             "chart it is; its people become that party's contacts, with their reporting "
             "lines, departments and titles, instead of our employees")] = None,
) -> None:
    """Load BPMN, draw.io, Mermaid, relationship-map YAML, flowchart tables, or any CSV/Excel
    file through a --mapping. Everything is checked before anything is written; loading the same
    files again changes nothing. A large mapping load is checked a chunk at a time and then read
    again as it is written, so that its memory stays bounded whatever the files' size.

    A flowchart's file is the authority for its map: loading a changed file retires the steps,
    flows, performers, documents and parties it no longer has (relationships entered by hand
    stay) and records the map's next version (`erm map history`, `erm map restore`).

    Example: `erm load process.bpmn sheets/ --dry-run`
    """
    options = LoadOptions(encoding=encoding, mapping=mapping, map_name=map_name, max_mb=max_mb,
                          diagram=diagram.value if diagram else None,
                          our_pools=tuple(our_pool), party=of)
    # no cyclic collection between reading and writing either: it would walk every record
    with opened_store(ctx) as store, rows_per_second_progress() as bar, paused_gc():
        reading = bar.add_task("read and check", total=None)
        prepared = prepare(store, paths, fmt=fmt, options=options, on_error=on_error.value,
                           progress=lambda n: bar.advance(reading, n))
        bar.update(reading, total=prepared.rows, completed=prepared.rows)
        total = prepared.total  # the write gives the records up as it writes them
        task = bar.add_task("dry run" if dry_run else "write", total=total)
        result = prepared.write(store, dry_run=dry_run, rejects_file=rejects,
                                progress=lambda n: bar.advance(task, n), release=True)
        bar.update(task, completed=total)
        where = describe(store)
    show_report(result)
    show_maps(result)
    if report:
        report.write_text(json.dumps(result.as_dict(), indent=2, default=str))
    verb = "Would change" if dry_run else "Loaded into"
    console.print(f"{verb} {where}: {result.total('created'):,} created, "
                  f"{result.total('updated'):,} updated, {result.total('unchanged'):,} "
                  f"unchanged, {sum(result.rejected_counts.values()):,} rejected "
                  f"({result.rows:,} rows in {result.seconds:.1f} s).")


def show_maps(result: LoadReport) -> None:
    """Per map: its version before and after, and what the load added, changed, removed."""
    for found in result.maps:
        if found["version"] is None:
            console.print(f"Map {found['map']!r}: unchanged (version {found['previous']}).")
            continue
        verb = "would be" if result.dry_run else "is now"
        was = f", was {found['previous']}" if found["previous"] else ""
        console.print(f"Map {found['map']!r} {verb} version {found['version']}{was}: "
                      f"{found['added']} added, {found['changed']} changed, "
                      f"{found['removed']} removed.")
        show_changes(found)


def show_report(result: LoadReport) -> None:
    """The closing table: created / updated / unchanged / rejected per label and type."""
    table = Table("label or type", "created", "updated", "unchanged", "rejected",
                  title="dry run: nothing written" if result.dry_run else None)
    names = sorted({*result.labels, *result.types, *result.rejected_counts})
    for name in names:
        counts = result.labels.get(name) or result.types.get(name)
        rejected = result.rejected_counts.get(name, 0)
        cells = [counts.created, counts.updated, counts.unchanged] if counts else [0, 0, 0]
        table.add_row(name, *(f"{n:,}" for n in [*cells, rejected]),
                      style="red" if rejected else None)
    console.print(table)
    for note in result.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False)
    if result.rejected:
        err_console.print("[red]rejected[/], by cause:", highlight=False, markup=True)
        for line in by_cause(result.rejected):
            err_console.print(line, highlight=False, markup=False)
    if result.rejects_file:
        err_console.print(f"Rejected records and reasons: {result.rejects_file}")
