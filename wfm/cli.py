"""The `wfm` command line: parse arguments, call one function, print a short summary.

Exit codes: 0 success, 2 bad input (the message names the file, row, field and what to do; nothing is
written), 1 internal error, 3 a roster that breaks a rule (`wfm check-roster`).
"""

from __future__ import annotations

import math
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer
from rich.console import Console

from forecasting import ForecastSettings
from models import HistoryFormat, InputError, PlannerError, Problem
from models.io import check_output_file, discard_staged_files
from planner.assign import HEURISTICS, METHODS, AssignSettings
from planner.cpsat import stop_all_searches
from planner.diagnosis import Diagnosis, DiagnosisSettings
from planner.inputs import CenterSummary, HistorySummary, InputReport, check_inputs
from planner.intraday import CHANGE_KINDS, IntradaySettings
from planner.intraday.job import IntradayJob, run_intraday
from planner.jobs import (
    AssignJob,
    BacktestJob,
    ForecastJob,
    KpiJob,
    RequirementJob,
    RosterJob,
    SimulationJob,
    load_forecast_inputs,
    parse_origins,
    run_assign,
    run_backtest,
    run_forecast,
    run_kpis,
    run_plan,
    run_requirements,
    run_roster,
    run_simulation,
)
from planner.loop import DEFAULT_BUDGET_S, Iteration, LoopResult, LoopSettings
from planner.reports import plot_forecast, plot_requirement_heatmap
from planner.roster import Progress, RosterSettings
from planner.roster.solver import DEFAULT_TIME_LIMIT_S, DEFAULT_WORKERS
from planner.runtime import Cancellation, Interrupted, keep_freed_memory
from planner.simulation import DEFAULT_REPLICATIONS, Draws, SimulationSettings
from planner.staffing import StaffingSettings
from scenarios.demo import DemoReport, run_demo
from scenarios.generator import DEFAULT_HISTORY_WEEKS, DEFAULT_SEED, GeneratorSettings
from wfm import STARTED

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED", "app", "main"]

EXIT_BAD_INPUT = 2
#: The demo's roster solve: enough for a good week of the M centre on two cores, short enough to wait for.
DEMO_TIME_LIMIT_S = 20.0
#: The demo's simulation loop and its re-solves: the whole demo stays under 3 minutes on two cores.
DEMO_LOOP_BUDGET_S = 30.0
DEMO_RESOLVE_LIMIT_S = 10.0
DEMO_DIAGNOSIS_BUDGET_S = 110.0
#: Each re-solve of the capacity diagnosis (relaxations and remedies), at most.
DIAGNOSIS_TIME_LIMIT_S = 10.0
#: The diagnosis' time after which `wfm plan` tries no larger remedies.
DEFAULT_DIAGNOSIS_BUDGET_S = 600.0
EXIT_INTERNAL_ERROR = 1
#: Stopped by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
DEBUG_ENV = "WFM_DEBUG"

