"""Checks that inputs given together belong together, before any heavy work: a roster and the forecast or history
it is simulated against, the requirement it is checked against, the previous roster of a plan, the moment of an
assignment, and a forecast and the centre that staffs it.

A mismatch is an `InputError` naming both inputs, the dates each covers, and what to give instead. Where a partial
overlap can still be used (a forecast a few days longer than the roster), it is used, and a note says what was
left out. Nothing here knows a solver, so both the jobs and the independent roster validator can call it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from models import Center, Horizon, InputError, Problem
from planner.shifts import seconds_from
from planner.staffing.requirements import usable_handle_times

__all__ = [
    "check_forecast_work_types",
    "check_previous_roster",
    "check_replay_overlaps_roster",
    "check_roster_in_horizon",
    "check_someone_on_shift",
    "handle_time_sources",
    "match_forecast_to_roster",
    "nobody_on_shift",
    "roster_days",
]


def roster_days(roster: pd.DataFrame) -> list[date]:
    """The distinct `date`s of a roster's shifts (the local day each shift starts on), in order."""
    return sorted(set(pd.to_datetime(roster["date"]).dt.date))


def _span(days: Sequence[date]) -> str:
    """`2026-03-23..2026-03-29`, or one date."""
    first, last = min(days), max(days)
    return str(first) if first == last else f"{first}..{last}"


def _local_dates(stamps: pd.Series, timezone: str) -> pd.Series:
    values = pd.to_datetime(stamps)
    values = values.dt.tz_localize(timezone) if values.dt.tz is None else values.dt.tz_convert(timezone)
    return values.dt.date


# -- previous roster --------------------------------------------------------------------------------------------


def check_previous_roster(previous: pd.DataFrame | None, horizon: Horizon, source: str = "previous roster") -> None:
    """A previous roster is the one published before the plan (it gives the rest and the runs of days at the
    plan's start). One with shifts dated on or after the plan's first day is of the plan's own days (often the
    same week given by mistake) and is refused, naming both date ranges."""
    if previous is None or previous.empty:
        return
    dates = roster_days(previous)
    late = [d for d in dates if d >= horizon.start_date]
    if not late:
        return
    plan = f"{horizon.start_date}..{horizon.end_date}"
    where = "inside the plan's days" if max(late) <= horizon.end_date else "on or after the plan's first day"
    what = f"has shifts on {_span(late)}, {where} ({plan})"
    raise InputError(
        source,
        Problem(
            "column 'date'",
            what + "; a previous roster holds the shifts before the plan",
            f"give the roster published for the days before {horizon.start_date} (e.g. last week's roster.csv); "
            "to keep shifts of the plan's own days, give them as pins (--pins)",
        ),
    )


# -- a roster against the requirement it is checked against ----------------------------------------------------


def check_roster_in_horizon(roster: pd.DataFrame, horizon: Horizon, roster_source: str, horizon_source: str) -> None:
    """Every shift of a roster is dated inside the horizon of the requirement it is checked against; a roster of
    other days is refused with both date ranges (rather than a rule break per shift and interval)."""
    if roster.empty:
        return
    days = roster_days(roster)
    outside = [d for d in days if not horizon.start_date <= d <= horizon.end_date]
    if not outside:
        return
    none_inside = len(outside) == len(days)
    what = (
        f"has shifts on {_span(days)}, and the requirement {horizon_source} covers "
        f"{horizon.start_date}..{horizon.end_date}: "
        + ("no day in common" if none_inside else f"the shifts on {_span(outside)} are outside it")
    )
    raise InputError(
        roster_source,
        Problem(
            "column 'date'",
            what,
            "check the roster against the requirement it was made for (the roster of the same days)",
        ),
    )


# -- a roster against the forecast or the history it is simulated against --------------------------------------


def _roster_weeks(days: Sequence[date]) -> tuple[date, date]:
    """The days a roster plans: its first shift day to its last, extended to whole weeks from the first (a
    roster is planned in weeks, and a day of its last week without shifts is still one of its days)."""
    first, last = min(days), max(days)
    weeks = math.ceil(((last - first).days + 1) / 7)
    return first, first + timedelta(days=7 * weeks - 1)


