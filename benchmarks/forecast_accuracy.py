"""Benchmark of forecast accuracy on real data: rolling-origin backtests on a bank call centre's 1999 calls.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.forecast_accuracy                   # both parts, with statsforecast if installed
    .venv/bin/python -m benchmarks.forecast_accuracy --parts year --no-statsforecast

Data: the Technion "Anonymous Bank" files in ``../shared/data/anonbank`` (or ``$WFM_SHARED_DATA/anonbank``);
see ``../shared/data/README.md``. Nothing is edited: any other shape is derived in code.

Part ``year``: all calls of 1999, 6-minute counts read with `models.read_history` and summed into hourly totals
by `forecasting.aggregate`, then `forecasting.backtest` with Israeli public holidays from 13 weekly origins across
the last quarter (1999-10-01 + 7k days, k = 0..12), a 7-day horizon each and only the history before each origin.
Reported per model: WAPE, ratio to the seasonal naive WAPE on the same cells, bias, MASE, p10-p90 coverage and
the Poisson floor (the WAPE that even a perfect rate forecast would have). Side by side, statsforecast's MSTL
(season lengths 24 and 168, AutoETS(model='ZZN') on the trend, freq='h') is fitted on the same hourly totals
before each origin and scored on the same cells; it is skipped, and the output says so, when statsforecast is
not installed (``make install-bench``).

Part ``august``: the per-call log of August 1999, turned into per-ticket history in code (arrival = ``date`` +
``vru_entry``, PHANTOM calls dropped, work type = ``type``, handle time = ``ser_time`` of served calls), written
as a CSV to a temporary folder and read back with `models.read_history`. Aggregated by work type and backtested
from the last 2 weekly origins whose 7-day horizon fits in August (with 2 inner folds for the selection, the
history being a month): WAPE of the selected (reconciled) model and of the seasonal naive per type and total.

Results are printed as tables and written as JSON to ``benchmarks/results/forecast_accuracy.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import forecasting
from benchmarks.common import machine_info, write_report
from forecasting.backtest import SELECTED
from models import History, read_history

DATA_ENV = "WFM_SHARED_DATA"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "forecast_accuracy.json"
PARTS = ("year", "august")

TIMEZONE = "Asia/Jerusalem"
COUNTRY = "IL"
YEAR_FILE = "calls_1999_6min.csv"
AUGUST_FILE = "calls_1999-08.csv"
HORIZON_DAYS = 7
#: Weekly origins across the last quarter of 1999: FIRST_ORIGIN + 7k days, k = 0..YEAR_ORIGINS-1.
FIRST_ORIGIN = date(1999, 10, 1)
YEAR_ORIGINS = 13
#: The August log holds one month: the last 2 weekly origins, and 2 inner folds for the model selection.
AUGUST_ORIGINS = 2
AUGUST_FOLDS = 2
#: Targets of part "year": the selected model's WAPE at most this share of the seasonal naive's ...
TARGET_RATIO_TO_NAIVE = 0.80
# ... and below statsforecast's MSTL on the same cells.
NAIVE = "seasonal_naive"
#: The simple methods a planner already uses; the selected forecast's WAPE must be at most TARGET_RATIO_TO_SIMPLE
#: times the better of them, on every set (the year, and the August total and call types with enough calls).
SIMPLE = ("same_hour_8w", "recent_average")
TARGET_RATIO_TO_SIMPLE = 0.90
MIN_CALLS_SCORED = 1_000
#: p10-p90 coverage must be within this of 80%.
COVERAGE_TARGET, COVERAGE_TOLERANCE = 0.80, 0.05
SF_SEASONS = [24, 168]
SF_ETS_MODEL = "ZZN"
SF_COLUMN = "statsforecast_mstl"
SF_NOTE = (
    "statsforecast gets ds = the naive local wall-clock time of each real hour (freq='h'): the hour repeated when "
    "DST ended (1999-09-03 01:00) appears twice and the hour skipped when it began (1999-04-02 02:00) not at all. "
    "It reads the values as one regular hourly sequence and uses ds only to label the forecast, so its seasonal "
    "periods count real hours, as ours do; no origin's week crosses a DST change."
)


def data_root(override: Path | None) -> Path:
    return override if override is not None else Path(os.environ.get(DATA_ENV, DEFAULT_DATA))


# -- part "year": the 1999 hourly totals ----------------------------------------------------------------------


@dataclass(frozen=True)
class CellScores:
    """Scores of one forecast pooled over all origins' cells."""

    wape: float
    bias: float

    @classmethod
    def of(cls, forecast: np.ndarray, actual: np.ndarray) -> CellScores:
        total = float(actual.sum())
        return cls(float(np.abs(forecast - actual).sum() / total), float((forecast - actual).sum() / total))


