"""Agents, contracts, shift templates and breaks."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from models import Agent, AgentSkill, BreakRule, Contract, LateShift, ShiftTemplate
from models.workforce import weekend_offsets, weekend_start


def _template(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "day",
        "earliest_start_minute": "07:00",
        "latest_start_minute": "10:00",
        "start_step_minutes": 30,
        "lengths_minutes": [510, 480],
        "breaks": [
            {"name": "lunch", "duration_minutes": 30, "earliest_start_minutes": 180, "latest_start_minutes": 300},
            {
                "name": "tea",
                "duration_minutes": 15,
                "paid": True,
                "earliest_start_minutes": 360,
                "latest_start_minutes": 420,
                "min_shift_minutes": 500,
            },
        ],
    }
    data.update(changes)
    return data


def test_template_starts_lengths_and_paid_minutes() -> None:
    template = ShiftTemplate.model_validate(_template())
    # 07:00..10:00 every 30 min: 7 starts, both ends included.
    assert template.start_minutes() == [420, 450, 480, 510, 540, 570, 600]
    assert template.lengths_minutes == [480, 510]  # sorted
    # 480 min: only the unpaid 30-min lunch applies (tea needs >= 500) -> 450 paid.
    assert [b.name for b in template.breaks_for(480)] == ["lunch"]
    assert template.paid_minutes(480) == 450
    # 510 min: lunch (unpaid) and tea (paid) -> 480 paid.
    assert [b.name for b in template.breaks_for(510)] == ["lunch", "tea"]
    assert template.paid_minutes(510) == 480
    assert template.max_paid_minutes() == 480
    assert template.weekdays == [0, 1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("lengths", "match"),
    [
        ([1500], "longer than 24 h"),
        ([1441], "longer than 24 h"),
        ([0], "must be positive"),
        ([480, 480], "repeat a value"),
        ([], "at least 1 item"),
    ],
)
def test_template_bad_lengths(lengths: list[int], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ShiftTemplate.model_validate(_template(lengths_minutes=lengths, breaks=[]))


def test_template_of_exactly_24_hours_is_allowed() -> None:
    assert ShiftTemplate.model_validate(_template(lengths_minutes=[1440], breaks=[])).lengths_minutes == [1440]


def test_template_start_window_cannot_wrap_midnight() -> None:
    with pytest.raises(ValidationError, match="cannot wrap past midnight"):
        ShiftTemplate.model_validate(_template(earliest_start_minute="22:00", latest_start_minute="02:00"))


def test_break_outside_the_shift_names_the_break_and_fix() -> None:
    breaks = [{"name": "lunch", "duration_minutes": 30, "earliest_start_minutes": 180, "latest_start_minutes": 460}]
    with pytest.raises(ValidationError) as caught:
        ShiftTemplate.model_validate(_template(lengths_minutes=[480], breaks=breaks))
    message = str(caught.value)
    assert "breaks[0] ('lunch') may run until 490 min" in message
    assert "move its window earlier or set min_shift_minutes above 480" in message


def test_break_only_for_long_shifts_is_not_checked_against_short_ones() -> None:
    # The same window is fine when the break only applies from 600-min shifts on.
    breaks = [
        {"duration_minutes": 30, "earliest_start_minutes": 180, "latest_start_minutes": 460, "min_shift_minutes": 600}
    ]
    template = ShiftTemplate.model_validate(_template(lengths_minutes=[480, 600], breaks=breaks))
    assert template.paid_minutes(480) == 480
    assert template.paid_minutes(600) == 570


def test_overlapping_break_windows_are_rejected() -> None:
    breaks = [
        {"name": "lunch", "duration_minutes": 30, "earliest_start_minutes": 180, "latest_start_minutes": 300},
        {"name": "tea", "duration_minutes": 15, "earliest_start_minutes": 320, "latest_start_minutes": 400},
    ]
    with pytest.raises(ValidationError, match=r"breaks\[0\] \('lunch', 180-330 min\) and breaks\[1\]"):
        ShiftTemplate.model_validate(_template(lengths_minutes=[480], breaks=breaks))


def test_break_window_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="swap or fix the two values"):
        BreakRule(duration_minutes=15, earliest_start_minutes=200, latest_start_minutes=100)


def test_shift_of_only_unpaid_breaks_is_rejected() -> None:
    breaks = [{"duration_minutes": 60, "earliest_start_minutes": 0, "latest_start_minutes": 0}]
    with pytest.raises(ValidationError, match="all unpaid breaks"):
        ShiftTemplate.model_validate(_template(lengths_minutes=[60], breaks=breaks))


def test_contract_min_above_max_is_rejected() -> None:
    with pytest.raises(ValidationError, match="lower the minimum or raise the maximum"):
        Contract(id="c", min_paid_minutes_week=2500, max_paid_minutes_week=2400, shift_templates=["day"])


def test_contract_overtime_defaults_and_bounds() -> None:
    plain = Contract(id="c", max_paid_minutes_week=2400, shift_templates=["day"])  # a file from before overtime
    assert (plain.overtime_rate, plain.max_overtime_minutes_day) == (1.5, 120)
    assert Contract(id="c", max_paid_minutes_week=2400, shift_templates=["day"], overtime_rate=1).overtime_rate == 1
    for bad in ({"overtime_rate": 0.9}, {"max_overtime_minutes_day": -1}, {"max_overtime_minutes_day": 1441}):
        with pytest.raises(ValidationError):
            Contract(id="c", max_paid_minutes_week=2400, shift_templates=["day"], **bad)


def test_contract_target_must_lie_inside_its_range() -> None:
    ok = Contract(
        id="c",
        min_paid_minutes_week=1200,
        max_paid_minutes_week=2400,
        target_paid_minutes_week=2000,
        shift_templates=["day"],
    )
    assert ok.target_paid_minutes_week == 2000
    with pytest.raises(ValidationError, match=r"outside the contract's range 1200..2400"):
        Contract(
            id="c",
            min_paid_minutes_week=1200,
            max_paid_minutes_week=2400,
            target_paid_minutes_week=2600,
            shift_templates=["day"],
        )


def test_agent_skill_shorthand_and_proficiency() -> None:
    agent = Agent.model_validate(
        {
            "id": "a1",
            "skills": ["billing", {"skill": "tech", "proficiency": 0.5}],
            "contract": "ft",
            "time_off": [{"start_date": "2026-03-02", "end_date": "2026-03-03"}],
        }
    )
    assert agent.skills[0] == AgentSkill(skill="billing", proficiency=1.0)
    assert agent.skill_ids == frozenset({"billing", "tech"})
    assert (agent.proficiency("tech"), agent.proficiency("sales")) == (0.5, 0.0)
    assert agent.is_off(date(2026, 3, 3)) and not agent.is_off(date(2026, 3, 4))


@pytest.mark.parametrize("proficiency", [0, 1.5])
def test_proficiency_in_zero_one(proficiency: float) -> None:
    with pytest.raises(ValidationError, match="proficiency"):
        AgentSkill(skill="billing", proficiency=proficiency)


def test_agent_repeated_skill_and_overlapping_availability() -> None:
    with pytest.raises(ValidationError, match=r"skills\[1\] repeats skill 'billing' \(already skills\[0\]\)"):
        Agent.model_validate({"id": "a1", "skills": ["billing", "billing"], "contract": "ft"})
    availability = [
        {"weekday": "tue", "start_minute": "08:00", "end_minute": "16:00"},
        {"weekday": "tue", "start_minute": "15:00", "end_minute": "18:00"},
    ]
    with pytest.raises(ValidationError, match=r"availability\[0\] .* overlaps availability\[1\]"):
        Agent.model_validate({"id": "a1", "skills": ["billing"], "contract": "ft", "availability": availability})


@pytest.mark.parametrize("agent_id", ["", "has space", "-leading-dash", "x" * 65])
def test_identifier_pattern(agent_id: str) -> None:
    with pytest.raises(ValidationError, match="id"):
        Agent.model_validate({"id": agent_id, "skills": ["billing"], "contract": "ft"})


# -- weekends and late shifts -------------------------------------------------------------------------------------


def _contract() -> dict[str, Any]:
    return {"id": "c", "max_paid_minutes_week": 2400, "shift_templates": ["day"]}


@pytest.mark.parametrize(
    ("days", "offsets"),
    [
        (["sat", "sun"], (None, None, None, None, None, 0, 1)),  # one weekend across the week's end
        (["fri", "sat"], (None, None, None, None, 0, 1, None)),  # Israel
        (["sun", "fri"], (None, None, None, None, 0, None, 2)),  # Brunei: one weekend, Saturday worked
        (["thu", "fri"], (None, None, None, 0, 1, None, None)),
        (["sun"], (None, None, None, None, None, None, 0)),
        (["mon", "thu"], (0, None, None, 3, None, None, None)),  # the longest run of working days ends Sunday
    ],
)
def test_weekend_offsets_group_consecutive_days(days: list[str], offsets: tuple[int | None, ...]) -> None:
    contract = Contract.model_validate({**_contract(), "weekend_days": days})
    assert contract.weekend_days is not None
    assert weekend_offsets(contract.weekend_days) == offsets


def test_weekend_start_of_a_date() -> None:
    """Friday 2026-06-05 and Saturday 2026-06-06 are one Israeli weekend; Sunday 2026-06-07 is a working day."""
    israel = [4, 5]
    assert [weekend_start(date(2026, 6, d), israel) for d in (4, 5, 6, 7)] == [
        None,
        date(2026, 6, 5),
        date(2026, 6, 5),
        None,
    ]
    assert weekend_start(date(2026, 6, 7), [5, 6]) == date(2026, 6, 6)


@pytest.mark.parametrize(
    ("days", "fragment"),
    [
        ([], "at least 1 item"),
        (["fri", "fri"], "lists fri more than once"),
        (["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "all seven days"),
        (["friday", "shabbat"], "'shabbat' is not a weekday"),
        ([7], "out of range"),
    ],
)
def test_weekend_days_are_checked(days: list[Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Contract.model_validate({**_contract(), "weekend_days": days})


def test_late_shift_needs_a_rule_and_judges_start_and_end() -> None:
    with pytest.raises(ValidationError, match="neither ends_after nor starts_from"):
        LateShift.model_validate({})
    by_end = LateShift.model_validate({"ends_after": "19:00"})
    by_start = LateShift.model_validate({"starts_from": "14:00"})
    starts, ends = np.array([360, 840, 1320, 840]), np.array([840, 1320, 1800, 1140])  # 06-14, 14-22, 22-06, 14-19
    assert by_end.is_late(starts, ends).tolist() == [False, True, True, False]
    assert by_start.is_late(starts, ends).tolist() == [False, True, True, True]
    assert LateShift.model_validate({"ends_after": "24:00"}).is_late(starts, ends).tolist() == [
        False,
        False,
        True,
        False,
    ]
