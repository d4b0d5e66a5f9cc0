"""What the `wfm` commands print: a job's summary on stdout, warnings, notes, progress and errors on stderr
(`console`, `err`), tables as aligned plain text."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Console

from forecasting import BASELINE
from planner.diagnosis import Diagnosis
from planner.inputs import CenterSummary, HistorySummary, InputReport
from planner.intraday.job import IntradayJob
from planner.jobs import (
    AssignJob,
    BacktestJob,
    ForecastJob,
    KpiJob,
    PlanJob,
    RequirementJob,
    RosterJob,
    SimulationJob,
)
from planner.loop import Iteration, LoopResult
from planner.roster import Progress, RosterCheck
from scenarios.demo import DemoReport

if TYPE_CHECKING:  # imported by the commands that need them, when they run (Dask and the service load slowly)
    from scenarios.capacity import CapacityResult
    from scenarios.runner import ScenarioRun

__all__ = [
    "ProgressPrinter",
    "console",
    "err",
    "print_assign",
    "print_backtest",
    "print_capacity",
    "print_demo",
    "print_forecast",
    "print_history_remarks",
    "print_inputs",
    "print_intraday",
    "print_iteration",
    "print_kpis",
    "print_plan",
    "print_requirement",
    "print_roster",
    "print_roster_check",
    "print_scenario_run",
    "print_serving",
    "print_simulation",
    "print_token",
    "print_variant",
    "print_wrote",
    "print_wrote_each",
]


console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# -- shared ----------------------------------------------------------------------------------------------------------


class _TextTable:
    """Rows printed as aligned plain text that never truncates (pipes and narrow terminals alike)."""

    def __init__(self, *headers: str) -> None:
        self.headers = list(headers)
        self.rows: list[list[str]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def __str__(self) -> str:
        lines = [self.headers, *self.rows]
        widths = [max(len(line[k]) for line in lines) for k in range(len(self.headers))]
        padded = ("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines)
        return "\n".join(line.rstrip() for line in padded)


def _table(*headers: str) -> _TextTable:
    return _TextTable(*headers)


def _percent(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1%}"


def _percent_ci(value: float, low: float, high: float) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:.1%}" + ("" if pd.isna(low) else f" [{low:.1%}, {high:.1%}]")


def print_wrote(files: Iterable[Path], *, markup: bool = True) -> None:
    """The files a command wrote, on one line."""
    console.print("Wrote: " + ", ".join(str(p) for p in files), markup=markup)


def print_wrote_each(files: Iterable[Path]) -> None:
    """The files a command wrote, a line each."""
    for path in files:
        console.print(f"wrote {path}", markup=False)


def print_history_remarks(warnings: list[str], notes: list[str]) -> None:
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)
    for note in notes:
        err.print(f"note: {note}", markup=False)


# -- inputs, forecast and requirement --------------------------------------------------------------------------------


def print_inputs(report: InputReport, center: Path | None, history: Path | None) -> None:
    if report.center is not None:
        _print_center(report.center, str(center))
    if report.history is not None:
        _print_history(report.history, str(history))
    if report.outside_hours is not None:
        _print_outside_hours(report.outside_hours, str(history))
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)


def _print_center(summary: CenterSummary, source: str) -> None:
    contracts = ", ".join(f"{n} on {c}" for c, n in summary.contracts.items())
    console.print(
        f"{source}: OK - '{summary.name}' ({summary.timezone}): {summary.agents} agents "
        f"({summary.cross_skilled_agents} cross-skilled; {contracts}), {summary.skills} skills, "
        f"{len(summary.work_types)} work types"
    )
    table = _table("work type", "channel", "mode", "priority", "target", "AHT s", "agents")
    for row in summary.work_types.itertuples(index=False):
        table.add_row(
            str(row.work_type),
            str(row.channel),
            str(row.mode),
            str(row.priority),
            str(row.target),
            f"{row.aht_s:.0f}",
            str(row.agents),
        )
    console.print(str(table), markup=False)


def _print_history(summary: HistorySummary, source: str) -> None:
    shape = "one row per ticket" if summary.kind == "tickets" else f"counts per {summary.interval_minutes} min"
    console.print(
        f"{source}: OK - {summary.rows:,} rows ({shape}) from {summary.start:%Y-%m-%d %H:%M} to "
        f"{summary.end:%Y-%m-%d %H:%M} {summary.timezone or '(no time zone)'}"
    )
    table = _table("work type", "volume", "share", "mean handle s")
    for row in summary.by_work_type.to_dict("records"):
        handle = row.get("mean_handle_time_s")
        table.add_row(
            str(row["work_type"]),
            f"{row['volume']:,.0f}",
            f"{row['share']:.1%}",
            "-" if handle is None or pd.isna(handle) else f"{handle:.0f}",
        )
    console.print(str(table), markup=False)


def _print_outside_hours(outside: pd.DataFrame, source: str) -> None:
    if not (outside["outside"] > 0).any():
        console.print(f"{source}: every contact arrived within its work type's opening hours", markup=False)
        return
    console.print(
        f"{source}: contacts that arrived while their work type was closed (outside its opening hours or on a "
        "closed day; the forecast drops them or moves them to the next opening, as outside_hours says):",
        markup=False,
    )
    table = _table("work type", "contacts", "outside hours", "share", "outside_hours")
    for row in outside.to_dict("records"):
        table.add_row(
            str(row["work_type"]),
            f"{row['contacts']:,.0f}",
            f"{row['outside']:,.0f}",
            f"{row['share']:.1%}",
            str(row["outside_hours"]),
        )
    console.print(str(table), markup=False)


def print_forecast(job: ForecastJob) -> None:
    result = job.result
    console.print(
        f"Forecast {job.start} + {job.days} days ({job.inputs.timezone}), "
        f"{len(result.table):,} rows at {_interval_of(result.table)} min."
    )
    table = _table("series", "model", "backtest WAPE", "forecast volume", "p10-p90 alpha")
    scores = result.scores.to_dict("index")
    for name, model in result.selected.items():
        volume = result.hourly[name].sum()
        table.add_row(
            name,
            model,
            f"{scores[name][model]:.3f}",
            f"{volume:,.0f}",
            f"{result.bands[name].alpha:.4f}",
        )
    console.print(str(table), markup=False)
    print_history_remarks(job.inputs.warnings, [*job.inputs.notes, *result.notes])


def _interval_of(table: pd.DataFrame) -> int:
    starts = table["interval_start"].drop_duplicates()
    return int((starts.iloc[1] - starts.iloc[0]).total_seconds() // 60) if len(starts) > 1 else 60


def print_backtest(job: BacktestJob) -> None:
    metrics = job.result.metrics
    console.print(
        f"Backtest from {len(job.result.origins)} origin(s) "
        f"({', '.join(str(o) for o in job.result.origins)}), {job.inputs.timezone}:"
    )
    table = _table(
        "series", "model", "WAPE", f"vs {BASELINE}", "vs naive", "MASE", "bias", "p10-p90", "Poisson floor", "selected"
    )
    for row in metrics.itertuples(index=False):
        table.add_row(
            str(row.work_type), str(row.model) + (" (baseline)" if row.model == BASELINE else ""), f"{row.wape:.3f}",
            f"{row.ratio_to_baseline:.2f}", f"{row.ratio_to_naive:.2f}", f"{row.mase:.2f}", f"{row.bias:+.3f}",
            f"{row.coverage_p10_p90:.0%}", f"{row.poisson_floor:.3f}", str(row.selected_model),
        )  # fmt: skip
    console.print(str(table), markup=False)
    console.print(
        f"baseline {BASELINE}: the mean of the same hour over the last 8 weeks (normal days of the same weekday); "
        f"vs {BASELINE} below 1.00 beats it."
    )
    print_history_remarks(job.inputs.warnings, job.inputs.notes)
    print_wrote(job.files)


def print_requirement(job: RequirementJob) -> None:
    table = job.table
    hours = (table["interval_start"].drop_duplicates().sort_values().diff().dt.total_seconds().mode().iloc[0]) / 3600
    summary = _table("work type", "method", "peak agents", "agent-hours", "with shrinkage")
    for work_type, rows in table.groupby("work_type", sort=False):
        summary.add_row(
            str(work_type),
            str(rows["method"].iloc[0]),
            f"{rows['required_agents_int'].max():.0f}",
            f"{rows['required_agents'].sum() * hours:,.0f}",
            f"{rows['required_agents_with_shrinkage'].sum() * hours:,.0f}",
        )
    console.print(str(summary), markup=False)
    peak = table.groupby("interval_start")["required_agents_with_shrinkage"].sum()
    console.print(f"Peak: {peak.max():.1f} agents scheduled (with shrinkage) at {peak.idxmax():%a %d %b %H:%M}.")
    for note in job.notes:
        err.print(f"note: {note}", markup=False)


# -- roster and plan -------------------------------------------------------------------------------------------------


class ProgressPrinter:
    """Live progress of a solve, at most a line a second (and every first and last line)."""

    def __init__(self) -> None:
        self.last = -1.0

    def __call__(self, step: Progress) -> None:
        if step.elapsed_s - self.last < 1.0 and self.last >= 0:
            return
        self.last = step.elapsed_s
        err.print(
            f"  {step.elapsed_s:7.1f} s  objective {step.objective:12,.1f}  bound {step.bound:12,.1f}  "
            f"gap {step.gap:7.2%}" + (f"  ({step.source})" if step.source else ""),
            markup=False,
        )


def print_roster(done: RosterJob) -> None:
    result = done.result
    if result.interrupted:
        err.print("interrupted: best roster so far (validated; not searched to the time limit)", markup=False)
    console.print(
        f"Roster: {result.status}, objective {result.objective:,.1f}, bound {result.best_bound:,.1f}, "
        f"gap {result.gap:.2%}, {result.solve_time_s:.1f} s "
        f"(first roster after {result.first_solution_s or 0:.1f} s); validator: passed.",
        markup=False,
    )
    table = _TextTable("rule", "points")
    for name, value in result.breakdown.items():
        table.add_row(name, f"{value:,.1f}")
    console.print(str(table), markup=False)
    kpis = result.kpis
    levels = ", ".join(
        [f"{w} {v:.0%}" for w, v in kpis["expected_service_level"].items() if v is not None]
        + [f"{w} {v:.0%} in time" for w, v in kpis.get("deferred_work_in_time", {}).items() if v is not None]
    )
    short = ", ".join(f"{k} {v:.1f}" for k, v in kpis["understaffed_agent_hours"].items())
    console.print(
        f"{kpis['shifts']} shifts for {kpis['agents_rostered']} agents, {kpis['paid_hours']:,.1f} paid hours, cost "
        f"{kpis['paid_cost']:,.2f}. Understaffed agent-hours: {short}. Expected service level: {levels}.",
        markup=False,
    )
    calendars = [p for p in done.files if p.suffix == ".ics"]
    others = [p for p in done.files if p.suffix != ".ics"]
    console.print(
        "Wrote: " + ", ".join(str(p) for p in others) + (f", and {len(calendars)} calendars" if calendars else ""),
        markup=False,
    )


def print_roster_check(done: RosterCheck) -> None:
    """`wfm check-roster`: valid, or every rule check the roster breaks."""
    if done.valid:
        console.print(f"roster valid: {done.shifts} shifts, {done.agents} agents", markup=False)
        return
    for violation in done.violations:
        console.print(str(violation), markup=False)
    rules = sorted({v.rule for v in done.violations})
    err.print(f"roster breaks {len(done.violations)} rule check(s): {', '.join(rules)}", markup=False)


def print_iteration(step: Iteration) -> None:
    levels = ", ".join(f"{w} {v:.0%}" for w, v in step.service_level.items() if v is not None)
    console.print(
        f"  loop {step.number}: {step.paid_hours:,.0f} paid hours, {step.cells_below} cells below target, "
        f"simulated {levels} ({step.elapsed_s:.0f} s)",
        markup=False,
    )


def _print_plan_quality(loop: LoopResult, diagnosis: Diagnosis) -> None:
    console.print("; ".join(loop.notes) + ".", markup=False)
    if not diagnosis.shortfalls:
        console.print("Capacity diagnosis: every work type is simulated within tolerance of its target.")
        return
    console.print(f"Capacity diagnosis ({diagnosis.elapsed_s:.0f} s):", markup=False)
    for work_type, short in diagnosis.shortfalls.items():
        console.print(
            f"  {work_type}: simulated {short.simulated:.1%} against {short.target:.0%}, short "
            f"{short.agent_hours_short:,.0f} agent-hours. Binding: {short.binding}: {short.reason}.",
            markup=False,
        )
        for rank, remedy in enumerate(diagnosis.ranked(work_type), start=1):
            level = remedy.service_level.get(work_type)
            console.print(
                f"    {rank}. {remedy.description}: extra weekly pay {remedy.extra_cost:,.0f}, "
                f"{work_type} simulated {'-' if level is None else f'{level:.1%}'}"
                f"{' (meets target)' if remedy.meets.get(work_type) else ''}",
                markup=False,
            )
    if diagnosis.notes:
        console.print("  " + "; ".join(diagnosis.notes) + ".", markup=False)


def print_plan(done: PlanJob) -> None:
    print_history_remarks(done.forecast.inputs.warnings, done.forecast.inputs.notes)
    for note in done.forecast.result.notes:  # what the forecast dropped or moved while closed, among others
        err.print(f"note: {note}", markup=False)
    print_requirement(done.requirement)
    print_roster(done.roster)
    if done.simulation is not None:
        print_simulation(done.simulation)
    if done.loop is not None and done.diagnosis is not None:
        _print_plan_quality(done.loop, done.diagnosis)


# -- assignment, simulation, KPIs, intraday --------------------------------------------------------------------------


def print_assign(done: AssignJob) -> None:
    result = done.result
    console.print(
        f"Assignment ({result.method}): {result.status}, objective {result.objective:,.1f}, bound "
        f"{result.best_bound:,.1f}, gap {result.gap:.2%}, {result.solve_time_s:.1f} s; "
        f"{result.kpis['assigned']:,} of {result.kpis['tickets']:,} tickets assigned.",
        markup=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    table = _TextTable(
        "method", "weighted breaches", "breaches by priority", "late minutes", "unassigned", "max work h"
    )
    for r in [result, *done.compared.values()]:
        k = r.kpis
        by_priority = ", ".join(f"P{p} {n}" for p, n in k["predicted_breaches_by_priority"].items())
        table.add_row(
            r.method,
            f"{k['priority_weighted_breaches']:,.0f}",
            by_priority or "-",
            f"{k['lateness_minutes']:,.0f}",
            f"{k['unassigned']:,}",
            f"{k['work_minutes_per_agent']['max'] / 60:.1f}",
        )
    console.print(str(table), markup=False)
    for reason, count in result.kpis["unassigned_by_reason"].items():
        console.print(f"unassigned: {count} ({reason})", markup=False)
    print_wrote(done.files, markup=False)


def print_simulation(done: SimulationJob) -> None:
    summary = done.result.summary
    console.print(
        f"Simulation: {summary['replications']} replications ({summary['policy']} routing, "
        f"{summary['contacts_per_replication']:,.0f} contacts each, {summary['wall_s']:.1f} s). Service level "
        f"{_percent_ci(summary['service_level'], *summary['service_level_ci'])}, abandoned "
        f"{_percent_ci(summary['abandon_rate'], *summary['abandon_rate_ci'])}, occupancy "
        f"{_percent_ci(summary['occupancy'], *summary['occupancy_ci'])}.",
        markup=False,
    )
    if "state" in summary:
        state = summary["state"]
        console.print(
            f"From {state['at']}: the rest of the day, with {state['waiting']:,} contact(s) waiting and "
            f"{state['in_progress']:,} in progress then.",
            markup=False,
        )
    table = _TextTable("work type", "target", "planned", "simulated [95% CI]", "abandoned", "ASA s", "breaches")
    expected = {}
    if done.comparison is not None:
        expected = dict(zip(done.comparison["work_type"], done.comparison["planned_service_level"], strict=True))
    for row in done.result.work_types.to_dict("records"):
        erlang = expected.get(row["work_type"])
        table.add_row(
            str(row["work_type"]),
            f"{row['target_service_level']:.0%}",
            "-" if erlang is None or pd.isna(erlang) else f"{erlang:.0%}",
            _percent_ci(row["service_level"], row["service_level_lo"], row["service_level_hi"]),
            "-" if pd.isna(row["abandon_rate"]) else f"{row['abandon_rate']:.1%}",
            "-" if pd.isna(row["asa_s"]) else f"{row['asa_s']:,.0f}",
            f"{row['sla_breaches']:,.0f}",
        )
    console.print(str(table), markup=False)
    for note in done.notes:
        err.print(f"note: {note}", markup=False)
    print_wrote(done.files, markup=False)


def print_kpis(done: KpiJob) -> None:
    result = done.result
    summary = result.summary
    by_type = result.by_work_type
    judged = f"; open contacts judged at {summary['as_of']}" if "unresolved" in by_type.columns else ""
    console.print(
        f"KPIs from {summary['from']} to {summary['to']}: {summary['contacts']:,.0f} contacts "
        f"({'one row per ticket' if summary['history'] == 'tickets' else 'interval counts'}){judged}.",
        markup=False,
    )
    shown: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        ("offered", "offered", lambda r: f"{r['offered']:,.0f}"),
        ("service level", "service_level", lambda r: _percent(r["service_level"])),
        ("target", "within_s", lambda r: f"{r['target_service_level']:.0%} in {r['within_s']:,} s"),
        ("ASA s", "asa_s", lambda r: "-" if math.isnan(r["asa_s"]) else f"{r['asa_s']:,.0f}"),
        ("abandoned", "abandon_rate", lambda r: _percent(r["abandon_rate"])),
        ("resolved in SLA", "resolved_within_sla", lambda r: _percent(r["resolved_within_sla"])),
        ("AHT s", "aht_s", lambda r: "-" if math.isnan(r["aht_s"]) else f"{r['aht_s']:,.0f}"),
        ("FCR", "first_contact_resolution", lambda r: _percent(r["first_contact_resolution"])),
        ("CSAT", "csat_mean", lambda r: "-" if math.isnan(r["csat_mean"]) else f"{r['csat_mean']:.2f}"),
        ("WAPE", "wape", lambda r: _percent(r["wape"])),
    ]
    columns = [(header, render) for header, key, render in shown if key in by_type.columns]
    table = _TextTable("work type", *(header for header, _ in columns))
    for record in by_type.to_dict("records"):
        row = {str(key): value for key, value in record.items()}
        table.add_row(str(row["work_type"]), *(render(row) for _, render in columns))
    console.print(str(table), markup=False)
    if "occupancy" in summary:
        console.print(f"Occupancy: {_percent(summary['occupancy'])} of the time on duty.", markup=False)
    balance = summary.get("workload_balance", {})
    if "handled" in balance:
        handled = balance["handled"]
        cv = "-" if handled["cv"] is None else f"{handled['cv']:.2f}"
        console.print(
            f"Workload across {handled['agents']} agents: {handled['min']:,.0f} to {handled['max']:,.0f} contacts "
            f"each (coefficient of variation {cv}).",
            markup=False,
        )
    print_history_remarks(done.warnings, done.notes)
    print_wrote(done.files, markup=False)


def print_intraday(done: IntradayJob) -> None:
    summary = done.summary
    print_history_remarks(done.warnings, done.notes)
    console.print(
        f"Re-plan of {summary['date']} from {summary['rest_of_day_from'][11:16]}: {summary['status'].lower()}, "
        f"{summary['time_s']:.1f} s"
    )
    simulated = summary.get("simulated_service_level")
    heads = ["work type", "actual/forecast so far", "multiplier (p10-p90)", "Erlang SL before", "after"]
    if simulated:
        heads += ["simulated SL before", "after"]
    table = _table(*heads)
    levels = summary["expected_service_level"]
    for work_type, r in summary["reforecast"].items():
        before, after = levels["before"].get(work_type), levels["after"].get(work_type)
        cells = [
            work_type,
            f"{r['actual_so_far']:.0f} / {r['forecast_so_far']:.0f}",
            f"{r['multiplier']:.2f} ({r['multiplier_p10']:.2f}-{r['multiplier_p90']:.2f})",
            "-" if before is None else f"{before:.0%}",
            "-" if after is None else f"{after:.0%}",
        ]
        if simulated:
            for side in ("before", "after"):
                level = simulated[side].get(work_type, {})
                value, low, high = (
                    level.get("service_level"),
                    level.get("service_level_lo"),
                    level.get("service_level_hi"),
                )
                cells.append("-" if value is None else _percent_ci(value, low or value, high or value))
        table.add_row(*cells)
    console.print(str(table), markup=False)
    short = summary["understaffed_agent_hours"]
    for level in short["before"]:
        console.print(
            f"priority {level}: understaffed {short['before'][level]:.2f} -> {short['after'][level]:.2f} agent-hours"
        )
    changes = summary["changes"]
    kinds = ", ".join(f"{n} {kind}" for kind, n in changes["by_kind"].items()) or "none"
    console.print(
        f"{changes['count']} change(s) ({kinds}), cost {changes['cost']:.2f}, {changes['agents_disturbed']} agent(s) "
        f"disturbed; {changes['absences']} absence(s)"
    )
    for row in done.result.changes.itertuples():
        if row.change != "absence":
            console.print(f"  {row.agent_id}: {row.change}: {row.before} -> {row.after}", markup=False)
    if done.assignment is not None:
        figures = done.assignment.summary().get("kpis", {})
        console.print(
            f"open tickets re-assigned: {figures.get('assigned', 0)} of {figures.get('tickets', 0)}, "
            f"{figures.get('late_tickets', 0)} predicted late ({figures.get('lateness_minutes', 0.0):.0f} min)"
        )
    print_wrote_each(done.files)


# -- demo ------------------------------------------------------------------------------------------------------------


def print_demo(report: DemoReport) -> None:
    scenario = report.scenario
    settings = scenario.settings
    console.print(
        f"Demo centre size {settings.size}, seed {settings.seed}: {settings.history_weeks} weeks of history up to "
        f"the plan week starting {settings.plan_start} (Monday)."
    )
    print_inputs(report.inputs, report.files[0], report.files[1])
    weekly = sum(scenario.weekly_volume.values())
    console.print(f"Expected volume in the plan week (a normal week): {weekly:,.0f} contacts.")
    print_forecast(report.forecast)
    print_requirement(report.requirement)
    print_wrote(report.files)
    if report.roster is not None:
        print_roster(report.roster)
    if report.simulation is not None:
        print_simulation(report.simulation)
    if report.loop is not None and report.diagnosis is not None:
        _print_plan_quality(report.loop, report.diagnosis)
    if report.assignment is not None:
        console.print("Assignment snapshot (the tickets open at the plan week's Tuesday 11:00 of the simulation):")
        print_assign(report.assignment)
    if report.intraday is not None:
        console.print(
            "Intraday re-plan (the plan week's Tuesday at 10:30, the busiest phone queue 25% hot since 10:00, two "
            "agents off sick since 09:00):"
        )
        print_intraday(report.intraday)


# -- what-if scenarios and the planning service ----------------------------------------------------------------------


def print_variant(event: Any) -> None:
    took = "" if event.wall_s is None else f" ({event.wall_s:.1f} s)"
    line = f"[{event.done}/{event.total}] {event.name}: {event.status}{took}"
    if event.error:
        line += f": {event.error}"
    (err if event.error else console).print(line, markup=False)


def print_scenario_run(done: ScenarioRun) -> None:
    console.print(
        f"{len(done.results)} variants: {done.planned} planned, {done.kept} kept from an earlier run, "
        f"{done.failed} failed; {done.wall_s:.1f} s",
        markup=False,
    )
    print_wrote_each(done.files)


def print_capacity(done: CapacityResult) -> None:
    summary = done.summary()
    if done.headcount is None:
        console.print(f"no headcount up to {max(done.meets)} meets every target", markup=False)
    else:
        console.print(
            f"{done.headcount} agents meet every target (today: {done.base_headcount}); "
            f"{len(done.meets)} headcounts evaluated in {summary['wall_s']:.0f} s",
            markup=False,
        )
        for work_type, level in (summary["service_level"] or {}).items():
            target = summary["target"][work_type]
            shown = "-" if level is None else f"{level:.1%}"
            console.print(f"  {work_type}: {shown} (target {target:.0%})", markup=False)
    print_wrote_each(done.files)


def print_serving(host: str, port: int, store: str) -> None:
    console.print(f"serving on http://{host}:{port} (pages at /, API docs at /docs), store {store}", markup=False)


def print_token(name: str, role: str, token: str) -> None:
    """A new user's API token, alone on the last line."""
    console.print(f"user {name.strip()} added as {role}; their API token (shown once, keep it safe):", markup=False)
    console.print(token, markup=False)
