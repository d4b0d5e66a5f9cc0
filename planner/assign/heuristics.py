"""Constructive assignments: list scheduling of tickets onto agents' timelines, in some order, with some choice of
agent. Three orders / choices:

- `earliest_finish` (the CP-SAT hint): most urgent first (priority, then due time), each to the agent that can
  finish it earliest;
- `fifo_round_robin` (a baseline in use today): oldest first, agents taken in turn;
- `priority_least_loaded` (a baseline in use today): highest priority first (then oldest), each to the eligible
  agent with the least work booked so far.

Every ticket is started as early as its agent can (inside a working window, within the agent's capacity); a ticket
no agent can start within the horizon is left unassigned.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from planner.assign.problem import CAPACITY, AssignProblem

__all__ = [
    "HEURISTICS",
    "Plan",
    "Timeline",
    "earliest_finish",
    "fifo_round_robin",
    "left_shift",
    "priority_least_loaded",
]

#: ticket index -> (option index, start in seconds from `at`)
Plan = dict[int, tuple[int, int]]


class Timeline:
    """One agent's bookings: (start, end, share) with shares summing to at most CAPACITY at any time, and at most
    `max_contacts` bookings at once (0: no cap). Kept sorted by start; while every booking takes the whole agent
    (no chats), finding the earliest gap is one pass over the bookings."""

    def __init__(self, max_contacts: int) -> None:
        self.booked: list[tuple[int, int, int]] = []
        self.max_contacts = max_contacts
        self.work_s = 0
        self.whole = True  # every booking takes the whole agent

    def fits(self, start: int, end: int, share: int) -> bool:
        overlapping = [(s, e, sh) for s, e, sh in self.booked if s < end and e > start]
        if not overlapping:
            return True
        if share >= CAPACITY:
            return False
        # Load is piecewise constant; check it at the start and at every booking start inside [start, end).
        points = [start] + [s for s, _, _ in overlapping if s > start]
        for p in points:
            here = [(s, e, sh) for s, e, sh in overlapping if s <= p < e]
            if sum(sh for _, _, sh in here) + share > CAPACITY:
                return False
            if self.max_contacts and len(here) + 1 > self.max_contacts:
                return False
        return True

    def earliest(self, starts: tuple[tuple[int, int], ...], duration: int, share: int, not_before: int) -> int | None:
        """The earliest start in `starts` (ranges of allowed starts) at or after `not_before` where it fits."""
        if self.whole:
            return self._earliest_gap(starts, duration, not_before)
        ends = sorted({e for _, e, _ in self.booked})
        for first, last in starts:
            if last < not_before:
                continue
            candidates = [max(first, not_before)] + [e for e in ends if max(first, not_before) < e <= last]
            for c in candidates:
                if self.fits(c, c + duration, share):
                    return c
        return None

    def _earliest_gap(self, starts: tuple[tuple[int, int], ...], duration: int, not_before: int) -> int | None:
        booked = self.booked
        i = 0
        for first, last in starts:
            c = max(first, not_before)
            while c <= last:
                # Skip bookings that end by c; the first one ending after c either leaves room before it or
                # pushes c to its end.
                while i < len(booked) and booked[i][1] <= c:
                    i += 1
                if i == len(booked) or booked[i][0] >= c + duration:
                    return c
                c = booked[i][1]
        return None

    def book(self, start: int, end: int, share: int) -> None:
        bisect.insort(self.booked, (start, end, share))
        self.work_s += end - start
        if share < CAPACITY:
            self.whole = False


def _schedule(
    problem: AssignProblem,
    order: list[int],
    choose: Callable[[int, list[tuple[int, int]], list[Timeline]], tuple[int, int] | None],
) -> Plan:
    """Place tickets in `order`; `choose(ticket, [(option, earliest start)], timelines)` picks one or None."""
    timelines = [Timeline(a.max_contacts) for a in problem.agents]
    by_ticket = problem.options_of_ticket()
    plan: Plan = {}
    for t in order:
        ticket = problem.tickets[t]
        feasible = []
        for k in by_ticket[t]:
            option = problem.options[k]
            start = timelines[option.agent].earliest(option.starts, option.duration, ticket.share, 0)
            if start is not None:
                feasible.append((k, start))
        chosen = choose(t, feasible, timelines) if feasible else None
        if chosen is not None:
            k, start = chosen
            option = problem.options[k]
            timelines[option.agent].book(start, start + option.duration, ticket.share)
            plan[t] = chosen
    return plan


def left_shift(problem: AssignProblem, plan: Plan) -> Plan:
    """The same assignment with each agent's tickets, in their planned order, started as early as they fit. No
    ticket ends later than planned (an earlier booking ends before a later one's planned start), so no lateness
    grows."""
    timelines = [Timeline(a.max_contacts) for a in problem.agents]
    shifted: Plan = {}
    for t, (k, start) in sorted(plan.items(), key=lambda item: (item[1][1], item[0])):
        option, share = problem.options[k], problem.tickets[t].share
        earliest = timelines[option.agent].earliest(option.starts, option.duration, share, 0)
        new = start if earliest is None or earliest > start else earliest
        timelines[option.agent].book(new, new + option.duration, share)
        shifted[t] = (k, new)
    return shifted


def earliest_finish(problem: AssignProblem) -> Plan:
    tickets = problem.tickets
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].priority, tickets[t].due_s, tickets[t].created_s))

    def choose(t: int, feasible: list[tuple[int, int]], timelines: list[Timeline]) -> tuple[int, int]:
        def key(item: tuple[int, int]) -> tuple[int, int, int]:
            option = problem.options[item[0]]
            agent = problem.agents[option.agent]
            mismatch = int(bool(tickets[t].region and agent.region and agent.region != tickets[t].region))
            return (item[1] + option.duration, mismatch, timelines[option.agent].work_s)

        return min(feasible, key=key)

    return _schedule(problem, order, choose)


def fifo_round_robin(problem: AssignProblem) -> Plan:
    tickets = problem.tickets
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].created_s, t))
    turn = [0]
    count = max(1, len(problem.agents))

    def choose(t: int, feasible: list[tuple[int, int]], timelines: list[Timeline]) -> tuple[int, int]:
        # The next agent in turn (cyclically from the last one served) who may take the ticket.
        def distance(item: tuple[int, int]) -> int:
            return (problem.options[item[0]].agent - turn[0]) % count

        chosen = min(feasible, key=distance)
        turn[0] = problem.options[chosen[0]].agent + 1
        return chosen

    return _schedule(problem, order, choose)


def priority_least_loaded(problem: AssignProblem) -> Plan:
    tickets = problem.tickets
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].priority, tickets[t].created_s, t))

    def choose(t: int, feasible: list[tuple[int, int]], timelines: list[Timeline]) -> tuple[int, int]:
        return min(feasible, key=lambda item: (timelines[problem.options[item[0]].agent].work_s, item[1]))

    return _schedule(problem, order, choose)


HEURISTICS: dict[str, Callable[[AssignProblem], Plan]] = {
    "earliest-finish": earliest_finish,
    "fifo-round-robin": fifo_round_robin,
    "priority-least-loaded": priority_least_loaded,
}
