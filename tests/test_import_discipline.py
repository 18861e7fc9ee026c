"""The command line imports what a command needs, not what every command could: the heavy
libraries load in the commands that use them (docs/scaling.md, "Start-up").

Each check is a fresh interpreter reporting its own ``sys.modules``, so the answer does not
depend on what this test process imported before, nor on the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: Heavy at import and needed by a few commands only: analytics (pandas, networkx), lifetime
#: value (numpy, lifetimes), the web app (fastapi, starlette, uvicorn), pictures (pyvis,
#: jinja2), calendars (icalendar), watch schedules (apscheduler), columnar reading (pyarrow).
HEAVY = ("pandas", "networkx", "numpy", "scipy", "pyarrow", "polars", "lifetimes", "fastapi",
         "starlette", "uvicorn", "pyvis", "jinja2", "icalendar", "recurring_ical_events",
         "apscheduler")


def heavy_after(script: str, env: dict[str, str] | None = None) -> list[str]:
    """The HEAVY modules a fresh interpreter holds after running ``script``."""
    probe = (f"{script}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_probe_sees_a_heavy_import() -> None:
    """The probe itself: a script that imports the analytics does report pandas."""
    assert "pandas" in heavy_after("import erm_graph.analytics.algorithms")


def test_importing_the_cli_loads_no_heavy_library() -> None:
    """Every command registered (the app the tests and the docs use), none heavy."""
    assert heavy_after("from erm_graph.cli import app") == []


def test_the_package_api_loads_no_heavy_library() -> None:
    assert heavy_after("import erm_graph") == []


@pytest.mark.parametrize("command", [["--help"], ["query", "show", "customer-360"]])
def test_commands_without_the_engine_load_no_heavy_library(command: list[str]) -> None:
    """Typer builds every command's options to run one: their types must stay light too."""
    script = ("from erm_graph.cli import app\n"
              f"try:\n    app({command!r}, standalone_mode=False)\n"
              "except SystemExit:\n    pass")
    assert heavy_after(script) == []


def test_a_named_query_on_the_embedded_engine_loads_no_heavy_library(tmp_path) -> None:
    """The first answer the start-up figure is about: ``erm query run`` on an embedded store
    (empty here: the imports do not depend on the data)."""
    env = {**os.environ, "ERM_DB": f"embedded:{tmp_path / 'db'}"}
    script = ("from erm_graph.cli import app\n"
              "app(['query', 'run', 'customer-360', '-p', 'uid=cust-000001', '--format', "
              "'json'], standalone_mode=False)")
    assert heavy_after(script, env) == []


#: What the `erm` console script must not have imported when it starts the embedded server:
#: the command line and what it stands on take as long to import as the server takes to load
#: the graph, and they are imported meanwhile (erm_graph/console_script.py).
BEFORE_THE_SERVER = ("erm_graph.cli.root", "erm_graph.query", "erm_graph.store.falkordb_store",
                     "typer", "rich", "pydantic", "yaml", "redis", "falkordb")


def test_the_package_itself_is_light() -> None:
    """``import erm_graph`` comes before the server's start: its API loads on first use."""
    probe = ("import erm_graph, json, sys\n"
             f"print(json.dumps([m for m in {BEFORE_THE_SERVER!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == []


def test_the_console_script_starts_the_server_before_the_command_line(tmp_path) -> None:
    """`erm query run` in a fresh interpreter: when redis-server is launched, none of
    BEFORE_THE_SERVER is imported yet; the command then answers as before."""
    env = {**os.environ, "ERM_DB": f"embedded:{tmp_path / 'db'}"}
    script = (
        "import json, subprocess, sys\n"
        "launched = []\n"
        "class Seen(subprocess.Popen):\n"
        "    def __init__(self, args, *a, **kw):\n"
        "        if 'redis-server' in str(args[0]):\n"
        f"            launched.append([m for m in {BEFORE_THE_SERVER!r} if m in sys.modules])\n"
        "        super().__init__(args, *a, **kw)\n"
        "subprocess.Popen = Seen\n"
        "sys.argv = ['erm', 'query', 'run', 'customer-360', '-p', 'uid=c', '--format', 'json']\n"
        "import atexit\n"  # main() ends the process (console_script.exit_now) after these
        "atexit.register(lambda: print(json.dumps(launched)))\n"
        "from erm_graph.console_script import main\n"
        "main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)
    answer, launched = done.stdout.strip().rsplit("\n", 1)
    assert json.loads(answer) == []  # the (empty) graph's answer
    assert json.loads(launched) == [[]]  # one server, launched before any of them


def test_starting_the_server_asks_it_without_the_client_library(tmp_path) -> None:
    """A starting server is asked every few milliseconds, on the head start's thread beside the
    command's imports: by a bare PING, not a redis-py client per poll (its CPU took the
    interpreter lock from the imports). Started and then stopped in a fresh interpreter, redis
    is not imported, not even for the stop: at a process's exit, where the stop also runs, it
    can no longer be imported (an interrupted command left its server running)."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from erm_graph.store.embedded_server import EmbeddedServer\n"
        f"server = EmbeddedServer(Path({str(tmp_path / 'db')!r}))\n"
        "server.acquire()\n"
        "started = 'redis' in sys.modules\n"
        "answered = server.probe()\n"
        "server.release()\n"
        "print(json.dumps([started, answered, 'redis' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == [False, "ready", False]


#: Loaded by other commands than `erm query run`, not by it: the syntax highlighting of `erm
#: query show` (rich.syntax and pygments).
NOT_FOR_QUERY_RUN = ("rich.syntax", "pygments")


def test_a_named_query_through_the_console_script_loads_no_highlighting(tmp_path) -> None:
    """The command as a user runs it (only its own command registered, docs/scaling.md):
    it answers, and none of NOT_FOR_QUERY_RUN is imported."""
    env = {**os.environ, "ERM_DB": f"embedded:{tmp_path / 'db'}"}
    script = (
        "import atexit, json, sys\n"
        "sys.argv = ['erm', 'query', 'run', 'customer-360', '-p', 'uid=c', '--format', 'json']\n"
        "atexit.register(lambda: print(json.dumps(\n"
        f"    [m for m in {NOT_FOR_QUERY_RUN!r} if m in sys.modules])))\n"
        "from erm_graph.console_script import main\n"
        "main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)
    answer, loaded = done.stdout.strip().rsplit("\n", 1)
    assert json.loads(answer) == []  # the (empty) graph's answer
    assert json.loads(loaded) == []
