"""Benchmark of the intraday re-plan on shock days of the demo centres: does the re-plan recover the service level
an oracle would, with few changes, in seconds?

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.intraday                       # M and L, seed 0
    .venv/bin/python -m benchmarks.intraday --cases M:0 --work /tmp/intraday

Each case ``SIZE:SEED`` is a demo centre with its planned week (`scenarios.run_demo` with a roster, cached under
``--work DIR/SIZE-SEED``). On each of the week's ``--days`` (Tuesday to Thursday by default), the shock: +25%
volume on the centre's busiest phone work type from 10:00 to the end of the day, and 8% of the day's rostered
agents absent from 09:00 for the rest of the day.
The supervisor re-plans at 10:30 with what they know: the contacts so far (`scenarios.snapshot.day_so_far`: the
shocked morning simulated on the published roster, absent agents gone from 09:00, each contact with its answer
time and agent), the absences, 200 open tickets. `wfm intraday`'s job runs as the command does (reforecast,
re-solve with at most ``--max-changes`` changes within ``--time-limit``, re-assignment of the tickets, files
written): its wall time is the speed figure.

The rest of the day (from 10:30) is then simulated from the moment's state against the shocked day, with the same
seeds (common random numbers), under three rosters:
- **unchanged**: the published roster, the absent agents taken out;
- **re-plan**: the re-planned roster;
- **oracle**: the better (in the simulation) of two plans that knew the shock and the absences from the start:
  the day re-rostered (`solve_roster` with the week's other days pinned, the absent agents left out,
  ``--oracle-limit`` seconds; its weekly limits are those of the published week, so it cannot add hours an agent's
  week has no room for) and the intraday re-plan made at the day's start with no cap on changes (which may use
  overtime and call-ins, ``--oracle-limit`` seconds).
Reported: service level of the realtime work per type and overall (contacts answered within the target over
contacts offered, all realtime types together) with 95% intervals, and the share of the unchanged-to-oracle gap
the re-plan recovers. Printed and written as JSON to ``benchmarks/results/intraday.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import machine_info, write_report
from models import FORECAST, ROSTER, TICKET_HISTORY, Center, load_center, read_table
from models.io import write_table
from planner.diagnosis import DiagnosisSettings
from planner.intraday import IntradaySettings, build_intraday_problem, read_absences, replan
from planner.intraday.job import run_intraday
from planner.loop import LoopSettings
from planner.roster import RosterSettings, solve_roster
from planner.simulation import (
    SimulationSettings,
    build_scenario,
    forecast_demand,
    simulate,
    state_from_history,
)
from planner.staffing.requirements import requirement_table
from scenarios.demo import run_demo
from scenarios.generator import GeneratorSettings
from scenarios.snapshot import busiest_phone, day_so_far, shocked_forecast

RESULTS = Path(__file__).resolve().parent / "results" / "intraday.json"
SHOCK, SHOCK_FROM, ABSENT_SHARE, ABSENT_FROM, AT = 1.25, "10:00", 0.08, "09:00", "10:30"
OPEN_TICKETS = 200


def _inputs(size: str, seed: int, work: Path, limit: float) -> Path:
    folder = work / f"{size}-{seed}"
    if not (folder / "roster.csv").exists():
        shape = "tickets" if size in ("S", "M") else "intervals"
        run_demo(
            GeneratorSettings(size=size, seed=seed, history_shape=shape),
            folder,
            RosterSettings(time_limit_s=limit, workers=2),
            loop=LoopSettings(budget_s=limit, resolve_time_limit_s=limit / 2),
            diagnosis_settings=DiagnosisSettings(time_limit_s=5.0),
        )
    return folder


def _local(day: pd.Timestamp, hhmm: str) -> pd.Timestamp:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return day + pd.Timedelta(hours=hours, minutes=minutes)


def _open_tickets(center: Center, day: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    deferred = [w.id for w in center.work_types if w.mode.value == "deferred"]
    created = [
        _local(day, "07:00") + pd.Timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 3.5 * 3600, OPEN_TICKETS))
    ]
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i:05d}" for i in range(OPEN_TICKETS)],
            "work_type": rng.choice(deferred, OPEN_TICKETS),
            "created_at": [c.isoformat() for c in created],
        }
    )


def _oracle(
    center: Center,
    roster: pd.DataFrame,
    forecast: pd.DataFrame,
    day: pd.Timestamp,
    shocked_day: pd.DataFrame,
    absent: list[str],
    limit: float,
) -> pd.DataFrame:
    """The day re-rostered knowing the shock and the absences: the absent agents left out, every other agent's
    other days pinned as published."""
    starts = pd.DatetimeIndex(forecast["interval_start"])
    week = pd.concat(
        [forecast[(starts < day) | (starts >= day + pd.Timedelta(days=1))], shocked_day], ignore_index=True
    ).sort_values(["interval_start", "work_type"], kind="stable")
    knowing = center.model_copy(update={"agents": [a for a in center.agents if a.id not in set(absent)]})
    dates = pd.to_datetime(roster["date"]).dt.date
    pins = roster[(dates != day.date()) & ~roster["agent_id"].astype(str).isin(absent)].copy()
    pins["pinned"] = True
    result = solve_roster(
        requirement_table(week, knowing), knowing, RosterSettings(time_limit_s=limit, workers=2), pins=pins
    )
    return result.roster


def _hours_after(rows: pd.DataFrame, at: pd.Timestamp) -> float:
    """Shift hours of `rows` after `at` (breaks included)."""
    starts = pd.DatetimeIndex(rows["start"]).map(lambda t: max(t, at))
    return float(
        sum(max((pd.Timestamp(e) - s).total_seconds(), 0.0) for s, e in zip(starts, rows["end"], strict=True)) / 3600
    )


def _absent_from(today: pd.DataFrame, absent: list[str], since: pd.Timestamp) -> pd.DataFrame:
    """The day's rows with the absent agents' absence from `since` to their shift's end."""
    cells = []
    for agent_id, start, end in zip(today["agent_id"].astype(str), today["start"], today["end"], strict=True):
        begin, stop = max(pd.Timestamp(start), since), pd.Timestamp(end)
        cells.append([[begin.isoformat(), stop.isoformat()]] if agent_id in absent and stop > begin else [])
    return today.assign(absences=cells)


