"""The roster job: the roster of a requirement (a stored one, or CSV text) in a stored centre version, by the same
function as `wfm roster` (`planner.jobs.run_roster`): its files (roster, coverage, summary, report, calendars) kept
as the job's, its roster as a draft, with the job's end."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from models import REQUIREMENT, InputError, Problem
from models.tables import ROSTER
from planner.jobs import run_roster
from planner.matching import check_forecast_work_types
from planner.roster import Progress, RosterSettings
from service.datasets import base_name
from service.kinds.base import (
    FILES,
    ROWS,
    JobContext,
    center_version_id,
    check_dataset,
    check_number,
    folder_files,
    stored_center,
    stored_table,
)
from service.rosters import draft_summary
from service.store import Roster, Store
from service.store.blobs import to_parquet_blob
from service.tables import csv_text, read_csv_text

__all__ = ["MAX_REQUIREMENT_BYTES", "MAX_TIME_LIMIT_S", "check_roster_params", "roster_job", "solve_progress"]

#: The largest requirement table a roster job takes as text, in bytes of CSV (a year of 15-minute intervals of a
#: dozen work types is about 30 MB).
MAX_REQUIREMENT_BYTES = 64 * 2**20
#: The longest roster solve a job may ask for.
MAX_TIME_LIMIT_S = 3600.0


def check_roster_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """A roster job's parameters, checked before it is queued: `center_id` and `version` (its latest where not
    given) or `center_version_id`: a stored centre version; the requirement: `requirement_id` (a stored
    requirement of the centre) or `requirement_csv` (the table as CSV text, `requirement_filename` naming it in
    messages); `time_limit_s` (default 60). Else an `InputError` naming the field."""
    version = center_version_id(params, store)
    limit = check_number(params, "time_limit_s", 60.0, 0, MAX_TIME_LIMIT_S)
    if params.get("requirement_id") is not None:
        found = check_dataset(params, "requirement_id", "requirement", version, store)
        return {"center_version_id": version, "requirement_id": found, "time_limit_s": limit}
    text = params.get("requirement_csv")
    if not isinstance(text, str) or not text.strip():
        fix = "give requirement_id (a stored requirement) or the requirement table as CSV text (wfm requirements)"
        raise InputError("params", Problem("requirement_csv", "is missing or empty", fix))
    if len(text.encode("utf-8")) > MAX_REQUIREMENT_BYTES:
        size = f"is larger than {MAX_REQUIREMENT_BYTES // 2**20} MB"
        raise InputError("params", Problem("requirement_csv", size, "give the requirement of the roster's weeks only"))
    filename = params.get("requirement_filename", "requirement.csv")
    if not isinstance(filename, str) or not filename:
        raise InputError("params", Problem("requirement_filename", "is not a name", "give the file's name, or none"))
    return {
        "center_version_id": version,
        "requirement_csv": text,
        "requirement_filename": base_name(filename, "requirement.csv"),  # a name for messages only, never opened
        "time_limit_s": limit,
    }


def solve_progress(step: Progress) -> dict[str, Any]:
    """A roster solve's progress as a job reports it."""
    return {
        "objective": step.objective,
        "bound": step.bound,
        "gap": step.gap,
        "elapsed_s": step.elapsed_s,
        "source": step.source,
    }


def roster_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Solve the roster of a requirement in a stored centre version: progress {objective, bound, gap, elapsed_s};
    result {"summary": the solve's figures (status, objective, bound, gap, KPIs, notes), "roster_csv": the roster
    table as CSV text (the roster contract), "roster_id": its draft}."""
    center = stored_center(context.store, params["center_version_id"])
    if params.get("requirement_id") is not None:
        name = f"requirement {params['requirement_id']}"
        requirement = stored_table(context.store, params["requirement_id"])
    else:
        name = params["requirement_filename"]
        requirement = read_csv_text(params["requirement_csv"], REQUIREMENT, name, center.timezone)
    check_forecast_work_types(requirement, center, name, table="requirement")
    settings = RosterSettings(time_limit_s=params["time_limit_s"], cancel=context.cancel)
    with TemporaryDirectory(prefix="wfm-roster-") as folder:
        out = Path(folder) / "roster"
        done = run_roster(
            requirement, center, out, settings=settings, on_progress=lambda s: context.progress(solve_progress(s))
        )
        files = folder_files(out)
    result = done.result
    draft = Roster(
        center_version_id=params["center_version_id"],
        status="draft",
        table=to_parquet_blob(result.roster),
        summary=draft_summary(result.roster, center, "the roster job"),
    )
    return {
        "summary": result.summary(),
        "roster_csv": csv_text(result.roster, ROSTER),
        "files": sorted(files),
        ROWS: {"roster_id": draft},
        FILES: files,
    }
