"""The `erm` command line. Each module registers its commands on the one Typer app of
:mod:`erm_graph.cli.root`.

``from erm_graph.cli import app`` gives that app with every command (the tests, the docs
generator). :func:`main`, the console script's, imports only the modules that register the
command on its command line: a command is a fresh process, and importing the other modules
and building their 80-odd commands was about a third of its way to a first answer
(docs/scaling.md, "Start-up"). ``--help``, no command, or a name that is no command loads
them all, so the listing and the "no such command" error stay whole; ``erm query --help``
needs only its own module.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from importlib import import_module
from typing import Any

#: Each top-level command (or group) and the modules that register it or its subcommands;
#: tests/test_cli_lazy.py holds it to what the modules register
COMMANDS: dict[str, tuple[str, ...]] = {
    "add": ("edit",), "analyze": ("query",), "appointment": ("agenda",),
    "article": ("service",), "assess": ("strategy",), "audit": ("users",),
    "backup": ("backup",), "calendar": ("agenda",), "case": ("actions", "service"),
    "clv": ("strategy",), "copy": ("interop",), "cypher": ("core",), "demo": ("core",),
    "export": ("interop",), "import": ("interop",), "init": ("core",), "link": ("edit",),
    "load": ("load",), "log": ("actions",), "map": ("maps",), "merge": ("merge",),
    "model": ("model",), "opportunity": ("actions",), "owner": ("owner",),
    "query": ("query",), "remove": ("edit",), "repair": ("core",), "reset": ("core",),
    "restore": ("backup",), "sales": ("sales",), "serve": ("web",), "set": ("edit",),
    "share": ("sharing",), "shares": ("sharing",), "status": ("core",),
    "targets": ("strategy",), "task": ("agenda",), "unlink": ("edit",),
    "unshare": ("sharing",), "users": ("users",), "view": ("views",), "viz": ("web",),
    "watch": ("watch",),
}
#: What a command stopped by SIGINT says after "Interrupted:" (exit code 130): Typer says
#: nothing, and the signal may come from a supervisor, not a ^C on the terminal
INTERRUPTED = "the command was stopped (Ctrl-C or SIGINT) before it finished"
#: The modules of the CLI, imported in this order: ``erm --help`` lists their commands so
MODULES = tuple(sorted({module for modules in COMMANDS.values() for module in modules}))


def global_db(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The value of the global ``--db`` option in ``args`` (the command line after ``erm``),
    if given there, and the words after it."""
    rest = list(args)
    if rest[:1] == ["--db"] and len(rest) > 1:
        return rest[1], rest[2:]
    if rest and rest[0].startswith("--db="):
        return rest[0].removeprefix("--db="), rest[1:]
    return None, rest


def command_name(args: Sequence[str]) -> str | None:
    """The command ``args`` runs: the first word after the global option; None when there
    is none (``erm``, ``erm --help``)."""
    _, rest = global_db(args)
    return rest[0] if rest and not rest[0].startswith("-") else None


def register(modules: Iterable[str] = MODULES) -> Any:
    """Import ``modules`` (their commands register themselves) and return the app."""
    for name in modules:
        import_module(f"erm_graph.cli.{name}")
    from erm_graph.cli.root import app

    return app


def main() -> None:
    """Run ``erm`` with the commands of its command line registered."""
    name = command_name(sys.argv[1:])
    needed = COMMANDS.get(name) if name is not None else None
    register(MODULES if needed is None else needed)()


def __getattr__(name: str) -> Any:
    """``app``: the app with every command registered."""
    if name == "app":
        return register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMANDS", "INTERRUPTED", "MODULES", "app", "command_name", "global_db", "main",
           "register"]
