"""The forecast of a centre: every work type and the total, selected, reconciled, split to the planning interval,
with calibrated quantiles and AHT.

Coherence (reconciliation). Each work type and the total are forecast on their own (the total often forecasts
better than the sum of noisy parts). They are then reconciled by weighted least squares with the forecasts'
own variances (MinT with a diagonal covariance, "WLS-var"): for each hour, the gap ``d = total - sum(types)`` is
shared out in proportion to the variances ``v_i = mu_i + alpha_i mu_i^2`` of the type forecasts and ``v_0`` of
the total, so that ``type_i += d v_i / (v_0 + sum v)`` and the total becomes the sum of the reconciled types.
Uncertain series move most. Quantiles come from each series' calibrated negative binomial at its reconciled mean.

The centre's calendar comes after the models (`forecasting.adjust`): the normal-day forecasts are reconciled,
then each work type's day multipliers (closed days, listed and learned special days) are applied and the total
is the sum of the work types; after the split to the planning interval, the volume each work type would get
while it is closed (outside its opening hours, or on a closed day) is dropped or moved to its next opening, as
the work type says, with a note of how much. Quantiles follow: they are computed from the final means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.adjust import apply_opening_hours
from forecasting.aggregate import HOURS_PER_WEEK, HourlyHistory, hour_of_week
from forecasting.calendar import SpecialCalendar
from forecasting.forecasters import CANDIDATES, default_candidates
from forecasting.selection import DEFAULT_FOLDS, DEFAULT_HORIZON_DAYS, AutoForecaster, NegativeBinomialBand
from forecasting.series import hourly_grid
from models import Center, InputError, Problem

__all__ = [
    "TOTAL",
    "ForecastResult",
    "ForecastSettings",
    "aht_profile",
    "auto_forecaster",
    "calendar_forecast",
    "forecast_centre",
    "reconcile",
]

#: The name of the all-work-types series in results and reports.
TOTAL = "(total)"
#: Weight (in contacts) that pulls a sparse hour-of-week AHT towards its work type's mean.
AHT_SHRINKAGE_CONTACTS = 30.0
#: Pseudo-contacts that pull a sparse intra-hour profile towards an even split.
PROFILE_SHRINKAGE_CONTACTS = 20.0


@dataclass(frozen=True)
class ForecastSettings:
    """How to forecast: output resolution and the backtest that selects the model of each series among
    `models` (names of `forecasting.forecasters.CANDIDATES`; empty: all of them)."""

    interval_minutes: int = 60
    folds: int = DEFAULT_FOLDS
    horizon_days: int = DEFAULT_HORIZON_DAYS
    models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.models) - set(CANDIDATES))
        if unknown:
            raise InputError(
                "models",
                Problem("", f"{', '.join(unknown)} are not forecasters", f"use some of {', '.join(CANDIDATES)}"),
            )
        if self.interval_minutes not in (5, 10, 15, 20, 30, 60):
            raise InputError(
                "--interval-minutes",
                Problem("", f"{self.interval_minutes} does not split an hour", "use 5, 10, 15, 20, 30 or 60"),
            )


@dataclass(frozen=True)
class ForecastResult:
    """`table`: the forecast contract (`models.FORECAST`) plus `model`; `hourly`: reconciled hourly means of
    every work type and the total; `scores`: backtest WAPE of every candidate per series; `selected`: the
    winning model per series; `bands`: each series' calibrated dispersion."""

    table: pd.DataFrame
    hourly: pd.DataFrame
    scores: pd.DataFrame
    selected: dict[str, str]
    bands: dict[str, NegativeBinomialBand]
    notes: list[str] = field(default_factory=list)


