"""The Curtois & Qu employee shift scheduling benchmark (schedulingbenchmarks.org): a CP-SAT model of an instance
and a large-neighbourhood search around it, scored by the independent `benchmarks.curtois_score`.

Run from the repository root::

    python -m benchmarks.curtois --instance Instance1.txt --time-limit 60 --solution-out out.csv [--workers 2]
    python -m benchmarks.curtois --all ../shared/data/curtois/instances --time-limit 60 --out results.json

The model has one boolean x[e, d, s] per employee, day and shift the employee may work; every hard rule of the
benchmark is a constraint (see `benchmarks.curtois_score` for the rules), the soft terms are the objective. The
search:

1. a first solution: the whole model solved until its first solution;
2. a large-neighbourhood search: repeatedly free a neighbourhood (a group of employees for the whole horizon; all
   employees on a window of 2 to 7 days; the employees and days around the costly cover cells; a mix of a group
   and a window), fix every other cell in a clone of the model, hint the incumbent, re-solve under a short limit
   and keep any improvement. A neighbourhood's size grows when its sub-solve proves optimal quickly and shrinks
   when it runs to the limit; a kind of neighbourhood that improves more is chosen more often;
3. with two workers or more, the whole model's CP-SAT search runs beside it on the other workers: its solutions
   join the incumbent, and its bound is the proven bound (it stops the search when the incumbent reaches it).

Nothing depends on the instance beyond its file: the same settings run every instance of the family, and
`best_known.csv` is read only to print the optimum beside the result.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ortools.sat.python import cp_model

from benchmarks.common import machine_info, write_report
from benchmarks.curtois_format import FormatError, Instance, read_instance
from benchmarks.curtois_score import score
from planner.cpsat import apply_common
from planner.lns import hint_all

__all__ = ["CurtoisModel", "LnsSettings", "RunResult", "read_instance", "solve", "write_solution"]

#: Seconds a sub-solve of the large-neighbourhood search may run.
SUB_LIMIT_S = 2.0
#: A sub-solve that proves optimality within this share of its limit grows the neighbourhood; one that runs to
#: the limit shrinks it.
QUICK_SHARE = 0.5
GROW, SHRINK = 1.15, 0.7
#: The first neighbourhood's share of the roster's cells, and its bounds in cells (the lower one in days).
START_SHARE = 0.05
#: The share of neighbourhood kinds drawn at random (the others: the kind with the best recent gain per second),
#: and the weight of the latest sub-solve in a kind's average.
EXPLORE, MEMORY = 0.25, 0.3
WINDOW_DAYS = (2, 7)
#: CP-SAT's linear relaxation level: 2 adds the clauses' and the cover's rows, which is what proves these models'
#: bounds (level 1, the default, leaves the bound at a third of the optimum on Instance3).
LINEARIZATION = 2
#: The times at which the objective is reported.
CHECKPOINTS_S = (10.0, 60.0)


class CurtoisModel:
    """The CP-SAT model of one instance: x[e, d, s], the rules as constraints, the soft terms as the objective."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        staff, shifts, horizon = instance.staff, instance.shifts, instance.horizon
        self.shift_index = {s.id: i for i, s in enumerate(shifts)}
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.work: list[list[cp_model.IntVar]] = []
        for e, person in enumerate(staff):
            off = instance.days_off.get(person.id, frozenset())
            row = []
            for d in range(horizon):
                day = [
                    self.x.setdefault((e, d, s), self.model.new_bool_var(f"x[{person.id},{d},{shift.id}]"))
                    for s, shift in enumerate(shifts)
                    if person.max_shifts.get(shift.id, 0) > 0 and d not in off
                ]
                worked = self.model.new_bool_var(f"work[{person.id},{d}]")
                self.model.add(worked == sum(day))  # at most one shift a day
                row.append(worked)
            self.work.append(row)
        for e in range(len(staff)):
            self._rotation(e)
            self._max_shifts(e)
            self._total_minutes(e)
            self._consecutive(e)
            self._weekends(e)
        self.terms: dict[str, list[tuple[int, cp_model.LinearExprT]]] = {
            "shift_on_requests": [],
            "shift_off_requests": [],
            "cover": [],
        }
        self._requests()
        self._cover()
        self.objective = sum(w * t for terms in self.terms.values() for w, t in terms)
        self.model.minimize(self.objective)
        # each cell's variables, by proto index, for fixing them in a neighbourhood's clone
        self.cell_vars: list[list[list[int]]] = [
            [
                [self.work[e][d].index, *(self.x[e, d, s].index for s in range(len(shifts)) if (e, d, s) in self.x)]
                for d in range(horizon)
            ]
            for e in range(len(staff))
        ]

    def _rotation(self, e: int) -> None:
        """No shift followed the next day by a shift it forbids."""
        for shift in self.instance.shifts:
            s = self.shift_index[shift.id]
            for other in shift.cannot_follow:
                t = self.shift_index[other]
                for d in range(self.instance.horizon - 1):
                    if (e, d, s) in self.x and (e, d + 1, t) in self.x:
                        self.model.add_bool_or([self.x[e, d, s].Not(), self.x[e, d + 1, t].Not()])

    def _max_shifts(self, e: int) -> None:
        for shift in self.instance.shifts:
            s = self.shift_index[shift.id]
            cells = [self.x[e, d, s] for d in range(self.instance.horizon) if (e, d, s) in self.x]
            limit = self.instance.staff[e].max_shifts.get(shift.id, 0)
            if len(cells) > limit:
                self.model.add(sum(cells) <= limit)

    def _total_minutes(self, e: int) -> None:
        person = self.instance.staff[e]
        minutes = sum(
            shift.minutes * self.x[e, d, s]
            for (e2, d, s), _ in self.x.items()
            if e2 == e
            for shift in [self.instance.shifts[s]]
        )
        self.model.add_linear_constraint(minutes, person.min_total_minutes, person.max_total_minutes)

    def _consecutive(self, e: int) -> None:
        """Runs of worked days at most the maximum; runs of work and of rest inside the horizon at least the minimum
        (a run touching the horizon's start or end is not bound by the minimum)."""
        person, work, horizon = self.instance.staff[e], self.work[e], self.instance.horizon
        most = person.max_consecutive_shifts
        for d in range(horizon - most):
            self.model.add(sum(work[d : d + most + 1]) <= most)
        for value, least in ((True, person.min_consecutive_shifts), (False, person.min_consecutive_days_off)):
            on = [w if value else w.Not() for w in work]
            for length in range(1, least):
                for start in range(
                    1, horizon - length
                ):  # the run is days start .. start + length - 1, both ends inside
                    self.model.add_bool_or(
                        [on[start - 1], *(on[d].Not() for d in range(start, start + length)), on[start + length]]
                    )

    def _weekends(self, e: int) -> None:
        horizon, work = self.instance.horizon, self.work[e]
        weekends = []
        for first in range(5, horizon, 7):
            days = [work[d] for d in (first, first + 1) if d < horizon]
            worked = self.model.new_bool_var("")
            self.model.add_max_equality(worked, days)
            weekends.append(worked)
        self.model.add(sum(weekends) <= self.instance.staff[e].max_weekends)

    def _requests(self) -> None:
        staff_index = {p.id: e for e, p in enumerate(self.instance.staff)}
        for request in self.instance.on_requests:
            key = (staff_index[request.employee], request.day, self.shift_index[request.shift])
            self.terms["shift_on_requests"].append((request.weight, 1 - self.x[key] if key in self.x else 1))
        for request in self.instance.off_requests:
            key = (staff_index[request.employee], request.day, self.shift_index[request.shift])
            if key in self.x:
                self.terms["shift_off_requests"].append((request.weight, self.x[key]))

    def _cover(self) -> None:
        people = len(self.instance.staff)
        for item in self.instance.cover:
            s = self.shift_index[item.shift]
            staffed = sum(self.x[e, item.day, s] for e in range(people) if (e, item.day, s) in self.x)
            under = self.model.new_int_var(0, item.requirement, f"under[{item.day},{item.shift}]")
            over = self.model.new_int_var(0, people, f"over[{item.day},{item.shift}]")
            self.model.add(staffed - item.requirement == over - under)
            self.terms["cover"].append((item.weight_under, under))
            self.terms["cover"].append((item.weight_over, over))

    def assignments(self, values: list[int]) -> list[tuple[str, int, str]]:
        """The (employee, day, shift) rows of a solution given as every variable's value."""
        return [
            (self.instance.staff[e].id, d, self.instance.shifts[s].id)
            for (e, d, s), var in sorted(self.x.items())
            if values[var.index]
        ]

    def cover_cost(self, values: list[int]) -> dict[int, int]:
        """Each day's cover penalty in a solution (the neighbourhoods go where it is)."""
        cost: dict[int, int] = {}
        for (weight, var), item in zip(
            self.terms["cover"], [c for c in self.instance.cover for _ in (0, 1)], strict=True
        ):
            assert isinstance(var, cp_model.IntVar)
            cost[item.day] = cost.get(item.day, 0) + weight * values[var.index]
        return cost


