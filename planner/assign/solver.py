"""Solve an assignment (CP-SAT, hinted by the earliest-finish plan) or run a baseline, and report it the same way:
the assignment table, KPIs, the objective's terms, bound and gap.

`time_limit_s` bounds the whole call: the bound, the hint, the model and the scoring after the solve included
(time is kept back for the scoring; CP-SAT gets what is left). Large instances: where the options (ticket x
eligible agent) exceed `max_options`, each ticket keeps its `candidates` options that could finish it earliest
(plus the hint's and its current agent's); where the model would still hold more than `decompose_above` options,
the hint is improved by small CP-SAT models of groups of agents instead (`planner.assign.decompose`). The bound
reported for either is the capacity-free bound of the full problem (valid whatever was left out), never a
restricted model's.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from models import SolverError
from planner.assign.decompose import Budget, decompose
from planner.assign.heuristics import HEURISTICS, Plan, earliest_finish, left_shift
from planner.assign.model import (
    SCALE,
    AssignModel,
    AssignWeights,
    agent_loads,
    capacity_free_bound,
    evaluate,
    priority_weight,
)
from planner.assign.problem import CAPACITY, AssignProblem
from planner.cpsat import apply_common, check_common, solve

__all__ = ["METHODS", "AssignResult", "AssignSettings", "assign", "assignment_table"]

METHODS = ("optimal", *HEURISTICS)
DEFAULT_TIME_LIMIT_S = 5.0
#: Seconds kept back for scoring and reporting the plan after the solve: a fixed part and a part per ticket.
_REPORT_S, _REPORT_PER_TICKET_S = 0.05, 40e-6
#: Below this many seconds left, CP-SAT is not started (the hint is returned).
_LEAST_SOLVE_S = 0.05


@dataclass(frozen=True)
class AssignSettings:
    """`strict_priority`: no ticket's breach or lateness is traded against a lower priority's (solved level by
    level: each priority's breaches and lateness minimised, then fixed, then the rest)."""

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    workers: int = max(1, min(8, os.cpu_count() or 1))
    seed: int = 0
    deterministic: bool = False
    relative_gap: float = 0.0
    strict_priority: bool = False
    weights: AssignWeights = field(default_factory=AssignWeights)
    max_options: int = 40_000
    candidates: int = 8
    decompose_above: int = 10_000
    group_sizes: tuple[int, ...] = (1, 2)

    def __post_init__(self) -> None:
        check_common(self.time_limit_s, self.workers, self.relative_gap)
        if self.candidates < 1 or self.max_options < 1:
            raise ValueError("candidates and max_options must be at least 1")
        if self.decompose_above < 0 or not self.group_sizes or min(self.group_sizes) < 1:
            raise ValueError("decompose_above must be at least 0 and group_sizes at least 1 each")


@dataclass(frozen=True)
class AssignResult:
    method: str
    status: str
    objective: float
    best_bound: float
    solve_time_s: float
    breakdown: dict[str, float]
    table: pd.DataFrame
    kpis: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    #: Ticket index -> (option index, start in seconds from the problem's moment).
    plan: Plan = field(default_factory=dict)

    @property
    def gap(self) -> float:
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "status": self.status,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "gap": self.gap,
            "solve_time_s": self.solve_time_s,
            "breakdown": self.breakdown,
            "kpis": self.kpis,
            "notes": self.notes,
        }


def _apply(solver: cp_model.CpSolver, settings: AssignSettings, limit: float) -> None:
    """The one place where settings become CP-SAT parameters."""
    apply_common(
        solver,
        limit_s=limit,
        workers=settings.workers,
        seed=settings.seed,
        relative_gap=settings.relative_gap,
        deterministic=settings.deterministic,
    )


