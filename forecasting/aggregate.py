"""From checked history to what the forecasters read: zero-filled hourly counts per work type, observed handle
times per work type x hour-of-week, and the arrival pattern inside the hour.

Every contact is put in the real hour of the centre's zone that holds it (the hourly grid of `models.Horizon`,
correct across DST). Interval counts at any resolution that divides an hour are summed into hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.series import hourly_grid
from models import History, InputError, Problem

__all__ = ["HOURS_PER_WEEK", "HourlyHistory", "aggregate", "hour_of_week"]

HOURS_PER_WEEK = 168
#: Resolution at which per-ticket history keeps its arrival pattern inside the hour.
TICKET_BUCKET_MINUTES = 5
#: Handle times further than this many robust standard deviations above their work type's median, on a log
#: scale, are clipped before averaging: robust to stuck tickets even in small samples, and leaves clean
#: lognormal data alone (4 sigma: 3 in 100,000).
HANDLE_TIME_CLIP_SIGMAS = 4.0
#: Handle times are learned from the most recent weeks, so that AHT drifts are followed.
HANDLE_TIME_WEEKS = 12


def hour_of_week(index: pd.DatetimeIndex) -> np.ndarray:
    """Local weekday x 24 + local hour (Monday 00:00 = 0)."""
    wall = index.tz_localize(None) if index.tz is not None else index
    return np.asarray(wall.day_of_week.to_numpy() * 24 + wall.hour.to_numpy(), dtype=np.int64)


@dataclass(frozen=True)
class HourlyHistory:
    """What aggregation learned from a history.

    `counts`: real hourly grid (tz-aware index) x work type, zero-filled. `handle_sum_s` / `handle_n`: sums and
    numbers of (clipped) handle times per work type x hour-of-week over the last weeks; `bucket_counts`: arrivals
    per work type x hour-of-week x sub-hour bucket of `bucket_minutes` (None when the history is hourly or
    coarser than any sub-hour split).
    """

    counts: pd.DataFrame
    timezone: str
    source_interval_minutes: int | None
    handle_sum_s: pd.DataFrame
    handle_n: pd.DataFrame
    bucket_counts: dict[str, np.ndarray] | None
    bucket_minutes: int | None

    @property
    def work_types(self) -> list[str]:
        return [str(c) for c in self.counts.columns]

    @property
    def total(self) -> pd.Series:
        return self.counts.sum(axis=1)


def aggregate(history: History, timezone: str, work_types: list[str] | None = None) -> HourlyHistory:
    """Aggregate `history` to hours in `timezone`. `work_types` fixes the columns (e.g. the centre's, so that a
    work type with no history gets zeros); by default they come from the data."""
    frame = history.frame
    if history.timezone is None:
        raise InputError(history.source, Problem("", "the history has no time zone", "give --tz (or --center)"))
    times = frame[history.time_column].dt.tz_convert(timezone)
    types = sorted(frame["work_type"].unique().tolist()) if work_types is None else list(work_types)
    grid = hourly_grid(times.iloc[0].date(), times.iloc[-1].date(), timezone)
    edges = grid.asi8
    position = np.searchsorted(edges, pd.DatetimeIndex(times).as_unit("ns").asi8, side="right") - 1
    type_code = pd.Categorical(frame["work_type"], categories=types).codes
    keep = type_code >= 0
    volume = frame["volume"].to_numpy(dtype=float) if history.kind == "intervals" else np.ones(len(frame))
    counts = np.zeros((len(grid), len(types)))
    np.add.at(counts, (position[keep], type_code[keep]), volume[keep])
    how = hour_of_week(grid)

    handle_sum, handle_n = _handle_times(history, position, type_code, grid, len(types))
    buckets, bucket_minutes = _buckets(history, times, position, type_code, how, len(types), volume)
    return HourlyHistory(
        counts=pd.DataFrame(counts, index=grid, columns=types),
        timezone=timezone,
        source_interval_minutes=history.interval_minutes,
        handle_sum_s=pd.DataFrame(handle_sum, columns=types),
        handle_n=pd.DataFrame(handle_n, columns=types),
        bucket_counts=None if buckets is None else {t: buckets[k] for k, t in enumerate(types)},
        bucket_minutes=bucket_minutes,
    )


def _handle_times(
    history: History, position: np.ndarray, type_code: np.ndarray, grid: pd.DatetimeIndex, n_types: int
) -> tuple[np.ndarray, np.ndarray]:
    frame = history.frame
    column = "handle_time_s" if history.kind == "tickets" else "aht_s"
    total = np.zeros((HOURS_PER_WEEK, n_types))
    count = np.zeros((HOURS_PER_WEEK, n_types))
    if column not in frame.columns:
        return total, count
    values = frame[column].to_numpy(dtype=float)
    weight = frame["volume"].to_numpy(dtype=float) if history.kind == "intervals" else np.ones(len(frame))
    recent = position >= len(grid) - HANDLE_TIME_WEEKS * HOURS_PER_WEEK
    ok = ~np.isnan(values) & (type_code >= 0) & recent & (weight > 0)
    how = hour_of_week(grid)[position[ok]]
    codes = type_code[ok]
    values, weight = values[ok], weight[ok]
    for k in range(n_types):
        mine = codes == k
        if mine.any():
            logs = np.log(np.maximum(values[mine], 1.0))
            centre = np.median(logs)
            spread = 1.4826 * np.median(np.abs(logs - centre))  # MAD as a standard deviation
            values[mine] = np.minimum(values[mine], np.exp(centre + HANDLE_TIME_CLIP_SIGMAS * max(spread, 0.1)))
    np.add.at(total, (how, codes), values * weight)
    np.add.at(count, (how, codes), weight)
    return total, count


def _buckets(
    history: History,
    times: pd.Series,
    position: np.ndarray,
    type_code: np.ndarray,
    how: np.ndarray,
    n_types: int,
    volume: np.ndarray,
) -> tuple[np.ndarray | None, int | None]:
    """Arrivals per work type x hour-of-week x sub-hour bucket, for the intra-hour profile."""
    bucket = TICKET_BUCKET_MINUTES if history.kind == "tickets" else history.interval_minutes
    if bucket is None or bucket >= 60:
        return None, None
    minute = times.dt.minute.to_numpy()
    sub = minute // bucket
    out = np.zeros((n_types, HOURS_PER_WEEK, 60 // bucket))
    keep = type_code >= 0
    np.add.at(out, (type_code[keep], how[position[keep]], sub[keep]), volume[keep])
    return out, bucket
