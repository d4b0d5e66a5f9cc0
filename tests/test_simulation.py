"""The discrete-event simulation (planner.simulation) against queueing theory, exact hand-built replays, and the
rules and bookkeeping it must keep.

Where each expected number comes from, and its tolerance:

1. Erlang C and Erlang A (planner.staffing.erlang, itself checked against published calculators and an exact
   Markov-chain solution in test_staffing_erlang.py): the simulated figures are means over independent
   replications of a long stationary horizon, after a warm-up. The tolerance is 4 standard errors of that mean
   (a correct simulation fails with probability about 6e-5 under the normal approximation) plus a small
   allowance for what is left of the empty start; each test also bounds the standard error, so that the check
   keeps its power (a wrong answer cannot hide in noise).
2. Replays of a handful of contacts with given arrival and handle times: the timeline is worked out by hand in
   each test and must match to float precision.
3. Bookkeeping (conservation, backlog, confidence intervals, seeds): recomputed independently from the
   per-contact `Outcome` of the same seeds.

Times are local wall-clock in Europe/London on Monday 2026-06-01 (no DST change) on a 60-min grid; seconds in a
scenario count from local midnight of the horizon's first day.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from models import Center, InputError
from planner.runtime import Cancellation, Interrupted
from planner.simulation import (
    Draws,
    Outcome,
    PlannedAssignment,
    PriorityFirst,
    ReplanningAssignment,
    RoutingPolicy,
    Scenario,
    SimulationResult,
    SimulationSettings,
    build_scenario,
    draw_contacts,
    forecast_demand,
    replay_demand,
    run_replication,
    simulate,
)
from planner.staffing.erlang import erlang_a, erlang_c_metrics
from tests.conftest import assert_problem
from tests.roster_helpers import CALLS, MONDAY, agent, at, build_center, day, work_type

HOUR = 3600.0
MIDNIGHT = at(MONDAY, "00:00")


# -- builders ---------------------------------------------------------------------------------------------------


def when(hhmm: str, seconds: float = 0.0, on: date = MONDAY) -> pd.Timestamp:
    """Local wall-clock `hhmm` on `on`, plus `seconds`."""
    return at(on, hhmm) + pd.Timedelta(seconds=seconds)


def sec(hhmm: str, seconds: float = 0.0, on: date = MONDAY) -> float:
    """`when(...)` as seconds from the scenario start (local midnight of MONDAY)."""
    return (when(hhmm, seconds, on) - MIDNIGHT).total_seconds()


def realtime(
    work_type_id: str = "calls",
    skill: str = "phone",
    *,
    priority: int = 1,
    aht_s: float = 300,
    within_s: int = 20,
    patience_s: float | None = None,
    over: str | None = None,
    channel: str = "phone",
    concurrency: int = 1,
) -> dict[str, Any]:
    target: dict[str, Any] = {"service_level": 0.8, "within_s": within_s}
    if patience_s is not None:
        target["mean_patience_s"] = patience_s
    if over is not None:
        target["service_level_over"] = over
    return {
        "id": work_type_id,
        "channel": channel,
        "mode": "realtime",
        "skill": skill,
        "priority": priority,
        "target": target,
        "aht_s": aht_s,
        "concurrency": concurrency,
    }


def shift(
    agent_id: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    breaks: Sequence[tuple[pd.Timestamp, pd.Timestamp]] = (),
    *,
    as_json: bool = False,
) -> dict[str, Any]:
    """A roster row; breaks as [start, end] pairs of timestamps, or as JSON text (as read from a CSV)."""
    pairs = [[b0, b1] for b0, b1 in breaks]
    cell: Any = json.dumps([[b0.isoformat(), b1.isoformat()] for b0, b1 in pairs]) if as_json else pairs
    worked = (end - start).total_seconds() - sum((b1 - b0).total_seconds() for b0, b1 in pairs)
    return {
        "agent_id": agent_id,
        "date": start.tz_convert(MIDNIGHT.tz).date(),
        "start": start,
        "end": end,
        "shift_template": "early",
        "breaks": cell,
        "paid_minutes": int(worked // 60),
    }


def always_on(agent_ids: Iterable[str], days: int) -> pd.DataFrame:
    """Each agent on duty from the first midnight to the last, with no break."""
    return pd.DataFrame([shift(a, MIDNIGHT, at(day(days), "00:00")) for a in agent_ids])


def ticket(
    created_at: pd.Timestamp, work_type_id: str = "calls", handle_s: float = 300.0, ticket_id: str = "", **extra: Any
) -> dict[str, Any]:
    row = {"created_at": created_at, "work_type": work_type_id, "handle_time_s": handle_s, "ticket_id": ticket_id}
    return row | extra


def replay(
    center: Center, roster: Sequence[dict[str, Any]], tickets: Sequence[dict[str, Any]], *, days: int = 1
) -> Scenario:
    horizon = center.horizon(MONDAY, days)
    demand = replay_demand(pd.DataFrame(list(tickets)), center, horizon)
    return build_scenario(center, pd.DataFrame(list(roster)), demand, horizon, Draws(handle="exponential"))


def run_once(scenario: Scenario, policy: RoutingPolicy | None = None, seed: int = 0) -> Outcome:
    return run_replication(scenario, policy or PriorityFirst(), seed)


def steady_scenario(center: Center, agents: int, volume_per_hour: float, days: int) -> Scenario:
    """`agents` agents always on duty, Poisson arrivals at a constant rate, exponential handle times."""
    horizon = center.horizon(MONDAY, days)
    forecast = pd.DataFrame({"interval_start": horizon.intervals, "work_type": "calls", "volume": volume_per_hour})
    demand = forecast_demand(forecast, center, horizon)
    roster = always_on([f"a{i}" for i in range(agents)], days)
    return build_scenario(center, roster, demand, horizon, Draws(handle="exponential"))


def replications(scenario: Scenario, count: int, seed: int) -> list[Outcome]:
    """The outcomes `simulate` would have: replication i runs on the i-th child of `seed`."""
    return [run_once(scenario, seed=child) for child in np.random.SeedSequence(seed).spawn(count)]


def waits(outcome: Outcome) -> np.ndarray:
    """Each contact's wait in queue: until answered, until it abandoned, NaN if still waiting at the end."""
    arrival = outcome.contacts.arrival
    return np.where(
        ~np.isnan(outcome.answered),
        outcome.answered - arrival,
        np.where(~np.isnan(outcome.abandoned), outcome.abandoned - arrival, np.nan),
    )


