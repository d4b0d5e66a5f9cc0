"""The planner's pages: centres and their versions, histories, plans (run, follow, stop), a plan's figures (service
level per work type, capacity diagnosis and remedies), publish and downloads.

- `GET /planner[?center=ID]`: the centres (each with its versions), the chosen centre's histories, plans and runs,
  and the forms to upload a centre's YAML, upload a history and run a plan;
- `POST /planner/centers`, `POST /planner/centers/{id}/histories`, `POST /planner/centers/{id}/plans`: the forms'
  actions, calling what the API's routes call (`store_center`, `store_history`, `jobs.submit("plan", ...)`) with
  the same checks: the problems (file, row, field, fix) in the page with 422, nothing stored;
- `GET /planner/runs/{job_id}` (+ `/progress`, the fragment HTMX polls every second while it runs; `POST .../stop`);
- `GET /planner/plans/{plan_id}`, `POST .../publish`, `GET .../files/NAME` (the files `wfm plan` wrote).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from models import Center, HistoryFormat, InputError, Problem
from planner.reports import target_text, work_type_label
from service.app import CenterUpload, center_at, publish, store_center
from service.datasets import Upload
from service.jobs import FINISHED, JobRunner
from service.kinds import JOB_ROLES
from service.kinds.plan import PLAN_ON
from service.limits import REPORT_CSP
from service.routes_data import store_history
from service.routes_jobs import CANCELLERS, file_response
from service.store import CenterVersion, Dataset, Job, JobFile, Plan, Roster, Store, User, find_job_file
from service.store.blobs import from_parquet_blob
from service.store.schema import Center as CenterRow
from service.web.common import (
    PageError,
    action_role,
    is_htmx,
    job_of_kind,
    page_role,
    problems_of,
    render,
    store_of,
)
from service.web.sessions import Viewer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: The planner's pages are a planner's, as the API's plan routes are (`JOB_ROLES["plan"]`).
ROLES = JOB_ROLES["plan"]
Planner = Annotated[Viewer, Depends(page_role(*ROLES))]
PlannerAction = Annotated[Viewer, Depends(action_role(*ROLES))]
#: What the run form proposes (the API's defaults).
PLAN_DEFAULTS: dict[str, Any] = {
    "days": 7,
    "time_limit_s": 60,
    "loop_budget_s": 300,
    "diagnosis_budget_s": 600,
    "remedies": True,
    "plan_on": "mean",
}
#: The run form's number fields, as the API names them.
PLAN_NUMBERS = ("days", "time_limit_s", "loop_budget_s", "diagnosis_budget_s")
#: A plan's files listed first on its page (the rest follow by name).
MAIN_FILES = ("report.html", "summary.json", "roster.csv", "coverage.csv", "requirement.csv", "forecast.csv")
_STORED = re.compile(r"^(version|same|history)-(\d+)$")


# -- the planner's home: centres, histories, plans ------------------------------------------------------------------


@router.get("/planner")
def planner_home(request: Request, viewer: Planner, center: int | None = None, stored: str | None = None) -> Response:
    """The centres, and the chosen one's (`center`, default the first) histories, plans and forms."""
    return _home(request, viewer, center, notice=_notice(store_of(request), stored))


@router.post("/planner/centers")
async def upload_center(request: Request, viewer: PlannerAction) -> Response:
    """A centre's YAML file: a new centre, or a new version of the centre of that name (`store_center`)."""
    store = store_of(request)
    async with request.form() as form:  # closed at the end: its files' temporary copies go
        try:
            upload = await _file(form, "file", "the centre's YAML file")
            try:
                text = upload.content.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(upload.name, Problem("", "is not UTF-8 text", "save the file as UTF-8")) from None
            before = await run_in_threadpool(_version_count, store)
            made = await run_in_threadpool(
                store_center, store, CenterUpload(yaml=text, filename=upload.filename), viewer.user
            )
        except InputError as error:
            return _home(request, viewer, _int(form.get("center")), status_code=422, center_error=error)
        fresh = await run_in_threadpool(_version_count, store) > before
        return _see(f"/planner?center={made.id}&stored={'version' if fresh else 'same'}-{made.version}")


