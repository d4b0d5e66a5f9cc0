"""Benchmark of the discrete-event simulation's speed (issue 6): one day, 10,000 contacts, 100 agents, 6 work types.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.simulation_speed      # 7 timed replications; simulate() x 10 and x 40 (~40 s)
    .venv/bin/python -m benchmarks.simulation_speed --repeat 3 --replications 4 --workers 1

The day (built in code, seed `--seed`, default 0): Tuesday 2026-06-02 in Europe/London on 15-minute intervals.
Six work types: four phone queues (``billing`` AHT 180 s, ``tech`` 240 s, ``sales`` 200 s, ``general`` 150 s,
exponential patience of 90..300 s, priorities 1 and 2), one chat (AHT 480 s, 3 chats at once, patience 300 s)
and one deferred email queue (AHT 300 s, first response within 4 h). 10,000 expected contacts (3,000 / 2,200 /
1,600 / 1,200 calls, 1,200 chats, 800 emails) between 07:00 and 23:00 on a two-peak daily profile (late morning
and mid-afternoon); arrivals are Poisson (`forecast_demand` of that profile), handle times lognormal with a
coefficient of variation of 1. 100 agents: a primary skill in proportion to each work type's workload (20% of
them at proficiency 0.9), and 0 to 2 secondary skills at proficiency 0.8. Each works one 8-hour shift with a
15-minute break after 2 h, a 30-minute lunch after 4 h and a 15-minute break after 6 h (7 h on the phones), the
starts (07:00..15:00, every 30 min) placed greedily against the workload (each agent's start where it covers most
of what is still uncovered), with every skill spread across the day.

Measured:
1. `run_replication(scenario, PriorityFirst(), seed)` alone, in this process (one core): one untimed warm-up, then
   `--repeat` timed replications back to back (no garbage collection forced between them: the cyclic collector's
   work on a previous replication's garbage falls in the next, as inside `simulate`) on seeds
   ``SeedSequence(seed).spawn(repeat)``; median and fastest wall time
   (`time.perf_counter`), contacts and engine events per second, and the share of the time spent drawing the
   contacts and building the routing (`draw_contacts` + `PriorityFirst().routing`, timed once per seed
   separately). Target: <= 5 s per replication (median).
2. `simulate(scenario, SimulationSettings(replications=R, seed, workers=W))` for R in ``--replications``
   (default 10 and 40) and W in ``--workers`` (default 1 and 2): wall time and time per replication, one run
   each. With W > 1 the worker processes are started with "spawn" (each imports the planner afresh) and get
   the scenario pickled: that start-up is in the figure.

Each replication's service level (over offered), abandonment and occupancy are printed too, to show that the day
is a realistic load and not an idle or a collapsed centre. Results are printed as tables and written as JSON to
``benchmarks/results/simulation_speed.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import machine_info, max_rss_mib, write_report
from models import Center
from models.horizon import local_time
from planner.simulation import (
    Draws,
    PriorityFirst,
    Scenario,
    SimulationSettings,
    build_scenario,
    draw_contacts,
    forecast_demand,
    run_replication,
    simulate,
    summarise,
)

RESULTS = Path(__file__).resolve().parent / "results" / "simulation_speed.json"
TARGET_S = 5.0
DEFAULT_REPEAT = 7
DEFAULT_REPLICATIONS = (10, 40)
TIMEZONE = "Europe/London"
DAY = date(2026, 6, 2)  # a Tuesday, no DST change
INTERVAL_MINUTES = 15
OPEN_MINUTE, CLOSE_MINUTE = 7 * 60, 23 * 60
AGENTS = 100
SHIFT_MINUTES = 480
#: Breaks as (minutes after the shift start, duration): 15 min, a 30-min lunch, 15 min.
BREAKS = ((120, 15), (240, 30), (375, 15))
START_STEP_MINUTES = 30
LAST_START_MINUTE = CLOSE_MINUTE - SHIFT_MINUTES
#: (id, channel, mode, priority, AHT s, expected contacts a day, mean patience s or None, within s, concurrency)
WORK_TYPES = (
    ("billing", "phone", "realtime", 1, 180.0, 3000, 180.0, 20, 1),
    ("tech", "phone", "realtime", 2, 240.0, 2200, 300.0, 30, 1),
    ("sales", "phone", "realtime", 1, 200.0, 1600, 90.0, 20, 1),
    ("general", "phone", "realtime", 2, 150.0, 1200, 150.0, 30, 1),
    ("chat", "chat", "realtime", 2, 480.0, 1200, 300.0, 60, 3),
    ("email", "email", "deferred", 3, 300.0, 800, None, 4 * 3600, 1),
)
SECONDARY_PROFICIENCY = 0.8
SLOW_PRIMARY_PROFICIENCY = 0.9


# -- the day ----------------------------------------------------------------------------------------------------


def daily_profile(intervals: int) -> np.ndarray:
    """Share of the day's contacts per interval: two peaks (11:00 and 15:30) over a floor, 07:00-23:00 only."""
    minute = (np.arange(intervals) + 0.5) * INTERVAL_MINUTES
    hour = minute / 60
    shape = 0.15 + np.exp(-0.5 * ((hour - 11.0) / 1.8) ** 2) + 0.8 * np.exp(-0.5 * ((hour - 15.5) / 2.2) ** 2)
    shape = np.where((minute >= OPEN_MINUTE) & (minute < CLOSE_MINUTE), shape, 0.0)
    return np.asarray(shape / shape.sum())