def mean_and_error(values: Sequence[float]) -> tuple[float, float]:
    """Mean over replications and its standard error."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1) / np.sqrt(len(array)))


# -- 1, 2. Validation against queueing theory -------------------------------------------------------------------

#: Offered load, agents, AHT and answer threshold of the Erlang C check: 80% occupancy, C(10, 8) = 0.41, so
#: waiting is common and the service level (0.64) far from both 0 and 1.
ERLANG_C = {"n": 10, "a": 8.0, "aht_s": 300.0, "t_s": 20.0}
#: Arrivals in the first hours meet a queue that started empty (it relaxes in about aht / (sqrt(n) - sqrt(a))^2
#: = 45 min here): they are left out; and so are the last hour's, whose waits are cut off by the end.
WARM_UP_S = 4 * HOUR
COOL_DOWN_S = 1 * HOUR
#: 4 standard errors (see the module docstring) and what is left of the empty start after 4 hours (> 5 relaxation
#: times: e^-5 of a deviation below 0.4 is below 0.003 in a service level, below 0.5 s in an ASA of 60 s).
SIGMAS = 4.0
START_ALLOWANCE_SL = 0.003
START_ALLOWANCE_ASA_S = 0.5


def test_service_level_and_asa_match_erlang_c() -> None:
    n, a, aht, t = ERLANG_C["n"], ERLANG_C["a"], ERLANG_C["aht_s"], ERLANG_C["t_s"]
    center = build_center([agent(f"a{i}") for i in range(int(n))], work_types=[realtime(aht_s=aht, within_s=int(t))])
    scenario = steady_scenario(center, int(n), volume_per_hour=a * HOUR / aht, days=3)
    levels, asas = [], []
    for outcome in replications(scenario, 20, seed=11):
        arrival = outcome.contacts.arrival
        kept = (arrival >= WARM_UP_S) & (arrival < scenario.end_s - COOL_DOWN_S)
        wait = waits(outcome)[kept]
        assert not np.isnan(wait).any()  # no patience: every kept contact is answered
        levels.append(np.mean(wait <= t))  # answered within t over offered
        asas.append(wait.mean())
    expected = erlang_c_metrics(n, a, aht, t)
    level, level_se = mean_and_error(levels)
    asa, asa_se = mean_and_error(asas)
    assert level_se < 0.01 and asa_se < 4.0  # the check has power: 4 standard errors stay small
    assert abs(level - float(expected.service_level)) <= SIGMAS * level_se + START_ALLOWANCE_SL, (level, expected)
    assert abs(asa - float(expected.asa_s)) <= SIGMAS * asa_se + START_ALLOWANCE_ASA_S, (asa, expected)


def test_abandonment_and_service_level_match_erlang_a() -> None:
    # 90% offered load, exponential patience of 180 s: P(abandon) = 0.10, SL over offered 0.71, over answered 0.78.
    n, a, aht, patience, t = 10, 9.0, 300.0, 180.0, 20
    center = build_center(
        [agent(f"a{i}") for i in range(n)],
        work_types=[realtime(aht_s=aht, within_s=t, patience_s=patience)],
    )
    scenario = steady_scenario(center, n, volume_per_hour=a * HOUR / aht, days=2)
    figures: dict[str, list[float]] = {"abandon": [], "offered": [], "answered": [], "wait": []}
    for outcome in replications(scenario, 20, seed=12):
        arrival = outcome.contacts.arrival
        kept = (arrival >= WARM_UP_S) & (arrival < scenario.end_s - COOL_DOWN_S)
        answered = ~np.isnan(outcome.answered[kept])
        abandoned = ~np.isnan(outcome.abandoned[kept])
        wait = waits(outcome)[kept]
        assert not (answered & abandoned).any() and (answered | abandoned).all()
        met = answered & (wait <= t)
        figures["abandon"].append(abandoned.mean())
        figures["offered"].append(met.mean())  # erlang_a's `service_level`: answered within t over offered
        figures["answered"].append(met.sum() / answered.sum())  # ... `service_level_answered`
        figures["wait"].append(wait.mean())  # erlang_a's `asa_s`: mean wait over all arrivals, abandoners too
    expected = erlang_a(n, a, aht, patience, t)
    checks = {
        "abandon": (float(expected.abandon_probability), 0.005),
        "offered": (float(expected.service_level), 0.01),
        "answered": (float(expected.service_level_answered), 0.01),
        "wait": (float(expected.asa_s), 1.0),
    }
    # The empty start's allowance as for Erlang C, relative to each figure's size.
    allowance = {"abandon": 0.003, "offered": START_ALLOWANCE_SL, "answered": START_ALLOWANCE_SL, "wait": 0.5}
    for name, (theory, max_se) in checks.items():
        mean, error = mean_and_error(figures[name])
        assert error < max_se, (name, error)
        assert abs(mean - theory) <= SIGMAS * error + allowance[name], (name, mean, theory)


# -- 3. Conservation --------------------------------------------------------------------------------------------

#: A multi-skill day: calls (priority 1, patience), chats (3 at once, patience) and deferred emails; agents with
#: one or two skills, a lower proficiency, a concurrency cap and breaks; demand before, during and after the
#: shifts, and more than the shifts can take, so that contacts are answered, abandoned and left unresolved.
MULTI_WORK_TYPES = [
    realtime("calls", "phone", priority=1, aht_s=300, within_s=20, patience_s=240),
    realtime("chats", "chat", priority=2, aht_s=600, within_s=60, patience_s=600, channel="chat", concurrency=3),
    work_type("emails", "back", priority=3, deferred=True, within_s=3600),
]
MULTI_AGENTS = [
    agent("p1", "phone"),
    agent("p2", "phone", {"skill": "chat", "proficiency": 0.5}),  # type: ignore[arg-type]
    agent("c1", "chat"),
    agent("c2", "chat", max_concurrency=2),
    agent("b1", "back", {"skill": "phone", "proficiency": 0.8}),  # type: ignore[arg-type]
]
#: Working windows (local HH:MM): shift and breaks. p1's breaks come as JSON text, as read from a roster CSV.
MULTI_SHIFTS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "p1": ("08:00", "16:00", [("12:00", "12:30")]),
    "p2": ("10:00", "18:00", [("12:30", "13:00"), ("15:00", "15:15")]),
    "c1": ("08:00", "16:00", [("11:00", "11:30")]),
    "c2": ("12:00", "20:00", [("16:00", "16:30")]),
    "b1": ("09:00", "17:00", [("13:00", "13:30")]),
}
#: Expected contacts per hour from 07:00 to 21:00.
MULTI_VOLUME = {"calls": 40.0, "chats": 30.0, "emails": 8.0}


def multi_skill_scenario() -> Scenario:
    center = build_center(MULTI_AGENTS, work_types=MULTI_WORK_TYPES)
    horizon = center.horizon(MONDAY, 1)
    roster = pd.DataFrame(
        [
            shift(a, when(s), when(e), [(when(b0), when(b1)) for b0, b1 in cuts], as_json=a == "p1")
            for a, (s, e, cuts) in MULTI_SHIFTS.items()
        ]
    )
    grid = horizon.intervals
    open_hours = grid[(grid >= when("07:00")) & (grid < when("21:00"))]
    forecast = pd.concat(
        [pd.DataFrame({"interval_start": open_hours, "work_type": w, "volume": v}) for w, v in MULTI_VOLUME.items()]
    )
    demand = forecast_demand(forecast, center, horizon)
    return build_scenario(center, roster, demand, horizon, Draws())


@pytest.fixture(scope="module")
def multi() -> Scenario:
    return multi_skill_scenario()


def test_every_offered_contact_is_answered_abandoned_or_unresolved(multi: Scenario) -> None:
    result = simulate(multi, SimulationSettings(replications=3, seed=5))
    rows = result.intervals
    parts = rows["answered"] + rows["abandoned"] + rows["unresolved"]
    np.testing.assert_allclose(rows["offered"], parts, rtol=0, atol=1e-9)
    assert (rows["answered_within"] + rows["sla_breaches"] <= rows["offered"] + 1e-9).all()
    # Every outcome occurs, so the identity is not trivially 0 = 0 + 0 + 0.
    assert rows[["answered", "abandoned", "unresolved"]].sum().min() > 0
    # Per work type: the day's figures are the sum of its intervals', and add up the same way.
    by_type = rows.groupby("work_type")[["offered", "answered", "abandoned", "unresolved"]].sum()
    table = result.work_types.set_index("work_type")
    np.testing.assert_allclose(table.loc[by_type.index, by_type.columns], by_type, rtol=1e-12)
    np.testing.assert_allclose(table["offered"], table["answered"] + table["abandoned"] + table["unresolved"])
    assert table.loc["emails", "unresolved"] > 0 and table.loc["emails", "abandoned"] == 0  # deferred: no patience
    # Per priority: offered is that of its work types.
    offered = table.groupby("priority")["offered"].sum()
    np.testing.assert_allclose(result.priorities.set_index("priority")["offered"], offered)
    assert result.summary["contacts_per_replication"] == pytest.approx(table["offered"].sum())


def test_each_contact_has_one_fate_and_the_backlog_counts_the_waiting(multi: Scenario) -> None:
    outcome = run_once(multi, seed=3)
    contacts = outcome.contacts
    answered, abandoned = ~np.isnan(outcome.answered), ~np.isnan(outcome.abandoned)
    assert not (answered & abandoned).any()
    assert ((outcome.agent >= 0) == answered).all()
    assert (outcome.answered[answered] >= contacts.arrival[answered]).all()
    # A contact abandons exactly when its patience runs out.
    np.testing.assert_allclose(outcome.abandoned[abandoned], (contacts.arrival + contacts.patience)[abandoned])
    # Backlog at the end of each interval: arrived, neither answered nor abandoned by then, per work type.
    ends = (np.arange(multi.intervals) + 1) * multi.interval_s
    gone = np.fmin(outcome.answered, outcome.abandoned)  # NaN: still waiting at the end
    for w in range(len(multi.work_types)):
        mine = contacts.work_type == w
        # `gone < e` is False for NaN: a contact never answered nor abandoned is waiting at every later end.
        waiting = [int(np.sum(mine & (contacts.arrival < e) & ~(gone < e))) for e in ends]
        np.testing.assert_array_equal(outcome.backlog[:, w], waiting)
    assert outcome.backlog.max() > 0
    # Handled per agent: the answered contacts that finished before the end (handle time over proficiency).
    center = build_center(MULTI_AGENTS, work_types=MULTI_WORK_TYPES)
    finished = np.zeros(len(multi.agents), dtype=np.int64)
    for c in np.flatnonzero(answered):
        a = int(outcome.agent[c])
        skill = center.work_types[int(contacts.work_type[c])].skill
        end = outcome.answered[c] + contacts.handle[c] / center.agents[a].proficiency(skill)
        finished[a] += end < multi.end_s
    np.testing.assert_array_equal(outcome.handled, finished)


# -- 4. Reproducibility -----------------------------------------------------------------------------------------


def assert_same_result(left: SimulationResult, right: SimulationResult) -> None:
    for name in ("intervals", "work_types", "priorities", "agents"):
        pd.testing.assert_frame_equal(getattr(left, name), getattr(right, name))
    timing = {"wall_s", "workers"}
    assert {k: v for k, v in left.summary.items() if k not in timing} == {
        k: v for k, v in right.summary.items() if k not in timing
    }


def test_same_seed_gives_the_same_result_on_any_number_of_workers(multi: Scenario) -> None:
    serial = simulate(multi, SimulationSettings(replications=4, seed=9, workers=1))
    again = simulate(multi, SimulationSettings(replications=4, seed=9, workers=1))
    parallel = simulate(multi, SimulationSettings(replications=4, seed=9, workers=2))
    assert_same_result(serial, again)
    assert_same_result(serial, parallel)
    assert parallel.summary["workers"] == min(2, os.cpu_count() or 1)
    other = simulate(multi, SimulationSettings(replications=4, seed=10, workers=1))
    assert not other.intervals["offered"].equals(serial.intervals["offered"])
    assert other.summary["service_level"] != serial.summary["service_level"]


def test_replication_i_runs_on_the_ith_child_seed(multi: Scenario) -> None:
    result = simulate(multi, SimulationSettings(replications=3, seed=21))
    outcomes = replications(multi, 3, seed=21)
    assert result.summary["contacts_per_replication"] == pytest.approx(np.mean([len(o.contacts) for o in outcomes]))
    np.testing.assert_allclose(result.agents["handled"], np.mean([o.handled for o in outcomes], axis=0))
    np.testing.assert_allclose(result.agents["busy_h"], np.mean([o.busy_s for o in outcomes], axis=0) / HOUR)
    # One replication of the same seed is the first of those.
    first = simulate(multi, SimulationSettings(replications=1, seed=21))
    np.testing.assert_allclose(first.agents["handled"], outcomes[0].handled)


@pytest.mark.parametrize("workers", [1, 2])
def test_each_finished_replication_is_reported_and_the_result_is_the_same(multi: Scenario, workers: int) -> None:
    calls: list[tuple[int, int]] = []
    reported = simulate(
        multi, SimulationSettings(replications=3, seed=9, workers=workers, on_replication=lambda *a: calls.append(a))
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]  # done so far, of all; in the order they finish
    assert_same_result(reported, simulate(multi, SimulationSettings(replications=3, seed=9)))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cancelled_simulation_stops_between_replications(multi: Scenario, workers: int) -> None:
    cancel = Cancellation()

    def stop_after_the_first(done: int, total: int) -> None:
        cancel.cancel()

    settings = SimulationSettings(
        replications=6, seed=9, workers=workers, on_replication=stop_after_the_first, cancel=cancel
    )
    with pytest.raises(Interrupted, match="cancelled after [1-6] of 6 replications"):
        simulate(multi, settings)
    assert SimulationSettings(replications=3) == SimulationSettings(replications=3, on_replication=print)


# -- 5. Rules the engine keeps ----------------------------------------------------------------------------------


def working_windows(name: str) -> list[tuple[float, float]]:
    """`name`'s working windows in MULTI_SHIFTS (shift minus breaks), seconds, worked out here independently."""
    start, end, cuts = MULTI_SHIFTS[name]
    edges = [sec(start)] + [sec(x) for cut in cuts for x in cut] + [sec(end)]
    return list(zip(edges[::2], edges[1::2], strict=True))