@router.post("/planner/centers/{center_id}/histories")
async def upload_history(request: Request, viewer: PlannerAction, center_id: int) -> Response:
    """A history of the centre, checked as the API checks it (`store_history`): the problems per row and field."""
    store = store_of(request)
    async with request.form() as form:  # closed at the end: its files' temporary copies go
        try:
            upload = await _file(form, "file", "the history file")
            version = _whole(form, "version")
            fmt = HistoryFormat(
                time_format=_text(form, "time_format"),
                assume_timezone=_text(form, "history_tz"),
                work_type=_text(form, "work_type"),
            )
            made = await run_in_threadpool(_stored_history, store, center_id, upload, viewer.user, version, fmt)
        except InputError as error:
            return _home(request, viewer, center_id, status_code=422, history_error=error, history_form=_values(form))
        return _see(f"/planner?center={center_id}&stored=history-{made['id']}")


@router.post("/planner/centers/{center_id}/plans")
async def run_plan(request: Request, viewer: PlannerAction, center_id: int) -> Response:
    """Queue a plan with the API's parameters (`jobs.submit("plan", ...)`); to its run page."""
    async with request.form() as form:  # closed at the end: its files' temporary copies go
        params = plan_params(center_id, form)
        runner: JobRunner = request.app.state.jobs
        try:
            job_id = await run_in_threadpool(runner.submit, "plan", params, viewer.user)
        except InputError as error:
            sent = _values(form) | {"remedies": "on" if params["remedies"] else ""}
            return _home(request, viewer, center_id, status_code=422, plan_error=error, plan_form=sent)
        return _see(f"/planner/runs/{job_id}")


def plan_params(center_id: int, form: Mapping[str, Any]) -> dict[str, Any]:
    """The run form's fields as the API's plan parameters (`check_plan_params`): numbers as numbers (a field that
    is not one is passed as written, for the check to name it), empty fields left to the API's defaults, the
    remedies check box as true or false."""
    params: dict[str, Any] = {"center_id": center_id}
    for field in ("version", "history_id", *PLAN_NUMBERS):
        value = form.get(field)
        if isinstance(value, str) and value.strip():
            params[field] = _number(value.strip())
    for field in ("start", "plan_on"):
        value = form.get(field)
        if isinstance(value, str) and value.strip():
            params[field] = value.strip()
    params["remedies"] = form.get("remedies") in ("on", "true", "1")
    return params


def _home(
    request: Request,
    viewer: Viewer,
    center_id: int | None,
    status_code: int = 200,
    notice: str | None = None,
    center_error: InputError | None = None,
    history_error: InputError | None = None,
    history_form: dict[str, str] | None = None,
    plan_error: InputError | None = None,
    plan_form: dict[str, str] | None = None,
) -> HTMLResponse:
    store = store_of(request)
    centres = _centres(store)
    chosen = next((c for c in centres if c["id"] == center_id), centres[0] if centres else None)
    histories = [] if chosen is None else _histories(store, chosen["id"])
    plans, runs = ([], []) if chosen is None else _plans(store, chosen["id"])
    form = {**PLAN_DEFAULTS, "history_id": histories[0]["id"] if histories else "", "start": ""}
    if histories:
        form["start"] = histories[0]["next_day"]
    return render(
        request,
        "planner/index.html",
        viewer,
        status_code=status_code,
        centres=centres,
        chosen=chosen,
        histories=histories,
        plans=plans,
        runs=runs,
        notice=notice,
        plan_on=PLAN_ON,
        form=form | (plan_form or {}),
        history_form=history_form or {},
        center_error=_error(center_error),
        history_error=_error(history_error),
        plan_error=_error(plan_error),
    )


