"""``--precision``: seeds are added until the verdict shares (and differences) are known to within it."""

from __future__ import annotations

import json

import pytest
from conftest import write

from ecosim.cli import main
from ecosim.comparison import compare, known_to
from ecosim.ensemble import run_ensemble, run_to_precision
from ecosim.experiment.intervals import wilson_interval
from ecosim.scenario.loader import load_scenario

#: Near its tipping point, so that its seeds disagree and the verdict shares need many runs.
EDGE = """\
name: edge
weeks: 20
organisation: {stores: 3, staff_per_store: 8, head_office: 4}
goals: {mean_alignment: 0.5}
"""


def test_seeds_are_added_until_every_verdict_share_is_known(tmp_path):
    sc = load_scenario(write(tmp_path / "edge.yaml", EDGE))
    ens = run_to_precision(sc, 0.1, start=10)
    n = len(ens.seeds)
    assert n in (10, 20, 40, 80, 160, 320) and ens.seeds == [sc.seed + k for k in range(n)]
    assert ens.verdict_precision() <= 0.1
    if n > 10:  # one doubling fewer was not enough
        assert run_ensemble(sc, n // 2).verdict_precision() > 0.1
    # the same runs as an ensemble of as many seeds
    assert [s["verdict"] for s in ens.summaries] == [s["verdict"] for s in run_ensemble(sc, n).summaries]
    for v, (share, low, high) in ens.verdict_intervals().items():
        k = ens.verdicts[v]
        assert share == k / n and (low, high) == pytest.approx(wilson_interval(k, n, 0.95))


def test_run_with_precision_says_how_well_the_verdicts_are_known(tmp_path, capsys):
    path = write(tmp_path / "edge.yaml", EDGE)
    assert (
        main(["run", str(path), "--seeds", "10", "--precision", "0.15", "--no-figures", "--out", str(tmp_path / "o")])
        == 0
    )
    out = capsys.readouterr().out
    assert "Verdict shares known to ±" in out and "within the ±15 asked for" in out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())["ensemble"]
    widest = max((s["high"] - s["low"]) / 2 for s in summary["verdict_shares"].values())
    assert widest <= 0.15 and summary["verdict_share_level"] == 0.95


def test_compare_adds_seeds_until_the_difference_is_known_too(tmp_path):
    a = write(tmp_path / "a.yaml", EDGE)
    b = write(tmp_path / "b.yaml", EDGE.replace("name: edge", "name: more").replace("0.5}", "0.6}"))
    c = compare([a, b], seeds=10, precision=0.12)
    assert known_to(c.ensembles) <= 0.12
    assert c.ensembles[0].seeds == c.ensembles[1].seeds  # still paired


@pytest.mark.parametrize("bad", ["0", "-0.1", "0.9", "nan", "lots"])
def test_a_bad_precision_is_refused_in_one_line(tiny, tmp_path, capsys, bad):
    assert main(["run", str(tiny), "--precision", bad, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--precision" in err and "at most 0.5" in err, err
