"""The browser visualisation without a browser: levers from the schema, the page's model, the
pictures, the offline assets and the `viz` command."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import os
import re
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from ecosim.cli import main
from ecosim.core.state import CONSUMER, CONTRIBUTOR, INACTIVE
from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario
from ecosim.scenario.schema import iter_params
from ecosim.viz import assets
from ecosim.viz.levers import get_value, levers, parse_seed

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "scenarios" / "retail.yaml"


# ---- levers ------------------------------------------------------------------------------------


def test_levers_are_the_schemas_levers_with_sensible_ranges():
    scenario = load_scenario(RETAIL)
    found = levers(scenario)
    declared = [p for p in iter_params() if p.lever]
    assert [lv.path for lv in found] == [p.path for p in declared]
    assert {lv.path for lv in found} >= {
        "goals.mean_alignment",
        "facilitation.facilitators",
        "facilitation.hours_per_week",
        "facilitation.event_every_weeks",
        "platform.friction",
        "turnover.annual_rate",
        "platform.launch_week",
    }
    info = {p.path: p for p in declared}
    for lv in found:
        p = info[lv.path]
        value = get_value(scenario, lv.path)
        assert lv.lo <= value <= lv.hi, lv
        assert lv.lo < lv.hi
        if p.lower is not None:
            assert lv.lo >= p.lower
        if p.upper is not None:
            assert lv.hi <= p.upper
        assert lv.integer == (p.annotation is int)
        if lv.integer:
            assert lv.step == 1 and isinstance(lv.lo, int) and isinstance(lv.hi, int)
        else:
            assert 0 < lv.step <= (lv.hi - lv.lo) / 10
            steps = (value - lv.lo) / lv.step
            assert abs(steps - round(steps)) < 1e-6, "the scenario's value must be on the slider's grid"
        param = lv.mesa_param()
        assert param["type"] == ("SliderInt" if lv.integer else "SliderFloat")
        assert param["min"] == lv.lo and param["max"] == lv.hi and param["value"] == value
    by = {lv.path: lv for lv in found}
    assert by["goals.mean_alignment"].hi == 1.0  # the schema's own bound
    assert by["platform.launch_week"].hi == scenario.weeks  # a point in time: anywhere in the run
    assert by["facilitation.facilitators"].hi <= 100  # not the schema's 100,000
    assert by["facilitation.event_every_weeks"].hi <= scenario.weeks


def test_lever_ranges_follow_the_scenario(tiny):
    # 20 stores: more learners than the 40 facilitators (one per learner at most)
    scenario = load_scenario(tiny, {"organisation.stores": 20, "facilitation.facilitators": 40, "weeks": 6})
    by = {lv.path: lv for lv in levers(scenario)}
    assert by["facilitation.facilitators"].hi >= 160
    assert by["platform.launch_week"].hi == 6
    assert by["facilitation.event_every_weeks"].hi == 6


@pytest.mark.parametrize("text, expected", [("7", 7), (" 12 ", 12), ("1,000", 1000), ("", None), (None, None), (3, 3)])
def test_parse_seed(text, expected):
    assert parse_seed(text) == expected


@pytest.mark.parametrize("text", ["abc", "-1", "1.5", True, -4])
def test_parse_seed_refuses(text):
    with pytest.raises(InputError, match="seed"):
        parse_seed(text)


# ---- the page's model ----------------------------------------------------------------------------


def test_page_model_applies_overrides_and_matches_the_cli_run():
    from ecosim.api import simulate
    from ecosim.viz.app import PageModel

    model = PageModel(str(RETAIL), seed="7", **{"goals.mean_alignment": 0.3, "facilitation.facilitators": 5})
    assert model.input_problem is None
    assert model.params.goals.mean_alignment == 0.3
    assert model.params.facilitation.facilitators == 5
    assert len(model.facilitators) == 5
    assert model.seed == 7
    for _ in range(5):
        model.step()
    ref = simulate(RETAIL, seed=7, overrides={"goals.mean_alignment": 0.3, "facilitation.facilitators": 5})
    page = model.timeseries()
    assert page.equals(ref.timeseries.iloc[:5].reset_index(drop=True))


def test_page_model_refuses_only_the_bad_input_and_keeps_every_valid_change():
    from ecosim.viz.app import PageModel, model_inputs

    # a bad seed: the lever changes stay, the seed is the file's
    model = PageModel(str(RETAIL), seed="not a number", **{"goals.mean_alignment": 0.3, "facilitation.facilitators": 6})
    assert "seed" in model.input_problem
    assert model.params.goals.mean_alignment == 0.3 and model.params.facilitation.facilitators == 6
    assert len(model.facilitators) == 6
    assert model.seed == load_scenario(RETAIL).seed
    # what the page's inputs are set back to: exactly what the model uses
    inputs = model_inputs(model)
    assert inputs["seed"] == str(model.seed) and inputs["facilitation.facilitators"] == 6
    # a bad lever: that lever is the file's, the seed and the other lever are kept
    model = PageModel(str(RETAIL), seed="9", **{"goals.mean_alignment": 1.5, "facilitation.facilitators": 6})
    assert "goals.mean_alignment" in model.input_problem and "seed" not in model.input_problem
    assert model.params.goals.mean_alignment == load_scenario(RETAIL).goals.mean_alignment
    assert model.params.facilitation.facilitators == 6 and model.seed == 9


def test_mesa_reset_rebuilds_the_page_model_from_its_inputs():
    """What Mesa's Reset button does: the page's inputs by name, plus a fresh experiment scenario of Mesa's."""
    import inspect

    from mesa.visualization.solara_viz import split_model_params

    from ecosim.viz.app import PageModel, model_params

    model = PageModel(str(RETAIL))
    params = model_params(model)
    user, fixed = split_model_params(params)
    values = {**fixed, **{k: v["value"] for k, v in user.items()}}
    values["goals.mean_alignment"] = 0.25
    values["seed"] = "11"
    kwargs = {**values, "scenario": type(model.scenario)()}
    signature = inspect.signature(PageModel)
    assert all(p.kind is not p.VAR_POSITIONAL for p in signature.parameters.values())  # Mesa passes by name only
    signature.bind(**kwargs)
    rebuilt = PageModel(**kwargs)
    assert rebuilt.input_problem is None
    assert rebuilt.params.goals.mean_alignment == 0.25
    assert rebuilt.seed == 11
    assert rebuilt.params.facilitation == model.params.facilitation


