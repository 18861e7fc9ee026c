"""`erm export`, `erm import`, `erm copy`: move a whole graph between engines, checked.

Each command compares counts per label and type and a property checksum on both sides, prints
the comparison, and exits with code 2 when anything differs.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from erm_graph.cli.core import rows_per_second_progress
from erm_graph.cli.root import command, console, describe, err_console, opened_store, settings_of
from erm_graph.interop import Verification, copy_graph, export_graph, import_graph
from erm_graph.store import open_store


class InteropFormat(StrEnum):
    neo4j_csv = "neo4j-csv"
    graphml = "graphml"


def show_verification(result: Verification, report: Path | None) -> None:
    """The verification table; exit code 2 when source and target differ."""
    table = Table("label or type", result.source, result.target, "checksum", "",
                  title="verification: counts and property checksums")
    for row in result.rows:
        if not row.source_count and not row.target_count:
            continue
        same = row.source_checksum == row.target_checksum
        table.add_row(row.name, f"{row.source_count:,}", f"{row.target_count:,}",
                      row.source_checksum[:12] + ("" if same else " ≠ "
                                                  + row.target_checksum[:12]),
                      "ok" if row.ok else "MISMATCH", style=None if row.ok else "red")
    console.print(table)
    for problem in result.problems[:20]:
        err_console.print(f"[red]problem:[/] {problem}", highlight=False)
    if report:
        report.write_text(json.dumps(result.as_dict(), indent=2))
    if not result.ok:
        err_console.print(f"[bold red]Not lossless:[/] {len(result.mismatches)} label(s) or "
                          f"type(s) differ, {len(result.problems)} problem(s).")
        raise typer.Exit(2)
    console.print("Lossless: every count and checksum agrees.")


ReportOption = Annotated[Path | None, typer.Option(
    help="write the verification as JSON")]


@command("export")
def export(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="a new or empty folder")],
    fmt: Annotated[InteropFormat, typer.Option(
        "--format", "-f", help="neo4j-csv: admin-import files (+ neo4j-admin.txt); graphml: "
                               "one graph.graphml")] = InteropFormat.neo4j_csv,
    report: ReportOption = None,
) -> None:
    """Write the whole graph to FOLDER with a manifest of counts and checksums, then read the
    files back and check them against the graph.

    Example: `erm export backup/ && erm --db bolt://neo4j:7687 import backup/`
    """
    with opened_store(ctx) as store, rows_per_second_progress() as bar:
        task = bar.add_task("export", total=None)
        result = export_graph(store, folder, fmt.value, progress=lambda n: bar.advance(task, n))
        where = describe(store)
    console.print(f"Exported {where} to {folder} ({fmt.value}).")
    show_verification(result, report)


@command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="a folder written by erm export, a folder of "
                                              "admin-import CSV files, or a .graphml file")],
    fmt: Annotated[InteropFormat | None, typer.Option(
        "--format", "-f", help="default: from the manifest or the file name")] = None,
    report: ReportOption = None,
) -> None:
    """Copy a graph from files into the (empty) graph of --db unchanged, timestamps and
    content hashes included, then check it against the files' manifest.

    To merge files into a graph that already has data, use `erm load` instead.
    """
    with opened_store(ctx) as store, rows_per_second_progress() as bar:
        task = bar.add_task("import", total=None)
        result = import_graph(store, path, fmt.value if fmt else None,
                              progress=lambda n: bar.advance(task, n))
        where = describe(store)
    console.print(f"Imported {path} into {where}.")
    show_verification(result, report)


@command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="URL of the (empty) target graph, e.g. "
                                                 "bolt://neo4j:7687")],
    report: ReportOption = None,
) -> None:
    """Stream the graph of --db into the graph at --to, then check counts and checksums.

    Example: `erm --db embedded: copy --to neo4j+s://xxx.databases.neo4j.io`
    """
    with opened_store(ctx) as source:
        target = open_store(to, settings=settings_of(ctx))
        try:
            with rows_per_second_progress() as bar:
                task = bar.add_task("copy", total=None)
                result = copy_graph(source, target, progress=lambda n: bar.advance(task, n))
            console.print(f"Copied {describe(source)} to {describe(target)}.")
        finally:
            target.close()
    show_verification(result, report)
