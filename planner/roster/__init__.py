"""Rosters: named agents x days x shifts under the rules of docs/roster.md (a CP-SAT model in two phases), their
exports, and the independent validator that re-checks every roster from its tables alone."""

from planner.roster.export import agent_calendars, own_calendars, plot_coverage, plot_gantt, roster_report_html
from planner.roster.model import RosterWeights
from planner.roster.problem import RosterConflicts, roster_conflicts
from planner.roster.result import Progress, RosterResult
from planner.roster.solver import RosterSettings, apply_settings, solve_roster
from planner.roster.validate import (
    COVERAGE_RULE,
    RULES,
    TOLERANCE,
    RosterCheck,
    Violation,
    check_roster_files,
    on_duty,
    validate_roster,
)

__all__ = [
    "COVERAGE_RULE",
    "RULES",
    "TOLERANCE",
    "Progress",
    "RosterCheck",
    "RosterConflicts",
    "RosterResult",
    "RosterSettings",
    "RosterWeights",
    "Violation",
    "agent_calendars",
    "apply_settings",
    "check_roster_files",
    "on_duty",
    "own_calendars",
    "plot_coverage",
    "plot_gantt",
    "roster_conflicts",
    "roster_report_html",
    "solve_roster",
    "validate_roster",
]
