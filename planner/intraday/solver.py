"""Solve the intraday re-plan: the day as published first (the baseline), then the understaffing of the rest of the
day, then the cost of the changes at that understaffing (lexicographic), with the new roster re-checked by the
roster's independent validator: a change it rejects is taken off the menu and the day re-solved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.cpsat import apply_common, check_common, solve
from planner.intraday.heuristic import greedy_changes
from planner.intraday.model import IntradayModel
from planner.intraday.problem import CHANGE_KINDS, AgentDay, ChangeCosts, IntradayProblem, Span
from planner.roster.model import RosterWeights
from planner.roster.solver import DEFAULT_WORKERS
from planner.roster.validate import Violation, validate_roster
from planner.runtime import Cancellation

__all__ = ["CHANGES_COLUMNS", "IntradayResult", "IntradaySettings", "replan"]

#: The columns of changes.csv: one row per action a supervisor takes.
CHANGES_COLUMNS = ["agent_id", "change", "start", "end", "before", "after", "cost"]
#: Rounds of re-solving after the validator rejected a change.
REPAIR_ROUNDS = 3
#: Share of the time limit for the baseline (the day as published), and of what is left for the understaffing.
BASELINE_SHARE, FIRST_SHARE = 0.1, 0.75
#: Share of the time left for the greedy start's swaps.
GREEDY_SHARE = 0.15
_FOUND = (cp_model.OPTIMAL, cp_model.FEASIBLE)


@dataclass(frozen=True)
class IntradaySettings:
    """How to re-plan. `time_limit_s`: wall seconds for the solves together. `max_changes`: the most changes
    proposed (None: no cap). `notice_minutes`: a call-in or an earlier start begins at least this long after the
    moment. `max_start_move_minutes`: how far a start not yet reached may move. `allowed`: the kinds of change
    that may be proposed (`CHANGE_KINDS`)."""

    time_limit_s: float = 10.0
    max_changes: int | None = 15
    workers: int = DEFAULT_WORKERS
    seed: int = 0
    notice_minutes: int = 60
    max_start_move_minutes: int = 120
    allowed: frozenset[str] = frozenset(CHANGE_KINDS)
    costs: ChangeCosts = field(default_factory=ChangeCosts)
    weights: RosterWeights = field(default_factory=RosterWeights)
    cancel: Cancellation | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_common(self.time_limit_s, self.workers, 0.0)
        if self.max_changes is not None and self.max_changes < 0:
            raise ValueError(f"max_changes must be at least 0, got {self.max_changes}")
        unknown = sorted(set(self.allowed) - set(CHANGE_KINDS))
        if unknown:
            raise ValueError(f"unknown change kinds {unknown}; choose from {', '.join(CHANGE_KINDS)}")


@dataclass
class IntradayResult:
    problem: IntradayProblem
    status: str
    roster: pd.DataFrame  # the whole horizon, the re-planned day changed
    published: pd.DataFrame  # the roster as published with the absences taken out (no change made)
    changes: pd.DataFrame  # CHANGES_COLUMNS
    covered_before: np.ndarray  # (window intervals, work types) agents allocated, the day as published
    covered_after: np.ndarray
    cost: float  # points
    agents_disturbed: int
    wall_s: float
    rejected: list[Violation] = field(default_factory=list)  # changes the validator refused (taken off the menu)

    def understaffed_hours(self, covered: np.ndarray) -> dict[str, float]:
        """Missing agent-hours of the rest of the day by work-type priority ("1", "2", ...)."""
        p = self.problem
        short = np.clip(p.required - covered, 0, None) * p.horizon.interval_minutes / 60
        out: dict[str, float] = {}
        for w, work_type in enumerate(p.work_types):
            level = str(p.center.work_type(work_type).priority)
            out[level] = out.get(level, 0.0) + float(short[:, w].sum())
        return dict(sorted(out.items()))

    def coverage(self) -> pd.DataFrame:
        """Per interval of the rest of the day x skill: required, scheduled (after), shortfall, surplus, and what
        the day as published scheduled (`scheduled_before`)."""
        p = self.problem
        skills = sorted({p.center.work_type(w).skill for w in p.work_types})
        index = [skills.index(p.center.work_type(w).skill) for w in p.work_types]
        shape = (p.last - p.first, len(skills))
        required, after, before = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        for w, s in enumerate(index):
            required[:, s] += p.required[:, w]
            after[:, s] += self.covered_after[:, w]
            before[:, s] += self.covered_before[:, w]
        stamps = p.horizon.intervals[p.first : p.last]
        frame = pd.DataFrame(
            {
                "interval_start": np.repeat(stamps, len(skills)),
                "skill": np.tile(skills, len(stamps)),
                "required": required.ravel(),
                "scheduled": after.ravel(),
            }
        )
        frame["shortfall"] = (frame["required"] - frame["scheduled"]).clip(lower=0)
        frame["surplus"] = (frame["scheduled"] - frame["required"]).clip(lower=0)
        frame["scheduled_before"] = before.ravel()
        return frame


def replan(problem: IntradayProblem, settings: IntradaySettings | None = None) -> IntradayResult:
    """The fewest, cheapest changes to `problem`'s day that leave the rest of it least understaffed."""
    settings = settings or IntradaySettings()
    began = time.monotonic()
    deadline = began + settings.time_limit_s
    banned: set[int] = set()  # agents whose changes the validator refused: their day stays as published
    rejected: list[Violation] = []
    published = validate_roster(problem.roster, problem.center, problem.horizon)
    known = {(v.rule, v.agent_id, v.date, v.detail) for v in published}
    fresh: list[Violation] = []
    for _ in range(REPAIR_ROUNDS + 1):
        built = IntradayModel(problem, settings.weights, settings.max_changes).build()
        for a in banned:
            built.freeze(a)
        status, before, after, choice = _solve(built, settings, deadline)
        roster, rows = _new_roster(problem, choice)
        fresh = [
            v
            for v in validate_roster(roster, problem.center, problem.horizon)
            if (v.rule, v.agent_id, v.date, v.detail) not in known
        ]
        refused = {v.agent_id for v in fresh}
        culprits = {a for a in built.use if problem.agents[a].agent.id in refused} - banned
        if not fresh or not culprits:
            break
        rejected += fresh
        banned |= culprits
        if time.monotonic() >= deadline:
            break
    if fresh and banned:
        # No round or no time left to re-solve: the refused agents keep the published day, the rest stays.
        choice = _Choice(
            {a: j for a, j in choice.spans.items() if a not in banned},
            {key: p for key, p in choice.breaks.items() if key[0] not in banned},
        )
        roster, rows = _new_roster(problem, choice)
        after = _evaluate(problem, choice, settings, after, deadline)
    cost = sum(float(r["cost"]) for r in rows)
    disturbed = len({r["agent_id"] for r in rows if r["change"] != "absence"})
    unchanged, _ = _new_roster(problem, _Choice({}, {}))
    return IntradayResult(
        problem=problem,
        status=status,
        roster=roster,
        published=unchanged,
        changes=pd.DataFrame(rows, columns=CHANGES_COLUMNS),
        covered_before=before,
        covered_after=after,
        cost=cost,
        agents_disturbed=disturbed,
        wall_s=time.monotonic() - began,
        rejected=rejected,
    )


