"""The planning horizon across DST changes.

Expected counts come from the tz database: Europe/London springs forward at 01:00 on 2026-03-29 (a 23-hour
day, 92 quarter-hours) and falls back at 02:00 on 2026-10-25 (a 25-hour day, 100 quarter-hours);
America/Santiago springs forward at 00:00 on 2026-09-06, so that day starts at 01:00.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from models import Horizon

LONDON = "Europe/London"


def _quarter_hours_on(horizon: Horizon, day: date) -> int:
    return int(horizon.intervals_per_day[horizon.dates.index(day)])


def test_spring_forward_week_in_london() -> None:
    horizon = Horizon(start_date=date(2026, 3, 23), days=7, timezone=LONDON)
    assert _quarter_hours_on(horizon, date(2026, 3, 29)) == 92
    assert len(horizon.intervals) == 6 * 96 + 92 == 668
    assert horizon.day_lengths_minutes.tolist() == [1440] * 6 + [1380]
    assert horizon.end_date == date(2026, 3, 29)


def test_fall_back_day_in_london_has_100_quarter_hours() -> None:
    horizon = Horizon(start_date=date(2026, 10, 19), days=7, timezone=LONDON)
    assert _quarter_hours_on(horizon, date(2026, 10, 25)) == 100
    assert len(horizon.intervals) == 6 * 96 + 100


def test_interval_starts_are_aware_increasing_and_evenly_spaced() -> None:
    horizon = Horizon(start_date=date(2026, 3, 23), days=14, timezone=LONDON)
    intervals = horizon.intervals
    assert str(intervals.tz) == LONDON
    steps = np.diff(intervals.asi8)
    assert (steps == 15 * 60 * 10**9).all()  # constant elapsed steps, so strictly increasing
    assert intervals[0] == pd.Timestamp("2026-03-23 00:00", tz=LONDON)
    # After the change, local wall-clock 02:00 follows 00:45 on the 29th (01:00-02:00 does not exist).
    on_29th = intervals[(intervals >= pd.Timestamp("2026-03-29 00:45", tz=LONDON))][:2]
    assert [t.strftime("%H:%M%z") for t in on_29th] == ["00:45+0000", "02:00+0100"]


def test_interval_day_and_index() -> None:
    horizon = Horizon(start_date=date(2026, 3, 28), days=2, timezone=LONDON)
    assert np.bincount(horizon.interval_day).tolist() == [96, 92]
    assert horizon.interval_index(pd.Timestamp("2026-03-29 02:07", tz=LONDON)) == 96 + 4
    assert horizon.interval_index(pd.Timestamp("2026-03-29 01:07", tz="UTC")) == 96 + 4  # same instant
    with pytest.raises(ValueError, match="outside the horizon"):
        horizon.interval_index(pd.Timestamp("2026-03-30 00:00", tz=LONDON))
    with pytest.raises(ValueError, match="outside the horizon"):
        horizon.interval_index(pd.Timestamp("2026-03-27 23:59", tz=LONDON))
    with pytest.raises(ValueError, match="has no time zone"):
        horizon.interval_index(pd.Timestamp("2026-03-29 02:00"))


def test_overnight_shift_across_spring_forward_lasts_its_elapsed_length() -> None:
    horizon = Horizon(start_date=date(2026, 3, 28), days=2, timezone=LONDON)
    start, end = horizon.shift_span(date(2026, 3, 28), 22 * 60, 8 * 60)
    assert start == pd.Timestamp("2026-03-28 22:00", tz=LONDON)
    assert end - start == pd.Timedelta(hours=8)
    # 8 h of elapsed time end at 06:00 UTC, which is 07:00 local (BST) on the 29th.
    assert end.tz_convert(LONDON).strftime("%Y-%m-%d %H:%M") == "2026-03-29 07:00"


def test_overnight_shift_across_fall_back_ends_an_hour_earlier_on_the_clock() -> None:
    horizon = Horizon(start_date=date(2026, 10, 24), days=2, timezone=LONDON)
    start, end = horizon.shift_span(date(2026, 10, 24), 22 * 60, 8 * 60)
    assert end.tz_convert(LONDON).strftime("%H:%M") == "05:00"
    assert end - start == pd.Timedelta(hours=8)


def test_local_time_in_skipped_hour_moves_forward_and_repeated_hour_takes_the_first() -> None:
    horizon = Horizon(start_date=date(2026, 3, 29), days=1, timezone=LONDON)
    assert horizon.local_time(date(2026, 3, 29), 90) == pd.Timestamp("2026-03-29 01:00", tz="UTC")
    autumn = Horizon(start_date=date(2026, 10, 25), days=1, timezone=LONDON)
    first = autumn.local_time(date(2026, 10, 25), 90)
    assert first == pd.Timestamp("2026-10-25 00:30", tz="UTC")  # 01:30 BST, not 01:30 GMT
    with pytest.raises(ValueError, match="outside 0..1440"):
        horizon.local_time(date(2026, 3, 29), 1441)


def test_santiago_day_without_midnight() -> None:
    horizon = Horizon(start_date=date(2026, 9, 5), days=3, timezone="America/Santiago")
    assert horizon.day_lengths_minutes.tolist() == [1440, 1380, 1440]
    assert horizon.intervals_per_day.tolist() == [96, 92, 96]
    assert horizon.day_starts[1] == pd.Timestamp("2026-09-06 01:00", tz="America/Santiago")
    assert (np.diff(horizon.intervals.asi8) == 15 * 60 * 10**9).all()


@pytest.mark.parametrize("minutes", [7, 0, 45, 90])
def test_interval_must_divide_an_hour(minutes: int) -> None:
    with pytest.raises(ValidationError, match=f"interval_minutes {minutes} does not divide an hour"):
        Horizon(start_date=date(2026, 3, 23), interval_minutes=minutes, timezone=LONDON)


def test_hourly_intervals_on_a_dst_day() -> None:
    horizon = Horizon(start_date=date(2026, 10, 25), days=1, interval_minutes=60, timezone=LONDON)
    assert len(horizon.intervals) == 25


def test_interval_that_does_not_tile_a_half_hour_shift_day() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 60-min intervals cannot tile its 23.5-hour day.
    with pytest.raises(ValidationError, match="do not tile"):
        Horizon(start_date=date(2026, 10, 4), days=1, interval_minutes=60, timezone="Australia/Lord_Howe")
    assert (
        len(
            Horizon(start_date=date(2026, 10, 4), days=1, interval_minutes=30, timezone="Australia/Lord_Howe").intervals
        )
        == 47
    )


def test_days_bounds_and_unknown_zone() -> None:
    with pytest.raises(ValidationError, match="days"):
        Horizon(start_date=date(2026, 3, 23), days=0, timezone=LONDON)
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        Horizon(start_date=date(2026, 3, 23), timezone="London")