def reconcile(
    types: np.ndarray, total: np.ndarray, type_alpha: np.ndarray, total_alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """WLS-var reconciliation of hourly type forecasts ``(hours, types)`` with a total forecast ``(hours,)``."""
    variance = types + type_alpha[None, :] * types**2
    total_variance = total + total_alpha * total**2
    gap = total - types.sum(axis=1)
    weight = variance / np.maximum(total_variance + variance.sum(axis=1), 1e-12)[:, None]
    reconciled = np.maximum(types + weight * gap[:, None], 0.0)
    return reconciled, reconciled.sum(axis=1)


def aht_profile(hourly: HourlyHistory, defaults: Mapping[str, float]) -> pd.DataFrame:
    """AHT per hour-of-week (rows 0..167) x work type: the observed mean of the recent weeks, pulled towards the
    work type's mean where an hour saw few contacts; the default (e.g. the centre's) where none were timed."""
    out = {}
    for work_type in hourly.work_types:
        total, n = hourly.handle_sum_s[work_type].to_numpy(), hourly.handle_n[work_type].to_numpy()
        fallback = defaults.get(work_type, np.nan)
        if n.sum() == 0:
            out[work_type] = np.full(HOURS_PER_WEEK, fallback)
            continue
        overall = total.sum() / n.sum()
        out[work_type] = (total + AHT_SHRINKAGE_CONTACTS * overall) / (n + AHT_SHRINKAGE_CONTACTS)
    return pd.DataFrame(out)


def _intra_hour_shares(hourly: HourlyHistory, work_type: str, interval_minutes: int) -> tuple[np.ndarray, bool]:
    """Share of each hour-of-week's volume in each `interval_minutes` slice: ``(168, 60 // interval)``, and
    whether it was learned (False: an even split, the history being too coarse)."""
    parts = 60 // interval_minutes
    even = np.full((HOURS_PER_WEEK, parts), 1.0 / parts)
    buckets = hourly.bucket_counts
    bucket = hourly.bucket_minutes
    if parts == 1 or buckets is None or bucket is None or interval_minutes % bucket:
        return even, parts == 1
    counts = buckets[work_type].reshape(HOURS_PER_WEEK, parts, interval_minutes // bucket).sum(axis=2)
    shares = (counts + PROFILE_SHRINKAGE_CONTACTS * even) / (
        counts.sum(axis=1, keepdims=True) + PROFILE_SHRINKAGE_CONTACTS
    )
    return shares, True


def auto_forecaster(
    calendar: SpecialCalendar | None,
    name: str,
    *,
    folds: int,
    horizon_days: int,
    models: Sequence[str] = (),
    refit_all: bool = False,
    parent: pd.Series | None = None,
) -> AutoForecaster:
    """The automatic selection of series `name` (a work type or `TOTAL`), with the series' calendar; `parent`:
    the series a work type borrows strength from (the centre's total)."""
    work_type = None if name == TOTAL else name
    return AutoForecaster(
        default_candidates(calendar, work_type, models, parent=parent if work_type is not None else None),
        folds=folds,
        horizon_days=horizon_days,
        refit_all=refit_all,
        calendar=calendar.for_work_type(work_type) if calendar is not None else None,
    )


def calendar_forecast(fits: Mapping[str, AutoForecaster], types: Sequence[str], grid: pd.DatetimeIndex) -> np.ndarray:
    """Hourly forecasts ``(hours, types)`` of the fitted series: the selected models' normal-day forecasts,
    reconciled with the total's where there is one, then each work type's calendar applied (module docstring).
    The total is their sum."""
    normal = np.column_stack([fits[w].predict_normal(grid[0], len(grid)).to_numpy() for w in types])
    if TOTAL in fits:
        alphas = np.array([fits[w].band().alpha for w in types])
        total = fits[TOTAL].predict_normal(grid[0], len(grid)).to_numpy()
        normal, _ = reconcile(normal, total, alphas, fits[TOTAL].band().alpha)
    return np.column_stack(
        [fits[w].adjustment_.apply(pd.Series(normal[:, k], index=grid)).to_numpy() for k, w in enumerate(types)]
    )


def forecast_centre(
    hourly: HourlyHistory,
    calendar: SpecialCalendar | None,
    start: date,
    days: int,
    settings: ForecastSettings | None = None,
    default_aht_s: Mapping[str, float] | None = None,
    *,
    center: Center | None = None,
) -> ForecastResult:
    """Forecast `days` local days from `start` for every work type of `hourly` (see the module docstring).
    `center`: whose opening hours and closed days the forecast keeps (none: open at all hours)."""
    settings = settings or ForecastSettings()
    history_end = hourly.counts.index[-1].tz_convert(hourly.timezone).date()
    if start <= history_end:
        raise InputError(
            "--start",
            Problem("", f"{start} is inside the history (which ends {history_end})", "start after the history"),
        )
    grid = hourly_grid(start, start + timedelta(days=days - 1), hourly.timezone)
    series = {w: hourly.counts[w] for w in hourly.work_types}
    if len(series) > 1:
        series[TOTAL] = hourly.total
    fits = {
        name: auto_forecaster(
            calendar,
            name,
            folds=settings.folds,
            horizon_days=settings.horizon_days,
            models=settings.models,
            parent=series.get(TOTAL),
        ).fit(y)
        for name, y in series.items()
    }
    types = hourly.work_types
    type_means = calendar_forecast(fits, types, grid)

    aht = aht_profile(hourly, default_aht_s or {})
    how = hour_of_week(grid)
    notes = []
    empty = {w for w in types if not hourly.counts[w].to_numpy(dtype=float).any()}
    if empty:
        notes.append(
            f"no contacts in the history for {', '.join(w for w in types if w in empty)}: forecast 0 (check the "
            "history's work_type values, or map its column with --column work_type=...)"
        )
    untimed = [w for w in types if hourly.handle_n[w].sum() == 0 and w in (default_aht_s or {})]
    if untimed:
        notes.append(f"no handle times in the history for {', '.join(untimed)}: aht_s is the centre's")
    frames = []
    parts = 60 // settings.interval_minutes
    for k, work_type in enumerate(types):
        shares, learned = _intra_hour_shares(hourly, work_type, settings.interval_minutes)
        if not learned and work_type not in empty:
            notes.append(
                f"{work_type}: hours split evenly into {settings.interval_minutes}-min intervals "
                "(the history has no finer arrival pattern that fits)"
            )
        starts = grid.repeat(parts) + pd.to_timedelta(
            np.tile(np.arange(parts) * settings.interval_minutes, len(grid)), unit="min"
        )
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": starts,
                    "work_type": work_type,
                    "volume": (type_means[:, k][:, None] * shares[how]).reshape(-1),
                    "aht_s": np.repeat(aht[work_type].to_numpy()[how], parts),
                    "model": fits[work_type].selected_.name,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)  # work type after work type, each in time order
    if center is not None:
        table, closed = apply_opening_hours(table, center, ["volume"])
        notes += closed
    volume = table["volume"].to_numpy(dtype=float)
    quantiles = {q: np.zeros(len(table)) for q in (0.10, 0.50, 0.90)}
    per_type = len(grid) * parts
    for k, work_type in enumerate(types):
        rows = slice(k * per_type, (k + 1) * per_type)
        for q, out in quantiles.items():
            out[rows] = fits[work_type].band().quantile(volume[rows], q)
        type_means[:, k] = volume[rows].reshape(len(grid), parts).sum(axis=1)
    table = table.assign(volume_p10=quantiles[0.10], volume_p50=quantiles[0.50], volume_p90=quantiles[0.90])
    table = table[["interval_start", "work_type", "volume", "volume_p10", "volume_p50", "volume_p90", "aht_s", "model"]]
    table = table.sort_values(["interval_start", "work_type"], kind="stable")
    hourly_out = pd.DataFrame(type_means, index=grid, columns=types)
    hourly_out[TOTAL] = type_means.sum(axis=1)
    if table["aht_s"].isna().any():
        missing = sorted(table.loc[table["aht_s"].isna(), "work_type"].unique())
        notes.append(f"no handle times for {', '.join(missing)}: aht_s left blank (give a centre with aht_s)")
    scores = pd.DataFrame({name: auto.scores_ for name, auto in fits.items()}).T
    return ForecastResult(
        table=table.reset_index(drop=True),
        hourly=hourly_out,
        scores=scores,
        selected={name: auto.selected_.name for name, auto in fits.items()},
        bands={name: auto.band() for name, auto in fits.items()},
        notes=notes,
    )
