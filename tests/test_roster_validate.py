"""The roster's independent validator: every hard rule of docs/roster.md on a tiny roster that breaks it.

The centre is the conftest one, open 07:00-22:00 every day, with the `day` template starting 07:00..14:00 every
30 min and lasting 240, 480 or 510 min (the 30-min unpaid lunch, 180..300 min into the shift, only from 360
min). The horizon is the week of Monday 2026-03-23 in Europe/London, whose Sunday is the spring-forward day.
The valid roster: both agents work Monday to Friday 09:00-17:30 with lunch at 12:00, paid 480 min a day (2,400
a week, the contract's maximum; its minimum is 2,100). Each test changes that roster (or the centre) so that
exactly the rule under test breaks, and checks the rule id, the agent, the date and the key number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from models import REQUIREMENT, ROSTER, Center, Horizon, InputError, read_table, write_table
from models.horizon import local_time
from planner.roster import RULES, Violation, check_roster_files, on_duty, validate_roster
from planner.roster import validate as validate_module
from wfm import cli
from wfm.exit_codes import ExitCode

TZ = "Europe/London"
MONDAY = date(2026, 3, 23)
WEEK = Horizon(start_date=MONDAY, days=7, interval_minutes=15, timezone=TZ)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "roster.md"


def day(n: int) -> date:
    """The date `n` days after Monday 2026-03-23."""
    return MONDAY + timedelta(days=n)


def minute(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def iso(instant: pd.Timestamp, minutes: int = 0) -> str:
    return (instant + pd.Timedelta(minutes=minutes)).isoformat()


def shift(
    agent: str,
    on: date,
    start: str = "09:00",
    length: int = 510,
    *,
    template: str = "day",
    breaks: list[list[str]] | None = None,
    paid: int | None = None,
    dated: date | None = None,
    pinned: bool | None = None,
) -> dict[str, Any]:
    """A roster row: by default the lunch 180 min in (shifts of 360 min and more) and paid = length - lunch."""
    begin = local_time(on, minute(start), TZ)
    lunch = length >= 360
    row: dict[str, Any] = {
        "agent_id": agent,
        "date": dated or on,
        "start": begin,
        "end": begin + pd.Timedelta(minutes=length),
        "shift_template": template,
        "breaks": breaks if breaks is not None else ([[iso(begin, 180), iso(begin, 210)]] if lunch else []),
        "paid_minutes": paid if paid is not None else length - (30 if lunch else 0),
    }
    if pinned is not None:
        row["pinned"] = pinned
    return row


def week_rows(agents: tuple[str, ...] = ("a1", "a2"), days: range = range(5)) -> list[dict[str, Any]]:
    return [shift(agent, day(d)) for agent in agents for d in days]


def without(rows: list[dict[str, Any]], agent: str, *dates: date) -> list[dict[str, Any]]:
    return [r for r in rows if not (r["agent_id"] == agent and r["date"] in dates)]


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def check(rows: list[dict[str, Any]], center: Center, horizon: Horizon = WEEK, **tables: Any) -> list[Violation]:
    return validate_roster(frame(rows), center, horizon, **tables)


def only(violations: list[Violation], rule: str) -> list[Violation]:
    """The violations, after checking that they are all of `rule` (and that there is at least one)."""
    assert violations, f"no violation, expected {rule}"
    assert {v.rule for v in violations} == {rule}, [str(v) for v in violations]
    return violations


def one(violations: list[Violation], rule: str, agent: str | None, on: date, *fragments: str) -> Violation:
    """The single violation, of `rule` for `agent` on `on`, whose detail says every fragment."""
    (violation,) = only(violations, rule)
    assert (violation.agent_id, violation.date) == (agent, on), str(violation)
    for fragment in fragments:
        assert fragment in violation.detail, f"{fragment!r} not in {violation.detail!r}"
    return violation


@pytest.fixture
def data(center_data: dict[str, Any]) -> dict[str, Any]:
    """The conftest centre, open 07:00-22:00 every day, with a wider `day` template (see the module docstring)."""
    center_data["opening_hours"] = [
        {"weekday": weekday, "start_minute": "07:00", "end_minute": "22:00"} for weekday in range(7)
    ]
    template = center_data["shift_templates"][0]
    template["latest_start_minute"] = "14:00"
    template["lengths_minutes"] = [240, 480, 510]
    template["breaks"][0]["min_shift_minutes"] = 360
    return center_data


@pytest.fixture
def center(data: dict[str, Any]) -> Center:
    return Center.model_validate(data)


def contract(data: dict[str, Any], **changes: Any) -> Center:
    data["contracts"][0].update(changes)
    return Center.model_validate(data)


# -- the valid roster and the list of rules ---------------------------------------------------------------------


def test_the_valid_roster_passes(center: Center) -> None:
    assert check(week_rows(), center) == []


def test_the_rules_are_those_of_the_docs_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## Hard rules", 1)[1].split("\n## ", 1)[0]
    assert tuple(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)) == RULES
    assert tuple(validate_module._RULE_CHECKS) == RULES


def test_violations_are_sorted_and_read_as_one_line(center: Center) -> None:
    rows = [*week_rows(), shift("zed", day(1)), shift("b0", day(0))]
    found = check(rows, center)
    assert [(v.rule, v.agent_id, v.date) for v in found] == [
        ("known_agent", "b0", day(0)),
        ("known_agent", "zed", day(1)),
    ]
    assert str(found[0]) == "known_agent b0 2026-03-23: agent 'b0' is not an agent of the centre"


# -- one test per rule ------------------------------------------------------------------------------------------


def test_known_agent_unknown_agent(center: Center) -> None:
    one(check([*week_rows(), shift("ghost", day(2))], center), "known_agent", "ghost", day(2), "'ghost'")


def test_known_agent_unknown_template(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(0)), shift("a1", day(0), template="night")]
    one(check(rows, center), "known_agent", "a1", day(0), "'night'")


def test_one_shift_per_day(data: dict[str, Any]) -> None:
    center = contract(data, min_rest_minutes=60)
    rows = [*without(week_rows(), "a1", day(0)), shift("a1", day(0), "07:00", 240), shift("a1", day(0), "13:00", 240)]
    one(check(rows, center), "one_shift_per_day", "a1", day(0), "2 shifts", "07:00-11:00", "13:00-17:00")


def test_template_allowed_by_the_contract(data: dict[str, Any]) -> None:
    late = {**data["shift_templates"][0], "id": "late", "earliest_start_minute": "12:00", "lengths_minutes": [480]}
    data["shift_templates"].append(late)
    rows = [*without(week_rows(), "a1", day(2)), shift("a1", day(2), "13:00", 480, template="late")]
    one(check(rows, Center.model_validate(data)), "template_allowed", "a1", day(2), "'late'", "'full_time'")


def test_template_allowed_on_its_weekdays(data: dict[str, Any]) -> None:
    data["shift_templates"][0]["weekdays"] = ["mon", "tue", "wed", "thu", "fri"]
    rows = [*without(week_rows(), "a1", day(4)), shift("a1", day(5))]
    one(check(rows, Center.model_validate(data)), "template_allowed", "a1", day(5), "sat")


def test_shift_shape_start_off_the_template_step(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(1)), shift("a1", day(1), "09:15")]
    one(check(rows, center), "shift_shape", "a1", day(1), "starts at 09:15", "07:00..14:00 every 30 min")


def test_shift_shape_length_not_a_template_length(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(1)), shift("a1", day(1), length=500)]
    one(check(rows, center), "shift_shape", "a1", day(1), "lasts 500 min", "240, 480, 510")


def test_shift_shape_date_is_the_local_start_date(center: Center) -> None:
    # Friday's shift labelled Saturday: Saturday is a date the template and the contract would allow.
    rows = [*without(week_rows(), "a1", day(4)), shift("a1", day(4), dated=day(5))]
    one(check(rows, center), "shift_shape", "a1", day(5), "not the local date of the start 2026-03-27 09:00")


def test_shift_shape_date_outside_the_horizon(center: Center) -> None:
    rows = [*week_rows(), shift("a1", day(7))]
    one(check(rows, center), "shift_shape", "a1", day(7), "outside the horizon 2026-03-23..2026-03-29")


def test_breaks_lunch_too_early(center: Center) -> None:
    begin = local_time(day(2), minute("09:00"), TZ)
    rows = [*without(week_rows(), "a2", day(2)), shift("a2", day(2), breaks=[[iso(begin, 120), iso(begin, 150)]])]
    one(check(rows, center), "breaks", "a2", day(2), "starts 120 min into the shift", "allows 180..300")


def test_breaks_missing(center: Center) -> None:
    rows = [*without(week_rows(), "a2", day(2)), shift("a2", day(2), breaks=[])]
    one(check(rows, center), "breaks", "a2", day(2), "0 break(s)", "takes 1 (lunch)")


def test_breaks_wrong_duration(center: Center) -> None:
    begin = local_time(day(2), minute("09:00"), TZ)
    rows = [*without(week_rows(), "a2", day(2)), shift("a2", day(2), breaks=[[iso(begin, 180), iso(begin, 200)]])]
    one(check(rows, center), "breaks", "a2", day(2), "lasts 20 min", "needs 30")


def test_breaks_on_a_short_shift_that_takes_none(center: Center) -> None:
    begin = local_time(day(0), minute("09:00"), TZ)
    rows = [
        *without(week_rows(), "a1", day(0)),
        shift("a1", day(0), length=240, breaks=[[iso(begin, 60), iso(begin, 90)]], paid=240),
    ]  # 4 x 480 + 240 = 2,160 paid minutes: still above the minimum
    one(check(rows, center), "breaks", "a1", day(0), "1 break(s)", "240-min shift", "takes 0")


def test_breaks_that_overlap_or_leave_the_shift(data: dict[str, Any]) -> None:
    tea = {
        "name": "tea",
        "duration_minutes": 15,
        "paid": True,
        "earliest_start_minutes": 360,
        "latest_start_minutes": 420,
        "min_shift_minutes": 360,
    }
    data["shift_templates"][0]["breaks"].append(tea)
    center = Center.model_validate(data)

    def lunch_and_tea(row: dict[str, Any], tea_at: int = 400, tea_minutes: int = 15) -> None:
        begin = row["start"]
        row["breaks"] = [[iso(begin, 180), iso(begin, 210)], [iso(begin, tea_at), iso(begin, tea_at + tea_minutes)]]

    rows = week_rows()
    for row in rows:
        lunch_and_tea(row)
    assert check(rows, center) == []
    lunch_and_tea(rows[0], tea_at=200)  # a1 on Monday: tea during lunch
    lunch_and_tea(rows[5], tea_at=420, tea_minutes=100)  # a2 on Monday: tea past the end of the shift
    details = {(v.agent_id, v.date, v.detail) for v in only(check(rows, center), "breaks")}
    assert details == {
        ("a1", day(0), "break 2 ('tea') starts 200 min into the shift (elapsed); the rule allows 360..420"),
        ("a1", day(0), "breaks 1 and 2 overlap"),
        ("a2", day(0), "break 2 ('tea') lasts 100 min; the rule needs 15"),
        ("a2", day(0), "break 2 (2026-03-23 16:00-17:40) is not inside the shift 2026-03-23 09:00-17:30"),
    }


def test_breaks_cell_that_is_not_pairs(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(3)), shift("a1", day(3), breaks=[["2026-03-26T12:00:00+00:00"]])]
    one(check(rows, center), "breaks", "a1", day(3), "is not a list of [start, end] pairs")


def test_paid_minutes(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(3)), shift("a1", day(3), paid=450)]
    one(check(rows, center), "paid_minutes", "a1", day(3), "paid_minutes is 450", "510-min shift", "is 480")


# -- the day's changes: overtime, voluntary time off, absences ---------------------------------------------------


def changed(
    row: dict[str, Any], *, overtime: int = 0, vto: int = 0, absences: list[list[str]] | None = None
) -> dict[str, Any]:
    """`row` extended by `overtime` or cut short by `vto` minutes (its end and paid minutes moved with it, as an
    intraday re-plan writes them), with `absences`."""
    row = dict(row)
    row["end"] = row["end"] + pd.Timedelta(minutes=overtime - vto)
    row["paid_minutes"] += overtime - vto
    row["overtime_minutes"], row["vto_minutes"] = overtime, vto
    row["absences"] = absences or []
    return row


def with_change(rows: list[dict[str, Any]], agent: str, on: date, **change: Any) -> list[dict[str, Any]]:
    return [changed(r, **change) if (r["agent_id"], r["date"]) == (agent, on) else r for r in rows]


def test_an_extended_shift_within_the_limit_passes(data: dict[str, Any]) -> None:
    center = contract(data, max_paid_minutes_week=2600)
    rows = with_change(week_rows(), "a1", day(0), overtime=60)  # 09:00-18:30, paid 480 + 60
    assert check(rows, center) == []
    # The same row without saying it is overtime: a 570-min shift, which the template does not have.
    del rows[0]["overtime_minutes"]
    one(check(rows, center), "shift_shape", "a1", day(0), "lasts 570 min", "240, 480, 510")


def test_overtime_over_the_contracts_daily_limit(data: dict[str, Any]) -> None:
    # 150 min (09:00-20:00) against the default 120; the week's 2,400 - 480 + 630 = 2,550 paid min fit 2,600.
    rows = with_change(week_rows(), "a1", day(0), overtime=150)
    one(check(rows, contract(data, max_paid_minutes_week=2600)), "overtime", "a1", day(0), "150 min", "at most 120")
    center = contract(data, max_paid_minutes_week=2600, max_overtime_minutes_day=180)
    assert check(rows, center) == []


def test_overtime_counts_toward_the_weekly_maximum(center: Center) -> None:
    rows = with_change(week_rows(), "a1", day(0), overtime=60)
    one(check(rows, center), "weekly_paid_minutes", "a1", day(0), "2460 paid min", "at most 2400")


def test_overtime_and_voluntary_time_off_on_one_shift(data: dict[str, Any]) -> None:
    rows = with_change(week_rows(), "a1", day(0), overtime=60, vto=30)
    rows[0]["end"] = rows[0]["start"] + pd.Timedelta(minutes=540)  # 510 + 60 - 30, paid 510
    found = check(rows, contract(data, max_paid_minutes_week=2600))
    one(found, "overtime", "a1", day(0), "both 60 min of overtime and 30 min of voluntary time off")


def test_paid_minutes_of_an_extended_shift(center: Center) -> None:
    rows = with_change(week_rows(), "a1", day(3), overtime=60)
    rows = [{**r, "paid_minutes": 480} if "overtime_minutes" in r else r for r in rows]  # overtime left unpaid
    found = check(rows, center)
    one(found, "paid_minutes", "a1", day(3), "paid_minutes is 480", "570-min shift", "510-min length", "is 540")


def test_a_shift_cut_short_by_voluntary_time_off_passes_and_keeps_its_weekly_minimum(data: dict[str, Any]) -> None:
    # The contract needs 2,400 paid min a week, as the roster gives; a1 leaves Monday at 13:30 (240 min of VTO):
    # 2,160 paid min, which with the VTO still meet the minimum.
    center = contract(data, min_paid_minutes_week=2400)
    rows = with_change(week_rows(), "a1", day(0), vto=240)
    assert rows[0]["end"] == at("13:30") and rows[0]["paid_minutes"] == 240
    assert check(rows, center) == []
    # A week short of its minimum by more than its VTO still breaks it.
    found = check(without(rows, "a1", day(1)), center)
    one(found, "weekly_paid_minutes", "a1", day(0), "1680 paid min and 240 min of voluntary time off", "2400")


def test_voluntary_time_off_keeps_the_breaks_of_the_full_shift(center: Center) -> None:
    # Cut at 12:15, the shift's lunch (12:00-12:30, a rule of the 510-min shift) no longer lies inside it.
    rows = with_change(week_rows(), "a1", day(0), vto=315)
    one(check(rows, center), "breaks", "a1", day(0), "is not inside the shift 2026-03-23 09:00-12:15")


def test_absences_outside_the_shift_overlapping_or_empty(center: Center) -> None:
    monday, tuesday = at("09:00"), at("09:00", day(1))
    rows = with_change(week_rows(), "a1", day(0), absences=[[iso(monday, 480), iso(monday, 540)]])  # 17:00-18:00
    rows = with_change(
        rows, "a2", day(1), absences=[[iso(tuesday, 60), iso(tuesday, 120)], [iso(tuesday, 90), iso(tuesday, 90)]]
    )
    details = {(v.agent_id, v.date, v.detail) for v in only(check(rows, center), "absences")}
    assert details == {
        ("a1", day(0), "absence 1 (2026-03-23 17:00-18:00) is not inside the shift 2026-03-23 09:00-17:30"),
        ("a2", day(1), "absence 2 (2026-03-24 10:30-10:30) lasts 0 min"),
        ("a2", day(1), "absences 1 and 2 overlap"),
    }


def test_an_absences_cell_that_is_not_pairs(center: Center) -> None:
    rows = with_change(week_rows(), "a1", day(0))
    rows[0]["absences"] = '["2026-03-23T10:00:00+00:00"]'
    one(check(rows, center), "absences", "a1", day(0), "is not a list of [start, end] pairs")


def test_an_absence_inside_the_shift_passes_and_keeps_the_paid_minutes(center: Center) -> None:
    rows = with_change(week_rows(), "a1", day(0), absences=[[iso(at("10:00")), iso(at("13:00"))]])
    assert check(rows, center) == []


def test_time_off(data: dict[str, Any]) -> None:
    data["agents"][0]["time_off"] = [{"start_date": "2026-03-25", "end_date": "2026-03-25", "reason": "dentist"}]
    # The centre is open every day: six days outside the leave could be worked, so it charges nothing
    # (min(1, max(0, 5 - 6)) = 0) and only the shift on it is wrong.
    found = check(week_rows(), Center.model_validate(data))
    one(found, "time_off", "a1", day(2), "2026-03-25..2026-03-25 (dentist)")


def test_availability(data: dict[str, Any]) -> None:
    data["agents"][0]["availability"] = [
        {"weekday": weekday, "start_minute": "08:00", "end_minute": "18:00"} for weekday in range(5)
    ]
    center = Center.model_validate(data)
    assert check(week_rows(), center) == []
    rows = [*without(week_rows(), "a1", day(2)), shift("a1", day(2), "10:00")]
    one(check(rows, center), "availability", "a1", day(2), "available only until 2026-03-25 18:00")
    rows = [*without(week_rows(), "a1", day(2)), shift("a1", day(2), "07:00", 480)]
    one(check(rows, center), "availability", "a1", day(2), "not available at its start 2026-03-25 07:00")


def test_opening_hours(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(2), day(3)), shift("a1", day(2), "14:00"), shift("a1", day(3), "09:30")]
    one(check(rows, center), "opening_hours", "a1", day(2), "overlaps 2 interval(s)", "the first at 2026-03-25 22:00")


def test_opening_hours_of_the_agents_own_skills(data: dict[str, Any]) -> None:
    # E-mail (skill tech, which only a2 has) is worked until 23:00: a2 may work until 22:30, a1 may not.
    data["work_types"][1]["opening_hours"] = [
        {"weekday": weekday, "start_minute": "07:00", "end_minute": "23:00"} for weekday in range(7)
    ]
    rows = week_rows()
    for agent in ("a1", "a2"):
        rows = [*without(rows, agent, day(2), day(3)), shift(agent, day(2), "14:00"), shift(agent, day(3), "09:30")]
    one(check(rows, Center.model_validate(data)), "opening_hours", "a1", day(2), "skills (billing)")


def test_weekly_paid_minutes_below_the_minimum(center: Center) -> None:
    rows = without(week_rows(), "a1", day(4))
    one(check(rows, center), "weekly_paid_minutes", "a1", day(0), "1920 paid min", "needs at least 2100")


def test_weekly_paid_minutes_above_the_maximum(data: dict[str, Any]) -> None:
    found = check(week_rows(), contract(data, max_paid_minutes_week=2300))
    assert [(v.agent_id, v.date) for v in only(found, "weekly_paid_minutes")] == [("a1", day(0)), ("a2", day(0))]
    assert "2400 paid min in the week 2026-03-23..2026-03-29; the contract allows at most 2300" in found[0].detail


def test_weekly_limits_of_a_short_last_week_are_prorated(center: Center) -> None:
    ten_days = Horizon(start_date=MONDAY, days=10, interval_minutes=15, timezone=TZ)
    # Week 2 is Monday 30 .. Wednesday 1 April: at most ceil(2400 x 3 / 7) = 1029 paid minutes, no minimum.
    rows = [*week_rows(), *week_rows(("a2",), range(7, 9))]
    assert check(rows, center, ten_days) == []
    rows = [*week_rows(), *week_rows(("a1",), range(7, 10))]
    one(check(rows, center, ten_days), "weekly_paid_minutes", "a1", day(7), "1440 paid min", "at most 1029")


def _weekdays_only(data: dict[str, Any], how: str) -> None:
    """Make a1 rosterable on Monday to Friday only, by its availability, the opening hours or the template."""
    weekdays = range(5)
    if how == "availability":
        data["agents"][0]["availability"] = [
            {"weekday": w, "start_minute": "07:00", "end_minute": "22:00"} for w in weekdays
        ]
    elif how == "opening_hours":
        data["opening_hours"] = [{"weekday": w, "start_minute": "07:00", "end_minute": "22:00"} for w in weekdays]
    else:
        data["shift_templates"][0]["weekdays"] = list(weekdays)


@pytest.mark.parametrize("how", ["availability", "opening_hours", "template_weekdays"])
def test_time_off_is_credited_as_paid_time(data: dict[str, Any], how: str) -> None:
    # a1 could work Monday to Friday only: Wednesday off leaves 4 days outside it, so min(1, 5 - 4) = 1 day is
    # charged at max 2400 / 5 working days = 480 min: the week needs 1620..1920 paid and at most 4 days.
    _weekdays_only(data, how)
    data["agents"][0]["time_off"] = [{"start_date": "2026-03-25", "end_date": "2026-03-25"}]
    center = Center.model_validate(data)
    assert check(without(week_rows(), "a1", day(2)), center) == []
    one(
        check(without(week_rows(), "a1", day(2), day(4)), center),
        "weekly_paid_minutes",
        "a1",
        day(0),
        "1440 paid min",
        "at least 1620",
        "less 1 day(s) of time off at 480 min each",
    )
    data["contracts"][0]["target_paid_minutes_week"] = 2250  # the credit is then 2250 / 5 = 450
    found = check(without(week_rows(), "a1", day(2), day(4)), Center.model_validate(data))
    one(found, "weekly_paid_minutes", "a1", day(0), "1440 paid min", "at least 1650", "at 450 min each")


def test_leave_is_charged_only_on_the_days_it_takes(data: dict[str, Any]) -> None:
    # Leave Wednesday to Sunday, open every day: Monday and Tuesday are outside it, so min(5, 5 - 2) = 3 days are
    # charged at 480 min: 2100 - 1440 = 660 to 2400 - 1440 = 960 paid minutes and at most 2 days.
    data["agents"][0]["time_off"] = [{"start_date": "2026-03-25", "end_date": "2026-03-29"}]
    center = Center.model_validate(data)
    assert check(without(week_rows(), "a1", *map(day, range(2, 5))), center) == []
    found = check(without(week_rows(), "a1", day(3), day(4)), center)
    assert {v.rule for v in found} == {"time_off", "weekly_paid_minutes", "weekly_working_days"}
    one(
        [v for v in found if v.rule == "weekly_working_days"],
        "weekly_working_days",
        "a1",
        day(0),
        "3 dates worked",
        "at most 2",
        "less 3 day(s) of time off at 1 day each",
        "5 workable days off, 2 workable days not off",
    )
    one([v for v in found if v.rule == "weekly_paid_minutes"], "weekly_paid_minutes", "a1", day(0), "at most 960")


def test_weekend_leave_charges_nothing(data: dict[str, Any]) -> None:
    # Leave Saturday and Sunday: Monday to Friday are 5 days outside it, min(2, max(0, 5 - 5)) = 0 days charged,
    # so the full week of 5 days and 2400 paid minutes is still within the contract.
    data["agents"][0]["time_off"] = [{"start_date": "2026-03-28", "end_date": "2026-03-29"}]
    assert check(week_rows(), Center.model_validate(data)) == []


def test_weekly_working_days(data: dict[str, Any]) -> None:
    center = contract(data, max_paid_minutes_week=2880)
    rows = [*week_rows(), shift("a1", day(5))]
    one(check(rows, center), "weekly_working_days", "a1", day(0), "6 dates worked", "at most 5")


def test_weekly_working_days_of_a_short_last_week_are_prorated(data: dict[str, Any]) -> None:
    center = contract(data, min_paid_minutes_week=0, max_working_days=4)
    ten_days = Horizon(start_date=MONDAY, days=10, interval_minutes=15, timezone=TZ)
    rows = week_rows(days=range(4))
    assert check([*rows, *week_rows(("a1",), range(7, 9))], center, ten_days) == []  # ceil(4 x 3 / 7) = 2
    short = [shift("a1", day(d), length=240) for d in range(7, 10)]  # 720 paid min: within ceil(2400 x 3 / 7)
    found = check([*rows, *short], center, ten_days)
    one(found, "weekly_working_days", "a1", day(7), "3 dates worked", "at most 2", "ceil(4 x 3 / 7)")


def test_min_rest(center: Center) -> None:
    rows = [*without(week_rows(), "a1", day(0), day(1)), shift("a1", day(0), "13:00"), shift("a1", day(1), "07:00")]
    one(
        check(rows, center),
        "min_rest",
        "a1",
        day(1),
        "rest 570 min between the shift ending 2026-03-23 21:30 and the one starting 2026-03-24 07:00; "
        "the contract needs 660",
    )


def test_max_consecutive_days(data: dict[str, Any]) -> None:
    found = check(week_rows(), contract(data, max_consecutive_days=4))
    assert [(v.agent_id, v.date) for v in only(found, "max_consecutive_days")] == [("a1", day(4)), ("a2", day(4))]
    assert "5 consecutive worked dates from 2026-03-23 to 2026-03-27; the contract allows 4" in found[0].detail


def test_min_consecutive_days_off(data: dict[str, Any]) -> None:
    center = contract(data, min_consecutive_days_off=2)
    assert check(week_rows(), center) == []
    rows = [*without(week_rows(), "a1", day(2)), shift("a1", day(5))]
    one(check(rows, center), "min_consecutive_days_off", "a1", day(3), "1 day(s) off (2026-03-25..2026-03-25)")


def test_min_consecutive_days_off_at_the_start_is_not_judged_without_a_previous_roster(
    data: dict[str, Any],
) -> None:
    rows = [*without(week_rows(), "a1", day(0)), shift("a1", day(5))]  # a1 works Tuesday to Saturday
    assert check(rows, contract(data, min_consecutive_days_off=2)) == []


def test_max_working_weekends(data: dict[str, Any]) -> None:
    center = contract(data, max_working_weekends=0)
    assert check(week_rows(), center) == []
    rows = [*without(week_rows(), "a1", day(4)), shift("a1", day(6))]
    one(check(rows, center), "max_working_weekends", "a1", day(6), "works on 1 weekend(s)", "allows 0")


def test_max_working_weekends_counts_a_weekend_whose_saturday_is_before_the_horizon(data: dict[str, Any]) -> None:
    center = contract(data, max_working_weekends=1)
    sunday_start = Horizon(start_date=day(-1), days=7, interval_minutes=15, timezone=TZ)
    rows = [*week_rows(("a2",)), *[shift("a1", day(d)) for d in (-1, 0, 1, 2, 5)]]
    one(
        check(rows, center, sunday_start),
        "max_working_weekends",
        "a1",
        day(5),
        "works on 2 weekend(s) (the weekends starting Sat 2026-03-21, Sat 2026-03-28); the contract allows 1",
    )


#: The Israeli week of Sunday 2026-03-22: Sunday to Thursday worked, the weekend Friday and Saturday.
ISRAELI_WEEK = Horizon(start_date=day(-1), days=7, interval_minutes=15, timezone=TZ)


def israeli_rows() -> list[dict[str, Any]]:
    return [shift(agent, day(d)) for agent in ("a1", "a2") for d in range(-1, 4)]


def test_an_israeli_weekend_allows_sunday_and_refuses_friday_and_saturday(data: dict[str, Any]) -> None:
    data["weekend_days"] = ["fri", "sat"]
    center = contract(data, max_working_weekends=0)
    assert check(israeli_rows(), center, ISRAELI_WEEK) == []
    for worked in (day(4), day(5)):  # Friday, Saturday
        rows = [*without(israeli_rows(), "a1", day(3)), shift("a1", worked)]
        one(
            check(rows, center, ISRAELI_WEEK),
            "max_working_weekends",
            "a1",
            worked,
            "works on 1 weekend(s) (the weekend starting Fri 2026-03-27)",
            "allows 0",
        )


def test_the_default_weekend_refuses_the_israeli_sunday(data: dict[str, Any]) -> None:
    found = only(check(israeli_rows(), contract(data, max_working_weekends=0), ISRAELI_WEEK), "max_working_weekends")
    assert [(v.agent_id, v.date) for v in found] == [("a1", day(-1)), ("a2", day(-1))]
    assert "(the weekend starting Sat 2026-03-21)" in found[0].detail


def test_a_contracts_weekend_overrides_the_centres(data: dict[str, Any]) -> None:
    center = contract(data, max_working_weekends=0, weekend_days=["fri", "sat"])
    assert center.weekend_days == [5, 6]
    assert check(israeli_rows(), center, ISRAELI_WEEK) == []


def test_a_weekend_of_friday_and_saturday_counts_once(data: dict[str, Any]) -> None:
    data["weekend_days"] = ["fri", "sat"]
    center = contract(data, max_working_weekends=1, min_paid_minutes_week=0)
    rows = [*week_rows(("a2",)), shift("a1", day(4)), shift("a1", day(5))]
    assert check(rows, center) == []


def test_pinned(center: Center) -> None:
    pins = frame([shift("a1", day(0))])
    unmarked = check(week_rows(), center, pins=pins)
    one(unmarked, "pinned", "a1", day(0), "2026-03-23 09:00-17:30 (day) is in the roster but not marked pinned")
    rows = [*without(week_rows(), "a1", day(0)), shift("a1", day(0), pinned=True)]
    assert check(rows, center, pins=pins) == []
    moved = frame([shift("a1", day(0), "09:30")])
    one(check(rows, center, pins=moved), "pinned", "a1", day(0), "has 2026-03-23 09:00-17:30 (day) instead")
    missing = frame([shift("a1", day(5))])
    one(check(rows, center, pins=missing), "pinned", "a1", day(5), "no shift that date")


def test_pins_marked_false_are_not_pins(center: Center) -> None:
    pins = frame([shift("a1", day(0), pinned=True), shift("a2", day(5), pinned=False)])
    rows = [*without(week_rows(), "a1", day(0)), shift("a1", day(0), pinned=True)]
    assert check(rows, center, pins=pins) == []


# -- DST: lengths and break offsets are elapsed time -----------------------------------------------------------


@pytest.fixture
def night(data: dict[str, Any]) -> dict[str, Any]:
    """Always open; a night template 22:00 + 480 min with a 30-min unpaid meal exactly 240 min in; no minimum."""
    data["opening_hours"] = []
    data["shift_templates"].append(
        {
            "id": "night",
            "earliest_start_minute": "22:00",
            "latest_start_minute": "22:00",
            "lengths_minutes": [480],
            "breaks": [
                {"name": "meal", "duration_minutes": 30, "earliest_start_minutes": 240, "latest_start_minutes": 240}
            ],
        }
    )
    data["contracts"][0].update(min_paid_minutes_week=0, shift_templates=["day", "night"])
    return data


def night_shift(end: str, meal: str, on: date | None = None) -> dict[str, Any]:
    """a1's night from `on` (Saturday 28 March) 22:00 local with the given end and meal start (ISO instants)."""
    row = shift("a1", on or day(5), "22:00", 480, template="night", paid=450)
    meal_start = pd.Timestamp(meal)
    row["end"] = pd.Timestamp(end).tz_convert(TZ)
    row["breaks"] = [[meal_start.isoformat(), (meal_start + pd.Timedelta(minutes=30)).isoformat()]]
    return row


