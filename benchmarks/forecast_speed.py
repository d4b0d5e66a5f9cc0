"""Benchmark of forecasting speed: fit (with per-series model selection) and forecast one week for 20 work types
with two years of history.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.forecast_speed                      # 60- and 15-minute output, 3 runs each
    .venv/bin/python -m benchmarks.forecast_speed --intervals 60 --repeat 3

History: the project's generator (`scenarios.generator.generate`, size XL, 15-minute interval counts, 104 weeks,
seed 0) gives 13 work types; 7 more come from a second XL centre (seed 1), their ids suffixed with ``_b``. The
20 series are written to a Parquet file in a temporary folder, and each output resolution is measured in a fresh
interpreter that reads it back with `models.read_history` (not timed), then times

- ``aggregate``: `forecasting.aggregate` of the history to hourly counts in the centre's zone, and
- ``forecast``: `forecasting.forecast_centre(hourly, calendar, start, days=7, ForecastSettings(interval_minutes=N),
  default_aht_s)`: per series (20 types and the total) the rolling-origin selection among the 5 default
  candidates (3 folds), the refit of the winner, the one-week forecast, reconciliation, calibrated quantiles,
  the split into N-minute intervals and the AHT profile,

with `start` the Monday after the history (the generator's plan start) and the calendar the first centre's
(public holidays and listed special days). Memory: the peak resident set size while aggregating and forecasting
and its rise over the resident size before; on Linux the kernel's high-water mark (VmHWM) is reset after the
history is read (``/proc/self/clear_refs``), so the peak is the forecast's own; elsewhere it is the process's
high-water mark so far (`resource.getrusage`), which includes the read. Target: aggregate + forecast <= 60 s.
Results are printed and written as JSON to ``benchmarks/results/forecast_speed.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

import forecasting
from benchmarks.common import machine_info, max_rss_mib, run_child, write_report
from models import dump_center, load_center, read_history
from scenarios.generator import GeneratorSettings, generate

RESULTS = Path(__file__).resolve().parent / "results" / "forecast_speed.json"
SIZE = "XL"
HISTORY_WEEKS = 104
SEEDS = (0, 1)
EXTRA_TYPES = 7  # taken from the second centre: 13 + 7 = 20 work types
EXTRA_SUFFIX = "_b"
FORECAST_DAYS = 7
DEFAULT_INTERVALS = (60, 15)
DEFAULT_REPEAT = 3
TARGET_S = 60.0


@dataclass(frozen=True)
class SpeedResult:
    interval_minutes: int
    work_types: int
    history_rows: int
    history_hours: int
    history_start: str
    forecast_start: str
    aggregate_s: list[float]
    forecast_s: list[float]
    read_peak_rss_mib: float
    baseline_rss_mib: float
    peak_rss_mib: float
    peak_is_forecasts_own: bool
    forecast_rows: int
    selected: dict[str, str]

    @property
    def total_s(self) -> list[float]:
        return [a + f for a, f in zip(self.aggregate_s, self.forecast_s, strict=True)]

    @property
    def total_s_median(self) -> float:
        return statistics.median(self.total_s)


def _proc_status_mib(field: str) -> float | None:
    """A memory figure of /proc/self/status (Linux) in MiB, None where there is none."""
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident-set high-water mark (VmHWM) to the current size; False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _proc_status_mib("VmHWM") is not None


def _rss_now_mib() -> float:
    now = _proc_status_mib("VmRSS")
    return now if now is not None else max_rss_mib()


def _peak_mib(own: bool) -> float:
    peak = _proc_status_mib("VmHWM") if own else None
    return peak if peak is not None else max_rss_mib()


def build_history(folder: Path) -> dict[str, str]:
    """Generate the 20-series history and write it (Parquet), the first centre (YAML) and the run's inputs."""
    first, second = (
        generate(GeneratorSettings(size=SIZE, seed=seed, history_shape="intervals", history_weeks=HISTORY_WEEKS))
        for seed in SEEDS
    )
    extra_ids = [w.id for w in second.center.work_types][:EXTRA_TYPES]
    extra = second.history[second.history["work_type"].isin(extra_ids)].assign(
        work_type=lambda f: f["work_type"] + EXTRA_SUFFIX
    )
    history = pd.concat([first.history, extra], ignore_index=True)
    history = history.sort_values(["interval_start", "work_type"], kind="stable").reset_index(drop=True)
    aht = {w.id: w.aht_s for w in first.center.work_types} | {
        w.id + EXTRA_SUFFIX: w.aht_s for w in second.center.work_types if w.id in extra_ids
    }
    paths = {
        "history": str(folder / "history.parquet"),
        "center": str(folder / "center.yaml"),
        "inputs": str(folder / "inputs.json"),
    }
    history.to_parquet(paths["history"], index=False)
    Path(paths["center"]).write_text(dump_center(first.center), encoding="utf-8")
    inputs = {"start": first.settings.plan_start.isoformat(), "default_aht_s": aht}
    Path(paths["inputs"]).write_text(json.dumps(inputs), encoding="utf-8")
    return paths


