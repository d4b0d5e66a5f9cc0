"""Fuzzing the history loader: whatever the file holds, `read_history` returns a History or raises InputError.

Anything else (a KeyError, a pandas OutOfBoundsDatetime, a pyarrow error...) is a bug: the CLI would report
it as an internal error (exit 1) instead of telling the user which row to fix (exit 2). A returned History
must also keep its promises: the right kind, every time and work type present, sorted by time, timestamps in
the centre's zone.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Center, History, HistoryFormat, InputError, read_history
from tests.conftest import CENTER_DATA

FUZZ_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
CENTER = Center.model_validate(CENTER_DATA)

TICKET_HEADER = [
    "created_at",
    "work_type",
    "ticket_id",
    "handle_time_s",
    "priority",
    "customer_tier",
    "region",
    "channel",
    "first_response_at",
    "resolved_at",
]
INTERVAL_HEADER = ["interval_start", "work_type", "volume", "aht_s"]

#: Cells that are valid somewhere, nearly valid, or known troublemakers for parsers.
TRICKY_CELLS = [
    "",
    " ",
    "nan",
    "NaN",
    "NaT",
    "None",
    "null",
    "inf",
    "-inf",
    "1e400",
    "-0",
    "0",
    "1",
    "-1",
    "2.5",
    "0x10",
    "1_000",
    "true",
    "[]",
    "{}",
    "billing_phone",
    "tech_email",
    "gold",
    "north",
    "2026-03-02 09:00",
    "2026-03-02T09:15:00+01:00",
    "2026-03-02T09:15:00Z",
    "2026-03-29 01:30",  # in the London DST gap
    "2026-10-25 01:30",  # repeated in London
    "2026-03-02",
    "0001-01-01 00:00",
    "9999-12-31 23:59",
    "1677-09-21 00:12",
    "2262-04-11 23:47",
    "2026-13-01 00:00",
    "2026-02-30 00:00",
    "24:00",
    "2026-03-02T09:15:00+25:00",
    "2026-03-02 09:15:00.123456789",
    "1772442000",
    "\x00",
    "ü",
    '"',
]
cells = st.one_of(st.sampled_from(TRICKY_CELLS), st.text(max_size=12))


def _check(path: Path, **kwargs: Any) -> History | None:
    """The contract under test; returns the History when there was one."""
    try:
        history = read_history(path, **kwargs)
    except InputError as error:
        assert error.problems and str(error).startswith(str(path))
        return None
    frame = history.frame
    assert history.kind in ("tickets", "intervals")
    time = frame[history.time_column]
    assert len(frame) > 0
    assert not time.isna().any()
    assert time.is_monotonic_increasing
    assert not frame["work_type"].isna().any()
    zone = kwargs.get("timezone") or (kwargs["center"].timezone if "center" in kwargs else None)
    if zone is not None:
        assert str(time.dt.tz) == zone
    if "center" in kwargs:
        assert set(history.work_types) <= {w.id for w in kwargs["center"].work_types}
    if history.kind == "intervals":
        assert (frame["volume"] >= 0).all()
    return history


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(row[: len(header)] for row in rows)
    return buffer.getvalue()


_counter = itertools.count()


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _file(folder: Path, suffix: str = ".csv") -> Path:
    return folder / f"h{next(_counter)}{suffix}"


@FUZZ_SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes(fuzz_dir: Path, data: bytes) -> None:
    path = _file(fuzz_dir)
    path.write_bytes(data)
    _check(path)
    _check(path, center=CENTER)


CSV_ALPHABET = st.sampled_from(list('created_at,work_type\ninterval_startvolumeaht_s"0123456789:-+ TZ.\r;'))


@FUZZ_SETTINGS
@given(st.text(alphabet=CSV_ALPHABET, max_size=300))
def test_random_csv_like_text(fuzz_dir: Path, text: str) -> None:
    path = _file(fuzz_dir)
    path.write_text(text, encoding="utf-8")
    _check(path)
    _check(path, center=CENTER)


@FUZZ_SETTINGS
@given(st.text(max_size=200))
def test_random_unicode_after_a_valid_header(fuzz_dir: Path, text: str) -> None:
    path = _file(fuzz_dir)
    path.write_text("created_at,work_type\n" + text, encoding="utf-8")
    _check(path, timezone="Europe/London")


@FUZZ_SETTINGS
@given(
    header=st.sampled_from([TICKET_HEADER, INTERVAL_HEADER, TICKET_HEADER[:2], INTERVAL_HEADER[:3]]),
    rows=st.lists(st.lists(cells, min_size=10, max_size=10), min_size=0, max_size=8),
    zone=st.sampled_from(["center", "Europe/London", "America/Santiago", None]),
)
def test_random_cells_under_valid_headers(
    fuzz_dir: Path, header: list[str], rows: list[list[str]], zone: str | None
) -> None:
    path = _file(fuzz_dir)
    path.write_text(_csv_text(header, rows), encoding="utf-8")
    kwargs: dict[str, Any] = {"center": CENTER} if zone == "center" else {"timezone": zone}
    _check(path, **kwargs)


@FUZZ_SETTINGS
@given(rows=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["billing_phone", "tech_email"])), min_size=1))
def test_valid_ticket_rows_always_load(fuzz_dir: Path, rows: list[tuple[int, str]]) -> None:
    # Seconds after a UTC instant, written with an offset: always valid, whatever the DST changes in between.
    base = pd.Timestamp("2026-03-28T12:00:00Z")
    text = _csv_text(["created_at", "work_type"], [[(base + pd.Timedelta(seconds=s)).isoformat(), w] for s, w in rows])
    path = _file(fuzz_dir)
    path.write_text(text, encoding="utf-8")
    history = _check(path, center=CENTER)
    assert history is not None
    assert len(history.frame) == len(rows)
    assert history.start == (base + pd.Timedelta(seconds=min(s for s, _ in rows))).tz_convert("Europe/London")
    assert history.volume_by_work_type().sum() == len(rows)


parquet_values = st.one_of(
    st.lists(st.sampled_from(["billing_phone", "2026-03-02 09:00", "", "x"]), min_size=3, max_size=3),
    st.lists(st.integers(-(2**62), 2**62), min_size=3, max_size=3),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.datetimes(timezones=st.sampled_from([None])), min_size=3, max_size=3),
)


@FUZZ_SETTINGS
@given(
    shape=st.sampled_from([["created_at", "work_type", "handle_time_s"], ["interval_start", "work_type", "volume"]]),
    columns=st.lists(parquet_values, min_size=3, max_size=3),
)
def test_random_typed_parquet_columns(fuzz_dir: Path, shape: list[str], columns: list[list[Any]]) -> None:
    path = _file(fuzz_dir, ".parquet")
    pd.DataFrame(dict(zip(shape, columns, strict=True))).to_parquet(path)
    _check(path, center=CENTER)
    _check(path)


EXPORT_HEADER = ["date", "time", "type", "priority", "outcome", "call_id"]
export_formats = st.builds(
    HistoryFormat,
    columns=st.sampled_from(
        [
            {"created_at": "date+time", "work_type": "type"},
            {"created_at": "date+time", "work_type": "type", "ticket_id": "call_id", "priority": "priority"},
            {"created_at": "date+time+outcome", "work_type": "type"},
            {"created_at": "date", "work_type": "type"},
        ]
    ),
    ignore=st.sampled_from([(), ("priority",), ("outcome", "call_id")]),
    exclude=st.lists(
        st.sampled_from(["outcome=X", "outcome!=X", "type=tech_email&outcome=", "call_id=1"]), max_size=2
    ).map(tuple),
    time_format=st.sampled_from([None, "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S"]),
)
export_cells = st.one_of(st.sampled_from([*TRICKY_CELLS, "09:15", "9:05:07", "X", "2026-03-29", "02/03/2026"]), cells)


@FUZZ_SETTINGS
@given(
    rows=st.lists(st.lists(export_cells, min_size=6, max_size=6), min_size=0, max_size=8),
    fmt=export_formats,
    zone=st.sampled_from(["center", "Europe/London", None]),
)
def test_random_exports_read_with_joined_ignored_and_excluded_columns(
    fuzz_dir: Path, rows: list[list[str]], fmt: HistoryFormat, zone: str | None
) -> None:
    path = _file(fuzz_dir)
    path.write_text(_csv_text(EXPORT_HEADER, rows), encoding="utf-8")
    kwargs: dict[str, Any] = {"center": CENTER} if zone == "center" else {"timezone": zone}
    history = _check(path, fmt=fmt, **kwargs)
    if history is not None:
        assert not set(fmt.ignore) & set(history.frame.columns)
        assert len(history.frame) <= len(rows)
