"""What a simulation runs on: the centre's work types and agents (with their working windows from a roster) on an
interval grid, the demand (a forecast to draw arrivals from, or a history to replay), and how random it is.

Everything here is plain arrays and small frozen records, cheap to send to the processes that run replications.
Times inside the simulation are seconds from the start of the grid's first interval.

A scenario may start from a moment of its day instead of its first interval (`SimulationState`): the contacts
waiting then and the contacts agents are handling then; it simulates the rest of the day from there.

Opening hours: no contact arrives while its work type is closed (outside its opening hours, or on a day listed
``closed``). A forecast's volume there, and replayed contacts that arrived then, are handled as the forecast
pipeline handles them (`forecasting.apply_opening_hours`): dropped (the realtime default: callers hear the closed
message, nobody abandons) or moved to the next opening (the deferred default), and `Demand.notes` says how many.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasting import apply_opening_hours
from models import Center, InputError, Mode, OutsideHours, Problem
from models.horizon import Horizon
from planner.shifts import seconds_from, working_windows

__all__ = [
    "AgentSpec",
    "Demand",
    "Draws",
    "InProgress",
    "Scenario",
    "SimulationState",
    "WaitingContact",
    "WorkTypeSpec",
    "build_scenario",
    "forecast_demand",
    "replay_demand",
]

NANOSECONDS = 1_000_000_000


@dataclass(frozen=True)
class Draws:
    """How random the simulated day is. `handle`: handle times per work type are ``lognormal`` with the work
    type's mean and coefficient of variation `handle_cv` (1.0 by default: a call's handle time is about as
    spread as its mean), or ``exponential`` (the Erlang models' assumption). `rate_cv`: the forecast's rate is
    multiplied per work type and day by a gamma draw with mean 1 and this coefficient of variation (0: plain
    Poisson arrivals; 0.1 is typical of a forecast's day-level error). Patience is exponential with the work
    type's ``target.mean_patience_s`` (no abandonment where it has none)."""

    handle: Literal["lognormal", "exponential"] = "lognormal"
    handle_cv: float = 1.0
    rate_cv: float = 0.0

    def __post_init__(self) -> None:
        if self.handle not in ("lognormal", "exponential"):
            raise ValueError(f"handle must be 'lognormal' or 'exponential', got {self.handle!r}")
        if not self.handle_cv > 0:
            raise ValueError(f"handle_cv must be positive, got {self.handle_cv}")
        if not self.rate_cv >= 0:
            raise ValueError(f"rate_cv must be at least 0, got {self.rate_cv}")


@dataclass(frozen=True)
class WorkTypeSpec:
    id: str
    realtime: bool
    priority: int
    aht_s: float
    #: Share of an agent one contact takes: 1 / concurrency (a chat of a 3-chat work type takes a third).
    unit: float
    patience_s: float  # mean; inf: nobody abandons
    within_s: int
    tier_within_s: dict[str, int]
    service_level: float
    over_answered: bool  # service level over answered contacts (else over offered ones)


@dataclass(frozen=True)
class AgentSpec:
    id: str
    #: Work type index -> proficiency (handle time is the drawn time divided by it).
    proficiency: dict[int, float]
    max_contacts: int
    #: Working windows (shift minus breaks), seconds from the grid start, sorted, clipped to the grid.
    windows: tuple[tuple[float, float], ...]

    @property
    def on_duty_s(self) -> float:
        return sum(end - start for start, end in self.windows)

    def windows_from(self, start_s: float) -> tuple[tuple[float, float], ...]:
        """The working windows from `start_s` on (a window under way then starts at `start_s`)."""
        if start_s <= 0:
            return self.windows
        return tuple((max(start, start_s), end) for start, end in self.windows if end > start_s)

    def on_duty_from(self, start_s: float) -> float:
        """Time in working windows from `start_s` on."""
        return sum(end - start for start, end in self.windows_from(start_s))


@dataclass(frozen=True)
class Demand:
    """Arrivals to draw (`volume`: intervals x work types, expected contacts) or to replay (one row per contact,
    sorted by arrival: seconds, work type index, handle time in seconds or NaN to draw it, priority or 0 for the
    work type's, customer tier or "" and ticket id or "")."""

    kind: Literal["forecast", "replay"]
    source: str
    volume: np.ndarray | None = None
    aht_s: np.ndarray | None = None  # intervals x work types; NaN: the work type's
    arrival_s: np.ndarray | None = None
    work_type: np.ndarray | None = None
    handle_s: np.ndarray | None = None
    priority: np.ndarray | None = None
    tier: tuple[str, ...] = ()
    ticket_id: tuple[str, ...] = ()
    #: What was done with demand while its work type was closed (dropped or moved to the next opening).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaitingContact:
    """A contact waiting to be answered (realtime) or worked (deferred) at a `SimulationState`'s moment.

    `arrival_s`: when it arrived, seconds from the grid start (negative: before the grid, e.g. a ticket left from
    an earlier day); `work_type`: the scenario's work type index; `priority`: 1 (highest) to 9, 0 for its work
    type's; `handle_s`: its handle time in seconds at proficiency 1, NaN to draw it as a new contact's;
    `due_s`: when its answer or first response is due, seconds from the grid start, NaN for its work type's (or
    customer tier's) threshold after `arrival_s`; `tier`: customer tier ("" if none); `ticket_id` ("" if none)."""

    arrival_s: float
    work_type: int
    priority: int = 0
    handle_s: float = math.nan
    due_s: float = math.nan
    tier: str = ""
    ticket_id: str = ""


@dataclass(frozen=True)
class InProgress:
    """A contact agent `agent` (its id) is handling at a `SimulationState`'s moment, ending `remaining_s` seconds
    after it; of work type `work_type` (index: it takes the work type's share of the agent, a third for a 3-chat
    work type) or None (it takes the whole agent)."""

    agent: str
    remaining_s: float
    work_type: int | None = None


@dataclass(frozen=True)
class SimulationState:
    """The centre at a moment of the simulated day: `at` (seconds from the grid start), the contacts `waiting`
    then (with their original arrivals, so that their waits count from there) and the contacts agents are
    handling then (`busy`: one `InProgress` per contact; several for an agent holding chats). `notes`: what the
    state's maker could not know (say, who is handling the contacts in progress), for the caller to show.
    `origin`: the grid start its seconds count from, where known (a scenario on another grid refuses it).

    A state is checked on its own here (a `ValueError` naming the field and what to change) and against its
    scenario's grid, work types and agents when a `Scenario` is made with it."""

    at: float
    waiting: tuple[WaitingContact, ...] = ()
    busy: tuple[InProgress, ...] = ()
    notes: tuple[str, ...] = ()
    origin: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        for name in ("waiting", "busy", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems = []
        if not (_is_number(self.at) and math.isfinite(self.at) and self.at >= 0):
            problems.append(f"at = {self.at!r}: give the moment as finite seconds from the grid start, at least 0")
        for i, contact in enumerate(self.waiting):
            problems += [f"waiting[{i}].{p}" for p in _waiting_problems(contact, self.at)]
        for i, held in enumerate(self.busy):
            problems += [f"busy[{i}].{p}" for p in _in_progress_problems(held)]
        if problems:
            raise ValueError("simulation state: " + "; ".join(problems))

    def problems_in(self, scenario: Scenario) -> list[str]:
        """What does not fit `scenario`: a moment off its grid, unknown work types or agents, an agent holding more
        than it can (its shares over 1, or more contacts than its `max_contacts`)."""
        problems = []
        if self.origin is not None and self.origin != scenario.start:
            problems.append(
                f"origin = {self.origin}: the state counts seconds from another grid start than the scenario's "
                f"({scenario.start}); make it on the scenario's horizon"
            )
        if self.at >= scenario.end_s:
            problems.append(
                f"at = {self.at:g} s is not before the end of the grid ({scenario.end_s:g} s): start inside the grid"
            )
        types = len(scenario.work_types)
        for i, contact in enumerate(self.waiting):
            if contact.work_type >= types:
                problems.append(f"waiting[{i}].work_type = {contact.work_type}: the scenario has {types} work types")
        agents = {a.id: k for k, a in enumerate(scenario.agents)}
        load: dict[str, list[float]] = {}
        for i, held in enumerate(self.busy):
            if held.agent not in agents:
                problems.append(f"busy[{i}].agent = {held.agent!r} is not one of the scenario's agents")
                continue
            if held.work_type is not None and held.work_type >= types:
                problems.append(f"busy[{i}].work_type = {held.work_type}: the scenario has {types} work types")
                continue
            unit = 1.0 if held.work_type is None else scenario.work_types[held.work_type].unit
            load.setdefault(held.agent, []).append(unit)
        for agent, units in load.items():
            most = scenario.agents[agents[agent]].max_contacts
            if sum(units) > 1 + 1e-9 or len(units) > most:
                problems.append(
                    f"busy: agent {agent!r} holds {len(units)} contacts taking {sum(units):.2f} of it (at most 1, "
                    f"and at most {most} contacts): list only the contacts it handles at once"
                )
        return problems


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _waiting_problems(contact: WaitingContact, at: float) -> list[str]:
    problems = []
    arrival = contact.arrival_s
    if not (_is_number(arrival) and math.isfinite(arrival)):
        problems.append(f"arrival_s = {arrival!r}: give finite seconds from the grid start")
    elif _is_number(at) and arrival > at:
        problems.append(f"arrival_s = {arrival:g} is after at = {at:g}: a contact waiting at `at` arrived by then")
    if not isinstance(contact.work_type, int | np.integer) or contact.work_type < 0:
        problems.append(f"work_type = {contact.work_type!r}: give the work type's index (0, 1, ...)")
    if not isinstance(contact.priority, int | np.integer) or not 0 <= contact.priority <= 9:
        problems.append(f"priority = {contact.priority!r}: give 1 (highest) to 9, or 0 for the work type's")
    handle = contact.handle_s
    if not (_is_number(handle) and (math.isnan(handle) or (math.isfinite(handle) and handle > 0))):
        problems.append(f"handle_s = {contact.handle_s!r}: give positive seconds, or NaN to draw it")
    due = contact.due_s
    late_enough = not (_is_number(arrival) and math.isfinite(arrival) and due < arrival)
    if not (_is_number(due) and (math.isnan(due) or (math.isfinite(due) and late_enough))):
        problems.append(f"due_s = {due!r}: give seconds from the grid start, not before arrival_s, or NaN")
    return problems


def _in_progress_problems(contact: InProgress) -> list[str]:
    problems = []
    if not isinstance(contact.agent, str) or not contact.agent:
        problems.append(f"agent = {contact.agent!r}: give the agent's id")
    remaining = contact.remaining_s
    if not (_is_number(remaining) and math.isfinite(remaining) and remaining > 0):
        problems.append(f"remaining_s = {remaining!r}: give the positive seconds until the contact ends")
    if contact.work_type is not None and (not isinstance(contact.work_type, int | np.integer) or contact.work_type < 0):
        problems.append(f"work_type = {contact.work_type!r}: give the work type's index, or None for a whole agent")
    return problems


@dataclass(frozen=True)
class Scenario:
    """One day (or week) of the centre to simulate: grid, work types, agents, demand, randomness, and the `state`
    it starts from (None: the grid's start, nobody waiting or busy)."""

    start: pd.Timestamp
    interval_s: int
    intervals: int
    timezone: str
    work_types: tuple[WorkTypeSpec, ...]
    agents: tuple[AgentSpec, ...]
    demand: Demand
    draws: Draws = field(default_factory=Draws)
    state: SimulationState | None = None

    def __post_init__(self) -> None:
        if self.state is not None:
            problems = self.state.problems_in(self)
            if problems:
                raise ValueError("simulation state: " + "; ".join(problems))

    @property
    def end_s(self) -> float:
        return float(self.intervals * self.interval_s)

    @property
    def start_s(self) -> float:
        """When the simulation starts: the state's moment, or the grid's start."""
        return 0.0 if self.state is None else float(self.state.at)

    @property
    def first_interval(self) -> int:
        """The interval the simulation starts in (that of the state's moment, or 0): the results' first row."""
        return int(self.start_s // self.interval_s)

    @property
    def interval_starts(self) -> pd.DatetimeIndex:
        stamps = self.start + pd.to_timedelta(np.arange(self.intervals) * self.interval_s, unit="s")
        return pd.DatetimeIndex(stamps, name="interval_start").tz_convert(self.timezone)

    def interval_day(self) -> np.ndarray:
        """The local day (0, 1, ...) of each interval (DST-correct: a day is a local date, not 86,400 s)."""
        dates = self.interval_starts.date
        return np.asarray(pd.factorize(pd.Index(dates))[0], dtype=np.int64)


def _work_types(center: Center) -> tuple[WorkTypeSpec, ...]:
    specs = []
    for w in center.work_types:
        target = w.target
        patience = target.mean_patience_s if w.mode == Mode.REALTIME and target.mean_patience_s else math.inf
        specs.append(
            WorkTypeSpec(
                id=w.id,
                realtime=w.mode == Mode.REALTIME,
                priority=w.priority,
                aht_s=float(w.aht_s),
                unit=1.0 / w.concurrency,
                patience_s=float(patience),
                within_s=target.within_s,
                tier_within_s=dict(target.tier_within_s),
                service_level=target.service_level,
                over_answered=target.service_level_over == "answered",
            )
        )
    return tuple(specs)


def build_scenario(
    center: Center,
    roster: pd.DataFrame,
    demand: Demand,
    horizon: Horizon,
    draws: Draws | None = None,
    *,
    roster_source: str = "roster",
    state: SimulationState | None = None,
) -> Scenario:
    """The scenario of `roster` (a `models.ROSTER` table) in `center` over `horizon` against `demand`, from `state`
    (None: the grid's start, empty). Agents of the roster who are not in the centre are an input error; agents
    with no shift simply never work; a state that does not fit is a `ValueError` (`SimulationState.problems_in`)."""
    origin = pd.Timestamp(horizon.intervals[0])
    interval_s = center.interval_minutes * 60
    intervals = len(horizon.intervals)
    end_s = float(intervals * interval_s)
    known = {a.id for a in center.agents}
    unknown = sorted(set(roster["agent_id"].astype(str)) - known) if not roster.empty else []
    if unknown:
        raise InputError(
            roster_source,
            Problem(
                "column 'agent_id'",
                f"agents {', '.join(unknown[:5])} are not in the centre",
                "roster only the centre's agents, or add them to the centre file",
            ),
        )
    windows = working_windows(roster, center.timezone, origin, end_s, roster_source)
    work_types = _work_types(center)
    by_skill: dict[str, list[int]] = {}
    for i, w in enumerate(center.work_types):
        by_skill.setdefault(w.skill, []).append(i)
    agents = []
    for agent in center.agents:
        proficiency = {i: s.proficiency for s in agent.skills for i in by_skill.get(s.skill, [])}
        agents.append(
            AgentSpec(
                id=agent.id,
                proficiency=proficiency,
                max_contacts=agent.max_concurrency
                or max((center.work_types[i].concurrency for i in proficiency), default=1),
                windows=tuple(windows.get(agent.id, [])),
            )
        )
    return Scenario(
        start=origin,
        interval_s=interval_s,
        intervals=intervals,
        timezone=center.timezone,
        work_types=work_types,
        agents=tuple(agents),
        demand=demand,
        draws=draws or Draws(),
        state=state,
    )


def forecast_demand(forecast: pd.DataFrame, center: Center, horizon: Horizon, source: str = "forecast") -> Demand:
    """Arrivals drawn from a `models.FORECAST` table (its `volume` per interval x work type, its `aht_s` where
    given) on `horizon`'s grid. Rows off the grid or of unknown work types are input errors."""
    index = {w.id: i for i, w in enumerate(center.work_types)}
    grid = pd.DatetimeIndex(horizon.intervals)
    volume = np.zeros((len(grid), len(index)))
    aht = np.full((len(grid), len(index)), np.nan)
    problems = []
    unknown = sorted(set(forecast["work_type"].astype(str)) - set(index))
    if unknown:
        problems.append(
            Problem(
                "column 'work_type'",
                f"work types {', '.join(unknown[:5])} are not in the centre",
                "forecast only the centre's work types",
            )
        )
    position = grid.get_indexer(pd.DatetimeIndex(forecast["interval_start"]))
    off = np.flatnonzero(position < 0)
    if len(off):
        problems.append(
            Problem(
                f"row {off[0] + 1}, column 'interval_start'",
                f"{len(off)} row(s) are not on the centre's {center.interval_minutes}-minute grid of the horizon",
                f"forecast at the centre's interval ({center.interval_minutes} minutes)",
            )
        )
    InputError.collect(source, problems)
    forecast, notes = apply_opening_hours(forecast, center, ["volume"])
    column = np.array([index[w] for w in forecast["work_type"].astype(str)], dtype=np.int64)
    np.add.at(volume, (position, column), forecast["volume"].to_numpy(dtype=float))
    if "aht_s" in forecast:
        given = forecast["aht_s"].to_numpy(dtype=float)
        aht[position, column] = given
    return Demand(kind="forecast", source=source, volume=volume, aht_s=aht, notes=tuple(notes))


def replay_demand(tickets: pd.DataFrame, center: Center, horizon: Horizon, source: str = "history") -> Demand:
    """Arrivals replayed from per-ticket history (`models.TICKET_HISTORY` columns: `created_at`, `work_type`,
    optional `handle_time_s`, `priority`, `customer_tier`, `ticket_id`) inside `horizon`."""
    index = {w.id: i for i, w in enumerate(center.work_types)}
    unknown = sorted(set(tickets["work_type"].astype(str)) - set(index))
    if unknown:
        raise InputError(
            source,
            Problem(
                "column 'work_type'",
                f"work types {', '.join(unknown[:5])} are not in the centre",
                "replay only the centre's work types, or add them to the centre file",
            ),
        )
    origin = pd.Timestamp(horizon.intervals[0])
    interval_s = center.interval_minutes * 60.0
    end_s = len(horizon.intervals) * interval_s
    arrival = seconds_from(tickets["created_at"], origin, center.timezone)
    keep = (arrival >= 0) & (arrival < end_s)
    frame = tickets.loc[keep]
    arrival, keep, notes = _replay_opening_hours(
        arrival[keep], frame["work_type"].astype(str).to_numpy(), center, horizon, interval_s
    )
    frame = frame.loc[keep]
    order = np.argsort(arrival, kind="stable")

    def column(name: str, default: Any, kind: type) -> np.ndarray:
        if name not in frame:
            return np.full(len(frame), default, dtype=kind)
        return frame[name].fillna(default).to_numpy(dtype=kind)[order]

    return Demand(
        kind="replay",
        source=source,
        arrival_s=arrival[order],
        work_type=np.array([index[w] for w in frame["work_type"].astype(str)], dtype=np.int64)[order],
        handle_s=column("handle_time_s", np.nan, float),
        priority=column("priority", 0, np.int64),
        tier=tuple(column("customer_tier", "", object).astype(str).tolist()),
        ticket_id=tuple(column("ticket_id", "", object).astype(str).tolist()),
        notes=tuple(notes),
    )


def _replay_opening_hours(
    arrival: np.ndarray, work_types: np.ndarray, center: Center, horizon: Horizon, interval_s: float
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Replayed arrivals (seconds from the grid start) of work types that are closed in their interval of the
    grid: dropped, or moved to the start of the work type's next open interval (past the horizon: dropped), as
    the work type's `outside_hours_rule` says. Returns the arrivals kept (moved where moved), which of the
    given ones are kept, and one note per work type affected."""
    grid = pd.DatetimeIndex(horizon.intervals)
    slot = np.minimum((arrival // interval_s).astype(np.int64), len(grid) - 1)
    moved = arrival.astype(float).copy()
    keep = np.ones(len(arrival), dtype=bool)
    notes = []
    for work_type in sorted(set(work_types.tolist())):
        mine = work_types == work_type
        is_open = center.is_open(work_type, grid)
        closed = mine & ~is_open[slot]
        if not closed.any():
            continue
        rule = center.work_type(work_type).outside_hours_rule
        count, total = int(closed.sum()), int(mine.sum())
        head = (
            f"{work_type}: {count:,} replayed contact{'' if count == 1 else 's'} ({count / total:.1%}) arrived "
            "outside opening hours"
        )
        if rule is OutsideHours.DROP:
            keep &= ~closed
            notes.append(f"{head}, dropped (outside_hours: drop)")
            continue
        open_at = np.flatnonzero(is_open)
        target = np.searchsorted(open_at, slot[closed])
        inside = target < len(open_at)
        rows = np.flatnonzero(closed)
        moved[rows[inside]] = open_at[target[inside]] * interval_s
        keep[rows[~inside]] = False
        text = f"{head}, moved to the next opening (outside_hours: next_opening)"
        if (~inside).any():
            text += f"; {int((~inside).sum()):,} of them after the last opening of the horizon, dropped"
        notes.append(text)
    return moved[keep], keep, notes
