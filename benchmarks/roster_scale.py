"""Benchmark of the roster solver at scale (issue 5): the demo centres M, L and XL, and pyworkforce side by side.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.roster_scale                          # M 60 s, L 120 s, XL 600 s, then part 2
    .venv/bin/python -m benchmarks.roster_scale --sizes M --scale 0.1    # quick check: M with a 6 s limit
    .venv/bin/python -m benchmarks.roster_scale --work /tmp/roster-bench --time-limit XL=900 --parts scale

Part ``scale``: for each size the demo centre is generated and planned up to its staffing requirement for the plan
week (`scenarios.run_demo` with seed 0 and no roster settings: centre, history, forecast, ``requirement.csv``;
per-ticket history for S and M, 15-minute interval counts for L and XL, as in `benchmarks.generate`: the counts
are the same draws, so the requirement is the same). The files are cached under ``--work DIR/SIZE`` and reused
when ``center.yaml`` and ``requirement.csv`` are there. The roster is then solved with
``RosterSettings(time_limit_s=LIMIT, workers=--workers, seed=0)``, and reported: model size (agents, shift
options = the allowed shapes summed over agents, pools of agents with the same skills), time to the first
feasible roster (the warm start), objective / bound / gap at 10, 30, 60 and 120 s and at the time limit (the
state at t is the last improvement recorded at or before t), the final status, objective, bound and gap, the
phase-2 time (break placement and allocation), the objective breakdown, understaffed agent-hours by priority,
paid hours, and the independent validator's verdict on the roster and its coverage table (`validate_roster`).
Targets (MET or MISSED): M gap <= 1% within 60 s; L gap <= 2% within 120 s; XL first feasible roster within
60 s and gap <= 5% within 600 s.

Part ``pyworkforce``: a single-skill version of the M centre (every agent has one common skill; one realtime
work type whose requirement per 15-minute interval is the sum of the M requirement's whole agents over all work
types), solved by pyworkforce (``MinAbsDifference``: agents per shift and day matching the requirement per
period; then ``MinHoursRoster``: named agents on those shifts) and by our `solve_roster`. Both sides get the same
shift shapes (the centre's templates, breaks at the middle of their windows as pyworkforce's 0/1 coverage
vectors) and the same per-agent options (contract templates, time off, availability, opening hours: pyworkforce's
``banned_shifts``). Compared: total absolute deviation sum_t |on duty_t - required_t| over the week's intervals
(both rosters counted the same way, by the validator's `on_duty`), wall time, and our validator's findings on
both rosters. Without pyworkforce installed (``make install-bench``) the part is skipped.

Results are printed as tables and written as JSON to ``benchmarks/results/roster_scale.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from benchmarks.common import machine_info, max_rss_mib, write_report
from models import (
    REQUIREMENT,
    AgentSkill,
    Center,
    Channel,
    Mode,
    ServiceTarget,
    Skill,
    WeeklyWindow,
    WorkType,
    load_center,
    read_table,
)
from models.base import MINUTES_PER_DAY
from planner.roster import Progress, RosterResult, RosterSettings, RosterWeights, on_duty, solve_roster, validate_roster
from planner.roster.problem import RosterProblem, build_problem
from planner.roster.result import roster_table
from scenarios.demo import run_demo
from scenarios.generator import GeneratorSettings

RESULTS = Path(__file__).resolve().parent / "results" / "roster_scale.json"
PARTS = ("scale", "pyworkforce")
SIZES = ("S", "M", "L", "XL")
DEFAULT_SIZES = ("M", "L", "XL")
#: Default time limit of each size's solve, in seconds.
TIME_LIMITS_S = {"S": 30.0, "M": 60.0, "L": 120.0, "XL": 600.0}
#: Where the solve's progress is read: objective, bound and gap at these seconds (and at the time limit).
CHECKPOINTS_S = (10.0, 30.0, 60.0, 120.0)
HISTORY_SHAPE: dict[str, Literal["tickets", "intervals"]] = {
    "S": "tickets",
    "M": "tickets",
    "L": "intervals",
    "XL": "intervals",
}
DEFAULT_WORKERS = os.cpu_count() or 1
#: Seconds between two live progress lines of one solve.
PRINT_EVERY_S = 10.0
#: The size whose centre is made single-skill for the pyworkforce comparison, and the time limit of each side.
COMPARE_SIZE = "M"
COMPARE_TIME_LIMIT_S = 60.0
#: Our objective set to pyworkforce's: every missing or surplus agent-hour costs the same, nothing else counts.
ABS_DEVIATION = RosterWeights(
    understaffing_tiers=(10, 10, 10),
    priority_factor=(1,),
    deferred_late=0,
    overstaffing=10,
    paid_cost=0,
    preferred_start=0,
    preferred_days_off=0,
    fair_weekends=0,
    fair_late_shifts=0,
    target_hours=0,
)
SINGLE_SKILL = "all"
#: Violations printed in full per solve (all are in the JSON).
SHOWN_VIOLATIONS = 10


@dataclass(frozen=True)
class Target:
    """A target of issue 5: the first feasible roster within `within_s`, or a gap of at most `max_gap` then."""

    kind: Literal["first_feasible", "gap"]
    within_s: float
    max_gap: float | None = None

    @property
    def text(self) -> str:
        if self.kind == "first_feasible":
            return f"first feasible roster within {self.within_s:g} s"
        assert self.max_gap is not None
        return f"gap <= {self.max_gap:.0%} within {self.within_s:g} s"


TARGETS: dict[str, tuple[Target, ...]] = {
    "M": (Target("gap", 60.0, 0.01),),
    "L": (Target("gap", 120.0, 0.02),),
    "XL": (Target("first_feasible", 60.0), Target("gap", 600.0, 0.05)),
}


# -- inputs -------------------------------------------------------------------------------------------------------


def demo_inputs(size: str, work: Path) -> tuple[Center, pd.DataFrame, dict[str, Any]]:
    """The demo centre of `size` and its requirement for the plan week, generated into `work/size` unless the
    files are already there."""
    folder = work / size
    center_path, requirement_path = folder / "center.yaml", folder / "requirement.csv"
    info: dict[str, Any] = {"folder": str(folder), "history_shape": HISTORY_SHAPE[size]}
    if center_path.is_file() and requirement_path.is_file():
        info["cached"], info["generate_s"] = True, None
    else:
        print(f"[{size}] generating the demo centre, history, forecast and requirement ...", flush=True)
        began = time.perf_counter()
        run_demo(GeneratorSettings(size=size, seed=0, history_shape=HISTORY_SHAPE[size]), folder)
        info["cached"], info["generate_s"] = False, time.perf_counter() - began
    center = load_center(center_path)
    requirement = read_table(requirement_path, REQUIREMENT, timezone=center.timezone)
    return center, requirement, info


def model_size(problem: RosterProblem) -> dict[str, int]:
    return {
        "agents": len(problem.options),
        "shift_options": int(sum(len(options.shapes) for options in problem.options.values())),
        "shapes": len(problem.shapes),
        "pools": len(problem.pools),
        "work_types": len(problem.work_types),
        "intervals": len(problem.horizon.intervals),
        "days": problem.horizon.days,
    }


class _ProgressPrinter:
    """Prints the solve's progress, at most one line every PRINT_EVERY_S seconds (the warm start always)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.printed_at: float | None = None

    def __call__(self, step: Progress) -> None:
        if self.printed_at is None or step.elapsed_s - self.printed_at >= PRINT_EVERY_S:
            self.printed_at = step.elapsed_s
            print(
                f"  [{self.label}] {step.elapsed_s:7.1f} s  objective {step.objective:12,.1f}  "
                f"bound {step.bound:12,.1f}  gap {step.gap:7.2%}",
                flush=True,
            )


