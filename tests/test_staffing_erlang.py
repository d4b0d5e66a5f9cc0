"""Erlang B/C/A and `required_agents` against numbers nobody on this project computed, and against exact maths.

Where each expected number comes from, and its tolerance:

1. callcentretools.com's online Erlang calculator (../shared/data/erlang-reference, README "erlang-reference"): 71
   what-if rows x 5 printed numbers = 355. It prints SL, occupancy and ASA to 0.1 and the abandon rate to 0.01, so
   a correct value lies within half a unit of the last printed digit: 0.05 and 0.005 (the README's tolerances).
2. The same calculator's headline requirement per scenario (integer agents, and scheduled agents to 0.5): exact.
3. pyworkforce's test suite (pyworkforce_test_cases.csv): to the decimals printed there (half a unit of the last).
4. A direct numerical solution of the M/M/n+M Markov chain (numpy / scipy.linalg.expm): to 1e-9, the float error of
   a linear solve and a matrix exponential of a few hundred states.
5. Exact arithmetic (fractions.Fraction, mpmath at 50 digits): relative error below 1e-9.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
from scipy.linalg import expm

from planner.staffing.erlang import erlang_a, erlang_b, erlang_c, erlang_c_metrics, required_agents
from tests.shared_data import DEFAULT, ENV, shared_data

REFERENCE = "erlang-reference"
SCENARIOS = "callcentretools_scenarios.csv"
WHATIF = "callcentretools_whatif_tables.csv"
PYWORKFORCE = "pyworkforce_test_cases.csv"

#: The calculator prints SL %, occupancy % and ASA s to one decimal: half a unit of the last digit.
PRINTED_TENTH = 0.05
#: ... and the Erlang A abandon rate % to two decimals.
PRINTED_HUNDREDTH = 0.005
#: Float noise allowed on top of a rounding tolerance (for a true value on the half-unit boundary).
FLOAT_SLACK = 1e-9


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _collection_path(name: str) -> Path:
    """The file's path while collecting (parametrisation); the tests themselves go through `shared_data`."""
    return Path(os.environ.get(ENV, DEFAULT)) / REFERENCE / name


def _rows_or_absent(name: str, ident: str) -> list[Any]:
    path = _collection_path(name)
    if not path.exists():
        return [pytest.param(None, id="reference-data-absent")]
    return [pytest.param(row, id=ident.format(**row)) for row in _read_csv(path)]


@cache
def _scenarios() -> dict[str, dict[str, str]]:
    return {row["scenario"]: row for row in _read_csv(shared_data(REFERENCE, SCENARIOS))}


def _offered_load(scenario: dict[str, str]) -> float:
    """The calculator's convention: A = calls x AHT / period seconds, rounded to 3 decimals (README)."""
    return round(float(scenario["calls"]) * float(scenario["aht_s"]) / (float(scenario["period_min"]) * 60), 3)


def _round_half(value: float) -> float:
    """Round to the nearest 0.5, as the calculator shows scheduled agents (no ties occur in the data)."""
    return math.floor(2 * value + 0.5) / 2


def _within(actual: float, expected: float, tolerance: float, what: str) -> None:
    assert abs(actual - expected) <= tolerance + FLOAT_SLACK, f"{what}: ours {actual!r}, reference {expected!r}"


# 1. The calculator's what-if tables: every printed number.


def test_the_whatif_tables_hold_355_numbers_for_known_scenarios() -> None:
    """Guards the parametrisation below: 71 rows x 5 numbers, each row's scenario among the 6 input sets."""
    rows = _read_csv(shared_data(REFERENCE, WHATIF))
    columns = ["service_level_pct", "occupancy_pct", "asa_s", "answered_immediately_pct", "abandon_rate_pct"]
    assert len(rows) == 71
    assert sum(1 for row in rows for column in columns if math.isfinite(float(row[column]))) == 355
    assert {row["scenario"] for row in rows} == set(_scenarios()) and len(_scenarios()) == 6


