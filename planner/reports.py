"""Pictures for people: the forecast against its history, with the p10-p90 band."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from forecasting import TOTAL, ForecastResult, HourlyHistory
from models.io import atomic_write

__all__ = ["plot_forecast"]

#: How much history the plot shows before the forecast.
HISTORY_DAYS_SHOWN = 14


def plot_forecast(hourly: HourlyHistory, result: ForecastResult, path: str | Path) -> Path:
    """A PNG with one panel per work type and one for the total: the last two weeks of hourly history, the
    hourly forecast and its p10-p90 band (band of the total: the sum of the types' bands is not a band, so the
    total shows its own calibrated band)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

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

    def write(tmp: Path) -> None:
        figure.savefig(tmp, format="png", dpi=110)

    try:
        return atomic_write(path, write)
    finally:
        plt.close(figure)
