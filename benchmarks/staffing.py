"""Benchmark of the staffing maths: speed of the requirement for a week of 50 work types, agreement with and speed
against pyworkforce's Erlang C, and numerical stability at thousands of erlangs against 50-digit mpmath.

Run from the repository root with the project's virtual environment::

    make install-bench                            # pyworkforce and mpmath, for parts 2 and 3 (optional)
    .venv/bin/python -m benchmarks.staffing        # all three parts, 7 timed runs each (~30 s on 2 cores)
    .venv/bin/python -m benchmarks.staffing --parts speed --repeat 5

The cells: one week at 15-minute intervals (672) x 50 work types = 33,600 cells, drawn with `--seed` (default 0).
Per work type a peak load log-uniform in 5..200 erlangs, a two-peak intraday profile (its peaks shifted by up to an
hour) with a night floor of 3% of the peak, weekday factors from 1.0 (Monday) to 0.4 (Sunday) and 10% lognormal
noise per cell, clipped to 0.5..200 erlangs; a base AHT uniform in 180..900 s varied by +-10% per cell; a target
of 80% in 20 s or 90% in 30 s; a maximum occupancy uniform in 0.85..1.00; and, for the Erlang A cases, a mean
patience uniform in 60..300 s.

1. speed: `planner.staffing.erlang.required_agents` on the 33,600 cells, Erlang C (no patience) and Erlang A
   (patience), and `required_agents` + `erlang_c_metrics` at the whole-number requirement; then the full
   `planner.staffing.requirements.requirement_table` on a FORECAST-shaped frame of the same cells for a 50-work-type
   centre built from the demo generator's XL centre (its skills, agents, contracts and templates; its work types
   replaced by 50 realtime phone work types with the cells' targets; its special days dropped since they name the
   replaced work types), once with Erlang C targets and once with the patience (Erlang A), and for the XL centre
   as generated (13 work types: Erlang A phone, chat with concurrency 2 and deferred work) on the first 13 work
   types' cells. One untimed warm-up (run with warnings as errors), then the median of `--repeat` runs
   (`time.perf_counter`). Target: <= 100 ms for 33,600 cells.
2. pyworkforce: `pyworkforce.queuing.ErlangC(transactions=volume, aht=AHT/60, asa=T/60, interval=15)
   .required_positions(service_level, max_occupancy)["raw_positions"]` on the same cells (all of them unless
   `--pyworkforce-cells` is smaller; then the time per cell is extrapolated, and the output says so), against our
   `agents_int`; every mismatch is listed with its inputs and the service level each side computes at both answers
   (and mpmath's, where installed). A second table times both per cell at constant loads of 2, 20, 200 and 2,000
   erlangs (pyworkforce's search is O(n) per step in pure Python, so the ratio depends on the load). Targets:
   identical answers, >= 100x faster per cell.
3. stability: `erlang_b`, `erlang_c` and the Erlang C service level (AHT 300 s, T 20 s) at a = 5,000 and
   n = 5,001..5,500, and at a = 500 and 50, against mpmath at 50 digits (Erlang B as the exact sum
   (a^n / n!) / sum_k<=n a^k / k!, cross-checked by the recurrence B_k = a B_k-1 / (k + a B_k-1)); `erlang_a`
   against the same closed form in mpmath (a check of its floating-point evaluation, not of the formula); and
   `required_agents` at 5,000 erlangs and on a sweep of 1,000..20,000 erlangs under warnings as errors, with mpmath
   confirming that the Erlang C answers are the smallest whole numbers meeting the target.

Results are printed as tables and written as JSON to ``benchmarks/results/staffing.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import subprocess
import textwrap
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import ROOT, machine_info, write_report
from models import Center
from planner.runtime import keep_freed_memory
from planner.staffing.erlang import Requirement, erlang_a, erlang_b, erlang_c, erlang_c_metrics, required_agents
from planner.staffing.requirements import requirement_table
from scenarios.generator import GeneratorSettings, generate

RESULTS = Path(__file__).resolve().parent / "results" / "staffing.json"
PARTS = ("speed", "pyworkforce", "stability")
DEFAULT_REPEAT = 7
WORK_TYPES = 50
INTERVAL_MINUTES = 15
INTERVALS_PER_DAY = 24 * 60 // INTERVAL_MINUTES
DAYS = 7
WEEK_START = date(2026, 3, 2)  # a Monday
WEEKDAY_FACTOR = (1.0, 0.95, 0.93, 0.92, 0.88, 0.55, 0.4)
LOAD_RANGE = (0.5, 200.0)
TARGETS = ((0.8, 20.0), (0.9, 30.0))
TARGET_MS = 100.0
TARGET_RATIO = 100.0
BANDS = ((2.0, 2000), (20.0, 2000), (200.0, 1000), (2000.0, 100))  # constant load, cells pyworkforce is timed on
MP_DIGITS = 50
STABILITY_AHT_S = 300.0
STABILITY_T_S = 20.0
STABILITY_PATIENCE_S = 180.0
STABILITY_CASES = (
    [(5000.0, n) for n in (5001, 5050, 5100, 5200, 5500)]
    + [(500.0, n) for n in (501, 510, 520, 550)]
    + [(50.0, n) for n in (51, 55, 60, 70)]
)
ERLANG_A_CASES = ((5000.0, 4800), (5000.0, 5000), (5000.0, 5100), (500.0, 480), (500.0, 520), (50.0, 45), (50.0, 55))


# -- the cells --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    """One value per cell, work type major (cell = work type x 672 + interval); per-type values repeated."""

    load: np.ndarray
    aht_s: np.ndarray
    service_level: np.ndarray
    t_s: np.ndarray
    max_occupancy: np.ndarray
    patience_s: np.ndarray
    work_types: int

    def __len__(self) -> int:
        return len(self.load)

    @property
    def volume(self) -> np.ndarray:
        """Contacts per interval giving the load: a x interval / AHT."""
        return self.load * INTERVAL_MINUTES * 60 / self.aht_s

    def take(self, index: np.ndarray) -> Cells:
        return Cells(
            self.load[index],
            self.aht_s[index],
            self.service_level[index],
            self.t_s[index],
            self.max_occupancy[index],
            self.patience_s[index],
            self.work_types,
        )

    def with_load(self, load: float) -> Cells:
        return Cells(
            np.full(len(self), load),
            self.aht_s,
            self.service_level,
            self.t_s,
            self.max_occupancy,
            self.patience_s,
            self.work_types,
        )


def week_cells(seed: int, work_types: int = WORK_TYPES) -> Cells:
    """A week of 15-minute cells for `work_types` work types with realistic loads (see the module docstring)."""
    rng = np.random.default_rng(seed)
    per_type = DAYS * INTERVALS_PER_DAY
    peak = np.exp(rng.uniform(np.log(5.0), np.log(LOAD_RANGE[1]), work_types))
    shift = rng.uniform(-1.0, 1.0, work_types)
    hour = (np.arange(INTERVALS_PER_DAY) + 0.5) * INTERVAL_MINUTES / 60
    h = hour[None, :] - shift[:, None]
    profile = 0.03 + np.exp(-0.5 * ((h - 10.5) / 2.0) ** 2) + 0.8 * np.exp(-0.5 * ((h - 15.0) / 2.5) ** 2)
    profile /= profile.max(axis=1, keepdims=True)  # (work types, 96), peak 1
    daily = np.asarray(WEEKDAY_FACTOR)[None, :, None] * profile[:, None, :]  # (work types, 7, 96)
    noise = rng.lognormal(0.0, 0.1, daily.shape)
    load = np.clip(peak[:, None, None] * daily * noise, *LOAD_RANGE).reshape(work_types, per_type)
    base_aht = rng.uniform(180.0, 900.0, work_types)
    aht = np.clip(base_aht[:, None] * rng.uniform(0.9, 1.1, (work_types, per_type)), 180.0, 900.0)
    target = rng.integers(0, len(TARGETS), work_types)
    occupancy = np.round(rng.uniform(0.85, 1.0, work_types), 2)
    patience = np.round(rng.uniform(60.0, 300.0, work_types))

    def repeat(values: np.ndarray) -> np.ndarray:
        return np.repeat(values.astype(float), per_type)

    return Cells(
        load=load.ravel(),
        aht_s=aht.ravel(),
        service_level=repeat(np.array([TARGETS[k][0] for k in target])),
        t_s=repeat(np.array([TARGETS[k][1] for k in target])),
        max_occupancy=repeat(occupancy),
        patience_s=repeat(patience),
        work_types=work_types,
    )


def _type_value(cells: Cells, values: np.ndarray, k: int) -> float:
    return float(values[k * DAYS * INTERVALS_PER_DAY])


def centre_of_cells(xl: Center, cells: Cells, patience: bool) -> Center:
    """The XL centre with its work types replaced by one realtime phone work type per cell column."""
    data = xl.model_dump(mode="json")
    phone_skills = [w.skill for w in xl.work_types if w.channel == "phone"]
    per_type = DAYS * INTERVALS_PER_DAY
    work_types = []
    for k in range(cells.work_types):
        target: dict[str, Any] = {
            "service_level": _type_value(cells, cells.service_level, k),
            "within_s": int(_type_value(cells, cells.t_s, k)),
        }
        if patience:
            target["mean_patience_s"] = _type_value(cells, cells.patience_s, k)
        work_types.append(
            {
                "id": f"wt{k:02d}",
                "name": f"work type {k}",
                "channel": "phone",
                "mode": "realtime",
                "skill": phone_skills[k % len(phone_skills)],
                "priority": 1 + k % 3,
                "target": target,
                "aht_s": round(float(np.mean(cells.aht_s[k * per_type : (k + 1) * per_type])), 1),
                "max_occupancy": _type_value(cells, cells.max_occupancy, k),
            }
        )
    data["work_types"] = work_types
    data["special_days"] = []
    return Center.model_validate(data)


def forecast_frame(cells: Cells, work_type_ids: list[str]) -> pd.DataFrame:
    """A FORECAST table (interval_start, work_type, volume, volume_p10/p50/p90, aht_s) of `cells`."""
    per_type = DAYS * INTERVALS_PER_DAY
    starts = pd.date_range(pd.Timestamp(WEEK_START, tz="UTC"), periods=per_type, freq=f"{INTERVAL_MINUTES}min")
    n = len(work_type_ids) * per_type
    volume = cells.volume[:n]
    return pd.DataFrame(
        {
            "interval_start": np.tile(starts, len(work_type_ids)),
            "work_type": np.repeat(np.asarray(work_type_ids, dtype=object), per_type),
            "volume": volume,
            "volume_p10": volume * 0.8,
            "volume_p50": volume,
            "volume_p90": volume * 1.2,
            "aht_s": cells.aht_s[:n],
        }
    )


# -- timing -----------------------------------------------------------------------------------------------------


def _time(action: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call for `repeat` calls, after one untimed warm-up call with warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        action()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def _search_passes(cells: Cells, agents_int: np.ndarray, patience: bool) -> int:
    """Passes of `required_agents`' whole-number search: it starts at the occupancy bound (and, for Erlang C,
    floor(a) + 1) and adds one agent per pass to the cells below the target."""
    a, occ = cells.load, cells.max_occupancy
    start = np.maximum(np.ones_like(a) if patience else np.floor(a) + 1, np.ceil(a / occ - 1e-9))
    return int(np.max(agents_int - np.maximum(start, 1))) + 1


def bench_speed(cells: Cells, repeat: int) -> dict[str, Any]:
    print("part 1: speed ...", flush=True)
    c, a = cells, cells.load
    rows: list[dict[str, Any]] = []

    def add(case: str, n: int, times: list[float], need: Requirement | None = None, patience: bool = False) -> None:
        row: dict[str, Any] = {"case": case, "cells": n, "times_s": times, "median_s": statistics.median(times)}
        if need is not None:
            row["passes"] = _search_passes(c, need.agents_int, patience)
            row["at_occupancy_bound"] = int(np.sum(need.agents_int == np.ceil(a / c.max_occupancy - 1e-9)))
        rows.append(row)

    erlang_c_req = required_agents(a, c.aht_s, c.service_level, c.t_s, c.max_occupancy)
    erlang_a_req = required_agents(a, c.aht_s, c.service_level, c.t_s, c.max_occupancy, patience_s=c.patience_s)
    add(
        "required_agents, Erlang C",
        len(c),
        _time(lambda: required_agents(a, c.aht_s, c.service_level, c.t_s, c.max_occupancy), repeat),
        erlang_c_req,
    )
    add(
        "required_agents, Erlang A",
        len(c),
        _time(
            lambda: required_agents(a, c.aht_s, c.service_level, c.t_s, c.max_occupancy, patience_s=c.patience_s),
            repeat,
        ),
        erlang_a_req,
        patience=True,
    )

    def c_and_metrics() -> None:
        need = required_agents(a, c.aht_s, c.service_level, c.t_s, c.max_occupancy)
        erlang_c_metrics(need.agents_int, a, c.aht_s, c.t_s)

    add("required_agents + erlang_c_metrics, C", len(c), _time(c_and_metrics, repeat))
    per_type = DAYS * INTERVALS_PER_DAY

    def per_work_type() -> None:
        # For comparison: one call per work type (requirement_table makes one call over all of them).
        for k in range(c.work_types):
            part = slice(k * per_type, (k + 1) * per_type)
            required_agents(a[part], c.aht_s[part], c.service_level[part], c.t_s[part], c.max_occupancy[part])

    add("required_agents, C, 50 calls x 672 cells", len(c), _time(per_work_type, repeat))

    xl = generate(GeneratorSettings(size="XL", history_weeks=3)).center
    ids = [f"wt{k:02d}" for k in range(c.work_types)]
    forecast = forecast_frame(c, ids)
    for patience in (False, True):
        centre = centre_of_cells(xl, c, patience)
        table = requirement_table(forecast, centre)
        assert len(table) == len(c) and set(table["method"]) == {"erlang_a" if patience else "erlang_c"}
        add(
            f"requirement_table, 50 types, Erlang {'A' if patience else 'C'}",
            len(table),
            _time(lambda centre=centre: requirement_table(forecast, centre), repeat),
        )
    xl_ids = [w.id for w in xl.work_types]
    xl_forecast = forecast_frame(c, xl_ids)
    methods = requirement_table(xl_forecast, xl)["method"].value_counts() // (DAYS * INTERVALS_PER_DAY)
    add(
        f"requirement_table, XL centre ({len(xl_ids)} types)",
        len(xl_forecast),
        _time(lambda: requirement_table(xl_forecast, xl), repeat),
    )
    xl_mix = ", ".join(f"{n} {m}" for m, n in methods.items())
    return {
        "rows": rows,
        "xl_methods": xl_mix,
        "load_erlangs": {"min": float(a.min()), "mean": float(a.mean()), "max": float(a.max())},
        "agents_int_total": {
            "erlang_c": int(erlang_c_req.agents_int.sum()),
            "erlang_a": int(erlang_a_req.agents_int.sum()),
        },
    }


def format_speed(result: dict[str, Any], repeat: int) -> str:
    header = (
        f"{'case':<42} {'cells':>6} {'median ms':>9} {'min ms':>7} {'us/cell':>7} {'passes':>6} {'at bound':>8} "
        f"{'target':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in result["rows"]:
        ms = r["median_s"] * 1000
        target = (
            ("MET" if ms <= TARGET_MS else "MISSED") if r["cells"] == WORK_TYPES * DAYS * INTERVALS_PER_DAY else "-"
        )
        lines.append(
            f"{r['case']:<42} {r['cells']:>6,} {ms:>9.1f} {min(r['times_s']) * 1000:>7.1f} "
            f"{r['median_s'] / r['cells'] * 1e6:>7.2f} {r.get('passes', '-'):>6} "
            f"{r.get('at_occupancy_bound', '-'):>8} {target:>7}"
        )
    load = result["load_erlangs"]
    lines.append(
        textwrap.fill(
            f"Median of {repeat} runs after one warm-up (run with warnings as errors: none raised). Loads "
            f"{load['min']:.1f}..{load['max']:.1f} erlangs, mean {load['mean']:.1f}. passes: iterations of "
            f"required_agents' whole-number search (one vectorised service-level evaluation each, over the cells "
            f"still below target); at bound: cells whose answer is the occupancy bound ceil(a / max occupancy). "
            f"Target <= {TARGET_MS:.0f} ms for 33,600 cells. requirement_table makes one vectorised call of "
            f"required_agents per method; the '50 calls' row is the cost of calling it per work type instead. "
            f"The XL centre's methods (work types): {result['xl_methods']}.",
            width=120,
        )
    )
    return "\n".join(lines)


# -- pyworkforce ------------------------------------------------------------------------------------------------


def _pyworkforce_positions(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """pyworkforce's raw positions per cell, and its offered load (intensity) for the check that inputs agree."""
    from pyworkforce.queuing import ErlangC

    positions = np.empty(len(cells), dtype=np.int64)
    intensity = np.empty(len(cells))
    volume = cells.volume
    for i in range(len(cells)):
        model = ErlangC(
            transactions=float(volume[i]),
            aht=float(cells.aht_s[i]) / 60,
            asa=float(cells.t_s[i]) / 60,
            interval=INTERVAL_MINUTES,
        )
        answer = model.required_positions(
            service_level=float(cells.service_level[i]), max_occupancy=float(cells.max_occupancy[i])
        )
        positions[i] = answer["raw_positions"]
        intensity[i] = model.intensity
    return positions, intensity


