"""The simulation from a moment of the day (`planner.simulation.SimulationState`): contacts waiting then, agents
handling contacts then, arrivals only from then on, the rest of the day's figures; and the state made from what a
supervisor has (`state_from_history`).

Times are local wall-clock in Europe/London on Monday 2026-06-01 on a 60-min grid (the helpers of
test_simulation.py); each timeline is worked out by hand in its test and must match to float precision.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models import Center, InputError
from models.io import dump_center
from planner.jobs import simulate_roster
from planner.simulation import (
    Contacts,
    InProgress,
    PriorityFirst,
    Replan,
    ReplanningAssignment,
    Scenario,
    SimulationSettings,
    SimulationState,
    Snapshot,
    WaitingContact,
    build_scenario,
    draw_contacts,
    forecast_demand,
    run_replication,
    simulate,
    state_from_history,
)
from tests.roster_helpers import MONDAY, agent, build_center, work_type
from tests.test_simulation import realtime, replay, sec, shift, ticket, when
from wfm import cli
from wfm.exit_codes import ExitCode

runner = CliRunner()

SOLO_DAY = [shift("solo", when("08:00"), when("16:00"))]


def two_priorities() -> Center:
    """One agent on the phone; vip calls (priority 1) and general ones (priority 2), 20 s to answer, no abandoning."""
    return build_center(
        [agent("solo")], work_types=[realtime("vip", "phone", priority=1), realtime("general", "phone", priority=2)]
    )


def with_state(scenario: Scenario, state: SimulationState) -> Scenario:
    return Scenario(**{**scenario.__dict__, "state": state})


def test_waiting_contacts_are_served_by_priority_and_their_waits_count_from_their_arrival() -> None:
    # At 10:00 two general calls (09:50, 09:52) and a vip call (09:55) wait; the one agent is free. It takes the vip
    # call at 10:00 although it came later, then the general ones in arrival order: 10:05 and 10:10 (300 s each).
    # The replayed day's 09:30 call is history (before the moment): it is not simulated.
    center = two_priorities()
    general, vip = 1, 0
    state = SimulationState(
        at=sec("10:00"),
        waiting=(
            WaitingContact(sec("09:55"), vip, handle_s=300.0),
            WaitingContact(sec("09:50"), general, handle_s=300.0),
            WaitingContact(sec("09:52"), general, handle_s=300.0),
        ),
    )
    scenario = with_state(replay(center, SOLO_DAY, [ticket(when("09:30"), "general", 300)]), state)
    outcome = run_replication(scenario, PriorityFirst(), 0)
    np.testing.assert_allclose(outcome.contacts.arrival, [sec("09:50"), sec("09:52"), sec("09:55")])
    np.testing.assert_allclose(outcome.answered, [sec("10:05"), sec("10:10"), sec("10:00")])
    # The rest of the day's figures: the tables start at 10:00, where the three waiting calls are offered; their
    # waits count from arrival (general: 15 and 18 min, vip: 5 min), all past the 20 s threshold.
    result = simulate(scenario, SimulationSettings(replications=1, seed=0))
    assert result.intervals["interval_start"].iloc[0] == when("10:00")
    first = result.intervals[result.intervals["interval_start"] == when("10:00")].set_index("work_type")
    assert first.loc["general", "offered"] == 2 and first.loc["vip", "offered"] == 1
    table = result.work_types.set_index("work_type")
    assert table.loc["general", "asa_s"] == pytest.approx((900 + 1080) / 2)
    assert table.loc["vip", "asa_s"] == pytest.approx(300)
    assert table.loc["general", "service_level"] == 0 and table.loc["general", "sla_breaches"] == 2
    assert result.summary["state"]["waiting"] == 3 and result.summary["intervals"] == 14  # 10:00 .. 23:00


def test_a_busy_agent_takes_nothing_until_its_contact_in_progress_ends() -> None:
    # At 10:00 the agent has a call in progress for 10 more minutes; a call waits since 09:58 and another arrives
    # at 10:05. The waiting one is answered at 10:10, the new one at 10:15. Busy from 10:00 to 10:20, on duty from
    # 10:00 to 16:00: occupancy 1/18; three contacts finished (the one in progress included).
    center = build_center([agent("solo")], work_types=[realtime("calls", "phone")])
    state = SimulationState(
        at=sec("10:00"),
        waiting=(WaitingContact(sec("09:58"), 0, handle_s=300.0),),
        busy=(InProgress("solo", 600.0, 0),),
    )
    scenario = with_state(replay(center, SOLO_DAY, [ticket(when("10:05"), "calls", 300)]), state)
    outcome = run_replication(scenario, PriorityFirst(), 0)
    np.testing.assert_allclose(outcome.answered, [sec("10:10"), sec("10:15")])
    assert outcome.busy_s.tolist() == [1200.0] and outcome.handled.tolist() == [3]
    agents = simulate(scenario, SimulationSettings(replications=1, seed=0)).agents
    assert agents["on_duty_h"].tolist() == [6.0]
    assert agents["occupancy"].iloc[0] == pytest.approx(1200 / (6 * 3600))


def test_chats_in_progress_hold_their_concurrency_slots() -> None:
    # A chat agent (3 at once) holds two chats at 10:00, ending 10:05 and 10:10; three chats wait (09:50, 09:51,
    # 09:52; 20 min each). One slot is free: the first at 10:00, the second at 10:05, the third at 10:10.
    center = build_center(
        [agent("solo", "chat")], work_types=[realtime("chats", "chat", channel="chat", concurrency=3)]
    )
    state = SimulationState(
        at=sec("10:00"),
        waiting=tuple(WaitingContact(sec("09:50") + 60 * i, 0, handle_s=1200.0) for i in range(3)),
        busy=(InProgress("solo", 300.0, 0), InProgress("solo", 600.0, 0)),
    )
    scenario = with_state(replay(center, SOLO_DAY, [ticket(when("15:00"), "chats", 60)]), state)
    outcome = run_replication(scenario, PriorityFirst(), 0)
    np.testing.assert_allclose(outcome.answered, [sec("10:00"), sec("10:05"), sec("10:10"), sec("15:00")])
    # A contact in progress of no work type takes the whole agent: nothing starts before it ends at 10:07.
    whole = SimulationState(at=sec("10:00"), waiting=state.waiting, busy=(InProgress("solo", 420.0),))
    outcome = run_replication(with_state(scenario, whole), PriorityFirst(), 0)
    np.testing.assert_allclose(outcome.answered[:3], [sec("10:07")] * 3)


def forecast_day(center: Center, volume: float) -> Scenario:
    horizon = center.horizon(MONDAY, 1)
    forecast = pd.DataFrame({"interval_start": horizon.intervals, "work_type": "calls", "volume": volume})
    demand = forecast_demand(forecast, center, horizon)
    return build_scenario(center, pd.DataFrame(SOLO_DAY), demand, horizon)


def test_no_arrivals_are_drawn_before_the_moment_and_its_interval_gets_the_share_to_come() -> None:
    # 40 calls an hour; from 10:30 the 10:00 interval has half of its hour to come: 20 calls expected, then 40 an
    # hour. Over 400 replications the mean count has a standard error of sqrt(20 / 400) = 0.22: 4 of them allowed.
    center = build_center([agent("solo")], work_types=[realtime("calls", "phone")])
    scenario = with_state(forecast_day(center, 40.0), SimulationState(at=sec("10:30")))
    rng = np.random.default_rng(11)
    half, next_hour = [], []
    for _ in range(400):
        arrival = draw_contacts(scenario, rng).arrival
        assert arrival.min() >= sec("10:30")
        half.append(int((arrival < sec("11:00")).sum()))
        next_hour.append(int(((arrival >= sec("11:00")) & (arrival < sec("12:00"))).sum()))
    assert abs(np.mean(half) - 20) < 4 * math.sqrt(20 / 400)
    assert abs(np.mean(next_hour) - 40) < 4 * math.sqrt(40 / 400)


def test_a_state_at_the_grid_start_with_nothing_in_it_changes_nothing() -> None:
    # The same draws and the same fates as without a state (the state only adds its moment's event).
    center = build_center([agent("solo"), agent("duo")], work_types=[realtime("calls", "phone", patience_s=60)])
    plain = forecast_day(center, 20.0)
    empty = with_state(plain, SimulationState(at=0.0))
    for seed in range(3):
        a, b = run_replication(plain, PriorityFirst(), seed), run_replication(empty, PriorityFirst(), seed)
        for name in ("answered", "abandoned", "agent"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(a.contacts.arrival, b.contacts.arrival)


# -- bad states -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SimulationState(at=-5.0), r"at = -5\.0"),
        (lambda: SimulationState(at=math.nan), r"at = nan"),
        (lambda: SimulationState(at=100.0, waiting=(WaitingContact(200.0, 0),)), r"waiting\[0\]\.arrival_s = 200"),
        (lambda: SimulationState(at=100.0, waiting=(WaitingContact(50.0, -1),)), r"waiting\[0\]\.work_type = -1"),
        (lambda: SimulationState(at=100.0, waiting=(WaitingContact(50.0, 0, priority=12),)), r"priority = 12"),
        (lambda: SimulationState(at=100.0, waiting=(WaitingContact(50.0, 0, handle_s=0.0),)), r"handle_s = 0\.0"),
        (lambda: SimulationState(at=100.0, waiting=(WaitingContact(50.0, 0, due_s=10.0),)), r"due_s = 10\.0"),
        (lambda: SimulationState(at=100.0, busy=(InProgress("ann", 0.0),)), r"busy\[0\]\.remaining_s = 0\.0"),
        (lambda: SimulationState(at=100.0, busy=(InProgress("", 5.0),)), r"busy\[0\]\.agent = ''"),
    ],
)
def test_a_bad_state_is_refused_naming_the_field(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (SimulationState(at=sec("24:00")), r"not before the end of the grid"),
        (SimulationState(at=100.0, waiting=(WaitingContact(50.0, 5),)), r"waiting\[0\]\.work_type = 5"),
        (SimulationState(at=100.0, busy=(InProgress("zed", 60.0),)), r"busy\[0\]\.agent = 'zed'"),
        (SimulationState(at=100.0, busy=(InProgress("solo", 60.0), InProgress("solo", 60.0))), r"holds 2 contacts"),
        (SimulationState(at=100.0, origin=when("06:00")), r"another grid start"),
    ],
)
def test_a_state_that_does_not_fit_its_scenario_is_refused(state: SimulationState, message: str) -> None:
    scenario = replay(two_priorities(), SOLO_DAY, [ticket(when("10:05"), "vip", 300)])
    with pytest.raises(ValueError, match=message):
        with_state(scenario, state)


# -- the state from what a supervisor has ---------------------------------------------------------------------


def supervisor_center() -> Center:
    return build_center(
        [agent("ann", "phone", "desk"), agent("bob", "phone", "desk")],
        work_types=[
            realtime("calls", "phone", priority=1),
            work_type("emails", "desk", priority=2, deferred=True, within_s=8 * 3600),
        ],
    )


def actuals_so_far() -> pd.DataFrame:
    """The day's per-ticket actuals as a supervisor's export at 10:30 (answers after 10:30 included, as in a
    replayed history)."""
    nat = pd.NaT
    rows = [
        # ticket id, work type, created, first response, resolved, handle time
        ("A", "calls", "10:10", "10:12", "10:17", 300.0),  # answered before 10:30: not waiting
        ("B", "calls", "10:25", "10:33", "10:38", 300.0),  # answered after 10:30: waiting
        ("C", "calls", "10:28", None, None, None),  # no answer yet: waiting
        ("D", "calls", "09:00", None, None, None),  # no answer 90 min on, on the phone: abandoned
        ("E", "emails", "08:00", None, None, None),  # an e-mail with no response: waiting
        ("F", "emails", "09:00", None, "10:00", None),  # closed unanswered before 10:30: not waiting
        ("G", "calls", "10:40", "10:40", "10:45", 300.0),  # after the moment
        ("H", "calls", "10:20", "10:21", "10:36", 900.0),  # in progress at 10:30
    ]
    return pd.DataFrame(
        {
            "ticket_id": [r[0] for r in rows],
            "work_type": [r[1] for r in rows],
            "created_at": [when(r[2]) for r in rows],
            "first_response_at": [when(r[3]) if r[3] else nat for r in rows],
            "resolved_at": [when(r[4]) if r[4] else nat for r in rows],
            "handle_time_s": [r[5] if r[5] else np.nan for r in rows],
            "priority": [np.nan, 1, np.nan, np.nan, 3, np.nan, np.nan, np.nan],
        }
    )


def open_tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": ["T1", "E", "T9"],
            "work_type": ["emails", "emails", "emails"],
            "created_at": [when("07:00"), when("08:00"), when("11:00")],
            "due_at": [when("12:00"), pd.NaT, pd.NaT],
            "priority": [2, 4, 2],
            "est_handle_time_s": [400.0, np.nan, 500.0],
            "customer_tier": ["gold", None, None],
        }
    )


def fields(contact: WaitingContact) -> tuple[object, ...]:
    """A waiting contact's fields, NaN as None (NaN is not equal to itself)."""
    return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in dataclasses.astuple(contact))


