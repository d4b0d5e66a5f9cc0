"""Forecasters of one hourly series, behind one estimator contract.

``fit(y) -> self`` takes a zero-filled hourly series (tz-aware index on the real hourly grid);
``predict(start, periods) -> pd.Series`` gives the expected volume of each of `periods` real hours from `start`
(which must come after the history). `__init__` only stores settings; what is learned ends in ``_``; predicting
before fitting raises `NotFittedError`. Models work on the wall-clock view (`DayHours`: date x 24 hours), so
"the same hour last week" means the same wall-clock hour across DST changes.

Special days (`SeriesCalendar`): **a forecaster forecasts normal days.** The seasonal naive baseline ignores
the calendar, as a baseline should; the other models read it only to keep special days out of what they learn
about normal days. None of them applies a special day's multiplier, a closure or opening hours to its
forecast: the centre's calendar does that afterwards, in one place, whichever model is chosen
(`forecasting.adjust`), so that nothing is applied twice and no model is left out.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import ClassVar, Self

import numpy as np
import pandas as pd

from forecasting.calendar import SeriesCalendar, SpecialCalendar
from forecasting.series import HOURS, DayHours, hourly_index

__all__ = [
    "CANDIDATES",
    "Combination",
    "GLMForecaster",
    "default_candidates",
    "Forecaster",
    "MSTLForecaster",
    "NotFittedError",
    "BASELINE",
    "LevelProfileForecaster",
    "RecentWeeksAverage",
    "SameHourAverage",
    "SeasonalNaive",
    "fit_day_level",
    "smooth_level",
    "special_day_ratios",
]

#: STL evaluates its smoothers every 5th point and interpolates (as R's stl does by default): ~10x faster.
_STL_SPEED = {"seasonal_jump": 5, "trend_jump": 5, "low_pass_jump": 5}
#: Weeks around a past special day whose same weekday gives its "normal" level.
SPECIAL_DAY_NEIGHBOUR_WEEKS = 3


class NotFittedError(RuntimeError):
    """A forecaster was asked to predict before `fit`."""


class Forecaster(ABC):
    """Base of every forecaster: the contract and the mapping between real hours and wall-clock slots."""

    name: ClassVar[str]

    def __init__(self, calendar: SeriesCalendar | None = None) -> None:
        self.calendar = calendar

    def fit(self, y: pd.Series) -> Self:
        if len(y) == 0:
            raise ValueError("cannot fit on an empty series")
        if np.any(~np.isfinite(y.to_numpy(dtype=float))) or (y.to_numpy(dtype=float) < 0).any():
            raise ValueError("the series must be finite and non-negative")
        self.history_ = DayHours.from_series(y)
        self._fit(self.history_)
        return self

    def predict(self, start: pd.Timestamp, periods: int) -> pd.Series:
        if not hasattr(self, "history_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(history) first")
        if start.minute or start.second or start.microsecond or start.nanosecond:
            raise ValueError(f"predictions start on the hour, not at {start}")
        index = hourly_index(start, periods)
        first = self.history_.end + timedelta(days=1)
        if index[0].tz_convert(self.history_.timezone).date() < first:
            raise ValueError(f"predictions start after the history, on {first} or later (asked for {index[0]})")
        last = index[-1].tz_convert(self.history_.timezone).date()
        dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        days = DayHours(first, np.maximum(self._predict_days(dates), 0.0), self.history_.timezone)
        return pd.Series(days.lookup(index), index=index, name=self.name)

    @abstractmethod
    def _fit(self, history: DayHours) -> None: ...

    @abstractmethod
    def _predict_days(self, dates: list[date]) -> np.ndarray:
        """Expected values, shape ``(len(dates), 24)``, for consecutive dates right after the history."""

    # -- special days, shared by the models that handle them ----------------------------------------------------

    def _special(self, dates: list[date]) -> np.ndarray:
        """Special days: kept out of what is learned about normal days."""
        if self.calendar is None:
            return np.zeros(len(dates), dtype=bool)
        return self.calendar.is_special(dates)


def special_day_ratios(
    history: DayHours, special: np.ndarray, learn_from: np.ndarray | None = None
) -> dict[int, float]:
    """The volume of each past special day (each of `learn_from`, default every special day) relative to its
    normal level, the mean of the same weekday in the surrounding normal weeks, by day position. Days with no
    normal neighbour of their weekday are left out."""
    totals = history.values.sum(axis=1)
    weekdays = history.weekdays
    ratios = {}
    for d in (int(i) for i in np.flatnonzero(special if learn_from is None else learn_from)):
        window = np.arange(
            max(0, d - 7 * SPECIAL_DAY_NEIGHBOUR_WEEKS), min(history.days, d + 7 * SPECIAL_DAY_NEIGHBOUR_WEEKS + 1)
        )
        normal = window[(weekdays[window] == weekdays[d]) & ~special[window]]
        if normal.size and totals[normal].mean() > 0:
            ratios[d] = float(totals[d] / totals[normal].mean())
    return ratios


def _same_weekday_mean(history: DayHours, usable: np.ndarray, weekday: int, weeks: int) -> np.ndarray:
    rows = np.flatnonzero(usable & (history.weekdays == weekday))[-weeks:]
    if rows.size == 0:  # no usable day of this weekday: fall back to any
        rows = np.flatnonzero(history.weekdays == weekday)[-weeks:]
    return history.values[rows].mean(axis=0) if rows.size else np.zeros(HOURS)


class SeasonalNaive(Forecaster):
    """The same wall-clock hour one week earlier (repeated for longer horizons). The baseline."""

    name = "seasonal_naive"

    def __init__(self, calendar: SeriesCalendar | None = None) -> None:
        super().__init__(calendar=None)  # a baseline that knows nothing of special days

    def _fit(self, history: DayHours) -> None:
        self.last_week_ = history.values[-7:]
        self.last_week_start_ = history.end - timedelta(days=len(self.last_week_) - 1)

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        rows = [(d - self.last_week_start_).days % 7 for d in dates]
        if len(self.last_week_) < 7:
            rows = [min(r, len(self.last_week_) - 1) for r in rows]
        return self.last_week_[rows]


class RecentWeeksAverage(Forecaster):
    """The mean of the same wall-clock hour over the last `weeks` normal (non-special) days of that weekday."""

    name = "recent_average"

    def __init__(self, weeks: int = 6, calendar: SeriesCalendar | None = None) -> None:
        super().__init__(calendar)
        self.weeks = weeks

    def _fit(self, history: DayHours) -> None:
        special = self._special(history.dates)
        self.profile_ = np.stack([_same_weekday_mean(history, ~special, w, self.weeks) for w in range(7)])

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        return np.asarray(self.profile_[[d.weekday() for d in dates]], dtype=float)


class MSTLForecaster(Forecaster):
    """statsmodels MSTL (daily and weekly seasonal periods) on log1p counts of the last `window_weeks`, with the
    seasonal components carried forward and the deseasonalised series (trend + remainder) forecast by a
    damped-trend exponential smoothing model. Special days are replaced by their weekday's normal level before
    the decomposition."""

    name = "mstl"

    def __init__(self, window_weeks: int = 12, calendar: SeriesCalendar | None = None) -> None:
        super().__init__(calendar)
        self.window_weeks = window_weeks

    def _fit(self, history: DayHours) -> None:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        from statsmodels.tsa.seasonal import MSTL

        window = history.tail_days(7 * self.window_weeks)
        special = self._special(window.dates)
        values = window.values.copy()
        for d in np.flatnonzero(special):
            values[d] = _same_weekday_mean(window, ~special, int(window.weekdays[d]), 4)
        y = np.log1p(values.reshape(-1))
        self.fitted_days_ = window.days
        if window.days <= 14:  # MSTL needs more than two weekly cycles: the log-profile of the last week
            self.seasonal_ = y[-7 * HOURS :] - y[-7 * HOURS :].mean()
            self.level_forecaster_ = None
            self.level_ = float(y[-7 * HOURS :].mean())
            self.smearing_ = 1.0
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' convergence chatter; the fit is checked below
            result = MSTL(y, periods=(HOURS, 7 * HOURS), iterate=2, stl_kwargs=_STL_SPEED).fit()
            seasonal = np.asarray(result.seasonal).reshape(len(y), -1).sum(axis=1)
            deseasonalised = y - seasonal
            model = ExponentialSmoothing(deseasonalised, trend="add", damped_trend=True).fit()
        self.seasonal_ = seasonal[-7 * HOURS :]
        self.level_forecaster_ = model
        residual = deseasonalised - np.asarray(model.fittedvalues)
        self.smearing_ = float(np.mean(np.exp(residual)))  # Duan's smearing: the mean, not the median
        if not np.isfinite(self.smearing_):
            self.smearing_ = 1.0

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        steps = len(dates) * HOURS
        if self.level_forecaster_ is None:
            level = np.full(steps, self.level_)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # log(0) in the AIC of an exactly fitted (e.g. all-zero) series
                level = np.asarray(self.level_forecaster_.forecast(steps))
        seasonal = np.resize(self.seasonal_, steps)
        forecast = (np.expm1(level + seasonal) * self.smearing_).reshape(len(dates), HOURS)
        return np.asarray(np.maximum(forecast, 0.0), dtype=float)


class GLMForecaster(Forecaster):
    """A Poisson GLM with hour-of-week, trend and special-day terms, fitted on the last `window_weeks`:

        log E[y(day d, hour h)] = log share(weekday(d), h) + a(weekday(d)) + b * week(d) + c * special(d)
                                  + log multiplier(d)

    The special-day term and the listed multipliers (offsets) keep special days from biasing the weekday and
    trend terms; the forecast is of normal days (``special = 0``, ``multiplier = 1``): the centre's calendar
    adjusts it afterwards (`forecasting.adjust`).

    where ``share(w, .)`` sums to 1 over the day. Given the day totals, the hours of a day are multinomial with
    those shares, so the likelihood splits: the shares' maximum-likelihood estimate is the pooled intraday
    proportion of each weekday's normal days, and the day totals follow a small Poisson GLM (statsmodels) with
    weekday, trend and special-day terms and the listed multipliers as offsets. This is the exact MLE of the
    full hour-of-week model (with a trend constant within a day), at the cost of a 7-parameter fit.
    """

    name = "glm"

    def __init__(self, window_weeks: int = 12, trend: bool = True, calendar: SeriesCalendar | None = None) -> None:
        super().__init__(calendar)
        self.window_weeks = window_weeks
        self.trend = trend

    def _multipliers(self, dates: list[date]) -> np.ndarray:
        if self.calendar is None:
            return np.ones(len(dates))
        return self.calendar.known_multiplier(dates)

    def _design(self, weekdays: np.ndarray, day: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Weekday dummies, the trend, and one term per kind of special day of unknown effect in the window
        (`kinds`: each day's kind, "" on the others), so that holidays and their eves are not averaged."""
        columns = [np.equal.outer(weekdays, np.arange(7)).astype(float)]
        if self.use_trend_:
            columns.append(((day - self.trend_centre_) / 7.0)[:, None])
        columns += [(kinds == kind).astype(float)[:, None] for kind in self.special_kinds_]
        return np.hstack(columns)

    def _fit(self, history: DayHours) -> None:
        import statsmodels.api as sm

        window = history.tail_days(7 * self.window_weeks)
        dates = window.dates
        multiplier = self._multipliers(dates)
        special = self._special(dates)
        unknown_special = special & np.isnan(multiplier)
        families = self.calendar.families(dates) if self.calendar is not None else [None] * len(dates)
        kinds = np.array(
            [f.partition(":")[0] if f and u else "" for f, u in zip(families, unknown_special, strict=True)]
        )
        usable = (np.nan_to_num(multiplier, nan=1.0) > 0) & ~np.isnan(multiplier) | unknown_special
        weekdays = window.weekdays
        normal = usable & ~special
        shares = np.zeros((7, HOURS))
        for w in range(7):
            rows = normal & (weekdays == w)
            if not rows.any():
                rows = usable & (weekdays == w)
            pooled = window.values[rows].sum(axis=0)
            shares[w] = pooled / pooled.sum() if pooled.sum() > 0 else np.full(HOURS, 1.0 / HOURS)
        self.shares_ = shares
        self.window_start_ = window.start
        self.trend_centre_ = (window.days - 1) / 2.0
        self.use_trend_ = self.trend and window.days >= 21  # shorter windows cannot tell a trend from noise
        self.special_kinds_ = sorted(set(kinds[unknown_special]))
        totals = window.values.sum(axis=1)
        day = np.arange(window.days, dtype=float)
        present = np.array(
            [((weekdays == w) & usable).any() and totals[(weekdays == w) & usable].sum() > 0 for w in range(7)]
        )
        self.open_weekdays_ = present
        rows = usable & present[weekdays]
        if not rows.any():
            self.params_ = np.zeros(0)
            return
        X = self._design(weekdays, day, kinds)[rows]
        X = X[:, np.r_[present, np.ones(X.shape[1] - 7, dtype=bool)]]
        offset = np.log(np.where(np.isnan(multiplier) | (multiplier <= 0), 1.0, multiplier))[rows]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation on a rare special day is harmless: its term is capped
            result = sm.GLM(totals[rows], X, family=sm.families.Poisson(), offset=offset).fit(maxiter=100)
        self.params_ = np.asarray(result.params)

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        if self.params_.size == 0:
            return np.zeros((len(dates), HOURS))
        weekdays = np.array([d.weekday() for d in dates])
        day = np.array([(d - self.window_start_).days for d in dates], dtype=float)
        X = self._design(weekdays, day, np.full(len(dates), ""))  # normal days
        X = X[:, np.r_[self.open_weekdays_, np.ones(X.shape[1] - 7, dtype=bool)]]
        params = self.params_.copy()
        if self.use_trend_:  # never extrapolate a trend steeper than 20% a week
            k = int(self.open_weekdays_.sum())
            params[k] = np.clip(params[k], -np.log(1.2), np.log(1.2))
        totals = np.exp(np.clip(X @ params, -50, 50)) * self.open_weekdays_[weekdays]
        return np.asarray(totals[:, None] * self.shares_[weekdays], dtype=float)