def test_a_shift_across_spring_forward_keeps_its_elapsed_length(night: dict[str, Any]) -> None:
    center = Center.model_validate(night)
    # Saturday 22:00 GMT + 480 min = Sunday 06:00 UTC = 07:00 BST; the meal 240 min in is 02:00 UTC = 03:00 BST.
    valid = night_shift("2026-03-29T07:00:00+01:00", "2026-03-29T03:00:00+01:00")
    assert valid["end"] - valid["start"] == pd.Timedelta(minutes=480)
    assert check([valid], center) == []
    on_the_clock = night_shift("2026-03-29T06:00:00+01:00", "2026-03-29T03:00:00+01:00")
    found = check([on_the_clock], center)
    assert {v.rule for v in found} == {"shift_shape", "paid_minutes"}
    one([v for v in found if v.rule == "shift_shape"], "shift_shape", "a1", day(5), "lasts 420 min (elapsed")
    meal_by_the_clock = night_shift("2026-03-29T07:00:00+01:00", "2026-03-29T04:00:00+01:00")  # 4 h on the clock
    one(check([meal_by_the_clock], center), "breaks", "a1", day(5), "starts 300 min into the shift (elapsed)")


def test_a_shift_across_fall_back_keeps_its_elapsed_length(night: dict[str, Any]) -> None:
    center = Center.model_validate(night)
    autumn = Horizon(start_date=date(2026, 10, 19), days=7, interval_minutes=15, timezone=TZ)
    # Saturday 24 October 22:00 BST + 480 min = Sunday 05:00 UTC = 05:00 GMT (6 h apart on the clock, not 8).
    row = night_shift("2026-10-25T05:00:00+00:00", "2026-10-25T01:00:00+00:00", on=date(2026, 10, 24))
    assert check([row], center, autumn) == []


