"""Give the memory a load has freed back to the system while the load still grows.

A load reads a file a batch at a time and keeps every row's values until it writes. What a
batch freed (pyarrow's parsed block, the rows of its chunks) is held by the allocators for
later: pyarrow's pool keeps its pages, and glibc's heap keeps every freed page below the
highest block still in use, which a load's growing columns always are. The columnar reader
hands both back after each batch (``columnar.csv_chunks``), so the peak is what the load
holds, not what it once held (figures: docs/loaders.md, "Speed and memory").

Fixing glibc's mmap threshold (``mallopt``) kept the heap smaller still, but it holds for the
rest of the process (a web server's too) and cost each load a fifth more CPU in page faults;
trimming costs the load nothing measurable. Other C libraries have no ``malloc_trim``: there
only pyarrow's pool is released.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:  # the C library's symbols are the process's own (no search for its file)
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError, TypeError):
        return None


def trim_heap() -> bool:
    """Hand the C heap's free pages back to the system; whether the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