class LevelProfileForecaster(Forecaster):
    """The day x hour matrix as a day level times an intraday profile, with a time-series model on the level:
    the decomposition of Shen & Huang (2008, "Interday forecasting and intraday updating of call center
    arrivals"), whose first factor carries most of the variation, and the day effect of the Poisson mixed models
    of Aldor-Noiman, Feigin & Mandelbaum (2009) and Ibrahim & L'Ecuyer (2013), which follows a correlated
    process from day to day rather than being independent noise::

        y(d, h) = T(d) * share(weekday(d), h)
        log(T(d) + 1/2) = s(weekday(d)) + level(d) + e(d),    level: a local level (exponential smoothing)

    `window_weeks` of normal days fit the weekday effects `s` and the smoothing weight, which is the one that
    minimises the squared log error of the day totals 1..`horizon_days` ahead (the horizon the forecast is for),
    alternating with the weekday effects. The forecast is the last level for every future day, plus the weekday
    effect and Duan's smearing. The spread of those multi-step errors, less their Poisson part (`day_variance_`),
    is the day-level part of the forecast's uncertainty (`forecasting.selection.calibrated_band`).

    The profile of each weekday pools its last `profile_weeks` normal days, each week weighted `profile_decay`
    times the one after it, so that a drifting shape is followed. A series with few contacts borrows strength
    from a `parent` (for a work type, the centre's total): its profile is shrunk towards the parent's by
    `parent_contacts` pseudo-contacts per weekday, so a sparse work type follows the total's intraday shape
    until its own counts say otherwise. The parent is cut at the history's end, never read beyond it."""

    name = "level_profile"

    def __init__(
        self,
        window_weeks: int = 16,
        profile_weeks: int = 12,
        profile_decay: float = 0.8,
        horizon_days: int = 7,
        parent: pd.Series | None = None,
        parent_contacts: float = 100.0,
        calendar: SeriesCalendar | None = None,
    ) -> None:
        super().__init__(calendar)
        self.window_weeks = window_weeks
        self.profile_weeks = profile_weeks
        self.profile_decay = profile_decay
        self.horizon_days = horizon_days
        self.parent = parent
        self.parent_contacts = parent_contacts

    def _fit(self, history: DayHours) -> None:
        # A series that started inside the window (a new work type) did not exist before its first contact:
        # those days are not days of zero demand, and would hold its level down.
        totals = history.values.sum(axis=1)
        first = int(np.argmax(totals > 0)) if totals.any() else 0
        started = DayHours(history.start + timedelta(days=first), history.values[first:], history.timezone)
        window = started.tail_days(7 * self.window_weeks)
        weekdays = window.weekdays
        totals = window.values.sum(axis=1)
        normal = ~self._special(window.dates)
        self.open_weekdays_ = np.array([totals[normal & (weekdays == w)].sum() > 0 for w in range(7)])
        y = np.where(normal & self.open_weekdays_[weekdays], np.log(totals + 0.5), np.nan)
        fit = fit_day_level(y, weekdays, self.open_weekdays_, self.horizon_days)
        self.weekday_effect_, self.level_, self.alpha_, self.smearing_, log_var = fit
        counted = np.isfinite(y)
        poisson = float(np.mean(1.0 / (totals[counted] + 0.5))) if counted.any() else 0.0
        self.day_variance_ = max(log_var - poisson, 0.0)  # the day factor's, Poisson noise taken out
        self.shares_ = self._profile(history, self._parent_profile(history))

    def _parent_profile(self, history: DayHours) -> np.ndarray | None:
        if self.parent is None or self.parent_contacts <= 0:
            return None
        parent = DayHours.from_series(self.parent)
        keep = (history.end - parent.start).days + 1
        if keep <= 0:
            return None
        cut = DayHours(parent.start, parent.values[:keep], parent.timezone)
        return self._profile(cut, None)

    def _profile(self, history: DayHours, prior: np.ndarray | None) -> np.ndarray:
        window = history.tail_days(7 * self.profile_weeks)
        weekdays = window.weekdays
        normal = ~self._special(window.dates)
        age_weeks = (window.days - 1 - np.arange(window.days)) // 7
        weight = self.profile_decay**age_weeks
        shares = np.zeros((7, HOURS))
        for w in range(7):
            rows = normal & (weekdays == w)
            if not rows.any():
                rows = weekdays == w
            pooled = (window.values[rows] * weight[rows, None]).sum(axis=0)
            if prior is not None:
                pooled = pooled + self.parent_contacts * prior[w]
            shares[w] = pooled / pooled.sum() if pooled.sum() > 0 else np.full(HOURS, 1.0 / HOURS)
        return shares

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        weekdays = np.array([d.weekday() for d in dates])
        totals = np.exp(self.level_ + self.weekday_effect_[weekdays]) * self.smearing_ - 0.5
        totals = np.maximum(totals, 0.0) * self.open_weekdays_[weekdays]
        return np.asarray(totals[:, None] * self.shares_[weekdays], dtype=float)


