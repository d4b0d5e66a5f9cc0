"""The job of `wfm kpis`: what happened in a history (`planner.kpis`), its tables and summary written."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from models import FORECAST, Center, HistoryFormat, load_center, read_table
from models.io import check_output_folder, table_writer, text_writer, write_files
from models.tables import ROSTER, TableSchema
from planner.jobs.inputs import load_history
from planner.kpis import KpiResult, compute_kpis

__all__ = ["KPI_FILES", "KpiJob", "run_kpis"]


#: The files `run_kpis` writes into its folder (the agents' and the forecast comparison only when there are some).
KPI_FILES = (
    "kpis_by_work_type.csv",
    "kpis_by_day.csv",
    "kpis_by_interval.csv",
    "kpis_by_agent.csv",
    "actual_vs_forecast.csv",
    "summary.json",
)


@dataclass(frozen=True)
class KpiJob:
    result: KpiResult
    files: list[Path]
    #: How the history was read (`History.remarks`) and what could not be measured (`KpiResult.notes`).
    notes: list[str] = field(default_factory=list)
    #: What looks wrong in the history but was kept (`History.alerts`).
    warnings: list[str] = field(default_factory=list)


def run_kpis(
    history: str | Path,
    center: str | Path | Center,
    out_dir: str | Path,
    *,
    start: date | None = None,
    end: date | None = None,
    forecast: str | Path | None = None,
    roster: str | Path | None = None,
    history_format: HistoryFormat | None = None,
) -> KpiJob:
    """The job behind `wfm kpis`: read the history (as `history_format` says), the centre and the optional forecast
    and roster, measure what happened from `start` to `end` (local days, inclusive; `planner.kpis`) and write
    `kpis_by_work_type.csv`, `kpis_by_day.csv`, `kpis_by_interval.csv`, `kpis_by_agent.csv` (with agent ids),
    `actual_vs_forecast.csv` (with a forecast) and `summary.json` into `out_dir`, all or none. A file of the last
    run that this one does not write (the agents' without agent ids, the comparison without a forecast) goes."""
    out = check_output_folder(out_dir)
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    loaded = load_history(history, center, fmt=history_format)
    forecast_table = read_table(forecast, FORECAST, timezone=zone) if forecast is not None else None
    roster_table = read_table(roster, ROSTER, timezone=zone) if roster is not None else None
    result = compute_kpis(
        loaded.frame,
        center,
        start=start,
        end=end,
        forecast=forecast_table,
        roster=roster_table,
        sources={"history": str(history), "forecast": str(forecast), "roster": str(roster)},
    )
    notes = [*loaded.remarks, *result.notes]
    summary = result.summary | {"source": str(history), "notes": notes}
    tables = {
        "kpis_by_work_type.csv": result.by_work_type,
        "kpis_by_day.csv": result.by_day,
        "kpis_by_interval.csv": result.by_interval,
        "kpis_by_agent.csv": result.by_agent,
        "actual_vs_forecast.csv": result.actual_vs_forecast,
    }
    # Tables of figures with no contract of their own: written as every table is (timestamps with their UTC
    # offset, whole numbers without '.0').
    outputs: dict[str | Path, Callable[[Path], None]] = {
        out / name: table_writer(table, TableSchema(name, ()), out / name)
        for name, table in tables.items()
        if table is not None
    }
    outputs[out / "summary.json"] = text_writer(json.dumps(summary, indent=2, default=str) + "\n")
    files = write_files(outputs, stale=[out / name for name in KPI_FILES])
    return KpiJob(result, files, notes, loaded.alerts)
