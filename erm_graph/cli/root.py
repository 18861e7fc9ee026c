"""The Typer application, the global ``--db`` option, and the one error handler of the CLI.

Commands only parse and validate, then call one library function; the library's
:class:`~erm_graph.errors.ErmError` becomes the CLI's message and exit code 1.
"""

from __future__ import annotations

import errno
import functools
import os
import select
import sys
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from erm_graph import model
from erm_graph.cli import INTERRUPTED
from erm_graph.database_url import DatabaseURL
from erm_graph.errors import ErmError
from erm_graph.events import acting_as, os_actor
from erm_graph.settings import Settings, declaration
from erm_graph.store import GraphReader, GraphStore, open_store, redact

app = typer.Typer(
    name="erm",
    help="erm-graph: relationship maps and the relationship network library of an enterprise, "
         "on a property graph.\n\nStart with `erm demo`, then `erm status` and `erm cypher`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,
)


class _Console(Console):
    """A rich console whose broken pipe is the command's error, said by :func:`friendly`:
    rich's own ends the process at once with exit code 1 and not a word."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


console = _Console()
err_console = _Console(stderr=True)
#: the declaration the global ``--db`` option is made from
DB = declaration("db")


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str, typer.Option(
        "--db", envvar=DB.env, show_default=True, help=DB.help)] = DB.default,
) -> None:
    ctx.obj = {"db": db}


def settings_of(ctx: typer.Context, *, vocabulary: bool = True) -> Settings:
    """The command's settings: the environment's, with ``--db``; built on first use, inside
    the command, so that a bad value is the command's error (and ``--help`` always works).
    The vocabulary of that library (its model extension) is made the process's then, unless
    ``vocabulary`` is False: for the commands that replace a broken extension."""
    root = ctx.find_root()
    if "settings" not in root.obj:
        root.obj["settings"] = Settings.from_env(db=DatabaseURL.parse(root.obj["db"]))
    settings: Settings = root.obj["settings"]
    if vocabulary and not root.obj.get("vocabulary"):
        model.activate(settings)
        root.obj["vocabulary"] = True
    return settings


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an :class:`ErmError` raised by a command into a message and exit code 1. The
    one place the CLI says who writes: the OS user, through the command (``erm users add``),
    which every audit event the command records names as its source."""

    @functools.wraps(func)
    def run(*a: Any, **kw: Any) -> Any:
        # the command's context (typer passes click's own, of which typer.Context is a kind)
        context = next((v for v in (*a, *kw.values()) if hasattr(v, "command_path")), None)
        try:
            with acting_as(os_actor(context.command_path if context else "erm")):
                return func(*a, **kw)
        except ErmError as exc:
            # the message as written: brackets in it are text, not markup, and a long path is
            # never broken across lines (the terminal wraps it), so it can be copied
            err_console.print(Text.assemble(("Error:", "bold red"), " ", str(exc)),
                              highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            # Typer ends a command that hit a broken pipe with exit code 1 and not a word (its
            # own handler, meant for `erm ... | head`): a failed command says why
            closed = output_closed()
            if closed:  # nothing more reaches it, and the last flush at exit must not fail
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            err_console.print(Text.assemble(("Error:", "bold red"), " ",
                                            broken_pipe(exc, output_closed=closed)),
                              highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            interrupted()
        except typer.Abort as exc:
            # Typer's prompts turn an interrupt, and the end of the input, into Abort: its
            # "Aborted." and code 1 told neither from a refusal
            if isinstance(exc.__context__, KeyboardInterrupt):
                interrupted()
            if not isinstance(exc.__context__, EOFError):
                raise
            err_console.print(Text.assemble(("Error:", "bold red"), " the standard input "
                                            "ended before the command had read its answer"),
                              highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run


def interrupted() -> NoReturn:
    """End a command stopped by SIGINT: Typer's exit code 130 for it comes with no word (the
    signal may come from a supervisor, not a ^C on the terminal)."""
    err_console.print(Text.assemble(("Interrupted:", "bold red"), f" {INTERRUPTED}"),
                      highlight=False, soft_wrap=True)
    raise typer.Exit(130) from None


def output_closed() -> bool:
    """Whether whatever read this process's standard output has closed it (a pipe or a
    socket with no reader left: the kernel reports an error on it)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def broken_pipe(exc: OSError, *, output_closed: bool) -> str:
    """What to say of a broken pipe that ended a command: its closed output, or else the
    pipe or connection that broke and the line that wrote to it."""
    if output_closed:
        return ("the command's output was closed before it had all been written (broken "
                "pipe): the rest of it was not shown")
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" in {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return (f"a pipe or connection closed while the command ran ({exc.strerror}{where}); "
            "run it again, and report it if it happens again")


def command(*args: Any, group: typer.Typer = app,
            **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@group.command`` (the top-level app by default) with :func:`friendly` errors."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        return group.command(*args, **kwargs)(friendly(func))

    return wrap


@contextmanager
def opened_store(ctx: typer.Context) -> Iterator[GraphStore]:
    """The store named by ``--db``, closed (and the embedded server released) afterwards."""
    settings = settings_of(ctx)
    store = open_store(settings.db, settings=settings)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def store_opening(ctx: typer.Context) -> Iterator[Callable[[], GraphStore]]:
    """:func:`opened_store` begun on a thread, for a command with work of its own to do
    before its first statement: calling what it yields waits for the store. An embedded
    server replays its data meanwhile on the other core, which makes most of a fresh
    process's wait for its first answer (docs/scaling.md). Closed afterwards, also when the
    command fails before it asked for the store."""
    settings = settings_of(ctx)  # here: the vocabulary is activated on this thread
    with ThreadPoolExecutor(1, thread_name_prefix="erm-open-store") as pool:
        opening = pool.submit(open_store, settings.db, settings=settings)
        try:
            yield opening.result
        finally:
            # an error opening it is the command's when the command asked for the store;
            # when the command failed first, its own error is the one to show
            if opening.exception() is None:
                opening.result().close()


def describe(store: GraphReader) -> str:
    return f"{store.engine} at {redact(store.location)}"
