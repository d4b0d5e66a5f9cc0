"""From a forecast to the agents each interval needs for each work type (the requirement table of DESIGN.md).

Per work type, by how its contacts are served:
- realtime phone (`erlang_c` / `erlang_a`): the offered load ``a = volume x AHT / interval`` and the target
  "answer X% within T" give the agents by Erlang C, or by Erlang A where the target has a mean patience; never
  above the work type's maximum occupancy.
- chat with concurrency c (`chat`): an agent is c parallel "slots", each handling one chat at the chat AHT. The
  slots needed come from the same queueing maths; the agents are slots / c (whole agents: the slots rounded up to
  a multiple of c). This treats concurrent chats as independent servers, which is optimistic when agents slow
  down with more chats open: measure the chat AHT at the concurrency you run.
- deferred work (`deferred`: e-mail, tickets): there is no queue to answer while the customer waits; the work
  (volume x AHT) must be done within the response window W of the target. `workload_erlangs` is the work per
  interval, `deadline` when the work arriving in it is due, and the requirement is the smoothed profile: the
  work of each interval spread evenly over the open time of its own window, up to its deadline (the least level
  staffing, while the work type is worked, that does all work in time), over the maximum occupancy.
  The roster (issue 5) schedules deferred work against its deadlines directly.

Shrinkage (time paid but not available: training, meetings, absence) is applied last and explicitly, as the
column `required_agents_with_shrinkage` = required / (1 - shrinkage); the other columns are agents on the phones.
Plans can be made on the mean forecast or on a quantile (`plan_on="p90"` for a risk-averse plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from models import Center, InputError, Mode, Problem, WorkType
from planner.staffing.erlang import erlang_a, erlang_c_metrics, required_agents

__all__ = ["REQUIREMENT_COLUMNS", "StaffingSettings", "requirement_table"]

PlanOn = Literal["mean", "p50", "p90"]
_VOLUME_COLUMN = {"mean": "volume", "p50": "volume_p50", "p90": "volume_p90"}
REQUIREMENT_COLUMNS = [
    "interval_start",
    "work_type",
    "volume",
    "aht_s",
    "workload_erlangs",
    "required_agents",
    "required_agents_int",
    "expected_service_level",
    "shrinkage",
    "required_agents_with_shrinkage",
    "method",
    "deadline",
]


@dataclass(frozen=True)
class StaffingSettings:
    """`plan_on`: the forecast column to staff for; `shrinkage`: overrides the centre's when given."""

    plan_on: PlanOn = "mean"
    shrinkage: float | None = None

    def __post_init__(self) -> None:
        if self.plan_on not in _VOLUME_COLUMN:
            raise InputError(
                "--plan-on", Problem("", f"'{self.plan_on}' is not a forecast column", "use mean, p50 or p90")
            )
        if self.shrinkage is not None and not 0 <= self.shrinkage < 1:
            raise InputError("--shrinkage", Problem("", f"{self.shrinkage} is outside [0, 1)", "give a share like 0.3"))


def _interval_seconds(starts: pd.Series, center: Center) -> float:
    """The forecast's interval length: its most common step (the centre's interval for a single interval)."""
    unique = pd.DatetimeIndex(starts.drop_duplicates().sort_values()).as_unit("ns")
    if len(unique) < 2:
        return center.interval_minutes * 60.0
    steps = np.diff(unique.asi8) / 1e9
    return float(pd.Series(steps).mode().iloc[0])


