"""A proven lower bound of the roster's objective by column generation on the agent-week pattern formulation.

The roster model (`planner/roster/model.py`) splits in two: each agent's own rules and terms (the hard rules and
the per-agent soft terms: pay, preferred start, preferred days off, target hours) and the terms that couple the
agents (coverage, allocation, shortfall, backlog, overstaffing, fairness). A *pattern* is one agent's shifts over
the horizon that keeps all of that agent's hard rules. The master programme chooses a convex combination of
patterns per agent (per class of identical agents: a weight per pattern summing to the class's size) under the
coupling part of the model relaxed to an LP; its rows are the coupling model's own constraints, read off the
CP-SAT model that `RosterModel.build(COUPLING_TERMS)` makes, with every agent decision (shift, worked day, worked
weekend) replaced by the patterns' values. So nothing of the model's formulas is written twice.

Pricing: per class, a one-agent CP-SAT model of the agent's own rules (`RosterModel.build(HARD_RULES +
AGENT_TERMS, pools=False)` on the problem restricted to the agent) whose objective is the agent's terms less the
master's duals: its solutions of negative reduced cost are the new columns.

The bound is Lagrangian, valid for any duals: with multipliers `pi` on the coupling rows `lo <= A x + G lambda <=
hi`, `L(pi) = sum_r min(pi_r lo_r, pi_r hi_r) + sum_j min over the bounds of (c_j - pi A_j) x_j + sum_classes
size x min over patterns of (cost_p - pi G_p)`, the last minimum taken from CP-SAT's proven bound of the pricing
problem (its objective coefficients are the duals scaled and rounded down, so never above the true reduced
cost). It needs neither the master's optimality nor exact duals, only a pricing bound that is a true one.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.sat.python import cp_model
from ortools.util.python.solve_interrupter import SolveInterrupter
from scipy import sparse

from planner.cpsat import solve
from planner.roster.heuristic import greedy_roster
from planner.roster.model import AGENT_TERMS, COUPLING_TERMS, HARD_RULES, SCALE, RosterModel, RosterWeights
from planner.roster.problem import Pool, RosterProblem
from planner.runtime import Cancellation, seconds_left

__all__ = ["BoundResult", "MasterRoster", "column_generation", "integer_master"]

#: Pricing objective units per objective unit of the roster model: the duals are scaled by this and rounded down.
PRICE_SCALE = 100
#: A column enters the master when its reduced cost is below minus this (objective units of the roster model).
ENTER_TOLERANCE = 1e-6
#: Relative tolerance taken off the bound for floating-point sums (GLOP's own tolerances do not matter: the
#: Lagrangian bound holds for any duals).
TOLERANCE = 1e-7
#: Wall seconds one pricing problem may take at most (its proven bound is used where it is not solved).
PRICING_LIMIT_S = 2.0
#: Columns kept per class and round at most (the pricing's improving solutions, most negative first).
COLUMNS_PER_ROUND = 5
#: Weight of the best bound's duals in the duals priced at (Wentges smoothing; 0 prices at the master's duals).
SMOOTHING = 0.5
#: Column slots made with the master (more are made, at once, when they run out): at least this many, or this
#: many per class.
SLOTS = 2000
SLOTS_PER_CLASS = 40
#: Share of the integer master's time for completing the hint's patterns into a whole first roster.
HINT_SHARE = 0.25
_BIG = 2**62


@dataclass
class BoundResult:
    """A column generation's outcome. `bound`: proven lower bound of the roster objective (points; -inf if none
    was proven in time); `lp_value`: the last restricted master's optimum (points; an upper bound of the full
    master's, not a bound of the roster); `converged`: no column of negative reduced cost is left (the bound is
    then the master's optimum); `progress`: (elapsed s, master value, best bound) per round; `patterns`: agent ->
    the patterns generated for the agent's class, each as day -> shape index."""

    bound: float = -math.inf
    lp_value: float = math.inf
    rounds: int = 0
    columns: int = 0
    converged: bool = False
    elapsed_s: float = 0.0
    progress: list[tuple[float, float, float]] = field(default_factory=list)
    patterns: dict[str, list[dict[int, int]]] = field(default_factory=dict)


