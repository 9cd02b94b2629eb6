"""Preinstalled rules per Qlik Sense release.

Sources (each expectation below cites one):
- Security rules included in Qlik Sense (May 2023 / May 2024):
  https://help.qlik.com/en-US/sense-admin/May2024/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/preinstalled-QMC-security-rules.htm
- Default administration roles (May 2023), HubAdmin column: ReloadTask_* CRU, SchemaEvent_* CRU;
  "A HubAdmin cannot manage any areas of the QMC. This role has administration rights only in the hub."
  https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/default-administration-roles.htm
- Publishing to streams (Nov 2024): "If you own a published app, you can ... approve your own and
  community sheets for inclusion in the public sheets of an app."
  https://help.qlik.com/en-US/sense/November2024/Subsystems/Hub/Content/Sense_Hub/Publishing/publish-to-enterprise.htm
  and "Security Rule Requirements for Promoting Community Sheets" (June 2018 onwards),
  https://support.qlik.com/articles/000053106
"""
import json

import pytest

from qsplay.cli import main
from qsplay.defaults import preinstalled_rule_specs
from qsplay.defaults.releases import DEFAULT_RELEASE, normalise_release, parse_release, release_from_about
from qsplay.qrs import import_folder, write_scenario
from qsplay.scenario import ScenarioError, load_scenario

from .conftest import decide, site_from

SITE = """
qsplay: 1
name: release rule sets
{release}
license: {{professional: 5}}
user_directories: [{{name: CORP}}]
users:
  - {{directory: CORP, id: owner, access: [professional]}}
  - {{directory: CORP, id: author, access: [professional]}}
  - {{directory: CORP, id: hubadmin, roles: [HubAdmin], access: [professional]}}
streams:
  - {{name: Sales}}
apps:
  - {{name: Pipeline, stream: Sales, owner: CORP\\owner}}
objects:
  - {{name: Author's sheet, app: Pipeline, type: sheet, owner: CORP\\author, published: true, approved: false}}
reload_tasks:
  - {{name: Reload Pipeline, app: Pipeline}}
security_rules:
  - name: everyone reads Sales
    resource_filter: Stream_*
    actions: [read]
    condition: resource.name = "Sales"
"""


def site(release=None):
    return site_from(SITE.format(release=f"qlik_release: {release!r}" if release else ""))


def names(site_):
    return {r.name for r in site_.security_rules if r.preinstalled}


def test_the_2017_set_is_kept_verbatim_and_later_releases_add_to_it():
    old = {s["name"] for s in preinstalled_rule_specs("November 2017")}
    new = {s["name"] for s in preinstalled_rule_specs("May 2024")}
    assert len(old) == 61 and old < new
    assert new - old == {"ApproveSheetsOwnerOfPublishedApp", "HubAdmin"}


def test_a_scenario_without_a_release_gets_the_newest_documented_set_and_the_trace_says_so():
    s = site()
    assert s.rule_set.release == DEFAULT_RELEASE == "May 2024" and s.rule_set.origin == "default"
    d = decide(s, "stream:Sales", "read", "CORP\\author")
    out = d.to_dict()
    assert out["rule_set"] == {"release": "May 2024", "origin": "default"}
    assert any("preinstalled rules of Qlik Sense May 2024" in st["text"] for st in out["steps"])


def test_the_named_release_is_used_and_said():
    s = site("November 2017")
    assert s.rule_set.release == "November 2017" and s.rule_set.origin == "scenario"
    assert "HubAdmin" not in names(s)
    assert decide(s, "stream:Sales", "read", "CORP\\author").to_dict()["rule_set"]["release"] == "November 2017"


def test_audit_admin_qmc_sections_follow_the_release():
    # 2017 filter vs May 2024's (adds QmcSection_EngineHealth) - preinstalled-QMC-security-rules May 2024
    old = next(r for r in site("November 2017").security_rules if r.name == "AuditAdminQmcSections")
    new = next(r for r in site("May 2024").security_rules if r.name == "AuditAdminQmcSections")
    assert "QmcSection_EngineHealth" not in old.resource_filter
    assert "QmcSection_EngineHealth" in new.resource_filter and new.since == "May 2024"


