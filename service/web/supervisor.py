"""The supervisor's page (today): actual against forecast so far, the reforecast, absences, the re-plan of the
rest of the day with its changes to accept or reject, the open tickets' assignment.

- `GET /today[?center=&day=&at=]`: a centre with a published roster, the day and the moment (now where it falls
  in the roster's days, else its first day at 12:00), the re-plan's form (the actuals so far as a file, the
  absences as rows to add and remove, the forecast) and the open tickets' form; the centre's recent re-plans.
- `POST /today/replan`: queues the `intraday` job with the API's parameters (a supervisor, as the API allows), then
  `GET /today/replans/{job}` shows its progress (polled) and, once done, actual against forecast so far, the
  reforecast with its p10-p90 band (SVG charts served by `/today/replans/{job}/so-far.svg` and `reforecast.svg`,
  the same figures in tables), the rest of the day as published and as re-planned, and the proposed changes per
  agent, each agent's to accept or decline (an agent's day is one choice of the re-plan);
- `POST /today/replans/{job}/apply`: publishes the accepted ones by the API's own function
  (`service.routes_intraday.apply_intraday`): the new roster, or why not (409, 422);
- `POST /today/tickets`: the open tickets (a file or pasted CSV, the open-tickets contract) assigned on the published
  roster by the dispatch's own function (`service.app.dispatch_tickets`), sorted by predicted lateness.

The forecast of a re-plan is the one the roster was planned on: the plan's `forecast.csv` and `requirement.csv`
(stored once as datasets of the centre, made by the plan's job), or those an earlier re-plan used; any other stored
forecast of the centre may be chosen instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from matplotlib.figure import Figure
from sqlalchemy import select

from models import FORECAST, OPEN_TICKETS, Center, InputError, Problem
from planner.assign import AssignSettings
from service.app import DISPATCH_WORKERS, dispatch_tickets
from service.datasets import Upload, dataset_meta, read_table_upload
from service.kinds import JOB_ROLES
from service.kinds.base import stored_center
from service.routes_intraday import APPLIERS, apply_intraday
from service.store import CenterVersion, Dataset, Job, Roster, Store, User, find_job_file
from service.store.blobs import from_parquet_blob, to_parquet_blob
from service.store.schema import Center as CenterRow
from service.tables import read_csv_text
from service.web.common import (
    PageError,
    action_role,
    is_htmx,
    job_of_kind,
    page_role,
    problems_of,
    render,
    store_of,
    svg_response,
)
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: Who sees the day: a supervisor and a planner.
VIEWERS = ("supervisor", "planner")
Supervisor = Annotated[Viewer, Depends(page_role(*VIEWERS))]
#: Who re-plans the day: whom the API lets submit the intraday job.
Replanner = Annotated[Viewer, Depends(action_role(*JOB_ROLES["intraday"]))]
Applier = Annotated[Viewer, Depends(action_role(*APPLIERS))]
Dispatcher = Annotated[Viewer, Depends(action_role(*JOB_ROLES["assign"]))]
#: The moment shown when now is outside the published roster's days (the demo's week is ahead).
DEFAULT_HOUR = "12:00"
#: Absence rows the form shows at most.
MAX_ABSENCES = 50
#: What each kind of change means to a supervisor.
CHANGE_NAMES = {
    "overtime": "shift extended (overtime)",
    "vto": "shift cut (voluntary time off)",
    "start_move": "shift moved",
    "break_move": "break moved",
    "call_in": "called in",
    "absence": "absent",
}
#: The dispatch's search time from the page, in seconds.
DISPATCH_TIME_LIMIT_S = 2.0
ALL_ENDED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class Day:
    """The page's choice: the centre, its latest published roster, the day and the moment."""

    center_id: int
    center_name: str
    roster: Roster
    center: Center
    first_day: date
    days: int
    day: date
    at: str  # HH:MM, the centre's local time

    @property
    def moment(self) -> str:
        return f"{self.day.isoformat()}T{self.at}"

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)


@dataclass
class Absence:
    agent: str = ""
    start: str = ""
    end: str = ""
    reason: str = "sick"


# -- the page -------------------------------------------------------------------------------------------------------


