"""The intraday job: a supervisor's re-plan of the rest of a day, by the same function as `wfm intraday`
(`planner.intraday.job.run_intraday`), on a stored roster (the centre's latest published one by default), a stored
forecast, the actuals so far (a stored history or CSV text), absences and open tickets (CSV text).

Every file `wfm intraday` writes is kept as the job's files, and one more: `roster_as_published.csv`, the roster as
published with the absences taken out and no change made (the re-plan's own starting point), from which a partial
acceptance of the changes is built (`service.routes_intraday`). The re-planned roster is kept as a draft of the
centre version; applying it publishes it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd

from models import FORECAST, REQUIREMENT, ROSTER, Center, InputError, Problem, read_table, write_table
from planner.intraday import CHANGE_KINDS, IntradaySettings
from planner.intraday.job import run_intraday
from planner.roster import validate_roster
from planner.simulation import DEFAULT_REPLICATIONS, SimulationSettings
from service.datasets import history_file
from service.kinds.base import (
    FILES,
    ROWS,
    JobContext,
    check_count,
    check_dataset,
    check_moment,
    check_number,
    check_roster,
    check_text,
    folder_files,
    speaking_of,
    stored_center,
    stored_dataset,
    stored_table,
    unplaced,
    unplaced_value,
)
from service.kinds.simulate import MAX_REPLICATIONS, stored_roster
from service.rosters import draft_summary
from service.store import Roster, Store
from service.store.blobs import to_parquet_blob
from service.tables import csv_text

__all__ = [
    "AS_PUBLISHED",
    "INTRADAY_WORKERS",
    "MAX_INTRADAY_S",
    "change_rows",
    "check_intraday_params",
    "intraday_job",
    "replan_summary",
]

#: The job's file that holds the roster as published with the absences taken out (no change made).
AS_PUBLISHED = "roster_as_published.csv"
#: The longest re-plan a job may ask for.
MAX_INTRADAY_S = 600.0
#: CP-SAT search workers of a re-plan (the service runs several jobs at once).
INTRADAY_WORKERS = 2


def check_intraday_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """An intraday job's parameters: `roster_id` (else the latest published roster of `center_id`), `forecast_id`
    (the day-ahead forecast, a forecast of the centre at its interval), the actuals so far: `actuals_id` (a
    history of the centre) or `actuals_csv` (CSV text, either history shape), `at` (the moment),
    `absences_csv` and `tickets_csv` (CSV text, optional), `requirement_id` (the requirement the roster was made
    for, optional), `max_changes` (0-500, default 15), `time_limit_s` (default 4), `replications` (0-1000,
    default 10; 0: no simulation), `notice_minutes` (default 60), `no` (kinds of change not to propose), `seed`."""
    roster, version = check_roster(params, store)
    forecast = check_dataset(params, "forecast_id", "forecast", version, store)
    if (params.get("actuals_id") is None) == (params.get("actuals_csv") is None):
        fix = "give actuals_id (a stored history of the day so far) or actuals_csv (the history as CSV text)"
        raise InputError("params", Problem("actuals_id", "give exactly one of actuals_id and actuals_csv", fix))
    actuals_id = None
    if params.get("actuals_id") is not None:
        actuals_id = check_dataset(params, "actuals_id", "history", version, store)
    requirement = None
    if params.get("requirement_id") is not None:
        requirement = check_dataset(params, "requirement_id", "requirement", version, store)
    refused = params.get("no", [])
    if not isinstance(refused, list) or any(kind not in CHANGE_KINDS for kind in refused):
        fix = f"give a list of kinds of change among {', '.join(CHANGE_KINDS)}"
        raise InputError("params", Problem("no", f"{refused!r} is not a list of kinds of change", fix))
    return {
        "center_version_id": version,
        "roster_id": roster,
        "forecast_id": forecast,
        "actuals_id": actuals_id,
        "actuals_csv": None if actuals_id is not None else check_text(params, "actuals_csv", "the day's history"),
        "at": check_moment(params, "at"),
        "absences_csv": check_text(
            params, "absences_csv", "the absences (agent_id, start, end, reason)", required=False
        ),
        "tickets_csv": check_text(params, "tickets_csv", "the open tickets", required=False),
        "requirement_id": requirement,
        "max_changes": check_count(params, "max_changes", 15, 0, 500),
        "time_limit_s": check_number(params, "time_limit_s", 4.0, 0, MAX_INTRADAY_S),
        "replications": check_count(params, "replications", DEFAULT_REPLICATIONS, 0, MAX_REPLICATIONS),
        "notice_minutes": check_count(params, "notice_minutes", 60, 0, 24 * 60),
        "no": sorted(set(refused)),
        "seed": check_count(params, "seed", 0, 0, 2**32 - 1),
    }


def replan_summary(roster: pd.DataFrame, center: Center, source: str) -> dict[str, Any]:
    """A re-planned roster's `draft_summary`, its validator findings judged as the re-plan judges the roster: over
    whole weeks from its first day (a roster is made for whole weeks; its weekly limits are prorated otherwise)."""
    summary = draft_summary(roster, center, source)
    first = date.fromisoformat(summary["first_day"])
    weeks = -(-int(summary["days"]) // 7)
    horizon = center.horizon(first, 7 * weeks)
    return summary | {"violations": [str(v) for v in validate_roster(roster, center, horizon)]}


def change_rows(changes_csv: bytes) -> list[dict[str, Any]]:
    """The rows of a re-plan's `changes.csv`, each with its `id` (its place in the file, from 0)."""
    table = pd.read_csv(io.BytesIO(changes_csv), dtype={"agent_id": str, "change": str, "before": str, "after": str})
    rows = table.astype(object).where(table.notna(), None).to_dict("records")
    return [{"id": i, **{str(k): v for k, v in row.items()}} for i, row in enumerate(rows)]


