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
    assert str(err.value) == "/nonexistent/site.yaml: no such file"


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


# -- hostile and careless files (docs/hardening.md) ------------------------------------------------
import pytest  # noqa: E402

from qsplay.scenario import ScenarioError as _ScenarioError, load_scenario_text as _load  # noqa: E402


def _problems(text: str) -> list:
    with pytest.raises(_ScenarioError) as info:
        _load(text, "site.yaml")
    return info.value.problems


def test_duplicate_users_and_ids_are_located():
    problems = _problems("name: x\nusers:\n  - {directory: CORP, id: a}\n  - {directory: CORP, id: a}\n"
                         "streams:\n  - {name: S, id: 11111111-1111-1111-1111-111111111111}\n"
                         "  - {name: T, id: 11111111-1111-1111-1111-111111111111}\n")
    assert [(p.line, "already") for p in problems if "already" in p.message] == [(4, "already"), (7, "already")]


def test_a_python_tag_constructs_nothing_and_is_refused():
    (problem,) = _problems("name: x\nusers: !!python/object/apply:os.system ['echo hacked']\n")
    assert (problem.line, problem.col) == (2, 8) and "!!python/object/apply:os.system" in problem.message


def test_an_unquoted_condition_beginning_with_bang_is_explained():
    """YAML reads `!user.IsAnonymous()` as a tag and the condition as empty, which would make the rule
    grant to everyone; the loader says to quote it."""
    (problem,) = _problems("name: x\nsecurity_rules:\n  - name: r\n    resource_filter: Stream_*\n"
                           "    actions: [read]\n    condition: !user.IsAnonymous()\n")
    assert problem.line == 6 and 'condition: "!user.IsAnonymous()"' in problem.message


def test_an_alias_bomb_is_refused_before_it_expands():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (problem,) = _problems("\n".join(lines) + "\nname: *i\n")
    assert "alias" in problem.message and problem.line <= 9


def test_moderate_aliases_still_work():
    site = _load("qsplay: 1\nname: x\nusers:\n  - &ann {directory: CORP, id: ann, groups: [Sales]}\n"
                 "streams:\n  - {name: S, owner: CORP\\ann}\n", "site.yaml")
    assert site.streams[-1].owner.user_id == "ann"


def test_bidi_override_characters_are_refused_where_they_are():
    (problem,) = _problems("name: x\nusers:\n  - {directory: CORP, id: \"adm\u202enimda\"}\n")
    assert (problem.line, problem.col) == (3, 31) and "U+202E" in problem.message


def test_deep_nesting_is_refused_not_a_recursion_error():
    (problem,) = _problems("name: x\nusers: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in problem.message and problem.line == 2


def test_a_mapping_as_a_key_is_located():
    (problem,) = _problems("name: x\n? {a: b}\n: c\n")
    assert problem.line == 2 and "cannot be a key" in problem.message
    (problem,) = _problems("name: x\nusers:\n  ? - {directory: CORP, id: a}\n  : 1\n")
    assert problem.line == 3 and "cannot be a key" in problem.message
