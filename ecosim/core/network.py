"""Who talks to whom: the network generators and the tie structure the mechanisms use.

The structural network (colleagues in a store, managers across a region, head office) is a SciPy
CSR matrix built once. Ties that facilitators broker between people are personal: they live in a
small second matrix and leave with the people they join. A complete graph is never materialised:
its neighbour sums are ``total - self``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ecosim.core.limits import MAX_TIES
from ecosim.core.rng import derived_seed
from ecosim.errors import InputError

ASSOCIATE, STORE_MANAGER, AREA_MANAGER, HEAD_OFFICE = 0, 1, 2, 3
ROLE_NAMES = ("associate", "store_manager", "area_manager", "head_office")


@dataclass
class Ties:
    """The network: structural ties (CSR) plus brokered ties, and where each learner sits.

    A batch's network is its replicates' networks side by side (:meth:`combine`): a block-diagonal
    matrix, so no tie ever joins two replicates and every neighbour sum is a replicate's own.

    Attributes:
        n: number of learners (rows), all replicates together.
        base: symmetric CSR adjacency of structural ties (float32 ones), or None for complete graphs.
        store: store index of each learner within its replicate (-1: not in a store).
        region: region index (-1: none).
        role: one of ASSOCIATE, STORE_MANAGER, AREA_MANAGER, HEAD_OFFICE.
        labels: node labels from an edge-list file (None for generated networks).
        offsets: first row of each replicate and, last, ``n`` (one replicate: ``[0, n]``).
    """

    n: int
    base: sp.csr_matrix | None
    store: np.ndarray
    region: np.ndarray
    role: np.ndarray
    labels: np.ndarray | None = None
    offsets: np.ndarray | None = None
    _extra_i: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    _extra_j: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    #: brokered ties in both directions as sorted keys ``row * n + column``, or None when there are none;
    #: with ``_extra_rows``, ``_extra_cols`` and ``_extra_indptr`` they are a CSR matrix, kept as arrays
    _extra: np.ndarray | None = None
    _extra_rows: np.ndarray = field(init=False, repr=False)
    _extra_cols: np.ndarray = field(init=False, repr=False)
    _extra_indptr: np.ndarray = field(init=False, repr=False)
    degree: np.ndarray = field(init=False)
    base_degree: np.ndarray = field(init=False)
    _rep: np.ndarray = field(init=False, repr=False)
    _divisor: np.ndarray = field(init=False, repr=False)
    _degree_int: np.ndarray = field(init=False, repr=False)
    _base_degree_int: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.offsets is None:
            self.offsets = np.array([0, self.n], dtype=np.int64)
        sizes = np.diff(self.offsets)
        self._rep = np.repeat(np.arange(sizes.size, dtype=np.intp), sizes)
        if self.base is None:
            self.base_degree = np.repeat((sizes - 1).astype(np.float32), sizes)
        else:
            self.base_degree = np.diff(self.base.indptr).astype(np.float32)
        self._set_degree(self.base_degree.copy())

    @classmethod
    def combine(cls, parts: list[Ties]) -> Ties:
        """The networks of several replicates side by side, in order (block-diagonal)."""
        if len(parts) == 1:
            return parts[0]
        if any(p.n_brokered_ties for p in parts):
            raise ValueError("networks are combined before any tie is brokered")
        sizes = np.array([p.n for p in parts], dtype=np.int64)
        offsets = np.zeros(sizes.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        complete = [p.base is None for p in parts]
        if all(complete):
            base = None
        elif any(complete):
            raise ValueError("a batch holds complete graphs only, or none")
        else:
            nnz = np.array([p.base.nnz for p in parts], dtype=np.int64)
            index_dtype = np.int32 if offsets[-1] < 2**31 and nnz.sum() < 2**31 else np.int64
            indptr = np.concatenate(
                [np.zeros(1, np.int64)]
                + [p.base.indptr[1:].astype(np.int64) + s for p, s in zip(parts, np.cumsum(nnz) - nnz)]
            ).astype(index_dtype)
            indices = np.concatenate([p.base.indices.astype(index_dtype) + o for p, o in zip(parts, offsets[:-1])])
            data = np.ones(indices.size, np.float32)
            n = int(offsets[-1])
            base = sp.csr_matrix((data, indices, indptr), shape=(n, n))
        labels = (
            None
            if all(p.labels is None for p in parts)
            else np.concatenate([p.labels if p.labels is not None else np.full(p.n, None, dtype=object) for p in parts])
        )
        return cls(
            n=int(offsets[-1]),
            base=base,
            store=np.concatenate([p.store for p in parts]),
            region=np.concatenate([p.region for p in parts]),
            role=np.concatenate([p.role for p in parts]),
            labels=labels,
            offsets=offsets,
        )

    def _set_degree(self, degree: np.ndarray) -> None:
        self.degree = degree
        self._degree_int = degree.astype(np.int64)
        if not hasattr(self, "_base_degree_int"):
            self._base_degree_int = self.base_degree.astype(np.int64)
        # the degree, or 1 for isolated learners (whose neighbour sums are 0): shares in one division
        self._divisor = np.where(degree > 0, degree, np.float32(1))

    @property
    def replicates(self) -> int:
        """Number of replicates side by side."""
        return int(self.offsets.size - 1)

    @property
    def complete(self) -> bool:
        """Whether the structural ties form complete graphs (no adjacency is stored)."""
        return self.base is None

    def base_ties_by_replicate(self) -> np.ndarray:
        """Structural ties of each replicate (each counted once), shape (R,)."""
        sizes = np.diff(self.offsets)
        if self.base is None:
            return sizes * (sizes - 1) // 2
        return np.diff(self.base.indptr[self.offsets].astype(np.int64)) // 2

    def brokered_ties_by_replicate(self) -> np.ndarray:
        """Brokered ties of each replicate (each counted once), shape (R,)."""
        return np.bincount(self._rep[self._extra_i], minlength=self.replicates)

    @property
    def n_base_ties(self) -> int:
        """Number of structural ties (each counted once)."""
        if self.base is None:
            return int(self.base_ties_by_replicate().sum())
        return self.base.nnz // 2

    @property
    def n_brokered_ties(self) -> int:
        """Number of brokered ties (each counted once)."""
        return int(self._extra_i.size)

    @property
    def n_ties(self) -> int:
        """Number of ties, structural and brokered."""
        return self.n_base_ties + self.n_brokered_ties

    # ---- neighbour sums -------------------------------------------------------------------

    def neighbour_counts(self, x: np.ndarray) -> np.ndarray:
        """Sum of ``x`` over each learner's neighbours (a float32 vector)."""
        x = np.asarray(x, dtype=np.float32)
        if self.base is None:
            if self.offsets.size == 2:
                out = np.float32(x.sum(dtype=np.float64)) - x
            else:
                out = np.empty_like(x)
                for a, b in zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist()):
                    np.subtract(np.float32(x[a:b].sum(dtype=np.float64)), x[a:b], out=out[a:b])
        else:
            out = self.base @ x
        if self._extra is not None:
            out += np.bincount(self._extra_rows, weights=x[self._extra_cols], minlength=self.n)
        return out

    def neighbour_share(self, x: np.ndarray) -> np.ndarray:
        """Mean of ``x`` over each learner's neighbours (0 for isolated learners)."""
        counts = self.neighbour_counts(x)
        counts /= self._divisor
        return counts

    def random_neighbours(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One neighbour for each of ``rows``, picked by the uniform draws ``u`` (-1 where a learner has none).

        The draws are the caller's (one per row, from the row's replicate's stream), so that a
        replicate's neighbours do not depend on the batch it is in.
        """
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(rows.size, -1, dtype=np.int64)
        if rows.size == 0:
            return out
        deg_b = self._base_degree_int[rows]
        deg = self._degree_int[rows] if self._extra is not None else deg_b
        pick = (u * deg).astype(np.int64)  # index into the learner's neighbour list
        in_base = pick < deg_b  # (so the learner has structural ties)
        if self.base is None:
            start = self.offsets[self._rep[rows]]
            j = pick + start
            out[in_base] = np.where(j >= rows, j + 1, j)[in_base]
        elif in_base.all():
            out = self.base.indices[self.base.indptr[rows] + pick].astype(np.int64)
        else:
            out[in_base] = self.base.indices[self.base.indptr[rows[in_base]] + pick[in_base]]
        if self._extra is not None:
            take = ~in_base & (deg > 0)
            if take.any():
                k = pick[take] - deg_b[take]
                out[take] = self._extra_cols[self._extra_indptr[rows[take]] + k]
        return out

    # ---- brokered ties --------------------------------------------------------------------

    def add_ties(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Add brokered ties between pairs (i, j) not already tied; returns how many were new in each replicate.

        Pairs join people of one replicate. The new ties are kept in the order of their keys, so each
        replicate's ties are in the order its own introductions made them.
        """
        made = np.zeros(self.replicates, dtype=np.int64)
        i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        keep = lo != hi
        lo, hi = lo[keep], hi[keep]
        if lo.size == 0:
            return made
        key = lo * self.n + hi
        key, first = np.unique(key, return_index=True)  # a week's introductions: a few
        lo, hi = lo[first], hi[first]
        fresh = ~_contains(self._extra, key) if self._extra is not None else np.ones(key.size, dtype=bool)
        if self.base is not None:
            fresh &= ~_has_edge(self.base, lo, hi)
        else:
            fresh[:] = False
        lo, hi = lo[fresh], hi[fresh]
        if lo.size:
            self._extra_i = np.concatenate([self._extra_i, lo])
            self._extra_j = np.concatenate([self._extra_j, hi])
            self._rebuild_extra()
            made += np.bincount(self._rep[lo], minlength=self.replicates)
        return made

    def drop_ties_of(self, rows: np.ndarray) -> None:
        """Remove the brokered ties of learners who leave."""
        if self._extra_i.size == 0 or len(rows) == 0:
            return
        gone = np.zeros(self.n, dtype=bool)
        gone[rows] = True
        keep = ~(gone[self._extra_i] | gone[self._extra_j])
        if not keep.all():
            self._extra_i, self._extra_j = self._extra_i[keep], self._extra_j[keep]
            self._rebuild_extra()

    def _rebuild_extra(self) -> None:
        if self._extra_i.size == 0:
            self._extra = None
            self._set_degree(self.base_degree.copy())
            return
        # both directions, sorted by row and then column: a canonical CSR matrix (brokered ties are
        # distinct), kept as plain arrays, which are quicker to make than a SciPy matrix each week
        n = self.n
        keys = np.concatenate([self._extra_i * n + self._extra_j, self._extra_j * n + self._extra_i])
        keys.sort()
        self._extra = keys
        self._extra_rows, self._extra_cols = np.divmod(keys, n)
        counts = np.bincount(self._extra_rows, minlength=n)
        self._extra_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self._extra_indptr[1:])
        self._set_degree(self.base_degree + counts.astype(np.float32))

    def brokered_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the brokered ties' two ends (i < j), in the order they were added."""
        return self._extra_i.copy(), self._extra_j.copy()

    def brokered_edges_by_replicate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The brokered ties' two ends grouped by replicate (each group in the order added), and the groups' bounds."""
        rep = self._rep[self._extra_i]
        order = np.argsort(rep, kind="stable")
        ptr = np.zeros(self.replicates + 1, dtype=np.int64)
        np.cumsum(np.bincount(rep, minlength=self.replicates), out=ptr[1:])
        return self._extra_i[order], self._extra_j[order], ptr

    def base_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Structural ties as (i, j) with i < j (not available for a complete graph)."""
        if self.base is None:
            raise ValueError("a complete graph has no stored edge list")
        coo = self.base.tocoo()
        keep = coo.row < coo.col
        return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in ``sorted_keys`` (sorted, not empty)."""
    pos = np.searchsorted(sorted_keys, keys)
    np.minimum(pos, sorted_keys.size - 1, out=pos)
    return sorted_keys[pos] == keys


def _has_edge(a: sp.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether each (i, j) is a tie of CSR matrix ``a``: row ``i``'s ties are compared with ``j`` all at once."""
    starts = a.indptr[i].astype(np.int64)
    degree = a.indptr[i + 1] - starts
    owner = np.repeat(np.arange(i.size), degree)  # for each tie of the rows asked about: which pair
    cell = np.arange(owner.size) + np.repeat(starts - np.cumsum(degree) + degree, degree)
    out = np.zeros(i.size, dtype=bool)
    out[owner[a.indices[cell] == j[owner]]] = True
    return out


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` for a 1-d array: its distinct values in increasing order.

    Sorts and drops repeats: several times faster than ``np.unique`` on millions of int64 keys in
    NumPy 2.3 and later, whose hash-based path is slow when most values are distinct.
    """
    x = np.sort(x)
    if x.size < 2:
        return x
    keep = np.empty(x.size, dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def csr_from_pairs(n: int, i: np.ndarray, j: np.ndarray) -> sp.csr_matrix:
    """Symmetric 0/1 CSR matrix from undirected pairs; duplicates and self-ties dropped.

    Column indices are sorted within each row (canonical CSR).
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    keep = i != j
    lo, hi = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
    key = sorted_unique(lo * n + hi)
    lo, hi = np.divmod(key, n)
    index_dtype = np.int32 if 2 * key.size < 2**31 else np.int64
    # the upper triangle comes sorted by row and column from the sorted keys; the lower triangle is
    # its transpose, and adding the two merges each row's columns in order (linear time in SciPy)
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(np.bincount(lo, minlength=n), out=indptr[1:])
    upper = sp.csr_matrix((np.ones(key.size, np.float32), hi.astype(index_dtype), indptr), shape=(n, n))
    full = (upper + upper.T).tocsr()
    full.sort_indices()
    if full.indices.dtype != index_dtype:
        full.indices = full.indices.astype(index_dtype)
        full.indptr = full.indptr.astype(index_dtype)
    return full


# ------------------------------------------------------------------------------------------
# Generators
# ------------------------------------------------------------------------------------------


def _flat_role_arrays(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.full(n, -1, np.int32), np.full(n, -1, np.int32), np.zeros(n, np.int8))


def _plain(n: int, base: sp.csr_matrix | None) -> Ties:
    store, region, role = _flat_role_arrays(n)
    return Ties(n=n, base=base, store=store, region=region, role=role)


#: Managers of a region, and area managers, each know about this many of their peers.
PEERS = 6.0
#: Groups with more possible pairs than this draw their ties sparsely rather than pair by pair.
_DENSE_PAIRS = 4_000_000


def _group_ties(
    nodes: np.ndarray, p: float, rng: np.random.Generator, *, always_draw: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair of ``nodes`` tied with probability ``p``.

    Small groups go pair by pair; large ones draw the number of ties (binomial) and then that many
    distinct pairs, so a group of 100,000 costs its ties rather than its 5 billion pairs.
    ``always_draw`` keeps the draws of small groups even when ``p`` is 1 (so the random stream
    of an organisation does not depend on whether a probability happens to reach 1).
    """
    k = nodes.size
    empty = (np.empty(0, np.int64), np.empty(0, np.int64))
    if k < 2 or p <= 0:
        return empty
    pairs = k * (k - 1) // 2
    if pairs <= _DENSE_PAIRS:
        a, b = _pairs(k)
        if p < 1 or always_draw:
            keep = rng.random(a.size) < p
            a, b = a[keep], b[keep]
        return nodes[a], nodes[b]
    m = int(rng.binomial(pairs, min(p, 1.0)))
    if m > MAX_TIES:
        raise InputError(
            f"a group of {k:,} people with tie probability {p:g} would have {m:,} ties",
            key="network",
            allowed=f"networks of at most {MAX_TIES:,} ties: smaller groups or lower probabilities",
        )
    keys = distinct_pairs(k, m, rng)
    return nodes[keys // k], nodes[keys % k]


@functools.lru_cache(maxsize=512)
def _pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a, b), a < b, of 0..k-1, as ``np.triu_indices(k, 1)`` gives them (kept for reuse)."""
    a, b = np.triu_indices(k, 1)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def distinct_pairs(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` distinct unordered pairs of ``0..n-1`` drawn uniformly, as sorted keys ``lo * n + hi`` (lo < hi)."""
    keys = np.empty(0, dtype=np.int64)
    while keys.size < m:
        need = m - keys.size
        a = rng.integers(0, n, int(need * 1.1) + 16)
        b = rng.integers(0, n, a.size)
        ok = a != b
        lo, hi = np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])
        keys = sorted_unique(np.concatenate([keys, lo * n + hi]))
        if keys.size > m:
            keys = rng.permutation(keys)[:m]
    return keys


def retail(org, net, rng: np.random.Generator) -> Ties:
    """A retail organisation: stores, regions under area managers, and a head office.

    Ties are dense within stores; store managers are linked across their region and to its area
    manager, area managers to each other and to head office; head office is dense; and there are a
    few cross-store ties.

    Rows are laid out store by store (manager first), then area managers, then head office.
    """
    stores, regions = org.stores, org.regions
    if org.store_size_spread > 0:
        sigma2 = np.log1p(org.store_size_spread**2)
        sizes = rng.lognormal(np.log(org.staff_per_store) - sigma2 / 2, np.sqrt(sigma2), stores)
    else:
        sizes = np.full(stores, org.staff_per_store)
    sizes = np.maximum(1, np.rint(sizes)).astype(np.int64)
    store_region = (np.arange(stores) * regions // stores).astype(np.int32)
    n_store_staff = int(sizes.sum())
    n = n_store_staff + regions + org.head_office
    store, region, role = _flat_role_arrays(n)
    starts = np.zeros(stores + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    store[:n_store_staff] = np.repeat(np.arange(stores, dtype=np.int32), sizes)
    region[:n_store_staff] = store_region[store[:n_store_staff]]
    managers = starts[:-1]
    role[managers] = STORE_MANAGER
    area = np.arange(n_store_staff, n_store_staff + regions)
    role[area] = AREA_MANAGER
    region[area] = np.arange(regions)
    office = np.arange(n_store_staff + regions, n)
    role[office] = HEAD_OFFICE

    pi, pj = [], []
    # within stores: every pair of colleagues with probability p, grouped by store size
    for size in np.unique(sizes):
        if size < 2:
            continue
        which = np.flatnonzero(sizes == size)
        if which.size * size * (size - 1) // 2 > _DENSE_PAIRS:  # very large stores: one at a time
            for start in starts[which]:
                ii, jj = _group_ties(np.arange(start, start + size), net.within_store_tie_prob, rng)
                pi.append(ii)
                pj.append(jj)
            continue
        a, b = _pairs(int(size))
        base = starts[which][:, None]
        ii, jj = (base + a).ravel(), (base + b).ravel()
        if net.within_store_tie_prob < 1:
            keep = rng.random(ii.size) < net.within_store_tie_prob
            ii, jj = ii[keep], jj[keep]
        pi.append(ii)
        pj.append(jj)
    if net.manager_ties:
        # the store manager works with everyone in the store
        staff = np.flatnonzero(role[:n_store_staff] == ASSOCIATE)
        pi.append(managers[store[staff]])
        pj.append(staff)
        # store managers to their area manager, and to other store managers of the region
        pi.append(managers)
        pj.append(area[store_region])
        order = np.argsort(store_region, kind="stable")
        bounds = np.searchsorted(store_region[order], np.arange(regions + 1))
        for r in range(regions):
            mgr = managers[order[bounds[r] : bounds[r + 1]]]
            if mgr.size < 2:
                continue
            ii, jj = _group_ties(mgr, min(1.0, PEERS / (mgr.size - 1)), rng, always_draw=True)
            pi.append(ii)
            pj.append(jj)
        # area managers know about PEERS of each other (all of them in a small chain), and a few
        # people at head office
        if regions > 1:
            ii, jj = _group_ties(area, min(1.0, PEERS / (regions - 1)), rng)
            pi.append(ii)
            pj.append(jj)
        if office.size:
            contacts = rng.choice(office, size=(regions, min(5, office.size)), replace=True)
            pi.append(np.repeat(area, contacts.shape[1]))
            pj.append(contacts.ravel())
    if office.size > 1:  # head office talks among itself
        ii, jj = _group_ties(office, net.head_office_tie_prob, rng, always_draw=True)
        pi.append(ii)
        pj.append(jj)
    # cross-store ties: friends and former colleagues elsewhere
    m = rng.poisson(net.cross_store_ties * n / 2)
    if m and n_store_staff > 1:
        a = rng.integers(0, n, m)
        b = rng.integers(0, n, m)
        keep = (store[a] != store[b]) | (store[a] < 0)
        pi.append(a[keep])
        pj.append(b[keep])
    empty = np.empty(0, np.int64)
    adjacency = csr_from_pairs(n, np.concatenate([empty, *pi]), np.concatenate([empty, *pj]))
    return Ties(n=n, base=adjacency, store=store, region=region, role=role)


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Ties:
    """G(n, p) with p = mean_degree / (n - 1): each pair tied independently."""
    pairs = n * (n - 1) // 2
    p = min(1.0, mean_degree / (n - 1))
    m = int(rng.binomial(pairs, p))
    keys = distinct_pairs(n, m, rng)
    return _plain(n, csr_from_pairs(n, keys // n, keys % n))


def watts_strogatz(n: int, k: int, beta: float, rng: np.random.Generator) -> Ties:
    """Ring lattice with k/2 neighbours on each side, each tie's far end rewired with probability beta.

    A rewired tie that lands on an existing tie is merged, so a few ties may be lost when beta is
    large (the mean degree stays within a fraction of a percent of k for sparse networks).
    """
    i = np.repeat(np.arange(n, dtype=np.int64), k // 2)
    j = (i + np.tile(np.arange(1, k // 2 + 1), n)) % n
    rewire = rng.random(i.size) < beta
    new = rng.integers(0, n - 1, int(rewire.sum()))
    src = i[rewire]
    j[rewire] = np.where(new >= src, new + 1, new)  # never a self-tie
    return _plain(n, csr_from_pairs(n, i, j))


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> Ties:
    """Preferential attachment (networkx's generator, seeded from the model's generator)."""
    import networkx as nx

    g = nx.barabasi_albert_graph(n, m, seed=derived_seed(rng))
    edges = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    return _plain(n, csr_from_pairs(n, edges[:, 0], edges[:, 1]))


def complete(n: int) -> Ties:
    """Everyone tied to everyone (stored implicitly)."""
    return _plain(n, None)


def from_arrays(arrays) -> Ties:
    """A network given as arrays (:class:`ecosim.scenario.edgelist.NetworkArrays`): a real organisation's.

    ``arrays`` has ``n``, ``source`` and ``target`` (row numbers of each tie's ends), ``store``,
    ``region``, ``role`` (one per row) and ``labels`` (the people's ids).
    """
    n = int(arrays.n)
    base = csr_from_pairs(n, np.asarray(arrays.source, np.int64), np.asarray(arrays.target, np.int64))
    return Ties(
        n=n,
        base=base,
        store=np.asarray(arrays.store, np.int32).copy(),
        region=np.asarray(arrays.region, np.int32).copy(),
        role=np.asarray(arrays.role, np.int8).copy(),
        labels=np.asarray(arrays.labels, dtype=object),
    )


def hr(staff, net, rng: np.random.Generator) -> Ties:
    """An organisation from its HR file (:class:`ecosim.scenario.staff.StaffArrays`): units, sites, managers.

    Colleagues of a unit talk with probability ``network.within_store_tie_prob``; everyone talks with
    their manager (``network.manager_ties``); and each learner has on average
    ``network.cross_store_ties`` ties to people of other units, ``network.cross_site_share`` of them
    at another site and the rest at their own.
    """
    n = int(staff.n)
    unit = np.asarray(staff.unit, np.int32)
    site = np.asarray(staff.site, np.int32)
    pi, pj = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    order = np.argsort(unit, kind="stable")
    bounds = np.searchsorted(unit[order], np.arange(int(unit.max()) + 2)) if unit.max() >= 0 else np.zeros(1, int)
    for u in range(bounds.size - 1):
        members = order[bounds[u] : bounds[u + 1]]
        ii, jj = _group_ties(members.astype(np.int64), net.within_store_tie_prob, rng, always_draw=True)
        pi.append(ii)
        pj.append(jj)
    if net.manager_ties:
        has = np.flatnonzero(np.asarray(staff.manager) >= 0)
        pi.append(has.astype(np.int64))
        pj.append(np.asarray(staff.manager, np.int64)[has])
    m = int(rng.poisson(net.cross_store_ties * n / 2))
    if m:
        a = rng.integers(0, n, m)
        other_site = rng.random(m) < net.cross_site_share
        b = rng.integers(0, n, m)  # anywhere: kept where the site differs
        # the same site: someone drawn among the people of a's site
        by_site = np.argsort(site, kind="stable")
        s_sorted = site[by_site]
        lo = np.searchsorted(s_sorted, site[a], side="left")
        hi = np.searchsorted(s_sorted, site[a], side="right")
        b_same = by_site[lo + (rng.random(m) * (hi - lo)).astype(np.int64)]
        b = np.where(other_site, b, b_same)
        keep = (a != b) & ((unit[a] != unit[b]) | (unit[a] < 0))
        keep &= np.where(other_site, (site[a] != site[b]) | (site[a] < 0), True)
        pi.append(a[keep])
        pj.append(b[keep])
    adjacency = csr_from_pairs(n, np.concatenate(pi), np.concatenate(pj))
    return Ties(
        n=n,
        base=adjacency,
        store=unit.copy(),
        region=site.copy(),
        role=np.asarray(staff.role, np.int8).copy(),
        labels=np.asarray(staff.labels, dtype=object),
    )


def build(scenario, rng: np.random.Generator, arrays=None) -> Ties:
    """The network a scenario asks for; an edge-list network from ``arrays``, else from ``network.arrays()``.

    The core reads no files: an edge list is read into arrays by the scenario layer
    (:mod:`ecosim.scenario.edgelist`).
    """
    net = scenario.network
    if net.kind == "retail":
        return retail(scenario.organisation, net, rng)
    if net.kind == "erdos_renyi":
        return erdos_renyi(net.learners, net.mean_degree, rng)
    if net.kind == "watts_strogatz":
        return watts_strogatz(net.learners, net.neighbours, net.rewiring, rng)
    if net.kind == "barabasi_albert":
        return barabasi_albert(net.learners, net.attachments, rng)
    if net.kind == "complete":
        return complete(net.learners)
    if net.kind == "edgelist":
        return from_arrays(net.arrays() if arrays is None else arrays)
    if net.kind == "hr":
        return hr(net.staff() if arrays is None else arrays, net, rng)
    raise ValueError(f"unknown network kind {net.kind!r}")
