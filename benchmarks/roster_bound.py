"""The column generation's proven bound of the roster objective over time (`planner/roster/colgen.py`).

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.roster_bound --sizes M L --time-limit 120 [--objective M=122845] [--lp M] \
        [--integer-master 60]

For each size, the demo centre's plan week (the same files as `benchmarks.roster_scale`, cached under ``--work``)
is built into a roster problem and the column generation runs once for ``--time-limit`` wall seconds with one
CP-SAT worker per pricing problem. Printed: the best proven bound at 10, 30, 60 and 120 s (and at the limit), the
rounds, columns and whether it converged, the last restricted master's value, and, given the objective a roster
reached (``--objective SIZE=POINTS``), the gap against the bound. ``--lp SIZE ...`` also solves those sizes' full LP
relaxation offline (`benchmarks.roster_lp_bound`, minutes on M) to set the bound beside it; ``--integer-master S``
spends S more seconds on the best roster made of the generated patterns (`integer_master`, hinted with the greedy
roster).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.roster_lp_bound import lp_relaxation, solve_relaxation
from benchmarks.roster_scale import demo_inputs
from planner.roster.colgen import column_generation, integer_master
from planner.roster.heuristic import greedy_roster
from planner.roster.model import SCALE, RosterModel, RosterWeights
from planner.roster.problem import build_problem

#: Elapsed seconds at which the bound is reported.
CHECKPOINTS_S = (10.0, 30.0, 60.0, 120.0)


class _Timeline:
    """Each improved bound with the seconds elapsed when it came."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.history: list[tuple[float, float]] = []

    def __call__(self, bound: float) -> None:
        self.history.append((time.monotonic() - self.began, bound))

    def at(self, elapsed: float) -> float:
        """The best bound proven by `elapsed` seconds (-inf before the first)."""
        return max((bound for when, bound in self.history if when <= elapsed), default=float("-inf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["M"])
    parser.add_argument("--work", type=Path, default=Path("benchmarks/results/roster_work"))
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--objective", nargs="*", default=[], help="SIZE=POINTS reached by a roster, for the gap")
    parser.add_argument(
        "--integer-master", type=float, default=0.0, help="seconds for a roster made of the generated patterns"
    )
    parser.add_argument("--lp", nargs="*", default=[], help="sizes whose full LP relaxation is also solved offline")
    args = parser.parse_args()
    reached = {k: float(v) for k, v in (pair.split("=", 1) for pair in args.objective)}
    weights = RosterWeights()
    for size in args.sizes:
        center, requirement, _ = demo_inputs(size, args.work)
        problem = build_problem(requirement, center)
        timeline = _Timeline()
        result = column_generation(
            problem, weights, time_limit_s=args.time_limit, workers=args.workers, on_bound=timeline
        )
        points = [f"{t:g} s {timeline.at(t):,.0f}" for t in CHECKPOINTS_S if t <= args.time_limit]
        line = (
            f"[{size}] column generation, {args.time_limit:g} s: bound at " + ", ".join(points) + f"; final "
            f"{result.bound:,.1f} after {result.rounds} rounds, {result.columns:,} columns, "
            f"{'converged' if result.converged else 'not converged'} in {result.elapsed_s:.1f} s; restricted "
            f"master {result.lp_value:,.1f}"
        )
        if size in reached:
            gap = (reached[size] - result.bound) / reached[size]
            line += f"; gap of a {reached[size]:,.0f}-point roster: {gap:.1%}"
        print(line, flush=True)
        for elapsed, value, bound in result.progress:
            print(f"[{size}]   round at {elapsed:6.1f} s: master {value:,.1f}, bound {bound:,.1f}", flush=True)
        if args.integer_master > 0:
            began_master = time.perf_counter()
            hint = greedy_roster(problem, weights)  # as the roster solver would hand over its incumbent
            made = integer_master(
                problem, weights, result.patterns, time_limit_s=args.integer_master, workers=args.workers, hint=hint
            )
            took = time.perf_counter() - began_master
            if made is None:
                print(f"[{size}] integer master: no roster in {took:.0f} s", flush=True)
            else:
                gap = (made.objective - result.bound) / made.objective
                print(
                    f"[{size}] integer master: a roster of {made.objective:,.1f} points in {took:.0f} s "
                    f"({'optimal' if made.optimal else 'not proven'} among the patterns), {gap:.1%} above the bound",
                    flush=True,
                )
        if size in args.lp:
            began_lp = time.perf_counter()
            solver, _ = lp_relaxation(RosterModel(problem, weights).build().model)
            relaxation = solve_relaxation(solver, SCALE)
            print(
                f"[{size}] full LP relaxation {relaxation:,.1f} ({time.perf_counter() - began_lp:.0f} s); column "
                f"generation's bound {result.bound - relaxation:+,.1f} against it",
                flush=True,
            )


if __name__ == "__main__":
    main()