def test_availability_windows_that_touch_at_midnight_cover_a_night_across_dst(night: dict[str, Any]) -> None:
    night["agents"][0]["availability"] = [
        {"weekday": "sat", "start_minute": "22:00", "end_minute": "24:00"},
        {"weekday": "sun", "start_minute": "00:00", "end_minute": "07:00"},
    ]
    row = night_shift("2026-03-29T07:00:00+01:00", "2026-03-29T03:00:00+01:00")
    assert check([row], Center.model_validate(night)) == []
    night["agents"][0]["availability"][1]["end_minute"] = "06:00"
    one(check([row], Center.model_validate(night)), "availability", "a1", day(5), "only until 2026-03-29 06:00")


def test_weekly_minutes_of_the_dst_week_are_the_shifts_paid_minutes(center: Center) -> None:
    # The week has 167 hours, but the limits are on paid minutes of shifts: the valid roster stays valid.
    assert WEEK.day_lengths_minutes[-1] == 1380
    assert check(week_rows(), center) == []


# -- the previous roster is context -----------------------------------------------------------------------------


def test_rest_across_the_week_boundary_counts_the_previous_roster(center: Center) -> None:
    previous = frame([shift("a1", day(-1), "14:00")])  # Sunday 22 March 14:00-22:30
    one(
        check(week_rows(), center, previous=previous),
        "min_rest",
        "a1",
        day(0),
        "rest 630 min between the shift ending 2026-03-22 22:30 and the one starting 2026-03-23 09:00",
    )


