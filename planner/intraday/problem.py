"""The intraday re-plan as data: the rest of one day, the demand on it, and every change each agent could make.

At a moment `at` of a published roster's day, each agent's day is one of a small menu of *spans* (the shift as
published, a start moved, an extension, voluntary time off, a call-in) plus, for the published shift, where each
break that has not begun is placed. Only what lies after `at` can change: the model's window starts at the first
interval beginning at or after `at` (`first`). The menu is built here, with every rule an option must keep (the
template's starts, the contract's overtime, rest and weekly limits, availability and opening hours); the
roster's independent validator judges the result afterwards.

Times are interval indices of the roster's horizon (`Horizon.intervals`); shifts and breaks of a roster lie on
that grid. Absences (a table ``agent_id, start, end, reason``) take their intervals out of the agent's day and
freeze the rest of it: an agent off sick is not asked to move a break.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from models import Center, Horizon, InputError, Problem
from models.workforce import Agent, ShiftTemplate
from planner.roster.options import AgentOptions, Shapes, agent_options, available_spans, build_shapes
from planner.roster.problem import Pool, week_limits
from planner.shifts import change_minutes, interval_pairs

__all__ = [
    "CHANGE_KINDS",
    "Absence",
    "AgentDay",
    "BreakGroup",
    "ChangeCosts",
    "IntradayProblem",
    "Span",
    "build_intraday_problem",
    "read_absences",
]

#: The changes a re-plan may propose, in the order a supervisor reads them.
CHANGE_KINDS = ("break_move", "start_move", "overtime", "vto", "call_in")


@dataclass(frozen=True)
class ChangeCosts:
    """What each change costs, in points (1 point = one unit of pay), on top of the pay it adds or saves: the
    disruption of asking an agent to change their day. Overtime is paid at the contract's `overtime_rate`; a
    call-in at the agent's hourly cost; voluntary time off saves the agent's pay for the time not worked."""

    break_move: float = 2.0
    start_move: float = 5.0
    overtime: float = 5.0
    vto: float = 5.0
    call_in: float = 15.0


@dataclass(frozen=True)
class Absence:
    agent_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    reason: str
    row: int  # the table's line (2 = first data line)


@dataclass(frozen=True)
class Span:
    """One way an agent's day may run: [start, end) in interval indices and the intervals on duty in the window
    (`on`: for a `keep` family span, before its movable breaks are taken out)."""

    kind: str  # "keep", "off", "start_move", "overtime", "vto", "call_in"
    start: int
    end: int
    on: np.ndarray
    template: str
    base_minutes: int
    overtime_minutes: int
    vto_minutes: int
    paid_minutes: int
    cost: float  # points: disruption plus the pay added (or less the pay saved)
    #: Whether the agent's movable breaks (`AgentDay.groups`) are placed in this span (the published start).
    movable_breaks: bool
    #: The span's own breaks as (first interval, intervals), where they do not move with the decision.
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class BreakGroup:
    """A break of the published shift that has not begun at `at`: where it may start (interval indices) and
    where it was published."""

    name: str
    duration: int
    original: int
    positions: tuple[int, ...]


@dataclass
class AgentDay:
    agent: Agent
    pool: int
    row: dict[str, Any] | None  # the published roster row of the day (None: no shift)
    spans: list[Span]  # spans[0] is the day as published ("keep" or "off")
    groups: list[BreakGroup] = field(default_factory=list)
    #: Intervals of the window off duty in every `movable_breaks` span (breaks begun before `at`, absences).
    fixed_off: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    absences: list[Absence] = field(default_factory=list)

    @property
    def fixed(self) -> bool:
        return len(self.spans) == 1 and not any(len(g.positions) > 1 for g in self.groups)


@dataclass
class IntradayProblem:
    center: Center
    horizon: Horizon
    day: int  # index of the re-planned day in the horizon
    at: pd.Timestamp
    first: int  # first interval index that may change
    last: int  # one past the last interval of the day
    work_types: list[str]
    required: np.ndarray  # (last - first, work types): whole agents wanted, from the reforecast
    before: np.ndarray  # (last - first, work types): whole agents the published plan was made for
    pools: list[Pool]
    agents: list[AgentDay]
    fixed_on: np.ndarray  # (pools, last - first): agents on duty that no decision moves (other days' shifts)
    roster: pd.DataFrame  # the published roster
    costs: ChangeCosts = field(default_factory=ChangeCosts)
    notes: list[str] = field(default_factory=list)

    @property
    def window(self) -> range:
        return range(self.first, self.last)

    @property
    def date(self) -> date:
        return self.horizon.dates[self.day]

    def stamp(self, index: int) -> pd.Timestamp:
        """The instant of interval index `index` (one past the last interval: the horizon's end)."""
        intervals = self.horizon.intervals
        if index < len(intervals):
            return pd.Timestamp(intervals[index])
        return pd.Timestamp(intervals[-1]) + pd.Timedelta(minutes=self.horizon.interval_minutes)


def read_absences(frame: pd.DataFrame | None, center: Center, day: date, source: str = "absences") -> list[Absence]:
    """The absences of `day` from a table ``agent_id, start, end, reason`` (a missing `end`: the rest of the
    day; naive times are the centre's local time). Unknown agents, unreadable times, an end before the start or
    an absence on another day are input errors naming the row."""
    if frame is None or frame.empty:
        return []
    problems: list[Problem] = []
    missing = [c for c in ("agent_id", "start") if c not in frame.columns]
    if missing:
        raise InputError(
            source,
            Problem("header", f"no column {', '.join(repr(c) for c in missing)}", "give agent_id, start, end, reason"),
        )
    zone = center.timezone
    day_start = pd.Timestamp(day).tz_localize(zone)
    day_end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(zone)
    known = {a.id for a in center.agents}
    out = []
    for i, record in enumerate(frame.to_dict("records")):
        line = i + 2
        agent_id = str(record["agent_id"]).strip()
        if agent_id not in known:
            problems.append(
                Problem(
                    f"row {line}, column 'agent_id'",
                    f"agent '{agent_id}' is not in the centre",
                    "name an agent of the centre file",
                )
            )
            continue
        start = _instant(record.get("start"), zone)
        raw_end = record.get("end")
        if raw_end is None or (isinstance(raw_end, float) and np.isnan(raw_end)) or raw_end == "":
            # No end: the rest of the day the absence starts on.
            end = None if start is None else _instant(start.date() + timedelta(days=1), zone)
        else:
            end = _instant(raw_end, zone)
        if start is None or end is None:
            which = "start" if start is None else "end"
            problems.append(
                Problem(
                    f"row {line}, column '{which}'",
                    f"{record.get(which)!r} is not a date and time",
                    "write it like 2024-03-05T09:00 (the centre's local time) or with its UTC offset",
                )
            )
            continue
        if end <= start:
            problems.append(
                Problem(f"row {line}, column 'end'", f"ends at {end} before it starts ({start})", "fix the end")
            )
            continue
        if end <= day_start or start >= day_end:
            problems.append(
                Problem(
                    f"row {line}, column 'start'",
                    f"the absence {start}..{end} is not on {day}, the day being re-planned",
                    f"give the absences of {day} only",
                )
            )
            continue
        reason = record.get("reason")
        reason_text = "" if reason is None or (isinstance(reason, float) and np.isnan(reason)) else str(reason)
        out.append(Absence(agent_id, max(start, day_start), min(end, day_end), reason_text, line))
    InputError.collect(source, problems)
    return out


def _instant(value: Any, zone: str) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    if stamp.tz is None:
        return stamp.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert(zone)


@dataclass(frozen=True)
class _Rules:
    """What the re-plan may do (from `IntradaySettings`)."""

    allowed: frozenset[str]
    notice_minutes: int
    max_start_move_minutes: int
    costs: ChangeCosts
    quieter: frozenset[str] | None = None


def build_intraday_problem(
    center: Center,
    horizon: Horizon,
    roster: pd.DataFrame,
    at: pd.Timestamp,
    required: pd.DataFrame,
    before: pd.DataFrame,
    absences: list[Absence],
    *,
    allowed: frozenset[str] = frozenset(CHANGE_KINDS),
    notice_minutes: int = 60,
    max_start_move_minutes: int = 120,
    costs: ChangeCosts | None = None,
    quieter: frozenset[str] | None = None,
) -> IntradayProblem:
    """The re-plan of `at`'s day of `roster` (a published `models.ROSTER` table over `horizon`) against the
    requirement `required` (the reforecast's, `models.REQUIREMENT` rows) with `before` (the requirement the
    roster was made for) and the day's `absences`. `quieter`: the work types the evidence says run below forecast
    (voluntary time off is offered only to agents all of whose work types are among them); None: every work type
    whose requirement fell."""
    rules = _Rules(frozenset(allowed), notice_minutes, max_start_move_minutes, costs or ChangeCosts(), quieter)
    zone = center.timezone
    at = pd.Timestamp(at).tz_convert(zone)
    intervals = horizon.intervals
    day = int(np.searchsorted(horizon.day_starts.asi8, at.value, side="right") - 1)
    step_ns = horizon.interval_minutes * 60 * 10**9
    first = int(np.searchsorted(intervals.asi8, at.value, side="left"))
    day_ends = np.cumsum(horizon.intervals_per_day)
    last = int(day_ends[day])
    first = min(first, last)
    work_types = [w.id for w in center.work_types]
    need = _demand(required, work_types, intervals, first, last)
    published = _demand(before, work_types, intervals, first, last)

    pools_by_skills: dict[frozenset[str], list[str]] = defaultdict(list)
    for agent in center.agents:
        pools_by_skills[agent.skill_ids].append(agent.id)
    ordered = sorted(pools_by_skills.items(), key=lambda kv: sorted(kv[0]))
    pools = [Pool(skills, tuple(ids)) for skills, ids in ordered]
    pool_of = {a: i for i, pool in enumerate(pools) for a in pool.agents}

    shifts = _shift_rows(roster, intervals, horizon.dates, step_ns, zone)
    fixed_on = np.zeros((len(pools), last - first), dtype=np.int64)
    today: dict[str, dict[str, Any]] = {}
    others: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in shifts:
        if row["day"] == day:
            today[row["agent_id"]] = row
        else:
            others[row["agent_id"]].append(row)
            on = _on_duty(row, first, last)
            if row["agent_id"] in pool_of and on.size:
                fixed_on[pool_of[row["agent_id"]], on - first] += 1

    by_agent: dict[str, list[Absence]] = defaultdict(list)
    for absence in absences:
        by_agent[absence.agent_id].append(absence)

    shapes = build_shapes(center, horizon)
    options = agent_options(center, shapes, None)
    builder = _MenuBuilder(center, horizon, shapes, options, rules, first, last, day, need, published, step_ns)
    agents = []
    notes = []
    for agent in center.agents:
        published_row = today.get(agent.id)
        mine = by_agent.get(agent.id, [])
        if published_row is None:
            spans = [Span("off", first, first, np.zeros(0, dtype=np.int64), "", 0, 0, 0, 0, 0.0, False)]
            if not mine:
                spans += builder.call_ins(agent, others.get(agent.id, []))
            agents.append(AgentDay(agent, pool_of[agent.id], None, spans, absences=mine))
            continue
        agents.append(builder.shift_day(agent, pool_of[agent.id], published_row, others.get(agent.id, []), mine))
    for agent_id in by_agent:
        if agent_id not in today:
            notes.append(
                f"{agent_id} is absent but has no shift on {horizon.dates[day]}: not called in for the rest of the day"
            )
    return IntradayProblem(
        center=center,
        horizon=horizon,
        day=day,
        at=at,
        first=first,
        last=last,
        work_types=work_types,
        required=need,
        before=published,
        pools=pools,
        agents=agents,
        fixed_on=fixed_on,
        roster=roster,
        costs=rules.costs,
        notes=notes,
    )


def _demand(
    requirement: pd.DataFrame, work_types: list[str], intervals: pd.DatetimeIndex, first: int, last: int
) -> np.ndarray:
    out = np.zeros((last - first, len(work_types)), dtype=np.int64)
    if requirement.empty:
        return out
    position = intervals.get_indexer(pd.DatetimeIndex(requirement["interval_start"]))
    column = np.array([work_types.index(w) for w in requirement["work_type"].astype(str)], dtype=np.int64)
    keep = (position >= first) & (position < last)
    values = requirement["required_agents_int"].to_numpy(dtype=np.int64)
    np.maximum.at(out, (position[keep] - first, column[keep]), values[keep])
    return out


def _shift_rows(
    roster: pd.DataFrame, intervals: pd.DatetimeIndex, dates: list[date], step_ns: int, zone: str
) -> list[dict[str, Any]]:
    """The roster's rows with their times as interval indices (start, end, breaks, absences)."""
    rows = []
    origin = intervals.asi8[0]
    overtime, vto = change_minutes(roster, "overtime_minutes"), change_minutes(roster, "vto_minutes")
    for i, record in enumerate(roster.to_dict("records")):
        start = pd.Timestamp(record["start"]).tz_convert(zone)
        end = pd.Timestamp(record["end"]).tz_convert(zone)
        first = (start.value - origin) // step_ns
        stop = -((origin - end.value) // step_ns)
        day_index = (pd.Timestamp(record["date"]).date() - dates[0]).days
        breaks = [
            (_index(a, origin, step_ns, zone), _index(b, origin, step_ns, zone, up=True))
            for a, b in interval_pairs(record.get("breaks")) or []
        ]
        away = [
            (_index(a, origin, step_ns, zone), _index(b, origin, step_ns, zone, up=True))
            for a, b in interval_pairs(record.get("absences")) or []
        ]
        rows.append(
            {
                "agent_id": str(record["agent_id"]),
                "record": record,
                "day": day_index,
                "start": int(first),
                "end": int(stop),
                "breaks": breaks,
                "absences": away,
                "template": str(record["shift_template"]),
                "overtime": int(overtime[i]),
                "vto": int(vto[i]),
            }
        )
    return rows


def _index(value: Any, origin: int, step_ns: int, zone: str, up: bool = False) -> int:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(zone) if stamp.tz is None else stamp
    offset = stamp.value - origin
    return int(-((-offset) // step_ns) if up else offset // step_ns)


def _on_duty(row: dict[str, Any], first: int, last: int) -> np.ndarray:
    """The intervals of [first, last) the row's agent is on duty in (shift less breaks and absences)."""
    lo, hi = max(row["start"], first), min(row["end"], last)
    if hi <= lo:
        return np.zeros(0, dtype=np.int64)
    on = np.ones(hi - lo, dtype=bool)
    for a, b in [*row["breaks"], *row["absences"]]:
        on[max(a, lo) - lo : max(min(b, hi), lo) - lo] = False
    return np.asarray(lo + np.flatnonzero(on), dtype=np.int64)


class _MenuBuilder:
    """Each agent's spans and movable breaks, with the rules every option keeps."""

    def __init__(
        self,
        center: Center,
        horizon: Horizon,
        shapes: Shapes,
        options: dict[str, AgentOptions],
        rules: _Rules,
        first: int,
        last: int,
        day: int,
        need: np.ndarray,
        published: np.ndarray,
        step_ns: int,
    ) -> None:
        self.center, self.horizon, self.shapes, self.options = center, horizon, shapes, options
        self.rules, self.first, self.last, self.day = rules, first, last, day
        self.step = horizon.interval_minutes
        self.origin = horizon.intervals.asi8[0]
        self.step_ns = step_ns
        self.need, self.published = need, published
        self.fewer_cache: dict[frozenset[str], np.ndarray] = {}
        self.open_cache: dict[frozenset[str], np.ndarray] = {}
        self.spans_cache: dict[str, np.ndarray] = {}
        self.templates = np.array(shapes.template)
        self.day_first = int(np.concatenate([[0], np.cumsum(horizon.intervals_per_day)])[day])

    # -- rules ----------------------------------------------------------------------------------------------

    def _fewer(self, skills: frozenset[str]) -> np.ndarray:
        """Per interval of the window (and one past it): whether the work of these skills needs fewer agents than
        the plan was made for."""
        if skills not in self.fewer_cache:
            mine = [i for i, w in enumerate(self.center.work_types) if w.skill in skills]
            fewer = self.need[:, mine].sum(axis=1) < self.published[:, mine].sum(axis=1)
            quieter = self.rules.quieter
            if quieter is not None and any(self.center.work_types[i].id not in quieter for i in mine):
                fewer[:] = False
            self.fewer_cache[skills] = np.concatenate([fewer, [False]])
        return self.fewer_cache[skills]

    def _open_prefix(self, skills: frozenset[str]) -> np.ndarray:
        """Running count of intervals where no work type of `skills` is open (one longer than the horizon)."""
        if skills not in self.open_cache:
            open_any = np.zeros(len(self.horizon.intervals), dtype=bool)
            for w in self.center.work_types:
                if w.skill in skills:
                    open_any |= self.center.is_open(w.id, self.horizon.intervals)
            self.open_cache[skills] = np.concatenate([[0], np.cumsum(~open_any)])
        return self.open_cache[skills]

    def _open(self, agent: Agent, start: int, end: int) -> bool:
        prefix = self._open_prefix(agent.skill_ids)
        end = min(end, len(prefix) - 1)
        return bool(prefix[end] - prefix[start] == 0)

    def _available(self, agent: Agent, start: int, end: int) -> bool:
        if not agent.availability:
            return True
        if agent.id not in self.spans_cache:
            self.spans_cache[agent.id] = available_spans(agent, self.horizon)
        spans = self.spans_cache[agent.id]
        s, e = start * self.step, end * self.step
        return bool(((spans[:, 0] <= s) & (spans[:, 1] >= e)).any())

    def _rest_ok(self, agent: Agent, start: int, end: int, others: list[dict[str, Any]]) -> bool:
        rest = self.center.contract_of(agent).min_rest_minutes
        for row in others:
            if row["end"] <= start and (start - row["end"]) * self.step < rest:
                return False
            if row["start"] >= end and (row["start"] - end) * self.step < rest:
                return False
            if row["start"] < end and start < row["end"]:
                return False
        return True

    def _week(self, agent: Agent, others: list[dict[str, Any]]) -> tuple[int, int, int, int]:
        """Paid minutes and worked days of the agent's other shifts in the week of the day, and the week's limits
        (maximum paid minutes, most days)."""
        limits = next(
            w
            for w in week_limits(self.center, self.options[agent.id], self.horizon.days)
            if w.first_day <= self.day < w.first_day + w.days
        )
        mine = [r for r in others if limits.first_day <= r["day"] < limits.first_day + limits.days]
        paid = sum(int(r["record"]["paid_minutes"]) for r in mine)
        return paid, len({r["day"] for r in mine}), limits.max_paid, limits.max_days

    # -- menus ----------------------------------------------------------------------------------------------

    def _span(
        self,
        kind: str,
        start: int,
        end: int,
        template: ShiftTemplate,
        base: int,
        overtime: int,
        vto: int,
        cost: float,
        breaks: tuple[tuple[int, int], ...] = (),
        movable: bool = False,
        off: tuple[tuple[int, int], ...] = (),
    ) -> Span:
        lo, hi = max(start, self.first), min(end, self.last)
        on = np.ones(max(hi - lo, 0), dtype=bool)
        for a, d in breaks:
            on[max(a, lo) - lo : max(min(a + d, hi), lo) - lo] = False
        for a, b in off:
            on[max(a, lo) - lo : max(min(b, hi), lo) - lo] = False
        paid = template.paid_minutes(base) + overtime - vto
        return Span(
            kind, start, end, lo + np.flatnonzero(on), template.id, base, overtime, vto, paid, cost, movable, breaks
        )

    def shift_day(
        self, agent: Agent, pool: int, row: dict[str, Any], others: list[dict[str, Any]], absences: list[Absence]
    ) -> AgentDay:
        center, rules, first = self.center, self.rules, self.first
        template = center.templates_by_id.get(row["template"])
        start, end = row["start"], row["end"]
        if template is None:  # the validator reports it; the shift stays as it is
            return AgentDay(agent, pool, row, [self._fixed(row)], absences=absences)
        base = (end - start) * self.step - row["overtime"] + row["vto"]
        rules_of_base = template.breaks_for(base)
        away = tuple(
            (
                (a.start.value - self.origin) // self.step_ns,
                -((self.origin - a.end.value) // self.step_ns),
            )
            for a in absences
        )
        if absences or len(row["breaks"]) != len(rules_of_base) or end <= first:
            # Absent agents keep their day; a shift whose breaks do not follow its template is left as it is.
            fixed = self._span(
                "keep", start, end, template, base, row["overtime"], row["vto"], 0.0, breaks=_as_breaks(row), off=away
            )
            return AgentDay(agent, pool, row, [fixed], absences=absences)
        contract = center.contract_of(agent)
        rate = agent.hourly_cost / 60
        groups: list[BreakGroup] = []
        fixed_off: list[int] = []
        for (b0, b1), rule in zip(row["breaks"], rules_of_base, strict=True):
            duration = b1 - b0
            if b0 < first:  # begun: what is left of it is off duty whatever is decided
                fixed_off += list(range(first, max(b1, first)))
                continue
            if "break_move" not in rules.allowed:
                groups.append(BreakGroup(rule.name, duration, b0, (b0,)))
                continue
            low = start + -(-rule.earliest_start_minutes // self.step)
            high = start + rule.latest_start_minutes // self.step
            positions = tuple(p for p in range(max(low, first), high + 1) if p + duration <= end or p == b0)
            groups.append(BreakGroup(rule.name, duration, b0, positions if b0 in positions else (b0, *positions)))
        # Voluntary time off begins after the shift's last break.
        last_break_end = max([b1 for _, b1 in row["breaks"]], default=start)
        spans = [self._span("keep", start, end, template, base, row["overtime"], row["vto"], 0.0, movable=True)]
        paid_week, _, max_paid, _ = self._week(agent, others)
        # Extensions: minutes after the end, within the day's overtime, the week's paid maximum and the rest.
        if "overtime" in rules.allowed and row["vto"] == 0:
            room = min(
                contract.max_overtime_minutes_day - row["overtime"],
                max_paid - paid_week - int(row["record"]["paid_minutes"]),
            )
            for k in range(1, room // self.step + 1):
                new_end = end + k
                if new_end > self.last or not self._open(agent, end, new_end):
                    break
                if not self._available(agent, start, new_end) or not self._rest_ok(agent, start, new_end, others):
                    break
                minutes = k * self.step
                cost = rules.costs.overtime + rate * contract.overtime_rate * minutes
                spans.append(
                    self._span(
                        "overtime", start, new_end, template, base, row["overtime"] + minutes, 0, cost, movable=True
                    )
                )
        # Voluntary time off: the end cut to an interval where the rest of the day needs fewer agents than planned.
        if "vto" in rules.allowed and row["overtime"] == 0 and end <= self.last:
            for new_end in range(end - 1, max(first, last_break_end) - 1, -1):
                if not self._fewer(agent.skill_ids)[new_end - first : end - first].all():
                    break
                minutes = (end - new_end) * self.step
                cost = rules.costs.vto - rate * minutes
                spans.append(
                    self._span("vto", start, new_end, template, base, 0, row["vto"] + minutes, cost, movable=True)
                )
        # Start moves: a shift not yet begun, to another start of its template (same length and breaks' offsets).
        if "start_move" in rules.allowed and start >= first and row["overtime"] == 0 and row["vto"] == 0:
            spans += self._start_moves(agent, row, template, base, others)
        return AgentDay(agent, pool, row, spans, groups, np.array(sorted(set(fixed_off)), dtype=np.int64), absences)

    def _fixed(self, row: dict[str, Any]) -> Span:
        on = _on_duty(row, self.first, self.last)
        return Span("keep", row["start"], row["end"], on, row["template"], 0, 0, 0, 0, 0.0, False)

    def _start_moves(
        self, agent: Agent, row: dict[str, Any], template: ShiftTemplate, base: int, others: list[dict[str, Any]]
    ) -> list[Span]:
        shapes, rules = self.shapes, self.rules
        allowed = self.options[agent.id].shapes
        mine = allowed[
            (shapes.day[allowed] == self.day)
            & (shapes.length[allowed] == base)
            & (self.templates[allowed] == template.id)
        ]
        notice = -(-rules.notice_minutes // self.step)
        offsets = [b0 - row["start"] for b0, _ in row["breaks"]]
        durations = [b1 - b0 for b0, b1 in row["breaks"]]
        out = []
        for k in mine:
            new_start = int(shapes.start[k]) // self.step
            moved = new_start - row["start"]
            if moved == 0 or abs(moved) * self.step > rules.max_start_move_minutes:
                continue
            if new_start < self.first or (moved < 0 and new_start < self.first + notice):
                continue
            new_end = new_start + (row["end"] - row["start"])
            if not self._rest_ok(agent, new_start, new_end, others):
                continue
            breaks = tuple((new_start + o, d) for o, d in zip(offsets, durations, strict=True))
            out.append(
                self._span("start_move", new_start, new_end, template, base, 0, 0, rules.costs.start_move, breaks)
            )
        return out

    def call_ins(self, agent: Agent, others: list[dict[str, Any]]) -> list[Span]:
        """Shifts of the agent's templates for an agent who is off today but could work (not on time off,
        available, rested, within the week's paid minutes and days, the consecutive days worked and the shortest
        run of days off), starting after the notice."""
        rules, shapes = self.rules, self.shapes
        if "call_in" not in rules.allowed:
            return []
        options = self.options[agent.id]
        if self.day in options.days_off:
            return []
        paid_week, days_week, max_paid, max_days = self._week(agent, others)
        if days_week + 1 > max_days:
            return []
        consecutive = self.center.contract_of(agent).max_consecutive_days
        worked = {r["day"] for r in others}
        run = 1
        d = self.day - 1
        while d in worked:
            run, d = run + 1, d - 1
        d = self.day + 1
        while d in worked:
            run, d = run + 1, d + 1
        if run > consecutive:
            return []
        # The days off on either side must still make a run of at least the contract's minimum.
        fewest_off = self.center.contract_of(agent).min_consecutive_days_off
        before = [w for w in worked if w < self.day]
        after = [w for w in worked if w > self.day]
        if before and 0 < self.day - max(before) - 1 < fewest_off:
            return []
        if after and 0 < min(after) - self.day - 1 < fewest_off:
            return []
        allowed = options.shapes
        mine = allowed[shapes.day[allowed] == self.day]
        notice = -(-rules.notice_minutes // self.step)
        rate = agent.hourly_cost / 60
        templates = self.center.templates_by_id
        out = []
        for k in mine:
            start = int(shapes.start[k]) // self.step
            if start < self.first + notice or int(shapes.paid[k]) > max_paid - paid_week:
                continue
            end = start + int(shapes.length[k]) // self.step
            if not self._rest_ok(agent, start, end, others):
                continue
            breaks = tuple((start + slot.nominal, slot.duration) for slot in shapes.breaks[k])
            cost = rules.costs.call_in + rate * int(shapes.paid[k])
            template = templates[shapes.template[k]]
            out.append(self._span("call_in", start, end, template, int(shapes.length[k]), 0, 0, cost, breaks))
        return out


def _as_breaks(row: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    return tuple((b0, b1 - b0) for b0, b1 in row["breaks"])
