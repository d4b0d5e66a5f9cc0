"""Rolling-origin backtest and its metrics (`forecasting.backtest`).

The history is synthetic: two work types of Poisson counts around weekly patterns on Europe/London's hourly
grid, Monday 5 January - Sunday 15 February 2026 (six weeks), backtested from the origins Monday 2 and
Monday 9 February with two inner folds (about 4 s, once per module). Metrics are recomputed here from the
forecasts the backtest returns and from the counts themselves, with the definitions of the module docstring.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting import CANDIDATES as ALL_CANDIDATES
from forecasting import TOTAL, BacktestResult, HourlyHistory, backtest, last_weekly_origins
from forecasting.aggregate import HOURS_PER_WEEK, hour_of_week
from forecasting.backtest import METRIC_COLUMNS, SELECTED, _metrics, _Pool, poisson_floor
from forecasting.series import hourly_grid
from models import InputError

TZ = "Europe/London"
FIRST, LAST = date(2026, 1, 5), date(2026, 2, 15)
ORIGINS = [date(2026, 2, 2), date(2026, 2, 9)]
CANDIDATES = sorted(ALL_CANDIDATES)


def synthetic_hourly(unit: str = "ns", types: tuple[str, ...] = ("a", "b")) -> HourlyHistory:
    """'a': a daytime queue (10-40 an hour, 08:00-19:59); 'b': around the clock (1-6 an hour)."""
    index = hourly_grid(FIRST, LAST, TZ).as_unit(unit)
    hour = np.arange(HOURS_PER_WEEK) % 24
    rng = np.random.default_rng(5)
    rates = {
        "a": rng.uniform(10, 40, HOURS_PER_WEEK) * ((hour >= 8) & (hour < 20)),
        "b": rng.uniform(1, 6, HOURS_PER_WEEK),
    }
    how = hour_of_week(index)
    counts = pd.DataFrame({k: rng.poisson(r[how]).astype(float) for k, r in rates.items()}, index=index)[list(types)]
    return HourlyHistory(
        counts=counts,
        timezone=TZ,
        source_interval_minutes=60,
        handle_sum_s=pd.DataFrame(0.0, index=range(HOURS_PER_WEEK), columns=list(types)),
        handle_n=pd.DataFrame(0.0, index=range(HOURS_PER_WEEK), columns=list(types)),
        bucket_counts=None,
        bucket_minutes=None,
    )


@pytest.fixture(scope="module")
def hourly() -> HourlyHistory:
    return synthetic_hourly()


@pytest.fixture(scope="module")
def result(hourly: HourlyHistory) -> BacktestResult:
    return backtest(hourly, None, ORIGINS, horizon_days=7, folds=2)


def test_one_row_per_series_and_model(result: BacktestResult) -> None:
    metrics = result.metrics
    assert list(metrics.columns) == METRIC_COLUMNS
    assert len(metrics) == 3 * (len(CANDIDATES) + 1)
    expected = {(s, m) for s in ("a", "b", TOTAL) for m in [*CANDIDATES, SELECTED]}
    assert set(zip(metrics["work_type"], metrics["model"], strict=True)) == expected
    # the total comes last
    assert list(metrics["work_type"].iloc[-len(CANDIDATES) - 1 :]) == [TOTAL] * (
        len(CANDIDATES) + 1
    )  # the total comes last
    assert (metrics["origins"] == 2).all()
    assert result.origins == ORIGINS


def test_ratio_to_naive_is_one_for_the_naive(result: BacktestResult) -> None:
    metrics = result.metrics.set_index(["work_type", "model"])
    for series in ("a", "b", TOTAL):
        assert metrics.loc[(series, "seasonal_naive"), "ratio_to_naive"] == 1.0
        for model in [*CANDIDATES, SELECTED]:
            row = metrics.loc[(series, model)]
            naive = metrics.loc[(series, "seasonal_naive"), "wape"]
            assert row["ratio_to_naive"] == pytest.approx(row["wape"] / naive, rel=1e-12)


def test_forecasts_hold_the_actuals(result: BacktestResult, hourly: HourlyHistory) -> None:
    """Each origin's rows cover its 7 x 24 hours, with the actual counts of those hours."""
    forecasts = result.forecasts
    assert len(forecasts) == 2 * 3 * (len(CANDIDATES) + 1) * 168
    for (origin, series, _model), rows in forecasts.groupby(["origin", "work_type", "model"]):
        grid = hourly_grid(origin, origin + pd.Timedelta(days=6), TZ)
        assert pd.DatetimeIndex(rows["interval_start"]).equals(grid)
        truth = hourly.total if series == TOTAL else hourly.counts[series]
        np.testing.assert_array_equal(rows["actual"].to_numpy(), truth.loc[grid].to_numpy())


