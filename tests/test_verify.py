"""qsplay verify: Qlik's audit API answers against qsplay's, cell by cell.

The site (tests/data/qrs-verify, a pulled folder): CORP\\ann in Sales, CORP\\bob in Finance, CORP\\carl
in no group; streams Everyone, Sales, Finance; apps Pipeline (in Sales) and Budget (in Finance); custom
rules "Sales stream" / "Finance stream" (read the stream of one's group) and a professional licence
rule for Sales. Qlik's answer, derived from the preinstalled rules' text (qsplay/defaults, from a
real server's /qrs/systemrule/full): StreamEveryone gives every named user read+publish on Everyone;
CreateApp (hub) create on every app; Stream gives read on an app in a stream the user may read;
ExportAppData and "Offline access" give export_data / access_offline on an app the user may read.
`QLIK` below is that table; the stand-in audit API answers from it (tests/qrs_standin_audit.py).
"""
import json
import shutil

import pytest

from qsplay.cli import main
from qsplay.qrs import verify as V

from .conftest import ROOT
from .qrs_standin_audit import AuditTable

FIXTURE = ROOT / "tests" / "data" / "qrs-verify"
EVERYONE = "aaec8d41-5201-43ab-809f-3063750dfafd"
# (user, resource name, rule) -> Qlik grants the rule's actions; rule actions from its bitmask
QLIK = [(u, "Everyone", "StreamEveryone") for u in ("ann", "bob", "carl")] + \
       [(u, app, "CreateApp") for u in ("ann", "bob", "carl") for app in ("Pipeline", "Budget")] + \
       [("ann", "Sales", "Sales stream"), ("ann", "Pipeline", "Stream"), ("ann", "Pipeline", "ExportAppData"),
        ("ann", "Pipeline", "Offline access"),
        ("bob", "Finance", "Finance stream"), ("bob", "Budget", "Stream"), ("bob", "Budget", "ExportAppData"),
        ("bob", "Budget", "Offline access"),
        ("ann", "Sales group", "Sales professional")]  # the licence audit: Sales users match the Sales group's rule
RULE_ACTIONS = {"StreamEveryone": 34, "CreateApp": 1, "Stream": 2, "ExportAppData": 256, "Offline access": 512,
                "Sales stream": 2, "Finance stream": 2, "Sales professional": 1}


def records(folder):
    def load(name):
        return json.loads((folder / f"{name}.json").read_text())
    users = load("user")
    resources = [{**s, "schemaPath": "Stream"} for s in load("stream")] + \
                [{**a, "schemaPath": "App"} for a in load("app")]
    rules = load("systemrule")
    group = next(r for r in rules if r["category"] == "License")["resourceFilter"].partition("_")[2]
    resources.append({"id": group, "name": "Sales group", "schemaPath": "License.ProfessionalAccessGroup"})
    rules = [{"id": r["id"], "name": r["name"], "actions": r["actions"]} for r in rules] + \
            [{"id": f"00000000-0000-0000-0000-0000000000{i:02d}", "name": n, "actions": a}
             for i, (n, a) in enumerate(RULE_ACTIONS.items()) if n not in {r["name"] for r in rules}]
    return users, resources, rules


def qlik_table(folder) -> AuditTable:
    users, resources, rules = records(folder)
    table = AuditTable(users, resources, rules)
    ids = {r["name"]: r["id"] for r in resources}
    for user, resource, rule in QLIK:
        table.grant(f"CORP\\{user}", ids[resource], rule)
    return table


def save_answers(folder, table, sample=200, seed=1):
    """What `verify --url` saves, made without HTTP: the sampled requests answered by the table."""
    from qsplay.qrs import import_folder
    from qsplay.qrs.importer import dump
    from qsplay.scenario import load_scenario_text
    from qsplay.files import write_atomically
    doc, _ = import_folder(folder)
    site = load_scenario_text(dump(doc), "x")
    pairs = V.sample_pairs(site, sample, seed)
    requests = V.audit_requests(pairs) + V.licence_requests(site, pairs)
    return V.ask(requests, lambda endpoint, body: table.answer(body), folder, write_atomically)


def planted(tmp_path):
    """A copy of the site whose Qlik answer differs in one cell: Qlik lets CORP\\bob read the Sales
    stream ("Sales stream"), which by the rule's condition (user.group = "Sales") qsplay does not."""
    folder = tmp_path / "site"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("audit", "verify"))
    table = qlik_table(folder)
    sales = next(r["id"] for r in json.loads((folder / "stream.json").read_text()) if r["name"] == "Sales")
    table.grant("CORP\\bob", sales, "Sales stream")
    return folder, table


def test_the_sample_is_seeded_and_covers_every_resource_type():
    from qsplay.qrs import import_folder
    from qsplay.qrs.importer import dump
    from qsplay.scenario import load_scenario_text
    doc, _ = import_folder(FIXTURE)
    site = load_scenario_text(dump(doc), "x")
    a, b = V.sample_pairs(site, 5, 7), V.sample_pairs(site, 5, 7)
    assert [(u, r.key) for u, r in a] == [(u, r.key) for u, r in b]
    assert {r.kind for _, r in a} == {"Stream", "App"}
    assert len(V.sample_pairs(site, 10_000, 1)) == 3 * 6  # every pair, once: 3 users x (4 streams + 2 apps)