def test_current_verdict_in_words():
    from ecosim.core import metrics
    from ecosim.viz.app import NOT_STARTED, PageModel, current_verdict

    model = PageModel(str(RETAIL), **{"platform.launch_week": 3, "verdict.window_weeks": 4})
    assert current_verdict(model) == ("not_started", NOT_STARTED)
    model.step()
    key, words = current_verdict(model)
    assert key == "not_launched" and "week 3" in words
    model.step()
    assert current_verdict(model)[0] == "not_launched"
    # open for 1 to 3 weeks of a 4-week window: too early to tell, whatever the launch spike says
    for open_weeks in (1, 2, 3):
        model.step()
        key, words = current_verdict(model)
        assert key == "too_early" and words.startswith("Too early to tell") and "given from week 6" in words
        assert f"open for {open_weeks} week" in words and "Thriving" not in words
    model.step()
    key, words = current_verdict(model)
    assert key == metrics.verdict(model.timeseries()["active_share"].to_numpy(), True, model.params)
    posted = float(model.timeseries()["contributor_share"].iloc[-1])
    assert words == metrics.verdict_words(key, posted).replace("in the final week", "this week")
    assert words.startswith(metrics.VERDICT_TEXT[key][:-1]) and "final week" not in words


def test_the_page_does_not_call_a_launch_spike_thriving():
    """Week 2 of retail's launch is busy, but the verdict's window has not passed: too early, not thriving."""
    from ecosim.viz.app import PageModel, current_verdict

    model = PageModel(str(RETAIL), seed=1)
    for _ in range(2):
        model.step()
    key, words = current_verdict(model)
    window = model.params.verdict.window_weeks
    assert key == "too_early" and "Thriving" not in words and f"{window} weeks" in words
    for _ in range(window - 2):
        model.step()
    assert current_verdict(model)[0] != "too_early"  # from the window's last week on, the verdict is given


def test_the_page_says_this_week_where_the_verdict_tells_who_posted():
    from ecosim.viz.app import page_verdict_words

    assert (
        page_verdict_words("thriving", 0.019)
        == "Thriving: people come and keep coming; 1.9% of learners posted this week."
    )
    assert page_verdict_words("thriving", 0.0).endswith("but nobody posted this week: they read and do not contribute.")
    assert "final" not in page_verdict_words("struggling", 0.1)


