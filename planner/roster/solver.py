"""Solve a roster: settings -> CP-SAT parameters (in one place), the two phases, and the result object.

Phase 1 (`planner/roster/model.py`) chooses every agent's shifts for the horizon against the requirement, with
breaks at the middle of their windows; phase 2 (`planner/roster/breaks.py`) places the breaks day by day and
allocates the on-duty agents to work types. Nothing prints here: progress goes to an optional callback.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from models import Center, SolverError
from planner.cpsat import apply_common, check_common, solve
from planner.lns import Incumbent, LnsSettings, LnsStats, Solution, large_neighbourhood_search
from planner.roster.breaks import allocate, on_duty_counts, place_breaks
from planner.roster.colgen import BoundResult, column_generation
from planner.roster.heuristic import greedy_roster
from planner.roster.lns import RosterNeighbourhoods, roster_groups
from planner.roster.model import SCALE, RosterModel, RosterWeights
from planner.roster.problem import RosterProblem, build_problem, least_reaching, shapes_of_roster
from planner.roster.result import Progress, RosterResult, coverage_table, kpis, roster_table
from planner.runtime import Cancellation, Interrupted, honouring, seconds_left

__all__ = ["DEFAULT_TIME_LIMIT_S", "DEFAULT_WORKERS", "RosterSettings", "apply_settings", "solve_roster"]

DEFAULT_TIME_LIMIT_S = 60.0
#: CP-SAT's portfolio wants several workers; more than the machine's cores only time-slices them.
DEFAULT_WORKERS = max(1, min(8, os.cpu_count() or 1))
#: Time for each day's break placement, at most.
DEFAULT_BREAK_TIME_LIMIT_S = 1.0
#: Share of the time limit the break placement may take over all days (each day at most the per-day setting).
BREAK_SHARE = 0.1
#: Deterministic mode: each day's break placement gets at least this (deterministic seconds).
DETERMINISTIC_BREAK_FLOOR_S = 0.2
#: Wall seconds kept after the break placement for the allocation, coverage and KPIs.
AFTER_BREAKS_S = 0.4
#: A search with less than this left is not started (the roster found so far is kept).
LEAST_SEARCH_S = 0.1
#: Simplex iterations CP-SAT may spend on the root LP in one go (its default is 2,000).
ROOT_LP_ITERATIONS = 100_000
#: Share of the time limit spent completing the greedy roster into the warm start, by method (the neighbourhood
#: search improves the completion as it goes, the whole model needs a good start), and its bounds in seconds.
WARM_START_SHARE = {"lns": 0.1, "cpsat": 0.25}
WARM_START_LIMITS_S = (2.0, 20.0)
#: With the shifts fixed the LP is easy and the search should move at once: CP-SAT's default chunk of iterations.
WARM_START_ROOT_LP_ITERATIONS = 2_000
#: Time the warm start may take to find its first completion, whatever the share or the deadline (it is found in
#: a second or two): without a first roster there is nothing to return.
WARM_START_FIRST_S = 30.0
INTERRUPTED_NOTE = "interrupted: best roster so far"
#: The roster searches `RosterSettings.method` names.
METHODS = ("lns", "cpsat")
#: Share of the search the whole model gets before the large-neighbourhood search takes over (a small roster is
#: solved and proved within it).
PROBE_SHARE = 0.1
#: The neighbourhood search's first neighbourhood (agent-days freed: a share of them, within bounds) and the limit
#: of each of its sub-solves.
LNS_FIRST_SHARE = 0.05
LNS_FIRST_SIZE = (8, 400)
LNS_SUB_LIMIT_S = 2.0
LNS_WORKERS_PER_LANE = 2
#: By default column generation runs beside a search of at least this long (seconds; deterministic seconds in
#: that mode: building its agents' models takes seconds, and a short solve such as the plan loop's re-solves
#: gains nothing from it), with at least this many workers (a core to spare for it).
BOUND_LEAST_S = 20.0
BOUND_LEAST_WORKERS = 3


def warm_start_time_limit(time_limit_s: float, method: str = "lns") -> float:
    low, high = WARM_START_LIMITS_S
    return min(time_limit_s, max(low, min(high, WARM_START_SHARE[method] * time_limit_s)))


@dataclass(frozen=True)
class RosterSettings:
    """How to solve. `time_limit_s`: wall seconds for the whole solve, warm start, search and break placement
    together (`solve_roster` returns by then), or by `deadline` where given (a `time.monotonic()` instant, e.g.
    the end of a whole command). `deterministic`: the same input and settings give the same roster (CP-SAT's
    interleaved search, stopped by deterministic time instead of wall time: `time_limit_s` is then CP-SAT's
    deterministic seconds of the searches, which are not wall seconds - docs/roster.md gives the measured ratio -
    and `deadline` is not used). `relative_gap`: stop when the proven gap is at most this. `cancel`: stops the
    solve early with the best roster found so far (`RosterResult.interrupted`), or `Interrupted` where there is
    none yet."""

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    workers: int = DEFAULT_WORKERS
    seed: int = 0
    deterministic: bool = False
    #: "lns": a share of the search on the whole model, then the large-neighbourhood search (`planner/roster/lns.py`);
    #: "cpsat": CP-SAT on the whole model for the whole search (its own portfolio).
    method: str = "lns"
    #: Column generation beside the search (`planner/roster/colgen.py`): its proven bound, where higher than
    #: CP-SAT's, is the roster's bound. None: where a core is to spare (3 workers or more) and the search has 20 s
    #: or more (on two cores it takes a core from the search: rosters measured about 0.7% dearer at 60 s on M).
    bound: bool | None = None
    relative_gap: float = 0.0
    break_time_limit_s: float = DEFAULT_BREAK_TIME_LIMIT_S
    weights: RosterWeights = field(default_factory=RosterWeights)
    log_search: bool = False
    deadline: float | None = None
    cancel: Cancellation | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_common(self.time_limit_s, self.workers, self.relative_gap)
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got '{self.method}'")
        if not self.break_time_limit_s > 0:
            raise ValueError(f"break_time_limit_s must be positive, got {self.break_time_limit_s}")


def apply_settings(solver: cp_model.CpSolver, settings: RosterSettings, time_limit_s: float | None = None) -> None:
    """The one place where settings become CP-SAT parameters."""
    limit = settings.time_limit_s if time_limit_s is None else time_limit_s
    apply_common(
        solver,
        limit_s=limit,
        workers=settings.workers,
        seed=settings.seed,
        relative_gap=settings.relative_gap,
        deterministic=settings.deterministic,
    )
    parameters = solver.parameters
    parameters.log_search_progress = settings.log_search
    # Let the root LP run to its optimum: with CP-SAT's default chunk, the LP of a week's roster never converges
    # and the bound stays the trivial one; converged, it is a real bound and the search is better guided.
    parameters.root_lp_iterations = ROOT_LP_ITERATIONS


class _Budget:
    """How the time limit is shared between the phases. Wall mode: one deadline for the whole solve; the search
    stops early enough for the break placement (`BREAK_SHARE` of the time, at most the per-day setting per day) and
    the tables after it. Deterministic mode: limits in CP-SAT's deterministic seconds, the warm start's used time
    subtracted from the search's, never the wall clock (that would make the roster depend on the machine's load)."""

    def __init__(self, settings: RosterSettings, days: int, began: float) -> None:
        self.settings, self.days = settings, days
        now = time.monotonic()
        self.end = settings.deadline if settings.deadline is not None else began + settings.time_limit_s
        total = max(0.0, self.end - now)
        self.breaks_s = min(days * settings.break_time_limit_s, BREAK_SHARE * total)
        self.search_end = self.end - self.breaks_s - AFTER_BREAKS_S
        self.used_deterministic_s = 0.0

    def warm_start_s(self) -> float:
        share = warm_start_time_limit(self.settings.time_limit_s, self.settings.method)
        if self.settings.deterministic:
            return share
        return min(share, seconds_left(self.search_end))

    def search_s(self) -> float:
        if self.settings.deterministic:
            breaks = self.days * self.break_day_s()
            return max(LEAST_SEARCH_S, self.settings.time_limit_s - self.used_deterministic_s - breaks)
        return seconds_left(self.search_end)

    def break_day_s(self) -> float:
        settings = self.settings
        if settings.deterministic:
            share = BREAK_SHARE * settings.time_limit_s / self.days
            return min(settings.break_time_limit_s, max(DETERMINISTIC_BREAK_FLOOR_S, share))
        return min(settings.break_time_limit_s, self.breaks_s / self.days)

    def breaks_deadline(self) -> float | None:
        return None if self.settings.deterministic else self.end - AFTER_BREAKS_S


class _Recorder(cp_model.CpSolverSolutionCallback):
    """Keeps every improving solution and every improved bound (with its elapsed time), and passes them on."""

    def __init__(self, started: float, on_progress: Callable[[Progress], None] | None, floor: float) -> None:
        super().__init__()
        self.progress: list[Progress] = []
        self.on_progress = on_progress
        self.started = started
        self.objective = float("inf")
        self.floor = floor  # a bound known before solving (see `pay_floor`)
        self.bound = floor
        self.lock = threading.Lock()

    def record(self, objective: float, bound: float, source: str) -> None:
        with self.lock:
            self.objective, self.bound = objective, max(self.bound, bound)
            step = Progress(
                elapsed_s=time.perf_counter() - self.started, objective=self.objective, bound=self.bound, source=source
            )
            self.progress.append(step)
        if self.on_progress is not None:
            self.on_progress(step)

    def on_points_bound(self, bound: float) -> None:
        """A proven bound in points from beside the search (column generation)."""
        if bound <= self.bound:
            return
        if self.objective < float("inf"):
            self.record(self.objective, bound, "bound: column generation")
        else:
            with self.lock:
                self.bound = max(self.bound, bound)

    def on_solution_callback(self) -> None:
        self.record(self.objective_value / SCALE, self.best_objective_bound / SCALE, "whole model")

    def on_bound(self, bound: float) -> None:
        if self.objective < float("inf") and bound / SCALE > self.bound:
            self.record(self.objective, bound / SCALE, "bound")


class _WarmRecorder(cp_model.CpSolverSolutionCallback):
    """Passes the warm start's improving rosters to the `_Recorder` as they come (their objective is the full
    model's; their bound is not: the warm start's model has the shifts fixed)."""

    def __init__(self, recorder: _Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def on_solution_callback(self) -> None:
        objective = self.objective_value / SCALE
        if objective < self.recorder.objective:
            self.recorder.record(objective, self.recorder.bound, "warm start")


def solve_roster(
    requirement: pd.DataFrame,
    center: Center,
    settings: RosterSettings | None = None,
    *,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
    hint: pd.DataFrame | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> RosterResult:
    """The roster for `requirement` (a `models.REQUIREMENT` table) in `center`. `hint`: a roster table to start
    from instead of the greedy one (e.g. the roster of a slightly different requirement); its shifts that are not
    options here are dropped. Raises `RosterConflicts` (an InputError) for input that makes a hard rule
    impossible, SolverError if no roster was found in time, and `Interrupted` if `settings.cancel` stopped the
    solve before any roster was found."""
    settings = settings or RosterSettings()
    with honouring(settings.cancel):
        return _solve_roster(requirement, center, settings, previous, pins, hint, on_progress)


def _solve_roster(
    requirement: pd.DataFrame,
    center: Center,
    settings: RosterSettings,
    previous: pd.DataFrame | None,
    pins: pd.DataFrame | None,
    hint: pd.DataFrame | None,
    on_progress: Callable[[Progress], None] | None,
) -> RosterResult:
    cancel = settings.cancel
    _stop_if_cancelled(cancel)
    began, started = time.monotonic(), time.perf_counter()
    problem = build_problem(requirement, center, previous=previous, pins=pins)
    budget = _Budget(settings, problem.horizon.days, began)
    built = RosterModel(problem, settings.weights).build()
    recorder = _Recorder(started, on_progress, floor=pay_floor(problem, settings.weights))
    start_from = shapes_of_roster(hint, problem) if hint is not None else None
    warm = _warm_start(built, settings, budget, recorder, start_from)
    if warm is None and start_from is not None and not _cancelled(cancel):  # the hint cannot be completed
        warm = _warm_start(built, settings, budget, recorder)
    if warm is not None and warm.objective_value / SCALE < recorder.objective:
        recorder.record(warm.objective_value / SCALE, recorder.bound, "warm start")
    _stop_if_cancelled(cancel, found=warm is not None)
    wanted = _bound_wanted(settings, budget) and not _cancelled(cancel)
    beside = _Bound(built, settings, budget, recorder, warm) if wanted else None
    try:
        return _search(built, requirement, settings, budget, recorder, warm, beside, started)
    finally:
        if beside is not None:
            beside.stop()


def _search(
    built: RosterModel,
    requirement: pd.DataFrame,
    settings: RosterSettings,
    budget: _Budget,
    recorder: _Recorder,
    warm: cp_model.CpSolver | None,
    beside: _Bound | None,
    started: float,
) -> RosterResult:
    """The whole model, the neighbourhood search, then the breaks and the tables (`solve_roster`)."""
    cancel, problem = settings.cancel, built.problem
    solver = cp_model.CpSolver()
    search_s = budget.search_s()
    status = cp_model.UNKNOWN
    if search_s >= LEAST_SEARCH_S and not _cancelled(cancel):
        # The whole model first (for a share of the search with "lns"): a small roster is solved and proved here.
        share = PROBE_SHARE if settings.method == "lns" else 1.0
        apply_settings(solver, settings, max(LEAST_SEARCH_S, share * search_s))
        solver.best_bound_callback = recorder.on_bound
        status = solve(solver, built.model, recorder, cancel)
        budget.used_deterministic_s += _deterministic_time(solver)
    if status == cp_model.INFEASIBLE:
        raise SolverError(
            "the contracts' rules cannot all be kept together (min hours, working days, rest, consecutive days, "
            "days off, weekends) for some agent; no single rule is impossible on its own. Check the contracts "
            "of agents with little availability"
        )
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    best_bound = solver.best_objective_bound if found else -float("inf")
    incumbent = _best_of(solver if found else None, warm)
    if incumbent is None:
        _stop_if_cancelled(cancel, found=False)
        raise SolverError(
            f"no roster found within {settings.time_limit_s:g} s (CP-SAT status {solver.status_name(status)}); "
            "give it more time (--time-limit)"
        )
    lns_stats = None

    def bound_units() -> float:
        return max(best_bound, recorder.bound * SCALE)

    def good_enough() -> float:
        """The search stops at the proven bound, or within `relative_gap` of it. Deterministic mode reads no bound
        from beside the search (when it comes depends on the wall clock): CP-SAT's and the pay floor only."""
        known = max(best_bound, recorder.floor * SCALE) if settings.deterministic else bound_units()
        return known / (1 - settings.relative_gap)

    if settings.method == "lns" and status != cp_model.OPTIMAL and not _cancelled(cancel):
        incumbent, lns_stats = _improve(built, incumbent, settings, budget, recorder, good_enough)
    if beside is not None:
        beside.stop()
    proved = (
        status == cp_model.OPTIMAL
        or (lns_stats is not None and lns_stats.proved_optimal)
        or incumbent.objective <= math.ceil(bound_units() - 1e-6)
    )
    status_name = "OPTIMAL" if proved else "FEASIBLE"
    source = Solution(incumbent)
    if proved:
        best_bound = source.objective_value
    # Valid whichever solution is kept: CP-SAT's proven bound, or the pay floor where that is higher.
    bound = min(max(best_bound, recorder.bound * SCALE), source.objective_value)
    shifts = {
        (agent, int(problem.shapes.day[k])): k
        for agent, options in built.shift.items()
        for k, var in options.items()
        if source.value(var)
    }
    breakdown = {name: float(source.value(term)) / SCALE for name, term in built.terms.items()}
    deferred_capacity = _deferred_capacity(built, source)
    first_phase = time.perf_counter() - started

    def configure(day_solver: cp_model.CpSolver, limit: float) -> None:
        apply_settings(day_solver, settings, limit)

    offsets, statuses = place_breaks(
        problem,
        shifts,
        deferred_capacity,
        settings.weights,
        budget.break_day_s(),
        configure,
        deadline=budget.breaks_deadline(),
        cancel=cancel,
    )
    on_duty = on_duty_counts(problem, shifts, offsets)
    assigned = allocate(problem, on_duty, deferred_capacity, settings.weights)
    roster = roster_table(problem, shifts, offsets)
    notes = []
    interrupted = _cancelled(cancel)
    if interrupted:
        notes.append(f"{INTERRUPTED_NOTE} (cancelled after {time.perf_counter() - started:.1f} s)")
    if problem.workload.sum() > 0:
        notes.append(
            "deferred work arriving after the last open interval of the horizon, or due after it, is carried to the "
            "next horizon"
        )
    return RosterResult(
        status=status_name,
        objective=source.objective_value / SCALE,
        best_bound=bound / SCALE,
        solve_time_s=time.perf_counter() - started,
        first_solution_s=recorder.progress[0].elapsed_s if recorder.progress else None,
        breakdown=breakdown,
        roster=roster,
        coverage=coverage_table(problem, assigned),
        kpis=kpis(problem, requirement, roster, assigned, on_duty) | {"first_phase_s": first_phase},
        progress=recorder.progress,
        break_statuses=statuses,
        notes=notes,
        interrupted=interrupted,
        search=(lns_stats.as_dict() if lns_stats is not None else {})
        | ({"bound": beside.summary()} if beside is not None else {}),
    )


