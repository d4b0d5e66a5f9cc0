"""The intraday re-plan as a CP-SAT model: one function per rule, each adding its constraints or its term.

Decisions: per agent, one span of its menu (`use`); per movable break of a published shift, its start (`place`),
taken only when the span keeps the published start. Agents with the same skills form a pool; each pool's agents
on duty per interval of the window are allocated to work types (re-allocation is free: the allocation is not a
change). Understaffing is tiered and priority-weighted as in the weekly roster (`tiered_shortfall`).

Two objectives, in order (`solver.py` solves them lexicographically): the understaffing of the rest of the day,
then the cost of the changes (disruption plus the pay they add, less the pay voluntary time off saves) with the
number of agents disturbed as the tie-break. `max_changes` caps the number of changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from planner.intraday.problem import IntradayProblem
from planner.roster.model import RosterWeights, tiered_shortfall

__all__ = ["CENTS", "IntradayModel"]

#: Change costs are counted in hundredths of a point, so that they are integers.
CENTS = 100

LinearExpr = Any


@dataclass
class IntradayModel:
    problem: IntradayProblem
    weights: RosterWeights = field(default_factory=RosterWeights)
    max_changes: int | None = None
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    use: dict[int, list[cp_model.IntVar]] = field(default_factory=dict)  # agent -> span -> bool
    place: dict[tuple[int, int], dict[int, cp_model.IntVar]] = field(default_factory=dict)  # (agent, break) -> pos
    on: dict[tuple[int, int], LinearExpr] = field(default_factory=dict)  # (pool, t) -> agents on duty
    allocate: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)  # (pool, t, w)
    covered: dict[tuple[int, int], LinearExpr] = field(default_factory=dict)  # (t, w) -> agents
    changes: LinearExpr = 0
    disturbed: LinearExpr = 0
    understaffing: LinearExpr = 0
    cost: LinearExpr = 0  # cents

    def freeze(self, agent: int) -> None:
        """Keep this agent's day as published (no change of theirs is proposed)."""
        _freeze(self, agent)

    def build(self) -> IntradayModel:
        _decisions(self)
        _on_duty(self)
        _allocation(self)
        self.understaffing = understaffing(self)
        self.cost, self.changes, self.disturbed = changes(self)
        if self.max_changes is not None:
            self.model.add(self.changes <= self.max_changes)
        return self


def _freeze(m: IntradayModel, a: int) -> None:
    """Agent `a`'s day as published: its first span, its breaks where they were."""
    m.model.add(m.use[a][0] == 1)
    for g, group in enumerate(m.problem.agents[a].groups):
        for position, var in m.place[a, g].items():
            if position != group.original:
                m.model.add(var == 0)


def _decisions(m: IntradayModel) -> None:
    """One span per agent that has a choice; each movable break at one of its positions, in a span that keeps the
    published start and leaves room for it."""
    model = m.model
    for a, day in enumerate(m.problem.agents):
        if day.fixed:
            continue
        vars_ = [model.new_bool_var(f"use[{day.agent.id},{j}]") for j in range(len(day.spans))]
        model.add_exactly_one(vars_)
        m.use[a] = vars_
        movable = [j for j, span in enumerate(day.spans) if span.movable_breaks]
        for g, group in enumerate(day.groups):
            positions = {p: model.new_bool_var(f"break[{day.agent.id},{g},{p}]") for p in group.positions}
            model.add(sum(positions.values()) == sum(vars_[j] for j in movable))
            for p, var in positions.items():
                fits = [vars_[j] for j in movable if p + group.duration <= day.spans[j].end]
                if len(fits) < len(movable):
                    model.add(var <= sum(fits))
            m.place[a, g] = positions


def _runs(intervals: np.ndarray) -> list[tuple[int, int]]:
    if intervals.size == 0:
        return []
    cut = np.flatnonzero(np.diff(intervals) != 1)
    begins = np.concatenate([[intervals[0]], intervals[cut + 1]])
    ends = np.concatenate([intervals[cut] + 1, [intervals[-1] + 1]])
    return [(int(b), int(e)) for b, e in zip(begins, ends, strict=True)]