def test_engine_keeps_skills_windows_and_concurrency(multi: Scenario) -> None:
    center = build_center(MULTI_AGENTS, work_types=MULTI_WORK_TYPES)
    kinds = [w.id for w in multi.work_types]
    chats = kinds.index("chats")
    most_chats = {"p2": 3, "c1": 3, "c2": 2}  # the work type's concurrency, or the agent's cap
    peak: dict[str, int] = {}
    for seed in range(3):
        outcome = run_once(multi, seed=seed)
        contacts = outcome.contacts
        for a, spec in enumerate(multi.agents):
            mine = np.flatnonzero(outcome.agent == a)
            assert len(mine) > 0, spec.id
            skills = {s.skill: s.proficiency for s in center.agent(spec.id).skills}
            start = outcome.answered[mine]
            kind = contacts.work_type[mine]
            # Skill: only work types whose skill the agent has.
            assert {center.work_types[int(k)].skill for k in kind} <= set(skills), spec.id
            # Windows: every start inside a working window [start, end), never in a break or off shift.
            windows = working_windows(spec.id)
            inside = [any(w0 <= t < w1 for w0, w1 in windows) for t in start]
            assert all(inside), (spec.id, start[~np.array(inside)])
            # Concurrency: the contacts in hand when each one starts (handle time scaled by proficiency).
            end = start + contacts.handle[mine] / np.array([skills[center.work_types[int(k)].skill] for k in kind])
            for i in range(len(mine)):
                held = (start <= start[i]) & (end > start[i])
                held_kinds = set(kind[held].tolist())
                count = int(held.sum())
                if chats in held_kinds:
                    assert held_kinds == {chats}, (spec.id, start[i])  # never a call with a chat
                    assert count <= most_chats[spec.id], (spec.id, start[i], count)
                else:
                    assert count == 1, (spec.id, start[i], count)
                peak[spec.id] = max(peak.get(spec.id, 0), count)
            if spec.id == "p2":  # both kinds, so "never a call with a chat" is put to the test
                assert set(kind.tolist()) == {chats, kinds.index("calls")}
    # The demand keeps the chat agents full: the caps are reached, not merely respected.
    assert peak["c1"] == 3 and peak["c2"] == 2
    assert peak["p1"] == 1


