"""The benchmark's set-ups are what they say: sizes as asked, and a Mesa baseline that runs ecosim's rule."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from statistics import NormalDist

import numpy as np
import pytest
from conftest import ROOT

from ecosim.experiment.model import EcosystemModel
from ecosim.scenario import load_scenario


def bench():
    spec = importlib.util.spec_from_file_location("ecosim_bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("learners", [1_000, 10_000])
def test_scaled_retail_has_about_the_learners_asked_for(learners):
    """Store sizes are drawn, so one seed's head count varies (about 3% at 1,000 learners): the mean
    over 12 seeds is within four of its standard errors of the size asked for."""
    b = bench()
    counts = np.array(
        [
            EcosystemModel(
                load_scenario(ROOT / "scenarios" / "retail.yaml", {**b.scaled_retail(learners), "seed": seed})
            ).state.n
            for seed in range(1, 13)
        ]
    )
    standard_error = counts.std(ddof=1) / math.sqrt(len(counts))
    assert abs(counts.mean() - learners) < 4 * standard_error + 1


def test_the_passes_in_the_performance_docs_are_the_ones_the_floor_counts():
    """docs/performance.md's table of passes per mechanism says what benchmarks/run.py's floor counts."""
    topics = load_scenario(ROOT / "scenarios" / "retail.yaml").goals.topics
    counts = bench().passes(topics)
    text = (ROOT / "docs" / "performance.md").read_text()
    table = dict(re.findall(r"^\| (\w+) \| (\d+)\b", text, re.M))
    assert set(counts) <= set(table), "a mechanism's passes are missing from the docs' table"
    assert {name: int(table[name]) for name in counts} == {name: c.get("n", 0) for name, c in counts.items()}
    belief = re.search(r"^\| metrics \| \d+, and (\d+) over the belief matrix", text, re.M)
    assert belief and int(belief.group(1)) == sum(c.get("cells", 0) for c in counts.values())
    total = sum(c.get("n", 0) for c in counts.values())
    assert f"{total} learner-length passes" in text


def test_the_floor_and_agents_benchmarks_measure_what_they_say():
    import argparse

    b = bench()
    args = argparse.Namespace(learners=2_000, seed=1)
    floor = b.child_floor(args)
    counts = b.passes(load_scenario(ROOT / "scenarios" / "retail.yaml").goals.topics)
    assert floor["passes_n"] == sum(c.get("n", 0) for c in counts.values())
    assert floor["floor_ms"] > floor["spmv_ms"] > 0 and floor["tick_ms_median"] > 0
    agents = b.child_agents(args)
    assert abs(agents["learners"] - 2_000) < 100
    facilitators = load_scenario(ROOT / "scenarios" / "retail.yaml").facilitation.facilitators
    assert agents["agents"] == agents["learners"] + facilitators
    assert agents["leavers"] > 0 and agents["look_s"] > 0 and agents["tick_ms_with"] > 0


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
