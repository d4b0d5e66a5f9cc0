"""Second phase: place every worked shift's breaks inside their windows, one CP-SAT model per day, staggered
where coverage is tight; then allocate the on-duty agents to work types once more (exactly, as a min-cost flow).

The first phase kept each break at the middle of its window; that placement is each day's hint, so the placement
found is never worse than it on this phase's objective (missing agents by priority and tier, realtime work and
the deferred capacity the first phase planned alike).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from models import SolverError
from planner.cpsat import solve
from planner.roster.model import RosterWeights, shortfall_terms
from planner.roster.problem import RosterProblem
from planner.runtime import Cancellation, seconds_left

__all__ = ["allocate", "on_duty_counts", "place_breaks"]

Configure = Callable[[cp_model.CpSolver, float], None]
#: A day with less time than this left keeps its breaks at the middle of their windows.
LEAST_DAY_S = 0.02
#: The status of a day whose breaks were not placed (no time left, or the run was cancelled).
SKIPPED = "SKIPPED"


def _demand(problem: RosterProblem, deferred_capacity: np.ndarray) -> np.ndarray:
    """Agents wanted per (interval, work type): the realtime requirement, and the first phase's deferred capacity."""
    return np.where(problem.deferred[None, :], deferred_capacity, problem.required).astype(np.int64)


def _pool_of(problem: RosterProblem) -> dict[str, int]:
    return {agent: i for i, pool in enumerate(problem.pools) for agent in pool.agents}


def on_duty_counts(
    problem: RosterProblem,
    shifts: dict[tuple[str, int], int],
    offsets: dict[tuple[str, int], tuple[int, ...]],
    breaks: bool = True,
) -> np.ndarray:
    """Agents on duty per (pool, interval): in a shift and not on a break (breaks at `offsets`, else nominal;
    none with `breaks=False`)."""
    shapes, pool_of = problem.shapes, _pool_of(problem)
    counts = np.zeros((len(problem.pools), len(problem.horizon.intervals)), dtype=np.int64)
    for (agent, day), k in shifts.items():
        first, count = int(shapes.first[k]), int(shapes.count[k])
        on = np.ones(count, dtype=bool)
        placed = offsets.get((agent, day))
        for b, slot in enumerate(shapes.breaks[k] if breaks else ()):
            offset = slot.nominal if placed is None else placed[b]
            on[offset : offset + slot.duration] = False
        counts[pool_of[agent], first + np.flatnonzero(on)] += 1
    return counts


def place_breaks(
    problem: RosterProblem,
    shifts: dict[tuple[str, int], int],
    deferred_capacity: np.ndarray,
    weights: RosterWeights,
    time_limit_s: float,
    configure: Configure,
    *,
    deadline: float | None = None,
    cancel: Cancellation | None = None,
) -> tuple[dict[tuple[str, int], tuple[int, ...]], list[str]]:
    """Break offsets (intervals from the shift's start, in the template's order) per worked (agent, day), and the
    status of each day's solve. Days are placed in order; a day's model sees earlier days' breaks where placed
    and later days' at their nominal place. Each day's solve gets `time_limit_s`, less where the days left share
    what remains until `deadline` (a `time.monotonic()` instant); a day with no time left, or after `cancel`,
    keeps its breaks at the middle of their windows (status SKIPPED)."""
    shapes, pool_of = problem.shapes, _pool_of(problem)
    demand = _demand(problem, deferred_capacity)
    skill_of = [problem.center.work_type(w).skill for w in problem.work_types]
    intervals = len(problem.horizon.intervals)
    offsets: dict[tuple[str, int], tuple[int, ...]] = {}
    statuses = []
    by_day: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for (agent, day), k in sorted(shifts.items()):
        if shapes.breaks[k]:
            by_day[day].append((agent, k))
    days = sorted(by_day)
    for position, day in enumerate(days):
        limit = min(time_limit_s, seconds_left(deadline) / (len(days) - position))
        if limit < LEAST_DAY_S or (cancel is not None and cancel.cancelled):
            for agent, k in by_day[day]:
                offsets[agent, day] = tuple(slot.nominal for slot in shapes.breaks[k])
            statuses.append(SKIPPED)
            continue
        # On duty without this day's breaks: everything else as placed so far (or nominal).
        others = {key: k for key, k in shifts.items() if key[1] != day}
        present = on_duty_counts(problem, others, offsets)
        today = {key: k for key, k in shifts.items() if key[1] == day}
        present += on_duty_counts(problem, today, {}, breaks=False)
        model = cp_model.CpModel()
        choices: dict[tuple[str, int], list[list[tuple[int, cp_model.IntVar]]]] = {}
        away: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        span: set[int] = set()
        for agent, k in by_day[day]:
            first = int(shapes.first[k])
            span.update(range(first, min(first + int(shapes.count[k]), intervals)))
            per_break = []
            for b, slot in enumerate(shapes.breaks[k]):
                options = []
                for offset in slot.offsets:
                    var = model.new_bool_var(f"break[{agent},{b},{offset}]")
                    model.add_hint(var, int(offset == slot.nominal))
                    options.append((offset, var))
                    for t in range(first + offset, min(first + offset + slot.duration, intervals)):
                        away[pool_of[agent], t].append(var)
                model.add_exactly_one(v for _, v in options)
                per_break.append(options)
            choices[agent, day] = per_break
        terms = []
        for t in sorted(span):
            cover: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for pool_index, pool in enumerate(problem.pools):
                if present[pool_index, t] <= 0:
                    continue
                vars_ = []
                for w in np.flatnonzero(demand[t]):
                    if skill_of[w] in pool.skills:
                        var = model.new_int_var(0, int(present[pool_index, t]), f"y[{pool_index},{t},{w}]")
                        cover[int(w)].append(var)
                        vars_.append(var)
                if vars_:
                    model.add(sum(vars_) <= int(present[pool_index, t]) - sum(away.get((pool_index, t), [])))
            for w in np.flatnonzero(demand[t]):
                terms += shortfall_terms(model, problem, weights, t, int(w), int(demand[t, w]), sum(cover[int(w)]))
        model.minimize(sum(terms))
        solver = cp_model.CpSolver()
        configure(solver, limit)
        status = solve(solver, model, cancel=cancel)
        statuses.append(solver.status_name(status))
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        for (agent, d), per_break in choices.items():
            k = shifts[agent, d]
            placed = []
            for options, slot in zip(per_break, shapes.breaks[k], strict=True):
                chosen = next((o for o, v in options if found and solver.value(v)), slot.nominal)
                placed.append(chosen)
            offsets[agent, d] = tuple(placed)
    return offsets, statuses


