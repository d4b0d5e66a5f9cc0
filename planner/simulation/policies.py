"""Routing policies: which waiting contact an agent takes next, and which free agent an arriving contact goes to.

A policy turns one replication's contacts into a `Routing`: the queue each contact waits in, when it may be
routed, its place in the order of service (smaller keys first, compared across all the queues an agent serves),
and the queues each agent serves; and it picks among the agents free to take a contact. A re-planning policy also
decides, at each re-plan, where the waiting deferred contacts go (a `Replan`). The engine applies these decisions
and enforces the rest: skills (an agent only serves queues of work types it has the skill for), working windows,
concurrency. The types the two share, and the protocols a policy meets, are in `planner.simulation.contract`.

- `PriorityFirst` (the default): realtime contacts by priority, then longest waiting; deferred work earliest
  due first; an arriving contact goes to a free agent with the skill, preferring one whose skills are not needed
  for higher-priority work, nor for work of the same priority that fewer agents can serve, then the longest
  idle.
- `PlannedAssignment`: follows a planned ticket-to-agent assignment (the `models.ASSIGNMENT` table): a planned
  ticket waits for its agent and is not started before its planned start; everything else is routed as by
  `PriorityFirst`.
- `ReplanningAssignment`: re-plans the waiting deferred work every few minutes (`planner.assign`) and dispatches
  by the plan; with `reserve`, only in agents' time set aside for it away from the realtime peaks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.assign import AssignSettings, AssignWeights, assign
from planner.assign.problem import CAPACITY, AssignAgent, Ticket, assemble
from planner.simulation.blending import CARRY_OVER, Blending, Windows
from planner.simulation.contract import Contacts, Dispatch, Key, Replan, Routing, Snapshot

if TYPE_CHECKING:
    from planner.simulation.scenario import Scenario

__all__ = ["PlannedAssignment", "PriorityFirst", "ReplanningAssignment"]


def _work_type_routing(scenario: Scenario, contacts: Contacts) -> Routing:
    """A queue per work type; realtime by (priority, arrival), deferred by (priority, due); realtime before
    deferred work of the same priority."""
    arrival, work_type, priority = contacts.arrival, contacts.work_type, contacts.priority
    threshold = contacts.threshold
    realtime = np.array([w.realtime for w in scenario.work_types], dtype=bool)[work_type]
    when = np.where(realtime, arrival, arrival + threshold)
    keys: list[Key] = list(
        zip(priority.tolist(), (~realtime).astype(int).tolist(), when.tolist(), range(len(arrival)), strict=True)
    )
    return Routing(
        queue=work_type.tolist(),
        release=arrival.tolist(),
        key=keys,
        agent_queues=[sorted(agent.proficiency) for agent in scenario.agents],
    )


def _aware(stamp: pd.Timestamp, like: pd.Timestamp) -> pd.Timestamp:
    """A naive time is local time in the zone of `like` (the scenario's start)."""
    return stamp.tz_localize(like.tz) if stamp.tzinfo is None else stamp


def _longest_idle(
    candidates: Sequence[int], idle_since: Sequence[float], active: Sequence[int], needed: Sequence[bool]
) -> int:
    """A fully idle agent before a part-busy one (chats); then one not needed for higher-priority work or for
    equally urgent work fewer agents serve (keep the scarce skills free for the work only they can do); then the
    longest idle."""
    best = min(range(len(candidates)), key=lambda i: (active[candidates[i]], needed[i], idle_since[candidates[i]]))
    return candidates[best]


class _LongestIdleAgent:
    """The default choice among free agents (see `_longest_idle`)."""

    def pick(
        self, candidates: Sequence[int], idle_since: Sequence[float], active: Sequence[int], needed: Sequence[bool]
    ) -> int:
        return _longest_idle(candidates, idle_since, active, needed)


@dataclass(frozen=True)
class PriorityFirst(_LongestIdleAgent):
    name: str = "priority"

    def routing(self, scenario: Scenario, contacts: Contacts) -> Routing:
        return _work_type_routing(scenario, contacts)


@dataclass(frozen=True)
class PlannedAssignment(_LongestIdleAgent):
    """`plan`: ticket id -> (agent id, planned start as seconds from the scenario start, or None for "when free")."""

    plan: dict[str, tuple[str, float | None]]
    name: str = "planned"

    @classmethod
    def from_table(cls, assignment: pd.DataFrame, start: pd.Timestamp) -> PlannedAssignment:
        """From a `models.ASSIGNMENT` table; unassigned rows (no agent) are left to the default routing."""
        plan: dict[str, tuple[str, float | None]] = {}
        rows = assignment.dropna(subset=["agent_id"])
        for ticket, agent, planned in zip(rows["ticket_id"], rows["agent_id"], rows["planned_start"], strict=True):
            at = None if pd.isna(planned) else (_aware(pd.Timestamp(planned), start) - start).total_seconds()
            plan[str(ticket)] = (str(agent), at)
        return cls(plan)

    def routing(self, scenario: Scenario, contacts: Contacts) -> Routing:
        base = _work_type_routing(scenario, contacts)
        own_queue = len(scenario.work_types)
        agents = {a.id: i for i, a in enumerate(scenario.agents)}
        for c, ticket in enumerate(contacts.ticket_id):
            planned = self.plan.get(ticket) if ticket else None
            if planned is None or planned[0] not in agents:
                continue
            agent = agents[planned[0]]
            if int(contacts.work_type[c]) not in scenario.agents[agent].proficiency:
                continue  # the plan gives it to an agent without the skill: route it as usual
            base.queue[c] = own_queue + agent
            at = planned[1]
            base.release[c] = base.release[c] if at is None else max(base.release[c], at)
            # The agent's planned tickets come before anything else it serves, in planned order.
            base.key[c] = (0.0, float(base.release[c]), float(c))
        for agent, queues in enumerate(base.agent_queues):
            queues.insert(0, own_queue + agent)
        # Unplanned contacts keep their keys, shifted after the planned ones.
        base.key = [k if k[0] == 0.0 and base.queue[c] >= own_queue else (1.0, *k) for c, k in enumerate(base.key)]
        base.queue_agents = []
        base.__post_init__()
        return base


@dataclass(frozen=True)
class ReplanningAssignment(_LongestIdleAgent):
    """Dispatch deferred work by a ticket-to-agent plan re-solved every `every_s` seconds of the simulated day
    (`planner.assign` with `method`: "optimal" for CP-SAT, or a dispatch rule such as "priority-least-loaded" for
    the same loop with today's rule), over the next `horizon_s`. Between re-plans a planned ticket waits for its
    agent, who takes it (in planned order, among its other work by priority) when free; unplanned and new tickets
    and all realtime contacts are routed as by `PriorityFirst`. The plan sees the agents' remaining windows, when
    each is expected to be free of its current call (its work type's AHT, not the true handle time), the tickets'
    due times and the work types' AHT as their estimated handle times. CP-SAT runs deterministic, on one worker.

    With `reserve` (needs a forecast: the scenario's demand must be drawn from one), agents' time is set aside for
    deferred work where the forecast's realtime work misses them least (`planner.simulation.blending`; the work's
    handle time at the skilled agents' mean proficiency x `margin`; a contact left undone at the horizon's end
    costs its breach weight plus `carry_over`), placed again at every re-plan for the work
    waiting then and the forecast's still to come; the plan books tickets only in that time. Deferred work then
    waits for a plan instead of going to whoever is free: a planned ticket is released to its agent when its
    set-aside window starts, ahead of everything else the agent serves (the agent is off the realtime queues
    there), and withdrawn if not started by the window's end; a ticket no plan takes waits for the next re-plan,
    unless it falls due before the re-plan after next (then any free agent with the skill may take it)."""

    every_s: float = 900.0
    method: str = "optimal"
    horizon_s: float = 4 * 3600.0
    time_limit_s: float = 1.0
    weights: AssignWeights = field(default_factory=AssignWeights)
    reserve: bool = False
    margin: float = 1.0
    carry_over: float = CARRY_OVER
    name: str = "replanning"
    #: With `reserve`: per scenario, its `Blending` and the agents' set-aside windows of the latest re-plan.
    _blending: dict[int, tuple[Blending, list[Windows]]] = field(default_factory=dict, compare=False, repr=False)

    def deferred_windows(self, scenario: Scenario) -> list[Windows]:
        """Per agent, the working time the plan may book deferred work in: all of it, or with `reserve` the time
        set aside at the latest re-plan (`planner.simulation.blending`)."""
        if not self.reserve:
            return [spec.windows for spec in scenario.agents]
        return self._blend(scenario)[1]

    def _blend(self, scenario: Scenario) -> tuple[Blending, list[Windows]]:
        key = id(scenario)
        if key not in self._blending:
            self._blending.clear()  # one scenario at a time: a policy object runs replications one after another
            blending = Blending(scenario, self.carry_over)
            self._blending[key] = (blending, blending.designate(blending.reserved(margin=self.margin)))
        return self._blending[key]

    @property
    def replan_every_s(self) -> float:
        return self.every_s

    def planned_window(self, scenario: Scenario, agent: int, start: float) -> tuple[float, float]:
        """With `reserve`, when a ticket planned for `agent` at `start` is released to it and withdrawn if not
        started: the set-aside window it falls in (the agent works through its planned tickets there without
        idling, and not past its end, when it is back on the realtime queues)."""
        for s, e in self.deferred_windows(scenario)[agent]:
            if s - 1.0 <= start < e:
                return s, e
        return start, start + self.every_s

    def routing(self, scenario: Scenario, contacts: Contacts) -> Routing:
        base = _work_type_routing(scenario, contacts)
        own_queue = len(scenario.work_types)
        if self.reserve:
            self._blend(scenario)  # set time aside for the day (and fail now, not at the first re-plan)
            # Deferred work waits for a plan (or for falling due) instead of going to whoever is free.
            deferred = ~np.array([w.realtime for w in scenario.work_types], dtype=bool)[contacts.work_type]
            base.release = [math.inf if d else r for d, r in zip(deferred.tolist(), base.release, strict=True)]
        for agent, queues in enumerate(base.agent_queues):
            queues.append(own_queue + agent)
        base.queue_agents = []
        base.__post_init__()
        return base

    def decide(self, scenario: Scenario, contacts: Contacts, snapshot: Snapshot) -> Replan:
        """The re-plan's decisions (`contract.Replan`): each planned contact to its agent's own queue, before
        anything else it serves with `reserve` (released at the start of its set-aside window, withdrawn at its end
        if not started: the agent is back on the realtime queues), else before the unplanned deferred work of its
        priority (after realtime work), at once; with `reserve`, an unplanned contact that does not fall due
        before the re-plan after next is held."""
        plan = self.replan(scenario, contacts, snapshot)
        types, now = len(scenario.work_types), snapshot.now
        dispatch: dict[int, Dispatch] = {}
        held: set[int] = set()
        urgent_by = now + 2 * self.every_s
        for c in snapshot.waiting:
            if c in plan:
                a, start = plan[c]
                if self.reserve:
                    release, expiry = self.planned_window(scenario, a, start)
                    dispatch[c] = Dispatch(a, types + a, (0.0, float(start), float(c)), release, expiry)
                else:
                    key = (float(contacts.priority[c]), 0.5, float(start), float(c))
                    dispatch[c] = Dispatch(a, types + a, key, now)
            elif self.reserve and float(contacts.arrival[c] + contacts.threshold[c]) > urgent_by:
                held.add(c)
        return Replan(dispatch, frozenset(held))

    def replan(self, scenario: Scenario, contacts: Contacts, snapshot: Snapshot) -> dict[int, tuple[int, float]]:
        """Contact -> (agent index, planned start in simulation seconds) for the waiting deferred contacts."""
        now = snapshot.now
        end = min(scenario.end_s, now + self.horizon_s)
        horizon = int(end - now)
        if horizon <= 0 or not snapshot.waiting:
            return {}
        if self.reserve:
            # Set time aside again from now on, for the work actually waiting and the forecast's still to come.
            blending, _ = self._blend(scenario)
            backlog = [
                (
                    int(contacts.work_type[c]),
                    float(contacts.arrival[c]),
                    float(contacts.arrival[c] + contacts.threshold[c]),
                )
                for c in snapshot.waiting
            ]
            reserved = blending.reserved(start_s=now, backlog=backlog, margin=self.margin)
            self._blending[id(scenario)] = (blending, blending.designate(reserved))
        agents, index = [], []
        allowed = self.deferred_windows(scenario)
        for a, spec in enumerate(scenario.agents):
            free = snapshot.busy_until[a]
            ahead = [(max(s, free) - now, min(e, end) - now) for s, e in allowed[a] if e > free and s < end]
            windows = [(math.ceil(s), math.floor(e)) for s, e in ahead if e - s >= 1]
            if not windows:
                continue
            proficiency = {scenario.work_types[w].id: p for w, p in spec.proficiency.items()}
            agents.append(AssignAgent(spec.id, tuple(windows), proficiency, "", spec.max_contacts))
            index.append(a)
        agent_ids = {a: scenario.agents[a].id for a in index}
        tickets = []
        for c in snapshot.waiting:
            kind = scenario.work_types[int(contacts.work_type[c])]
            planned = snapshot.planned.get(c)
            tickets.append(
                Ticket(
                    id=str(c),
                    work_type=kind.id,
                    priority=int(contacts.priority[c]),
                    created_s=int(contacts.arrival[c] - now),
                    due_s=int(contacts.arrival[c] + contacts.threshold[c] - now),
                    handle_s=max(1, int(math.ceil(kind.aht_s))),
                    tier="",
                    tier_weight=1.0,
                    region="",
                    assigned=agent_ids.get(planned, "") if planned is not None else "",
                    share=-(-CAPACITY // max(1, round(1 / kind.unit))),
                )
            )
        moment = scenario.start + pd.Timedelta(seconds=now)
        problem = assemble(moment, horizon, tickets, agents)
        settings = AssignSettings(time_limit_s=self.time_limit_s, workers=1, deterministic=True, weights=self.weights)
        result = assign(problem, self.method, settings)
        return {
            snapshot.waiting[t]: (index[problem.options[k].agent], now + start) for t, (k, start) in result.plan.items()
        }