class _Stages:
    """The re-plan's progress: its stage, and while it simulates, the replications done."""

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.sides = 0

    def stage(self, name: str) -> None:
        self.context.progress({"stage": name})

    def replication(self, done: int, total: int) -> None:
        if done == 1:
            self.sides += 1
        side = "before" if self.sides <= 1 else "after"
        self.context.progress({"stage": f"simulating the day {side}", "replications_done": done, "replications": total})


def intraday_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Re-plan the rest of the day as `wfm intraday` does: progress {"stage", ...}; result {"summary":
    summary.json, "changes": changes.csv's rows with their ids, "base_roster_id", "roster_id": the re-planned
    roster kept as a draft, "files"}."""
    store = context.store
    center = stored_center(store, params["center_version_id"])
    zone = center.timezone
    stages = _Stages(context)
    stages.stage("reading")
    settings = IntradaySettings(
        time_limit_s=params["time_limit_s"],
        max_changes=params["max_changes"],
        workers=INTRADAY_WORKERS,
        seed=params["seed"],
        notice_minutes=params["notice_minutes"],
        allowed=frozenset(CHANGE_KINDS) - frozenset(params["no"]),
        cancel=context.cancel,
    )
    simulation = None
    if params["replications"]:
        simulation = SimulationSettings(
            replications=params["replications"],
            seed=params["seed"],
            on_replication=stages.replication,
            cancel=context.cancel,
        )
    with TemporaryDirectory(prefix="wfm-intraday-") as folder:
        inputs, out = Path(folder) / "in", Path(folder) / "out"
        inputs.mkdir()
        paths = {
            "roster": inputs / "roster.parquet",
            "forecast": inputs / "forecast.parquet",
            "actuals": inputs / "actuals.csv",
            "absences": inputs / "absences.csv",
            "tickets": inputs / "tickets.csv",
            "requirement": inputs / "requirement.parquet",
        }
        names = {
            paths["roster"]: f"roster {params['roster_id']}",
            paths["forecast"]: f"forecast {params['forecast_id']}",
            paths["actuals"]: "actuals_csv",
            paths["absences"]: "absences_csv",
            paths["tickets"]: "tickets_csv",
            paths["requirement"]: f"requirement {params['requirement_id']}",
            out: "the re-plan",
        }
        write_table(stored_roster(store, params["roster_id"]), ROSTER, paths["roster"])
        write_table(stored_table(store, params["forecast_id"]), FORECAST, paths["forecast"])
        if params["requirement_id"] is not None:
            write_table(stored_table(store, params["requirement_id"]), REQUIREMENT, paths["requirement"])
        for key in ("actuals", "absences", "tickets"):
            if params.get(f"{key}_csv") is not None:
                paths[key].write_text(params[f"{key}_csv"], encoding="utf-8")
        with _actuals(store, params, paths["actuals"]) as actuals:
            names[actuals] = f"history {params['actuals_id']}" if params["actuals_id"] is not None else "actuals_csv"
            stages.stage("re-planning")
            with speaking_of(names):
                done = run_intraday(
                    center,
                    paths["roster"],
                    paths["forecast"],
                    actuals,
                    pd.Timestamp(params["at"]),
                    out,
                    absences=paths["absences"] if params["absences_csv"] is not None else None,
                    tickets=paths["tickets"] if params["tickets_csv"] is not None else None,
                    settings=settings,
                    simulation=simulation,
                    requirement=paths["requirement"] if params["requirement_id"] is not None else None,
                )
        stages.stage("storing")
        replanned = read_table(out / "roster.csv", ROSTER, timezone=zone)
        files = unplaced(folder_files(out), names)
    files[AS_PUBLISHED] = csv_text(done.result.published, ROSTER).encode("utf-8")
    summary = json.loads(files["summary.json"])
    draft = Roster(
        center_version_id=params["center_version_id"],
        status="draft",
        table=to_parquet_blob(replanned),
        summary=replan_summary(replanned, center, "the intraday job")
        | {
            "intraday": {
                "base_roster_id": params["roster_id"],
                "at": summary["at"],
                "changes": summary["changes"]["count"],
            }
        },
    )
    return {
        "summary": summary,
        "changes": change_rows(files["changes.csv"]),
        "base_roster_id": params["roster_id"],
        "files": sorted(files),
        "warnings": unplaced_value(list(done.warnings), names),
        ROWS: {"roster_id": draft},
        FILES: files,
    }


@contextmanager
def _actuals(store: Store, params: Mapping[str, Any], path: Path) -> Iterator[Path]:
    """The actuals as a file: the CSV text already written to `path`, or the stored history's file."""
    if params["actuals_id"] is None:
        yield path
        return
    with history_file(stored_dataset(store, params["actuals_id"], "actuals_id")) as stored:
        yield stored
