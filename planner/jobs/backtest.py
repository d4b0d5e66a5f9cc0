"""The job of `wfm backtest`: every forecasting model and the selection from rolling origins, the metrics
written as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from forecasting import BacktestResult, backtest, last_weekly_origins
from models import BACKTEST_METRICS, InputError, Problem
from models.io import check_output_file, table_writer, write_files
from planner.jobs.inputs import ForecastInputs

__all__ = ["BacktestJob", "run_backtest"]


@dataclass(frozen=True)
class BacktestJob:
    inputs: ForecastInputs
    result: BacktestResult
    files: list[Path]


def run_backtest(
    inputs: ForecastInputs,
    out: str | Path,
    *,
    horizon_days: int = 7,
    folds: int = 4,
    origins: Sequence[date] | None = None,
    inner_folds: int = 3,
) -> BacktestJob:
    """Backtest from `origins` (default: the last `folds` weekly origins) and write the metrics to `out`."""
    check_output_file(out)
    if horizon_days < 1:
        raise InputError("--horizon-days", Problem("", f"{horizon_days} is not a positive number of days", "use 1+"))
    chosen = list(origins) if origins else last_weekly_origins(inputs.hourly, folds, horizon_days)
    result = backtest(inputs.hourly, inputs.calendar, chosen, horizon_days, inner_folds)
    path = Path(out)
    files = write_files({path: table_writer(result.metrics, BACKTEST_METRICS, path)})
    return BacktestJob(inputs, result, files)
