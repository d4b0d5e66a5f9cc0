"""What happened: the service a centre gave, measured from its history (`wfm kpis`, and `wfm intraday`'s "today
so far"), with the simulation's definitions so that planned, simulated and actual figures compare.

A contact is a row of per-ticket history (`models.TICKET_HISTORY`); it belongs to the local day and interval it
arrived in (`created_at`). What became of it is read from its columns:

- **answered** at `first_response_at` (the wait is ``first_response_at - created_at``); for deferred work that is
  its first response;
- **abandoned** when `abandoned` is true, or, for realtime work, when it has neither `first_response_at` nor
  `resolved_at` and `abandoned` is not false (the caller hung up before anyone answered); deferred work is
  abandoned only when flagged;
- a realtime contact resolved without a `first_response_at` was served but its wait is unknown: it counts as
  offered and answered, and is left out of the service level and the ASA (`answered_wait_unknown`);
- anything else is **unresolved**: still waiting (deferred work in the backlog; a call whose `abandoned` is false)
  when the history was taken (`as_of`: by default the latest time the history holds). Given an earlier `as_of`
  (today so far, from a history that goes on), what happened after it had not happened then: a contact answered
  later was still waiting.

From there the figures are those of `planner.simulation.results` (`contact_outcomes`, `service_rates`): met =
answered within the threshold (the work type's ``within_s``, or its customer tier's); breached = answered later,
abandoned, or still waiting past the threshold; service level = met / (met + breached) (``service_level_over:
offered``) or met / answered (``answered``); ASA = mean wait of the answered; abandon rate = abandoned / offered.
Deferred work is also measured on its resolution (`resolved_at`) with the same threshold: first response and
resolution within SLA; its service level is the one its target measures.

Also: handle hours and AHT (`handle_time_s`), first-contact resolution (contacts handled whose `reopened` is known:
the share not reopened), CSAT (the mean `csat` of those that gave one), per agent (`agent_id`): contacts handled,
handle hours, and with a roster the occupancy (handle time, a contact of a work type with concurrency c counting
1/c of it, over the time on duty: shifts less breaks) and the balance of the workload across agents (spread and
coefficient of variation). Against a forecast: volume per interval and work type, actual, forecast and their
difference, and WAPE per work type and day. Interval counts (no per-contact times) give volume, handle hours
(with `aht_s`) and actual against forecast only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from forecasting.selection import wape
from models import Center, InputError, Mode, Problem
from models.horizon import local_midnight
from planner.shifts import working_windows
from planner.simulation.results import contact_outcomes, service_rates

__all__ = ["KpiResult", "compute_kpis"]

_HOUR_S = 3600.0
#: Minutes of the grid actual and forecast volumes are compared on when the history's intervals do not divide the
#: forecast's.
_COMMON_GRID_MINUTES = 60
#: The per-contact counts that are summed per group (work type, day, interval, agent).
_SUMS = (
    "offered",
    "answered",
    "answered_timed",
    "answered_wait_unknown",
    "abandoned",
    "unresolved",
    "met",
    "breached",
    "wait_s",
    "fr_met",
    "fr_breached",
    "resolved",
    "res_met",
    "res_breached",
    "handled",
    "handle_s",
    "busy_s",
    "fcr_known",
    "fcr_yes",
    "csat_n",
    "csat_sum",
)


@dataclass(frozen=True)
class KpiResult:
    """The figures of a history over a window of local days (see the module's definitions)."""

    #: One row per work type of the centre (zeros where nothing arrived).
    by_work_type: pd.DataFrame
    #: Per local day and work type, where contacts arrived.
    by_day: pd.DataFrame
    #: Per interval (the centre's for per-ticket history, the history's own for interval counts) and work type.
    by_interval: pd.DataFrame
    #: Per agent (`agent_id` in the history, and the roster's agents when one is given); None without agent ids.
    by_agent: pd.DataFrame | None
    #: Per forecast interval and work type: actual, forecast, difference; None without a forecast.
    actual_vs_forecast: pd.DataFrame | None
    summary: dict[str, Any] = field(default_factory=dict)
    #: What could not be measured, and why; how the data were read.
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Window:
    first: date
    last: date
    origin: pd.Timestamp  # local midnight of `first`
    stop: pd.Timestamp  # local midnight after `last`, or `as_of` if earlier
    as_of: pd.Timestamp  # when unresolved contacts are judged


def compute_kpis(
    history: pd.DataFrame,
    center: Center,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: pd.Timestamp | None = None,
    forecast: pd.DataFrame | None = None,
    roster: pd.DataFrame | None = None,
    sources: Mapping[str, str] | None = None,
) -> KpiResult:
    """The KPIs of `history` (a checked history frame: per ticket, or interval counts, as `models.read_history`
    gives) for the local days `start`..`end` (inclusive; default: the history's days) up to `as_of` (default:
    the latest time the history holds; contacts that arrived later are left out, and those still open are judged
    then). `forecast` (a `models.FORECAST` table) adds actual against forecast, `roster` (a `models.ROSTER` table)
    the agents' time on duty and occupancy. `sources` names the inputs in errors (``history``, ``forecast``,
    ``roster``). Raises `InputError` for a window without contacts or a forecast of other work types or days."""
    names = dict(sources or {})
    history_source = names.get("history", "history")
    kind = "tickets" if "created_at" in history.columns else "intervals"
    time_column = "created_at" if kind == "tickets" else "interval_start"
    zone = center.timezone
    frame = history.copy()
    frame[time_column] = _in_zone(frame[time_column], zone)
    window = _window(frame, time_column, zone, start, end, as_of, history_source)
    times = frame[time_column]
    inside = ((times >= window.origin) & (times < window.stop)).to_numpy(dtype=bool)
    frame = frame.loc[inside].reset_index(drop=True)
    if frame.empty or (kind == "intervals" and float(frame["volume"].sum()) == 0):
        raise InputError(
            history_source,
            Problem(
                "window (--from/--to)",
                f"holds no contacts from {window.first} to {window.last}",
                "choose days the history covers",
            ),
        )
    notes: list[str] = []
    if kind == "tickets":
        rows, available = _ticket_rows(frame, center, window, notes)
        interval_minutes: int | None = center.interval_minutes
    else:
        rows, available = _interval_rows(frame, notes)
        interval_minutes = _step_minutes(frame["interval_start"])
    wall = rows["at"].dt.tz_localize(None)
    rows["date"] = wall.dt.date
    if kind == "tickets":
        rows["interval_start"] = _floor_local(rows["at"], center.interval_minutes)
    else:
        rows["interval_start"] = rows["at"]
    by_work_type = _figures(rows, ["work_type"], center, available)
    by_work_type = _with_targets(by_work_type, center)
    by_day = _figures(rows, ["date", "work_type"], center, available)
    by_interval = _figures(rows, ["interval_start", "date", "work_type"], center, available)

    by_agent = None
    balance: dict[str, Any] = {}
    occupancy = None
    if "agent_id" in available:
        by_agent, occupancy = _agents(rows, roster, center, window, available, names.get("roster", "roster"), notes)
        balance = _balance(by_agent)
    elif kind == "tickets":
        notes.append("the history has no agent_id: no per-agent figures (kpis_by_agent.csv) and no workload balance")
    comparison = None
    wapes: dict[str, float | None] = {}
    if forecast is not None:
        comparison, daily, wapes = _against_forecast(
            rows, forecast, center, window, interval_minutes, names.get("forecast", "forecast"), notes
        )
        by_day = by_day.merge(daily, on=["date", "work_type"], how="left")
        by_work_type["forecast_volume"] = [
            float(comparison.loc[comparison["work_type"] == w, "forecast"].sum()) for w in by_work_type["work_type"]
        ]
        by_work_type["wape"] = [wapes.get(str(w), math.nan) for w in by_work_type["work_type"]]
        by_work_type["wape"] = by_work_type["wape"].astype(float)

    summary: dict[str, Any] = {
        "history": kind,
        "from": str(window.first),
        "to": str(window.last),
        "as_of": window.as_of.isoformat(),
        "contacts": float(rows["offered"].sum()),
        "work_types": {
            str(r["work_type"]): {k: _plain(v) for k, v in r.items() if k != "work_type"}
            for r in by_work_type.to_dict("records")
        },
    }
    if by_agent is not None:
        summary["agents"] = len(by_agent)
        summary["workload_balance"] = balance
    if occupancy is not None:
        summary["occupancy"] = occupancy
    if forecast is not None:
        summary["forecast_wape"] = wapes
    summary["notes"] = notes
    return KpiResult(by_work_type, by_day, by_interval, by_agent, comparison, summary, notes)


# -- the window -------------------------------------------------------------------------------------------------------


def _in_zone(stamps: pd.Series, zone: str) -> pd.Series:
    """Timestamps in the centre's zone (naive ones are its local wall-clock time, as everywhere in the planner)."""
    values = pd.Series(pd.to_datetime(stamps), index=stamps.index)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(zone)
    return values.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")


def _window(
    frame: pd.DataFrame,
    time_column: str,
    zone: str,
    start: date | None,
    end: date | None,
    as_of: pd.Timestamp | None,
    source: str,
) -> _Window:
    if start is not None and end is not None and start > end:
        raise InputError(
            source,
            Problem("window (--from/--to)", f"the first day {start} is after the last {end}", "swap the two dates"),
        )
    times = frame[time_column].dropna()
    first = start or times.min().tz_convert(zone).date()
    last = end or times.max().tz_convert(zone).date()
    latest = times.max()
    for column in ("first_response_at", "resolved_at"):
        if column in frame.columns and frame[column].notna().any():
            latest = max(latest, _in_zone(frame[column], zone).max())
    origin = local_midnight(first, zone)
    stop = local_midnight(last + timedelta(days=1), zone)
    # Open contacts are judged when the history was taken: its latest time, whatever days are measured.
    judged = pd.Timestamp(as_of).tz_convert(zone) if as_of is not None else pd.Timestamp(latest)
    if as_of is not None:
        stop = min(stop, judged)
    return _Window(first, last, origin, stop, judged)


def _floor_local(stamps: pd.Series, minutes: int) -> pd.Series:
    """The start of the local `minutes` interval holding each instant (tz-aware in, tz-aware out)."""
    wall = stamps.dt.tz_localize(None)
    floored: pd.Series = stamps - (wall - wall.dt.floor(f"{minutes}min"))
    return floored


def _step_minutes(starts: pd.Series) -> int | None:
    instants = np.unique(pd.DatetimeIndex(starts).as_unit("ns").asi8)
    if instants.size < 2:
        return None
    return int(np.gcd.reduce(np.diff(instants)) // 60_000_000_000)


# -- one row per contact (or per interval count) ----------------------------------------------------------------------


def _seconds(frame: pd.DataFrame, column: str, origin: pd.Timestamp, zone: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    stamps = _in_zone(frame[column], zone)
    return np.array((stamps - origin).dt.total_seconds(), dtype=float)


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[column].astype("boolean").fillna(False), dtype=bool)


def _ticket_rows(
    frame: pd.DataFrame, center: Center, window: _Window, notes: list[str]
) -> tuple[pd.DataFrame, set[str]]:
    """Per contact: what became of it (the module's definitions), as 0/1 counts and seconds to sum per group."""
    zone = center.timezone
    types = center.work_types_by_id
    work_type = frame["work_type"].astype(str).to_numpy()
    realtime = np.array([types[w].mode is Mode.REALTIME for w in work_type], dtype=bool)
    tiers = frame["customer_tier"] if "customer_tier" in frame.columns else pd.Series(pd.NA, index=frame.index)
    threshold = np.array(
        [types[w].target.within_s_for(None if pd.isna(t) else str(t)) for w, t in zip(work_type, tiers, strict=True)],
        dtype=float,
    )
    by_resolution = np.array([types[w].target.measure.value == "resolution" for w in work_type], dtype=bool)
    unit = np.array([1.0 / types[w].concurrency for w in work_type])
    arrival = _seconds(frame, "created_at", window.origin, zone)
    end_s = float((window.as_of - window.origin).total_seconds())
    ever_answered = _seconds(frame, "first_response_at", window.origin, zone)
    ever_resolved = _seconds(frame, "resolved_at", window.origin, zone)
    timed = "first_response_at" in frame.columns
    has_resolution = "resolved_at" in frame.columns
    flagged = _flag(frame, "abandoned")
    # A realtime contact that was never answered nor resolved was abandoned, unless `abandoned` says false (a
    # contact still waiting in a live feed).
    kept_waiting = (
        np.asarray(frame["abandoned"].astype("boolean").eq(False).fillna(False), dtype=bool)
        if ("abandoned" in frame.columns)
        else np.zeros(len(frame), dtype=bool)
    )
    silent = realtime & np.isnan(ever_answered) & np.isnan(ever_resolved) & (timed or has_resolution) & ~kept_waiting
    abandoned = flagged | silent
    contradicted = int((flagged & ~np.isnan(ever_answered)).sum())
    if contradicted:
        notes.append(f"{contradicted:,} contact(s) flagged abandoned have a first_response_at: they count as abandoned")
    unknown = realtime & np.isnan(ever_answered) & ~np.isnan(ever_resolved) & ~abandoned
    # What had not happened by `as_of` (a history taken later than the moment measured) had not happened then: the
    # contact was still waiting.
    response = np.where(ever_answered > end_s, np.nan, ever_answered)
    resolution = np.where(ever_resolved > end_s, np.nan, ever_resolved)
    unknown &= ~np.isnan(resolution)
    answer = contact_outcomes(arrival, response, abandoned, threshold, end_s)
    done = contact_outcomes(arrival, resolution, abandoned, threshold, end_s)
    for fate in (answer, done):
        fate["unresolved"] = fate["unresolved"] & ~unknown
        fate["breached"] = fate["breached"] & ~unknown
    deferred = ~realtime
    handle = (
        frame["handle_time_s"].to_numpy(dtype=float)
        if "handle_time_s" in frame.columns
        else np.full(len(frame), np.nan)
    )
    handled = ~np.isnan(handle)
    reopened = (
        frame["reopened"].astype("boolean") if "reopened" in frame.columns else pd.Series(pd.NA, index=frame.index)
    )
    known = np.asarray(reopened.notna(), dtype=bool) & ~abandoned
    csat = frame["csat"].to_numpy(dtype=float) if "csat" in frame.columns else np.full(len(frame), np.nan)
    rows = pd.DataFrame(
        {
            "at": frame["created_at"].reset_index(drop=True),
            "work_type": work_type,
            "offered": 1.0,
            "answered": (answer["answered"] | unknown).astype(float),
            "answered_timed": answer["answered"].astype(float),
            "answered_wait_unknown": unknown.astype(float),
            "abandoned": abandoned.astype(float),
            "unresolved": answer["unresolved"].astype(float),
            "met": np.where(by_resolution, done["met"], answer["met"]).astype(float),
            "breached": np.where(by_resolution, done["breached"], answer["breached"]).astype(float),
            "wait_s": answer["wait_s"],
            "fr_met": (answer["met"] & deferred).astype(float),
            "fr_breached": (answer["breached"] & deferred).astype(float),
            "resolved": (done["answered"] & deferred).astype(float),
            "res_met": (done["met"] & deferred).astype(float),
            "res_breached": (done["breached"] & deferred).astype(float),
            "handled": handled.astype(float),
            "handle_s": np.nan_to_num(handle),
            "busy_s": np.nan_to_num(handle) * unit,
            "fcr_known": known.astype(float),
            "fcr_yes": (known & ~np.asarray(reopened.fillna(True), dtype=bool)).astype(float),
            "csat_n": (~np.isnan(csat)).astype(float),
            "csat_sum": np.nan_to_num(csat),
            "deferred": deferred,
        }
    )
    if "agent_id" in frame.columns:
        agent = frame["agent_id"].reset_index(drop=True)
        rows["agent_id"] = agent.where(~pd.Series(abandoned) & agent.notna())
    available = {c for c in frame.columns if c in ("first_response_at", "resolved_at", "abandoned")}
    available |= {c for c in ("handle_time_s", "reopened", "csat", "agent_id") if c in frame.columns}
    if not timed:
        notes.append(
            "the history has no first_response_at: service level, ASA and first response within SLA cannot be "
            "measured" + ("" if "abandoned" in frame.columns or has_resolution else ", nor abandonment")
        )
    if int(unknown.sum()):
        notes.append(
            f"{int(unknown.sum()):,} realtime contact(s) were resolved without a first_response_at: answered, with "
            "their wait unknown, they are left out of the service level and the ASA"
        )
    for column, what in (("reopened", "first-contact resolution"), ("csat", "CSAT")):
        if column not in frame.columns:
            notes.append(f"the history has no {column} column: no {what}")
    return rows, available


def _interval_rows(frame: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, set[str]]:
    volume = frame["volume"].to_numpy(dtype=float)
    aht = frame["aht_s"].to_numpy(dtype=float) if "aht_s" in frame.columns else np.full(len(frame), np.nan)
    timed = ~np.isnan(aht)
    notes.append(
        "the history holds interval counts, not one row per contact: only volume, handle hours (where it has "
        "aht_s) and actual against forecast can be measured; service level, ASA, abandonment, first response and "
        "resolution within SLA, first-contact resolution, CSAT and the agents' figures need per-ticket history"
    )
    rows = pd.DataFrame(
        {
            "at": frame["interval_start"].reset_index(drop=True),
            "work_type": frame["work_type"].astype(str).to_numpy(),
            "offered": volume,
            "handled": np.where(timed, volume, 0.0),
            "handle_s": np.where(timed, volume * np.nan_to_num(aht), 0.0),
        }
    )
    return rows, {"handle_time_s"} if "aht_s" in frame.columns else set()


# -- figures per group ------------------------------------------------------------------------------------------------


def _figures(rows: pd.DataFrame, keys: list[str], center: Center, available: set[str]) -> pd.DataFrame:
    """Counts summed per group of `keys` (which end with the work type), and the rates made of them."""
    sums = [c for c in _SUMS if c in rows.columns]
    table = rows.groupby(keys, sort=True, observed=True)[sums].sum().reset_index()
    if keys == ["work_type"]:
        known = pd.DataFrame({"work_type": [w.id for w in center.work_types]})
        table = known.merge(table, on="work_type", how="left").fillna({c: 0.0 for c in sums})
    types = center.work_types_by_id
    over_answered = np.array([types[w].target.service_level_over == "answered" for w in table["work_type"]])
    deferred = np.array([types[w].mode is Mode.DEFERRED for w in table["work_type"]])
    out = table[keys].copy()
    out["offered"] = table["offered"]
    with np.errstate(invalid="ignore", divide="ignore"):
        if "first_response_at" in available:
            counts = {k: table[k].to_numpy(dtype=float) for k in ("offered", "abandoned", "met", "breached", "wait_s")}
            counts["answered"] = table["answered_timed"].to_numpy(dtype=float)
            rates = service_rates(counts, over_answered)
            out["answered"] = table["answered"]
            out["abandoned"] = table["abandoned"]
            out["unresolved"] = table["unresolved"]
            out["answered_within"] = table["met"]
            out["sla_breaches"] = table["breached"]
            out["service_level"] = rates["service_level"]
            out["asa_s"] = rates["asa_s"]
            out["abandon_rate"] = rates["abandon_rate"]
            if table["answered_wait_unknown"].sum() > 0:
                out["answered_wait_unknown"] = table["answered_wait_unknown"]
            if deferred.any():
                fr = table["fr_met"] / (table["fr_met"] + table["fr_breached"])
                out["first_response_within_sla"] = np.where(deferred, fr, np.nan)
        elif "abandoned" in available or "resolved_at" in available:
            out["abandoned"] = table["abandoned"]
            out["abandon_rate"] = table["abandoned"] / table["offered"]
        if "resolved_at" in available and deferred.any():
            out["resolved"] = np.where(deferred, table["resolved"], np.nan)
            done = table["res_met"] / (table["res_met"] + table["res_breached"])
            out["resolved_within_sla"] = np.where(deferred, done, np.nan)
            if "first_response_at" not in available:  # the resolution's own service level, where that is measured
                by_resolution = np.array([types[w].target.measure.value == "resolution" for w in table["work_type"]])
                out["service_level"] = np.where(by_resolution, done, np.nan)
        if "handle_time_s" in available:
            out["handle_h"] = table["handle_s"] / _HOUR_S
            out["aht_s"] = table["handle_s"] / table["handled"]
        if "reopened" in available:
            out["fcr_known"] = table["fcr_known"]
            out["first_contact_resolution"] = table["fcr_yes"] / table["fcr_known"]
        if "csat" in available:
            out["csat_responses"] = table["csat_n"]
            out["csat_mean"] = table["csat_sum"] / table["csat_n"]
    return out


def _with_targets(table: pd.DataFrame, center: Center) -> pd.DataFrame:
    """The work type's mode and target beside its figures, and whether the figures meet it."""
    types = [center.work_type(w) for w in table["work_type"]]
    out = table.copy()
    out.insert(1, "mode", [w.mode.value for w in types])
    out.insert(2, "priority", [w.priority for w in types])
    if "service_level" in out.columns:
        at = out.columns.get_loc("service_level")
        assert isinstance(at, int)
        out.insert(at + 1, "target_service_level", [w.target.service_level for w in types])
        out.insert(at + 2, "within_s", [w.target.within_s for w in types])
        out.insert(at + 3, "measure", [w.target.measure.value for w in types])
        out.insert(at + 4, "service_level_over", [w.target.service_level_over for w in types])
        level = out["service_level"].to_numpy(dtype=float)
        meets = pd.Series(
            [None if math.isnan(v) else bool(v >= w.target.service_level) for v, w in zip(level, types, strict=True)],
            index=out.index,
            dtype="boolean",
        )
        out.insert(at + 5, "meets_target", meets)
    if "abandon_rate" in out.columns:
        out["max_abandon_rate"] = [w.target.max_abandon_rate for w in types]
        out["max_abandon_rate"] = out["max_abandon_rate"].astype(float)
    return out


# -- agents -----------------------------------------------------------------------------------------------------------


def _agents(
    rows: pd.DataFrame,
    roster: pd.DataFrame | None,
    center: Center,
    window: _Window,
    available: set[str],
    roster_source: str,
    notes: list[str],
) -> tuple[pd.DataFrame, float | None]:
    """Per agent: contacts handled, handle hours, FCR and CSAT; with a roster its time on duty and occupancy.
    Returns the table and the occupancy of all agents on duty together (None without a roster)."""
    mine = rows.loc[rows["agent_id"].notna()]
    sums = [c for c in ("offered", "handle_s", "busy_s", "fcr_known", "fcr_yes", "csat_n", "csat_sum") if c in mine]
    table = mine.groupby("agent_id", sort=True)[sums].sum()
    served = mine.groupby("agent_id", sort=True)["work_type"].agg(lambda s: " ".join(sorted(set(s))))
    on_duty: pd.Series | None = None
    if roster is not None:
        end_s = float((window.stop - window.origin).total_seconds())
        windows = working_windows(roster, center.timezone, window.origin, end_s, roster_source)
        on_duty = pd.Series({a: sum(b - s for s, b in spans) for a, spans in windows.items()}, dtype=float)
        on_duty = on_duty.loc[on_duty > 0]
        table = table.reindex(table.index.union(on_duty.index)).fillna(0.0)
        strangers = sorted(set(mine["agent_id"]) - set(on_duty.index))
        if strangers:
            listed = ", ".join(map(str, strangers[:5])) + (" ..." if len(strangers) > 5 else "")
            notes.append(
                f"{len(strangers)} agent(s) handled contacts but have no time on duty in the roster ({listed}): "
                "their occupancy is not known"
            )
    else:
        notes.append(
            "no roster given (--roster): occupancy (handle time over time on duty) cannot be measured; "
            "kpis_by_agent.csv gives the contacts and handle hours of each agent"
        )
    out = pd.DataFrame({"agent_id": table.index.astype(str), "handled": table["offered"].to_numpy()})
    out["work_types"] = served.reindex(table.index).fillna("").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if "handle_time_s" in available:
            out["handle_h"] = table["handle_s"].to_numpy() / _HOUR_S
            out["aht_s"] = np.where(out["handled"] > 0, table["handle_s"].to_numpy() / out["handled"], np.nan)
        if "reopened" in available:
            out["first_contact_resolution"] = (table["fcr_yes"] / table["fcr_known"]).to_numpy()
        if "csat" in available:
            out["csat_responses"] = table["csat_n"].to_numpy()
            out["csat_mean"] = (table["csat_sum"] / table["csat_n"]).to_numpy()
        occupancy = None
        if on_duty is not None:
            duty = on_duty.reindex(table.index).fillna(0.0).to_numpy()
            out["on_duty_h"] = duty / _HOUR_S
            if "handle_time_s" in available:
                busy = table["busy_s"].to_numpy()
                out["occupancy"] = np.where(duty > 0, busy / duty, np.nan)
                total = float(duty.sum())
                occupancy = float(busy[duty > 0].sum() / total) if total > 0 else None
    return out.reset_index(drop=True), occupancy


def _balance(agents: pd.DataFrame) -> dict[str, Any]:
    """How evenly the work fell across agents: for contacts handled, handle hours and occupancy, the mean, min,
    max, spread (max - min), standard deviation (of the agents, not a sample's) and coefficient of variation."""
    out: dict[str, Any] = {}
    for column in ("handled", "handle_h", "occupancy"):
        if column not in agents.columns:
            continue
        values = agents[column].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            continue
        mean, sd = float(values.mean()), float(values.std())
        out[column] = {
            "agents": int(values.size),
            "mean": mean,
            "min": float(values.min()),
            "max": float(values.max()),
            "spread": float(values.max() - values.min()),
            "std": sd,
            "cv": sd / mean if mean > 0 else None,
        }
    return out


# -- actual against forecast ------------------------------------------------------------------------------------------


def _against_forecast(
    rows: pd.DataFrame,
    forecast: pd.DataFrame,
    center: Center,
    window: _Window,
    history_minutes: int | None,
    source: str,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float | None]]:
    """Volume per forecast interval and work type (actual, forecast, difference), with WAPE per work type and day
    and per work type over the window. The grid is the forecast's, or hours where the history's intervals do not
    divide it."""
    center.require_work_types(forecast["work_type"], source, "give the forecast of this centre's work types")
    starts = _in_zone(forecast["interval_start"], center.timezone)
    step = _step_minutes(starts) or center.interval_minutes
    if history_minutes is not None and step % history_minutes:
        notes.append(
            f"the history's {history_minutes}-min intervals do not divide the forecast's {step}-min ones: actual "
            f"and forecast are compared per {_COMMON_GRID_MINUTES} min"
        )
        step = _COMMON_GRID_MINUTES
    grid = _floor_local(starts, step)
    inside = ((grid >= window.origin) & (grid < window.stop)).to_numpy(dtype=bool)
    if not inside.any():
        raise InputError(
            source,
            Problem(
                "column 'interval_start'",
                f"no interval falls in the days measured ({window.first} to {window.last})",
                "give the forecast of the days the history covers",
            ),
        )
    planned = (
        pd.DataFrame({"interval_start": grid[inside], "work_type": forecast["work_type"][inside].astype(str)})
        .assign(forecast=forecast["volume"][inside].to_numpy(dtype=float))
        .groupby(["interval_start", "work_type"], sort=True)["forecast"]
        .sum()
    )
    actual = (
        pd.DataFrame({"interval_start": _floor_local(rows["at"], step), "work_type": rows["work_type"]})
        .assign(actual=rows["offered"].to_numpy(dtype=float))
        .groupby(["interval_start", "work_type"], sort=True)["actual"]
        .sum()
    )
    table = planned.to_frame().join(actual, how="left").fillna({"actual": 0.0}).reset_index()
    table["date"] = table["interval_start"].dt.tz_localize(None).dt.date
    table["difference"] = table["actual"] - table["forecast"]
    table = table[["interval_start", "date", "work_type", "actual", "forecast", "difference"]]
    unmatched = actual.drop(planned.index, errors="ignore")
    for work_type, volume in unmatched.groupby(level="work_type").sum().items():
        notes.append(
            f"{volume:,.0f} contact(s) of {work_type} arrived in intervals the forecast does not hold: they are not "
            "compared"
        )
    daily_rows = []
    for (day, work_type), group in table.groupby(["date", "work_type"], sort=True):
        daily_rows.append(
            {
                "date": day,
                "work_type": work_type,
                "forecast_volume": float(group["forecast"].sum()),
                "wape": wape(group["forecast"].to_numpy(), group["actual"].to_numpy()),
            }
        )
    daily = pd.DataFrame(daily_rows, columns=["date", "work_type", "forecast_volume", "wape"])
    overall = {
        str(w): _plain(wape(g["forecast"].to_numpy(), g["actual"].to_numpy()))
        for w, g in table.groupby("work_type", sort=True)
    }
    return table.reset_index(drop=True), daily, overall


def _plain(value: Any) -> Any:
    """A value for JSON: numpy scalars as Python ones, NaN and NA as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
