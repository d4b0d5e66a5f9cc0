"""Simulation in the loop: a roster that delivers the service level it promises (after Cezik & L'Ecuyer, "Staffing
multiskill call centers via linear programming and simulation", 2008).

The staffing maths (Erlang per work type) assumes each work type has its own agents, all as fast as the forecast's
handle time. A multi-skill centre differs: agents of several skills drift to the big queues, slower agents take
longer, a scarce skill waits while its holders serve other work. So the roster is judged by the simulation:

1. requirement (effective handle time) -> roster (CP-SAT) -> simulate it against the forecast, with common random
   numbers (the same seed every iteration: the same contacts, so differences come from the roster alone);
2. per cell (work type x block of `block_hours` on one day) compare the simulated service level with the target;
3. where a cell falls short, raise the handle-time factor of its intervals in proportion to the shortfall (the
   requirement then asks for the staff that load needs, whatever its size); where a cell is served far above
   target, ease it (the planner should not pay for service the targets do not ask for);
4. re-solve, warm-started from the last roster, and repeat until every cell meets its target, nothing changes,
   no iteration improves for a while, or the time budget is spent.

The iteration kept is the best one: fewest priority-weighted points below target (weekly, per work type), then
fewest paid hours. Its simulation is the plan's promise. Cells whose work the roster could not staff even before
(a shortfall in the roster's own coverage) are not raised further: more requirement does not make more agents;
the capacity diagnosis (`planner.diagnosis`) says why and what would fix it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from models import Center, Mode
from planner.roster import Progress, RosterResult, RosterSettings, solve_roster
from planner.runtime import Interrupted, honouring
from planner.simulation import SimulationResult, SimulationSettings, build_scenario, forecast_demand, simulate
from planner.staffing import StaffingSettings, requirement_table

__all__ = [
    "DEFAULT_BUDGET_S",
    "Iteration",
    "LoopInterrupted",
    "LoopResult",
    "LoopSettings",
    "cell_levels",
    "plan_with_simulation",
    "weekly_shortfall",
]

#: The whole loop's time, roster solves and simulations together (the M week in 5 minutes on 2 cores).
DEFAULT_BUDGET_S = 300.0
#: Why the loop stopped when its run was cancelled.
INTERRUPTED = "an interruption (Ctrl-C)"


class LoopInterrupted(Interrupted):
    """The run was cancelled before the loop's first roster was simulated: `roster` is the best roster found so
    far (valid, not simulated) and `requirement` the requirement it was solved for."""

    def __init__(self, roster: RosterResult, requirement: pd.DataFrame) -> None:
        super().__init__("interrupted: best roster so far (the simulation loop had not simulated it yet)")
        self.roster, self.requirement = roster, requirement


@dataclass(frozen=True)
class LoopSettings:
    """How the loop runs. `budget_s`: wall time for the whole loop; `resolve_time_limit_s`: each re-solve's limit
    (default: the roster settings' own); `replications` and `seed`: the simulation (common random numbers);
    `block_hours`: the cells' length; `tolerance`: a work type meets its target within this many points (weekly);
    `margin`: cells aim this far above target; `step`: a cell's factor grows by ``1 + step x shortfall``;
    `ease_above`: cells this far above target are eased; `min_contacts`: a cell is judged only with at least this
    many contacts per replication; `factor_bounds`: the handle-time factor's range; `patience`: iterations without
    progress (the weighted shortfall falling by more than `progress`) before stopping."""

    budget_s: float = DEFAULT_BUDGET_S
    max_iterations: int = 12
    resolve_time_limit_s: float | None = None
    replications: int = 10
    seed: int = 0
    block_hours: int = 2
    tolerance: float = 0.02
    margin: float = 0.02
    step: float = 1.5
    ease_above: float = 0.08
    min_contacts: float = 3.0
    factor_bounds: tuple[float, float] = (0.7, 3.0)
    patience: int = 2
    progress: float = 0.005

    def __post_init__(self) -> None:
        if not self.budget_s > 0:
            raise ValueError(f"budget_s must be positive, got {self.budget_s}")
        if self.max_iterations < 1:
            raise ValueError(f"max_iterations must be at least 1, got {self.max_iterations}")
        if not 0 < self.factor_bounds[0] <= 1 <= self.factor_bounds[1]:
            raise ValueError(f"factor_bounds must hold 1, got {self.factor_bounds}")
        if self.block_hours < 1 or 24 % self.block_hours:
            raise ValueError(f"block_hours must divide 24, got {self.block_hours}")


@dataclass(frozen=True)
class Iteration:
    """One pass of the loop: the roster's paid hours and objective, the simulated weekly service level per work
    type, the cells below target (with enough contacts to judge), the priority-weighted shortfall, the cells
    changed for the next pass, and the wall time so far."""

    number: int
    paid_hours: float
    objective: float
    service_level: dict[str, float | None]
    cells_below: int
    shortfall: float
    changed_cells: int
    elapsed_s: float

    def as_dict(self) -> dict[str, object]:
        return {
            "iteration": self.number,
            "paid_hours": round(self.paid_hours, 1),
            "objective": round(self.objective, 1),
            "cells_below_target": self.cells_below,
            "weighted_shortfall_points": round(100 * self.shortfall, 2),
            "changed_cells": self.changed_cells,
            "elapsed_s": round(self.elapsed_s, 1),
            "simulated_service_level": {k: None if v is None else round(v, 4) for k, v in self.service_level.items()},
        }


@dataclass
class LoopResult:
    """The kept iteration's roster, the requirement it was solved for, and its simulation (the plan's promise);
    every iteration's figures; why the loop stopped."""

    roster: RosterResult
    requirement: pd.DataFrame
    simulation: SimulationResult
    iterations: list[Iteration]
    chosen: int
    stopped: str
    tolerance: float
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "iterations": [i.as_dict() for i in self.iterations],
            "chosen_iteration": self.chosen,
            "stopped": self.stopped,
            "notes": self.notes,
        }