def _cancelled(cancel: Cancellation | None) -> bool:
    return cancel is not None and cancel.cancelled


def _stop_if_cancelled(cancel: Cancellation | None, *, found: bool = False) -> None:
    """Raise `Interrupted` when the run is cancelled and no roster has been found."""
    if _cancelled(cancel) and not found:
        raise Interrupted("before a roster was found: no roster written")


def pay_floor(problem: RosterProblem, weights: RosterWeights) -> float:
    """A lower bound of the objective known before solving (points): every agent is paid at least the least their
    shifts can add up to while reaching the week's minimum (a 2,160-minute minimum with 480-minute shifts is paid
    2,400), and every other term is at least 0."""
    total = 0.0
    shapes = problem.shapes
    for agent_id, options in problem.options.items():
        for limits in problem.week_limits(agent_id):
            if limits.min_paid == 0:
                continue
            in_week = problem.shapes_in_week(agent_id, limits)
            least = least_reaching(sorted(set(shapes.paid[in_week].tolist())), limits.min_paid, limits.max_days)
            total += weights.paid_cost * options.agent.hourly_cost * least / 60
    # The model rounds each shift's pay to whole objective units: stay below it by that rounding.
    shifts = sum(limits.max_days for agent_id in problem.options for limits in problem.week_limits(agent_id))
    return max(0.0, total - shifts * 0.5 / SCALE)