def test_handle_time_is_scaled_by_proficiency() -> None:
    # One agent at proficiency 0.5: two 600 s contacts take 1200 s each, so the second waits until 09:20.
    center = build_center([agent("slow", {"skill": "phone", "proficiency": 0.5})])  # type: ignore[arg-type]
    scenario = replay(
        center,
        [shift("slow", when("08:00"), when("16:00"))],
        [ticket(when("09:00"), handle_s=600), ticket(when("09:00", 30), handle_s=600)],
    )
    outcome = run_once(scenario)
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:20")])
    assert outcome.busy_s[0] == pytest.approx(2400.0)
    assert outcome.handled[0] == 2 and outcome.overrun_s[0] == 0


def test_handling_past_a_windows_end_is_overrun_and_nothing_new_starts() -> None:
    # The shift ends at 09:05. The 09:00 call (600 s) runs 5 min into overrun; the 09:01 call is never started.
    center = build_center([agent("solo")])
    tickets = [ticket(when("09:00"), handle_s=600), ticket(when("09:01"), handle_s=60)]
    scenario = replay(center, [shift("solo", when("08:00"), when("09:05"))], tickets)
    outcome = run_once(scenario)
    np.testing.assert_array_equal(outcome.answered, [sec("09:00"), np.nan])
    assert (outcome.busy_s[0], outcome.overrun_s[0], outcome.handled[0]) == (300.0, 300.0, 1)
    result = simulate(scenario, SimulationSettings(replications=1, seed=0))
    solo = result.agents.iloc[0]
    assert solo["on_duty_h"] == pytest.approx(65 / 60) and solo["overrun_min"] == pytest.approx(5.0)
    assert solo["occupancy"] == pytest.approx(300 / 3900) and result.summary["occupancy"] == pytest.approx(300 / 3900)
    calls = result.work_types.iloc[0]
    assert (calls["answered"], calls["unresolved"], calls["sla_breaches"]) == (1, 1, 1)


@pytest.mark.parametrize("edge", ["shift end", "break start"])
def test_a_contact_arriving_as_a_window_ends_waits_for_the_next_window(edge: str) -> None:
    # The agent works 08:00-10:00 (then a break 10:00-10:30, or the shift ends). A call arriving at 10:00:00
    # sharp, with the agent free, must not be started at 10:00: windows are half-open, [08:00, 10:00).
    center = build_center([agent("solo")])
    if edge == "shift end":
        roster = [shift("solo", when("08:00"), when("10:00"))]
        expected = np.nan  # nobody works after 10:00
    else:
        roster = [shift("solo", when("08:00"), when("16:00"), [(when("10:00"), when("10:30"))])]
        expected = sec("10:30")
    outcome = run_once(replay(center, roster, [ticket(when("10:00"))]))
    np.testing.assert_array_equal(outcome.answered, [expected])


# -- 6. Priority ------------------------------------------------------------------------------------------------


def test_higher_priority_contact_is_served_first() -> None:
    # One agent serves two work types of one skill. It is busy with a priority-2 call 09:00-09:10; meanwhile
    # another priority-2 call arrives at 09:01 and a priority-1 call at 09:02. At 09:10 it takes the priority-1
    # call although it came later; at 09:15 the priority-2 one.
    center = build_center(
        [agent("solo")],
        work_types=[realtime("vip", "phone", priority=1), realtime("general", "phone", priority=2)],
    )
    tickets = [
        ticket(when("09:00"), "general", 600, "busy"),
        ticket(when("09:01"), "general", 300, "early-general"),
        ticket(when("09:02"), "vip", 300, "late-vip"),
    ]
    outcome = run_once(replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets))
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:15"), sec("09:10")])
    # A ticket's own priority (history column) overrides its work type's: the same calls, the first general
    # one marked priority 1, now go first-come first-served.
    tickets[1] = tickets[1] | {"priority": 1}
    outcome = run_once(replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets))
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:10"), sec("09:15")])


def test_an_agent_holding_chats_takes_no_lower_priority_chat_while_a_call_waits() -> None:
    # One agent with phone and chat (3 chats at once). It takes a chat at 09:00 (ends 09:20). A priority-1 call
    # arrives at 09:01 and cannot fit beside the chat, so it waits; priority-2 chats arriving at 09:02 and
    # 09:03 would fit, but the agent owes the call: it takes no new chat, and at 09:20 answers the call (09:20 -
    # 09:25), then the two chats.
    center = build_center(
        [agent("solo", "phone", "chat")],
        work_types=[
            realtime("calls", "phone", priority=1),
            realtime("chats", "chat", priority=2, channel="chat", concurrency=3),
        ],
    )
    tickets = [
        ticket(when("09:00"), "chats", 1200, "first-chat"),
        ticket(when("09:01"), "calls", 300, "call"),
        ticket(when("09:02"), "chats", 600, "second-chat"),
        ticket(when("09:03"), "chats", 600, "third-chat"),
    ]
    outcome = run_once(replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets))
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:20"), sec("09:25"), sec("09:25")])


def test_naive_times_are_local_time_in_the_centres_zone() -> None:
    # The same day written with naive local times (as a CSV without offsets is read) and with tz-aware ones gives
    # the same timeline: shift, breaks and arrivals all in Europe/London (UTC+1 in June), not UTC.
    center = build_center([agent("solo")])
    aware = [shift("solo", when("08:00"), when("12:00"), [(when("10:00"), when("10:30"))])]
    naive = [
        row
        | {
            "start": row["start"].tz_localize(None),
            "end": row["end"].tz_localize(None),
            "breaks": [[b.tz_localize(None) for b in pair] for pair in row["breaks"]],
        }
        for row in aware
    ]
    tickets = [ticket(when("08:30"), handle_s=60), ticket(when("10:10"), handle_s=60)]
    naive_tickets = [t | {"created_at": t["created_at"].tz_localize(None)} for t in tickets]
    expected = [sec("08:30"), sec("10:30")]
    np.testing.assert_allclose(run_once(replay(center, aware, tickets)).answered, expected)
    np.testing.assert_allclose(run_once(replay(center, naive, naive_tickets)).answered, expected)
    scenario = replay(center, naive, naive_tickets)
    plan = pd.DataFrame({"ticket_id": ["x"], "agent_id": ["solo"], "planned_start": [when("09:00").tz_localize(None)]})
    assert PlannedAssignment.from_table(plan, scenario.start).plan == {"x": ("solo", sec("09:00"))}


