"""The weekly roster as a CP-SAT model: one function per rule (docs/roster.md), each adding its hard constraints
and returning its named penalty term.

Decisions: a boolean per agent x allowed shift shape (at most one per day). Agents with the same skill set form a
pool; per pool and shape an integer counts the pool's agents on it, and coverage per pool x interval is the sum
of those counts (breaks at their nominal place: `planner/roster/breaks.py` places them afterwards). Each pool's
on-duty agents are allocated to work types per interval (`assign`): an agent covers one work type at a time.
Realtime demand is met per interval; deferred work is a backlog that must be cleared within its response window.

Every objective coefficient is an integer: the objective is in points x `SCALE` (1 point = one unit of pay).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from planner.roster.problem import RosterProblem

__all__ = [
    "AGENT_TERMS",
    "COUPLING_TERMS",
    "HARD_RULES",
    "RULES",
    "SCALE",
    "RosterModel",
    "RosterWeights",
    "shortfall_terms",
    "tiered_shortfall",
]

#: Objective units per point: minutes per hour, so per-hour weights times minutes stay integers.
SCALE = 60

#: A CP-SAT linear expression (or a constant); typed loosely, as ortools' own stubs are.
LinearExpr = Any


@dataclass(frozen=True)
class RosterWeights:
    """What each soft rule costs, in points (1 point = one unit of pay). Defaults: a missing priority-1 agent
    costs several hours of pay per hour, so coverage of urgent work comes first, then cost, then wishes."""

    #: Per missing agent-hour, by how many agents are already missing (1st, 2nd-3rd, 4th+): convex.
    understaffing_tiers: tuple[int, int, int] = (40, 80, 160)
    #: Multiplier of the understaffing and backlog costs by work-type priority (1 is the highest).
    priority_factor: tuple[int, ...] = (4, 3, 2, 1)
    #: Per agent-hour of deferred work past its deadline, per hour it stays late.
    deferred_late: int = 20
    #: Per agent-hour on duty beyond the total requirement (on top of their pay).
    overstaffing: int = 5
    #: Per unit of pay (hourly cost x paid hours).
    paid_cost: int = 1
    #: Per hour between a shift's start and the agent's preferred start.
    preferred_start: int = 2
    #: Per shift on one of the agent's preferred days off.
    preferred_days_off: int = 15
    #: Per unit of spread (most - fewest) of working weekends within a contract.
    fair_weekends: int = 30
    #: Per unit of spread of late shifts within a contract.
    fair_late_shifts: int = 10
    #: Per hour of distance from the contract's weekly target hours, per agent and week.
    target_hours: int = 5

    def priority(self, level: int) -> int:
        return self.priority_factor[min(level, len(self.priority_factor)) - 1]


@dataclass
class RosterModel:
    """The CP-SAT model of a `RosterProblem` and its variables; `terms` holds each soft rule's expression."""

    problem: RosterProblem
    weights: RosterWeights = field(default_factory=RosterWeights)
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    shift: dict[str, dict[int, cp_model.IntVar]] = field(default_factory=dict)  # agent -> shape -> bool
    works: dict[str, list[cp_model.IntVar | int]] = field(default_factory=dict)  # agent -> day -> bool (or 0)
    count: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (pool, shape) -> agents
    on_duty: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (pool, interval) -> agents
    assign: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)  # (pool, interval, w)
    covered: dict[tuple[int, int], LinearExpr] = field(default_factory=dict)  # (interval, w) -> agents
    weekends: dict[str, list[cp_model.IntVar | int]] = field(default_factory=dict)  # agent -> weekend -> bool
    terms: dict[str, LinearExpr] = field(default_factory=dict)
    # interval -> the indices of the variables that describe only that interval (on duty, allocation, shortfall,
    # surplus, backlog): the neighbourhood search fixes those of the intervals it does not free.
    interval_vars: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def build(self, rules: Iterable[str] | None = None, *, pools: bool = True) -> RosterModel:
        """Add the decisions and the rules (all of `RULES` by default, else those named, in `RULES`' order) and
        minimise the sum of the soft rules' terms. `pools=False` leaves out the pools' on-duty counts and the
        allocation to work types (a model of the agents' own rules and terms only, which no coverage rule may
        then read)."""
        _shift_decisions(self)
        if pools:
            _pool_decisions(self)
        chosen = set(RULES) if rules is None else set(rules)
        unknown = chosen - set(RULES)
        if unknown:
            raise ValueError(f"unknown roster rules: {sorted(unknown)}")
        for name, rule in RULES.items():
            if name not in chosen:
                continue
            term = rule(self)
            if term is not None:
                self.terms[name] = term
        self.model.minimize(sum(self.terms.values()))
        return self

    def weekend_vars(self, agent_id: str) -> list[cp_model.IntVar | int]:
        """One boolean per weekend of the horizon: the agent works one of its days (made on first use)."""
        return _weekend_vars(self, agent_id)

    def variables_since(self, t: int, first: int) -> None:
        """File the variables created since index `first` under interval `t` (`interval_vars`)."""
        self.interval_vars[t].extend(range(first, len(self.model.proto.variables)))

    def interval_factor(self) -> int:
        """Objective units of one agent-interval at a per-hour weight of 1 (the interval's minutes)."""
        return self.problem.horizon.interval_minutes