def cell_levels(simulation: SimulationResult, center: Center, block_hours: int) -> pd.DataFrame:
    """Per work type x day x block of `block_hours`: contacts per replication and the simulated service level
    (answered in time over offered, or over answered where the target says so; deferred work: done in time)."""
    frame = simulation.intervals
    local = pd.DatetimeIndex(frame["interval_start"]).tz_convert(center.timezone)
    cells = pd.DataFrame(
        {
            "work_type": frame["work_type"].to_numpy(),
            "day": local.date,
            "block": local.hour // block_hours,
            "offered": frame["offered"].to_numpy(dtype=float),
            "answered": frame["answered"].to_numpy(dtype=float),
            "within": frame["answered_within"].to_numpy(dtype=float),
        }
    )
    grouped = cells.groupby(["work_type", "day", "block"], sort=True).sum().reset_index()
    over_answered = grouped["work_type"].map(
        {w.id: w.target.service_level_over == "answered" for w in center.work_types}
    )
    base = np.where(over_answered, grouped["answered"], grouped["offered"])
    with np.errstate(invalid="ignore", divide="ignore"):
        grouped["service_level"] = np.where(base > 0, grouped["within"] / base, np.nan)
    grouped["target"] = grouped["work_type"].map({w.id: w.target.service_level for w in center.work_types})
    return grouped


def weekly_shortfall(levels: dict[str, float | None], center: Center, tolerance: float) -> float:
    """Priority-weighted weekly points below target beyond `tolerance` (priority p weighs 1 / p): 0 when every
    work type is within `tolerance` of its target."""
    total = 0.0
    for work_type in center.work_types:
        level = levels.get(work_type.id)
        if level is None:
            continue
        total += max(0.0, work_type.target.service_level - tolerance - level) / work_type.priority
    return total


