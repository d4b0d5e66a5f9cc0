"""One replication: draw the contacts, then run the centre in SimPy and record what happened to each contact.

Events (SimPy timeouts with one callback each): a contact arrives (it waits in its queue unless a free agent with
the skill takes it at once) or is released to its queue (a planned start); a waiting realtime contact's patience
runs out (it abandons); a contact's handling ends (the agent takes the next contact its queues offer); an
agent's working window starts (it takes work) or ends (it finishes what it has and takes nothing new: a break or
the end of the shift); an interval ends (the backlog per work type is counted).

An agent takes contacts while the shares they use add up to at most 1 (a call uses all of it, a chat of a 3-chat
work type a third) and their number stays within the agent's `max_contacts`. Handle time is the drawn time divided
by the agent's proficiency in the work type. Busy time is time with at least one contact.

The engine knows a routing policy only through `planner.simulation.contract`: it asks for the day's `Routing` and
for a pick among free agents, and, for a `ReplanningPolicy`, for a `Replan` every `replan_every_s` seconds, which
it applies as it is.

From a state (`Scenario.state`): the run starts at the state's moment `at`. Arrivals are drawn (or replayed) from
`at` on only; the state's waiting contacts are the replication's first contacts, with their own arrivals, and are
all in their queues at `at` (routed in their order of service, so a free agent takes the most urgent first);
agents handling contacts then hold them (their shares of the agent) until they end; working windows count from
`at`; a re-planning policy re-plans at `at` and then on its usual grid.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import numpy as np
import simpy

from planner.simulation.contract import Contacts, Key, ReplanningPolicy, Routing, RoutingPolicy, Snapshot
from planner.simulation.scenario import Scenario, WorkTypeSpec

__all__ = ["Outcome", "draw_contacts", "run_replication"]

#: Contact states.
_PENDING, _WAITING, _SERVED, _ABANDONED = 0, 1, 2, 3
_EPS = 1e-9


def _handle_times(mean: np.ndarray, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    draws = scenario.draws
    if draws.handle == "exponential":
        return np.asarray(rng.exponential(mean), dtype=np.float64)
    sigma2 = math.log1p(draws.handle_cv**2)
    return np.asarray(rng.lognormal(np.log(mean) - sigma2 / 2, math.sqrt(sigma2)), dtype=np.float64)


def draw_contacts(scenario: Scenario, rng: np.random.Generator) -> Contacts:
    """The contacts of one replication: Poisson arrivals from the forecast (uniform within each interval: a
    non-homogeneous Poisson process with the interval's rate; with `rate_cv`, each work type's rate of each day
    multiplied by a gamma draw) or the replayed ones; handle times and patience drawn. From a state, the state's
    waiting contacts come first (`_waiting_contacts`), then the arrivals from its moment on (a forecast's interval
    under way at the moment contributes the share of its volume still to come)."""
    demand, work_types = scenario.demand, scenario.work_types
    start = scenario.start_s
    wt_aht = np.array([w.aht_s for w in work_types])
    if demand.kind == "forecast":
        assert demand.volume is not None and demand.aht_s is not None
        rate = demand.volume.copy()
        cv = scenario.draws.rate_cv
        if cv > 0:
            day = scenario.interval_day()
            factor = rng.gamma(1 / cv**2, cv**2, size=(int(day.max()) + 1, len(work_types)))
            rate = rate * factor[day]
        if start > 0:
            edges = np.arange(scenario.intervals + 1) * float(scenario.interval_s)
            to_come = np.clip(edges[1:] - np.maximum(edges[:-1], start), 0.0, None) / scenario.interval_s
            rate = rate * to_come[:, None]
        counts = rng.poisson(rate)
        cell_interval, cell_type = np.nonzero(counts)
        repeats = counts[cell_interval, cell_type]
        interval = np.repeat(cell_interval, repeats)
        work_type = np.repeat(cell_type, repeats)
        if start > 0:
            low = np.maximum(interval * float(scenario.interval_s), start)
            arrival = low + rng.random(len(interval)) * ((interval + 1) * float(scenario.interval_s) - low)
        else:
            arrival = (interval + rng.random(len(interval))) * scenario.interval_s
        mean = demand.aht_s[interval, work_type]
        mean = np.where(np.isnan(mean), wt_aht[work_type], mean)
        handle = _handle_times(mean, scenario, rng)
        priority = np.zeros(len(arrival), dtype=np.int64)
        tier: tuple[str, ...] = ("",) * len(arrival)
        ticket: tuple[str, ...] = ("",) * len(arrival)
        order = np.argsort(arrival, kind="stable")
        arrival, work_type, handle = arrival[order], work_type[order], handle[order]
    else:
        assert demand.arrival_s is not None and demand.work_type is not None and demand.handle_s is not None
        assert demand.priority is not None
        arrival, work_type = demand.arrival_s, demand.work_type
        given = demand.handle_s
        priority, tier, ticket = demand.priority, demand.tier, demand.ticket_id
        if start > 0:  # what arrived before the state's moment is history (its waiting contacts are the state's)
            kept = arrival >= start
            arrival, work_type, given, priority = arrival[kept], work_type[kept], given[kept], priority[kept]
            rows = np.flatnonzero(kept).tolist()
            tier, ticket = tuple(tier[r] for r in rows), tuple(ticket[r] for r in rows)
        drawn = _handle_times(wt_aht[work_type], scenario, rng)
        handle = np.where(np.isnan(given) | (given <= 0), drawn, given)
    priority, patience = _priorities_and_patience(work_types, work_type, priority, rng)
    threshold = _thresholds(scenario, work_type, tier)
    drawn_contacts = Contacts(arrival, work_type, priority, handle, patience, threshold, tier, ticket)
    if scenario.state is None:
        return drawn_contacts
    return _joined(_waiting_contacts(scenario, rng), drawn_contacts)


def _thresholds(scenario: Scenario, work_type: np.ndarray, tier: tuple[str, ...]) -> np.ndarray:
    """Each contact's answer/response threshold: its work type's `within_s`, or its customer tier's."""
    work_types = scenario.work_types
    threshold = np.array([w.within_s for w in work_types], dtype=np.float64)[work_type]
    if any(w.tier_within_s for w in work_types) and any(tier):
        threshold = np.array(
            [
                work_types[w].tier_within_s.get(t, th)
                for w, t, th in zip(work_type.tolist(), tier, threshold.tolist(), strict=True)
            ],
            dtype=np.float64,
        )
    return np.asarray(threshold, dtype=np.float64)


