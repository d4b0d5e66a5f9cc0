"""The options the `wfm` commands share (typer `Annotated` types), their enumerations, and their parsing into
what the jobs take: dates, moments, a `HistoryFormat`, roster, loop and diagnosis settings."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from models import HistoryFormat, InputError, Problem
from models.io import check_output_file
from planner.diagnosis import DiagnosisSettings
from planner.loop import LoopSettings
from planner.roster import RosterSettings
from planner.roster.solver import DEFAULT_WORKERS
from planner.runtime import Cancellation
from wfm import STARTED

__all__ = [
    "DEFAULT_DIAGNOSIS_BUDGET_S",
    "DIAGNOSIS_TIME_LIMIT_S",
    "Column",
    "DaskWorkers",
    "Database",
    "Deterministic",
    "DiagnosisBudget",
    "Exclude",
    "Gap",
    "HandleDistribution",
    "HistoryShape",
    "HistoryTz",
    "IgnoreColumn",
    "LoopBudget",
    "Pins",
    "PlanOn",
    "PreviousRoster",
    "Remedies",
    "ResolveLimit",
    "Scheduler",
    "Seed",
    "Size",
    "TimeFormat",
    "TimeLimit",
    "WorkType",
    "Workers",
    "check_outputs",
    "diagnosis_settings",
    "history_format",
    "loop_settings",
    "parse_date",
    "parse_moment",
    "roster_settings",
]

#: Each re-solve of the capacity diagnosis (relaxations and remedies), at most.
DIAGNOSIS_TIME_LIMIT_S = 10.0
#: The diagnosis' time after which `wfm plan` tries no larger remedies.
DEFAULT_DIAGNOSIS_BUDGET_S = 600.0


class Size(StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"


class HistoryShape(StrEnum):
    tickets = "tickets"
    intervals = "intervals"


class PlanOn(StrEnum):
    mean = "mean"
    p50 = "p50"
    p90 = "p90"


class HandleDistribution(StrEnum):
    lognormal = "lognormal"
    exponential = "exponential"


# -- how a history file is read: the same options on every command that reads one ----------------------------------

HistoryTz = Annotated[
    str | None,
    typer.Option(
        help="Zone of history timestamps without a UTC offset (default: the centre's, or --tz).",
        rich_help_panel="History file",
    ),
]
Column = Annotated[
    list[str] | None,
    typer.Option(
        help="Map a history column: CANONICAL=YOURS, e.g. created_at=opened; join a date and a time column into one "
        "timestamp with '+': created_at=date+time. Repeatable.",
        rich_help_panel="History file",
    ),
]
IgnoreColumn = Annotated[
    list[str] | None,
    typer.Option(
        help="A column of the history to drop before any check (e.g. a priority on another scale). Repeatable.",
        rich_help_panel="History file",
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option(
        help="Leave out the history rows that match COLUMN=VALUE or COLUMN!=VALUE (join conditions with '&': "
        "outcome=HANG&q_start=0:00:00); values as written in the file. Repeatable: a row matching any is left out.",
        rich_help_panel="History file",
    ),
]
TimeFormat = Annotated[
    str | None,
    typer.Option(
        help="strftime format of the history's timestamps, e.g. '%d/%m/%Y %H:%M' (of a joined column: its parts' "
        "formats joined by a space). Default: ISO 8601.",
        rich_help_panel="History file",
    ),
]
WorkType = Annotated[
    str | None,
    typer.Option(
        help="Work type of every row, for a history file without a work_type column.", rich_help_panel="History file"
    ),
]


def history_format(
    history_tz: str | None,
    column: list[str] | None,
    ignore_column: list[str] | None,
    exclude: list[str] | None,
    time_format: str | None,
    work_type: str | None,
) -> HistoryFormat:
    """The history options of a command (`HistoryTz`, `Column`, ...) as the loader's `HistoryFormat`."""
    return HistoryFormat(
        columns=_parse_columns(column),
        ignore=tuple(ignore_column or ()),
        exclude=tuple(exclude or ()),
        time_format=time_format,
        assume_timezone=history_tz,
        work_type=work_type,
    )


