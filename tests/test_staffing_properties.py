"""Hypothesis property tests of the queueing maths: monotonicity, bounds, and what a requirement must satisfy.

The stochastic orderings used: M/M/n+M has the same arrivals as M/M/n and larger death rates, so its number in
system, and the offered wait V of an arrival (k + 1 exponential stages at rates n mu + j theta instead of n mu), are
stochastically smaller than Erlang C's. Hence P_A(wait) <= C and P_A(V <= T) >= P_C(W <= T). Over answered
contacts, being answered (V <= exponential patience) favours short V, so P_A(V <= T | answered) >= P_A(V <= T):
with the service level over answered contacts Erlang A never needs more agents than Erlang C. Over offered contacts
abandoned ones are misses, so SL_A >= P_A(V <= T) - P_A(abandon) >= SL_C - P_A(abandon); at T = 0 it is
1 - P_A(wait) >= 1 - C, but with T > 0 and short patience Erlang A can need *more* agents than Erlang C (see
test_staffing_erlang.py::test_erlang_a_tends_to_erlang_c_and_to_erlang_b), so there it is not a property.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.staffing.erlang import erlang_a, erlang_b, erlang_c, erlang_c_metrics, required_agents

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)

#: Float noise allowed in comparisons of probabilities computed at different n (values are O(1)).
NOISE = 1e-12

loads = st.floats(0.01, 800.0)
big_loads = st.floats(0.01, 6000.0)
handle_times = st.floats(5.0, 1800.0)
thresholds = st.floats(0.0, 600.0)
patiences = st.floats(1.0, 3600.0)
targets = st.floats(0.05, 0.99)
occupancies = st.floats(0.5, 1.0)


def _agents_around(a: float, step: float = 0.25) -> np.ndarray:
    """Real-valued staffing from a tenth of the load (deep overload) to well above it."""
    return np.arange(max(step, np.floor(0.1 * a)), np.ceil(a + 6 * np.sqrt(a) + 10), step)


@PROPERTY_SETTINGS
@given(a=big_loads)
@example(a=5000.0)  # below n = 2580 the Poisson cdf underflows a float (the continued-fraction branch)
def test_erlang_b_decreases_with_agents(a: float) -> None:
    n = np.arange(0.0, np.ceil(a + 6 * np.sqrt(a) + 10), 0.5)
    b = erlang_b(n, a)
    assert b[0] == pytest.approx(1.0, abs=1e-12) and np.all((b >= 0) & (b <= 1))
    assert np.all(np.diff(b) <= NOISE * b[1:])
    assert np.all(np.diff(b)[b[1:] > 1e-280] < 0)  # strictly, wherever B is not lost in underflow


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, t=thresholds)
def test_erlang_c_service_level_rises_with_agents(a: float, aht: float, t: float) -> None:
    n = _agents_around(a)
    m = erlang_c_metrics(n, a, aht, t)
    for values in (m.wait_probability, m.service_level, m.occupancy):
        assert np.all((values >= 0) & (values <= 1))
    assert np.all(np.diff(m.service_level) >= -NOISE)
    assert np.all(np.diff(m.wait_probability) <= NOISE)
    assert np.all(m.wait_probability[n <= a] == 1) and np.all(m.service_level[n <= a] == 0)
    assert np.all(np.diff(m.asa_s[n > a]) <= NOISE * m.asa_s[n > a][1:])


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, t=thresholds, patience=patiences)
@example(a=500.0, aht=180.0, t=20.0, patience=540.0)  # 1F1(1; x + 1; y) overflows a float below ~100 agents
def test_erlang_a_service_level_rises_with_agents(a: float, aht: float, t: float, patience: float) -> None:
    n = _agents_around(a)
    m = erlang_a(n, a, aht, patience, t)
    for values in (m.wait_probability, m.abandon_probability, m.service_level, m.service_level_answered, m.occupancy):
        assert np.all(np.isfinite(values) & (values >= 0) & (values <= 1))
    assert np.all(np.diff(m.service_level) >= -NOISE)
    assert np.all(np.diff(m.wait_probability) <= NOISE)
    assert np.all(np.diff(m.abandon_probability) <= NOISE)
    assert np.all(np.diff(m.occupancy) <= NOISE)  # answered load per agent (which `required_agents` bisects on)
    assert np.allclose(m.asa_s, m.abandon_probability * patience, rtol=1e-12, atol=0)
    # the answered load a (1 - P(abandon)) never exceeds the agents
    assert np.all(a * (1 - m.abandon_probability) <= n * (1 + 1e-9))


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, t=thresholds, patience=patiences)
def test_abandonment_never_lengthens_the_queue(a: float, aht: float, t: float, patience: float) -> None:
    """The stochastic orderings of the module docstring, at every staffing above the load."""
    n = _agents_around(a)
    n = n[n > a]
    with_abandonment = erlang_a(n, a, aht, patience, t)
    c = erlang_c_metrics(n, a, aht, t)
    assert np.all(with_abandonment.wait_probability <= c.wait_probability + NOISE)
    assert np.all(with_abandonment.asa_s <= c.asa_s * (1 + 1e-9))
    assert np.all(with_abandonment.service_level + with_abandonment.abandon_probability >= c.service_level - 1e-9)
    immediate = erlang_a(n, a, aht, patience, 0.0)
    assert np.all(immediate.service_level >= 1 - erlang_c(n, a) - NOISE)


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, t=thresholds, target=targets, occupancy=occupancies)
@example(a=100.0, aht=180.0, t=600.0, target=0.8, occupancy=0.85)  # SL rounds to 1 at 117 and 118: 117.647 agents
def test_erlang_c_requirement_is_the_smallest_that_meets_every_target(
    a: float, aht: float, t: float, target: float, occupancy: float
) -> None:
    need = required_agents(a, aht, target, t, occupancy)
    n = int(need.agents_int)
    at, below = erlang_c_metrics(n, a, aht, t), erlang_c_metrics(n - 1, a, aht, t)
    assert (
        n > a
        and float(at.service_level) >= target
        and float(need.service_level) == pytest.approx(float(at.service_level), rel=1e-12)
    )
    # occupancy: the search starts at ceil(a / occupancy - 1e-9), so it may exceed the cap by a relative 1e-9
    assert a / n <= occupancy * (1 + 1e-9)
    assert float(below.service_level) < target or a / (n - 1) > occupancy or n - 1 <= a
    # the fractional requirement: in (n - 1, n] (up to the same 1e-9) and never below the occupancy bound
    assert n - 1 < float(need.agents) <= n * (1 + 1e-9)
    assert float(need.agents) >= a / occupancy
    # above that bound it is where the service level, linear between max(n - 1, a) (SL 0 at the load) and n,
    # reaches the target
    if float(need.agents) > a / occupancy * (1 + 1e-12):
        lower = max(n - 1, a)
        sl_low = float(erlang_c_metrics(lower, a, aht, t).service_level)
        reached = sl_low + (float(need.agents) - lower) / (n - lower) * (float(at.service_level) - sl_low)
        assert reached == pytest.approx(target, abs=1e-9)


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, t=thresholds, patience=patiences, target=targets, occupancy=occupancies)
@example(a=10.0, aht=3.0, t=15.0, patience=0.01, target=0.95, occupancy=1.0)  # needs 15, Erlang C 11
@example(a=6.5, aht=190.0, t=280.0, patience=700.0, target=0.985, occupancy=1.0)  # needs 10, Erlang C 9
@example(a=91.25, aht=5.0, t=0.0, patience=1.0, target=0.5, occupancy=0.5)  # flat SL, set by occupancy
@example(a=289.0, aht=5.0, t=2.0, patience=1.0, target=0.125, occupancy=1.0)  # occupancy bound at n itself
def test_erlang_a_requirement_is_the_smallest_that_meets_every_target(
    a: float, aht: float, t: float, patience: float, target: float, occupancy: float
) -> None:
    """For Erlang A the occupancy cap applies to the answered load, a (1 - P(abandon)) / n, as `erlang_a` reports."""
    need = required_agents(a, aht, target, t, occupancy, patience_s=patience)
    n = int(need.agents_int)
    at, below = erlang_a(n, a, aht, patience, t), erlang_a(n - 1, a, aht, patience, t)
    assert (
        n >= 1
        and float(at.service_level) >= target
        and float(need.service_level) == pytest.approx(float(at.service_level), rel=1e-12)
    )
    assert float(at.occupancy) <= occupancy + 1e-12
    assert n == 1 or float(below.service_level) < target or float(below.occupancy) > occupancy + 1e-12
    # in (n - 1, n], up to the 1e-12 the search allows on occupancy (at 100 % occupancy the bound is n itself)
    assert n - 1 < float(need.agents) <= n * (1 + 1e-12)
    bound = a * (1 - float(at.abandon_probability)) / occupancy
    assert float(need.agents) >= bound
    if float(need.agents) > bound * (1 + 1e-12):  # the service level, linear between n - 1 (0 at n = 0) and n
        sl_low = float(below.service_level) if n > 1 else 0.0
        reached = sl_low + (float(need.agents) - (n - 1)) * (float(at.service_level) - sl_low)
        assert reached == pytest.approx(target, abs=1e-9)


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, patience=patiences, target=targets, occupancy=occupancies)
def test_answering_at_once_erlang_a_needs_no_more_agents_than_erlang_c(
    a: float, aht: float, patience: float, target: float, occupancy: float
) -> None:
    """At T = 0 the service level is 1 - P(wait), and P_A(wait) <= C: abandonment can only help."""
    c = required_agents(a, aht, target, 0.0, occupancy)
    with_abandonment = required_agents(a, aht, target, 0.0, occupancy, patience_s=patience)
    assert int(with_abandonment.agents_int) <= int(c.agents_int)


@PROPERTY_SETTINGS
@given(a=loads, aht=handle_times, t=thresholds, patience=patiences, target=targets, occupancy=occupancies)
@example(a=10.0, aht=3.0, t=15.0, patience=0.01, target=0.95, occupancy=1.0)  # over offered: 15 against C's 11
@example(a=6.5, aht=190.0, t=280.0, patience=700.0, target=0.985, occupancy=1.0)  # over offered: 10 against 9
def test_erlang_a_over_answered_needs_no_more_agents_than_erlang_c(
    a: float, aht: float, t: float, patience: float, target: float, occupancy: float
) -> None:
    c = required_agents(a, aht, target, t, occupancy)
    answered = required_agents(a, aht, target, t, occupancy, patience_s=patience, service_level_over="answered")
    assert int(answered.agents_int) <= int(c.agents_int)
    assert float(answered.agents) <= float(c.agents) + 1e-9


@PROPERTY_SETTINGS
@given(
    a=loads,
    aht=handle_times,
    t=thresholds,
    patience=patiences,
    target=targets,
    cap=st.floats(0.005, 0.5),
    over=st.sampled_from(["offered", "answered"]),
)
def test_erlang_a_requirement_meets_the_abandonment_cap_with_the_fewest_agents(
    a: float, aht: float, t: float, patience: float, target: float, cap: float, over: str
) -> None:
    need = required_agents(a, aht, target, t, 1.0, patience, cap, service_level_over=over)  # type: ignore[arg-type]
    n = int(need.agents_int)
    at, below = erlang_a(n, a, aht, patience, t), erlang_a(n - 1, a, aht, patience, t)
    level = (lambda m: m.service_level) if over == "offered" else (lambda m: m.service_level_answered)
    assert float(at.abandon_probability) <= cap and float(level(at)) >= target
    assert float(need.service_level) == pytest.approx(float(level(at)), rel=1e-12)
    assert n == 1 or float(below.abandon_probability) > cap or float(level(below)) < target


@PROPERTY_SETTINGS
@given(
    a=loads,
    growth=st.floats(1.0, 3.0),
    aht=handle_times,
    t=thresholds,
    patience=st.none() | patiences,
    target=targets,
    occupancy=occupancies,
)
def test_requirement_rises_with_load(
    a: float, growth: float, aht: float, t: float, patience: float | None, target: float, occupancy: float
) -> None:
    loads_ = np.array([a, a * growth])
    need = required_agents(loads_, aht, target, t, occupancy, patience_s=patience)
    assert need.agents_int[1] >= need.agents_int[0]
    assert need.agents[1] >= need.agents[0] - 1e-9


@PROPERTY_SETTINGS
@given(
    cells=st.lists(st.sampled_from([0.0, 0.3, 4.0, 55.0]), min_size=1, max_size=8),
    patience=st.none() | patiences,
)
def test_zero_load_needs_nobody(cells: list[float], patience: float | None) -> None:
    a = np.array(cells)
    need = required_agents(a, 300.0, 0.8, 20.0, 0.85, patience_s=patience)
    idle = a == 0
    assert np.all(need.agents[idle] == 0) and np.all(need.agents_int[idle] == 0)
    assert np.all(need.service_level[idle] == 1)
    assert np.all(need.agents_int[~idle] >= 1)
    assert need.agents_int.dtype == np.int64 and need.agents.shape == a.shape


def test_requirement_keeps_the_shape_of_its_input() -> None:
    """Scalars give 0-d results and grids keep their shape, cell by cell the same as a flat call."""
    grid = np.array([[10.0, 20.0], [0.0, 5.0]])
    flat = required_agents(grid.ravel(), 180.0, 0.8, 20.0, 0.9)
    shaped = required_agents(grid, 180.0, 0.8, 20.0, 0.9)
    assert shaped.agents_int.shape == (2, 2)
    np.testing.assert_array_equal(shaped.agents_int.ravel(), flat.agents_int)
    np.testing.assert_array_equal(shaped.agents.ravel(), flat.agents)
    scalar = required_agents(10.0, 180.0, 0.8, 20.0, patience_s=60.0)
    assert scalar.agents_int.shape == () and int(scalar.agents_int) >= 1


@pytest.mark.parametrize("target", [0.0, 1.0, -0.1, 1.5, [0.8, 1.0]])
def test_targets_outside_the_open_unit_interval_are_refused(target: object) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        required_agents([5.0, 6.0], 180.0, target, 20.0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        required_agents([5.0, 6.0], 180.0, target, 20.0, patience_s=60.0)


@pytest.mark.parametrize("occupancy", [0.0, -0.5, 1.01])
def test_occupancy_caps_outside_zero_to_one_are_refused(occupancy: float) -> None:
    with pytest.raises(ValueError, match="max occupancy"):
        required_agents(5.0, 180.0, 0.8, 20.0, occupancy)