def match_forecast_to_roster(
    forecast: pd.DataFrame, roster: pd.DataFrame, timezone: str, forecast_source: str, roster_source: str
) -> tuple[pd.DataFrame, list[str]]:
    """The part of `forecast` to simulate `roster` against, and notes on what was left out.

    The roster's days run from its first shift day to its last, extended to whole weeks. Forecast days outside
    them are not simulated (they would count every contact as abandoned); a forecast with no day in common with
    the roster, or whose common days hold no shift, is an InputError naming both date ranges."""
    if roster.empty or forecast.empty:
        return forecast, []
    shifts = roster_days(roster)
    first, last = _roster_weeks(shifts)
    dates = _local_dates(forecast["interval_start"], timezone)
    forecast_days = sorted(set(dates))
    inside = (dates >= first) & (dates <= last)
    fix = (
        f"give the forecast of the roster's days (wfm forecast --start {first} --days {(last - first).days + 1}), "
        "or the roster made for this forecast"
    )
    if not inside.any():
        raise InputError(
            forecast_source,
            Problem(
                "column 'interval_start'",
                f"covers {_span(forecast_days)}, and the roster {roster_source} has shifts on {_span(shifts)}: "
                "no day in common",
                fix,
            ),
        )
    common = sorted(set(dates[inside]))
    if not set(common) & set(shifts):
        raise InputError(
            forecast_source,
            Problem(
                "column 'interval_start'",
                f"covers {_span(forecast_days)}, and the roster {roster_source} has shifts on {_span(shifts)}: "
                f"it has none on the days both cover ({_span(common)})",
                fix,
            ),
        )
    notes = []
    left_out = sorted(set(dates[~inside]))
    if left_out:
        contacts = float(forecast.loc[~inside.to_numpy(), "volume"].sum())
        notes.append(
            f"simulated {_span(common)}, the days both the forecast and the roster ({first}..{last}) cover; the "
            f"forecast's {len(left_out)} other day(s) ({_span(left_out)}, {contacts:,.0f} contacts) are not simulated"
        )
    unforecast = [d for d in shifts if d not in set(forecast_days)]
    if unforecast:
        notes.append(
            f"the roster's shifts on {len(unforecast)} day(s) the forecast does not cover ({_span(unforecast)}) "
            "meet no forecast contacts"
        )
    return forecast.loc[inside.to_numpy()], notes


def check_replay_overlaps_roster(
    tickets: pd.DataFrame, roster: pd.DataFrame, timezone: str, history_source: str, roster_source: str
) -> list[str]:
    """A replayed history must hold contacts on the roster's days (its first shift day to its last, the replay's
    horizon); one with none there is an InputError naming both date ranges. Notes say which of the roster's days
    the history does not reach (they are simulated with no arrivals)."""
    if roster.empty:
        return []
    shifts = roster_days(roster)
    first, last = min(shifts), max(shifts)
    if tickets.empty:
        raise InputError(history_source, Problem("", "holds no contacts", "give the history of the roster's days"))
    dates = _local_dates(tickets["created_at"], timezone)
    history_days = sorted(set(dates))
    inside = (dates >= first) & (dates <= last)
    if not inside.any():
        raise InputError(
            history_source,
            Problem(
                "column 'created_at'",
                f"holds contacts on {_span(history_days)}, and the roster {roster_source} has shifts on "
                f"{first}..{last}: no contact to replay on the roster's days",
                "replay the history of the roster's days, or simulate a forecast of them (--forecast)",
            ),
        )
    reached = set(dates[inside])
    unreached = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    unreached = [d for d in unreached if d not in reached and not history_days[0] <= d <= history_days[-1]]
    if not unreached:
        return []
    return [
        f"the history ({_span(history_days)}) does not reach {len(unreached)} of the roster's days "
        f"({_span(unreached)}): they are simulated with no arrivals"
    ]


# -- a forecast against the centre that staffs it ---------------------------------------------------------------


def check_forecast_work_types(forecast: pd.DataFrame, center: Center, source: str, *, table: str = "forecast") -> None:
    """A forecast (or, `table="requirement"`, a requirement) has rows for every work type of the centre (one
    without would silently get no staff) and for no other; both kinds of mismatch are listed in one InputError."""
    present = set(forecast["work_type"].astype(str))
    known = [w.id for w in center.work_types]
    remake = (
        "forecast every work type of the centre (wfm forecast --center CENTER.yaml), with volume 0 where none is "
        "expected"
        if table == "forecast"
        else "compute the requirement from a forecast of every work type of the centre (wfm requirements --center "
        "CENTER.yaml)"
    )
    problems = []
    unknown = sorted(present - set(known))
    if unknown:
        problems.append(
            Problem(
                "column 'work_type'",
                f"{', '.join(unknown)} are not work types of the centre",
                f"{'forecast' if table == 'forecast' else 'compute the requirement'} with the same centre, or add "
                "the work types to the centre file",
            )
        )
    missing = [w for w in known if w not in present]
    if missing:
        problems.append(
            Problem(
                "column 'work_type'",
                f"has no rows for the centre's work type(s) {', '.join(missing)}, which would get no staff",
                f"{remake}, or remove the work types from the centre file",
            )
        )
    InputError.collect(source, problems)


