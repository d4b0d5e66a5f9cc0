"""Reading and writing the planner's files: centre YAML, history and the other tables (CSV or Parquet).

Everything read is checked at the boundary and every problem is reported as an `InputError` naming the file,
the row or path, the field and the fix. Everything written goes through a temporary file and a rename, so a
failure never leaves a half-written output behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from models.base import check_timezone
from models.center import Center
from models.errors import ConfigError, InputError, InputWarning, Problem
from models.horizon import INTERVAL_MINUTES_CHOICES
from models.tables import (
    INTERVAL_HISTORY,
    TICKET_HISTORY,
    UTC_OFFSET_PATTERN,
    Kind,
    RowRef,
    TableSchema,
    parse_table,
)

__all__ = [
    "History",
    "HistoryFormat",
    "atomic_write",
    "check_output_file",
    "check_output_folder",
    "detect_history_kind",
    "discard_staged_files",
    "dump_center",
    "format_timestamps",
    "center_from_yaml",
    "load_center",
    "locate_in_yaml",
    "parse_yaml_mapping",
    "read_history",
    "read_raw",
    "read_table",
    "read_yaml_mapping",
    "table_writer",
    "text_writer",
    "validate_with_lines",
    "write_files",
    "write_table",
]

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
HistoryKind = Literal["tickets", "intervals"]


# -- files in general -------------------------------------------------------------------------------------------


def _file_format(path: Path) -> Literal["csv", "parquet"]:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise InputError(
        str(path),
        Problem(
            "",
            f"'{path.suffix or path.name}' is not a table format the planner reads",
            "give a .csv (or .csv.gz) or a .parquet file",
        ),
    )


def read_raw(path: str | Path) -> tuple[pd.DataFrame, RowRef]:
    """Read a CSV (every cell as text) or Parquet file, turning any reader failure into an `InputError`."""
    path = Path(path)
    kind = _file_format(path)
    if not path.is_file():
        raise InputError(str(path), Problem("", "no such file", "check the path"))
    try:
        if kind == "parquet":
            return pd.read_parquet(path), RowRef(csv=False)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="strict")
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, RowRef(csv=True)
    except pd.errors.EmptyDataError:
        raise InputError(str(path), Problem("", "the file is empty", "give a file with a header and rows")) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), Problem(f"byte {exc.start}", "the file is not UTF-8 text", "save it as UTF-8 CSV")
        ) from None
    except Exception as exc:  # the readers raise many types for malformed files; all mean "unreadable"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            str(path),
            Problem("", f"cannot be read as {kind.upper()}: {detail}", f"check that it is a valid {kind} file"),
        ) from None


def read_table(
    path: str | Path,
    schema: TableSchema,
    *,
    rename: Mapping[str, str] | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """Read one of the table contracts (forecast, requirement, roster, ...) from CSV or Parquet."""
    raw, rows = read_raw(path)
    return parse_table(raw, schema, str(path), rows=rows, rename=rename, timezone=timezone)


# -- history ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """Checked ticket history: per-ticket rows (`kind="tickets"`) or interval counts (`kind="intervals"`).

    `frame` has the canonical columns of DESIGN.md (plus any others the file had), sorted by time.
    Timestamps are tz-aware in `timezone` when one was known, naive otherwise. `assumption` states how naive
    timestamps were read, if any were; `notes` say what else was done to the data (rows dropped, and why);
    `warnings` what looks wrong but was kept (rows that repeat, UTC offsets that do not belong together).
    """

    frame: pd.DataFrame
    kind: HistoryKind
    source: str
    timezone: str | None
    interval_minutes: int | None
    assumption: str | None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def remarks(self) -> list[str]:
        """How the file was read (the time-zone assumption, dropped rows), each prefixed with the file's name."""
        return [f"{self.source}: {note}" for note in (self.assumption, *self.notes) if note]

    @property
    def alerts(self) -> list[str]:
        """What looks wrong in the file but was kept (`warnings`), each prefixed with the file's name."""
        return [f"{self.source}: {warning}" for warning in self.warnings]

    @property
    def time_column(self) -> str:
        return "created_at" if self.kind == "tickets" else "interval_start"

    @property
    def work_types(self) -> list[str]:
        return sorted(self.frame["work_type"].unique().tolist())

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.frame[self.time_column].iloc[0])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.frame[self.time_column].iloc[-1])

    def volume_by_work_type(self) -> pd.Series:
        """Total contacts per work type."""
        if self.kind == "tickets":
            return self.frame.groupby("work_type").size().astype(float)
        return self.frame.groupby("work_type")["volume"].sum()


def detect_history_kind(columns: list[str], rename: Mapping[str, str], source: str) -> HistoryKind:
    """Per-ticket rows have `created_at`; interval counts have `interval_start` and `volume`."""
    # As after renaming; a mapping to a column the file lacks is reported when the table is parsed.
    names = (set(columns) - set(rename.values())) | set(rename)
    tickets = "created_at" in names
    intervals = "interval_start" in names and "volume" in names
    if tickets and intervals:
        raise InputError(
            source,
            Problem(
                "header",
                "has both 'created_at' (one row per ticket) and 'interval_start' + 'volume' (interval counts)",
                "keep the columns of one shape, or map the other away with --column",
            ),
        )
    if tickets:
        return "tickets"
    if intervals:
        return "intervals"
    found = ", ".join(f"'{c}'" for c in columns) or "none"
    raise InputError(
        source,
        Problem(
            "header",
            f"missing required column: history needs 'created_at' (one row per ticket) or 'interval_start' and "
            f"'volume' (interval counts); columns found: {found}",
            "rename your columns, or map them with --column created_at=YOUR_NAME "
            "(or --column interval_start=... --column volume=...)",
        ),
    )


