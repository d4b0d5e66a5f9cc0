"""Benchmark of the synthetic generator: time, peak memory and output size of `generate` and `write_scenario`.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.generate                 # all sizes, 3 timed repeats each
    .venv/bin/python -m benchmarks.generate --sizes S M --repeat 5

Sizes S and M are generated with per-ticket history, L and XL with 15-minute interval counts (per-ticket rows
for XL would be tens of millions), all with the default 26 weeks of history and seed 0. For each size the
real `scenarios.generator.generate` and `write_scenario` are timed (wall clock, `time.perf_counter`, the
fastest and the median of the repeats), then run once more under `tracemalloc` for their peak traced memory
(numpy and pandas report their buffers to tracemalloc; timings are not taken in that run because tracing slows
allocation). The process's peak resident set size (`resource.getrusage`) is recorded too: it only ever grows,
so read it as a high-water mark after each size. Results are printed as a table and written as JSON to
``benchmarks/results/generate.json`` (the folder is git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from benchmarks.common import MIB, machine_info, max_rss_mib, run_child, write_report
from models import load_center, read_history
from scenarios.catalogue import SIZES
from scenarios.generator import GeneratorSettings, generate, write_scenario

DEFAULT_SIZES = ("S", "M", "L", "XL")
DEFAULT_REPEAT = 3
RESULTS = Path(__file__).resolve().parent / "results" / "generate.json"
SHAPE: dict[str, Literal["tickets", "intervals"]] = {
    "S": "tickets",
    "M": "tickets",
    "L": "intervals",
    "XL": "intervals",
}
T = TypeVar("T")


@dataclass(frozen=True)
class SizeResult:
    size: str
    history_shape: str
    history_weeks: int
    agents: int
    work_types: int
    rows: int
    generate_s: list[float]
    write_s: list[float]
    read_s: list[float]
    generate_traced_peak_mib: float
    write_traced_peak_mib: float
    baseline_rss_mib: float
    generate_peak_rss_mib: float
    write_peak_rss_mib: float
    center_yaml_bytes: int
    history_csv_bytes: int

    @property
    def generate_s_median(self) -> float:
        return statistics.median(self.generate_s)

    @property
    def write_s_median(self) -> float:
        return statistics.median(self.write_s)

    @property
    def read_s_median(self) -> float:
        return statistics.median(self.read_s)


def _seconds(action: Callable[[], T]) -> tuple[float, T]:
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _traced_peak_mib(action: Callable[[], object]) -> float:
    """Peak memory traced by tracemalloc during one call of `action`."""
    gc.collect()
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MIB


def bench_size(size: str, repeat: int) -> SizeResult:
    """Measure one size in this process; meant to run in a fresh interpreter (see `main`), so that the peak
    resident set size belongs to this size alone."""
    settings = GeneratorSettings(size=size, seed=0, history_shape=SHAPE[size])
    baseline_rss = max_rss_mib()
    first, scenario = _seconds(lambda: generate(settings))
    generate_rss = max_rss_mib()
    with tempfile.TemporaryDirectory(prefix=f"bench-generate-{size}-") as tmp:
        out = Path(tmp)
        written, files = _seconds(lambda: write_scenario(scenario, out))
        write_rss = max_rss_mib()
        center_path, history_path = files
        center_bytes, history_bytes = center_path.stat().st_size, history_path.stat().st_size
        generate_s, write_s = [first], [written]
        for _ in range(repeat - 1):
            generate_s.append(_seconds(lambda: generate(settings))[0])
            write_s.append(_seconds(lambda: write_scenario(scenario, out))[0])
        # Reading back: what `wfm validate` does with the two files (centre YAML, history checked against it).
        read_s = [
            _seconds(lambda: read_history(history_path, center=load_center(center_path)))[0] for _ in range(repeat)
        ]
        generate_peak = _traced_peak_mib(lambda: generate(settings))
        write_peak = _traced_peak_mib(lambda: write_scenario(scenario, out / "traced"))
    return SizeResult(
        size=size,
        history_shape=settings.history_shape,
        history_weeks=settings.history_weeks,
        agents=len(scenario.center.agents),
        work_types=len(scenario.center.work_types),
        rows=len(scenario.history),
        generate_s=generate_s,
        write_s=write_s,
        read_s=read_s,
        generate_traced_peak_mib=generate_peak,
        write_traced_peak_mib=write_peak,
        baseline_rss_mib=baseline_rss,
        generate_peak_rss_mib=generate_rss,
        write_peak_rss_mib=write_rss,
        center_yaml_bytes=center_bytes,
        history_csv_bytes=history_bytes,
    )


def _in_fresh_process(size: str, repeat: int) -> SizeResult:
    return SizeResult(**run_child("benchmarks.generate", "--child", size, "--repeat", str(repeat)))


def format_table(results: list[SizeResult]) -> str:
    header = (
        f"{'size':<4} {'shape':<9} {'agents':>6} {'types':>5} {'rows':>9} {'gen s':>6} {'write s':>7} {'read s':>6} "
        f"{'gen RSS MiB':>11} {'write RSS MiB':>13} {'gen traced':>10} {'write traced':>12} "
        f"{'yaml KiB':>8} {'csv MiB':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.size:<4} {r.history_shape:<9} {r.agents:>6} {r.work_types:>5} {r.rows:>9,} "
            f"{r.generate_s_median:>6.3f} {r.write_s_median:>7.3f} {r.read_s_median:>6.3f} "
            f"{r.generate_peak_rss_mib - r.baseline_rss_mib:>11.0f} {r.write_peak_rss_mib - r.baseline_rss_mib:>13.0f} "
            f"{r.generate_traced_peak_mib:>10.1f} {r.write_traced_peak_mib:>12.1f} "
            f"{r.center_yaml_bytes / 1024:>8.1f} {r.history_csv_bytes / MIB:>7.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(DEFAULT_SIZES))
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed runs per size (default 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    parser.add_argument("--child", choices=list(SIZES), help=argparse.SUPPRESS)  # one size, JSON on stdout
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.child:
        print(json.dumps(asdict(bench_size(args.child, args.repeat))))
        return 0

    results = []
    for size in args.sizes:
        print(f"size {size} ...", file=sys.stderr, flush=True)
        results.append(_in_fresh_process(size, args.repeat))
    print(format_table(results))
    print(
        f"gen s / write s / read s (load_center + read_history of the files): median of {args.repeat} runs. "
        "RSS: rise of the peak resident set size over the "
        "interpreter's after imports (one fresh process per size; write includes the scenario it writes). "
        "traced: tracemalloc peak in MiB (numpy buffers, Python objects; not Arrow-backed strings)."
    )
    report = {
        "benchmark": "generate",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "machine": machine_info(),
        "results": [
            {**asdict(r), "generate_s_median": r.generate_s_median, "write_s_median": r.write_s_median} for r in results
        ],
    }
    write_report(args.out, report)
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
