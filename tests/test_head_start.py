"""The embedded server started ahead of its store (erm_graph/store/head_start.py) and the console
script that starts it (erm_graph/console_script.py): the store takes that server over, an
unclaimed one is stopped when the process ends, its errors reach the store that needed it, and
only the commands that open the embedded store at once get one. Real engines, real processes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erm_graph.console_script import HEAD_START_COMMANDS, embedded_data_dir
from erm_graph.errors import StoreError
from erm_graph.store import head_start
from erm_graph.store.embedded_server import PID, EmbeddedServer
from erm_graph.store.falkordb_store import FalkorDBStore


def test_the_store_takes_over_the_server_begun_for_its_folder(tmp_path) -> None:
    data = tmp_path / "db"
    head_start.begin(data)
    store = FalkorDBStore(data_dir=data)
    try:
        assert store.run("RETURN 1 AS one").rows == [[1]]
        assert store.server_left_running is None  # started by this process, not found
        again = FalkorDBStore(data_dir=data)  # claimed once: this one acquires its own
        assert again._server is not store._server
        again.close()
        assert (data / PID).exists()  # the first store still uses the server
    finally:
        store.close()
    assert not (data / PID).exists()  # the last user stopped it


def test_a_head_start_is_claimed_once(tmp_path) -> None:
    data = tmp_path / "db"
    head_start.begin(data)
    head_start.begin(data)  # a second begin for the folder adds nothing
    first, second = head_start.claim(data), head_start.claim(data)
    try:
        assert first is not second and first.probe() == second.probe() == "ready"
    finally:
        second.release()
        first.release()
    assert not (data / PID).exists()


def test_a_start_lock_held_elsewhere_does_not_hold_up_the_process(tmp_path) -> None:
    """Another process starting or stopping the server holds the start lock: begin() returns
    after LAUNCH_SECONDS, and the store gets the server once the lock is free."""
    data = tmp_path / "db"
    data.mkdir()
    holder = os.open(data / "start.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another open file: it excludes this process's too
    try:
        began = time.monotonic()
        head_start.begin(data)
        assert time.monotonic() - began < head_start.LAUNCH_SECONDS + 1
        assert not (data / "server.log").exists()  # not launched while the lock is held
    finally:
        os.close(holder)
    server = head_start.claim(data)
    try:
        assert server.probe() == "ready"
    finally:
        server.release()
    assert not (data / PID).exists()


def test_a_claim_raises_what_the_start_raised(tmp_path) -> None:
    too_long = tmp_path / ("x" * 120)
    head_start.begin(too_long)
    with pytest.raises(StoreError, match="too long for a unix socket"):
        head_start.claim(too_long)


def test_a_claim_without_a_head_start_acquires_a_server(tmp_path) -> None:
    server = head_start.claim(tmp_path / "db")
    try:
        assert isinstance(server, EmbeddedServer) and server.probe() == "ready"
    finally:
        server.release()
    assert not (tmp_path / "db" / PID).exists()


def test_an_unclaimed_head_start_is_stopped_when_the_process_ends(tmp_path) -> None:
    """A command that fails before it opens its store leaves no server behind."""
    data = tmp_path / "db"
    script = (f"from pathlib import Path\nfrom erm_graph.store import head_start\n"
              f"head_start.begin(Path({str(data)!r}))\nraise SystemExit(3)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3, done.stderr
    assert (data / "server.log").exists()  # it did start
    assert not (data / PID).exists() and not (data / "falkordb.sock").exists()


@pytest.mark.parametrize(("args", "environ", "expected"), [
    (["query", "run", "customer-360"], {"ERM_DATA_DIR": "/d"}, "/d"),
    (["--db", "embedded:/e", "query", "run", "x"], {"ERM_DATA_DIR": "/d"}, "/e"),
    (["--db=embedded:/e", "status"], {}, "/e"),
    (["cypher", "RETURN 1"], {"ERM_DB": "embedded:/f"}, "/f"),
    (["query", "show", "customer-360"], {"ERM_DATA_DIR": "/d"}, None),  # needs no store
    (["query", "run", "customer-360", "--help"], {"ERM_DATA_DIR": "/d"}, None),
    (["--help"], {}, None),
    (["status"], {"ERM_DB": "falkordb://localhost:6379"}, None),  # not embedded
    (["status"], {"ERM_DB": "postgres://x"}, None),  # the command explains it
    (["--install-completion", "status"], {}, None),  # not read here: no guess
])
def test_the_console_script_reads_the_folder_the_command_will_open(
        args: list[str], environ: dict[str, str], expected: str | None) -> None:
    found = embedded_data_dir(args, environ)
    assert found == (None if expected is None else Path(expected))


def test_the_folder_read_is_the_commands_own() -> None:
    """The default folder (no ERM_DATA_DIR) is the settings' default, as the command's."""
    from erm_graph.settings import Settings

    assert embedded_data_dir(["status"], {}) == Settings.from_env({}).data_dir


@pytest.mark.parametrize("command", HEAD_START_COMMANDS)
def test_the_head_started_commands_are_commands_of_the_cli(command: tuple[str, ...]) -> None:
    """A command renamed or moved would silently lose its head start."""
    from typer.testing import CliRunner

    from erm_graph.cli import app

    done = CliRunner().invoke(app, [*command, "--help"])
    assert done.exit_code == 0, done.output
    assert f"erm {' '.join(command)}" in " ".join(done.output.split())


def _erm(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    """``erm ARGS`` as the console script runs it, in a fresh process."""
    script = "import sys; from erm_graph.console_script import main; sys.argv[0] = 'erm'; main()"
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "ERM_DATA_DIR": str(data)})


def test_a_head_started_command_ends_with_its_output_whole_and_its_server_stopped(
        tmp_path) -> None:
    """It ends without the interpreter's teardown (console_script.exit_now): with its exit
    status, its output whole and no server left running, as before."""
    data = tmp_path / "db"
    done = _erm(["cypher", "UNWIND range(1, 5000) AS i RETURN i", "--format", "csv"], data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["i", *(str(i) for i in range(1, 5001))]
    assert (data / "server.log").exists()  # it started the server, and stopped it:
    assert not (data / PID).exists() and not (data / "falkordb.sock").exists()
    failed = _erm(["query", "run", "no-such-query"], data)
    assert failed.returncode == 1 and "no named query 'no-such-query'" in failed.stderr
    assert not (data / PID).exists()
