"""The jobs behind `wfm forecast` and `wfm backtest`: read and check the inputs, run, write the outputs.

A user with only a history file gets a forecast: without a centre, work types come from the data, the time zone
from `timezone` (UTC when not given, and said so) and public holidays from `country`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from forecasting import (
    BacktestResult,
    ForecastResult,
    ForecastSettings,
    HourlyHistory,
    SpecialCalendar,
    aggregate,
    backtest,
    forecast_centre,
    last_weekly_origins,
)
from models import (
    BACKTEST_METRICS,
    FORECAST,
    REQUIREMENT,
    Center,
    History,
    InputError,
    Problem,
    load_center,
    read_history,
    read_table,
)
from models.io import table_writer, write_files
from planner.staffing import StaffingSettings, requirement_table

__all__ = [
    "BacktestJob",
    "ForecastInputs",
    "ForecastJob",
    "RequirementJob",
    "load_forecast_inputs",
    "parse_origins",
    "run_backtest",
    "run_forecast",
    "run_requirements",
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


def load_forecast_inputs(
    history_path: str | Path,
    center_path: str | Path | None = None,
    *,
    timezone: str | None = None,
    country: str | None = None,
    history_timezone: str | None = None,
    rename: Mapping[str, str] | None = None,
    work_type: str | None = None,
    time_format: str | None = None,
) -> ForecastInputs:
    """Read the history (checked against the centre if one is given) and aggregate it to hours."""
    notes = []
    center = load_center(center_path) if center_path is not None else None
    if center is not None and (timezone or country):
        raise InputError(
            "wfm", Problem("--tz/--country", "given together with --center", "the centre sets both; drop the flags")
        )
    if center is None and timezone is None:
        timezone = DEFAULT_TIMEZONE
        notes.append(f"no --center or --tz: the forecast is in {DEFAULT_TIMEZONE}")
    history = read_history(
        history_path,
        center=center,
        timezone=timezone,
        assume_timezone=history_timezone,
        rename=rename,
        work_type=work_type,
        time_format=time_format,
    )
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
    return ForecastInputs(history, center, hourly, calendar, zone, notes)


@dataclass(frozen=True)
class ForecastJob:
    inputs: ForecastInputs
    result: ForecastResult
    start: date
    days: int
    files: list[Path]


def run_forecast(
    inputs: ForecastInputs,
    out: str | Path,
    *,
    start: date | None = None,
    days: int = 7,
    settings: ForecastSettings | None = None,
) -> ForecastJob:
    """Forecast `days` days from `start` (default: the day after the history) and write the table to `out`."""
    history_end = inputs.hourly.counts.index[-1].tz_convert(inputs.timezone).date()
    start = start or history_end + timedelta(days=1)
    defaults = {w.id: w.aht_s for w in inputs.center.work_types} if inputs.center is not None else {}
    result = forecast_centre(inputs.hourly, inputs.calendar, start, days, settings, defaults)
    path = Path(out)
    files = write_files({path: table_writer(result.table, FORECAST, path)})
    return ForecastJob(inputs, result, start, days, files)


@dataclass(frozen=True)
class BacktestJob:
    inputs: ForecastInputs
    result: BacktestResult
    files: list[Path]


def run_backtest(
    inputs: ForecastInputs,
    out: str | Path,
    *,
    horizon_days: int = 7,
    folds: int = 4,
    origins: Sequence[date] | None = None,
    inner_folds: int = 3,
) -> BacktestJob:
    """Backtest from `origins` (default: the last `folds` weekly origins) and write the metrics to `out`."""
    if horizon_days < 1:
        raise InputError("--horizon-days", Problem("", f"{horizon_days} is not a positive number of days", "use 1+"))
    chosen = list(origins) if origins else last_weekly_origins(inputs.hourly, folds, horizon_days)
    result = backtest(inputs.hourly, inputs.calendar, chosen, horizon_days, inner_folds)
    path = Path(out)
    files = write_files({path: table_writer(result.metrics, BACKTEST_METRICS, path)})
    return BacktestJob(inputs, result, files)


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


@dataclass(frozen=True)
class RequirementJob:
    center: Center
    table: pd.DataFrame
    files: list[Path]


def run_requirements(
    forecast: str | Path | pd.DataFrame,
    center: str | Path | Center,
    out: str | Path,
    *,
    settings: StaffingSettings | None = None,
) -> RequirementJob:
    """Compute the requirement table of a forecast (a file, or a table already in hand) and write it to `out`."""
    center = center if isinstance(center, Center) else load_center(center)
    if not isinstance(forecast, pd.DataFrame):
        forecast = read_table(forecast, FORECAST, timezone=center.timezone)
    table = requirement_table(forecast, center, settings)
    path = Path(out)
    files = write_files({path: table_writer(table, REQUIREMENT, path)})
    return RequirementJob(center, table, files)