@router.get("/today")
def today(
    request: Request, viewer: Supervisor, center: int | None = None, day: str | None = None, at: str | None = None
) -> HTMLResponse:
    store = store_of(request)
    chosen = _day(store, center, day, at)
    return _today_page(request, viewer, chosen, absences=[Absence()])


@router.post("/today/replan")
def replan(
    request: Request,
    viewer: Replanner,
    center: Annotated[int, Form()],
    day: Annotated[str, Form()],
    at: Annotated[str, Form()],
    forecast: Annotated[str, Form()] = "",
    actuals: Annotated[UploadFile | None, File()] = None,
    open_tickets: Annotated[UploadFile | None, File()] = None,
    agent: Annotated[list[str] | None, Form()] = None,
    start: Annotated[list[str] | None, Form()] = None,
    end: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[list[str] | None, Form()] = None,
    edit: Annotated[str, Form()] = "",
    time_limit_s: Annotated[float, Form()] = 4.0,
    replications: Annotated[int, Form()] = 10,
    max_changes: Annotated[int, Form()] = 15,
) -> Response:
    """Queue the re-plan (or, with `edit`, add or remove an absence row and show the form again); the open tickets,
    where given, are re-assigned on the re-planned day."""
    store = store_of(request)
    chosen = _day(store, center, day, at)
    if chosen is None:
        raise PageError(409, "No centre has a published roster to re-plan.")
    rows = _absence_rows(agent, start, end, reason)
    if edit:
        rows = _edited(rows, edit)
        if is_htmx(request):
            return _absences_fragment(request, viewer, chosen, rows)
        return _today_page(request, viewer, chosen, absences=rows)
    try:
        if actuals is None or not actuals.filename:
            raise InputError("actuals", Problem("", "no file was chosen", "choose the file of today's contacts so far"))
        text = _text(Upload(actuals.filename, actuals.file.read()))
        params = _replan_params(store, viewer.user, chosen, forecast, text, rows)
        params |= {"time_limit_s": time_limit_s, "replications": replications, "max_changes": max_changes}
        if open_tickets is not None and open_tickets.filename:
            params["tickets_csv"] = _text(Upload(open_tickets.filename, open_tickets.file.read()))
        job_id = request.app.state.jobs.submit("intraday", params, viewer.user)
    except InputError as error:
        return _today_page(
            request, viewer, chosen, absences=rows, status_code=422, problems=problems_of(error), source=error.source
        )
    return RedirectResponse(f"/today/replans/{job_id}", status_code=303)


@router.post("/today/absences")
def absence_rows(
    request: Request,
    viewer: Replanner,
    center: Annotated[int, Form()],
    day: Annotated[str, Form()],
    at: Annotated[str, Form()],
    agent: Annotated[list[str] | None, Form()] = None,
    start: Annotated[list[str] | None, Form()] = None,
    end: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[list[str] | None, Form()] = None,
    edit: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The absences' rows with one added or removed (the form's fragment, for HTMX)."""
    chosen = _day(store_of(request), center, day, at)
    return _absences_fragment(request, viewer, chosen, _edited(_absence_rows(agent, start, end, reason), edit))


def _today_page(
    request: Request,
    viewer: Viewer,
    chosen: Day | None,
    *,
    absences: list[Absence],
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    store = store_of(request)
    context: dict[str, Any] = {"chosen": chosen, "centres": _centres(store), "absences": absences}
    if chosen is not None:
        context |= {
            "agents": _agents_on(chosen),
            "forecasts": _forecast_choices(store, chosen),
            "replans": _recent_replans(store, chosen.center_id),
            "can_replan": viewer.role in JOB_ROLES["intraday"],
            "can_dispatch": viewer.role in JOB_ROLES["assign"],
        }
    return render(request, "supervisor/today.html", viewer, status_code=status_code, **context, **extra)


def _absences_fragment(request: Request, viewer: Viewer, chosen: Day | None, rows: list[Absence]) -> HTMLResponse:
    agents = [] if chosen is None else _agents_on(chosen)
    return render(request, "supervisor/_absences.html", viewer, chosen=chosen, absences=rows, agents=agents)


# -- the re-plan ----------------------------------------------------------------------------------------------------


@router.get("/today/replans/{job_id}")
def replan_page(request: Request, viewer: Supervisor, job_id: str) -> HTMLResponse:
    return render(request, "supervisor/replan.html", viewer, **_replan_context(store_of(request), job_id, viewer))


@router.get("/today/replans/{job_id}/progress")
def replan_progress(request: Request, viewer: Supervisor, job_id: str) -> HTMLResponse:
    """The re-plan's part of its page: its progress while it runs (polled), its results once it ends."""
    return render(request, "supervisor/_replan.html", viewer, **_replan_context(store_of(request), job_id, viewer))


