"""Rolling-origin backtest: how every model, and the automatic selection, would have done.

For each origin, every series (each work type and the total) is fitted only on the history before the origin
and forecast for `horizon_days`. Every candidate is scored with the series' calendar applied after it (closed
days, special days: `forecasting.adjust.DayAdjustment`), and so is the selected model (chosen by its own inner
backtest on the same pre-origin history), reconciled across work types and adjusted as the forecast is.
Opening hours are not applied: the actuals are what arrived, open or not. Metrics are pooled over all origins:

- WAPE = sum |f - y| / sum y; bias = sum (f - y) / sum y;
- MASE = mean |f - y| / mean |y_t - y_(t - 1 week)| within each origin's training history;
- coverage = share of actuals within the calibrated p10-p90 band (target 80%);
- poisson_floor = the WAPE a perfect rate forecast would still have: sum E|Y - lambda| / sum y with Y Poisson
  and lambda estimated by the actual count (E|Y - lambda| = 2 lambda P(Y = floor(lambda)));
- ratio_to_naive = WAPE / WAPE of the seasonal naive on the same cells;
- ratio_to_baseline = WAPE / WAPE of the named baseline (`BASELINE`: the mean of the same hour over the last
  8 weeks, what a planner's spreadsheet does) on the same cells: below 1, the model beats it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.aggregate import HourlyHistory
from forecasting.calendar import SpecialCalendar
from forecasting.forecasters import BASELINE
from forecasting.pipeline import TOTAL, auto_forecaster, calendar_forecast
from forecasting.selection import BAND, DEFAULT_FOLDS, AutoForecaster, NegativeBinomialBand
from forecasting.series import hourly_grid
from models import InputError, Problem

__all__ = ["SELECTED", "BacktestResult", "backtest", "last_weekly_origins", "poisson_floor"]

#: The model name under which the automatic selection (reconciled) is reported.
SELECTED = "selected"
METRIC_COLUMNS = [
    "work_type",
    "model",
    "wape",
    "mase",
    "bias",
    "coverage_p10_p90",
    "poisson_floor",
    "ratio_to_naive",
    "ratio_to_baseline",
    "selected_model",
    "origins",
    "actual_volume",
]


def poisson_floor(actual: np.ndarray) -> float:
    """The WAPE of a perfect rate forecast, with each cell's rate estimated by its actual count."""
    lam = np.asarray(actual, dtype=float)
    total = lam.sum()
    if total <= 0:
        return float("nan")
    mad = 2 * lam * stats.poisson.pmf(np.floor(lam), lam)
    return float(mad.sum() / total)


def last_weekly_origins(hourly: HourlyHistory, folds: int, horizon_days: int) -> list[date]:
    """The last `folds` weekly origins whose whole horizon lies inside the history."""
    end = hourly.counts.index[-1].tz_convert(hourly.timezone).date()
    last = end - timedelta(days=horizon_days - 1)
    return [last - timedelta(weeks=k) for k in range(folds - 1, -1, -1)]


@dataclass
class _Pool:
    forecast: list[np.ndarray] = field(default_factory=list)
    low: list[np.ndarray] = field(default_factory=list)
    high: list[np.ndarray] = field(default_factory=list)
    actual: list[np.ndarray] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)

    def add(self, forecast: np.ndarray, low: np.ndarray, high: np.ndarray, actual: np.ndarray, scale: float) -> None:
        self.forecast.append(forecast)
        self.low.append(low)
        self.high.append(high)
        self.actual.append(actual)
        self.scale.append(scale)


@dataclass(frozen=True)
class BacktestResult:
    """`metrics`: one row per series x model (columns `METRIC_COLUMNS`); `forecasts`: every hourly forecast
    with its actual, per origin, series and model (for plots and further analysis)."""

    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    origins: list[date]


