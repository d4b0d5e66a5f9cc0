"""The planning service's REST API (FastAPI): who is calling (API tokens, roles) and the centres, versioned.

Every route under ``/api`` but ``/api/health`` needs ``Authorization: Bearer TOKEN`` (a token from ``wfm users
add``): a missing or unknown token is 401, a role that may not do the action is 403. Bad input is 422 with the
same problems (where, what, fix) the command line prints; nothing is stored then. OpenAPI at ``/openapi.json`` and
``/docs``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from models import OPEN_TICKETS, ROSTER, Center, InputError, Problem, center_from_yaml
from models.tables import parse_table
from planner.assign import AssignSettings, assign, build_assign_problem
from planner.matching import check_someone_on_shift
from planner.roster import agent_calendars
from service.datasets import base_name
from service.limits import DEFAULT_MAX_UPLOAD_BYTES, NO_TOKEN, UNKNOWN_TOKEN, Guard
from service.rosters import draft_summary
from service.store import ROLES, Store, User
from service.store.blobs import from_parquet_blob, to_parquet_blob
from service.store.schema import Center as CenterRow
from service.store.schema import CenterVersion
from service.store.schema import Roster as RosterRow
from service.tables import csv_text, read_csv_text

__all__ = [
    "CenterOut",
    "CenterUpload",
    "Reader",
    "RosterOut",
    "center_at",
    "create_app",
    "current_user",
    "dispatch_tickets",
    "publish",
    "role",
    "roster_calendar_response",
    "roster_csv_response",
    "roster_parquet_response",
    "store_center",
    "stored_roster",
]

#: Roles that may change centres (upload a version).
EDITORS = ("planner",)
#: The largest centre file accepted, in bytes.
MAX_CENTER_BYTES = 5 * 2**20

_bearer = HTTPBearer(auto_error=False)


class CenterOut(BaseModel):
    id: int
    name: str
    version: int
    versions: int
    sha256: str
    agents: int
    work_types: list[str]


#: The media types a centre's YAML may be sent as, raw.
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
#: The body of `POST /api/centers` as the OpenAPI description gives it (the route reads it by its media type).
CENTER_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["yaml"],
                    "properties": {"yaml": {"type": "string"}, "filename": {"type": "string"}},
                }
            },
        },
    }
}


class CenterUpload(BaseModel):
    yaml: str
    filename: str = "center.yaml"


class RosterUpload(BaseModel):
    csv: str
    filename: str = "roster.csv"
    version: int | None = None  # the centre version it was made for (default: the latest)


class RosterOut(BaseModel):
    id: int
    center_version: int
    status: str
    published_at: datetime | None
    summary: dict[str, Any]


class DispatchRequest(BaseModel):
    at: str
    tickets: list[dict[str, Any]]
    time_limit_s: float = Field(default=0.6, gt=0, le=60)
    horizon_minutes: float | None = Field(default=None, gt=0)
    method: str = "optimal"


def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    """The user whose token the request carries: 401 without one or with an unknown one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, NO_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    store: Store = request.app.state.store
    user = store.user_for_token(credentials.credentials)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, UNKNOWN_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    return user


def role(*allowed: str) -> Callable[[User], User]:
    """A dependency: the calling user where their role is one of `allowed`, else 403."""

    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"a {user.role} may not do this; it needs: {', '.join(allowed)}"
            )
        return user

    return check


Reader = Annotated[User, Depends(role(*ROLES))]
Editor = Annotated[User, Depends(role(*EDITORS))]
Dispatcher = Annotated[User, Depends(role("planner", "supervisor"))]
#: CP-SAT workers of one dispatch (a request is short; the service serves several at once).
DISPATCH_WORKERS = 2