@dataclass(frozen=True)
class HistoryFormat:
    """How to read a history file that is not in the planner's own shape (an ACD or ticket-system export).

    - `columns`: canonical name -> the file's column, or several of the file's columns joined by ``+`` whose
      values are joined by a space into one timestamp (``{"created_at": "date+vru_entry"}``). A name that is a
      column of the file is taken as it is, ``+`` and all.
    - `ignore`: the file's columns to drop before any check (a `priority` on another scale, say).
    - `exclude`: rows to leave out before any check, each rule ``COLUMN=VALUE`` or ``COLUMN!=VALUE``, several
      joined by ``&`` into one rule that a row must match in full (``outcome=HANG&q_start=0:00:00``); values are
      compared with the file's text, surrounding blanks ignored.
    - `time_format`: strftime format of every timestamp column (of a joined one: its parts' formats joined by a
      space); default ISO 8601.
    - `assume_timezone`: the zone of timestamps without a UTC offset (default: the target zone).
    - `work_type`: the work type of every row of a file without a `work_type` column.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    time_format: str | None = None
    assume_timezone: str | None = None
    work_type: str | None = None


def read_history(
    path: str | Path,
    *,
    center: Center | None = None,
    timezone: str | None = None,
    fmt: HistoryFormat | None = None,
    assume_timezone: str | None = None,
    rename: Mapping[str, str] | None = None,
    work_type: str | None = None,
    time_format: str | None = None,
) -> History:
    """Read and check ticket history, detecting per-ticket rows or interval counts from the columns.

    The target zone is the centre's (or `timezone` without a centre). How the file is laid out is `fmt`
    (`HistoryFormat`; `assume_timezone`, `rename`, `work_type` and `time_format` are shorthands for its
    fields, for calls without one). Naive timestamps are read as local wall-clock time in its
    `assume_timezone` (default: the target zone), and this assumption is recorded in the result. With a
    centre, work types, customer tiers and regions must be the centre's. What was done to the data is in the
    result's `notes`, what looks wrong but was kept in its `warnings`.
    """
    shorthands = (assume_timezone, rename, work_type, time_format)
    if fmt is not None and any(value is not None for value in shorthands):
        raise TypeError("read_history: give fmt or its shorthands (rename, work_type, ...), not both")
    if fmt is None:
        fmt = HistoryFormat(
            columns=dict(rename or {}), time_format=time_format, assume_timezone=assume_timezone, work_type=work_type
        )
    source = str(path)
    for flag, zone_name in (("--tz", timezone), ("--history-tz", fmt.assume_timezone)):
        if zone_name is not None:
            try:
                check_timezone(zone_name)
            except ValueError as exc:
                raise InputError(source, Problem(flag, str(exc).split(";")[0], str(exc).split("; ")[-1])) from None
    raw, rows = read_raw(path)
    raw.columns = [str(c) for c in raw.columns]
    notes: list[str] = []
    raw, rows = _exclude_rows(raw, rows, fmt.exclude, source, notes)
    rename, joins = _resolve_columns(raw, fmt, source)
    file_columns = raw
    raw = _join_columns(raw, joins).drop(columns=list(fmt.ignore))
    if fmt.work_type is not None:
        if "work_type" in raw.columns or "work_type" in rename:
            raise InputError(
                source, Problem("--work-type", "the file already has a work_type column", "drop --work-type")
            )
        raw = raw.assign(work_type=fmt.work_type)
    zone = center.timezone if center is not None else timezone
    kind = detect_history_kind([str(c) for c in raw.columns], rename, source)
    schema = TICKET_HISTORY if kind == "tickets" else INTERVAL_HISTORY
    if "work_type" not in raw.columns and "work_type" not in rename:
        raise InputError(
            source,
            Problem(
                "header",
                "missing required column 'work_type'",
                "add it, map it with --column work_type=YOUR_NAME, or if the file holds one queue name it with "
                "--work-type NAME",
            ),
        )
    try:
        frame = parse_table(
            raw,
            schema,
            source,
            rows=rows,
            rename=rename,
            timezone=zone,
            assume_timezone=fmt.assume_timezone,
            time_format=fmt.time_format,
            skipped_times="error" if kind == "tickets" else "null",
        )
    except InputError as exc:
        named = [_or_ignore(_name_joined(p, rename, joins), schema, rename) for p in exc.problems]
        raise InputError(source, named) from None
    time_column = "created_at" if kind == "tickets" else "interval_start"
    if kind == "intervals":
        frame = _drop_skipped_intervals(frame, raw[rename.get("interval_start", "interval_start")], source, rows, notes)
    InputError.collect(source, _history_problems(frame, kind, center, rows))
    interval_minutes = _interval_minutes(frame, source, rows) if kind == "intervals" else None
    found: list[str] = []
    if kind == "tickets":
        notes += _repeated_ticket_ids(frame, rows)
        found += _repeated_rows(file_columns, frame, _parts_of(("created_at", "work_type"), rename, joins), rows)
    timestamp_columns = [
        column
        for column in schema.names
        if schema.column(column).kind is Kind.TIMESTAMP and rename.get(column, column) in raw.columns
    ]
    for column in timestamp_columns:
        found += _mixed_offsets(raw[rename.get(column, column)], frame[column], column, zone, center is not None)
    frame = frame.sort_values([time_column, "work_type"], kind="stable").reset_index(drop=True)
    naive_zone = fmt.assume_timezone or zone
    naive = any(_had_naive_timestamps(raw, rename, column) for column in timestamp_columns)
    assumption = None
    if naive and naive_zone is not None:
        assumption = f"timestamps without a UTC offset were read as local time in {naive_zone}"
    elif naive:
        assumption = "timestamps without a UTC offset were kept as naive local times (no time zone given)"
    return History(
        frame=frame,
        kind=kind,
        source=source,
        timezone=zone,
        interval_minutes=interval_minutes,
        assumption=assumption,
        notes=tuple(notes),
        warnings=tuple(found),
    )


#: Joins a rule's conditions (`HistoryFormat.exclude`).
_AND = "&"


def _resolve_columns(raw: pd.DataFrame, fmt: HistoryFormat, source: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The mapping `parse_table` takes (canonical -> a column of `raw`), and the columns to make by joining
    others (their name as written, ``date+time`` -> its parts), which `_join_columns` adds. Also checks
    `fmt.ignore` against the file and the mapping."""
    problems = []
    columns = set(raw.columns)
    found = ", ".join(f"'{c}'" for c in raw.columns) or "none"
    for name in fmt.ignore:
        if name not in columns:
            problems.append(
                Problem("--ignore-column", f"column '{name}' is not in the file; columns found: {found}", "fix it")
            )
    rename: dict[str, str] = {}
    joins: dict[str, list[str]] = {}
    for canonical, theirs in fmt.columns.items():
        parts = [theirs] if theirs in columns or "+" not in theirs else [p.strip() for p in theirs.split("+")]
        missing = [p for p in parts if p not in columns]
        if len(parts) > 1 and missing:
            problems.append(
                Problem(
                    "--column",
                    f"{canonical}={theirs}: {', '.join(repr(m) for m in missing)} not in the file; columns found: "
                    f"{found}",
                    "join columns the file has: CANONICAL=COLUMN+COLUMN",
                )
            )
            continue
        used = [p for p in parts if p in fmt.ignore]
        if used:
            problems.append(
                Problem(
                    "--ignore-column",
                    f"column '{used[0]}' is ignored and mapped to '{canonical}' at once",
                    "drop one of the two options",
                )
            )
        rename[canonical] = theirs
        if len(parts) > 1:
            joins[theirs] = parts
    InputError.collect(source, problems)
    return rename, joins


