"""The roster's independent validator: every hard rule of docs/roster.md, re-checked from the output tables.

It knows the rules, not the model: it reads a roster (and, when given, the coverage table, the previous roster
and the pinned shifts) as tables, recomputes what they imply and names every broken rule by its id in
docs/roster.md. Nothing here imports the CP-SAT model, so a mistake in the model cannot hide itself here.

Time is handled as the page defines it: a shift belongs to its `date` (the local start date), its length is
`end - start` in elapsed minutes (so a shift across a DST change keeps its length), weeks are 7-day blocks from
the horizon's first day (a short last block gets its maxima prorated and rounded up, and no minimum), and the
previous roster is context for `min_rest`, `max_consecutive_days` and `min_consecutive_days_off` only. Instants
are compared as nanoseconds since the epoch; wall-clock values are derived from them in the centre's zone.

Readings of the page where it leaves a choice:
- a row dated outside the horizon is a `shift_shape` violation (a roster is for its horizon); it still counts as
  worked for the rest and day-run rules, but not for the weekly limits or weekends, which are the horizon's;
- `paid_minutes` is checked against the template's break rules for the shift's length (not against the `breaks`
  cells, whose own mistakes are `breaks` violations);
- the day's changes (intraday) are read from the optional columns: a row's length before them, its *base length*,
  is ``end - start - overtime_minutes + vto_minutes``; `shift_shape`, the break rules of `breaks` and
  `paid_minutes` (``template.paid_minutes(base) + overtime - vto``) are about the base length, while breaks and
  absences must lie inside the shift as worked, ``[start, end)``; a row with both overtime and voluntary time off
  is an `overtime` violation (both move the end: the row should carry their difference);
- `weekly_paid_minutes`: the maximum counts `paid_minutes` as written (overtime included); the minimum counts
  `paid_minutes` plus the voluntary time off taken (time off the agent chose does not make the week illegal);
- absences are not on duty, like breaks (an absence may cover a break: the time is off once), and leave
  `paid_minutes` unchanged (absence pay is HR's business, not the roster's);
- the time-off credit is rounded down in both of its forms (target or maximum over `max_working_days`); a time-off
  day counts once however many ranges cover it; in a short last block the credit is taken from the prorated
  maximum (and the charged days from the prorated days);
- a day the agent could be rostered on (the days time off and closures are charged on) is one where some start
  and length of a template of the agent's contract, on one of the template's weekdays, gives a shift that lies
  whole inside the availability windows (placed and joined as the `availability` rule places them, when the agent
  lists any) and overlaps no interval of the horizon outside the opening hours of the agent's skills (the weekly
  hours: days listed `closed` aside); time off itself and the previous roster's rest do not take a day out, and a
  start that the clocks skip counts where they move it;
- opening hours are `Center.is_open`: a special day listed `closed` closes the work types it names (all where it
  names none) for the whole local date; a day the agent could be rostered on where no such shift is left once
  the closed days are taken out (as `opening_hours` judges them) is charged like a day of time off, once however
  many reasons keep the agent away that day;
- previous-roster rows dated inside the horizon are ignored (the roster replaces them); `check_roster_files`,
  reading files, refuses such a previous roster as one of the plan's own days (`planner.matching`);
- a pins table with a `pinned` column pins only its rows that are not marked false;
- a weekend is the agent's contract's `weekend_days`, else the centre's, grouped by
  `models.workforce.weekend_offsets` (the page's definition of a weekend, not the model's grouping);
- `max_consecutive_days` is reported once per run, on the first date of the horizon where the run is too long;
  `min_consecutive_days_off` on the worked date that ends the short run; `max_working_weekends` on the first
  worked date of the first weekend over the limit; weekly limits on the week's first date.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import COVERAGE, REQUIREMENT, ROSTER, Center, Horizon, load_center, read_table
from models.base import WEEKDAY_NAMES
from models.io import read_raw
from models.tables import UTC_OFFSET_PATTERN, parse_table
from models.workforce import Contract, ShiftTemplate, weekend_offsets
from planner.matching import check_previous_roster, check_roster_in_horizon

__all__ = [
    "COVERAGE_RULE",
    "RULES",
    "TOLERANCE",
    "RosterCheck",
    "Violation",
    "check_roster_files",
    "on_duty",
    "validate_roster",
]

#: The hard rules' ids, in the order of docs/roster.md's table.
RULES = (
    "known_agent",
    "one_shift_per_day",
    "template_allowed",
    "shift_shape",
    "overtime",
    "breaks",
    "absences",
    "paid_minutes",
    "time_off",
    "availability",
    "opening_hours",
    "weekly_paid_minutes",
    "weekly_working_days",
    "min_rest",
    "max_consecutive_days",
    "min_consecutive_days_off",
    "max_working_weekends",
    "pinned",
)
#: The id of every check of the coverage table against the roster.
COVERAGE_RULE = "coverage"
#: Agents (or shares of agents) by which coverage numbers may differ from what the roster implies.
TOLERANCE = 1e-6
#: Skills handled per block of subsets in the Hall check (2**12 subsets x intervals per matrix product).
_HALL_BLOCK_BITS = 12

_NS_PER_MINUTE = 60 * 10**9
_NS_PER_DAY = 24 * 60 * _NS_PER_MINUTE
_NAT = np.iinfo(np.int64).min
#: A position or an instant, as Python or numpy gives it.
_Int = int | np.integer[Any]
#: The roster as the validator reads it: a repeated (agent, date) is the `one_shift_per_day` rule's to report.
_ROSTER_ROWS = dataclasses.replace(ROSTER, unique_key=False)


@dataclass(frozen=True)
class Violation:
    """One broken rule: its id in docs/roster.md (or ``coverage``), where, and a sentence with the numbers."""

    rule: str
    agent_id: str | None
    date: datetime.date | None
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} {self.agent_id or '-'} {self.date or '-'}: {self.detail}"


@dataclass(frozen=True)
class RosterCheck:
    """What `check_roster_files` found: the violations, and the size of the roster it checked."""

    violations: list[Violation]
    shifts: int
    agents: int
    horizon: Horizon

    @property
    def valid(self) -> bool:
        return not self.violations


# -- entry points -------------------------------------------------------------------------------------------------


def validate_roster(
    roster: pd.DataFrame,
    center: Center,
    horizon: Horizon,
    *,
    coverage: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
    requirement: pd.DataFrame | None = None,
) -> list[Violation]:
    """Every violation of docs/roster.md's hard rules by `roster` over `horizon`, sorted by (rule, agent, date).

    `roster`, `previous` and `pins` are roster tables (typed as `read_table` returns them, or raw text);
    `coverage` is a coverage table, checked against the on-duty agents the roster implies; `requirement`, when
    given with `coverage`, is also checked against the coverage's `required`. A table that does not follow its
    contract (a missing column, an unreadable cell) raises `InputError`.
    """
    shifts = _read_shifts(roster, horizon, "roster")
    before = _read_shifts(previous, horizon, "previous roster") if previous is not None else _Shifts.empty()
    pinned = _read_pins(pins, horizon) if pins is not None else None
    context = _Context(center, horizon, shifts, before.take(before.day < 0), pinned)
    found = [violation for check in _RULE_CHECKS.values() for violation in check(context)]
    if coverage is not None:
        found += _coverage(context, coverage, requirement)
    return sorted(found, key=_order)


def on_duty(roster: pd.DataFrame, center: Center, horizon: Horizon) -> pd.DataFrame:
    """The share (0..1) of each interval of `horizon` that each agent is in a shift and not on a break or absent.

    Rows are the horizon's `interval_start`s, columns the centre's agents in its order (then any unknown agent
    of the roster); on the interval grid the shares are 0 or 1.
    """
    shifts = _read_shifts(roster, horizon, "roster")
    ids = [a.id for a in center.agents]
    ids += sorted(set(shifts.agent.tolist()) - set(ids))
    position = {agent_id: i for i, agent_id in enumerate(ids)}
    agent = np.array([position[a] for a in shifts.agent], dtype=np.int64)
    off = _off_duty(_parse_breaks(shifts.breaks, horizon.timezone), _parse_breaks(shifts.absences, horizon.timezone))
    shares = _on_duty_matrix(shifts, off, agent, len(ids), horizon)
    return pd.DataFrame(
        shares.T,
        index=pd.Index(horizon.intervals, name="interval_start"),
        columns=pd.Index(ids, name="agent_id"),
    )


def check_roster_files(
    roster: str | Path,
    center: str | Path | Center,
    requirement: str | Path,
    *,
    coverage: str | Path | None = None,
    previous: str | Path | None = None,
    pins: str | Path | None = None,
) -> RosterCheck:
    """The job behind `wfm check-roster`: read the files, take the horizon from the requirement, validate. A
    roster with shifts outside the requirement's days, or a previous roster of the plan's own days, is an
    InputError (the files do not belong together), not a list of rule breaks."""
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    needs = read_table(requirement, REQUIREMENT, timezone=zone)
    horizon = center.horizon_covering(needs["interval_start"], source=str(requirement))
    raw, rows = read_raw(roster)
    table = parse_table(raw, _ROSTER_ROWS, str(roster), rows=rows, timezone=zone)
    check_roster_in_horizon(table, horizon, str(roster), str(requirement))
    before = read_table(previous, ROSTER, timezone=zone) if previous is not None else None
    check_previous_roster(before, horizon, str(previous))
    violations = validate_roster(
        table,
        center,
        horizon,
        coverage=read_table(coverage, COVERAGE, timezone=zone) if coverage is not None else None,
        previous=before,
        pins=read_table(pins, ROSTER, timezone=zone) if pins is not None else None,
        requirement=needs,
    )
    return RosterCheck(violations, len(table), int(table["agent_id"].nunique()), horizon)


def _order(violation: Violation) -> tuple[str, str, datetime.date, str]:
    return violation.rule, violation.agent_id or "", violation.date or datetime.date.min, violation.detail


# -- reading the tables -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shifts:
    """Shifts as arrays: instants in ns since the epoch, `day` = the `date` column as days after the horizon's
    first day."""

    agent: np.ndarray
    day: np.ndarray
    start: np.ndarray
    end: np.ndarray
    template: np.ndarray
    paid: np.ndarray
    breaks: list[Any]
    pinned: np.ndarray
    overtime: np.ndarray  # minutes
    vto: np.ndarray  # minutes
    absences: list[Any]

    @classmethod
    def empty(cls) -> _Shifts:
        none = np.zeros(0, dtype=np.int64)
        blank = np.zeros(0, dtype=object)
        return cls(blank, none, none, none, blank, np.zeros(0), [], np.zeros(0, dtype=bool), none, none, [])

    def __len__(self) -> int:
        return len(self.agent)

    def take(self, mask: np.ndarray) -> _Shifts:
        rows = np.flatnonzero(mask)
        return _Shifts(
            self.agent[rows],
            self.day[rows],
            self.start[rows],
            self.end[rows],
            self.template[rows],
            self.paid[rows],
            [self.breaks[i] for i in rows],
            self.pinned[rows],
            self.overtime[rows],
            self.vto[rows],
            [self.absences[i] for i in rows],
        )


def _read_shifts(frame: pd.DataFrame, horizon: Horizon, source: str, *, unmarked: bool = False) -> _Shifts:
    """The rows of a roster table; `unmarked` is what a row without a `pinned` value counts as."""
    table = parse_table(frame, _ROSTER_ROWS, source, timezone=horizon.timezone)
    epoch_days = np.array(table["date"].tolist(), dtype="datetime64[D]").astype(np.int64)
    pinned = table["pinned"].fillna(unmarked) if "pinned" in table else pd.Series(unmarked, index=table.index)
    return _Shifts(
        agent=table["agent_id"].to_numpy(dtype=object),
        day=epoch_days - _epoch_day(horizon.start_date),
        start=_nanoseconds(table["start"]),
        end=_nanoseconds(table["end"]),
        template=table["shift_template"].to_numpy(dtype=object),
        paid=pd.to_numeric(table["paid_minutes"]).to_numpy(dtype=float),
        breaks=table["breaks"].tolist(),
        pinned=pinned.to_numpy(dtype=bool),
        overtime=_minutes_column(table, "overtime_minutes"),
        vto=_minutes_column(table, "vto_minutes"),
        absences=table["absences"].tolist() if "absences" in table else [None] * len(table),
    )


def _minutes_column(table: pd.DataFrame, name: str) -> np.ndarray:
    """An optional whole-minutes column of the roster (`overtime_minutes`, `vto_minutes`): blank or absent is 0."""
    if name not in table:
        return np.zeros(len(table), dtype=np.int64)
    return np.asarray(pd.to_numeric(table[name]).fillna(0).to_numpy(dtype=np.int64))


def _read_pins(frame: pd.DataFrame, horizon: Horizon) -> _Shifts:
    """The pinned shifts: every row, or where the table has a `pinned` column, the rows not marked false."""
    pins = _read_shifts(frame, horizon, "pins", unmarked=True)
    return pins.take(pins.pinned)


def _nanoseconds(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(values).as_unit("ns").asi8, dtype=np.int64)


def _epoch_day(day: datetime.date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))


@dataclass(frozen=True)
class _Breaks:
    """The `breaks` cells parsed: row i's breaks are ``start[offset[i]:offset[i + 1]]`` (and `end`); `bad` says
    why a row's cell could not be read."""

    start: np.ndarray
    end: np.ndarray
    offset: np.ndarray
    bad: dict[int, str]

    def of(self, row: _Int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offset[row], self.offset[row + 1]
        return self.start[lo:hi], self.end[lo:hi]


def _parse_breaks(cells: Sequence[Any], timezone: str) -> _Breaks:
    counts = np.zeros(len(cells), dtype=np.int64)
    bad: dict[int, str] = {}
    flat: list[Any] = []
    owner: list[int] = []
    for i, cell in enumerate(cells):
        value = cell
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                bad[i] = f"'{cell}' is not JSON"
                continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = []
        if isinstance(value, np.ndarray):
            value = value.tolist()
        pairs = [p.tolist() if isinstance(p, np.ndarray) else p for p in value] if isinstance(value, list) else None
        if pairs is None or not all(isinstance(p, list | tuple) and len(p) == 2 for p in pairs):
            bad[i] = f"{cell!r} is not a list of [start, end] pairs"
            continue
        counts[i] = len(pairs)
        for pair in pairs:
            flat.extend(pair)
            owner.extend((i, i))
    instants = _parse_instants(flat, timezone)
    for k in np.flatnonzero(instants == _NAT):
        bad.setdefault(owner[k], f"'{flat[k]}' is not a timestamp")
    for i in bad:
        counts[i] = 0
    keep = np.array([owner[k] not in bad for k in range(len(flat))], dtype=bool)
    kept = instants[keep]
    return _Breaks(kept[0::2], kept[1::2], np.concatenate([[0], np.cumsum(counts)]), bad)


def _off_duty(breaks: _Breaks, absences: _Breaks) -> _Breaks:
    """Per row, the union of its breaks and its absences as disjoint spans (a break inside an absence is not off
    twice). Rows without absences keep their breaks as they are."""
    if not len(absences.start):
        return breaks
    rows = len(breaks.offset) - 1
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    counts = np.zeros(rows, dtype=np.int64)
    for row in range(rows):
        (b0, b1), (a0, a1) = breaks.of(row), absences.of(row)
        low, high = (b0, b1) if not len(a0) else (np.concatenate([b0, a0]), np.concatenate([b1, a1]))
        if len(a0):
            order = np.argsort(low, kind="stable")
            low, high = low[order], high[order]
            kept = high > low
            low, high = low[kept], high[kept]
            if len(low):
                reach = np.maximum.accumulate(high)
                first = np.flatnonzero(np.concatenate([[True], low[1:] > reach[:-1]]))
                low, high = low[first], np.maximum.reduceat(high, first)
        starts.append(low)
        ends.append(high)
        counts[row] = len(low)
    none = np.zeros(0, dtype=np.int64)
    return _Breaks(
        np.concatenate([none, *starts]).astype(np.int64),
        np.concatenate([none, *ends]).astype(np.int64),
        np.concatenate([[0], np.cumsum(counts)]),
        {},
    )


def _parse_instants(values: Sequence[Any], timezone: str) -> np.ndarray:
    """ISO text (with an offset, or wall-clock time in `timezone`) or timestamps as ns; `_NAT` if unreadable."""
    out = np.full(len(values), _NAT, dtype=np.int64)
    text_at = [k for k, v in enumerate(values) if isinstance(v, str)]
    if text_at:
        text = pd.Series([values[k] for k in text_at], dtype=object).str.strip()
        offset = text.str.contains(UTC_OFFSET_PATTERN, na=False).to_numpy(dtype=bool)
        aware = pd.to_datetime(text.where(offset), format="ISO8601", utc=True, errors="coerce")
        naive = pd.to_datetime(text.where(~offset), format="ISO8601", errors="coerce")
        local = pd.DatetimeIndex(naive).tz_localize(timezone, ambiguous=np.ones(len(naive), bool), nonexistent="NaT")
        out[text_at] = np.where(offset, _nanoseconds(aware), _nanoseconds(local))
    for k, value in enumerate(values):
        if isinstance(value, datetime.datetime | np.datetime64):
            stamp = pd.DatetimeIndex([value])
            if stamp.tz is None:
                stamp = stamp.tz_localize(timezone, ambiguous=np.ones(1, bool), nonexistent="NaT")
            out[k] = _nanoseconds(stamp)[0]
    return out


# -- what the rules share ------------------------------------------------------------------------------------------


class _Context:
    """The roster and the centre, with the per-row look-ups the rules share (computed once, on first use)."""

    def __init__(
        self, center: Center, horizon: Horizon, shifts: _Shifts, previous: _Shifts, pins: _Shifts | None
    ) -> None:
        self.center = center
        self.horizon = horizon
        self.shifts = shifts
        self.previous = previous
        self.pins = pins
        self.zone = horizon.timezone
        self.contracts: list[Contract] = [center.contract_of(a) for a in center.agents]

    @cached_property
    def agent_index(self) -> np.ndarray:
        """Each row's agent as a position in `center.agents`, -1 for an unknown agent."""
        return _agent_positions(self.shifts.agent, self.center)

    @cached_property
    def known(self) -> np.ndarray:
        return np.asarray(self.agent_index >= 0, dtype=bool)

    @cached_property
    def shaped(self) -> np.ndarray:
        """Rows whose agent and template are both the centre's (the rules about templates need both)."""
        templates = self.center.templates_by_id
        return np.asarray(self.known & np.array([t in templates for t in self.shifts.template], dtype=bool))

    @cached_property
    def in_horizon(self) -> np.ndarray:
        return np.asarray((self.shifts.day >= 0) & (self.shifts.day < self.horizon.days), dtype=bool)

    @cached_property
    def length_ns(self) -> np.ndarray:
        return np.asarray(self.shifts.end - self.shifts.start, dtype=np.int64)

    @cached_property
    def base_ns(self) -> np.ndarray:
        """Each shift's length before the day's changes: ``end - start - overtime + voluntary time off``, the
        length the template's lengths and break rules are about."""
        change = (self.shifts.vto - self.shifts.overtime) * _NS_PER_MINUTE
        return np.asarray(self.length_ns + change, dtype=np.int64)

    @cached_property
    def wall_ns(self) -> np.ndarray:
        """Each start as local wall-clock time, in ns since the epoch of the naive clock."""
        local = pd.DatetimeIndex(self.shifts.start, tz="UTC").tz_convert(self.zone).tz_localize(None)
        return _nanoseconds(local)

    @cached_property
    def breaks(self) -> _Breaks:
        return _parse_breaks(self.shifts.breaks, self.zone)

    @cached_property
    def absences(self) -> _Breaks:
        return _parse_breaks(self.shifts.absences, self.zone)

    @cached_property
    def off_duty(self) -> _Breaks:
        """Per row, the times in the shift the agent is not working: breaks and absences (rows with both merged)."""
        return _off_duty(self.breaks, self.absences)

    @cached_property
    def closed(self) -> _Closed:
        """When the agents' skills are closed, per interval of the horizon (rule opening_hours, and the closed
        days charged in the weekly limits)."""
        return _closed_intervals(self.center, self.horizon)

    @cached_property
    def outside_hours(self) -> _Closed:
        """When the agents' skills are outside their weekly opening hours, closed days aside (the days the agent
        could be rostered on, which time off and closed days are charged on)."""
        return _closed_intervals(self.center, self.horizon, closed_days=False)

    @cached_property
    def weeks(self) -> _Weeks:
        """The weekly figures and limits (rules weekly_paid_minutes and weekly_working_days)."""
        return _weeks(self)

    @cached_property
    def rows_of_agent(self) -> dict[str, np.ndarray]:
        groups = pd.Series(self.shifts.agent).groupby(self.shifts.agent).indices
        return {str(k): np.asarray(v, dtype=np.int64) for k, v in groups.items()}

    def limit(self, field: str) -> np.ndarray:
        """A contract field per centre agent (NaN where the contract sets no limit)."""
        return np.array([_number(getattr(c, field)) for c in self.contracts], dtype=float)

    def date(self, day: _Int) -> datetime.date:
        return self.horizon.start_date + datetime.timedelta(days=int(day))

    def at(self, rule: str, row: _Int, detail: str) -> Violation:
        return Violation(rule, str(self.shifts.agent[row]), self.date(self.shifts.day[row]), detail)

    def clock(self, instant: _Int) -> str:
        return _clock(instant, self.zone)

    def span(self, row: _Int) -> str:
        return f"{self.clock(self.shifts.start[row])}-{self.clock(self.shifts.end[row])[-5:]}"


def _number(value: int | None) -> float:
    return math.nan if value is None else float(value)


def _agent_positions(agents: np.ndarray, center: Center) -> np.ndarray:
    position = {a.id: i for i, a in enumerate(center.agents)}
    return np.array([position.get(a, -1) for a in agents], dtype=np.int64)


def _clock(instant: _Int, zone: str) -> str:
    return pd.Timestamp(int(instant), tz="UTC").tz_convert(zone).strftime("%Y-%m-%d %H:%M")


def _minutes(ns: _Int | float) -> str:
    return f"{float(ns) / _NS_PER_MINUTE:g}"


def _week_bounds(context: _Context, week: int) -> tuple[datetime.date, datetime.date, int]:
    """First and last date of week `week` (0-based) and its length in days."""
    first = week * 7
    days = min(7, context.horizon.days - first)
    return context.date(first), context.date(first + days - 1), days


# -- the hard rules, one function each (docs/roster.md's table, in its order) --------------------------------------


def _known_agent(context: _Context) -> Iterator[Violation]:
    shifts = context.shifts
    for row in np.flatnonzero(~context.known):
        yield context.at("known_agent", row, f"agent '{shifts.agent[row]}' is not an agent of the centre")
    templates = context.center.templates_by_id
    for at, template in enumerate(shifts.template):
        if template not in templates:
            yield context.at(
                "known_agent",
                at,
                f"shift template '{template}' is not a template of the centre "
                f"(templates: {', '.join(sorted(templates))})",
            )


def _one_shift_per_day(context: _Context) -> Iterator[Violation]:
    shifts = context.shifts
    keys = pd.DataFrame({"agent": shifts.agent, "day": shifts.day})
    repeated = keys[keys.duplicated(keep=False)]
    for rows in repeated.groupby(["agent", "day"], sort=True).groups.values():
        ordered = sorted(rows, key=lambda r: int(shifts.start[r]))
        spans = ", ".join(context.span(r) for r in ordered)
        yield context.at("one_shift_per_day", ordered[0], f"{len(ordered)} shifts on one date: {spans}")


def _template_allowed(context: _Context) -> Iterator[Violation]:
    shifts = context.shifts
    templates = context.center.templates_by_id
    weekdays = (shifts.day + _epoch_day(context.horizon.start_date) + 3) % 7  # 1970-01-01 was a Thursday
    for row in np.flatnonzero(context.shaped):
        contract = context.contracts[context.agent_index[row]]
        template = templates[shifts.template[row]]
        if template.id not in contract.shift_templates:
            yield context.at(
                "template_allowed",
                row,
                f"template '{template.id}' is not allowed by contract '{contract.id}' "
                f"(it allows {', '.join(contract.shift_templates)})",
            )
        if weekdays[row] not in template.weekdays:
            days = ", ".join(WEEKDAY_NAMES[d] for d in template.weekdays)
            yield context.at(
                "template_allowed",
                row,
                f"template '{template.id}' is not worked on a {WEEKDAY_NAMES[weekdays[row]]} (only on {days})",
            )


def _shift_shape(context: _Context) -> Iterator[Violation]:
    shifts, horizon = context.shifts, context.horizon
    for row in np.flatnonzero(~context.in_horizon):
        yield context.at(
            "shift_shape",
            row,
            f"the date {context.date(shifts.day[row])} is outside the horizon {horizon.start_date}..{horizon.end_date}",
        )
    start_day = context.wall_ns // _NS_PER_DAY - _epoch_day(horizon.start_date)
    wall_minute = context.wall_ns % _NS_PER_DAY / _NS_PER_MINUTE
    templates = context.center.templates_by_id
    starts = {t.id: frozenset(t.start_minutes()) for t in context.center.shift_templates}
    for row in np.flatnonzero(context.shaped):
        template = templates[shifts.template[row]]
        if start_day[row] != shifts.day[row]:
            yield context.at(
                "shift_shape",
                row,
                f"the date {context.date(shifts.day[row])} is not the local date of the start "
                f"{context.clock(shifts.start[row])}",
            )
        if wall_minute[row] not in starts[template.id] and not _starts_where_skipped(context, row, template):
            step = template.start_step_minutes
            yield context.at(
                "shift_shape",
                row,
                f"starts at {context.clock(shifts.start[row])[-5:]}, not one of template '{template.id}''s starts "
                f"({_hhmm(template.earliest_start_minute)}..{_hhmm(template.latest_start_minute)} every {step} min)",
            )
        length, base = context.length_ns[row], context.base_ns[row]
        if length <= 0:
            yield context.at("shift_shape", row, f"ends at or before its start ({context.span(row)})")
        elif base % _NS_PER_MINUTE or base // _NS_PER_MINUTE not in template.lengths_minutes:
            yield context.at(
                "shift_shape",
                row,
                f"lasts {_minutes(base)} min{_changes_text(context, row)} (elapsed, {context.span(row)}), not one "
                f"of template '{template.id}''s lengths ({', '.join(map(str, template.lengths_minutes))} min)",
            )


def _changes_text(context: _Context, row: _Int) -> str:
    """How a row's base length follows from its span, where the day changed it (overtime, voluntary time off)."""
    overtime, vto = int(context.shifts.overtime[row]), int(context.shifts.vto[row])
    parts = [f"less {overtime} min of overtime"] if overtime else []
    parts += [f"plus {vto} min of voluntary time off"] if vto else []
    return f" ({_minutes(context.length_ns[row])} {', '.join(parts)})" if parts else ""


def _overtime(context: _Context) -> Iterator[Violation]:
    """Overtime within the contract's daily limit; a shift is not both extended and cut short (both change its
    end, so one row with both is a net change written twice: write the difference)."""
    shifts = context.shifts
    for row in np.flatnonzero(context.known):
        overtime, vto = int(shifts.overtime[row]), int(shifts.vto[row])
        contract = context.contracts[context.agent_index[row]]
        if overtime > contract.max_overtime_minutes_day:
            yield context.at(
                "overtime",
                row,
                f"{overtime} min of overtime; contract '{contract.id}' allows at most "
                f"{contract.max_overtime_minutes_day} a day",
            )
        if overtime and vto:
            yield context.at(
                "overtime",
                row,
                f"both {overtime} min of overtime and {vto} min of voluntary time off; both move the end of the "
                "shift, write their difference as one of them",
            )


def _starts_where_skipped(context: _Context, row: _Int, template: ShiftTemplate) -> bool:
    """Whether a start that is no template start on the clock is one that the clocks skipped (DST), moved
    forward to the first valid instant as `Horizon.local_time` does."""
    day = context.date(context.wall_ns[row] // _NS_PER_DAY - _epoch_day(context.horizon.start_date))
    start = int(context.shifts.start[row])
    return any(context.horizon.local_time(day, m).value == start for m in template.start_minutes())


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _breaks(context: _Context) -> Iterator[Violation]:
    shifts, parsed = context.shifts, context.breaks
    templates = context.center.templates_by_id
    for row in np.flatnonzero(context.shaped):
        if int(row) in parsed.bad:
            yield context.at("breaks", row, f"the breaks cell {parsed.bad[int(row)]}")
            continue
        template = templates[shifts.template[row]]
        length = int(context.base_ns[row] // _NS_PER_MINUTE)
        rules = template.breaks_for(length)
        starts, ends = parsed.of(row)
        start, end = int(shifts.start[row]), int(shifts.end[row])
        if len(starts) != len(rules):
            names = ", ".join(r.name for r in rules) or "none"
            yield context.at(
                "breaks",
                row,
                f"{len(starts)} break(s), but a {length}-min shift of template '{template.id}' takes "
                f"{len(rules)} ({names})",
            )
        else:
            for k, rule in enumerate(rules):
                lasts, after = int(ends[k] - starts[k]), int(starts[k] - start)
                if lasts != rule.duration_minutes * _NS_PER_MINUTE:
                    yield context.at(
                        "breaks",
                        row,
                        f"break {k + 1} ('{rule.name}') lasts {_minutes(lasts)} min; the rule needs "
                        f"{rule.duration_minutes}",
                    )
                low, high = rule.earliest_start_minutes, rule.latest_start_minutes
                if not low * _NS_PER_MINUTE <= after <= high * _NS_PER_MINUTE:
                    yield context.at(
                        "breaks",
                        row,
                        f"break {k + 1} ('{rule.name}') starts {_minutes(after)} min into the shift (elapsed); "
                        f"the rule allows {low}..{high}",
                    )
        for k in range(len(starts)):
            if starts[k] < start or ends[k] > end:
                yield context.at(
                    "breaks",
                    row,
                    f"break {k + 1} ({context.clock(starts[k])}-{context.clock(ends[k])[-5:]}) is not inside "
                    f"the shift {context.span(row)}",
                )
        order = np.argsort(starts, kind="stable")
        for a, b in zip(order[:-1], order[1:], strict=True):
            if ends[a] > starts[b]:
                yield context.at("breaks", row, f"breaks {a + 1} and {b + 1} overlap")


def _absences(context: _Context) -> Iterator[Violation]:
    shifts, parsed = context.shifts, context.absences
    for row in sorted({*np.flatnonzero(np.diff(parsed.offset)).tolist(), *parsed.bad}):  # rows with any
        if row in parsed.bad:
            yield context.at("absences", row, f"the absences cell {parsed.bad[row]}")
            continue
        starts, ends = parsed.of(row)
        start, end = int(shifts.start[row]), int(shifts.end[row])
        for k in range(len(starts)):
            span = f"{context.clock(starts[k])}-{context.clock(ends[k])[-5:]}"
            if ends[k] <= starts[k]:
                yield context.at("absences", row, f"absence {k + 1} ({span}) lasts {_minutes(ends[k] - starts[k])} min")
            elif starts[k] < start or ends[k] > end:
                yield context.at(
                    "absences", row, f"absence {k + 1} ({span}) is not inside the shift {context.span(row)}"
                )
        order = np.argsort(starts, kind="stable")
        for a, b in zip(order[:-1], order[1:], strict=True):
            if ends[a] > starts[b]:
                yield context.at("absences", row, f"absences {a + 1} and {b + 1} overlap")


def _paid_minutes(context: _Context) -> Iterator[Violation]:
    shifts = context.shifts
    templates = context.center.templates_by_id
    for row in np.flatnonzero(context.shaped):
        template = templates[shifts.template[row]]
        length = context.length_ns[row] / _NS_PER_MINUTE
        whole = math.floor(context.base_ns[row] / _NS_PER_MINUTE)
        unpaid = whole - template.paid_minutes(whole)
        if abs(shifts.paid[row] - (length - unpaid)) > TOLERANCE:
            of_base = f" (those of its {whole}-min length before the day's changes)" if whole != length else ""
            yield context.at(
                "paid_minutes",
                row,
                f"paid_minutes is {shifts.paid[row]:g}, but a {length:g}-min shift less {unpaid} min of unpaid "
                f"breaks{of_base} is {length - unpaid:g}",
            )


def _time_off(context: _Context) -> Iterator[Violation]:
    for agent in context.center.agents:
        if not agent.time_off:
            continue
        for row in context.rows_of_agent.get(agent.id, []):
            day = context.date(context.shifts.day[row])
            for off in agent.time_off:
                if off.covers(day):
                    reason = f" ({off.reason})" if off.reason else ""
                    yield context.at(
                        "time_off", row, f"a shift on {day}, inside time off {off.start_date}..{off.end_date}{reason}"
                    )


def _availability(context: _Context) -> Iterator[Violation]:
    shifts = context.shifts
    days = shifts.day.tolist()
    first = min([0, *days])
    last = max([context.horizon.days - 1, *days]) + 1  # windows of the day after the last date cover night shifts
    epoch = _epoch_day(context.horizon.start_date)
    dates = np.arange(first + epoch, last + epoch + 1, dtype=np.int64)
    cache: dict[tuple[tuple[int, int, int], ...], tuple[np.ndarray, np.ndarray]] = {}
    for agent in context.center.agents:
        rows = context.rows_of_agent.get(agent.id)
        if not agent.availability or rows is None:
            continue
        key = tuple((w.weekday, w.start_minute, w.end_minute) for w in agent.availability)
        if key not in cache:
            cache[key] = _union_of_windows(key, dates, context.zone)
        low, high = cache[key]
        starts, ends = shifts.start[rows], shifts.end[rows]
        at = np.searchsorted(low, starts, side="right") - 1
        inside = (at >= 0) & (high[np.maximum(at, 0)] >= ends)
        windows = ", ".join(w.describe() for w in agent.availability)
        for k in np.flatnonzero(~inside):
            row = int(rows[k])
            if at[k] < 0 or high[at[k]] <= starts[k]:
                gap = f"the agent is not available at its start {context.clock(starts[k])}"
            else:
                gap = f"the agent is available only until {context.clock(high[at[k]])}"
            yield context.at(
                "availability", row, f"the shift {context.span(row)} is not inside the availability: {gap} ({windows})"
            )


def _union_of_windows(
    windows: tuple[tuple[int, int, int], ...], epoch_days: np.ndarray, zone: str
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly windows placed on each of `epoch_days` in local wall-clock time, as sorted disjoint instants
    (windows that touch, such as fri 22:00-24:00 and sat 00:00-06:00, are joined)."""
    weekdays = (epoch_days + 3) % 7
    starts, ends = [], []
    for weekday, start_minute, end_minute in windows:
        days = epoch_days[weekdays == weekday] * _NS_PER_DAY
        starts.append(days + start_minute * _NS_PER_MINUTE)
        ends.append(days + end_minute * _NS_PER_MINUTE)
    wall = np.concatenate([*starts, *ends]).astype("datetime64[ns]")
    local = pd.DatetimeIndex(wall).tz_localize(zone, ambiguous=np.ones(len(wall), bool), nonexistent="shift_forward")
    instants = _nanoseconds(local)
    half = len(instants) // 2
    low, high = instants[:half], instants[half:]
    order = np.argsort(low, kind="stable")
    low, high = low[order], high[order]
    if not len(low):
        return low, high
    reach = np.maximum.accumulate(high)
    opens = np.concatenate([[True], low[1:] > reach[:-1]])
    at = np.flatnonzero(opens)
    return low[at], np.maximum.reduceat(high, at)


@dataclass(frozen=True)
class _Closed:
    """When no work type of an agent's skills is open: skill profiles x intervals of the horizon (`closed`, and
    its running count `before`, one column longer), and each centre agent's profile."""

    closed: np.ndarray
    before: np.ndarray
    profile_of_agent: np.ndarray

    def overlapped(
        self, profile: np.ndarray, start: np.ndarray, end: np.ndarray, horizon: Horizon
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For spans [start, end) in ns: the closed intervals of the horizon each overlaps (for its profile), and
        the grid positions lo..hi of the intervals it overlaps (intervals past the horizon are not counted)."""
        grid = horizon.intervals.asi8
        first, step, count = int(grid[0]), horizon.interval_minutes * _NS_PER_MINUTE, len(grid)
        lo = np.clip((start - first) // step, 0, count)
        hi = np.clip(-((first - end) // step), 0, count)
        return self.before[profile, hi] - self.before[profile, np.minimum(lo, hi)], lo, hi


def _closed_intervals(center: Center, horizon: Horizon, *, closed_days: bool = True) -> _Closed:
    grid = horizon.intervals
    count = len(grid)
    open_by_type = {w.id: center.is_open(w.id, grid, closed_days=closed_days) for w in center.work_types}
    profiles: dict[frozenset[str], int] = {}
    closed_rows: list[np.ndarray] = []
    profile_of_agent = np.zeros(len(center.agents), dtype=np.int64)
    for i, agent in enumerate(center.agents):
        if agent.skill_ids not in profiles:
            served = [open_by_type[w.id] for w in center.work_types if w.skill in agent.skill_ids]
            is_open = np.logical_or.reduce(served) if served else np.zeros(count, dtype=bool)
            profiles[agent.skill_ids] = len(closed_rows)
            closed_rows.append(~is_open)
        profile_of_agent[i] = profiles[agent.skill_ids]
    closed = np.array(closed_rows, dtype=bool).reshape(len(closed_rows), count)
    before = np.concatenate([np.zeros((len(closed), 1), np.int64), np.cumsum(closed, axis=1)], axis=1)
    return _Closed(closed, before, profile_of_agent)


def _opening_hours(context: _Context) -> Iterator[Violation]:
    shifts, center, horizon = context.shifts, context.center, context.horizon
    grid = horizon.intervals
    closed = context.closed
    rows = np.flatnonzero(context.known)
    profile = closed.profile_of_agent[context.agent_index[rows]]
    shut, lo, hi = closed.overlapped(profile, shifts.start[rows], shifts.end[rows], horizon)
    for k in np.flatnonzero(shut > 0):
        row = int(rows[k])
        where = lo[k] + np.flatnonzero(closed.closed[profile[k], lo[k] : hi[k]])
        skills = ", ".join(sorted(center.agents[context.agent_index[row]].skill_ids))
        yield context.at(
            "opening_hours",
            row,
            f"the shift {context.span(row)} overlaps {len(where)} interval(s) when no work type of the agent's "
            f"skills ({skills}) is open, the first at {context.clock(grid.asi8[where[0]])}",
        )


@dataclass(frozen=True)
class _Weeks:
    """Per centre agent x week of the horizon: paid minutes and dates worked (over the shifts dated in the
    horizon), the days of time off and closure charged, and the limits they are held to."""

    paid: np.ndarray
    vto: np.ndarray  # minutes of voluntary time off taken (counted toward the minimum, not the maximum)
    worked: np.ndarray
    leave: np.ndarray  # days off or closed on which the agent could be rostered
    outside: np.ndarray  # days the agent could be rostered, neither off nor closed
    credited: np.ndarray  # days of time off and closure charged
    closed: np.ndarray  # of `leave`, the days closed that are not time off
    credit: np.ndarray  # minutes per credited day, per agent
    max_paid: np.ndarray
    min_paid: np.ndarray  # NaN for a short last block, where no minimum applies
    max_days: np.ndarray


def _weeks(context: _Context) -> _Weeks:
    """Weeks are 7-day blocks from the horizon's first day; a short last block (k days) gets its maxima prorated,
    ``ceil(max x k / 7)``, and no minimum. Time off and closed days are charged only on the days the agent could
    be rostered (`_possible_days` by the weekly opening hours; a closed day is one of them that has no shift left
    by `Center.is_open`): of `leave` such days off or closed, with `outside` such days neither, ``L = min(leave,
    max(0, max_days - outside))`` are charged, each crediting `target / max_working_days` paid minutes
    (`max / max_working_days` without a target, rounded down) and taking a working day: the paid limits and the
    working days are lowered by the credit, none below 0."""
    center, horizon = context.center, context.horizon
    agents, weeks = len(center.agents), -(-horizon.days // 7)
    rows = np.flatnonzero(context.known & context.in_horizon)
    agent, day = context.agent_index[rows], context.shifts.day[rows]
    paid = np.zeros((agents, weeks))
    np.add.at(paid, (agent, day // 7), context.shifts.paid[rows])
    vto = np.zeros((agents, weeks))
    np.add.at(vto, (agent, day // 7), context.shifts.vto[rows])
    pairs = np.unique(np.stack([agent, day]), axis=1)
    worked = np.zeros((agents, weeks), dtype=np.int64)
    np.add.at(worked, (pairs[0], pairs[1] // 7), 1)

    most_days = context.limit("max_working_days")
    most, least = context.limit("max_paid_minutes_week"), context.limit("min_paid_minutes_week")
    target = context.limit("target_paid_minutes_week")
    credit = np.floor(np.where(np.isnan(target), most, target) / most_days)
    off = np.zeros((agents, horizon.days), dtype=bool)
    for i, a in enumerate(center.agents):
        if a.time_off:
            off[i] = [a.is_off(d) for d in horizon.dates]
    hours, closed = context.outside_hours, context.closed
    shut = (closed.closed != hours.closed).any(axis=1)  # skill profiles (numbered alike) with a closed day
    touched = np.flatnonzero(shut[closed.profile_of_agent])
    possible = _possible_days(context, np.union1d(np.flatnonzero(off.any(axis=1)), touched), hours)
    shut_days = np.zeros_like(off)
    if len(touched):  # a possible day with no shift left once the closed days are out: charged like time off
        shut_days[touched] = possible[touched] & ~off[touched] & ~_possible_days(context, touched, closed)[touched]
        off |= shut_days
    week_starts = np.arange(0, horizon.days, 7)
    leave = np.add.reduceat((possible & off).astype(np.int64), week_starts, axis=1)
    outside = np.add.reduceat((possible & ~off).astype(np.int64), week_starts, axis=1)
    lengths = np.minimum(7, horizon.days - week_starts)
    prorated_paid = -(-most[:, None] * lengths // 7)
    prorated_days = -(-most_days[:, None] * lengths // 7)
    credited = np.minimum(leave, np.maximum(prorated_days - outside, 0))
    lowered = credited * credit[:, None]
    return _Weeks(
        paid=paid,
        vto=vto,
        worked=worked,
        leave=leave,
        outside=outside,
        credited=credited,
        closed=np.add.reduceat(shut_days.astype(np.int64), week_starts, axis=1),
        credit=credit,
        max_paid=np.maximum(prorated_paid - lowered, 0),
        min_paid=np.where(lengths == 7, np.maximum(least[:, None] - lowered, 0), np.nan),
        max_days=np.maximum(prorated_days - credited, 0),
    )


def _possible_days(context: _Context, agents: np.ndarray, closed: _Closed) -> np.ndarray:
    """Centre agents x days of the horizon: whether the agent could be rostered that day at all, time off aside:
    some start and length of a template of the agent's contract, on one of the template's weekdays, lies whole
    inside the availability (where the agent lists any) and overlaps no interval of the horizon that `closed`
    closes to the agent's skills. Computed for the agents at positions `agents` only (False for the others)."""
    center, horizon, zone = context.center, context.horizon, context.zone
    possible = np.zeros((len(center.agents), horizon.days), dtype=bool)
    if not len(agents):
        return possible
    epoch_days = _epoch_day(horizon.start_date) + np.arange(horizon.days + 1)  # and the day after, for nights
    shifts = {t.id: _template_shifts(t, epoch_days[:-1], zone) for t in center.shift_templates}
    for i in agents:
        agent = center.agents[i]
        chosen = [shifts[t] for t in context.contracts[i].shift_templates]  # at least one (models.Contract)
        day, start, end = (np.concatenate(column) for column in zip(*chosen, strict=True))
        profile = np.full(len(start), closed.profile_of_agent[i])
        fits = closed.overlapped(profile, start, end, horizon)[0] == 0
        if agent.availability:
            windows = tuple((w.weekday, w.start_minute, w.end_minute) for w in agent.availability)
            low, high = _union_of_windows(windows, epoch_days, zone)
            if len(low):
                at = np.searchsorted(low, start, side="right") - 1
                fits &= (at >= 0) & (high[np.maximum(at, 0)] >= end)
            else:
                fits[:] = False
        possible[i, day[fits]] = True
    return possible


def _template_shifts(template: ShiftTemplate, epoch_days: np.ndarray, zone: str) -> tuple[np.ndarray, ...]:
    """Every shift of `template` on the dates `epoch_days` that are its weekdays: day (after the first of
    `epoch_days`), start and end instants in ns (a start the clocks skip moves forward, as `Horizon.local_time`)."""
    days = np.flatnonzero(np.isin((epoch_days + 3) % 7, list(template.weekdays)))
    minutes = np.array(template.start_minutes(), dtype=np.int64)
    lengths = np.array(template.lengths_minutes, dtype=np.int64) * _NS_PER_MINUTE
    wall = (epoch_days[days][:, None] * _NS_PER_DAY + minutes[None, :] * _NS_PER_MINUTE).ravel()
    local = pd.DatetimeIndex(wall.astype("datetime64[ns]")).tz_localize(
        zone, ambiguous=np.ones(len(wall), bool), nonexistent="shift_forward"
    )
    start = np.repeat(_nanoseconds(local), len(lengths))
    day = np.repeat(np.repeat(days, len(minutes)), len(lengths))
    return day, start, start + np.tile(lengths, len(wall))


def _week_note(context: _Context, weeks: _Weeks, i: int, week: int, limit: str, unit: str) -> str:
    """How a weekly limit was derived, where it is not the contract's own number."""
    _, _, days = _week_bounds(context, week)
    notes = []
    if days < 7:
        notes.append(f"prorated to {days} days: ceil({limit} x {days} / 7)")
    credited = int(weeks.credited[i, week])
    if credited:
        per_day = f"{weeks.credit[i]:g} min" if unit == "min" else "1 day"
        closed = bool(weeks.closed[i, week])
        notes.append(f"less {credited} day(s) of time off{' or closure' if closed else ''} at {per_day} each")
        leave, outside = int(weeks.leave[i, week]), int(weeks.outside[i, week])
        if credited < leave:
            away, neither = (" or closed", "neither") if closed else ("", "not off")
            notes.append(f"{leave} workable days off{away}, {outside} workable days {neither}")
    return f" ({'; '.join(notes)})" if notes else ""


def _weekly_paid_minutes(context: _Context) -> Iterator[Violation]:
    weeks = context.weeks
    contracts = context.contracts
    for i, week in zip(*np.nonzero(weeks.paid > weeks.max_paid + TOLERANCE), strict=True):
        first, last, _ = _week_bounds(context, week)
        note = _week_note(context, weeks, i, week, str(contracts[i].max_paid_minutes_week), "min")
        yield Violation(
            "weekly_paid_minutes",
            context.center.agents[i].id,
            first,
            f"{weeks.paid[i, week]:g} paid min in the week {first}..{last}; the contract allows at most "
            f"{weeks.max_paid[i, week]:g}{note}",
        )
    for i, week in zip(*np.nonzero(weeks.paid + weeks.vto < weeks.min_paid - TOLERANCE), strict=True):
        first, last, _ = _week_bounds(context, week)
        note = _week_note(context, weeks, i, week, str(contracts[i].min_paid_minutes_week), "min")
        vto = weeks.vto[i, week]
        taken = f" and {vto:g} min of voluntary time off" if vto else ""
        yield Violation(
            "weekly_paid_minutes",
            context.center.agents[i].id,
            first,
            f"{weeks.paid[i, week]:g} paid min{taken} in the week {first}..{last}; the contract needs at least "
            f"{weeks.min_paid[i, week]:g}{note}",
        )


def _weekly_working_days(context: _Context) -> Iterator[Violation]:
    weeks = context.weeks
    for i, week in zip(*np.nonzero(weeks.worked > weeks.max_days), strict=True):
        first, last, _ = _week_bounds(context, week)
        note = _week_note(context, weeks, i, week, str(context.contracts[i].max_working_days), "days")
        yield Violation(
            "weekly_working_days",
            context.center.agents[i].id,
            first,
            f"{weeks.worked[i, week]} dates worked in the week {first}..{last}; the contract allows at most "
            f"{weeks.max_days[i, week]:g}{note}",
        )


def _min_rest(context: _Context) -> Iterator[Violation]:
    shifts, previous = context.shifts, context.previous
    rows = np.flatnonzero(context.known)
    before = _agent_positions(previous.agent, context.center)
    kept = np.flatnonzero(before >= 0)
    agent = np.concatenate([context.agent_index[rows], before[kept]])
    start = np.concatenate([shifts.start[rows], previous.start[kept]])
    end = np.concatenate([shifts.end[rows], previous.end[kept]])
    day = np.concatenate([shifts.day[rows], previous.day[kept]])
    ours = np.concatenate([np.ones(len(rows), bool), np.zeros(len(kept), bool)])
    order = np.lexsort((end, start, agent))
    agent, start, end, day, ours = agent[order], start[order], end[order], day[order], ours[order]
    need = context.limit("min_rest_minutes")[agent] * _NS_PER_MINUTE
    rest = start[1:] - end[:-1]
    short = (agent[1:] == agent[:-1]) & (ours[1:] | ours[:-1]) & (rest < need[1:])
    for k in np.flatnonzero(short):
        later = k + 1 if ours[k + 1] else k
        yield Violation(
            "min_rest",
            context.center.agents[agent[k]].id,
            context.date(day[later]),
            f"rest {_minutes(rest[k])} min between the shift ending {context.clock(end[k])} and the one starting "
            f"{context.clock(start[k + 1])}; the contract needs {_minutes(need[k + 1])}",
        )


def _worked_dates(context: _Context) -> tuple[np.ndarray, int]:
    """Centre agents x dates: whether a shift (of the roster or the previous roster) is dated there; and the
    day (relative to the horizon's first) of column 0."""
    shifts, previous = context.shifts, context.previous
    before = _agent_positions(previous.agent, context.center)
    agent = np.concatenate([context.agent_index[context.known], before[before >= 0]])
    day = np.concatenate([shifts.day[context.known], previous.day[before >= 0]])
    first = min(0, int(day.min())) if day.size else 0
    last = max(context.horizon.days - 1, int(day.max())) if day.size else context.horizon.days - 1
    worked = np.zeros((len(context.center.agents), last - first + 1), dtype=bool)
    worked[agent, day - first] = True
    return worked, first


def _max_consecutive_days(context: _Context) -> Iterator[Violation]:
    worked, first = _worked_dates(context)
    streak = np.zeros(worked.shape, dtype=np.int64)
    for column in range(worked.shape[1]):
        carried = streak[:, column - 1] if column else 0
        streak[:, column] = np.where(worked[:, column], carried + 1, 0)
    most = context.limit("max_consecutive_days")
    judged = np.arange(worked.shape[1]) + first >= 0
    over = (streak > most[:, None]) & judged
    starts_over = over & ~np.concatenate([np.zeros((len(over), 1), bool), over[:, :-1]], axis=1)
    for i, column in zip(*np.nonzero(starts_over), strict=True):
        end = column
        while end + 1 < worked.shape[1] and worked[i, end + 1]:
            end += 1
        run_start = int(column - streak[i, column] + 1 + first)
        length = int(end + first - run_start + 1)
        carried_in = f" ({-run_start} of them in the previous roster)" if run_start < 0 else ""
        yield Violation(
            "max_consecutive_days",
            context.center.agents[i].id,
            context.date(column + first),
            f"{length} consecutive worked dates from {context.date(run_start)} to {context.date(end + first)}"
            f"{carried_in}; the contract allows {int(most[i])}",
        )


def _min_consecutive_days_off(context: _Context) -> Iterator[Violation]:
    worked, first = _worked_dates(context)
    agent, column = np.nonzero(worked)
    day = column + first
    gap = day[1:] - day[:-1] - 1
    need = context.limit("min_consecutive_days_off")[agent[1:]]
    short = (agent[1:] == agent[:-1]) & (gap >= 1) & (gap < need) & (day[1:] >= 0)
    for k in np.flatnonzero(short):
        yield Violation(
            "min_consecutive_days_off",
            context.center.agents[agent[k]].id,
            context.date(day[k + 1]),
            f"{gap[k]} day(s) off ({context.date(day[k] + 1)}..{context.date(day[k + 1] - 1)}) between the worked "
            f"dates {context.date(day[k])} and {context.date(day[k + 1])}; the contract needs at least {int(need[k])}",
        )


def _max_working_weekends(context: _Context) -> Iterator[Violation]:
    rows = np.flatnonzero(context.known & context.in_horizon)
    epoch = context.shifts.day[rows] + _epoch_day(context.horizon.start_date)
    weekday = (epoch + 3) % 7  # 1970-01-01 was a Thursday
    # Per centre agent and weekday: days since the first day of its weekend, -1 on a working day.
    offsets = np.array(
        [
            [-1 if o is None else o for o in weekend_offsets(context.center.weekend_days_of(c))]
            for c in context.contracts
        ],
        dtype=np.int64,
    ).reshape(-1, 7)
    offset = offsets[context.agent_index[rows], weekday]
    weekend = offset >= 0
    agent, day = context.agent_index[rows][weekend], context.shifts.day[rows][weekend]
    start = (epoch - offset)[weekend]
    worked = np.unique(np.stack([agent, start]), axis=1)  # (agent, first day of the weekend) pairs, sorted
    weekends = np.bincount(worked[0], minlength=len(context.center.agents))
    most = context.limit("max_working_weekends")
    for i in np.flatnonzero(weekends > most):
        limit = int(most[i])
        starts = worked[1][worked[0] == i]
        first_over = int(day[(agent == i) & (start == starts[limit])].min())
        listed = ", ".join(f"{WEEKDAY_NAMES[(int(s) + 3) % 7].title()} {np.datetime64(int(s), 'D')}" for s in starts)
        plural = "s" if len(starts) > 1 else ""
        yield Violation(
            "max_working_weekends",
            context.center.agents[i].id,
            context.date(first_over),
            f"works on {len(starts)} weekend(s) (the weekend{plural} starting {listed}); the contract allows {limit}",
        )


def _pinned(context: _Context) -> Iterator[Violation]:
    pins, shifts = context.pins, context.shifts
    if pins is None:
        return
    same_date: dict[tuple[str, int], list[int]] = {}
    for row, key in enumerate(zip(shifts.agent.tolist(), shifts.day.tolist(), strict=True)):
        same_date.setdefault(key, []).append(row)
    for k in range(len(pins)):
        agent, day = str(pins.agent[k]), int(pins.day[k])
        wanted = f"{_clock(pins.start[k], context.zone)}-{_clock(pins.end[k], context.zone)[-5:]} ({pins.template[k]})"
        rows = same_date.get((agent, day), [])
        same = [
            r
            for r in rows
            if (shifts.start[r], shifts.end[r], shifts.template[r]) == (pins.start[k], pins.end[k], pins.template[k])
        ]
        if any(shifts.pinned[r] for r in same):
            continue
        if same:
            detail = f"the pinned shift {wanted} is in the roster but not marked pinned"
        elif rows:
            found = ", ".join(f"{context.span(r)} ({shifts.template[r]})" for r in rows)
            detail = f"the pinned shift {wanted} is not in the roster, which has {found} instead"
        else:
            detail = f"the pinned shift {wanted} is not in the roster (no shift that date)"
        yield Violation("pinned", agent, context.date(day), detail)


_RULE_CHECKS: dict[str, Callable[[_Context], Iterable[Violation]]] = {
    "known_agent": _known_agent,
    "one_shift_per_day": _one_shift_per_day,
    "template_allowed": _template_allowed,
    "shift_shape": _shift_shape,
    "overtime": _overtime,
    "breaks": _breaks,
    "absences": _absences,
    "paid_minutes": _paid_minutes,
    "time_off": _time_off,
    "availability": _availability,
    "opening_hours": _opening_hours,
    "weekly_paid_minutes": _weekly_paid_minutes,
    "weekly_working_days": _weekly_working_days,
    "min_rest": _min_rest,
    "max_consecutive_days": _max_consecutive_days,
    "min_consecutive_days_off": _min_consecutive_days_off,
    "max_working_weekends": _max_working_weekends,
    "pinned": _pinned,
}


# -- on duty and coverage -------------------------------------------------------------------------------------------


def _on_duty_matrix(shifts: _Shifts, breaks: _Breaks, agent: np.ndarray, agents: int, horizon: Horizon) -> np.ndarray:
    """Agents x intervals: the share of each interval an agent is in a shift and not off duty (0..1): `breaks`
    are the spans off duty, the breaks and absences of `_off_duty`.

    Shifts count +1 and breaks (clipped to their shift) -1 over their span. The time covered in ``[0, x)`` is
    ``H(x) = sum w (relu(x - u) - relu(x - v))`` over segments ``[u, v)``, accumulated at the grid points by
    difference arrays, and an interval's share is ``(H(k + 1) - H(k)) / step``. Exact in integer nanoseconds.
    """
    grid = horizon.intervals.asi8
    first, step, count = int(grid[0]), horizon.interval_minutes * _NS_PER_MINUTE, len(grid)
    rows = np.flatnonzero(agent >= 0)
    of_break = np.repeat(np.arange(len(shifts)), np.diff(breaks.offset))  # the row each break belongs to
    taken = agent[of_break] >= 0
    of_break = of_break[taken]
    who = np.concatenate([agent[rows], agent[of_break]])
    low = np.concatenate([shifts.start[rows], np.maximum(breaks.start[taken], shifts.start[of_break])])
    high = np.concatenate([shifts.end[rows], np.minimum(breaks.end[taken], shifts.end[of_break])])
    sign = np.concatenate([np.ones(len(rows), dtype=np.int64), -np.ones(len(of_break), dtype=np.int64)])
    low, high = np.clip(low - first, 0, count * step), np.clip(high - first, 0, count * step)
    keep = high > low
    who, low, high, sign = who[keep], low[keep], high[keep], sign[keep]
    slopes = np.zeros((agents, count + 2), dtype=np.int64)
    offsets = np.zeros((agents, count + 2), dtype=np.int64)
    for edge, weight in ((low, sign), (high, -sign)):
        at = -(-edge // step)  # the first grid point at or after the edge
        np.add.at(slopes, (who, at), weight)
        np.add.at(offsets, (who, at), weight * edge)
    points = np.arange(count + 1, dtype=np.int64) * step
    covered = points * np.cumsum(slopes, axis=1)[:, : count + 1] - np.cumsum(offsets, axis=1)[:, : count + 1]
    return np.clip(np.diff(covered, axis=1) / step, 0.0, 1.0)


def _coverage(context: _Context, coverage: pd.DataFrame, requirement: pd.DataFrame | None) -> list[Violation]:
    center, horizon, zone = context.center, context.horizon, context.zone
    table = parse_table(coverage, COVERAGE, "coverage", timezone=zone)
    grid = horizon.intervals.asi8
    first, step, count = int(grid[0]), horizon.interval_minutes * _NS_PER_MINUTE, len(grid)
    instant = _nanoseconds(table["interval_start"])
    position = (instant - first) // step
    skill = table["skill"].to_numpy(dtype=object)
    required, scheduled = table["required"].to_numpy(dtype=float), table["scheduled"].to_numpy(dtype=float)
    shortfall, surplus = table["shortfall"].to_numpy(dtype=float), table["surplus"].to_numpy(dtype=float)
    skills = [s.id for s in center.skills]
    found: list[Violation] = []

    def at(row: _Int, detail: str) -> Violation:
        when = pd.Timestamp(int(instant[row]), tz="UTC").tz_convert(zone)
        return Violation(COVERAGE_RULE, None, when.date(), f"{when:%Y-%m-%d %H:%M}, skill '{skill[row]}': {detail}")

    on_grid = ((instant - first) % step == 0) & (position >= 0) & (position < count)
    known = np.isin(skill, skills)
    for row in np.flatnonzero(~on_grid):
        found.append(at(row, f"not an interval of the horizon {horizon.start_date}..{horizon.end_date}"))
    for row in np.flatnonzero(~known):
        found.append(at(row, f"not a skill of the centre ({', '.join(skills)})"))
    for name, given, expected in (
        ("shortfall", shortfall, np.maximum(required - scheduled, 0)),
        ("surplus", surplus, np.maximum(scheduled - required, 0)),
    ):
        for row in np.flatnonzero(np.abs(given - expected) > TOLERANCE):
            found.append(
                at(
                    row,
                    f"{name} is {given[row]:g}, but required {required[row]:g} and scheduled {scheduled[row]:g} "
                    f"give {expected[row]:g}",
                )
            )
    valid = on_grid & known
    if requirement is not None:
        needs = parse_table(requirement, REQUIREMENT, "requirement", timezone=zone)
        found += _required(context, table[valid], needs)
    shares = _on_duty_matrix(
        context.shifts, context.off_duty, context.agent_index, len(center.agents), horizon
    )  # agents x intervals
    found += _allocation(context, skill[valid], position[valid], scheduled[valid], shares)
    return found


def _required(context: _Context, coverage: pd.DataFrame, requirement: pd.DataFrame) -> Iterator[Violation]:
    """`required` is the sum of `required_agents_int` of the work types of the skill (docs/roster.md); a skill
    the requirement needs agents for at an interval of the horizon must have its coverage row."""
    skill_of = {w.id: w.skill for w in context.center.work_types}
    grid = set(context.horizon.intervals.asi8.tolist())
    expected: dict[tuple[int, str], float] = {}
    for instant, work_type, agents in zip(
        _nanoseconds(requirement["interval_start"]).tolist(),
        requirement["work_type"].tolist(),
        requirement["required_agents_int"].to_numpy(dtype=float).tolist(),
        strict=True,
    ):
        skill = skill_of.get(work_type)
        if skill is not None and instant in grid:
            expected[instant, skill] = expected.get((instant, skill), 0.0) + agents
    given = dict(
        zip(
            zip(_nanoseconds(coverage["interval_start"]).tolist(), coverage["skill"].tolist(), strict=True),
            coverage["required"].to_numpy(dtype=float).tolist(),
            strict=True,
        )
    )
    for instant, skill in given.keys() | expected.keys():
        want = expected.get((instant, skill), 0.0)
        if (instant, skill) not in given:
            if want <= TOLERANCE:
                continue
            detail = f"no coverage row, but the requirement needs {want:g} agents"
        elif abs(given[instant, skill] - want) > TOLERANCE:
            detail = (
                f"required is {given[instant, skill]:g}, but the requirement's required_agents_int of the skill's "
                f"work types sum to {want:g}"
            )
        else:
            continue
        when = pd.Timestamp(instant, tz="UTC").tz_convert(context.zone)
        yield Violation(COVERAGE_RULE, None, when.date(), f"{when:%Y-%m-%d %H:%M}, skill '{skill}': {detail}")


def _allocation(
    context: _Context, skill: np.ndarray, position: np.ndarray, scheduled: np.ndarray, shares: np.ndarray
) -> list[Violation]:
    """Scheduled agents must be an allocation of the on-duty agents, one skill each: the total at most the
    agents on duty, and (Hall's condition) for every set K of skills, those scheduled on K at most the on-duty
    agents with a skill in K. One violation per interval, the largest excess."""
    center, zone = context.center, context.zone
    count = shares.shape[1]
    grid = context.horizon.intervals.asi8
    relevant = sorted({str(s) for s, n in zip(skill, scheduled, strict=True) if n > TOLERANCE})
    bit = {s: i for i, s in enumerate(relevant)}
    load = np.zeros((len(relevant), count))
    rows = np.array([s in bit for s in skill], dtype=bool)
    np.add.at(load, (np.array([bit[s] for s in skill[rows]], dtype=np.int64), position[rows]), scheduled[rows])
    found: list[Violation] = []

    def at(interval: _Int, detail: str) -> Violation:
        when = pd.Timestamp(int(grid[interval]), tz="UTC").tz_convert(zone)
        return Violation(COVERAGE_RULE, None, when.date(), f"{when:%Y-%m-%d %H:%M}: {detail}")

    total, present = load.sum(axis=0), shares.sum(axis=0)
    too_many = total > present + TOLERANCE
    for interval in np.flatnonzero(too_many):
        found.append(
            at(interval, f"{total[interval]:g} agents scheduled in total, but only {present[interval]:g} on duty")
        )
    if not relevant:
        return found
    masks = np.array([sum(1 << bit[s] for s in a.skill_ids if s in bit) for a in center.agents], dtype=np.int64)
    profiles, of_agent = np.unique(masks, return_inverse=True)
    duty = np.zeros((len(profiles), count))
    np.add.at(duty, of_agent, shares)
    worst = np.zeros(count)
    worst_set = np.zeros(count, dtype=np.int64)
    block = 1 << min(len(relevant), _HALL_BLOCK_BITS)
    bits = np.arange(len(relevant), dtype=np.int64)
    for low in range(1, 1 << len(relevant), block):
        sets = np.arange(low, min(low + block, 1 << len(relevant)), dtype=np.int64)
        chosen = ((sets[:, None] >> bits) & 1).astype(float) @ load
        able = ((sets[:, None] & profiles[None, :]) != 0).astype(float) @ duty
        excess = chosen - able
        best = np.argmax(excess, axis=0)
        value = excess[best, np.arange(count)]
        better = value > worst
        worst[better], worst_set[better] = value[better], sets[best[better]]
    for interval in np.flatnonzero((worst > TOLERANCE) & ~too_many):
        members = [s for s in relevant if worst_set[interval] >> bit[s] & 1]
        chosen_total = load[[bit[s] for s in members], interval].sum()
        able_total = chosen_total - worst[interval]
        names = ", ".join(members)
        found.append(
            at(
                interval,
                f"{chosen_total:g} agents scheduled on {{{names}}}, but only {able_total:g} on-duty agents have "
                f"{'one of these skills' if len(members) > 1 else 'this skill'} (Hall's condition: no allocation of "
                "agents to one skill each gives these numbers)",
            )
        )
    return found
