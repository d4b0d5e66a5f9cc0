"""Process-wide settings for the planner's entry points (the `wfm` command, the benchmarks).

The numerical code makes many short-lived arrays of a few hundred kilobytes. With glibc's default allocator,
freeing them returns the memory to the operating system (heap trimming, or mmap for large blocks) and the next
array page-faults it back in: on a week of 33,600 cells this costs Erlang C's whole staffing search about 40%
of its time. `keep_freed_memory` tells glibc to keep freed memory for reuse instead. It changes the whole
process, so the entry points call it, never an import; elsewhere (not glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Freed memory kept by the process before any is given back (it is reused by the next allocations).
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024
#: Blocks below this come from the heap (and are reused); larger ones are mapped and unmapped on their own.
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (see the module docstring); True if it took the settings."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