@dataclass
class LnsSettings:
    time_limit_s: float = 60.0
    workers: int = 1
    seed: int = 0
    sub_limit_s: float = SUB_LIMIT_S
    lns: bool = True  # False: the whole model's CP-SAT search alone, on every worker (the reference method)


@dataclass
class RunResult:
    instance: str
    objective: int | None
    bound: float | None
    optimal: bool
    time_to_best_s: float | None
    elapsed_s: float
    timeline: list[tuple[float, int, str]] = field(default_factory=list)  # (seconds, objective, source)
    iterations: int = 0
    improvements: dict[str, int] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)  # sub-solves that ran to their limit unproven
    sizes: dict[str, int] = field(default_factory=dict)  # each kind's neighbourhood size at the end, in cells
    assignments: list[tuple[str, int, str]] = field(default_factory=list)

    def objective_at(self, seconds: float) -> int | None:
        found = [objective for at, objective, _ in self.timeline if at <= seconds]
        return min(found) if found else None


class _Incumbent:
    """The best solution so far, shared by the LNS and the whole-model search."""

    def __init__(self, start: float) -> None:
        self.lock = threading.Lock()
        self.values: list[int] | None = None
        self.objective: int | None = None
        self.bound: float | None = None
        self.start = start
        self.timeline: list[tuple[float, int, str]] = []
        self.done = threading.Event()

    def offer(self, values: list[int], objective: int, source: str) -> bool:
        with self.lock:
            if self.objective is not None and objective >= self.objective:
                return False
            self.values, self.objective = list(values), objective
            self.timeline.append((time.monotonic() - self.start, objective, source))
            if self.bound is not None and objective <= math.ceil(self.bound - 1e-6):
                self.done.set()
            return True

    def sideways(self, values: list[int], objective: int) -> None:
        """Take a different solution of the same objective (a plateau move: the next neighbourhoods start there)."""
        with self.lock:
            if objective == self.objective:
                self.values = list(values)

    def prove(self, bound: float, optimal: bool) -> None:
        with self.lock:
            self.bound = bound if self.bound is None else max(self.bound, bound)
            if optimal or (self.objective is not None and self.objective <= math.ceil(self.bound - 1e-6)):
                self.done.set()