def test_an_arriving_contact_goes_to_an_agent_not_needed_for_higher_priority_work() -> None:
    # Two free agents: "both" (vip and general; on, idle, since 07:00) and "general" (since 08:00). A general
    # call at 09:00 goes to "general" although "both" has been idle longer, so that a vip call at 09:01 is
    # answered at once by "both"; by longest idle alone, the vip call would have waited until 09:10.
    center = build_center(
        [agent("both", "vip", "phone"), agent("general", "phone")],
        work_types=[realtime("vip", "vip", priority=1), realtime("general", "phone", priority=2)],
    )
    roster = [shift("both", when("07:00"), when("16:00")), shift("general", when("08:00"), when("16:00"))]
    tickets = [ticket(when("09:00"), "general", 600, "general"), ticket(when("09:01"), "vip", 300, "vip")]
    outcome = run_once(replay(center, roster, tickets))
    assert outcome.agent.tolist() == [1, 0]
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:01")])


def test_an_arriving_contact_goes_to_an_agent_not_needed_for_scarcer_work_of_the_same_priority() -> None:
    # Same priority everywhere. "spanish" holds tech and tech_es (only agent for tech_es; idle since 07:00),
    # "tech1" and "tech2" hold tech (since 08:00). A tech call at 09:00 goes to a tech-only agent although
    # "spanish" has been idle longest, so that a tech_es call at 09:01 is answered at once by "spanish".
    center = build_center(
        [agent("spanish", "tech_es", "tech"), agent("tech1", "tech"), agent("tech2", "tech")],
        work_types=[realtime("tech_es", "tech_es", priority=2), realtime("tech", "tech", priority=2)],
    )
    roster = [shift("spanish", when("07:00"), when("16:00"))] + [
        shift(a, when("08:00"), when("16:00")) for a in ("tech1", "tech2")
    ]
    tickets = [ticket(when("09:00"), "tech", 600, "tech"), ticket(when("09:01"), "tech_es", 300, "tech_es")]
    outcome = run_once(replay(center, roster, tickets))
    assert outcome.agent.tolist()[1] == 0 and outcome.agent.tolist()[0] in (1, 2)
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:01")])


def test_same_priority_is_served_in_arrival_order() -> None:
    center = build_center([agent("solo")])
    tickets = [ticket(when("09:00"), handle_s=600)] + [ticket(when("09:01", s), handle_s=60) for s in (30, 10, 20)]
    outcome = run_once(replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets))
    # Sorted by arrival: 09:00, 09:01:10, 09:01:20, 09:01:30, answered 09:10, 09:11, 09:12 in that order.
    np.testing.assert_allclose(outcome.contacts.arrival, [sec("09:00"), *(sec("09:01", s) for s in (10, 20, 30))])
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:10"), sec("09:11"), sec("09:12")])


def test_deferred_work_is_served_earliest_due_first() -> None:
    # The agent is on a call until 09:10. A slow email (due in 24 h) arrives at 09:01, a fast one (due in 1 h)
    # at 09:02 and a second fast one at 09:03: the fast ones are due first, so they go first.
    center = build_center(
        [agent("solo", "desk")],
        work_types=[
            realtime("calls", "desk", priority=1),
            work_type("slow", "desk", priority=2, deferred=True, within_s=86400),
            work_type("fast", "desk", priority=2, deferred=True, within_s=3600),
        ],
    )
    tickets = [
        ticket(when("09:00"), "calls", 600),
        ticket(when("09:01"), "slow", 600),
        ticket(when("09:02"), "fast", 600),
        ticket(when("09:03"), "fast", 600),
    ]
    outcome = run_once(replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets))
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:30"), sec("09:10"), sec("09:20")])


def with_tiers(center: Center, tier_within_s: dict[str, dict[str, int]]) -> Center:
    """`center` with customer tiers gold and standard, and these work types' `tier_within_s`."""
    data = center.model_dump(mode="json")
    data["customer_tiers"] = [{"id": "gold"}, {"id": "standard"}]
    for kind in data["work_types"]:
        kind["target"]["tier_within_s"] = tier_within_s.get(kind["id"], {})
    return Center.model_validate(data)


def test_customer_tier_threshold_sets_the_due_time_and_the_service_level() -> None:
    # Emails are due in 24 h, a gold customer's in 10 min. The agent is on a call until 09:10; a standard email
    # arrives at 09:01, gold ones at 09:02 and 09:03 (due 09:12 and 09:13). Gold goes first: 09:10 (met, 8 min)
    # and 09:20 (17 min: breached); the standard one at 09:30 (met within 24 h).
    center = with_tiers(
        build_center(
            [agent("solo", "desk")],
            work_types=[
                realtime("calls", "desk", priority=1),
                work_type("emails", "desk", priority=2, deferred=True, within_s=86400),
            ],
        ),
        {"emails": {"gold": 600}},
    )
    tickets = [
        ticket(when("09:00"), "calls", 600),
        ticket(when("09:01"), "emails", 600, customer_tier="standard"),
        ticket(when("09:02"), "emails", 600, customer_tier="gold"),
        ticket(when("09:03"), "emails", 600, customer_tier="gold"),
    ]
    scenario = replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets)
    outcome = run_once(scenario)
    np.testing.assert_allclose(outcome.contacts.threshold, [20, 86400, 600, 600])
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:30"), sec("09:10"), sec("09:20")])
    result = simulate(scenario, SimulationSettings(replications=1, seed=0))
    emails = result.work_types.set_index("work_type").loc["emails"]
    assert emails["sla_breaches"] == 1 and emails["service_level"] == pytest.approx(2 / 3)


# -- 7. Planned assignment --------------------------------------------------------------------------------------


def planning_center() -> Center:
    return build_center(
        [agent("ann"), agent("bob"), agent("cat", "chat")],
        work_types=[realtime("calls", "phone"), realtime("chats", "chat", channel="chat")],
    )


PLANNING_TICKETS = [
    ticket(when("09:00"), ticket_id="T1"),  # planned for bob at 09:30
    ticket(when("09:00"), ticket_id="T2"),  # unplanned
    ticket(when("09:02"), ticket_id="T3"),  # planned for ann, whenever she is free
    ticket(when("09:03"), ticket_id="T4"),  # planned for cat, who lacks the skill: routed as usual
]
PLANNING_ROSTER = [shift(a, when("08:00"), when("16:00")) for a in ("ann", "bob", "cat")]


def test_planned_ticket_waits_for_its_agent_and_planned_start() -> None:
    scenario = replay(planning_center(), PLANNING_ROSTER, PLANNING_TICKETS)
    plan = {"T1": ("bob", sec("09:30")), "T3": ("ann", None), "T4": ("cat", None)}
    outcome = run_once(scenario, PlannedAssignment(plan))
    ids = [a.id for a in scenario.agents]
    by_ticket = dict(zip(outcome.contacts.ticket_id, zip(outcome.answered, outcome.agent, strict=True), strict=True))
    # T1: not before its planned start, by bob, although ann and bob are free at 09:00.
    assert by_ticket["T1"] == (sec("09:30"), ids.index("bob"))
    # T2 is routed as usual: the longest-idle agent (ann and bob idle since 08:00: the first) at once.
    assert by_ticket["T2"] == (sec("09:00"), ids.index("ann"))
    # T3 waits for ann (on T2 until 09:05) although bob is free.
    assert by_ticket["T3"] == (sec("09:05"), ids.index("ann"))
    # T4 cannot go to cat: bob, free, takes it at once.
    assert by_ticket["T4"] == (sec("09:03"), ids.index("bob"))
    # The default policy serves T1 at once.
    default = run_once(scenario)
    assert default.answered[list(default.contacts.ticket_id).index("T1")] == sec("09:00")


