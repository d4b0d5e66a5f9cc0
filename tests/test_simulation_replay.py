"""The conversion of the Anonymous Bank call log into a simulation (benchmarks/simulation_replay.py): requests,
call types, the centre, the staffing the log implies, the replayed demand and the real figures per hour.

Hand-written log rows (times local in Asia/Jerusalem, August 1999, no DST change); every expected number is worked
out by hand from those rows in the test. The last tests read the real file and skip when it is absent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks.simulation_replay import (
    CALLS_FILE,
    build_centre,
    call_requests,
    compare_day,
    implied_roster,
    on_day,
    read_calls,
    real_hourly,
    replay_tickets,
    simulate_day,
    type_estimates,
)
from tests.shared_data import shared_data

TZ = "Asia/Jerusalem"
DAY = "1999-08-02"


def call(
    call_id: str,
    kind: str,
    outcome: str,
    vru: tuple[str, str],
    queue: tuple[str, str, int] = ("0:00:00", "0:00:00", 0),
    service: tuple[str, str, int] = ("0:00:00", "0:00:00", 0),
    server: str = "NO_SERVER",
    priority: int = 0,
    on: str = DAY,
) -> dict[str, Any]:
    """One row of the log, with its columns as in calls_1999-08.csv."""
    return {
        "vru+line": "AA0101",
        "call_id": call_id,
        "customer_id": 0,
        "priority": priority,
        "type": kind,
        "date": on,
        "vru_entry": vru[0],
        "vru_exit": vru[1],
        "vru_time": 0,
        "q_start": queue[0],
        "q_exit": queue[1],
        "q_time": queue[2],
        "outcome": outcome,
        "ser_start": service[0],
        "ser_exit": service[1],
        "ser_time": service[2],
        "server": server,
    }


#: c1 queued 30 s then served 180 s by AVI (a priority customer); c2 served at once by DORIT; c3 hung up after 90 s
#: in the queue; c4 hung up in the VRU and c5 is a PHANTOM (both left out); c6 entered the VRU before midnight and
#: queued after it; c7 and c8 are AVI's later calls (c8 after two idle 30-min slots: a break).
LOG = pd.DataFrame(
    [
        call("c1", "PS", "AGENT", ("10:00:00", "10:00:10"), ("10:00:10", "10:00:40", 30),
             ("10:00:40", "10:03:40", 180), "AVI", priority=2),
        call("c2", "NW", "AGENT", ("10:05:00", "10:05:05"), service=("10:05:05", "10:07:05", 120), server="DORIT"),
        call("c3", "PS", "HANG", ("10:20:00", "10:20:10"), ("10:20:10", "10:21:40", 90), priority=1),
        call("c4", "PS", "HANG", ("10:25:00", "10:25:30")),
        call("c5", "NE", "PHANTOM", ("10:26:00", "10:26:10"), ("10:26:10", "10:26:20", 10)),
        call("c6", "PS", "AGENT", ("23:59:50", "0:00:05"), ("0:00:05", "0:00:25", 20), ("0:00:25", "0:02:25", 120),
             "AVI"),
        call("c7", "NW", "AGENT", ("10:49:00", "10:50:00"), ("10:50:00", "10:50:00", 0),
             ("10:50:00", "10:52:00", 120), "AVI"),
        call("c8", "PS", "AGENT", ("12:09:00", "12:10:00"), ("12:10:00", "12:10:30", 30),
             ("12:10:30", "12:12:30", 120), "AVI"),
    ]
)  # fmt: skip


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize(TZ)


@pytest.fixture(scope="module")
def requests() -> pd.DataFrame:
    return call_requests(LOG)


def test_requests_are_the_calls_that_asked_for_an_agent(requests: pd.DataFrame) -> None:
    assert requests["call_id"].tolist() == ["c1", "c2", "c3", "c7", "c8", "c6"]  # sorted by arrival
    row = requests.set_index("call_id")
    # Arrival: q_start, or ser_start for a call answered without queueing.
    assert row.loc["c1", "arrival"] == stamp("1999-08-02 10:00:10")
    assert row.loc["c2", "arrival"] == stamp("1999-08-02 10:05:05")
    assert row.loc["c3", "arrival"] == stamp("1999-08-02 10:20:10")
    assert row["served"].tolist() == [True, True, False, True, True, True]
    assert row["abandoned"].tolist() == [False, False, True, False, False, False]
    assert row["wait_s"].tolist() == [30.0, 0.0, 90.0, 0.0, 30.0, 20.0]
    assert row.loc["c1", "handle_s"] == 180.0 and np.isnan(row.loc["c3", "handle_s"])
    assert row.loc["c1", "answered_at"] == stamp("1999-08-02 10:00:40")
    assert row.loc["c1", "service_end"] == stamp("1999-08-02 10:03:40")
    assert pd.isna(row.loc["c3", "answered_at"]) and pd.isna(row.loc["c3", "service_end"])
    assert row["server"].tolist() == ["AVI", "DORIT", "", "AVI", "AVI", "AVI"]
    assert row.loc["c1", "log_priority"] == 2


def test_a_call_across_midnight_arrives_on_the_next_day(requests: pd.DataFrame) -> None:
    row = requests.set_index("call_id").loc["c6"]
    assert row["arrival"] == stamp("1999-08-03 00:00:05")
    assert row["answered_at"] == stamp("1999-08-03 00:00:25")
    assert row["service_end"] == stamp("1999-08-03 00:02:25")
    assert on_day(requests, date(1999, 8, 3))["call_id"].tolist() == ["c6"]
    assert len(on_day(requests, date(1999, 8, 2))) == 5


def test_type_estimates_use_the_exponential_mle_for_patience(requests: pd.DataFrame) -> None:
    estimates = type_estimates(requests)
    ps = estimates.loc["PS"]
    # PS requests: c1 (wait 30, served 180 s), c3 (abandoned after 90), c8 (30, 120 s), c6 (20, 120 s).
    assert (ps["offered"], ps["served"], ps["abandoned"]) == (4, 3, 1)
    assert ps["aht_s"] == pytest.approx((180 + 120 + 120) / 3)
    assert ps["mean_patience_s"] == pytest.approx((30 + 90 + 30 + 20) / 1)  # all time in queue / abandonments
    nw = estimates.loc["NW"]
    assert (nw["offered"], nw["abandoned"], nw["aht_s"]) == (2, 0, 120.0)
    assert nw["mean_patience_s"] == np.inf  # nobody abandoned: no finite estimate
    assert estimates.loc["PE", "offered"] == 0


def test_centre_has_a_work_type_per_type_seen_and_the_servers_with_what_they_served(requests: pd.DataFrame) -> None:
    center = build_centre(requests, within_s=60)
    assert [w.id for w in center.work_types] == ["PS", "NW"]
    ps, nw = center.work_type("PS"), center.work_type("NW")
    assert ps.aht_s == pytest.approx(140.0) and ps.target.mean_patience_s == pytest.approx(170.0)
    assert ps.target.within_s == 60 and ps.mode.value == "realtime"
    assert nw.target.mean_patience_s is None  # no abandonment seen: none simulated
    assert {a.id: sorted(a.skill_ids) for a in center.agents} == {"AVI": ["NW", "PS"], "DORIT": ["NW"]}
    slower = build_centre(requests, proficiency=0.5)
    assert all(s.proficiency == 0.5 for a in slower.agents for s in a.skills)


def test_implied_roster_covers_the_slots_a_server_served_in(requests: pd.DataFrame) -> None:
    roster = implied_roster(requests, slot_minutes=30).set_index(["agent_id", "date"])
    assert len(roster) == 3
    # AVI on 08-02 served in the slots 10:00 (c1), 10:30 (c7) and 12:00 (c8): on 10:00-12:30, break 11:00-12:00.
    avi = roster.loc[("AVI", date(1999, 8, 2))]
    assert avi["start"] == stamp("1999-08-02 10:00") and avi["end"] == stamp("1999-08-02 12:30")
    assert avi["breaks"] == [[stamp("1999-08-02 11:00"), stamp("1999-08-02 12:00")]]
    assert avi["paid_minutes"] == 90
    # The call after midnight gives AVI a row on 08-03; DORIT served in one slot.
    night = roster.loc[("AVI", date(1999, 8, 3))]
    assert (night["start"], night["end"], night["breaks"]) == (stamp("1999-08-03 00:00"), stamp("1999-08-03 00:30"), [])
    dorit = roster.loc[("DORIT", date(1999, 8, 2))]
    assert (dorit["start"], dorit["end"]) == (stamp("1999-08-02 10:00"), stamp("1999-08-02 10:30"))
    # With 60-min slots AVI's 10:00 and 12:00 hours are split by an idle 11:00 hour.
    hourly = implied_roster(requests, slot_minutes=60).set_index(["agent_id", "date"]).loc[("AVI", date(1999, 8, 2))]
    assert hourly["breaks"] == [[stamp("1999-08-02 11:00"), stamp("1999-08-02 12:00")]]
    assert hourly["end"] == stamp("1999-08-02 13:00")


def test_a_service_across_a_slot_boundary_marks_both_slots() -> None:
    long_call = call("x", "PS", "AGENT", ("9:50:00", "9:50:00"), service=("9:55:00", "10:05:00", 600), server="AVI")
    roster = implied_roster(call_requests(pd.DataFrame([long_call])), slot_minutes=15)
    assert roster["start"].tolist() == [stamp("1999-08-02 09:45")]
    assert roster["end"].tolist() == [stamp("1999-08-02 10:15")]


def test_replay_tickets_keep_real_handle_times_and_map_priority(requests: pd.DataFrame) -> None:
    tickets = replay_tickets(requests).set_index("ticket_id")
    assert tickets.loc["c1", "priority"] == 1  # the log's priority customers
    assert tickets.loc["c3", "priority"] == 2 and tickets.loc["c2", "priority"] == 2
    assert tickets.loc["c1", "handle_time_s"] == 180.0
    assert np.isnan(tickets.loc["c3", "handle_time_s"])  # abandoned: the simulation draws one
    assert tickets.loc["c2", "created_at"] == stamp("1999-08-02 10:05:05")


def test_real_hourly_figures(requests: pd.DataFrame) -> None:
    day = on_day(requests, date(1999, 8, 2))
    table = real_hourly(day, thresholds=(20, 60)).set_index("hour")
    # 10:00: c1 (served after 30 s), c2 (at once), c3 (abandoned), c7 (at once); 12:00: c8 (30 s).
    assert table.loc[10, "offered"] == 4 and table.loc[10, "abandoned"] == 1
    assert table.loc[10, "met_20"] == 2 and table.loc[10, "met_60"] == 3
    assert table.loc[10, "service_level_60"] == pytest.approx(0.75)
    assert table.loc[10, "abandon_rate"] == pytest.approx(0.25)
    assert table.loc[12, "service_level_20"] == 0.0 and table.loc[12, "service_level_60"] == 1.0
    assert np.isnan(table.loc[11, "service_level_60"])  # no call: undefined, not 0


def test_a_replayed_day_keeps_every_request(requests: pd.DataFrame) -> None:
    center = build_centre(requests, within_s=60)
    day = date(1999, 8, 2)
    result = simulate_day(center, on_day(requests, day), implied_roster(requests, 30), day, 3, 0, 1.0, thresholds=(60,))
    assert result["contacts"] == 5
    assert (result["counts"]["offered"].sum(axis=1) == 5).all()
    table = compare_day(result, real_hourly(on_day(requests, day), (60,)), (60,)).set_index("hour")
    assert (table["sim_offered"] == table["offered"]).all()


# -- the real log ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_requests() -> pd.DataFrame:
    return call_requests(read_calls(shared_data(*CALLS_FILE.parts)))


def test_real_log_requests(real_requests: pd.DataFrame) -> None:
    # 31,402 AGENT calls + 7,309 HANG calls with a q_start (README: 42,078 rows; 310 PHANTOM and 3,057 hang-ups
    # in the VRU left out).
    assert len(real_requests) == 38_711
    assert int(real_requests["served"].sum()) == 31_402 and int(real_requests["abandoned"].sum()) == 7_309
    # 1999-08-16: 1,510 requests dated that day, 4 of them arriving after midnight, and 1 dated the 15th arriving
    # after its midnight (counted from the file with plain pandas).
    assert len(on_day(real_requests, date(1999, 8, 16))) == 1_507


def test_real_day_simulates(real_requests: pd.DataFrame) -> None:
    day = date(1999, 8, 16)
    center = build_centre(real_requests, within_s=60)
    assert len(center.agents) == 31 and [w.id for w in center.work_types] == ["PS", "PE", "IN", "NE", "NW", "TT"]
    roster = implied_roster(real_requests, 30)
    requests = on_day(real_requests, day)
    result = simulate_day(center, requests, roster, day, 2, 0, 2.0, thresholds=(60,))
    table = compare_day(result, real_hourly(requests, (60,)), (60,))
    assert result["contacts"] == 1_507 and result["agents_rostered"] > 10
    busy = table[table["offered"] >= 30]
    assert busy["sim_sl_60"].between(0, 1).all() and busy["sim_abandon"].between(0, 1).all()
    assert busy["real_sl_60"].between(0, 1).all()