def _join_columns(raw: pd.DataFrame, joins: Mapping[str, list[str]]) -> pd.DataFrame:
    """Add each joined column: its parts' text joined by a space, missing where any part is."""
    joined = {}
    for name, names in joins.items():
        parts = [_cell_text(raw[p]) for p in names]
        text = parts[0]
        for part in parts[1:]:
            text = text + " " + part
        joined[name] = text.mask(pd.concat(parts, axis=1).isna().any(axis=1), pd.NA)
    return raw.assign(**joined) if joined else raw


def _parts_of(canonical: Sequence[str], rename: Mapping[str, str], joins: Mapping[str, list[str]]) -> set[str]:
    """The file's columns that the `canonical` columns are read from."""
    names = [rename.get(c, c) for c in canonical]
    return {part for name in names for part in joins.get(name, [name])}


def _cell_text(values: pd.Series) -> pd.Series:
    """A column as text, dates and times of Parquet files as ISO text; blanks and missing values as NA."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        text = format_timestamps(values).astype("string")
    elif pd.api.types.is_timedelta64_dtype(values.dtype):
        seconds = values.dt.total_seconds()
        text = pd.Series(
            [None if pd.isna(s) else f"{int(s) // 3600:02d}:{int(s) % 3600 // 60:02d}:{s % 60:02g}" for s in seconds],
            index=values.index,
            dtype="string",
        )
    else:
        text = values.astype("string").str.strip()
    return text.mask(text == "", pd.NA)


_COLUMN_OF_PROBLEM = re.compile(r"column '([^']+)'")


def _or_ignore(problem: Problem, schema: TableSchema, rename: Mapping[str, str]) -> Problem:
    """A bad value in an optional column (an export's priority on its own scale): the fix adds that the column
    may be left out with --ignore-column, under the file's name for it."""
    found = _COLUMN_OF_PROBLEM.search(problem.where)
    if found is None or found.group(1) not in schema.names or schema.column(found.group(1)).required:
        return problem
    canonical = found.group(1)
    if canonical in rename:
        way = f"drop --column {canonical}={rename[canonical]}"
    else:
        way = f"--ignore-column {canonical}"
    fix = f"{problem.fix}, or leave the column out ({way}) if the planner need not read it"
    return Problem(problem.where, problem.what, fix)


def _name_joined(problem: Problem, rename: Mapping[str, str], joins: Mapping[str, list[str]]) -> Problem:
    """A problem in a joined column names the columns it was joined from."""
    where = problem.where
    for canonical, name in rename.items():
        if name in joins:
            where = where.replace(f"column '{canonical}'", f"column '{canonical}' ({' + '.join(joins[name])})")
    return Problem(where, problem.what, problem.fix)


def _exclude_rows(
    raw: pd.DataFrame, rows: RowRef, rules: Sequence[str], source: str, notes: list[str]
) -> tuple[pd.DataFrame, RowRef]:
    """Leave out the rows that match any of `rules` (`HistoryFormat.exclude`), saying how many each took."""
    if not rules:
        return raw, rows
    found = ", ".join(f"'{c}'" for c in raw.columns) or "none"
    problems = []
    masks = []
    for rule in rules:
        match = np.ones(len(raw), dtype=bool)
        for condition in rule.split(_AND):
            column, op, value = _condition(condition)
            if not column or op is None:
                problems.append(
                    Problem(
                        "--exclude",
                        f"'{rule}' is not COLUMN=VALUE or COLUMN!=VALUE (several joined by '{_AND}')",
                        "write e.g. --exclude outcome=PHANTOM",
                    )
                )
                break
            if column not in raw.columns:
                problems.append(
                    Problem("--exclude", f"column '{column}' is not in the file; columns found: {found}", "fix it")
                )
                break
            equal = (_cell_text(raw[column]).fillna("") == value).to_numpy(dtype=bool)
            match &= equal if op == "=" else ~equal
        masks.append(match)
    InputError.collect(source, problems)
    counts = [int(mask.sum()) for mask in masks]
    dropped = np.logical_or.reduce(masks)
    if not dropped.any():
        notes.append(f"--exclude {', '.join(rules)}: no row matched")
        return raw, rows
    each = ", ".join(f"{count:,} by {rule}" for rule, count in zip(rules, counts, strict=True))
    notes.append(f"{int(dropped.sum()):,} of {len(raw):,} rows were excluded ({each})")
    kept = np.flatnonzero(~dropped)
    return raw.iloc[kept].reset_index(drop=True), rows.subset(kept.tolist())


def _condition(text: str) -> tuple[str, str | None, str]:
    for op in ("!=", "="):
        column, sep, value = text.partition(op)
        if sep:
            return column.strip(), op, value.strip()
    return text.strip(), None, ""


def _repeated_ticket_ids(frame: pd.DataFrame, rows: RowRef) -> list[str]:
    """Ticket ids are optional and not used to count contacts: an id on several rows is said, not refused."""
    if "ticket_id" not in frame.columns:
        return []
    ids = frame["ticket_id"]
    repeated = (ids.notna() & ids.duplicated(keep="first")).to_numpy(dtype=bool)
    if not repeated.any():
        return []
    first = int(np.flatnonzero(repeated)[0])
    return [
        f"{int(repeated.sum()):,} row(s) repeat an earlier row's ticket_id (first {rows(first)}: "
        f"'{ids.iloc[first]}'); every row is counted as a contact"
    ]


#: A warning about repeated rows needs this many more than chance would give (and more than its spread).
_REPEATS_OVER_CHANCE = 3


def _repeated_rows(file: pd.DataFrame, frame: pd.DataFrame, own: set[str], rows: RowRef) -> list[str]:
    """Rows equal to an earlier row in every column of the file: warned about when they are more than chance
    would give. Chance: two contacts of a work type in the same hour fall on the same tick of the timestamps'
    resolution (a minute or a second) with probability 1 / ticks per hour, and agree on every other column with
    the probability that two rows picked at random from the file agree on it (columns taken as independent);
    the expected number of repeats is that of the occupancy problem with this many equally likely cells."""
    try:
        repeated = file.duplicated(keep="first").to_numpy(dtype=bool)
    except TypeError:  # cells that cannot be compared (lists in a Parquet file): no repeats are looked for
        return []
    count = int(repeated.sum())
    if count == 0:
        return []
    stamps = frame["created_at"]
    instants = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    tick_s = 60.0 if (instants % 60_000_000_000 == 0).all() else 1.0 if (instants % 1_000_000_000 == 0).all() else 1e-3
    agree = 1.0
    for column in file.columns:
        if column not in own:
            shares = file[column].astype("string").value_counts(normalize=True, dropna=False).to_numpy(dtype=float)
            agree *= float((shares**2).sum())
    cells = 3600.0 / tick_s / max(agree, 1e-300)
    per_hour = frame.groupby([frame["work_type"], instants // 3_600_000_000_000]).size().to_numpy(dtype=float)
    # Clipped at 0: with cells far beyond the contacts of an hour the difference is a rounding error of either sign.
    by_hour = per_hour - cells * -np.expm1(per_hour * np.log1p(-1.0 / cells))
    expected = float(np.maximum(by_hour, 0.0).sum()) if cells > 1 else 0.0
    if count <= expected + _REPEATS_OVER_CHANCE * (np.sqrt(expected) + 1):
        return []
    first = int(np.flatnonzero(repeated)[0])
    original = int(np.flatnonzero(file.iloc[: first + 1].duplicated(keep="last").to_numpy(dtype=bool))[0])
    return [
        f"{count:,} row(s) repeat an earlier row in every column (+{count / (len(file) - count):.1%} on the volume of "
        f"the distinct rows; chance explains about {expected:,.0f}), e.g. {rows(first)} repeats {rows(original)}: "
        "they are counted as contacts; if the export doubled them, remove the repeats"
    ]


#: The UTC offset at the end of a timestamp (after its time of day, as `UTC_OFFSET_PATTERN` finds it).
_OFFSET = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
#: The sizes of clock changes (DST) in use, in minutes.
_DST_STEPS = {30, 60, 120}


def _mixed_offsets(values: pd.Series, parsed: pd.Series, column: str, zone: str | None, centre: bool) -> list[str]:
    """Timestamps in several UTC offsets that no time zone's clock changes explain (interleaved, or apart by
    other than a clock change) are converted all the same, but said: two systems or sites may have been merged,
    or some offsets may be wrong. The offsets of the target zone itself (either side of DST) never are."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        return []
    text = values.loc[parsed.index].astype("string").str.strip()  # the rows kept
    written = text.str.extract(_OFFSET, expand=False)
    present = written.notna().to_numpy(dtype=bool) & parsed.notna().to_numpy(dtype=bool)
    if not present.any():
        return []
    codes, labels = pd.factorize(written[present])
    minutes = np.array([_offset_minutes(str(label)) for label in labels])[codes]
    distinct = np.unique(minutes)
    if distinct.size < 2:
        return []
    instants = parsed[present]
    if zone is not None:
        local = instants.dt.tz_convert(zone)
        own = (local.dt.tz_localize(None) - local.dt.tz_convert("UTC").dt.tz_localize(None)).dt.total_seconds()
        if (own.to_numpy() // 60 == minutes).all():
            return []
    order = np.argsort(instants.to_numpy(dtype="datetime64[ns]"), kind="stable")
    in_time = minutes[order]
    changes = np.flatnonzero(in_time[1:] != in_time[:-1])
    years = max(1.0, (instants.max() - instants.min()).days / 365.25)
    steps = {abs(int(in_time[i + 1] - in_time[i])) for i in changes}
    if changes.size <= 4 * np.ceil(years) and steps <= _DST_STEPS:
        return []  # a clock that changes a few times a year, by a clock change: another zone's DST
    counts = ", ".join(f"{_offset_label(int(m) * 60)} ({int((minutes == m).sum()):,} rows)" for m in distinct)
    target = f"the centre's zone {zone}" if centre else zone or "UTC"
    return [
        f"column '{column}' mixes UTC offsets that no clock change explains: {counts}; all were converted to "
        f"{target}: check that each offset is right (two systems or sites merged?)"
    ]


def _offset_minutes(text: str) -> int:
    if text.upper() == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0))


def _drop_skipped_intervals(
    frame: pd.DataFrame, original: pd.Series, source: str, rows: RowRef, notes: list[str]
) -> pd.DataFrame:
    """Interval counts are often reported on a full wall-clock grid, including the hour the clocks skip when
    DST starts. Such an interval that is empty is dropped (and noted); one that holds contacts is an error."""
    skipped = frame["interval_start"].isna().to_numpy()
    if not skipped.any():
        return frame
    busy = np.flatnonzero(skipped & (frame["volume"].to_numpy() > 0))
    if busy.size:
        first = int(busy[0])
        raise InputError(
            source,
            Problem(
                f"{rows(first)}, column 'interval_start'",
                f"'{original.iloc[first]}' does not exist in {frame['interval_start'].dt.tz} (the clocks skip it "
                f"when DST starts) yet holds {frame['volume'].iloc[first]:g} contacts ({busy.size:,} such row(s))",
                "these timestamps are probably in another zone: give it with --history-tz (e.g. UTC) or add offsets",
            ),
        )
    notes.append(
        f"{int(skipped.sum()):,} empty interval(s) at wall-clock times the clocks skip (DST) were dropped, "
        f"e.g. {rows(int(np.flatnonzero(skipped)[0]))} '{original.iloc[int(np.flatnonzero(skipped)[0])]}'"
    )
    return frame.loc[~skipped]


def _had_naive_timestamps(raw: pd.DataFrame, rename: Mapping[str, str], column: str) -> bool:
    values = raw[rename.get(column, column)]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return False
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return True
    text = values.astype("string").str.strip()
    present = (text.notna() & (text != "")).to_numpy(dtype=bool)
    has_offset = text.str.contains(UTC_OFFSET_PATTERN, na=False).to_numpy(dtype=bool)
    return bool((present & ~has_offset).any())


def _history_problems(frame: pd.DataFrame, kind: HistoryKind, center: Center | None, rows: RowRef) -> Iterator[Problem]:
    if center is not None:
        yield from _unknown_values(frame, "work_type", [w.id for w in center.work_types], rows, "work type")
        if center.customer_tiers and "customer_tier" in frame.columns:
            tiers = [t.id for t in center.customer_tiers]
            yield from _unknown_values(frame, "customer_tier", tiers, rows, "customer tier")
        if center.regions and "region" in frame.columns:
            yield from _unknown_values(frame, "region", center.regions, rows, "region")
    if kind == "tickets":
        created = frame["created_at"]
        for later in ("first_response_at", "resolved_at"):
            if later in frame.columns:
                before = (frame[later] < created).fillna(False).to_numpy(dtype=bool)
                positions = np.flatnonzero(before)
                if positions.size:
                    yield Problem(
                        f"{rows(int(frame.index[positions[0]]))}, column '{later}'",
                        f"is before created_at in {positions.size:,} row(s)",
                        "check both timestamps are in the same zone",
                    )


def _unknown_values(frame: pd.DataFrame, column: str, known: list[str], rows: RowRef, label: str) -> Iterator[Problem]:
    values = frame[column]
    unknown = values.notna() & ~values.isin(known)
    if unknown.any():
        counts = values[unknown].value_counts()
        for value, count in counts.head(10).items():
            first = int(np.flatnonzero((values == value).to_numpy(dtype=bool))[0])
            yield Problem(
                f"{rows(int(frame.index[first]))}, column '{column}'",
                f"'{value}' is not a {label} of the centre ({count:,} row(s)); known: {', '.join(sorted(known))}",
                f"fix the rows or add the {label} to the centre configuration",
            )


def _interval_minutes(frame: pd.DataFrame, source: str, rows: RowRef) -> int | None:
    """The resolution of interval counts: the step of their regular grid (1-60 minutes, dividing an hour)."""
    stamps = frame["interval_start"]
    instants = np.unique(stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64) // 60_000_000_000)
    if instants.size < 2:
        return None
    step = int(np.gcd.reduce(np.diff(instants)))
    if step not in INTERVAL_MINUTES_CHOICES:
        raise InputError(
            source,
            Problem(
                "column 'interval_start'",
                f"the interval starts are not on a regular grid that divides an hour (their common step is {step} min)",
                "give counts per 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60 minutes",
            ),
        )
    local = stamps.dt
    off_grid = ((local.minute % step != 0) | (local.second != 0)).to_numpy(dtype=bool)
    if off_grid.any():
        first = int(np.flatnonzero(off_grid)[0])
        raise InputError(
            source,
            Problem(
                f"{rows(int(frame.index[first]))}, column 'interval_start'",
                f"{stamps.iloc[first]} is not on the {step}-min grid",
                "interval starts must fall on whole multiples of the interval within the hour",
            ),
        )
    return step


# -- centre configuration ---------------------------------------------------------------------------------------


def load_center(path: str | Path) -> Center:
    """Read a centre from YAML. Problems name the line and path (``line 42, agents[3].skills[0]``)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), Problem("", "no such file", "check the path"))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(str(path), Problem("", "the file is not UTF-8 text", "save it as UTF-8")) from None
    return center_from_yaml(text, str(path))


def center_from_yaml(text: str, source: str) -> Center:
    """A centre from YAML text (`source` names it in problems, e.g. an uploaded file's name), as `load_center`."""
    data, lines = parse_yaml_mapping(
        text,
        source,
        "the centre configuration must be a YAML mapping (name: ..., agents: ...)",
        "start from the demo centre: wfm demo --out DIR writes one",
    )
    center = validate_with_lines(Center, data, lines, source)
    for finding in center.lint():
        warnings.warn(f"{source}: {_with_line(finding, lines)}", InputWarning, stacklevel=2)
    return center


_Model = TypeVar("_Model", bound=BaseModel)


def read_yaml_mapping(path: str | Path, what: str, fix: str) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML file that must hold a mapping (`what` says which, `fix` what to do otherwise), and the line of each
    path in it (``agents[3].skills``, for `validate_with_lines`). Unreadable files and bad YAML are a
    `ConfigError` naming the line."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ConfigError(source, Problem("", "no such file", "check the path"))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(source, Problem("", "the file is not UTF-8 text", "save it as UTF-8")) from None
    return parse_yaml_mapping(text, source, what, fix)


def parse_yaml_mapping(text: str, source: str, what: str, fix: str) -> tuple[dict[str, Any], dict[str, int]]:
    """`read_yaml_mapping` of YAML text; `source` names it in problems."""
    try:
        node, data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, Problem(where, f"is not valid YAML: {problem}", "fix the YAML syntax")) from None
    except RecursionError:
        raise ConfigError(source, Problem("", "nests lists or mappings too deeply", "fix the YAML structure")) from None
    if not isinstance(data, dict):
        kinds = {list: "a list", str: "a single text value", int: "a number", float: "a number", bool: "a boolean"}
        found = "an empty file" if data is None else kinds.get(type(data), f"a {type(data).__name__}")
        raise ConfigError(source, Problem("", f"{what}, not {found}", fix))
    return data, _yaml_lines(node)