app = typer.Typer(
    name="wfm",
    help="Workforce planning for customer-service teams: forecast, staffing, rosters and assignment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

T = TypeVar("T")


class Size(StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"


class HistoryShape(StrEnum):
    tickets = "tickets"
    intervals = "intervals"


class _CtrlC:
    """Ctrl-C while a command runs. The first press cancels the run's `Cancellation`: code that honours it (the
    roster solve, the simulation loop, writing a roster) stops within a moment and keeps the best roster so far;
    anywhere else the press interrupts at once (KeyboardInterrupt, nothing written). A second press exits at once
    with 130, writing nothing more.

    CP-SAT runs in C++ with the main thread waiting, where Python's own handler cannot run until the search ends; so
    the signal is also written to a wakeup socket that a watcher thread reads: it cancels the token (which stops the
    searches) and handles the second press."""

    def __init__(self, cancel: Cancellation, stopping: str = "stopping with the best roster so far") -> None:
        self.cancel = cancel
        self.stopping = stopping
        self.active = False

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals reach the main thread only
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            return self  # started with Ctrl-C ignored (nohup, a background job): keep it so
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._old_handler = signal.signal(signal.SIGINT, self._on_signal)
        self._watcher = threading.Thread(target=self._watch, name="ctrl-c", daemon=True)
        self._watcher.start()
        self.active = True
        return self

    def __exit__(self, *_: object) -> None:
        if not self.active:
            return
        signal.signal(signal.SIGINT, self._old_handler)
        signal.set_wakeup_fd(self._old_fd)
        self._writer.close()  # the watcher reads the end of the stream and returns
        self._watcher.join(timeout=1.0)
        self._reader.close()
        self.active = False

    def _on_signal(self, signum: int, frame: object) -> None:
        if not self.cancel.honoured:
            self.cancel.cancel()
            raise KeyboardInterrupt

    def _watch(self) -> None:
        presses = 0
        while True:
            try:
                data = self._reader.recv(64)
            except OSError:
                return
            if not data:
                return
            for _ in range(data.count(bytes([signal.SIGINT]))):
                presses += 1
                if presses == 1:
                    if self.cancel.honoured:
                        err.print(
                            f"Ctrl-C: {self.stopping} (press again to quit at once, writing nothing more) ...",
                            markup=False,
                        )
                    else:  # the main thread may wait in a search that no token stops: stop it, then it interrupts
                        stop_all_searches()
                    self.cancel.cancel()
                else:
                    os.write(2, b"interrupted again: quitting at once\n")
                    discard_staged_files()
                    os._exit(EXIT_INTERRUPTED)


def _run(action: Callable[[], T], cancel: Cancellation | None = None, stopping: str | None = None) -> T:
    """Run a command's one call under Ctrl-C handling (`_CtrlC`; `cancel` is the token the call honours, `stopping`
    what its first Ctrl-C does), mapping the planner's errors to exit codes."""
    with _CtrlC(cancel or Cancellation(), *([stopping] if stopping else [])):
        try:
            return action()
        except Interrupted as exc:
            err.print(f"interrupted: {exc}", markup=False)
            calendars = [p for p in exc.files if str(p).endswith(".ics")]
            others = [p for p in exc.files if not str(p).endswith(".ics")]
            if others:
                listed = ", ".join(str(p) for p in others)
                err.print(f"Wrote: {listed}" + (f", and {len(calendars)} calendars" if calendars else ""), markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except PlannerError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True)
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing more written", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # an internal error: say so plainly, with the trace on request
            err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
            if os.environ.get(DEBUG_ENV):
                err.print(traceback.format_exc(), markup=False)
            else:
                err.print(f"(set {DEBUG_ENV}=1 for the traceback; please report it)", markup=False)
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None


def _exit_if_interrupted(cancel: Cancellation) -> None:
    """Exit 130 after a command that Ctrl-C reached while it finished (its files are written)."""
    if cancel.cancelled:
        raise typer.Exit(EXIT_INTERRUPTED)


def _check_outputs(out: Path, plot: Path | None = None) -> None:
    """A command's output table (and picture) can be written: checked before any work."""
    check_output_file(out)
    if plot is not None:
        check_output_file(plot, "--plot", table=False)


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


def _history_format(
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


def _print_history_remarks(warnings: list[str], notes: list[str]) -> None:
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)
    for note in notes:
        err.print(f"note: {note}", markup=False)


@app.command()
def demo(
    size: Annotated[Size, typer.Option(help="Centre size: S ~20 agents, M ~100, L ~300, XL ~1,000.")] = Size.M,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the demo centre into.")] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = DEFAULT_SEED,
    history_weeks: Annotated[
        int, typer.Option(min=3, max=520, help="Weeks of history (3+, so that there is enough to forecast).")
    ] = DEFAULT_HISTORY_WEEKS,
    history_shape: Annotated[
        HistoryShape, typer.Option(help="One row per ticket, or counts per 15-min interval.")
    ] = HistoryShape.tickets,
    time_limit: Annotated[float, typer.Option(help="Seconds for the roster solver.")] = DEMO_TIME_LIMIT_S,
    workers: Workers = None,
    loop_budget: LoopBudget = DEMO_LOOP_BUDGET_S,
    resolve_limit: ResolveLimit = None,
    remedies: Remedies = True,
    diagnosis_budget: DiagnosisBudget = DEMO_DIAGNOSIS_BUDGET_S,
) -> None:
    """Generate the built-in demo centre and its history, check them, and plan its week end to end (as wfm plan:
    forecast, requirement, roster in the simulation loop, diagnosis and remedies, report)."""
    settings = GeneratorSettings(
        size=size.value, seed=seed, history_weeks=history_weeks, history_shape=history_shape.value
    )
    cancel = Cancellation()
    roster_settings = _roster_settings(time_limit, workers, 0, False, 0.0, cancel)
    loop = _loop_settings(loop_budget, resolve_limit or min(time_limit, DEMO_RESOLVE_LIMIT_S))
    diagnosis = _diagnosis_settings(remedies, time_limit, diagnosis_budget)
    report = _run(
        lambda: run_demo(
            settings,
            out_dir,
            roster_settings,
            on_progress=_ProgressPrinter(),
            loop=loop,
            diagnosis_settings=diagnosis,
            on_iteration=_print_iteration,
        ),
        cancel,
    )
    _print_demo(report)
    _exit_if_interrupted(cancel)


@app.command()
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
    report = _run(
        lambda: check_inputs(
            center,
            history,
            timezone=tz,
            fmt=_history_format(history_tz, column, ignore_column, exclude, time_format, work_type),
            start=_parse_date(start, "--start"),
            days=days,
        )
    )
    _print_inputs(report, center, history)


_CENTER_OPT = typer.Option("--center", help="Centre configuration (YAML); optional for forecasting.")
_TZ_OPT = typer.Option("--tz", help="IANA time zone, without --center (default UTC).")
_COUNTRY_OPT = typer.Option("--country", help="Public-holiday calendar (ISO code, e.g. GB), without --center.")


@app.command()
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
        _check_outputs(out, plot)
        fmt = _history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        inputs = load_forecast_inputs(history, center, timezone=tz, country=country, fmt=fmt)
        settings = ForecastSettings(interval_minutes=interval_minutes)
        done = run_forecast(inputs, out, start=_parse_date(start, "--start"), days=days, settings=settings)
        picture = plot_forecast(inputs.hourly, done.result, plot) if plot is not None else None
        return done, picture

    done, picture = _run(job)
    _print_forecast(done)
    out_files = [*done.files, *([picture] if picture else [])]
    console.print("Wrote: " + ", ".join(str(p) for p in out_files))


@app.command("backtest")
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
        _check_outputs(out)
        fmt = _history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        inputs = load_forecast_inputs(history, center, timezone=tz, country=country, fmt=fmt)
        chosen = parse_origins(origins) if origins else None
        return run_backtest(inputs, out, horizon_days=horizon_days, folds=folds, origins=chosen)

    done = _run(job)
    _print_backtest(done)


class PlanOn(StrEnum):
    mean = "mean"
    p50 = "p50"
    p90 = "p90"


@app.command()
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
        _check_outputs(out, plot)
        settings = StaffingSettings(plan_on=plan_on.value, shrinkage=shrinkage)
        done = run_requirements(forecast, center, out, settings=settings)
        picture = plot_requirement_heatmap(done.table, plot, done.center) if plot is not None else None
        return done, picture

    done, picture = _run(job)
    _print_requirement(done)
    console.print("Wrote: " + ", ".join(str(p) for p in [*done.files, *([picture] if picture else [])]))


class _ProgressPrinter:
    """Live progress of a solve, at most a line a second (and every first and last line)."""

    def __init__(self) -> None:
        self.last = -1.0

    def __call__(self, step: Progress) -> None:
        if step.elapsed_s - self.last < 1.0 and self.last >= 0:
            return
        self.last = step.elapsed_s
        err.print(
            f"  {step.elapsed_s:7.1f} s  objective {step.objective:12,.1f}  bound {step.bound:12,.1f}  "
            f"gap {step.gap:7.2%}",
            markup=False,
        )


def _roster_settings(
    time_limit: float,
    workers: int | None,
    seed: int,
    deterministic: bool,
    gap: float,
    cancel: Cancellation | None = None,
    whole_command: bool = False,
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
        )
    except ValueError as exc:
        raise InputError("options", Problem("", str(exc), "see wfm roster --help")) from None


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


@app.command()
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
) -> None:
    """Next week's roster: who works which shift, with breaks, covering the requirement within every contract.
    Ctrl-C stops the search and writes the best roster so far (exit 130); a second Ctrl-C quits at once."""
    cancel = Cancellation()
    settings = _roster_settings(time_limit, workers, seed, deterministic, gap, cancel, whole_command=True)
    done = _run(
        lambda: run_roster(
            requirement,
            center,
            out_dir,
            settings=settings,
            previous=previous,
            pins=pins,
            on_progress=_ProgressPrinter(),
        ),
        cancel,
    )
    _print_roster(done)
    _exit_if_interrupted(cancel)


@app.command()
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
    first = _parse_date(start, "--start")
    assert first is not None
    cancel = Cancellation()
    settings = _roster_settings(time_limit, workers, seed, deterministic, gap, cancel)
    loop = _loop_settings(loop_budget, resolve_limit)
    fmt = _history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
    done = _run(
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
            on_progress=_ProgressPrinter(),
            loop=loop,
            diagnosis=_diagnosis_settings(remedies, time_limit, diagnosis_budget),
            on_iteration=_print_iteration,
            history_format=fmt,
        ),
        cancel,
    )
    _print_history_remarks(done.forecast.inputs.warnings, done.forecast.inputs.notes)
    for note in done.forecast.result.notes:  # what the forecast dropped or moved while closed, among others
        err.print(f"note: {note}", markup=False)
    _print_requirement(done.requirement)
    _print_roster(done.roster)
    if done.simulation is not None:
        _print_simulation(done.simulation)
    if done.loop is not None and done.diagnosis is not None:
        _print_plan_quality(done.loop, done.diagnosis)
    _exit_if_interrupted(cancel)


