"""Benchmark of the plan's honesty, delivery and cost (issue 13): the roster made in the simulation loop, its
capacity diagnosis and remedies, judged by an independent simulation.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.plan_quality                             # M and L (seed 0), S seed 7
    .venv/bin/python -m benchmarks.plan_quality --cases M:0 --budget M=300   # the M week, the default budget
    .venv/bin/python -m benchmarks.plan_quality --work /tmp/pq --cases M:0 L:0 M:11

Each case ``SIZE:SEED`` is a demo centre (`scenarios.run_demo` without roster settings: centre, history and the
plan week's forecast, cached under ``--work DIR/SIZE-SEED``; per-ticket history for S and M, interval counts for
L and XL). A seed other than 0 is a centre the project was never tuned on. The plan is made as `wfm plan` makes it
(`planner.jobs.plan_forecast`): the roster in the simulation loop (first solve ``--time-limit``, re-solves
``--resolve-limit``, all within ``--budget``), the diagnosis with its remedies, and the plan's own check
simulation. Then the kept roster is simulated once more with ``--replications`` replications and a seed no stage
used (``--seed``): the **independent check**.

Reported per work type: target, the plan's promise (its loop's simulation), the staffing maths' estimate (Erlang
at the roster's allocation, effective handle time), the independent check with its 95% interval, the promise's
distance from the check (honesty: within 3 points), whether the check is within 2 points of target (delivery),
and for a short work type the diagnosis (shortfall, binding reason) and the top remedy's simulated level. Per
case: paid hours per loop iteration, against the requirement with shrinkage (cost), and wall times. Printed as
tables and written as JSON to ``benchmarks/results/plan_quality.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import machine_info, write_report
from models import FORECAST, load_center, read_table
from planner.diagnosis import DiagnosisSettings
from planner.jobs import plan_forecast
from planner.loop import LoopSettings
from planner.roster import RosterSettings
from planner.simulation import SimulationSettings, build_scenario, forecast_demand, simulate
from scenarios.demo import run_demo
from scenarios.generator import GeneratorSettings

RESULTS = Path(__file__).parent / "results" / "plan_quality.json"
DEFAULT_CASES = ("M:0", "L:0", "S:7")
TIME_LIMITS = {"S": 10.0, "M": 20.0, "L": 60.0, "XL": 120.0}
RESOLVE_LIMITS = {"S": 5.0, "M": 15.0, "L": 40.0, "XL": 90.0}
BUDGETS = {"S": 120.0, "M": 300.0, "L": 600.0, "XL": 1200.0}
HONEST_POINTS = 3.0
DELIVERY_POINTS = 2.0


def _sized(values: list[str] | None, defaults: dict[str, float]) -> dict[str, float]:
    out = dict(defaults)
    for item in values or []:
        size, _, value = item.partition("=")
        out[size.upper()] = float(value)
    return out


def _inputs(size: str, seed: int, work: Path) -> Path:
    folder = work / f"{size}-{seed}"
    if not (folder / "center.yaml").exists() or not (folder / "forecast.csv").exists():
        shape = "tickets" if size in ("S", "M") else "intervals"
        run_demo(GeneratorSettings(size=size, seed=seed, history_shape=shape), folder)
    return folder


def _pct(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * float(value):.1f}"


def run_case(size: str, seed: int, args: argparse.Namespace, limits: dict[str, dict[str, float]]) -> dict[str, Any]:
    folder = _inputs(size, seed, args.work)
    center = load_center(folder / "center.yaml")
    forecast = read_table(folder / "forecast.csv", FORECAST, timezone=center.timezone)
    began = time.perf_counter()
    stages = plan_forecast(
        forecast,
        center,
        folder / "plan",
        settings=RosterSettings(time_limit_s=limits["time"][size], workers=args.workers),
        loop=LoopSettings(budget_s=limits["budget"][size], resolve_time_limit_s=limits["resolve"][size]),
        diagnosis=DiagnosisSettings(time_limit_s=min(limits["resolve"][size], 20.0)),
        on_iteration=lambda i: print(
            f"    iteration {i.number}: {i.paid_hours:,.0f} h, {i.cells_below} cells below, "
            f"shortfall {100 * i.shortfall:.1f} ({i.elapsed_s:.0f} s)",
            flush=True,
        ),
    )
    plan_s = time.perf_counter() - began
    loop, diagnosis = stages.loop, stages.diagnosis
    horizon = center.horizon_covering(forecast["interval_start"])
    scenario = build_scenario(center, loop.roster.roster, forecast_demand(forecast, center, horizon), horizon)
    check = simulate(scenario, SimulationSettings(replications=args.replications, seed=args.seed))
    promised = loop.simulation.work_types.set_index("work_type")
    checked = check.work_types.set_index("work_type")
    erlang = {**loop.roster.kpis["expected_service_level"], **loop.roster.kpis["deferred_work_in_time"]}
    rows = []
    for work_type in center.work_types:
        p, c = promised.loc[work_type.id], checked.loc[work_type.id]
        target = work_type.target.service_level
        level = float(c["service_level"])
        short = diagnosis.shortfalls.get(work_type.id)
        ranked = diagnosis.ranked(work_type.id) if short is not None else []
        top = ranked[0] if ranked else None
        rows.append(
            {
                "work_type": work_type.id,
                "priority": work_type.priority,
                "realtime": work_type.mode.value == "realtime",
                "target": target,
                "promised": float(p["service_level"]),
                "erlang": erlang.get(work_type.id),
                "checked": level,
                "checked_ci": [float(c["service_level_lo"]), float(c["service_level_hi"])],
                "honesty_points": abs(float(p["service_level"]) - level) * 100,
                "delivered": level >= target - DELIVERY_POINTS / 100,
                "diagnosed": short is not None,
                "shortfall_agent_hours": None if short is None else short.agent_hours_short,
                "binding": None if short is None else short.binding,
                "top_remedy": None if top is None else top.description,
                "top_remedy_level": None if top is None else top.service_level.get(work_type.id),
                "top_remedy_meets": None if top is None else top.meets.get(work_type.id),
                "top_remedy_extra_cost": None if top is None else top.extra_cost,
            }
        )
    hours = center.interval_minutes / 60
    requirement = loop.requirement
    return {
        "case": f"{size}:{seed}",
        "agents": len(center.agents),
        "plan_s": plan_s,
        "loop": loop.summary(),
        "diagnosis_s": diagnosis.elapsed_s,
        "diagnosis_notes": diagnosis.notes,
        "requirement_agent_hours": float(requirement["required_agents"].sum() * hours),
        "requirement_with_shrinkage_agent_hours": float(requirement["required_agents_with_shrinkage"].sum() * hours),
        "paid_hours": float(loop.roster.kpis["paid_hours"]),
        "contract_max_hours": sum(center.contract_of(a).max_paid_minutes_week for a in center.agents) / 60,
        "check": {"replications": args.replications, "seed": args.seed},
        "work_types": rows,
    }


def _print_case(case: dict[str, Any]) -> None:
    print(
        f"\n{case['case']}: {case['agents']} agents, plan {case['plan_s']:.0f} s "
        f"(diagnosis {case['diagnosis_s']:.0f} s); "
        f"paid {case['paid_hours']:,.0f} h against a requirement of {case['requirement_agent_hours']:,.0f} "
        f"agent-hours ({case['requirement_with_shrinkage_agent_hours']:,.0f} with shrinkage; contracts allow "
        f"{case['contract_max_hours']:,.0f} h)"
    )
    print("  loop: " + "; ".join(case["loop"]["notes"]))
    for step in case["loop"]["iterations"]:
        print(
            f"    iteration {step['iteration']}: {step['paid_hours']:,.0f} h, {step['cells_below_target']} cells "
            f"below, shortfall {step['weighted_shortfall_points']}"
        )
    header = (
        f"  {'work type':<18}{'target':>7}{'promised':>9}{'erlang':>8}{'checked [95%]':>22}{'|diff|':>8}"
        f"{'delivered':>10}  diagnosis / top remedy"
    )
    print(header)
    for row in case["work_types"]:
        ci = f"{_pct(row['checked'])} [{_pct(row['checked_ci'][0])}, {_pct(row['checked_ci'][1])}]"
        extra = ""
        if row["diagnosed"]:
            extra = (
                f"short {row['shortfall_agent_hours']:.0f} h ({row['binding']}); top remedy -> "
                f"{_pct(row['top_remedy_level'])}{' meets' if row['top_remedy_meets'] else ''}"
            )
        print(
            f"  {row['work_type']:<18}{_pct(row['target']):>7}{_pct(row['promised']):>9}{_pct(row['erlang']):>8}"
            f"{ci:>22}{row['honesty_points']:>8.1f}{'yes' if row['delivered'] else 'no':>10}  {extra}"
        )
    honest = max(r["honesty_points"] for r in case["work_types"])
    failing = [
        r["work_type"]
        for r in case["work_types"]
        if r["realtime"] and not r["delivered"] and not (r["diagnosed"] and r["top_remedy_meets"])
    ]
    print(
        f"  honesty: largest |promise - check| {honest:.1f} points (target <= {HONEST_POINTS:g}): "
        f"{'MET' if honest <= HONEST_POINTS else 'MISSED'}; delivery (or diagnosed and the top remedy delivers): "
        f"{'MET' if not failing else 'MISSED for ' + ', '.join(failing)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), help="SIZE:SEED demo centres")
    parser.add_argument("--work", type=Path, default=Path("/tmp/plan-quality"), help="cache of inputs and plans")
    parser.add_argument("--time-limit", nargs="*", help="SIZE=SECONDS for the first roster solve")
    parser.add_argument("--resolve-limit", nargs="*", help="SIZE=SECONDS for each re-solve")
    parser.add_argument("--budget", nargs="*", help="SIZE=SECONDS for the whole loop")
    parser.add_argument("--replications", type=int, default=20, help="replications of the independent check")
    parser.add_argument("--seed", type=int, default=4242, help="seed of the independent check")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    args = parser.parse_args(argv)
    limits = {
        "time": _sized(args.time_limit, TIME_LIMITS),
        "resolve": _sized(args.resolve_limit, RESOLVE_LIMITS),
        "budget": _sized(args.budget, BUDGETS),
    }
    report: dict[str, Any] = {
        "benchmark": "plan_quality",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "limits": limits,
        "cases": [],
    }
    for case in args.cases:
        size, _, seed = case.partition(":")
        print(f"{size}:{seed or 0} ...", flush=True)
        result = run_case(size.upper(), int(seed or 0), args, limits)
        report["cases"].append(result)
        _print_case(result)
        write_report(RESULTS, report)
    print(f"\nWrote {RESULTS}")


if __name__ == "__main__":
    main()
