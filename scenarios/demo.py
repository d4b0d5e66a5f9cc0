"""The demo: generate the built-in centre and its history, write them, read them back through the same checks
as any user's input, then plan the week end to end as `wfm plan` does: forecast, staffing requirement, roster
(with its coverage, report, pictures and calendars), the roster's simulation against the forecast, and an
assignment snapshot: the tickets open on the Tuesday at 11:00 of that simulated week, assigned to the agents on
shift by CP-SAT beside today's dispatch rules; and a supervisor's re-plan of that Tuesday at 10:30, the morning
running 25% hot on the busiest phone queue since 10:00 and two agents off sick since 09:00 (`wfm intraday`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd

from forecasting import ForecastSettings
from models import OPEN_TICKETS, TICKET_HISTORY, Center
from models.io import check_output_folder, write_table
from planner.assign import HEURISTICS
from planner.diagnosis import Diagnosis, DiagnosisSettings
from planner.inputs import InputReport, summarize_center, summarize_history
from planner.intraday import IntradaySettings
from planner.intraday.job import IntradayJob, run_intraday
from planner.jobs import (
    AssignJob,
    ForecastJob,
    RequirementJob,
    RosterJob,
    SimulationJob,
    load_forecast_inputs,
    plan_forecast,
    run_assign,
    run_forecast,
    run_requirements,
)
from planner.loop import Iteration, LoopResult, LoopSettings
from planner.reports import plot_forecast, plot_requirement_heatmap
from planner.roster import Progress, RosterSettings
from planner.simulation import SimulationSettings
from scenarios.generator import GeneratorSettings, Scenario, generate, write_scenario
from scenarios.snapshot import busiest_phone, day_so_far, open_tickets_at, shocked_forecast

__all__ = ["DemoReport", "run_demo"]

#: The assignment snapshot's hour, on the plan week's Tuesday.
SNAPSHOT_HOUR = 11
#: The intraday example on the plan week's Tuesday: the re-plan's moment, the shock and the absences.
INTRADAY_AT = pd.Timedelta(hours=10, minutes=30)
INTRADAY_SHOCK, INTRADAY_SHOCK_FROM = 1.25, pd.Timedelta(hours=10)
INTRADAY_ABSENT, INTRADAY_ABSENT_FROM = 2, pd.Timedelta(hours=9)
INTRADAY_TIME_LIMIT_S, INTRADAY_REPLICATIONS = 4.0, 4


@dataclass(frozen=True)
class DemoReport:
    scenario: Scenario
    files: list[Path]
    inputs: InputReport
    forecast: ForecastJob
    requirement: RequirementJob
    roster: RosterJob | None
    simulation: SimulationJob | None = None
    assignment: AssignJob | None = None
    loop: LoopResult | None = None
    diagnosis: Diagnosis | None = None
    intraday: IntradayJob | None = None


def run_demo(
    settings: GeneratorSettings,
    out_dir: str | Path,
    roster: RosterSettings | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    *,
    loop: LoopSettings | None = None,
    diagnosis_settings: DiagnosisSettings | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> DemoReport:
    """Generate the demo centre of `settings`, write it to `out_dir`, check it, and plan the week: forecast,
    requirement and, with `roster` settings, the plan as `wfm plan` makes it (the roster in the simulation loop,
    its check simulation, the capacity diagnosis and remedies) and an assignment snapshot (`wfm demo` always
    passes them)."""
    out = check_output_folder(out_dir)
    scenario = generate(settings)
    center_path, history_path = write_scenario(scenario, out)
    forecast_inputs = load_forecast_inputs(history_path, center_path)  # the same checks as any user's files
    assert forecast_inputs.center is not None
    inputs = InputReport(
        center=summarize_center(forecast_inputs.center),
        history=summarize_history(forecast_inputs.history),
        warnings=forecast_inputs.notes,
    )
    job = run_forecast(
        forecast_inputs,
        out / "forecast.csv",
        start=settings.plan_start,
        days=7,
        settings=ForecastSettings(interval_minutes=scenario.center.interval_minutes),
    )
    picture = plot_forecast(forecast_inputs.hourly, job.result, out / "forecast.png")
    center = forecast_inputs.center
    rostered = simulated = assigned = replanned = None
    planned = diagnosis = None
    if roster is None:
        requirement = run_requirements(job.result.table, center, out / "requirement.csv")
    else:
        stages = plan_forecast(
            job.result.table,
            center,
            out,
            settings=roster,
            loop=loop,
            diagnosis=diagnosis_settings,
            on_progress=on_progress,
            on_iteration=on_iteration,
        )
        requirement, rostered, simulated = stages.requirement, stages.roster, stages.simulation
        planned, diagnosis = stages.loop, stages.diagnosis
    heatmap = plot_requirement_heatmap(requirement.table, out / "requirement.png", requirement.center)
    if rostered is not None:
        # The assignment snapshot: Tuesday 11:00 of the plan week, a busy late morning.
        at = (
            pd.Timestamp(settings.plan_start + timedelta(days=1))
            .replace(hour=SNAPSHOT_HOUR)
            .tz_localize(center.timezone)
        )
        tickets = open_tickets_at(center, rostered.result.roster, job.result.table, at, seed=settings.seed)
        folder = out / "assignment"
        folder.mkdir(parents=True, exist_ok=True)
        tickets_path = write_table(tickets, OPEN_TICKETS, folder / "open_tickets.csv")
        others = [m for m in HEURISTICS if m != "earliest-finish"]
        assigned = run_assign(tickets_path, out / "roster.csv", center, at, folder / "assignment.csv", compare=others)
        replanned = _intraday_example(center, rostered.result.roster, job.result.table, settings, out)
    return DemoReport(
        scenario=scenario,
        files=[center_path, history_path, *job.files, picture, *requirement.files, heatmap],
        inputs=inputs,
        forecast=job,
        requirement=requirement,
        roster=rostered,
        simulation=simulated,
        assignment=assigned,
        loop=planned,
        diagnosis=diagnosis,
        intraday=replanned,
    )


def _intraday_example(
    center: Center, roster: pd.DataFrame, forecast: pd.DataFrame, settings: GeneratorSettings, out: Path
) -> IntradayJob:
    """The plan week's Tuesday at 10:30 as a supervisor finds it (`day_so_far` of a day running hot on the busiest
    phone queue since 10:00, two agents on shift off sick since 09:00, the tickets waiting), written to
    `intraday/`, and its re-plan (`intraday/replan/`)."""
    day = pd.Timestamp(settings.plan_start + timedelta(days=1)).tz_localize(center.timezone)
    at = day + INTRADAY_AT
    hot = shocked_forecast(forecast, busiest_phone(center, forecast), day + INTRADAY_SHOCK_FROM, INTRADAY_SHOCK)
    actuals = day_so_far(center, roster, hot, at, seed=settings.seed)
    folder = out / "intraday"
    folder.mkdir(parents=True, exist_ok=True)
    on_shift = roster[(pd.DatetimeIndex(roster["start"]) <= at) & (pd.DatetimeIndex(roster["end"]) > at)]
    sick = sorted(on_shift["agent_id"].astype(str))[:INTRADAY_ABSENT]
    absences = pd.DataFrame(
        {"agent_id": sick, "start": (day + INTRADAY_ABSENT_FROM).isoformat(), "end": "", "reason": "sick"}
    )
    deferred = {w.id for w in center.work_types if w.mode.value == "deferred"}
    waiting = actuals[actuals["work_type"].isin(deferred) & actuals["first_response_at"].isna()]
    tickets = waiting[["ticket_id", "work_type", "created_at"]]
    write_table(actuals, TICKET_HISTORY, folder / "actuals.csv")
    absences.to_csv(folder / "absences.csv", index=False)
    write_table(tickets, OPEN_TICKETS, folder / "open_tickets.csv")
    return run_intraday(
        center,
        out / "roster.csv",
        out / "forecast.csv",
        folder / "actuals.csv",
        at,
        folder / "replan",
        absences=folder / "absences.csv",
        tickets=folder / "open_tickets.csv",
        settings=IntradaySettings(time_limit_s=INTRADAY_TIME_LIMIT_S, workers=2),
        requirement=out / "requirement.csv",
        simulation=SimulationSettings(replications=INTRADAY_REPLICATIONS, seed=settings.seed, workers=2),
    )