@dataclass
class _Class:
    """Agents with identical rules and terms: one pricing model and one convexity row (= the class's size)."""

    agents: list[str]
    model: RosterModel  # the representative's one-agent model
    local: list[int]  # variable indices of `model` that coupling rows read (shifts, worked days, weekends)
    coupling: sparse.csr_matrix  # (len(local), rows): each local variable's coefficient per row, class-averaged
    objective: dict[int, int]  # the agent's own terms: variable index -> coefficient
    offset: int
    shift_index: dict[int, int]  # model variable index -> shape, for the shift decisions
    patterns: list[dict[int, int]] = field(default_factory=list)
    seen: set[tuple[int, ...]] = field(default_factory=set)


class _Master:
    """The coupling part of the roster model as an LP: its non-agent variables as columns with their domains'
    bounds, its linear constraints as rows; the agent decisions in them are replaced by pattern columns."""

    def __init__(self, coupling: RosterModel, local_of: dict[int, tuple[int, int]], classes: list[_Class]) -> None:
        proto = coupling.model.proto
        local_vars = set(local_of)
        n_vars = len(proto.variables)
        self.column_of = np.full(n_vars, -1, dtype=np.int64)
        lower: list[float] = []
        upper: list[float] = []
        for index, var in enumerate(proto.variables):
            if index in local_vars:
                continue
            domain = list(var.domain)
            self.column_of[index] = len(lower)
            lower.append(float(domain[0]))
            upper.append(float(domain[-1]))
        self.lower, self.upper = np.array(lower), np.array(upper)
        rows_lo: list[float] = []
        rows_hi: list[float] = []
        a_rows, a_cols, a_vals = [], [], []
        local_rows: list[list[tuple[int, int, float]]] = [[] for _ in classes]  # class -> (local var, row, coef)
        for constraint in proto.constraints:
            refs = [r if r >= 0 else -r - 1 for r in _refs(constraint)]
            if refs and all(r in local_vars for r in refs):
                continue  # one agent's own definition (worked day, worked weekend): kept by every pattern
            if not constraint.has_linear() or len(constraint.enforcement_literal):
                raise ValueError(f"the coupling model has a constraint the master cannot read: {constraint}")
            domain = list(constraint.linear.domain)
            if len(domain) != 2:
                raise ValueError("the coupling model has a linear constraint with holes in its domain")
            row = len(rows_lo)
            rows_lo.append(-math.inf if domain[0] <= -_BIG else float(domain[0]))
            rows_hi.append(math.inf if domain[-1] >= _BIG else float(domain[-1]))
            for ref, coef in zip(constraint.linear.vars, constraint.linear.coeffs, strict=True):
                if ref in local_of:
                    c, u = local_of[ref]
                    local_rows[c].append((u, row, coef / len(classes[c].agents)))
                else:
                    a_rows.append(row)
                    a_cols.append(int(self.column_of[ref]))
                    a_vals.append(float(coef))
        self.row_lo, self.row_hi = np.array(rows_lo), np.array(rows_hi)
        n_rows, n_cols = len(rows_lo), len(lower)
        self.matrix = sparse.csr_matrix((a_vals, (a_rows, a_cols)), shape=(n_rows, n_cols))
        for c, entries in enumerate(local_rows):
            cls = classes[c]
            position = {u: i for i, u in enumerate(cls.local)}
            cls.coupling = sparse.csr_matrix(
                (
                    [e[2] for e in entries],
                    ([position[e[0]] for e in entries], [e[1] for e in entries]),
                ),
                shape=(len(cls.local), n_rows),
            )
        self.cost = np.zeros(n_cols)
        objective = proto.objective
        for ref, coef in zip(objective.vars, objective.coeffs, strict=True):
            if ref in local_of:
                raise ValueError("the coupling model's objective reads an agent decision")
            self.cost[self.column_of[ref]] += coef
        self.offset = float(objective.offset)
        # The LP (MathOpt's GLOP, kept between rounds: with presolve off it starts from the last basis). New columns
        # go into slots made beforehand with an upper bound of 0: adding variables would rebuild GLOP from scratch.
        self.model = mathopt.Model()
        self.vars = [self.model.add_variable(lb=lo, ub=hi) for lo, hi in zip(lower, upper, strict=True)]
        csr = self.matrix.tocsr()
        self.rows = [
            self.model.add_linear_constraint(
                lb=lo,
                ub=hi,
                expr=mathopt.LinearSum(
                    float(csr.data[k]) * self.vars[csr.indices[k]] for k in range(csr.indptr[i], csr.indptr[i + 1])
                ),
            )
            for i, (lo, hi) in enumerate(zip(rows_lo, rows_hi, strict=True))
        ]
        self.model.minimize(
            mathopt.LinearSum(float(self.cost[j]) * self.vars[j] for j in np.flatnonzero(self.cost)) + self.offset
        )
        self.convexity = [self.model.add_linear_constraint(lb=len(c.agents), ub=len(c.agents)) for c in classes]
        self.slots: list[mathopt.Variable] = []
        self.add_slots(max(SLOTS, SLOTS_PER_CLASS * len(classes)))
        self.solver = mathopt.IncrementalSolver(self.model, mathopt.SolverType.GLOP)
        self.parameters = mathopt.SolveParameters(presolve=mathopt.Emphasis.OFF)
        self.solved = False
        self.columns = 0
        self.value = math.inf
        self.pi = np.zeros(len(self.rows))  # the coupling rows' duals
        self.mu = np.zeros(len(classes))  # the convexity rows' duals

    def add_slots(self, count: int) -> None:
        self.slots += [self.model.add_variable(lb=0.0, ub=0.0) for _ in range(count)]

    def add_column(self, c: int, cls: _Class, values: np.ndarray, cost: float) -> None:
        if self.columns == len(self.slots):
            self.add_slots(len(self.slots))  # GLOP starts afresh once, without a basis
            self.solved = False
        var = self.slots[self.columns]
        var.upper_bound = math.inf
        self.model.objective.set_linear_coefficient(var, cost)
        self.convexity[c].set_coefficient(var, 1.0)
        row_coefs = cls.coupling.T @ values
        for row in np.flatnonzero(row_coefs):
            self.rows[row].set_coefficient(var, float(row_coefs[row]))
        self.columns += 1

    def solve(self, limit_s: float, cancel: Cancellation | None) -> bool:
        """Solve the restricted master; True with its value and duals (`value`, `pi`) when it is optimal. The
        duals are set to 0 where their sign would need a bound the row does not have."""
        # From scratch the dual simplex is faster; from the last basis with new columns, the primal.
        self.parameters.lp_algorithm = (
            mathopt.LPAlgorithm.PRIMAL_SIMPLEX if self.solved else mathopt.LPAlgorithm.DUAL_SIMPLEX
        )
        self.parameters.time_limit = timedelta(seconds=max(0.01, limit_s))
        interrupter = SolveInterrupter()
        if cancel is not None:
            with cancel.stopping(interrupter.interrupt):
                if cancel.cancelled:
                    return False
                result = self.solver.solve(params=self.parameters, interrupter=interrupter)
        else:
            result = self.solver.solve(params=self.parameters, interrupter=interrupter)
        if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
            return False
        self.solved = True
        self.value = float(result.objective_value())
        pi = np.array(result.dual_values(self.rows), dtype=float)
        pi[(pi > 0) & ~np.isfinite(self.row_lo)] = 0.0
        pi[(pi < 0) & ~np.isfinite(self.row_hi)] = 0.0
        self.pi = pi
        self.mu = np.array(result.dual_values(self.convexity), dtype=float)
        return True

    def partial_bound(self, pi: np.ndarray) -> float:
        """The Lagrangian bound's terms other than the patterns': rows and the master's own columns."""
        with np.errstate(invalid="ignore"):
            rows = np.where(pi > 0, pi * self.row_lo, np.where(pi < 0, pi * self.row_hi, 0.0))
        reduced = self.cost - self.matrix.T @ pi
        columns = np.where(reduced > 0, reduced * self.lower, reduced * self.upper)
        return float(self.offset + rows.sum() + columns.sum())