def _waiting_contacts(scenario: Scenario, rng: np.random.Generator) -> Contacts:
    """The state's waiting contacts, sorted by arrival: handle times drawn where not given (mean: the forecast's
    AHT in the interval of the state's moment where given, else the work type's); a realtime contact's patience
    drawn afresh from the moment: patience is exponential, so what is left of it after any wait has the same law
    (it is memoryless); thresholds from the due time where given, else the work type's (or customer tier's)."""
    assert scenario.state is not None
    waiting = sorted(scenario.state.waiting, key=lambda w: w.arrival_s)
    work_types = scenario.work_types
    arrival = np.array([w.arrival_s for w in waiting], dtype=np.float64)
    work_type = np.array([w.work_type for w in waiting], dtype=np.int64)
    mean = np.array([work_types[w].aht_s for w in work_type.tolist()], dtype=np.float64)
    demand = scenario.demand
    if demand.kind == "forecast" and demand.aht_s is not None:
        forecast = demand.aht_s[scenario.first_interval, work_type]
        mean = np.where(np.isnan(forecast), mean, forecast)
    given = np.array([w.handle_s for w in waiting], dtype=np.float64)
    handle = np.where(np.isnan(given), _handle_times(mean, scenario, rng), given)
    given_priority = np.array([w.priority for w in waiting], dtype=np.int64)
    priority, patience = _priorities_and_patience(work_types, work_type, given_priority, rng)
    tier = tuple(w.tier for w in waiting)
    due = np.array([w.due_s for w in waiting], dtype=np.float64)
    threshold = np.where(np.isnan(due), _thresholds(scenario, work_type, tier), due - arrival)
    ticket = tuple(w.ticket_id for w in waiting)
    return Contacts(arrival, work_type, priority, handle, patience, threshold, tier, ticket)


