"""What the centre's calendar does to a model's forecast: special days, closed days and opening hours.

The contract between the models and the centre: **a forecaster forecasts normal days**. It may read the
calendar to keep special days out of what it learns about normal days, never to change what it predicts.
Special days, closures and opening hours are properties of the centre, not of a model, so they are applied
afterwards, in one place, to whichever model the selection picks (the seasonal naive baseline included):

1. `DayAdjustment` multiplies each date of one series' hourly forecast by its day multiplier
   (`SeriesCalendar.known_multiplier`: 0 for realtime work on a closed day, the listed `volume_multiplier`,
   otherwise, for special days of unknown effect such as public holidays, their eves and bridge days, the ratio
   learned from the history by family: the median ratio of the same family's past days (the same holiday in
   earlier years), else of its kind's (every holiday, every eve, every bridge day), else of every special
   day). `AutoForecaster` applies it to every candidate in its inner backtest (a model is scored on what it
   will be asked to forecast) and to its forecast; the pipeline and the backtest go through it.
2. `apply_opening_hours` handles, per work type, the contacts forecast while the work type is closed (outside
   its opening hours, or on a special day listed ``closed``): they are dropped or moved to the next opening,
   as the work type's `outside_hours_rule` says (realtime: drop; deferred: next opening), and a note says how
   many. The forecast pipeline, the staffing requirement and the simulation's forecast demand all call it, so a
   forecast made elsewhere (with volume in closed hours) is treated the same way. When a work type is open is
   the centre's one definition, `Center.is_open` (the roster and its validator read it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Self

import numpy as np
import pandas as pd

from forecasting.calendar import SeriesCalendar
from forecasting.forecasters import NotFittedError, special_day_ratios
from forecasting.series import DayHours
from models import Center, OutsideHours

__all__ = ["QUANTILE_COLUMNS", "DayAdjustment", "apply_opening_hours"]

#: The forecast's volume columns an opening-hours rule moves or drops (the mean first).
QUANTILE_COLUMNS = ("volume", "volume_p10", "volume_p50", "volume_p90")


class DayAdjustment:
    """The centre's day multipliers for one series (see the module docstring), learned and applied like an
    estimator: `fit(y)` learns the multiplier of each family of special days whose effect is not listed,
    `apply(forecast)` multiplies a normal-day hourly forecast by each local date's multiplier."""

    def __init__(self, calendar: SeriesCalendar | None = None) -> None:
        self.calendar = calendar

    def fit(self, y: pd.Series) -> Self:
        history = DayHours.from_series(y)
        self.timezone_ = history.timezone
        self.learned_multiplier_ = 1.0
        self.family_multipliers_: dict[str, float] = {}
        self.kind_multipliers_: dict[str, float] = {}
        if self.calendar is not None:
            dates = history.dates
            special = self.calendar.is_special(dates)
            families = self.calendar.families(dates)
            unknown = special & np.array([f is not None for f in families])
            ratios = special_day_ratios(history, special, unknown)
            by_family: dict[str, list[float]] = {}
            by_kind: dict[str, list[float]] = {}
            for day, ratio in ratios.items():
                family = str(families[day])
                by_family.setdefault(family, []).append(ratio)
                by_kind.setdefault(_kind(family), []).append(ratio)
            self.family_multipliers_ = {f: float(np.median(r)) for f, r in by_family.items()}
            self.kind_multipliers_ = {k: float(np.median(r)) for k, r in by_kind.items()}
            if ratios:
                self.learned_multiplier_ = float(np.median(list(ratios.values())))
        return self

    def multipliers(self, dates: Sequence[date]) -> np.ndarray:
        """The multiplier of each date (1 on normal days)."""
        if not hasattr(self, "timezone_"):
            raise NotFittedError("DayAdjustment is not fitted yet; call fit(history) first")
        if self.calendar is None:
            return np.ones(len(dates))
        known = self.calendar.known_multiplier(dates)
        families = self.calendar.families(dates)
        learned = np.array([self._learned(f) for f in families])
        return np.where(np.isnan(known), learned, known)

    def _learned(self, family: str | None) -> float:
        if family is None:
            return 1.0
        if family in self.family_multipliers_:
            return self.family_multipliers_[family]
        return self.kind_multipliers_.get(_kind(family), self.learned_multiplier_)

    def apply(self, forecast: pd.Series) -> pd.Series:
        """`forecast` (hourly, tz-aware index) times the multiplier of each hour's local date."""
        if not hasattr(self, "timezone_"):
            raise NotFittedError("DayAdjustment is not fitted yet; call fit(history) first")
        if self.calendar is None:
            return forecast
        local = pd.DatetimeIndex(forecast.index).tz_convert(self.timezone_).tz_localize(None).normalize()
        days, position = np.unique(local.to_numpy(), return_inverse=True)
        factor = self.multipliers([pd.Timestamp(d).date() for d in days])[position]
        return pd.Series(forecast.to_numpy(dtype=float) * factor, index=forecast.index, name=forecast.name)


