"""Weekly windows (opening hours, availability), time off and special days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import Field, model_validator

from models.base import WEEKDAY_NAMES, FrozenModel, Identifier, TimeOfDay, TimeOfDayEnd, Weekday, format_minute_of_day

__all__ = ["SpecialDay", "TimeOff", "WeeklyWindow", "overlapping_windows"]


class WeeklyWindow(FrozenModel):
    """A window on one weekday in local wall-clock time, e.g. opening hours or an agent's availability.

    A window that should run past midnight is written as two windows (``fri 22:00-24:00`` and
    ``sat 00:00-06:00``).
    """

    weekday: Weekday
    start_minute: TimeOfDay
    end_minute: TimeOfDayEnd

    @model_validator(mode="after")
    def _start_before_end(self) -> WeeklyWindow:
        if self.end_minute <= self.start_minute:
            raise ValueError(
                f"window {self.describe()} ends before it starts; split a window that crosses midnight "
                "into two windows, one on each day"
            )
        return self

    def describe(self) -> str:
        return (
            f"{WEEKDAY_NAMES[self.weekday]} {format_minute_of_day(self.start_minute)}-"
            f"{format_minute_of_day(self.end_minute)}"
        )


def overlapping_windows(windows: Sequence[WeeklyWindow]) -> list[tuple[int, int]]:
    """Index pairs of windows that overlap on the same weekday."""
    pairs = []
    for i, a in enumerate(windows):
        for j in range(i + 1, len(windows)):
            b = windows[j]
            if a.weekday == b.weekday and a.start_minute < b.end_minute and b.start_minute < a.end_minute:
                pairs.append((i, j))
    return pairs


class TimeOff(FrozenModel):
    """Whole days off (holiday leave, training...), inclusive of both dates."""

    start_date: date
    end_date: date
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.end_date < self.start_date:
            raise ValueError(f"time off ends ({self.end_date}) before it starts ({self.start_date})")
        return self

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class SpecialDay(FrozenModel):
    """A day that does not behave like the same weekday usually does: a holiday, a campaign, an outage.

    `volume_multiplier` is the expected volume relative to a normal day (None: learn it from history, as for
    public holidays); `work_types` limits the effect to some work types (empty: all); `closed` means no work
    can be done that day.
    """

    date: date
    name: str = Field(min_length=1)
    volume_multiplier: float | None = Field(default=None, ge=0)
    work_types: list[Identifier] = Field(default_factory=list)
    closed: bool = False

    def applies_to(self, work_type_id: str) -> bool:
        """Whether this day's effect (its closure, its multiplier) reaches `work_type_id`."""
        return not self.work_types or work_type_id in self.work_types
