"""The analyst's pages: a scenario set (a form or YAML), its run, its variants as they finish, and the comparison
(the cost against service level frontier, per work type bars with intervals, differences from the base).

- `GET /analyst` (analyst, planner): the scenario runs and the "New scenario set" form (an analyst runs it);
- `GET /analyst/bases?center_id=` (fragment): the histories and forecasts of a centre, as the form's choices;
- `GET /analyst/variant` (fragment): one more blank variant for the form;
- `POST /analyst/runs` (analyst): the form's scenario set (or the pasted YAML) queued as a `scenarios` job with the
  API's parameters; bad input: the problems in the page (422), nothing queued;
- `GET /analyst/runs/{id}` (+ `/progress`, polled each second while it runs): the variants as they finish, then
  the comparison; `GET /analyst/runs/{id}/frontier.svg`, `.../work_types.svg`: its charts (matplotlib SVG);
- `GET /analyst/runs/{id}/files/NAME`: a file of the run, as a download;
- `POST /analyst/runs/{id}/cancel` (its submitter or a planner): stop it.

The form builds the same scenario file (a dict, then its YAML text) that an analyst would write by hand; both are
checked by the job's own parameter check, as `wfm scenarios run` checks a scenario file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import numpy as np
import pandas as pd
import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from matplotlib.figure import Figure
from sqlalchemy import select
from starlette.datastructures import FormData

from models import InputError, Problem
from scenarios.report import FIGURE_VARIANTS, frontier
from scenarios.spec import BASE_NAME, LoopOptions, RosterOptions, SimulationOptions
from service.jobs import FINISHED
from service.kinds import JOB_ROLES
from service.routes_jobs import CANCELLERS, file_response
from service.store import CenterVersion, Dataset, Job, JobFile, User, find_job_file
from service.store.schema import Center
from service.web.common import PageError, action_role, is_htmx, page_role, problems_of, render, store_of, svg_response
from service.web.sessions import Viewer

__all__ = ["build_spec", "router"]

router = APIRouter(include_in_schema=False)
KIND = "scenarios"
#: Who sees the runs and their comparison; who may run a scenario set (the API's role for the job).
Analyst = Annotated[Viewer, Depends(page_role("analyst", "planner"))]
Runner = Annotated[Viewer, Depends(action_role(*JOB_ROLES[KIND]))]
Canceller = Annotated[Viewer, Depends(action_role("analyst", "planner"))]
#: The runs listed on the page.
RUNS_SHOWN = 50
#: The fields of one variant of the form (each a list in the posted form, one item per variant, in order).
VARIANT_FIELDS = (
    "v_name",
    "v_volume",
    "v_aht",
    "v_remove",
    "v_add_like",
    "v_add_count",
    "v_target_work_type",
    "v_target_level",
    "v_target_within",
    "v_plan_on",
)
PLAN_ON = ("mean", "p50", "p90")
#: Grid rows of the form.
GRID_ROWS = 2
#: The x and y of the frontier: x a figure of cost; y the overall service level or one work type's.
X_FIGURES = {"cost": "paid cost", "paid_hours": "paid hours"}
OVERALL = "overall"
#: Past this many variants the frontier's chart labels only the base and the frontier's points (the table has all).
LABELLED_POINTS = 30


# -- the page and its form -------------------------------------------------------------------------------------------


@router.get("/analyst")
def analyst_home(request: Request, viewer: Analyst) -> HTMLResponse:
    return _home(request, viewer, _blank_form())


@router.get("/analyst/bases")
def base_choices(request: Request, viewer: Analyst, center_id: int | None = None, form: str = "f") -> HTMLResponse:
    """The form's choice of base (a history or forecast of the centre), for the centre just chosen."""
    return render(
        request, "analyst/_bases.html", viewer, bases=_bases(request, center_id), chosen=None, prefix=_prefix(form)
    )


@router.get("/analyst/variant")
def blank_variant(request: Request, viewer: Analyst) -> HTMLResponse:
    """One more blank variant of the form."""
    return render(request, "analyst/_variant.html", viewer, v=_blank_variant(), number=None)


