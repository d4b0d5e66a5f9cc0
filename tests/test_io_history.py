"""Reading ticket history: shape detection, renaming, time zones, and every bad input named with its fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models import Center, HistoryFormat, InputError, read_history
from tests.conftest import assert_problem

WriteCsv = Callable[..., Path]
LONDON = "Europe/London"


@pytest.fixture
def center(center_data: dict[str, Any]) -> Center:
    return Center.model_validate(center_data)


def _error(path: Path, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        read_history(path, **kwargs)
    return caught.value


# -- positive behaviour -------------------------------------------------------------------------------------------


def test_per_ticket_rows_are_detected_and_sorted(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type,handle_time_s,ticket_id
2026-03-02 09:05,tech_email,610.5,t2
2026-03-02 09:00,billing_phone,300,t1
2026-03-02 09:00,billing_phone,,t0
"""
    )
    history = read_history(path, center=center)
    assert history.kind == "tickets"
    assert history.time_column == "created_at"
    assert history.interval_minutes is None
    assert history.frame["ticket_id"].tolist() == ["t1", "t0", "t2"]  # stable sort by time then work type
    assert history.frame["handle_time_s"].isna().tolist() == [False, True, False]
    assert history.volume_by_work_type().to_dict() == {"billing_phone": 2.0, "tech_email": 1.0}
    assert history.work_types == ["billing_phone", "tech_email"]
    assert history.start == pd.Timestamp("2026-03-02 09:00", tz=LONDON)
    assert history.end == pd.Timestamp("2026-03-02 09:05", tz=LONDON)
    assert history.source == str(path)


def test_interval_counts_are_detected(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
interval_start,work_type,volume,aht_s
2026-03-02 09:15,billing_phone,4,290
2026-03-02 09:00,billing_phone,3,310.5
2026-03-02 09:00,tech_email,0,
"""
    )
    history = read_history(path, center=center)
    assert history.kind == "intervals"
    assert history.time_column == "interval_start"
    assert history.interval_minutes == 15
    assert history.volume_by_work_type().to_dict() == {"billing_phone": 7.0, "tech_email": 0.0}
    # Sorted by time, then work type; a blank aht_s is missing, not zero.
    assert history.frame["work_type"].tolist() == ["billing_phone", "tech_email", "billing_phone"]
    aht = history.frame["aht_s"]
    assert aht.isna().tolist() == [False, True, False]
    assert aht.dropna().tolist() == [310.5, 290.0]


def test_six_minute_counts_give_six_minute_resolution(write_csv: WriteCsv) -> None:
    rows = "\n".join(f"2026-03-02T09:{m:02d}:00Z,chat,{m % 5}" for m in range(0, 60, 6))
    history = read_history(write_csv("interval_start,work_type,volume\n" + rows), timezone=LONDON)
    assert history.interval_minutes == 6


def test_resolution_is_the_common_step_even_with_gaps(write_csv: WriteCsv) -> None:
    # Only some 10-minute intervals have a row: the grid is still 10 minutes, not 30.
    path = write_csv(
        """
interval_start,work_type,volume
2026-03-02 09:00,chat,1
2026-03-02 09:30,chat,1
2026-03-02 09:40,chat,1
"""
    )
    assert read_history(path, timezone=LONDON).interval_minutes == 10


def test_irregular_interval_grid_is_rejected(write_csv: WriteCsv) -> None:
    path = write_csv(
        """
interval_start,work_type,volume
2026-03-02 09:00,chat,1
2026-03-02 09:07,chat,1
2026-03-02 09:21,chat,1
"""
    )
    assert_problem(_error(path, timezone=LONDON), "interval_start", "common step is 7 min", "Fix: give counts per")


def test_intervals_off_their_grid_name_the_row(write_csv: WriteCsv) -> None:
    path = write_csv(
        """
interval_start,work_type,volume
2026-03-02 09:05,chat,1
2026-03-02 09:20,chat,1
"""
    )
    assert_problem(
        _error(path, timezone=LONDON),
        "row 1 (line 2), column 'interval_start'",
        "is not on the 15-min grid",
        "Fix: interval starts must fall on whole multiples",
    )


def test_rename_maps_the_files_columns(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("opened,queue\n2026-03-02 09:00,billing_phone\n")
    history = read_history(path, center=center, rename={"created_at": "opened", "work_type": "queue"})
    assert history.kind == "tickets"
    assert list(history.frame.columns[:2]) == ["created_at", "work_type"]
    assert history.frame["created_at"].iloc[0] == pd.Timestamp("2026-03-02 09:00", tz=LONDON)


def test_rename_of_a_column_the_file_lacks(write_csv: WriteCsv) -> None:
    path = write_csv("opened,work_type\n2026-03-02 09:00,x\n")
    assert_problem(
        _error(path, rename={"created_at": "created"}),
        "--column",
        "column 'created' (mapped to 'created_at')",
        "Fix: fix the mapping",
    )


def test_rename_to_an_unknown_canonical_column(write_csv: WriteCsv) -> None:
    path = write_csv("created_at,work_type,opened\n2026-03-02 09:00,x,y\n")
    assert_problem(_error(path, rename={"opened_at": "opened"}), "--column", "'opened_at' is not a column")


def test_work_type_for_a_single_queue_file(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at\n2026-03-02 09:00\n2026-03-02 09:01\n")
    history = read_history(path, center=center, work_type="billing_phone")
    assert history.frame["work_type"].tolist() == ["billing_phone", "billing_phone"]


def test_work_type_option_when_the_file_has_the_column(write_csv: WriteCsv) -> None:
    path = write_csv("created_at,work_type\n2026-03-02 09:00,x\n")
    assert_problem(_error(path, work_type="y"), "--work-type", "already has a work_type column", "drop --work-type")


def test_offsets_are_converted_to_the_centre_zone(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type
2026-03-02T09:00:00+01:00,billing_phone
2026-07-02T09:05:00Z,billing_phone
2026-07-02 12:00:00-04:00,billing_phone
"""
    )
    history = read_history(path, center=center)
    stamps = history.frame["created_at"]
    assert str(stamps.dt.tz) == LONDON
    assert [t.strftime("%m-%d %H:%M%z") for t in stamps] == [
        "03-02 08:00+0000",  # 09:00 at +01:00 is 08:00 GMT
        "07-02 10:05+0100",  # 09:05 UTC is 10:05 BST
        "07-02 17:00+0100",  # 12:00 at -04:00 is 16:00 UTC
    ]
    assert history.assumption is None


