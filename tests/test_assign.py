"""Ticket-to-agent assignment (`planner.assign`): tiny instances with hand-worked optimal assignments, unassigned
reasons, defaults, breaks, chat concurrency, input errors, determinism, and property tests that every method's
plan respects the facts and that the optimum is no worse than any baseline.

Times are minutes after `AT` (Monday 09:00). Points, as the model counts them (`planner.assign.model`): a priority
weighs 64 (1), 16 (2), 4 (3), 1 (4); a breach costs 100 x weight, a late minute 1 x weight, an unassigned ticket
50 x weight, the busiest agent's booked minutes 0.05 each, a region mismatch 5, a slower agent 5 x (1 -
proficiency), a high-tier customer 20 x tier weight x (1 - quality), a moved ticket 10; flow weighs 0 by default.
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace
from typing import Any

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from ortools.sat.python import cp_model

from models import ASSIGNMENT, OPEN_TICKETS, InputError
from models.tables import parse_table
from planner.assign import (
    HEURISTICS,
    METHODS,
    AssignModel,
    AssignProblem,
    AssignResult,
    AssignSettings,
    assign,
    assignment_table,
    build_assign_problem,
    capacity_free_bound,
    earliest_finish,
    evaluate,
)
from planner.assign import solver as solver_module
from planner.assign.decompose import Budget, decompose
from planner.assign.problem import CAPACITY
from tests.assign_helpers import (
    AT,
    SETTINGS,
    assign_center,
    call,
    chat,
    email,
    minutes,
    on_shift,
    person,
    placed,
    plan_of,
    roster,
    rows,
    ticket,
    tickets,
    violations,
)
from tests.conftest import assert_problem
from tests.roster_helpers import TZ

BASELINES = tuple(HEURISTICS)
EPS = 1e-6


def solve(problem: AssignProblem, method: str = "optimal", settings: AssignSettings = SETTINGS) -> AssignResult:
    """Assign, and check what every result must satisfy: the plan respects the facts, its breakdown is what
    `evaluate` scores for it, the bound lies below it, and the table is a valid assignment table."""
    result = assign(problem, method, settings)
    assert violations(problem, result.table) == []
    scored = evaluate(problem, plan_of(problem, result.table), settings.weights)
    assert result.breakdown == pytest.approx(scored)
    assert result.objective == pytest.approx(sum(scored.values()))
    assert result.best_bound <= result.objective + EPS
    # A valid `models.ASSIGNMENT` table, as `wfm assign` writes and `wfm simulate --assignment` reads it back.
    parse_table(result.table, ASSIGNMENT, "assignment", timezone=TZ)
    return result


def mail_desk(*agents: dict[str, Any], **center: Any) -> Any:
    """A centre handling `mail` (email, priority 2, due 60 min after creation, 10-min AHT) with these agents."""
    return assign_center(agents or [person("a", "mail")], [email()], **center)


# -- hand-worked optima -------------------------------------------------------------------------------------------


def test_the_optimum_does_the_small_urgent_ticket_first_where_priority_first_breaches_it() -> None:
    # One agent from 0. p1: priority 1, 20 min, due +60. p2: priority 2, 5 min, due +10.
    # Priority first: p1 0-20, p2 20-25 -> p2 late 15 min: breach 100 x 16 + lateness 15 x 16 = 1600 + 240.
    # Optimum: p2 0-5, p1 5-25, both on time; only balance: 25 booked minutes x 0.05 = 1.25.
    problem = build_assign_problem(
        tickets(
            ticket("p1", due=60, handle_s=1200, priority=1),
            ticket("p2", due=10, handle_s=300, priority=2),
        ),
        roster(on_shift("a", -60, 420)),
        mail_desk(),
        AT,
    )
    best = solve(problem)
    assert best.status == "OPTIMAL"
    assert placed(best.table) == {"p2": ("a", 0, 5), "p1": ("a", 5, 25)}
    assert best.objective == pytest.approx(1.25)
    assert best.kpis["predicted_breaches_by_priority"] == {1: 0, 2: 0}

    greedy = solve(problem, "priority-least-loaded")
    assert placed(greedy.table) == {"p1": ("a", 0, 20), "p2": ("a", 20, 25)}
    assert greedy.breakdown["breaches"] == pytest.approx(1600)
    assert greedy.breakdown["lateness"] == pytest.approx(240)
    assert greedy.kpis["predicted_breaches_by_priority"] == {1: 0, 2: 1}
    assert greedy.kpis["priority_weighted_breaches"] == 16
    assert greedy.kpis["lateness_minutes"] == 15


def test_with_two_agents_the_optimum_meets_the_deadline_that_priority_first_breaks() -> None:
    # Agents a, b from 0. x, y: priority 1, 30 min, due +60; z: priority 2, 10 min, due +10.
    # Priority first, least loaded: x -> a 0-30, y -> b 0-30, z -> a 30-40: late 30 min, 1600 + 30 x 16 = 2080.
    # Optimum: z first on one agent (0-10), a priority-1 ticket after it (10-40, due 60) and the other on the
    # other agent (0-30): no breach; the busiest agent books 40 min -> balance 2.0, the whole objective.
    problem = build_assign_problem(
        tickets(
            ticket("x", due=60, handle_s=1800, priority=1),
            ticket("y", due=60, handle_s=1800, priority=1),
            ticket("z", due=10, handle_s=600, priority=2),
        ),
        roster(on_shift("a", 0, 480), on_shift("b", 0, 480)),
        mail_desk(person("a", "mail"), person("b", "mail")),
        AT,
    )
    greedy = solve(problem, "priority-least-loaded")
    assert placed(greedy.table) == {"x": ("a", 0, 30), "y": ("b", 0, 30), "z": ("a", 30, 40)}
    assert greedy.breakdown["breaches"] + greedy.breakdown["lateness"] == pytest.approx(2080)

    best = solve(problem)
    assert best.status == "OPTIMAL"
    plan = placed(best.table)
    assert plan["z"][1:] == (0, 10)
    assert sorted(plan[t][1:] for t in ("x", "y")) == [(0, 30), (10, 40)]
    (after_z,) = [t for t in ("x", "y") if plan[t][1] == 10]
    assert plan[after_z][0] == plan["z"][0]
    assert best.objective == pytest.approx(2.0)
    assert best.kpis["predicted_breaches_by_priority"] == {1: 0, 2: 0}


@pytest.mark.parametrize("method", METHODS)
def test_a_ticket_goes_to_the_only_agent_with_its_skill(method: str) -> None:
    # a (mail only) is listed first; only b has `billing`. Both idle from 0: each ticket goes to the one agent with
    # its skill, whatever the method.
    center = assign_center(
        [person("a", "mail"), person("b", "billing")], [email(), email("bills", "billing", priority=1)]
    )
    problem = build_assign_problem(
        tickets(ticket("m", "mail"), ticket("bill", "bills")),
        roster(on_shift("a", 0, 480), on_shift("b", 0, 480)),
        center,
        AT,
    )
    result = solve(problem, method)
    assert placed(result.table) == {"m": ("a", 0, 10), "bill": ("b", 0, 10)}


@pytest.mark.parametrize("method", ["optimal", "earliest-finish"])
def test_equal_otherwise_the_agent_of_the_tickets_region_gets_it(method: str) -> None:
    # n (north, listed first) and s (south), both idle from 0; the ticket is from the south. Placing it with n
    # costs a region mismatch (5 points), with s nothing: the optimum 10 booked min x 0.05 = 0.5.
    center = mail_desk(
        person("n", "mail", region="north"), person("s", "mail", region="south"), regions=["north", "south"]
    )
    problem = build_assign_problem(
        tickets(ticket("t", region="south")), roster(on_shift("n", 0, 480), on_shift("s", 0, 480)), center, AT
    )
    result = solve(problem, method)
    assert placed(result.table) == {"t": ("s", 0, 10)}
    assert result.breakdown["region"] == 0
    # And the mismatch is priced at 5 points: the same ticket from the north, given to s by force (only s on).
    forced = build_assign_problem(tickets(ticket("t", region="north")), roster(on_shift("s", 0, 480)), center, AT)
    assert solve(forced, method).breakdown["region"] == pytest.approx(5)


def test_the_high_tier_customer_goes_to_the_agent_of_higher_quality() -> None:
    # Quality: a 0.5 (listed first), b 0.9. Tickets g (gold, weight 2) and s (standard, weight 1), 10 min each,
    # due +60, agents idle from 0. Tier-quality cost 20 x weight x (1 - quality):
    #   g -> b: 4, g -> a: 20; s -> b: 2, s -> a: 10. Balance 0.05 per busiest agent's minute.
    #   g, s -> b: 4 + 2 + 20 min x 0.05 = 7.0;  g -> b, s -> a: 4 + 10 + 0.5 = 14.5;  g -> a, s -> b: 22.5.
    # The optimum: both with b, objective 7.0.
    center = mail_desk(
        person("a", "mail"), person("b", "mail"), tiers=[{"id": "gold", "weight": 2.0}, {"id": "standard"}]
    )
    quality = pd.DataFrame({"agent_id": ["a", "b"], "work_type": ["mail", "mail"], "score": [0.5, 0.9]})
    problem = build_assign_problem(
        tickets(ticket("g", tier="gold"), ticket("s", tier="standard")),
        roster(on_shift("a", 0, 480), on_shift("b", 0, 480)),
        center,
        AT,
        quality=quality,
    )
    result = solve(problem)
    assert result.status == "OPTIMAL"
    assert {t: p[0] for t, p in placed(result.table).items()} == {"g": "b", "s": "b"}
    assert result.breakdown["tier_quality"] == pytest.approx(6.0)
    assert result.objective == pytest.approx(7.0)


def test_an_assigned_ticket_stays_with_its_agent_unless_moving_it_avoids_a_breach() -> None:
    center = mail_desk(person("a", "mail"), person("b", "mail"))
    # Both idle from 0, the ticket assigned to b (listed second): moving it would cost 10 points of churn.
    stay = build_assign_problem(
        tickets(ticket("t", due=60, handle_s=300, assigned="b")),
        roster(on_shift("a", 0, 480), on_shift("b", 0, 480)),
        center,
        AT,
    )
    result = solve(stay)
    assert placed(result.table) == {"t": ("b", 0, 5)}
    assert result.breakdown["churn"] == 0
    # b only starts at +30 and the ticket is due at +60: staying costs nothing, so it waits for b.
    late_start = roster(on_shift("a", 0, 480), on_shift("b", 30, 480))
    wait = build_assign_problem(tickets(ticket("t", due=60, handle_s=300, assigned="b")), late_start, center, AT)
    assert placed(solve(wait).table) == {"t": ("b", 30, 35)}
    # Due at +10 instead: staying would end at +35, a breach (1600 + 25 x 16); moving to a costs 10.
    # Optimum: a 0-5, objective 10 + 5 min x 0.05 = 10.25.
    move = build_assign_problem(tickets(ticket("t", due=10, handle_s=300, assigned="b")), late_start, center, AT)
    moved = solve(move)
    assert placed(moved.table) == {"t": ("a", 0, 5)}
    assert moved.breakdown["churn"] == pytest.approx(10)
    assert moved.objective == pytest.approx(10.25)


@pytest.mark.parametrize("method", METHODS)
def test_an_agent_of_proficiency_one_half_takes_twice_the_handle_time(method: str) -> None:
    # 600 s at proficiency 0.5 -> 1200 s; the proficiency term 5 x (1 - 0.5) = 2.5.
    center = mail_desk(person("slow", ("mail", 0.5)))
    problem = build_assign_problem(tickets(ticket("t", handle_s=600)), roster(on_shift("slow", 0, 480)), center, AT)
    result = solve(problem, method)
    row = rows(result.table)["t"]
    assert row["planned_end"] - row["planned_start"] == pd.Timedelta(minutes=20)
    assert result.breakdown["proficiency"] == pytest.approx(2.5)


def test_strict_priority_never_trades_priority_one_lateness_for_priority_two_gains() -> None:
    # One agent from 0. a: priority 1, 10 min, due +9 (late whatever happens); b: priority 2, 1 min, due +1.
    # Weighted: b 0-1, a 1-11: a 2 min late (6400 + 128), b on time; a first would cost 6400 + 64 + 1600 + 160.
    # Strict: a's lateness first: a 0-10 (1 min late), then b 10-11 (10 min late).
    problem = build_assign_problem(
        tickets(
            ticket("a", due=9, handle_s=600, priority=1),
            ticket("b", due=1, handle_s=60, priority=2),
        ),
        roster(on_shift("x", 0, 480)),
        mail_desk(person("x", "mail")),
        AT,
    )
    weighted = solve(problem)
    assert placed(weighted.table) == {"b": ("x", 0, 1), "a": ("x", 1, 11)}
    assert weighted.breakdown["breaches"] + weighted.breakdown["lateness"] == pytest.approx(6400 + 128)

    strict = solve(problem, settings=AssignSettings(time_limit_s=5.0, workers=2, strict_priority=True))
    assert strict.status == "OPTIMAL"
    assert placed(strict.table) == {"a": ("x", 0, 10), "b": ("x", 10, 11)}
    assert strict.breakdown["breaches"] + strict.breakdown["lateness"] == pytest.approx(6400 + 64 + 1600 + 160)


def test_strict_priority_breaches_no_more_top_priority_tickets_than_the_weighted_objective() -> None:
    # Three priority-1 tickets on one agent: j0 4 min due +1, j1 4 min due +7, j2 5 min due +1.
    # Least total lateness: j0, j1, j2 (ends 4, 8, 13: late 3 + 1 + 12 = 16 min) but 3 breaches.
    # Fewest breaches: j1, j0, j2 (ends 4, 8, 13: j1 on time; late 7 + 12 = 19 min), 2 breaches; the weighted
    # objective takes it (2 x 6400 + 19 x 64 < 3 x 6400 + 16 x 64). Strict priority, "each priority's breaches
    # and lateness minimised", must do no worse on priority 1 than the weighted objective.
    problem = build_assign_problem(
        tickets(
            ticket("j0", due=1, handle_s=240, priority=1),
            ticket("j1", due=7, handle_s=240, priority=1),
            ticket("j2", due=1, handle_s=300, priority=1),
        ),
        roster(on_shift("x", 0, 480)),
        mail_desk(person("x", "mail")),
        AT,
    )
    weighted = solve(problem)
    assert weighted.kpis["predicted_breaches_by_priority"] == {1: 2}
    strict = solve(problem, settings=AssignSettings(time_limit_s=5.0, workers=2, strict_priority=True))
    assert strict.kpis["predicted_breaches_by_priority"] == {1: 2}


def test_strict_priority_still_assigns_a_long_overdue_ticket() -> None:
    # Due 4 hours ago, 10 min of work, one idle agent, a 30-min horizon: start it now (+0 to +10), late 250 min.
    # The weighted objective does; strict priority must too (leaving it out is later still).
    problem = build_assign_problem(
        tickets(ticket("old", created=-300, due=-240, handle_s=600, priority=1)),
        roster(on_shift("a", -60, 420)),
        mail_desk(),
        AT,
        horizon_minutes=30,
    )
    assert placed(solve(problem).table) == {"old": ("a", 0, 10)}
    strict = solve(problem, settings=AssignSettings(time_limit_s=5.0, workers=2, strict_priority=True))
    assert placed(strict.table) == {"old": ("a", 0, 10)}


# -- unassigned tickets and the horizon ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_a_ticket_nobody_on_shift_has_the_skill_for_is_unassigned_with_that_reason(method: str) -> None:
    # b has `billing` but is not on the roster; a (on shift) has only mail.
    center = assign_center(
        [person("a", "mail"), person("b", "billing")], [email(), email("bills", "billing", priority=1)]
    )
    problem = build_assign_problem(
        tickets(ticket("m"), ticket("bill", "bills", due=30)), roster(on_shift("a", 0, 480)), center, AT
    )
    result = solve(problem, method)
    row = rows(result.table)["bill"]
    assert pd.isna(row["agent_id"]) and pd.isna(row["planned_start"]) and pd.isna(row["planned_end"])
    assert row["reason"] == "no agent on shift has the skill for bills"
    assert result.kpis["unassigned_by_reason"] == {"no agent on shift has the skill for bills": 1}
    # Unassigned, due within the horizon: breach 100 x 64, unassigned 50 x 64, late from +30 to the horizon's
    # end (+480) plus its 10 min: 460 min x 64.
    assert result.breakdown["unassigned"] == pytest.approx(3200)
    assert result.breakdown["breaches"] == pytest.approx(6400)
    assert result.breakdown["lateness"] == pytest.approx(460 * 64)
    assert row["predicted_late_s"] == 460 * 60
    assert placed(result.table) == {"m": ("a", 0, 10)}


WINDOW_REASON = "no agent with the skill has a working window long enough for it before the horizon ends"


@pytest.mark.parametrize("method", METHODS)
def test_a_ticket_longer_than_every_working_window_is_unassigned_with_that_reason(method: str) -> None:
    # a works 0-120 with a break 60-75: windows of 60 and 45 min. A 70-min ticket fits neither; a 50-min one
    # fits the first.
    problem = build_assign_problem(
        tickets(ticket("long", handle_s=70 * 60), ticket("fits", handle_s=50 * 60)),
        roster(on_shift("a", 0, 120, (60, 75))),
        mail_desk(),
        AT,
    )
    assert problem.horizon_s == 120 * 60
    result = solve(problem, method)
    assert rows(result.table)["long"]["reason"] == WINDOW_REASON
    assert placed(result.table) == {"fits": ("a", 0, 50)}


@pytest.mark.parametrize("method", METHODS)
def test_horizon_minutes_cuts_the_horizon(method: str) -> None:
    # An 8-hour shift, a 30-min horizon: a 40-min ticket no longer fits; of two 20-min tickets only one does.
    problem = build_assign_problem(
        tickets(ticket("long", handle_s=2400), ticket("first", handle_s=1200), ticket("second", handle_s=1200)),
        roster(on_shift("a", 0, 480)),
        mail_desk(),
        AT,
        horizon_minutes=30,
    )
    assert problem.horizon_s == 1800
    assert problem.agents[0].windows == ((0, 1800),)
    result = solve(problem, method)
    table = rows(result.table)
    assert table["long"]["reason"] == WINDOW_REASON
    assert len(placed(result.table)) == 1
    ((_, start, end),) = placed(result.table).values()
    assert (start, end) == (0, 20)
    assert sorted("" if pd.isna(r["reason"]) else r["reason"] for t, r in table.items() if t != "long") == [
        "",
        "no room before the horizon ends",
    ]


def test_the_default_horizon_is_the_rest_of_the_shifts_on_now() -> None:
    # a works -60..+120 (on now), b +60..+300 (not on yet): the horizon ends with a's shift at +120, and b's
    # window is cut there.
    problem = build_assign_problem(
        tickets(ticket("t")),
        roster(on_shift("a", -60, 120), on_shift("b", 60, 300)),
        mail_desk(person("a", "mail"), person("b", "mail")),
        AT,
    )
    assert problem.horizon_s == 120 * 60
    assert {a.id: a.windows for a in problem.agents} == {"a": ((0, 7200),), "b": ((3600, 7200),)}


def test_with_nobody_on_shift_now_the_horizon_is_eight_hours() -> None:
    problem = build_assign_problem(tickets(ticket("t")), roster(on_shift("a", 60, 600)), mail_desk(), AT)
    assert problem.horizon_s == 8 * 3600
    assert problem.agents[0].windows == ((3600, 8 * 3600),)


# -- defaults from the work type and the tier ---------------------------------------------------------------------


def test_due_time_handle_time_and_priority_default_to_the_work_type_and_tier() -> None:
    # mail: within 3600 s (gold: 900 s), AHT 600 s, priority 2.
    center = assign_center(
        [person("a", "mail")],
        [email(within_s=3600, aht_s=600, priority=2, tier_within_s={"gold": 900})],
        tiers=[{"id": "gold", "weight": 3.0}, {"id": "standard"}],
    )
    problem = build_assign_problem(
        tickets(
            ticket("plain", created=-10),
            ticket("gold", created=-10, tier="gold"),
            ticket("standard", created=-10, tier="standard"),
            ticket("given", created=-10, due=5, handle_s=90.2, priority=4, tier="gold"),
        ),
        roster(on_shift("a", 0, 480)),
        center,
        AT,
    )
    got = {t.id: (t.due_s, t.handle_s, t.priority, t.tier_weight) for t in problem.tickets}
    assert got == {
        "plain": (-600 + 3600, 600, 2, 1.0),
        "gold": (-600 + 900, 600, 2, 3.0),
        "standard": (-600 + 3600, 600, 2, 1.0),
        "given": (300, 91, 4, 3.0),  # the handle time rounds up to the second
    }
    table = rows(solve(problem).table)
    assert table["gold"]["due_at"] == minutes(5)
    assert table["plain"]["due_at"] == minutes(50)


# -- breaks and chat concurrency ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_no_ticket_overlaps_a_break_or_leaves_the_shift(method: str) -> None:
    # a works 0-120 with a break 30-45; b -30..90 with a break 20-50; seven 20-min tickets.
    center = mail_desk(person("a", "mail"), person("b", "mail"))
    problem = build_assign_problem(
        tickets(*[ticket(f"t{i}", handle_s=1200, due=60 + 10 * i) for i in range(7)]),
        roster(on_shift("a", 0, 120, (30, 45)), on_shift("b", -30, 90, (20, 50))),
        center,
        AT,
    )
    result = solve(problem, method)
    shifts = {"a": (0, 120, (30, 45)), "b": (0, 90, (20, 50))}
    for agent_id, start, end in placed(result.table).values():
        first, last, (b0, b1) = shifts[agent_id]
        assert first <= start and end <= last
        assert end <= b0 or start >= b1
    # Room for all seven: a 0-20, 45-65, 65-85, 85-105; b 0-20, 50-70, 70-90.
    assert result.kpis["assigned"] == 7


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    return max((sum(s <= p < e for s, e in intervals) for p, _ in intervals), default=0)


@pytest.mark.parametrize("method", METHODS)
def test_an_agent_holds_up_to_a_chats_concurrency_at_once(method: str) -> None:
    # Chats of concurrency 3, 10 min each, one agent from 0 to 60: four chats due +10 -> three at 0-10, the
    # fourth at 10-20 (one breach whatever the method).
    center = assign_center([person("a", "chat")], [chat(concurrency=3)])
    problem = build_assign_problem(
        tickets(*[ticket(f"c{i}", "chats", due=10, handle_s=600) for i in range(4)]),
        roster(on_shift("a", 0, 60)),
        center,
        AT,
    )
    result = solve(problem, method)
    intervals = [(s, e) for _, s, e in placed(result.table).values()]
    assert sorted(intervals) == [(0, 10)] * 3 + [(10, 20)]
    assert most_at_once(intervals) == 3
    assert result.status in ("OPTIMAL", "HEURISTIC")


@pytest.mark.parametrize("method", METHODS)
def test_a_call_never_shares_the_agent_with_a_chat(method: str) -> None:
    # One agent with phone and chat from 0 to 60; a 10-min call and two 10-min chats, all due +10: a call takes the
    # whole agent, so the two chats may share 0-10 but the call must come before or after them. The optimum: chats
    # 0-10 and the call 10-20, one priority-1 breach rather than two.
    center = assign_center([person("a", "phone", "chat")], [call(aht_s=600), chat(concurrency=3, priority=1)])
    problem = build_assign_problem(
        tickets(
            ticket("call", "calls", due=10),
            ticket("c1", "chats", due=10),
            ticket("c2", "chats", due=10),
        ),
        roster(on_shift("a", 0, 60)),
        center,
        AT,
    )
    result = solve(problem, method)
    plan = placed(result.table)
    assert set(plan) == {"call", "c1", "c2"}
    _, call_start, call_end = plan["call"]
    for name in ("c1", "c2"):
        _, start, end = plan[name]
        assert end <= call_start or start >= call_end, (name, plan)
    if method == "optimal":
        assert result.status == "OPTIMAL"
        assert plan == {"c1": ("a", 0, 10), "c2": ("a", 0, 10), "call": ("a", 10, 20)}


@pytest.mark.parametrize("method", METHODS)
def test_an_agents_max_concurrency_caps_the_chats_it_holds(method: str) -> None:
    # Concurrency 3, but the agent takes at most 2 at once: four 10-min chats -> 0-10 twice, 10-20 twice.
    center = assign_center([person("a", "chat", max_concurrency=2)], [chat(concurrency=3)])
    problem = build_assign_problem(
        tickets(*[ticket(f"c{i}", "chats", due=60, handle_s=600) for i in range(4)]),
        roster(on_shift("a", 0, 60)),
        center,
        AT,
    )
    result = solve(problem, method)
    intervals = [(s, e) for _, s, e in placed(result.table).values()]
    assert sorted(intervals) == [(0, 10)] * 2 + [(10, 20)] * 2
    assert most_at_once(intervals) == 2
    assert result.status in ("OPTIMAL", "HEURISTIC")


def test_the_optimum_is_no_worse_than_fifo_when_chats_fill_the_horizon() -> None:
    # One agent, 0-60, chats of concurrency 3. l1, l2 (priority 2): 60 min, due +60, the oldest; s1, s2 (priority
    # 1): 30 min, due +30 and +60. FIFO: l1 0-60, l2 0-60, s1 0-30, s2 30-60: all on time, 180 booked minutes.
    # Earliest finish (priority first) puts s1 and s2 at 0-30 and leaves l2 out. The optimum meets them all.
    center = assign_center([person("a", "chat")], [chat(concurrency=3)])
    problem = build_assign_problem(
        tickets(
            ticket("l1", "chats", created=-20, due=60, handle_s=3600, priority=2),
            ticket("l2", "chats", created=-20, due=60, handle_s=3600, priority=2),
            ticket("s1", "chats", created=-10, due=30, handle_s=1800, priority=1),
            ticket("s2", "chats", created=-10, due=60, handle_s=1800, priority=1),
        ),
        roster(on_shift("a", 0, 60)),
        center,
        AT,
    )
    fifo = solve(problem, "fifo-round-robin")
    assert fifo.kpis["predicted_breaches_by_priority"] == {1: 0, 2: 0}
    best = solve(problem)
    assert best.objective <= fifo.objective + EPS
    assert best.kpis["predicted_breaches_by_priority"] == {1: 0, 2: 0}


# -- settings, determinism and input errors -----------------------------------------------------------------------


def busy_instance() -> AssignProblem:
    """Three agents (one with a break) and eight mails of mixed priorities and due times: enough for CP-SAT to
    search, small enough to solve in well under a second."""
    center = mail_desk(person("a", "mail"), person("b", ("mail", 0.8)), person("c", "mail"))
    return build_assign_problem(
        tickets(
            *[
                ticket(f"t{i}", created=-5 * i, due=(7 * i) % 50, handle_s=300 + 97 * i, priority=1 + i % 3)
                for i in range(8)
            ]
        ),
        roster(on_shift("a", 0, 90, (30, 45)), on_shift("b", 0, 90), on_shift("c", 10, 90)),
        center,
        AT,
    )


def test_deterministic_solves_with_the_same_seed_give_the_same_table() -> None:
    problem = busy_instance()
    fixed = AssignSettings(time_limit_s=2.0, workers=2, seed=7, deterministic=True)
    first, second = assign(problem, "optimal", fixed), assign(problem, "optimal", fixed)
    pd.testing.assert_frame_equal(first.table, second.table)
    assert first.objective == second.objective


RECORDED = (
    "num_workers",
    "random_seed",
    "relative_gap_limit",
    "interleave_search",
    "max_time_in_seconds",
    "max_deterministic_time",
)


class Recording(cp_model.CpSolver):
    """A CP-SAT solver that notes the parameters in `RECORDED` at every solve."""

    seen: list[SimpleNamespace] = []

    def solve(self, *args: Any, **kwargs: Any) -> Any:
        Recording.seen.append(SimpleNamespace(**{name: getattr(self.parameters, name) for name in RECORDED}))
        return super().solve(*args, **kwargs)


def clock(step: float) -> SimpleNamespace:
    """A stand-in for the `time` module whose perf_counter advances `step` seconds at each reading."""
    ticks = iter(range(1_000_000))
    return SimpleNamespace(perf_counter=lambda: step * next(ticks))


def test_the_settings_arrive_at_cp_sat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Recording, "seen", [])
    monkeypatch.setattr(solver_module.cp_model, "CpSolver", Recording)
    problem = build_assign_problem(tickets(ticket("t")), roster(on_shift("a", 0, 480)), mail_desk(), AT)
    assign(problem, "optimal", AssignSettings(time_limit_s=3.0, workers=2, seed=11, relative_gap=0.25))
    assign(problem, "optimal", AssignSettings(time_limit_s=3.0, workers=1, seed=5, deterministic=True))
    free, fixed = Recording.seen
    assert (free.num_workers, free.random_seed, free.relative_gap_limit) == (2, 11, 0.25)
    assert 0 < free.max_time_in_seconds <= 3.0
    assert (fixed.num_workers, fixed.random_seed, fixed.interleave_search) == (1, 5, True)
    assert 0 < fixed.max_deterministic_time <= 3.0


def test_a_deterministic_solve_does_not_depend_on_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Recording, "seen", [])
    monkeypatch.setattr(solver_module.cp_model, "CpSolver", Recording)
    problem = build_assign_problem(tickets(ticket("t")), roster(on_shift("a", 0, 480)), mail_desk(), AT)
    fixed = AssignSettings(time_limit_s=3.0, workers=1, seed=5, deterministic=True)
    for step in (0.1, 0.4):  # a slow and a slower machine: each reading of the clock advances it by `step`
        monkeypatch.setattr(solver_module, "time", clock(step))
        assign(problem, "optimal", fixed)
    fast, slow = Recording.seen
    assert fast.max_deterministic_time == slow.max_deterministic_time


def test_an_unknown_work_type_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        build_assign_problem(tickets(ticket("t", "faxes")), roster(on_shift("a", 0, 480)), mail_desk(), AT)
    assert_problem(caught.value, "column 'work_type'", "faxes", source="tickets")


def test_an_unknown_customer_tier_is_an_input_error() -> None:
    center = mail_desk(tiers=[{"id": "gold", "weight": 2.0}])
    with pytest.raises(InputError) as caught:
        build_assign_problem(
            tickets(ticket("t", tier="gold"), ticket("u", tier="platinum")), roster(on_shift("a", 0, 480)), center, AT
        )
    assert_problem(caught.value, "row 2, column 'customer_tier'", "'platinum'", "gold", source="tickets")


def test_a_roster_agent_not_in_the_centre_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        build_assign_problem(
            tickets(ticket("t")), roster(on_shift("a", 0, 480), on_shift("ghost", 0, 480)), mail_desk(), AT
        )
    assert_problem(caught.value, "column 'agent_id'", "ghost", source="roster")


@pytest.mark.parametrize("horizon", [0, -30, math.nan])
def test_a_horizon_that_is_not_positive_is_an_input_error(horizon: float) -> None:
    with pytest.raises(InputError, match="not positive"):
        build_assign_problem(
            tickets(ticket("t")), roster(on_shift("a", 0, 480)), mail_desk(), AT, horizon_minutes=horizon
        )


@pytest.mark.parametrize("method", METHODS)
def test_no_tickets_or_nobody_on_the_roster(method: str) -> None:
    center = mail_desk()
    empty = solve(build_assign_problem(tickets(), roster(), center, AT), method)
    assert empty.table.empty and empty.objective == 0
    assert list(empty.table.columns)[:7] == list(ASSIGNMENT.names)
    # Nobody on: the horizon is 8 hours; the ticket (due +60) is breached (1600), unassigned (800) and late to
    # +480 plus its 10 min: 430 min x 16 = 6880.
    alone = build_assign_problem(tickets(ticket("t")), roster(), center, AT)
    result = solve(alone, method)
    assert rows(result.table)["t"]["reason"] == "no agent on shift has the skill for mail"
    assert result.objective == pytest.approx(1600 + 800 + 6880)


def test_the_test_tickets_are_valid_open_tickets() -> None:
    frame = tickets(ticket("a"), ticket("b", due=5, handle_s=90, priority=1, tier="gold", region="north", assigned="x"))
    parsed = parse_table(frame, OPEN_TICKETS, "tickets", timezone=TZ)
    assert list(parsed["ticket_id"]) == ["a", "b"]


@pytest.mark.parametrize(
    "change",
    [
        {"time_limit_s": 0},
        {"workers": 0},
        {"relative_gap": 1.0},
        {"relative_gap": -0.1},
        {"candidates": 0},
        {"decompose_above": -1},
        {"group_sizes": ()},
        {"group_sizes": (1, 0)},
    ],
)
def test_settings_out_of_range_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(change))):
        AssignSettings(**change)


def test_an_unknown_method_is_refused() -> None:
    problem = build_assign_problem(tickets(ticket("t")), roster(on_shift("a", 0, 480)), mail_desk(), AT)
    with pytest.raises(ValueError, match="unknown method 'random'"):
        assign(problem, "random", SETTINGS)


def test_the_checker_catches_a_broken_plan() -> None:
    """`violations` (behind every test here) finds each kind of fault planted in a valid table."""
    center = assign_center([person("a", "mail"), person("b", "phone")], [email(), call()])
    problem = build_assign_problem(
        tickets(ticket("m1", due=60), ticket("m2", due=60)),
        roster(on_shift("a", 0, 120, (30, 45)), on_shift("b", 0, 120)),
        center,
        AT,
    )
    good = assign(problem, "earliest-finish", SETTINGS).table
    assert violations(problem, good) == []
    assert placed(good) == {"m1": ("a", 0, 10), "m2": ("a", 10, 20)}

    def broken(ticket_id: str, **cells: Any) -> list[str]:
        table = good.copy()
        for name, value in cells.items():
            table.loc[table["ticket_id"] == ticket_id, name] = value
        return violations(problem, table)

    assert broken("m2", agent_id="b")  # no skill
    assert broken("m2", planned_start=minutes(35), planned_end=minutes(45))  # in the break
    assert broken("m2", planned_start=minutes(115), planned_end=minutes(125))  # past the shift
    assert broken("m2", planned_start=minutes(5), planned_end=minutes(15))  # overlaps m1
    assert broken("m2", planned_end=minutes(25))  # not its handle time
    assert broken("m2", predicted_late_s=60.0)  # lateness misreported
    assert violations(problem, good.iloc[::-1]) != []  # rows out of order


# -- properties ---------------------------------------------------------------------------------------------------

SKILLS = ("mail", "phone", "chat")
WORK_TYPES = (
    email("mail", "mail", priority=2, within_s=3600, aht_s=600, tier_within_s={"gold": 900}),
    call("calls", "phone", priority=1, aht_s=300),
    chat("chats", "chat", concurrency=3, priority=2, aht_s=900),
)
AGENT_IDS = ("a0", "a1", "a2", "a3")


@st.composite
def instances(draw: st.DrawFn) -> AssignProblem:
    """1-4 agents with random skills, proficiencies, regions and caps, each on one shift (maybe with a break)
    near `AT`; 0-12 tickets of random types, priorities, tiers, regions and current agents, created up to two
    hours ago, with or without a due time and a handle time; the default horizon or a cut one."""
    count = draw(st.sampled_from((1, 2, 3, 4)))
    agents, shifts = [], []
    for agent_id in AGENT_IDS[:count]:
        skills = draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3, unique=True))
        speeds = [draw(st.sampled_from((1.0, 1.0, 0.8, 0.5))) for _ in skills]
        extra: dict[str, Any] = {}
        if region := draw(st.sampled_from((None, "north", "south"))):
            extra["region"] = region
        if draw(st.booleans()):
            extra["max_concurrency"] = 2
        agents.append(person(agent_id, *zip(skills, speeds, strict=True), **extra))
        start = draw(st.sampled_from((-90, -60, -30, 0, 0, 30, 60)))
        length = draw(st.sampled_from((60, 120, 240, 360)))
        breaks = []
        if draw(st.booleans()):
            begin = start + 15 * draw(st.integers(1, length // 15 - 2))
            breaks.append((begin, begin + draw(st.sampled_from((15, 30)))))
        shifts.append(on_shift(agent_id, start, start + length, *breaks))
    # Somebody has every skill (the centre must serve its work types), but is off today.
    agents.append(person("spare", *SKILLS))
    center = assign_center(
        agents, WORK_TYPES, tiers=[{"id": "gold", "weight": 3.0}, {"id": "standard"}], regions=["north", "south"]
    )
    records = []
    for i in range(draw(st.sampled_from(range(13)))):
        records.append(
            ticket(
                f"t{i}",
                draw(st.sampled_from([w["id"] for w in WORK_TYPES])),
                created=draw(st.integers(-120, 0)),
                due=draw(st.none() | st.integers(-30, 300)),
                handle_s=draw(st.none() | st.integers(60, 2400)),
                priority=draw(st.none() | st.integers(1, 4)),
                tier=draw(st.sampled_from((None, "gold", "standard"))),
                region=draw(st.sampled_from((None, "north", "south"))),
                assigned=draw(st.sampled_from((None, "spare", *AGENT_IDS[:count]))),
            )
        )
    horizon = draw(st.sampled_from((None, None, 45, 150)))
    return build_assign_problem(tickets(*records), roster(*shifts), center, AT, horizon_minutes=horizon)


PROPERTY_SETTINGS = AssignSettings(time_limit_s=1.0, workers=2, seed=0)


def expected_breaches(problem: AssignProblem, table: pd.DataFrame) -> dict[int, int]:
    """Breaches by priority from the table: assigned and late, or unassigned and due within the horizon."""
    out: dict[int, int] = {}
    for t, r in zip(problem.tickets, table.to_dict("records"), strict=True):
        late = r["predicted_late_s"] > 0 if not pd.isna(r["agent_id"]) else t.due_s <= problem.horizon_s
        out[t.priority] = out.get(t.priority, 0) + int(late)
    return dict(sorted(out.items()))


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_method_respects_the_facts_and_the_optimum_beats_every_baseline(problem: AssignProblem) -> None:
    """Per method: each ticket once, with a skilled agent inside its working windows and the horizon, no agent
    overbooked, lateness as reported, the breakdown as `evaluate` scores it, KPIs that agree with the table; the
    capacity-free bound below every plan; the optimum (when proved) no worse than any baseline."""
    bound = capacity_free_bound(problem, PROPERTY_SETTINGS.weights)
    results = {method: solve(problem, method, PROPERTY_SETTINGS) for method in METHODS}
    for method, result in results.items():
        table = result.table
        assert bound <= result.objective + EPS, method
        assert result.kpis["predicted_breaches_by_priority"] == expected_breaches(problem, table), method
        assert result.kpis["assigned"] + result.kpis["unassigned"] == len(problem.tickets)
        for t, r in enumerate(table.to_dict("records")):
            if t in problem.no_skill:
                assert pd.isna(r["agent_id"]) and r["reason"].startswith("no agent on shift has the skill"), method
    best = results["optimal"]
    assert best.status in ("OPTIMAL", "FEASIBLE")
    if best.status == "OPTIMAL":
        for method in BASELINES:
            assert best.objective <= results[method].objective + EPS, (
                method,
                best.breakdown,
                results[method].breakdown,
            )


# -- the constructive rules' candidate pruning --------------------------------------------------------------------


def naive_fits(booked: list[tuple[int, int, int]], start: int, end: int, share: int, cap: int) -> bool:
    """Room for [start, end) at `share` among `booked` (start, end, share): checked at its start and at every
    booking start inside it (the load only rises there), against CAPACITY and the contacts cap (0: none)."""
    here = [(s, e, sh) for s, e, sh in booked if s < end and e > start]
    for p in [start] + [s for s, _, _ in here if s > start]:
        at = [sh for s, e, sh in here if s <= p < e]
        if sum(at) + share > CAPACITY or (cap and len(at) + 1 > cap):
            return False
    return True


def naive_earliest(booked: list[tuple[int, int, int]], option: Any, share: int, cap: int) -> int | None:
    """The earliest start of `option` among `booked`: a window's first start or a booking's end, tried in order."""
    for first, last in option.starts:
        for c in sorted({first} | {e for _, e, _ in booked if first < e <= last}):
            if naive_fits(booked, c, c + option.duration, share, cap):
                return c
    return None


def rule_key(problem: AssignProblem, method: str, t: int, item: tuple[int, int], work: list[int], turn: int) -> Any:
    """What a rule minimises over the feasible (option, start) of ticket t (ties: the first option)."""
    option = problem.options[item[0]]
    ticket_, agent = problem.tickets[t], problem.agents[option.agent]
    if method == "earliest-finish":
        mismatch = bool(ticket_.region and agent.region and agent.region != ticket_.region)
        return (item[1] + option.duration, mismatch, work[option.agent])
    if method == "fifo-round-robin":
        return (option.agent - turn) % max(1, len(problem.agents))
    return (work[option.agent], item[1])


def naive_rule(problem: AssignProblem, method: str) -> dict[int, tuple[int, int]]:
    """A rule's plan by exhaustive search: every option of each ticket looked up, the best by the rule's key."""
    tickets_, agents = problem.tickets, problem.agents
    booked: list[list[tuple[int, int, int]]] = [[] for _ in agents]
    work = [0] * len(agents)
    turn = 0
    if method == "earliest-finish":
        order = sorted(
            range(len(tickets_)), key=lambda t: (tickets_[t].priority, tickets_[t].due_s, tickets_[t].created_s)
        )
    elif method == "fifo-round-robin":
        order = sorted(range(len(tickets_)), key=lambda t: (tickets_[t].created_s, t))
    else:
        order = sorted(range(len(tickets_)), key=lambda t: (tickets_[t].priority, tickets_[t].created_s, t))
    plan = {}
    for t in order:
        ticket_ = tickets_[t]
        feasible = []
        for k in problem.options_of_ticket()[t]:
            option = problem.options[k]
            start = naive_earliest(booked[option.agent], option, ticket_.share, agents[option.agent].max_contacts)
            if start is not None:
                feasible.append((k, start))
        if not feasible:
            continue

        k, start = min(feasible, key=lambda item: rule_key(problem, method, t, item, work, turn))
        option = problem.options[k]
        booked[option.agent].append((start, start + option.duration, ticket_.share))
        work[option.agent] += option.duration
        turn = option.agent + 1
        plan[t] = (k, start)
    return plan


def crowded_desk(count: int = 48) -> AssignProblem:
    """Six agents (breaks, a slower one, one holding chats under a cap of two) and `count` mails, calls and chats
    of mixed priorities, tiers and regions, more than the agents can do on time: the earliest-finish plan breaches
    some of them, so there is something to improve."""
    center = assign_center(
        [
            person("a0", "mail", "phone", region="north"),
            person("a1", "mail", ("chat", 0.8), region="south"),
            person("a2", "chat", "mail", max_concurrency=2),
            person("a3", ("mail", 0.8), "phone", region="south"),
            person("a4", "mail", "chat", region="north"),
            person("a5", "phone", "mail"),
        ],
        WORK_TYPES,
        tiers=[{"id": "gold", "weight": 3.0}, {"id": "standard"}],
        regions=["north", "south"],
    )
    kinds = ("mail", "calls", "chats", "mail")
    records = [
        ticket(
            f"t{i:02d}",
            kinds[i % 4],
            created=-((7 * i) % 90),
            due=(13 * i) % 150 - 10,
            handle_s=300 + (97 * i) % 900,
            priority=1 + (i * 5) % 4,
            tier=("gold", "standard", None)[i % 3],
            region=("north", "south", None)[i % 3],
            assigned=("a0", None, None, "a3", None)[i % 5],
        )
        for i in range(count)
    ]
    shifts = roster(
        on_shift("a0", -60, 150, (30, 45)),
        on_shift("a1", 0, 180),
        on_shift("a2", -30, 120, (60, 75)),
        on_shift("a3", 15, 180, (90, 120)),
        on_shift("a4", 0, 90),
        on_shift("a5", -120, 60),
    )
    return build_assign_problem(tickets(*records), shifts, center, AT)


@pytest.mark.parametrize("method", BASELINES)
def test_each_rule_places_tickets_as_the_exhaustive_search_does(method: str) -> None:
    """The rules rank candidate agents by a lower bound and look up only those that could win: the plan is the
    one looking up every eligible agent gives, ties included."""
    problem = crowded_desk(80)
    assert HEURISTICS[method](problem) == naive_rule(problem, method)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_rules_pruning_changes_no_plan(problem: AssignProblem) -> None:
    for method in BASELINES:
        assert HEURISTICS[method](problem) == naive_rule(problem, method), method


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_options_are_every_skilled_agent_whose_window_holds_the_ticket(problem: AssignProblem) -> None:
    expected = []
    for t, ticket_ in enumerate(problem.tickets):
        for a, agent in enumerate(problem.agents):
            if ticket_.work_type in agent.proficiency:
                duration = math.ceil(ticket_.handle_s / agent.proficiency[ticket_.work_type])
                starts = tuple((s, e - duration) for s, e in agent.windows if e - s >= duration)
                if starts:
                    expected.append((t, a, duration, starts))
    assert [(o.ticket, o.agent, o.duration, o.starts) for o in problem.options] == expected
    for k, (t, a, _, _) in enumerate(expected):
        assert problem.options.of(t, a) == k
    assert problem.no_skill == {
        t for t, x in enumerate(problem.tickets) if not any(x.work_type in a.proficiency for a in problem.agents)
    }


# -- decomposition ------------------------------------------------------------------------------------------------

#: Every problem with an option is decomposed (one round, a fixed deterministic time per sub-problem).
DECOMPOSED = AssignSettings(time_limit_s=2.0, workers=2, seed=0, deterministic=True, decompose_above=0)


def decomposed_note(result: AssignResult) -> str:
    (note,) = [n for n in result.notes if "decomposed:" in n]
    return note


def test_the_decomposition_keeps_every_invariant_and_improves_on_its_hint() -> None:
    problem = crowded_desk()
    hint = solve(problem, "earliest-finish", DECOMPOSED)
    result = solve(problem, "optimal", DECOMPOSED)  # one ticket once, skills, windows, no overbooking, scores
    assert result.status == "FEASIBLE"
    assert result.objective < hint.objective - EPS
    assert "improved the plan" in decomposed_note(result)
    assert result.best_bound == pytest.approx(capacity_free_bound(problem, DECOMPOSED.weights))
    assert result.kpis["priority_weighted_breaches"] <= hint.kpis["priority_weighted_breaches"]
    again = assign(problem, "optimal", DECOMPOSED)
    pd.testing.assert_frame_equal(result.table, again.table)


def test_a_wall_clock_decomposition_keeps_every_invariant() -> None:
    problem = crowded_desk()
    hint = solve(problem, "earliest-finish", DECOMPOSED)
    for sizes in ((1,), (2, 3)):
        free = AssignSettings(time_limit_s=1.0, workers=2, seed=3, decompose_above=0, group_sizes=sizes)
        result = solve(problem, "optimal", free)
        assert result.objective <= hint.objective + EPS
        assert decomposed_note(result)


def test_strict_priority_decomposed_breaches_no_more_top_priority_tickets_than_the_hint() -> None:
    problem = crowded_desk()
    hint = solve(problem, "earliest-finish", DECOMPOSED)
    strict = solve(problem, "optimal", AssignSettings(**{**DECOMPOSED.__dict__, "strict_priority": True}))
    top = min(hint.kpis["predicted_breaches_by_priority"])
    assert strict.kpis["predicted_breaches_by_priority"][top] <= hint.kpis["predicted_breaches_by_priority"][top]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_decomposed_plan_respects_the_facts_and_is_no_worse_than_its_hint(problem: AssignProblem) -> None:
    settings_ = AssignSettings(time_limit_s=1.0, workers=2, seed=0, deterministic=True, decompose_above=0)
    hint = solve(problem, "earliest-finish", settings_)
    result = solve(problem, "optimal", settings_)
    assert result.objective <= hint.objective + EPS
    assert result.best_bound <= result.objective + EPS


class FakeTime:
    """A stand-in for the `time` module: perf_counter advances `step` seconds at each reading, and every CP-SAT
    solve (`Timed`) takes all of its time limit."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def perf_counter(self) -> float:
        self.now += self.step
        return self.now