def requirement_table(forecast: pd.DataFrame, center: Center, settings: StaffingSettings | None = None) -> pd.DataFrame:
    """The requirement per interval x work type for `forecast` (a `models.FORECAST` table) in `center`."""
    settings = settings or StaffingSettings()
    unknown = sorted(set(forecast["work_type"]) - set(center.work_types_by_id))
    if unknown:
        raise InputError(
            "forecast",
            Problem(
                "column 'work_type'",
                f"{', '.join(unknown)} are not work types of the centre",
                "forecast with the same centre, or add the work types",
            ),
        )
    interval_s = _interval_seconds(forecast["interval_start"], center)
    shrinkage = center.shrinkage if settings.shrinkage is None else settings.shrinkage
    frames = []
    for work_type_id, rows in forecast.groupby("work_type", sort=False):
        work_type = center.work_type(str(work_type_id))
        rows = rows.sort_values("interval_start")
        volume = rows[_VOLUME_COLUMN[settings.plan_on]].to_numpy(dtype=float)
        aht = rows["aht_s"].to_numpy(dtype=float)
        aht = np.where(np.isfinite(aht) & (aht > 0), aht, work_type.aht_s)
        load = volume * aht / interval_s
        if work_type.mode is Mode.DEFERRED:
            is_open = center.is_open(work_type.id, pd.DatetimeIndex(rows["interval_start"]))
            agents, agents_int, level, method = _deferred(load, is_open, work_type, interval_s)
            deadline = rows["interval_start"] + pd.Timedelta(seconds=work_type.target.within_s)
        else:
            agents, agents_int, level, method = _realtime(load, aht, work_type)
            deadline = pd.Series(pd.NaT, index=rows.index)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": rows["interval_start"],
                    "work_type": work_type.id,
                    "volume": volume,
                    "aht_s": aht,
                    "workload_erlangs": load,
                    "required_agents": agents,
                    "required_agents_int": agents_int,
                    "expected_service_level": level,
                    "shrinkage": shrinkage,
                    "required_agents_with_shrinkage": agents / (1 - shrinkage),
                    "method": method,
                    "deadline": deadline,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["interval_start", "work_type"], kind="stable").reset_index(drop=True)[REQUIREMENT_COLUMNS]


def _realtime(load: np.ndarray, aht: np.ndarray, work_type: WorkType) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    target = work_type.target
    patience = target.mean_patience_s
    concurrency = work_type.concurrency
    need = required_agents(
        load, aht, target.service_level, target.within_s, work_type.max_occupancy, patience_s=patience
    )
    method = "erlang_a" if patience is not None else "erlang_c"
    if concurrency == 1:
        return need.agents, need.agents_int, need.service_level, method
    # Chat: slots from the queueing maths, agents = slots / concurrency, whole agents round the slots up.
    agents_int = np.ceil(need.agents_int / concurrency).astype(np.int64)
    slots = agents_int * concurrency
    if patience is None:
        level = erlang_c_metrics(slots, load, aht, target.within_s).service_level
    else:
        level = erlang_a(slots, load, aht, patience, target.within_s).service_level
    level = np.where(load > 0, level, 1.0)
    return need.agents / concurrency, agents_int, level, "chat"


def _deferred(
    load: np.ndarray, is_open: np.ndarray, work_type: WorkType, interval_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Each interval's work spread evenly over the open intervals of its own response window (from its arrival
    to its deadline): the least level staffing, while open, that does all work in time. Nothing while closed.
    At the horizon's end windows are cut short: work is spread over the open time left, and work with no open
    time left before the horizon ends (e.g. arriving after the last closing) falls to the next horizon."""
    window = max(1, int(round(work_type.target.within_s / interval_s)))
    opened = is_open.astype(float)
    # Open intervals in [s, s + window): a rolling sum over the reversed series.
    ahead = pd.Series(opened[::-1]).rolling(window, min_periods=1).sum().to_numpy()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(ahead > 0, load / ahead, 0.0)  # work per open interval, for work arriving at s
    # Interval t serves the work that arrived in (t - window, t], if it is open.
    smoothed = pd.Series(share).rolling(window, min_periods=1).sum().to_numpy() * opened / work_type.max_occupancy
    return smoothed, np.ceil(smoothed - 1e-9).astype(np.int64), np.full(len(load), np.nan), "deferred"
