"""What every kind of job shares: the context a job function runs in, how it hands back rows and files to store
with its end, and the checks of the parameters kinds have in common (a centre version, a time limit, a dataset).

A job function takes its checked parameters and a `JobContext` and returns its result, a JSON-ready dict, plus:
- `ROWS`: rows to add to the store (a draft roster, a plan, a forecast...), keyed by the name their id takes in the
  result (``{"roster_id": Roster(...)}``), added in that order;
- `FILES`: the files the job wrote, by name (``{"roster.csv": b"..."}``), kept as the job's files.
The runner stores them with the job's end in one transaction: all of a job's outputs are there, or none is.
"""

from __future__ import annotations

import json
import mimetypes
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from models import Center, InputError, Problem, center_from_yaml
from planner.runtime import Cancellation, Interrupted
from service.store import CenterVersion, Dataset, Roster, Store
from service.store.blobs import from_parquet_blob

__all__ = [
    "FILES",
    "ROWS",
    "CheckFunction",
    "JobContext",
    "JobFunction",
    "center_version_id",
    "check_count",
    "check_dataset",
    "check_date",
    "check_moment",
    "check_number",
    "check_roster",
    "check_text",
    "folder_files",
    "media_type",
    "speaking_of",
    "stored_center",
    "stored_dataset",
    "stored_table",
    "unplaced",
    "unplaced_value",
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
    params: Mapping[str, Any],
    field: str,
    default: float,
    low: float,
    high: float,
    *,
    whole: bool = False,
    low_allowed: bool = False,
) -> float:
    """`params[field]` (else `default`): a number with low < value <= high (low <= value where `low_allowed`; a
    whole one where `whole`)."""
    value = params.get(field, default)
    kinds = int if whole else int | float
    above = isinstance(value, int | float) and (low <= value if low_allowed else low < value)
    if isinstance(value, bool) or not isinstance(value, kinds) or not above or not value <= high:
        kind = "a whole number" if whole else "a number"
        bound = "<=" if low_allowed else "<"
        raise InputError(
            "params", Problem(field, f"{value!r} is not allowed", f"give {kind}, {low:g} {bound} x <= {high:g}")
        )
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


def stored_dataset(store: Store, dataset_id: int, field: str = "") -> Dataset:
    """A stored dataset (detached from its session), else an `InputError` naming the parameter `field`."""
    with store.session() as session:
        row = session.get(Dataset, dataset_id)
        if row is None:
            raise InputError("params", Problem(field, f"dataset {dataset_id} is gone", "upload it again"))
        session.expunge(row)
        return row


def stored_table(store: Store, dataset_id: int) -> pd.DataFrame:
    """A stored dataset's table."""
    return from_parquet_blob(stored_dataset(store, dataset_id).table)


#: The largest table a job takes as CSV text in its parameters, in bytes.
MAX_TEXT_BYTES = 64 * 2**20


def check_count(params: Mapping[str, Any], field: str, default: int, least: int, most: int) -> int:
    """`params[field]` (else `default`): a whole number with least <= value <= most."""
    value = params.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise InputError(
            "params", Problem(field, f"{value!r} is not allowed", f"give a whole number, {least} to {most}")
        )
    return value


def check_date(params: Mapping[str, Any], field: str, *, required: bool = True) -> str | None:
    """`params[field]`: a date YYYY-MM-DD (None where it may be left out and is)."""
    text = params.get(field)
    if text is None and not required:
        return None
    try:
        day = date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        day = None
    if day is None:
        raise InputError("params", Problem(field, f"{text!r} is not a date", "give the day as YYYY-MM-DD"))
    return day.isoformat()


def check_moment(params: Mapping[str, Any], field: str) -> str:
    """`params[field]`: a date and time (ISO, local time of the centre unless it has an offset), as given."""
    value = params.get(field)
    fix = "give a date and time such as 2026-06-01T10:30 (the centre's local time unless it has an offset)"
    if not isinstance(value, str) or not value.strip():
        raise InputError("params", Problem(field, "is missing" if value is None else f"{value!r} is not a moment", fix))
    try:
        moment = pd.Timestamp(value)
    except (ValueError, TypeError):
        moment = None
    if moment is None or pd.isna(moment):
        raise InputError("params", Problem(field, f"{value!r} is not a moment", fix))
    return value.strip()


