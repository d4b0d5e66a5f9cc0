"""The call-centre forecasting literature's other models beside ours, on the bank's data: do they earn a place?

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.forecast_models             # LightGBM from the `bench` extra (make install-bench)

The same sets and cells as `benchmarks.forecast_accuracy` (the 1999 hourly totals from 13 weekly origins; the
August 1999 log's total and call types with >= 1,000 calls from its 2 last weekly origins). Every model is
fitted only on the history before its origin and has the series' calendar applied after it
(`forecasting.DayAdjustment`: learned holiday, eve and bridge-day multipliers), as the product's backtest does.

- `same_hour_8w`, `recent_average`: the simple methods a planner already uses (the product's);
- `level_profile`: the product's day-level x intraday-profile model;
- `svd`: Shen & Huang (2008): the days x 24 matrix of square-root counts of the last 12 normal weeks reduced to
  its first `rank` singular vectors; each day's scores are forecast by their weekday's mean plus an exponentially
  smoothed deviation (weight 0.1); counts come back as the square, less 1/4, plus the residual variance;
- `lightgbm`: a gradient-boosted model (Poisson loss) of each hour's count, offset by the 8-week same-hour
  average, with calendar features (hour, weekday, day of month, days ahead, kind of special day) and the recent
  level (1-, 2- and 8-week same-hour means; the last 7 and 14 days against the last 56), trained on every day of
  the last 30 weeks as a pseudo-origin with the 7 days after it;
- `lightgbm_global` (August only): the same, one model across the call types (the type a feature), so that sparse
  types borrow from the others.

Printed as WAPE and ratio to the better simple method per set; written as JSON to
``benchmarks/results/forecast_models.json`` (git-ignored). Without LightGBM its rows say so.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import forecasting
from benchmarks.common import machine_info, write_report
from benchmarks.forecast_accuracy import (
    AUGUST_FILE,
    AUGUST_ORIGINS,
    COUNTRY,
    HORIZON_DAYS,
    MIN_CALLS_SCORED,
    SIMPLE,
    TIMEZONE,
    august_history,
    august_tickets,
    data_root,
    year_history,
    year_origins,
)
from forecasting.calendar import SeriesCalendar
from forecasting.forecasters import Forecaster, smooth_level
from forecasting.series import HOURS, DayHours

RESULTS = Path(__file__).resolve().parent / "results" / "forecast_models.json"
#: LightGBM's settings (the best of 100 and 200 rounds, 20 and 30 training weeks, on the year).
GBM_PARAMS = {
    "objective": "poisson",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "seed": 0,
    "num_threads": 2,
    "verbose": -1,
}
GBM_ROUNDS = 100
GBM_TRAIN_WEEKS = 30
KINDS = {"": 0, "holiday": 1, "eve": 2, "bridge": 3, "listed": 4}


class SVDForecaster(Forecaster):
    """Shen & Huang's (2008) low-rank model (see the module docstring)."""

    name = "svd"

    def __init__(self, rank: int = 3, weeks: int = 12, alpha: float = 0.1, calendar: SeriesCalendar | None = None):
        super().__init__(calendar)
        self.rank, self.weeks, self.alpha = rank, weeks, alpha

    def _fit(self, history: DayHours) -> None:
        window = history.tail_days(7 * self.weeks)
        normal = ~self._special(window.dates)
        weekdays = window.weekdays
        root = np.sqrt(window.values + 0.25)
        _, _, vt = np.linalg.svd(root[normal], full_matrices=False)
        self.vectors_ = vt[: self.rank]
        scores = root @ self.vectors_.T
        self.weekday_mean_ = np.zeros((7, self.rank))
        deviation = np.full(scores.shape, np.nan)
        for w in range(7):
            rows = normal & (weekdays == w)
            if rows.any():
                self.weekday_mean_[w] = scores[rows].mean(axis=0)
                deviation[rows] = scores[rows] - self.weekday_mean_[w]
        self.level_ = np.array([smooth_level(deviation[:, k], self.alpha, 0.0)[-1] for k in range(self.rank)])
        self.residual_variance_ = float(np.var(root[normal] - scores[normal] @ self.vectors_))

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        weekdays = np.array([d.weekday() for d in dates])
        root = (self.weekday_mean_[weekdays] + self.level_) @ self.vectors_
        return np.asarray(np.maximum(root, 0.0) ** 2 - 0.25 + self.residual_variance_, dtype=float)


def _kinds(calendar: SeriesCalendar | None, dates: list[date]) -> np.ndarray:
    if calendar is None:
        return np.zeros(len(dates))
    special = calendar.is_special(dates)
    families = calendar.families(dates)
    return np.array([KINDS[(f or "").partition(":")[0]] if s else 0 for f, s in zip(families, special, strict=True)])


