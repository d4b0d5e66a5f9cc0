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

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.assign.heuristics import Plan
from planner.assign.problem import CAPACITY, AssignProblem

__all__ = ["SCALE", "TERMS", "AssignModel", "AssignWeights", "capacity_free_bound", "evaluate", "priority_weight"]

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
class _Costs:
    """Integer objective coefficients (units: SCALE per point) of one ticket and of each of its options."""

    breach: int
    late_per_s: int
    unassigned: int
    flow_per_s: int
    churn: int
    option_fixed: dict[int, dict[str, int]] = field(default_factory=dict)


def _costs(problem: AssignProblem, weights: AssignWeights) -> list[_Costs]:
    """The coefficients of every ticket and option under `weights`, priced once per problem and weights (the
    model, `evaluate` of each plan and the bound all read them)."""
    cached = problem.cost_cache.get(weights)
    if cached is None:
        cached = problem.cost_cache[weights] = _price(problem, weights)
    return cached


def _price(problem: AssignProblem, weights: AssignWeights) -> list[_Costs]:
    out = []
    by_ticket = problem.options_of_ticket()
    for t, ticket in enumerate(problem.tickets):
        w = priority_weight(ticket.priority) * ticket.tier_weight
        fixed: dict[int, dict[str, int]] = {}
        for k in by_ticket[t]:
            option = problem.options[k]
            agent = problem.agents[option.agent]
            quality = problem.quality.get((agent.id, ticket.work_type), 1.0)
            mismatch = bool(ticket.region and agent.region and ticket.region != agent.region)
            moved = bool(ticket.assigned and ticket.assigned != agent.id)
            fixed[k] = {
                "tier_quality": round(SCALE * weights.tier_quality * ticket.tier_weight * (1 - quality)),
                "region": round(SCALE * weights.region) if mismatch else 0,
                "proficiency": round(SCALE * weights.proficiency * (1 - agent.proficiency[ticket.work_type])),
                "churn": round(SCALE * weights.churn) if moved else 0,
            }
        out.append(
            _Costs(
                breach=round(SCALE * weights.breach * w),
                late_per_s=round(_PER_SECOND * weights.late_minute * w),
                unassigned=round(SCALE * weights.unassigned * w),
                flow_per_s=round(_PER_SECOND * weights.flow_minute * w),
                churn=round(SCALE * weights.churn),
                option_fixed=fixed,
            )
        )
    return out


def _unassigned_cost(problem: AssignProblem, t: int, cost: _Costs) -> dict[str, int]:
    """An unassigned ticket: breached if due within the horizon, late at least to the horizon's end plus its handle
    time, and its flow at that end; churn if it was assigned to someone."""
    ticket = problem.tickets[t]
    end = problem.horizon_s + ticket.handle_s
    late = max(0, end - ticket.due_s)
    return {
        "breaches": cost.breach if ticket.due_s <= problem.horizon_s else 0,
        "lateness": cost.late_per_s * late,
        "unassigned": cost.unassigned,
        "flow": cost.flow_per_s * max(0, end),
        "churn": cost.churn if ticket.assigned else 0,
    }


def _placed_cost(problem: AssignProblem, t: int, k: int, start: int, cost: _Costs) -> dict[str, int]:
    ticket, option = problem.tickets[t], problem.options[k]
    end = start + option.duration
    late = max(0, end - ticket.due_s)
    return {
        "breaches": cost.breach if late > 0 else 0,
        "lateness": cost.late_per_s * late,
        "flow": cost.flow_per_s * max(0, end),
        **cost.option_fixed[k],
    }


def evaluate(problem: AssignProblem, plan: Plan, weights: AssignWeights) -> dict[str, float]:
    """The objective's terms (points) of any plan, as the model counts them."""
    costs = _costs(problem, weights)
    totals = dict.fromkeys(TERMS, 0)
    load = [0] * len(problem.agents)
    for t in range(len(problem.tickets)):
        if t in plan:
            k, start = plan[t]
            parts = _placed_cost(problem, t, k, start, costs[t])
            load[problem.options[k].agent] += problem.options[k].duration
        else:
            parts = _unassigned_cost(problem, t, costs[t])
        for name, value in parts.items():
            totals[name] += value
    totals["balance"] = round(_PER_SECOND * weights.balance_minute) * max(load, default=0)
    return {name: value / SCALE for name, value in totals.items()}


