"""Inputs a hostile attack tried: each is accepted as meant, or refused in one line with exit code 2.

Every refusal names the file (or flag), the key, the bad value and what is allowed, prints no
traceback, ends within seconds and leaves nothing written.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, write

from ecosim.cli import main
from ecosim.core.interventions import ConditionError, parse_condition
from ecosim.core.metrics import COLUMNS
from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario

BASE = """\
name: s
weeks: 20
organisation: {stores: 2, staff_per_store: 8, head_office: 2}
"""
WITH_INTERVENTION = BASE + "interventions:\n  - {week: 3, set: {facilitation.facilitators: 2}}\n"


def refused(argv: list[str], capsys, *expected: str, out: Path | None = None) -> str:
    """Run the command line in process: exit code 2, one line holding each of ``expected``, nothing written."""
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("error: "), err
    for text in expected:
        assert text in err, err
    if out is not None:
        assert not out.exists() or not any(out.iterdir()), list(out.iterdir())
    return err


def in_a_process(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


# ------------------------------------------------------------------------------------------------
# Item 2: --fit repeats as --set and --what-if do
# ------------------------------------------------------------------------------------------------


class Reached(Exception):
    """The command line was accepted and the calibration would start."""


@pytest.fixture
def fit_seen(monkeypatch):
    """The parameters and priors the calibration would fit, instead of fitting them."""
    import ecosim.calibrate.engine as engine

    seen = {}

    def calibrate(scenario, observed, fit, **kwargs):
        seen.update(fit)
        raise Reached

    monkeypatch.setattr(engine, "calibrate", calibrate)
    return seen


def test_fit_given_twice_fits_both(tmp_path, fit_seen):
    scenario = write(tmp_path / "s.yaml", BASE)
    observed = write(tmp_path / "o.csv", "week,active_share\n1,0.2\n2,0.3\n")
    argv = ["calibrate", str(scenario), "--observed", str(observed), "--out", str(tmp_path / "o")]
    with pytest.raises(Reached):
        main([*argv, "--fit", "goals.mean_alignment", "--fit", "platform.friction=0.1:4"])
    assert set(fit_seen) == {"goals.mean_alignment", "platform.friction"}
    assert (fit_seen["platform.friction"].low, fit_seen["platform.friction"].high) == (0.1, 4.0)


def test_a_parameter_fitted_twice_is_refused(tmp_path, capsys, fit_seen):
    scenario = write(tmp_path / "s.yaml", BASE)
    observed = write(tmp_path / "o.csv", "week,active_share\n1,0.2\n2,0.3\n")
    out = tmp_path / "o"
    argv = ["calibrate", str(scenario), "--observed", str(observed), "--out", str(out)]
    refused(
        [*argv, "--fit", "platform.friction", "--fit", "platform.friction=0.1:4"],
        capsys,
        "--fit: platform.friction: the parameter is fitted twice",
        out=out,
    )
    assert not fit_seen


# ------------------------------------------------------------------------------------------------
# Items 3 and 9: one spelling per index; only the digits 0-9 index a list
# ------------------------------------------------------------------------------------------------


def test_an_index_written_with_leading_zeros_is_the_same_index(tmp_path):
    scenario = write(tmp_path / "s.yaml", WITH_INTERVENTION)
    assert load_scenario(scenario, ["interventions.00.week=7"]).interventions[0].week == 7
    assert load_scenario(scenario, {"interventions.000.week": 9}).interventions[0].week == 9


def test_two_spellings_of_one_index_are_refused_in_overrides(tmp_path):
    scenario = write(tmp_path / "s.yaml", WITH_INTERVENTION)
    with pytest.raises(InputError, match=r"interventions.00.week: names the same parameter as 'interventions.0.week'"):
        load_scenario(scenario, {"interventions.0.week": 2, "interventions.00.week": 9})


def test_two_spellings_of_one_index_are_refused_in_a_sweep(tmp_path, capsys):
    write(tmp_path / "s.yaml", WITH_INTERVENTION)
    sweep = write(
        tmp_path / "w.yaml",
        "base: s.yaml\nparameters:\n  interventions.0.week: [1, 5]\n  interventions.00.week: [2, 9]\nreplicates: 1\n",
    )
    out = tmp_path / "o"
    refused(
        ["sweep", str(sweep), "--out", str(out)],
        capsys,
        f"{sweep}:4:",
        "interventions.00.week: names the same parameter as 'interventions.0.week'",
        out=out,
    )


def test_a_sweep_records_the_one_spelling(tmp_path):
    from ecosim.sweep.spec import load_sweep

    write(tmp_path / "s.yaml", WITH_INTERVENTION)
    sweep = write(tmp_path / "w.yaml", "base: s.yaml\nparameters:\n  interventions.00.week: [2, 9]\nreplicates: 1\n")
    spec = load_sweep(sweep)
    assert [p.path for p in spec.parameters] == ["interventions.0.week"]


@pytest.mark.parametrize("index", ["²", "٣", "３", "①"])
@pytest.mark.parametrize("command", ["run", "compare", "calibrate", "sweep"])
def test_an_index_in_other_digits_is_refused_in_one_line(index, command, tmp_path, capsys):
    scenario = write(tmp_path / "s.yaml", WITH_INTERVENTION)
    observed = write(tmp_path / "o.csv", "week,active_share\n1,0.2\n")
    out = tmp_path / "o"
    override = f"interventions.{index}.week=3"
    if command == "sweep":
        sweep = write(tmp_path / "w.yaml", f"base: s.yaml\nset:\n  interventions.{index}.week: 3\nreplicates: 1\n")
        argv = ["sweep", str(sweep)]
    else:
        targets = {"run": [str(scenario)], "compare": [str(scenario), str(scenario)]}.get(command, [str(scenario)])
        argv = [command, *targets, "--set", override]
        if command == "calibrate":
            argv += ["--observed", str(observed), "--fit", "goals.mean_alignment"]
    refused([*argv, "--out", str(out)], capsys, "a list index must be written with the digits 0 to 9", out=out)


# ------------------------------------------------------------------------------------------------
# Item 4: interventions that could never apply; conditions on metrics without a value
# ------------------------------------------------------------------------------------------------


def test_an_intervention_after_the_last_week_is_refused(tmp_path, capsys):
    late = "interventions:\n  - {week: 50, set: {facilitation.facilitators: 2}}\n"
    scenario = write(tmp_path / "s.yaml", BASE + late)
    out = tmp_path / "o"
    refused(
        ["run", str(scenario), "--out", str(out)],
        capsys,
        f"{scenario}:5:",
        "interventions[0].week: week 50 is after the run's last week (20)",
        "(got 50)",
        "allowed: a week from 1 to 20",
        out=out,
    )
    assert load_scenario(scenario, ["weeks=50"]).interventions[0].week == 50  # the last week is fine


def test_a_condition_that_must_hold_longer_than_the_run_is_refused(tmp_path, capsys):
    when = "{when: active_share < 0.5, for_weeks: 1000, set: {facilitation.facilitators: 2}}"
    text = BASE + f"interventions:\n  - {when}\n"
    scenario = write(tmp_path / "s.yaml", text)
    out = tmp_path / "o"
    refused(
        ["run", str(scenario), "--out", str(out)],
        capsys,
        "interventions[0].for_weeks: the condition must hold 1000 weeks in a row and the run has 20",
        "allowed: for_weeks from 1 to 19",
        out=out,
    )
    assert load_scenario(scenario, ["interventions.0.for_weeks=19"]).interventions[0].for_weeks == 19


@pytest.mark.parametrize("op", ["!=", "<", "<=", ">", ">=", "=="])
def test_a_metric_without_a_value_satisfies_no_comparison(op):
    condition = parse_condition(f"top1_post_share {op} 0.3", list(COLUMNS))
    assert not condition.holds({"top1_post_share": math.nan})


def test_a_not_equal_condition_does_not_fire_before_anyone_posts(tmp_path):
    from ecosim.core.model import EcosystemModel

    text = BASE.replace("weeks: 20", "weeks: 6") + (
        "platform: {launch_week: 5}\n"
        "interventions:\n  - {when: top1_post_share != 0.3, once: true, set: {facilitation.facilitators: 3}}\n"
    )
    model = EcosystemModel(load_scenario(write(tmp_path / "s.yaml", text), seed=1))
    for _ in range(5):
        model.step()
    frame = model.timeseries()
    fired = [w for w, x in zip(frame["week"], frame["interventions"], strict=True) if x]
    before = frame[frame["week"] < 5]
    assert before["top1_post_share"].isna().all()  # nobody can post before the launch
    assert not [w for w in fired if w <= 5], fired


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("week >= 800%", "a percentage is compared with a share, and week is not one"),
        ("active_share < ٠.٥", "unexpected '٠.٥'"),
        ("active_share < ０.５", "unexpected '０.５'"),
        ("week >= ８", "unexpected '８'"),
    ],
)
def test_conditions_take_ascii_digits_and_percentages_of_shares_only(condition, expected):
    with pytest.raises(ConditionError, match=expected):
        parse_condition(condition, list(COLUMNS))
    assert parse_condition("active_share < 15%", list(COLUMNS)).groups[0][0].number == 0.15


# ------------------------------------------------------------------------------------------------
# Items 4 and 11: observed files that cannot be what they say, refused before anything is fitted
# ------------------------------------------------------------------------------------------------

BAD_OBSERVED = {
    "posters above the active share": (
        "week,active_share,posters,headcount\n1,0.1,30,60\n",
        ":2: posters: more contributors (0.5 of the headcount) than active learners (0.1",
    ),
    "posters above the active share, the scenario's headcount": (
        "week,active_share,posters\n1,0.1,30\n",
        ":2: posters: more contributors (0.698 of the headcount) than active learners (0.1",
    ),
    "contributor share above the active users": (
        "week,active_users,contributor_share,headcount\n1,6,0.5,60\n2,30,0.2,60\n",
        ":2: contributor_share: more contributors (0.5 of the headcount) than active learners (0.1",
    ),
    "more active users than the scenario's learners": (
        "week,active_users\n1,500\n",
        ":2: active_users: more active users than the scenario's 43 learners (got 500); allowed: at most 43",
    ),
    "an unterminated quote": ('week,active_share\n1,"0.2\n2,0.3\n', ":2: a quoted cell is never closed"),
    "a huge week": ("week,active_share\n99999999999999999999999,0.2\n", ":2: week: out of range"),
    "every column all NA": (
        "week,active_share,posts\n1,NA,NA\n2,NA,NA\n",
        ": every cell of active_share, posts is empty: nothing to compare with the model",
    ),
    "columns left out of short rows": (
        "week,posts,active_share\n1\n2\n",
        ": every cell of posts, active_share is empty: nothing to compare with the model",
    ),
}


@pytest.mark.parametrize("name", list(BAD_OBSERVED))
def test_an_impossible_observed_file_is_refused_before_the_fit(name, tmp_path, capsys, fit_seen):
    text, expected = BAD_OBSERVED[name]
    # 43 learners (store sizes are drawn)
    scenario = write(tmp_path / "s.yaml", BASE.replace("head_office: 2", "head_office: 24"))
    bad = write(tmp_path / "bad.csv", text)
    out = tmp_path / "o"
    argv = ["calibrate", str(scenario), "--observed", str(bad), "--fit", "goals.mean_alignment", "--out", str(out)]
    refused(argv, capsys, f"error: {bad}{expected}", out=out)
    assert not fit_seen
    assert not (out / "history.db").exists()


def test_a_quote_closed_on_a_later_line_is_one_cell():
    from ecosim.calibrate.observed import parse_observed

    obs = parse_observed('week,active_share,note\n1,0.2,"two\nlines"\n2,0.3,x\n', file="o.csv")
    assert obs.weeks.tolist() == [1, 2]


# ------------------------------------------------------------------------------------------------
# Item 12: --resume from a calibration history that cannot be continued
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A finished one-generation calibration: its folder, scenario and observed file."""
    root = tmp_path_factory.mktemp("calibrated")
    scenario = write(root / "s.yaml", BASE)
    observed = write(root / "o.csv", "week,active_share\n1,0.2\n2,0.3\n3,0.3\n")
    out = root / "cal"
    argv = ["calibrate", str(scenario), "--observed", str(observed), "--fit", "goals.mean_alignment"]
    argv += ["--particles", "10", "--generations", "1", "--draws", "10", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    return out, argv


def _truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


def _foreign(db: Path) -> None:
    import sqlite3

    db.unlink()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()


def _no_particles(db: Path) -> None:
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM particles")
    conn.close()


def _directory(db: Path) -> None:
    db.unlink()
    db.mkdir()


CORRUPT = {
    "truncated": (_truncate, "the calibration history is damaged"),
    "random bytes": (lambda db: db.write_bytes(bytes(range(256)) * 100), "is not an SQLite database"),
    "empty": (lambda db: db.write_bytes(b""), "the calibration history is empty"),
    "a foreign SQLite file": (_foreign, "not a calibration history: no table abc_smc"),
    "particles emptied": (_no_particles, "the calibration history has no particles in"),
    "a directory": (_directory, "the calibration history is not a file"),
    "a symlink to a system file": (
        lambda db: (db.unlink(), db.symlink_to("/etc/passwd")),
        "the calibration history is a symbolic link",
    ),
}


@pytest.mark.parametrize("name", list(CORRUPT))
def test_resume_from_a_corrupt_history_is_refused_and_the_file_left_alone(name, calibrated, tmp_path, capsys):
    import shutil

    folder, argv = calibrated
    out = tmp_path / "cal"
    shutil.copytree(folder, out, symlinks=True)
    db = out / "history.db"
    make, expected = CORRUPT[name]
    make(db)

    def state() -> dict[str, object]:
        files = {}
        for p in sorted(out.rglob("*")):
            if p.is_symlink():
                files[str(p)] = ("link", str(p.readlink()))
            elif p.is_file():
                files[str(p)] = (p.stat().st_mtime_ns, p.read_bytes())
            else:
                files[str(p)] = "folder"
        return files

    before, passwd = state(), Path("/etc/passwd").read_bytes()
    resumed = [*argv[: argv.index("--generations")], "--generations", "2", "--draws", "10"]
    resumed += ["--out", str(out), "--resume", "--quiet"]
    started = time.monotonic()
    refused(resumed, capsys, f"error: {db}: cannot resume: ", expected, "allowed: --force to start afresh")
    assert time.monotonic() - started < 10
    assert state() == before
    assert Path("/etc/passwd").read_bytes() == passwd


# ------------------------------------------------------------------------------------------------
# Item 10 and the messages about paths: only regular files are read, bounded, never echoed
# ------------------------------------------------------------------------------------------------


def _network_paths(tmp_path: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    os.mkfifo(tmp_path / "fifo")
    return {
        "a loop of symbolic links": (str(tmp_path / "loop1"), "the network file path is a loop of symbolic links"),
        "a NUL character": ('"el\\0.csv"', "the network file path holds a NUL character"),
        "/proc/kmsg": ("/proc/kmsg", "the network file is empty (or a system file)"),
        "/proc/self/environ": ("/proc/self/environ", "the network file is empty (or a system file)"),
        "a device": ("/dev/zero", "the network file path is a device, pipe or socket, not a file"),
        "a named pipe": (str(tmp_path / "fifo"), "the network file path is a device, pipe or socket, not a file"),
        "a folder": (str(tmp_path), "the network file path is a folder, not a file"),
        "5,000 characters": ("a" * 5000, "the network file path is too long"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "a loop of symbolic links",
        "a NUL character",
        "/proc/kmsg",
        "/proc/self/environ",
        "a device",
        "a named pipe",
        "a folder",
        "5,000 characters",
    ],
)
@pytest.mark.parametrize("key", ["path", "nodes_path"])
def test_a_network_path_that_is_not_a_regular_file_is_refused_at_once(name, key, tmp_path):
    path, expected = _network_paths(tmp_path)[name]
    if path.startswith("/proc/") and not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    edges = write(tmp_path / "e.csv", "source,target\na,b\nb,c\n")
    where = {"path": path} if key == "path" else {"path": str(edges), "nodes_path": path}
    fields = ", ".join(f"{k}: {v}" for k, v in where.items())
    scenario = write(tmp_path / "s.yaml", f"name: s\nweeks: 2\nnetwork: {{kind: edgelist, {fields}}}\n")
    out = tmp_path / "o"
    started = time.monotonic()
    done = in_a_process(["run", str(scenario), "--out", str(out), "--seeds", "1", "--no-figures"], timeout=30)
    assert time.monotonic() - started < 10
    err = done.stderr.strip()
    assert done.returncode == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    if key == "nodes_path":
        expected = expected.replace("network file", "nodes file")
    assert err.startswith(f"error: {scenario}:3:") and f"network.{key}: {expected}" in err, err
    assert "cannot write" not in err and "SHELL=" not in err and "PATH=" not in err, err
    assert not out.exists()


def test_a_file_that_is_not_a_csv_header_is_not_shown(tmp_path, capsys):
    secret = write(tmp_path / "secret.txt", "password=hunter2:and:more\nline two\n")
    scenario = write(tmp_path / "s.yaml", f"name: s\nweeks: 2\nnetwork: {{kind: edgelist, path: {secret}}}\n")
    err = refused(["run", str(scenario), "--out", str(tmp_path / "o")], capsys, "the header lacks column(s)")
    assert "hunter2" not in err


# ------------------------------------------------------------------------------------------------
# Item 14: the reader of the output goes away while the figures are drawn
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seeds", ["1", "3"])
def test_a_closed_output_pipe_while_drawing_ends_quietly(seeds, tmp_path):
    scenario = write(tmp_path / "s.yaml", BASE)
    argv = [sys.executable, "-m", "ecosim", "run", str(scenario), "--seeds", seeds, "--out", str(tmp_path / "o")]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()  # the first line comes before the figures
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err.decode()
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()


def test_the_drawing_process_does_not_answer_a_parent_that_has_gone():
    script = (
        "import os\n"
        "from ecosim.plotting.process import DrawingProcess\n"
        "d = DrawingProcess(preload=())\n"
        "d.submit(os.getpid)\n"
        "d._results.close()\n"  # the parent stops listening, as one that has gone
        "d._process.join(10)\n"
        "print(d._process.exitcode)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "0", done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_a_column_empty_in_every_week_is_not_compared_and_says_so():
    from ecosim.calibrate.observed import parse_observed

    obs = parse_observed("week,active_share,posts,headcount\n1,NA,3,10\n2,NA,4,10\n", file="o.csv")
    assert "active_share" not in obs.statistics()
    assert any("active_share is empty in every week" in n for n in obs.notes)


def test_a_metric_without_a_value_is_null_in_summary_json(tmp_path):
    """Nobody posts: the posting metrics have no value, and summary.json says null (bare NaN is not JSON)."""
    import json

    sc = write(tmp_path / "quiet.yaml", BASE + "engagement: {ecosystem: {post_intercept: -20}}\n")
    assert main(["run", str(sc), "--seeds", "2", "--executor", "sequential", "--out", str(tmp_path / "o")]) == 0
    text = (tmp_path / "o" / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert " null" in text


def test_file_names_holding_html_are_escaped_in_comparison_md(tmp_path):
    a = write(tmp_path / "<img src=x onerror=alert(1)>.yaml", BASE)
    b = write(tmp_path / "b|c.yaml", BASE)
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--seeds", "2", "--executor", "sequential", "--out", str(out)]) == 0
    md = (out / "comparison.md").read_text()
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "b\\|c" in md


# ------------------------------------------------------------------------------------------------
# Item 13: more facilitators than learners, in the scenario or set by an intervention
# ------------------------------------------------------------------------------------------------


def test_more_facilitators_than_learners_are_refused_where_they_are_asked_for(tmp_path, capsys):
    from ecosim.scenario.limits import estimate

    learners = estimate(load_scenario(write(tmp_path / "b.yaml", BASE))).learners
    many = "interventions:\n  - {week: 3, set: {facilitation.facilitators: 100000}}\n"
    scenario = write(tmp_path / "s.yaml", BASE + many)
    out = tmp_path / "o"
    started = time.perf_counter()
    refused(
        ["run", str(scenario), "--out", str(out)],
        capsys,
        f"{scenario}:5:",
        "interventions[0].set.facilitation.facilitators: 100,000 facilitators for about",
        "more facilitators than learners (got 100000)",
        f"allowed: at most one facilitator per learner ({learners} here)",
        out=out,
    )
    assert time.perf_counter() - started < 10
    plain = write(tmp_path / "p.yaml", BASE)
    refused(
        ["run", str(plain), "--set", f"facilitation.facilitators={learners + 1}", "--out", str(out)],
        capsys,
        "--set: facilitation.facilitators:",
        f"(got {learners + 1})",
        out=out,
    )
    # one per learner is allowed, and so is a scenario whose intervention stays within them
    assert load_scenario(plain, [f"facilitation.facilitators={learners}"]).facilitation.facilitators == learners
    assert load_scenario(write(tmp_path / "w.yaml", WITH_INTERVENTION)).interventions[0].set
