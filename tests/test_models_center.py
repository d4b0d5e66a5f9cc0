"""The centre: cross-reference checks (one ConfigError listing every problem) and lint findings."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from models import Center, ConfigError, InputError, Problem
from tests.conftest import assert_problem


def _build(data: dict[str, Any]) -> Center:
    return Center.model_validate(data)


def test_fixture_centre_is_valid_and_clean(center_data: dict[str, Any]) -> None:
    center = _build(center_data)
    assert center.lint() == []
    assert [w.id for w in center.work_types] == ["billing_phone", "tech_email"]
    assert center.country == "GB"
    assert center.agent("a2").proficiency("tech") == 0.8
    assert center.contract_of(center.agent("a1")).id == "full_time"
    assert [t.id for t in center.templates_of(center.agent("a1"))] == ["day"]
    assert center.work_type("tech_email").target.within_s == 86400


def test_look_ups_of_unknown_ids_name_the_centre(center_data: dict[str, Any]) -> None:
    center = _build(center_data)
    with pytest.raises(KeyError, match="work type 'sales' is not in centre 'Tiny Test Centre'"):
        center.work_type("sales")
    with pytest.raises(KeyError, match="agent 'zz' is not in centre"):
        center.agent("zz")


def test_centre_is_frozen(center_data: dict[str, Any]) -> None:
    center = _build(center_data)
    with pytest.raises(ValidationError, match="frozen"):
        center.name = "other"  # type: ignore[misc]


def test_config_error_is_an_input_error() -> None:
    assert issubclass(ConfigError, InputError)


def test_duplicate_agent_id(center_data: dict[str, Any]) -> None:
    center_data["agents"][1]["id"] = "a1"
    with pytest.raises(ConfigError) as caught:
        _build(center_data)
    assert_problem(caught.value, "agents[1].id", "duplicate id 'a1' (also agents[0])", "give every entry its own id")


def test_work_type_no_agent_can_serve(center_data: dict[str, Any]) -> None:
    center_data["agents"][1]["skills"] = ["billing"]
    with pytest.raises(ConfigError) as caught:
        _build(center_data)
    assert_problem(
        caught.value,
        "work_types[1]",
        "no agent can serve work type 'tech_email': nobody has skill 'tech'",
        "give the skill to at least one agent",
    )


def test_unknown_references_are_all_listed_at_once(center_data: dict[str, Any]) -> None:
    center_data["agents"][0]["skills"] = ["billing", "spanish"]
    center_data["agents"][1]["contract"] = "part_time"
    center_data["agents"][1]["region"] = "west"
    center_data["work_types"][0]["skill"] = "sales"
    center_data["work_types"][0]["target"]["tier_within_s"] = {"platinum": 5}
    center_data["contracts"][0]["shift_templates"] = ["day", "night"]
    with pytest.raises(ConfigError) as caught:
        _build(center_data)
    places = [p.where for p in caught.value.problems]
    for place in (
        "agents[0].skills[1]",
        "agents[1].contract",
        "agents[1].region",
        "work_types[0].skill",
        "work_types[0].target.tier_within_s.platinum",
        "contracts[0].shift_templates[1]",
    ):
        assert place in places
    assert all(p.fix for p in caught.value.problems)
    assert_problem(caught.value, "agents[0].skills[1]", "'spanish', which is not defined", "billing, tech")


def test_contract_minimum_unreachable_with_its_templates(center_data: dict[str, Any]) -> None:
    # 3 days x 480 paid min (510 less the 30-min unpaid lunch) = 1440 < 2100.
    center_data["contracts"][0]["max_working_days"] = 3
    with pytest.raises(ConfigError) as caught:
        _build(center_data)
    assert_problem(
        caught.value,
        "contracts[0].min_paid_minutes_week",
        "longest shift (480 paid min) give only 1440",
        "allow more working days",
    )


def test_overlapping_centre_opening_hours_and_duplicate_region(center_data: dict[str, Any]) -> None:
    center_data["opening_hours"].append({"weekday": "mon", "start_minute": "19:00", "end_minute": "21:00"})
    center_data["regions"].append("north")
    with pytest.raises(ConfigError) as caught:
        _build(center_data)
    assert_problem(caught.value, "opening_hours[1]", "overlaps opening_hours[0]", "merge them into one window")
    assert_problem(caught.value, "regions", "lists a region twice", "list each region once")


def test_special_days_unknown_work_type_and_repeated_date(center_data: dict[str, Any]) -> None:
    center_data["special_days"] = [
        {"date": "2026-12-25", "name": "Christmas", "closed": True},
        {"date": "2026-12-25", "name": "Christmas again"},
        {"date": "2026-11-27", "name": "Black Friday", "volume_multiplier": 2.5, "work_types": ["sales"]},
    ]
    with pytest.raises(ConfigError) as caught:
        _build(center_data)
    assert_problem(caught.value, "special_days[1]", "already listed as special_days[0]", "merge the two entries")
    assert_problem(caught.value, "special_days[2].work_types[0]", "work type 'sales' is not defined")


def test_unknown_country_and_bad_interval(center_data: dict[str, Any]) -> None:
    center_data["country"] = "XX"
    center_data["interval_minutes"] = 7
    with pytest.raises(ValidationError) as caught:
        _build(center_data)
    assert {e["loc"] for e in caught.value.errors()} == {("country",), ("interval_minutes",)}
    center_data["country"], center_data["interval_minutes"] = "gb", 30
    assert _build(center_data).country == "GB"


def test_unknown_time_zone_at_model_level(center_data: dict[str, Any]) -> None:
    center_data["timezone"] = "Europe/Atlantis"
    with pytest.raises(ValidationError, match="'Europe/Atlantis' is not an IANA time zone"):
        _build(center_data)


def test_lint_lists_unused_skill_contract_and_template(center_data: dict[str, Any]) -> None:
    center_data["skills"].append({"id": "spanish"})
    center_data["agents"][0]["skills"].append("spanish")
    center_data["contracts"].append({"id": "spare", "max_paid_minutes_week": 1200, "shift_templates": ["day"]})
    center_data["shift_templates"].append(
        {"id": "late", "earliest_start_minute": "14:00", "latest_start_minute": "14:00", "lengths_minutes": [240]}
    )
    findings = _build(center_data).lint()
    assert findings == [
        Problem(
            "agents[0].skills[1]",
            "agent 'a1' has skill 'spanish' that no work type requires",
            "remove it or add a work type that needs it",
        ),
        Problem("contracts[1]", "no agent has contract 'spare'", "remove it or assign it to an agent"),
        Problem("shift_templates[1]", "no contract allows template 'late'", "remove it or allow it"),
    ]


def test_horizon_uses_centre_zone_and_interval(center_data: dict[str, Any]) -> None:
    center_data["interval_minutes"] = 30
    horizon = _build(center_data).horizon(date(2026, 3, 23), days=7)
    assert (horizon.timezone, horizon.interval_minutes, horizon.days) == ("Europe/London", 30, 7)
    assert len(horizon.intervals) == 7 * 48 - 2  # the 23-hour day of 2026-03-29
