"""The job of `wfm roster`: solve the roster of a requirement and write it, re-checked by the independent
validator, with its coverage, summary, report, pictures and calendars (`write_roster`, which the plan uses too)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd

from models import REQUIREMENT, Center, InputError, SolverError, load_center, read_table
from models.io import check_output_folder, table_writer, text_writer, write_files
from models.tables import COVERAGE, ROSTER
from planner.inputs import locate_conflicts
from planner.jobs.inputs import read_roster_table
from planner.matching import check_forecast_work_types, check_previous_roster
from planner.reports import ReportSections
from planner.roster import (
    Progress,
    RosterResult,
    RosterSettings,
    agent_calendars,
    own_calendars,
    plot_coverage,
    plot_gantt,
    roster_report_html,
    solve_roster,
    validate_roster,
)
from planner.runtime import honouring

__all__ = ["WRITE_ROSTER_PER_AGENT_S", "WRITE_ROSTER_S", "RosterJob", "run_roster", "write_roster", "write_roster_s"]


@dataclass(frozen=True)
class RosterJob:
    center: Center
    result: RosterResult
    files: list[Path]


def run_roster(
    requirement: str | Path | pd.DataFrame,
    center: str | Path | Center,
    out_dir: str | Path,
    *,
    settings: RosterSettings | None = None,
    previous: str | Path | None = None,
    pins: str | Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> RosterJob:
    """Solve the roster of a requirement and write it into `out_dir` (`write_roster`). A requirement without
    every work type of the centre (or with another), a previous roster of the plan's own days, and a centre whose
    contracts the agents cannot keep, are refused before solving, the last naming the centre file's lines."""
    check_output_folder(out_dir)
    center_path = None if isinstance(center, Center) else center
    center = center if isinstance(center, Center) else load_center(center)
    source = "requirement"
    if not isinstance(requirement, pd.DataFrame):
        source = str(requirement)
        requirement = read_table(requirement, REQUIREMENT, timezone=center.timezone)
    check_forecast_work_types(requirement, center, source, table="requirement")
    previous_table = read_roster_table(previous, center)
    pins_table = read_roster_table(pins, center)
    horizon = center.horizon_covering(requirement["interval_start"])
    check_previous_roster(previous_table, horizon, str(previous))
    settings = settings or RosterSettings()
    with honouring(settings.cancel):  # a roster found before Ctrl-C is written whole
        solve_settings = settings
        if settings.deadline is not None:  # the deadline bounds the solve and the writing together
            solve_settings = replace(settings, deadline=settings.deadline - write_roster_s(center))
        try:
            result = solve_roster(
                requirement, center, solve_settings, previous=previous_table, pins=pins_table, on_progress=on_progress
            )
        except InputError as exc:
            raise locate_conflicts(exc, center_path, pins) from None
        return write_roster(result, requirement, center, out_dir, previous=previous_table, pins=pins_table)


#: Wall seconds `write_roster` takes (the validator, the report with every agent's timeline, the pictures, the
#: calendars), measured on 2 cores with the demo centres (M, 100 agents: 4.1 s; L, 300 agents: 8.3 s): a fixed
#: part and a part per agent.
WRITE_ROSTER_S, WRITE_ROSTER_PER_AGENT_S = 2.0, 0.021


def write_roster_s(center: Center) -> float:
    """The seconds kept back from a solve for writing its roster when one deadline bounds both."""
    return WRITE_ROSTER_S + WRITE_ROSTER_PER_AGENT_S * len(center.agents)


def write_roster(
    result: RosterResult,
    requirement: pd.DataFrame,
    center: Center,
    out_dir: str | Path,
    *,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
    summary: Mapping[str, Any] | None = None,
    sections: ReportSections | None = None,
) -> RosterJob:
    """Write a solved roster into `out_dir`: `roster.csv`, `coverage.csv`, `summary.json` (status, objective
    breakdown, bound, gap, KPIs, progress, and the keys of `summary`), `report.html` (self-contained; a plan's
    `sections` go where a planner reads them, see `roster_report_html`), `coverage.png`, `gantt.png` and one
    iCalendar file per agent under `calendars/`. The roster is re-checked by the independent validator before
    anything is written; a roster that breaks a rule is a bug (SolverError), never an output."""
    horizon = center.horizon_covering(requirement["interval_start"])
    violations = validate_roster(result.roster, center, horizon, coverage=result.coverage, previous=previous, pins=pins)
    if violations:
        listed = "; ".join(str(v) for v in violations[:5])
        raise SolverError(f"the roster breaks {len(violations)} rule check(s), a planner bug: {listed}")
    out = Path(out_dir)
    full = result.summary() | {"validator": "passed: every hard rule of docs/roster.md"} | dict(summary or {})
    with TemporaryDirectory() as tmp:  # drawn once: the file and the report's heatmap
        coverage_png = plot_coverage(result.coverage, Path(tmp) / "coverage.png", timezone=center.timezone).read_bytes()
    report = roster_report_html(
        result.roster,
        result.coverage,
        center,
        full,
        sections=sections,
        coverage_png=coverage_png,
        timeline=not result.interrupted,  # Ctrl-C: the roster now, not every agent's timeline picture
    )
    outputs: dict[str | Path, Callable[[Path], None]] = {
        out / "roster.csv": table_writer(result.roster, ROSTER, out / "roster.csv"),
        out / "coverage.csv": table_writer(result.coverage, COVERAGE, out / "coverage.csv"),
        out / "summary.json": text_writer(json.dumps(full, indent=2, default=str) + "\n"),
        out / "report.html": text_writer(report),
        out / "coverage.png": _bytes_writer(coverage_png),
        out / "gantt.png": lambda path: _drawn(plot_gantt(result.roster, center, path)),
    }
    for name, content in agent_calendars(result.roster, center).items():
        outputs[out / "calendars" / name] = _bytes_writer(content)
    # The calendars of agents the last roster had and this one has not go: a subscriber would see old shifts.
    return RosterJob(center, result, write_files(outputs, stale=own_calendars(out / "calendars")))


def _drawn(_: Path) -> None:
    """A plot written into the staged file (the plotting functions return its path)."""


def _bytes_writer(content: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(content)

    return write
