"""Table contracts written and read back (CSV and Parquet), and writes that are all-or-nothing."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import (
    ASSIGNMENT,
    COVERAGE,
    FORECAST,
    INTERVAL_HISTORY,
    OPEN_TICKETS,
    REQUIREMENT,
    ROSTER,
    TICKET_HISTORY,
    InputError,
    TableSchema,
    atomic_write,
    read_table,
    table_writer,
    write_files,
    write_table,
)
from models.tables import SCHEMAS
from tests.conftest import assert_problem

LONDON = "Europe/London"


def _t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=LONDON)


# Two instants either side of the spring-forward change: 00:45 GMT and 02:00 BST are 15 minutes apart.
BEFORE, AFTER = _t("2026-03-29 00:45"), _t("2026-03-29 02:00")

SAMPLES: dict[str, pd.DataFrame] = {
    "ticket history": pd.DataFrame(
        {
            "created_at": [BEFORE, AFTER],
            "work_type": ["billing_phone", "tech_email"],
            "ticket_id": ["t1", "t2"],
            "handle_time_s": [312.25, np.nan],
            "priority": pd.array([1, pd.NA], dtype="Int64"),
            "customer_tier": ["gold", None],
            "region": ["north", "south"],
            "channel": ["phone", "email"],
            "first_response_at": [BEFORE + pd.Timedelta(seconds=20), pd.NaT],
            "resolved_at": [AFTER, pd.NaT],
            "agent_id": ["a1", None],
            "abandoned": pd.array([False, pd.NA], dtype="boolean"),
            "reopened": pd.array([True, pd.NA], dtype="boolean"),
            "csat": [4.0, np.nan],
        }
    ),
    "interval history": pd.DataFrame(
        {"interval_start": [BEFORE, AFTER], "work_type": ["a", "a"], "volume": [3.0, 0.0], "aht_s": [300.0, np.nan]}
    ),
    "forecast": pd.DataFrame(
        {
            "interval_start": [BEFORE, AFTER],
            "work_type": ["a", "a"],
            "volume": [1.5, 2.0],
            "volume_p10": [0.0, 1.0],
            "volume_p50": [1.0, 2.0],
            "volume_p90": [3.0, 4.5],
            "aht_s": [300.0, 0.1 + 0.2],  # a float that needs all its digits to round-trip
        }
    ),
    "requirement": pd.DataFrame(
        {
            "interval_start": [BEFORE, AFTER],
            "work_type": ["a", "a"],
            "workload_erlangs": [2.5, 0.0],
            "required_agents": [4.2, 0.0],
            "required_agents_int": pd.array([5, 0], dtype="Int64"),
            "expected_service_level": [0.83, np.nan],
            "volume": [30.0, 0.0],
            "aht_s": [300.0, 300.0],
            "shrinkage": [0.25, 0.25],
            "required_agents_with_shrinkage": [5.6, 0.0],
            "method": ["erlang_c", "deferred"],
            "deadline": [pd.NaT, AFTER + pd.Timedelta(hours=8)],
            "aht_factor": [1.25, 1.0],
        }
    ),
    "roster": pd.DataFrame(
        {
            "agent_id": ["a1", "a2"],
            "date": [date(2026, 3, 28), date(2026, 3, 28)],
            "start": [_t("2026-03-28 22:00"), _t("2026-03-28 08:00")],
            "end": [_t("2026-03-29 07:00"), _t("2026-03-28 16:00")],
            "shift_template": ["night", "day"],
            "breaks": [[["2026-03-29T02:00:00+01:00", "2026-03-29T02:30:00+01:00"]], []],
            "paid_minutes": pd.array([450, 480], dtype="Int64"),
            "pinned": [False, True],
            "overtime_minutes": pd.array([60, pd.NA], dtype="Int64"),  # blank: none
            "vto_minutes": pd.array([0, 30], dtype="Int64"),
            "absences": [[], [["2026-03-28T10:00:00+00:00", "2026-03-28T11:00:00+00:00"]]],
        }
    ),
    "coverage": pd.DataFrame(
        {
            "interval_start": [BEFORE, AFTER],
            "skill": ["billing", "billing"],
            "required": [3.5, 1.0],
            "scheduled": [3.0, 2.0],
            "shortfall": [0.5, 0.0],
            "surplus": [0.0, 1.0],
        }
    ),
    "open tickets": pd.DataFrame(
        {
            "ticket_id": ["t9", "t10"],
            "work_type": ["tech_email", "tech_email"],
            "created_at": [BEFORE, AFTER],
            "priority": pd.array([2, pd.NA], dtype="Int64"),
            "due_at": [AFTER + pd.Timedelta(hours=24), pd.NaT],
            "est_handle_time_s": [600.0, np.nan],
            "customer_tier": [None, "gold"],
            "region": ["north", None],
            "assigned_agent": [None, "a2"],
        }
    ),
    "backtest metrics": pd.DataFrame(
        {
            "work_type": ["billing_phone", "(total)"],
            "model": ["selected", "seasonal_naive"],
            "wape": [0.185, 0.242],
            "mase": [0.58, 0.76],
            "bias": [-0.061, np.nan],
            "coverage_p10_p90": [0.835, 0.816],
            "poisson_floor": [0.086, 0.086],
            "ratio_to_naive": [0.762, 1.0],
            "ratio_to_baseline": [0.971, 1.317],
            "selected_model": ["glm x6, combination x4", np.nan],
            "origins": pd.array([13, 13], dtype="Int64"),
            "actual_volume": [118232.0, 118232.0],
        }
    ),
    "assignment": pd.DataFrame(
        {
            "ticket_id": ["t9", "t10"],
            "agent_id": ["a2", None],
            "planned_start": [AFTER, pd.NaT],
            "planned_end": [AFTER + pd.Timedelta(minutes=10), pd.NaT],
            "due_at": [AFTER + pd.Timedelta(hours=24), pd.NaT],
            "predicted_late_s": [0.0, np.nan],
            "reason": [None, "no agent with skill 'tech' on shift"],
        }
    ),
    "agent quality": pd.DataFrame({"agent_id": ["a1", "a2"], "work_type": ["billing", "billing"], "score": [1.0, 0.6]}),
}


def test_every_schema_has_a_sample() -> None:
    assert set(SAMPLES) == set(SCHEMAS)
    for name, schema in SCHEMAS.items():
        assert list(SAMPLES[name].columns) == list(schema.names), name


def _same(back: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Equal values, missing where missing; string and nullable dtypes may differ from the sample's."""
    assert list(back.columns) == list(frame.columns)
    for name in frame.columns:
        expected, got = frame[name], back[name]
        assert got.isna().tolist() == expected.isna().tolist(), name
        present = expected.notna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(expected.dtype):
            assert str(got.dt.tz) == LONDON, name
            assert (got[present] == expected[present]).all(), name
        else:
            assert got[present].tolist() == expected[present].tolist(), name


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_write_then_read_round_trips(name: str, suffix: str, tmp_path: Path) -> None:
    schema, frame = SCHEMAS[name], SAMPLES[name]
    path = write_table(frame, schema, tmp_path / f"{name.replace(' ', '_')}.{suffix}")
    back = read_table(path, schema, timezone=LONDON)
    _same(back, frame)
    # Twice round the loop gives the same bytes (CSV) or the same frame (Parquet).
    again = write_table(back, schema, tmp_path / f"again.{suffix}")
    if suffix == "csv":
        assert again.read_bytes() == path.read_bytes()
    _same(read_table(again, schema, timezone=LONDON), frame)