@pytest.mark.parametrize("row", _rows_or_absent(WHATIF, "{scenario}-n{agents}"))
def test_callcentretools_whatif_row(row: dict[str, str] | None) -> None:
    """SL = 1 - C e^(-(n - a) T / aht), occupancy a / n, ASA C aht / (n - a), answered immediately 1 - C (Erlang C)
    and the abandon rate of Erlang A with the scenario's mean patience, all at the row's n (README's conventions)."""
    shared_data(REFERENCE, WHATIF)
    assert row is not None
    scenario = _scenarios()[row["scenario"]]
    a = _offered_load(scenario)
    n = int(row["agents"])
    aht, t, patience = float(scenario["aht_s"]), float(scenario["sl_time_s"]), float(scenario["patience_s"])
    c = erlang_c_metrics(n, a, aht, t)
    _within(100 * float(c.service_level), float(row["service_level_pct"]), PRINTED_TENTH, "service level %")
    _within(100 * float(c.occupancy), float(row["occupancy_pct"]), PRINTED_TENTH, "occupancy %")
    immediately = 100 * (1 - float(c.wait_probability))
    _within(immediately, float(row["answered_immediately_pct"]), PRINTED_TENTH, "answered immediately %")
    if n > a:
        _within(float(c.asa_s), float(row["asa_s"]), PRINTED_TENTH, "ASA s")
    else:
        # s5 at 50 agents for 50.000 erlangs: the M/M/n queue is critically loaded, C = 1 and ASA = C aht / (n - a)
        # diverges (the queue is null-recurrent, there is no finite mean wait). The calculator prints 359999967.4 s,
        # which is 180 s / 5e-7: it divides by a tiny epsilon instead. Ours is infinite.
        assert float(row["asa_s"]) > 1e8
        assert np.isinf(c.asa_s)
    abandon = 100 * float(erlang_a(n, a, aht, patience, t).abandon_probability)
    _within(abandon, float(row["abandon_rate_pct"]), PRINTED_HUNDREDTH, "Erlang A abandon %")
    if row["agents_incl_shrinkage"]:  # scheduled = N / (1 - shrinkage), shown to 0.5 (README)
        scheduled = _round_half(n / (1 - float(scenario["shrinkage_pct"]) / 100))
        assert scheduled == float(row["agents_incl_shrinkage"])


# 2. The calculator's headline requirement.


def _smallest_meeting_the_target(a: float, aht: float, target: float, t: float) -> int:
    """Erlang C by a plain step search from the load: the independent side of the headline check."""
    n = math.floor(a) + 1
    while float(erlang_c_metrics(n, a, aht, t).service_level) < target:
        n += 1
    return n


@pytest.mark.parametrize("name", ["default", "s1", "s2", "s3", "s4", "s5"])
def test_callcentretools_headline_requirement(name: str) -> None:
    scenario = _scenarios()[name]
    a = _offered_load(scenario)
    assert a == float(scenario["erlangs_displayed"])
    aht, t = float(scenario["aht_s"]), float(scenario["sl_time_s"])
    target, occupancy = float(scenario["sl_target_pct"]) / 100, float(scenario["max_occupancy_pct"]) / 100
    expected = max(_smallest_meeting_the_target(a, aht, target, t), math.ceil(a / occupancy))  # README's rule
    need = required_agents(a, aht, target, t, occupancy)
    assert int(need.agents_int) == expected
    scheduled = _round_half(expected / (1 - float(scenario["shrinkage_pct"]) / 100))
    assert scheduled == float(scenario["headline_agents_incl_shrinkage"])
    at = erlang_c_metrics(expected, a, aht, t)
    _within(100 * float(at.service_level), float(scenario["headline_sl_pct"]), PRINTED_TENTH, "headline SL %")
    _within(float(at.asa_s), float(scenario["headline_asa_s"]), PRINTED_TENTH, "headline ASA s")
    assert float(need.service_level) == pytest.approx(float(at.service_level), rel=1e-12)
    if scenario["headline_before_shrinkage_text"]:  # the README's display quirk: the text says N + 2
        assert int(scenario["headline_before_shrinkage_text"]) == expected + 2


