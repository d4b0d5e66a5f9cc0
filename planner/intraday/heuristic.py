"""A greedy re-plan: the warm start of the CP-SAT search.

From the day as published (its allocation of each pool's agents to work types, from the baseline solve), take one
change at a time, the one that removes the most weighted understaffing (the model's tiers and priority factors),
until `max_changes` are taken or no change helps. A change is one agent's span (an extension, a start move, a
call-in, voluntary time off) or one break moved; each agent changes its span at most once and each break moves at
most once. The value of a change is judged interval by interval: an agent more in a pool's interval goes to the
most costly missing agent of its skills there (or is spare), an agent less is taken from a spare one, else from the
cheapest work it was covering. Then each change in turn is swapped for the best other one while that is worth more
(within a time budget). Exact enough to find the call-ins and extensions that matter, which the search then
completes and improves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.intraday.problem import AgentDay, IntradayProblem, Span
from planner.roster.model import RosterWeights

__all__ = ["greedy_changes"]


@dataclass(frozen=True)
class _Candidate:
    agent: int
    span: int  # index of the agent's span (0 where the candidate is a break move)
    group: int  # index of the moved break (-1 for a span change)
    position: int
    plus: np.ndarray  # window offsets gaining an agent on duty
    minus: np.ndarray  # window offsets losing one


def _on(problem: IntradayProblem, day: AgentDay, span: Span) -> np.ndarray:
    """The window offsets on duty in `span` (0/1 per interval), the published breaks where they are."""
    first, last = problem.first, problem.last
    on = np.zeros(last - first, dtype=np.int64)
    on[span.on[(span.on >= first) & (span.on < last)] - first] = 1
    if span.movable_breaks:
        on[day.fixed_off[(day.fixed_off >= first) & (day.fixed_off < last)] - first] = 0
        for group in day.groups:
            lo, hi = max(group.original, first), min(group.original + group.duration, last)
            on[lo - first : max(hi, lo) - first] = 0
    return on


def _candidates(problem: IntradayProblem, movable: dict[int, bool]) -> list[_Candidate]:
    first, width = problem.first, problem.last - problem.first
    out = []
    for a, day in enumerate(problem.agents):
        if a not in movable:
            continue
        base = _on(problem, day, day.spans[0])
        for j, span in enumerate(day.spans[1:], start=1):
            delta = _on(problem, day, span) - base
            out.append(_Candidate(a, j, -1, -1, np.flatnonzero(delta > 0), np.flatnonzero(delta < 0)))
        for g, group in enumerate(day.groups):
            for position in group.positions:
                if position == group.original:
                    continue
                delta = np.zeros(width + group.duration, dtype=np.int64)
                delta[max(group.original - first, 0) : max(group.original + group.duration - first, 0)] += 1
                delta[max(position - first, 0) : max(position + group.duration - first, 0)] -= 1
                delta = delta[:width]
                out.append(_Candidate(a, 0, g, position, np.flatnonzero(delta > 0), np.flatnonzero(delta < 0)))
    return out


class _State:
    """Missing agents per (interval, work type), each pool's allocation and spare agents, as changes are applied
    to the day as published."""

    def __init__(
        self, problem: IntradayProblem, allocation: np.ndarray, spare: np.ndarray, weights: RosterWeights
    ) -> None:
        self.problem = problem
        skill_of = [problem.center.work_type(w).skill for w in problem.work_types]
        self.holds = np.array([[skill in pool.skills for skill in skill_of] for pool in problem.pools], dtype=bool)[
            :, None, :
        ]
        self.factor = np.array([weights.priority(problem.center.work_type(w).priority) for w in problem.work_types])
        self.tiers = np.array(weights.understaffing_tiers, dtype=np.float64)
        self.start = (allocation.astype(np.int64), spare.astype(np.int64))
        self.reset()

    def reset(self) -> None:
        self.allocation, self.spare = self.start[0].copy(), self.start[1].copy()
        self.missing = np.clip(self.problem.required - self.allocation.sum(axis=0), 0, None).astype(np.int64)
        self._values()

    def _tier(self, count: np.ndarray) -> np.ndarray:
        """Weight of the count-th missing agent (1st, 2nd-3rd, 4th+), times the work type's priority factor."""
        tiers = self.tiers
        weight = np.where(count <= 1, tiers[0], np.where(count <= 3, tiers[1], tiers[2]))
        return np.asarray(weight * self.factor, dtype=np.float64)

    def _values(self) -> None:
        # An agent more in (pool, t) covers the costliest missing agent of the pool's skills, if any.
        worth_more = np.where(self.missing > 0, self._tier(self.missing), 0.0)
        gain_by = np.where(self.holds, worth_more[None, :, :], 0.0)
        self.gain_type, self.gain = gain_by.argmax(axis=2), gain_by.max(axis=2)
        # An agent less: a spare one costs nothing, else the cheapest work it covered gets one more missing.
        loss_by = np.where(self.allocation > 0, self._tier(self.missing + 1)[None, :, :], np.inf)
        self.loss_type = loss_by.argmin(axis=2)
        self.loss = np.where(self.spare > 0, 0.0, loss_by.min(axis=2))

    def value(self, c: _Candidate) -> float:
        pool = self.problem.agents[c.agent].pool
        return float(self.gain[pool, c.plus].sum() - self.loss[pool, c.minus].sum())

    def apply(self, c: _Candidate) -> None:
        pool = self.problem.agents[c.agent].pool
        for t in c.minus.tolist():
            if self.spare[pool, t] > 0:
                self.spare[pool, t] -= 1
            else:
                w = int(self.loss_type[pool, t])
                self.allocation[pool, t, w] -= 1
                self.missing[t, w] += 1
        self._values()
        for t in c.plus.tolist():
            w = int(self.gain_type[pool, t])
            if self.gain[pool, t] > 0 and self.missing[t, w] > 0:
                self.allocation[pool, t, w] += 1
                self.missing[t, w] -= 1
            else:
                self.spare[pool, t] += 1
        self._values()