def test_plan_from_an_assignment_table() -> None:
    scenario = replay(planning_center(), PLANNING_ROSTER, PLANNING_TICKETS)
    table = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3"],
            "agent_id": ["bob", None, "ann"],
            "planned_start": [when("09:30"), when("09:00"), pd.NaT],
            "planned_end": [when("09:35"), when("09:05"), pd.NaT],
        }
    )
    policy = PlannedAssignment.from_table(table, scenario.start)
    assert policy.plan == {"T1": ("bob", sec("09:30")), "T3": ("ann", None)}  # T2 has no agent: not planned


# -- 8. Replay --------------------------------------------------------------------------------------------------


def test_replay_uses_given_arrivals_and_handle_times() -> None:
    # One agent, 20 s threshold. 09:00 (300 s) answered at once; 09:01 (120 s) waits until 09:05 (240 s);
    # 10:30 (90 s) answered at once. Tickets outside the horizon are dropped; a ticket without a handle time
    # gets one drawn.
    center = build_center([agent("solo")])
    tickets = [
        ticket(when("09:01"), handle_s=120, ticket_id="second"),  # out of order: the replay sorts by arrival
        ticket(when("09:00"), handle_s=300, ticket_id="first"),
        ticket(when("10:30"), handle_s=90, ticket_id="third"),
        ticket(when("11:00"), handle_s=np.nan, ticket_id="drawn"),
        ticket(when("09:00", on=day(-1)), ticket_id="before"),
        ticket(when("00:00", on=day(1)), ticket_id="after"),
    ]
    scenario = replay(center, [shift("solo", when("08:00"), when("16:00"))], tickets)
    outcome = run_once(scenario)
    assert outcome.contacts.ticket_id == ("first", "second", "third", "drawn")
    np.testing.assert_allclose(outcome.contacts.arrival, [sec("09:00"), sec("09:01"), sec("10:30"), sec("11:00")])
    np.testing.assert_allclose(outcome.contacts.handle[:3], [300, 120, 90])
    assert outcome.contacts.handle[3] > 0
    np.testing.assert_allclose(outcome.answered, [sec("09:00"), sec("09:05"), sec("10:30"), sec("11:00")])
    assert outcome.busy_s[0] == pytest.approx(300 + 120 + 90 + outcome.contacts.handle[3])
    result = simulate(scenario, SimulationSettings(replications=1, seed=0))
    nine = result.intervals.set_index("interval_start").loc[when("09:00")]
    assert (nine["offered"], nine["answered"], nine["answered_within"], nine["sla_breaches"]) == (2, 2, 1, 1)
    assert nine["service_level"] == 0.5 and nine["asa_s"] == 120.0 and nine["abandon_rate"] == 0.0
    assert result.summary["asa_s"] == pytest.approx(240 / 4)


def test_service_level_is_over_offered_or_over_answered_as_the_work_type_says() -> None:
    # Two work types alike but for `service_level_over`, each served by its own agent, each with the same
    # contacts: one answered at once, one that waits 590 s with a mean patience of 1 s (it abandons: P(patience
    # > 590 s) = e^-590), so over offered 1/2 is met, over answered 1/1.
    center = build_center(
        [agent("ox", "x"), agent("ay", "y")],
        work_types=[
            realtime("offered", "x", patience_s=1, over="offered"),
            realtime("answered", "y", patience_s=1, over="answered"),
        ],
    )
    tickets = [
        t
        for kind in ("offered", "answered")
        for t in (ticket(when("09:00"), kind, 600), ticket(when("09:00", 10), kind, 600))
    ]
    roster = [shift(a, when("08:00"), when("16:00")) for a in ("ox", "ay")]
    result = simulate(replay(center, roster, tickets), SimulationSettings(replications=1, seed=0))
    table = result.work_types.set_index("work_type")
    assert table.loc["offered", "service_level"] == 0.5 and table.loc["answered", "service_level"] == 1.0
    assert (table["abandon_rate"] == 0.5).all() and (table["asa_s"] == 0.0).all()


# -- 9. Input errors --------------------------------------------------------------------------------------------


def test_roster_agent_not_in_the_centre_is_an_input_error() -> None:
    center = build_center([agent("solo")])
    horizon = center.horizon(MONDAY, 1)
    demand = replay_demand(pd.DataFrame([ticket(when("09:00"))]), center, horizon)
    roster = pd.DataFrame([shift("solo", when("08:00"), when("16:00")), shift("ghost", when("08:00"), when("16:00"))])
    with pytest.raises(InputError) as caught:
        build_scenario(center, roster, demand, horizon, roster_source="roster.csv")
    assert_problem(caught.value, "column 'agent_id'", "ghost", source="roster.csv")


def test_break_that_is_not_a_pair_of_timestamps_is_an_input_error() -> None:
    center = build_center([agent("solo")])
    horizon = center.horizon(MONDAY, 1)
    demand = replay_demand(pd.DataFrame([ticket(when("09:00"))]), center, horizon)
    row = shift("solo", when("08:00"), when("16:00")) | {"breaks": '[["12:00", "lunch"]]'}
    with pytest.raises(InputError) as caught:
        build_scenario(center, pd.DataFrame([row]), demand, horizon)
    assert_problem(caught.value, "row 1, column 'breaks'", "lunch")


@pytest.mark.parametrize("cell", ["lunch at noon", '{"start": "12:00"}', 12])
def test_breaks_cell_that_is_not_a_list_is_an_input_error(cell: Any) -> None:
    center = build_center([agent("solo")])
    horizon = center.horizon(MONDAY, 1)
    demand = replay_demand(pd.DataFrame([ticket(when("09:00"))]), center, horizon)
    row = shift("solo", when("08:00"), when("16:00")) | {"breaks": cell}
    with pytest.raises(InputError) as caught:
        build_scenario(center, pd.DataFrame([row]), demand, horizon)
    assert_problem(caught.value, "row 1, column 'breaks'", "not a list of [start, end] pairs")


def test_breaks_as_an_array_or_blank_are_read() -> None:
    # A list column read back from Parquet arrives as arrays; a blank cell is no break.
    center = build_center([agent("solo")])
    horizon = center.horizon(MONDAY, 1)
    demand = replay_demand(pd.DataFrame([ticket(when("09:00"))]), center, horizon)
    lunch = np.array([[when("12:00").isoformat(), when("12:30").isoformat()]], dtype=object)
    rows = [shift("solo", when("08:00"), when("16:00")) | {"breaks": cell} for cell in (lunch, "")]
    windows = [build_scenario(center, pd.DataFrame([r]), demand, horizon).agents[0].windows for r in rows]
    assert windows[0] == ((sec("08:00"), sec("12:00")), (sec("12:30"), sec("16:00")))
    assert windows[1] == ((sec("08:00"), sec("16:00")),)


