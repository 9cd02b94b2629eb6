"""Scenario files: the contract's format, and located errors for bad input (contract §1: "a
scenario that does not load names the file, the line and column, and what is wrong ... Unknown
keys are errors, with the nearest known key suggested")."""
import pytest

from qsplay.scenario import ScenarioError, load_scenario, load_scenario_text

from .conftest import ROOT, SHARED


def problems(text):
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "bad.yaml")
    return err.value.problems


def test_the_contract_example_loads():
    # the contract's own example, as a file
    site = load_scenario(ROOT / "tests" / "data" / "contract-example.yaml")
    assert site.find_user("CORP\\alice").groups == ["Sales"]
    assert site.find_resource("stream:Everyone").properties == {"Audience": ["Public"]}
    assert site.find_security_rule("Stream").disabled  # overrides the preinstalled rule
    assert site.find_security_rule("Stream").resource_filter == "App*"  # the rest is kept
    assert site.checks[0].request.proxy == "public"


def test_condition_error_is_located_in_the_file():
    text = """qsplay: 1
name: x
security_rules:
  - name: one
    resource_filter: Stream_*
    actions: [read]
    condition: user.group like user.name
"""
    (p,) = problems(text)
    assert (p.file, p.line, p.col, p.path) == ("bad.yaml", 7, 32, "security_rules[0].condition")
    assert "expected a string after 'like'" in p.message
    assert str(p).startswith("bad.yaml: security_rules[0].condition: line 7, col 32: expected a string")
    assert str(p).splitlines()[-1].index("^") - 4 == 31


def test_condition_error_in_a_block_scalar():
    text = """qsplay: 1
name: x
security_rules:
  - name: one
    resource_filter: Stream_*
    actions: [read]
    condition: |
      user.group = "A" and
      (resource.name = "B"
"""
    (p,) = problems(text)
    assert (p.line, p.col) == (9, 27)
    assert "expected ')'" in p.message


def test_unknown_key_suggests_the_nearest():
    (p,) = problems("qsplay: 1\nname: x\nusers:\n  - {directory: CORP, id: a, grups: [Sales]}\n")
    assert (p.line, p.col) == (4, 30)
    assert "did you mean 'groups'" in p.message


def test_many_problems_reported_together():
    text = """qsplay: 1
name: x
license: {professional: -1, key: sined}
virtual_proxies:
  - {prefix: Public, anonymous: sometimes}
security_rules:
  - {name: r, resource_filter: Stream_*, actions: [reed]}
"""
    ps = problems(text)
    messages = " | ".join(p.message for p in ps)
    assert "cannot be negative" in messages
    assert "did you mean 'signed'" in messages
    assert "lower-case" in messages
    assert "anonymous must be one of none, allow, always" in messages
    assert "did you mean 'read'" in messages
    assert [p.line for p in ps] == sorted(p.line for p in ps)


def test_references_must_exist():
    text = """qsplay: 1
name: x
users: [{directory: CORP, id: alice}]
apps: [{name: A, owner: CORP\\alcie, stream: Nowhere}]
checks:
  - {name: c, request: {user: CORP\\bob, resource: "app:B"}, expect: allow}
"""
    ps = problems(text)
    msgs = [p.message for p in ps]
    assert any("did you mean 'CORP\\alice'" in m for m in msgs)
    assert any("no stream 'Nowhere'" in m for m in msgs)
    assert any("no user 'CORP\\bob'" in m for m in msgs)
    assert any("no app 'B'" in m for m in msgs)


def test_allocations_cannot_exceed_the_licence():
    # "Allocate is disabled if the number of licenses available for allocation is insufficient"
    text = """qsplay: 1
name: x
license: {professional: 1}
users:
  - {directory: C, id: a, access: [professional]}
  - {directory: C, id: b, access: [professional]}
"""
    (p,) = problems(text)
    assert "2 users have professional access allocated but the licence provides 1" in p.message


def test_invalid_yaml_is_located():
    (p,) = problems("qsplay: 1\nname: x\nusers: [ {directory: C\n")
    assert p.line >= 3 and "not valid YAML" in p.message


def test_missing_file():
    with pytest.raises(ScenarioError) as err:
        load_scenario("/nonexistent/site.yaml")
    assert "cannot read the file" in str(err.value)


def test_lenient_load_keeps_bad_rules_for_the_linter():
    text = """qsplay: 1
name: x
default_rules: false
security_rules:
  - {name: broken, resource_filter: Stream_*, actions: [read], condition: 'user.group = '}
"""
    site = load_scenario_text(text, "x.yaml", lenient=True)
    rule = site.find_security_rule("broken")
    assert rule.parsed is None and rule.parse_error is not None


def test_commas_in_a_flow_mapping_name_are_mended_with_a_warning():
    text = ('qsplay: 1\nname: x\nusers: [{directory: C, id: a}]\nstreams: [{name: S}]\n'
            'checks:\n  - {name: one, two, three, request: {user: C\\a, resource: "stream:S"}, expect: deny}\n')
    site = load_scenario_text(text, "x.yaml")
    assert site.checks[0].name == "one, two, three"
    assert "quote it" in site.extra["warnings"][0]


@pytest.mark.skipif(not (SHARED / "conformance").exists(), reason="shared conformance not present")
def test_conformance_files_load():
    for path in sorted((SHARED / "conformance").glob("*.yaml")):
        load_scenario(path)
