"""The large-neighbourhood search: the generic engine (`planner/lns.py`) on a small model whose optimum is known,
and the roster's groups and neighbourhoods (`planner/roster/lns.py`) on small rosters, with the independent
validator on what `solve_roster` returns."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

from models import Center
from planner.lns import Incumbent, LnsSettings, Neighbourhood, large_neighbourhood_search
from planner.roster import RosterSettings, solve_roster, validate_roster
from planner.roster import solver as solver_module
from planner.roster.lns import INTERVAL, RosterNeighbourhoods, roster_groups
from planner.roster.model import RosterModel, RosterWeights
from planner.roster.problem import build_problem
from planner.runtime import Cancellation
from tests.roster_helpers import Need, agent, build_center, contract, day, requirement, work_type

# -- the generic engine -----------------------------------------------------------------------------------------


def _knapsacks(items: int = 12, bins: int = 3) -> tuple[cp_model.CpModel, dict[int, list[int]], np.ndarray]:
    """Items into bins of capacity 10 (or left out at a cost): minimise what is left out. Groups: one per item."""
    rng = np.random.default_rng(3)
    weight = rng.integers(2, 7, size=items)
    model = cp_model.CpModel()
    put = [[model.new_bool_var(f"put[{i},{b}]") for b in range(bins)] for i in range(items)]
    for i in range(items):
        model.add_at_most_one(put[i])
    for b in range(bins):
        model.add(sum(int(weight[i]) * put[i][b] for i in range(items)) <= 10)
    model.minimize(sum(int(weight[i]) * (1 - sum(put[i])) for i in range(items)))
    groups = {i: [v.index for v in put[i]] for i in range(items)}
    return model, groups, weight


def _start(model: cp_model.CpModel) -> Incumbent:
    """The worst solution: nothing put anywhere."""
    values = np.zeros(len(model.proto.variables), dtype=np.int64)
    solver = cp_model.CpSolver()
    fixed = model.clone()
    for i in range(len(values)):
        fixed.add(fixed.get_int_var_from_proto_index(i) == 0)
    assert solver.solve(fixed) == cp_model.OPTIMAL
    return Incumbent(values, round(solver.objective_value))


def _random_items(incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[int]:
    return [int(i) for i in rng.choice(12, size=min(size, 12), replace=False)]


def _feasible(model: cp_model.CpModel, values: np.ndarray) -> float:
    """The objective of `values` checked by CP-SAT with every variable fixed (fails if they break a rule)."""
    fixed = model.clone()
    for i, value in enumerate(values.tolist()):
        fixed.add(fixed.get_int_var_from_proto_index(i) == value)
    solver = cp_model.CpSolver()
    assert solver.solve(fixed) == cp_model.OPTIMAL
    return solver.objective_value


def test_the_search_improves_a_poor_start_to_the_optimum_and_never_worsens() -> None:
    model, groups, weight = _knapsacks()
    start = _start(model)
    assert start.objective == weight.sum()
    seen: list[int] = []
    best, stats = large_neighbourhood_search(
        model,
        groups,
        start,
        [Neighbourhood("random", _random_items)],
        LnsSettings(first_size=3, sub_limit_s=0.5, deterministic=True, seed=1),
        deterministic_budget_s=1.0,
        on_improve=lambda incumbent, name: seen.append(incumbent.objective),
    )
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)  # each strictly better
    assert best.objective == seen[-1] < start.objective
    assert _feasible(model, best.values) == best.objective
    optimum = cp_model.CpSolver()
    assert optimum.solve(model) == cp_model.OPTIMAL
    assert best.objective == round(optimum.objective_value)
    assert stats.iterations >= len(seen) and stats.improved["random"] == len(seen)


def test_deterministic_mode_gives_the_same_search_twice() -> None:
    model, groups, _ = _knapsacks(items=12, bins=3)
    runs = [
        large_neighbourhood_search(
            model,
            groups,
            _start(model),
            [Neighbourhood("random", _random_items)],
            LnsSettings(first_size=2, least_size=1, sub_limit_s=0.05, deterministic=True, seed=7),
            deterministic_budget_s=0.3,
        )
        for _ in range(2)
    ]
    (first, first_stats), (second, second_stats) = runs
    assert first.objective == second.objective
    assert np.array_equal(first.values, second.values)
    assert first_stats.as_dict() == second_stats.as_dict()


def test_a_cancelled_search_returns_its_start_at_once() -> None:
    model, groups, _ = _knapsacks()
    start = _start(model)
    cancel = Cancellation()
    cancel.cancel()
    best, stats = large_neighbourhood_search(
        model,
        groups,
        start,
        [Neighbourhood("random", _random_items)],
        LnsSettings(),
        deadline=float("inf"),
        cancel=cancel,
    )
    assert best is start and stats.iterations == 0


def test_the_search_refuses_settings_it_cannot_stop_on() -> None:
    model, groups, _ = _knapsacks()
    start = _start(model)
    with pytest.raises(ValueError, match="deadline"):
        large_neighbourhood_search(model, groups, start, [Neighbourhood("r", _random_items)], LnsSettings())
    with pytest.raises(ValueError, match="deterministic_budget_s"):
        large_neighbourhood_search(
            model, groups, start, [Neighbourhood("r", _random_items)], LnsSettings(deterministic=True)
        )
    with pytest.raises(ValueError, match="neighbourhood"):
        large_neighbourhood_search(model, groups, start, [], LnsSettings(), deadline=0.0)


# -- the roster's groups and neighbourhoods ---------------------------------------------------------------------


def _centre() -> Center:
    """Ten agents over two skills (two of them with both), a weekly minimum, and work on both skills all week."""
    agents = [agent(f"p{i}", "phone", contract="week") for i in range(5)]
    agents += [agent(f"e{i}", "email", contract="week") for i in range(3)]
    agents += [agent(f"b{i}", "phone", "email", contract="week") for i in range(2)]
    return build_center(
        agents,
        contracts=[contract("week", min_paid_minutes_week=3 * 480, max_paid_minutes_week=5 * 480, max_working_days=5)],
        work_types=[work_type("calls", "phone"), work_type("mail", "email", priority=2)],
    )


def _needs() -> list[Need]:
    needs = []
    for d in range(7):
        needs += [Need("calls", d, "08:00", "20:00", 2 + d % 3), Need("mail", d, "07:00", "15:00", 1 + d % 2)]
    return needs


def _poor_incumbent(built: RosterModel) -> Incumbent:
    """A poor roster: the best one without late shifts (CP-SAT solves that restricted model)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    first = built.model.clone()
    for shifts in built.shift.values():
        for k, var in shifts.items():
            if built.problem.shapes.template[k] == "late":
                first.add(first.get_bool_var_from_proto_index(var.index) == 0)
    assert solver.solve(first) == cp_model.OPTIMAL
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)
    return Incumbent(values, round(solver.objective_value))


