"""Pause Python's cyclic garbage collector while a load builds and writes its records.

A load allocates millions of small lists and dicts that all live until it ends. The cyclic
collector walks every live container again and again as they pile up: parsing a large CSV
takes about three times as long with it as without (figures: docs/scaling.md). Reference
counting still frees whatever a load drops; only reference cycles wait, until the collector is
back on at the end. So an error a load handles and carries on from must not stay in a cycle
(a frame of its traceback holding it): every frame above would stay with it, records and all
(tests/test_write_memory.py meets each one a load handles with the collector paused).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside; nested uses restore only what they found."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run under :func:`paused_gc`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused_gc():
            return func(*args, **kwargs)

    return wrapper
