"""QRS import/export on real exports.

The rule packages' own descriptions say what they should do: StreamDevRole — "Implement developer
roles where the developer can only access content where in stream where they are a developer";
SheetLevelSecurity — "You will be able to restrict access to a sheet through adding a group to the
description of the sheet", with its edited copy of the preinstalled "Stream" rule (same seedId).
"""
import json
import shutil

import pytest

from qsplay.cli import main
from qsplay.engine import engine_for, make_request
from qsplay.qrs import import_folder, write_scenario
from qsplay.scenario import load_scenario

from .conftest import ROOT

DATA = ROOT / "tests" / "data" / "qrs"


def imported(tmp_path, files, extra=""):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder)
    doc, report = import_folder(folder)
    out = tmp_path / "site.yaml"
    write_scenario(doc, out)
    if extra:
        out.write_text(out.read_text() + extra)
    return load_scenario(out), report


def allowed(site, resource, action, user, context="hub"):
    engine = engine_for(site)
    return engine.decide(make_request(resource, action, user, "", context), engine.new_state()).allowed


def test_stream_developer_role_package(tmp_path):
    site, report = imported(tmp_path, [DATA / "packages" / "StreamDevRole.json"], """
license: {professional: 5}
users:
  - {directory: ACME, id: dev1, groups: [role_dev, proj1_dev], access: [professional]}
  - {directory: ACME, id: dev2, groups: [role_dev, proj2_dev], access: [professional]}
streams:
  - {name: Project 1, properties: {DevGroup: [proj1_dev]}}
  - {name: Project 2, properties: {DevGroup: [proj2_dev]}}
apps:
  - {name: P1 App, stream: Project 1}
  - {name: P2 App, stream: Project 2}
""")
    assert {r.name for r in site.security_rules if not r.preinstalled} == {"DevCreate", "DevRUDP", "DevSections"}
    rudp = site.find_security_rule("DevRUDP")
    assert rudp.actions == {"read", "update", "delete", "publish"}  # actions bitmask 46
    assert rudp.resource_filter == "Stream*,App*,Tag*,DataConnection*"
    # a developer may update apps in the streams they develop for, not in others
    assert allowed(site, "app:P1 App", "update", "ACME\\dev1")
    assert not allowed(site, "app:P2 App", "update", "ACME\\dev1")
    assert allowed(site, "stream:Project 2", "publish", "ACME\\dev2")
    assert not allowed(site, "stream:Project 1", "publish", "ACME\\dev2")


def test_sheet_level_security_package_and_its_edited_stream_rule(tmp_path):
    site, report = imported(tmp_path, [DATA / "packages" / "SheetLevelSecurity.json"], """
license: {professional: 5}
users:
  - {directory: ACME, id: hr, groups: [HR], access: [professional]}
  - {directory: ACME, id: ops, groups: [Ops], access: [professional]}
apps:
  - {name: Secured, stream: Everyone, properties: {SheetLevelSecurity: ["Yes"]}}
  - {name: Open, stream: Everyone}
objects:
  - {name: Salaries, app: Secured, type: sheet, published: true, approved: true, description: HR}
  - {name: Overview, app: Open, type: sheet, published: true, approved: true}
""")
    stream = site.find_security_rule("Stream")
    assert stream.preinstalled and stream.edited and stream.type == "Custom"  # matched by seedId
    assert "SheetLevelSecurity" in stream.condition
    assert allowed(site, "object:Secured/Salaries", "read", "ACME\\hr")
    assert not allowed(site, "object:Secured/Salaries", "read", "ACME\\ops")
    assert allowed(site, "object:Open/Overview", "read", "ACME\\ops")  # unmarked app: as usual
    assert allowed(site, "app:Secured", "read", "ACME\\ops")


def test_exports_folder_imports_with_a_report(tmp_path):
    site, report = imported(tmp_path, sorted((DATA / "exports").glob("*.json")))
    prefixes = {p.prefix: p for p in site.virtual_proxies}
    assert prefixes["anon"].anonymous == "allow"  # anonymousAccessMode 1
    assert prefixes["hdr"].authentication == "header"  # authenticationMethod 2
    # 317 = 256 export data + 32 publish + 16 export + 8 delete + 4 update + 1 create
    assert site.find_security_rule("Z_OEM_DEVELOPER").actions == {"create", "update", "delete", "export", "publish",
                                                                  "export_data"}
    gss = site.find_security_rule("_gss - Root Admin Group Rule")
    assert gss.context == "qmc"  # ruleContext 2
    assert any("no user data" in line for line in report)
    assert any("app objects skipped" in line for line in report)


def test_round_trip_import_export_import_is_lossless_for_rules(tmp_path):
    first, _ = imported(tmp_path, [DATA / "packages" / "SheetLevelSecurity.json",
                                   DATA / "packages" / "StreamDevRole.json",
                                   DATA / "exports" / "systemrule-gss.json"])
    out = tmp_path / "rules.json"
    first_path = tmp_path / "site.yaml"
    assert main(["export-qrs", str(first_path), "-o", str(out)]) == 0
    records = json.loads(out.read_text())
    assert {"name", "rule", "resourceFilter", "actions", "ruleContext", "disabled", "category", "type",
            "seedId"} <= set(records[0])
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(out, again / "systemrule.json")
    doc, _ = import_folder(again)
    write_scenario(doc, tmp_path / "again.yaml")
    second = load_scenario(tmp_path / "again.yaml")

    def rules(site):
        return sorted((r.name, r.resource_filter, tuple(sorted(r.actions)), r.condition, r.context, r.disabled,
                       r.type, r.seed_id) for r in site.security_rules)
    assert rules(first) == rules(second)


@pytest.mark.parametrize("content, fragment", [
    ('[{"name": "x", "rule": "", "resourceFilter": "Stream_*", "actions": 2, "ruleContext": 7}]', "ruleContext 7"),
    ('[{"name": "x", "rule": "", "resourceFilter": "Stream_*", "actions": "read"}]', "bitmask"),
])
def test_a_rule_with_fields_of_the_wrong_kind_is_left_out_and_said(tmp_path, content, fragment, capsys):
    """One bad record does not stop a site's import: the rule is left out, kept as a comment in the
    scenario, and the note names the file, the record and what was wrong."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "systemrule.json").write_text(content)
    code = main(["import-qrs", str(folder), "-o", str(tmp_path / "x.yaml")])
    err = capsys.readouterr().err
    assert code == 0 and fragment in err and "systemrule.json[0]: rule 'x'" in err
    written = (tmp_path / "x.yaml").read_text()
    assert "Rules left out" in written and fragment in written


@pytest.mark.parametrize("content, fragment", [
    ('[{"name": "x", "rule": "", "resourceFilter": "Stream_*", "actions": 2,', "line 1, col"),
    ('{"unexpected": true}', "not a /qrs/systemrule response"),
    ('{"columnNames": ["name"], "rows": [["a", "b"]]}', "rows[0] has 2 cells"),
])
def test_malformed_exports_give_located_errors(tmp_path, content, fragment, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "systemrule.json").write_text(content)
    code = main(["import-qrs", str(folder), "-o", str(tmp_path / "x.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "systemrule.json" in err
