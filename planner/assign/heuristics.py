"""Constructive assignments: list scheduling of tickets onto agents' timelines, in some order, with some choice of
agent. Three orders / choices:

- `earliest_finish` (the CP-SAT hint): most urgent first (priority, then due time), each to the agent that can
  finish it earliest;
- `fifo_round_robin` (a baseline in use today): oldest first, agents taken in turn;
- `priority_least_loaded` (a baseline in use today): highest priority first (then oldest), each to the eligible
  agent with the least work booked so far.

Every ticket is started as early as its agent can (inside a working window, within the agent's capacity); a ticket
no agent can start within the horizon is left unassigned.

Each agent's bookings are a step function of its load (`Timeline`), and each agent keeps a free pointer: the
earliest moment its shortest option could start (nothing can start before it). A ticket's candidate agents are
ranked by a cheap lower bound of the choice's key (for earliest-finish: the free pointer or the first window
that holds the ticket, whichever is later, plus the duration; then region and booked work, which are exact), and
only those whose bound does not exceed the best exact key found so far are looked up on their timelines: the
choice is the one the exhaustive search over every eligible agent makes, ties included.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence

import numpy as np

from planner.assign.problem import CAPACITY, AssignProblem, fitting_windows

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

#: Before every booking (the first breakpoint of a timeline), and "never" for a free pointer.
_EVER = -(2**62)
_NEVER = 2**62


class Timeline:
    """One agent's bookings as a step function: from `times[i]` to `times[i + 1]` (from the last one on) the
    agent holds `load[i]` shares in `count[i]` contacts, shares summing to at most CAPACITY and contacts to at most
    `max_contacts` (0: no cap). Neighbouring steps of the same load are merged, so a run of back-to-back bookings
    is one step. `windows`: the agent's working windows (where `earliest_in` looks)."""

    def __init__(self, max_contacts: int, windows: tuple[tuple[int, int], ...] = ()) -> None:
        self.times: list[int] = [_EVER]
        self.load: list[int] = [0]
        self.count: list[int] = [0]
        self.max_contacts = max_contacts
        self.windows = windows
        self.work_s = 0
        self.whole = True  # every booking takes the whole agent

    def fits(self, start: int, end: int, share: int) -> bool:
        return self.earliest(((start, start),), end - start, share, start) is not None

    def earliest(self, starts: tuple[tuple[int, int], ...], duration: int, share: int, not_before: int) -> int | None:
        """The earliest start in `starts` (ranges of allowed starts) at or after `not_before` where it fits."""
        times, load, count = self.times, self.load, self.count
        n = len(times)
        room = CAPACITY - min(share, CAPACITY)
        most = self.max_contacts - 1 if self.max_contacts else n
        for first, last in starts:
            c = first if first > not_before else not_before
            if c > last:
                continue
            j = bisect_right(times, c) - 1
            while True:
                end = c + duration
                while load[j] <= room and count[j] <= most:
                    j += 1
                    if j == n or times[j] >= end:
                        return c
                # Step j has no room: no start before its end can hold the ticket.
                j += 1
                c = times[j]
                if c > last:
                    break
        return None

    def earliest_in(self, duration: int, share: int, not_before: int) -> int | None:
        """The earliest start at or after `not_before` inside one of the agent's windows where it fits."""
        return self.earliest(fitting_windows(self.windows, duration), duration, share, not_before)

    def _step(self, p: int) -> int:
        """The index of the step that begins at `p` (split off the step holding it if need be)."""
        i = bisect_right(self.times, p) - 1
        if self.times[i] != p:
            i += 1
            self.times.insert(i, p)
            self.load.insert(i, self.load[i - 1])
            self.count.insert(i, self.count[i - 1])
        return i

    def _merge(self, i: int) -> None:
        """Merge step i into step i - 1 where they hold the same."""
        if 0 < i < len(self.times) and self.load[i] == self.load[i - 1] and self.count[i] == self.count[i - 1]:
            del self.times[i], self.load[i], self.count[i]

    def book(self, start: int, end: int, share: int) -> None:
        i = self._step(start)
        j = self._step(end)
        for k in range(i, j):
            self.load[k] += share
            self.count[k] += 1
        self._merge(j)
        self._merge(i)
        self.work_s += end - start
        if share < CAPACITY:
            self.whole = False