def handle_time_sources(forecast: pd.DataFrame, center: Center) -> list[str]:
    """One note per work type of `forecast`: where its handle time comes from. The requirement takes the
    forecast's `aht_s` where it is a positive number and the centre's `aht_s` elsewhere
    (`planner.staffing.usable_handle_times`); means are weighted by the forecast volume."""
    given = (
        pd.to_numeric(forecast["aht_s"], errors="coerce").to_numpy(dtype=float)
        if "aht_s" in forecast
        else np.full(len(forecast), np.nan)
    )
    usable = usable_handle_times(given)
    volume = forecast["volume"].to_numpy(dtype=float)
    notes = []
    for work_type in pd.unique(forecast["work_type"].astype(str)):
        if work_type not in center.work_types_by_id:
            continue
        rows = (forecast["work_type"].astype(str) == work_type).to_numpy()
        default = center.work_type(work_type).aht_s
        own = rows & usable
        if not own.any():
            notes.append(f"{work_type}: handle time from the centre's aht_s ({default:.0f} s); the forecast gives none")
            continue
        weights = volume[own] if volume[own].sum() > 0 else np.ones(int(own.sum()))
        mean = float(np.average(given[own], weights=weights))
        if own.sum() == rows.sum() and np.allclose(given[own], default):
            notes.append(
                f"{work_type}: handle time from the centre's aht_s ({default:.0f} s), which the forecast carries"
            )
        elif own.sum() == rows.sum():
            notes.append(
                f"{work_type}: handle time from the forecast (mean {mean:.0f} s); the centre's aht_s "
                f"({default:.0f} s) is not used"
            )
        else:
            notes.append(
                f"{work_type}: handle time from the forecast in {int(own.sum())} of {int(rows.sum())} intervals "
                f"(mean {mean:.0f} s), the centre's aht_s ({default:.0f} s) in the others"
            )
    return notes


# -- the moment of an assignment --------------------------------------------------------------------------------


def check_someone_on_shift(
    roster: pd.DataFrame, at: pd.Timestamp, horizon_minutes: float | None, timezone: str, source: str
) -> None:
    """An assignment plans from `at` with the agents on shift then (`horizon_minutes` None: the rest of their
    shift) or working in the `horizon_minutes` after it. A roster with nobody there (an --at outside its days, or
    at night) is an InputError naming the roster's span or its nearest shifts, rather than every ticket reported
    as having no agent with the skill."""
    at = pd.Timestamp(at)
    at = at.tz_localize(timezone) if at.tzinfo is None else at.tz_convert(timezone)
    if roster.empty:
        raise InputError(source, nobody_on_shift(roster, at, None, timezone))
    starts = seconds_from(roster["start"], at, timezone)
    ends = seconds_from(roster["end"], at, timezone)
    reach = 0.0 if horizon_minutes is None or not horizon_minutes > 0 else horizon_minutes * 60
    if not ((starts <= reach) & (ends > 0)).any():
        raise InputError(source, nobody_on_shift(roster, at, None if horizon_minutes is None else reach, timezone))


def nobody_on_shift(roster: pd.DataFrame, at: pd.Timestamp, horizon_s: float | None, timezone: str) -> Problem:
    """What to say when no agent of `roster` is on shift at `at` (`horizon_s` None) or works between `at` and
    `horizon_s` seconds later: the roster's span when `at` is outside it, else the nearest shifts before and
    after, and a moment to plan from instead."""
    if roster.empty:
        return Problem("", "has no shifts", "give the roster with the shifts of the moment to plan from")
    starts = seconds_from(roster["start"], at, timezone)
    ends = seconds_from(roster["end"], at, timezone)
    agents = roster["agent_id"].astype(str).to_numpy()

    def moment(seconds: float) -> str:
        return f"{at + pd.Timedelta(seconds=float(seconds)):%Y-%m-%d %H:%M}"

    reach = 0.0 if horizon_s is None else horizon_s
    when = f"at --at {moment(0)}" if horizon_s is None else f"between --at {moment(0)} and {moment(reach)}"
    if ends.max() <= 0 or starts.min() > reach:
        return Problem(
            "",
            f"--at {moment(0)} is outside the roster's shifts ({moment(starts.min())}..{moment(ends.max())})",
            f"give an --at inside the roster's shifts (e.g. {moment(starts.min())}), or the roster of that day",
        )
    parts = []
    before = ends <= 0
    if before.any():
        last = ends[before].max()
        who = sorted(set(agents[before & (ends == last)]))
        parts.append(f"the last shift before ends {moment(last)} ({', '.join(who[:3])})")
    after = starts > reach
    fix = "give an --at when agents are on shift"
    if after.any():
        nxt = starts[after].min()
        who = sorted(set(agents[after & (starts == nxt)]))
        parts.append(f"the next starts {moment(nxt)} ({', '.join(who[:3])})")
        fix += f" (e.g. {moment(nxt)})"
        if horizon_s is None:
            fix += f", or plan ahead to them with --horizon-minutes above {math.ceil(nxt / 60)}"
    what = f"nobody is on shift {when}"
    return Problem("", "; ".join([what, *parts]), fix)
