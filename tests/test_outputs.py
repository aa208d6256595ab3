"""Output folders: checked before the work, locked, marked as ecosim's, replaced whole, one line per failure."""

from __future__ import annotations

import errno
import json
import os
import socket

import pytest
from sweep_util import tiny_sweep

from ecosim.cli import main
from ecosim.outputs import LOCK, MARKER, OutputError, open_output, read_marker

GRID = """
parameters:
  goals.mean_alignment: [0.3, 0.9]
replicates: 1
seed: 42
"""


def put(path, text):
    """Write ``text`` to ``path``, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def tree(folder):
    """Every file under ``folder`` with its contents, for checking that nothing was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def sweep_file(tmp_path):
    return tiny_sweep(tmp_path / "sweepdef", GRID)


# ---- issue 14, defect 1: --force deletes only what ecosim wrote ------------------------------


def test_sweep_force_on_a_folder_with_a_manifest_ecosim_did_not_write_touches_nothing(sweep_file, tmp_path, capsys):
    v = tmp_path / "v"
    put(v / "manifest.json", "{}")
    put(v / "analysis" / "n.md", "notes")
    put(v / "runs" / "a.log", "log")
    put(v / "README", "keep")
    before = tree(v)
    assert main(["sweep", str(sweep_file), "--out", str(v), "--force", "--executor", "sequential", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not written by ecosim" in err and "Traceback" not in err and err.count("\n") == 1
    assert tree(v) == before


def test_force_refuses_a_folder_of_another_kind_untouched(sweep_file, tiny, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", str(tiny), "--out", str(run), "--quiet", "--no-figures"]) == 0
    before = tree(run)
    assert main(["sweep", str(sweep_file), "--out", str(run), "--force", "--executor", "sequential", "--quiet"]) == 2
    assert "holds a run written by ecosim, not a sweep" in capsys.readouterr().err
    assert tree(run) == before


def test_sweep_force_removes_the_sweep_files_and_keeps_the_users(sweep_file, tmp_path):
    out = tmp_path / "s"
    args = ["sweep", str(sweep_file), "--out", str(out), "--executor", "sequential", "--quiet"]
    assert main(args) == 0
    put(out / "runs" / "a.log", "log")
    put(out / "notes.md", "mine")
    parts = sorted(p.name for p in (out / "runs").glob("part-*.parquet"))
    assert parts
    assert main([*args, "--force"]) == 0
    assert (out / "runs" / "a.log").read_text() == "log" and (out / "notes.md").read_text() == "mine"
    assert sorted(p.name for p in (out / "runs").glob("part-*.parquet")) == parts  # written again from 1


def test_force_checks_every_listed_file_before_removing_any(tiny, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures"]) == 0
    outside = put(tmp_path / "precious.txt", "mine")
    for bad in ("../precious.txt", "/etc/hostname", "sub"):
        marker = read_marker(out)
        marker["files"] = [*marker["files"], bad]
        (out / MARKER).write_text(json.dumps(marker))
        put(out / "sub" / "x", "inside a listed folder")
        before = tree(out)
        assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures", "--force"]) == 2
        err = capsys.readouterr().err
        assert "will not remove anything" in err and repr(bad) in err or "not a file" in err
        assert tree(out) == before and outside.read_text() == "mine"
        marker["files"].remove(bad)
        (out / MARKER).write_text(json.dumps(marker))
    # a listed file under a link to another folder
    elsewhere = put(tmp_path / "elsewhere" / "x", "mine")
    (out / "link").symlink_to(elsewhere.parent, target_is_directory=True)
    marker = read_marker(out)
    marker["files"].append("link/x")
    (out / MARKER).write_text(json.dumps(marker))
    before = tree(out)
    assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures", "--force"]) == 2
    assert "outside the folder" in capsys.readouterr().err
    assert tree(out) == before and elsewhere.read_text() == "mine"


# ---- replacing ecosim's own results ----------------------------------------------------------


def test_replace_keeps_the_earlier_results_when_the_work_fails(tmp_path):
    out = tmp_path / "r"
    with open_output(out, "compare", replace=True) as folder:
        put(folder.dir / "a.txt", "first")
        put(folder.dir / "sub" / "b.txt", "first")
    assert read_marker(out)["files"] == ["a.txt", "sub/b.txt"]
    before = tree(out)
    with pytest.raises(RuntimeError), open_output(out, "compare", replace=True) as folder:
        put(folder.dir / "a.txt", "second")
        raise RuntimeError("the work failed")
    assert tree(out) == before and sorted(p.name for p in out.iterdir()) == [MARKER, "a.txt", "sub"]
    with open_output(out, "compare", replace=True) as folder:
        put(folder.dir / "c.txt", "third")
    assert sorted(tree(out)) == [MARKER, "c.txt"]  # a.txt and sub/ were the earlier results


def test_without_replace_or_force_results_of_the_same_kind_are_refused(tmp_path):
    out = tmp_path / "r"
    with open_output(out, "calibrate") as folder:
        put(folder.dir / "a.txt", "first")
    with pytest.raises(OutputError, match="already holds a calibrate written by ecosim"):
        with open_output(out, "calibrate"):
            pass
    assert (out / "a.txt").read_text() == "first"


def test_a_failed_command_leaves_no_folder_behind(tmp_path):
    out = tmp_path / "new" / "deeper"
    with pytest.raises(RuntimeError), open_output(out, "run", replace=True):
        raise RuntimeError("the work failed")
    assert not (tmp_path / "new").exists()


def test_alongside_writes_into_a_foreign_folder_without_claiming_it(tmp_path):
    docs = tmp_path / "docs"
    put(docs / "model.md", "the model")
    with open_output(docs, "validate", replace=True, alongside=True) as folder:
        put(folder.dir / "validation.md", "report")
        put(folder.dir / "img" / "v.png", "png")
    assert sorted(tree(docs)) == ["img/v.png", "model.md", "validation.md"]  # no marker, no lock left


# ---- locks -----------------------------------------------------------------------------------


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "r"
    with open_output(out, "run", replace=True):
        with pytest.raises(OutputError) as caught:
            with open_output(out, "run", replace=True):
                pass
        text = caught.value.message()
        assert f"process {os.getpid()} on host {socket.gethostname()}" in text and "\n" not in text
    assert not (out / LOCK).exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    out = tmp_path / "r"
    stale = {"pid": 999999999, "host": socket.gethostname(), "since": "2020-01-01T00:00:00+00:00", "command": "x"}
    put(out / LOCK, json.dumps(stale))
    with open_output(out, "run", replace=True) as folder:
        held = json.loads((out / LOCK).read_text())
        assert held["pid"] == os.getpid()
        put(folder.dir / "a.txt", "x")
    assert sorted(tree(out)) == [MARKER, "a.txt"]


# ---- bad paths and failing disks: one line, checked before the work ------------------------------


@pytest.mark.parametrize("command", ["run", "sweep", "analyze", "validate"])
def test_an_empty_out_is_refused(command, tiny, sweep_file, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = {"run": [str(tiny)], "sweep": [str(sweep_file)], "analyze": [str(tmp_path)], "validate": []}[command]
    assert main([command, *target, "--out", ""]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "folder path" in err and err.count("\n") == 1
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("where", ["/proc/ecosim-x", "file", "file/below", "x" * 5000])
def test_an_impossible_out_is_refused_before_the_work(where, tiny, tmp_path, capsys, monkeypatch):
    from ecosim.experiment.model import EcosystemModel

    def no_work(*args, **kwargs):
        raise AssertionError("the simulation ran before the folder was checked")

    monkeypatch.setattr(EcosystemModel, "__init__", no_work)
    put(tmp_path / "file", "a file")
    out = where if where.startswith("/") else str(tmp_path / where)
    assert main(["run", str(tiny), "--out", out, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and (out in err or len(out) > 300)
    assert len(err) < 600
    assert (tmp_path / "file").read_text() == "a file"


def test_permission_denied_is_one_line_and_exit_2(tiny, tmp_path, capsys, monkeypatch):
    import ecosim.outputs as outputs

    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith(LOCK):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "open", denied)
    assert main(["run", str(tiny), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Permission denied" in err and err.count("\n") == 1


def test_a_full_disk_is_one_line_exit_1_and_the_earlier_results_stay(tiny, tmp_path, capsys, monkeypatch):
    import pandas as pd

    out = tmp_path / "r"
    assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures"]) == 0
    before = tree(out)

    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    assert main(["run", str(tiny), "--out", str(out), "--quiet", "--no-figures", "--seed", "3"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "cannot write" in err and err.count("\n") == 1
    assert tree(out) == before and sorted(p.name for p in out.iterdir()) == sorted(before)


# ---- resume tells the truth about replicates ----------------------------------------------------


def test_resume_with_fewer_replicates_keeps_the_manifest_true(tmp_path):
    sweep = tiny_sweep(tmp_path / "d", GRID.replace("replicates: 1", "replicates: 3"))
    out = tmp_path / "s"
    args = ["sweep", str(sweep), "--out", str(out), "--executor", "sequential", "--quiet"]
    assert main(args) == 0
    assert main([*args, "--resume", "--replicates", "1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == {"planned": 6, "ok": 6, "failed": 0, "pending": 0} and manifest["replicates"] == 3


def test_resume_after_a_first_look_goes_on_to_the_files_replicates(tmp_path, capsys):
    sweep = tiny_sweep(tmp_path / "d", GRID.replace("replicates: 1", "replicates: 3"))
    out = tmp_path / "s"
    args = ["sweep", str(sweep), "--out", str(out), "--executor", "sequential"]
    assert main([*args, "--replicates", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    assert "this session: 4 runs" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == {"planned": 6, "ok": 6, "failed": 0, "pending": 0} and manifest["replicates"] == 3


# ---- analyze on what is not a sweep ---------------------------------------------------------------


def test_analyze_on_a_run_folder_is_one_line_and_creates_nothing(tiny, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", str(tiny), "--out", str(run), "--quiet", "--no-figures"]) == 0
    before = tree(run)
    assert main(["analyze", str(run)]) == 2
    err = capsys.readouterr().err
    assert "no sweep results here" in err and err.count("\n") == 1
    assert tree(run) == before and not (run / "analysis").exists()


def test_analyze_on_a_truncated_runs_table_is_one_line(sweep_file, tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sweep", str(sweep_file), "--out", str(out), "--executor", "sequential", "--quiet"]) == 0
    for part in (out / "runs").glob("part-*.parquet"):
        part.unlink()
    data = (out / "runs.parquet").read_bytes()
    (out / "runs.parquet").write_bytes(data[: len(data) // 2])
    assert main(["analyze", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot read the sweep's results" in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("img_dir", ["../outside", "/tmp/elsewhere", "img/../../x"])
def test_validate_keeps_its_figures_inside_the_output_folder(img_dir, tmp_path, capsys):
    assert main(["validate", "--quick", "--out", str(tmp_path / "v"), "--img-dir", img_dir]) == 2
    err = capsys.readouterr().err
    assert "--img-dir" in err and "inside the output folder" in err and err.count("\n") == 1
    assert not (tmp_path / "v").exists() and not (tmp_path / "outside").exists()


def test_a_full_disk_during_a_sweep_is_one_line_exit_1_and_resume_finishes_it(
    sweep_file, tmp_path, capsys, monkeypatch
):
    from ecosim.sweep.storage import SweepStore

    out = tmp_path / "s"
    args = ["sweep", str(sweep_file), "--out", str(out), "--executor", "sequential", "--quiet"]

    def full(self, number, runs, timeseries):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.folder / "runs"))

    with monkeypatch.context() as m:
        m.setattr(SweepStore, "write_part", full)
        assert main(args) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (out / LOCK).exists()
    assert main([*args, "--resume"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == {"planned": 2, "ok": 2, "failed": 0, "pending": 0}
