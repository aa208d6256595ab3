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

from ecosim.core.layout import concat, filter_groups
from ecosim.core.rng import bernoulli_groups, bernoulli_indices
from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """One week of learning through the five channels, in order, ending with the code's update."""
    s = e.state
    layout = e.layout
    reps = np.arange(layout.replicates)
    dims = s.beliefs.shape[1]
    flat = s.cells(s.beliefs)  # cell j * N + i: row i, dimension j
    learnt = s.cells(s.belief_week)
    lv = e.levers
    code_before = e.code.copy()
    new_code = learn_codes(e) if (lv("learning.code_learning") > 0).any() else code_before

    # 1. experiential
    local, ptr = bernoulli_groups(e.rngs, layout.sizes * dims, lv("learning.experiential"))
    if local.size:
        idx, dim = cells_to_global(layout, reps, local, ptr)
        flat[idx] = e.reality[np.repeat(reps, np.diff(ptr)), dim]
        learnt[idx] = e.week

    # 2. social, through the network: who talks, to which neighbour (drawn by the talker's own stream)
    who, ptr = bernoulli_groups(e.rngs, layout.sizes, lv("learning.social"))
    if who.size:
        who += np.repeat(layout.offsets[:-1], np.diff(ptr))
        groups = _groups(ptr)
        u = np.empty(who.size)
        for r in groups:
            e.rngs[r].random(out=u[ptr[r] : ptr[r + 1]])
        src = e.ties.random_neighbours(who, u)
        ok = src >= 0
        who, src = who[ok], src[ok]
        bounds = filter_groups(ptr, ok)
        dim = [e.rngs[r].integers(0, dims, int(bounds[r + 1] - bounds[r])) for r in groups]
        _copy(e, who, src, concat(dim))

    # 2b. personal learning networks: each brokered contact is a conversation of its own, on top of
    # the colleague one (a facilitator introduced them so that they would talk)
    if e.ties.n_brokered_ties:
        a, b, ptr = e.ties.brokered_edges_by_replicate()
        groups = [r for r in _groups(ptr) if e.params[r].learning.social > 0]
        sizes = 2 * np.diff(ptr)[groups]
        talk, tptr = bernoulli_groups([e.rngs[r] for r in groups], sizes, lv("learning.social")[groups])
        if talk.size:
            dst_parts, src_parts, dim_parts = [], [], []
            for k, r in enumerate(groups):
                pick = talk[tptr[k] : tptr[k + 1]]
                if pick.size:
                    ar, br = a[ptr[r] : ptr[r + 1]], b[ptr[r] : ptr[r + 1]]
                    dst_parts.append(np.concatenate([ar, br])[pick])
                    src_parts.append(np.concatenate([br, ar])[pick])
                    dim_parts.append(e.rngs[r].integers(0, dims, pick.size))
            _copy(e, concat(dst_parts), concat(src_parts), concat(dim_parts))

    # 3. through the platform
    if e.platform_open:
        _read_posts(e, code_before)

    # 4. formal: socialisation toward the code (p1)
    p1 = np.where(code_before.any(axis=1), lv("learning.socialisation"), 0.0)
    local, ptr = bernoulli_groups(e.rngs, layout.sizes * dims, p1)
    if local.size:
        idx, dim = cells_to_global(layout, reps, local, ptr)
        target = code_before[np.repeat(reps, np.diff(ptr)), dim]
        current = flat[idx]
        ok = (target != 0) & (current != target)
        idx, target, current = idx[ok], target[ok], current[ok]
        flat[idx] = current + np.sign(target - current).astype(np.int8)  # one step toward the code
        learnt[idx] = e.week

    # 5. the code learns from those who outperform it (p2)
    e.code[:] = new_code