def _priorities_and_patience(
    work_types: Sequence[WorkTypeSpec], work_type: np.ndarray, priority: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each contact's priority (its own, or its work type's where 0) and its patience, drawn exponential with the
    work type's mean (inf where the work type has none)."""
    wt_priority = np.array([w.priority for w in work_types], dtype=np.int64)
    patience_mean = np.array([w.patience_s for w in work_types])[work_type]
    finite = np.isfinite(patience_mean)
    patience = np.full(len(work_type), np.inf)
    patience[finite] = rng.exponential(patience_mean[finite])
    return np.where(priority > 0, priority, wt_priority[work_type]), patience


def _joined(first: Contacts, then: Contacts) -> Contacts:
    """`first`'s contacts, then `then`'s."""

    def both(name: str) -> np.ndarray:
        return np.asarray(np.concatenate([getattr(first, name), getattr(then, name)]))

    return Contacts(
        both("arrival"),
        both("work_type"),
        both("priority"),
        both("handle"),
        both("patience"),
        both("threshold"),
        first.tier + then.tier,
        first.ticket_id + then.ticket_id,
    )


@dataclass(frozen=True)
class Outcome:
    """What happened in one replication. Per contact: `answered` (when handling started; NaN if never),
    `abandoned` (when it hung up; NaN if not), `agent` (index; -1 if none). `backlog`: contacts waiting at the end
    of each interval, per work type (intervals x work types). Per agent: `busy_s` (time with at least one contact,
    inside its windows), `overrun_s` (handling past the end of a window), `handled` (contacts finished, those in
    progress at a state's moment included)."""

    contacts: Contacts
    answered: np.ndarray
    abandoned: np.ndarray
    agent: np.ndarray
    backlog: np.ndarray
    busy_s: np.ndarray
    overrun_s: np.ndarray
    handled: np.ndarray
    events: int


def run_replication(scenario: Scenario, policy: RoutingPolicy, seed: Any) -> Outcome:
    """Simulate the scenario once with `seed` (anything `numpy.random.default_rng` takes)."""
    rng = np.random.default_rng(seed)
    contacts = draw_contacts(scenario, rng)
    routing = policy.routing(scenario, contacts)
    return _Run(scenario, policy, contacts, routing).run()


