"""From replications to figures: per interval x work type, per work type, per priority and per agent, each the
mean over replications with a 95% confidence interval (Student's t over the replications' own figures).

Definitions (one replication; a contact belongs to the interval it arrived in):
- offered = answered + abandoned + unresolved (still waiting when the simulation ends);
- met: handled (answered, or first response for deferred work) within its threshold (the work type's
  ``within_s``, or its customer tier's); breached: handled later, abandoned, or still waiting past its threshold;
  a contact still waiting whose threshold has not passed is neither;
- service level: met over met + breached (``service_level_over: offered``), or met over answered contacts
  (``answered``);
- ASA: mean wait of answered contacts; abandon rate: abandoned over offered;
- backlog: contacts waiting at the end of the interval;
- occupancy: busy time (at least one contact) over time in working windows.

From a state (`Scenario.state`), the figures are the rest of the day's: the interval tables start at the interval
of the state's moment, and the contacts waiting at the moment belong to that interval (they are offered in the
rest of the day) while their waits, and so whether they meet their threshold, count from their own arrival;
occupancy is over the working time from the moment on (the contacts in progress then keep their agents busy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from planner.simulation.engine import Outcome
from planner.simulation.scenario import Scenario

__all__ = ["SimulationResult", "contact_outcomes", "service_rates", "summarise"]

CONFIDENCE = 0.95
_COUNTS = ("offered", "answered", "abandoned", "unresolved", "met", "breached", "wait_s")


@dataclass(frozen=True)
class SimulationResult:
    intervals: pd.DataFrame
    work_types: pd.DataFrame
    priorities: pd.DataFrame
    agents: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def service_levels(self) -> dict[str, tuple[float | None, float | None, float | None]]:
        """Per work type: the simulated service level and its 95% interval (None where nothing arrived)."""
        table = self.work_types
        columns = [table[c].to_numpy(dtype=float) for c in ("service_level", "service_level_lo", "service_level_hi")]
        return {
            str(w): (_number(mean), _number(low), _number(high))
            for w, mean, low, high in zip(table["work_type"], *columns, strict=True)
        }


def _interval_counts(scenario: Scenario, outcome: Outcome) -> dict[str, np.ndarray]:
    """Counts per interval x work type (flattened: interval * work types + work type) of one replication."""
    contacts = outcome.contacts
    types = len(scenario.work_types)
    cells = scenario.intervals * types
    interval = np.minimum((contacts.arrival // scenario.interval_s).astype(np.int64), scenario.intervals - 1)
    interval = np.maximum(interval, scenario.first_interval)  # a state's waiting contacts: offered from its moment
    cell = interval * types + contacts.work_type
    fate = contact_outcomes(
        contacts.arrival, outcome.answered, ~np.isnan(outcome.abandoned), contacts.threshold, scenario.end_s
    )

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(cell, weights=w, minlength=cells)

    return {
        "offered": np.bincount(cell, minlength=cells).astype(float),
        **{k: count(fate[k]) for k in ("answered", "abandoned", "unresolved", "met", "breached")},
        "wait_s": count(fate["answered"], fate["wait_s"]),
    }


def contact_outcomes(
    arrival_s: np.ndarray, answered_s: np.ndarray, abandoned: np.ndarray, threshold_s: np.ndarray, end_s: float
) -> dict[str, np.ndarray]:
    """What became of each contact, by the definitions of this module (the simulation's, and the KPIs of real
    history in `planner.kpis`): `answered_s` is when it was answered (NaN: never), `abandoned` whether the
    customer gave up (an abandoned contact is not answered), `threshold_s` its service-level threshold and `end_s`
    the end of the time observed. Returns the masks ``answered``, ``abandoned``, ``unresolved``, ``met`` and
    ``breached``, and ``wait_s`` (answer - arrival; 0 where not answered)."""
    abandoned = np.asarray(abandoned, dtype=bool)
    answered = ~np.isnan(answered_s) & ~abandoned
    unresolved = ~answered & ~abandoned
    wait = np.where(answered, answered_s - arrival_s, 0.0)
    met = answered & (wait <= threshold_s)
    late_open = unresolved & (end_s - arrival_s > threshold_s)
    breached = (answered & ~met) | abandoned | late_open
    return {
        "answered": answered,
        "abandoned": abandoned,
        "unresolved": unresolved,
        "met": met,
        "breached": breached,
        "wait_s": wait,
    }


def service_rates(counts: dict[str, np.ndarray], over_answered: np.ndarray) -> dict[str, np.ndarray]:
    """Service level, ASA and abandon rate from counts (NaN where undefined); `over_answered` per cell. The counts
    are those of `contact_outcomes` summed: ``offered``, ``answered``, ``abandoned``, ``met``, ``breached`` and
    ``wait_s``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        decided = counts["met"] + counts["breached"]
        level = np.where(over_answered, counts["met"] / counts["answered"], counts["met"] / decided)
        return {
            "service_level": level,
            "asa_s": counts["wait_s"] / counts["answered"],
            "abandon_rate": counts["abandoned"] / counts["offered"],
        }