def test_a_run_shorter_than_the_window_gets_its_verdict_in_its_last_week():
    from ecosim.core import metrics
    from ecosim.viz.app import PageModel, current_verdict

    model = PageModel(str(RETAIL), seed=1, weeks=6)
    for _ in range(5):
        model.step()
    assert current_verdict(model)[0] == "too_early"
    model.step()
    assert current_verdict(model)[0] == metrics.verdict(
        model.timeseries()["active_share"].to_numpy(), True, model.params
    )


def test_page_text_says_the_week_the_verdict_and_the_levers():
    import re

    from ecosim.core import metrics
    from ecosim.viz.app import FacilitationPanel, PageModel, StatusPanel

    def text(element) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", element.kwargs["unsafe_innerHTML"]))

    model = PageModel(str(RETAIL), seed="5", **{"goals.mean_alignment": 0.35, "facilitation.facilitators": 4})
    assert "Week 0 of 52" in text(StatusPanel(model))
    assert "Figures appear after the first week" in text(FacilitationPanel(model))
    for _ in range(6):
        model.step()
    status = text(StatusPanel(model))
    assert "Week 6 of 52" in status and "Too early to tell" in status
    for _ in range(6):
        model.step()
    status = text(StatusPanel(model))
    verdict = metrics.verdict(model.timeseries()["active_share"].to_numpy(), True, model.params)
    assert "Week 12 of 52" in status and metrics.VERDICT_TEXT[verdict][:-1] in status
    assert "Goal alignment 0.35" in status and "Facilitators 4" in status and "Seed 5" in status
    ts = model.timeseries()
    assert f"This week {ts['active_share'].iloc[-1]:.0%} visited" in status
    panel = text(FacilitationPanel(model))
    assert f"Events held {ts['events'].iloc[-1]:,.0f} {ts['events'].sum():,.0f}" in panel
    top1 = ts["top1_everyone_post_share"].iloc[-1]
    assert top1 > 0 and f"most active 1% of them wrote {top1:.0%}" in panel


def test_each_page_model_is_its_own():
    from ecosim.viz.app import PageModel

    a, b = PageModel(str(RETAIL)), PageModel(str(RETAIL))
    a.step()
    assert (a.week, b.week) == (1, 0)
    assert a.state is not b.state and a.pictures is not b.pictures


# ---- pictures ------------------------------------------------------------------------------------


def _rgba(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)  # PNG or WebP


def _pixel(picture, xy) -> tuple[int, int]:
    """Pixel (row, column) of data point ``xy`` in a picture's overlay."""
    x, y = picture.layers.over.transData.transform(xy)
    height = picture.layers.over_canvas.get_width_height()[1]
    return int(round(height - y)), int(round(x))


def _model(text: str, tmp_path: Path):
    from ecosim.experiment.model import EcosystemModel

    path = tmp_path / "s.yaml"
    path.write_text(text)
    return EcosystemModel(load_scenario(path))


SMALL = "name: small\nweeks: 10\norganisation: {stores: 6, staff_per_store: 8, regions: 2, head_office: 5}\n"


def test_network_colours_learners_by_engagement(tmp_path):
    from ecosim.plotting.page import NetworkPicture
    from ecosim.plotting.style import ENGAGEMENT_COLOURS

    model = _model(SMALL, tmp_path)
    picture = NetworkPicture(model)
    assert picture.rows.size == model.state.n and not picture.sampled and picture.note == ""
    model.state.beliefs[:] = model.reality  # everyone knows everything: the largest markers
    for state, colour in zip((INACTIVE, CONSUMER, CONTRIBUTOR), ENGAGEMENT_COLOURS, strict=True):
        model.state.engagement[:] = state
        image = _rgba(picture.png(model))
        want = np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)])
        # an isolated learner's centre has its colour (dense stores overlap, so take the majority)
        hits = 0
        for xy in picture.pos:
            r, c = _pixel(picture, xy)
            if np.abs(image[r, c, :3] - want).max() <= 3 and image[r, c, 3] == 255:
                hits += 1
        assert hits >= 0.9 * picture.pos.shape[0], (state, hits)
    assert image[0, 0, 3] == 0  # the overlay is transparent away from learners
    assert _rgba(picture.background).shape == image.shape