class _Collect(cp_model.CpSolverSolutionCallback):
    def __init__(self, incumbent: _Incumbent, source: str) -> None:
        super().__init__()
        self.incumbent, self.source = incumbent, source

    def on_solution_callback(self) -> None:
        self.incumbent.offer(list(self.response_proto.solution), round(self.objective_value), self.source)


def _parameters(solver: cp_model.CpSolver, limit_s: float, workers: int, seed: int) -> None:
    apply_common(solver, limit_s=max(limit_s, 0.01), workers=workers, seed=seed, relative_gap=0.0, deterministic=False)
    solver.parameters.linearization_level = LINEARIZATION


class _Neighbourhoods:
    """The kinds of neighbourhood, each a set of (employee, day) cells to free, of about `size` cells."""

    def __init__(self, model: CurtoisModel, rng: random.Random) -> None:
        self.model, self.rng = model, rng
        self.people, self.horizon = len(model.instance.staff), model.instance.horizon
        self.kinds: dict[str, Callable[[list[int], float], set[tuple[int, int]]]] = {
            "employees": self.employees,
            "window": self.window,
            "cover": self.cover,
            "mix": self.mix,
        }

    def employees(self, values: list[int], size: float) -> set[tuple[int, int]]:
        count = min(self.people, max(1, round(size / self.horizon)))
        return {(e, d) for e in self.rng.sample(range(self.people), count) for d in range(self.horizon)}

    def window(self, values: list[int], size: float) -> set[tuple[int, int]]:
        days = min(self.horizon, max(WINDOW_DAYS[0], min(WINDOW_DAYS[1], round(size / self.people))))
        start = self.rng.randrange(self.horizon - days + 1)
        return {(e, d) for e in range(self.people) for d in range(start, start + days)}

    def cover(self, values: list[int], size: float) -> set[tuple[int, int]]:
        """The days where cover costs most (drawn by cost) and their neighbours, for random employees."""
        cost = {d: c for d, c in self.model.cover_cost(values).items() if c > 0}
        if not cost:
            return self.window(values, size)
        wanted = min(self.horizon, max(3, math.ceil(2 * size / self.people)))
        # days drawn by cost without replacement (Efraimidis-Spirakis keys), each with its neighbours
        order = sorted(cost, key=lambda d: self.rng.random() ** (1 / cost[d]), reverse=True)
        days: set[int] = set()
        for day in order:
            days.update(d for d in (day - 1, day, day + 1) if 0 <= d < self.horizon)
            if len(days) >= wanted:
                break
        count = min(self.people, max(2, round(size / len(days))))
        return {(e, d) for e in self.rng.sample(range(self.people), count) for d in days}

    def mix(self, values: list[int], size: float) -> set[tuple[int, int]]:
        return self.employees(values, size / 2) | self.window(values, size / 2)


