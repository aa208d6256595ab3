"""Closed forms and exact recursions the validation cases are measured against.

Everything here is deterministic and cheap: the references (published closed forms) and the
allowances derived from them (the error of the engine's time step, the bias of an estimator).
"""

from __future__ import annotations

import math

import numpy as np

# ---- Bass (1969) --------------------------------------------------------------------------------


def bass_F(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Bass's cumulative adoption F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    t = np.asarray(t, dtype=float)
    if p == 0:
        return np.zeros_like(t)
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


def bass_peak(p: float, q: float) -> tuple[float, float]:
    """Peak time t* = ln(q/p)/(p+q) of the adoption rate and F(t*) = (q - p)/(2q) (q > p > 0)."""
    if not q > p > 0:
        raise ValueError("the adoption rate has an interior peak only when q > p > 0")
    return math.log(q / p) / (p + q), (q - p) / (2 * q)


def bass_scheme(weeks: int, p: float, q: float, steps_per_week: int) -> np.ndarray:
    """The engine's Bass scheme in the limit of a large complete graph, at the end of each week.

    Each sub-step of length dt a non-adopter adopts with probability 1 - exp(-(p + q F) dt), F the
    adopted share at the start of the sub-step, so F <- 1 - (1 - F) exp(-(p + q F) dt) exactly
    (the law of large numbers; the finite-N correction is O(1/N)). Returns F at t = 0, 1, ..., weeks.
    """
    dt = 1.0 / steps_per_week
    out = np.zeros(weeks + 1)
    f = 0.0
    for w in range(1, weeks + 1):
        for _ in range(steps_per_week):
            f = 1.0 - (1.0 - f) * math.exp(-(p + q * f) * dt)
        out[w] = f
    return out


def two_node_F(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Adoption in the two-node network (each the other's only neighbour).

    This is the lower bound of Fibich & Levin (2024) for the Bass model on any network.

    Both adopt at rate p until one does, then the other at rate p + q:
    1 - F = (q e^{-2pt} - p e^{-(p+q)t}) / (q - p)   (q != p).
    """
    t = np.asarray(t, dtype=float)
    if abs(q - p) < 1e-12:
        return 1 - np.exp(-2 * p * t) * (1 + p * t)
    return 1 - (q * np.exp(-2 * p * t) - p * np.exp(-(p + q) * t)) / (q - p)


def two_node_scheme(weeks: int, p: float, q: float, steps_per_week: int) -> np.ndarray:
    """The engine's sub-step scheme on the two-node network, exactly (a three-state Markov chain)."""
    dt = 1.0 / steps_per_week
    a = -math.expm1(-p * dt)  # one of two non-adopters adopts in a sub-step
    b = -math.expm1(-(p + q) * dt)  # the remaining one, once the other has
    none, one, both = 1.0, 0.0, 0.0
    out = np.zeros(weeks + 1)
    for w in range(1, weeks + 1):
        for _ in range(steps_per_week):
            none, one, both = none * (1 - a) ** 2, none * 2 * a * (1 - a) + one * (1 - b), both + none * a * a + one * b
        out[w] = (one + 2 * both) / 2
    return out


def ring_F(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Adoption on an infinite circle (Fibich & Gibori 2010): 1 - exp(-(p+q)t + (q/p)(1 - e^{-pt})).

    The same for one-sided and two-sided influence (Fibich, Levin & Yakir 2019).
    """
    t = np.asarray(t, dtype=float)
    return 1 - np.exp(-(p + q) * t + (q / p) * (1 - np.exp(-p * t)))


def ring_scheme(weeks: int, p: float, q: float, steps_per_week: int) -> np.ndarray:
    """The engine's sub-step scheme on an infinite one-sided circle, exactly.

    On a one-sided circle a person's left neighbour evolves independently of them and has their
    law, so with S_k the probability of not having adopted after k sub-steps and g_i = S_i - S_{i+1}
    the probability of adopting in sub-step i,
    S_k = e^{-p k dt} E[e^{-q dt (sub-steps before k in which the neighbour had adopted)}].
    """
    dt = 1.0 / steps_per_week
    K = weeks * steps_per_week
    S = np.ones(K + 1)
    g = np.zeros(K)
    decay = np.exp(-q * dt * np.arange(K))  # e^{-q dt j}
    for k in range(1, K + 1):
        # neighbour adopted in sub-step i < k-1: influences sub-steps i+1 .. k-1 (k-1-i of them);
        # in sub-step k-1 or later (or never): no influence before k
        early = float(g[: k - 1] @ decay[k - 2 :: -1][: k - 1]) if k > 1 else 0.0
        S[k] = math.exp(-p * k * dt) * (early + S[k - 1])
        g[k - 1] = S[k - 1] - S[k]
    return 1 - S[::steps_per_week]


# ---- Watts (2002) ---------------------------------------------------------------------------------


def poisson_pmf(z: float, kmax: int) -> np.ndarray:
    """Poisson(z) probabilities of 0..kmax (all the mass on 0 when z = 0)."""
    k = np.arange(kmax + 1)
    logp = -z + k * math.log(z) - np.array([math.lgamma(i + 1) for i in k]) if z > 0 else None
    if logp is None:
        out = np.zeros(kmax + 1)
        out[0] = 1.0
        return out
    return np.exp(logp)


def vulnerable_degree(phi: float) -> int:
    """K*: a learner with degree k <= K* adopts when one neighbour has (1/k >= phi)."""
    return math.floor(1.0 / phi + 1e-12) if phi > 0 else 10**9


def cascade_condition(z: float, phi: float) -> float:
    """Watts's condition for Poisson degrees, z * P(Poisson(z) <= K* - 2) - 1 (> 0: cascades possible)."""
    kstar = vulnerable_degree(phi)
    if kstar < 2:
        return -1.0
    return z * float(poisson_pmf(z, kstar - 2).sum()) - 1.0


def cascade_window(phi: float, z_max: float = 50.0) -> tuple[float, float] | None:
    """The mean degrees z_lo < z_hi between which global cascades are possible, or None if there is no window.

    Found by root finding on z * P(Poisson(z) <= floor(1/phi) - 2) = 1.
    """
    from scipy.optimize import brentq

    zs = np.linspace(0.01, z_max, 5000)
    vals = np.array([cascade_condition(z, phi) for z in zs])
    inside = np.flatnonzero(vals > 0)
    if inside.size == 0:
        return None
    i, j = inside[0], inside[-1]
    lo = brentq(cascade_condition, zs[i - 1], zs[i], args=(phi,)) if i > 0 else zs[0]
    hi = brentq(cascade_condition, zs[j], zs[j + 1], args=(phi,)) if j + 1 < zs.size else z_max
    return float(lo), float(hi)


def cascade_probability(z: float, phi: float) -> float:
    """Probability that one random seed starts a global cascade on a large Erdos-Renyi graph.

    The seed triggers one when an edge of it leads into the giant cluster of vulnerable learners
    (degree <= K*); u, the probability that an edge does not, solves
    1 - u = sum_k (k p_k / z) [k <= K*] (1 - u^{k-1}), and P = 1 - sum_k p_k u^k (Watts 2002,
    the "extended vulnerable cluster"; Gleeson & Cahalane 2007).
    """
    if z <= 0:
        return 0.0
    kstar = vulnerable_degree(phi)
    kmax = int(z + 20 * math.sqrt(z) + 40)
    pk = poisson_pmf(z, kmax)
    k = np.arange(kmax + 1)
    vul = k <= kstar
    u = 0.0  # start from "every edge leads in" and iterate down to the largest fixed point
    for _ in range(100_000):
        new = 1 - float(np.sum(k * pk / z * vul * (1 - u ** np.maximum(k - 1, 0))))
        if abs(new - u) < 1e-14:
            break
        u = new
    return float(1 - np.sum(pk * u**k))


def cascade_size(z: float, phi: float, seed_share: float = 1e-9) -> float:
    """Share of the network a global cascade reaches on a large Erdos-Renyi graph: 0 when none can start.

    Gleeson & Cahalane 2007, tree approximation, with a vanishing seed.
    """
    from scipy.stats import binom

    if z <= 0:
        return 0.0
    kmax = int(z + 20 * math.sqrt(z) + 40)
    pk = poisson_pmf(z, kmax)
    # adopt[k][m]: a learner of degree k with m adopted neighbours adopts (m >= phi k, m >= 1)
    q = seed_share
    for _ in range(100_000):
        total = 0.0
        for k in range(1, kmax + 1):
            m = np.arange(k)  # the other k - 1 neighbours
            ok = (m >= phi * k - 1e-9) & (m >= 1)
            total += k * pk[k] / z * float(binom.pmf(m, k - 1, q)[ok].sum())
        new = seed_share + (1 - seed_share) * total
        if abs(new - q) < 1e-12:
            break
        q = new
    rho = 0.0
    for k in range(1, kmax + 1):
        m = np.arange(k + 1)
        ok = (m >= phi * k - 1e-9) & (m >= 1)
        rho += pk[k] * float(binom.pmf(m, k, q)[ok].sum())
    return float(rho)


def march_turnover_reference(
    p1: float, p2: float, p3: float, periods: int, runs: int, m: int = 30, n: int = 50, seed: int = 0
) -> tuple[float, float]:
    """Code knowledge (right - wrong)/m after ``periods`` of March's program with turnover, and its standard error.

    An implementation of March's (1991) model independent of ecosim's engine, vectorised over runs,
    following his program as Christensen (2015) documents it and Workiewicz recreates it: each period
    each person leaves with probability p3 and is replaced by one with beliefs -1, 0, +1 at equal
    odds; everyone acts (a belief where held, a coin flip where not) and is scored against reality;
    beliefs move one step toward a non-zero code with probability p1; the code takes the majority
    action of those who outscore it, on each dimension with probability 1 - (1 - p2)^k.
    """
    rng = np.random.default_rng(seed)
    reality = rng.choice(np.array([-1, 1], np.int8), size=(runs, 1, m))
    beliefs = rng.integers(-1, 2, size=(runs, n, m), dtype=np.int8)
    code = np.zeros((runs, 1, m), np.int8)
    keep = round(1.0 - p2, 2)
    for _ in range(periods):
        leave = rng.random((runs, n, 1)) < p3
        fresh = rng.integers(-1, 2, size=(runs, n, m), dtype=np.int8)
        beliefs = np.where(leave, fresh, beliefs)
        coin = np.where(rng.random((runs, n, m)) < 0.5, -1, 1).astype(np.int8)
        actions = np.where(beliefs != 0, beliefs, coin)
        score = (actions.astype(np.int32) * reality).sum(axis=2)
        code_score = (code.astype(np.int32) * reality).sum(axis=2)
        move = (rng.random((runs, n, m)) < p1) & (code != 0) & (beliefs != code)
        beliefs = np.where(move, beliefs + np.sign(code - beliefs).astype(np.int8), beliefs).astype(np.int8)
        superior = (score > code_score)[:, :, None]
        lead = np.where(superior, actions, 0).astype(np.int32).sum(axis=1, keepdims=True)
        majority = np.sign(lead).astype(np.int8)
        k = np.abs(lead)
        adopt = (k > 0) & (majority != code) & (rng.random((runs, 1, m)) > keep ** k.astype(np.float64))
        code = np.where(adopt, majority, code)
    knowledge = (code.astype(np.int32) * reality).sum(axis=2).ravel() / m
    return float(knowledge.mean()), float(knowledge.std(ddof=1) / math.sqrt(runs))