@router.post("/today/replans/{job_id}/cancel")
def cancel_replan(request: Request, viewer: Replanner, job_id: str) -> Response:
    _job(store_of(request), job_id)
    request.app.state.jobs.cancel(job_id, viewer.user.name)
    if is_htmx(request):
        return replan_progress(request, viewer, job_id)
    return RedirectResponse(f"/today/replans/{job_id}", status_code=303)


@router.post("/today/replans/{job_id}/apply")
def apply(
    request: Request, viewer: Applier, job_id: str, accept: Annotated[list[str] | None, Form()] = None
) -> HTMLResponse:
    """Publish the re-plan with the changes of the agents accepted (all of an agent's, or none)."""
    store = store_of(request)
    job = _job(store, job_id)
    proposed = [c for c in (job.result or {}).get("changes", []) if c["change"] != "absence"]
    chosen = set(accept or [])
    ids = [int(c["id"]) for c in proposed if str(c["agent_id"]) in chosen]
    outcome: dict[str, Any]
    status_code = 200
    try:
        outcome = {"applied": apply_intraday(store, job_id, viewer.user, {"changes": ids})}
    except HTTPException as refused:
        status_code = refused.status_code
        outcome = {"message": str(refused.detail), "level": "error"}
    except InputError as error:
        status_code = 422
        outcome = {"problems": problems_of(error), "source": error.source}
    if is_htmx(request):
        return render(request, "supervisor/_applied.html", viewer, status_code=status_code, o=outcome, oob=True)
    context = _replan_context(store, job_id, viewer) | {"outcome": outcome}
    return render(request, "supervisor/replan.html", viewer, status_code=status_code, **context)


@router.get("/today/replans/{job_id}/so-far.svg")
def so_far_chart(request: Request, viewer: Supervisor, job_id: str) -> Response:
    """Actual against forecast so far per work type (bars)."""
    rows = _so_far(_done(store_of(request), job_id))
    figure = Figure(figsize=(6.4, 0.5 + 0.55 * max(len(rows), 1)))
    ax = figure.subplots()
    positions = list(range(len(rows)))
    ax.barh([p + 0.2 for p in positions], [r["forecast"] for r in rows], height=0.4, color="#9ecae1", label="forecast")
    ax.barh([p - 0.2 for p in positions], [r["actual"] for r in rows], height=0.4, color="#08519c", label="actual")
    ax.set_yticks(positions, [r["work_type"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("contacts so far")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return svg_response(figure)


@router.get("/today/replans/{job_id}/reforecast.svg")
def reforecast_chart(request: Request, viewer: Supervisor, job_id: str) -> Response:
    """The reforecast of the rest of the day per work type: its volume, the p10-p90 band, the day-ahead forecast."""
    store = store_of(request)
    job = _done(store, job_id)
    table = _reforecast(store, job)
    work_types = list(dict.fromkeys(table["work_type"]))
    figure = Figure(figsize=(6.4, 0.4 + 1.5 * max(len(work_types), 1)))
    axes = figure.subplots(max(len(work_types), 1), 1, sharex=True, squeeze=False)
    for ax, work_type in zip(axes[:, 0], work_types, strict=False):
        mine = table[table["work_type"] == work_type]
        ax.fill_between(
            mine["local"], mine["volume_p10"], mine["volume_p90"], color="#c6dbef", step="post", label="p10-p90"
        )
        ax.step(mine["local"], mine["volume"], where="post", color="#08519c", label="reforecast")
        if mine["forecast"].notna().any():
            ax.step(mine["local"], mine["forecast"], where="post", color="#e69f00", linestyle="--", label="forecast")
        ax.set_ylabel(work_type, rotation=0, ha="right", va="center")
        ax.spines[["top", "right"]].set_visible(False)
    axes[0, 0].legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False, ncol=3, fontsize="small")
    axes[-1, 0].set_xlabel("local time")
    import matplotlib.dates as mdates

    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))  # type: ignore[no-untyped-call]
    figure.tight_layout()
    return svg_response(figure)