def _on_duty(m: IntradayModel) -> None:
    """Agents on duty per pool and interval of the window, by differences: on[t] = on[t-1] + (spans and breaks'
    ends starting duty at t) - (those leaving it at t), plus what no decision moves."""
    p, model = m.problem, m.model
    first, last = p.first, p.last
    constant = p.fixed_on.astype(np.int64).copy()
    delta: dict[int, dict[int, list[tuple[int, cp_model.IntVar]]]] = defaultdict(lambda: defaultdict(list))
    upper = np.zeros((len(p.pools), last - first), dtype=np.int64)
    for a, day in enumerate(p.agents):
        if a not in m.use:
            for span in day.spans[:1]:
                on = np.setdiff1d(span.on, day.fixed_off) if span.movable_breaks else span.on
                on = on[(on >= first) & (on < last)]
                constant[day.pool, on - first] += 1
                if span.movable_breaks:  # breaks that cannot move
                    for group in day.groups:
                        lo, hi = max(group.original, first), min(group.original + group.duration, last)
                        constant[day.pool, lo - first : max(hi, lo) - first] -= 1
            continue
        reach = np.zeros(last - first, dtype=bool)
        for j, span in enumerate(day.spans):
            on = np.setdiff1d(span.on, day.fixed_off) if span.movable_breaks else span.on
            on = on[(on >= first) & (on < last)]
            reach[on - first] = True
            for begin, end in _runs(on):
                delta[day.pool][begin].append((1, m.use[a][j]))
                if end < last:
                    delta[day.pool][end].append((-1, m.use[a][j]))
        for g, group in enumerate(day.groups):
            for position, var in m.place[a, g].items():
                lo, hi = max(position, first), min(position + group.duration, last)
                if hi <= lo:
                    continue
                delta[day.pool][lo].append((-1, var))
                if hi < last:
                    delta[day.pool][hi].append((1, var))
        upper[day.pool] += reach
    for pool in range(len(p.pools)):
        previous: LinearExpr = 0
        for t in range(first, last):
            changes_here = delta[pool].get(t, [])
            if upper[pool, t - first] == 0:
                previous = 0
                if changes_here:
                    model.add(sum(c * v for c, v in changes_here) <= 0)
                on_var: LinearExpr = 0
            else:
                on_var = model.new_int_var(0, int(upper[pool, t - first]), f"on[{pool},{t}]")
                model.add(on_var == previous + sum(c * v for c, v in changes_here))
            previous = on_var
            m.on[pool, t] = on_var + int(max(constant[pool, t - first], 0))


def _allocation(m: IntradayModel) -> None:
    """Each pool's agents on duty go to the work types of their skills that want agents (free re-allocation)."""
    p, model = m.problem, m.model
    skill_of = [p.center.work_type(w).skill for w in p.work_types]
    by_cover: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (pool, t), on in m.on.items():
        wanted = [w for w in np.flatnonzero(p.required[t - p.first]) if skill_of[w] in p.pools[pool].skills]
        if not wanted or (isinstance(on, int) and on == 0):
            continue
        size = len(p.pools[pool].agents)
        vars_ = []
        for w in wanted:
            var = model.new_int_var(0, size, f"y[{pool},{t},{w}]")
            m.allocate[pool, t, int(w)] = var
            by_cover[t, int(w)].append(var)
            vars_.append(var)
        model.add(sum(vars_) <= on)
    for key, vars_ in by_cover.items():
        m.covered[key] = sum(vars_)


def understaffing(m: IntradayModel) -> LinearExpr:
    """Missing agents per interval x work type of the rest of the day, tiered and weighted by priority."""
    p = m.problem
    terms: list[LinearExpr] = []
    factor = p.horizon.interval_minutes
    for row, w in zip(*np.nonzero(p.required), strict=True):
        t = int(row) + p.first
        level = p.center.work_type(p.work_types[w]).priority
        cover = m.covered.get((t, int(w)), 0)
        terms += tiered_shortfall(m.model, m.weights, level, int(p.required[row, w]), cover, factor, f"short[{t},{w}]")
    return sum(terms)


def changes(m: IntradayModel) -> tuple[LinearExpr, LinearExpr, LinearExpr]:
    """The cost of the changes (cents), how many there are, and how many agents they disturb."""
    p, model = m.problem, m.model
    cost: list[LinearExpr] = []
    count: list[LinearExpr] = []
    disturbed: list[LinearExpr] = []
    for a, vars_ in m.use.items():
        day = p.agents[a]
        moved: list[cp_model.IntVar] = list(vars_[1:])
        cost += [round(span.cost * CENTS) * var for span, var in zip(day.spans[1:], vars_[1:], strict=True)]
        for g, group in enumerate(day.groups):
            for position, var in m.place[a, g].items():
                if position != group.original:
                    moved.append(var)
        break_moves = [v for v in moved[len(vars_) - 1 :]]
        cost += [round(_break_cost(p) * CENTS) * v for v in break_moves]
        if not moved:
            continue
        count += moved
        flag = model.new_bool_var(f"disturbed[{day.agent.id}]")
        for var in moved:
            model.add_implication(var, flag)
        disturbed.append(flag)
    return sum(cost), sum(count), sum(disturbed)


def _break_cost(p: IntradayProblem) -> float:
    return p.costs.break_move
