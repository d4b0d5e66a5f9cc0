"""The roster problem as arrays: demand per interval x work type, shift options per agent, pools, context.

Everything the CP-SAT model needs is prepared here, from the requirement table, the centre and the optional
previous roster and pins; conflicts in that input (a contract minimum the agent's options cannot reach, a pinned
shift that breaks a rule) are found here, before any solving, and raised together as one `RosterConflicts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from models import Center, Horizon, InputError, Mode, Problem
from models.workforce import weekend_offsets
from planner.matching import check_previous_roster
from planner.roster.options import AgentOptions, Shapes, agent_options, build_shapes

__all__ = [
    "Pool",
    "RosterConflicts",
    "RosterProblem",
    "WeekLimits",
    "build_problem",
    "contract_conflicts",
    "least_reaching",
    "roster_conflicts",
    "shapes_of_roster",
    "week_limits",
]


class RosterConflicts(InputError):
    """Hard rules that the input makes impossible to keep, found before solving (one `Problem` each)."""


@dataclass(frozen=True)
class Pool:
    """Agents with the same skill set: the model allocates them to work types as a group."""

    skills: frozenset[str]
    agents: tuple[str, ...]


@dataclass(frozen=True)
class WeekLimits:
    """One agent's contract limits for one week of the horizon, after proration and the time-off credit."""

    first_day: int
    days: int
    min_paid: int  # 0 in a short week
    max_paid: int
    max_days: int
    target: int | None  # None in a short week or without a target
    leave_days: int  # days of time off or closure charged in the week (each lowers the limits by a day's credit)


@dataclass
class RosterProblem:
    center: Center
    horizon: Horizon
    shapes: Shapes
    options: dict[str, AgentOptions]
    work_types: list[str]  # columns of the demand arrays
    required: np.ndarray  # (intervals, work types) whole agents, realtime and chat (deferred: 0)
    smoothed: np.ndarray  # (intervals, work types) the requirement's whole agents, all methods (reports)
    workload: np.ndarray  # (intervals, work types) deferred work in agent-intervals (at max occupancy)
    window: np.ndarray  # (work types,) response window in intervals (deferred), 0 otherwise
    deferred: np.ndarray  # (work types,) bool
    pools: list[Pool]
    weeks: list[tuple[int, int, float]]  # (first day, days, share of a full week)
    previous_worked: dict[str, list[bool]] = field(default_factory=dict)  # last days before the horizon, oldest first
    pins: dict[str, dict[int, int]] = field(default_factory=dict)  # agent -> day -> shape

    @property
    def agents(self) -> list[str]:
        return list(self.options)

    def shapes_in_week(self, agent_id: str, limits: WeekLimits) -> np.ndarray:
        """The shapes the agent may work on the days of the week of `limits`."""
        return _shapes_in_week(self.shapes, self.options[agent_id], limits)

    def weekends(self, agent_id: str) -> dict[int, list[int]]:
        """The agent's weekends in the horizon (its contract's weekend days, else the centre's): the day index of
        each weekend's first day (negative where it began before the horizon) -> the weekend's days in the
        horizon. Consecutive weekend days are one weekend, across the week's end too (`weekend_offsets`)."""
        center = self.center
        offsets = weekend_offsets(center.weekend_days_of(center.contract_of(self.options[agent_id].agent)))
        out: dict[int, list[int]] = {}
        for d, day in enumerate(self.horizon.dates):
            offset = offsets[day.weekday()]
            if offset is not None:
                out.setdefault(d - offset, []).append(d)
        return out

    def week_limits(self, agent_id: str) -> list[WeekLimits]:
        """The agent's weekly limits (docs/roster.md: weeks, proration, time off and closed days counted as paid
        on the days the agent would otherwise work)."""
        return _week_limits(self.center, self.options[agent_id], self.weeks)


def week_limits(center: Center, options: AgentOptions, days: int) -> list[WeekLimits]:
    """One agent's weekly limits over a horizon of `days` days (7-day blocks from its first day)."""
    return _week_limits(center, options, _weeks(days))


def _shapes_in_week(shapes: Shapes, options: AgentOptions, limits: WeekLimits) -> np.ndarray:
    allowed = options.shapes
    day = shapes.day[allowed]
    return np.asarray(allowed[(day >= limits.first_day) & (day < limits.first_day + limits.days)])


