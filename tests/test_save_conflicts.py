"""Edits are never lost on save (issue 18 finding 7), and numbers too big to simulate are located
errors (finding 11)."""
import json

import pytest

from qsplay.cli import main
from qsplay.commands import CommandError, Session, run_line
from qsplay.scenario import ScenarioError, load_scenario_text

from .conftest import ROOT

DEMO = ROOT / "scenarios" / "anonymous-hub.yaml"


def session_on(path):
    s = Session()
    s.load(path)
    return s


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(DEMO.read_text())
    return path


def test_a_second_session_does_not_drop_the_first_sessions_edit(scenario):
    first, second = session_on(scenario), session_on(scenario)
    run_line(first, "user CORP\\bob --add-group Finance")
    run_line(first, "save")
    run_line(second, "user CORP\\carol --add-group Sales")
    with pytest.raises(CommandError, match="changed on disk since it was loaded"):
        run_line(second, "save")
    assert "Finance" in scenario.read_text().split("id: bob")[1].split("- directory")[0]  # the first edit kept
    run_line(second, "save --force")
    assert "Sales" in scenario.read_text().split("id: carol")[1].split("- directory")[0]


def test_a_comment_added_in_an_editor_is_not_lost(scenario):
    s = session_on(scenario)
    run_line(s, "user CORP\\bob --add-group Finance")
    scenario.write_text(scenario.read_text() + "# a note the administrator added in an editor\n")
    with pytest.raises(CommandError) as err:
        run_line(s, "save")
    assert "save --force" in str(err.value) and "save OTHER.yaml" in str(err.value)
    assert "a note the administrator added" in scenario.read_text()
    other = scenario.parent / "mine.yaml"
    run_line(s, f"save {other}")
    assert other.exists() and "a note the administrator added" in scenario.read_text()


def test_saving_twice_in_one_session_is_fine(scenario):
    s = session_on(scenario)
    run_line(s, "user CORP\\bob --add-group Finance")
    run_line(s, "save")
    run_line(s, "user CORP\\bob --add-group Sales")
    run_line(s, "save")
    assert "Sales" in scenario.read_text()


def test_huge_session_timeout_is_a_located_error():
    text = DEMO.read_text().replace("    authentication: ticket", "    authentication: ticket\n"
                                    "    session_timeout_minutes: 99999999999999999999")
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "site.yaml")
    problem = err.value.problems[0]
    assert "session_timeout_minutes must be at most" in problem.message and problem.line > 1


@pytest.mark.parametrize("value", [1e300, "Infinity", -5, "abc", 2.5])
def test_qrs_session_timeouts_that_cannot_be_simulated(tmp_path, capsys, value):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "user.json").write_text(json.dumps([{"userId": "a", "userDirectory": "CORP"}]))
    proxy = {"prefix": "p", "description": "x", "anonymousAccessMode": 0, "sessionInactivityTimeout": value,
             "authenticationMethod": 0}
    raw = json.dumps([proxy]).replace('"Infinity"', "Infinity")
    (folder / "virtualproxyconfig.json").write_text(raw)
    code = main(["import-qrs", str(folder), "-o", str(tmp_path / "s.yaml")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "internal error" not in err and "sessionInactivityTimeout" in err
    assert "virtualproxyconfig.json[0]" in err
