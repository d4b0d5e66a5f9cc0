"""The roster's page: one lane per agent across the roster's days (shifts coloured by skill, breaks lighter, a
tooltip on each), filtered by skill, team, contract or name and paged so a centre of hundreds of agents stays
quick; the coverage heatmap (required vs scheduled per hour and skill, from the plan's or roster job's
`coverage.csv`; scheduled agents alone for an uploaded roster); and the downloads (CSV, Parquet, iCalendar).

`GET /rosters/{id}` is the page, `GET /rosters/{id}/view` the same without the page around it (the plan's page
embeds it), `GET /rosters/{id}/timeline` the filtered page of lanes alone (what the filters and the paging
links fetch). The downloads answer exactly as the API's routes do (`service.app`'s functions).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from models import Center
from models.service import Mode
from models.tables import COVERAGE
from planner.jobs import replay_horizon
from planner.roster import agent_calendars, on_duty
from service.app import (
    roster_calendar_response,
    roster_csv_response,
    roster_parquet_response,
    stored_roster,
)
from service.store import ROLES, find_job_file
from service.store.blobs import from_parquet_blob
from service.store.schema import CenterVersion, Plan, User
from service.store.schema import Roster as RosterRow
from service.tables import read_csv_text
from service.web.common import PageError, is_htmx, page_role, render, store_of
from service.web.sessions import Viewer

__all__ = ["PAGE_SIZE", "cell_pairs", "router"]

router = APIRouter(include_in_schema=False)
#: Who opens the roster's page: the roles that plan, run the day or study the roster.
PAGE_ROLES = ("planner", "supervisor", "analyst")
Reader = Annotated[Viewer, Depends(page_role(*PAGE_ROLES))]
#: Who downloads a roster: every signed-in role that reads rosters through the API.
Downloader = Annotated[Viewer, Depends(page_role(*ROLES))]
#: Agents per page of the timeline.
PAGE_SIZE = 50
#: Prepared rosters kept (a roster's table never changes once stored).
PREPARED_ROSTERS = 8
#: A shortfall smaller than this (agents) counts as covered: the solver's and the hour's rounding.
COVERED_WITHIN = 0.05
MINUTES_PER_DAY = 1440
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# -- the roster prepared for its pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Agent:
    """One lane's heading: who, their team (site, else region), contract, skills (id, colour class), paid hours."""

    id: str
    name: str
    team: str
    contract: str
    skills: tuple[tuple[str, str], ...]
    paid_hours: float
    shifts: int

    @property
    def main_class(self) -> str:
        return self.skills[0][1] if self.skills else "s7"


@dataclass(frozen=True)
class Bar:
    """A rectangle of a lane, in minutes from the first day's local midnight."""

    x: int
    width: int
    title: str
    css: str


@dataclass(frozen=True)
class HeatTable:
    """One skill's hours: `rows` are (day label, cells); a cell is (text, class, title)."""

    skill: str
    caption: str
    hours: tuple[int, ...]
    rows: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]


@dataclass(frozen=True)
class Prepared:
    """What the pages of one stored roster show, computed once."""

    center: Center
    days: tuple[date, ...]
    span: int  # the lanes' width in minutes: the first day's local midnight to the day after the last
    day_x: tuple[int, ...]  # each day's local midnight, in minutes from the first
    day_path: str  # the lines between the days, as an SVG path
    agents: tuple[Agent, ...]
    table: pd.DataFrame
    rows_of: dict[str, np.ndarray]  # agent -> positions of their shifts in `table`
    skill_class: dict[str, str]
    teams: tuple[str, ...]
    heat: tuple[HeatTable, ...]
    requirement_known: bool
    coverage_source: str
    _bars: dict[str, tuple[Bar, ...]] = field(default_factory=dict)

    def bars(self, agent_id: str) -> tuple[Bar, ...]:
        """An agent's shifts and breaks as bars (made on first use: a page shows 50 agents of hundreds)."""
        if agent_id not in self._bars:
            self._bars[agent_id] = tuple(self._make_bars(agent_id))
        return self._bars[agent_id]

    def _make_bars(self, agent_id: str) -> list[Bar]:
        zone = self.center.timezone
        origin = _local_midnight(self.days[0], zone)
        agent = self.center.agents_by_id.get(agent_id)
        css = _main_class(agent, self.skill_class)
        bars = []
        for i in self.rows_of.get(agent_id, np.array([], dtype=np.int64)):
            shift = self.table.iloc[int(i)]
            start, end = pd.Timestamp(shift["start"]), pd.Timestamp(shift["end"])
            breaks = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in cell_pairs(shift["breaks"])]
            away = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in cell_pairs(shift.get("absences"))]
            day = pd.Timestamp(shift["date"]).date()
            words = [f"{_day_label(day)} {_span(start, end, zone)}", f"{shift['shift_template']}"]
            words.append(f"{int(shift['paid_minutes']) / 60:.2f} h paid")
            if breaks:
                words.append("breaks " + ", ".join(_span(a, b, zone) for a, b in breaks))
            else:
                words.append("no break")
            for column, what in (("overtime_minutes", "overtime"), ("vto_minutes", "voluntary time off")):
                value = shift.get(column)
                if value is not None and not pd.isna(value) and int(value):
                    words.append(f"{what} {int(value)} min")
            if away:
                words.append("absent " + ", ".join(_span(a, b, zone) for a, b in away))
            bars.append(Bar(*_place(start, end, origin), "; ".join(words), f"shift {css}"))
            for a, b in breaks:
                bars.append(Bar(*_place(a, b, origin), f"{_day_label(day)} break {_span(a, b, zone)}", "break"))
            for a, b in away:
                bars.append(Bar(*_place(a, b, origin), f"{_day_label(day)} absent {_span(a, b, zone)}", "absent"))
        return bars