def test_the_state_from_history_picks_exactly_the_contacts_waiting_at_the_moment() -> None:
    center = supervisor_center()
    horizon = center.horizon(MONDAY, 1)
    state = state_from_history(center, horizon, when("10:30"), actuals=actuals_so_far(), open_tickets=open_tickets())
    assert state.at == sec("10:30") and state.origin == when("00:00") and state.busy == ()
    calls, emails = 0, 1
    assert [fields(w) for w in state.waiting] == [
        fields(WaitingContact(sec("07:00"), emails, 2, 400.0, sec("12:00"), "gold", "T1")),
        fields(WaitingContact(sec("08:00"), emails, priority=4, ticket_id="E")),  # the open ticket's, not the actuals'
        fields(WaitingContact(sec("10:25"), calls, priority=1, handle_s=300.0, ticket_id="B")),
        fields(WaitingContact(sec("10:28"), calls, ticket_id="C")),
    ]
    notes = " | ".join(state.notes)
    assert "1 realtime contact(s)" in notes and "abandoned" in notes  # D
    assert "1 contact(s) of the actuals were being handled" in notes  # H
    assert "1 open ticket(s) created after the moment" in notes  # T9
    # Busy agents come only from the caller.
    busy = state_from_history(center, horizon, when("10:30"), busy=[InProgress("ann", 120.0, calls)])
    assert busy.waiting == () and busy.busy == (InProgress("ann", 120.0, calls),)


