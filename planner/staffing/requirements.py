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

Agents who hold a skill at a proficiency below 1 take longer (the simulation divides each handle time by the
agent's proficiency): with `proficiency=True` (the default) the staffing maths uses the **effective handle time**
``AHT x factor``, where the factor of a work type is the mean of 1 / proficiency over the agents holding its
skill, weighted by their contracts' maximum weekly hours. A further factor per interval x work type
(`aht_factor`) can be passed in: the simulation-in-the-loop planner (`planner.loop`) calibrates it where the
simulated service level falls short of what the maths expects. Column `aht_factor` holds the factor used and
`aht_s` the forecast's handle time; `workload_erlangs` is the effective load. Likewise a chat agent handles as many
chats at once as the work type allows *and* the agent's `max_concurrency` does: the slots per agent are the
hours-weighted mean of the two's minimum over the holders.

Opening hours: nobody is staffed while a work type is closed (outside its opening hours, or on a day listed
``closed``). A forecast made elsewhere may still hold volume there; it is handled as the forecast pipeline does
(`forecasting.apply_opening_hours`: dropped for a work type whose `outside_hours_rule` is ``drop``, the realtime
default; moved to the next opening for ``next_opening``, the deferred default), so the requirement is zero in
closed intervals. `opening_hours_notes` says how much was dropped or moved (the `wfm requirements` job prints it).

Shrinkage (time paid but not available: training, meetings, absence) is applied last and explicitly, as the
column `required_agents_with_shrinkage` = required / (1 - shrinkage); the other columns are agents on the phones.
Plans can be made on the mean forecast or on a quantile (`plan_on="p90"` for a risk-averse plan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecasting import apply_opening_hours
from models import Center, InputError, Mode, Problem, WorkType
from planner.staffing.erlang import ServiceLevelOver, erlang_a, erlang_c_metrics, required_agents

__all__ = [
    "REQUIREMENT_COLUMNS",
    "StaffingSettings",
    "effective_concurrency",
    "opening_hours_notes",
    "proficiency_factors",
    "requirement_table",
    "usable_handle_times",
]

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
    "aht_factor",
]


@dataclass(frozen=True)
class StaffingSettings:
    """`plan_on`: the forecast column to staff for; `shrinkage`: overrides the centre's when given;
    `proficiency`: staff for the effective handle time of the agents who hold each skill (module docstring)."""

    plan_on: PlanOn = "mean"
    shrinkage: float | None = None
    proficiency: bool = True

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


def proficiency_factors(center: Center) -> dict[str, float]:
    """Per work type: the mean of 1 / proficiency over the agents holding its skill, weighted by their contracts'
    maximum weekly minutes (1 where nobody holds it: the roster reports that work type as short)."""
    out = {}
    for work_type in center.work_types:
        weight = total = 0.0
        for agent in center.agents:
            for held in agent.skills:
                if held.skill == work_type.skill:
                    hours = float(center.contract_of(agent).max_paid_minutes_week)
                    weight += hours
                    total += hours / held.proficiency
        out[work_type.id] = total / weight if weight > 0 else 1.0
    return out


def effective_concurrency(center: Center) -> dict[str, float]:
    """Per work type: the chats an agent holding its skill really handles at once, the mean of the work type's
    concurrency capped by each holder's `max_concurrency`, weighted by their contracts' maximum weekly minutes (the
    work type's own where nobody holds it)."""
    out = {}
    for work_type in center.work_types:
        weight = total = 0.0
        for agent in center.agents:
            if work_type.skill in agent.skill_ids:
                hours = float(center.contract_of(agent).max_paid_minutes_week)
                weight += hours
                total += hours * min(agent.max_concurrency or work_type.concurrency, work_type.concurrency)
        out[work_type.id] = total / weight if weight > 0 else float(work_type.concurrency)
    return out


def requirement_table(
    forecast: pd.DataFrame,
    center: Center,
    settings: StaffingSettings | None = None,
    aht_factor: pd.Series | None = None,
) -> pd.DataFrame:
    """The requirement per interval x work type for `forecast` (a `models.FORECAST` table) in `center`.
    `aht_factor`: a multiplier of the handle time per row of `forecast` (same index), on top of the proficiency's."""
    settings = settings or StaffingSettings()
    center.require_work_types(forecast["work_type"], "forecast", "forecast with the same centre, or add the work types")
    forecast, _ = apply_opening_hours(forecast, center)
    interval_s = _interval_seconds(forecast["interval_start"], center)
    shrinkage = center.shrinkage if settings.shrinkage is None else settings.shrinkage
    # One vectorised pass over all rows: per-row parameters come from each row's work type.
    if aht_factor is not None:
        forecast = forecast.assign(_factor=aht_factor.reindex(forecast.index).fillna(1.0).to_numpy(dtype=float))
    frame = forecast.sort_values(["work_type", "interval_start"], kind="stable").reset_index(drop=True)
    codes, names = pd.factorize(frame["work_type"])
    work_types = [center.work_type(str(name)) for name in names]

    def per_row(value: Callable[[WorkType], float]) -> np.ndarray:
        return np.array([value(w) for w in work_types], dtype=float)[codes]

    volume = frame[_VOLUME_COLUMN[settings.plan_on]].to_numpy(dtype=float)
    aht = frame["aht_s"].to_numpy(dtype=float)
    aht = np.where(usable_handle_times(aht), aht, per_row(lambda w: w.aht_s))
    factor = np.ones(len(frame))
    slots = {w.id: float(w.concurrency) for w in center.work_types}
    if settings.proficiency:
        by_type = proficiency_factors(center)
        factor *= per_row(lambda w: by_type[w.id])
        slots = effective_concurrency(center)
    if "_factor" in frame:
        factor *= frame["_factor"].to_numpy(dtype=float)
    forecast_aht = aht
    aht = aht * factor
    load = volume * aht / interval_s
    agents = np.zeros(len(frame))
    agents_int = np.zeros(len(frame), dtype=np.int64)
    level = np.full(len(frame), np.nan)
    method = np.empty(len(frame), dtype=object)
    deferred = per_row(lambda w: w.mode is Mode.DEFERRED).astype(bool)
    patience = per_row(lambda w: w.target.mean_patience_s or np.nan)
    over_answered = per_row(lambda w: w.target.service_level_over == "answered").astype(bool)
    realtime = ~deferred & np.isnan(patience)
    if realtime.any():
        _realtime(realtime, load, aht, None, "offered", per_row, slots, agents, agents_int, level, method)
    for over in ("offered", "answered"):
        rows = ~deferred & ~np.isnan(patience) & (over_answered if over == "answered" else ~over_answered)
        if rows.any():
            _realtime(rows, load, aht, patience, over, per_row, slots, agents, agents_int, level, method)
    starts = pd.DatetimeIndex(frame["interval_start"])
    for code, work_type in enumerate(work_types):
        if work_type.mode is Mode.DEFERRED:
            rows = codes == code
            is_open = center.is_open(work_type.id, starts[rows])
            agents[rows] = _deferred(load[rows], is_open, work_type, interval_s)
            agents_int[rows] = np.ceil(agents[rows] - 1e-9).astype(np.int64)
            method[rows] = "deferred"
    within = pd.to_timedelta(per_row(lambda w: w.target.within_s), unit="s")
    table = pd.DataFrame(
        {
            "interval_start": frame["interval_start"],
            "work_type": frame["work_type"],
            "volume": volume,
            "aht_s": forecast_aht,
            "workload_erlangs": load,
            "required_agents": agents,
            "required_agents_int": agents_int,
            "expected_service_level": level,
            "shrinkage": shrinkage,
            "required_agents_with_shrinkage": agents / (1 - shrinkage),
            "method": method,
            "deadline": pd.Series(starts + within).where(deferred),
            "aht_factor": factor,
        }
    )
    return table.sort_values(["interval_start", "work_type"], kind="stable").reset_index(drop=True)[REQUIREMENT_COLUMNS]


def opening_hours_notes(forecast: pd.DataFrame, center: Center) -> list[str]:
    """What `requirement_table` does with the volume `forecast` holds while its work types are closed: one note
    per work type that has any (none for a forecast made with the same centre)."""
    return apply_opening_hours(forecast, center)[1]


def _realtime(
    rows: np.ndarray,
    load: np.ndarray,
    aht: np.ndarray,
    patience: np.ndarray | None,
    over: ServiceLevelOver,
    per_row: Callable[[Callable[[WorkType], float]], np.ndarray],
    slots: dict[str, float],
    agents: np.ndarray,
    agents_int: np.ndarray,
    level: np.ndarray,
    method: np.ndarray,
) -> None:
    """Fill the realtime `rows` in place: Erlang C (or A with `patience`, the service level counted `over` offered
    or answered contacts), and chat as concurrent slots (`slots`: per work type, the chats an agent handles at
    once)."""
    sl = per_row(lambda w: w.target.service_level)[rows]
    within = per_row(lambda w: float(w.target.within_s))[rows]
    occupancy = per_row(lambda w: w.max_occupancy)[rows]
    concurrency = per_row(lambda w: slots[w.id])[rows]
    row_patience = None if patience is None else patience[rows]
    max_abandon = None if patience is None else per_row(lambda w: w.target.max_abandon_rate or 1.0)[rows]
    need = required_agents(
        load[rows], aht[rows], sl, within, occupancy, row_patience, max_abandon, service_level_over=over
    )
    # Chat: the maths gives slots; agents = slots / concurrency, whole agents round the slots up.
    whole = np.ceil(need.agents_int / concurrency).astype(np.int64)
    expected = need.service_level.copy()
    chat = concurrency > 1
    if chat.any():
        servers = whole[chat] * concurrency[chat]
        if row_patience is None:
            chat_level = erlang_c_metrics(servers, load[rows][chat], aht[rows][chat], within[chat]).service_level
        else:
            measures = erlang_a(servers, load[rows][chat], aht[rows][chat], row_patience[chat], within[chat])
            chat_level = measures.service_level if over == "offered" else measures.service_level_answered
        expected[chat] = np.where(load[rows][chat] > 0, chat_level, 1.0)
    agents[rows] = need.agents / concurrency
    agents_int[rows] = whole
    level[rows] = expected
    method[rows] = np.where(chat, "chat", "erlang_c" if row_patience is None else "erlang_a")


def usable_handle_times(aht_s: np.ndarray) -> np.ndarray:
    """Where a forecast's `aht_s` is used: a finite positive number; elsewhere the requirement takes the centre's
    `aht_s` of the work type."""
    return np.asarray(np.isfinite(aht_s) & (aht_s > 0), dtype=bool)


def _deferred(load: np.ndarray, is_open: np.ndarray, work_type: WorkType, interval_s: float) -> np.ndarray:
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
    served = pd.Series(share).rolling(window, min_periods=1).sum().to_numpy()
    return np.asarray(served * opened / work_type.max_occupancy, dtype=float)
