"""The roster searches side by side on the same inputs (issue 19): CP-SAT on the whole model ("cpsat", the solver
before the neighbourhood search), the large-neighbourhood search ("lns", the default), with the bound each run
reports (CP-SAT's, the pay floor, or column generation's where it runs), over several seeds.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.roster_search --sizes M --methods cpsat lns --time-limit 120 --work /tmp/rs_work
    .venv/bin/python -m benchmarks.roster_search --sizes M --methods lns --time-limit 60 --seeds 0 1 2 3 4
    .venv/bin/python -m benchmarks.roster_search --input bank=CENTER.yaml,REQUIREMENT.csv --time-limit 60

Inputs: the demo centres' plan weeks (`benchmarks.roster_scale.demo_inputs`, cached under ``--work``), and any
centre with its requirement (``--input NAME=CENTER,REQUIREMENT``; e.g. the anonymous bank's, whose requirement
``wfm plan`` writes, README "A real call log, read as it is"). Each run is one `solve_roster` in this process,
one after the other (never two at once), with ``RosterSettings(time_limit_s, workers, seed, method)``.

"cpsat" runs as the solver did before (the whole model, no bound beside it); "lns" with column generation's
bound beside it unless ``--no-bound``. Per run: time to the first roster, objective / bound / gap at 10, 30, 60
and 120 s and at the limit (the state at t is the last improvement at or before t; after the first phase, the
final figures), what found the improvements (the warm start, the whole model, each neighbourhood, the bound), and
the independent validator's verdict. Per input and method over the seeds: the spread of the final objectives,
(max - min) / min. The best roster of all the runs of an input is the reference each run is measured against.

Results are printed and written as JSON to ``benchmarks/results/roster_search.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import machine_info, write_report
from benchmarks.roster_scale import checkpoints, demo_inputs
from models import REQUIREMENT, Center, load_center, read_table
from planner.roster import RosterSettings, solve_roster, validate_roster
from planner.roster.solver import DEFAULT_WORKERS, METHODS

RESULTS = Path(__file__).resolve().parent / "results" / "roster_search.json"
SIZES = ("S", "M", "L", "XL")


def _input(spec: str, parser: argparse.ArgumentParser) -> tuple[str, Path, Path]:
    name, _, files = spec.partition("=")
    center, _, requirement = files.partition(",")
    if not name or not center or not requirement:
        parser.error(f"--input {spec}: use NAME=CENTER.yaml,REQUIREMENT.csv")
    return name, Path(center), Path(requirement)


def run_one(
    name: str,
    center: Center,
    requirement: pd.DataFrame,
    method: str,
    seed: int,
    limit_s: float,
    workers: int,
    bound: bool,
) -> dict[str, Any]:
    """One solve. "cpsat" runs as the solver did before the neighbourhood search: no column generation beside it."""
    bound = bound and method != "cpsat"
    settings = RosterSettings(time_limit_s=limit_s, workers=workers, seed=seed, method=method, bound=bound)
    began = time.perf_counter()
    result = solve_roster(requirement, center, settings)
    wall = time.perf_counter() - began
    horizon = center.horizon_covering(requirement["interval_start"])
    found = validate_roster(result.roster, center, horizon, coverage=result.coverage, requirement=requirement)
    sources = Counter(step.source.split(":")[0] if step.source else "?" for step in result.progress)
    return {
        "input": name,
        "method": method + (" + bound" if bound else ""),
        "seed": seed,
        "limit_s": limit_s,
        "wall_s": wall,
        "status": result.status,
        "first_roster_s": result.first_solution_s,
        "objective": result.objective,
        "bound": result.best_bound,
        "gap": result.gap,
        "checkpoints": checkpoints(result, limit_s),
        "improvements_by_source": dict(sources),
        "search": result.search,
        "violations": len(found),
    }


def _cell(row: dict[str, Any]) -> str:
    if "objective" not in row:
        return str(row["state"])
    return f"{row['objective']:,.0f} / {row['bound']:,.0f} ({row['gap']:.1%})"


def format_runs(runs: list[dict[str, Any]]) -> str:
    best: dict[str, float] = {}
    for run in runs:
        best[run["input"]] = min(best.get(run["input"], float("inf")), run["objective"])
    labels = [row["label"] for row in runs[0]["checkpoints"]] if runs else []
    lines = [
        "| input | method | seed | first roster | " + " | ".join(labels) + " | vs best | validator |",
        "|---|---|---:|---:|" + "---:|" * len(labels) + "---:|---|",
    ]
    for run in runs:
        cells = " | ".join(_cell(row) for row in run["checkpoints"])
        first = run["first_roster_s"]
        above = run["objective"] / best[run["input"]] - 1
        verdict = "passed" if run["violations"] == 0 else f"{run['violations']} violations"
        lines.append(
            f"| {run['input']} | {run['method']} | {run['seed']} | "
            f"{'-' if first is None else f'{first:.1f} s'} | {cells} | +{above:.2%} | {verdict} |"
        )
    spreads = []
    for (name, method), objectives in _by_input_method(runs).items():
        if len(objectives) > 1:
            spread = (max(objectives) - min(objectives)) / min(objectives)
            spreads.append(f"{name} {method}: {len(objectives)} seeds, spread {spread:.2%}")
    return "\n".join(lines + ([""] + spreads if spreads else []))


def _by_input_method(runs: list[dict[str, Any]]) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        out.setdefault((run["input"], run["method"]), []).append(run["objective"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.roster_search", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", choices=SIZES, default=["M"], help="demo centres (default M)")
    parser.add_argument("--input", action="append", default=[], help="NAME=CENTER.yaml,REQUIREMENT.csv")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--no-bound", action="store_true", help="no column generation beside the search")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/results/roster_work"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    inputs: list[tuple[str, Center, pd.DataFrame]] = []
    for size in args.sizes:
        center, requirement, _ = demo_inputs(size, args.work)
        inputs.append((size, center, requirement))
    for spec in args.input:
        name, center_path, requirement_path = _input(spec, parser)
        center = load_center(center_path)
        inputs.append((name, center, read_table(requirement_path, REQUIREMENT, timezone=center.timezone)))
    runs = []
    for name, center, requirement in inputs:
        for method in args.methods:
            for seed in args.seeds:
                print(f"[{name}] {method}, seed {seed}, {args.time_limit:g} s ...", flush=True)
                run = run_one(name, center, requirement, method, seed, args.time_limit, args.workers, not args.no_bound)
                figures = f"objective {run['objective']:,.1f}, bound {run['bound']:,.1f}, gap {run['gap']:.2%}"
                print(f"  {figures}", flush=True)
                runs.append(run)
    print(format_runs(runs))
    write_report(args.out, {"machine": machine_info(), "workers": args.workers, "runs": runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
