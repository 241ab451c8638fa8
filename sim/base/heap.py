"""Keep the C heap's memory between chunks, so a year's temporaries are not faulted in afresh.

A chunk of the patients' pass makes a few hundred megabytes of short-lived arrays, each up
to a few megabytes. glibc's allocator serves blocks above its mmap threshold from fresh
mappings and hands freed memory at the top of the heap back to the system, so depending
on the population size each year (or each chunk) could fault the same pages in again:
at 262,144 patients that was about 7,000 page faults and a fifth of the year's time.
Raising both thresholds keeps the heap's pages warm for the next chunk; the heap then
holds what a chunk needs at its peak (about 200 MB), which the run needs anyway.
"""

from __future__ import annotations

import ctypes
import platform
from functools import cache

MMAP_THRESHOLD = 32 << 20
"""Bytes: larger blocks (the population's own arrays, at England's size) are still mapped
on their own; this is glibc's largest allowed value, well above any chunk temporary."""
TRIM_THRESHOLD = 1 << 30
"""Bytes of free memory at the top of the heap kept before any is handed back."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


@cache
def keep_heap_warm() -> bool:
    """Set the allocator's thresholds (once per process); False where the C library is not glibc."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(
            libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        )
    except (OSError, AttributeError):
        return False
