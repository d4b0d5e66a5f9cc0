"""A roster's working windows (`planner.shifts.working_windows`), which the simulation and the assignment read:
the shift less its breaks and its absences (docs/roster.md, the day's changes)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from models import InputError
from planner.shifts import working_windows

TZ = "Europe/London"
ORIGIN = pd.Timestamp("2026-03-23 00:00", tz=TZ)
HOUR = 3600.0


def at(hhmm: str) -> str:
    return f"2026-03-23T{hhmm}:00+00:00"


def row(agent: str = "a1", **extra: Any) -> dict[str, Any]:
    """09:00-17:30 with lunch 12:00-12:30."""
    return {
        "agent_id": agent,
        "start": pd.Timestamp(at("09:00")),
        "end": pd.Timestamp(at("17:30")),
        "breaks": [[at("12:00"), at("12:30")]],
        **extra,
    }


def windows(*rows: dict[str, Any]) -> dict[str, list[tuple[float, float]]]:
    return working_windows(pd.DataFrame(list(rows)), TZ, ORIGIN, 24 * HOUR)


def test_a_roster_without_absences_is_the_shift_less_its_breaks() -> None:
    assert windows(row()) == {"a1": [(9 * HOUR, 12 * HOUR), (12.5 * HOUR, 17.5 * HOUR)]}


def test_an_absence_is_not_working_time() -> None:
    away = row(absences=[[at("14:00"), at("15:15")]])
    assert windows(away) == {"a1": [(9 * HOUR, 12 * HOUR), (12.5 * HOUR, 14 * HOUR), (15.25 * HOUR, 17.5 * HOUR)]}
    # Across the lunch: one gap from 11:30 to 13:00; as JSON text (a CSV cell), or blank for none.
    across = row(absences=f'[["{at("11:30")}", "{at("13:00")}"]]')
    assert windows(across, row("a2", absences=None)) == {
        "a1": [(9 * HOUR, 11.5 * HOUR), (13 * HOUR, 17.5 * HOUR)],
        "a2": [(9 * HOUR, 12 * HOUR), (12.5 * HOUR, 17.5 * HOUR)],
    }


def test_an_absences_cell_that_cannot_be_read_names_its_row_and_column() -> None:
    with pytest.raises(InputError, match=r"row 2, column 'absences'.*not a list of \[start, end\] pairs"):
        windows(row(absences=[]), row("a2", absences="{oops"))
    with pytest.raises(InputError, match=r"row 1, column 'absences'.*not a \[start, end\] pair of timestamps"):
        windows(row(absences=[["soon", "later"]]))