class _Run:
    """The state of one replication (plain lists: this loop is the simulation's hot path)."""

    def __init__(self, scenario: Scenario, policy: RoutingPolicy, contacts: Contacts, routing: Routing) -> None:
        self.scenario, self.policy, self.contacts, self.routing = scenario, policy, contacts, routing
        self.replanner = policy if isinstance(policy, ReplanningPolicy) else None
        n, agents = len(contacts), scenario.agents
        start = scenario.start_s
        self.env = simpy.Environment(initial_time=start)
        self.state = [_PENDING] * n
        self.answered = [math.nan] * n
        self.abandoned = [math.nan] * n
        self.agent_of = [-1] * n
        self.work_type = contacts.work_type.tolist()
        units = [w.unit for w in scenario.work_types]
        self.unit = [units[w] for w in self.work_type]
        self.handle = contacts.handle.tolist()
        self.queues: list[list[tuple[Key, int]]] = [[] for _ in routing.queue_agents]
        self.waiting = [0] * len(scenario.work_types)
        self.backlog = np.zeros((scenario.intervals, len(scenario.work_types)), dtype=np.int64)
        count = len(agents)
        self.on = [False] * count
        self.load = [0.0] * count
        self.active = [0] * count
        self.max_contacts = [a.max_contacts for a in agents]
        self.proficiency = [a.proficiency for a in agents]
        self.priority = contacts.priority.tolist()
        # The most urgent priority each agent's skills serve (9 + 1 for an agent with none).
        urgent = [w.priority for w in scenario.work_types]
        self.top_priority = [min((urgent[w] for w in a.proficiency), default=10) for a in agents]
        # Per agent and queue: the most urgent priority among the agent's other queues that fewer agents serve
        # (10 if none): an agent is "needed" elsewhere for a contact of that priority or a less urgent one.
        servers = [len(agents_of) for agents_of in routing.queue_agents]
        queue_priority = [urgent[q] if q < len(urgent) else 10 for q in range(len(servers))]  # agents' own: 10
        self.scarcer = [
            {q: min((queue_priority[r] for r in queues if servers[r] < servers[q]), default=10) for q in queues}
            for queues in routing.agent_queues
        ]
        self.idle_since = [start] * count
        self.mark = [start] * count
        self.busy = [0.0] * count
        self.overrun = [0.0] * count
        self.handled = [0] * count
        self.events = 0
        self.in_service: set[int] = set()
        self.planned: dict[int, int] = {}  # contact -> agent, from the last re-plan
        self.base_key = list(routing.key)
        # The state's contacts in progress at its moment: (agent, end, share of the agent), and those not ended.
        self.in_progress: list[tuple[int, float, float]] = []
        self.in_progress_open: set[int] = set()
        if scenario.state is not None:
            index = {a.id: i for i, a in enumerate(agents)}
            for busy in scenario.state.busy:
                a = index[busy.agent]
                share = 1.0 if busy.work_type is None else units[busy.work_type]
                self.in_progress_open.add(len(self.in_progress))
                self.in_progress.append((a, start + busy.remaining_s, share))
                self.load[a] += share
                self.active[a] += 1

    # -- scheduling ---------------------------------------------------------------------------------------------

    def at(self, time: float, action: Callable[[int], None], subject: int) -> None:
        event = self.env.timeout(max(0.0, time - self.env.now), (action, subject))
        event.callbacks.append(self.fire)

    def fire(self, event: simpy.Event) -> None:
        action, subject = cast(tuple[Callable[[int], None], int], event.value)
        self.events += 1
        action(subject)

    def run(self) -> Outcome:
        scenario, contacts, routing = self.scenario, self.contacts, self.routing
        # Windows first: events at the same instant fire in the order they were scheduled, so a contact that
        # arrives as a window ends finds the agent gone, and one that arrives as a window starts finds it there.
        first = scenario.start_s
        for a, agent in enumerate(scenario.agents):
            for start, end in agent.windows_from(first):
                self.at(start, self.window_starts, a)
                self.at(end, self.window_ends, a)
        held = 0
        if scenario.state is not None:
            held = len(scenario.state.waiting)  # the first contacts (see `draw_contacts`)
            self.at(first, self.resume, held)
            for k, (_, end, _) in enumerate(self.in_progress):
                self.at(end, self.end_in_progress, k)
        for c, t in enumerate(contacts.arrival.tolist()[held:], start=held):
            self.at(t, self.arrive, c)
        for i in range(scenario.first_interval, scenario.intervals):
            self.at((i + 1) * scenario.interval_s - _EPS, self.count_backlog, i)
        every = self.replanner.replan_every_s if self.replanner is not None else 0.0
        if every:
            times = [i * every for i in range(int(scenario.end_s // every) + 1) if first <= i * every < scenario.end_s]
            if not times or times[0] > first:
                times.insert(0, first)  # from a state: a re-plan at its moment
            for i, time in enumerate(times):
                self.at(time, self.replan, i)
        self.env.run(until=scenario.end_s)
        now = self.env.now
        for a in range(len(scenario.agents)):
            self.tick(a, now)
        del routing
        return Outcome(
            contacts=contacts,
            answered=np.array(self.answered),
            abandoned=np.array(self.abandoned),
            agent=np.array(self.agent_of, dtype=np.int64),
            backlog=self.backlog,
            busy_s=np.array(self.busy),
            overrun_s=np.array(self.overrun),
            handled=np.array(self.handled, dtype=np.int64),
            events=self.events,
        )

    # -- events ---------------------------------------------------------------------------------------------

    def resume(self, held: int) -> None:
        """The state's moment: its waiting contacts (the first `held`) join their queues, routed in their order of
        service, so that the free agents take the most urgent first."""
        key = self.routing.key
        for c in sorted(range(held), key=lambda c: key[c]):
            self.arrive(c)

    def end_in_progress(self, k: int) -> None:
        """A contact the state's agent was handling at its moment ends."""
        a, _, share = self.in_progress[k]
        now = self.env.now
        self.in_progress_open.discard(k)
        self.tick(a, now)
        self.load[a] -= share
        self.active[a] -= 1
        self.handled[a] += 1
        if self.active[a] == 0:
            self.load[a] = 0.0
            self.idle_since[a] = now
        if self.on[a]:
            self.pull(a)

    def arrive(self, c: int) -> None:
        self.state[c] = _WAITING
        self.waiting[self.work_type[c]] += 1
        patience = self.contacts.patience[c]
        if patience < math.inf:
            self.at(self.env.now + patience, self.give_up, c)
        release = self.routing.release[c]
        if release == math.inf:  # held until a re-plan routes it
            self.routing.queue[c] = -1
        elif release > self.env.now:
            self.at(release, self.route, c)
        else:
            self.route(c)

    def route(self, c: int) -> None:
        if self.state[c] != _WAITING:
            return
        q = self.routing.queue[c]
        unit = self.unit[c]
        on, load, active, most = self.on, self.load, self.active, self.max_contacts
        free = [a for a in self.routing.queue_agents[q] if on[a] and active[a] < most[a] and load[a] + unit <= 1 + _EPS]
        if free and any(active[a] for a in free):
            # An agent part-busy (chats) that owes a better contact waiting elsewhere takes nothing new.
            key = self.routing.key[c]
            free = [a for a in free if not active[a] or not self.owes_better(a, key)]
        if free:
            if len(free) == 1:
                self.start(c, free[0])
            else:
                top, scarcer, priority = self.top_priority, self.scarcer, self.priority[c]
                needed = [top[a] < priority or scarcer[a][q] <= priority for a in free]
                self.start(c, self.policy.pick(free, self.idle_since, active, needed))
        else:
            heapq.heappush(self.queues[q], (self.routing.key[c], c))

    def give_up(self, c: int) -> None:
        if self.state[c] == _WAITING:
            self.state[c] = _ABANDONED
            self.abandoned[c] = self.env.now
            self.waiting[self.work_type[c]] -= 1

    def start(self, c: int, a: int) -> None:
        now = self.env.now
        self.state[c] = _SERVED
        self.answered[c] = now
        self.agent_of[c] = a
        self.in_service.add(c)
        self.waiting[self.work_type[c]] -= 1
        self.tick(a, now)
        self.load[a] += self.unit[c]
        self.active[a] += 1
        self.at(now + self.handle[c] / self.proficiency[a][self.work_type[c]], self.finish, c)

    def finish(self, c: int) -> None:
        a, now = self.agent_of[c], self.env.now
        self.in_service.discard(c)
        self.tick(a, now)
        self.load[a] -= self.unit[c]
        self.active[a] -= 1
        self.handled[a] += 1
        if self.active[a] == 0:
            self.load[a] = 0.0  # no drift from adding and removing thirds
            self.idle_since[a] = now
        if self.on[a]:
            self.pull(a)

    def window_starts(self, a: int) -> None:
        self.tick(a, self.env.now)
        self.on[a] = True
        if self.active[a] == 0:
            self.idle_since[a] = self.env.now
        self.pull(a)

    def window_ends(self, a: int) -> None:
        self.tick(a, self.env.now)
        self.on[a] = False

    def count_backlog(self, i: int) -> None:
        self.backlog[i] = self.waiting

    def replan(self, _: int) -> None:
        """Ask the re-planning policy for its decisions on the waiting deferred work (a `contract.Replan`) and queue
        each contact as they say: a planned one in its agent's queue from its release (withdrawn at its expiry), a
        held one nowhere, the rest in their work type's queue in the day's order."""
        now, scenario, routing = self.env.now, self.scenario, self.routing
        realtime = [w.realtime for w in scenario.work_types]
        waiting = [c for c, st in enumerate(self.state) if st == _WAITING and not realtime[self.work_type[c]]]
        busy_until = [now] * len(scenario.agents)
        aht = [w.aht_s for w in scenario.work_types]
        for c in self.in_service:
            a, w = self.agent_of[c], self.work_type[c]
            if self.load[a] > 0.5:  # a call or a full set of chats: the agent is free when they are expected to end
                expected = self.answered[c] + aht[w] / self.proficiency[a][w]
                busy_until[a] = max(busy_until[a], expected)
        for k in self.in_progress_open:
            holder, end, _share = self.in_progress[k]
            if self.load[holder] > 0.5:  # a contact of the state's, in progress since before its moment: its end
                busy_until[holder] = max(busy_until[holder], end)
        snapshot = Snapshot(now=now, waiting=waiting, busy_until=busy_until, planned=self.planned)
        assert self.replanner is not None
        decided = self.replanner.decide(scenario, self.contacts, snapshot)
        dispatch, held = decided.dispatch, decided.held
        self.planned = {}
        for c in waiting:
            release, expiry = now, math.inf
            queue: int
            key: Key
            if c in dispatch:
                planned = dispatch[c]
                self.planned[c] = planned.agent
                queue, key, release, expiry = planned.queue, planned.key, planned.release, planned.expiry
            elif c in held:
                queue, key = -1, self.base_key[c]
            else:
                queue, key = self.work_type[c], self.base_key[c]
            if queue == routing.queue[c] and key == routing.key[c]:
                continue  # neither moved nor re-ordered by the new plan
            routing.queue[c], routing.key[c] = queue, key
            if queue < 0:
                continue
            if release > now + _EPS:
                self.at(release, partial(self.release_to, queue=queue, key=key), c)
            else:
                heapq.heappush(self.queues[queue], (key, c))
            if expiry < math.inf:
                self.at(expiry, partial(self.withdraw, queue=queue, key=key), c)
        for a in range(len(scenario.agents)):
            if self.on[a]:
                self.pull(a)

    def release_to(self, c: int, queue: int, key: Key) -> None:
        """A planned contact's planned start: queue it, unless a later re-plan moved it or it is gone."""
        if self.state[c] != _WAITING or self.routing.queue[c] != queue or self.routing.key[c] != key:
            return
        heapq.heappush(self.queues[queue], (key, c))
        for a in self.routing.queue_agents[queue]:
            if self.on[a]:
                self.pull(a)

    def withdraw(self, c: int, queue: int, key: Key) -> None:
        """A planned contact still waiting at the end of its set-aside window: held until the next re-plan."""
        if self.state[c] == _WAITING and self.routing.queue[c] == queue and self.routing.key[c] == key:
            self.routing.queue[c] = -1

    # -- helpers ---------------------------------------------------------------------------------------------

    def tick(self, a: int, now: float) -> None:
        """Account agent `a`'s busy time up to `now` (before its load or its window changes)."""
        if self.active[a]:
            elapsed = now - self.mark[a]
            if self.on[a]:
                self.busy[a] += elapsed
            else:
                self.overrun[a] += elapsed
        self.mark[a] = now

    def best_queue(self, a: int) -> int | None:
        """The queue of agent `a` whose first waiting contact comes first (dropping abandoned ones)."""
        state, queues, queue_of, keys = self.state, self.queues, self.routing.queue, self.routing.key
        best = None
        for q in self.routing.agent_queues[a]:
            heap = queues[q]
            while heap and (
                state[heap[0][1]] != _WAITING or queue_of[heap[0][1]] != q or heap[0][0] != keys[heap[0][1]]
            ):
                heapq.heappop(heap)  # abandoned while waiting
            if heap and (best is None or heap[0] < queues[best][0]):
                best = q
        return best

    def owes_better(self, a: int, key: Key) -> bool:
        best = self.best_queue(a)
        return best is not None and self.queues[best][0][0] < key

    def pull(self, a: int) -> None:
        """Agent `a` takes waiting contacts, best key first across its queues, while they fit. When the best one
        does not fit (a call while the agent holds chats), it takes nothing else: it drains its chats and then
        takes the call, instead of serving lower-priority chats before it."""
        while self.active[a] < self.max_contacts[a] and self.load[a] < 1 - _EPS:
            best = self.best_queue(a)
            if best is None:
                return
            c = self.queues[best][0][1]
            if self.unit[c] > 1 + _EPS - self.load[a]:
                return
            heapq.heappop(self.queues[best])
            self.start(c, a)