_prepared: dict[tuple[str, int, str, str | None], Prepared] = {}
_prepared_lock = threading.Lock()


def prepared(request: Request, roster_id: int) -> tuple[RosterRow, CenterVersion, Prepared]:
    """The stored roster, its centre version and what its pages show (kept for the next request)."""
    store = store_of(request)
    try:
        row, version, center = stored_roster(store, roster_id)
    except HTTPException as exc:
        raise PageError(exc.status_code, str(exc.detail)) from None
    key = (store.url, roster_id, hashlib.sha256(row.table).hexdigest() + version.sha256, row.job_id)
    with _prepared_lock:
        found = _prepared.get(key)
    if found is None:
        coverage = None
        if row.job_id is not None:
            with store.session() as session:
                stored = find_job_file(session, row.job_id, "coverage.csv")
                coverage = None if stored is None else stored.content
        found = _prepare(from_parquet_blob(row.table), center, row.summary, coverage)
        with _prepared_lock:
            while len(_prepared) >= PREPARED_ROSTERS:
                del _prepared[next(iter(_prepared))]
            _prepared[key] = found
    return row, version, found


def _prepare(table: pd.DataFrame, center: Center, summary: dict[str, Any], coverage: bytes | None) -> Prepared:
    table = table.reset_index(drop=True)
    skill_class = {skill.id: f"s{i % 10}" for i, skill in enumerate(center.skills)}
    ids = table["agent_id"].astype(str).to_numpy()
    paid = table["paid_minutes"].to_numpy(dtype=float)
    order = np.argsort(ids, kind="stable")
    unique, first = np.unique(ids[order], return_index=True)
    rows_of = dict(zip(unique.tolist(), np.split(order, first[1:]), strict=True)) if len(ids) else {}
    minutes = {agent_id: float(paid[rows].sum()) for agent_id, rows in rows_of.items()}
    agents = tuple(
        Agent(
            id=a.id,
            name=a.name,
            team=_team(a),
            contract=a.contract,
            skills=tuple((s.skill, skill_class.get(s.skill, "s7")) for s in a.skills),
            paid_hours=minutes.get(a.id, 0.0) / 60,
            shifts=len(rows_of.get(a.id, ())),
        )
        for a in center.agents
    )
    days = _days(table, summary)
    origin = _local_midnight(days[0], center.timezone)
    day_x = tuple(_minutes(_local_midnight(d, center.timezone) - origin) for d in days)
    span = _minutes(_local_midnight(days[-1] + pd.Timedelta(days=1), center.timezone) - origin)
    if coverage is not None:
        frame = read_csv_text(coverage.decode("utf-8"), COVERAGE, "coverage.csv", center.timezone)
        heat, known, source = _required_heat(frame, center, days), True, "the roster's coverage.csv"
    else:
        heat, known, source = _scheduled_heat(table, center, days), False, ""
    return Prepared(
        center=center,
        days=days,
        span=span,
        day_x=day_x,
        day_path="".join(f"M{x} 0V24" for x in day_x[1:]),
        agents=agents,
        table=table,
        rows_of=rows_of,
        skill_class=skill_class,
        teams=tuple(sorted({a.team for a in agents if a.team})),
        heat=heat,
        requirement_known=known,
        coverage_source=source,
    )


