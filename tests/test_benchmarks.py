"""The benchmark's set-ups are what they say: sizes as asked, and a Mesa baseline that runs ecosim's rule."""

from __future__ import annotations

import importlib.util
import math
import sys
from statistics import NormalDist

import numpy as np
import pytest
from conftest import ROOT

from ecosim.core.model import EcosystemModel
from ecosim.scenario import load_scenario


def bench():
    spec = importlib.util.spec_from_file_location("ecosim_bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("learners", [1_000, 10_000])
def test_scaled_retail_has_about_the_learners_asked_for(learners):
    b = bench()
    scenario = load_scenario(ROOT / "scenarios" / "retail.yaml", b.scaled_retail(learners))
    n = EcosystemModel(scenario).state.n
    assert abs(n - learners) < 0.05 * learners


def test_passes_counted_for_the_floor_add_up():
    counts = bench().passes(12)
    assert sum(c.get("n", 0) for c in counts.values()) == 2 + 11 + 6 + 23 + 4 + 14 + 6 + 2 + 7 + 2 + 6 + 1 + 9
    assert sum(c.get("cells", 0) for c in counts.values()) == 2


@pytest.mark.slow
def test_mesa_baseline_and_ecosim_give_the_same_bass_curve():
    """Per-agent Mesa and ecosim's bass rule on the same network: mean curves within sampling error."""
    import networkx as nx

    sys.path.insert(0, str(ROOT / "benchmarks" / "baselines"))
    from bass_mesa import BassModel

    b = bench()
    n, seeds, weeks = 2_000, 16, b.BASS_WEEKS
    eco, mesa = [], []
    for seed in range(1, seeds + 1):
        scenario = load_scenario(ROOT / "scenarios" / "validation" / "bass.yaml", b.bass_overrides(n), seed=seed)
        model = EcosystemModel(scenario)
        i, j = model.ties.base_edges()
        model.run()
        eco.append(model.timeseries_columns()["active_share"])
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
        baseline = BassModel(graph, p=scenario.engagement.bass.p, q=scenario.engagement.bass.q, rng=seed)
        for _ in range(weeks):
            baseline.step()
        mesa.append(baseline.adopted_share)
    eco, mesa = np.array(eco), np.array(mesa)
    se = np.sqrt(eco.var(0, ddof=1) / seeds + mesa.var(0, ddof=1) / seeds)
    z = np.abs(eco.mean(0) - mesa.mean(0)) / np.maximum(se, 1e-12)
    bound = NormalDist().inv_cdf(1 - 0.01 / (2 * weeks))  # 1% family-wise over the weeks
    assert z.max() <= bound, (z.max(), bound)
    # and the curve is a diffusion: it rises from near p to near 1
    assert mesa.mean(0)[0] == pytest.approx(1 - math.exp(-0.03), abs=0.02)
    assert mesa.mean(0)[-1] > 0.95
