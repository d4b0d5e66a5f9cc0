"""The planning service's load target (issue 17): 50 clients polling job status and reading rosters while 4 plan
jobs run, on a real `wfm serve` on 127.0.0.1. Target: no errors, p95 latency of the reads under 100 ms.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.service                       # SQLite, 50 clients, 4 plan jobs, 60 s (~3 min)
    .venv/bin/python -m benchmarks.service --seconds 30 --clients 20
    .venv/bin/python -m benchmarks.service --postgres            # a PostgreSQL server of its own
    .venv/bin/python -m benchmarks.service --size M              # the demo M centre (100 agents)

What it does, all on this machine: makes a store (a SQLite file in a temporary folder; `--postgres` starts a
PostgreSQL cluster of its own on 127.0.0.1 as the tests do; `--db` any store URL), adds a planner with `wfm users
add`, and starts `wfm serve --workers JOBS` as a subprocess on a free port (`benchmarks.serving`). Through the API
as any client would: uploads the demo centre of `--size` (`scenarios.generator`, seed 0) and its `--history-weeks`
of per-ticket history as CSV, runs one short plan of `--days` to its end and publishes its roster (the roster the
clients read). Then it submits `--jobs` plans (4; the roster solve `--time-limit` 120 s, the simulation loop
`--loop-budget` 120 s, remedies on: long enough to run through the measured window) and, once all of them are
`running`, starts `--clients` clients (50; httpx, one event loop, one connection each). Each polls as a web page
does: waits a random part of `--interval` (1 s), then sends its next request in turn, `GET /api/jobs/{id}` (the
plan jobs in turn), `GET /api/rosters/{id}.csv` (the published roster) and `GET /api/plans/{id}` (the first
plan), and waits `--interval` after each answer, until `--seconds` (60) have passed or `--requests` are answered.
Each request is timed from sending to the read answer (the JSON parsed, the CSV's bytes read). At the end of the
window the plan jobs' status and stage are read (they must still be running: the load was measured under them),
then they are cancelled and the server stopped by its process id; the job worker processes must be gone.

Reported: requests per second; p50, p95 and largest latency overall and per route; errors (an exception or any
status but 200); the jobs' status at the end of the window; the CPU: the machine's busy share over the window
(/proc/stat), the CPU seconds of the server process and of the job worker processes, the 1-minute load average,
and the worker processes' nice level (each thread's). Printed, and written as JSON to
``benchmarks/results/service.json`` (git-ignored). The clients share the machine with the server and the jobs:
their cost is in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import random
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import machine_info, write_report
from benchmarks.serving import (
    Server,
    children,
    cpu_seconds,
    latency_figures,
    nice_levels,
    planner_token,
    serve,
    store_url,
)
from models import dump_center
from scenarios.generator import GeneratorSettings, Scenario, generate

RESULTS = Path(__file__).resolve().parent / "results" / "service.json"
ROUTES = ("GET /api/jobs/{id}", "GET /api/rosters/{id}.csv", "GET /api/plans/{id}")
#: The target: p95 of the reads, milliseconds.
TARGET_P95_MS = 100.0
#: Bound of the set-up's waits (the first plan, the jobs' start): past it the run stops with an error.
SETUP_S = 600.0
#: Seconds the server's processes get to be gone once the server has stopped.
GONE_S = 10.0


def _busy() -> tuple[float, float]:
    """The machine's busy and total CPU time so far (/proc/stat's first line, in clock ticks)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _wait(http: httpx.Client, job_id: str, until: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + SETUP_S
    while (job := http.get(f"/api/jobs/{job_id}").raise_for_status().json())["status"] not in until:
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} is still {job['status']} after {SETUP_S:g} s")
        time.sleep(0.5)
    result: dict[str, Any] = job
    return result