def _replan_context(store: Store, job_id: str, viewer: Viewer) -> dict[str, Any]:
    job = _job(store, job_id)
    context: dict[str, Any] = {
        "job": job,
        "job_id": job_id,
        "ended": job.status in ALL_ENDED,
        "can_apply": viewer.role in APPLIERS,
        "can_cancel": viewer.role in JOB_ROLES["intraday"],
    }
    if job.status != "done" or not job.result:
        return context
    center = stored_center(store, job.center_version_id) if job.center_version_id is not None else None
    assert center is not None
    zone = center.timezone
    result = job.result
    summary = result["summary"]
    changes = [_change(c, zone) for c in result["changes"]]
    proposed = [c for c in changes if c["change"] != "absence"]
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for change in proposed:
        by_agent.setdefault(str(change["agent_id"]), []).append(change)
    with store.sessions() as session:
        published = session.scalars(
            select(Roster.id).where(Roster.job_id == job_id, Roster.status == "published")
        ).first()
        version = session.get(CenterVersion, job.center_version_id)
        center_row = session.get(CenterRow, version.center_id) if version is not None else None
    reforecast = _reforecast(store, job)
    return context | {
        "center": center,
        "center_id": None if center_row is None else center_row.id,
        "center_name": None if center_row is None else center_row.name,
        "summary": summary,
        "at_local": _local(summary["at"], zone),
        "so_far": _so_far(job),
        "rest": _rest_of_day(reforecast, summary.get("reforecast", {})),
        "intervals": reforecast.to_dict("records"),
        "outlook": _outlook(summary),
        "absences": [c for c in changes if c["change"] == "absence"],
        "by_agent": by_agent,
        "published": published,
        "assignment": _assignment_rows(store, job_id, zone),
    }


def _job(store: Store, job_id: str) -> Job:
    return job_of_kind(store, job_id, "intraday", "re-plan")


def _done(store: Store, job_id: str) -> Job:
    job = _job(store, job_id)
    if job.status != "done" or not job.result:
        raise PageError(409, f"The re-plan is {job.status}: it has no figures yet.")
    return job


def _file(store: Store, job_id: str, name: str) -> bytes | None:
    with store.sessions() as session:
        found = find_job_file(session, job_id, name)
        return None if found is None else bytes(found.content)


def _so_far(job: Job) -> list[dict[str, Any]]:
    """Actual and forecast contacts so far per work type, and the reforecast's multiplier with its band."""
    assert job.result is not None
    rows = []
    for work_type, figures in job.result["summary"].get("reforecast", {}).items():
        actual, forecast = float(figures["actual_so_far"]), float(figures["forecast_so_far"])
        rows.append(
            {
                "work_type": work_type,
                "actual": actual,
                "forecast": forecast,
                "difference": None if forecast == 0 else actual / forecast - 1,
                "multiplier": figures.get("multiplier"),
                "p10": figures.get("multiplier_p10"),
                "p90": figures.get("multiplier_p90"),
            }
        )
    return rows


def _reforecast(store: Store, job: Job) -> pd.DataFrame:
    """The reforecast of the rest of the day (the job's `reforecast.csv`) with the day-ahead forecast beside it and
    its local times."""
    content = _file(store, job.id, "reforecast.csv")
    assert job.center_version_id is not None
    center = stored_center(store, job.center_version_id)
    columns = ["interval_start", "work_type", "volume", "volume_p10", "volume_p90", "forecast", "local"]
    if content is None:
        return pd.DataFrame(columns=columns)
    table = read_csv_text(content.decode("utf-8"), FORECAST, "reforecast.csv", center.timezone)
    with store.sessions() as session:
        found = session.get(Dataset, job.params.get("forecast_id"))
        blob = None if found is None else found.table
    if blob is not None:
        forecast = from_parquet_blob(blob)[["interval_start", "work_type", "volume"]].rename(
            columns={"volume": "forecast"}
        )
        table = table.merge(forecast, on=["interval_start", "work_type"], how="left")
    else:
        table["forecast"] = None
    table["local"] = pd.DatetimeIndex(table["interval_start"]).tz_convert(center.timezone).tz_localize(None)
    return table[columns].sort_values(["work_type", "interval_start"], kind="stable").reset_index(drop=True)


