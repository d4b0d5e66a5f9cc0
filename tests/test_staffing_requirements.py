"""The requirement table: phone by Erlang C/A, chat as concurrent slots, deferred work within its window."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models import Center, InputError
from planner.jobs import run_requirements
from planner.staffing import (
    StaffingSettings,
    effective_concurrency,
    erlang_a,
    erlang_c_metrics,
    opening_hours_notes,
    proficiency_factors,
    required_agents,
    requirement_table,
)

TZ = "Europe/London"


def _center(center_data: dict[str, Any], **changes: Any) -> Center:
    data = copy.deepcopy(center_data)
    data.update(changes)
    return Center.model_validate(data)


def _forecast(work_type: str, volumes: list[float], aht_s: float, start: str = "2026-03-02 08:00") -> pd.DataFrame:
    """A forecast from `start` (by default Monday 08:00, when the test centre opens) at 15-minute intervals."""
    starts = pd.date_range(start, periods=len(volumes), freq="15min", tz=TZ)
    v = np.asarray(volumes, dtype=float)
    return pd.DataFrame(
        {
            "interval_start": starts,
            "work_type": work_type,
            "volume": v,
            "volume_p10": v * 0.8,
            "volume_p50": v,
            "volume_p90": v * 1.3,
            "aht_s": aht_s,
        }
    )


@pytest.fixture
def center(center_data: dict[str, Any]) -> Center:
    return Center.model_validate(center_data)


def test_phone_rows_match_the_queueing_maths(center: Center) -> None:
    phone = next(w for w in center.work_types if w.mode == "realtime")
    table = requirement_table(_forecast(phone.id, [0, 40, 120], 300.0), center)
    load = np.array([0, 40, 120]) * 300 / 900
    assert table["workload_erlangs"].to_numpy() == pytest.approx(load)
    target = phone.target
    expected = required_agents(
        load, 300.0, target.service_level, target.within_s, phone.max_occupancy, patience_s=target.mean_patience_s
    )
    assert table["required_agents_int"].tolist() == expected.agents_int.tolist()
    assert table["required_agents"].to_numpy() == pytest.approx(expected.agents)
    assert table.loc[0, "required_agents"] == 0 and table.loc[0, "expected_service_level"] == 1.0
    assert (table["expected_service_level"].iloc[1:] >= target.service_level).all()
    assert set(table["method"]) == {"erlang_a" if target.mean_patience_s else "erlang_c"}


@pytest.mark.parametrize("over", ["offered", "answered"])
def test_erlang_a_rows_follow_the_targets_abandonment_settings(center_data: dict[str, Any], over: str) -> None:
    """A mean patience makes the phone rows Erlang A, with the target's abandonment cap and service-level basis."""
    data = copy.deepcopy(center_data)
    target = {"service_level": 0.8, "within_s": 20, "mean_patience_s": 45, "max_abandon_rate": 0.03}
    data["work_types"][0]["target"] = {**target, "service_level_over": over}
    center = Center.model_validate(data)
    table = requirement_table(_forecast("billing_phone", [40, 120, 400], 300.0), center)
    load = np.array([40, 120, 400]) * 300 / 900
    expected = required_agents(load, 300.0, 0.8, 20, 1.0, 45.0, 0.03, service_level_over=over)  # type: ignore[arg-type]
    assert set(table["method"]) == {"erlang_a"}
    assert table["required_agents_int"].tolist() == expected.agents_int.tolist()
    measures = erlang_a(table["required_agents_int"].to_numpy(), load, 300.0, 45.0, 20.0)
    assert (measures.abandon_probability <= 0.03).all()
    level = measures.service_level if over == "offered" else measures.service_level_answered
    assert table["expected_service_level"].to_numpy() == pytest.approx(level)
    without_cap = required_agents(load, 300.0, 0.8, 20, 1.0, 45.0, service_level_over=over)  # type: ignore[arg-type]
    assert (expected.agents_int >= without_cap.agents_int).all()


