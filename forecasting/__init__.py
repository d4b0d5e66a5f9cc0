"""Forecasting: ticket volume per hour and work type with calibrated quantiles, AHT, special days, backtests,
and the intraday reforecast of the rest of a day from its contacts so far."""

from forecasting.adjust import DayAdjustment, apply_opening_hours
from forecasting.aggregate import HourlyHistory, aggregate
from forecasting.backtest import BacktestResult, backtest, last_weekly_origins
from forecasting.calendar import SeriesCalendar, SpecialCalendar
from forecasting.forecasters import (
    BASELINE,
    CANDIDATES,
    Combination,
    Forecaster,
    GLMForecaster,
    LevelProfileForecaster,
    MSTLForecaster,
    NotFittedError,
    RecentWeeksAverage,
    SameHourAverage,
    SeasonalNaive,
    default_candidates,
)
from forecasting.intraday import ReforecastResult, day_multiplier_variance, reforecast
from forecasting.pipeline import TOTAL, ForecastResult, ForecastSettings, forecast_centre
from forecasting.selection import AutoForecaster, NegativeBinomialBand, calibrated_band

__all__ = [
    "BASELINE",
    "CANDIDATES",
    "TOTAL",
    "AutoForecaster",
    "BacktestResult",
    "Combination",
    "DayAdjustment",
    "ForecastResult",
    "ForecastSettings",
    "Forecaster",
    "GLMForecaster",
    "HourlyHistory",
    "LevelProfileForecaster",
    "MSTLForecaster",
    "NegativeBinomialBand",
    "NotFittedError",
    "RecentWeeksAverage",
    "ReforecastResult",
    "SameHourAverage",
    "SeasonalNaive",
    "SeriesCalendar",
    "SpecialCalendar",
    "aggregate",
    "apply_opening_hours",
    "backtest",
    "day_multiplier_variance",
    "default_candidates",
    "forecast_centre",
    "last_weekly_origins",
    "reforecast",
    "calibrated_band",
]
