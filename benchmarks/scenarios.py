"""Benchmark of the what-if sweep on Dask: a 24-variant sweep of the demo M on 1 and on 2 workers (wall time,
parallel efficiency, peak memory per worker, identical results), and the capacity search on the demo M.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.scenarios                              # the sweep on 1 and 2 workers
    .venv/bin/python -m benchmarks.scenarios --capacity                   # and the capacity search
    .venv/bin/python -m benchmarks.scenarios --variants 4 --time-limit 1 --replications 2   # a smoke test

The demo M centre and its forecast (`scenarios.run_demo` without a roster: ``center.yaml`` and
``forecast.csv``) are made once and cached under ``--work DIR/M-0``. The scenario file (``DIR/sweep/
scenarios.yaml``) holds the base and 23 variants, each a different plan: eleven single changes (AHT, volume of one
work type, cross-training, a stricter target, hires like an agent, shrinkage, p90 planning, fewer agents of a
skill, a stricter target of another queue, training in chat, AHT everywhere) and the twelve points of volume x
(0.9, 1.1, 1.2, 1.3) by 0, 5 or 10 agents fewer. ``--variants N`` keeps the first N (the base first).

Each variant is planned with ``--time-limit`` deterministic seconds per roster solve (default 2), ``--iterations``
roster solves of the simulation loop (default 1: the roster, simulated, then checked) and ``--replications``
(default 5): on two shared cores a variant of the demo M then takes about 21 s on its worker, most of it the
roster solve (the greedy warm start and the break placement take most of that whatever the limit), so the
1-worker sweep takes about 9 minutes. With 2 loop iterations a variant took about 45 s.

The sweep runs with ``wfm scenarios run``'s job (`scenarios.runner.run_scenarios`) into fresh folders, on a local
cluster of 1 and then of 2 single-threaded worker processes. Reported: the wall time of each run (cluster start
and report included), each variant's own time on its worker (`wall_s`), the parallel efficiency T1 / (2 x T2),
each run's peak memory per worker (the largest peak resident set of a worker process, read by the task after each
variant) and whether the two runs' ``results.csv`` are byte for byte identical (where not, the first cells that
differ). With ``--capacity``: `scenarios.capacity.find_capacity` on the demo M with the same planning options on 2
workers: the headcount found, its simulated service level per work type against the target, the headcounts
evaluated and the time. Printed and written as JSON to ``benchmarks/results/scenarios.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from benchmarks.common import machine_info, write_report
from models import FORECAST, Center, load_center, read_table
from scenarios.demo import run_demo
from scenarios.generator import GeneratorSettings
from scenarios.runner import VariantEvent, run_scenarios
from scenarios.snapshot import busiest_phone

RESULTS = Path(__file__).resolve().parent / "results" / "scenarios.json"
SIZE, SEED = "M", 0
#: The grid of the sweep: overall volume factor x agents removed.
VOLUMES, REMOVED = (0.9, 1.1, 1.2, 1.3), (0, 5, 10)


def inputs(work: Path) -> tuple[Path, Path]:
    """The demo M centre and forecast, made once under `work`."""
    folder = work / f"{SIZE}-{SEED}"
    center, forecast = folder / "center.yaml", folder / "forecast.csv"
    if not (center.is_file() and forecast.is_file()):
        run_demo(GeneratorSettings(size=SIZE, seed=SEED), folder)
    return center, forecast


def sweep_variants(center: Center, forecast: pd.DataFrame) -> list[dict[str, Any]]:
    """The 23 variants besides the base: eleven single changes, then the twelve grid points."""
    phones = sorted((w for w in center.work_types if w.channel == "phone"), key=lambda w: (w.priority, w.id))
    busiest = center.work_type(busiest_phone(center, forecast))
    top = phones[0]
    second = next(w for w in phones if w.id not in (top.id, busiest.id))
    like = next(a.id for a in center.agents if top.skill in {s.skill for s in a.skills})
    chat = next((w for w in center.work_types if w.channel == "chat"), None)
    trained = chat.skill if chat is not None else second.skill
    listed: list[dict[str, Any]] = [
        {"name": f"{busiest.id} AHT +10%", "aht": {busiest.id: 1.1}},
        {"name": f"cross-train 5 {busiest.skill} agents in {top.skill}",
         "train": [{"skill": top.skill, "count": 5, "from_skill": busiest.skill}]},
        {"name": f"{top.id} 90/20", "targets": {top.id: {"service_level": 0.9, "within_s": 20}}},
        {"name": f"5 more like {like}", "headcount": {"add": [{"like": like, "count": 5}]}},
        {"name": f"{busiest.id} volume +20%", "volume": {busiest.id: 1.2}},
        {"name": "shrinkage 30%", "shrinkage": 0.30},
        {"name": "plan on p90", "plan_on": "p90"},
        {"name": f"5 fewer {busiest.skill} agents", "headcount": {"remove": 5, "remove_skill": busiest.skill}},
        {"name": f"{second.id} 90/30", "targets": {second.id: {"service_level": 0.9, "within_s": 30}}},
        {"name": f"train 5 agents in {trained}", "train": [{"skill": trained, "count": 5}]},
        {"name": "AHT +10% everywhere", "aht": {"all": 1.1}},
    ]  # fmt: skip
    grid = [
        {"name": f"volume x{v:g}, {r} fewer agents", "volume": {"all": v}, "headcount": {"remove": r}}
        for v in VOLUMES
        for r in REMOVED
    ]
    return listed + grid


def write_spec(path: Path, center_path: Path, forecast_path: Path, variants: list[dict[str, Any]], args: Any) -> Path:
    spec = {
        "base": {"center": str(center_path.resolve()), "forecast": str(forecast_path.resolve())},
        "roster": {"time_limit_s": args.time_limit},
        "loop": {"max_iterations": args.iterations},
        "simulation": {"replications": args.replications, "seed": args.seed},
        "variants": variants,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=120), encoding="utf-8")
    return path


def _progress(event: VariantEvent) -> None:
    took = "" if event.wall_s is None else f" {event.wall_s:.1f} s"
    print(
        f"  [{event.done}/{event.total}] {event.name}: {event.status}{took}"
        + (f": {event.error}" if event.error else "")
    )


def run_sweep(spec: Path, out: Path, workers: int) -> dict[str, Any]:
    """The sweep into a fresh `out` on a local cluster of `workers` processes."""
    shutil.rmtree(out, ignore_errors=True)
    print(f"sweep on {workers} worker{'s' if workers > 1 else ''}:")
    began = time.perf_counter()
    done = run_scenarios(spec, out, workers=workers, on_event=_progress)
    wall = time.perf_counter() - began
    variants = [
        {
            "variant": r["variant"],
            "wall_s": r.get("wall_s"),
            "peak_rss_mb": r.get("peak_rss_mb"),
            "agents": r.get("agents"),
            "service_level": r.get("service_level"),
            "cost": r.get("cost"),
            "loop_iterations": r.get("loop_iterations"),
            "roster_status": r.get("roster_status"),
            "error": r.get("error"),
        }
        for r in done.results
    ]
    times = [v["wall_s"] for v in variants if v["wall_s"] is not None]
    peaks = [v["peak_rss_mb"] for v in variants if v["peak_rss_mb"] is not None]
    return {
        "workers": workers,
        "wall_s": round(wall, 2),
        "variants": len(variants),
        "failed": done.failed,
        "variant_s_total": round(sum(times), 2),
        # On one worker the variants run one after another: the rest of the wall time is the cluster's start and
        # stop, the scatter, the scheduling and the writing of results and report.
        "overhead_s": round(wall - sum(times), 2) if workers == 1 else None,
        "variant_s_mean": round(sum(times) / len(times), 2) if times else None,
        "variant_s_max": max(times, default=None),
        "peak_rss_mb_per_worker": max(peaks, default=None),
        "by_variant": variants,
    }


def compare_results(one: Path, two: Path, limit: int = 10) -> dict[str, Any]:
    """Whether two ``results.csv`` are byte for byte the same; where not, the first cells that differ."""
    a, b = one.read_bytes(), two.read_bytes()
    if a == b:
        return {"identical": True, "differences": []}
    left, right = pd.read_csv(one, dtype=str), pd.read_csv(two, dtype=str)
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return {
            "identical": False,
            "differences": [{"shape": [list(left.shape), list(right.shape)], "columns_equal": False}],
        }
    differences = []
    for i in range(len(left)):
        for column in left.columns:
            x, y = left.at[i, column], right.at[i, column]
            if not (pd.isna(x) and pd.isna(y)) and x != y:
                differences.append(
                    {"variant": left.at[i, "variant"], "work_type": left.at[i, "work_type"], column: [x, y]}
                )
                if len(differences) >= limit:
                    return {"identical": False, "differences": differences}
    return {"identical": False, "differences": differences}


def run_capacity(center_path: Path, forecast_path: Path, spec: Path, out: Path, workers: int) -> dict[str, Any]:
    from scenarios.capacity import find_capacity
    from scenarios.spec import load_spec

    shutil.rmtree(out, ignore_errors=True)
    print(f"capacity search on {workers} workers:")
    began = time.perf_counter()
    found = find_capacity(center_path, forecast_path, out, spec=load_spec(spec), workers=workers, on_event=_progress)
    wall = time.perf_counter() - began
    summary = found.summary()
    return {
        "workers": workers,
        "headcount": found.headcount,
        "base_headcount": found.base_headcount,
        "service_level": summary["service_level"],
        "target": summary["target"],
        "evaluations": summary["evaluations"],
        "evaluated": len(found.meets),
        "wall_s": round(wall, 2),
    }


def _print_summary(report: dict[str, Any]) -> None:
    sweeps = report.get("sweeps", [])
    if sweeps:
        print(
            f"\n{report['variants']} variants of the demo {SIZE} ({report['agents']} agents), "
            f"options {report['options']}"
        )
        print(
            f"  {'workers':>7} {'wall s':>8} {'sum variant s':>14} {'mean s':>7} {'max s':>7}"
            f" {'peak MB/worker':>15} {'failed':>6}"
        )
        for s in sweeps:
            print(
                f"  {s['workers']:>7} {s['wall_s']:>8.1f} {s['variant_s_total']:>14.1f}"
                f" {s['variant_s_mean'] or 0:>7.1f} {s['variant_s_max'] or 0:>7.1f}"
                f" {s['peak_rss_mb_per_worker'] or 0:>15.0f} {s['failed']:>6}"
            )
        one = next((s for s in sweeps if s["overhead_s"] is not None), None)
        if one is not None:
            print(f"  on 1 worker, outside the variants (cluster, scheduling, writing): {one['overhead_s']:.1f} s")
        if report.get("efficiency") is not None:
            print(f"  parallel efficiency T1 / (2 x T2): {100 * report['efficiency']:.0f}%")
        same = report.get("identical")
        if same is not None:
            print(f"  results.csv identical on 1 and 2 workers: {'yes' if same['identical'] else 'NO'}")
            for difference in same["differences"]:
                print(f"    {difference}")
    capacity = report.get("capacity")
    if capacity:
        if capacity["headcount"] is None:
            print(f"\ncapacity: no headcount meets every target ({capacity['evaluated']} evaluated)")
        else:
            print(
                f"\ncapacity: {capacity['headcount']} agents meet every target (today {capacity['base_headcount']}); "
                f"{capacity['evaluated']} headcounts evaluated in {capacity['wall_s']:.0f} s"
            )
            for work_type, level in (capacity["service_level"] or {}).items():
                shown = "-" if level is None else f"{100 * level:.1f}%"
                print(f"  {work_type:<18} {shown:>7} (target {100 * capacity['target'][work_type]:.0f}%)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("benchmarks/results/scenarios-work"))
    parser.add_argument("--variants", type=int, default=24, help="the first N variants (the base first)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="the sweep's runs (worker counts)")
    parser.add_argument("--time-limit", type=float, default=2.0, help="each roster solve (deterministic seconds)")
    parser.add_argument("--iterations", type=int, default=1, help="the simulation loop's roster solves")
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--capacity", action="store_true", help="also run the capacity search (2 workers)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweep (with --capacity)")
    args = parser.parse_args(argv)
    if not 1 <= args.variants <= 24:
        parser.error("--variants must be from 1 to 24")
    center_path, forecast_path = inputs(args.work)
    center = load_center(center_path)
    forecast = read_table(forecast_path, FORECAST, timezone=center.timezone)
    variants = sweep_variants(center, forecast)[: args.variants - 1]
    spec = write_spec(args.work / "sweep" / "scenarios.yaml", center_path, forecast_path, variants, args)
    options = {"time_limit_s": args.time_limit, "max_iterations": args.iterations, "replications": args.replications}
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(),
        "machine": machine_info(),
        "case": f"{SIZE}:{SEED}",
        "agents": len(center.agents),
        "variants": args.variants,
        "options": options,
        "spec": str(spec),
    }
    if not args.no_sweep:
        sweeps = [run_sweep(spec, args.work / "sweep" / f"workers-{n}", n) for n in args.workers]
        report["sweeps"] = sweeps
        by_workers = {s["workers"]: s for s in sweeps}
        if 1 in by_workers and 2 in by_workers:
            report["efficiency"] = round(by_workers[1]["wall_s"] / (2 * by_workers[2]["wall_s"]), 3)
            report["identical"] = compare_results(
                args.work / "sweep" / "workers-1" / "results.csv", args.work / "sweep" / "workers-2" / "results.csv"
            )
    if args.capacity:
        report["capacity"] = run_capacity(center_path, forecast_path, spec, args.work / "capacity", 2)
    _print_summary(report)
    write_report(RESULTS, report)
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
