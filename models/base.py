"""Shared building blocks of the domain models: the frozen base class and small value types.

Every fact the planner reads is a frozen pydantic model that forbids unknown fields, so that a typo in a
configuration file is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, StringConstraints

__all__ = [
    "MINUTES_PER_DAY",
    "WEEKDAY_NAMES",
    "FrozenModel",
    "Identifier",
    "TimeOfDay",
    "TimeOfDayEnd",
    "TimeZoneName",
    "Weekday",
    "check_timezone",
    "format_minute_of_day",
    "parse_minute_of_day",
    "parse_weekday",
    "weekday_of",
]

MINUTES_PER_DAY = 24 * 60
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_LOOKUP = {name: i for i, name in enumerate(WEEKDAY_NAMES)} | {
    full: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


class FrozenModel(BaseModel):
    """Base of every domain model: immutable, unknown fields rejected, values validated on assignment, and no
    infinite or NaN number (an `aht_s: .inf` is a mistake, not a setting)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, str_strip_whitespace=True, allow_inf_nan=False
    )


#: An id used to cross-reference things in a centre (skills, work types, agents...).
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"),
]


def parse_weekday(value: Any) -> Any:
    """Accept 0-6 (Monday = 0) or an English day name such as ``"mon"`` / ``"Monday"``."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _WEEKDAY_LOOKUP:
            return _WEEKDAY_LOOKUP[key]
        if key.isdigit():
            return int(key)
        raise ValueError(f"'{value}' is not a weekday; use mon..sun or 0 (Monday) .. 6 (Sunday)")
    return value


def _check_weekday(value: int) -> int:
    if not 0 <= value <= 6:
        raise ValueError(f"weekday {value} is out of range; use 0 (Monday) .. 6 (Sunday) or mon..sun")
    return value


#: Day of the week, Monday = 0. Written to files as ``mon`` .. ``sun``.
Weekday = Annotated[
    int,
    BeforeValidator(parse_weekday),
    AfterValidator(_check_weekday),
    PlainSerializer(lambda d: WEEKDAY_NAMES[d], return_type=str),
]


def parse_minute_of_day(value: Any) -> Any:
    """Accept minutes after midnight (an int) or a clock time ``"HH:MM"`` (``"24:00"`` is the day's end)."""
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not a time of day; write HH:MM, e.g. '07:30'")
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes >= 60:
            raise ValueError(f"'{value}' has {minutes} minutes; minutes run 00-59")
        return hours * 60 + minutes
    return value


def format_minute_of_day(minute: int) -> str:
    """Minutes after midnight as ``HH:MM``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _check_start_minute(value: int) -> int:
    if not 0 <= value < MINUTES_PER_DAY:
        raise ValueError(f"time of day {value} is outside 00:00-23:59")
    return value


def _check_end_minute(value: int) -> int:
    if not 0 < value <= MINUTES_PER_DAY:
        raise ValueError(f"end time {value} is outside 00:01-24:00")
    return value


_serialize_hhmm = PlainSerializer(format_minute_of_day, return_type=str)

#: A time of day as minutes after local midnight, 0..1439; accepts ``"HH:MM"``.
TimeOfDay = Annotated[int, BeforeValidator(parse_minute_of_day), AfterValidator(_check_start_minute), _serialize_hhmm]
#: The end of a window within a day, 1..1440 (``"24:00"`` = midnight at the end of the day).
TimeOfDayEnd = Annotated[int, BeforeValidator(parse_minute_of_day), AfterValidator(_check_end_minute), _serialize_hhmm]


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: str) -> str:
    """`value` if it is an IANA time zone name, else a ValueError saying what to write."""
    if value not in _known_zones():
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not an IANA time zone; use a name such as 'Europe/London' or 'America/New_York'"
            ) from None
    return value


#: An IANA time zone name, checked against the tz database.
TimeZoneName = Annotated[str, StringConstraints(min_length=1), AfterValidator(check_timezone)]


def weekday_of(day: date) -> int:
    """Monday = 0 .. Sunday = 6."""
    return day.weekday()
