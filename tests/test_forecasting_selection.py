"""Model selection by rolling-origin backtest and calibrated quantiles (`forecasting.selection`).

Series are synthetic Poisson counts on Europe/London's hourly grid from Monday 5 January to Sunday
22 March 2026 (11 weeks, no DST change), so that every fold's horizon is exactly 7 x 24 real hours.
Negative binomial data are drawn as a gamma-Poisson mixture (Y ~ Poisson(mu G), G ~ Gamma(1/alpha, alpha),
so E Y = mu and Var Y = mu + alpha mu^2): built independently of scipy's `nbinom` that the band uses.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import (
    CANDIDATES,
    AutoForecaster,
    Forecaster,
    NegativeBinomialBand,
    RecentWeeksAverage,
    SeasonalNaive,
    default_candidates,
)
from forecasting.aggregate import hour_of_week
from forecasting.selection import wape
from forecasting.series import hourly_grid

TZ = "Europe/London"
FIRST, LAST = date(2026, 1, 5), date(2026, 3, 22)


def pattern() -> np.ndarray:
    hour = np.arange(168) % 24
    return np.random.default_rng(0).uniform(10.0, 60.0, 168) * ((hour >= 7) & (hour < 22))


def poisson_series(weekly_growth: float = 1.0, seed: int = 1) -> pd.Series:
    index = hourly_grid(FIRST, LAST, TZ)
    week = np.arange(len(index)) // 168
    rate = pattern()[hour_of_week(index)] * weekly_growth**week
    return pd.Series(np.random.default_rng(seed).poisson(rate).astype(float), index=index)


def fold_wapes(candidate: Forecaster, y: pd.Series, folds: int, horizon_days: int = 7) -> list[float]:
    """The rolling-origin WAPEs computed by hand: origin k (k = folds..1) is the local midnight
    `horizon_days - 1 + 7 (k - 1)` days before the last date; fit on everything before it, score the next
    `horizon_days` x 24 hours."""
    out = []
    for k in range(folds, 0, -1):
        origin = pd.Timestamp(LAST - pd.Timedelta(days=horizon_days - 1 + 7 * (k - 1))).tz_localize(TZ)
        train, test = y[y.index < origin], y[y.index >= origin].iloc[: 24 * horizon_days]
        forecast = candidate.fit(train).predict(origin, len(test)).to_numpy()
        out.append(float(np.abs(forecast - test.to_numpy()).sum() / test.sum()))
    return out


def test_wape_definition() -> None:
    """sum |f - y| / sum y: (1 + 0 + 2) / 9; NaN when nothing happened."""
    assert wape(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0])) == pytest.approx(1 / 3)
    assert np.isnan(wape(np.array([1.0]), np.array([0.0])))


@pytest.mark.parametrize(
    "growth, winner",
    [
        # Stationary noise: last week's counts carry their own noise on top of this week's, so the naive's
        # error is larger than a 6-week mean's (measured: WAPE 0.19 vs 0.15).
        (1.0, "recent_average"),
        # Volume up 40% a week: a 6-week mean forecasts mean(1.4^-1 .. 1.4^-6) = 36% of the coming week (-64%),
        # last week 71% (-29%) (measured: WAPE 0.64 vs 0.28).
        (1.4, "seasonal_naive"),
    ],
)
def test_auto_selects_the_candidate_with_the_lowest_backtest_wape(growth: float, winner: str) -> None:
    y = poisson_series(growth)
    auto = AutoForecaster([SeasonalNaive(), RecentWeeksAverage()], folds=3)
    assert auto.fit(y) is auto
    assert set(auto.scores_) == {"seasonal_naive", "recent_average"}
    for candidate in (SeasonalNaive(), RecentWeeksAverage()):
        assert auto.scores_[candidate.name] == pytest.approx(np.mean(fold_wapes(candidate, y, 3)), rel=1e-12)
    assert auto.selected_.name == winner
    loser = "seasonal_naive" if winner == "recent_average" else "recent_average"
    assert auto.scores_[winner] < 0.85 * auto.scores_[loser]  # clearly, not by a hair
    # The winner is refitted on the whole history: its forecast starts after the last date.
    start = pd.Timestamp("2026-03-23", tz=TZ)
    expected = {"seasonal_naive": SeasonalNaive(), "recent_average": RecentWeeksAverage()}[winner].fit(y)
    pd.testing.assert_series_equal(auto.predict(start, 48), expected.predict(start, 48))
    assert set(auto.backtest_forecasts_) == {"seasonal_naive", "recent_average"}
    assert auto.band() is auto.bands_[winner]  # calibrated when first asked for, then kept
    assert set(auto.bands_) == {winner}


def test_auto_with_the_default_candidates_never_prefers_the_naive_on_stationary_noise() -> None:
    y = poisson_series(1.0)
    auto = AutoForecaster(default_candidates(None, None), folds=2).fit(y)
    assert set(auto.scores_) == set(CANDIDATES)
    assert auto.selected_.name == min(auto.scores_, key=auto.scores_.__getitem__)
    assert auto.selected_.name != "seasonal_naive"
    assert auto.scores_[auto.selected_.name] < 0.85 * auto.scores_["seasonal_naive"]


def test_auto_with_too_little_history_falls_back_to_the_simplest_model() -> None:
    """Ten days: no fold leaves a week to learn from, every score is infinite, the baseline is kept and the
    band is Poisson (alpha 0)."""
    y = poisson_series().iloc[: 24 * 10]
    auto = AutoForecaster([RecentWeeksAverage(), SeasonalNaive()], folds=2).fit(y)
    assert auto.scores_ == {"recent_average": float("inf"), "seasonal_naive": float("inf")}
    assert auto.selected_.name == "seasonal_naive"
    assert auto.band().alpha == 0.0


# -- quantiles --------------------------------------------------------------------------------------------------


def test_poisson_quantiles_match_the_tables() -> None:
    """alpha = 0 is Poisson. Poisson(10): F(5) = 0.067, F(6) = 0.130, F(9) = 0.458, F(10) = 0.583,
    F(13) = 0.865, F(14) = 0.917, so p10 = 6, p50 = 10, p90 = 14."""
    band = NegativeBinomialBand(0.0)
    assert [float(band.quantile(np.array([10.0]), q)[0]) for q in (0.1, 0.5, 0.9)] == [6.0, 10.0, 14.0]
    assert float(band.quantile(np.array([0.0]), 0.9)[0]) == 0.0


@pytest.mark.parametrize("alpha, mu", [(0.05, 100.0), (0.3, 20.0), (1.0, 5.0)])
def test_negative_binomial_quantiles_match_a_gamma_poisson_sample(alpha: float, mu: float) -> None:
    """The band's quantiles against the empirical quantiles of 200,000 gamma-Poisson draws with the same mean
    and dispersion; sampling error at these sizes is well below one count, the tolerance."""
    rng = np.random.default_rng(7)
    sample = rng.poisson(mu * rng.gamma(1 / alpha, alpha, 200_000))
    band = NegativeBinomialBand(alpha)
    for q in (0.1, 0.5, 0.9):
        assert abs(float(band.quantile(np.array([mu]), q)[0]) - np.quantile(sample, q)) <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    mu=st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=20),
    alpha=st.one_of(st.just(0.0), st.floats(1e-4, 2.0)),
)
def test_quantiles_are_ordered_and_non_negative(mu: list[float], alpha: float) -> None:
    band = NegativeBinomialBand(alpha)
    mean = np.array(mu)
    p10, p50, p90 = (band.quantile(mean, q) for q in (0.1, 0.5, 0.9))
    assert (p10 >= 0).all()
    assert (p10 <= p50).all() and (p50 <= p90).all()
    assert np.isfinite(p90).all()


def gamma_poisson(rng: np.random.Generator, mu: np.ndarray, alpha: float) -> np.ndarray:
    return rng.poisson(mu * rng.gamma(1 / alpha, alpha, len(mu))).astype(float)


def test_calibrate_recovers_the_dispersion_and_gives_80_percent_coverage() -> None:
    """3,000 hours with means uniform in 5..100 and alpha = 0.1. The calibrated band holds 80% of a fresh
    sample of the same process (binomial standard error 0.7%; tolerance 3%). It recovers alpha roughly: as
    the band's ends are inclusive, the true alpha covers about 82% of discrete counts, so calibration lands a
    little lower (0.087-0.099 over seeds 0-2 when this was written); 0.06..0.15 rules out Poisson (0) and a
    doubled dispersion."""
    rng = np.random.default_rng(0)
    mu = rng.uniform(5, 100, 3000)
    band = NegativeBinomialBand.calibrate(mu, gamma_poisson(rng, mu, 0.1))
    assert 0.06 <= band.alpha <= 0.15
    fresh_mu = rng.uniform(5, 100, 3000)
    assert band.coverage(fresh_mu, gamma_poisson(rng, fresh_mu, 0.1)) == pytest.approx(0.80, abs=0.03)
    assert NegativeBinomialBand(0.0).coverage(fresh_mu, gamma_poisson(rng, fresh_mu, 0.1)) < 0.6


def test_calibrate_on_poisson_data_keeps_alpha_near_zero() -> None:
    rng = np.random.default_rng(1)
    mu = rng.uniform(20, 200, 2000)
    band = NegativeBinomialBand.calibrate(mu, rng.poisson(mu).astype(float))
    assert band.alpha < 0.005
    assert NegativeBinomialBand.calibrate(np.zeros(0), np.zeros(0)).alpha == 0.0
