"""When to do deferred work in a blended centre: set agents' time aside for it where the forecast's realtime work
misses them least.

Agents who answer calls and chats also work tickets and e-mails. A ticket started just before a burst of calls
keeps its agent off the phones for its whole handle time; priority-first dispatch cannot see that coming. Here the
day's deferred work is placed, as agent time per interval, where taking an agent away from the realtime queues
costs the fewest expected priority-weighted breaches, each piece of work before its due time where that pays:

- The cost of setting k agents aside in interval i is the expected priority-weighted breaches of the interval's
  realtime contacts answered by the n - k others, pooled (one Erlang A queue with the contacts' mean handle time,
  threshold, patience and priority weight; abandoned contacts count as breached): E_i(n - k) - E_i(n). It is convex
  in k, so each extra agent costs at least as much as the one before.
- Deferred work arrives per interval (the forecast's volume x handle time, plus the work already waiting) and may
  be served in any interval from its arrival on: before its due time at the realtime cost alone, after it at the
  realtime cost plus the work's own breach (its priority weight per contact), or not at all before the horizon
  ends, at its breach weight plus `carry_over` per contact (default 16, a priority-2 breach: the work is still to
  do, and a day that leaves part of its deferred work undone grows a backlog; this bounds what the realtime queues
  may be made to pay to finish it).
- The cheapest such placement is a min-cost flow (OR-Tools `SimpleMinCostFlow`), in units of a tenth of an agent
  interval: exact for the pooled costs.

Agents who only do deferred work (back office) cost the realtime queues nothing: they are always set aside. The
pooled cost ignores which realtime skills a blended agent has: an approximation, cheap enough to redo at every
re-plan with the work actually waiting.

`Blending` (one per scenario) gives the agents to set aside per interval (`reserved`) and picks them (`designate`):
in each interval back-office agents first, then those whose skills realtime work needs least, so the same agents
from one interval to the next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from ortools.graph.python import min_cost_flow

from planner.assign.model import priority_weight
from planner.simulation.scenario import Scenario
from planner.staffing.erlang import erlang_a

__all__ = ["Backlog", "Blending", "on_duty", "realtime_cost"]

#: Flow units per agent-interval.
UNITS = 10
#: Costs are priority-weighted breaches x this, rounded to integers for the flow.
COST_SCALE = 1000
#: Patience (seconds) assumed for realtime contacts whose work type has none (they never abandon).
_NO_PATIENCE_S = 1e7

Backlog = Sequence[tuple[int, float, float]]
"""Work already waiting, one entry per contact: (work type index, arrival s, due s)."""

Windows = tuple[tuple[float, float], ...]
#: Work to place: (units, first interval it may be done in, due s, breach cost per unit, cost per unit not done).
Piece = tuple[int, int, float, float, float]
#: What leaving a deferred contact undone at the horizon's end costs beyond its own breach: a priority-2 breach.
CARRY_OVER = 16.0


def on_duty(scenario: Scenario, which: Sequence[bool] | None = None) -> np.ndarray:
    """Agents on duty per interval (the share of the interval inside their working windows), of all agents or of
    those with `which[a]`."""
    interval = float(scenario.interval_s)
    starts = np.arange(scenario.intervals) * interval
    on = np.zeros(scenario.intervals)
    for a, spec in enumerate(scenario.agents):
        if which is not None and not which[a]:
            continue
        for s, e in spec.windows:
            on += np.clip(np.minimum(e, starts + interval) - np.maximum(s, starts), 0, None) / interval
    return on


def realtime_cost(scenario: Scenario, on: np.ndarray) -> list[np.ndarray]:
    """Per interval, the expected priority-weighted realtime breaches with k = 0, 1, ... of the `on` agents set
    aside (up to all of them, rounded down): pooled Erlang A, see the module's docstring."""
    volume = scenario.demand.volume
    if volume is None:
        raise ValueError("setting time aside for deferred work needs a forecast (the scenario replays a history)")
    interval = float(scenario.interval_s)
    kinds = [k for k in scenario.work_types if k.realtime]
    columns = [w for w, k in enumerate(scenario.work_types) if k.realtime]
    aht = np.array([k.aht_s * k.unit for k in kinds])  # a chat of a 2-chat work type takes half an agent
    within = np.array([float(k.within_s) for k in kinds])
    patience = np.array([k.patience_s if math.isfinite(k.patience_s) else _NO_PATIENCE_S for k in kinds])
    weight = np.array([float(priority_weight(k.priority)) for k in kinds])
    out = []
    for i in range(scenario.intervals):
        n = int(math.floor(on[i] + 1e-9))
        v = volume[i, columns]
        total = float(v.sum())
        if n <= 0 or total <= 0:
            out.append(np.zeros(max(n, 0) + 1))
            continue
        share = v / total
        mean_aht = float(share @ aht)
        answering = np.arange(n, -1, -1, dtype=float)  # k = 0 .. n set aside: n - k answer
        metrics = erlang_a(
            np.maximum(answering, 1e-9), total * mean_aht / interval, mean_aht, share @ patience, share @ within
        )
        sl = np.where(answering > 0, np.asarray(metrics.service_level, dtype=float), 0.0)
        # Never cheaper with fewer agents answering (rounding noise aside).
        out.append(np.maximum.accumulate(float(share @ weight) * total * (1.0 - sl)))
    return out