def _kind(family: str) -> str:
    return family.partition(":")[0]


def apply_opening_hours(
    table: pd.DataFrame, center: Center, columns: Sequence[str] = QUANTILE_COLUMNS
) -> tuple[pd.DataFrame, list[str]]:
    """`table` (a forecast: `interval_start`, `work_type` and the volume `columns` present) with each work type's
    volume in its closed intervals dropped or moved to its next open interval in the table
    (`WorkType.outside_hours_rule`), and one note per work type that had any. Volume with no opening left in the
    table (after the last opening of the horizon) is dropped, and the note says how much. An interval is open
    when its start is. Rows of work types the centre does not have are left as they are (the callers report
    them). Nothing changes, and no note is made, for a table with no volume in closed hours."""
    present = [c for c in columns if c in table.columns]
    if table.empty or not present:
        return table, []
    starts = pd.DatetimeIndex(table["interval_start"])
    values = {c: table[c].to_numpy(dtype=float).copy() for c in present}
    notes = []
    changed = False
    for work_type, positions in table.groupby("work_type", sort=False).indices.items():
        if str(work_type) not in center.work_types_by_id:
            continue
        rows = np.asarray(positions)[np.argsort(starts[positions].asi8, kind="stable")]
        is_open = center.is_open(str(work_type), pd.DatetimeIndex(starts[rows]))
        if is_open.all():
            continue
        closed_rows = rows[~is_open]
        outside = float(np.nansum(values[present[0]][closed_rows]))
        if not np.any(np.nan_to_num(np.stack([values[c][closed_rows] for c in present])) != 0):
            continue
        changed = True
        rule = center.work_type(str(work_type)).outside_hours_rule
        total = float(np.nansum(values[present[0]][rows]))
        past_end = 0.0
        if rule is OutsideHours.NEXT_OPENING:
            open_at = np.flatnonzero(is_open)
            target = np.asarray(np.searchsorted(open_at, np.flatnonzero(~is_open)))
            kept = target < len(open_at)
            past_end = float(np.nansum(values[present[0]][closed_rows[~kept]]))
            for column in present:
                np.add.at(values[column], rows[open_at[target[kept]]], values[column][closed_rows[kept]])
        for column in present:
            values[column][closed_rows] = 0.0
        if outside > 0:
            notes.append(_note(str(work_type), rule, outside, total, past_end))
    if not changed:
        return table, []
    return table.assign(**values), notes


def _note(work_type: str, rule: OutsideHours, outside: float, total: float, past_end: float) -> str:
    share = f" ({outside / total:.1%})" if total > 0 else ""
    count = f"{outside:,.0f}"
    head = f"{work_type}: {count} contact{'' if count == '1' else 's'}{share} forecast outside opening hours"
    if rule is OutsideHours.DROP:
        return f"{head} dropped (outside_hours: drop)"
    text = f"{head} moved to the next opening (outside_hours: next_opening)"
    if past_end > 0:
        text += f"; {past_end:,.0f} of them after the last opening of the horizon, dropped"
    return text
