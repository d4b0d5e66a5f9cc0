"""Automatic model selection by rolling-origin backtest, and calibrated quantiles.

`AutoForecaster` follows the same estimator contract as the models it chooses from. `fit` runs each candidate
from the last `folds` weekly origins of the history (each fit only on what came before its origin), scores it by
WAPE over the following `horizon_days`, keeps the candidate with the lowest mean WAPE (`selected_`), and refits
it on the whole history. The candidates forecast normal days; the series' calendar (`DayAdjustment`: closed
days, listed and learned special-day multipliers) is applied to every candidate's forecast, in the backtest as
in `predict`, so that each model is scored on what it will be asked to forecast.

Quantiles come from a negative binomial around the mean forecast, ``Var = mu + alpha mu^2``. `alpha` is chosen
so that the backtest's own out-of-sample actuals fall inside p10-p90 as close to 80% of the time as possible,
so the band is calibrated on errors the model really made, not on its in-sample fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.adjust import DayAdjustment
from forecasting.calendar import SeriesCalendar
from forecasting.forecasters import Forecaster, NotFittedError

__all__ = ["AutoForecaster", "NegativeBinomialBand", "wape"]

DEFAULT_FOLDS = 3
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
        self.selected_ = min(self.candidates, key=lambda c: (self.scores_[c.name], _simplicity(c)))
        # Out-of-sample forecasts and actuals, kept so that a model's band is calibrated when it is asked for
        # (the forecast only needs the selected model's; the backtest needs every one).
        self.backtest_actual_ = np.concatenate(actuals) if actuals else np.zeros(0)
        self.backtest_forecasts_ = {name: np.concatenate(f) for name, f in forecasts.items() if f}
        self.bands_: dict[str, NegativeBinomialBand] = {}
        for candidate in self.candidates if self.refit_all else [self.selected_]:
            candidate.fit(y)
        self.adjustment_ = DayAdjustment(self.calendar).fit(y)
        return self

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
        """The calibrated band of the selected model (or of candidate `name`)."""
        if not hasattr(self, "bands_"):
            raise NotFittedError("AutoForecaster is not fitted yet; call fit(history) first")
        key = name or self.selected_.name
        if key not in self.bands_:
            forecast = self.backtest_forecasts_.get(key)
            self.bands_[key] = (
                NegativeBinomialBand.calibrate(forecast, self.backtest_actual_)
                if forecast is not None
                else NegativeBinomialBand(0.0)
            )
        return self.bands_[key]


def _simplicity(candidate: Forecaster) -> int:
    # On a tie, the simpler model wins.
    order = ["seasonal_naive", "recent_average", "glm", "combination", "mstl"]
    return order.index(candidate.name) if candidate.name in order else len(order)
