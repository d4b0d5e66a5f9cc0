"""The centre's state at a moment of the day, from what a supervisor has: the day's actuals so far and the open
tickets (a `SimulationState` for the simulation to start from).

- Waiting at `at`: a contact of the per-ticket actuals (`models.TICKET_HISTORY`) created before `at` with no first
  response by then (`first_response_at` blank or after `at`) and not closed by then (`resolved_at` blank or after
  `at`: an abandoned call, a ticket closed unanswered); and every open ticket (`models.OPEN_TICKETS`: work still to
  do) created by `at`, with its due time, priority, estimated handle time, tier and id (it replaces an actuals row
  with the same ticket id). A contact flagged `abandoned` gave up before `at`; one flagged `abandoned: false`
  is still waiting, however long. A realtime contact with no response at all and no flag that arrived more than
  `max_realtime_wait_s` before `at` is taken as abandoned, not waiting: per-ticket histories often record an
  abandoned call only as a row without a response, and nobody waits on the phone that long.
- Interval-count actuals (`models.INTERVAL_HISTORY`) carry no queue: nobody is taken as waiting, and the state's
  notes say so.
- Busy agents: `busy` (`InProgress` records) where given; otherwise the contacts of the per-ticket actuals in
  progress at `at` by a named agent (`agent_id`, answered before `at`, `handle_time_s` running past it:
  `in_progress_in_actuals`). Contacts in progress whose agent the actuals do not name are counted in a note: their
  agents start free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models import Center, InputError, Mode, Problem
from models.horizon import Horizon
from planner.shifts import seconds_from
from planner.simulation.scenario import InProgress, SimulationState, WaitingContact

__all__ = ["MAX_REALTIME_WAIT_S", "in_progress_in_actuals", "state_from_history"]

#: A realtime contact with no response that arrived longer ago than this (seconds) is taken as abandoned.
MAX_REALTIME_WAIT_S = 3600.0


def state_from_history(
    center: Center,
    horizon: Horizon,
    at: pd.Timestamp,
    *,
    actuals: pd.DataFrame | None = None,
    open_tickets: pd.DataFrame | None = None,
    busy: Sequence[InProgress] = (),
    max_realtime_wait_s: float = MAX_REALTIME_WAIT_S,
    sources: Mapping[str, str] | None = None,
) -> SimulationState:
    """The state of `center` at `at` (naive: local time in the centre's zone) on `horizon`'s grid (seconds from its
    first interval), from the day's `actuals` (per ticket or interval counts) and the `open_tickets`, with the
    contacts in progress `busy` (see the module's doc). `sources` names the inputs in errors (keys ``actuals``,
    ``open_tickets``, ``at``). Bad input is an `InputError` naming the row and field."""
    names = dict(sources or {})
    origin = pd.Timestamp(horizon.intervals[0])
    interval_s = center.interval_minutes * 60.0
    end_s = len(horizon.intervals) * interval_s
    moment = _aware(pd.Timestamp(at), center.timezone)
    at_s = (moment - origin).total_seconds()
    if not 0 <= at_s < end_s:
        last = origin + pd.Timedelta(seconds=end_s)
        raise InputError(
            names.get("at", "at"),
            Problem("", f"{moment} is outside the simulated days ({origin} to {last})", "give a moment inside them"),
        )
    index = {w.id: i for i, w in enumerate(center.work_types)}
    notes: list[str] = []
    waiting: list[WaitingContact] = []
    if actuals is not None:
        if "created_at" not in actuals and "interval_start" in actuals:
            notes.append(
                "the actuals are interval counts, which carry no queue: the simulation starts with nobody waiting "
                f"at {moment} (give per-ticket actuals with first_response_at for the contacts waiting then)"
            )
        else:
            source = names.get("actuals", "actuals")
            waiting, found = _waiting_in_actuals(actuals, center, index, origin, at_s, max_realtime_wait_s, source)
            notes += found
    if open_tickets is not None:
        source = names.get("open_tickets", "open tickets")
        tickets, found = _open_tickets(open_tickets, center, index, origin, at_s, source)
        notes += found
        replaced = {w.ticket_id for w in tickets}
        waiting = [w for w in waiting if not w.ticket_id or w.ticket_id not in replaced] + tickets
    if not busy and actuals is not None and "created_at" in actuals:
        busy = in_progress_in_actuals(actuals, center, moment)
    agents = {a.id for a in center.agents}
    unknown = [(i, b.agent) for i, b in enumerate(busy) if b.agent not in agents]
    if unknown:
        raise InputError(
            "busy agents",
            Problem(f"busy[{unknown[0][0]}]", f"agent {unknown[0][1]!r} is not in the centre", "name its agents"),
        )
    waiting.sort(key=lambda w: w.arrival_s)
    return SimulationState(at_s, tuple(waiting), tuple(busy), tuple(notes), origin=origin)


def _aware(stamp: pd.Timestamp, timezone: str) -> pd.Timestamp:
    return stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp


def _work_types(frame: pd.DataFrame, index: Mapping[str, int], source: str) -> np.ndarray:
    """The rows' work type indices; a work type the centre lacks is an InputError naming its first row."""
    ids = frame["work_type"].astype(str).to_numpy()
    unknown = [row for row, w in enumerate(ids) if w not in index]
    if unknown:
        raise InputError(
            source,
            Problem(
                f"row {unknown[0] + 1}, column 'work_type'",
                f"work type {ids[unknown[0]]!r} is not in the centre ({len(unknown)} row(s) like it)",
                "give only the centre's work types, or add them to the centre file",
            ),
        )
    return np.array([index[w] for w in ids], dtype=np.int64)


def _column(frame: pd.DataFrame, name: str, default: Any) -> list[Any]:
    if name not in frame:
        return [default] * len(frame)
    return [default if pd.isna(v) else v for v in frame[name].tolist()]


def _flags(frame: pd.DataFrame, name: str) -> list[bool | None]:
    """A boolean column as True, False or None (blank, or no such column)."""
    if name not in frame:
        return [None] * len(frame)
    out: list[bool | None] = []
    for value in frame[name].tolist():
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            out.append(None)
        elif isinstance(value, str):
            out.append(value.strip().lower() in ("true", "1", "yes"))
        else:
            out.append(bool(value))
    return out


def in_progress_in_actuals(actuals: pd.DataFrame, center: Center, at: pd.Timestamp) -> list[InProgress]:
    """The contacts of per-ticket `actuals` being handled at `at` by a named agent (`agent_id`): answered by then
    (`first_response_at`), not resolved by then, and with a `handle_time_s` that runs past `at`."""
    needed = ("agent_id", "first_response_at", "handle_time_s", "created_at")
    if actuals is None or any(c not in actuals for c in needed):
        return []
    zone = center.timezone
    moment = _aware(pd.Timestamp(at), zone)
    index = {w.id: i for i, w in enumerate(center.work_types)}
    agents = {a.id for a in center.agents}
    responded = _seconds(actuals, "first_response_at", moment, zone)
    resolved = _seconds(actuals, "resolved_at", moment, zone)
    handle = np.array(_column(actuals, "handle_time_s", math.nan), dtype=np.float64)
    remaining = responded + handle
    out = []
    for r in np.flatnonzero((responded <= 0) & ~(resolved <= 0) & (remaining > 0)).tolist():
        agent, work_type = str(actuals["agent_id"].iloc[r]), str(actuals["work_type"].iloc[r])
        if agent in agents and work_type in index:
            out.append(InProgress(agent=agent, remaining_s=float(remaining[r]), work_type=index[work_type]))
    return out


def _seconds(frame: pd.DataFrame, name: str, origin: pd.Timestamp, timezone: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return seconds_from(frame[name], origin, timezone)


def _waiting_in_actuals(
    actuals: pd.DataFrame,
    center: Center,
    index: Mapping[str, int],
    origin: pd.Timestamp,
    at_s: float,
    max_realtime_wait_s: float,
    source: str,
) -> tuple[list[WaitingContact], list[str]]:
    zone = center.timezone
    work_type = _work_types(actuals, index, source)
    created = seconds_from(actuals["created_at"], origin, zone)
    before = created < at_s
    if "first_response_at" not in actuals:
        return [], [
            "the actuals have no first_response_at, so which contacts were still waiting cannot be told: the "
            "simulation starts with nobody waiting but the open tickets"
        ]
    responded = _seconds(actuals, "first_response_at", origin, zone)
    resolved = _seconds(actuals, "resolved_at", origin, zone)
    handle = np.array(_column(actuals, "handle_time_s", math.nan), dtype=np.float64)
    answered_by_then = responded <= at_s
    closed_by_then = resolved <= at_s
    flagged = _flags(actuals, "abandoned")  # True: gave up; False: said to be still waiting; None: not said
    gave_up = np.array([f is True for f in flagged], dtype=bool)
    still_waiting = np.array([f is False for f in flagged], dtype=bool)
    waiting = before & ~answered_by_then & ~closed_by_then & ~gave_up
    realtime = np.array([w.mode == Mode.REALTIME for w in center.work_types], dtype=bool)[work_type]
    stale = waiting & realtime & np.isnan(responded) & (at_s - created > max_realtime_wait_s) & ~still_waiting
    waiting &= ~stale
    notes = []
    if stale.any():
        notes.append(
            f"{int(stale.sum()):,} realtime contact(s) of the actuals with no response arrived more than "
            f"{max_realtime_wait_s / 60:g} min before the moment: taken as abandoned, not waiting"
        )
    in_progress = before & answered_by_then & ~closed_by_then & (responded + handle > at_s)
    agents = {a.id for a in center.agents}
    by_whom = np.array([str(a) in agents for a in _column(actuals, "agent_id", "")], dtype=bool)
    unknown = in_progress & ~by_whom
    if unknown.any():
        notes.append(
            f"{int(unknown.sum()):,} contact(s) of the actuals were being handled at the moment; the actuals "
            "do not say by whom, so their agents start free unless given as busy"
        )
    return _contacts(actuals, np.flatnonzero(waiting), created, work_type, handle), notes


def _open_tickets(
    tickets: pd.DataFrame, center: Center, index: Mapping[str, int], origin: pd.Timestamp, at_s: float, source: str
) -> tuple[list[WaitingContact], list[str]]:
    zone = center.timezone
    work_type = _work_types(tickets, index, source)
    created = seconds_from(tickets["created_at"], origin, zone)
    due = _seconds(tickets, "due_at", origin, zone)
    early = np.flatnonzero(due < created)
    if len(early):
        raise InputError(
            source,
            Problem(
                f"row {early[0] + 1}, column 'due_at'",
                f"due before it was created ({len(early)} row(s) like it)",
                "give a due time after created_at, or leave it blank for the work type's target",
            ),
        )
    later = created > at_s
    notes = []
    if later.any():
        notes.append(
            f"{int(later.sum()):,} open ticket(s) created after the moment left out (they had not arrived then)"
        )
    handle = np.array(_column(tickets, "est_handle_time_s", math.nan), dtype=np.float64)
    return _contacts(tickets, np.flatnonzero(~later), created, work_type, handle, due), notes


def _contacts(
    frame: pd.DataFrame,
    rows: np.ndarray,
    created: np.ndarray,
    work_type: np.ndarray,
    handle: np.ndarray,
    due: np.ndarray | None = None,
) -> list[WaitingContact]:
    """The waiting contacts of `frame`'s `rows` (priority, customer tier and ticket id where the frame has them)."""
    priority = _column(frame, "priority", 0)
    tier = _column(frame, "customer_tier", "")
    ticket = _column(frame, "ticket_id", "")
    return [
        WaitingContact(
            arrival_s=float(created[r]),
            work_type=int(work_type[r]),
            priority=int(priority[r]),
            handle_s=float(handle[r]),
            due_s=math.nan if due is None else float(due[r]),
            tier=str(tier[r]),
            ticket_id=str(ticket[r]),
        )
        for r in rows.tolist()
    ]
