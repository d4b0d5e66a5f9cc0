"""Who works and under which rules: agents, contracts and shift templates with their breaks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, Field, field_validator, model_validator

from models.base import (
    MINUTES_PER_DAY,
    WEEKDAY_NAMES,
    FrozenModel,
    Identifier,
    TimeOfDay,
    TimeOfDayEnd,
    Weekday,
    format_minute_of_day,
)
from models.calendar import TimeOff, WeeklyWindow, overlapping_windows

__all__ = [
    "DEFAULT_LATE_SHIFT",
    "DEFAULT_WEEKEND_DAYS",
    "Agent",
    "AgentSkill",
    "BreakRule",
    "Contract",
    "LateShift",
    "Preferences",
    "ShiftTemplate",
    "WeekendDays",
    "weekend_offsets",
    "weekend_start",
]

ALL_WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
#: Saturday and Sunday: the weekend of a centre or contract that names none.
DEFAULT_WEEKEND_DAYS = (5, 6)


def _check_weekend(days: list[int]) -> list[int]:
    repeated = sorted({d for d in days if days.count(d) > 1})
    if repeated:
        raise ValueError(
            f"weekend_days lists {', '.join(WEEKDAY_NAMES[d] for d in repeated)} more than once; list each day once"
        )
    if len(days) == 7:
        raise ValueError("weekend_days lists all seven days, which leaves no working week; list the weekend only")
    return days


#: The days of the week that make a weekend (``[fri, sat]``): one to six distinct weekdays. Days that follow each
#: other in the week (``sat, sun`` across the week's end too) form one weekend; see `weekend_offsets`.
WeekendDays = Annotated[list[Weekday], Field(min_length=1), AfterValidator(_check_weekend)]


def weekend_offsets(days: Sequence[int]) -> tuple[int | None, ...]:
    """Per weekday (Monday = 0), how many days after the first day of its weekend it falls (None: not a weekend
    day). A weekend starts on the weekend day that follows the longest run of working days (the earliest weekday
    on a tie) and runs for the week from there: `[fri, sat]` gives Friday 0 and Saturday 1, `[sat, sun]` Saturday
    0 and Sunday 1 (a weekend across the week's end is one weekend), and `[fri, sun]` one weekend of Friday (0)
    and Sunday (2)."""
    weekend = set(days)
    if not weekend or len(weekend) == 7:
        raise ValueError(f"a weekend is one to six weekdays, not {sorted(weekend)}")

    def gap_before(day: int) -> int:
        gap = 0
        while (day - gap - 1) % 7 not in weekend:
            gap += 1
        return gap

    first = max(sorted(weekend), key=gap_before)
    return tuple((d - first) % 7 if d in weekend else None for d in range(7))


def weekend_start(day: date, days: Sequence[int]) -> date | None:
    """The first day of the weekend `day` belongs to (None when `day` is no weekend day), for weekend `days`."""
    offset = weekend_offsets(days)[day.weekday()]
    return None if offset is None else day - timedelta(days=offset)


class LateShift(FrozenModel):
    """What counts as a late shift for the fairness of late shifts: a shift whose end, on the local clock of its
    start date, is after `ends_after` (a shift ending on a later date is past 24:00 there, so past any time but
    24:00 itself), or that starts at or after `starts_from`; give one or both. The centre's default,
    `ends_after: "19:00"`, is `DEFAULT_LATE_SHIFT`."""

    ends_after: TimeOfDayEnd | None = None
    starts_from: TimeOfDay | None = None

    @model_validator(mode="after")
    def _some_rule(self) -> LateShift:
        if self.ends_after is None and self.starts_from is None:
            raise ValueError(
                "late_shift gives neither ends_after nor starts_from; give one, e.g. ends_after: '19:00' "
                "(or starts_from: '14:00')"
            )
        return self

    def is_late(self, start_minute: np.ndarray, end_minute: np.ndarray) -> np.ndarray:
        """Whether each shift is late, from its start (wall-clock minute of its date) and its end (wall-clock
        minutes after the local midnight that starts its date: more than 1440 on a later date)."""
        start = np.asarray(start_minute, dtype=np.int64)
        end = np.asarray(end_minute, dtype=np.int64)
        late = np.zeros(np.broadcast(start, end).shape, dtype=bool)
        if self.ends_after is not None:
            late |= end > self.ends_after
        if self.starts_from is not None:
            late |= start >= self.starts_from
        return late


#: A shift ending after 19:00 local time, or on a later date, is late.
DEFAULT_LATE_SHIFT = LateShift(ends_after=19 * 60)


class BreakRule(FrozenModel):
    """A break inside a shift, placed somewhere in a window measured from the shift's start.

    The break starts between ``earliest_start_minutes`` and ``latest_start_minutes`` after the shift starts
    and lasts ``duration_minutes``. It applies to shifts at least ``min_shift_minutes`` long (a lunch that only
    full-day shifts get). Unpaid breaks are not paid time.
    """

    name: str = "break"
    duration_minutes: int = Field(gt=0, le=240)
    paid: bool = False
    earliest_start_minutes: int = Field(ge=0)
    latest_start_minutes: int = Field(ge=0)
    min_shift_minutes: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _window_ordered(self) -> BreakRule:
        if self.latest_start_minutes < self.earliest_start_minutes:
            raise ValueError(
                f"break '{self.name}' may start at the latest {self.latest_start_minutes} min into the shift, before "
                f"its earliest start ({self.earliest_start_minutes} min); swap or fix the two values"
            )
        return self

    @property
    def window_end_minutes(self) -> int:
        """The latest minute (after the shift start) at which this break can still be running."""
        return self.latest_start_minutes + self.duration_minutes

    def applies_to(self, length_minutes: int) -> bool:
        return length_minutes >= self.min_shift_minutes


class ShiftTemplate(FrozenModel):
    """The shifts that may be worked: start times in a window on a step, a set of lengths, and the breaks.

    A shift belongs to the local day it starts on and may run past midnight. Its length is elapsed time, so a
    shift across a DST change still lasts ``length`` minutes. Breaks are placed inside each worked shift.
    """

    id: Identifier
    name: str = ""
    earliest_start_minute: TimeOfDay
    latest_start_minute: TimeOfDay
    start_step_minutes: int = Field(default=15, gt=0, le=MINUTES_PER_DAY)
    lengths_minutes: list[int] = Field(min_length=1)
    breaks: list[BreakRule] = Field(default_factory=list)
    weekdays: list[Weekday] = Field(default_factory=lambda: list(ALL_WEEKDAYS), min_length=1)

    @field_validator("lengths_minutes")
    @classmethod
    def _lengths_valid(cls, lengths: list[int]) -> list[int]:
        for length in lengths:
            if length <= 0:
                raise ValueError(f"shift length {length} min must be positive")
            if length > MINUTES_PER_DAY:
                raise ValueError(
                    f"shift length {length} min ({length / 60:g} h) is longer than 24 h; a shift belongs to one "
                    "day, so split it into shifts of at most 1440 minutes"
                )
        if len(set(lengths)) != len(lengths):
            raise ValueError(f"lengths {lengths} repeat a value; list each length once")
        return sorted(lengths)

    @model_validator(mode="after")
    def _consistent(self) -> ShiftTemplate:
        if self.latest_start_minute < self.earliest_start_minute:
            raise ValueError(
                f"latest start {format_minute_of_day(self.latest_start_minute)} is before earliest start "
                f"{format_minute_of_day(self.earliest_start_minute)}; a start window cannot wrap past midnight, "
                "use two templates"
            )
        for length in self.lengths_minutes:
            applicable = [(i, b) for i, b in enumerate(self.breaks) if b.applies_to(length)]
            for i, rule in applicable:
                if rule.window_end_minutes > length:
                    raise ValueError(
                        f"breaks[{i}] ('{rule.name}') may run until {rule.window_end_minutes} min into the shift, "
                        f"outside a {length}-min shift; move its window earlier or set min_shift_minutes above {length}"
                    )
            for a_pos, (i, a) in enumerate(applicable):
                for j, b in applicable[a_pos + 1 :]:
                    if (
                        a.earliest_start_minutes < b.window_end_minutes
                        and b.earliest_start_minutes < a.window_end_minutes
                    ):
                        raise ValueError(
                            f"the windows of breaks[{i}] ('{a.name}', {a.earliest_start_minutes}-"
                            f"{a.window_end_minutes} min) and breaks[{j}] ('{b.name}', {b.earliest_start_minutes}-"
                            f"{b.window_end_minutes} min) overlap in a {length}-min shift; make them disjoint so "
                            "the breaks' order is fixed"
                        )
            if self.paid_minutes(length) <= 0:
                raise ValueError(f"a {length}-min shift is all unpaid breaks; lengthen it or shorten its breaks")
        return self

    def start_minutes(self) -> list[int]:
        """Every allowed start, as minutes after local midnight."""
        return list(range(self.earliest_start_minute, self.latest_start_minute + 1, self.start_step_minutes))

    def breaks_for(self, length_minutes: int) -> list[BreakRule]:
        return [b for b in self.breaks if b.applies_to(length_minutes)]

    def paid_minutes(self, length_minutes: int) -> int:
        """Paid time of a shift of this length: its length less its unpaid breaks."""
        unpaid = sum(b.duration_minutes for b in self.breaks_for(length_minutes) if not b.paid)
        return length_minutes - unpaid

    def max_paid_minutes(self) -> int:
        return max(self.paid_minutes(length) for length in self.lengths_minutes)


class Contract(FrozenModel):
    """The working-time rules agents on this contract are planned under (per week unless said otherwise)."""

    id: Identifier
    name: str = ""
    min_paid_minutes_week: int = Field(default=0, ge=0, le=MINUTES_PER_WEEK)
    max_paid_minutes_week: int = Field(gt=0, le=MINUTES_PER_WEEK)
    target_paid_minutes_week: int | None = Field(default=None, ge=0, le=MINUTES_PER_WEEK)
    max_working_days: int = Field(default=5, ge=1, le=7)
    min_rest_minutes: int = Field(default=11 * 60, ge=0, le=MINUTES_PER_DAY * 2)
    max_consecutive_days: int = Field(default=6, ge=1, le=14)
    min_consecutive_days_off: int = Field(default=1, ge=0, le=7)
    max_working_weekends: int | None = Field(default=None, ge=0)
    #: The weekend of this contract's agents (max_working_weekends, fair_weekends); None: the centre's.
    weekend_days: WeekendDays | None = None
    #: What counts as a late shift for this contract's agents (fair_late_shifts); None: the centre's.
    late_shift: LateShift | None = None
    shift_templates: list[Identifier] = Field(min_length=1)
    #: Pay of an overtime minute (a shift extended during the day) as a multiple of the agent's hourly cost.
    overtime_rate: float = Field(default=1.5, ge=1)
    #: The most a shift may be extended on a day (intraday overtime), in minutes.
    max_overtime_minutes_day: int = Field(default=120, ge=0, le=MINUTES_PER_DAY)

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        lo, hi = self.min_paid_minutes_week, self.max_paid_minutes_week
        if lo > hi:
            raise ValueError(
                f"min_paid_minutes_week {lo} ({lo / 60:g} h) is more than max_paid_minutes_week {hi} "
                f"({hi / 60:g} h); lower the minimum or raise the maximum"
            )
        target = self.target_paid_minutes_week
        if target is not None and not lo <= target <= hi:
            raise ValueError(
                f"target_paid_minutes_week {target} is outside the contract's range {lo}..{hi}; put it inside"
            )
        return self


class AgentSkill(FrozenModel):
    """A skill an agent has, with a proficiency in (0, 1]: 1 = handles at the work type's AHT, 0.8 = slower."""

    skill: Identifier
    proficiency: float = Field(default=1.0, gt=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `skills: [billing, tech]` is shorthand for full proficiency in each.
        return {"skill": data} if isinstance(data, str) else data


class Preferences(FrozenModel):
    """Soft wishes the roster tries to honour: a preferred shift start and preferred days off."""

    preferred_start_minute: TimeOfDay | None = None
    preferred_days_off: list[Weekday] = Field(default_factory=list)


class Agent(FrozenModel):
    """A named agent. Empty `availability` means available at any time; time off is whole days."""

    id: Identifier
    name: str = ""
    skills: list[AgentSkill] = Field(min_length=1)
    contract: Identifier
    region: Identifier | None = None
    site: str = ""
    hourly_cost: float = Field(default=0.0, ge=0)
    max_concurrency: int | None = Field(default=None, ge=1, le=20)
    availability: list[WeeklyWindow] = Field(default_factory=list)
    time_off: list[TimeOff] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)

    @model_validator(mode="after")
    def _consistent(self) -> Agent:
        seen: dict[str, int] = {}
        for i, agent_skill in enumerate(self.skills):
            if agent_skill.skill in seen:
                raise ValueError(
                    f"skills[{i}] repeats skill '{agent_skill.skill}' (already skills[{seen[agent_skill.skill]}]); "
                    "list each skill once"
                )
            seen[agent_skill.skill] = i
        overlaps = overlapping_windows(self.availability)
        if overlaps:
            i, j = overlaps[0]
            raise ValueError(
                f"availability[{i}] ({self.availability[i].describe()}) overlaps availability[{j}] "
                f"({self.availability[j].describe()}); merge them into one window"
            )
        return self

    @property
    def skill_ids(self) -> frozenset[str]:
        return frozenset(s.skill for s in self.skills)

    def proficiency(self, skill: str) -> float:
        """Proficiency in `skill`, 0.0 if the agent does not have it."""
        return next((s.proficiency for s in self.skills if s.skill == skill), 0.0)

    def is_off(self, day: date) -> bool:
        return any(t.covers(day) for t in self.time_off)