def test_abandonment_settings_need_a_patience(center_data: dict[str, Any]) -> None:
    data = copy.deepcopy(center_data)
    data["work_types"][0]["target"] = {"service_level": 0.8, "within_s": 20, "max_abandon_rate": 0.05}
    with pytest.raises(ValueError, match="give mean_patience_s"):
        Center.model_validate(data)


def test_shrinkage_is_its_own_column_and_can_be_overridden(center: Center) -> None:
    phone = next(w for w in center.work_types if w.mode == "realtime")
    forecast = _forecast(phone.id, [30, 60], 240.0)
    table = requirement_table(forecast, center, StaffingSettings(shrinkage=0.3))
    assert (table["shrinkage"] == 0.3).all()
    assert table["required_agents_with_shrinkage"].to_numpy() == pytest.approx(table["required_agents"] / 0.7)
    with pytest.raises(InputError, match=r"outside \[0, 1\)"):
        StaffingSettings(shrinkage=1.0)


def test_planning_on_p90_needs_at_least_as_many_agents(center: Center) -> None:
    phone = next(w for w in center.work_types if w.mode == "realtime")
    forecast = _forecast(phone.id, [10, 50, 90, 130], 300.0)
    mean = requirement_table(forecast, center)
    p90 = requirement_table(forecast, center, StaffingSettings(plan_on="p90"))
    assert p90["volume"].to_numpy() == pytest.approx(forecast["volume_p90"].to_numpy())
    assert (p90["required_agents_int"] >= mean["required_agents_int"]).all()
    assert (p90["required_agents"] > mean["required_agents"]).all()


def test_chat_agents_are_slots_over_concurrency(center_data: dict[str, Any]) -> None:
    data = copy.deepcopy(center_data)
    chat = copy.deepcopy(data["work_types"][0])
    chat.update({"id": "chat", "channel": "chat", "mode": "realtime", "concurrency": 3, "max_occupancy": 1.0})
    chat["target"] = {"service_level": 0.8, "within_s": 60}
    data["work_types"].append(chat)
    center = Center.model_validate(data)
    table = requirement_table(_forecast("chat", [90.0], 600.0), center)
    load = 90 * 600 / 900  # 60 erlangs of chats
    slots = required_agents([load], 600.0, 0.8, 60)
    assert table.loc[0, "method"] == "chat"
    assert table.loc[0, "required_agents"] == pytest.approx(float(slots.agents[0]) / 3)
    assert table.loc[0, "required_agents_int"] == int(np.ceil(slots.agents_int[0] / 3))
    whole_slots = table.loc[0, "required_agents_int"] * 3
    expected_level = erlang_c_metrics(whole_slots, load, 600.0, 60).service_level
    assert table.loc[0, "expected_service_level"] == pytest.approx(float(expected_level))


def test_deferred_work_is_done_within_its_window_while_open(center_data: dict[str, Any]) -> None:
    """E-mail worked 08:00-18:00 with a 4-hour response target: every interval's work is spread over the open
    intervals up to its deadline, so the staffing (times the occupancy cap) adds up to the work, none is
    staffed while closed, and nothing is due later than four hours after it arrived."""
    data = copy.deepcopy(center_data)
    email = next(w for w in data["work_types"] if w["channel"] == "email")
    email["target"] = {"service_level": 0.9, "within_s": 4 * 3600, "measure": "first_response"}
    email["max_occupancy"] = 0.8
    email["opening_hours"] = [{"weekday": "mon", "start_minute": "08:00", "end_minute": "18:00"}]
    center = Center.model_validate(data)
    volumes = [4.0] * 96  # a whole Monday, 15-min intervals, e-mail arriving around the clock
    # The window arithmetic at the forecast's handle time (the holders' proficiency is tested on its own).
    forecast = _forecast(email["id"], volumes, 450.0, start="2026-03-02 00:00")
    table = requirement_table(forecast, center, StaffingSettings(proficiency=False))
    starts = pd.DatetimeIndex(table["interval_start"])
    open_ = (starts.hour >= 8) & (starts.hour < 18)
    assert (table.loc[~open_, "required_agents"] == 0).all()
    assert (table.loc[open_, "required_agents"] > 0).all()
    # E-mail that arrives before the 08:00 opening waits for it (outside_hours: next_opening, the deferred
    # default), so all of it is staffed today from 08:00; e-mail arriving from 18:00 has no opening left in the
    # forecast and is dropped (the note says how much).
    minutes = starts.hour * 60 + starts.minute
    served = np.asarray(minutes < 18 * 60)
    work = np.asarray(volumes) * 450 / 900
    staffed = float((table["required_agents"] * 0.8).sum())
    assert staffed == pytest.approx(work[served].sum(), rel=1e-9)
    assert (table["deadline"] - table["interval_start"] == pd.Timedelta(hours=4)).all()
    assert table["expected_service_level"].isna().all()
    assert set(table["method"]) == {"deferred"}


