"""What every kind of job shares: the context a job function runs in, how it hands back rows and files to store
with its end, and the checks of the parameters kinds have in common (a centre version, a time limit, a dataset).

A job function takes its checked parameters and a `JobContext` and returns its result, a JSON-ready dict, plus:
- `ROWS`: rows to add to the store (a draft roster, a plan, a forecast...), keyed by the name their id takes in the
  result (``{"roster_id": Roster(...)}``), added in that order;
- `FILES`: the files the job wrote, by name (``{"roster.csv": b"..."}``), kept as the job's files.
The runner stores them with the job's end in one transaction: all of a job's outputs are there, or none is.
"""

from __future__ import annotations

import mimetypes
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from models import Center, InputError, Problem, center_from_yaml
from planner.runtime import Cancellation
from service.store import CenterVersion, Dataset, Store
from service.store.blobs import from_parquet_blob

__all__ = [
    "FILES",
    "ROWS",
    "CheckFunction",
    "JobContext",
    "JobFunction",
    "center_version_id",
    "check_dataset",
    "check_number",
    "folder_files",
    "media_type",
    "stored_center",
    "stored_table",
]

ROWS = "_rows"
FILES = "_files"


@dataclass(frozen=True)
class JobContext:
    """What a job function gets besides its parameters: the store, a progress callback (any JSON-ready dict; the
    latest is written, at most every `PROGRESS_EVERY_S`) and the job's cancellation token."""

    store: Store
    progress: Callable[[dict[str, Any]], None]
    cancel: Cancellation


JobFunction = Callable[[Mapping[str, Any], JobContext], dict[str, Any]]
CheckFunction = Callable[[Mapping[str, Any], Store], dict[str, Any]]

_VERSION_FIX = "give center_id (and version, else its latest) as GET /api/centers lists them"


def center_version_id(params: Mapping[str, Any], store: Store) -> int:
    """The id of the stored centre version the parameters name: `center_id` and `version` (its latest where not
    given), or `center_version_id`."""
    for field in ("center_version_id", "center_id", "version"):
        value = params.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InputError("params", Problem(field, f"{value!r} is not a whole number", _VERSION_FIX))
    with store.session() as session:
        if params.get("center_version_id") is not None:
            found = session.get(CenterVersion, params["center_version_id"])
            if found is None:
                what = f"no centre version {params['center_version_id']}"
                raise InputError("params", Problem("center_version_id", what, _VERSION_FIX))
            return found.id
        center = params.get("center_id")
        if center is None:
            raise InputError("params", Problem("center_id", "is missing", _VERSION_FIX))
        query = select(CenterVersion).where(CenterVersion.center_id == center)
        if params.get("version") is not None:
            query = query.where(CenterVersion.version == params["version"])
        chosen = session.scalars(query.order_by(CenterVersion.version.desc())).first()
        if chosen is None:
            version = params.get("version")
            what = f"no centre {center}" + ("" if version is None else f" with a version {version}")
            raise InputError("params", Problem("center_id", what, _VERSION_FIX))
        return chosen.id


def check_number(
    params: Mapping[str, Any], field: str, default: float, low: float, high: float, *, whole: bool = False
) -> float:
    """`params[field]` (else `default`): a number with low < value <= high (a whole one where `whole`)."""
    value = params.get(field, default)
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not low < value <= high:
        kind = "a whole number" if whole else "a number"
        raise InputError("params", Problem(field, f"{value!r} is not allowed", f"give {kind}, {low:g} < x <= {high:g}"))
    return float(value)


def check_dataset(params: Mapping[str, Any], field: str, kind: str, version_id: int, store: Store) -> int:
    """The id in `params[field]`: a stored dataset of `kind` of the centre of version `version_id`."""
    value = params.get(field)
    fix = f"give the id of a {kind} of this centre (GET /api/centers/ID/datasets?kind={kind})"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("params", Problem(field, f"{value!r} is not a {kind}'s id", fix))
    with store.session() as session:
        row = session.get(Dataset, value)
        version = session.get(CenterVersion, version_id)
        if row is None or row.kind != kind or version is None or row.center_id != version.center_id:
            raise InputError("params", Problem(field, f"no {kind} {value} of this centre", fix))
        return row.id


def media_type(name: str) -> str:
    """The media type a stored file is served with."""
    if name.endswith(".ics"):
        return "text/calendar"
    if name.endswith(".parquet"):
        return "application/vnd.apache.parquet"
    guessed = mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream"


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by its path relative to it (``simulation/intervals.csv``)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


def stored_center(store: Store, version_id: int) -> Center:
    """The centre as the stored version `version_id` configures it (its lint findings are its own notes)."""
    with store.session() as session:
        version = session.get(CenterVersion, version_id)
        if version is None:
            raise InputError("params", Problem("center_version_id", "the centre version is gone", _VERSION_FIX))
        text, source = version.yaml, f"centre version {version.id}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return center_from_yaml(text, source)


def stored_table(store: Store, dataset_id: int) -> pd.DataFrame:
    """A stored dataset's table."""
    with store.session() as session:
        row = session.get(Dataset, dataset_id)
        if row is None:
            raise InputError("params", Problem("", f"dataset {dataset_id} is gone", "upload it again"))
        return from_parquet_blob(row.table)
