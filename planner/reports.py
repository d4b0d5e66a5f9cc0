"""Pictures for people: the forecast against its history, with the p10-p90 band."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import TOTAL, ForecastResult, HourlyHistory
from models.io import atomic_write

__all__ = ["plot_forecast", "plot_requirement_heatmap"]

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