def _centres(store: Store) -> list[dict[str, Any]]:
    """Every centre, by name: its latest version's agents and work types, and its versions (who, when, SHA-256)."""
    with store.session() as session:
        rows = list(session.scalars(select(CenterRow).order_by(CenterRow.name)))
        found = session.execute(
            select(CenterVersion, User.name)
            .outerjoin(User, CenterVersion.created_by == User.id)
            .order_by(CenterVersion.center_id, CenterVersion.version.desc())
        ).all()
        versions: dict[int, list[dict[str, Any]]] = {}
        for version, by in found:
            versions.setdefault(version.center_id, []).append(
                {"version": version.version, "by": by or "–", "when": _when(version.created_at), "sha": version.sha256}
            )
        names = [(row.id, row.name) for row in rows]
    out = []
    for center_id, name in names:
        mine = versions.get(center_id, [])
        if not mine:
            continue
        center: Center | None = None
        unreadable = None
        try:
            center = center_at(store, center_id)
        except InputError as error:  # a version stored before the centre's rules changed: said, not a 500
            unreadable = str(error)
        out.append(
            {
                "id": center_id,
                "name": name,
                "version": mine[0]["version"],
                "versions": mine,
                "agents": None if center is None else len(center.agents),
                "work_types": [] if center is None else [w.id for w in center.work_types],
                "timezone": "" if center is None else center.timezone,
                "unreadable": unreadable,
            }
        )
    return out


def _histories(store: Store, center_id: int) -> list[dict[str, Any]]:
    with store.session() as session:
        rows = session.scalars(
            select(Dataset).where(Dataset.center_id == center_id, Dataset.kind == "history").order_by(Dataset.id.desc())
        )
        return [
            {
                "id": row.id,
                "name": row.name,
                "rows": row.rows,
                "kind": row.meta.get("history_kind", ""),
                "first": _day(row.meta.get("start")),
                "last": _day(row.meta.get("end")),
                "next_day": _next_day(row.meta.get("end")),
                "when": _when(row.created_at),
                "warnings": len(row.meta.get("warnings") or []),
            }
            for row in rows
        ]


