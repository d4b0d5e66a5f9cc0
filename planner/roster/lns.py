"""The roster's large-neighbourhood search (`planner/lns.py`): its groups are an agent's day (the agent's shift
choices that day), and its neighbourhoods free agent-days where the incumbent's objective says the cost is.

Neighbourhoods, each about `size` agent-days:
- `agents`: a few agents, chosen at random, for the whole horizon (moves shifts between an agent's days, trades
  weekends, evens out hours against the weekly rules);
- `days`: every agent on one or two consecutive days, the days chosen by what their shortfall and surplus cost
  (re-cuts a day's shifts; a sample of the agents where all of them would be too many);
- `shortfall`: around one costly short interval, the agents with its skill who could be on duty then, on its
  day and the days either side (brings someone in, moving their days or hours around it);
- `pool`: the agents of one skill set, chosen by the shortfall cost of the work its skills cover, on a window of
  days (trades cover between work types of the pool);
- `surplus`: the agents on duty in intervals staffed beyond the requirement, on those days, with a few others of
  the same skills (takes paid hours out where they buy nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from planner.lns import Incumbent, Neighbourhood
from planner.roster.model import RosterModel

__all__ = ["RosterNeighbourhoods", "roster_groups"]

AgentDay = tuple[str, int]
Choose = Callable[[Incumbent, int, np.random.Generator], Sequence[Hashable]]
#: The first part of an interval group's key.
INTERVAL = "interval"


def roster_groups(built: RosterModel) -> dict[Hashable, list[int]]:
    """(agent, day) -> the indices of the agent's shift booleans on that day and of their worked-day boolean;
    ("interval", t) -> the variables of interval t alone (on duty, allocation, shortfall, surplus, backlog), fixed
    with the agent-days wherever no freed shift can reach the interval."""
    shapes = built.problem.shapes
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for agent_id, shifts in built.shift.items():
        for k, var in shifts.items():
            groups[agent_id, int(shapes.day[k])].append(var.index)
        for d, work in enumerate(built.works[agent_id]):
            if not isinstance(work, int):
                groups[agent_id, d].append(work.index)
    for t, variables in built.interval_vars.items():
        groups[INTERVAL, t] = list(variables)
    return dict(groups)


class RosterNeighbourhoods:
    """The roster's neighbourhoods over one built model, reading the incumbent's shortfall and surplus from its
    allocation and on-duty variables."""

    def __init__(self, built: RosterModel) -> None:
        p = built.problem
        self.problem, self.weights = p, built.weights
        self.days = p.horizon.days
        self.interval_day = np.asarray(p.horizon.interval_day, dtype=np.int64)
        self.agents = [a for a, shifts in built.shift.items() if shifts]
        self.agent_days = {a: sorted({int(p.shapes.day[k]) for k in built.shift[a]}) for a in self.agents}
        # Allocation variables, to read the incumbent's cover per (interval, work type).
        cells = [(var.index, t, w) for (_, t, w), var in built.assign.items()]
        self.assign_index = np.array([c[0] for c in cells], dtype=np.int64)
        self.assign_t = np.array([c[1] for c in cells], dtype=np.int64)
        self.assign_w = np.array([c[2] for c in cells], dtype=np.int64)
        on = list(built.on_duty.items())
        self.on_index = np.array([var.index for _, var in on], dtype=np.int64)
        self.on_t = np.array([t for (_, t), _ in on], dtype=np.int64)
        self.on_pool = np.array([pool for (pool, _), _ in on], dtype=np.int64)
        priority = np.array([built.weights.priority(p.center.work_type(w).priority) for w in p.work_types])
        self.cost = built.weights.understaffing_tiers[0] * priority  # per missing agent-interval, by work type
        self.need_total = p.smoothed.sum(axis=1)
        # Agents by pool, and which work types each pool's skills serve.
        self.pool_agents = [list(pool.agents) for pool in p.pools]
        self.pool_of = {a: i for i, pool in enumerate(p.pools) for a in pool.agents}
        skill_of = [p.center.work_type(w).skill for w in p.work_types]
        self.pool_serves = np.array(
            [[skill_of[w] in pool.skills for w in range(len(p.work_types))] for pool in p.pools], dtype=bool
        ).reshape(len(p.pools), len(p.work_types))
        self.interval_keys = set(built.interval_vars)
        self.cells = sum(len(days) for days in self.agent_days.values())
        # Per day: the intervals its shapes can reach (a freed agent-day frees them).
        self.day_span = []
        for d in range(self.days):
            on_day = p.shapes.day == d
            first = int(np.flatnonzero(self.interval_day == d)[0]) if (self.interval_day == d).any() else 0
            last = int((p.shapes.first[on_day] + p.shapes.count[on_day]).max()) if on_day.any() else first
            self.day_span.append((first, max(first, last)))
        self.day_agents_by_pool: dict[tuple[int, int], list[str]] = defaultdict(list)
        for a in self.agents:
            for d in self.agent_days[a]:
                self.day_agents_by_pool[self.pool_of[a], d].append(a)

    def all(self) -> list[Neighbourhood]:
        choices = {
            "agents": self.agents_whole_horizon,
            "days": self.whole_days,
            "shortfall": self.around_shortfall,
            "pool": self.one_pool,
            "surplus": self.surplus,
        }
        return [Neighbourhood(name, self._with_intervals(choose)) for name, choose in choices.items()]

    def _with_intervals(self, choose: Choose) -> Choose:
        """`choose`, plus the intervals that the freed agent-days' shifts can reach."""

        def freed(incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[Hashable]:
            cells: list[Hashable] = list(choose(incumbent, size, rng))
            if len(set(cells)) >= self.cells:  # every agent-day: every interval too (the whole model)
                return cells + [(INTERVAL, t) for t in sorted(self.interval_keys)]
            days = {int(cell[1]) for cell in cells if isinstance(cell, tuple)}
            intervals = {t for d in days for t in range(*self.day_span[d]) if t in self.interval_keys}
            return cells + [(INTERVAL, t) for t in sorted(intervals)]

        return freed

    # -- what the incumbent costs where ---------------------------------------------------------------------

    def shortfall(self, incumbent: Incumbent) -> np.ndarray:
        """Missing agents per (interval, realtime work type) in the incumbent."""
        covered = np.zeros(self.problem.required.shape, dtype=np.int64)
        np.add.at(covered, (self.assign_t, self.assign_w), incumbent.values[self.assign_index])
        return np.asarray(np.maximum(0, self.problem.required - covered), dtype=np.int64)

    def surplus_by_interval(self, incumbent: Incumbent) -> np.ndarray:
        on_total = np.zeros(len(self.need_total), dtype=np.int64)
        np.add.at(on_total, self.on_t, incumbent.values[self.on_index])
        return np.asarray(np.maximum(0, on_total - self.need_total), dtype=np.int64)

    def day_cost(self, incumbent: Incumbent) -> np.ndarray:
        short = (self.shortfall(incumbent) * self.cost[None, :]).sum(axis=1)
        over = self.surplus_by_interval(incumbent) * self.weights.overstaffing
        cost = np.zeros(self.days)
        np.add.at(cost, self.interval_day, short + over)
        return cost

    # -- neighbourhoods --------------------------------------------------------------------------------------

    def _whole(self, agents: Sequence[str], days: Sequence[int] | None = None) -> list[AgentDay]:
        out = []
        for a in agents:
            for d in self.agent_days[a] if days is None else days:
                out.append((a, d))
        return out

    def agents_whole_horizon(self, incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[AgentDay]:
        count = max(1, min(len(self.agents), round(size / max(1, self.days))))
        chosen = rng.choice(len(self.agents), size=count, replace=False)
        return self._whole([self.agents[i] for i in chosen])

    def whole_days(self, incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[AgentDay]:
        cost = self.day_cost(incumbent)
        first = int(rng.choice(self.days, p=_chances(cost)))
        span = [first] if self.days == 1 or rng.random() < 0.5 else [first, min(self.days - 1, first + 1)]
        cells = [(a, d) for d in sorted(set(span)) for a in self.agents if d in self.agent_days[a]]
        return _sample(cells, size, rng)

    def around_shortfall(self, incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[AgentDay]:
        short = self.shortfall(incumbent) * self.cost[None, :]
        flat = short.ravel()
        if flat.sum() <= 0:
            return self.whole_days(incumbent, size, rng)
        cell = int(rng.choice(flat.size, p=flat / flat.sum()))
        t, w = divmod(cell, short.shape[1])
        day = int(self.interval_day[t])
        days = [d for d in (day - 1, day, day + 1) if 0 <= d < self.days]
        candidates = sorted(
            {
                a
                for pool, serves in enumerate(self.pool_serves[:, w])
                if serves
                for d in days
                for a in self.day_agents_by_pool.get((pool, d), [])
            }
        )
        if not candidates:  # nobody could be on duty then: re-cut the costliest days instead
            return self.whole_days(incumbent, size, rng)
        count = max(1, min(len(candidates), round(size / len(days))))
        chosen = [candidates[i] for i in rng.choice(len(candidates), size=count, replace=False)]
        return [(a, d) for a in chosen for d in days if d in self.agent_days[a]]

    def one_pool(self, incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[AgentDay]:
        short = (self.shortfall(incumbent) * self.cost[None, :]).sum(axis=0)
        weight = np.array([short[serves].sum() + 1.0 for serves in self.pool_serves])
        pool = int(rng.choice(len(weight), p=weight / weight.sum()))
        agents = [a for a in self.pool_agents[pool] if self.agent_days.get(a)]
        if not agents:
            return self.agents_whole_horizon(incumbent, size, rng)
        width = int(np.clip(size // max(1, len(agents)), 1, self.days))
        first = int(rng.integers(0, self.days - width + 1))
        cells = self._whole(agents, range(first, first + width))
        return _sample([(a, d) for a, d in cells if d in self.agent_days[a]], size, rng)

    def surplus(self, incumbent: Incumbent, size: int, rng: np.random.Generator) -> list[AgentDay]:
        over = self.surplus_by_interval(incumbent)
        if over.sum() <= 0:
            return self.agents_whole_horizon(incumbent, size, rng)
        t = int(rng.choice(len(over), p=over / over.sum()))
        day = int(self.interval_day[t])
        at = self.on_t == t
        working = self.on_pool[at][incumbent.values[self.on_index[at]] > 0].tolist()
        cells = {(a, day) for pool in working for a in self.day_agents_by_pool.get((pool, day), [])}
        return _sample(sorted(cells), size, rng)


def _chances(cost: np.ndarray) -> np.ndarray:
    """Choice weights: mostly by cost, a fifth evenly, so that every day can be chosen."""
    cost = np.maximum(cost, 0.0)
    even = np.full(len(cost), 1.0 / len(cost))
    if cost.sum() <= 0:
        return even
    mixed = 0.8 * cost / cost.sum() + 0.2 * even
    return np.asarray(mixed / mixed.sum(), dtype=float)


def _sample(cells: list[AgentDay], size: int, rng: np.random.Generator) -> list[AgentDay]:
    if len(cells) <= size:
        return cells
    chosen = rng.choice(len(cells), size=size, replace=False)
    return [cells[i] for i in sorted(chosen)]
