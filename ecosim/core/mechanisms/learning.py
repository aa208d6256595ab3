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

from ecosim.core.draws import Site
from ecosim.core.layout import ranges
from ecosim.core.mechanisms.engagement import poisson
from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """One week of learning through the five channels, in order, ending with the code's update."""
    s = e.state
    layout = e.layout
    draws = e.draws
    reps = np.arange(layout.replicates)
    dims = s.beliefs.shape[1]
    flat = s.cells(s.beliefs)  # cell j * N + i: row i, dimension j
    learnt = s.cells(s.belief_week)
    lv = e.levers
    code_before = e.code.copy()
    new_code = learn_codes(e) if (lv("learning.code_learning") > 0).any() else code_before

    # 1. experiential
    local, ptr = draws.bernoulli(Site.EXPERIENCE, layout.sizes * dims, lv("learning.experiential"))
    if local.size:
        idx, dim = cells_to_global(layout, reps, local, ptr)
        flat[idx] = e.reality[np.repeat(reps, np.diff(ptr)), dim]
        learnt[idx] = e.week

    # 2. social, through the network: who talks, to which neighbour, about which practice
    who, ptr = draws.bernoulli(Site.SOCIAL_TALK, layout.sizes, lv("learning.social"))
    if who.size:
        rep = np.repeat(reps, np.diff(ptr))
        src = e.ties.random_neighbours(who + layout.offsets[rep], draws.uniform(Site.SOCIAL_PICK, rep, who))
        dim = (draws.uniform(Site.SOCIAL_DIM, rep, who) * dims).astype(np.int64)
        ok = src >= 0
        _copy(e, (who + layout.offsets[rep])[ok], src[ok], dim[ok])

    # 2b. personal learning networks: each brokered contact is a conversation of its own, on top of
    # the colleague one (a facilitator introduced them so that they would talk); each direction of a
    # tie draws from its own place in the replicate's stream, named by the pair
    if e.ties.n_brokered_ties:
        a, b = e.ties.brokered_edges()
        rep = layout.rep[a]
        pair = (layout.local[a] * layout.sizes[rep] + layout.local[b]) * 2
        dst, src = np.concatenate([a, b]), np.concatenate([b, a])
        rep, index = np.concatenate([rep, rep]), np.concatenate([pair, pair + 1])
        talk = draws.uniform(Site.BROKERED_TALK, rep, index) < lv("learning.social")[rep]
        dim = (draws.uniform(Site.BROKERED_DIM, rep[talk], index[talk]) * dims).astype(np.int64)
        _copy(e, dst[talk], src[talk], dim)

    # 3. through the platform
    if e.platform_open:
        _read_posts(e, code_before)

    # 4. formal: socialisation toward the code (p1)
    p1 = np.where(code_before.any(axis=1), lv("learning.socialisation"), 0.0)
    local, ptr = draws.bernoulli(Site.SOCIALISATION, layout.sizes * dims, p1)
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


#: Posts one visitor reads in a week at most (reads are Poisson with a mean of a few).
MAX_READS = 32