def _ours(cells: Cells) -> np.ndarray:
    return required_agents(cells.load, cells.aht_s, cells.service_level, cells.t_s, cells.max_occupancy).agents_int


def _mp_erlang(n: int, a: float, aht_s: float, t_s: float) -> tuple[Any, Any, Any]:
    """Erlang B, C and the Erlang C service level at whole `n`, in mpmath (exact sum for B)."""
    import mpmath

    mp_a = mpmath.mpf(a)
    term = mpmath.mpf(1)
    total = mpmath.mpf(1)
    for k in range(1, n + 1):
        term = term * mp_a / k
        total += term
    b = term / total
    if n <= mp_a:
        return b, mpmath.mpf(1), mpmath.mpf(0)
    c = n * b / (n - mp_a * (1 - b))
    sl = 1 - c * mpmath.exp(-(n - mp_a) * mpmath.mpf(t_s) / mpmath.mpf(aht_s))
    return b, c, sl


def _mp_available() -> bool:
    try:
        import mpmath
    except ImportError:
        return False
    mpmath.mp.dps = MP_DIGITS
    return True


def _describe_mismatches(cells: Cells, ours: np.ndarray, theirs: np.ndarray, limit: int = 50) -> list[dict[str, Any]]:
    from pyworkforce.queuing import ErlangC

    out = []
    for i in np.flatnonzero(ours != theirs)[:limit]:
        a, aht, t = float(cells.load[i]), float(cells.aht_s[i]), float(cells.t_s[i])
        model = ErlangC(transactions=float(cells.volume[i]), aht=aht / 60, asa=t / 60, interval=INTERVAL_MINUTES)
        row: dict[str, Any] = {
            "cell": int(i),
            "a": a,
            "aht_s": aht,
            "service_level": float(cells.service_level[i]),
            "t_s": t,
            "max_occupancy": float(cells.max_occupancy[i]),
            "ours": int(ours[i]),
            "pyworkforce": int(theirs[i]),
        }
        for n in sorted({int(ours[i]), int(theirs[i])}):
            row[f"our_sl_at_{n}"] = float(erlang_c_metrics(n, a, aht, t).service_level)
            row[f"pyworkforce_sl_at_{n}"] = float(model.service_level(n))
            if _mp_available():
                row[f"mpmath_sl_at_{n}"] = float(_mp_erlang(n, a, aht, t)[2])
        out.append(row)
    return out