def _oracle_replan(
    center: Center,
    roster: pd.DataFrame,
    shocked_day: pd.DataFrame,
    plain_day: pd.DataFrame,
    day: pd.Timestamp,
    absent: list[str],
    limit: float,
) -> pd.DataFrame:
    """The intraday re-plan made at the day's start knowing the shock and the absences, with no cap on changes."""
    frame = pd.DataFrame({"agent_id": absent, "start": _local(day, ABSENT_FROM).isoformat(), "end": None})
    problem = build_intraday_problem(
        center,
        center.horizon(min(pd.to_datetime(roster["date"]).dt.date), 7),
        roster,
        day,
        requirement_table(shocked_day, center),
        requirement_table(plain_day, center),
        read_absences(frame, center, day.date()),
    )
    return replan(problem, IntradaySettings(time_limit_s=limit, max_changes=None, workers=2)).roster


def _rest_levels(
    center: Center,
    roster: pd.DataFrame,
    day_forecast: pd.DataFrame,
    day: pd.Timestamp,
    at: pd.Timestamp,
    actuals: pd.DataFrame,
    tickets: pd.DataFrame,
    replications: int,
    seed: int,
) -> dict[str, Any]:
    horizon = center.horizon(day.date(), 1)
    state = state_from_history(center, horizon, at, actuals=actuals, open_tickets=tickets)
    demand = forecast_demand(day_forecast, center, horizon, source="shocked day")
    scenario = build_scenario(center, roster, demand, horizon, state=state)
    result = simulate(scenario, SimulationSettings(replications=replications, seed=seed, workers=2))
    table = result.work_types.set_index("work_type")
    realtime = [w.id for w in center.work_types if w.mode.value == "realtime"]
    out: dict[str, Any] = {
        w: [
            float(table.loc[w, "service_level"]),
            float(table.loc[w, "service_level_lo"]),
            float(table.loc[w, "service_level_hi"]),
        ]
        for w in realtime
    }
    offered = table.loc[realtime, "offered"].to_numpy(dtype=float)
    levels = table.loc[realtime, "service_level"].to_numpy(dtype=float)
    out["realtime"] = float(np.nansum(levels * offered) / offered[~np.isnan(levels)].sum())
    return out