def test_csv_writes_offsets_and_plain_numbers(tmp_path: Path) -> None:
    path = write_table(SAMPLES["forecast"], FORECAST, tmp_path / "forecast.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "interval_start,work_type,volume,volume_p10,volume_p50,volume_p90,aht_s"
    # Offsets as the clock showed them; a column of whole numbers without '.0'; other floats in the shortest
    # text that reads back as the same float (0.1 + 0.2 needs all its digits).
    assert lines[1:] == [
        "2026-03-29T00:45:00+00:00,a,1.5,0,1,3.0,300.0",
        "2026-03-29T02:00:00+01:00,a,2.0,1,2,4.5,0.30000000000000004",
    ]


def test_roster_breaks_are_json_text_in_csv(tmp_path: Path) -> None:
    path = write_table(SAMPLES["roster"], ROSTER, tmp_path / "roster.csv")
    text = path.read_text()
    assert '"[[""2026-03-29T02:00:00+01:00"", ""2026-03-29T02:30:00+01:00""]]"' in text
    assert ",[]," in text


def test_write_table_puts_schema_columns_first(tmp_path: Path) -> None:
    frame = SAMPLES["coverage"][["surplus", "skill", "interval_start", "required", "scheduled", "shortfall"]]
    frame = frame.assign(note=["x", "y"])
    path = write_table(frame, COVERAGE, tmp_path / "coverage.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header == [*COVERAGE.names, "note"]
    assert read_table(path, COVERAGE, timezone=LONDON)["note"].tolist() == ["x", "y"]


def test_write_table_without_a_required_column_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot write a forecast table without column"):
        write_table(SAMPLES["forecast"].drop(columns="volume_p90"), FORECAST, tmp_path / "f.csv")
    assert list(tmp_path.iterdir()) == []


def test_read_table_missing_column_names_header_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "requirement.csv"
    path.write_text("interval_start,work_type,workload_erlangs,required_agents\n2026-03-02T09:00:00Z,a,1,2\n")
    with pytest.raises(InputError) as caught:
        read_table(path, REQUIREMENT)
    assert_problem(
        caught.value,
        "header",
        "missing required column 'required_agents_int'",
        "missing required column 'expected_service_level'",
        "Fix: add the column",
        source=str(path),
    )


def test_read_table_bad_json_and_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "agent_id,date,start,end,shift_template,breaks,paid_minutes\n"
        "a1,2026-03-28,2026-03-28T08:00:00Z,2026-03-28T16:00:00Z,day,[,480\n"
        "a2,28/03/2026,2026-03-28T08:00:00Z,2026-03-28T16:00:00Z,day,[],480\n"
    )
    with pytest.raises(InputError) as caught:
        read_table(path, ROSTER)
    assert_problem(caught.value, "row 1 (line 2), column 'breaks'", "'[' is not valid JSON", "write a JSON value")
    assert_problem(caught.value, "row 2 (line 3), column 'date'", "is not a date", "write dates as YYYY-MM-DD")


def test_read_table_fractional_int_and_out_of_range_level(tmp_path: Path) -> None:
    path = tmp_path / "requirement.csv"
    path.write_text(
        "interval_start,work_type,workload_erlangs,required_agents,required_agents_int,expected_service_level\n"
        "2026-03-02T09:00:00Z,a,1,2,2.5,0.8\n"
        "2026-03-02T09:15:00Z,a,1,2,2,1.2\n"
    )
    with pytest.raises(InputError) as caught:
        read_table(path, REQUIREMENT)
    assert_problem(caught.value, "row 1 (line 2), column 'required_agents_int'", "not a whole number", "use an integer")
    assert_problem(caught.value, "row 2 (line 3), column 'expected_service_level'", "above the maximum 1", "<= 1")


def test_empty_roster_is_allowed_but_empty_forecast_is_not(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(",".join(ROSTER.names) + "\n")
    assert len(read_table(roster, ROSTER)) == 0
    forecast = tmp_path / "forecast.csv"
    forecast.write_text(",".join(FORECAST.names) + "\n")
    with pytest.raises(InputError) as caught:
        read_table(forecast, FORECAST)
    assert_problem(caught.value, "", "the forecast has no rows", "give a file with data rows")


def test_schemas_know_their_keys() -> None:
    assert INTERVAL_HISTORY.key == ("interval_start", "work_type") and INTERVAL_HISTORY.unique_key
    assert TICKET_HISTORY.required == ("created_at", "work_type")
    assert OPEN_TICKETS.key == ("ticket_id",) and ASSIGNMENT.key == ("ticket_id",)
    assert isinstance(ROSTER, TableSchema) and ROSTER.allow_empty


# -- atomic writes ------------------------------------------------------------------------------------------------


class _Boom(RuntimeError):
    pass


def _failing_writer(tmp: Path) -> None:
    tmp.write_text("half a file")
    raise _Boom("disk full")


def test_atomic_write_that_fails_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "roster.csv"
    with pytest.raises(_Boom):
        atomic_write(target, _failing_writer)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left behind


def test_atomic_write_that_fails_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("old contents")
    with pytest.raises(_Boom):
        atomic_write(target, _failing_writer)
    assert target.read_text() == "old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["roster.csv"]


def test_atomic_write_replaces_and_has_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    assert atomic_write(target, lambda tmp: tmp.write_text("new")) == target
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0o600


def test_write_table_with_a_failing_writer_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_to_parquet(self: pd.DataFrame, path: object, **kwargs: object) -> None:
        Path(str(path)).write_bytes(b"PAR1 partial")
        raise OSError("no space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken_to_parquet)
    with pytest.raises(OSError, match="no space left"):
        write_table(SAMPLES["forecast"], FORECAST, tmp_path / "forecast.parquet")
    assert list(tmp_path.iterdir()) == []


def test_write_files_writes_all(tmp_path: Path) -> None:
    written = write_files(
        {
            tmp_path / "x" / "forecast.csv": table_writer(SAMPLES["forecast"], FORECAST, "forecast.csv"),
            tmp_path / "x" / "roster.parquet": table_writer(SAMPLES["roster"], ROSTER, "roster.parquet"),
        }
    )
    assert [p.name for p in written] == ["forecast.csv", "roster.parquet"]
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["forecast.csv", "roster.parquet"]
    _same(read_table(tmp_path / "x" / "roster.parquet", ROSTER, timezone=LONDON), SAMPLES["roster"])


def test_write_files_writes_none_when_one_fails(tmp_path: Path) -> None:
    (tmp_path / "first.csv").write_text("previous run")
    calls: list[str] = []

    def first(tmp: Path) -> None:
        calls.append("first")
        tmp.write_text("new first")

    def third(tmp: Path) -> None:
        calls.append("third")
        tmp.write_text("new third")

    with pytest.raises(_Boom):
        write_files(
            {tmp_path / "first.csv": first, tmp_path / "second.csv": _failing_writer, tmp_path / "third.csv": third}
        )
    assert calls == ["first"]  # stops at the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv"]  # no new file, no temp file
    assert (tmp_path / "first.csv").read_text() == "previous run"  # the old output is untouched