def test_interval_count_actuals_carry_no_queue() -> None:
    center = supervisor_center()
    counts = pd.DataFrame({"interval_start": [when("09:00"), when("10:00")], "work_type": "calls", "volume": [9.0, 12]})
    state = state_from_history(center, center.horizon(MONDAY, 1), when("10:30"), actuals=counts)
    assert state.waiting == () and any("carry no queue" in n for n in state.notes)


def test_bad_history_for_a_state_is_an_input_error_naming_the_row() -> None:
    center = supervisor_center()
    horizon = center.horizon(MONDAY, 1)
    with pytest.raises(InputError, match="outside the simulated days"):
        state_from_history(center, horizon, when("10:30", on=pd.Timestamp("2026-06-02").date()))
    bad = actuals_so_far()
    bad.loc[4, "work_type"] = "faxes"
    with pytest.raises(InputError, match=r"actuals: row 5, column 'work_type': work type 'faxes'"):
        state_from_history(center, horizon, when("10:30"), actuals=bad)
    tickets = open_tickets()
    tickets.loc[0, "due_at"] = when("06:00")
    with pytest.raises(InputError, match=r"open tickets: row 1, column 'due_at': due before it was created"):
        state_from_history(center, horizon, when("10:30"), open_tickets=tickets)
    with pytest.raises(InputError, match="'zed' is not in the centre"):
        state_from_history(center, horizon, when("10:30"), busy=[InProgress("zed", 60.0)])