# -- part 1: scale ----------------------------------------------------------------------------------------------


def state_at(progress: Sequence[Progress], t: float) -> Progress | None:
    """The solve's state at `t` seconds: the last recorded improvement at or before `t` (None: nothing yet)."""
    before = [p for p in progress if p.elapsed_s <= t]
    return before[-1] if before else None


def checkpoints(result: RosterResult, limit_s: float) -> list[dict[str, Any]]:
    """Objective, bound and gap at each checkpoint up to the time limit, and at the time limit. At or after the end
    of phase 1 the final figures are taken (their bound is the solver's last, which may be above the last recorded
    one); a checkpoint beyond the limit was not run."""
    phase_1_end = float(result.kpis["first_phase_s"])
    rows = []
    for t, label in [*((t, f"{t:g} s") for t in CHECKPOINTS_S), (limit_s, f"limit {limit_s:g} s")]:
        row: dict[str, Any] = {"at_s": t, "label": label}
        if t > limit_s:
            row["state"] = "not run"
        elif t >= phase_1_end:
            row |= {"state": "final", "objective": result.objective, "bound": result.best_bound, "gap": result.gap}
        else:
            step = state_at(result.progress, t)
            if step is None:
                row["state"] = "none yet"
            else:
                row |= {"state": "progress", "objective": step.objective, "bound": step.bound, "gap": step.gap}
        rows.append(row)
    return rows


def evaluate_target(target: Target, result: RosterResult) -> dict[str, Any]:
    """MET or MISSED, with the figure it was judged on."""
    if target.kind == "first_feasible":
        first = result.first_solution_s
        met = first is not None and first <= target.within_s
        figure = "none" if first is None else f"{first:.1f} s"
    else:
        assert target.max_gap is not None
        if float(result.kpis["first_phase_s"]) <= target.within_s:
            gap: float | None = result.gap
        else:
            step = state_at(result.progress, target.within_s)
            gap = None if step is None else step.gap
        met = gap is not None and gap <= target.max_gap
        figure = "no roster yet" if gap is None else f"gap {gap:.2%}"
    return {"target": target.text, "figure": figure, "met": met}


def bench_size(size: str, limit_s: float, workers: int, work: Path) -> dict[str, Any]:
    center, requirement, inputs = demo_inputs(size, work)
    began = time.perf_counter()
    problem = build_problem(requirement, center)
    build_s = time.perf_counter() - began
    sizes = model_size(problem)
    print(
        f"[{size}] {sizes['agents']:,} agents, {sizes['shift_options']:,} shift options, {sizes['pools']} pools; "
        f"solving with a {limit_s:g} s limit and {workers} workers ...",
        flush=True,
    )
    settings = RosterSettings(time_limit_s=limit_s, workers=workers, seed=0)
    began = time.perf_counter()
    result = solve_roster(requirement, center, settings, on_progress=_ProgressPrinter(size))
    wall_s = time.perf_counter() - began
    began = time.perf_counter()
    horizon = center.horizon_covering(requirement["interval_start"])
    violations = validate_roster(result.roster, center, horizon, coverage=result.coverage)
    validate_s = time.perf_counter() - began
    first_phase_s = float(result.kpis["first_phase_s"])
    return {
        "size": size,
        "inputs": inputs,
        "model": sizes,
        "build_problem_s": build_s,
        "time_limit_s": limit_s,
        "workers": workers,
        "wall_s": wall_s,
        "first_phase_s": first_phase_s,
        "phase_2_s": result.solve_time_s - first_phase_s,
        "checkpoints": checkpoints(result, limit_s),
        "targets": [evaluate_target(t, result) for t in TARGETS.get(size, ())],
        "result": result.summary(),
        "gap": result.gap,
        "validate_s": validate_s,
        "violations": [str(v) for v in violations],
        "violations_by_rule": dict(Counter(v.rule for v in violations)),
        "peak_rss_mib": max_rss_mib(),
    }


def _number(value: float | None, spec: str = ",.1f") -> str:
    return "-" if value is None else format(value, spec)


def _inputs_note(inputs: dict[str, Any]) -> str:
    return "cached" if inputs["cached"] else f"generated in {inputs['generate_s']:.0f} s"


def _state(row: dict[str, Any], key: str, spec: str) -> str:
    if row["state"] == "not run":
        return "n/a"
    return "-" if key not in row else format(row[key], spec)


def format_scale(runs: list[dict[str, Any]]) -> str:
    done = [r for r in runs if "error" not in r]
    header = (
        f"{'size':>4} {'agents':>6} {'options':>8} {'pools':>5} {'limit s':>7} {'first s':>7} "
        f"{'gap@10s':>8} {'gap@30s':>8} {'gap@60s':>8} {'gap@120s':>8} {'status':>8} {'objective':>12} "
        f"{'bound':>12} {'gap':>7} {'phase2 s':>8} {'total s':>7} {'viol':>4}"
    )
    lines = ["Part 1: roster solve at scale (demo centres, plan week)", header, "-" * len(header)]
    for r in done:
        res, at = r["result"], r["checkpoints"][: len(CHECKPOINTS_S)]
        lines.append(
            f"{r['size']:>4} {r['model']['agents']:>6,} {r['model']['shift_options']:>8,} {r['model']['pools']:>5} "
            f"{r['time_limit_s']:>7g} {_number(res['first_solution_s']):>7} "
            + " ".join(f"{_state(c, 'gap', '.2%'):>8}" for c in at)
            + f" {res['status']:>8} {res['objective']:>12,.1f} {res['best_bound']:>12,.1f} {r['gap']:>7.2%} "
            f"{r['phase_2_s']:>8.1f} {res['solve_time_s']:>7.1f} {len(r['violations']):>4}"
        )
    for r in runs:
        if "error" in r:
            lines.append(f"{r['size']:>4} FAILED: {r['error']}")
    for r in done:
        res, kpis = r["result"], r["result"]["kpis"]
        lines += ["", f"{r['size']}: progress (objective / bound / gap; '-' no roster yet, 'n/a' beyond the limit)"]
        for c in r["checkpoints"]:
            lines.append(
                f"  at {c['label']:>11}: {_state(c, 'objective', ',.1f'):>12} / {_state(c, 'bound', ',.1f'):>12} / "
                f"{_state(c, 'gap', '.2%'):>7}  ({c['state']})"
            )
        lines.append(
            f"  phase 1 {r['first_phase_s']:.1f} s (limit {r['time_limit_s']:g} s), phase 2 {r['phase_2_s']:.1f} s; "
            f"inputs {_inputs_note(r['inputs'])}"
        )
        lines.append(
            "  breakdown (points): "
            + ", ".join(f"{name} {value:,.1f}" for name, value in res["breakdown"].items() if value)
        )
        under = ", ".join(f"{k} {v:,.1f}" for k, v in kpis["understaffed_agent_hours"].items())
        lines.append(
            f"  understaffed agent-hours: {under}; paid hours {kpis['paid_hours']:,.1f}; "
            f"shifts {kpis['shifts']:,}; agents rostered {kpis['agents_rostered']:,}"
        )
        verdict = "no violation" if not r["violations"] else f"{len(r['violations'])} VIOLATIONS"
        lines.append(f"  validator (roster + coverage): {verdict}")
        lines += [f"    {v}" for v in r["violations"][:SHOWN_VIOLATIONS]]
        for t in r["targets"]:
            lines.append(f"  target {t['target']}: {t['figure']} -> {'MET' if t['met'] else 'MISSED'}")
    if done:
        lines.append(
            f"\nworkers {done[0]['workers']} on a machine with {os.cpu_count()} cores; times in wall-clock seconds; "
            "gap = |objective - bound| / max(|objective|, 1) as CP-SAT reports it; first = the warm start."
        )
    return "\n".join(lines)


# -- part 2: pyworkforce side by side -------------------------------------------------------------------------------


def _union_windows(windows: Sequence[WeeklyWindow]) -> list[WeeklyWindow]:
    """The union of weekly windows, merged per weekday."""
    merged: list[WeeklyWindow] = []
    for weekday in sorted({w.weekday for w in windows}):
        spans = sorted((w.start_minute, w.end_minute) for w in windows if w.weekday == weekday)
        current = list(spans[0])
        for begin, end in spans[1:]:
            if begin <= current[1]:
                current[1] = max(current[1], end)
            else:
                merged.append(WeeklyWindow(weekday=weekday, start_minute=current[0], end_minute=current[1]))
                current = [begin, end]
        merged.append(WeeklyWindow(weekday=weekday, start_minute=current[0], end_minute=current[1]))
    return merged


def single_skill_center(center: Center) -> Center:
    """The centre with one skill for everyone and one realtime work type open whenever any work type was (the
    union of their opening hours). Its service target and AHT only feed the expected-service-level KPI; special
    days (a forecasting input that names work types) are dropped."""
    hours = [center.opening_windows(w.id) for w in center.work_types]
    always = any(not h for h in hours)
    work_type = WorkType(
        id=SINGLE_SKILL,
        name="All work (single skill)",
        channel=Channel.PHONE,
        mode=Mode.REALTIME,
        skill=SINGLE_SKILL,
        priority=1,
        target=ServiceTarget(service_level=0.8, within_s=20),
        aht_s=float(np.mean([w.aht_s for w in center.work_types])),
        opening_hours=[] if always else _union_windows([w for h in hours for w in h]),
    )
    agents = [a.model_copy(update={"skills": [AgentSkill(skill=SINGLE_SKILL, proficiency=1.0)]}) for a in center.agents]
    return Center.model_validate(
        center.model_dump()
        | {
            "opening_hours": [] if always else center.opening_hours,
            "skills": [Skill(id=SINGLE_SKILL).model_dump()],
            "work_types": [work_type.model_dump()],
            "agents": [a.model_dump() for a in agents],
            "special_days": [],
            # The same rules on both sides: pyworkforce takes one minimum of hours for everyone, set to 0.
            "contracts": [
                c.model_dump() | {"min_paid_minutes_week": 0, "target_paid_minutes_week": None}
                for c in center.contracts
            ],
        }
    )


def single_skill_requirement(requirement: pd.DataFrame) -> pd.DataFrame:
    """One row per interval: workload, fractional and whole agents summed over the work types."""
    columns = ["workload_erlangs", "required_agents", "required_agents_int"]
    table = requirement.groupby("interval_start", sort=True)[columns].sum().reset_index()
    table.insert(1, "work_type", SINGLE_SKILL)
    table["required_agents_int"] = table["required_agents_int"].astype(np.int64)
    table["expected_service_level"] = np.nan
    return table


def _deviation(scheduled: np.ndarray, required: np.ndarray) -> dict[str, float]:
    diff = scheduled - required
    return {
        "abs_deviation": float(np.abs(diff).sum()),
        "shortfall": float(np.clip(-diff, 0, None).sum()),
        "surplus": float(np.clip(diff, 0, None).sum()),
    }


def _on_duty_total(roster: pd.DataFrame, center: Center, problem: RosterProblem) -> np.ndarray:
    """Agents on duty (in a shift, not on a break) per interval of the horizon, by the validator's reading."""
    return np.asarray(on_duty(roster, center, problem.horizon).to_numpy().sum(axis=1), dtype=float)


@dataclass(frozen=True)
class _Catalogue:
    """pyworkforce's shifts: one per (template, wall-clock start, length), as 0/1 vectors over a day's periods."""

    names: list[str]
    vectors: np.ndarray  # (shifts, periods)
    paid: list[int]  # paid minutes per shift
    starts: np.ndarray  # wall-clock start minute per shift
    lengths: np.ndarray  # minutes per shift
    shape_of: dict[tuple[int, int], int]  # (day, shift) -> shape index of the horizon
    truncated: int  # shifts cut at midnight (pyworkforce's shifts lie inside one day)


