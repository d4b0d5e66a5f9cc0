"""`wfm intraday`: the supervisor's re-plan of the rest of a day."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from models import InputError, Problem
from planner.intraday import CHANGE_KINDS, IntradaySettings
from planner.intraday.job import IntradayJob, run_intraday
from planner.roster.solver import DEFAULT_WORKERS
from planner.simulation import DEFAULT_REPLICATIONS, SimulationSettings
from wfm.core import run
from wfm.options import (
    Column,
    Exclude,
    HistoryTz,
    IgnoreColumn,
    Seed,
    TimeFormat,
    Workers,
    WorkType,
    history_format,
    parse_moment,
)
from wfm.render import print_intraday

__all__ = ["intraday_command"]


def intraday_command(
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    roster: Annotated[Path, typer.Option(help="The published roster (from wfm roster).")],
    forecast: Annotated[Path, typer.Option(help="The day-ahead forecast at the centre's interval.")],
    actuals: Annotated[Path, typer.Option(help="The day's history so far (per ticket or interval counts).")],
    at: Annotated[str, typer.Option(help="The moment of the re-plan, YYYY-MM-DDTHH:MM (local time unless offset).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the re-plan into.")],
    absences: Annotated[
        Path | None, typer.Option(help="Absences: agent_id, start, end, reason (no end: the rest of the day).")
    ] = None,
    tickets: Annotated[Path | None, typer.Option(help="Open tickets to re-assign on the new roster.")] = None,
    requirement: Annotated[
        Path | None,
        typer.Option(help="The requirement the roster was made for (wfm plan's): its calibration carries over."),
    ] = None,
    time_limit: Annotated[float, typer.Option(help="Seconds for the re-solve and the re-assignment.")] = 4.0,
    max_changes: Annotated[int, typer.Option(min=0, help="The most changes to propose.")] = 15,
    no_change: Annotated[
        list[str] | None,
        typer.Option("--no", help=f"A kind of change not to propose ({', '.join(CHANGE_KINDS)}); repeatable."),
    ] = None,
    notice: Annotated[int, typer.Option(min=0, help="Minutes of notice before a call-in or an earlier start.")] = 60,
    replications: Annotated[
        int, typer.Option(min=0, help="Simulate the rest of the day before and after (0: do not simulate).")
    ] = DEFAULT_REPLICATIONS,
    workers: Workers = None,
    seed: Seed = 0,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
) -> None:
    """Re-plan the rest of a day: reforecast it from the actuals so far, take absences out, propose the fewest
    roster changes that protect the service level (break moves, overtime, voluntary time off, call-ins, start
    moves), and re-assign the open tickets."""

    def job() -> IntradayJob:
        unknown = sorted(set(no_change or ()) - set(CHANGE_KINDS))
        if unknown:
            raise InputError(
                "--no", Problem("", f"{', '.join(unknown)} is not a kind of change", f"use {', '.join(CHANGE_KINDS)}")
            )
        try:
            settings = IntradaySettings(
                time_limit_s=time_limit,
                max_changes=max_changes,
                workers=workers if workers is not None else DEFAULT_WORKERS,
                seed=seed,
                notice_minutes=notice,
                allowed=frozenset(CHANGE_KINDS) - frozenset(no_change or ()),
            )
        except ValueError as exc:
            raise InputError("options", Problem("", str(exc), "see wfm intraday --help")) from None
        return run_intraday(
            center,
            roster,
            forecast,
            actuals,
            parse_moment(at),
            out_dir,
            absences=absences,
            tickets=tickets,
            settings=settings,
            history_format=history_format(history_tz, column, ignore_column, exclude, time_format, work_type),
            simulation=SimulationSettings(replications, seed, os.cpu_count() or 1) if replications else None,
            requirement=requirement,
        )

    print_intraday(run(job))