def _shift_decisions(m: RosterModel) -> None:
    """Shift choice per agent (at most one a day) and whether the agent works each day."""
    p, model = m.problem, m.model
    shapes = p.shapes
    for agent_id, options in p.options.items():
        m.shift[agent_id] = {int(k): model.new_bool_var(f"x[{agent_id},{k}]") for k in options.shapes}
        by_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for k, var in m.shift[agent_id].items():
            by_day[int(shapes.day[k])].append(var)
        days: list[cp_model.IntVar | int] = []
        for d in range(p.horizon.days):
            if by_day.get(d):
                work = model.new_bool_var(f"work[{agent_id},{d}]")
                model.add(sum(by_day[d]) == work)  # at most one shift a day (one_shift_per_day)
                days.append(work)
            else:
                days.append(0)
        m.works[agent_id] = days


def _pool_decisions(m: RosterModel) -> None:
    """Counts per pool x shape, on-duty agents per pool x interval, allocation to work."""
    p, model = m.problem, m.model
    shapes = p.shapes
    # On duty per pool x interval, by differences: on[t] = on[t - 1] + (shifts starting or coming back from a
    # break at t) - (shifts ending or going on a break at t). Each shape then appears in a few constraints, not in
    # one per interval it covers.
    intervals = len(p.horizon.intervals)
    for pool_index, pool in enumerate(p.pools):
        members: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for agent_id in pool.agents:
            for k, var in m.shift[agent_id].items():
                members[k].append(var)
        change: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        upper = np.zeros(intervals + 1, dtype=np.int64)
        for k, vars_ in sorted(members.items()):
            count = model.new_int_var(0, len(vars_), f"n[{pool_index},{k}]")
            model.add(count == sum(vars_))
            m.count[pool_index, k] = count
            covered = shapes.covered(k)
            if covered.size == 0:
                continue
            runs = np.flatnonzero(np.diff(covered) != 1)
            begins = np.concatenate([[covered[0]], covered[runs + 1]])
            ends = np.concatenate([covered[runs] + 1, [covered[-1] + 1]])
            for begin, end in zip(begins, ends, strict=True):
                change[int(begin)].append((1, count))
                change[int(end)].append((-1, count))
                upper[begin:end] += len(vars_)
        previous: cp_model.IntVar | int = 0
        for t in range(intervals):
            if upper[t] == 0:
                if change.get(t) and not isinstance(previous, int):
                    model.add(previous + sum(sign * c for sign, c in change[t]) == 0)
                previous = 0
                continue
            on = model.new_int_var(0, int(upper[t]), f"on[{pool_index},{t}]")
            m.interval_vars[t].append(on.index)
            model.add(on == previous + sum(sign * c for sign, c in change.get(t, [])))
            m.on_duty[pool_index, t] = on
            previous = on
    # Allocation: where a work type of the pool's skills has demand (realtime) or work to do (deferred).
    skill_of = [p.center.work_type(w).skill for w in p.work_types]
    demand = (p.required > 0) | (p.deferred[None, :] & _deferred_open(p))
    by_cover: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (pool_index, t), on in m.on_duty.items():
        pool = p.pools[pool_index]
        vars_ = []
        for w in np.flatnonzero(demand[t]):
            if skill_of[w] in pool.skills:
                var = model.new_int_var(0, len(pool.agents), f"y[{pool_index},{t},{w}]")
                m.interval_vars[t].append(var.index)
                m.assign[pool_index, t, int(w)] = var
                by_cover[t, int(w)].append(var)
                vars_.append(var)
        if vars_:
            model.add(sum(vars_) <= on)
    for key, vars_ in by_cover.items():
        m.covered[key] = sum(vars_)


