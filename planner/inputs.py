"""Checking a planner's inputs before any work is done: the centre configuration and the ticket history.

`check_inputs` reads what it is given, raises `InputError` on anything unusable, and returns a summary with
the warnings found (unused skills, how naive timestamps were read), so that `wfm validate` can print it. A centre
is also checked for a roster week (`check_center_for_roster`): the same check `wfm roster` and `wfm plan` make
before solving, so that `wfm validate` passes no centre that the roster then refuses. Given a
centre and a history, it also says how much of the history arrived while its work type was closed
(`outside_opening_hours`): the forecast drops or moves that volume, so a large share is worth a look (wrong
opening hours, a wrong time zone, or work that is really done out of hours).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from models import (
    Center,
    History,
    HistoryFormat,
    Horizon,
    InputError,
    InputWarning,
    Problem,
    load_center,
    locate_in_yaml,
    read_history,
)
from planner.roster import RosterConflicts, roster_conflicts

__all__ = [
    "CenterSummary",
    "HistorySummary",
    "InputReport",
    "check_center_for_roster",
    "check_inputs",
    "locate_conflicts",
    "outside_opening_hours",
    "summarize_center",
    "summarize_history",
]


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
    #: What was checked beyond the files themselves (the roster week the centre was checked for).
    notes: list[str] = field(default_factory=list)
    #: Given a centre and a history: `outside_opening_hours` of the history.
    outside_hours: pd.DataFrame | None = None


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


def outside_opening_hours(center: Center, history: History) -> pd.DataFrame:
    """Per work type of the centre that the history holds: `contacts`, how many of them arrived while the work
    type was closed (`outside`: outside its opening hours, or on a day listed ``closed``; an interval count by its
    start) and their `share`; with the work type's `outside_hours` rule. Empty for a history with no time zone."""
    columns = ["work_type", "contacts", "outside", "share", "outside_hours"]
    frame = history.frame
    if history.timezone is None or frame.empty:
        return pd.DataFrame(columns=columns)
    times = pd.DatetimeIndex(frame[history.time_column])
    weight = frame["volume"].to_numpy(dtype=float) if history.kind == "intervals" else np.ones(len(frame))
    rows = []
    for work_type, positions in frame.groupby("work_type", sort=True).indices.items():
        if str(work_type) not in center.work_types_by_id:
            continue
        closed = ~center.is_open(str(work_type), pd.DatetimeIndex(times[positions]))
        contacts = float(weight[positions].sum())
        outside = float(weight[positions][closed].sum())
        rows.append(
            {
                "work_type": str(work_type),
                "contacts": contacts,
                "outside": outside,
                "share": outside / contacts if contacts > 0 else 0.0,
                "outside_hours": center.work_type(str(work_type)).outside_hours_rule.value,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def check_inputs(
    center_path: str | Path | None = None,
    history_path: str | Path | None = None,
    *,
    timezone: str | None = None,
    fmt: HistoryFormat | None = None,
    start: date | None = None,
    days: int = 7,
) -> InputReport:
    """Read and check a centre and/or a history file (laid out as `fmt` says); raise `InputError` if either is
    unusable.

    Given both, the history is checked against the centre (its work types, tiers, regions and zone). A centre is
    checked for the roster of `days` days from `start` (default: the day after the history, else tomorrow in the
    centre's zone): every agent must be able to keep their contract (`check_center_for_roster`). The report's
    warnings hold the centre's lint, how the history was read and what looks wrong in it.
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
    notes = []
    if center is not None:
        week = center.horizon(_roster_start(center, history, start), days)
        check_center_for_roster(center, center_path, week)
        notes.append(
            f"roster rules checked for {week.start_date}..{week.end_date}: every agent can keep their contract "
            "(another week: --start)"
        )
    return InputReport(
        center=summarize_center(center) if center is not None else None,
        history=summarize_history(history) if history is not None else None,
        warnings=found,
        notes=notes,
        outside_hours=outside_opening_hours(center, history) if center is not None and history is not None else None,
    )


def _roster_start(center: Center, history: History | None, start: date | None) -> date:
    """The first day of the week a centre is checked for: `start`, else the day after the history, else
    tomorrow in the centre's zone."""
    if start is not None:
        return start
    if history is not None:
        end = pd.Timestamp(history.end)
        end = end.tz_localize(center.timezone) if end.tzinfo is None else end.tz_convert(center.timezone)
        return end.date() + timedelta(days=1)
    return pd.Timestamp.now(tz=center.timezone).date() + timedelta(days=1)


def locate_conflicts(error: InputError, center_path: str | Path | None, pins: str | Path | None = None) -> InputError:
    """An error of the roster's checks before solving (`RosterConflicts`, or a template off the interval grid),
    named by file: the centre's problems with their lines in the centre file (as `load_center` names its own),
    the pins' with the pins file. Errors of other sources are returned as they are."""
    if error.source == "center" and center_path is not None:
        return type(error)(str(center_path), locate_in_yaml(center_path, error.problems))
    if error.source == "pins" and pins is not None:
        return type(error)(str(pins), error.problems)
    return error


def check_center_for_roster(
    center: Center, center_path: str | Path | None, horizon: Horizon, previous: pd.DataFrame | None = None
) -> None:
    """Refuse a centre whose agents cannot keep their contracts in `horizon` (`planner.roster.roster_conflicts`,
    the check the roster makes before solving), naming the centre file's lines. `wfm validate` calls it, and
    `wfm plan` before any heavy work."""
    try:
        conflicts = roster_conflicts(center, horizon, previous)
    except InputError as exc:
        raise locate_conflicts(exc, center_path) from None
    if conflicts:
        raise locate_conflicts(RosterConflicts("center", conflicts), center_path)


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 120:
        return f"{seconds // 60} min"
    return f"{seconds} s"
