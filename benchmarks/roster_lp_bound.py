"""The roster model's LP relaxation as a reference bound (issue 5): how much of the reported gap is the bound's.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.roster_lp_bound --sizes M --work /tmp/rs_work [--objective M=105214]

For each size, the demo centre's plan week (the same files as `benchmarks.roster_scale`, cached under ``--work``)
is built into the roster's CP-SAT model, whose every constraint is then copied into a linear programme with the
integrality dropped: linear constraints as rows, at-most-one / exactly-one / at-least-one over literals as rows
over 0-1 columns, ``target = max(exprs)`` relaxed to ``target >= expr`` for each expr. Anything else would be
dropped, which can only lower the optimum (the roster model uses none). GLOP solves it; its optimum, less a
tolerance, is a proven lower bound of the roster's objective, computed offline, without the solver's time limit.
Given the objective a roster reached (``--objective``), the gap against this bound is printed beside it.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from benchmarks.roster_scale import demo_inputs
from planner.roster.model import SCALE, RosterModel, RosterWeights
from planner.roster.problem import build_problem
from planner.roster.solver import pay_floor

#: Constraint kinds the relaxation keeps; every other kind is dropped (and counted).
KEPT = ("linear", "at_most_one", "exactly_one", "bool_or", "lin_max")
OTHERS = (
    "bool_and",
    "bool_xor",
    "int_prod",
    "int_div",
    "int_mod",
    "element",
    "table",
    "interval",
    "no_overlap",
    "cumulative",
    "all_diff",
    "automaton",
    "circuit",
    "routes",
    "inverse",
    "reservoir",
    "no_overlap_2d",
)
#: Relative tolerance taken off the LP optimum (GLOP's primal feasibility tolerance is about 1e-7).
TOLERANCE = 1e-6
_BIG = 2**62


def _kind(constraint: object) -> str:
    for kind in KEPT + OTHERS:
        if getattr(constraint, f"has_{kind}")():
            return kind
    return "unknown"


class _Lp:
    """A GLOP programme mirroring a CP-SAT model's variables (one column each, bounds from the domain's hull)."""

    def __init__(self, model: cp_model.CpModel) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.infinity = self.solver.infinity()
        self.columns = [
            self.solver.NumVar(float(list(v.domain)[0]), float(list(v.domain)[-1]), "") for v in model.proto.variables
        ]

    def _column(self, ref: int) -> tuple[pywraplp.Variable, float]:
        """A linear reference: a negative one is minus the variable."""
        return (self.columns[ref], 1.0) if ref >= 0 else (self.columns[-ref - 1], -1.0)

    def row(self, terms: list[tuple[int, float]], low: float, high: float, literals: bool = False) -> None:
        """sum coef * ref in [low, high]; with `literals`, a negative ref is the negated literal 1 - x."""
        constant = 0.0
        row = self.solver.Constraint(-self.infinity, self.infinity)
        for ref, coef in terms:
            if literals and ref < 0:
                column, sign, constant = self.columns[-ref - 1], -1.0, constant + coef
            else:
                column, sign = self._column(ref)
            row.SetCoefficient(column, row.GetCoefficient(column) + sign * coef)
        low = low - constant if low > -self.infinity else low
        high = high - constant if high < self.infinity else high
        row.SetBounds(low, high)


def lp_relaxation(model: cp_model.CpModel) -> tuple[pywraplp.Solver, Counter[str]]:
    """The LP relaxation of `model` (minimisation of its objective) and the kinds of constraint it dropped."""
    lp = _Lp(model)
    proto = model.proto
    inf = lp.infinity
    dropped: Counter[str] = Counter()
    for c in proto.constraints:
        kind = _kind(c)
        if len(c.enforcement_literal) or kind not in KEPT:
            dropped[kind] += 1  # a half-reified or unsupported constraint: dropping it only loosens the bound
            continue
        if kind == "linear":
            domain = list(c.linear.domain)
            low = -inf if domain[0] <= -_BIG else float(domain[0])
            high = inf if domain[-1] >= _BIG else float(domain[-1])
            lp.row(list(zip(c.linear.vars, c.linear.coeffs, strict=True)), low, high)
        elif kind == "lin_max":  # target >= expr for every expr
            target = c.lin_max.target
            for expr in c.lin_max.exprs:
                terms = list(zip(expr.vars, expr.coeffs, strict=True))
                terms += [(ref, -coef) for ref, coef in zip(target.vars, target.coeffs, strict=True)]
                lp.row(terms, -inf, float(target.offset - expr.offset))
        else:
            literals = [(ref, 1.0) for ref in getattr(c, kind).literals]
            low = -inf if kind == "at_most_one" else 1.0
            high = inf if kind == "bool_or" else 1.0
            lp.row(literals, low, high, literals=True)
    objective = lp.solver.Objective()
    for ref, coef in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        column, sign = lp._column(ref)
        objective.SetCoefficient(column, objective.GetCoefficient(column) + sign * coef)
    objective.SetOffset(float(proto.objective.offset))
    objective.SetMinimization()
    return lp.solver, dropped


def lp_bound(model: cp_model.CpModel, scaling: float = 1.0) -> float:
    """A proven lower bound of `model`'s objective from its LP relaxation, divided by `scaling`."""
    return solve_relaxation(lp_relaxation(model)[0], scaling)


def solve_relaxation(solver: pywraplp.Solver, scaling: float = 1.0) -> float:
    """The relaxation's optimum less the tolerance, divided by `scaling`."""
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        raise RuntimeError(f"GLOP did not solve the relaxation (status {status})")
    value = solver.Objective().Value()
    return (value - TOLERANCE * max(1.0, abs(value))) / scaling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["M"])
    parser.add_argument("--work", type=Path, default=Path("benchmarks/results/roster_work"))
    parser.add_argument("--objective", nargs="*", default=[], help="SIZE=POINTS reached by a roster, for the gap")
    args = parser.parse_args()
    reached = {k: float(v) for k, v in (pair.split("=", 1) for pair in args.objective)}
    for size in args.sizes:
        center, requirement, _ = demo_inputs(size, args.work)
        problem = build_problem(requirement, center)
        weights = RosterWeights()
        built = RosterModel(problem, weights).build()
        began = time.perf_counter()
        solver, dropped = lp_relaxation(built.model)
        build_s = time.perf_counter() - began
        began = time.perf_counter()
        bound = solve_relaxation(solver, SCALE)
        solve_s = time.perf_counter() - began
        line = (
            f"[{size}] LP relaxation: {solver.NumVariables():,} columns, {solver.NumConstraints():,} rows "
            f"(dropped: {dict(dropped) or 'none'}), built in {build_s:.1f} s, solved in {solve_s:.1f} s; "
            f"bound {bound:,.1f} points (pay floor {pay_floor(problem, weights):,.1f})"
        )
        if size in reached:
            line += f"; gap of a {reached[size]:,.0f}-point roster: {(reached[size] - bound) / reached[size]:.1%}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
