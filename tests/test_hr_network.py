"""network.kind: hr: the organisation read from its HR file (units, sites, managers, roles, dates)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS, write

from ecosim.cli import main
from ecosim.core.network import AREA_MANAGER, ASSOCIATE, HEAD_OFFICE, STORE_MANAGER, build
from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario

HR = SCENARIOS / "observed" / "contact_centre" / "hr.csv"

SCENARIO = f"""\
name: hr_test
weeks: 8
network:
  kind: hr
  path: {HR}
  office_roles: [support, head of centre]
"""

SMALL_HR = """\
employee_id,name,unit,site,manager_id,role,start_date,end_date
E1,Head Person,office,north,,director,2018-01-01,
E2,Lead One,team a,north,E1,lead,2019-01-01,
E3,Agent A1,team a,north,E2,agent,2020-01-01,
E4,Agent A2,team a,north,E2,agent,2020-01-01,
E5,Agent A3,team a,north,E2,agent,2024-06-01,2024-09-30
E6,Lead Two,team b,south,E1,lead,2019-01-01,
E7,Agent B1,team b,south,E6,agent,2021-01-01,
E8,Agent B2,team b,south,E6,agent,2024-03-01,
E9,Agent B3,team b,south,E6,agent,2024-11-01,
"""


def scenario(tmp_path: Path, text: str = SCENARIO, **net) -> Path:
    extra = "".join(f"  {k}: {v}\n" for k, v in net.items())
    return write(tmp_path / "hr.yaml", text + extra)


def small(tmp_path: Path, **net) -> Path:
    hr = write(tmp_path / "staff.csv", SMALL_HR)
    return scenario(tmp_path, SCENARIO.replace(str(HR), str(hr)), **net)


def people_on(day: str) -> int:
    rows = list(csv.DictReader(io.StringIO(HR.read_text())))
    return sum(r["start_date"] <= day and (not r["end_date"] or r["end_date"] >= day) for r in rows)


def test_the_fixture_becomes_units_sites_managers_and_the_staff_of_the_day(tmp_path):
    sc = load_scenario(scenario(tmp_path))
    staff = sc.network.staff()
    assert staff.n == people_on(staff.day.isoformat())
    assert len(staff.unit_names) == 131 and len(staff.site_names) == 4  # 130 teams and the hub; 3 sites and the hub
    ties = build(sc, np.random.default_rng(3))
    assert ties.n == staff.n
    a = ties.base
    # everyone tied to their manager, where the manager is employed on the day
    has = np.flatnonzero(staff.manager >= 0)
    assert has.size > 0.9 * staff.n
    assert np.asarray(a[has, staff.manager[has]]).ravel().all()
    assert np.array_equal(ties.store, staff.unit) and np.array_equal(ties.region, staff.site)
    roles = np.bincount(ties.role, minlength=4)
    assert roles[STORE_MANAGER] == 130 and roles[HEAD_OFFICE] > 0 and roles[ASSOCIATE] > 1500
    # the learners' labels are lines of the file, never employee ids
    assert all(str(label).startswith("line ") for label in ties.labels)


def test_ties_follow_the_scenarios_probabilities(tmp_path):
    def ties(**net):
        sc = load_scenario(small(tmp_path, **net))
        return sc.network.staff(), build(sc, np.random.default_rng(1))

    staff, t = ties(within_store_tie_prob=1.0, manager_ties="false", cross_store_ties=0)
    # E5 left in 2024: 8 people; team a (E2, E3, E4) and team b (E6..E9) fully tied, the head alone
    assert staff.n == 8
    assert t.n_base_ties == 3 + 6
    staff, t = ties(within_store_tie_prob=0.0, manager_ties="true", cross_store_ties=0)
    assert t.n_base_ties == 7  # each of the seven people with a manager, to the manager
    roles = dict(zip([f"E{i}" for i in (1, 2, 3, 4, 6, 7, 8, 9)], t.role.tolist()))
    assert roles["E2"] == roles["E6"] == STORE_MANAGER  # they lead people of their own unit
    assert roles["E1"] == AREA_MANAGER  # the director leads leads of other units
    assert roles["E3"] == ASSOCIATE


def test_cross_unit_ties_go_to_other_sites_in_the_share_the_scenario_says(tmp_path):
    def across(share: float) -> float:
        sc = load_scenario(
            scenario(
                tmp_path, within_store_tie_prob=0.0, manager_ties="false", cross_store_ties=4, cross_site_share=share
            )
        )
        t = build(sc, np.random.default_rng(7))
        i, j = t.base_edges()
        assert (t.store[i] != t.store[j]).all()  # only ties to other units
        return float(np.mean(t.region[i] != t.region[j]))

    assert across(0.0) == 0.0
    assert across(1.0) == 1.0
    assert 0.2 < across(0.4) < 0.6


def test_headcount_and_turnover_come_from_the_dates(tmp_path):
    sc = load_scenario(scenario(tmp_path))
    staff = sc.network.staff()
    # the fixture's staff leave at the simulated 30% a year from the launch on: the file's first end date
    assert sc.turnover.annual_rate == staff.annual_turnover
    assert 0.2 < staff.annual_turnover < 0.35
    early = load_scenario(scenario(tmp_path, hr_date="2025-01-06"))
    assert early.network.staff().n == people_on("2025-01-06")
    kept = load_scenario(scenario(tmp_path, hr_turnover="false"))
    assert kept.turnover.annual_rate == load_scenario(SCENARIOS / "retail.yaml").turnover.annual_rate


def test_the_small_files_turnover(tmp_path):
    staff = load_scenario(small(tmp_path)).network.staff()
    # the day is the latest date, 2024-11-01; one leaver (2024-09-30) since the first end date
    assert staff.day.isoformat() == "2024-11-01"
    assert staff.turnover_days == 33 and staff.annual_turnover > 1


def test_an_organisation_beyond_the_memory_limit_is_refused_with_the_estimate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ECOSIM_MAX_MEMORY", "50MB")
    path = scenario(tmp_path)
    with pytest.raises(InputError, match=r"about 2,0\d\d learners and [\d,]+ ties"):
        load_scenario(path)
    monkeypatch.setenv("ECOSIM_MAX_MEMORY", "10MB")
    assert main(["run", str(path), "--seed", "1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "hr.yaml" in err and "network.path" in err and "learners" in err and "ECOSIM_MAX_MEMORY" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (
            lambda t: t.replace(
                "E5,Agent A3,team a,north,E2,agent,2024-06-01,2024-09-30",
                "E5,x,team a,north,E2,agent,2024-06-01,2023-09-30",
            ),
            ["staff.csv:6", "end_date", "on or after"],
        ),
        (lambda t: t.replace("E7,Agent B1", "E3,Agent B1"), ["staff.csv:8", "employee_id", "not shown"]),
        (
            lambda t: t.replace("E4,Agent A2,team a,north,E2", "E4,Agent A2,team a,north,E4"),
            ["staff.csv:5", "manager_id", "own manager"],
        ),
        (lambda t: t.replace("2021-01-01", "01/21/2021x"), ["staff.csv:8", "start_date", "YYYY-MM-DD"]),
        (lambda t: t.replace("start_date", "begin"), ["staff.csv:1", "'start_date'", "allowed:"]),
    ],
)
def test_a_malformed_hr_file_is_one_line_exit_2(tmp_path, capsys, edit, fragments):
    path = small(tmp_path)
    (tmp_path / "staff.csv").write_text(edit(SMALL_HR))
    assert main(["run", str(path), "--seed", "1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    for f in fragments:
        assert f in err, (f, err)
    assert "E3" not in err.replace("staff.csv", "")  # ids are not repeated
    assert not (tmp_path / "out").exists()


def test_a_missing_path_or_a_bad_day_is_refused(tmp_path):
    with pytest.raises(InputError, match="network.path"):
        load_scenario(write(tmp_path / "a.yaml", "name: a\nnetwork:\n  kind: hr\n"))
    with pytest.raises(InputError, match="hr_date"):
        load_scenario(small(tmp_path, hr_date="2024-02-30"))
    with pytest.raises(InputError, match="fewer than two people are employed on 2000-01-01"):
        load_scenario(small(tmp_path, hr_date="2000-01-01"))


def test_a_run_of_an_hr_organisation_writes_no_employee_id(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(scenario(tmp_path)), "--seed", "2", "--out", str(out)]) == 0
    ids = {r["employee_id"] for r in csv.DictReader(io.StringIO(HR.read_text()))}
    for p in out.rglob("*"):
        if p.is_file() and p.suffix in (".csv", ".json", ".html", ".md"):
            text = p.read_text(errors="replace")
            assert not any(i in text for i in ("CC100001", "CC100002", "contoso-contact")), p
            assert not set(__import__("re").findall(r"CC1\d{5}", text)) & ids, p


def test_an_hr_row_that_ends_before_it_starts_is_refused_in_one_line(tmp_path):
    """The import and the HR network share the check: the file, the line, the key and what is allowed."""
    from ecosim.errors import InputError
    from ecosim.imports.hr import read_hr
    from ecosim.imports.privacy import Pseudonymiser

    path = tmp_path / "hr.csv"
    path.write_text("employee_id,start_date,end_date\n1,2024-01-01,\n2,2024-05-01,2024-03-01\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_hr(path, Pseudonymiser(b"k" * 32))
    text = str(err.value)
    assert "end date is before the start date" in text and ":3" in text and "end_date" in text
    assert "on or after 2024-05-01" in text
