"""The scenarios job: an analyst's what-if sweep (a scenario file, docs/scenarios.md) on stored data, by the same
function as `wfm scenarios run` (`scenarios.runner.run_scenarios`), on a Dask cluster of the job's own (a
`LocalCluster` of `workers` processes on 127.0.0.1, started and stopped by the job) or on the cluster at the
address in the environment variable `WFM_DASK_SCHEDULER` of the server, where it is set.

The scenario file's `base` names no file of the caller's: the service writes the centre of the request's centre
version as `center.yaml` and the forecast (`forecast_id`) as `forecast.csv` or the history (`history_id`) as
`history.parquet` into the job's temporary folder, next to the scenario file, and fills in `base` with those
names. A `base` that names any other file is refused (422, naming the field and its line); `base.start` and
`base.days` (a history's) are the caller's. Every file of the results folder is kept as the job's files.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import Any

import yaml

from models import FORECAST, InputError, Problem, write_table
from models.io import parse_yaml_mapping, validate_with_lines
from scenarios.runner import RESULT, VariantEvent, check_variants, run_scenarios, slug
from scenarios.spec import ScenarioSpec, expand, grid_variants
from service.kinds.base import (
    FILES,
    JobContext,
    center_version_id,
    check_count,
    check_dataset,
    check_text,
    folder_files,
    speaking_of,
    stored_center,
    stored_table,
    unplaced,
)
from service.store import CenterVersion, Dataset, Store

__all__ = [
    "BASE_FILES",
    "MAX_SCENARIO_WORKERS",
    "MAX_VARIANTS",
    "SCHEDULER_ENV",
    "check_scenarios_params",
    "scenarios_job",
]

#: The files the service writes for a scenario file's `base`, by field: the only names `base` may give.
BASE_FILES = {"center": "center.yaml", "forecast": "forecast.csv", "history": "history.parquet"}
#: The environment variable that gives the server's Dask scheduler (tcp://HOST:8786); unset: a local cluster
#: per job.
SCHEDULER_ENV = "WFM_DASK_SCHEDULER"
#: The most worker processes of a job's own local cluster.
MAX_SCENARIO_WORKERS = 8
#: The most variants (the base, the listed ones and the grid's combinations) a job sweeps.
MAX_VARIANTS = 2000
#: The largest scenario file, in bytes.
MAX_SPEC_BYTES = 1 * 2**20
SOURCE = "spec_yaml"
#: The progress lists the figures of the latest this many variants finished (a large sweep's are in its files).
PROGRESS_VARIANTS = 200


def _filled_spec(text: str, demand: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The scenario file's data with `base` naming the service's files (`demand`: forecast or history), and the
    line of each field; a `base` naming any other file is refused, naming its field and line."""
    data, lines = parse_yaml_mapping(
        text, SOURCE, "a scenario file must be a YAML mapping (roster: ..., variants: ...)", "see docs/scenarios.md"
    )
    base = data.get("base", {})
    if not isinstance(base, dict):
        raise InputError(SOURCE, Problem(_at(lines, "base"), "is not a mapping", "leave base out, or give start/days"))
    other = "history" if demand == "forecast" else "forecast"
    problems = []
    for field, name in BASE_FILES.items():
        value = base.get(field)
        if value is None:
            continue
        where = _at(lines, f"base.{field}")
        if field == other:
            fix = f"leave base.{field} out: the request gives {demand}_id, written as {BASE_FILES[demand]}"
            problems.append(Problem(where, f"names a {field}, but the request gives a {demand}", fix))
        elif not isinstance(value, str) or PurePosixPath(value) != PurePosixPath(name):
            fix = f"leave base.{field} out (the service writes the stored {field} as {name}) or write {name}"
            problems.append(Problem(where, f"names the file {value!r}; the service reads no file a request names", fix))
    InputError.collect(SOURCE, problems)
    data["base"] = {**base, "center": BASE_FILES["center"], demand: BASE_FILES[demand]}
    return data, lines


def _at(lines: Mapping[str, int], field: str) -> str:
    line = lines.get(field)
    return f"line {line}, {field}" if line else field


