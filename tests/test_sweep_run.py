"""Running sweeps: identical results on every executor, failed runs, resume after a real kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sweep_util import runs_frame, timeseries_frame, tiny_sweep, write

from ecosim.cli import main
from ecosim.core.metrics import SUMMARY_KEYS
from ecosim.sweep.runner import run_id, run_sweep
from ecosim.sweep.seeds import run_seed
from ecosim.sweep.spec import load_sweep
from ecosim.sweep.storage import read_runs

GRID = """
parameters:
  goals.mean_alignment: [0.3, 0.9]
  facilitation.facilitators: [0, 3]
replicates: 3
seed: 42
"""


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    return tiny_sweep(folder, GRID)


@pytest.fixture(scope="module")
def sequential_results(grid_sweep, tmp_path_factory):
    out = tmp_path_factory.mktemp("seq") / "results"
    report = run_sweep(load_sweep(grid_sweep), out, executor="sequential")
    assert report.ok == 12 and report.failed == 0
    return out


def test_runs_table_has_one_row_per_run_with_seeds_parameters_and_metrics(sequential_results):
    df = runs_frame(sequential_results)
    assert len(df) == 12 and df["run_id"].is_unique
    assert (df["status"] == "ok").all() and df["error"].isna().all()
    assert list(df.columns[:6]) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "goals.mean_alignment",
        "facilitation.facilitators",
    ]
    for row in df.itertuples():
        assert row.run_id == run_id(row.point, row.replicate)
        assert row.seed == run_seed(42, row.point, row.replicate)
    assert set(SUMMARY_KEYS) <= set(df.columns)
    assert set(df["verdict"]) <= {"ghost_town", "struggling", "thriving", "not_launched"}
    assert df["final_active_share"].between(0, 1).all()
    # every replicate of every point differs (each has its own seed), so the sweep measures the model's own spread
    replicates = df.groupby("point")["replicate"].nunique()
    assert (replicates == 3).all()
    assert (df.groupby("point")["mean_knowledge_final"].nunique() == replicates).all()
    # the weekly series: every run, every week, joined on run id
    ts = timeseries_frame(sequential_results)
    assert len(ts) == 12 * 10 and set(ts["run_id"]) == set(df["run_id"])
    assert ts.groupby("run_id")["week"].apply(list).map(lambda w: w == list(range(1, 11))).all()
    last = ts[ts["week"] == 10].set_index("run_id")["active_share"]
    assert np.allclose(last.loc[df["run_id"]].to_numpy(), df["final_active_share"].to_numpy())
    manifest = json.loads((sequential_results / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs"] == {"planned": 12, "ok": 12, "failed": 0, "pending": 0}
    assert manifest["root_seed"] == 42 and len(manifest["sweep_sha256"]) == 64
    assert manifest["base_scenario"]["organisation"]["stores"] == 4


def test_a_run_in_the_sweep_equals_the_same_run_made_alone(sequential_results, grid_sweep):
    import ecosim
    from ecosim.scenario.loader import load_scenario

    df = runs_frame(sequential_results)
    row = df[(df["point"] == 3) & (df["replicate"] == 2)].iloc[0]
    alone = ecosim.simulate(
        load_scenario(
            grid_sweep.parent / "base.yaml",
            {"goals.mean_alignment": 0.9, "facilitation.facilitators": 3},
            seed=int(row["seed"]),
        )
    )
    for key in ("final_active_share", "total_posts", "org_capability_final", "verdict"):
        assert alone.summary[key] == row[key]


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_every_executor_gives_identical_results(grid_sweep, sequential_results, tmp_path, executor):
    out = tmp_path / executor
    report = run_sweep(load_sweep(grid_sweep), out, executor=executor, workers=2)
    assert report.ok == 12
    assert report.executor["workers"] == 2
    if executor == "dask":
        assert report.executor["scheduler"].startswith("local cluster")
    pd.testing.assert_frame_equal(runs_frame(out), runs_frame(sequential_results))
    pd.testing.assert_frame_equal(timeseries_frame(out), timeseries_frame(sequential_results))


def test_resume_skips_finished_runs_and_more_replicates_add_runs(grid_sweep, sequential_results, tmp_path):
    out = tmp_path / "r"
    sweep = load_sweep(grid_sweep)
    run_sweep(sweep, out, executor="sequential")
    again = run_sweep(sweep, out, executor="sequential", resume=True)
    assert again.skipped == 12 and again.ok == 0
    more = run_sweep(sweep.with_replicates(5), out, executor="sequential", resume=True)
    assert more.skipped == 12 and more.ok == 8
    df = runs_frame(out)
    assert len(df) == 20 and df["run_id"].is_unique
    old = df[df["replicate"] < 3].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, runs_frame(sequential_results))
    # fewer replicates than are done: nothing to do, nothing pending, nothing removed
    fewer = run_sweep(sweep.with_replicates(2), out, executor="sequential", resume=True)
    assert fewer.ok == 0 and fewer.skipped == 8 and fewer.pending == 0
    assert len(runs_frame(out)) == 20


def test_cli_refuses_to_mix_sweeps_in_one_folder(grid_sweep, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["sweep", str(grid_sweep), "--out", str(out), "--executor", "sequential", "--quiet"]) == 0
    # without --resume the folder is not overwritten
    assert main(["sweep", str(grid_sweep), "--out", str(out), "--executor", "sequential", "--quiet"]) == 2
    assert "already holds a sweep" in capsys.readouterr().err
    # another sweep (different seed) cannot be resumed into it
    other = write(grid_sweep.parent, "other.yaml", "base: base.yaml\n" + GRID.replace("seed: 42", "seed: 43"))
    assert main(["sweep", str(other), "--out", str(out), "--resume", "--quiet"]) == 2
    assert "holds a different sweep" in capsys.readouterr().err
    # a folder with other files in it is not taken over
    stray = tmp_path / "stray"
    write(stray, "notes.txt", "mine")
    assert main(["sweep", str(grid_sweep), "--out", str(stray), "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (
        main(["sweep", str(grid_sweep), "--executor", "processes", "--scheduler", "tcp://127.0.0.1:8786", "--quiet"])
        == 2
    )
    assert "--scheduler needs the dask executor" in capsys.readouterr().err
    # --force starts again
    assert main(["sweep", str(other), "--out", str(out), "--force", "--executor", "sequential", "--quiet"]) == 0
    assert json.loads((out / "manifest.json").read_text())["root_seed"] == 43


# --------------------------------------------------------------------------------------------
# Failing runs
# --------------------------------------------------------------------------------------------


def test_runs_that_raise_are_recorded_as_failed_and_the_others_finish(tmp_path, capsys):
    # an edge list with a tie from a node to itself passes validation (the file is read when the
    # network is built) and makes every run on it raise
    ring = "source,target\n" + "".join(f"n{i},n{(i + 1) % 12}\n" for i in range(12))
    write(tmp_path, "good.csv", ring)
    write(tmp_path, "bad.csv", ring + "n3,n3\n")
    path = tiny_sweep(
        tmp_path,
        """
        set: {network.kind: edgelist}
        parameters:
          network.path: [good.csv, bad.csv]
          goals.mean_alignment: [0.4, 0.8]
        replicates: 2
    """,
    )
    out = tmp_path / "results"
    code = main(["sweep", str(path), "--out", str(out), "--executor", "processes", "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 1  # some runs failed
    assert "4 ok, 4 failed" in captured.out
    df = runs_frame(out)
    assert len(df) == 8
    bad = df[df["network.path"].str.endswith("bad.csv")]
    good = df[df["network.path"].str.endswith("good.csv")]
    assert (bad["status"] == "failed").all() and (good["status"] == "ok").all()
    assert bad["error"].str.contains("InputError").all()
    assert bad["error"].str.contains("a tie from a node to itself").all()
    assert bad["final_active_share"].isna().all() and good["final_active_share"].notna().all()
    assert set(timeseries_frame(out)["run_id"]) == set(good["run_id"])
    # resume tries the failed runs again (they fail again): still one row per run
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--executor", "sequential", "--quiet"]) == 1
    again = runs_frame(out)
    assert len(again) == 8 and again["run_id"].is_unique
    pd.testing.assert_frame_equal(again[again["status"] == "ok"].reset_index(drop=True), good.reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# A real kill, then --resume
# --------------------------------------------------------------------------------------------

KILL_BASE = """\
name: kill
weeks: 30
organisation: {stores: 10, head_office: 5}
"""

KILL_SWEEP = """
parameters:
  goals.mean_alignment: {range: {min: 0.2, max: 0.9, steps: 8}}
  facilitation.facilitators: [0, 2, 4]
