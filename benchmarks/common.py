"""What every benchmark shares: the machine it ran on, peak memory, and running one case in a fresh process."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIB", "machine_info", "max_rss_mib", "run_child", "write_report"]

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent


def machine_info(**extra: Any) -> dict[str, Any]:
    """Platform, CPU count, load and library versions, plus `extra` (e.g. more versions)."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        **extra,
    }


def write_report(path: Path, report: Any, default: Any = str) -> None:
    """Write a benchmark's JSON report (creating its folder); `default` turns what JSON cannot hold into text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=default) + "\n", encoding="utf-8")


def max_rss_mib() -> float:
    """The process's peak resident set size so far (a high-water mark: it never goes down)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / MIB if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def run_child(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh interpreter (so its memory figures are its own) and return the
    JSON object it prints."""
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