def year_origins() -> list[date]:
    return [FIRST_ORIGIN + timedelta(weeks=k) for k in range(YEAR_ORIGINS)]


def statsforecast_version() -> str | None:
    """statsforecast's version, or None when it cannot be imported (not installed: the comparison is skipped)."""
    try:
        import statsforecast
    except ImportError:
        return None
    return str(statsforecast.__version__)


def statsforecast_mstl(total: pd.Series, origins: list[date], horizon_hours: dict[date, int]) -> dict[date, np.ndarray]:
    """statsforecast MSTL forecasts from each origin, fitted on the hourly totals before it (see SF_NOTE)."""
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoETS

    index = pd.DatetimeIndex(total.index)
    wall = index.tz_localize(None)
    out = {}
    for origin in origins:
        cut = int(index.searchsorted(pd.Timestamp(origin, tz=index.tz)))  # the first hour of the origin's day
        frame = pd.DataFrame({"unique_id": "all", "ds": wall[:cut], "y": total.to_numpy(dtype=float)[:cut]})
        model = MSTL(season_length=SF_SEASONS, trend_forecaster=AutoETS(model=SF_ETS_MODEL))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecast = StatsForecast(models=[model], freq="h").forecast(df=frame, h=horizon_hours[origin])
        if pd.Timestamp(forecast["ds"].iloc[0]) != pd.Timestamp(origin):  # the cells must be the backtest's
            raise RuntimeError(f"statsforecast's forecast from {origin} starts at {forecast['ds'].iloc[0]}")
        out[origin] = forecast["MSTL"].to_numpy(dtype=float)
    return out


def compare_statsforecast(
    total: pd.Series, origins: list[date], naive: pd.DataFrame, per_origin: dict[date, dict[str, float]]
) -> dict[str, Any]:
    """statsforecast's MSTL scored on the cells of the backtest's seasonal naive rows (`naive`, which run by
    origin, then hour); adds its WAPE per origin to `per_origin`."""
    version = statsforecast_version()
    if version is None:
        return {"status": "skipped: statsforecast is not installed (make install-bench)"}
    actual = naive["actual"].to_numpy(dtype=float)
    hours = {o: len(g) for o, g in naive.groupby("origin", sort=True)}
    started = time.perf_counter()
    forecasts = statsforecast_mstl(total, origins, hours)
    seconds = time.perf_counter() - started
    raw = np.concatenate([forecasts[o] for o in sorted(origins)])
    naive_wape = CellScores.of(naive["volume"].to_numpy(), actual).wape
    raw_scores, clipped_scores = CellScores.of(raw, actual), CellScores.of(np.maximum(raw, 0.0), actual)
    start = 0
    for o in sorted(origins):
        cells = slice(start, start + hours[o])
        per_origin[o]["wape_statsforecast_mstl"] = CellScores.of(raw[cells], actual[cells]).wape
        start += hours[o]
    return {
        "status": "run",
        "version": version,
        "model": f"MSTL(season_length={SF_SEASONS}, trend_forecaster=AutoETS(model='{SF_ETS_MODEL}')), freq='h'",
        "note": SF_NOTE,
        "wape": raw_scores.wape,
        "bias": raw_scores.bias,
        "ratio_to_naive": raw_scores.wape / naive_wape,
        "negative_cells": int((raw < 0).sum()),
        "wape_clipped_at_zero": clipped_scores.wape,
        "ratio_to_naive_clipped_at_zero": clipped_scores.wape / naive_wape,
        "seconds": seconds,
    }


def year_history(root: Path) -> History:
    """All calls of 1999 (6-minute counts) as one work type, "all"."""
    return read_history(root / "anonbank" / YEAR_FILE, timezone=TIMEZONE, rename={"volume": "calls"}, work_type="all")