def _diagnosis_settings(remedies: bool, time_limit_s: float, budget_s: float) -> DiagnosisSettings:
    return DiagnosisSettings(
        remedies=remedies, time_limit_s=min(time_limit_s, DIAGNOSIS_TIME_LIMIT_S), budget_s=budget_s
    )


def _loop_settings(budget_s: float, resolve_limit_s: float | None) -> LoopSettings:
    """--loop-budget 0: a single roster, simulated (the loop's first pass)."""
    if budget_s == 0:
        return LoopSettings(max_iterations=1)
    return LoopSettings(budget_s=budget_s, resolve_time_limit_s=resolve_limit_s)


def _print_iteration(step: Iteration) -> None:
    levels = ", ".join(f"{w} {v:.0%}" for w, v in step.service_level.items() if v is not None)
    console.print(
        f"  loop {step.number}: {step.paid_hours:,.0f} paid hours, {step.cells_below} cells below target, "
        f"simulated {levels} ({step.elapsed_s:.0f} s)",
        markup=False,
    )


def _print_plan_quality(loop: LoopResult, diagnosis: Diagnosis) -> None:
    console.print("; ".join(loop.notes) + ".", markup=False)
    if not diagnosis.shortfalls:
        console.print("Capacity diagnosis: every work type is simulated within tolerance of its target.")
        return
    console.print(f"Capacity diagnosis ({diagnosis.elapsed_s:.0f} s):", markup=False)
    for work_type, short in diagnosis.shortfalls.items():
        console.print(
            f"  {work_type}: simulated {short.simulated:.1%} against {short.target:.0%}, short "
            f"{short.agent_hours_short:,.0f} agent-hours. Binding: {short.binding}: {short.reason}.",
            markup=False,
        )
        for rank, remedy in enumerate(diagnosis.ranked(work_type), start=1):
            level = remedy.service_level.get(work_type)
            console.print(
                f"    {rank}. {remedy.description}: extra weekly pay {remedy.extra_cost:,.0f}, "
                f"{work_type} simulated {'-' if level is None else f'{level:.1%}'}"
                f"{' (meets target)' if remedy.meets.get(work_type) else ''}",
                markup=False,
            )
    if diagnosis.notes:
        console.print("  " + "; ".join(diagnosis.notes) + ".", markup=False)


