"""What-if scenarios on a tiny centre: the scenario file and its errors, each change applied to the centre and
forecast, sweeps on a real Dask `LocalCluster` (2 workers) and on a scheduler and worker started as processes,
resume, failure of one variant, determinism across worker counts, the capacity search and the report command.

The tiny centre: two phone work types (`sales`, priority 1; `support`, priority 2), six agents (`s1`-`s3` sales,
`m1` both, `t1`-`t2` support), one 06:00-14:00 shift a day and calls from 06:00 to 14:00 on Monday 2026-06-01.
A variant plans in well under a second, so what a test pays for is the cluster, started once per sweep.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models import FORECAST, ROSTER, Center, ConfigError, dump_center, load_center, read_table, write_table
from scenarios import runner
from scenarios.capacity import capacity_variant, find_capacity
from scenarios.changes import apply_changes, reference_problems
from scenarios.report import RESULTS_COLUMNS
from scenarios.runner import RESULT, ScenarioRun, VariantEvent, read_results, run_scenarios, slug
from scenarios.spec import BASE_NAME, Variant, expand, load_spec
from tests.postgres_helpers import free_port
from tests.roster_helpers import EARLY, TZ, agent, build_center, contract
from wfm import cli
from wfm.exit_codes import ExitCode

DAY = date(2026, 6, 1)  # a Monday
REPO = Path(__file__).resolve().parent.parent
#: Calls per hour from 06:00 to 14:00: enough for two agents of each skill, not for four of each.
VOLUMES = {"sales": 6.0, "support": 4.0}


def phone(work_type_id: str, priority: int) -> dict[str, Any]:
    return {
        "id": work_type_id,
        "channel": "phone",
        "mode": "realtime",
        "skill": work_type_id,
        "priority": priority,
        "target": {"service_level": 0.8, "within_s": 20, "mean_patience_s": 300},
        "aht_s": 300,
    }


def tiny_center() -> Center:
    agents = [
        agent("s1", "sales"),
        agent("s2", "sales"),
        agent("s3", "sales"),
        agent("m1", "sales", "support"),
        agent("t1", "support"),
        agent("t2", "support"),
    ]
    return build_center(
        agents,
        contracts=[contract(shift_templates=["early"])],
        templates=[EARLY],
        work_types=[phone("sales", 1), phone("support", 2)],
    )


def tiny_forecast(center: Center, volumes: dict[str, float] = VOLUMES) -> pd.DataFrame:
    """A `models.FORECAST` table of Monday: `volumes` calls an hour from 06:00 to 14:00, none outside."""
    starts = center.horizon(DAY, 1).intervals
    local = starts.tz_convert(TZ)
    open_ = (local.hour >= 6) & (local.hour < 14)
    frames = []
    for work_type in center.work_types:
        volume = np.where(open_, volumes[work_type.id], 0.0)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": starts,
                    "work_type": work_type.id,
                    "volume": volume,
                    "volume_p10": 0.8 * volume,
                    "volume_p50": volume,
                    "volume_p90": 1.2 * volume,
                    "aht_s": float(work_type.aht_s),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_base(folder: Path, volumes: dict[str, float] = VOLUMES) -> tuple[Path, Path]:
    """center.yaml and forecast.csv of the tiny centre in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    center = tiny_center()
    center_path, forecast_path = folder / "center.yaml", folder / "forecast.csv"
    center_path.write_text(dump_center(center), encoding="utf-8")
    write_table(tiny_forecast(center, volumes), FORECAST, forecast_path)
    return center_path, forecast_path


#: The planning options of every sweep here: one short roster solve, two replications.
OPTIONS = """\
base: {center: center.yaml, forecast: forecast.csv}
roster: {time_limit_s: 2}
loop: {max_iterations: 1}
simulation: {replications: 2, seed: 0}
"""


def write_spec(folder: Path, body: str, name: str = "spec.yaml") -> Path:
    """A scenario file in `folder` (next to the base files): `OPTIONS`, then `body`."""
    path = folder / name
    path.write_text(OPTIONS + body, encoding="utf-8")
    return path


