"""Intraday reforecast: the rest of the day re-estimated from the contacts so far.

The day-ahead forecast gets each interval's shape (the hour-of-week pattern) mostly right and the day's level
less so: a whole day runs high or low. So the reforecast keeps the forecast's shape and re-estimates one
**day-level multiplier** ``m`` per work type, by a gamma-Poisson (conjugate Bayesian) update:

- prior ``m ~ Gamma(shape=k, rate=k)``: mean 1, variance ``v = 1/k``, the spread of day-level multipliers that
  day-ahead forecasts really show. `day_multiplier_variance` learns ``v`` by the method of moments from day totals
  of past forecasts against their actuals (e.g. a backtest's residuals): ``Var(A/F) = v + mean(1/F)``, the
  second term being the Poisson noise of the day's count.
- counts so far ``a_i ~ Poisson(m f_i)`` for the elapsed intervals of the day (forecast ``f_i``), so that the
  posterior is ``Gamma(k + A, k + F)`` with ``A = sum a_i`` and ``F = sum f_i``; its mean
  ``(k + A) / (k + F)`` is the multiplier: 1 with no evidence, the observed ratio ``A / F`` when ``F`` is large
  against ``k``, always between the two. The more contacts were expected so far, the more the ratio counts.
- one wild interval does not drive it: before the update each interval's count is capped at what the prior
  allows at its most generous (the Poisson 99.9% quantile at ``f_i`` times the prior's 99.9% multiplier), so a
  burst (a stuck switch, a duplicated feed) weighs at most like a very busy interval.

The rest of the day (from the interval holding `at`) is the forecast times the posterior mean; each interval's
band is the posterior predictive, a negative binomial with ``n = k + A`` (the gamma-Poisson mixture), widened by
the interval-level dispersion the caller gives (`interval_dispersion`, moment-matched, 0 = pure Poisson given
``m``). The rest-of-day totals and their band are reported per work type. Intervals where a work type is closed
(`Center.is_open`, as the forecast uses) are put through `apply_opening_hours` like the forecast's, so they stay
at zero. A work type with no forecast volume so far keeps its forecast (a multiplier cannot scale nothing): a
note says how many contacts came in against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.adjust import apply_opening_hours
from forecasting.selection import NegativeBinomialBand
from models import Center, InputError, Problem

__all__ = [
    "DEFAULT_PRIOR_VARIANCE",
    "ReforecastResult",
    "day_multiplier_variance",
    "reforecast",
]

#: Prior variance of the day-level multiplier when none is learned: a standard deviation of about 14%.
DEFAULT_PRIOR_VARIANCE = 0.02
#: The smallest prior variance learned (the prior never pins the multiplier to exactly 1).
MIN_PRIOR_VARIANCE = 1e-4
#: Quantile at which a single interval's count is capped (of the most generous prior multiplier and Poisson).
WILD_QUANTILE = 0.999
_FORECAST_COLUMNS = ["interval_start", "work_type", "volume", "volume_p10", "volume_p50", "volume_p90", "aht_s"]


@dataclass(frozen=True)
class ReforecastResult:
    """`table`: the rest of the day in the forecast contract (`models.FORECAST`, from the interval holding
    `at`); `multipliers`: one row per work type with its evidence (`forecast_so_far`, `actual_so_far`,
    `actual_used` after the cap on wild intervals, `observed_ratio` = used / forecast), the prior and posterior
    (`prior_variance`, `shape`, `rate`, `multiplier` = posterior mean, `multiplier_p10`, `multiplier_p90`,
    `interval_dispersion`) and the rest of the day (`rest_forecast`, the day-ahead volume; `rest_volume`,
    `rest_p10`, `rest_p50`, `rest_p90`, the reforecast, after opening hours); `notes` for the caller to show."""

    at: pd.Timestamp
    table: pd.DataFrame
    multipliers: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def day_multiplier_variance(forecast: np.ndarray, actual: np.ndarray) -> float:
    """The variance of the day-level multiplier learned from day totals of past `forecast`s and their `actual`s
    (method of moments, module docstring): ``Var(A / F) - mean(1 / F)``, at least `MIN_PRIOR_VARIANCE`. Days
    forecast at zero are left out; with fewer than two days left, `DEFAULT_PRIOR_VARIANCE`."""
    f = np.asarray(forecast, dtype=float)
    a = np.asarray(actual, dtype=float)
    keep = f > 0
    if keep.sum() < 2:
        return DEFAULT_PRIOR_VARIANCE
    ratio = a[keep] / f[keep]
    return float(max(np.var(ratio, ddof=1) - np.mean(1.0 / f[keep]), MIN_PRIOR_VARIANCE))


def reforecast(
    forecast: pd.DataFrame,
    actuals: pd.DataFrame,
    at: datetime | pd.Timestamp,
    *,
    prior_variance: float | Mapping[str, float] = DEFAULT_PRIOR_VARIANCE,
    interval_dispersion: float | Mapping[str, float] = 0.0,
    center: Center | None = None,
) -> ReforecastResult:
    """Re-estimate the rest of `at`'s local day from the contacts so far (module docstring).

    `forecast`: the day-ahead forecast (`models.FORECAST` columns; tz-aware `interval_start`, regular intervals).
    `actuals`: counts so far, index the tz-aware start of each interval (any resolution that divides the
    forecast's), one column per work type (as `forecasting.aggregate` gives them); intervals from `at`'s interval
    on are ignored. `at`: tz-aware. `prior_variance` / `interval_dispersion`: one value or one per work type.
    `center`: its zone defines the day and its opening hours the closed intervals (none: the forecast's zone,
    open at all hours)."""
    at = pd.Timestamp(at)
    if at.tz is None:
        raise InputError("at", Problem("", f"{at} has no time zone", "give the moment with its UTC offset"))
    missing = [c for c in _FORECAST_COLUMNS if c not in forecast.columns]
    if missing:
        raise InputError("forecast", Problem("", f"no column {', '.join(missing)}", "give a forecast table"))
    starts = pd.DatetimeIndex(forecast["interval_start"])
    if starts.tz is None:
        raise InputError("forecast", Problem("", "interval_start has no time zone", "give tz-aware times"))
    timezone = center.timezone if center is not None else str(starts.tz)
    interval = _interval(starts)
    local = starts.tz_convert(timezone)
    day = at.tz_convert(timezone).normalize()
    cutoff = at.floor(interval) if interval <= pd.Timedelta(hours=1) else at
    on_day = (local >= day) & (local < day + pd.Timedelta(days=1))
    if not on_day.any():
        raise InputError(
            "at", Problem("", f"the forecast has no interval on {day.date()}", "give the forecast of that day")
        )
    past_rows = on_day & (starts + interval <= cutoff)
    rest_rows = on_day & (starts + interval > cutoff)
    act_index = pd.DatetimeIndex(actuals.index)
    if len(act_index) and act_index.tz is None:
        raise InputError("actuals", Problem("", "the interval starts have no time zone", "give tz-aware times"))

    rows = []
    frames = []
    notes = []
    for work_type in sorted(forecast["work_type"].astype(str).unique()):
        mine = (forecast["work_type"].astype(str) == work_type).to_numpy()
        past = forecast[mine & past_rows].sort_values("interval_start")
        rest = forecast[mine & rest_rows].sort_values("interval_start")
        f = past["volume"].to_numpy(dtype=float)
        variance = _per_type(prior_variance, work_type, DEFAULT_PRIOR_VARIANCE)
        shape = 1.0 / max(variance, MIN_PRIOR_VARIANCE)
        a_raw = _actual_per_interval(actuals, work_type, pd.DatetimeIndex(past["interval_start"]), interval, cutoff)
        cap = stats.poisson.ppf(WILD_QUANTILE, f * stats.gamma.ppf(WILD_QUANTILE, shape, scale=1.0 / shape))
        a_used = np.minimum(a_raw, cap)
        big_a, big_f = float(a_used.sum()), float(f.sum())
        if big_f <= 0 and a_raw.sum() > 0:
            notes.append(
                f"{work_type}: {a_raw.sum():,.0f} contacts so far against no forecast volume: the rest of the day "
                "keeps its forecast"
            )
        if a_used.sum() < a_raw.sum():
            notes.append(
                f"{work_type}: {a_raw.sum() - a_used.sum():,.0f} contacts in unusually busy intervals so far "
                "counted only up to what a busy day allows"
            )
        post_shape, post_rate = shape + big_a, shape + big_f
        multiplier = post_shape / post_rate
        dispersion = _per_type(interval_dispersion, work_type, 0.0)
        # Moment-matched negative binomial of y = Poisson-NB(m f) with m ~ Gamma(post_shape, post_rate).
        var_m = post_shape / post_rate**2
        alpha = (var_m + dispersion * (var_m + multiplier**2)) / multiplier**2
        table = rest[_FORECAST_COLUMNS].copy()
        table["volume"] = table["volume"].to_numpy(dtype=float) * multiplier
        frames.append((table, NegativeBinomialBand(alpha)))
        rows.append(
            {
                "work_type": work_type,
                "forecast_so_far": big_f,
                "actual_so_far": float(a_raw.sum()),
                "actual_used": big_a,
                "observed_ratio": big_a / big_f if big_f > 0 else float("nan"),
                "prior_variance": variance,
                "shape": post_shape,
                "rate": post_rate,
                "multiplier": multiplier,
                "multiplier_p10": float(stats.gamma.ppf(0.10, post_shape, scale=1.0 / post_rate)),
                "multiplier_p90": float(stats.gamma.ppf(0.90, post_shape, scale=1.0 / post_rate)),
                "rest_forecast": float(rest["volume"].sum()),
                "interval_dispersion": dispersion,
            }
        )
    table = pd.concat([t for t, _ in frames], ignore_index=False) if frames else forecast[_FORECAST_COLUMNS][:0]
    if center is not None and not table.empty:
        table, closed = apply_opening_hours(table, center, ["volume"])
        notes += closed
    table = table.copy()
    for (part, band), row in zip(frames, rows, strict=True):
        mu = table.loc[part.index, "volume"].to_numpy(dtype=float)
        for column, q in (("volume_p10", 0.10), ("volume_p50", 0.50), ("volume_p90", 0.90)):
            table.loc[part.index, column] = np.where(mu > 0, band.quantile(mu, q), 0.0)
        row.update(_rest_of_day(mu, row))
    table = table.sort_values(["interval_start", "work_type"], kind="stable").reset_index(drop=True)
    return ReforecastResult(at=at, table=table, multipliers=pd.DataFrame(rows), notes=notes)


def _rest_of_day(mu: np.ndarray, row: dict[str, Any]) -> dict[str, float]:
    """The rest of the day's total and its band: the gamma mixture of the intervals' sum, moment-matched to a
    negative binomial. Given ``m`` the intervals are independent, so their own dispersion adds
    ``d E[m^2] sum f_i^2`` to the variance, while the multiplier's adds ``Var(m) (sum f_i)^2``."""
    total = float(mu.sum())
    if total <= 0:
        return {"rest_volume": 0.0, "rest_p10": 0.0, "rest_p50": 0.0, "rest_p90": 0.0}
    mean_m = row["multiplier"]
    var_m = row["shape"] / row["rate"] ** 2
    f = mu / mean_m
    variance = total + var_m * f.sum() ** 2 + row["interval_dispersion"] * (var_m + mean_m**2) * float((f**2).sum())
    band = NegativeBinomialBand(max(variance - total, 0.0) / total**2)
    at = np.array([total])
    return {
        "rest_volume": total,
        "rest_p10": float(band.quantile(at, 0.10)[0]),
        "rest_p50": float(band.quantile(at, 0.50)[0]),
        "rest_p90": float(band.quantile(at, 0.90)[0]),
    }


def _interval(starts: pd.DatetimeIndex) -> pd.Timedelta:
    unique = starts.unique().sort_values()
    if len(unique) < 2:
        return pd.Timedelta(hours=1)
    return pd.Timedelta((unique[1:] - unique[:-1]).min())


def _per_type(value: float | Mapping[str, float], work_type: str, default: float) -> float:
    if isinstance(value, Mapping):
        return float(value.get(work_type, default))
    return float(value)


def _actual_per_interval(
    actuals: pd.DataFrame, work_type: str, starts: pd.DatetimeIndex, interval: pd.Timedelta, cutoff: pd.Timestamp
) -> np.ndarray:
    """The actual counts of `work_type` summed into the forecast's intervals `starts` (zeros where none)."""
    out = np.zeros(len(starts))
    if work_type not in actuals.columns or not len(starts):
        return out
    index = pd.DatetimeIndex(actuals.index)
    values = actuals[work_type].to_numpy(dtype=float)
    inside = (index >= starts[0]) & (index < cutoff) & ~np.isnan(values)
    position = starts.searchsorted(index[inside], side="right") - 1
    ok = (position >= 0) & (index[inside] < starts[position] + interval)
    np.add.at(out, position[ok], values[inside][ok])
    return out