def capacity_free_bound(problem: AssignProblem, weights: AssignWeights) -> float:
    """A lower bound of the objective (points): every ticket at its cheapest, started as early as its windows
    allow as if nobody else needed the agent (capacity relaxed), and no balance cost."""
    costs = _costs(problem, weights)
    by_ticket = problem.options_of_ticket()
    total = 0
    for t in range(len(problem.tickets)):
        best = sum(_unassigned_cost(problem, t, costs[t]).values())
        for k in by_ticket[t]:
            start = max(0, problem.options[k].starts[0][0])
            best = min(best, sum(_placed_cost(problem, t, k, start, costs[t]).values()))
        total += best
    return total / SCALE


def _durations(problem: AssignProblem, keep: set[int] | None) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in problem.agents]
    for k, option in enumerate(problem.options):
        if keep is None or k in keep:
            out[option.agent].append(option.duration)
    return out


class AssignModel:
    """The CP-SAT model of `problem` (all its options, or the `keep` subset)."""

    def __init__(self, problem: AssignProblem, weights: AssignWeights, keep: set[int] | None = None) -> None:
        self.problem, self.weights = problem, weights
        self.model = cp_model.CpModel()
        self.present: dict[int, cp_model.IntVar] = {}
        self.start: dict[int, cp_model.IntVar] = {}
        self.terms: dict[str, cp_model.LinearExprT] = {}
        #: Per ticket: lateness, breach, unassigned and (with a flow weight) end variables.
        self.ticket_vars: list[tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar, cp_model.IntVar | None]] = []
        #: Per ticket: its breach, lateness and unassigned terms (what strict priority minimises level by level).
        self.urgency: list[cp_model.LinearExprT] = []
        self._build(keep)

    def _build(self, keep: set[int] | None) -> None:
        problem, model = self.problem, self.model
        costs = _costs(problem, self.weights)
        horizon = problem.horizon_s
        parts: dict[str, list[cp_model.LinearExprT]] = {name: [] for name in TERMS}
        intervals: list[list[tuple[cp_model.IntervalVar, int]]] = [[] for _ in problem.agents]
        loads: list[list[cp_model.LinearExprT]] = [[] for _ in problem.agents]
        by_ticket = problem.options_of_ticket()
        for t, ticket in enumerate(problem.tickets):
            cost = costs[t]
            chosen = []
            latest = max(
                [horizon + ticket.handle_s]
                + [problem.options[k].starts[-1][1] + problem.options[k].duration for k in by_ticket[t]]
            )
            late = model.new_int_var(0, max(0, latest - ticket.due_s), f"late_{t}")
            breach = model.new_bool_var(f"breach_{t}")
            end_t = model.new_int_var(0, latest, f"end_{t}") if cost.flow_per_s else None
            for k in by_ticket[t]:
                if keep is not None and k not in keep:
                    continue
                option = problem.options[k]
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
                for name, value in cost.option_fixed[k].items():
                    if value:
                        parts[name].append(value * x)
                self.present[k], self.start[k] = x, s
                chosen.append(x)
            model.add_at_most_one(chosen)
            unassigned = model.new_bool_var(f"u_{t}")
            model.add(sum(chosen) + unassigned == 1)
            fallback = _unassigned_cost(problem, t, cost)
            # Unassigned: late to at least the horizon's end plus the handle time, and its flow counted there.
            model.add(late >= problem.horizon_s + ticket.handle_s - ticket.due_s).only_enforce_if(unassigned)
            if end_t is not None:
                model.add(end_t == problem.horizon_s + ticket.handle_s).only_enforce_if(unassigned)
            if ticket.due_s <= problem.horizon_s:
                model.add_implication(unassigned, breach)
            parts["breaches"].append(cost.breach * breach)
            parts["lateness"].append(cost.late_per_s * late)
            parts["unassigned"].append(fallback["unassigned"] * unassigned)
            if fallback["churn"]:
                parts["churn"].append(fallback["churn"] * unassigned)
            if end_t is not None:
                parts["flow"].append(cost.flow_per_s * end_t)
            self.ticket_vars.append((late, breach, unassigned, end_t))
            self.urgency.append(cost.breach * breach + cost.late_per_s * late + fallback["unassigned"] * unassigned)
        # An agent's booked work can exceed the horizon when it holds several chats at once.
        most_work = max((sum(d for d in durations) for durations in _durations(problem, keep)), default=0)
        most = self.most = model.new_int_var(0, max(1, most_work), "most_work")
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
        balance = round(_PER_SECOND * self.weights.balance_minute)
        if balance:
            parts["balance"].append(balance * most)
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
        self.model.add_hint(self.most, max(load, default=0))

    def start_floor(self, k: int) -> int:
        return self.problem.options[k].starts[0][0]
