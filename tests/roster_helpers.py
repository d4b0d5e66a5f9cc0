"""Tiny hand-built roster instances: a centre from a few agents, contracts and templates, a requirement from a
few demand blocks, and the solver settings that keep every solve small.

Times are local wall-clock in Europe/London. The default week is Monday 2026-06-01 to Sunday 2026-06-07 (no DST
change) on a 60-min grid, so a day has 24 intervals and a shift of 480 min covers 8 of them. The default
templates are `early` (06:00-14:00) and `late` (14:00-22:00), one start each and no breaks; the default
contract (`flex`) binds nothing but the 11-hour rest, so each test adds exactly the rule it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from models import Center
from models.horizon import local_time
from planner.roster import RosterResult, RosterSettings, solve_roster, validate_roster

TZ = "Europe/London"
#: A Monday whose week has no DST change.
MONDAY = date(2026, 6, 1)
#: Each solve's settings: tiny instances are solved to optimality in well under a second.
SETTINGS = RosterSettings(time_limit_s=5.0, workers=2, seed=0, break_time_limit_s=1.0)


def day(n: int, first: date = MONDAY) -> date:
    return first + timedelta(days=n)


def minute(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def at(on: date, hhmm: str) -> pd.Timestamp:
    """The instant of local wall-clock `hhmm` on `on` ("24:00" is the next midnight)."""
    return local_time(on, minute(hhmm), TZ)


def template(
    template_id: str,
    start: str,
    *,
    latest: str | None = None,
    step: int = 60,
    lengths: Sequence[int] = (480,),
    breaks: Sequence[dict[str, Any]] = (),
    weekdays: Sequence[int] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": template_id,
        "earliest_start_minute": start,
        "latest_start_minute": latest or start,
        "start_step_minutes": step,
        "lengths_minutes": list(lengths),
        "breaks": list(breaks),
    }
    if weekdays is not None:
        data["weekdays"] = list(weekdays)
    return data


EARLY = template("early", "06:00")
#: An unpaid hour's lunch 3-5 hours into shifts of 6 hours or more.
LUNCH: dict[str, Any] = {
    "name": "lunch",
    "duration_minutes": 60,
    "earliest_start_minutes": 180,
    "latest_start_minutes": 300,
    "min_shift_minutes": 360,
}
LATE = template("late", "14:00")


def contract(contract_id: str = "flex", **changes: Any) -> dict[str, Any]:
    """A contract that binds nothing but the default 11-hour rest, unless `changes` say otherwise."""
    data: dict[str, Any] = {
        "id": contract_id,
        "min_paid_minutes_week": 0,
        "max_paid_minutes_week": 7 * 480,
        "max_working_days": 7,
        "max_consecutive_days": 7,
        "min_consecutive_days_off": 1,
        "shift_templates": ["early", "late"],
    }
    data.update(changes)
    return data


def agent(agent_id: str, *skills: str, contract: str = "flex", **extra: Any) -> dict[str, Any]:
    return {"id": agent_id, "skills": list(skills or ("phone",)), "contract": contract, **extra}


def work_type(
    work_type_id: str, skill: str, *, priority: int = 1, deferred: bool = False, within_s: int = 20
) -> dict[str, Any]:
    if deferred:
        return {
            "id": work_type_id,
            "channel": "email",
            "mode": "deferred",
            "skill": skill,
            "priority": priority,
            "target": {"service_level": 0.9, "within_s": within_s, "measure": "first_response"},
            "aht_s": 600,
        }
    return {
        "id": work_type_id,
        "channel": "phone",
        "mode": "realtime",
        "skill": skill,
        "priority": priority,
        "target": {"service_level": 0.8, "within_s": within_s},
        "aht_s": 300,
    }


CALLS = work_type("calls", "phone")


def build_center(
    agents: Iterable[dict[str, Any]],
    *,
    contracts: Iterable[dict[str, Any]] = (),
    templates: Iterable[dict[str, Any]] = (EARLY, LATE),
    work_types: Iterable[dict[str, Any]] = (CALLS,),
    opening_hours: Iterable[dict[str, Any]] = (),
    interval: int = 60,
    **fields: Any,
) -> Center:
    """A centre of these agents (contract `flex` unless listed), always open unless `opening_hours` say; `fields`
    are further centre settings (`weekend_days`, `late_shift`)."""
    kinds = list(work_types)
    return Center.model_validate(
        {
            "name": "Tiny roster test",
            "timezone": TZ,
            "interval_minutes": interval,
            "opening_hours": list(opening_hours),
            "skills": [{"id": s} for s in sorted({w["skill"] for w in kinds})],
            "work_types": kinds,
            "contracts": list(contracts) or [contract()],
            "shift_templates": list(templates),
            "agents": list(agents),
            **fields,
        }
    )


@dataclass(frozen=True)
class Need:
    """`agents` whole agents of `work_type` on day `day` of the horizon, local `start`..`end` (deferred work: the
    workload, in agent-intervals, arriving in the interval that starts at `start`)."""

    work_type: str
    day: int
    start: str
    end: str
    agents: int = 1


def requirement(center: Center, needs: Iterable[Need], *, days: int = 7, first: date = MONDAY) -> pd.DataFrame:
    """A `models.REQUIREMENT` table over whole local days (every interval x work type, 0 where no need)."""
    horizon = center.horizon(first, days)
    grid = horizon.intervals
    kinds = [w.id for w in center.work_types]
    required = {w: np.zeros(len(grid), dtype=np.int64) for w in kinds}
    for need in needs:
        begin, end = at(day(need.day, first), need.start), at(day(need.day, first), need.end)
        required[need.work_type][(grid >= begin) & (grid < end)] += need.agents
    frames = []
    for w in kinds:
        deferred = center.work_type(w).mode.value == "deferred"
        ints = required[w]
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": grid,
                    "work_type": w,
                    "workload_erlangs": ints.astype(float) if deferred else 0.4 * ints,
                    "required_agents": ints.astype(float),
                    "required_agents_int": ints,
                    "expected_service_level": np.where(ints > 0, 0.9, np.nan),
                    "method": "deferred" if deferred else "erlang_c",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def solve(
    center: Center,
    needs: Iterable[Need],
    *,
    days: int = 7,
    first: date = MONDAY,
    settings: RosterSettings = SETTINGS,
    previous: pd.DataFrame | None = None,
    pins: pd.DataFrame | None = None,
) -> RosterResult:
    """Solve the tiny instance to optimality, and check the roster and coverage with the independent validator."""
    table = requirement(center, needs, days=days, first=first)
    result = solve_roster(table, center, settings, previous=previous, pins=pins)
    assert result.status == "OPTIMAL", result.summary()
    horizon = center.horizon_covering(table["interval_start"])
    found = validate_roster(
        result.roster, center, horizon, coverage=result.coverage, previous=previous, pins=pins, requirement=table
    )
    assert found == [], [str(v) for v in found]
    return result


def worked(result: RosterResult, first: date = MONDAY) -> set[tuple[str, int, str]]:
    """The roster as (agent, day of the horizon, local start HH:MM)."""
    return {
        (str(r.agent_id), (r.date - first).days, pd.Timestamp(r.start).tz_convert(TZ).strftime("%H:%M"))
        for r in result.roster.itertuples()
    }


def roster_row(agent_id: str, on: date, start: str, shift_template: str, length: int = 480) -> dict[str, Any]:
    """A roster-table row of a shift without breaks (for pins and previous rosters)."""
    begin = at(on, start)
    return {
        "agent_id": agent_id,
        "date": on,
        "start": begin,
        "end": begin + pd.Timedelta(minutes=length),
        "shift_template": shift_template,
        "breaks": [],
        "paid_minutes": length,
    }


def roster_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))
