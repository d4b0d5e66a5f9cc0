"""Table contracts (DESIGN.md) and the parsing that turns raw columns into typed, checked ones.

A `TableSchema` names a table's columns, their kinds and constraints. `parse_table` takes a raw DataFrame
(strings from CSV, typed columns from Parquet), renames user columns to the canonical names, converts every
known column and reports *all* bad cells at once, each with its row, column and what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import pandas as pd

from models.errors import InputError, Problem

__all__ = [
    "AGENT_QUALITY",
    "ASSIGNMENT",
    "BACKTEST_METRICS",
    "COVERAGE",
    "FORECAST",
    "INTERVAL_HISTORY",
    "OPEN_TICKETS",
    "REQUIREMENT",
    "ROSTER",
    "SCHEMAS",
    "TICKET_HISTORY",
    "Column",
    "Kind",
    "RowRef",
    "SkippedTimes",
    "UTC_OFFSET_PATTERN",
    "TableSchema",
    "parse_table",
]

#: Timestamps outside these bounds are certainly typing mistakes (and would not fit a nanosecond clock).
EARLIEST_TIMESTAMP = pd.Timestamp("1900-01-01")
LATEST_TIMESTAMP = pd.Timestamp("2200-01-01")
#: How many example rows a problem lists.
EXAMPLE_ROWS = 5

UTC_OFFSET_PATTERN = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


#: What to do with naive wall-clock times that the clocks skip when DST starts.
SkippedTimes = Literal["error", "null"]


class Kind(StrEnum):
    TIMESTAMP = "timestamp"
    DATE = "date"
    STRING = "string"
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    JSON = "json"


@dataclass(frozen=True)
class Column:
    """A column of a table contract. Numeric bounds are inclusive (`minimum`) or exclusive (`above`)."""

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    above: float | None = None
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    unique_key: bool = False
    allow_empty: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: Kind, **kwargs: Any) -> Column:
    return Column(name, kind, **kwargs)


def _opt(name: str, kind: Kind, **kwargs: Any) -> Column:
    return Column(name, kind, required=False, nullable=True, **kwargs)


T, D, S, F, INT, J = Kind.TIMESTAMP, Kind.DATE, Kind.STRING, Kind.FLOAT, Kind.INT, Kind.JSON

TICKET_HISTORY = TableSchema(
    "ticket history",
    (
        _c("created_at", T, description="when the contact arrived"),
        _c("work_type", S, description="the work type (queue) id"),
        _opt("ticket_id", S),
        _opt("handle_time_s", F, above=0, description="handle time in seconds; blank if not handled"),
        _opt("priority", INT, minimum=1, maximum=9),
        _opt("customer_tier", S),
        _opt("region", S),
        _opt("channel", S),
        _opt("first_response_at", T, description="first answer or reply; the wait is first_response_at - created_at"),
        _opt("resolved_at", T, description="when the contact was resolved (closed)"),
        _opt("agent_id", S, description="who handled the contact (the roster's agent_id where there is a roster)"),
        _opt(
            "abandoned",
            Kind.BOOL,
            description="the customer gave up before an answer (a realtime contact with neither first_response_at "
            "nor resolved_at counts as abandoned too)",
        ),
        _opt("reopened", Kind.BOOL, description="the customer came back on the same matter (not resolved at once)"),
        _opt("csat", F, minimum=0, description="the customer's satisfaction score (any scale, e.g. 1-5); blank: none"),
    ),
)
INTERVAL_HISTORY = TableSchema(
    "interval history",
    (
        _c("interval_start", T),
        _c("work_type", S),
        _c("volume", F, minimum=0, description="contacts that arrived in the interval"),
        _opt("aht_s", F, above=0, description="average handle time in seconds"),
    ),
    key=("interval_start", "work_type"),
    unique_key=True,
)
FORECAST = TableSchema(
    "forecast",
    (
        _c("interval_start", T),
        _c("work_type", S),
        _c("volume", F, minimum=0),
        _c("volume_p10", F, minimum=0),
        _c("volume_p50", F, minimum=0),
        _c("volume_p90", F, minimum=0),
        _c("aht_s", F, nullable=True, above=0, description="blank where no handle time is known"),
    ),
    key=("interval_start", "work_type"),
    unique_key=True,
)
REQUIREMENT = TableSchema(
    "requirement",
    (
        _c("interval_start", T),
        _c("work_type", S),
        _c("workload_erlangs", F, minimum=0),
        _c("required_agents", F, minimum=0),
        _c("required_agents_int", INT, minimum=0),
        _c("expected_service_level", F, nullable=True, minimum=0, maximum=1),
        _opt("volume", F, minimum=0),
        _opt("aht_s", F, above=0),
        _opt("shrinkage", F, minimum=0, maximum=1),
        _opt("required_agents_with_shrinkage", F, minimum=0),
        _opt("method", S, description="erlang_c, erlang_a, chat or deferred"),
        _opt("deadline", T, description="deferred work: when the work arriving in the interval is due"),
        _opt("aht_factor", F, above=0, description="effective handle time over aht_s (proficiency, calibration)"),
    ),
    key=("interval_start", "work_type"),
    unique_key=True,
)
ROSTER = TableSchema(
    "roster",
    (
        _c("agent_id", S),
        _c("date", D),
        _c("start", T),
        _c("end", T),
        _c("shift_template", S),
        _c("breaks", J, description="JSON list of [start, end] ISO timestamps"),
        _c("paid_minutes", INT, minimum=0),
        _opt("pinned", Kind.BOOL, description="fixed before solving (published, or pinned by a supervisor)"),
        # The changes of an intraday re-plan (docs/roster.md); a blank cell or a missing column is 0 / none.
        _opt(
            "overtime_minutes",
            INT,
            minimum=0,
            description="minutes worked beyond the template length (the shift was extended: `end` includes them)",
        ),
        _opt(
            "vto_minutes",
            INT,
            minimum=0,
            description="voluntary time off cut from the end of the shift (unpaid: `end` is the earlier end)",
        ),
        _opt("absences", J, description="JSON list of [start, end] ISO timestamps inside the shift when absent"),
    ),
    key=("agent_id", "date"),
    unique_key=True,
    allow_empty=True,
)
COVERAGE = TableSchema(
    "coverage",
    (
        _c("interval_start", T),
        _c("skill", S),
        _c("required", F, minimum=0),
        _c("scheduled", F, minimum=0),
        _c("shortfall", F, minimum=0),
        _c("surplus", F, minimum=0),
    ),
    key=("interval_start", "skill"),
    unique_key=True,
)
OPEN_TICKETS = TableSchema(
    "open tickets",
    (
        _c("ticket_id", S),
        _c("work_type", S),
        _c("created_at", T),
        _opt("priority", INT, minimum=1, maximum=9),
        _opt("due_at", T),
        _opt("est_handle_time_s", F, above=0),
        _opt("customer_tier", S),
        _opt("region", S),
        _opt("assigned_agent", S),
    ),
    key=("ticket_id",),
    unique_key=True,
    allow_empty=True,
)
ASSIGNMENT = TableSchema(
    "assignment",
    (
        _c("ticket_id", S),
        _c("agent_id", S, nullable=True),
        _c("planned_start", T, nullable=True),
        _c("planned_end", T, nullable=True),
        _c("due_at", T, nullable=True),
        _c("predicted_late_s", F, nullable=True, minimum=0),
        _opt("reason", S),
    ),
    key=("ticket_id",),
    unique_key=True,
    allow_empty=True,
)
AGENT_QUALITY = TableSchema(
    "agent quality",
    (
        _c("agent_id", S),
        _c("work_type", S),
        _c("score", F, minimum=0, maximum=1, description="1 = the best; preferred for high-tier customers"),
    ),
    key=("agent_id", "work_type"),
    unique_key=True,
    allow_empty=True,
)
BACKTEST_METRICS = TableSchema(
    "backtest metrics",
    (
        _c("work_type", S),
        _c("model", S),
        _c("wape", F, nullable=True),
        _c("mase", F, nullable=True),
        _c("bias", F, nullable=True),
        _c("coverage_p10_p90", F, nullable=True),
        _c("poisson_floor", F, nullable=True),
        _c("ratio_to_naive", F, nullable=True),
        _c("ratio_to_baseline", F, nullable=True),
        _c("selected_model", S, nullable=True),
        _c("origins", INT),
        _c("actual_volume", F),
    ),
    key=("work_type", "model"),
    unique_key=True,
)

SCHEMAS = {
    s.name: s
    for s in (
        TICKET_HISTORY,
        INTERVAL_HISTORY,
        FORECAST,
        REQUIREMENT,
        ROSTER,
        COVERAGE,
        OPEN_TICKETS,
        ASSIGNMENT,
        AGENT_QUALITY,
        BACKTEST_METRICS,
    )
}


@dataclass(frozen=True)
class RowRef:
    """How to name data row ``i`` (0-based) of a file: CSV rows also get their line number (header = line 1).

    `kept` maps the rows of a table that some of the file's rows were taken out of to the file's rows, so
    that problems still name the file's own rows and lines."""

    csv: bool = True
    kept: tuple[int, ...] | None = None

    def __call__(self, i: int) -> str:
        n = self.kept[i] if self.kept is not None else i
        return f"row {n + 1} (line {n + 2})" if self.csv else f"row {n + 1}"

    def subset(self, positions: Sequence[int]) -> RowRef:
        """The rows of a table made of this one's rows at `positions` (in order)."""
        kept = tuple(self.kept[p] for p in positions) if self.kept is not None else tuple(int(p) for p in positions)
        return RowRef(csv=self.csv, kept=kept)


