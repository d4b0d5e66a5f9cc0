"""A fast greedy roster, used as the CP-SAT warm start (hint): agent by agent, the working-day pattern and shifts
that cover the most of what is still uncovered, within the agent's hard rules.

Per agent: every pattern of worked days the contract allows (working days, consecutive days, days off in a row,
weekends, the days before the horizon included) is scored by the best shift of each day against the residual
demand of the agent's skills; on the best pattern, shifts are taken day by day keeping the rest from the day
before, and lengthened where the weekly minimum needs it. An agent the greedy cannot place within the rules is
left without a hint (CP-SAT decides them).
"""

from __future__ import annotations

import itertools

import numpy as np

from planner.roster.model import RosterWeights
from planner.roster.options import Shapes
from planner.roster.problem import RosterProblem, WeekLimits
from planner.runtime import Cancellation

__all__ = ["DEFAULT_PASSES", "greedy_roster"]

#: Day patterns tried per agent, best first, before the agent is left to CP-SAT.
MAX_PATTERNS_TRIED = 60
#: Passes of the greedy: the first places every agent, the others improve (best response) until stable.
DEFAULT_PASSES = 4


def _pattern_ok(
    worked: tuple[int, ...],
    before: list[int],
    limits_days: list[tuple[int, int, int]],
    max_consecutive: int,
    min_off: int,
    weekend_days: list[list[int]],
    max_weekends: int | None,
) -> bool:
    series = [*before, *worked]
    offset = len(before)
    run = 0
    for d, w in enumerate(series):
        run = run + 1 if w else 0
        if run > max_consecutive and d >= offset:
            return False
    if min_off >= 2:
        d = 1
        while d < len(series):
            if series[d - 1] and not series[d]:
                end = d
                while end < len(series) and not series[end]:
                    end += 1
                if end < len(series) and end - d < min_off and end > offset:
                    return False
                d = end
            else:
                d += 1
    for first, days, max_days in limits_days:
        if sum(worked[first : first + days]) > max_days:
            return False
    if max_weekends is not None:
        if sum(1 for days in weekend_days if any(worked[d] for d in days)) > max_weekends:
            return False
    return True


def _marginal_value(residual: np.ndarray, priority: np.ndarray, weights: RosterWeights) -> np.ndarray:
    """Points per agent-hour of one more agent on each (interval, work type): the understaffing tier of the agent
    it would no longer miss (convex: the 4th+ missing costs most), times the priority factor; where nothing is
    missing, minus the overstaffing weight."""
    low, middle, high = weights.understaffing_tiers
    tier = np.where(residual >= 4, high, np.where(residual >= 2, middle, np.where(residual >= 1, low, 0)))
    return np.where(residual >= 1, tier * priority[None, :], -weights.overstaffing).astype(float)


