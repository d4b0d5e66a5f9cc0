"""Running a command's one call: Ctrl-C handling (`_CtrlC`) and the planner's errors mapped to exit codes
(`run`)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from typing import TypeVar

import typer

from models import InputError, PlannerError
from models.io import discard_staged_files
from planner.cpsat import stop_all_searches
from planner.runtime import Cancellation, Interrupted
from wfm.exit_codes import ExitCode
from wfm.render import err

__all__ = ["DEBUG_ENV", "exit_if_interrupted", "run"]

DEBUG_ENV = "WFM_DEBUG"


T = TypeVar("T")


class _CtrlC:
    """Ctrl-C while a command runs. The first press cancels the run's `Cancellation`: code that honours it (the
    roster solve, the simulation loop, writing a roster) stops within a moment and keeps the best roster so far;
    anywhere else the press interrupts at once (KeyboardInterrupt, nothing written). A second press exits at once
    with 130, writing nothing more.

    CP-SAT runs in C++ with the main thread waiting, where Python's own handler cannot run until the search ends; so
    the signal is also written to a wakeup socket that a watcher thread reads: it cancels the token (which stops the
    searches) and handles the second press."""

    def __init__(self, cancel: Cancellation, stopping: str = "stopping with the best roster so far") -> None:
        self.cancel = cancel
        self.stopping = stopping
        self.active = False

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals reach the main thread only
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            return self  # started with Ctrl-C ignored (nohup, a background job): keep it so
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._old_handler = signal.signal(signal.SIGINT, self._on_signal)
        self._watcher = threading.Thread(target=self._watch, name="ctrl-c", daemon=True)
        self._watcher.start()
        self.active = True
        return self

    def __exit__(self, *_: object) -> None:
        if not self.active:
            return
        signal.signal(signal.SIGINT, self._old_handler)
        signal.set_wakeup_fd(self._old_fd)
        self._writer.close()  # the watcher reads the end of the stream and returns
        self._watcher.join(timeout=1.0)
        self._reader.close()
        self.active = False

    def _on_signal(self, signum: int, frame: object) -> None:
        if not self.cancel.honoured:
            self.cancel.cancel()
            raise KeyboardInterrupt

    def _watch(self) -> None:
        presses = 0
        while True:
            try:
                data = self._reader.recv(64)
            except OSError:
                return
            if not data:
                return
            for _ in range(data.count(bytes([signal.SIGINT]))):
                presses += 1
                if presses == 1:
                    if self.cancel.honoured:
                        err.print(
                            f"Ctrl-C: {self.stopping} (press again to quit at once, writing nothing more) ...",
                            markup=False,
                        )
                    else:  # the main thread may wait in a search that no token stops: stop it, then it interrupts
                        stop_all_searches()
                    self.cancel.cancel()
                else:
                    os.write(2, b"interrupted again: quitting at once\n")
                    discard_staged_files()
                    os._exit(ExitCode.INTERRUPTED)


def run(action: Callable[[], T], cancel: Cancellation | None = None, stopping: str | None = None) -> T:
    """Run a command's one call under Ctrl-C handling (`_CtrlC`; `cancel` is the token the call honours, `stopping`
    what its first Ctrl-C does), mapping the planner's errors to exit codes."""
    with _CtrlC(cancel or Cancellation(), *([stopping] if stopping else [])):
        try:
            return action()
        except Interrupted as exc:
            err.print(f"interrupted: {exc}", markup=False)
            calendars = [p for p in exc.files if str(p).endswith(".ics")]
            others = [p for p in exc.files if not str(p).endswith(".ics")]
            if others:
                listed = ", ".join(str(p) for p in others)
                err.print(f"Wrote: {listed}" + (f", and {len(calendars)} calendars" if calendars else ""), markup=False)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True)
            raise typer.Exit(ExitCode.BAD_INPUT) from None
        except PlannerError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True)
            raise typer.Exit(ExitCode.INTERNAL_ERROR) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing more written", markup=False)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:  # an internal error: say so plainly, with the trace on request
            err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
            if os.environ.get(DEBUG_ENV):
                err.print(traceback.format_exc(), markup=False)
            else:
                err.print(f"(set {DEBUG_ENV}=1 for the traceback; please report it)", markup=False)
            raise typer.Exit(ExitCode.INTERNAL_ERROR) from None


def exit_if_interrupted(cancel: Cancellation) -> None:
    """Exit 130 after a command that Ctrl-C reached while it finished (its files are written)."""
    if cancel.cancelled:
        raise typer.Exit(ExitCode.INTERRUPTED)
