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
def chromium(need_browser):
    """One browser for the module: Playwright's sync API runs one driver per thread at a time."""
    from ecosim.viz import browser

    with browser.browser() as b:
        yield b


@pytest.fixture(scope="module")
def session(chromium):
    from ecosim.viz import browser

    with browser.viz_server(SCENARIO, cwd=ROOT) as server:
        yield server, chromium


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

    # Mesa's controls in ecosim's words: the week of the run, no thread or render-interval switches
    sidebar = page.inner_text(".v-navigation-drawer")
    assert "Week 0 of 52" in page.inner_text("[data-testid=ecosim-sidebar-week]")
    for mesa_words in ("Use Threads", "Render Interval", "Time:"):
        assert mesa_words not in page.inner_text("body"), mesa_words
    # every slider shows its value, unit and range without being touched
    assert "0.5 score (0 to 1)" in page.inner_text("[data-testid='ecosim-slider-goals.mean_alignment']")
    assert "3 people" in page.inner_text("[data-testid='ecosim-slider-facilitation.facilitators']")
    thumbs = page.locator(".v-slider__thumb-label")
    assert thumbs.count() >= 7 and all(thumbs.nth(k).is_visible() for k in range(thumbs.count()))
    assert "0.5" in sidebar and "weight" in sidebar and "log-odds" not in sidebar

    # Step advances the week shown; before the verdict's window has passed it is too early to tell
    assert browser.step(page) == 1
    assert browser.step(page, 2) == 3
    assert page.inner_text("[data-testid=ecosim-sidebar-week]").strip() == "Week 3 of 52"
    verdict = page.inner_text("[data-testid=ecosim-verdict]")
    assert verdict.startswith("Too early to tell"), verdict

    # the alignment slider and Reset change the model's parameter
    shown = page.locator("[data-testid='ecosim-param-goals.mean_alignment']")
    assert shown.inner_text() == "0.5"
    slider = page.get_by_role("slider", name="Goal alignment")
    slider.focus()
    for _ in range(20):  # 20 steps of 0.01
        page.keyboard.press("ArrowLeft")
    assert slider.get_attribute("aria-valuenow") == "0.3"
    # the value in words follows the slider before Reset is pressed
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='ecosim-slider-goals.mean_alignment']\")"
        ".innerText.startsWith('0.3 score')"
    )
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


def test_a_bad_seed_keeps_the_valid_lever_changes(session):
    from ecosim.viz import browser

    server, b = session
    page, watch = browser.open_page(b, server.url)
    slider = page.get_by_role("slider", name="Facilitators")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert slider.get_attribute("aria-valuenow") == "6"
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='ecosim-slider-facilitation.facilitators']\")"
        ".innerText.startsWith('6 people')"
    )
    seed = page.get_by_label("Seed (a whole number)")
    seed.fill("not a seed")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_selector("[data-testid=ecosim-problem]")
    problem = page.inner_text("[data-testid=ecosim-problem]")
    assert "seed" in problem and "not a seed" in problem
    # the model uses the 6 facilitators; the seed box shows the seed in use; nothing shows a value
    # the model is not using
    assert page.inner_text("[data-testid='ecosim-param-facilitation.facilitators']") == "6"
    assert "6 facilitators" in page.inner_text("[data-testid=ecosim-status]")
    assert slider.get_attribute("aria-valuenow") == "6"
    page.wait_for_function("() => document.querySelector('input[type=text]').value === '1'")
    assert page.inner_text("[data-testid=ecosim-param-seed]") == "1"
    assert browser.step(page) == 1
    assert watch.errors == []
    page.context.close()


def test_page_starts_from_assets_fetched_at_start(session, tmp_path):
    """An empty asset folder: ``ecosim viz`` fetches the assets from the (local) registry, and the page renders."""
    import base64
    import hashlib
    import http.server
    import io
    import json
    import tarfile
    import threading

    from ecosim.viz import assets, browser

    def tarball(folder: Path) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
            for f in sorted(folder.rglob("*")):
                if f.is_file() and f.name != assets.MARKER:
                    tar.add(f, arcname="package/" + f.relative_to(folder).as_posix())
        return buf.getvalue()

    # a registry on this machine serving the packages as the npm registry would
    served = {p.spec: (p, tarball(assets.package_dir(assets.cache_dir(), p))) for p in assets.required_packages()}
    asked: list[str] = []

    class Registry(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            from urllib.parse import unquote

            path = unquote(self.path)
            asked.append(path)
            for package, data in served.values():
                tgz = f"/tarballs/{package.spec}.tgz"
                if path == f"/{package.name}/{package.version}":
                    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
                    body = json.dumps({"dist": {"tarball": url + tgz.lstrip("/"), "integrity": "sha512-" + digest}})
                    return self._send(body.encode())
                if path == tgz:
                    return self._send(data)
            self.send_error(404)

        def _send(self, body: bytes):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    registry = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    url = f"http://127.0.0.1:{registry.server_address[1]}/"
    threading.Thread(target=registry.serve_forever, daemon=True).start()
    cache = tmp_path / "cdn"
    env = {"SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache), "npm_config_registry": url, "PATH": "/nonexistent"}
    try:
        _, b = session  # one Playwright per thread: the module's browser
        with browser.viz_server(SCENARIO, cwd=ROOT, env=env) as server:
            assert assets.missing(cache) == []
            page, watch = browser.open_page(b, server.url)
            assert browser.week(page) == 0 and browser.step(page) == 1
            assert watch.errors == [] and watch.outside == []
            page.context.close()
    finally:
        registry.shutdown()
        registry.server_close()
    assert any(path.endswith(".tgz") for path in asked)


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


def test_a_closed_tab_frees_its_model_for_the_next(chromium):
    """With room for one model: a second tab says why it has none, and has one once the first tab is closed."""
    from ecosim.viz import browser

    b = chromium
    with browser.viz_server(SCENARIO, cwd=ROOT, env={"ECOSIM_VIZ_MAX_TABS": "1"}) as server:
        first, watch = browser.open_page(b, server.url)
        second = b.new_context().new_page()
        second.goto(server.url)
        second.wait_for_selector("[data-testid=ecosim-full]", timeout=90_000)
        full = second.inner_text("[data-testid=ecosim-full]")
        assert "already runs 1 model," in full and "ECOSIM_VIZ_MAX_TABS" in full
        assert second.locator("[data-testid=ecosim-week]").count() == 0
        first.close(run_before_unload=True)  # the tab is closed: the page's close beacon frees its model
        second.reload()
        second.wait_for_selector("[data-testid=ecosim-week]", timeout=30_000)
        assert browser.step(second) == 1
        assert watch.errors == []
        second.context.close()
