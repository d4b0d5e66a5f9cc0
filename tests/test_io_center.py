"""Loading and dumping the centre YAML: every bad input names the file, the line and path, and the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models import Center, ConfigError, InputWarning, dump_center, load_center
from tests.conftest import assert_problem

WriteYaml = Callable[..., Path]


def _line_of(path: Path, text: str) -> int:
    """1-based number of the first line of the file that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def _load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_center(path)
    return caught.value


def test_loads_the_fixture_centre_without_warnings(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center = load_center(write_yaml(center_data))
    assert center == Center.model_validate(center_data)


def test_dump_then_load_gives_an_equal_centre(
    center_data: dict[str, Any], tmp_path: Path, write_yaml: WriteYaml
) -> None:
    center_data["special_days"] = [{"date": "2026-12-25", "name": "Christmas", "closed": True}]
    center_data["agents"][0]["availability"] = [{"weekday": "sat", "start_minute": "08:00", "end_minute": "24:00"}]
    center_data["agents"][0]["preferences"] = {"preferred_start_minute": "08:30", "preferred_days_off": ["sun"]}
    center = Center.model_validate(center_data)
    text = dump_center(center)
    # Written in the same words a person would use: clock times and day names, not minutes and numbers.
    assert "start_minute: 08:00" in text or "start_minute: '08:00'" in text
    assert "weekday: sat" in text
    path = tmp_path / "dumped.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_center(path)
    assert again == center
    assert dump_center(again) == text  # stable bytes


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    error = _load_error(missing)
    assert_problem(error, "", "no such file", "check the path", source=str(missing))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- name: a\n- name: b\n", "not a list"),
        ("42\n", "not a number"),
        ("", "not an empty file"),
        ("just words\n", "not a single text value"),
    ],
)
def test_yaml_that_is_not_a_mapping(text: str, found: str, write_yaml: WriteYaml) -> None:
    path = write_yaml(text)
    error = _load_error(path)
    assert_problem(error, "", "must be a YAML mapping", found, "Fix: start from the demo centre", source=str(path))


def test_invalid_yaml_syntax_names_the_line(write_yaml: WriteYaml) -> None:
    path = write_yaml("name: Test\ntimezone: Europe/London\nskills: [billing\nagents: []\n")
    error = _load_error(path)
    assert_problem(error, "line 4", "is not valid YAML", "fix the YAML syntax", source=str(path))


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    assert_problem(_load_error(path), "", "not UTF-8", "save it as UTF-8")


