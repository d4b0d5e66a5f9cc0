"""Tiny hand-built assignment instances: a centre of a few agents and work types (with customer tiers and regions),
roster rows with breaks, open-ticket rows placed in minutes from the moment of assignment, and an independent
checker of an assignment table against the problem's facts.

The moment of assignment is `AT` (Monday 2026-06-01 09:00, Europe/London). Every time is given in minutes from it,
so a comment like "due at +10" means ten minutes after `AT`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import pandas as pd

from models import Center
from planner.assign import AssignProblem, AssignSettings, Plan
from planner.assign.problem import CAPACITY
from tests.roster_helpers import EARLY, LATE, MONDAY, TZ, at, contract

#: The moment of assignment.
AT = at(MONDAY, "09:00")
#: Each solve's settings: tiny instances are solved to optimality in milliseconds; 2 workers for a 2-core runner.
SETTINGS = AssignSettings(time_limit_s=5.0, workers=2, seed=0)


def minutes(offset: float) -> pd.Timestamp:
    """The instant `offset` minutes after `AT`."""
    return AT + pd.Timedelta(minutes=offset)


def email(
    work_type_id: str = "mail",
    skill: str = "mail",
    *,
    priority: int = 2,
    within_s: int = 3600,
    aht_s: float = 600,
    tier_within_s: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A deferred (email) work type: `within_s` is its response threshold, `aht_s` its default handle time."""
    target: dict[str, Any] = {"service_level": 0.9, "within_s": within_s, "measure": "first_response"}
    if tier_within_s:
        target["tier_within_s"] = tier_within_s
    return {
        "id": work_type_id,
        "channel": "email",
        "mode": "deferred",
        "skill": skill,
        "priority": priority,
        "target": target,
        "aht_s": aht_s,
    }


def call(work_type_id: str = "calls", skill: str = "phone", *, priority: int = 1, aht_s: float = 300) -> dict[str, Any]:
    return {
        "id": work_type_id,
        "channel": "phone",
        "mode": "realtime",
        "skill": skill,
        "priority": priority,
        "target": {"service_level": 0.8, "within_s": 20},
        "aht_s": aht_s,
    }


def chat(
    work_type_id: str = "chats", skill: str = "chat", *, concurrency: int = 3, priority: int = 2, aht_s: float = 600
) -> dict[str, Any]:
    return {
        "id": work_type_id,
        "channel": "chat",
        "mode": "realtime",
        "skill": skill,
        "priority": priority,
        "target": {"service_level": 0.8, "within_s": 60},
        "aht_s": aht_s,
        "concurrency": concurrency,
    }


def person(agent_id: str, *skills: str | tuple[str, float], **extra: Any) -> dict[str, Any]:
    """An agent of these skills (a (skill, proficiency) pair for a slower one) on the `flex` contract."""
    listed = [s if isinstance(s, str) else {"skill": s[0], "proficiency": s[1]} for s in skills]
    return {"id": agent_id, "skills": listed, "contract": "flex", **extra}


def assign_center(
    agents: Iterable[dict[str, Any]],
    work_types: Iterable[dict[str, Any]] = (email(),),
    *,
    tiers: Sequence[dict[str, Any]] = (),
    regions: Sequence[str] = (),
) -> Center:
    """A centre of these agents and work types (always open), with these customer tiers and regions."""
    kinds = list(work_types)
    return Center.model_validate(
        {
            "name": "Tiny assignment test",
            "timezone": TZ,
            "interval_minutes": 15,
            "customer_tiers": list(tiers),
            "regions": list(regions),
            "skills": [{"id": s} for s in sorted({w["skill"] for w in kinds})],
            "work_types": kinds,
            "contracts": [contract()],
            "shift_templates": [EARLY, LATE],
            "agents": list(agents),
        }
    )


def on_shift(agent_id: str, start: float, end: float, *breaks: tuple[float, float]) -> dict[str, Any]:
    """A roster row of `agent_id` working from `start` to `end` minutes after `AT`, less `breaks` (minute pairs)."""
    pairs = [[minutes(b0), minutes(b1)] for b0, b1 in breaks]
    worked = (end - start) - sum(b1 - b0 for b0, b1 in breaks)
    return {
        "agent_id": agent_id,
        "date": minutes(start).tz_convert(TZ).date(),
        "start": minutes(start),
        "end": minutes(end),
        "shift_template": "early",
        "breaks": pairs,
        "paid_minutes": int(worked),
    }


def roster(*rows: dict[str, Any]) -> pd.DataFrame:
    columns = ["agent_id", "date", "start", "end", "shift_template", "breaks", "paid_minutes"]
    return pd.DataFrame(list(rows), columns=columns)


def ticket(
    ticket_id: str,
    work_type: str = "mail",
    *,
    created: float = 0,
    due: float | None = None,
    handle_s: float | None = None,
    priority: int | None = None,
    tier: str | None = None,
    region: str | None = None,
    assigned: str | None = None,
) -> dict[str, Any]:
    """An open ticket created `created` minutes after `AT` (negative: before), due at `due` minutes (None: the
    work type's threshold), of `handle_s` seconds (None: the work type's AHT)."""
    return {
        "ticket_id": ticket_id,
        "work_type": work_type,
        "created_at": minutes(created),
        "priority": priority,
        "due_at": minutes(due) if due is not None else pd.NaT,
        "est_handle_time_s": handle_s,
        "customer_tier": tier,
        "region": region,
        "assigned_agent": assigned,
    }


