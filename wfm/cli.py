"""The `wfm` command line: parse arguments, call one function, print a short summary.

Exit codes: 0 success, 2 bad input (the message names the file, row, field and what to do; nothing is
written), 1 internal error.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from models import InputError, PlannerError, Problem
from planner.inputs import CenterSummary, HistorySummary, InputReport, check_inputs
from scenarios.demo import DemoReport, run_demo
from scenarios.generator import DEFAULT_HISTORY_WEEKS, DEFAULT_SEED, GeneratorSettings

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL_ERROR", "app", "main"]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 1
DEBUG_ENV = "WFM_DEBUG"

app = typer.Typer(
    name="wfm",
    help="Workforce planning for customer-service teams: forecast, staffing, rosters and assignment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
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


def _run(action: Callable[[], T]) -> T:
    """Run a command's one call, mapping the planner's errors to exit codes."""
    try:
        return action()
    except InputError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except PlannerError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # an internal error: say so plainly, with the trace on request
        err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
        if os.environ.get(DEBUG_ENV):
            err.print(traceback.format_exc(), markup=False)
        else:
            err.print(f"(set {DEBUG_ENV}=1 for the traceback; please report it)", markup=False)
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None


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


@app.command()
def demo(
    size: Annotated[Size, typer.Option(help="Centre size: S ~20 agents, M ~100, L ~300, XL ~1,000.")] = Size.M,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the demo centre into.")] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = DEFAULT_SEED,
    history_weeks: Annotated[int, typer.Option(min=1, max=520, help="Weeks of history.")] = DEFAULT_HISTORY_WEEKS,
    history_shape: Annotated[
        HistoryShape, typer.Option(help="One row per ticket, or counts per 15-min interval.")
    ] = HistoryShape.tickets,
) -> None:
    """Generate the built-in demo centre and its ticket history, and check them."""
    settings = GeneratorSettings(
        size=size.value, seed=seed, history_weeks=history_weeks, history_shape=history_shape.value
    )
    report = _run(lambda: run_demo(settings, out_dir))
    _print_demo(report)


@app.command()
def validate(
    center: Annotated[Path | None, typer.Option(help="Centre configuration (YAML).")] = None,
    history: Annotated[Path | None, typer.Option(help="Ticket history (CSV or Parquet).")] = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone of the centre, when no --center is given.")] = None,
    history_tz: Annotated[
        str | None, typer.Option(help="Zone of history timestamps without an offset (default: the centre's).")
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option(help="Map a column: CANONICAL=YOURS, e.g. created_at=opened. Repeatable.")
    ] = None,
    work_type: Annotated[
        str | None, typer.Option(help="Work type of every row, for a history file without a work_type column.")
    ] = None,
    time_format: Annotated[
        str | None, typer.Option(help="strftime format of the timestamps (default: ISO 8601).")
    ] = None,
) -> None:
    """Check a centre configuration and/or a history file, and summarise them."""
    report = _run(
        lambda: check_inputs(
            center,
            history,
            timezone=tz,
            history_timezone=history_tz,
            rename=_parse_columns(column),
            work_type=work_type,
            time_format=time_format,
        )
    )
    _print_inputs(report, center, history)


# -- printing ---------------------------------------------------------------------------------------------------


def _table(*headers: str) -> Table:
    table = Table(box=None)
    for header in headers:
        table.add_column(header, no_wrap=True)
    return table


def _print_center(summary: CenterSummary, source: str) -> None:
    contracts = ", ".join(f"{n} on {c}" for c, n in summary.contracts.items())
    out.print(
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
    out.print(table)


def _print_history(summary: HistorySummary, source: str) -> None:
    shape = "one row per ticket" if summary.kind == "tickets" else f"counts per {summary.interval_minutes} min"
    out.print(
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
    out.print(table)


def _print_inputs(report: InputReport, center: Path | None, history: Path | None) -> None:
    if report.center is not None:
        _print_center(report.center, str(center))
    if report.history is not None:
        _print_history(report.history, str(history))
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)


def _print_demo(report: DemoReport) -> None:
    scenario = report.scenario
    settings = scenario.settings
    out.print(
        f"Demo centre size {settings.size}, seed {settings.seed}: {settings.history_weeks} weeks of history up to "
        f"the plan week starting {settings.plan_start} (Monday)."
    )
    _print_inputs(report.inputs, report.files[0], report.files[1])
    weekly = sum(scenario.weekly_volume.values())
    out.print(f"Expected volume in the plan week (a normal week): {weekly:,.0f} contacts.")
    out.print("Wrote: " + ", ".join(str(p) for p in report.files))


def main() -> None:
    """Console entry point."""
    app()