# 3. pyworkforce's published cases (times in minutes).


@cache
def _pyworkforce() -> dict[str, dict[str, str]]:
    return {row["case"]: row for row in _read_csv(shared_data(REFERENCE, PYWORKFORCE))}


def _to_printed_digits(actual: float, printed: str, what: str) -> None:
    """`actual` rounds to `printed`: within half a unit of its last decimal."""
    decimals = len(printed.split(".")[1])
    _within(actual, float(printed), 0.5 * 10.0**-decimals, what)


@pytest.mark.parametrize("case", ["pwf_erlangc_1", "pwf_erlangc_2"])
def test_pyworkforce_erlang_c_case(case: str) -> None:
    row = _pyworkforce()[case]
    a = float(row["transactions_per_interval"]) * float(row["aht_min"]) / float(row["interval_min"])  # 10 erlangs
    aht, t = float(row["aht_min"]), float(row["target_answer_time_min"])
    need = required_agents(a, aht, float(row["sl_target"]), t, float(row["max_occupancy"]))
    raw = int(need.agents_int)
    assert raw == int(row["expected_raw_positions"]) == int(row["agents_evaluated"])
    # Positions with shrinkage = ceil(raw / (1 - shrinkage)), in exact decimals: in floats 14 / (1 - 0.3) is
    # 20.000000000000004 and would round up to 21.
    positions = math.ceil(Fraction(raw) / (1 - Fraction(row["shrinkage"])))
    assert positions == int(row["expected_positions_incl_shrinkage"])
    m = erlang_c_metrics(raw, a, aht, t)
    _to_printed_digits(float(m.service_level), row["expected_service_level"], "service level")
    _to_printed_digits(float(m.occupancy), row["expected_occupancy"], "occupancy")
    _to_printed_digits(float(m.wait_probability), row["expected_waiting_probability"], "waiting probability")


def test_pyworkforce_erlang_a_case() -> None:
    row = _pyworkforce()["pwf_erlanga_1"]
    a = float(row["transactions_per_interval"]) * float(row["aht_min"]) / float(row["interval_min"])
    m = erlang_a(
        int(row["agents_evaluated"]),
        a,
        float(row["aht_min"]),
        float(row["patience_min"]),
        float(row["target_answer_time_min"]),
    )
    # pyworkforce's service level is "answered within T, over all offered" (abandoned contacts are misses): ours.
    _to_printed_digits(float(m.service_level), row["expected_service_level"], "service level (over offered)")
    assert abs(float(m.service_level_answered) - float(row["expected_service_level"])) > 0.01  # the other one
    _to_printed_digits(float(m.occupancy), row["expected_occupancy"], "occupancy")
    _to_printed_digits(float(m.wait_probability), row["expected_waiting_probability"], "waiting probability")
    _to_printed_digits(float(m.abandon_probability), row["expected_abandonment_probability"], "abandonment")
    _to_printed_digits(float(m.asa_s), row["expected_asa_min"], "ASA (minutes, over all arrivals)")


# 4. Erlang A against the M/M/n+M Markov chain, solved numerically.


@dataclass(frozen=True)
class ChainMeasures:
    wait: float
    abandon: float
    occupancy: float
    asa: float
    service_level: float | None  # answered within t, over offered


