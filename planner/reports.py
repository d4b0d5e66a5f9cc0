"""Pictures and report sections for people: the forecast against its history (with the p10-p90 band), the
staffing requirement and the simulated service level per hour (hours of day on the time axis), and a plan's
sections of the roster's report (`plan_sections`: what the plan promises and its check simulates, its capacity
diagnosis, the simulation loop's iterations)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting import TOTAL, ForecastResult, HourlyHistory
from models import Center, WorkType
from models.io import atomic_write
from planner.simulation import SimulationResult

if TYPE_CHECKING:
    from planner.diagnosis import Diagnosis
    from planner.loop import LoopResult

__all__ = [
    "ReportSections",
    "daily_service_levels",
    "diagnosis_section",
    "hour_ticks",
    "plan_sections",
    "plot_forecast",
    "plot_requirement_heatmap",
    "plot_service_heatmap",
    "pyplot",
    "target_text",
    "work_type_label",
]

#: How much history the plot shows before the forecast.
HISTORY_DAYS_SHOWN = 14
#: Local hours of day labelled on the time axes besides midnight (which also carries the date).
HOUR_TICKS = (6, 12, 18)


@dataclass(frozen=True)
class ReportSections:
    """HTML sections a caller adds to the roster's report, each placed where a planner reads it: `service` replaces
    the roster's own service-level section at the top (a plan's promised and simulated levels), `findings` follow
    the shortfall (a plan's capacity diagnosis), `details` come just before the solver's figures (a plan's
    simulation loop)."""

    service: Sequence[str] = ()
    findings: Sequence[str] = ()
    details: Sequence[str] = ()


def hour_ticks(ax: Any, local: pd.DatetimeIndex, positions: np.ndarray, timezone: str) -> None:
    """Label the x axis of `ax` with the local hours of day: at each local midnight ``00:00`` over the date, at
    `HOUR_TICKS` the hour (minor ticks), from the local time `local` of each of the axis' `positions`."""
    on_hour = np.asarray((local.minute == 0) & (local.second == 0))
    midnight = on_hour & np.asarray(local.hour == 0)
    marked = on_hour & np.asarray(local.hour.isin(HOUR_TICKS))
    ax.set_xticks(positions[midnight], [f"00:00\n{t:%a} {t.day} {t:%b}" for t in local[midnight]], fontsize=7)
    ax.set_xticks(positions[marked], [f"{t.hour:02d}:00" for t in local[marked]], minor=True, fontsize=6)
    ax.tick_params(axis="x", which="minor", length=3, labelcolor="0.35")
    ax.set_xlabel(f"local time ({timezone}): hour of day, the date at each midnight", fontsize=7)


def work_type_label(work_type: WorkType) -> str:
    """A work type as the centre names it: ``Billing calls (billing_phone)``, or the id alone."""
    return f"{work_type.name} ({work_type.id})" if work_type.name else work_type.id


def target_text(work_type: WorkType) -> str:
    """The work type's target in words: ``80% answered within 20 s``, ``90% first response within 24 h``."""
    target = work_type.target
    seconds = target.within_s
    if seconds < 120:
        within = f"{seconds} s"
    elif seconds < 2 * 3600:
        within = f"{seconds / 60:g} min"
    else:
        within = f"{seconds / 3600:g} h"
    measure = {"answer": "answered", "first_response": "first response", "resolution": "resolved"}[
        str(target.measure.value)
    ]
    return f"{_percent(target.service_level)} {measure} within {within}"


def plot_forecast(hourly: HourlyHistory, result: ForecastResult, path: str | Path) -> Path:
    """A PNG with one panel per work type and one for the total: the last two weeks of hourly history, the
    hourly forecast and its p10-p90 band (band of the total: the sum of the types' bands is not a band, so the
    total shows its own calibrated band)."""
    plt = pyplot()
    history = hourly.counts.copy()
    history[TOTAL] = hourly.total
    history = history.iloc[-HISTORY_DAYS_SHOWN * 24 :]
    names = [TOTAL, *hourly.work_types] if len(hourly.work_types) > 1 else hourly.work_types
    cols = 2 if len(names) > 1 else 1
    rows = math.ceil(len(names) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(7 * cols, 2.4 * rows), squeeze=False, sharex=True)
    for ax, name in zip(axes.flat, names, strict=False):
        mean = result.hourly[name]
        band = result.bands[name]
        index = pd.DatetimeIndex(mean.index).tz_localize(None)
        shown = pd.DatetimeIndex(history.index).tz_localize(None)
        ax.plot(shown, history[name].to_numpy(), color="0.45", lw=0.8, label="history")
        ax.fill_between(
            index,
            band.quantile(mean.to_numpy(), 0.10),
            band.quantile(mean.to_numpy(), 0.90),
            color="tab:blue",
            alpha=0.25,
            lw=0,
            label="p10-p90",
        )
        ax.plot(index, mean.to_numpy(), color="tab:blue", lw=1.0, label="forecast")
        model = result.selected.get(name, "")
        ax.set_title(f"{name}  ({model})", fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    figure.suptitle(f"Contacts per hour ({hourly.timezone})", fontsize=10)
    figure.tight_layout()
    return _save_png(figure, path)


def plot_requirement_heatmap(requirement: pd.DataFrame, path: str | Path, center: Center | None = None) -> Path:
    """A PNG heatmap of the agents required (before shrinkage) per work type and interval over the horizon, the
    hours of day on the time axis (local time of `center`, else of the table); work types named as `center`
    names them."""
    return _save_png(_requirement_figure(requirement, center), path)


def _requirement_figure(requirement: pd.DataFrame, center: Center | None) -> Any:
    plt = pyplot()
    grid = requirement.pivot_table(
        index="work_type", columns="interval_start", values="required_agents", aggfunc="sum", sort=True
    )
    starts = pd.DatetimeIndex(grid.columns)
    zone = center.timezone if center is not None else str(starts.tz or "UTC")
    local = starts.tz_convert(zone) if starts.tz is not None else starts
    if center is not None:
        order = [w.id for w in center.work_types if w.id in grid.index]
        grid = grid.loc[order + [w for w in grid.index if w not in order]]
    labels = [_work_type_name(center, str(w)) for w in grid.index]
    figure, ax = plt.subplots(figsize=(14, 0.45 * len(grid) + 2.0))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(len(grid)), labels, fontsize=8)
    positions = np.arange(len(local))
    hour_ticks(ax, local, positions, zone)
    for i in positions[np.asarray((local.hour == 0) & (local.minute == 0))]:
        ax.axvline(i - 0.5, color="white", lw=0.5)
    figure.colorbar(image, ax=ax, label="agents required (before shrinkage)", pad=0.01)
    ax.set_title("Staffing requirement per interval and work type", fontsize=10, loc="left")
    figure.tight_layout()
    return figure


def _work_type_name(center: Center | None, work_type_id: str) -> str:
    if center is None or work_type_id not in center.work_types_by_id:
        return work_type_id
    return work_type_label(center.work_type(work_type_id))


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save_png(figure: Any, path: str | Path) -> Path:
    """Write `figure` as a PNG atomically, and release it."""

    def write(tmp: Path) -> None:
        figure.savefig(tmp, format="png", dpi=110)

    try:
        return atomic_write(path, write)
    finally:
        pyplot().close(figure)


# -- the plan's service level, loop and diagnosis (report sections) ------------------------------------------------


def _percent(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}%"


def _with_interval(mean: float | None, low: float | None, high: float | None) -> str:
    if mean is None:
        return "–"
    if low is None or high is None:
        return _percent(mean)
    return f"{_percent(mean)} ({100 * low:.1f}–{100 * high:.1f}%)"


def daily_service_levels(simulation: SimulationResult, center: Center) -> pd.DataFrame:
    """Per work type (rows) x local day (columns): the simulated service level (`planner.loop.cell_levels`)."""
    from planner.loop import cell_levels  # planner.loop imports the roster, whose export imports this module

    cells = cell_levels(simulation, center, block_hours=24)
    return cells.pivot(index="work_type", columns="day", values="service_level")


def plot_service_heatmap(simulation: SimulationResult, center: Center, path: str | Path) -> Path:
    """A PNG heatmap of the simulated service level less the target, per work type and local hour of the horizon
    (red: below target, blue: above; blank where nothing arrived), the hours of day on the time axis."""
    from planner.loop import cell_levels

    cells = cell_levels(simulation, center, block_hours=1)
    cells["hour"] = pd.to_datetime(cells["day"]) + pd.to_timedelta(cells["block"], unit="h")
    cells["gap"] = cells["service_level"] - cells["target"]
    return _save_png(_service_figure(cells.pivot(index="work_type", columns="hour", values="gap"), center), path)


def _service_figure(gap: pd.DataFrame, center: Center) -> Any:
    """The heatmap of `gap` (work types x local wall-clock hours, naive): the service level less the target."""
    plt = pyplot()
    order = [w.id for w in center.work_types if w.id in gap.index]
    present = pd.DatetimeIndex(gap.columns)
    if len(present):  # every wall-clock hour of the days shown, so that the axis is even where nothing arrived
        present = pd.date_range(present.min().normalize(), present.max().normalize() + pd.Timedelta(hours=23), freq="h")
    gap = gap.loc[order].reindex(columns=present)
    hours = pd.DatetimeIndex(gap.columns)
    figure, ax = plt.subplots(figsize=(14, 0.45 * len(gap) + 2.0))
    cmap = plt.get_cmap("RdBu").with_extremes(bad="0.92")
    values = np.ma.masked_invalid(gap.to_numpy(dtype=float) * 100)
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-40, vmax=40, interpolation="nearest")
    ax.set_yticks(range(len(gap)), [work_type_label(center.work_type(w)) for w in order], fontsize=8)
    positions = np.arange(len(hours))
    hour_ticks(ax, hours, positions, center.timezone)
    for i in positions[np.asarray(hours.hour == 0)]:
        ax.axvline(i - 0.5, color="black", lw=0.5)
    figure.colorbar(image, ax=ax, label="simulated service level less target (points)", pad=0.01)
    ax.set_title("Simulated service level against target, per hour (red: below, blue: above)", fontsize=10, loc="left")
    figure.tight_layout()
    return figure


