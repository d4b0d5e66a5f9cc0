"""Fuzzing the centre loader: whatever the YAML holds, `load_center` returns a Center or raises ConfigError.

Anything else (a KeyError, a RecursionError, a ValueError from the YAML reader, a TypeError from a check that
met an unexpected type...) is a bug: the CLI would report it as an internal error (exit 1) instead of telling
the user which field to fix (exit 2). Every problem of the error is placed (a line and a path such as
``agents[3].skills[0]``, or a line and column for YAML syntax) and, where the file is a YAML mapping, comes with
a fix. A centre that loads survives the round trip: `dump_center` then `load_center` gives an equal centre and
the same bytes, and it holds only finite numbers.

The documents are random YAML-like text, random documents built from the centre's own field names, structurally
plausible centres with random references, and mutations of the valid conftest centre (fields removed, values of
the wrong type, unknown references, negative numbers, bad weekday names, empty lists, odd unicode ids...).
Example counts are small: the whole file runs in well under 20 s on two cores.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Center, ConfigError, dump_center, load_center
from tests.conftest import CENTER_DATA, assert_problem

FUZZ_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

#: Every field name a centre document may hold, anywhere (so random documents hit real fields).
FIELD_NAMES = sorted(
    {
        *Center.model_fields,
        "id",
        "name",
        "skill",
        "skills",
        "channel",
        "mode",
        "priority",
        "target",
        "service_level",
        "within_s",
        "measure",
        "mean_patience_s",
        "tier_within_s",
        "aht_s",
        "concurrency",
        "max_occupancy",
        "weekday",
        "start_minute",
        "end_minute",
        "contract",
        "region",
        "hourly_cost",
        "availability",
        "time_off",
        "start_date",
        "end_date",
        "preferences",
        "preferred_start_minute",
        "preferred_days_off",
        "min_paid_minutes_week",
        "max_paid_minutes_week",
        "target_paid_minutes_week",
        "max_working_days",
        "min_rest_minutes",
        "max_consecutive_days",
        "min_consecutive_days_off",
        "max_working_weekends",
        "weekend_days",
        "late_shift",
        "ends_after",
        "starts_from",
        "shift_templates",
        "earliest_start_minute",
        "latest_start_minute",
        "start_step_minutes",
        "lengths_minutes",
        "breaks",
        "duration_minutes",
        "paid",
        "earliest_start_minutes",
        "latest_start_minutes",
        "min_shift_minutes",
        "weekdays",
        "date",
        "volume_multiplier",
        "work_types",
        "closed",
        "proficiency",
        "weight",
    }
)

#: Values that are valid somewhere, nearly valid, or known troublemakers.
TRICKY_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1,
    7,
    15,
    59,
    1440,
    1441,
    2**63,
    -(2**70),
    0.5,
    1.5,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    "",
    " ",
    "mon",
    "Sunday",
    "fri",
    "shabbat",
    "8",
    "-1",
    "07:00",
    "24:00",
    "25:00",
    "07:60",
    "7:5",
    "Europe/London",
    "Asia/Jerusalem",
    "Mars/Olympus",
    "GB",
    "IL",
    "xx",
    "billing",
    "tech",
    "billing_phone",
    "full_time",
    "day",
    "gold",
    "north",
    "a1",
    "ü",
    "\u200b",
    "a\u0301",
    "агент",
    "客服",
    "🙂",
    "id with spaces",
    "-lead",
    "x" * 65,
    "2026-03-29",
    "2026-02-30",
    "phone",
    "deferred",
    [],
    {},
    [None],
    ["mon", "mon"],
    ["fri", "sat"],
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    {"weekday": "mon", "start_minute": "08:00", "end_minute": "20:00"},
    {"ends_after": "19:00"},
]
#: Drawn values are copies: a mutation must never change the list it drew from.
values = st.sampled_from(TRICKY_VALUES).map(copy.deepcopy)
_counter = itertools.count()


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_center")


def _file(folder: Path) -> Path:
    return folder / f"center{next(_counter)}.yaml"


def _finite_numbers(value: Any, path: str = "") -> None:
    if isinstance(value, float):
        assert math.isfinite(value), f"{path} is {value} in a loaded centre"
    elif isinstance(value, dict):
        for key, item in value.items():
            _finite_numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _finite_numbers(item, f"{path}[{i}]")


def _check(path: Path, mapping: bool = False) -> Center | None:
    """The contract under test; returns the Center when there was one. `mapping`: the file is a YAML mapping,
    so every problem is placed in it and comes with a fix."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lint findings: allowed, and not what is fuzzed here
        try:
            center = load_center(path)
        except ConfigError as error:
            message = str(error)
            assert error.problems and message.startswith(str(path)), message
            for problem in error.problems:
                assert problem.what, message
                if mapping:
                    assert problem.where and problem.fix, f"an unplaced problem or one without a fix: {message}"
            return None
    _finite_numbers(center.model_dump(mode="python"))
    text = dump_center(center)
    again_path = path.with_suffix(".again.yaml")
    again_path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = load_center(again_path)
    assert again == center
    assert dump_center(again) == text
    return center


