"""`erm query list|show|run` (the named query library) and `erm analyze` (graph algorithms)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from erm_graph.auth.roles import PERMISSIONS
from erm_graph.cli.output import (
    Format,
    FormatOption,
    ParamOption,
    TimeoutOption,
    show,
    split_params,
)
from erm_graph.cli.root import (
    app,
    command,
    console,
    err_console,
    opened_store,
    store_opening,
)
from erm_graph.errors import ErmError
from erm_graph.query import load_library, run_query
from erm_graph.query.library import load_query
from erm_graph.store import QueryResult

query_app = typer.Typer(help="The named query library (cypher/): list, show and run queries.",
                        no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(query_app, name="query")


@command("list", group=query_app)
def list_queries(
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """List the named queries with their parameters."""
    rows = [[q.name, q.title, ", ".join(
        p.name + ("" if p.required else "?") for p in q.params.values()),
        ", ".join(q.access), ", ".join(q.audience), ", ".join(sorted(q.overrides))]
        for q in load_library()]
    show(QueryResult(["name", "title", "params", "access", "audience", "engine overrides"],
                     rows), fmt)


@command("show", group=query_app)
def show_query(
    name: Annotated[str, typer.Argument(help="the query's name, e.g. customer-360")],
    engine: Annotated[str | None, typer.Option(
        help="show the variant run on this engine (falkordb, embedded or neo4j)")] = None,
) -> None:
    """Show what a query answers, its parameters and its Cypher."""
    from rich.syntax import Syntax  # pygments with it: here, not in `query run` (scaling.md)

    q = load_library().get(name)
    console.print(f"[bold]{q.name}[/]: {q.title}", highlight=False)
    console.print(q.description, highlight=False)
    if q.audience:
        console.print(f"[dim]For:[/] {', '.join(q.audience)}", highlight=False)
    everyone = ", ".join(sorted(PERMISSIONS["query.named"]))
    console.print(f"[dim]Who may run it:[/] {', '.join(q.access) + ' and ' if q.access else ''}"
                  f"the roles that run every query ({everyone})", highlight=False)
    console.print(f"[dim]File:[/] {q.path}" + ("" if q.read_only else "  [yellow](writes)[/]"),
                  highlight=False)
    params = Table("parameter", "type", "default", "example", "help", title_justify="left")
    for p in q.params.values():
        params.add_row(p.name, p.type, "required" if p.required else repr(p.default),
                       "" if p.example is None else str(p.example), p.help)
    if q.params:
        console.print(params)
    for folder, (path, _) in sorted(q.overrides.items()):
        console.print(f"[dim]Override for {folder}:[/] {path}", highlight=False)
    console.print(Syntax(q.cypher_for(engine) if engine else q.cypher, "cypher",
                         word_wrap=True))


@command("run", group=query_app)
def run_named(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the query's name, e.g. customer-360")],
    param: ParamOption = [],  # noqa: B006
    fmt: FormatOption = Format.table,
    timeout: TimeoutOption = None,
    write: Annotated[bool, typer.Option(
        "--write", help="allow a query whose header says read_only: false; what it writes "
                        "is not checked against the model (`erm add/set/link` check)")] = False,
) -> None:
    """Run a named query.

    Example: `erm query run customer-360 -p uid=cust-000001 --format json`
    """
    with store_opening(ctx) as store:  # the query is read while the engine starts
        library = load_query(name)
        params = library.get(name).parse(split_params(param))
        result = run_query(store(), name, params, timeout=timeout, write=write, library=library)
    for warning in result.warnings:  # on stderr: the rows on stdout stay machine-readable
        err_console.print(f"[yellow]warning: {escape(warning)}[/]", highlight=False)
    show(result, fmt, title=name if fmt is Format.table else None)


@command()
def analyze(
    ctx: typer.Context,
    algorithm: Annotated[str, typer.Argument(
        help="degree, pagerank, betweenness, communities, articulation-points, bridges, "
             "strength (relationship strength; --write stores KNOWS) or warm-path")],
    label: Annotated[list[str], typer.Option(
        "--label", "-l", help="node labels to project (repeat); default Party, Contact, "
                              "Employee, Department")] = [],  # noqa: B006
    write: Annotated[bool, typer.Option(
        "--write", help="strength: write KNOWS {strength, evidence} back to the graph and add "
                        "the day's score to each KNOWS strength_series")] = False,
    target: Annotated[str | None, typer.Option(help="warm-path: the party's uid")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD",
        help="strength: the day to compute it for, from the interactions up to it (with "
             "--write, a past day's sample of each KNOWS series) [default: the latest "
             "interaction's day]")] = None,
    sample: Annotated[int | None, typer.Option(
        help="read at most this many relationships of each type (for very large graphs)")]
    = None,
    top: Annotated[int, typer.Option(help="rows shown")] = 25,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Run a graph algorithm over a projection of the relationship network.

    Example: `erm analyze pagerank --top 10`, `erm analyze strength --write`
    """
    from erm_graph import analytics

    with opened_store(ctx) as store:
        if algorithm == "warm-path":
            if not target:
                raise ErmError("warm-path needs --target PARTY_UID")
            found = analytics.warm_path(store, target)
            if found is None:
                raise ErmError(f"no employee reaches {target!r} within 6 hops")
            show(QueryResult(list(found), [list(found.values())]), fmt)
            return
        if algorithm == "strength":
            frame = analytics.relationship_strength(store, as_of=as_of)
            if write:
                written = analytics.write_knows(store, frame)
                err_console.print(f"Wrote {written:,} KNOWS relationships.")
        else:
            graph = (analytics.project(store, label, max_edges=sample) if label
                     else analytics.project(store, max_edges=sample))
            frame = analytics.run_algorithm(algorithm, graph)
    head = frame.head(top)
    show(QueryResult(list(head.columns), head.astype(object).where(head.notna(), None)
                     .values.tolist()), fmt, title=algorithm if fmt is Format.table else None)