def backtest(
    hourly: HourlyHistory,
    calendar: SpecialCalendar | None,
    origins: Sequence[date],
    horizon_days: int = 7,
    folds: int = DEFAULT_FOLDS,
) -> BacktestResult:
    """Backtest every candidate and the selection from each of `origins` (see the module docstring)."""
    tz = hourly.timezone
    index = hourly.counts.index
    first = index[0].tz_convert(tz).date()
    end = index[-1].tz_convert(tz).date()
    problems = [
        Problem("--origins", f"{o} leaves less than two weeks of history before it", "choose a later origin")
        for o in origins
        if (o - first).days < 14
    ] + [
        Problem(
            "--origins", f"{o} + {horizon_days} days runs past the history's end ({end})", "choose an earlier origin"
        )
        for o in origins
        if o + timedelta(days=horizon_days - 1) > end
    ]
    InputError.collect("wfm backtest", problems)
    series = {w: hourly.counts[w] for w in hourly.work_types}
    several = len(series) > 1
    if several:
        series[TOTAL] = hourly.total
    pools: dict[tuple[str, str], _Pool] = {}
    chosen: dict[str, Counter[str]] = {name: Counter() for name in series}
    rows = []
    for origin in sorted(origins):
        grid = hourly_grid(origin, origin + timedelta(days=horizon_days - 1), tz)
        cut = int(pd.DatetimeIndex(index).searchsorted(grid[0]))  # unit-safe (pandas 3 indexes are often in us)
        selected: dict[str, np.ndarray] = {}
        alphas: dict[str, float] = {}
        fits: dict[str, AutoForecaster] = {}
        for name, y in series.items():
            train = y.iloc[:cut]
            actual = y.iloc[cut : cut + len(grid)].to_numpy()
            values = train.to_numpy()
            scale = float(np.mean(np.abs(values[168:] - values[:-168]))) if len(values) > 168 else float("nan")
            auto = auto_forecaster(
                calendar, name, folds=folds, horizon_days=horizon_days, refit_all=True, parent=series.get(TOTAL)
            ).fit(train)
            fits[name] = auto
            chosen[name][auto.selected_.name] += 1
            for candidate in auto.candidates:
                mean = auto.adjustment_.apply(candidate.predict(grid[0], len(grid))).to_numpy()
                band = auto.band(candidate.name)
                low, high = band.quantile(mean, BAND[0]), band.quantile(mean, BAND[1])
                pools.setdefault((name, candidate.name), _Pool()).add(mean, low, high, actual, scale)
                rows.append(_forecast_rows(grid, origin, name, candidate.name, mean, low, high, actual))
            selected[name] = auto.predict(grid[0], len(grid)).to_numpy()
            alphas[name] = auto.band().alpha
        if several:
            types = hourly.work_types
            adjusted = calendar_forecast(fits, types, grid)
            selected = {w: adjusted[:, k] for k, w in enumerate(types)} | {TOTAL: adjusted.sum(axis=1)}
        for name, mean in selected.items():
            band = NegativeBinomialBand(alphas[name])
            low, high = band.quantile(mean, BAND[0]), band.quantile(mean, BAND[1])
            actual = series[name].iloc[cut : cut + len(grid)].to_numpy()
            scale = pools[(name, "seasonal_naive")].scale[-1]
            pools.setdefault((name, SELECTED), _Pool()).add(mean, low, high, actual, scale)
            rows.append(_forecast_rows(grid, origin, name, SELECTED, mean, low, high, actual))
    metrics = _metrics(pools, chosen, len(origins))
    return BacktestResult(metrics=metrics, forecasts=pd.concat(rows, ignore_index=True), origins=list(origins))


def _forecast_rows(
    grid: pd.DatetimeIndex,
    origin: date,
    name: str,
    model: str,
    mean: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    actual: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": origin,
            "interval_start": grid,
            "work_type": name,
            "model": model,
            "volume": mean,
            "volume_p10": low,
            "volume_p90": high,
            "actual": actual,
        }
    )


def _metrics(pools: dict[tuple[str, str], _Pool], chosen: dict[str, Counter[str]], origins: int) -> pd.DataFrame:
    rows = []
    naive_wape = {}
    for (name, model), pool in pools.items():
        f, y = np.concatenate(pool.forecast), np.concatenate(pool.actual)
        total = y.sum()
        wape = float(np.abs(f - y).sum() / total) if total > 0 else float("nan")
        if model == "seasonal_naive":
            naive_wape[name] = wape
        low, high = np.concatenate(pool.low), np.concatenate(pool.high)
        scale = float(np.nanmean(pool.scale))
        rows.append(
            {
                "work_type": name,
                "model": model,
                "wape": wape,
                "mase": float(np.mean(np.abs(f - y)) / scale) if scale > 0 else float("nan"),
                "bias": float((f - y).sum() / total) if total > 0 else float("nan"),
                "coverage_p10_p90": float(np.mean((y >= low) & (y <= high))),
                "poisson_floor": poisson_floor(y),
                "selected_model": ", ".join(f"{m} x{n}" for m, n in chosen[name].most_common())
                if model == SELECTED
                else "",
                "origins": origins,
                "actual_volume": float(total),
            }
        )
    frame = pd.DataFrame(rows)
    frame["ratio_to_naive"] = frame["wape"] / frame["work_type"].map(naive_wape)
    baseline = frame[frame["model"] == BASELINE].set_index("work_type")["wape"]
    frame["ratio_to_baseline"] = frame["wape"] / frame["work_type"].map(baseline)
    order = {TOTAL: 1}
    frame = frame.assign(_last=frame["work_type"].map(order).fillna(0)).sort_values(
        ["_last", "work_type", "model"], kind="stable"
    )
    return frame.drop(columns="_last")[METRIC_COLUMNS].reset_index(drop=True)
