"""Every non-zero exit of `erm` says why on standard error.

Typer ends a command that hit a broken pipe with exit code 1 and no message, and so does rich
when one of its consoles cannot write: a command whose output was closed under it, or whose
connection broke as a pipe, ended with code 1 and nothing to tell why (a parallel `erm load`
in CI: code 1 after its full report, not a word). Each command here runs as its own process,
as a user runs it, and must say why it failed.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

ERM = str(Path(sys.executable).with_name("erm"))
T = TypeVar("T")


def _run(args: list[str], *, output_closed: bool = False) -> tuple[int, str]:
    """Run ``erm args``; its exit code and standard error. ``output_closed``: nothing reads
    its standard output, closed before the command writes to it (``erm ... | true``)."""
    proc = subprocess.Popen([ERM, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if output_closed and proc.stdout is not None:
        proc.stdout.close()  # the only reader: its first write breaks the pipe
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("args", [
    ["model", "show"],  # tables through rich's console
    ["model", "show", "--markdown"],  # plain print()
], ids=["rich", "print"])
def test_a_command_whose_output_is_closed_says_so(args):
    code, err = _run(args, output_closed=True)
    assert code == 1
    assert "Error: the command's output was closed before it had all been written" in err, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_every_failure_says_why(tmp_path):
    """A refused setting and a missing file: exit code 1 and a line that starts with Error."""
    for args in (["--db", "nosuch://x", "status"],
                 ["--db", f"embedded:{tmp_path / 'db'}", "load", str(tmp_path / "none.csv")]):
        code, err = _run(args)
        assert code == 1, (args, err)
        assert "Error: " in err, (args, err)


def test_a_pipe_that_breaks_inside_a_command_is_named_with_the_line_that_wrote_to_it():
    """Not the output: a connection or a child's pipe, which the message must not blame on
    the reader of the output."""
    from erm_graph.cli.root import broken_pipe

    read, write = os.pipe()
    os.close(read)
    try:
        with pytest.raises(BrokenPipeError) as caught:
            os.write(write, b"x")
    finally:
        os.close(write)
    said = broken_pipe(caught.value, output_closed=False)
    assert said.startswith("a pipe or connection closed while the command ran (Broken pipe in ")
    assert f"{__file__}:" in said




#: The longest a command may take to come to its input, or to end once interrupted: a hang
#: fails the test with the command's stacks rather than holding up the suite
WAIT_SECONDS = 30
#: the number of the ``read`` system call on this machine
_READ = {"x86_64": 0, "aarch64": 63}.get(platform.machine())
#: the tests that wait for a command to read its input, on a machine whose ``read`` they know
knows_read = pytest.mark.skipif(_READ is None, reason=f"the number of the read system call "
                                f"on {platform.machine()} is not in _READ")


def _started(args: list[str], *, sigint: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """``erm args`` with its standard input a pipe left open (its end would be an answer),
    in a session of its own (no terminal: a password prompt reads standard input).
    ``sigint``: "default" as at a terminal, whatever this test process inherited (a CI
    runner may start the suite with SIGINT ignored, and a child inherits that); "ignored" as
    a shell starts a background job (``erm ... &`` in a script). Python's fault handler is
    on, for :func:`_stacks`."""
    handler = signal.SIG_DFL if sigint == "default" else signal.SIG_IGN
    return subprocess.Popen([ERM, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, handler),
                            env={**os.environ, "PYTHONFAULTHANDLER": "1", **env})


def _stacks(proc: subprocess.Popen[str]) -> str:
    """The Python stacks of every thread of a command that did not end, and what it said:
    its fault handler prints them at SIGABRT, which ends it."""
    proc.send_signal(signal.SIGABRT)
    try:
        return proc.communicate(timeout=WAIT_SECONDS)[1]
    except subprocess.TimeoutExpired:
        return "(no stacks: it did not end at SIGABRT either)"


def _await(proc: subprocess.Popen[str], condition: Callable[[], T | None], what: str) -> T:
    """Wait for ``condition()`` to be true, and return it: the test fails, with the stacks,
    if the command ends or WAIT_SECONDS pass first."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := condition()):
        if proc.poll() is not None:
            pytest.fail(f"it ended (code {proc.returncode}) before {what}: "
                        f"{proc.communicate()[1]}")
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {WAIT_SECONDS} s:\n{_stacks(proc)}")
        time.sleep(0.01)
    return found


