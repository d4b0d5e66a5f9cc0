"""The job of `wfm forecast`: forecast a history's days ahead and write the table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from forecasting import ForecastResult, ForecastSettings, forecast_centre
from models import FORECAST
from models.io import check_output_file, table_writer, write_files
from planner.jobs.inputs import ForecastInputs

__all__ = ["ForecastJob", "run_forecast"]


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
    check_output_file(out)
    history_end = inputs.hourly.counts.index[-1].tz_convert(inputs.timezone).date()
    start = start or history_end + timedelta(days=1)
    defaults = {w.id: w.aht_s for w in inputs.center.work_types} if inputs.center is not None else {}
    result = forecast_centre(inputs.hourly, inputs.calendar, start, days, settings, defaults, center=inputs.center)
    path = Path(out)
    files = write_files({path: table_writer(result.table, FORECAST, path)})
    return ForecastJob(inputs, result, start, days, files)