def _plans(store: Store, center_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The centre's plans, newest first, and its plan runs without a plan (queued, running, failed)."""
    with store.session() as session:
        found = session.execute(
            select(Plan, CenterVersion, Roster.status)
            .join(CenterVersion, Plan.center_version_id == CenterVersion.id)
            .outerjoin(Roster, Plan.roster_id == Roster.id)
            .where(CenterVersion.center_id == center_id)
            .order_by(Plan.id.desc())
        ).all()
        plans = [
            {
                "id": plan.id,
                "job_id": plan.job_id,
                "status": plan.status,
                "roster_id": plan.roster_id,
                "roster_status": roster_status or "",
                "version": version.version,
                "start": plan.start.isoformat(),
                "days": plan.days,
                "when": _when(plan.created_at),
            }
            for plan, version, roster_status in found
        ]
        done = {p["job_id"] for p in plans}
        jobs = session.execute(
            select(Job, CenterVersion.version)
            .join(CenterVersion, Job.center_version_id == CenterVersion.id)
            .where(Job.kind == "plan", CenterVersion.center_id == center_id)
            .order_by(Job.created_at.desc())
            .limit(20)
        ).all()
        runs = [
            {
                "id": job.id,
                "status": job.status,
                "version": version,
                "start": job.params.get("start", ""),
                "days": job.params.get("days", ""),
                "when": _when(job.created_at),
                "error": job.error if job.status == "failed" else None,
            }
            for job, version in jobs
            if job.id not in done
        ]
    return plans, runs


def _notice(store: Store, stored: str | None) -> str | None:
    """The message after a form stored something (`stored` from its redirect: version-N, same-N, history-ID)."""
    match = _STORED.match(stored or "")
    if match is None:
        return None
    kind, number = match.group(1), int(match.group(2))
    if kind == "version":
        return f"Stored as version {number}."
    if kind == "same":
        return f"The file is the same as version {number}, the latest: nothing new stored."
    with store.session() as session:
        row = session.get(Dataset, number)
        if row is None:
            return None
        extra = f" ({len(row.meta.get('warnings') or [])} warnings: see the table)" if row.meta.get("warnings") else ""
        return f"History '{row.name}' stored: {row.rows:,} rows{extra}."


# -- a run: progress, stop ------------------------------------------------------------------------------------------


@router.get("/planner/runs/{job_id}")
def run_page(request: Request, viewer: Planner, job_id: str) -> HTMLResponse:
    job = _plan_job(store_of(request), job_id)
    return render(request, "planner/run.html", viewer, **_run_context(store_of(request), job))


@router.get("/planner/runs/{job_id}/progress")
def run_progress(request: Request, viewer: Planner, job_id: str) -> HTMLResponse:
    """The run's progress line (polled every second while it runs; once it ends, without the polling). A plan
    that ended done sends the browser to its page (`HX-Redirect`)."""
    job = _plan_job(store_of(request), job_id)
    context = _run_context(store_of(request), job)
    # The line changes every second; what a screen reader announces (the run's status and stage) is sent again
    # only when it differs from what the page shows (`shown`, sent back by the polling).
    context["announce_again"] = request.query_params.get("shown") != context["state_key"]
    response = render(request, "planner/_progress.html", viewer, **context, fragment=True)
    if is_htmx(request) and job.status == "done" and context["plan_id"] is not None:
        response.headers["HX-Redirect"] = f"/planner/plans/{context['plan_id']}"
    return response


@router.post("/planner/runs/{job_id}/stop")
def stop_run(request: Request, viewer: PlannerAction, job_id: str) -> Response:
    """Stop the run (its submitter or a planner, as `DELETE /api/jobs/{id}`): a running plan keeps its best
    roster so far."""
    store = store_of(request)
    job = _plan_job(store, job_id)
    if viewer.role not in CANCELLERS and job.created_by != viewer.user.id:
        raise PageError(403, f"Only its submitter or a {', '.join(CANCELLERS)} may stop this run.")
    if job.status in FINISHED:
        raise PageError(409, f"This run is {job.status} already.")
    runner: JobRunner = request.app.state.jobs
    runner.cancel(job_id, viewer.user.name)
    if is_htmx(request):
        context = _run_context(store, _plan_job(store, job_id))
        return render(request, "planner/_progress.html", viewer, **context, fragment=True)
    return _see(f"/planner/runs/{job_id}")


def _plan_job(store: Store, job_id: str) -> Job:
    return job_of_kind(store, job_id, "plan", "plan run")


def _run_context(store: Store, job: Job) -> dict[str, Any]:
    """What the run page and its progress line show: the stage, the roster solve's figures, the loop's pass."""
    progress = job.progress or {}
    result = job.result or {}
    plan_id = result.get("plan_id")
    with store.session() as session:
        version = session.get(CenterVersion, job.center_version_id) if job.center_version_id else None
        center = None if version is None else session.get(CenterRow, version.center_id)
        center_info = None if version is None or center is None else (center.id, center.name, version.version)
        history = session.get(Dataset, job.params.get("history_id", -1))
        history_name = None if history is None else history.name
    started = job.started_at
    elapsed = None
    if started is not None:
        end = job.finished_at or datetime.now(UTC)
        elapsed = (_aware(end) - _aware(started)).total_seconds()
    loop = progress.get("loop") or {}
    stage = progress.get("stage") or ("waiting for a worker" if job.status == "queued" else "starting")
    return {
        "job": job,
        "finished": job.status in FINISHED,
        "stopping": job.status == "running" and job.error is not None,
        "stage": stage,
        "state_key": f"{job.status}: {stage}",
        "objective": _figure(progress.get("objective")),
        "bound": _figure(progress.get("bound")),
        "gap": None if progress.get("gap") is None else f"{100 * float(progress['gap']):.1f}%",
        "solve_s": None if progress.get("elapsed_s") is None else f"{float(progress['elapsed_s']):.1f} s",
        "elapsed": None if elapsed is None else f"{elapsed:.0f} s",
        "loop": loop,
        "plan_id": plan_id,
        "center": center_info,
        "history_name": history_name,
        "params": job.params,
        "when": _when(job.created_at),
    }


# -- a plan: figures, publish, files --------------------------------------------------------------------------------


@router.get("/planner/plans/{plan_id}")
def plan_page(request: Request, viewer: Planner, plan_id: int, published: int = 0) -> HTMLResponse:
    notice = "Published: agents see this roster from now on." if published else None
    return render(request, "planner/plan.html", viewer, **_plan_context(store_of(request), plan_id), notice=notice)


@router.post("/planner/plans/{plan_id}/publish")
def publish_plan(request: Request, viewer: PlannerAction, plan_id: int) -> Response:
    """Publish the plan's roster (`publish`, as `POST /api/rosters/{id}/publish`): one the validator finds rules
    broken in is refused, its problems in the page (422)."""
    store = store_of(request)
    context = _plan_context(store, plan_id)
    roster_id = context["plan"]["roster_id"]
    if roster_id is None:
        raise PageError(409, "This plan has no roster to publish.")
    try:
        publish(store, roster_id, viewer.user)
    except InputError as error:
        context["publish_error"] = _error(error)
        return render(request, "planner/plan.html", viewer, status_code=422, **context)
    except HTTPException as error:
        raise PageError(error.status_code, str(error.detail)) from None
    return _see(f"/planner/plans/{plan_id}?published=1")


@router.get("/planner/plans/{plan_id}/files/{name:path}")
def plan_file(request: Request, viewer: Planner, plan_id: int, name: str) -> Response:
    """One of the plan's files as `wfm plan` wrote it (its report with the report's own content policy)."""
    with store_of(request).session() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise PageError(404, f"There is no plan {plan_id}.")
        found = find_job_file(session, plan.job_id, name)
        if found is None:
            raise PageError(404, f"Plan {plan_id} has no file '{name}'.")
        response = file_response(found)
    if response.media_type is not None and response.media_type.startswith("text/html"):
        response.headers["content-security-policy"] = REPORT_CSP  # inline styles and pictures of its own only
    return response


def _plan_context(store: Store, plan_id: int) -> dict[str, Any]:
    with store.session() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise PageError(404, f"There is no plan {plan_id}.")
        version = session.get(CenterVersion, plan.center_version_id)
        assert version is not None
        centre = session.get(CenterRow, version.center_id)
        assert centre is not None
        roster = None if plan.roster_id is None else session.get(Roster, plan.roster_id)
        job = session.get(Job, plan.job_id)
        history = session.get(Dataset, plan.history_id)
        files = {
            f.name: f.content
            for f in session.scalars(
                select(JobFile).where(
                    JobFile.job_id == plan.job_id, JobFile.name.in_(("summary.json", "simulation/comparison.csv"))
                )
            )
        }
        names = list(session.scalars(select(JobFile.name).where(JobFile.job_id == plan.job_id).order_by(JobFile.name)))
        publisher = None
        if roster is not None and roster.published_by is not None:
            found = session.get(User, roster.published_by)
            publisher = None if found is None else found.name
        roster_info = None
        if roster is not None:
            roster_info = {
                "id": roster.id,
                "status": roster.status,
                "published_by": publisher,
                "published_at": _when(roster.published_at) if roster.published_at else None,
                "violations": [str(v) for v in roster.summary.get("violations", [])],
                "agents": sorted({str(a) for a in from_parquet_blob(roster.table)["agent_id"].unique()}),
            }
        info = {
            "id": plan.id,
            "job_id": plan.job_id,
            "status": plan.status,
            "start": plan.start.isoformat(),
            "days": plan.days,
            "roster_id": plan.roster_id,
            "when": _when(plan.created_at),
            "interrupted": plan.summary.get("interrupted"),
        }
        job_info = None if job is None else {"status": job.status, "error": job.error, "params": job.params}
        centre_info = {"id": centre.id, "name": centre.name, "version": version.version}
        history_name = None if history is None else history.name
    summary = _json(files.get("summary.json")) or dict(plan.summary)
    center = center_at(store, centre.id, version.version)
    main = [n for n in MAIN_FILES if n in names]
    return {
        "plan": info,
        "centre": centre_info,
        "history_name": history_name,
        "job": job_info,
        "roster": roster_info,
        "solve": _solve(summary),
        "levels": service_levels(center, summary, _rows(files.get("simulation/comparison.csv"))),
        "diagnosis": diagnosis(center, summary),
        "notes": _notes(summary),
        "files": main + [n for n in names if n not in main and not n.startswith("calendars/")],
        "publish_error": None,
    }


def service_levels(
    center: Center, summary: Mapping[str, Any], comparison: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """Per work type (as the centre orders them): its target, the levels the plan promises (its own simulation,
    with its 95% interval; the staffing maths' Erlang figure) and the check simulation's (with its interval)."""
    promised = summary.get("promised_service_level") or {}
    kpis = summary.get("kpis") or {}
    erlang = {**(kpis.get("expected_service_level") or {}), **(kpis.get("deferred_work_in_time") or {})}
    checked = {row.get("work_type", ""): row for row in comparison}
    out = []
    for work_type in center.work_types:
        target = work_type.target.service_level
        mine = promised.get(work_type.id) or {}
        check = checked.get(work_type.id, {})
        simulated = _float(check.get("simulated_service_level"))
        if simulated is None:
            state, short = "not simulated", False
        elif simulated >= target:
            state, short = "meets target", False
        else:
            state, short = f"{100 * (target - simulated):.1f} points short", True
        ci = mine.get("ci") or [None, None]
        out.append(
            {
                "id": work_type.id,
                "label": work_type_label(work_type),
                "target_text": target_text(work_type),
                "priority": work_type.priority,
                "target": _percent(target),
                "promised": _percent(mine.get("mean")),
                "promised_ci": _interval(ci[0], ci[1]),
                "erlang": _percent(erlang.get(work_type.id)),
                "simulated": _percent(simulated),
                "simulated_ci": _interval(_float(check.get("service_level_lo")), _float(check.get("service_level_hi"))),
                "state": state,
                "short": short,
            }
        )
    return out


def diagnosis(center: Center, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The capacity diagnosis of the plan's summary: each short work type (simulated against target, agent-hours
    short, what binds and why) with its remedies, best first (as `planner.diagnosis.Diagnosis.ranked` ranks)."""
    names = {w.id: work_type_label(w) for w in center.work_types}
    out = []
    for work_type, short in (summary.get("diagnosis") or {}).items():
        remedies = [
            {
                "rank": rank,
                "kind": r.get("kind", ""),
                "description": r.get("description", ""),
                "cost": _amount(r.get("extra_weekly_cost")),
                "hours": _amount(r.get("extra_paid_hours")),
                "simulated": _percent((r.get("simulated_service_level") or {}).get(work_type)),
                "meets": bool((r.get("meets_target") or {}).get(work_type)),
            }
            for rank, r in enumerate(short.get("remedies") or [], start=1)
        ]
        out.append(
            {
                "id": work_type,
                "name": names.get(work_type, work_type),
                "skill": short.get("skill", ""),
                "target": _percent(short.get("target_service_level")),
                "simulated": _percent(short.get("simulated_service_level")),
                "short_hours": _amount(short.get("shortfall_agent_hours")),
                "required_hours": _amount(short.get("required_agent_hours")),
                "holders": short.get("holders"),
                "binding": short.get("binding", ""),
                "reason": short.get("reason", ""),
                "remedies": remedies,
            }
        )
    return out


def _solve(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The roster solve's figures, as label and value."""
    kpis = summary.get("kpis") or {}
    figures = [
        ("Solver status", summary.get("status")),
        ("Objective", _figure(summary.get("objective"))),
        ("Best bound", _figure(summary.get("best_bound", summary.get("bound")))),
        ("Gap", None if summary.get("gap") is None else f"{100 * float(summary['gap']):.1f}%"),
        ("Solve time", None if summary.get("solve_time_s") is None else f"{float(summary['solve_time_s']):.1f} s"),
        ("Paid hours", _amount(kpis.get("paid_hours", summary.get("paid_hours")))),
        ("Paid cost", _amount(kpis.get("paid_cost"))),
        ("Shifts", kpis.get("shifts")),
        ("Agents rostered", kpis.get("agents_rostered")),
        ("Validator", summary.get("validator")),
    ]
    return [(label, str(value)) for label, value in figures if value is not None and value != ""]


def _notes(summary: Mapping[str, Any]) -> list[str]:
    loop = summary.get("simulation_in_the_loop") or {}
    notes = [*(loop.get("notes") or []), *(summary.get("notes") or []), *(summary.get("diagnosis_notes") or [])]
    return [str(n) for n in notes]


# -- small helpers --------------------------------------------------------------------------------------------------


def _see(address: str) -> RedirectResponse:
    return RedirectResponse(address, status_code=303)


def _error(error: InputError | None) -> dict[str, Any] | None:
    return None if error is None else {"source": error.source, "problems": problems_of(error)}


async def _file(form: FormData, field: str, what: str) -> Upload:
    """The form's file `field` as an upload; a problem where none was chosen."""
    value = form.get(field)
    if not isinstance(value, UploadFile) or not value.filename:
        raise InputError("form", Problem(field, f"no file chosen for {what}", f"choose {what} and send the form again"))
    return Upload(value.filename, await value.read())


def _stored_history(
    store: Store, center_id: int, upload: Upload, user: User, version: int | None, fmt: HistoryFormat
) -> dict[str, Any]:
    try:
        return store_history(store, center_id, upload, user, version, fmt)
    except HTTPException as error:  # no such centre or version
        raise InputError("form", Problem("version", str(error.detail), "choose a version the centre has")) from None


def _version_count(store: Store) -> int:
    with store.session() as session:
        return len(session.scalars(select(CenterVersion.id)).all())


def _values(form: FormData) -> dict[str, str]:
    """The form's text fields as sent (to show them again with its problems)."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


def _text(form: FormData, field: str) -> str | None:
    value = form.get(field)
    return value.strip() or None if isinstance(value, str) else None


def _whole(form: FormData, field: str) -> int | None:
    text = _text(form, field)
    if text is None:
        return None
    number = _int(text)
    if number is None:
        raise InputError("form", Problem(field, f"{text!r} is not a whole number", "give a version the centre has"))
    return number


def _int(value: object) -> int | None:
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _json(content: bytes | None) -> dict[str, Any] | None:
    if content is None:
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _rows(content: bytes | None) -> list[dict[str, str]]:
    if content is None:
        return []
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def _float(value: object) -> float | None:
    try:
        return None if value in (None, "") else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _percent(value: object) -> str | None:
    number = _float(value)
    return None if number is None else f"{100 * number:.1f}%"


def _interval(low: object, high: object) -> str | None:
    a, b = _percent(low), _percent(high)
    return None if a is None or b is None else f"{a} – {b}"


def _amount(value: object) -> str | None:
    number = _float(value)
    return None if number is None else f"{number:,.1f}".removesuffix(".0")


def _figure(value: object) -> str | None:
    number = _float(value)
    return None if number is None else f"{number:,.1f}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{_aware(moment).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _day(text: object) -> str:
    return text[:10] if isinstance(text, str) else ""


def _next_day(text: object) -> str:
    """The day after a history's last moment (the first day a plan would cover)."""
    if not isinstance(text, str):
        return ""
    try:
        last = datetime.fromisoformat(text)
    except ValueError:
        return ""
    return (last.date() + timedelta(days=1)).isoformat()