def test_a_forecast_for_another_centre_is_refused(center: Center) -> None:
    with pytest.raises(InputError, match="not work types of the centre"):
        requirement_table(_forecast("parcels", [1.0, 2.0], 300.0), center)


def test_effective_handle_time_follows_the_holders_proficiency(center_data: dict) -> None:
    """Two holders of a skill at proficiency 0.5 (40 h) and 1.0 (20 h): the factor is the hours-weighted mean of
    1 / proficiency, (40 x 2 + 20 x 1) / 60 = 5/3, and the load and the Erlang requirement use AHT x 5/3."""
    data = copy.deepcopy(center_data)
    phone = next(w for w in data["work_types"] if w["mode"] == "realtime" and w.get("concurrency", 1) == 1)
    skill = phone["skill"]
    contracts = {c["id"]: c for c in data["contracts"]}
    holders = [
        a for a in data["agents"] if any((s if isinstance(s, str) else s["skill"]) == skill for s in a["skills"])
    ]
    assert len(holders) >= 2
    big = max(data["contracts"], key=lambda c: c["max_paid_minutes_week"])
    small = dict(
        big,
        id="half_of_big",
        min_paid_minutes_week=0,
        target_paid_minutes_week=None,
        max_paid_minutes_week=big["max_paid_minutes_week"] // 2,
    )
    data["contracts"].append(small)
    for a in data["agents"]:
        a["skills"] = [s for s in a["skills"] if (s if isinstance(s, str) else s["skill"]) != skill]
    holders[0]["skills"].append({"skill": skill, "proficiency": 0.5})
    holders[0]["contract"] = big["id"]
    holders[1]["skills"].append({"skill": skill, "proficiency": 1.0})
    holders[1]["contract"] = "half_of_big"
    del contracts
    center = Center.model_validate(data)
    assert proficiency_factors(center)[phone["id"]] == pytest.approx(5 / 3)
    forecast = _forecast(phone["id"], [40.0, 120.0], 300.0)
    plain = requirement_table(forecast, center, StaffingSettings(proficiency=False))
    slow = requirement_table(forecast, center)
    assert slow["workload_erlangs"].to_numpy() == pytest.approx(plain["workload_erlangs"].to_numpy() * 5 / 3)
    assert (slow["aht_s"] == plain["aht_s"]).all()
    assert slow["aht_factor"].to_numpy() == pytest.approx([5 / 3, 5 / 3])
    assert (slow["required_agents_int"] > plain["required_agents_int"]).all()
    # The same requirement as the forecast's handle time x 5/3 without the proficiency.
    longer = requirement_table(
        _forecast(phone["id"], [40.0, 120.0], 500.0), center, StaffingSettings(proficiency=False)
    )
    assert slow["required_agents_int"].tolist() == longer["required_agents_int"].tolist()


