"""The assignment job: who handles which open ticket from a moment, on a stored roster (the centre's latest
published one by default), by the same function as `wfm assign` (`planner.jobs.run_assign`): the files
`assignment.csv` and `assignment.json` (its summary, with the dispatch rules' figures on the same tickets)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd

from models import ROSTER, InputError, Problem, write_table
from planner.assign import HEURISTICS, METHODS, AssignSettings
from planner.jobs import run_assign
from service.kinds.base import (
    FILES,
    JobContext,
    check_moment,
    check_number,
    check_roster,
    check_text,
    folder_files,
    speaking_of,
    stored_center,
    unplaced,
)
from service.kinds.simulate import stored_roster
from service.store import Store

__all__ = ["ASSIGN_WORKERS", "MAX_ASSIGN_S", "check_assign_params", "assign_job"]

#: The longest assignment a job may ask for.
MAX_ASSIGN_S = 600.0
#: CP-SAT search workers of an assignment job (the service runs several jobs at once).
ASSIGN_WORKERS = 2


def check_assign_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """An assignment job's parameters: `at` (the moment), `tickets_csv` (the open tickets contract as CSV text),
    `roster_id` (else the latest published roster of `center_id`), `method` (default optimal), `time_limit_s`
    (default 5), `horizon_minutes` (default the rest of the shifts), `compare` (default true: the dispatch rules
    on the same tickets too)."""
    roster, version = check_roster(params, store)
    method = params.get("method", "optimal")
    if method not in METHODS:
        raise InputError("params", Problem("method", f"{method!r} is not a method", f"use one of {', '.join(METHODS)}"))
    compare = params.get("compare", True)
    if not isinstance(compare, bool):
        raise InputError("params", Problem("compare", f"{compare!r} is not true or false", "give true or false"))
    horizon = params.get("horizon_minutes")
    return {
        "center_version_id": version,
        "roster_id": roster,
        "at": check_moment(params, "at"),
        "tickets_csv": check_text(params, "tickets_csv", "the open tickets (ticket_id, work_type, created_at, ...)"),
        "method": method,
        "time_limit_s": check_number(params, "time_limit_s", 5.0, 0, MAX_ASSIGN_S),
        "horizon_minutes": None if horizon is None else check_number(params, "horizon_minutes", 0, 0, 7 * 24 * 60),
        "compare": compare,
    }


def assign_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Assign the open tickets as `wfm assign` does: result {"summary": assignment.json (status, objective
    breakdown, bound, gap, KPIs, the compared methods'), "files"}; the files assignment.csv and assignment.json."""
    store = context.store
    center = stored_center(store, params["center_version_id"])
    context.progress({"stage": "assigning"})
    settings = AssignSettings(time_limit_s=params["time_limit_s"], workers=ASSIGN_WORKERS)
    others = [m for m in HEURISTICS if m != "earliest-finish" and m != params["method"]] if params["compare"] else []
    with TemporaryDirectory(prefix="wfm-assign-") as folder:
        inputs, out = Path(folder) / "in", Path(folder) / "out"
        inputs.mkdir()
        out.mkdir()
        roster_path, tickets_path = inputs / "roster.parquet", inputs / "tickets.csv"
        write_table(stored_roster(store, params["roster_id"]), ROSTER, roster_path)
        tickets_path.write_text(params["tickets_csv"], encoding="utf-8")
        names = {roster_path: f"roster {params['roster_id']}", tickets_path: "tickets_csv", out: "the assignment"}
        with speaking_of(names):
            run_assign(
                tickets_path,
                roster_path,
                center,
                pd.Timestamp(params["at"]),
                out / "assignment.csv",
                method=params["method"],
                settings=settings,
                horizon_minutes=params["horizon_minutes"],
                compare=others,
            )
        files = unplaced(folder_files(out), names)
    return {"summary": json.loads(files["assignment.json"]), "files": sorted(files), FILES: files}
