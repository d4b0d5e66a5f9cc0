"""Hypothesis property tests of model invariants: templates, windows, contracts and the horizon grid."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import Contract, Horizon, ShiftTemplate, WeeklyWindow
from models.base import MINUTES_PER_DAY, WEEKDAY_NAMES, format_minute_of_day, parse_minute_of_day

#: Zones with the DST rules worth covering: none (UTC, Kolkata), northern and southern hemisphere changes at
#: 01:00/02:00, a change at midnight (Santiago) and a 30-minute change (Lord Howe).
ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
]
#: Interval lengths that tile every day of every zone above (Lord Howe's days last 1410 or 1470 minutes).
TILING_INTERVALS = [1, 2, 3, 5, 6, 10, 15, 30]

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def shift_templates(draw: st.DrawFn) -> dict[str, Any]:
    """A valid template: a start window, distinct lengths, and disjoint breaks that fit the shortest shift."""
    earliest = draw(st.integers(0, MINUTES_PER_DAY - 1))
    latest = draw(st.integers(earliest, MINUTES_PER_DAY - 1))
    lengths = draw(st.lists(st.integers(30, MINUTES_PER_DAY), min_size=1, max_size=4, unique=True))
    shortest = min(lengths)
    breaks: list[dict[str, Any]] = []
    cursor = 0
    for _ in range(draw(st.integers(0, 3))):
        gap = draw(st.integers(0, 120))
        duration = draw(st.integers(1, 60))
        slack = draw(st.integers(0, 90))
        earliest_break = cursor + gap
        end = earliest_break + slack + duration
        if end > shortest:
            break
        breaks.append(
            {
                "duration_minutes": duration,
                "paid": draw(st.booleans()),
                "earliest_start_minutes": earliest_break,
                "latest_start_minutes": earliest_break + slack,
            }
        )
        cursor = end
    return {
        "id": "t",
        "earliest_start_minute": format_minute_of_day(earliest),
        "latest_start_minute": earliest if draw(st.booleans()) else latest,
        "start_step_minutes": draw(st.sampled_from([5, 10, 15, 30, 60, 1440])),
        "lengths_minutes": lengths,
        "breaks": breaks,
    }


@PROPERTY_SETTINGS
@given(shift_templates())
def test_template_paid_time_and_starts(data: dict[str, Any]) -> None:
    template = ShiftTemplate.model_validate(data)
    assert template.lengths_minutes == sorted(data["lengths_minutes"])
    for length in template.lengths_minutes:
        paid = template.paid_minutes(length)
        unpaid = sum(b.duration_minutes for b in template.breaks_for(length) if not b.paid)
        assert 0 < paid <= length
        assert paid == length - unpaid
        for rule in template.breaks_for(length):
            assert rule.window_end_minutes <= length
    assert template.max_paid_minutes() == max(template.paid_minutes(n) for n in template.lengths_minutes)
    starts = template.start_minutes()
    assert starts[0] == template.earliest_start_minute
    assert all(template.earliest_start_minute <= s <= template.latest_start_minute for s in starts)
    assert all(b - a == template.start_step_minutes for a, b in zip(starts, starts[1:], strict=False))
    assert starts[-1] + template.start_step_minutes > template.latest_start_minute  # no start left out


@PROPERTY_SETTINGS
@given(
    earliest=st.integers(0, MINUTES_PER_DAY - 1),
    latest=st.integers(0, MINUTES_PER_DAY - 1),
    lengths=st.lists(st.integers(-60, 2000), min_size=1, max_size=3),
    duration=st.integers(1, 240),
    window=st.tuples(st.integers(0, 1500), st.integers(0, 1500)),
)
def test_any_template_either_fails_validation_or_keeps_its_invariants(
    earliest: int, latest: int, lengths: list[int], duration: int, window: tuple[int, int]
) -> None:
    data = {
        "id": "t",
        "earliest_start_minute": earliest,
        "latest_start_minute": latest,
        "lengths_minutes": lengths,
        "breaks": [
            {"duration_minutes": duration, "earliest_start_minutes": window[0], "latest_start_minutes": window[1]}
        ],
    }
    try:
        template = ShiftTemplate.model_validate(data)
    except ValidationError:
        return
    assert all(0 < n <= MINUTES_PER_DAY for n in template.lengths_minutes)
    assert template.earliest_start_minute <= template.latest_start_minute
    for n in template.lengths_minutes:
        assert 0 < template.paid_minutes(n) <= n
        assert all(b.window_end_minutes <= n for b in template.breaks_for(n))


@st.composite
def windows(draw: st.DrawFn) -> WeeklyWindow:
    start = draw(st.integers(0, MINUTES_PER_DAY - 1))
    end = draw(st.integers(start + 1, MINUTES_PER_DAY))
    weekday = draw(st.integers(0, 6))
    spelled = draw(st.sampled_from(["number", "name", "clock"]))
    if spelled == "number":
        return WeeklyWindow(weekday=weekday, start_minute=start, end_minute=end)
    if spelled == "name":
        return WeeklyWindow(weekday=WEEKDAY_NAMES[weekday], start_minute=start, end_minute=end)
    return WeeklyWindow(
        weekday=WEEKDAY_NAMES[weekday], start_minute=format_minute_of_day(start), end_minute=format_minute_of_day(end)
    )


@PROPERTY_SETTINGS
@given(windows())
def test_weekly_window_round_trips_through_json(window: WeeklyWindow) -> None:
    dumped = window.model_dump(mode="json")
    assert dumped["weekday"] == WEEKDAY_NAMES[window.weekday]
    for key in ("start_minute", "end_minute"):
        assert len(dumped[key]) == 5 and dumped[key][2] == ":"
    assert parse_minute_of_day(dumped["start_minute"]) == window.start_minute
    assert WeeklyWindow.model_validate(dumped) == window


@PROPERTY_SETTINGS
@given(st.integers(0, MINUTES_PER_DAY))
def test_clock_text_round_trips(minute: int) -> None:
    assert parse_minute_of_day(format_minute_of_day(minute)) == minute


@PROPERTY_SETTINGS
@given(low=st.integers(0, 7 * MINUTES_PER_DAY), high=st.integers(1, 7 * MINUTES_PER_DAY))
def test_contract_minimum_never_above_maximum(low: int, high: int) -> None:
    try:
        contract = Contract(id="c", min_paid_minutes_week=low, max_paid_minutes_week=high, shift_templates=["t"])
    except ValidationError as error:
        assert low > high
        assert "lower the minimum or raise the maximum" in str(error)
        return
    assert contract.min_paid_minutes_week <= contract.max_paid_minutes_week


@PROPERTY_SETTINGS
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)),
    days=st.integers(1, 10),
    zone=st.sampled_from(ZONES),
    interval=st.sampled_from(TILING_INTERVALS),
)
def test_horizon_intervals_tile_every_day(start: date, days: int, zone: str, interval: int) -> None:
    horizon = Horizon(start_date=start, days=days, timezone=zone, interval_minutes=interval)
    lengths = horizon.day_lengths_minutes
    per_day = horizon.intervals_per_day
    assert np.isin(lengths, [1380, 1410, 1440, 1470, 1500]).all()
    assert (per_day * interval == lengths).all()
    assert len(horizon.intervals) == int(per_day.sum())
    assert np.bincount(horizon.interval_day, minlength=days).tolist() == per_day.tolist()
    steps = np.diff(horizon.intervals.asi8)
    assert (steps == interval * 60 * 10**9).all()
    assert horizon.intervals[0] == horizon.day_starts[0]
    # Each day starts on its own local date, at midnight or (where midnight is skipped) just after.
    local_days = [t.date() for t in horizon.day_starts[:-1]]
    assert local_days == horizon.dates
    assert all(t.hour in (0, 1) and t.minute == 0 for t in horizon.day_starts)