def _lns(model: CurtoisModel, incumbent: _Incumbent, settings: LnsSettings, deadline: float, result: RunResult) -> None:
    rng = random.Random(settings.seed)
    hoods = _Neighbourhoods(model, rng)
    cells = len(model.instance.staff) * model.instance.horizon
    size = {kind: max(model.instance.horizon, START_SHARE * cells) for kind in hoods.kinds}
    # each kind's recent gain per second (an exponential average; untried kinds first), chosen greedily but for
    # an EXPLORE share of random choices
    rate = {kind: math.inf for kind in hoods.kinds}
    while not incumbent.done.is_set() and time.monotonic() < deadline - 0.05:
        with incumbent.lock:
            values, best = list(incumbent.values or []), incumbent.objective
        if rng.random() < EXPLORE:
            kind = rng.choice(list(hoods.kinds))
        else:
            kind = max(hoods.kinds, key=lambda k: (rate[k], rng.random()))
        began = time.monotonic()
        free = hoods.kinds[kind](values, size[kind])
        sub = model.model.clone()
        variables = sub.proto.variables
        for e, row in enumerate(model.cell_vars):
            for d, indices in enumerate(row):
                if (e, d) not in free:
                    for i in indices:
                        domain = variables[i].domain
                        domain[0] = domain[1] = values[i]
        hint_all(sub, values)
        solver = cp_model.CpSolver()
        limit = min(settings.sub_limit_s, deadline - time.monotonic())
        _parameters(solver, limit, 1, rng.randrange(1 << 30))
        status = solver.solve(sub)
        result.iterations += 1
        result.tries[kind] = result.tries.get(kind, 0) + 1
        gain = 0.0
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and best is not None and solver.objective_value < best:
            if incumbent.offer(list(solver.response_proto.solution), round(solver.objective_value), f"lns:{kind}"):
                result.improvements[kind] = result.improvements.get(kind, 0) + 1
                gain = best - solver.objective_value
        elif status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and round(solver.objective_value) == best:
            incumbent.sideways(list(solver.response_proto.solution), best)
        seconds = max(time.monotonic() - began, 1e-3)
        rate[kind] = gain / seconds if math.isinf(rate[kind]) else (1 - MEMORY) * rate[kind] + MEMORY * gain / seconds
        if status == cp_model.OPTIMAL and solver.wall_time < QUICK_SHARE * limit:
            size[kind] = min(cells, size[kind] * GROW)
        elif status != cp_model.OPTIMAL:
            size[kind] = max(model.instance.horizon / 2, size[kind] * SHRINK)
            result.timeouts[kind] = result.timeouts.get(kind, 0) + 1
    result.sizes = {kind: round(cells) for kind, cells in size.items()}


