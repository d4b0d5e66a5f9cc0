"""Solve an assignment (CP-SAT, hinted by the earliest-finish plan) or run a baseline, and report it the same way:
the assignment table, KPIs, the objective's terms, bound and gap.

Large instances: where the options (ticket x eligible agent) exceed `max_options`, each ticket keeps its
`candidates` options that could finish it earliest (plus the hint's and its current agent's); the reported bound
is then the capacity-free bound of the full problem (valid whatever was left out), never the restricted model's.
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
from planner.assign.heuristics import HEURISTICS, Plan, earliest_finish, left_shift
from planner.assign.model import SCALE, AssignModel, AssignWeights, capacity_free_bound, evaluate, priority_weight
from planner.assign.problem import CAPACITY, AssignProblem
from planner.cpsat import apply_common, check_common

__all__ = ["METHODS", "AssignResult", "AssignSettings", "assign", "assignment_table"]

METHODS = ("optimal", *HEURISTICS)
DEFAULT_TIME_LIMIT_S = 5.0


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

    def __post_init__(self) -> None:
        check_common(self.time_limit_s, self.workers, self.relative_gap)
        if self.candidates < 1 or self.max_options < 1:
            raise ValueError("candidates and max_options must be at least 1")


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
    by_ticket = problem.options_of_ticket()
    room: dict[str, float] = {}
    for agent in problem.agents:
        span = sum(e - s for s, e in agent.windows)
        for work_type in agent.proficiency:
            room[work_type] = room.get(work_type, 0.0) + span
    order = sorted(range(len(problem.tickets)), key=lambda t: (problem.tickets[t].priority, problem.tickets[t].due_s))
    used: dict[str, float] = {}
    selected = {t for t in hint}
    for t in order:
        ticket = problem.tickets[t]
        if not by_ticket[t]:
            continue
        shortest = min(problem.options[k].duration for k in by_ticket[t]) * ticket.share / CAPACITY
        if used.get(ticket.work_type, 0.0) + shortest <= 2 * room.get(ticket.work_type, 0.0):
            used[ticket.work_type] = used.get(ticket.work_type, 0.0) + shortest
            selected.add(t)
    dropped = sum(1 for t in range(len(problem.tickets)) if by_ticket[t] and t not in selected)
    options = sum(len(by_ticket[t]) for t in selected)
    if not dropped and options <= settings.max_options:
        return None, notes
    if dropped:
        notes.append(
            f"{dropped:,} of the least urgent tickets are beyond twice the agents' time before the horizon ends "
            "and were left out of the model"
        )
    keep: set[int] = {k for k, _ in hint.values()}
    for t in selected:
        ticket = problem.tickets[t]
        if options > settings.max_options:
            ranked = sorted(by_ticket[t], key=lambda k: problem.options[k].starts[0][0] + problem.options[k].duration)
            keep.update(ranked[: settings.candidates])
            keep.update(k for k in by_ticket[t] if problem.agents[problem.options[k].agent].id == ticket.assigned)
        else:
            keep.update(by_ticket[t])
    if options > settings.max_options:
        notes.append(
            f"{options:,} options: each ticket kept its {settings.candidates} earliest-finishing agents "
            f"({len(keep):,} options)"
        )
    notes.append("the bound is the capacity-free one of the full problem")
    return keep, notes


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
    hint = earliest_finish(problem)
    keep, restriction = _restricted(problem, hint, settings)
    notes += restriction
    built = AssignModel(problem, weights, keep)
    built.hint(hint)
    solver = cp_model.CpSolver()
    # Deterministic runs get the whole limit in deterministic time (the same however long the set-up took).
    remaining = (
        settings.time_limit_s
        if settings.deterministic
        else max(0.5, settings.time_limit_s - (time.perf_counter() - began))
    )
    if settings.strict_priority:
        status = _lexicographic(built, solver, settings, remaining)
    else:
        _apply(solver, settings, remaining)
        status = solver.solve(built.model)
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
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        model.add(target <= int(solver.objective_value))
        model.clear_hints()  # type: ignore[no-untyped-call]
        for k, x in built.present.items():
            model.add_hint(x, solver.value(x))
            model.add_hint(built.start[k], solver.value(built.start[k]))
    model.minimize(sum(built.terms.values()))
    _apply(solver, settings, share)
    return solver.solve(model)


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


def assignment_table(problem: AssignProblem, plan: Plan) -> pd.DataFrame:
    """A `models.ASSIGNMENT` table (plus work_type and priority), one row per ticket, in the tickets' order."""
    rows = []
    has_options = {option.ticket for option in problem.options}
    for t, ticket in enumerate(problem.tickets):
        due = problem.time(ticket.due_s)
        if t in plan:
            k, start = plan[t]
            option = problem.options[k]
            end = start + option.duration
            rows.append(
                {
                    "ticket_id": ticket.id,
                    "agent_id": problem.agents[option.agent].id,
                    "planned_start": problem.time(start),
                    "planned_end": problem.time(end),
                    "due_at": due,
                    "predicted_late_s": float(max(0, end - ticket.due_s)),
                    "reason": None,
                }
            )
        else:
            if t in problem.no_skill:
                reason = f"no agent on shift has the skill for {ticket.work_type}"
            elif t not in has_options:
                reason = "no agent with the skill has a working window long enough for it before the horizon ends"
            else:
                reason = "no room before the horizon ends"
            rows.append(
                {
                    "ticket_id": ticket.id,
                    "agent_id": None,
                    "planned_start": pd.NaT,
                    "planned_end": pd.NaT,
                    "due_at": due,
                    "predicted_late_s": float(max(0, problem.horizon_s + ticket.handle_s - ticket.due_s)),
                    "reason": reason,
                }
            )
    table = pd.DataFrame(
        rows, columns=["ticket_id", "agent_id", "planned_start", "planned_end", "due_at", "predicted_late_s", "reason"]
    )
    table["work_type"] = [t.work_type for t in problem.tickets]
    table["priority"] = [t.priority for t in problem.tickets]
    return table


def _kpis(problem: AssignProblem, plan: Plan, table: pd.DataFrame) -> dict[str, Any]:
    late = table["predicted_late_s"].to_numpy(dtype=float)
    assigned = table["agent_id"].notna().to_numpy()
    due_in = np.array([t.due_s <= problem.horizon_s for t in problem.tickets], dtype=bool)
    breached = (assigned & (late > 0)) | (~assigned & due_in)
    priority = table["priority"].to_numpy()
    weights = np.array([priority_weight(int(p)) for p in priority], dtype=float)
    work = np.zeros(len(problem.agents))
    for k, _ in plan.values():
        work[problem.options[k].agent] += problem.options[k].duration
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
