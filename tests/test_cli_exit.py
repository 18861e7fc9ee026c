"""Every non-zero exit of `erm` says why on standard error.

Typer ends a command that hit a broken pipe with exit code 1 and no message, and so does rich
when one of its consoles cannot write: a command whose output was closed under it, or whose
connection broke as a pipe, ended with code 1 and nothing to tell why (a parallel `erm load`
in CI: code 1 after its full report, not a word). Each command here runs as its own process,
as a user runs it, and must say why it failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


