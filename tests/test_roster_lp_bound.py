"""The benchmark's LP relaxation of the roster model (`benchmarks/roster_lp_bound.py`) is a lower bound: never
above the optimum CP-SAT proves, and equal to it where the relaxation has an integral optimum."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

from benchmarks.roster_lp_bound import lp_bound, lp_relaxation
from planner.roster.model import RosterModel, RosterWeights
from planner.roster.problem import build_problem
from tests.roster_helpers import CALLS, Need, agent, build_center, contract, requirement, work_type


def _optimum(model: cp_model.CpModel) -> float:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(model) == cp_model.OPTIMAL
    return solver.objective_value


def _model(center, needs, days=7):  # type: ignore[no-untyped-def]
    problem = build_problem(requirement(center, needs, days=days), center)
    return RosterModel(problem, RosterWeights()).build().model


def test_relaxation_keeps_every_constraint_of_the_roster_model() -> None:
    center = build_center([agent("a"), agent("b", "phone", "mail")], work_types=[CALLS, work_type("mail", "mail")])
    _, dropped = lp_relaxation(_model(center, [Need("calls", 0, "08:00", "20:00", 2)]))
    assert dropped == {}


@pytest.mark.parametrize("people", [1, 3])
def test_bound_never_exceeds_the_proven_optimum(people: int) -> None:
    center = build_center(
        [agent(f"a{i}", hourly_cost=10 + i) for i in range(people)],
        contracts=[contract(min_paid_minutes_week=960, max_working_days=3)],
    )
    needs = [Need("calls", d, "07:00", "22:00", 2) for d in range(7)]
    model = _model(center, needs)
    optimum = _optimum(model)
    bound = lp_bound(model)
    assert 0 < bound <= optimum + 1e-6


def test_bound_is_the_optimum_when_pay_is_all_that_costs() -> None:
    """No demand: the cheapest roster pays each agent's weekly minimum in whole shifts; the LP (fractional shifts)
    can pay exactly the minimum, which here is two whole 480-minute shifts, so both agree."""
    center = build_center([agent("a", hourly_cost=12)], contracts=[contract(min_paid_minutes_week=960)])
    model = _model(center, [])
    assert lp_bound(model) == pytest.approx(_optimum(model), rel=1e-5)