def _refs(constraint: Any) -> list[int]:
    """The variable references a constraint reads (linear, lin_max, bool constraints)."""
    if constraint.has_linear():
        return list(constraint.linear.vars)
    if constraint.has_lin_max():
        lin_max = constraint.lin_max
        out = list(lin_max.target.vars)
        for expr in lin_max.exprs:
            out += list(expr.vars)
        return out
    for kind in ("bool_or", "bool_and", "at_most_one", "exactly_one"):
        if getattr(constraint, f"has_{kind}")():
            return list(getattr(constraint, kind).literals)
    raise ValueError(f"the coupling model has a constraint the master cannot read: {constraint}")


def _class_key(problem: RosterProblem, agent_id: str) -> tuple[object, ...]:
    """What the model reads of an agent (options, contract, pay, wishes, pins, the days before the horizon)."""
    options = problem.options[agent_id]
    agent = options.agent
    return (
        tuple(options.shapes.tolist()),
        options.days_off,
        options.possible_days,
        options.closed_days,
        agent.skill_ids,
        agent.contract,
        agent.hourly_cost,
        agent.preferences.model_dump_json(),
        tuple(sorted(problem.pins.get(agent_id, {}).items())),
        tuple(problem.previous_worked.get(agent_id, [])),
    )


def _agent_model(problem: RosterProblem, weights: RosterWeights, agent_id: str) -> RosterModel:
    """The model of one agent's own rules and terms (the problem restricted to the agent)."""
    options = problem.options[agent_id]
    alone = dataclasses.replace(
        problem,
        options={agent_id: options},
        pools=[Pool(options.agent.skill_ids, (agent_id,))],
        pins={agent_id: problem.pins[agent_id]} if agent_id in problem.pins else {},
        previous_worked=({agent_id: problem.previous_worked[agent_id]} if agent_id in problem.previous_worked else {}),
    )
    built = RosterModel(alone, weights).build((*HARD_RULES, *AGENT_TERMS), pools=False)
    built.weekend_vars(agent_id)
    return built


