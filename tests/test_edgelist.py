"""Edge lists and nodes files: what spreadsheets write is accepted, every bad row is one clear error.

Hypothesis writes random CSV files (random bytes, quotes, separators, blank lines, long fields,
byte-order marks) and every one is read into arrays or refused with an InputError naming the file.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim.core import network
from ecosim.errors import InputError
from ecosim.scenario.edgelist import read_network


def put(path, data: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return str(path)


def refused(path, nodes=None) -> InputError:
    with pytest.raises(InputError) as info:
        read_network(path, nodes)
    assert info.value.message().count("\n") == 0
    return info.value


def test_a_field_longer_than_the_csv_limit_is_one_error_naming_the_line(tmp_path):
    path = put(tmp_path / "e.csv", "source,target\n0,1\n1," + "9" * 200_000 + "\n")
    err = refused(path)
    assert err.file == path and err.line == 3 and "longer than 131,072 characters" in err.message()


def test_excel_byte_order_mark_and_trailing_blank_lines_are_accepted(tmp_path):
    path = put(tmp_path / "e.csv", b"\xef\xbb\xbfsource,target\r\nann,bob\r\nbob,cat\r\n\r\n\r\n  \r\n")
    arrays = read_network(path)
    assert arrays.n == 3 and list(arrays.labels) == ["ann", "bob", "cat"]
    assert arrays.source.tolist() == [0, 1] and arrays.target.tolist() == [1, 2]


@pytest.mark.parametrize(
    "text, problem, line",
    [
        ('source,target\na,b\n"c,d\n', "unterminated quote", 3),
        ("source,target\na,b\nc,d\x00e\n", "NUL character", 3),
        ("source,target\na,b\nc,c\n", "a tie from a node to itself", 3),
        ("source,target,source\na,b,c\n", "repeats source", 1),
        ("source,target\na,b\n\n\nc\n", "expected 2 values", 5),
    ],
)
def test_bad_rows_name_their_line(tmp_path, text, problem, line):
    path = put(tmp_path / "e.csv", text)
    err = refused(path)
    assert problem in err.message() and err.line == line and err.file == path


def test_bytes_that_are_not_utf8_far_into_the_file_name_their_line(tmp_path):
    rows = "".join(f"n{i},n{i + 1}\n" for i in range(20_000)).encode()
    path = put(tmp_path / "e.csv", b"source,target\n" + rows + b"\xff\xfe,x\n")
    err = refused(path)
    assert "not UTF-8" in err.message() and err.line == 20_002


def test_an_unknown_role_names_the_nodes_file_and_line(tmp_path):
    edges = put(tmp_path / "e.csv", "source,target\na,b\n")
    nodes = put(tmp_path / "n.csv", "id,role\na,associate\nb,wizard\n")
    err = refused(edges, nodes)
    assert err.file == nodes and err.line == 3 and "wizard" in err.message() and "head_office" in err.message()


def test_arrays_build_the_same_network_as_the_files_say(tmp_path):
    edges = put(tmp_path / "e.csv", "source,target\nann,bob\nbob,cat\ncat,ann\nann,bob\n")
    nodes = put(tmp_path / "n.csv", "id,store,role\ndan,s1,store_manager\nann,s1,associate\n")
    arrays = read_network(edges, nodes)
    ties = network.from_arrays(arrays)
    assert ties.n == 4 and ties.n_base_ties == 3  # the repeated tie counts once; dan has none
    assert ties.role.tolist() == [network.STORE_MANAGER, network.ASSOCIATE, 0, 0]
    assert ties.store.tolist() == [0, 0, -1, -1]
    assert set(arrays.sha256) == {edges, nodes} and all(len(h) == 64 for h in arrays.sha256.values())


def test_importing_the_model_does_not_import_yaml():
    code = "import sys, ecosim.core.model; sys.exit('yaml' in sys.modules or 'ecosim.scenario.loader' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---- fuzzing -----------------------------------------------------------------------------------

cells = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.sampled_from(['"', '""', '"a"', "a,b", "\r", "\n", "\x00", " ", "\ufeff", "9" * 140_000]),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=4), max_size=8)
headers = st.sampled_from(
    ["source,target", "target,source", "source", "source,target,weight", "", "\ufeffsource,target"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=headers, body=rows, tail=st.sampled_from(["", "\n", "\n\n", "\r\n", '"']))
def test_random_edge_lists_are_read_or_refused_cleanly(tmp_path, header, body, tail):
    text = header + "\n" + "\n".join(",".join(r) for r in body) + tail
    path = put(tmp_path / "fuzz.csv", text)
    try:
        arrays = read_network(path)
    except InputError as exc:
        assert exc.file == path and exc.message()
        return
    assert arrays.n >= 2 and arrays.source.size == arrays.target.size
    assert (arrays.source != arrays.target).all() and arrays.source.max() < arrays.n
    ties = network.from_arrays(arrays)
    assert ties.n == arrays.n and np.isfinite(ties.degree).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_are_read_or_refused_cleanly(tmp_path, data):
    path = put(tmp_path / "fuzz.csv", b"source,target\n" + data)
    try:
        read_network(path)
    except InputError as exc:
        assert exc.file == path


node_headers = st.sampled_from(["id", "id,store,region,role", "id,role", "role,id", "id,id", "name", ""])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=node_headers, body=rows, roles=st.lists(st.sampled_from(["associate", "head_office", "boss", ""])))
def test_random_nodes_files_are_read_or_refused_cleanly(tmp_path, header, body, roles):
    edges = put(tmp_path / "e.csv", "source,target\na,b\n")
    lines = [",".join(r + roles[i : i + 1]) for i, r in enumerate(body)]
    nodes = put(tmp_path / "n.csv", header + "\n" + "\n".join(lines) + "\n")
    try:
        arrays = read_network(edges, nodes)
    except InputError as exc:
        assert exc.file in (nodes, edges) and exc.message().count("\n") == 0
        return
    assert arrays.n >= 2 and arrays.role.max() < len(network.ROLE_NAMES)
    assert network.from_arrays(arrays).n == arrays.n
