"""The planning horizon: local dates cut into intervals, tz-aware and correct across DST changes.

Days are local calendar days. The interval grid runs in elapsed time from each local midnight, so a day on
which the clocks go forward has fewer intervals (92 quarter-hours in Europe/London) and one on which they go
back has more (100). A shift belongs to the day it starts and its length is elapsed time.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from models.base import MINUTES_PER_DAY, FrozenModel, TimeZoneName

__all__ = ["INTERVAL_MINUTES_CHOICES", "Horizon", "local_midnight", "local_time"]

#: Interval lengths that tile an hour (and so every day, whatever its DST offset change in whole quarter-hours).
INTERVAL_MINUTES_CHOICES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
#: Longest horizon: ten years, enough for any history a forecaster reads.
MAX_DAYS = 3660


def local_time(day: date, minute: int, timezone: str) -> pd.Timestamp:
    """The instant `minute` minutes of wall-clock time after midnight of `day` in `timezone`.

    A wall-clock time the clocks skip (spring forward) moves forward to the first valid instant; one that
    happens twice (fall back) is the first occurrence.
    """
    naive = pd.Timestamp(day) + pd.Timedelta(minutes=minute)
    return naive.tz_localize(timezone, nonexistent="shift_forward", ambiguous=True)


def local_midnight(day: date, timezone: str) -> pd.Timestamp:
    """The start of local `day` (midnight, or the first valid instant where midnight is skipped)."""
    return local_time(day, 0, timezone)


class Horizon(FrozenModel):
    """`days` local days from `start_date` in `timezone`, cut into `interval_minutes` intervals."""

    start_date: date
    days: int = Field(default=7, ge=1, le=MAX_DAYS)
    interval_minutes: int = 15
    timezone: TimeZoneName

    @field_validator("interval_minutes")
    @classmethod
    def _interval_tiles_hour(cls, value: int) -> int:
        if value not in INTERVAL_MINUTES_CHOICES:
            raise ValueError(
                f"interval_minutes {value} does not divide an hour; use one of "
                f"{', '.join(map(str, INTERVAL_MINUTES_CHOICES))}"
            )
        return value

    @model_validator(mode="after")
    def _days_tile(self) -> Horizon:
        lengths = self.day_lengths_minutes
        bad = np.flatnonzero(lengths % self.interval_minutes)
        if bad.size:
            day = self.dates[int(bad[0])]
            raise ValueError(
                f"{day} lasts {int(lengths[bad[0]])} minutes in {self.timezone}, which {self.interval_minutes}-min "
                "intervals do not tile; use a shorter interval"
            )
        return self

    @classmethod
    def covering(cls, instants: pd.Series | pd.DatetimeIndex, timezone: str, interval_minutes: int) -> Horizon:
        """The horizon of whole local days from the local date of the first of `instants` to that of the last
        (a requirement's `interval_start`, for a roster)."""
        index = pd.DatetimeIndex(instants)
        if len(index) == 0:
            raise ValueError("no instants to cover; give at least one interval")
        local = index.tz_convert(timezone) if index.tz is not None else index.tz_localize(timezone)
        first, last = local.min().date(), local.max().date()
        return cls(start_date=first, days=(last - first).days + 1, interval_minutes=interval_minutes, timezone=timezone)

    @property
    def end_date(self) -> date:
        """The last day of the horizon (inclusive)."""
        return self.start_date + timedelta(days=self.days - 1)

    @cached_property
    def dates(self) -> list[date]:
        return [self.start_date + timedelta(days=i) for i in range(self.days)]

    @cached_property
    def day_starts(self) -> pd.DatetimeIndex:
        """Local midnight of every day, plus the midnight that ends the horizon (``days + 1`` instants)."""
        edges = [local_midnight(self.start_date + timedelta(days=i), self.timezone) for i in range(self.days + 1)]
        return pd.DatetimeIndex(edges).tz_convert(self.timezone).as_unit("ns")

    @cached_property
    def day_lengths_minutes(self) -> np.ndarray:
        """Elapsed minutes in each local day (1440, or 1380/1500 on DST change days)."""
        seconds = np.diff(self.day_starts.asi8) // 10**9
        return (seconds // 60).astype(np.int64)

    @cached_property
    def intervals(self) -> pd.DatetimeIndex:
        """Start of every interval, tz-aware in the horizon's zone."""
        first, last = self.day_starts[0], self.day_starts[-1]
        grid = pd.date_range(first, last, freq=f"{self.interval_minutes}min", inclusive="left")
        return grid.tz_convert(self.timezone).as_unit("ns")

    @cached_property
    def interval_day(self) -> np.ndarray:
        """Index (0-based) of the day each interval belongs to."""
        return np.searchsorted(self.day_starts.asi8, self.intervals.asi8, side="right") - 1

    @property
    def intervals_per_day(self) -> np.ndarray:
        return self.day_lengths_minutes // self.interval_minutes

    def local_time(self, day: date, minute: int) -> pd.Timestamp:
        """Wall-clock `minute` after midnight of `day` in the horizon's zone (see `local_time`)."""
        if not 0 <= minute <= MINUTES_PER_DAY:
            raise ValueError(f"minute {minute} is outside 0..{MINUTES_PER_DAY}")
        return local_time(day, minute, self.timezone)

    def shift_span(self, day: date, start_minute: int, length_minutes: int) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Start and end of a shift that starts at wall-clock `start_minute` on `day` and lasts `length_minutes`."""
        start = self.local_time(day, start_minute)
        return start, start + pd.Timedelta(minutes=length_minutes)

    def interval_index(self, instant: pd.Timestamp) -> int:
        """Index of the interval holding `instant`; raises ValueError outside the horizon."""
        if instant.tzinfo is None:
            raise ValueError(f"{instant} has no time zone; give a tz-aware instant")
        position = int(np.searchsorted(self.intervals.asi8, instant.value, side="right")) - 1
        if position < 0 or instant >= self.day_starts[-1]:
            raise ValueError(f"{instant} is outside the horizon {self.start_date}..{self.end_date}")
        return position
