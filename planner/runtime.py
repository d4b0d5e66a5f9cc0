"""Process-wide settings and per-run control for the planner's entry points (the `wfm` command, the benchmarks).

Memory: the numerical code makes many short-lived arrays of a few hundred kilobytes. With glibc's default
allocator, freeing them returns the memory to the operating system (heap trimming, or mmap for large blocks) and
the next array page-faults it back in: on a week of 33,600 cells this costs Erlang C's whole staffing search about
40% of its time. `keep_freed_memory` tells glibc to keep freed memory for reuse instead. It changes the whole
process, so the entry points call it, never an import; elsewhere (not glibc) it does nothing.

Control: a run is stopped early by a `Cancellation` (Ctrl-C in the command line, a cancel request in a service)
and ends by its `deadline` (a `time.monotonic()` instant). The solvers, the greedy warm start, the break placement
and the simulation loop check the token between steps and register a stop for each CP-SAT search while it runs,
so that a cancelled run returns the best plan found so far within a moment. Nothing here knows about signals or
terminals: whoever owns the process (the CLI) calls `cancel()`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from models import PlannerError

__all__ = ["Cancellation", "Interrupted", "honouring", "keep_freed_memory", "seconds_left"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Freed memory kept by the process before any is given back (it is reused by the next allocations).
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024
#: Blocks below this come from the heap (and are reused); larger ones are mapped and unmapped on their own.
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: After a cancellation, the stops of the activities still registered are called again this often: a CP-SAT
#: search that was about to start when the first call came (and so missed it) is stopped by the next one.
RESTOP_EVERY_S = 0.1


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


class Interrupted(PlannerError):
    """A run was cancelled before it had anything worth keeping (or, with `files`, after writing the best it had:
    the files are listed). The command line exits 130."""

    def __init__(self, message: str, files: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.files = list(files)


class Cancellation:
    """A cancel request shared by the parts of one run; safe to use from any thread.

    `cancel()` marks the run cancelled and calls the stop of every activity registered with `stopping` (a CP-SAT
    search: its `stop_search`), then again every `RESTOP_EVERY_S` while any is registered. Pure-Python steps read
    `cancelled` between their steps. Code that honours the token marks where with `honouring()`, so that whoever
    cancels knows whether the run will stop by itself (`honoured`) or must be interrupted another way."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._stops: dict[int, Callable[[], None]] = {}
        self._next = 0
        self._honouring = 0
        self.cancelled_at: float | None = None

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def honoured(self) -> bool:
        """True while code that checks this token runs (inside `honouring()`)."""
        return self._honouring > 0

    @contextmanager
    def honouring(self) -> Iterator[None]:
        """Mark a block that checks this token and returns or raises `Interrupted` soon after `cancel()`."""
        with self._lock:
            self._honouring += 1
        try:
            yield
        finally:
            with self._lock:
                self._honouring -= 1

    def cancel(self) -> None:
        """Cancel the run (a second call does nothing more)."""
        with self._lock:
            if self._event.is_set():
                return
            self.cancelled_at = time.monotonic()
            self._event.set()
        self._stop_all()
        threading.Thread(target=self._keep_stopping, name="cancellation", daemon=True).start()

    def _stop_all(self) -> bool:
        with self._lock:
            stops = list(self._stops.values())
        for stop in stops:
            stop()
        return bool(stops)

    def _keep_stopping(self) -> None:
        while True:
            time.sleep(RESTOP_EVERY_S)
            if not self._stop_all():
                return

    @contextmanager
    def stopping(self, stop: Callable[[], None]) -> Iterator[None]:
        """Register `stop` for the duration of the block (called at once if the run is already cancelled)."""
        with self._lock:
            key = self._next
            self._next += 1
            self._stops[key] = stop
            restart = self._event.is_set()
        if restart:
            stop()
            threading.Thread(target=self._keep_stopping, name="cancellation", daemon=True).start()
        try:
            yield
        finally:
            with self._lock:
                del self._stops[key]


@contextmanager
def honouring(cancel: Cancellation | None) -> Iterator[None]:
    """`cancel.honouring()`, or nothing without a token."""
    if cancel is None:
        yield
        return
    with cancel.honouring():
        yield


def seconds_left(deadline: float | None) -> float:
    """Seconds until `deadline` (a `time.monotonic()` instant; infinite for None), never below 0."""
    return float("inf") if deadline is None else max(0.0, deadline - time.monotonic())
