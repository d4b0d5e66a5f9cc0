"""The simulation job: a stored roster against a stored forecast (arrivals drawn from it) or a stored per-ticket
history (replayed), by the same function as `wfm simulate` (`planner.jobs.run_simulation`); progress is the
replications done, and every file `wfm simulate` writes is kept as the job's files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd

from models import FORECAST, ROSTER, InputError, Problem, write_table
from planner.jobs import run_simulation
from planner.simulation import DEFAULT_REPLICATIONS, Draws, SimulationSettings
from service.datasets import history_file
from service.kinds.base import (
    FILES,
    JobContext,
    check_count,
    check_dataset,
    check_moment,
    check_number,
    check_roster,
    folder_files,
    speaking_of,
    stored_center,
    stored_dataset,
    stored_table,
    unplaced,
    unplaced_value,
)
from service.store import Roster, Store
from service.store.blobs import from_parquet_blob

__all__ = ["MAX_REPLICATIONS", "check_simulate_params", "simulate_job", "stored_roster"]

#: The most replications a job may ask for.
MAX_REPLICATIONS = 1000
HANDLE = ("lognormal", "exponential")


def check_simulate_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """A simulation job's parameters: `roster_id` (else the latest published roster of `center_id`); exactly one
    of `forecast_id` (a forecast of the roster's centre) and `history_id` (a per-ticket history to replay, with
    `start_at` optionally: the rest of its day from that moment); `replications` (1-1000, default 10), `seed`,
    `workers` (processes, default 1), `handle` (lognormal, exponential), `handle_cv` (default 1), `rate_cv`
    (default 0)."""
    roster, version = check_roster(params, store)
    has_forecast, has_history = params.get("forecast_id") is not None, params.get("history_id") is not None
    if has_forecast == has_history:
        fix = "give forecast_id (arrivals drawn from a forecast) or history_id (a per-ticket history replayed)"
        raise InputError("params", Problem("forecast_id", "give exactly one of forecast_id and history_id", fix))
    forecast = check_dataset(params, "forecast_id", "forecast", version, store) if has_forecast else None
    history = check_dataset(params, "history_id", "history", version, store) if has_history else None
    start_at = check_moment(params, "start_at") if params.get("start_at") is not None else None
    if start_at is not None and history is None:
        raise InputError("params", Problem("start_at", "needs a history to replay", "give history_id, or no start_at"))
    handle = params.get("handle", "lognormal")
    if handle not in HANDLE:
        raise InputError("params", Problem("handle", f"{handle!r} is not a choice", f"use one of {', '.join(HANDLE)}"))
    return {
        "center_version_id": version,
        "roster_id": roster,
        "forecast_id": forecast,
        "history_id": history,
        "start_at": start_at,
        "replications": check_count(params, "replications", DEFAULT_REPLICATIONS, 1, MAX_REPLICATIONS),
        "seed": check_count(params, "seed", 0, 0, 2**32 - 1),
        "workers": check_count(params, "workers", 1, 1, os.cpu_count() or 1),
        "handle": handle,
        "handle_cv": check_number(params, "handle_cv", 1.0, 0, 10),
        "rate_cv": check_number(params, "rate_cv", 0.0, 0, 5, low_allowed=True),
    }


def stored_roster(store: Store, roster_id: int) -> pd.DataFrame:
    """A stored roster's table."""
    with store.session() as session:
        row = session.get(Roster, roster_id)
        if row is None:
            raise InputError("params", Problem("roster_id", f"roster {roster_id} is gone", "give another roster"))
        return from_parquet_blob(row.table)


@contextmanager
def _demand(store: Store, params: Mapping[str, Any], folder: Path) -> Iterator[tuple[Path, str]]:
    """The forecast (written into `folder`) or the history to replay, as a file; and its name for messages."""
    if params["forecast_id"] is not None:
        path = folder / "forecast.parquet"
        write_table(stored_table(store, params["forecast_id"]), FORECAST, path)
        yield path, f"forecast {params['forecast_id']}"
        return
    history = stored_dataset(store, params["history_id"], "history_id")
    with history_file(history) as path:
        yield path, f"history {history.id}"


def simulate_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Simulate a stored roster as `wfm simulate` does: progress {"replications_done", "replications"}; result
    {"summary": the simulation's summary.json, "notes", "files"}; the files intervals.csv, work_types.csv,
    priorities.csv, agents.csv and summary.json."""
    store = context.store
    center = stored_center(store, params["center_version_id"])
    total = params["replications"]
    context.progress({"replications_done": 0, "replications": total})

    def done_so_far(done: int, of: int) -> None:
        context.progress({"replications_done": done, "replications": of})

    settings = SimulationSettings(
        replications=total,
        seed=params["seed"],
        workers=params["workers"],
        on_replication=done_so_far,
        cancel=context.cancel,
    )
    draws = Draws(handle=params["handle"], handle_cv=params["handle_cv"], rate_cv=params["rate_cv"])
    with TemporaryDirectory(prefix="wfm-simulate-") as folder:
        inputs, out = Path(folder) / "in", Path(folder) / "out"
        inputs.mkdir()
        roster_path = inputs / "roster.parquet"
        write_table(stored_roster(store, params["roster_id"]), ROSTER, roster_path)
        with _demand(store, params, inputs) as (demand, name):
            names = {roster_path: f"roster {params['roster_id']}", demand: name, out: "the simulation"}
            with speaking_of(names):
                done = run_simulation(
                    roster_path,
                    center,
                    out,
                    forecast=demand if params["forecast_id"] is not None else None,
                    replay=demand if params["history_id"] is not None else None,
                    settings=settings,
                    draws=draws,
                    start_at=None if params["start_at"] is None else pd.Timestamp(params["start_at"]),
                )
            files = unplaced(folder_files(out), names)
    summary = json.loads(files["summary.json"])
    notes = unplaced_value(list(done.notes), names)
    return {"summary": summary, "notes": notes, "files": sorted(files), FILES: files}
