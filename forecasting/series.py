"""Hourly series and their wall-clock view.

Counts live on the real hourly grid: one value per elapsed hour from each local midnight, so a spring-forward
day has 23 hours and a fall-back day 25 (`models.Horizon` with 60-minute intervals). Models think in wall-clock
terms ("Monday 10:00"), so `DayHours` lays a series out as one row per local date and 24 hourly slots: the hour
the clocks skip is filled from its neighbours, and the hour that happens twice holds the mean of its two
occurrences. `DayHours.lookup` maps slots back to real hours, where both occurrences of a repeated hour get the
slot's rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from models import Horizon

__all__ = ["DayHours", "hourly_grid", "hourly_index"]

HOURS = 24


def hourly_grid(first: date, last: date, timezone: str) -> pd.DatetimeIndex:
    """Every real hour of the local dates `first`..`last` (inclusive)."""
    days = (last - first).days + 1
    return Horizon(start_date=first, days=days, interval_minutes=60, timezone=timezone).intervals


def hourly_index(start: pd.Timestamp, periods: int) -> pd.DatetimeIndex:
    """`periods` real hours from `start` (tz-aware, on the hour of its zone's grid)."""
    if start.tzinfo is None:
        raise ValueError(f"start {start} has no time zone")
    return pd.date_range(start, periods=periods, freq="h").as_unit("ns")


def _slots(index: pd.DatetimeIndex, first: date) -> tuple[np.ndarray, np.ndarray]:
    """(day position from `first`, local hour) of each timestamp."""
    wall = index.tz_localize(None) if index.tz is not None else index  # local wall-clock time
    day = ((wall.normalize() - pd.Timestamp(first)) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    return day, wall.hour.to_numpy().astype(np.int64)


@dataclass(frozen=True)
class DayHours:
    """Values on a wall-clock grid: ``values[d, h]`` is local hour `h` of date ``start + d``."""

    start: date
    values: np.ndarray
    timezone: str

    @classmethod
    def from_series(cls, y: pd.Series) -> DayHours:
        index = pd.DatetimeIndex(y.index)
        if index.tz is None:
            raise ValueError("an hourly series needs a tz-aware index")
        first = index[0].date()
        day, hour = _slots(index, first)
        n_days = int(day.max()) + 1
        total = np.zeros((n_days, HOURS))
        count = np.zeros((n_days, HOURS))
        values = y.to_numpy(dtype=float)
        np.add.at(total, (day, hour), values)
        np.add.at(count, (day, hour), 1.0)
        with np.errstate(invalid="ignore"):
            grid = total / count
        missing = count == 0
        if missing.any():  # the hour the clocks skip (and nothing else on a full grid)
            left = np.roll(grid, 1, axis=1)
            right = np.roll(grid, -1, axis=1)
            grid[missing] = np.nanmean(np.stack([left[missing], right[missing]]), axis=0)
            grid = np.nan_to_num(grid, nan=0.0)
        return cls(first, grid, str(index.tz))

    @property
    def days(self) -> int:
        return int(self.values.shape[0])

    @property
    def end(self) -> date:
        """The last date held."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def weekdays(self) -> np.ndarray:
        return (np.arange(self.days) + self.start.weekday()) % 7

    def tail_days(self, days: int) -> DayHours:
        """The last `days` dates (all of them if there are fewer)."""
        keep = min(days, self.days)
        return DayHours(self.start + timedelta(days=self.days - keep), self.values[-keep:], self.timezone)

    def lookup(self, index: pd.DatetimeIndex) -> np.ndarray:
        """The slot value of each real hour in `index` (which must lie within these dates)."""
        day, hour = _slots(index.tz_convert(self.timezone), self.start)
        if day.min() < 0 or day.max() >= self.days:
            raise ValueError(f"{index[0]}..{index[-1]} is outside {self.start}..{self.end}")
        return np.asarray(self.values[day, hour], dtype=float)
