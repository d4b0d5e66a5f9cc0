"""Forecasting on real data: the 1999 arrivals of a bank call centre in Israel, 6-minute counts
(../shared/data/anonbank/calls_1999_6min.csv, see ../shared/data/README.md). Skipped when the data are absent.

Backtest from Friday 5 and Friday 12 November 1999 (no Israeli public holiday in either week), 7-day horizon,
two inner folds, with Israel's public holidays as special days. When this test was written the selected model
(the GLM or the recent average) had WAPE 0.193 against the seasonal naive's 0.235, and its p10-p90 band held
87% of the 336 hourly actuals. The bounds below are what a working forecaster must do on any reasonable
configuration: beat the naive baseline, and cover between 65% and 95% (a wide range, as two weeks of hours
are a small and autocorrelated sample). Runs in about 5 s.
"""

from __future__ import annotations

from datetime import date

import pytest

from forecasting import SpecialCalendar, aggregate, backtest
from forecasting.backtest import SELECTED
from models import read_history
from tests.shared_data import shared_data


def test_selected_model_beats_the_naive_on_the_1999_bank_calls() -> None:
    history = read_history(
        shared_data("anonbank", "calls_1999_6min.csv"),
        timezone="Asia/Jerusalem",
        rename={"volume": "calls"},
        work_type="all",
    )
    hourly = aggregate(history, "Asia/Jerusalem")
    assert hourly.source_interval_minutes == 6
    assert hourly.counts["all"].sum() == pytest.approx(history.frame["volume"].sum())
    result = backtest(
        hourly, SpecialCalendar(country="IL"), [date(1999, 11, 5), date(1999, 11, 12)], horizon_days=7, folds=2
    )
    metrics = result.metrics.set_index("model")
    assert metrics.loc[SELECTED, "wape"] < metrics.loc["seasonal_naive", "wape"]
    assert 0.65 <= metrics.loc[SELECTED, "coverage_p10_p90"] <= 0.95
    # A sanity floor: no forecast can beat Poisson noise, and this one should not be absurdly far from it.
    assert metrics.loc[SELECTED, "poisson_floor"] < metrics.loc[SELECTED, "wape"] < 0.35
    assert metrics.loc[SELECTED, "actual_volume"] == pytest.approx(
        hourly.counts.loc["1999-11-05":"1999-11-18", "all"].sum()
    )