def _mmnm_chain(n: int, a: float, aht: float, patience: float, t: float, *, with_sl: bool = True) -> ChainMeasures:
    """M/M/n+M by brute force: the generator of the birth-death chain, truncated where the queue cannot reach
    (it is stochastically below Poisson(lambda / theta), the pure-abandonment limit), its stationary distribution
    by a dense linear solve, and the offered wait's law by matrix exponentials of the pure-death chain ahead of
    an arrival."""
    mu, theta = 1 / aht, 1 / patience
    lam = a * mu
    depth = int(lam / theta + 12 * math.sqrt(lam / theta) + 60)
    size = n + depth + 1
    state = np.arange(size)
    death = np.minimum(state, n) * mu + np.maximum(state - n, 0) * theta
    generator = np.zeros((size, size))
    generator[state[:-1], state[:-1] + 1] = lam
    generator[state[1:], state[1:] - 1] = death[1:]
    generator[state, state] = -generator.sum(axis=1)
    system = generator.T.copy()
    system[-1, :] = 1.0  # replace one balance equation by sum(pi) = 1
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = np.linalg.solve(system, rhs)
    assert np.abs(pi[-10:]).sum() < 1e-14, "the truncation is too shallow"
    queue = np.maximum(state - n, 0)
    mean_queue = float(queue @ pi)
    sl = None
    if with_sl:
        # An arrival that finds k waiting (PASTA) is reached after k + 1 departures ahead of it, at rates
        # n mu + j theta for j = k .. 0: a pure-death chain. It is answered within t iff that time V <= t and its
        # own patience outlasts V: E[1{V <= t} exp(-theta V)] = [M^-1 (e^(M t) - I) exit]_k with M = D - theta I,
        # D the death chain's generator and exit its rate of reaching service.
        k = np.arange(depth + 1)
        rates = n * mu + k * theta
        deaths = np.diag(-rates) + np.diag(rates[1:], -1)
        exit_rate = np.zeros(depth + 1)
        exit_rate[0] = n * mu
        m = deaths - theta * np.eye(depth + 1)
        served_in_time = np.linalg.solve(m, (expm(m * t) - np.eye(depth + 1)) @ exit_rate)
        sl = float(pi[:n].sum() + pi[n:] @ served_in_time)
    return ChainMeasures(
        wait=float(pi[n:].sum()),
        abandon=theta * mean_queue / lam,
        occupancy=float(np.minimum(state, n) @ pi) / n,
        asa=mean_queue / lam,  # Little's law over all arrivals
        service_level=sl,
    )


CHAIN_CASES = [
    pytest.param(1, 0.5, 300.0, 60.0, 20.0, id="one-agent"),
    pytest.param(3, 1.5, 300.0, 60.0, 20.0, id="three-agents"),
    pytest.param(2, 3.0, 180.0, 30.0, 10.0, id="overloaded-small"),
    pytest.param(14, 10.0, 3.0, 5.0, 1 / 3, id="pyworkforce-minutes"),
    pytest.param(9, 6.5, 190.0, 700.0, 280.0, id="long-threshold"),
    pytest.param(60, 57.111, 257.0, 60.0, 20.0, id="calculator-default"),
    pytest.param(100, 105.0, 240.0, 120.0, 30.0, id="overloaded-100"),
    pytest.param(120, 100.0, 300.0, 900.0, 60.0, id="patient-120"),
]


@pytest.mark.parametrize(("n", "a", "aht", "patience", "t"), CHAIN_CASES)
def test_erlang_a_matches_the_markov_chain(n: int, a: float, aht: float, patience: float, t: float) -> None:
    chain = _mmnm_chain(n, a, aht, patience, t)
    ours = erlang_a(n, a, aht, patience, t)
    assert float(ours.wait_probability) == pytest.approx(chain.wait, abs=1e-9)
    assert float(ours.abandon_probability) == pytest.approx(chain.abandon, abs=1e-9)
    assert float(ours.occupancy) == pytest.approx(chain.occupancy, abs=1e-9)
    assert float(ours.asa_s) == pytest.approx(chain.asa, rel=1e-9)
    assert chain.service_level is not None
    assert float(ours.service_level) == pytest.approx(chain.service_level, abs=1e-9)
    assert float(ours.service_level_answered) == pytest.approx(chain.service_level / (1 - chain.abandon), abs=1e-9)


def test_erlang_a_far_below_the_load_matches_the_markov_chain() -> None:
    """20 agents for 200 erlangs with patience 6 x AHT: 1F1(1; x + 1; y) is about e^800 and overflows a float, so
    this checks the overflow-safe form of P(wait) and P(abandon) (the service level is ~0 and not compared)."""
    n, a, aht, patience, t = 20, 200.0, 180.0, 1080.0, 20.0
    chain = _mmnm_chain(n, a, aht, patience, t, with_sl=False)
    ours = erlang_a(n, a, aht, patience, t)
    assert float(ours.wait_probability) == pytest.approx(chain.wait, abs=1e-9)
    assert float(ours.abandon_probability) == pytest.approx(chain.abandon, abs=1e-9)
    assert float(ours.occupancy) == pytest.approx(chain.occupancy, abs=1e-9)
    assert float(ours.service_level) < 1e-6


