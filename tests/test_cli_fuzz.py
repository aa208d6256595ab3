"""Random command lines: every one is accepted or refused with one line and exit code 2, never a traceback.

Hypothesis builds command lines from ecosim's commands, their flags and hostile values (empty,
huge, negative, NUL, unknown, paths that are files or impossible). The work behind an accepted
command line (simulating, sweeping, validating, serving) is replaced by a marker, so that each
example costs milliseconds: what is tested is the checking of flags and inputs before the work.
Fetching the page's JavaScript, which `viz` does before serving when it is missing, is work too:
nothing is downloaded nor written into the environment (tests/conftest.py fails a test that does).
"""

from __future__ import annotations

import pytest
from conftest import SCENARIOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim.cli import main
from ecosim.experiment.model import EcosystemModel

OVERVIEW = SCENARIOS / "observed" / "contact_centre" / "slack" / "workspace_overview.csv"


class Reached(Exception):
    """The command line was accepted and the work would start."""


@pytest.fixture
def no_work(monkeypatch):
    import ecosim.sweep.analysis as analysis
    import ecosim.sweep.runner as runner
    import ecosim.validation as validation
    import ecosim.viz.assets as assets
    import ecosim.viz.server as server

    def reached(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(EcosystemModel, "__init__", reached)
    monkeypatch.setattr(runner, "run_sweep", reached)
    monkeypatch.setattr(analysis, "analyze", reached)
    monkeypatch.setattr(validation, "run_suite", reached)
    monkeypatch.setattr(server, "serve", reached)
    monkeypatch.setattr(assets, "prepare", reached)


@pytest.fixture
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    scenario = root / "s.yaml"
    scenario.write_text("name: s\nweeks: 2\norganisation: {stores: 2, head_office: 2}\n")
    sweep = root / "w.yaml"
    sweep.write_text("base: s.yaml\nparameters:\n  goals.mean_alignment: [0.2, 0.8]\nreplicates: 1\n")
    (root / "a_file").write_text("not a folder")
    return root


hostile = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "2", "65536", "99999999999999999999", "1e3", "nan", "x", "\x00", "-"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=10),
)
FLAGS = {
    "run": ["--out", "--seed", "--set", "--force", "--quiet", "--no-figures", "--workers"],
    "sweep": ["--out", "--executor", "--workers", "--scheduler", "--resume", "--force", "--replicates", "--part-runs"],
    "analyze": ["--out", "--metric", "--x", "--y", "--no-figures", "--quiet"],
    "validate": ["--quick", "--out", "--case", "--no-figures", "--img-dir"],
    "schema": ["--indent", "--markdown"],
    "viz": ["--host", "--port", "--check-assets"],
    "import": ["--out", "--hr", "--launch", "--until", "--verbs", "--key", "--force", "--quiet"],
}
SWITCHES = {"--force", "--quiet", "--no-figures", "--resume", "--quick", "--markdown", "--check-assets"}


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(sorted(FLAGS)))
    argv = [command]
    positional = {"run": "scenario", "sweep": "sweep", "analyze": "folder", "viz": "scenario"}.get(command)
    if command == "import":  # a format (or not), and files: an export, a scenario, hostile names
        argv.append(draw(st.sampled_from(["engage-usage", "engage-export", "slack", "xapi", "yammer"]) | hostile))
        for _ in range(draw(st.integers(0, 2))):
            argv.append(draw(st.sampled_from(["export", "scenario", "missing", "a_file", ""]) | hostile))
    if positional and draw(st.booleans()) or positional and draw(st.booleans()):
        argv.append(draw(st.sampled_from([positional, "missing", "a_file", ""]) | hostile))
    for flag in draw(st.lists(st.sampled_from(FLAGS[command] + ["--bogus"]), max_size=4)):
        argv.append(flag)
        if flag == "--set":
            key = draw(st.sampled_from(["goals.mean_alignment", "description", "network.path", "weeks", "nope", ""]))
            argv.append(key + "=" + draw(hostile | st.sampled_from(["[*a]", "&a [1]", "{", "1:30", "no"])))
        elif flag not in SWITCHES:
            value = draw(st.sampled_from(["out_dir", "a_file", "a_file/below", "/proc/ecosim-x"]) | hostile)
            argv.append(value)
    return argv


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=command_lines())
def test_random_command_lines_are_accepted_or_refused_in_one_line(argv, places, no_work, capsys, monkeypatch):
    monkeypatch.chdir(places)
    names = {"scenario": "s.yaml", "sweep": "w.yaml", "folder": str(places), "export": str(OVERVIEW)}
    argv = [names.get(a, a) for a in argv]
    try:
        code = main(argv)
    except Reached:
        capsys.readouterr()
        return
    captured = capsys.readouterr()
    if argv[-1:] == ["--help"]:
        return
    assert code in (0, 1, 2), argv
    if code == 2:
        err = captured.err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert not (places / "a_file").is_dir() and (places / "a_file").read_text() == "not a folder"


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["schema", "--indent", "100000000"], "--indent"),
        (["schema", "--indent", "-1"], "--indent"),
        (["sweep", "w.yaml", "--workers", "5000"], "--workers"),
        (["sweep", "w.yaml", "--part-runs", "1000000"], "--part-runs"),
        (["sweep", "w.yaml", "--replicates", "20000"], "--replicates"),
        (["run", "s.yaml", "--seed", "9" * 30], "--seed"),
        (["run", "s.yaml", "--out", ""], "--out"),
    ],
)
def test_numeric_flags_are_bounded(argv, flag, places, no_work, capsys, monkeypatch):
    monkeypatch.chdir(places)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert flag in err and err.count("\n") == 1