def cells_to_global(layout, reps: np.ndarray, local: np.ndarray, ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Belief cells ``j * n_r + i`` of the replicates ``reps`` (grouped by ``ptr``) as cells ``j * N + row``.

    Returns the cells and their dimensions ``j``.
    """
    counts = np.diff(ptr)
    if layout.replicates == 1:
        return local, local // int(layout.sizes[0])
    n = np.repeat(layout.sizes[reps], counts)
    dim, i = np.divmod(local, n)
    cells = dim * layout.rows
    cells += i
    cells += np.repeat(layout.offsets[reps], counts)
    return cells, dim


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
    """Each visitor reads posts: a peer's beliefs, or the organisational code in a facilitator's post.

    Each visitor reads Poisson(``platform_reads``) posts: all reads of a week are Poisson in number,
    each by a visitor drawn uniformly; each read's post is drawn in proportion to live posts, the
    learners' (by author) and the facilitators' seeded ones (which carry the code). The authors of
    all reads come at once as multinomial counts, then are shuffled into the reads.
    """
    s = e.state
    layout = e.layout
    dims = s.beliefs.shape[1]
    reads = e.levers("learning.platform_reads")
    visitors = np.flatnonzero(s.engagement > INACTIVE)  # nonzero of a mask: several times faster
    vb = layout.bounds(visitors)
    authors = np.flatnonzero(s.recent_posts != 0)
    ab = layout.bounds(authors)
    live = s.recent_posts[authors].astype(np.float64)
    groups, counts = [], []
    for r in _groups(vb):
        if reads[r] <= 0:
            continue
        rng = e.rngs[r]
        share = np.empty(int(ab[r + 1] - ab[r]) + 1)
        share[:-1] = live[ab[r] : ab[r + 1]]
        share[-1] = e.content.seeded[r]
        total = share.sum()
        n_reads = int(rng.poisson(float(reads[r]) * int(vb[r + 1] - vb[r]))) if total > 0 else 0
        if n_reads == 0:
            continue
        share /= total
        groups.append(r)
        counts.append(rng.multinomial(n_reads, share))
    if not groups:
        return
    # the post of each read: its author's row, or -1 for a facilitator's seeded post
    sources = np.concatenate([np.append(authors[ab[r] : ab[r + 1]], -1) for r in groups])
    per_source = np.concatenate(counts)
    source = np.repeat(sources, per_source)
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum([c.sum() for c in counts], out=ptr[1:])
    picks, dim_parts = [], []
    for k, r in enumerate(groups):
        rng = e.rngs[r]
        rng.shuffle(source[ptr[k] : ptr[k + 1]])
        n_reads = int(ptr[k + 1] - ptr[k])
        picks.append(rng.integers(0, int(vb[r + 1] - vb[r]), n_reads) + vb[r])
        dim_parts.append(rng.integers(0, dims, n_reads))
    readers = visitors[np.concatenate(picks)]
    dim = np.concatenate(dim_parts)
    from_code = source < 0
    peer = ~from_code & (source != readers)  # one's own posts teach nothing
    _copy(e, readers[peer], source[peer], dim[peer])
    if from_code.any():
        fptr = filter_groups(ptr, from_code)
        who, d = readers[from_code], dim[from_code]
        rep = np.repeat(np.array(groups), np.diff(fptr))
        value = code[rep, d]
        accuracy = e.levers("learning.seed_accuracy")
        for k, r in enumerate(groups):
            m = int(fptr[k + 1] - fptr[k])
            if accuracy[r] < 1 and m:  # a facilitator's post misstates the code: it then carries a coin flip
                rng = e.rngs[r]
                off = rng.random(m) >= accuracy[r]
                coin = np.where(rng.random(m) < 0.5, -1, 1)
                part = value[fptr[k] : fptr[k + 1]]
                part[:] = np.where(off, coin, part).astype(np.int8)
        ok = value != 0
        cells = d[ok] * s.n + who[ok]
        s.cells(s.beliefs)[cells] = value[ok]
        s.cells(s.belief_week)[cells] = e.week


def learn_codes(e: Engine) -> np.ndarray:
    """Every replicate's code after one period of learning from its superior group (changes nothing).

    As :func:`learn_code` does for one replicate (the reference it is tested against), for all at
    once: the organisation sees its learners' actions, and its code takes the majority of those
    who outperform it. Replicates whose ``code_learning`` is 0 keep their code.
    """
    s = e.state
    layout = e.layout
    lv = e.levers
    dims = s.beliefs.shape[1]
    code = e.code.copy()
    learning = lv("learning.code_learning") > 0
    visibility = lv("learning.offline_visibility")
    # who the organisation sees: everyone, or those who posted and a share of the rest
    partial = learning & (visibility < 1)
    seen, ptr = bernoulli_groups(e.rngs, np.where(partial, layout.sizes, 0), np.where(partial, visibility, 0.0))
    mask = np.zeros(s.n, dtype=bool)
    everyone = np.repeat(learning & ~partial, layout.sizes)
    mask |= everyone
    mask |= (s.engagement == CONTRIBUTOR) & np.repeat(partial, layout.sizes)
    mask[seen + np.repeat(layout.offsets[:-1], np.diff(ptr))] = True
    visible = np.flatnonzero(mask)
    bounds = layout.bounds(visible)
    groups = _groups(bounds)
    if not groups:
        return code
    # people act on what they believe and guess (a fair coin) where they hold no belief; the
    # organisation sees what they do and how well it works (right minus wrong), and compares it
    # with its own code. The coins come eight to a random byte, each replicate's from its stream.
    coins = []
    for r in groups:
        v = int(bounds[r + 1] - bounds[r])
        raw = e.rngs[r].integers(0, 256, -(-(dims * v) // 8), dtype=np.uint8)
        coins.append(np.unpackbits(raw, count=dims * v).reshape(dims, v))
    guess = (np.concatenate(coins, axis=1) if len(coins) > 1 else coins[0]).view(np.int8)
    guess += guess
    guess -= 1  # 0 -> -1, 1 -> +1
    held = np.take(s.beliefs.T, visible, axis=1)  # (m, visible): dimension by dimension
    actions = np.multiply(held, held)  # 1 where a belief is held, else 0
    np.subtract(1, actions, out=actions)  # 1 where none is held
    actions *= guess
    actions += held  # the belief where held, else the guess
    rep = layout.rep[visible]
    score = np.einsum("ji,ij->i", actions, e.reality[rep], dtype=np.int32)
    code_score = np.einsum("rj,rj->r", code.astype(np.int32), e.reality.astype(np.int32))
    superior = np.flatnonzero(score > code_score[rep])
    if superior.size == 0:
        return code
    who = rep[superior]
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    winners = who[starts]  # replicates with a superior group
    lead = np.add.reduceat(actions[:, superior].astype(np.int64), starts, axis=1).T  # (winners, m)
    k = np.abs(lead)
    majority = np.sign(lead).astype(np.int8)
    u = np.stack([e.rngs[r].random(dims) for r in winners.tolist()])
    p2 = lv("learning.code_learning")[winners][:, None]
    adopt = (k > 0) & (majority != code[winners]) & (u < 1.0 - (1.0 - p2) ** k)
    block = code[winners]
    block[adopt] = majority[adopt]
    code[winners] = block
    return code


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