def run_case(size: str, seed: int, args: argparse.Namespace, offset: int = 1) -> dict[str, Any]:
    folder = _inputs(size, seed, args.work, args.roster_limit)
    center = load_center(folder / "center.yaml")
    zone = center.timezone
    forecast = read_table(folder / "forecast.csv", FORECAST, timezone=zone)
    roster = read_table(folder / "roster.csv", ROSTER, timezone=zone)
    first = min(pd.to_datetime(roster["date"]).dt.date)
    day = pd.Timestamp(first + timedelta(days=offset)).tz_localize(zone)
    at = _local(day, AT)
    rng = np.random.default_rng([seed, offset])
    starts = pd.DatetimeIndex(forecast["interval_start"])
    plain_day = forecast[(starts >= day) & (starts < day + pd.Timedelta(days=1))]
    shocked = busiest_phone(center, plain_day)
    shocked_day = shocked_forecast(plain_day, shocked, _local(day, SHOCK_FROM), SHOCK)
    today = roster[pd.to_datetime(roster["date"]).dt.date == day.date()]
    absent = sorted(
        rng.choice(today["agent_id"].astype(str).to_numpy(), round(ABSENT_SHARE * len(today)), replace=False)
    )
    # The morning as it went (the absent agents gone from 09:00), as the centre's systems show it at 10:30.
    actuals = day_so_far(center, _absent_from(today, absent, _local(day, ABSENT_FROM)), shocked_day, at, seed=seed)
    tickets = _open_tickets(center, day, rng)
    case = args.work / f"{size}-{seed}" / f"intraday-{day.date()}"
    case.mkdir(parents=True, exist_ok=True)
    write_table(actuals, TICKET_HISTORY, case / "actuals.csv")
    absences = pd.DataFrame(
        {"agent_id": absent, "start": _local(day, ABSENT_FROM).isoformat(), "end": "", "reason": "sick"}
    )
    absences.to_csv(case / "absences.csv", index=False)
    tickets.to_csv(case / "open_tickets.csv", index=False)

    began = time.perf_counter()
    job = run_intraday(
        folder / "center.yaml",
        folder / "roster.csv",
        folder / "forecast.csv",
        case / "actuals.csv",
        at,
        case / "out",
        absences=case / "absences.csv",
        tickets=case / "open_tickets.csv",
        requirement=folder / "requirement.csv",
        settings=IntradaySettings(time_limit_s=args.time_limit[size], max_changes=args.max_changes, workers=2),
    )
    replan_s = time.perf_counter() - began
    made = job.summary["changes"]
    timing = {
        "case": f"{size}:{seed}",
        "day": str(day.date()),
        "agents": len(center.agents),
        "shocked": shocked,
        "absent": len(absent),
        "rostered": len(today),
        "open_tickets": len(tickets),
        "absent_shift_hours_after_at": _hours_after(today[today["agent_id"].astype(str).isin(absent)], at),
        "replan_s": replan_s,
        "solve_s": job.summary["solve_s"],
        "status": job.summary["status"],
        "changes": made["count"],
        "by_kind": made["by_kind"],
        "change_cost": made["cost"],
        "understaffed": job.summary["understaffed_agent_hours"],
    }
    if args.speed_only:
        return timing
    began = time.perf_counter()
    oracle = _oracle(center, roster, forecast, day, shocked_day, absent, args.oracle_limit)
    oracle_s = time.perf_counter() - began
    began = time.perf_counter()
    from_start = _oracle_replan(center, roster, shocked_day, plain_day, day, absent, args.oracle_limit)
    oracle_s += time.perf_counter() - began
    rosters = {
        "unchanged": job.result.published,
        "replan": job.result.roster,
        "oracle_roster": oracle,
        "oracle_replan": from_start,
    }
    levels = {
        name: _rest_levels(center, r, shocked_day, day, at, actuals, tickets, args.replications, args.seed)
        for name, r in rosters.items()
    }
    best = max(("oracle_roster", "oracle_replan"), key=lambda n: levels[n]["realtime"])
    levels["oracle"] = levels[best]
    gap = levels["oracle"]["realtime"] - levels["unchanged"]["realtime"]
    recovered = (levels["replan"]["realtime"] - levels["unchanged"]["realtime"]) / gap if gap > 0 else None
    shocked_gap = levels["oracle"][shocked][0] - levels["unchanged"][shocked][0]
    return timing | {
        "oracle_s": oracle_s,
        "oracle": best,
        "levels": levels,
        "recovered": recovered,
        "recovered_shocked": (
            (levels["replan"][shocked][0] - levels["unchanged"][shocked][0]) / shocked_gap if shocked_gap > 0 else None
        ),
    }


