"""Domain models, table contracts and file I/O of the workforce planner.

Everything here is a validated, immutable fact (pydantic v2, frozen, unknown fields rejected) or a table
contract. `models` imports nothing else of the project and knows no solver.
"""

from models.base import WEEKDAY_NAMES, FrozenModel, Identifier, TimeOfDay, TimeZoneName, Weekday
from models.calendar import SpecialDay, TimeOff, WeeklyWindow
from models.center import Center
from models.errors import ConfigError, InputError, InputWarning, PlannerError, Problem, SolverError
from models.horizon import Horizon
from models.io import (
    History,
    HistoryFormat,
    atomic_write,
    check_output_file,
    check_output_folder,
    discard_staged_files,
    dump_center,
    load_center,
    locate_in_yaml,
    read_history,
    read_table,
    table_writer,
    text_writer,
    write_files,
    write_table,
)
from models.service import Channel, CustomerTier, Measure, Mode, OutsideHours, ServiceTarget, Skill, WorkType
from models.tables import (
    AGENT_QUALITY,
    ASSIGNMENT,
    BACKTEST_METRICS,
    COVERAGE,
    FORECAST,
    INTERVAL_HISTORY,
    OPEN_TICKETS,
    REQUIREMENT,
    ROSTER,
    TICKET_HISTORY,
    TableSchema,
)
from models.workforce import Agent, AgentSkill, BreakRule, Contract, LateShift, Preferences, ShiftTemplate

__all__ = [
    "AGENT_QUALITY",
    "ASSIGNMENT",
    "BACKTEST_METRICS",
    "COVERAGE",
    "FORECAST",
    "INTERVAL_HISTORY",
    "OPEN_TICKETS",
    "REQUIREMENT",
    "ROSTER",
    "TICKET_HISTORY",
    "WEEKDAY_NAMES",
    "Agent",
    "AgentSkill",
    "BreakRule",
    "Center",
    "Channel",
    "ConfigError",
    "Contract",
    "CustomerTier",
    "FrozenModel",
    "History",
    "HistoryFormat",
    "Horizon",
    "Identifier",
    "InputError",
    "InputWarning",
    "LateShift",
    "Measure",
    "Mode",
    "OutsideHours",
    "PlannerError",
    "Preferences",
    "Problem",
    "ServiceTarget",
    "ShiftTemplate",
    "Skill",
    "SolverError",
    "SpecialDay",
    "TableSchema",
    "TimeOfDay",
    "TimeOff",
    "TimeZoneName",
    "Weekday",
    "WeeklyWindow",
    "WorkType",
    "atomic_write",
    "check_output_file",
    "check_output_folder",
    "discard_staged_files",
    "dump_center",
    "load_center",
    "locate_in_yaml",
    "read_history",
    "read_table",
    "table_writer",
    "text_writer",
    "write_files",
    "write_table",
]