def solve(instance: Instance, settings: LnsSettings) -> RunResult:
    """A first solution, then the LNS (and, with two workers or more, the whole model's search beside it)."""
    start = time.monotonic()
    deadline = start + settings.time_limit_s
    model = CurtoisModel(instance)
    incumbent = _Incumbent(start)
    result = RunResult(instance.name, None, None, False, None, 0.0)
    first = cp_model.CpSolver()
    _parameters(first, deadline - time.monotonic(), settings.workers, settings.seed)
    first.parameters.stop_after_first_solution = True
    first.parameters.linearization_level = 0  # no LP: the first solution of Instance12 in 1.4 s, not > 20 s
    status = first.solve(model.model, _Collect(incumbent, "first"))
    if status == cp_model.OPTIMAL:
        incumbent.prove(first.best_objective_bound, True)
    elif status == cp_model.INFEASIBLE:
        result.elapsed_s = time.monotonic() - start
        return result
    elif status == cp_model.FEASIBLE:
        incumbent.prove(first.best_objective_bound, False)
    threads = []
    if not settings.lns:
        if incumbent.values is not None and not incumbent.done.is_set():
            _whole(model, incumbent, settings.workers, settings.seed, deadline)
    elif settings.workers > 1 and incumbent.values is not None and not incumbent.done.is_set():
        whole = (model, incumbent, settings.workers - 1, settings.seed + 1, deadline)
        threads.append(threading.Thread(target=_whole, args=whole, daemon=True))
    for thread in threads:
        thread.start()
    if incumbent.values is not None and settings.lns:
        _lns(model, incumbent, settings, deadline, result)
    incumbent.done.set()
    for thread in threads:
        thread.join()
    result.elapsed_s = time.monotonic() - start
    result.timeline = incumbent.timeline
    if incumbent.values is not None:
        result.objective = incumbent.objective
        result.assignments = model.assignments(incumbent.values)
        result.time_to_best_s = incumbent.timeline[-1][0]
    result.bound = incumbent.bound
    result.optimal = (
        result.objective is not None and result.bound is not None and result.objective <= math.ceil(result.bound - 1e-6)
    )
    return result


def _whole(model: CurtoisModel, incumbent: _Incumbent, workers: int, seed: int, deadline: float) -> None:
    """The whole model's search on `workers`, hinted with the incumbent, stopped when the LNS meets its bound."""
    solver = cp_model.CpSolver()
    _parameters(solver, deadline - time.monotonic(), workers, seed)
    hinted = model.model.clone()
    with incumbent.lock:
        values = list(incumbent.values or [])
    hint_all(hinted, values)

    solver.best_bound_callback = lambda bound: incumbent.prove(bound, False)
    stopper = threading.Thread(target=lambda: (incumbent.done.wait(), solver.stop_search()), daemon=True)
    stopper.start()
    status = solver.solve(hinted, _Collect(incumbent, "whole"))
    if status not in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        incumbent.prove(solver.best_objective_bound, status == cp_model.OPTIMAL)