def check_text(params: Mapping[str, Any], field: str, what: str, *, required: bool = True) -> str | None:
    """`params[field]`: a table as CSV text (`what` says which), at most `MAX_TEXT_BYTES`; None where it may be
    left out and is."""
    value = params.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError("params", Problem(field, "is missing or empty", f"give {what} as CSV text"))
    if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InputError("params", Problem(field, f"is larger than {MAX_TEXT_BYTES // 2**20} MB", f"give {what} only"))
    return value


def check_roster(params: Mapping[str, Any], store: Store) -> tuple[int, int]:
    """The roster a job works on and its centre version: `roster_id` (a stored roster; of the centre `center_id`
    where that is given too), else the latest published roster of the centre `center_id`."""
    roster = params.get("roster_id")
    center = params.get("center_id")
    fix = "give roster_id as GET /api/centers/ID/rosters lists them, or center_id for its latest published roster"
    for field, value in (("roster_id", roster), ("center_id", center)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InputError("params", Problem(field, f"{value!r} is not a whole number", fix))
    with store.session() as session:
        if roster is not None:
            found = session.get(Roster, roster)
            version = None if found is None else session.get(CenterVersion, found.center_version_id)
            if found is None or version is None or (center is not None and version.center_id != center):
                where = "" if center is None else f" of centre {center}"
                raise InputError("params", Problem("roster_id", f"no roster {roster}{where}", fix))
            return found.id, version.id
        if center is None:
            raise InputError("params", Problem("center_id", "is missing", fix))
        row = session.execute(
            select(Roster.id, Roster.center_version_id)
            .join(CenterVersion, Roster.center_version_id == CenterVersion.id)
            .where(CenterVersion.center_id == center, Roster.status == "published")
            .order_by(Roster.published_at.desc(), Roster.id.desc())
        ).first()
        if row is None:
            what = f"centre {center} has no published roster"
            raise InputError("params", Problem("roster_id", what, "publish one, or give roster_id"))
        return int(row[0]), int(row[1])


@contextmanager
def speaking_of(names: Mapping[Path, str]) -> Iterator[None]:
    """Errors raised inside speak of the inputs by their names (`names`: the path a job wrote an input to -> what
    messages call it: "roster 12", "tickets_csv") and of its folders by their names relative to the job's, never
    of the temporary paths."""
    said = _saying(names)
    try:
        yield
    except InputError as error:
        problems = [Problem(said(p.where), said(p.what), said(p.fix)) for p in error.problems]
        raise type(error)(said(error.source), problems) from None
    except Interrupted as stop:
        raise Interrupted(said(str(stop))) from None


def _saying(names: Mapping[Path, str]) -> Callable[[str], str]:
    replacements = sorted(((str(path), name) for path, name in names.items()), key=lambda pair: -len(pair[0]))

    def said(text: str) -> str:
        for path, name in replacements:
            text = text.replace(path, name)
        return text

    return said


#: The files whose text may name an input's path (a summary's source, a report's scenario file).
TEXT_SUFFIXES = (".json", ".csv", ".html", ".txt")


def unplaced(files: Mapping[str, bytes], names: Mapping[Path, str]) -> dict[str, bytes]:
    """A job's files with the temporary paths of its inputs replaced by their names (as `speaking_of` says them)
    in the text files: what a job keeps names no temporary path."""
    said = _saying(names)
    return {
        name: said(content.decode("utf-8")).encode("utf-8") if name.endswith(TEXT_SUFFIXES) else content
        for name, content in files.items()
    }


def unplaced_value(value: Any, names: Mapping[Path, str]) -> Any:
    """A JSON-ready value (a summary, notes) with the temporary paths of the job's inputs replaced by their names."""
    return json.loads(_saying(names)(json.dumps(value, default=str)))
