"""The command line: run, schema, bad input and the results folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS, write

from ecosim.cli import main
from ecosim.core.metrics import SUMMARY_KEYS


def test_run_writes_the_results_folder(tiny, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(tiny), "--out", str(out), "--seed", "4"]) == 0
    text = capsys.readouterr().out
    assert "Verdict:" in text and "weekly active share at the end" in text
    names = {p.name for p in out.iterdir()}
    assert {
        "timeseries.parquet",
        "timeseries.csv",
        "summary.json",
        "manifest.json",
        "engagement.png",
        "knowledge.png",
        "content.png",
        "network.png",
    } <= names
    assert not [n for n in names if n.endswith(".tmp")]
    summary = json.loads((out / "summary.json").read_text())
    assert set(SUMMARY_KEYS) <= set(summary) and summary["seed"] == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and len(manifest["scenario_sha256"]) == 64
    assert manifest["scenario"]["organisation"]["stores"] == 3
    assert {"ecosim", "mesa", "numpy", "python"} <= set(manifest["versions"])
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts["week"]) == list(range(1, 7))
    csv = pd.read_csv(out / "timeseries.csv")
    assert len(csv) == len(ts) and (csv.columns == ts.columns).all()
    for png in ("engagement.png", "network.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_folder_is_named_after_the_scenario(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(tiny), "--quiet", "--no-figures"]) == 0
    assert (tmp_path / "results" / "tiny" / "summary.json").exists()


def test_refuses_a_folder_ecosim_did_not_write_even_with_force(tiny, tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    keep = write(out / "notes.txt", "mine")
    for force in ([], ["--force"]):
        assert main(["run", str(tiny), "--out", str(out), *force]) == 2
        err = capsys.readouterr().err
        assert "not empty" in err and "not written by ecosim" in err and "Traceback" not in err
        assert keep.read_text() == "mine" and sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_second_run_replaces_the_first_and_keeps_other_files(tiny, tmp_path):
    out = tmp_path / "res"
    assert main(["run", str(tiny), "--out", str(out), "--quiet"]) == 0
    keep = write(out / "notes.txt", "mine")
    assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures", "--seed", "9"]) == 0
    assert keep.read_text() == "mine" and json.loads((out / "summary.json").read_text())["seed"] == 9
    assert not list(out.glob("*.png"))  # the first run's figures were its own: replaced by nothing
    assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures", "--force"]) == 0
    assert keep.read_text() == "mine"


def test_replacing_another_kind_of_run_says_so_on_the_terminal(tiny, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(tiny), "--out", str(out), "--seeds", "3", "--no-figures"]) == 0
    assert "note:" not in capsys.readouterr().err
    assert main(["run", str(tiny), "--out", str(out), "--seed", "7", "--no-figures"]) == 0
    (note,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert note == f"note: {out}/ holds the results of a 3-seed ensemble (seeds 1-3), not of a single run; " + (
        "this run replaces it when it finishes"
    )
    assert main(["run", str(tiny), "--out", str(out), "--seed", "8", "--no-figures"]) == 0  # the same kind
    assert "note:" not in capsys.readouterr().err
    assert main(["run", str(tiny), "--out", str(out), "--seeds", "2", "--no-figures"]) == 0
    assert "holds the results of a single run (seed 8), not of an ensemble" in capsys.readouterr().err
    assert main(["run", str(tiny), "--out", str(out), "--seed", "9", "--no-figures", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--set", "goals.mean_alignmnt=0.3"], "did you mean 'goals.mean_alignment'?"),
        # the last part of a dotted path is the name people remember: it is matched first
        (["--set", "facilitators=6"], "did you mean 'facilitation.facilitators'?"),
        (["--set", "goals.alignment=0.5"], "did you mean 'goals.mean_alignment'?"),
        (["--set", "friction=2"], "did you mean 'platform.friction'?"),
        (["--set", "facilitaters=6"], "did you mean 'facilitation.facilitators'?"),
        (["--set", "turnover=0.3"], "did you mean 'turnover.annual_rate'?"),
        (["--set", "goals.mean_alignment=3"], "goals.mean_alignment"),
        (["--set", "nonsense"], "dotted.path=value"),
    ],
)
def test_bad_input_is_one_message_and_exit_2(tiny, tmp_path, capsys, args, expected):
    assert main(["run", str(tiny), "--out", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_bad_flag_values_exit_2(tiny, capsys):
    assert main(["run", str(tiny), "--seed", "minus"]) == 2
    assert "--seed" in capsys.readouterr().err
    assert main(["run", str(tiny), "--seed", "-1"]) == 2


def test_schema_command_prints_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert "goals" in schema["properties"] and "extends" in schema["properties"]


def test_same_seed_same_results_different_seed_different(tiny, tmp_path):
    runs = {}
    for label, seed in (("a", 7), ("b", 7), ("c", 8)):
        out = tmp_path / label
        assert main(["run", str(tiny), "--out", str(out), "--seed", str(seed), "--quiet", "--no-figures"]) == 0
        runs[label] = pd.read_parquet(out / "timeseries.parquet")
    assert (tmp_path / "a" / "timeseries.parquet").read_bytes() == (tmp_path / "b" / "timeseries.parquet").read_bytes()
    pd.testing.assert_frame_equal(runs["a"], runs["b"], check_exact=True)
    assert not runs["a"].equals(runs["c"])


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_real_subprocess_run_and_bad_scenario(tmp_path):
    """One end-to-end run as a user types it, and a bad file: exit 2, one message, no traceback."""
    out = tmp_path / "res"
    ok = subprocess.run(
        [sys.executable, "-m", "ecosim", "run", str(SCENARIOS / "retail.yaml"), "--out", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Verdict:" in ok.stdout and (out / "network.png").exists()
    bad = write(tmp_path / "bad.yaml", "extends: nowhere.yaml\nname: x\n")
    res = subprocess.run(
        [sys.executable, "-m", "ecosim", "run", str(bad)], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    assert "extends" in res.stderr and str(bad) in res.stderr


def test_bad_edge_list_is_a_clear_error(tmp_path, capsys):
    edges = write(tmp_path / "edges.csv", "source,target\na,b\nb,b\n")
    sc = write(tmp_path / "org.yaml", "name: org\nweeks: 2\nnetwork:\n  kind: edgelist\n  path: edges.csv\n")
    assert main(["run", str(sc), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"{edges}:3" in err and "itself" in err


@pytest.mark.parametrize(
    "argv",
    [["schema"], ["--help"], ["run", "{tiny}", "--no-figures", "--out", "{out}"], ["analyze", "{out}"]],
)
def test_a_closed_pipe_ends_quietly_as_in_unix_tools(argv, tiny, tmp_path):
    """`ecosim schema | head`: the reader is gone before anything is written; no traceback, exit 141 or 0."""
    import subprocess
    import sys

    argv = [a.format(tiny=tiny, out=tmp_path / "out") for a in argv]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecosim", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    proc.stdout.close()  # the reader goes away at once: every write fails with EPIPE
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert "Traceback" not in text and "BrokenPipeError" not in text and "Exception ignored" not in text
    if argv[0] == "analyze":  # not a sweep folder: its one-line error still reaches stderr
        assert proc.returncode == 2 and text.startswith("error:")
    else:  # 141 (128 + SIGPIPE) when a write failed; 0 when everything fit in the pipe's buffer
        assert proc.returncode in (0, 141), text


def test_validate_quick_help_states_a_measured_time(capsys):
    import re

    assert main(["validate", "--quick", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "a few minutes" not in text
    assert re.search(r"--quick .*about \d+(\.5)? minutes: \d+ s measured on two otherwise idle cores", text), text
