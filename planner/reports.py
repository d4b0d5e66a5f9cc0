"""Pictures for people: the forecast against its history, with the p10-p90 band."""

from __future__ import annotations

import html
import math
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting import TOTAL, ForecastResult, HourlyHistory
from models import Center
from models.io import atomic_write
from planner.simulation import SimulationResult

if TYPE_CHECKING:
    from planner.diagnosis import Diagnosis
    from planner.loop import LoopResult

__all__ = [
    "daily_service_levels",
    "diagnosis_section",
    "plan_sections",
    "plot_forecast",
    "plot_requirement_heatmap",
    "plot_service_heatmap",
]

#: How much history the plot shows before the forecast.
HISTORY_DAYS_SHOWN = 14


def plot_forecast(hourly: HourlyHistory, result: ForecastResult, path: str | Path) -> Path:
    """A PNG with one panel per work type and one for the total: the last two weeks of hourly history, the
    hourly forecast and its p10-p90 band (band of the total: the sum of the types' bands is not a band, so the
    total shows its own calibrated band)."""
    plt = _pyplot()
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


def plot_requirement_heatmap(requirement: pd.DataFrame, path: str | Path) -> Path:
    """A PNG heatmap of the agents required (before shrinkage) per work type and interval over the horizon."""
    plt = _pyplot()
    grid = requirement.pivot_table(
        index="work_type", columns="interval_start", values="required_agents", aggfunc="sum", sort=True
    )
    starts = pd.DatetimeIndex(grid.columns).tz_localize(None)
    figure, ax = plt.subplots(figsize=(14, 0.45 * len(grid) + 1.6))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(len(grid)), [str(w) for w in grid.index], fontsize=8)
    days = [i for i, t in enumerate(starts) if t.hour == 0 and t.minute == 0]
    ax.set_xticks(days, [starts[i].strftime("%a %d %b") for i in days], fontsize=8)
    for i in days:
        ax.axvline(i - 0.5, color="white", lw=0.5)
    figure.colorbar(image, ax=ax, label="agents required (before shrinkage)", pad=0.01)
    ax.set_title("Staffing requirement per interval and work type", fontsize=10, loc="left")
    figure.tight_layout()
    return _save_png(figure, path)


def _pyplot() -> Any:
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
        _pyplot().close(figure)


# -- the plan's service level, loop and diagnosis (report sections) ------------------------------------------------


def _percent(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}%"


def _with_interval(mean: float | None, low: float | None, high: float | None) -> str:
    if mean is None:
        return "–"
    if low is None or high is None:
        return _percent(mean)
    return f"{_percent(mean)} [{100 * low:.1f}, {100 * high:.1f}]"


def daily_service_levels(simulation: SimulationResult, center: Center) -> pd.DataFrame:
    """Per work type (rows) x local day (columns): the simulated service level (`planner.loop.cell_levels`)."""
    from planner.loop import cell_levels  # planner.loop imports the roster, whose export imports this module

    cells = cell_levels(simulation, center, block_hours=24)
    return cells.pivot(index="work_type", columns="day", values="service_level")


def plot_service_heatmap(simulation: SimulationResult, center: Center, path: str | Path) -> Path:
    """A PNG heatmap of the simulated service level less the target, per work type and hour of the horizon (red:
    below target, blue: above; blank where nothing arrived)."""
    from planner.loop import cell_levels

    plt = _pyplot()
    cells = cell_levels(simulation, center, block_hours=1)
    cells["hour"] = pd.to_datetime(cells["day"]) + pd.to_timedelta(cells["block"], unit="h")
    cells["gap"] = cells["service_level"] - cells["target"]
    gap = cells.pivot(index="work_type", columns="hour", values="gap")
    order = [w.id for w in center.work_types if w.id in gap.index]
    gap = gap.loc[order]
    hours = pd.DatetimeIndex(gap.columns)
    figure, ax = plt.subplots(figsize=(14, 0.45 * len(gap) + 1.8))
    image = ax.imshow(gap.to_numpy(dtype=float) * 100, aspect="auto", cmap="RdBu", vmin=-40, vmax=40)
    ax.set_yticks(range(len(gap)), order, fontsize=8)
    days = [i for i, t in enumerate(hours) if t.hour == 0]
    ax.set_xticks(days, [hours[i].strftime("%a %d %b") for i in days], fontsize=8)
    ax.set_xticks([i for i, t in enumerate(hours) if t.hour in (6, 12, 18)], minor=True)
    for i in days:
        ax.axvline(i - 0.5, color="black", lw=0.5)
    figure.colorbar(image, ax=ax, label="simulated service level less target (points)", pad=0.01)
    ax.set_title("Simulated service level against target, per hour (red: below, blue: above)", fontsize=10, loc="left")
    figure.tight_layout()
    return _save_png(figure, path)


