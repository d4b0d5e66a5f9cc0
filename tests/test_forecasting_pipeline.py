"""The forecast of a whole centre (`forecasting.forecast_centre`) and its reconciliation.

The centre is the generator's size S (seven work types, England) with eight weeks of per-ticket history,
26 January - 22 March 2026; the forecast covers the plan week 23-29 March 2026 (29 March has 23 hours in
London) at 15-minute intervals, with two backtest folds per series to keep it fast. It is forecast once per
module (about 8 s).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting import CANDIDATES, TOTAL, ForecastResult, ForecastSettings, HourlyHistory, SpecialCalendar, aggregate
from forecasting import forecast_centre as run_forecast
from forecasting.aggregate import hour_of_week
from forecasting.pipeline import PROFILE_SHRINKAGE_CONTACTS, aht_profile, reconcile
from forecasting.selection import PREFERRED
from forecasting.series import hourly_grid
from models import FORECAST, Center, History, Horizon, InputError, read_table, write_table
from scenarios.generator import GeneratorSettings, Scenario, generate

PLAN_START = date(2026, 3, 23)
DAYS = 7


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(GeneratorSettings(size="S", history_weeks=8))


@pytest.fixture(scope="module")
def hourly(scenario: Scenario) -> HourlyHistory:
    center = scenario.center
    history = History(
        frame=scenario.history,
        kind="tickets",
        source="generated",
        timezone=center.timezone,
        interval_minutes=None,
        assumption=None,
    )
    return aggregate(history, center.timezone, [w.id for w in center.work_types])


def default_aht(center: Center) -> dict[str, float]:
    return {w.id: float(w.aht_s) for w in center.work_types if w.aht_s is not None}


@pytest.fixture(scope="module")
def result(scenario: Scenario, hourly: HourlyHistory) -> ForecastResult:
    return run_forecast(
        hourly,
        SpecialCalendar.of_center(scenario.center),
        PLAN_START,
        DAYS,
        ForecastSettings(interval_minutes=15, folds=2),
        default_aht(scenario.center),
    )


def test_the_table_follows_the_forecast_contract(result: ForecastResult, hourly: HourlyHistory, tmp_path: Path) -> None:
    table = result.table
    assert list(table.columns) == [*FORECAST.names, "model"]
    horizon = Horizon(start_date=PLAN_START, days=DAYS, interval_minutes=15, timezone="Europe/London")
    assert len(horizon.intervals) == (7 * 24 - 1) * 4  # the 23-hour 29 March
    assert len(table) == len(horizon.intervals) * len(hourly.work_types)
    assert not table.duplicated(["interval_start", "work_type"]).any()
    for work_type, rows in table.groupby("work_type"):
        assert pd.DatetimeIndex(rows["interval_start"]).equals(horizon.intervals), work_type
    assert sorted(table["work_type"].unique()) == sorted(hourly.work_types)
    # It is a valid forecast file: written and read back through the schema's checks.
    path = write_table(table.drop(columns="model"), FORECAST, tmp_path / "forecast.csv")
    back = read_table(path, FORECAST, timezone="Europe/London")
    assert len(back) == len(table)


def test_quantiles_are_ordered_finite_and_non_negative(result: ForecastResult) -> None:
    table = result.table
    values = table[["volume", "volume_p10", "volume_p50", "volume_p90"]].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert (table["volume_p10"] <= table["volume_p50"]).all()
    assert (table["volume_p50"] <= table["volume_p90"]).all()
    # Not degenerate: the band has width where volume is expected.
    busy = table["volume"] > 5
    assert (table.loc[busy, "volume_p90"] > table.loc[busy, "volume_p10"]).all()


def test_quarter_hours_sum_to_the_reconciled_hour(result: ForecastResult, hourly: HourlyHistory) -> None:
    table = result.table
    hour = pd.DatetimeIndex(table["interval_start"]).floor("h")  # London's offsets are whole hours
    sums = table.groupby([hour, table["work_type"]])["volume"].sum().unstack()
    for work_type in hourly.work_types:
        np.testing.assert_allclose(sums[work_type].to_numpy(), result.hourly[work_type].to_numpy(), rtol=1e-12)


def test_hourly_types_add_up_to_the_total(result: ForecastResult, hourly: HourlyHistory) -> None:
    frame = result.hourly
    assert list(frame.columns) == [*hourly.work_types, TOTAL]
    assert pd.DatetimeIndex(frame.index).equals(hourly_grid(PLAN_START, date(2026, 3, 29), "Europe/London"))
    np.testing.assert_allclose(frame[hourly.work_types].sum(axis=1), frame[TOTAL], rtol=1e-12)
    assert (frame.to_numpy() >= 0).all()


def test_intra_hour_shares_are_learned_from_the_arrivals(result: ForecastResult, scenario: Scenario) -> None:
    """Each quarter's share of its hour is the history's arrivals in that quarter of that hour of the week,
    pulled towards an even split by PROFILE_SHRINKAGE_CONTACTS (20) pseudo-arrivals:
    (n_q + 20 / 4) / (n + 20). The counts here come straight from the generated tickets (pandas), not from
    the aggregation's buckets."""
    assert PROFILE_SHRINKAGE_CONTACTS == 20.0
    assert not any("split evenly" in note for note in result.notes)
    tickets = scenario.history
    local = tickets["created_at"].dt.tz_convert("Europe/London")
    quarter = local.dt.minute // 15
    how = local.dt.day_of_week * 24 + local.dt.hour
    work_type = "billing_phone"
    mine = tickets["work_type"] == work_type
    observed = pd.crosstab(how[mine], quarter[mine]).reindex(index=range(168), columns=range(4), fill_value=0)
    expected_share = (observed.to_numpy() + PROFILE_SHRINKAGE_CONTACTS / 4) / (
        observed.to_numpy().sum(axis=1, keepdims=True) + PROFILE_SHRINKAGE_CONTACTS
    )
    rows = result.table[result.table["work_type"] == work_type]
    starts = pd.DatetimeIndex(rows["interval_start"]).tz_convert("Europe/London")
    hourly_value = result.hourly[work_type].to_numpy().repeat(4)
    share = rows["volume"].to_numpy() / np.where(hourly_value > 0, hourly_value, np.nan)
    expected = expected_share[hour_of_week(starts), starts.minute // 15]
    busy = hourly_value > 0
    assert busy.sum() > 300
    np.testing.assert_allclose(share[busy], expected[busy], rtol=1e-9)
    assert np.abs(expected[busy] - 0.25).max() > 0.02  # learned, not an even split


def test_aht_comes_from_the_history(result: ForecastResult, hourly: HourlyHistory, scenario: Scenario) -> None:
    """aht_s is the hour-of-week profile of the observed handle times; over the week, weighted by volume, it is
    within 10% of the generator's configured mean (the lognormal handle times are clipped at their 99% quantile,
    which lowers the mean by a few percent)."""
    table = result.table
    assert table["aht_s"].notna().all()
    profile = aht_profile(hourly, default_aht(scenario.center))
    starts = pd.DatetimeIndex(table["interval_start"]).tz_convert("Europe/London")
    how = hour_of_week(starts)
    for work_type in hourly.work_types:
        mine = (table["work_type"] == work_type).to_numpy()
        np.testing.assert_allclose(table.loc[mine, "aht_s"], profile[work_type].to_numpy()[how[mine]], rtol=1e-12)
        weighted = np.average(table.loc[mine, "aht_s"], weights=table.loc[mine, "volume"])
        configured = scenario.center.work_type(work_type).aht_s
        assert weighted == pytest.approx(configured, rel=0.10), work_type


def test_model_column_scores_and_bands(result: ForecastResult, hourly: HourlyHistory) -> None:
    series = [*hourly.work_types, TOTAL]
    assert set(result.selected) == set(series)
    assert set(result.bands) == set(series)
    assert sorted(result.scores.index) == sorted(series)
    assert set(result.scores.columns) == set(CANDIDATES)
    for work_type, rows in result.table.groupby("work_type"):
        assert set(rows["model"]) == {result.selected[work_type]}
        # The lowest backtest WAPE wins, unless it is the preferred model's within the backtest's noise.
        scores = result.scores.loc[work_type]
        assert result.selected[work_type] in (scores.idxmin(), PREFERRED)


def test_start_inside_the_history_is_an_input_error(hourly: HourlyHistory) -> None:
    for start in (date(2026, 3, 22), date(2026, 2, 1)):
        with pytest.raises(InputError, match="inside the history") as caught:
            run_forecast(hourly, None, start, DAYS)
        assert caught.value.source == "--start" and caught.value.problems[0].fix


def test_interval_that_does_not_split_an_hour_is_an_input_error() -> None:
    with pytest.raises(InputError, match="does not split an hour"):
        ForecastSettings(interval_minutes=25)


def test_hourly_history_is_split_evenly_and_an_untimed_type_gets_zeros(tmp_path: Path) -> None:
    """Hourly interval counts have no pattern inside the hour: 30-minute output splits each hour in two equal
    halves (and a note says so). A work type with no history is forecast at zero, with a blank AHT where no
    default is given; one with a default gets it."""
    index = hourly_grid(date(2026, 2, 2), date(2026, 3, 1), "Europe/London")
    rng = np.random.default_rng(3)
    rate = 20 * ((index.hour >= 8) & (index.hour < 20))
    frame = pd.DataFrame(
        {"interval_start": index, "work_type": "q", "volume": rng.poisson(rate).astype(float), "aht_s": 300.0}
    )
    history = History(frame, "intervals", "hourly.csv", "Europe/London", 60, None)
    hourly = aggregate(history, "Europe/London", ["q", "quiet", "new"])
    out = run_forecast(
        hourly, None, date(2026, 3, 2), 2, ForecastSettings(interval_minutes=30, folds=2), {"new": 500.0}
    )
    table = out.table
    assert len(table) == 2 * 24 * 2 * 3
    assert any("q: hours split evenly into 30-min intervals" in note for note in out.notes)
    q = table[table["work_type"] == "q"]
    halves = q["volume"].to_numpy().reshape(-1, 2)
    np.testing.assert_allclose(halves[:, 0], halves[:, 1])
    np.testing.assert_allclose(halves.sum(axis=1), out.hourly["q"].to_numpy(), rtol=1e-12)
    assert q["volume"].sum() > 0
    for empty in ("quiet", "new"):
        assert (table.loc[table["work_type"] == empty, ["volume", "volume_p90"]] == 0).all().all()
    assert table.loc[table["work_type"] == "quiet", "aht_s"].isna().all()
    assert (table.loc[table["work_type"] == "new", "aht_s"] == 500.0).all()
    np.testing.assert_allclose(table.loc[table["work_type"] == "q", "aht_s"], 300.0)
    assert any("no handle times for quiet" in note for note in out.notes)
    np.testing.assert_allclose(out.hourly[TOTAL], out.hourly[["q", "quiet", "new"]].sum(axis=1), rtol=1e-12)


# -- reconciliation ---------------------------------------------------------------------------------------------


def test_reconcile_on_a_hand_built_hour() -> None:
    """Types forecast 10 and 10 (alpha 0 and 1: variances 10 and 10 + 1 x 100 = 110), total forecast 30 (alpha 0:
    variance 30). The gap 30 - 20 = 10 is shared in proportion to the variances out of 150: the certain type
    gets 10 x 10 / 150 = 0.667, the uncertain one 10 x 110 / 150 = 7.333, and the total gives up
    10 x 30 / 150 = 2, ending at 28 = 10.667 + 17.333."""
    types, total = reconcile(np.array([[10.0, 10.0]]), np.array([30.0]), np.array([0.0, 1.0]), 0.0)
    np.testing.assert_allclose(types, [[10 + 10 / 15, 10 + 110 / 15]])
    np.testing.assert_allclose(total, [28.0])


def test_reconcile_keeps_non_negativity() -> None:
    """A total far below the types' sum: the shares that would go negative stop at zero, and the total is the
    sum of what is left."""
    types, total = reconcile(np.array([[0.5, 40.0]]), np.array([0.0]), np.array([2.0, 0.0]), 0.0)
    assert (types >= 0).all()
    assert types[0, 0] == 0.0  # 0.5 - 40.5 x (0.5 + 2 x 0.25) / 41: negative, clipped
    np.testing.assert_allclose(total, types.sum(axis=1))


@settings(max_examples=200, deadline=None)
@given(
    types=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(0.0, 1e4)),
    total_scale=st.floats(0.0, 3.0),
    alpha=arrays(np.float64, 5, elements=st.floats(0.0, 2.0)),
    total_alpha=st.floats(0.0, 2.0),
)
def test_reconcile_properties(types: np.ndarray, total_scale: float, alpha: np.ndarray, total_alpha: float) -> None:
    """Coherent, non-negative, and (where nothing is clipped) each type moves in proportion to its variance,
    so the more uncertain of two types never moves less."""
    k = types.shape[1]
    total = types.sum(axis=1) * total_scale
    out, out_total = reconcile(types, total, alpha[:k], total_alpha)
    assert (out >= 0).all()
    np.testing.assert_allclose(out_total, out.sum(axis=1), rtol=1e-12, atol=1e-9)
    variance = types + alpha[:k] * types**2
    moved = np.abs(out - types)
    for h in range(types.shape[0]):
        if (out[h] > 0).all():  # nothing clipped (a clipped value is exactly 0): moves are proportional to variances
            for i in range(k):
                for j in range(k):
                    if variance[h, i] > variance[h, j]:
                        assert moved[h, i] >= moved[h, j] - 1e-9