class _Board:
    """The agents' timelines while tickets are placed one by one, with what ranks candidates cheaply: each agent's
    free pointer (no option of the agent can start before it: its shortest option, at the smallest share among
    its tickets, fits nowhere earlier) and its booked work, as arrays."""

    def __init__(self, problem: AssignProblem) -> None:
        self.problem = problem
        options = problem.options
        agents = problem.agents
        self.timelines = [Timeline(a.max_contacts, options.windows[i]) for i, a in enumerate(agents)]
        self.share = np.array([t.share for t in problem.tickets], dtype=np.int64)
        self.shares = self.share.tolist()
        count = len(agents)
        shortest = np.full(count, _NEVER, dtype=np.int64)
        smallest = np.full(count, CAPACITY, dtype=np.int64)
        if len(options):
            np.minimum.at(shortest, options.agent, options.duration)
            np.minimum.at(smallest, options.agent, self.share[options.ticket])
        self.shortest, self.smallest = shortest.tolist(), smallest.tolist()
        self.free = np.zeros(count, dtype=np.int64)
        for a in range(count):
            self._advance(a)
        self.work = np.zeros(count, dtype=np.int64)

    def _advance(self, a: int) -> None:
        if self.shortest[a] == _NEVER:
            self.free[a] = _NEVER
            return
        start = self.timelines[a].earliest_in(self.shortest[a], self.smallest[a], int(self.free[a]))
        self.free[a] = _NEVER if start is None else start

    def lower_starts(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """For options lo..hi-1: a lower bound of each one's earliest start, and whether it may fit at all."""
        options = self.problem.options
        agents = options.agent[lo:hi]
        start = np.maximum(self.free[agents], options.first_start[lo:hi])
        return start, start + options.duration[lo:hi] <= options.last_end[lo:hi]

    def earliest(self, k: int, share: int) -> int | None:
        options = self.problem.options
        a = int(options.agent[k])
        return self.timelines[a].earliest_in(int(options.duration[k]), share, int(self.free[a]))

    def book(self, t: int, k: int, start: int) -> None:
        options = self.problem.options
        a, duration = int(options.agent[k]), int(options.duration[k])
        self.timelines[a].book(start, start + duration, self.shares[t])
        self.work[a] += duration
        self._advance(a)


#: choose(board, ticket) -> (option, start) or None
_Choice = Callable[[_Board, int], tuple[int, int] | None]


def _schedule(problem: AssignProblem, order: list[int], choose: Callable[[_Board], _Choice]) -> Plan:
    """Place tickets in `order`, each where `choose` says (None: left unassigned)."""
    board = _Board(problem)
    pick = choose(board)
    plan: Plan = {}
    for t in order:
        chosen = pick(board, t)
        if chosen is not None:
            board.book(t, *chosen)
            plan[t] = chosen
    return plan


def _best_first(
    board: _Board, t: int, lower: Sequence[tuple[int, ...]], exact: Callable[[int, int, int], tuple[int, ...]]
) -> tuple[int, int] | None:
    """The option of ticket t with the least exact key among those that fit: candidates in the order of their
    lower keys (`lower[i]` for option lo + i, each no greater than the exact key and ending with i), looked up
    until the next lower key exceeds the best exact key. `exact(i, k, start)` is the exact key."""
    lo = int(board.problem.options.ptr[t])
    share = board.shares[t]
    best: tuple[int, ...] | None = None
    chosen: tuple[int, int] | None = None
    for key in sorted(lower):
        if best is not None and key > best:
            break
        i = key[-1]
        start = board.earliest(lo + i, share)
        if start is None:
            continue
        value = exact(i, lo + i, start)
        if best is None or value < best:
            best, chosen = value, (lo + i, start)
    return chosen


def _mismatch(problem: AssignProblem) -> np.ndarray:
    """Per option: ticket and agent of different regions (both given)."""
    ticket_region = np.array([t.region for t in problem.tickets], dtype=object)
    agent_region = np.array([a.region for a in problem.agents], dtype=object)
    if not len(problem.options):
        return np.zeros(0, dtype=bool)
    mine = ticket_region[problem.options.ticket]
    theirs = agent_region[problem.options.agent]
    return np.asarray((mine != "") & (theirs != "") & (mine != theirs), dtype=bool)


def left_shift(problem: AssignProblem, plan: Plan) -> Plan:
    """The same assignment with each agent's tickets, in their planned order, started as early as they fit. No
    ticket ends later than planned (an earlier booking ends before a later one's planned start), so no lateness
    grows. Agents are independent: a part of a plan (some agents' tickets) is shifted as the whole would be."""
    options = problem.options
    timelines: dict[int, Timeline] = {}
    shifted: Plan = {}
    for t, (k, start) in sorted(plan.items(), key=lambda item: (item[1][1], item[0])):
        a = int(options.agent[k])
        timeline = timelines.get(a)
        if timeline is None:
            timeline = timelines[a] = Timeline(problem.agents[a].max_contacts, options.windows[a])
        duration, share = int(options.duration[k]), problem.tickets[t].share
        earliest = timeline.earliest_in(duration, share, 0)
        new = start if earliest is None or earliest > start else earliest
        timeline.book(new, new + duration, share)
        shifted[t] = (k, new)
    return shifted


def earliest_finish(problem: AssignProblem) -> Plan:
    tickets = problem.tickets
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].priority, tickets[t].due_s, tickets[t].created_s))
    mismatch = _mismatch(problem).astype(np.int64)
    options = problem.options

    def choose(board: _Board) -> _Choice:
        def pick(_: _Board, t: int) -> tuple[int, int] | None:
            lo, hi = int(options.ptr[t]), int(options.ptr[t + 1])
            start, may = board.lower_starts(lo, hi)
            end = (start + options.duration[lo:hi])[may].tolist()
            near = mismatch[lo:hi][may].tolist()
            work = board.work[options.agent[lo:hi][may]].tolist()
            where = np.flatnonzero(may).tolist()
            lower = list(zip(end, near, work, where, strict=True))
            duration, region = options.duration[lo:hi].tolist(), mismatch[lo:hi].tolist()
            agent = options.agent[lo:hi].tolist()

            def exact(i: int, k: int, begin: int) -> tuple[int, ...]:
                return (begin + duration[i], region[i], board.timelines[agent[i]].work_s, i)

            return _best_first(board, t, lower, exact)

        return pick

    return _schedule(problem, order, choose)