@dataclass
class _Choice:
    spans: dict[int, int]  # agent -> span index (agents with a choice)
    breaks: dict[tuple[int, int], int]  # (agent, break) -> start


def _solver(settings: IntradaySettings, limit: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    apply_common(
        solver,
        limit_s=max(limit, 0.05),
        workers=settings.workers,
        seed=settings.seed,
        relative_gap=0.0,
        deterministic=False,
    )
    return solver


def _solve(
    built: IntradayModel, settings: IntradaySettings, deadline: float
) -> tuple[str, np.ndarray, np.ndarray, _Choice]:
    model = built.model
    keep = [vars_[0] for vars_ in built.use.values()]
    keep += [
        var
        for (a, g), positions in built.place.items()
        for p, var in positions.items()
        if p == built.problem.agents[a].groups[g].original
    ]
    # The day as published: every decision at its published value.
    model.minimize(built.understaffing)
    model.add_assumptions(keep)
    solver = _solver(settings, BASELINE_SHARE * (deadline - time.monotonic()))
    if solve(solver, model, cancel=settings.cancel) not in _FOUND:
        empty = np.zeros((built.problem.last - built.problem.first, len(built.problem.work_types)))
        return "UNKNOWN", empty, empty, _Choice({}, {})
    before, baseline, baseline_short = _covered(built, solver), _choice(built, solver), solver.objective_value
    model.clear_assumptions()
    # The greedy re-plan from there, completed by CP-SAT with its decisions fixed: the start if it is better.
    start = solver
    spans, breaks = greedy_changes(
        built.problem,
        {a: True for a in built.use},
        *_pool_allocation(built, solver),
        settings.weights,
        settings.max_changes,
        deadline=time.monotonic() + GREEDY_SHARE * (deadline - time.monotonic()),
    )
    if spans or breaks:
        model.add_assumptions(_literals(built, _Choice(spans, breaks)))
        greedy = _solver(settings, BASELINE_SHARE * (deadline - time.monotonic()))
        if solve(greedy, model, cancel=settings.cancel) in _FOUND and greedy.objective_value < baseline_short:
            start = greedy
        model.clear_assumptions()
    # 1. The understaffing of the rest of the day, from the better start.
    _hint_all(model, start)
    solver = _solver(settings, FIRST_SHARE * (deadline - time.monotonic()))
    status = solve(solver, model, cancel=settings.cancel)
    if status not in _FOUND or solver.objective_value > baseline_short:
        return "UNKNOWN", before, before, baseline
    short = int(round(solver.objective_value))
    found, after = _choice(built, solver), _covered(built, solver)
    # 2. The cost of the changes, then the agents disturbed, at that understaffing.
    model.add(built.understaffing <= short)
    agents = len(built.problem.agents) + 1
    model.minimize(agents * built.cost + built.disturbed)
    _hint_all(model, solver)
    solver2 = _solver(settings, deadline - time.monotonic())
    status2 = solve(solver2, model, cancel=settings.cancel)
    if status2 in _FOUND:
        final = "OPTIMAL" if status == cp_model.OPTIMAL and status2 == cp_model.OPTIMAL else "FEASIBLE"
        return final, before, _covered(built, solver2), _choice(built, solver2)
    return "FEASIBLE", before, after, found


def _evaluate(
    problem: IntradayProblem, choice: _Choice, settings: IntradaySettings, fallback: np.ndarray, deadline: float
) -> np.ndarray:
    """The allocation of `choice` (its decisions fixed, a fresh model, a short solve up to the deadline, at least
    a quarter of a second), or `fallback`."""
    built = IntradayModel(problem, settings.weights).build()
    built.model.minimize(built.understaffing)
    built.model.add_assumptions(_literals(built, choice))
    solver = _solver(settings, min(2.0, max(0.25, deadline - time.monotonic())))
    found = solve(solver, built.model, cancel=settings.cancel) in _FOUND
    return _covered(built, solver) if found else fallback


def _pool_allocation(built: IntradayModel, solver: cp_model.CpSolver) -> tuple[np.ndarray, np.ndarray]:
    """Agents allocated per (pool, window interval, work type) and spare per (pool, window interval)."""
    p = built.problem
    width = p.last - p.first
    allocation = np.zeros((len(p.pools), width, len(p.work_types)), dtype=np.int64)
    for (pool, t, w), var in built.allocate.items():
        allocation[pool, t - p.first, w] = solver.value(var)
    on = np.zeros((len(p.pools), width), dtype=np.int64)
    for (pool, t), expr in built.on.items():
        on[pool, t - p.first] = solver.value(expr)
    return allocation, np.clip(on - allocation.sum(axis=2), 0, None)


def _literals(built: IntradayModel, choice: _Choice) -> list[cp_model.IntVar]:
    """The decision literals of `choice` (absent agents and breaks: as published)."""
    out = [vars_[choice.spans.get(a, 0)] for a, vars_ in built.use.items()]
    for (a, g), positions in built.place.items():
        wanted = choice.breaks.get((a, g), built.problem.agents[a].groups[g].original)
        if wanted in positions and built.problem.agents[a].spans[choice.spans.get(a, 0)].movable_breaks:
            out.append(positions[wanted])
    return out


def _hint_all(model: cp_model.CpModel, solver: cp_model.CpSolver) -> None:
    """Hint every variable at its value in `solver`'s solution (a complete, feasible hint)."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    for i in range(len(model.proto.variables)):
        var = model.get_int_var_from_proto_index(i)
        model.add_hint(var, solver.value(var))


def _covered(built: IntradayModel, solver: cp_model.CpSolver) -> np.ndarray:
    p = built.problem
    out = np.zeros((p.last - p.first, len(p.work_types)))
    for (_, t, w), var in built.allocate.items():
        out[t - p.first, w] += solver.value(var)
    return out


def _choice(built: IntradayModel, solver: cp_model.CpSolver) -> _Choice:
    spans = {a: next(j for j, v in enumerate(vars_) if solver.boolean_value(v)) for a, vars_ in built.use.items()}
    breaks = {
        key: next(p for p, v in positions.items() if solver.boolean_value(v))
        for key, positions in built.place.items()
        if any(solver.boolean_value(v) for v in positions.values())
    }
    return _Choice(spans, breaks)


def _hhmm(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%H:%M")


def _new_roster(problem: IntradayProblem, choice: _Choice) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The published roster with the day's decisions applied, and one change row per action."""
    roster = problem.roster.copy()
    for column, default in (("overtime_minutes", 0), ("vto_minutes", 0)):
        if column not in roster:
            roster[column] = default
    if "absences" not in roster:
        roster["absences"] = [[] for _ in range(len(roster))]
    if "pinned" not in roster:
        roster["pinned"] = False
    day = problem.date
    dates = pd.to_datetime(roster["date"]).dt.date if not roster.empty else pd.Series([], dtype=object)
    position = {
        str(agent_id): i for i, (agent_id, d) in enumerate(zip(roster["agent_id"], dates, strict=True)) if d == day
    }
    rows: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    away: dict[int, list[list[str]]] = {}
    for a, agent_day in enumerate(problem.agents):
        agent_id = agent_day.agent.id
        j = choice.spans.get(a, 0)
        span = agent_day.spans[j]
        for absence in agent_day.absences:
            rows.append(_absence_row(problem, agent_day, absence))
        if agent_day.row is None:
            if span.kind == "call_in":
                record = _record(problem, agent_id, span, list(span.breaks))
                new_rows.append(record)
                rows.append(
                    _change(
                        agent_id,
                        "call_in",
                        problem.stamp(span.start),
                        problem.stamp(span.end),
                        "off",
                        f"shift {_hhmm(problem.stamp(span.start))}-{_hhmm(problem.stamp(span.end))} ({span.template})",
                        span.cost,
                    )
                )
            continue
        i = position[agent_id]
        if agent_day.absences:
            away[i] = _absence_cells(problem, agent_day)
        if j == 0 and not any(
            choice.breaks.get((a, g), group.original) != group.original for g, group in enumerate(agent_day.groups)
        ):
            continue
        published = agent_day.row["record"]
        old = f"shift {_hhmm(pd.Timestamp(published['start']))}-{_hhmm(pd.Timestamp(published['end']))}"
        if span.movable_breaks:
            placed = []
            for b0, b1 in agent_day.row["breaks"]:
                g = next((g for g, grp in enumerate(agent_day.groups) if grp.original == b0), None)
                start = choice.breaks.get((a, g), b0) if g is not None else b0
                placed.append((start, b1 - b0))
                if g is not None and start != b0:
                    group = agent_day.groups[g]
                    moved_to = f"{_hhmm(problem.stamp(start))}-{_hhmm(problem.stamp(start + group.duration))}"
                    rows.append(
                        _change(
                            agent_id,
                            "break_move",
                            problem.stamp(start),
                            problem.stamp(start + group.duration),
                            f"{group.name} {_hhmm(problem.stamp(b0))}-{_hhmm(problem.stamp(b1))}",
                            f"{group.name} {moved_to}",
                            problem.costs.break_move,
                        )
                    )
        else:
            placed = list(span.breaks)
        record = _record(problem, agent_id, span, placed, published)
        for key, value in record.items():
            roster.at[roster.index[i], key] = value
        new = f"shift {_hhmm(problem.stamp(span.start))}-{_hhmm(problem.stamp(span.end))}"
        if span.kind == "overtime":
            rows.append(
                _change(
                    agent_id,
                    "overtime",
                    pd.Timestamp(published["end"]),
                    problem.stamp(span.end),
                    old,
                    f"{new} ({span.overtime_minutes} min overtime)",
                    span.cost,
                )
            )
        elif span.kind == "vto":
            rows.append(
                _change(
                    agent_id,
                    "vto",
                    problem.stamp(span.end),
                    pd.Timestamp(published["end"]),
                    old,
                    f"{new} ({span.vto_minutes} min voluntary time off)",
                    span.cost,
                )
            )
        elif span.kind == "start_move":
            rows.append(
                _change(agent_id, "start_move", problem.stamp(span.start), problem.stamp(span.end), old, new, span.cost)
            )
    roster["absences"] = [away.get(i, cell) for i, cell in enumerate(roster["absences"])]
    if new_rows:
        roster = pd.concat([roster, pd.DataFrame(new_rows)], ignore_index=True)
        roster = roster.sort_values(["agent_id", "date"], kind="stable").reset_index(drop=True)
    return roster, rows


def _record(
    problem: IntradayProblem,
    agent_id: str,
    span: Span,
    breaks: list[tuple[int, int]],
    published: dict[str, Any] | None = None,
) -> dict[str, Any]:
    start, end = problem.stamp(span.start), problem.stamp(span.end)
    record: dict[str, Any] = {
        "agent_id": agent_id,
        "date": problem.date,
        "start": start,
        "end": end,
        "shift_template": span.template,
        "breaks": [[problem.stamp(b).isoformat(), problem.stamp(b + d).isoformat()] for b, d in breaks],
        "paid_minutes": span.paid_minutes,
        "overtime_minutes": span.overtime_minutes,
        "vto_minutes": span.vto_minutes,
    }
    if published is None:
        record["pinned"] = False
        record["absences"] = []
    return record


def _absence_cells(problem: IntradayProblem, day: AgentDay) -> list[list[str]]:
    assert day.row is not None
    start, end = pd.Timestamp(day.row["record"]["start"]), pd.Timestamp(day.row["record"]["end"])
    cells = []
    for absence in day.absences:
        a, b = max(absence.start, start), min(absence.end, end)
        if b > a:
            cells.append([a.isoformat(), b.isoformat()])
    return cells


def _absence_row(problem: IntradayProblem, day: AgentDay, absence: Any) -> dict[str, Any]:
    start, end = absence.start, absence.end
    if day.row is None:
        before = "off"
    else:
        record = day.row["record"]
        shift_start, shift_end = pd.Timestamp(record["start"]), pd.Timestamp(record["end"])
        before = f"shift {_hhmm(shift_start)}-{_hhmm(shift_end)}"
        if max(start, shift_start) < min(end, shift_end):  # the part of the shift lost
            start, end = max(start, shift_start), min(end, shift_end)
    reason = f" ({absence.reason})" if absence.reason else ""
    return _change(day.agent.id, "absence", start, end, before, f"absent{reason}", 0.0)


def _change(
    agent_id: str, kind: str, start: pd.Timestamp, end: pd.Timestamp, before: str, after: str, cost: float
) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "change": kind,
        "start": start,
        "end": end,
        "before": before,
        "after": after,
        "cost": round(float(cost), 2),
    }
