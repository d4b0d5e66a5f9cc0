"""Automatic model selection by rolling-origin backtest, and calibrated quantiles.

`AutoForecaster` follows the same estimator contract as the models it chooses from. `fit` runs each candidate
from the last `folds` weekly origins of the history (each fit only on what came before its origin), scores it by
WAPE over the following `horizon_days`, keeps the candidate with the lowest mean WAPE (`selected_`) unless its
lead over the preferred level-profile model is within the backtest's noise (`_select`), and refits it on the
whole history. The candidates forecast normal days; the series' calendar (`DayAdjustment`: closed
days, listed and learned special-day multipliers) is applied to every candidate's forecast, in the backtest as
in `predict`, so that each model is scored on what it will be asked to forecast.

Quantiles come from a negative binomial around the mean forecast, ``Var = mu + alpha mu^2``. `alpha` is chosen
so that the backtest's own out-of-sample actuals fall inside p10-p90 as close to 80% of the time as possible,
so the band is calibrated on errors the model really made, not on its in-sample fit; its day-level part is then
moved to the model's own long record of day-level errors where it has one (`calibrated_band`), so that a few
calm backtest weeks do not make the band of a high-volume series too narrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.adjust import DayAdjustment
from forecasting.calendar import SeriesCalendar
from forecasting.forecasters import Forecaster, NotFittedError, robust_variance

__all__ = ["AutoForecaster", "NegativeBinomialBand", "calibrated_band", "wape"]

DEFAULT_FOLDS = 3
#: The model the selection keeps unless another beats it by more than the backtest's noise (see `_select`).
PREFERRED = "level_profile"
#: How many standard errors of the paired differences (backtest weeks) another model's lead must exceed.
SELECTION_Z = 2.0
DEFAULT_HORIZON_DAYS = 7
#: The band the quantiles are calibrated to: p10..p90 holds 80% of actuals.
BAND = (0.10, 0.90)
_ALPHAS = np.concatenate([[0.0], np.geomspace(1e-4, 2.0, 80)])


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |f - y| / sum y (NaN when nothing happened)."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(np.asarray(forecast) - np.asarray(actual))) / total) if total > 0 else float("nan")


@dataclass(frozen=True)
class NegativeBinomialBand:
    """Quantiles of a negative binomial with mean `mu` and dispersion `alpha` (0 = Poisson)."""

    alpha: float

    def quantile(self, mu: np.ndarray, q: float) -> np.ndarray:
        mu = np.maximum(np.asarray(mu, dtype=float), 1e-9)
        if self.alpha <= 0:
            return np.asarray(stats.poisson.ppf(q, mu), dtype=float)
        n = 1.0 / self.alpha
        return np.asarray(stats.nbinom.ppf(q, n, n / (n + mu)), dtype=float)

    def coverage(self, mu: np.ndarray, actual: np.ndarray) -> float:
        low, high = self.quantile(mu, BAND[0]), self.quantile(mu, BAND[1])
        return float(np.mean((actual >= low) & (actual <= high)))

    @classmethod
    def calibrate(cls, mu: np.ndarray, actual: np.ndarray) -> NegativeBinomialBand:
        """The dispersion whose p10-p90 band holds the share of `actual` closest to 80%."""
        target = BAND[1] - BAND[0]
        if len(actual) == 0:
            return cls(0.0)

        # Coverage grows with alpha (the band only widens), so bisect on log(alpha) over the grid.
        def gap(index: int) -> float:
            return cls(float(_ALPHAS[index])).coverage(mu, actual) - target

        if gap(0) >= 0:
            return cls(0.0)
        low, high = 0, len(_ALPHAS) - 1
        if gap(high) <= 0:
            return cls(float(_ALPHAS[high]))
        while high - low > 1:
            middle = (low + high) // 2
            if gap(middle) < 0:
                low = middle
            else:
                high = middle
        best = min((low, high), key=lambda i: abs(gap(i)))
        return cls(float(_ALPHAS[best]))


class AutoForecaster:
    """Chooses among `candidates` by rolling-origin backtest (see the module docstring). It keeps the estimator
    contract of the models it chooses from: `fit` returns self, learned state ends in ``_``. `calendar`: the
    series' special days, applied after whichever model is selected (`adjustment_`)."""

    name = "auto"

    def __init__(
        self,
        candidates: list[Forecaster],
        folds: int = DEFAULT_FOLDS,
        horizon_days: int = DEFAULT_HORIZON_DAYS,
        refit_all: bool = False,
        calendar: SeriesCalendar | None = None,
    ) -> None:
        self.candidates = candidates
        self.calendar = calendar
        self.folds = folds
        self.horizon_days = horizon_days
        self.refit_all = refit_all

    def fit(self, y: pd.Series) -> Self:
        index = pd.DatetimeIndex(y.index)
        hours = self.horizon_days * 24
        wall_dates = index.tz_localize(None).normalize()
        end = wall_dates[-1]
        scores: dict[str, list[float]] = {c.name: [] for c in self.candidates}
        forecasts: dict[str, list[np.ndarray]] = {c.name: [] for c in self.candidates}
        actuals: list[np.ndarray] = []
        for k in range(self.folds, 0, -1):
            origin_date = end - pd.Timedelta(days=self.horizon_days - 1 + 7 * (k - 1))
            position = int(wall_dates.searchsorted(origin_date))  # unit-safe (pandas 3 indexes are often in us)
            if position < 7 * 24:  # less than a week to learn from
                continue
            train, test = y.iloc[:position], y.iloc[position : position + hours].to_numpy()
            actuals.append(test)
            adjustment = DayAdjustment(self.calendar).fit(train)
            for candidate in self.candidates:
                forecast = adjustment.apply(candidate.fit(train).predict(index[position], len(test))).to_numpy()
                scores[candidate.name].append(wape(forecast, test))
                forecasts[candidate.name].append(forecast)
        self.scores_ = {
            name: float(np.nanmean(s)) if s and not np.all(np.isnan(s)) else float("inf") for name, s in scores.items()
        }
        # Out-of-sample forecasts and actuals, kept so that a model's band is calibrated when it is asked for
        # (the forecast only needs the selected model's; the backtest needs every one).
        self.backtest_actual_ = np.concatenate(actuals) if actuals else np.zeros(0)
        self.backtest_forecasts_ = {name: np.concatenate(f) for name, f in forecasts.items() if f}
        self.selected_ = self._select()
        self.bands_: dict[str, NegativeBinomialBand] = {}
        for candidate in self.candidates if self.refit_all else [self.selected_]:
            candidate.fit(y)
        self.adjustment_ = DayAdjustment(self.calendar).fit(y)
        return self

    def _select(self) -> Forecaster:
        """The candidate with the lowest backtest WAPE, unless the preferred model (`PREFERRED`) is among the
        candidates and the winner's lead over it is within `SELECTION_Z` standard errors: a lead that small is the
        noise of a few weeks, not a better model. The lead is measured on paired blocks of the backtest, its weeks
        (a level shift moves every day of a week together, so days are not independent), or its days where it
        holds a single week; with a single block nothing can be told from noise and the preferred model stays."""
        best = min(self.candidates, key=lambda c: (self.scores_[c.name], _simplicity(c)))
        preferred = next((c for c in self.candidates if c.name == PREFERRED), None)
        actual = self.backtest_actual_
        if preferred is None or best is preferred or actual.sum() <= 0:
            return best
        if preferred.name not in self.backtest_forecasts_ or not np.isfinite(self.scores_[preferred.name]):
            return best
        weeks, days = len(actual) // (24 * 7), len(actual) // 24
        blocks = weeks if weeks >= 2 else days
        if blocks < 2:
            return preferred
        gain = np.array(
            [
                np.abs(p - a).sum() - np.abs(b - a).sum()
                for p, b, a in zip(
                    np.array_split(self.backtest_forecasts_[preferred.name], blocks),
                    np.array_split(self.backtest_forecasts_[best.name], blocks),
                    np.array_split(actual, blocks),
                    strict=True,
                )
            ]
        )
        lead, error = gain.mean(), gain.std(ddof=1) / np.sqrt(blocks)
        return best if lead > SELECTION_Z * error else preferred

    def predict(self, start: pd.Timestamp, periods: int) -> pd.Series:
        """The selected model's forecast, adjusted by the series' calendar."""
        normal = self.predict_normal(start, periods)
        return self.adjustment_.apply(normal).rename(self.selected_.name)

    def predict_normal(self, start: pd.Timestamp, periods: int) -> pd.Series:
        """The selected model's forecast as if every day were a normal one (before the calendar)."""
        if not hasattr(self, "selected_"):
            raise NotFittedError("AutoForecaster is not fitted yet; call fit(history) first")
        return self.selected_.predict(start, periods).rename(self.selected_.name)

    def band(self, name: str | None = None) -> NegativeBinomialBand:
        """The calibrated band of the selected model (or of candidate `name`): see `calibrated_band`."""
        if not hasattr(self, "bands_"):
            raise NotFittedError("AutoForecaster is not fitted yet; call fit(history) first")
        key = name or self.selected_.name
        if key not in self.bands_:
            forecast = self.backtest_forecasts_.get(key)
            model = next((c for c in self.candidates if c.name == key), None)
            day_variance = getattr(model, "day_variance_", None)
            self.bands_[key] = (
                calibrated_band(forecast, self.backtest_actual_, day_variance)
                if forecast is not None
                else NegativeBinomialBand(0.0)
            )
        return self.bands_[key]