def _read_posts(e: Engine, code: np.ndarray) -> None:
    """Each visitor reads posts: a peer's beliefs, or the organisational code in a facilitator's post.

    Each visitor reads Poisson(``platform_reads``) posts (at most MAX_READS); each read's post is
    drawn in proportion to live posts, the learners' (by author) and the facilitators' seeded ones
    (which carry the code). A read's draws are the reader's own: their row and the read's number.
    """
    s = e.state
    layout = e.layout
    draws = e.draws
    dims = s.beliefs.shape[1]
    reads = e.levers("learning.platform_reads")
    # what there is to read, replicate by replicate: each author's live posts, then the seeded posts
    authors = np.flatnonzero(s.recent_posts != 0)
    rep_a = layout.rep[authors]
    live = np.concatenate([s.recent_posts[authors].astype(np.float64), e.content.seeded])
    owner = np.concatenate([rep_a, np.arange(e.replicates)])
    source = np.concatenate([authors, np.full(e.replicates, -1, np.int64)])  # -1: a seeded post
    order = np.argsort(owner, kind="stable")
    live, owner, source = live[order], owner[order], source[order]
    total = np.bincount(owner, weights=live, minlength=e.replicates)
    readable = (total > 0) & (reads > 0)
    visitors = np.flatnonzero((s.engagement > INACTIVE) & readable[layout.rep])
    if visitors.size == 0:
        return
    rep_v = layout.rep[visitors]
    cap = np.full(visitors.size, MAX_READS, dtype=np.int64)
    n_reads = poisson(draws.uniform(Site.READS, rep_v, layout.local[visitors]), reads[rep_v], cap)
    readers = np.repeat(visitors, n_reads)
    if readers.size == 0:
        return
    rep = layout.rep[readers]
    index = np.repeat(layout.local[visitors] * MAX_READS, n_reads) + ranges(n_reads)
    # the cumulative share of each replicate's posts, replicate r's spanning (r, r + 1]
    share = np.where(total[owner] > 0, live / np.where(total[owner] > 0, total[owner], 1.0), 0.0)
    cumulative = np.cumsum(share)
    ends = np.cumsum(np.bincount(owner, minlength=e.replicates))
    starts = ends - np.bincount(owner, minlength=e.replicates)
    before = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
    cumulative += owner - before[owner]
    pick = np.searchsorted(cumulative, rep + draws.uniform(Site.READ_AUTHOR, rep, index), side="right")
    pick = np.clip(pick, starts[rep], ends[rep] - 1)  # rounding at the top of a replicate's range: its last post
    read_from = source[pick]
    dim = (draws.uniform(Site.READ_DIM, rep, index) * dims).astype(np.int64)
    from_code = read_from < 0
    peer = ~from_code & (read_from != readers)  # one's own posts teach nothing
    _copy(e, readers[peer], read_from[peer], dim[peer])
    if from_code.any():
        who, d, rep, index = readers[from_code], dim[from_code], rep[from_code], index[from_code]
        value = code[rep, d]
        accuracy = e.levers("learning.seed_accuracy")[rep]
        wrong = accuracy < 1
        if wrong.any():  # a facilitator's post misstates the code: it then carries a coin flip
            off = wrong & (draws.uniform(Site.SEED_ERROR, rep, index) >= accuracy)
            coin = np.where(draws.uniform(Site.SEED_ERROR, rep, index, sub=1) < 0.5, -1, 1).astype(np.int8)
            value = np.where(off, coin, value).astype(np.int8)
        ok = value != 0
        cells = d[ok] * s.n + who[ok]
        s.cells(s.beliefs)[cells] = value[ok]
        s.cells(s.belief_week)[cells] = e.week


def learn_codes(e: Engine) -> np.ndarray:
    """Every replicate's code after one period of learning from its superior group (changes nothing).

    March's rule for all replicates at once: the organisation sees its learners' actions, and its
    code takes the majority of those who outperform it. Replicates whose ``code_learning`` is 0 keep their code.
    """
    s = e.state
    layout = e.layout
    draws = e.draws
    lv = e.levers
    dims = s.beliefs.shape[1]
    code = e.code.copy()
    learning = lv("learning.code_learning") > 0
    visibility = lv("learning.offline_visibility")
    # who the organisation sees: everyone, or those who posted and a share of the rest
    partial = learning & (visibility < 1)
    seen, ptr = draws.bernoulli(Site.CODE_SEEN, np.where(partial, layout.sizes, 0), np.where(partial, visibility, 0.0))
    mask = np.repeat(learning & ~partial, layout.sizes)
    mask |= (s.engagement == CONTRIBUTOR) & np.repeat(partial, layout.sizes)
    mask[seen + np.repeat(layout.offsets[:-1], np.diff(ptr))] = True
    visible = np.flatnonzero(mask)
    if visible.size == 0:
        return code
    rep = layout.rep[visible]
    # people act on what they believe and guess (a fair coin) where they hold no belief; the
    # organisation sees what they do and how well it works (right minus wrong), and compares it
    # with its own code. The coins are bits of the person's own draw, 64 dimensions to a draw.
    words = [draws.bits(Site.CODE_COINS, rep, layout.local[visible], sub=w) for w in range(-(-dims // 64))]
    bits = np.unpackbits(np.stack(words, axis=1).view(np.uint8), axis=1, bitorder="little")[:, :dims]
    guess = np.ascontiguousarray(bits.T).view(np.int8)
    guess += guess
    guess -= 1  # 0 -> -1, 1 -> +1
    held = np.take(s.beliefs.T, visible, axis=1)  # (m, visible): dimension by dimension
    actions = np.multiply(held, held)  # 1 where a belief is held, else 0
    np.subtract(1, actions, out=actions)  # 1 where none is held
    actions *= guess
    actions += held  # the belief where held, else the guess
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
    u = draws.uniform(Site.CODE_ADOPT, np.repeat(winners, dims), np.tile(np.arange(dims), winners.size))
    p2 = lv("learning.code_learning")[winners][:, None]
    adopt = (k > 0) & (majority != code[winners]) & (u.reshape(winners.size, dims) < 1.0 - (1.0 - p2) ** k)
    block = code[winners]
    block[adopt] = majority[adopt]
    code[winners] = block
    return code
