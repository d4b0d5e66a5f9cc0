"""`wfm validate` says how much of a history arrived while its work type was closed
(`planner.inputs.outside_opening_hours`, printed by the CLI when a centre and a history are both given).

The centre is the shared tiny test centre (Europe/London) with the bank's week as its opening hours: Sunday to
Thursday 08:00-17:00, Friday 08:00-14:00, Saturday closed. Hand-built histories, counted by hand; and the real
bank's August 1999 log (../shared/data, skipped when absent), whose calls arrive around the clock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from models import Center, History
from planner.inputs import check_inputs, outside_opening_hours
from tests.conftest import CENTER_DATA
from tests.shared_data import shared_data
from wfm import cli
from wfm.exit_codes import ExitCode

BANK_HOURS = [
    {"weekday": day, "start_minute": "08:00", "end_minute": "17:00"} for day in ("sun", "mon", "tue", "wed", "thu")
] + [{"weekday": "fri", "start_minute": "08:00", "end_minute": "14:00"}]


def bank_centre_data() -> dict[str, Any]:
    data = copy.deepcopy(CENTER_DATA)
    data["opening_hours"] = BANK_HOURS
    data["special_days"] = [{"date": "2026-03-04", "name": "Strike", "closed": True, "work_types": ["tech_email"]}]
    return data


#: Friday 6 March 2026 09:00 (open), 15:00 (Friday closes at 14:00), Saturday 7 March 10:00 (closed), Sunday
#: 8 March 10:00 (open), Monday 9 March 07:59 (before the opening); e-mail on the strike day (closed for e-mail
#: only) and on the Thursday after.
TICKETS = """created_at,work_type
2026-03-04T10:00:00+00:00,tech_email
2026-03-04T10:00:00+00:00,billing_phone
2026-03-05T10:00:00+00:00,tech_email
2026-03-06T09:00:00+00:00,billing_phone
2026-03-06T15:00:00+00:00,billing_phone
2026-03-07T10:00:00+00:00,billing_phone
2026-03-08T10:00:00+00:00,billing_phone
2026-03-09T07:59:00+00:00,billing_phone
"""


def test_outside_hours_per_work_type_counted_by_hand(
    write_yaml: Callable[[Any, str], Path], write_csv: Callable[[str, str], Path]
) -> None:
    """Phone: 6 calls, of which Friday 15:00, Saturday 10:00 and Monday 07:59 arrived while closed: 3 (50%),
    dropped by default. E-mail: 2, the strike day's closed for e-mail: 1 (50%), moved to the next opening."""
    report = check_inputs(write_yaml(bank_centre_data(), "center.yaml"), write_csv(TICKETS, "history.csv"))
    assert report.outside_hours is not None
    got = report.outside_hours.set_index("work_type")
    assert got.loc["billing_phone", ["contacts", "outside", "share"]].tolist() == [6.0, 3.0, 0.5]
    assert got.loc["billing_phone", "outside_hours"] == "drop"
    assert got.loc["tech_email", ["contacts", "outside", "share"]].tolist() == [2.0, 1.0, 0.5]
    assert got.loc["tech_email", "outside_hours"] == "next_opening"
    assert check_inputs(write_yaml(bank_centre_data(), "center.yaml")).outside_hours is None


def test_interval_counts_are_weighted_by_their_volume() -> None:
    """Interval history: 10 calls at Saturday 10:00 (closed) and 30 at Sunday 10:00 (open): 10 of 40 (25%)."""
    frame = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(["2026-03-07 10:00", "2026-03-08 10:00"]).tz_localize("Europe/London"),
            "work_type": "billing_phone",
            "volume": [10.0, 30.0],
        }
    )
    history = History(frame, "intervals", "counts.csv", "Europe/London", 60, None)
    got = outside_opening_hours(Center.model_validate(bank_centre_data()), history)
    assert got[["contacts", "outside", "share"]].to_numpy().tolist() == [[40.0, 10.0, 0.25]]


def test_wfm_validate_prints_the_outside_hours_table(
    write_yaml: Callable[[Any, str], Path], write_csv: Callable[[str, str], Path]
) -> None:
    center, history = write_yaml(bank_centre_data(), "center.yaml"), write_csv(TICKETS, "history.csv")
    result = CliRunner().invoke(cli.app, ["validate", "--center", str(center), "--history", str(history)])
    assert result.exit_code == ExitCode.OK, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split() == ["billing_phone", "6", "3", "50.0%", "drop"] for line in lines), result.stdout
    assert any(line.split() == ["tech_email", "2", "1", "50.0%", "next_opening"] for line in lines), result.stdout


def test_the_bank_log_outside_the_banks_hours() -> None:
    """The real bank's August 1999 log (VRU entry times, phantom calls left out) against its published week
    (Asia/Jerusalem; Sunday-Thursday 07:00-24:00, Friday 07:00-14:00, Saturday from 20:00, after the Sabbath):
    the calls that arrived outside those hours (to the voice response unit at night, on Friday afternoon), as
    counted independently from the raw file's wall-clock times."""
    path = shared_data("anonbank", "calls_1999-08.csv")
    raw = pd.read_csv(path, dtype={"call_id": str})
    raw = raw[raw["outcome"] != "PHANTOM"]
    local = pd.to_datetime(raw["date"] + " " + raw["vru_entry"])
    hours = [
        {"weekday": d, "start_minute": "07:00", "end_minute": "24:00"} for d in ("sun", "mon", "tue", "wed", "thu")
    ]
    hours += [
        {"weekday": "fri", "start_minute": "07:00", "end_minute": "14:00"},
        {"weekday": "sat", "start_minute": "20:00", "end_minute": "24:00"},
    ]
    data = copy.deepcopy(CENTER_DATA) | {"timezone": "Asia/Jerusalem", "country": "IL", "opening_hours": hours}
    center = Center.model_validate(data)
    frame = pd.DataFrame({"created_at": local.dt.tz_localize("Asia/Jerusalem"), "work_type": "billing_phone"})
    history = History(
        frame.sort_values("created_at").reset_index(drop=True), "tickets", str(path), "Asia/Jerusalem", None, None
    )
    got = outside_opening_hours(center, history).set_index("work_type").loc["billing_phone"]
    weekday, minute = local.dt.day_of_week, local.dt.hour * 60 + local.dt.minute
    open_ = (
        (weekday.isin([6, 0, 1, 2, 3]) & (minute >= 420))
        | ((weekday == 4) & (minute >= 420) & (minute < 840))
        | ((weekday == 5) & (minute >= 1200))
    )
    assert got["contacts"] == len(raw)
    assert got["outside"] == int((~open_).sum())
    assert 0.0 < got["share"] < 0.1