@router.post("/analyst/runs")
async def new_run(request: Request, viewer: Runner) -> Response:
    """Queue the scenario set of the form (`mode` form) or the pasted YAML (`mode` yaml): to its page (303); the
    problems in the page otherwise (422, nothing queued). `action` add_variant: the form again with one more
    variant (without JavaScript)."""
    data = await request.form()
    form = _posted_form(data)
    if data.get("action") == "add_variant":
        form["variants"].append(_blank_variant())
        return await run_in_threadpool(_home, request, viewer, form)
    kept = [i + 1 for i, row in enumerate(form["variants"]) if any(row.values())]  # the form's, in the file
    try:
        params = _params(form)
        job_id = await run_in_threadpool(request.app.state.jobs.submit, KIND, params, viewer.user)
    except InputError as error:
        yaml_mode = form["mode"] == "yaml"
        problems = problems_of(error) if yaml_mode else _as_the_form_names_them(problems_of(error), kept)
        source = "the scenario file" if yaml_mode else "the form"
        return await run_in_threadpool(_home, request, viewer, form, problems=problems, source=source, status_code=422)
    address = f"/analyst/runs/{job_id}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": address})
    return RedirectResponse(address, status_code=303)


def _home(
    request: Request,
    viewer: Viewer,
    form: dict[str, Any],
    problems: list[dict[str, str]] | None = None,
    source: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    centers = _centers(request)
    if form["center_id"] is None and centers:
        form["center_id"] = centers[0]["id"]
    bases = _bases(request, form["center_id"])
    if not form["start"]:
        form["start"] = _default_start(bases)
    return render(
        request,
        "analyst/index.html",
        viewer,
        status_code=status_code,
        runs=_runs(request),
        centers=centers,
        bases=bases,
        form=form,
        problems=problems,
        source=source,
        may_run=viewer.role in JOB_ROLES[KIND],
        plan_on=PLAN_ON,
        example=EXAMPLE_YAML,
    )


EXAMPLE_YAML = """\
# The base's centre and demand are chosen above; with a history, give the days to plan:
base: {start: 2026-06-01, days: 2}
roster: {time_limit_s: 5}
loop: {max_iterations: 1}
simulation: {replications: 3, seed: 0}
variants:
  - {name: volume +10%, volume: {all: 1.1}}
  - {name: volume -10%, volume: {all: 0.9}}
grid: {}
"""


def _blank_variant() -> dict[str, str]:
    return dict.fromkeys(VARIANT_FIELDS, "")


def _blank_form() -> dict[str, Any]:
    return {
        "mode": "form",
        "center_id": None,
        "base": "",
        "start": "",
        "days": "7",
        "time_limit_s": f"{RosterOptions().time_limit_s:g}",
        "max_iterations": str(LoopOptions().max_iterations),
        "replications": str(SimulationOptions().replications),
        "seed": str(SimulationOptions().seed),
        "workers": "1",
        "variants": [_blank_variant()],
        "grid": [{"path": "", "values": ""} for _ in range(GRID_ROWS)],
        "spec_yaml": "",
    }


def _posted_form(data: FormData) -> dict[str, Any]:
    """The posted form's values as the page shows them again (strings, as typed)."""

    def text(name: str) -> str:
        value = data.get(name)
        return value.strip() if isinstance(value, str) else ""

    columns = {name: [v if isinstance(v, str) else "" for v in data.getlist(name)] for name in VARIANT_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    variants = [{name: _item(columns[name], i).strip() for name in VARIANT_FIELDS} for i in range(count)]
    paths, values = data.getlist("grid_path"), data.getlist("grid_values")
    grid = [
        {"path": str(_item(paths, i)).strip(), "values": str(_item(values, i)).strip()}
        for i in range(max(len(paths), len(values), GRID_ROWS))
    ]
    center = text("center_id")
    spec = data.get("spec_yaml")
    return {
        "mode": "yaml" if text("mode") == "yaml" else "form",
        "center_id": int(center) if center.isdigit() else None,
        "base": text("base"),
        "start": text("start"),
        "days": text("days"),
        "time_limit_s": text("time_limit_s"),
        "max_iterations": text("max_iterations"),
        "replications": text("replications"),
        "seed": text("seed"),
        "workers": text("workers") or "1",
        "variants": variants or [_blank_variant()],
        "grid": grid,
        "spec_yaml": spec if isinstance(spec, str) else "",
    }


def _item(values: list[Any], i: int) -> Any:
    return values[i] if i < len(values) else ""


def _params(form: Mapping[str, Any]) -> dict[str, Any]:
    """The scenarios job's parameters (the API's) of the posted form: the centre, the base dataset, the scenario
    file's text (pasted, or built from the form) and the workers."""
    problems = []
    if form["center_id"] is None:
        problems.append(Problem("centre", "is not chosen", "choose the centre (upload one on the planner's page)"))
    kind, _, dataset = str(form["base"]).partition(":")
    if kind not in ("history", "forecast") or not dataset.isdigit():
        problems.append(Problem("base", "is not chosen", "choose a history or a forecast of the centre"))
    workers = _whole(form["workers"], "Dask workers", problems, low=1)
    if form["mode"] == "yaml":
        text = form["spec_yaml"]
        if not text.strip():
            problems.append(Problem("scenario file", "is empty", "paste a scenario file (see the example)"))
    else:
        spec, spec_problems = build_spec(form, history=kind == "history")
        problems += spec_problems
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    InputError.collect("the form", problems)
    return {"center_id": form["center_id"], f"{kind}_id": int(dataset), "spec_yaml": text, "workers": workers}


def _as_the_form_names_them(problems: list[dict[str, str]], kept: list[int]) -> list[dict[str, str]]:
    """The job's problems with a scenario file made from the form, named as the form names its fields: no line
    (of a file the analyst never saw), `variants[1]` as the form's number of that variant."""

    def named(where: str) -> str:
        where = re.sub(r"^line \d+, ", "", where)
        return re.sub(
            r"variants\[(\d+)\]\.?",
            lambda m: f"variant {kept[int(m.group(1))] if int(m.group(1)) < len(kept) else int(m.group(1)) + 1}, ",
            where,
        ).rstrip(", ")

    return [{**p, "where": named(p["where"])} for p in problems]


def build_spec(form: Mapping[str, Any], *, history: bool) -> tuple[dict[str, Any], list[Problem]]:
    """The scenario file (docs/scenarios.md) the form describes, as the YAML would give it, and the problems of
    the form's values (each naming its field as the page labels it)."""
    problems: list[Problem] = []
    spec: dict[str, Any] = {}
    if history:
        start = form["start"]
        try:
            date.fromisoformat(start)
        except ValueError:
            problems.append(Problem("start date", f"'{start}' is not a date", "give the first day to plan"))
        spec["base"] = {"start": start, "days": _whole(form["days"], "days", problems, low=1)}
    spec["roster"] = {"time_limit_s": _number(form["time_limit_s"], "roster time limit (s)", problems)}
    spec["loop"] = {"max_iterations": _whole(form["max_iterations"], "loop iterations", problems, low=1)}
    spec["simulation"] = {
        "replications": _whole(form["replications"], "replications", problems, low=1),
        "seed": _whole(form["seed"], "seed", problems, low=0),
    }
    spec["variants"] = [
        variant
        for i, row in enumerate(form["variants"])
        if (variant := _variant(row, f"variant {i + 1}", problems)) is not None
    ]
    grid = {}
    for i, row in enumerate(form["grid"]):
        if not row["path"] and not row["values"]:
            continue
        where = f"grid row {i + 1}"
        if not row["path"] or not row["values"]:
            fix = "give both a change (volume.all) and its values (0.9, 1.0, 1.1), or clear the row"
            problems.append(Problem(where, "has a change without values or values without a change", fix))
            continue
        grid[row["path"]] = [_scalar(part.strip()) for part in row["values"].split(",") if part.strip()]
    spec["grid"] = grid
    return spec, problems


def _variant(row: Mapping[str, str], where: str, problems: list[Problem]) -> dict[str, Any] | None:
    """One variant of the form (None for a blank one)."""
    if not any(row.values()):
        return None
    variant: dict[str, Any] = {"name": row["v_name"]}
    if not row["v_name"]:
        problems.append(Problem(f"{where}, name", "is empty", "name the variant (e.g. volume +10%)"))
    if row["v_volume"]:
        variant["volume"] = {"all": _number(row["v_volume"], f"{where}, volume factor", problems)}
    if row["v_aht"]:
        variant["aht"] = {"all": _number(row["v_aht"], f"{where}, AHT factor", problems)}
    headcount: dict[str, Any] = {}
    if row["v_remove"]:
        headcount["remove"] = _whole(row["v_remove"], f"{where}, agents removed", problems, low=0)
    if row["v_add_like"] or row["v_add_count"]:
        count = _whole(row["v_add_count"], f"{where}, agents added", problems, low=1)
        if not row["v_add_like"]:
            problems.append(Problem(f"{where}, added like", "is empty", "give the agent the new ones copy"))
        headcount["add"] = [{"like": row["v_add_like"], "count": count}]
    if headcount:
        variant["headcount"] = headcount
    if row["v_target_work_type"] or row["v_target_level"] or row["v_target_within"]:
        target: dict[str, Any] = {}
        if row["v_target_level"]:
            target["service_level"] = _number(row["v_target_level"], f"{where}, target level (%)", problems) / 100
        if row["v_target_within"]:
            target["within_s"] = _whole(row["v_target_within"], f"{where}, target within (s)", problems, low=1)
        if not row["v_target_work_type"]:
            problems.append(Problem(f"{where}, target work type", "is empty", "give the work type the target is for"))
        variant["targets"] = {row["v_target_work_type"]: target}
    if row["v_plan_on"]:
        variant["plan_on"] = row["v_plan_on"]
    return variant


def _number(text: str, where: str, problems: list[Problem]) -> float:
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(where, f"'{text}' is not a number", "give a number such as 1.1"))
        return 0.0
    if not np.isfinite(value):
        problems.append(Problem(where, f"'{text}' is not a finite number", "give a number such as 1.1"))
        return 0.0
    return value


def _whole(text: str, where: str, problems: list[Problem], low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        problems.append(Problem(where, f"'{text}' is not a whole number", f"give a whole number of at least {low}"))
        return low
    if value < low:
        problems.append(Problem(where, f"is {value}", f"give a whole number of at least {low}"))
    return value


def _scalar(text: str) -> Any:
    """A grid value as YAML reads it: 1.1 a number, 5 a whole number, p90 a word."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _centers(request: Request) -> list[dict[str, Any]]:
    with store_of(request).session() as session:
        return [{"id": row.id, "name": row.name} for row in session.scalars(select(Center).order_by(Center.name))]


def _bases(request: Request, center_id: int | None) -> list[dict[str, Any]]:
    """The centre's histories and forecasts, newest first: each a choice of the form's base."""
    if center_id is None:
        return []
    query = (
        select(Dataset.id, Dataset.kind, Dataset.name, Dataset.rows, Dataset.meta, Dataset.created_at)
        .where(Dataset.center_id == center_id, Dataset.kind.in_(("history", "forecast")))
        .order_by(Dataset.kind.desc(), Dataset.id.desc())
    )
    with store_of(request).session() as session:
        return [
            {
                "value": f"{row.kind}:{row.id}",
                "kind": row.kind,
                "label": f"{row.kind} {row.id}: {row.name} ({row.rows:,} rows{_span(row.meta)})",
                "meta": row.meta or {},
            }
            for row in session.execute(query)
        ]


def _span(meta: Mapping[str, Any] | None) -> str:
    first, last = (meta or {}).get("start"), (meta or {}).get("end")
    return f", {str(first)[:10]} to {str(last)[:10]}" if first and last else ""


def _default_start(bases: list[dict[str, Any]]) -> str:
    """The day after the newest history ends, in its time zone (where its end is known)."""
    for base in bases:
        end, zone = base["meta"].get("end"), base["meta"].get("timezone")
        if base["kind"] == "history" and end:
            try:
                moment = pd.Timestamp(end)
                if zone and moment.tzinfo is not None:
                    moment = moment.tz_convert(zone)
            except (ValueError, TypeError):
                return ""
            return (moment.date() + timedelta(days=1)).isoformat()
    return ""


def _prefix(form: str) -> str:
    return "y" if form == "y" else "f"


# -- the runs --------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """A scenarios job as the pages show it."""

    id: str
    status: str
    by: str | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    params: dict[str, Any]
    progress: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    center: str | None = None
    files: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def done(self) -> int:
        return int(self.progress.get("variants_done") or (self.result or {}).get("variants") or 0)

    @property
    def total(self) -> int:
        return int(self.progress.get("variants") or self.params.get("variants") or 0)

    @property
    def cancel_requested(self) -> bool:
        return self.status == "running" and self.error is not None


def _runs(request: Request) -> list[Run]:
    """The latest runs, newest first: what the list shows (not their results, which can be large)."""
    query = (
        select(Job.id, Job.status, User.name, Job.created_at, Job.params, Job.progress, Job.error)
        .outerjoin(User, User.id == Job.created_by)
        .where(Job.kind == KIND)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(RUNS_SHOWN)
    )
    with store_of(request).session() as session:
        return [
            Run(row.id, row.status, row.name, row.created_at, None, None, row.params, row.progress, None, row.error)
            for row in session.execute(query)
        ]


def _run_of(job: Job, by: str | None) -> Run:
    return Run(
        job.id,
        job.status,
        by,
        job.created_at,
        job.started_at,
        job.finished_at,
        dict(job.params or {}),
        dict(job.progress or {}),
        None if job.result is None else dict(job.result),
        job.error,
    )


def _run(request: Request, job_id: str) -> Run:
    query = select(Job, User.name).outerjoin(User, User.id == Job.created_by).where(Job.id == job_id)
    with store_of(request).session() as session:
        found = session.execute(query).first()
        if found is None or found[0].kind != KIND:
            raise PageError(404, f"There is no scenario run {job_id}.")
        run = _run_of(found[0], found[1])
        center = session.execute(
            select(Center.name, CenterVersion.version)
            .join(CenterVersion, CenterVersion.center_id == Center.id)
            .where(CenterVersion.id == found[0].center_version_id)
        ).first()
        run.files = list(session.scalars(select(JobFile.name).where(JobFile.job_id == job_id).order_by(JobFile.name)))
    run.center = None if center is None else f"{center[0]} (version {center[1]})"
    return run


@router.get("/analyst/runs/{job_id}")
def run_page(request: Request, viewer: Analyst, job_id: str, x: str = "cost", y: str = OVERALL) -> HTMLResponse:
    run = _run(request, job_id)
    return render(request, "analyst/run.html", viewer, **_run_context(request, viewer, run, x, y))


@router.get("/analyst/runs/{job_id}/progress")
def run_progress(
    request: Request, viewer: Analyst, job_id: str, x: str = "cost", y: str = OVERALL, seen: str = ""
) -> HTMLResponse:
    """The run's part of the page that changes (polled each second while it runs; the comparison once it ends),
    and its status line where the state changed since `seen` (the page's)."""
    run = _run(request, job_id)
    context = _run_context(request, viewer, run, x, y)
    return render(request, "analyst/_run.html", viewer, status_changed=seen != context["state_key"], **context)


@router.get("/analyst/runs/{job_id}/frontier")
def run_frontier(request: Request, viewer: Analyst, job_id: str, x: str = "cost", y: str = OVERALL) -> HTMLResponse:
    """The frontier's section for another choice of x and y (the chart's address and its table)."""
    run = _run(request, job_id)
    context = _run_context(request, viewer, run, x, y)
    return render(request, "analyst/_frontier.html", viewer, **context)


def _run_context(request: Request, viewer: Viewer, run: Run, x: str, y: str) -> dict[str, Any]:
    comparison = _comparison(request, run) if run.finished else None
    choice = _choice(comparison, x, y)
    return {
        "run": run,
        "spec_yaml": run.params.get("spec_yaml", ""),
        "finished_rows": run.progress.get("finished", []),
        "work_types": _progress_work_types(run.progress.get("finished", [])),
        "comparison": comparison,
        "choice": choice,
        "points": None if comparison is None else comparison.points(*choice),
        "x_figures": X_FIGURES,
        "figure_variants": FIGURE_VARIANTS,
        "may_cancel": not run.finished and (viewer.role in CANCELLERS or run.by == viewer.user.name),
        "state_key": f"{run.status}-{run.done}-{run.total}-{run.cancel_requested}",
    }


def _progress_work_types(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row.get("work_types") or {}))
    return list(seen)


@router.post("/analyst/runs/{job_id}/cancel")
def cancel_run(request: Request, viewer: Canceller, job_id: str) -> Response:
    """Stop the run (its submitter or a planner): the variants finished stay."""
    run = _run(request, job_id)
    if viewer.role not in CANCELLERS and run.by != viewer.user.name:
        raise PageError(403, f"Only who started this run or a {', '.join(CANCELLERS)} may stop it.")
    if not run.finished:
        request.app.state.jobs.cancel(job_id, viewer.user.name)
    return RedirectResponse(f"/analyst/runs/{job_id}", status_code=303)


@router.get("/analyst/runs/{job_id}/files/{name:path}")
def run_file(request: Request, viewer: Analyst, job_id: str, name: str) -> Response:
    """A file of the run, always as a download (a report's HTML is not shown inside the pages' site)."""
    with store_of(request).session() as session:
        found = find_job_file(session, job_id, name)
        if found is None:
            raise PageError(404, f"The run {job_id} has no file '{name}'.")
        response = file_response(found)
    response.headers["Content-Disposition"] = f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
    return response


# -- the comparison --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    variant: str
    x: float
    y: float | None
    low: float | None
    high: float | None
    on_frontier: bool


@dataclass
class Comparison:
    """A finished run's variants (each a result.json, the aliases expanded as the report expands them) and the
    work types."""

    variants: list[dict[str, Any]]
    work_types: list[str]
    base: dict[str, Any] | None

    @property
    def good(self) -> list[dict[str, Any]]:
        return [v for v in self.variants if "error" not in v]

    @property
    def plotted(self) -> list[dict[str, Any]]:
        """Each plan once, under its first name."""
        return [v for v in self.good if "alias_of" not in v]

    def points(self, x: str, y: str) -> list[Point]:
        """Each plotted variant's x (a cost figure) and y (service level, with its interval where it has one),
        and whether no other variant is at least as cheap and at least as good (better in one)."""
        plotted = self.plotted
        xs = np.array([float(v[x]) for v in plotted], dtype=float)
        ys, lows, highs = [], [], []
        for v in plotted:
            level, low, high = _level(v, y)
            ys.append(level)
            lows.append(low)
            highs.append(high)
        level_array = np.array([np.nan if value is None else value for value in ys], dtype=float)
        efficient = set(frontier(xs, level_array).tolist()) if plotted else set()
        return [
            Point(v["variant"], float(xs[i]), ys[i], lows[i], highs[i], i in efficient) for i, v in enumerate(plotted)
        ]

    def _base(self, figure: str) -> float | None:
        return None if self.base is None else float(self.base[figure])

    def differences(self) -> list[dict[str, Any]]:
        """Each variant's figures and their differences from the base, each with its direction (better or worse
        where a direction is better; none for agents and occupancy)."""
        out = []
        for v in self.good:
            cells = [
                _difference("agents", v["agents"], self._base("agents"), None, "{:,.0f}", "{:+,.0f}"),
                _difference("paid hours", v["paid_hours"], self._base("paid_hours"), -1),
                _difference("cost", v["cost"], self._base("cost"), -1, "{:,.0f}", "{:+,.0f}"),
                _sl_difference("service level, all realtime", v["service_level"], _base_level(self.base, OVERALL)),
            ]
            for work_type in self.work_types:
                cells.append(
                    _sl_difference(
                        f"service level, {work_type}", _level(v, work_type)[0], _base_level(self.base, work_type)
                    )
                )
            short = _understaffed(v)
            base_short = None if self.base is None else _understaffed(self.base)
            cells.append(_difference("understaffed agent-h", short, base_short, -1))
            out.append({"variant": v["variant"], "alias_of": v.get("alias_of"), "cells": cells})
        return out

    def work_type_rows(self) -> list[dict[str, Any]]:
        """Each variant x work type: the simulated service level, its 95% interval, the target and whether it is
        met (the bars' figures)."""
        rows = []
        for v in self.plotted:
            for row in v["work_types"]:
                rows.append({"variant": v["variant"], **row})
        return rows


def _understaffed(result: Mapping[str, Any]) -> float:
    return round(float(sum((result.get("understaffed_agent_hours") or {}).values())), 2)


def _level(result: Mapping[str, Any], y: str) -> tuple[float | None, float | None, float | None]:
    """The service level `y` of a variant (its overall one, or a work type's), with its interval where known."""
    if y == OVERALL:
        return result.get("service_level"), None, None
    row = next((r for r in result.get("work_types", []) if r["work_type"] == y), None)
    if row is None:
        return None, None, None
    return row.get("service_level"), row.get("service_level_lo"), row.get("service_level_hi")


def _base_level(base: Mapping[str, Any] | None, y: str) -> float | None:
    return None if base is None else _level(base, y)[0]


def _difference(
    label: str,
    value: float | None,
    base: float | None,
    better: int | None,
    shown: str = "{:,.1f}",
    signed: str = "{:+,.1f}",
) -> dict[str, Any]:
    """A figure and its difference from the base; `better` +1 where more is better, -1 where less is, None where
    neither is."""
    cell: dict[str, Any] = {"label": label, "value": None if value is None else shown.format(value)}
    if value is None or base is None:
        return {**cell, "difference": None, "direction": None}
    change = value - base
    direction = None if better is None or abs(change) < 1e-9 else ("better" if change * better > 0 else "worse")
    return {**cell, "difference": signed.format(change), "direction": direction}


def _sl_difference(label: str, value: float | None, base: float | None) -> dict[str, Any]:
    cell = _difference(
        label,
        None if value is None else 100 * value,
        None if base is None else 100 * base,
        +1,
        "{:.1f}%",
        "{:+.1f} pts",
    )
    return cell


def _comparison(request: Request, run: Run) -> Comparison | None:
    """The run's variants from its files (`variants/*/result.json`), in the order of its summary."""
    with store_of(request).session() as session:
        rows = session.execute(
            select(JobFile.name, JobFile.content).where(
                JobFile.job_id == run.id, JobFile.name.like("variants/%/result.json")
            )
        ).all()
    results = []
    for _, content in rows:
        try:
            data = json.loads(content)
        except ValueError:
            continue
        if isinstance(data, dict) and "variant" in data:
            results.append(data)
    if not results:
        return None
    variants: list[dict[str, Any]] = []
    for result in results:
        variants.append(result)
        variants += [
            {**result, "variant": alias, "same_as": [], "alias_of": result["variant"]}
            for alias in result.get("same_as", [])
        ]
    summary = (run.result or {}).get("summary") or {}
    order = {h.get("variant"): i for i, h in enumerate(summary.get("by_variant", [])) if isinstance(h, dict)}
    variants.sort(key=lambda v: (order.get(v["variant"], len(order)), v["variant"] != BASE_NAME, v["variant"]))
    good = [v for v in variants if "error" not in v]
    work_types = [row["work_type"] for row in good[0]["work_types"]] if good else []
    base = next((v for v in good if v["variant"] == BASE_NAME), None)
    return Comparison(variants, work_types, base)


def _choice(comparison: Comparison | None, x: str, y: str) -> tuple[str, str]:
    """The frontier's x and y as asked, where they are figures of the run (the defaults otherwise)."""
    x = x if x in X_FIGURES else "cost"
    allowed = [OVERALL] + ([] if comparison is None else comparison.work_types)
    return x, y if y in allowed else OVERALL


@router.get("/analyst/runs/{job_id}/frontier.svg")
def frontier_svg(request: Request, viewer: Analyst, job_id: str, x: str = "cost", y: str = OVERALL) -> Response:
    """The cost against service level chart: each variant a labelled point (its 95% interval as an error bar where
    `y` is a work type), the frontier's points joined."""
    run = _run(request, job_id)
    comparison = _comparison(request, run)
    if comparison is None or not comparison.plotted:
        raise PageError(404, "This run has no variant results to chart yet.")
    x, y = _choice(comparison, x, y)
    return svg_response(_frontier_figure(comparison.points(x, y), x, y))


@router.get("/analyst/runs/{job_id}/work_types.svg")
def work_types_svg(request: Request, viewer: Analyst, job_id: str) -> Response:
    """Each work type's simulated service level per variant, with its 95% interval and the target."""
    run = _run(request, job_id)
    comparison = _comparison(request, run)
    if comparison is None or not comparison.plotted:
        raise PageError(404, "This run has no variant results to chart yet.")
    return svg_response(_work_types_figure(comparison))


def _frontier_figure(points: list[Point], x: str, y: str) -> Figure:
    figure = Figure(figsize=(8, 4.6))
    ax = figure.subplots()
    xs = np.array([p.x for p in points])
    ys = np.array([np.nan if p.y is None else 100 * p.y for p in points])
    low = np.array([np.nan if p.low is None or p.y is None else 100 * (p.y - p.low) for p in points])
    high = np.array([np.nan if p.high is None or p.y is None else 100 * (p.high - p.y) for p in points])
    if np.isfinite(low).any():
        ax.errorbar(xs, ys, yerr=np.vstack([np.nan_to_num(low), np.nan_to_num(high)]), fmt="none", ecolor="#8c959f")
    ax.scatter(xs, ys, color="#0072b2", zorder=3, label="variant")
    on = [i for i, p in enumerate(points) if p.on_frontier]
    on.sort(key=lambda i: xs[i])
    if on:
        ax.plot(xs[on], ys[on], color="#e69f00", linewidth=2, zorder=2, label="frontier")
    crowded = len(points) > LABELLED_POINTS
    for p, px, py in zip(points, xs, ys, strict=True):
        if not crowded or p.on_frontier or p.variant == BASE_NAME:
            ax.annotate(p.variant, (px, py), fontsize=8, xytext=(4, 4), textcoords="offset points")
        if p.variant == BASE_NAME:
            ax.scatter([px], [py], s=140, facecolors="none", edgecolors="black", zorder=4, label="base")
    ax.set_xlabel(X_FIGURES[x] + " of the horizon")
    ax.set_ylabel("simulated service level (%), " + ("all realtime work" if y == OVERALL else f"{y}, 95% interval"))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    figure.tight_layout()
    return figure


def _work_types_figure(comparison: Comparison) -> Figure:
    kinds, plotted = comparison.work_types, comparison.plotted[:FIGURE_VARIANTS]
    names = [v["variant"] for v in plotted]
    figure = Figure(figsize=(min(3.4 * len(kinds), 12), 0.35 * len(names) + 1.9))
    axes = figure.subplots(1, len(kinds), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        values, low, high, target = [], [], [], None
        for v in plotted:
            level, lo, hi = _level(v, kind)
            values.append(np.nan if level is None else 100 * level)
            low.append(np.nan if lo is None or level is None else 100 * (level - lo))
            high.append(np.nan if hi is None or level is None else 100 * (hi - level))
            row = next(r for r in v["work_types"] if r["work_type"] == kind)
            target = 100 * row["target_service_level"]
        colours = ["#009e73" if n == BASE_NAME else "#0072b2" for n in names]
        error = np.vstack([np.nan_to_num(low), np.nan_to_num(high)])
        ax.barh(range(len(names)), np.nan_to_num(np.array(values)), xerr=error, color=colours, capsize=3)
        if target is not None:
            ax.axvline(target, color="#d55e00", linestyle="--", linewidth=1)
        ax.set_title(kind, fontsize=9)
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
    axes[0][0].set_yticks(range(len(names)), names, fontsize=8)
    figure.supxlabel("simulated service level (%), 95% interval; dashed: the target; green: the base", fontsize=9)
    figure.tight_layout()
    return figure
