"""Outputs: every command that writes checks its output path before any work (exit 2, nothing done), and a
re-run into the same folder leaves none of the last run's files that this run did not write."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from models.io import discard_staged_files, text_writer, write_files
from planner import jobs
from planner.jobs import write_roster
from planner.roster import solve_roster
from scenarios import demo
from tests.roster_helpers import SETTINGS, Need, agent, build_center, requirement
from wfm import cli, commands
from wfm.exit_codes import ExitCode

runner = CliRunner()


def _forbid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any real work fails the test: the output check must come first."""

    def called(*_: Any, **__: Any) -> None:
        raise AssertionError("work started before the output path was checked")

    job_modules = [importlib.import_module(f"{jobs.__name__}.{m.name}") for m in pkgutil.iter_modules(jobs.__path__)]
    for module in job_modules:
        for name in ("load_center", "read_table", "read_history", "load_forecast_inputs"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, called)
    for module, name in [(commands.forecast, "load_forecast_inputs"), (demo, "generate")]:
        monkeypatch.setattr(module, name, called)


@pytest.mark.parametrize(
    ("command", "out_kind"),
    [
        (["roster", "--requirement", "r.csv", "--center", "c.yaml"], "file"),
        (["plan", "--history", "h.csv", "--center", "c.yaml", "--start", "2026-03-23"], "file"),
        (["simulate", "--roster", "r.csv", "--center", "c.yaml", "--forecast", "f.csv"], "file"),
        (["demo"], "file"),
        (["forecast", "--history", "h.csv"], "folder"),
        (["backtest", "--history", "h.csv"], "folder"),
        (["requirements", "--forecast", "f.csv", "--center", "c.yaml"], "folder"),
        (
            ["assign", "--tickets", "t.csv", "--roster", "r.csv", "--center", "c.yaml", "--at", "2026-03-24T10:00"],
            "folder",
        ),
    ],  # fmt: skip
)
def test_an_output_path_that_cannot_be_written_is_bad_input_before_any_work(
    command: list[str], out_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command writing into a folder given an existing file (and one writing a file given a folder) exits 2 at
    once, saying what is wrong with --out; before, the roster failed after its whole solve with an internal error."""
    _forbid(monkeypatch)
    if out_kind == "file":
        out = tmp_path / "taken.csv"
        out.write_text("mine\n")
        expected = "is a file, not a folder"
    else:
        out = tmp_path / "taken.csv"
        out.mkdir()
        expected = "is a folder"
    result = runner.invoke(cli.app, [*command, "--out", str(out)])
    assert result.exit_code == ExitCode.BAD_INPUT, result.stderr
    assert "--out" in result.stderr and expected in result.stderr
    if out_kind == "file":
        assert out.read_text() == "mine\n"


def test_an_output_under_a_file_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid(monkeypatch)
    (tmp_path / "plain").write_text("x")
    result = runner.invoke(
        cli.app, ["roster", "--requirement", "r.csv", "--center", "c.yaml", "--out", str(tmp_path / "plain" / "out")]
    )
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "is a file, not a folder" in result.stderr


def test_a_table_output_with_an_unknown_suffix_is_bad_input_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid(monkeypatch)
    result = runner.invoke(cli.app, ["forecast", "--history", "h.csv", "--out", str(tmp_path / "forecast.xlsx")])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "not a table format" in result.stderr


def test_write_files_removes_the_stale_files_it_is_given_and_only_those(tmp_path: Path) -> None:
    kept, stale, unrelated = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    for path in (kept, stale, unrelated):
        path.write_text("old")
    write_files({kept: text_writer("new")}, stale=[kept, stale, tmp_path / "never-there.txt"])
    assert kept.read_text() == "new"
    assert not stale.exists()
    assert unrelated.read_text() == "old"


def test_a_republished_roster_removes_the_calendars_of_agents_no_longer_rostered(tmp_path: Path) -> None:
    """Two agents, then one: the second run leaves one calendar; a user's own calendar and notes stay."""
    needs = [Need("calls", 0, "06:00", "14:00", 1), Need("calls", 1, "06:00", "14:00", 1)]
    both = build_center([agent("a"), agent("b")])
    first = solve_roster(requirement(both, needs), both, SETTINGS)
    write_roster(first, requirement(both, needs), both, tmp_path)
    calendars = tmp_path / "calendars"
    assert {p.name for p in calendars.glob("*.ics")} == {f"{a}.ics" for a in first.roster["agent_id"].unique()}
    (calendars / "team-holidays.ics").write_text("BEGIN:VCALENDAR\nPRODID:-//someone else//EN\nEND:VCALENDAR\n")
    (calendars / "notes.txt").write_text("mine")
    one = build_center([agent("a")])
    second = solve_roster(requirement(one, needs), one, SETTINGS)
    write_roster(second, requirement(one, needs), one, tmp_path)
    assert sorted(p.name for p in calendars.iterdir()) == ["a.ics", "notes.txt", "team-holidays.ics"]


def test_discard_staged_files_removes_the_writes_under_way(tmp_path: Path) -> None:
    """What a second Ctrl-C calls before exiting at once: no half-written temporary file is left."""
    left: list[list[str]] = []

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half")
        discard_staged_files()
        left.append([p.name for p in tmp_path.iterdir()])
        raise RuntimeError("the process would exit here")

    with pytest.raises(RuntimeError):
        write_files({tmp_path / "roster.csv": interrupted})
    assert left == [[]]
