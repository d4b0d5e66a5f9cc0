"""`wfm scenarios run`, `report` and `capacity`: what-if sweeps on a Dask cluster, their report, the capacity
search."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from planner.runtime import Cancellation
from wfm.core import run
from wfm.exit_codes import ExitCode
from wfm.options import DaskWorkers, Scheduler
from wfm.render import print_capacity, print_scenario_run, print_variant, print_wrote_each

__all__ = ["scenarios_capacity", "scenarios_report", "scenarios_run"]


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
    done = run(
        lambda: run_scenarios(
            spec, out_dir, scheduler=scheduler, workers=workers, on_event=print_variant, cancel=cancel
        ),
        cancel,
        "stopping the variants in flight; the finished ones are kept",
    )
    print_scenario_run(done)
    if done.failed:
        raise typer.Exit(ExitCode.INTERNAL_ERROR)


def scenarios_report(
    out_dir: Annotated[Path, typer.Argument(help="The folder of a scenarios run.")],
) -> None:
    """Write results.csv, report.html and summary.json again from a run's stored variant results (the variants of
    its last run)."""
    from scenarios.report import rewrite_report

    print_wrote_each(run(lambda: rewrite_report(out_dir)))


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
            on_event=print_variant,
        )

    print_capacity(run(job))