def validate_with_lines(model: type[_Model], data: Any, lines: Mapping[str, int], source: str) -> _Model:
    """`model.model_validate(data)`, its problems a `ConfigError` of `source` naming the line of each."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_validation_problem(e, lines) for e in exc.errors()]) from None
    except ConfigError as exc:
        raise ConfigError(source, [_with_line(p, lines) for p in exc.problems]) from None


def locate_in_yaml(path: str | Path, problems: Iterable[Problem]) -> list[Problem]:
    """Problems found later in a YAML file read from `path` (a centre, a scenario file; their place a path such as
    ``agents[3].availability``, optionally followed by a label: ``shift_templates[0] ('early')``), with the YAML
    line added as `load_center` adds it to its own. Problems stay as they are where the file cannot be read
    again."""
    listed = list(problems)
    try:
        node, _ = _parse_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return listed
    lines = _yaml_lines(node)
    located = []
    for problem in listed:
        line = _line_of(problem.where.partition(" ")[0], lines)
        where = f"line {line}, {problem.where}" if line is not None and problem.where else problem.where
        located.append(Problem(where, problem.what, problem.fix))
    return located


def dump_center(center: Center) -> str:
    """The centre as YAML text (stable key order, so the same centre always gives the same bytes)."""
    data = center.model_dump(mode="json", exclude_defaults=True)
    return yaml.dump(data, Dumper=_SAFE_DUMPER, sort_keys=False, allow_unicode=True, width=110)


# libyaml's safe loader and dumper when PyYAML was built with it (4-5x faster on a 1,000-agent centre).
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _CenterLoader(_SAFE_LOADER):  # type: ignore[valid-type,misc]  # one of two loader classes
    """The safe loader, with values YAML's grammar accepts but Python cannot build (``2026-02-30``) reported as
    YAML errors at their line instead of escaping as ValueError."""


def _checked_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a valid date or time ({exc})", node.start_mark
        ) from None


_CenterLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)


def _parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once into the node tree (for line numbers) and build the data from it, with a safe loader."""
    loader = _CenterLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _yaml_lines(node: yaml.Node | None) -> dict[str, int]:
    """Map each path in a YAML document (``agents[3].skills``) to its 1-based line. A node reached again through
    an alias (``*x``, perhaps inside itself) is not walked again: its paths there take their parent's line."""
    lines: dict[str, int] = {}
    seen: set[int] = set()

    def walk(current: yaml.Node, path: str) -> None:
        lines[path] = current.start_mark.line + 1
        if id(current) in seen:
            return
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                name = str(key.value)
                child = f"{path}.{name}" if path else name
                lines[child] = key.start_mark.line + 1
                walk(value, child)
                lines[child] = key.start_mark.line + 1
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                walk(item, f"{path}[{i}]")

    if node is not None:
        walk(node, "")
    return lines