def test_the_simulation_job_runs_from_a_state(tmp_path: Path) -> None:
    # The replayed day from 10:30: calls B (answered after 10:30) and C wait, and the e-mails E and T1; G arrives at
    # 10:40. Everything is answered; the figures are the rest of the day's and the state's notes come back.
    center = supervisor_center()
    horizon = center.horizon(MONDAY, 1)
    state = state_from_history(center, horizon, when("10:30"), actuals=actuals_so_far(), open_tickets=open_tickets())
    roster = pd.DataFrame([shift(a, when("08:00"), when("16:00")) for a in ("ann", "bob")])
    job = simulate_roster(
        center, roster, tmp_path, replay=actuals_so_far(), settings=SimulationSettings(replications=1), state=state
    )
    table = job.result.work_types.set_index("work_type")
    assert table.loc["calls", "offered"] == 3 and table.loc["emails", "offered"] == 2
    assert table.loc["calls", "answered"] == 3 and table.loc["emails", "answered"] == 2
    assert job.result.intervals["interval_start"].iloc[0] == when("10:00")
    assert any("being handled" in n for n in job.notes)
    assert '"waiting": 4' in (tmp_path / "summary.json").read_text()
    # A state that does not fit (an agent the centre lacks) is an input error.
    with pytest.raises(InputError, match="simulation state"):
        simulate_roster(
            center,
            roster,
            tmp_path / "other",
            replay=actuals_so_far(),
            state=SimulationState(at=sec("10:30"), busy=(InProgress("zed", 60.0),)),
        )


