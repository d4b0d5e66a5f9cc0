"""The jobs of `wfm plan` and `wfm demo`: history -> forecast -> (requirement -> roster -> simulation, in the
loop) -> capacity diagnosis -> check simulation -> report (`run_plan`; `plan_forecast` from a forecast in hand)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import ForecastSettings
from models import REQUIREMENT, Center, HistoryFormat
from models.io import check_output_folder, table_writer, write_files
from planner.diagnosis import Diagnosis, DiagnosisSettings, diagnose
from planner.inputs import check_center_for_roster
from planner.jobs.forecast import ForecastJob, run_forecast
from planner.jobs.inputs import load_forecast_inputs, read_roster_table
from planner.jobs.requirements import RequirementJob
from planner.jobs.roster import RosterJob, write_roster
from planner.jobs.simulate import SIMULATION_FILES, SimulationJob, simulate_roster
from planner.loop import Iteration, LoopInterrupted, LoopResult, LoopSettings, plan_with_simulation
from planner.matching import check_previous_roster
from planner.reports import plan_sections
from planner.roster import Progress, RosterResult, RosterSettings
from planner.roster.solver import INTERRUPTED_NOTE
from planner.runtime import Interrupted, honouring
from planner.simulation import SimulationResult, SimulationSettings
from planner.staffing import StaffingSettings

__all__ = [
    "CHECK_SEED_OFFSET",
    "PLAN_REPLICATIONS",
    "PlanJob",
    "PlanStages",
    "plan_forecast",
    "promised_levels",
    "run_plan",
]

#: Replications of the check simulation of a plan in `wfm plan` / `wfm demo` (a week of M takes ~0.4 s each).
PLAN_REPLICATIONS = 10


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
    previous_table = read_roster_table(previous, inputs.center)
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
    previous_table = read_roster_table(previous, center)
    horizon = center.horizon_covering(forecast["interval_start"], "forecast")
    check_previous_roster(previous_table, horizon, str(previous))
    pins_table = read_roster_table(pins, center)
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
