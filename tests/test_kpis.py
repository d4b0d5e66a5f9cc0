"""`planner.kpis` and `wfm kpis`: what happened, measured from history with the simulation's definitions.

Every expected figure below is counted by hand from the tiny histories (their arithmetic is in the comments);
rates are compared to 1e-12.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models import Center, HistoryFormat, InputError, load_center, read_history
from planner.kpis import compute_kpis
from tests.conftest import assert_problem
from tests.shared_data import shared_data
from wfm import cli
from wfm.exit_codes import ExitCode

ZONE = "Europe/London"
EXACT = 1e-12

#: Monday 2 March 2026 (GMT). billing_phone: 80% within 20 s (gold customers: 10 s).
#: c1 waits 10 s (met); c2 waits 30 s (late); c3 has no answer and no resolution (abandoned by the rule);
#: c4 is gold and waits 15 s (late against its 10 s); c5 waits 5 s (met); c6 is flagged abandoned.
PHONE = """
created_at,work_type,customer_tier,first_response_at,resolved_at,agent_id,handle_time_s,abandoned,reopened,csat
2026-03-02T09:00:00,billing_phone,standard,2026-03-02T09:00:10,2026-03-02T09:05:10,a1,300,,false,5
2026-03-02T09:01:00,billing_phone,standard,2026-03-02T09:01:30,2026-03-02T09:04:50,a1,200,,true,3
2026-03-02T09:02:00,billing_phone,standard,,,,,,,
2026-03-02T09:20:00,billing_phone,gold,2026-03-02T09:20:15,2026-03-02T09:22:00,a2,100,,,4
2026-03-02T09:21:00,billing_phone,standard,2026-03-02T09:21:05,2026-03-02T09:33:00,a2,700,false,false,
2026-03-02T09:22:00,billing_phone,standard,,,,,true,,
"""

#: tech_email: 90% first response within 24 h. e1 answered after 6 h, resolved after 49 h; e2 answered and resolved
#: after 26.5 h; e3 is still open when the history ends (2026-03-04 10:00, e1's resolution: 48 h open, late);
#: e4 answered after 30 min and resolved after 1 h.
EMAIL = """
created_at,work_type,first_response_at,resolved_at
2026-03-02T09:00:00,tech_email,2026-03-02T15:00:00,2026-03-04T10:00:00
2026-03-02T09:30:00,tech_email,2026-03-03T12:00:00,2026-03-03T12:00:00
2026-03-02T10:00:00,tech_email,,
2026-03-02T11:00:00,tech_email,2026-03-02T11:30:00,2026-03-02T12:00:00
"""


@pytest.fixture
def center(center_data: dict[str, Any]) -> Center:
    return Center.model_validate(center_data)


def history_of(write_csv: Callable[[str, str], Path], text: str, center: Center) -> pd.DataFrame:
    return read_history(write_csv(text, "history.csv"), center=center).frame


def row_of(table: pd.DataFrame, **keys: Any) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in keys.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, (keys, table)
    return table.loc[mask].iloc[0]


def test_realtime_service_level_asa_and_abandonment(write_csv: Callable[..., Path], center: Center) -> None:
    result = compute_kpis(history_of(write_csv, PHONE, center), center)
    phone = row_of(result.by_work_type, work_type="billing_phone")
    assert (phone["offered"], phone["answered"], phone["abandoned"]) == (6, 4, 2)
    assert (phone["answered_within"], phone["sla_breaches"]) == (2, 4)  # c1, c5 | c2, c4 late; c3, c6 abandoned
    assert phone["service_level"] == pytest.approx(2 / 6, abs=EXACT)  # over offered: 2 met of 6
    assert phone["target_service_level"] == 0.8 and not phone["meets_target"]
    assert phone["asa_s"] == pytest.approx((10 + 30 + 15 + 5) / 4, abs=EXACT)
    assert phone["abandon_rate"] == pytest.approx(2 / 6, abs=EXACT)
    # FCR: reopened known for c1 (no), c2 (yes), c5 (no); CSAT: 5, 3, 4.
    assert phone["first_contact_resolution"] == pytest.approx(2 / 3, abs=EXACT)
    assert (phone["csat_responses"], phone["csat_mean"]) == (3, pytest.approx(4.0, abs=EXACT))
    assert phone["handle_h"] == pytest.approx(1300 / 3600, abs=EXACT)


def test_service_level_over_answered_divides_by_the_answered(
    write_csv: Callable[..., Path], center_data: dict[str, Any]
) -> None:
    center_data["work_types"][0]["target"] |= {"mean_patience_s": 120, "service_level_over": "answered"}
    center = Center.model_validate(center_data)
    phone = row_of(compute_kpis(history_of(write_csv, PHONE, center), center).by_work_type, work_type="billing_phone")
    assert phone["service_level"] == pytest.approx(2 / 4, abs=EXACT)  # 2 met of 4 answered


def test_per_interval_figures(write_csv: Callable[..., Path], center: Center) -> None:
    table = compute_kpis(history_of(write_csv, PHONE, center), center).by_interval
    nine = row_of(table, work_type="billing_phone", interval_start=pd.Timestamp("2026-03-02 09:00", tz=ZONE))
    quarter = row_of(table, work_type="billing_phone", interval_start=pd.Timestamp("2026-03-02 09:15", tz=ZONE))
    # 09:00: c1 met, c2 late, c3 abandoned; 09:15: c4 late, c5 met, c6 abandoned.
    for row, asa in ((nine, (10 + 30) / 2), (quarter, (15 + 5) / 2)):
        assert (row["offered"], row["answered"], row["abandoned"]) == (3, 2, 1)
        assert row["service_level"] == pytest.approx(1 / 3, abs=EXACT)
        assert row["asa_s"] == pytest.approx(asa, abs=EXACT)
        assert str(row["date"]) == "2026-03-02"


def test_per_agent_figures_and_balance(write_csv: Callable[..., Path], center: Center) -> None:
    result = compute_kpis(history_of(write_csv, PHONE, center), center)
    assert result.by_agent is not None
    a1, a2 = row_of(result.by_agent, agent_id="a1"), row_of(result.by_agent, agent_id="a2")
    assert (a1["handled"], a2["handled"]) == (2, 2)
    assert a1["handle_h"] == pytest.approx(500 / 3600, abs=EXACT)
    assert a2["handle_h"] == pytest.approx(800 / 3600, abs=EXACT)
    assert a1["first_contact_resolution"] == pytest.approx(1 / 2, abs=EXACT)  # c1 no, c2 yes
    assert a2["csat_mean"] == pytest.approx(4.0, abs=EXACT)
    assert "occupancy" not in result.by_agent.columns  # no roster: no time on duty
    balance = result.summary["workload_balance"]
    assert balance["handled"]["cv"] == pytest.approx(0.0, abs=EXACT)
    # handle hours 500 s and 800 s: mean 650, population standard deviation 150.
    assert balance["handle_h"]["cv"] == pytest.approx(150 / 650, abs=EXACT)
    assert balance["handle_h"]["spread"] == pytest.approx(300 / 3600, abs=EXACT)
    assert any("--roster" in note and "occupancy" in note for note in result.notes)


def test_occupancy_from_a_roster(write_csv: Callable[..., Path], center: Center) -> None:
    # a1 on duty 09:00-10:00 with a 30-min break: 0.5 h; a2 on duty 09:00-09:40: 2/3 h; a3 on duty, handled nothing.
    roster = pd.DataFrame(
        {
            "agent_id": ["a1", "a2", "a3"],
            "date": [date(2026, 3, 2)] * 3,
            "start": pd.to_datetime(["2026-03-02 09:00"] * 3).tz_localize(ZONE),
            "end": pd.to_datetime(["2026-03-02 10:00", "2026-03-02 09:40", "2026-03-02 10:00"]).tz_localize(ZONE),
            "shift_template": ["day"] * 3,
            "breaks": [[["2026-03-02T09:30:00+00:00", "2026-03-02T10:00:00+00:00"]], [], []],
            "paid_minutes": [60, 40, 60],
        }
    )
    result = compute_kpis(history_of(write_csv, PHONE, center), center, roster=roster)
    assert result.by_agent is not None
    a1, a2, a3 = (row_of(result.by_agent, agent_id=a) for a in ("a1", "a2", "a3"))
    assert a1["occupancy"] == pytest.approx((500 / 3600) / 0.5, abs=EXACT)
    assert a2["occupancy"] == pytest.approx((800 / 3600) / (40 / 60), abs=EXACT)
    assert (a3["handled"], a3["occupancy"]) == (0, 0.0)
    assert result.summary["occupancy"] == pytest.approx((1300 / 3600) / (0.5 + 40 / 60 + 1.0), abs=EXACT)
    assert result.summary["workload_balance"]["handled"]["spread"] == 2  # 2, 2 and 0 contacts


def test_deferred_first_response_and_resolution_within_sla(write_csv: Callable[..., Path], center: Center) -> None:
    email = row_of(compute_kpis(history_of(write_csv, EMAIL, center), center).by_work_type, work_type="tech_email")
    assert (email["offered"], email["answered"], email["unresolved"], email["abandoned"]) == (4, 3, 1, 0)
    # First response: e1, e4 within 24 h; e2 late, e3 open for 48 h. Resolution: e4 only.
    assert email["first_response_within_sla"] == pytest.approx(2 / 4, abs=EXACT)
    assert email["resolved_within_sla"] == pytest.approx(1 / 4, abs=EXACT)
    assert email["service_level"] == pytest.approx(2 / 4, abs=EXACT)  # the target measures the first response
    assert email["asa_s"] == pytest.approx((6 * 3600 + 26.5 * 3600 + 1800) / 3, abs=EXACT)


def test_as_of_measures_the_day_so_far(write_csv: Callable[..., Path], center: Center) -> None:
    # At 09:20:10, c5 and c6 have not arrived; c4 (gold, 10 s) arrived at 09:20:00 and is answered only at 09:20:15:
    # it is waiting, 10 s old, not yet late. c7 has no times and `abandoned` false: a caller still waiting.
    waiting = PHONE.strip() + "\n2026-03-02T09:20:05,billing_phone,standard,,,,,false,,\n"
    history = history_of(write_csv, waiting, center)
    at = pd.Timestamp("2026-03-02 09:20:10", tz=ZONE)
    result = compute_kpis(history, center, as_of=at)
    phone = row_of(result.by_work_type, work_type="billing_phone")
    assert (phone["offered"], phone["answered"], phone["abandoned"], phone["unresolved"]) == (5, 2, 1, 2)
    assert (phone["answered_within"], phone["sla_breaches"]) == (1, 2)  # c1 | c2 late, c3 abandoned
    assert phone["service_level"] == pytest.approx(1 / 3, abs=EXACT)
    assert result.summary["as_of"] == at.isoformat()
    # The whole day: c7 is still waiting when the history ends (09:33, c5's resolution), 13 min past its 20 s.
    whole = row_of(compute_kpis(history, center).by_work_type, work_type="billing_phone")
    assert (whole["abandoned"], whole["unresolved"], whole["sla_breaches"]) == (2, 1, 5)


def test_from_and_to_keep_the_days_between(write_csv: Callable[..., Path], center: Center) -> None:
    # The phone day again a week later (9 March), with c1 answered after 60 s there.
    later = "\n".join(line.replace("2026-03-02", "2026-03-09") for line in PHONE.strip().splitlines()[1:]).replace(
        "09:00:10", "09:01:00"
    )
    history = history_of(write_csv, PHONE.strip() + "\n" + later, center)
    whole = row_of(compute_kpis(history, center).by_work_type, work_type="billing_phone")
    assert whole["offered"] == 12
    second = compute_kpis(history, center, start=date(2026, 3, 9), end=date(2026, 3, 9))
    phone = row_of(second.by_work_type, work_type="billing_phone")
    assert (phone["offered"], phone["answered_within"]) == (6, 1)  # only c5 is met that day
    assert second.summary["from"] == "2026-03-09" and second.summary["to"] == "2026-03-09"
    assert set(second.by_day["date"].astype(str)) == {"2026-03-09"}


def test_a_window_without_contacts_is_bad_input(write_csv: Callable[..., Path], center: Center) -> None:
    history = history_of(write_csv, PHONE, center)
    with pytest.raises(InputError) as caught:
        compute_kpis(history, center, start=date(2026, 4, 1), end=date(2026, 4, 2))
    assert_problem(caught.value, "--from/--to", "no contacts")
    with pytest.raises(InputError) as caught:
        compute_kpis(history, center, start=date(2026, 3, 3), end=date(2026, 3, 2))
    assert_problem(caught.value, "--from/--to", "after")


def test_interval_counts_give_volume_and_actual_against_forecast(
    write_csv: Callable[..., Path], center: Center
) -> None:
    counts = """
