"""Queueing maths of staffing, vectorised over cells (numpy arrays broadcast together).

Everything is computed through the regularised incomplete gamma function, in log space where it matters, so it
is stable at thousands of erlangs and is defined for a real number of agents.

Notation: ``a`` offered load in erlangs (arrival rate x AHT), ``n`` agents, ``aht_s`` mean handle time,
``t_s`` the answer-time threshold, ``patience_s`` mean (exponential) patience.

Erlang B:  B(n, a) = (a^n e^-a / n!) / P(Poisson(a) <= n), with n! = Gamma(n + 1) and the Poisson CDF
           Q(n + 1, a) (regularised upper incomplete gamma).
Erlang C:  C = n B / (n - a (1 - B)) for n > a, else 1;  SL(t) = 1 - C exp(-(n - a) t / aht);
           ASA = C aht / (n - a);  occupancy = a / n.
Erlang A (M/M/n+M, exact): with x = n aht_patience_ratio = n patience / aht and y = a patience / aht,
           S = 1F1(1; x + 1; y) = Gamma(x + 1) e^y y^-x P(x, y)  (P: regularised lower incomplete gamma),
           pi_n = B / (1 + (S - 1) B),  P(wait > 0) = S pi_n,
           P(abandon) = pi_n ((1 - n/a) S + n/a),
           ASA (over all arrivals) = P(abandon) patience, occupancy = a (1 - P(abandon)) / n,
           offered wait V: P(V > t) = P(wait > 0) P(x, y e^(-t/patience)) / P(x, y),
           SL(t) = P(answered within t) / offered
                 = 1 - P(wait > 0) + P(wait > 0) (x / y) [P(x + 1, y) - P(x + 1, y e^(-t/patience))] / P(x, y).
Service level for Erlang A is "answered within t, over all offered contacts" (abandoned ones count as
failures); `service_level_answered` divides by the answered ones instead. The formulas were checked against a
direct solution of the Markov chain and against pyworkforce's published case (see tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = [
    "ErlangAMetrics",
    "ErlangCMetrics",
    "Requirement",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "required_agents",
]

Array = np.ndarray


def _arrays(*values: object) -> list[Array]:
    return [np.asarray(v, dtype=float) for v in np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])]


def _upper_gamma_cf(s: Array, z: Array, terms: int = 40) -> Array:
    """e^z z^-s Gamma(s, z) by its continued fraction 1 / (z + 1 - s - 1 (1 - s) / (z + 3 - s - ...)), z > s + 1."""
    den = z + 1 - s
    c = np.full_like(z, 1e300)
    d = 1 / den
    h = d
    for i in range(1, terms):
        step = -i * (i - s)
        den = den + 2
        d = 1 / (step * d + den)
        c = den + step / c
        h = h * d * c
    return np.asarray(h, dtype=float)


def erlang_b(n: object, a: object) -> Array:
    """Blocking probability of an M/M/n/n loss system with offered load `a`, for real `n >= 0`."""
    n, a = _arrays(n, a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        tail = special.gammaincc(n + 1, a)  # P(Poisson(a) <= n), exact for integer n
        log_b = n * np.log(a) - a - special.gammaln(n + 1) - np.log(tail)
        b = np.exp(log_b)
    # Where the Poisson CDF underflows (n far below a, so a > n + 1): 1 / B = a e^a a^-(n+1) Gamma(n + 1, a), by
    # the continued fraction of the upper incomplete gamma (modified Lentz), which converges in a few terms there.
    under = (tail <= 0) & (a > 0)
    if np.any(under):
        b = np.array(b, dtype=float)
        b[under] = 1 / (a[under] * _upper_gamma_cf(n[under] + 1, a[under]))
    b = np.where(a <= 0, 0.0, b)
    return np.clip(b, 0.0, 1.0)


def erlang_c(n: object, a: object) -> Array:
    """Probability that a contact waits in M/M/n (Erlang C); 1 where n <= a (the queue grows without bound)."""
    n, a = _arrays(n, a)
    b = erlang_b(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1 - b))
    return np.where(n > a, np.clip(c, 0.0, 1.0), 1.0)


@dataclass(frozen=True)
class ErlangCMetrics:
    wait_probability: Array
    service_level: Array
    asa_s: Array
    occupancy: Array


def erlang_c_metrics(n: object, a: object, aht_s: object, t_s: object) -> ErlangCMetrics:
    """Erlang C service level within `t_s`, ASA, occupancy and P(wait) at `n` agents (real or integer)."""
    n, a, aht, t = _arrays(n, a, aht_s, t_s)
    c = erlang_c(n, a)
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sl = np.where(stable, 1 - c * np.exp(-(n - a) * t / aht), 0.0)
        asa = np.where(stable, c * aht / (n - a), np.inf)
        occupancy = np.where(n > 0, np.minimum(a / n, 1.0), 0.0)
    return ErlangCMetrics(wait_probability=c, service_level=np.clip(sl, 0, 1), asa_s=asa, occupancy=occupancy)


@dataclass(frozen=True)
class ErlangAMetrics:
    wait_probability: Array
    abandon_probability: Array
    service_level: Array  # answered within t, over offered
    service_level_answered: Array  # answered within t, over answered
    asa_s: Array  # mean wait over all arrivals (those who abandon included)
    occupancy: Array


def _log_p(x: Array, z: Array) -> Array:
    """log P(x, z), the regularised lower incomplete gamma, stable where it is tiny (z well below x)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        out = np.array(np.log(special.gammainc(x, z)), dtype=float)  # writable, 0-d included
        low = ~(np.isfinite(out) & (out > -600))
        if low.any():  # lower tail: P(x, z) = z^x e^-z / Gamma(x + 1) * 1F1(1; x + 1; z), finite in logs
            xl, zl = x[low], z[low]
            out[low] = xl * np.log(zl) - zl - special.gammaln(xl + 1) + np.log(special.hyp1f1(1.0, xl + 1, zl))
    return np.asarray(out, dtype=float)


