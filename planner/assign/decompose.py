"""Large instances by decomposition: improve a complete plan (the earliest-finish one) with small CP-SAT models,
one group of agents at a time, keeping every improvement of the whole problem's objective.

A sub-problem is a group of agents who share a skill, the tickets the plan gives them, and the most urgent of the
tickets left unassigned that one of them may take. Its model is the whole model restricted to those tickets and
agents (`AssignModel`), with the busiest agent's work outside the group as a floor of the balance term; hinted with
the plan. Every other ticket and agent is untouched, so the sub-problem's objective differs from the whole one by
a constant: a better sub-plan (left-shifted, as every plan) is a better whole plan, and is kept. Groups are formed
anew in every round (single agents; or an agent with late tickets and the agents with the least late work among
those with the skill of its most urgent ticket), the groups with the most to gain first, until the time is up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from planner.assign.heuristics import Plan, left_shift
from planner.assign.model import SCALE, AssignModel, AssignWeights, prices
from planner.assign.problem import AssignProblem, assemble

__all__ = ["Budget", "Decomposition", "decompose"]

#: run(model, seconds) -> (status, solver): one CP-SAT solve of a sub-problem's model within `seconds`.
Run = Callable[[AssignModel, float], tuple[cp_model.CpSolverStatus, cp_model.CpSolver]]


@dataclass(frozen=True)
class Budget:
    """When to stop: at `deadline` on `clock` (wall time), each sub-problem getting an even share of what is left
    of its round, between `least_s` and `most_s`; or (`deadline` None: deterministic) one round, each sub-problem
    `total_s` / its number of groups (CP-SAT's deterministic time)."""

    clock: Callable[[], float]
    deadline: float | None
    total_s: float = 0.0
    least_s: float = 0.05
    most_s: float = 1.0


@dataclass(frozen=True)
class Decomposition:
    """What the decomposition did: sub-problems solved, improved (kept), the group size of each round begun, the
    objective before and after (points)."""

    subproblems: int
    improved: int
    sizes: tuple[int, ...]
    before: float
    after: float

    @property
    def rounds(self) -> int:
        return len(self.sizes)

    def note(self) -> str:
        change = (self.before - self.after) / self.before if self.before > 0 else 0.0
        rounds = f"{self.rounds} round{'s' if self.rounds != 1 else ''}"
        if self.sizes:
            rounds += f" (groups of {', '.join(str(n) for n in self.sizes)} agents)"
        return (
            f"decomposed: {self.subproblems:,} sub-problems (groups of agents with their tickets) in {rounds}, "
            f"{self.improved:,} improved the plan; objective {self.before:,.0f} -> {self.after:,.0f} "
            f"({change:.1%} lower)"
        )


class _State:
    """The plan being improved, with what the groups need: each agent's tickets and work, each ticket's cost."""

    def __init__(self, problem: AssignProblem, plan: Plan, weights: AssignWeights, strict: bool) -> None:
        self.problem, self.weights, self.strict = problem, weights, strict
        self.price = prices(problem, weights)
        self.plan = dict(plan)
        options = problem.options
        self.owned: list[set[int]] = [set() for _ in problem.agents]
        for t, (k, _) in plan.items():
            self.owned[int(options.agent[k])].add(t)
        self.loads = np.zeros(len(problem.agents), dtype=np.int64)
        self.cost = self.price.fallback_total.copy()
        self.urgency = self.urgency_left(np.arange(len(problem.tickets)))
        self._set(dict(plan))
        self.priority = np.array([t.priority for t in problem.tickets], dtype=np.int64)
        self.levels = sorted(set(self.priority.tolist()))
        # Per work type, the agents with the skill.
        kinds = sorted({t.work_type for t in problem.tickets})
        self.kind_of = np.array([kinds.index(t.work_type) for t in problem.tickets], dtype=np.int64)
        self.skilled: list[np.ndarray] = []
        for w in kinds:
            skilled = [a for a, agent in enumerate(problem.agents) if w in agent.proficiency]
            self.skilled.append(np.array(skilled, dtype=np.int64))
        # The tickets by what leaving them unassigned costs, most first (ties: in order).
        self.by_cost = np.argsort(-self.price.fallback_total, kind="stable").tolist()

    def urgency_left(self, tickets: np.ndarray) -> np.ndarray:
        fallback = self.price.fallback
        return np.asarray(
            fallback["breaches"][tickets] + fallback["lateness"][tickets] + fallback["unassigned"][tickets]
        )

    def placed(self, entries: dict[int, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Tickets, their costs and urgencies (breach and lateness), and options, of planned entries."""
        price, options = self.price, self.problem.options
        tickets = np.fromiter(entries.keys(), dtype=np.int64, count=len(entries))
        chosen = np.fromiter((k for k, _ in entries.values()), dtype=np.int64, count=len(entries))
        starts = np.fromiter((s for _, s in entries.values()), dtype=np.int64, count=len(entries))
        end = starts + options.duration[chosen]
        late = np.maximum(0, end - price.due[tickets])
        urgency = np.where(late > 0, price.breach[tickets], 0) + price.late_per_s[tickets] * late
        cost = urgency + price.flow_per_s[tickets] * np.maximum(0, end) + price.fixed_total[chosen]
        return tickets, cost, urgency, chosen

    def _set(self, entries: dict[int, tuple[int, int]]) -> None:
        tickets, cost, urgency, chosen = self.placed(entries)
        self.cost[tickets], self.urgency[tickets] = cost, urgency
        np.add.at(self.loads, self.problem.options.agent[chosen], self.problem.options.duration[chosen])

    def total(self) -> int:
        return int(self.cost.sum()) + self.price.balance_per_s * int(self.loads.max(initial=0))

    def floor(self, group: list[int]) -> int:
        """The most work booked on an agent outside the group."""
        loads = self.loads.copy()
        loads[group] = 0
        return int(loads.max(initial=0))

    def key(self, tickets: np.ndarray, cost: np.ndarray, urgency: np.ndarray, most: int) -> tuple[int, ...]:
        """What a sub-plan is judged by: its objective (the tickets' costs and the balance term), after (with
        strict priority) each priority level's breaches, lateness and unassigned tickets, most urgent first."""
        total = int(cost.sum()) + self.price.balance_per_s * most
        if not self.strict:
            return (total,)
        level = self.priority[tickets]
        return (*(int(urgency[level == p].sum()) for p in self.levels), total)

    def unassigned_for(self, group: list[int], count: int) -> list[int]:
        """The `count` most urgent unassigned tickets (by what leaving them costs) one of the group's agents may
        take."""
        options = self.problem.options
        ptr, agent_of = options.ptr, options.agent
        members = set(group)
        out: list[int] = []
        for t in self.by_cost:
            if len(out) == count:
                break
            if t in self.plan:
                continue
            if any(a in members for a in agent_of[ptr[t] : ptr[t + 1]].tolist()):
                out.append(t)
        return out

    def replace(self, tickets: list[int], entries: dict[int, tuple[int, int]]) -> None:
        """Give the group's agents these entries (tickets -> (option, start)) instead of what they held."""
        options = self.problem.options
        for t in tickets:
            if t in self.plan:
                k = self.plan.pop(t)[0]
                a = int(options.agent[k])
                self.owned[a].discard(t)
                self.loads[a] -= int(options.duration[k])
        left = np.array([t for t in tickets if t not in entries], dtype=np.int64)
        self.cost[left] = self.price.fallback_total[left]
        self.urgency[left] = self.urgency_left(left)
        self.plan.update(entries)
        for t, (k, _) in entries.items():
            self.owned[int(options.agent[k])].add(t)
        self._set(entries)


def _groups(state: _State, rng: np.random.Generator, size: int) -> list[list[int]]:
    """One round of groups of `size` agents, with the most to gain (the urgency of the group's tickets: breaches,
    lateness) first. Each agent with late tickets, most urgent first, is grouped with the agents of least urgency
    who have the skill of its most urgent ticket (ties drawn at random); the others at random."""
    problem = state.problem
    count = len(problem.agents)
    urgency = np.zeros(count, dtype=np.int64)
    worst = np.full(count, -1, dtype=np.int64)  # the work type of the agent's most urgent ticket
    for a in range(count):
        owned = list(state.owned[a])
        if owned:
            values = state.urgency[owned]
            urgency[a] = int(values.sum())
            if values.max() > 0:
                worst[a] = state.kind_of[owned[int(values.argmax())]]
    tie = rng.permutation(count)
    order = sorted(range(count), key=lambda a: (-int(urgency[a]), int(tie[a])))
    used = np.zeros(count, dtype=bool)
    groups: list[list[int]] = []
    for a in order:
        if used[a]:
            continue
        group = [a]
        used[a] = True
        if size > 1 and worst[a] >= 0:
            pool = state.skilled[int(worst[a])]
            pool = pool[~used[pool]]
            calm = pool[np.lexsort((tie[pool], urgency[pool]))][: size - 1].tolist()
            group += calm
            used[calm] = True
        groups.append(group)
    # Agents without late tickets, left alone so far: at random, `size` at a time.
    alone = [g[0] for g in groups if len(g) == 1 and worst[g[0]] < 0]
    groups = [g for g in groups if not (len(g) == 1 and worst[g[0]] < 0)]
    alone = rng.permutation(np.array(alone, dtype=np.int64)).tolist()
    groups += [alone[i : i + size] for i in range(0, len(alone), size)]
    groups = [sorted(g) for g in groups]
    gain = [int(urgency[g].sum()) for g in groups]
    ranked = sorted(range(len(groups)), key=lambda i: -gain[i])
    return [groups[i] for i in ranked]


@dataclass
class _Pending:
    """A sub-problem on its way: its agents, tickets (whole-problem indices, sorted) and model."""

    group: list[int]
    tickets: list[int]
    sub: AssignProblem
    built: AssignModel


#: Per group of agents whose sub-problem was proven optimal and left the plan as it was: its tickets and floor.
_Settled = dict[tuple[int, ...], tuple[tuple[int, ...], int]]


def _prepare(state: _State, group: list[int], extra: int, settled: _Settled) -> _Pending | None:
    """The group's sub-problem, hinted with the plan (None: it holds no ticket, or it is settled: the same as
    when it was last proven optimal)."""
    problem = state.problem
    waiting = state.unassigned_for(group, extra)
    tickets = sorted({t for a in group for t in state.owned[a]} | set(waiting))
    if not tickets or settled.get(tuple(group)) == (tuple(tickets), state.floor(group)):
        return None
    sub = assemble(
        problem.at,
        problem.horizon_s,
        [problem.tickets[t] for t in tickets],
        [problem.agents[a] for a in group],
        problem.quality,
    )
    hint: Plan = {}
    for i, t in enumerate(tickets):
        if t in state.plan:
            k, start = state.plan[t]
            local = sub.options.of(i, group.index(int(problem.options.agent[k])))
            assert local is not None, "a ticket of the group's agents has no option in its sub-problem"
            hint[i] = (local, start)
    built = AssignModel(sub, state.weights, balance_floor=state.floor(group))
    built.hint(hint)
    return _Pending(group, tickets, sub, built)


def _finish(state: _State, pending: _Pending, status: cp_model.CpSolverStatus, solver: cp_model.CpSolver) -> bool:
    """Keep the sub-problem's solution if it makes the whole plan better (judged against the plan as it is now:
    other sub-problems may have changed the balance floor meanwhile). True: kept."""
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    problem, sub, built, group, tickets = state.problem, pending.sub, pending.built, pending.group, pending.tickets
    solved: Plan = {}
    for k, x in built.present.items():
        if solver.value(x):
            solved[int(sub.options.ticket[k])] = (k, int(solver.value(built.start[k])))
    entries = {}
    for i, (k, start) in left_shift(sub, solved).items():
        t = tickets[i]
        whole = problem.options.of(t, group[int(sub.options.agent[k])])
        assert whole is not None, "a sub-problem's option is not one of the whole problem's"
        entries[t] = (whole, start)
    index = np.array(tickets, dtype=np.int64)
    floor = state.floor(group)
    before = state.key(index, state.cost[index], state.urgency[index], max(floor, int(state.loads[group].max())))
    placed, cost, urgency, chosen = state.placed(entries)
    new_cost, new_urgency = state.price.fallback_total[index], state.urgency_left(index)
    where = np.searchsorted(index, placed)
    new_cost[where], new_urgency[where] = cost, urgency
    loads = np.zeros(len(problem.agents), dtype=np.int64)
    np.add.at(loads, problem.options.agent[chosen], problem.options.duration[chosen])
    after = state.key(index, new_cost, new_urgency, max(floor, int(loads[group].max())))
    if after < before:
        state.replace(tickets, entries)
        return True
    return False


def decompose(
    problem: AssignProblem,
    plan: Plan,
    weights: AssignWeights,
    run: Run,
    budget: Budget,
    *,
    group_sizes: tuple[int, ...] = (1, 2),
    extra_per_agent: int = 4,
    seed: int = 0,
    strict: bool = False,
) -> tuple[Plan, Decomposition]:
    """Improve `plan` sub-problem by sub-problem within `budget` (see the module's description). A round makes
    groups of `group_sizes[i]` agents, i moving on (cyclically) after a round that improved nothing; a group takes
    up to `extra_per_agent` unassigned tickets per agent. It stops when the time is up, or when a round of each
    size found every group as it was when last proven optimal. Deterministic budgets run one round."""
    given = _State(problem, plan, weights, strict)
    shifted = _State(problem, left_shift(problem, plan), weights, strict)
    state = shifted if shifted.total() <= given.total() else given
    rng = np.random.default_rng(seed)
    deterministic = budget.deadline is None
    clock = budget.clock
    tried = improved = size = idle = 0
    sizes: list[int] = []
    #: Groups whose sub-problem was proven optimal without a change: (tickets, floor) then.
    settled: _Settled = {}
    out_of_time = False
    while not out_of_time:
        sizes.append(max(1, group_sizes[size % len(group_sizes)]))
        groups = _groups(state, rng, sizes[-1])
        gained = improved
        skipped = 0
        for done, group in enumerate(groups):
            if deterministic:
                limit = budget.total_s / len(groups)
            else:
                left = budget.deadline - clock()  # type: ignore[operator]
                if left < budget.least_s:
                    out_of_time = True
                    break
                limit = min(budget.most_s, max(budget.least_s, left / (len(groups) - done)), left)
            began = clock()
            pending = _prepare(state, group, extra_per_agent * len(group), settled)
            if pending is None:
                skipped += 1
                continue
            if not deterministic:
                limit -= clock() - began
                if limit <= 0:
                    continue
            status, solver = run(pending.built, limit)
            kept = _finish(state, pending, status, solver)
            tried += 1
            improved += int(kept)
            if status == cp_model.OPTIMAL and not kept:
                settled[tuple(pending.group)] = (tuple(pending.tickets), state.floor(pending.group))
        if deterministic or not groups:
            break
        if improved == gained:
            size += 1  # nothing gained: larger groups (or smaller again) next
            # Every group settled (or held nothing) in a round of each size: another would repeat one.
            idle = idle + 1 if skipped == len(groups) else 0
            if idle >= len(group_sizes):
                break
        else:
            idle = 0
    return state.plan, Decomposition(tried, improved, tuple(sizes), given.total() / SCALE, state.total() / SCALE)