def _print_roster(done: RosterJob) -> None:
    result = done.result
    if result.interrupted:
        err.print("interrupted: best roster so far (validated; not searched to the time limit)", markup=False)
    console.print(
        f"Roster: {result.status}, objective {result.objective:,.1f}, bound {result.best_bound:,.1f}, "
        f"gap {result.gap:.2%}, {result.solve_time_s:.1f} s "
        f"(first roster after {result.first_solution_s or 0:.1f} s); validator: passed.",
        markup=False,
    )
    table = _TextTable("rule", "points")
    for name, value in result.breakdown.items():
        table.add_row(name, f"{value:,.1f}")
    console.print(str(table), markup=False)
    kpis = result.kpis
    levels = ", ".join(
        [f"{w} {v:.0%}" for w, v in kpis["expected_service_level"].items() if v is not None]
        + [f"{w} {v:.0%} in time" for w, v in kpis.get("deferred_work_in_time", {}).items() if v is not None]
    )
    short = ", ".join(f"{k} {v:.1f}" for k, v in kpis["understaffed_agent_hours"].items())
    console.print(
        f"{kpis['shifts']} shifts for {kpis['agents_rostered']} agents, {kpis['paid_hours']:,.1f} paid hours, cost "
        f"{kpis['paid_cost']:,.2f}. Understaffed agent-hours: {short}. Expected service level: {levels}.",
        markup=False,
    )
    calendars = [p for p in done.files if p.suffix == ".ics"]
    others = [p for p in done.files if p.suffix != ".ics"]
    console.print(
        "Wrote: " + ", ".join(str(p) for p in others) + (f", and {len(calendars)} calendars" if calendars else ""),
        markup=False,
    )


@app.command("assign")
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
        moment = _parse_moment(at)
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

    _print_assign(_run(job))


def _parse_moment(text: str, option: str = "--at") -> pd.Timestamp:
    problem = Problem("", f"'{text}' is not a date and time", "write e.g. 2026-03-23T10:30")
    try:
        moment = pd.Timestamp(text)
    except ValueError:
        raise InputError(option, problem) from None
    if pd.isna(moment):
        raise InputError(option, problem)
    return moment


def _print_assign(done: AssignJob) -> None:
    result = done.result
    console.print(
        f"Assignment ({result.method}): {result.status}, objective {result.objective:,.1f}, bound "
        f"{result.best_bound:,.1f}, gap {result.gap:.2%}, {result.solve_time_s:.1f} s; "
        f"{result.kpis['assigned']:,} of {result.kpis['tickets']:,} tickets assigned.",
        markup=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    table = _TextTable(
        "method", "weighted breaches", "breaches by priority", "late minutes", "unassigned", "max work h"
    )
    for r in [result, *done.compared.values()]:
        k = r.kpis
        by_priority = ", ".join(f"P{p} {n}" for p, n in k["predicted_breaches_by_priority"].items())
        table.add_row(
            r.method,
            f"{k['priority_weighted_breaches']:,.0f}",
            by_priority or "-",
            f"{k['lateness_minutes']:,.0f}",
            f"{k['unassigned']:,}",
            f"{k['work_minutes_per_agent']['max'] / 60:.1f}",
        )
    console.print(str(table), markup=False)
    for reason, count in result.kpis["unassigned_by_reason"].items():
        console.print(f"unassigned: {count} ({reason})", markup=False)
    console.print("Wrote: " + ", ".join(str(p) for p in done.files), markup=False)


class HandleDistribution(StrEnum):
    lognormal = "lognormal"
    exponential = "exponential"


@app.command("simulate")
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
        fmt = _history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
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
            start_at=None if start_at is None else _parse_moment(start_at, "--from"),
        )

    done = _run(job)
    _print_simulation(done)


def _percent_ci(value: float, low: float, high: float) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:.1%}" + ("" if pd.isna(low) else f" [{low:.1%}, {high:.1%}]")


def _print_simulation(done: SimulationJob) -> None:
    summary = done.result.summary
    console.print(
        f"Simulation: {summary['replications']} replications ({summary['policy']} routing, "
        f"{summary['contacts_per_replication']:,.0f} contacts each, {summary['wall_s']:.1f} s). Service level "
        f"{_percent_ci(summary['service_level'], *summary['service_level_ci'])}, abandoned "
        f"{_percent_ci(summary['abandon_rate'], *summary['abandon_rate_ci'])}, occupancy "
        f"{_percent_ci(summary['occupancy'], *summary['occupancy_ci'])}.",
        markup=False,
    )
    if "state" in summary:
        state = summary["state"]
        console.print(
            f"From {state['at']}: the rest of the day, with {state['waiting']:,} contact(s) waiting and "
            f"{state['in_progress']:,} in progress then.",
            markup=False,
        )
    table = _TextTable("work type", "target", "planned", "simulated [95% CI]", "abandoned", "ASA s", "breaches")
    expected = {}
    if done.comparison is not None:
        expected = dict(zip(done.comparison["work_type"], done.comparison["planned_service_level"], strict=True))
    for row in done.result.work_types.to_dict("records"):
        erlang = expected.get(row["work_type"])
        table.add_row(
            str(row["work_type"]),
            f"{row['target_service_level']:.0%}",
            "-" if erlang is None or pd.isna(erlang) else f"{erlang:.0%}",
            _percent_ci(row["service_level"], row["service_level_lo"], row["service_level_hi"]),
            "-" if pd.isna(row["abandon_rate"]) else f"{row['abandon_rate']:.1%}",
            "-" if pd.isna(row["asa_s"]) else f"{row['asa_s']:,.0f}",
            f"{row['sla_breaches']:,.0f}",
        )
    console.print(str(table), markup=False)
    for note in done.notes:
        err.print(f"note: {note}", markup=False)
    console.print("Wrote: " + ", ".join(str(p) for p in done.files), markup=False)