def test_consecutive_days_carried_in_from_the_previous_roster(center: Center) -> None:
    previous = frame([shift("a1", day(d)) for d in range(-4, 0)])  # Thursday 19 to Sunday 22 March
    one(
        check(week_rows(), center, previous=previous),
        "max_consecutive_days",
        "a1",
        day(2),
        "9 consecutive worked dates from 2026-03-19 to 2026-03-27 (4 of them in the previous roster)",
        "allows 6",
    )


def test_days_off_at_the_start_are_judged_against_the_previous_roster(data: dict[str, Any]) -> None:
    center = contract(data, min_consecutive_days_off=2)
    previous = frame([shift("a1", day(-2))])  # Saturday 21 March, then only Sunday off
    one(
        check(week_rows(), center, previous=previous),
        "min_consecutive_days_off",
        "a1",
        day(0),
        "1 day(s) off (2026-03-22..2026-03-22) between the worked dates 2026-03-21 and 2026-03-23",
    )
    assert check(week_rows(), center, previous=frame([shift("a1", day(-3))])) == []


def test_the_previous_roster_is_not_checked_itself(center: Center) -> None:
    begin = local_time(day(-3), minute("09:00"), TZ)
    broken = [
        shift("a1", day(-3), "06:00", 100, template="day", breaks=[[iso(begin), iso(begin, 5)]], paid=1),
        shift("ghost", day(-2)),
        shift("a2", day(-2), template="night"),
        shift("a2", day(3), "07:00"),  # dated inside the horizon: the roster replaces it
    ]
    assert check(week_rows(), center, previous=frame(broken)) == []