def _work_type(row: tuple[Any, ...]) -> dict[str, Any]:
    work_type_id, channel, mode, priority, aht, _, patience, within, concurrency = row
    target: dict[str, Any] = {"service_level": 0.8, "within_s": within}
    if mode == "deferred":
        target = {"service_level": 0.9, "within_s": within, "measure": "first_response"}
    elif patience is not None:
        target["mean_patience_s"] = patience
    return {
        "id": work_type_id,
        "channel": channel,
        "mode": mode,
        "skill": work_type_id,
        "priority": priority,
        "target": target,
        "aht_s": aht,
        "concurrency": concurrency,
    }


def workload_share() -> np.ndarray:
    """Each work type's share of the day's agent time (a chat takes 1/concurrency of an agent)."""
    hours = np.array([aht * volume / concurrency for _, _, _, _, aht, volume, _, _, concurrency in WORK_TYPES])
    return np.asarray(hours / hours.sum())


def agent_skills(rng: np.random.Generator) -> list[list[dict[str, Any]]]:
    """Per agent: a primary skill (in proportion to the workload; some at proficiency 0.9) and 0-2 secondary ones
    at 0.8. Agents are listed with their primary skills interleaved, so that a skill spreads over the day."""
    ids = [w[0] for w in WORK_TYPES]
    share = workload_share()
    counts = np.floor(share * AGENTS).astype(int)
    counts[np.argsort(share * AGENTS - counts)[::-1][: AGENTS - counts.sum()]] += 1
    # Interleave: agent k of skill s sits at (k + 0.5) / count[s] of the day's order.
    order = sorted(((k + 0.5) / counts[s], s) for s in range(len(ids)) for k in range(counts[s]))
    skills = []
    for _, s in order:
        primary = SLOW_PRIMARY_PROFICIENCY if rng.random() < 0.2 else 1.0
        own = [{"skill": ids[s], "proficiency": primary}]
        others = [j for j in range(len(ids)) if j != s]
        extra = rng.choice(others, size=int(rng.integers(0, 3)), replace=False, p=share[others] / share[others].sum())
        own += [{"skill": ids[j], "proficiency": SECONDARY_PROFICIENCY} for j in sorted(extra)]
        skills.append(own)
    return skills


