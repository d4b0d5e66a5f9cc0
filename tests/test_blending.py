"""Setting agents' time aside for deferred work (planner.simulation.blending) and the re-planning policy that
dispatches by it (`ReplanningAssignment(reserve=True)`).

The centre: Monday 2026-06-01, Europe/London, a 60-minute grid. Calls (priority 1, AHT 5 min, 80% in 20 s, mean
patience 3 min) arrive 09:00-12:00 only; e-mails (priority 4, AHT 10 min) arrive all day, due within 24 hours
unless a test says otherwise. Agents: ann answers calls and e-mails (blended), bob and cat calls only, dan e-mails
only (back office). Everybody works 08:00-17:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models import Center
from planner.assign.model import priority_weight
from planner.simulation import (
    Draws,
    PriorityFirst,
    ReplanningAssignment,
    Scenario,
    build_scenario,
    forecast_demand,
    replay_demand,
)
from planner.simulation.blending import Blending, on_duty, realtime_cost
from planner.simulation.engine import run_replication
from planner.staffing.erlang import erlang_a
from tests.roster_helpers import MONDAY, agent, build_center
from tests.test_simulation import realtime, shift, when

CALLS_PER_HOUR = 30.0
MAILS_PER_HOUR = 3.0


def mails(within_s: int = 86400) -> dict[str, Any]:
    return {
        "id": "mails",
        "channel": "email",
        "mode": "deferred",
        "skill": "desk",
        "priority": 4,
        "target": {"service_level": 0.9, "within_s": within_s, "measure": "first_response"},
        "aht_s": 600,
    }


def center_of(*, back_office: bool = True, within_s: int = 86400) -> Center:
    agents = [agent("ann", "phone", "desk"), agent("bob", "phone"), agent("cat", "phone")]
    if back_office:
        agents.append(agent("dan", "desk"))
    return build_center(agents, work_types=[realtime("calls", "phone", patience_s=180), mails(within_s)])


def scenario_of(center: Center, *, calls: float = CALLS_PER_HOUR, mails_per_hour: float = MAILS_PER_HOUR) -> Scenario:
    horizon = center.horizon(MONDAY, 1)
    grid = pd.DatetimeIndex(horizon.intervals)
    rush = (grid >= when("09:00")) & (grid < when("12:00"))
    forecast = pd.concat(
        [
            pd.DataFrame({"interval_start": grid, "work_type": "calls", "volume": np.where(rush, calls, 0.0)}),
            pd.DataFrame({"interval_start": grid, "work_type": "mails", "volume": mails_per_hour}),
        ]
    )
    roster = pd.DataFrame([shift(a.id, when("08:00"), when("17:00")) for a in center.agents])
    return build_scenario(center, roster, forecast_demand(forecast, center, horizon), horizon, Draws())


def hour(scenario: Scenario, hhmm: str) -> int:
    return int((when(hhmm) - scenario.start).total_seconds() // scenario.interval_s)


def test_realtime_cost_is_pooled_erlang_a_and_grows_with_each_agent_set_aside() -> None:
    scenario = scenario_of(center_of())
    realtime_on = on_duty(scenario, [True, True, True, False])  # dan answers no calls
    cost = realtime_cost(scenario, realtime_on)
    rush = hour(scenario, "10:00")
    # 3 agents answer; k = 0..3 of them set aside: expected weighted breaches of the hour's 30 calls.
    assert len(cost[rush]) == 4
    for k in range(3):
        level = erlang_a(3 - k, CALLS_PER_HOUR * 300 / 3600, 300, 180, 20).service_level
        assert cost[rush][k] == pytest.approx(priority_weight(1) * CALLS_PER_HOUR * (1 - float(level)))
    assert cost[rush][3] == pytest.approx(priority_weight(1) * CALLS_PER_HOUR)  # nobody answers: all breach
    assert np.all(np.diff(cost[rush]) >= 0)
    # No calls, no cost; nobody on duty, nothing to set aside.
    assert np.all(cost[hour(scenario, "14:00")] == 0)
    assert len(cost[hour(scenario, "03:00")]) == 1


def test_work_with_time_to_spare_is_set_aside_away_from_the_calls() -> None:
    scenario = scenario_of(center_of(back_office=False))
    blending = Blending(scenario)
    reserved = blending.reserved()
    rush = [hour(scenario, h) for h in ("09:00", "10:00", "11:00")]
    calm = [hour(scenario, h) for h in ("08:00", "12:00", "13:00", "14:00", "15:00", "16:00")]
    # Only ann has the skill: never more than one agent; none while calls come in, the e-mails wait for the calm.
    assert reserved.max() <= 1
    assert reserved[rush].sum() == 0
    assert reserved[calm].sum() >= 4
    # Nobody is set aside outside the shifts.
    assert reserved[: hour(scenario, "08:00")].sum() == 0 and reserved[hour(scenario, "17:00") :].sum() == 0


def test_work_due_during_the_rush_is_done_then_when_a_breach_costs_more_than_the_calls_miss() -> None:
    # E-mails due within an hour: waiting for 12:00 breaches every e-mail of the rush. With few calls, ann is
    # worth less to the calls than the e-mails' breaches: she is set aside during the rush too.
    quiet = scenario_of(center_of(back_office=False, within_s=3600), calls=2.0)
    assert Blending(quiet).reserved()[[hour(quiet, h) for h in ("09:00", "10:00", "11:00")]].sum() == 3
    # With the calls of a real rush (64 per breached call against 1 per e-mail) she stays on the phones.
    busy = scenario_of(center_of(back_office=False, within_s=3600))
    assert Blending(busy).reserved()[[hour(busy, h) for h in ("09:00", "10:00", "11:00")]].sum() == 0


def test_back_office_agents_are_always_set_aside_and_designated_first() -> None:
    scenario = scenario_of(center_of(), mails_per_hour=0.0)
    blending = Blending(scenario)
    reserved = blending.reserved()
    on = [hour(scenario, "08:00") + i for i in range(9)]
    assert reserved[on].tolist() == [1] * 9  # no e-mails at all: dan alone, who can do nothing else
    windows = blending.designate(reserved)
    ids = [a.id for a in scenario.agents]
    assert windows[ids.index("dan")] == (
        (
            pytest.approx((when("08:00") - scenario.start).total_seconds()),
            pytest.approx((when("17:00") - scenario.start).total_seconds()),
        ),
    )
    assert all(not windows[ids.index(name)] for name in ("ann", "bob", "cat"))
    # Two set aside in an hour: dan, then ann (the only other one with the skill), in one merged window each.
    reserved[hour(scenario, "13:00")] = reserved[hour(scenario, "14:00")] = 2
    windows = blending.designate(reserved)
    start = (when("13:00") - scenario.start).total_seconds()
    assert windows[ids.index("ann")] == ((start, start + 7200),)


def test_setting_aside_again_counts_only_the_work_still_to_come_and_the_waiting_backlog() -> None:
    scenario = scenario_of(center_of(back_office=False), mails_per_hour=0.0)
    blending = Blending(scenario)
    assert blending.reserved().sum() == 0
    now = (when("12:30") - scenario.start).total_seconds()
    mail = [w.id for w in scenario.work_types].index("mails")
    # Twenty e-mails waiting since 10:00 (200 minutes of work): ann from now on, not before.
    backlog = [(mail, (when("10:00") - scenario.start).total_seconds(), now + 86400)] * 20
    reserved = blending.reserved(start_s=now, backlog=backlog)
    assert reserved[: hour(scenario, "12:00")].sum() == 0
    assert reserved.sum() >= 4  # 200 minutes: the half hour left of 12:00 and at least three hours more


def test_reserve_needs_a_forecast() -> None:
    center = center_of()
    horizon = center.horizon(MONDAY, 1)
    tickets = pd.DataFrame({"created_at": [when("09:00")], "work_type": ["mails"], "ticket_id": ["T1"]})
    scenario = build_scenario(
        center,
        pd.DataFrame([shift(a.id, when("08:00"), when("17:00")) for a in center.agents]),
        replay_demand(tickets, center, horizon),
        horizon,
    )
    with pytest.raises(ValueError, match="forecast"):
        Blending(scenario)
    with pytest.raises(ValueError, match="forecast"):
        run_replication(scenario, ReplanningAssignment(reserve=True), 0)


def test_with_reserve_deferred_work_keeps_off_the_rush_that_priority_first_works_into() -> None:
    scenario = scenario_of(center_of(back_office=False))
    mail = [w.id for w in scenario.work_types].index("mails")
    rush = ((when("09:00") - scenario.start).total_seconds(), (when("12:00") - scenario.start).total_seconds())

    def mails_started_in_rush(policy: Any) -> tuple[int, int]:
        started = 0
        for seed in range(3):
            outcome = run_replication(scenario, policy, seed)
            is_mail = outcome.contacts.work_type == mail
            answered = outcome.answered[is_mail]
            started += int(((answered >= rush[0]) & (answered < rush[1])).sum())
        return started, int(is_mail.sum())

    blended, _ = mails_started_in_rush(PriorityFirst())
    reserved, total = mails_started_in_rush(ReplanningAssignment(every_s=900, method="earliest-finish", reserve=True))
    # Priority first lets ann take e-mails whenever no call waits, rush or not; with time set aside she does
    # none during the rush (the e-mails there are due tomorrow and never urgent).
    assert blended > 0
    assert reserved == 0
    assert total > 0


def test_with_reserve_work_about_to_fall_due_goes_to_whoever_is_free() -> None:
    # E-mails due within 30 minutes: no time is set aside for them during the rush (the calls are worth more),
    # but each one falls due before the re-plan after next, so a free agent with the skill takes it all the same.
    scenario = scenario_of(center_of(back_office=False, within_s=1800))
    assert Blending(scenario).reserved()[[hour(scenario, h) for h in ("09:00", "10:00", "11:00")]].sum() == 0
    mail = [w.id for w in scenario.work_types].index("mails")
    rush = ((when("09:00") - scenario.start).total_seconds(), (when("12:00") - scenario.start).total_seconds())
    outcome = run_replication(scenario, ReplanningAssignment(every_s=900, method="earliest-finish", reserve=True), 0)
    answered = outcome.answered[outcome.contacts.work_type == mail]
    assert ((answered >= rush[0]) & (answered < rush[1])).sum() > 0


@dataclass(frozen=True)
class _AllToAnnAtTen(ReplanningAssignment):
    """With `reserve`: every waiting e-mail planned for ann at 10:05 (or now, later), in a set-aside window
    10:00-10:30; the engine does the rest."""

    def replan(self, scenario: Scenario, contacts: Any, snapshot: Any) -> dict[int, tuple[int, float]]:
        ann = [a.id for a in scenario.agents].index("ann")
        start = max(snapshot.now, (when("10:05") - scenario.start).total_seconds())
        return {c: (ann, start) for c in snapshot.waiting}

    def planned_window(self, scenario: Scenario, agent: int, start: float) -> tuple[float, float]:
        window = ((when("10:00") - scenario.start).total_seconds(), (when("10:30") - scenario.start).total_seconds())
        return window if window[0] <= start < window[1] else (start, start + self.every_s)


def test_a_planned_ticket_is_held_until_its_set_aside_window_starts_and_then_comes_first() -> None:
    # No calls at all: ann is idle all morning, yet the e-mails waiting since the night are not started before
    # her window opens at 10:00; then she takes the first one at once, although it is planned for 10:05.
    scenario = scenario_of(center_of(back_office=False), calls=0.0)
    outcome = run_replication(scenario, _AllToAnnAtTen(every_s=900, reserve=True), 0)
    mail = [w.id for w in scenario.work_types].index("mails")
    is_mail = outcome.contacts.work_type == mail
    ten = (when("10:00") - scenario.start).total_seconds()
    early = is_mail & (outcome.contacts.arrival < ten)
    assert early.sum() > 0
    answered = outcome.answered[is_mail]
    assert np.nanmin(answered) == pytest.approx(ten)
    assert set(outcome.agent[early & ~np.isnan(outcome.answered)].tolist()) == {0}  # ann
    # PriorityFirst on the same day: ann takes them as they come.
    plain = run_replication(scenario, PriorityFirst(), 0)
    assert np.nanmin(plain.answered[plain.contacts.work_type == mail]) < ten