def bench_interval(folder: Path, interval_minutes: int, repeat: int) -> SpeedResult:
    """Measure one output resolution in this process (meant to run in a fresh interpreter, see `main`)."""
    center = load_center(folder / "center.yaml")
    inputs = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    start = date.fromisoformat(inputs["start"])
    history = read_history(folder / "history.parquet", timezone=center.timezone)
    calendar = forecasting.SpecialCalendar.of_center(center)
    settings = forecasting.ForecastSettings(interval_minutes=interval_minutes)
    gc.collect()
    read_peak = _peak_mib(own=True)  # VmHWM of this fresh process (ru_maxrss may carry the parent's size)
    own = _reset_peak_rss()
    baseline = _rss_now_mib()
    aggregate_s, forecast_s = [], []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        hourly = forecasting.aggregate(history, center.timezone)
        aggregated = time.perf_counter()
        result = forecasting.forecast_centre(
            hourly, calendar, start, FORECAST_DAYS, settings, default_aht_s=inputs["default_aht_s"]
        )
        done = time.perf_counter()
        aggregate_s.append(aggregated - started)
        forecast_s.append(done - aggregated)
    return SpeedResult(
        interval_minutes=interval_minutes,
        work_types=len(hourly.work_types),
        history_rows=len(history.frame),
        history_hours=len(hourly.counts),
        history_start=str(hourly.counts.index[0]),
        forecast_start=start.isoformat(),
        aggregate_s=aggregate_s,
        forecast_s=forecast_s,
        read_peak_rss_mib=read_peak,
        baseline_rss_mib=baseline,
        peak_rss_mib=_peak_mib(own),
        peak_is_forecasts_own=own,
        forecast_rows=len(result.table),
        selected=result.selected,
    )


def _in_fresh_process(folder: Path, interval_minutes: int, repeat: int) -> SpeedResult:
    args = ("--child", str(folder), "--intervals", str(interval_minutes), "--repeat", str(repeat))
    return SpeedResult(**run_child("benchmarks.forecast_speed", *args))


def format_table(results: list[SpeedResult]) -> str:
    header = (
        f"{'output':<7} {'types':>5} {'history rows':>12} {'hours':>6} {'aggregate s':>11} {'forecast s':>10} "
        f"{'total s':>8} {'peak RSS MiB':>12} {'RSS rise MiB':>12} {'target':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        total = r.total_s_median
        lines.append(
            f"{r.interval_minutes:>4} min {r.work_types:>5} {r.history_rows:>12,} {r.history_hours:>6,} "
            f"{statistics.median(r.aggregate_s):>11.2f} {statistics.median(r.forecast_s):>10.2f} {total:>8.2f} "
            f"{r.peak_rss_mib:>12.0f} {r.peak_rss_mib - r.baseline_rss_mib:>12.0f} "
            f"{'MET' if total <= TARGET_S else 'MISSED':>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.forecast_speed", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--intervals", type=int, nargs="+", choices=(5, 10, 15, 20, 30, 60), default=list(DEFAULT_INTERVALS)
    )
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed runs per resolution (default 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # one resolution, JSON on stdout
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.child:
        print(json.dumps(asdict(bench_interval(args.child, args.intervals[0], args.repeat))))
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-forecast-speed-") as tmp:
        print(f"generating {len(SEEDS)} x {SIZE}, {HISTORY_WEEKS} weeks ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        build_history(Path(tmp))
        generate_s = time.perf_counter() - started
        for interval in args.intervals:
            print(f"{interval}-minute output ...", file=sys.stderr, flush=True)
            results.append(_in_fresh_process(Path(tmp), interval, args.repeat))
    print(format_table(results))
    for r in results:
        counts = Counter(r.selected.values())
        print(f"{r.interval_minutes} min, selected models: " + ", ".join(f"{m} x{n}" for m, n in counts.most_common()))
    footer = (
        f"{FORECAST_DAYS}-day forecast from {results[0].forecast_start} (the Monday after the history). aggregate s: "
        f"forecasting.aggregate; forecast s: forecasting.forecast_centre (selection, fit, forecast, reconciliation, "
        f"quantiles, intervals, AHT); total = both, median of {args.repeat} run(s), target <= {TARGET_S:.0f} s. "
        "peak RSS: the resident set's high-water mark during aggregate + forecast (reset after reading the history; "
        "one fresh process per resolution); rise: over the resident size before. "
        f"Reading the history back (read_history, not timed) peaked at {results[0].read_peak_rss_mib:.0f} MiB; "
        f"building it (2 generate calls, Parquet write): {generate_s:.1f} s."
    )
    print(textwrap.fill(footer, width=120))
    if not all(r.peak_is_forecasts_own for r in results):
        print("note: this system cannot reset the peak RSS, so peak RSS includes reading the history back.")
    report = {
        "benchmark": "forecast_speed",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "target_s": TARGET_S,
        "history": {
            "generator": f"size {SIZE}, seeds {list(SEEDS)}, history_shape='intervals', history_weeks={HISTORY_WEEKS}",
            "work_types": f"13 of seed {SEEDS[0]} + the first {EXTRA_TYPES} of seed {SEEDS[1]} (suffix {EXTRA_SUFFIX})",
            "build_s": generate_s,
        },
        "machine": machine_info(),
        "results": [
            {**asdict(r), "total_s": r.total_s, "total_s_median": r.total_s_median, "met": r.total_s_median <= TARGET_S}
            for r in results
        ],
    }
    write_report(args.out, report)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
