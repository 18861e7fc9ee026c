"""The console script registers only the commands of its command line (erm_graph/cli/__init__.py):
its table of which module registers which command must be what the modules do register, and a
command run with only its modules must be the same command as in the whole app."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import typer.main

import erm_graph.cli as cli

ROOT = Path(__file__).resolve().parent.parent


def _modules(group: Any, found: set[str]) -> set[str]:
    """The modules of the callbacks of a Typer group and of everything under it."""
    if group.registered_callback and group.registered_callback.callback:
        found.add(group.registered_callback.callback.__module__)
    found.update(c.callback.__module__ for c in group.registered_commands)
    for sub in group.registered_groups:
        _modules(sub.typer_instance, found)
    return found


def registered() -> dict[str, tuple[str, ...]]:
    """Each top-level command of the whole app and the CLI modules that register it."""
    app = cli.app
    found: dict[str, set[str]] = defaultdict(set)
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        found[name].add(command.callback.__module__)
    for group in app.registered_groups:
        found[group.name or group.typer_instance.info.name] |= _modules(group.typer_instance,
                                                                         set())
    return {name: tuple(sorted(m.removeprefix("erm_graph.cli.") for m in modules))
            for name, modules in found.items()}


def test_the_table_names_the_modules_each_command_comes_from() -> None:
    assert {k: tuple(sorted(v)) for k, v in cli.COMMANDS.items()} == registered()
    assert set(cli.MODULES) == {m for modules in cli.COMMANDS.values() for m in modules}


def paths(command: Any, prefix: str = "") -> dict[str, list[str]]:
    """Every command path under ``command`` and the names of its parameters."""
    found = {prefix: sorted(p.name or "" for p in command.params)}
    if hasattr(command, "commands"):  # a group (Typer's own, no click.Group)
        for name, sub in command.commands.items():
            found |= paths(sub, f"{prefix} {name}".strip())
    return found


# each command's tree built in a fresh interpreter that registers only its modules
SCRIPT = """
import json, sys
import typer.main
import erm_graph.cli as cli
from tests.test_cli_lazy import paths
name = sys.argv[1]
app = cli.register(cli.COMMANDS[name])
loaded = sorted(m.removeprefix("erm_graph.cli.") for m in sys.modules
                if m.startswith("erm_graph.cli.") and m != "erm_graph.cli.root")
group = typer.main.get_command(app)
print(json.dumps({"tree": paths(group.commands[name]), "loaded": loaded}))
"""


@pytest.mark.parametrize("name", ["query", "status", "case", "load"])
def test_a_command_alone_is_the_command_of_the_whole_app(name: str) -> None:
    whole = typer.main.get_command(cli.app)
    done = subprocess.run([sys.executable, "-c", SCRIPT, name], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    alone = json.loads(done.stdout)
    assert alone["tree"] == paths(whole.commands[name])
    # only what the command needs (and what those modules import themselves)
    assert len(alone["loaded"]) < len(cli.MODULES) / 2, alone["loaded"]


@pytest.mark.parametrize(("args", "expected"), [
    (["query", "run", "x"], "query"),
    (["--db", "embedded:/tmp/x", "status"], "status"),
    (["--db=embedded:/tmp/x", "cypher", "RETURN 1"], "cypher"),
    (["--help"], None),
    ([], None),
    (["--db", "embedded:/tmp/x"], None),
    (["--db"], None),
])
def test_the_command_is_read_after_the_global_option(args: list[str],
                                                     expected: str | None) -> None:
    assert cli.command_name(args) == expected


def test_the_console_script_lists_every_command() -> None:
    done = subprocess.run([sys.executable, "-c", "from erm_graph.cli import main; main()",
                           "--help"], capture_output=True, text=True, check=True,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    listed = [name for name in cli.COMMANDS if f" {name} " in done.stdout]
    assert sorted(listed) == sorted(cli.COMMANDS)