# ------------------------------------------------------------------------------------------------
# calibrate: its flags and observed files
# ------------------------------------------------------------------------------------------------

OBSERVED_FILES = {
    "good.csv": "week,active_share,posters,headcount\n1,0.2,3,40\n2,0.3,4,40\n",
    "empty.csv": "",
    "quote.csv": 'week,active_share\n1,"0.2\n',
    "na.csv": "week,active_share\n1,NA\n",
    "huge.csv": "week,active_share\n99999999999999999999999,0.2\n",
}
CALIBRATE_FLAGS = [
    "--observed",
    "--fit",
    "--config",
    "--population",
    "--generations",
    "--budget",
    "--particles",
    "--distance",
    "--draws",
    "--what-if",
    "--executor",
    "--workers",
    "--seed",
    "--set",
    "--out",
    "--resume",
    "--force",
    "--quiet",
    "--bogus",
]
FIT_VALUES = st.sampled_from(
    [
        "goals.mean_alignment",
        "platform.friction=0.1:4",
        "platform.friction=log:0.1:4",
        "platform.friction=log:0:4",
        "platform.friction=4:0.1",
        "facilitation.facilitators",
        "interventions.².week",
        "goals.mean_alignment=nan:1",
        "=",
    ]
)


@st.composite
def calibrate_lines(draw):
    argv = ["calibrate"]
    if draw(st.booleans()):
        argv.append(draw(st.sampled_from(["s.yaml", "missing", "a_file", ""]) | hostile))
    for flag in draw(st.lists(st.sampled_from(CALIBRATE_FLAGS), max_size=6)):
        argv.append(flag)
        if flag == "--observed":
            argv.append(draw(st.sampled_from(sorted(OBSERVED_FILES) + ["missing.csv", "a_file", "/proc/kmsg"])))
        elif flag == "--fit":
            argv.extend(draw(st.lists(FIT_VALUES | hostile, min_size=1, max_size=3)))
        elif flag in ("--set", "--what-if"):
            key = draw(
                st.sampled_from(["facilitation.facilitators", "goals.mean_alignment", "weeks", "interventions.00.week"])
            )
            argv.append(key + "=" + draw(hostile))
        elif flag == "--distance":
            argv.append(draw(st.sampled_from(["relative", "adaptive"]) | hostile))
        elif flag == "--executor":
            argv.append(draw(st.sampled_from(["sequential", "processes", "dask"]) | hostile))
        elif flag not in ("--resume", "--force", "--quiet"):
            argv.append(draw(st.sampled_from(["out_dir", "a_file", "s.yaml", "good.csv"]) | hostile))
    return argv


@pytest.fixture
def no_calibration(monkeypatch):
    import ecosim.calibrate.engine as engine

    def reached(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(engine, "calibrate", reached)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=calibrate_lines())
def test_random_calibrate_lines_are_accepted_or_refused_in_one_line(
    argv, places, no_work, no_calibration, capsys, monkeypatch
):
    monkeypatch.chdir(places)
    for name, text in OBSERVED_FILES.items():
        (places / name).write_text(text)
    try:
        code = main(argv)
    except Reached:
        capsys.readouterr()
        return
    captured = capsys.readouterr()
    if "--help" in argv:
        return
    assert code in (0, 2), (argv, captured.err)
    if code == 2:
        err = captured.err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert not (places / "history.db").exists()


CELLS = st.one_of(
    st.sampled_from(["", " ", "NA", "nan", "0", "1", "-1", "0.5", "1.5", "2", "1e400", "99999999999999999999999"]),
    st.sampled_from(['"', '""', '"1"', '"1', "1\x00", "１", "٣", "1_0", "inf"]),
    st.integers(min_value=-5, max_value=10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)
OBSERVED_COLUMNS = ["week", "active_users", "active_share", "posters", "contributor_share", "posts", "headcount"]


@settings(max_examples=400, deadline=None)
@given(
    header=st.lists(st.sampled_from([*OBSERVED_COLUMNS, "team", "Week", ""]), min_size=0, max_size=5),
    rows=st.lists(st.lists(CELLS, max_size=6), max_size=6),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_random_observed_files_are_read_or_refused_in_one_line(header, rows, line_end):
    from ecosim.calibrate.observed import parse_observed
    from ecosim.errors import InputError

    text = line_end.join(",".join(r) for r in [header, *rows]) + line_end
    try:
        obs = parse_observed(text, file="o.csv")
    except InputError as exc:
        message = exc.message()
        assert message.startswith("o.csv") and "\n" not in message, message
        return
    assert len(obs.weeks) >= 1 and (obs.weeks >= 1).all() and (obs.weeks <= 100_000).all()
    assert (obs.weeks[1:] > obs.weeks[:-1]).all()
    stats = obs.statistics(headcount=100)
    assert stats, "an accepted file gives at least one statistic"
    for weeks, values in stats.values():
        assert len(weeks) >= 1 and len(weeks) == len(values)
    try:  # counts above the scenario's learners are refused in one line, never a crash
        obs.check_shares(headcount=100)
    except InputError as exc:
        assert exc.message().startswith("o.csv") and "\n" not in exc.message(), exc.message()