def parse_table(
    raw: pd.DataFrame,
    schema: TableSchema,
    source: str,
    *,
    rows: RowRef | None = None,
    rename: Mapping[str, str] | None = None,
    timezone: str | None = None,
    assume_timezone: str | None = None,
    time_format: str | None = None,
    skipped_times: SkippedTimes = "error",
) -> pd.DataFrame:
    """Check and convert `raw` to `schema`; raise one `InputError` listing every problem.

    `rename` maps canonical names to the file's names (``{"created_at": "opened"}``). Timestamps with an
    offset are converted to `timezone`; naive ones are read as wall-clock time in `assume_timezone`
    (default: `timezone`) and then converted. With no zone at all, naive timestamps stay naive and aware ones
    are converted to UTC. A naive wall-clock time that the clocks skip (DST) is an error, or with
    ``skipped_times="null"`` a missing value for the caller to judge. Columns the schema does not name pass
    through untouched.
    """
    rows = rows or RowRef()
    frame = _apply_rename(raw, schema, source, rename or {})
    missing = [name for name in schema.required if name not in frame.columns]
    if missing:
        found = ", ".join(f"'{c}'" for c in raw.columns) or "none"
        raise InputError(
            source,
            [
                Problem(
                    "header",
                    f"missing required column '{name}' for a {schema.name} table (columns found: {found})",
                    f"add the column, or if it has another name map it with --column {name}=YOUR_NAME",
                )
                for name in missing
            ],
        )
    if len(frame) == 0 and not schema.allow_empty:
        raise InputError(source, Problem("", f"the {schema.name} has no rows", "give a file with data rows"))

    problems: list[Problem] = []
    out = frame.copy()
    for column in schema.columns:
        if column.name not in frame.columns:
            continue
        parsed, column_problems = _parse_column(
            frame[column.name],
            column,
            rows,
            timezone=timezone,
            assume_timezone=assume_timezone,
            fmt=time_format,
            skipped_times=skipped_times,
        )
        out[column.name] = parsed
        problems += column_problems
    InputError.collect(source, problems)
    if schema.unique_key and all(k in out.columns for k in schema.key):
        InputError.collect(source, _duplicate_keys(out, schema, rows))
    return out