def test_chat_slots_follow_the_concurrency_the_holders_really_have(center_data: dict[str, Any]) -> None:
    """A chat work type allows 3 chats at once, but the holders' `max_concurrency` is 1 for agents with half of
    the contract hours and 3 for the others: an agent is (1 + 3) / 2 = 2 slots, so the whole agents are the slots
    over 2 (rounded up), and the expected service level is Erlang's at that many slots."""
    data = copy.deepcopy(center_data)
    chat = copy.deepcopy(data["work_types"][0])
    chat.update({"id": "chat", "channel": "chat", "mode": "realtime", "concurrency": 3, "max_occupancy": 1.0})
    chat["target"] = {"service_level": 0.8, "within_s": 60}
    chat["skill"] = "chat_only"
    data["work_types"].append(chat)
    data["skills"].append({"id": "chat_only"})
    contract = max(data["contracts"], key=lambda c: c["max_paid_minutes_week"])
    for i, a in enumerate(data["agents"][:4]):
        a["skills"].append({"skill": "chat_only", "proficiency": 1.0})
        a["contract"] = contract["id"]
        a["max_concurrency"] = 1 if i % 2 == 0 else 3
    center = Center.model_validate(data)
    assert effective_concurrency(center)["chat"] == pytest.approx(2.0)
    table = requirement_table(_forecast("chat", [90.0], 600.0), center)
    load = 90 * 600 / 900
    slots = required_agents([load], 600.0, 0.8, 60)
    assert table.loc[0, "required_agents_int"] == int(np.ceil(slots.agents_int[0] / 2))
    expected_level = erlang_c_metrics(table.loc[0, "required_agents_int"] * 2, load, 600.0, 60).service_level
    assert table.loc[0, "expected_service_level"] == pytest.approx(float(expected_level))
    plain = requirement_table(_forecast("chat", [90.0], 600.0), center, StaffingSettings(proficiency=False))
    assert plain.loc[0, "required_agents_int"] == int(np.ceil(slots.agents_int[0] / 3))


def test_no_staff_is_asked_for_while_a_work_type_is_closed(center: Center, tmp_path: Any) -> None:
    """A forecast made elsewhere holds phone calls on Monday 06:00-09:45, while the test centre opens Monday at
    08:00: the calls before 08:00 are dropped (the realtime default), so those intervals need nobody, and the
    open ones are staffed as if the closed ones were not there. The job says how many calls it dropped:
    8 intervals x 10 calls = 80 of 160 (50.0%)."""
    phone = next(w for w in center.work_types if w.mode == "realtime")
    forecast = _forecast(phone.id, [10.0] * 16, 300.0, start="2026-03-02 06:00")
    table = requirement_table(forecast, center)
    closed = pd.DatetimeIndex(table["interval_start"]).hour < 8
    assert (table.loc[closed, ["volume", "required_agents", "required_agents_int"]].to_numpy() == 0).all()
    open_only = requirement_table(forecast[~closed], center)
    pd.testing.assert_frame_equal(table[~closed].reset_index(drop=True), open_only)
    assert opening_hours_notes(forecast, center) == [
        f"{phone.id}: 80 contacts (50.0%) forecast outside opening hours dropped (outside_hours: drop)"
    ]
    others = [
        _forecast(w.id, [0.0] * 16, 300.0, start="2026-03-02 06:00") for w in center.work_types if w.id != phone.id
    ]
    done = run_requirements(pd.concat([forecast, *others]), center, tmp_path / "requirement.csv")
    assert [note for note in done.notes if "opening hours" in note] == opening_hours_notes(forecast, center)
    assert opening_hours_notes(forecast[~closed], center) == []


def test_a_closed_day_needs_nobody(center_data: dict[str, Any]) -> None:
    """Monday 2 March 2026 is listed closed: its phone calls (a forecast made elsewhere) need no staff."""
    center = _center(center_data, special_days=[{"date": "2026-03-02", "name": "Strike", "closed": True}])
    phone = next(w for w in center.work_types if w.mode == "realtime")
    table = requirement_table(_forecast(phone.id, [10.0] * 4, 300.0), center)
    assert (table["required_agents"] == 0).all()
    assert (
        requirement_table(_forecast(phone.id, [10.0] * 4, 300.0), Center.model_validate(center_data))["required_agents"]
        > 0
    ).all()
