"""The jobs behind the `wfm` commands (forecast, backtest, requirements, roster, plan): read and check the inputs,
run, write the outputs (all of a job's files or none).

A user with only a history file gets a forecast: without a centre, work types come from the data, the time zone
from `timezone` (UTC when not given, and said so) and public holidays from `country`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd

from forecasting import (
    BacktestResult,
    ForecastResult,
    ForecastSettings,
    HourlyHistory,
    SpecialCalendar,
    aggregate,
    backtest,
    forecast_centre,
    last_weekly_origins,
)
from models import (
    BACKTEST_METRICS,
    FORECAST,
    REQUIREMENT,
    Center,
    History,
    HistoryFormat,
    InputError,
    Problem,
    SolverError,
    load_center,
    read_history,
    read_table,
)
from models.horizon import Horizon
from models.io import check_output_file, check_output_folder, table_writer, text_writer, write_files
from models.tables import AGENT_QUALITY, ASSIGNMENT, COVERAGE, OPEN_TICKETS, ROSTER, TableSchema
from planner.assign import AssignResult, AssignSettings, assign, build_assign_problem
from planner.diagnosis import Diagnosis, DiagnosisSettings, diagnose
from planner.inputs import check_center_for_roster, locate_conflicts
from planner.kpis import KpiResult, compute_kpis
from planner.loop import Iteration, LoopInterrupted, LoopResult, LoopSettings, plan_with_simulation
from planner.matching import (
    check_forecast_work_types,
    check_previous_roster,
    check_replay_overlaps_roster,
    check_someone_on_shift,
    handle_time_sources,
    match_forecast_to_roster,
)
from planner.reports import ReportSections, plan_sections
from planner.roster import (
    Progress,
    RosterResult,
    RosterSettings,
    agent_calendars,
    own_calendars,
    plot_coverage,
    plot_gantt,
    roster_report_html,
    solve_roster,
    validate_roster,
)
from planner.roster.solver import INTERRUPTED_NOTE
from planner.runtime import Interrupted, honouring
from planner.simulation import (
    Draws,
    PlannedAssignment,
    RoutingPolicy,
    SimulationResult,
    SimulationSettings,
    SimulationState,
    build_scenario,
    forecast_demand,
    replay_demand,
    simulate,
    state_from_history,
)
from planner.staffing import StaffingSettings, opening_hours_notes, requirement_table

__all__ = [
    "AssignJob",
    "BacktestJob",
    "ForecastInputs",
    "ForecastJob",
    "KpiJob",
    "PlanJob",
    "PlanStages",
    "RequirementJob",
    "RosterJob",
    "SimulationJob",
    "load_forecast_inputs",
    "load_history",
    "parse_origins",
    "plan_forecast",
    "promised_levels",
    "replay_horizon",
    "run_assign",
    "run_backtest",
    "run_forecast",
    "run_kpis",
    "run_plan",
    "run_requirements",
    "run_roster",
    "run_simulation",
    "simulate_roster",
    "write_roster",
]

DEFAULT_TIMEZONE = "UTC"
#: Replications of the check simulation of a plan in `wfm plan` / `wfm demo` (a week of M takes ~0.4 s each).
PLAN_REPLICATIONS = 10


@dataclass(frozen=True)
class ForecastInputs:
    history: History
    center: Center | None
    hourly: HourlyHistory
    calendar: SpecialCalendar | None
    timezone: str
    notes: list[str] = field(default_factory=list)
    #: What looks wrong in the history but was kept (`History.alerts`), for the caller to show.
    warnings: list[str] = field(default_factory=list)


def load_history(
    path: str | Path, center: Center | None = None, *, timezone: str | None = None, fmt: HistoryFormat | None = None
) -> History:
    """The one way the jobs read a history file (forecast, backtest, plan, a simulation's replay, validate):
    laid out as `fmt` says, checked against `center` when given, in its zone (else `timezone`)."""
    return read_history(path, center=center, timezone=timezone, fmt=fmt or HistoryFormat())


def load_forecast_inputs(
    history_path: str | Path,
    center_path: str | Path | Center | None = None,
    *,
    timezone: str | None = None,
    country: str | None = None,
    fmt: HistoryFormat | None = None,
) -> ForecastInputs:
    """Read the history (`load_history`, checked against the centre if one is given) and aggregate it to hours."""
    notes = []
    if isinstance(center_path, Center) or center_path is None:
        center = center_path
    else:
        center = load_center(center_path)
    if center is not None and (timezone or country):
        raise InputError(
            "wfm", Problem("--tz/--country", "given together with --center", "the centre sets both; drop the flags")
        )
    if center is None and timezone is None:
        timezone = DEFAULT_TIMEZONE
        notes.append(f"no --center or --tz: the forecast is in {DEFAULT_TIMEZONE}")
    history = load_history(history_path, center, timezone=timezone, fmt=fmt)
    notes += history.remarks
    zone = center.timezone if center is not None else str(timezone)
    work_types = [w.id for w in center.work_types] if center is not None else None
    hourly = aggregate(history, zone, work_types)
    if center is not None:
        calendar: SpecialCalendar | None = SpecialCalendar.of_center(center)
    else:
        calendar = SpecialCalendar(country=country) if country else None
    days = len(hourly.counts) / 24
    if days < 14:
        raise InputError(
            str(history_path),
            Problem("", f"holds {days:.0f} days of history; forecasting needs at least two weeks", "give more history"),
        )
    return ForecastInputs(history, center, hourly, calendar, zone, notes, history.alerts)


@dataclass(frozen=True)
class ForecastJob:
    inputs: ForecastInputs
    result: ForecastResult
    start: date
    days: int
    files: list[Path]


def run_forecast(
    inputs: ForecastInputs,
    out: str | Path,
    *,
    start: date | None = None,
    days: int = 7,
    settings: ForecastSettings | None = None,
) -> ForecastJob:
    """Forecast `days` days from `start` (default: the day after the history) and write the table to `out`."""
    check_output_file(out)
    history_end = inputs.hourly.counts.index[-1].tz_convert(inputs.timezone).date()
    start = start or history_end + timedelta(days=1)
    defaults = {w.id: w.aht_s for w in inputs.center.work_types} if inputs.center is not None else {}
    result = forecast_centre(inputs.hourly, inputs.calendar, start, days, settings, defaults, center=inputs.center)
    path = Path(out)
    files = write_files({path: table_writer(result.table, FORECAST, path)})
    return ForecastJob(inputs, result, start, days, files)


@dataclass(frozen=True)
class BacktestJob:
    inputs: ForecastInputs
    result: BacktestResult
    files: list[Path]


def run_backtest(
    inputs: ForecastInputs,
    out: str | Path,
    *,
    horizon_days: int = 7,
    folds: int = 4,
    origins: Sequence[date] | None = None,
    inner_folds: int = 3,
) -> BacktestJob:
    """Backtest from `origins` (default: the last `folds` weekly origins) and write the metrics to `out`."""
    check_output_file(out)
    if horizon_days < 1:
        raise InputError("--horizon-days", Problem("", f"{horizon_days} is not a positive number of days", "use 1+"))
    chosen = list(origins) if origins else last_weekly_origins(inputs.hourly, folds, horizon_days)
    result = backtest(inputs.hourly, inputs.calendar, chosen, horizon_days, inner_folds)
    path = Path(out)
    files = write_files({path: table_writer(result.metrics, BACKTEST_METRICS, path)})
    return BacktestJob(inputs, result, files)


def parse_origins(text: str) -> list[date]:
    """`2024-03-04,2024-03-11` -> dates, with a clear error naming the bad one."""
    origins = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            origins.append(date.fromisoformat(part))
        except ValueError:
            raise InputError(
                "--origins", Problem("", f"'{part}' is not a date", "write dates as YYYY-MM-DD, comma-separated")
            ) from None
    return origins


@dataclass(frozen=True)
class RequirementJob:
    center: Center
    table: pd.DataFrame
    files: list[Path]
    #: Per work type, where its handle time came from (the forecast's `aht_s` or the centre's), and what became
    #: of the forecast's volume in closed hours (`planner.staffing.opening_hours_notes`).
    notes: list[str] = field(default_factory=list)


def run_requirements(
    forecast: str | Path | pd.DataFrame,
    center: str | Path | Center,
    out: str | Path,
    *,
    settings: StaffingSettings | None = None,
) -> RequirementJob:
    """Compute the requirement table of a forecast (a file, or a table already in hand) and write it to `out`.
    The forecast must hold every work type of the centre and no other; the job's notes say, per work type,
    whether its handle time came from the forecast or the centre."""
    check_output_file(out)
    center = center if isinstance(center, Center) else load_center(center)
    source = "forecast"
    if not isinstance(forecast, pd.DataFrame):
        source = str(forecast)
        forecast = read_table(forecast, FORECAST, timezone=center.timezone)
    check_forecast_work_types(forecast, center, source)
    table = requirement_table(forecast, center, settings)
    path = Path(out)
    files = write_files({path: table_writer(table, REQUIREMENT, path)})
    notes = [*handle_time_sources(forecast, center), *opening_hours_notes(forecast, center)]
    return RequirementJob(center, table, files, notes)


@dataclass(frozen=True)
class RosterJob:
    center: Center
    result: RosterResult
    files: list[Path]


def _read_roster_table(path: str | Path | None, center: Center) -> pd.DataFrame | None:
    return None if path is None else read_table(path, ROSTER, timezone=center.timezone)


def run_roster(
    requirement: str | Path | pd.DataFrame,
    center: str | Path | Center,
    out_dir: str | Path,
    *,
    settings: RosterSettings | None = None,
    previous: str | Path | None = None,
    pins: str | Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> RosterJob:
    """Solve the roster of a requirement and write it into `out_dir` (`write_roster`). A requirement without
    every work type of the centre (or with another), a previous roster of the plan's own days, and a centre whose
    contracts the agents cannot keep, are refused before solving, the last naming the centre file's lines."""
    check_output_folder(out_dir)
    center_path = None if isinstance(center, Center) else center
    center = center if isinstance(center, Center) else load_center(center)
    source = "requirement"
    if not isinstance(requirement, pd.DataFrame):
        source = str(requirement)
        requirement = read_table(requirement, REQUIREMENT, timezone=center.timezone)
    check_forecast_work_types(requirement, center, source, table="requirement")
    previous_table = _read_roster_table(previous, center)
    pins_table = _read_roster_table(pins, center)
    horizon = center.horizon_covering(requirement["interval_start"])
    check_previous_roster(previous_table, horizon, str(previous))
    settings = settings or RosterSettings()
    with honouring(settings.cancel):  # a roster found before Ctrl-C is written whole
        solve_settings = settings
        if settings.deadline is not None:  # the deadline bounds the solve and the writing together
            solve_settings = replace(settings, deadline=settings.deadline - write_roster_s(center))
        try:
            result = solve_roster(
                requirement, center, solve_settings, previous=previous_table, pins=pins_table, on_progress=on_progress
            )
        except InputError as exc:
            raise locate_conflicts(exc, center_path, pins) from None
        return write_roster(result, requirement, center, out_dir, previous=previous_table, pins=pins_table)


#: Wall seconds `write_roster` takes (the validator, the report with every agent's timeline, the pictures, the
#: calendars), measured on 2 cores with the demo centres (M, 100 agents: 4.1 s; L, 300 agents: 8.3 s): a fixed
#: part and a part per agent.
WRITE_ROSTER_S, WRITE_ROSTER_PER_AGENT_S = 2.0, 0.021


def write_roster_s(center: Center) -> float:
    """The seconds kept back from a solve for writing its roster when one deadline bounds both."""
    return WRITE_ROSTER_S + WRITE_ROSTER_PER_AGENT_S * len(center.agents)


def write_roster(
    result: RosterResult,
    requirement: pd.DataFrame,
    center: Center,
    out_dir: str | Path,
    *,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
    summary: Mapping[str, Any] | None = None,
    sections: ReportSections | None = None,
) -> RosterJob:
    """Write a solved roster into `out_dir`: `roster.csv`, `coverage.csv`, `summary.json` (status, objective
    breakdown, bound, gap, KPIs, progress, and the keys of `summary`), `report.html` (self-contained; a plan's
    `sections` go where a planner reads them, see `roster_report_html`), `coverage.png`, `gantt.png` and one
    iCalendar file per agent under `calendars/`. The roster is re-checked by the independent validator before
    anything is written; a roster that breaks a rule is a bug (SolverError), never an output."""
    horizon = center.horizon_covering(requirement["interval_start"])
    violations = validate_roster(result.roster, center, horizon, coverage=result.coverage, previous=previous, pins=pins)
    if violations:
        listed = "; ".join(str(v) for v in violations[:5])
        raise SolverError(f"the roster breaks {len(violations)} rule check(s), a planner bug: {listed}")
    out = Path(out_dir)
    full = result.summary() | {"validator": "passed: every hard rule of docs/roster.md"} | dict(summary or {})
    with TemporaryDirectory() as tmp:  # drawn once: the file and the report's heatmap
        coverage_png = plot_coverage(result.coverage, Path(tmp) / "coverage.png", timezone=center.timezone).read_bytes()
    report = roster_report_html(
        result.roster,
        result.coverage,
        center,
        full,
        sections=sections,
        coverage_png=coverage_png,
        timeline=not result.interrupted,  # Ctrl-C: the roster now, not every agent's timeline picture
    )
    outputs: dict[str | Path, Callable[[Path], None]] = {
        out / "roster.csv": table_writer(result.roster, ROSTER, out / "roster.csv"),
        out / "coverage.csv": table_writer(result.coverage, COVERAGE, out / "coverage.csv"),
        out / "summary.json": text_writer(json.dumps(full, indent=2, default=str) + "\n"),
        out / "report.html": text_writer(report),
        out / "coverage.png": _bytes_writer(coverage_png),
        out / "gantt.png": lambda path: _drawn(plot_gantt(result.roster, center, path)),
    }
    for name, content in agent_calendars(result.roster, center).items():
        outputs[out / "calendars" / name] = _bytes_writer(content)
    # The calendars of agents the last roster had and this one has not go: a subscriber would see old shifts.
    return RosterJob(center, result, write_files(outputs, stale=own_calendars(out / "calendars")))


def _drawn(_: Path) -> None:
    """A plot written into the staged file (the plotting functions return its path)."""


def _bytes_writer(content: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(content)

    return write


@dataclass(frozen=True)
class PlanJob:
    forecast: ForecastJob
    requirement: RequirementJob
    roster: RosterJob
    simulation: SimulationJob | None = None
    loop: LoopResult | None = None
    diagnosis: Diagnosis | None = None

    @property
    def files(self) -> list[Path]:
        simulated = self.simulation.files if self.simulation is not None else []
        return [*self.forecast.files, *self.requirement.files, *self.roster.files, *simulated]


@dataclass(frozen=True)
class PlanStages:
    """What `plan_forecast` produced after the forecast: the requirement the kept roster was solved for, the
    roster, its check simulation, the loop's iterations and the capacity diagnosis."""

    requirement: RequirementJob
    roster: RosterJob
    simulation: SimulationJob
    loop: LoopResult
    diagnosis: Diagnosis


def run_plan(
    history: str | Path,
    center: str | Path,
    out_dir: str | Path,
    *,
    start: date,
    days: int = 7,
    staffing: StaffingSettings | None = None,
    settings: RosterSettings | None = None,
    previous: str | Path | None = None,
    pins: str | Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    simulation: SimulationSettings | None = None,
    loop: LoopSettings | None = None,
    diagnosis: DiagnosisSettings | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
    history_format: HistoryFormat | None = None,
) -> PlanJob:
    """History -> forecast -> (requirement -> roster -> simulation, in the loop) -> diagnosis -> report, each
    stage's files in `out_dir` (`plan_forecast`). The history is read as `history_format` says."""
    check_output_folder(out_dir)
    inputs = load_forecast_inputs(history, center, fmt=history_format)
    assert inputs.center is not None
    horizon = inputs.center.horizon(start, days)
    previous_table = _read_roster_table(previous, inputs.center)
    check_previous_roster(previous_table, horizon, str(previous))
    check_center_for_roster(inputs.center, center, horizon, previous_table)
    out = Path(out_dir)
    forecast = run_forecast(
        inputs,
        out / "forecast.csv",
        start=start,
        days=days,
        settings=ForecastSettings(interval_minutes=inputs.center.interval_minutes),
    )
    stages = plan_forecast(
        forecast.result.table,
        inputs.center,
        out,
        staffing=staffing,
        settings=settings,
        previous=previous,
        pins=pins,
        on_progress=on_progress,
        simulation=simulation,
        loop=loop,
        diagnosis=diagnosis,
        on_iteration=on_iteration,
    )
    return PlanJob(forecast, stages.requirement, stages.roster, stages.simulation, stages.loop, stages.diagnosis)


#: The check simulation of a plan uses other random numbers than the loop that made the plan (its seed + this).
CHECK_SEED_OFFSET = 1_000


def plan_forecast(
    forecast: pd.DataFrame,
    center: Center,
    out_dir: str | Path,
    *,
    staffing: StaffingSettings | None = None,
    settings: RosterSettings | None = None,
    previous: str | Path | None = None,
    pins: str | Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    simulation: SimulationSettings | None = None,
    loop: LoopSettings | None = None,
    diagnosis: DiagnosisSettings | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> PlanStages:
    """Plan a forecast: the roster made in the simulation loop (`planner.loop`: the kept iteration's requirement
    is `requirement.csv`, with its calibrated `aht_factor`), its capacity diagnosis and verified remedies
    (`planner.diagnosis`), and a check simulation of the roster with other random numbers than the loop's
    (`simulation/`, its `comparison.csv` setting the promise beside the check). The roster's `summary.json` and
    `report.html` carry the promise, the loop's iterations and the diagnosis."""
    out = check_output_folder(out_dir)
    check_output_folder(out / "simulation")
    loop = loop or LoopSettings()
    previous_table = _read_roster_table(previous, center)
    horizon = center.horizon_covering(forecast["interval_start"], "forecast")
    check_previous_roster(previous_table, horizon, str(previous))
    pins_table = _read_roster_table(pins, center)
    cancel = settings.cancel if settings is not None else None
    with honouring(cancel):
        try:
            planned = plan_with_simulation(
                forecast,
                center,
                staffing=staffing,
                roster=settings,
                settings=loop,
                previous=previous_table,
                pins=pins_table,
                on_progress=on_progress,
                on_iteration=on_iteration,
            )
        except LoopInterrupted as stop:
            written = _write_interrupted(stop.roster, stop.requirement, center, out, previous_table, pins_table, {})
            raise Interrupted("best roster so far, not simulated yet", written) from None
        try:
            if cancel is not None and cancel.cancelled:
                raise Interrupted("cancelled before the diagnosis")
            diagnosed = diagnose(
                center,
                forecast,
                planned.requirement,
                planned.roster,
                planned.simulation,
                roster_settings=settings,
                settings=diagnosis or DiagnosisSettings(replications=loop.replications, seed=loop.seed),
                previous=previous_table,
                pins=pins_table,
            )
        except Interrupted:
            loop_summary = {"simulation_in_the_loop": planned.summary()}
            written = _write_interrupted(
                planned.roster, planned.requirement, center, out, previous_table, pins_table, loop_summary
            )
            raise Interrupted(
                "best roster so far (the simulation loop's; no capacity diagnosis or check simulation)", written
            ) from None
        return _finish_plan(forecast, center, out, planned, diagnosed, loop, simulation, previous_table, pins_table)


def _write_interrupted(
    result: RosterResult,
    requirement: pd.DataFrame,
    center: Center,
    out: Path,
    previous: pd.DataFrame | None,
    pins: pd.DataFrame | None,
    summary: Mapping[str, Any],
) -> list[Path]:
    """A plan cut short by Ctrl-C: its best roster (validated as always) and the requirement it was solved for."""
    if not result.interrupted:
        result = replace(result, interrupted=True, notes=[INTERRUPTED_NOTE, *result.notes])
    path = out / "requirement.csv"
    # The last run's check simulation was of another roster: it goes.
    stale = [out / "simulation" / name for name in SIMULATION_FILES]
    files = write_files({path: table_writer(requirement, REQUIREMENT, path)}, stale=stale)
    roster = write_roster(result, requirement, center, out, previous=previous, pins=pins, summary=summary)
    return [*files, *roster.files]


def _finish_plan(
    forecast: pd.DataFrame,
    center: Center,
    out: Path,
    planned: LoopResult,
    diagnosed: Diagnosis,
    loop: LoopSettings,
    simulation: SimulationSettings | None,
    previous_table: pd.DataFrame | None,
    pins_table: pd.DataFrame | None,
) -> PlanStages:
    requirement_path = out / "requirement.csv"
    requirement = RequirementJob(
        center,
        planned.requirement,
        write_files({requirement_path: table_writer(planned.requirement, REQUIREMENT, requirement_path)}),
    )
    promised = promised_levels(planned.simulation)
    check = simulate_roster(
        center,
        planned.roster.roster,
        out / "simulation",
        forecast=forecast,
        settings=simulation or SimulationSettings(replications=PLAN_REPLICATIONS, seed=loop.seed + CHECK_SEED_OFFSET),
        expected={w: level for w, (level, _, _) in promised.items()},
        erlang={**planned.roster.kpis["expected_service_level"], **planned.roster.kpis["deferred_work_in_time"]},
    )
    summary = {
        "promised_service_level": {w: {"mean": level, "ci": [low, high]} for w, (level, low, high) in promised.items()},
        "simulation_in_the_loop": planned.summary(),
        "diagnosis": diagnosed.summary(),
        "diagnosis_notes": diagnosed.notes,
    }
    sections = plan_sections(center, planned, diagnosed, check.result)
    roster = write_roster(
        planned.roster,
        planned.requirement,
        center,
        out,
        previous=previous_table,
        pins=pins_table,
        summary=summary,
        sections=sections,
    )
    return PlanStages(requirement, roster, check, planned, diagnosed)


def promised_levels(simulation: SimulationResult) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Per work type: the service level a plan promises (its own simulation: mean and 95% interval), to 4 places."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {w: (rounded(m), rounded(lo), rounded(hi)) for w, (m, lo, hi) in simulation.service_levels().items()}


# -- simulation -------------------------------------------------------------------------------------------------


#: The files `simulate_roster` writes into its folder (the last only with a plan's expected levels).
SIMULATION_FILES = ("intervals.csv", "work_types.csv", "priorities.csv", "agents.csv", "summary.json", "comparison.csv")


@dataclass(frozen=True)
class SimulationJob:
    result: SimulationResult
    files: list[Path]
    #: Per work type: the staffing maths' expected service level (where known) beside the simulated one.
    comparison: pd.DataFrame | None = None
    #: What the check of the inputs left out (forecast days outside the roster's, roster days without history),
    #: and what became of demand while its work type was closed (`planner.simulation.Demand.notes`).
    notes: list[str] = field(default_factory=list)


def replay_horizon(center: Center, roster: pd.DataFrame, source: str = "roster") -> Horizon:
    """The horizon a replay is simulated on: the roster's days (a state to start from counts from its start)."""
    if roster.empty:
        raise InputError(source, Problem("", "has no shifts", "give a roster to simulate"))
    days = pd.to_datetime(roster["date"])
    first, last = days.min().date(), days.max().date()
    return center.horizon(first, (last - first).days + 1)


def simulate_roster(
    center: Center,
    roster: pd.DataFrame,
    out_dir: str | Path,
    *,
    forecast: pd.DataFrame | None = None,
    replay: pd.DataFrame | None = None,
    settings: SimulationSettings | None = None,
    draws: Draws | None = None,
    assignment: pd.DataFrame | None = None,
    expected: Mapping[str, float | None] | None = None,
    sources: Mapping[str, str] | None = None,
    erlang: Mapping[str, float | None] | None = None,
    state: SimulationState | None = None,
) -> SimulationJob:
    """Simulate `roster` against a forecast (arrivals drawn from it) or a per-ticket history (replayed), and
    write into `out_dir`: `intervals.csv` (per interval x work type), `work_types.csv`, `priorities.csv`,
    `agents.csv` and `summary.json`. The horizon is the forecast's days, or the roster's days for a replay.
    From `state` (`planner.simulation.SimulationState`, seconds from the horizon's first interval, e.g. made by
    `planner.simulation.state_from_history`), the rest of the day from its moment; one that does not fit the
    horizon or the centre is an input error; its notes join the job's.
    With `assignment` (a `models.ASSIGNMENT` table) the routing follows it; `expected` (work type -> the service
    level the plan expects) is set beside the simulated figures in `comparison.csv`, and `erlang` (what the
    staffing maths expects at the roster's allocation) beside it where given."""
    names = dict(sources or {})
    if (forecast is None) == (replay is None):
        raise InputError(
            "wfm simulate",
            Problem(
                "", "needs exactly one of a forecast or a history to replay", "give --forecast FILE or --replay FILE"
            ),
        )
    if forecast is not None:
        horizon = center.horizon_covering(forecast["interval_start"], source=names.get("forecast", "forecast"))
        demand = forecast_demand(forecast, center, horizon, source=names.get("forecast", "forecast"))
    else:
        assert replay is not None
        horizon = replay_horizon(center, roster, names.get("roster", "roster"))
        demand = replay_demand(replay, center, horizon, source=names.get("replay", "history"))
    try:
        scenario = build_scenario(
            center, roster, demand, horizon, draws, roster_source=names.get("roster", "roster"), state=state
        )
    except ValueError as exc:
        if state is None:
            raise
        raise InputError(
            names.get("state", "simulation state"),
            Problem("", str(exc), "start from a moment inside the simulated days, with the centre's agents"),
        ) from None
    policy: RoutingPolicy | None = (
        PlannedAssignment.from_table(assignment, scenario.start) if assignment is not None else None
    )
    result = simulate(scenario, settings, policy)
    comparison = None
    if expected is not None:
        comparison = result.work_types[
            [
                "work_type",
                "target_service_level",
                "service_level",
                "service_level_lo",
                "service_level_hi",
                "abandon_rate",
                "asa_s",
            ]
        ].copy()
        comparison.insert(2, "planned_service_level", [expected.get(w) for w in comparison["work_type"]])
        if erlang is not None:
            comparison.insert(3, "erlang_service_level", [erlang.get(w) for w in comparison["work_type"]])
        comparison = comparison.rename(columns={"service_level": "simulated_service_level"})
    out = Path(out_dir)
    outputs: dict[str | Path, Callable[[Path], None]] = {
        out / "intervals.csv": text_writer(result.intervals.to_csv(index=False)),
        out / "work_types.csv": text_writer(result.work_types.to_csv(index=False)),
        out / "priorities.csv": text_writer(result.priorities.to_csv(index=False)),
        out / "agents.csv": text_writer(result.agents.to_csv(index=False)),
        out / "summary.json": text_writer(json.dumps(result.summary, indent=2, default=str) + "\n"),
    }
    if comparison is not None:
        outputs[out / "comparison.csv"] = text_writer(comparison.to_csv(index=False))
    notes = [*demand.notes, *(state.notes if state is not None else ())]
    return SimulationJob(result, write_files(outputs, stale=[out / "comparison.csv"]), comparison, notes)


def run_simulation(
    roster: str | Path,
    center: str | Path | Center,
    out_dir: str | Path,
    *,
    forecast: str | Path | None = None,
    replay: str | Path | None = None,
    assignment: str | Path | None = None,
    settings: SimulationSettings | None = None,
    draws: Draws | None = None,
    history_format: HistoryFormat | None = None,
    state: SimulationState | None = None,
    start_at: pd.Timestamp | None = None,
) -> SimulationJob:
    """The job behind `wfm simulate`: read and check the files (a `replay` history as `history_format` says; the
    forecast or the history must cover the roster's days: `planner.matching`), then `simulate_roster` from
    `state` where given, or with `start_at` (a replay only; naive: local time) the rest of the replayed day from
    the state its history gives at that moment (`planner.simulation.state_from_history`: the contacts waiting
    then; nobody busy, since the history does not say who handled what)."""
    if start_at is not None and (replay is None or state is not None):
        raise InputError(
            "options",
            Problem("", "a start moment needs a history to replay (and no state)", "give --replay with --from"),
        )
    check_output_folder(out_dir)
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    roster_table = read_table(roster, ROSTER, timezone=zone)
    forecast_table = read_table(forecast, FORECAST, timezone=zone) if forecast is not None else None
    replay_table = None
    if replay is not None:
        history = load_history(replay, center, fmt=history_format)
        if history.kind != "tickets":
            raise InputError(
                str(replay),
                Problem(
                    "",
                    "holds interval counts; a replay needs one row per ticket",
                    "give a per-ticket history, or simulate a forecast (--forecast)",
                ),
            )
        replay_table = history.frame
    assignment_table = read_table(assignment, ASSIGNMENT, timezone=zone) if assignment is not None else None
    sources = {"roster": str(roster), "forecast": str(forecast), "replay": str(replay)}
    notes: list[str] = []
    if forecast_table is not None:
        forecast_table, notes = match_forecast_to_roster(forecast_table, roster_table, zone, str(forecast), str(roster))
    if replay_table is not None:
        notes = check_replay_overlaps_roster(replay_table, roster_table, zone, str(replay), str(roster))
    if start_at is not None and replay_table is not None:
        horizon = replay_horizon(center, roster_table, str(roster))
        state = state_from_history(
            center, horizon, start_at, actuals=replay_table, sources={"actuals": str(replay), "at": "--from"}
        )
    job = simulate_roster(
        center,
        roster_table,
        out_dir,
        forecast=forecast_table,
        replay=replay_table,
        settings=settings,
        draws=draws,
        assignment=assignment_table,
        sources=sources,
        state=state,
    )
    return dataclasses.replace(job, notes=[*notes, *job.notes])


# -- assignment -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignJob:
    result: AssignResult
    #: The other methods' results on the same problem (`compare`), by method.
    compared: dict[str, AssignResult]
    files: list[Path]


def run_assign(
    tickets: str | Path,
    roster: str | Path,
    center: str | Path | Center,
    at: pd.Timestamp,
    out: str | Path,
    *,
    method: str = "optimal",
    settings: AssignSettings | None = None,
    horizon_minutes: float | None = None,
    quality: str | Path | None = None,
    compare: Sequence[str] = (),
) -> AssignJob:
    """The job behind `wfm assign`: who handles which open ticket from `at`, by `method`; writes the assignment
    table to `out` and its summary (status, objective breakdown, bound, gap, KPIs, and those of the `compare`
    methods on the same problem) to `out` with the suffix `.json`."""
    check_output_file(out)
    check_output_file(Path(out).with_suffix(".json"), table=False)
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    open_tickets = read_table(tickets, OPEN_TICKETS, timezone=zone)
    roster_table = read_table(roster, ROSTER, timezone=zone)
    scores = read_table(quality, AGENT_QUALITY, timezone=zone) if quality is not None else None
    check_someone_on_shift(roster_table, at, horizon_minutes, zone, str(roster))
    problem = build_assign_problem(
        open_tickets,
        roster_table,
        center,
        at,
        horizon_minutes=horizon_minutes,
        quality=scores,
        source=str(tickets),
    )
    result = assign(problem, method, settings)
    compared = {other: assign(problem, other, settings) for other in compare if other != method}
    path = Path(out)
    summary = result.summary() | {"compared": {name: r.summary() for name, r in compared.items()}}
    outputs: dict[str | Path, Callable[[Path], None]] = {
        path: table_writer(result.table, ASSIGNMENT, path),
        path.with_suffix(".json"): text_writer(json.dumps(summary, indent=2, default=str) + "\n"),
    }
    return AssignJob(result, compared, write_files(outputs))


# -- KPIs -------------------------------------------------------------------------------------------------------------


#: The files `run_kpis` writes into its folder (the agents' and the forecast comparison only when there are some).
KPI_FILES = (
    "kpis_by_work_type.csv",
    "kpis_by_day.csv",
    "kpis_by_interval.csv",
    "kpis_by_agent.csv",
    "actual_vs_forecast.csv",
    "summary.json",
)


@dataclass(frozen=True)
class KpiJob:
    result: KpiResult
    files: list[Path]
    #: How the history was read (`History.remarks`) and what could not be measured (`KpiResult.notes`).
    notes: list[str] = field(default_factory=list)
    #: What looks wrong in the history but was kept (`History.alerts`).
    warnings: list[str] = field(default_factory=list)


def run_kpis(
    history: str | Path,
    center: str | Path | Center,
    out_dir: str | Path,
    *,
    start: date | None = None,
    end: date | None = None,
    forecast: str | Path | None = None,
    roster: str | Path | None = None,
    history_format: HistoryFormat | None = None,
) -> KpiJob:
    """The job behind `wfm kpis`: read the history (as `history_format` says), the centre and the optional forecast
    and roster, measure what happened from `start` to `end` (local days, inclusive; `planner.kpis`) and write
    `kpis_by_work_type.csv`, `kpis_by_day.csv`, `kpis_by_interval.csv`, `kpis_by_agent.csv` (with agent ids),
    `actual_vs_forecast.csv` (with a forecast) and `summary.json` into `out_dir`, all or none. A file of the last
    run that this one does not write (the agents' without agent ids, the comparison without a forecast) goes."""
    out = check_output_folder(out_dir)
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    loaded = load_history(history, center, fmt=history_format)
    forecast_table = read_table(forecast, FORECAST, timezone=zone) if forecast is not None else None
    roster_table = read_table(roster, ROSTER, timezone=zone) if roster is not None else None
    result = compute_kpis(
        loaded.frame,
        center,
        start=start,
        end=end,
        forecast=forecast_table,
        roster=roster_table,
        sources={"history": str(history), "forecast": str(forecast), "roster": str(roster)},
    )
    notes = [*loaded.remarks, *result.notes]
    summary = result.summary | {"source": str(history), "notes": notes}
    tables = {
        "kpis_by_work_type.csv": result.by_work_type,
        "kpis_by_day.csv": result.by_day,
        "kpis_by_interval.csv": result.by_interval,
        "kpis_by_agent.csv": result.by_agent,
        "actual_vs_forecast.csv": result.actual_vs_forecast,
    }
    # Tables of figures with no contract of their own: written as every table is (timestamps with their UTC
    # offset, whole numbers without '.0').
    outputs: dict[str | Path, Callable[[Path], None]] = {
        out / name: table_writer(table, TableSchema(name, ()), out / name)
        for name, table in tables.items()
        if table is not None
    }
    outputs[out / "summary.json"] = text_writer(json.dumps(summary, indent=2, default=str) + "\n")
    files = write_files(outputs, stale=[out / name for name in KPI_FILES])
    return KpiJob(result, files, notes, loaded.alerts)
