"""Special days (`forecasting.calendar`) and how the forecasters treat them.

Public holidays come from the `holidays` package (England: Christmas Day 25 December, Boxing Day 26 December,
New Year's Day 1 January, Good Friday 3 April 2026, Easter Monday 6 April 2026). The series are synthetic: one
hour-of-week pattern repeated exactly on Europe/London's real hours, so that "normal" is known exactly and any
effect of a special day can be measured against it.

The contract under test: a forecaster forecasts normal days; the centre's calendar (`DayAdjustment`) applies
closed days and multipliers afterwards, the same way whichever model it follows (`Adjusted` below runs a model
the way `AutoForecaster` and the pipeline do).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    CANDIDATES,
    Combination,
    DayAdjustment,
    GLMForecaster,
    LevelProfileForecaster,
    MSTLForecaster,
    RecentWeeksAverage,
    SameHourAverage,
    SeriesCalendar,
    SpecialCalendar,
)
from forecasting.aggregate import hour_of_week
from forecasting.forecasters import Forecaster, special_day_ratios
from forecasting.series import DayHours, hourly_grid, hourly_index
from models import InputError, SpecialDay

TZ = "Europe/London"
START = pd.Timestamp("2026-03-23 00:00", tz=TZ)
GOOD_FRIDAY, EASTER_MONDAY = date(2026, 4, 3), date(2026, 4, 6)
PAST_HOLIDAYS = [date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1)]

SeriesModel = Callable[[SeriesCalendar | None], Forecaster]
#: Every forecaster the selection may choose (the calendar adjusts each of them after it).
ALL = list(CANDIDATES)
#: The models that keep special days out of what they learn (the seasonal naive baseline does not, by design).
AWARE: dict[str, SeriesModel] = {
    "recent_average": lambda c: RecentWeeksAverage(calendar=c),
    "glm": lambda c: GLMForecaster(calendar=c),
    "mstl": lambda c: MSTLForecaster(calendar=c),
    "combination": lambda c: Combination(calendar=c),
    "same_hour_8w": lambda c: SameHourAverage(calendar=c),
    "level_profile": lambda c: LevelProfileForecaster(calendar=c),
}
#: Tolerance (relative, on a day's total) of the exact-pattern checks: float rounding for all but MSTL, whose
#: STL smoothing leaves about 1% on this abrupt pattern (see test_forecasting_contract.PERFECT_TOLERANCE).
DAY_TOLERANCE = {
    "seasonal_naive": 1e-9,
    "recent_average": 1e-9,
    "same_hour_8w": 1e-9,
    "glm": 1e-9,
    "level_profile": 1e-9,
    "combination": 1e-9,
    "mstl": 0.03,
}


class Adjusted:
    """A model followed by the series' calendar, as `AutoForecaster` runs its candidates."""

    def __init__(self, model: Forecaster, calendar: SeriesCalendar | None) -> None:
        self.model = model
        self.adjustment = DayAdjustment(calendar)

    def fit(self, y: pd.Series) -> Adjusted:
        self.model.fit(y)
        self.adjustment.fit(y)
        return self

    def predict(self, start: pd.Timestamp, periods: int) -> pd.Series:
        return self.adjustment.apply(self.model.predict(start, periods))


def adjusted(name: str, calendar: SeriesCalendar | None) -> Adjusted:
    return Adjusted(CANDIDATES[name](calendar), calendar)


def weekly_pattern() -> np.ndarray:
    hour = np.arange(168) % 24
    return np.round(np.random.default_rng(0).uniform(5.0, 60.0, 168)) * ((hour >= 7) & (hour < 22))


PATTERN = weekly_pattern()


def series(first: date, last: date, multiplier: dict[date, float] | None = None) -> pd.Series:
    """The pattern on the real hours of `first`..`last`, times `multiplier` on the dates it lists."""
    index = hourly_grid(first, last, TZ)
    values = PATTERN[hour_of_week(index)]
    local_dates = np.array(index.tz_localize(None).date)
    for day, factor in (multiplier or {}).items():
        values = np.where(local_dates == day, values * factor, values)
    return pd.Series(values, index=index)


