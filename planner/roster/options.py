"""Shift options: every shift an agent may work in the horizon, as arrays (the model's decisions range over them).

A *shape* is one (day, template, start, length) of the horizon; each agent may work a subset of the shapes: the
templates of their contract on the templates' weekdays, not on days off, inside their availability, where some
work type of their skills is open (`Center.is_open`: opening hours and days listed ``closed``), and after the rest
the previous roster leaves them. Times are minutes elapsed
since the horizon's start, so shifts across a DST change keep their length; shifts and breaks lie on the
interval grid (a start or a break off the grid is an input error, said before solving).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse

from models import Agent, Center, Horizon, InputError, LateShift, Problem
from models.base import MINUTES_PER_DAY, format_minute_of_day

__all__ = ["AgentOptions", "BreakSlot", "Shapes", "agent_options", "available_spans", "build_shapes"]


@dataclass(frozen=True)
class BreakSlot:
    """A break rule of one shape: where it may start (interval offsets from the shift's first interval), how many
    intervals it lasts, and its nominal start (the middle of its window) used before breaks are placed."""

    name: str
    offsets: tuple[int, ...]
    duration: int
    paid: bool

    @property
    def nominal(self) -> int:
        return self.offsets[len(self.offsets) // 2]


@dataclass
class Shapes:
    """Every shift shape of the horizon, one entry per array position."""

    horizon: Horizon
    day: np.ndarray  # day index in the horizon
    template: list[str]
    start_minute: np.ndarray  # wall-clock minute of the start on its day
    length: np.ndarray  # elapsed minutes
    start: np.ndarray  # minutes elapsed since the horizon's start
    paid: np.ndarray  # paid minutes
    end_minute: np.ndarray  # wall-clock end, in minutes after the local midnight of its day (> 1440: a later date)
    breaks: list[tuple[BreakSlot, ...]]
    first: np.ndarray = field(init=False)  # first interval index
    count: np.ndarray = field(init=False)  # intervals inside the horizon
    _late: dict[LateShift, np.ndarray] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        step = self.horizon.interval_minutes
        total = len(self.horizon.intervals)
        self.first = self.start // step
        self.count = np.clip(np.minimum(self.first + self.length // step, total) - self.first, 0, None)

    def __len__(self) -> int:
        return len(self.day)

    @cached_property
    def end(self) -> np.ndarray:
        return np.asarray(self.start + self.length, dtype=np.int64)

    def covered(self, k: int, nominal_breaks: bool = True) -> np.ndarray:
        """Interval indices shape `k` is on duty in (inside the horizon), less its breaks at their nominal place."""
        first, count = int(self.first[k]), int(self.count[k])
        on = np.ones(count, dtype=bool)
        if nominal_breaks:
            for slot in self.breaks[k]:
                on[slot.nominal : slot.nominal + slot.duration] = False
        return first + np.flatnonzero(on)

    @cached_property
    def coverage_matrix(self) -> sparse.csr_matrix:
        """Shapes x intervals, 1 where the shape is on duty (breaks at their nominal place)."""
        rows = [np.full(len(c), k) for k, c in enumerate(self.covered(k) for k in range(len(self)))]
        columns = [self.covered(k) for k in range(len(self))]
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
        return sparse.csr_matrix((np.ones(len(row)), (row, column)), shape=(len(self), len(self.horizon.intervals)))

    def late(self, definition: LateShift) -> np.ndarray:
        """Per shape: whether it is a late shift by `definition` (the centre's or a contract's)."""
        if definition not in self._late:
            self._late[definition] = definition.is_late(self.start_minute, self.end_minute)
        return self._late[definition]

    def timestamps(self, k: int) -> tuple[pd.Timestamp, pd.Timestamp]:
        begin = self.horizon.day_starts[0] + pd.Timedelta(minutes=int(self.start[k]))
        return begin, begin + pd.Timedelta(minutes=int(self.length[k]))


def _elapsed(horizon: Horizon, day: date, minute: int) -> int:
    """Minutes from the horizon's start to wall-clock `minute` of `day` (DST-correct)."""
    instant = horizon.local_time(day, minute) if minute <= MINUTES_PER_DAY else None
    assert instant is not None
    return int((instant - horizon.day_starts[0]).total_seconds() // 60)


def _wall_end(horizon: Horizon, end: int, day: date) -> int:
    """The wall-clock end of a shift of `day` ending `end` minutes after the horizon's start, in minutes after the
    local midnight of `day` (1440 and more on a later date; the local clock, so a shift across a DST change is
    judged by when it really ends)."""
    local = (horizon.day_starts[0] + pd.Timedelta(minutes=end)).tz_convert(horizon.timezone)
    return (local.date() - day).days * MINUTES_PER_DAY + local.hour * 60 + local.minute


def build_shapes(center: Center, horizon: Horizon) -> Shapes:
    """Every (day, template, start, length) of the horizon; raises InputError where a template is off the grid."""
    step = horizon.interval_minutes
    problems: list[Problem] = []
    days, templates, start_minutes, lengths, starts, paid, ends, breaks = [], [], [], [], [], [], [], []
    for t_index, template in enumerate(center.shift_templates):
        where = f"shift_templates[{t_index}] ('{template.id}')"
        slots_by_length: dict[int, tuple[BreakSlot, ...]] = {}
        for length in template.lengths_minutes:
            if length % step:
                problems.append(
                    Problem(
                        where,
                        f"length {length} min is not a whole number of {step}-min intervals",
                        f"use lengths that are multiples of {step} min",
                    )
                )
                continue
            slots = []
            for rule in template.breaks_for(length):
                first = -(-rule.earliest_start_minutes // step)
                last = rule.latest_start_minutes // step
                if rule.duration_minutes % step or first > last:
                    problems.append(
                        Problem(
                            f"{where}.breaks ('{rule.name}')",
                            f"a {rule.duration_minutes}-min break starting {rule.earliest_start_minutes}-"
                            f"{rule.latest_start_minutes} min into the shift cannot lie on the {step}-min grid",
                            f"make its duration and window multiples of {step} min",
                        )
                    )
                    continue
                slots.append(
                    BreakSlot(rule.name, tuple(range(first, last + 1)), rule.duration_minutes // step, rule.paid)
                )
            slots_by_length[length] = tuple(slots)
        offered = False  # some day of the horizon is one of the template's weekdays
        for d, day in enumerate(horizon.dates):
            if day.weekday() not in template.weekdays:
                continue
            offered = True
            for minute in template.start_minutes():
                start = _elapsed(horizon, day, minute)
                if start % step:
                    continue  # a start the clocks skip (moved off the grid): not offered that day
                for length in slots_by_length:
                    days.append(d)
                    templates.append(template.id)
                    start_minutes.append(minute)
                    lengths.append(length)
                    starts.append(start)
                    paid.append(template.paid_minutes(length))
                    ends.append(_wall_end(horizon, start + length, day))
                    breaks.append(slots_by_length[length])
        if offered and not any(t == template.id for t in templates) and not problems:
            starts_text = ", ".join(format_minute_of_day(m) for m in template.start_minutes()[:3])
            problems.append(
                Problem(
                    where,
                    f"no start ({starts_text}, ...) lies on the {step}-min interval grid on any day",
                    f"use starts on the {step}-min grid",
                )
            )
    if problems:
        raise InputError("center", problems)
    return Shapes(
        horizon=horizon,
        day=np.array(days, dtype=np.int64),
        template=templates,
        start_minute=np.array(start_minutes, dtype=np.int64),
        length=np.array(lengths, dtype=np.int64),
        start=np.array(starts, dtype=np.int64),
        paid=np.array(paid, dtype=np.int64),
        end_minute=np.array(ends, dtype=np.int64),
        breaks=breaks,
    )


@dataclass(frozen=True)
class AgentOptions:
    """The shapes one agent may work, the days of time off and of closure, and the days the agent could be
    rostered at all."""

    agent: Agent
    shapes: np.ndarray  # indices into Shapes
    days_off: frozenset[int]  # time off
    # Days with a shape of the contract's templates inside the availability and the opening hours (the weekly
    # hours: closed days aside), before time off and the rest after the previous roster are taken out: the days
    # that time off and closures are charged on.
    possible_days: frozenset[int]
    # Possible days with no shape left once the days listed ``closed`` for the agent's work types are taken out:
    # charged like time off (docs/roster.md).
    closed_days: frozenset[int] = frozenset()


def available_spans(agent: Agent, horizon: Horizon) -> np.ndarray:
    """The agent's availability as merged [start, end) elapsed-minute spans over the horizon and the day after."""
    spans = []
    for day in [*horizon.dates, horizon.end_date + pd.Timedelta(days=1).to_pytimedelta()]:
        for window in agent.availability:
            if window.weekday == day.weekday():
                spans.append((_elapsed(horizon, day, window.start_minute), _elapsed(horizon, day, window.end_minute)))
    spans.sort()
    merged: list[list[int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return np.array(merged, dtype=np.int64).reshape(-1, 2)


def _closed_before(center: Center, is_open: dict[str, np.ndarray], skills: frozenset[str]) -> np.ndarray:
    """The running count of the horizon's intervals in which no work type of these skills is open (`is_open`: per
    work type, per interval), one longer than the horizon's intervals."""
    count = len(next(iter(is_open.values())))
    open_any = np.zeros(count, dtype=bool)
    for work_type in center.work_types:
        if work_type.skill in skills:
            open_any |= is_open[work_type.id]
    return np.concatenate([[0], np.cumsum(~open_any)])


def agent_options(
    center: Center, shapes: Shapes, previous_end: dict[str, int] | None = None
) -> dict[str, AgentOptions]:
    """The shapes each agent may work. `previous_end`: per agent, the end (elapsed minutes, usually negative) of
    their last shift before the horizon, from the previous roster: shapes starting within the rest are dropped."""
    horizon = shapes.horizon
    previous_end = previous_end or {}
    # Per work type and interval: open by `Center.is_open` (True), and by the weekly opening hours alone (False).
    is_open = {
        flag: {w.id: center.is_open(w.id, horizon.intervals, closed_days=flag) for w in center.work_types}
        for flag in (False, True)
    }
    closed_prefix: dict[tuple[frozenset[str], bool], np.ndarray] = {}
    out = {}
    for agent in center.agents:
        contract = center.contract_of(agent)
        allowed = np.isin(np.array(shapes.template), contract.shift_templates)
        if agent.availability:
            spans = available_spans(agent, horizon)
            if len(spans) == 0:
                allowed[:] = False
            else:
                k = np.searchsorted(spans[:, 0], shapes.start, side="right") - 1
                inside = k >= 0
                k = np.maximum(k, 0)
                allowed &= inside & (shapes.end <= spans[k, 1]) & (shapes.start >= spans[k, 0])
        hours: dict[bool, np.ndarray] = {}  # per shape: overlaps no closed interval (False: opening hours only)
        for closed_days in (False, True):
            key = (agent.skill_ids, closed_days)
            if key not in closed_prefix:
                closed_prefix[key] = _closed_before(center, is_open[closed_days], agent.skill_ids)
            prefix = closed_prefix[key]
            hours[closed_days] = (prefix[shapes.first + shapes.count] - prefix[shapes.first]) == 0
        possible = frozenset(np.unique(shapes.day[allowed & hours[False]]).tolist())
        allowed &= hours[True]
        closures = possible - frozenset(np.unique(shapes.day[allowed]).tolist())
        off = frozenset(d for d, day in enumerate(horizon.dates) if agent.is_off(day))
        if off:
            allowed &= ~np.isin(shapes.day, list(off))
        if agent.id in previous_end:
            allowed &= shapes.start >= previous_end[agent.id] + contract.min_rest_minutes
        out[agent.id] = AgentOptions(
            agent=agent, shapes=np.flatnonzero(allowed), days_off=off, possible_days=possible, closed_days=closures
        )
    return out
