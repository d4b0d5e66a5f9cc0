"""The roster solver on tiny hand-built instances, each with the exact roster docs/roster.md implies.

Instances are built by `tests/roster_helpers.py`: Europe/London, the week of Monday 2026-06-01 on a 60-min grid,
templates `early` (06:00-14:00) and `late` (14:00-22:00), a contract that binds nothing but the 11-hour rest.
Each hard-rule test changes one contract number and checks that the rule moves the roster from what it would be
without the rule (the control case) to a specific other roster. Soft-rule tests check the roster and the
breakdown's exact penalty, worked out from the default `RosterWeights` (comments give the arithmetic; the
objective is in points, exact to the solver's integers, compared with a 1e-9 tolerance). Every solve is checked
to be OPTIMAL and passed through the independent validator (`solve` in the helpers).

Unless a test says otherwise, agents cost 0 an hour, so the only price of a shift without demand is the
overstaffing penalty (5 points per agent-hour) and a missing priority-1 agent costs 40 x 4 = 160 per hour.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from models import ROSTER, InputError, SolverError
from planner.roster import (
    RULES,
    RosterConflicts,
    RosterSettings,
    RosterWeights,
    apply_settings,
    on_duty,
    solve_roster,
    validate_roster,
)
from planner.roster import solver as solver_module
from planner.roster import validate as validate_module
from planner.roster.heuristic import greedy_roster
from planner.roster.model import RULES as MODEL_RULES
from planner.roster.model import RosterModel
from planner.roster.problem import build_problem
from planner.roster.result import kpis
from tests.conftest import assert_problem
from tests.roster_helpers import (
    CALLS,
    EARLY,
    LATE,
    LUNCH,
    MONDAY,
    SETTINGS,
    Need,
    agent,
    build_center,
    contract,
    day,
    requirement,
    roster_frame,
    roster_row,
    solve,
    template,
    work_type,
    worked,
)

#: Saturday 2026-06-06, for weekend tests.
SATURDAY = day(5)
NIGHT = template("night", "22:00")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "roster.md"


def docs_table(heading: str) -> tuple[str, ...]:
    """The ids in the first column of the table under `heading` in docs/roster.md."""
    section = DOCS.read_text(encoding="utf-8").split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return tuple(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))


#: The soft rules of docs/roster.md, each a named term of the objective.
SOFT_TERMS = docs_table("Soft rules")


def early(*days_: int) -> list[Need]:
    """One agent of `calls` 06:00-14:00 on each of these days."""
    return [Need("calls", d, "06:00", "14:00") for d in days_]


def days_worked(result: Any, agent_id: str = "a") -> list[int]:
    return sorted(d for a, d, _ in worked(result) if a == agent_id)


# -- hard rules ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        # Monday's late shift ends 22:00, Tuesday's early starts 06:00: 480 min of rest.
        (660, {("a", 0, "14:00"), ("b", 1, "06:00")}),
        (480, {("a", 0, "14:00"), ("a", 1, "06:00")}),  # exactly the rest: the cheaper agent takes both
    ],
)
def test_min_rest_gives_the_early_after_a_late_to_the_other_agent(rest: int, expected: set[Any]) -> None:
    center = build_center(
        [agent("a", hourly_cost=1), agent("b", hourly_cost=10)], contracts=[contract(min_rest_minutes=rest)]
    )
    result = solve(center, [Need("calls", 0, "14:00", "22:00"), *early(1)], days=2)
    assert worked(result) == expected


def test_min_rest_after_the_previous_roster() -> None:
    """`a` worked Sunday 14:00-22:00 before the horizon: Monday 06:00 is 8 h later, so the dearer `b` works."""
    center = build_center([agent("a", hourly_cost=1), agent("b", hourly_cost=10)])
    previous = roster_frame(roster_row("a", MONDAY - timedelta(days=1), "14:00", "late"))
    assert worked(solve(center, early(0), days=1, previous=previous)) == {("b", 0, "06:00")}
    assert worked(solve(center, early(0), days=1)) == {("a", 0, "06:00")}


@pytest.mark.parametrize(("max_days", "expected"), [(2, [0, 1]), (3, [0, 1, 2])])
def test_weekly_working_days_caps_the_days(max_days: int, expected: list[int]) -> None:
    """Demand Monday and Tuesday 06:00-14:00, Wednesday only 06:00-10:00: with 2 days the agent drops Wednesday."""
    center = build_center([agent("a")], contracts=[contract(max_working_days=max_days)])
    needs = [*early(0, 1), Need("calls", 2, "06:00", "10:00")]
    assert days_worked(solve(center, needs)) == expected


@pytest.mark.parametrize(("max_days", "expected"), [(4, 2), (5, 3)])
def test_weekly_working_days_are_prorated_in_a_short_week(max_days: int, expected: int) -> None:
    """A 3-day horizon: ceil(4 x 3 / 7) = 2 days, ceil(5 x 3 / 7) = 3 days."""
    center = build_center([agent("a")], contracts=[contract(max_working_days=max_days)])
    assert len(days_worked(solve(center, early(0, 1, 2), days=3))) == expected


FULL_TIME = contract(max_working_days=5, min_paid_minutes_week=1920, max_paid_minutes_week=2400)


def test_leave_is_charged_only_on_the_days_it_takes() -> None:
    """A 5-day full-timer who may work any day, on leave Wednesday to Sunday: outside it he could work Monday and
    Tuesday, so L = min(5, max(0, 5 - 2)) = 3 days are charged at 2400 / 5 = 480 min: at most 5 - 3 = 2 days,
    1920 - 1440 = 480 to 2400 - 1440 = 960 paid minutes; with demand every day he works Monday and Tuesday."""
    center = build_center([agent("a", time_off=[{"start_date": day(2), "end_date": day(6)}])], contracts=[FULL_TIME])
    (limits,) = build_problem(requirement(center, []), center).week_limits("a")
    assert (limits.leave_days, limits.max_days, limits.min_paid, limits.max_paid) == (3, 2, 480, 960)
    assert days_worked(solve(center, early(*range(7)))) == [0, 1]


def test_weekend_leave_charges_nothing() -> None:
    """Leave on Saturday and Sunday: Monday to Friday are five days outside it, L = min(2, max(0, 5 - 5)) = 0, so
    the full week is still 5 days (the old rule charged 2 and left 3)."""
    center = build_center([agent("a", time_off=[{"start_date": day(5), "end_date": day(6)}])], contracts=[FULL_TIME])
    assert days_worked(solve(center, early(*range(7)))) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("off", "days", "available", "expected"),
    [
        ((2, 7), 14, range(7), [3, 0]),  # Wednesday to the next Monday: 3, then min(1, max(0, 5 - 6)) = 0
        ((5, 6), 7, range(7), [0]),  # a weekend
        ((0, 6), 7, range(7), [5]),  # a whole week: min(7, 5)
        ((2, 2), 7, range(5), [1]),  # available Monday to Friday, Wednesday off: min(1, 5 - 4) = 1
        ((5, 6), 7, range(5), [0]),  # available Monday to Friday, weekend off: no possible day is off
        ((7, 9), 10, range(7), [0, 3]),  # a short last week of 3 days: ceil(5 x 3 / 7) = 3, all off: min(3, 3)
    ],
)
def test_charged_days_of_leave(off: tuple[int, int], days: int, available: range, expected: list[int]) -> None:
    """L = min(leave, max(0, max_working_days - outside)) per week, over the days the agent could be rostered."""
    windows = [{"weekday": w, "start_minute": "00:00", "end_minute": "24:00"} for w in available]
    center = build_center(
        [agent("a", availability=windows, time_off=[{"start_date": day(off[0]), "end_date": day(off[1])}])],
        contracts=[FULL_TIME],
    )
    problem = build_problem(requirement(center, [], days=days), center)
    assert [w.leave_days for w in problem.week_limits("a")] == expected


def test_days_closed_to_the_agent_are_not_possible_days() -> None:
    """Open Monday to Friday and the `early` template only on weekdays too: Wednesday off charges min(1, 5 - 4) = 1
    either way, so Monday, Tuesday, Thursday and Friday are the most he works."""
    hours = [{"weekday": w, "start_minute": "06:00", "end_minute": "22:00"} for w in range(5)]
    leave = [agent("a", time_off=[{"start_date": day(2), "end_date": day(2)}])]
    for center in (
        build_center(leave, contracts=[FULL_TIME], opening_hours=hours),
        build_center(
            leave,
            contracts=[{**FULL_TIME, "shift_templates": ["early"]}],
            templates=[template("early", "06:00", weekdays=range(5)), LATE],
        ),
    ):
        (limits,) = build_problem(requirement(center, []), center).week_limits("a")
        assert (limits.leave_days, limits.max_days) == (1, 4)


def test_max_consecutive_days() -> None:
    """Demand every day, at most 3 days in a row: the only way to work 6 days is Thursday off."""
    center = build_center([agent("a")], contracts=[contract(max_consecutive_days=3)])
    assert days_worked(solve(center, early(*range(7)))) == [0, 1, 2, 4, 5, 6]


def test_max_consecutive_days_counts_the_previous_roster() -> None:
    """Worked Friday to Sunday before the horizon, at most 3 in a row: Monday off, then Tuesday to Thursday."""
    center = build_center([agent("a")], contracts=[contract(max_consecutive_days=3)])
    previous = roster_frame(*(roster_row("a", MONDAY - timedelta(days=k), "06:00", "early") for k in (1, 2, 3)))
    assert days_worked(solve(center, early(0, 1, 2, 3), days=4, previous=previous)) == [1, 2, 3]


@pytest.mark.parametrize(("days_off", "expected"), [(1, [0, 2]), (2, [0, 1, 2])])
def test_min_consecutive_days_off(days_off: int, expected: list[int]) -> None:
    """Demand Monday and Wednesday: one day off between them is too short with 2, so Tuesday is worked too
    (40 points of overstaffing, against 8 x 160 for a missing day)."""
    center = build_center([agent("a")], contracts=[contract(min_consecutive_days_off=days_off)])
    assert days_worked(solve(center, early(0, 2), days=4)) == expected


def test_min_consecutive_days_off_counts_the_previous_roster() -> None:
    """`a` worked Saturday and not Sunday before the horizon: working Monday would leave one day off."""
    center = build_center(
        [agent("a", hourly_cost=1), agent("b", hourly_cost=10)], contracts=[contract(min_consecutive_days_off=2)]
    )
    previous = roster_frame(roster_row("a", MONDAY - timedelta(days=2), "06:00", "early"))
    assert worked(solve(center, early(0), days=1, previous=previous)) == {("b", 0, "06:00")}


@pytest.mark.parametrize(("limit", "expected"), [(0, []), (1, [0]), (None, [0, 8])])
def test_max_working_weekends(limit: int | None, expected: list[int]) -> None:
    """Saturday 6 June to Sunday 14 June: 8 h of demand on the first Saturday, 4 h on the last Sunday."""
    center = build_center([agent("a")], contracts=[contract(max_working_weekends=limit)])
    needs = [*early(0), Need("calls", 8, "06:00", "10:00")]
    result = solve(center, needs, days=9, first=SATURDAY)
    assert sorted(d for _, d, _ in worked(result, SATURDAY)) == expected


#: Sunday 2026-06-07: the first day of an Israeli week (Sunday to Thursday, the weekend Friday and Saturday).
ISRAELI_SUNDAY = day(6)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"weekend_days": ["fri", "sat"]}, [0, 1, 2, 3, 4]),  # the centre's weekend
        ({"weekend_days": ["sat", "sun"]}, [1, 2, 3, 4, 5]),  # Saturday and the Sunday that opens the week
        ({}, [1, 2, 3, 4, 5]),  # the default weekend is Saturday and Sunday
    ],
)
def test_max_working_weekends_follows_the_centres_weekend(where: dict[str, Any], expected: list[int]) -> None:
    """An Israeli week from Sunday 7 June with demand every day and no working weekend allowed: with a Friday and
    Saturday weekend Sunday is a working day and Friday and Saturday are not worked; with the default weekend
    the Sunday and the Saturday are the ones refused."""
    center = build_center([agent("a")], contracts=[contract(max_working_weekends=0)], **where)
    result = solve(center, early(*range(7)), first=ISRAELI_SUNDAY)
    assert sorted(d for _, d, _ in worked(result, ISRAELI_SUNDAY)) == expected


def test_a_contract_defines_its_own_weekend() -> None:
    """The centre's weekend is Saturday and Sunday; the contract's is Friday and Saturday, and it wins."""
    terms = contract(max_working_weekends=0, weekend_days=["fri", "sat"])
    center = build_center([agent("a")], contracts=[terms])
    result = solve(center, early(*range(7)), first=ISRAELI_SUNDAY)
    assert sorted(d for _, d, _ in worked(result, ISRAELI_SUNDAY)) == [0, 1, 2, 3, 4]


def test_a_friday_and_saturday_weekend_is_one_weekend() -> None:
    """Friday 5 June to Saturday 13 June with a Friday-Saturday weekend and one weekend allowed: working Friday
    and Saturday of the same weekend counts once, so both days are worked; the next Friday (demand 4 h) is not."""
    center = build_center([agent("a")], contracts=[contract(max_working_weekends=1)], weekend_days=["fri", "sat"])
    needs = [*early(0, 1), Need("calls", 7, "06:00", "10:00")]
    result = solve(center, needs, days=9, first=day(4))
    assert sorted(d for _, d, _ in worked(result, day(4))) == [0, 1]


def test_a_saturday_and_sunday_weekend_across_a_week_from_sunday_is_one_weekend() -> None:
    """Sunday 7 June to Sunday 14 June, one weekend allowed: Sunday 7 June closes the weekend begun on Saturday 6
    June (before the horizon), Saturday 13 and Sunday 14 June are one weekend. Demand 4 h on the first Sunday and
    8 h on the last Saturday and Sunday: the last weekend is worked whole (16 h), the first Sunday not."""
    center = build_center([agent("a")], contracts=[contract(max_working_weekends=1)])
    needs = [Need("calls", 0, "06:00", "10:00"), *early(6, 7)]
    result = solve(center, needs, days=8, first=ISRAELI_SUNDAY)
    assert sorted(d for _, d, _ in worked(result, ISRAELI_SUNDAY)) == [6, 7]


def test_the_greedy_warm_start_keeps_the_centres_weekend() -> None:
    """The warm start places no shift on an Israeli Friday or Saturday when no weekend may be worked."""
    center = build_center([agent("a")], contracts=[contract(max_working_weekends=0)], weekend_days=["fri", "sat"])
    problem = build_problem(requirement(center, early(*range(7)), first=ISRAELI_SUNDAY), center)
    assert sorted(greedy_roster(problem)["a"]) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("time_off", "target", "paid"),
    [
        (0, None, 960),  # the minimum itself: two 480-min shifts
        (3, None, 480),  # Monday to Wednesday off, 4 days outside: L = min(3, 5 - 4) = 1, less 2400 / 5 = 480
        (4, None, 0),  # Monday to Thursday off: L = min(4, 5 - 3) = 2, less 960: nothing left to work
        (3, 1500, 960),  # the credit is target / days = 300, so 660 is still needed: two shifts
    ],
)
def test_weekly_minimum_makes_an_agent_work_without_demand(time_off: int, target: int | None, paid: int) -> None:
    """No demand at all: the agent works exactly the contract's minimum less the time-off credit (the leave is
    charged only on the days it keeps the agent from the week's 5: see test_charged_days_of_leave)."""
    terms = {"target_paid_minutes_week": target} if target is not None else {}
    center = build_center(
        [agent("a", time_off=[{"start_date": day(0), "end_date": day(time_off - 1)}] if time_off else [])],
        contracts=[contract(min_paid_minutes_week=960, max_paid_minutes_week=2400, max_working_days=5, **terms)],
    )
    weights = RosterWeights(target_hours=0)  # the target only sets the credit here
    result = solve(center, [], settings=RosterSettings(time_limit_s=5, workers=2, weights=weights))
    assert int(result.roster["paid_minutes"].sum()) == paid
    assert all(d >= time_off for d in days_worked(result))