def test_erlang_a_tends_to_erlang_c_and_to_erlang_b() -> None:
    """Limits of patience: infinitely patient callers make M/M/n (Erlang C); callers who leave at once make the
    M/M/n/n loss system (Erlang B: P(wait) = P(abandon) = B, and SL over offered = 1 - B for any threshold).
    The second limit is why Erlang A can need more agents than Erlang C for the same target: 12 agents for 10
    erlangs answer 99.998 % within 15 min under Erlang C but only 1 - B = 88.0 % when callers leave at once."""
    n = np.arange(11, 25)
    a, aht, t = 10.0, 180.0, 20.0
    patient = erlang_a(n, a, aht, 1e9, t)
    c = erlang_c_metrics(n, a, aht, t)
    np.testing.assert_allclose(patient.service_level, c.service_level, atol=1e-6)
    np.testing.assert_allclose(patient.wait_probability, c.wait_probability, atol=1e-6)
    hasty = erlang_a(n, a, aht, 1e-6, t)
    b = erlang_b(n, a)
    np.testing.assert_allclose(hasty.wait_probability, b, atol=1e-7)
    np.testing.assert_allclose(hasty.abandon_probability, b, atol=1e-7)
    np.testing.assert_allclose(hasty.service_level, 1 - b, atol=1e-7)
    assert (
        float(erlang_a(12, 10, 3, 0.01, 15).service_level) < 0.9 < float(erlang_c_metrics(12, 10, 3, 15).service_level)
    )
    # ... and `required_agents` follows: a 95 % target within 15 min needs 11 under Erlang C and 15 under Erlang A.
    assert int(required_agents(10.0, 3.0, 0.95, 15.0).agents_int) == 11
    with_abandonment = required_agents(10.0, 3.0, 0.95, 15.0, patience_s=0.01)
    assert int(with_abandonment.agents_int) == 15
    assert float(erlang_a(14, 10.0, 3.0, 0.01, 15.0).service_level) < 0.95 <= float(with_abandonment.service_level)


def test_zero_load_and_zero_agents_are_defined() -> None:
    """No contacts: nobody waits or abandons and the (vacuous) service level is 1, as for Erlang C. No agents:
    everyone waits and abandons, nobody is answered."""
    idle = erlang_a(5, 0.0, 180, 60, 20)
    assert (float(idle.wait_probability), float(idle.abandon_probability), float(idle.service_level)) == (0, 0, 1)
    assert (float(idle.asa_s), float(idle.occupancy)) == (0, 0)
    assert float(erlang_c_metrics(5, 0.0, 180, 20).service_level) == 1.0
    empty = erlang_a(0, 10.0, 180, 60, 20)
    assert float(empty.wait_probability) == pytest.approx(1.0) and float(empty.abandon_probability) == pytest.approx(
        1.0
    )
    assert float(empty.service_level) == pytest.approx(0.0, abs=1e-12) and float(empty.occupancy) == 0.0
    assert float(erlang_b(0, 10.0)) == pytest.approx(1.0, abs=1e-12) and float(erlang_b(5, 0.0)) == 0.0


# 5. High precision: exact arithmetic at hundreds and thousands of erlangs.


def _exact_erlang_b(n: int, a: Fraction) -> Fraction:
    """B(n, a) exactly, by the recursion 1 / B(k) = 1 + k / (a B(k - 1)) from B(0) = 1."""
    inverse = Fraction(1)
    for k in range(1, n + 1):
        inverse = 1 + k / a * inverse
    return 1 / inverse