def test_the_shipped_answers_all_agree(tmp_path, capsys):
    """tests/data/qrs-verify/audit holds the table's answers for the whole site (3 users x 6 resources
    x 13 actions = 234 security cells, and 3 licence cells): qsplay agrees with every one."""
    out = tmp_path / "checks"
    assert main(["verify", str(FIXTURE), "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts"] == {"agree": 237, "disagree": 0, "not_comparable": 0}
    assert not out.exists()


def test_a_planted_disagreement_is_reported_and_saved_as_a_check_that_reproduces_it(tmp_path, capsys):
    folder, table = planted(tmp_path)
    save_answers(folder, table)
    code = main(["verify", str(folder), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert result["counts"] == {"agree": 236, "disagree": 1, "not_comparable": 0}
    [cell] = [c for c in result["cells"] if c["verdict"] == "disagree"]
    assert (cell["user"], cell["action"], cell["qlik"], cell["qsplay"]) == ("CORP\\bob", "read", True, False)
    assert cell["qlik_rules"] == ["Sales stream"] and cell["qsplay_rules"] == []
    [check_file] = result["check_files"]
    assert main(["check", check_file]) == 1  # qsplay check shows the same disagreement
    text = capsys.readouterr().out
    assert "CORP\\bob" in text and "expected allow" in text.lower().replace("expected: allow", "expected allow")


def test_cells_qsplay_cannot_compare_are_said(tmp_path, capsys):
    folder, table = planted(tmp_path)
    stranger = {"id": "11111111-2222-3333-4444-555555555555", "userId": "zed", "userDirectory": "CORP", "name": "Zed"}
    table.users[stranger["id"]] = stranger  # a user the pulled folder does not have
    table.grants.add((stranger["id"], EVERYONE, next(k for k, r in table.rules.items()
                                                    if r["name"] == "StreamEveryone")))
    V.ask([{"endpoint": V.SECURITY_AUDIT, "request": {"resourceType": "Stream", "resourceFilter": f"id eq {EVERYONE}",
                                                      "userFilter": "userId eq 'zed'"},
            "asked": {"user": "CORP\\zed", "resources": [EVERYONE]}}],
          lambda e, b: table.answer(b), folder, __import__("qsplay.files", fromlist=["x"]).write_atomically)
    main(["verify", str(folder), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["counts"]["not_comparable"] == 13
    assert {c["why"] for c in result["cells"] if c["verdict"] == "not_comparable"} == {
        "the user is not in the pulled site"}


def test_live_verify_against_the_standin_qrs(tmp_path, capsys):
    """`verify DIR --url` against the stand-in HTTPS QRS (client certificate, xrfkey): it asks the audit
    API for the sample, saves each exchange in DIR/audit, and reports the planted disagreement."""
    pytest.importorskip("cryptography")
    from .qrs_standin import StandinQrs, make_certificates
    certs = make_certificates(tmp_path / "certs")
    folder, table = planted(tmp_path)
    with StandinQrs(certs) as qrs:
        qrs.handle("POST", "systemrule/security/audit", table.handler)
        qrs.handle("POST", "systemrule/license/audit", table.handler)
        code = main(["verify", str(folder), "--url", qrs.url, "--cert-dir", str(certs.folder), "--json"])
        audits = qrs.calls("systemrule/security/audit", "POST") + qrs.calls("systemrule/license/audit", "POST")
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert result["counts"] == {"agree": 236, "disagree": 1, "not_comparable": 0}
    assert len(audits) == len(list((folder / "audit").glob("*.json"))) == 9  # 3 users x (Stream, App, licence group)
    assert main(["check", result["check_files"][0]]) == 1
    capsys.readouterr()
    assert main(["verify", str(folder), "--json"]) == 1  # the saved exchanges verify the same offline
    assert json.loads(capsys.readouterr().out)["counts"]["disagree"] == 1


def _edit_saved_answers(folder, edit):
    for path in sorted((folder / "audit").glob("*.json")):
        item = json.loads(path.read_text())
        edit(item["response"])
        path.write_text(json.dumps(item))


def test_a_granting_rule_the_answer_does_not_list_is_read_from_the_site_or_said_unknown(tmp_path, capsys):
    """Qlik's audit answer lists the rules it applied under `rules`; one it leaves out is not a denial.
    Rules keep their QRS ids on import, so a custom rule is found in the pulled site; a rule found
    nowhere makes the cell not comparable (its actions are unknown), never a disagreement."""
    folder = tmp_path / "site"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("audit", "verify"))
    save_answers(folder, qlik_table(folder))
    site_rules = {r["name"]: r["id"] for r in json.loads((folder / "systemrule.json").read_text())}

    def drop_sales_rule(response):  # a custom rule the pulled site holds
        response["rules"] = {k: v for k, v in response["rules"].items() if k != site_rules["Sales stream"]}
    _edit_saved_answers(folder, drop_sales_rule)
    main(["verify", str(folder), "--json"])
    assert json.loads(capsys.readouterr().out)["counts"] == {"agree": 237, "disagree": 0, "not_comparable": 0}

    ghost = "99999999-0000-0000-0000-000000000001"

    def unknown_everyone_rule(response):  # StreamEveryone's applications name a rule found nowhere
        names = {k: v["name"] for k, v in response["rules"].items()}
        for app in response["ruleApplication"]:
            if names.get(app["ruleID"]) == "StreamEveryone":
                response["rules"].pop(app["ruleID"], None)
                app["ruleID"] = ghost
    _edit_saved_answers(folder, unknown_everyone_rule)
    main(["verify", str(folder), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["counts"]["disagree"] == 0
    unknown = [c for c in result["cells"] if c["verdict"] == "not_comparable"]
    assert unknown and all(ghost in c["why"] and c["resource"] == "stream:Everyone" for c in unknown)