# -- on duty and coverage ---------------------------------------------------------------------------------------


@pytest.fixture
def sales(data: dict[str, Any]) -> Center:
    """The centre with a third skill (sales) and agent a3 who has only it."""
    data["skills"].append({"id": "sales"})
    data["work_types"].append(
        {
            "id": "sales_phone",
            "channel": "phone",
            "skill": "sales",
            "priority": 3,
            "target": {"service_level": 0.8, "within_s": 20},
            "aht_s": 300,
        }
    )
    data["agents"].append({"id": "a3", "skills": ["sales"], "contract": "full_time"})
    return Center.model_validate(data)


def team_rows() -> list[dict[str, Any]]:
    """a1, a2 and a3 Monday to Friday 09:00-17:30; a2 lunches at 12:30, the others at 12:00."""
    rows = week_rows(("a1", "a2", "a3"))
    for row in rows:
        if row["agent_id"] == "a2":
            row["breaks"] = [[iso(row["start"], 210), iso(row["start"], 240)]]
    return rows


def at(hhmm: str, on: date = MONDAY) -> pd.Timestamp:
    return local_time(on, minute(hhmm), TZ)


def coverage_rows(instant: pd.Timestamp, required: dict[str, float], scheduled: dict[str, float]) -> pd.DataFrame:
    rows = [
        {
            "interval_start": instant,
            "skill": skill,
            "required": required[skill],
            "scheduled": scheduled[skill],
            "shortfall": max(required[skill] - scheduled[skill], 0.0),
            "surplus": max(scheduled[skill] - required[skill], 0.0),
        }
        for skill in scheduled
    ]
    return pd.DataFrame(rows)


