"""Run control: Ctrl-C stops a roster or a plan with the best roster so far (exit 130), a second Ctrl-C quits at
once, and `--time-limit` is a deadline that every phase of the solve shares.

The Ctrl-C tests run the real command in a subprocess and send it SIGINT once it has printed its first roster;
the bounds on how long it then takes are correctness bounds (a stop that works takes seconds; one that does not
runs to the 120-s limit), not benchmarks: timings are in benchmarks/time_limit.py.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ortools.sat.python import cp_model
from typer.testing import CliRunner

from models import FORECAST, REQUIREMENT, Center, load_center, read_table
from planner.cpsat import apply_common, stop_all_searches
from planner.cpsat import solve as cpsat_solve
from planner.jobs import plan_forecast
from planner.loop import LoopInterrupted, LoopSettings, plan_with_simulation
from planner.roster import Progress, RosterSettings, check_roster_files, solve_roster, validate_roster
from planner.roster import solver as roster_solver
from planner.roster.breaks import SKIPPED
from planner.roster.heuristic import greedy_roster
from planner.roster.problem import build_problem
from planner.runtime import Cancellation, Interrupted
from scenarios.demo import run_demo
from scenarios.generator import GeneratorSettings
from tests.roster_helpers import Need, agent, build_center, contract, requirement, template
from wfm import cli, commands
from wfm.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parent.parent
#: A limit no test waits for: reaching it means Ctrl-C did not stop the solve.
LONG_LIMIT_S = 120.0
#: Seconds a stopped command may take from Ctrl-C to its exit (stop, breaks, validation, writing) on a loaded
#: two-core machine: far below LONG_LIMIT_S, far above the second or two it takes.
STOP_BOUND_S = 20.0
#: Seconds to wait for the first roster of the S centre (about 5 s on two cores).
FIRST_ROSTER_WAIT_S = 90.0
PROGRESS_LINE = re.compile(r"^\s+[\d.]+ s\s+objective")


@pytest.fixture(scope="module")
def small_centre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The S demo centre (20 agents; its week is not solved to optimality in minutes) with its forecast and
    requirement."""
    folder = tmp_path_factory.mktemp("centre")
    run_demo(GeneratorSettings(size="S", seed=0, history_weeks=3), folder)
    return folder