def _apply_rename(raw: pd.DataFrame, schema: TableSchema, source: str, rename: Mapping[str, str]) -> pd.DataFrame:
    problems = []
    for canonical, theirs in rename.items():
        if canonical not in schema.names:
            problems.append(
                Problem(
                    "--column",
                    f"'{canonical}' is not a column of a {schema.name} table",
                    f"map one of: {', '.join(schema.names)}",
                )
            )
        elif theirs not in raw.columns:
            problems.append(
                Problem(
                    "--column",
                    f"column '{theirs}' (mapped to '{canonical}') is not in the file; columns found: "
                    f"{', '.join(map(str, raw.columns))}",
                    "fix the mapping",
                )
            )
    InputError.collect(source, problems)
    # A column already carrying a canonical name that is mapped from elsewhere is set aside, not duplicated.
    frame = raw.drop(columns=[c for c in rename if c in raw.columns and rename[c] != c])
    return frame.rename(columns={theirs: canonical for canonical, theirs in rename.items()})


def _duplicate_keys(frame: pd.DataFrame, schema: TableSchema, rows: RowRef) -> Iterator[Problem]:
    key = list(schema.key)
    # Rows with a missing key part are reported (or handled) elsewhere, not as duplicates of each other.
    dup = frame.duplicated(subset=key, keep="first") & frame[key].notna().all(axis=1)
    if dup.any():
        positions = np.flatnonzero(dup.to_numpy())
        first = int(positions[0])
        values = ", ".join(f"{k}={frame[k].iloc[first]}" for k in key)
        yield Problem(
            rows(first),
            f"repeats the key ({values}) of an earlier row{_more(positions, rows)}",
            f"each ({', '.join(key)}) may appear once; remove or merge the duplicates",
        )