def _write(folder: Path, data: Any) -> Path:
    path = _file(folder)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# -- random text ----------------------------------------------------------------------------------------------------

YAML_ALPHABET = st.sampled_from(list("name:timezoneagents-[]{},'\"&*!|>#\n 0123456789.@%\t?~") + ["\u00e9", "\x85"])


@FUZZ_SETTINGS
@given(st.text(alphabet=YAML_ALPHABET, max_size=200))
def test_random_yaml_like_text(fuzz_dir: Path, text: str) -> None:
    path = _file(fuzz_dir)
    path.write_text(text, encoding="utf-8")
    _check(path)


@FUZZ_SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(fuzz_dir: Path, data: bytes) -> None:
    path = _file(fuzz_dir)
    path.write_bytes(data)
    _check(path)


#: YAML features that build odd values: aliases (shared and cyclic), tags, timestamps, merge keys.
YAML_SNIPPETS = [
    "a: &x [1, *x]",
    "a: &x {b: *x}",
    "name: !!binary aGVsbG8=",
    "name: !!python/object:os.system ls",
    "start_date: 2026-13-01",
    "date: 2026-02-30",
    "date: 2026-03-29 25:00:00",
    "date: 2026-03-29T10:00:00Z",
    "<<: {name: x}",
    "? [a, b]\n: c",
    "1: 2",
    "null: 1",
    "name: .nan",
    "shrinkage: .inf",
    "interval_minutes: 0x0f",
    "interval_minutes: 1_5",
    "interval_minutes: 015",
    "weekend_days: [fri, sat]",
    "weekend_days: fri",
    "late_shift: {}",
    "late_shift: {ends_after: '25:00'}",
]


@FUZZ_SETTINGS
@given(st.lists(st.sampled_from(YAML_SNIPPETS), min_size=1, max_size=4))
def test_odd_yaml_constructs_after_a_valid_centre(fuzz_dir: Path, snippets: list[str]) -> None:
    """A valid centre with odd YAML appended to it (a repeated key replaces the centre's value)."""
    path = _file(fuzz_dir)
    text = yaml.safe_dump(CENTER_DATA, sort_keys=False) + "\n".join(snippets) + "\n"
    path.write_text(text, encoding="utf-8")
    _check(path)


