"""Open tickets at a moment of a simulated day: what a dispatcher would face, for the demo's assignment snapshot
and for benchmarks.

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

__all__ = ["open_tickets_at"]


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
