"""Commands that manage the library itself: init, status, demo, cypher, reset, repair."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from erm_graph.auth import audit
from erm_graph.cli.output import (
    Format,
    FormatOption,
    ParamOption,
    TimeoutOption,
    parse_params,
    show,
)
from erm_graph.cli.root import (
    command,
    console,
    describe,
    err_console,
    opened_store,
    settings_of,
)
from erm_graph.errors import ErmError
from erm_graph.query import run_cypher
from erm_graph.query.loads import unfinished_loads


@command()
def init(ctx: typer.Context) -> None:
    """Create the database (embedded: the data directory) and its uid indexes."""
    with opened_store(ctx) as store:
        store.ensure_schema()
        console.print(f"Ready: {describe(store)}")


@command()
def status(ctx: typer.Context) -> None:
    """Show the engine, where the data lives, and node/relationship counts per label and type."""
    with opened_store(ctx) as store:
        labels, types = store.counts()
        pending = unfinished_loads(store)
        console.print(f"[bold]Engine:[/] {describe(store)}")
        left = getattr(store, "server_left_running", None)
        cut_short = audit.interrupted(store)
    grid = Table.grid(padding=(0, 4))
    grid.add_row(_count_table("Label", labels), _count_table("Relationship", types))
    console.print(grid)
    files = sorted({name for names in pending.values() for name in names})
    if files:
        console.print(f"[yellow]Loads under way or interrupted:[/] {', '.join(files)}. "
                      "If no load is running, load these files again: the next load of "
                      "each writes what is missing.")
    if left:
        console.print(f"[yellow]The embedded server (pid {left}) was running with no process "
                      "using it:[/] the process that used it last ended without closing it "
                      "(killed?). This command took it over; the last process to close it "
                      "stops it.")
    for event in cut_short:
        console.print(f"[yellow]Interrupted write:[/] {event['action']} {event['target']} by "
                      f"{event['actor']} ({event['source']}), started {event['at'][:19]} UTC, "
                      "never finished (see `erm audit`).", highlight=False)


def _count_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title, "count", title_justify="left")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}", style="dim" if n == 0 else None)
    table.add_row("[bold]total[/]", f"[bold]{sum(counts.values()):,}[/]")
    return table


class RowsPerSecondColumn(ProgressColumn):
    """Rows per second; blank until rich has two samples to compute a speed from."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:>9,.0f} rows/s", style="progress.data.speed")


def rows_per_second_progress() -> Progress:
    """The progress bar every long write uses: done/total, rows/s, elapsed, remaining."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), RowsPerSecondColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=err_console, transient=False)


@command()
def demo(
    ctx: typer.Context,
    size: Annotated[str, typer.Option(
        help="small (~2k nodes), medium (~100k), large (~1M nodes, 5M relationships), "
             "or a node count")] = "small",
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same "
                                            "enterprise")] = 7,
) -> None:
    """Load the demo enterprise: parties, processes with their relationship maps, products,
    interactions, cases, surveys and feedback, with known facts planted for the queries.

    Loading is idempotent: running it again with the same size and seed changes nothing.
    """
    from erm_graph.demo import expected_total, load_demo

    chosen: str | int = int(size) if size.isdigit() else size
    with opened_store(ctx) as store, rows_per_second_progress() as bar:
        task = bar.add_task(f"demo {size}", total=expected_total(chosen))
        report = load_demo(store, chosen, seed, progress=lambda n: bar.advance(task, n))
    console.print(f"Demo enterprise '{size}' (seed {seed}) in {describe(store)}: "
                  f"{report.total('created'):,} created, {report.total('updated'):,} updated, "
                  f"{report.total('unchanged'):,} unchanged.")


@command()
def cypher(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="one Cypher statement")],
    param: ParamOption = [],  # noqa: B006
    fmt: FormatOption = Format.table,
    write: Annotated[bool, typer.Option(
        "--write", help="allow the statement to change the graph (read-only without it); "
                        "what it writes is NOT checked against the model")] = False,
    timeout: TimeoutOption = None,
) -> None:
    """Run one Cypher statement. Read-only unless --write: the engine itself refuses writes.

    A --write statement is audited but bypasses the model (labels, required properties,
    kinds, choices, relationship ends) and sets no uid or timestamps: a warning says so
    every time. Write records with `erm add`, `erm set`, `erm link`, which check them.

    Example: `erm cypher "MATCH (c:Customer {uid: $uid})--(x) RETURN x.name" -p uid=cust-000001`
    """
    with opened_store(ctx) as store:
        result = run_cypher(store, query, parse_params(param), write=write, timeout=timeout)
    for warning in result.warnings:  # on stderr: the rows on stdout stay machine-readable
        err_console.print(f"[yellow]warning: {escape(warning)}[/]", highlight=False)
    show(result, fmt)
    if result.stats.get("truncated"):
        err_console.print("[yellow]Only the first rows are shown (ERM_ROW_CAP); add LIMIT or "
                          "aggregate.[/]")


@command()
def reset(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="confirm: delete every node and "
                                                    "relationship")] = False,
) -> None:
    """Delete the whole graph (the schema is recreated by the next load)."""
    if not yes:
        raise ErmError("reset deletes every node and relationship: run it again with --yes")
    with opened_store(ctx) as store:
        store.clear()  # announced by the store: audited as `reset`
        console.print(f"Deleted everything in {describe(store)}.")


@command()
def repair(
    ctx: typer.Context,
) -> None:
    """Cut a damaged tail off the embedded append-only file so the server can start again.

    Keep a copy of the data directory first: writes after the damaged point are lost.
    """
    from erm_graph.store.embedded_server import EmbeddedServer

    settings = settings_of(ctx)
    if settings.db.engine != "embedded":
        raise ErmError("repair is for the embedded engine (--db embedded:DIR)")
    console.print(EmbeddedServer(settings.db.data_dir(settings.data_dir)).repair_aof())
