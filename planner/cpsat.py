"""What every CP-SAT solve of the planner shares: the checks of its settings, how they become parameters, and a
solve that a `Cancellation` can stop."""

from __future__ import annotations

import threading

from ortools.sat.python import cp_model

from planner.runtime import Cancellation

__all__ = ["apply_common", "check_common", "solve", "stop_all_searches"]


def check_common(time_limit_s: float, workers: int, relative_gap: float) -> None:
    """Raise ValueError for a time limit, a worker count or a relative gap no solve can run with."""
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be positive, got {time_limit_s}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if not 0 <= relative_gap < 1:
        raise ValueError(f"relative_gap must lie in [0, 1), got {relative_gap}")


def apply_common(
    solver: cp_model.CpSolver, *, limit_s: float, workers: int, seed: int, relative_gap: float, deterministic: bool
) -> None:
    """Workers, seed, gap and the limit: wall time, or (deterministic) CP-SAT's deterministic time with its
    interleaved search, so that the same input gives the same answer.

    CP-SAT's own Ctrl-C handling is off: by default each solve replaces the process's SIGINT handler, stops only
    itself on Ctrl-C (the next solve of the same run goes on) and leaves SIGINT at the system default afterwards
    (the next Ctrl-C kills the process without a word). Searches are stopped through `solve`'s `Cancellation`."""
    parameters = solver.parameters
    parameters.num_workers = workers
    parameters.random_seed = seed
    parameters.relative_gap_limit = relative_gap
    parameters.catch_sigint_signal = False
    if deterministic:
        parameters.interleave_search = True
        parameters.max_deterministic_time = limit_s
    else:
        parameters.max_time_in_seconds = limit_s


#: The searches running now, whoever started them (`stop_all_searches`).
_RUNNING: set[cp_model.CpSolver] = set()
_RUNNING_LOCK = threading.Lock()


def solve(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    cancel: Cancellation | None = None,
) -> cp_model.CpSolverStatus:
    """`solver.solve(model, callback)`, stopped by `cancel` (the best solution so far is kept, as at a time limit).
    A run cancelled before the search starts does not start it: the status is UNKNOWN."""
    with _RUNNING_LOCK:
        _RUNNING.add(solver)
    try:
        if cancel is None:
            return solver.solve(model, callback)
        with cancel.stopping(solver.stop_search):
            if cancel.cancelled:
                return cp_model.UNKNOWN
            return solver.solve(model, callback)
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(solver)


def stop_all_searches() -> int:
    """Stop every search running now through `solve` (their best solutions are kept); how many there were. For a
    Ctrl-C that no `Cancellation` is there to honour: the main thread waits in C++ until the search ends."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for solver in running:
        solver.stop_search()
    return len(running)