def prepare(http: httpx.Client, scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    """The centre, its history, a first plan and its published roster, through the API."""
    made = http.post("/api/centers", json={"yaml": dump_center(scenario.center)}).raise_for_status().json()
    center_id = made["id"]
    content = scenario.history.to_csv(index=False).encode()
    files = {"file": ("history.csv", io.BytesIO(content), "text/csv")}
    history_id = http.post(f"/api/centers/{center_id}/histories", files=files).raise_for_status().json()["id"]
    base = {"center_id": center_id, "history_id": history_id, "start": scenario.settings.plan_start.isoformat()}
    first = {**base, "days": args.days, "time_limit_s": 5, "loop_budget_s": 0, "diagnosis_budget_s": 5}
    job_id = http.post("/api/plans", json={**first, "remedies": False}).raise_for_status().json()["job_id"]
    job = _wait(http, job_id, ("done", "failed", "cancelled"))
    if job["status"] != "done":
        raise RuntimeError(f"the first plan ended {job['status']}: {job['error']}")
    roster_id, plan_id = job["result"]["roster_id"], job["result"]["plan_id"]
    published = http.post(f"/api/rosters/{roster_id}/publish")
    return {
        "base": base,
        "roster_id": roster_id,
        "plan_id": plan_id,
        "published": published.status_code == 200,
        "roster_rows": http.get(f"/api/rosters/{roster_id}.csv").raise_for_status().text.count("\n") - 1,
    }


async def load(server: Server, token: str, world: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """`--clients` clients polling as a page does, until `--seconds` have passed or `--requests` are answered:
    each request's route, status (0 for an exception) and latency."""
    headers = {"Authorization": f"Bearer {token}"}
    jobs = itertools.cycle(world["jobs"])
    done: list[dict[str, Any]] = []
    stop = time.monotonic() + args.seconds
    randomness = random.Random(args.seed)

    async def client(index: int) -> None:
        limits = httpx.Limits(max_connections=1)
        timeout = httpx.Timeout(args.seconds + 30)
        async with httpx.AsyncClient(base_url=server.address, headers=headers, timeout=timeout, limits=limits) as c:
            await asyncio.sleep(randomness.uniform(0, args.interval))
            for turn in itertools.count(index):
                if time.monotonic() >= stop or len(done) >= args.requests:
                    return
                route = ROUTES[turn % len(ROUTES)]
                path = {
                    ROUTES[0]: f"/api/jobs/{next(jobs)}",
                    ROUTES[1]: f"/api/rosters/{world['roster_id']}.csv",
                    ROUTES[2]: f"/api/plans/{world['plan_id']}",
                }[route]
                began = time.perf_counter()
                try:
                    response = await c.get(path)
                    if route == ROUTES[1]:
                        response.read()
                    else:
                        response.json()
                    code = response.status_code
                except (httpx.HTTPError, ValueError):
                    code = 0
                done.append({"route": route, "status": code, "latency_s": time.perf_counter() - began})
                await asyncio.sleep(args.interval)

    await asyncio.gather(*(client(i) for i in range(args.clients)))
    return done


def run(args: argparse.Namespace) -> dict[str, Any]:
    scenario = generate(GeneratorSettings(size=args.size, history_weeks=args.history_weeks))
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wfm-service-")))
        url = store_url(args, stack, folder)
        token = planner_token(url)
        server = stack.enter_context(serve(url, folder, workers=args.jobs))
        http = stack.enter_context(
            httpx.Client(base_url=server.address, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        )
        world = prepare(http, scenario, args)
        params = {
            **world["base"],
            "days": args.days,
            "time_limit_s": args.time_limit,
            "loop_budget_s": args.loop_budget,
            "remedies": True,
        }
        submitted = [http.post("/api/plans", json=params).raise_for_status() for _ in range(args.jobs)]
        world["jobs"] = [response.json()["job_id"] for response in submitted]
        for job_id in world["jobs"]:
            _wait(http, job_id, ("running", "done", "failed", "cancelled"))
        workers = [pid for pid in children(server.pid) if b"spawn_main" in _command_line(pid)]
        cpu_before = {pid: cpu_seconds(pid) for pid in [server.pid, *workers]}
        busy_before, total_before = _busy()
        began = time.perf_counter()
        rows = asyncio.run(load(server, token, world, args))
        seconds = time.perf_counter() - began
        busy_after, total_after = _busy()
        cpu = {pid: round(cpu_seconds(pid) - cpu_before[pid], 1) for pid in cpu_before}
        nice = {pid: sorted(set(nice_levels(pid))) for pid in workers}
        ended = {job_id: http.get(f"/api/jobs/{job_id}").raise_for_status().json() for job_id in world["jobs"]}
        for job_id in world["jobs"]:
            http.delete(f"/api/jobs/{job_id}")
        every = children(server.pid)  # the job workers and multiprocessing's helper process
        load_1m = machine_info()["load_average_1m"]
        stack.close()  # the server stops (SIGINT), its job workers with it
        deadline = time.monotonic() + GONE_S
        while (left := [pid for pid in [server.pid, *every] if Path(f"/proc/{pid}").exists()]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
    jobs_running = all(job["status"] == "running" for job in ended.values())
    return {
        "store": "postgresql" if url.startswith("postgresql") else "sqlite",
        "size": args.size,
        "clients": args.clients,
        "interval_s": args.interval,
        "jobs": args.jobs,
        "time_limit_s": args.time_limit,
        "loop_budget_s": args.loop_budget,
        "roster_rows": world["roster_rows"],
        "roster_published": world["published"],
        **latency_figures(rows, seconds, ROUTES),
        "jobs_running_throughout": jobs_running,
        "job_stages": [job["progress"].get("stage") for job in ended.values()],
        "job_statuses": [job["status"] for job in ended.values()],
        "cpu": {
            "machine_busy_share": round((busy_after - busy_before) / max(total_after - total_before, 1), 3),
            "server_s": cpu[server.pid],
            "workers_s": [cpu[pid] for pid in workers],
            "workers_nice": [nice[pid] for pid in workers],
            "load_average_1m": load_1m,
        },
        "processes_left": left,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=4, help="plan jobs running at once (the server's --workers)")
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    parser.add_argument("--requests", type=int, default=100_000, help="stop after this many answers")
    parser.add_argument("--interval", type=float, default=1.0, help="each client's wait between requests, seconds")
    parser.add_argument("--size", default="S", help="the demo centre (scenarios.generator: S, M, L)")
    parser.add_argument("--history-weeks", type=int, default=4)
    parser.add_argument("--days", type=int, default=7, help="days of each plan")
    parser.add_argument("--time-limit", type=float, default=120.0, help="each plan job's roster solve, seconds")
    parser.add_argument("--loop-budget", type=float, default=120.0, help="each plan job's simulation loop, seconds")
    parser.add_argument("--db", default=None, help="a store URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--postgres", action="store_true", help="start a PostgreSQL server of its own")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    result = run(args)
    ok = result["errors"] == 0 and result.get("p95_ms", float("inf")) < TARGET_P95_MS
    print(
        f"service under plan jobs ({result['store']}, {result['size']}, {args.clients} clients every "
        f"{args.interval:g} s, {args.jobs} plan jobs): {result['requests']} requests in {result['seconds']:.1f} s, "
        f"{result['requests_per_s']:.1f} requests/s, p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms, {result['errors']} errors"
    )
    for name, route in result["routes"].items():
        print(
            f"  {name:<26} {route['requests']:>5} requests, p50 {route['p50_ms']:>6.0f} ms, p95 "
            f"{route['p95_ms']:>6.0f} ms, max {route['max_ms']:>6.0f} ms, {route['errors']} errors"
        )
    cpu = result["cpu"]
    print(
        f"  jobs running throughout: {result['jobs_running_throughout']} (stages {result['job_stages']}); "
        f"machine busy {cpu['machine_busy_share']:.0%}, server {cpu['server_s']:.1f} CPU s, workers "
        f"{cpu['workers_s']} CPU s, nice {cpu['workers_nice']}, load {cpu['load_average_1m']:.1f}; "
        f"processes left {result['processes_left']}"
    )
    print(f"  target (no errors, p95 < {TARGET_P95_MS:g} ms): {'MET' if ok else 'MISSED'}")
    write_report(RESULTS, {"date": datetime.now(UTC).isoformat(), "machine": machine_info(), **result})


if __name__ == "__main__":
    main()