def _deferred_open(p: RosterProblem) -> np.ndarray:
    mask = np.zeros(p.required.shape, dtype=bool)
    for w, work_type in enumerate(p.work_types):
        if p.deferred[w]:
            mask[:, w] = p.center.is_open(work_type, p.horizon.intervals)
    return mask


# -- hard rules -------------------------------------------------------------------------------------------------


def weekly_paid_minutes(m: RosterModel) -> None:
    """Per agent and week: minimum <= paid minutes <= maximum (prorated, less the time-off credit)."""
    p = m.problem
    for agent_id, shifts in m.shift.items():
        for limits in p.week_limits(agent_id):
            paid = [
                int(p.shapes.paid[k]) * var
                for k, var in shifts.items()
                if limits.first_day <= p.shapes.day[k] < limits.first_day + limits.days
            ]
            if not paid:
                continue
            total = sum(paid)
            m.model.add(total <= limits.max_paid)
            if limits.min_paid > 0:
                m.model.add(total >= limits.min_paid)


def weekly_working_days(m: RosterModel) -> None:
    p = m.problem
    for agent_id, days in m.works.items():
        for limits in p.week_limits(agent_id):
            live = [w for w in days[limits.first_day : limits.first_day + limits.days] if not isinstance(w, int)]
            if len(live) > limits.max_days:
                m.model.add(sum(live) <= limits.max_days)


def min_rest(m: RosterModel) -> None:
    """Between shifts on days d < e: if the shift on d ends at or after some end E, none on e starts before
    E + rest. One constraint per distinct end that conflicts, over suffix/prefix sums (exact, and strong)."""
    p, shapes = m.problem, m.problem.shapes
    for agent_id, shifts in m.shift.items():
        rest = p.center.contract_of(p.options[agent_id].agent).min_rest_minutes
        by_day: dict[int, list[int]] = defaultdict(list)
        for k in shifts:
            by_day[int(shapes.day[k])].append(k)
        for d, today in by_day.items():
            ends = np.array([shapes.end[k] for k in today])
            for e in range(d + 1, p.horizon.days):
                later = by_day.get(e, [])
                if not later:
                    continue
                later_starts = np.array([shapes.start[k] for k in later])
                if ends.max() + rest <= later_starts.min():
                    if e > d + 1:
                        break
                    continue
                for limit in np.unique(ends):
                    if limit + rest <= later_starts.min():
                        continue
                    finishing = [shifts[k] for k, end in zip(today, ends, strict=True) if end >= limit]
                    starting = [shifts[k] for k, start in zip(later, later_starts, strict=True) if start < limit + rest]
                    m.model.add(sum(finishing) + sum(starting) <= 1)


def max_consecutive_days(m: RosterModel) -> None:
    """No more than K worked days in any K + 1 consecutive days, the days before the horizon included."""
    p = m.problem
    for agent_id, days in m.works.items():
        limit = p.center.contract_of(p.options[agent_id].agent).max_consecutive_days
        before = [int(w) for w in p.previous_worked.get(agent_id, [])]
        series: list[cp_model.IntVar | int] = [*before, *days]
        offset = len(before)
        for end in range(offset, len(series)):
            start = end - limit
            if start < 0:
                continue
            window = series[start : end + 1]
            if any(not isinstance(v, int) for v in window):
                m.model.add(sum(window) <= limit)


