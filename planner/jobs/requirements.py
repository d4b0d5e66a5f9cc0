"""The job of `wfm requirements`: the agents a forecast needs per interval and work type, written as a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models import FORECAST, REQUIREMENT, Center, load_center, read_table
from models.io import check_output_file, table_writer, write_files
from planner.matching import check_forecast_work_types, handle_time_sources
from planner.staffing import StaffingSettings, opening_hours_notes, requirement_table

__all__ = ["RequirementJob", "run_requirements"]


@dataclass(frozen=True)
class RequirementJob:
    center: Center
    table: pd.DataFrame
    files: list[Path]
    #: Per work type, where its handle time came from (the forecast's `aht_s` or the centre's), and what became
    #: of the forecast's volume in closed hours (`planner.staffing.opening_hours_notes`).
    notes: list[str] = field(default_factory=list)


def run_requirements(
    forecast: str | Path | pd.DataFrame,
    center: str | Path | Center,
    out: str | Path,
    *,
    settings: StaffingSettings | None = None,
) -> RequirementJob:
    """Compute the requirement table of a forecast (a file, or a table already in hand) and write it to `out`.
    The forecast must hold every work type of the centre and no other; the job's notes say, per work type,
    whether its handle time came from the forecast or the centre."""
    check_output_file(out)
    center = center if isinstance(center, Center) else load_center(center)
    source = "forecast"
    if not isinstance(forecast, pd.DataFrame):
        source = str(forecast)
        forecast = read_table(forecast, FORECAST, timezone=center.timezone)
    check_forecast_work_types(forecast, center, source)
    table = requirement_table(forecast, center, settings)
    path = Path(out)
    files = write_files({path: table_writer(table, REQUIREMENT, path)})
    notes = [*handle_time_sources(forecast, center), *opening_hours_notes(forecast, center)]
    return RequirementJob(center, table, files, notes)