def forecast_by_day(model: Forecaster | Adjusted, days: int) -> tuple[pd.Series, pd.Series]:
    """(forecast total, pattern total) of each local date of `days` days from START."""
    index = hourly_index(START, 24 * days - 1)  # 23-hour 29 March
    forecast = model.predict(START, len(index))
    local = pd.DatetimeIndex(forecast.index).tz_localize(None).date
    expected = pd.Series(PATTERN[hour_of_week(pd.DatetimeIndex(forecast.index))], index=forecast.index)
    return forecast.groupby(local).sum(), expected.groupby(local).sum()


# -- the calendar itself ----------------------------------------------------------------------------------------


def test_public_holidays_by_country_code() -> None:
    calendar = SpecialCalendar(country="gb", subdivision="ENG")  # the code is not case-sensitive
    dates = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26), GOOD_FRIDAY, date(2026, 4, 4)]
    holidays = calendar.public_holidays(dates)
    assert holidays[date(2025, 12, 25)] == "Christmas Day"
    assert holidays[GOOD_FRIDAY] == "Good Friday"
    view = calendar.for_work_type("phone")
    # Christmas Eve is the eve of a public holiday: special too, its effect learned as an eve's.
    np.testing.assert_array_equal(view.is_special(dates), [True, True, True, True, False])
    # A public holiday's effect is not known in advance: it is learned (NaN here).
    np.testing.assert_array_equal(np.isnan(view.known_multiplier(dates)), [True, True, True, True, False])
    assert view.names(dates)[date(2025, 12, 24)] == "eve of christmas day"
    assert view.names(dates)[date(2025, 12, 26)] == "Boxing Day"
    # No country: no public holidays.
    assert not SpecialCalendar().for_work_type(None).is_special(dates).any()


@pytest.mark.parametrize("country, subdivision", [("XX", None), ("GB", "Narnia")])
def test_unknown_country_is_an_input_error(country: str, subdivision: str | None) -> None:
    with pytest.raises(InputError, match="holidays package knows") as caught:
        SpecialCalendar(country=country, subdivision=subdivision)
    assert caught.value.problems[0].fix


def test_listed_days_by_work_type_and_closed_days() -> None:
    """A listed multiplier applies to its work types only (all of them when none are named, and always to the
    total); a closed day is zero for realtime work and learned (NaN) for deferred work."""
    calendar = SpecialCalendar(
        days=(
            SpecialDay(date=date(2026, 3, 25), name="Letters", volume_multiplier=1.4, work_types=["billing"]),
            SpecialDay(date=date(2026, 3, 26), name="Outage", volume_multiplier=0.5),
            SpecialDay(date=date(2026, 3, 27), name="Office party", closed=True),
        ),
        realtime_work_types=frozenset({"billing", "tech"}),
    )
    dates = [date(2026, 3, 24), date(2026, 3, 25), date(2026, 3, 26), date(2026, 3, 27)]
    np.testing.assert_array_equal(calendar.for_work_type("billing").known_multiplier(dates), [1.0, 1.4, 0.5, 0.0])
    np.testing.assert_array_equal(calendar.for_work_type("tech").known_multiplier(dates), [1.0, 1.0, 0.5, 0.0])
    email = calendar.for_work_type("email").known_multiplier(dates)
    np.testing.assert_array_equal(email[:3], [1.0, 1.0, 0.5])
    assert np.isnan(email[3])
    np.testing.assert_array_equal(calendar.for_work_type(None).known_multiplier(dates)[:3], [1.0, 1.4, 0.5])
    np.testing.assert_array_equal(calendar.for_work_type("tech").is_special(dates), [False, False, True, True])


def test_special_day_ratios_on_hand_built_day_totals() -> None:
    """Five weeks of days with total 100, except day 14 (a Monday) at 40 and day 23 (a Wednesday) at 70, both
    special. Each is compared with the mean of the same weekday in the normal days within three weeks:
    40 / 100 and 70 / 100; the median of the two ratios is 0.55. Without special days: none."""
    values = np.full((35, 24), 100 / 24)
    values[14] *= 0.4
    values[23] *= 0.7
    history = DayHours(date(2026, 1, 5), values, TZ)  # 5 January 2026 is a Monday
    special = np.zeros(35, dtype=bool)
    special[[14, 23]] = True
    ratios = special_day_ratios(history, special)
    assert ratios == pytest.approx({14: 0.4, 23: 0.7})
    assert float(np.median(list(ratios.values()))) == pytest.approx(0.55)
    assert special_day_ratios(history, np.zeros(35, dtype=bool)) == {}
    # Learning from day 14 only (day 23's effect being listed): 0.4; day 23 is still not a "normal" day.
    only_14 = np.zeros(35, dtype=bool)
    only_14[14] = True
    assert special_day_ratios(history, special, learn_from=only_14) == pytest.approx({14: 0.4})