@app.command("kpis")
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
        fmt = _history_format(history_tz, column, ignore_column, exclude, time_format, work_type)
        return run_kpis(
            history,
            center,
            out_dir,
            start=_parse_date(from_date, "--from"),
            end=_parse_date(to_date, "--to"),
            forecast=forecast,
            roster=roster,
            history_format=fmt,
        )

    done = _run(job)
    _print_kpis(done)


def _percent(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1%}"


def _print_kpis(done: KpiJob) -> None:
    result = done.result
    summary = result.summary
    by_type = result.by_work_type
    judged = f"; open contacts judged at {summary['as_of']}" if "unresolved" in by_type.columns else ""
    console.print(
        f"KPIs from {summary['from']} to {summary['to']}: {summary['contacts']:,.0f} contacts "
        f"({'one row per ticket' if summary['history'] == 'tickets' else 'interval counts'}){judged}.",
        markup=False,
    )
    shown: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        ("offered", "offered", lambda r: f"{r['offered']:,.0f}"),
        ("service level", "service_level", lambda r: _percent(r["service_level"])),
        ("target", "within_s", lambda r: f"{r['target_service_level']:.0%} in {r['within_s']:,} s"),
        ("ASA s", "asa_s", lambda r: "-" if math.isnan(r["asa_s"]) else f"{r['asa_s']:,.0f}"),
        ("abandoned", "abandon_rate", lambda r: _percent(r["abandon_rate"])),
        ("resolved in SLA", "resolved_within_sla", lambda r: _percent(r["resolved_within_sla"])),
        ("AHT s", "aht_s", lambda r: "-" if math.isnan(r["aht_s"]) else f"{r['aht_s']:,.0f}"),
        ("FCR", "first_contact_resolution", lambda r: _percent(r["first_contact_resolution"])),
        ("CSAT", "csat_mean", lambda r: "-" if math.isnan(r["csat_mean"]) else f"{r['csat_mean']:.2f}"),
        ("WAPE", "wape", lambda r: _percent(r["wape"])),
    ]
    columns = [(header, render) for header, key, render in shown if key in by_type.columns]
    table = _TextTable("work type", *(header for header, _ in columns))
    for record in by_type.to_dict("records"):
        row = {str(key): value for key, value in record.items()}
        table.add_row(str(row["work_type"]), *(render(row) for _, render in columns))
    console.print(str(table), markup=False)
    if "occupancy" in summary:
        console.print(f"Occupancy: {_percent(summary['occupancy'])} of the time on duty.", markup=False)
    balance = summary.get("workload_balance", {})
    if "handled" in balance:
        handled = balance["handled"]
        cv = "-" if handled["cv"] is None else f"{handled['cv']:.2f}"
        console.print(
            f"Workload across {handled['agents']} agents: {handled['min']:,.0f} to {handled['max']:,.0f} contacts "
            f"each (coefficient of variation {cv}).",
            markup=False,
        )
    _print_history_remarks(done.warnings, done.notes)
    console.print("Wrote: " + ", ".join(str(p) for p in done.files), markup=False)


def _parse_date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(flag, Problem("", f"'{text}' is not a date", "write YYYY-MM-DD")) from None


# -- printing ---------------------------------------------------------------------------------------------------