def test_metrics_match_their_definitions(result: BacktestResult, hourly: HourlyHistory) -> None:
    """WAPE = sum|f - y| / sum y, bias = sum(f - y) / sum y, coverage = share of y in [p10, p90], pooled over
    both origins; MASE = mean|f - y| / the mean over origins of mean|y_t - y_(t-168)| on the history before
    each origin (computed here from the counts, not from the backtest)."""
    metrics = result.metrics.set_index(["work_type", "model"])
    for (series, model), rows in result.forecasts.groupby(["work_type", "model"]):
        f, y = rows["volume"].to_numpy(), rows["actual"].to_numpy()
        row = metrics.loc[(series, model)]
        assert row["wape"] == pytest.approx(np.abs(f - y).sum() / y.sum(), rel=1e-12)
        assert row["bias"] == pytest.approx((f - y).sum() / y.sum(), rel=1e-12, abs=1e-15)
        inside = (y >= rows["volume_p10"].to_numpy()) & (y <= rows["volume_p90"].to_numpy())
        assert row["coverage_p10_p90"] == pytest.approx(inside.mean(), rel=1e-12)
        assert row["poisson_floor"] == pytest.approx(poisson_floor(y), rel=1e-12)
        assert row["actual_volume"] == pytest.approx(y.sum())
        truth = (hourly.total if series == TOTAL else hourly.counts[series]).to_numpy()
        scales = []
        for origin in ORIGINS:
            before = truth[: (origin - FIRST).days * 24]  # no DST change in January-February
            scales.append(np.mean(np.abs(before[168:] - before[:-168])))
        assert row["mase"] == pytest.approx(np.abs(f - y).mean() / np.mean(scales), rel=1e-12)


def test_the_selected_forecast_is_reconciled(result: BacktestResult) -> None:
    selected = result.forecasts[result.forecasts["model"] == SELECTED]
    by_series = selected.pivot_table(index=["origin", "interval_start"], columns="work_type", values="volume")
    np.testing.assert_allclose(by_series["a"] + by_series["b"], by_series[TOTAL], rtol=1e-12)
    p10, p90 = selected["volume_p10"], selected["volume_p90"]
    assert ((p10 <= selected["volume"] + 1) & (selected["volume"] <= p90 + 1)).all()
    summary = result.metrics.set_index(["work_type", "model"])["selected_model"]
    for series in ("a", "b", TOTAL):
        counts = [part.rsplit(" x", 1) for part in summary.loc[(series, SELECTED)].split(", ")]
        assert all(name in CANDIDATES for name, _ in counts)
        assert sum(int(n) for _, n in counts) == 2  # one choice per origin
        assert summary.loc[(series, "glm")] == ""


def test_the_index_resolution_does_not_matter() -> None:
    """The same counts on a microsecond index (pandas 3's default for `date_range`) backtest identically. (The
    backtest once compared microsecond positions with nanosecond stamps: it cut the history at its end, fitted
    on the future and failed to forecast the past.)"""
    micro = backtest(synthetic_hourly("us", ("a",)), None, ORIGINS[-1:], horizon_days=2, folds=1)
    nano = backtest(synthetic_hourly("ns", ("a",)), None, ORIGINS[-1:], horizon_days=2, folds=1)
    pd.testing.assert_frame_equal(micro.metrics, nano.metrics)
    assert micro.forecasts["actual"].sum() > 0


@pytest.mark.parametrize(
    "origin, fragment",
    [
        (date(2026, 1, 18), "less than two weeks of history"),  # 13 days after 5 January
        (date(2026, 2, 10), "runs past the history's end"),  # 10 + 6 = 16 February > 15 February
    ],
)
def test_unusable_origins_are_input_errors(hourly: HourlyHistory, origin: date, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        backtest(hourly, None, [ORIGINS[0], origin])
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].where == "--origins" and caught.value.problems[0].fix


