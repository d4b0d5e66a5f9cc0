"""The job of `wfm assign`: who handles which open ticket from a moment, the assignment and its summary
written."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models import Center, load_center, read_table
from models.io import check_output_file, table_writer, text_writer, write_files
from models.tables import AGENT_QUALITY, ASSIGNMENT, OPEN_TICKETS, ROSTER
from planner.assign import AssignResult, AssignSettings, assign, build_assign_problem
from planner.matching import check_someone_on_shift

__all__ = ["AssignJob", "run_assign"]


@dataclass(frozen=True)
class AssignJob:
    result: AssignResult
    #: The other methods' results on the same problem (`compare`), by method.
    compared: dict[str, AssignResult]
    files: list[Path]


def run_assign(
    tickets: str | Path,
    roster: str | Path,
    center: str | Path | Center,
    at: pd.Timestamp,
    out: str | Path,
    *,
    method: str = "optimal",
    settings: AssignSettings | None = None,
    horizon_minutes: float | None = None,
    quality: str | Path | None = None,
    compare: Sequence[str] = (),
) -> AssignJob:
    """The job behind `wfm assign`: who handles which open ticket from `at`, by `method`; writes the assignment
    table to `out` and its summary (status, objective breakdown, bound, gap, KPIs, and those of the `compare`
    methods on the same problem) to `out` with the suffix `.json`."""
    check_output_file(out)
    check_output_file(Path(out).with_suffix(".json"), table=False)
    center = center if isinstance(center, Center) else load_center(center)
    zone = center.timezone
    open_tickets = read_table(tickets, OPEN_TICKETS, timezone=zone)
    roster_table = read_table(roster, ROSTER, timezone=zone)
    scores = read_table(quality, AGENT_QUALITY, timezone=zone) if quality is not None else None
    check_someone_on_shift(roster_table, at, horizon_minutes, zone, str(roster))
    problem = build_assign_problem(
        open_tickets,
        roster_table,
        center,
        at,
        horizon_minutes=horizon_minutes,
        quality=scores,
        source=str(tickets),
    )
    result = assign(problem, method, settings)
    compared = {other: assign(problem, other, settings) for other in compare if other != method}
    path = Path(out)
    summary = result.summary() | {"compared": {name: r.summary() for name, r in compared.items()}}
    outputs: dict[str | Path, Callable[[Path], None]] = {
        path: table_writer(result.table, ASSIGNMENT, path),
        path.with_suffix(".json"): text_writer(json.dumps(summary, indent=2, default=str) + "\n"),
    }
    return AssignJob(result, compared, write_files(outputs))
