"""Inputs that do not belong together are refused before any heavy work (exit 2, naming both inputs and the dates
each covers): a forecast or history of other days than the roster, an assignment moment when nobody is on shift,
a requirement of another week, a previous roster of the plan's own days, a forecast missing a work type, and a
centre whose agents cannot keep their contracts (the same check in wfm validate and wfm roster)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models import FORECAST, REQUIREMENT, ROSTER, Center, InputError, dump_center, write_table
from planner.jobs import run_plan, run_requirements, run_roster, run_simulation
from planner.simulation import SimulationSettings
from tests.roster_helpers import (
    MONDAY,
    SETTINGS,
    TZ,
    Need,
    agent,
    at,
    build_center,
    contract,
    day,
    requirement,
    roster_frame,
    roster_row,
    work_type,
)
from wfm import cli
from wfm.exit_codes import ExitCode

runner = CliRunner()
#: One replication in this process: the figures are not what these tests are about.
ONE = SimulationSettings(1, 0, 1)


def wfm(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def two_queue_center() -> Center:
    return build_center(
        [agent("a", "phone", "sales"), agent("b", "phone", "sales")],
        work_types=[work_type("calls", "phone"), work_type("sales", "sales", priority=2)],
    )


def week_roster(first: date = MONDAY, days: int = 7) -> pd.DataFrame:
    """Agent a early and b late every day of the week from `first`."""
    rows = []
    for d in range(days):
        rows += [roster_row("a", day(d, first), "06:00", "early"), roster_row("b", day(d, first), "14:00", "late")]
    return roster_frame(*rows)


def forecast(center: Center, first: date, days: int = 7, *, volume: float = 4.0, aht: float | None = 300.0):
    """A forecast of every work type of `center`, `volume` contacts an hour from 08:00 to 20:00."""
    grid = center.horizon(first, days).intervals
    hours = np.asarray(grid.tz_convert(TZ).hour)
    frames = []
    for w in center.work_types:
        mean = np.where((hours >= 8) & (hours < 20), volume, 0.0)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": grid,
                    "work_type": w.id,
                    "volume": mean,
                    "volume_p10": mean,
                    "volume_p50": mean,
                    "volume_p90": mean,
                    "aht_s": aht if aht is not None else np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The centre, the roster of the week of MONDAY and the forecast and requirement of that week."""
    center = two_queue_center()
    paths = {
        "center": tmp_path / "center.yaml",
        "roster": tmp_path / "roster.csv",
        "forecast": tmp_path / "forecast.csv",
        "requirement": tmp_path / "requirement.csv",
    }
    paths["center"].write_text(dump_center(center))
    write_table(week_roster(), ROSTER, paths["roster"])
    write_table(forecast(center, MONDAY), FORECAST, paths["forecast"])
    write_table(requirement(center, [Need("calls", 0, "08:00", "12:00")]), REQUIREMENT, paths["requirement"])
    return paths


# -- simulate ---------------------------------------------------------------------------------------------------


def test_simulating_a_forecast_of_another_week_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "next-week.csv"
    write_table(forecast(two_queue_center(), day(7)), FORECAST, other)
    out = tmp_path / "sim"
    code, _, stderr = wfm(
        "simulate", "--roster", files["roster"], "--center", files["center"], "--forecast", other,
        "--replications", "1", "--workers", "1", "--out", out,
    )  # fmt: skip
    assert code == ExitCode.BAD_INPUT, stderr
    text = " ".join(stderr.split())
    assert "2026-06-08..2026-06-14" in text and "2026-06-01..2026-06-07" in text and "no day in common" in text
    assert "Fix:" in text
    assert not out.exists()


def test_a_forecast_partly_outside_the_roster_simulates_the_common_days_with_a_note(
    files: dict[str, Path], tmp_path: Path
) -> None:
    shifted = tmp_path / "shifted.csv"
    write_table(forecast(two_queue_center(), day(3)), FORECAST, shifted)  # Thursday to the next Wednesday
    job = run_simulation(files["roster"], files["center"], tmp_path / "sim", forecast=shifted, settings=ONE)
    simulated_days = set(pd.to_datetime(job.result.intervals["interval_start"], utc=True).dt.tz_convert(TZ).dt.date)
    assert simulated_days == {day(d) for d in range(3, 7)}
    assert any("2026-06-08..2026-06-10" in note and "not simulated" in note for note in job.notes), job.notes


def test_a_forecast_whose_common_days_have_no_shift_is_refused(tmp_path: Path) -> None:
    center = two_queue_center()
    roster_path, forecast_path = tmp_path / "roster.csv", tmp_path / "forecast.csv"
    write_table(week_roster(days=5), ROSTER, roster_path)  # Monday to Friday: its week still runs to Sunday
    write_table(forecast(center, day(5), days=7), FORECAST, forecast_path)  # Saturday to the next Friday
    (tmp_path / "center.yaml").write_text(dump_center(center))
    with pytest.raises(InputError, match="none on the days both cover"):
        run_simulation(roster_path, tmp_path / "center.yaml", tmp_path / "sim", forecast=forecast_path, settings=ONE)
    assert not (tmp_path / "sim").exists()