def test_earliest_and_latest_usable_origins_are_accepted() -> None:
    """Exactly two weeks after the first day (19 January) and a horizon ending on the last day (15 February,
    1-day horizon) pass the checks and are backtested."""
    out = backtest(synthetic_hourly(types=("a",)), None, [date(2026, 1, 19), date(2026, 2, 15)], 1, folds=1)
    assert set(out.forecasts["origin"]) == {date(2026, 1, 19), date(2026, 2, 15)}
    assert len(out.forecasts) == 2 * (len(CANDIDATES) + 1) * 24


def test_last_weekly_origins(hourly: HourlyHistory) -> None:
    """History ends Sunday 15 February: the last 7-day horizon starts Monday 9 February, then weekly back."""
    assert last_weekly_origins(hourly, 3, 7) == [date(2026, 1, 26), date(2026, 2, 2), date(2026, 2, 9)]
    assert last_weekly_origins(hourly, 1, 1) == [date(2026, 2, 15)]


# -- metric helpers on hand-built numbers -----------------------------------------------------------------------


def test_metrics_on_a_hand_built_case() -> None:
    """Series 'x', actuals 2, 2, 5 (sum 9), seasonal-naive scale 2 (mean |y_t - y_(t-1 week)|):
    - model 'm' forecasts 1, 2, 3: WAPE (1 + 0 + 2) / 9 = 1/3; bias (-1 + 0 - 2) / 9 = -1/3;
      MASE mean(1, 0, 2) / 2 = 0.5; band [1, 3] holds 2, 2 but not 5: coverage 2/3;
    - 'seasonal_naive' forecasts 2, 2, 2: WAPE 3 / 9 = 1/3 as well, so m's ratio to naive is 1; bias -1/3.
    poisson_floor: 2 x (2 x P(Y=2 | 2) x 2 + 5 x P(Y=5 | 5)) / 9 with P(Y=2 | 2) = 2 e^-2 = 0.270671 and
    P(Y=5 | 5) = 5^5 e^-5 / 120 = 0.175467: (4 x 0.270671 x 2 + 10 x 0.175467) / 9 = 0.435560."""
    actual = np.array([2.0, 2.0, 5.0])
    m = _Pool()
    m.add(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), np.array([3.0, 3.0, 3.0]), actual, 2.0)
    naive = _Pool()
    naive.add(np.array([2.0, 2.0, 2.0]), np.zeros(3), np.full(3, 10.0), actual, 2.0)
    frame = _metrics({("x", "m"): m, ("x", "seasonal_naive"): naive}, {"x": {}}, 1).set_index("model")  # type: ignore[dict-item]
    assert frame.loc["m", "wape"] == pytest.approx(1 / 3)
    assert frame.loc["m", "bias"] == pytest.approx(-1 / 3)
    assert frame.loc["m", "mase"] == pytest.approx(0.5)
    assert frame.loc["m", "coverage_p10_p90"] == pytest.approx(2 / 3)
    assert frame.loc["m", "ratio_to_naive"] == pytest.approx(1.0)
    assert frame.loc["seasonal_naive", "bias"] == pytest.approx(-1 / 3)
    assert frame.loc["seasonal_naive", "coverage_p10_p90"] == 1.0
    assert frame.loc["m", "poisson_floor"] == pytest.approx(0.435560, abs=1e-6)


@pytest.mark.parametrize("lam", [0.3, 1.0, 2.5, 7.0, 30.0])
def test_poisson_floor_matches_monte_carlo(lam: float) -> None:
    """poisson_floor of a constant count lam is E|Y - lam| / lam for Y ~ Poisson(lam). Estimated from 400,000
    draws; the standard error of the mean of |Y - lam| is below 0.2% of lam for these lam, tolerance 1%.
    For lam = 1 the exact value is 2 / e = 0.7358."""
    rng = np.random.default_rng(11)
    draws = rng.poisson(lam, 400_000)
    monte_carlo = np.abs(draws - lam).mean() / lam
    assert poisson_floor(np.full(10, lam)) == pytest.approx(monte_carlo, rel=0.01)
    if lam == 1.0:
        assert poisson_floor(np.array([1.0])) == pytest.approx(2 / np.e, rel=1e-12)


def test_poisson_floor_pools_cells_and_is_nan_without_volume() -> None:
    """Cells of different rates pool as sum E|Y - lam| / sum lam (E|Y - 1| = 2/e, E|Y - 0| = 0)."""
    assert poisson_floor(np.array([1.0, 0.0, 1.0])) == pytest.approx((2 / np.e + 2 / np.e) / 2)
    assert np.isnan(poisson_floor(np.zeros(4)))
