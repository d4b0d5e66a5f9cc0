"""Benchmark of the simulation against reality (issue 6): replay the Anonymous Bank's August 1999 call log with the
staffing the log itself implies, and compare the simulated service level and abandonment per hour with the real.

Run from the repository root with the project's virtual environment::

    .venv/bin/python -m benchmarks.simulation_replay                        # the 23 weekdays, 20 replications
    .venv/bin/python -m benchmarks.simulation_replay --days 1999-08-10 --replications 5 --slots 30
    .venv/bin/python -m benchmarks.simulation_replay --data /path/to/shared/data --workers 1

Data: ``calls_1999-08.csv`` of the Technion "Anonymous Bank" (``../shared/data/anonbank``, or
``$WFM_SHARED_DATA/anonbank``, or ``--data``; see ``../shared/data/README.md``), read as it is. Times are local
wall-clock in Asia/Jerusalem (no DST change in August 1999). The conversion (each step a function below):

- requests (`call_requests`): the calls that asked for an agent: every served call (``outcome`` AGENT, whether
  it queued or was answered at once) and every call that hung up in the queue (HANG with a ``q_start``); calls
  that hung up in the VRU (HANG without ``q_start``) and PHANTOM calls are left out. Arrival = ``date`` +
  ``q_start`` (``ser_start`` for a call answered without queueing); a clock time more than 12 h before
  ``vru_entry`` is on the next day (calls across midnight). Wait = ``q_time``; handle time = ``ser_time``.
- the centre (`build_centre`): one realtime phone work type per call ``type`` (PS, PE, IN, NE, NW, TT), each its
  own skill; AHT = mean ``ser_time`` of its served calls; mean patience = the exponential MLE (the time all its
  requests spent in the queue, served and abandoned, over its number of abandonments); a nominal target of 80%
  answered within ``--within-s`` (default 60 s; no target is published for this centre, and 60 s is used here
  only as a readable threshold, with 20 s reported as well); agents = the 31 named servers, each with the types
  it served in the month (proficiency 1: the replayed handle times are the real ones).
- the staffing the log implies (`implied_roster`): a server is on duty in a slot of ``--slots`` minutes (5, 15,
  30 and 60 by default; 30 is the main one, of the per-hour tables) on the local clock when it served any call
  during it. Each server-day (the local date of the slot) becomes a roster row from its first such slot to the
  end of its last, with a break for each gap of one or more slots in which it served nothing. Served calls with
  no server name (391, 1%) are replayed but give nobody a shift.
- the demand (`replay_tickets`): the requests of the day replayed at their real arrival times with their real
  handle times (served calls) or a lognormal draw with the type's AHT and the month's coefficient of variation of
  ``ser_time`` (abandoned calls, in case the simulation serves them); the log's priority 2 (priority customers)
  becomes contact priority 1, others 2, so priority customers are served first across all queues.

Each day (default: every Sunday to Thursday of the month, the Israeli working week: 23 days) is simulated over its
local day with ``--replications`` replications (default 20) of `run_replication(scenario, PriorityFirst(), seed)`
on the seeds ``SeedSequence(seed).spawn(replications)`` (as `simulate` does), days in parallel on ``--workers``
processes (default 2). Per hour of day: offered (= the replayed requests arriving in the hour, the same in reality
and in every replication), service level = answered within T over offered, abandonment = abandoned over offered,
real and simulated (mean over replications with a 95% Student t interval, printed clipped to 0..100%).

Reported: for each variant the aggregate error, the mean absolute error of the simulated mean against the real
figure over all (day, hour) cells, weighted by the real offered volume, and the month's figures real against
simulated; the per-hour table of one typical day (``--show-day``, default the weekday of median volume) and the
per-hour table pooled over all the days, both at the main slot length, with the implied agents on duty and the
real occupancy (real busy time over implied on-duty time), which show how the staffing estimate behaves. The
variants: each slot length as it is, and a what-if at the main slot length with every handle time x F
(``--handle-factors``, default 1.25 and 1.5; the agents at proficiency 1 / F), as if each call were followed by
unrecorded after-call work or the agents were that much less available: it measures how much capacity the
implied staffing overstates, and is not a calibration the comparison depends on. Results are printed and written
as JSON to ``benchmarks/results/simulation_replay.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.common import machine_info, max_rss_mib, write_report
from models import Center
from planner.simulation import Draws, PriorityFirst, build_scenario, replay_demand, run_replication

DATA_ENV = "WFM_SHARED_DATA"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CALLS_FILE = Path("anonbank") / "calls_1999-08.csv"
RESULTS = Path(__file__).resolve().parent / "results" / "simulation_replay.json"
TIMEZONE = "Asia/Jerusalem"
TYPES = ("PS", "PE", "IN", "NE", "NW", "TT")
NO_SERVER = "NO_SERVER"
#: The log's priority of priority customers, and the contact priorities they and the others get.
LOG_PRIORITY_HIGH = 2
CONTACT_PRIORITY_HIGH, CONTACT_PRIORITY_REGULAR = 1, 2
WITHIN_S = 60
ALSO_WITHIN_S = 20
NOMINAL_SERVICE_LEVEL = 0.8
DEFAULT_SLOTS = (5, 15, 30, 60)
MAIN_SLOT = 30
#: What-if: every handle time x F (agents at proficiency 1 / F), as if each call had unrecorded after-call work.
HANDLE_FACTORS = (1.25, 1.5)
DEFAULT_REPLICATIONS = 20
CONFIDENCE = 0.95
#: A clock time this much before the call's VRU entry is on the next day.
MIDNIGHT_TOLERANCE_S = 12 * 3600
CENTRE_INTERVAL_MINUTES = 60
#: Sunday..Thursday: the Israeli working week (pandas: Monday = 0).
WORKING_WEEKDAYS = (6, 0, 1, 2, 3)


# -- the log ----------------------------------------------------------------------------------------------------


def data_root(override: Path | None) -> Path:
    return override if override is not None else Path(os.environ.get(DATA_ENV, DEFAULT_DATA))


def read_calls(path: Path) -> pd.DataFrame:
    """The call log as it is (clock times as text)."""
    return pd.read_csv(path, dtype={"call_id": str, "server": str, "type": str, "outcome": str})


def clock_seconds(values: pd.Series) -> np.ndarray:
    """``H:MM:SS`` clock times as seconds after midnight."""
    parts = values.astype(str).str.split(":", expand=True).astype(np.int64)
    return np.asarray(parts[0] * 3600 + parts[1] * 60 + parts[2], dtype=np.int64)


def call_requests(calls: pd.DataFrame, timezone: str = TIMEZONE) -> pd.DataFrame:
    """The calls that asked for an agent (served, or abandoned in the queue), one row each, sorted by arrival:
    ``call_id, type, log_priority, arrival, served, abandoned, wait_s, handle_s`` (NaN if not served),
    ``answered_at`` and ``service_end`` (NaT if not served) and ``server`` ("" if none). Times tz-aware."""
    served = calls["outcome"].eq("AGENT").to_numpy()
    queued = calls["q_start"].astype(str).ne("0:00:00").to_numpy()
    abandoned = calls["outcome"].eq("HANG").to_numpy() & queued
    keep = served | abandoned
    frame = calls.loc[keep]
    served, abandoned, queued = served[keep], abandoned[keep], queued[keep]
    entry = clock_seconds(frame["vru_entry"])

    def after_entry(column: str) -> np.ndarray:
        seconds = clock_seconds(frame[column])
        return np.where(seconds < entry - MIDNIGHT_TOLERANCE_S, seconds + 86_400, seconds)

    midnight = pd.DatetimeIndex(pd.to_datetime(frame["date"].astype(str)))
    arrival_s = np.where(queued, after_entry("q_start"), after_entry("ser_start"))
    answered_s = after_entry("ser_start")
    handle = np.where(served, frame["ser_time"].to_numpy(dtype=float), np.nan)

    def local(seconds: np.ndarray) -> pd.DatetimeIndex:
        naive = midnight + pd.to_timedelta(seconds, unit="s")
        return naive.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")

    answered = local(answered_s)
    out = pd.DataFrame(
        {
            "call_id": frame["call_id"].astype(str).to_numpy(),
            "type": frame["type"].astype(str).to_numpy(),
            "log_priority": frame["priority"].to_numpy(dtype=np.int64),
            "arrival": local(arrival_s),
            "served": served,
            "abandoned": abandoned,
            "wait_s": frame["q_time"].to_numpy(dtype=float),
            "handle_s": handle,
            "answered_at": answered.where(served),
            "service_end": (answered + pd.to_timedelta(np.nan_to_num(handle), unit="s")).where(served),
            "server": np.where(served & frame["server"].ne(NO_SERVER).to_numpy(), frame["server"].astype(str), ""),
        }
    )
    return out.sort_values("arrival", kind="stable").reset_index(drop=True)


def type_estimates(requests: pd.DataFrame) -> pd.DataFrame:
    """Per call type: offered, served, abandoned, AHT (mean handle time of served calls with one), its
    coefficient of variation, and the mean patience by the exponential MLE: total time in queue of all requests
    (the served ones' waits are censored patience times) over the number of abandonments (inf if none)."""
    rows = []
    for kind in TYPES:
        of = requests[requests["type"] == kind]
        handle = of.loc[of["served"] & (of["handle_s"] > 0), "handle_s"]
        abandons = int(of["abandoned"].sum())
        rows.append(
            {
                "type": kind,
                "offered": len(of),
                "served": int(of["served"].sum()),
                "abandoned": abandons,
                "aht_s": float(handle.mean()) if len(handle) else float("nan"),
                "handle_cv": float(handle.std(ddof=0) / handle.mean()) if len(handle) else float("nan"),
                "mean_patience_s": float(of["wait_s"].sum() / abandons) if abandons else float("inf"),
            }
        )
    return pd.DataFrame(rows).set_index("type")


def server_skills(requests: pd.DataFrame) -> dict[str, list[str]]:
    """Each named server and the call types it served (in `TYPES` order)."""
    seen = requests.loc[requests["server"] != "", ["server", "type"]].drop_duplicates()
    skills: dict[str, list[str]] = {}
    for server, kinds in seen.groupby("server")["type"]:
        skills[str(server)] = [k for k in TYPES if k in set(kinds)]
    return skills


def build_centre(
    requests: pd.DataFrame,
    within_s: int = WITHIN_S,
    interval_minutes: int = CENTRE_INTERVAL_MINUTES,
    proficiency: float = 1.0,
) -> Center:
    """The centre the log implies: a work type per call type (AHT and patience from `type_estimates`), the named
    servers with the types they served, at `proficiency` (1: the replayed handle times as they are). Contracts
    and shift templates are placeholders (the simulation reads only the roster's times)."""
    estimates = type_estimates(requests)
    work_types = []
    for kind in TYPES:
        row = estimates.loc[kind]
        if row["offered"] == 0:
            continue
        target: dict[str, Any] = {"service_level": NOMINAL_SERVICE_LEVEL, "within_s": within_s}
        if np.isfinite(row["mean_patience_s"]) and row["mean_patience_s"] > 0:
            target["mean_patience_s"] = round(float(row["mean_patience_s"]), 1)
        work_types.append(
            {
                "id": kind,
                "channel": "phone",
                "mode": "realtime",
                "skill": kind,
                "priority": CONTACT_PRIORITY_REGULAR,
                "target": target,
                "aht_s": round(float(row["aht_s"]), 1),
            }
        )
    offered = {w["id"] for w in work_types}
    agents = [
        {
            "id": server,
            "skills": [{"skill": k, "proficiency": proficiency} for k in kinds if k in offered],
            "contract": "observed",
        }
        for server, kinds in sorted(server_skills(requests).items())
    ]
    return Center.model_validate(
        {
            "name": "Anonymous Bank, August 1999 (implied by the call log)",
            "timezone": TIMEZONE,
            "interval_minutes": interval_minutes,
            "skills": [{"id": w["id"]} for w in work_types],
            "work_types": work_types,
            "contracts": [
                {
                    "id": "observed",
                    "min_paid_minutes_week": 0,
                    "max_paid_minutes_week": 7 * 1440,
                    "max_working_days": 7,
                    "max_consecutive_days": 14,
                    "min_rest_minutes": 0,
                    "shift_templates": ["observed"],
                }
            ],
            "shift_templates": [
                {
                    "id": "observed",
                    "earliest_start_minute": 0,
                    "latest_start_minute": 1425,
                    "start_step_minutes": 15,
                    "lengths_minutes": [1440],
                }
            ],
            "agents": agents,
        }
    )


def implied_roster(requests: pd.DataFrame, slot_minutes: int = MAIN_SLOT, timezone: str = TIMEZONE) -> pd.DataFrame:
    """A `models.ROSTER` table of the staffing the log implies: per server and local day, on duty from the first
    slot of `slot_minutes` (local clock) in which it served a call to the end of the last, with a break for each
    gap of one or more slots in which it served nothing."""
    served = requests[requests["served"] & (requests["server"] != "")]
    columns = ["agent_id", "date", "start", "end", "shift_template", "breaks", "paid_minutes"]
    if served.empty:
        return pd.DataFrame(columns=columns)
    slot_ns = slot_minutes * 60 * 1_000_000_000
    start = pd.DatetimeIndex(served["answered_at"]).tz_convert(timezone).tz_localize(None).as_unit("ns").asi8
    end = pd.DatetimeIndex(served["service_end"]).tz_convert(timezone).tz_localize(None).as_unit("ns").asi8
    first = start // slot_ns
    last = np.maximum(first, (end - 1) // slot_ns)  # a zero-length service still marks its slot
    count = last - first + 1
    server = np.repeat(served["server"].to_numpy(dtype=object), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    slot = np.repeat(first, count) + offset
    busy = pd.DataFrame({"server": server, "slot": slot}).drop_duplicates().sort_values(["server", "slot"])
    busy["local_start"] = pd.to_datetime(busy["slot"] * slot_ns, unit="ns")
    busy["date"] = busy["local_start"].dt.date
    rows = []
    step = pd.Timedelta(minutes=slot_minutes)
    for (agent_id, day), group in busy.groupby(["server", "date"], sort=True):
        slots = group["slot"].to_numpy()
        starts = group["local_start"].to_numpy()
        gap = np.flatnonzero(np.diff(slots) > 1)
        begin = pd.Timestamp(starts[0]).tz_localize(timezone)
        finish = (pd.Timestamp(starts[-1]) + step).tz_localize(timezone)
        breaks = [
            [(pd.Timestamp(starts[g]) + step).tz_localize(timezone), pd.Timestamp(starts[g + 1]).tz_localize(timezone)]
            for g in gap
        ]
        worked = (finish - begin) - sum((b1 - b0 for b0, b1 in breaks), pd.Timedelta(0))
        rows.append(
            {
                "agent_id": str(agent_id),
                "date": day,
                "start": begin,
                "end": finish,
                "shift_template": "observed",
                "breaks": breaks,
                "paid_minutes": int(worked.total_seconds() // 60),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def replay_tickets(requests: pd.DataFrame) -> pd.DataFrame:
    """The requests as a `models.TICKET_HISTORY` table for `replay_demand`: arrival, type, real handle time
    (blank for abandoned calls: the simulation draws one), contact priority (1 for the log's priority customers,
    else 2) and the call id."""
    handle = requests["handle_s"].where(requests["handle_s"] > 0)
    return pd.DataFrame(
        {
            "created_at": requests["arrival"],
            "work_type": requests["type"],
            "handle_time_s": handle,
            "priority": np.where(
                requests["log_priority"] == LOG_PRIORITY_HIGH, CONTACT_PRIORITY_HIGH, CONTACT_PRIORITY_REGULAR
            ),
            "ticket_id": requests["call_id"],
        }
    )


def on_day(requests: pd.DataFrame, day: date) -> pd.DataFrame:
    """The requests arriving on local `day`."""
    local = pd.DatetimeIndex(requests["arrival"]).tz_convert(TIMEZONE)
    return requests[np.asarray(local.date == day)]


def hour_of(stamps: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(stamps).tz_convert(TIMEZONE).hour, dtype=np.int64)


def real_hourly(requests: pd.DataFrame, thresholds: Sequence[int] = (WITHIN_S,)) -> pd.DataFrame:
    """Per local hour (0..23) of `requests` (one day's, or pooled): offered, abandoned and, per threshold T,
    ``met_T`` (answered within T s); with ``service_level_T`` = met / offered and ``abandon_rate``."""
    hour = hour_of(requests["arrival"])
    out = pd.DataFrame({"hour": np.arange(24)})
    out["offered"] = np.bincount(hour, minlength=24)
    out["abandoned"] = np.bincount(hour, weights=requests["abandoned"].to_numpy(dtype=float), minlength=24)
    for t in thresholds:
        met = requests["served"].to_numpy() & (requests["wait_s"].to_numpy() <= t)
        out[f"met_{t}"] = np.bincount(hour, weights=met.astype(float), minlength=24)
        out[f"service_level_{t}"] = out[f"met_{t}"] / out["offered"].where(out["offered"] > 0)
    out["abandon_rate"] = out["abandoned"] / out["offered"].where(out["offered"] > 0)
    return out


def on_duty_by_hour(roster: pd.DataFrame, day: date) -> np.ndarray:
    """Agent-hours on duty per local hour of `day` in the roster (shifts minus breaks)."""
    origin = pd.Timestamp(day).tz_localize(TIMEZONE)
    edges = np.arange(25) * 3600.0
    hours = np.zeros(24)
    for row in roster.itertuples():
        cursor = (row.start - origin).total_seconds()
        pieces = []
        for b0, b1 in sorted(row.breaks):
            pieces.append((cursor, (b0 - origin).total_seconds()))
            cursor = (b1 - origin).total_seconds()
        pieces.append((cursor, (row.end - origin).total_seconds()))
        for a, b in pieces:
            overlap = np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None)
            hours += overlap / 3600
    return hours


def busy_by_hour(requests: pd.DataFrame, day: date) -> np.ndarray:
    """Agent-hours spent serving (named servers) per local hour of `day`."""
    served = requests[requests["served"] & (requests["server"] != "")]
    origin = pd.Timestamp(day).tz_localize(TIMEZONE)
    a = (pd.DatetimeIndex(served["answered_at"]) - origin).total_seconds().to_numpy()
    b = (pd.DatetimeIndex(served["service_end"]) - origin).total_seconds().to_numpy()
    edges = np.arange(25) * 3600.0
    overlap = np.clip(np.minimum(edges[None, 1:], b[:, None]) - np.maximum(edges[None, :-1], a[:, None]), 0, None)
    return np.asarray(overlap.sum(axis=0) / 3600)


# -- the simulation -----------------------------------------------------------------------------------------------


def day_roster(roster: pd.DataFrame, day: date) -> pd.DataFrame:
    """The roster rows that overlap local `day`."""
    origin = pd.Timestamp(day).tz_localize(TIMEZONE)
    end = origin + pd.Timedelta(days=1)
    starts, ends = pd.DatetimeIndex(roster["start"]), pd.DatetimeIndex(roster["end"])
    return roster[np.asarray((starts < end) & (ends > origin))].reset_index(drop=True)


def simulate_day(
    center: Center,
    requests: pd.DataFrame,
    roster: pd.DataFrame,
    day: date,
    replications: int,
    seed: int,
    handle_cv: float,
    thresholds: Sequence[int] = (WITHIN_S, ALSO_WITHIN_S),
) -> dict[str, Any]:
    """Replay `day`'s requests against the roster: per replication and hour, offered, abandoned and met_T."""
    horizon = center.horizon(day, 1)
    demand = replay_demand(replay_tickets(requests), center, horizon, source=f"calls of {day}")
    scenario = build_scenario(
        center, day_roster(roster, day), demand, horizon, Draws(handle="lognormal", handle_cv=handle_cv)
    )
    policy = PriorityFirst()
    counts: dict[str, list[np.ndarray]] = {"offered": [], "abandoned": [], **{f"met_{t}": [] for t in thresholds}}
    began = time.perf_counter()
    events = 0
    for child in np.random.SeedSequence(seed).spawn(replications):
        outcome = run_replication(scenario, policy, child)
        events += outcome.events
        hour = np.minimum((outcome.contacts.arrival // 3600).astype(np.int64), 23)
        answered = ~np.isnan(outcome.answered)
        wait = np.where(answered, outcome.answered - outcome.contacts.arrival, np.inf)
        counts["offered"].append(np.bincount(hour, minlength=24).astype(float))
        counts["abandoned"].append(
            np.bincount(hour, weights=(~np.isnan(outcome.abandoned)).astype(float), minlength=24)
        )
        for t in thresholds:
            counts[f"met_{t}"].append(np.bincount(hour, weights=(wait <= t).astype(float), minlength=24))
    return {
        "day": day,
        "contacts": len(demand.arrival_s) if demand.arrival_s is not None else 0,
        "agents_rostered": sum(1 for a in scenario.agents if a.windows),
        "seconds": time.perf_counter() - began,
        "events": events // replications,
        "counts": {k: np.stack(v) for k, v in counts.items()},
    }


def _simulate_job(args: tuple[Any, ...]) -> dict[str, Any]:
    return simulate_day(*args)


def mean_interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 (replications) and its 95% Student t interval; NaN where a value is undefined."""
    n = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(n > 0, values, 0.0), axis=0)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / np.maximum(n - 1, 1))
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    half = np.where(n > 1, half, np.nan)
    return mean, mean - half, mean + half


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def compare_day(simulated: dict[str, Any], real: pd.DataFrame, thresholds: Sequence[int]) -> pd.DataFrame:
    """Per hour: real and simulated (mean, 95% interval) service level per threshold and abandonment."""
    counts = simulated["counts"]
    out = real[["hour", "offered"]].copy()
    out["sim_offered"] = counts["offered"].mean(axis=0)
    for t in thresholds:
        out[f"real_sl_{t}"] = real[f"service_level_{t}"].to_numpy()
        mean, low, high = mean_interval(_rate(counts[f"met_{t}"], counts["offered"]))
        out[f"sim_sl_{t}"], out[f"sim_sl_{t}_lo"], out[f"sim_sl_{t}_hi"] = mean, low, high
    out["real_abandon"] = real["abandon_rate"].to_numpy()
    mean, low, high = mean_interval(_rate(counts["abandoned"], counts["offered"]))
    out["sim_abandon"], out["sim_abandon_lo"], out["sim_abandon_hi"] = mean, low, high
    return out


def weighted_mae(frames: Sequence[pd.DataFrame], real: str, sim: str) -> float:
    """Mean absolute error of `sim` against `real` over all (day, hour) cells with offered calls, weighted by the
    real offered volume."""
    both = pd.concat(frames, ignore_index=True)
    both = both[both["offered"] > 0]
    return float(np.average(np.abs(both[sim] - both[real]), weights=both["offered"]))


def pooled(results: Sequence[dict[str, Any]], requests: pd.DataFrame, thresholds: Sequence[int]) -> pd.DataFrame:
    """Per hour of day over all simulated days: real and simulated (pooled counts per replication) figures."""
    days = {r["day"] for r in results}
    real = real_hourly(requests[np.isin(pd.DatetimeIndex(requests["arrival"]).date, list(days))], thresholds)
    summed = {k: sum(r["counts"][k] for r in results) for k in results[0]["counts"]}
    return compare_day({"counts": summed}, real, thresholds)


# -- report -----------------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    """A share as a whole percentage; an interval's bound past 0 or 1 (a t interval of a bounded share) is
    printed at the bound."""
    return "-" if not np.isfinite(value) else f"{min(max(value, 0.0), 1.0):.0%}"


def format_hours(table: pd.DataFrame, t: int, staffing: pd.DataFrame | None = None) -> str:
    header = (
        f"{'hour':>5} {'offered':>7} {'real SL':>7} {'sim SL (95% CI)':>18} {'real ab.':>8} {'sim ab. (95% CI)':>18}"
    )
    if staffing is not None:
        header += f" {'agents':>6} {'real occ.':>9}"
    lines = [header, "-" * len(header)]
    for i, row in table.iterrows():
        if row["offered"] == 0:
            continue
        sl = f"{_pct(row[f'sim_sl_{t}'])} ({_pct(row[f'sim_sl_{t}_lo'])}..{_pct(row[f'sim_sl_{t}_hi'])})"
        ab = f"{_pct(row['sim_abandon'])} ({_pct(row['sim_abandon_lo'])}..{_pct(row['sim_abandon_hi'])})"
        line = (
            f"{int(row['hour']):>2}:00 {int(row['offered']):>7,} {_pct(row[f'real_sl_{t}']):>7} {sl:>18} "
            f"{_pct(row['real_abandon']):>8} {ab:>18}"
        )
        if staffing is not None:
            s = staffing.iloc[int(i)]
            line += f" {s['agents']:>6.1f} {_pct(s['real_occupancy']):>9}"
        lines.append(line)
    return "\n".join(lines)


def staffing_table(requests: pd.DataFrame, roster: pd.DataFrame, days: Sequence[date]) -> pd.DataFrame:
    """Per hour: mean implied agents on duty over `days`, and real occupancy (busy / on duty) pooled."""
    on_duty = sum(on_duty_by_hour(day_roster(roster, d), d) for d in days)
    busy = sum(busy_by_hour(requests, d) for d in days)
    return pd.DataFrame(
        {"hour": np.arange(24), "agents": np.asarray(on_duty) / len(days), "real_occupancy": _rate(busy, on_duty)}
    )


def working_days(requests: pd.DataFrame) -> list[date]:
    local = pd.DatetimeIndex(requests["arrival"]).tz_convert(TIMEZONE)
    found = sorted(set(local.date))
    return [d for d in found if d.weekday() in WORKING_WEEKDAYS and d.month == 8]


def run_variant(
    requests: pd.DataFrame,
    days: Sequence[date],
    slot: int,
    handle_factor: float,
    settings: dict[str, Any],
    pool: ProcessPoolExecutor | None,
) -> dict[str, Any]:
    """Simulate `days` with the staffing implied at `slot` minutes and handle times x `handle_factor` (as agent
    proficiency 1 / factor); compare with the real figures per (day, hour), pooled per hour, and overall."""
    thresholds = settings["thresholds"]
    center = build_centre(requests, settings["within_s"], proficiency=1.0 / handle_factor)
    roster = implied_roster(requests, slot)
    jobs = [
        (
            center,
            on_day(requests, d),
            roster,
            d,
            settings["replications"],
            settings["seed"],
            settings["handle_cv"],
            thresholds,
        )
        for d in days
    ]
    print(
        f"slots of {slot} min, handle x {handle_factor:g}: {len(days)} days x {settings['replications']} "
        "replications ...",
        flush=True,
    )
    began = time.perf_counter()
    results = list(pool.map(_simulate_job, jobs)) if pool is not None else [_simulate_job(job) for job in jobs]
    wall = time.perf_counter() - began
    per_day = [compare_day(r, real_hourly(on_day(requests, r["day"]), thresholds), thresholds) for r in results]
    for frame, r in zip(per_day, results, strict=True):
        frame.insert(0, "day", str(r["day"]))
    errors = {f"sl_{t}": weighted_mae(per_day, f"real_sl_{t}", f"sim_sl_{t}") for t in thresholds}
    errors["abandon"] = weighted_mae(per_day, "real_abandon", "sim_abandon")
    total = pooled(results, requests, thresholds)
    both = total[total["offered"] > 0]
    overall = {
        "offered": int(both["offered"].sum()),
        "real_abandon": float(np.average(both["real_abandon"], weights=both["offered"])),
        "sim_abandon": float(np.average(both["sim_abandon"], weights=both["offered"])),
        **{
            f"{side}_sl_{t}": float(np.average(both[f"{side}_sl_{t}"], weights=both["offered"]))
            for t in thresholds
            for side in ("real", "sim")
        },
    }
    return {
        "slot_minutes": slot,
        "handle_factor": handle_factor,
        "wall_s": wall,
        "replication_s": statistics.median(r["seconds"] / settings["replications"] for r in results),
        "roster_rows": int(len(roster)),
        "mae": errors,
        "overall": overall,
        "per_day": pd.concat(per_day, ignore_index=True).to_dict(orient="records"),
        "pooled": total.to_dict(orient="records"),
        "staffing": staffing_table(requests, roster, days).to_dict(orient="records"),
        "show_day_staffing": staffing_table(requests, roster, [settings["show_day"]]).to_dict(orient="records"),
        "days": [
            {"day": str(r["day"]), "contacts": r["contacts"], "agents": r["agents_rostered"], "events": r["events"]}
            for r in results
        ],
    }


def run(
    requests: pd.DataFrame,
    days: Sequence[date],
    variants: Sequence[tuple[int, float]],
    settings: dict[str, Any],
    workers: int,
) -> dict[str, Any]:
    """The estimates, then each (slot minutes, handle factor) variant."""
    within_s = settings["within_s"]
    settings = dict(settings)
    settings["thresholds"] = (within_s, ALSO_WITHIN_S) if within_s != ALSO_WITHIN_S else (within_s,)
    served = requests.loc[requests["served"] & (requests["handle_s"] > 0), "handle_s"]
    settings["handle_cv"] = float(served.std(ddof=0) / served.mean())
    center = build_centre(requests, within_s)
    out: dict[str, Any] = {
        "types": type_estimates(requests).reset_index().to_dict(orient="records"),
        "agents": {a.id: [s.skill for s in a.skills] for a in center.agents},
        "handle_cv": settings["handle_cv"],
        "thresholds": list(settings["thresholds"]),
        "variants": [],
    }
    pool = None
    if workers > 1:
        pool = ProcessPoolExecutor(min(workers, len(days)), mp_context=multiprocessing.get_context("spawn"))
    try:
        for slot, factor in variants:
            out["variants"].append(run_variant(requests, days, slot, factor, settings, pool))
    finally:
        if pool is not None:
            pool.shutdown()
    return out


def typical_day(requests: pd.DataFrame, days: Sequence[date]) -> date:
    """The day of median volume among `days` (the lower median)."""
    volume = sorted((len(on_day(requests, d)), d) for d in days)
    return volume[(len(volume) - 1) // 2][1]


def format_report(report: dict[str, Any]) -> str:
    result = report["result"]
    lines = ["call types (August 1999, requests = served + abandoned in the queue):"]
    header = f"{'type':>4} {'offered':>8} {'served':>7} {'abandoned':>9} {'AHT s':>7} {'CV':>5} {'patience s':>10}"
    lines += [header, "-" * len(header)]
    for t in result["types"]:
        lines.append(
            f"{t['type']:>4} {t['offered']:>8,} {t['served']:>7,} {t['abandoned']:>9,} {t['aht_s']:>7.0f} "
            f"{t['handle_cv']:>5.2f} {t['mean_patience_s']:>10.0f}"
        )
    lines.append(f"{len(result['agents'])} named servers; handle-time CV (all types) {result['handle_cv']:.2f}")
    thresholds = result["thresholds"]
    t = thresholds[0]
    header = (
        f"{'slot':>5} {'handle':>6} {'rows':>5} {'wall s':>6} "
        + " ".join(f"{f'MAE SL{x}':>9}" for x in thresholds)
        + f" {'MAE ab.':>8} "
        + " ".join(f"{f'SL{x} real/sim':>15}" for x in thresholds)
        + f" {'ab. real/sim':>13}"
    )
    lines += [
        "",
        f"{len(report['days'])} days x {report['replications']} replications; MAE over (day, hour) cells "
        "weighted by offered calls; SL = answered within T s over offered:",
        header,
        "-" * len(header),
    ]
    for v in result["variants"]:
        o = v["overall"]
        lines.append(
            f"{v['slot_minutes']:>3} m x{v['handle_factor']:>5.2f} {v['roster_rows']:>5} {v['wall_s']:>6.1f} "
            + " ".join(f"{v['mae'][f'sl_{x}']:>9.1%}" for x in thresholds)
            + f" {v['mae']['abandon']:>8.1%} "
            + " ".join(f"{o[f'real_sl_{x}']:>7.1%}/{o[f'sim_sl_{x}']:>6.1%}" for x in thresholds)
            + f" {o['real_abandon']:>6.1%}/{o['sim_abandon']:>6.1%}"
        )
    main = next(v for v in result["variants"] if v["slot_minutes"] == report["main_slot"] and v["handle_factor"] == 1.0)
    show = report["show_day"]
    day_rows = pd.DataFrame([row for row in main["per_day"] if row["day"] == show])
    if not day_rows.empty:
        lines += [
            "",
            f"{show} ({pd.Timestamp(show).day_name()}), slots of {report['main_slot']} min, SL = answered "
            f"within {t} s over offered (agents: implied on duty; real occ.: real busy time over it):",
        ]
        lines.append(format_hours(day_rows.reset_index(drop=True), t, pd.DataFrame(main["show_day_staffing"])))
    lines += ["", f"all {len(main['days'])} days pooled, per hour of day (agents: mean implied on duty):"]
    lines.append(format_hours(pd.DataFrame(main["pooled"]), t, pd.DataFrame(main["staffing"])))
    lines.append(f"\npeak RSS {report['max_rss_mib']:.0f} MiB, {report['wall_s']:.0f} s in all")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulation_replay", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help=f"folder holding anonbank/ (default ${DATA_ENV} or ../shared/data)")
    parser.add_argument("--days", nargs="+", type=date.fromisoformat, help="days to replay (default: Sun..Thu)")
    parser.add_argument("--show-day", type=date.fromisoformat, help="day of the per-hour table (default: median)")
    parser.add_argument("--slots", nargs="+", type=int, default=list(DEFAULT_SLOTS), help="slot minutes (5 15 30 60)")
    parser.add_argument(
        "--handle-factors",
        nargs="+",
        type=float,
        default=list(HANDLE_FACTORS),
        help="what-if: handle times x F at the main slot (default 1.25 1.5)",
    )
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, help="per day (default 20)")
    parser.add_argument("--within-s", type=int, default=WITHIN_S, help="service level threshold (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output (default benchmarks/results/)")
    args = parser.parse_args(argv)
    if args.replications < 2 or args.workers < 1:
        parser.error("--replications must be at least 2 and --workers at least 1")
    if min(args.handle_factors, default=1.0) < 1.0:
        parser.error("--handle-factors must be at least 1 (they are agent proficiencies 1 / F)")
    path = data_root(args.data) / CALLS_FILE
    if not path.is_file():
        print(f"real data {path} is absent: give --data or set {DATA_ENV}", file=sys.stderr)
        return 2

    began = time.perf_counter()
    requests = call_requests(read_calls(path))
    days = args.days or working_days(requests)
    show = args.show_day or typical_day(requests, days)
    main_slot = MAIN_SLOT if MAIN_SLOT in args.slots else args.slots[0]
    report: dict[str, Any] = {
        "benchmark": "simulation_replay",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": str(path),
        "replications": args.replications,
        "seed": args.seed,
        "days": [str(d) for d in days],
        "show_day": str(show),
        "main_slot": main_slot,
        "machine": machine_info(simpy=metadata.version("simpy"), scipy=metadata.version("scipy")),
    }
    variants = [(slot, 1.0) for slot in args.slots]
    variants += [(main_slot, f) for f in args.handle_factors if f != 1.0]
    settings = {"within_s": args.within_s, "replications": args.replications, "seed": args.seed, "show_day": show}
    report["result"] = run(requests, days, variants, settings, args.workers)
    report["wall_s"] = time.perf_counter() - began
    report["max_rss_mib"] = max_rss_mib()
    print()
    print(format_report(report))
    write_report(args.out, _plain(report))
    print(f"written {args.out}")
    return 0


def _plain(value: Any) -> Any:
    """`value` with numpy scalars as Python numbers and NaN / inf as None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


if __name__ == "__main__":
    raise SystemExit(main())