def min_consecutive_days_off(m: RosterModel) -> None:
    """A run of days off after a worked day lasts at least k days (unless it reaches the horizon's end)."""
    p = m.problem
    for agent_id, days in m.works.items():
        k = p.center.contract_of(p.options[agent_id].agent).min_consecutive_days_off
        if k < 2:
            continue
        before = [int(w) for w in p.previous_worked.get(agent_id, [])]
        series: list[cp_model.IntVar | int] = [*before, *days]
        offset = len(before)
        horizon_end = len(series)
        for d in range(max(1, offset - k + 1), horizon_end):
            for j in range(1, k):
                if d + j >= horizon_end or d + j < offset:
                    continue
                worked_before, off_at, worked_after = series[d - 1], series[d], series[d + j]
                if isinstance(worked_before, int) and worked_before == 0:
                    continue
                if isinstance(worked_after, int) and worked_after == 0:
                    continue
                m.model.add(worked_before - off_at + worked_after <= 1)


def max_working_weekends(m: RosterModel) -> None:
    """Weekends (the contract's weekend days, else the centre's, grouped as `RosterProblem.weekends` groups them)
    with any shift: at most the contract's number over the horizon."""
    p = m.problem
    for agent_id in m.works:
        limit = p.center.contract_of(p.options[agent_id].agent).max_working_weekends
        if limit is None:
            continue
        worked = [w for w in _weekend_vars(m, agent_id) if not isinstance(w, int)]
        if worked:
            m.model.add(sum(worked) <= limit)


def pinned(m: RosterModel) -> None:
    for agent_id, pins in m.problem.pins.items():
        for _, k in pins.items():
            m.model.add(m.shift[agent_id][k] == 1)


def _weekend_vars(m: RosterModel, agent_id: str) -> list[cp_model.IntVar | int]:
    """One boolean per weekend of the horizon (the agent's contract's weekend): the agent works one of its days."""
    if agent_id in m.weekends:
        return m.weekends[agent_id]
    days = m.works[agent_id]
    out: list[cp_model.IntVar | int] = []
    for first, members in m.problem.weekends(agent_id).items():
        live = [days[d] for d in members if not isinstance(days[d], int)]
        if not live:
            out.append(0)
            continue
        weekend = m.model.new_bool_var(f"weekend[{agent_id},{first}]")
        m.model.add_max_equality(weekend, live)
        out.append(weekend)
    m.weekends[agent_id] = out
    return out


# -- soft rules -------------------------------------------------------------------------------------------------


def shortfall_terms(
    model: cp_model.CpModel,
    problem: RosterProblem,
    weights: RosterWeights,
    t: int,
    w: int,
    need: int,
    cover: LinearExpr,
    factor: int = 1,
) -> list[LinearExpr]:
    """Missing agents of (interval t, work type w) in three tiers of rising cost (the 1st, the 2nd-3rd, the 4th
    and more), times the work type's priority factor and `factor`: cover + missing >= need. The weighted pieces."""
    level = problem.center.work_type(problem.work_types[w]).priority
    return tiered_shortfall(model, weights, level, need, cover, factor, f"short[{t},{w}]")


def tiered_shortfall(
    model: cp_model.CpModel,
    weights: RosterWeights,
    priority: int,
    need: int,
    cover: LinearExpr,
    factor: int = 1,
    name: str = "short",
) -> list[LinearExpr]:
    """The missing agents of one demand cell (`need` agents, `cover` on it) in three tiers of rising cost, times
    the priority factor of `priority` (1 highest) and `factor`: cover + missing >= need. The weighted pieces."""
    weight_of_priority = weights.priority(priority)
    pieces: list[cp_model.IntVar] = []
    terms: list[LinearExpr] = []
    left = need
    for size, weight in zip((1, 2, None), weights.understaffing_tiers, strict=True):
        width = left if size is None else min(size, left)
        if width <= 0:
            break
        piece = model.new_int_var(0, width, f"{name}#{len(pieces)}")
        pieces.append(piece)
        terms.append(weight * weight_of_priority * factor * piece)
        left -= width
    model.add(cover + sum(pieces) >= need)
    return terms


def understaffing(m: RosterModel) -> LinearExpr:
    """Missing agents per interval x realtime work type, in three tiers of rising cost (1, 2-3, 4+)."""
    p = m.problem
    terms = []
    for t, w in zip(*np.nonzero(p.required), strict=True):
        cover = m.covered.get((int(t), int(w)), 0)
        first = len(m.model.proto.variables)
        terms += shortfall_terms(
            m.model, p, m.weights, int(t), int(w), int(p.required[t, w]), cover, m.interval_factor()
        )
        m.variables_since(int(t), first)
    return sum(terms)


