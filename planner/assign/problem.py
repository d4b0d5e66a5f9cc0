"""The assignment problem at one moment: open tickets, the agents on shift from then to the horizon's end, and who
may take what, as integers (seconds from the moment `at`).

A ticket's due time is its `due_at`, else its creation plus the work type's threshold for its customer tier. Its
handle time is `est_handle_time_s`, else the work type's AHT; an agent needs it divided by its proficiency in the
work type. An agent may take a ticket when it has the work type's skill and a working window (shift less breaks,
from `at` on) long enough to hold it. A chat takes 1/concurrency of an agent (the work type's concurrency, capped
by the agent's `max_concurrency`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models import Center, InputError, Problem
from planner.shifts import seconds_from, working_windows

__all__ = ["CAPACITY", "AssignAgent", "AssignProblem", "Option", "Ticket", "assemble", "build_assign_problem"]


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


@dataclass
class AssignProblem:
    at: pd.Timestamp
    horizon_s: int
    tickets: list[Ticket]
    agents: list[AssignAgent]
    options: list[Option]
    #: Quality score per (agent id, work type) in [0, 1] (missing: 1).
    quality: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Tickets nobody on shift has the skill for (they are reported unassigned with that reason).
    no_skill: set[int] = field(default_factory=set)
    #: What the solver derives from the options once (they do not change after `assemble`): the options of each
    #: ticket, and the objective's coefficients per weights (`planner.assign.model`).
    _by_ticket: list[list[int]] | None = field(default=None, init=False, repr=False, compare=False)
    cost_cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def options_of_ticket(self) -> list[list[int]]:
        """Option indices per ticket (computed once; do not modify the lists)."""
        if self._by_ticket is None:
            out: list[list[int]] = [[] for _ in self.tickets]
            for k, option in enumerate(self.options):
                out[option.ticket].append(k)
            self._by_ticket = out
        return self._by_ticket

    def time(self, seconds: float) -> pd.Timestamp:
        return self.at + pd.Timedelta(seconds=float(seconds))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _text(value: Any) -> str:
    """A cell as text, "" where blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


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
        due = due_s[row] if given[row] else created[row] + work_type.target.within_s_for(tier_id or None)
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
    ticket at the agent's speed is an option; tickets nobody has the skill for are noted."""
    options: list[Option] = []
    no_skill: set[int] = set()
    for t, ticket in enumerate(tickets):
        skilled = False
        for a, on_shift in enumerate(agents):
            speed = on_shift.proficiency.get(ticket.work_type)
            if speed is None:
                continue
            skilled = True
            duration = int(math.ceil(ticket.handle_s / speed))
            allowed = tuple((s, e - duration) for s, e in on_shift.windows if e - s >= duration)
            if allowed:
                options.append(Option(t, a, duration, allowed))
        if not skilled:
            no_skill.add(t)
    return AssignProblem(at, horizon_s, tickets, agents, options, quality or {}, no_skill)