def test_on_duty_is_in_shift_and_not_on_break(sales: Center) -> None:
    duty = on_duty(frame(team_rows()), sales, WEEK)
    assert duty.shape == (7 * 96 - 4, 3)  # the spring-forward Sunday has 92 quarter-hours
    assert list(duty.columns) == ["a1", "a2", "a3"]
    assert duty.loc[at("10:00")].tolist() == [1.0, 1.0, 1.0]
    assert duty.loc[at("12:00")].tolist() == [0.0, 1.0, 0.0]
    assert duty.loc[at("12:30")].tolist() == [1.0, 0.0, 1.0]
    assert duty.loc[at("08:45")].tolist() == [0.0, 0.0, 0.0]
    assert duty.loc[at("17:15")].tolist() == [1.0, 1.0, 1.0]
    assert duty.loc[at("17:30")].tolist() == [0.0, 0.0, 0.0]
    # 5 days x (510 - 30) min = 2,400 min = 160 quarter-hours per agent.
    assert duty.sum().tolist() == [160.0, 160.0, 160.0]


def test_an_absent_agent_is_not_on_duty(sales: Center) -> None:
    # a1 away 11:30-13:00 on Monday, across the lunch at 12:00-12:30: off 90 min, not 120.
    rows = with_change(team_rows(), "a1", day(0), absences=[[iso(at("11:30")), iso(at("13:00"))]])
    duty = on_duty(frame(rows), sales, WEEK)["a1"]
    assert [duty[at(t)] for t in ("11:15", "11:30", "12:00", "12:30", "12:45", "13:00")] == [1, 0, 0, 0, 0, 1]
    assert duty.sum() == 160 - 4  # the lunch's 2 quarter-hours are inside the absence's 6
    table = coverage_rows(at("11:30"), {"billing": 2, "tech": 0, "sales": 0}, {"billing": 2, "tech": 0, "sales": 1})
    one(check(rows, sales, coverage=table), "coverage", None, MONDAY, "3 agents scheduled in total", "only 2 on duty")
    fine = coverage_rows(at("11:30"), {"billing": 2, "tech": 0, "sales": 0}, {"billing": 1, "tech": 0, "sales": 1})
    assert check(rows, sales, coverage=fine) == []


