"""Replications: seeded, reproducible (replication i always gets the i-th child of the seed, whichever process runs
it), in parallel processes when asked; each finished replication reported (`SimulationSettings.on_replication`),
and a cancelled run stopped between replications (`SimulationSettings.cancel`)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np

from planner.runtime import Cancellation, Interrupted
from planner.simulation.contract import RoutingPolicy
from planner.simulation.engine import Outcome, run_replication
from planner.simulation.policies import PriorityFirst
from planner.simulation.results import SimulationResult, summarise
from planner.simulation.scenario import Scenario

__all__ = ["DEFAULT_REPLICATIONS", "SimulationSettings", "simulate"]

DEFAULT_REPLICATIONS = 10


@dataclass(frozen=True)
class SimulationSettings:
    """`replications` independent runs seeded from `seed`, on up to `workers` processes (1: in this process).
    `on_replication(done, total)` is called in this process as each replication finishes (in the order they
    finish); `cancel` stops the run between replications (`Interrupted`). Neither changes the figures, nor takes
    part in comparing settings."""

    replications: int = DEFAULT_REPLICATIONS
    seed: int = 0
    workers: int = 1
    on_replication: Callable[[int, int], None] | None = field(default=None, compare=False, repr=False)
    cancel: Cancellation | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.replications < 1:
            raise ValueError(f"replications must be at least 1, got {self.replications}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")


def _one(args: tuple[Scenario, RoutingPolicy, np.random.SeedSequence]) -> Outcome:
    scenario, policy, seed = args
    return run_replication(scenario, policy, seed)


def _leave_ctrl_c_to_the_parent() -> None:
    """A terminal's Ctrl-C reaches every process of the command: the workers ignore it, and the parent (which
    stops the run with the best plan so far) decides."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def simulate(
    scenario: Scenario, settings: SimulationSettings | None = None, policy: RoutingPolicy | None = None
) -> SimulationResult:
    """Run the replications of `scenario` under `policy` (priority first by default) and summarise them."""
    settings = settings or SimulationSettings()
    routing: RoutingPolicy = policy or PriorityFirst()
    began = time.perf_counter()
    seeds = np.random.SeedSequence(settings.seed).spawn(settings.replications)
    jobs = [(scenario, routing, s) for s in seeds]
    workers = min(settings.workers, settings.replications, os.cpu_count() or 1)
    outcomes = _in_processes(jobs, workers, settings) if workers > 1 else _in_turn(jobs, settings)
    result = summarise(scenario, outcomes, routing.name, settings.seed)
    result.summary["wall_s"] = time.perf_counter() - began
    result.summary["workers"] = workers
    return result


def _finished(done: int, settings: SimulationSettings) -> None:
    """Report a finished replication; stop the run where it was cancelled (and not yet complete)."""
    total = settings.replications
    if settings.on_replication is not None:
        settings.on_replication(done, total)
    if settings.cancel is not None and settings.cancel.cancelled and done < total:
        raise Interrupted(f"the simulation was cancelled after {done} of {total} replications")


def _in_turn(
    jobs: list[tuple[Scenario, RoutingPolicy, np.random.SeedSequence]], settings: SimulationSettings
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for job in jobs:
        if settings.cancel is not None and settings.cancel.cancelled:
            raise Interrupted(
                f"the simulation was cancelled after {len(outcomes)} of {settings.replications} replications"
            )
        outcomes.append(_one(job))
        _finished(len(outcomes), settings)
    return outcomes


def _in_processes(
    jobs: list[tuple[Scenario, RoutingPolicy, np.random.SeedSequence]], workers: int, settings: SimulationSettings
) -> list[Outcome]:
    """The replications on `workers` processes, their outcomes in the order of `jobs` (replication i the i-th,
    whichever finished first). Cancelled, the replications not yet begun are dropped."""
    # A fresh interpreter per worker ("spawn"): no state shared with the parent's threads (CP-SAT, BLAS).
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_leave_ctrl_c_to_the_parent
    ) as pool:
        futures: dict[Future[Outcome], int] = {pool.submit(_one, job): i for i, job in enumerate(jobs)}
        outcomes: dict[int, Outcome] = {}
        try:
            for future in as_completed(futures):
                outcomes[futures[future]] = future.result()
                _finished(len(outcomes), settings)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [outcomes[i] for i in range(len(jobs))]
