"""costs: the value of an active learner-week and of a point of capability give each option's net value and
return in run and compare; every summary breaks the cost down, marking the prices a scenario inherits."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS, write

from ecosim.api import simulate
from ecosim.cli import main
from ecosim.ensemble import run_costs
from ecosim.scenario import load_scenario

SMALL = """\
name: small
weeks: 10
organisation: {stores: 4, staff_per_store: 8, regions: 1, head_office: 4}
costs: {facilitator_hour: 40, event: 100, licence_per_learner_month: 4, training_hour: 34,
        value_per_active_learner_week: 25, value_per_capability_point: 1000}
"""


def test_value_net_value_and_return_follow_from_the_weekly_table(tmp_path):
    result = simulate(write(tmp_path / "s.yaml", SMALL), seed=3)
    c = run_costs(result.scenario.costs, result.columns)
    cap = np.asarray(result.columns["org_capability"])
    assert c["capability_points_gained"] == pytest.approx(100 * (cap[-1] - cap[0]))
    assert c["value"] == pytest.approx(25 * c["active_learner_weeks"] + 1000 * c["capability_points_gained"])
    assert c["net_value"] == pytest.approx(c["value"] - c["total_cost"])
    assert c["return_on_cost"] == pytest.approx(c["net_value"] / c["total_cost"])
    free = load_scenario(write(tmp_path / "f.yaml", "name: f\nweeks: 3\ncosts: {value_per_active_learner_week: 5}\n"))
    r = simulate(free, seed=1)
    assert run_costs(r.scenario.costs, r.columns)["return_on_cost"] is None  # nothing spent: no return


def test_the_terminal_breaks_the_cost_down_and_marks_inherited_prices(tmp_path, capsys):
    child = write(tmp_path / "child.yaml", f"extends: {tmp_path / 's.yaml'}\nname: child\ncosts: {{event: 50}}\n")
    write(tmp_path / "s.yaml", SMALL)
    assert main(["run", str(child), "--seed", "2", "--out", str(tmp_path / "out"), "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "formal training (inherited from s.yaml)" in out
    assert "events " in out and "events (inherited" not in out  # set in the child itself
    for label in ("value bought", "net value (value - cost)", "return on cost (net value / cost)"):
        assert label in out
    html = (tmp_path / "out" / "report.html").read_text()
    assert "formal training (inherited from s.yaml)" in html and "net value (value - cost)" in html


def test_retail_shows_its_own_prices_unmarked_and_no_value_rows(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                str(SCENARIOS / "retail.yaml"),
                "--seed",
                "1",
                "--set",
                "weeks=3",
                "--out",
                str(tmp_path / "r"),
                "--no-figures",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "formal training" in out and "inherited" not in out and "net value" not in out


def test_compare_gives_each_options_net_value_and_return(tmp_path, capsys):
    base = write(
        tmp_path / "base.yaml", SMALL.replace("name: small", "name: none") + "facilitation: {facilitators: 0}\n"
    )
    two = write(tmp_path / "two.yaml", SMALL.replace("name: small", "name: two") + "facilitation: {facilitators: 2}\n")
    out = tmp_path / "cmp"
    assert main(["compare", str(base), str(two), "--seeds", "4", "--out", str(out), "--no-figures"]) == 0
    text = capsys.readouterr().out
    assert "| scenario | value | net value | extra value | extra net value | return on the extra cost |" in text
    row = next(line for line in text.splitlines() if line.startswith("| two | ") and "%" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3].startswith(("+", "-")) and cells[5].endswith("%")
    import pandas as pd

    costs = pd.read_csv(out / "costs.csv")
    r = costs.set_index("scenario").loc["two"]
    # costs.csv holds six significant figures (%.6g): each figure is within 5e-6 of its own size,
    # so a ratio of two of them is within about 1e-5 of the ratio the file rounds
    digits = 1e-5
    assert r["extra_net_value"] == pytest.approx(r["extra_value"] - r["extra_cost"], rel=digits)
    assert r["return_on_extra_cost"] == pytest.approx(r["extra_net_value"] / r["extra_cost"], rel=digits)


def test_compare_of_organisations_of_different_sizes_says_so(tmp_path, capsys):
    """Totals over everyone grow with the head count: ranking costs per extra learner-week across sizes needs a note."""
    small = write(tmp_path / "small.yaml", SMALL)
    big = write(
        tmp_path / "big.yaml",
        SMALL.replace("name: small", "name: big").replace("stores: 4,", "stores: 40,"),
    )
    same = write(
        tmp_path / "same.yaml", SMALL.replace("name: small", "name: same") + "facilitation: {facilitators: 2}\n"
    )
    out = tmp_path / "cmp"
    assert main(["compare", str(small), str(big), "--seeds", "2", "--out", str(out), "--no-figures"]) == 0
    captured = capsys.readouterr()
    (warning,) = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert "differ in size" in warning and "small 3" in warning and "big 3" in warning
    assert "**Note.** The organisations differ in size" in (out / "comparison.md").read_text()
    # the same organisation with other levers: no note
    out2 = tmp_path / "cmp2"
    assert main(["compare", str(small), str(same), "--seeds", "2", "--out", str(out2), "--no-figures"]) == 0
    assert "differ in size" not in capsys.readouterr().err
    assert "differ in size" not in (out2 / "comparison.md").read_text()