def plan_sections(center: Center, planned: LoopResult, diagnosis: Diagnosis, check: SimulationResult) -> ReportSections:
    """The report's sections for a plan: the service level per work type against its target (promised, checked,
    the staffing maths' estimate), per day and per hour (heatmap) at the top; the capacity diagnosis and its
    remedies after the shortfall; the simulation loop's iterations before the solver's figures."""
    from planner.roster.export import html_image, html_rows_table

    promised, checked = planned.simulation.service_levels(), check.service_levels()
    erlang = {**planned.roster.kpis["expected_service_level"], **planned.roster.kpis["deferred_work_in_time"]}
    rows = []
    for work_type in center.work_types:
        p, c = promised[work_type.id], checked[work_type.id]
        level = c[0]
        target = work_type.target.service_level
        if level is None:
            status = "no contacts"
        elif level >= target:
            status = "meets target"
        elif level >= target - planned.tolerance:
            status = f"within {100 * planned.tolerance:.0f} points"
        else:
            status = f"{100 * (target - level):.1f} points short: see the diagnosis"
        rows.append(
            [
                work_type_label(work_type),
                work_type.priority,
                target_text(work_type),
                _with_interval(*p),
                _with_interval(*c),
                _percent(erlang.get(work_type.id)),
                status,
            ]
        )
    head = (
        "<h2>Service level: promised and simulated</h2>\n<p>Per work type against its target. The promise is the "
        f"plan's own simulation (the loop's {planned.simulation.summary['replications']} replications); the check "
        f"simulates the same roster with other random numbers ({check.summary['replications']} replications); "
        "95% intervals in brackets. Deferred work (e-mail, tickets): the share done within its response window. "
        "The staffing maths' figure is Erlang at the roster's allocation.</p>\n"
        + html_rows_table(
            ["work type", "priority", "target", "promised", "simulated check", "staffing maths", "status"], rows
        )
    )
    daily = daily_service_levels(check, center)
    day_rows = []
    for work_type in center.work_types:
        if work_type.id not in daily.index:
            continue
        values = daily.loc[work_type.id].to_numpy(dtype=float)
        target = work_type.target.service_level
        day_rows.append(
            [work_type_label(work_type), _percent(target)]
            + [
                "–" if math.isnan(v) else (_percent(float(v)) + (" ▼" if v < target - planned.tolerance else ""))
                for v in values
            ]
        )
    day_names = [f"{pd.Timestamp(d):%a} {pd.Timestamp(d).day} {pd.Timestamp(d):%b}" for d in daily.columns]
    per_day = (
        "<h2>Simulated service level per day</h2>\n<p>The check simulation per local day; ▼: more than "
        f"{100 * planned.tolerance:.0f} points below target; –: nothing arrived.</p>\n"
        + html_rows_table(["work type", "target", *day_names], day_rows)
    )
    with TemporaryDirectory() as tmp:
        png = plot_service_heatmap(check, center, Path(tmp) / "service.png").read_bytes()
    heatmap = (
        "<h2>Simulated service level per hour</h2>\n<p>The check simulation's service level less the target, per "
        "work type and local hour: red below target, blue above, grey where nothing arrived.</p>\n"
        + html_image(png, "Simulated service level less target per work type and hour")
    )
    labels = [w.id for w in center.work_types]
    loop_rows = [
        [
            str(i.number) + (" (kept)" if i.number == planned.chosen else ""),
            f"{i.paid_hours:,.0f}",
            i.cells_below,
            f"{100 * i.shortfall:.1f}",
            f"{i.elapsed_s:.0f}",
            *[_percent(i.service_level.get(w)) for w in labels],
        ]
        for i in planned.iterations
    ]
    requirement = planned.requirement
    hours = center.interval_minutes / 60
    with_shrinkage = float(requirement["required_agents_with_shrinkage"].sum() * hours)
    loop = (
        "<h2>Simulation in the loop</h2>\n"
        f"<p>{html.escape('; '.join(planned.notes))}. The kept roster pays {planned.roster.kpis['paid_hours']:,.0f} "
        f"hours; its requirement, with shrinkage, asks for {with_shrinkage:,.0f} agent-hours. Weighted shortfall: "
        "points below target beyond the tolerance, summed over work types, each over its priority.</p>\n"
        + html_rows_table(
            ["iteration", "paid hours", "cells below target", "weighted shortfall", "elapsed s", *labels], loop_rows
        )
    )
    return ReportSections(
        service=(head, per_day, heatmap), findings=(diagnosis_section(diagnosis, center),), details=(loop,)
    )


