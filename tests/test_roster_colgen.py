"""The column generation's bound (`planner/roster/colgen.py`) is a proven lower bound of the roster objective:
never above the optimum CP-SAT proves on tiny centres covering every term and context (priorities, deferred
work, fairness between identical agents, target hours, wishes, pins, a previous roster, time off), at least the
plain LP relaxation's where the agents' own rules make the difference, and built only from patterns that keep
every hard rule (checked by the independent validator)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from ortools.sat.python import cp_model

from benchmarks.roster_lp_bound import lp_bound
from planner.roster.colgen import BoundResult, column_generation, integer_master
from planner.roster.model import SCALE, RosterModel, RosterWeights
from planner.roster.problem import RosterProblem, build_problem
from planner.roster.result import roster_table
from planner.roster.validate import validate_roster
from planner.runtime import Cancellation
from tests.roster_helpers import (
    CALLS,
    EARLY,
    LATE,
    Need,
    agent,
    build_center,
    contract,
    day,
    requirement,
    roster_frame,
    roster_row,
    template,
    work_type,
)

WEIGHTS = RosterWeights()
#: Tiny centres converge in well under a second; the limit only guards a regression.
LIMIT_S = 60.0


def _optimum(problem: RosterProblem) -> float:
    """The optimum CP-SAT proves for the full model (points)."""
    model = RosterModel(problem, WEIGHTS).build().model
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(model) == cp_model.OPTIMAL
    return solver.objective_value / SCALE


def _calls_and_mail() -> Any:
    center = build_center(
        [
            agent("a", "phone", hourly_cost=12),
            agent("b", "phone", "mail", hourly_cost=15),
            agent("c", "mail", hourly_cost=11),
        ],
        contracts=[contract(min_paid_minutes_week=960, max_working_days=3)],
        work_types=[CALLS, work_type("mail", "mail", priority=3)],
    )
    needs = [Need("calls", d, "07:00", "21:00", 2) for d in range(4)] + [
        Need("mail", d, "09:00", "17:00", 1) for d in range(4)
    ]
    return center, needs, 4, {}


def _deferred() -> Any:
    center = build_center(
        [agent("a", "phone", "mail", hourly_cost=12), agent("b", "mail", hourly_cost=10)],
        contracts=[contract(min_paid_minutes_week=480)],
        work_types=[CALLS, work_type("mail", "mail", deferred=True, within_s=3 * 3600)],
    )
    needs = [Need("calls", d, "08:00", "18:00", 1) for d in range(3)] + [
        Need("mail", d, "06:00", "07:00", 6) for d in range(3)
    ]
    return center, needs, 3, {}


def _fairness() -> Any:
    """Three identical agents (one class of three in the master): weekends and late shifts spread between them."""
    center = build_center(
        [agent(name, hourly_cost=10) for name in ("a", "b", "c")],
        contracts=[contract(max_working_weekends=1, max_working_days=4)],
    )
    needs = [Need("calls", d, "14:00", "22:00", 2 if d >= 5 else 1) for d in range(7)]
    return center, needs, 7, {}


def _wishes_and_target() -> Any:
    center = build_center(
        [
            agent("a", hourly_cost=10, preferences={"preferred_start_minute": 600}),
            agent("b", hourly_cost=11, preferences={"preferred_days_off": ["mon", "tue"]}),
        ],
        contracts=[contract(min_paid_minutes_week=960, max_paid_minutes_week=2400, target_paid_minutes_week=1440)],
        templates=[template("early", "06:00", latest="09:00"), LATE],
    )
    needs = [Need("calls", d, "06:00", "22:00", 1) for d in range(7)]
    return center, needs, 7, {}


def _pins_previous_and_time_off() -> Any:
    center = build_center(
        [
            agent("a", hourly_cost=10),
            agent("b", hourly_cost=10),
            agent("c", hourly_cost=9, time_off=[{"start_date": day(1), "end_date": day(2)}]),
        ],
        contracts=[contract(min_paid_minutes_week=960, max_consecutive_days=3, min_consecutive_days_off=2)],
        templates=[EARLY, LATE],
    )
    needs = [Need("calls", d, "06:00", "22:00", 1) for d in range(5)]
    previous = roster_frame(
        *[roster_row("b", day(-k), "14:00", "late") for k in (1, 2, 3)],
        roster_row("a", day(-1), "14:00", "late"),
    )
    pins = roster_frame(roster_row("a", day(3), "06:00", "early"))
    return center, needs, 5, {"previous": previous, "pins": pins}


INSTANCES = {
    "priorities": _calls_and_mail,
    "deferred": _deferred,
    "fairness": _fairness,
    "wishes_and_target": _wishes_and_target,
    "pins_previous_time_off": _pins_previous_and_time_off,
}


def _problem(name: str) -> tuple[RosterProblem, dict[str, pd.DataFrame]]:
    center, needs, days, context = INSTANCES[name]()
    return build_problem(requirement(center, needs, days=days), center, **context), context


@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_bound_never_exceeds_the_proven_optimum_and_patterns_keep_the_rules(name: str) -> None:
    problem, context = _problem(name)
    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S)
    optimum = _optimum(problem)
    assert result.converged, result
    # Converged: the bound is the master's optimum (less the tolerance) and at most the roster optimum.
    assert result.bound <= optimum + 1e-6
    assert result.bound == pytest.approx(result.lp_value, rel=1e-5, abs=0.05)
    assert result.bound > 0
    _check_patterns(problem, result, context)


def _check_patterns(problem: RosterProblem, result: BoundResult, context: dict[str, pd.DataFrame]) -> None:
    """Every generated pattern, rostered alone, breaks no hard rule of its agent (the validator's verdict)."""
    assert set(result.patterns) == set(problem.options)
    checked = 0
    for agent_id, patterns in result.patterns.items():
        assert patterns
        for pattern in patterns:
            shifts = {(agent_id, d): k for d, k in pattern.items()}
            roster = roster_table(problem, shifts, {})
            found = validate_roster(
                roster, problem.center, problem.horizon, previous=context.get("previous"), pins=context.get("pins")
            )
            assert [str(v) for v in found if v.agent_id == agent_id] == []
            checked += 1
    assert checked == sum(len(p) for p in result.patterns.values()) > len(problem.options)


def test_identical_agents_share_one_class_and_their_patterns() -> None:
    problem, _ = _problem("fairness")
    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S)
    assert result.patterns["a"] == result.patterns["b"] == result.patterns["c"]


