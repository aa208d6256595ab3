"""The page's server as any program on the network sees it: its websocket, its widgets, its files.

Each test starts the real server (:func:`ecosim.viz.server.serve`, as ``python -m ecosim viz``
does) and talks to it over the websocket the way a browser tab does (``tests/viz_client.py``),
sending also what no browser sends: a foreign ``Origin``, a string to a slider, a seed too large,
malformed paths. No Chromium is needed; ``tests/test_viz_browser.py`` checks the page in one.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from viz_client import ROOT, Tab, page_server
from websockets.exceptions import InvalidStatus

SCENARIO = ROOT / "scenarios" / "retail.yaml"
TINY = """\
name: tiny
weeks: 8
organisation:
  stores: 2
  staff_per_store: 5
  regions: 1
  head_office: 3
"""


@pytest.fixture(scope="module")
def server():
    with page_server(SCENARIO) as s:
        yield s


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(TINY)
    with page_server(path) as s:
        yield s


def no_traceback(tab: Tab, server) -> None:
    assert "Traceback" not in tab.text(), tab.text()[-2000:]
    assert "Traceback" not in server.log(), server.log()[-3000:]


# ---- who may open the websocket -------------------------------------------------------------------


def test_a_foreign_origin_gets_no_websocket_and_its_own_does(server):
    port = server.port
    for origin in (
        "http://evil.example",
        f"http://evil.example:{port}",
        "null",  # a sandboxed frame, a file:// page
        f"http://127.0.0.1:{port + 1}",  # another server on this machine
        f"http://127.0.0.1.evil.example:{port}",
        f"http://127.0.0.1:{port}@evil.example",
        f"http://localhost:{port}",  # a name that is ours, but not the one this page was opened under
        f"ftp://127.0.0.1:{port}",
    ):
        with pytest.raises(InvalidStatus) as refused:
            Tab(port, origin=origin)
        assert refused.value.response.status_code == 403, origin
    with Tab(port) as tab:  # the page's own origin
        tab.start()
        assert tab.find("SliderModel", label="Goal alignment")
    with Tab(port, origin=None) as tab:  # no Origin: a program, not a web page (browsers always send it)
        assert tab.start().find("SliderModel", label="Goal alignment")


def test_a_foreign_origin_cannot_press_a_button_over_http(server):
    status, body = server.get("/_solara/api/close/x?session_id=y", "POST", {"Origin": "http://evil.example"})
    assert status == 403 and b"Traceback" not in body


def request_with_host(server, host: str, path: str = "/") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_the_host_check_reads_the_whole_host(server):
    port = server.port
    assert request_with_host(server, f"127.0.0.1:{port}") == 200
    for host in (
        f"127.0.0.1:{port}@evil.com",
        f"127.0.0.1:{port}/evil.com",
        f"127.0.0.1:{port}:80",
        "127.0.0.1:\u00b9\u00b2",  # superscript digits
        "127.0.0.1:99999",
        "127.0.0.1 evil.com",
        "evil.com#127.0.0.1",
    ):
        assert request_with_host(server, host) == 403, host


# ---- what the page's inputs take -----------------------------------------------------------------


NOT_A_SLIDER_VALUE = ["abc", None, [1, 2], {"v": 0.3}, True, "0.3", math.nan, math.inf, -5, 1e308, 10**30]


def test_a_slider_given_what_no_slider_sends_says_so_in_one_red_line(server):
    with Tab(server.port) as tab:
        tab.start()
        for value in NOT_A_SLIDER_VALUE:
            tab.set(tab.slider("Goal alignment"), v_model=value)
            no_traceback(tab, server)
            problem = tab.html("ecosim-input-problem")
            assert len(problem) == 1 and "Goal alignment" in problem[0] and "\n" not in problem[0], (value, problem)
            # the slider is back at the value in use
            assert tab.widgets[tab.slider("Goal alignment")]["v_model"] == 0.5, value
        for label, value in (("Facilitators", 2.5), ("Facilitators", "many"), ("Pause", "fast"), ("Pause", -1)):
            tab.set(tab.slider(label), v_model=value)
            no_traceback(tab, server)
            assert any(label in p for p in tab.html("ecosim-input-problem")), (label, value)
        # a value a slider does send is taken, and the red line goes
        tab.set(tab.slider("Goal alignment"), v_model=0.3)
        tab.set(tab.slider("Facilitators"), v_model=4)
        tab.set(tab.slider("Pause"), v_model=100)
        assert tab.html("ecosim-input-problem") == []
        tab.click(tab.button("Reset"))
        status = tab.html("ecosim-status")[0]
        assert re.search(r'data-testid="ecosim-param-goals.mean_alignment">0.3<', status), status
        assert re.search(r'data-testid="ecosim-param-facilitation.facilitators">4<', status), status
        no_traceback(tab, server)


@pytest.mark.parametrize("seed", ["9223372036854775808", "1" + "0" * 5000, ["7"], None, {"x": 1}, -1, 2.5])
def test_the_seed_and_reset_say_what_is_wrong_in_one_red_line(server, seed):
    with Tab(server.port) as tab:
        tab.start()
        field = tab.one("TextFieldModel")
        tab.set(field, v_model=seed)
        tab.click(tab.button("Reset"))
        no_traceback(tab, server)
        status = tab.html("ecosim-status")[0]
        problem = re.search(r'data-testid="ecosim-problem">([^<]*)<', status)  # (Solara's field sends None as "None")
        assert problem and "seed" in problem.group(1), status
        assert re.search(r'data-testid="ecosim-param-seed">1<', status), status  # the scenario file's seed
        assert tab.widgets[field]["v_model"] == "1"  # the field shows the seed in use
        tab.click(tab.button("Step"))
        assert 'data-testid="ecosim-week">1<' in tab.html("ecosim-status")[0]


def test_the_largest_seed_is_taken(server):
    with Tab(server.port) as tab:
        tab.start()
        tab.set(tab.one("TextFieldModel"), v_model=str(2**63 - 1))
        tab.click(tab.button("Reset"))
        status = tab.html("ecosim-status")[0]
        assert f'data-testid="ecosim-param-seed">{2**63 - 1}<' in status and "ecosim-problem" not in status
        no_traceback(tab, server)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.text(max_size=30)
    | st.sampled_from(["0.3", "1e9", "-0", "", " ", "9223372036854775808", "\x00"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
SLIDERS = ["Goal alignment", "Launch week", "Platform friction", "Facilitators", "Hours per facilitator"]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("slider"), st.sampled_from([*SLIDERS, "Pause"]), json_values | st.floats(-10, 200)),
        st.tuples(st.just("seed"), st.just(""), json_values | st.integers(0, 2**64).map(str)),
        st.tuples(st.just("click"), st.sampled_from(["Step", "Reset"]), st.none()),
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def fuzz_tab(tiny_server):
    with Tab(tiny_server.port) as tab:
        yield tab.start()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=actions)
def test_every_page_input_is_taken_or_refused_in_one_red_line(tiny_server, fuzz_tab, steps):
    """Hypothesis sends the page's inputs any JSON value, with Step and Reset between them."""
    tab = fuzz_tab
    for kind, name, value in steps:
        if kind == "slider":
            tab.set(tab.slider(name), v_model=value)
            problems = tab.html("ecosim-input-problem")
            taken = tab.widgets[tab.slider(name)]["v_model"]
            assert all("\n" not in p.strip() for p in problems), problems
            if not any(name in p for p in problems):  # taken: the slider shows it, a number
                assert isinstance(taken, (int, float)) and not isinstance(taken, bool), (name, value, taken)
        elif kind == "seed":
            tab.set(tab.one("TextFieldModel"), v_model=value)
        else:
            tab.click(tab.button(name))
            status = tab.html("ecosim-status")[0]
            problem = re.findall(r'data-testid="ecosim-problem">([^<]*)<', status)
            assert len(problem) <= 1 and "\n" not in "".join(problem)
        no_traceback(tab, tiny_server)
        json.dumps(tab.widgets)  # the page's state stays plain data


