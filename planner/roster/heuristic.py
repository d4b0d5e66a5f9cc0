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

from planner.roster.options import Shapes
from planner.roster.problem import RosterProblem, WeekLimits

__all__ = ["greedy_roster"]


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


def greedy_roster(problem: RosterProblem) -> dict[str, dict[int, int]]:
    """agent -> day -> shape for the agents the greedy could place."""
    shapes, center, horizon = problem.shapes, problem.center, problem.horizon
    days = horizon.days
    residual = problem.smoothed.astype(float).copy()  # (intervals, work types)
    skill_of = np.array([center.work_type(w).skill for w in problem.work_types])
    weekend_groups: dict[int, list[int]] = {}
    for d, day in enumerate(horizon.dates):
        if day.weekday() >= 5:
            weekend_groups.setdefault(d - (day.weekday() - 5), []).append(d)
    weekend_days = list(weekend_groups.values())
    order = sorted(
        problem.options,
        key=lambda a: (
            len(problem.options[a].agent.skill_ids),
            -center.contract_of(problem.options[a].agent).min_paid_minutes_week,
            a,
        ),
    )
    all_patterns = list(itertools.product((0, 1), repeat=days)) if days <= 10 else []
    out: dict[str, dict[int, int]] = {}
    for agent_id in order:
        options = problem.options[agent_id]
        if options.shapes.size == 0:
            continue
        contract = center.contract_of(options.agent)
        columns = np.flatnonzero(np.isin(skill_of, list(options.agent.skill_ids)))
        profile = residual[:, columns].max(axis=1) if columns.size else np.zeros(residual.shape[0])
        prefix = np.concatenate([[0.0], np.cumsum(np.clip(profile, 0, None))])
        k = options.shapes
        value = prefix[shapes.first[k] + shapes.count[k]] - prefix[shapes.first[k]]
        by_day: dict[int, np.ndarray] = {}
        for d in range(days):
            on_day = shapes.day[k] == d
            if on_day.any():
                by_day[d] = k[on_day][np.argsort(-value[on_day], kind="stable")]
        best = np.zeros(days)
        value_of = dict(zip(k.tolist(), value.tolist(), strict=True))
        for d, ranked in by_day.items():
            best[d] = value_of[int(ranked[0])] + 1e-3  # a day that can be worked is worth something
        limits = problem.week_limits(agent_id)
        limits_days = [(w.first_day, w.days, w.max_days) for w in limits]
        before = [int(x) for x in problem.previous_worked.get(agent_id, [])]
        pins = problem.pins.get(agent_id, {})
        candidates = []
        for pattern in all_patterns:
            if any(pattern[d] and d not in by_day for d in range(days)) or any(not pattern[d] for d in pins):
                continue
            if not _pattern_ok(
                pattern,
                before,
                limits_days,
                contract.max_consecutive_days,
                contract.min_consecutive_days_off,
                weekend_days,
                contract.max_working_weekends,
            ):
                continue
            candidates.append((float(np.dot(pattern, best)), pattern))
        candidates.sort(key=lambda c: -c[0])
        rest = contract.min_rest_minutes
        for _, pattern in candidates[:20]:
            chosen = _shifts_for(pattern, by_day, pins, shapes, rest, value_of, limits)
            if chosen is not None:
                out[agent_id] = chosen
                for shape in chosen.values():
                    covered = shapes.covered(shape)
                    if columns.size:
                        w = columns[np.argmax(residual[np.ix_(covered, columns)], axis=1)]
                        residual[covered, w] -= 1
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