def _rest_of_day(reforecast: pd.DataFrame, multipliers: dict[str, Any]) -> list[dict[str, Any]]:
    """The rest of the day per work type: the reforecast's volume with the band of its day-level multiplier (p10 to
    p90: the same rest of the day at those multipliers), and the day-ahead forecast's volume."""
    rows = []
    for work_type, mine in reforecast.groupby("work_type", sort=False):
        volume = float(mine["volume"].sum())
        figures = multipliers.get(str(work_type), {})
        middle = figures.get("multiplier") or 0.0
        low, high = (None, None)
        if middle > 0 and figures.get("multiplier_p10") is not None and figures.get("multiplier_p90") is not None:
            low, high = volume * figures["multiplier_p10"] / middle, volume * figures["multiplier_p90"] / middle
        rows.append(
            {
                "work_type": work_type,
                "volume": volume,
                "p10": low,
                "p90": high,
                "forecast": None if mine["forecast"].isna().all() else float(mine["forecast"].astype(float).sum()),
            }
        )
    return rows


def _outlook(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per work type: the service level the staffing maths expects and the simulated one, as published and as
    re-planned."""
    expected = summary.get("expected_service_level", {})
    simulated = summary.get("simulated_service_level", {})
    work_types = sorted(set(expected.get("before", {})) | set(simulated.get("before", {})))
    rows = []
    for work_type in work_types:
        rows.append(
            {
                "work_type": work_type,
                "expected_before": expected.get("before", {}).get(work_type),
                "expected_after": expected.get("after", {}).get(work_type),
                "simulated_before": simulated.get("before", {}).get(work_type),
                "simulated_after": simulated.get("after", {}).get(work_type),
            }
        )
    return rows


def _change(change: dict[str, Any], zone: str) -> dict[str, Any]:
    return change | {
        "what": CHANGE_NAMES.get(str(change["change"]), str(change["change"])),
        "from": _local(change.get("start"), zone),
        "to": _local(change.get("end"), zone),
    }


def _assignment_rows(store: Store, job_id: str, zone: str) -> list[dict[str, Any]]:
    content = _file(store, job_id, "assignment.csv")
    if content is None:
        return []
    table = pd.read_csv(io.BytesIO(content), dtype={"ticket_id": str, "agent_id": str})
    return _late_first(
        [_ticket_row(row, zone) for row in table.astype(object).where(table.notna(), None).to_dict("records")]
    )


# -- the day's choices ----------------------------------------------------------------------------------------------


def _centres(store: Store) -> list[tuple[int, str]]:
    """The centres with a published roster, by name."""
    with store.sessions() as session:
        rows = session.execute(
            select(CenterRow.id, CenterRow.name)
            .join(CenterVersion, CenterVersion.center_id == CenterRow.id)
            .join(Roster, Roster.center_version_id == CenterVersion.id)
            .where(Roster.status == "published")
            .distinct()
            .order_by(CenterRow.name)
        ).all()
    return [(int(i), str(n)) for i, n in rows]


def _day(store: Store, center_id: int | None, day: str | None, at: str | None) -> Day | None:
    """The page's day: the centre `center_id` (else the first with a published roster), its latest published
    roster, `day` within its days and `at` (HH:MM); defaults as the module says. None without a published roster."""
    centres = _centres(store)
    if not centres:
        return None
    if center_id is None:
        center_id = centres[0][0]
    names = dict(centres)
    if center_id not in names:
        raise PageError(404, f"Centre {center_id} has no published roster; choose another centre.")
    with store.sessions() as session:
        roster = session.scalars(
            select(Roster)
            .join(CenterVersion, Roster.center_version_id == CenterVersion.id)
            .where(CenterVersion.center_id == center_id, Roster.status == "published")
            .order_by(Roster.published_at.desc(), Roster.id.desc())
        ).first()
        assert roster is not None
        session.expunge(roster)
    center = stored_center(store, roster.center_version_id)
    first, days = date.fromisoformat(roster.summary["first_day"]), int(roster.summary["days"])
    now = pd.Timestamp(datetime.now(UTC)).tz_convert(center.timezone)
    if first <= now.date() < first + timedelta(days=days):
        minute = now.hour * 60 + now.minute
        minute -= minute % center.interval_minutes
        default_day, default_at = now.date(), f"{minute // 60:02d}:{minute % 60:02d}"
    else:
        default_day, default_at = first, DEFAULT_HOUR
    chosen_day = _date_or(day, default_day)
    if not first <= chosen_day < first + timedelta(days=days):
        last = first + timedelta(days=days - 1)
        raise PageError(422, f"{chosen_day} is not a day of roster {roster.id} ({first} to {last}); choose one.")
    chosen_at = _time_or(at, default_at)
    return Day(center_id, names[center_id], roster, center, first, days, chosen_day, chosen_at)


def _date_or(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(422, f"'{text}' is not a day: write YYYY-MM-DD.") from None


def _time_or(text: str | None, default: str) -> str:
    if not text:
        return default
    try:
        moment = datetime.strptime(text[:5], "%H:%M")
    except ValueError:
        raise PageError(422, f"'{text}' is not a time of day: write HH:MM.") from None
    return moment.strftime("%H:%M")


def _agents_on(chosen: Day) -> list[dict[str, str]]:
    """The agents with a shift on the day, with their shift in local time (for the absences' choice)."""
    table = from_parquet_blob(chosen.roster.table)
    mine = table[pd.to_datetime(table["date"]).dt.date == chosen.day].sort_values("agent_id")
    zone = chosen.center.timezone
    return [
        {"id": str(row.agent_id), "shift": f"{_local(row.start, zone)}-{_local(row.end, zone)}"}
        for row in mine.itertuples()
    ]


def _forecast_choices(store: Store, chosen: Day) -> list[dict[str, Any]]:
    """The forecasts a re-plan may use: the one the roster was planned on first (its plan's, or the one of the
    re-plan that made it), then the centre's stored forecasts, newest first."""
    choices: list[dict[str, Any]] = []
    with store.sessions() as session:
        job = None if chosen.roster.job_id is None else session.get(Job, chosen.roster.job_id)
        if job is not None and job.kind == "plan":
            choices.append({"value": f"plan:{job.id}", "label": "the forecast the roster was planned on (its plan's)"})
        elif job is not None and job.kind == "intraday" and job.params.get("forecast_id") is not None:
            label = f"the forecast of the re-plan that made the roster (forecast {job.params['forecast_id']})"
            choices.append({"value": f"job:{job.id}", "label": label})
        stored = session.scalars(
            select(Dataset)
            .where(Dataset.center_id == chosen.center_id, Dataset.kind == "forecast")
            .order_by(Dataset.id.desc())
        ).all()
        for row in stored:
            span = f"{str(row.meta.get('start', ''))[:10]} to {str(row.meta.get('end', ''))[:10]}"
            choices.append({"value": str(row.id), "label": f"forecast {row.id}: {row.name} ({span})"})
    return choices


def _replan_params(
    store: Store, user: User, chosen: Day, forecast: str, actuals: str, absences: list[Absence]
) -> dict[str, Any]:
    """The intraday job's parameters (the API's) of the page's form (the absences checked first: a plan's
    forecast is stored as a dataset only for a form that is otherwise complete)."""
    absences_csv = _absences_csv(absences, chosen)
    forecast_id, requirement_id = _forecast(store, user, chosen, forecast)
    params: dict[str, Any] = {
        "roster_id": chosen.roster.id,
        "forecast_id": forecast_id,
        "actuals_csv": actuals,
        "at": chosen.moment,
    }
    if requirement_id is not None:
        params["requirement_id"] = requirement_id
    if absences_csv is not None:
        params["absences_csv"] = absences_csv
    return params


def _forecast(store: Store, user: User, chosen: Day, value: str) -> tuple[int, int | None]:
    """The forecast (and requirement) of the form's choice `value`: `plan:JOB` (the plan's files, stored once as
    datasets of the centre), `job:JOB` (the re-plan's parameters) or a stored forecast's id."""
    fix = "choose a forecast of the centre (a planner uploads one, or plans the roster)"
    if value.startswith(("plan:", "job:")):
        kind, job_id = value.split(":", 1)
        with store.sessions() as session:
            job = session.get(Job, job_id)
            params = {} if job is None else dict(job.params)
        if job is None or job.kind != ("plan" if kind == "plan" else "intraday"):
            raise InputError("forecast", Problem("", f"'{value}' is not a forecast of this roster", fix))
        if kind == "job":
            return int(params["forecast_id"]), params.get("requirement_id")
        forecast_id = _plan_dataset(store, user, chosen, job_id, "forecast")
        if forecast_id is None:
            raise InputError("forecast", Problem("", "the roster's plan kept no forecast.csv", fix))
        return forecast_id, _plan_dataset(store, user, chosen, job_id, "requirement")
    if not value.isdigit():
        raise InputError("forecast", Problem("", "no forecast was chosen", fix))
    return int(value), None


def _plan_dataset(store: Store, user: User, chosen: Day, job_id: str, kind: str) -> int | None:
    """The dataset of the plan job `job_id`'s `KIND.csv` (stored as a dataset of the centre the first time)."""
    with store.session() as session:
        found = session.scalars(
            select(Dataset.id).where(
                Dataset.job_id == job_id, Dataset.kind == kind, Dataset.center_id == chosen.center_id
            )
        ).first()
        if found is not None:
            return int(found)
        stored = find_job_file(session, job_id, f"{kind}.csv")
        if stored is None:
            return None
        table = read_table_upload(Upload(f"{kind}.csv", bytes(stored.content)), kind, chosen.center)
        row = Dataset(
            center_id=chosen.center_id,
            kind=kind,
            name=f"{kind}.csv",
            rows=len(table),
            table=to_parquet_blob(table),
            meta=dataset_meta(kind, table, chosen.center),
            job_id=job_id,
            created_by=user.id,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def _recent_replans(store: Store, center_id: int, limit: int = 10) -> list[dict[str, Any]]:
    with store.sessions() as session:
        rows = session.execute(
            select(Job.id, Job.status, Job.params, Job.created_at)
            .join(CenterVersion, Job.center_version_id == CenterVersion.id)
            .where(Job.kind == "intraday", CenterVersion.center_id == center_id)
            .order_by(Job.created_at.desc())
            .limit(limit)
        ).all()
    return [{"id": i, "status": s, "at": p.get("at"), "created_at": c} for i, s, p, c in rows]


# -- absences ----------------------------------------------------------------------------------------------------------


def _absence_rows(
    agents: list[str] | None, starts: list[str] | None, ends: list[str] | None, reasons: list[str] | None
) -> list[Absence]:
    agents, starts, ends, reasons = agents or [], starts or [], ends or [], reasons or []
    rows = [
        Absence(
            agent=a.strip(),
            start=(starts[i] if i < len(starts) else "").strip(),
            end=(ends[i] if i < len(ends) else "").strip(),
            reason=(reasons[i] if i < len(reasons) else "").strip(),
        )
        for i, a in enumerate(agents[:MAX_ABSENCES])
    ]
    return rows


def _edited(rows: list[Absence], edit: str) -> list[Absence]:
    """The rows with one added (`add`) or the row `remove:I` removed."""
    if edit == "add" and len(rows) < MAX_ABSENCES:
        return [*rows, Absence()]
    if edit.startswith("remove:") and edit[7:].isdigit():
        index = int(edit[7:])
        return [row for i, row in enumerate(rows) if i != index]
    return rows


def _absences_csv(rows: list[Absence], chosen: Day) -> str | None:
    """The absences' rows as the intraday job takes them (agent_id, start, end, reason; local times of the day).
    A row without an agent is left out; a row with an agent and no start is refused."""
    lines = ["agent_id,start,end,reason"]
    problems = []
    for i, row in enumerate(rows):
        if not row.agent:
            continue
        if not row.start:
            problems.append(Problem(f"absence {i + 1}", f"agent {row.agent} has no start", "give the time it starts"))
            continue
        times = []
        for field, value in (("from", row.start), ("to", row.end)):
            try:
                times.append("" if not value else f"{chosen.day.isoformat()}T{_time_or(value, value)}")
            except PageError:
                problems.append(Problem(f"absence {i + 1}, {field}", f"'{value}' is not a time of day", "write HH:MM"))
        if len(times) < 2:
            continue
        start, end = times
        reason = row.reason.replace(",", " ").replace('"', "'").replace("\n", " ") or "absent"
        lines.append(f"{row.agent},{start},{end},{reason}")
    InputError.collect("absences", problems)
    return "\n".join(lines) + "\n" if len(lines) > 1 else None


# -- open tickets ---------------------------------------------------------------------------------------------------


@router.post("/today/tickets")
def assign_open_tickets(
    request: Request,
    viewer: Dispatcher,
    center: Annotated[int, Form()],
    day: Annotated[str, Form()],
    at: Annotated[str, Form()],
    tickets: Annotated[UploadFile | None, File()] = None,
    pasted: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The open tickets assigned from the moment on the centre's published roster (the dispatch's function)."""
    store = store_of(request)
    chosen = _day(store, center, day, at)
    if chosen is None:
        raise PageError(409, "No centre has a published roster to assign the tickets on.")
    outcome: dict[str, Any] = {}
    status_code = 200
    try:
        if tickets is not None and tickets.filename:
            upload = Upload(tickets.filename, tickets.file.read())
        elif pasted.strip():
            upload = Upload("pasted tickets", pasted.encode("utf-8"))
        else:
            raise InputError(
                "tickets", Problem("", "no file was chosen and nothing was pasted", "give the open tickets")
            )
        text = _text(upload)
        table: dict[str, pd.DataFrame] = {}

        def read(zone: str) -> pd.DataFrame:
            table["tickets"] = read_csv_text(text, OPEN_TICKETS, upload.name, zone)
            return table["tickets"]

        settings = AssignSettings(time_limit_s=DISPATCH_TIME_LIMIT_S, workers=DISPATCH_WORKERS)
        done = dispatch_tickets(store, chosen.center_id, chosen.moment, read, settings)
        tiers = {}
        if "customer_tier" in table["tickets"]:
            tiers = dict(zip(table["tickets"]["ticket_id"].astype(str), table["tickets"]["customer_tier"], strict=True))
        rows = [
            _ticket_row(r, chosen.center.timezone) | {"tier": tiers.get(str(r["ticket_id"]))}
            for r in done["assignment"]
        ]
        outcome = {"dispatched": done, "rows": _late_first(rows), "kpis": done["summary"].get("kpis", {})}
    except HTTPException as refused:
        status_code, outcome = refused.status_code, {"message": str(refused.detail), "level": "error"}
    except InputError as error:
        status_code, outcome = 422, {"problems": problems_of(error), "source": error.source}
    if is_htmx(request):
        return render(request, "supervisor/_tickets.html", viewer, status_code=status_code, outcome=outcome)
    return _today_page(request, viewer, chosen, absences=[Absence()], status_code=status_code, tickets=outcome)


def _ticket_row(row: dict[Any, Any], zone: str) -> dict[str, Any]:
    late = row.get("predicted_late_s")
    return {
        "ticket_id": row.get("ticket_id"),
        "tier": row.get("customer_tier"),
        "priority": row.get("priority"),
        "work_type": row.get("work_type"),
        "agent_id": row.get("agent_id"),
        "start": _local(row.get("planned_start"), zone),
        "due": _local(row.get("due_at"), zone, with_day=True),
        "late_minutes": None if late is None or pd.isna(late) else float(late) / 60,
        "reason": row.get("reason"),
    }


def _late_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unassigned tickets first, then the latest first."""
    return sorted(rows, key=lambda r: (r["agent_id"] is not None, -(r["late_minutes"] or 0.0), str(r["ticket_id"])))


# -- helpers --------------------------------------------------------------------------------------------------------


def _text(upload: Upload) -> str:
    try:
        return upload.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(upload.name, Problem("", "is not UTF-8 text", "save the file as UTF-8 CSV")) from None


def _local(value: Any, zone: str, with_day: bool = False) -> str:
    """A moment as the centre's local time of day (HH:MM; with the day where asked); '' for none."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return ""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(zone) if stamp.tzinfo is None else stamp.tz_convert(zone)
    return stamp.strftime("%a %d %b %H:%M" if with_day else "%H:%M")
