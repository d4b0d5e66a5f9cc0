"""Benchmark of the intraday reforecast on real data: the bank's 1999 calls, reforecast at 10:00, 12:00 and 14:00.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.intraday_reforecast                 # about 3-4 minutes on 2 cores
    .venv/bin/python -m benchmarks.intraday_reforecast --from 1999-11-01 --data /path/to/shared/data

Data: ``anonbank/calls_1999_6min.csv`` of the Technion "Anonymous Bank" (``../shared/data``, or
``$WFM_SHARED_DATA``, or ``--data``), read with `models.read_history` (work type ``all``) and summed into hourly
counts by `forecasting.aggregate`.

For every working day (Sunday to Thursday, not an Israeli public holiday) from ``--from`` to the end of 1999, the
day-ahead forecast is the project's pipeline: `forecasting.forecast_centre` for that one day, hourly, with the
automatic model selection, fitted only on the hourly counts before the day. The reforecast at 10:00, 12:00 and
14:00 is `forecasting.reforecast` from that forecast and the day's counts before the moment. Scored: the cells of
the rest of the day (the hours from the moment to midnight), pooled over all days: WAPE of the day-ahead forecast
and of the reforecast, the reduction, and the share of actuals inside each one's p10-p90 band.

The reforecast's two settings are learned on the working days of ``--learn-from`` up to ``--from`` (May and
June by default), from the same day-ahead pipeline forecasts, and never on the scored days:
``prior_variance`` = `forecasting.day_multiplier_variance` of the day totals (forecast against actual), and
``interval_dispersion`` = the negative binomial dispersion calibrated (`NegativeBinomialBand.calibrate`, 80% in
p10-p90) on the hourly counts against the forecast rescaled by each day's own actual-to-forecast ratio: the
noise that is left once the day's level is known.

Results are printed and written as JSON to ``benchmarks/results/intraday_reforecast.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import forecasting
from benchmarks.common import machine_info, write_report
from forecasting.selection import NegativeBinomialBand
from models import read_history

DATA_ENV = "WFM_SHARED_DATA"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "intraday_reforecast.json"
TIMEZONE = "Asia/Jerusalem"
COUNTRY = "IL"
YEAR_FILE = "calls_1999_6min.csv"
WORK_TYPE = "all"
MOMENTS = (10, 12, 14)
#: The target: at least this reduction of the rest of the day's WAPE at 12:00.
TARGET_HOUR = 12
TARGET_REDUCTION = 0.15
#: The bank's working week: Sunday (6) to Thursday (3) in pandas' Monday = 0 numbering.
WORKING_WEEKDAYS = {6, 0, 1, 2, 3}


def working_days(start: date, end: date, calendar: forecasting.SpecialCalendar) -> list[date]:
    days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    holidays = calendar.public_holidays(days)
    return [d for d in days if d.weekday() in WORKING_WEEKDAYS and d not in holidays]


def day_ahead(hourly: forecasting.HourlyHistory, calendar: forecasting.SpecialCalendar, day: date) -> pd.DataFrame:
    """The pipeline's forecast of `day`, fitted on the hourly counts before it (AHT and the intra-hour shares
    are not used at hourly output and are left as aggregated)."""
    cut = int(hourly.counts.index.searchsorted(pd.Timestamp(day, tz=TIMEZONE)))
    before = dataclasses.replace(hourly, counts=hourly.counts.iloc[:cut])
    result = forecasting.forecast_centre(before, calendar, day, 1, forecasting.ForecastSettings(interval_minutes=60))
    return result.table


def learn_settings(
    hourly: forecasting.HourlyHistory, forecasts: dict[date, pd.DataFrame]
) -> tuple[float, float, dict[str, Any]]:
    f_day, a_day, mu, actual = [], [], [], []
    for table in forecasts.values():
        f = table["volume"].to_numpy(dtype=float)
        a = hourly.counts[WORK_TYPE].reindex(pd.DatetimeIndex(table["interval_start"])).to_numpy(dtype=float)
        f_day.append(f.sum())
        a_day.append(a.sum())
        mu.append(f * a.sum() / f.sum())
        actual.append(a)
    variance = forecasting.day_multiplier_variance(np.array(f_day), np.array(a_day))
    mus, actuals = np.concatenate(mu), np.concatenate(actual)
    keep = mus > 1.0
    dispersion = NegativeBinomialBand.calibrate(mus[keep], actuals[keep]).alpha
    ratio = np.array(a_day) / np.array(f_day)
    facts = {
        "days": len(forecasts),
        "day_ratio_mean": float(ratio.mean()),
        "day_ratio_sd": float(ratio.std(ddof=1)),
        "prior_variance": variance,
        "prior_sd": float(np.sqrt(variance)),
        "interval_dispersion": dispersion,
    }
    return variance, dispersion, facts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="folder holding anonbank/")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=date(1999, 7, 1))
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=date(1999, 12, 31))
    parser.add_argument("--learn-from", type=date.fromisoformat, default=date(1999, 5, 1))
    args = parser.parse_args(argv)
    root = args.data if args.data is not None else Path(os.environ.get(DATA_ENV, DEFAULT_DATA))

    started = time.perf_counter()
    history = read_history(
        root / "anonbank" / YEAR_FILE, timezone=TIMEZONE, rename={"volume": "calls"}, work_type=WORK_TYPE
    )
    hourly = forecasting.aggregate(history, TIMEZONE)
    calendar = forecasting.SpecialCalendar(country=COUNTRY)
    learn_days = working_days(args.learn_from, args.start - timedelta(days=1), calendar)
    score_days = working_days(args.start, args.end, calendar)
    forecasts = {d: day_ahead(hourly, calendar, d) for d in learn_days + score_days}
    forecast_s = time.perf_counter() - started
    selected = Counter(str(forecasts[d]["model"].iloc[0]) for d in score_days)
    variance, dispersion, learned = learn_settings(hourly, {d: forecasts[d] for d in learn_days})

    cells: dict[int, dict[str, list[np.ndarray]]] = {h: {} for h in MOMENTS}
    started = time.perf_counter()
    reforecasts = 0
    for day in score_days:
        table = forecasts[day]
        starts = pd.DatetimeIndex(table["interval_start"])
        counts = hourly.counts[[WORK_TYPE]].reindex(starts)
        for hour in MOMENTS:
            at = pd.Timestamp(day, tz=TIMEZONE) + pd.Timedelta(hours=hour)
            result = forecasting.reforecast(
                table, counts[counts.index < at], at, prior_variance=variance, interval_dispersion=dispersion
            )
            reforecasts += 1
            rest = result.table
            before = table[starts >= at]
            actual = counts[WORK_TYPE].reindex(pd.DatetimeIndex(rest["interval_start"])).to_numpy(dtype=float)
            out = cells[hour]
            for key, values in (
                ("actual", actual),
                ("day_ahead", before["volume"].to_numpy(dtype=float)),
                ("day_ahead_p10", before["volume_p10"].to_numpy(dtype=float)),
                ("day_ahead_p90", before["volume_p90"].to_numpy(dtype=float)),
                ("reforecast", rest["volume"].to_numpy(dtype=float)),
                ("reforecast_p10", rest["volume_p10"].to_numpy(dtype=float)),
                ("reforecast_p90", rest["volume_p90"].to_numpy(dtype=float)),
                ("multiplier", np.array([result.multipliers["multiplier"].iloc[0]])),
            ):
                out.setdefault(key, []).append(values)
    reforecast_s = time.perf_counter() - started

    rows = []
    for hour in MOMENTS:
        c = {k: np.concatenate(v) for k, v in cells[hour].items()}
        y = c["actual"]
        wape_day_ahead = float(np.abs(c["day_ahead"] - y).sum() / y.sum())
        wape_re = float(np.abs(c["reforecast"] - y).sum() / y.sum())
        rows.append(
            {
                "at": f"{hour:02d}:00",
                "cells": len(y),
                "actual_volume": float(y.sum()),
                "wape_day_ahead": wape_day_ahead,
                "wape_reforecast": wape_re,
                "reduction": 1 - wape_re / wape_day_ahead,
                "coverage_day_ahead": float(np.mean((y >= c["day_ahead_p10"]) & (y <= c["day_ahead_p90"]))),
                "coverage_reforecast": float(np.mean((y >= c["reforecast_p10"]) & (y <= c["reforecast_p90"]))),
                "multiplier_p10": float(np.quantile(c["multiplier"], 0.1)),
                "multiplier_p90": float(np.quantile(c["multiplier"], 0.9)),
            }
        )
    target_row = next(r for r in rows if r["at"] == f"{TARGET_HOUR:02d}:00")
    met = target_row["reduction"] >= TARGET_REDUCTION

    print(f"Intraday reforecast, {len(score_days)} working days {args.start} .. {args.end}, rest of the day hourly")
    print(
        f"learned on {learned['days']} days from {args.learn_from}: day ratio sd {learned['day_ratio_sd']:.3f}, "
        f"prior sd {learned['prior_sd']:.3f}, interval dispersion {dispersion:.4f}"
    )
    print("| at | cells | WAPE day-ahead | WAPE reforecast | reduction | p10-p90 day-ahead | p10-p90 reforecast |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['at']} | {r['cells']:,} | {r['wape_day_ahead']:.3f} | {r['wape_reforecast']:.3f} | "
            f"{r['reduction']:.1%} | {r['coverage_day_ahead']:.3f} | {r['coverage_reforecast']:.3f} |"
        )
    print(
        f"target: WAPE at {TARGET_HOUR}:00 at least {TARGET_REDUCTION:.0%} lower: "
        f"{target_row['reduction']:.1%}, {'MET' if met else 'MISSED'}"
    )
    print("day-ahead model selected per scored day: " + ", ".join(f"{m} x{n}" for m, n in selected.most_common()))
    print(
        f"time: {forecast_s:.0f} s for {len(forecasts)} day-ahead forecasts (with reading), "
        f"{reforecast_s:.1f} s for {reforecasts} reforecasts ({1000 * reforecast_s / reforecasts:.1f} ms each)"
    )
    write_report(
        RESULTS,
        {
            "days": [str(d) for d in score_days],
            "learned": learned,
            "selected": dict(selected),
            "rows": rows,
            "target": {"hour": TARGET_HOUR, "reduction": TARGET_REDUCTION, "met": met},
            "seconds": {"forecasts": forecast_s, "reforecasts": reforecast_s, "reforecast_count": reforecasts},
            "machine": machine_info(),
        },
    )


if __name__ == "__main__":
    main()