def _features(
    values: np.ndarray, weekdays: np.ndarray, dates: list[date], normal: np.ndarray, kinds: np.ndarray, origin: int
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the 7 x 24 hours from day `origin` and their offset (the 8-week same-hour average), from
    `values[:origin]` only."""
    totals = values[:origin].sum(axis=1)

    def level(days: int) -> float:
        rows = np.arange(max(0, origin - days), origin)
        rows = rows[normal[rows]]
        return float(totals[rows].mean()) if rows.size else np.nan

    l7, l14, l56 = level(7), level(14), level(56)
    rows, offset = [], []
    for ahead in range(HORIZON_DAYS):
        day = origin + ahead
        same = [j for j in range(origin - 1, max(-1, origin - 57), -1) if weekdays[j] == weekdays[day] and normal[j]]
        m8, m2, m1 = (values[same[:k]].mean(axis=0) if same else np.zeros(HOURS) for k in (8, 2, 1))
        for hour in range(HOURS):
            rows.append(
                [hour, weekdays[day], dates[day].day, ahead, kinds[day], m8[hour], m2[hour], m1[hour], m8.sum(),
                 l7 / l56 if l56 else 1.0, l14 / l56 if l56 else 1.0]
            )  # fmt: skip
        offset.append(m8)
    return np.asarray(rows, dtype=float), np.concatenate(offset)


def _training_rows(history: DayHours, calendar: SeriesCalendar | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dates = history.dates
    normal = ~calendar.is_special(dates) if calendar is not None else np.ones(history.days, dtype=bool)
    kinds = _kinds(calendar, dates)
    features, offsets, targets = [], [], []
    for origin in range(max(7, history.days - 7 * GBM_TRAIN_WEEKS), history.days - HORIZON_DAYS + 1):
        x, offset = _features(history.values, history.weekdays, dates, normal, kinds, origin)
        features.append(x)
        offsets.append(offset)
        targets.append(history.values[origin : origin + HORIZON_DAYS].reshape(-1))
    return np.vstack(features), np.concatenate(offsets), np.concatenate(targets)


def _future_rows(
    history: DayHours, calendar: SeriesCalendar | None, dates: list[date]
) -> tuple[np.ndarray, np.ndarray]:
    every = history.dates + dates
    normal = ~calendar.is_special(every) if calendar is not None else np.ones(len(every), dtype=bool)
    values = np.vstack([history.values, np.zeros((len(dates), HOURS))])
    weekdays = np.array([d.weekday() for d in every])
    return _features(values, weekdays, every, normal, _kinds(calendar, every), history.days)


def _train(features: np.ndarray, offsets: np.ndarray, targets: np.ndarray, categorical: list[int]) -> Any:
    import lightgbm

    data = lightgbm.Dataset(
        features, targets, init_score=np.log(offsets + 0.1), categorical_feature=categorical, free_raw_data=False
    )
    return lightgbm.train(GBM_PARAMS, data, num_boost_round=GBM_ROUNDS)


class GradientBoostedForecaster(Forecaster):
    """LightGBM on one series (see the module docstring)."""

    name = "lightgbm"

    def _fit(self, history: DayHours) -> None:
        features, offsets, targets = _training_rows(history, self.calendar)
        self.model_ = _train(features, offsets, targets, [1, 4])
        self.fitted_ = history

    def _predict_days(self, dates: list[date]) -> np.ndarray:
        features, offset = _future_rows(self.fitted_, self.calendar, dates[:HORIZON_DAYS])
        raw = self.model_.predict(features, raw_score=True)
        return np.asarray(np.exp(raw + np.log(offset + 0.1)).reshape(-1, HOURS), dtype=float)


def global_forecasts(
    trains: dict[str, pd.Series], calendar: forecasting.SpecialCalendar, start: pd.Timestamp, periods: int
) -> dict[str, np.ndarray]:
    """One LightGBM across every series of `trains` (their name a feature), forecast for each."""
    names = sorted(trains)
    histories = {n: DayHours.from_series(trains[n]) for n in names}
    parts = [_training_rows(histories[n], calendar.for_work_type(n)) for n in names]
    features = np.vstack([np.column_stack([x, np.full(len(x), i)]) for i, (x, _, _) in enumerate(parts)])
    model = _train(
        features, np.concatenate([o for _, o, _ in parts]), np.concatenate([y for _, _, y in parts]), [1, 4, 11]
    )
    out = {}
    for i, n in enumerate(names):
        history = histories[n]
        dates = [history.end + timedelta(days=k + 1) for k in range(HORIZON_DAYS)]
        x, offset = _future_rows(history, calendar.for_work_type(n), dates)
        raw = model.predict(np.column_stack([x, np.full(len(x), i)]), raw_score=True)
        days = DayHours(dates[0], np.exp(raw + np.log(offset + 0.1)).reshape(-1, HOURS), history.timezone)
        index = pd.date_range(start, periods=periods, freq="h")
        out[n] = days.lookup(index)
    return out


def lightgbm_version() -> str | None:
    try:
        import lightgbm
    except ImportError:
        return None
    return str(lightgbm.__version__)


MODELS: dict[str, Callable[[SeriesCalendar], Forecaster]] = {
    "same_hour_8w": lambda c: forecasting.SameHourAverage(calendar=c),
    "recent_average": lambda c: forecasting.RecentWeeksAverage(calendar=c),
    "level_profile": lambda c: forecasting.LevelProfileForecaster(calendar=c),
    "svd rank 1": lambda c: SVDForecaster(rank=1, calendar=c),
    "svd rank 2": lambda c: SVDForecaster(rank=2, calendar=c),
    "svd rank 3": lambda c: SVDForecaster(rank=3, calendar=c),
    "lightgbm": lambda c: GradientBoostedForecaster(calendar=c),
}


def score_set(
    series: dict[str, pd.Series], origins: list[date], calendar: forecasting.SpecialCalendar, use_gbm: bool
) -> dict[str, dict[str, float]]:
    """WAPE of every model on every series of `series`, pooled over `origins` (and of the global model)."""
    forecasts: dict[tuple[str, str], list[np.ndarray]] = {}
    actuals: dict[str, list[np.ndarray]] = {}
    for origin in origins:
        trains, starts = {}, {}
        for name, y in series.items():
            index = pd.DatetimeIndex(y.index)
            cut = int(index.searchsorted(pd.Timestamp(origin, tz=index.tz)))
            end = int(index.searchsorted(pd.Timestamp(origin + timedelta(days=HORIZON_DAYS), tz=index.tz)))
            train = y.iloc[:cut]
            trains[name], starts[name] = train, (index[cut], end - cut)
            actuals.setdefault(name, []).append(y.iloc[cut:end].to_numpy(dtype=float))
            series_calendar = calendar.for_work_type(name)
            adjustment = forecasting.DayAdjustment(series_calendar).fit(train)
            for model, make in MODELS.items():
                if model.startswith("lightgbm") and not use_gbm:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    forecast = make(series_calendar).fit(train).predict(*starts[name])
                forecasts.setdefault((name, model), []).append(adjustment.apply(forecast).to_numpy())
        if use_gbm and len(series) > 1:
            first = next(iter(starts.values()))
            together = global_forecasts(trains, calendar, *first)
            for name, forecast in together.items():
                adjusted = forecasting.DayAdjustment(calendar.for_work_type(name)).fit(trains[name])
                values = adjusted.apply(pd.Series(forecast, index=pd.date_range(first[0], periods=first[1], freq="h")))
                forecasts.setdefault((name, "lightgbm_global"), []).append(values.to_numpy())
    out: dict[str, dict[str, float]] = {}
    for (name, model), parts in forecasts.items():
        f, y = np.concatenate(parts), np.concatenate(actuals[name])
        out.setdefault(name, {"actual_volume": float(y.sum())})[model] = float(np.abs(f - y).sum() / y.sum())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.forecast_models", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, help="folder holding anonbank/ (default $WFM_SHARED_DATA or ../shared/data)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    root = data_root(args.data)
    if not (root / "anonbank").is_dir():
        print(f"real data {root / 'anonbank'} is absent: give --data or set WFM_SHARED_DATA", file=sys.stderr)
        return 2
    version = lightgbm_version()
    calendar = forecasting.SpecialCalendar(country=COUNTRY)
    started = time.perf_counter()
    year_hourly = forecasting.aggregate(year_history(root), TIMEZONE)
    august = forecasting.aggregate(august_history(august_tickets(root / "anonbank" / AUGUST_FILE)), TIMEZONE)
    august_series = {w: august.counts[w] for w in august.work_types}
    august_series[forecasting.TOTAL] = august.total
    report: dict[str, Any] = {
        "benchmark": "forecast_models",
        "machine": machine_info(lightgbm=version),
        "year": score_set({"all": year_hourly.total}, year_origins(), calendar, version is not None),
        "august": score_set(
            august_series,
            forecasting.last_weekly_origins(august, AUGUST_ORIGINS, HORIZON_DAYS),
            calendar,
            version is not None,
        ),
        "seconds": time.perf_counter() - started,
    }
    models = [*MODELS, "lightgbm_global"]
    header = f"{'set':<14} {'calls':>7} " + " ".join(f"{m:>15}" for m in models)
    print("WAPE (ratio to the better of same_hour_8w and recent_average)")
    print(header)
    print("-" * len(header))
    for part in ("year", "august"):
        for name, scores in report[part].items():
            if part == "august" and scores["actual_volume"] < MIN_CALLS_SCORED:
                continue
            simple = min(scores[m] for m in SIMPLE)
            cells = [f"{scores[m]:.3f} ({scores[m] / simple:.2f})" if m in scores else "-" for m in models]
            label = f"{part} {name}"
            print(f"{label:<14} {scores['actual_volume']:>7,.0f} " + " ".join(f"{c:>15}" for c in cells))
    if version is None:
        print("lightgbm: not installed (make install-bench); its columns are empty")
    write_report(args.out, report)
    print(f"written {args.out} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