def test_the_bound_known_before_solving_is_the_pay_of_the_least_reachable_minimum() -> None:
    """A 900-minute minimum with 480-minute shifts can only be met with two shifts (960 minutes), and with no
    demand nothing else costs: the pay floor is then the optimum itself, and the solve proves it."""
    center = build_center(
        [agent("a", hourly_cost=30.0)],
        contracts=[contract(min_paid_minutes_week=900, max_paid_minutes_week=2400, max_working_days=5)],
    )
    weights = RosterWeights(target_hours=0, overstaffing=0)  # with no demand every hour on duty is surplus
    result = solve(center, [], settings=RosterSettings(time_limit_s=5, workers=2, weights=weights))
    assert int(result.roster["paid_minutes"].sum()) == 960
    assert result.objective == pytest.approx(30.0 * 960 / 60)
    assert result.best_bound == pytest.approx(result.objective, abs=0.01)
    assert result.best_bound <= result.objective


def test_weekly_minimum_is_not_applied_to_a_short_week() -> None:
    center = build_center([agent("a")], contracts=[contract(min_paid_minutes_week=960, max_working_days=5)])
    assert solve(center, [], days=6).roster.empty


def test_weekly_maximum_caps_paid_minutes() -> None:
    center = build_center([agent("a")], contracts=[contract(max_paid_minutes_week=960)])
    assert int(solve(center, early(*range(7))).roster["paid_minutes"].sum()) == 960