def _week_limits(center: Center, options: AgentOptions, weeks: list[tuple[int, int, float]]) -> list[WeekLimits]:
    contract = center.contract_of(options.agent)
    weekly = contract.target_paid_minutes_week
    per_day = (contract.max_paid_minutes_week if weekly is None else weekly) // contract.max_working_days
    out = []
    for first, days, share in weeks:
        most_days = int(np.ceil(contract.max_working_days * share))
        away = options.days_off | options.closed_days
        charged = _leave_charged(options.possible_days, away, range(first, first + days), most_days)
        credit = charged * per_day
        full = share == 1
        out.append(
            WeekLimits(
                first_day=first,
                days=days,
                min_paid=max(0, contract.min_paid_minutes_week - credit) if full else 0,
                max_paid=max(0, int(np.ceil(contract.max_paid_minutes_week * share)) - credit),
                max_days=max(0, most_days - charged),
                target=(
                    max(0, contract.target_paid_minutes_week - credit)
                    if full and contract.target_paid_minutes_week is not None
                    else None
                ),
                leave_days=charged,
            )
        )
    return out


def _leave_charged(possible: frozenset[int], off: frozenset[int], week: range, most_days: int) -> int:
    """Days of time off (or closure: `off`) charged in `week` (docs/roster.md): only days the agent could be
    rostered on count, and only as many as the days left to work outside them fall short of the week's
    `most_days`."""
    possible_in_week = possible.intersection(week)
    leave = len(possible_in_week & off)
    outside = len(possible_in_week) - leave
    return min(leave, max(0, most_days - outside))


def _weeks(days: int) -> list[tuple[int, int, float]]:
    return [(first, min(7, days - first), min(7, days - first) / 7) for first in range(0, days, 7)]


def build_problem(
    requirement: pd.DataFrame,
    center: Center,
    *,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
) -> RosterProblem:
    """Arrays of the roster problem for `requirement` (a `models.REQUIREMENT` table) in `center`."""
    center.require_work_types(requirement["work_type"], "requirement", "use the requirement made for this centre")
    horizon = center.horizon_covering(requirement["interval_start"])
    interval = horizon.interval_minutes
    index = np.searchsorted(horizon.intervals.asi8, pd.DatetimeIndex(requirement["interval_start"]).asi8)
    on_grid = (index < len(horizon.intervals)) & (
        horizon.intervals.asi8[np.minimum(index, len(horizon.intervals) - 1)]
        == pd.DatetimeIndex(requirement["interval_start"]).asi8
    )
    if not on_grid.all():
        row = int(np.flatnonzero(~on_grid)[0])
        raise InputError(
            "requirement",
            Problem(
                f"row {row + 2}",
                f"interval_start {requirement['interval_start'].iloc[row]} is off the "
                f"{interval}-min grid of local days",
                "use the requirement written by wfm requirements",
            ),
        )
    work_types = [w.id for w in center.work_types]
    column = np.array([work_types.index(w) for w in requirement["work_type"]])
    shape = (len(horizon.intervals), len(work_types))
    required = np.zeros(shape, dtype=np.int64)
    smoothed = np.zeros(shape, dtype=np.int64)
    workload = np.zeros(shape)
    deferred = np.array([center.work_type(w).mode is Mode.DEFERRED for w in work_types])
    ints = requirement["required_agents_int"].to_numpy(dtype=np.int64)
    smoothed[index, column] = ints
    realtime_rows = ~deferred[column]
    required[index[realtime_rows], column[realtime_rows]] = ints[realtime_rows]
    occupancy = np.array([center.work_type(w).max_occupancy for w in work_types])
    load = requirement["workload_erlangs"].to_numpy(dtype=float)
    workload[index[~realtime_rows], column[~realtime_rows]] = (load / occupancy[column])[~realtime_rows]
    window = np.array(
        [
            max(1, round(center.work_type(w).target.within_s / 60 / interval)) if deferred[i] else 0
            for i, w in enumerate(work_types)
        ]
    )

    check_previous_roster(previous, horizon)
    shapes = build_shapes(center, horizon)
    previous_end, previous_worked = _previous_context(previous, center, horizon)
    options = agent_options(center, shapes, previous_end)
    pools: dict[frozenset[str], list[str]] = {}
    for agent in center.agents:
        pools.setdefault(agent.skill_ids, []).append(agent.id)
    problem = RosterProblem(
        center=center,
        horizon=horizon,
        shapes=shapes,
        options=options,
        work_types=work_types,
        required=required,
        smoothed=smoothed,
        workload=workload,
        window=window,
        deferred=deferred,
        pools=[Pool(skills, tuple(agents)) for skills, agents in sorted(pools.items(), key=lambda kv: sorted(kv[0]))],
        weeks=_weeks(horizon.days),
        previous_worked=previous_worked,
    )
    problem.pins = _pins(pins, problem)
    conflicts = contract_conflicts(center, shapes, options, problem.weeks)
    if conflicts:
        raise RosterConflicts("center", conflicts)
    return problem


