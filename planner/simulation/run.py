"""Replications: seeded, reproducible (replication i always gets the i-th child of the seed, whichever process runs
it), in parallel processes when asked."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from planner.simulation.contract import RoutingPolicy
from planner.simulation.engine import Outcome, run_replication
from planner.simulation.policies import PriorityFirst
from planner.simulation.results import SimulationResult, summarise
from planner.simulation.scenario import Scenario

__all__ = ["DEFAULT_REPLICATIONS", "SimulationSettings", "simulate"]

DEFAULT_REPLICATIONS = 10


@dataclass(frozen=True)
class SimulationSettings:
    """`replications` independent runs seeded from `seed`, on up to `workers` processes (1: in this process)."""

    replications: int = DEFAULT_REPLICATIONS
    seed: int = 0
    workers: int = 1

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
    if workers > 1:
        # A fresh interpreter per worker ("spawn"): no state shared with the parent's threads (CP-SAT, BLAS).
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_leave_ctrl_c_to_the_parent
        ) as pool:
            outcomes = list(pool.map(_one, jobs))
    else:
        outcomes = [_one(job) for job in jobs]
    result = summarise(scenario, outcomes, routing.name, settings.seed)
    result.summary["wall_s"] = time.perf_counter() - began
    result.summary["workers"] = workers
    return result