def _more(positions: np.ndarray, rows: RowRef) -> str:
    if positions.size <= 1:
        return ""
    others = [rows(int(p)).split(" (")[0] for p in positions[1:EXAMPLE_ROWS]]
    extra = positions.size - 1 - len(others)
    tail = f" and {extra:,} more" if extra > 0 else ""
    return f" (same problem in {', '.join(others)}{tail})"


def _bad(mask: np.ndarray, column: str, rows: RowRef, what: Any, fix: str, values: pd.Series) -> list[Problem]:
    """One problem for all rows in `mask`, quoting the first bad value."""
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        return []
    first = int(positions[0])
    value = values.iloc[first]
    text = what(value) if callable(what) else str(what)
    return [Problem(f"{rows(first)}, column '{column}'", text + _more(positions, rows), fix)]


def _as_text(values: pd.Series) -> pd.Series:
    """Values as stripped strings, with missing values (None, NaN, blank) as NA."""
    text = values.astype("string").str.strip()
    return text.mask(text == "", pd.NA)


def _parse_column(
    values: pd.Series,
    column: Column,
    rows: RowRef,
    *,
    timezone: str | None,
    assume_timezone: str | None,
    fmt: str | None,
    skipped_times: SkippedTimes,
) -> tuple[pd.Series, list[Problem]]:
    if column.kind is Kind.TIMESTAMP:
        parsed, problems = _parse_timestamps(values, column.name, rows, timezone, assume_timezone, fmt, skipped_times)
    elif column.kind is Kind.DATE:
        parsed, problems = _parse_dates(values, column.name, rows)
    elif column.kind in (Kind.FLOAT, Kind.INT):
        parsed, problems = _parse_numbers(values, column, rows)
    elif column.kind is Kind.BOOL:
        parsed, problems = _parse_bools(values, column.name, rows)
    elif column.kind is Kind.JSON:
        parsed, problems = _parse_json(values, column.name, rows)
    else:
        parsed, problems = _as_text(values), []
    if not column.nullable:
        # Only cells that were blank in the file; unparsable ones are already reported.
        typed = pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(values.dtype)
        blank = values.isna() if typed else _as_text(values).isna()
        problems = problems + _bad(
            blank.to_numpy(dtype=bool), column.name, rows, "is empty", f"every row needs a {column.name}", values
        )
    return parsed, problems