def fifo_round_robin(problem: AssignProblem) -> Plan:
    tickets = problem.tickets
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].created_s, t))
    count = max(1, len(problem.agents))
    options = problem.options

    def choose(board: _Board) -> _Choice:
        turn = [0]

        def pick(_: _Board, t: int) -> tuple[int, int] | None:
            # The next agent in turn (cyclically from the last one served) who may take the ticket.
            lo, hi = int(options.ptr[t]), int(options.ptr[t + 1])
            may = board.lower_starts(lo, hi)[1]
            agents = options.agent[lo:hi]
            ranked = np.argsort((agents - turn[0]) % count, kind="stable")
            for i in ranked[may[ranked]].tolist():
                start = board.earliest(lo + i, board.shares[t])
                if start is not None:
                    turn[0] = int(agents[i]) + 1
                    return lo + i, start
            return None

        return pick

    return _schedule(problem, order, choose)


def priority_least_loaded(problem: AssignProblem) -> Plan:
    tickets = problem.tickets
    order = sorted(range(len(tickets)), key=lambda t: (tickets[t].priority, tickets[t].created_s, t))
    options = problem.options

    def choose(board: _Board) -> _Choice:
        def pick(_: _Board, t: int) -> tuple[int, int] | None:
            lo, hi = int(options.ptr[t]), int(options.ptr[t + 1])
            start, may = board.lower_starts(lo, hi)
            work = board.work[options.agent[lo:hi][may]].tolist()
            lower = list(zip(work, start[may].tolist(), np.flatnonzero(may).tolist(), strict=True))
            agent = options.agent[lo:hi].tolist()

            def exact(i: int, k: int, begin: int) -> tuple[int, ...]:
                return (board.timelines[agent[i]].work_s, begin, i)

            return _best_first(board, t, lower, exact)

        return pick

    return _schedule(problem, order, choose)


HEURISTICS: dict[str, Callable[[AssignProblem], Plan]] = {
    "earliest-finish": earliest_finish,
    "fifo-round-robin": fifo_round_robin,
    "priority-least-loaded": priority_least_loaded,
}
