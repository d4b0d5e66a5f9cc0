"""The assignment's CP-SAT model and the costs it minimises, in one place for the model, for scoring any plan (the
baselines' included) and for the bound.

Decisions: for each (ticket, agent who may take it) an optional interval inside one of the agent's working
windows; each ticket at most once; per agent no overlap (a cumulative of shares where it handles chats, and of
counts under `max_concurrency`). Named terms, in points (one point: a minute of lateness of a priority-4 ticket of a
tier of weight 1):

- `breaches`: tickets finished after their due time (or left unassigned when due within the horizon), each
  weighted by its priority and customer tier;
- `lateness`: minutes past the due time, same weights (an unassigned ticket is late by at least the horizon's end
  plus its handle time);
- `unassigned`: tickets left without an agent, by priority;
- `flow`: minutes to each ticket's end, weight 0 by default: every plan is left-shifted after solving (each
  agent's tickets started as early as they fit, in the solved order), which starts everything early without
  making the model a completion-time problem whose bound CP-SAT cannot close;
- `tier_quality`: high-tier customers given to agents of lower quality score;
- `region`: ticket and agent in different regions; `proficiency`: agents slower than full proficiency;
- `balance`: the most work booked on one agent (minutes);
- `churn`: tickets moved away from the agent they are assigned to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from ortools.sat.python import cp_model

from planner.assign.heuristics import Plan
from planner.assign.problem import CAPACITY, AssignProblem

__all__ = [
    "SCALE",
    "TERMS",
    "AssignModel",
    "AssignWeights",
    "Prices",
    "agent_loads",
    "capacity_free_bound",
    "evaluate",
    "prices",
    "priority_weight",
    "ticket_costs",
]

#: Objective units per point: per-minute weights become whole coefficients per second down to 0.01 a minute.
SCALE = 6_000
_PER_SECOND = SCALE // 60
TERMS = ("breaches", "lateness", "unassigned", "flow", "tier_quality", "region", "proficiency", "balance", "churn")


def priority_weight(priority: int) -> int:
    """Priority 1 weighs 64, 2 weighs 16, 3 weighs 4, 4 and below 1."""
    return int(4 ** (4 - min(max(priority, 1), 4)))


@dataclass(frozen=True)
class AssignWeights:
    """Points per unit of each term (before the priority and tier weights where those apply)."""

    breach: float = 100.0
    late_minute: float = 1.0
    unassigned: float = 50.0
    flow_minute: float = 0.0
    tier_quality: float = 20.0
    region: float = 5.0
    proficiency: float = 5.0
    balance_minute: float = 0.05
    churn: float = 10.0


@dataclass(frozen=True)
class Prices:
    """Integer objective coefficients (units: SCALE per point) of every ticket and option under some weights, as
    numpy arrays (for scoring plans and the bound) and as lists of Python ints (for the model).

    Per ticket: `breach`, `late_per_s`, `flow_per_s`; `fallback`: the terms of leaving it unassigned. Per option:
    `fixed`: its terms that do not depend on when it starts (tier_quality, region, proficiency, churn)."""

    due: np.ndarray
    breach: np.ndarray
    late_per_s: np.ndarray
    flow_per_s: np.ndarray
    fallback: dict[str, np.ndarray]
    fallback_total: np.ndarray
    fixed: dict[str, np.ndarray]
    fixed_total: np.ndarray
    balance_per_s: int


_FIXED = ("tier_quality", "region", "proficiency", "churn")
_FALLBACK = ("breaches", "lateness", "unassigned", "flow", "churn")


def prices(problem: AssignProblem, weights: AssignWeights) -> Prices:
    """The coefficients of every ticket and option under `weights`, priced once per problem and weights (the
    model, `evaluate` of each plan and the bound all read them)."""
    cached = problem.cost_cache.get(weights)
    if cached is None:
        cached = problem.cost_cache[weights] = _price(problem, weights)
    return cast(Prices, cached)


def _price(problem: AssignProblem, weights: AssignWeights) -> Prices:
    tickets, agents, options = problem.tickets, problem.agents, problem.options
    n = len(tickets)
    breach, late_per_s, flow_per_s, unassigned = [0] * n, [0] * n, [0] * n, [0] * n
    for t, ticket in enumerate(tickets):
        w = priority_weight(ticket.priority) * ticket.tier_weight
        breach[t] = round(SCALE * weights.breach * w)
        late_per_s[t] = round(_PER_SECOND * weights.late_minute * w)
        unassigned[t] = round(SCALE * weights.unassigned * w)
        flow_per_s[t] = round(_PER_SECOND * weights.flow_minute * w)
    churn = round(SCALE * weights.churn)
    due = np.array([t.due_s for t in tickets], dtype=np.int64)
    handle = np.array([t.handle_s for t in tickets], dtype=np.int64)
    late_end = problem.horizon_s + handle
    fallback = {
        "breaches": np.where(due <= problem.horizon_s, np.array(breach, dtype=np.int64), 0),
        "lateness": np.array(late_per_s, dtype=np.int64) * np.maximum(0, late_end - due),
        "unassigned": np.array(unassigned, dtype=np.int64),
        "flow": np.array(flow_per_s, dtype=np.int64) * np.maximum(0, late_end),
        "churn": np.array([churn if t.assigned else 0 for t in tickets], dtype=np.int64),
    }
    # Per option: the agent's quality and proficiency in the ticket's work type, regions, the current agent.
    work_types = sorted({t.work_type for t in tickets})
    kind_index = {w: i for i, w in enumerate(work_types)}
    kind = np.array([kind_index[t.work_type] for t in tickets], dtype=np.int64)
    quality = np.ones((len(work_types), len(agents)))
    speed = np.ones((len(work_types), len(agents)))
    for a, agent in enumerate(agents):
        for work_type, i in kind_index.items():
            quality[i, a] = problem.quality.get((agent.id, work_type), 1.0)
            speed[i, a] = agent.proficiency.get(work_type, 1.0)
    regions = sorted({t.region for t in tickets} | {a.region for a in agents})
    region_index = {r: i for i, r in enumerate(regions)}
    ticket_region = np.array([region_index[t.region] for t in tickets], dtype=np.int64)
    agent_region = np.array([region_index[a.region] for a in agents], dtype=np.int64)
    agent_index = {a.id: i for i, a in enumerate(agents)}
    # The ticket's current agent: its index, -1 when it is assigned to nobody on shift, -2 when to nobody.
    current = np.array([agent_index.get(t.assigned, -1) if t.assigned else -2 for t in tickets], dtype=np.int64)
    tier_weight = np.array([t.tier_weight for t in tickets], dtype=np.float64)
    ot, oa = options.ticket, options.agent
    ok = kind[ot]
    named = np.array([bool(r) for r in regions], dtype=bool)
    mine, theirs = ticket_region[ot], agent_region[oa]
    mismatch = (mine != theirs) & named[mine] & named[theirs]
    moved = (current[ot] != -2) & (current[ot] != oa)
    fixed = {
        "tier_quality": np.rint(SCALE * weights.tier_quality * tier_weight[ot] * (1 - quality[ok, oa])).astype(
            np.int64
        ),
        "region": np.where(mismatch, round(SCALE * weights.region), 0).astype(np.int64),
        "proficiency": np.rint(SCALE * weights.proficiency * (1 - speed[ok, oa])).astype(np.int64),
        "churn": np.where(moved, churn, 0).astype(np.int64),
    }
    return Prices(
        due=due,
        breach=np.array(breach, dtype=np.int64),
        late_per_s=np.array(late_per_s, dtype=np.int64),
        flow_per_s=np.array(flow_per_s, dtype=np.int64),
        fallback=fallback,
        fallback_total=sum((fallback[name] for name in _FALLBACK), np.zeros(n, dtype=np.int64)),
        fixed=fixed,
        fixed_total=sum((fixed[name] for name in _FIXED), np.zeros(len(options), dtype=np.int64)),
        balance_per_s=round(_PER_SECOND * weights.balance_minute),
    )


def _plan_arrays(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plan's tickets, options and starts as arrays."""
    count = len(plan)
    tickets = np.fromiter(plan.keys(), dtype=np.int64, count=count)
    chosen = np.fromiter((k for k, _ in plan.values()), dtype=np.int64, count=count)
    starts = np.fromiter((s for _, s in plan.values()), dtype=np.int64, count=count)
    return tickets, chosen, starts


