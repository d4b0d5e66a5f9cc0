"""The job of `wfm simulate`: a roster simulated against a forecast or a replayed history, from the start of its
days or from a moment's state, and the simulated figures written (`simulate_roster`, which the plan's check
simulation uses too)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models import FORECAST, Center, HistoryFormat, InputError, Problem, load_center, read_table
from models.horizon import Horizon
from models.io import check_output_folder, text_writer, write_files
from models.tables import ASSIGNMENT, ROSTER
from planner.jobs.inputs import load_history
from planner.matching import check_replay_overlaps_roster, match_forecast_to_roster
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

__all__ = ["SIMULATION_FILES", "SimulationJob", "replay_horizon", "run_simulation", "simulate_roster"]


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
