"""Learning from experience, people and formal learning, with March's (1991) organisational code.

Beliefs are in {-1, 0, +1} on each of m practice dimensions; reality is a hidden vector in
{-1, +1}. In a week, in this order:

1. experience: each belief becomes the truth with probability ``experiential``;
2. people: with probability ``social`` a learner copies one non-zero belief, on a random
   dimension, from a random neighbour (right or wrong); and, with the same probability, from each
   contact a facilitator brokered for them (a personal learning network: conversations on top of
   the colleague one);
3. platform: each visitor picks up Poisson(``platform_reads``) beliefs from posts, each from a
   post's author drawn in proportion to their live posts, or from the organisational code when the
   post was seeded by a facilitator (faithfully with probability ``seed_accuracy``, else a coin
   flip);
4. formal learning: March's socialisation: where the code is non-zero and differs from a belief,
   the belief moves one step toward the code's value (-1 -> 0 -> +1) with probability
   ``socialisation`` (p1);
5. the code learns (March's p2): the learners the organisation can see (everyone who posted this
   week and a share ``offline_visibility`` of the rest) act on their beliefs, guessing (a coin flip)
   where they hold none; those whose actions outperform the code (right minus wrong) form the
   superior group; on each dimension the code takes the majority of the group's actions with
   probability 1 - (1 - p2)^k, k = majority minus minority.

Steps 4 and 5 are March's model as his program ran it (Rodan 2005; Christensen 2015; Workiewicz's
recreation, github.com/Mac13kW/March_1991_Original): the one-step socialisation and the
performance-based superior group reproduce the equilibria of March's Figure 1, which the paper's
shorthand (a belief jumps to the code; the superior group counts right beliefs only) does not
(see docs/validation.md). Both steps are synchronous, as in March: they read the beliefs and the
code as they were before either changed. Learning a belief, or having it confirmed, resets its age
(see forgetting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    """One week of learning through the five channels, in order, ending with the code's update."""
    lp = m.params.learning
    s = m.state
    rng = m.rng
    n, dims = s.beliefs.shape
    flat = s.cells(s.beliefs)  # cell j * n + i: learner i, dimension j
    learnt = s.cells(s.belief_week)
    week = m.week
    code_before = m.code.copy()
    new_code = learn_code(m) if lp.code_learning > 0 else code_before

    # 1. experiential
    idx = bernoulli_indices(rng, n * dims, lp.experiential)
    flat[idx] = m.reality[idx // n]
    learnt[idx] = week

    # 2. social, through the network
    who = bernoulli_indices(rng, n, lp.social)
    if who.size:
        src = m.ties.random_neighbours(who, rng)
        ok = src >= 0
        _copy(m, who[ok], src[ok], rng.integers(0, dims, int(ok.sum())))

    # 2b. personal learning networks: each brokered contact is a conversation of its own, on top of
    # the colleague one (a facilitator introduced them so that they would talk)
    a, b = m.ties.brokered_edges()
    if a.size and lp.social > 0:
        dst, src = np.concatenate([a, b]), np.concatenate([b, a])
        talk = bernoulli_indices(rng, dst.size, lp.social)
        if talk.size:
            _copy(m, dst[talk], src[talk], rng.integers(0, dims, talk.size))

    # 3. through the platform
    if m.platform_open and lp.platform_reads > 0:
        _read_posts(m, lp.platform_reads)

    # 4. formal: socialisation toward the code (p1)
    if lp.socialisation > 0 and code_before.any():
        idx = bernoulli_indices(rng, n * dims, lp.socialisation)
        target = code_before[idx // n]
        current = flat[idx]
        ok = (target != 0) & (current != target)
        idx, target, current = idx[ok], target[ok], current[ok]
        flat[idx] = current + np.sign(target - current).astype(np.int8)  # one step toward the code
        learnt[idx] = week

    # 5. the code learns from those who outperform it (p2)
    m.code[:] = new_code


def _copy(m: EcosystemModel, dst: np.ndarray, src: np.ndarray, dim: np.ndarray) -> None:
    """Learners ``dst`` take the non-zero beliefs of ``src`` on dimensions ``dim``."""
    s = m.state
    flat = s.cells(s.beliefs)
    offset = dim * s.n
    value = flat[offset + src]
    ok = value != 0
    cells = offset[ok] + dst[ok]
    flat[cells] = value[ok]
    s.cells(s.belief_week)[cells] = m.week


def _read_posts(m: EcosystemModel, reads_per_visit: float) -> None:
    s = m.state
    rng = m.rng
    dims = s.beliefs.shape[1]
    visitors = np.flatnonzero(s.engagement > INACTIVE)  # nonzero of a mask: several times faster
    if visitors.size == 0:
        return
    # each visitor reads Poisson(reads_per_visit) posts: all reads of the week are Poisson in number,
    # each by a visitor drawn uniformly; each read's post is drawn in proportion to live posts, the
    # learners' (by author) and the facilitators' seeded ones (which carry the code). The authors of
    # all reads come at once as multinomial counts, then are shuffled into the reads.
    authors = np.flatnonzero(s.recent_posts != 0)
    share = np.empty(authors.size + 1)
    share[:-1] = s.recent_posts[authors]
    share[-1] = m.content.seeded
    total = share.sum()
    n_reads = int(rng.poisson(reads_per_visit * visitors.size)) if total > 0 else 0
    if n_reads == 0:
        return
    share /= total
    source = np.repeat(np.append(authors, -1), rng.multinomial(n_reads, share))  # -1: seeded post
    rng.shuffle(source)
    readers = visitors[rng.integers(0, visitors.size, n_reads)]
    dim = rng.integers(0, dims, n_reads)
    from_code = source < 0
    peer = ~from_code & (source != readers)  # one's own posts teach nothing
    _copy(m, readers[peer], source[peer], dim[peer])
    if from_code.any():
        r, d = readers[from_code], dim[from_code]
        value = m.code[d]
        accuracy = m.params.learning.seed_accuracy
        if accuracy < 1:  # a facilitator's post misstates the code: it then carries a coin flip
            off = rng.random(d.size) >= accuracy
            value = np.where(off, np.where(rng.random(d.size) < 0.5, -1, 1), value).astype(np.int8)
        ok = value != 0
        cells = d[ok] * s.n + r[ok]
        s.cells(s.beliefs)[cells] = value[ok]
        s.cells(s.belief_week)[cells] = m.week


def learn_code(m: EcosystemModel) -> np.ndarray:
    """The code after one period of learning from the superior group (does not modify the model)."""
    lp = m.params.learning
    s = m.state
    code = m.code.copy()
    if lp.offline_visibility >= 1:
        beliefs = s.beliefs.T  # (m, n): dimension by dimension
    else:
        seen = bernoulli_indices(m.rng, s.n, lp.offline_visibility)
        mask = s.engagement == CONTRIBUTOR  # posters are always seen
        mask[seen] = True
        visible = np.flatnonzero(mask)
        if visible.size == 0:
            return code
        beliefs = np.take(s.beliefs.T, visible, axis=1)
    # people act on what they believe and guess (a fair coin) where they hold no belief; the
    # organisation sees what they do and how well it works (right minus wrong), and compares it
    # with its own code. The coins come eight to a random byte.
    coins = np.unpackbits(m.rng.integers(0, 256, -(-beliefs.size // 8), dtype=np.uint8), count=beliefs.size)
    guess = coins.reshape(beliefs.shape).view(np.int8)
    guess += guess
    guess -= 1  # 0 -> -1, 1 -> +1
    actions = np.multiply(beliefs, beliefs)  # 1 where a belief is held, else 0
    np.subtract(1, actions, out=actions)  # 1 where none is held
    actions *= guess
    actions += beliefs  # the belief where held, else the guess
    score = np.einsum("ji,j->i", actions, m.reality, dtype=np.int32)
    code_score = int(code.astype(np.int32) @ m.reality.astype(np.int32))
    superior = actions[:, score > code_score]
    if superior.shape[1] == 0:
        return code
    lead = superior.sum(axis=1, dtype=np.int64)  # (+1 actions) - (-1 actions), per dimension
    k = np.abs(lead)
    majority = np.sign(lead).astype(np.int8)
    adopt = (k > 0) & (majority != code) & (m.rng.random(code.size) < 1.0 - (1.0 - lp.code_learning) ** k)
    code[adopt] = majority[adopt]
    return code