interval_start,work_type,volume,aht_s
2026-03-02T09:00:00,billing_phone,10,300
2026-03-02T09:15:00,billing_phone,20,240
2026-03-02T09:30:00,billing_phone,10,300
"""
    history = history_of(write_csv, counts, center)
    forecast = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(["2026-03-02 09:00", "2026-03-02 09:15", "2026-03-02 09:30"]).tz_localize(
                ZONE
            ),
            "work_type": "billing_phone",
            "volume": [12.0, 15.0, 10.0],
        }
    )
    result = compute_kpis(history, center, forecast=forecast)
    phone = row_of(result.by_work_type, work_type="billing_phone")
    assert phone["offered"] == 40
    assert phone["handle_h"] == pytest.approx((10 * 300 + 20 * 240 + 10 * 300) / 3600, abs=EXACT)
    assert "service_level" not in result.by_work_type.columns  # no per-contact times: not padded
    assert any("interval counts" in note for note in result.notes)
    assert result.actual_vs_forecast is not None
    assert result.actual_vs_forecast["difference"].tolist() == [-2.0, 5.0, 0.0]
    # WAPE: (2 + 5 + 0) / 40.
    assert phone["wape"] == pytest.approx(7 / 40, abs=EXACT)
    day = row_of(result.by_day, work_type="billing_phone")
    assert (day["forecast_volume"], day["wape"]) == (37.0, pytest.approx(7 / 40, abs=EXACT))


def test_tickets_against_a_forecast_on_an_hourly_grid(write_csv: Callable[..., Path], center: Center) -> None:
    forecast = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(["2026-03-02 08:00", "2026-03-02 09:00"]).tz_localize(ZONE),
            "work_type": "billing_phone",
            "volume": [1.0, 4.0],
        }
    )
    result = compute_kpis(history_of(write_csv, PHONE, center), center, forecast=forecast)
    assert result.actual_vs_forecast is not None
    assert result.actual_vs_forecast["actual"].tolist() == [0.0, 6.0]  # 08:00 had none; 09:00 six
    assert row_of(result.by_work_type, work_type="billing_phone")["wape"] == pytest.approx((1 + 2) / 6, abs=EXACT)


# -- the command ----------------------------------------------------------------------------------------------------

runner = CliRunner()


def wfm(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_wfm_kpis_writes_the_tables_and_the_summary(
    tmp_path: Path, write_csv: Callable[..., Path], write_yaml: Callable[..., Path], center_data: dict[str, Any]
) -> None:
    center_path = write_yaml(center_data)
    both = pd.concat([pd.read_csv(io.StringIO(text.strip()), dtype=str) for text in (PHONE, EMAIL)])
    history = tmp_path / "history.csv"
    both.to_csv(history, index=False)
    forecast = write_csv(
        "interval_start,work_type,volume,volume_p10,volume_p50,volume_p90,aht_s\n"
        "2026-03-02T09:00:00+00:00,billing_phone,4,2,4,6,300\n"
        "2026-03-02T09:15:00+00:00,billing_phone,3,1,3,5,300\n",
        "forecast.csv",
    )
    out = tmp_path / "kpis"
    code, stdout, stderr = wfm(
        "kpis", "--history", history, "--center", center_path, "--forecast", forecast, "--out", out
    )
    assert code == ExitCode.OK, stderr
    names = {p.name for p in out.iterdir()}
    assert names == {
        "kpis_by_work_type.csv",
        "kpis_by_day.csv",
        "kpis_by_interval.csv",
        "kpis_by_agent.csv",
        "actual_vs_forecast.csv",
        "summary.json",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["work_types"]["billing_phone"]["service_level"] == pytest.approx(2 / 6, abs=EXACT)
    assert summary["work_types"]["tech_email"]["first_response_within_sla"] == pytest.approx(2 / 4, abs=EXACT)
    by_type = pd.read_csv(out / "kpis_by_work_type.csv")
    assert set(by_type["work_type"]) == {"billing_phone", "tech_email"}
    comparison = pd.read_csv(out / "actual_vs_forecast.csv")
    assert comparison["actual"].tolist() == [3, 3] and comparison["forecast"].tolist() == [4, 3]
    assert "billing_phone" in stdout and "33.3%" in stdout
    assert "--roster" in stderr  # the note that occupancy needs a roster


def test_wfm_kpis_reads_history_with_the_history_options(
    tmp_path: Path, write_csv: Callable[..., Path], write_yaml: Callable[..., Path], center_data: dict[str, Any]
) -> None:
    export = write_csv(
        "opened,queue,answered,outcome\n"
        "2026-03-02 09:00:00,billing_phone,2026-03-02 09:00:10,OK\n"
        "2026-03-02 09:01:00,billing_phone,2026-03-02 09:01:30,OK\n"
        "2026-03-02 09:05:00,billing_phone,,TEST\n",
        "export.csv",
    )
    out = tmp_path / "kpis"
    code, _, stderr = wfm(
        "kpis", "--history", export, "--center", write_yaml(center_data), "--out", out,
        "--column", "created_at=opened", "--column", "work_type=queue", "--column", "first_response_at=answered",
        "--exclude", "outcome=TEST",
    )  # fmt: skip
    assert code == ExitCode.OK, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["work_types"]["billing_phone"]["offered"] == 2
    assert summary["work_types"]["billing_phone"]["service_level"] == pytest.approx(1 / 2, abs=EXACT)
    assert "1 of 3 rows were excluded" in stderr


def test_wfm_kpis_refuses_bad_input_and_writes_nothing(
    tmp_path: Path, write_csv: Callable[..., Path], write_yaml: Callable[..., Path], center_data: dict[str, Any]
) -> None:
    center_path = write_yaml(center_data)
    bad = write_csv(PHONE.replace(",false,5", ",false,great"), "bad.csv")
    out = tmp_path / "kpis"
    code, _, stderr = wfm("kpis", "--history", bad, "--center", center_path, "--out", out)
    assert code == ExitCode.BAD_INPUT
    assert "bad.csv" in stderr and "row 1 (line 2)" in stderr and "'csat'" in stderr and "Fix:" in stderr
    assert not out.exists()
    good = write_csv(PHONE, "good.csv")
    code, _, stderr = wfm("kpis", "--history", good, "--center", center_path, "--from", "2026-03-05", "--to",
                          "2026-03-04", "--out", out)  # fmt: skip
    assert code == ExitCode.BAD_INPUT and "--from" in stderr and not out.exists()
    forecast = write_csv(
        "interval_start,work_type,volume,volume_p10,volume_p50,volume_p90,aht_s\n"
        "2026-03-02T09:00:00+00:00,no_such_queue,4,2,4,6,300\n",
        "forecast.csv",
    )
    code, _, stderr = wfm("kpis", "--history", good, "--center", center_path, "--forecast", forecast, "--out", out)
    assert code == ExitCode.BAD_INPUT and "forecast.csv" in stderr and "no_such_queue" in stderr and not out.exists()


# -- the real bank --------------------------------------------------------------------------------------------------


def test_the_banks_august_1999_figures_match_its_own_log(tmp_path: Path) -> None:
    """The bank's log as a per-ticket history (`benchmarks.simulation_replay.call_requests`: arrival at the queue,
    answered `q_time` seconds later (the ACD's measured wait: its clock times are a second apart from it in a third
    of the calls, and some served calls have no service start), the server as agent, abandoned calls with no
    answer): the KPIs agree with the log's own columns, counted here independently (offered = requests,
    abandonment = HANG in the queue, ASA = mean `q_time` of served calls, service level = served with `q_time` <=
    the target's seconds, over offered)."""
    from benchmarks.simulation_replay import call_requests, read_calls

    path = shared_data("anonbank", "calls_1999-08.csv")
    center = load_center(Path(__file__).resolve().parents[1] / "docs" / "examples" / "anonbank" / "center.yaml")
    calls = read_calls(path)
    requests = call_requests(calls, center.timezone)
    history = pd.DataFrame(
        {
            "created_at": requests["arrival"],
            "work_type": requests["type"],
            "first_response_at": (requests["arrival"] + pd.to_timedelta(requests["wait_s"], unit="s")).where(
                requests["served"]
            ),
            "handle_time_s": requests["handle_s"].where(requests["handle_s"] > 0),
            "agent_id": requests["server"].where(requests["server"] != ""),
        }
    )
    file = tmp_path / "bank.parquet"
    history.to_parquet(file)
    frame = read_history(file, center=center, fmt=HistoryFormat()).frame
    result = compute_kpis(frame, center)
    asked = calls[calls["outcome"].eq("AGENT") | (calls["outcome"].eq("HANG") & calls["q_start"].ne("0:00:00"))]
    for work_type in center.work_types:
        mine = asked[asked["type"] == work_type.id]
        served = mine[mine["outcome"] == "AGENT"]
        row = row_of(result.by_work_type, work_type=work_type.id)
        assert row["offered"] == len(mine)
        assert row["abandoned"] == int((mine["outcome"] == "HANG").sum())
        assert row["asa_s"] == pytest.approx(served["q_time"].astype(float).mean(), abs=1e-9)
        within = int((served["q_time"].astype(float) <= work_type.target.within_s).sum())
        assert row["service_level"] == pytest.approx(within / len(mine), abs=1e-12)
    assert result.by_agent is not None and len(result.by_agent) == 31  # the named servers
