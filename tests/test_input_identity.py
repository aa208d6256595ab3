"""The files a scenario reads are part of its identity: hashed into the scenario, the manifests and resume."""

from __future__ import annotations

import json

from sweep_util import tiny_sweep, write

from ecosim.cli import main
from ecosim.io import file_sha256
from ecosim.scenario.loader import load_scenario, scenario_hash

RING = "source,target\n" + "".join(f"n{i},n{(i + 1) % 12}\n" for i in range(12))
STAR = "source,target\n" + "".join(f"n0,n{i}\n" for i in range(1, 12))


def test_replacing_the_edge_list_changes_the_scenario_hash_and_the_run_manifest(tmp_path):
    edges = write(tmp_path, "e.csv", RING)
    scenario = write(tmp_path, "s.yaml", "name: s\nweeks: 3\nnetwork: {kind: edgelist, path: e.csv}\n")
    before = scenario_hash(load_scenario(scenario))
    assert main(["run", str(scenario), "--out", str(tmp_path / "r"), "--quiet", "--no-figures"]) == 0
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["input_files"] == {str(edges): file_sha256(edges)} and manifest["scenario_sha256"] == before
    edges.write_text(STAR)
    assert scenario_hash(load_scenario(scenario)) != before


def test_resume_refuses_a_sweep_whose_edge_list_changed(tmp_path, capsys):
    edges = write(tmp_path, "e.csv", RING)
    sweep = tiny_sweep(
        tmp_path,
        """
        set: {network.kind: edgelist, network.path: e.csv}
        parameters:
          goals.mean_alignment: [0.4, 0.8]
        replicates: 2
        """,
    )
    out = tmp_path / "results"
    args = ["sweep", str(sweep), "--out", str(out), "--executor", "sequential", "--quiet"]
    assert main([*args, "--replicates", "1"]) == 0
    assert json.loads((out / "manifest.json").read_text())["input_files"] == {str(edges): file_sha256(edges)}
    edges.write_text(STAR)
    runs_before = (out / "runs.parquet").read_bytes()
    assert main([*args, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "the file changed since the sweep began" in err and str(edges) in err and err.count("\n") == 1
    assert (out / "runs.parquet").read_bytes() == runs_before
    edges.write_text(RING)  # the original back: the sweep resumes
    assert main([*args, "--resume"]) == 0
