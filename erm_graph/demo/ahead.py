"""The demo's parts made one ahead, in a process of their own, while the loader writes.

Why: generating the rows is Python work, and the writes are the engine's with Python's
around them; made in the loading process the two take turns, and while a part is generated
the engine waits. A forked child makes the next part while the current one is written, so
that the machine's two cores can both be busy. A thread would share the loading process's
interpreter lock with the writer's threads. The parts cross as pickles through a pipe: the
child is at most one part ahead (a send waits for the loader to take the part), so memory
stays that of two parts. The rows are the same, in the same order; an error in the child is
raised in the loader; a loader that stops early ends the child.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from erm_graph.ingest import GraphBatch

#: what the child sends after its last part
_DONE = "done"


def made_ahead(generate: Callable[..., Iterator[GraphBatch]], *args: Any
               ) -> Iterator[GraphBatch]:
    """The parts of ``generate(*args)``, each made in a forked child while the one before it
    is used."""
    context = multiprocessing.get_context("fork")  # the child needs no module loaded again
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_make, args=(send, generate, args), daemon=True)
    child.start()
    send.close()  # the child's end: the loader's copy would keep the pipe open
    try:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                raise RuntimeError(f"the demo's generator stopped (exit code "
                                   f"{child.exitcode})") from None
            if kind == _DONE:
                break
            if isinstance(value, BaseException):
                raise value
            yield value
        child.join()
    finally:
        receive.close()
        if child.is_alive():  # the loader stopped early: the child is blocked in a send
            child.terminate()
            child.join()


def _make(send: Connection, generate: Callable[..., Iterator[GraphBatch]],
          args: tuple[Any, ...]) -> None:
    """In the child: send each part as it is made, then :data:`_DONE`; an error is sent as
    the part it stopped."""
    try:
        for part in generate(*args):
            send.send(("part", part))
        send.send((_DONE, None))
    except BaseException as exc:  # noqa: BLE001 - sent to the loader, which raises it
        try:
            send.send(("error", exc))
        except Exception:  # an error that cannot be pickled: its text
            send.send(("error", RuntimeError(repr(exc))))
    finally:
        send.close()
