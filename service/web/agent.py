"""An agent's own week (any signed-in user who is an agent of a centre): their shifts on the latest published
roster that holds them (any centre), as a list per day and a small SVG strip, and their calendar.

- `GET /me`: the week; a user with no agent id, or whom no published roster holds, is told what to ask for;
- `GET /me/calendar.ics`: their shifts of that roster as an iCalendar file (with the session cookie), the same
  file as the API's `GET /api/rosters/{id}/calendars/{agent}.ics` (`planner.roster.agent_calendars`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from models import Center
from service.app import roster_calendar_response
from service.kinds.base import stored_center
from service.store import CenterVersion, Roster, Store
from service.store.blobs import from_parquet_blob
from service.store.schema import Center as CenterRow
from service.web.common import PageError, page_role, render, store_of
from service.web.roster_view import cell_pairs
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Viewer, Depends(page_role("planner", "supervisor", "analyst", "viewer"))]
#: How many of the latest published rosters are searched for the agent.
ROSTERS_SEARCHED = 50
#: The week strip's width of one day, in SVG units (10 an hour).
DAY_WIDTH = 240


@dataclass(frozen=True)
class Week:
    """The agent's shifts of the latest published roster that holds them."""

    roster_id: int
    center_name: str
    center: Center
    first_day: date
    days: int
    shifts: pd.DataFrame  # the agent's rows of the roster


@router.get("/me")
def my_week(request: Request, viewer: Anyone) -> HTMLResponse:
    agent_id = viewer.user.agent_id
    week = None if not agent_id else _week(store_of(request), agent_id)
    context: dict[str, Any] = {"agent_id": agent_id, "week": week}
    if week is not None:
        assert agent_id is not None
        context |= {
            "days": _days(week),
            "skills": _skills(week.center, agent_id),
            "strip": _strip(week),
            "api_calendar": f"/api/rosters/{week.roster_id}/calendars/{agent_id}.ics",
        }
    return render(request, "agent/week.html", viewer, **context)


@router.get("/me/calendar.ics")
def my_calendar(request: Request, viewer: Anyone) -> Response:
    """The signed-in agent's shifts as an iCalendar file (RFC 5545), as the API serves it."""
    agent_id = viewer.user.agent_id
    if not agent_id:
        raise PageError(404, "Your user is not an agent: ask the administrator to give it your agent id.")
    week = _week(store_of(request), agent_id)
    if week is None:
        raise PageError(404, f"No published roster holds agent {agent_id} yet: ask your planner to publish one.")
    response = roster_calendar_response(store_of(request), week.roster_id, agent_id)  # the API's own file
    response.headers["Content-Disposition"] = f'attachment; filename="{agent_id}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _week(store: Store, agent_id: str) -> Week | None:
    """The agent's rows of the latest published roster (of any centre) that has a shift of theirs; None if none."""
    with store.sessions() as session:
        rows = session.execute(
            select(Roster, CenterRow.name)
            .join(CenterVersion, Roster.center_version_id == CenterVersion.id)
            .join(CenterRow, CenterVersion.center_id == CenterRow.id)
            .where(Roster.status == "published")
            .order_by(Roster.published_at.desc(), Roster.id.desc())
            .limit(ROSTERS_SEARCHED)
        ).all()
        for roster, name in rows:
            table = from_parquet_blob(roster.table)
            mine = table[table["agent_id"].astype(str) == agent_id]
            if not mine.empty:
                center = stored_center(store, roster.center_version_id)
                first = date.fromisoformat(roster.summary["first_day"])
                shifts = mine.sort_values("start").reset_index(drop=True)
                return Week(roster.id, str(name), center, first, int(roster.summary["days"]), shifts)
    return None


def _days(week: Week) -> list[dict[str, Any]]:
    """Each day of the roster: the date, and the agent's shift (local times, breaks, changes of a re-plan)."""
    zone = week.center.timezone
    by_day = {pd.Timestamp(row["date"]).date(): row for row in week.shifts.to_dict("records")}
    out = []
    for offset in range(week.days):
        day = week.first_day + timedelta(days=offset)
        row = by_day.get(day)
        entry: dict[str, Any] = {"date": day, "shift": None}
        if row is not None:
            entry["shift"] = {
                "start": _local(row["start"], zone),
                "end": _local(row["end"], zone),
                "template": row["shift_template"],
                "paid_minutes": int(row["paid_minutes"]),
                "breaks": [f"{_local(a, zone)}-{_local(b, zone)}" for a, b in cell_pairs(row.get("breaks"))],
                "changes": _changes(row, zone),
            }
        out.append(entry)
    return out


def _skills(center: Center, agent_id: str) -> list[str]:
    agent = next((a for a in center.agents if a.id == agent_id), None)
    if agent is None:
        return []
    return [s.skill if s.proficiency == 1 else f"{s.skill} ({s.proficiency:.0%})" for s in agent.skills]


def _strip(week: Week) -> dict[str, Any]:
    """The week strip's shapes (SVG units: 10 an hour, `DAY_WIDTH` a day): a rectangle per shift, per break and
    per absence, each with its title, and a label per day."""
    zone = week.center.timezone
    origin = pd.Timestamp(week.first_day).tz_localize(zone)
    shapes: list[dict[str, Any]] = []

    def place(start: Any, end: Any) -> tuple[float, float]:
        a = (pd.Timestamp(start).tz_convert(zone) - origin).total_seconds() / 360
        b = (pd.Timestamp(end).tz_convert(zone) - origin).total_seconds() / 360
        a, b = max(a, 0.0), min(b, week.days * DAY_WIDTH)
        return round(a, 1), round(max(b - a, 0.0), 1)

    for row in week.shifts.to_dict("records"):
        x, width = place(row["start"], row["end"])
        day = pd.Timestamp(row["date"]).strftime("%a %d %b")
        title = f"{day}: shift {_local(row['start'], zone)}-{_local(row['end'], zone)}"
        shapes.append({"kind": "shift", "x": x, "width": width, "title": title})
        for a, b in cell_pairs(row.get("breaks")):
            x, width = place(a, b)
            shapes.append(
                {"kind": "break", "x": x, "width": width, "title": f"break {_local(a, zone)}-{_local(b, zone)}"}
            )
        for a, b in cell_pairs(row.get("absences")):
            x, width = place(a, b)
            shapes.append(
                {"kind": "absence", "x": x, "width": width, "title": f"absent {_local(a, zone)}-{_local(b, zone)}"}
            )
    labels = [
        {"x": offset * DAY_WIDTH, "text": (week.first_day + timedelta(days=offset)).strftime("%a %d")}
        for offset in range(week.days)
    ]
    return {"width": week.days * DAY_WIDTH, "shapes": shapes, "labels": labels}


def _changes(row: dict[Any, Any], zone: str) -> list[str]:
    """What a re-plan changed of the day: overtime, time off, absences."""
    notes = []
    for column, what in (("overtime_minutes", "overtime"), ("vto_minutes", "time off")):
        value = row.get(column)
        if value is not None and not pd.isna(value) and int(value):
            notes.append(f"{int(value)} min {what}")
    return notes + [f"absent {_local(a, zone)}-{_local(b, zone)}" for a, b in cell_pairs(row.get("absences"))]


def _local(value: Any, zone: str) -> str:
    return pd.Timestamp(value).tz_convert(zone).strftime("%H:%M")
