"""A greedy re-plan: the warm start of the CP-SAT search.

From the day as published (its allocation of each pool's agents to work types, from the baseline solve), take one
change at a time, the one that removes the most weighted understaffing (the model's tiers and priority factors),
until `max_changes` are taken or no change helps. A change is one agent's span (an extension, a start move, a
call-in, voluntary time off) or one break moved; each agent changes its span at most once and each break moves at
most once. The value of a change is judged interval by interval: an agent more in a pool's interval goes to the
most costly missing agent of its skills there (or is spare), an agent less is taken from a spare one, else from the
cheapest work it was covering. Exact enough to find the call-ins and extensions that matter, which the search then
completes and improves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.intraday.problem import AgentDay, IntradayProblem
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


def _base_on(problem: IntradayProblem, day: AgentDay) -> np.ndarray:
    """The agent's on-duty offsets in the window as published (breaks where they are)."""
    first = problem.first
    span = day.spans[0]
    on = np.zeros(problem.last - first, dtype=np.int64)
    inside = span.on[(span.on >= first) & (span.on < problem.last)] - first
    on[inside] = 1
    if span.movable_breaks:
        on[day.fixed_off[(day.fixed_off >= first) & (day.fixed_off < problem.last)] - first] = 0
        for group in day.groups:
            lo, hi = max(group.original, first), min(group.original + group.duration, problem.last)
            on[lo - first : max(hi, lo) - first] = 0
    return on


def _candidates(problem: IntradayProblem, movable: dict[int, bool]) -> list[_Candidate]:
    first, width = problem.first, problem.last - problem.first
    out = []
    for a, day in enumerate(problem.agents):
        if a not in movable:
            continue
        base = _base_on(problem, day)
        for j, span in enumerate(day.spans[1:], start=1):
            on = np.zeros(width, dtype=np.int64)
            inside = span.on[(span.on >= first) & (span.on < problem.last)] - first
            on[inside] = 1
            if span.movable_breaks:  # the published breaks stay where they are
                on[day.fixed_off[(day.fixed_off >= first) & (day.fixed_off < problem.last)] - first] = 0
                for group in day.groups:
                    lo, hi = max(group.original, first), min(group.original + group.duration, problem.last)
                    on[lo - first : max(hi, lo) - first] = 0
            delta = on - base
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


def greedy_changes(
    problem: IntradayProblem,
    movable: dict[int, bool],
    allocation: np.ndarray,
    spare: np.ndarray,
    weights: RosterWeights,
    max_changes: int | None,
) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """The greedy re-plan: per agent its span, per (agent, break) its start. `movable`: the agents with a choice;
    `allocation` (pools, window, work types) and `spare` (pools, window): the day as published, from the baseline
    solve."""
    work_types = len(problem.work_types)
    skill_of = [problem.center.work_type(w).skill for w in problem.work_types]
    holds = np.array([[skill_of[w] in pool.skills for w in range(work_types)] for pool in problem.pools], dtype=bool)
    factor = np.array([weights.priority(problem.center.work_type(w).priority) for w in problem.work_types])
    tiers = np.array(weights.understaffing_tiers, dtype=np.float64)
    missing = np.clip(problem.required - allocation.sum(axis=0), 0, None).astype(np.int64)  # (window, w)
    allocation = allocation.astype(np.int64).copy()
    spare = spare.astype(np.int64).copy()

    def tier(count: np.ndarray) -> np.ndarray:
        """Weight of the count-th missing agent (1st, 2nd-3rd, 4th+)."""
        return np.asarray(np.where(count <= 1, tiers[0], np.where(count <= 3, tiers[1], tiers[2])), dtype=np.float64)

    def values() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # An agent more in (pool, t): the costliest missing agent of the pool's skills, or nothing.
        worth_more = np.where(missing > 0, tier(missing) * factor, 0.0)  # (window, w)
        gain_by = np.where(holds[:, None, :], worth_more[None, :, :], 0.0)  # (pools, window, w)
        gain_type = gain_by.argmax(axis=2)
        gain = gain_by.max(axis=2)
        # An agent less: a spare one costs nothing, else the cheapest work it covers gets one more missing.
        worth_less = tier(missing + 1) * factor
        loss_by = np.where(allocation > 0, worth_less[None, :, :], np.inf)
        loss_type = loss_by.argmin(axis=2)
        loss = np.where(spare > 0, 0.0, loss_by.min(axis=2))
        return gain, gain_type, loss, loss_type

    candidates = _candidates(problem, movable)
    spans: dict[int, int] = {}
    breaks: dict[tuple[int, int], int] = {}
    taken = 0
    limit = max_changes if max_changes is not None else len(candidates)
    while taken < limit and candidates:
        gain, gain_type, loss, loss_type = values()
        best, best_value = None, 1e-9
        for c in candidates:
            pool = problem.agents[c.agent].pool
            value = gain[pool, c.plus].sum() - loss[pool, c.minus].sum()
            if value > best_value:
                best, best_value = c, value
        if best is None:
            break
        pool = problem.agents[best.agent].pool
        for t in best.minus.tolist():
            if spare[pool, t] > 0:
                spare[pool, t] -= 1
            else:
                w = int(loss_type[pool, t])
                allocation[pool, t, w] -= 1
                missing[t, w] += 1
        gain, gain_type, _, _ = values()
        for t in best.plus.tolist():
            w = int(gain_type[pool, t])
            if gain[pool, t] > 0 and missing[t, w] > 0:
                allocation[pool, t, w] += 1
                missing[t, w] -= 1
            else:
                spare[pool, t] += 1
        taken += 1
        if best.group < 0:
            spans[best.agent] = best.span
            # One span per agent; breaks then move only within the published start.
            candidates = [
                c
                for c in candidates
                if c.agent != best.agent or (c.group >= 0 and problem.agents[c.agent].spans[best.span].movable_breaks)
            ]
        else:
            breaks[best.agent, best.group] = best.position
            candidates = [c for c in candidates if not (c.agent == best.agent and c.group == best.group)]
            candidates = [
                c for c in candidates if not (c.agent == best.agent and c.group < 0 and not _keeps(c, problem))
            ]
    return spans, breaks


def _keeps(candidate: _Candidate, problem: IntradayProblem) -> bool:
    """Whether a span candidate keeps the published start (so a break already moved stays valid)."""
    return problem.agents[candidate.agent].spans[candidate.span].movable_breaks