def test_a_cyclic_alias_is_a_config_error(fuzz_dir: Path) -> None:
    """A list that holds itself (`&x [1, *x]`) is reported, not followed for ever."""
    path = _file(fuzz_dir)
    path.write_text(yaml.safe_dump(CENTER_DATA, sort_keys=False) + "regions: &x [north, *x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="regions"):
        load_center(path)


def test_an_impossible_date_names_its_line(fuzz_dir: Path) -> None:
    path = _file(fuzz_dir)
    data = copy.deepcopy(CENTER_DATA)
    text = yaml.safe_dump(data, sort_keys=False) + "special_days:\n- {date: 2026-02-30, name: x}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_center(path)
    assert "line" in raised.value.problems[0].where and "2026-02-30" in str(raised.value)


# -- random documents -----------------------------------------------------------------------------------------------

documents = st.recursive(
    values | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES), children, max_size=5)
    ),
    max_leaves=25,
)


@FUZZ_SETTINGS
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), documents, max_size=8))
def test_random_documents_of_centre_fields(fuzz_dir: Path, data: dict[str, Any]) -> None:
    _check(_write(fuzz_dir, data), mapping=True)


# -- mutations of a valid centre ------------------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indices) into a document, the root excluded."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.append((*prefix, i))
            out += _paths(item, (*prefix, i))
    return out


def _mutate(data: dict[str, Any], draw: st.DrawFn) -> None:
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    action = draw(st.sampled_from(["remove", "replace", "replace", "duplicate", "unknown_field", "wrap"]))
    if action == "remove":
        del parent[key]
    elif action == "replace":
        parent[key] = copy.deepcopy(draw(values | st.integers() | st.text(max_size=6)))
    elif action == "duplicate":
        if isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:
            parent[key] = [parent[key], parent[key]]
    elif action == "unknown_field":
        target = parent[key] if isinstance(parent[key], dict) else parent
        if isinstance(target, dict):
            target[draw(st.sampled_from(["weekends", "late", "nmae", "Skills", "ü"]))] = copy.deepcopy(draw(values))
    else:
        parent[key] = {"value": parent[key]} if draw(st.booleans()) else [parent[key]]


