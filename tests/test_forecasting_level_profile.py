"""The level-profile model and what came with it: `fit_day_level`, the two-level band, the noise-aware
selection, holiday families (eves, bridge days) learned by `DayAdjustment`, and the backtest's baseline ratio.

The series are synthetic, on Europe/London's real hourly grid. A day's expected total is a level times a
weekday effect (`WEEKDAY_EFFECT`); it is spread over the day by fixed intraday shares (`SHARES`: nothing at
night, a hump from 07:00 to 21:59). The main history runs from Monday 3 November 2025 to Sunday 22 March 2026
(20 weeks, no DST change inside it: the October change is before it, the March one on 29 March, after it), so
what each model should forecast is known exactly. Counts are Poisson around those rates, from seeded
generators; day-level shocks, where there are any, are lognormal with mean 1.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    BASELINE,
    AutoForecaster,
    DayAdjustment,
    HourlyHistory,
    LevelProfileForecaster,
    NegativeBinomialBand,
    NotFittedError,
    RecentWeeksAverage,
    SpecialCalendar,
    backtest,
    calibrated_band,
)
from forecasting.aggregate import HOURS_PER_WEEK, hour_of_week
from forecasting.calendar import holiday_family
from forecasting.forecasters import fit_day_level
from forecasting.selection import PREFERRED, SELECTION_Z
from forecasting.series import HOURS, DayHours, hourly_grid
from models import SpecialDay

TZ = "Europe/London"
FIRST = date(2025, 11, 3)  # a Monday
DAYS = 140  # to Sunday 22 March 2026
#: The first hour after the history (Monday 23 March 2026).
START = pd.Timestamp(FIRST + timedelta(days=DAYS), tz=TZ)
#: Monday .. Sunday.
WEEKDAY_EFFECT = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])
_HOUR = np.arange(HOURS)
_OPEN = (_HOUR >= 7) & (_HOUR < 22)
#: Share of the day's total in each local hour: 0 at night, 1 + sin over the 15 open hours.
_HUMP = np.where(_OPEN, 1.0 + np.sin((_HOUR - 7) / 15 * np.pi), 0.0)
SHARES = _HUMP / _HUMP.sum()


def weekdays(days: int, first: date = FIRST) -> np.ndarray:
    return (np.arange(days) + first.weekday()) % 7


def day_rates(level: float | np.ndarray, days: int = DAYS, first: date = FIRST) -> np.ndarray:
    """Expected counts ``(days, 24)``: `level` (one value, or one per day) x weekday effect x shares."""
    totals = np.broadcast_to(np.asarray(level, dtype=float), (days,)) * WEEKDAY_EFFECT[weekdays(days, first)]
    return totals[:, None] * SHARES[None, :]


def on_grid(values: np.ndarray, first: date = FIRST) -> pd.Series:
    """A ``(days, 24)`` wall-clock matrix laid on the real hours of its dates."""
    index = hourly_grid(first, first + timedelta(days=len(values) - 1), TZ)
    return pd.Series(DayHours(first, values, TZ).lookup(index), index=index)


def poisson(values: np.ndarray, rng: np.random.Generator, first: date = FIRST) -> pd.Series:
    return on_grid(rng.poisson(values).astype(float), first)


def week_ahead(model: LevelProfileForecaster | RecentWeeksAverage) -> pd.Series:
    """The forecast's total of each local date of the week after the history."""
    grid = hourly_grid(START.date(), START.date() + timedelta(days=6), TZ)
    forecast = model.predict(START, len(grid))
    return forecast.groupby(pd.DatetimeIndex(forecast.index).tz_localize(None).date).sum()


def truth_week_ahead(level: float) -> np.ndarray:
    """The true totals of the week after the history (Monday first) at `level`."""
    return level * WEEKDAY_EFFECT


# -- LevelProfileForecaster -------------------------------------------------------------------------------------


