"""What an access type allows: analyzer (and analyzer capacity) cannot create, edit or publish
sheets or apps, but can create and publish stories, bookmarks and snapshots.

Sources: Analyzer access allocations (help, February 2024)
https://help.qlik.com/en-US/sense-admin/February2024/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/analyzer-access-allocations.htm ;
Professional access allocations (help, May 2023)
https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/professional-access-allocations.htm ;
"User with Analyzer license cannot reload app data" (Qlik Support)
https://community.qlik.com/t5/Official-Support-Articles/Qlik-Sense-User-with-Analyzer-license-cannot-reload-app-data/ta-p/1715553
"""
import json

from qsplay.cli import main
from qsplay.engine import run_checks
from qsplay.engine.request import make_request
from qsplay.explain.why_not import why_not
from qsplay.scenario import load_scenario

from .conftest import ROOT, decide

SCENARIO = ROOT / "scenarios" / "analyzer-limits.yaml"
SHEET = "object:Pipeline/Ann's new sheet"


def test_the_scenario_holds():
    result = run_checks(load_scenario(SCENARIO))
    assert result.failed == 0 and result.passed == 8


def test_the_decision_says_the_rules_allow_and_the_access_type_does_not():
    d = decide(load_scenario(SCENARIO), SHEET, "create", "CORP\\ann")
    out = d.to_dict()
    assert out["decision"] == "deny" and out["denied_by"] == "license"
    assert out["security"]["allowed"] is True and "CreateAppObjectsPublishedApp" in out["security"]["granting_rules"]
    assert out["license"]["granted"] is True and out["license"]["access_type"] == "analyzer"
    assert out["license"]["limit"]["code"] == "access_type_limit"
    assert "cannot create sheets" in out["license"]["limit"]["reason"]
    assert any(s["phase"] == "license" and s["outcome"] == "fail" and "security rules grant" in s["text"]
               for s in out["steps"])


def test_stories_bookmarks_and_snapshots_are_not_limited():
    site = load_scenario(SCENARIO)
    assert decide(site, "object:Pipeline/Ann's story", "create", "CORP\\ann").allowed
    assert decide(site, "object:Pipeline/Ann's bookmark", "create", "CORP\\ann").allowed


def test_why_not_suggests_professional_access_and_it_is_checked():
    site = load_scenario(SCENARIO)
    result = why_not(site, make_request(SHEET, "create", "CORP\\ann"), compute_gains=False)
    first = result.suggestions[0]
    assert first.kind == "change_access_type" and first.grants and first.phase == "license"
    assert "professional access instead of analyzer" in first.change


def test_why_not_json(capsys):
    assert main(["why-not", str(SCENARIO), "--user", "CORP\\ann", "--resource", SHEET, "--action", "create",
                 "--json"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    assert out["denied_by"] == "license" and out["suggestions"][0]["kind"] == "change_access_type"


def test_analyzer_capacity_limits_are_a_named_option(tmp_path):
    text = SCENARIO.read_text().replace("qlik_release:", "semantics: {analyzer_capacity_limits: none}\nqlik_release:")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    site = load_scenario(path)
    assert decide(site, "object:Pipeline/Cai's new sheet", "create", "CORP\\cai").allowed
    limited = decide(load_scenario(SCENARIO), "object:Pipeline/Cai's new sheet", "create", "CORP\\cai")
    assert "UNCONFIRMED" in limited.license.limit.reason


def test_no_professional_fix_when_an_imported_licence_state_holds_the_pool():
    """A pulled site's allocations (license.allocations, docs/licensing.md) count like users' own:
    with both professional allocations held (Pat's, and Cai's in the imported state), the QMC has
    none to give Ann, so why-not does not offer one."""
    from qsplay.scenario import load_scenario_text
    text = SCENARIO.read_text().replace(
        "analyzer_capacity_minutes: 600}",
        "analyzer_capacity_minutes: 600, allocations: [{user: CORP\\cai, access: professional}]}")
    assert "allocations" in text
    site = load_scenario_text(text, "imported.yaml")
    result = why_not(site, make_request(SHEET, "create", "CORP\\ann"), compute_gains=False)
    assert result.decision.denied_by == "license"
    assert "change_access_type" not in [s.kind for s in result.suggestions]