def test_on_duty_shares_of_intervals_cut_by_a_shift(sales: Center) -> None:
    row = shift("a1", day(0), "09:00")
    row["start"] = at("09:05")  # off the grid (a shift_shape violation), on duty for 10 of 15 minutes
    duty = on_duty(frame([row]), sales, WEEK)
    assert duty.loc[at("09:00"), "a1"] == pytest.approx(10 / 15)
    assert duty.loc[at("09:15"), "a1"] == 1.0


def test_a_coverage_table_that_follows_from_the_roster_passes(sales: Center) -> None:
    duty = on_duty(frame(team_rows()), sales, WEEK)
    skill_of = {"a1": "billing", "a2": "tech", "a3": "sales"}
    tables = []
    for agent, skill in skill_of.items():
        required = np.where(duty.index.hour < 12, 1.0, 0.0)  # some shortfall in the morning, surplus after
        scheduled = duty[agent].to_numpy()
        tables.append(
            pd.DataFrame(
                {
                    "interval_start": duty.index,
                    "skill": skill,
                    "required": required,
                    "scheduled": scheduled,
                    "shortfall": np.maximum(required - scheduled, 0),
                    "surplus": np.maximum(scheduled - required, 0),
                }
            )
        )
    assert check(team_rows(), sales, coverage=pd.concat(tables, ignore_index=True)) == []


def test_a_two_skill_agent_counted_on_both_skills_breaks_halls_condition(sales: Center) -> None:
    # At 10:00 a1 (billing), a2 (billing, tech) and a3 (sales) are on duty: 3 in total, so the total is fine,
    # but billing 2 + tech 1 needs three agents with billing or tech, and there are two.
    table = coverage_rows(at("10:00"), {"billing": 2, "tech": 1, "sales": 0}, {"billing": 2, "tech": 1, "sales": 0})
    one(
        check(team_rows(), sales, coverage=table),
        "coverage",
        None,
        MONDAY,
        "2026-03-23 10:00: 3 agents scheduled on {billing, tech}, but only 2 on-duty agents have one of these",
        "Hall's condition",
    )
    fine = coverage_rows(at("10:00"), {"billing": 2, "tech": 1, "sales": 0}, {"billing": 1, "tech": 1, "sales": 1})
    assert check(team_rows(), sales, coverage=fine) == []


def test_more_scheduled_than_on_duty(sales: Center) -> None:
    table = coverage_rows(at("12:00"), {"billing": 1, "tech": 1}, {"billing": 1, "tech": 1})  # only a2 is on duty
    one(check(team_rows(), sales, coverage=table), "coverage", None, MONDAY, "2 agents scheduled in total", "1 on duty")


def test_shortfall_and_surplus_arithmetic(sales: Center) -> None:
    table = coverage_rows(at("10:00"), {"billing": 2, "tech": 0, "sales": 1}, {"billing": 1, "tech": 1, "sales": 1})
    table.loc[0, "shortfall"] = 0.0
    table.loc[1, "surplus"] = 0.5
    found = only(check(team_rows(), sales, coverage=table), "coverage")
    assert [v.detail for v in found] == [
        "2026-03-23 10:00, skill 'billing': shortfall is 0, but required 2 and scheduled 1 give 1",
        "2026-03-23 10:00, skill 'tech': surplus is 0.5, but required 0 and scheduled 1 give 1",
    ]


def test_coverage_rows_off_the_horizon_or_of_unknown_skills(sales: Center) -> None:
    table = pd.concat(
        [
            coverage_rows(at("10:05"), {"billing": 0}, {"billing": 0}),
            coverage_rows(at("10:00", day(9)), {"billing": 0}, {"billing": 0}),
            coverage_rows(at("10:00"), {"french": 0}, {"french": 0}),
        ],
        ignore_index=True,
    )
    found = only(check(team_rows(), sales, coverage=table), "coverage")
    assert [(v.date, v.detail) for v in found] == [
        (day(0), "2026-03-23 10:00, skill 'french': not a skill of the centre (billing, tech, sales)"),
        (day(0), "2026-03-23 10:05, skill 'billing': not an interval of the horizon 2026-03-23..2026-03-29"),
        (day(9), "2026-04-01 10:00, skill 'billing': not an interval of the horizon 2026-03-23..2026-03-29"),
    ]