def _decisions_of(built: RosterModel, agent_id: str) -> list[tuple[str, object, cp_model.IntVar]]:
    """An agent's decisions that the coupling terms may read, each keyed alike in every model."""
    out: list[tuple[str, object, cp_model.IntVar]] = [("x", k, v) for k, v in built.shift[agent_id].items()]
    out += [("work", d, v) for d, v in enumerate(built.works[agent_id]) if not isinstance(v, int)]
    out += [("weekend", i, v) for i, v in enumerate(built.weekend_vars(agent_id)) if not isinstance(v, int)]
    return out


class _Pricing(cp_model.CpSolverSolutionCallback):
    """Keeps every solution of a pricing problem: the values of the class's local variables and the pattern."""

    def __init__(self, cls: _Class, variables: list[cp_model.IntVar]) -> None:
        super().__init__()
        self.cls, self.variables = cls, variables
        self.found: list[np.ndarray] = []

    def on_solution_callback(self) -> None:
        self.found.append(np.array([self.value(v) for v in self.variables], dtype=np.int64))


class _Stopped(Exception):
    """The run was cancelled or reached its deadline while the models were being built."""


class _Engine:
    """The state of one column generation (no global state: one engine per call)."""

    def __init__(
        self, problem: RosterProblem, weights: RosterWeights, workers: int, seed: int, stopped: Callable[[], bool]
    ) -> None:
        """Raises `_Stopped` when `stopped()` says so between the agents' models."""
        self.problem, self.weights, self.workers, self.seed = problem, weights, workers, seed
        groups: dict[tuple[object, ...], list[str]] = defaultdict(list)
        for agent_id in problem.options:
            groups[_class_key(problem, agent_id)].append(agent_id)
        coupling = RosterModel(problem, weights).build(COUPLING_TERMS)
        for agent_id in problem.options:
            coupling.weekend_vars(agent_id)
        self.classes: list[_Class] = []
        self.class_of: dict[str, int] = {}
        local_of: dict[int, tuple[int, int]] = {}
        for members in groups.values():
            if stopped():
                raise _Stopped
            built = _agent_model(problem, weights, members[0])
            mine = _decisions_of(built, members[0])
            position = {(kind, key): v.index for kind, key, v in mine}
            objective = built.model.proto.objective
            cls = _Class(
                agents=members,
                model=built,
                local=[v.index for _, _, v in mine],
                coupling=sparse.csr_matrix((0, 0)),
                objective=defaultdict(int),
                offset=int(objective.offset),
                shift_index={v.index: int(k) for k, v in built.shift[members[0]].items()},
            )
            for ref, coef in zip(objective.vars, objective.coeffs, strict=True):
                cls.objective[ref] += coef
            c = len(self.classes)
            self.classes.append(cls)
            for agent_id in members:
                self.class_of[agent_id] = c
                for kind, key, v in _decisions_of(coupling, agent_id):
                    local_of[v.index] = (c, position[kind, key])
        self.master = _Master(coupling, local_of, self.classes)
        self.variables = []  # per class: the model's variables the objective or the coupling rows read
        for cls in self.classes:
            indices = sorted(set(cls.objective) | set(cls.local))
            model = cls.model.model
            self.variables.append([model.get_int_var_from_proto_index(i) for i in indices])
        self.positions = [{v.index: i for i, v in enumerate(variables)} for variables in self.variables]

    def cost_of(self, c: int, values: np.ndarray) -> int:
        """The class's own terms at a solution (`values` over `self.variables[c]`), in objective units."""
        cls, position = self.classes[c], self.positions[c]
        return cls.offset + sum(coef * int(values[position[i]]) for i, coef in cls.objective.items())

    def local_values(self, c: int, values: np.ndarray) -> np.ndarray:
        position = self.positions[c]
        return np.array([values[position[i]] for i in self.classes[c].local], dtype=float)

    def pattern_of(self, c: int, values: np.ndarray) -> dict[int, int]:
        cls, position = self.classes[c], self.positions[c]
        problem = self.problem
        return {int(problem.shapes.day[k]): k for index, k in cls.shift_index.items() if values[position[index]]}

    def add(self, c: int, values: np.ndarray) -> bool:
        """Add a column for the class's solution `values` unless it is there already."""
        cls = self.classes[c]
        pattern = self.pattern_of(c, values)
        key = tuple(sorted(pattern.values()))
        if key in cls.seen:
            return False
        cls.seen.add(key)
        cls.patterns.append(pattern)
        self.master.add_column(c, cls, self.local_values(c, values), float(self.cost_of(c, values)))
        return True

    def price(
        self, c: int, pi: np.ndarray | None, limit_s: float, cancel: Cancellation | None, fixed: dict[int, int] | None
    ) -> tuple[float, list[np.ndarray], bool]:
        """Least reduced cost of the class's patterns under duals `pi` (None: all 0): a proven lower bound
        (objective units; -inf if none, inf if the class has no pattern), the solutions found (values of
        `self.variables[c]`, in the order found) and whether the pricing was solved to optimality. `fixed`: solve
        for this pattern (day -> shape) only."""
        cls, variables, position = self.classes[c], self.variables[c], self.positions[c]
        model = cls.model.model.clone() if fixed is not None else cls.model.model
        coeffs = np.zeros(len(variables), dtype=np.int64)
        for index, coef in cls.objective.items():
            coeffs[position[index]] += PRICE_SCALE * coef
        dual = np.zeros(len(cls.local)) if pi is None else -np.asarray(cls.coupling @ pi)
        local_positions = np.array([position[i] for i in cls.local], dtype=np.int64)
        np.add.at(coeffs, local_positions, np.floor(PRICE_SCALE * dual).astype(np.int64))
        work = [model.get_int_var_from_proto_index(v.index) for v in variables] if fixed is not None else variables
        model.minimize(cp_model.LinearExpr.weighted_sum(work, coeffs.tolist()) + PRICE_SCALE * cls.offset)
        if fixed is not None:
            chosen = set(fixed.values())
            for index, k in cls.shift_index.items():
                model.add(model.get_int_var_from_proto_index(index) == int(k in chosen))
        solver = _solver(self.workers, self.seed, limit_s)
        callback = _Pricing(cls, work)
        status = solve(solver, model, callback, cancel)
        if status == cp_model.INFEASIBLE:
            return math.inf, [], True
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return -math.inf, [], False
        return float(solver.best_objective_bound) / PRICE_SCALE, callback.found, status == cp_model.OPTIMAL

    def reduced_cost(self, c: int, values: np.ndarray, pi: np.ndarray | None) -> float:
        """A solution's reduced cost at duals `pi` (None: its cost), in floating point."""
        cost = float(self.cost_of(c, values))
        if pi is None:
            return cost
        return cost - float(self.local_values(c, values) @ (self.classes[c].coupling @ pi))