def test_a_target_of_zero_gives_no_time_off_credit() -> None:
    center = build_center(
        [agent("a", time_off=[{"start_date": day(0), "end_date": day(0)}])],
        contracts=[contract(max_paid_minutes_week=960, target_paid_minutes_week=0)],
    )
    settings = RosterSettings(time_limit_s=5, workers=2, weights=RosterWeights(target_hours=0))
    result = solve(center, early(*range(1, 7)), settings=settings)
    assert int(result.roster["paid_minutes"].sum()) == 960  # the model allows 960 - 960 // 7 = 823: one shift


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        # Monday 22:00-24:00 and Tuesday 00:00-06:00 touch: together they hold the night shift.
        ([("mon", "22:00", "24:00"), ("tue", "00:00", "06:00")], {("a", 0, "22:00")}),
        ([("mon", "22:00", "24:00"), ("tue", "00:00", "05:00")], {("b", 0, "22:00")}),
        ([("mon", "06:00", "22:00")], {("b", 0, "22:00")}),
    ],
)
def test_availability_keeps_an_agent_off(windows: list[tuple[str, str, str]], expected: set[Any]) -> None:
    availability = [{"weekday": w, "start_minute": s, "end_minute": e} for w, s, e in windows]
    center = build_center(
        [agent("a", hourly_cost=1, availability=availability), agent("b", hourly_cost=10)],
        templates=[EARLY, LATE, NIGHT],
        contracts=[contract(shift_templates=["night"])],
    )
    needs = [Need("calls", 0, "22:00", "24:00"), Need("calls", 1, "00:00", "06:00")]
    assert worked(solve(center, needs, days=2)) == expected


def test_time_off_keeps_an_agent_off() -> None:
    center = build_center(
        [agent("a", hourly_cost=1, time_off=[{"start_date": day(0), "end_date": day(0)}]), agent("b", hourly_cost=10)]
    )
    assert worked(solve(center, early(0, 1), days=2)) == {("b", 0, "06:00"), ("a", 1, "06:00")}


