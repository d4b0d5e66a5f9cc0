"""The intraday reforecast (`forecasting.intraday`): a gamma-Poisson update of a day-level multiplier per work type.

Synthetic day: Monday 2 March 2026, Europe/London, hourly forecast for the whole day. The test centre's
`billing_phone` and `tech_email` are open on Mondays 08:00-20:00; `billing_phone` is forecast at 100 contacts an
hour while open and 0 otherwise, `tech_email` at 0 all day (a work type with no forecast volume).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from forecasting.intraday import DEFAULT_PRIOR_VARIANCE, day_multiplier_variance, reforecast
from models import Center, InputError
from tests.conftest import CENTER_DATA

TZ = "Europe/London"
DAY = pd.Timestamp("2026-03-02", tz=TZ)
HOURS = pd.date_range(DAY, periods=24, freq="h")
OPEN = (HOURS.hour >= 8) & (HOURS.hour < 20)


def forecast(phone: np.ndarray | None = None) -> pd.DataFrame:
    phone = np.where(OPEN, 100.0, 0.0) if phone is None else phone
    frames = []
    for work_type, volume in (("billing_phone", phone), ("tech_email", np.zeros(24))):
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": HOURS,
                    "work_type": work_type,
                    "volume": volume,
                    "volume_p10": volume * 0.8,
                    "volume_p50": volume,
                    "volume_p90": volume * 1.2,
                    "aht_s": 300.0,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["interval_start", "work_type"], ignore_index=True)


def actuals(phone_by_hour: dict[int, float], email_by_hour: dict[int, float] | None = None) -> pd.DataFrame:
    email_by_hour = email_by_hour or {}
    return pd.DataFrame(
        {
            "billing_phone": [phone_by_hour.get(h, 0.0) for h in range(24)],
            "tech_email": [email_by_hour.get(h, 0.0) for h in range(24)],
        },
        index=HOURS,
    )


def at(hour: int, minute: int = 0) -> pd.Timestamp:
    return DAY + pd.Timedelta(hours=hour, minutes=minute)


def row(result_multipliers: pd.DataFrame, work_type: str) -> pd.Series:
    return result_multipliers.set_index("work_type").loc[work_type]


def centre() -> Center:
    return Center.model_validate(copy.deepcopy(CENTER_DATA))


def test_no_evidence_leaves_the_forecast_unchanged() -> None:
    result = reforecast(forecast(), actuals({}), at(8), center=centre())
    phone = row(result.multipliers, "billing_phone")
    assert phone["multiplier"] == 1.0
    assert phone["forecast_so_far"] == 0.0
    rest = result.table[result.table["work_type"] == "billing_phone"]
    assert list(rest["interval_start"]) == list(HOURS[8:])
    assert rest["volume"].tolist() == [100.0] * 12 + [0.0] * 4


def test_strong_evidence_moves_the_multiplier_to_the_observed_ratio() -> None:
    seen = actuals({h: 150.0 for h in range(8, 12)})
    result = reforecast(forecast(), seen, at(12), prior_variance=DEFAULT_PRIOR_VARIANCE)
    phone = row(result.multipliers, "billing_phone")
    k = 1 / DEFAULT_PRIOR_VARIANCE  # 50 pseudo-contacts at ratio 1
    assert phone["forecast_so_far"] == 400.0
    assert phone["actual_so_far"] == 600.0
    assert phone["observed_ratio"] == 1.5
    assert phone["multiplier"] == pytest.approx((k + 600) / (k + 400))  # 1.444
    rest = result.table[result.table["work_type"] == "billing_phone"]
    assert rest["volume"].iloc[0] == pytest.approx(100 * (k + 600) / (k + 400))
    assert phone["rest_forecast"] == 800.0
    # A vague prior: the ratio itself.
    vague = row(reforecast(forecast(), seen, at(12), prior_variance=10.0).multipliers, "billing_phone")
    assert vague["multiplier"] == pytest.approx((0.1 + 600) / (0.1 + 400))
    assert abs(vague["multiplier"] - 1.5) < 0.001


def test_more_evidence_moves_the_multiplier_further() -> None:
    early = row(reforecast(forecast(), actuals({8: 130.0}), at(9)).multipliers, "billing_phone")
    later = row(reforecast(forecast(), actuals({h: 130.0 for h in range(8, 14)}), at(14)).multipliers, "billing_phone")
    assert 1.0 < early["multiplier"] < later["multiplier"] < 1.3
    assert later["multiplier_p90"] - later["multiplier_p10"] < early["multiplier_p90"] - early["multiplier_p10"]


def test_one_wild_interval_moves_it_little() -> None:
    calm = {h: 100.0 for h in range(8, 12)}
    result = reforecast(forecast(), actuals({**calm, 9: 5000.0}), at(12))
    phone = row(result.multipliers, "billing_phone")
    assert phone["actual_so_far"] == 5300.0
    assert phone["actual_used"] < 300.0 + 250.0  # the burst counts at most like a busy hour
    assert phone["multiplier"] < 1.25  # against (50 + 5300) / (50 + 400) = 11.9 uncapped
    assert any("unusually busy" in note for note in result.notes)


def test_the_band_is_ordered_and_holds_the_mean() -> None:
    result = reforecast(forecast(), actuals({h: 120.0 for h in range(8, 11)}), at(11), center=centre())
    rest = result.table[(result.table["work_type"] == "billing_phone") & (result.table["volume"] > 0)]
    assert len(rest) == 9
    assert (rest["volume_p10"] <= rest["volume_p50"]).all()
    assert (rest["volume_p50"] <= rest["volume_p90"]).all()
    assert (rest["volume_p10"] < rest["volume"]).all() and (rest["volume"] < rest["volume_p90"]).all()
    phone = row(result.multipliers, "billing_phone")
    assert phone["rest_p10"] < phone["rest_volume"] < phone["rest_p90"]
    assert phone["rest_volume"] == pytest.approx(rest["volume"].sum())


def test_the_rest_of_the_day_band_is_the_gamma_poisson_predictive() -> None:
    result = reforecast(forecast(), actuals({h: 90.0 for h in range(8, 12)}), at(12), prior_variance=0.05)
    phone = row(result.multipliers, "billing_phone")
    shape, rate = 20 + 360, 20 + 400  # Gamma(20, 20) prior, 360 contacts against 400 forecast
    assert (phone["shape"], phone["rate"]) == (shape, rate)
    assert phone["rest_volume"] == pytest.approx(800 * shape / rate)
    # No interval dispersion: the rest of the day's total is negative binomial(n = shape, p = rate / (rate + F)).
    for column, q in (("rest_p10", 0.1), ("rest_p50", 0.5), ("rest_p90", 0.9)):
        assert phone[column] == stats.nbinom.ppf(q, shape, rate / (rate + 800))
    wider = row(
        reforecast(
            forecast(), actuals({h: 90.0 for h in range(8, 12)}), at(12), prior_variance=0.05, interval_dispersion=0.1
        ).multipliers,
        "billing_phone",
    )
    assert wider["rest_p10"] < phone["rest_p10"] and wider["rest_p90"] > phone["rest_p90"]


def test_closed_hours_stay_zero() -> None:
    # Volume forecast at night (a forecast made elsewhere): realtime work is dropped while closed.
    night = np.where(OPEN, 100.0, 7.0)
    result = reforecast(forecast(night), actuals({h: 150.0 for h in range(8, 12)}), at(12), center=centre())
    table = result.table.set_index(["interval_start", "work_type"])
    for hour in range(20, 24):
        assert (
            table.loc[(HOURS[hour], "billing_phone")][["volume", "volume_p10", "volume_p50", "volume_p90"]]
            .eq(0.0)
            .all()
        )
    assert table.loc[(HOURS[12], "billing_phone"), "volume"] > 100.0
    assert any("outside opening hours" in note for note in result.notes)
    phone = row(result.multipliers, "billing_phone")
    assert phone["rest_volume"] == pytest.approx(result.table.query("work_type == 'billing_phone'")["volume"].sum())
    assert phone["rest_forecast"] == 8 * 100.0 + 4 * 7.0  # the day-ahead figure, before opening hours


def test_a_work_type_with_no_forecast_volume_keeps_its_forecast() -> None:
    result = reforecast(forecast(), actuals({}, {h: 30.0 for h in range(8, 12)}), at(12), center=centre())
    email = row(result.multipliers, "tech_email")
    assert email["multiplier"] == 1.0
    assert email["actual_so_far"] == 120.0
    assert np.isnan(email["observed_ratio"])
    rest = result.table[result.table["work_type"] == "tech_email"]
    assert len(rest) == 12 and (rest[["volume", "volume_p10", "volume_p50", "volume_p90"]] == 0.0).all().all()
    assert any(note.startswith("tech_email: 120 contacts so far against no forecast") for note in result.notes)


def test_the_interval_in_progress_belongs_to_the_rest_of_the_day() -> None:
    result = reforecast(forecast(), actuals({8: 150.0, 9: 150.0, 10: 75.0}), at(10, 30))
    phone = row(result.multipliers, "billing_phone")
    assert phone["forecast_so_far"] == 200.0 and phone["actual_so_far"] == 300.0
    assert result.table["interval_start"].min() == HOURS[10]


def test_actuals_at_a_finer_resolution_are_summed_into_the_forecast_intervals() -> None:
    quarters = pd.date_range(HOURS[8], HOURS[10], freq="15min", inclusive="left")
    fine = pd.DataFrame({"billing_phone": 37.5}, index=quarters)
    phone = row(reforecast(forecast(), fine, at(10)).multipliers, "billing_phone")
    assert phone["actual_so_far"] == 300.0 and phone["forecast_so_far"] == 200.0


def test_a_moment_without_time_zone_is_refused() -> None:
    with pytest.raises(InputError, match="no time zone"):
        reforecast(forecast(), actuals({}), pd.Timestamp("2026-03-02 12:00"))


def test_a_moment_on_a_day_the_forecast_does_not_hold_is_refused() -> None:
    with pytest.raises(InputError, match="no interval on 2026-03-03"):
        reforecast(forecast(), actuals({}), at(12) + pd.Timedelta(days=1))


def test_day_multiplier_variance_by_the_method_of_moments() -> None:
    f = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    a = np.array([900.0, 1100.0, 1000.0, 1200.0])
    ratio = a / f
    assert day_multiplier_variance(f, a) == pytest.approx(np.var(ratio, ddof=1) - 1 / 1000)
    assert day_multiplier_variance(f, f) == 1e-4  # no spread beyond Poisson: the floor
    assert day_multiplier_variance(np.array([0.0, 100.0]), np.array([5.0, 90.0])) == DEFAULT_PRIOR_VARIANCE


@settings(max_examples=60, deadline=None)
@given(
    expected=st.lists(st.floats(1.0, 500.0), min_size=1, max_size=8),
    factor=st.floats(0.2, 3.0),
    variance=st.floats(1e-3, 5.0),
)
def test_the_multiplier_lies_between_one_and_the_observed_ratio(
    expected: list[float], factor: float, variance: float
) -> None:
    n = len(expected)
    phone = np.where(OPEN, 100.0, 0.0)
    phone[8 : 8 + n] = expected
    seen = actuals({8 + k: float(np.round(v * factor)) for k, v in enumerate(expected)})
    phone_row = row(reforecast(forecast(phone), seen, at(8 + n), prior_variance=variance).multipliers, "billing_phone")
    ratio, multiplier = phone_row["observed_ratio"], phone_row["multiplier"]
    assert min(1.0, ratio) - 1e-12 <= multiplier <= max(1.0, ratio) + 1e-12