def ticket_costs(problem: AssignProblem, plan: Plan, weights: AssignWeights) -> np.ndarray:
    """Each ticket's share of the objective (units), the balance term left out."""
    price = prices(problem, weights)
    out = price.fallback_total.copy()
    tickets, chosen, starts = _plan_arrays(plan)
    end = starts + problem.options.duration[chosen]
    late = np.maximum(0, end - price.due[tickets])
    out[tickets] = (
        np.where(late > 0, price.breach[tickets], 0)
        + price.late_per_s[tickets] * late
        + price.flow_per_s[tickets] * np.maximum(0, end)
        + price.fixed_total[chosen]
    )
    return out


def agent_loads(problem: AssignProblem, plan: Plan) -> np.ndarray:
    """Seconds of work booked per agent."""
    _, chosen, _ = _plan_arrays(plan)
    options = problem.options
    return np.bincount(options.agent[chosen], weights=options.duration[chosen], minlength=len(problem.agents)).astype(
        np.int64
    )


def evaluate(problem: AssignProblem, plan: Plan, weights: AssignWeights) -> dict[str, float]:
    """The objective's terms (points) of any plan, as the model counts them."""
    price = prices(problem, weights)
    totals = dict.fromkeys(TERMS, 0)
    tickets, chosen, starts = _plan_arrays(plan)
    left = np.ones(len(problem.tickets), dtype=bool)
    left[tickets] = False
    for name in _FALLBACK:
        totals[name] += int(price.fallback[name][left].sum())
    end = starts + problem.options.duration[chosen]
    late = np.maximum(0, end - price.due[tickets])
    totals["breaches"] += int(np.where(late > 0, price.breach[tickets], 0).sum())
    totals["lateness"] += int((price.late_per_s[tickets] * late).sum())
    totals["flow"] += int((price.flow_per_s[tickets] * np.maximum(0, end)).sum())
    for name in _FIXED:
        totals[name] += int(price.fixed[name][chosen].sum())
    totals["balance"] = price.balance_per_s * int(agent_loads(problem, plan).max(initial=0))
    return {name: value / SCALE for name, value in totals.items()}