def test_wfm_simulate_from_a_moment_of_the_replayed_day(tmp_path: Path) -> None:
    # The same day as above from the command line: `--from 10:30` starts with the four contacts waiting then (no
    # open tickets here: the actuals' E waits, T1 is not known); without --replay it is refused, nothing written.
    center = supervisor_center()
    (tmp_path / "center.yaml").write_text(dump_center(center))
    pd.DataFrame([shift(a, when("08:00"), when("16:00")) for a in ("ann", "bob")]).to_csv(
        tmp_path / "roster.csv", index=False
    )
    actuals_so_far().to_csv(tmp_path / "day.csv", index=False)
    args = ["simulate", "--roster", tmp_path / "roster.csv", "--center", tmp_path / "center.yaml"]
    result = runner.invoke(
        cli.app, [str(a) for a in [*args, "--replay", tmp_path / "day.csv", "--from", "2026-06-01T10:30", "--out",
                                    tmp_path / "sim", "--replications", "1"]]
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "with 3 contact(s) waiting and 0 in progress then" in result.stdout
    assert "being handled at the moment" in result.stderr
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text())
    assert summary["state"]["waiting"] == 3 and summary["intervals"] == 14
    refused = runner.invoke(
        cli.app, [str(a) for a in [*args, "--forecast", tmp_path / "day.csv", "--from", "2026-06-01T10:30", "--out",
                                    tmp_path / "other"]]
    )  # fmt: skip
    assert refused.exit_code == ExitCode.BAD_INPUT and "give --replay with --from" in refused.stderr
    assert not (tmp_path / "other").exists()


def test_a_run_restarted_from_its_own_state_at_noon_answers_every_later_contact_at_the_same_time() -> None:
    # A replayed day (given handle times, nobody abandons, three identical agents: who takes a contact does not
    # change when anyone is answered) run once whole; then from its own state at 12:00 (the calls waiting then, with
    # their arrivals; the calls in progress then, by agent and remaining time). Every call waiting at noon or
    # arriving after it is answered at the same instant in both runs. (Seed 10 has a queue at noon.)
    rng = np.random.default_rng(10)
    arrivals = np.sort(rng.uniform(sec("08:00"), sec("16:00"), 240))
    handles = rng.exponential(300.0, 240)
    center = build_center([agent(f"a{i}") for i in range(3)], work_types=[realtime("calls", "phone")])
    tickets = [
        ticket(when("00:00", t), "calls", h, f"c{i}") for i, (t, h) in enumerate(zip(arrivals, handles, strict=True))
    ]
    roster = [shift(f"a{i}", when("00:00"), when("24:00")) for i in range(3)]
    whole = run_replication(replay(center, roster, tickets), PriorityFirst(), 0)
    noon = sec("12:00")
    answered, agent_of = whole.answered, whole.agent
    waiting = (whole.contacts.arrival < noon) & (answered > noon)
    busy = (answered <= noon) & (answered + whole.contacts.handle > noon)
    assert waiting.sum() >= 3 and busy.sum() == 3  # a queue at noon, all three agents busy
    state = SimulationState(
        at=noon,
        waiting=tuple(
            WaitingContact(float(whole.contacts.arrival[c]), 0, handle_s=float(whole.contacts.handle[c]))
            for c in np.flatnonzero(waiting)
        ),
        busy=tuple(
            InProgress(f"a{agent_of[c]}", float(answered[c] + whole.contacts.handle[c] - noon), 0)
            for c in np.flatnonzero(busy)
        ),
    )
    restarted = run_replication(with_state(replay(center, roster, tickets), state), PriorityFirst(), 0)
    later = waiting | (whole.contacts.arrival >= noon)
    np.testing.assert_array_equal(restarted.contacts.arrival, whole.contacts.arrival[later])
    np.testing.assert_allclose(restarted.answered, answered[later], rtol=0, atol=1e-6)