def calibrated_band(
    forecast: np.ndarray, actual: np.ndarray, day_variance: float | None = None, hours_per_day: int = 24
) -> NegativeBinomialBand:
    """The band of a model from its out-of-sample errors, with its day-level part taken from the model's own
    long record where it has one.

    Arrivals to a call centre have errors at two levels: a day-level factor shared by every hour of a day (a
    level shift, a busy day) and each hour's own noise. The dispersion calibrated so that 80% of the backtest's
    hourly actuals fall inside p10-p90 (`NegativeBinomialBand.calibrate`) holds both, as they were in the few
    backtest weeks; but those weeks may have been calmer, or rougher, at the day level than usual, and with high
    volumes the day level is nearly all of the band. So where the model gives `day_variance` (the variance of its
    log day totals' errors 1..7 days ahead over its whole window, less the Poisson part: many more days than the
    backtest holds), the band's relative variance is moved by the difference between it and the backtest's own
    day-level variance::

        alpha = calibrated alpha + (exp(day_variance) - 1) - (exp(backtest day variance) - 1)

    and never less than the day level alone, ``exp(day_variance) - 1`` (the two estimates are noisy, and the
    hour's own part cannot be negative).

    The backtest's day-level variance is read from the log ratios of each backtest day's actual total to its
    forecast total (`robust_variance`: around zero, so a bias counts, and robust to a few outlying days), less
    the Poisson part (``1 / forecast``). The arrays are consecutive days of `hours_per_day` values (the
    backtest's folds are whole days). Without `day_variance`, or with fewer than 2 days, it is the calibrated
    band alone."""
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    calibrated = NegativeBinomialBand.calibrate(forecast, actual)
    days = len(actual) // hours_per_day
    if day_variance is None or days < 2:
        return calibrated
    cut = days * hours_per_day
    f_day = forecast[:cut].reshape(days, hours_per_day).sum(axis=1)
    y_day = actual[:cut].reshape(days, hours_per_day).sum(axis=1)
    seen = (f_day > 0) & (y_day > 0)
    if seen.sum() < 2:
        return calibrated
    backtest = max(robust_variance(np.log(y_day[seen] / f_day[seen])) - float(np.mean(1.0 / f_day[seen])), 0.0)
    long_run = float(np.expm1(day_variance))
    return NegativeBinomialBand(max(calibrated.alpha + long_run - float(np.expm1(backtest)), long_run))


def _simplicity(candidate: Forecaster) -> int:
    # On a tie, the simpler model wins.
    order = ["seasonal_naive", "recent_average", "same_hour_8w", "glm", "level_profile", "combination", "mstl"]
    return order.index(candidate.name) if candidate.name in order else len(order)