#: Smoothing weights of the day level tried by `fit_day_level` (0: a constant level over the window).
LEVEL_ALPHAS = np.linspace(0.0, 0.6, 13)
#: Days at the start of the window that only start the level, not scored.
LEVEL_BURN_IN_DAYS = 14


def smooth_level(x: np.ndarray, alpha: float, start: float) -> np.ndarray:
    """Exponential smoothing of `x` (NaN: no observation, the level carries over): ``level[i]`` is the level
    before observation i, ``level[len(x)]`` the one after the last."""
    level = np.empty(len(x) + 1)
    level[0] = start
    for i, value in enumerate(x):
        level[i + 1] = level[i] + alpha * (value - level[i]) if np.isfinite(value) else level[i]
    return level


def fit_day_level(
    y: np.ndarray, weekdays: np.ndarray, open_weekdays: np.ndarray, horizon_days: int
) -> tuple[np.ndarray, float, float, float, float]:
    """Weekday effects and a smoothed level of the log day totals `y` (NaN: not a normal day), see
    `LevelProfileForecaster`: ``(weekday effects (7,), last level, smoothing weight, smearing, variance of the
    log errors 1..horizon_days ahead)``."""
    effect = np.zeros(7)
    if not np.isfinite(y).any():
        return effect, float(np.log(0.5)), 0.0, 1.0, 0.0
    for w in range(7):
        if open_weekdays[w] and np.isfinite(y[weekdays == w]).any():
            effect[w] = np.nanmean(y[weekdays == w])
    burn = min(LEVEL_BURN_IN_DAYS, max(len(y) - horizon_days, 0))
    alpha = 0.0
    for _ in range(3):  # alternate: the weight given the weekday effects, the effects given the level
        x = y - effect[weekdays]
        start = float(np.nanmean(x[: max(burn, 7)])) if np.isfinite(x[: max(burn, 7)]).any() else float(np.nanmean(x))
        best = np.inf
        for candidate in LEVEL_ALPHAS:
            errors = _ahead_errors(x, smooth_level(x, candidate, start), burn, horizon_days)
            loss = float(np.mean(errors**2)) if errors.size else 0.0
            if loss < best - 1e-12:
                best, alpha = loss, float(candidate)
        level = smooth_level(x, alpha, start)
        for w in range(7):
            rows = (weekdays == w) & np.isfinite(y)
            if open_weekdays[w] and rows.any():
                effect[w] = float(np.mean(y[rows] - level[:-1][rows]))
    x = y - effect[weekdays]
    level = smooth_level(x, alpha, start)
    one_step = (x - level[:-1])[np.isfinite(x)]
    # Duan's smearing (the mean of exp(residual)), with the residuals winsorised at 3 robust standard deviations:
    # a day after a data gap or an unlisted closure would otherwise set the level of every forecast day.
    spread = 3.0 * np.sqrt(robust_variance(one_step))
    smearing = float(np.mean(np.exp(np.clip(one_step, -spread, spread)))) if one_step.size else 1.0
    ahead = _ahead_errors(x, level, burn, horizon_days)
    return effect, float(level[-1]), alpha, smearing, robust_variance(ahead)


