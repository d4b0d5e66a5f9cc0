"""`wfm assign`, `simulate` and `kpis`: the tickets dispatched, a roster simulated, what happened measured."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from models import HistoryFormat, InputError, Problem
from planner.assign import HEURISTICS, METHODS, AssignSettings
from planner.jobs import AssignJob, KpiJob, SimulationJob, run_assign, run_kpis, run_simulation
from planner.roster.solver import DEFAULT_WORKERS
from planner.simulation import DEFAULT_REPLICATIONS, Draws, SimulationSettings
from wfm.core import run
from wfm.options import (
    Column,
    Deterministic,
    Exclude,
    HandleDistribution,
    HistoryTz,
    IgnoreColumn,
    Seed,
    TimeFormat,
    Workers,
    WorkType,
    history_format,
    parse_date,
    parse_moment,
)
from wfm.render import print_assign, print_kpis, print_simulation

__all__ = ["assign_command", "kpis_command", "simulate_command"]


def assign_command(
    tickets: Annotated[Path, typer.Option(help="Open tickets (CSV or Parquet).")],
    roster: Annotated[Path, typer.Option(help="Roster table (from wfm roster).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    at: Annotated[str, typer.Option(help="The moment to plan from, YYYY-MM-DDTHH:MM (local time unless offset).")],
    out: Annotated[Path, typer.Option("--out", help="Assignment table to write (CSV or Parquet; summary .json).")],
    method: Annotated[str, typer.Option(help=f"One of {', '.join(METHODS)}.")] = "optimal",
    time_limit: Annotated[float, typer.Option(help="Seconds for the whole assignment (set-up, solve, scoring).")] = 5.0,
    horizon_minutes: Annotated[
        float | None, typer.Option(help="Plan this many minutes ahead (default: the rest of the shift).")
    ] = None,
    quality: Annotated[
        Path | None, typer.Option(help="Quality score per agent and work type (agent_id, work_type, score).")
    ] = None,
    strict_priority: Annotated[
        bool, typer.Option(help="Never trade a higher priority's lateness for a lower one's (solved level by level).")
    ] = False,
    compare: Annotated[bool, typer.Option(help="Also run the dispatch rules on the same tickets and compare.")] = True,
    workers: Workers = None,
    seed: Seed = 0,
    deterministic: Deterministic = False,
) -> None:
    """Who handles which open ticket, and when, so that SLA deadlines are met, highest priorities first."""

    def job() -> AssignJob:
        if method not in METHODS:
            raise InputError("--method", Problem("", f"'{method}' is not a method", f"use one of {', '.join(METHODS)}"))
        moment = parse_moment(at)
        try:
            settings = AssignSettings(
                time_limit_s=time_limit,
                workers=workers if workers is not None else DEFAULT_WORKERS,
                seed=seed,
                deterministic=deterministic,
                strict_priority=strict_priority,
            )
        except ValueError as exc:
            raise InputError("options", Problem("", str(exc), "see wfm assign --help")) from None
        others = [m for m in HEURISTICS if m != "earliest-finish"] if compare else []
        return run_assign(
            tickets,
            roster,
            center,
            moment,
            out,
            method=method,
            settings=settings,
            horizon_minutes=horizon_minutes,
            quality=quality,
            compare=others,
        )

    print_assign(run(job))


def simulate_command(
    roster: Annotated[Path, typer.Option(help="Roster table (from wfm roster).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the simulated figures into.")],
    forecast: Annotated[Path | None, typer.Option(help="Forecast to draw arrivals from (from wfm forecast).")] = None,
    replay: Annotated[Path | None, typer.Option(help="Per-ticket history to replay instead of a forecast.")] = None,
    assignment: Annotated[
        Path | None, typer.Option(help="A planned ticket-to-agent assignment for the routing to follow.")
    ] = None,
    replications: Annotated[int, typer.Option(min=1, help="Independent runs, for confidence intervals.")] = (
        DEFAULT_REPLICATIONS
    ),
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same figures.")] = 0,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: the machine's cores).")] = None,
    handle: Annotated[HandleDistribution, typer.Option(help="Handle-time distribution.")] = (
        HandleDistribution.lognormal
    ),
    handle_cv: Annotated[float, typer.Option(help="Handle times' coefficient of variation (lognormal).")] = 1.0,
    rate_cv: Annotated[
        float, typer.Option(help="Day-level spread of the arrival rate around the forecast (0: Poisson).")
    ] = 0.0,
    start_at: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="With --replay: simulate the rest of the day from this moment (e.g. 2026-03-23T10:30, local time), "
            "starting with the contacts the history shows waiting then.",
        ),
    ] = None,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
) -> None:
    """What a roster really achieves: a discrete-event simulation of the centre (arrivals, skills-based routing,
    patience, breaks, chat concurrency) with service level, waits, abandonment and backlog per interval."""

    def job() -> SimulationJob:
        fmt = history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        if replay is None and fmt != HistoryFormat():
            raise InputError(
                "options",
                Problem("", "the history options (--column, --exclude, ...) read a --replay file", "give --replay"),
            )
        try:
            settings = SimulationSettings(replications, seed, workers or (os.cpu_count() or 1))
            draws = Draws(handle=handle.value, handle_cv=handle_cv, rate_cv=rate_cv)
        except ValueError as exc:
            raise InputError("options", Problem("", str(exc), "see wfm simulate --help")) from None
        return run_simulation(
            roster,
            center,
            out_dir,
            forecast=forecast,
            replay=replay,
            assignment=assignment,
            settings=settings,
            draws=draws,
            history_format=fmt,
            start_at=None if start_at is None else parse_moment(start_at, "--from"),
        )

    done = run(job)
    print_simulation(done)


def kpis_command(
    history: Annotated[Path, typer.Option(help="Ticket history (per ticket, or interval counts; CSV or Parquet).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the figures into.")],
    from_date: Annotated[
        str | None, typer.Option("--from", help="First local day to measure, YYYY-MM-DD (default: the history's).")
    ] = None,
    to_date: Annotated[
        str | None, typer.Option("--to", help="Last local day to measure, YYYY-MM-DD (default: the history's).")
    ] = None,
    forecast: Annotated[Path | None, typer.Option(help="Forecast to set the actual volume against.")] = None,
    roster: Annotated[
        Path | None, typer.Option(help="Roster of the days measured: the agents' time on duty, for occupancy.")
    ] = None,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
) -> None:
    """What happened: service level against target, ASA, abandonment, first response and resolution within SLA,
    occupancy, workload balance, first-contact resolution and CSAT, per work type, day, interval and agent; with
    a forecast, actual against forecast."""

    def job() -> KpiJob:
        fmt = history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        return run_kpis(
            history,
            center,
            out_dir,
            start=parse_date(from_date, "--from"),
            end=parse_date(to_date, "--to"),
            forecast=forecast,
            roster=roster,
            history_format=fmt,
        )

    done = run(job)
    print_kpis(done)
