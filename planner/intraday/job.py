"""The job behind `wfm intraday`: at a moment of a published roster's day, reforecast the rest of the day from the
actuals so far, re-plan it with the fewest changes (absences taken out), re-assign the open tickets, and write
every output or none.

Outputs (in the output folder): `reforecast.csv` (forecast contract, the rest of the day), `roster.csv` (the
whole horizon, roster contract), `changes.csv` (one row per action: `agent_id, change, start, end, before, after,
cost`), `coverage.csv` (the rest of the day per interval x skill, with what the published day scheduled),
`summary.json` and, with open tickets, `assignment.csv`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting import ReforecastResult, reforecast
from models import FORECAST, Center, History, HistoryFormat, InputError, Problem, load_center, read_table
from models.io import check_output_folder, read_raw, table_writer, text_writer, write_files
from models.tables import ASSIGNMENT, COVERAGE, OPEN_TICKETS, REQUIREMENT, ROSTER
from planner.assign import AssignResult, AssignSettings, assign, build_assign_problem
from planner.intraday.problem import build_intraday_problem, read_absences
from planner.intraday.solver import IntradayResult, IntradaySettings, replan
from planner.jobs import load_history
from planner.kpis import compute_kpis
from planner.matching import roster_days
from planner.roster.result import expected_service_level
from planner.simulation import (
    SimulationResult,
    SimulationSettings,
    build_scenario,
    forecast_demand,
    simulate,
    state_from_history,
)
from planner.staffing.requirements import proficiency_factors, requirement_table

__all__ = ["IntradayJob", "run_intraday"]

#: The assignment's share of the time limit when open tickets are given.
ASSIGN_SHARE = 0.2


@dataclass
class IntradayJob:
    result: IntradayResult
    reforecast: ReforecastResult
    summary: dict[str, Any]
    files: list[Path]
    assignment: AssignResult | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_intraday(
    center: str | Path | Center,
    roster: str | Path,
    forecast: str | Path,
    actuals: str | Path,
    at: pd.Timestamp,
    out_dir: str | Path,
    *,
    absences: str | Path | None = None,
    tickets: str | Path | None = None,
    settings: IntradaySettings | None = None,
    history_format: HistoryFormat | None = None,
    simulation: SimulationSettings | None = None,
    requirement: str | Path | None = None,
) -> IntradayJob:
    """Re-plan the rest of `at`'s day of `roster` (module docstring). Bad input raises `InputError` before
    anything is written."""
    began = time.monotonic()
    settings = settings or IntradaySettings()
    out = check_output_folder(out_dir)
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    moment = _moment(at, zone)
    published = read_table(roster, ROSTER, timezone=zone)
    horizon = _roster_horizon(published, center, moment, str(roster))
    day = moment.tz_convert(zone).date()
    day_start = pd.Timestamp(day).tz_localize(zone)
    day_end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(zone)

    # Every input is read and checked before any work.
    absence_rows = read_absences(read_raw(absences)[0], center, day, str(absences)) if absences else []
    open_tickets = read_table(tickets, OPEN_TICKETS, timezone=zone) if tickets is not None else None
    plan = _plan_requirement(requirement, center, day_start, day_end) if requirement is not None else None
    forecast_table = read_table(forecast, FORECAST, timezone=zone)
    _check_forecast_grid(forecast_table, center, str(forecast))
    starts = pd.DatetimeIndex(forecast_table["interval_start"])
    today = forecast_table[(starts >= day_start) & (starts < day_end)]
    if today.empty:
        raise InputError(
            str(forecast),
            Problem(
                "column 'interval_start'", f"has no interval on {day}, the day of --at", "give that day's forecast"
            ),
        )
    history = load_history(actuals, center, fmt=history_format)
    counts = _counts(history, center, str(actuals), moment, day_start)
    refit = reforecast(today, counts, moment, center=center)
    rest_before = today[pd.DatetimeIndex(today["interval_start"]) >= refit.table["interval_start"].min()]
    if plan is None:
        required = requirement_table(refit.table, center)
        before = requirement_table(rest_before, center)
    else:
        # The plan's requirement: its calibrated handle-time factors carry to the rest of the day.
        before = plan
        required = requirement_table(refit.table, center, aht_factor=_plan_factors(plan, refit.table, center))

    solve_settings = settings
    if open_tickets is not None:
        solve_settings = replace(settings, time_limit_s=max(settings.time_limit_s * (1 - ASSIGN_SHARE), 0.5))
    problem = build_intraday_problem(
        center,
        horizon,
        published,
        moment,
        required,
        before,
        absence_rows,
        allowed=settings.allowed,
        notice_minutes=settings.notice_minutes,
        max_start_move_minutes=settings.max_start_move_minutes,
        costs=settings.costs,
        quieter=_quieter(refit),
    )
    result = replan(problem, solve_settings)

    assignment = None
    if open_tickets is not None:
        assign_problem = build_assign_problem(open_tickets, result.roster, center, moment, source=str(tickets))
        limit = max(0.5, settings.time_limit_s * ASSIGN_SHARE)
        assignment = assign(assign_problem, "optimal", AssignSettings(time_limit_s=limit, workers=settings.workers))

    summary = _summary(result, refit, required, assignment, moment, time.monotonic() - began)
    notes = [*history.remarks, *refit.notes, *problem.notes]
    summary["today_so_far"], kpi_notes = _today_so_far(history, center, today, moment, str(actuals))
    notes += kpi_notes
    if simulation is not None:
        simulated, sim_notes = _simulate_rest(result, refit.table, history, open_tickets, moment, simulation)
        summary["simulated_service_level"] = simulated
        notes += sim_notes
    summary["notes"] = notes
    outputs: dict[str | Path, Callable[[Path], None]] = {
        out / "reforecast.csv": table_writer(refit.table, FORECAST, out / "reforecast.csv"),
        out / "roster.csv": table_writer(result.roster, ROSTER, out / "roster.csv"),
        out / "changes.csv": text_writer(_changes_text(result.changes)),
        out / "coverage.csv": table_writer(result.coverage(), COVERAGE, out / "coverage.csv"),
        out / "summary.json": text_writer(json.dumps(summary, indent=2, default=str) + "\n"),
    }
    if assignment is not None:
        outputs[out / "assignment.csv"] = table_writer(assignment.table, ASSIGNMENT, out / "assignment.csv")
    files = write_files(outputs, stale=[out / "assignment.csv"])
    return IntradayJob(result, refit, summary, files, assignment, notes, list(history.alerts))


def _moment(at: pd.Timestamp, zone: str) -> pd.Timestamp:
    moment = pd.Timestamp(at)
    if moment.tz is None:
        return moment.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
    return moment.tz_convert(zone)


def _roster_horizon(roster: pd.DataFrame, center: Center, at: pd.Timestamp, source: str) -> Any:
    days = roster_days(roster)
    if not days:
        raise InputError(source, Problem("", "has no shifts", "give the published roster of the day"))
    first, last = min(days), max(days)
    day = at.tz_convert(center.timezone).date()
    if not first <= day <= last:
        raise InputError(
            "--at",
            Problem(
                "",
                f"{at} is on {day}, outside the roster's days {first}..{last}",
                "give a moment of a day the roster plans",
            ),
        )
    # A roster is made for whole weeks (its weekly limits are prorated otherwise): the weeks from its first day.
    weeks = -(-((last - first).days + 1) // 7)
    return center.horizon(first, 7 * weeks)


def _check_forecast_grid(forecast: pd.DataFrame, center: Center, source: str) -> None:
    starts = pd.DatetimeIndex(forecast["interval_start"]).unique().sort_values()
    if len(starts) > 1:
        step = int(np.min(np.diff(starts.asi8)) // 60_000_000_000)
        if step != center.interval_minutes:
            raise InputError(
                source,
                Problem(
                    "column 'interval_start'",
                    f"the forecast is in {step}-minute intervals, the centre plans in {center.interval_minutes}",
                    f"forecast with --interval-minutes {center.interval_minutes} (as wfm plan does)",
                ),
            )


def _counts(history: History, center: Center, source: str, at: pd.Timestamp, day_start: pd.Timestamp) -> pd.DataFrame:
    """Contacts per interval x work type so far (index: tz-aware interval start), after checking that every row
    is of `at`'s day and before `at`."""
    frame = history.frame
    column = history.time_column
    stamps = pd.DatetimeIndex(frame[column])
    if stamps.tz is None:
        stamps = stamps.tz_localize(center.timezone)
    step = pd.Timedelta(minutes=center.interval_minutes)
    if history.kind == "intervals":
        late = stamps >= at.floor(step) + step if len(stamps) else np.zeros(0, dtype=bool)
    else:
        late = stamps > at
    day_end = day_start + pd.Timedelta(days=1)
    other = (stamps < day_start) | (stamps >= day_end)
    for mask, what, fix in (
        (other, f"is not on {day_start.date()}, the day of --at", "give the actuals of that day only"),
        (late, f"is after --at {at}", "give the actuals up to the moment of the re-plan"),
    ):
        bad = np.flatnonzero(np.asarray(mask))
        if len(bad):
            row = frame.iloc[int(bad[0])]
            ticket = f" (ticket {row['ticket_id']})" if "ticket_id" in frame and pd.notna(row.get("ticket_id")) else ""
            raise InputError(
                source,
                Problem(
                    f"column '{column}'",
                    f"the row of {row['work_type']} at {stamps[bad[0]]}{ticket} {what} ({len(bad)} row(s) like it)",
                    fix,
                ),
            )
    if history.kind == "intervals":
        values = frame["volume"].to_numpy(dtype=float)
    else:
        values = np.ones(len(frame))
    table = pd.DataFrame(
        {"interval_start": stamps.floor(step), "work_type": frame["work_type"].astype(str), "n": values}
    )
    counts = table.pivot_table(index="interval_start", columns="work_type", values="n", aggfunc="sum", fill_value=0.0)
    counts.columns = [str(c) for c in counts.columns]
    return counts