@pytest.mark.parametrize(("opening", "start"), [(True, "08:00"), (False, "06:00")])
def test_opening_hours_keep_shifts_inside(opening: bool, start: str) -> None:
    """Starts 06:00..12:00, demand 06:00-14:00, open 08:00-20:00: the earliest start inside is 08:00."""
    hours = [{"weekday": w, "start_minute": "08:00", "end_minute": "20:00"} for w in range(7)] if opening else []
    center = build_center(
        [agent("a")],
        templates=[template("early", "06:00", latest="12:00"), LATE],
        opening_hours=hours,
    )
    assert worked(solve(center, early(0), days=1)) == {("a", 0, start)}


def test_a_template_without_a_day_in_the_horizon() -> None:
    """A weekday-only template in a centre rostering a Saturday: the Saturday is still rostered (early)."""
    center = build_center([agent("a")], templates=[EARLY, template("late", "14:00", weekdays=[0, 1, 2, 3, 4])])
    assert worked(solve(center, early(0), days=1, first=SATURDAY), SATURDAY) == {("a", 0, "06:00")}


def test_a_pin_is_kept_exactly() -> None:
    """Wednesday's late shift has no demand (40 points of overstaffing), but it is pinned."""
    center = build_center([agent("a")])
    pins = roster_frame(roster_row("a", day(2), "14:00", "late"))
    result = solve(center, early(0), days=3, pins=pins)
    assert worked(result) == {("a", 0, "06:00"), ("a", 2, "14:00")}
    assert result.roster.set_index("date")["pinned"].to_dict() == {day(0): False, day(2): True}
    assert result.breakdown["overstaffing"] == pytest.approx(40, abs=1e-9)


def test_a_row_marked_not_pinned_is_no_pin() -> None:
    """Saturday's late shift, marked pinned=false, is free to move to the early shift where the demand is."""
    center = build_center([agent("a")])
    pins = roster_frame({**roster_row("a", SATURDAY, "14:00", "late"), "pinned": False})
    assert worked(solve(center, early(0), days=1, first=SATURDAY, pins=pins), SATURDAY) == {("a", 0, "06:00")}


@pytest.mark.parametrize(("saturday", "end"), [(date(2026, 3, 28), "07:00"), (date(2026, 10, 24), "05:00")])
def test_a_shift_across_a_dst_change_keeps_its_length(saturday: date, end: str) -> None:
    """The night shift from Saturday 22:00 lasts 480 elapsed minutes: it ends 07:00 local when the clocks go
    forward that night, 05:00 when they go back."""
    center = build_center([agent("a")], templates=[EARLY, LATE, NIGHT], contracts=[contract(shift_templates=["night"])])
    needs = [Need("calls", 0, "22:00", "24:00"), Need("calls", 1, "00:00", end)]
    result = solve(center, needs, days=2, first=saturday)
    (row,) = result.roster.itertuples()
    assert (row.date, row.end - row.start) == (saturday, pd.Timedelta(minutes=480))
    assert row.end.tz_convert("Europe/London").strftime("%Y-%m-%d %H:%M") == f"{saturday + timedelta(days=1)} {end}"
    assert result.breakdown["understaffing"] == 0.0


# -- soft rules ---------------------------------------------------------------------------------------------------

SALES = work_type("sales", "sales", priority=1)
SUPPORT = work_type("support", "support", priority=2)


def coverage_of(result: Any, skill: str, on: date, start: str, end: str) -> pd.DataFrame:
    table = result.coverage
    begin = pd.Timestamp(f"{on} {start}").tz_localize("Europe/London")
    finish = pd.Timestamp(f"{on} {end}").tz_localize("Europe/London")
    return table[(table["skill"] == skill) & (table["interval_start"] >= begin) & (table["interval_start"] < finish)]


def test_understaffing_goes_to_the_priority_1_work_type() -> None:
    """One agent with both skills, one agent wanted on each 06:00-14:00: sales (priority 1) gets them; support
    (priority 2, factor 3) misses 8 agent-hours at 40 x 3 = 120 points each."""
    center = build_center([agent("a", "sales", "support")], work_types=[SALES, SUPPORT])
    result = solve(center, [Need("sales", 0, "06:00", "14:00"), Need("support", 0, "06:00", "14:00")], days=1)
    assert worked(result) == {("a", 0, "06:00")}
    assert coverage_of(result, "sales", day(0), "06:00", "14:00")["scheduled"].tolist() == [1.0] * 8
    assert coverage_of(result, "support", day(0), "06:00", "14:00")["shortfall"].tolist() == [1.0] * 8
    assert result.breakdown["understaffing"] == pytest.approx(8 * 120, abs=1e-9)
    assert result.kpis["understaffed_agent_hours"] == {"priority 1": 0.0, "priority 2": 8.0}


def test_understaffing_tiers() -> None:
    """Four agents wanted 06:00-07:00 and nobody can work then: (40 + 80 + 80 + 160) x 4 = 1440 points."""
    center = build_center([agent("a")], contracts=[contract(shift_templates=["late"])])
    result = solve(center, [Need("calls", 0, "06:00", "07:00", 4)], days=1)
    assert result.roster.empty
    assert result.breakdown["understaffing"] == pytest.approx(1440, abs=1e-9)
    assert coverage_of(result, "phone", day(0), "06:00", "07:00")["shortfall"].tolist() == [4.0]


def test_understaffing_is_convex_so_the_shortfall_is_spread() -> None:
    """Two agents with both skills, two wanted on each of two priority-1 work types: one missing on each costs
    2 x 40 x 4 = 320 an hour, two missing on one would cost (40 + 80) x 4 = 480."""
    same = work_type("support", "support", priority=1)
    center = build_center([agent("a", "sales", "support"), agent("b", "sales", "support")], work_types=[SALES, same])
    needs = [Need("sales", 0, "06:00", "14:00", 2), Need("support", 0, "06:00", "14:00", 2)]
    result = solve(center, needs, days=1)
    for skill in ("sales", "support"):
        assert coverage_of(result, skill, day(0), "06:00", "14:00")["scheduled"].tolist() == [1.0] * 8
    assert result.breakdown["understaffing"] == pytest.approx(8 * 320, abs=1e-9)


def test_a_two_skill_agent_counts_once_per_interval() -> None:
    """One agent, both skills, one wanted on each: per interval 1 scheduled in all, never 1 on each skill."""
    same = work_type("support", "support", priority=1)
    center = build_center([agent("a", "sales", "support")], work_types=[SALES, same])
    result = solve(center, [Need("sales", 0, "06:00", "14:00"), Need("support", 0, "06:00", "14:00")], days=1)
    per_interval = result.coverage.groupby("interval_start")[["scheduled", "shortfall"]].sum()
    shift = per_interval.loc[pd.Timestamp("2026-06-01 06:00", tz="Europe/London") :].iloc[:8]
    assert shift["scheduled"].tolist() == [1.0] * 8
    assert shift["shortfall"].tolist() == [1.0] * 8
    assert result.breakdown["understaffing"] == pytest.approx(8 * 160, abs=1e-9)


