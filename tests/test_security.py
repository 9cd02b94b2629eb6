"""Security evaluation: additive grant-only rules, filters, actions, contexts, disabled rules and
HasPrivilege chains.

Sources: qlik-security-rules.md §2–§3 — "All security rules are inclusive by nature, that is, you
always grant users access ... you never create a rule to deny users access"; "If at least one rule
evaluates to True ... access ... If no rules evaluate to True then the user will be denied access";
resource filter syntax (`*`, `App*`, `App_*`, `Stream_<guid>`); contexts Both / Only in hub / Only in
QMC; "Disabled: ... The effect of disabled rules can still be evaluated using the preview or the
audit tool"; HasPrivilege ("Streams > Apps > App.Objects", KB 000046126).
"""
import pytest

from qsplay.rules import parse_filter
from qsplay.rules.filters import FilterError

from .conftest import decide, site_from

BASE = """
qsplay: 1
name: security test site
default_rules: false
license: {professional: 10}
user_directories: [{name: CORP}]
users:
  - {directory: CORP, id: ann, groups: [Sales, EMEA], access: [professional]}
  - {directory: CORP, id: ben, groups: [Finance], access: [professional]}
streams:
  - {name: Sales}
  - {name: Finance}
apps:
  - {name: Pipeline, stream: Sales, owner: CORP\\ben}
  - {name: Ledger, stream: Finance, owner: CORP\\ben}
objects:
  - {name: Deals, app: Pipeline, type: sheet, published: true, approved: true}
security_rules:
"""


def site_with(rules: str):
    return site_from(BASE + rules)


def test_default_deny_without_rules():
    site = site_with("  []")
    d = decide(site, "stream:Sales", user="CORP\\ann")
    assert d.decision == "deny" and d.denied_by == "security"
    assert d.security.granting_rules == []


def test_additive_any_true_rule_grants():
    site = site_with("""
  - {name: Nobody, resource_filter: Stream_*, actions: [read], condition: 'user.group = "HR"'}
  - {name: Sales readers, resource_filter: Stream_*, actions: [read], condition: 'user.group = "Sales" and resource.name = "Sales"'}
  - {name: EMEA readers, resource_filter: Stream_*, actions: [read], condition: 'user.group = "EMEA"'}
""")
    d = decide(site, "stream:Sales", user="CORP\\ann")
    assert d.allowed
    assert d.security.granting_rules == ["Sales readers", "EMEA readers"]
    assert decide(site, "stream:Sales", user="CORP\\ben").decision == "deny"


def test_action_must_be_in_the_rule():
    site = site_with("""
  - {name: Readers, resource_filter: Stream_*, actions: [read], condition: ''}
""")
    assert decide(site, "stream:Sales", "read", user="CORP\\ann").allowed
    d = decide(site, "stream:Sales", "publish", user="CORP\\ann")
    assert not d.allowed
    assert d.security.evaluations[0].status == "action"


@pytest.mark.parametrize("context, hub, qmc", [("hub", True, False), ("qmc", False, True), ("both", True, True)])
def test_contexts(context, hub, qmc):
    site = site_with(f"""
  - {{name: R, resource_filter: Stream_*, actions: [read], context: {context}}}
""")
    assert decide(site, "stream:Sales", user="CORP\\ann", context="hub").allowed is hub
    assert decide(site, "stream:Sales", user="CORP\\ann", context="qmc").allowed is qmc


def test_disabled_rule_grants_nothing_but_is_shown_with_what_it_would_do():
    site = site_with("""
  - {name: Off, resource_filter: Stream_*, actions: [read], condition: 'user.group = "Sales"', disabled: true}
""")
    d = decide(site, "stream:Sales", user="CORP\\ann")
    assert not d.allowed
    ev = d.security.evaluations[0]
    assert ev.status == "disabled" and ev.would_grant is True


@pytest.mark.parametrize("filter_text, stream, app, obj", [
    ("*", True, True, True),
    ("App*", False, True, True),          # "App* will apply the rule to ... App and App.Object"
    ("App_*", False, True, False),        # "App_* will apply the rule to all apps"
    ("App.Object_*", False, False, True),
    ("Stream_*", True, False, False),
    ("Stream*, App_*", True, True, False),
    (" Stream_* ,App.Object_*", True, False, True),  # stray spaces, as in real QRS exports
])
def test_resource_filters(filter_text, stream, app, obj):
    site = site_with(f"""
  - {{name: R, resource_filter: '{filter_text}', actions: [read]}}
""")
    assert decide(site, "stream:Sales", user="CORP\\ann").allowed is stream
    assert decide(site, "app:Pipeline", user="CORP\\ann").allowed is app
    assert decide(site, "object:Pipeline/Deals", user="CORP\\ann").allowed is obj


def test_filter_naming_one_resource_by_id():
    site = site_with("")
    sales = site.find_resource("stream:Sales")
    f = parse_filter(f"Stream_{sales.id}")
    assert f.matches("Stream", sales.id)
    assert not f.matches("Stream", site.find_resource("stream:Finance").id)
    assert parse_filter(f"stream_{sales.id.upper()}").matches("Stream", sales.id)  # case-insensitive


def test_bad_filters():
    with pytest.raises(FilterError):
        parse_filter("")
    with pytest.raises(FilterError):
        parse_filter("Stream_*,,App_*")


def test_has_privilege_chains_stream_app_sheet():
    # the default Stream rule's shape: apps readable when their stream is; published objects when
    # their app's stream is (KB 000046126)
    site = site_with("""
  - {name: Sales stream, resource_filter: Stream_*, actions: [read], condition: 'resource.name = "Sales" and user.group = "Sales"'}
  - name: Stream
    resource_filter: App*
    actions: [read]
    condition: >-
      (resource.resourcetype = "App" and resource.stream.HasPrivilege("read")) or
      (resource.resourcetype = "App.Object" and resource.published = "true" and resource.app.stream.HasPrivilege("read"))
""")
    assert decide(site, "app:Pipeline", user="CORP\\ann").allowed
    assert decide(site, "object:Pipeline/Deals", user="CORP\\ann").allowed
    assert not decide(site, "app:Ledger", user="CORP\\ann").allowed
    d = decide(site, "app:Pipeline", user="CORP\\ann")
    call = d.security.evaluations[0].trace.children[0].children[1]
    assert call.kind == "call" and call.nested[0].resource == "stream:Sales" and call.nested[0].allowed


def test_has_privilege_cycle_counts_as_not_granted():
    site = site_with("""
  - {name: Loop, resource_filter: App_*, actions: [read], condition: 'resource.HasPrivilege("read")'}
""")
    d = decide(site, "app:Pipeline", user="CORP\\ann")
    assert not d.allowed
    nested = d.security.evaluations[0].trace.nested[0]
    assert "cycle" in nested.notes[0]


def test_rule_that_fails_to_evaluate_grants_nothing():
    site = site_from(BASE.replace("default_rules: false", "default_rules: false\nsemantics: {missing_property: fail}") + """
  - {name: Shoe, resource_filter: Stream_*, actions: [read], condition: 'user.shoeSize = "42"'}
  - {name: All, resource_filter: Stream_*, actions: [read], condition: 'resource.name = "Sales"'}
""")
    d = decide(site, "stream:Sales", user="CORP\\ann")
    assert d.allowed and d.security.granting_rules == ["All"]
    assert d.security.evaluations[0].status == "failed"
