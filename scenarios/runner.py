"""Run a scenario file's variants on a Dask cluster: each variant a task that plans the changed centre
(requirement -> roster in the simulation loop -> check simulation) and returns its figures.

With no scheduler address a `distributed.LocalCluster` of `workers` single-threaded processes is started and
stopped; with one, the variants run on that cluster (its workers must have this project installed). The base
centre and forecast go to the workers once (scattered to all of them), not with every task.

Results are written per variant as they finish (``DIR/variants/SLUG/result.json`` and the variant's
``roster.csv``), each file atomically, so that a run stopped by a crash or Ctrl-C loses only the variants in
flight: a re-run skips every variant whose result was made from the same inputs and settings (a fingerprint of
the base files, the planning options and the variant's changes) and re-plans the others, failed ones included.
A variant that fails is written with its error; the others go on. The report (`scenarios.report`) is written at
the end of every run.

Determinism: each roster is solved in CP-SAT's deterministic mode by default (`RosterOptions.deterministic`,
the time limit then in deterministic seconds) with the spec's own number of search workers, the loop stops on
its iteration count and not on wall time, and every simulation is seeded by the spec: the same spec gives the
same results on any number of Dask workers and under any load.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from models import FORECAST, ROSTER, Center, Mode, load_center, read_table
from models.errors import ConfigError, InputError, Problem
from models.io import check_output_folder, locate_in_yaml, table_writer, text_writer, write_files
from planner.loop import LoopSettings, plan_with_simulation
from planner.roster import RosterSettings
from planner.runtime import Cancellation, Interrupted, honouring
from planner.simulation import SimulationSettings, build_scenario, forecast_demand, simulate
from scenarios.changes import apply_changes, reference_problems
from scenarios.spec import BASE_NAME, ScenarioSpec, Variant, expand, grid_variants, load_spec

__all__ = [
    "CHECK_SEED_OFFSET",
    "ScenarioRun",
    "VariantEvent",
    "load_base",
    "plan_variant",
    "run_scenarios",
    "slug",
]

#: The check simulation of each plan uses other random numbers than the loop that made it (its seed + this).
CHECK_SEED_OFFSET = 1_000
#: The loop's wall-time budget in a sweep: large, so that it stops on its iteration count (determinism).
_NO_BUDGET_S = 1e9
RESULT = "result.json"


@dataclass(frozen=True)
class VariantEvent:
    """A variant finished (`status` "done" or "failed") or was skipped ("kept": its result was already there)."""

    name: str
    status: str
    done: int
    total: int
    wall_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class ScenarioRun:
    out: Path
    results: list[dict[str, Any]]
    planned: int  # variants planned by this run
    kept: int  # variants whose results were already there
    failed: int
    wall_s: float
    files: list[Path] = field(default_factory=list)


def slug(name: str) -> str:
    """A folder name for a variant: its name in lower-case letters, digits and dashes, and a short hash (two
    names that read alike stay apart)."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "variant"
    return f"{text}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"


def load_base(spec: ScenarioSpec, out: Path, center: Center | None = None) -> tuple[Center, pd.DataFrame]:
    """The base centre (`center` where already read) and forecast (a history is forecast here, once, and its
    forecast written to ``DIR/base_forecast.csv``)."""
    center = center or load_center(spec.base.center)
    if spec.base.forecast is not None:
        forecast = read_table(spec.base.forecast, FORECAST, timezone=center.timezone)
        return center, forecast
    from forecasting import ForecastSettings
    from planner.jobs import load_forecast_inputs, run_forecast

    assert spec.base.history is not None and spec.base.start is not None
    inputs = load_forecast_inputs(spec.base.history, spec.base.center)
    job = run_forecast(
        inputs,
        out / "base_forecast.csv",
        start=spec.base.start,
        days=spec.base.days,
        settings=ForecastSettings(interval_minutes=center.interval_minutes),
    )
    return center, job.result.table


