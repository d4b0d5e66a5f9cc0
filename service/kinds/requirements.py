"""The requirements job: a stored forecast of a centre -> the agents needed per interval and work type, by the
same function as `wfm requirements` (`planner.jobs.run_requirements`), kept as a requirement dataset of the centre
(and as the job's file `requirement.csv`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from models import REQUIREMENT, InputError, Problem, read_table
from planner.jobs import run_requirements
from planner.staffing import StaffingSettings
from service.datasets import dataset_meta
from service.kinds.base import (
    FILES,
    ROWS,
    JobContext,
    center_version_id,
    check_dataset,
    folder_files,
    speaking_of,
    stored_center,
    stored_table,
    unplaced,
    unplaced_value,
)
from service.store import CenterVersion, Dataset, Store
from service.store.blobs import to_parquet_blob

__all__ = ["PLAN_ON", "check_requirements_params", "requirements_job"]

#: The forecast column a requirement staffs for (as `wfm requirements --plan-on`).
PLAN_ON = ("mean", "p50", "p90")


def check_requirements_params(params: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """A requirements job's parameters: the centre (`center_id` [+ `version`] or `center_version_id`),
    `forecast_id` (a forecast of that centre), `plan_on` (mean, p50, p90; default mean) and `shrinkage` (0-1, the
    centre's where not given)."""
    version = center_version_id(params, store)
    forecast = check_dataset(params, "forecast_id", "forecast", version, store)
    plan_on = params.get("plan_on", "mean")
    if plan_on not in PLAN_ON:
        raise InputError(
            "params", Problem("plan_on", f"{plan_on!r} is not a choice", f"use one of {', '.join(PLAN_ON)}")
        )
    shrinkage = params.get("shrinkage")
    if shrinkage is not None and (
        isinstance(shrinkage, bool) or not isinstance(shrinkage, int | float) or not 0 <= shrinkage < 1
    ):
        raise InputError("params", Problem("shrinkage", f"{shrinkage!r} is not allowed", "give a share, 0 <= x < 1"))
    return {"center_version_id": version, "forecast_id": forecast, "plan_on": plan_on, "shrinkage": shrinkage}


def requirements_job(params: Mapping[str, Any], context: JobContext) -> dict[str, Any]:
    """The requirement of a stored forecast as `wfm requirements` computes it: result {"requirement_id": kept as a
    dataset of the centre, "work_types", "intervals", "notes" (where each work type's handle time came from, the
    demand of closed hours)}; the file `requirement.csv`."""
    store = context.store
    center = stored_center(store, params["center_version_id"])
    with store.session() as session:
        version = session.get(CenterVersion, params["center_version_id"])
        if version is None:
            raise InputError("params", Problem("center_version_id", "the centre version is gone", "submit it again"))
        center_id = version.center_id
    context.progress({"stage": "staffing"})
    forecast = stored_table(store, params["forecast_id"])
    settings = StaffingSettings(plan_on=params["plan_on"], shrinkage=params["shrinkage"])
    with TemporaryDirectory(prefix="wfm-requirements-") as folder:
        out = Path(folder) / "out"
        names = {out: "the requirement"}
        with speaking_of(names):
            done = run_requirements(forecast, center, out / "requirement.csv", settings=settings)
        context.progress({"stage": "storing"})
        table = read_table(out / "requirement.csv", REQUIREMENT, timezone=center.timezone)
        files = unplaced(folder_files(out), names)
    row = Dataset(
        center_id=center_id,
        kind="requirement",
        name=f"requirement of forecast {params['forecast_id']} ({params['plan_on']})",
        rows=len(table),
        table=to_parquet_blob(table),
        meta=dataset_meta("requirement", table, center) | {"forecast_id": params["forecast_id"]},
    )
    return {
        "work_types": sorted(str(w) for w in table["work_type"].unique()),
        "intervals": int(table["interval_start"].nunique()),
        "notes": unplaced_value(list(done.notes), names),
        ROWS: {"requirement_id": row},
        FILES: files,
    }
