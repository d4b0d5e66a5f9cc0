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
Service level for Erlang A has two definitions, and `required_agents` takes either (`service_level_over`):
- "offered" (the default, `service_level`): answered within t over all offered contacts; an abandoned contact is
  a miss. Strict: with short patience and t > 0 it can need *more* agents than Erlang C, since callers who hang
  up before t fail it whatever the staffing.
- "answered" (`service_level_answered`): answered within t over answered contacts. Never needs more agents than
  Erlang C for the same target: the offered wait V of M/M/n+M is stochastically smaller than Erlang C's wait,
  and being answered (V <= patience, with exponential patience) favours short V, so P(V <= t | answered) >=
  P(V <= t) >= P_C(W <= t). It rewards callers hanging up, so pair it with a cap on P(abandon) (`max_abandon`).
The formulas were checked against a direct solution of the Markov chain and against pyworkforce's published
case (see tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

__all__ = [
    "ErlangAMetrics",
    "ErlangCMetrics",
    "Requirement",
    "ServiceLevelOver",
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


ServiceLevelOver = Literal["offered", "answered"]


#: Up to this many agents Erlang B at a whole number comes from the recursion (cheaper than the incomplete gamma).
_RECURSION_LIMIT = 400


def _erlang_b_whole(n: Array, a: Array) -> Array:
    """Erlang B at whole numbers `n` >= 1: by the forward recursion B(k) = a B(k - 1) / (k + a B(k - 1)) from
    B(0) = 1 where n <= _RECURSION_LIMIT (the cells sorted by n, so each step works on a contiguous prefix), by
    the incomplete gamma above."""
    out = np.empty_like(a)
    small = n <= _RECURSION_LIMIT
    if not small.all():
        out[~small] = erlang_b(n[~small], a[~small])
    if small.any():
        cells = np.flatnonzero(small)
        whole = n[cells].astype(np.int16)
        order = cells[np.argsort(-whole, kind="stable")]  # a radix sort on small integers
        ns, load = n[order], a[order]
        b, work, den = np.ones_like(ns), np.empty_like(ns), np.empty_like(ns)
        top = int(ns[0])
        counts = np.searchsorted(-ns, -np.arange(1, top + 1), side="right")  # cells with n >= k, k = 1..top
        for k in range(1, top + 1):
            m = int(counts[k - 1])
            b_m, work_m, den_m = b[:m], work[:m], den[:m]
            np.multiply(load[:m], b_m, out=work_m)
            np.add(work_m, k, out=den_m)
            np.divide(work_m, den_m, out=b_m)
        out[order] = b
    return out


def _erlang_c_level(n: Array, b: Array, a: Array, aht: Array, t: Array) -> Array:
    """Erlang C's service level within `t` at `n` agents from Erlang B there."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = np.clip(n * b / (n - a * (1 - b)), 0.0, 1.0)
        return np.where(n > a, np.clip(1 - c * np.exp(-(n - a) * t / aht), 0.0, 1.0), 0.0)


def _erlang_c_search(a: Array, aht: Array, target: Array, t: Array, start: Array) -> tuple[Array, Array, Array]:
    """The smallest whole n >= `start` (> a) meeting the Erlang C target, with the service level at n and at
    n - 1 (0 where n - 1 <= a). Erlang B at `start`, then its forward recursion, which is stable, one agent at a
    time for the cells still below the target."""
    n = start.copy()
    b = _erlang_b_whole(n, a)
    sl = _erlang_c_level(n, b, a, aht, t)
    sl_below = np.zeros_like(sl)
    stepped = np.zeros(a.shape, dtype=bool)
    idx = np.flatnonzero(sl < target)
    stepped[idx] = True
    while idx.size:
        ai, ni, bi = a[idx], n[idx] + 1, b[idx]
        bi = ai * bi / (ni + ai * bi)
        sl_below[idx] = sl[idx]
        sl_i = _erlang_c_level(ni, bi, ai, aht[idx], t[idx])
        n[idx], b[idx], sl[idx] = ni, bi, sl_i
        idx = idx[sl_i < target[idx]]
    # Met at `start` itself: one step of the backward recursion B(n - 1) = n B / (a (1 - B)), where n - 1 > a.
    idx = np.flatnonzero(~stepped & (n - 1 > a))
    if idx.size:
        ni, bi, ai = n[idx], b[idx], a[idx]
        below = np.clip(ni * bi / (ai * (1 - bi)), 0.0, 1.0)
        sl_below[idx] = _erlang_c_level(ni - 1, below, ai, aht[idx], t[idx])
    return n, sl, sl_below


def required_agents(
    a: object,
    aht_s: object,
    service_level: object,
    t_s: object,
    max_occupancy: object = 1.0,
    patience_s: object | None = None,
    max_abandon: object | None = None,
    service_level_over: ServiceLevelOver = "offered",
) -> Requirement:
    """Agents to answer `service_level` of contacts within `t_s` with occupancy at most `max_occupancy`:
    Erlang C, or Erlang A where a mean patience is given (then also P(abandon) at most `max_abandon`, and the
    service level counted over offered or over answered contacts). Vectorised over cells; zero load needs no one."""
    if service_level_over not in ("offered", "answered"):
        raise ValueError("service_level_over is 'offered' or 'answered'")
    if patience_s is None:
        if max_abandon is not None:
            raise ValueError("a maximum abandonment rate needs a mean patience (Erlang A)")
        a, aht, target, t, occ = _arrays(a, aht_s, service_level, t_s, max_occupancy)
        patience = abandon_cap = None
    else:
        cap = 1.0 if max_abandon is None else max_abandon
        a, aht, target, t, occ, patience, abandon_cap = _arrays(
            a, aht_s, service_level, t_s, max_occupancy, patience_s, cap
        )
        if np.any((abandon_cap <= 0) | (abandon_cap > 1)):
            raise ValueError("max abandonment must lie in (0, 1]")
    if np.any((target <= 0) | (target >= 1)):
        raise ValueError("service level targets must lie strictly between 0 and 1")
    if np.any((occ <= 0) | (occ > 1)):
        raise ValueError("max occupancy must lie in (0, 1]")
    # The searches index flat positions: work on 1-d arrays (scalars and grids included), reshape at the end.
    shape = a.shape
    a, aht, target, t, occ = (v.reshape(-1) for v in (a, aht, target, t, occ))
    busy = a > 0
    # Erlang C: the smallest whole number above the load and the occupancy bound that meets the target.
    start = np.maximum(np.maximum(np.floor(a) + 1, np.ceil(a / occ - 1e-9)), 1.0)
    n_c, sl_c, sl_c_below = _erlang_c_search(a, aht, target, t, start)
    if patience is None:
        n_int, sl_high, sl_low = n_c, sl_c, sl_c_below
        # The lower end of the interpolation: n - 1, or the load itself (service level 0) where n - 1 is below it.
        lower = np.minimum(np.maximum(n_int - 1, a), n_int)
        floor_occ = a / occ
    else:
        assert abandon_cap is not None
        n_int, sl_high, sl_low, abandon = _erlang_a_search(
            a,
            aht,
            target,
            t,
            occ,
            patience.reshape(-1),
            abandon_cap.reshape(-1),
            service_level_over,
            n_c,
            sl_c,
            sl_c_below,
        )
        lower = np.maximum(n_int - 1, 0.0)
        # Occupancy counts the answered load, a (1 - P(abandon)) / n, as `erlang_a` reports it.
        floor_occ = a * (1 - abandon) / occ
    # The real-valued requirement: the service level interpolated linearly between the lower end (which misses the
    # target) and n_int (which meets it), never below the occupancy bound.
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip((target - sl_low) / (sl_high - sl_low), 0.0, 1.0)
    # A flat service level (both ends round to 1) means the target is already met at the lower end: n_int is then
    # set by the occupancy (or abandonment) bound; the occupancy part is taken below.
    high = np.where(sl_high > sl_low, lower + share * (n_int - lower), lower)
    agents = np.where(busy, np.maximum(high, floor_occ), 0.0)
    return Requirement(
        agents=agents.reshape(shape),
        agents_int=np.where(busy, n_int, 0).astype(np.int64).reshape(shape),
        service_level=np.where(busy, sl_high, 1.0).reshape(shape),
    )


def _erlang_a_search(
    a: Array,
    aht: Array,
    target: Array,
    t: Array,
    occ: Array,
    patience: Array,
    abandon_cap: Array,
    over: ServiceLevelOver,
    n_c: Array,
    sl_c: Array,
    sl_c_below: Array,
) -> tuple[Array, Array, Array, Array]:
    """The smallest whole n meeting the Erlang A targets (service level, occupancy of the answered load, P(abandon)),
    with the service level at n and n - 1 and P(abandon) at n. Feasibility only grows with n, so the search keeps a
    bracket (`low` infeasible, `high` feasible) and probes inside it: first Erlang C's answer, then the secant of
    the last two probes (Erlang C's slope for the first step), every third probe halving the bracket. Erlang A
    usually needs a little less than Erlang C; short patience with the service level over offered contacts, or an
    abandonment cap, can need more."""
    size = a.size
    low = np.zeros(size)  # n = 0 never meets a target
    sl_low = np.zeros(size)
    high = np.full(size, np.inf)
    sl_high = np.ones(size)
    abandon_high = np.zeros(size)
    # Erlang A usually needs one or two agents less than Erlang C: the first probe is one below Erlang C's answer,
    # the secant's other point Erlang C's answer until there is a second probe.
    probe = np.maximum(n_c - 1, 1.0)
    last_n, last_sl = n_c.copy(), sl_c.copy()
    step = 0
    idx = np.flatnonzero(a > 0)
    while idx.size:
        n = probe[idx]
        m = erlang_a(n, a[idx], aht[idx], patience[idx], t[idx])
        sl = m.service_level if over == "offered" else m.service_level_answered
        ok = (sl >= target[idx]) & (m.occupancy <= occ[idx] + 1e-12) & (m.abandon_probability <= abandon_cap[idx])
        good, bad = idx[ok], idx[~ok]
        high[good], sl_high[good], abandon_high[good] = n[ok], sl[ok], m.abandon_probability[ok]
        low[bad], sl_low[bad] = n[~ok], sl[~ok]
        done = high[idx] - low[idx] <= 1
        keep = ~done
        idx, n, sl = idx[keep], n[keep], sl[keep]
        if not idx.size:
            break
        step += 1
        lo, hi = low[idx], high[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (sl - last_sl[idx]) / (n - last_n[idx])
            guess = np.ceil(n + (target[idx] - sl) / slope - 1e-9)
        guess = np.where(np.isfinite(guess), guess, np.where(np.isinf(hi), lo + 1, np.floor((lo + hi) / 2)))
        if step % 3 == 0:
            guess = np.where(np.isinf(hi), 2 * lo + 1, np.floor((lo + hi) / 2))
        last_n[idx], last_sl[idx] = n, sl
        probe[idx] = np.clip(guess, lo + 1, hi - 1)
    # Every busy cell ends with high - low = 1: `low` is n - 1, probed (its service level kept) or 0 (none).
    n_int = np.where(a > 0, high, 0.0)
    return n_int, sl_high, sl_low, abandon_high