replicates: 3
seed: 9
"""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_sweep_resumes_to_the_same_results_as_an_uninterrupted_one(tmp_path):
    path = tiny_sweep(tmp_path, KILL_SWEEP, base=KILL_BASE)
    planned = 8 * 3 * 3
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "ecosim",
        "sweep",
        str(path),
        "--out",
        str(out),
        "--executor",
        "processes",
        "--workers",
        "2",
        "--part-runs",
        "3",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pgid = proc.pid  # a new session: the sweep, its fork server and its workers share this group id
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            parts = list((out / "runs").glob("part-*.parquet")) if (out / "runs").is_dir() else []
            if len(parts) >= 2:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the sweep finished before it could be killed: " + proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        # the workers notice that the sweep process is gone and exit by themselves
        deadline = time.monotonic() + 20
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(pgid), "worker processes outlived the killed sweep"
    finally:
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        proc.stderr.close()

    partial = read_runs(out)
    assert 0 < partial.num_rows < planned
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"  # it never got to say otherwise

    report = run_sweep(load_sweep(path), out, executor="processes", workers=2, resume=True)
    assert report.skipped == partial.num_rows and report.skipped + report.ok == planned and report.failed == 0
    resumed = runs_frame(out)
    assert len(resumed) == planned and resumed["run_id"].is_unique and (resumed["status"] == "ok").all()

    reference = tmp_path / "reference"
    run_sweep(load_sweep(path), reference, executor="sequential")
    pd.testing.assert_frame_equal(resumed, runs_frame(reference))
    pd.testing.assert_frame_equal(timeseries_frame(out), timeseries_frame(reference))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not list(out.rglob(".*.tmp"))


def test_an_unfinished_timeseries_part_is_removed_on_resume(grid_sweep, sequential_results, tmp_path):
    """The sweep died after writing a timeseries part but before its runs part: no duplicates."""
    import shutil

    out = tmp_path / "r"
    shutil.copytree(sequential_results, out)
    ts_parts = sorted((out / "timeseries").glob("part-*.parquet"))
    orphan = out / "timeseries" / "part-000099.parquet"
    shutil.copy(ts_parts[0], orphan)  # as if a later part's runs were never recorded
    write(out / "runs", ".part-000100.parquet.x1.tmp", "half-written")
    run_sweep(load_sweep(grid_sweep), out, executor="sequential", resume=True)
    assert not orphan.exists() and not list(out.rglob(".*.tmp"))
    pd.testing.assert_frame_equal(timeseries_frame(out), timeseries_frame(sequential_results))


def test_dask_reaches_an_existing_cluster_by_its_address(grid_sweep, sequential_results, tmp_path, monkeypatch):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
        out = tmp_path / "cluster"
        assert main(["sweep", str(grid_sweep), "--out", str(out), "--executor", "dask", "--quiet"]) == 0
        # the cluster belongs to someone else: the sweep leaves it running
        assert len(cluster.scheduler_info["workers"]) == 1
    session = json.loads((out / "manifest.json").read_text())["sessions"][-1]
    assert session["executor"]["scheduler"] == address and session["executor"]["workers"] == 1
    pd.testing.assert_frame_equal(runs_frame(out), runs_frame(sequential_results))


def test_a_run_that_kills_its_worker_fails_alone_and_the_others_finish(grid_sweep, sequential_results, tmp_path):
    from sweep_util import KillsItsWorker

    from ecosim.sweep.design import build_design
    from ecosim.sweep.executors import ProcessExecutor
    from ecosim.sweep.runner import _tasks
    from ecosim.sweep.worker import failed

    sweep = load_sweep(grid_sweep)
    tasks = list(_tasks(sweep, build_design(sweep), set()))
    killer, unlucky = tasks[4].run_id, tasks[1].run_id
    function = KillsItsWorker(tmp_path, always={killer}, once={unlucky})
    outcomes = list(ProcessExecutor(2).map(function, tasks, on_error=failed))
    assert sorted(o.run_id for o in outcomes) == sorted(t.run_id for t in tasks)  # each run exactly once
    by_id = {o.run_id: o for o in outcomes}
    assert by_id[killer].status == "failed" and "worker process died" in by_id[killer].error
    expected = runs_frame(sequential_results).set_index("run_id")
    for rid, o in by_id.items():
        if rid != killer:
            assert o.status == "ok", (rid, o.error)
            assert o.metrics["final_active_share"] == expected.loc[rid, "final_active_share"]
    assert (tmp_path / f"died-{unlucky}").exists()  # it did die once, and was redone


def test_a_run_that_kills_its_worker_when_it_is_the_last_one_in_flight_ends(grid_sweep, tmp_path):
    """The killer alone in flight (here: the only task) is run alone and fails; the map never loops."""
    import threading

    from sweep_util import KillsItsWorker

    from ecosim.sweep.design import build_design
    from ecosim.sweep.executors import ProcessExecutor
    from ecosim.sweep.runner import _tasks
    from ecosim.sweep.worker import failed

    sweep = load_sweep(grid_sweep)
    task = next(iter(_tasks(sweep, build_design(sweep), set())))
    function = KillsItsWorker(tmp_path, always={task.run_id})
    box: list = []
    # a map that loops would never return: the test fails instead of hanging (the thread dies with pytest)
    mapping = threading.Thread(
        target=lambda: box.extend(ProcessExecutor(2).map(function, [task], on_error=failed)), daemon=True
    )
    mapping.start()
    mapping.join(120)
    assert not mapping.is_alive(), "the map keeps starting new workers for a task that kills them"
    outcomes = box
    assert [(o.run_id, o.status) for o in outcomes] == [(task.run_id, "failed")]
    assert "worker process died" in outcomes[0].error


def test_results_are_streamed_in_parts_of_at_most_part_runs(grid_sweep, sequential_results, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "parts"
    run_sweep(load_sweep(grid_sweep), out, executor="sequential", part_runs=5)
    runs_parts = sorted((out / "runs").glob("part-*.parquet"))
    ts_parts = sorted((out / "timeseries").glob("part-*.parquet"))
    assert (
        [p.name for p in runs_parts]
        == [p.name for p in ts_parts]
        == ["part-000001.parquet", "part-000002.parquet", "part-000003.parquet"]
    )
    assert [pq.read_metadata(p).num_rows for p in runs_parts] == [5, 5, 2]
    for runs_part, ts_part in zip(runs_parts, ts_parts):  # a part's series are its runs' series
        ids = set(pq.read_table(runs_part, columns=["run_id"]).column("run_id").to_pylist())
        assert set(pq.read_table(ts_part, columns=["run_id"]).column("run_id").to_pylist()) == ids
    pd.testing.assert_frame_equal(runs_frame(out), runs_frame(sequential_results))


def test_each_run_keeps_its_ok_row_else_its_latest(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ecosim.sweep.storage import SweepStore, one_row_per_run, part_name

    parts = {  # run id -> (status, error) in each part
        1: {1: ("failed", "a"), 2: ("ok", None), 3: ("failed", "c1")},
        2: {1: ("ok", None), 3: ("failed", "c2"), 4: ("failed", "d")},
        3: {2: ("failed", "b-late"), 3: ("failed", "c3")},
    }
    for number, rows in parts.items():
        table = pa.table(
            {"run_id": list(rows), "status": [s for s, _ in rows.values()], "error": [e for _, e in rows.values()]}
        )
        (tmp_path / "runs").mkdir(exist_ok=True)
        pq.write_table(table, tmp_path / "runs" / part_name(number))
    store = SweepStore(tmp_path)
    runs = one_row_per_run(store.runs_parts()).to_pydict()
    assert runs == {
        "run_id": [1, 2, 3, 4],
        "status": ["ok", "ok", "failed", "failed"],
        "error": [None, None, "c3", "d"],
    }
    assert store.finished().tolist() == [1, 2]
    schema = pa.schema([("run_id", pa.int64()), ("status", pa.string()), ("error", pa.string())])
    assert store.compact(schema) == {"ok": 2, "failed": 2}
    assert pq.read_table(tmp_path / "runs.parquet").to_pydict() == runs