def tickets(*rows: dict[str, Any]) -> pd.DataFrame:
    """A `models.OPEN_TICKETS` table; the optional columns keep their types when every cell is blank."""
    columns = [
        "ticket_id",
        "work_type",
        "created_at",
        "priority",
        "due_at",
        "est_handle_time_s",
        "customer_tier",
        "region",
        "assigned_agent",
    ]
    frame = pd.DataFrame(list(rows), columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["due_at"] = pd.to_datetime(frame["due_at"])
    frame["priority"] = frame["priority"].astype("Int64")
    frame["est_handle_time_s"] = frame["est_handle_time_s"].astype(float)
    for name in ("customer_tier", "region", "assigned_agent"):
        frame[name] = frame[name].astype(object)
    return frame


def rows(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """An assignment table by ticket id."""
    return {str(r["ticket_id"]): r for r in table.to_dict("records")}


def placed(table: pd.DataFrame) -> dict[str, tuple[str, float, float]]:
    """The assigned tickets as ticket id -> (agent, start, end) in minutes after `AT`."""
    out = {}
    for r in table.to_dict("records"):
        if not pd.isna(r["agent_id"]):
            start = (r["planned_start"] - AT).total_seconds() / 60
            end = (r["planned_end"] - AT).total_seconds() / 60
            out[str(r["ticket_id"])] = (str(r["agent_id"]), start, end)
    return out


def plan_of(problem: AssignProblem, table: pd.DataFrame) -> Plan:
    """The plan behind an assignment table (ticket index -> (option index, start in seconds from `at`)), so that
    any result can be scored with `evaluate`."""
    index = {t.id: i for i, t in enumerate(problem.tickets)}
    agent_index = {a.id: i for i, a in enumerate(problem.agents)}
    option_of = {(o.ticket, o.agent): k for k, o in enumerate(problem.options)}
    plan: Plan = {}
    for r in table.to_dict("records"):
        if pd.isna(r["agent_id"]):
            continue
        t = index[str(r["ticket_id"])]
        k = option_of[(t, agent_index[str(r["agent_id"])])]
        start = (r["planned_start"] - problem.at).total_seconds()
        assert start == int(start), f"ticket {r['ticket_id']} starts off the second: {start}"
        plan[t] = (k, int(start))
    return plan


def violations(problem: AssignProblem, table: pd.DataFrame) -> list[str]:
    """Every way the assignment table breaks the problem's facts, checked from the facts (not from the options):
    one row per ticket, agents with the skill, work inside the agent's working windows and the horizon, taking the
    handle time over the proficiency (rounded up to the second), at any moment an agent's contacts adding up to at
    most one whole agent (each ticket its share; the chat tests check the shares), contacts within `max_concurrency`,
    and lateness and due time as reported."""
    found: list[str] = []
    ids = [t.id for t in problem.tickets]
    if list(table["ticket_id"]) != ids:
        found.append(f"table rows {list(table['ticket_id'])} are not the tickets {ids}, once each in order")
        return found
    agents = {a.id: a for a in problem.agents}
    booked: dict[str, list[tuple[int, int, Fraction, str]]] = {}
    for ticket, r in zip(problem.tickets, table.to_dict("records"), strict=True):
        if pd.isna(r["agent_id"]):
            if pd.isna(r["reason"]) or not r["reason"]:
                found.append(f"{ticket.id} is unassigned without a reason")
            continue
        agent = agents.get(str(r["agent_id"]))
        if agent is None:
            found.append(f"{ticket.id} went to {r['agent_id']}, who is not on shift")
            continue
        if ticket.work_type not in agent.proficiency:
            found.append(f"{ticket.id} ({ticket.work_type}) went to {agent.id}, who lacks the skill")
            continue
        start = (r["planned_start"] - problem.at).total_seconds()
        end = (r["planned_end"] - problem.at).total_seconds()
        expected = math.ceil(ticket.handle_s / agent.proficiency[ticket.work_type])
        if end - start != expected:
            found.append(f"{ticket.id} takes {end - start} s on {agent.id}, not {expected} s")
        if not any(s <= start and end <= e for s, e in agent.windows):
            found.append(f"{ticket.id} on {agent.id} at [{start}, {end}) is outside its windows {agent.windows}")
        if start < 0 or end > problem.horizon_s:
            found.append(f"{ticket.id} at [{start}, {end}) is outside the horizon [0, {problem.horizon_s}]")
        if r["predicted_late_s"] != max(0.0, end - ticket.due_s):
            found.append(f"{ticket.id} predicted_late_s {r['predicted_late_s']} != max(0, {end} - {ticket.due_s})")
        if r["due_at"] != problem.time(ticket.due_s):
            found.append(f"{ticket.id} due_at {r['due_at']} is not {problem.time(ticket.due_s)}")
        share = Fraction(ticket.share, CAPACITY)
        booked.setdefault(agent.id, []).append((int(start), int(end), share, ticket.id))
    for agent_id, items in booked.items():
        cap = agents[agent_id].max_contacts
        for p in sorted({s for s, _, _, _ in items}):
            here = [(sh, name) for s, e, sh, name in items if s <= p < e]
            if sum(sh for sh, _ in here) > 1:
                found.append(f"{agent_id} is overbooked at {p} s: {[name for _, name in here]}")
            if cap and len(here) > cap:
                found.append(f"{agent_id} holds {len(here)} contacts at {p} s, more than {cap}")
    return found