def column_generation(
    problem: RosterProblem,
    weights: RosterWeights,
    *,
    time_limit_s: float,
    deadline: float | None = None,
    workers: int = 1,
    seed: int = 0,
    initial: dict[str, dict[int, int]] | None = None,
    cancel: Cancellation | None = None,
    on_bound: Callable[[float], None] | None = None,
) -> BoundResult:
    """A proven lower bound of the roster objective (points) by column generation, within `time_limit_s` wall
    seconds (or by `deadline`, a `time.monotonic()` instant, whichever is first). `initial`: a roster (agent ->
    day -> shape) whose patterns start the master, besides the greedy roster's and each agent's cheapest.
    `on_bound` is called with each improved bound. Returns what it has at the limit or when `cancel` fires."""
    began = time.monotonic()
    end = began + time_limit_s if deadline is None else min(deadline, began + time_limit_s)
    result = BoundResult()

    def stopped() -> bool:
        return (cancel is not None and cancel.cancelled) or seconds_left(end) <= 0

    def finish(engine: _Engine | None) -> BoundResult:
        result.elapsed_s = time.monotonic() - began
        if engine is not None:
            result.columns = engine.master.columns
            result.patterns = {agent_id: list(cls.patterns) for cls in engine.classes for agent_id in cls.agents}
        return result

    if stopped():
        return finish(None)
    try:
        engine = _Engine(problem, weights, workers, seed, stopped)
    except _Stopped:
        return finish(None)
    master = engine.master

    def improve(bound_units: float) -> None:
        bound = (bound_units - TOLERANCE * max(1.0, abs(bound_units))) / SCALE
        if bound > result.bound:
            result.bound = bound
            if on_bound is not None:
                on_bound(bound)

    def price_all(pi: np.ndarray | None, pi_master: np.ndarray | None) -> tuple[float, int, bool]:
        """Price every class at duals `pi` (None: all 0): the sum of size x least reduced cost (a bound; -inf if
        stopped), the columns added (those of negative reduced cost at the master's duals, `pi_master` and the
        convexity rows'; every solution where there are none) and whether every pricing was solved to optimality."""
        mu = master.mu
        total, added, optimal = 0.0, 0, True
        for c, cls in enumerate(engine.classes):
            if stopped():
                return -math.inf, added, False
            least, found, solved = engine.price(c, pi, min(PRICING_LIMIT_S, seconds_left(end)), cancel, None)
            if least == math.inf:
                raise ValueError(f"agent '{cls.agents[0]}' has no week that keeps all of the contract's rules")
            total += len(cls.agents) * least
            optimal &= solved
            scored = [(engine.reduced_cost(c, values, pi_master) - mu[c], values) for values in found]
            scored.sort(key=lambda item: item[0])
            for reduced, values in scored[:COLUMNS_PER_ROUND]:
                if pi_master is None or reduced < -ENTER_TOLERANCE:
                    added += engine.add(c, values)
        return total, added, optimal

    # Round 0: every class's cheapest pattern (a bound with all duals 0), then the given and greedy rosters.
    zero = np.zeros(len(master.rows))
    pattern_total, _, _ = price_all(None, None)
    center, center_bound = zero, master.partial_bound(zero) + pattern_total
    improve(center_bound)
    starts = [initial or {}]
    if not stopped():
        starts.append(greedy_roster(problem, weights, cancel=cancel))
    for start in starts:
        for agent_id, pattern in start.items():
            if stopped() or agent_id not in engine.class_of:
                break
            c = engine.class_of[agent_id]
            _, found, _ = engine.price(c, None, min(PRICING_LIMIT_S, seconds_left(end)), cancel, pattern)
            for values in found[-1:]:
                engine.add(c, values)
    while not stopped():
        if not master.solve(seconds_left(end), cancel):
            break
        result.rounds += 1
        result.lp_value = master.value / SCALE
        # Wentges smoothing: price at a point between the duals of the best bound so far and the master's; where
        # that finds no column for the master (a mispricing), price at the master's duals.
        alpha = SMOOTHING
        while not stopped():
            pi = master.pi if alpha == 0 else alpha * center + (1 - alpha) * master.pi
            pattern_total, added, optimal = price_all(pi, master.pi)
            if pattern_total > -math.inf:
                bound = master.partial_bound(pi) + pattern_total
                improve(bound)
                if bound > center_bound:
                    center, center_bound = pi, bound
            if added or alpha == 0:
                break
            alpha = 0.0
        result.progress.append((time.monotonic() - began, result.lp_value, result.bound))
        if alpha == 0 and added == 0 and optimal and pattern_total > -math.inf:
            result.converged = True
            break
    return finish(engine)