@cache
def _mp_erlang_b_table(a: int, n_max: int) -> tuple[mpmath.mpf, ...]:
    """B(k, a) for k = 0 .. n_max at 50 significant digits (the recursion only adds positive terms: no cancellation)."""
    with mpmath.workdps(50):
        inverse = mpmath.mpf(1)
        out = [mpmath.mpf(1)]
        for k in range(1, n_max + 1):
            inverse = 1 + k / mpmath.mpf(a) * inverse
            out.append(1 / inverse)
    return tuple(out)


def test_the_mpmath_reference_agrees_with_the_closed_form() -> None:
    """The 50-digit recursion against B = Poisson pmf / Poisson cdf through mpmath's incomplete gamma."""
    table = _mp_erlang_b_table(5000, 6000)
    with mpmath.workdps(50):
        for n in (2000, 5050, 5200):
            pmf = mpmath.exp(n * mpmath.log(5000) - 5000 - mpmath.loggamma(n + 1))
            closed = pmf / mpmath.gammainc(n + 1, 5000, mpmath.inf, regularized=True)
            assert abs(closed / table[n] - 1) < mpmath.mpf(10) ** -40


def _c_and_sl(b: Any, n: int, a: Any, aht: Any, t: Any) -> tuple[float, float]:
    with mpmath.workdps(50):
        c = n * b / (n - a * (1 - b))
        sl = 1 - c * mpmath.exp(-(n - a) * mpmath.mpf(t) / mpmath.mpf(aht))
        return float(c), float(sl)


@pytest.mark.parametrize("n", [5050, 5100, 5200])
def test_erlang_b_c_and_service_level_at_5000_erlangs(n: int) -> None:
    a, aht, t = 5000, 180, 20
    b = _mp_erlang_b_table(a, 6000)[n]
    c, sl = _c_and_sl(b, n, mpmath.mpf(a), aht, t)
    assert float(erlang_b(n, a)) == pytest.approx(float(b), rel=1e-9, abs=0)
    assert float(erlang_c(n, a)) == pytest.approx(c, rel=1e-9, abs=0)
    assert float(erlang_c_metrics(n, a, aht, t).service_level) == pytest.approx(sl, rel=1e-9, abs=0)


@pytest.mark.parametrize(("n", "a"), [(301, "300"), (310, "300"), (330, "300"), (260, "257.5"), (290, "257.5")])
def test_erlang_b_c_and_service_level_at_hundreds_of_erlangs(n: int, a: str) -> None:
    """Exact rationals: B from the recursion, C = n B / (n - a (1 - B)); only the final exp is in mpmath."""
    aht, t = 180, 20
    exact_a = Fraction(a)
    b = _exact_erlang_b(n, exact_a)
    c = n * b / (n - exact_a * (1 - b))
    with mpmath.workdps(50):
        sl = 1 - mpmath.mpf(c.numerator) / c.denominator * mpmath.exp(-(n - mpmath.mpf(a)) * t / mpmath.mpf(aht))
    assert float(erlang_b(n, float(a))) == pytest.approx(float(b), rel=1e-9, abs=0)
    assert float(erlang_c(n, float(a))) == pytest.approx(float(c), rel=1e-9, abs=0)
    assert float(erlang_c_metrics(n, float(a), aht, t).service_level) == pytest.approx(float(sl), rel=1e-9, abs=0)