def run_year(root: Path, use_statsforecast: bool) -> dict[str, Any]:
    history = year_history(root)
    hourly = forecasting.aggregate(history, TIMEZONE)
    origins = year_origins()
    started = time.perf_counter()
    result = forecasting.backtest(
        hourly, forecasting.SpecialCalendar(country=COUNTRY), origins, horizon_days=HORIZON_DAYS
    )
    backtest_s = time.perf_counter() - started
    metrics = result.metrics
    cells = result.forecasts
    naive = cells[cells["model"] == NAIVE]
    selected = cells[cells["model"] == SELECTED]
    actual = naive["actual"].to_numpy(dtype=float)
    per_origin = {
        o: {
            "actual_volume": float(g["actual"].sum()),
            "wape_seasonal_naive": CellScores.of(g["volume"].to_numpy(), g["actual"].to_numpy()).wape,
        }
        for o, g in naive.groupby("origin", sort=True)
    }
    for o, g in selected.groupby("origin", sort=True):
        per_origin[o]["wape_selected"] = CellScores.of(g["volume"].to_numpy(), g["actual"].to_numpy()).wape
    selected_row = metrics[metrics["model"] == SELECTED].iloc[0]
    for o, g in selected.groupby("origin", sort=True):
        inside = (g["actual"] >= g["volume_p10"]) & (g["actual"] <= g["volume_p90"])
        per_origin[o]["coverage_selected"] = float(inside.mean())

    sf: dict[str, Any] = {"status": "not run (--no-statsforecast)"}
    if use_statsforecast:
        sf = compare_statsforecast(hourly.total, origins, naive, per_origin)
    sf_best = min(sf["wape"], sf["wape_clipped_at_zero"]) if sf["status"] == "run" else None
    targets = {
        "selected_ratio_to_naive": float(selected_row["ratio_to_naive"]),
        "ratio_target": TARGET_RATIO_TO_NAIVE,
        "ratio_met": bool(selected_row["ratio_to_naive"] <= TARGET_RATIO_TO_NAIVE),
        "selected_wape": float(selected_row["wape"]),
        "statsforecast_mstl_best_wape": sf_best,
        "beats_statsforecast": None if sf_best is None else bool(selected_row["wape"] < sf_best),
        **simple_targets(metrics, SELECTED),
    }
    return {
        "data": str(root / "anonbank" / YEAR_FILE),
        "history_notes": list(history.notes),
        "timezone": TIMEZONE,
        "country": COUNTRY,
        "origins": [o.isoformat() for o in origins],
        "horizon_days": HORIZON_DAYS,
        "hours_scored": int(len(actual)),
        "backtest_seconds": backtest_s,
        "metrics": _records(metrics),
        "statsforecast": sf,
        "per_origin": [{"origin": o.isoformat(), **v} for o, v in sorted(per_origin.items())],
        "oracles": oracles(selected),
        "targets": targets,
    }


def simple_targets(metrics: pd.DataFrame, model: str, work_type: str | None = None) -> dict[str, Any]:
    """The issue's figures for one series: `model`'s WAPE against the better of the simple methods, its p10-p90
    coverage, and its distance to the Poisson floor."""
    rows = metrics if work_type is None else metrics[metrics["work_type"] == work_type]
    by_model = rows.set_index("model")
    simple = by_model.loc[list(SIMPLE), "wape"]
    wape = float(by_model.loc[model, "wape"])
    floor = float(by_model.loc[model, "poisson_floor"])
    coverage = float(by_model.loc[model, "coverage_p10_p90"])
    ratio = wape / float(simple.min())
    return {
        "best_simple": str(simple.idxmin()),
        "best_simple_wape": float(simple.min()),
        "ratio_to_best_simple": ratio,
        "ratio_to_simple_met": bool(ratio <= TARGET_RATIO_TO_SIMPLE),
        "coverage": coverage,
        "coverage_met": bool(abs(coverage - COVERAGE_TARGET) <= COVERAGE_TOLERANCE),
        "poisson_floor": floor,
        "distance_to_floor": wape - floor,
        "wape_over_floor": wape / floor if floor > 0 else None,
    }