def _short_cells(roster: RosterResult, center: Center, block_hours: int) -> set[tuple[str, object, int]]:
    """Cells where the roster's own coverage of the work type's skill is short in at least a quarter of the
    intervals that need it (the roster could not staff the requirement it had: raising it further buys nothing)."""
    coverage = roster.coverage
    local = pd.DatetimeIndex(coverage["interval_start"]).tz_convert(center.timezone)
    frame = pd.DataFrame(
        {
            "skill": coverage["skill"].to_numpy(),
            "day": local.date,
            "block": local.hour // block_hours,
            "short": (coverage["shortfall"].to_numpy(dtype=float) > 0).astype(float),
            "needed": (coverage["required"].to_numpy(dtype=float) > 0).astype(float),
        }
    )
    sums = frame.groupby(["skill", "day", "block"]).sum()
    short = sums[(sums["needed"] > 0) & (sums["short"] >= 0.25 * sums["needed"])].index
    by_skill: dict[str, list[str]] = {}
    for w in center.work_types:
        by_skill.setdefault(w.skill, []).append(w.id)
    return {(w, day, int(block)) for skill, day, block in short for w in by_skill.get(str(skill), [])}


def plan_with_simulation(
    forecast: pd.DataFrame,
    center: Center,
    *,
    staffing: StaffingSettings | None = None,
    roster: RosterSettings | None = None,
    settings: LoopSettings | None = None,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> LoopResult:
    """Roster `forecast` (a `models.FORECAST` table) in `center`, re-solving where the simulation of the roster
    falls short of the targets (module docstring). The first solve uses `roster`'s time limit, re-solves
    `settings.resolve_time_limit_s`, all within `settings.budget_s`.

    Cancelled (`roster.cancel`): the loop stops after the step under way and keeps its best iteration; raises
    `LoopInterrupted` with the roster found so far when the first roster had not been simulated yet, and
    `Interrupted` when there was no roster at all."""
    roster_settings = roster or RosterSettings()
    with honouring(roster_settings.cancel):
        return _plan_with_simulation(
            forecast, center, staffing, roster_settings, settings or LoopSettings(), previous, pins, on_progress,
            on_iteration,
        )  # fmt: skip


def _plan_with_simulation(
    forecast: pd.DataFrame,
    center: Center,
    staffing: StaffingSettings | None,
    roster_settings: RosterSettings,
    settings: LoopSettings,
    previous: pd.DataFrame | None,
    pins: pd.DataFrame | None,
    on_progress: Callable[[Progress], None] | None,
    on_iteration: Callable[[Iteration], None] | None,
) -> LoopResult:
    cancel = roster_settings.cancel
    began = time.perf_counter()
    horizon = center.horizon_covering(forecast["interval_start"])
    demand = forecast_demand(forecast, center, horizon)
    sim_settings = SimulationSettings(replications=settings.replications, seed=settings.seed)
    local = pd.DatetimeIndex(forecast["interval_start"]).tz_convert(center.timezone)
    keys = pd.MultiIndex.from_arrays(
        [forecast["work_type"].to_numpy(), local.date, local.hour // settings.block_hours],
        names=["work_type", "day", "block"],
    )
    factor: dict[tuple[str, object, int], float] = {}
    low, high = settings.factor_bounds
    modes = {w.id: w.mode for w in center.work_types}

    iterations: list[Iteration] = []
    kept: tuple[RosterResult, pd.DataFrame, SimulationResult] | None = None
    best_score: tuple[float, float] | None = None
    chosen, stale, stopped = 0, 0, "the iteration limit"
    last: RosterResult | None = None
    sim_time = 0.0
    for number in range(settings.max_iterations):
        factors = pd.Series([factor.get(k, 1.0) for k in keys], index=forecast.index, dtype=float)
        requirement = requirement_table(forecast, center, staffing, aht_factor=factors)
        left = settings.budget_s - (time.perf_counter() - began)
        if number == 0:
            limit = roster_settings.time_limit_s
        else:
            wanted = settings.resolve_time_limit_s or roster_settings.time_limit_s
            limit = min(wanted, left - 2 * sim_time)
            if limit < 2.0:
                stopped = "the time budget"
                break
        try:
            solved = solve_roster(
                requirement,
                center,
                _with_limit(roster_settings, limit),
                previous=previous,
                pins=pins,
                hint=last.roster if last is not None else None,
                on_progress=on_progress if number == 0 else None,
            )
        except Interrupted:
            if kept is None:
                raise
            stopped = INTERRUPTED
            break
        if solved.interrupted:
            if kept is None:
                raise LoopInterrupted(solved, requirement)
            stopped = INTERRUPTED  # the kept iteration was simulated; this roster was not
            break
        last = solved
        sim_began = time.perf_counter()
        scenario = build_scenario(center, solved.roster, demand, horizon)
        try:
            simulation = simulate(scenario, sim_settings)
        except BaseException:  # a terminal's Ctrl-C can reach the simulation's worker processes as they start
            if cancel is None or not cancel.cancelled:
                raise
            if kept is None:
                raise LoopInterrupted(solved, requirement) from None
            stopped = INTERRUPTED
            break
        sim_time = time.perf_counter() - sim_began
        levels = {w: mean for w, (mean, _, _) in simulation.service_levels().items()}
        cells = cell_levels(simulation, center, settings.block_hours)
        judged = cells[cells["offered"] >= settings.min_contacts]
        below = judged[judged["service_level"] < judged["target"]]
        shortfall = weekly_shortfall(levels, center, settings.tolerance)
        paid = float(solved.kpis["paid_hours"])
        score = (round(shortfall, 3), paid)
        # Progress: the shortfall falls by more than the simulation's noise (`progress`); a roster with the same
        # service and fewer hours is kept, but is no progress towards the targets.
        progressed = best_score is None or shortfall < best_score[0] - settings.progress
        if best_score is None or score < best_score:
            best_score, chosen, kept = score, number, (solved, requirement, simulation)
        stale = 0 if progressed else stale + 1
        # The next pass: raise cells below target (unless the roster was already short there), ease cells far above.
        capped = _short_cells(solved, center, settings.block_hours)
        changed = 0
        for work_type, day, block, level, target in zip(
            judged["work_type"].astype(str),
            judged["day"],
            judged["block"].to_numpy(dtype=int),
            judged["service_level"].to_numpy(dtype=float),
            judged["target"].to_numpy(dtype=float),
            strict=True,
        ):
            key = (work_type, day, int(block))
            old = factor.get(key, 1.0)
            if level < target and key not in capped:
                new = min(high, old * (1 + min(1.0, settings.step * (target + settings.margin - level))))
            elif level > target + settings.ease_above and modes[key[0]] is Mode.REALTIME:
                new = max(low, old * max(0.9, 1 - 0.5 * settings.step * (level - target - settings.ease_above)))
            else:
                continue
            if abs(new - old) > 1e-3:
                factor[key] = new
                changed += 1
        iterations.append(
            Iteration(
                number=number,
                paid_hours=paid,
                objective=solved.objective,
                service_level=levels,
                cells_below=len(below),
                shortfall=shortfall,
                changed_cells=changed,
                elapsed_s=time.perf_counter() - began,
            )
        )
        if on_iteration is not None:
            on_iteration(iterations[-1])
        if cancel is not None and cancel.cancelled:
            stopped = INTERRUPTED
            break
        if below.empty and shortfall == 0:
            stopped = "every cell meets its target"
            break
        if changed == 0:
            stopped = "no further change helps (the cells still short are short of agents, not of requirement)"
            break
        if stale >= settings.patience:
            stopped = f"no progress in {settings.patience} iterations"
            break
    assert kept is not None
    solved, requirement, simulation = kept
    notes = [
        f"simulation in the loop: {len(iterations)} iteration(s) in {time.perf_counter() - began:.0f} s, kept "
        f"iteration {chosen}; stopped on {stopped}"
    ]
    if stopped == "the time budget" and iterations and iterations[-1].changed_cells:
        notes.append(
            f"a longer budget would re-solve with {iterations[-1].changed_cells} more cells tightened or eased "
            f"({iterations[-1].cells_below} cells were below target in the last iteration)"
        )
    return LoopResult(solved, requirement, simulation, iterations, chosen, stopped, settings.tolerance, notes)


def _with_limit(settings: RosterSettings, limit_s: float) -> RosterSettings:
    return replace(settings, time_limit_s=max(1.0, limit_s))
