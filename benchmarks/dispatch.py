"""Benchmark of the service's dispatch endpoint (issue 17): 500 open tickets x 100 agents answered in under 1 s.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.dispatch                 # 500 x 100, 20 requests
    .venv/bin/python -m benchmarks.dispatch --tickets 2000 --agents 100 --requests 5

The instance is the assignment scale benchmark's (`benchmarks.assign_scale`: a centre of `--agents` agents on
shift at Tuesday 12:00, six deferred work types with tier thresholds, `--tickets` open tickets of mixed ages,
priorities, tiers and regions). Through the service as a client calls it (FastAPI's test client in this process,
so that the figure is the service's own time, not a network's): the centre uploaded, its roster uploaded and
published, then `--requests` calls of ``POST /api/centers/{id}/dispatch`` with the tickets and the moment,
each timed from the request to the parsed response. Reported: the median, 90th percentile and largest wall time,
and the assignment's figures (tickets assigned, predicted late). Printed and written as JSON to
``benchmarks/results/dispatch.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.assign_scale import AT_HOUR, DAY, TIMEZONE, build_centre, kinds, roster_frame, tickets_frame
from benchmarks.common import machine_info, write_report
from models import ROSTER, Center, dump_center, write_table
from models.horizon import local_time

RESULTS = Path(__file__).resolve().parent / "results" / "dispatch.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--time-limit", type=float, default=None, help="the request's time_limit_s (default: the service's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.store import open_store

    rng = np.random.default_rng(args.seed)
    chosen = kinds(True)
    center = build_centre(args.agents, chosen, rng)
    # One day is the whole roster here: its weekly limit, prorated to that day, must allow the day's shift.
    data = center.model_dump(mode="json")
    for contract in data["contracts"]:
        contract["max_paid_minutes_week"] = 7 * 480
    center = Center.model_validate(data)
    # The scale benchmark's shifts carry breaks its templates do not define, which the service's publish refuses
    # (the roster validator): without them, every agent is on shift from start to end.
    roster = roster_frame(center).assign(breaks=lambda f: [[] for _ in range(len(f))])
    roster["paid_minutes"] = ((roster["end"] - roster["start"]).dt.total_seconds() // 60).astype(int)
    at = local_time(DAY, AT_HOUR * 60, TIMEZONE)
    tickets = tickets_frame(args.tickets, chosen, at, rng)
    rows = json.loads(tickets.to_json(orient="records", date_format="iso"))
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'wfm.db'}")
        token = store.add_user("bench", "planner")
        headers = {"Authorization": f"Bearer {token}"}
        write_table(roster, ROSTER, Path(folder) / "roster.csv")
        with TestClient(create_app(store)) as client:
            made = client.post("/api/centers", json={"yaml": dump_center(center)}, headers=headers)
            made.raise_for_status()
            center_id = made.json()["id"]
            uploaded = client.post(
                f"/api/centers/{center_id}/rosters",
                json={"csv": (Path(folder) / "roster.csv").read_text()},
                headers=headers,
            )
            uploaded.raise_for_status()
            client.post(f"/api/rosters/{uploaded.json()['id']}/publish", headers=headers).raise_for_status()
            body: dict[str, Any] = {"at": at.isoformat(), "tickets": rows}
            if args.time_limit is not None:
                body["time_limit_s"] = args.time_limit
            times, last = [], {}
            for _ in range(args.requests):
                began = time.perf_counter()
                response = client.post(f"/api/centers/{center_id}/dispatch", json=body, headers=headers)
                response.raise_for_status()
                last = response.json()
                times.append(time.perf_counter() - began)
        store.close()
    assignment = last["assignment"]
    figures = {
        "tickets": args.tickets,
        "agents": args.agents,
        "requests": args.requests,
        "median_s": round(float(np.median(times)), 3),
        "p90_s": round(float(np.quantile(times, 0.9)), 3),
        "max_s": round(float(np.max(times)), 3),
        "assigned": sum(1 for r in assignment if r["agent_id"]),
        "predicted_late": sum(1 for r in assignment if (r["predicted_late_s"] or 0) > 0),
        "status": last["summary"].get("status"),
    }
    print(
        f"dispatch {args.tickets} tickets x {args.agents} agents, {args.requests} requests: median "
        f"{figures['median_s']:.3f} s, p90 {figures['p90_s']:.3f} s, max {figures['max_s']:.3f} s "
        f"(target < 1 s: {'MET' if figures['max_s'] < 1 else 'MISSED'}); {figures['assigned']} assigned, "
        f"{figures['predicted_late']} predicted late, status {figures['status']}"
    )
    write_report(RESULTS, {"date": datetime.now(UTC).isoformat(), "machine": machine_info(), **figures})


if __name__ == "__main__":
    main()