def _interrupted(proc: subprocess.Popen[str]) -> str:
    """SIGINT the command and wait for its end, its standard input still open; what it said
    on standard error, once it ended with code 130."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {WAIT_SECONDS} s after SIGINT:\n{_stacks(proc)}")
    err = proc.communicate(timeout=WAIT_SECONDS)[1]
    assert proc.returncode == 130, err
    assert ("Interrupted: the command was stopped (Ctrl-C or SIGINT) before it finished"
            in err), err
    assert "Traceback" not in err and "Aborted" not in err, err
    return err


def _reads_stdin(pid: int) -> bool:
    """Whether the process's main thread is blocked reading its standard input: the system
    call it is in (``/proc/PID/syscall``: its number, then its arguments) is ``read`` of file
    descriptor 0 (a pipe's wait channel alone was also that of other pipes it read first)."""
    try:
        number, fd = Path(f"/proc/{pid}/syscall").read_text().split()[:2]
    except (ValueError, OSError):  # "running": in no system call; or ended
        return False
    return number == str(_READ) and int(fd, 16) == 0


@knows_read
@pytest.mark.parametrize("how", [["--password-stdin"], []], ids=["password-stdin", "prompt"])
def test_a_command_interrupted_while_it_reads_its_input_says_so(tmp_path, how):
    """Typer ends a command stopped by SIGINT with code 130 and no word, and a prompt's with
    "Aborted." and code 1: a script or a supervisor that sent it, or a log, could not tell
    it from a crash or a refusal."""
    proc = _started(["users", "add", "someone", "--role", "viewer", *how], sigint="default",
                    env={"ERM_USERS_DB": str(tmp_path / "users.db")})
    try:
        _await(proc, lambda: _reads_stdin(proc.pid), "reading its standard input")
        _interrupted(proc)
    finally:
        proc.kill()
        proc.communicate()
    assert not (tmp_path / "users.db").exists()  # no user added, not even an empty file


@knows_read
@pytest.mark.parametrize("how", [["--password-stdin"], []], ids=["password-stdin", "prompt"])
def test_a_background_job_keeps_sigint_ignored_and_names_the_end_of_its_input(tmp_path, how):
    """Started with SIGINT ignored, as a shell starts a script's background job, the command
    goes on at SIGINT (a Ctrl-C meant for the script); when its input then ends unanswered,
    it says so, where it read that end as an empty password (or Typer said "Aborted.")."""
    proc = _started(["users", "add", "someone", "--role", "viewer", *how], sigint="ignored",
                    env={"ERM_USERS_DB": str(tmp_path / "users.db")})
    try:
        _await(proc, lambda: _reads_stdin(proc.pid), "reading its standard input")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()[1]
        err = proc.communicate(input="", timeout=WAIT_SECONDS)[1]
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 1, err
    assert "Error: the standard input ended before" in err, err
    assert "Traceback" not in err and "Aborted" not in err and "Interrupted" not in err, err
    assert not (tmp_path / "users.db").exists()


def _server_of(pid: int) -> int | None:
    """The redis-server that the process ``pid`` launched, once it runs."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    for child in children:
        try:
            if b"redis-server" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
        except OSError:
            continue
    return None


def test_a_command_interrupted_as_its_server_starts_says_so_and_stops_it(tmp_path):
    """Interrupted as soon as the embedded server of its head start is launched, before the
    command line is imported: the interrupt came outside any handler of the command line
    (Python's traceback), and the server was left running, for the release at exit could
    no longer import the client library it stopped the server with."""
    from erm_graph.store.embedded_server import PID, _running

    data = tmp_path / "db"
    proc = _started(["--db", f"embedded:{data}", "status"], sigint="default", env={})
    try:
        server = _await(proc, lambda: _server_of(proc.pid), "launching its server")
        _interrupted(proc)
    finally:
        proc.kill()
        proc.communicate()
    deadline = time.monotonic() + WAIT_SECONDS
    while _running(server) and time.monotonic() < deadline:  # it unloads after its pid file
        time.sleep(0.05)
    assert not _running(server), "its server was left running"
    assert not (data / PID).exists()


def test_an_interrupt_that_comes_in_a_finalizer_still_ends_the_command():
    """The KeyboardInterrupt of a SIGINT is raised in whatever Python code runs next; in a
    finalizer or a weakref callback (an import's module lock, under load), Python only
    reported it as ignored, and the command went on to its end with exit code 0. Here the
    signal comes while a finalizer runs, in a process set up as the console script sets
    itself up."""
    script = (
        "import signal, time\n"
        "from erm_graph.console_script import take_interrupts\n"
        "take_interrupts()\n"
        "class Finalized:\n"
        "    def __del__(self):\n"
        "        signal.raise_signal(signal.SIGINT)\n"  # its handler runs here, in __del__
        "try:\n"
        "    Finalized()\n"
        "    deadline = time.monotonic() + 20\n"
        "    while time.monotonic() < deadline:\n"  # the command's work goes on
        "        pass\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
        "else:\n"
        "    print('went on to its end')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=WAIT_SECONDS,  # SIGINT as at a terminal, as in _started
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.stdout == "interrupted\n", done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