def greedy_roster(
    problem: RosterProblem,
    weights: RosterWeights | None = None,
    passes: int = DEFAULT_PASSES,
    *,
    cancel: Cancellation | None = None,
) -> dict[str, dict[int, int]]:
    """agent -> day -> shape for the agents the greedy could place. The first pass places agents one by one
    (specialists first), later passes take each agent out and put them back at their best given all the others
    (a best-response local search), until nothing changes or `passes` are done. A cancelled run (`cancel`) stops
    at the next agent and returns what is placed so far."""
    weights = weights or RosterWeights()
    shapes, center, horizon = problem.shapes, problem.center, problem.horizon
    days = horizon.days
    hours = horizon.interval_minutes / 60
    residual = problem.smoothed.astype(float).copy()  # (intervals, work types): agents still missing
    priority = np.array([weights.priority(center.work_type(w).priority) for w in problem.work_types], dtype=float)
    skill_of = np.array([center.work_type(w).skill for w in problem.work_types])
    order = sorted(
        problem.options,
        key=lambda a: (
            len(problem.options[a].agent.skill_ids),
            -center.contract_of(problem.options[a].agent).min_paid_minutes_week,
            a,
        ),
    )
    all_patterns = np.array(list(itertools.product((0, 1), repeat=days)), dtype=np.int64) if days <= 10 else None
    valid_patterns: dict[str, np.ndarray] = {}
    out: dict[str, dict[int, int]] = {}
    taken: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}  # agent -> (intervals, work types) it covers

    def place(agent_id: str) -> bool:
        options = problem.options[agent_id]
        if options.shapes.size == 0 or all_patterns is None:
            return False
        agent = options.agent
        contract = center.contract_of(agent)
        columns = np.flatnonzero(np.isin(skill_of, list(agent.skill_ids)))
        if columns.size:
            gain = _marginal_value(residual[:, columns], priority[columns], weights)
            profile = gain.max(axis=1) * hours
        else:
            profile = np.zeros(residual.shape[0])
        k = options.shapes
        value = np.asarray(shapes.coverage_matrix[k] @ profile, dtype=float)
        value -= agent.hourly_cost * weights.paid_cost * shapes.paid[k] / 60
        by_day: dict[int, np.ndarray] = {}
        for d in range(days):
            on_day = shapes.day[k] == d
            if on_day.any():
                by_day[d] = k[on_day][np.argsort(-value[on_day], kind="stable")]
        value_of = dict(zip(k.tolist(), value.tolist(), strict=True))
        best = np.full(days, -1e9)
        for d, ranked in by_day.items():
            best[d] = value_of[int(ranked[0])]
        limits = problem.week_limits(agent_id)
        pins = problem.pins.get(agent_id, {})
        if agent_id not in valid_patterns:
            limits_days = [(w.first_day, w.days, w.max_days) for w in limits]
            weekends = list(problem.weekends(agent_id).values())  # the contract's weekend, else the centre's
            before = [int(x) for x in problem.previous_worked.get(agent_id, [])]
            valid_patterns[agent_id] = np.array(
                [
                    pattern
                    for pattern in all_patterns
                    if all(d in by_day for d in np.flatnonzero(pattern))
                    and all(pattern[d] for d in pins)
                    and _pattern_ok(
                        tuple(int(x) for x in pattern),
                        before,
                        limits_days,
                        contract.max_consecutive_days,
                        contract.min_consecutive_days_off,
                        weekends,
                        contract.max_working_weekends,
                    )
                ],
                dtype=np.int64,
            ).reshape(-1, days)
        patterns = valid_patterns[agent_id]
        if patterns.size == 0:
            return False
        scores = patterns @ np.where(best > -1e9, best, 0.0)
        rest = contract.min_rest_minutes
        for index in np.argsort(-scores, kind="stable")[:MAX_PATTERNS_TRIED]:
            pattern = tuple(int(x) for x in patterns[index])
            chosen = _shifts_for(pattern, by_day, pins, shapes, rest, value_of, limits)
            if chosen is None:
                continue
            out[agent_id] = chosen
            cover = []
            for shape in chosen.values():
                covered = shapes.covered(shape)
                if columns.size:
                    gain = _marginal_value(residual[np.ix_(covered, columns)], priority[columns], weights)
                    w = columns[np.argmax(gain, axis=1)]
                    residual[covered, w] -= 1
                    cover.append((covered, w))
            taken[agent_id] = cover
            return True
        return False

    for agent_id in order:
        if cancel is not None and cancel.cancelled:
            return out
        place(agent_id)
    for _ in range(passes - 1):
        changed = False
        for agent_id in order:
            if cancel is not None and cancel.cancelled:
                return out
            before_shifts = out.pop(agent_id, None)
            before_cover = taken.pop(agent_id, [])
            for covered, w in before_cover:
                residual[covered, w] += 1
            if not place(agent_id) and before_shifts is not None:  # keep what worked
                out[agent_id], taken[agent_id] = before_shifts, before_cover
                for covered, w in before_cover:
                    residual[covered, w] -= 1
            changed |= out.get(agent_id) != before_shifts
        if not changed:
            break
    return out


def _shifts_for(
    pattern: tuple[int, ...],
    by_day: dict[int, np.ndarray],
    pins: dict[int, int],
    shapes: Shapes,
    rest: int,
    value_of: dict[int, float],
    limits: list[WeekLimits],
) -> dict[int, int] | None:
    """Shifts on the pattern's days: the most valuable that keeps the rest after the previous day; then, week by
    week, longer shifts where the minimum needs them. None if the rules cannot be kept."""
    chosen: dict[int, int] = {}
    last_end: int | None = None
    for d, worked in enumerate(pattern):
        if not worked:
            last_end = None if d == 0 or not pattern[d - 1] else last_end
            continue
        ranked = [pins[d]] if d in pins else list(by_day[d])
        pick = next((int(s) for s in ranked if last_end is None or shapes.start[s] >= last_end + rest), None)
        if pick is None:
            return None
        chosen[d] = pick
        last_end = int(shapes.end[pick])
    for week in limits:
        in_week = [d for d in chosen if week.first_day <= d < week.first_day + week.days]
        paid = sum(int(shapes.paid[chosen[d]]) for d in in_week)
        if paid > week.max_paid:
            return None
        for d in sorted(in_week, key=lambda d: value_of[chosen[d]]):
            if paid >= week.min_paid:
                break
            if d in pins:
                continue
            previous_end = int(shapes.end[chosen[d - 1]]) if d - 1 in chosen else None
            next_start = int(shapes.start[chosen[d + 1]]) if d + 1 in chosen else None
            longer = [
                int(s)
                for s in by_day[d]
                if shapes.paid[s] > shapes.paid[chosen[d]]
                and (previous_end is None or shapes.start[s] >= previous_end + rest)
                and (next_start is None or shapes.end[s] + rest <= next_start)
                and paid - shapes.paid[chosen[d]] + shapes.paid[s] <= week.max_paid
            ]
            if longer:
                new = max(longer, key=lambda s: (shapes.paid[s], value_of[s]))
                paid += int(shapes.paid[new] - shapes.paid[chosen[d]])
                chosen[d] = new
        if paid < week.min_paid:
            return None
    return chosen