def _parse_columns(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        canonical, sep, theirs = pair.partition("=")
        if not sep or not canonical.strip() or not theirs.strip():
            raise InputError(
                "--column", Problem("", f"'{pair}' is not CANONICAL=YOURS", "write e.g. --column created_at=opened")
            )
        mapping[canonical.strip()] = theirs.strip()
    return mapping


# -- the roster solve, the simulation loop and the capacity diagnosis ---------------------------------------------

TimeLimit = Annotated[
    float,
    typer.Option(
        help="Seconds for the roster solve: warm start, search and break placement together. wfm roster: the whole "
        "command (reading and writing included) ends by then, unless the limit is below its fixed work (a few "
        "seconds: see docs/roster.md). With --deterministic: CP-SAT's deterministic seconds, not wall seconds."
    ),
]
Workers = Annotated[int | None, typer.Option(help="CP-SAT workers (default: the machine's cores, at most 8).")]
Seed = Annotated[int, typer.Option(help="Solver seed.")]
Bound = Annotated[
    bool | None,
    typer.Option(
        "--bound/--no-bound",
        help="Prove a lower bound by column generation beside the search (default: with 3 workers or more and a "
        "search of 20 s or more; on 2 cores it takes one from the search).",
        show_default=False,
    ),
]
Deterministic = Annotated[
    bool,
    typer.Option(
        help="Same input, same roster: the time limit counts CP-SAT's deterministic seconds, which the wall clock "
        "does not bound (measured on 2 cores: the whole command took 3.6 to 7.9 times the limit; docs/roster.md)."
    ),
]
Gap = Annotated[float, typer.Option(help="Stop when the proven relative gap is at most this (0: solve to the limit).")]
LoopBudget = Annotated[
    float,
    typer.Option(
        min=0,
        help="Seconds for the simulation loop: roster, simulate, re-solve where the simulation falls short "
        "(0: one roster, simulated).",
    ),
]
ResolveLimit = Annotated[
    float | None, typer.Option(help="Seconds for each re-solve in the loop (default: --time-limit).")
]
DiagnosisBudget = Annotated[
    float,
    typer.Option(
        min=0, help="Seconds after which the diagnosis tries no larger remedies (the first try of each runs)."
    ),
]
Remedies = Annotated[
    bool, typer.Option(help="Try remedies (cross-training, extra hours, a hire) for work types short of target.")
]
PreviousRoster = Annotated[
    Path | None, typer.Option(help="The published roster before the horizon (rest, day runs across the boundary).")
]
Pins = Annotated[Path | None, typer.Option(help="Shifts to keep as they are (a roster table).")]


def roster_settings(
    time_limit: float,
    workers: int | None,
    seed: int,
    deterministic: bool,
    gap: float,
    cancel: Cancellation | None = None,
    whole_command: bool = False,
    bound: bool | None = None,
) -> RosterSettings:
    """`whole_command`: the time limit is the command's deadline, counted from its start (wall-clock mode)."""
    try:
        return RosterSettings(
            time_limit_s=time_limit,
            workers=workers if workers is not None else DEFAULT_WORKERS,
            seed=seed,
            deterministic=deterministic,
            relative_gap=gap,
            deadline=STARTED + time_limit if whole_command and not deterministic else None,
            cancel=cancel,
            bound=bound,
        )
    except ValueError as exc:
        raise InputError("options", Problem("", str(exc), "see wfm roster --help")) from None


def loop_settings(budget_s: float, resolve_limit_s: float | None) -> LoopSettings:
    """--loop-budget 0: a single roster, simulated (the loop's first pass)."""
    if budget_s == 0:
        return LoopSettings(max_iterations=1)
    return LoopSettings(budget_s=budget_s, resolve_time_limit_s=resolve_limit_s)


def diagnosis_settings(remedies: bool, time_limit_s: float, budget_s: float) -> DiagnosisSettings:
    return DiagnosisSettings(
        remedies=remedies, time_limit_s=min(time_limit_s, DIAGNOSIS_TIME_LIMIT_S), budget_s=budget_s
    )


# -- what-if scenarios and the planning service ------------------------------------------------------------------

Scheduler = Annotated[
    str | None,
    typer.Option(help="A Dask scheduler's address (tcp://HOST:8786); default: a local cluster started and stopped."),
]
DaskWorkers = Annotated[int, typer.Option(min=1, help="Worker processes of the local cluster.")]
Database = Annotated[
    str,
    typer.Option("--db", help="The store: sqlite:///FILE.db (default wfm.db here) or postgresql+psycopg://..."),
]


# -- dates, moments and output paths ---------------------------------------------------------------------------------


def parse_date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(flag, Problem("", f"'{text}' is not a date", "write YYYY-MM-DD")) from None


def parse_moment(text: str, option: str = "--at") -> pd.Timestamp:
    problem = Problem("", f"'{text}' is not a date and time", "write e.g. 2026-03-23T10:30")
    try:
        moment = pd.Timestamp(text)
    except ValueError:
        raise InputError(option, problem) from None
    if pd.isna(moment):
        raise InputError(option, problem)
    return moment


def check_outputs(out: Path, plot: Path | None = None) -> None:
    """A command's output table (and picture) can be written: checked before any work."""
    check_output_file(out)
    if plot is not None:
        check_output_file(plot, "--plot", table=False)
