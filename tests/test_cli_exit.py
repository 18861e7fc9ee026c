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
from pathlib import Path

import pytest

ERM = str(Path(sys.executable).with_name("erm"))


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


def _reads_stdin(pid: int) -> bool:
    """Whether the process's main thread is blocked reading its standard input: the system
    call it is in (``/proc/PID/syscall``: its number, then its arguments) is ``read`` of file
    descriptor 0 (a pipe's wait channel alone was also that of other pipes it read first)."""
    try:
        number, fd = Path(f"/proc/{pid}/syscall").read_text().split()[:2]
    except ValueError:  # "running": in no system call
        return False
    return number == str(_READ) and int(fd, 16) == 0


#: the number of the ``read`` system call on this machine
_READ = {"x86_64": 0, "aarch64": 63}[platform.machine()]


def test_an_interrupted_command_says_so(tmp_path):
    """Typer ends a command stopped by SIGINT with code 130 and no word: a script or a
    supervisor that sent it, or a log, could not tell it from a crash. Interrupted here while
    it waits for a password on its standard input."""
    proc = subprocess.Popen([ERM, "users", "add", "someone", "--role", "viewer",
                             "--password-stdin"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "ERM_USERS_DB": str(tmp_path / "users.db")})
    try:
        deadline = time.monotonic() + 60
        while not _reads_stdin(proc.pid):
            assert time.monotonic() < deadline and proc.poll() is None, "never read stdin"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)  # stdin still open: its end would be an empty password
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Interrupted: the command was stopped (Ctrl-C or SIGINT) before it finished" in err
    assert "Traceback" not in err
