"""The network decides whether people come: remove or thin the ties and uptake falls.

The acceptance of social exposure (docs/model.md section 7.3): in the shipped chain at alignment
0.5, removing every tie (the same people) lowers the mean final active share by at least 0.05 over
20 paired seeds, significantly; an organisation's own network read from an edge list and thinned to
3% of its ties does the same. A paired t-test (one-sided, 5%) over the seeds' differences.
"""

from __future__ import annotations

import csv
import math

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from ecosim.experiment.runs import run_many
from ecosim.scenario.loader import load_scenario
from ecosim.validation import patterns as pat

SEEDS = range(1, 21)
#: The least drop the acceptance asks for (final weekly active share).
LEAST_DROP = 0.05


def finals(scenarios) -> np.ndarray:
    return np.array([r.summary["final_active_share"] for r in run_many(scenarios)])


def paired_drop(with_ties, without) -> tuple[float, float]:
    """Mean of with - without and the one-sided p-value that it is not above 0."""
    d = finals(with_ties) - finals(without)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(d.size))
    return float(d.mean()), float(stats.t.sf(t, d.size - 1))


def test_removing_every_tie_lowers_uptake_in_the_shipped_chain():
    path = pat.scenario_path("retail")
    assert load_scenario(path).goals.mean_alignment == 0.5
    drop, p = paired_drop(
        [load_scenario(path, seed=s) for s in SEEDS], [load_scenario(path, pat.NO_TIES, seed=s) for s in SEEDS]
    )
    assert drop >= LEAST_DROP and p < 0.05, (drop, p)


@pytest.fixture(scope="module")
def organisation(tmp_path_factory):
    """An organisation's email-like network of 1,000 people (clustered, heavy-tailed) and the same thinned to 3%."""
    folder = tmp_path_factory.mktemp("org")
    graph = nx.powerlaw_cluster_graph(1000, 16, 0.5, seed=11)
    edges = sorted(graph.edges())
    rng = np.random.default_rng(5)
    kept = [edges[i] for i in np.flatnonzero(rng.random(len(edges)) < 0.03)]
    files = {}
    for name, rows in (("all", edges), ("thin", kept)):
        files[name] = folder / f"{name}.csv"
        with files[name].open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["source", "target"])
            w.writerows(rows)
    return files


def test_thinning_a_real_network_to_a_few_per_cent_lowers_uptake(organisation):
    path = pat.scenario_path("retail")

    def on(name, seed):
        return load_scenario(path, {"network.kind": "edgelist", "network.path": str(organisation[name])}, seed=seed)

    drop, p = paired_drop([on("all", s) for s in SEEDS], [on("thin", s) for s in SEEDS])
    assert drop >= LEAST_DROP and p < 0.05, (drop, p)