def build_centre(rng: np.random.Generator) -> Center:
    """The 6-work-type, 100-agent centre (see the module docstring)."""
    skills = agent_skills(rng)
    return Center.model_validate(
        {
            "name": "Simulation speed benchmark",
            "timezone": TIMEZONE,
            "interval_minutes": INTERVAL_MINUTES,
            "skills": [{"id": w[0]} for w in WORK_TYPES],
            "work_types": [_work_type(w) for w in WORK_TYPES],
            "contracts": [
                {
                    "id": "full_time",
                    "min_paid_minutes_week": 0,
                    "max_paid_minutes_week": 5 * SHIFT_MINUTES,
                    "shift_templates": ["day"],
                }
            ],
            "shift_templates": [
                {
                    "id": "day",
                    "earliest_start_minute": OPEN_MINUTE,
                    "latest_start_minute": LAST_START_MINUTE,
                    "start_step_minutes": START_STEP_MINUTES,
                    "lengths_minutes": [SHIFT_MINUTES],
                    "breaks": [
                        {
                            "name": f"break{i}",
                            "duration_minutes": length,
                            "paid": length < 30,
                            "earliest_start_minutes": offset,
                            "latest_start_minutes": offset,
                        }
                        for i, (offset, length) in enumerate(BREAKS)
                    ],
                }
            ],
            "agents": [{"id": f"a{k:03d}", "skills": own, "contract": "full_time"} for k, own in enumerate(skills)],
        }
    )


def forecast_frame(center: Center) -> pd.DataFrame:
    """A FORECAST table of the day: each work type's expected contacts spread on the daily profile."""
    grid = center.horizon(DAY, 1).intervals
    profile = daily_profile(len(grid))
    frames = [
        pd.DataFrame(
            {
                "interval_start": grid,
                "work_type": w[0],
                "volume": w[5] * profile,
                "volume_p10": 0.8 * w[5] * profile,
                "volume_p50": w[5] * profile,
                "volume_p90": 1.2 * w[5] * profile,
                "aht_s": w[4],
            }
        )
        for w in WORK_TYPES
    ]
    return pd.concat(frames, ignore_index=True)