def spec_error(tmp_path: Path, body: str) -> str:
    write_base(tmp_path)
    path = write_spec(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def line_of(path: Path, text: str) -> int:
    """The 1-based line of `path` that holds `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


# -- the scenario file -------------------------------------------------------------------------------------------


def test_a_valid_scenario_file_loads_with_its_base_next_to_it(tmp_path: Path) -> None:
    write_base(tmp_path)
    path = write_spec(
        tmp_path,
        "variants:\n"
        "  - {name: volume +20%, volume: {all: 1.2}}\n"
        "  - {name: 2 fewer, headcount: {remove: 2, remove_skill: sales}}\n"
        "grid: {aht.sales: [1.1, 1.2]}\n",
    )
    spec = load_spec(path)
    assert spec.base.center == tmp_path / "center.yaml"
    assert spec.base.forecast == tmp_path / "forecast.csv"
    assert spec.roster.time_limit_s == 2 and spec.roster.deterministic
    assert spec.loop.max_iterations == 1 and spec.simulation.replications == 2
    assert [v.name for v in spec.variants] == ["volume +20%", "2 fewer"]
    assert spec.variants[0].volume == {"all": 1.2}
    assert spec.variants[1].headcount.remove == 2 and spec.variants[1].headcount.remove_skill == "sales"


@pytest.mark.parametrize(
    ("body", "line_text", "field", "words"),
    [
        ("variants:\n  - {name: up, volum: {all: 1.2}}\n", "volum", "variants[0].volum", ["unknown field 'volum'"]),
        ("variants:\n  - {name: a}\n  - {name: b, volume: {all: -1}}\n", "all: -1", "variants[1].volume", ["-1"]),
        (
            "variants:\n  - {name: a, volume: {all: 2}}\n  - {name: a, aht: {all: 2}}\n",
            "{name: a, aht",
            "variants[1].name",
            ["repeats the name 'a' of variants[0]"],
        ),
        ("grid: {volumes.all: [1.1]}\n", "grid", "grid", ["'volumes.all' is not a change"]),
        ("grid: {headcount.remove: [1, -1]}\n", "grid", "grid.headcount.remove", ["headcount.remove=-1"]),
    ],
    ids=["unknown-field", "bad-factor", "duplicate-name", "grid-key", "grid-combination"],
)
def test_a_bad_scenario_file_is_refused_naming_its_line_and_field(
    tmp_path: Path, body: str, line_text: str, field: str, words: list[str]
) -> None:
    message = spec_error(tmp_path, body)
    line = line_of(tmp_path / "spec.yaml", line_text)
    assert f"line {line}, {field}" in message, message
    assert "Fix:" in message
    for word in words:
        assert word in message, message


def test_a_variant_naming_what_the_centre_lacks_exits_2_naming_the_line_and_writes_nothing(tmp_path: Path) -> None:
    write_base(tmp_path)
    path = write_spec(
        tmp_path,
        "variants:\n"
        "  - {name: fine, volume: {all: 1.1}}\n"
        "  - {name: typo, aht: {salse: 1.1}}\n"
        "  - {name: new skill, train: [{skill: billing, count: 1}]}\n"
        "  - {name: ghost, headcount: {add: [{like: z9, count: 1}]}}\n",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.app, ["scenarios", "run", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    stderr = " ".join(result.stderr.split())  # rich wraps long lines
    assert f"line {line_of(path, 'salse')}, variants[1].aht.salse" in stderr, stderr
    assert "no work type 'salse'" in stderr
    assert f"line {line_of(path, 'billing')}, variants[2].train[0].skill" in stderr, stderr
    assert f"line {line_of(path, 'z9')}, variants[3].headcount.add[0].like" in stderr, stderr
    assert not out.exists()


def test_a_grid_naming_what_the_centre_lacks_exits_2_even_after_a_variant_that_is_the_base(tmp_path: Path) -> None:
    """`as is` changes nothing (the base under another name): the grid's combinations are still checked."""
    write_base(tmp_path)
    path = write_spec(tmp_path, "variants:\n  - {name: as is, aht: {sales: 1.0}}\ngrid: {volume.salse: [1.1]}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.app, ["scenarios", "run", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    stderr = " ".join(result.stderr.split())
    assert f"line {line_of(path, 'grid:')}, grid.volume.salse: the centre has no work type 'salse'" in stderr, stderr
    assert not out.exists()


def test_expand_lists_the_base_first_then_the_variants_then_the_grid_and_each_plan_once(tmp_path: Path) -> None:
    write_base(tmp_path)
    path = write_spec(
        tmp_path,
        "variants:\n"
        "  - {name: busier, volume: {all: 1.1}}\n"
        "  - {name: as is, aht: {sales: 1.0}}\n"
        "grid: {volume.all: [1.0, 1.1, 1.2], headcount.remove: [0, 1]}\n",
    )
    planned = expand(load_spec(path))
    names = [variant.name for variant, _ in planned]
    assert names == [
        BASE_NAME,
        "busier",
        "volume.all=1, headcount.remove=1",
        "volume.all=1.1, headcount.remove=1",
        "volume.all=1.2, headcount.remove=0",
        "volume.all=1.2, headcount.remove=1",
    ]
    aliases = {variant.name: same for variant, same in planned}
    # A factor of 1 and no removal is the base; volume 1.1 without removal is `busier`: each planned once.
    assert aliases[BASE_NAME] == ["as is", "volume.all=1, headcount.remove=0"]
    assert aliases["busier"] == ["volume.all=1.1, headcount.remove=0"]
    assert all(aliases[name] == [] for name in names[2:])
    by_name = dict((variant.name, variant) for variant, _ in planned)
    assert by_name["volume.all=1.2, headcount.remove=1"].volume == {"all": 1.2}
    assert by_name["volume.all=1.2, headcount.remove=1"].headcount.remove == 1
    assert len({variant.key() for variant, _ in planned}) == len(planned)


# -- the changes (no solver) -------------------------------------------------------------------------------------


def variant(**changes: Any) -> Variant:
    return Variant.model_validate({"name": "v", **changes})


def test_volume_and_aht_factors_multiply_the_forecast_all_times_each_work_type() -> None:
    center = tiny_center()
    forecast = tiny_forecast(center)
    applied = apply_changes(center, forecast, variant(volume={"all": 1.2, "sales": 1.5}, aht={"support": 1.1}))
    out = applied.forecast
    for work_type, volume_factor, aht_factor in (("sales", 1.2 * 1.5, 1.0), ("support", 1.2, 1.1)):
        before, after = forecast[forecast["work_type"] == work_type], out[out["work_type"] == work_type]
        for column in ("volume", "volume_p10", "volume_p50", "volume_p90"):
            np.testing.assert_allclose(after[column], before[column] * volume_factor)
        np.testing.assert_allclose(after["aht_s"], before["aht_s"] * aht_factor)
        assert applied.center.work_type(work_type).aht_s == pytest.approx(300 * aht_factor)
    assert list(out["interval_start"]) == list(forecast["interval_start"])
    # The base forecast is not changed in place.
    np.testing.assert_allclose(forecast["volume"], tiny_forecast(center)["volume"])


def test_headcount_remove_picks_the_same_agents_for_the_same_variant_and_seed() -> None:
    center = tiny_center()
    forecast = tiny_forecast(center)
    remove = variant(headcount={"remove": 3})
    picks = {seed: apply_changes(center, forecast, remove, seed=seed).removed for seed in range(6)}
    assert picks[0] == apply_changes(center, forecast, remove, seed=0).removed
    # The name does not choose the agents: the same changes under another name remove the same ones.
    renamed = Variant.model_validate({"name": "another name", "headcount": {"remove": 3}})
    assert apply_changes(center, forecast, renamed, seed=0).removed == picks[0]
    assert len(set(map(tuple, picks.values()))) > 1, picks  # 20 ways to pick 3 of 6: the seeds differ
    for seed, removed in picks.items():
        applied = apply_changes(center, forecast, remove, seed=seed)
        assert len(removed) == 3 and set(removed) <= {a.id for a in center.agents}
        assert {a.id for a in applied.center.agents} == {a.id for a in center.agents} - set(removed)


def test_headcount_remove_among_a_skill_removes_only_its_holders() -> None:
    center = tiny_center()
    applied = apply_changes(center, tiny_forecast(center), variant(headcount={"remove": 2, "remove_skill": "sales"}))
    assert set(applied.removed) <= {"s1", "s2", "s3", "m1"} and len(applied.removed) == 2


def test_agents_named_to_leave_leave_before_the_random_removals() -> None:
    center = tiny_center()
    applied = apply_changes(center, tiny_forecast(center), variant(headcount={"leave": ["s1"], "remove": 1}))
    assert "s1" in applied.removed and len(applied.removed) == 2
    assert not set(applied.removed) & {a.id for a in applied.center.agents}


def test_removing_more_agents_than_there_are_is_refused_naming_headcount_remove() -> None:
    center = tiny_center()
    with pytest.raises(ConfigError) as caught:
        apply_changes(center, tiny_forecast(center), variant(headcount={"remove": 7}))
    assert any(p.where == "headcount.remove" for p in caught.value.problems), caught.value
    assert "removes 7 agents of 6" in str(caught.value)
    with pytest.raises(ConfigError, match="headcount.remove: removes 4 agents of 3 with skill 'support'"):
        apply_changes(center, tiny_forecast(center), variant(headcount={"remove": 4, "remove_skill": "support"}))


def test_headcount_add_copies_a_profile_under_new_ids() -> None:
    center = tiny_center()
    applied = apply_changes(center, tiny_forecast(center), variant(headcount={"add": [{"like": "m1", "count": 2}]}))
    assert applied.added == ["m1-new1", "m1-new2"]
    profile = center.agents_by_id["m1"]
    assert len(applied.center.agents) == len(center.agents) + 2
    for new_id in applied.added:
        new = applied.center.agents_by_id[new_id]
        assert new.skills == profile.skills and new.contract == profile.contract
    assert applied.center.agents_by_id["m1"] == profile


def test_training_gives_the_skill_to_count_holders_of_from_skill_who_lack_it_reproducibly() -> None:
    center = tiny_center()
    forecast = tiny_forecast(center)
    train = variant(train=[{"skill": "support", "count": 2, "from_skill": "sales", "proficiency": 0.7}])
    applied = apply_changes(center, forecast, train, seed=3)
    picked = applied.trained["support"]
    assert len(picked) == 2 and set(picked) <= {"s1", "s2", "s3"}  # m1 has support already
    assert apply_changes(center, forecast, train, seed=3).trained == applied.trained
    for agent_id in picked:
        skills = {s.skill: s.proficiency for s in applied.center.agents_by_id[agent_id].skills}
        assert skills == {"sales": 1.0, "support": 0.7}
    untouched = {a.id for a in center.agents} - set(picked)
    assert all(applied.center.agents_by_id[a] == center.agents_by_id[a] for a in untouched)
    with pytest.raises(ConfigError, match=r"train\[0\].count: trains 4 agents but 3 with 'sales' lack 'support'"):
        apply_changes(center, forecast, variant(train=[{"skill": "support", "count": 4, "from_skill": "sales"}]))


def test_targets_shrinkage_contracts_and_plan_on_change_the_centre() -> None:
    center = tiny_center()
    applied = apply_changes(
        center,
        tiny_forecast(center),
        variant(
            targets={"support": {"service_level": 0.9, "within_s": 30}},
            shrinkage=0.25,
            contracts={"flex": {"max_paid_minutes_week": 960}},
            plan_on="p90",
        ),
    )
    support, sales = applied.center.work_type("support"), applied.center.work_type("sales")
    assert (support.target.service_level, support.target.within_s) == (0.9, 30)
    assert support.target.mean_patience_s == center.work_type("support").target.mean_patience_s
    assert sales.target == center.work_type("sales").target
    assert applied.center.shrinkage == 0.25 and center.shrinkage == 0.0
    assert applied.center.contracts[0].max_paid_minutes_week == 960
    assert applied.staffing.plan_on == "p90"


def test_a_change_that_leaves_a_work_type_without_agents_is_an_error_naming_the_variant() -> None:
    center = tiny_center()
    gone = Variant.model_validate({"name": "no support", "headcount": {"remove": 3, "remove_skill": "support"}})
    with pytest.raises(ConfigError) as caught:
        apply_changes(center, tiny_forecast(center), gone)
    message = str(caught.value)
    assert message.startswith("variant 'no support'"), message
    assert "no agent can serve work type 'support'" in message


def test_reference_problems_name_the_field_of_each_unknown_reference() -> None:
    wrong = variant(
        volume={"sale": 1.1},
        targets={"email": {"service_level": 0.9}},
        contracts={"part_time": {"max_paid_minutes_week": 600}, "flex": {"max_paid_minute_week": 600}},
        headcount={"leave": ["x2"], "remove_skill": "billing", "add": [{"like": "x1", "count": 1}]},
        train=[{"skill": "sales", "count": 1, "from_skill": "french"}],
    )
    places = [p.where for p in reference_problems(tiny_center(), wrong)]
    assert sorted(places) == sorted(
        [
            "volume.sale",
            "targets.email",
            "contracts.part_time",
            "contracts.flex.max_paid_minute_week",
            "headcount.leave[0]",
            "train[0].from_skill",
            "headcount.remove_skill",
            "headcount.add[0].like",
        ]
    )
    assert reference_problems(tiny_center(), variant(volume={"all": 2, "sales": 1.1})) == []


def test_capacity_variant_adds_copies_in_turn_or_removes_down_to_the_headcount() -> None:
    center = tiny_center()
    fewer = capacity_variant(center, 4, None).headcount.leave
    assert len(fewer) == 2
    # The teams are nested: the agents who leave a team of 4 include those who leave a team of 5.
    assert set(capacity_variant(center, 5, None).headcount.leave) < set(fewer)
    more = capacity_variant(center, 9, ["s1", "t1"])
    assert [(a.like, a.count) for a in more.headcount.add] == [("s1", 2), ("t1", 1)]
    mix = capacity_variant(center, 12, None, seed=5)
    assert sorted(a.like for a in mix.headcount.add) == sorted(a.id for a in center.agents)  # each profile once
    assert mix == capacity_variant(center, 12, None, seed=5)


# -- sweeps on a real local cluster ------------------------------------------------------------------------------

SWEEP = """\
variants:
  - {name: volume x3, volume: {all: 3}}
  - {name: volume x4, volume: {all: 4}}
  - {name: two fewer, headcount: {remove: 2}}
  - {name: two more like m1, headcount: {add: [{like: m1, count: 2}]}}
  - {name: cross-train, train: [{skill: support, count: 1, from_skill: sales}]}
  - {name: no support, headcount: {remove: 3, remove_skill: support}}
grid: {volume.all: [1.0, 1.5]}
"""
#: The sweep's variants that plan (`no support` removes every holder of `support`: it fails).
PLANNED = [
    BASE_NAME,
    "volume x3",
    "volume x4",
    "two fewer",
    "two more like m1",
    "cross-train",
    "volume.all=1.5",
]
FAILING = "no support"
ALIAS = "volume.all=1"


@dataclass(frozen=True)
class Swept:
    folder: Path  # holds the base files and the scenario files
    spec: Path
    out: Path
    run: ScenarioRun
    events: list[VariantEvent]

    def results(self) -> pd.DataFrame:
        return pd.read_csv(self.out / "results.csv")

    def result(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / "variants" / slug(name) / RESULT).read_text())
        return data

    def roster(self, name: str) -> pd.DataFrame:
        """The variant's roster, read as the roster contract (as `wfm check-roster` reads it)."""
        return read_table(self.out / "variants" / slug(name) / "roster.csv", ROSTER, timezone=TZ)


#: The port Dask's scheduler serves HTTP on by default (its dashboard, health and metrics).
DASK_HTTP_PORT = 8787


@contextmanager
def port_taken(port: int) -> Iterator[None]:
    """`port` of 127.0.0.1 held by a listening socket here for the block (where it is free; else it is taken
    already)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        try:
            held.bind(("127.0.0.1", port))
            held.listen()
        except OSError:
            pass
        yield


def sweep_into(
    spec: Path, out: Path, workers: int, scheduler: str | None = None
) -> tuple[ScenarioRun, list[VariantEvent]]:
    events: list[VariantEvent] = []
    run = run_scenarios(spec, out, workers=workers, scheduler=scheduler, on_event=events.append)
    return run, events


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Swept:
    """The sweep planned once on a local cluster of 2 workers; the tests read its output (or copy it)."""
    folder = tmp_path_factory.mktemp("sweep")
    write_base(folder)
    spec = write_spec(folder, SWEEP)
    with port_taken(DASK_HTTP_PORT):  # another cluster's: the local one must neither clash nor warn
        run, events = sweep_into(spec, folder / "out", workers=2)
    return Swept(folder, spec, folder / "out", run, events)


def test_a_sweep_writes_one_row_per_variant_and_work_type_and_the_report(swept: Swept) -> None:
    assert (swept.run.planned, swept.run.kept, swept.run.failed) == (len(PLANNED) + 1, 0, 1)
    table = swept.results()
    assert list(table.columns) == [*RESULTS_COLUMNS[:-1], "understaffed_p1", "understaffed_p2", "error"]
    fine = table[table["error"].isna()]
    assert sorted(set(zip(fine["variant"], fine["work_type"], strict=True))) == sorted(
        (name, work_type) for name in [*PLANNED, ALIAS] for work_type in ("sales", "support")
    )
    assert fine[["paid_hours", "cost", "service_level", "service_level_lo", "service_level_hi"]].notna().all().all()
    assert (fine["service_level_lo"] <= fine["service_level"]).all()
    assert (fine["service_level"] <= fine["service_level_hi"]).all()
    assert (swept.out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    summary = json.loads((swept.out / "summary.json").read_text())
    assert summary["failed"] == [FAILING] and summary["planned"] == len(PLANNED) + 1
    assert {p.name for p in swept.run.files} == {"results.csv", "report.html", "summary.json"}
    for name in PLANNED:
        assert swept.roster(name)["agent_id"].notna().all()
    page = (swept.out / "report.html").read_text()
    for name in [*PLANNED, ALIAS, FAILING]:
        assert html.escape(name) in page, name


def test_a_failing_variant_is_reported_with_its_error_and_the_others_finish(swept: Swept) -> None:
    statuses = {event.name: event.status for event in swept.events}
    assert statuses == {**{name: "done" for name in PLANNED}, FAILING: "failed"}
    assert [event.done for event in swept.events] == list(range(1, len(PLANNED) + 2))
    error = next(event.error for event in swept.events if event.name == FAILING)
    assert error is not None and error.startswith(f"variant '{FAILING}'")
    assert "no agent can serve work type 'support'" in error
    table = swept.results()
    row = table[table["variant"] == FAILING]
    assert len(row) == 1 and row["error"].iloc[0] == error and row["work_type"].isna().all()
    assert swept.result(FAILING)["error"] == error


def test_a_variant_picks_the_agents_its_changes_name_and_lists_them(swept: Swept) -> None:
    center = load_center(swept.folder / "center.yaml")
    forecast = tiny_forecast(center)
    spec = load_spec(swept.spec)
    by_name = {v.name: v for v in spec.variants}
    fewer = swept.result("two fewer")
    expected = apply_changes(center, forecast, by_name["two fewer"], seed=spec.simulation.seed)
    assert fewer["agents"] == 4 and fewer["picked"]["removed"] == expected.removed and len(expected.removed) == 2
    assert not set(swept.roster("two fewer")["agent_id"]) & set(expected.removed)
    more = swept.result("two more like m1")
    assert more["agents"] == 8 and more["picked"]["added"] == ["m1-new1", "m1-new2"]
    trained = swept.result("cross-train")["picked"]["trained"]
    assert trained == apply_changes(center, forecast, by_name["cross-train"]).trained
    assert len(trained["support"]) == 1 and trained["support"][0] in {"s1", "s2", "s3"}
    assert swept.result(BASE_NAME)["agents"] == 6 and swept.result(BASE_NAME)["same_as"] == [ALIAS]


def test_an_alias_has_its_originals_figures_under_its_own_name(swept: Swept) -> None:
    table = swept.results()
    base = table[table["variant"] == BASE_NAME].drop(columns="variant").reset_index(drop=True)
    alias = table[table["variant"] == ALIAS].drop(columns="variant").reset_index(drop=True)
    assert len(base) == 2
    pd.testing.assert_frame_equal(alias, base)
    assert not (swept.out / "variants" / slug(ALIAS)).exists()  # planned once


def test_more_volume_on_the_same_roster_does_not_serve_better(swept: Swept) -> None:
    """Three and four times the calls both need more agents than the centre has: every agent works the one
    shift, so the rosters are the same and only the calls differ."""
    pd.testing.assert_frame_equal(swept.roster("volume x3"), swept.roster("volume x4"))
    assert sorted(swept.roster("volume x4")["agent_id"]) == ["m1", "s1", "s2", "s3", "t1", "t2"]
    table = swept.results()
    for work_type in ("sales", "support"):
        rows = table[table["work_type"] == work_type].set_index("variant")
        for column, worse in (("service_level", 1), ("abandon_rate", -1)):
            three, four = (float(rows[column][name]) for name in ("volume x3", "volume x4"))
            assert worse * four <= worse * three, (work_type, column, three, four)


def test_the_same_spec_on_one_worker_gives_the_same_results(swept: Swept, tmp_path: Path) -> None:
    run, _ = sweep_into(swept.spec, tmp_path / "one", workers=1)
    assert run.planned == len(PLANNED) + 1
    assert (tmp_path / "one" / "results.csv").read_bytes() == (swept.out / "results.csv").read_bytes()
    for name in PLANNED:
        assert (tmp_path / "one" / "variants" / slug(name) / "roster.csv").read_bytes() == (
            swept.out / "variants" / slug(name) / "roster.csv"
        ).read_bytes()


def test_a_rerun_keeps_finished_variants_and_plans_only_the_missing_and_the_failed(
    swept: Swept, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(swept.out, out)
    # The same options and variants without the failing one: every variant is kept, no cluster is needed.
    spec = write_spec(swept.folder, SWEEP.replace("  - {name: no support", "  # - {name: no support"), "ok.yaml")
    run, events = sweep_into(spec, out, workers=2)
    assert (run.planned, run.kept, run.failed) == (0, len(PLANNED), 0)
    assert {event.status for event in events} == {"kept"}
    without_failed = swept.results()
    without_failed = without_failed[without_failed["variant"] != FAILING].dropna(axis=1, how="all")
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "results.csv").dropna(axis=1, how="all"),
        without_failed.reset_index(drop=True),
        check_dtype=False,  # integers read as floats beside the failed variant's empty cells
    )
    # One variant's result lost: the full spec plans it again, and the failed one, and keeps the rest.
    (out / "variants" / slug("volume x3") / RESULT).unlink()
    run, events = sweep_into(swept.spec, out, workers=2)
    assert (run.planned, run.kept, run.failed) == (2, len(PLANNED) - 1, 1)
    assert {e.name: e.status for e in events if e.status != "kept"} == {"volume x3": "done", FAILING: "failed"}
    assert (out / "results.csv").read_bytes() == (swept.out / "results.csv").read_bytes()


# -- a cluster started as processes, reached by its address ------------------------------------------------------


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Until 127.0.0.1:`port` accepts connections (at most `timeout_s`); fails if `process` ends first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the scheduler ended with {process.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def test_results_made_by_other_planning_code_are_planned_again(
    swept: Swept, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    shutil.copytree(swept.out, out)
    spec = write_spec(swept.folder, "variants:\n  - {name: two fewer, headcount: {remove: 2}}\n", "code.yaml")
    run, _ = sweep_into(spec, out, workers=1)
    assert (run.planned, run.kept) == (0, 2)
    # The same inputs and options, but the planner's code changed (an upgrade): nothing stored is kept.
    monkeypatch.setattr(runner, "code_digest", lambda: "other planning code")
    run, _ = sweep_into(spec, out, workers=1)
    assert (run.planned, run.kept) == (2, 0)


def test_the_code_digest_covers_every_planning_package(monkeypatch: pytest.MonkeyPatch) -> None:
    full, packages = runner.code_digest(), runner._PLANNING_PACKAGES
    try:
        for name in packages:
            runner.code_digest.cache_clear()
            monkeypatch.setattr(runner, "_PLANNING_PACKAGES", tuple(p for p in packages if p != name))
            assert runner.code_digest() != full, f"{name}'s code is not in the digest"
    finally:
        monkeypatch.undo()
        runner.code_digest.cache_clear()
    assert runner.code_digest() == full


def test_a_sweep_runs_on_a_scheduler_and_worker_started_as_processes(swept: Swept, tmp_path: Path) -> None:
    dask = Path(sys.executable).parent / "dask"
    assert dask.exists(), f"{dask} is missing: the dask command line comes with the project's dependencies"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # the worker imports `scenarios` from here

    def start(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(dask), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path
        )

    # No dashboard; the scheduler's HTTP server (health, metrics) on a free port rather than 8787.
    http = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    scheduler = start("scheduler", "--host", "127.0.0.1", "--port", str(port), *http)
    processes = [scheduler]
    try:
        wait_for_port(port, scheduler)
        worker_args = ["--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
        processes.append(start("worker", address, *worker_args))
        spec = write_spec(swept.folder, "variants:\n  - {name: two fewer, headcount: {remove: 2}}\n", "remote.yaml")
        out = tmp_path / "out"
        result = CliRunner().invoke(cli.app, ["scenarios", "run", str(spec), "--out", str(out), "--scheduler", address])
        assert result.exit_code == ExitCode.OK, result.output
        assert "2 variants: 2 planned, 0 kept from an earlier run, 0 failed" in result.stdout
        assert "two fewer: done" in result.stdout
    finally:
        for process in reversed(processes):
            stop(process)
    # The same variants, planned on another cluster, have the local cluster's figures.
    table = pd.read_csv(out / "results.csv").dropna(axis=1, how="all")
    local = swept.results()
    local = local[local["variant"].isin([BASE_NAME, "two fewer"])].dropna(axis=1, how="all").reset_index(drop=True)
    pd.testing.assert_frame_equal(table, local, check_dtype=False)
    assert (out / "variants" / slug("two fewer") / "roster.csv").read_bytes() == (
        swept.out / "variants" / slug("two fewer") / "roster.csv"
    ).read_bytes()


# -- capacity and the report command -----------------------------------------------------------------------------


def test_the_capacity_search_finds_the_fewest_agents_that_meet_every_target(swept: Swept, tmp_path: Path) -> None:
    out = tmp_path / "capacity"
    found = find_capacity(
        swept.folder / "center.yaml",
        swept.folder / "forecast.csv",
        out,
        max_agents=8,
        spec=load_spec(swept.spec),
        workers=2,
    )
    assert found.headcount is not None and found.base_headcount == 6
    assert found.meets[found.headcount]
    assert all(r["meets_target"] for r in found.results[found.headcount]["work_types"])
    below = found.headcount - 1
    assert below == 0 or found.meets[below] is False, found.meets  # the agent less was tried and falls short
    assert found.results[found.headcount]["agents"] == found.headcount
    summary = json.loads((out / "capacity.json").read_text())
    assert summary["headcount"] == found.headcount and summary["found"] is True
    assert [e["headcount"] for e in summary["evaluations"]] == sorted(found.meets)
    evaluations = pd.read_csv(out / "evaluations.csv")
    assert list(evaluations["headcount"]) == sorted(found.meets)
    assert list(evaluations["meets_all_targets"]) == [found.meets[n] for n in sorted(found.meets)]
    assert {p.name for p in found.files} == {"capacity.json", "evaluations.csv"}


def test_the_report_command_rewrites_the_report_from_stored_results(swept: Swept, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(swept.out, out)
    for name in ("results.csv", "report.html"):
        (out / name).unlink()
    result = CliRunner().invoke(cli.app, ["scenarios", "report", str(out)])
    assert result.exit_code == ExitCode.OK, result.output
    assert (out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    # The same table, in the run's order (the base first, then the spec's variants): kept in summary.json.
    assert (out / "results.csv").read_bytes() == (swept.out / "results.csv").read_bytes()
    assert [r["variant"] for r in read_results(out)] == [BASE_NAME, *PLANNED[1:6], FAILING, PLANNED[6]]
    # Without summary.json the order is the folders'; the rows are the same.
    for name in ("results.csv", "report.html", "summary.json"):
        (out / name).unlink()
    result = CliRunner().invoke(cli.app, ["scenarios", "report", str(out)])
    assert result.exit_code == ExitCode.OK, result.output
    key = ["variant", "work_type"]
    rewritten = pd.read_csv(out / "results.csv").sort_values(key, na_position="first").reset_index(drop=True)
    original = swept.results().sort_values(key, na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(rewritten, original)
    assert json.loads((out / "summary.json").read_text())["planned"] == len(PLANNED) + 1


def test_the_report_command_on_a_folder_without_results_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["scenarios", "report", str(tmp_path)])
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "holds no variant results" in " ".join(result.stderr.split())
    assert list(tmp_path.iterdir()) == []


def test_a_kept_variant_takes_its_aliases_from_the_spec_of_this_run(swept: Swept, tmp_path: Path) -> None:
    """The first run's base had the grid point `volume.all=1` as an alias; this spec has no grid but a listed
    variant that is the base under another name."""
    out = tmp_path / "out"
    shutil.copytree(swept.out, out)
    spec = write_spec(swept.folder, "variants:\n  - {name: as is, volume: {all: 1.0}}\n", "aliases.yaml")
    run, _ = sweep_into(spec, out, workers=2)
    assert (run.planned, run.kept) == (0, 1)
    assert run.results[0]["same_as"] == ["as is"]
    assert sorted(set(pd.read_csv(out / "results.csv")["variant"])) == sorted([BASE_NAME, "as is"])
    assert read_results(out, [BASE_NAME])[0]["same_as"] == ["as is"]  # stored too, for the report command


def test_a_sweep_stopped_after_one_variant_keeps_it_and_the_rerun_plans_the_rest(swept: Swept, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def stop_after_the_first(event: VariantEvent) -> None:
        if event.status in ("done", "failed"):
            raise KeyboardInterrupt  # as Ctrl-C would, while the others are still planning

    with pytest.raises(KeyboardInterrupt):
        run_scenarios(swept.spec, out, workers=2, on_event=stop_after_the_first)
    stored = list((out / "variants").glob(f"*/{RESULT}"))
    assert len(stored) == 1 and not (out / "results.csv").exists()
    first = json.loads(stored[0].read_text())
    kept = 0 if "error" in first else 1  # a failed variant is planned again
    run, _ = sweep_into(swept.spec, out, workers=2)
    assert (run.kept, run.planned) == (kept, len(PLANNED) + 1 - kept)
    assert (out / "results.csv").read_bytes() == (swept.out / "results.csv").read_bytes()


def test_the_capacity_command_refuses_a_profile_the_centre_lacks(swept: Swept, tmp_path: Path) -> None:
    out = tmp_path / "capacity"
    args = ["--center", str(swept.folder / "center.yaml"), "--forecast", str(swept.folder / "forecast.csv")]
    result = CliRunner().invoke(cli.app, ["scenarios", "capacity", *args, "--out", str(out), "--like", "zz"])
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "--like: no agent zz in the centre" in " ".join(result.stderr.split())
    assert not out.exists()