def _warm_start(
    built: RosterModel,
    settings: RosterSettings,
    budget: _Budget,
    recorder: _Recorder,
    start_from: dict[str, dict[int, int]] | None = None,
) -> cp_model.CpSolver | None:
    """Hint every variable from a roster (`start_from`, agent -> day -> shape; by default the greedy roster): its
    shifts are fixed in a copy of the model and CP-SAT completes the rest there (allocation, shortfall, backlog; an
    easy problem once the shifts are fixed). Returns that solve (its solution is a roster of the full model), or
    None if it found nothing in time or the run was cancelled first."""
    cancel = settings.cancel
    greedy = greedy_roster(built.problem, settings.weights, cancel=cancel) if start_from is None else start_from
    if _cancelled(cancel):
        return None
    fixed = built.model.clone()
    for agent_id, shifts in built.shift.items():
        if agent_id in greedy:  # agents the start does not place are left to CP-SAT
            chosen = set(greedy[agent_id].values())
            for k, var in shifts.items():
                fixed.add(fixed.get_bool_var_from_proto_index(var.index) == int(k in chosen))
    solver = cp_model.CpSolver()
    found = False
    limit = budget.warm_start_s()
    if limit >= LEAST_SEARCH_S:
        apply_settings(solver, settings, limit)
        solver.parameters.root_lp_iterations = WARM_START_ROOT_LP_ITERATIONS
        found = solve(solver, fixed, _WarmRecorder(recorder), cancel) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        budget.used_deterministic_s += _deterministic_time(solver)
    if not found and not _cancelled(cancel):
        # Nothing in the share of the time limit: take the first completion, however long it takes (seconds).
        solver = cp_model.CpSolver()
        apply_settings(solver, settings, WARM_START_FIRST_S)
        solver.parameters.stop_after_first_solution = True
        found = solve(solver, fixed, _WarmRecorder(recorder), cancel) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        budget.used_deterministic_s += _deterministic_time(solver)
    if not found:
        return None
    values = solver.response_proto.solution
    for index, value in enumerate(values):
        built.model.add_hint(built.model.get_int_var_from_proto_index(index), value)
    return solver