def test_naive_times_are_local_in_the_centre_zone_and_say_so(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at,work_type\n2026-03-02 09:00,billing_phone\n2026-07-02 09:00,billing_phone\n")
    history = read_history(path, center=center)
    stamps = history.frame["created_at"]
    assert stamps.dt.tz_convert("UTC").dt.strftime("%H:%M").tolist() == ["09:00", "08:00"]  # GMT, then BST
    assert history.assumption == "timestamps without a UTC offset were read as local time in Europe/London"


def test_naive_times_in_another_zone(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at,work_type\n2026-03-29 01:30,billing_phone\n")
    history = read_history(path, center=center, assume_timezone="UTC")
    assert history.frame["created_at"].iloc[0] == pd.Timestamp("2026-03-29 02:30", tz=LONDON)
    assert history.assumption == "timestamps without a UTC offset were read as local time in UTC"


@pytest.mark.parametrize(("option", "flag"), [("timezone", "--tz"), ("assume_timezone", "--history-tz")])
def test_unknown_time_zone_options(option: str, flag: str, write_csv: WriteCsv) -> None:
    path = write_csv("created_at,work_type\n2026-03-02 09:00,x\n")
    assert_problem(
        _error(path, **{option: "Europe/Lodnon"}),
        flag,
        "'Europe/Lodnon' is not an IANA time zone",
        "Fix: use a name such as 'Europe/London'",
        source=str(path),
    )


def test_naive_times_without_any_zone_stay_naive(write_csv: WriteCsv) -> None:
    history = read_history(write_csv("created_at,work_type\n2026-03-02 09:00,x\n"))
    assert history.frame["created_at"].dt.tz is None
    assert history.timezone is None
    assert history.assumption is not None and "kept as naive" in history.assumption


def test_repeated_hour_in_autumn_is_inferred_from_row_order(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
interval_start,work_type,volume
2026-10-25 00:30,billing_phone,1
2026-10-25 01:00,billing_phone,1
2026-10-25 01:30,billing_phone,1
2026-10-25 01:00,billing_phone,1
2026-10-25 01:30,billing_phone,1
2026-10-25 02:00,billing_phone,1
"""
    )
    history = read_history(path, center=center)
    utc = history.frame["interval_start"].dt.tz_convert("UTC").dt.strftime("%H:%M").tolist()
    assert utc == ["23:30", "00:00", "00:30", "01:00", "01:30", "02:00"]
    assert history.interval_minutes == 30


# -- the bad-input catalogue -------------------------------------------------------------------------------------


def test_missing_time_column(write_csv: WriteCsv) -> None:
    path = write_csv("opened,work_type\n2026-03-02 09:00,x\n")
    assert_problem(
        _error(path),
        "header",
        "history needs 'created_at'",
        "columns found: 'opened', 'work_type'",
        "Fix: rename your columns, or map them with --column created_at=YOUR_NAME",
        source=str(path),
    )


def test_missing_work_type_column(write_csv: WriteCsv) -> None:
    path = write_csv("created_at\n2026-03-02 09:00\n")
    assert_problem(_error(path), "header", "missing required column 'work_type'", "--work-type NAME")


def test_interval_history_without_volume_is_not_interval_history(write_csv: WriteCsv) -> None:
    path = write_csv("interval_start,work_type\n2026-03-02 09:00,x\n")
    assert_problem(_error(path), "header", "'interval_start' and 'volume'", "--column volume=...")


def test_both_shapes_at_once(write_csv: WriteCsv) -> None:
    path = write_csv("created_at,interval_start,volume,work_type\n2026-03-02 09:00,2026-03-02 09:00,1,x\n")
    assert_problem(_error(path), "header", "has both 'created_at'", "keep the columns of one shape")


def test_unparsable_timestamp_names_row_and_line(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type
2026-03-02 09:00,billing_phone
2026-03-02 09:05,tech_email
02/03/2026 9am,billing_phone
"""
    )
    assert_problem(
        _error(path, center=center),
        "row 3 (line 4), column 'created_at'",
        "'02/03/2026 9am' is not a timestamp",
        "Fix: write ISO 8601",
        "--time-format",
        source=str(path),
    )


def test_time_format_option(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at,work_type\n02/03/2026 09:00,billing_phone\n")
    history = read_history(path, center=center, time_format="%d/%m/%Y %H:%M")
    assert history.frame["created_at"].iloc[0] == pd.Timestamp("2026-03-02 09:00", tz=LONDON)
    bad = write_csv("created_at,work_type\n2026-03-02 09:00,billing_phone\n", name="iso.csv")
    assert_problem(
        _error(bad, center=center, time_format="%d/%m/%Y %H:%M"), "row 1 (line 2)", "match the format '%d/%m/%Y"
    )


def test_naive_time_in_the_dst_gap(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type
2026-03-29 00:30,billing_phone
2026-03-29 01:30,billing_phone
2026-03-29 02:30,billing_phone
"""
    )
    assert_problem(
        _error(path, center=center),
        "row 2 (line 3), column 'created_at'",
        "'2026-03-29 01:30' does not exist in Europe/London",
        "Fix:",
        "--history-tz",
    )


def test_mixed_naive_and_offset_timestamps(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type
2026-03-02T09:00:00+00:00,billing_phone
2026-03-02T09:05:00+00:00,billing_phone
2026-03-02 09:10,billing_phone
"""
    )
    assert_problem(
        _error(path, center=center),
        "row 3 (line 4), column 'created_at'",
        "mixes timestamps",
        "write every timestamp with an offset",
    )


def test_an_offset_in_a_form_not_read_is_refused(write_csv: WriteCsv, center: Center) -> None:
    """pandas reads "+0" as UTC; the offset check does not know that form: an input error, not a crash."""
    path = write_csv("created_at,work_type\n2026-03-02 09:15:00 +0,billing_phone\n")
    assert_problem(
        _error(path, center=center),
        "row 1 (line 2), column 'created_at'",
        "has a UTC offset in a form that is not read",
        "+HH:MM",
    )


def test_year_out_of_range(write_csv: WriteCsv) -> None:
    path = write_csv("created_at,work_type\n2026-03-02 09:00,x\n0202-03-02 09:00,x\n")
    assert_problem(_error(path), "row 2 (line 3), column 'created_at'", "outside the years 1900-2199", "check the year")


def test_unknown_work_type_with_a_centre(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type
2026-03-02 09:00,billing_phone
2026-03-02 09:01,sales
2026-03-02 09:02,sales
"""
    )
    assert_problem(
        _error(path, center=center),
        "row 2 (line 3), column 'work_type'",
        "'sales' is not a work type of the centre (2 row(s)); known: billing_phone, tech_email",
        "Fix: fix the rows or add the work type to the centre configuration",
    )
    # Without a centre any work type is accepted.
    assert read_history(path).work_types == ["billing_phone", "sales"]


def test_unknown_customer_tier_and_region(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at,work_type,customer_tier,region\n2026-03-02 09:00,billing_phone,platinum,east\n")
    error = _error(path, center=center)
    assert_problem(error, "row 1 (line 2), column 'customer_tier'", "'platinum' is not a customer tier")
    assert_problem(error, "row 1 (line 2), column 'region'", "'east' is not a region")


@pytest.mark.parametrize(("value", "said"), [("0", "0 is not above 0"), ("-12.5", "-12.5 is not above 0")])
def test_handle_time_not_positive(value: str, said: str, write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        f"created_at,work_type,handle_time_s\n2026-03-02 09:00,billing_phone,300\n"
        f"2026-03-02 09:01,billing_phone,{value}\n"
    )
    assert_problem(
        _error(path, center=center), "row 2 (line 3), column 'handle_time_s'", said, "Fix: handle_time_s must be > 0"
    )


def test_handle_time_not_a_number(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at,work_type,handle_time_s\n2026-03-02 09:00,billing_phone,5 min\n")
    assert_problem(
        _error(path, center=center),
        "row 1 (line 2), column 'handle_time_s'",
        "'5 min' is not a number",
        "write handle_time_s as a plain number",
    )


@pytest.mark.parametrize(
    ("value", "said", "fix"),
    [
        ("0", "0 is not above 0", "aht_s must be > 0"),
        ("-1", "-1 is not above 0", "aht_s must be > 0"),
        ("inf", "'inf' is not a finite number", "use a finite value"),
    ],
)
def test_interval_aht_not_positive(value: str, said: str, fix: str, write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(f"interval_start,work_type,volume,aht_s\n2026-03-02 09:00,billing_phone,3,{value}\n")
    assert_problem(_error(path, center=center), "row 1 (line 2), column 'aht_s'", said, f"Fix: {fix}")


def test_negative_volume_and_blank_volume(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
interval_start,work_type,volume
2026-03-02 09:00,billing_phone,-1
2026-03-02 09:15,billing_phone,
"""
    )
    error = _error(path, center=center)
    assert_problem(error, "row 1 (line 2), column 'volume'", "-1 is below the minimum 0", "volume must be >= 0")
    assert_problem(error, "row 2 (line 3), column 'volume'", "is empty", "every row needs a volume")


def test_duplicate_interval_rows(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
interval_start,work_type,volume
2026-03-02 09:00,billing_phone,1
2026-03-02 09:15,billing_phone,1
2026-03-02 09:00,billing_phone,2
"""
    )
    assert_problem(_error(path, center=center), "row 3 (line 4)", "repeats the key", "remove or merge the duplicates")


def test_response_before_creation(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv(
        """
created_at,work_type,ticket_id,first_response_at
2026-03-02 09:00,billing_phone,t1,2026-03-02 09:10
2026-03-02 09:05,billing_phone,t2,2026-03-02 08:00
"""
    )
    assert_problem(
        _error(path, center=center), "row 2 (line 3), column 'first_response_at'", "is before created_at", "same zone"
    )


def test_repeated_ticket_ids_load_with_a_note(write_csv: WriteCsv, center: Center) -> None:
    """Ticket ids are optional and not used to count contacts: ACD exports reuse call ids (the bank's log
    repeats half of them), so a repeated id is said, never refused; every row is a contact."""
    path = write_csv(
        """
created_at,work_type,ticket_id
2026-03-02 09:00,billing_phone,t1
2026-03-02 09:05,billing_phone,t1
2026-03-02 09:07,tech_email,t2
2026-03-02 09:09,tech_email,t1
"""
    )
    history = read_history(path, center=center)
    assert len(history.frame) == 4
    assert history.volume_by_work_type().to_dict() == {"billing_phone": 2.0, "tech_email": 2.0}
    assert history.notes == ("2 row(s) repeat an earlier row's ticket_id (first row 2 (line 3): 't1'); every row is "
                             "counted as a contact",)  # fmt: skip
    assert history.warnings == ()


def test_empty_history_header_only(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("created_at,work_type\n")
    assert_problem(
        _error(path, center=center),
        "",
        "the ticket history has no rows",
        "Fix: give a file with data rows",
        source=str(path),
    )


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert_problem(_error(path), "", "the file is empty", "give a file with a header and rows", source=str(path))


@pytest.mark.parametrize("name", ["history.xlsx", "history.json", "history"])
def test_history_that_is_not_csv_or_parquet(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text("created_at,work_type\n2026-03-02 09:00,x\n")
    assert_problem(
        _error(path),
        "",
        "is not a table format the planner reads",
        "Fix: give a .csv (or .csv.gz) or a .parquet file",
        source=str(path),
    )


def test_missing_history_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert_problem(_error(path), "", "no such file", "check the path", source=str(path))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("created_at,work_type\n2026-03-02 09:00,caf\xe9\n".encode("latin-1"))
    assert_problem(_error(path), "byte ", "not UTF-8", "save it as UTF-8")


def test_parquet_that_is_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "history.parquet"
    path.write_text("created_at,work_type\n")
    assert_problem(_error(path), "", "cannot be read as PARQUET", "check that it is a valid parquet file")


def test_many_bad_rows_are_summarised_in_one_problem(write_csv: WriteCsv) -> None:
    rows = "\n".join(f"soon,x{i}" for i in range(30))
    error = _error(write_csv("created_at,work_type\n" + rows))
    assert len(error.problems) == 1
    assert "row 1 (line 2)" in str(error)
    assert "(same problem in row 2, row 3, row 4, row 5 and 25 more)" in str(error)


def test_parquet_history_with_typed_columns(tmp_path: Path, center: Center) -> None:
    path = tmp_path / "history.parquet"
    frame = pd.DataFrame(
        {
            "interval_start": pd.date_range("2026-03-28 23:00", periods=6, freq="30min", tz="UTC"),
            "work_type": "billing_phone",
            "volume": [1, 2, 3, 4, 5, 6],
        }
    )
    frame.to_parquet(path)
    history = read_history(path, center=center)
    assert history.kind == "intervals"
    assert history.interval_minutes == 30
    assert history.assumption is None
    assert history.frame["volume"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    # The clocks go forward at 01:00 UTC: 00:30 UTC is 00:30 GMT, 01:30 UTC is 02:30 BST.
    assert history.frame["interval_start"].iloc[3].strftime("%H:%M%z") == "00:30+0000"
    assert history.frame["interval_start"].iloc[-1].strftime("%H:%M%z") == "02:30+0100"


def test_parquet_rows_are_named_without_line_numbers(tmp_path: Path, center: Center) -> None:
    path = tmp_path / "history.parquet"
    pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2026-03-02 09:00", None]).tz_localize("UTC"),
            "work_type": ["billing_phone", "billing_phone"],
        }
    ).to_parquet(path)
    error = _error(path, center=center)
    assert_problem(error, "row 2, column 'created_at'", "is empty", "every row needs a created_at")
    assert "line" not in str(error)


# -- raw exports: joined date and time columns, ignored columns, excluded rows ---------------------------------------

#: The shape of the bank's ACD log (../shared/data/anonbank/calls_1999-08.csv): date and time apart, a `priority` on
#: another scale (0 is refused as a ticket priority), call ids repeated, a column name with a '+'.
ACD_LOG = """
vru+line,call_id,priority,type,date,vru_entry,outcome
AA0204,43678,0,billing_phone,1999-08-01,0:10:10,HANG
AA0103,34480,2,billing_phone,1999-08-01,9:26:36,AGENT
AA0105,43678,1,tech_email,1999-08-01,23:59:59,PHANTOM
AA0214,23828,0,tech_email,1999-08-02,10:02:00,AGENT
"""


def _acd_format(**kwargs: Any) -> HistoryFormat:
    fields: dict[str, Any] = {
        "columns": {"created_at": "date+vru_entry", "work_type": "type", "ticket_id": "call_id"},
        "ignore": ("priority",),
    }
    return HistoryFormat(**(fields | kwargs))


def test_acd_log_with_date_and_time_apart_is_read_as_it_is(write_csv: WriteCsv, center: Center) -> None:
    history = read_history(write_csv(ACD_LOG), center=center, fmt=_acd_format())
    assert history.frame["created_at"].tolist() == [
        pd.Timestamp(t, tz=LONDON)
        for t in ("1999-08-01 00:10:10", "1999-08-01 09:26:36", "1999-08-01 23:59:59", "1999-08-02 10:02:00")
    ]
    assert "priority" not in history.frame.columns  # ignored: dropped before its check
    assert history.frame["vru+line"].tolist() == ["AA0204", "AA0103", "AA0105", "AA0214"]  # passed through
    assert history.frame["ticket_id"].tolist() == ["43678", "34480", "43678", "23828"]
    assert any("repeat an earlier row's ticket_id" in note for note in history.notes)


def test_without_ignoring_it_the_logs_priority_is_refused(write_csv: WriteCsv, center: Center) -> None:
    error = _error(write_csv(ACD_LOG), center=center, fmt=_acd_format(ignore=()))
    assert_problem(error, "row 1 (line 2), column 'priority'", "0 is below the minimum 1")


def test_a_column_whose_name_holds_a_plus_is_taken_as_it_is(write_csv: WriteCsv) -> None:
    fmt = _acd_format(columns={"created_at": "date+vru_entry", "work_type": "type", "channel": "vru+line"})
    history = read_history(write_csv(ACD_LOG), timezone=LONDON, fmt=fmt)
    assert history.frame["channel"].tolist() == ["AA0204", "AA0103", "AA0105", "AA0214"]


def test_time_format_of_joined_columns(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("day,time,work_type\n02/03/2026,9:05,billing_phone\n02/03/2026,17:30,tech_email\n")
    fmt = HistoryFormat(columns={"created_at": "day+time"}, time_format="%d/%m/%Y %H:%M")
    history = read_history(path, center=center, fmt=fmt)
    assert history.frame["created_at"].tolist() == [
        pd.Timestamp("2026-03-02 09:05", tz=LONDON),
        pd.Timestamp("2026-03-02 17:30", tz=LONDON),
    ]


def test_bad_value_in_joined_columns_names_both(write_csv: WriteCsv, center: Center) -> None:
    path = write_csv("day,time,work_type\n2026-03-02,9:05,billing_phone\n2026-03-02,25:61,billing_phone\n")
    error = _error(path, center=center, fmt=HistoryFormat(columns={"created_at": "day+time"}))
    assert_problem(error, "row 2 (line 3), column 'created_at' (day + time)", "'2026-03-02 25:61' is not a timestamp")
    blank = write_csv("day,time,work_type\n2026-03-02,,billing_phone\n", name="blank.csv")
    error = _error(blank, center=center, fmt=HistoryFormat(columns={"created_at": "day+time"}))
    assert_problem(error, "row 1 (line 2), column 'created_at' (day + time)", "is empty")


def test_joining_a_column_the_file_lacks(write_csv: WriteCsv) -> None:
    error = _error(write_csv(ACD_LOG), fmt=_acd_format(columns={"created_at": "date+entry", "work_type": "type"}))
    assert_problem(error, "--column", "created_at=date+entry: 'entry' not in the file", "COLUMN+COLUMN")


def test_ignoring_a_column_the_file_lacks_or_maps(write_csv: WriteCsv) -> None:
    error = _error(write_csv(ACD_LOG), fmt=_acd_format(ignore=("priorty",)))
    assert_problem(error, "--ignore-column", "column 'priorty' is not in the file; columns found: 'vru+line'")
    error = _error(write_csv(ACD_LOG), fmt=_acd_format(ignore=("priority", "type")))
    assert_problem(error, "--ignore-column", "column 'type' is ignored and mapped to 'work_type' at once")


def test_a_bad_value_in_an_optional_column_suggests_ignoring_it(write_csv: WriteCsv, center: Center) -> None:
    """An export's priority of 0 (on its own scale) is refused; the fix says the column may be left out."""
    error = _error(write_csv(ACD_LOG), center=center, fmt=_acd_format(ignore=()))
    assert_problem(error, "row 1 (line 2), column 'priority'", "0 is below the minimum 1", "--ignore-column priority")
    # A mapped column is left out by not mapping it.
    mapped = _acd_format(ignore=(), columns=_acd_format().columns | {"priority": "outcome"})
    assert "drop --column priority=outcome" in str(_error(write_csv(ACD_LOG, name="mapped.csv"), fmt=mapped))
    # A required column has no such way out.
    path = write_csv("created_at,work_type\nsoon,billing_phone\n", name="required.csv")
    assert "--ignore-column" not in str(_error(path, center=center))


def test_excluded_rows_are_counted_and_later_rows_keep_their_lines(write_csv: WriteCsv, center: Center) -> None:
    fmt = _acd_format(exclude=("outcome=PHANTOM", "outcome=HANG&vru+line=AA0204"))
    history = read_history(write_csv(ACD_LOG), center=center, fmt=fmt)
    assert history.frame["vru+line"].tolist() == ["AA0103", "AA0214"]
    assert "2 of 4 rows were excluded (1 by outcome=PHANTOM, 1 by outcome=HANG&vru+line=AA0204)" in history.notes
    # A bad row after excluded ones is named by its own line in the file.
    bad = write_csv(ACD_LOG.replace("23828,0,tech_email", "23828,0,tech_mail"), name="bad.csv")
    assert_problem(_error(bad, center=center, fmt=fmt), "row 4 (line 5), column 'work_type'", "'tech_mail'")
    keep_served = _acd_format(exclude=("outcome!=AGENT",))
    assert len(read_history(write_csv(ACD_LOG), center=center, fmt=keep_served).frame) == 2


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("outcome", "'outcome' is not COLUMN=VALUE or COLUMN!=VALUE"),
        ("=PHANTOM", "'=PHANTOM' is not COLUMN=VALUE"),
        ("result=PHANTOM", "column 'result' is not in the file"),
    ],
)
def test_bad_exclusion_rules(rule: str, said: str, write_csv: WriteCsv) -> None:
    assert_problem(_error(write_csv(ACD_LOG), fmt=_acd_format(exclude=(rule,))), "--exclude", said)


def test_format_and_its_shorthands_are_not_given_together(write_csv: WriteCsv) -> None:
    with pytest.raises(TypeError, match="not both"):
        read_history(write_csv(ACD_LOG), fmt=_acd_format(), work_type="x")


# -- silent acceptances: repeated rows, UTC offsets that do not belong together -------------------------------------


def _tickets(count: int, seed: int = 0) -> pd.DataFrame:
    """`count` tickets at whole seconds over one working week, with handle times to a tenth of a second."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-03-02 08:00")
    seconds = np.sort(rng.integers(0, 5 * 86_400, count))
    return pd.DataFrame(
        {
            "created_at": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "work_type": rng.choice(["billing_phone", "tech_email"], count),
            "handle_time_s": np.round(rng.lognormal(5.5, 0.6, count), 1),
        }
    )


def test_rows_repeated_in_every_column_are_warned_with_their_count(tmp_path: Path, center: Center) -> None:
    tickets = _tickets(2_000)
    doubled = pd.concat([tickets, tickets.sample(260, random_state=1)]).sort_values("created_at", kind="stable")
    path = tmp_path / "doubled.csv"
    doubled.to_csv(path, index=False)
    history = read_history(path, center=center)
    assert len(history.frame) == 2_260  # kept: each row is counted
    (warning,) = history.warnings
    said = "260 row(s) repeat an earlier row in every column (+13.0% on the volume of the distinct rows; chance"
    assert said + " explains about 0)" in warning
    assert "remove the repeats" in warning
    assert history.alerts == [f"{path}: {warning}"]
    single = tmp_path / "single.csv"
    tickets.to_csv(single, index=False)
    assert read_history(single, center=center).warnings == ()


def test_repeats_that_chance_explains_are_not_warned(tmp_path: Path) -> None:
    """Timestamps to the minute and no other column: a queue often has two contacts in the same minute.
    600 contacts in 20 hours, 30 an hour: 30 - 60 (1 - exp(-30/60)) = 6.4 an hour repeat an earlier row by
    chance, about 128 in all. (Where most minutes already hold a contact, doubled rows cannot be told from
    chance by repeats at all: the warning is for files whose rows are distinct by nature.)"""
    rng = np.random.default_rng(3)
    minutes = np.sort(rng.integers(0, 20 * 60, 600))
    stamps = pd.Timestamp("2026-03-02 04:00") + pd.to_timedelta(minutes, unit="min")
    frame = pd.DataFrame({"created_at": stamps.strftime("%Y-%m-%d %H:%M"), "work_type": "billing_phone"})
    path = tmp_path / "minutes.csv"
    frame.to_csv(path, index=False)
    assert 90 < frame.duplicated().sum() < 170
    assert read_history(path, timezone=LONDON).warnings == ()
    # Doubling a third of the rows on top of that is more than chance.
    doubled = pd.concat([frame, frame.iloc[::3]]).sort_values("created_at", kind="stable")
    doubled.to_csv(path, index=False)
    (warning,) = read_history(path, timezone=LONDON).warnings
    assert "repeat an earlier row in every column" in warning


def _offset_file(tmp_path: Path, stamps: list[str]) -> Path:
    path = tmp_path / "offsets.csv"
    pd.DataFrame({"created_at": stamps, "work_type": "billing_phone"}).to_csv(path, index=False)
    return path


def test_mixed_utc_offsets_are_warned_with_their_counts(tmp_path: Path, center: Center) -> None:
    """Half the rows in +01:00 and half in +05:00, interleaved: two systems merged, or wrong offsets."""
    base = pd.Timestamp("2026-06-01 09:00", tz="UTC")
    stamps = [
        (base + pd.Timedelta(minutes=7 * i)).tz_convert("+05:00" if i % 2 else "+01:00").isoformat() for i in range(40)
    ]
    history = read_history(_offset_file(tmp_path, stamps), center=center)
    (warning,) = history.warnings
    said = "column 'created_at' mixes UTC offsets that no clock change explains: +01:00 (20 rows), +05:00 (20 rows)"
    assert said in warning
    assert "converted to the centre's zone Europe/London" in warning
    # The instants are kept as written.
    assert history.frame["created_at"].iloc[1] == base + pd.Timedelta(minutes=7)


@pytest.mark.parametrize(
    ("zone", "written"),
    [
        ("Europe/London", "Europe/London"),  # the centre's own offsets either side of the change
        ("Europe/London", "America/New_York"),  # another zone's offsets, changing with its own DST
        ("Europe/London", "UTC"),  # one offset all along
        (None, "Europe/Berlin"),  # no centre: any zone's DST
    ],
)
def test_offsets_of_a_clock_change_are_not_warned(
    tmp_path: Path, center: Center, zone: str | None, written: str
) -> None:
    hours = pd.date_range("2026-03-01", "2026-04-05", freq="5h", tz="UTC")
    path = _offset_file(tmp_path, [t.tz_convert(written).isoformat() for t in hours])
    history = read_history(path, center=center) if zone else read_history(path, timezone="UTC")
    assert history.warnings == ()
    assert len({t.utcoffset() for t in (t.tz_convert(written) for t in hours)}) == (1 if written == "UTC" else 2)


def test_mixed_offsets_without_a_centre_are_said_in_utc(tmp_path: Path) -> None:
    base = pd.Timestamp("2026-01-12 09:00", tz="UTC")
    stamps = [(base + pd.Timedelta(hours=i)).tz_convert("+02:00" if i % 3 else "-03:00").isoformat() for i in range(30)]
    (warning,) = read_history(_offset_file(tmp_path, stamps), timezone="UTC").warnings
    assert "-03:00 (10 rows), +02:00 (20 rows); all were converted to UTC" in warning


def test_one_change_of_offset_by_hours_no_clock_moves_is_said(tmp_path: Path, center: Center) -> None:
    """Offsets that change once, but by five hours: no clock change does that (a system moved, or a site)."""
    base = pd.Timestamp("2026-01-12 09:00", tz="UTC")
    offsets = ["+00:00"] * 20 + ["+05:00"] * 20
    stamps = [(base + pd.Timedelta(hours=i)).tz_convert(offset).isoformat() for i, offset in enumerate(offsets)]
    (warning,) = read_history(_offset_file(tmp_path, stamps), center=center).warnings
    assert "+00:00 (20 rows), +05:00 (20 rows)" in warning


def test_repeats_in_a_file_with_unique_columns_are_warned_without_a_numeric_slip(
    tmp_path: Path, center: Center, recwarn: pytest.WarningsRecorder
) -> None:
    """Columns that are (nearly) unique per row, like an ACD's call and customer ids, make a chance repeat so
    unlikely that the expected count must come out as 0, not as a rounding slip below it (a negative count, the
    square root of it)."""
    tickets = _tickets(2_000)
    tickets["call_id"] = [f"c{k}" for k in range(len(tickets))]
    for name, step in (("customer_id", 7), ("vru_line", 11), ("queue_s", 13), ("server", 17)):
        tickets[name] = [f"{name}{k * step % 1999}" for k in range(len(tickets))]
    doubled = pd.concat([tickets, tickets.sample(260, random_state=1)]).sort_values("created_at", kind="stable")
    path = tmp_path / "doubled.csv"
    doubled.to_csv(path, index=False)
    (warning,) = read_history(path, center=center).warnings
    assert "260 row(s) repeat an earlier row in every column" in warning
    assert "chance explains about 0)" in warning
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
