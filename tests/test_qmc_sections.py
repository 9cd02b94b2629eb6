"""The QMC's own resources: QmcSection_* (read access makes a section visible), and the resource
types of the admin-role tables, so custom and documented admin roles can be checked and audited.

Sources: QMC section access for default admin roles (May 2023)
https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/default-admin-qmc-section-access.htm ;
Default administration roles (May 2023)
https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/default-administration-roles.htm
"""
import json

from qsplay.cli import main
from qsplay.engine import run_checks
from qsplay.explain.audit import audit
from qsplay.explain.lint import lint
from qsplay.scenario import load_scenario

from .conftest import ROOT, decide

SCENARIO = ROOT / "scenarios" / "qmc-sections-admin-roles.yaml"

# the page's table (R = read), for the sections qsplay has: section -> roles that read it
TABLE = {"Audit": {"AuditAdmin", "ContentAdmin", "DeploymentAdmin", "SecurityAdmin"},
         "Tag": {"AuditAdmin", "ContentAdmin", "DeploymentAdmin", "SecurityAdmin"},
         "Stream": {"ContentAdmin", "SecurityAdmin"}, "App": {"ContentAdmin", "DeploymentAdmin", "SecurityAdmin"},
         "App.Object": {"ContentAdmin", "SecurityAdmin"}, "ReloadTask": {"ContentAdmin", "DeploymentAdmin"},
         "ServerNodeConfiguration": {"DeploymentAdmin"}, "ProxyService": {"DeploymentAdmin", "SecurityAdmin"},
         "Certificates": {"DeploymentAdmin", "SecurityAdmin"}, "Extension": {"ContentAdmin"}}
ROLES = {"AuditAdmin": "CORP\\ada", "ContentAdmin": "CORP\\cora", "DeploymentAdmin": "CORP\\dev",
         "SecurityAdmin": "CORP\\sam", "HubAdmin": "CORP\\hub", "RootAdmin": "CORP\\root"}


def test_the_scenario_holds():
    result = run_checks(load_scenario(SCENARIO))
    assert result.failed == 0, [r.explanation for r in result.results if not r.passed]
    assert result.passed == 14


def test_each_default_role_reads_the_sections_the_table_gives_it():
    site = load_scenario(SCENARIO)
    for section, readers in TABLE.items():
        for role, user in ROLES.items():
            expected = role in readers or role == "RootAdmin"  # "The RootAdmin has access to all QMC sections"
            got = decide(site, f"qmc_section:{section}", "read", user, context="qmc").allowed
            assert got == expected, (section, role)


def test_qmc_sections_are_audited_on_request():
    site = load_scenario(SCENARIO)
    default = audit(site, context="qmc")
    assert not any(r.startswith("qmc_section:") for r in default.resources)
    sections = audit(site, context="qmc", kinds=["qmc_section"])
    cells = {(c["user"], c["resource"]) for c in sections.to_dict()["cells"]}
    assert ("CORP\\ari", "qmc_section:App") in cells and ("CORP\\amy", "qmc_section:App") not in cells


def test_audit_cli_type_qmc_section(capsys):
    assert main(["audit", str(SCENARIO), "--type", "qmc_section", "--context", "qmc", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(c["resource"] == "qmc_section:SystemRule" and c["user"] == "CORP\\sam" for c in out["cells"])


def test_a_section_is_a_transient_object_named_qmcsection():
    # AuditAdmin: !(resource.resourcetype = "TransientObject" and resource.name like "QmcSection_*")
    section = load_scenario(SCENARIO).find_resource("qmc_section:App")
    assert section.get("resourcetype") == ["TransientObject"] and section.get("name") == ["QmcSection_App"]


def test_license_prefix_filters_select_license_sections():
    # DeploymentAdminQmcSections names QmcSection_License* (the page lists QmcSection_License.UserAccessType)
    site = load_scenario(SCENARIO)
    assert decide(site, "qmc_section:License.UserAccessType", "read", "CORP\\dev", context="qmc").allowed
    assert not decide(site, "qmc_section:License.UserAccessType", "read", "CORP\\cora", context="qmc").allowed