def diagnosis_section(diagnosis: Diagnosis, center: Center | None = None) -> str:
    """The capacity diagnosis and its remedies as an HTML section (work types named as `center` names them)."""
    from planner.roster.export import html_rows_table

    if not diagnosis.shortfalls:
        return "<h2>Capacity diagnosis</h2>\n<p>Every work type is simulated within tolerance of its target.</p>"
    parts = ["<h2>Capacity diagnosis</h2>"]
    for work_type, short in diagnosis.shortfalls.items():
        name = html.escape(_work_type_name(center, work_type))
        parts.append(
            f"<h3>{name}: simulated {_percent(short.simulated)} against {_percent(short.target)}</h3>\n"
            f"<p>Short {short.agent_hours_short:,.0f} agent-hours; binding: <b>{html.escape(short.binding)}</b>: "
            f"{html.escape(short.reason)}.</p>"
        )
        remedies = diagnosis.ranked(work_type)
        if remedies:
            parts.append(
                html_rows_table(
                    ["rank", "remedy", "extra weekly pay", "extra paid hours", f"{work_type} simulated", "meets"],
                    [
                        [
                            rank,
                            r.description,
                            f"{r.extra_cost:,.0f}",
                            f"{r.extra_paid_hours:,.0f}",
                            _percent(r.service_level.get(work_type)),
                            "yes" if r.meets.get(work_type) else "no",
                        ]
                        for rank, r in enumerate(remedies, start=1)
                    ],
                )
            )
    if diagnosis.notes:
        parts.append('<p class="muted">' + html.escape("; ".join(diagnosis.notes)) + ".</p>")
    return "\n".join(parts)
