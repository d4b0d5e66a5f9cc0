"""Bounded load test of the planning service (issue 17): a real `wfm serve` on 127.0.0.1 under concurrent clients.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.service_load                           # SQLite, 20 clients, 600 requests, 30 s
    .venv/bin/python -m benchmarks.service_load --clients 50 --requests 1000 --max-seconds 60
    .venv/bin/python -m benchmarks.service_load --dispatch-share 0          # reads only
    .venv/bin/python -m benchmarks.service_load --postgres                # a PostgreSQL server of its own
    .venv/bin/python -m benchmarks.service_load --db postgresql+psycopg://USER@127.0.0.1:5432/DB

What it does, all on this machine: makes a store (a SQLite file in a temporary folder by default; `--postgres`
starts a PostgreSQL cluster of its own on 127.0.0.1 as the tests do, `tests/postgres_helpers.py`; `--db` takes
any store URL), adds a planner with `wfm users add` (the token from its last line), starts `wfm serve --workers 1`
as a subprocess on a free port, and through the API as any client would: uploads the dispatch benchmark's centre
(`benchmarks.assign_scale`: `--agents` agents on shift on Tuesday 2026-06-02, six deferred work types), uploads
and publishes its one-day roster, and runs one roster job (a one-day requirement, a 5 s limit) to its end, for the
status reads. Then `--clients` concurrent clients (httpx, one event loop, one connection each) send requests
until `--requests` are answered or `--max-seconds` have passed, each drawing its next request from the mix:
`POST /api/centers/{id}/dispatch` of `--tickets` open tickets at 12:00 (`--dispatch-share`, default 10%: the
assignment model within the service's default 0.6 s, in the server's process) and, evenly, `GET /api/centers` and
`GET /api/jobs/{id}` (`--dispatch-share 0`: reads only). Each request is timed from
sending to the parsed answer. Reported: requests per second, the median, 95th percentile and largest latency
overall and per route, and the errors (an exception or any status but 200). The server is stopped by its process
id (SIGINT, as Ctrl-C) at the end. Printed and written as JSON to ``benchmarks/results/service_load.json``
(git-ignored). The clients share the machine with the server: on a small machine the figures include their own
cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from benchmarks.assign_scale import AT_HOUR, DAY, TIMEZONE, build_centre, kinds, roster_frame, tickets_frame
from benchmarks.common import machine_info, write_report
from benchmarks.serving import latency_figures, planner_token, serve, store_url
from models import REQUIREMENT, ROSTER, Center, dump_center, write_table
from models.horizon import local_time

RESULTS = Path(__file__).resolve().parent / "results" / "service_load.json"
#: The kinds of request in the mix (dispatch's share is `--dispatch-share`, the reads share the rest evenly).
MIX = ("GET /api/centers", "GET /api/jobs/{id}", "POST dispatch")
#: Bound of the set-up's roster job: past it the run stops with an error.
JOB_S = 120.0


def publishable(center: Center) -> tuple[Center, pd.DataFrame]:
    """The centre and its one-day roster as the dispatch benchmark publishes them (no breaks the templates do not
    define; a weekly limit that allows the day)."""
    data = center.model_dump(mode="json")
    for contract in data["contracts"]:
        contract["max_paid_minutes_week"] = 7 * 480
    center = Center.model_validate(data)
    roster = roster_frame(center)
    roster["breaks"] = [[] for _ in range(len(roster))]
    roster["paid_minutes"] = ((roster["end"] - roster["start"]).dt.total_seconds() // 60).astype(int)
    return center, roster


def one_day_requirement(center: Center) -> pd.DataFrame:
    """A requirement of the roster's day: two agents of the first work type from 12:00 to 13:00, none else."""
    grid = center.horizon(DAY, 1).intervals
    frames = []
    for i, work_type in enumerate(center.work_types):
        need = np.zeros(len(grid), dtype=np.int64)
        if i == 0:
            noon = local_time(DAY, AT_HOUR * 60, TIMEZONE)
            need[(grid >= noon) & (grid < noon + pd.Timedelta(hours=1))] = 2
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": grid,
                    "work_type": work_type.id,
                    "workload_erlangs": need.astype(float),
                    "required_agents": need.astype(float),
                    "required_agents_int": need,
                    "expected_service_level": np.where(need > 0, 0.9, np.nan),
                    "method": "deferred",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def prepare(address: str, token: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The centre, its published roster and one finished roster job, through the API: what the load reads."""
    rng = np.random.default_rng(args.seed)
    chosen = kinds(True)
    center, roster = publishable(build_centre(args.agents, chosen, rng))
    write_table(roster, ROSTER, folder / "roster.csv")
    write_table(one_day_requirement(center), REQUIREMENT, folder / "requirement.csv")
    at = local_time(DAY, AT_HOUR * 60, TIMEZONE)
    tickets = json.loads(tickets_frame(args.tickets, chosen, at, rng).to_json(orient="records", date_format="iso"))
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=address, headers=headers, timeout=JOB_S) as http:
        made = http.post("/api/centers", json={"yaml": dump_center(center)})
        made.raise_for_status()
        center_id = made.json()["id"]
        draft = http.post(f"/api/centers/{center_id}/rosters", json={"csv": (folder / "roster.csv").read_text()})
        draft.raise_for_status()
        http.post(f"/api/rosters/{draft.json()['id']}/publish").raise_for_status()
        body = {
            "center_id": center_id,
            "requirement_csv": (folder / "requirement.csv").read_text(),
            "time_limit_s": 5,
        }
        job = http.post("/api/jobs/roster", json=body)
        job.raise_for_status()
        job_id = job.json()["id"]
        deadline = time.monotonic() + JOB_S
        while (status := http.get(f"/api/jobs/{job_id}").json()["status"]) in ("queued", "running"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the roster job {job_id} did not end within {JOB_S:g} s")
            time.sleep(0.5)
    return {
        "center_id": center_id,
        "job_id": job_id,
        "job_status": status,
        "dispatch": {"at": at.isoformat(), "tickets": tickets},
    }


async def load(address: str, token: str, world: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """`--clients` clients sending the mix until `--requests` are answered or `--max-seconds` have passed: each
    request's route, status (0 for an exception) and latency."""
    headers = {"Authorization": f"Bearer {token}"}
    requests = {
        "GET /api/centers": ("GET", "/api/centers", None),
        "GET /api/jobs/{id}": ("GET", f"/api/jobs/{world['job_id']}", None),
        "POST dispatch": ("POST", f"/api/centers/{world['center_id']}/dispatch", world["dispatch"]),
    }
    names = list(MIX)
    weights = [(1 - args.dispatch_share) / 2, (1 - args.dispatch_share) / 2, args.dispatch_share]
    chooser = random.Random(args.seed)
    done: list[dict[str, Any]] = []
    sent = 0
    stop = time.monotonic() + args.max_seconds

    async def client() -> None:
        nonlocal sent
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=address, headers=headers, timeout=args.max_seconds, limits=limits) as c:
            while sent < args.requests and time.monotonic() < stop:
                sent += 1
                name = chooser.choices(names, weights)[0]
                method, path, body = requests[name]
                began = time.perf_counter()
                try:
                    response = await c.request(method, path, json=body)
                    response.json()
                    code = response.status_code
                except (httpx.HTTPError, ValueError):
                    code = 0
                done.append({"route": name, "status": code, "latency_s": time.perf_counter() - began})

    await asyncio.gather(*(client() for _ in range(args.clients)))
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=600, help="stop after this many answers")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="stop after this long")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=50, help="open tickets of each dispatch request")
    parser.add_argument("--dispatch-share", type=float, default=0.1, help="the share of dispatch requests (0: reads)")
    parser.add_argument("--db", default=None, help="a store URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--postgres", action="store_true", help="start a PostgreSQL server of its own")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wfm-load-")))
        url = store_url(args, stack, folder)
        token = planner_token(url)
        address = stack.enter_context(serve(url, folder)).address
        world = prepare(address, token, args, folder)
        began = time.perf_counter()
        rows = asyncio.run(load(address, token, world, args))
        seconds = time.perf_counter() - began
    store = "postgresql" if url.startswith("postgresql") else "sqlite"
    result = {
        "store": store,
        "clients": args.clients,
        "agents": args.agents,
        "tickets": args.tickets,
        "dispatch_share": args.dispatch_share,
        "job_status": world["job_status"],
        **latency_figures(rows, seconds, MIX),
    }
    print(
        f"service under load ({store}, {args.clients} clients, {result['requests']} requests in "
        f"{result['seconds']:.1f} s): {result['requests_per_s']:.1f} requests/s, p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms, max {result['max_ms']:.0f} ms, {result['errors']} errors"
    )
    for name, route in result["routes"].items():
        print(
            f"  {name:<20} {route['requests']:>5} requests, p50 {route['p50_ms']:>6.0f} ms, p95 "
            f"{route['p95_ms']:>6.0f} ms, max {route['max_ms']:>6.0f} ms, {route['errors']} errors"
        )
    write_report(RESULTS, {"date": datetime.now(UTC).isoformat(), "machine": machine_info(), **result})


if __name__ == "__main__":
    main()