def deferred_backlog(m: RosterModel) -> LinearExpr:
    """Deferred work as a backlog: B_t = B_(t-1) + arrived_t - done_t >= 0, done_t <= agents on it; the part of
    B_t older than the response window is late and costs per interval it stays late. Work in tenths of an
    agent-interval."""
    p, w8 = m.problem, m.weights
    terms = []
    intervals = len(p.horizon.intervals)
    for w in np.flatnonzero(p.deferred):
        arrived = np.round(p.workload[:, w] * 10).astype(np.int64)
        if arrived.sum() == 0:
            continue
        window = int(p.window[w])
        priority = w8.priority(p.center.work_type(p.work_types[w]).priority)
        total = int(arrived.sum())
        recent = (
            np.convolve(arrived, np.ones(max(window - 1, 0), dtype=np.int64))[:intervals]
            if window > 1
            else (np.zeros(intervals, dtype=np.int64))
        )
        # Objective units per tenth of an agent-interval late for one interval, at a per-agent-hour-per-hour weight.
        unit = max(1, round(w8.deferred_late * priority * m.interval_factor() ** 2 / 600))
        arrived_by = np.cumsum(arrived)
        backlog_prev: cp_model.IntVar | int = 0
        for t in range(intervals):
            cover = m.covered.get((t, int(w)), 0)
            first = len(m.model.proto.variables)
            done = m.model.new_int_var(0, total, f"done[{t},{w}]")
            m.model.add(done <= 10 * cover)
            backlog = m.model.new_int_var(0, total, f"backlog[{t},{w}]")
            m.model.add(backlog == backlog_prev + int(arrived[t]) - done)
            if arrived_by[t] > recent[t]:  # something may be overdue by now
                late = m.model.new_int_var(0, total, f"late[{t},{w}]")
                m.model.add(late >= backlog - int(recent[t]))
                terms.append(unit * late)
            m.variables_since(t, first)
            backlog_prev = backlog
    return sum(terms) if terms else 0


def overstaffing(m: RosterModel) -> LinearExpr:
    """Agents on duty beyond the interval's whole requirement (all work types)."""
    p, w8 = m.problem, m.weights
    on_total: dict[int, list[LinearExpr]] = defaultdict(list)
    for (_, t), on in m.on_duty.items():
        on_total[t].append(on)
    need = p.smoothed.sum(axis=1)
    terms = []
    for t, parts in on_total.items():
        over = m.model.new_int_var(0, sum(len(pool.agents) for pool in p.pools), f"over[{t}]")
        m.interval_vars[t].append(over.index)
        m.model.add(over >= sum(parts) - int(need[t]))
        terms.append(w8.overstaffing * m.interval_factor() * over)
    return sum(terms)


def paid_cost(m: RosterModel) -> LinearExpr:
    p, w8 = m.problem, m.weights
    terms = []
    for agent_id, shifts in m.shift.items():
        rate = p.options[agent_id].agent.hourly_cost
        for k, var in shifts.items():
            terms.append(int(round(w8.paid_cost * rate * int(p.shapes.paid[k]))) * var)
    return sum(terms)


def preferred_start(m: RosterModel) -> LinearExpr:
    p, w8 = m.problem, m.weights
    terms = []
    for agent_id, shifts in m.shift.items():
        wish = p.options[agent_id].agent.preferences.preferred_start_minute
        if wish is None:
            continue
        for k, var in shifts.items():
            distance = abs(int(p.shapes.start_minute[k]) - wish)
            if distance:
                terms.append(w8.preferred_start * distance * var)
    return sum(terms) if terms else 0


def preferred_days_off(m: RosterModel) -> LinearExpr:
    p, w8 = m.problem, m.weights
    terms = []
    for agent_id, days in m.works.items():
        wished = set(p.options[agent_id].agent.preferences.preferred_days_off)
        for d, day in enumerate(p.horizon.dates):
            if day.weekday() in wished and not isinstance(days[d], int):
                terms.append(w8.preferred_days_off * SCALE * days[d])
    return sum(terms) if terms else 0


