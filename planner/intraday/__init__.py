"""The supervisor's re-plan of the rest of a day: the menu of changes (`problem`), the CP-SAT model (`model`) and
its lexicographic solve with the validator's re-check (`solver`)."""

from planner.intraday.problem import (
    CHANGE_KINDS,
    Absence,
    ChangeCosts,
    IntradayProblem,
    build_intraday_problem,
    read_absences,
)
from planner.intraday.solver import CHANGES_COLUMNS, IntradayResult, IntradaySettings, replan

__all__ = [
    "CHANGES_COLUMNS",
    "CHANGE_KINDS",
    "Absence",
    "ChangeCosts",
    "IntradayProblem",
    "IntradayResult",
    "IntradaySettings",
    "build_intraday_problem",
    "read_absences",
    "replan",
]