def shift_starts(intervals: int) -> list[int]:
    """`AGENTS` shift starts (minutes after midnight), each where it covers most of the workload still uncovered
    (workload: agents needed per interval, in proportion to the profile, scaled to the team's size)."""
    profile = daily_profile(intervals)
    need = profile / profile.max()
    per_shift = SHIFT_MINUTES // INTERVAL_MINUTES
    # Scale the need so that the team could cover it: the sum of shift-intervals equals the sum of the need.
    need = need * AGENTS * per_shift / need.sum()
    covered = np.zeros(intervals)
    options = list(range(OPEN_MINUTE, LAST_START_MINUTE + 1, START_STEP_MINUTES))
    starts = []
    for _ in range(AGENTS):
        gains = []
        for start in options:
            first = start // INTERVAL_MINUTES
            gains.append(
                float(np.clip(need[first : first + per_shift] - covered[first : first + per_shift], 0, 1).sum())
            )
        best = options[int(np.argmax(gains))]
        covered[best // INTERVAL_MINUTES : best // INTERVAL_MINUTES + per_shift] += 1
        starts.append(best)
    return sorted(starts)


def roster_frame(center: Center) -> pd.DataFrame:
    """One shift per agent (starts from `shift_starts`, in agent order), with its three breaks."""
    starts = shift_starts(len(center.horizon(DAY, 1).intervals))
    rows = []
    for agent, minute in zip(center.agents, starts, strict=True):
        begin = local_time(DAY, minute, TIMEZONE)
        breaks = [
            [begin + pd.Timedelta(minutes=offset), begin + pd.Timedelta(minutes=offset + length)]
            for offset, length in BREAKS
        ]
        unpaid = sum(length for _, length in BREAKS if length >= 30)
        rows.append(
            {
                "agent_id": agent.id,
                "date": DAY,
                "start": begin,
                "end": begin + pd.Timedelta(minutes=SHIFT_MINUTES),
                "shift_template": "day",
                "breaks": breaks,
                "paid_minutes": SHIFT_MINUTES - unpaid,
            }
        )
    return pd.DataFrame(rows)


def build_day(seed: int) -> Scenario:
    rng = np.random.default_rng(seed)
    center = build_centre(rng)
    horizon = center.horizon(DAY, 1)
    demand = forecast_demand(forecast_frame(center), center, horizon, source="benchmark profile")
    return build_scenario(center, roster_frame(center), demand, horizon, Draws(handle="lognormal", handle_cv=1.0))


# -- timing -----------------------------------------------------------------------------------------------------


def _figures(scenario: Scenario, outcome: Any) -> dict[str, float]:
    """Service level (over offered), abandon rate and occupancy of one replication (via `summarise`)."""
    summary = summarise(scenario, [outcome], "priority", 0).summary
    return {k: float(summary[k]) for k in ("service_level", "abandon_rate", "occupancy")}


def bench_replication(scenario: Scenario, repeat: int, seed: int) -> dict[str, Any]:
    print(f"part 1: run_replication x {repeat} (+1 warm-up) ...", flush=True)
    policy = PriorityFirst()
    run_replication(scenario, policy, np.random.SeedSequence(seed + 1_000_000))  # warm-up
    rows = []
    gc.collect()
    for child in np.random.SeedSequence(seed).spawn(repeat):
        # No gc.collect() between runs: collecting the previous replication's garbage (SimPy's reference cycles)
        # is part of what a replication costs inside `simulate` (about a fifth of it here).
        began = time.perf_counter()
        outcome = run_replication(scenario, policy, child)
        elapsed = time.perf_counter() - began
        began = time.perf_counter()
        contacts = draw_contacts(scenario, np.random.default_rng(child))
        policy.routing(scenario, contacts)
        setup = time.perf_counter() - began
        rows.append(
            {
                "seconds": elapsed,
                "setup_s": setup,
                "contacts": len(outcome.contacts),
                "events": outcome.events,
                **_figures(scenario, outcome),
            }
        )
    times = [r["seconds"] for r in rows]
    median = statistics.median(times)
    contacts = statistics.mean(r["contacts"] for r in rows)
    events = statistics.mean(r["events"] for r in rows)
    return {
        "runs": rows,
        "median_s": median,
        "min_s": min(times),
        "max_s": max(times),
        "contacts_mean": contacts,
        "events_mean": events,
        "contacts_per_s": contacts / median,
        "events_per_s": events / median,
        "setup_share": statistics.median(r["setup_s"] / r["seconds"] for r in rows),
        "target_s": TARGET_S,
        "met": median <= TARGET_S,
    }


def bench_simulate(scenario: Scenario, replications: int, workers: list[int], seed: int) -> list[dict[str, Any]]:
    rows = []
    for count in workers:
        print(f"part 2: simulate, {replications} replications on {count} worker(s) ...", flush=True)
        gc.collect()
        began = time.perf_counter()
        result = simulate(scenario, SimulationSettings(replications=replications, seed=seed, workers=count))
        wall = time.perf_counter() - began
        s = result.summary
        rows.append(
            {
                "workers_asked": count,
                "workers": s["workers"],
                "replications": replications,
                "wall_s": wall,
                "per_replication_s": wall / replications,
                "service_level": s["service_level"],
                "service_level_ci": s["service_level_ci"],
                "abandon_rate": s["abandon_rate"],
                "abandon_rate_ci": s["abandon_rate_ci"],
                "occupancy": s["occupancy"],
            }
        )
    return rows


def describe(scenario: Scenario) -> dict[str, Any]:
    skills = [len(a.proficiency) for a in scenario.agents]
    assert scenario.demand.volume is not None
    return {
        "day": str(DAY),
        "timezone": TIMEZONE,
        "intervals": scenario.intervals,
        "work_types": [w.id for w in scenario.work_types],
        "expected_contacts": float(scenario.demand.volume.sum()),
        "agents": len(scenario.agents),
        "agents_by_skill_count": {str(k): skills.count(k) for k in sorted(set(skills))},
        "agents_below_full_proficiency": sum(any(p < 1 for p in a.proficiency.values()) for a in scenario.agents),
        "on_duty_hours": sum(a.on_duty_s for a in scenario.agents) / 3600,
    }


def format_report(report: dict[str, Any]) -> str:
    d, r = report["scenario"], report["replication"]
    lines = [
        f"day {d['day']} ({d['timezone']}), {d['intervals']} intervals of {INTERVAL_MINUTES} min; "
        f"{len(d['work_types'])} work types; {d['expected_contacts']:,.0f} expected contacts; {d['agents']} agents "
        f"(skills per agent {d['agents_by_skill_count']}, {d['agents_below_full_proficiency']} with a skill below "
        "proficiency 1), "
        f"{d['on_duty_hours']:.0f} h on duty",
        "",
        f"{'run':>4} {'seconds':>8} {'setup':>6} {'contacts':>9} {'events':>8} {'SL':>6} {'aband.':>7} {'occ.':>6}",
    ]
    lines.append("-" * len(lines[-1]))
    for i, row in enumerate(r["runs"]):
        lines.append(
            f"{i + 1:>4} {row['seconds']:>8.3f} {row['setup_s']:>6.3f} {row['contacts']:>9,} {row['events']:>8,} "
            f"{row['service_level']:>6.1%} {row['abandon_rate']:>7.1%} {row['occupancy']:>6.1%}"
        )
    verdict = "MET" if r["met"] else "MISSED"
    lines += [
        "",
        f"run_replication: median {r['median_s']:.3f} s, fastest {r['min_s']:.3f} s, slowest {r['max_s']:.3f} s; "
        f"{r['contacts_per_s']:,.0f} contacts/s, {r['events_per_s']:,.0f} events/s; drawing + routing "
        f"{r['setup_share']:.0%} of the time",
        f"target <= {TARGET_S:.0f} s per replication on one core: {verdict}",
        "",
        f"{'workers':>7} {'replications':>12} {'wall s':>8} {'s/repl.':>8} {'SL (95% CI)':>22} {'abandoned':>10}",
    ]
    lines.append("-" * len(lines[-1]))
    for row in report["simulate"]:
        lo, hi = row["service_level_ci"]
        lines.append(
            f"{row['workers']:>7} {row['replications']:>12} {row['wall_s']:>8.2f} {row['per_replication_s']:>8.3f} "
            f"{row['service_level']:>7.1%} ({lo:.1%}..{hi:.1%}) {row['abandon_rate']:>10.1%}"
        )
    lines.append(f"peak RSS {report['max_rss_mib']:.0f} MiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulation_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed replications (default 7)")
    parser.add_argument(
        "--replications", type=int, nargs="+", default=list(DEFAULT_REPLICATIONS), help="simulate() (default 10 40)"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="simulate() workers (default 1 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the centre and the replications (default 0)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or min(args.replications) < 1 or min(args.workers) < 1:
        parser.error("--repeat, --replications and --workers must be at least 1")

    began = time.perf_counter()
    scenario = build_day(args.seed)
    build_s = time.perf_counter() - began
    report: dict[str, Any] = {
        "benchmark": "simulation_speed",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "machine": machine_info(simpy=metadata.version("simpy")),
        "scenario": describe(scenario),
        "build_s": build_s,
    }
    report["replication"] = bench_replication(scenario, args.repeat, args.seed)
    report["simulate"] = [
        row for count in args.replications for row in bench_simulate(scenario, count, args.workers, args.seed)
    ]
    report["max_rss_mib"] = max_rss_mib()
    print()
    print(format_report(report))
    write_report(args.out, report)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