def _allowed(c: _Candidate, chosen: list[_Candidate], problem: IntradayProblem) -> bool:
    """Whether `c` may join `chosen`: one span per agent, each break moved once, breaks only in a span that keeps
    the published start."""
    for other in chosen:
        if other.agent != c.agent:
            continue
        if c.group < 0 and other.group < 0:
            return False
        if c.group >= 0 and other.group == c.group:
            return False
        span = c.span if c.group < 0 else other.span if other.group < 0 else 0
        if not problem.agents[c.agent].spans[span].movable_breaks:
            return False
    return True


def _best(state: _State, candidates: list[_Candidate], chosen: list[_Candidate]) -> tuple[_Candidate | None, float]:
    busy = {c.agent for c in chosen}
    best, best_value = None, 1e-9
    for c in candidates:
        if c.agent in busy and not _allowed(c, chosen, state.problem):
            continue
        value = state.value(c)
        if value > best_value:
            best, best_value = c, value
    return best, best_value


def greedy_changes(
    problem: IntradayProblem,
    movable: dict[int, bool],
    allocation: np.ndarray,
    spare: np.ndarray,
    weights: RosterWeights,
    max_changes: int | None,
    deadline: float | None = None,
) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """The greedy re-plan: per agent its span, per (agent, break) its start. `movable`: the agents with a choice;
    `allocation` (pools, window, work types) and `spare` (pools, window): the day as published, from the baseline
    solve. Then, until `deadline` (a `time.monotonic()` instant) or no swap helps, each change in turn is taken
    out and the best change in its place is put in if it is worth more."""
    state = _State(problem, allocation, spare, weights)
    candidates = _candidates(problem, movable)
    limit = max_changes if max_changes is not None else len(candidates)
    chosen: list[_Candidate] = []
    while len(chosen) < limit:
        best, _ = _best(state, candidates, chosen)
        if best is None:
            break
        state.apply(best)
        chosen.append(best)
    improved = True
    while improved and (deadline is None or time.monotonic() < deadline):
        improved = False
        for i in range(len(chosen)):
            if deadline is not None and time.monotonic() >= deadline:
                break
            others = chosen[:i] + chosen[i + 1 :]
            state.reset()
            for c in others:
                state.apply(c)
            kept = state.value(chosen[i])
            best, value = _best(state, [c for c in candidates if c is not chosen[i]], others)
            if best is not None and value > kept + 1e-6:
                chosen[i] = best
                improved = True
    spans = {c.agent: c.span for c in chosen if c.group < 0}
    breaks = {(c.agent, c.group): c.position for c in chosen if c.group >= 0}
    return spans, breaks
