"""Rule shapes found in public rule collections whose outcome Qlik does not document: each has a
named reading (semantics), a note in the trace and a lint finding that says what Qlik may do.

Documented anchors: `resource.owner = user` compares objects (rules-is-owned, Aug 2022,
https://help.qlik.com/en-US/sense-admin/August2022/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/rules-is-owned.htm);
resource filter forms Type_<guid>, Type_* and Type* (define-resource-filters, Aug 2022,
https://help.qlik.com/en-US/sense-admin/August2022/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/define-resource-filters.htm);
`like` with * (operator-like, https://help.qlik.com/en-us/sense/2.2/Subsystems/ManagementConsole/Content/operator-like.htm);
Empty() "returns True if the specified resource has no connections (that is, has no value)"
(rules-empty, May 2023, https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/rules-empty.htm).
"""
import pytest

from qsplay.explain.lint import lint

from .conftest import decide, site_from

SITE = """
qsplay: 1
name: shapes
default_rules: false
{semantics}
license: {{professional: 3}}
user_directories: [{{name: CORP}}]
users:
  - {{directory: CORP, id: ann, name: Ann, access: [professional]}}
  - {{directory: CORP, id: bo, name: Bo, access: [professional]}}
streams: [{{name: Sales, owner: CORP\\ann}}]
security_rules:
  - name: shape
    resource_filter: "{filter}"
    actions: [read]
    condition: '{condition}'
"""


def site(condition, filter="Stream_*", semantics=""):
    return site_from(SITE.format(condition=condition, filter=filter,
                                 semantics=f"semantics: {{{semantics}}}" if semantics else ""))


def codes(s):
    return {f.code for f in lint(s)}


@pytest.mark.parametrize("reading, ann, bo", [("qualified", False, False), ("id", False, False),
                                              ("name", True, False)])
def test_owner_compared_with_text_is_a_named_reading(reading, ann, bo):
    s = site("resource.owner = user.name", semantics=f"entity_text: {reading}")
    assert decide(s, "stream:Sales", "read", "CORP\\ann").allowed is ann
    assert decide(s, "stream:Sales", "read", "CORP\\bo").allowed is bo


def test_owner_compared_with_text_is_noted_and_linted():
    s = site("resource.owner = user.userId")
    d = decide(s, "stream:Sales", "read", "CORP\\ann")
    notes = [n for e in d.security.evaluations if e.trace for n in e.trace.notes]
    assert any("entity_text=qualified" in n and "UNCONFIRMED" in n for n in notes)
    assert "entity-compared-with-text" in codes(s)
    assert "entity-compared-with-text" not in codes(site("resource.owner = user"))  # documented


def test_qualified_reading_matches_directory_and_user_id():
    s = site('resource.owner = "CORP\\\\ann"')
    assert decide(s, "stream:Sales", "read", "CORP\\ann").allowed


def test_empty_text_on_a_missing_attribute_is_linted_with_empty():
    s = site('user.@Department = ""')
    assert decide(s, "stream:Sales", "read", "CORP\\ann").allowed  # missing_property=empty reads it as ""
    finding = next(f for f in lint(s) if f.code == "empty-text-compare")
    assert "Empty()" in finding.fix


def test_other_roots_have_no_value_and_are_linted():
    for root in ("node", "app", "stream"):
        s = site(f'{root}.name = "Sales"')
        assert not decide(s, "stream:Sales", "read", "CORP\\ann").allowed
        assert "unknown-root" in codes(s)


def test_bare_type_filter_selects_that_type_and_is_linted():
    s = site("true", filter="Stream")
    assert decide(s, "stream:Sales", "read", "CORP\\ann").allowed
    assert "bare-type-filter" in codes(s)


@pytest.mark.parametrize("reading, allowed", [("nothing", False), ("every", True)])
def test_type_without_id_is_a_named_reading(reading, allowed):
    s = site("true", filter="Stream_", semantics=f"empty_id_filter: {reading}")
    d = decide(s, "stream:Sales", "read", "CORP\\ann")
    assert d.allowed is allowed
    assert "filter-without-id" in codes(s)
    if reading == "nothing":
        assert any("has a type and no id" in n for n in d.security.notes)


def test_like_star_is_everyone_and_linted():
    s = site('user.name like "*"')
    assert decide(s, "stream:Sales", "read", "CORP\\bo").allowed
    assert "like-star" in codes(s)