def _catalogue(problem: RosterProblem) -> _Catalogue:
    shapes, step = problem.shapes, problem.horizon.interval_minutes
    periods = MINUTES_PER_DAY // step
    keys: dict[tuple[str, int, int], int] = {}  # (template, start minute, length) -> a shape index
    for k in range(len(shapes)):
        keys.setdefault((shapes.template[k], int(shapes.start_minute[k]), int(shapes.length[k])), k)
    names, rows, paid, truncated = [], [], [], 0
    ordered = sorted(keys.items(), key=lambda item: (item[0][1], item[0][2], item[0][0]))
    for (template, start, length), k in ordered:
        on = np.ones(length // step, dtype=np.int64)
        for slot in shapes.breaks[k]:
            on[slot.nominal : slot.nominal + slot.duration] = 0
        vector = np.zeros(periods, dtype=np.int64)
        first = start // step
        inside = min(len(on), periods - first)
        truncated += int(inside < len(on))
        vector[first : first + inside] = on[:inside]
        names.append(f"{template}@{start // 60:02d}:{start % 60:02d}+{length}m")
        rows.append(vector)
        paid.append(int(shapes.paid[k]))
    index = {key: s for s, (key, _) in enumerate(ordered)}
    shape_of = {
        (int(shapes.day[k]), index[(shapes.template[k], int(shapes.start_minute[k]), int(shapes.length[k]))]): k
        for k in range(len(shapes))
    }
    starts = np.array([key[1] for key, _ in ordered], dtype=np.int64)
    lengths = np.array([key[2] for key, _ in ordered], dtype=np.int64)
    return _Catalogue(names, np.array(rows), paid, starts, lengths, shape_of, truncated)


def _wall_clock_cells(problem: RosterProblem) -> tuple[np.ndarray, np.ndarray]:
    """Each interval's (day of the horizon, wall-clock period of its day): pyworkforce's grid is days x periods
    of local wall-clock time, so an hour the clocks skip is a cell without an interval (required 0) and an hour
    they repeat maps two intervals to one cell."""
    horizon, step = problem.horizon, problem.horizon.interval_minutes
    local = pd.DatetimeIndex(horizon.intervals).tz_convert(horizon.timezone)
    days = np.array([(d - horizon.start_date).days for d in local.date], dtype=np.int64)
    periods = np.asarray((local.hour * 60 + local.minute) // step, dtype=np.int64)
    return days, periods


def _staffable(counts: np.ndarray, catalogue: _Catalogue, problem: RosterProblem) -> dict[str, Any]:
    """Where pyworkforce's shift counts ask for more agents than may work them (contract templates, time off,
    availability): per (day, shift) and per day. MinHoursRoster cannot staff such counts."""
    days, shifts = counts.shape
    eligible = np.zeros((days, shifts), dtype=np.int64)
    present = np.zeros(days, dtype=np.int64)
    for options in problem.options.values():
        allowed = set(options.shapes.tolist())
        mask = np.array([[catalogue.shape_of.get((d, s)) in allowed for s in range(shifts)] for d in range(days)])
        eligible += mask
        present += mask.any(axis=1)
    over = np.clip(counts - eligible, 0, None)
    cells = [
        f"{problem.horizon.dates[d]} {catalogue.names[s]}: {counts[d, s]} asked, {eligible[d, s]} may work it"
        for d, s in zip(*np.nonzero(over), strict=True)
    ]
    return {
        "cells_over": len(cells),
        "shifts_over": int(over.sum()),
        "examples": cells[:5],
        "days_over": {
            str(problem.horizon.dates[d]): f"{counts[d].sum()} shifts, {present[d]} agents may work that day"
            for d in range(days)
            if counts[d].sum() > present[d]
        },
    }


def bench_pyworkforce(work: Path, limit_s: float, workers: int) -> dict[str, Any] | None:
    try:
        from pyworkforce.rostering.binary_programming import MinHoursRoster  # type: ignore[import-untyped]
        from pyworkforce.scheduling import MinAbsDifference  # type: ignore[import-untyped]
    except ImportError:
        print("part 2 skipped: pyworkforce is not installed (make install-bench)", flush=True)
        return None

    center_full, requirement_full, inputs = demo_inputs(COMPARE_SIZE, work)
    center = single_skill_center(center_full)
    requirement = single_skill_requirement(requirement_full)
    problem = build_problem(requirement, center)
    horizon = problem.horizon
    required = problem.smoothed[:, 0].astype(float)
    agents = problem.agents
    catalogue = _catalogue(problem)
    days, periods = _wall_clock_cells(problem)
    grid = np.zeros((horizon.days, catalogue.vectors.shape[1]), dtype=np.int64)
    np.maximum.at(grid, (days, periods), problem.smoothed[:, 0])
    print(
        f"part 2: single-skill {COMPARE_SIZE}: {len(agents)} agents, {len(catalogue.names)} shifts, "
        f"{int(required.sum()):,} required agent-intervals; pyworkforce then ours, {limit_s:g} s limit each ...",
        flush=True,
    )

    # pyworkforce, stage 1: agents per (day, shift).
    began = time.perf_counter()
    scheduler = MinAbsDifference(
        num_days=horizon.days,
        periods=int(catalogue.vectors.shape[1]),
        shifts_coverage={
            name: vector.tolist() for name, vector in zip(catalogue.names, catalogue.vectors, strict=True)
        },
        required_resources=grid.tolist(),
        max_period_concurrency=len(agents),
        max_shift_concurrency=len(agents),
        max_search_time=float(limit_s),
        num_search_workers=workers,
    )
    stage_1 = scheduler.solve()
    stage_1_s = time.perf_counter() - began
    theirs: dict[str, Any] = {
        "stage_1": {"status": stage_1["status"], "objective": stage_1["cost"], "wall_s": stage_1_s},
    }
    if stage_1["status"] not in ("OPTIMAL", "FEASIBLE"):
        theirs["stage_2"] = {"status": "not run: stage 1 found no schedule"}
        theirs["wall_s"] = stage_1_s
    else:
        column = {name: s for s, name in enumerate(catalogue.names)}
        counts = np.zeros((horizon.days, len(catalogue.names)), dtype=np.int64)
        for row in stage_1["resources_shifts"]:
            counts[row["day"], column[row["shift"]]] = row["resources"]
        scheduled = (counts @ catalogue.vectors)[days, periods].astype(float)
        theirs["stage_1"] |= _deviation(scheduled, required) | {"shifts": int(counts.sum())}
        theirs["stage_1"]["staffable"] = _staffable(counts, catalogue, problem)

        # pyworkforce, stage 2: named agents on those shifts.
        banned = []
        for agent_id in agents:
            allowed = set(problem.options[agent_id].shapes.tolist())
            for d in range(horizon.days):
                for s, name in enumerate(catalogue.names):
                    if catalogue.shape_of.get((d, s)) not in allowed:
                        banned.append({"resource": agent_id, "shift": name, "day": d})
        began = time.perf_counter()
        roster_solver = MinHoursRoster(
            num_days=horizon.days,
            resources=agents,
            shifts=catalogue.names,
            shifts_hours=catalogue.paid,  # paid minutes: the API needs integers and 510 min is 8.5 h
            min_working_hours=0,
            banned_shifts=banned,
            max_resting=horizon.days,
            required_resources={name: counts[:, s].tolist() for s, name in enumerate(catalogue.names)},
            non_sequential_shifts=None,
            resources_preferences=None,
            resources_prioritization=None,
            max_search_time=float(limit_s),
            num_search_workers=workers,
        )
        stage_2 = roster_solver.solve()
        stage_2_s = time.perf_counter() - began
        theirs["wall_s"] = stage_1_s + stage_2_s
        theirs["stage_2"] = {"status": stage_2["status"], "wall_s": stage_2_s, "banned_shifts": len(banned)}
        if stage_2["status"] in ("OPTIMAL", "FEASIBLE"):
            shifts = {
                (row["resource"], int(row["day"])): catalogue.shape_of[(int(row["day"]), column[row["shift"]])]
                for row in stage_2["resource_shifts"]
            }
            their_roster = roster_table(problem, shifts, {})
            found = validate_roster(their_roster, center, horizon)
            theirs["stage_2"] |= _deviation(_on_duty_total(their_roster, center, problem), required) | {
                "shifts": len(their_roster),
                "paid_hours": float(their_roster["paid_minutes"].sum() / 60),
                "agents_rostered": int(their_roster["agent_id"].nunique()),
                "violations": len(found),
                "violations_by_rule": dict(Counter(v.rule for v in found)),
            }

    # Ours, on the same centre and requirement.
    began = time.perf_counter()
    result = solve_roster(
        requirement,
        center,
        RosterSettings(time_limit_s=limit_s, workers=workers, seed=0, weights=ABS_DEVIATION),
        on_progress=_ProgressPrinter(f"{COMPARE_SIZE} single skill"),
    )
    ours_s = time.perf_counter() - began
    found = validate_roster(result.roster, center, horizon, coverage=result.coverage)
    table = result.coverage
    ours: dict[str, Any] = {
        "wall_s": ours_s,
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "first_solution_s": result.first_solution_s,
        **_deviation(_on_duty_total(result.roster, center, problem), required),
        "coverage_table_abs_deviation": float((table["scheduled"] - table["required"]).abs().sum()),
        "shifts": len(result.roster),
        "paid_hours": float(result.kpis["paid_hours"]),
        "agents_rostered": int(result.kpis["agents_rostered"]),
        "violations": len(found),
        "violations_by_rule": dict(Counter(v.rule for v in found)),
        "violation_list": [str(v) for v in found],
    }

    # Against their roster (both stages' time); if MinHoursRoster returned none, against the shift counts of
    # MinAbsDifference and its time alone (a plan without named agents: the stricter comparison for us).
    reference = theirs.get("stage_2", {})
    their_deviation: float | None = None
    their_s: float | None = None
    against = "nothing (pyworkforce found no schedule)"
    if "abs_deviation" in reference:
        against, their_deviation, their_s = (
            "pyworkforce's roster (both stages)",
            reference["abs_deviation"],
            theirs["wall_s"],
        )
    elif "abs_deviation" in theirs["stage_1"]:
        against = "pyworkforce's shift counts and stage-1 time (MinHoursRoster returned no roster)"
        their_deviation, their_s = theirs["stage_1"]["abs_deviation"], theirs["stage_1"]["wall_s"]
    met = (
        their_deviation is not None
        and their_s is not None
        and ours["abs_deviation"] <= their_deviation
        and ours["wall_s"] < their_s
        and ours["violations"] == 0
    )
    return {
        "size": COMPARE_SIZE,
        "inputs": inputs,
        "time_limit_s": limit_s,
        "workers": workers,
        "agents": len(agents),
        "intervals": len(horizon.intervals),
        "interval_minutes": horizon.interval_minutes,
        "required_agent_intervals": float(required.sum()),
        "shifts": len(catalogue.names),
        "shift_options": int(sum(len(o.shapes) for o in problem.options.values())),
        "shifts_cut_at_midnight": catalogue.truncated,
        "pyworkforce": theirs,
        "ours": ours,
        "target": {
            "target": "our total absolute deviation <= pyworkforce's, in less time (and our roster valid)",
            "against": against,
            "their_abs_deviation": their_deviation,
            "their_wall_s": their_s,
            "our_abs_deviation": ours["abs_deviation"],
            "our_wall_s": ours["wall_s"],
            "met": met,
        },
        "models": _models_text(center, problem, catalogue),
    }


def _models_text(center: Center, problem: RosterProblem, catalogue: _Catalogue) -> dict[str, str]:
    """What each side models, with this centre's figures."""
    used = {center.contract_of(a).id for a in center.agents}
    contracts = [c for c in center.contracts if c.id in used]
    minima = "/".join(f"{m / 60:g}" for m in sorted({c.min_paid_minutes_week for c in contracts}, reverse=True))
    leave = max(len(options.days_off) for options in problem.options.values())
    rest = max(c.min_rest_minutes for c in contracts)
    # Shift j may not follow shift s the next day when s ends less than `rest` before j starts (wall clock).
    ends = catalogue.starts + catalogue.lengths
    banned = (ends[:, None] + rest) > (MINUTES_PER_DAY + catalogue.starts[None, :])
    crippled = int(np.count_nonzero(banned.sum(axis=1) >= 2))
    return {
        "pyworkforce": (
            f"MinAbsDifference chooses agents per shift and day minimising sum |scheduled - required| over a "
            f"{problem.horizon.days} days x {catalogue.vectors.shape[1]} wall-clock periods grid, with no agent limits "
            f"except at most {len(problem.options)} per period and per shift; MinHoursRoster then puts named agents "
            "on those counts (at least), at most one shift a day, minimising paid minutes, with our per-agent "
            "options as banned shifts (contract templates, time off, availability, opening hours). Its shifts are the "
            "same every day, so its counts may ask for a shift on a day when no agent may work it (a later opening, "
            "say). Its API has one "
            f"minimum of hours and one of working days for everyone, which our contracts ({minima} h minima, leave "
            f"of up to {leave} days in this week) cannot share, so both are set to 0; it has no maximum hours, "
            "maximum days, weekends or consecutive-day rules, and no break placement (breaks sit at the middle of "
            "their windows in the coverage vectors). Rest between days is not passed: its non_sequential_shifts "
            "constraint, sum_j (x[d][s] * ban[s][j] + x[d+1][j]) <= 1, forbids outright any shift with two or more "
            f"banned successors, and our {rest / 60:g} h rest gives {crippled} of its {len(catalogue.names)} shifts "
            "two or more, so passing it would remove those shifts instead of spacing them. What its roster breaks "
            "of our rules is counted by our validator. Its num_search_workers is set on the CpSolver object, not "
            "on its parameters, so CP-SAT runs with its default workers whatever is passed."
        ),
        "ours": (
            "solve_roster: every contract rule (weekly maximum paid minutes, working days, rest, consecutive "
            "days, days off, weekends; the weekly minimum set to 0 as on pyworkforce's side), availability, opening "
            "hours and time off, break placement per day; its weights set to pyworkforce's objective (every missing "
            f"or surplus agent-hour costs {ABS_DEVIATION.overstaffing} points, pay and wishes nothing), so both "
            "minimise sum |scheduled - required|."
        ),
    }


def format_pyworkforce(r: dict[str, Any]) -> str:
    theirs, ours = r["pyworkforce"], r["ours"]
    s1, s2 = theirs["stage_1"], theirs.get("stage_2", {})
    header = (
        f"{'solver':<34} {'status':>10} {'wall s':>8} {'abs dev':>9} {'short':>8} {'surplus':>8} {'shifts':>6} "
        f"{'paid h':>8} {'viol':>5}"
    )
    lines = [
        f"Part 2: pyworkforce side by side, single-skill {r['size']} centre ({r['agents']} agents, {r['shifts']} "
        f"shifts, {r['intervals']} intervals, {r['required_agent_intervals']:,.0f} required agent-intervals)",
        header,
        "-" * len(header),
    ]

    def row(label: str, status: str, wall: float | None, d: dict[str, Any], paid: Any, violations: Any) -> str:
        return (
            f"{label:<34} {status:>10} {_number(wall):>8} {_number(d.get('abs_deviation'), ',.0f'):>9} "
            f"{_number(d.get('shortfall'), ',.0f'):>8} {_number(d.get('surplus'), ',.0f'):>8} "
            f"{d.get('shifts', '-')!s:>6} {_number(paid):>8} {violations!s:>5}"
        )

    lines.append(row("pyworkforce MinAbsDifference", s1["status"], s1["wall_s"], s1, None, "-"))
    lines.append(
        row(
            "pyworkforce MinHoursRoster",
            s2.get("status", "-")[:10],
            s2.get("wall_s"),
            s2,
            s2.get("paid_hours"),
            s2.get("violations", "-"),
        )
    )
    lines.append(row("pyworkforce total (both stages)", "", theirs["wall_s"], s2, None, ""))
    lines.append(
        row("ours: solve_roster", ours["status"], ours["wall_s"], ours, ours["paid_hours"], ours["violations"])
    )
    notes = [
        f"abs dev = sum over the week's intervals of |agents on duty - required| (agent-intervals of "
        f"{r['interval_minutes']} min); both rosters counted by the validator's on_duty, pyworkforce's shift counts "
        "by their coverage vectors. Our coverage table's own figure is "
        f"{ours['coverage_table_abs_deviation']:,.0f} (it counts allocated agents, capped at the need, so it hides "
        "surplus)."
    ]
    if r["shifts_cut_at_midnight"]:
        notes.append(
            f"{r['shifts_cut_at_midnight']} shifts run past midnight: pyworkforce's coverage vectors stop at midnight "
            "(its shifts lie inside one day); its roster is counted with the whole shifts."
        )
    staffable = s1.get("staffable")
    if staffable and (staffable["cells_over"] or staffable["days_over"]):
        days_over = "; ".join(f"{day}: {text}" for day, text in staffable["days_over"].items())
        notes.append(
            f"pyworkforce's shift counts ask for {staffable['shifts_over']} shifts beyond the agents who may work them "
            f"in {staffable['cells_over']} (day, shift) cells (e.g. {'; '.join(staffable['examples'][:3])})"
            + (f"; days with more shifts than agents: {days_over}" if days_over else "")
            + ". MinHoursRoster must staff every count, so it cannot."
        )
    if s2.get("violations_by_rule"):
        notes.append(
            "validator on pyworkforce's roster: "
            + ", ".join(f"{rule} {n}" for rule, n in sorted(s2["violations_by_rule"].items()))
        )
    if ours["violations"]:
        notes.append("validator on our roster: " + "; ".join(ours["violation_list"][:SHOWN_VIOLATIONS]))
    else:
        notes.append("validator on our roster (with its coverage table): no violation.")
    notes.append(
        f"our gap {ours['gap']:.2%} at {r['time_limit_s']:g} s, first roster at {_number(ours['first_solution_s'])} s."
    )
    lines += [line for note in notes for line in _wrap(note, "")]
    lines += ["", "what each side models:", *_wrap("pyworkforce: " + r["models"]["pyworkforce"], "  ")]
    lines += _wrap("ours: " + r["models"]["ours"], "  ")
    t = r["target"]
    lines += [
        "",
        *_wrap(
            f"target {t['target']}, against {t['against']}: ours {_number(t['our_abs_deviation'], ',.0f')} in "
            f"{_number(t['our_wall_s'])} s, theirs {_number(t['their_abs_deviation'], ',.0f')} in "
            f"{_number(t['their_wall_s'])} s -> {'MET' if t['met'] else 'MISSED'}",
            "",
        ),
    ]
    return "\n".join(lines)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=120, initial_indent=indent, subsequent_indent=indent + "  ")


# -- main -------------------------------------------------------------------------------------------------------


def _limits(pairs: list[str], scale: float, parser: argparse.ArgumentParser) -> dict[str, float]:
    limits = dict(TIME_LIMITS_S)
    for pair in pairs:
        size, sep, seconds = pair.partition("=")
        try:
            value = float(seconds)
        except ValueError:
            value = -1.0
        if not sep or size not in SIZES or value <= 0:
            parser.error(f"--time-limit '{pair}' is not SIZE=SECONDS with SIZE in {', '.join(SIZES)}")
        limits[size] = value
    return {size: seconds * scale for size, seconds in limits.items()}


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date | pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _version(module: str) -> str | None:
    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.roster_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--sizes", nargs="+", choices=SIZES, default=list(DEFAULT_SIZES), help="default M L XL")
    parser.add_argument(
        "--time-limit",
        action="append",
        default=[],
        metavar="SIZE=SECONDS",
        help="a size's time limit (defaults: M=60 L=120 XL=600; S=30); repeat for several sizes",
    )
    parser.add_argument(
        "--compare-time-limit",
        type=float,
        default=COMPARE_TIME_LIMIT_S,
        help="part 2: seconds for our solve and for each of pyworkforce's two stages (default 60)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every time limit (e.g. 0.1 for a check)")
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help=f"CP-SAT workers (default the cores: {DEFAULT_WORKERS})"
    )
    parser.add_argument("--work", type=Path, default=None, help="folder caching the demo inputs (default a temp one)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.compare_time_limit <= 0:
        parser.error("--compare-time-limit must be positive")
    limits = _limits(args.time_limit, args.scale, parser)

    with tempfile.TemporaryDirectory(prefix="roster-bench-") as temporary:
        work = args.work if args.work is not None else Path(temporary)
        report: dict[str, Any] = {
            "benchmark": "roster_scale",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "date": date.today().isoformat(),
            "command": " ".join(["python -m benchmarks.roster_scale", *(argv if argv is not None else sys.argv[1:])]),
            "work": str(work) if args.work is not None else "(temporary)",
            "time_scale": args.scale,
            "time_limits_s": {size: limits[size] for size in args.sizes},
            "compare_time_limit_s": args.compare_time_limit * args.scale,
            "workers": args.workers,
            "machine": machine_info(ortools=_version("ortools"), pyworkforce=_version("pyworkforce")),
        }
        outputs, failed = [], False
        if "scale" in args.parts:
            runs = []
            for size in args.sizes:
                try:
                    runs.append(bench_size(size, limits[size], args.workers, work))
                except Exception as exc:  # a benchmark reports a failing size and goes on with the next
                    failed = True
                    traceback.print_exc()
                    runs.append(
                        {"size": size, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
                    )
            report["scale"] = runs
            outputs.append(format_scale(runs))
        if "pyworkforce" in args.parts:
            try:
                compared = bench_pyworkforce(work, args.compare_time_limit * args.scale, args.workers)
            except Exception as exc:
                failed = True
                traceback.print_exc()
                compared = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
                outputs.append(f"Part 2 FAILED: {compared['error']}")
            else:
                if compared is None:
                    outputs.append("Part 2 skipped: pyworkforce is not installed (make install-bench)")
                else:
                    outputs.append(format_pyworkforce(compared))
            report["pyworkforce"] = compared
    print()
    print("\n\n".join(outputs))
    write_report(args.out, report, default=_json_default)
    print(f"\nwritten {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