def test_every_staffing_from_1_to_6000_agents_at_5000_erlangs() -> None:
    """Vectorised over n = 1 .. 6000 at a = 5000: B to 1e-9 relative everywhere (also far below the load, where the
    Poisson cdf underflows a float), C = 1 up to the load and to 1e-9 above it, and no NaN, no overflow: every
    floating-point error raises here (np.errstate) and warnings are errors (pytest config)."""
    a, aht, t = 5000.0, 180.0, 20.0
    n = np.arange(1, 6001, dtype=float)
    table = _mp_erlang_b_table(5000, 6000)
    exact_b = np.array([float(v) for v in table[1:]])
    with np.errstate(all="raise"):
        b = erlang_b(n, a)
        c = erlang_c(n, a)
        metrics = erlang_c_metrics(n, a, aht, t)
        abandoning = erlang_a(n, a, aht, 60.0, t)
    np.testing.assert_allclose(b, exact_b, rtol=1e-9, atol=0)
    above = n > a
    with mpmath.workdps(50):
        exact_c = np.array([float(k * table[k] / (k - 5000 * (1 - table[k]))) for k in range(5001, 6001)])
    np.testing.assert_allclose(c[above], exact_c, rtol=1e-9, atol=0)
    assert np.all(c[~above] == 1.0)
    assert np.all(np.diff(b) < 0) and np.all(np.diff(c) <= 0)
    assert np.all(np.isfinite(metrics.asa_s[above])) and np.all(np.isinf(metrics.asa_s[~above]))
    for name in ("wait_probability", "service_level", "occupancy"):
        values = getattr(metrics, name)
        assert np.all((values >= 0) & (values <= 1)), name
    for name in ("wait_probability", "abandon_probability", "service_level", "service_level_answered", "occupancy"):
        values = getattr(abandoning, name)
        assert np.all(np.isfinite(values) & (values >= 0) & (values <= 1)), name
    assert np.all(np.isfinite(abandoning.asa_s))
    # Far below the load every agent is busy and the rest abandon: occupancy -> 1, P(abandon) -> 1 - n / a.
    deep = n <= 4000
    np.testing.assert_allclose(abandoning.occupancy[deep], 1.0, atol=1e-6)
    np.testing.assert_allclose(abandoning.abandon_probability[deep], 1 - n[deep] / a, atol=1e-6)


@pytest.mark.parametrize(("n", "a"), [(1000, 5000), (4990, 5000), (5050, 5000), (5200, 5000), (290, 300), (310, 300)])
def test_erlang_a_numerics_at_large_loads(n: int, a: int) -> None:
    """The module's Erlang A formulas evaluated at 50 digits (mpmath's 1F1 and incomplete gamma) against the float
    code: this checks the log-space numerics where 1F1 overflows (n = 1000) or the incomplete gammas are extreme;
    the formulas themselves are checked against the Markov chain above."""
    aht, patience, t = 180, 60, 20
    with mpmath.workdps(50):
        b = _mp_erlang_b_table(a, 6000 if a == 5000 else 400)[n]
        x = mpmath.mpf(n) * patience / aht
        y = mpmath.mpf(a) * patience / aht
        s = mpmath.hyp1f1(1, x + 1, y)
        pi_n = b / (1 + (s - 1) * b)
        wait = s * pi_n
        abandon = pi_n * ((1 - mpmath.mpf(n) / a) * s + mpmath.mpf(n) / a)

        def p(shape: Any, z: Any) -> Any:
            return mpmath.gammainc(shape, 0, z, regularized=True)

        far = y * mpmath.exp(-mpmath.mpf(t) / patience)
        sl = 1 - wait + wait * (x / y) * (p(x + 1, y) - p(x + 1, far)) / p(x, y)
    ours = erlang_a(n, a, aht, patience, t)
    assert float(ours.wait_probability) == pytest.approx(float(wait), rel=1e-9)
    assert float(ours.abandon_probability) == pytest.approx(float(abandon), rel=1e-9)
    assert float(ours.service_level) == pytest.approx(float(sl), rel=1e-9, abs=1e-12)


def test_erlang_b_by_recursion_matches_the_incomplete_gamma_on_both_sides_of_its_limit() -> None:
    """`required_agents` takes Erlang B at whole n from the recursion up to a limit and the gamma form above."""
    from planner.staffing.erlang import _RECURSION_LIMIT, _erlang_b_whole

    rng = np.random.default_rng(3)
    n = rng.integers(1, 2 * _RECURSION_LIMIT, 2_000).astype(float)
    a = n * rng.uniform(0.3, 1.5, n.size)
    assert _erlang_b_whole(n, a) == pytest.approx(erlang_b(n, a), rel=1e-11)


def test_keeping_freed_memory_is_taken_on_glibc() -> None:
    import platform

    from planner.runtime import keep_freed_memory

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is expected
