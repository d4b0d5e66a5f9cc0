"""`wfm roster`, `plan` and `check-roster`: the week's roster, the whole plan, and the independent check of a
roster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.jobs import run_plan, run_roster
from planner.loop import DEFAULT_BUDGET_S
from planner.roster import check_roster_files
from planner.roster.solver import DEFAULT_TIME_LIMIT_S
from planner.runtime import Cancellation
from planner.staffing import StaffingSettings
from wfm.core import exit_if_interrupted, run
from wfm.exit_codes import ExitCode
from wfm.options import (
    DEFAULT_DIAGNOSIS_BUDGET_S,
    Bound,
    Column,
    Deterministic,
    DiagnosisBudget,
    Exclude,
    Gap,
    HistoryTz,
    IgnoreColumn,
    LoopBudget,
    Pins,
    PlanOn,
    PreviousRoster,
    Remedies,
    ResolveLimit,
    Seed,
    TimeFormat,
    TimeLimit,
    Workers,
    WorkType,
    diagnosis_settings,
    history_format,
    loop_settings,
    parse_date,
    roster_settings,
)
from wfm.render import ProgressPrinter, print_iteration, print_plan, print_roster, print_roster_check

__all__ = ["check_roster", "plan", "roster"]


def roster(
    requirement: Annotated[Path, typer.Option(help="Requirement table (from wfm requirements).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the roster, coverage and report into.")],
    time_limit: TimeLimit = DEFAULT_TIME_LIMIT_S,
    workers: Workers = None,
    seed: Seed = 0,
    deterministic: Deterministic = False,
    gap: Gap = 0.0,
    previous: PreviousRoster = None,
    pins: Pins = None,
    bound: Bound = None,
) -> None:
    """Next week's roster: who works which shift, with breaks, covering the requirement within every contract.
    Ctrl-C stops the search and writes the best roster so far (exit 130); a second Ctrl-C quits at once."""
    cancel = Cancellation()
    settings = roster_settings(time_limit, workers, seed, deterministic, gap, cancel, whole_command=True, bound=bound)
    done = run(
        lambda: run_roster(
            requirement,
            center,
            out_dir,
            settings=settings,
            previous=previous,
            pins=pins,
            on_progress=ProgressPrinter(),
        ),
        cancel,
    )
    print_roster(done)
    exit_if_interrupted(cancel)


def plan(
    history: Annotated[Path, typer.Option(help="Ticket or interval history (CSV or Parquet).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    start: Annotated[str, typer.Option(help="First day to plan, YYYY-MM-DD.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write every stage's files into.")],
    days: Annotated[int, typer.Option(min=1, max=28, help="Days to plan.")] = 7,
    plan_on: Annotated[PlanOn, typer.Option(help="Staff for the mean forecast or a quantile.")] = PlanOn.mean,
    time_limit: TimeLimit = DEFAULT_TIME_LIMIT_S,
    workers: Workers = None,
    seed: Seed = 0,
    deterministic: Deterministic = False,
    gap: Gap = 0.0,
    previous: PreviousRoster = None,
    pins: Pins = None,
    loop_budget: LoopBudget = DEFAULT_BUDGET_S,
    resolve_limit: ResolveLimit = None,
    remedies: Remedies = True,
    diagnosis_budget: DiagnosisBudget = DEFAULT_DIAGNOSIS_BUDGET_S,
    history_tz: HistoryTz = None,
    column: Column = None,
    ignore_column: IgnoreColumn = None,
    exclude: Exclude = None,
    time_format: TimeFormat = None,
    work_type: WorkType = None,
) -> None:
    """History -> forecast -> requirement -> roster -> simulation (in a loop until the roster delivers what it
    promises) -> capacity diagnosis and remedies -> report, end to end."""
    first = parse_date(start, "--start")
    assert first is not None
    cancel = Cancellation()
    settings = roster_settings(time_limit, workers, seed, deterministic, gap, cancel)
    loop = loop_settings(loop_budget, resolve_limit)
    fmt = history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
    done = run(
        lambda: run_plan(
            history,
            center,
            out_dir,
            start=first,
            days=days,
            staffing=StaffingSettings(plan_on=plan_on.value),
            settings=settings,
            previous=previous,
            pins=pins,
            on_progress=ProgressPrinter(),
            loop=loop,
            diagnosis=diagnosis_settings(remedies, time_limit, diagnosis_budget),
            on_iteration=print_iteration,
            history_format=fmt,
        ),
        cancel,
    )
    print_plan(done)
    exit_if_interrupted(cancel)


def check_roster(
    roster: Annotated[Path, typer.Option(help="Roster table to check (CSV or Parquet).")],
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    requirement: Annotated[Path, typer.Option(help="Requirement table; its intervals are the roster's horizon.")],
    coverage: Annotated[Path | None, typer.Option(help="Coverage table to re-check against the roster.")] = None,
    previous: Annotated[
        Path | None, typer.Option(help="The published roster before the horizon (context for rest and day runs).")
    ] = None,
    pins: Annotated[Path | None, typer.Option(help="Pinned shifts that must be in the roster as pinned.")] = None,
) -> None:
    """Re-check every hard rule of docs/roster.md on a roster, independently of the solver (exit 3 if broken)."""
    done = run(lambda: check_roster_files(roster, center, requirement, coverage=coverage, previous=previous, pins=pins))
    print_roster_check(done)
    if not done.valid:
        raise typer.Exit(ExitCode.ROSTER_BREAKS_RULES)
