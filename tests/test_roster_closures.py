"""The roster honours the centre's closed days (docs/roster.md, Time): no shift overlaps a day listed `closed` for
every work type of the agent's skills, in the model and in the independent validator, and a closed day is
charged like time off in the weekly limits.

Instances are the tiny ones of `tests/roster_helpers.py` (Europe/London, the week of Monday 2026-06-01 on a
60-min grid, templates `early` 06:00-14:00 and `late` 14:00-22:00); the strike closes Wednesday 2026-06-03.
"""

from __future__ import annotations

from typing import Any

import pytest

from planner.roster import RosterConflicts, validate_roster
from planner.roster.problem import build_problem, roster_conflicts
from tests.roster_helpers import (
    LATE,
    LUNCH,
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

WEDNESDAY = 2


def strike(*work_types: str) -> dict[str, Any]:
    """Wednesday listed `closed` (for these work types; none: all)."""
    return {"date": day(WEDNESDAY), "name": "Strike", "closed": True, "work_types": list(work_types)}


def early(work_type_id: str, *days: int) -> list[Need]:
    return [Need(work_type_id, d, "06:00", "14:00") for d in days]


def on_day(result: Any, d: int) -> set[str]:
    return {a for a, on, _ in worked(result) if on == d}


@pytest.mark.parametrize(("closed", "expected"), [(False, {"a", "b"}), (True, set())])
def test_nobody_works_on_a_closed_day(closed: bool, expected: set[str]) -> None:
    """Demand every day (a requirement made before the strike was known): nobody is rostered on Wednesday."""
    center = build_center([agent("a"), agent("b")], special_days=[strike()] if closed else [])
    result = solve(center, [*early("calls", *range(7)), *early("calls", *range(7))])
    assert on_day(result, WEDNESDAY) == expected
    assert on_day(result, WEDNESDAY + 1) == {"a", "b"}


def test_the_validator_flags_a_shift_on_a_closed_day() -> None:
    """Wednesday's early shift overlaps 8 closed intervals; Tuesday's early shift none."""
    center = build_center([agent("a")], special_days=[strike()])
    horizon = center.horizon(day(0))
    roster = roster_frame(roster_row("a", day(1), "06:00", "early"), roster_row("a", day(WEDNESDAY), "06:00", "early"))
    (violation,) = validate_roster(roster, center, horizon)
    assert (violation.rule, violation.agent_id, violation.date) == ("opening_hours", "a", day(WEDNESDAY))
    assert "overlaps 8 interval(s)" in violation.detail


@pytest.mark.parametrize(("closed", "expected"), [(False, {("a", 1, "22:00")}), (True, set())])
def test_a_night_shift_into_a_closed_day_is_refused(closed: bool, expected: set[Any]) -> None:
    """Tuesday 22:00-06:00 runs into the closed Wednesday: neither the model nor the validator allows it."""
    night = template("night", "22:00")
    center = build_center(
        [agent("a")],
        special_days=[strike()] if closed else [],
        templates=[night, LATE],
        contracts=[contract(shift_templates=["night", "late"])],
    )
    assert worked(solve(center, [Need("calls", 1, "22:00", "24:00")], days=3)) == expected
    if not closed:
        return
    roster = roster_frame(roster_row("a", day(1), "22:00", "night"))
    (violation,) = validate_roster(roster, center, center.horizon(day(0), 3))
    assert (violation.rule, violation.date) == ("opening_hours", day(1))
    assert "overlaps 6 interval(s)" in violation.detail


def test_a_closure_of_one_work_type_leaves_other_skills_free() -> None:
    """Sales is closed on Wednesday, calls are not: `s` (sales only) is off, `p` (phone and sales) still works.
    Demand for both every day (a requirement made before the closure was known)."""
    sales = work_type("sales", "sales")
    agents = [agent("s", "sales"), agent("p", "phone", "sales")]
    center = build_center(agents, work_types=[work_type("calls", "phone"), sales], special_days=[strike("sales")])
    result = solve(center, [*early("calls", *range(4)), *early("sales", *range(4))], days=4)
    assert on_day(result, WEDNESDAY) == {"p"}
    assert on_day(result, 1) == {"s", "p"}
    roster = roster_frame(*(roster_row(a, day(WEDNESDAY), "06:00", "early") for a in ("s", "p")))
    (violation,) = validate_roster(roster, center, center.horizon(day(0), 4))
    assert (violation.rule, violation.agent_id) == ("opening_hours", "s")
    assert "skills (sales)" in violation.detail


#: A full-timer whose only template works Monday to Friday: 5 x 480 = 2400 paid minutes a week, exactly.
WEEKDAYS_ONLY = [template("early", "06:00", weekdays=range(5)), LATE]
FULL_TIME = contract(
    max_working_days=5, min_paid_minutes_week=2400, max_paid_minutes_week=2400, shift_templates=["early"]
)


def test_a_closed_weekday_is_credited_like_time_off() -> None:
    """Wednesday closed would leave four weekdays, 1920 < 2400 minutes: the closed day is charged like a day of
    leave, min(1, 5 - 4) = 1 day at 2400 / 5 = 480 min, so the week needs 1920..1920 on at most 4 days, and the
    roster works the four open weekdays without a conflict."""
    center = build_center([agent("a")], contracts=[FULL_TIME], templates=WEEKDAYS_ONLY, special_days=[strike()])
    assert roster_conflicts(center, center.horizon(day(0))) == []
    (limits,) = build_problem(requirement(center, []), center).week_limits("a")
    assert (limits.leave_days, limits.min_paid, limits.max_paid, limits.max_days) == (1, 1920, 1920, 4)
    result = solve(center, early("calls", *range(7)))
    assert sorted(d for _, d, _ in worked(result)) == [0, 1, 3, 4]


def test_the_validator_credits_a_closed_day_like_time_off() -> None:
    """Three weekdays worked in the week of the strike: 1440 paid minutes against the lowered minimum of 1920."""
    center = build_center([agent("a")], contracts=[FULL_TIME], templates=WEEKDAYS_ONLY, special_days=[strike()])
    roster = roster_frame(*(roster_row("a", day(d), "06:00", "early") for d in (0, 1, 3)))
    (violation,) = validate_roster(roster, center, center.horizon(day(0)))
    assert (violation.rule, violation.date) == ("weekly_paid_minutes", day(0))
    for fragment in ("1440 paid min", "at least 1920", "less 1 day(s) of time off or closure at 480 min each"):
        assert fragment in violation.detail, violation.detail


def test_a_closed_day_that_is_also_time_off_is_charged_once() -> None:
    """Leave Tuesday and Wednesday, Wednesday closed too: two days charged, not three."""
    leave = [{"start_date": day(1), "end_date": day(WEDNESDAY)}]
    center = build_center(
        [agent("a", time_off=leave)], contracts=[FULL_TIME], templates=WEEKDAYS_ONLY, special_days=[strike()]
    )
    (limits,) = build_problem(requirement(center, []), center).week_limits("a")
    assert (limits.leave_days, limits.min_paid, limits.max_days) == (2, 1440, 3)


def test_a_closure_the_agent_can_work_around_charges_nothing() -> None:
    """Templates every day: six days remain outside the closed Wednesday, min(1, max(0, 5 - 6)) = 0 days are
    charged, and the full-timer still owes 2400 minutes, on five of the other days."""
    center = build_center([agent("a")], contracts=[FULL_TIME], special_days=[strike()])
    (limits,) = build_problem(requirement(center, []), center).week_limits("a")
    assert (limits.leave_days, limits.min_paid) == (0, 2400)
    days = sorted(d for _, d, _ in worked(solve(center, early("calls", *range(7)))))
    assert len(days) == 5 and WEDNESDAY not in days


def test_a_minimum_the_credit_cannot_cover_is_a_conflict_before_solving() -> None:
    """The credit is a day's share of the week, not the shift the day would have had: with up to 6 days for 2400
    minutes it is 2400 / 6 = 400. The closed Wednesday leaves four weekdays, min(1, 6 - 4) = 1 day is charged,
    and 2000 minutes are still owed on four 480-minute days (1920): the check before solving says so, counting
    the closure, as the validator's limits do."""
    terms = {**FULL_TIME, "max_working_days": 6}
    center = build_center([agent("a")], contracts=[terms], templates=WEEKDAYS_ONLY, special_days=[strike()])
    (found,) = roster_conflicts(center, center.horizon(day(0)))
    assert "needs at least 2000 paid minutes" in found.what and "after time off and closed days" in found.what
    with pytest.raises(RosterConflicts):
        build_problem(requirement(center, []), center)
    roster = roster_frame(*(roster_row("a", day(d), "06:00", "early") for d in (0, 1, 3, 4)))
    (violation,) = validate_roster(roster, center, center.horizon(day(0)))
    assert "at least 2000" in violation.detail


def test_a_window_no_set_of_shifts_fits_after_the_credit_is_a_conflict_before_solving() -> None:
    """Owed 420-480 minutes a week on 240-minute shifts or 480-minute ones with an unpaid hour: a closed Wednesday
    charges a day's share, 480 // 7 = 68, off both limits, 352-412. One 240 falls short, two (480) or a long one
    (420) overshoot: the check before solving says so, instead of the solver finding no roster."""
    short_or_long = template("early", "06:00", lengths=(240, 480), breaks=[LUNCH])
    terms = contract("owed", min_paid_minutes_week=420, max_paid_minutes_week=480, shift_templates=["early"])
    center = build_center(
        [agent("a", contract="owed")], contracts=[terms], templates=[short_or_long], special_days=[strike()]
    )
    (found,) = roster_conflicts(center, center.horizon(day(0)))
    assert found.where == "agents[0]"
    assert "between 352 and 412 paid minutes" in found.what and "the least that reaches 352 is 420" in found.what
    with pytest.raises(RosterConflicts):
        build_problem(requirement(center, []), center)
    wider = build_center(
        [agent("a", contract="owed")],
        contracts=[{**terms, "max_paid_minutes_week": 560}],
        templates=[short_or_long],
        special_days=[strike()],
    )
    assert roster_conflicts(wider, wider.horizon(day(0))) == []
