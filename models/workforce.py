"""Who works and under which rules: agents, contracts and shift templates with their breaks."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, field_validator, model_validator

from models.base import MINUTES_PER_DAY, FrozenModel, Identifier, TimeOfDay, Weekday, format_minute_of_day
from models.calendar import TimeOff, WeeklyWindow, overlapping_windows

__all__ = ["Agent", "AgentSkill", "BreakRule", "Contract", "Preferences", "ShiftTemplate"]

ALL_WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


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
    shift_templates: list[Identifier] = Field(min_length=1)

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
