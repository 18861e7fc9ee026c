"""Have the C allocator give large blocks back to the system as soon as they are freed.

A load builds a column per property for all of a file's rows, a chunk at a time: each list grows by
reallocation, and each chunk makes and drops lists of its rows. glibc's allocator serves a
block below its mmap threshold from its heap, and raises that threshold each time a large
mapped block is freed (up to its own ceiling), after which nearly every list of a load lives
in the heap: a list that grows is copied and leaves a hole, and a hole in the middle of the heap
stays resident. A fixed threshold, glibc's own starting value, stops the rise: each large
block is mapped on its own, grows in place (``mremap``, no copy) and is unmapped when freed,
so what a load holds resident is about what it uses (docs/loaders.md, "Speed and memory").

Other C libraries have no such call or ignore it: there this does nothing.
"""

from __future__ import annotations

import ctypes
from functools import cache

#: glibc's ``mallopt`` parameter and its default starting threshold
_M_MMAP_THRESHOLD = -3
_THRESHOLD = 128 * 1024


@cache
def large_blocks_mapped() -> bool:
    """Fix the allocator's mmap threshold for this process (once); whether it took."""
    try:  # the C library's symbols are the process's own (no search for its file)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD) == 1)