class Timed(cp_model.CpSolver):
    clock: FakeTime = FakeTime(0.0)
    limits: list[float] = []

    def solve(self, *args: Any, **kwargs: Any) -> Any:
        Timed.limits.append(self.parameters.max_time_in_seconds)
        Timed.clock.now += self.parameters.max_time_in_seconds
        return super().solve(*args, **kwargs)


@pytest.mark.parametrize("decompose_above", [0, 10_000])
def test_the_time_limit_covers_the_whole_call(monkeypatch: pytest.MonkeyPatch, decompose_above: int) -> None:
    """With solves that take all the time they are given (and a clock that moves at every reading), the call,
    set-up, solves and scoring, ends within its limit: time is kept back for the scoring, and no solve is
    given more than what is left."""
    fake = FakeTime(0.001)
    monkeypatch.setattr(Timed, "clock", fake)
    monkeypatch.setattr(Timed, "limits", [])
    monkeypatch.setattr(solver_module, "time", fake)
    monkeypatch.setattr(solver_module.cp_model, "CpSolver", Timed)
    problem = crowded_desk()
    limit = 1.5
    result = assign(problem, "optimal", AssignSettings(time_limit_s=limit, workers=1, decompose_above=decompose_above))
    assert violations(problem, result.table) == []
    assert Timed.limits and all(0 < s <= limit for s in Timed.limits)
    assert result.solve_time_s <= limit
    if decompose_above == 0:
        assert len(Timed.limits) > 1  # the time is shared among sub-problems
        assert sum(Timed.limits) <= limit