def mean_proficiency(scenario: Scenario, w: int) -> float:
    """The mean proficiency in work type `w` of the agents with the skill, weighted by their time on duty."""
    weights = [(spec.on_duty_s, spec.proficiency[w]) for spec in scenario.agents if w in spec.proficiency]
    total = sum(t for t, _ in weights)
    return sum(t * p for t, p in weights) / total if total > 0 else 1.0


class Blending:
    """The set-aside plan of one scenario (the realtime costs are computed once; `reserved` is cheap)."""

    def __init__(self, scenario: Scenario, carry_over: float = CARRY_OVER) -> None:
        self.scenario, self.carry_over = scenario, carry_over
        types = scenario.work_types
        realtime = [any(types[w].realtime for w in spec.proficiency) for spec in scenario.agents]
        deferred = [any(not types[w].realtime for w in spec.proficiency) for spec in scenario.agents]
        self.back_office = np.floor(
            on_duty(scenario, [d and not r for d, r in zip(deferred, realtime, strict=True)]) + 1e-9
        ).astype(np.int64)
        self.blended = np.floor(
            on_duty(scenario, [d and r for d, r in zip(deferred, realtime, strict=True)]) + 1e-9
        ).astype(np.int64)
        self.cost = realtime_cost(scenario, on_duty(scenario, realtime))
        self.speed = {w: mean_proficiency(scenario, w) for w, k in enumerate(types) if not k.realtime}
        # Designation order: back office first, then the agents whose skills realtime work needs least.
        need = [
            sum(2.0 ** (-types[w].priority) for w in spec.proficiency if types[w].realtime) for spec in scenario.agents
        ]
        self.ranked = sorted((a for a in range(len(scenario.agents)) if deferred[a]), key=lambda a: (need[a], a))

    def reserved(self, start_s: float = 0.0, backlog: Backlog = (), margin: float = 1.0) -> np.ndarray:
        """Agents to set aside for deferred work per interval from `start_s` on (earlier intervals: 0): the
        forecast's deferred work arriving from then on plus `backlog`, its handle time at the skilled agents'
        mean proficiency x `margin`, placed by the min-cost flow of the module's docstring; back-office agents
        always."""
        scenario = self.scenario
        volume = scenario.demand.volume
        assert volume is not None
        interval, intervals = float(scenario.interval_s), scenario.intervals
        first = min(intervals, int(start_s // interval))
        pieces: list[Piece] = []
        for w in self.speed:
            kind = scenario.work_types[w]
            for i in range(first, intervals):
                expected = volume[i, w] * (first + 1 - start_s / interval if i == first else 1.0)
                if expected > 0:
                    pieces.append(self._piece(w, expected, i, (i + 0.5) * interval + kind.within_s, margin))
        for w, arrival, due in backlog:
            pieces.append(self._piece(w, 1.0, max(first, int(arrival // interval)), due, margin))
        pieces = [p for p in pieces if p[0] > 0]
        reserved = np.zeros(intervals, dtype=np.int64)
        if pieces:
            into = self._place(pieces, first)
            reserved[:] = np.ceil(into / UNITS - 0.25).clip(0).astype(np.int64)
        reserved[:first] = 0
        floor = np.where(np.arange(intervals) >= first, self.back_office, 0)
        return np.clip(reserved, floor, self.back_office + self.blended)

    def _piece(self, w: int, contacts: float, first: int, due: float, margin: float) -> Piece:
        kind, speed = self.scenario.work_types[w], self.speed[w]
        work_s = contacts * kind.aht_s / speed * kind.unit * margin
        units = max(1, round(work_s / self.scenario.interval_s * UNITS))
        # The contacts' breach weight spread over their units of work; left undone: that plus `carry_over`.
        weight = priority_weight(kind.priority)
        return units, first, due, weight * contacts / units, (weight + self.carry_over) * contacts / units

    def _place(self, pieces: list[Piece], first: int) -> np.ndarray:
        """The min-cost flow: work (pieces) -> the interval it is done in -> agent time set aside; or -> not today.
        Returns the units done per interval."""
        interval, intervals = float(self.scenario.interval_s), self.scenario.intervals
        flow = min_cost_flow.SimpleMinCostFlow()
        count = len(pieces)
        sink = count + intervals  # nodes: pieces 0..P-1, intervals P..P+I-1, the sink
        supply = 0
        for p, (units, start, due, breach, carry) in enumerate(pieces):
            supply += units
            flow.set_node_supply(p, units)
            # Not done today: assumed to breach (it takes tomorrow's time, or is late already).
            flow.add_arc_with_capacity_and_unit_cost(p, sink, units, round(carry * COST_SCALE))
            for i in range(start, intervals):
                late = breach if (i + 1) * interval > due else 0.0
                flow.add_arc_with_capacity_and_unit_cost(p, count + i, units, round(late * COST_SCALE))
        for i in range(first, intervals):
            if self.back_office[i] > 0:
                flow.add_arc_with_capacity_and_unit_cost(count + i, sink, int(self.back_office[i]) * UNITS, 0)
            steps = np.diff(self.cost[i])  # the k-th blended agent set aside costs steps[k - 1]
            for k in range(min(int(self.blended[i]), len(steps))):
                flow.add_arc_with_capacity_and_unit_cost(
                    count + i, sink, UNITS, round(float(steps[k]) / UNITS * COST_SCALE)
                )
        flow.set_node_supply(sink, -supply)
        status = flow.solve()
        if status != flow.OPTIMAL:  # pragma: no cover - the "not today" arcs make it always feasible
            raise RuntimeError(f"the deferred-work placement ended with status {status}")
        into = np.zeros(intervals)
        for arc in range(flow.num_arcs()):
            if flow.head(arc) == sink and flow.tail(arc) >= count:
                into[flow.tail(arc) - count] += flow.flow(arc)
        return into

    def designate(self, reserved: np.ndarray) -> list[Windows]:
        """Per agent, its working time set aside: in each interval the first `reserved[i]` of the ranked agents on
        duty there; each agent's windows cut to those intervals (adjacent ones merged)."""
        scenario = self.scenario
        interval = float(scenario.interval_s)
        chosen: list[list[tuple[float, float]]] = [[] for _ in scenario.agents]
        for i in np.flatnonzero(reserved > 0).tolist():
            lo, hi = i * interval, (i + 1) * interval
            taken = 0
            for a in self.ranked:
                if taken >= reserved[i]:
                    break
                inside = [(max(s, lo), min(e, hi)) for s, e in scenario.agents[a].windows if e > lo and s < hi]
                if not inside:
                    continue
                taken += 1
                for s, e in inside:
                    if chosen[a] and chosen[a][-1][1] >= s:
                        chosen[a][-1] = (chosen[a][-1][0], e)
                    else:
                        chosen[a].append((s, e))
        return [tuple(w) for w in chosen]