def bench_pyworkforce(cells: Cells, repeat: int, limit: int | None) -> dict[str, Any] | None:
    try:
        import pyworkforce
    except ImportError:
        print("part 2: pyworkforce is not installed (make install-bench); skipped", flush=True)
        return None
    version = getattr(pyworkforce, "__version__", "?")
    print(f"part 2: pyworkforce {version} ...", flush=True)
    subset = cells if limit is None or limit >= len(cells) else cells.take(np.arange(limit))
    ours_times = _time(lambda: _ours(cells), repeat)
    theirs_times = _time(lambda: _pyworkforce_positions(subset), repeat)
    ours = _ours(subset)
    theirs, intensity = _pyworkforce_positions(subset)
    mismatches = _describe_mismatches(subset, ours, theirs)
    # pyworkforce starts its search at round(a + 1), which is floor(a) + 2 where a's fraction is >= 0.5: it would
    # overshoot by one where floor(a) + 1 (above the occupancy bound) already meets the target.
    a = subset.load
    first = np.floor(a) + 1
    exposed = (
        (np.round(a + 1) > first)
        & (first >= np.ceil(a / subset.max_occupancy - 1e-9))
        & (erlang_c_metrics(first, a, subset.aht_s, subset.t_s).service_level >= subset.service_level)
    )
    ours_per_cell = statistics.median(ours_times) / len(cells)
    theirs_per_cell = statistics.median(theirs_times) / len(subset)
    bands = []
    for load, n in BANDS:
        band = cells.with_load(load)
        band_subset = band.take(np.arange(n))
        band_ours = _time(lambda band=band: _ours(band), repeat)
        band_theirs = _time(lambda band_subset=band_subset: _pyworkforce_positions(band_subset), max(1, repeat // 2))
        agree = int(np.sum(_ours(band_subset) == _pyworkforce_positions(band_subset)[0]))
        passes = _search_passes(band, _ours(band), patience=False)
        bands.append(
            {
                "load": load,
                "ours_cells": len(band),
                "pyworkforce_cells": n,
                "ours_s": band_ours,
                "pyworkforce_s": band_theirs,
                "ours_us_per_cell": statistics.median(band_ours) / len(band) * 1e6,
                "pyworkforce_us_per_cell": statistics.median(band_theirs) / n * 1e6,
                "identical": agree,
                "passes": passes,
            }
        )
    return {
        "pyworkforce_version": version,
        "cells": len(cells),
        "pyworkforce_cells": len(subset),
        "extrapolated": len(subset) < len(cells),
        "identical": int(np.sum(ours == theirs)),
        "mismatches": int(np.sum(ours != theirs)),
        "mismatch_rows": mismatches,
        "exposed_to_round_start": int(exposed.sum()),
        "max_relative_load_difference": float(np.max(np.abs(intensity - a) / a)),
        "ours_s": ours_times,
        "pyworkforce_s": theirs_times,
        "ours_us_per_cell": ours_per_cell * 1e6,
        "pyworkforce_us_per_cell": theirs_per_cell * 1e6,
        "ratio": theirs_per_cell / ours_per_cell,
        "bands": bands,
    }


def format_pyworkforce(result: dict[str, Any], repeat: int) -> str:
    n = result["pyworkforce_cells"]
    header = (
        f"{'cells compared':>14} {'identical':>9} {'mismatches':>10} {'ours ms':>8} {'pyworkforce ms':>14} "
        f"{'ours us/cell':>12} {'pwf us/cell':>11} {'ratio':>6} {'same':>6} {'>=100x':>6}"
    )
    ours_ms = statistics.median(result["ours_s"]) * 1000
    theirs_ms = statistics.median(result["pyworkforce_s"]) * 1000
    identical_target = "MET" if result["mismatches"] == 0 else "MISSED"
    ratio_target = "MET" if result["ratio"] >= TARGET_RATIO else "MISSED"
    lines = [
        header,
        "-" * len(header),
        f"{n:>14,} {result['identical']:>9,} {result['mismatches']:>10,} {ours_ms:>8.1f} {theirs_ms:>14.1f} "
        f"{result['ours_us_per_cell']:>12.2f} {result['pyworkforce_us_per_cell']:>11.2f} "
        f"{result['ratio']:>5.0f}x {identical_target:>6} {ratio_target:>6}",
    ]
    note = (
        f"pyworkforce {result['pyworkforce_version']}, ErlangC(...).required_positions(...)['raw_positions'] vs "
        f"required_agents(...).agents_int (Erlang C), median of {repeat} runs each; ours timed on all "
        f"{result['cells']:,} cells, pyworkforce on {n:,}"
        + (" (per-cell time extrapolated)" if result["extrapolated"] else "")
        + f". Targets: identical answers (same), >= {TARGET_RATIO:.0f}x faster per cell. Loads agree to "
        f"{result['max_relative_load_difference']:.1e} (relative; pyworkforce computes transactions / interval x "
        f"AHT). Cells where pyworkforce's start at round(a + 1) could skip a sufficient floor(a) + 1: "
        f"{result['exposed_to_round_start']}."
    )
    lines.append(textwrap.fill(note, width=120))
    for row in result["mismatch_rows"]:
        lines.append(
            "  mismatch: " + ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
        )
    header = (
        f"{'load (erlangs)':>14} {'ours us/cell':>12} {'pwf us/cell':>11} {'ratio':>7} {'pwf cells':>9} "
        f"{'identical':>9} {'passes':>6}"
    )
    lines += ["", header, "-" * len(header)]
    for b in result["bands"]:
        lines.append(
            f"{b['load']:>14,.0f} {b['ours_us_per_cell']:>12.2f} {b['pyworkforce_us_per_cell']:>11.1f} "
            f"{b['pyworkforce_us_per_cell'] / b['ours_us_per_cell']:>6.0f}x {b['pyworkforce_cells']:>9,} "
            f"{b['identical']:>9,} {b['passes']:>6}"
        )
    lines.append(
        textwrap.fill(
            "Constant load, the cells' AHT, targets and occupancy: ours timed on 33,600 cells (median of "
            f"{repeat}), pyworkforce on the first 'pwf cells' of them (median of {max(1, repeat // 2)}), per cell.",
            width=120,
        )
    )
    return "\n".join(lines)


# -- stability --------------------------------------------------------------------------------------------------


def _relative(ours: float, exact: Any) -> float:
    exact_f = float(exact)
    if exact_f == 0:
        return abs(ours)
    return float(abs((ours - exact) / exact))


def _mp_erlang_a(n: float, a: float, aht_s: float, patience_s: float, t_s: float) -> tuple[Any, Any, Any]:
    """P(wait), P(abandon) and the service level of Erlang A by the module's closed form, in mpmath."""
    import mpmath

    n_, a_, aht, patience, t = (mpmath.mpf(v) for v in (n, a, aht_s, patience_s, t_s))
    b = a_**n_ * mpmath.exp(-a_) / mpmath.gamma(n_ + 1) / mpmath.gammainc(n_ + 1, a_, mpmath.inf, regularized=True)
    x, y = n_ * patience / aht, a_ * patience / aht

    def lower(s: Any, z: Any) -> Any:
        return mpmath.gammainc(s, 0, z, regularized=True)

    pxy = lower(x, y)
    s = mpmath.gamma(x + 1) * mpmath.exp(y) * y ** (-x) * pxy
    pi_n = b / (1 + (s - 1) * b)
    wait = s * pi_n
    abandon = pi_n * ((1 - n_ / a_) * s + n_ / a_)
    sl = 1 - wait + wait * (x / y) * (lower(x + 1, y) - lower(x + 1, y * mpmath.exp(-t / patience))) / pxy
    return wait, abandon, sl


def bench_stability() -> dict[str, Any] | None:
    if not _mp_available():
        print("part 3: mpmath is not installed (make install-bench); skipped", flush=True)
        return None
    import mpmath

    print(f"part 3: stability against mpmath at {MP_DIGITS} digits ...", flush=True)
    aht, t = STABILITY_AHT_S, STABILITY_T_S
    rows = []
    recurrence_gap = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for a, n in STABILITY_CASES:
            b, c, sl = _mp_erlang(n, a, aht, t)
            mp_b = mpmath.mpf(1)
            for k in range(1, n + 1):
                mp_b = a * mp_b / (k + a * mp_b)
            recurrence_gap = max(recurrence_gap, float(abs(mp_b - b) / b))
            ours_b = float(erlang_b(n, a))
            ours_c = float(erlang_c(n, a))
            ours_sl = float(erlang_c_metrics(n, a, aht, t).service_level)
            rows.append(
                {
                    "a": a,
                    "n": n,
                    "erlang_b": float(b),
                    "erlang_b_rel_err": _relative(ours_b, b),
                    "erlang_c": float(c),
                    "erlang_c_rel_err": _relative(ours_c, c),
                    "service_level": float(sl),
                    "service_level_rel_err": _relative(ours_sl, sl),
                    "tail": float(1 - sl),  # 1 - SL = C exp(-(n - a) T / AHT)
                }
            )
        a_rows = []
        for a, n in ERLANG_A_CASES:
            wait, abandon, sl = _mp_erlang_a(n, a, aht, STABILITY_PATIENCE_S, t)
            ours = erlang_a(n, a, aht, STABILITY_PATIENCE_S, t)
            a_rows.append(
                {
                    "a": a,
                    "n": n,
                    "wait": float(wait),
                    "wait_rel_err": _relative(float(ours.wait_probability), wait),
                    "abandon": float(abandon),
                    "abandon_rel_err": _relative(float(ours.abandon_probability), abandon),
                    "service_level": float(sl),
                    "service_level_rel_err": _relative(float(ours.service_level), sl),
                }
            )
        requirements = []
        for service_level, within in TARGETS:
            for occupancy in (1.0, 0.85):
                for patience in (None, STABILITY_PATIENCE_S):
                    # One-element arrays: the committed required_agents indexed 0-d (scalar) input and failed.
                    need = required_agents(
                        np.array([5000.0]), aht, service_level, within, occupancy, patience_s=patience
                    )
                    agents, n_int, level = float(need.agents[0]), int(need.agents_int[0]), float(need.service_level[0])
                    row: dict[str, Any] = {
                        "target": f"{service_level:.0%}/{within:.0f}s",
                        "max_occupancy": occupancy,
                        "patience_s": patience,
                        "agents": agents,
                        "agents_int": n_int,
                        "service_level": level,
                        "finite": bool(np.isfinite(agents) and np.isfinite(level)),
                    }
                    if patience is None:
                        # mpmath: n_int meets the target, and n_int - 1 misses it or breaks the occupancy bound.
                        meets = _mp_erlang(n_int, 5000.0, aht, within)[2] >= service_level
                        below_misses = _mp_erlang(n_int - 1, 5000.0, aht, within)[2] < service_level
                        bound = math.ceil(5000.0 / occupancy - 1e-9)
                        row["mpmath_minimal"] = bool(meets and (below_misses or n_int == bound))
                    requirements.append(row)
        sweep_load = np.linspace(1000.0, 20000.0, 1000)
        rng = np.random.default_rng(1)
        sweep_aht = rng.uniform(180.0, 900.0, len(sweep_load))
        sweep_target = rng.integers(0, len(TARGETS), len(sweep_load))
        sweep_sl = np.array([TARGETS[k][0] for k in sweep_target])
        sweep_t = np.array([TARGETS[k][1] for k in sweep_target])
        sweep_occ = rng.uniform(0.85, 1.0, len(sweep_load))
        sweep = {}
        for label, patience_s in (("erlang_c", None), ("erlang_a", rng.uniform(60.0, 300.0, len(sweep_load)))):
            need = required_agents(sweep_load, sweep_aht, sweep_sl, sweep_t, sweep_occ, patience_s=patience_s)
            sweep[label] = {
                "cells": len(sweep_load),
                "finite": int(np.sum(np.isfinite(need.agents) & np.isfinite(need.service_level))),
                "meets_target": int(np.sum(need.service_level >= sweep_sl)),
                "min_agents_over_load": float(np.min(need.agents_int / sweep_load)),
                "max_agents_over_load": float(np.max(need.agents_int / sweep_load)),
            }
    return {
        "digits": MP_DIGITS,
        "rows": rows,
        "max_rel_err": {
            key: max(r[key] for r in rows) for key in ("erlang_b_rel_err", "erlang_c_rel_err", "service_level_rel_err")
        },
        "reference_recurrence_vs_sum": recurrence_gap,
        "erlang_a_rows": a_rows,
        "erlang_a_max_rel_err": {
            key: max(r[key] for r in a_rows) for key in ("wait_rel_err", "abandon_rel_err", "service_level_rel_err")
        },
        "required_agents_5000": requirements,
        "sweep_1000_20000": sweep,
        "warnings": "none (run under warnings.simplefilter('error'))",
    }


def format_stability(result: dict[str, Any]) -> str:
    header = (
        f"{'a':>6} {'n':>6} {'Erlang B':>11} {'rel err':>8} {'Erlang C':>11} {'rel err':>8} "
        f"{'SL 20s':>13} {'rel err':>8} {'1 - SL':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in result["rows"]:
        lines.append(
            f"{r['a']:>6,.0f} {r['n']:>6,} {r['erlang_b']:>11.4e} {r['erlang_b_rel_err']:>8.1e} "
            f"{r['erlang_c']:>11.4e} {r['erlang_c_rel_err']:>8.1e} {r['service_level']:>13.10f} "
            f"{r['service_level_rel_err']:>8.1e} {r['tail']:>9.2e}"
        )
    m = result["max_rel_err"]
    lines.append(
        textwrap.fill(
            f"mpmath at {result['digits']} digits, Erlang B by the exact sum (the recurrence agrees to "
            f"{result['reference_recurrence_vs_sum']:.0e}); AHT {STABILITY_AHT_S:.0f} s, T {STABILITY_T_S:.0f} s. "
            f"Max relative error: Erlang B {m['erlang_b_rel_err']:.1e}, Erlang C {m['erlang_c_rel_err']:.1e}, "
            f"service level {m['service_level_rel_err']:.1e}.",
            width=120,
        )
    )
    header = (
        f"{'a':>6} {'n':>6} {'P(wait)':>10} {'rel err':>8} {'P(abandon)':>10} {'rel err':>8} {'SL 20s':>10} "
        f"{'rel err':>8}"
    )
    lines += ["", header, "-" * len(header)]
    for r in result["erlang_a_rows"]:
        lines.append(
            f"{r['a']:>6,.0f} {r['n']:>6,} {r['wait']:>10.6f} {r['wait_rel_err']:>8.1e} {r['abandon']:>10.3e} "
            f"{r['abandon_rel_err']:>8.1e} {r['service_level']:>10.6f} {r['service_level_rel_err']:>8.1e}"
        )
    m = result["erlang_a_max_rel_err"]
    lines.append(
        textwrap.fill(
            f"Erlang A (patience {STABILITY_PATIENCE_S:.0f} s) against the same closed form in mpmath: a check of the "
            f"floating-point evaluation, not of the formula. Max relative error: P(wait) {m['wait_rel_err']:.1e}, "
            f"P(abandon) {m['abandon_rel_err']:.1e}, service level {m['service_level_rel_err']:.1e}.",
            width=120,
        )
    )
    header = (
        f"{'target':>8} {'max occ':>7} {'patience':>8} {'agents':>10} {'agents_int':>10} {'SL':>8} {'finite':>6} "
        f"{'mpmath minimal':>14}"
    )
    lines += ["", "required_agents at a = 5,000 erlangs, AHT 300 s, warnings as errors:", header, "-" * len(header)]
    for r in result["required_agents_5000"]:
        patience = "-" if r["patience_s"] is None else f"{r['patience_s']:.0f} s"
        minimal = "-" if "mpmath_minimal" not in r else ("yes" if r["mpmath_minimal"] else "NO")
        lines.append(
            f"{r['target']:>8} {r['max_occupancy']:>7.2f} {patience:>8} {r['agents']:>10.2f} {r['agents_int']:>10,} "
            f"{r['service_level']:>8.5f} {'yes' if r['finite'] else 'NO':>6} {minimal:>14}"
        )
    for label, s in result["sweep_1000_20000"].items():
        lines.append(
            f"sweep {label}: {s['cells']:,} loads 1,000..20,000 erlangs: {s['finite']:,} finite, "
            f"{s['meets_target']:,} meet the target, agents_int / a in {s['min_agents_over_load']:.4f}.."
            f"{s['max_agents_over_load']:.4f}; warnings: none"
        )
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.staffing", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed runs (default 7)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the cells (default 0)")
    parser.add_argument(
        "--pyworkforce-cells", type=int, default=None, help="compare pyworkforce on the first N cells (default all)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    parser.add_argument(
        "--default-allocator",
        action="store_true",
        help="leave glibc's allocator as it is (by default the process keeps freed memory, as `wfm` does)",
    )
    args = parser.parse_args(argv)
    allocator = "default" if args.default_allocator or not keep_freed_memory() else "keeps freed memory (as wfm)"
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.pyworkforce_cells is not None and args.pyworkforce_cells < 1:
        parser.error("--pyworkforce-cells must be at least 1")

    cells = week_cells(args.seed)
    report: dict[str, Any] = {
        "benchmark": "staffing",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "seed": args.seed,
        "cells": len(cells),
        "allocator": allocator,
        "source": _source_state(),
        "machine": machine_info(
            scipy=_version("scipy"), pyworkforce=_version("pyworkforce"), mpmath=_version("mpmath")
        ),
    }
    outputs = []
    if "speed" in args.parts:
        report["speed"] = bench_speed(cells, args.repeat)
        outputs.append(format_speed(report["speed"], args.repeat))
    if "pyworkforce" in args.parts:
        report["pyworkforce"] = bench_pyworkforce(cells, args.repeat, args.pyworkforce_cells)
        if report["pyworkforce"] is not None:
            outputs.append(format_pyworkforce(report["pyworkforce"], args.repeat))
    if "stability" in args.parts:
        report["stability"] = bench_stability()
        if report["stability"] is not None:
            outputs.append(format_stability(report["stability"]))
    print()
    print(f"allocator: {allocator}\n")
    print("\n\n".join(outputs))
    write_report(args.out, report)
    print(f"written {args.out}")
    return 0


def _source_state() -> dict[str, Any]:
    """The commit measured and whether planner/staffing had uncommitted edits (read-only git calls)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=ROOT)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "planner/staffing"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "staffing_uncommitted": None}
    return {"commit": head.stdout.strip(), "staffing_uncommitted": dirty.stdout.split("\n")[:-1]}


def _version(module: str) -> str | None:
    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