# -- listed days in the future ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_listed_multiplier_is_applied_to_a_future_day(name: str) -> None:
    """Wednesday 25 March 2026 is listed at 1.4 for 'billing': the forecast of that day is 1.4 x the normal
    Wednesday; every other day is the pattern; a work type the day does not list is not affected."""
    calendar = SpecialCalendar(
        days=(SpecialDay(date=date(2026, 3, 25), name="Letters", volume_multiplier=1.4, work_types=["billing"]),)
    )
    y = series(date(2025, 12, 29), date(2026, 3, 22))
    forecast, normal = forecast_by_day(adjusted(name, calendar.for_work_type("billing")).fit(y), 7)
    ratio = forecast / normal
    assert ratio[date(2026, 3, 25)] == pytest.approx(1.4, rel=DAY_TOLERANCE[name])
    np.testing.assert_allclose(ratio.drop(date(2026, 3, 25)), 1.0, rtol=DAY_TOLERANCE[name])
    other, _ = forecast_by_day(adjusted(name, calendar.for_work_type("email")).fit(y), 7)
    assert other[date(2026, 3, 25)] == pytest.approx(normal[date(2026, 3, 25)], rel=DAY_TOLERANCE[name])


@pytest.mark.parametrize("name", ALL)
def test_closed_day_is_zero_for_realtime_work(name: str) -> None:
    calendar = SpecialCalendar(
        days=(SpecialDay(date=date(2026, 3, 24), name="Closed", closed=True, volume_multiplier=0.5),),
        realtime_work_types=frozenset({"phone"}),
    )
    y = series(date(2025, 12, 29), date(2026, 3, 22))
    forecast, normal = forecast_by_day(adjusted(name, calendar.for_work_type("phone")).fit(y), 3)
    assert forecast[date(2026, 3, 24)] == 0.0  # closed wins over the listed multiplier
    assert forecast[date(2026, 3, 25)] == pytest.approx(normal[date(2026, 3, 25)], rel=DAY_TOLERANCE[name])


@pytest.mark.parametrize("name", ALL)
def test_a_model_alone_forecasts_normal_days(name: str) -> None:
    """The contract that keeps multipliers from being applied twice: given a calendar with a closed day, a
    listed multiplier and a public holiday (Good Friday) in the forecast, the model itself forecasts every day at
    its normal level; only the calendar adjustment after it changes those days."""
    calendar = SpecialCalendar(
        country="GB",
        subdivision="ENG",
        days=(
            SpecialDay(date=date(2026, 3, 24), name="Closed", closed=True),
            SpecialDay(date=date(2026, 3, 25), name="Eve", volume_multiplier=0.6),
        ),
        realtime_work_types=frozenset({"phone"}),
    )
    y = series(date(2025, 11, 24), date(2026, 3, 22), dict.fromkeys(PAST_HOLIDAYS, 0.5))
    forecast, normal = forecast_by_day(CANDIDATES[name](calendar.for_work_type("phone")).fit(y), 14)
    np.testing.assert_allclose(forecast.to_numpy(), normal.to_numpy(), rtol=DAY_TOLERANCE[name])


