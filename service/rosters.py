"""Rosters in the store: what a stored roster's summary holds."""

from __future__ import annotations

from typing import Any

import pandas as pd

from models import Center
from planner.jobs import replay_horizon
from planner.roster import validate_roster

__all__ = ["draft_summary"]


def draft_summary(roster: pd.DataFrame, center: Center, source: str) -> dict[str, Any]:
    """What a stored roster shows before it is opened: its shifts, agents, days and the independent validator's
    findings (a roster with findings is not published)."""
    horizon = replay_horizon(center, roster, source)
    return {
        "shifts": len(roster),
        "agents": int(roster["agent_id"].nunique()) if len(roster) else 0,
        "first_day": str(horizon.dates[0]),
        "days": len(horizon.dates),
        "violations": [str(v) for v in validate_roster(roster, center, horizon)],
    }
