"""What the service benchmarks share (`benchmarks.service`, `benchmarks.service_load`): a store, a real `wfm serve`
subprocess on a free port of 127.0.0.1 stopped by its process id, a planner's token, latency figures, and the CPU
time and processes of the server and its job workers (read from Linux's /proc)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ROOT",
    "Server",
    "cpu_seconds",
    "children",
    "free_port",
    "latency_figures",
    "nice_levels",
    "planner_token",
    "serve",
    "store_url",
    "wfm_command",
]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' helpers: the server and the PostgreSQL cluster are started as they are
from tests.service_helpers import free_port, start_server, stop_server  # noqa: E402

#: Seconds the server gets to answer its health check after it starts.
START_S = 60.0
#: Seconds it gets to stop after SIGINT (its job workers get 15 s of these) before it is killed.
STOP_S = 30.0


@dataclass(frozen=True)
class Server:
    """A running `wfm serve`: its address and its process id."""

    address: str
    pid: int


def wfm_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m wfm ARGS` with this checkout on the path; raises where it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "wfm", *args], capture_output=True, text=True, env=env, check=True)


def planner_token(url: str, name: str = "load") -> str:
    """A new planner of the store at `url` (`wfm users add`): its token, the last line of the output."""
    return wfm_command("users", "add", name, "--role", "planner", "--db", url).stdout.strip().splitlines()[-1]


def store_url(args: argparse.Namespace, stack: ExitStack, folder: Path) -> str:
    """The store of a run: `args.db`, else a PostgreSQL server of its own with `args.postgres` (as the tests start
    one, `tests/postgres_helpers.py`; stopped with `stack`), else a SQLite file in `folder`."""
    if args.postgres:
        from tests.postgres_helpers import SKIP_REASON, new_database, postgres_bin, postgres_server

        binaries = postgres_bin()
        if binaries is None:
            raise SystemExit(SKIP_REASON)
        return str(new_database(stack.enter_context(postgres_server(binaries))))
    return str(args.db or f"sqlite:///{folder / 'wfm.db'}")


@contextmanager
def serve(url: str, folder: Path, *, workers: int = 1) -> Iterator[Server]:
    """`wfm serve` on `url`, a free port of 127.0.0.1, `workers` job processes (its output in `folder/serve.log`);
    stopped by its process id (SIGINT, as Ctrl-C; killed if it has not stopped within `STOP_S`)."""
    port = free_port()
    server = start_server(["--db", url, "--workers", str(workers)], port, folder / "serve.log", wait_s=START_S)
    try:
        yield Server(f"http://127.0.0.1:{port}", server.pid)
    finally:
        stop_server(server, STOP_S)


def latency_figures(rows: list[dict[str, Any]], seconds: float, routes: Iterable[str]) -> dict[str, Any]:
    """Requests, requests per second, errors (any status but 200; 0 stands for an exception) and the p50, p95 and
    largest latency of `rows` (each {"route", "status", "latency_s"}), overall and per route."""

    def stats(latencies: list[float]) -> dict[str, float]:
        values = np.array(latencies) * 1000
        return {
            "p50_ms": round(float(np.median(values)), 1),
            "p95_ms": round(float(np.quantile(values, 0.95)), 1),
            "max_ms": round(float(values.max()), 1),
        }

    out: dict[str, Any] = {
        "requests": len(rows),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(rows) / seconds, 1),
        "errors": sum(1 for r in rows if r["status"] != 200),
        **(stats([r["latency_s"] for r in rows]) if rows else {}),
        "routes": {},
    }
    for name in routes:
        mine = [r for r in rows if r["route"] == name]
        if mine:
            errors = sum(1 for r in mine if r["status"] != 200)
            out["routes"][name] = {"requests": len(mine), "errors": errors, **stats([r["latency_s"] for r in mine])}
    return out


# -- processes (Linux /proc) ---------------------------------------------------------------------------------------


def _stat(pid: int, task: int | None = None) -> list[str] | None:
    """The fields of /proc/PID/stat (or of one thread's) after the command's name, or None for a gone process."""
    path = f"/proc/{pid}/stat" if task is None else f"/proc/{pid}/task/{task}/stat"
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the server's job workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None and int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds `pid` has used so far (0 for a gone process)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nice_levels(pid: int) -> list[int]:
    """The nice level of each thread of `pid` (CP-SAT's search threads among them), sorted; empty when gone."""
    try:
        tasks = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return []
    return sorted(int(fields[16]) for t in tasks if (fields := _stat(pid, t)) is not None)