def _spread(m: RosterModel, name: str, counts: dict[str, Any], upper: int) -> list[LinearExpr]:
    """Per contract: (most - fewest) of `counts` over its agents, as variables."""
    p = m.problem
    by_contract: dict[str, list[LinearExpr]] = defaultdict(list)
    for agent_id, count in counts.items():
        by_contract[p.options[agent_id].agent.contract].append(count)
    out = []
    for contract, values in sorted(by_contract.items()):
        if len(values) < 2:
            continue
        most = m.model.new_int_var(0, upper, f"{name}_max[{contract}]")
        fewest = m.model.new_int_var(0, upper, f"{name}_min[{contract}]")
        for value in values:
            m.model.add(most >= value)
            m.model.add(fewest <= value)
        out.append(most - fewest)
    return out


def fair_weekends(m: RosterModel) -> LinearExpr:
    """Spread of working weekends within each contract, over the agents who can work a weekend at all."""
    counts = {}
    for agent_id in m.works:
        weekends = [w for w in _weekend_vars(m, agent_id) if not isinstance(w, int)]
        if weekends:
            counts[agent_id] = sum(weekends)
    spreads = _spread(m, "weekends", counts, max((len(m.weekends[a]) for a in counts), default=0))
    return m.weights.fair_weekends * SCALE * sum(spreads) if spreads else 0


def fair_late_shifts(m: RosterModel) -> LinearExpr:
    """Spread of late shifts (the contract's definition, else the centre's) within each contract, over the agents
    who can work one."""
    p = m.problem
    counts = {}
    for agent_id, shifts in m.shift.items():
        is_late = p.shapes.late(p.center.late_shift_of(p.center.contract_of(p.options[agent_id].agent)))
        late = [var for k, var in shifts.items() if is_late[k]]
        if late:
            counts[agent_id] = sum(late)
    spreads = _spread(m, "late", counts, m.problem.horizon.days)
    return m.weights.fair_late_shifts * SCALE * sum(spreads) if spreads else 0


def target_hours(m: RosterModel) -> LinearExpr:
    """Per agent and full week: |paid minutes - the contract's target (less the time-off credit)|, per hour."""
    p, w8 = m.problem, m.weights
    terms = []
    for agent_id, shifts in m.shift.items():
        for limits in p.week_limits(agent_id):
            if limits.target is None:
                continue
            paid = sum(
                int(p.shapes.paid[k]) * var
                for k, var in shifts.items()
                if limits.first_day <= p.shapes.day[k] < limits.first_day + limits.days
            )
            distance = m.model.new_int_var(0, 7 * 24 * 60, f"target[{agent_id},{limits.first_day}]")
            m.model.add_abs_equality(distance, paid - limits.target)
            terms.append(w8.target_hours * distance)
    return sum(terms) if terms else 0


#: The rules in the order they are built; hard rules return None, soft rules their named term.
RULES: dict[str, Callable[[RosterModel], LinearExpr | None]] = {
    "weekly_paid_minutes": weekly_paid_minutes,
    "weekly_working_days": weekly_working_days,
    "min_rest": min_rest,
    "max_consecutive_days": max_consecutive_days,
    "min_consecutive_days_off": min_consecutive_days_off,
    "max_working_weekends": max_working_weekends,
    "pinned": pinned,
    "understaffing": understaffing,
    "deferred_backlog": deferred_backlog,
    "overstaffing": overstaffing,
    "paid_cost": paid_cost,
    "preferred_start": preferred_start,
    "preferred_days_off": preferred_days_off,
    "fair_weekends": fair_weekends,
    "fair_late_shifts": fair_late_shifts,
    "target_hours": target_hours,
}

#: The hard rules (they add constraints and return no term).
HARD_RULES = (
    "weekly_paid_minutes",
    "weekly_working_days",
    "min_rest",
    "max_consecutive_days",
    "min_consecutive_days_off",
    "max_working_weekends",
    "pinned",
)
#: The soft rules whose term is a sum of one term per agent, each of that agent's decisions alone.
AGENT_TERMS = ("paid_cost", "preferred_start", "preferred_days_off", "target_hours")
#: The soft rules that couple agents (coverage, backlog, fairness across a contract).
COUPLING_TERMS = tuple(name for name in RULES if name not in HARD_RULES and name not in AGENT_TERMS)
