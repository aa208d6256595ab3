"""Two ecosim commands writing one folder at once: exactly one proceeds, the other exits 2, the folder stays whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
from conftest import ROOT, SCENARIOS
from sweep_util import tiny_sweep

from ecosim.outputs import MARKER


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _both(args_a, args_b, timeout=600):
    """Start two commands at the same moment; returns their (exit code, stderr)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ecosim", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for args in (args_a, args_b)
    ]
    out = []
    for p in procs:
        _, err = p.communicate(timeout=timeout)
        out.append((p.returncode, err))
    return out


def _one_proceeded(results):
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "another ecosim command is writing this folder" in loser and "locked by process" in loser
    assert loser.count("\n") == 1 and "Traceback" not in loser


def test_two_runs_on_one_folder(tmp_path):
    out = tmp_path / "r"
    # long enough (a few seconds) that the second starts while the first holds the folder
    common = ["run", str(SCENARIOS / "retail.yaml"), "--out", str(out), "--no-figures", "--quiet", "--set", "weeks=260"]
    results = _both([*common, "--seed", "1"], [*common, "--seed", "2"])
    _one_proceeded(results)
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert summary["seed"] == manifest["seed"] and len(ts) == 260
    assert summary["final_active_share"] == ts["active_share"].iloc[-1]
    marker = json.loads((out / MARKER).read_text())
    assert sorted(marker["files"]) == sorted(p.name for p in out.iterdir() if p.name != MARKER)


def test_two_sweep_resumes_on_one_folder(tmp_path):
    sweep = tiny_sweep(
        tmp_path / "def",
        """
        parameters:
          goals.mean_alignment: {range: {min: 0, max: 1, steps: 6}}
        replicates: 8
        seed: 5
        timeseries: [active_share]
        """,
        base="name: tiny\nweeks: 52\norganisation: {stores: 20}\n",
    )
    out = tmp_path / "s"
    common = ["sweep", str(sweep), "--out", str(out), "--resume", "--executor", "sequential", "--quiet"]
    _one_proceeded(_both(common, common))
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 48 and runs["run_id"].is_unique and (runs["status"] == "ok").all()
    from ecosim.sweep.storage import read_timeseries

    ts = read_timeseries(out).to_pandas()
    assert len(ts) == 48 * 52 and not ts.duplicated(["run_id", "week"]).any()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == {"planned": 48, "ok": 48, "failed": 0, "pending": 0}