@st.composite
def mutated_centres(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(CENTER_DATA)
    data["weekend_days"] = draw(st.sampled_from([["sat", "sun"], ["fri", "sat"], ["sun"]]))
    data["late_shift"] = draw(st.sampled_from([{"ends_after": "19:00"}, {"starts_from": "14:00"}]))
    data["contracts"][0]["weekend_days"] = ["fri", "sat"]
    data["agents"][0]["availability"] = [{"weekday": "tue", "start_minute": "08:00", "end_minute": "16:00"}]
    data["agents"][0]["time_off"] = [{"start_date": "2026-03-02", "end_date": "2026-03-04"}]
    data["special_days"] = [{"date": "2026-12-25", "name": "Christmas", "closed": True}]
    for _ in range(draw(st.integers(0, 2))):
        _mutate(data, draw)
    return data


@FUZZ_SETTINGS
@given(mutated_centres())
def test_mutations_of_a_valid_centre(fuzz_dir: Path, data: dict[str, Any]) -> None:
    _check(_write(fuzz_dir, data), mapping=True)


# -- structurally plausible centres ---------------------------------------------------------------------------------

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`odd` once in 40 draws, `valid` otherwise: a centre draws some 40 values, so about half the documents
    get past the field checks and the cross-reference checks (and the round trip of what loads) are fuzzed."""
    return st.integers(0, 39).flatmap(lambda k: odd if k == 39 else valid)  # shrinks toward `valid`


ids = _mostly(
    st.sampled_from(["billing", "tech", "sales", "a1", "a2", "full_time", "day", "gold", "north", "x.y:z-1"]),
    st.one_of(st.text(min_size=0, max_size=6), st.sampled_from(["ü", "客服", "-x", "a b", "x" * 65])),
)
clock = _mostly(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(1, 23), st.sampled_from([0, 15, 30, 45])),
    st.one_of(st.sampled_from(["24:00", "25:00", "7:60", "noon", ""]), st.integers(-60, 1500)),
)
weekday = _mostly(
    st.sampled_from(WEEKDAYS), st.one_of(st.sampled_from(["Friday", "sabado", "", "8"]), st.integers(-1, 8))
)


def _window(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, 22))
    end = draw(st.integers(start + 1, 24))
    if draw(st.integers(0, 39)) == 39:  # backwards, or off the clock
        start, end = end, draw(st.sampled_from([start, 25, -1]))
    return {"weekday": draw(weekday), "start_minute": f"{start:02d}:00", "end_minute": f"{end:02d}:00"}


@st.composite
def windows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Zero to three weekly windows, which may overlap."""
    return [_window(draw) for _ in range(draw(st.integers(0, 3)))]


@st.composite
def plausible_centres(draw: st.DrawFn) -> dict[str, Any]:
    """A centre of the right shape with random numbers and references: mostly valid values, some odd ones,
    references that may point nowhere, windows that may overlap, weekends and late shifts of any kind."""
    skills = draw(st.lists(ids, min_size=1, max_size=3))
    templates = []
    for _ in range(draw(st.integers(1, 2))):
        earliest = draw(st.integers(0, 20))
        templates.append(
            {
                "id": draw(ids),
                "earliest_start_minute": f"{earliest:02d}:00",
                "latest_start_minute": draw(_mostly(st.just(f"{earliest + 2:02d}:00"), clock)),
                "start_step_minutes": draw(_mostly(st.sampled_from([15, 30, 60]), st.sampled_from([0, -15, 7, 2000]))),
                "lengths_minutes": draw(
                    _mostly(
                        st.lists(st.sampled_from([240, 480, 510]), min_size=1, max_size=3, unique=True),
                        st.lists(st.sampled_from([0, 480, 1500, -60]), max_size=3),
                    )
                ),
                "breaks": [
                    {
                        "duration_minutes": draw(_mostly(st.sampled_from([15, 30]), st.sampled_from([0, 300]))),
                        "earliest_start_minutes": (first := draw(_mostly(st.integers(60, 180), st.integers(-30, 900)))),
                        "latest_start_minutes": draw(_mostly(st.just(first + 30), st.integers(-30, 900))),
                        "paid": draw(st.booleans()),
                    }
                    for _ in range(draw(st.integers(0, 2)))
                ],
                "weekdays": draw(_mostly(st.lists(weekday, min_size=1, max_size=7, unique=True), st.lists(weekday))),
            }
        )
    template_ids = [t["id"] for t in templates]
    contracts = []
    for _ in range(draw(st.integers(1, 2))):
        contract: dict[str, Any] = {
            "id": draw(ids),
            "min_paid_minutes_week": draw(_mostly(st.sampled_from([0, 1200]), st.sampled_from([-1, 2400, 99999]))),
            "max_paid_minutes_week": draw(_mostly(st.sampled_from([2400, 3000]), st.sampled_from([0, 600, 12000]))),
            "max_working_days": draw(_mostly(st.integers(3, 6), st.integers(-1, 8))),
            "max_working_weekends": draw(_mostly(st.sampled_from([None, 0, 1]), st.just(-1))),
            "shift_templates": draw(
                _mostly(st.lists(st.sampled_from(template_ids), min_size=1, unique=True), st.lists(ids, max_size=2))
            ),
        }
        if draw(st.booleans()):
            contract["weekend_days"] = draw(st.lists(weekday, max_size=8))
        if draw(st.booleans()):
            contract["late_shift"] = draw(st.dictionaries(st.sampled_from(["ends_after", "starts_from"]), clock))
        contracts.append(contract)
    work_types = [
        {
            "id": draw(ids),
            "channel": (
                channel := draw(_mostly(st.sampled_from(["phone", "chat", "email", "ticket"]), st.just("fax")))
            ),
            "skill": draw(_mostly(st.sampled_from(skills), ids)),
            "priority": draw(_mostly(st.integers(1, 4), st.integers(-1, 10))),
            "aht_s": draw(_mostly(st.sampled_from([300, 420.5]), st.sampled_from([0, -5, 1e9, "fast"]))),
            "target": {
                "service_level": draw(_mostly(st.sampled_from([0.8, 0.9]), st.sampled_from([0, 1.2, "80%"]))),
                "within_s": draw(_mostly(st.sampled_from([20, 86400]), st.integers(-5, 10))),
                **({"measure": "first_response"} if channel in ("email", "ticket") else {}),
            },
            "opening_hours": draw(windows()),
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    agents = [
        {
            "id": draw(ids),
            "skills": draw(_mostly(st.lists(st.sampled_from(skills), min_size=1, unique=True), st.lists(ids))),
            "contract": draw(_mostly(st.sampled_from([c["id"] for c in contracts]), ids)),
            "availability": draw(windows()),
            "time_off": [
                {"start_date": draw(st.dates()).isoformat(), "end_date": draw(st.dates()).isoformat()}
                for _ in range(draw(st.integers(0, 1)))
            ],
            "preferences": {"preferred_days_off": draw(st.lists(weekday, max_size=2))},
        }
        for _ in range(draw(st.integers(1, 3)))
    ]
    return {
        "name": draw(_mostly(st.sampled_from(["Centre", "מוקד", " x "]), st.sampled_from(["", " "]))),
        "timezone": draw(_mostly(st.sampled_from(["Europe/London", "Asia/Jerusalem", "UTC"]), st.just("Nowhere/Else"))),
        "interval_minutes": draw(_mostly(st.sampled_from([15, 30, 60]), st.sampled_from([7, 0]))),
        "opening_hours": draw(windows()),
        "skills": [{"id": s} for s in skills],
        "work_types": work_types,
        "contracts": contracts,
        "shift_templates": templates,
        "agents": agents,
        "weekend_days": draw(
            _mostly(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True), st.lists(weekday))
        ),
        "late_shift": draw(
            _mostly(
                st.dictionaries(st.sampled_from(["ends_after", "starts_from"]), clock, min_size=1),
                st.dictionaries(st.sampled_from(["ends_after", "starts_from", "after"]), clock),
            )
        ),
    }


@FUZZ_SETTINGS
@given(plausible_centres())
def test_plausible_centres(fuzz_dir: Path, data: dict[str, Any]) -> None:
    _check(_write(fuzz_dir, data), mapping=True)


def test_the_fixture_centre_with_a_weekend_and_late_shifts_round_trips(fuzz_dir: Path) -> None:
    """The control: the valid centre, with an Israeli weekend and a contract's own late shift, loads and round
    trips (so the fuzzing above is not passing by rejecting everything)."""
    data = copy.deepcopy(CENTER_DATA)
    data["weekend_days"] = ["fri", "sat"]
    data["contracts"][0]["late_shift"] = {"starts_from": "14:00"}
    center = _check(_write(fuzz_dir, data), mapping=True)
    assert center is not None
    assert center.weekend_days == [4, 5] and center.contracts[0].late_shift is not None
    assert "weekend_days:\n- fri\n- sat" in dump_center(center)


@pytest.mark.parametrize(
    ("field", "line"),
    [
        ("work_types[0].aht_s", "aht_s: 300"),
        ("customer_tiers[0].weight", "weight: 2.0"),
        ("shrinkage", "shrinkage: 0.3"),
    ],
)
@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan"])
def test_an_infinite_or_nan_number_is_refused(fuzz_dir: Path, field: str, line: str, number: str) -> None:
    """YAML spells infinity and NaN `.inf` and `.nan`; no setting of a centre means them."""
    path = _file(fuzz_dir)
    text = yaml.safe_dump(CENTER_DATA, sort_keys=False)
    assert line in text
    path.write_text(text.replace(line, f"{line.split(':')[0]}: {number}"), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_center(path)
    assert_problem(raised.value, field, "finite number", source=str(path))
