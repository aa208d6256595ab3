"""report.html: one self-contained file per run, sweep analysis and validation, written from a template."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.sweep_util import tiny_sweep

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SMALL = """\
name: small
description: A chain of <small> & tiny shops.
weeks: 8
organisation: {stores: 4, staff_per_store: 6, regions: 2, head_office: 4}
facilitation: {facilitators: 3}
"""


def _external(html: str) -> list[str]:
    """Every address the page would fetch: src/href attributes and CSS url(...) that are not data: URIs."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html) + re.findall(r"url\(([^)]+)\)", html)
    return [r for r in refs if not r.strip("'\"").startswith("data:")]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    from ecosim.cli import main

    folder = tmp_path_factory.mktemp("report")
    scenario = folder / "small.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(folder / "out"), "--seed", "7", "--quiet"]) == 0
    return folder / "out"


def test_run_report_holds_summary_verdict_figures_levers_seed_and_versions(run_folder):
    import json

    from ecosim.core.metrics import verdict_words

    html = (run_folder / "report.html").read_text(encoding="utf-8")
    summary = json.loads((run_folder / "summary.json").read_text())
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert "report.html" in manifest["files"]
    # the four figures, embedded, and nothing fetched from anywhere
    assert html.count("data:image/png;base64,") == 4
    assert _external(html) == []
    # the verdict in the same words as the terminal, the summary's numbers, the levers in plain words
    assert verdict_words(summary["verdict"], summary["final_contributor_share"]).replace('"', "&#34;") in html
    assert f"{summary['final_active_share']:.1%}" in html
    assert "facilitators" in html and "facilitation.facilitators" in html and "3 people" in html
    assert "seed: 7" in html and f"mesa {manifest['versions']['mesa']}" in html
    # the template escapes what the scenario says
    assert "A chain of &lt;small&gt; &amp; tiny shops." in html and "<small>" not in html


def test_an_ensemble_report_gives_medians_intervals_and_the_verdicts(tmp_path):
    import json

    from ecosim.cli import main

    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--seeds", "4", "--executor", "sequential"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text())
    assert "report.html" in json.loads((out / "manifest.json").read_text())["files"]
    assert html.count("data:image/png;base64,") == 3 and _external(html) == []
    assert "90% of runs" in html and "4 runs (seeds 1 to 4)" in html
    assert f"{summary['ensemble']['final_active_share']['median']:.1%}" in html
    # without figures the report is still written, without pictures
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--seeds", "2", "--no-figures"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image" not in html and "What happened over the runs" in html