# ---- the server's files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/static/public/%00",
        "/static/%00",
        "/static/assets/%00",
        "/jupyter/nbextensions/%00",
        "/static/main-vuetify.js%00",
        "/static/public/a%0Ab",
        "/_solara/cdn/%00",
    ],
)
def test_bad_static_paths_answer_4xx_without_a_traceback(server, path):
    status, body = server.get(path)
    assert 400 <= status < 500, (path, status)
    assert b"Traceback" not in body and "Traceback" not in server.log()


def test_solaras_routes_without_their_page_id_answer_4xx(server):
    status, _ = server.get("/_solara/api/close/abc", "POST")
    assert status == 400
    with pytest.raises(InvalidStatus) as refused:
        from websockets.sync.client import connect

        connect(f"ws://127.0.0.1:{server.port}/jupyter/api/kernels/abc/channels", open_timeout=30)
    assert 400 <= refused.value.response.status_code < 500
    assert "Traceback" not in server.log()


# (not /_solara/cdn/: a file missing there is asked of the CDN, which takes seconds to refuse)
STATIC = ["/static/public/", "/static/assets/", "/static/", "/jupyter/nbextensions/"]


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from(STATIC),
    name=st.text(max_size=300),
)
def test_any_static_path_answers_without_a_server_error(server, prefix, name):
    """Hypothesis asks the static folders for any name: a file or a refusal, never a server error."""
    status, body = server.get(prefix + quote(name, safe=""))
    assert status < 500, (prefix, name, status)
    assert b"Traceback" not in body