def _restricted(problem: AssignProblem, hint: Plan, settings: AssignSettings) -> tuple[set[int] | None, list[str]]:
    """The options the model keeps on a large or overloaded instance (None: all), and what was done.

    1. Per work type, tickets in order of urgency (priority, due time) while their work fits twice the time of the
       agents with the skill; the rest cannot be done before the horizon anyway (they stay unassigned, as in the
       hint, unless the hint placed them). 2. Above `max_options`, each kept ticket keeps its `candidates`
       earliest-finishing agents (and its current agent and the hint's)."""
    notes: list[str] = []
    options, tickets = problem.options, problem.tickets
    ptr = options.ptr
    room: dict[str, float] = {}
    for agent in problem.agents:
        span = sum(e - s for s, e in agent.windows)
        for work_type in agent.proficiency:
            room[work_type] = room.get(work_type, 0.0) + span
    has = np.diff(ptr) > 0
    shortest = np.zeros(len(tickets), dtype=np.int64)
    if len(options):
        shortest[has] = np.minimum.reduceat(options.duration, ptr[:-1][has])
    share = np.array([t.share for t in tickets], dtype=np.int64)
    # Python floats, added up in the same order as ever (the same tickets are kept).
    need = (shortest * share / CAPACITY).tolist()
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].priority, tickets[t].due_s))
    used: dict[str, float] = {}
    selected = np.zeros(len(tickets), dtype=bool)
    selected[list(hint)] = True
    for t in order:
        if not has[t]:
            continue
        work_type = tickets[t].work_type
        if used.get(work_type, 0.0) + need[t] <= 2 * room.get(work_type, 0.0):
            used[work_type] = used.get(work_type, 0.0) + need[t]
            selected[t] = True
    dropped = int((has & ~selected).sum())
    sizes = np.diff(ptr)
    count = int(sizes[selected].sum())
    if not dropped and count <= settings.max_options:
        return None, notes
    if dropped:
        notes.append(
            f"{dropped:,} of the least urgent tickets are beyond twice the agents' time before the horizon ends "
            "and were left out of the model"
        )
    keep = np.zeros(len(options), dtype=bool)
    keep[[k for k, _ in hint.values()]] = True
    chosen = selected[options.ticket]
    if count > settings.max_options:
        # Per ticket, its options by earliest possible end (ties: in option order), the first `candidates` kept.
        ranked = np.lexsort((np.arange(len(options)), options.first_start + options.duration, options.ticket))
        rank = np.empty(len(options), dtype=np.int64)
        rank[ranked] = np.arange(len(options)) - ptr[options.ticket[ranked]]
        agent_index = {a.id: i for i, a in enumerate(problem.agents)}
        current = np.array([agent_index.get(t.assigned, -1) for t in tickets], dtype=np.int64)
        keep |= chosen & ((rank < settings.candidates) | (options.agent == current[options.ticket]))
    else:
        keep |= chosen
    kept = set(np.flatnonzero(keep).tolist())
    if count > settings.max_options:
        notes.append(
            f"{count:,} options: each ticket kept its {settings.candidates} earliest-finishing agents "
            f"({len(kept):,} options)"
        )
    notes.append("the bound is the capacity-free one of the full problem")
    return kept, notes


def _report_s(problem: AssignProblem) -> float:
    """Seconds kept back for scoring and reporting the plan."""
    return _REPORT_S + _REPORT_PER_TICKET_S * len(problem.tickets)