def test_roster_groups_hold_every_shift_choice_once_and_each_interval() -> None:
    center = _centre()
    problem = build_problem(requirement(center, _needs()), center)
    built = RosterModel(problem).build()
    groups = roster_groups(built)
    shift_vars = sorted(var.index for shifts in built.shift.values() for var in shifts.values())
    in_agent_days = sorted(i for key, index in groups.items() if key[0] != INTERVAL for i in index)
    work_vars = [w.index for days in built.works.values() for w in days if not isinstance(w, int)]
    assert in_agent_days == sorted(shift_vars + work_vars)
    interval_keys = {key[1] for key in groups if key[0] == INTERVAL}
    assert interval_keys == set(built.interval_vars)
    on_duty = {var.index for var in built.on_duty.values()}
    assert on_duty <= {i for key, index in groups.items() if key[0] == INTERVAL for i in index}


def test_each_roster_neighbourhood_frees_agent_days_and_the_intervals_they_reach() -> None:
    center = _centre()
    problem = build_problem(requirement(center, _needs()), center)
    built = RosterModel(problem).build()
    groups = roster_groups(built)
    incumbent = _poor_incumbent(built)
    neighbourhoods = RosterNeighbourhoods(built)
    rng = np.random.default_rng(0)
    for neighbourhood in neighbourhoods.all():
        for size in (3, 14, 70):
            keys = neighbourhood.choose(incumbent, size, rng)
            assert set(keys) <= set(groups), neighbourhood.name
            cells = [key for key in keys if key[0] != INTERVAL]
            assert cells, neighbourhood.name
            days = {d for _, d in cells}
            intervals = {key[1] for key in keys if key[0] == INTERVAL}
            for d in days:  # every interval a shift of a freed day covers is free
                on_day = np.flatnonzero(problem.shapes.day == d)
                for k in on_day:
                    reached = set(problem.shapes.covered(int(k)).tolist()) & set(built.interval_vars)
                    assert reached <= intervals