# ---- tabs that hold a model ----------------------------------------------------------------------


def test_a_closed_tab_frees_its_model_and_the_number_of_models_is_bounded(tmp_path):
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY)
    with page_server(tiny, env={"ECOSIM_VIZ_MAX_TABS": "2", "ECOSIM_VIZ_GRACE": "1"}) as s:
        first, second = Tab(s.port).start(), Tab(s.port).start()
        assert first.find("SliderModel", label="Goal alignment") and second.find("SliderModel", label="Goal alignment")
        with Tab(s.port) as third:
            third.start()
            full = third.html("ecosim-full")
            assert len(full) == 1 and "2" in full[0] and "ECOSIM_VIZ_MAX_TABS" in full[0], third.text()
            assert not third.find("SliderModel", label="Goal alignment")  # no model was built
            assert third.close_tab() == 200
        assert first.close_tab() == 200  # closing a tab frees its model at once
        with Tab(s.port) as fourth:
            assert fourth.start().find("SliderModel", label="Goal alignment")
            fourth.close_tab()
        second.close()  # a lost connection: the model is kept for the grace (1 s), then freed
        deadline = time.monotonic() + 30
        while True:
            with Tab(s.port) as a, Tab(s.port) as b:  # two at once: only once the second tab's model is freed
                both = a.start().find("SliderModel", label="Goal alignment") and b.start().find(
                    "SliderModel", label="Goal alignment"
                )
                a.close_tab()
                b.close_tab()
            if both:
                break
            assert time.monotonic() < deadline, s.log()[-2000:]
            time.sleep(0.5)
        assert "Traceback" not in s.log()


def test_a_hundred_tabs_opened_and_dropped_keep_memory_bounded():
    """The issue's attack: open a tab, let the page build its model, drop the connection; 100 times."""
    with page_server(SCENARIO, env={"ECOSIM_VIZ_GRACE": "2"}) as s:
        rss = []
        for cycle in range(100):
            tab = Tab(s.port).start()
            assert tab.find("SliderModel", label="Goal alignment"), f"cycle {cycle}: {tab.text()[-500:]}"
            tab.close()  # no close beacon: the connection is lost
            if cycle in (9, 99):
                rss.append(s.rss_mb())
        time.sleep(5)
        rss.append(s.rss_mb())
        print(f"server memory after 10, 100 cycles and 5 s later: {rss[0]:.0f}, {rss[1]:.0f}, {rss[2]:.0f} MB")
        # one retail model with its page is about 17 MB: 90 kept models would be 1.5 GB; freed ones leave
        # the allocator some tens of MB to fluctuate in
        assert rss[1] - rss[0] < 250 and rss[2] - rss[0] < 250, rss
        assert "Traceback" not in s.log()