def _bound_wanted(settings: RosterSettings, budget: _Budget) -> bool:
    """As asked; by default with a core to spare and a search long enough, never in deterministic mode (the bound
    it would print depends on the wall clock)."""
    if settings.bound is not None:
        return settings.bound
    if settings.deterministic:
        return False
    return settings.workers >= BOUND_LEAST_WORKERS and budget.search_s() >= BOUND_LEAST_S


class _Bound:
    """Column generation in a thread beside the search (`planner/roster/colgen.py`): each bound it proves raises the
    recorder's; stopped when the search ends."""

    def __init__(
        self,
        built: RosterModel,
        settings: RosterSettings,
        budget: _Budget,
        recorder: _Recorder,
        warm: cp_model.CpSolver | None,
    ) -> None:
        self.cancel = Cancellation()
        self.result: BoundResult | None = None
        self.error: str | None = None
        initial = None
        if warm is not None:
            values = warm.response_proto.solution
            initial = {
                agent_id: {int(built.problem.shapes.day[k]): k for k, var in shifts.items() if values[var.index]}
                for agent_id, shifts in built.shift.items()
            }
        limit = settings.time_limit_s if settings.deterministic else max(0.0, budget.search_end - time.monotonic())

        def run() -> None:
            try:
                self.result = column_generation(
                    built.problem,
                    settings.weights,
                    time_limit_s=limit,
                    workers=1,
                    seed=settings.seed,
                    initial=initial,
                    cancel=self.cancel,
                    on_bound=recorder.on_points_bound,
                )
            except ValueError as exc:  # an agent with no week that keeps its rules: the search says so itself
                self.error = str(exc)

        self.thread = threading.Thread(target=run, name="roster-bound", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.cancel.cancel()
        self.thread.join()

    def summary(self) -> dict[str, object]:
        result = self.result
        if result is None:
            return {"error": self.error} if self.error else {}
        return {
            "bound": result.bound,
            "lp_value": result.lp_value,
            "rounds": result.rounds,
            "columns": result.columns,
            "converged": result.converged,
            "elapsed_s": result.elapsed_s,
        }


def _best_of(solver: cp_model.CpSolver | None, warm: cp_model.CpSolver | None) -> Incumbent | None:
    """The better of the whole model's solution and the warm start's (same variables), as an `Incumbent`."""
    found = [s for s in (solver, warm) if s is not None]
    if not found:
        return None
    best = min(found, key=lambda s: s.objective_value)
    return Incumbent(np.asarray(best.response_proto.solution, dtype=np.int64), round(best.objective_value))


def _improve(
    built: RosterModel,
    start: Incumbent,
    settings: RosterSettings,
    budget: _Budget,
    recorder: _Recorder,
    target: Callable[[], float],
) -> tuple[Incumbent, LnsStats | None]:
    """The large-neighbourhood search from `start` for the rest of the search's time (`planner/roster/lns.py`)."""
    groups = roster_groups(built)
    if not any(shifts for shifts in built.shift.values()):  # no agent has a shift to choose
        return start, None
    left = budget.search_s()
    if left < LEAST_SEARCH_S:
        return start, None
    low, high = LNS_FIRST_SIZE
    # Two CP-SAT workers per neighbourhood (measured better than two neighbourhoods of one worker on two cores);
    # with more cores, neighbourhoods in parallel. Deterministic mode: one at a time.
    lanes = 1 if settings.deterministic else max(1, settings.workers // LNS_WORKERS_PER_LANE)
    lns = LnsSettings(
        lanes=lanes,
        workers=max(1, settings.workers // lanes),
        seed=settings.seed,
        deterministic=settings.deterministic,
        first_size=int(np.clip(LNS_FIRST_SHARE * len(groups), low, high)),
        sub_limit_s=LNS_SUB_LIMIT_S,
    )

    def improved(incumbent: Incumbent, neighbourhood: str) -> None:
        recorder.record(incumbent.objective / SCALE, recorder.bound, f"lns:{neighbourhood}")

    best, stats = large_neighbourhood_search(
        built.model,
        groups,
        start,
        RosterNeighbourhoods(built).all(),
        lns,
        deadline=None if settings.deterministic else budget.search_end,
        deterministic_budget_s=left if settings.deterministic else None,
        cancel=settings.cancel,
        on_improve=improved,
        target=target,
    )
    budget.used_deterministic_s += stats.deterministic_s
    return best, stats


def _deterministic_time(solver: cp_model.CpSolver) -> float:
    """The deterministic seconds a solve used (0 for one a cancellation kept from starting)."""
    try:
        return float(solver.deterministic_time)
    except RuntimeError:  # solve() never ran
        return 0.0


def _deferred_capacity(built: RosterModel, solver: Solution) -> np.ndarray:
    """Agents the first phase put on each deferred work type per interval."""
    problem: RosterProblem = built.problem
    out = np.zeros(problem.required.shape, dtype=np.int64)
    for (t, w), cover in built.covered.items():
        if problem.deferred[w]:
            out[t, w] = solver.value(cover)
    return out
