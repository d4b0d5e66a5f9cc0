"""Open tickets at a moment of a simulated day: what a dispatcher would face, for the demo's assignment snapshot
and for benchmarks; and the day so far as a supervisor's systems show it (`day_so_far`), for the demo's intraday
re-plan and its benchmark.

The planned roster is simulated against the forecast (one replication, seeded); the deferred contacts (e-mail,
tickets) that arrived before the moment and were not yet taken are the open tickets then. Each gets a customer
tier (drawn with probabilities inversely proportional to the tiers' weights: the valuable customers are the
rare ones) and a region (uniform over the centre's), so the assignment has something to weigh.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import Center, Mode
from planner.simulation import PriorityFirst, build_scenario, forecast_demand, run_replication

__all__ = ["busiest_phone", "day_so_far", "open_tickets_at", "shocked_forecast"]


def open_tickets_at(
    center: Center, roster: pd.DataFrame, forecast: pd.DataFrame, at: pd.Timestamp, seed: int = 0
) -> pd.DataFrame:
    """A `models.OPEN_TICKETS` table of the deferred work open at `at` in a simulation of `roster`."""
    horizon = center.horizon_covering(forecast["interval_start"])
    scenario = build_scenario(center, roster, forecast_demand(forecast, center, horizon), horizon)
    rng = np.random.default_rng(seed)
    outcome = run_replication(scenario, PriorityFirst(), np.random.SeedSequence(seed))
    contacts = outcome.contacts
    moment = (pd.Timestamp(at) - scenario.start).total_seconds()
    deferred = np.array([w.mode == Mode.DEFERRED for w in center.work_types])[contacts.work_type]
    taken_before = ~np.isnan(outcome.answered) & (outcome.answered < moment)
    open_now = deferred & (contacts.arrival < moment) & ~taken_before
    index = np.flatnonzero(open_now)
    ids = [center.work_types[w].id for w in contacts.work_type[index]]
    tiers = [t.id for t in center.customer_tiers]
    weights = np.array([1 / t.weight for t in center.customer_tiers])
    frame = pd.DataFrame(
        {
            "ticket_id": [f"T{i:06d}" for i in index],
            "work_type": ids,
            "created_at": scenario.start + pd.to_timedelta(np.round(contacts.arrival[index]), unit="s"),
            "customer_tier": rng.choice(tiers, size=len(index), p=weights / weights.sum()) if tiers else None,
            "region": rng.choice(center.regions, size=len(index)) if center.regions else None,
        }
    )
    frame["created_at"] = frame["created_at"].dt.tz_convert(center.timezone)
    return frame


def busiest_phone(center: Center, forecast: pd.DataFrame) -> str:
    """The phone work type with the most forecast volume."""
    phones = [w.id for w in center.work_types if w.channel == "phone"]
    volume = forecast[forecast["work_type"].isin(phones)].groupby("work_type")["volume"].sum()
    return str(volume.idxmax())


def shocked_forecast(forecast: pd.DataFrame, work_type: str, since: pd.Timestamp, factor: float) -> pd.DataFrame:
    """`forecast` with `work_type`'s volume (and its band) times `factor` from `since` on: a day running hot."""
    out = forecast.copy()
    rows = (out["work_type"] == work_type) & (pd.DatetimeIndex(out["interval_start"]) >= since)
    for column in ("volume", "volume_p10", "volume_p50", "volume_p90"):
        if column in out:
            out.loc[rows, column] = out.loc[rows, column].astype(float) * factor
    return out


def day_so_far(
    center: Center, roster: pd.DataFrame, forecast: pd.DataFrame, at: pd.Timestamp, seed: int = 0
) -> pd.DataFrame:
    """The per-ticket history (`models.TICKET_HISTORY` columns) of the contacts that arrived before `at` in a
    simulation of `roster` against `forecast` (one replication, seeded): when each was answered
    (`first_response_at`, by `agent_id`) if before `at`, `abandoned` (false: still waiting at `at`), and the
    handle time of those answered. What a supervisor's systems show at `at`."""
    day = pd.Timestamp(at).tz_convert(center.timezone).normalize()
    starts = pd.DatetimeIndex(forecast["interval_start"])
    today = forecast[(starts >= day) & (starts < day + pd.Timedelta(days=1))]
    horizon = center.horizon_covering(today["interval_start"])
    scenario = build_scenario(center, roster, forecast_demand(today, center, horizon), horizon)
    outcome = run_replication(scenario, PriorityFirst(), np.random.SeedSequence(seed))
    contacts = outcome.contacts
    moment = (pd.Timestamp(at) - scenario.start).total_seconds()
    index = np.flatnonzero(np.round(contacts.arrival) < moment)
    answered = outcome.answered[index]
    taken = ~np.isnan(answered) & (answered < moment)
    gave_up = ~np.isnan(outcome.abandoned[index]) & (outcome.abandoned[index] < moment)
    agent = outcome.agent[index]
    start = scenario.start

    def stamps(seconds: np.ndarray, keep: np.ndarray) -> pd.Series:
        values = start + pd.to_timedelta(np.round(np.where(keep, seconds, 0.0)), unit="s")
        return pd.Series(values).dt.tz_convert(center.timezone).where(keep)

    frame = pd.DataFrame(
        {
            "created_at": stamps(contacts.arrival[index], np.ones(len(index), dtype=bool)),
            "work_type": [center.work_types[w].id for w in contacts.work_type[index]],
            "ticket_id": [f"C{i:07d}" for i in index],
            "first_response_at": stamps(answered, taken),
            "abandoned": gave_up,
            "agent_id": [scenario.agents[a].id if ok else None for a, ok in zip(agent, taken, strict=True)],
            "handle_time_s": np.where(taken, np.round(contacts.handle[index]), np.nan),
        }
    )
    return frame