def _parse_numbers(values: pd.Series, column: Column, rows: RowRef) -> tuple[pd.Series, list[Problem]]:
    name = column.name
    if pd.api.types.is_bool_dtype(values.dtype):
        numbers = pd.Series(np.nan, index=values.index)
        bad = np.ones(len(values), dtype=bool)
    else:
        present = values.notna().to_numpy()
        if pd.api.types.is_numeric_dtype(values.dtype):
            numbers = values.astype("float64")
        else:
            text = _as_text(values)
            present = text.notna().to_numpy()
            try:  # exact (shortest round-trip text reads back to the same float) on every pandas
                numbers = text.astype("float64")
            except (ValueError, TypeError):  # some cell is not a number: each is reported below
                numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = present & numbers.isna().to_numpy()
    problems = _bad(bad, name, rows, lambda v: f"'{v}' is not a number", f"write {name} as a plain number", values)
    arr = numbers.to_numpy()
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(arr)
        problems += _bad(infinite, name, rows, lambda v: f"'{v}' is not a finite number", "use a finite value", values)
        checks = [
            (column.minimum, arr < (column.minimum or 0), "below the minimum", ">="),
            (column.above, arr <= (column.above or 0), "not above", ">"),
            (column.maximum, arr > (column.maximum or 0), "above the maximum", "<="),
        ]
        for bound, mask, label, op in checks:
            if bound is not None:
                problems += _bad(
                    mask & ~infinite,
                    name,
                    rows,
                    lambda v, label=label, bound=bound: f"{v} is {label} {bound:g}",
                    f"{name} must be {op} {bound:g}",
                    values,
                )
        if column.kind is Kind.INT:
            fractional = np.isfinite(arr) & (arr != np.round(arr))
            problems += _bad(fractional, name, rows, lambda v: f"{v} is not a whole number", "use an integer", values)
    if column.kind is Kind.INT and not problems:
        return numbers.astype("Int64"), problems
    return numbers, problems


def _parse_bools(values: pd.Series, name: str, rows: RowRef) -> tuple[pd.Series, list[Problem]]:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean"), []
    text = _as_text(values).str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    result[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    bad = text.notna().to_numpy() & result.isna().to_numpy()
    return result, _bad(bad, name, rows, lambda v: f"'{v}' is not true/false", "write true or false", values)


def _parse_json(values: pd.Series, name: str, rows: RowRef) -> tuple[pd.Series, list[Problem]]:
    parsed: list[Any] = []
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.tolist()):
        if isinstance(value, str):
            try:
                parsed.append(json.loads(value))
            except ValueError:
                parsed.append(None)
                bad[i] = True
        elif value is None or (isinstance(value, float) and np.isnan(value)):
            parsed.append(None)
        else:
            parsed.append(value.tolist() if isinstance(value, np.ndarray) else value)
    problems = _bad(bad, name, rows, lambda v: f"'{v}' is not valid JSON", "write a JSON value, e.g. []", values)
    return pd.Series(parsed, index=values.index, dtype=object), problems


def _parse_dates(values: pd.Series, name: str, rows: RowRef) -> tuple[pd.Series, list[Problem]]:
    text = _as_text(values)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    bad = text.notna().to_numpy() & parsed.isna().to_numpy()
    problems = _bad(bad, name, rows, lambda v: f"'{v}' is not a date", "write dates as YYYY-MM-DD", values)
    dates = pd.Series([None if pd.isna(v) else v.date() for v in parsed], index=values.index, dtype=object)
    return dates, problems


