"""`wfm demo`: the built-in demo centre, planned end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.runtime import Cancellation
from scenarios.demo import run_demo
from scenarios.generator import DEFAULT_HISTORY_WEEKS, DEFAULT_SEED, GeneratorSettings
from wfm.core import exit_if_interrupted, run
from wfm.options import (
    DiagnosisBudget,
    HistoryShape,
    LoopBudget,
    Remedies,
    ResolveLimit,
    Size,
    Workers,
    diagnosis_settings,
    loop_settings,
    roster_settings,
)
from wfm.render import ProgressPrinter, print_demo, print_iteration

__all__ = ["demo"]

#: The demo's roster solve: enough for a good week of the M centre on two cores, short enough to wait for.
DEMO_TIME_LIMIT_S = 20.0
#: The demo's simulation loop and its re-solves: the whole demo stays under 3 minutes on two cores.
DEMO_LOOP_BUDGET_S = 30.0
DEMO_RESOLVE_LIMIT_S = 10.0
DEMO_DIAGNOSIS_BUDGET_S = 110.0


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
    solve_settings = roster_settings(time_limit, workers, 0, False, 0.0, cancel)
    loop = loop_settings(loop_budget, resolve_limit or min(time_limit, DEMO_RESOLVE_LIMIT_S))
    diagnosis = diagnosis_settings(remedies, time_limit, diagnosis_budget)
    report = run(
        lambda: run_demo(
            settings,
            out_dir,
            solve_settings,
            on_progress=ProgressPrinter(),
            loop=loop,
            diagnosis_settings=diagnosis,
            on_iteration=print_iteration,
        ),
        cancel,
    )
    print_demo(report)
    exit_if_interrupted(cancel)