def test_unknown_field_is_rejected_with_its_line(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["agents"][1]["favourite_colour"] = "blue"
    path = write_yaml(center_data)
    error = _load_error(path)
    line = _line_of(path, "favourite_colour")
    assert_problem(
        error,
        f"line {line}, agents[1].favourite_colour",
        "unknown field 'favourite_colour'",
        "check its spelling",
        source=str(path),
    )


def test_unknown_top_level_field(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["shrinkage_pct"] = 30
    path = write_yaml(center_data)
    assert_problem(_load_error(path), f"line {_line_of(path, 'shrinkage_pct')}, shrinkage_pct", "unknown field")


def test_missing_required_field(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    del center_data["work_types"][0]["aht_s"]
    path = write_yaml(center_data)
    assert_problem(_load_error(path), "work_types[0].aht_s", "Field required", "Fix: add it")


def test_duplicate_agent_id(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["agents"][1]["id"] = "a1"
    path = write_yaml(center_data)
    error = _load_error(path)
    lines = path.read_text().splitlines()
    line = [i + 1 for i, text in enumerate(lines) if text.strip() == "- id: a1"][1]
    assert_problem(error, f"line {line}, agents[1].id", "duplicate id 'a1'", "give every entry its own id")


def test_agent_skill_no_work_type_uses_is_a_warning(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["skills"].append({"id": "spanish"})
    center_data["agents"][1]["skills"].append("spanish")
    path = write_yaml(center_data)
    with pytest.warns(InputWarning) as record:
        center = load_center(path)
    assert center.agent("a2").proficiency("spanish") == 1.0  # loaded, not rejected
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith(str(path))
    assert "agents[1].skills[2]" in message and "'spanish' that no work type requires" in message
    assert "Fix: remove it or add a work type that needs it" in message


def test_work_type_no_agent_can_serve(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["agents"][1]["skills"] = ["billing"]
    path = write_yaml(center_data)
    line = _line_of(path, "- id: tech_email")
    assert_problem(
        _load_error(path),
        f"line {line}, work_types[1]",
        "no agent can serve work type 'tech_email'",
        "give the skill to at least one agent",
    )


def test_unknown_agent_skill_names_path_and_choices(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["agents"][1]["skills"][1] = "biling"
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        "agents[1].skills[1]",
        "skill 'biling', which is not defined",
        "use one of: billing, tech",
    )


def test_contract_min_above_max(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["contracts"][0]["min_paid_minutes_week"] = 2500
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        f"line {_line_of(path, '- id: full_time')}, contracts[0]",
        "min_paid_minutes_week 2500 (41.6667 h) is more than max_paid_minutes_week 2400",
        "Fix: lower the minimum or raise the maximum",
    )


def test_shift_longer_than_a_day(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["shift_templates"][0]["lengths_minutes"] = [480, 1500]
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        "shift_templates[0].lengths_minutes",
        "shift length 1500 min (25 h) is longer than 24 h",
        "Fix: a shift belongs to one day, so split it into shifts of at most 1440 minutes",
    )


def test_break_outside_the_shift(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["shift_templates"][0]["breaks"][0]["latest_start_minutes"] = 460
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        "shift_templates[0]",
        "breaks[0] ('lunch') may run until 490 min into the shift",
        "outside a 480-min shift",
        "Fix: move its window earlier",
    )


def test_overlapping_break_windows(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["shift_templates"][0]["breaks"].append(
        {"name": "tea", "duration_minutes": 15, "earliest_start_minutes": 300, "latest_start_minutes": 400}
    )
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        "shift_templates[0]",
        "breaks[0] ('lunch', 180-330 min) and breaks[1] ('tea'",
        "Fix: make them disjoint",
    )


def test_unknown_time_zone(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["timezone"] = "Europe/Lodnon"
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        f"line {_line_of(path, 'timezone:')}, timezone",
        "'Europe/Lodnon' is not an IANA time zone",
        "Fix: use a name such as 'Europe/London'",
    )


@pytest.mark.parametrize("aht", [0, -30])
def test_work_type_aht_not_positive(aht: int, center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["work_types"][0]["aht_s"] = aht
    path = write_yaml(center_data)
    assert_problem(
        _load_error(path),
        f"line {_line_of(path, 'aht_s')}, work_types[0].aht_s",
        "greater than 0",
        f"(found {aht})",
        "Fix: make work_types[0].aht_s greater than 0",
    )


def test_bad_identifier_gets_a_fix(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["skills"][0]["id"] = "bill ing"
    path = write_yaml(center_data)
    assert_problem(_load_error(path), "skills[0].id", "'bill ing'", "Fix: use only letters, digits")


def test_every_problem_in_a_file_is_reported_with_a_fix(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    center_data["work_types"][0]["priority"] = 0
    center_data["work_types"][1]["channel"] = "pigeon"
    center_data["agents"][0]["hourly_cost"] = "cheap"
    center_data["interval_minutes"] = 7
    error = _load_error(write_yaml(center_data))
    places = {p.where.split(", ", 1)[1] for p in error.problems}
    assert places == {"work_types[0].priority", "work_types[1].channel", "agents[0].hourly_cost", "interval_minutes"}
    assert all(p.fix for p in error.problems)
    assert str(error).count("Fix:") == 4


def test_yaml_lines_point_at_the_key(center_data: dict[str, Any], write_yaml: WriteYaml) -> None:
    # A hand-written file with comments and flow style: lines must still be right.
    text = yaml.safe_dump(center_data, sort_keys=False).replace(
        "shrinkage: 0.3", "# staff lost to meetings and sickness\nshrinkage: 1.5"
    )
    path = write_yaml(text)
    assert_problem(_load_error(path), f"line {_line_of(path, 'shrinkage: 1.5')}, shrinkage", "less than 1")
