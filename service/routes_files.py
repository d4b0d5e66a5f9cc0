"""The files a job wrote (every kind's: a simulation's figures, an assignment, an intraday re-plan, a what-if
sweep's results and report), listed and fetched as the command line wrote them.

- `GET /api/jobs/{id}/files` (any role): `{"id", "files": {NAME: bytes}}`, the job's files;
- `GET /api/jobs/{id}/files/{name}` (any role): one of them (`summary.json`, `variants/base-1a2b3c/result.json`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy import func, select

from service.app import Reader
from service.routes_plans import file_response
from service.store import Job, JobFile, Store

__all__ = ["router"]

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get("/{job_id}/files")
def list_job_files(job_id: str, request: Request, _: Reader) -> dict[str, Any]:
    """The names and sizes of the files the job wrote (none until it has ended: they are kept with its end)."""
    with _store(request).session() as session:
        if session.get(Job, job_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
        rows = session.execute(
            select(JobFile.name, func.length(JobFile.content)).where(JobFile.job_id == job_id).order_by(JobFile.name)
        ).all()
        return {"id": job_id, "files": {name: int(size or 0) for name, size in rows}}


@router.get("/{job_id}/files/{name:path}")
def job_file(job_id: str, name: str, request: Request, _: Reader) -> Response:
    """One of the job's files, as the command line wrote it."""
    with _store(request).session() as session:
        found = session.scalars(select(JobFile).where(JobFile.job_id == job_id, JobFile.name == name)).first()
        if found is None:
            what = f"job {job_id} has no file '{name}'; GET /api/jobs/{job_id}/files lists them"
            raise HTTPException(status.HTTP_404_NOT_FOUND, what)
        return file_response(found)