def _days(table: pd.DataFrame, summary: dict[str, Any]) -> tuple[date, ...]:
    if summary.get("first_day") and summary.get("days"):
        first = date.fromisoformat(str(summary["first_day"]))
        count = int(summary["days"])
    elif len(table):
        dates = pd.to_datetime(table["date"])
        first, count = dates.min().date(), (dates.max() - dates.min()).days + 1
    else:
        first, count = date.today(), 1
    return tuple((pd.Timestamp(first) + pd.Timedelta(days=i)).date() for i in range(count))


def _team(agent: Any) -> str:
    """An agent's team as the centre names it: their site, else their region."""
    return str(agent.site or agent.region or "")


def _main_class(agent: Any, skill_class: dict[str, str]) -> str:
    return skill_class.get(agent.skills[0].skill, "s7") if agent is not None and agent.skills else "s7"


def cell_pairs(value: Any) -> list[tuple[Any, Any]]:
    """A roster's cell of [start, end] pairs (breaks, absences: a JSON list, or the list itself) as pairs; none for
    a blank cell."""
    if value is None or isinstance(value, float) or (not isinstance(value, list | tuple | np.ndarray | str)):
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return [(pair[0], pair[1]) for pair in value]


def _local_midnight(day: Any, zone: str) -> pd.Timestamp:
    return pd.Timestamp(pd.Timestamp(day).date()).tz_localize(zone)


def _minutes(delta: pd.Timedelta) -> int:
    return int(delta / pd.Timedelta(minutes=1))


def _place(start: pd.Timestamp, end: pd.Timestamp, origin: pd.Timestamp) -> tuple[int, int]:
    x = _minutes(start - origin)
    return x, max(_minutes(end - origin) - x, 1)


def _span(start: pd.Timestamp, end: pd.Timestamp, zone: str) -> str:
    a, b = start.tz_convert(zone), end.tz_convert(zone)
    days = (b.date() - a.date()).days
    return f"{a:%H:%M}–{b:%H:%M}" + (f" (+{days})" if days else "")


def _day_label(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b}"


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


# -- the coverage heatmap -------------------------------------------------------------------------------------


def _hourly(frame: pd.DataFrame, zone: str, columns: Sequence[str]) -> pd.DataFrame:
    """Mean of `columns` per skill, local day and hour (agents on the interval grid, averaged over the hour)."""
    local = pd.DatetimeIndex(frame["interval_start"]).tz_convert(zone)
    keyed = frame.assign(day=local.date, hour=local.hour)
    return keyed.groupby(["skill", "day", "hour"], sort=True)[list(columns)].mean()


def _hours_shown(values: pd.DataFrame) -> tuple[int, ...]:
    """The hours from the first to the last with anything required or scheduled (every hour where none)."""
    busy = values[(values > 0).any(axis=1)].index.get_level_values("hour")
    return tuple(range(int(busy.min()), int(busy.max()) + 1)) if len(busy) else tuple(range(24))


def _caption(center: Center, skill: str) -> str:
    kinds = [w for w in center.work_types if w.skill == skill]
    named = next((s.name for s in center.skills if s.id == skill and s.name), "")
    title = f"{named} ({skill})" if named else skill
    if not kinds:
        return title
    text = f"{title}: work types {', '.join(w.id for w in kinds)}"
    if all(w.mode == Mode.DEFERRED for w in kinds):
        text += " (deferred work: planned against its response time, not hour by hour; a short hour may catch up)"
    return text


def _skill_order(center: Center, present: Sequence[str]) -> list[str]:
    known = [s.id for s in center.skills if s.id in present]
    return known + sorted(set(present) - set(known))


def _required_heat(coverage: pd.DataFrame, center: Center, days: Sequence[date]) -> tuple[HeatTable, ...]:
    """Required vs scheduled agents per skill, day and hour (the coverage table's intervals averaged per hour);
    u1..u3: short by up to 10%, 25%, more; o0..o2: covered, over by up to 25%, more."""
    if coverage.empty:
        return ()
    hourly = _hourly(coverage, center.timezone, ("required", "scheduled"))
    hours = _hours_shown(hourly)
    values: dict[Any, Any] = hourly.to_dict("index")
    tables = []
    for skill in _skill_order(center, hourly.index.get_level_values("skill").unique().tolist()):
        rows = []
        for day in days:
            cells = []
            for hour in hours:
                if (skill, day, hour) not in values:
                    cells.append(("", "h0", f"{_day_label(day)} {hour:02d}:00 {skill}: outside the plan"))
                    continue
                required, scheduled = (float(values[(skill, day, hour)][k]) for k in ("required", "scheduled"))
                title = (
                    f"{_day_label(day)} {hour:02d}:00–{hour + 1:02d}:00 {skill}: "
                    f"{_number(scheduled)} scheduled, {_number(required)} required"
                )
                cells.append((f"{_number(scheduled)}/{_number(required)}", _cover_class(required, scheduled), title))
            rows.append((_day_label(day), tuple(cells)))
        tables.append(HeatTable(skill, _caption(center, skill), hours, tuple(rows)))
    return tuple(tables)