def test_network_sizes_learners_by_knowledge(tmp_path):
    from ecosim.plotting.page import NetworkPicture

    model = _model(SMALL, tmp_path)
    picture = NetworkPicture(model)
    model.state.engagement[:] = CONSUMER
    model.state.beliefs[:] = -model.reality  # nobody is right about anything
    small = (_rgba(picture.png(model))[..., 3] > 0).sum()
    model.state.beliefs[:] = model.reality
    large = (_rgba(picture.png(model))[..., 3] > 0).sum()
    assert large > 2 * small


def test_network_marks_facilitators_and_brokered_ties(tmp_path):
    from ecosim.plotting.page import NetworkPicture
    from ecosim.plotting.style import FACILITATOR as FACILITATOR_COLOUR

    purple = np.array([int(FACILITATOR_COLOUR[k : k + 2], 16) for k in (1, 3, 5)])
    model = _model(SMALL + "facilitation: {facilitators: 4}\n", tmp_path)
    picture = NetworkPicture(model)
    assert picture.facilitators == 4 and picture.fac_pos.shape == (4, 2)
    background = _rgba(picture.background)
    for xy in picture.fac_pos:
        r, c = _pixel(picture, xy)
        assert np.abs(background[r, c, :3] - purple).max() <= 6
    # a tie brokered between two far-apart learners shows as a line between them
    far = np.argsort(picture.pos[:, 0])
    a, b = picture.rows[far[0]], picture.rows[far[-1]]
    model.state.engagement[:] = INACTIVE
    before = _rgba(picture.png(model))
    assert model.ties.add_ties(np.array([a]), np.array([b])) == 1
    after = _rgba(picture.png(model))
    middle = (picture.pos[far[0]] + picture.pos[far[-1]]) / 2
    r, c = _pixel(picture, middle)
    window = (slice(r - 2, r + 3), slice(c - 2, c + 3))
    assert after[window][..., 3].max() > 0 and before[window][..., 3].max() == 0


def test_large_organisations_draw_whole_stores_sampled(tmp_path):
    from ecosim.plotting.page import MAX_DRAWN, NetworkPicture

    model = _model("name: big\nweeks: 4\norganisation: {stores: 300, staff_per_store: 15, regions: 6}\n", tmp_path)
    assert model.state.n > 2 * MAX_DRAWN
    picture = NetworkPicture(model)
    assert picture.sampled and 0.8 * MAX_DRAWN <= picture.rows.size <= 1.1 * MAX_DRAWN
    store = model.ties.store
    drawn = set(store[picture.rows][store[picture.rows] >= 0])
    for s in drawn:  # whole stores: everyone in a drawn store is drawn
        assert np.isin(np.flatnonzero(store == s), picture.rows).all()
    assert f"{model.state.n:,} learners" in picture.note and "whole stores" in picture.note
    assert f"{len(drawn):,} whole stores of 300" in picture.note
    model.step()
    assert _rgba(picture.png(model)).shape == _rgba(picture.background).shape


def test_curves_follow_the_weeks(tmp_path):
    from ecosim.plotting.page import content_curves, engagement_curves

    model = _model(SMALL, tmp_path)
    curves = engagement_curves(model)
    assert curves.layers.ax.get_xlim() == (0.0, 10.0)  # the whole run from the start
    empty = _rgba(curves.png(model.timeseries_columns()))
    assert empty[..., 3].max() == 0
    for _ in range(4):
        model.step()
    drawn = _rgba(curves.png(model.timeseries_columns()))
    assert drawn[..., 3].max() > 0
    stock = content_curves(model)
    model.content.stock  # noqa: B018 - the content curve's axes grow with the stock
    columns = model.timeseries_columns()
    columns["content_stock"] = columns["content_stock"] * 0 + 5e4
    background = stock.background
    stock.png(columns)
    assert stock.layers.ax.get_ylim()[1] >= 5e4
    assert stock.background != background


# ---- offline assets ------------------------------------------------------------------------------


def test_required_packages_come_from_the_installed_solara():
    import solara

    found = {p.name: p.version for p in assets.required_packages()}
    assert set(found) == {"@widgetti/solara-vuetify-app", "requirejs", "font-awesome"}
    template = (Path(solara.__file__).parent / "server/templates/solara.html.j2").read_text()
    assert f"@widgetti/solara-vuetify-app@{found['@widgetti/solara-vuetify-app']}/" in template
    assert f"requirejs@{found['requirejs']}/" in template


