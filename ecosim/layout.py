"""An O(N) layout of an organisation's network that shows its structure.

Regions sit around a circle, stores are small discs inside their region, staff sit on a disc
around their store (the manager at its centre), area managers at their region's centre and head
office in the middle. Networks without stores are laid out on a circle. No force simulation:
positions follow from who works where, so the layout is instant at a million learners and stable
from week to week.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.network import AREA_MANAGER, HEAD_OFFICE, STORE_MANAGER, Ties

GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


def sunflower(k: int) -> np.ndarray:
    """``k`` points spread evenly over the unit disc (Vogel's spiral), shape (k, 2)."""
    if k <= 0:
        return np.zeros((0, 2))
    i = np.arange(k) + 0.5
    r = np.sqrt(i / k)
    theta = i * GOLDEN_ANGLE
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def _rank_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each item, its rank within its group and its group's size (groups >= 0)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, sorted_groups.size])
    rank_sorted = np.arange(groups.size) - np.repeat(starts, sizes)
    rank = np.empty(groups.size, dtype=np.int64)
    rank[order] = rank_sorted
    size = np.empty(groups.size, dtype=np.int64)
    size[order] = np.repeat(sizes, sizes)
    return rank, size


def _disc_positions(rank: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Sunflower position of item ``rank`` among ``size`` on the unit disc."""
    i = rank + 0.5
    r = np.sqrt(i / np.maximum(size, 1))
    theta = i * GOLDEN_ANGLE
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def organisation_layout(ties: Ties) -> np.ndarray:
    """Positions (n, 2) for every learner, in roughly the unit disc."""
    n = ties.n
    store, region, role = ties.store, ties.region, ties.role
    if not (store >= 0).any():
        theta = 2 * np.pi * np.arange(n) / n
        return np.column_stack([np.cos(theta), np.sin(theta)])
    pos = np.zeros((n, 2))
    regions = max(int(region.max()) + 1, 1)
    store_region = np.zeros(int(store.max()) + 1, dtype=np.int64)
    in_store = store >= 0
    store_region[store[in_store]] = np.maximum(region[in_store], 0)
    # region centres on a ring (a single region sits at the centre)
    angle = 2 * np.pi * (np.arange(regions) + 0.5) / regions
    ring = 0.62 if regions > 1 else 0.0
    centres = ring * np.column_stack([np.cos(angle), np.sin(angle)])
    region_radius = 0.36 if regions > 1 else 0.85
    if regions > 1:
        region_radius = min(0.36, ring * np.sin(np.pi / regions) * 0.95)
    # stores on a sunflower within their region
    s_rank, s_size = _rank_within(store_region)
    store_xy = centres[store_region] + region_radius * _disc_positions(s_rank, s_size)
    store_disc = region_radius / np.sqrt(np.maximum(s_size, 1)) * 0.6
    # staff around their store, the store manager at its centre
    rows = np.flatnonzero(in_store)
    r_rank, r_size = _rank_within(store[rows])
    offset = _disc_positions(r_rank, r_size) * store_disc[store[rows]][:, None]
    offset[role[rows] == STORE_MANAGER] = 0.0
    pos[rows] = store_xy[store[rows]] + offset
    # area managers at their region's centre, head office in the middle
    area = np.flatnonzero((role == AREA_MANAGER) & ~in_store)
    if area.size:
        pos[area] = centres[np.clip(region[area], 0, regions - 1)] if regions > 1 else 0.0
    office = np.flatnonzero((role == HEAD_OFFICE) & ~in_store)
    if office.size:
        pos[office] = 0.16 * sunflower(office.size) if regions > 1 else 0.95 * sunflower(office.size)
    others = np.flatnonzero(~in_store & (role != AREA_MANAGER) & (role != HEAD_OFFICE))
    if others.size:
        theta = 2 * np.pi * np.arange(others.size) / others.size
        pos[others] = 1.05 * np.column_stack([np.cos(theta), np.sin(theta)])
    return pos


def sample_rows(ties: Ties, max_learners: int, rng: np.random.Generator) -> np.ndarray:
    """Rows to draw, at most about ``max_learners`` of them.

    When the organisation is too large: whole stores, sampled to about ``max_learners`` (plus area
    managers and head office), or a random subset when there are no stores. Returns every row when
    the organisation is small enough.
    """
    n = ties.n
    if n <= max_learners:
        return np.arange(n)
    store = ties.store
    if not (store >= 0).any():
        return np.sort(rng.choice(n, size=max_learners, replace=False))
    outside = np.flatnonzero(store < 0)
    budget = max(max_learners - outside.size, 0)
    sizes = np.bincount(store[store >= 0])
    order = rng.permutation(sizes.size)
    keep = order[: max(1, int(np.searchsorted(np.cumsum(sizes[order]), budget, side="right")))]
    chosen = np.isin(store, keep)
    rows = np.flatnonzero(chosen)
    if outside.size > max_learners // 4:
        outside = np.sort(rng.choice(outside, size=max_learners // 4, replace=False))
    return np.sort(np.concatenate([rows, outside]))