@pytest.mark.parametrize(
    ("latest", "wish", "start", "penalty"),
    [
        ("10:00", "09:00", "09:00", 0.0),
        ("10:00", "07:00", "07:00", 0.0),
        ("08:00", "10:00", "08:00", 2 * 2.0),  # 2 hours from the wish, 2 points an hour
    ],
)
def test_preferred_start(latest: str, wish: str, start: str, penalty: float) -> None:
    """Demand 06:00-18:00: any start from 06:00 covers 8 of its hours, so the wish decides."""
    center = build_center(
        [agent("a", preferences={"preferred_start_minute": wish})],
        templates=[template("early", "06:00", latest=latest), LATE],
        contracts=[contract(shift_templates=["early"])],
    )
    result = solve(center, [Need("calls", 0, "06:00", "18:00")], days=1)
    assert worked(result) == {("a", 0, start)}
    assert result.breakdown["preferred_start"] == pytest.approx(penalty, abs=1e-9)


def test_preferred_days_off() -> None:
    """One shift is owed (the minimum) and there is no demand: it goes on the one day not wished off, Friday."""
    center = build_center(
        [agent("a", preferences={"preferred_days_off": ["mon", "tue", "wed", "thu", "sat", "sun"]})],
        contracts=[contract(min_paid_minutes_week=480, shift_templates=["early"])],
    )
    result = solve(center, [])
    assert worked(result) == {("a", 4, "06:00")}
    assert result.breakdown["preferred_days_off"] == 0.0


@pytest.mark.parametrize(("window_s", "agents"), [(4 * 3600, 1), (3600, 2)])
def test_deferred_work_is_done_within_its_window(window_s: int, agents: int) -> None:
    """Two agent-hours of e-mail arrive at 06:00. Due within 4 h, one agent clears them by 08:00 (a backlog, not
    a flat requirement of 2 agents at 06:00); due within the hour, both agents work 06:00."""
    email = work_type("email", "email", deferred=True, within_s=window_s)
    center = build_center([agent("a", "email"), agent("b", "email")], work_types=[email])
    result = solve(center, [Need("email", 0, "06:00", "07:00", 2)], days=1)
    assert result.kpis["agents_rostered"] == agents
    assert result.kpis["deferred_work_in_time"] == {"email": 1.0}
    assert result.breakdown["deferred_backlog"] == 0.0


def test_deferred_work_late_when_capacity_is_short() -> None:
    """Due within the hour but only one agent: half the work is done in time."""
    email = work_type("email", "email", deferred=True, within_s=3600)
    center = build_center([agent("a", "email")], work_types=[email])
    result = solve(center, [Need("email", 0, "06:00", "07:00", 2)], days=1)
    assert result.kpis["deferred_work_in_time"] == {"email": 0.5}
    assert result.breakdown["deferred_backlog"] > 0


def test_fair_late_shifts() -> None:
    """Two agents on one contract at 1 and 2 an hour, a late shift on Monday and on Tuesday: one each (spread 0,
    8 points dearer), not both to the cheaper agent (spread 2, 2 x 10 points)."""
    center = build_center([agent("a", hourly_cost=1), agent("b", hourly_cost=2)])
    result = solve(center, [Need("calls", d, "14:00", "22:00") for d in (0, 1)], days=2)
    assert sorted(a for a, _, _ in worked(result)) == ["a", "b"]
    assert (result.breakdown["fair_late_shifts"], result.breakdown["paid_cost"]) == (0.0, 24.0)


def test_a_late_shift_is_late_by_its_local_end_across_dst() -> None:
    """Sunday 29 March 2026, clocks forward at 01:00: a 1140-min shift from 00:00 ends 20:00 local, after 19:00.
    One of two agents on the contract works it: spread 1, 10 points."""
    center = build_center(
        [agent("a", hourly_cost=1), agent("b", hourly_cost=2)],
        templates=[template("long", "00:00", lengths=(1140,))],
        contracts=[contract(shift_templates=["long"], max_paid_minutes_week=7 * 1440)],
    )
    result = solve(center, [Need("calls", 0, "00:00", "20:00")], days=1, first=date(2026, 3, 29))
    (row,) = result.roster.itertuples()
    assert row.end.tz_convert("Europe/London").strftime("%H:%M") == "20:00"
    assert result.kpis["fairness_by_contract"]["flex"]["late_shifts_spread"] == 1
    assert result.breakdown["fair_late_shifts"] == 10.0


@pytest.mark.parametrize(
    ("where", "owner"),
    [
        ({"late_shift": {"ends_after": "22:00"}}, "centre"),  # 14:00-22:00 does not end after 22:00
        ({"late_shift": {"starts_from": "15:00"}}, "centre"),
        ({"late_shift": {"ends_after": "22:00"}}, "contract"),
    ],
)
def test_the_late_shift_definition_changes_the_fairness_count(where: dict[str, Any], owner: str) -> None:
    """As test_fair_late_shifts, but 14:00-22:00 is not a late shift in this centre (or this contract): no late
    shift, no spread to even out, so the cheaper agent works both (16 points of pay, not 24)."""
    agents = [agent("a", hourly_cost=1), agent("b", hourly_cost=2)]
    if owner == "centre":
        center = build_center(agents, **where)
    else:
        center = build_center(agents, contracts=[contract(**where)])
    result = solve(center, [Need("calls", d, "14:00", "22:00") for d in (0, 1)], days=2)
    assert worked(result) == {("a", 0, "14:00"), ("a", 1, "14:00")}
    assert (result.breakdown["fair_late_shifts"], result.breakdown["paid_cost"]) == (0.0, 16.0)
    assert result.kpis["fairness_by_contract"]["flex"]["late_shifts_spread"] == 0


def test_a_late_shift_by_its_start() -> None:
    """Late from 06:00 on: the early shifts are late too, so two early shifts go one to each agent (spread 0, 8
    points dearer than both to `a`: 2 x 10 of spread)."""
    center = build_center([agent("a", hourly_cost=1), agent("b", hourly_cost=2)], late_shift={"starts_from": "06:00"})
    result = solve(center, early(0, 1), days=2)
    assert sorted(a for a, _, _ in worked(result)) == ["a", "b"]
    assert (result.breakdown["fair_late_shifts"], result.breakdown["paid_cost"]) == (0.0, 24.0)


def test_fair_weekends() -> None:
    """Two agents on one contract at 1 and 2 an hour, demand on two Saturdays: one weekend each (spread 0, 8 points
    dearer), not both to the cheaper agent (spread 2, 2 x 30 points)."""
    center = build_center([agent("a", hourly_cost=1), agent("b", hourly_cost=2)])
    result = solve(center, early(0, 7), days=9, first=SATURDAY)
    assert sorted(a for a, _, _ in worked(result)) == ["a", "b"]
    assert (result.breakdown["fair_weekends"], result.breakdown["paid_cost"]) == (0.0, 24.0)


