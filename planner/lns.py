"""Large-neighbourhood search around CP-SAT, for any model whose decisions fall into groups (an agent's day, an
employee's day): from a complete solution, free a neighbourhood of groups, fix every other group's variables to
their values, let CP-SAT re-solve what is free under a short limit, keep the result where it is better, repeat.

The neighbourhoods are the caller's: each chooses which groups to free from the incumbent (where its objective's
terms say the cost is, or at random). Their sizes adapt: a neighbourhood CP-SAT solves to optimality quickly is
grown, one it cannot finish in its limit is shrunk. Neighbourhoods that have paid recently are chosen more often
(an adaptive roulette with a floor, so that none is starved).

Fixing is done on the variables' domains in a private copy of the model, so CP-SAT's presolve removes what is
fixed; every variable is hinted with the incumbent, so a sub-solve starts from a solution as good as it.

Wall mode runs `lanes` neighbourhoods in parallel threads (CP-SAT releases the interpreter's lock while it
solves), each sub-solve on one CP-SAT worker. Deterministic mode runs one lane, limits every sub-solve in CP-SAT's
deterministic time and draws from a seeded generator: the same input gives the same result.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as helper

from planner.cpsat import apply_common, solve
from planner.runtime import Cancellation

__all__ = [
    "Incumbent",
    "LnsSettings",
    "LnsStats",
    "Neighbourhood",
    "Solution",
    "hint_all",
    "large_neighbourhood_search",
]

#: How a neighbourhood's size changes after a sub-solve that finished (proved its best) or ran out of time.
GROW, SHRINK = 1.2, 0.8
#: Weight of the latest result in a neighbourhood's running score, and the least chance any neighbourhood keeps.
SCORE_MEMORY = 0.3
LEAST_CHANCE = 0.1
#: Deterministic seconds each sub-solve is charged at least (a search of tiny sub-solves still ends).
LEAST_CHARGE_S = 0.01


@dataclass(frozen=True)
class Incumbent:
    """A complete solution: one value per model variable (in the model's order) and its objective."""

    values: np.ndarray
    objective: int


class Solution:
    """A solution read like a `CpSolver` after its solve: `value(expression)` and `objective_value`."""

    def __init__(self, incumbent: Incumbent) -> None:
        self._response = helper.CpSolverResponse()
        self._response.solution.extend(incumbent.values.tolist())
        self.objective_value = float(incumbent.objective)

    def value(self, expression: cp_model.LinearExprT) -> int:
        return int(helper.ResponseHelper.value(self._response, expression))


@dataclass(frozen=True)
class Neighbourhood:
    """A way of choosing the groups to free: `choose(incumbent, size, rng)` returns about `size` group keys."""

    name: str
    choose: Callable[[Incumbent, int, np.random.Generator], Sequence[Hashable]]


@dataclass(frozen=True)
class LnsSettings:
    """`lanes`: neighbourhoods solved at once (wall mode). `first_size`: groups freed at first (each
    neighbourhood then adapts its own size between `least_size` and all the groups). `sub_limit_s`: the limit of
    a sub-solve; deterministic seconds in deterministic mode. `sideways`: a sub-solve's different solution of the
    same objective replaces the incumbent (the search moves along plateaus instead of re-solving the same
    neighbourhoods of one solution)."""

    lanes: int = 1
    workers: int = 1  # CP-SAT workers of each sub-solve
    seed: int = 0
    deterministic: bool = False
    first_size: int = 20
    least_size: int = 2
    sub_limit_s: float = 2.0
    sideways: bool = True  # take a different solution of the same objective (a plateau move)


@dataclass
class LnsStats:
    """What the search did: sub-solves and improvements per neighbourhood, and the deterministic time spent."""

    tried: dict[str, int] = field(default_factory=dict)
    improved: dict[str, int] = field(default_factory=dict)
    gain: dict[str, int] = field(default_factory=dict)
    size: dict[str, float] = field(default_factory=dict)
    deterministic_s: float = 0.0
    #: A neighbourhood that freed every group was solved to optimality: the incumbent is optimal.
    proved_optimal: bool = False
    #: The incumbent reached the caller's `target` (a bound, or a bound within an accepted gap).
    reached_target: bool = False
    sideways: int = 0

    @property
    def iterations(self) -> int:
        return sum(self.tried.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "iterations": self.iterations,
            "improvements": sum(self.improved.values()),
            "proved_optimal": self.proved_optimal,
            "reached_target": self.reached_target,
            "sideways": self.sideways,
            "per_neighbourhood": {
                name: {
                    "tried": self.tried[name],
                    "improved": self.improved.get(name, 0),
                    "gain": self.gain.get(name, 0),
                    "size": round(self.size.get(name, 0.0), 1),
                }
                for name in sorted(self.tried)
            },
        }


class _Lane:
    """A private copy of the model whose group variables are fixed to (or freed from) an incumbent's values; only
    the groups whose state changed since the last sub-solve are rewritten."""

    def __init__(self, model: cp_model.CpModel, groups: Mapping[Hashable, np.ndarray]) -> None:
        self.model = model.clone()
        self.proto = self.model.proto
        self.groups = groups
        self.base = {key: [list(self.proto.variables[int(i)].domain) for i in index] for key, index in groups.items()}
        self.state: dict[Hashable, tuple[int, ...] | None] = {key: None for key in groups}  # None: free

    def prepare(self, incumbent: Incumbent, free: set[Hashable]) -> None:
        variables = self.proto.variables
        for key, index in self.groups.items():
            wanted = None if key in free else tuple(int(v) for v in incumbent.values[index])
            if wanted == self.state[key]:
                continue
            for position, i in enumerate(index):
                domain = variables[int(i)].domain
                domain.clear()
                if wanted is None:
                    domain.extend(self.base[key][position])
                else:
                    domain.extend([wanted[position], wanted[position]])
            self.state[key] = wanted
        hint_all(self.model, incumbent.values.tolist())


def hint_all(model: cp_model.CpModel, values: Sequence[int]) -> None:
    """Hint every variable of `model` with its value in `values` (one per variable, in the model's order),
    replacing any earlier hint."""
    hint = model.proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


@dataclass
class _Arm:
    """One neighbourhood's adaptive state."""

    neighbourhood: Neighbourhood
    size: float
    score: float = 1.0


def large_neighbourhood_search(
    model: cp_model.CpModel,
    groups: Mapping[Hashable, Sequence[int]],
    start: Incumbent,
    neighbourhoods: Sequence[Neighbourhood],
    settings: LnsSettings,
    *,
    deadline: float | None = None,
    deterministic_budget_s: float | None = None,
    cancel: Cancellation | None = None,
    on_improve: Callable[[Incumbent, str], None] | None = None,
    target: Callable[[], float] | None = None,
) -> tuple[Incumbent, LnsStats]:
    """Improve `start` (a solution of `model`) until `deadline` (a `time.monotonic()` instant; wall mode) or until
    `deterministic_budget_s` deterministic seconds are spent (deterministic mode), or `cancel`. `groups`: key ->
    the indices of the variables that make up the group (the decisions; every other variable stays free and is
    recomputed by each sub-solve). `target`: an objective good enough to stop at, read as the search goes (e.g. a
    proven bound computed beside it, or one within an accepted gap): the search stops when the incumbent reaches
    it. Returns the best solution found and what the search did."""
    if not neighbourhoods:
        raise ValueError("large_neighbourhood_search needs at least one neighbourhood")
    if settings.deterministic and deterministic_budget_s is None:
        raise ValueError("deterministic mode needs deterministic_budget_s")
    if not settings.deterministic and deadline is None:
        raise ValueError("wall mode needs a deadline")
    index = {key: np.asarray(list(vars_), dtype=np.int64) for key, vars_ in groups.items()}
    keys = list(index)
    key_set = set(keys)
    rng = np.random.default_rng(settings.seed)
    first = float(min(max(settings.first_size, settings.least_size), len(keys)))
    arms = [_Arm(n, first) for n in neighbourhoods]
    stats = LnsStats()
    lock = threading.Lock()
    best = [start]

    def pick() -> tuple[_Arm, set[Hashable], Incumbent, int]:
        scores = np.array([arm.score for arm in arms])
        chances = scores / scores.sum() * (1 - LEAST_CHANCE) + LEAST_CHANCE / len(arms)
        arm = arms[int(rng.choice(len(arms), p=chances / chances.sum()))]
        incumbent = best[0]
        free = set(arm.neighbourhood.choose(incumbent, max(settings.least_size, round(arm.size)), rng))
        return arm, free, incumbent, int(rng.integers(0, 2**31 - 1))

    def settle(
        arm: _Arm, free: set[Hashable], status: cp_model.CpSolverStatus, found: Incumbent | None, base: int, took: float
    ) -> None:
        name = arm.neighbourhood.name
        stats.tried[name] = stats.tried.get(name, 0) + 1
        gain = 0
        if found is not None and found.objective < best[0].objective:
            gain = best[0].objective - found.objective
            best[0] = found
            stats.improved[name] = stats.improved.get(name, 0) + 1
            stats.gain[name] = stats.gain.get(name, 0) + gain
            if on_improve is not None:
                on_improve(found, name)
        elif found is not None and found.objective < base:
            gain = base - found.objective  # improved its own start, beaten meanwhile by another lane
        elif (
            settings.sideways
            and found is not None
            and found.objective == best[0].objective
            and not np.array_equal(found.values, best[0].values)
        ):
            best[0] = found  # a plateau move: the next neighbourhoods start from a different solution as good
            stats.sideways += 1
        rate = gain / max(took, 1e-3)
        arm.score = (1 - SCORE_MEMORY) * arm.score + SCORE_MEMORY * (rate / max(1.0, abs(best[0].objective)) * 1e4)
        arm.score = max(arm.score, 1e-6)
        whole = len(keys)
        if status == cp_model.OPTIMAL and found is not None and found.objective <= best[0].objective:
            stats.proved_optimal = stats.proved_optimal or len(free & key_set) == whole
        if status == cp_model.OPTIMAL or status == cp_model.INFEASIBLE:
            arm.size = min(whole, arm.size * GROW)
        else:
            arm.size = max(settings.least_size, arm.size * SHRINK)
        stats.size[name] = arm.size

    def sub_solve(
        lane: _Lane, free: set[Hashable], incumbent: Incumbent, seed: int, limit: float
    ) -> tuple[cp_model.CpSolverStatus, Incumbent | None, float]:
        lane.prepare(incumbent, free)
        solver = cp_model.CpSolver()
        apply_common(
            solver,
            limit_s=limit,
            workers=settings.workers,
            seed=seed,
            relative_gap=0.0,
            deterministic=settings.deterministic,
        )
        status = solve(solver, lane.model, None, cancel)
        found = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = np.asarray(solver.response_proto.solution, dtype=np.int64)
            found = Incumbent(values, round(solver.objective_value))
        try:
            spent = float(solver.deterministic_time)
        except RuntimeError:
            spent = 0.0
        return status, found, spent

    def stopped() -> bool:
        if target is not None and best[0].objective <= math.ceil(target() - 1e-6):
            stats.reached_target = True
        return (cancel is not None and cancel.cancelled) or stats.proved_optimal or stats.reached_target

    if settings.deterministic:
        assert deterministic_budget_s is not None
        lane = _Lane(model, index)
        while not stopped() and stats.deterministic_s < deterministic_budget_s - 1e-9:
            arm, free, incumbent, seed = pick()
            limit = min(settings.sub_limit_s, deterministic_budget_s - stats.deterministic_s)
            status, found, spent = sub_solve(lane, free, incumbent, seed, limit)
            stats.deterministic_s += max(spent, LEAST_CHARGE_S)
            settle(arm, free, status, found, incumbent.objective, spent)
        return best[0], stats

    assert deadline is not None

    def run_lane() -> None:
        lane = _Lane(model, index)
        while not stopped():
            left = deadline - time.monotonic()
            if left < 0.05:
                return
            with lock:
                arm, free, incumbent, seed = pick()
            began = time.monotonic()
            status, found, spent = sub_solve(lane, free, incumbent, seed, min(settings.sub_limit_s, left))
            with lock:
                stats.deterministic_s += spent
                settle(arm, free, status, found, incumbent.objective, time.monotonic() - began)

    lanes = max(1, settings.lanes)
    if lanes == 1:
        run_lane()
    else:
        threads = [threading.Thread(target=run_lane, name=f"lns-{k}", daemon=True) for k in range(lanes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return best[0], stats
