"""The forecast of a centre: every work type and the total, selected, reconciled, split to the planning interval,
with calibrated quantiles and AHT.

Coherence (reconciliation). Each work type and the total are forecast on their own (the total often forecasts
better than the sum of noisy parts). They are then reconciled by weighted least squares with the forecasts'
own variances (MinT with a diagonal covariance, "WLS-var"): for each hour, the gap ``d = total - sum(types)`` is
shared out in proportion to the variances ``v_i = mu_i + alpha_i mu_i^2`` of the type forecasts and ``v_0`` of
the total, so that ``type_i += d v_i / (v_0 + sum v)`` and the total becomes the sum of the reconciled types.
Uncertain series move most. Quantiles come from each series' calibrated negative binomial at its reconciled mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.aggregate import HOURS_PER_WEEK, HourlyHistory, hour_of_week
from forecasting.calendar import SpecialCalendar
from forecasting.forecasters import default_candidates
from forecasting.selection import DEFAULT_FOLDS, DEFAULT_HORIZON_DAYS, AutoForecaster, NegativeBinomialBand
from forecasting.series import hourly_grid
from models import InputError, Problem

__all__ = ["TOTAL", "ForecastResult", "ForecastSettings", "aht_profile", "forecast_centre", "reconcile"]

#: The name of the all-work-types series in results and reports.
TOTAL = "(total)"
#: Weight (in contacts) that pulls a sparse hour-of-week AHT towards its work type's mean.
AHT_SHRINKAGE_CONTACTS = 30.0
#: Pseudo-contacts that pull a sparse intra-hour profile towards an even split.
PROFILE_SHRINKAGE_CONTACTS = 20.0


@dataclass(frozen=True)
class ForecastSettings:
    """How to forecast: output resolution and the backtest that selects the model of each series."""

    interval_minutes: int = 60
    folds: int = DEFAULT_FOLDS
    horizon_days: int = DEFAULT_HORIZON_DAYS

    def __post_init__(self) -> None:
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


def forecast_centre(
    hourly: HourlyHistory,
    calendar: SpecialCalendar | None,
    start: date,
    days: int,
    settings: ForecastSettings | None = None,
    default_aht_s: Mapping[str, float] | None = None,
) -> ForecastResult:
    """Forecast `days` local days from `start` for every work type of `hourly` (see the module docstring)."""
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
    fits: dict[str, AutoForecaster] = {}
    means: dict[str, np.ndarray] = {}
    for name, y in series.items():
        auto = AutoForecaster(
            default_candidates(calendar, None if name == TOTAL else name),
            folds=settings.folds,
            horizon_days=settings.horizon_days,
        ).fit(y)
        fits[name] = auto
        means[name] = auto.predict(grid[0], len(grid)).to_numpy()
    types = hourly.work_types
    type_means = np.column_stack([means[w] for w in types])
    if TOTAL in fits:
        alphas = np.array([fits[w].band().alpha for w in types])
        type_means, total_mean = reconcile(type_means, means[TOTAL], alphas, fits[TOTAL].band().alpha)
    else:
        total_mean = type_means[:, 0]
    hourly_out = pd.DataFrame(type_means, index=grid, columns=types)
    hourly_out[TOTAL] = total_mean

    aht = aht_profile(hourly, default_aht_s or {})
    how = hour_of_week(grid)
    notes = []
    frames = []
    for k, work_type in enumerate(types):
        shares, learned = _intra_hour_shares(hourly, work_type, settings.interval_minutes)
        if not learned:
            notes.append(
                f"{work_type}: hours split evenly into {settings.interval_minutes}-min intervals "
                "(the history has no finer arrival pattern that fits)"
            )
        parts = shares.shape[1]
        starts = grid.repeat(parts) + pd.to_timedelta(
            np.tile(np.arange(parts) * settings.interval_minutes, len(grid)), unit="min"
        )
        mean = (type_means[:, k][:, None] * shares[how]).reshape(-1)
        band = fits[work_type].band()
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": starts,
                    "work_type": work_type,
                    "volume": mean,
                    "volume_p10": band.quantile(mean, 0.10),
                    "volume_p50": band.quantile(mean, 0.50),
                    "volume_p90": band.quantile(mean, 0.90),
                    "aht_s": np.repeat(aht[work_type].to_numpy()[how], parts),
                    "model": fits[work_type].selected_.name,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True).sort_values(["interval_start", "work_type"], kind="stable")
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