def assign(problem: AssignProblem, method: str = "optimal", settings: AssignSettings | None = None) -> AssignResult:
    """Assign the problem's tickets by `method`: "optimal" (CP-SAT) or one of the constructive rules."""
    settings = settings or AssignSettings()
    began = time.perf_counter()
    weights = settings.weights
    bound = capacity_free_bound(problem, weights)
    notes: list[str] = []
    if method != "optimal":
        if method not in HEURISTICS:
            raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
        plan = HEURISTICS[method](problem)
        return _result(problem, plan, method, "HEURISTIC", bound, began, weights, notes)
    # Wall time by which the solving must be done, the scoring kept back.
    deadline = began + settings.time_limit_s - _report_s(problem)
    hint = earliest_finish(problem)
    keep, restriction = _restricted(problem, hint, settings)
    model_options = len(problem.options) if keep is None else len(keep)
    if model_options > settings.decompose_above:
        return _decomposed(problem, hint, settings, bound, began, deadline, notes)
    notes += restriction
    built = AssignModel(problem, weights, keep)
    built.hint(hint)
    solver = cp_model.CpSolver()
    # Deterministic runs get the whole limit in deterministic time (the same however long the set-up took).
    remaining = settings.time_limit_s if settings.deterministic else deadline - time.perf_counter()
    if remaining < _LEAST_SOLVE_S:
        notes.append(
            f"no time was left for CP-SAT within {settings.time_limit_s:g} s; the earliest-finish plan is returned"
        )
        return _result(problem, hint, "optimal", "FEASIBLE", bound, began, weights, notes)
    if settings.strict_priority:
        status = _lexicographic(built, solver, settings, remaining)
    else:
        _apply(solver, settings, remaining)
        status = solve(solver, built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.INFEASIBLE:
            raise SolverError("the assignment model is infeasible, a planner bug (leaving a ticket out is allowed)")
        notes.append(f"CP-SAT found nothing in {remaining:.1f} s; the earliest-finish plan is returned")
        return _result(problem, hint, "optimal", "FEASIBLE", bound, began, weights, notes)
    solved: Plan = {}
    for k, x in built.present.items():
        if solver.value(x):
            solved[problem.options[k].ticket] = (k, int(solver.value(built.start[k])))
    solved = left_shift(problem, solved)
    if keep is None and not settings.strict_priority:
        bound = max(bound, solver.best_objective_bound / SCALE)
    if not settings.strict_priority and _score(problem, hint, weights) < _score(problem, solved, weights):
        notes.append("CP-SAT's best plan in time was worse than its hint; the earliest-finish plan is returned")
        return _result(problem, hint, "optimal", "FEASIBLE", bound, began, weights, notes)
    status_name = solver.status_name(status)
    if keep is not None and status_name == "OPTIMAL":
        status_name = "FEASIBLE"  # optimal for the reduced model only
    return _result(problem, solved, "optimal", status_name, bound, began, weights, notes)


def _decomposed(
    problem: AssignProblem,
    hint: Plan,
    settings: AssignSettings,
    bound: float,
    began: float,
    deadline: float,
    notes: list[str],
) -> AssignResult:
    """The hint improved sub-problem by sub-problem (`planner.assign.decompose`) until the deadline."""

    # One sub-problem at a time with all the workers (two side by side in threads gained no more: BENCHMARKS.md).
    def run(built: AssignModel, limit: float) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
        solver = cp_model.CpSolver()
        if settings.strict_priority:
            return _lexicographic(built, solver, settings, limit), solver
        _apply(solver, settings, limit)
        return solve(solver, built.model), solver

    if settings.deterministic:
        budget = Budget(time.perf_counter, None, total_s=settings.time_limit_s)
    else:
        budget = Budget(time.perf_counter, deadline)
    plan, report = decompose(
        problem,
        hint,
        settings.weights,
        run,
        budget,
        group_sizes=settings.group_sizes,
        seed=settings.seed,
        strict=settings.strict_priority,
    )
    notes.append(
        f"{len(problem.options):,} options, more than {settings.decompose_above:,} for one model: " + report.note()
    )
    notes.append("the bound is the capacity-free one of the full problem")
    return _result(problem, plan, "optimal", "FEASIBLE", bound, began, settings.weights, notes)


def _score(problem: AssignProblem, plan: Plan, weights: AssignWeights) -> float:
    return sum(evaluate(problem, plan, weights).values())


def _lexicographic(built: AssignModel, solver: cp_model.CpSolver, settings: AssignSettings, limit: float) -> Any:
    """Priority levels one by one: minimise a level's breaches and lateness, keep it at that value, go on; then the
    whole objective. The time is shared evenly between the steps."""
    problem, model = built.problem, built.model
    levels = sorted({t.priority for t in problem.tickets})
    share = limit / (len(levels) + 1)
    status = cp_model.UNKNOWN
    for level in levels:
        target = sum(built.urgency[t] for t, ticket in enumerate(problem.tickets) if ticket.priority == level)
        model.minimize(target)
        _apply(solver, settings, share)
        status = solve(solver, model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        model.add(target <= int(solver.objective_value))
        model.clear_hints()  # type: ignore[no-untyped-call]
        for k, x in built.present.items():
            model.add_hint(x, solver.value(x))
            model.add_hint(built.start[k], solver.value(built.start[k]))
    model.minimize(sum(built.terms.values()))
    _apply(solver, settings, share)
    return solve(solver, model)


def _result(
    problem: AssignProblem,
    plan: Plan,
    method: str,
    status: str,
    bound: float,
    began: float,
    weights: AssignWeights,
    notes: list[str],
) -> AssignResult:
    breakdown = evaluate(problem, plan, weights)
    objective = sum(breakdown.values())
    table = assignment_table(problem, plan)
    return AssignResult(
        method=method,
        status=status,
        objective=objective,
        best_bound=min(bound, objective),
        solve_time_s=time.perf_counter() - began,
        breakdown=breakdown,
        table=table,
        kpis=_kpis(problem, plan, table),
        notes=notes,
        plan=plan,
    )


def _stamps(problem: AssignProblem, seconds: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Instants `seconds` after the problem's moment (NaT where `missing`), in its time zone (a column of NaT
    only, where all are missing, as pandas makes it)."""
    if missing is not None and missing.all():
        return pd.Series([pd.NaT] * len(seconds))
    unit = problem.time(0).unit
    values = pd.DatetimeIndex(problem.at + pd.to_timedelta(seconds, unit="s")).as_unit(unit)
    if missing is not None and missing.any():
        return pd.Series(values.where(~missing))
    return pd.Series(values)


def assignment_table(problem: AssignProblem, plan: Plan) -> pd.DataFrame:
    """A `models.ASSIGNMENT` table (plus work_type and priority), one row per ticket, in the tickets' order."""
    options, tickets = problem.options, problem.tickets
    n = len(tickets)
    chosen = np.fromiter((k for k, _ in plan.values()), dtype=np.int64, count=len(plan))
    placed = np.fromiter(plan.keys(), dtype=np.int64, count=len(plan))
    start = np.zeros(n, dtype=np.int64)
    start[placed] = np.fromiter((s for _, s in plan.values()), dtype=np.int64, count=len(plan))
    duration = np.zeros(n, dtype=np.int64)
    duration[placed] = options.duration[chosen]
    assigned = np.zeros(n, dtype=bool)
    assigned[placed] = True
    due = np.array([t.due_s for t in tickets], dtype=np.int64)
    handle = np.array([t.handle_s for t in tickets], dtype=np.int64)
    end = np.where(assigned, start + duration, problem.horizon_s + handle)
    agent = [None] * n
    for t, k in zip(placed.tolist(), options.agent[chosen].tolist(), strict=True):
        agent[t] = problem.agents[k].id
    has_options = np.diff(options.ptr) > 0
    reasons: list[str | None] = [None] * n
    for t in np.flatnonzero(~assigned).tolist():
        if t in problem.no_skill:
            reasons[t] = f"no agent on shift has the skill for {tickets[t].work_type}"
        elif not has_options[t]:
            reasons[t] = "no agent with the skill has a working window long enough for it before the horizon ends"
        else:
            reasons[t] = "no room before the horizon ends"
    columns = ["ticket_id", "agent_id", "planned_start", "planned_end", "due_at", "predicted_late_s", "reason"]
    if not n:
        table = pd.DataFrame([], columns=columns)
    else:
        table = pd.DataFrame(
            {
                "ticket_id": [t.id for t in tickets],
                "agent_id": agent,
                "planned_start": _stamps(problem, start, ~assigned),
                "planned_end": _stamps(problem, end, ~assigned),
                "due_at": _stamps(problem, due),
                "predicted_late_s": np.maximum(0, end - due).astype(np.float64),
                "reason": reasons,
            },
            columns=columns,
        )
    table["work_type"] = [t.work_type for t in tickets]
    table["priority"] = [t.priority for t in tickets]
    return table


def _kpis(problem: AssignProblem, plan: Plan, table: pd.DataFrame) -> dict[str, Any]:
    late = table["predicted_late_s"].to_numpy(dtype=float)
    assigned = table["agent_id"].notna().to_numpy()
    due_in = np.array([t.due_s <= problem.horizon_s for t in problem.tickets], dtype=bool)
    breached = (assigned & (late > 0)) | (~assigned & due_in)
    priority = table["priority"].to_numpy()
    weights = np.array([priority_weight(int(p)) for p in priority], dtype=float)
    work = agent_loads(problem, plan).astype(float)
    on_shift = work.size
    return {
        "tickets": len(problem.tickets),
        "assigned": int(assigned.sum()),
        "unassigned": int((~assigned).sum()),
        "unassigned_by_reason": table.loc[~assigned, "reason"].value_counts().to_dict(),
        "predicted_breaches_by_priority": {
            int(p): int(breached[priority == p].sum()) for p in sorted(set(priority.tolist()))
        },
        "priority_weighted_breaches": float((weights * breached).sum()),
        "lateness_minutes": float(late[assigned].sum() / 60),
        "late_tickets": int((assigned & (late > 0)).sum()),
        "agents_on_shift": on_shift,
        "work_minutes_per_agent": {
            "max": float(work.max() / 60) if on_shift else 0.0,
            "mean": float(work.mean() / 60) if on_shift else 0.0,
            "std": float(work.std() / 60) if on_shift else 0.0,
        },
        "horizon_end": str(problem.time(problem.horizon_s)),
    }
