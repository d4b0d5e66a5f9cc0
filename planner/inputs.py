"""Checking a planner's inputs before any work is done: the centre configuration and the ticket history.

`check_inputs` reads what it is given, raises `InputError` on anything unusable, and returns a summary with
the warnings found (unused skills, how naive timestamps were read), so that `wfm validate` can print it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models import Center, History, HistoryFormat, InputError, InputWarning, Problem, load_center, read_history

__all__ = ["CenterSummary", "HistorySummary", "InputReport", "check_inputs", "summarize_center", "summarize_history"]


@dataclass(frozen=True)
class CenterSummary:
    name: str
    timezone: str
    agents: int
    cross_skilled_agents: int
    skills: int
    work_types: pd.DataFrame  # id, channel, mode, priority, target, aht_s, agents able to serve
    contracts: dict[str, int]  # contract id -> agents on it


@dataclass(frozen=True)
class HistorySummary:
    kind: str
    rows: int
    start: pd.Timestamp
    end: pd.Timestamp
    timezone: str | None
    interval_minutes: int | None
    by_work_type: pd.DataFrame  # work_type, volume, share, mean handle time, share without handle time
    assumption: str | None


@dataclass(frozen=True)
class InputReport:
    center: CenterSummary | None = None
    history: HistorySummary | None = None
    warnings: list[str] = field(default_factory=list)


def summarize_center(center: Center) -> CenterSummary:
    rows = []
    for w in center.work_types:
        target = (
            f"{w.target.service_level:.0%} {w.target.measure.value.replace('_', ' ')} in {_duration(w.target.within_s)}"
        )
        serving = sum(1 for a in center.agents if w.skill in a.skill_ids)
        rows.append(
            {
                "work_type": w.id,
                "channel": w.channel.value,
                "mode": w.mode.value,
                "priority": w.priority,
                "target": target,
                "aht_s": w.aht_s,
                "agents": serving,
            }
        )
    contracts: dict[str, int] = {}
    for a in center.agents:
        contracts[a.contract] = contracts.get(a.contract, 0) + 1
    return CenterSummary(
        name=center.name,
        timezone=center.timezone,
        agents=len(center.agents),
        cross_skilled_agents=sum(1 for a in center.agents if len(a.skills) > 1),
        skills=len(center.skills),
        work_types=pd.DataFrame(rows),
        contracts=contracts,
    )


def summarize_history(history: History) -> HistorySummary:
    frame = history.frame
    volume = history.volume_by_work_type()
    table = pd.DataFrame({"volume": volume, "share": volume / volume.sum()})
    if history.kind == "tickets" and "handle_time_s" in frame:
        grouped = frame.groupby("work_type")["handle_time_s"]
        table["mean_handle_time_s"] = grouped.mean()
        table["without_handle_time"] = grouped.apply(lambda s: float(s.isna().mean()))
    elif history.kind == "intervals" and "aht_s" in frame:
        weights = frame["volume"].where(frame["aht_s"].notna(), 0.0)
        weighted = (frame["aht_s"].fillna(0.0) * weights).groupby(frame["work_type"]).sum()
        table["mean_handle_time_s"] = weighted / weights.groupby(frame["work_type"]).sum()
    return HistorySummary(
        kind=history.kind,
        rows=len(frame),
        start=history.start,
        end=history.end,
        timezone=history.timezone,
        interval_minutes=history.interval_minutes,
        by_work_type=table.reset_index().rename(columns={"index": "work_type"}),
        assumption=history.assumption,
    )


def check_inputs(
    center_path: str | Path | None = None,
    history_path: str | Path | None = None,
    *,
    timezone: str | None = None,
    fmt: HistoryFormat | None = None,
) -> InputReport:
    """Read and check a centre and/or a history file (laid out as `fmt` says); raise `InputError` if either is
    unusable.

    Given both, the history is checked against the centre (its work types, tiers, regions and zone). The
    report's warnings hold the centre's lint, how the history was read and what looks wrong in it.
    """
    if center_path is None and history_path is None:
        raise InputError("wfm validate", Problem("", "nothing to check", "give --center, --history or both"))
    found: list[str] = []
    center = None
    history = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        if center_path is not None:
            center = load_center(center_path)
        if history_path is not None:
            history = read_history(history_path, center=center, timezone=timezone, fmt=fmt or HistoryFormat())
    for caught_warning in caught:
        if issubclass(caught_warning.category, InputWarning):
            found.append(str(caught_warning.message))
        else:  # not ours to swallow
            warnings.warn_explicit(
                caught_warning.message, caught_warning.category, caught_warning.filename, caught_warning.lineno
            )
    if history is not None:
        found += history.alerts + history.remarks
    return InputReport(
        center=summarize_center(center) if center is not None else None,
        history=summarize_history(history) if history is not None else None,
        warnings=found,
    )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 120:
        return f"{seconds // 60} min"
    return f"{seconds} s"
