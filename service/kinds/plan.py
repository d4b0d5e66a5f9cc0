"""The plan job: a stored history and centre version -> forecast -> requirement -> roster -> simulation (in the loop
until the roster delivers what it promises) -> capacity diagnosis -> report, by the same function as `wfm plan`.

Every file `wfm plan` writes is kept as the job's files (served at `/api/plans/{id}/NAME`); the roster is kept as a
draft of the centre, the plan as a row naming its history, centre version, days and roster. Cancelled, the plan
keeps its best roster so far (with the files written for it) and says so in its status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from models import InputError, Problem, load_center, read_table
from models.tables import ROSTER
from planner.diagnosis import DiagnosisSettings
from planner.jobs import run_plan
from planner.loop import DEFAULT_BUDGET_S, Iteration, LoopSettings
from planner.roster import Progress, RosterSettings
from planner.runtime import Interrupted
from planner.staffing import StaffingSettings
from service.datasets import history_file
from service.kinds.base import (
    FILES,
    ROWS,
    JobContext,
    center_version_id,
    check_dataset,
    check_number,
    folder_files,
    stored_dataset,
)
from service.kinds.roster import MAX_TIME_LIMIT_S, solve_progress
from service.rosters import draft_summary
from service.store import CenterVersion, Plan, Roster, Store
from service.store.blobs import to_parquet_blob

__all__ = ["PLAN_FILES", "check_plan_params", "plan_job"]

#: The files of a plan the contract names (GET /api/plans/{id}/NAME); a plan has more (docs/service.md).
PLAN_FILES = ("roster.csv", "coverage.csv", "summary.json", "report.html")
#: A budget (loop, diagnosis) a job may ask for, at most.
MAX_BUDGET_S = 3600.0
PLAN_ON = ("mean", "p50", "p90")


def check_plan_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """A plan's parameters, checked before it is queued: the centre (`center_id` [+ `version`] or
    `center_version_id`), `history_id` (a history of that centre), `start` (YYYY-MM-DD), `days` (1-28, default 7),
    `time_limit_s` (the roster solve, default 60), `loop_budget_s` (the simulation loop, default 300; 0: one
    simulated pass), `diagnosis_budget_s` (default 600), `remedies` (default true) and `plan_on` (mean, p50, p90)."""
    version = center_version_id(params, store)
    history = check_dataset(params, "history_id", "history", version, store)
    text = params.get("start")
    try:
        start = date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        start = None
    if start is None:
        raise InputError("params", Problem("start", f"{text!r} is not a date", "give the first day as YYYY-MM-DD"))
    remedies = params.get("remedies", True)
    if not isinstance(remedies, bool):
        raise InputError("params", Problem("remedies", f"{remedies!r} is not true or false", "give true or false"))
    plan_on = params.get("plan_on", "mean")
    if plan_on not in PLAN_ON:
        raise InputError(
            "params", Problem("plan_on", f"{plan_on!r} is not a choice", f"use one of {', '.join(PLAN_ON)}")
        )
    loop = params.get("loop_budget_s", DEFAULT_BUDGET_S)
    return {
        "center_version_id": version,
        "history_id": history,
        "start": start.isoformat(),
        "days": int(check_number(params, "days", 7, 0, 28, whole=True)),
        "time_limit_s": check_number(params, "time_limit_s", 60.0, 0, MAX_TIME_LIMIT_S),
        "loop_budget_s": 0.0 if loop == 0 else check_number(params, "loop_budget_s", DEFAULT_BUDGET_S, 0, MAX_BUDGET_S),
        "diagnosis_budget_s": check_number(params, "diagnosis_budget_s", 600.0, 0, MAX_BUDGET_S),
        "remedies": remedies,
        "plan_on": plan_on,
    }


class _Stages:
    """The plan's progress: the stage it is in, the roster solve's latest figures, the loop's last pass."""

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.began = time.monotonic()
        self.state: dict[str, Any] = {"stage": "forecast"}

    def stage(self, name: str) -> None:
        self.state["stage"] = name
        self._report()

    def solve(self, step: Progress) -> None:
        self.state |= {"stage": self.state.get("stage") if "loop" in self.state else "roster", **solve_progress(step)}
        self._report()

    def iteration(self, step: Iteration) -> None:
        self.state |= {"stage": "simulation loop", "loop": step.as_dict()}
        self._report()

    def _report(self) -> None:
        self.context.progress({**self.state, "plan_elapsed_s": round(time.monotonic() - self.began, 1)})


def plan_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Run `wfm plan` on the stored inputs; result {"summary": the roster's summary.json, "files": the names of
    the plan's files, "interrupted": whether it was cut short}, plus `plan_id` and `roster_id`."""
    store = context.store
    history = stored_dataset(store, params["history_id"], "history_id")
    with store.session() as session:
        version = session.get(CenterVersion, params["center_version_id"])
        if version is None:
            raise InputError("params", Problem("", "the centre version is gone", "submit it again"))
        center_yaml = version.yaml
    stages = _Stages(context)
    stages.stage("forecast")
    loop_budget = params["loop_budget_s"]
    loop = LoopSettings(max_iterations=1) if loop_budget == 0 else LoopSettings(budget_s=loop_budget)
    interrupted = None
    with TemporaryDirectory(prefix="wfm-plan-") as folder, history_file(history) as history_path:
        center_path = Path(folder) / "center.yaml"
        center_path.write_text(center_yaml, encoding="utf-8")
        out = Path(folder) / "plan"
        try:
            done = run_plan(
                history_path,
                center_path,
                out,
                start=date.fromisoformat(params["start"]),
                days=params["days"],
                staffing=StaffingSettings(plan_on=params["plan_on"]),
                settings=RosterSettings(time_limit_s=params["time_limit_s"], cancel=context.cancel),
                on_progress=stages.solve,
                loop=loop,
                diagnosis=DiagnosisSettings(
                    remedies=params["remedies"],
                    time_limit_s=min(params["time_limit_s"], 10.0),
                    budget_s=params["diagnosis_budget_s"],
                ),
                on_iteration=stages.iteration,
            )
            roster = done.roster.result.roster
            center = done.roster.center
        except Interrupted as stop:
            if not (out / "roster.csv").exists():
                raise
            interrupted = str(stop)
            center = load_center(center_path)
            roster = read_table(out / "roster.csv", ROSTER, timezone=center.timezone)
        stages.stage("storing")
        files = folder_files(out)
    summary = json.loads(files["summary.json"])
    draft = Roster(
        center_version_id=params["center_version_id"],
        status="draft",
        table=to_parquet_blob(roster),
        summary=draft_summary(roster, center, "the plan job"),
    )
    plan = Plan(
        center_version_id=params["center_version_id"],
        history_id=params["history_id"],
        start=date.fromisoformat(params["start"]),
        days=params["days"],
        status="interrupted" if interrupted else "complete",
        summary=_plan_summary(summary, interrupted),
        roster=draft,
    )
    return {
        "summary": summary,
        "files": sorted(files),
        "interrupted": interrupted,
        ROWS: {"roster_id": draft, "plan_id": plan},
        FILES: files,
    }


def _plan_summary(summary: Mapping[str, Any], interrupted: str | None) -> dict[str, Any]:
    """What the plan's row keeps of its roster's summary: the figures a list of plans shows."""
    keys = ("status", "objective", "bound", "gap", "paid_hours", "promised_service_level", "diagnosis")
    return {k: summary[k] for k in keys if k in summary} | {"interrupted": interrupted}
