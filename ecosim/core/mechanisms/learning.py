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

from ecosim.core.layout import concat
from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """One week of learning through the five channels, in order, ending with the code's update."""
    s = e.state
    layout = e.layout
    dims = s.beliefs.shape[1]
    flat = s.cells(s.beliefs)  # cell j * N + i: row i, dimension j
    learnt = s.cells(s.belief_week)
    code_before = e.code.copy()
    new_code = code_before.copy()
    for r, sc in enumerate(e.params):
        if sc.learning.code_learning > 0:
            lo, hi = layout.offsets[r], layout.offsets[r + 1]
            new_code[r] = learn_code(
                s.beliefs[lo:hi], s.engagement[lo:hi], code_before[r], e.reality[r], sc.learning, e.rngs[r]
            )

    # 1. experiential
    cells, values = [], []
    for r, sc in enumerate(e.params):
        local = bernoulli_indices(e.rngs[r], int(layout.sizes[r]) * dims, sc.learning.experiential)
        if local.size:
            cells.append(to_global(layout, r, local))
            values.append(e.reality[r][local // layout.sizes[r]])
    if cells:
        idx = concat(cells)
        flat[idx] = concat(values, np.int8)
        learnt[idx] = e.week

    # 2. social, through the network: who talks, to which neighbour (drawn by the talker's own stream)
    talkers, draws = [], []
    for r, sc in enumerate(e.params):
        who = bernoulli_indices(e.rngs[r], int(layout.sizes[r]), sc.learning.social)
        if who.size:
            talkers.append(who + layout.offsets[r])
            draws.append(e.rngs[r].random(who.size))
    if talkers:
        who = concat(talkers)
        src = e.ties.random_neighbours(who, concat(draws, np.float64))
        ok = src >= 0
        who, src = who[ok], src[ok]
        bounds = layout.bounds(who)
        dim = [e.rngs[r].integers(0, dims, int(bounds[r + 1] - bounds[r])) for r in _groups(bounds)]
        _copy(e, who, src, concat(dim))

    # 2b. personal learning networks: each brokered contact is a conversation of its own, on top of
    # the colleague one (a facilitator introduced them so that they would talk)
    if e.ties.n_brokered_ties:
        a, b, ptr = e.ties.brokered_edges_by_replicate()
        dst_parts, src_parts, dim_parts = [], [], []
        for r in _groups(ptr):
            social = e.params[r].learning.social
            if social <= 0:
                continue
            ar, br = a[ptr[r] : ptr[r + 1]], b[ptr[r] : ptr[r + 1]]
            dst, src = np.concatenate([ar, br]), np.concatenate([br, ar])
            talk = bernoulli_indices(e.rngs[r], dst.size, social)
            if talk.size:
                dst_parts.append(dst[talk])
                src_parts.append(src[talk])
                dim_parts.append(e.rngs[r].integers(0, dims, talk.size))
        if dst_parts:
            _copy(e, concat(dst_parts), concat(src_parts), concat(dim_parts))

    # 3. through the platform
    if e.platform_open:
        _read_posts(e, code_before)

    # 4. formal: socialisation toward the code (p1)
    cells, targets = [], []
    for r, sc in enumerate(e.params):
        p1 = sc.learning.socialisation
        if p1 > 0 and code_before[r].any():
            local = bernoulli_indices(e.rngs[r], int(layout.sizes[r]) * dims, p1)
            if local.size:
                cells.append(to_global(layout, r, local))
                targets.append(code_before[r][local // layout.sizes[r]])
    if cells:
        idx, target = concat(cells), concat(targets, np.int8)
        current = flat[idx]
        ok = (target != 0) & (current != target)
        idx, target, current = idx[ok], target[ok], current[ok]
        flat[idx] = current + np.sign(target - current).astype(np.int8)  # one step toward the code
        learnt[idx] = e.week

    # 5. the code learns from those who outperform it (p2)
    e.code[:] = new_code


def to_global(layout, r: int, local: np.ndarray) -> np.ndarray:
    """Replicate ``r``'s belief cells ``j * n_r + i`` as cells ``j * N + row`` of the whole batch."""
    if layout.replicates == 1:
        return local
    n = int(layout.sizes[r])
    j, i = np.divmod(local, n)
    j *= layout.rows
    j += i
    j += layout.offsets[r]
    return j


def _groups(bounds: np.ndarray) -> list[int]:
    """The replicates whose part of a grouped array is not empty."""
    return np.flatnonzero(np.diff(bounds)).tolist()


def _copy(e: Engine, dst: np.ndarray, src: np.ndarray, dim: np.ndarray) -> None:
    """Learners ``dst`` take the non-zero beliefs of ``src`` on dimensions ``dim``."""
    s = e.state
    flat = s.cells(s.beliefs)
    offset = dim * s.n
    value = flat[offset + src]
    ok = value != 0
    cells = offset[ok] + dst[ok]
    flat[cells] = value[ok]
    s.cells(s.belief_week)[cells] = e.week


def _read_posts(e: Engine, code: np.ndarray) -> None:
    """Each visitor reads posts: a peer's beliefs, or the organisational code in a facilitator's post."""
    s = e.state
    layout = e.layout
    dims = s.beliefs.shape[1]
    visitors_all = np.flatnonzero(s.engagement > INACTIVE)  # nonzero of a mask: several times faster
    bounds = layout.bounds(visitors_all)
    peer_dst, peer_src, peer_dim = [], [], []
    code_cells, code_values = [], []
    for r in _groups(bounds):
        lp = e.params[r].learning
        if lp.platform_reads <= 0:
            continue
        rng = e.rngs[r]
        lo, hi = int(layout.offsets[r]), int(layout.offsets[r + 1])
        visitors = visitors_all[bounds[r] : bounds[r + 1]]
        # each visitor reads Poisson(reads_per_visit) posts: all reads of the week are Poisson in number,
        # each by a visitor drawn uniformly; each read's post is drawn in proportion to live posts, the
        # learners' (by author) and the facilitators' seeded ones (which carry the code). The authors of
        # all reads come at once as multinomial counts, then are shuffled into the reads.
        authors = np.flatnonzero(s.recent_posts[lo:hi] != 0) + lo
        share = np.empty(authors.size + 1)
        share[:-1] = s.recent_posts[authors]
        share[-1] = e.content.seeded[r]
        total = share.sum()
        n_reads = int(rng.poisson(lp.platform_reads * visitors.size)) if total > 0 else 0
        if n_reads == 0:
            continue
        share /= total
        source = np.repeat(np.append(authors, -1), rng.multinomial(n_reads, share))  # -1: seeded post
        rng.shuffle(source)
        readers = visitors[rng.integers(0, visitors.size, n_reads)]
        dim = rng.integers(0, dims, n_reads)
        from_code = source < 0
        peer = ~from_code & (source != readers)  # one's own posts teach nothing
        peer_dst.append(readers[peer])
        peer_src.append(source[peer])
        peer_dim.append(dim[peer])
        if from_code.any():
            who, d = readers[from_code], dim[from_code]
            value = code[r][d]
            if lp.seed_accuracy < 1:  # a facilitator's post misstates the code: it then carries a coin flip
                off = rng.random(d.size) >= lp.seed_accuracy
                value = np.where(off, np.where(rng.random(d.size) < 0.5, -1, 1), value).astype(np.int8)
            ok = value != 0
            code_cells.append(d[ok] * s.n + who[ok])
            code_values.append(value[ok])
    if peer_dst:
        _copy(e, concat(peer_dst), concat(peer_src), concat(peer_dim))
    if code_cells:
        cells = concat(code_cells)
        s.cells(s.beliefs)[cells] = concat(code_values, np.int8)
        s.cells(s.belief_week)[cells] = e.week


def learn_code(
    beliefs: np.ndarray,
    engagement: np.ndarray,
    code: np.ndarray,
    reality: np.ndarray,
    lp,
    rng: np.random.Generator,
) -> np.ndarray:
    """One replicate's code after one period of learning from its superior group (changes nothing).

    ``beliefs`` (n, m) and ``engagement`` (n,) are the replicate's learners', ``code`` and ``reality``
    its code and hidden reality, ``lp`` its learning parameters.
    """
    code = code.copy()
    n = engagement.size
    if lp.offline_visibility >= 1:
        held = beliefs.T  # (m, n): dimension by dimension
    else:
        seen = bernoulli_indices(rng, n, lp.offline_visibility)
        mask = engagement == CONTRIBUTOR  # posters are always seen
        mask[seen] = True
        visible = np.flatnonzero(mask)
        if visible.size == 0:
            return code
        held = np.take(beliefs.T, visible, axis=1)
    # people act on what they believe and guess (a fair coin) where they hold no belief; the
    # organisation sees what they do and how well it works (right minus wrong), and compares it
    # with its own code. The coins come eight to a random byte.
    coins = np.unpackbits(rng.integers(0, 256, -(-held.size // 8), dtype=np.uint8), count=held.size)
    guess = coins.reshape(held.shape).view(np.int8)
    guess += guess
    guess -= 1  # 0 -> -1, 1 -> +1
    actions = np.multiply(held, held)  # 1 where a belief is held, else 0
    np.subtract(1, actions, out=actions)  # 1 where none is held
    actions *= guess
    actions += held  # the belief where held, else the guess
    score = np.einsum("ji,j->i", actions, reality, dtype=np.int32)
    code_score = int(code.astype(np.int32) @ reality.astype(np.int32))
    superior = actions[:, score > code_score]
    if superior.shape[1] == 0:
        return code
    lead = superior.sum(axis=1, dtype=np.int64)  # (+1 actions) - (-1 actions), per dimension
    k = np.abs(lead)
    majority = np.sign(lead).astype(np.int8)
    adopt = (k > 0) & (majority != code) & (rng.random(code.size) < 1.0 - (1.0 - lp.code_learning) ** k)
    code[adopt] = majority[adopt]
    return code