def _loc_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _line_of(path: str, lines: Mapping[str, int]) -> int | None:
    probe = path
    while probe:
        if probe in lines:
            return lines[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return None


def _with_line(problem: Problem, lines: Mapping[str, int]) -> Problem:
    line = _line_of(problem.where, lines)
    where = f"line {line}, {problem.where}" if line is not None and problem.where else problem.where
    return Problem(where, problem.what, problem.fix)


def _validation_problem(error: Mapping[str, Any], lines: Mapping[str, int]) -> Problem:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = _loc_path(loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown field '{loc[-1]}'"
        fix = "remove it or check its spelling against docs/architecture.md"
    elif error["type"] == "missing":
        fix = "add it"
    else:
        message, fix = _split_fix(message, error, path)
    return _with_line(Problem(path, message, fix), lines)


def _split_fix(message: str, error: Mapping[str, Any], path: str) -> tuple[str, str]:
    """What is wrong and what to do: our validators write ``what; fix``, pydantic's own messages say what the
    value should be (``Input should be greater than 0``)."""
    what, separator, fix = message.partition("; ")
    if separator:
        return what, fix
    found = error.get("input")
    if isinstance(found, str | int | float):
        message = f"{message} (found {found!r})"
    if error["type"] == "string_pattern_mismatch":
        return message, "use only letters, digits, '_', '.', ':' and '-', starting with a letter or a digit"
    if message.startswith("Input should be "):
        wanted = message.removeprefix("Input should be ").split(" (found ")[0]
        return message, f"make {path or 'it'} {wanted}"
    return message, f"correct {path or 'the value'}"


# -- writing ----------------------------------------------------------------------------------------------------


def check_output_file(path: str | Path, flag: str = "--out", *, table: bool = True) -> Path:
    """Check, before any work, that a file can be written at `path`: not a folder, a table format where `table`,
    inside a folder that exists or can be made, and writable. Raises InputError naming `flag`."""
    target = Path(path)
    if target.is_dir():
        raise InputError(str(path), Problem(flag, "is a folder", "give the path of a file to write"))
    if table:
        _file_format(target)
    _check_writable_place(target, flag)
    return target


def check_output_folder(path: str | Path, flag: str = "--out") -> Path:
    """Check, before any work, that `path` is a folder the outputs can be written into: not a file, and either
    a writable folder or one that can be made. Raises InputError naming `flag`."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(
            str(path), Problem(flag, "is a file, not a folder", "give a folder to write into (new or existing)")
        )
    _check_writable_place(target, flag)
    return target


def _check_writable_place(target: Path, flag: str) -> None:
    """The nearest existing folder on the way to `target` (or `target` itself) is a folder and writable."""
    place = target if target.is_dir() else target.parent
    while not place.exists():
        place = place.parent
    if not place.is_dir():
        raise InputError(
            str(target), Problem(flag, f"'{place}' on its path is a file, not a folder", "give a path through folders")
        )
    if not os.access(place, os.W_OK | os.X_OK):
        raise InputError(
            str(target), Problem(flag, f"the folder '{place}' cannot be written", "give a folder you may write into")
        )


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` then rename `tmp` over `path`; on any failure `path` is untouched."""
    return write_files({path: write})[0]


def _read_umask() -> int:
    # Reading the umask means setting it; done once, at import, before any thread writes files.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_files(
    outputs: Mapping[str | Path, Callable[[Path], None]], *, stale: Iterable[str | Path] = ()
) -> list[Path]:
    """Write several files so that either all appear or none does: all are written to temporary files first,
    and only when every one succeeded are they renamed into place. `stale`: files that a previous run of the same
    job may have left and that belong to it (the calendar of an agent no longer rostered): those this run does not
    write are removed once every output is in place."""
    written = _write_all(outputs)
    keep = {os.path.abspath(p) for p in written}
    for old in stale:
        if os.path.abspath(old) not in keep:
            with contextlib.suppress(FileNotFoundError):
                Path(old).unlink()
    return written


#: Temporary files being written now (`discard_staged_files`).
_STAGED: set[Path] = set()


def discard_staged_files() -> None:
    """Remove the temporary files of the writes under way: for a process about to exit at once (a second Ctrl-C),
    so that no half-written `.NAME.*.tmp` is left beside the outputs."""
    for tmp in list(_STAGED):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_all(outputs: Mapping[str | Path, Callable[[Path], None]]) -> list[Path]:
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in outputs.items():
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            staged.append((Path(tmp_name), path))
            _STAGED.add(Path(tmp_name))
            write(Path(tmp_name))
        mode = 0o666 & ~_UMASK  # mkstemp makes private files; outputs get the usual permissions
        for tmp, path in staged:
            os.chmod(tmp, mode)
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            _STAGED.discard(tmp)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return [path for _, path in staged]


def text_writer(text: str) -> Callable[[Path], None]:
    """A writer for `write_files`/`atomic_write` of UTF-8 text."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return write


def table_writer(frame: pd.DataFrame, schema: TableSchema, path: str | Path) -> Callable[[Path], None]:
    """A writer for `write_files`/`atomic_write` of `frame` as `schema`, in the format `path`'s suffix names."""
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        raise ValueError(f"cannot write a {schema.name} table without column(s) {', '.join(missing)}")
    ordered = frame[[*[c for c in schema.names if c in frame.columns], *[c for c in frame if c not in schema.names]]]
    kind = _file_format(Path(path))
    if kind == "parquet":
        encoded = _encode_json_columns(ordered, schema)
        return lambda tmp: encoded.to_parquet(tmp, index=False)
    text = _csv_frame(ordered, schema)
    return lambda tmp: text.to_csv(tmp, index=False, lineterminator="\n")


def write_table(frame: pd.DataFrame, schema: TableSchema, path: str | Path) -> Path:
    """Write one table contract atomically as CSV or Parquet (by the suffix of `path`)."""
    return atomic_write(path, table_writer(frame, schema, path))


def _encode_json_columns(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    out = frame.copy()
    for column in schema.columns:
        if column.kind is Kind.JSON and column.name in out:
            out[column.name] = [json.dumps(v, default=str) for v in out[column.name]]
    return out


def _csv_frame(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Columns formatted for CSV: ISO 8601 timestamps with their UTC offset, ISO dates, JSON text, and whole
    numbers without a trailing '.0' (other floats keep Python's shortest round-tripping text)."""
    out = _encode_json_columns(frame, schema)
    for name in out.columns:
        values = out[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[name] = format_timestamps(values)
        elif pd.api.types.is_float_dtype(values.dtype):
            numbers = values.to_numpy(dtype=float)
            finite = numbers[np.isfinite(numbers)]
            if np.array_equal(finite, np.round(finite)) and (np.abs(finite) < 2**53).all():
                out[name] = values.astype("Int64")
            else:  # Python's shortest text that reads back to the same float, whatever pandas' own formatting
                out[name] = [repr(float(v)) if np.isfinite(v) else "" for v in numbers]
    return out


def format_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 text (``2026-03-29T09:15:00+01:00``), with fractions of a second only where there are any."""
    aware = isinstance(values.dtype, pd.DatetimeTZDtype)
    wall = values.dt.tz_localize(None) if aware else values
    text = wall.astype(str).str.replace(" ", "T", n=1, regex=False)
    if aware:
        offset_s = (
            wall.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            - values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)
        ) // 1_000_000_000
        labels = {int(o): _offset_label(int(o)) for o in np.unique(offset_s[values.notna().to_numpy()])}
        text = text + pd.Series([labels.get(int(o), "") for o in offset_s], index=values.index)
    return text.where(values.notna(), "")


def _offset_label(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