def robust_variance(errors: np.ndarray) -> float:
    """The variance of a zero-mean normal that 80% of the `errors` fall within, as the p10-p90 band must:
    ``(q80(|e|) / z_0.9)^2``. Measured around zero, not around the errors' own centre, so a persistent bias of
    the forecast widens the band as it should; a quantile, not the mean square, so that a few outlying days (an
    unlisted closure, a data gap) do not set the band of every day. 0 for fewer than 2 errors."""
    if errors.size < 2:
        return 0.0
    return float((np.quantile(np.abs(errors), BAND_SHARE) / 1.2815515655446004) ** 2)


#: The share of errors inside the band `robust_variance` matches (the p10-p90 band's 80%).
BAND_SHARE = 0.80


def _ahead_errors(x: np.ndarray, level: np.ndarray, burn: int, horizon_days: int) -> np.ndarray:
    """The errors of forecasting each scored observation 1..horizon_days ahead from the level then."""
    errors = [x[burn + h - 1 :] - level[burn : len(x) - h + 1] for h in range(1, horizon_days + 1)]
    pooled = np.concatenate(errors) if errors else np.zeros(0)
    return pooled[np.isfinite(pooled)]


class Combination(Forecaster):
    """The mean of its members' forecasts (by default the recent-weeks average and the GLM). Combining two
    models whose errors are not the same is a reliable way to cut error; the selection keeps it only where the
    backtest says it does."""

    name = "combination"

    def __init__(self, members: list[Forecaster] | None = None, calendar: SeriesCalendar | None = None) -> None:
        super().__init__(calendar)
        self.members = members

    def _fit(self, history: DayHours) -> None:
        members = self.members or [RecentWeeksAverage(calendar=self.calendar), GLMForecaster(calendar=self.calendar)]
        self.members_ = [m for m in members]
        for member in self.members_:
            member.history_ = history
            member._fit(history)

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        return np.asarray(np.mean([member._predict_days(dates) for member in self.members_], axis=0), dtype=float)