def plan_variant(center: Center, forecast: pd.DataFrame, variant: Variant, spec: ScenarioSpec) -> dict[str, Any]:
    """Plan one variant (runs on a worker): its changes applied, the roster made in the simulation loop, the
    roster checked by a simulation with other random numbers. The figures per work type and in total."""
    began = time.perf_counter()
    applied = apply_changes(center, forecast, variant, seed=spec.simulation.seed)
    options = spec.roster
    roster_settings = RosterSettings(
        time_limit_s=options.time_limit_s,
        workers=options.workers,
        seed=options.seed,
        deterministic=options.deterministic,
    )
    loop = LoopSettings(
        budget_s=_NO_BUDGET_S,
        max_iterations=spec.loop.max_iterations,
        resolve_time_limit_s=options.time_limit_s,
        replications=spec.simulation.replications,
        seed=spec.simulation.seed,
    )
    planned = plan_with_simulation(
        applied.forecast, applied.center, staffing=applied.staffing, roster=roster_settings, settings=loop
    )
    horizon = applied.center.horizon_covering(applied.forecast["interval_start"])
    demand = forecast_demand(applied.forecast, applied.center, horizon)
    scenario = build_scenario(applied.center, planned.roster.roster, demand, horizon)
    check = simulate(
        scenario,
        SimulationSettings(replications=spec.simulation.replications, seed=spec.simulation.seed + CHECK_SEED_OFFSET),
    )
    kpis = planned.roster.kpis
    promised = planned.simulation.service_levels()
    rows = []
    for record in check.work_types.to_dict("records"):
        work_type = applied.center.work_type(str(record["work_type"]))
        deferred = work_type.mode is Mode.DEFERRED
        rows.append(
            {
                "work_type": work_type.id,
                "priority": work_type.priority,
                "target_service_level": work_type.target.service_level,
                "within_s": work_type.target.within_s,
                "offered": _number(record["offered"]),
                "service_level": _number(record["service_level"]),
                "service_level_lo": _number(record["service_level_lo"]),
                "service_level_hi": _number(record["service_level_hi"]),
                "promised_service_level": _number(promised.get(work_type.id, (None, None, None))[0]),
                "abandon_rate": None if deferred else _number(record.get("abandon_rate")),
                "deferred_in_time": _number(record["service_level"]) if deferred else None,
                "meets_target": bool(record["meets_target"]),
            }
        )
    return {
        "variant": variant.name,
        "changes": json.loads(variant.key()),
        "picked": applied.summary(),
        "agents": len(applied.center.agents),
        "paid_hours": round(float(kpis["paid_hours"]), 2),
        "cost": round(float(kpis["paid_cost"]), 2),
        "understaffed_agent_hours": {k: round(float(v), 2) for k, v in kpis["understaffed_agent_hours"].items()},
        "occupancy": _number(check.summary.get("occupancy")),
        "service_level": _overall(check.work_types),
        "work_types": rows,
        "roster_status": planned.roster.status,
        "loop_iterations": len(planned.iterations),
        "loop_stopped": planned.stopped,
        "wall_s": round(time.perf_counter() - began, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "roster": planned.roster.roster,
    }


def _overall(work_types: pd.DataFrame) -> float | None:
    """The service level of all realtime work: met over offered, all realtime types together."""
    realtime = work_types[work_types["realtime"].astype(bool)]
    offered = realtime["offered"].to_numpy(dtype=float)
    if offered.sum() <= 0:
        return None
    return round(float((realtime["service_level"].fillna(0).to_numpy(dtype=float) * offered).sum() / offered.sum()), 4)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else round(number, 4)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


#: The packages whose code makes a plan: their source is part of every fingerprint.
_PLANNING_PACKAGES = ("models", "forecasting", "planner", "scenarios")


@functools.cache
def code_digest() -> str:
    """A hash of the planning code's source files (`_PLANNING_PACKAGES`): results made by other code are not
    kept by a resumed run."""
    digest = hashlib.sha256()
    for name in _PLANNING_PACKAGES:
        root = Path(importlib.import_module(name).__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(spec: ScenarioSpec, variant: Variant) -> str:
    """What a variant's result depends on: the planning code, the base files' bytes, the planning options, the
    variant's changes."""
    digest = hashlib.sha256(code_digest().encode())
    for path in (spec.base.center, spec.base.forecast, spec.base.history):
        if path is not None:
            digest.update(Path(path).read_bytes())
    digest.update(str(spec.base.start).encode() + str(spec.base.days).encode())
    for part in (spec.roster, spec.loop, spec.simulation):
        digest.update(part.model_dump_json().encode())
    digest.update(variant.key().encode())
    return digest.hexdigest()


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: of the cluster at `scheduler`, or of a local cluster of `workers` processes (one thread
    each, on 127.0.0.1, no dashboard) started and stopped here."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]
            yield client
        return
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # its HTTP routes on a free port of `host`: no clash with another cluster's 8787
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def run_scenarios(
    spec_path: str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    on_event: Callable[[VariantEvent], None] | None = None,
    cancel: Cancellation | None = None,
) -> ScenarioRun:
    """Plan every variant of the scenario file at `spec_path` into `out_dir` (module docstring), then write the
    report. Bad input (the file, a change naming what the base centre lacks, the base centre or forecast) raises
    before any work. Cancelled (`cancel`): the variants in flight are dropped, those finished stay written, and
    `Interrupted` is raised."""
    began = time.perf_counter()
    check_workers(workers)
    spec = load_spec(spec_path)
    out = check_output_folder(out_dir)
    center = load_center(spec.base.center)
    check_variants(spec, center, spec_path)
    center, forecast = load_base(spec, out, center)
    variants = expand(spec)
    with Sweep(spec, center, forecast, out / "variants", scheduler, workers, cancel) as sweep:
        results = sweep.run(variants, on_event)
    from scenarios.report import write_report

    ordered = [results[v.name] for v, _ in variants]
    files = write_report(out, ordered, spec_path=Path(spec_path))
    failed = sum("error" in r for r in ordered)
    return ScenarioRun(
        out, ordered, sweep.planned, len(variants) - sweep.planned, failed, time.perf_counter() - began, files
    )


def check_workers(workers: int) -> None:
    if workers < 1:
        raise InputError("--workers", Problem("", f"{workers} workers", "give at least 1"))


class Sweep:
    """Variants planned on a Dask cluster (a local one started here where no `scheduler` is given), the base
    centre and forecast scattered to the workers once; each result written under `folder` as it comes, and a
    variant whose stored result has the same fingerprint kept instead of planned again."""

    def __init__(
        self,
        spec: ScenarioSpec,
        center: Center,
        forecast: pd.DataFrame,
        folder: Path,
        scheduler: str | None = None,
        workers: int = 2,
        cancel: Cancellation | None = None,
    ) -> None:
        self.spec, self.center, self.forecast, self.folder = spec, center, forecast, folder
        self.scheduler, self.workers, self.cancel = scheduler, workers, cancel
        self.planned = 0
        self._stack: ExitStack | None = None
        self._client: Any = None
        self._data: tuple[Any, Any] | None = None

    def __enter__(self) -> Sweep:
        self._stack = ExitStack()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stack is not None
        self._stack.close()

    def _scattered(self) -> tuple[Any, Any, Any]:
        """The client and the base's futures, the cluster started at the first variant to plan."""
        if self._client is None:
            assert self._stack is not None
            self._client = self._stack.enter_context(_client(self.scheduler, self.workers))
            center_f, forecast_f = self._client.scatter([self.center, self.forecast], broadcast=True)
            self._data = (center_f, forecast_f)
        assert self._data is not None
        return self._client, *self._data

    def run(
        self, variants: list[tuple[Variant, list[str]]], on_event: Callable[[VariantEvent], None] | None = None
    ) -> dict[str, dict[str, Any]]:
        self.folder.mkdir(parents=True, exist_ok=True)
        total = len(variants)
        results: dict[str, dict[str, Any]] = {}
        todo: list[tuple[Variant, list[str], str]] = []
        for variant, aliases in variants:
            stamp = fingerprint(self.spec, variant)
            stored = _stored(self.folder / slug(variant.name) / RESULT)
            if stored is not None and stored.get("fingerprint") == stamp and "error" not in stored:
                if stored.get("same_as") != aliases:  # this run's aliases, not the stored run's (for the report)
                    stored = {**stored, "same_as": aliases}
                    _write_result(self.folder / slug(variant.name), stored, None)
                results[variant.name] = stored
                if on_event:
                    on_event(VariantEvent(variant.name, "kept", len(results), total, stored.get("wall_s")))
            else:
                todo.append((variant, aliases, stamp))
        if not todo:
            return results
        from distributed import as_completed

        client, center_f, forecast_f = self._scattered()
        options = self.spec.model_copy(update={"variants": [], "grid": {}})  # a task needs the options, not the list
        futures = {
            client.submit(_task, center_f, forecast_f, variant, options, key=f"variant-{stamp[:20]}"): (
                variant,
                aliases,
                stamp,
            )
            for variant, aliases, stamp in todo
        }
        stop = self.cancel.stopping(lambda: client.cancel(list(futures))) if self.cancel else nullcontext()
        with honouring(self.cancel), stop:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                if future.cancelled():
                    continue
                variant, aliases, stamp = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker lost: the variant fails, the others go on
                    result = {"variant": variant.name, "error": f"{type(exc).__name__}: {exc}"}
                result = {**result, "same_as": aliases, "fingerprint": stamp}
                _write_result(self.folder / slug(variant.name), result, result.pop("roster", None))
                results[variant.name] = result
                self.planned += 1
                if on_event:
                    status = "failed" if "error" in result else "done"
                    event = VariantEvent(
                        variant.name, status, len(results), total, result.get("wall_s"), result.get("error")
                    )
                    on_event(event)
        if self.cancel is not None and self.cancel.cancelled:
            written = [self.folder / slug(name) / RESULT for name in results]
            raise Interrupted(
                f"{len(results)} of {total} variants done and kept in {self.folder}; run again to plan the others",
                written,
            )
        return results


def _task(center: Center, forecast: pd.DataFrame, variant: Variant, spec: ScenarioSpec) -> dict[str, Any]:
    """`plan_variant` on a worker, its failure returned as the variant's error."""
    try:
        return plan_variant(center, forecast, variant, spec)
    except (ConfigError, InputError) as exc:
        return {"variant": variant.name, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a variant that fails is reported; the others go on
        return {"variant": variant.name, "error": f"{type(exc).__name__}: {exc}"}


def check_variants(spec: ScenarioSpec, center: Center, spec_path: str | Path) -> None:
    """Every change names what the base centre has: else a `ConfigError` naming the scenario file's line."""
    problems = []
    for i, variant in enumerate(spec.variants):
        problems += [Problem(f"variants[{i}].{p.where}", p.what, p.fix) for p in reference_problems(center, variant)]
    grid_problems = {(p.where, p.what): p for v in grid_variants(spec) for p in reference_problems(center, v)}

    problems += [Problem(f"grid.{p.where}", p.what, p.fix) for p in grid_problems.values()]
    if problems:
        raise ConfigError(str(spec_path), locate_in_yaml(spec_path, problems))


def _stored(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_result(folder: Path, result: dict[str, Any], roster: pd.DataFrame | None) -> None:
    """The variant's roster (the `models.ROSTER` contract, as `wfm roster` writes it), then its result (which marks
    it done), each atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    if roster is not None:
        path = folder / "roster.csv"
        write_files({path: table_writer(roster, ROSTER, path)})
    write_files({folder / RESULT: text_writer(json.dumps(result, indent=2, default=str) + "\n")})


def read_results(out_dir: str | Path, names: list[str] | None = None) -> list[dict[str, Any]]:
    """The variants' results stored under `out_dir`: those of `names`, or all of them in the order of the last
    run's report (``summary.json``; the others after them, in folder order)."""
    folder = Path(out_dir) / "variants"
    paths = [folder / slug(n) / RESULT for n in names] if names is not None else sorted(folder.glob(f"*/{RESULT}"))
    found = [r for r in map(_stored, paths) if r is not None]
    if names is not None:
        return found
    summary = _stored(Path(out_dir) / "summary.json") or {}
    listed = [h.get("variant") for h in summary.get("by_variant", []) if isinstance(h, dict)]
    order = {name: i for i, name in enumerate(listed)}
    return sorted(found, key=lambda r: (order.get(r.get("variant"), len(order)), r.get("variant") != BASE_NAME))