def oracles(selected: pd.DataFrame) -> dict[str, float]:
    """How much of the selected forecast's error a perfect level would remove: its WAPE with each origin's
    forecast rescaled to the week's actual total, and with each day's forecast rescaled to the day's actual
    total (the intraday profile's error and the count noise remain)."""
    week, day = [], []
    actual = selected["actual"].to_numpy(dtype=float)
    for _, g in selected.groupby("origin", sort=True):
        f, y = g["volume"].to_numpy(dtype=float), g["actual"].to_numpy(dtype=float)
        week.append(f * (y.sum() / f.sum() if f.sum() > 0 else 1.0))
        local = pd.DatetimeIndex(g["interval_start"]).tz_convert(TIMEZONE).date
        f_day = pd.Series(f).groupby(local).transform("sum").to_numpy()
        y_day = pd.Series(y).groupby(local).transform("sum").to_numpy()
        day.append(np.where(f_day > 0, f * y_day / np.maximum(f_day, 1e-12), 0.0))
    total = actual.sum()
    return {
        "wape_with_the_actual_week_totals": float(np.abs(np.concatenate(week) - actual).sum() / total),
        "wape_with_the_actual_day_totals": float(np.abs(np.concatenate(day) - actual).sum() / total),
    }


# -- part "august": the per-call log by call type -------------------------------------------------------------