def _quieter(refit: ReforecastResult) -> frozenset[str]:
    """The work types running below forecast with 90% confidence (the multiplier's p90 under 1)."""
    table = refit.multipliers
    return frozenset(table.loc[table["multiplier_p90"] < 1.0, "work_type"].astype(str))


def _plan_requirement(path: str | Path, center: Center, day_start: pd.Timestamp, day_end: pd.Timestamp) -> pd.DataFrame:
    """The rows of `path` (a `models.REQUIREMENT` table: the requirement the roster was made for) on the day."""
    table = read_table(path, REQUIREMENT, timezone=center.timezone)
    starts = pd.DatetimeIndex(table["interval_start"])
    rows = table[(starts >= day_start) & (starts < day_end)]
    if rows.empty:
        raise InputError(
            str(path),
            Problem(
                "column 'interval_start'",
                f"has no interval on {day_start.date()}, the day of --at",
                "give the requirement the roster was made for (wfm plan's requirement.csv)",
            ),
        )
    return rows


def _plan_factors(plan: pd.DataFrame, rest: pd.DataFrame, center: Center) -> pd.Series:
    """Per row of `rest` (forecast rows), the plan's calibration of the handle time (its `aht_factor` less the
    proficiency factor that `requirement_table` applies itself); 1 where the plan has none."""
    proficiency = proficiency_factors(center)
    keys = pd.MultiIndex.from_arrays([pd.DatetimeIndex(plan["interval_start"]), plan["work_type"].astype(str)])
    own = np.array([proficiency[w] for w in plan["work_type"].astype(str)])
    given = plan["aht_factor"].to_numpy(dtype=float) if "aht_factor" in plan else own
    calibrated = np.where(np.isfinite(given) & (given > 0), given, own) / own
    factors = pd.Series(calibrated, index=keys)
    factors = factors[~factors.index.duplicated()]
    wanted = pd.MultiIndex.from_arrays([pd.DatetimeIndex(rest["interval_start"]), rest["work_type"].astype(str)])
    return pd.Series(factors.reindex(wanted).fillna(1.0).to_numpy(), index=rest.index)