class SameHourAverage(RecentWeeksAverage):
    """The baseline a planner already has: the mean of the same hour over the last 8 weeks (normal days of the
    same weekday). Every model is reported beside it in the backtest."""

    name = "same_hour_8w"

    def __init__(self, calendar: SeriesCalendar | None = None) -> None:
        super().__init__(weeks=8, calendar=calendar)


#: The named baseline of the backtest (`wfm backtest` reports each model's WAPE relative to it).
BASELINE = SameHourAverage.name

#: The forecasters the automatic selection chooses from, by name, in their default settings. Each is made from
#: the series' calendar and, for a work type, its parent series (the centre's total), which only the models
#: that borrow strength read.
CANDIDATES: dict[str, Callable[..., Forecaster]] = {
    SeasonalNaive.name: lambda calendar, parent=None: SeasonalNaive(),
    RecentWeeksAverage.name: lambda calendar, parent=None: RecentWeeksAverage(calendar=calendar),
    SameHourAverage.name: lambda calendar, parent=None: SameHourAverage(calendar=calendar),
    MSTLForecaster.name: lambda calendar, parent=None: MSTLForecaster(calendar=calendar),
    GLMForecaster.name: lambda calendar, parent=None: GLMForecaster(calendar=calendar),
    LevelProfileForecaster.name: lambda calendar, parent=None: LevelProfileForecaster(parent=parent, calendar=calendar),
    Combination.name: lambda calendar, parent=None: Combination(calendar=calendar),
}


def default_candidates(
    calendar: SpecialCalendar | None,
    work_type: str | None,
    models: Sequence[str] = (),
    parent: pd.Series | None = None,
) -> list[Forecaster]:
    """The candidates the automatic selection compares, in their default settings: all of `CANDIDATES`, or
    those named in `models`. `parent`: the series a work type borrows strength from (the centre's total)."""
    unknown = sorted(set(models) - set(CANDIDATES))
    if unknown:
        raise ValueError(f"unknown forecasters {', '.join(unknown)}; use some of {', '.join(CANDIDATES)}")
    series_calendar = calendar.for_work_type(work_type) if calendar is not None else None
    return [make(series_calendar, parent) for name, make in CANDIDATES.items() if not models or name in models]