def create_app(store: Store, workers: int = 2, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> FastAPI:
    """The service on `store`, its jobs run by `workers` processes; request bodies larger than `max_upload_bytes`
    are refused (413)."""
    app = FastAPI(
        title="wfm planning service",
        summary="Forecasts, rosters, intraday re-plans and what-if runs of customer-service centres.",
        version="0.1.0",
    )
    app.state.store = store
    roster_csvs = Rendered(RENDERED_ROSTERS)
    app.state.roster_csvs = roster_csvs  # the pages' downloads serve the same texts
    app.add_middleware(Guard, max_bytes=max_upload_bytes)

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        problems = [{"where": p.where, "what": p.what, "fix": p.fix} for p in exc.problems]
        return JSONResponse(status_code=422, content={"source": exc.source, "problems": problems})

    @app.exception_handler(DataError)  # PostgreSQL: an integer past its range, a text with a NUL character
    @app.exception_handler(OverflowError)  # SQLite: an integer past 64 bits
    async def _unstorable(_: Request, exc: Exception) -> JSONResponse:
        what = "holds a number past the store's range or a text with a NUL character"
        fix = "send ids as the API lists them, and text without NUL characters"
        return JSONResponse(status_code=422, content={"source": "request", "problems": [_problem("", what, fix)]})

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_request_problem(error) for error in exc.errors()]
        return JSONResponse(status_code=422, content={"source": "request", "problems": problems})

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/me")
    def me(user: Reader) -> dict[str, Any]:
        return {"name": user.name, "role": user.role}

    @app.post("/api/centers", status_code=status.HTTP_201_CREATED, openapi_extra=CENTER_BODY)
    async def upload_center(request: Request, user: Editor, filename: str = "center.yaml") -> CenterOut:
        """A centre's configuration: its YAML file as the body (`Content-Type: application/yaml`, the file's name
        in `?filename=`), or JSON `{"yaml", "filename"}`. A new centre, or a new version of the centre of that name
        when it differs from its latest version. Checked as `wfm validate` checks it: 422 with the problems."""
        body = await request.body()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                upload = CenterUpload.model_validate_json(body)
            except ValidationError as exc:
                errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
                raise RequestValidationError(errors) from None
        elif kind in YAML_TYPES:
            try:
                upload = CenterUpload(yaml=body.decode("utf-8"), filename=filename)
            except UnicodeDecodeError:
                raise InputError(filename, Problem("", "is not UTF-8 text", "save the file as UTF-8")) from None
        else:
            raise HTTPException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                f"send the centre as Content-Type: application/yaml (or JSON {{yaml, filename}}), not '{kind}'",
            )
        return await run_in_threadpool(store_center, store, upload, user)

    @app.get("/api/centers")
    def list_centers(_: Reader) -> list[CenterOut]:
        with store.session() as session:
            out = []
            for row in session.scalars(select(CenterRow).order_by(CenterRow.name)):
                latest, count = _latest(session, row.id)
                out.append(_center_out(row, latest, count, _parse(latest)))
            return out

    @app.get("/api/centers/{center_id}")
    def get_center(center_id: int, _: Reader, version: int | None = None) -> CenterOut:
        with store.session() as session:
            row = session.get(CenterRow, center_id)
            if row is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no centre {center_id}")
            latest, count = _latest(session, center_id)
            chosen: CenterVersion | None = latest
            if version is not None:
                chosen = session.scalars(
                    select(CenterVersion).where(CenterVersion.center_id == center_id, CenterVersion.version == version)
                ).first()
            if chosen is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"centre {center_id} has no version {version}")
            return _center_out(row, chosen, count, _parse(chosen))

    @app.get("/api/centers/{center_id}/yaml")
    def get_center_yaml(center_id: int, _: Reader, version: int | None = None) -> dict[str, Any]:
        with store.session() as session:
            chosen = _version(session, center_id, version)
            return {"id": center_id, "version": chosen.version, "yaml": chosen.yaml}

    @app.post("/api/centers/{center_id}/rosters", status_code=status.HTTP_201_CREATED)
    def upload_roster(center_id: int, upload: RosterUpload, user: Editor) -> RosterOut:
        """A roster (the roster contract as CSV text) of a centre version (default its latest), kept as a draft,
        with the independent validator's findings."""
        with store.session() as session:
            version = _version(session, center_id, upload.version)
            center = _parse(version)
            source = base_name(upload.filename, "roster.csv")  # a name for messages, never opened
            roster = read_csv_text(upload.csv, ROSTER, source, center.timezone)
            row = RosterRow(
                center_version_id=version.id,
                status="draft",
                table=to_parquet_blob(roster),
                summary=draft_summary(roster, center, source) | {"uploaded_by": user.name},
            )
            session.add(row)
            session.flush()
            return _roster_out(row, version)

    @app.get("/api/centers/{center_id}/rosters")
    def list_rosters(center_id: int, _: Reader) -> list[RosterOut]:
        with store.session() as session:
            rows = session.execute(
                select(RosterRow, CenterVersion)
                .join(CenterVersion, RosterRow.center_version_id == CenterVersion.id)
                .where(CenterVersion.center_id == center_id)
                .order_by(RosterRow.id)
            ).all()
            return [_roster_out(roster, version) for roster, version in rows]

    @app.post("/api/rosters/{roster_id}/publish")
    def publish_roster(roster_id: int, user: Editor) -> RosterOut:
        """Publish a draft roster (by whom, when). One the validator finds rules broken in is refused (422)."""
        return publish(store, roster_id, user)

    @app.get("/api/rosters/{roster_id}.csv")
    def roster_csv(roster_id: int, _: Reader) -> Response:
        return roster_csv_response(store, roster_id, roster_csvs)

    @app.get("/api/rosters/{roster_id}.parquet")
    def roster_parquet(roster_id: int, _: Reader) -> Response:
        return roster_parquet_response(store, roster_id)

    @app.get("/api/rosters/{roster_id}/calendars")
    def roster_calendars(roster_id: int, _: Reader) -> dict[str, Any]:
        """The agents with a shift in the roster, each with the address of their iCalendar file."""
        with store.session() as session:
            row = _roster(session, roster_id)
            version = session.get(CenterVersion, row.center_version_id)
            assert version is not None
            agents = sorted(str(a) for a in from_parquet_blob(row.table)["agent_id"].unique())
        return {"roster_id": roster_id, "calendars": {a: f"/api/rosters/{roster_id}/calendars/{a}.ics" for a in agents}}

    @app.get("/api/rosters/{roster_id}/calendars/{agent_id}.ics")
    def roster_calendar(roster_id: int, agent_id: str, _: Reader) -> Response:
        """One agent's shifts of the roster as an iCalendar file (RFC 5545; events keep their UIDs across
        re-published rosters, so a subscribed calendar updates)."""
        return roster_calendar_response(store, roster_id, agent_id)

    @app.post("/api/centers/{center_id}/dispatch")
    def dispatch(center_id: int, request: DispatchRequest, _: Dispatcher) -> dict[str, Any]:
        """Who handles which open ticket from `at`, on the centre's latest published roster: the assignment
        model (skill, tier, region, priority, SLA deadlines, workload balance) within `time_limit_s`."""

        def tickets(zone: str) -> pd.DataFrame:
            return parse_table(pd.DataFrame(request.tickets, dtype=object), OPEN_TICKETS, "tickets", timezone=zone)

        settings = AssignSettings(time_limit_s=request.time_limit_s, workers=DISPATCH_WORKERS)
        return dispatch_tickets(
            store, center_id, request.at, tickets, settings, request.horizon_minutes, request.method
        )

    # Imported here: these routes use this module's auth dependencies.
    from service.routes_data import router as data_routes
    from service.routes_intraday import router as intraday_routes
    from service.routes_jobs import install_jobs
    from service.routes_plans import router as plan_routes

    app.include_router(data_routes)
    app.include_router(plan_routes)
    app.include_router(intraday_routes)
    install_jobs(app, store, workers)  # the job routes and their worker processes (service/jobs.py)
    from service.web import install_pages

    install_pages(app)  # the web pages (service/web/)
    return app