def test_target_hours() -> None:
    """No demand, target 960 paid minutes at 10 points an hour away: two shifts (2 x 40 of overstaffing) beat none
    (16 h x 10 = 160 points)."""
    center = build_center([agent("a")], contracts=[contract(target_paid_minutes_week=960, max_paid_minutes_week=2400)])
    settings = RosterSettings(time_limit_s=5, workers=2, weights=RosterWeights(target_hours=10))
    result = solve(center, [], settings=settings)
    assert int(result.roster["paid_minutes"].sum()) == 960
    assert (result.breakdown["target_hours"], result.breakdown["overstaffing"]) == (0.0, 80.0)


def test_paid_cost_picks_the_cheaper_agent() -> None:
    """Identical agents at 10 and 20 an hour, one shift needed: 8 paid hours x 10 = 80 points."""
    center = build_center([agent("a", hourly_cost=20), agent("b", hourly_cost=10)])
    result = solve(center, early(0), days=1)
    assert worked(result) == {("b", 0, "06:00")}
    assert result.breakdown["paid_cost"] == pytest.approx(80, abs=1e-9)
    assert result.kpis["paid_cost"] == 80.0


def test_the_kpis_cost_overtime_at_the_contracts_rate() -> None:
    """The same roster after an intraday extension of b's shift by an hour (paid 480 + 60 min): 8 h x 10 plus
    1 h x 10 x the default overtime rate 1.5 = 95. The KPIs read the roster, not the model."""
    center = build_center([agent("a", hourly_cost=20), agent("b", hourly_cost=10)])
    table = requirement(center, early(0), days=1)
    result = solve(center, early(0), days=1)
    roster = result.roster.assign(overtime_minutes=60)
    roster["end"] += pd.Timedelta(minutes=60)
    roster["paid_minutes"] += 60
    problem = build_problem(table, center)
    nobody = np.zeros((1, *problem.required.shape))  # the allocation is not what this checks
    figures = kpis(problem, table, roster, nobody, nobody[:, :, 0])
    assert (figures["paid_hours"], figures["paid_cost"]) == (9.0, 95.0)
    # A solved roster has no changes of the day, so it has none of their columns (wfm roster's output as before).
    assert list(result.roster.columns) == [*ROSTER.required, "pinned"]


# -- conflicts in the input ---------------------------------------------------------------------------------------


def test_a_minimum_the_availability_cannot_reach_is_a_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    """`b` is available Monday 06:00-14:00 only: one 480-min shift, against a minimum of 960. Said before any model
    is built, naming the agent and the rule."""
    center = build_center(
        [agent("a"), agent("b", availability=[{"weekday": "mon", "start_minute": "06:00", "end_minute": "14:00"}])],
        contracts=[contract(min_paid_minutes_week=960)],
    )
    monkeypatch.setattr(solver_module, "RosterModel", None)  # building a model would fail with a TypeError
    with pytest.raises(RosterConflicts) as caught:
        solve_roster(requirement(center, early(0)), center, SETTINGS)
    assert isinstance(caught.value, InputError)
    assert_problem(caught.value, "agents[1].availability", "weekly_paid_minutes", "agent 'b'", "at least 960")
    assert_problem(caught.value, "agents[1].availability", "at most 480")
    assert [p.where for p in caught.value.problems] == ["agents[1].availability"]


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (roster_row("a", day(0), "06:00", "early"), "agent 'a' may not work"),  # time off on Monday
        (roster_row("b", day(0), "07:00", "early"), "not a shift the template allows"),
        (roster_row("zed", day(0), "06:00", "early"), "agent 'zed' is not in the centre"),
        (roster_row("b", day(3), "06:00", "early"), "outside the horizon"),
    ],
)
def test_a_pin_that_breaks_a_rule_is_a_conflict(row: dict[str, Any], fragment: str) -> None:
    center = build_center([agent("a", time_off=[{"start_date": day(0), "end_date": day(0)}]), agent("b")])
    with pytest.raises(RosterConflicts) as caught:
        solve_roster(requirement(center, early(0), days=2), center, SETTINGS, pins=roster_frame(row))
    assert_problem(caught.value, "pins row 2", fragment)


def test_pins_that_break_min_rest_together_are_a_conflict() -> None:
    """Monday late and Tuesday early for one agent are 8 h apart: the input makes min_rest impossible."""
    center = build_center([agent("a")])
    pins = roster_frame(roster_row("a", day(0), "14:00", "late"), roster_row("a", day(1), "06:00", "early"))
    with pytest.raises((RosterConflicts, SolverError)) as caught:
        solve_roster(requirement(center, [], days=2), center, SETTINGS, pins=pins)
    assert isinstance(caught.value, RosterConflicts), f"{type(caught.value).__name__}: {caught.value}"


# -- settings -----------------------------------------------------------------------------------------------------


def test_apply_settings_puts_every_value_on_the_solver() -> None:
    solver = cp_model.CpSolver()
    apply_settings(solver, RosterSettings(time_limit_s=7.5, workers=3, seed=42, relative_gap=0.05))
    parameters = solver.parameters
    assert (parameters.max_time_in_seconds, parameters.num_workers) == (7.5, 3)
    assert (parameters.random_seed, parameters.relative_gap_limit) == (42, 0.05)
    assert not parameters.interleave_search


def test_apply_settings_deterministic_mode() -> None:
    solver = cp_model.CpSolver()
    apply_settings(solver, RosterSettings(time_limit_s=4.0, workers=2, seed=7, deterministic=True))
    parameters = solver.parameters
    assert parameters.interleave_search
    assert parameters.max_deterministic_time == 4.0
    assert math.isinf(parameters.max_time_in_seconds)  # no wall-clock limit: the deterministic one decides
    assert (parameters.num_workers, parameters.random_seed) == (2, 7)


def test_apply_settings_takes_a_phase_limit() -> None:
    solver = cp_model.CpSolver()
    apply_settings(solver, RosterSettings(time_limit_s=60, workers=1), time_limit_s=1.5)
    assert solver.parameters.max_time_in_seconds == 1.5


@pytest.mark.parametrize(
    "changes",
    [
        {"time_limit_s": 0},
        {"time_limit_s": -1.0},
        {"time_limit_s": float("nan")},
        {"workers": 0},
        {"relative_gap": -0.1},
        {"relative_gap": 1.0},
        {"relative_gap": float("nan")},
        {"break_time_limit_s": 0},
    ],
)
def test_roster_settings_reject_bad_values(changes: dict[str, Any]) -> None:
    name = next(iter(changes))
    with pytest.raises(ValueError, match=name):
        RosterSettings(**changes)