def _cover_class(required: float, scheduled: float) -> str:
    if required <= 0:
        return "h0" if scheduled <= 0 else "o2"
    short = required - scheduled
    if short > COVERED_WITHIN:
        share = short / required
        return "u1" if share <= 0.10 else "u2" if share <= 0.25 else "u3"
    over = max(-short, 0.0) / required
    return "o0" if over <= 0.10 else "o1" if over <= 0.25 else "o2"


def _scheduled_heat(table: pd.DataFrame, center: Center, days: Sequence[date]) -> tuple[HeatTable, ...]:
    """Agents on duty (in a shift, not on a break) per main skill, day and hour: each agent counted once, under
    the first skill the centre lists for them; h0..h9 scale to the busiest hour."""
    if table.empty:
        return ()
    duty = on_duty(table, center, replay_horizon(center, table, "roster"))
    main = {a.id: a.skills[0].skill for a in center.agents}
    by_skill = duty.T.groupby([main.get(str(a), "") for a in duty.columns]).sum().T
    long = by_skill.stack().reset_index()
    long.columns = pd.Index(["interval_start", "skill", "scheduled"])
    hourly = _hourly(long, center.timezone, ("scheduled",))
    hours = _hours_shown(hourly)
    most = float(hourly["scheduled"].max()) or 1.0
    counts: dict[Any, Any] = hourly.to_dict("index")
    tables = []
    for skill in _skill_order(center, [s for s in hourly.index.get_level_values("skill").unique() if s]):
        rows = []
        for day in days:
            cells = []
            for hour in hours:
                value = float(counts.get((skill, day, hour), {"scheduled": 0.0})["scheduled"])
                shade = f"h{min(9, math.ceil(9 * value / most))}"
                title = f"{_day_label(day)} {hour:02d}:00–{hour + 1:02d}:00 {skill}: {_number(value)} on duty"
                cells.append((_number(value), shade, title))
            rows.append((_day_label(day), tuple(cells)))
        tables.append(HeatTable(skill, _caption(center, skill), hours, tuple(rows)))
    return tuple(tables)


# -- filters and pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    skill: str = ""
    team: str = ""
    contract: str = ""
    q: str = ""
    page: int = 1

    def query(self, **changes: Any) -> str:
        values = {"skill": self.skill, "team": self.team, "contract": self.contract, "q": self.q, "page": self.page}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        return urlencode(kept)

    def keeps(self, agent: Agent) -> bool:
        if self.skill and all(skill != self.skill for skill, _ in agent.skills):
            return False
        if self.team and agent.team != self.team:
            return False
        if self.contract and agent.contract != self.contract:
            return False
        text = self.q.strip().lower()
        return not text or text in agent.id.lower() or text in agent.name.lower()


def _filters(request: Request, ready: Prepared) -> Filters:
    given = request.query_params
    skills = {s.id for s in ready.center.skills}
    contracts = {c.id for c in ready.center.contracts}
    try:
        page = max(int(given.get("page", "1")), 1)
    except ValueError:
        page = 1
    return Filters(
        skill=given.get("skill", "") if given.get("skill", "") in skills else "",
        team=given.get("team", "") if given.get("team", "") in ready.teams else "",
        contract=given.get("contract", "") if given.get("contract", "") in contracts else "",
        q=given.get("q", "")[:100],
        page=page,
    )


@dataclass(frozen=True)
class Page:
    agents: tuple[Agent, ...]
    total: int
    first: int
    last: int
    page: int
    pages: int


def _page(ready: Prepared, filters: Filters) -> Page:
    kept = [a for a in ready.agents if filters.keeps(a)]
    pages = max(1, math.ceil(len(kept) / PAGE_SIZE))
    page = min(filters.page, pages)
    shown = kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    first = (page - 1) * PAGE_SIZE + 1 if shown else 0
    return Page(tuple(shown), len(kept), first, first + len(shown) - 1 if shown else 0, page, pages)