def store_center(store: Store, upload: CenterUpload, user: User) -> CenterOut:
    """A centre's YAML file uploaded by `user`: checked as `wfm validate` checks it (an `InputError` with the
    problems, nothing stored), then a new centre, or a new version of the centre of that name where it differs from
    its latest version (the latest one otherwise). What `POST /api/centers` and the planner's page both call."""
    source = base_name(upload.filename, "center.yaml")  # a name for messages, never opened
    if len(upload.yaml.encode("utf-8")) > MAX_CENTER_BYTES:
        raise InputError(source, Problem("", "is larger than 5 MB", "upload the centre's YAML only"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lint findings are the centre's own notes, not errors
        center = center_from_yaml(upload.yaml, source)
    digest = hashlib.sha256(upload.yaml.encode("utf-8")).hexdigest()
    with store.session() as session:
        row = session.scalars(select(CenterRow).where(CenterRow.name == center.name)).first()
        if row is None:
            row = CenterRow(name=center.name)
            session.add(row)
            session.flush()
        latest = session.scalars(
            select(CenterVersion).where(CenterVersion.center_id == row.id).order_by(CenterVersion.version.desc())
        ).first()
        if latest is None or latest.sha256 != digest:
            number = 1 if latest is None else latest.version + 1
            latest = CenterVersion(
                center_id=row.id, version=number, yaml=upload.yaml, sha256=digest, created_by=user.id
            )
            session.add(latest)
            session.flush()
        count = session.scalar(select(func.count()).where(CenterVersion.center_id == row.id)) or 0
        return _center_out(row, latest, int(count), center)


def publish(store: Store, roster_id: int, user: User) -> RosterOut:
    """Publish the draft roster `roster_id` (by `user`, now; a published one stays as it was). One the validator
    finds rules broken in is refused (an `InputError` with the first 20); 404 for no such roster. What `POST
    /api/rosters/{id}/publish` and the planner's page both call."""
    with store.session() as session:
        row = _roster(session, roster_id)
        broken = row.summary.get("violations", [])
        if broken:
            raise InputError(
                f"roster {roster_id}",
                [Problem("", str(v), "fix the roster and upload it again") for v in broken[:20]],
            )
        if row.status != "published":
            row.status, row.published_by, row.published_at = "published", user.id, datetime.now(UTC)
        version = session.get(CenterVersion, row.center_version_id)
        assert version is not None
        return _roster_out(row, version)


def center_at(store: Store, center_id: int, version: int | None = None) -> Center:
    """The centre `center_id` as its version `version` (default its latest) configures it; 404 without one."""
    with store.session() as session:
        return _parse(_version(session, center_id, version))


def stored_roster(store: Store, roster_id: int) -> tuple[RosterRow, CenterVersion, Center]:
    """The stored roster `roster_id` (detached), the centre version it was made for and that centre; 404 without."""
    with store.session() as session:
        row = _roster(session, roster_id)
        version = session.get(CenterVersion, row.center_version_id)
        assert version is not None
    return row, version, _parse(version)


def roster_csv_response(store: Store, roster_id: int, rendered: Rendered) -> Response:
    """The roster as the roster contract's CSV (`GET /api/rosters/{id}.csv`, and the pages' download)."""
    with store.session() as session:
        blob = _roster(session, roster_id).table
    text = rendered.text(blob, lambda: csv_text(from_parquet_blob(blob), ROSTER))
    return Response(text, media_type="text/csv")


def roster_parquet_response(store: Store, roster_id: int) -> Response:
    """The roster as stored, a Parquet file (`GET /api/rosters/{id}.parquet`, and the pages' download)."""
    with store.session() as session:
        blob = _roster(session, roster_id).table
    return Response(
        blob,
        media_type="application/vnd.apache.parquet",
        headers={"Content-Disposition": f'attachment; filename="roster-{roster_id}.parquet"'},
    )


def roster_calendar_response(store: Store, roster_id: int, agent_id: str) -> Response:
    """One agent's shifts of the roster as an iCalendar file (`GET /api/rosters/{id}/calendars/{agent}.ics`, and
    the pages' download); 404 where the agent has no shift in it."""
    row, _, center = stored_roster(store, roster_id)
    table = from_parquet_blob(row.table)
    mine = table[table["agent_id"].astype(str) == agent_id]
    if mine.empty:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"agent '{agent_id}' has no shift in roster {roster_id}")
    content = next(iter(agent_calendars(mine, center).values()))
    return Response(content, media_type="text/calendar")


def _latest(session: Any, center_id: int) -> tuple[CenterVersion, int]:
    versions = list(
        session.scalars(
            select(CenterVersion).where(CenterVersion.center_id == center_id).order_by(CenterVersion.version.desc())
        )
    )
    return versions[0], len(versions)


#: Centres already parsed, by the SHA-256 of their YAML text (a stored version never changes, and a `Center` is
#: frozen): reading a centre of 100 agents costs 10-20 ms of parsing and checking, which every read of a centre,
#: every upload of its data and every dispatch would pay again. The oldest leave first past `PARSED_CENTRES`.
PARSED_CENTRES = 64
_parsed: dict[str, Center] = {}
_parsed_lock = threading.Lock()


def _parse(version: CenterVersion) -> Center:
    with _parsed_lock:
        center = _parsed.get(version.sha256)
    if center is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            center = center_from_yaml(version.yaml, f"centre version {version.id}")
        with _parsed_lock:
            while len(_parsed) >= PARSED_CENTRES:
                del _parsed[next(iter(_parsed))]
            _parsed[version.sha256] = center
    return center


#: Rosters whose CSV text the service keeps (`Rendered`): a page polls the roster it shows.
RENDERED_ROSTERS = 32


class Rendered:
    """Texts made from stored blobs, by the blob's SHA-256 (what is served is always the stored table's text,
    whatever changes): rendering a roster's CSV costs far more than reading its blob, and every client showing
    a roster reads it again and again. The oldest leave first past `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._texts: dict[str, str] = {}
        self._lock = threading.Lock()

    def text(self, blob: bytes, render: Callable[[], str]) -> str:
        key = hashlib.sha256(blob).hexdigest()
        with self._lock:
            text = self._texts.get(key)
        if text is None:
            text = render()
            with self._lock:
                while len(self._texts) >= self.size:
                    del self._texts[next(iter(self._texts))]
                self._texts[key] = text
        return text


def _center_out(row: CenterRow, version: CenterVersion, count: int, center: Center) -> CenterOut:
    return CenterOut(
        id=row.id,
        name=row.name,
        version=version.version,
        versions=count,
        sha256=version.sha256,
        agents=len(center.agents),
        work_types=[w.id for w in center.work_types],
    )


def _version(session: Any, center_id: int, version: int | None) -> CenterVersion:
    query = select(CenterVersion).where(CenterVersion.center_id == center_id)
    if version is not None:
        query = query.where(CenterVersion.version == version)
    found: CenterVersion | None = session.scalars(query.order_by(CenterVersion.version.desc())).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no centre {center_id} (version {version})")
    return found


def _roster(session: Any, roster_id: int) -> RosterRow:
    row: RosterRow | None = session.get(RosterRow, roster_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no roster {roster_id}")
    return row


def dispatch_tickets(
    store: Store,
    center_id: int,
    at: str,
    tickets: Callable[[str], pd.DataFrame],
    settings: AssignSettings,
    horizon_minutes: float | None = None,
    method: str = "optimal",
) -> dict[str, Any]:
    """The open tickets (`tickets(zone)`: the open-tickets table read in the centre's zone) assigned from `at` on
    the centre's latest published roster (`POST /api/centers/{id}/dispatch`, and the supervisor's page): its id,
    the centre version, the assignment's rows and summary. 409 without a published roster."""
    with store.session() as session:
        found = session.execute(
            select(RosterRow, CenterVersion)
            .join(CenterVersion, RosterRow.center_version_id == CenterVersion.id)
            .where(CenterVersion.center_id == center_id, RosterRow.status == "published")
            .order_by(RosterRow.published_at.desc(), RosterRow.id.desc())
        ).first()
        if found is None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"centre {center_id} has no published roster")
        roster_row, version = found
        center = _parse(version)
        roster = from_parquet_blob(roster_row.table)
    moment = _moment(at, center.timezone)
    table = tickets(center.timezone)
    check_someone_on_shift(roster, moment, horizon_minutes, center.timezone, f"roster {roster_row.id}")
    problem = build_assign_problem(table, roster, center, moment, horizon_minutes=horizon_minutes)
    result = assign(problem, method, settings)
    rows = json.loads(result.table.to_json(orient="records", date_format="iso"))
    return {"roster_id": roster_row.id, "center_version": version.version, "assignment": rows} | {
        "summary": json.loads(json.dumps(result.summary(), default=str))
    }


def _moment(text: str, zone: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise InputError("at", Problem("", f"'{text}' is not a moment", "write YYYY-MM-DDTHH:MM")) from None
    return stamp.tz_localize(zone) if stamp.tzinfo is None else stamp.tz_convert(zone)


def _problem(where: str, what: str, fix: str) -> dict[str, str]:
    return {"where": where, "what": what, "fix": fix}


def _request_problem(error: Any) -> dict[str, str]:
    """A request FastAPI could not read (not JSON, a field missing or of the wrong type) as a problem."""
    where = ".".join(str(part) for part in error.get("loc", ()))
    what = str(error.get("msg", "is not valid"))
    if error.get("type") == "json_invalid":
        where, what = "body", f"is not JSON: {error.get('ctx', {}).get('error', what)}"
        fix = "send a JSON object with Content-Type: application/json"
    elif error.get("type") == "missing":
        fix = "add it"
    else:
        fix = f"correct {where}: /docs gives each field's type"
    return _problem(where, what, fix)


def _roster_out(row: RosterRow, version: CenterVersion) -> RosterOut:
    return RosterOut(
        id=row.id,
        center_version=version.version,
        status=row.status,
        published_at=row.published_at,
        summary=row.summary,
    )