def test_hub_admin_manages_reload_tasks_in_the_hub_only():
    # default-administration-roles May 2023: HubAdmin ReloadTask_* CRU; no QMC areas
    s = site("May 2024")
    for action in ("create", "read", "update"):
        assert decide(s, "reload_task:Reload Pipeline", action, "CORP\\hubadmin").allowed, action
    assert not decide(s, "reload_task:Reload Pipeline", "delete", "CORP\\hubadmin").allowed
    assert not decide(s, "reload_task:Reload Pipeline", "update", "CORP\\hubadmin", context="qmc").allowed
    # before the role existed the same user has no such right
    assert not decide(site("February 2022"), "reload_task:Reload Pipeline", "update", "CORP\\hubadmin").allowed


def test_hub_admin_rule_says_its_text_is_unconfirmed():
    d = decide(site(), "reload_task:Reload Pipeline", "update", "CORP\\hubadmin")
    granted = next(e for e in d.security.evaluations if e.rule == "HubAdmin")
    assert "UNCONFIRMED" in granted.reason and "since May 2023" in granted.reason


def test_the_owner_of_a_published_app_approves_community_sheets_from_june_2018():
    # publish-to-enterprise (Nov 2024) + support article 000053106 (June 2018 or higher)
    obj = "object:Pipeline/Author's sheet"
    assert decide(site("June 2018"), obj, "approve", "CORP\\owner").allowed
    assert not decide(site("November 2017"), obj, "approve", "CORP\\owner").allowed
    assert not decide(site("May 2024"), obj, "approve", "CORP\\author").allowed  # not the app's owner


@pytest.mark.parametrize("text, expected", [("May 2024", (2024, 5)), ("may2024", (2024, 5)),
                                            ("May 2024 Patch 3", (2024, 5)), ("2018-06", (2018, 6)),
                                            ("Sept 2019", (2019, 9))])
def test_release_names(text, expected):
    assert parse_release(text) == expected


def test_a_release_older_than_the_baseline_uses_it_and_says_so():
    name, note = normalise_release("June 2017")
    assert name == "November 2017" and "older" in note


def test_a_bad_release_is_a_located_error():
    with pytest.raises(ScenarioError) as err:
        site_from("qsplay: 1\nname: x\nqlik_release: Someday\n")
    assert "qlik_release" in str(err.value) and "line 3" in str(err.value)


def test_release_from_qrs_about():
    assert release_from_about({"buildVersion": "14.187.4"})[0] == "May 2024"
    assert release_from_about({"buildVersion": "12.16.2"})[0] == "June 2018"
    name, how = release_from_about({"buildVersion": "14.190.1"})  # between rows: the older release
    assert name == "May 2024" and "UNCONFIRMED" in how
    assert release_from_about({"releaseLabel": "February 2023 Patch 1", "buildVersion": "x"})[0] == "February 2023"
    assert release_from_about({})[0] is None


def test_an_imported_sites_release_selects_its_rule_set(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "about.json").write_text(json.dumps({"buildVersion": "11.24.5", "buildDate": "2017-11-01"}))
    (folder / "user.json").write_text(json.dumps([{"userId": "bob", "userDirectory": "CORP", "name": "Bob"}]))
    doc, report = import_folder(folder)
    assert doc["qlik_release"] == "November 2017"
    assert any("qlik_release: November 2017" in line for line in report)
    write_scenario(doc, tmp_path / "site.yaml")
    imported = load_scenario(tmp_path / "site.yaml")
    assert imported.rule_set.release == "November 2017" and "HubAdmin" not in names(imported)


def test_an_import_without_about_says_which_set_will_be_used(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "user.json").write_text(json.dumps([{"userId": "bob", "userDirectory": "CORP", "name": "Bob"}]))
    doc, report = import_folder(folder)
    assert "qlik_release" not in doc
    assert any("no about.json" in line and DEFAULT_RELEASE in line for line in report)


def test_decide_json_names_the_rule_set(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SITE.format(release='qlik_release: "June 2018"'))
    assert main(["decide", str(path), "--user", "CORP\\owner", "--resource", "object:Pipeline/Author's sheet",
                 "--action", "approve", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "allow" and out["rule_set"]["release"] == "June 2018"
