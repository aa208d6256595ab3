"""A results folder is replaced whole: a command killed at any step of the replace leaves it wholly old or new.

Each test kills a real process (SIGKILL) at the k-th file-system step of the replace, for every k
until the replace completes, and checks the folder after the kill and after the next command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from ecosim.outputs import LOCK, MARKER, SIBLING, STAGING, can_exchange, open_output, read_marker

OLD = {"a.txt": "old", "sub/b.txt": "old", "only_old.txt": "old"}
NEW = {"a.txt": "new", "sub/b.txt": "new", "only_new/c.txt": "new"}
YOURS = {"notes.md": "mine", "sub/mine.txt": "mine", "deep/er/x.txt": "mine"}

#: Writes ``version``'s files through open_output and is killed at the ``kill_at``-th step of the replace.
DRIVER = textwrap.dedent(
    """
    import json, os, signal, sys
    import ecosim.outputs as outputs
    from ecosim.outputs import open_output

    out, version, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    files = json.loads(sys.argv[4])
    steps = [0, False]

    def counted(fn):
        def step(*args, **kwargs):
            if steps[1]:
                steps[0] += 1
                if steps[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return step

    for name in ("link", "rename", "replace", "unlink", "rmdir", "mkdir", "chmod", "ftruncate", "close"):
        setattr(os, name, counted(getattr(os, name)))
    outputs.exchange = counted(outputs.exchange)
    with open_output(out, "run", replace=True) as folder:
        for name, text in files.items():
            path = folder.dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        steps[1] = True  # from here on: the replace
    print("steps", steps[0])
    """
)


def _env(exchange: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("ECOSIM_NO_EXCHANGE", None)
    if not exchange:
        env["ECOSIM_NO_EXCHANGE"] = "1"
    return env


def _drive(out, version: str, kill_at: int, exchange: bool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), version, str(kill_at), json.dumps(OLD if version == "old" else NEW)],
        env=_env(exchange),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _contents(folder) -> dict[str, str]:
    """The folder's files and their text, ecosim's lock and marker left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name not in (LOCK, MARKER)
    }


def _results(folder) -> dict[str, str]:
    return {k: v for k, v in _contents(folder).items() if k not in YOURS}


def _leftovers(folder) -> list[str]:
    beside = [p.name for p in folder.parent.iterdir() if SIBLING in p.name]
    inside = [p.name for p in folder.iterdir() if p.name.startswith(STAGING) or p.name == LOCK]
    return beside + inside


def _prepare(tmp_path, exchange: bool):
    out = tmp_path / "results" / "r"
    done = _drive(out, "old", 0, exchange)
    assert done.returncode == 0, done.stderr
    for name, text in YOURS.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    (out / "empty").mkdir()
    (out / "link").symlink_to("notes.md")
    return out


@pytest.mark.parametrize("exchange", [True, False], ids=["exchanged", "file-by-file"])
def test_a_kill_at_every_step_of_the_replace_leaves_the_folder_wholly_old_or_wholly_new(tmp_path, exchange):
    if exchange and not can_exchange(tmp_path):
        pytest.skip("this file system cannot exchange two folders")
    base = _prepare(tmp_path / "base", exchange)
    seen = set()
    k = 1
    while True:
        work = tmp_path / f"k{k}"
        subprocess.run(["cp", "-a", str(base.parent), str(work)], check=True)
        out = work / "r"
        result = _drive(out, "new", k, exchange)
        if result.returncode == 0:
            break
        assert result.returncode == -signal.SIGKILL, result.stderr
        now = _results(out)
        if exchange:  # never a mix, even before the next command
            assert now in (OLD, NEW), (k, now)
            assert read_marker(out)["files"] == sorted(now), k
        # the next command on the folder (here one whose work fails) first clears what was left
        with pytest.raises(RuntimeError), open_output(out, "run", replace=True):
            raise RuntimeError("the work failed")
        now = _results(out)
        assert now in (OLD, NEW), (k, now)
        assert sorted(read_marker(out)["files"]) == sorted(now), k
        assert "replacing" not in read_marker(out)
        assert _leftovers(out) == [], k
        assert {k: v for k, v in _contents(out).items() if k in YOURS} == YOURS
        assert (out / "empty").is_dir() and os.readlink(out / "link") == "notes.md"
        seen.add("new" if now == NEW else "old")
        k += 1
    assert k > 5, "the replace should take several steps"
    assert seen == {"old", "new"}, seen  # kills both before and after the switch
    assert _results(out) == NEW and _leftovers(out) == []
    assert {k: v for k, v in _contents(out).items() if k in YOURS} == YOURS


def test_a_reader_sees_the_old_results_or_the_new_never_a_mix(tmp_path):
    """The folder's files change in one step: a reader looking while the replace runs sees one version."""
    if not can_exchange(tmp_path):
        pytest.skip("this file system cannot exchange two folders")
    out = tmp_path / "r"
    with open_output(out, "run", replace=True) as folder:
        for name, text in OLD.items():
            (folder.dir / name).parent.mkdir(parents=True, exist_ok=True)
            (folder.dir / name).write_text(text)
    inode = os.stat(out).st_ino
    with open_output(out, "run", replace=True) as folder:
        for name, text in NEW.items():
            (folder.dir / name).parent.mkdir(parents=True, exist_ok=True)
            (folder.dir / name).write_text(text)
        assert _results(out) == OLD  # nothing in place before the block ends
    assert _results(out) == NEW and os.stat(out).st_ino != inode  # a new folder, put in place at once


def test_a_run_killed_while_it_writes_its_results_leaves_the_earlier_run_whole(tiny, tmp_path):
    """The issue's case: a second run killed once its manifest.json is written; the folder is one run, not two."""
    out = tmp_path / "r"
    first = [sys.executable, "-m", "ecosim", "run", str(tiny), "--out", str(out), "--quiet", "--no-figures"]
    env = _env(True)
    done = subprocess.run([*first, "--seeds", "2", "--set", "goals.mean_alignment=0.2"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    killer = textwrap.dedent(
        """
        import os, signal, sys
        real = os.replace
        def replace(src, dst, *a, **k):
            real(src, dst, *a, **k)
            # once manifest.json is in place: moved into the folder, or written where the folder is staged
            if str(dst).endswith("manifest.json") and not os.path.basename(os.path.dirname(dst)).startswith(
                ".ecosim-staging-"
            ):
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace
        from ecosim.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    second = ["run", str(tiny), "--out", str(out), "--quiet", "--no-figures", "--executor", "sequential"]
    killed = subprocess.run(
        [sys.executable, "-c", killer, *second, "--seeds", "4", "--set", "goals.mean_alignment=0.8"],
        env=env,
        capture_output=True,
    )
    assert killed.returncode == -signal.SIGKILL
    manifest = json.loads((out / "manifest.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert manifest["seeds"] == summary["ensemble"]["seeds"] == [1, 2]
    assert "0.2" in json.dumps(manifest["scenario"]["goals"])
    assert (out / "runs.csv").read_text().count("\n") == 3  # a header and two runs
    again = subprocess.run([*first, "--seeds", "3"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "summary.json").read_text())["ensemble"]["seeds"] == [1, 2, 3]
    assert _leftovers(out) == []