def test_the_roster_search_improves_a_poor_roster_within_the_rules() -> None:
    center = _centre()
    problem = build_problem(requirement(center, _needs()), center)
    built = RosterModel(problem).build()
    start = _poor_incumbent(built)
    best, stats = large_neighbourhood_search(
        built.model,
        roster_groups(built),
        start,
        RosterNeighbourhoods(built).all(),
        LnsSettings(first_size=10, sub_limit_s=0.5, deterministic=True),
        deterministic_budget_s=3.0,
    )
    assert best.objective < start.objective
    assert _feasible(built.model, best.values) == best.objective
    assert stats.iterations > 0 and sum(stats.improved.values()) > 0


def test_solve_roster_runs_the_search_and_its_roster_passes_the_validator() -> None:
    """A limit too short for the whole model to prove its optimum: the neighbourhood search runs after it, in
    deterministic mode the same roster twice, and the independent validator passes it."""
    center = _centre()
    table = requirement(center, _needs())
    settings = RosterSettings(time_limit_s=1.5, workers=1, deterministic=True, break_time_limit_s=0.2)
    results = [solve_roster(table, center, settings) for _ in range(2)]
    first, second = results
    assert first.status in {"FEASIBLE", "OPTIMAL"}
    if first.status == "FEASIBLE":
        assert first.search["iterations"] > 0
        assert any(step.source.startswith("lns:") for step in first.progress) or first.search["improvements"] == 0
    assert first.objective == second.objective and first.roster.equals(second.roster)
    horizon = center.horizon_covering(table["interval_start"])
    assert validate_roster(first.roster, center, horizon, coverage=first.coverage, requirement=table) == []


def test_the_whole_model_method_skips_the_search() -> None:
    center = _centre()
    table = requirement(center, _needs())
    result = solve_roster(table, center, RosterSettings(time_limit_s=1.5, workers=1, method="cpsat"))
    assert "iterations" not in result.search
    assert all(not step.source.startswith("lns:") for step in result.progress)
    with pytest.raises(ValueError, match="method"):
        RosterSettings(method="tabu")


def test_column_generation_beside_the_search_gives_a_valid_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound from column generation (asked for, beside a short search) is at most the roster's objective and at
    least the pay floor; the roster passes the validator. By default it runs only with a core to spare."""
    center = _centre()
    table = requirement(center, _needs())
    monkeypatch.setattr(solver_module, "BOUND_LEAST_S", 0.0)
    default = solve_roster(table, center, RosterSettings(time_limit_s=2.0, workers=2, break_time_limit_s=0.2))
    assert "bound" not in default.search
    asked = RosterSettings(time_limit_s=6.0, workers=1, break_time_limit_s=0.2, bound=True)
    result = solve_roster(table, center, asked)
    found = result.search["bound"]
    assert found["rounds"] >= 1 and found["columns"] > 0
    floor = solver_module.pay_floor(build_problem(table, center), RosterWeights())
    assert floor - 1e-6 <= found["bound"] <= result.objective + 1e-6
    assert result.best_bound >= found["bound"] - 1e-6 or result.status == "OPTIMAL"
    horizon = center.horizon_covering(table["interval_start"])
    assert validate_roster(result.roster, center, horizon, coverage=result.coverage, requirement=table) == []


def test_the_search_stops_at_its_target() -> None:
    """A target the start already meets (e.g. a bound within the accepted gap): no sub-solve is run."""
    model, groups, weight = _knapsacks()
    start = _start(model)
    best, stats = large_neighbourhood_search(
        model,
        groups,
        start,
        [Neighbourhood("random", _random_items)],
        LnsSettings(deterministic=True),
        deterministic_budget_s=1.0,
        target=lambda: float(weight.sum()),
    )
    assert best is start and stats.iterations == 0 and stats.reached_target and not stats.proved_optimal


def test_a_shortfall_nobody_can_cover_draws_whole_days_instead() -> None:
    """Sales work on Thursday while the only sales agent is on leave Wednesday to Friday: the shortfall
    neighbourhood has nobody to bring in around it, so it frees whole days rather than nothing (and does not
    fail)."""
    leave = {"time_off": [{"start_date": day(2), "end_date": day(4)}]}
    center = build_center(
        [agent("p0", "phone"), agent("s0", "sales", **leave)],
        work_types=[work_type("calls", "phone"), work_type("sales", "sales")],
    )
    needs = [Need("sales", 3, "08:00", "12:00", 2)]
    problem = build_problem(requirement(center, needs), center)
    built = RosterModel(problem).build()
    incumbent = _poor_incumbent(built)
    neighbourhoods = {n.name: n for n in RosterNeighbourhoods(built).all()}
    keys = neighbourhoods["shortfall"].choose(incumbent, 4, np.random.default_rng(0))
    assert any(key[0] != INTERVAL for key in keys)