def _print_case(case: dict[str, Any]) -> None:
    print(
        f"\n{case['case']} {case['day']}: {case['agents']} agents, {case['absent']} of {case['rostered']} absent, "
        f"{case['shocked']} +25%; re-plan {case['replan_s']:.1f} s (solve {case['solve_s']:.1f} s, "
        f"{case['status'].lower()}), {case['changes']} changes {case['by_kind']}, cost {case['change_cost']:.0f}"
    )
    if "levels" not in case:
        return
    print(f"  oracles {case['oracle_s']:.0f} s, the better: {case['oracle']}")
    levels = case["levels"]
    names = ("unchanged", "replan", "oracle_roster", "oracle_replan")
    print(f"  {'work type':<18} " + " ".join(f"{n:>22}" for n in names))
    for w in levels["unchanged"]:
        if w == "realtime":
            continue
        cells = [
            f"{100 * levels[n][w][0]:5.1f} [{100 * levels[n][w][1]:4.1f}, {100 * levels[n][w][2]:5.1f}]" for n in names
        ]
        print(f"  {w:<18} " + " ".join(f"{c:>22}" for c in cells))
    print(f"  {'all realtime':<18} " + " ".join(f"{100 * levels[n]['realtime']:>22.1f}" for n in names))
    recovered = case["recovered"]
    print(f"  recovered: {'-' if recovered is None else f'{100 * recovered:.0f}%'} of the gap to the oracle")


def _sized(values: list[str] | None, default: dict[str, float]) -> dict[str, float]:
    out = dict(default)
    for item in values or []:
        size, _, value = item.partition("=")
        out[size.upper()] = float(value)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["M:0", "L:0"])
    parser.add_argument("--days", nargs="+", type=int, default=[1, 2, 3], help="days of the week (0 = Monday)")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/results/intraday-work"))
    parser.add_argument("--time-limit", nargs="*", help="SIZE=SECONDS for the re-plan (default M=4 L=10 XL=25)")
    parser.add_argument("--max-changes", type=int, default=15)
    parser.add_argument("--roster-limit", type=float, default=60.0, help="the demo week's roster solve")
    parser.add_argument("--oracle-limit", type=float, default=60.0)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--speed-only", action="store_true", help="time the re-plan only (no oracle, no simulation)")
    args = parser.parse_args(argv)
    args.time_limit = _sized(args.time_limit, {"S": 3.0, "M": 4.0, "L": 10.0, "XL": 25.0})
    cases = []
    for item in args.cases:
        size, _, seed = item.partition(":")
        for offset in args.days:
            case = run_case(size.upper(), int(seed or 0), args, offset)
            _print_case(case)
            cases.append(case)
    for item in args.cases:
        mine = [c for c in cases if c["case"] == item.upper() and c.get("recovered") is not None]
        if mine:
            recovered = [c["recovered"] for c in mine]
            print(
                f"{item.upper()}: recovered {', '.join(f'{100 * r:.0f}%' for r in recovered)} (mean "
                f"{100 * float(np.mean(recovered)):.0f}%) over {len(mine)} days; re-plan "
                f"{max(c['replan_s'] for c in mine):.1f} s at most"
            )
    write_report(RESULTS, {"date": datetime.now(UTC).isoformat(), "machine": machine_info(), "cases": cases})


if __name__ == "__main__":
    main()
