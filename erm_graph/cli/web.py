"""`erm serve` (the web explorer) and `erm viz ...` (self-contained HTML exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from erm_graph.cli.output import split_params
from erm_graph.cli.root import app, command, console, opened_store, settings_of
from erm_graph.errors import ErmError

viz_app = typer.Typer(help="Write one picture of the graph: a self-contained HTML page "
                           "(vis-network inlined: it opens offline, with no server), or for a "
                           "relationship map also a PNG, SVG or PDF file for slides and print.",
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
    output: Annotated[Path, typer.Option(
        "--output", "-o", dir_okay=False,
        help="the file to write; its suffix picks the format: .html (interactive, opens "
             "offline), or .png, .svg, .pdf (the web page's drawing with its legend, rendered "
             "by headless Chromium: ERM_CHROMIUM or `chromium` on PATH)")] = Path("map.html"),
) -> None:
    """The relationship map of a process: flow in the middle, departments and their people
    above, documents below, parties at the sides, owners marked.

    `erm viz map proc-customer -o customer.pdf` writes a one-page PDF for print;
    `-o customer.png` a picture for slides; `-o customer.svg` one to edit.
    """
    from erm_graph.viz import map_html
    from erm_graph.viz.export import FORMATS, export_map

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in (*FORMATS, "html", "htm"):
        raise ErmError(f"--output {output}: the suffix picks the format, one of .html, "
                       f"{', '.join('.' + f for f in FORMATS)}")
    with opened_store(ctx) as store:
        if fmt in FORMATS:
            data = export_map(store, process, fmt, chromium=settings_of(ctx).chromium)
            output.write_bytes(data)
            console.print(f"Wrote {output} ({len(data) // 1024:,} KB)")
            return
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
    watch: Annotated[bool, typer.Option(
        help="run the watch rules on their schedules in this process (`erm watch list`); "
             "--no-watch when cron runs `erm watch run` instead")] = True,
    escalate: Annotated[bool, typer.Option(
        help="with the watch rules, apply the escalation rules on their schedules: they "
             "escalate cases (docs/service.md)")] = False,
) -> None:
    """Start the web explorer: relationship maps, the network explorer, named queries and a
    read-only Cypher console, with its JSON API under /api (docs at /api/docs)."""
    import os

    import uvicorn

    from erm_graph.auth.web import serve_mode

    settings = settings_of(ctx).replace(web_host=host)  # every value checked here, once
    # the one hand-off to the workers (docs/deployment.md): each rebuilds these settings from
    # the environment it inherits (erm_graph.web.app_from_env)
    os.environ.update(settings.to_env())
    console.print(serve_mode(settings))  # refuses a public address with no admin
    if watch:
        from erm_graph.auth.db import users_db_path
        from erm_graph.watch.schedule import start

        jobs = start(settings, users_db_path(settings.db, settings),
                     escalate=escalate).get_jobs()
        console.print(f"Watching {len(jobs)} rule(s) on their schedules (erm watch list)")
    console.print(f"erm-graph explorer on http://{host}:{port}/ (Ctrl+C stops it)")
    # the app itself decides whose X-Forwarded-* to believe (ERM_TRUSTED_PROXIES); uvicorn's
    # own default believes anyone connecting from 127.0.0.1
    uvicorn.run("erm_graph.web:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning", proxy_headers=False)