class _Command:
    """`wfm ARGS` in a subprocess, its output read as it comes, with Ctrl-C's default action as from a terminal:
    a test run started in the background (`nohup`, `&` in a script) ignores SIGINT, and a command started with
    SIGINT ignored keeps it so (wfm/core.py), which would leave these tests nothing to interrupt."""

    def __init__(self, *args: str | Path) -> None:
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        if ignored:  # the child inherits "ignored" only: any handler here gives it the default
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wfm", *(str(a) for a in args)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        finally:
            if ignored:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, True), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: object, into: list[str], forward: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)
            if forward:
                self.lines.put(line)

    def wait_for_first_roster(self) -> None:
        waited_until = time.monotonic() + FIRST_ROSTER_WAIT_S
        while time.monotonic() < waited_until:
            try:
                line = self.lines.get(timeout=1.0)
            except queue.Empty:
                assert self.process.poll() is None, f"the command ended early:\n{''.join(self.stderr)}"
                continue
            if PROGRESS_LINE.match(line):
                return
        raise AssertionError(f"no roster within {FIRST_ROSTER_WAIT_S} s:\n{''.join(self.stderr)}")

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """Teardown: kill the process by its id if it still runs, and close its pipes."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def command() -> Iterator[list[_Command]]:
    started: list[_Command] = []
    yield started
    for each in started:
        each.kill()


def _roster_args(centre: Path, out: Path) -> list[str | Path]:
    return [
        "roster", "--requirement", centre / "requirement.csv", "--center", centre / "center.yaml",
        "--time-limit", str(LONG_LIMIT_S), "--workers", "2", "--out", out,
    ]  # fmt: skip


def test_ctrl_c_during_the_roster_search_writes_the_best_roster_and_exits_130(
    small_centre: Path, tmp_path: Path, command: list[_Command]
) -> None:
    out = tmp_path / "out"
    run = _Command(*_roster_args(small_centre, out))
    command.append(run)
    run.wait_for_first_roster()
    run.interrupt()
    signalled = time.monotonic()
    code = run.wait(timeout=STOP_BOUND_S + 10)
    took = time.monotonic() - signalled
    stderr = "".join(run.stderr)
    assert code == ExitCode.INTERRUPTED, stderr
    assert took < STOP_BOUND_S, f"took {took:.1f} s from Ctrl-C to exit"
    assert "interrupted: best roster so far" in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert any(note.startswith("interrupted: best roster so far") for note in summary["notes"])
    check = check_roster_files(
        out / "roster.csv",
        small_centre / "center.yaml",
        small_centre / "requirement.csv",
        coverage=out / "coverage.csv",
    )
    assert check.valid, check.violations[:3]
    assert check.shifts > 0


def test_a_second_ctrl_c_quits_at_once(small_centre: Path, tmp_path: Path, command: list[_Command]) -> None:
    run = _Command(*_roster_args(small_centre, tmp_path / "out"))
    command.append(run)
    run.wait_for_first_roster()
    run.interrupt()
    time.sleep(0.05)
    run.interrupt()
    code = run.wait(timeout=STOP_BOUND_S + 10)
    assert code == ExitCode.INTERRUPTED
    assert "interrupted again: quitting at once" in "".join(run.stderr)
    assert not list((tmp_path / "out").rglob("*.tmp"))  # no half-written file left


# -- in process: the token honoured by each part ------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_inputs(small_centre: Path) -> tuple[Center, object, object]:
    center = load_center(small_centre / "center.yaml")
    requirement = read_table(small_centre / "requirement.csv", REQUIREMENT, timezone=center.timezone)
    forecast = read_table(small_centre / "forecast.csv", FORECAST, timezone=center.timezone)
    return center, requirement, forecast


def _cancel_at_first_roster(cancel: Cancellation) -> object:
    def on_progress(_: Progress) -> None:
        cancel.cancel()

    return on_progress


def test_a_cancelled_solve_returns_its_best_roster_valid_and_says_so(small_inputs: tuple) -> None:
    """Cancelled at its first roster (the warm start's first completion of the greedy roster): the warm start, the
    search and the break placement stop, and the roster so far comes back, marked interrupted, valid."""
    center, requirement, _ = small_inputs
    cancel = Cancellation()
    settings = RosterSettings(time_limit_s=LONG_LIMIT_S, workers=2, cancel=cancel)
    result = solve_roster(requirement, center, settings, on_progress=_cancel_at_first_roster(cancel))
    assert result.interrupted
    assert result.notes[0].startswith("interrupted: best roster so far")
    assert cancel.cancelled_at is not None and time.monotonic() - cancel.cancelled_at < STOP_BOUND_S
    assert set(result.break_statuses) == {SKIPPED}  # every day kept the breaks at the middle of their windows
    horizon = center.horizon_covering(requirement["interval_start"])
    assert validate_roster(result.roster, center, horizon, coverage=result.coverage) == []


def test_a_solve_cancelled_before_any_roster_raises_interrupted(small_inputs: tuple) -> None:
    center, requirement, _ = small_inputs
    cancel = Cancellation()
    cancel.cancel()
    with pytest.raises(Interrupted, match="before a roster was found"):
        solve_roster(requirement, center, RosterSettings(time_limit_s=LONG_LIMIT_S, cancel=cancel))
    assert greedy_roster(build_problem(requirement, center), cancel=cancel) == {}


def test_the_loop_cancelled_in_its_first_solve_hands_back_that_roster(small_inputs: tuple) -> None:
    center, _, forecast = small_inputs
    cancel = Cancellation()
    settings = RosterSettings(time_limit_s=LONG_LIMIT_S, workers=2, cancel=cancel)
    with pytest.raises(LoopInterrupted) as caught:
        plan_with_simulation(
            forecast, center, roster=settings, settings=LoopSettings(), on_progress=_cancel_at_first_roster(cancel)
        )
    assert caught.value.roster.interrupted
    assert not caught.value.roster.roster.empty


def test_a_cancelled_plan_writes_its_best_roster_and_lists_the_files(small_inputs: tuple, tmp_path: Path) -> None:
    center, _, forecast = small_inputs
    cancel = Cancellation()
    settings = RosterSettings(time_limit_s=LONG_LIMIT_S, workers=2, cancel=cancel)
    with pytest.raises(Interrupted) as caught:
        plan_forecast(forecast, center, tmp_path, settings=settings, on_progress=_cancel_at_first_roster(cancel))
    written = {Path(str(p)).name for p in caught.value.files}
    assert {"roster.csv", "summary.json", "requirement.csv", "report.html"} <= written
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert "Left out: the run was stopped by Ctrl-C" in (tmp_path / "report.html").read_text(encoding="utf-8")
    check = check_roster_files(tmp_path / "roster.csv", center, tmp_path / "requirement.csv")
    assert check.valid, check.violations[:3]


def test_cancellation_stops_running_and_late_activities() -> None:
    cancel = Cancellation()
    calls: list[str] = []
    with cancel.stopping(lambda: calls.append("early")):
        cancel.cancel()
        assert calls[:1] == ["early"]
    with cancel.stopping(lambda: calls.append("late")):
        assert "late" in calls  # registered after the cancel: stopped at once
    assert cancel.cancelled


def test_cp_sat_leaves_ctrl_c_to_the_planner() -> None:
    """CP-SAT's own SIGINT handler would stop one search only and leave SIGINT at the system default after."""
    solver = cp_model.CpSolver()
    assert solver.parameters.catch_sigint_signal  # CP-SAT's default
    apply_common(solver, limit_s=1.0, workers=1, seed=0, relative_gap=0.0, deterministic=False)
    assert not solver.parameters.catch_sigint_signal


# -- the time limit as a deadline ----------------------------------------------------------------------------------


def _recorded_limits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    limits: list[float] = []
    original = roster_solver.apply_settings

    def recording(solver: cp_model.CpSolver, settings: RosterSettings, time_limit_s: float | None = None) -> None:
        original(solver, settings, time_limit_s)
        limits.append(settings.time_limit_s if time_limit_s is None else time_limit_s)

    monkeypatch.setattr(roster_solver, "apply_settings", recording)
    return limits


def _recorded_phases(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float, float]]:
    """Every CP-SAT limit the roster solve sets, as (phase, when, seconds): "breaks" for the break placement's
    solves, "before breaks" for the warm start's and the search's."""
    phases: list[tuple[str, float, float]] = []
    phase = ["before breaks"]
    original_settings, original_breaks = roster_solver.apply_settings, roster_solver.place_breaks

    def recording(solver: cp_model.CpSolver, settings: RosterSettings, time_limit_s: float | None = None) -> None:
        original_settings(solver, settings, time_limit_s)
        phases.append((phase[0], time.monotonic(), settings.time_limit_s if time_limit_s is None else time_limit_s))

    def breaks(*args: Any, **kwargs: Any) -> Any:
        phase[0] = "breaks"
        return original_breaks(*args, **kwargs)

    monkeypatch.setattr(roster_solver, "apply_settings", recording)
    monkeypatch.setattr(roster_solver, "place_breaks", breaks)
    return phases