# -- special days in the history --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(AWARE))
def test_a_spike_on_a_listed_day_does_not_distort_normal_days(name: str) -> None:
    """Wednesday 4 March 2026 (listed, effect unknown) had 10x its normal volume. Fitted with the calendar,
    every forecast day is the pattern (within DAY_TOLERANCE); fitted without it, the same model puts the spike
    into the Wednesday profile (the check that the spike is big enough to matter: >= 5% off)."""
    y = series(date(2025, 12, 29), date(2026, 3, 22), {date(2026, 3, 4): 10.0})
    calendar = SpecialCalendar(days=(SpecialDay(date=date(2026, 3, 4), name="Outage elsewhere"),))
    view = calendar.for_work_type("phone")
    forecast, normal = forecast_by_day(Adjusted(AWARE[name](view), view).fit(y), 14)
    np.testing.assert_allclose(forecast.to_numpy(), normal.to_numpy(), rtol=DAY_TOLERANCE[name])
    blind, _ = forecast_by_day(AWARE[name](None).fit(y), 14)
    assert (blind / normal).max() > 1.05


@pytest.mark.parametrize("name", ALL)
def test_multiplier_learned_from_past_holidays_is_applied_to_future_holidays(name: str) -> None:
    """Christmas Day, Boxing Day and New Year's Day had half their normal volume; Good Friday and Easter Monday
    2026 are forecast at half the normal Friday and Monday, and every other day at the pattern."""
    y = series(date(2025, 11, 24), date(2026, 3, 22), dict.fromkeys(PAST_HOLIDAYS, 0.5))
    calendar = SpecialCalendar(country="GB", subdivision="ENG")
    forecast, normal = forecast_by_day(adjusted(name, calendar.for_work_type(None)).fit(y), 21)
    ratio = forecast / normal
    assert ratio[GOOD_FRIDAY] == pytest.approx(0.5, rel=DAY_TOLERANCE[name])
    assert ratio[EASTER_MONDAY] == pytest.approx(0.5, rel=DAY_TOLERANCE[name])
    np.testing.assert_allclose(ratio.drop([GOOD_FRIDAY, EASTER_MONDAY]), 1.0, rtol=DAY_TOLERANCE[name])


@pytest.mark.parametrize("name", ALL)
def test_listed_multipliers_do_not_leak_into_the_learned_one(name: str) -> None:
    """A past campaign day listed at 3x (and 3x it was) says nothing about public holidays: its effect is known,
    so it is not part of what is learned for days whose effect is unknown. The history (5 January - 22 March
    2026) holds no public holiday, so there is nothing to learn from: Good Friday is forecast at its normal
    level (multiplier 1), not at the campaign's 3x."""
    campaign = date(2026, 2, 4)
    y = series(date(2026, 1, 5), date(2026, 3, 22), {campaign: 3.0})
    calendar = SpecialCalendar(
        country="GB",
        subdivision="ENG",
        days=(SpecialDay(date=campaign, name="Campaign", volume_multiplier=3.0),),
    )
    forecast, normal = forecast_by_day(adjusted(name, calendar.for_work_type(None)).fit(y), 14)
    assert forecast[GOOD_FRIDAY] / normal[GOOD_FRIDAY] == pytest.approx(1.0, rel=DAY_TOLERANCE[name])
    np.testing.assert_allclose(forecast.to_numpy(), normal.to_numpy(), rtol=DAY_TOLERANCE[name])


@pytest.mark.parametrize("name", ALL)
def test_closed_days_in_the_history_do_not_leak_into_the_learned_multiplier(name: str) -> None:
    """The centre was closed on Christmas Day and Boxing Day (listed: realtime work is known to be zero then);
    New Year's Day, a public holiday of unknown effect, had half the normal volume. The learned multiplier is
    0.5, so Good Friday is forecast at half its normal level (counting the two closed days as learned
    evidence would make it the median of 0, 0, 0.5: a Good Friday with no calls at all)."""
    closed = [date(2025, 12, 25), date(2025, 12, 26)]
    y = series(date(2025, 11, 24), date(2026, 3, 22), {closed[0]: 0.0, closed[1]: 0.0, date(2026, 1, 1): 0.5})
    calendar = SpecialCalendar(
        country="GB",
        subdivision="ENG",
        days=tuple(SpecialDay(date=d, name="Closed", closed=True) for d in closed),
        realtime_work_types=frozenset({"phone"}),
    )
    forecast, normal = forecast_by_day(adjusted(name, calendar.for_work_type("phone")).fit(y), 14)
    assert forecast[GOOD_FRIDAY] / normal[GOOD_FRIDAY] == pytest.approx(0.5, rel=DAY_TOLERANCE[name])
