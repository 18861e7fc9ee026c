"""`erm serve` (the web explorer) and `erm viz ...` (self-contained HTML exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from erm_graph.cli.app import app, command, console, opened_store
from erm_graph.cli.output import split_params

viz_app = typer.Typer(help="Write one self-contained HTML picture of the graph (vis-network "
                           "inlined: it opens offline, with no server).",
                      no_args_is_help=True)
app.add_typer(viz_app, name="viz")

Output = Annotated[Path, typer.Option("--output", "-o", help="the HTML file to write",
                                      dir_okay=False)]


def _write(page: str, output: Path) -> None:
    output.write_text(page, encoding="utf-8")
    console.print(f"Wrote {output} ({len(page) // 1024:,} KB, opens offline)")


@command(group=viz_app)
def map(
    ctx: typer.Context,
    process: Annotated[str, typer.Argument(help="uid of a Process or of the Map depicting it, "
                                                "e.g. proc-customer")],
    output: Output = Path("map.html"),
) -> None:
    """The relationship map of a process: flow in the middle, departments and people above,
    documents below, parties at the sides, owners marked."""
    from erm_graph.viz import map_html

    with opened_store(ctx) as store:
        _write(map_html(store, process), output)


@command(group=viz_app)
def neighborhood(
    ctx: typer.Context,
    uid: Annotated[str, typer.Argument(help="uid of the node at the centre")],
    depth: Annotated[int, typer.Option(min=0, max=4, help="hops from the centre")] = 1,
    per_node: Annotated[int, typer.Option(min=1, help="most neighbours drawn per node")] = 25,
    max_nodes: Annotated[int, typer.Option(min=1, help="most nodes drawn in all")] = 500,
    output: Output = Path("neighborhood.html"),
) -> None:
    """A node and everything within --depth hops of it (capped; cut-offs are counted)."""
    from erm_graph.viz import neighborhood_html

    with opened_store(ctx) as store:
        _write(neighborhood_html(store, uid, depth=depth, per_node=per_node,
                                 max_nodes=max_nodes), output)


@command(group=viz_app)
def query(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="a named query (see `erm query list`)")],
    param: Annotated[list[str], typer.Option(
        "--param", "-p", help="a parameter as key=value")] = [],  # noqa: B006
    output: Output = Path("query.html"),
) -> None:
    """The nodes and relationships a named query returns, or the records its rows name, as a
    graph."""
    from erm_graph.query import load_library, run_query
    from erm_graph.viz import result_html

    with opened_store(ctx) as store:
        result = run_query(store, name, load_library().get(name).parse(split_params(param)))
        page = result_html(store, result, title=f"Query: {name}")
    _write(page, output)


@command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on; another than loopback "
                                           "needs an admin user (`erm users add`)")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Start the web explorer: relationship maps, the network explorer, named queries and a
    read-only Cypher console, with its JSON API under /api (docs at /api/docs)."""
    import os

    import uvicorn

    from erm_graph.auth.web import serve_mode

    os.environ["ERM_DB"] = ctx.obj["db"]  # the workers build their app from the environment
    os.environ["ERM_WEB_HOST"] = host
    console.print(serve_mode(ctx.obj["db"], host))  # refuses a public address with no admin
    console.print(f"erm-graph explorer on http://{host}:{port}/ (Ctrl+C stops it)")
    # the app itself decides whose X-Forwarded-* to believe (ERM_TRUSTED_PROXIES); uvicorn's
    # own default believes anyone connecting from 127.0.0.1
    uvicorn.run("erm_graph.web:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning", proxy_headers=False)