def _previous_context(
    previous: pd.DataFrame | None, center: Center, horizon: Horizon
) -> tuple[dict[str, int], dict[str, list[bool]]]:
    """From the previous roster: each agent's last shift end (elapsed minutes from the horizon's start), and whether
    they worked each of the 14 days before the horizon (oldest first)."""
    if previous is None or previous.empty:
        return {}, {}
    origin = horizon.day_starts[0]
    ends: dict[str, int] = {}
    worked: dict[str, list[bool]] = {}
    lookback = [horizon.start_date - timedelta(days=k) for k in range(14, 0, -1)]
    for agent_id, rows in previous.groupby("agent_id", sort=True):
        before = rows[pd.to_datetime(rows["start"]) < origin]
        if before.empty:
            continue
        last_end = pd.Timestamp(pd.to_datetime(before["end"]).max())
        ends[str(agent_id)] = int((last_end - origin).total_seconds() // 60)
        dates = {d if isinstance(d, date) else pd.Timestamp(d).date() for d in before["date"]}
        worked[str(agent_id)] = [d in dates for d in lookback]
    return ends, worked


def _pins(pins: pd.DataFrame | None, problem: RosterProblem) -> dict[str, dict[int, int]]:
    """Each pinned roster row as (agent, day) -> its shape; a pin that no allowed option matches is a conflict."""
    if pins is None or pins.empty:
        return {}
    shapes, horizon = problem.shapes, problem.horizon
    origin = horizon.day_starts[0]
    out: dict[str, dict[int, int]] = {}
    problems = []
    for row_number, row in enumerate(pins.to_dict("records"), start=2):
        if "pinned" in row and row["pinned"] is not None and not pd.isna(row["pinned"]) and not row["pinned"]:
            continue  # a published roster's row that is not pinned
        agent_id = str(row["agent_id"])
        where = f"pins row {row_number}"
        if agent_id not in problem.options:
            problems.append(Problem(where, f"agent '{agent_id}' is not in the centre", "pin shifts of its agents"))
            continue
        start = int((pd.Timestamp(row["start"]) - origin).total_seconds() // 60)
        length = int((pd.Timestamp(row["end"]) - pd.Timestamp(row["start"])).total_seconds() // 60)
        day = (row["date"] - horizon.start_date).days if isinstance(row["date"], date) else -1
        if not 0 <= day < horizon.days:
            problems.append(
                Problem(
                    where,
                    f"date {row['date']} is outside the horizon {horizon.start_date}..{horizon.end_date}",
                    "pin shifts inside the horizon",
                )
            )
            continue
        match = np.flatnonzero(
            (shapes.day == day)
            & (shapes.start == start)
            & (shapes.length == length)
            & (np.array(shapes.template) == str(row["shift_template"]))
        )
        if match.size == 0:
            problems.append(
                Problem(
                    where,
                    f"{row['start']}-{row['end']} on template '{row['shift_template']}' is not a shift the "
                    "template allows",
                    "pin a start and length of the template",
                )
            )
            continue
        if not np.isin(match[0], problem.options[agent_id].shapes):
            problems.append(
                Problem(
                    where,
                    f"agent '{agent_id}' may not work {row['start']}-{row['end']} (contract templates, time off, "
                    "availability, opening hours or rest after the previous roster)",
                    "unpin it or change the agent's availability",
                )
            )
            continue
        if day in out.get(agent_id, {}):
            problems.append(Problem(where, f"agent '{agent_id}' has two pinned shifts on {row['date']}", "pin one"))
            continue
        out.setdefault(agent_id, {})[day] = int(match[0])
    problems += _pins_at_rest(out, problem)
    if problems:
        raise RosterConflicts("pins", problems)
    return out


def shapes_of_roster(roster: pd.DataFrame, problem: RosterProblem) -> dict[str, dict[int, int]]:
    """A roster table's shifts as agent -> day -> shape, keeping only the rows that are allowed options of this
    problem (a hint, e.g. the last iteration's roster: rows that no longer fit are dropped, not errors)."""
    shapes, horizon = problem.shapes, problem.horizon
    origin = horizon.day_starts[0]
    templates = np.array(shapes.template)
    out: dict[str, dict[int, int]] = {}
    for row in roster.to_dict("records"):
        agent_id = str(row["agent_id"])
        if agent_id not in problem.options:
            continue
        start = int((pd.Timestamp(row["start"]) - origin).total_seconds() // 60)
        length = int((pd.Timestamp(row["end"]) - pd.Timestamp(row["start"])).total_seconds() // 60)
        match = np.flatnonzero(
            (shapes.start == start) & (shapes.length == length) & (templates == str(row["shift_template"]))
        )
        match = match[np.isin(match, problem.options[agent_id].shapes)]
        if match.size:
            out.setdefault(agent_id, {}).setdefault(int(shapes.day[match[0]]), int(match[0]))
    return out


def _pins_at_rest(pins: dict[str, dict[int, int]], problem: RosterProblem) -> list[Problem]:
    """Pinned shifts of one agent that leave less than the contract's rest between them (rule min_rest)."""
    shapes, found = problem.shapes, []
    for agent_id, by_day in sorted(pins.items()):
        rest = problem.center.contract_of(problem.options[agent_id].agent).min_rest_minutes
        ordered = sorted(by_day.values(), key=lambda k: int(shapes.start[k]))
        for first, then in zip(ordered, ordered[1:], strict=False):
            gap = int(shapes.start[then] - shapes.end[first])
            if gap < rest:
                begin, _ = shapes.timestamps(then)
                _, end = shapes.timestamps(first)
                found.append(
                    Problem(
                        f"pins of agent '{agent_id}'",
                        f"rule min_rest: the pinned shift ending {end} and the one starting {begin} leave {gap} "
                        f"minutes of rest; the contract needs {rest}",
                        "unpin one of them",
                    )
                )
    return found


def roster_conflicts(center: Center, horizon: Horizon, previous: pd.DataFrame | None = None) -> list[Problem]:
    """The centre's conflicts for a roster of `horizon` (`contract_conflicts`), without a requirement: what
    `build_problem` refuses before solving, for `wfm validate` and the jobs' checks before any heavy work."""
    shapes = build_shapes(center, horizon)
    previous_end, _ = _previous_context(previous, center, horizon)
    options = agent_options(center, shapes, previous_end)
    return contract_conflicts(center, shapes, options, _weeks(horizon.days))


def contract_conflicts(
    center: Center, shapes: Shapes, options: dict[str, AgentOptions], weeks: list[tuple[int, int, float]]
) -> list[Problem]:
    """Weekly minimums that an agent's options (availability, templates, time off, opening hours and closed days,
    rest after the previous roster) cannot reach, whatever the other agents do, after the credit for time off and
    closed days. Each names the agent's place in the centre file (`agents[3].availability`, or `agents[3]` for an
    agent available at all times)."""
    found = []
    position = {agent.id: i for i, agent in enumerate(center.agents)}
    for agent_id, allowed in options.items():
        agent = allowed.agent
        contract = center.contract_of(agent)
        for limits in _week_limits(center, allowed, weeks):
            if limits.min_paid == 0:
                continue
            first, days = limits.first_day, limits.days
            in_week = _shapes_in_week(shapes, allowed, limits)
            best_per_day = np.zeros(days, dtype=np.int64)
            np.maximum.at(best_per_day, shapes.day[in_week] - first, shapes.paid[in_week])
            reachable = int(np.sort(best_per_day)[::-1][: limits.max_days].sum())
            least = least_reaching(sorted(set(shapes.paid[in_week].tolist())), limits.min_paid, limits.max_days)
            if reachable >= limits.min_paid and least > limits.max_paid:
                week_start = shapes.horizon.dates[first]
                where = f"agents[{position[agent_id]}]"
                found.append(
                    Problem(
                        where,
                        f"rule weekly_paid_minutes: agent '{agent_id}' on contract '{contract.id}' needs between "
                        f"{limits.min_paid} and {limits.max_paid} paid minutes in the week of {week_start} (after "
                        f"time off and closed days), but no set of the agent's shifts lands there: the least that "
                        f"reaches {limits.min_paid} is {least}",
                        "widen the contract's weekly minutes, or offer shift lengths that fit between them",
                    )
                )
                continue
            if reachable < limits.min_paid:
                week_start = shapes.horizon.dates[first]
                open_days = int(np.count_nonzero(best_per_day))
                where = f"agents[{position[agent_id]}]" + (".availability" if agent.availability else "")
                found.append(
                    Problem(
                        where,
                        f"rule weekly_paid_minutes: agent '{agent_id}' on contract '{contract.id}' needs at least "
                        f"{limits.min_paid} paid minutes in the week of {week_start} (after time off and closed "
                        f"days), but the agent's availability and templates allow at most {reachable} ({open_days} "
                        f"days with a possible shift, at most {limits.max_days} worked)",
                        "widen the availability, or put the agent on a contract with a lower minimum for this week",
                    )
                )
    return found


def least_reaching(values: list[int], minimum: int, count: int) -> int:
    """The least sum of at most `count` of `values` (repeats allowed) that is at least `minimum` (`minimum` itself
    where none reaches it: the conflict check has reported that case)."""
    reachable = {0}
    best = None
    for _ in range(count):
        reachable = {r + v for r in reachable for v in values if r < minimum}
        done = [r for r in reachable if r >= minimum]
        if done:
            best = min(done) if best is None else min(best, *done)
        if not reachable:
            break
    return minimum if best is None else best