def test_bound_is_above_the_plain_lp_relaxation_where_the_agents_rules_bind() -> None:
    """One agent, 600 paid minutes a week at least with 480-minute shifts: the LP pays 600 minutes (a fractional
    second shift), every real week pays 960 and has 8 hours on duty beyond the one shift of demand; the column
    generation's patterns are real weeks, so its bound is the optimum."""
    center = build_center([agent("a", hourly_cost=12)], contracts=[contract(min_paid_minutes_week=600)])
    problem = build_problem(requirement(center, [Need("calls", 0, "06:00", "14:00", 1)]), center)
    relaxation = lp_bound(RosterModel(problem, WEIGHTS).build().model, SCALE)
    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S)
    optimum = _optimum(problem)
    assert relaxation < result.bound - 1 <= optimum
    assert result.bound == pytest.approx(optimum, rel=1e-5)
    assert optimum == pytest.approx(12 * 16 + WEIGHTS.overstaffing * 8)  # 16 paid hours, 8 of them overstaffed


def test_a_short_time_limit_returns_a_valid_bound() -> None:
    problem, _ = _problem("priorities")
    result = column_generation(problem, WEIGHTS, time_limit_s=1e-3)
    assert not result.converged
    assert result.bound <= _optimum(problem)
    assert result.elapsed_s < LIMIT_S


def test_a_cancelled_run_returns_at_once_with_no_bound() -> None:
    problem, _ = _problem("priorities")
    cancel = Cancellation()
    cancel.cancel()
    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S, cancel=cancel)
    assert result.bound == float("-inf") and result.rounds == 0 and result.columns == 0


def test_an_incumbent_roster_is_a_column_and_bounds_are_reported_as_they_improve() -> None:
    problem, _ = _problem("priorities")
    incumbent = {"a": {0: _shape(problem, 0, "early")}}
    seen: list[float] = []
    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S, initial=incumbent, on_bound=seen.append)
    assert {0: _shape(problem, 0, "early")} in result.patterns["a"]
    assert seen == sorted(seen) and seen[-1] == result.bound
    assert [step[2] for step in result.progress] == sorted(step[2] for step in result.progress)


def _shape(problem: RosterProblem, d: int, template_id: str) -> int:
    shapes = problem.shapes
    return next(k for k in range(len(shapes)) if shapes.day[k] == d and shapes.template[k] == template_id)


@pytest.mark.parametrize(("name", "hinted"), [("priorities", False), ("fairness", False), ("priorities", True)])
def test_integer_master_makes_a_valid_roster_of_the_patterns_between_bound_and_any_roster(
    name: str, hinted: bool
) -> None:
    problem, context = _problem(name)
    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S)
    hint = {agent_id: patterns[0] for agent_id, patterns in result.patterns.items()} if hinted else None
    made = integer_master(problem, WEIGHTS, result.patterns, time_limit_s=LIMIT_S, hint=hint)
    assert made is not None and made.optimal
    for agent_id, pattern in made.shifts.items():
        assert pattern in result.patterns[agent_id]
    shifts = {(a, d): k for a, pattern in made.shifts.items() for d, k in pattern.items()}
    found = validate_roster(roster_table(problem, shifts, {}), problem.center, problem.horizon, **context)
    assert [str(v) for v in found] == []
    assert result.bound - 1e-6 <= _optimum(problem) <= made.objective + 1e-6


def test_a_run_cancelled_midway_keeps_the_bound_it_had() -> None:
    problem, _ = _problem("priorities")
    cancel = Cancellation()
    seen: list[float] = []

    def first_then_stop(bound: float) -> None:
        seen.append(bound)
        cancel.cancel()

    result = column_generation(problem, WEIGHTS, time_limit_s=LIMIT_S, cancel=cancel, on_bound=first_then_stop)
    assert seen == [result.bound] and result.rounds == 0 and not result.converged
    assert result.bound <= _optimum(problem)
