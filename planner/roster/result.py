"""What a roster solve returns: the roster and coverage tables, the KPIs, and how the solve went."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models import Center, Mode
from models.tables import COVERAGE, ROSTER
from models.workforce import weekend_start
from planner.roster.problem import RosterProblem
from planner.shifts import change_minutes, paid_cost
from planner.staffing.erlang import erlang_a, erlang_c_metrics
from planner.staffing.requirements import effective_concurrency

__all__ = ["Progress", "RosterResult", "coverage_table", "expected_service_level", "kpis", "roster_table"]


@dataclass(frozen=True)
class Progress:
    """The first phase's state when a better roster or a better bound was found: seconds since the solve began,
    objective of the best roster and the best bound (points), and what found it (`source`: "warm start", "whole
    model", "lns:<neighbourhood>", "bound"). The first entry is the warm start."""

    elapsed_s: float
    objective: float
    bound: float
    source: str = ""

    @property
    def gap(self) -> float:
        return _gap(self.objective, self.bound)


def _gap(objective: float, bound: float) -> float:
    """Relative gap to the proven bound, as CP-SAT reports it: |objective - bound| / max(|objective|, 1)."""
    return abs(objective - bound) / max(abs(objective), 1.0)


@dataclass
class RosterResult:
    """A solved roster. `status` is CP-SAT's for the first phase (OPTIMAL, FEASIBLE); `objective`, `best_bound`
    and `breakdown` are in points (1 point = one unit of pay) with breaks at their nominal place; the tables and
    `kpis` are for the final roster, breaks placed. `interrupted`: the run was cancelled (Ctrl-C) and this is the
    best roster found until then (valid, but not searched to the time limit)."""

    status: str
    objective: float
    best_bound: float
    solve_time_s: float
    first_solution_s: float | None
    breakdown: dict[str, float]
    roster: pd.DataFrame
    coverage: pd.DataFrame
    kpis: dict[str, Any]
    progress: list[Progress] = field(default_factory=list)
    break_statuses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    #: What the large-neighbourhood search did (`planner.lns.LnsStats.as_dict`); empty where it did not run.
    search: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        return _gap(self.objective, self.best_bound)

    def summary(self) -> dict[str, Any]:
        """Everything but the tables, JSON-ready."""
        return {
            "status": self.status,
            "interrupted": self.interrupted,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "gap": self.gap,
            "solve_time_s": self.solve_time_s,
            "first_solution_s": self.first_solution_s,
            "breakdown": self.breakdown,
            "kpis": self.kpis,
            "progress": [
                {"elapsed_s": p.elapsed_s, "objective": p.objective, "bound": p.bound, "gap": p.gap, "source": p.source}
                for p in self.progress
            ],
            "break_statuses": self.break_statuses,
            "notes": self.notes,
            "search": self.search,
        }


def roster_table(
    problem: RosterProblem, shifts: dict[tuple[str, int], int], offsets: dict[tuple[str, int], tuple[int, ...]]
) -> pd.DataFrame:
    shapes = problem.shapes
    step = pd.Timedelta(minutes=problem.horizon.interval_minutes)
    rows = []
    for (agent, day), k in sorted(shifts.items()):
        start, end = shapes.timestamps(k)
        placed = offsets.get((agent, day), tuple(slot.nominal for slot in shapes.breaks[k]))
        breaks = [
            [(start + offset * step).isoformat(), (start + (offset + slot.duration) * step).isoformat()]
            for offset, slot in zip(placed, shapes.breaks[k], strict=True)
        ]
        rows.append(
            {
                "agent_id": agent,
                "date": problem.horizon.dates[day],
                "start": start,
                "end": end,
                "shift_template": shapes.template[k],
                "breaks": breaks,
                "paid_minutes": int(shapes.paid[k]),
                "pinned": problem.pins.get(agent, {}).get(day) == k,
            }
        )
    # A fresh roster has none of the day's changes (overtime, voluntary time off, absences): no such columns.
    columns = [*ROSTER.required, "pinned"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame["start"] = pd.DatetimeIndex(frame["start"]).tz_convert(problem.horizon.timezone)
    frame["end"] = pd.DatetimeIndex(frame["end"]).tz_convert(problem.horizon.timezone)
    return frame


def coverage_table(problem: RosterProblem, assigned: np.ndarray) -> pd.DataFrame:
    """Per interval x skill: required (whole agents of the requirement), scheduled (agents allocated to the
    skill's work types), shortfall and surplus."""
    skills = sorted({problem.center.work_type(w).skill for w in problem.work_types})
    skill_index = [skills.index(problem.center.work_type(w).skill) for w in problem.work_types]
    intervals = len(problem.horizon.intervals)
    required = np.zeros((intervals, len(skills)))
    scheduled = np.zeros((intervals, len(skills)))
    by_type = assigned.sum(axis=0)  # (intervals, work types)
    for w, s in enumerate(skill_index):
        required[:, s] += problem.smoothed[:, w]
        scheduled[:, s] += by_type[:, w]
    frame = pd.DataFrame(
        {
            "interval_start": np.repeat(problem.horizon.intervals, len(skills)),
            "skill": np.tile(skills, intervals),
            "required": required.ravel(),
            "scheduled": scheduled.ravel(),
        }
    )
    frame["shortfall"] = (frame["required"] - frame["scheduled"]).clip(lower=0)
    frame["surplus"] = (frame["scheduled"] - frame["required"]).clip(lower=0)
    return frame[list(COVERAGE.names)]


def kpis(
    problem: RosterProblem,
    requirement: pd.DataFrame,
    roster: pd.DataFrame,
    assigned: np.ndarray,
    on_duty: np.ndarray,
) -> dict[str, Any]:
    """Understaffing by priority, expected service level per work type at the covered staffing, deferred work done
    in time, paid hours and cost, fairness."""
    center, horizon = problem.center, problem.horizon
    hours = horizon.interval_minutes / 60
    covered = assigned.sum(axis=0)  # (intervals, work types)
    short = np.clip(problem.required - covered, 0, None)
    by_priority: dict[str, float] = defaultdict(float)
    service: dict[str, float | None] = {}
    deferred_in_time: dict[str, float | None] = {}
    index = np.searchsorted(horizon.intervals.asi8, pd.DatetimeIndex(requirement["interval_start"]).asi8)
    slots = effective_concurrency(center)  # the chats an agent of the skill really handles at once
    for w, work_type_id in enumerate(problem.work_types):
        work_type = center.work_type(work_type_id)
        by_priority[f"priority {work_type.priority}"] += float(short[:, w].sum() * hours)
        rows = (requirement["work_type"] == work_type_id).to_numpy()
        if work_type.mode is Mode.DEFERRED:
            deferred_in_time[work_type_id] = _in_time(problem.workload[:, w], covered[:, w], int(problem.window[w]))
            continue
        agents = covered[index[rows], w]
        service[work_type_id] = expected_service_level(center, work_type_id, requirement[rows], agents, slots)
    paid_hours = float(roster["paid_minutes"].sum() / 60) if not roster.empty else 0.0
    minutes = pd.DataFrame(
        {
            "agent_id": roster["agent_id"].astype(str),
            "paid": roster["paid_minutes"].astype(float),
            "overtime": change_minutes(roster, "overtime_minutes"),
        }
    )
    cost = 0.0
    for agent_id, paid, overtime in minutes.groupby("agent_id")[["paid", "overtime"]].sum().itertuples():
        cost += paid_cost(center, str(agent_id), float(paid), float(overtime))
    return {
        "understaffed_agent_hours": dict(sorted(by_priority.items())),
        "expected_service_level": service,
        "deferred_work_in_time": deferred_in_time,
        "paid_hours": paid_hours,
        "paid_cost": round(cost, 2),
        "shifts": len(roster),
        "agents_rostered": int(roster["agent_id"].nunique()) if not roster.empty else 0,
        "agent_hours_on_duty": float(on_duty.sum() * hours),
        "agent_hours_allocated": float(assigned.sum() * hours),
        **_fairness(problem, roster),
    }


def expected_service_level(
    center: Center,
    work_type_id: str,
    requirement: pd.DataFrame,
    agents: np.ndarray,
    slots: dict[str, float] | None = None,
) -> float | None:
    """The service level the staffing maths expects of a realtime work type over `requirement`'s rows (its
    `models.REQUIREMENT` rows) with `agents` allocated to it in each row: Erlang C, or Erlang A where the target
    has a patience, chats as concurrent slots (`slots`: `effective_concurrency`), weighted by volume. None where
    no work arrives."""
    work_type = center.work_type(work_type_id)
    slots = slots if slots is not None else effective_concurrency(center)
    load = requirement["workload_erlangs"].to_numpy(dtype=float)
    aht = requirement["aht_s"].to_numpy(dtype=float) if "aht_s" in requirement else np.full(len(load), work_type.aht_s)
    aht = np.where(np.isfinite(aht) & (aht > 0), aht, work_type.aht_s)
    if "aht_factor" in requirement:  # the effective handle time the load was computed with
        aht = aht * requirement["aht_factor"].fillna(1.0).to_numpy(dtype=float)
    n = np.asarray(agents, dtype=float) * slots[work_type_id]
    busy = load > 0
    if not busy.any():
        return None
    target = work_type.target
    if target.mean_patience_s is None:
        level = erlang_c_metrics(n[busy], load[busy], aht[busy], target.within_s).service_level
    else:
        m = erlang_a(np.maximum(n[busy], 1e-9), load[busy], aht[busy], target.mean_patience_s, target.within_s)
        level = m.service_level if target.service_level_over == "offered" else m.service_level_answered
    level = np.where(n[busy] > 0, level, 0.0)
    volume = load[busy] / aht[busy]
    return float(np.sum(level * volume) / np.sum(volume))


def _in_time(workload: np.ndarray, capacity: np.ndarray, window: int) -> float | None:
    """Share of the deferred work done within its window, first in first out, with `capacity` agents per interval
    (work still open at the horizon's end and not yet due counts as in time)."""
    total = workload.sum()
    if total <= 0:
        return None
    queue: list[list[float]] = []  # [arrival interval, work left]
    late = 0.0
    for t, (arrived, agents) in enumerate(zip(workload, capacity, strict=True)):
        if arrived > 0:
            queue.append([t, float(arrived)])
        budget = float(agents)
        while queue and budget > 1e-12:
            take = min(budget, queue[0][1])
            if t - queue[0][0] >= window:
                late += take
            queue[0][1] -= take
            budget -= take
            if queue[0][1] <= 1e-12:
                queue.pop(0)
    end = len(workload)
    late += sum(left for arrival, left in queue if end - arrival > window)
    return float(1 - late / total)


def _fairness(problem: RosterProblem, roster: pd.DataFrame) -> dict[str, Any]:
    center = problem.center
    weekends: dict[str, int] = {}
    late: dict[str, int] = {}
    target_gap: list[float] = []
    worked: dict[str, set[date]] = defaultdict(set)
    for agent_id, day in zip(roster["agent_id"], roster["date"], strict=True):
        worked[str(agent_id)].add(day)
    for agent in center.agents:
        weekend = center.weekend_days_of(center.contract_of(agent))
        starts = {weekend_start(d, weekend) for d in worked.get(agent.id, set())}
        weekends[agent.id] = len(starts - {None})
    for agent_id, rows in roster.groupby("agent_id"):
        definition = center.late_shift_of(center.contract_of(center.agent(str(agent_id))))
        local_start = pd.DatetimeIndex(rows["start"]).tz_convert(problem.horizon.timezone)
        local_end = pd.DatetimeIndex(rows["end"]).tz_convert(problem.horizon.timezone)
        days_later = np.array([(end - day).days for end, day in zip(local_end.date, rows["date"], strict=True)])
        late[str(agent_id)] = int(
            definition.is_late(
                (local_start.hour * 60 + local_start.minute).to_numpy(),
                days_later * 24 * 60 + (local_end.hour * 60 + local_end.minute).to_numpy(),
            ).sum()
        )
    for agent in center.agents:
        target = center.contract_of(agent).target_paid_minutes_week
        if target is not None:
            paid = roster.loc[roster["agent_id"] == agent.id, "paid_minutes"].sum() if not roster.empty else 0
            target_gap.append(abs(float(paid) - target * problem.horizon.days / 7) / 60)
    spread: dict[str, dict[str, int]] = {}
    for contract in center.contracts:
        members = [a.id for a in center.agents if a.contract == contract.id]
        if members:
            w = [weekends.get(a, 0) for a in members]
            lt = [late.get(a, 0) for a in members]
            spread[contract.id] = {"weekends_spread": max(w) - min(w), "late_shifts_spread": max(lt) - min(lt)}
    return {
        "fairness_by_contract": spread,
        "target_hours_mean_abs_gap": float(np.mean(target_gap)) if target_gap else 0.0,
    }