@dataclass
class MasterRoster:
    """The integer master's roster: agent -> day -> shape, its objective (points, breaks nominal, as the roster
    model's) and whether CP-SAT proved it the best roster made of the given patterns."""

    shifts: dict[str, dict[int, int]]
    objective: float
    optimal: bool


def integer_master(
    problem: RosterProblem,
    weights: RosterWeights,
    patterns: dict[str, list[dict[int, int]]],
    *,
    time_limit_s: float,
    workers: int = 1,
    seed: int = 0,
    hint: dict[str, dict[int, int]] | None = None,
    cancel: Cancellation | None = None,
) -> MasterRoster | None:
    """The best roster in which every agent works one of its `patterns` (e.g. `BoundResult.patterns`; an agent
    without any is left free), by CP-SAT on the roster model with a choice of pattern per agent, within
    `time_limit_s`: every coupling term is exact. `hint`: a roster to start from. None if none was found in time."""
    began = time.monotonic()
    built = RosterModel(problem, weights).build()
    model = built.model
    hinted: list[tuple[cp_model.IntVar, int]] = []  # pattern choices of the hint
    for agent_id, options in patterns.items():
        if agent_id not in built.shift or not options:
            continue
        shifts = built.shift[agent_id]
        choose = [model.new_bool_var(f"pattern[{agent_id},{i}]") for i in range(len(options))]
        model.add_exactly_one(choose)
        for k, var in shifts.items():
            model.add(var == sum(z for z, pattern in zip(choose, options, strict=True) if k in pattern.values()))
        wanted = (hint or {}).get(agent_id)
        if wanted is not None and wanted in options:
            hinted += [(z, int(pattern == wanted)) for z, pattern in zip(choose, options, strict=True)]
    if hinted:
        # As the roster's warm start: the hint's patterns fixed, CP-SAT completes the rest (an easy problem), and
        # that whole solution hints the search.
        fixed = model.clone()
        for z, value in hinted:
            fixed.add(fixed.get_bool_var_from_proto_index(z.index) == value)
        completion = _solver(workers, seed, HINT_SHARE * time_limit_s)
        if solve(completion, fixed, None, cancel) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for index, value in enumerate(completion.response_proto.solution):
                model.add_hint(model.get_int_var_from_proto_index(index), value)
    solver = _solver(workers, seed, time_limit_s - (time.monotonic() - began))
    status = solve(solver, model, None, cancel)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[str, dict[int, int]] = {}
    for agent_id, shifts in built.shift.items():
        chosen = {int(problem.shapes.day[k]): k for k, var in shifts.items() if solver.value(var)}
        if chosen:
            out[agent_id] = chosen
    return MasterRoster(out, solver.objective_value / SCALE, status == cp_model.OPTIMAL)


def _solver(workers: int, seed: int, limit_s: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.num_workers = workers
    parameters.random_seed = seed
    parameters.catch_sigint_signal = False
    parameters.max_time_in_seconds = max(0.01, limit_s)
    return solver