def test_roster_settings_are_immutable() -> None:
    with pytest.raises(FrozenInstanceError):
        SETTINGS.time_limit_s = 1.0  # type: ignore[misc]


# -- determinism --------------------------------------------------------------------------------------------------


def test_deterministic_mode_gives_the_same_roster_twice() -> None:
    """Three agents, three days, starts every hour and a movable lunch: many rosters tie; the same one comes back."""
    lunch = {"name": "lunch", "duration_minutes": 60, "earliest_start_minutes": 180, "latest_start_minutes": 300}
    center = build_center(
        [agent("a"), agent("b"), agent("c", "phone", "email")],
        work_types=[CALLS, work_type("email", "email", deferred=True, within_s=4 * 3600)],
        templates=[
            template("early", "06:00", latest="10:00", breaks=[lunch]),
            template("late", "12:00", latest="14:00"),
        ],
        contracts=[contract(max_working_days=2)],
    )
    needs = [Need("calls", d, "07:00", "21:00", 1 + d % 2) for d in range(3)] + [Need("email", 1, "09:00", "10:00", 3)]
    fixed = RosterSettings(time_limit_s=2.0, workers=2, seed=3, deterministic=True, break_time_limit_s=1.0)
    first, second = (solve(center, needs, days=3, settings=fixed) for _ in range(2))
    pd.testing.assert_frame_equal(first.roster, second.roster)
    pd.testing.assert_frame_equal(first.coverage, second.coverage)
    assert first.breakdown == second.breakdown


# -- the result explains itself -----------------------------------------------------------------------------------


def assert_explained(result: Any, table: pd.DataFrame, center: Any, **context: Any) -> None:
    """Status, bound, breakdown (every soft term the model built, summing to the objective) and a JSON summary."""
    assert result.status in {"OPTIMAL", "FEASIBLE"}
    assert result.objective >= result.best_bound - 1e-6
    built = RosterModel(build_problem(table, center, **context)).build()
    assert set(result.breakdown) == set(built.terms)
    assert set(built.terms) <= set(SOFT_TERMS) <= set(MODEL_RULES)
    assert sum(result.breakdown.values()) == pytest.approx(result.objective, abs=1e-6)
    summary = json.loads(json.dumps(result.summary()))
    assert summary["status"] == result.status and summary["breakdown"] == result.breakdown


def test_the_model_builds_the_rules_of_the_docs() -> None:
    """The model's rules are the docs' hard rules it must build (the validator's other rules are kept by the shift
    options: known agents and templates, shapes, breaks, paid minutes, time off, availability, opening hours), then
    the docs' soft rules in their order."""
    hard = [name for name in MODEL_RULES if name not in SOFT_TERMS]
    assert set(hard) <= set(docs_table("Hard rules")) == set(RULES)
    assert tuple(name for name in MODEL_RULES if name in SOFT_TERMS) == SOFT_TERMS
    assert len(SOFT_TERMS) == 9


def test_the_result_explains_itself() -> None:
    center = build_center([agent("a", hourly_cost=12), agent("b", hourly_cost=9)])
    table = requirement(center, [*early(0, 1), Need("calls", 1, "14:00", "22:00", 2)], days=2)
    result = solve_roster(table, center, SETTINGS)
    assert_explained(result, table, center)
    # Tuesday wants three agent-shifts (early 1, late 2) of two agents: 8 agent-hours missing at 160 (first tier)
    assert result.breakdown["understaffing"] == pytest.approx(160 * 8, abs=1e-9)


# -- property: every roster the solver returns passes the validator ------------------------------------------------

#: A Monday and a Sunday without a DST change, and the Saturdays before the spring-forward and fall-back Sundays
#: of 2026.
FIRST_DAYS = (MONDAY, day(6), date(2026, 3, 28), date(2026, 10, 24))
HOURS = st.integers(0, 23)
#: Weekends of England, Israel, Brunei (Friday and Sunday) and a Sunday alone.
WEEKENDS = st.sampled_from([["sat", "sun"], ["fri", "sat"], ["fri", "sun"], ["sun"]])
LATE_SHIFTS = st.sampled_from([{"ends_after": "19:00"}, {"ends_after": "24:00"}, {"starts_from": "14:00"}])