def check_scenarios_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """A scenarios job's parameters: the centre (`center_id` [+ `version`] or `center_version_id`), exactly one
    of `forecast_id` and `history_id` (of that centre; a history is forecast from `base.start` for `base.days`),
    `spec_yaml` (the scenario file's text; its `base` names no file), `workers` (the local cluster's processes,
    1-8, default 1). The scenario file is checked as `wfm scenarios run` checks it, against the centre."""
    version = center_version_id(params, store)
    if (params.get("forecast_id") is None) == (params.get("history_id") is None):
        fix = "give forecast_id (a stored forecast) or history_id (a stored history, with base.start in the spec)"
        raise InputError("params", Problem("forecast_id", "give exactly one of forecast_id and history_id", fix))
    demand = "forecast" if params.get("forecast_id") is not None else "history"
    dataset = check_dataset(params, f"{demand}_id", demand, version, store)
    text = check_text(params, "spec_yaml", "the scenario file (YAML)")
    assert text is not None
    if len(text.encode("utf-8")) > MAX_SPEC_BYTES:
        raise InputError("params", Problem("spec_yaml", "is larger than 1 MB", "give the scenario file only"))
    data, lines = _filled_spec(text, demand)
    spec = validate_with_lines(ScenarioSpec, data, lines, SOURCE)
    combinations = math.prod(len(values) for values in spec.grid.values()) if spec.grid else 0
    if combinations + len(spec.variants) + 1 > MAX_VARIANTS:
        what = f"makes {combinations + len(spec.variants) + 1:,} variants (with the base and the grid's combinations)"
        fix = f"sweep at most {MAX_VARIANTS:,} variants a job; split the sweep"
        raise InputError(SOURCE, Problem(_at(lines, "grid" if spec.grid else "variants"), what, fix))
    grid_variants(spec)  # each combination a valid variant
    with TemporaryDirectory(prefix="wfm-spec-") as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(text, encoding="utf-8")  # the caller's text, for the lines of the problems
        with speaking_of({path: SOURCE}):
            check_variants(spec, stored_center(store, version), path)
    return {
        "center_version_id": version,
        "forecast_id": dataset if demand == "forecast" else None,
        "history_id": dataset if demand == "history" else None,
        "spec_yaml": text,
        "variants": len(expand(spec)),
        "workers": check_count(params, "workers", 1, 1, MAX_SCENARIO_WORKERS),
    }


def _headline(path: Path) -> dict[str, Any]:
    """A finished variant's figures from its `result.json` (as the progress shows them while the others run):
    cost, paid hours, overall service level and each work type's; none where it failed or cannot be read."""
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(result, dict) or "error" in result:
        return {}
    return {
        "agents": result.get("agents"),
        "paid_hours": result.get("paid_hours"),
        "cost": result.get("cost"),
        "service_level": result.get("service_level"),
        "work_types": {row["work_type"]: row.get("service_level") for row in result.get("work_types", [])},
    }


def scenarios_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """Run the sweep as `wfm scenarios run` does: progress {"variants_done", "variants", "last", "finished": the
    latest `PROGRESS_VARIANTS` variants finished with their figures (`_headline`)}; result
    {"variants", "planned", "kept", "failed", "wall_s", "summary": summary.json, "files"}; the results folder's
    files (results.csv, summary.json, report.html, variants/SLUG/result.json and roster.csv, base_forecast.csv)."""
    store = context.store
    demand = "forecast" if params["forecast_id"] is not None else "history"
    data, _ = _filled_spec(params["spec_yaml"], demand)
    with store.session() as session:
        version = session.get(CenterVersion, params["center_version_id"])
        history = None if params["history_id"] is None else session.get(Dataset, params["history_id"])
        if version is None or (params["history_id"] is not None and history is None):
            raise InputError("params", Problem("", "the centre version or the history is gone", "submit it again"))
        center_yaml = version.yaml
        history_bytes = None if history is None else history.table
    center = stored_center(store, params["center_version_id"])
    total = params["variants"]
    context.progress({"stage": "starting", "variants_done": 0, "variants": total, "finished": []})

    with TemporaryDirectory(prefix="wfm-scenarios-") as folder:
        root = Path(folder)
        out = root / "results"
        finished_rows: list[dict[str, Any]] = []

        def finished(event: VariantEvent) -> None:
            last = {"name": event.name, "status": event.status, "wall_s": event.wall_s, "error": event.error}
            finished_rows.append({**last, **_headline(out / "variants" / slug(event.name) / RESULT)})
            progress = {"variants_done": event.done, "variants": event.total, "last": last}
            context.progress({"stage": "planning", **progress, "finished": finished_rows[-PROGRESS_VARIANTS:]})

        (root / BASE_FILES["center"]).write_text(center_yaml, encoding="utf-8")
        if params["forecast_id"] is not None:
            write_table(stored_table(store, params["forecast_id"]), FORECAST, root / BASE_FILES["forecast"])
        else:
            assert history_bytes is not None
            (root / BASE_FILES["history"]).write_bytes(history_bytes)
        spec_path = root / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        names = {root / name: name for name in (*BASE_FILES.values(), "spec.yaml", "results")} | {root: "."}
        with speaking_of(names):
            done = run_scenarios(
                spec_path,
                out,
                scheduler=os.environ.get(SCHEDULER_ENV) or None,
                workers=params["workers"],
                on_event=finished,
                cancel=context.cancel,
            )
        files = unplaced(folder_files(out), names)
    center_note = f"centre {center.name}, version {params['center_version_id']}"
    return {
        "variants": len(done.results),
        "planned": done.planned,
        "kept": done.kept,
        "failed": done.failed,
        "wall_s": round(done.wall_s, 2),
        "base": center_note,
        "summary": json.loads(files["summary.json"]),
        "files": sorted(files),
        FILES: files,
    }