def test_replaying_a_history_of_other_days_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    stamps = [at(day(d), "10:00") for d in (-14, -13, -12)]
    pd.DataFrame({"created_at": [s.isoformat() for s in stamps], "work_type": "calls", "handle_time_s": 300}).to_csv(
        history, index=False
    )
    out = tmp_path / "sim"
    code, _, stderr = wfm(
        "simulate", "--roster", files["roster"], "--center", files["center"], "--replay", history,
        "--replications", "1", "--workers", "1", "--out", out,
    )  # fmt: skip
    assert code == ExitCode.BAD_INPUT, stderr
    text = " ".join(stderr.split())
    assert "2026-05-18..2026-05-20" in text and "2026-06-01..2026-06-07" in text
    assert not out.exists()


# -- assign -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-06-02T03:00", "nobody is on shift at --at 2026-06-02 03:00"),  # at night: shifts 06:00-22:00
        ("2026-06-20T10:00", "outside the roster's shifts (2026-06-01 06:00..2026-06-07 22:00)"),
    ],
)
def test_assigning_when_nobody_is_on_shift_is_refused(
    files: dict[str, Path], tmp_path: Path, moment: str, expected: str
) -> None:
    tickets = tmp_path / "open.csv"
    tickets.write_text(f"ticket_id,work_type,created_at\nt1,calls,{at(day(1), '02:00').isoformat()}\n")
    out = tmp_path / "assignment.csv"
    code, _, stderr = wfm(
        "assign", "--tickets", tickets, "--roster", files["roster"], "--center", files["center"],
        "--at", moment, "--time-limit", "1", "--out", out,
    )  # fmt: skip
    assert code == ExitCode.BAD_INPUT, stderr
    text = " ".join(stderr.split())
    assert expected in text and "Fix:" in text
    assert not out.exists()


def test_the_nearest_shifts_are_named_when_nobody_is_on(files: dict[str, Path], tmp_path: Path) -> None:
    tickets = tmp_path / "open.csv"
    tickets.write_text(f"ticket_id,work_type,created_at\nt1,calls,{at(day(1), '02:00').isoformat()}\n")
    code, _, stderr = wfm(
        "assign", "--tickets", tickets, "--roster", files["roster"], "--center", files["center"],
        "--at", "2026-06-02T03:00", "--out", tmp_path / "a.csv",
    )  # fmt: skip
    text = " ".join(stderr.split())
    assert code == ExitCode.BAD_INPUT
    assert "ends 2026-06-01 22:00 (b)" in text and "starts 2026-06-02 06:00 (a)" in text


# -- check-roster and the previous roster -----------------------------------------------------------------------


def test_check_roster_against_another_weeks_requirement_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "requirement-next-week.csv"
    write_table(requirement(two_queue_center(), [], first=day(7)), REQUIREMENT, other)
    code, stdout, stderr = wfm(
        "check-roster", "--roster", files["roster"], "--center", files["center"], "--requirement", other
    )
    assert code == ExitCode.BAD_INPUT, stdout + stderr
    text = " ".join(stderr.split())
    assert "2026-06-01..2026-06-07" in text and "2026-06-08..2026-06-14" in text and "no day in common" in text
    assert stdout.count("\n") < 5


def test_a_previous_roster_of_the_plan_week_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    args = ["--roster", files["roster"], "--center", files["center"], "--requirement", files["requirement"]]
    code, _, stderr = wfm("check-roster", *args, "--previous", files["roster"])
    assert code == ExitCode.BAD_INPUT
    assert "inside the plan's days (2026-06-01..2026-06-07)" in " ".join(stderr.split())
    out = tmp_path / "roster"
    with pytest.raises(InputError, match="previous roster holds the shifts before the plan"):
        run_roster(files["requirement"], files["center"], out, settings=SETTINGS, previous=files["roster"])
    assert not out.exists()


def test_a_previous_roster_overlapping_the_plan_is_refused_before_forecasting(
    files: dict[str, Path], tmp_path: Path
) -> None:
    history = tmp_path / "history.csv"
    stamps = [at(day(d), f"{h:02d}:00") for d in range(-21, 0) for h in (9, 12, 15)]
    pd.DataFrame({"created_at": [s.isoformat() for s in stamps], "work_type": "calls"}).to_csv(history, index=False)
    overlapping = tmp_path / "previous.csv"
    write_table(week_roster(first=day(-3)), ROSTER, overlapping)  # Friday to Thursday: 4 days inside the plan
    out = tmp_path / "plan"
    with pytest.raises(InputError, match=r"2026-06-01\.\.2026-06-04, inside the plan's days"):
        run_plan(history, files["center"], out, start=MONDAY, previous=overlapping)
    assert not out.exists()


