"""What every CP-SAT solve of the planner shares: the checks of its settings and how they become parameters."""

from __future__ import annotations

from ortools.sat.python import cp_model

__all__ = ["apply_common", "check_common"]


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
    interleaved search, so that the same input gives the same answer."""
    parameters = solver.parameters
    parameters.num_workers = workers
    parameters.random_seed = seed
    parameters.relative_gap_limit = relative_gap
    if deterministic:
        parameters.interleave_search = True
        parameters.max_deterministic_time = limit_s
    else:
        parameters.max_time_in_seconds = limit_s