def allocate(
    problem: RosterProblem,
    on_duty: np.ndarray,
    deferred_capacity: np.ndarray,
    weights: RosterWeights,
) -> np.ndarray:
    """Agents of each pool on each work type per interval, (pools, intervals, work types): the allocation of the
    on-duty agents `on_duty` (pools, intervals) that leaves the least weighted shortfall (priority and convex
    tiers as in the first phase), solved exactly as one min-cost flow: source -> (interval, pool) -> (interval,
    work type) -> sink, the covered units of a work type rewarded from the costliest missing agent down. Agents
    beyond every need stay allocated to an open work type of their skills (they show as surplus)."""
    demand = _demand(problem, deferred_capacity)
    skill_of = [problem.center.work_type(w).skill for w in problem.work_types]
    pools, intervals = on_duty.shape
    tails: list[int] = []
    heads: list[int] = []
    capacities: list[int] = []
    costs: list[int] = []
    source, sink = 0, 1
    nodes = 2
    allocation_arcs: list[tuple[int, int, int, int]] = []  # (arc, pool, interval, work type)

    def arc(tail: int, head: int, capacity: int, cost: int) -> int:
        tails.append(tail)
        heads.append(head)
        capacities.append(capacity)
        costs.append(cost)
        return len(tails) - 1

    total = int(on_duty.sum())
    open_now = np.column_stack([problem.center.is_open(w, problem.horizon.intervals) for w in problem.work_types])
    for t in range(intervals):
        present = np.flatnonzero(on_duty[:, t])
        if present.size == 0:
            continue
        skills_present = set().union(*(problem.pools[p].skills for p in present))
        wanted = np.flatnonzero(
            (demand[t] > 0) | (open_now[t] & np.array([skill in skills_present for skill in skill_of]))
        )
        work_node = {}
        for w in wanted:
            work_node[int(w)] = nodes
            nodes += 1
            arc(work_node[int(w)], sink, total, 0)  # agents beyond the need: scheduled, as surplus
            need = int(demand[t, w])
            priority = weights.priority(problem.center.work_type(problem.work_types[w]).priority)
            # Rewards for covering, costliest missing agent first: tier 3 (4th+ missing), then 2, then 1.
            tier3, tier2, tier1 = max(need - 3, 0), min(max(need - 1, 0), 2), min(need, 1)
            for units, weight in zip((tier3, tier2, tier1), weights.understaffing_tiers[::-1], strict=True):
                if units:
                    arc(work_node[int(w)], sink, units, -weight * priority)
        for pool_index in present:
            pool = problem.pools[pool_index]
            node = nodes
            nodes += 1
            available = int(on_duty[pool_index, t])
            arc(source, node, available, 0)
            for w in wanted:
                if skill_of[w] in pool.skills:
                    allocation_arcs.append((arc(node, work_node[int(w)], available, 0), int(pool_index), t, int(w)))
    out = np.zeros((pools, intervals, len(problem.work_types)), dtype=np.int64)
    if not allocation_arcs:
        return out
    arc(source, sink, total, 1)  # on duty with no open work type of their skills (kept only where nothing else)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(np.array(tails), np.array(heads), np.array(capacities), np.array(costs))
    supplies = np.zeros(nodes, dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    flow.set_nodes_supplies(np.arange(nodes), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"the allocation of on-duty agents to work types failed (min-cost flow status {status})")
    for index, pool_at, interval, work_type in allocation_arcs:
        out[pool_at, interval, work_type] = flow.flow(index)
    return out