@dataclass(frozen=True)
class _Watching(PriorityFirst):
    """A re-planning policy that changes nothing and notes when it was asked and what waited then."""

    asked: list[tuple[float, int]] = field(default_factory=list)

    @property
    def replan_every_s(self) -> float:
        return 900.0

    def decide(self, scenario: Scenario, contacts: Contacts, snapshot: Snapshot) -> Replan:
        self.asked.append((snapshot.now, len(snapshot.waiting)))
        return Replan()


def test_a_replanning_policy_replans_at_the_moment_then_on_its_grid_and_sees_yesterdays_tickets() -> None:
    # From 10:05 with an e-mail left from yesterday 17:00 (due in 24 h: 17:00 today) and the only agent busy until
    # 10:25: the policy is asked at 10:05 (the e-mail waits), then at 10:15 (it still waits), and at 10:30 it is
    # done (taken at 10:25, 600 s, late by nothing). CP-SAT's re-plan runs from the same state too.
    center = build_center(
        [agent("solo", "desk")], work_types=[work_type("emails", "desk", priority=2, deferred=True, within_s=86400)]
    )
    state = SimulationState(
        at=sec("10:05"),
        waiting=(WaitingContact(sec("17:00") - 86400, 0, handle_s=600.0, ticket_id="Y1"),),
        busy=(InProgress("solo", 1200.0, 0),),
    )
    scenario = with_state(replay(center, SOLO_DAY, [ticket(when("15:00"), "emails", 600, "T2")]), state)
    policy = _Watching()
    outcome = run_replication(scenario, policy, 0)
    assert policy.asked[:3] == [(sec("10:05"), 1), (sec("10:15"), 1), (sec("10:30"), 0)]
    np.testing.assert_allclose(outcome.answered, [sec("10:25"), sec("15:00")])
    result = simulate(scenario, SimulationSettings(replications=1), policy=_Watching())
    assert result.work_types.set_index("work_type").loc["emails", "service_level"] == 1.0
    planned = run_replication(scenario, ReplanningAssignment(every_s=900, time_limit_s=2.0), 0)
    np.testing.assert_allclose(planned.answered, [sec("10:25"), sec("15:00")])


def test_the_state_honours_the_abandoned_flag_and_names_who_is_busy() -> None:
    center = supervisor_center()
    horizon = center.horizon(MONDAY, 1)
    actuals = actuals_so_far()
    actuals["abandoned"] = [False, False, True, False, None, None, False, False]  # C gave up; D is still waiting
    actuals["agent_id"] = [None] * 7 + ["ann"]  # H, in progress at 10:30, is ann's
    state = state_from_history(center, horizon, when("10:30"), actuals=actuals)
    assert [w.ticket_id for w in state.waiting] == ["E", "D", "B"]
    calls = 0
    assert state.busy == (InProgress("ann", 360.0, calls),)  # answered 10:21 for 900 s: 6 min left at 10:30
    notes = " | ".join(state.notes)
    assert "abandoned" not in notes and "were being handled" not in notes
