"""Pinned figures of one fixed-seed day under each routing policy: reorganising the engine and its policies must
not move them (regenerate with `python tests/test_simulation_contract.py` only for a deliberate change of
behaviour, and say so)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from planner.simulation import PlannedAssignment, PriorityFirst, ReplanningAssignment, RoutingPolicy
from planner.simulation.engine import Outcome, run_replication
from tests.test_blending import center_of, scenario_of
from tests.test_simulation import PLANNING_ROSTER, PLANNING_TICKETS, planning_center, replay, sec


def fingerprint(outcome: Outcome) -> tuple[int, int, int, int, float, str]:
    """Contacts, answered, abandoned, events, total wait (seconds, to the millisecond) and a digest of who answered
    what when (to the millisecond)."""
    answered = ~np.isnan(outcome.answered)
    wait = float(np.round((outcome.answered - outcome.contacts.arrival)[answered].sum(), 3))
    fates = [
        (int(a), None if np.isnan(t) else round(float(t), 3))
        for a, t in zip(outcome.agent.tolist(), outcome.answered.tolist(), strict=True)
    ]
    digest = hashlib.sha256(repr((fates, outcome.handled.tolist(), outcome.backlog.tolist())).encode()).hexdigest()
    return (
        len(outcome.contacts),
        int(answered.sum()),
        int((~np.isnan(outcome.abandoned)).sum()),
        outcome.events,
        wait,
        digest[:16],
    )


def blended_day(policy: RoutingPolicy, seed: int) -> Outcome:
    return run_replication(scenario_of(center_of()), policy, seed)


def planned_day() -> Outcome:
    plan = {"T1": ("bob", sec("09:30")), "T3": ("ann", None), "T4": ("cat", None)}
    return run_replication(replay(planning_center(), PLANNING_ROSTER, PLANNING_TICKETS), PlannedAssignment(plan), 0)


CASES = {
    "priority": lambda: blended_day(PriorityFirst(), 7),
    "planned": planned_day,
    "replanning": lambda: blended_day(ReplanningAssignment(every_s=900, method="earliest-finish"), 7),
    "reserve": lambda: blended_day(ReplanningAssignment(every_s=900, method="earliest-finish", reserve=True), 7),
    "reserve-due": lambda: run_replication(
        scenario_of(center_of(within_s=3600), mails_per_hour=6.0),
        ReplanningAssignment(every_s=900, method="earliest-finish", reserve=True),
        5,
    ),
    "optimal": lambda: blended_day(ReplanningAssignment(every_s=1800, horizon_s=3600.0, time_limit_s=5.0), 3),
}

#: Recorded before the contract was introduced.
PINNED: dict[str, tuple[int, int, int, int, float, str]] = {
    "optimal": (166, 118, 30, 462, 352901.877, "5f28b92c736f781c"),
    "planned": (4, 4, 0, 39, 1980.0, "c47d1e8ee0da50aa"),
    "priority": (150, 117, 13, 380, 392642.082, "1d4ea50d85e1d1b7"),
    "replanning": (150, 118, 12, 477, 394582.685, "02f95ded1b6a9fc5"),
    "reserve": (150, 119, 9, 845, 458090.24, "46cbbbcf498b3426"),
    "reserve-due": (245, 179, 19, 1736, 1596248.051, "55b370875db04032"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_fixed_seed_gives_the_pinned_figures_under_each_policy(name: str) -> None:
    assert fingerprint(CASES[name]()) == PINNED[name]


if __name__ == "__main__":
    for name in sorted(CASES):
        print(f"    {name!r}: {fingerprint(CASES[name]())!r},")
