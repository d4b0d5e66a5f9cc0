"""The data routes: a centre's histories, forecasts and requirements, uploaded as files (multipart), checked as
the command line checks them, kept whole (Parquet), listed and fetched back.

- `POST /api/centers/{id}/histories` (a planner or an analyst; multipart `file`, optional form fields `version`,
  `history_tz`, `work_type`, `time_format`): 201 `{"id", "rows", ...}`, or 422 with the problems (file, row,
  field, fix) and nothing stored;
- `POST /api/centers/{id}/forecasts`, `.../requirements`: the same for the forecast and requirement contracts;
- `GET /api/centers/{id}/datasets[?kind=history]`, `GET /api/centers/{id}/histories`: what the centre holds;
- `GET /api/datasets/{id}`: its description; `GET /api/datasets/{id}.csv`, `.parquet`: its table.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import Response
from sqlalchemy import select

from models import HistoryFormat, InputError, Problem
from service.app import Reader, center_at, role
from service.datasets import TABLE_KINDS, Upload, dataset_meta, read_history_upload, read_table_upload
from service.store import DATASET_KINDS, Dataset, Store, User
from service.store.blobs import from_parquet_blob, to_parquet_blob
from service.tables import csv_text

__all__ = ["UPLOADERS", "dataset_out", "router", "store_history"]

#: Who may upload a centre's data: a planner (the plan's history) and an analyst (a what-if's history).
UPLOADERS = ("planner", "analyst")
Uploader = Annotated[User, Depends(role(*UPLOADERS))]

router = APIRouter(prefix="/api", tags=["data"])
TableFile = Annotated[UploadFile, File(description="The table (CSV/Parquet), as wfm writes it.")]
VersionForm = Annotated[int | None, Form(description="The centre version it is for (default latest).")]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def dataset_out(row: Dataset) -> dict[str, Any]:
    return {
        "id": row.id,
        "center_id": row.center_id,
        "kind": row.kind,
        "name": row.name,
        "rows": row.rows,
        "job_id": row.job_id,
        "created_at": None if row.created_at is None else row.created_at.isoformat(),
        **row.meta,
    }


@router.post("/centers/{center_id}/histories", status_code=status.HTTP_201_CREATED)
def upload_history(
    center_id: int,
    request: Request,
    user: Uploader,
    file: Annotated[UploadFile, File(description="The history: per-ticket rows or interval counts (CSV/Parquet).")],
    version: Annotated[int | None, Form(description="The centre version to check it against (default latest).")] = None,
    history_tz: Annotated[str | None, Form(description="Zone of timestamps without a UTC offset.")] = None,
    work_type: Annotated[str | None, Form(description="The work type of every row, for a file without one.")] = None,
    time_format: Annotated[str | None, Form(description="strftime format of the timestamps (default ISO).")] = None,
) -> dict[str, Any]:
    """A history of the centre, checked against its version as `wfm validate --center --history` checks it."""
    upload = Upload(file.filename or "history.csv", file.file.read())
    fmt = HistoryFormat(
        time_format=time_format or None, assume_timezone=history_tz or None, work_type=work_type or None
    )
    return store_history(_store(request), center_id, upload, user, version, fmt)


def store_history(
    store: Store, center_id: int, upload: Upload, user: User, version: int | None, fmt: HistoryFormat
) -> dict[str, Any]:
    """A history `upload` of the centre, checked against its version `version` (default latest) as `wfm validate
    --center --history` checks it (an `InputError` naming the file, row and field; nothing stored), then kept:
    its description. What `POST /api/centers/{id}/histories` and the planner's page both call."""
    center = center_at(store, center_id, version)
    history = read_history_upload(upload, center, fmt)
    row = Dataset(
        center_id=center_id,
        kind="history",
        name=upload.name,
        rows=len(history.frame),
        table=to_parquet_blob(history.frame),
        meta=dataset_meta("history", history.frame, center, history),
        created_by=user.id,
    )
    with store.session() as session:
        session.add(row)
        session.flush()
        return dataset_out(row)


def _upload_table(kind: str) -> Any:
    def upload_table(
        center_id: int,
        request: Request,
        user: Uploader,
        file: TableFile,
        version: VersionForm = None,
    ) -> dict[str, Any]:
        store = _store(request)
        center = center_at(store, center_id, version)
        upload = Upload(file.filename or f"{kind}.csv", file.file.read())
        table = read_table_upload(upload, kind, center)
        row = Dataset(
            center_id=center_id,
            kind=kind,
            name=upload.name,
            rows=len(table),
            table=to_parquet_blob(table),
            meta=dataset_meta(kind, table, center),
            created_by=user.id,
        )
        with store.session() as session:
            session.add(row)
            session.flush()
            return dataset_out(row)

    upload_table.__doc__ = f"A {kind} table of the centre, read against the {kind} contract (docs/tables)."
    upload_table.__name__ = f"upload_{kind}"
    return upload_table


for _kind in TABLE_KINDS:
    router.add_api_route(
        f"/centers/{{center_id}}/{_kind}s", _upload_table(_kind), methods=["POST"], status_code=status.HTTP_201_CREATED
    )


@router.get("/centers/{center_id}/datasets")
def list_datasets(center_id: int, request: Request, _: Reader, kind: str | None = None) -> list[dict[str, Any]]:
    """The centre's datasets, newest first; `kind` keeps one kind (history, forecast, requirement)."""
    if kind is not None and kind not in DATASET_KINDS:
        raise InputError("kind", Problem("", "is not a kind of dataset", f"use one of {', '.join(DATASET_KINDS)}"))
    query = select(Dataset).where(Dataset.center_id == center_id)
    if kind is not None:
        query = query.where(Dataset.kind == kind)
    with _store(request).session() as session:
        return [dataset_out(row) for row in session.scalars(query.order_by(Dataset.id.desc()))]


@router.get("/centers/{center_id}/histories")
def list_histories(center_id: int, request: Request, user: Reader) -> list[dict[str, Any]]:
    """The centre's histories, newest first."""
    return list_datasets(center_id, request, user, "history")


def _dataset(request: Request, dataset_id: int) -> Dataset:
    with _store(request).session() as session:
        row = session.get(Dataset, dataset_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset {dataset_id}")
        session.expunge(row)
        return row


@router.get("/datasets/{dataset_id}.csv")
def dataset_csv(dataset_id: int, request: Request, _: Reader) -> Response:
    row = _dataset(request, dataset_id)
    table = from_parquet_blob(row.table)
    text = csv_text(table, TABLE_KINDS[row.kind]) if row.kind in TABLE_KINDS else table.to_csv(index=False)
    return Response(text, media_type="text/csv", headers=_attachment(f"{row.kind}-{row.id}.csv"))


@router.get("/datasets/{dataset_id}.parquet")
def dataset_parquet(dataset_id: int, request: Request, _: Reader) -> Response:
    row = _dataset(request, dataset_id)
    return Response(
        row.table, media_type="application/vnd.apache.parquet", headers=_attachment(f"{row.kind}-{row.id}.parquet")
    )


@router.get("/datasets/{dataset_id}")
def get_dataset(dataset_id: int, request: Request, _: Reader) -> dict[str, Any]:
    return dataset_out(_dataset(request, dataset_id))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
