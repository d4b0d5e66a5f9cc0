"""From checked history to hourly counts (`forecasting.aggregate`) and the wall-clock view (`forecasting.series`).

Every case is a small CSV written to tmp_path and read with `models.read_history`, so the whole path from a
file to the forecasters' input is covered. Expected counts are the tickets listed in each case, placed by hand
in the local hour that holds them (Europe/London: GMT = UTC+0 in winter, BST = UTC+1 from 01:00 UTC on
29 March 2026 to 01:00 UTC on 25 October 2026).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting import aggregate
from forecasting.aggregate import HOURS_PER_WEEK, HourlyHistory, hour_of_week
from forecasting.pipeline import AHT_SHRINKAGE_CONTACTS, aht_profile
from forecasting.series import DayHours, hourly_grid
from models import InputError, read_history

TZ = "Europe/London"
WriteCsv = Callable[[str, str], Path]


def tickets_csv(rows: list[tuple[str, str, str]]) -> str:
    """CSV text of per-ticket rows (created_at, work_type, handle_time_s; blank = not timed)."""
    return "created_at,work_type,handle_time_s\n" + "\n".join(",".join(r) for r in rows)


def count_at(hourly: HourlyHistory, local: str, work_type: str) -> float:
    """The count of the real hour starting at `local` (with its UTC offset, so repeated hours are distinct)."""
    return float(hourly.counts.loc[pd.Timestamp(local).tz_convert(TZ), work_type])


# -- per-ticket history -----------------------------------------------------------------------------------------


def test_tickets_become_zero_filled_hourly_counts_in_the_centre_zone(write_csv: WriteCsv) -> None:
    """Tickets given in UTC land in the local hour of the centre's zone; every other hour of the dates they
    span is present with a zero; a work type the centre has but the history lacks is a column of zeros."""
    path = write_csv(
        tickets_csv(
            [
                ("2026-01-12T08:15:00Z", "phone", "300"),
                ("2026-01-12T08:45:00Z", "phone", "240"),
                ("2026-01-12T08:59:59Z", "email", ""),
                ("2026-01-12T09:00:00Z", "phone", "100"),
                ("2026-01-13T23:30:00Z", "email", "600"),
            ]
        ),
        "tickets.csv",
    )
    history = read_history(path, timezone="UTC")
    hourly = aggregate(history, TZ, ["phone", "email", "chat"])
    assert hourly.timezone == TZ
    assert hourly.work_types == ["phone", "email", "chat"]
    index = pd.DatetimeIndex(hourly.counts.index)
    assert str(index.tz) == TZ
    assert index.equals(hourly_grid(date(2026, 1, 12), date(2026, 1, 13), TZ))  # 48 hours, from local midnight
    assert count_at(hourly, "2026-01-12 08:00+00:00", "phone") == 2
    assert count_at(hourly, "2026-01-12 08:00+00:00", "email") == 1  # 08:59:59 is still the 08:00 hour
    assert count_at(hourly, "2026-01-12 09:00+00:00", "phone") == 1  # 09:00:00 starts the next one
    assert count_at(hourly, "2026-01-13 23:00+00:00", "email") == 1
    assert hourly.counts.to_numpy().sum() == 5  # nothing else anywhere
    assert (hourly.counts["chat"] == 0).all()
    np.testing.assert_array_equal(hourly.total.to_numpy(), hourly.counts.sum(axis=1).to_numpy())
    assert hourly.bucket_minutes == 5  # per-ticket history keeps 5-minute arrival buckets


def test_spring_forward_day_has_23_hours(write_csv: WriteCsv) -> None:
    """29 March 2026 in London: 00:00 GMT is followed by 02:00 BST (01:00 UTC); 01:xx local does not exist."""
    path = write_csv(
        tickets_csv(
            [
                ("2026-03-29T00:30:00+00:00", "phone", ""),  # 00:00 GMT hour
                ("2026-03-29T01:10:00Z", "phone", ""),  # = 02:10 BST
                ("2026-03-29T02:59:00+01:00", "phone", ""),  # the same 02:00 BST hour
                ("2026-03-29T23:59:00+01:00", "phone", ""),
                ("2026-03-30T00:00:00+01:00", "phone", ""),
            ]
        )
    )
    hourly = aggregate(read_history(path, timezone=TZ), TZ)
    local = pd.DatetimeIndex(hourly.counts.index)
    day = local[local.tz_localize(None).normalize() == pd.Timestamp("2026-03-29")]
    assert len(day) == 23
    assert 1 not in set(day.hour)
    assert len(local) == 23 + 24
    assert count_at(hourly, "2026-03-29 00:00+00:00", "phone") == 1
    assert count_at(hourly, "2026-03-29 02:00+01:00", "phone") == 2
    assert count_at(hourly, "2026-03-29 23:00+01:00", "phone") == 1
    assert count_at(hourly, "2026-03-30 00:00+01:00", "phone") == 1
    assert hourly.counts["phone"].sum() == 5


def test_fall_back_day_has_25_hours_and_keeps_the_repeated_hour_apart(write_csv: WriteCsv) -> None:
    """25 October 2026 in London: 01:00-01:59 happens twice (BST, then GMT); each occurrence is its own hour."""
    path = write_csv(
        tickets_csv(
            [
                ("2026-10-25T01:30:00+01:00", "phone", ""),  # first 01:00 (BST, 00:30 UTC)
                ("2026-10-25T01:30:00+00:00", "phone", ""),  # second 01:00 (GMT, 01:30 UTC)
                ("2026-10-25T01:45:00+00:00", "phone", ""),
                ("2026-10-25T02:00:00+00:00", "phone", ""),
            ]
        )
    )
    hourly = aggregate(read_history(path, timezone=TZ), TZ)
    local = pd.DatetimeIndex(hourly.counts.index)
    assert len(local) == 25
    assert list(local.hour) == [0, 1, 1, *range(2, 24)]
    assert count_at(hourly, "2026-10-25 01:00+01:00", "phone") == 1
    assert count_at(hourly, "2026-10-25 01:00+00:00", "phone") == 2
    assert count_at(hourly, "2026-10-25 02:00+00:00", "phone") == 1


def test_interval_counts_are_summed_into_hours(write_csv: WriteCsv) -> None:
    """6-minute counts (as in the 1999 bank data): ten intervals make an hour. Volumes are k (k = 0..239 over
    the day), so the hour h holds sum(10h..10h+9) = 100h + 45."""
    starts = pd.date_range("2026-01-12 00:00", periods=240, freq="6min")
    lines = [f"{t:%Y-%m-%d %H:%M},{k}" for k, t in enumerate(starts)]
    path = write_csv("interval_start,volume\n" + "\n".join(lines))
    history = read_history(path, timezone=TZ, work_type="all")
    assert history.kind == "intervals" and history.interval_minutes == 6
    hourly = aggregate(history, TZ)
    assert hourly.source_interval_minutes == 6
    np.testing.assert_array_equal(hourly.counts["all"].to_numpy(), 100 * np.arange(24) + 45)
    # The arrival pattern inside the hour is kept in 6-minute buckets: Monday 09:00 (hour of week 9) held
    # 90..99 in its ten buckets.
    assert hourly.bucket_minutes == 6
    buckets = hourly.bucket_counts
    assert buckets is not None and buckets["all"].shape == (HOURS_PER_WEEK, 10)
    np.testing.assert_array_equal(buckets["all"][9], np.arange(90, 100))


def test_interval_counts_across_dst_with_offsets(write_csv: WriteCsv) -> None:
    """15-minute counts with UTC offsets across the autumn change: the two 01:00 hours stay apart."""
    starts = pd.date_range("2026-10-25 00:00", "2026-10-25 03:45", freq="15min", tz=TZ)
    lines = [f"{t.isoformat()},1" for t in starts]
    path = write_csv("interval_start,volume\n" + "\n".join(lines))
    hourly = aggregate(read_history(path, timezone=TZ, work_type="q"), TZ)
    assert len(starts) == 5 * 4  # 00, 01 (BST), 01 (GMT), 02, 03
    assert count_at(hourly, "2026-10-25 01:00+01:00", "q") == 4
    assert count_at(hourly, "2026-10-25 01:00+00:00", "q") == 4
    assert hourly.counts["q"].sum() == 20


def test_history_without_a_time_zone_is_an_input_error(write_csv: WriteCsv) -> None:
    path = write_csv(tickets_csv([("2026-01-12 08:15", "phone", "300")]))
    history = read_history(path)
    assert history.timezone is None
    with pytest.raises(InputError, match="no time zone"):
        aggregate(history, TZ)


# -- handle times -----------------------------------------------------------------------------------------------


def test_handle_times_ignore_blanks_and_clip_outliers(write_csv: WriteCsv) -> None:
    """Monday 2 March 2026, 09:00: 100 tickets of 300 s, one stuck ticket of 10^6 s and 5 untimed ones;
    10:00: 100 tickets of 600 s. On a log scale the 201 handle times have median log 600 and MAD log 2, so the
    clip is exp(log 600 + 4 x 1.4826 x log 2) = 600 x 2^5.93 (about 36,600 s): hour 09 sums 100 x 300 + that
    over 101 timed tickets (mean about 660 s; unclipped it would be 10,198 s). Untimed tickets still count."""
    rows = [(f"2026-03-02T09:{i % 60:02d}:00Z", "phone", "300") for i in range(100)]
    rows += [("2026-03-02T09:30:30Z", "phone", "1000000")]
    rows += [(f"2026-03-02T09:{i:02d}:30Z", "phone", "") for i in range(5)]
    rows += [(f"2026-03-02T10:{i % 60:02d}:00Z", "phone", "600") for i in range(100)]
    path = write_csv(tickets_csv(rows))
    hourly = aggregate(read_history(path, timezone=TZ), TZ)
    monday_9, monday_10 = 9, 10  # hour of week: Monday 00:00 = 0
    assert count_at(hourly, "2026-03-02 09:00+00:00", "phone") == 106
    assert hourly.handle_n.loc[monday_9, "phone"] == 101
    limit = 600 * 2 ** (4 * 1.4826)
    assert hourly.handle_sum_s.loc[monday_9, "phone"] == pytest.approx(100 * 300 + limit)
    assert hourly.handle_sum_s.loc[monday_10, "phone"] == pytest.approx(100 * 600)
    mean_9 = hourly.handle_sum_s.loc[monday_9, "phone"] / hourly.handle_n.loc[monday_9, "phone"]
    assert mean_9 == pytest.approx((30_000 + limit) / 101)
    assert mean_9 < 700
    assert hourly.handle_n["phone"].sum() == 201


def test_clean_lognormal_handle_times_are_not_trimmed(write_csv: WriteCsv) -> None:
    """2,000 lognormal handle times (mean 400 s, CV 0.8): the 4-sigma log fence clips about 3 in 100,000, so the
    clipped mean stays within 0.5% of the sample mean (the old 99%-quantile clip lowered it by about 3%)."""
    rng = np.random.default_rng(7)
    sigma = np.sqrt(np.log1p(0.8**2))
    times = np.round(rng.lognormal(np.log(400) - sigma**2 / 2, sigma, size=2000))
    rows = [(f"2026-03-02T09:{(i // 60) % 60:02d}:{i % 60:02d}Z", "phone", str(int(t))) for i, t in enumerate(times)]
    hourly = aggregate(read_history(write_csv(tickets_csv(rows)), timezone=TZ), TZ)
    total = hourly.handle_sum_s["phone"].sum()
    n = hourly.handle_n["phone"].sum()
    assert n == 2000
    assert total / n == pytest.approx(times.mean(), rel=0.005)


def test_interval_aht_is_volume_weighted(write_csv: WriteCsv) -> None:
    """Interval AHT is weighted by each interval's volume: Monday 12 January 2026 09:00-09:59 holds ten
    6-minute intervals, five of 10 contacts at 100 s and five of 30 at 200 s, so the hour's AHT is
    (5 x 10 x 100 + 5 x 30 x 200) / (5 x 10 + 5 x 30) = 175 s (not the unweighted 150 s). Every other interval
    of the day has 1 contact at 200 s, far inside the clip. Empty intervals carry no AHT."""
    starts = pd.date_range("2026-01-12 00:00", periods=240, freq="6min")
    lines = []
    for k, t in enumerate(starts):
        if t.hour == 9:
            volume, aht = (10, 100) if k % 2 == 0 else (30, 200)
        else:
            volume, aht = (0, 500) if t.hour == 3 else (1, 200)
        lines.append(f"{t:%Y-%m-%d %H:%M},{volume},{aht}")
    path = write_csv("interval_start,volume,aht_s\n" + "\n".join(lines))
    hourly = aggregate(read_history(path, timezone=TZ, work_type="q"), TZ)
    assert hourly.handle_n.loc[9, "q"] == 200
    assert hourly.handle_sum_s.loc[9, "q"] / hourly.handle_n.loc[9, "q"] == pytest.approx(175.0)
    assert hourly.handle_n.loc[3, "q"] == 0  # the 500 s of empty intervals weigh nothing
    assert hourly.handle_sum_s.loc[8, "q"] / hourly.handle_n.loc[8, "q"] == pytest.approx(200.0)


def handle_history(sum_s: dict[str, np.ndarray], n: dict[str, np.ndarray]) -> HourlyHistory:
    index = hourly_grid(date(2026, 1, 5), date(2026, 1, 11), TZ)
    types = list(sum_s)
    return HourlyHistory(
        counts=pd.DataFrame(0.0, index=index, columns=types),
        timezone=TZ,
        source_interval_minutes=None,
        handle_sum_s=pd.DataFrame(sum_s),
        handle_n=pd.DataFrame(n),
        bucket_counts=None,
        bucket_minutes=None,
    )


def test_aht_profile_shrinks_sparse_hours_and_falls_back_to_the_default() -> None:
    """Work type 'a': hour 0 saw 10 contacts averaging 600 s, hour 1 saw 1,000 averaging 300 s, no other hour
    saw any. Its mean is 306,000 / 1,010 = 302.970 s. With a prior weight of AHT_SHRINKAGE_CONTACTS = 30:
    hour 0 = (6,000 + 30 x 302.970) / 40 = 377.228 s (pulled most of the way back towards the mean);
    hour 1 = (300,000 + 30 x 302.970) / 1,030 = 300.087 s (barely moved); unseen hours = 302.970 s.
    'b' was never timed: its default 450 s. 'c' was never timed and has no default: blank (NaN)."""
    assert AHT_SHRINKAGE_CONTACTS == 30.0
    sum_a, n_a = np.zeros(HOURS_PER_WEEK), np.zeros(HOURS_PER_WEEK)
    sum_a[0], n_a[0] = 10 * 600, 10
    sum_a[1], n_a[1] = 1000 * 300, 1000
    zeros = np.zeros(HOURS_PER_WEEK)
    hourly = handle_history({"a": sum_a, "b": zeros, "c": zeros}, {"a": n_a, "b": zeros, "c": zeros})
    profile = aht_profile(hourly, {"a": 999.0, "b": 450.0})
    assert list(profile.columns) == ["a", "b", "c"] and len(profile) == HOURS_PER_WEEK
    assert profile.loc[0, "a"] == pytest.approx(377.2277, abs=1e-4)
    assert profile.loc[1, "a"] == pytest.approx(300.0865, abs=1e-4)
    np.testing.assert_allclose(profile["a"].to_numpy()[2:], 302.9703, atol=1e-4)
    assert (profile["b"] == 450.0).all()
    assert profile["c"].isna().all()


# -- the wall-clock view ----------------------------------------------------------------------------------------


def test_hour_of_week_is_local_wall_clock() -> None:
    london = pd.DatetimeIndex(
        [pd.Timestamp("2026-03-23 00:00", tz=TZ), pd.Timestamp("2026-03-29 23:00", tz=TZ)]  # Mon 00:00, Sun 23:00
    )
    np.testing.assert_array_equal(hour_of_week(london), [0, 167])
    kolkata = pd.DatetimeIndex([pd.Timestamp("2026-03-25 10:00", tz="UTC")]).tz_convert("Asia/Kolkata")
    np.testing.assert_array_equal(hour_of_week(kolkata), [2 * 24 + 15])  # Wednesday 15:30 IST


def test_day_hours_across_dst() -> None:
    """The series k = 0, 1, 2, ... on the real hours of Sat 28 March - Sun 29 March 2026 (47 hours) and
    Sat 24 - Sun 25 October 2026 (49 hours). The skipped 01:00 of 29 March is filled with the mean of its
    neighbours 00:00 and 02:00; the repeated 01:00 of 25 October holds the mean of its two occurrences, and a
    lookup gives that mean to both."""
    spring = hourly_grid(date(2026, 3, 28), date(2026, 3, 29), TZ)
    days = DayHours.from_series(pd.Series(np.arange(len(spring), dtype=float), index=spring))
    assert days.values.shape == (2, 24) and days.start == date(2026, 3, 28) and days.end == date(2026, 3, 29)
    # 29 March: real hours 24 (00:00), 25 (02:00), ... 46 (23:00).
    assert days.values[1, 0] == 24 and days.values[1, 2] == 25 and days.values[1, 23] == 46
    assert days.values[1, 1] == pytest.approx((24 + 25) / 2)
    np.testing.assert_array_equal(days.lookup(spring), np.arange(len(spring)))

    autumn = hourly_grid(date(2026, 10, 24), date(2026, 10, 25), TZ)
    days = DayHours.from_series(pd.Series(np.arange(len(autumn), dtype=float), index=autumn))
    # 25 October: real hours 24 (00:00), 25 (01:00 BST), 26 (01:00 GMT), 27 (02:00), ... 48 (23:00).
    assert days.values[1, 1] == pytest.approx((25 + 26) / 2)
    assert days.values[1, 2] == 27 and days.values[1, 23] == 48
    looked_up = days.lookup(autumn)
    assert looked_up[25] == looked_up[26] == pytest.approx(25.5)
    assert np.delete(looked_up, [25, 26]).tolist() == np.delete(np.arange(len(autumn)), [25, 26]).tolist()


def test_day_hours_rejects_naive_series_and_lookups_outside() -> None:
    naive = pd.Series(1.0, index=pd.date_range("2026-01-05", periods=48, freq="h"))
    with pytest.raises(ValueError, match="tz-aware"):
        DayHours.from_series(naive)
    index = hourly_grid(date(2026, 1, 5), date(2026, 1, 6), TZ)
    days = DayHours.from_series(pd.Series(1.0, index=index))
    with pytest.raises(ValueError, match="outside"):
        days.lookup(hourly_grid(date(2026, 1, 7), date(2026, 1, 7), TZ))
