"""The job routes: submit (202 with the job's id at once), status and live progress, result, cancel.

- `POST /api/jobs/{kind}` (`roster`: a planner): checks the parameters (422), queues: 202 `{"id", "status"}`;
- `GET /api/jobs/{id}` (any role): status, progress, timestamps, error, the result's figures once finished;
- `GET /api/jobs/{id}/result` (any role): the whole result, 409 while the job is not finished;
- `GET /api/jobs[?kind=&status=&limit=]` (any role): the latest jobs;
- `GET /api/jobs/{id}/files`, `.../files/NAME` (any role): the files the job wrote;
- `DELETE /api/jobs/{id}` (its submitter or a planner): cancels it (a roster keeps its best so far).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import func, select

from service.app import Reader, current_user
from service.jobs import FINISHED, TABLE_KEYS, JobRunner
from service.kinds import JOB_KINDS, JOB_ROLES
from service.store import Job, JobFile, Store, User, find_job_file

__all__ = ["file_response", "install_jobs", "router"]

#: Roles that may cancel anyone's job.
CANCELLERS = ("planner",)

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


def install_jobs(app: FastAPI, store: Store, workers: int = 2) -> JobRunner:
    """Give `app` the job routes and a `JobRunner` of `workers` processes on `store` (`app.state.jobs`; starting
    it marks the jobs a stopped server left unfinished as failed), stopped when the app shuts down."""
    runner = JobRunner(store, workers=workers)
    app.state.jobs = runner
    app.include_router(router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[Any]:
        try:
            async with inner(instance) as state:
                yield state
        finally:
            await asyncio.to_thread(instance.state.jobs.shutdown)  # the app's runner, replaced or not

    app.router.lifespan_context = lifespan
    return runner


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


@router.post("/{kind}", status_code=status.HTTP_202_ACCEPTED)
def submit_job(
    kind: str,
    request: Request,
    user: Annotated[User, Depends(current_user)],
    params: Annotated[dict[str, Any], Body()],
) -> dict[str, str]:
    """Queue a job of `kind` with `params` (the body, a JSON object): 202 with its id at once; 422 for bad
    parameters (nothing is queued), 404 for an unknown kind."""
    if kind not in JOB_KINDS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job kind '{kind}'; kinds: {', '.join(JOB_KINDS)}")
    allowed = JOB_ROLES.get(kind, CANCELLERS)
    if user.role not in allowed:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role} may not do this; it needs: {', '.join(allowed)}")
    job_id = _runner(request).submit(kind, params, user)
    return {"id": job_id, "status": "queued"}


@router.get("")
def list_jobs(
    request: Request,
    _: Reader,
    kind: str | None = None,
    status_is: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The latest jobs, newest first (of one `kind`, in one `status`): what the web pages list."""
    query = select(Job)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if status_is is not None:
        query = query.where(Job.status == status_is)
    with _runner(request).store.session() as session:
        jobs = list(session.scalars(query.order_by(Job.created_at.desc(), Job.id).limit(limit)))
        return [_job_out(job) for job in jobs]


@router.get("/{job_id}")
def get_job(job_id: str, request: Request, _: Reader) -> dict[str, Any]:
    """The job's status, live progress, timestamps and error; once finished, its result's figures (the tables
    are at `/result`)."""
    return _job_out(_job(request, job_id))


def _job_out(job: Job) -> dict[str, Any]:
    result = None if job.result is None else {k: v for k, v in job.result.items() if k not in TABLE_KEYS}
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "cancel_requested": job.status == "running" and job.error is not None,
        "progress": job.progress,
        "result": result,
        "error": job.error,
        "created_by": job.created_by,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


@router.get("/{job_id}/result")
def get_job_result(job_id: str, request: Request, _: Reader) -> dict[str, Any]:
    """The finished job's whole result (a roster job's: its summary and the roster as CSV text); 409 while it is
    queued or running, and for a job that ended without one."""
    job = _job(request, job_id)
    if job.status not in FINISHED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id} is {job.status}; its result is not ready")
    if job.result is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id} is {job.status} without a result: {job.error}")
    return {"id": job.id, "kind": job.kind, "status": job.status, "result": job.result}


@router.get("/{job_id}/files")
def list_job_files(job_id: str, request: Request, _: Reader) -> dict[str, Any]:
    """The names and sizes of the files the job wrote (kept with its end)."""
    _job(request, job_id)
    with _runner(request).store.session() as session:
        rows = session.execute(
            select(JobFile.name, func.length(JobFile.content)).where(JobFile.job_id == job_id).order_by(JobFile.name)
        ).all()
    return {"id": job_id, "files": {name: size for name, size in rows}}


@router.get("/{job_id}/files/{name:path}")
def job_file(job_id: str, name: str, request: Request, _: Reader) -> Response:
    """One file the job wrote, as its command would have written it."""
    with _runner(request).store.session() as session:
        found = find_job_file(session, job_id, name)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job_id} has no file '{name}'")
        return file_response(found)


def file_response(found: JobFile) -> Response:
    """A stored file as a response: inline for HTML, JSON and images, else as an attachment of its name."""
    inline = found.media_type.startswith(("text/html", "application/json", "image/"))
    base = found.name.rsplit("/", 1)[-1]
    headers = {} if inline else {"Content-Disposition": f'attachment; filename="{base}"'}
    return Response(found.content, media_type=found.media_type, headers=headers)


@router.delete("/{job_id}", status_code=status.HTTP_202_ACCEPTED)
def cancel_job(job_id: str, request: Request, user: Annotated[User, Depends(current_user)]) -> dict[str, str]:
    """Cancel the job (its submitter or a planner): a queued job is cancelled at once, a running one stops soon
    and keeps its best result where it has one. 202 with its status; 409 for a job already finished."""
    job = _job(request, job_id)
    if user.role not in CANCELLERS and job.created_by != user.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only its submitter or a {', '.join(CANCELLERS)} may cancel it")
    if job.status in FINISHED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job_id} is {job.status} already")
    state = _runner(request).cancel(job_id, user.name)
    return {"id": job_id, "status": state or job.status}


def _job(request: Request, job_id: str) -> Job:
    with _runner(request).store.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
        session.expunge(job)
        return job


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).isoformat()