@st.composite
def instances(draw: st.DrawFn) -> tuple[Any, pd.DataFrame, pd.DataFrame | None]:
    """A random tiny centre, requirement and previous roster whose contracts can always be kept."""
    first = draw(st.sampled_from(FIRST_DAYS))
    days = draw(st.sampled_from([1, 2, 3, 4, 7]))
    interval = draw(st.sampled_from([30, 60]))
    lunch = dict(LUNCH)
    rest = {
        "name": "rest",
        "duration_minutes": 60,
        "paid": True,
        "earliest_start_minutes": 120,
        "latest_start_minutes": 240,
    }
    # The night template works some weekdays, always the first day's (test_a_template_without_a_day_in_the_horizon).
    nights = sorted({first.weekday(), *draw(st.lists(st.integers(0, 6), max_size=6))})
    templates = [
        template("early", "06:00", latest="08:00", lengths=(240, 480), breaks=[lunch]),
        template("late", "14:00", latest="15:00", lengths=(480,), breaks=[lunch]),
        template("night", "22:00", lengths=(480,), breaks=[rest], weekdays=nights),
    ]
    kinds = [
        CALLS,
        work_type("sales", "sales", priority=2),
        work_type("email", "email", deferred=True, within_s=4 * 3600),
    ]
    contracts = []
    for c in range(draw(st.integers(1, 2))):
        allowed = draw(st.lists(st.sampled_from(["early", "late", "night"]), min_size=1, max_size=3, unique=True))
        least = draw(st.sampled_from([0, 0, 420]))
        if least:  # early shifts every day: whatever the previous roster and the rules, some day is left to work
            allowed = sorted({"early", *allowed})
        contracts.append(
            contract(
                f"c{c}",
                min_paid_minutes_week=least,
                # An owed minimum with room above it: a closed day's credit takes minutes off both limits, and
                # 352-412 fits no set of 240- and 420-minute shifts (a conflict `contract_conflicts` reports).
                max_paid_minutes_week=draw(st.sampled_from([1440, 2400] if least else [480, 1440, 2400])),
                max_working_days=draw(st.integers(1, 7)),
                min_rest_minutes=draw(st.sampled_from([0, 480, 660, 720])),
                max_consecutive_days=draw(st.integers(1, 7)),
                min_consecutive_days_off=draw(st.integers(0, 3)),
                max_working_weekends=draw(st.sampled_from([None, 0, 1])),
                shift_templates=allowed,
            )
        )
        if draw(st.booleans()):  # a contract with its own weekend and late shifts
            contracts[-1]["weekend_days"] = draw(WEEKENDS)
            contracts[-1]["late_shift"] = draw(LATE_SHIFTS)
    agents = []
    previous_rows = []
    for i in range(draw(st.integers(2, 4))):
        terms = contracts[draw(st.integers(0, len(contracts) - 1))]
        skills = draw(st.lists(st.sampled_from(["phone", "sales", "email"]), min_size=1, max_size=3, unique=True))
        extra: dict[str, Any] = {"hourly_cost": draw(st.sampled_from([0, 10, 15]))}
        if terms["min_paid_minutes_week"] == 0:  # a minimum stays reachable: no restriction on who owes one
            if draw(st.booleans()):
                extra["availability"] = [
                    {"weekday": w, "start_minute": f"{s:02d}:00", "end_minute": f"{min(s + length, 24):02d}:00"}
                    for w in range(7)
                    for s, length in [(draw(st.integers(0, 20)), draw(st.integers(4, 16)))]
                ]
            if draw(st.booleans()):
                off = draw(st.integers(0, days - 1))
                extra["time_off"] = [
                    {"start_date": day(off, first), "end_date": day(off + draw(st.integers(0, 2)), first)}
                ]
        if draw(st.booleans()):
            extra["preferences"] = {"preferred_start_minute": f"{draw(HOURS):02d}:00", "preferred_days_off": [5, 6]}
        agents.append(agent(f"a{i}", *skills, contract=terms["id"], **extra))
        for k in draw(st.lists(st.integers(1, 3), max_size=3, unique=True)):
            name = draw(st.sampled_from(["early", "late", "night"]))
            start = {"early": "06:00", "late": "14:00", "night": "22:00"}[name]
            previous_rows.append(roster_row(f"a{i}", first - timedelta(days=k), start, name))
    served = {s for a in agents for s in a["skills"]}
    agents[0]["skills"] += sorted({"phone", "sales", "email"} - served)
    opening = []
    if all(c["min_paid_minutes_week"] == 0 for c in contracts) and draw(st.booleans()):
        opening = [{"weekday": w, "start_minute": "06:00", "end_minute": "24:00"} for w in range(7)]
    # At most one closed day (docs/roster.md: charged like time off), for some work types or all: an owed
    # minimum keeps an early shift on another day.
    closures = [
        {
            "date": day(draw(st.integers(0, days - 1)), first),
            "name": "Closed",
            "closed": True,
            "work_types": draw(st.lists(st.sampled_from(["calls", "sales", "email"]), max_size=2, unique=True)),
        }
        for _ in range(draw(st.integers(0, 1)))
    ]
    center = build_center(
        agents,
        contracts=contracts,
        templates=templates,
        work_types=kinds,
        opening_hours=opening,
        interval=interval,
        weekend_days=draw(WEEKENDS),
        late_shift=draw(LATE_SHIFTS),
        special_days=closures,
    )
    needs = []
    for d in range(days):
        for kind in ("calls", "sales"):
            for _ in range(draw(st.integers(0, 2))):
                begin = draw(st.integers(0, 22))
                end = draw(st.integers(begin + 1, 24))
                needs.append(Need(kind, d, f"{begin:02d}:00", f"{end:02d}:00", draw(st.integers(1, 3))))
        for _ in range(draw(st.integers(0, 2))):
            hour = draw(HOURS)
            needs.append(Need("email", d, f"{hour:02d}:00", f"{hour:02d}:30", draw(st.integers(1, 4))))
    table = requirement(center, needs, days=days, first=first)
    return center, table, roster_frame(*previous_rows) if previous_rows else None


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(instances(), st.data())
def test_every_roster_passes_the_validator(
    instance: tuple[Any, pd.DataFrame, pd.DataFrame | None], data: st.DataObject
) -> None:
    """Every roster is valid, its coverage possible, and its result explained; pinning some of its own shifts
    and solving again keeps them."""
    center, table, previous = instance
    fast = RosterSettings(time_limit_s=2.0, workers=2, seed=0, break_time_limit_s=0.5)
    result = solve_roster(table, center, fast, previous=previous)
    assert_valid_and_possible(result, center, table, previous)
    assert_explained(result, table, center, previous=previous)
    if result.roster.empty:
        return
    rows = data.draw(st.lists(st.integers(0, len(result.roster) - 1), min_size=1, max_size=3, unique=True))
    pins = result.roster.iloc[sorted(rows)].drop(columns=["pinned"]).reset_index(drop=True)
    again = solve_roster(table, center, fast, previous=previous, pins=pins)
    assert_valid_and_possible(again, center, table, previous, pins)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_model_and_the_validator_charge_the_same_leave(
    instance: tuple[Any, pd.DataFrame, pd.DataFrame | None],
) -> None:
    """The days of time off charged per agent and week (docs/roster.md), from the model's options and from the
    validator's own reading of the centre, agree (the validator's private `_weeks`: an empty roster breaks no
    maximum, so its violations alone cannot show the charged days)."""
    center, table, _ = instance
    problem = build_problem(table, center)
    context = validate_module._Context(
        center, problem.horizon, validate_module._Shifts.empty(), validate_module._Shifts.empty(), None
    )
    weeks = validate_module._weeks(context)
    for i, a in enumerate(center.agents):
        limits = problem.week_limits(a.id)
        assert [w.leave_days for w in limits] == weeks.credited[i].tolist(), a.id
        assert [w.max_days for w in limits] == weeks.max_days[i].tolist(), a.id


def assert_valid_and_possible(
    result: Any, center: Any, table: pd.DataFrame, previous: pd.DataFrame | None, pins: pd.DataFrame | None = None
) -> None:
    """No violation of the validator; per interval, no skill has more agents scheduled than the on-duty agents who
    have it, and all skills together no more than are on duty."""
    horizon = center.horizon_covering(table["interval_start"])
    found = validate_roster(
        result.roster, center, horizon, coverage=result.coverage, previous=previous, pins=pins, requirement=table
    )
    assert found == [], [str(v) for v in found]
    duty = on_duty(result.roster, center, horizon)
    scheduled = result.coverage.pivot(index="interval_start", columns="skill", values="scheduled")
    for skill in scheduled.columns:
        able = [a.id for a in center.agents if skill in a.skill_ids]
        assert np.all(scheduled[skill].to_numpy() <= duty[able].sum(axis=1).to_numpy() + 1e-9), skill
    assert np.all(scheduled.sum(axis=1).to_numpy() <= duty.sum(axis=1).to_numpy() + 1e-9)