def test_a_noiseless_series_is_reproduced() -> None:
    """A constant level of 1000 a day x weekday effect x shares, with no noise at all: the log day totals are
    exactly the weekday effects, so the level is constant, the smearing 1, and the forecast of the next two weeks
    (over the 23-hour 29 March) is the same product, to float rounding."""
    model = LevelProfileForecaster().fit(on_grid(day_rates(1000.0)))
    grid = hourly_grid(START.date(), START.date() + timedelta(days=13), TZ)
    forecast = model.predict(START, len(grid))
    expected = DayHours(FIRST, day_rates(1000.0, days=DAYS + 14), TZ).lookup(grid)
    np.testing.assert_allclose(forecast.to_numpy(), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(model.shares_, np.tile(SHARES, (7, 1)), rtol=1e-12, atol=1e-15)


def test_a_persistent_level_shift_is_followed() -> None:
    """1000 a day for 16 weeks, then 1300 (+30%) for the last 4, Poisson counts. The 8-week same-hour average
    straddles the shift (about +15%: about 11% short of the new level); the level-profile model's smoothed
    level follows it: its week-ahead day totals are at most half as far from the truth (seen: 1-4% against 11%),
    and the smoothing weight it chose is not 0."""
    level = np.where(np.arange(DAYS) >= DAYS - 28, 1300.0, 1000.0)
    y = poisson(day_rates(level), np.random.default_rng(0))
    truth = truth_week_ahead(1300.0)
    level_profile = LevelProfileForecaster().fit(y)
    recent = RecentWeeksAverage(weeks=8).fit(y)
    error_lp = np.abs(week_ahead(level_profile).to_numpy() - truth).sum() / truth.sum()
    error_recent = np.abs(week_ahead(recent).to_numpy() - truth).sum() / truth.sum()
    assert error_recent > 0.08  # the comparison means something: the average is visibly behind
    assert error_lp < 0.5 * error_recent
    assert level_profile.alpha_ > 0


def test_a_stationary_level_is_not_chased() -> None:
    """A constant level of 1000 a day with Poisson noise (about 3% on a day's total): the chosen smoothing weight
    stays small (<= 0.2; seen 0-0.05), and the forecast's week total is within 3% of the true 6000."""
    y = poisson(day_rates(1000.0), np.random.default_rng(2))
    model = LevelProfileForecaster().fit(y)
    assert model.alpha_ <= 0.2
    assert week_ahead(model).sum() == pytest.approx(truth_week_ahead(1000.0).sum(), rel=0.03)


def test_a_sparse_series_borrows_the_parents_profile() -> None:
    """A work type of about 1.7 contacts a day (2 a day x weekday effect), whose true intraday shape is the
    parent's (a total of 3000 a day): its own 12 weeks hold about 20 contacts per weekday, too few for a
    24-hour profile (mean L1 distance to the true shares about 0.9 of a possible 2), while the parent's 100
    pseudo-contacts per weekday pull it to within about 0.06. Required: at most a quarter of the distance."""
    rng = np.random.default_rng(3)
    parent = poisson(day_rates(3000.0), rng)
    sparse = poisson(day_rates(2.0), rng)
    alone = LevelProfileForecaster().fit(sparse)
    borrowing = LevelProfileForecaster(parent=parent).fit(sparse)
    true_shares = np.tile(SHARES, (7, 1))

    def distance(shares: np.ndarray) -> float:
        return float(np.abs(shares - true_shares).sum(axis=1).mean())

    assert distance(borrowing.shares_) < 0.25 * distance(alone.shares_)
    # The forecast's level is the work type's own, not the parent's.
    assert week_ahead(borrowing).sum() == pytest.approx(week_ahead(alone).sum(), rel=1e-9)


def test_the_parent_is_never_read_beyond_the_history() -> None:
    """The work type's history ends three weeks before the parent's does. After that day the parent has a
    huge spike (a million contacts at 03:00 every day), which a profile reading it would show at once. Fitted
    with that parent or with the parent cut at the history's end, the shares are the same."""
    rng = np.random.default_rng(4)
    parent = poisson(day_rates(3000.0), rng)
    sparse = poisson(day_rates(2.0), rng)
    cut = pd.Timestamp(FIRST + timedelta(days=DAYS - 21), tz=TZ)
    history = sparse[sparse.index < cut]
    spiked = parent.copy()
    spiked[(spiked.index >= cut) & (spiked.index.hour == 3)] = 1e6
    # The spike is where a profile of the parent would see it: the parent's own 03:00 share is most of its day.
    assert LevelProfileForecaster().fit(spiked).shares_[:, 3].min() > 0.5
    with_future = LevelProfileForecaster(parent=spiked).fit(history).shares_
    cut_parent = LevelProfileForecaster(parent=parent[parent.index < cut]).fit(history).shares_
    np.testing.assert_array_equal(with_future, cut_parent)
    assert with_future[:, 3].max() < 0.01  # nothing of the spike: 03:00 is a night hour


def test_day_variance_sees_day_level_shocks() -> None:
    """500 a day: pure Poisson counts (log variance of a day total about 1/500 = 0.002, all of it Poisson) and
    the same with a lognormal day factor (sigma 0.2, mean 1: log variance 0.04 more). The day factor's variance
    (Poisson noise taken out) is near 0 for the first (seen 0-0.0002) and near 0.04 for the second (seen
    0.026-0.040): required at least 0.02 and ten times the first."""
    rng = np.random.default_rng(5)
    rates = day_rates(500.0)
    shock = np.exp(rng.normal(-(0.2**2) / 2, 0.2, DAYS))
    shocked = LevelProfileForecaster().fit(poisson(rates * shock[:, None], rng)).day_variance_
    pure = LevelProfileForecaster().fit(poisson(rates, rng)).day_variance_
    assert shocked > 0.02
    assert shocked > 10 * pure
    assert pure < 0.01


def test_predict_before_fit_and_predict_after_the_history() -> None:
    with pytest.raises(NotFittedError):
        LevelProfileForecaster().predict(START, 24)
    model = LevelProfileForecaster().fit(poisson(day_rates(1000.0), np.random.default_rng(6)))
    with pytest.raises(ValueError, match="after the history"):
        model.predict(START - pd.Timedelta(days=1), 48)
    forecast = model.predict(START, 24)
    assert forecast.index[0] == START
    assert len(forecast) == 24
    assert forecast.name == "level_profile"


def test_the_estimator_contract() -> None:
    """`__init__` only stores its settings (the parent and the calendar included, as the same objects); `fit`
    returns the model, adds only learned state (ending in ``_``) and leaves the settings as they were."""
    parent = poisson(day_rates(3000.0), np.random.default_rng(12))
    calendar = SpecialCalendar(country="GB", subdivision="ENG").for_work_type("phone")
    model = LevelProfileForecaster(window_weeks=8, parent=parent, calendar=calendar)
    before = dict(vars(model))
    assert not [k for k in before if k.endswith("_")]
    assert before["parent"] is parent and before["calendar"] is calendar
    assert model.fit(poisson(day_rates(20.0), np.random.default_rng(13))) is model
    added = set(vars(model)) - set(before)
    assert {"shares_", "alpha_", "day_variance_", "level_", "weekday_effect_"} <= added
    assert all(k.endswith("_") for k in added)
    assert all(vars(model)[k] is v for k, v in before.items())


def test_special_days_are_kept_out_of_what_is_learned() -> None:
    """The noiseless series with every special day of the history (England: Christmas Eve to New Year's Day,
    New Year's Eve, the bridge day 2 January 2026) at a fifth of its normal volume. With the calendar, the model
    learns from normal days only and forecasts the normal pattern (to float rounding); without it, the dips
    pull its weekday effects off (by 7-13% of a day here; required: more than 5%)."""
    calendar = SpecialCalendar(country="GB", subdivision="ENG").for_work_type(None)
    dates = [FIRST + timedelta(days=i) for i in range(DAYS)]
    special = calendar.is_special(dates)
    assert special.sum() >= 6
    y = on_grid(day_rates(1000.0 * np.where(special, 0.2, 1.0)))
    expected = truth_week_ahead(1000.0)
    aware = week_ahead(LevelProfileForecaster(calendar=calendar).fit(y)).to_numpy()
    np.testing.assert_allclose(aware, expected, rtol=1e-9)
    blind = week_ahead(LevelProfileForecaster().fit(y)).to_numpy()
    assert np.abs(blind / expected - 1).max() > 0.05


def test_an_all_zero_series_is_forecast_as_zero() -> None:
    """No contact at all: no weekday is open, every log total is missing (NaN) and the forecast is zero, with
    no warning (warnings are errors here)."""
    index = hourly_grid(FIRST, FIRST + timedelta(days=27), TZ)
    model = LevelProfileForecaster().fit(pd.Series(0.0, index=index))
    forecast = model.predict(pd.Timestamp(FIRST + timedelta(days=28), tz=TZ), 48)
    np.testing.assert_array_equal(forecast.to_numpy(), 0.0)


# -- fit_day_level ----------------------------------------------------------------------------------------------


def test_fit_day_level_recovers_weekday_effects_on_a_deterministic_input() -> None:
    """Ten weeks of log totals ``s(weekday) + 5`` exactly, Sunday closed (NaN): the effects plus the level
    reproduce each open weekday's value, the level never moves (weight 0 among equal losses), the smearing is
    1 and the multi-step error variance 0."""
    s = np.log(WEEKDAY_EFFECT)
    wd = weekdays(70)
    open_weekdays = np.array([True] * 6 + [False])
    y = np.where(open_weekdays[wd], s[wd] + 5.0, np.nan)
    effect, level, alpha, smearing, variance = fit_day_level(y, wd, open_weekdays, 7)
    np.testing.assert_allclose(effect[:6] + level, s[:6] + 5.0, atol=1e-12)
    assert alpha == 0.0
    assert smearing == pytest.approx(1.0, abs=1e-12)
    assert variance == pytest.approx(0.0, abs=1e-20)


def test_fit_day_level_separates_weekday_effects_from_a_level_step() -> None:
    """The same weekday effects with the level stepping up by 0.3 after seven weeks (of ten): the weight is not
    0, and the effects' differences from Monday and the last level plus the effects are those of the input
    within 0.04 (the smoothed level lags for a few days after the step, and that lag is read as part of those
    days' weekday effects: up to 0.03 seen). A constant level (weight 0) would be 0.21 off after the step."""
    s = np.log(WEEKDAY_EFFECT)
    wd = weekdays(70)
    step = np.where(np.arange(70) >= 49, 0.3, 0.0)
    y = s[wd] + 5.0 + step
    effect, level, alpha, _, _ = fit_day_level(y, wd, np.ones(7, dtype=bool), 7)
    assert alpha > 0
    np.testing.assert_allclose(effect - effect[0], s - s[0], atol=0.04)
    np.testing.assert_allclose(effect + level, s + 5.3, atol=0.04)


@pytest.mark.parametrize("open_days", [7, 0])
def test_fit_day_level_with_no_observation_does_not_crash(open_days: int) -> None:
    wd = weekdays(28)
    open_weekdays = np.arange(7) < open_days
    effect, level, alpha, smearing, variance = fit_day_level(np.full(28, np.nan), wd, open_weekdays, 7)
    assert np.isfinite(effect).all() and np.isfinite([level, alpha, smearing, variance]).all()
    assert variance == 0.0


# -- calibrated_band --------------------------------------------------------------------------------------------

#: Around-the-clock hourly shares (about 2.8% to 5.5% of the day) for the band's simulations.
BAND_SHARES = (1.0 + 0.5 * np.sin(_HOUR / HOURS * 2 * np.pi)) / HOURS
#: Expected contacts a day: 170 to 330 an hour.
BAND_DAILY = 6000.0


def simulate(rng: np.random.Generator, days: int, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """(forecast, actual) hours of `days` days: the forecast is the true mean; the actuals are Poisson around
    it times a lognormal day factor (mean 1, log sd `sigma`) shared by the day's hours."""
    mu = np.tile(BAND_DAILY * BAND_SHARES, days)
    shock = np.exp(rng.normal(-(sigma**2) / 2, sigma, days)) if sigma > 0 else np.ones(days)
    return mu, rng.poisson(mu * np.repeat(shock, HOURS)).astype(float)


def test_the_band_covers_fresh_data_from_the_same_process() -> None:
    """Backtest data: 196 days of Poisson counts at 170-330 an hour times day factors of log sd 0.15. The
    band's p10-p90 must hold 80% +- 7% of 1000 fresh days from the same process. The within-day Poisson noise
    is small next to the day factor here, so a Poisson band would hold far less."""
    rng = np.random.default_rng(7)
    band = calibrated_band(*simulate(rng, 196, 0.15))
    forecast, actual = simulate(rng, 1000, 0.15)
    assert band.coverage(forecast, actual) == pytest.approx(0.80, abs=0.07)
    assert NegativeBinomialBand(0.0).coverage(forecast, actual) < 0.5  # the day factor matters here


def test_a_calm_backtest_does_not_make_the_band_too_narrow() -> None:
    """The case of a high-volume series whose few backtest weeks were calm: 21 backtest days with day factors
    of log sd 0.03, while the model's own long record says 0.15 (`day_variance` = 0.0225). Calibrated on the
    backtest alone, the band holds well under 80% of fresh days with the usual spread; moved by the difference
    of day-level variances, it holds 80% +- 7%."""
    rng = np.random.default_rng(11)
    forecast, actual = simulate(rng, 21, 0.03)
    alone = calibrated_band(forecast, actual)
    moved = calibrated_band(forecast, actual, day_variance=0.15**2)
    fresh_forecast, fresh_actual = simulate(rng, 1000, 0.15)
    assert alone.coverage(fresh_forecast, fresh_actual) < 0.65
    assert moved.coverage(fresh_forecast, fresh_actual) == pytest.approx(0.80, abs=0.07)


def test_a_rough_backtest_does_not_make_the_band_too_wide() -> None:
    """The other way round: backtest days with day factors of log sd 0.3 against a long record of 0.1. The moved
    band is narrower, and holds 80% +- 7% of fresh days with the usual spread."""
    rng = np.random.default_rng(12)
    forecast, actual = simulate(rng, 21, 0.3)
    alone = calibrated_band(forecast, actual)
    moved = calibrated_band(forecast, actual, day_variance=0.1**2)
    fresh_forecast, fresh_actual = simulate(rng, 1000, 0.1)
    assert moved.alpha < alone.alpha
    assert moved.coverage(fresh_forecast, fresh_actual) == pytest.approx(0.80, abs=0.07)


def test_the_band_is_wider_than_for_pure_poisson_data() -> None:
    """The same volumes with and without the day factor (log sd 0.15: relative variance exp(0.15^2) - 1 =
    0.023): the shocked data's alpha is within 35% of that, the pure Poisson's near 0 (at most a tenth of it)."""
    rng = np.random.default_rng(8)
    shocked = calibrated_band(*simulate(rng, 196, 0.15)).alpha
    pure = calibrated_band(*simulate(rng, 196, 0.0)).alpha
    assert shocked == pytest.approx(np.expm1(0.15**2), rel=0.35)
    assert shocked > 10 * pure


def test_with_less_than_two_days_the_day_variance_is_not_used() -> None:
    """47 hours (one whole day) of gamma-Poisson counts: the band is `NegativeBinomialBand.calibrate`'s, which
    here is not Poisson, whatever the day variance. With 48 hours (two days) the day variance moves it."""
    rng = np.random.default_rng(9)
    mu = np.full(48, 50.0)
    actual = rng.poisson(mu * rng.gamma(1 / 0.1, 0.1, 48)).astype(float)
    short = calibrated_band(mu[:47], actual[:47], day_variance=0.5)
    assert short == NegativeBinomialBand.calibrate(mu[:47], actual[:47])
    assert short.alpha > 0
    assert calibrated_band(mu, actual, day_variance=0.5) != NegativeBinomialBand.calibrate(mu, actual)


def test_the_band_counts_a_persistent_bias_of_the_forecast() -> None:
    """The same backtest actuals against the true mean and against a forecast 20% low every day (a level shift
    the model has not caught up with): the biased forecast's band is more than 1.5 times as dispersed, with a
    day variance given or not (the backtest's day-level variance is measured around zero, so the bias is not
    subtracted back out)."""
    forecast, actual = simulate(np.random.default_rng(10), 196, 0.15)
    assert calibrated_band(0.8 * forecast, actual).alpha > 1.5 * calibrated_band(forecast, actual).alpha
    biased = calibrated_band(0.8 * forecast, actual, day_variance=0.15**2)
    assert biased.alpha > 1.5 * calibrated_band(forecast, actual, day_variance=0.15**2).alpha


def test_the_band_does_not_ignore_a_day_variance() -> None:
    """`AutoForecaster.band` passes the selected model's `day_variance_` to `calibrated_band`. A day variance of
    0.5 (log sd 0.7, twenty times the backtest's) must change the band."""
    forecast, actual = simulate(np.random.default_rng(14), 21, 0.15)
    assert calibrated_band(forecast, actual, day_variance=0.5) != calibrated_band(forecast, actual)


# -- the noise-aware selection ----------------------------------------------------------------------------------


def paired_lead(auto: AutoForecaster, preferred: str, other: str) -> tuple[float, float]:
    """(mean, standard error) of the daily differences of absolute error, preferred minus other, over the
    backtest: the lead `_select` weighs, computed here from the kept backtest forecasts."""
    actual = auto.backtest_actual_
    days = len(actual) // HOURS
    a = np.abs(auto.backtest_forecasts_[preferred] - actual).reshape(days, HOURS).sum(axis=1)
    b = np.abs(auto.backtest_forecasts_[other] - actual).reshape(days, HOURS).sum(axis=1)
    gain = a - b
    return float(gain.mean()), float(gain.std(ddof=1) / np.sqrt(days))


def test_the_preferred_model_is_kept_when_the_other_leads_within_the_noise() -> None:
    """200 a day, with Monday's effect growing and Friday's shrinking by up to 20% over the 20 weeks: the
    recent average (6 weeks) follows that a little better, the level-profile model pools more days; the two are
    about equally good. Here (seeded) the recent average has the lower backtest WAPE, but by less than
    `SELECTION_Z` standard errors of the paired daily differences, so the preferred level-profile model is kept.
    (A plain lowest-WAPE rule would take the recent average.)"""
    assert PREFERRED == "level_profile"
    wd = weekdays(DAYS)
    drift = 1 + 0.2 * np.arange(DAYS) / DAYS * np.where(wd == 0, 1, np.where(wd == 4, -1, 0))
    y = poisson(day_rates(200.0 * drift), np.random.default_rng(0))
    auto = AutoForecaster([RecentWeeksAverage(), LevelProfileForecaster()], folds=3).fit(y)
    assert auto.scores_["recent_average"] < auto.scores_["level_profile"]
    lead, error = paired_lead(auto, "level_profile", "recent_average")
    assert 0 < lead < SELECTION_Z * error
    assert auto.selected_.name == "level_profile"


def test_a_clearly_better_model_is_selected_over_the_preferred_one() -> None:
    """A stationary 50 a day: a level-profile model that learns from one week only (its weekday effects and
    profile are one noisy day each) against the recent average over six weeks. The recent average leads by more
    than `SELECTION_Z` standard errors (seen: about 6), and is selected."""
    y = poisson(day_rates(50.0), np.random.default_rng(0))
    bad = LevelProfileForecaster(profile_weeks=1, window_weeks=1)
    auto = AutoForecaster([RecentWeeksAverage(), bad], folds=3).fit(y)
    lead, error = paired_lead(auto, "level_profile", "recent_average")
    assert lead > SELECTION_Z * error
    assert auto.selected_.name == "recent_average"


# -- eves, bridge days and families ----------------------------------------------------------------------------

GB = SpecialCalendar(country="GB", subdivision="ENG")


def test_christmas_eve_is_an_eve_and_a_friday_after_a_thursday_holiday_a_bridge() -> None:
    """England: Christmas Day 2026 is a Friday, so Thursday 24 December is its eve. New Year's Day 2026 is a
    Thursday, so Friday 2 January sits between it and the weekend: a bridge day. An ordinary Wednesday is
    neither, and holidays themselves are not listed."""
    dates = [date(2026, 12, 23), date(2026, 12, 24), date(2026, 12, 25), date(2026, 1, 1), date(2026, 1, 2)]
    around = GB.around_holidays(dates)
    assert around == {date(2026, 12, 24): "eve:christmas day", date(2026, 1, 2): "bridge"}


def test_bridge_days_with_a_friday_saturday_weekend() -> None:
    """Israel's weekend is Friday and Saturday (from the holidays package). The bridge days of 2025-2026 are
    exactly the working days that follow a holiday and precede the weekend, found here from the package's own
    holidays: a Thursday after a Wednesday holiday, as Thursday 9 April 2026 after the seventh day of Pesach.
    (A working day before a holiday is its eve, even when the weekend is on its other side.)"""
    import holidays

    package = holidays.country_holidays("IL", years=[2025, 2026])
    weekend = set(package.weekend)
    assert weekend == {4, 5}
    dates = [date(2025, 1, 1) + timedelta(days=i) for i in range(730)]
    expected = [
        d
        for d in dates
        if d not in package
        and d.weekday() not in weekend
        and (d - timedelta(days=1)) in package
        and (d + timedelta(days=1)).weekday() in weekend
        and (d + timedelta(days=1)) not in package
    ]
    assert date(2026, 4, 9) in expected
    around = SpecialCalendar(country="IL").around_holidays(dates)
    assert {d for d, family in around.items() if family == "bridge"} == set(expected)
    # A Sunday (a working day there) before a holiday is its eve, not a bridge.
    assert around[date(2025, 6, 1)] == "eve:shavuot"


def test_families_of_holidays_eves_bridges_and_listed_days() -> None:
    """England, with three listed days: 10 March 2026 'Stocktake' (no multiplier: learned), 11 March
    'Letters' (x1.5: known) and Christmas Day 2026 at x0.3. An observed holiday shares its holiday's family (the
    package's '(observed)' is dropped); a day with a listed multiplier, holiday or not, and a normal day have
    none."""
    assert holiday_family("Boxing Day (observed)") == "boxing day"
    assert holiday_family("  Christmas   Day (in lieu)") == "christmas day"
    calendar = SpecialCalendar(
        country="GB",
        subdivision="ENG",
        days=(
            SpecialDay(date=date(2026, 3, 10), name="Stocktake"),
            SpecialDay(date=date(2026, 3, 11), name="Letters", volume_multiplier=1.5),
            SpecialDay(date=date(2026, 12, 25), name="Christmas plan", volume_multiplier=0.3),
        ),
    ).for_work_type(None)
    expected = {
        date(2025, 12, 25): "holiday:christmas day",
        date(2021, 12, 27): "holiday:christmas day",  # Christmas Day (observed)
        date(2026, 12, 28): "holiday:boxing day",  # Boxing Day (observed)
        date(2026, 1, 1): "holiday:new year's day",
        date(2025, 12, 24): "eve:christmas day",
        date(2026, 1, 2): "bridge",
        date(2026, 3, 10): "listed:stocktake",
        date(2026, 3, 11): None,  # listed with a multiplier: nothing to learn
        date(2026, 12, 25): None,  # a holiday whose multiplier is listed
        date(2026, 3, 12): None,  # a normal Thursday
    }
    assert dict(zip(expected, calendar.families(list(expected)), strict=True)) == expected


# -- DayAdjustment per family -----------------------------------------------------------------------------------

HOLIDAY_MULTIPLIER = {date(2025, 12, 25): 0.2, date(2026, 1, 1): 0.7}
#: Every other holiday of the history.
OTHER_HOLIDAYS = 0.5
#: Eves on a Sunday (before a Monday bank holiday), and on a working day.
SUNDAY_EVES, WORKING_DAY_EVES = 0.9, 0.8


def test_day_adjustment_learns_each_family_and_falls_back_to_its_kind() -> None:
    """Two years (Monday 6 January 2025 - Thursday 24 December 2026) of 20,000 contacts a normal day x weekday
    effect, Poisson (about 1% on a day's total): Christmas Day 2025 at 0.2, New Year's Day 2026 at 0.7, every
    other English holiday at 0.5, eves at 0.9 on a Sunday (8 of them) and 0.8 otherwise (5), the one bridge day
    (2 January 2026) at 1. Fitted on it:

    - Christmas Day and New Year's Day of the next year get their own family's 0.2 and 0.7;
    - a holiday never seen (the Coronation of Charles III, 8 May 2023) gets the median of the holidays, 0.5, and
      its eve, never seen either, the median of the eves, 0.9; neither gets the median of every special day
      (0.8), nor 1.
    The medians are computed here from the multipliers put into the series. Tolerance 0.03: the Poisson noise
    of a day's ratio to the mean of its normal neighbours (about 1.5%), twice."""
    first, last = date(2025, 1, 6), date(2026, 12, 24)
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    public = GB.public_holidays(dates)
    around = GB.around_holidays(dates)

    def put(day: date) -> float:
        if day in public:
            return HOLIDAY_MULTIPLIER.get(day, OTHER_HOLIDAYS)
        if around.get(day, "").startswith("eve:"):
            return SUNDAY_EVES if day.weekday() == 6 else WORKING_DAY_EVES
        return 1.0

    multiplier = np.array([put(d) for d in dates])
    y = poisson(day_rates(20000.0 * multiplier, days=len(dates), first=first), np.random.default_rng(11), first)
    series_calendar = GB.for_work_type(None)
    adjustment = DayAdjustment(series_calendar).fit(y)

    families = series_calendar.families(dates)
    unseen_holiday, unseen_eve = date(2023, 5, 8), date(2023, 5, 7)
    assert series_calendar.families([unseen_holiday, unseen_eve]) == [
        "holiday:coronation of charles iii",
        "eve:coronation of charles iii",
    ]
    assert not {"holiday:coronation of charles iii", "eve:coronation of charles iii"} & set(families)
    special = [k for k, f in enumerate(families) if f is not None]
    holiday_median = float(np.median([multiplier[k] for k in special if str(families[k]).startswith("holiday:")]))
    eve_median = float(np.median([multiplier[k] for k in special if str(families[k]).startswith("eve:")]))
    overall_median = float(np.median(multiplier[special]))
    # What the construction gives: three different medians, so that each fallback is told from the others.
    assert (holiday_median, eve_median, overall_median) == (OTHER_HOLIDAYS, SUNDAY_EVES, WORKING_DAY_EVES)

    christmas, new_year = date(2026, 12, 25), date(2027, 1, 1)
    learned = adjustment.multipliers([christmas, new_year, unseen_holiday, unseen_eve, date(2027, 1, 6)])
    np.testing.assert_allclose(learned, [0.2, 0.7, holiday_median, eve_median, 1.0], atol=0.03)


# -- the backtest's baseline ------------------------------------------------------------------------------------


def test_ratio_to_baseline_is_relative_to_the_same_hour_8_week_average() -> None:
    """One work type, eight weeks (3 November - 28 December 2025) of Poisson counts growing 5% a week, one
    origin (the last week), two inner folds. Each model's `ratio_to_baseline` is its WAPE over the WAPE of
    `same_hour_8w`, recomputed here from the returned forecasts; the baseline's own is 1. (With seven weeks
    before the origin, the 6-week recent average and the 8-week baseline are different models.)"""
    assert BASELINE == "same_hour_8w"
    first, last = date(2025, 11, 3), date(2025, 12, 28)
    index = hourly_grid(first, last, TZ)
    rng = np.random.default_rng(12)
    hour = np.arange(HOURS_PER_WEEK) % 24
    rate = rng.uniform(10, 40, HOURS_PER_WEEK) * ((hour >= 8) & (hour < 20))
    week = np.arange(len(index)) // HOURS_PER_WEEK
    counts = pd.DataFrame({"a": rng.poisson(rate[hour_of_week(index)] * 1.05**week).astype(float)}, index=index)
    hourly = HourlyHistory(
        counts=counts,
        timezone=TZ,
        source_interval_minutes=60,
        handle_sum_s=pd.DataFrame(0.0, index=range(HOURS_PER_WEEK), columns=["a"]),
        handle_n=pd.DataFrame(0.0, index=range(HOURS_PER_WEEK), columns=["a"]),
        bucket_counts=None,
        bucket_minutes=None,
    )
    result = backtest(hourly, None, [last - timedelta(days=6)], horizon_days=7, folds=2)
    metrics = result.metrics.set_index("model")
    wapes = {
        model: np.abs(rows["volume"] - rows["actual"]).sum() / rows["actual"].sum()
        for model, rows in result.forecasts.groupby("model")
    }
    assert metrics.loc[BASELINE, "ratio_to_baseline"] == 1.0
    assert wapes["recent_average"] != pytest.approx(wapes[BASELINE], rel=1e-6)
    for model, row in metrics.iterrows():
        assert row["ratio_to_baseline"] == pytest.approx(wapes[str(model)] / wapes[BASELINE], rel=1e-12)
    assert len(metrics) > 2


def test_a_work_type_that_started_recently_is_not_held_down_by_the_days_before_it_existed() -> None:
    """A work type with 16 weeks of history on the grid whose contacts only began 3 weeks ago (the weeks before
    are zero-filled, as the aggregation does for every work type of a centre): its forecast is the level of those
    3 weeks, within 15%, not dragged towards zero by the 13 weeks before it existed."""
    rng = np.random.default_rng(21)
    first = date(2026, 1, 5)
    index = hourly_grid(first, first + timedelta(weeks=16, days=-1), TZ)
    local = index.tz_localize(None)
    counts = rng.poisson(BAND_SHARES[local.hour] * 400.0).astype(float)
    counts[local < pd.Timestamp(first + timedelta(weeks=13))] = 0.0
    model = LevelProfileForecaster().fit(pd.Series(counts, index=index))
    forecast = model.predict(index[-1] + pd.Timedelta(hours=1), 7 * HOURS).to_numpy()
    assert forecast.sum() == pytest.approx(7 * 400.0, rel=0.15)


def test_a_data_gap_does_not_set_the_level_of_every_forecast_day() -> None:
    """16 weeks of a level that moves (a random walk of 8% a day, so the level is smoothed with a large weight),
    with a 3-day gap (no contacts recorded, no listed closure) 4 weeks before the end: the forecast's week total
    is within 25% of the last week's: the smoothed level dips and recovers, and the gap's huge residuals do not
    set the forecast."""
    rng = np.random.default_rng(22)
    first = date(2026, 1, 5)
    index = hourly_grid(first, first + timedelta(weeks=16, days=-1), TZ)
    local = index.tz_localize(None)
    level = 400.0 * np.exp(np.cumsum(rng.normal(0.0, 0.08, 16 * 7)))
    day = ((local.normalize() - pd.Timestamp(first)) // pd.Timedelta(days=1)).to_numpy()
    counts = rng.poisson(BAND_SHARES[local.hour] * level[day]).astype(float)
    gap = pd.Timestamp(first + timedelta(weeks=12))
    counts[(local >= gap) & (local < gap + pd.Timedelta(days=3))] = 0.0
    model = LevelProfileForecaster().fit(pd.Series(counts, index=index))
    forecast = model.predict(index[-1] + pd.Timedelta(hours=1), 7 * HOURS).to_numpy()
    assert forecast.sum() == pytest.approx(counts[-7 * HOURS :].sum(), rel=0.25)