def _context(request: Request, roster_id: int, ready: Prepared, filters: Filters) -> dict[str, Any]:
    center = ready.center
    return {
        "roster_id": roster_id,
        "ready": ready,
        "center": center,
        "filters": filters,
        "page": _page(ready, filters),
        "skills": [(s.id, s.name or s.id, ready.skill_class[s.id]) for s in center.skills],
        "contracts": [(c.id, c.name or c.id) for c in center.contracts],
        "day_labels": [_day_label(d) for d in ready.days],
        "page_size": PAGE_SIZE,
    }


def _status(request: Request, row: RosterRow) -> dict[str, Any]:
    """Draft or published (by whom, when), who made it (the job or upload) and the plan it belongs to."""
    with store_of(request).session() as session:
        publisher = session.get(User, row.published_by) if row.published_by is not None else None
        plan_id = session.scalar(select(Plan.id).where(Plan.roster_id == row.id))
        return {
            "status": row.status,
            "published_by": publisher.name if publisher is not None else None,
            "published_at": _when(row.published_at),
            "created_at": _when(row.created_at),
            "uploaded_by": row.summary.get("uploaded_by"),
            "job_id": row.job_id,
            "plan_id": plan_id,
        }


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _fragment_headers(request: Request, roster_id: int, filters: Filters) -> dict[str, str]:
    """The roster page's address of a filtered timeline, for the browser's history (only on the roster's page:
    the plan's page that embeds the timeline keeps its own address)."""
    current = urlsplit(request.headers.get("hx-current-url", "")).path
    if is_htmx(request) and current == f"/rosters/{roster_id}":
        query = filters.query()
        return {"HX-Push-Url": f"/rosters/{roster_id}" + (f"?{query}" if query else "")}
    return {}


# -- routes ---------------------------------------------------------------------------------------------------


@router.get("/rosters/{roster_id:int}")
def roster_page(request: Request, roster_id: int, viewer: Reader) -> HTMLResponse:
    row, version, ready = prepared(request, roster_id)
    return render(
        request,
        "roster/page.html",
        viewer,
        version=version,
        info=_status(request, row),
        summary=row.summary,
        **_context(request, roster_id, ready, _filters(request, ready)),
    )


@router.get("/rosters/{roster_id:int}/view")
def roster_view(request: Request, roster_id: int, viewer: Reader) -> HTMLResponse:
    _, _, ready = prepared(request, roster_id)
    return render(request, "roster/view.html", viewer, **_context(request, roster_id, ready, _filters(request, ready)))


@router.get("/rosters/{roster_id:int}/timeline")
def roster_timeline(request: Request, roster_id: int, viewer: Reader) -> HTMLResponse:
    _, _, ready = prepared(request, roster_id)
    filters = _filters(request, ready)
    response = render(request, "roster/_timeline.html", viewer, **_context(request, roster_id, ready, filters))
    response.headers.update(_fragment_headers(request, roster_id, filters))
    return response


def _download(make: Callable[[], Response]) -> Response:
    try:
        return make()
    except HTTPException as exc:
        raise PageError(exc.status_code, str(exc.detail)) from None


@router.get("/rosters/{roster_id:int}.csv")
def roster_csv_download(request: Request, roster_id: int, _: Downloader) -> Response:
    response = _download(lambda: roster_csv_response(store_of(request), roster_id, request.app.state.roster_csvs))
    response.headers["Content-Disposition"] = f'attachment; filename="roster-{roster_id}.csv"'
    return response


@router.get("/rosters/{roster_id:int}.parquet")
def roster_parquet_download(request: Request, roster_id: int, _: Downloader) -> Response:
    return _download(lambda: roster_parquet_response(store_of(request), roster_id))


@router.get("/rosters/{roster_id:int}/calendars/{agent_id}.ics")
def roster_calendar_download(request: Request, roster_id: int, agent_id: str, _: Downloader) -> Response:
    response = _download(lambda: roster_calendar_response(store_of(request), roster_id, agent_id))
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe_name(agent_id)}.ics"'
    return response


@router.get("/rosters/{roster_id:int}/calendars.zip")
def roster_calendars_zip(request: Request, roster_id: int, _: Downloader) -> Response:
    """Every agent's iCalendar file of the roster (the same files as `.../calendars/{agent}.ics`), zipped."""
    try:
        row, _version, center = stored_roster(store_of(request), roster_id)
    except HTTPException as exc:
        raise PageError(exc.status_code, str(exc.detail)) from None
    table = from_parquet_blob(row.table)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(agent_calendars(table, center).items()):
            archive.writestr(name, content)
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="roster-{roster_id}-calendars.zip"'},
    )


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "agent"
