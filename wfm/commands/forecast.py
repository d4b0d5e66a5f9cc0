"""`wfm validate`, `forecast`, `backtest` and `requirements`: the inputs, the forecast and the staffing
requirement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecasting import ForecastSettings
from planner.inputs import check_inputs
from planner.jobs import (
    BacktestJob,
    ForecastJob,
    RequirementJob,
    load_forecast_inputs,
    parse_origins,
    run_backtest,
    run_forecast,
    run_requirements,
)
from planner.reports import plot_forecast, plot_requirement_heatmap
from planner.staffing import StaffingSettings
from wfm.core import run
from wfm.options import (
    Column,
    Exclude,
    HistoryTz,
    IgnoreColumn,
    PlanOn,
    TimeFormat,
    WorkType,
    check_outputs,
    history_format,
    parse_date,
)
from wfm.render import print_backtest, print_forecast, print_inputs, print_requirement, print_wrote

__all__ = ["backtest_command", "forecast", "requirements", "validate"]


def validate(
    center: Annotated[Path | None, typer.Option(help="Centre configuration (YAML).")] = None,
    history: Annotated[Path | None, typer.Option(help="Ticket history (CSV or Parquet).")] = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone of the centre, when no --center is given.")] = None,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
    start: Annotated[
        str | None,
        typer.Option(help="First day of the roster week to check the centre for (default: after the history)."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=28, help="Days of the roster to check the centre for.")] = 7,
) -> None:
    """Check a centre configuration and/or a history file, and summarise them. A centre is also checked for a
    roster week: every agent must be able to keep their contract (as wfm roster checks before solving)."""
    report = run(
        lambda: check_inputs(
            center,
            history,
            timezone=tz,
            fmt=history_format(history_tz, column, ignore_column, exclude, time_format, work_type),
            start=parse_date(start, "--start"),
            days=days,
        )
    )
    print_inputs(report, center, history)


_CENTER_OPT = typer.Option("--center", help="Centre configuration (YAML); optional for forecasting.")
_TZ_OPT = typer.Option("--tz", help="IANA time zone, without --center (default UTC).")
_COUNTRY_OPT = typer.Option("--country", help="Public-holiday calendar (ISO code, e.g. GB), without --center.")


def forecast(
    history: Annotated[Path, typer.Option(help="Ticket history (CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Forecast table to write (.csv or .parquet).")],
    center: Annotated[Path | None, _CENTER_OPT] = None,
    tz: Annotated[str | None, _TZ_OPT] = None,
    country: Annotated[str | None, _COUNTRY_OPT] = None,
    start: Annotated[
        str | None, typer.Option(help="First local date to forecast (default: the day after the history).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=92, help="Days to forecast.")] = 7,
    interval_minutes: Annotated[int, typer.Option(help="Output resolution: 60 (hourly), 30, 15, ...")] = 60,
    plot: Annotated[Path | None, typer.Option(help="Also draw history, forecast and p10-p90 band (PNG).")] = None,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
) -> None:
    """Forecast volume per interval and work type, with p10/p50/p90 and AHT."""

    def job() -> tuple[ForecastJob, Path | None]:
        check_outputs(out, plot)
        fmt = history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        inputs = load_forecast_inputs(history, center, timezone=tz, country=country, fmt=fmt)
        settings = ForecastSettings(interval_minutes=interval_minutes)
        done = run_forecast(inputs, out, start=parse_date(start, "--start"), days=days, settings=settings)
        picture = plot_forecast(inputs.hourly, done.result, plot) if plot is not None else None
        return done, picture

    done, picture = run(job)
    print_forecast(done)
    out_files = [*done.files, *([picture] if picture else [])]
    print_wrote(out_files)


def backtest_command(
    history: Annotated[Path, typer.Option(help="Ticket history (CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Metrics table to write (.csv or .parquet).")],
    center: Annotated[Path | None, _CENTER_OPT] = None,
    tz: Annotated[str | None, _TZ_OPT] = None,
    country: Annotated[str | None, _COUNTRY_OPT] = None,
    horizon_days: Annotated[int, typer.Option(min=1, max=62, help="Days forecast from each origin.")] = 7,
    folds: Annotated[int, typer.Option(min=1, max=104, help="Use the last N weekly origins.")] = 4,
    origins: Annotated[
        str | None, typer.Option(help="Origins instead of --folds: DATE,DATE,... (local dates).")
    ] = None,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
) -> None:
    """Rolling-origin backtest of every model and of the automatic selection: WAPE, MASE, bias, coverage."""

    def job() -> BacktestJob:
        check_outputs(out)
        fmt = history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        inputs = load_forecast_inputs(history, center, timezone=tz, country=country, fmt=fmt)
        chosen = parse_origins(origins) if origins else None
        return run_backtest(inputs, out, horizon_days=horizon_days, folds=folds, origins=chosen)

    done = run(job)
    print_backtest(done)


def requirements(
    forecast: Annotated[Path, typer.Option(help="Forecast table (from wfm forecast).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    out: Annotated[Path, typer.Option(help="Requirement table to write (.csv or .parquet).")],
    plan_on: Annotated[PlanOn, typer.Option(help="Staff for the mean forecast or a quantile.")] = PlanOn.mean,
    shrinkage: Annotated[float | None, typer.Option(help="Override the centre's shrinkage (0-1).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Also draw a heatmap of the requirement (PNG).")] = None,
) -> None:
    """Agents needed per interval and work type: Erlang C / Erlang A, chat concurrency, deferred work."""

    def job() -> tuple[RequirementJob, Path | None]:
        check_outputs(out, plot)
        settings = StaffingSettings(plan_on=plan_on.value, shrinkage=shrinkage)
        done = run_requirements(forecast, center, out, settings=settings)
        picture = plot_requirement_heatmap(done.table, plot, done.center) if plot is not None else None
        return done, picture

    done, picture = run(job)
    print_requirement(done)
    print_wrote([*done.files, *([picture] if picture else [])])
