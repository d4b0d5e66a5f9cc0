"""The plan routes: run a plan (the whole pipeline, as `wfm plan`) as a job, list plans, fetch their files.

- `POST /api/plans` (a planner) `{"center_id", "history_id", "start", "days", "time_limit_s", ...}`: 202
  `{"job_id"}` at once; the job's result holds `plan_id` and `roster_id` once it ends;
- `GET /api/plans[?center_id=]`, `GET /api/plans/{id}`: the plans, with their files' names;
- `GET /api/plans/{id}/NAME`: one of its files (`roster.csv`, `coverage.csv`, `summary.json`, `report.html`,
  `requirement.csv`, `forecast.csv`, `calendars/AGENT.ics`, `simulation/work_types.csv`, ...).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy import select

from service.app import Reader, role
from service.jobs import JobRunner
from service.kinds import JOB_ROLES
from service.routes_jobs import file_response
from service.store import CenterVersion, JobFile, Plan, Store, User, find_job_file

__all__ = ["router"]

router = APIRouter(prefix="/api/plans", tags=["plans"])
Planner = Annotated[User, Depends(role(*JOB_ROLES["plan"]))]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def submit_plan(request: Request, user: Planner, params: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
    """Queue a plan: history -> forecast -> requirement -> roster -> simulation loop -> diagnosis -> report.
    Parameters: `center_id` (+ `version`), `history_id`, `start`, `days` (7), `time_limit_s` (60),
    `loop_budget_s` (300; 0: one simulated pass), `diagnosis_budget_s` (600), `remedies` (true), `plan_on`
    (mean, p50, p90). 422 for bad ones, nothing queued. Follow it at `GET /api/jobs/{job_id}`."""
    runner: JobRunner = request.app.state.jobs
    return {"job_id": runner.submit("plan", params, user)}


def _plan_out(plan: Plan, version: CenterVersion, files: list[str]) -> dict[str, Any]:
    return {
        "id": plan.id,
        "job_id": plan.job_id,
        "center_id": version.center_id,
        "center_version": version.version,
        "history_id": plan.history_id,
        "start": plan.start.isoformat(),
        "days": plan.days,
        "roster_id": plan.roster_id,
        "status": plan.status,
        "summary": plan.summary,
        "created_at": None if plan.created_at is None else plan.created_at.isoformat(),
        "files": files,
    }


@router.get("")
def list_plans(request: Request, _: Reader, center_id: int | None = None) -> list[dict[str, Any]]:
    """The plans, newest first (of one centre with `center_id`)."""
    query = select(Plan, CenterVersion).join(CenterVersion, Plan.center_version_id == CenterVersion.id)
    if center_id is not None:
        query = query.where(CenterVersion.center_id == center_id)
    with _store(request).session() as session:
        return [_plan_out(plan, version, []) for plan, version in session.execute(query.order_by(Plan.id.desc()))]


@router.get("/{plan_id}")
def get_plan(plan_id: int, request: Request, _: Reader) -> dict[str, Any]:
    """The plan: its inputs, status, summary figures and its files' names."""
    with _store(request).session() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan {plan_id}")
        version = session.get(CenterVersion, plan.center_version_id)
        assert version is not None
        names = list(session.scalars(select(JobFile.name).where(JobFile.job_id == plan.job_id).order_by(JobFile.name)))
        return _plan_out(plan, version, names)


@router.get("/{plan_id}/{name:path}")
def plan_file(plan_id: int, name: str, request: Request, _: Reader) -> Response:
    """One of the plan's files, as `wfm plan` wrote it."""
    with _store(request).session() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan {plan_id}")
        found = find_job_file(session, plan.job_id, name)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"plan {plan_id} has no file '{name}'; GET it for the list")
        return file_response(found)
