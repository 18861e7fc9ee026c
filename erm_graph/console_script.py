"""The ``erm`` console script: the embedded engine's server started before the command line.

A command is a fresh process, and its first answer waited for the command line's imports and
then for the server to load the graph (docs/scaling.md, "Start-up"). For the commands that go to
the store at once, this module, which imports only light modules, reads the database from the
arguments and the environment as the command will, starts that server on a thread
(:mod:`erm_graph.store.head_start`), and only then imports the command line: the server loads
the graph on the other core meanwhile, and the command's store takes it over.

Whatever it cannot read cheaply (another option before the command, a bad setting, ``--help``)
gets no head start: the command starts its server itself and reports the error as always.

Those commands also end without the interpreter's teardown of its modules (:func:`exit_now`),
which took longer than answering once the server answered sooner (docs/scaling.md).

Every command ends at SIGINT, saying so, with exit code 130 (:func:`take_interrupts`): also one
interrupted outside its own code (its imports, its server's head start), where no handler of
the command line is in force yet. One started with SIGINT ignored keeps it ignored, as Python
and the shell mean: a script's background job (``erm load ... &``) outlives a Ctrl-C at the
terminal.
"""

from __future__ import annotations

import _thread
import atexit
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from erm_graph.cli import INTERRUPTED, global_db
from erm_graph.database_url import DatabaseURL
from erm_graph.errors import ErmError
from erm_graph.settings import Settings, declaration

if TYPE_CHECKING:
    from sys import UnraisableHookArgs

#: The commands that open the store before anything else that takes time: a head start for
#: another command would start the server for nothing when the command fails first, or not
#: need it at all (``erm query show``).
HEAD_START_COMMANDS = (("query", "run"), ("cypher",), ("status",))


def embedded_data_dir(args: Sequence[str], environ: Mapping[str, str]) -> Path | None:
    """The data directory the command ``args`` will open, when it is one of
    :data:`HEAD_START_COMMANDS` on the embedded engine; else None."""
    db, rest = global_db(args)
    if "--help" in rest or not any(tuple(rest[:len(c)]) == c for c in HEAD_START_COMMANDS):
        return None
    setting = declaration("db")  # read as the global --db option reads it (erm_graph/cli/root.py)
    try:
        url = DatabaseURL.parse(db or environ.get(setting.env) or setting.default)
        settings = Settings.from_env(environ, db=url)
        return url.data_dir(settings.data_dir) if url.engine == "embedded" else None
    except ErmError:
        return None


def exit_now(code: object) -> NoReturn:
    """End the process with ``code`` (a ``SystemExit``'s) as the interpreter ends it, but for
    the teardown of its modules and the finalizers of the objects left: threads are joined
    (``threading._shutdown``, what the interpreter calls first), exit handlers run (the
    store's release, which stops a server no other process uses; temporary folders; logging),
    the standard streams are flushed (120 when that fails, as the interpreter exits). Only
    for commands that open no file but the standard streams (:data:`HEAD_START_COMMANDS`): a
    file left open unflushed would lose its tail."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120
    os._exit(code or 0)


def take_interrupts() -> None:
    """Make every SIGINT that Python would turn into a KeyboardInterrupt end the command
    (:func:`erm_graph.cli.root.friendly` says so). The KeyboardInterrupt is raised in whatever
    Python code runs next, and when that is a finalizer or a weakref callback (an import's
    module lock), Python only reports it as ignored: the command went on to its end, with exit
    code 0. It is raised again, at the main thread's next step (:func:`interrupt_again`).

    A SIGINT the process started with ignored stays ignored (Python leaves it so): the shell
    starts a script's background jobs that way so that a Ctrl-C meant for the script does
    not stop them."""
    sys.unraisablehook = interrupt_again(sys.unraisablehook)


#: How long after a swallowed KeyboardInterrupt it is raised again: raised at once, it was
#: raised in the hook that saw it, and swallowed there too. The finalizer or callback that
#: swallowed it has returned by then, unless the main thread waited for a core that long: then
#: the hook that is still running catches it and sets another timer.
AGAIN_SECONDS = 0.01


def interrupt_again(
        report: Callable[[UnraisableHookArgs], object]) -> Callable[[UnraisableHookArgs], None]:
    """An unraisable-exception hook that raises a swallowed KeyboardInterrupt again in the main
    thread, as if SIGINT came once more (from a timer's thread: see :data:`AGAIN_SECONDS`),
    and leaves ``report`` every other exception."""

    def hook(unraisable: UnraisableHookArgs) -> None:
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            report(unraisable)
            return
        while True:
            try:
                again = threading.Timer(AGAIN_SECONDS, _thread.interrupt_main)
                again.daemon = True  # never what the process waits for at its end
                again.start()
                return
            except KeyboardInterrupt:  # the timer's, come before this hook returned
                continue

    return hook


def main() -> None:
    """Run ``erm``, its embedded server started first when the command will need it."""
    take_interrupts()
    data_dir = None
    try:
        data_dir = embedded_data_dir(sys.argv[1:], os.environ)
        if data_dir is not None:
            from erm_graph.store import head_start

            head_start.begin(data_dir)
        from erm_graph.cli import main as run

        run()
    except KeyboardInterrupt:
        # outside the command's own code (there friendly() says it): in the imports or the
        # head start, where Python would print a traceback
        print(f"Interrupted: {INTERRUPTED}", file=sys.stderr)
        code: str | int | None = 130
    except SystemExit as done:
        code = done.code
    else:
        code = None
    if data_dir is None or not hasattr(threading, "_shutdown"):
        sys.exit(code)
    exit_now(code)