#: Figures that are shares (0..1): their confidence intervals are cut to that range.
_SHARES = frozenset({"service_level", "abandon_rate", "breach_rate", "occupancy"})


def _interval(values: np.ndarray, upper: float = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% confidence interval over axis 0 (replications), ignoring NaN; NaN bounds with one value. Every
    figure here is non-negative and at most `upper` (1 for a share): the t-interval of few replications can reach
    past that, and is cut to it."""
    valid = ~np.isnan(values)
    n = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        deviation = np.where(valid, values - mean, 0.0)
        sd = np.sqrt((deviation**2).sum(axis=0) / np.maximum(n - 1, 1))
        t = stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, t * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, np.clip(mean - half, 0.0, upper), np.clip(mean + half, 0.0, upper)


def _with_interval(frame: pd.DataFrame, name: str, values: np.ndarray) -> None:
    mean, low, high = _interval(values, 1.0 if name in _SHARES else np.inf)
    frame[name], frame[f"{name}_lo"], frame[f"{name}_hi"] = mean, low, high


def summarise(scenario: Scenario, outcomes: Sequence[Outcome], policy: str, seed: int) -> SimulationResult:
    """The figures of `outcomes` (replications of `scenario`): from a state, the rest of the day's (see the
    module's doc)."""
    types = len(scenario.work_types)
    ids = [w.id for w in scenario.work_types]
    first = scenario.first_interval
    rows = scenario.intervals - first
    per_rep = [_interval_counts(scenario, o) for o in outcomes]
    # replications x cells, from the first interval simulated
    stacked = {k: np.stack([r[k] for r in per_rep])[:, first * types :] for k in _COUNTS}
    over_answered_type = np.array([w.over_answered for w in scenario.work_types])

    # Per interval x work type: pooled counts' means, rates with their interval over replications.
    over_cell = np.tile(over_answered_type, rows)
    intervals = pd.DataFrame(
        {
            "interval_start": np.repeat(scenario.interval_starts[first:], types),
            "work_type": np.tile(ids, rows),
            "priority": np.tile([w.priority for w in scenario.work_types], rows),
        }
    )
    for k in ("offered", "answered", "abandoned", "unresolved", "met", "breached"):
        intervals[k] = stacked[k].mean(axis=0)
    intervals = intervals.rename(columns={"met": "answered_within", "breached": "sla_breaches"})
    rates = service_rates(stacked, over_cell[None, :])
    for name, values in rates.items():
        _with_interval(intervals, name, values)
    backlog = np.stack([o.backlog[first:].reshape(-1) for o in outcomes]).astype(float)
    intervals["backlog"] = backlog.mean(axis=0)

    # Per work type: each replication's day-level figures.
    by_type = {k: v.reshape(len(outcomes), rows, types).sum(axis=1) for k, v in stacked.items()}
    work_types = pd.DataFrame(
        {
            "work_type": ids,
            "priority": [w.priority for w in scenario.work_types],
            "realtime": [w.realtime for w in scenario.work_types],
            "target_service_level": [w.service_level for w in scenario.work_types],
            "within_s": [w.within_s for w in scenario.work_types],
        }
    )
    for k in ("offered", "answered", "abandoned", "unresolved", "breached"):
        work_types["sla_breaches" if k == "breached" else k] = by_type[k].mean(axis=0)
    for name, values in service_rates(by_type, over_answered_type[None, :]).items():
        _with_interval(work_types, name, values)
    work_types["meets_target"] = work_types["service_level"] >= work_types["target_service_level"]

    # Per priority: SLA breaches.
    priority = np.array([w.priority for w in scenario.work_types])
    levels = sorted(set(priority.tolist()))
    pr_breach = np.stack([by_type["breached"][:, priority == p].sum(axis=1) for p in levels], axis=1)
    pr_offered = np.stack([by_type["offered"][:, priority == p].sum(axis=1) for p in levels], axis=1)
    priorities = pd.DataFrame({"priority": levels, "offered": pr_offered.mean(axis=0)})
    _with_interval(priorities, "sla_breaches", pr_breach)
    with np.errstate(invalid="ignore", divide="ignore"):
        _with_interval(priorities, "breach_rate", pr_breach / pr_offered)

    # Per agent.
    on_duty = np.array([a.on_duty_from(scenario.start_s) for a in scenario.agents])
    busy = np.stack([o.busy_s for o in outcomes])
    agents = pd.DataFrame(
        {
            "agent_id": [a.id for a in scenario.agents],
            "on_duty_h": on_duty / 3600,
            "busy_h": busy.mean(axis=0) / 3600,
            "handled": np.stack([o.handled for o in outcomes]).mean(axis=0),
            "overrun_min": np.stack([o.overrun_s for o in outcomes]).mean(axis=0) / 60,
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        _with_interval(agents, "occupancy", np.where(on_duty > 0, busy / on_duty, np.nan))

    totals = {k: v.sum(axis=1) for k, v in by_type.items()}
    overall = service_rates(totals, np.zeros(len(outcomes), dtype=bool))
    rostered = on_duty > 0
    summary = {
        "replications": len(outcomes),
        "seed": seed,
        "policy": policy,
        "demand": scenario.demand.kind,
        "demand_source": scenario.demand.source,
        "horizon_start": str(scenario.interval_starts[0]),
        "intervals": rows,
        "agents_rostered": int(rostered.sum()),
        "contacts_per_replication": float(np.mean([len(o.contacts) for o in outcomes])),
        "events_per_replication": float(np.mean([o.events for o in outcomes])),
    }
    for name, values in overall.items():
        mean, low, high = _interval(values[:, None], 1.0 if name in _SHARES else np.inf)
        summary[name] = _number(mean[0])
        summary[f"{name}_ci"] = [_number(low[0]), _number(high[0])]
    occupancy = busy[:, rostered].sum(axis=1) / max(on_duty[rostered].sum(), 1e-9)
    mean, low, high = _interval(occupancy[:, None], 1.0)
    summary["occupancy"], summary["occupancy_ci"] = _number(mean[0]), [_number(low[0]), _number(high[0])]
    state = scenario.state
    if state is not None:
        moment = scenario.start + pd.Timedelta(seconds=state.at)
        summary["state"] = {
            "at": str(moment.tz_convert(scenario.timezone)),
            "first_interval": str(scenario.interval_starts[first]),
            "waiting": len(state.waiting),
            "in_progress": len(state.busy),
            "agents_busy": len({b.agent for b in state.busy}),
        }
    return SimulationResult(intervals, work_types, priorities, agents, summary)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