def test_analysis_report_names_levers_in_plain_words(tmp_path):
    from ecosim.cli import main

    sweep = tiny_sweep(
        tmp_path,
        """
        parameters:
          platform.friction: [0.5, 2.0]
          facilitation.facilitators: [0, 2]
        replicates: 1
        """,
    )
    out = tmp_path / "results"
    assert main(["sweep", str(sweep), "--out", str(out), "--quiet"]) == 0
    assert main(["analyze", str(out), "--quiet"]) == 0
    html = (out / "analysis" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and _external(html) == []
    assert "platform friction" in html and "4 finished runs analysed" in html


def test_validation_report(tmp_path):
    from ecosim.cli import main

    out = tmp_path / "v"
    assert main(["validate", "--quick", "--case", "granovetter", "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 1 and _external(html) == []
    assert "Granovetter" in html and "checks passed" in html and ">pass<" in html


def test_report_renders_offline_in_a_browser_without_console_errors(run_folder):
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("Playwright is not installed; .ci/run installs it in CI")
        pytest.skip('Playwright for Python is not installed (pip install -e ".[test]")')
    from ecosim.viz import browser

    if browser.chromium_path() is None:
        if IN_CI:
            pytest.fail("no Chromium; .ci/run installs it in CI")
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium, or set ECOSIM_CHROMIUM)")
    errors: list[str] = []
    requested: list[str] = []
    with browser.browser() as b:
        context = b.new_context(offline=True, viewport={"width": 1100, "height": 900})
        page = context.new_page()

        def route(r) -> None:
            url = r.request.url
            if url.startswith(("file://", "data:")):
                r.continue_()
            else:
                requested.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((run_folder / "report.html").as_uri())
        page.wait_for_load_state("load")
        assert page.get_by_test_id("verdict").is_visible()
        widths = page.eval_on_selector_all("figure img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert len(widths) == 4 and all(w > 300 for w in widths)
        assert page.title().startswith("ecosim: small")
        context.close()
    assert errors == [] and requested == []


def test_comparison_report_holds_the_tables_and_figures(tmp_path):
    from ecosim.cli import main

    a = tmp_path / "a.yaml"
    a.write_text(SMALL, encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text(SMALL.replace("name: small", "name: more").replace("facilitators: 3", "facilitators: 8"))
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--seeds", "2", "--out", str(out), "--quiet"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and _external(html) == []
    assert "ecosim: more against small" in html and "Outcomes" in html and "Verdicts" in html
    assert "more: facilitators" in html and "8 people" in html


PRICED = SMALL + "costs: {facilitator_hour: 40, event: 100, licence_per_learner_month: 4, training_hour: 34}\n"


def _cost_lines(text: str) -> dict[str, list[str]]:
    """The terminal's cost rows: label -> the numbers after it."""
    rows = {}
    for line in text.splitlines():
        for label in ("total cost", "cost per active learner-week"):
            if line.strip().startswith(label):
                rows[label] = line.strip()[len(label) :].replace(" to ", " ").split()
    return rows


def test_a_single_run_reports_its_costs_on_the_terminal_in_summary_json_and_the_report(tmp_path, capsys):
    import json

    from ecosim.api import simulate
    from ecosim.cli import main
    from ecosim.ensemble import run_costs

    scenario = tmp_path / "priced.yaml"
    scenario.write_text(PRICED, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--seed", "7", "--no-figures"]) == 0
    shown = _cost_lines(capsys.readouterr().out)
    summary = json.loads((out / "summary.json").read_text())
    result = simulate(scenario, seed=7)
    expected = run_costs(result.scenario.costs, result.columns)
    for key, value in expected.items():
        assert summary[key] == pytest.approx(value), key
    per_week = expected["total_cost"] / expected["active_learner_weeks"]
    assert summary["cost_per_active_learner_week"] == pytest.approx(per_week)
    assert shown == {
        "total cost": [f"{expected['total_cost']:,.0f}"],
        "cost per active learner-week": [f"{per_week:,.0f}"],
    }
    html = (out / "report.html").read_text(encoding="utf-8")
    for label, (value,) in shown.items():
        assert re.search(rf"<td>{label}</td>\s*<td>{re.escape(value)}</td>", html), label
    # a scenario that prices nothing reports no costs anywhere
    plain = tmp_path / "small.yaml"
    plain.write_text(SMALL, encoding="utf-8")
    assert main(["run", str(plain), "--out", str(tmp_path / "plain"), "--seed", "7", "--no-figures"]) == 0
    assert _cost_lines(capsys.readouterr().out) == {}
    assert "total_cost" not in json.loads((tmp_path / "plain" / "summary.json").read_text())


def test_an_ensemble_report_shows_the_costs_the_terminal_prints(tmp_path, capsys):
    from ecosim.cli import main

    scenario = tmp_path / "priced.yaml"
    scenario.write_text(PRICED, encoding="utf-8")
    out = tmp_path / "out"
    assert (
        main(["run", str(scenario), "--out", str(out), "--seeds", "3", "--executor", "sequential", "--no-figures"]) == 0
    )
    shown = _cost_lines(capsys.readouterr().out)
    assert set(shown) == {"total cost", "cost per active learner-week"}
    html = (out / "report.html").read_text(encoding="utf-8")
    for label, (median, low, high) in shown.items():
        cells = rf"<td>{label}</td>\s*<td>{re.escape(median)}</td>\s*<td>{re.escape(low)} to {re.escape(high)}</td>"
        assert re.search(cells, html), label