def _assert_every_phase_ends_in_time(phases: list[tuple[str, float, float]], end: float) -> None:
    """Each solve's limit, from the moment it was set, leaves the break placement's limits after it before `end`
    (the warm start and the search the whole placement's, each day's the later days')."""
    assert [p for p, _, _ in phases].count("before breaks") >= 2  # the warm start and the search
    assert "breaks" in [p for p, _, _ in phases]  # at least one day's break placement
    for index, (phase, when, limit) in enumerate(phases):
        later_breaks = sum(seconds for p, _, seconds in phases[index + 1 :] if p == "breaks")
        assert when + limit + later_breaks <= end, (phase, index, [(p, w - when, s) for p, w, s in phases])


def _lunch_centre() -> tuple[Center, object]:
    """Three agents, a day shift with a lunch to place, two agents wanted 08:00-16:00 all week: solved in a blink,
    its warm start always finds its first roster within its share, however loaded the machine."""
    lunch = {"name": "lunch", "duration_minutes": 60, "earliest_start_minutes": 180, "latest_start_minutes": 300}
    center = build_center(
        [agent("a"), agent("b"), agent("c")],
        contracts=[contract(shift_templates=["day"])],
        templates=[template("day", "06:00", latest="10:00", breaks=[lunch])],
    )
    return center, requirement(center, [Need("calls", d, "08:00", "16:00", 2) for d in range(7)])


