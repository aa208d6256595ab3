"""The browser visualisation in a real browser: `python -m ecosim viz scenarios/retail.yaml` as a
subprocess, driven by Playwright through Debian's Chromium, with no access beyond 127.0.0.1.

Outside CI the test skips, saying why, when Chromium, Playwright or the page's assets are missing;
in CI (CI=true) it fails instead, because .ci/run installs all three.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "retail.yaml"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; .ci/run installs it in CI")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def need_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable('Playwright for Python is not installed (pip install -e ".[test]")')
    from ecosim.viz import assets, browser

    if browser.chromium_path() is None:
        wanted = os.environ.get("ECOSIM_CHROMIUM", browser.CHROMIUM)
        _unavailable(f"no Chromium at {wanted} (apt-get install chromium, or set ECOSIM_CHROMIUM)")
    absent = assets.missing()
    if absent:
        _unavailable(
            "the page's assets are not prepared (python -m ecosim viz --prepare-assets): "
            + ", ".join(p.spec for p in absent)
        )


@pytest.fixture(scope="module")
def session(need_browser, tmp_path_factory):
    from ecosim.viz import browser

    with browser.viz_server(SCENARIO, cwd=ROOT) as server, browser.browser() as b:
        yield server, b


def test_page_loads_steps_resets_and_plays(session, tmp_path):
    from ecosim.viz import assets, browser

    server, b = session
    page, watch = browser.open_page(b, server.url)

    # the network view and the three plots are visible, their pictures loaded
    for testid in ("ecosim-network", "ecosim-plot-engagement", "ecosim-plot-knowledge", "ecosim-plot-content"):
        box = page.locator(f"[data-testid={testid}]")
        assert box.is_visible(), testid
        size = box.bounding_box()
        assert size is not None and size["width"] > 200 and size["height"] > 120, (testid, size)
    assert browser.week(page) == 0
    assert "Not started" in page.inner_text("[data-testid=ecosim-verdict]")
    assert page.locator("[data-testid=ecosim-network-note]").count() == 0  # 621 learners: all drawn

    # Step advances the week shown, and the verdict is given in words
    assert browser.step(page) == 1
    assert browser.step(page, 2) == 3
    verdict = page.inner_text("[data-testid=ecosim-verdict]")
    assert re.match(r"(Ghost town|Struggling|Thriving)", verdict), verdict

    # the alignment slider and Reset change the model's parameter
    shown = page.locator("[data-testid='ecosim-param-goals.mean_alignment']")
    assert shown.inner_text() == "0.5"
    slider = page.get_by_role("slider", name="Goal alignment")
    slider.focus()
    for _ in range(20):  # 20 steps of 0.01
        page.keyboard.press("ArrowLeft")
    assert slider.get_attribute("aria-valuenow") == "0.3"
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='ecosim-param-goals.mean_alignment']\").innerText == '0.3'"
    )
    assert browser.week(page) == 0
    browser.wait_for_pictures(page)
    assert browser.step(page) == 1  # the rebuilt model steps

    # Play runs weeks on its own; pause stops it
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=ecosim-week]').innerText) >= 4", timeout=60_000
    )
    page.get_by_role("button", name="❚❚", exact=True).click()
    page.wait_for_timeout(600)
    paused = browser.week(page)
    page.wait_for_timeout(900)
    assert browser.week(page) == paused

    browser.wait_for_pictures(page)
    shot = tmp_path / "viz.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    # nothing went wrong in the page, nothing left this machine, and every asset came from the
    # local store: exactly the packages --prepare-assets installs
    assert watch.errors == []
    assert watch.outside == []
    failed = {path: status for path, status in watch.cdn.items() if status >= 400}
    assert failed == {}
    requested = {re.match(r"((?:@[^/]+/)?[^/@]+@[^/]+)/", path).group(1) for path in watch.cdn}
    assert requested == {p.spec for p in assets.required_packages()}
    page.context.close()


def test_each_tab_has_its_own_model(session):
    from ecosim.viz import browser

    server, b = session
    first, watch1 = browser.open_page(b, server.url)
    second, watch2 = browser.open_page(b, server.url)
    assert browser.step(first, 3) == 3
    assert browser.week(second) == 0
    assert browser.step(second) == 1
    assert browser.week(first) == 3
    assert watch1.errors == [] and watch2.errors == []
    first.context.close()
    second.context.close()


def test_server_stops_by_its_id(need_browser):
    from ecosim.viz import browser

    with browser.viz_server(SCENARIO, cwd=ROOT) as server:
        pid = server.process.pid
        assert server.process.poll() is None
    assert server.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
