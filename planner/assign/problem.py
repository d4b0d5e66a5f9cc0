"""The assignment problem at one moment: open tickets, the agents on shift from then to the horizon's end, and who
may take what, as integers (seconds from the moment `at`).

A ticket's due time is its `due_at`, else its creation (for work created while its work type was closed and
`outside_hours: next_opening`, the next opening) plus the work type's threshold for its customer tier. Its
handle time is `est_handle_time_s`, else the work type's AHT; an agent needs it divided by its proficiency in the
work type. An agent may take a ticket when it has the work type's skill and a working window (shift less breaks,
from `at` on) long enough to hold it. A chat takes 1/concurrency of an agent (the work type's concurrency, capped
by the agent's `max_concurrency`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd

from models import Center, InputError, OutsideHours, Problem
from planner.shifts import seconds_from, working_windows

__all__ = [
    "CAPACITY",
    "AssignAgent",
    "AssignProblem",
    "Option",
    "Options",
    "Ticket",
    "assemble",
    "build_assign_problem",
    "fitting_windows",
]


@dataclass(frozen=True)
class Ticket:
    id: str
    work_type: str
    priority: int
    created_s: int
    due_s: int
    handle_s: int  # at proficiency 1
    tier: str
    tier_weight: float
    region: str
    assigned: str  # the agent it is assigned to now, "" if none
    share: int  # of an agent's capacity `CAPACITY` (a call: all of it)


@dataclass(frozen=True)
class AssignAgent:
    id: str
    windows: tuple[tuple[int, int], ...]  # seconds from `at`, sorted, disjoint
    proficiency: dict[str, float]  # work type -> proficiency
    region: str
    max_contacts: int  # 0: no cap beyond the shares


@dataclass(frozen=True)
class Option:
    """Ticket `ticket` by agent `agent` (indices), taking `duration` seconds, startable in `starts` (one
    [first, last] range of start times per window the ticket fits in)."""

    ticket: int
    agent: int
    duration: int
    starts: tuple[tuple[int, int], ...]


#: The horizon when no shift is on at the moment planned from.
DEFAULT_HORIZON_S = 8 * 3600
#: An agent's capacity in shares: divisible by every concurrency from 1 to 12 (above, a chat's share rounds up).
CAPACITY = 27_720
#: Ticket x agent cells priced at once when the options are built (bounds the memory of `assemble`).
_CHUNK_CELLS = 2_000_000


def fitting_windows(windows: tuple[tuple[int, int], ...], duration: int) -> tuple[tuple[int, int], ...]:
    """The [first, last] start ranges of a `duration`-second piece of work in these windows (those long enough)."""
    return tuple((s, e - duration) for s, e in windows if e - s >= duration)


class Options(Sequence[Option]):
    """The problem's options as arrays, grouped by ticket (in the tickets' order) and by agent index within a
    ticket: `ticket`, `agent`, `duration`, `first_start` (the start of the first window that holds it) and
    `last_end` (the end of the last one) per option; the options of ticket t are `ptr[t]:ptr[t + 1]`. Indexing
    gives an `Option` (its start ranges made from the agent's windows on demand)."""

    def __init__(
        self,
        ticket: np.ndarray,
        agent: np.ndarray,
        duration: np.ndarray,
        first_start: np.ndarray,
        last_end: np.ndarray,
        tickets: int,
        windows: list[tuple[tuple[int, int], ...]],
    ) -> None:
        self.ticket, self.agent, self.duration = ticket, agent, duration
        self.first_start, self.last_end = first_start, last_end
        self.windows = windows
        self.ptr = np.searchsorted(ticket, np.arange(tickets + 1)).astype(np.int64)

    def __len__(self) -> int:
        return int(self.ticket.size)

    @overload
    def __getitem__(self, k: int) -> Option: ...

    @overload
    def __getitem__(self, k: slice) -> list[Option]: ...

    def __getitem__(self, k: int | slice) -> Option | list[Option]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        agent, duration = int(self.agent[k]), int(self.duration[k])
        return Option(int(self.ticket[k]), agent, duration, fitting_windows(self.windows[agent], duration))

    def __iter__(self) -> Iterator[Option]:
        for k in range(len(self)):
            yield self[k]

    def of(self, ticket: int, agent: int) -> int | None:
        """The option of `ticket` by `agent` (None: there is none)."""
        lo, hi = int(self.ptr[ticket]), int(self.ptr[ticket + 1])
        k = lo + int(np.searchsorted(self.agent[lo:hi], agent))
        return k if k < hi and int(self.agent[k]) == agent else None


@dataclass
class AssignProblem:
    at: pd.Timestamp
    horizon_s: int
    tickets: list[Ticket]
    agents: list[AssignAgent]
    options: Options
    #: Quality score per (agent id, work type) in [0, 1] (missing: 1).
    quality: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Tickets nobody on shift has the skill for (they are reported unassigned with that reason).
    no_skill: set[int] = field(default_factory=set)
    #: What the solver derives from the problem once (it does not change after `assemble`): the objective's
    #: coefficients per weights (`planner.assign.model`) and the tickets' columns.
    cost_cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def options_of_ticket(self) -> list[range]:
        """Option indices per ticket."""
        ptr = self.options.ptr.tolist()
        return [range(ptr[t], ptr[t + 1]) for t in range(len(self.tickets))]

    def time(self, seconds: float) -> pd.Timestamp:
        return self.at + pd.Timedelta(seconds=float(seconds))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _text(value: Any) -> str:
    """A cell as text, "" where blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


#: How far after a ticket's creation its work type's next opening is looked for.
_NEXT_OPENING_WITHIN_DAYS = 14


def _response_window_starts(
    created: np.ndarray, work_types: np.ndarray, center: Center, at: pd.Timestamp
) -> np.ndarray:
    """When each ticket's response window starts (seconds from `at`): its creation, or, for a work type whose
    closed-hours work waits for the opening (`outside_hours: next_opening`) and a ticket created while it was
    closed (outside its opening hours or on a closed day), the start of its next open interval of the centre's
    grid, as the forecast and the simulation move such work."""
    starts = created.astype(float).copy()
    step = center.interval_minutes * 60
    for work_type in center.work_types:
        mine = np.flatnonzero((work_types == work_type.id) & np.isfinite(created))
        if work_type.outside_hours_rule is not OutsideHours.NEXT_OPENING or len(mine) == 0:
            continue
        first = (at + pd.Timedelta(seconds=float(created[mine].min()))).floor(
            f"{center.interval_minutes}min",
            ambiguous=True,  # the earlier pass: the grid starts at or before
        )
        origin = (first - at).total_seconds()
        slot = ((created[mine] - origin) // step).astype(np.int64)
        count = int(slot.max()) + 1 + _NEXT_OPENING_WITHIN_DAYS * 86_400 // step
        is_open = center.is_open(work_type.id, first + pd.to_timedelta(np.arange(count) * step, unit="s"))
        closed = ~is_open[slot]
        open_at = np.flatnonzero(is_open)
        following = np.searchsorted(open_at, slot[closed])
        found = following < len(open_at)
        starts[mine[closed][found]] = origin + open_at[following[found]] * step
    return starts


def build_assign_problem(
    tickets: pd.DataFrame,
    roster: pd.DataFrame,
    center: Center,
    at: pd.Timestamp,
    *,
    horizon_minutes: float | None = None,
    quality: pd.DataFrame | None = None,
    source: str = "tickets",
) -> AssignProblem:
    """The problem of `tickets` (a `models.OPEN_TICKETS` table) at `at` with the agents of `roster` on shift.
    The horizon runs `horizon_minutes` from `at`, or (default) to the end of the last shift that is on at `at`
    (the rest of the shift). `quality`: optional rows of agent_id, work_type, score in [0, 1]."""
    at = pd.Timestamp(at)
    at = at.tz_localize(center.timezone) if at.tzinfo is None else at.tz_convert(center.timezone)
    center.require_work_types(tickets["work_type"], source, "assign only the centre's work types")
    all_windows = working_windows(roster, center.timezone, at, math.inf, "roster") if not roster.empty else {}
    unknown = sorted(set(all_windows) - {a.id for a in center.agents})
    if unknown:
        raise InputError(
            "roster",
            Problem(
                "column 'agent_id'",
                f"agents {', '.join(unknown[:5])} are not in the centre",
                "roster only the centre's agents",
            ),
        )
    if horizon_minutes is not None:
        if not horizon_minutes > 0:
            raise InputError("--horizon-minutes", Problem("", f"{horizon_minutes} is not positive", "give minutes > 0"))
        horizon = int(horizon_minutes * 60)
    else:
        # The rest of the shift: to the end of the last shift that is on at `at` (8 hours if none is).
        horizon = DEFAULT_HORIZON_S
        if not roster.empty:
            starts = seconds_from(roster["start"], at, center.timezone)
            ends = seconds_from(roster["end"], at, center.timezone)
            on = (starts <= 0) & (ends > 0)
            if on.any():
                horizon = int(math.floor(ends[on].max()))
    tiers = {t.id: t.weight for t in center.customer_tiers}
    tickets_out: list[Ticket] = []
    problems: list[Problem] = []
    created = seconds_from(tickets["created_at"], at, center.timezone)
    due_given = _column(tickets, "due_at")
    due_s = np.full(len(tickets), np.nan)
    given = due_given.notna().to_numpy()
    if given.any():
        due_s[given] = seconds_from(due_given[given], at, center.timezone)
    window_start = _response_window_starts(created, tickets["work_type"].astype(str).to_numpy(), center, at)
    for row, (ticket_id, work_type_id, prio, est, tier, region, assigned) in enumerate(
        zip(
            tickets["ticket_id"].astype(str),
            tickets["work_type"].astype(str),
            _column(tickets, "priority"),
            _column(tickets, "est_handle_time_s"),
            _column(tickets, "customer_tier"),
            _column(tickets, "region"),
            _column(tickets, "assigned_agent"),
            strict=True,
        )
    ):
        work_type = center.work_type(work_type_id)
        tier_id = _text(tier)
        if tier_id and tier_id not in tiers:
            problems.append(
                Problem(
                    f"row {row + 1}, column 'customer_tier'",
                    f"'{tier_id}' is not a customer tier of the centre",
                    f"use one of {', '.join(sorted(tiers))}" if tiers else "define customer_tiers in the centre file",
                )
            )
        due = due_s[row] if given[row] else window_start[row] + work_type.target.within_s_for(tier_id or None)
        handle = float(est) if _text(est) else work_type.aht_s
        tickets_out.append(
            Ticket(
                id=ticket_id,
                work_type=work_type_id,
                priority=int(prio) if _text(prio) else work_type.priority,
                created_s=int(math.floor(created[row])),
                due_s=int(math.floor(due)),
                handle_s=max(1, int(math.ceil(handle))),
                tier=tier_id,
                tier_weight=tiers.get(tier_id, 1.0),
                region=_text(region),
                assigned=_text(assigned),
                share=-(-CAPACITY // work_type.concurrency),
            )
        )
    InputError.collect(source, problems)
    agents: list[AssignAgent] = []
    by_skill: dict[str, list[str]] = {}
    for w in center.work_types:
        by_skill.setdefault(w.skill, []).append(w.id)
    for agent in center.agents:
        pieces = [
            (max(0, int(math.ceil(s))), min(horizon, int(math.floor(e)))) for s, e in all_windows.get(agent.id, [])
        ]
        pieces = [(s, e) for s, e in pieces if e > s]
        if not pieces:
            continue
        proficiency = {w: skill.proficiency for skill in agent.skills for w in by_skill.get(skill.skill, [])}
        agents.append(
            AssignAgent(
                id=agent.id,
                windows=tuple(pieces),
                proficiency=proficiency,
                region=agent.region or "",
                max_contacts=agent.max_concurrency or 0,
            )
        )
    scores = {}
    if quality is not None:
        for agent_id, work_type_id, score in zip(
            quality["agent_id"].astype(str), quality["work_type"].astype(str), quality["score"], strict=True
        ):
            scores[(agent_id, work_type_id)] = float(score)
    return assemble(at, horizon, tickets_out, agents, scores)


def assemble(
    at: pd.Timestamp,
    horizon_s: int,
    tickets: list[Ticket],
    agents: list[AssignAgent],
    quality: dict[tuple[str, str], float] | None = None,
) -> AssignProblem:
    """The problem of these tickets and agents: every (ticket, agent with the skill) whose windows can hold the
    ticket at the agent's speed is an option; tickets nobody has the skill for are noted. Built with numpy, a block
    of tickets at a time: per ticket and agent the duration (handle time over proficiency, rounded up) and whether
    the agent's longest window holds it."""
    work_types = sorted({t.work_type for t in tickets} | {w for a in agents for w in a.proficiency})
    index = {w: i for i, w in enumerate(work_types)}
    speed = np.zeros((len(work_types), len(agents)))
    for a, agent in enumerate(agents):
        for work_type, p in agent.proficiency.items():
            speed[index[work_type], a] = p
    windows = [tuple((int(s), int(e)) for s, e in agent.windows) for agent in agents]
    widest = max((len(w) for w in windows), default=0)
    # Window starts and lengths per agent, padded with windows of length -1 (they hold nothing).
    window_start = np.zeros((len(agents), max(1, widest)), dtype=np.int64)
    window_length = np.full((len(agents), max(1, widest)), -1, dtype=np.int64)
    for a, own in enumerate(windows):
        for i, (s, e) in enumerate(own):
            window_start[a, i], window_length[a, i] = s, e - s
    longest = window_length.max(axis=1) if agents else np.zeros(0, dtype=np.int64)
    kind = np.array([index[t.work_type] for t in tickets], dtype=np.int64)
    handle = np.array([t.handle_s for t in tickets], dtype=np.float64)
    skilled = np.asarray((speed > 0).any(axis=1))[kind] if agents else np.zeros(len(tickets), dtype=bool)
    no_skill = {int(t) for t in np.flatnonzero(~skilled)}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    block = max(1, _CHUNK_CELLS // max(1, len(agents)))
    for lo in range(0, len(tickets), block):
        hi = min(len(tickets), lo + block)
        rate = speed[kind[lo:hi]]
        with np.errstate(divide="ignore"):
            duration = np.ceil(handle[lo:hi, None] / np.where(rate > 0, rate, 1.0))
        fits = (rate > 0) & (duration <= longest[None, :])
        rows, cols = np.nonzero(fits)
        parts.append((rows + lo, cols, duration[rows, cols].astype(np.int64)))
    ticket_of = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    agent_of = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    duration_of = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    # The first and the last window of the agent that hold the option.
    holds = window_length[agent_of] >= duration_of[:, None]
    first = holds.argmax(axis=1)
    last = holds.shape[1] - 1 - holds[:, ::-1].argmax(axis=1)
    first_start = window_start[agent_of, first]
    last_end = window_start[agent_of, last] + window_length[agent_of, last]
    options = Options(
        ticket_of.astype(np.int64),
        agent_of.astype(np.int64),
        duration_of,
        first_start.astype(np.int64),
        last_end.astype(np.int64),
        len(tickets),
        windows,
    )
    return AssignProblem(at, horizon_s, tickets, agents, options, quality or {}, no_skill)
