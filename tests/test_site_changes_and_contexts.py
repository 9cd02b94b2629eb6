"""Check steps that change the site; when the licence is checked (hub vs QMC); switching anonymous
access on in Qlik Cloud. Each expectation cites its page (the scenarios' descriptions quote them)."""
import pytest

from qsplay.engine import run_checks
from qsplay.scenario import ScenarioError, load_scenario

from .conftest import ROOT, decide, site_from


@pytest.mark.parametrize("name, checks", [("sequence-rule-changes.yaml", 8), ("licence-qmc-without-access-pass.yaml", 8)])
def test_scenarios_hold(name, checks):
    result = run_checks(load_scenario(ROOT / "scenarios" / name))
    assert result.failed == 0 and result.passed == checks, [r.explanation for r in result.results if not r.passed]


def test_deleting_a_user_access_rule_keeps_the_passes_it_allocated():
    # help, Deleting user access rule: "these tokens will not automatically be unallocated"
    result = run_checks(load_scenario(ROOT / "scenarios" / "sequence-rule-changes.yaml"))
    kept = result.results[1]
    assert kept.passed and kept.decision.access_type == "user_access"
    assert any("stays allocated" in e for e in result.events)


def test_steps_change_a_copy_not_the_loaded_site():
    site = load_scenario(ROOT / "scenarios" / "sequence-rule-changes.yaml")
    run_checks(site)
    assert not site.find_security_rule("Field reports readers").disabled
    assert "Field staff get user access passes" in [r.name for r in site.license_rules]
    assert site.find_user("CORP\\una")


def test_a_read_only_rule_cannot_be_deleted():
    # Security rules included in Qlik Sense: "The Read only rules ... cannot be edited or deleted"
    site = site_from("""
        qsplay: 1
        name: read only
        checks:
          - delete_rule: Content library content
    """)
    result = run_checks(site)
    assert result.failed == 1 and "Read only" in result.results[0].explanation


def test_a_step_naming_an_unknown_rule_is_a_located_error():
    with pytest.raises(ScenarioError) as err:
        site_from("qsplay: 1\nname: x\nchecks:\n  - disable_rule: Nope\n")
    assert "checks[0].disable_rule" in str(err.value) and "line 4" in str(err.value)


def test_qmc_needs_no_access_pass_and_the_trace_says_why():
    site = load_scenario(ROOT / "scenarios" / "licence-qmc-without-access-pass.yaml")
    d = decide(site, "app:Budget", "update", "CORP\\root", context="qmc")
    assert d.allowed and d.access_type is None
    assert any("The QMC needs no access pass" in s.text and "occurs when you access the hub" in s.text
               for s in d.steps)


def test_qmc_access_pass_is_a_named_option(tmp_path):
    text = (ROOT / "scenarios" / "licence-qmc-without-access-pass.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("now:", "semantics: {qmc_access_pass: needed}\nnow:", 1))
    d = decide(load_scenario(path), "app:Budget", "update", "CORP\\root", context="qmc")
    assert not d.allowed and d.denied_by == "license"


CLOUD = """
qsplay: 1
name: anonymous toggle
platform: cloud
tenant:
  subscription: {subscription}
  user_default: {{public_link_creation: allowed}}
license: {{professional: 2}}
user_directories: [{{name: ACME}}]
users:
  - {{directory: ACME, id: olga, access: [professional]}}
spaces:
  - {{name: Public data, type: managed, owner: ACME\\olga}}
apps:
  - {{name: Market data, space: Public data, owner: ACME\\olga{extra}}}
"""


def test_switching_anonymous_access_on_needs_the_subscription_at_that_moment():
    # Sharing app content with anonymous access: it "is only available with a Qlik Anonymous Access
    # subscription" - https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Share/share-anonymous-access.htm
    standard = site_from(CLOUD.format(subscription="standard", extra=""))
    d = decide(standard, "app:Market data", "toggle_anonymous_access", "ACME\\olga")
    assert not d.allowed and d.denied_by == "security"
    assert any("Qlik Anonymous Access subscription" in s.text for s in d.steps)
    subscribed = site_from(CLOUD.format(subscription="anonymous_access", extra=""))
    assert decide(subscribed, "app:Market data", "toggle_anonymous_access", "ACME\\olga").allowed


def test_switching_it_off_needs_no_subscription():
    on = site_from(CLOUD.format(subscription="standard", extra=", anonymous_access: true, access_code: K7QX2"))
    assert decide(on, "app:Market data", "toggle_anonymous_access", "ACME\\olga").allowed