def test_forecast_off_the_grid_or_of_an_unknown_work_type_is_an_input_error() -> None:
    center = build_center([agent("solo")])
    horizon = center.horizon(MONDAY, 1)
    off_grid = pd.DataFrame(
        {"interval_start": [when("09:00"), when("09:30")], "work_type": "calls", "volume": [1.0, 1.0]}
    )
    with pytest.raises(InputError) as caught:
        forecast_demand(off_grid, center, horizon, source="forecast.csv")
    assert_problem(caught.value, "row 2, column 'interval_start'", "60-minute grid", source="forecast.csv")
    outside = pd.DataFrame({"interval_start": [when("09:00", on=day(1))], "work_type": "calls", "volume": [1.0]})
    with pytest.raises(InputError):
        forecast_demand(outside, center, horizon)
    unknown = pd.DataFrame({"interval_start": [when("09:00")], "work_type": "faxes", "volume": [1.0]})
    with pytest.raises(InputError) as caught:
        forecast_demand(unknown, center, horizon)
    assert_problem(caught.value, "column 'work_type'", "faxes")


def test_replay_of_an_unknown_work_type_is_an_input_error() -> None:
    center = build_center([agent("solo")])
    tickets = pd.DataFrame([ticket(when("09:00")), ticket(when("09:05"), "faxes")])
    with pytest.raises(InputError) as caught:
        replay_demand(tickets, center, center.horizon(MONDAY, 1), source="history.csv")
    assert_problem(caught.value, "column 'work_type'", "faxes", source="history.csv")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Draws(handle="normal"), "handle must be"),  # type: ignore[arg-type]
        (lambda: Draws(handle_cv=0.0), "handle_cv must be positive"),
        (lambda: Draws(rate_cv=-0.1), "rate_cv must be at least 0"),
        (lambda: SimulationSettings(replications=0), "replications must be at least 1"),
        (lambda: SimulationSettings(workers=0), "workers must be at least 1"),
    ],
)
def test_bad_settings_are_rejected(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


# -- Draws ------------------------------------------------------------------------------------------------------


def test_handle_times_are_lognormal_with_the_forecasts_mean_and_patience_exponential() -> None:
    # 20 000 contacts a day; the forecast gives an AHT of 120 s in the morning (until 12:00) and none after (the
    # work type's 300 s). The sample mean's standard error is cv * aht / sqrt(n): 0.6 s and 1.5 s; 4 of them.
    # The sample CV's standard error for a lognormal of CV 0.5 and 10 000 draws is below 0.01; 4 of them.
    # Patience: exponential of mean 180 s, standard error of the mean 180 / sqrt(20 000) = 1.3 s; 4 of them.
    center = build_center([agent("solo")], work_types=[realtime(aht_s=300, patience_s=180)])
    horizon = center.horizon(MONDAY, 1)
    grid = horizon.intervals
    aht = np.where(grid < when("12:00"), 120.0, np.nan)
    forecast = pd.DataFrame({"interval_start": grid, "work_type": "calls", "volume": 20_000 / 24, "aht_s": aht})
    scenario = build_scenario(
        center, pd.DataFrame(), forecast_demand(forecast, center, horizon), horizon, Draws(handle_cv=0.5)
    )
    contacts = draw_contacts(scenario, np.random.default_rng(4))
    assert abs(len(contacts) - 20_000) <= 4 * np.sqrt(20_000)  # a Poisson count
    assert np.all(np.diff(contacts.arrival) >= 0) and 0 <= contacts.arrival.min() and contacts.arrival.max() < 86400
    morning = contacts.arrival < sec("12:00")
    for part, mean in ((morning, 120.0), (~morning, 300.0)):
        handle = contacts.handle[part]
        assert abs(handle.mean() - mean) <= 4 * 0.5 * mean / np.sqrt(len(handle)), (mean, handle.mean())
        assert abs(handle.std() / handle.mean() - 0.5) <= 0.04
        # Lognormal, not exponential: log handle times are normal (an exponential's would be rejected at once).
        assert stats.normaltest(np.log(handle)).pvalue > 1e-3
    patience = contacts.patience
    assert abs(patience.mean() - 180) <= 4 * 180 / np.sqrt(len(patience))
    assert stats.kstest(patience, stats.expon(scale=180).cdf).pvalue > 1e-3


def test_rate_factor_is_drawn_per_local_day_across_a_dst_change() -> None:
    # Sunday 2026-03-29 lasts 23 hours in London, then Monday. With 20 000 contacts expected per hour, an hour's
    # count over its expectation is that day's gamma factor up to a Poisson error of 1/sqrt(20 000) = 0.007: the
    # hours of one local day agree within 0.05 (7 errors), and this seed's two factors differ by far more.
    center = build_center([agent("solo")], work_types=[realtime()])
    horizon = center.horizon(date(2026, 3, 29), 2)
    assert len(horizon.intervals) == 47
    forecast = pd.DataFrame({"interval_start": horizon.intervals, "work_type": "calls", "volume": 20_000.0})
    scenario = build_scenario(
        center, pd.DataFrame(), forecast_demand(forecast, center, horizon), horizon, Draws(rate_cv=0.3)
    )
    contacts = draw_contacts(scenario, np.random.default_rng(0))
    ratio = np.bincount((contacts.arrival // HOUR).astype(np.int64), minlength=47) / 20_000.0
    sunday, monday = ratio[horizon.interval_day == 0], ratio[horizon.interval_day == 1]
    assert abs(np.median(sunday) - np.median(monday)) > 0.1  # the check has power at this seed
    assert np.ptp(sunday) < 0.05
    assert np.ptp(monday) < 0.05, monday.round(3)


# -- 10. Confidence intervals -----------------------------------------------------------------------------------


def overall_service_level(scenario: Scenario, outcome: Outcome) -> float:
    """Met over met + breached, all work types together (see results.py), recomputed from one outcome."""
    contacts = outcome.contacts
    answered, abandoned = ~np.isnan(outcome.answered), ~np.isnan(outcome.abandoned)
    met = answered & (outcome.answered - contacts.arrival <= contacts.threshold)
    open_late = ~answered & ~abandoned & (scenario.end_s - contacts.arrival > contacts.threshold)
    breached = (answered & ~met) | abandoned | open_late
    return float(met.sum() / (met.sum() + breached.sum()))


def test_confidence_intervals_are_student_t_over_replications(multi: Scenario) -> None:
    count, seed = 5, 31
    result = simulate(multi, SimulationSettings(replications=count, seed=seed))
    levels = [overall_service_level(multi, o) for o in replications(multi, count, seed)]
    mean, error = mean_and_error(levels)
    half = stats.t.ppf(0.975, count - 1) * error
    assert result.summary["service_level"] == pytest.approx(mean, rel=1e-12)
    assert result.summary["service_level_ci"] == pytest.approx([mean - half, mean + half], rel=1e-12)
    assert half > 0
    for frame, name in [
        (result.intervals, "service_level"),
        (result.intervals, "asa_s"),
        (result.work_types, "abandon_rate"),
        (result.priorities, "breach_rate"),
        (result.agents, "occupancy"),
    ]:
        # Bounds are NaN where fewer than two replications define the figure (an interval nobody was answered in).
        defined = frame[f"{name}_lo"].notna()
        assert defined.sum() >= min(3, len(frame)), name
        assert frame.loc[defined, name].notna().all() and frame.loc[defined, f"{name}_hi"].notna().all()
        rows = frame[defined]
        assert (rows[f"{name}_lo"] <= rows[name] + 1e-12).all() and (rows[name] <= rows[f"{name}_hi"] + 1e-12).all()
    for name in ("asa_s", "abandon_rate", "occupancy"):
        low, high = result.summary[f"{name}_ci"]
        assert low < result.summary[name] < high, name


def test_one_replication_has_no_confidence_interval(multi: Scenario) -> None:
    result = simulate(multi, SimulationSettings(replications=1, seed=0))
    for name in ("service_level", "asa_s", "abandon_rate", "occupancy"):
        assert result.summary[name] is not None
        assert result.summary[f"{name}_ci"] == [None, None]
    assert result.work_types["service_level"].notna().all()
    assert result.work_types[["service_level_lo", "service_level_hi"]].isna().all().all()
    assert result.agents[["occupancy_lo", "occupancy_hi"]].isna().all().all()


def test_the_interval_of_a_share_stays_between_0_and_1(multi: Scenario) -> None:
    """Two replications at 100% and 40%: the Student t half-width (12.7 x 0.3) would give [-311%, 451%]; a share
    cannot leave 0..1, so neither can its interval. Likewise every share of a two-replication run."""
    from planner.simulation.results import _interval

    mean, low, high = _interval(np.array([[1.0], [0.4]]), 1.0)
    assert (mean[0], low[0], high[0]) == pytest.approx((0.7, 0.0, 1.0))
    result = simulate(multi, SimulationSettings(replications=2, seed=3))
    for frame, name in [
        (result.intervals, "service_level"),
        (result.work_types, "service_level"),
        (result.work_types, "abandon_rate"),
        (result.priorities, "breach_rate"),
        (result.agents, "occupancy"),
    ]:
        bounds = frame[[f"{name}_lo", f"{name}_hi"]].dropna()
        assert ((bounds >= 0) & (bounds <= 1)).all().all(), name


# -- re-planning ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AllToBob(ReplanningAssignment):
    """A re-planning policy whose plan is fixed: every waiting ticket to bob, at once; it notes what it saw."""

    seen: list[tuple[float, list[int]]] = field(default_factory=list)

    def replan(self, scenario: Scenario, contacts: Any, snapshot: Any) -> dict[int, tuple[int, float]]:
        self.seen.append((snapshot.now, list(snapshot.waiting)))
        bob = [a.id for a in scenario.agents].index("bob")
        return {c: (bob, snapshot.now) for c in snapshot.waiting}


def test_replanning_queues_waiting_tickets_for_the_planned_agent() -> None:
    # Two desk agents back from a break at 09:05; two e-mails wait since 08:50. The re-plan at 09:00 (every 15
    # minutes from midnight) gives both to bob: ann, free and idle as long, takes neither; bob does them one after
    # the other (10 minutes each). Realtime work is never planned.
    center = build_center(
        [agent("ann", "desk"), agent("bob", "desk")],
        work_types=[work_type("emails", "desk", priority=2, deferred=True, within_s=86400)],
    )
    roster = [shift(name, when("08:00"), when("16:00"), [(when("08:30"), when("09:05"))]) for name in ("ann", "bob")]
    tickets = [ticket(when("08:50"), "emails", 600, "E1"), ticket(when("08:51"), "emails", 600, "E2")]
    policy = _AllToBob(every_s=900)
    outcome = run_once(replay(center, roster, tickets), policy)
    assert outcome.agent.tolist() == [1, 1]
    np.testing.assert_allclose(outcome.answered, [sec("09:05"), sec("09:15")])
    assert (sec("09:00"), [0, 1]) in policy.seen
    # The same day with the CP-SAT plan: the two e-mails are shared and both start at 09:05.
    outcome = run_once(replay(center, roster, tickets), ReplanningAssignment(every_s=900, time_limit_s=1.0))
    assert sorted(outcome.agent.tolist()) == [0, 1]
    np.testing.assert_allclose(outcome.answered, [sec("09:05"), sec("09:05")])


# -- 9. Opening hours -------------------------------------------------------------------------------------------

#: Monday 09:00-17:00 only: the calls queue is closed at night and from Tuesday on.
NINE_TO_FIVE = [{"weekday": "mon", "start_minute": "09:00", "end_minute": "17:00"}]


def test_no_arrivals_are_drawn_while_a_work_type_is_closed() -> None:
    """A forecast made elsewhere with 10 calls in every hour of Monday: only 09:00-16:00 take calls (8 x 10);
    the 16 closed hours' 160 calls are dropped (the realtime default) and the demand says so, so the simulation
    neither draws them nor counts them as abandoned."""
    center = build_center([agent("solo")], opening_hours=NINE_TO_FIVE)
    horizon = center.horizon(MONDAY, 1)
    forecast = pd.DataFrame({"interval_start": horizon.intervals, "work_type": "calls", "volume": 10.0})
    demand = forecast_demand(forecast, center, horizon)
    assert demand.volume is not None
    hours = pd.DatetimeIndex(horizon.intervals).hour
    np.testing.assert_array_equal(demand.volume[:, 0], np.where((hours >= 9) & (hours < 17), 10.0, 0.0))
    assert demand.notes == ("calls: 160 contacts (66.7%) forecast outside opening hours dropped (outside_hours: drop)",)
    scenario = build_scenario(center, always_on(["solo"], 1), demand, horizon, Draws(handle="exponential"))
    outcome = run_once(scenario)
    arrivals = np.asarray(outcome.contacts.arrival)
    assert ((arrivals >= sec("09:00")) & (arrivals < sec("17:00"))).all()


def test_replayed_contacts_outside_opening_hours_are_dropped_or_moved() -> None:
    """Replayed history with a call and an e-mail at 07:30 and at 10:00: the 07:30 call is dropped (realtime
    default), the 07:30 e-mail waits for the 09:00 opening (deferred default); both 10:00 contacts are kept as
    they were. A call and an e-mail at 18:00 Monday: dropped, the e-mail having no opening left in the day."""
    mail = work_type("mail", "phone", deferred=True, within_s=4 * 3600)
    center = build_center([agent("solo")], work_types=[CALLS, mail], opening_hours=NINE_TO_FIVE)
    tickets = [
        ticket(when("07:30"), ticket_id="early call"),
        ticket(when("07:30"), "mail", ticket_id="early mail"),
        ticket(when("10:00"), ticket_id="call"),
        ticket(when("10:00"), "mail", ticket_id="mail"),
        ticket(when("18:00"), ticket_id="late call"),
        ticket(when("18:00"), "mail", ticket_id="late mail"),
    ]
    demand = replay_demand(pd.DataFrame(tickets), center, center.horizon(MONDAY, 1))
    assert demand.ticket_id == ("early mail", "call", "mail")
    assert demand.arrival_s is not None
    np.testing.assert_allclose(demand.arrival_s, [sec("09:00"), sec("10:00"), sec("10:00")])
    assert demand.notes == (
        "calls: 2 replayed contacts (66.7%) arrived outside opening hours, dropped (outside_hours: drop)",
        "mail: 2 replayed contacts (66.7%) arrived outside opening hours, moved to the next opening "
        "(outside_hours: next_opening); 1 of them after the last opening of the horizon, dropped",
    )