class _TextTable:
    """Rows printed as aligned plain text that never truncates (pipes and narrow terminals alike)."""

    def __init__(self, *headers: str) -> None:
        self.headers = list(headers)
        self.rows: list[list[str]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def __str__(self) -> str:
        lines = [self.headers, *self.rows]
        widths = [max(len(line[k]) for line in lines) for k in range(len(self.headers))]
        padded = ("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines)
        return "\n".join(line.rstrip() for line in padded)


def _table(*headers: str) -> _TextTable:
    return _TextTable(*headers)


def _print_center(summary: CenterSummary, source: str) -> None:
    contracts = ", ".join(f"{n} on {c}" for c, n in summary.contracts.items())
    console.print(
        f"{source}: OK - '{summary.name}' ({summary.timezone}): {summary.agents} agents "
        f"({summary.cross_skilled_agents} cross-skilled; {contracts}), {summary.skills} skills, "
        f"{len(summary.work_types)} work types"
    )
    table = _table("work type", "channel", "mode", "priority", "target", "AHT s", "agents")
    for row in summary.work_types.itertuples(index=False):
        table.add_row(
            str(row.work_type),
            str(row.channel),
            str(row.mode),
            str(row.priority),
            str(row.target),
            f"{row.aht_s:.0f}",
            str(row.agents),
        )
    console.print(str(table), markup=False)


def _print_history(summary: HistorySummary, source: str) -> None:
    shape = "one row per ticket" if summary.kind == "tickets" else f"counts per {summary.interval_minutes} min"
    console.print(
        f"{source}: OK - {summary.rows:,} rows ({shape}) from {summary.start:%Y-%m-%d %H:%M} to "
        f"{summary.end:%Y-%m-%d %H:%M} {summary.timezone or '(no time zone)'}"
    )
    table = _table("work type", "volume", "share", "mean handle s")
    for row in summary.by_work_type.to_dict("records"):
        handle = row.get("mean_handle_time_s")
        table.add_row(
            str(row["work_type"]),
            f"{row['volume']:,.0f}",
            f"{row['share']:.1%}",
            "-" if handle is None or pd.isna(handle) else f"{handle:.0f}",
        )
    console.print(str(table), markup=False)


def _print_outside_hours(outside: pd.DataFrame, source: str) -> None:
    if not (outside["outside"] > 0).any():
        console.print(f"{source}: every contact arrived within its work type's opening hours", markup=False)
        return
    console.print(
        f"{source}: contacts that arrived while their work type was closed (outside its opening hours or on a "
        "closed day; the forecast drops them or moves them to the next opening, as outside_hours says):",
        markup=False,
    )
    table = _table("work type", "contacts", "outside hours", "share", "outside_hours")
    for row in outside.to_dict("records"):
        table.add_row(
            str(row["work_type"]),
            f"{row['contacts']:,.0f}",
            f"{row['outside']:,.0f}",
            f"{row['share']:.1%}",
            str(row["outside_hours"]),
        )
    console.print(str(table), markup=False)


def _print_inputs(report: InputReport, center: Path | None, history: Path | None) -> None:
    if report.center is not None:
        _print_center(report.center, str(center))
    if report.history is not None:
        _print_history(report.history, str(history))
    if report.outside_hours is not None:
        _print_outside_hours(report.outside_hours, str(history))
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)


def _print_forecast(job: ForecastJob) -> None:
    result = job.result
    console.print(
        f"Forecast {job.start} + {job.days} days ({job.inputs.timezone}), "
        f"{len(result.table):,} rows at {_interval_of(result.table)} min."
    )
    table = _table("series", "model", "backtest WAPE", "forecast volume", "p10-p90 alpha")
    scores = result.scores.to_dict("index")
    for name, model in result.selected.items():
        volume = result.hourly[name].sum()
        table.add_row(
            name,
            model,
            f"{scores[name][model]:.3f}",
            f"{volume:,.0f}",
            f"{result.bands[name].alpha:.4f}",
        )
    console.print(str(table), markup=False)
    _print_history_remarks(job.inputs.warnings, [*job.inputs.notes, *result.notes])


def _interval_of(table: pd.DataFrame) -> int:
    starts = table["interval_start"].drop_duplicates()
    return int((starts.iloc[1] - starts.iloc[0]).total_seconds() // 60) if len(starts) > 1 else 60


def _print_backtest(job: BacktestJob) -> None:
    metrics = job.result.metrics
    console.print(
        f"Backtest from {len(job.result.origins)} origin(s) "
        f"({', '.join(str(o) for o in job.result.origins)}), {job.inputs.timezone}:"
    )
    table = _table("series", "model", "WAPE", "vs naive", "MASE", "bias", "p10-p90", "Poisson floor", "selected")
    for row in metrics.itertuples(index=False):
        table.add_row(
            str(row.work_type), str(row.model), f"{row.wape:.3f}", f"{row.ratio_to_naive:.2f}", f"{row.mase:.2f}",
            f"{row.bias:+.3f}", f"{row.coverage_p10_p90:.0%}", f"{row.poisson_floor:.3f}", str(row.selected_model),
        )  # fmt: skip
    console.print(str(table), markup=False)
    _print_history_remarks(job.inputs.warnings, job.inputs.notes)
    console.print("Wrote: " + ", ".join(str(p) for p in job.files))


def _print_requirement(job: RequirementJob) -> None:
    table = job.table
    hours = (table["interval_start"].drop_duplicates().sort_values().diff().dt.total_seconds().mode().iloc[0]) / 3600
    summary = _table("work type", "method", "peak agents", "agent-hours", "with shrinkage")
    for work_type, rows in table.groupby("work_type", sort=False):
        summary.add_row(
            str(work_type),
            str(rows["method"].iloc[0]),
            f"{rows['required_agents_int'].max():.0f}",
            f"{rows['required_agents'].sum() * hours:,.0f}",
            f"{rows['required_agents_with_shrinkage'].sum() * hours:,.0f}",
        )
    console.print(str(summary), markup=False)
    peak = table.groupby("interval_start")["required_agents_with_shrinkage"].sum()
    console.print(f"Peak: {peak.max():.1f} agents scheduled (with shrinkage) at {peak.idxmax():%a %d %b %H:%M}.")
    for note in job.notes:
        err.print(f"note: {note}", markup=False)


def _print_demo(report: DemoReport) -> None:
    scenario = report.scenario
    settings = scenario.settings
    console.print(
        f"Demo centre size {settings.size}, seed {settings.seed}: {settings.history_weeks} weeks of history up to "
        f"the plan week starting {settings.plan_start} (Monday)."
    )
    _print_inputs(report.inputs, report.files[0], report.files[1])
    weekly = sum(scenario.weekly_volume.values())
    console.print(f"Expected volume in the plan week (a normal week): {weekly:,.0f} contacts.")
    _print_forecast(report.forecast)
    _print_requirement(report.requirement)
    console.print("Wrote: " + ", ".join(str(p) for p in report.files))
    if report.roster is not None:
        _print_roster(report.roster)
    if report.simulation is not None:
        _print_simulation(report.simulation)
    if report.loop is not None and report.diagnosis is not None:
        _print_plan_quality(report.loop, report.diagnosis)
    if report.assignment is not None:
        console.print("Assignment snapshot (the tickets open at the plan week's Tuesday 11:00 of the simulation):")
        _print_assign(report.assignment)
    if report.intraday is not None:
        console.print(
            "Intraday re-plan (the plan week's Tuesday at 10:30, the busiest phone queue 25% hot since 10:00, two "
            "agents off sick since 09:00):"
        )
        _print_intraday(report.intraday)


#: `wfm check-roster`: the roster breaks at least one rule of docs/roster.md.
EXIT_ROSTER_BREAKS_RULES = 3


@app.command("intraday")
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
            _parse_moment(at),
            out_dir,
            absences=absences,
            tickets=tickets,
            settings=settings,
            history_format=_history_format(history_tz, column, ignore_column, exclude, time_format, work_type),
            simulation=SimulationSettings(replications, seed, os.cpu_count() or 1) if replications else None,
            requirement=requirement,
        )

    _print_intraday(_run(job))


def _print_intraday(done: IntradayJob) -> None:
    summary = done.summary
    _print_history_remarks(done.warnings, done.notes)
    console.print(
        f"Re-plan of {summary['date']} from {summary['rest_of_day_from'][11:16]}: {summary['status'].lower()}, "
        f"{summary['time_s']:.1f} s"
    )
    simulated = summary.get("simulated_service_level")
    heads = ["work type", "actual/forecast so far", "multiplier (p10-p90)", "Erlang SL before", "after"]
    if simulated:
        heads += ["simulated SL before", "after"]
    table = _table(*heads)
    levels = summary["expected_service_level"]
    for work_type, r in summary["reforecast"].items():
        before, after = levels["before"].get(work_type), levels["after"].get(work_type)
        cells = [
            work_type,
            f"{r['actual_so_far']:.0f} / {r['forecast_so_far']:.0f}",
            f"{r['multiplier']:.2f} ({r['multiplier_p10']:.2f}-{r['multiplier_p90']:.2f})",
            "-" if before is None else f"{before:.0%}",
            "-" if after is None else f"{after:.0%}",
        ]
        if simulated:
            for side in ("before", "after"):
                level = simulated[side].get(work_type, {})
                value, low, high = (
                    level.get("service_level"),
                    level.get("service_level_lo"),
                    level.get("service_level_hi"),
                )
                cells.append("-" if value is None else _percent_ci(value, low or value, high or value))
        table.add_row(*cells)
    console.print(str(table), markup=False)
    short = summary["understaffed_agent_hours"]
    for level in short["before"]:
        console.print(
            f"priority {level}: understaffed {short['before'][level]:.2f} -> {short['after'][level]:.2f} agent-hours"
        )
    changes = summary["changes"]
    kinds = ", ".join(f"{n} {kind}" for kind, n in changes["by_kind"].items()) or "none"
    console.print(
        f"{changes['count']} change(s) ({kinds}), cost {changes['cost']:.2f}, {changes['agents_disturbed']} agent(s) "
        f"disturbed; {changes['absences']} absence(s)"
    )
    for row in done.result.changes.itertuples():
        if row.change != "absence":
            console.print(f"  {row.agent_id}: {row.change}: {row.before} -> {row.after}", markup=False)
    if done.assignment is not None:
        figures = done.assignment.summary().get("kpis", {})
        console.print(
            f"open tickets re-assigned: {figures.get('assigned', 0)} of {figures.get('tickets', 0)}, "
            f"{figures.get('late_tickets', 0)} predicted late ({figures.get('lateness_minutes', 0.0):.0f} min)"
        )
    for path in done.files:
        console.print(f"wrote {path}", markup=False)


@app.command("check-roster")
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
    from planner.roster import check_roster_files

    done = _run(
        lambda: check_roster_files(roster, center, requirement, coverage=coverage, previous=previous, pins=pins)
    )
    if done.valid:
        console.print(f"roster valid: {done.shifts} shifts, {done.agents} agents", markup=False)
        return
    for violation in done.violations:
        console.print(str(violation), markup=False)
    rules = sorted({v.rule for v in done.violations})
    err.print(f"roster breaks {len(done.violations)} rule check(s): {', '.join(rules)}", markup=False)
    raise typer.Exit(EXIT_ROSTER_BREAKS_RULES)


# -- what-if scenarios --------------------------------------------------------------------------------------------

scenarios_app = typer.Typer(
    name="scenarios",
    help="What-if scenarios: sweeps of changed centres planned on a Dask cluster, their report, capacity search.",
    no_args_is_help=True,
)
app.add_typer(scenarios_app)

Scheduler = Annotated[
    str | None,
    typer.Option(help="A Dask scheduler's address (tcp://HOST:8786); default: a local cluster started and stopped."),
]
DaskWorkers = Annotated[int, typer.Option(min=1, help="Worker processes of the local cluster.")]


def _print_variant(event: Any) -> None:
    took = "" if event.wall_s is None else f" ({event.wall_s:.1f} s)"
    line = f"[{event.done}/{event.total}] {event.name}: {event.status}{took}"
    if event.error:
        line += f": {event.error}"
    (err if event.error else console).print(line, markup=False)


@scenarios_app.command("run")
def scenarios_run(
    spec: Annotated[Path, typer.Argument(help="The scenario file (YAML): base, planning options, variants, grid.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the variants' results and the report.")],
    scheduler: Scheduler = None,
    workers: DaskWorkers = 2,
) -> None:
    """Plan every variant of a scenario file (requirement, roster in the simulation loop, check simulation), each
    a Dask task; results are written as variants finish and kept by a re-run; the report is written at the end."""
    from scenarios.runner import run_scenarios

    cancel = Cancellation()
    done = _run(
        lambda: run_scenarios(
            spec, out_dir, scheduler=scheduler, workers=workers, on_event=_print_variant, cancel=cancel
        ),
        cancel,
        "stopping the variants in flight; the finished ones are kept",
    )
    console.print(
        f"{len(done.results)} variants: {done.planned} planned, {done.kept} kept from an earlier run, "
        f"{done.failed} failed; {done.wall_s:.1f} s",
        markup=False,
    )
    for path in done.files:
        console.print(f"wrote {path}", markup=False)
    if done.failed:
        raise typer.Exit(EXIT_INTERNAL_ERROR)


@scenarios_app.command("report")
def scenarios_report(
    out_dir: Annotated[Path, typer.Argument(help="The folder of a scenarios run.")],
) -> None:
    """Write results.csv, report.html and summary.json again from a run's stored variant results (the variants of
    its last run)."""
    from scenarios.report import rewrite_report

    for path in _run(lambda: rewrite_report(out_dir)):
        console.print(f"wrote {path}", markup=False)


@scenarios_app.command("capacity")
def scenarios_capacity(
    center: Annotated[Path, typer.Option(help="Centre configuration (YAML).")],
    forecast: Annotated[Path, typer.Option(help="The forecast to staff for.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the evaluations and capacity.json.")],
    like: Annotated[
        list[str] | None,
        typer.Option(help="An agent whose profile new agents copy (repeatable, in turn); default: the centre's mix."),
    ] = None,
    max_agents: Annotated[int | None, typer.Option(min=1, help="The most agents to try (default: 3x today's).")] = None,
    spec: Annotated[
        Path | None, typer.Option(help="A scenario file whose roster, loop and simulation options to use.")
    ] = None,
    scheduler: Scheduler = None,
    workers: DaskWorkers = 2,
) -> None:
    """The fewest agents that meet every work type's target in simulation: a search over headcount whose
    evaluations run in parallel on the cluster."""
    from scenarios.capacity import find_capacity
    from scenarios.spec import load_spec

    def job() -> Any:
        options = load_spec(spec) if spec is not None else None
        return find_capacity(
            center,
            forecast,
            out_dir,
            profiles=like,
            max_agents=max_agents,
            spec=options,
            scheduler=scheduler,
            workers=workers,
            on_event=_print_variant,
        )

    done = _run(job)
    summary = done.summary()
    if done.headcount is None:
        console.print(f"no headcount up to {max(done.meets)} meets every target", markup=False)
    else:
        console.print(
            f"{done.headcount} agents meet every target (today: {done.base_headcount}); "
            f"{len(done.meets)} headcounts evaluated in {summary['wall_s']:.0f} s",
            markup=False,
        )
        for work_type, level in (summary["service_level"] or {}).items():
            target = summary["target"][work_type]
            shown = "-" if level is None else f"{level:.1%}"
            console.print(f"  {work_type}: {shown} (target {target:.0%})", markup=False)
    for path in done.files:
        console.print(f"wrote {path}", markup=False)


# -- the planning service -----------------------------------------------------------------------------------------


@app.command("serve")
def serve(
    db: Annotated[
        str, typer.Option("--db", help="The store: sqlite:///FILE.db (default wfm.db here) or postgresql+psycopg://...")
    ] = "sqlite:///wfm.db",
    host: Annotated[str, typer.Option(help="The address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes that run the jobs (solves).")] = 2,
    max_upload_mb: Annotated[
        float, typer.Option(min=0.001, max=4096, help="The largest request body (an upload), in MB; larger is 413.")
    ] = 256,
) -> None:
    """Run the planning service (REST API, OpenAPI at /docs) on its store, migrating the store first."""
    import uvicorn

    from service.app import create_app
    from service.store import open_store
    from service.store.store import safe_url

    store = _run(lambda: open_store(db))
    console.print(f"serving on http://{host}:{port} (API docs at /docs), store {safe_url(db)}", markup=False)
    try:
        app = create_app(store, workers, max_upload_bytes=int(max_upload_mb * 2**20))
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()


# -- the service's users ------------------------------------------------------------------------------------------

users_app = typer.Typer(name="users", help="The planning service's users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app)

Database = Annotated[
    str,
    typer.Option("--db", help="The store: sqlite:///FILE.db (default wfm.db here) or postgresql+psycopg://..."),
]


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    role: Annotated[str, typer.Option(help="planner, supervisor, analyst or viewer.")],
    db: Database = "sqlite:///wfm.db",
) -> None:
    """Add a user with a role and print their API token once, alone on the last line (only its hash is kept)."""
    from service.store import check_user, open_store

    def job() -> str:
        check_user(name, role)  # before the store is opened (or made)
        store = open_store(db)
        try:
            return store.add_user(name, role)
        finally:
            store.close()

    token = _run(job)
    console.print(f"user {name.strip()} added as {role}; their API token (shown once, keep it safe):", markup=False)
    console.print(token, markup=False)


def main() -> None:
    """Console entry point."""
    keep_freed_memory()
    app()
