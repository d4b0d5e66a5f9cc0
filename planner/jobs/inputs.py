"""What the jobs read: a history file (`load_history`, the one way any job reads one), a history made ready to
forecast (`load_forecast_inputs`), a roster table given beside other inputs, and `--origins` dates.

A user with only a history file gets a forecast: without a centre, work types come from the data, the time zone
from `timezone` (UTC when not given, and said so) and public holidays from `country`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting import HourlyHistory, SpecialCalendar, aggregate
from models import Center, History, HistoryFormat, InputError, Problem, load_center, read_history, read_table
from models.tables import ROSTER

__all__ = [
    "DEFAULT_TIMEZONE",
    "ForecastInputs",
    "load_forecast_inputs",
    "load_history",
    "parse_origins",
    "read_roster_table",
]

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class ForecastInputs:
    history: History
    center: Center | None
    hourly: HourlyHistory
    calendar: SpecialCalendar | None
    timezone: str
    notes: list[str] = field(default_factory=list)
    #: What looks wrong in the history but was kept (`History.alerts`), for the caller to show.
    warnings: list[str] = field(default_factory=list)


def load_history(
    path: str | Path, center: Center | None = None, *, timezone: str | None = None, fmt: HistoryFormat | None = None
) -> History:
    """The one way the jobs read a history file (forecast, backtest, plan, a simulation's replay, validate):
    laid out as `fmt` says, checked against `center` when given, in its zone (else `timezone`)."""
    return read_history(path, center=center, timezone=timezone, fmt=fmt or HistoryFormat())


def load_forecast_inputs(
    history_path: str | Path,
    center_path: str | Path | Center | None = None,
    *,
    timezone: str | None = None,
    country: str | None = None,
    fmt: HistoryFormat | None = None,
) -> ForecastInputs:
    """Read the history (`load_history`, checked against the centre if one is given) and aggregate it to hours."""
    notes = []
    if isinstance(center_path, Center) or center_path is None:
        center = center_path
    else:
        center = load_center(center_path)
    if center is not None and (timezone or country):
        raise InputError(
            "wfm", Problem("--tz/--country", "given together with --center", "the centre sets both; drop the flags")
        )
    if center is None and timezone is None:
        timezone = DEFAULT_TIMEZONE
        notes.append(f"no --center or --tz: the forecast is in {DEFAULT_TIMEZONE}")
    history = load_history(history_path, center, timezone=timezone, fmt=fmt)
    notes += history.remarks
    zone = center.timezone if center is not None else str(timezone)
    work_types = [w.id for w in center.work_types] if center is not None else None
    hourly = aggregate(history, zone, work_types)
    if center is not None:
        calendar: SpecialCalendar | None = SpecialCalendar.of_center(center)
    else:
        calendar = SpecialCalendar(country=country) if country else None
    days = len(hourly.counts) / 24
    if days < 14:
        raise InputError(
            str(history_path),
            Problem("", f"holds {days:.0f} days of history; forecasting needs at least two weeks", "give more history"),
        )
    return ForecastInputs(history, center, hourly, calendar, zone, notes, history.alerts)


def parse_origins(text: str) -> list[date]:
    """`2024-03-04,2024-03-11` -> dates, with a clear error naming the bad one."""
    origins = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            origins.append(date.fromisoformat(part))
        except ValueError:
            raise InputError(
                "--origins", Problem("", f"'{part}' is not a date", "write dates as YYYY-MM-DD, comma-separated")
            ) from None
    return origins


def read_roster_table(path: str | Path | None, center: Center) -> pd.DataFrame | None:
    """A roster given beside a job's other inputs (a previous roster, pins), in the centre's zone."""
    return None if path is None else read_table(path, ROSTER, timezone=center.timezone)