def erlang_a(n: object, a: object, aht_s: object, patience_s: object, t_s: object) -> ErlangAMetrics:
    """Exact M/M/n+M (Erlang A) measures at `n` agents (see the module docstring for the formulas)."""
    n, a, aht, patience, t = _arrays(n, a, aht_s, patience_s, t_s)
    b = erlang_b(n, a)
    x = n * patience / aht
    y = a * patience / aht
    log_pxy = _log_p(x, y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_s = special.gammaln(x + 1) + y - x * np.log(y) + log_pxy
        # P(wait) = S pi_n = 1 / (1 + (1 / B - 1) / S) and pi_n = P(wait) / S: finite where S overflows (n far
        # below a); no load (B = 0) means no wait.
        inv_s = np.exp(-log_s)
        wait = np.where(b > 0, np.clip(1 / (1 + (1 / b - 1) * inv_s), 0, 1), 0.0)
        pi_n = np.where(wait > 0, wait * inv_s, 0.0)
        ratio = n / np.maximum(a, 1e-300)
        abandon = np.clip(wait * (1 - ratio) + pi_n * ratio, 0, 1)
        decay = np.exp(-t / patience)
        # (x / y) P(x + 1, z) / P(x, y), for z = y (exactly, from S) and z = y e^(-t / patience) (through logs).
        # P(x + 1, y) = P(x, y) - y^x e^-y / Gamma(x + 1), and y^x e^-y / Gamma(x + 1) / P(x, y) = 1 / S.
        near = (x / y) * (1 - inv_s)
        far = np.exp(np.log(x / y) + _log_p(x + 1, y * decay) - log_pxy)
        sl = 1 - wait + np.where(wait > 0, wait * np.clip(near - far, 0, 1), 0.0)
    sl = np.clip(np.where(np.isfinite(sl), sl, 0.0), 0, 1)
    answered = 1 - abandon
    return ErlangAMetrics(
        wait_probability=wait,
        abandon_probability=abandon,
        service_level=sl,
        service_level_answered=np.where(answered > 0, np.clip(sl / np.maximum(answered, 1e-300), 0, 1), 0.0),
        asa_s=abandon * patience,
        occupancy=np.where(n > 0, np.minimum(a * answered / np.maximum(n, 1e-300), 1.0), 0.0),
    )


@dataclass(frozen=True)
class Requirement:
    """Agents needed per cell: `agents_int`, the smallest whole number meeting every target, with the service
    level expected there; and `agents`, the real-valued requirement where the service level (interpolated between
    the two whole numbers around the target) reaches it, or the occupancy bound if that is higher."""

    agents: Array
    agents_int: Array
    service_level: Array


def _service_level(n: Array, a: Array, aht: Array, t: Array, patience: Array | None) -> Array:
    if patience is None:
        return erlang_c_metrics(n, a, aht, t).service_level
    return erlang_a(n, a, aht, patience, t).service_level


def required_agents(
    a: object,
    aht_s: object,
    service_level: object,
    t_s: object,
    max_occupancy: object = 1.0,
    patience_s: object | None = None,
) -> Requirement:
    """Agents to answer `service_level` of contacts within `t_s` with occupancy at most `max_occupancy`:
    Erlang C, or Erlang A where a mean patience is given. Vectorised over cells; zero load needs no one."""
    if patience_s is None:
        a, aht, target, t, occ = _arrays(a, aht_s, service_level, t_s, max_occupancy)
        patience = None
    else:
        a, aht, target, t, occ, patience = _arrays(a, aht_s, service_level, t_s, max_occupancy, patience_s)
    if np.any((target <= 0) | (target >= 1)):
        raise ValueError("service level targets must lie strictly between 0 and 1")
    if np.any((occ <= 0) | (occ > 1)):
        raise ValueError("max occupancy must lie in (0, 1]")
    # The search below indexes flat positions: work on 1-d arrays (scalars and grids included), reshape at the end.
    shape = a.shape
    a, aht, target, t, occ = (v.reshape(-1) for v in (a, aht, target, t, occ))
    patience = None if patience is None else patience.reshape(-1)
    busy = a > 0
    floor_occ = a / occ
    # Erlang C: the smallest whole number above the load and the occupancy bound that meets the target, by a
    # step search from that bound (a few steps: the answer is within a few square roots of the load).
    start = np.maximum(np.maximum(np.floor(a) + 1, np.ceil(floor_occ - 1e-9)), 1.0)
    n_c = np.where(busy, start, 0.0)
    pending = busy.copy()
    while pending.any():
        idx = np.flatnonzero(pending)
        ok = _service_level(n_c[idx], a[idx], aht[idx], t[idx], None) >= target[idx]
        n_c[idx[~ok]] += 1
        pending[idx[ok]] = False
    if patience is None:
        n_int = n_c
    else:
        # Erlang A: abandonment shortens the queue, so Erlang C's answer is usually feasible; bisect below it, then
        # step up where it is not (an abandoned contact counts as a miss, so short patience or a high target can need
        # more than Erlang C). Feasibility only grows with n. Occupancy counts the answered load, a (1 - P(abandon))
        # / n, as `erlang_a` reports it.
        def feasible(n: Array, idx: Array) -> tuple[Array, ErlangAMetrics]:
            m = erlang_a(np.maximum(n, 1e-9), a[idx], aht[idx], patience[idx], t[idx])
            ok = (m.service_level >= target[idx]) & (m.occupancy <= occ[idx] + 1e-12) & (n > 0)
            return np.asarray(ok, dtype=bool), m

        # First bracket: Erlang A's answer is usually a little below Erlang C's, so try a few square roots of the
        # load below it; where even that is feasible, fall back to the whole range [0, that point].
        high = n_c.copy()
        low = np.maximum(np.floor(n_c - np.sqrt(a) - 2), 0.0)
        probe = np.flatnonzero(busy & (low > 0))
        if probe.size:
            ok, _ = feasible(low[probe], probe)
            high[probe[ok]] = low[probe[ok]]
            low[probe[ok]] = 0.0
        pending = busy & (high - low > 1)
        while pending.any():
            idx = np.flatnonzero(pending)
            middle = np.floor((low[idx] + high[idx]) / 2)
            ok, _ = feasible(middle, idx)
            high[idx[ok]] = middle[ok]
            low[idx[~ok]] = middle[~ok]
            pending[idx] = high[idx] - low[idx] > 1
        n_int = np.where(busy, high, 0.0)
        # The measures at the final n_int come out of this check, so they are not computed again below.
        sl_at_n = np.ones_like(a)
        abandon_at_n = np.zeros_like(a)
        pending = busy.copy()
        while pending.any():
            idx = np.flatnonzero(pending)
            ok, m = feasible(n_int[idx], idx)
            sl_at_n[idx[ok]] = m.service_level[ok]
            abandon_at_n[idx[ok]] = m.abandon_probability[ok]
            n_int[idx[~ok]] += 1
            pending[idx[ok]] = False
        floor_occ = a * (1 - abandon_at_n) / occ
    # The real-valued requirement: the service level interpolated linearly between n_int - 1 (which misses the
    # target) and n_int (which meets it), never below the occupancy bound. For Erlang C the lower end is at
    # least the load itself, where the service level is 0.
    sl_high = _service_level(np.maximum(n_int, 1e-9), a, aht, t, None) if patience is None else sl_at_n
    lower = np.maximum(n_int - 1, a if patience is None else 0.0)
    lower = np.minimum(lower, n_int)
    sl_low = np.where(lower > 0, _service_level(np.maximum(lower, 1e-9), a, aht, t, patience), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip((target - sl_low) / (sl_high - sl_low), 0.0, 1.0)
    # A flat service level (both ends round to 1) means the target is already met at the lower end: n_int is then
    # set by the occupancy bound, which `agents` takes below.
    high = np.where(sl_high > sl_low, lower + share * (n_int - lower), lower)
    agents = np.where(busy, np.maximum(high, floor_occ), 0.0)
    return Requirement(
        agents=agents.reshape(shape),
        agents_int=n_int.astype(np.int64).reshape(shape),
        service_level=np.where(busy, sl_high, 1.0).reshape(shape),
    )
