"""Network generators and the tie structure."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write

from ecosim.core import network
from ecosim.errors import InputError
from ecosim.scenario import load_scenario
from ecosim.scenario.edgelist import read_network
from ecosim.scenario.schema import Network, Organisation


def rng(seed=0):
    return np.random.default_rng(seed)


def test_retail_structure():
    org = Organisation(stores=40, staff_per_store=15, regions=4, head_office=30, store_size_spread=0.3)
    net = Network(within_store_tie_prob=0.6, cross_store_ties=0.3)
    ties = network.retail(org, net, rng())
    assert ties.n == int((ties.store >= 0).sum()) + 4 + 30
    assert np.bincount(ties.store[ties.store >= 0]).size == 40
    assert (ties.role == network.AREA_MANAGER).sum() == 4 and (ties.role == network.HEAD_OFFICE).sum() == 30
    a = ties.base
    assert (a != a.T).nnz == 0 and a.diagonal().sum() == 0  # symmetric, no self-ties
    # every store manager is tied to everyone in their store
    for manager in np.flatnonzero(ties.role == network.STORE_MANAGER)[:10]:
        staff = np.flatnonzero(ties.store == ties.store[manager])
        staff = staff[staff != manager]
        assert a[manager, staff].sum() == staff.size
    # most ties are inside stores
    i, j = ties.base_edges()
    same = (ties.store[i] == ties.store[j]) & (ties.store[i] >= 0)
    assert same.mean() > 0.7


def test_erdos_renyi_mean_degree_within_sampling_error():
    n, z = 10_000, 5.0
    ties = network.erdos_renyi(n, z, rng(1))
    m = ties.n_base_ties
    expected = z * n / 2
    sd = np.sqrt(expected)  # edge count is binomial with tiny p
    assert abs(m - expected) < 4 * sd


def test_watts_strogatz_lattice_and_rewiring():
    lattice = network.watts_strogatz(1000, 8, 0.0, rng())
    assert (lattice.base_degree == 8).all()
    rewired = network.watts_strogatz(1000, 8, 0.1, rng())
    assert abs(rewired.base_degree.mean() - 8) < 0.05


def test_complete_graph_is_implicit():
    ties = network.complete(5)
    x = np.array([1, 0, 1, 0, 0], dtype=np.float32)
    assert ties.neighbour_counts(x).tolist() == [1, 2, 1, 2, 2]
    assert ties.n_ties == 10
    nb = ties.random_neighbours(np.arange(5).repeat(200), rng().random(1000))
    assert (nb != np.arange(5).repeat(200)).all() and set(nb) == set(range(5))


def test_random_neighbours_are_uniform_over_ties():
    ties = network.watts_strogatz(200, 4, 0.0, rng())
    rows = np.zeros(40_000, dtype=np.int64)
    nb = ties.random_neighbours(rows, rng(2).random(rows.size))
    counts = np.bincount(nb, minlength=200)[[1, 2, 198, 199]]
    # four neighbours, each with probability 1/4: chi-square with 3 degrees of freedom, p > 0.001
    chi2 = ((counts - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 16.27


def test_brokered_ties_add_and_leave_with_people():
    ties = network.watts_strogatz(20, 2, 0.0, rng())
    made = ties.add_ties(np.array([0, 0, 3]), np.array([10, 1, 3]))
    assert made == 1  # 0-1 exists already, 3-3 is a self-tie
    assert ties.degree[0] == 3 and ties.neighbour_counts(np.eye(20, dtype=np.float32)[10])[0] == 1
    ties.drop_ties_of(np.array([10]))
    assert ties.n_brokered_ties == 0 and ties.degree[0] == 2


def test_brokered_ties_agree_with_a_dense_adjacency_matrix():
    """Random weeks of introductions and departures, checked against a dense matrix kept beside them."""
    g = rng(5)
    ties = network.erdos_renyi(40, 3.0, g)
    base = np.zeros((40, 40), dtype=bool)
    i, j = ties.base_edges()
    base[i, j] = base[j, i] = True
    brokered = np.zeros_like(base)
    for _ in range(60):
        a, b = g.integers(0, 40, 12), g.integers(0, 40, 12)
        new = 0
        for x, y in zip(a, b, strict=True):  # the rule: a tie is new if not a self-tie and not present
            if x != y and not base[x, y] and not brokered[x, y]:
                brokered[x, y] = brokered[y, x] = True
                new += 1
        assert ties.add_ties(a, b).sum() == new
        gone = g.choice(40, size=2, replace=False)
        brokered[gone, :] = brokered[:, gone] = False
        ties.drop_ties_of(gone)
        full = base | brokered
        assert ties.n_brokered_ties == brokered.sum() // 2
        assert np.array_equal(ties.degree, full.sum(axis=1))
        x = (g.random(40) < 0.5).astype(np.float32)
        assert np.array_equal(ties.neighbour_counts(x), full @ x)
        nb = ties.random_neighbours(np.arange(40), g.random(40))
        assert all(full[k, nb[k]] if full[k].any() else nb[k] == -1 for k in range(40))


def test_edgelist_with_nodes_file(tmp_path):
    edges = write(tmp_path / "e.csv", "source,target\nann,bob\nbob,cat\ncat,dan\n")
    nodes = write(
        tmp_path / "n.csv",
        "id,store,region,role\nann,s1,r1,store_manager\nbob,s1,r1,associate\n"
        "cat,s2,r1,associate\ndan,,,head_office\neve,s2,r1,associate\n",
    )
    ties = network.from_arrays(read_network(str(edges), str(nodes)))
    assert ties.n == 5 and ties.n_base_ties == 3
    assert list(ties.labels) == ["ann", "bob", "cat", "dan", "eve"]
    assert ties.store.tolist() == [0, 0, 1, -1, 1] and ties.role[3] == network.HEAD_OFFICE


@pytest.mark.parametrize(
    "text, problem, line",
    [
        ("from,to\na,b\n", "lacks column", 1),
        ("source,target\na,b\nc\n", "expected 2 values", 3),
        ("source,target\na,\n", "empty node id", 2),
        ("", "empty", None),
        ("source,target\n", "fewer than two nodes", None),
    ],
)
def test_bad_edge_lists(tmp_path, text, problem, line):
    path = write(tmp_path / "e.csv", text)
    with pytest.raises(InputError) as info:
        read_network(str(path))
    assert problem in info.value.message() and info.value.line == line
    assert str(path) in info.value.message()


def test_edgelist_scenario_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "data").mkdir()
    write(tmp_path / "data" / "e.csv", "source,target\n1,2\n2,3\n")
    sc = write(tmp_path / "s.yaml", "name: s\nnetwork:\n  kind: edgelist\n  path: data/e.csv\n")
    assert load_scenario(sc).network.path == str(tmp_path / "data" / "e.csv")


def test_large_groups_draw_their_ties_sparsely():
    """Many regions and a big head office cost their ties, not all their pairs."""
    org = Organisation(stores=200, staff_per_store=5, regions=20_000, head_office=5_000)
    net = Network(head_office_tie_prob=0.002, cross_store_ties=0.0)
    ties = network.retail(org, net, rng(3))
    area = np.flatnonzero(ties.role == network.AREA_MANAGER)
    deg = np.asarray(ties.base[area][:, area].sum(axis=1)).ravel()
    assert abs(deg.mean() - 6.0) < 0.1  # about six peers each (sd of the mean 0.025), not 19,999
    office = np.flatnonzero(ties.role == network.HEAD_OFFICE)
    m = ties.base[office][:, office].nnz // 2
    pairs = 5_000 * 4_999 / 2
    assert abs(m - 0.002 * pairs) < 4 * np.sqrt(0.002 * pairs)


def test_impossibly_dense_networks_are_refused():
    org = Organisation(stores=1, staff_per_store=2, regions=1, head_office=1_000_000)
    with pytest.raises(InputError) as info:
        network.retail(org, Network(head_office_tie_prob=0.5), rng())
    assert "ties" in info.value.message()