def test_the_phases_share_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm start, the search and every day's break placement together stay within the limit: each solve's
    CP-SAT limit, from when it starts, leaves the break placement's time after it before the end. Before, the search
    alone had the whole limit less the warm start, and the breaks came on top. (A centre whose warm start is quick:
    one that finds nothing in its share takes its first completion whatever the limit, by design.)"""
    center, needs = _lunch_centre()
    phases = _recorded_phases(monkeypatch)
    limit = 6.0
    began = time.monotonic()
    solve_roster(needs, center, RosterSettings(time_limit_s=limit, workers=2))
    _assert_every_phase_ends_in_time(phases, began + limit)


def test_a_deadline_bounds_the_solve_below_its_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    center, needs = _lunch_centre()
    phases = _recorded_phases(monkeypatch)
    deadline = time.monotonic() + 6.0
    solve_roster(needs, center, RosterSettings(time_limit_s=LONG_LIMIT_S, workers=2, deadline=deadline))
    _assert_every_phase_ends_in_time(phases, deadline)


def test_deterministic_limits_do_not_depend_on_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic mode counts CP-SAT's deterministic time only: a slow machine (here a wall clock that jumps
    1,000 s at every reading) gives the same limits, so the same roster. Before, the search got the limit less
    the wall seconds since the start (at least 1)."""
    center = build_center([agent("a"), agent("b")])
    needs = requirement(center, [Need("calls", d, "06:00", "22:00", 1) for d in range(7)])
    settings = RosterSettings(time_limit_s=4.0, workers=2, deterministic=True)
    limits = _recorded_limits(monkeypatch)
    first = solve_roster(needs, center, settings)
    normal = list(limits)
    limits.clear()
    real = time.monotonic
    offset = [0.0]

    def jumping() -> float:
        offset[0] += 1000.0
        return real() + offset[0]

    monkeypatch.setattr(roster_solver.time, "monotonic", jumping)
    monkeypatch.setattr(roster_solver.time, "perf_counter", jumping)
    second = solve_roster(needs, center, settings)
    assert limits == normal
    assert first.roster.equals(second.roster)


def test_an_interrupted_plan_exits_130_listing_what_it_wrote(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise Interrupted(
            "best roster so far (the loop's)", [tmp_path / "roster.csv", tmp_path / "calendars" / "a.ics"]
        )

    monkeypatch.setattr(commands.roster, "run_plan", interrupted)
    result = CliRunner().invoke(
        cli.app, ["plan", "--history", "h.csv", "--center", "c.yaml", "--start", "2026-03-23", "--out", str(tmp_path)]
    )
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "interrupted: best roster so far (the loop's)" in result.stderr
    assert f"Wrote: {tmp_path / 'roster.csv'}, and 1 calendars" in result.stderr


def test_stop_all_searches_stops_a_search_no_token_watches() -> None:
    """`wfm assign` and the like have no Cancellation: Ctrl-C stops their running search this way, so that the main
    thread gets back to Python (where the interrupt is raised) instead of waiting for the time limit."""
    model = cp_model.CpModel()
    xs = [model.new_int_var(0, 100, f"x{i}") for i in range(60)]
    for i in range(59):
        model.add(xs[i] + xs[i + 1] <= 100 + i % 7)
    model.add_all_different(xs[:50])
    model.maximize(sum((i % 13) * x for i, x in enumerate(xs)))
    solver = cp_model.CpSolver()
    apply_common(solver, limit_s=LONG_LIMIT_S, workers=2, seed=0, relative_gap=0.0, deterministic=False)
    outcome: list[object] = []
    search = threading.Thread(target=lambda: outcome.append(cpsat_solve(solver, model)))
    search.start()
    while not stop_all_searches() and search.is_alive():
        time.sleep(0.05)
    search.join(timeout=STOP_BOUND_S)
    assert not search.is_alive(), "the search was not stopped"
    assert outcome and outcome[0] in (cp_model.FEASIBLE, cp_model.OPTIMAL, cp_model.UNKNOWN)