def august_tickets(path: Path) -> pd.DataFrame:
    """One row per call of the August log (PHANTOM calls dropped), in the ticket-history shape."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    calls = raw[raw["outcome"] != "PHANTOM"]
    # The arrival is the VRU entry, a clock time on `date` (also for calls that run past midnight).
    created = pd.to_datetime(calls["date"], format="%Y-%m-%d") + pd.to_timedelta(calls["vru_entry"])
    service = pd.to_numeric(calls["ser_time"])
    handled = (calls["outcome"] == "AGENT") & (service > 0)
    return pd.DataFrame(
        {
            "created_at": created.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "work_type": calls["type"],
            "handle_time_s": service.where(handled),
        }
    )


def august_history(tickets: pd.DataFrame) -> History:
    """`tickets` (from `august_tickets`) written as a CSV to a temporary folder and read back as a history."""
    with tempfile.TemporaryDirectory(prefix="bench-forecast-accuracy-") as tmp:
        path = Path(tmp) / "history_1999-08.csv"
        tickets.to_csv(path, index=False)
        return read_history(path, timezone=TIMEZONE)


def run_august(root: Path) -> dict[str, Any]:
    source = root / "anonbank" / AUGUST_FILE
    tickets = august_tickets(source)
    history = august_history(tickets)
    hourly = forecasting.aggregate(history, TIMEZONE)
    origins = forecasting.last_weekly_origins(hourly, AUGUST_ORIGINS, HORIZON_DAYS)
    started = time.perf_counter()
    result = forecasting.backtest(
        hourly, forecasting.SpecialCalendar(country=COUNTRY), origins, horizon_days=HORIZON_DAYS, folds=AUGUST_FOLDS
    )
    backtest_s = time.perf_counter() - started
    metrics = result.metrics
    rows = []
    for name, group in metrics.groupby("work_type", sort=False):
        by_model = group.set_index("model")
        candidates = by_model.drop(index=SELECTED)
        rows.append(
            {
                "work_type": name,
                "actual_volume": float(by_model.loc[SELECTED, "actual_volume"]),
                "wape_selected": float(by_model.loc[SELECTED, "wape"]),
                "wape_seasonal_naive": float(by_model.loc[NAIVE, "wape"]),
                "ratio_to_naive": float(by_model.loc[SELECTED, "ratio_to_naive"]),
                "best_candidate": str(candidates["wape"].idxmin()),
                "wape_best_candidate": float(candidates["wape"].min()),
                "poisson_floor": float(by_model.loc[SELECTED, "poisson_floor"]),
                "coverage_p10_p90": float(by_model.loc[SELECTED, "coverage_p10_p90"]),
                "selected_model": str(by_model.loc[SELECTED, "selected_model"]),
                "scored": bool(by_model.loc[SELECTED, "actual_volume"] >= MIN_CALLS_SCORED),
                **simple_targets(metrics, SELECTED, str(name)),
            }
        )
    return {
        "data": str(source),
        "calls_kept": len(tickets),
        "calls_with_handle_time": int(tickets["handle_time_s"].notna().sum()),
        "history_notes": list(history.notes),
        "timezone": TIMEZONE,
        "country": COUNTRY,
        "origins": [o.isoformat() for o in origins],
        "horizon_days": HORIZON_DAYS,
        "folds": AUGUST_FOLDS,
        "backtest_seconds": backtest_s,
        "by_work_type": rows,
        "metrics": _records(metrics),
    }


# -- output ---------------------------------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def _f(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def format_year(part: dict[str, Any]) -> str:
    lines = [
        f"1999 hourly totals, {len(part['origins'])} weekly origins {part['origins'][0]} .. {part['origins'][-1]}, "
        f"{part['horizon_days']}-day horizon, {part['hours_scored']:,} hours scored",
    ]
    header = f"{'model':<24} {'WAPE':>6} {'ratio':>6} {'bias':>7} {'MASE':>6} {'cov p10-p90':>11} {'Poisson floor':>13}"
    lines += [header, "-" * len(header)]
    for r in part["metrics"]:
        lines.append(
            f"{r['model']:<24} {r['wape']:>6.3f} {r['ratio_to_naive']:>6.3f} {r['bias']:>+7.3f} {_f(r['mase']):>6} "
            f"{r['coverage_p10_p90']:>11.3f} {r['poisson_floor']:>13.3f}"
        )
    sf = part["statsforecast"]
    if sf["status"] == "run":
        for label, wape, ratio, bias in (
            (SF_COLUMN, sf["wape"], sf["ratio_to_naive"], sf["bias"]),
            (f"{SF_COLUMN} (>=0)", sf["wape_clipped_at_zero"], sf["ratio_to_naive_clipped_at_zero"], None),
        ):
            lines.append(f"{label:<24} {wape:>6.3f} {ratio:>6.3f} {_f(bias, '+.3f'):>7} {'-':>6} {'-':>11} {'-':>13}")
    else:
        lines.append(f"{SF_COLUMN:<24} {sf['status']}")
    selected = next(r for r in part["metrics"] if r["model"] == SELECTED)
    lines.append(f"selected model per origin: {selected['selected_model']}")
    if sf["status"] == "run":
        info = (
            f"statsforecast {sf['version']}: {sf['model']}. {sf['negative_cells']:,} of its "
            f"{part['hours_scored']:,} forecasts are < 0 ((>=0): clipped at zero). Time for all origins: statsforecast "
            f"{sf['seconds']:.1f} s; our backtest (5 candidates + inner selection) {part['backtest_seconds']:.1f} s."
        )
        lines.append(textwrap.fill(info, width=120))
        lines.append(textwrap.fill(f"note: {sf['note']}", width=120))
    lines.append("")
    header = f"{'origin':<10} {'calls':>7} {'naive':>7} {'selected':>8} {'cov p10-p90':>11} {SF_COLUMN:>19}"
    lines += ["WAPE per origin", header, "-" * len(header)]
    for r in part["per_origin"]:
        lines.append(
            f"{r['origin']:<10} {r['actual_volume']:>7,.0f} {r['wape_seasonal_naive']:>7.3f} "
            f"{r['wape_selected']:>8.3f} {r['coverage_selected']:>11.3f} {_f(r.get('wape_statsforecast_mstl')):>19}"
        )
    o = part["oracles"]
    lines.append(
        f"the selected forecast with each week's actual total: WAPE {o['wape_with_the_actual_week_totals']:.3f}; "
        f"with each day's actual total: {o['wape_with_the_actual_day_totals']:.3f}"
    )
    t = part["targets"]
    lines.append("")
    lines.append(
        f"issue target: selected WAPE <= {TARGET_RATIO_TO_SIMPLE:.2f} x the better of {' and '.join(SIMPLE)} "
        f"({t['best_simple']} {t['best_simple_wape']:.3f}): ratio {t['ratio_to_best_simple']:.3f} -> "
        f"{'MET' if t['ratio_to_simple_met'] else 'MISSED'}; p10-p90 coverage {t['coverage']:.3f} -> "
        f"{'MET' if t['coverage_met'] else 'MISSED'}; Poisson floor {t['poisson_floor']:.3f}, distance "
        f"{t['distance_to_floor']:.3f} ({t['wape_over_floor']:.2f} x the floor)"
    )
    lines.append(
        f"target 1: selected WAPE <= {t['ratio_target']:.2f} x seasonal naive: "
        f"ratio {t['selected_ratio_to_naive']:.3f} -> {'MET' if t['ratio_met'] else 'MISSED'}"
    )
    if t["beats_statsforecast"] is None:
        lines.append("target 2: selected WAPE < statsforecast MSTL: not checked (statsforecast not run)")
    else:
        lines.append(
            "target 2: selected WAPE < statsforecast MSTL (the better of raw and clipped): "
            f"{t['selected_wape']:.3f} vs {t['statsforecast_mstl_best_wape']:.3f} "
            f"-> {'MET' if t['beats_statsforecast'] else 'MISSED'}"
        )
    return "\n".join(lines)


def format_august(part: dict[str, Any]) -> str:
    lines = [
        f"August 1999 per-call log by type ({part['calls_kept']:,} calls, PHANTOM dropped), hourly; origins "
        f"{', '.join(part['origins'])}, {part['horizon_days']}-day horizon, {part['folds']} inner folds",
    ]
    header = (
        f"{'work type':<10} {'calls':>6} {'selected':>8} {'naive':>6} {'best simple':>20} {'ratio':>6} "
        f"{'best candidate':>22} {'floor':>6} {'cov':>5} {'target':>7}  selected model per origin"
    )
    lines += [header, "-" * len(header)]
    for r in part["by_work_type"]:
        best = f"{r['best_candidate']} {r['wape_best_candidate']:.3f}"
        simple = f"{r['best_simple']} {r['best_simple_wape']:.3f}"
        target = ("met" if r["ratio_to_simple_met"] and r["coverage_met"] else "MISSED") if r["scored"] else "-"
        lines.append(
            f"{r['work_type']:<10} {r['actual_volume']:>6,.0f} {r['wape_selected']:>8.3f} "
            f"{r['wape_seasonal_naive']:>6.3f} {simple:>20} {r['ratio_to_best_simple']:>6.3f} {best:>22} "
            f"{r['poisson_floor']:>6.3f} {r['coverage_p10_p90']:>5.3f} {target:>7}  {r['selected_model']}"
        )
    lines.append(
        textwrap.fill(
            "selected: the automatic selection, reconciled across types as forecast_centre does; best simple: the "
            f"better of {' and '.join(SIMPLE)}; ratio: selected / best simple (target <= {TARGET_RATIO_TO_SIMPLE}); "
            "best candidate: the single candidate with the lowest pooled WAPE (known only afterwards); floor: "
            "Poisson floor; cov: share of actuals in the selected model's p10-p90 band (target 0.80 +- 0.05); "
            f"target: both, for the total and the types with >= {MIN_CALLS_SCORED:,} calls scored.",
            width=120,
        )
    )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import scipy
    import statsmodels

    return machine_info(
        scipy=scipy.__version__, statsmodels=statsmodels.__version__, statsforecast=statsforecast_version()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.forecast_accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="default: both")
    parser.add_argument("--no-statsforecast", action="store_true", help="skip the statsforecast MSTL comparison")
    parser.add_argument("--data", type=Path, help=f"folder holding anonbank/ (default ${DATA_ENV} or ../shared/data)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    args = parser.parse_args(argv)
    root = data_root(args.data)
    if not (root / "anonbank").is_dir():
        print(f"real data {root / 'anonbank'} is absent: give --data or set {DATA_ENV}", file=sys.stderr)
        return 2

    report: dict[str, Any] = {
        "benchmark": "forecast_accuracy",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if "year" in args.parts:
        print("part year ...", file=sys.stderr, flush=True)
        report["year"] = run_year(root, use_statsforecast=not args.no_statsforecast)
        print(format_year(report["year"]))
    if "august" in args.parts:
        print("part august ...", file=sys.stderr, flush=True)
        report["august"] = run_august(root)
        if "year" in args.parts:
            print()
        print(format_august(report["august"]))
    write_report(args.out, report)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