def capacity_free_bound(problem: AssignProblem, weights: AssignWeights) -> float:
    """A lower bound of the objective (points): every ticket at its cheapest, started as early as its windows
    allow as if nobody else needed the agent (capacity relaxed), and no balance cost."""
    price = prices(problem, weights)
    options = problem.options
    best = price.fallback_total.copy()
    if len(options):
        t = options.ticket
        end = np.maximum(0, options.first_start) + options.duration
        late = np.maximum(0, end - price.due[t])
        cost = (
            np.where(late > 0, price.breach[t], 0)
            + price.late_per_s[t] * late
            + price.flow_per_s[t] * np.maximum(0, end)
            + price.fixed_total
        )
        has = np.flatnonzero(np.diff(options.ptr) > 0)
        cheapest = np.minimum.reduceat(cost, options.ptr[has])
        best[has] = np.minimum(best[has], cheapest)
    return int(best.sum()) / SCALE


class AssignModel:
    """The CP-SAT model of `problem` (all its options, or the `keep` subset). `balance_floor`: seconds of work the
    busiest agent books at least (the agents left out of a sub-problem, `planner.assign.decompose`)."""

    def __init__(
        self,
        problem: AssignProblem,
        weights: AssignWeights,
        keep: set[int] | None = None,
        balance_floor: int = 0,
    ) -> None:
        self.problem, self.weights = problem, weights
        self.model = cp_model.CpModel()
        self.present: dict[int, cp_model.IntVar] = {}
        self.start: dict[int, cp_model.IntVar] = {}
        self.terms: dict[str, cp_model.LinearExprT] = {}
        #: Per ticket: lateness, breach, unassigned and (with a flow weight) end variables.
        self.ticket_vars: list[tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar, cp_model.IntVar | None]] = []
        #: Per ticket: its breach, lateness and unassigned terms (what strict priority minimises level by level).
        self.urgency: list[cp_model.LinearExprT] = []
        self.balance_floor = balance_floor
        self._build(keep)

    def _build(self, keep: set[int] | None) -> None:
        problem, model, options = self.problem, self.model, self.problem.options
        price = prices(problem, self.weights)
        breach_of, late_of, flow_of = price.breach.tolist(), price.late_per_s.tolist(), price.flow_per_s.tolist()
        unassigned_of, churn_of = price.fallback["unassigned"].tolist(), price.fallback["churn"].tolist()
        fixed = [(name, price.fixed[name].tolist()) for name in _FIXED]
        horizon = problem.horizon_s
        parts: dict[str, list[cp_model.LinearExprT]] = {name: [] for name in TERMS}
        intervals: list[list[tuple[cp_model.IntervalVar, int]]] = [[] for _ in problem.agents]
        loads: list[list[cp_model.LinearExprT]] = [[] for _ in problem.agents]
        ptr = options.ptr.tolist()
        # Per ticket, the latest end of any of its options (the last window that holds it).
        latest_end = np.full(len(problem.tickets), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(latest_end, options.ticket, options.last_end)
        latest_of = latest_end.tolist()
        for t, ticket in enumerate(problem.tickets):
            chosen = []
            latest = max(horizon + ticket.handle_s, latest_of[t])
            late = model.new_int_var(0, max(0, latest - ticket.due_s), f"late_{t}")
            breach = model.new_bool_var(f"breach_{t}")
            end_t = model.new_int_var(0, latest, f"end_{t}") if flow_of[t] else None
            for k in range(ptr[t], ptr[t + 1]):
                if keep is not None and k not in keep:
                    continue
                option = options[k]
                x = model.new_bool_var(f"x_{t}_{k}")
                domain = cp_model.Domain.from_intervals([[first, last] for first, last in option.starts])
                s = model.new_int_var_from_domain(domain, f"s_{t}_{k}")
                interval = model.new_optional_fixed_size_interval_var(s, option.duration, x, f"i_{t}_{k}")
                intervals[option.agent].append((interval, ticket.share))
                loads[option.agent].append(option.duration * x)
                model.add(late >= s + option.duration - ticket.due_s).only_enforce_if(x)
                model.add(s + option.duration <= ticket.due_s).only_enforce_if([x, breach.Not()])
                if end_t is not None:
                    model.add(end_t == s + option.duration).only_enforce_if(x)
                for name, values in fixed:
                    if values[k]:
                        parts[name].append(values[k] * x)
                self.present[k], self.start[k] = x, s
                chosen.append(x)
            model.add_at_most_one(chosen)
            unassigned = model.new_bool_var(f"u_{t}")
            model.add(sum(chosen) + unassigned == 1)
            # Unassigned: late to at least the horizon's end plus the handle time, and its flow counted there.
            model.add(late >= problem.horizon_s + ticket.handle_s - ticket.due_s).only_enforce_if(unassigned)
            if end_t is not None:
                model.add(end_t == problem.horizon_s + ticket.handle_s).only_enforce_if(unassigned)
            if ticket.due_s <= problem.horizon_s:
                model.add_implication(unassigned, breach)
            parts["breaches"].append(breach_of[t] * breach)
            parts["lateness"].append(late_of[t] * late)
            parts["unassigned"].append(unassigned_of[t] * unassigned)
            if churn_of[t]:
                parts["churn"].append(churn_of[t] * unassigned)
            if end_t is not None:
                parts["flow"].append(flow_of[t] * end_t)
            self.ticket_vars.append((late, breach, unassigned, end_t))
            self.urgency.append(breach_of[t] * breach + late_of[t] * late + unassigned_of[t] * unassigned)
        # An agent's booked work can exceed the horizon when it holds several chats at once.
        if keep is None:
            kept = np.arange(len(options))
        else:
            kept = np.fromiter(keep, dtype=np.int64, count=len(keep))
        work = np.bincount(options.agent[kept], weights=options.duration[kept], minlength=len(problem.agents))
        most_work = int(work.max(initial=0))
        most = self.most = model.new_int_var(0, max(1, most_work, self.balance_floor), "most_work")
        if self.balance_floor:
            model.add(most >= self.balance_floor)
        for a, agent in enumerate(problem.agents):
            if not intervals[a]:
                continue
            if all(share >= CAPACITY for _, share in intervals[a]):
                model.add_no_overlap([i for i, _ in intervals[a]])
            else:
                model.add_cumulative(
                    [i for i, _ in intervals[a]], [min(s, CAPACITY) for _, s in intervals[a]], CAPACITY
                )
                if agent.max_contacts:
                    model.add_cumulative([i for i, _ in intervals[a]], [1] * len(intervals[a]), agent.max_contacts)
            model.add(most >= sum(loads[a]))
        if price.balance_per_s:
            parts["balance"].append(price.balance_per_s * most)
        self.terms = {name: sum(values) for name, values in parts.items()}
        model.minimize(sum(self.terms.values()))

    def hint(self, plan: Plan) -> None:
        """Hint every variable from a constructive plan (a complete, feasible hint: CP-SAT starts from it)."""
        problem = self.problem
        chosen = {k: start for k, start in plan.values()}
        for k, x in self.present.items():
            self.model.add_hint(x, int(k in chosen))
            self.model.add_hint(self.start[k], chosen.get(k, self.start_floor(k)))
        load = [0] * len(problem.agents)
        for t, (late, breach, unassigned, end_t) in enumerate(self.ticket_vars):
            ticket = problem.tickets[t]
            if t in plan and plan[t][0] in self.present:
                k, start = plan[t]
                end = start + problem.options[k].duration
                load[problem.options[k].agent] += problem.options[k].duration
                missed, lateness = end > ticket.due_s, max(0, end - ticket.due_s)
                placed = True
            else:
                end = problem.horizon_s + ticket.handle_s
                missed, lateness, placed = ticket.due_s <= problem.horizon_s, max(0, end - ticket.due_s), False
            self.model.add_hint(late, lateness)
            self.model.add_hint(breach, int(missed))
            self.model.add_hint(unassigned, int(not placed))
            if end_t is not None:
                self.model.add_hint(end_t, end)
        self.model.add_hint(self.most, max(max(load, default=0), self.balance_floor))

    def start_floor(self, k: int) -> int:
        return self.problem.options[k].starts[0][0]
