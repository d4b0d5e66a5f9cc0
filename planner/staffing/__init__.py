"""Staffing: how many agents each interval needs for each work type (Erlang C / Erlang A, chat, deferred work)."""

from planner.staffing.erlang import (
    ErlangAMetrics,
    ErlangCMetrics,
    Requirement,
    ServiceLevelOver,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    required_agents,
)
from planner.staffing.requirements import (
    REQUIREMENT_COLUMNS,
    StaffingSettings,
    effective_concurrency,
    opening_hours_notes,
    proficiency_factors,
    requirement_table,
)

__all__ = [
    "REQUIREMENT_COLUMNS",
    "ErlangAMetrics",
    "ErlangCMetrics",
    "Requirement",
    "ServiceLevelOver",
    "StaffingSettings",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "effective_concurrency",
    "erlang_c_metrics",
    "opening_hours_notes",
    "proficiency_factors",
    "required_agents",
    "requirement_table",
]
