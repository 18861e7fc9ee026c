"""Read untrusted files in a child process that is stopped at its time limit.

The web app reads an upload here, not in the process that serves requests. Reading is CPU
work in Python, and CPU work holds the interpreter's lock: a loader stuck in a regular
expression (which never lets the lock go) froze every other request of the server, and a
thread cannot be stopped. A process can: past its time limit the child is killed and the
load refused. Nothing is half-written then, because reading writes nothing: the caller
checks and writes the records only once the child has answered (see
:func:`erm_graph.ingest.load.prepare`).

The child is a fresh interpreter running :func:`serve_one`, not a fork of the server, whose
threads and store connections a fork would copy in whatever state they were. It reads a
pickled request on stdin and writes a pickled answer on stdout: the results its loaders
returned, or the :class:`~erm_graph.errors.ErmError` that refused one. A fresh interpreter
costs a fraction of a second a load, small beside an upload.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.ingest.contract import LoaderResult, LoadOptions
from erm_graph.ingest.untrusted import LoadError

log = logging.getLogger(__name__)
#: the child's program (``-m`` would import this module twice: as itself and as __main__)
CHILD = "from erm_graph.ingest.worker import serve_one; serve_one()"


class LoadTimeout(LoadError):
    """Reading a file took longer than its time limit: it was stopped, nothing written."""

    kind = "load_timeout"


def read_in_child(paths: Sequence[str | Path], fmt: str, options: LoadOptions,
                  time_limit: float) -> tuple[list[LoaderResult], list[str]]:
    """What the loaders read from ``paths`` and the notes of finding them, read
    in a child process that is killed when it runs over ``time_limit`` seconds.

    The child reads without the store, so no row is left out as unchanged by its
    fingerprint: every row is compared with the graph when it is written.
    """
    # the vocabulary in force goes along: the child reads with the library's extension
    request = pickle.dumps(([str(p) for p in paths], fmt, options, model.current().extension))
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        answer, errors = child.communicate(request, timeout=time_limit)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        names = ", ".join(Path(p).name for p in paths)
        log.warning("reading %s ran over %g s: its process %d was killed", names, time_limit,
                    child.pid)
        raise LoadTimeout(f"{names}: reading took longer than the {time_limit:g} s limit of a "
                          "web load and was stopped; nothing was written. Load a file this "
                          "large with `erm load` on the server, or raise "
                          "ERM_WEB_LOAD_TIMEOUT") from None
    except BaseException:
        child.kill()
        child.communicate()
        raise
    if child.returncode != 0 or not answer:
        raise LoadError(f"reading the upload failed after {time.monotonic() - started:.1f} s "
                        f"(its process ended with code {child.returncode}): "
                        f"{_last_line(errors)}")
    outcome, value = pickle.loads(answer)
    if outcome == "error":
        raise value
    return value


def _last_line(errors: bytes) -> str:
    lines = errors.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no message"


def serve_one() -> None:
    """The child: one request from stdin, one answer to stdout. A loader that prints
    writes to stderr, so nothing but the answer reaches stdout."""
    from erm_graph.ingest.load import read_sources

    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    paths, fmt, options, extension = pickle.loads(sys.stdin.buffer.read())
    try:
        with model.using(model.extended(extension)):
            answer: tuple[str, object] = ("ok", read_sources(paths, fmt, options))
    except ErmError as exc:
        answer = ("error", _portable(exc))
    except Exception as exc:  # a loader's bug: the server gets a message, the log the trace
        traceback.print_exc()
        answer = ("error", LoadError(f"the {fmt} loader failed on this file "
                                     f"({type(exc).__name__}): report it with the file"))
    with contextlib.suppress(BrokenPipeError):
        out.write(pickle.dumps(answer))
        out.flush()


def _portable(exc: ErmError) -> ErmError:
    """``exc`` if it comes back from pickling as it is, else a LoadError with its message
    (an error class whose arguments are not its message, from a loader of one's own)."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
    except Exception:
        return LoadError(str(exc))
    return copy if type(copy) is type(exc) and str(copy) == str(exc) else LoadError(str(exc))