def test_required_packages_follow_solara_under_vue3(monkeypatch):
    import solara

    monkeypatch.setattr(assets, "_ipyvue_major", lambda: 3)
    found = {p.name: p.version for p in assets.required_packages()}
    assert "@widgetti/solara-vuetify-app" not in found
    template = (Path(solara.__file__).parent / "server/templates/solara.html.j2").read_text()
    assert f"@widgetti/solara-vuetify3-app@{found['@widgetti/solara-vuetify3-app']}/" in template


def _tarball(files: dict[str, bytes], top: str = "package") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


class FakeRegistry:
    """An npm registry on 127.0.0.1 serving given tarballs (and counting requests)."""

    def __init__(self, packages: dict[str, bytes], *, integrity: dict[str, str] | None = None) -> None:
        self.packages, self.requests = packages, []
        registry = self
        integrity = integrity or {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                from urllib.parse import unquote

                path = unquote(self.path)
                registry.requests.append(path)
                for spec, data in registry.packages.items():
                    name, version = spec.rsplit("@", 1)
                    tgz = f"/{name}/-/{name.split('/')[-1]}-{version}.tgz"
                    ok = integrity.get(spec, "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode())
                    meta = {
                        "name": name,
                        "version": version,
                        "dist": {"tarball": registry.url.rstrip("/") + tgz, "integrity": ok},
                    }
                    if path == f"/{name}/{version}":
                        return self._send(json.dumps(meta).encode(), "application/json")
                    if path == f"/{name}":  # the whole packument, which npm asks for
                        doc = {"name": name, "dist-tags": {"latest": version}, "versions": {version: meta}}
                        return self._send(json.dumps(doc).encode(), "application/json")
                    if path == tgz:
                        return self._send(data, "application/octet-stream")
                self.send_error(404)

            def _send(self, body: bytes, kind: str):
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


PKG = assets.Package("@demo/widget-app", "1.2.3", "a test package")
FILES = {"dist/app.js": b"console.log('hi')\n", "dist/app.css": b"body{}\n", "package.json": b"{}"}


def test_prepare_unpacks_packages_and_is_idempotent(tmp_path):
    cache = tmp_path / "cdn"
    with FakeRegistry({PKG.spec: _tarball(FILES)}) as reg:
        done = prepare(cache, reg)
        assert done == [(PKG, "installed")]
        folder = cache / "@demo" / "widget-app@1.2.3"
        for name, data in FILES.items():
            assert (folder / name).read_bytes() == data
        assert assets.is_prepared(cache, PKG)
        assert assets.missing(cache) == [p for p in assets.required_packages()]  # other packages
        asked = len(reg.requests)
        assert prepare(cache, reg) == [(PKG, "already in place")]
        assert len(reg.requests) == asked  # nothing fetched again
        (folder / "dist" / "app.js").unlink()  # a damaged copy is fetched again
        assert not assets.is_prepared(cache, PKG)
        assert prepare(cache, reg) == [(PKG, "installed")]
        assert (folder / "dist" / "app.js").read_bytes() == FILES["dist/app.js"]
    assert [p.name for p in cache.rglob(".ecosim-*")] == [assets.MARKER]  # no temporary folders left


def prepare(cache, reg, **kw):
    return assets.prepare(cache, registry=reg.url, use_npm=False, packages=[PKG], **kw)


def test_prepare_replaces_a_partial_copy(tmp_path):
    cache = tmp_path / "cdn"
    partial = cache / "@demo" / "widget-app@1.2.3" / "dist"
    partial.mkdir(parents=True)
    (partial / "app.css").write_bytes(b"old")  # as Solara's proxy caches file by file
    with FakeRegistry({PKG.spec: _tarball(FILES)}) as reg:
        prepare(cache, reg)
    assert (partial / "app.css").read_bytes() == FILES["dist/app.css"]
    assert (partial / "app.js").exists()


def test_prepare_refuses_a_tampered_download(tmp_path):
    cache = tmp_path / "cdn"
    wrong = "sha512-" + base64.b64encode(hashlib.sha512(b"something else").digest()).decode()
    with FakeRegistry({PKG.spec: _tarball(FILES)}, integrity={PKG.spec: wrong}) as reg:
        with pytest.raises(assets.AssetError, match="does not match the registry's sha512"):
            prepare(cache, reg)
    assert not (cache / "@demo" / "widget-app@1.2.3").exists()
    assert list(cache.rglob("*.tmp*")) == [] and list(cache.rglob(".ecosim-tmp-*")) == []


def test_prepare_refuses_unsafe_tarballs(tmp_path):
    cache = tmp_path / "cdn"
    with FakeRegistry({PKG.spec: _tarball({"../../evil.js": b"x"})}) as reg:
        with pytest.raises(assets.AssetError, match="unsafe path"):
            prepare(cache, reg)
    assert not list(tmp_path.rglob("evil.js"))
    assert not (cache / "@demo" / "widget-app@1.2.3").exists()


def test_prepare_names_the_package_when_the_registry_fails(tmp_path):
    with FakeRegistry({}) as reg:
        with pytest.raises(assets.AssetError, match=r"@demo/widget-app@1\.2\.3: the registry answered 404"):
            prepare(tmp_path / "cdn", reg)
    port = _closed_port()
    with pytest.raises(assets.AssetError, match="cannot reach"):
        assets.prepare(tmp_path / "cdn", registry=f"http://127.0.0.1:{port}/", use_npm=False, packages=[PKG])


def test_prepare_says_where_it_cannot_write(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with FakeRegistry({PKG.spec: _tarball(FILES)}) as reg:
        with pytest.raises(assets.AssetError, match="SOLARA_ASSETS_PROXY_CACHE_DIR"):
            prepare(blocker / "cdn", reg)


def test_prepare_with_npm_pack(tmp_path):
    import shutil

    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    packument_pkg = assets.Package("demo-assets", "0.0.1", "a test package")
    data = _tarball({"package.json": b'{"name": "demo-assets", "version": "0.0.1"}', "dist/a.js": b"1"})
    with FakeRegistry({packument_pkg.spec: data}) as reg:
        done = assets.prepare(tmp_path / "cdn", registry=reg.url, use_npm=True, packages=[packument_pkg])
    assert done == [(packument_pkg, "installed")]
    assert (tmp_path / "cdn" / "demo-assets@0.0.1" / "dist" / "a.js").read_bytes() == b"1"
    marker = json.loads((tmp_path / "cdn" / "demo-assets@0.0.1" / assets.MARKER).read_text())
    assert marker["source"] == "npm pack"


def test_prepare_with_npm_names_the_problem(tmp_path):
    import shutil

    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    with FakeRegistry({}) as reg:
        with pytest.raises(assets.AssetError, match=r"demo-assets@0\.0\.1: npm pack could not fetch it .*E404"):
            assets.prepare(
                tmp_path / "cdn",
                registry=reg.url,
                use_npm=True,
                packages=[assets.Package("demo-assets", "0.0.1", "a test package")],
            )
    assert not (tmp_path / "cdn" / "demo-assets@0.0.1").exists()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the command ---------------------------------------------------------------------------------


def test_viz_command_needs_a_scenario(capsys):
    assert main(["viz"]) == 2
    assert "give a scenario file" in capsys.readouterr().err


def test_viz_command_refuses_a_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ngoals: {mean_alignment: 2}\n")
    assert main(["viz", str(bad), "--port", str(_closed_port())]) == 2
    err = capsys.readouterr().err
    assert "goals.mean_alignment" in err and "Traceback" not in err
    assert main(["viz", str(tmp_path / "missing.yaml")]) == 2


def test_viz_command_refuses_a_busy_port(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["viz", str(RETAIL), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "--port" in err and "already in use" in err and str(port) in err


@pytest.mark.parametrize(
    "argv",
    [
        ["viz", "x.yaml", "--port", "0"],
        ["viz", "x.yaml", "--port", "http"],
        ["viz", "x.yaml", "--no-npm"],
    ],
)
def test_viz_command_refuses_bad_flags(argv, capsys):
    assert main(argv) == 2


def test_check_assets_lists_what_is_missing(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path / "cdn")}
    done = subprocess.run(
        [sys.executable, "-m", "ecosim", "viz", "--check-assets"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 1
    assert str(tmp_path / "cdn") in done.stdout
    for package in assets.required_packages():
        assert re.search(re.escape(package.spec) + r"\s+missing", done.stdout)


def test_server_fetches_missing_assets_before_it_starts(tmp_path):
    """Started with an empty asset folder and a reachable registry, the server fetches the assets, then serves."""
    from ecosim.viz import browser

    cache = tmp_path / "cdn"
    tarballs = {p.spec: _tarball({"package.json": b"{}", "dist/x.js": b"1"}) for p in assets.required_packages()}
    with FakeRegistry(tarballs) as reg:
        env = {"SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache), "npm_config_registry": reg.url, "PATH": "/nonexistent"}
        with browser.viz_server(RETAIL, cwd=ROOT, env=env) as server:
            assert server.process.poll() is None
    text = "\n".join(server.output)
    assert "not stored locally" in text and "fetching it from the npm registry" in text
    assert f"ecosim viz: {RETAIL} at {server.url}" in text
    assert assets.missing(cache) == []


def test_server_stops_with_one_line_when_the_assets_cannot_be_fetched(tmp_path):
    """No assets and no registry: one line saying what to do, exit code 1, and no page served blank."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path / "cdn"),
        "npm_config_registry": f"http://127.0.0.1:{_closed_port()}/",
        "PATH": "/nonexistent",  # no npm: the direct download, refused at once
    }
    port = str(_closed_port())
    done = subprocess.run(
        [sys.executable, "-m", "ecosim", "viz", str(RETAIL), "--port", port],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert "--prepare-assets" in errors[0] and "cannot reach" in errors[0] and str(tmp_path / "cdn") in errors[0]
    assert "ecosim viz:" not in done.stdout  # never announced, never served


def test_import_ecosim_does_not_import_solara():
    import subprocess
    import sys

    code = (
        "import sys, ecosim, ecosim.cli; ecosim.cli.build_parser(); cheap = 'mesa' not in sys.modules; "
        "import ecosim.core.model, ecosim.api; print(cheap, 'solara' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


@pytest.mark.parametrize(
    "network",
    [
        "{kind: erdos_renyi, learners: 300, mean_degree: 6}",
        "{kind: complete, learners: 40}",
        "{kind: watts_strogatz, learners: 3000, neighbours: 6}",
        "{kind: barabasi_albert, learners: 200, attachments: 3}",
    ],
)
def test_network_picture_of_generic_networks(network, tmp_path):
    """Networks without stores are drawn on a circle (sampled at random above the limit)."""
    from ecosim.plotting.page import MAX_DRAWN, NetworkPicture

    model = _model(f"name: generic\nweeks: 3\nnetwork: {network}\n", tmp_path)
    picture = NetworkPicture(model)
    assert picture.rows.size == min(model.state.n, MAX_DRAWN)
    assert picture.sampled == (model.state.n > MAX_DRAWN)
    if model.ties.complete:
        assert picture.ties_drawn == 0 and "complete network" in picture.note
    elif not picture.sampled:
        assert picture.ties_drawn == model.ties.n_base_ties
    else:
        assert 0 < picture.ties_drawn < model.ties.n_base_ties
    model.step()
    overlay, background = _rgba(picture.png(model)), _rgba(picture.background)
    assert overlay.shape == background.shape and overlay[..., 3].max() == 255
    if picture.sampled:
        assert "sampled at random" in picture.note


def test_no_curve_repeats_a_tick_label_at_week_0_or_later():
    from ecosim.viz.app import PageModel

    def labels(picture) -> list[str]:
        ax = picture.layers.ax
        lo, hi = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if lo - 1e-9 <= t <= hi + 1e-9]
        return ax.yaxis.get_major_formatter().format_ticks(ticks)

    model = PageModel(str(RETAIL))
    for week in (0, 1, 8):
        while model.week < week:
            model.step()
        for name in ("engagement", "knowledge", "content"):
            picture = model.pictures.curves[name]
            picture.png(model.pictures.columns())
            shown = labels(picture)
            assert len(shown) >= 3 and len(set(shown)) == len(shown), (week, name, shown)


def test_status_panel_comes_from_the_template_and_escapes_the_scenario(tmp_path):
    from ecosim.viz.app import PageModel, StatusPanel

    path = tmp_path / "s.yaml"
    path.write_text("extends: " + str(RETAIL) + '\nname: s\ndescription: "<b>bold</b> & <script>x()</script>"\n')
    model = PageModel(str(path))
    text = StatusPanel(model).kwargs["unsafe_innerHTML"]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in text and "<script>" not in text
    assert 'data-testid="ecosim-week">0</b> of 52' in text
