"""The intraday re-plan on tiny days with exact outcomes: which change covers what, what never changes, the cap,
and the command's files and bad-input messages.

Tiny centres from `tests/roster_helpers.py`: Europe/London, a 60-min grid, Monday 2026-06-01. The requirement is
given directly (`Need` blocks), so each test knows the one best set of changes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models import FORECAST, REQUIREMENT, Center, InputError, dump_center, load_center, read_table, write_table
from planner.intraday import IntradayResult, IntradaySettings, build_intraday_problem, read_absences, replan
from planner.intraday import solver as solver_module
from planner.intraday.heuristic import greedy_changes
from planner.roster import validate_roster
from planner.roster.model import RosterWeights
from planner.staffing.requirements import requirement_table
from tests.roster_helpers import MONDAY, Need, agent, at, build_center, contract, day, requirement, template
from wfm import cli
from wfm.exit_codes import ExitCode

SETTINGS = IntradaySettings(time_limit_s=5.0, workers=2, seed=0)
DAY_SHIFT = template("day", "06:00", latest="10:00", lengths=(480,))
LUNCH = {"name": "lunch", "duration_minutes": 60, "earliest_start_minutes": 180, "latest_start_minutes": 300}
OFFICE = template("office", "08:00", latest="10:00", lengths=(480,), breaks=[LUNCH])


def shift(
    agent_id: str, start: str, end: str, template_id: str, *, on: date = MONDAY, breaks: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A roster row of `on`, local times; `breaks`: the starts of 60-min breaks."""
    return {
        "agent_id": agent_id,
        "date": on,
        "start": at(on, start),
        "end": at(on, end),
        "shift_template": template_id,
        "breaks": [[at(on, b).isoformat(), (at(on, b) + pd.Timedelta(hours=1)).isoformat()] for b in breaks],
        "paid_minutes": int((at(on, end) - at(on, start)).total_seconds() // 60) - 60 * len(breaks),
        "pinned": False,
    }


def solve(
    center: Center,
    rows: list[dict[str, Any]],
    needs: list[Need],
    moment: str,
    *,
    absences: list[dict[str, Any]] | None = None,
    before: list[Need] | None = None,
    days: int = 7,
    settings: IntradaySettings = SETTINGS,
    on: date = MONDAY,
    quieter: frozenset[str] | None = None,
) -> IntradayResult:
    roster = pd.DataFrame(rows)
    now = at(on, moment)
    frame = pd.DataFrame(absences) if absences else None
    problem = build_intraday_problem(
        center,
        center.horizon(MONDAY, days),
        roster,
        now,
        requirement(center, needs, days=days),
        requirement(center, needs if before is None else before, days=days),
        read_absences(frame, center, on),
        allowed=settings.allowed,
        notice_minutes=settings.notice_minutes,
        quieter=quieter,
    )
    return replan(problem, settings)


def made(result: IntradayResult) -> list[tuple[str, str, str, str]]:
    """The changes other than absences as (agent, change, local start, local end)."""
    rows = result.changes[result.changes["change"] != "absence"]
    return [
        (r.agent_id, r.change, pd.Timestamp(r.start).strftime("%H:%M"), pd.Timestamp(r.end).strftime("%H:%M"))
        for r in rows.itertuples()
    ]


def row_of(result: IntradayResult, agent_id: str, on: date = MONDAY) -> dict[str, Any]:
    roster = result.roster
    rows = roster[(roster["agent_id"] == agent_id) & (pd.to_datetime(roster["date"]).dt.date == on)]
    assert len(rows) == 1
    return dict(rows.iloc[0])


def one_may_extend() -> tuple[Center, list[dict[str, Any]], list[Need]]:
    """a and b work 06:00-14:00, c 14:00-22:00; one agent wanted all day and a second until 14:00; only a may
    work overtime (2 h)."""
    center = build_center(
        [agent("a", contract="flex"), agent("b", contract="fixed"), agent("c")],
        contracts=[contract(max_overtime_minutes_day=120), contract("fixed", max_overtime_minutes_day=0)],
    )
    rows = [shift("a", "06:00", "14:00", "early"), shift("b", "06:00", "14:00", "early")]
    rows.append(shift("c", "14:00", "22:00", "late"))
    needs = [Need("calls", 0, "06:00", "22:00"), Need("calls", 0, "06:00", "14:00")]
    return center, rows, needs


def test_an_absence_is_covered_by_the_one_agent_who_may_extend() -> None:
    center, rows, needs = one_may_extend()
    absent = [{"agent_id": "c", "start": "2026-06-01T14:00", "end": "2026-06-01T16:00", "reason": "doctor"}]
    result = solve(center, rows, needs, "10:00", absences=absent)
    assert made(result) == [("a", "overtime", "14:00", "16:00")]
    assert result.understaffed_hours(result.covered_before) == {"1": 2.0}
    assert result.understaffed_hours(result.covered_after) == {"1": 0.0}
    extended = row_of(result, "a")
    assert extended["end"] == at(MONDAY, "16:00")
    assert (extended["overtime_minutes"], extended["paid_minutes"]) == (120, 600)
    assert row_of(result, "c")["absences"] == [[at(MONDAY, "14:00").isoformat(), at(MONDAY, "16:00").isoformat()]]
    absence = result.changes[result.changes["change"] == "absence"].iloc[0]
    assert (absence["agent_id"], absence["after"]) == ("c", "absent (doctor)")


def test_overtime_keeps_the_rest_before_the_next_days_shift() -> None:
    center = build_center([agent("a"), agent("c")], contracts=[contract(min_rest_minutes=15 * 60)])
    rows = [shift("a", "06:00", "14:00", "early"), shift("a", "06:00", "14:00", "early", on=day(1))]
    rows.append(shift("c", "14:00", "22:00", "late"))
    needs = [Need("calls", 0, "06:00", "22:00"), Need("calls", 0, "14:00", "16:00")]
    result = solve(center, rows, needs, "10:00")
    # 15 h of rest before 06:00 tomorrow: a may work until 15:00, not 16:00.
    assert made(result) == [("a", "overtime", "14:00", "15:00")]
    assert result.understaffed_hours(result.covered_after) == {"1": 1.0}
    assert row_of(result, "a", day(1))["end"] == at(day(1), "14:00")


def test_a_lunch_is_moved_out_of_the_peak() -> None:
    center = build_center(
        [agent("a"), agent("b")], templates=[OFFICE], contracts=[contract(shift_templates=["office"])]
    )
    rows = [
        shift("a", "08:00", "16:00", "office", breaks=("12:00",)),
        shift("b", "08:00", "16:00", "office", breaks=("13:00",)),
    ]
    needs = [Need("calls", 0, "08:00", "16:00"), Need("calls", 0, "12:00", "13:00")]
    result = solve(center, rows, needs, "09:00")
    assert made(result) == [("a", "break_move", "11:00", "12:00")]
    assert result.changes.iloc[0]["before"] == "lunch 12:00-13:00"
    assert row_of(result, "a")["breaks"] == [[at(MONDAY, "11:00").isoformat(), at(MONDAY, "12:00").isoformat()]]
    assert result.understaffed_hours(result.covered_after) == {"1": 0.0}


def test_nothing_changes_when_nothing_moved() -> None:
    center = build_center(
        [agent("a"), agent("b"), agent("c")],
        templates=[OFFICE, template("late", "14:00")],
        contracts=[contract(shift_templates=["office", "late"])],
    )
    rows = [
        shift("a", "08:00", "16:00", "office", breaks=("11:00",)),
        shift("b", "08:00", "16:00", "office", breaks=("12:00",)),
        shift("c", "14:00", "22:00", "late"),
    ]
    needs = [Need("calls", 0, "08:00", "22:00")]
    result = solve(center, rows, needs, "10:00")
    assert result.changes.empty
    assert result.roster[list(pd.DataFrame(rows).columns)].equals(pd.DataFrame(rows))


def test_the_past_never_changes() -> None:
    center = build_center(
        [agent("a"), agent("b")], templates=[OFFICE], contracts=[contract(shift_templates=["office"])]
    )
    # a's lunch at 11:00 is over at 12:30 and b's start is behind us: the gap at 11:00 cannot be mended.
    rows = [
        shift("a", "08:00", "16:00", "office", breaks=("11:00",)),
        shift("b", "09:00", "17:00", "office", breaks=("13:00",)),
    ]
    needs = [Need("calls", 0, "08:00", "17:00"), Need("calls", 0, "11:00", "12:00")]
    result = solve(center, rows, needs, "12:30")
    assert result.changes.empty
    assert result.understaffed_hours(result.covered_after) == {"1": 0.0}


def test_voluntary_time_off_only_where_the_day_needs_fewer_agents() -> None:
    center = build_center([agent("a", hourly_cost=20.0), agent("b", hourly_cost=20.0)])
    rows = [shift("a", "06:00", "14:00", "early"), shift("b", "06:00", "14:00", "early")]
    planned = [Need("calls", 0, "06:00", "14:00", agents=2)]
    lower = [Need("calls", 0, "06:00", "12:00", agents=2), Need("calls", 0, "12:00", "14:00")]
    assert solve(center, rows, planned, "10:00").changes.empty  # a surplus the plan was made with stays
    result = solve(center, rows, lower, "10:00", before=planned)
    assert made(result) in ([("a", "vto", "12:00", "14:00")], [("b", "vto", "12:00", "14:00")])
    cut = row_of(result, made(result)[0][0])
    assert (cut["vto_minutes"], cut["paid_minutes"]) == (120, 360)
    assert made(result)[0] and result.cost == pytest.approx(5.0 - 2 * 20.0)  # disruption less the pay saved
    # Not while the evidence does not say the calls run below forecast.
    assert solve(center, rows, lower, "10:00", before=planned, quieter=frozenset()).changes.empty
    assert made(solve(center, rows, lower, "10:00", before=planned, quieter=frozenset({"calls"})))


def test_an_agent_off_today_is_called_in_after_the_notice() -> None:
    center = build_center([agent("a"), agent("b")])
    rows = [shift("a", "06:00", "14:00", "early")]
    needs = [Need("calls", 0, "06:00", "22:00")]
    result = solve(center, rows, needs, "10:00")
    assert made(result) == [("b", "call_in", "14:00", "22:00")]
    assert row_of(result, "b")["shift_template"] == "late"
    late_notice = solve(center, rows, needs, "13:30")  # 14:00 is less than an hour away
    assert made(late_notice) == []


def test_a_call_in_keeps_the_shortest_run_of_days_off() -> None:
    # b works Monday and Thursday; called in on Tuesday, Wednesday would be one day off where the contract needs 2.
    center = build_center(
        [agent("a", contract="fixed"), agent("b", contract="rested")],
        contracts=[contract("fixed", max_overtime_minutes_day=0), contract("rested", min_consecutive_days_off=2)],
    )
    tuesday = day(1)
    rows = [shift("a", "06:00", "14:00", "early", on=tuesday), shift("b", "06:00", "14:00", "early")]
    rows.append(shift("b", "06:00", "14:00", "early", on=day(3)))
    result = solve(center, rows, [Need("calls", 1, "06:00", "22:00")], "10:00", on=tuesday)
    assert made(result) == [] and result.rejected == []  # left off the menu, not refused afterwards
    rows[-1] = shift("b", "06:00", "14:00", "early", on=day(4))  # Wednesday and Thursday off: enough
    assert made(solve(center, rows, [Need("calls", 1, "06:00", "22:00")], "10:00", on=tuesday)) == [
        ("b", "call_in", "14:00", "22:00")
    ]


def test_a_start_not_yet_reached_moves_within_its_template() -> None:
    center = build_center(
        [agent("a"), agent("b")], templates=[DAY_SHIFT], contracts=[contract(shift_templates=["day"])]
    )
    rows = [shift("a", "06:00", "14:00", "day"), shift("b", "07:00", "15:00", "day")]
    needs = [Need("calls", 0, "06:00", "14:00"), Need("calls", 0, "10:00", "17:00")]
    settings = IntradaySettings(time_limit_s=5.0, workers=2, allowed=frozenset({"start_move"}))
    result = solve(center, rows, needs, "06:30", settings=settings)
    # b starts at 07:00, more than the hour's notice away: moved later to 09:00 it covers 10:00-17:00 ... but
    # 16:00-17:00 needs an end at 17:00, so 09:00-17:00.
    assert made(result) == [("b", "start_move", "09:00", "17:00")]


def test_the_cap_on_changes_is_respected() -> None:
    center = build_center([agent("a"), agent("b"), agent("c"), agent("d")])
    rows = [shift(x, "06:00", "14:00", "early") for x in "abc"] + [shift("d", "14:00", "22:00", "late")]
    needs = [Need("calls", 0, "06:00", "14:00", agents=3), Need("calls", 0, "14:00", "16:00", agents=3)]
    unlimited = solve(center, rows, needs, "10:00", settings=IntradaySettings(time_limit_s=5.0, workers=2))
    assert [c[1] for c in made(unlimited)] == ["overtime", "overtime"]
    capped = solve(center, rows, needs, "10:00", settings=IntradaySettings(time_limit_s=5.0, workers=2, max_changes=1))
    assert len(made(capped)) == 1
    assert capped.understaffed_hours(capped.covered_after) == {"1": 2.0}
    none = solve(center, rows, needs, "10:00", settings=IntradaySettings(time_limit_s=5.0, workers=2, max_changes=0))
    assert none.changes.empty


def test_the_new_roster_passes_the_validator_and_later_days_are_untouched() -> None:
    center = build_center([agent("a"), agent("b"), agent("c")])
    rows = [shift("a", "06:00", "14:00", "early"), shift("c", "14:00", "22:00", "late")]
    rows += [shift("a", "06:00", "14:00", "early", on=day(1)), shift("c", "14:00", "22:00", "late", on=day(1))]
    needs = [Need("calls", 0, "06:00", "22:00", agents=2), Need("calls", 1, "06:00", "22:00")]
    absent = [{"agent_id": "a", "start": "2026-06-01T09:00", "end": None, "reason": "sick"}]
    result = solve(center, rows, needs, "10:30", absences=absent)
    assert made(result) == [("b", "call_in", "14:00", "22:00")]  # b, off and rested, covers the evening
    assert validate_roster(result.roster, center, center.horizon(MONDAY, 7)) == []
    later = result.roster[pd.to_datetime(result.roster["date"]).dt.date == day(1)]
    published = pd.DataFrame(rows[2:])
    assert later[list(published.columns)].to_dict("records") == published.to_dict("records")
    assert all(pd.Timestamp(c[2]) >= pd.Timestamp("11:00") for c in made(result))


@pytest.mark.parametrize("rounds", [0, 3])
def test_a_change_the_validator_refuses_is_taken_off_the_menu(rounds: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver_module, "REPAIR_ROUNDS", rounds)  # 0: no re-solve, the change is simply undone
    # The menu does not know the weekend rule: calling b in on a Saturday breaks b's contract (no weekend work).
    center = build_center(
        [agent("a", contract="fixed"), agent("b", contract="weekdays")],
        contracts=[contract("fixed", max_overtime_minutes_day=0), contract("weekdays", max_working_weekends=0)],
    )
    saturday = day(5)
    rows = [shift("a", "06:00", "14:00", "early", on=saturday)]
    result = solve(center, rows, [Need("calls", 5, "06:00", "22:00")], "10:00", on=saturday)
    assert made(result) == []
    assert [v.rule for v in result.rejected] == ["max_working_weekends"]
    assert validate_roster(result.roster, center, center.horizon(MONDAY, 7)) == []


def test_absences_of_unknown_agents_or_other_days_name_the_row() -> None:
    center = build_center([agent("a")])
    with pytest.raises(InputError) as unknown:
        read_absences(pd.DataFrame([{"agent_id": "zz", "start": "2026-06-01T09:00"}]), center, MONDAY)
    assert "row 2, column 'agent_id'" in str(unknown.value) and "'zz'" in str(unknown.value)
    other = pd.DataFrame(
        [{"agent_id": "a", "start": "2026-06-01T09:00"}, {"agent_id": "a", "start": "2026-06-03T09:00"}]
    )
    with pytest.raises(InputError) as wrong_day:
        read_absences(other, center, MONDAY)
    assert "row 3" in str(wrong_day.value) and "not on 2026-06-01" in str(wrong_day.value)


# -- the command ----------------------------------------------------------------------------------------------


@pytest.fixture
def day_files(tmp_path: Path) -> dict[str, Path]:
    """A tiny centre's published day, its forecast, actuals until 10:00 and an absence, as files."""
    center = build_center([agent("a"), agent("b"), agent("c")])
    paths = {"center": tmp_path / "center.yaml"}
    paths["center"].write_text(dump_center(center))
    rows = [shift("a", "06:00", "14:00", "early"), shift("b", "06:00", "14:00", "early")]
    rows.append(shift("c", "14:00", "22:00", "late"))
    roster = pd.DataFrame(rows)
    roster["breaks"] = [json.dumps(b) for b in roster["breaks"]]
    paths["roster"] = tmp_path / "roster.csv"
    roster.to_csv(paths["roster"], index=False)
    grid = center.horizon(MONDAY, 1).intervals
    forecast = pd.DataFrame({"interval_start": grid, "work_type": "calls", "volume": 12.0, "aht_s": 300.0})
    for q in ("volume_p10", "volume_p50", "volume_p90"):
        forecast[q] = forecast["volume"]
    paths["forecast"] = tmp_path / "forecast.csv"
    forecast.to_csv(paths["forecast"], index=False)
    calls = [at(MONDAY, "06:00") + pd.Timedelta(minutes=4 * k) for k in range(60)]
    actuals = pd.DataFrame({"created_at": [c.isoformat() for c in calls], "work_type": "calls"})
    paths["actuals"] = tmp_path / "actuals.csv"
    actuals.to_csv(paths["actuals"], index=False)
    paths["absences"] = tmp_path / "absences.csv"
    paths["absences"].write_text("agent_id,start,end,reason\nb,2026-06-01T09:00,,sick\n")
    return paths


def intraday(files: dict[str, Path], out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["intraday", "--center", files["center"], "--roster", files["roster"], "--forecast", files["forecast"]]
    args += ["--actuals", files["actuals"], "--out", out, "--time-limit", "3", "--workers", "2", *extra]
    result = CliRunner().invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_the_command_writes_the_re_plan(day_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = intraday(day_files, out, "--at", "2026-06-01T10:00", "--absences", day_files["absences"])
    assert code == ExitCode.OK, stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "changes.csv",
        "coverage.csv",
        "reforecast.csv",
        "roster.csv",
        "summary.json",
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reforecast"]["calls"]["actual_so_far"] == 60
    assert summary["changes"]["absences"] == 1
    changes = pd.read_csv(out / "changes.csv")
    assert list(changes.columns) == ["agent_id", "change", "start", "end", "before", "after", "cost"]
    reforecast = pd.read_csv(out / "reforecast.csv")
    assert pd.Timestamp(reforecast["interval_start"].min()) == at(MONDAY, "10:00")
    assert "Re-plan of 2026-06-01 from 10:00" in stdout


@pytest.mark.parametrize(
    ("moment", "fragment"),
    [("2026-06-03T10:00", "outside the roster's days 2026-06-01..2026-06-01"), ("2026-06-01T08:00", "is after --at")],
)
def test_the_command_refuses_a_moment_that_does_not_fit(
    day_files: dict[str, Path], tmp_path: Path, moment: str, fragment: str
) -> None:
    out = tmp_path / "out"
    code, _, stderr = intraday(day_files, out, "--at", moment)
    assert code == ExitCode.BAD_INPUT
    assert fragment in stderr
    assert not out.exists() or not any(out.iterdir())


def test_the_command_refuses_actuals_of_another_day(day_files: dict[str, Path], tmp_path: Path) -> None:
    day_files["actuals"].write_text("created_at,work_type,ticket_id\n2026-05-31T09:00:00+01:00,calls,T9\n")
    code, _, stderr = intraday(day_files, tmp_path / "out", "--at", "2026-06-01T10:00")
    assert code == ExitCode.BAD_INPUT
    assert "T9" in stderr and "not on 2026-06-01" in stderr


def test_the_command_refuses_an_absence_of_an_unknown_agent(day_files: dict[str, Path], tmp_path: Path) -> None:
    day_files["absences"].write_text("agent_id,start,end,reason\nzed,2026-06-01T09:00,,sick\n")
    code, _, stderr = intraday(
        day_files, tmp_path / "out", "--at", "2026-06-01T10:00", "--absences", day_files["absences"]
    )
    assert code == ExitCode.BAD_INPUT
    assert "absences.csv" in stderr and "row 2" in stderr and "zed" in stderr


def test_the_plans_calibrated_handle_times_carry_to_the_rest_of_the_day(
    day_files: dict[str, Path], tmp_path: Path
) -> None:
    center = load_center(day_files["center"])
    forecast = read_table(day_files["forecast"], FORECAST, timezone=center.timezone)
    plan = requirement_table(forecast, center)
    plan["aht_factor"] = plan["aht_factor"] * 2.0  # the plan found calls take twice the forecast's handle time
    day_files["requirement"] = tmp_path / "requirement.csv"
    write_table(plan, REQUIREMENT, day_files["requirement"])
    plain, calibrated = tmp_path / "plain", tmp_path / "calibrated"
    assert intraday(day_files, plain, "--at", "2026-06-01T10:00", "--replications", "0")[0] == 0
    code, _, stderr = intraday(
        day_files,
        calibrated,
        "--at",
        "2026-06-01T10:00",
        "--replications",
        "0",
        "--requirement",
        day_files["requirement"],
    )
    assert code == ExitCode.OK, stderr

    def needed(folder: Path) -> float:
        return float(pd.read_csv(folder / "coverage.csv")["required"].sum())

    assert needed(calibrated) > needed(plain)


def test_the_greedy_start_takes_the_extension_that_covers_the_absence() -> None:
    center, rows, needs = one_may_extend()
    frame = pd.DataFrame([{"agent_id": "c", "start": "2026-06-01T14:00", "end": "2026-06-01T16:00"}])
    problem = build_intraday_problem(
        center,
        center.horizon(MONDAY, 7),
        pd.DataFrame(rows),
        at(MONDAY, "10:00"),
        requirement(center, needs),
        requirement(center, needs),
        read_absences(frame, center, MONDAY),
    )
    # The day as published from 10:00: a and b until 14:00, nobody 14:00-16:00, c 16:00-22:00, one pool.
    on = np.array([2, 2, 2, 2, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    allocation = np.minimum(on, problem.required[:, 0])[None, :, None]
    spans, breaks = greedy_changes(
        problem, {0: True}, allocation, on[None, :] - allocation[:, :, 0], RosterWeights(), 5
    )
    extended = problem.agents[0].spans[spans[0]]
    assert (extended.kind, extended.overtime_minutes, breaks) == ("overtime", 120, {})