def test_required_is_the_sum_of_the_work_types_requirement(sales: Center) -> None:
    requirement = pd.DataFrame(
        {
            "interval_start": [at("10:00"), at("10:00"), at("10:15")],
            "work_type": ["billing_phone", "tech_email", "billing_phone"],
            "workload_erlangs": [1.0, 1.0, 1.0],
            "required_agents": [1.5, 1.0, 1.0],
            "required_agents_int": [2, 1, 1],
            "expected_service_level": [0.8, None, 0.8],
        }
    )
    table = coverage_rows(at("10:00"), {"billing": 1, "tech": 1}, {"billing": 1, "tech": 1})
    found = only(check(team_rows(), sales, coverage=table, requirement=requirement), "coverage")
    assert [v.detail for v in found] == [
        "2026-03-23 10:00, skill 'billing': required is 1, but the requirement's required_agents_int of the skill's "
        "work types sum to 2",
        "2026-03-23 10:15, skill 'billing': no coverage row, but the requirement needs 1 agents",
    ]


def test_a_table_without_a_contract_column_is_bad_input(center: Center) -> None:
    with pytest.raises(InputError, match="missing required column 'paid_minutes'"):
        validate_roster(frame(week_rows()).drop(columns=["paid_minutes"]), center, WEEK)


# -- the command line -------------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path, data: dict[str, Any], write_yaml: Callable[[Any, str], Path]) -> dict[str, Path]:
    """The centre, a requirement over the week (its intervals make the horizon) and the valid roster."""
    center = write_yaml(data, "center.yaml")
    grid = WEEK.intervals
    requirement = pd.DataFrame(
        {
            "interval_start": grid,
            "work_type": "billing_phone",
            "workload_erlangs": 0.5,
            "required_agents": 1.0,
            "required_agents_int": 1,
            "expected_service_level": 0.9,
        }
    )
    needs = write_table(requirement, REQUIREMENT, tmp_path / "requirement.csv")
    roster = write_table(frame(week_rows()), ROSTER, tmp_path / "roster.csv")
    return {"center": center, "requirement": needs, "roster": roster}


def wfm(files: dict[str, Path], **extra: Path) -> tuple[int, str, str]:
    args = ["check-roster"] + [f"--{k}={v}" for k, v in {**files, **extra}.items()]
    result = CliRunner().invoke(cli.app, args)
    return result.exit_code, result.stdout, result.stderr


def test_check_roster_files_takes_the_horizon_from_the_requirement(files: dict[str, Path]) -> None:
    done = check_roster_files(files["roster"], files["center"], files["requirement"])
    assert (done.valid, done.shifts, done.agents) == (True, 10, 2)
    assert (done.horizon.start_date, done.horizon.days, done.horizon.interval_minutes) == (MONDAY, 7, 15)


def test_cli_valid_roster_exits_0(files: dict[str, Path]) -> None:
    code, stdout, stderr = wfm(files)
    assert code == ExitCode.OK, stderr
    assert stdout.strip() == "roster valid: 10 shifts, 2 agents"


def test_cli_broken_roster_exits_3_and_lists_the_rules(files: dict[str, Path], tmp_path: Path) -> None:
    rows = [*without(week_rows(), "a1", day(0), day(1)), shift("a1", day(0), "13:00"), shift("a1", day(1), "07:00")]
    rows.append(shift("a2", day(1), "07:00", 240))  # a second shift on a2's Tuesday
    files["roster"] = write_table(frame(rows), ROSTER, tmp_path / "broken.csv")
    code, stdout, _ = wfm(files)
    assert code == ExitCode.ROSTER_BREAKS_RULES
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("min_rest a1 2026-03-24: rest 570 min between")
    assert any(line.startswith("one_shift_per_day a2 2026-03-24: 2 shifts on one date") for line in lines)


def test_cli_checks_coverage_against_the_roster(files: dict[str, Path], tmp_path: Path) -> None:
    table = coverage_rows(at("12:00"), {"billing": 1, "tech": 0}, {"billing": 1, "tech": 1})  # nobody: lunch
    coverage = tmp_path / "coverage.csv"
    table.assign(interval_start=table["interval_start"].map(pd.Timestamp.isoformat)).to_csv(coverage, index=False)
    code, stdout, _ = wfm(files, coverage=coverage)
    assert code == ExitCode.ROSTER_BREAKS_RULES
    assert "coverage - 2026-03-23: 2026-03-23 12:00: 2 agents scheduled in total, but only 0 on duty" in stdout


def test_cli_reads_the_days_changes_and_a_written_roster_keeps_them(files: dict[str, Path], tmp_path: Path) -> None:
    # a1 Monday: an hour of overtime (the contract's maximum raised for it) and 15 min away; a2 Friday: 60 min of
    # voluntary time off (its week 2,340 paid minutes, above the minimum 2,100 anyway).
    center_data = yaml.safe_load(files["center"].read_text(encoding="utf-8"))
    center_data["contracts"][0]["max_paid_minutes_week"] = 2460
    files["center"].write_text(yaml.safe_dump(center_data), encoding="utf-8")
    rows = with_change(week_rows(), "a1", day(0), overtime=60, absences=[[iso(at("10:00")), iso(at("10:15"))]])
    rows = with_change(rows, "a2", day(4), vto=60)
    files["roster"] = write_table(frame(rows), ROSTER, tmp_path / "changed.csv")
    code, stdout, stderr = wfm(files)
    assert code == ExitCode.OK, stdout + stderr
    table = read_table(files["roster"], ROSTER, timezone=TZ)
    again = write_table(table, ROSTER, tmp_path / "again.csv")
    assert again.read_bytes() == files["roster"].read_bytes()
    header = again.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("paid_minutes,overtime_minutes,vto_minutes,absences")
    files["roster"] = again
    assert wfm(files)[0] == 0
    # The same file with a1's overtime left out breaks the rules (a 570-min shift, 60 min over the week).
    table.loc[0, "overtime_minutes"] = pd.NA
    files["roster"] = write_table(table, ROSTER, tmp_path / "broken.csv")
    code, stdout, _ = wfm(files)
    assert code == ExitCode.ROSTER_BREAKS_RULES and "shift_shape a1 2026-03-23: lasts 570 min" in stdout


def test_cli_missing_column_is_bad_input(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "no-paid.csv"
    pd.read_csv(files["roster"], dtype=str).drop(columns=["paid_minutes"]).to_csv(broken, index=False)
    files["roster"] = broken
    code, _, stderr = wfm(files)
    assert code == ExitCode.BAD_INPUT
    assert "missing required column 'paid_minutes'" in stderr and "Fix:" in stderr
