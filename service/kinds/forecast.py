"""The forecast job: a stored history of a centre -> its forecast, by the same function as `wfm forecast`
(`planner.jobs.run_forecast`), kept as a forecast dataset of the centre (and as the job's file `forecast.csv`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from forecasting import ForecastSettings
from models import FORECAST, InputError, Problem, read_table
from planner.jobs import load_forecast_inputs, run_forecast
from service.datasets import dataset_meta, history_file
from service.kinds.base import (
    FILES,
    ROWS,
    JobContext,
    center_version_id,
    check_count,
    check_dataset,
    check_date,
    folder_files,
    speaking_of,
    stored_center,
    stored_dataset,
    unplaced,
    unplaced_value,
)
from service.store import CenterVersion, Dataset, Store
from service.store.blobs import to_parquet_blob

__all__ = ["INTERVALS", "MAX_FORECAST_DAYS", "check_forecast_params", "forecast_job"]

#: The most days a forecast job may ask for (as `wfm forecast --days`).
MAX_FORECAST_DAYS = 92
#: The resolutions a forecast may have, in minutes.
INTERVALS = (5, 10, 15, 20, 30, 60)


def check_forecast_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """A forecast job's parameters: the centre (`center_id` [+ `version`] or `center_version_id`), `history_id`
    (a history of that centre), `start` (YYYY-MM-DD; default the day after the history), `days` (1-92, default
    7) and `interval_minutes` (default the centre's)."""
    version = center_version_id(params, store)
    history = check_dataset(params, "history_id", "history", version, store)
    interval = params.get("interval_minutes")
    if interval is not None and (isinstance(interval, bool) or interval not in INTERVALS):
        allowed = ", ".join(str(i) for i in INTERVALS)
        raise InputError("params", Problem("interval_minutes", f"{interval!r} is not allowed", f"use one of {allowed}"))
    return {
        "center_version_id": version,
        "history_id": history,
        "start": check_date(params, "start", required=False),
        "days": check_count(params, "days", 7, 1, MAX_FORECAST_DAYS),
        "interval_minutes": interval,
    }


def forecast_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Forecast a stored history as `wfm forecast --center` does: progress {"stage"}; result {"forecast_id": the
    forecast kept as a dataset of the centre, "start", "days", "interval_minutes", "work_types", "models": the
    model selected per series, "notes", "warnings"}; the file `forecast.csv`."""
    store = context.store
    center = stored_center(store, params["center_version_id"])
    history = stored_dataset(store, params["history_id"], "history_id")
    with store.session() as session:
        version = session.get(CenterVersion, params["center_version_id"])
        if version is None:
            raise InputError("params", Problem("", "the centre version is gone", "submit it again"))
        center_id = version.center_id
    interval = params["interval_minutes"] or center.interval_minutes
    start = None if params["start"] is None else date.fromisoformat(params["start"])
    with TemporaryDirectory(prefix="wfm-forecast-") as folder, history_file(history) as history_path:
        out = Path(folder) / "out"
        names = {history_path: f"history {history.id}", out: "the forecast"}
        with speaking_of(names):
            context.progress({"stage": "reading the history"})
            inputs = load_forecast_inputs(history_path, center)
            context.progress({"stage": "forecasting"})
            done = run_forecast(
                inputs,
                out / "forecast.csv",
                start=start,
                days=params["days"],
                settings=ForecastSettings(interval_minutes=interval),
            )
        context.progress({"stage": "storing"})
        table = read_table(out / "forecast.csv", FORECAST, timezone=center.timezone)
        files = unplaced(folder_files(out), names)
    row = Dataset(
        center_id=center_id,
        kind="forecast",
        name=f"forecast of history {history.id} from {done.start}, {done.days} days",
        rows=len(table),
        table=to_parquet_blob(table),
        meta=dataset_meta("forecast", table, center) | {"history_id": history.id, "interval_minutes": interval},
    )
    return {
        "start": done.start.isoformat(),
        "days": done.days,
        "interval_minutes": interval,
        "work_types": sorted(str(w) for w in table["work_type"].unique()),
        "models": {str(k): str(v) for k, v in done.result.selected.items()},
        "notes": unplaced_value([*inputs.notes, *done.result.notes], names),
        "warnings": unplaced_value(list(inputs.warnings), names),
        ROWS: {"forecast_id": row},
        FILES: files,
    }
