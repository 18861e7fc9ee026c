"""`erm load`: import flowcharts and relationship data from files (see docs/loaders.md)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from erm_graph.cli.app import command, console, describe, err_console, opened_store
from erm_graph.cli.core import rows_per_second_progress
from erm_graph.ingest.gc_pause import paused_gc
from erm_graph.ingest.load import prepare
from erm_graph.ingest.source import LoadOptions
from erm_graph.ingest.writer import LoadReport


class OnError(StrEnum):
    stop = "stop"
    skip = "skip"


@command()
def load(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="files or folders; a folder of CSV sheets or Neo4j import files loads as one")
    ] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="auto, table, yaml, bpmn, drawio, mermaid, mapping (or a custom "
                               "loader's name)")] = "auto",
    mapping: Annotated[Path | None, typer.Option(
        help="YAML mapping file for generic tabular import (columns -> labels)")] = None,
    map_name: Annotated[str | None, typer.Option(
        "--map", help="name of the map: the prefix of the uids (default: the file name "
                      "without its extension); needed to load a file into a map that another "
                      "file wrote")
    ] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="read and check everything, report what would change, write "
                          "nothing")] = False,
    on_error: Annotated[OnError, typer.Option(
        help="stop: write nothing when any record is wrong; skip: write the good records "
             "and the bad ones to --rejects")] = OnError.stop,
    rejects: Annotated[Path, typer.Option(
        help="where --on-error skip writes rejected records and reasons (.csv or .json)")
    ] = Path("erm-rejects.csv"),
    report: Annotated[Path | None, typer.Option(help="write the report as JSON")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="the files' encoding when not UTF-8 (latin-1, cp1252, utf-16, ...)")] = None,
    max_mb: Annotated[float | None, typer.Option(
        help="largest file in MB [default: ERM_LOAD_MAX_MB or 512]")] = None,
) -> None:
    """Load BPMN, draw.io, Mermaid, relationship-map YAML, flowchart tables, or any CSV/Excel
    file through a --mapping. Everything is checked before anything is written; loading the same
    files again changes nothing.

    Example: `erm load process.bpmn sheets/ --dry-run`
    """
    options = LoadOptions(encoding=encoding, mapping=mapping, map_name=map_name, max_mb=max_mb)
    # no cyclic collection between reading and writing either: it would walk every record
    with opened_store(ctx) as store, rows_per_second_progress() as bar, paused_gc():
        reading = bar.add_task("read and check", total=None)
        prepared = prepare(store, paths, fmt=fmt, options=options, on_error=on_error.value,
                           progress=lambda n: bar.advance(reading, n))
        bar.update(reading, total=prepared.rows, completed=prepared.rows)
        task = bar.add_task("dry run" if dry_run else "write", total=prepared.total)
        result = prepared.write(store, dry_run=dry_run, rejects_file=rejects,
                                progress=lambda n: bar.advance(task, n))
        bar.update(task, completed=prepared.total)
        where = describe(store)
    show_report(result)
    if report:
        report.write_text(json.dumps(result.as_dict(), indent=2, default=str))
    verb = "Would change" if dry_run else "Loaded into"
    console.print(f"{verb} {where}: {result.total('created'):,} created, "
                  f"{result.total('updated'):,} updated, {result.total('unchanged'):,} "
                  f"unchanged, {len(result.rejected):,} rejected "
                  f"({result.rows:,} rows in {result.seconds:.1f} s).")


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
    for problem in result.rejected[:20]:
        err_console.print(f"[red]rejected:[/] {problem}", highlight=False, markup=True)
    if len(result.rejected) > 20:
        err_console.print(f"... and {len(result.rejected) - 20} more")
    if result.rejects_file:
        err_console.print(f"Rejected records and reasons: {result.rejects_file}")