def plan_sections(center: Center, planned: LoopResult, diagnosis: Diagnosis, check: SimulationResult) -> list[str]:
    """The report's sections for a plan: the service level per work type (target, promised, checked, the staffing
    maths' estimate), per day, per hour (heatmap); the simulation loop's iterations; the capacity diagnosis and
    its remedies."""
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
            status = "short: see the diagnosis"
        rows.append(
            [
                work_type.id,
                work_type.priority,
                _percent(target),
                _with_interval(*p),
                _with_interval(*c),
                _percent(erlang.get(work_type.id)),
                status,
            ]
        )
    head = (
        "<h2>Service level: promised and simulated</h2>\n<p>The promise is the plan's own simulation (the loop's "
        f"{planned.simulation.summary['replications']} replications); the check simulates the same roster with "
        f"other random numbers ({check.summary['replications']} replications). Deferred work: the share done "
        "within its response window. The staffing maths' figure is Erlang at the roster's allocation.</p>\n"
        + html_rows_table(
            ["work type", "priority", "target", "promised [95%]", "simulated check [95%]", "staffing maths", "status"],
            rows,
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
            [work_type.id, _percent(target)]
            + [
                "–" if math.isnan(v) else (_percent(float(v)) + (" ▼" if v < target - planned.tolerance else ""))
                for v in values
            ]
        )
    day_names = [pd.Timestamp(d).strftime("%a %d %b") for d in daily.columns]
    per_day = (
        "<h2>Simulated service level per day</h2>\n<p>▼: more than "
        f"{100 * planned.tolerance:.0f} points below target.</p>\n"
        + html_rows_table(["work type", "target", *day_names], day_rows)
    )
    with TemporaryDirectory() as tmp:
        png = plot_service_heatmap(check, center, Path(tmp) / "service.png").read_bytes()
    heatmap = "<h2>Simulated service level per hour</h2>\n" + html_image(png, "Service level less target per hour")
    realtime = [w.id for w in center.work_types]
    loop_rows = [
        [
            str(i.number) + (" (kept)" if i.number == planned.chosen else ""),
            f"{i.paid_hours:,.0f}",
            i.cells_below,
            f"{100 * i.shortfall:.1f}",
            f"{i.elapsed_s:.0f}",
            *[_percent(i.service_level.get(w)) for w in realtime],
        ]
        for i in planned.iterations
    ]
    requirement = planned.requirement
    hours = center.interval_minutes / 60
    with_shrinkage = float(requirement["required_agents_with_shrinkage"].sum() * hours)
    loop = (
        "<h2>Simulation in the loop</h2>\n"
        f"<p>{'; '.join(planned.notes)}. The kept roster pays {planned.roster.kpis['paid_hours']:,.0f} hours; its "
        f"requirement, with shrinkage, asks for {with_shrinkage:,.0f} agent-hours. Weighted shortfall: points below "
        "target beyond the tolerance, summed over work types, each over its priority.</p>\n"
        + html_rows_table(
            ["iteration", "paid hours", "cells below target", "weighted shortfall", "elapsed s", *realtime], loop_rows
        )
    )
    return [head, per_day, heatmap, loop, diagnosis_section(diagnosis)]


def diagnosis_section(diagnosis: Diagnosis) -> str:
    """The capacity diagnosis and its remedies as an HTML section."""
    from planner.roster.export import html_rows_table

    if not diagnosis.shortfalls:
        return "<h2>Capacity diagnosis</h2>\n<p>Every work type is simulated within tolerance of its target.</p>"
    parts = ["<h2>Capacity diagnosis</h2>"]
    for work_type, short in diagnosis.shortfalls.items():
        parts.append(
            f"<h3>{html.escape(work_type)}: simulated {_percent(short.simulated)} against {_percent(short.target)}"
            f"</h3>\n<p>Short {short.agent_hours_short:,.0f} agent-hours; binding: <b>{html.escape(short.binding)}"
            f"</b>: {html.escape(short.reason)}.</p>"
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
