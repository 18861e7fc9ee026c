"""The Typer application, the global ``--db`` option, and the one error handler of the CLI.

Commands only parse and validate, then call one library function; the library's
:class:`~erm_graph.errors.ErmError` becomes the CLI's message and exit code 1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from erm_graph.auth.audit import running_command
from erm_graph.errors import ErmError
from erm_graph.settings import get as setting
from erm_graph.store import GraphStore, open_store, redact

app = typer.Typer(
    name="erm",
    help="erm-graph: relationship maps and the relationship network library of an enterprise, "
         "on a property graph.\n\nStart with `erm demo`, then `erm status` and `erm cypher`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str, typer.Option(
        "--db", envvar="ERM_DB", show_default=True,
        help="Database URL: `embedded:` (default data dir), `embedded:DIR`, "
             "`falkordb://host:port`, `bolt://host:7687`, `neo4j+s://xxx.databases.neo4j.io`. "
             "Passwords come from ERM_DB_PASSWORD / ERM_NEO4J_PASSWORD, never the URL.",
    )] = setting("db"),
) -> None:
    ctx.obj = {"db": db}


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an :class:`ErmError` raised by a command into a message and exit code 1; audit
    events the command records name it (``erm users add``) as their source."""

    @functools.wraps(func)
    def run(*a: Any, **kw: Any) -> Any:
        # the command's context (typer passes click's own, of which typer.Context is a kind)
        context = next((v for v in (*a, *kw.values()) if hasattr(v, "command_path")), None)
        try:
            with running_command(context.command_path if context else "erm"):
                return func(*a, **kw)
        except ErmError as exc:
            err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(1) from None

    return run


def command(*args: Any, group: typer.Typer = app,
            **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@group.command`` (the top-level app by default) with :func:`friendly` errors."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        return group.command(*args, **kwargs)(friendly(func))

    return wrap


@contextmanager
def opened_store(ctx: typer.Context) -> Iterator[GraphStore]:
    """The store named by ``--db``, closed (and the embedded server released) afterwards."""
    store = open_store(ctx.obj["db"])
    try:
        yield store
    finally:
        store.close()


def describe(store: GraphStore) -> str:
    return f"{store.engine} at {redact(store.location)}"
