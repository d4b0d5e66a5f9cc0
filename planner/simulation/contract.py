"""The contract between the simulation's engine and its routing policies (types only: no behaviour).

What a policy may read of a replication: its `Contacts` (drawn before the run) and, at each re-plan, a `Snapshot`
of the engine's state. What a policy decides: a `Routing` for the day (queues, release times, order of service,
who serves which queue), the agent an arriving contact goes to (`RoutingPolicy.pick`), and for a
`ReplanningPolicy`, at every re-plan, a `Replan`: where each waiting deferred contact is queued from now on. The
engine applies these decisions and enforces the rest (skills, working windows, concurrency); it never asks a
policy what kind it is beyond `isinstance(policy, ReplanningPolicy)`.

Queues: `0 .. work types - 1` are the work types' queues; a policy may add more (e.g. one per agent, numbered
from the number of work types) by listing them in `Routing.agent_queues`. Smaller keys are served first, compared
across all the queues an agent serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from planner.simulation.scenario import Scenario

__all__ = ["Contacts", "Dispatch", "Key", "Replan", "ReplanningPolicy", "Routing", "RoutingPolicy", "Snapshot"]

#: A contact's place in the order of service (smaller first).
Key = tuple[float, ...]


@dataclass(frozen=True)
class Contacts:
    """One replication's contacts, sorted by arrival (seconds): work type index, priority (1 highest), base handle
    time (seconds at proficiency 1), patience (seconds from when it joins the simulation: its arrival, or the
    moment of the scenario's state for a contact waiting then; inf: never abandons), answer/response threshold
    (seconds after arrival), customer tier and ticket id ("" if none). From a state, its waiting contacts come
    first (they arrived before its moment)."""

    arrival: np.ndarray
    work_type: np.ndarray
    priority: np.ndarray
    handle: np.ndarray
    patience: np.ndarray
    threshold: np.ndarray
    tier: tuple[str, ...]
    ticket_id: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.arrival)


@dataclass(frozen=True)
class Snapshot:
    """What a re-planning policy sees at `now`: the waiting deferred contacts, when each agent is expected to be
    free of what it handles (its calls' or chats' expected ends; `now` if free), and the last plan (contact ->
    agent)."""

    now: float
    waiting: list[int]
    busy_until: list[float]
    planned: dict[int, int]


@dataclass
class Routing:
    """One replication's routing: per contact its `queue` (-1: held until a re-plan routes it), `release` time
    (seconds; inf: held) and order `key`; per agent the queues it serves (`agent_queues`); per queue the agents who
    serve it (`queue_agents`, derived from `agent_queues` when not given)."""

    queue: list[int]
    release: list[float]
    key: list[Key]
    agent_queues: list[list[int]]
    queue_agents: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.queue_agents:
            queues = max((q for qs in self.agent_queues for q in qs), default=-1) + 1
            queues = max(queues, max(self.queue, default=-1) + 1)
            self.queue_agents = [[] for _ in range(queues)]
            for agent, qs in enumerate(self.agent_queues):
                for q in qs:
                    self.queue_agents[q].append(agent)


@dataclass(frozen=True)
class Dispatch:
    """Where a re-plan puts one waiting contact: the planned `agent`'s own queue (`queue`), with order `key`,
    released to it at `release` (seconds; now or earlier: at once) and withdrawn (held until the next re-plan) if
    not started by `expiry`."""

    agent: int
    queue: int
    key: Key
    release: float
    expiry: float = float("inf")


@dataclass(frozen=True)
class Replan:
    """A re-plan's decisions for the waiting deferred contacts: `dispatch` for the planned ones; `held` ones wait
    for a later re-plan; every other one goes back to its work type's queue in its day's order."""

    dispatch: dict[int, Dispatch] = field(default_factory=dict)
    held: frozenset[int] = frozenset()


class RoutingPolicy(Protocol):
    """Routes one replication's contacts (see the module's doc)."""

    @property
    def name(self) -> str: ...

    def routing(self, scenario: Scenario, contacts: Contacts) -> Routing: ...

    def pick(
        self, candidates: Sequence[int], idle_since: Sequence[float], active: Sequence[int], needed: Sequence[bool]
    ) -> int:
        """The agent (one of `candidates`, all free to take the contact) an arriving contact goes to. `needed[i]`:
        candidate i has a skill for work of a higher priority than this contact's, or for work of the same or a
        higher priority that fewer agents serve."""
        ...


@runtime_checkable
class ReplanningPolicy(RoutingPolicy, Protocol):
    """A routing policy that also re-plans the waiting deferred work every `replan_every_s` seconds of the
    simulated day (from its start)."""

    @property
    def replan_every_s(self) -> float: ...

    def decide(self, scenario: Scenario, contacts: Contacts, snapshot: Snapshot) -> Replan:
        """Where each waiting deferred contact of `snapshot` is queued from now on."""
        ...