def write_solution(path: Path, assignments: list[tuple[str, int, str]]) -> None:
    """The solution as CSV: header employee,day,shift, one row per worked day."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["employee", "day", "shift"])
        writer.writerows(assignments)


def best_known(instance_path: Path) -> int | None:
    """The optimum listed in best_known.csv beside the instances' folder (for the report only), if any."""
    table = instance_path.resolve().parent.parent / "best_known.csv"
    if not table.exists():
        return None
    with table.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("instance") == instance_path.stem:
                return int(row["best_known_upper_bound"])
    return None


def _summary(path: Path, instance: Instance, result: RunResult, time_limit_s: float) -> dict[str, object]:
    known = best_known(path)
    checked = score(instance, result.assignments) if result.objective is not None else None
    gap = (
        None
        if known is None or result.objective is None
        else (result.objective - known) / known
        if known
        else float(result.objective > 0)
    )
    return {
        "instance": instance.name,
        "staff": len(instance.staff),
        "days": instance.horizon,
        "shifts": len(instance.shifts),
        **{f"objective_{round(s)}s": result.objective_at(s) for s in CHECKPOINTS_S if s <= time_limit_s},
        "objective": result.objective,
        "bound": result.bound,
        "optimal": result.optimal,
        "optimum": known,
        "gap_to_optimum": gap,
        "reached_optimum": known is not None and result.objective == known,
        "time_to_best_s": result.time_to_best_s,
        "elapsed_s": result.elapsed_s,
        "scorer_objective": None if checked is None else checked.objective,
        "scorer_violations": None if checked is None else len(checked.violations),
        "iterations": result.iterations,
        "tries": result.tries,
        "improvements": result.improvements,
        "timeouts": result.timeouts,
        "sizes": result.sizes,
    }


def _print(summary: dict[str, object]) -> None:
    for key, value in summary.items():
        print(f"{key:>18}: {value:.4f}" if isinstance(value, float) else f"{key:>18}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--instance", type=Path, help="one instance file")
    which.add_argument("--all", type=Path, help="a folder of instance files, run each in turn")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--solution-out", type=Path, help="(with --instance) where to write the solution CSV")
    parser.add_argument("--out", type=Path, help="(with --all) where to write the JSON report")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workers", type=int, default=1, help="1: the LNS alone; more: the whole model's search beside it"
    )
    parser.add_argument("--no-lns", action="store_true", help="the whole model's CP-SAT search alone (for comparison)")
    args = parser.parse_args(argv)
    if args.time_limit <= 0 or args.workers < 1:
        print("error: --time-limit must be positive and --workers at least 1", file=sys.stderr)
        return 2
    paths = [args.instance] if args.instance else sorted(args.all.glob("*.txt"), key=lambda p: (len(p.stem), p.stem))
    if not paths:
        print(
            f"error: {args.all} holds no instance files (*.txt); give the folder of Instance1.txt ...", file=sys.stderr
        )
        return 2
    try:
        instances = [(path, read_instance(path)) for path in paths]
    except FormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = LnsSettings(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed, lns=not args.no_lns)
    summaries = []
    for path, instance in instances:
        result = solve(instance, settings)
        summary = _summary(path, instance, result, args.time_limit)
        summaries.append(summary)
        _print(summary)
        if result.objective is None:
            print(f"{instance.name}: no solution found in {args.time_limit} s", file=sys.stderr)
            continue
        if summary["scorer_objective"] != result.objective or summary["scorer_violations"]:
            print(f"{instance.name}: the scorer disagrees with the model", file=sys.stderr)
            return 1
        if args.solution_out and args.instance:
            write_solution(args.solution_out, result.assignments)
    if args.out:
        write_report(args.out, {"machine": machine_info(), "settings": asdict(settings), "results": summaries})
    return 0 if all(s["objective"] is not None for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