# -- requirements -----------------------------------------------------------------------------------------------


def test_a_forecast_missing_a_work_type_of_the_centre_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    partial = tmp_path / "calls-only.csv"
    table = forecast(two_queue_center(), MONDAY)
    write_table(table[table["work_type"] == "calls"], FORECAST, partial)
    out = tmp_path / "calls-requirement.csv"
    code, _, stderr = wfm("requirements", "--forecast", partial, "--center", files["center"], "--out", out)
    assert code == ExitCode.BAD_INPUT, stderr
    text = " ".join(stderr.split())
    assert "has no rows for the centre's work type(s) sales" in text and "Fix:" in text
    assert not out.exists()


def test_a_requirement_missing_a_work_type_of_the_centre_is_refused_by_the_roster(
    files: dict[str, Path], tmp_path: Path
) -> None:
    partial = tmp_path / "calls-only-requirement.csv"
    table = requirement(two_queue_center(), [Need("calls", 0, "08:00", "12:00")])
    write_table(table[table["work_type"] == "calls"], REQUIREMENT, partial)
    out = tmp_path / "roster"
    code, _, stderr = wfm("roster", "--requirement", partial, "--center", files["center"], "--out", out)
    assert code == ExitCode.BAD_INPUT, stderr
    text = " ".join(stderr.split())
    assert f"{partial}: column 'work_type': has no rows for the centre's work type(s) sales" in text
    assert "Fix: compute the requirement from a forecast of every work type" in text
    assert not out.exists()


def test_the_requirement_says_where_each_handle_time_came_from(files: dict[str, Path], tmp_path: Path) -> None:
    center = two_queue_center()
    table = forecast(center, MONDAY, aht=240.0)
    table.loc[table["work_type"] == "sales", "aht_s"] = np.nan
    mixed = tmp_path / "mixed.csv"
    write_table(table, FORECAST, mixed)
    code, stdout, stderr = wfm(
        "requirements", "--forecast", mixed, "--center", files["center"], "--out", tmp_path / "r.csv"
    )
    assert code == ExitCode.OK, stderr
    text = " ".join((stdout + stderr).split())
    assert "calls: handle time from the forecast (mean 240 s); the centre's aht_s (300 s) is not used" in text
    assert "sales: handle time from the centre's aht_s (300 s); the forecast gives none" in text
    job = run_requirements(mixed, center, tmp_path / "again.csv")
    assert len([note for note in job.notes if "handle time" in note]) == 2


def test_a_forecast_carrying_the_centres_handle_time_is_said_to_use_the_centres(files: dict[str, Path]) -> None:
    """The forecast of a history without handle times carries the centre's aht_s: the note says the centre's is
    used, not that it is ignored in favour of the forecast's."""
    center = two_queue_center()
    job = run_requirements(files["forecast"], center, files["forecast"].parent / "r.csv")
    for kind in center.work_types:
        said = f"{kind.id}: handle time from the centre's aht_s ({kind.aht_s:.0f} s), which the forecast carries"
        assert said in job.notes
    assert not [note for note in job.notes if "is not used" in note]


# -- a centre whose agents cannot keep their contracts ----------------------------------------------------------


def test_validate_refuses_the_centre_the_roster_refuses_naming_the_line(tmp_path: Path) -> None:
    weekly = contract("weekly", min_paid_minutes_week=5 * 480, max_paid_minutes_week=5 * 480, max_working_days=5)
    only_mondays = [{"weekday": "mon", "start_minute": "06:00", "end_minute": "22:00"}]
    center = build_center(
        [agent("a"), agent("b", contract="weekly", availability=only_mondays)], contracts=[contract(), weekly]
    )
    path = tmp_path / "center.yaml"
    path.write_text(dump_center(center))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), start=1) if "availability:" in text)
    expected = f"line {line}, agents[1].availability: rule weekly_paid_minutes: agent 'b'"
    code, _, stderr = wfm("validate", "--center", path, "--start", "2026-06-01")
    assert code == ExitCode.BAD_INPUT, stderr
    assert expected in " ".join(stderr.split())
    needs = tmp_path / "requirement.csv"
    write_table(requirement(center, [Need("calls", 0, "08:00", "12:00")]), REQUIREMENT, needs)
    with pytest.raises(InputError) as refused:
        run_roster(needs, path, tmp_path / "roster", settings=SETTINGS)
    assert refused.value.source == str(path) and expected in str(refused.value)
    assert not (tmp_path / "roster").exists()


def test_validate_names_the_week_it_checked_the_centre_for(files: dict[str, Path]) -> None:
    code, stdout, stderr = wfm("validate", "--center", files["center"], "--start", "2026-06-01", "--days", "14")
    assert code == ExitCode.OK, stderr
    assert re.search(r"roster rules checked for 2026-06-01\.\.2026-06-14", " ".join(stdout.split()))
