"""Uploaded tables (a history, a forecast, a requirement): read and checked exactly as the command line reads its
files (`wfm validate`, `read_table`), kept whole as Parquet blobs, and handed back to jobs as files again.

An upload is written, under a name of the service's choosing (only the suffix of the client's name is kept: `.csv`,
`.csv.gz`, `.parquet`), into a temporary folder that is removed afterwards; the client's file name appears in
messages only, as its base name (`base_name`). Error messages speak of the client's name, never of the temporary
path. A compressed upload is refused before it is read where it unpacks to more than `MAX_EXPANDED_BYTES` (gzip,
counted as it unpacks) or declares more than `MAX_ROWS` rows (Parquet).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd

from models import FORECAST, REQUIREMENT, Center, History, HistoryFormat, InputError, Problem, read_table
from models.io import read_history
from models.tables import TableSchema
from planner.inputs import outside_opening_hours
from service.limits import DEFAULT_MAX_UPLOAD_BYTES
from service.store import Dataset

__all__ = [
    "TABLE_KINDS",
    "Upload",
    "base_name",
    "dataset_meta",
    "history_file",
    "read_history_upload",
    "read_table_upload",
]

#: The table contract of each kind of dataset other than a history.
TABLE_KINDS: dict[str, TableSchema] = {"forecast": FORECAST, "requirement": REQUIREMENT}
#: The suffixes an upload may have; anything else is refused before it is read.
SUFFIXES = (".csv.gz", ".csv", ".parquet", ".pq")
#: The most bytes a compressed CSV upload may unpack to (four times the default body limit): a small file that
#: unpacks to gigabytes is refused as it unpacks, before any table is built.
MAX_EXPANDED_BYTES = 4 * DEFAULT_MAX_UPLOAD_BYTES
#: The most rows a Parquet upload may declare (its metadata is read first: a file of a few kilobytes can hold
#: millions of equal rows); two years of per-ticket history of a large centre hold fewer.
MAX_ROWS = 30_000_000
#: The piece of a compressed upload unpacked at a time.
_CHUNK = 2**20


def base_name(filename: str, default: str = "upload") -> str:
    """What the service calls a file a client names: the last part of the name (folders of either slash dropped),
    letters, digits, '.', '-', '_' and spaces only (others become '_'), no leading dot, at most 200 characters;
    `default` when nothing is left. It names the file in messages and listings and is never opened."""
    base = PurePath(filename.replace("\\", "/")).name
    return re.sub(r"[^\w.\- ]", "_", base).lstrip(". ")[:200] or default


@dataclass(frozen=True)
class Upload:
    """An uploaded file: its name as the client gave it (for messages) and its bytes."""

    filename: str
    content: bytes

    @property
    def name(self) -> str:
        """The client's name without any folder, printable: what messages call the file (`base_name`)."""
        return base_name(self.filename)


@contextmanager
def _staged(upload: Upload, stem: str) -> Iterator[Path]:
    """The upload as a file of the service's own name in a temporary folder (removed afterwards)."""
    lowered = upload.name.lower()
    suffix = next((s for s in SUFFIXES if lowered.endswith(s)), None)
    if suffix is None:
        raise InputError(upload.name, Problem("", "is not a CSV or Parquet file", "upload a .csv, .csv.gz or .parquet"))
    if not upload.content:
        raise InputError(upload.name, Problem("", "is empty", "upload the file with its header row and data"))
    with TemporaryDirectory(prefix="wfm-upload-") as folder:
        if suffix == ".csv.gz":  # unpacked here, counting, so that its size is known before it is read
            path = Path(folder) / f"{stem}.csv"
            _gunzip(upload, path)
        else:
            path = Path(folder) / f"{stem}{suffix}"
            path.write_bytes(upload.content)
            if suffix in (".parquet", ".pq"):
                _check_parquet_rows(upload, path)
        yield path