@pytest.mark.parametrize("decompose_above", [0, 10_000])
def test_with_no_time_left_after_the_set_up_the_hint_is_returned(
    monkeypatch: pytest.MonkeyPatch, decompose_above: int
) -> None:
    fake = FakeTime(1.0)  # every reading of the clock takes a second: the set-up eats the whole limit
    monkeypatch.setattr(Timed, "clock", fake)
    monkeypatch.setattr(Timed, "limits", [])
    monkeypatch.setattr(solver_module, "time", fake)
    monkeypatch.setattr(solver_module.cp_model, "CpSolver", Timed)
    problem = crowded_desk()
    hint = assign(problem, "earliest-finish", SETTINGS)
    result = assign(problem, "optimal", AssignSettings(time_limit_s=1.0, workers=1, decompose_above=decompose_above))
    assert Timed.limits == []
    assert result.objective == pytest.approx(hint.objective)
    assert violations(problem, result.table) == []
    assert "no time was left" in result.notes[-1] if decompose_above else "0 sub-problems" in decomposed_note(result)


def test_sub_problems_of_pairs_and_single_agents_on_the_wall_clock_keep_every_invariant() -> None:
    """Rounds of pairs, then single agents, within a wall-clock budget: the plan keeps every invariant and the
    objective the decomposition tracks is the plan's."""
    problem = crowded_desk()
    weights = SETTINGS.weights
    hint = earliest_finish(problem)

    def run(built: AssignModel, limit: float) -> tuple[Any, cp_model.CpSolver]:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = limit
        return solver.solve(built.model), solver

    budget = Budget(time.perf_counter, time.perf_counter() + 1.0)
    plan, report = decompose(problem, hint, weights, run, budget, group_sizes=(2, 1))
    assert violations(problem, assignment_table(problem, plan)) == []
    assert report.after <= report.before == pytest.approx(sum(evaluate(problem, hint, weights).values()))
    assert report.after == pytest.approx(sum(evaluate(problem, plan, weights).values()))
    assert report.subproblems >= report.improved


