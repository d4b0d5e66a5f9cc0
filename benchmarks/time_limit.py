"""Benchmark of run control: the wall time of the whole `wfm roster` command against its `--time-limit`, and how
fast Ctrl-C stops it.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.time_limit --work /tmp/rs                  # M and L; 5, 20, 60 s; both modes
    .venv/bin/python -m benchmarks.time_limit --sizes M --limits 5 --modes wall --work /tmp/rs   # a quick check

Part ``limit``: for each demo size (the centre and its plan-week requirement of `benchmarks.roster_scale`, cached
under ``--work DIR/SIZE``), each limit and each mode (``wall``: the default, the limit is wall seconds for the
whole command; ``deterministic``: ``--deterministic``, the limit is CP-SAT's deterministic seconds), the real
command runs in a fresh process (``python -m wfm roster ... --workers W --out TMP``) and is timed from its start to
its exit: imports, reading, the solve (warm start, search, break placement), the validator and every output file.
Reported: wall seconds, wall / limit, the solve's own seconds (``solve_time_s`` of ``summary.json``), status and
gap. The wall-mode target is wall <= limit + 10% (at least 1 s) once the limit leaves room for the fixed work
(imports, reading, the first roster, writing: a few seconds on two cores).

Part ``interrupt``: the command runs with a 120-s limit; once it prints its first roster it gets SIGINT, and the
seconds from the signal to its exit (stop, break placement skipped, validator, writing) are reported with its exit
code (130 expected) and whether the roster it wrote passes ``wfm check-roster``.

Results are printed as tables and written as JSON to ``benchmarks/results/time_limit.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, machine_info, write_report
from benchmarks.roster_scale import demo_inputs
from wfm.exit_codes import ExitCode

RESULTS = Path(__file__).resolve().parent / "results" / "time_limit.json"
SIZES = ("S", "M", "L", "XL")
MODES = ("wall", "deterministic")
PARTS = ("limit", "interrupt")
DEFAULT_LIMITS_S = (5.0, 20.0, 60.0)
DEFAULT_WORKERS = os.cpu_count() or 1
#: Wall-mode target: the command ends within the limit plus this share of it (and at least `MIN_SLACK_S`).
SLACK_SHARE, MIN_SLACK_S = 0.10, 1.0
INTERRUPT_LIMIT_S = 120.0
PROGRESS_LINE = re.compile(r"^\s+[\d.]+ s\s+objective")


def _command(folder: Path, limit_s: float, deterministic: bool, workers: int, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "wfm", "roster", "--requirement", str(folder / "requirement.csv"),
        "--center", str(folder / "center.yaml"), "--time-limit", f"{limit_s:g}", "--workers", str(workers),
        "--out", str(out), *(["--deterministic"] if deterministic else []),
    ]  # fmt: skip


def _summary(out: Path) -> dict[str, Any]:
    path = out / "summary.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def run_limit(folder: Path, limit_s: float, mode: str, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="time-limit-") as temporary:
        out = Path(temporary) / "out"
        began = time.perf_counter()
        done = subprocess.run(
            _command(folder, limit_s, mode == "deterministic", workers, out),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - began
        summary = _summary(out)
    row: dict[str, Any] = {
        "limit_s": limit_s,
        "mode": mode,
        "exit_code": done.returncode,
        "wall_s": wall,
        "wall_over_limit": wall / limit_s,
        "solve_s": summary.get("solve_time_s"),
        "first_phase_s": summary.get("kpis", {}).get("first_phase_s"),
        "status": summary.get("status"),
        "gap": summary.get("gap"),
        "load_average_1m": os.getloadavg()[0],
    }
    if mode == "wall":
        row["target_met"] = wall <= limit_s + max(MIN_SLACK_S, SLACK_SHARE * limit_s)
    if done.returncode != ExitCode.OK:
        row["stderr"] = done.stderr[-2000:]
    return row


def run_interrupt(folder: Path, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="time-limit-") as temporary:
        out = Path(temporary) / "out"
        began = time.perf_counter()
        process = subprocess.Popen(
            _command(folder, INTERRUPT_LIMIT_S, False, workers, out),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr is not None
            first = None
            for line in process.stderr:
                if PROGRESS_LINE.match(line):
                    first = time.perf_counter() - began
                    break
            process.send_signal(signal.SIGINT)
            signalled = time.perf_counter()
            rest = process.stderr.read()
            code = process.wait(timeout=INTERRUPT_LIMIT_S)
            stop_s = time.perf_counter() - signalled
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
        check = subprocess.run(
            [
                sys.executable,
                "-m",
                "wfm",
                "check-roster",
                "--roster",
                str(out / "roster.csv"),
                "--center",
                str(folder / "center.yaml"),
                "--requirement",
                str(folder / "requirement.csv"),
            ],  # fmt: skip
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        summary = _summary(out)
    return {
        "first_roster_s": first,
        "stop_s": stop_s,
        "exit_code": code,
        "interrupted": summary.get("interrupted"),
        "roster_valid": check.returncode == ExitCode.OK,
        "said": "interrupted: best roster so far" in rest,
    }


def _cell(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_limits(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'size':4}  {'mode':13}  {'limit s':>7}  {'wall s':>7}  {'wall/limit':>10}  {'solve s':>7}  "
        f"{'status':9}  {'gap':>7}  {'load':>5}  target"
    ]
    for r in rows:
        target = {True: "MET", False: "MISSED"}.get(r.get("target_met"), "-")
        lines.append(
            f"{r['size']:4}  {r['mode']:13}  {r['limit_s']:7g}  {r['wall_s']:7.1f}  {r['wall_over_limit']:10.2f}  "
            f"{_cell(r['solve_s'], '7.1f')}  {r['status'] or 'exit ' + str(r['exit_code']):9}  "
            f"{_cell(r['gap'], '7.2%')}  {r['load_average_1m']:5.1f}  {target}"
        )
    return "\n".join(lines)


def format_interrupts(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'size':4}  {'first roster s':>14}  {'Ctrl-C to exit s':>16}  exit  interrupted  valid  said"]
    for r in rows:
        lines.append(
            f"{r['size']:4}  {_cell(r['first_roster_s'], '14.1f')}  {r['stop_s']:16.1f}  {r['exit_code']:4}  "
            f"{r['interrupted']!s:11}  {r['roster_valid']!s:5}  {r['said']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.time_limit", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--sizes", nargs="+", choices=SIZES, default=["M", "L"])
    parser.add_argument("--limits", nargs="+", type=float, default=list(DEFAULT_LIMITS_S), help="seconds")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help=f"default the cores: {DEFAULT_WORKERS}")
    parser.add_argument("--work", type=Path, default=None, help="folder caching the demo inputs (default a temp one)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    args = parser.parse_args(argv)
    if any(limit <= 0 for limit in args.limits):
        parser.error("--limits must be positive")
    with tempfile.TemporaryDirectory(prefix="time-limit-work-") as temporary:
        work = args.work if args.work is not None else Path(temporary)
        report: dict[str, Any] = {
            "benchmark": "time_limit",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "date": date.today().isoformat(),
            "command": " ".join(["python -m benchmarks.time_limit", *(argv if argv is not None else sys.argv[1:])]),
            "workers": args.workers,
            "machine": machine_info(),
            "limits": [],
            "interrupts": [],
        }
        for size in args.sizes:
            demo_inputs(size, work)
            folder = work / size
            if "limit" in args.parts:
                for mode in args.modes:
                    for limit in args.limits:
                        row = {"size": size} | run_limit(folder, limit, mode, args.workers)
                        report["limits"].append(row)
                        print(format_limits([row]).splitlines()[-1], flush=True)
            if "interrupt" in args.parts:
                report["interrupts"].append({"size": size} | run_interrupt(folder, args.workers))
        write_report(args.out, report)
    if report["limits"]:
        print("\nWhole `wfm roster` command against --time-limit:\n" + format_limits(report["limits"]))
    if report["interrupts"]:
        print(f"\nCtrl-C once the first roster is printed (limit {INTERRUPT_LIMIT_S:g} s):")
        print(format_interrupts(report["interrupts"]))
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