def _gunzip(upload: Upload, path: Path) -> None:
    """The gzip upload unpacked into `path`: an `InputError` past `MAX_EXPANDED_BYTES` or for a broken file."""
    written = 0
    try:
        with gzip.open(io.BytesIO(upload.content)) as packed, path.open("wb") as sink:
            while piece := packed.read(_CHUNK):
                written += len(piece)
                if written > MAX_EXPANDED_BYTES:
                    raise InputError(
                        upload.name,
                        Problem(
                            "",
                            f"unpacks to more than {MAX_EXPANDED_BYTES:,} bytes uncompressed",
                            "upload a shorter period, or the CSV uncompressed within the size limit",
                        ),
                    )
                sink.write(piece)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(
            upload.name,
            Problem("", f"is not a readable gzip file: {exc}", "compress the CSV with gzip, or send it plain"),
        ) from None


def _check_parquet_rows(upload: Upload, path: Path) -> None:
    """An `InputError` for a Parquet file declaring more than `MAX_ROWS` rows; one whose metadata cannot be read
    is left to the reader, which names what is wrong."""
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception:  # noqa: BLE001 - the table reader reports a broken file with its own problem
        return
    if rows > MAX_ROWS:
        raise InputError(
            upload.name,
            Problem(
                "", f"holds {rows:,} rows, more than the {MAX_ROWS:,} an upload may have", "upload a shorter period"
            ),
        )


def _renamed(error: InputError, path: Path, name: str) -> InputError:
    """`error` speaking of the client's file name instead of the temporary path."""
    problems = [
        Problem(p.where.replace(str(path), name), p.what.replace(str(path), name), p.fix) for p in error.problems
    ]
    return type(error)(error.source.replace(str(path), name), problems)


def read_history_upload(upload: Upload, center: Center, fmt: HistoryFormat | None = None) -> History:
    """An uploaded history checked against `center` as `wfm validate --center --history` checks it (the same
    reader, problems and messages); an `InputError` naming the client's file, row and field."""
    with _staged(upload, "history") as path:
        try:
            history = read_history(path, center=center, fmt=fmt or HistoryFormat())
        except InputError as error:
            raise _renamed(error, path, upload.name) from None
    return History(
        frame=history.frame,
        kind=history.kind,
        source=upload.name,
        timezone=history.timezone,
        interval_minutes=history.interval_minutes,
        assumption=history.assumption,
        notes=tuple(n.replace(str(path), upload.name) for n in history.notes),
        warnings=tuple(w.replace(str(path), upload.name) for w in history.warnings),
    )


def read_table_upload(upload: Upload, kind: str, center: Center) -> pd.DataFrame:
    """An uploaded forecast or requirement read against its table contract, in the centre's zone."""
    with _staged(upload, kind) as path:
        try:
            return read_table(path, TABLE_KINDS[kind], timezone=center.timezone)
        except InputError as error:
            raise _renamed(error, path, upload.name) from None


def dataset_meta(kind: str, table: pd.DataFrame, center: Center, history: History | None = None) -> dict[str, Any]:
    """What a dataset's row says of its table: its span, work types, and for a history how it was read (kind,
    zone, interval, assumption, notes, warnings) and the contacts that came while closed."""
    column = "interval_start" if kind != "history" or history is None else history.time_column
    times = table[column] if column in table else pd.Series(dtype=object)
    meta: dict[str, Any] = {
        "start": None if times.empty else pd.Timestamp(times.min()).isoformat(),
        "end": None if times.empty else pd.Timestamp(times.max()).isoformat(),
        "work_types": sorted(str(w) for w in table["work_type"].dropna().unique()) if "work_type" in table else [],
    }
    if history is not None:
        closed = outside_opening_hours(center, history)
        meta |= {
            "history_kind": history.kind,
            "timezone": history.timezone,
            "interval_minutes": history.interval_minutes,
            "assumption": history.assumption,
            "notes": list(history.remarks),
            "warnings": list(history.alerts),
            "outside_opening_hours": closed.astype(object).where(closed.notna(), None).to_dict(orient="records"),
        }
    return meta


@contextmanager
def history_file(dataset: Dataset) -> Iterator[Path]:
    """A stored history as a Parquet file in a temporary folder, for the jobs that read a history file; it
    holds the checked table, which reads back to the same history."""
    if dataset.kind != "history":
        raise InputError("params", Problem("history_id", f"dataset {dataset.id} is a {dataset.kind}", "give a history"))
    with TemporaryDirectory(prefix="wfm-history-") as folder:
        path = Path(folder) / f"history-{dataset.id}.parquet"
        path.write_bytes(dataset.table)
        yield path