def _window_rows(result: IntradayResult, requirement: pd.DataFrame, work_type: str) -> tuple[pd.DataFrame, np.ndarray]:
    p = result.problem
    rows = requirement[requirement["work_type"] == work_type]
    index = p.horizon.intervals.get_indexer(pd.DatetimeIndex(rows["interval_start"]))
    inside = (index >= p.first) & (index < p.last)
    return rows[inside], index[inside] - p.first


def _today_so_far(
    history: History, center: Center, forecast: pd.DataFrame, at: pd.Timestamp, source: str
) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """The day's KPIs up to the moment (`planner.kpis`, as `wfm kpis` gives them), per work type."""
    if history.frame.empty:
        return None, ["no contact so far today: no KPIs of today yet"]
    try:
        kpis = compute_kpis(
            history.frame,
            center,
            start=at.date(),
            end=at.date(),
            as_of=at,
            forecast=forecast,
            sources={"history": source},
        )
    except InputError as exc:  # e.g. nothing arrived in the window yet
        return None, [f"no KPIs of today yet: {exc}"]
    table = kpis.by_work_type.astype(object).where(kpis.by_work_type.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")], list(kpis.notes)


def _simulate_rest(
    result: IntradayResult,
    rest: pd.DataFrame,
    history: History,
    open_tickets: pd.DataFrame | None,
    at: pd.Timestamp,
    settings: SimulationSettings,
) -> tuple[dict[str, Any], list[str]]:
    """The rest of the day simulated from the state at `at` (waiting contacts from the actuals, open tickets)
    against the reforecast, under the roster as published (absences taken out) and as re-planned: per work type
    the service level with its 95% interval, the same seeds for both."""
    p = result.problem
    horizon = p.center.horizon(p.date, 1)
    began = time.monotonic()
    state = state_from_history(
        p.center,
        horizon,
        at,
        actuals=history.frame if history.kind == "tickets" else None,
        open_tickets=open_tickets,
        sources={"actuals": history.source},
    )
    demand = forecast_demand(rest, p.center, horizon, source="reforecast")
    out: dict[str, Any] = {"replications": settings.replications}
    for name, roster in (("before", result.published), ("after", result.roster)):
        scenario = build_scenario(p.center, roster, demand, horizon, state=state)
        levels: SimulationResult = simulate(scenario, settings)
        table = levels.work_types.set_index("work_type")
        out[name] = {
            str(w): {
                "service_level": _number(r["service_level"]),
                "service_level_lo": _number(r["service_level_lo"]),
                "service_level_hi": _number(r["service_level_hi"]),
                "abandon_rate": _number(r.get("abandon_rate")),
            }
            for w, r in table.iterrows()
        }
    out["time_s"] = round(time.monotonic() - began, 3)
    notes = list(state.notes)
    if history.kind != "tickets":
        notes.append("the actuals are interval counts: the simulation starts with nobody waiting")
    return out, notes


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def _summary(
    result: IntradayResult,
    refit: ReforecastResult,
    required: pd.DataFrame,
    assignment: AssignResult | None,
    at: pd.Timestamp,
    wall_s: float,
) -> dict[str, Any]:
    p = result.problem
    levels: dict[str, dict[str, float | None]] = {"before": {}, "after": {}}
    for w, work_type in enumerate(p.work_types):
        if p.center.work_type(work_type).mode.value != "realtime":
            continue
        rows, t = _window_rows(result, required, work_type)
        levels["before"][work_type] = expected_service_level(p.center, work_type, rows, result.covered_before[t, w])
        levels["after"][work_type] = expected_service_level(p.center, work_type, rows, result.covered_after[t, w])
    made = result.changes[result.changes["change"] != "absence"]
    multipliers = refit.multipliers.set_index("work_type")
    return {
        "status": result.status,
        "at": at.isoformat(),
        "date": str(p.date),
        "time_s": round(wall_s, 3),
        "solve_s": round(result.wall_s, 3),
        "rest_of_day_from": p.stamp(p.first).isoformat(),
        "reforecast": {
            str(w): {
                "actual_so_far": float(r["actual_so_far"]),
                "forecast_so_far": float(r["forecast_so_far"]),
                "multiplier": float(r["multiplier"]),
                "multiplier_p10": float(r["multiplier_p10"]),
                "multiplier_p90": float(r["multiplier_p90"]),
            }
            for w, r in multipliers.iterrows()
        },
        "understaffed_agent_hours": {
            "before": result.understaffed_hours(result.covered_before),
            "after": result.understaffed_hours(result.covered_after),
        },
        "expected_service_level": levels,
        "changes": {
            "count": len(made),
            "by_kind": {str(k): int(v) for k, v in made["change"].value_counts().sort_index().items()},
            "cost": round(float(made["cost"].sum()), 2),
            "agents_disturbed": result.agents_disturbed,
            "absences": int((result.changes["change"] == "absence").sum()),
            "rejected_by_validator": [str(v) for v in result.rejected],
        },
        "assignment": assignment.summary() if assignment is not None else None,
    }


def _changes_text(changes: pd.DataFrame) -> str:
    frame = changes.copy()
    for column in ("start", "end"):
        frame[column] = [pd.Timestamp(v).isoformat() for v in frame[column]]
    return str(frame.to_csv(index=False, lineterminator="\n"))