def _parse_timestamps(
    values: pd.Series,
    name: str,
    rows: RowRef,
    timezone: str | None,
    assume_timezone: str | None,
    fmt: str | None,
    skipped_times: SkippedTimes = "error",
) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    naive_zone = assume_timezone or timezone
    wrong_year = np.zeros(len(values), dtype=bool)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert("UTC")
        aware = True
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        stamps, aware = values, False
    else:
        text = _as_text(values)
        present = text.notna().to_numpy()
        has_offset = text.str.contains(UTC_OFFSET_PATTERN, na=False).to_numpy()
        aware = bool(has_offset[present].all()) if present.any() else False
        if present.any() and has_offset[present].any() and not aware:
            minority = has_offset if has_offset[present].sum() * 2 < present.sum() else present & ~has_offset
            problems += _bad(
                minority,
                name,
                rows,
                lambda v: f"'{v}' mixes timestamps with and without a UTC offset in one column",
                "write every timestamp with an offset (2024-03-01T09:15:00+01:00) or every one without",
                values,
            )
            return pd.Series(pd.NaT, index=values.index), problems
        stamps = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce", utc=aware)
        # A year outside the range is reported as such, whether or not this pandas can represent it.
        year = pd.to_numeric(text.str.extract(r"^(\d{4})-", expand=False), errors="coerce").to_numpy(dtype=float)
        wrong_year = present & ((year < EARLIEST_TIMESTAMP.year) | (year >= LATEST_TIMESTAMP.year))
        stamps = stamps.mask(pd.Series(wrong_year, index=stamps.index))
        unparsed = present & stamps.isna().to_numpy() & ~wrong_year
        hint = f"match the format '{fmt}'" if fmt else "write ISO 8601 (2024-03-01 09:15:00) or give --time-format"
        problems += _bad(unparsed, name, rows, lambda v: f"'{v}' is not a timestamp", hint, values)
        if not aware and isinstance(stamps.dtype, pd.DatetimeTZDtype):
            # pandas read a UTC offset in a form the offset pattern does not know (e.g. "+0"): refuse it plainly.
            problems += _bad(
                present & stamps.notna().to_numpy(),
                name,
                rows,
                lambda v: f"'{v}' has a UTC offset in a form that is not read",
                "write the offset as +HH:MM (2024-03-01T09:15:00+01:00), or no offset at all",
                values,
            )
            return pd.Series(pd.NaT, index=values.index), problems
    # Bounds are checked on wall-clock values before any conversion to a nanosecond clock.
    wall = stamps.dt.tz_localize(None) if aware else stamps
    too_early_or_late = (wall < EARLIEST_TIMESTAMP) | (wall >= LATEST_TIMESTAMP)
    out_of_range = too_early_or_late.fillna(False).to_numpy(dtype=bool) | wrong_year
    problems += _bad(
        out_of_range,
        name,
        rows,
        lambda v: f"'{v}' is outside the years 1900-2199",
        "check the year; a typing mistake is likely",
        values,
    )
    stamps = stamps.mask(pd.Series(out_of_range, index=stamps.index)).astype(
        "datetime64[ns, UTC]" if aware else "datetime64[ns]"
    )
    if aware:
        return (stamps.dt.tz_convert(timezone) if timezone else stamps), problems
    if naive_zone is None:
        return stamps, problems
    localized, found = _localize(stamps, naive_zone, name, rows, values)
    if skipped_times == "error":
        problems += found
    return (localized.dt.tz_convert(timezone) if timezone else localized), problems


def _localize(
    stamps: pd.Series, zone: str, name: str, rows: RowRef, values: pd.Series
) -> tuple[pd.Series, list[Problem]]:
    """Read naive wall-clock times in `zone`. Times the clocks skip are errors; repeated ones are inferred
    from the order of the rows where possible, else taken as the first occurrence."""
    try:
        localized = stamps.dt.tz_localize(zone, ambiguous="infer", nonexistent="NaT")
    except Exception:  # AmbiguousTimeError: a ValueError on pandas 3, pytz's own (not one) on pandas 2
        first = np.ones(len(stamps), dtype=bool)
        localized = stamps.dt.tz_localize(zone, ambiguous=first, nonexistent="NaT")
    skipped = stamps.notna().to_numpy() & localized.isna().to_numpy()
    problems = _bad(
        skipped,
        name,
        rows,
        lambda v: f"'{v}' does not exist in {zone} (the clocks skip it when DST starts)",
        "these timestamps are probably in another zone: give it with --history-tz (e.g. UTC) or add offsets",
        values,
    )
    return localized, problems
