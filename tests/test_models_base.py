"""Value types and the frozen base model: times of day, weekdays, time zones, windows, time off."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from models import FrozenModel, SpecialDay, TimeOff, WeeklyWindow
from models.base import format_minute_of_day, parse_minute_of_day, parse_weekday
from models.calendar import overlapping_windows


class _Thing(FrozenModel):
    name: str
    size: int = 1


def test_frozen_model_rejects_unknown_fields_and_assignment() -> None:
    with pytest.raises(ValidationError, match="size_typo"):
        _Thing(name="x", size_typo=2)
    thing = _Thing(name="  padded  ")
    assert thing.name == "padded"  # str_strip_whitespace
    with pytest.raises(ValidationError, match="frozen"):
        thing.size = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "minute"),
    [("00:00", 0), ("7:30", 450), ("07:30", 450), ("23:59", 1439), ("24:00", 1440), (" 09:05 ", 545)],
)
def test_parse_minute_of_day(text: str, minute: int) -> None:
    assert parse_minute_of_day(text) == minute


@pytest.mark.parametrize("text", ["7.30", "0730", "07:60", "ab:cd", "07:3", ""])
def test_parse_minute_of_day_rejects_bad_clock_times(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM|minutes run 00-59"):
        parse_minute_of_day(text)


def test_format_minute_of_day_pads() -> None:
    assert format_minute_of_day(0) == "00:00"
    assert format_minute_of_day(545) == "09:05"
    assert format_minute_of_day(1440) == "24:00"


@pytest.mark.parametrize(("value", "day"), [("mon", 0), ("Sunday", 6), (" FRI ", 4), ("3", 3), (5, 5)])
def test_parse_weekday(value: object, day: int) -> None:
    assert parse_weekday(value) == day


def test_weekday_out_of_range_and_unknown_name() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        WeeklyWindow(weekday=7, start_minute=0, end_minute=60)
    with pytest.raises(ValidationError, match="'funday' is not a weekday"):
        WeeklyWindow(weekday="funday", start_minute=0, end_minute=60)


def test_weekly_window_dumps_names_and_clock_times() -> None:
    window = WeeklyWindow(weekday="fri", start_minute="22:00", end_minute="24:00")
    assert (window.weekday, window.start_minute, window.end_minute) == (4, 1320, 1440)
    assert window.model_dump(mode="json") == {"weekday": "fri", "start_minute": "22:00", "end_minute": "24:00"}
    assert window.describe() == "fri 22:00-24:00"


def test_weekly_window_that_wraps_midnight_is_rejected_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="split a window that crosses midnight"):
        WeeklyWindow(weekday="fri", start_minute="22:00", end_minute="06:00")


def test_time_of_day_bounds() -> None:
    with pytest.raises(ValidationError, match="outside 00:00-23:59"):
        WeeklyWindow(weekday=0, start_minute="24:00", end_minute="24:00")
    with pytest.raises(ValidationError, match="outside 00:01-24:00"):
        WeeklyWindow(weekday=0, start_minute=0, end_minute=1441)


def test_overlapping_windows_only_pairs_same_day_overlaps() -> None:
    windows = [
        WeeklyWindow(weekday=0, start_minute=480, end_minute=720),
        WeeklyWindow(weekday=0, start_minute=720, end_minute=900),  # touches, does not overlap
        WeeklyWindow(weekday=0, start_minute=600, end_minute=660),  # inside the first
        WeeklyWindow(weekday=1, start_minute=480, end_minute=720),  # another day
    ]
    assert overlapping_windows(windows) == [(0, 2)]


def test_time_off_is_inclusive_and_ordered() -> None:
    off = TimeOff(start_date=date(2026, 3, 2), end_date=date(2026, 3, 4))
    assert [off.covers(date(2026, 3, d)) for d in (1, 2, 4, 5)] == [False, True, True, False]
    with pytest.raises(ValidationError, match="ends .* before it starts"):
        TimeOff(start_date=date(2026, 3, 4), end_date=date(2026, 3, 2))


def test_special_day_multiplier_must_not_be_negative() -> None:
    assert SpecialDay(date=date(2026, 12, 25), name="Christmas", closed=True).closed
    with pytest.raises(ValidationError, match="volume_multiplier"):
        SpecialDay(date=date(2026, 12, 25), name="Christmas", volume_multiplier=-0.5)