def test_pairs_of_agents_follow_when_single_agents_stop_improving() -> None:
    """Rounds of single agents while they improve the plan; then pairs, which can move tickets between agents;
    the decomposition stops by itself once a round of each size finds every group as last proven optimal."""
    problem = crowded_desk(24)
    weights = SETTINGS.weights

    def run(built: AssignModel, limit: float) -> tuple[Any, cp_model.CpSolver]:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = 0.5
        return solver.solve(built.model), solver

    fake = FakeTime(0.001)  # a clock far from its deadline: the decomposition must stop by itself
    plan, report = decompose(problem, earliest_finish(problem), weights, run, Budget(fake.perf_counter, 1_000.0))
    assert report.sizes[0] == 1 and 2 in report.sizes
    assert fake.now < 1_000.0
    assert violations(problem, assignment_table(problem, plan)) == []
    assert report.after == pytest.approx(sum(evaluate(problem, plan, weights).values()))


def test_mail_that_arrived_while_closed_is_due_from_the_next_opening() -> None:
    """`outside_hours: next_opening` (the e-mail default): mail waits for the opening and its response window
    counts from then. The desk opens at 08:00; at 09:00 (AT) mail of 06:00 is due at 09:00 (08:00 + 1 h), not
    07:00; mail of 08:30 at 09:30; a due_at given in the file stands. A work type that drops closed-hours work
    (here set on the mail) keeps the window from the creation."""
    hours = [
        {"weekday": d, "start_minute": "08:00", "end_minute": "17:00"} for d in ("mon", "tue", "wed", "thu", "fri")
    ]
    desk = assign_center([person("a", "mail")], [email() | {"opening_hours": hours}])
    given = tickets(ticket("early", created=-180), ticket("open", created=-30), ticket("set", created=-180, due=-100))
    problem = build_assign_problem(given, roster(on_shift("a", -60, 420)), desk, AT)
    assert {t.id: t.due_s for t in problem.tickets} == {"early": 0, "open": 30 * 60, "set": -100 * 60}
    dropping = assign_center([person("a", "mail")], [email() | {"opening_hours": hours, "outside_hours": "drop"}])
    problem = build_assign_problem(given, roster(on_shift("a", -60, 420)), dropping, AT)
    assert {t.id: t.due_s for t in problem.tickets}["early"] == -120 * 60
