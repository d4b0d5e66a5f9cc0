"""A roster's shifts as working time: each agent's windows (shift less breaks and absences) in seconds from an
origin, the form the simulation and the assignment work in. Naive times are local time in the centre's zone."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from models import Center, InputError, Problem

__all__ = ["change_minutes", "interval_pairs", "paid_cost", "seconds_from", "working_windows"]


def change_minutes(roster: pd.DataFrame, column: str) -> np.ndarray:
    """A roster's optional whole-minutes column of the day's changes (`overtime_minutes`, `vto_minutes`) per row:
    a missing column or a blank cell is 0 (docs/roster.md)."""
    if column not in roster.columns:
        return np.zeros(len(roster), dtype=np.int64)
    return np.asarray(pd.to_numeric(roster[column]).fillna(0).to_numpy(dtype=np.int64))


def paid_cost(center: Center, agent_id: str, paid_minutes: float, overtime_minutes: float = 0.0) -> float:
    """What paid time costs: the agent's `hourly_cost` per paid hour, the overtime among the paid minutes at the
    contract's `overtime_rate` times that."""
    agent = center.agent(agent_id)
    premium = (center.contract_of(agent).overtime_rate - 1) * overtime_minutes
    return agent.hourly_cost * (paid_minutes + premium) / 60


def seconds_from(stamps: Any, origin: pd.Timestamp, timezone: str) -> np.ndarray:
    """Seconds from `origin` of timestamps (an index, a series or a list); naive ones are local time in
    `timezone`, as everywhere in the planner."""
    values = pd.DatetimeIndex(pd.to_datetime(pd.Series(stamps)))
    if values.tz is None:
        # A repeated hour reads as its second (standard-time) pass, a skipped one moves forward.
        values = values.tz_localize(timezone, ambiguous=np.zeros(len(values), dtype=bool), nonexistent="shift_forward")
    return np.asarray((values - origin).total_seconds(), dtype=np.float64)


def working_windows(
    roster: pd.DataFrame, timezone: str, origin: pd.Timestamp, end_s: float, source: str = "roster"
) -> dict[str, list[tuple[float, float]]]:
    """Each agent's working windows in a `models.ROSTER` table: shift start..end minus its breaks and its absences
    (the optional `absences` column: the agent is away, docs/roster.md), as seconds from `origin`, clipped to
    [0, end_s], sorted. A `breaks` or `absences` cell that cannot be read is an InputError naming the row."""
    out: dict[str, list[tuple[float, float]]] = {}
    if roster.empty:
        return out
    starts = seconds_from(roster["start"], origin, timezone)
    ends = seconds_from(roster["end"], origin, timezone)
    absences = roster["absences"] if "absences" in roster.columns else pd.Series(None, index=roster.index)
    problems: list[Problem] = []
    for row, (agent_id, breaks, away) in enumerate(zip(roster["agent_id"], roster["breaks"], absences, strict=True)):
        cuts = _spans(breaks, "breaks", row, timezone, origin, problems)
        cuts += _spans(away, "absences", row, timezone, origin, problems)
        cursor = float(starts[row])
        pieces: list[tuple[float, float]] = []
        for b0, b1 in sorted(cuts):
            if b0 > cursor:
                pieces.append((cursor, min(b0, float(ends[row]))))
            cursor = max(cursor, b1)
        if ends[row] > cursor:
            pieces.append((cursor, float(ends[row])))
        clipped = [(max(0.0, a), min(end_s, b)) for a, b in pieces if b > 0 and a < end_s]
        out.setdefault(str(agent_id), []).extend(p for p in clipped if p[1] > p[0])
    InputError.collect(source, problems)
    return {agent_id: sorted(pieces) for agent_id, pieces in out.items()}


def _spans(
    cell: Any, column: str, row: int, timezone: str, origin: pd.Timestamp, problems: list[Problem]
) -> list[tuple[float, float]]:
    """A `breaks` or `absences` cell as (start, end) seconds from `origin`; what cannot be read goes to
    `problems`, naming the row and the column."""
    fix = f"write {column} as a JSON list of [start, end] ISO timestamps"
    pairs = interval_pairs(cell)
    if pairs is None:
        problems.append(
            Problem(f"row {row + 1}, column '{column}'", f"{cell!r} is not a list of [start, end] pairs", fix)
        )
        return []
    spans: list[tuple[float, float]] = []
    for pair in pairs:
        try:
            t0, t1 = (_localised(p, timezone) for p in pair)
        except (TypeError, ValueError):
            problems.append(
                Problem(f"row {row + 1}, column '{column}'", f"{pair!r} is not a [start, end] pair of timestamps", fix)
            )
            continue
        spans.append(((t0 - origin).total_seconds(), (t1 - origin).total_seconds()))
    return spans


def interval_pairs(cell: Any) -> list[Any] | None:
    """A `breaks` (or `absences`) cell as a list (JSON text from CSV, a list, an array from Parquet; blank: none);
    None if it is none of these."""
    if isinstance(cell, np.ndarray):
        cell = cell.tolist()
    if isinstance(cell, str):
        try:
            cell = json.loads(cell) if cell.strip() else []
        except ValueError:
            return None
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    return list(cell) if isinstance(cell, list | tuple) else None


def _localised(value: Any, timezone: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError("not a timestamp")
    return stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp
