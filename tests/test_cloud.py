"""Qlik Cloud scenarios: each permission-table row used, anonymous access with access codes.

Sources: managed-space table (permissions-managed-space-prof-full): Open an app — Owner, Can manage,
Can contribute, Can view, Has restricted view, Can operate (not Can publish, Can consume data);
Publish — Owner, Can publish; Delete space / members — Owner, Can manage. Shared-space table
(permissions-shared-space-prof-full). Anonymous access (share-anonymous-access): toggling needs
"Public link creation" Allowed plus Owner or Can manage; copying links needs Owner, Can manage, Can
contribute, Can view, Has restricted view or Can operate; the access code does not expire and a
reset invalidates the old one; sessions last 15 minutes.
"""
import pytest

from qsplay.engine import engine_for, make_request
from qsplay.scenario import ScenarioError, load_scenario, load_scenario_text

from .conftest import ROOT

CLOUD = ROOT / "scenarios" / "cloud-anonymous-sharing.yaml"


@pytest.fixture(scope="module")
def site():
    return load_scenario(CLOUD)


def decide(site, user, resource, action, **env):
    engine = engine_for(site)
    return engine.decide(make_request(resource, action, user, environment=env), engine.new_state())


@pytest.mark.parametrize("user, action, allowed", [
    ("ACME\\olga", "open", True), ("ACME\\mo", "open", True), ("ACME\\vic", "open", True),   # owner, manage, view
    ("ACME\\pat", "open", False),                                                               # can publish
    ("ACME\\olga", "publish", True), ("ACME\\pat", "publish", True), ("ACME\\mo", "publish", False),
    ("ACME\\olga", "delete_app", True), ("ACME\\mo", "delete_app", True), ("ACME\\vic", "delete_app", False),
    ("ACME\\vic", "copy_link", True), ("ACME\\pat", "copy_link", False),
    ("ACME\\olga", "toggle_anonymous_access", True),   # owner + custom role allows Public link creation
    ("ACME\\mo", "toggle_anonymous_access", False),    # can manage, but the permission is not allowed
    ("ACME\\olga", "copy_embed_code", True), ("ACME\\vic", "copy_embed_code", False),
])
def test_managed_space_table(site, user, action, allowed):
    assert decide(site, user, "app:Market data", action).allowed is allowed


@pytest.mark.parametrize("user, action, allowed", [
    ("ACME\\olga", "see_space", True), ("ACME\\vic", "see_space", True), ("ACME\\tim", "see_space", False),
    ("ACME\\mo", "delete_space", True), ("ACME\\vic", "delete_space", False),
    ("ACME\\mo", "manage_members", True), ("ACME\\pat", "manage_members", False),
])
def test_space_actions(site, user, action, allowed):
    assert decide(site, user, "space:Public data", action).allowed is allowed


def test_tenant_admin_needs_a_space_role(site):
    d = decide(site, "ACME\\tim", "app:Market data", "open")
    assert d.denied_by == "security"
    assert any("TenantAdmin does not help" in s.text for s in d.steps)


def test_anonymous_access_codes(site):
    assert decide(site, "anonymous", "app:Market data", "open", eac="K7QX2").allowed
    reset = decide(site, "anonymous", "app:Market data", "open", eac="A1B2C")
    assert reset.denied_by == "authentication" and reset.identity.message == "The access code was reset."
    assert decide(site, "anonymous", "app:Market data", "open").identity.message == "No access code."
    assert decide(site, "anonymous", "app:Market data", "publish", eac="K7QX2").denied_by == "security"


def test_anonymous_needs_the_subscription():
    text = CLOUD.read_text().replace("subscription: anonymous_access", "subscription: standard")
    site = load_scenario_text(text, "x.yaml")
    d = decide(site, "anonymous", "app:Market data", "open", eac="K7QX2")
    assert d.denied_by == "authentication" and "Qlik Anonymous Access subscription" in d.identity.message


def test_cloud_errors_are_located():
    text = CLOUD.read_text().replace("roles: [can_publish]", "roles: [can_fly]")
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "bad.yaml")
    (p,) = err.value.problems
    assert "not a role of a managed space" in p.message and p.line > 1


def test_front_ends_need_no_special_casing(capsys):
    from qsplay.cli import main
    assert main(["check", str(CLOUD)]) == 0
    assert main(["decide", str(CLOUD), "--user", "anonymous", "--resource", "app:Market data", "--action", "open",
                 "--env", "eac=K7QX2", "--expect", "allow"]) == 0
    out = capsys.readouterr().out
    assert "granted by anonymous access" in out


def test_cloud_audit_lists_space_permissions(site):
    from qsplay.explain.audit import audit
    result = audit(site, include_anonymous=True)
    vic = result.cell("ACME\\vic", "app:Market data")
    assert vic.actions == ["copy_link", "open"] or set(vic.actions) == {"copy_link", "open"}
    assert "space role Can view in Public data (managed)" in vic.rules
    anonymous = [c for c in result.cells if c.user.startswith("NONE\\") and c.resource == "app:Market data"][0]
    assert set(anonymous.actions) == {"open", "select", "download"}
    assert result.cell("ACME\\tim", "app:Market data") is None  # TenantAdmin alone: nothing


def test_cloud_why_not_suggestions_are_checked(site):
    from qsplay.explain import edits as E
    from qsplay.explain.why_not import decide_fresh, why_not
    for user, action, kind in [("ACME\\tim", "open", "add_space_role"),
                               ("ACME\\mo", "reset_access_code", "allow_public_link_creation")]:
        request = make_request("app:Market data", action, user)
        first = why_not(site, request).suggestions[0]
        assert first.kind == kind and first.grants
        assert decide_fresh(E.apply_edits(site, first.edits), request).allowed
    # the least role the table needs comes first: Has restricted view opens apps
    first = why_not(site, make_request("app:Market data", "open", "ACME\\tim")).suggestions[0]
    assert "Has restricted view" in first.change


def test_cloud_graph_and_lint(tmp_path, capsys):
    from qsplay.cli import main
    from qsplay.cloud.graph import cloud_graph
    from qsplay.cloud.lint import lint
    g = cloud_graph(load_scenario(CLOUD))
    assert g.edges["rule:space role Can view in Public data (managed)", "app:Market data"]["actions"] == \
        ["copy_link", "open"]
    assert g.has_edge("space:Public data", "app:Market data")
    assert main(["graph", str(CLOUD), "--user", "ACME\\vic", "-o", str(tmp_path / "vic.svg")]) == 0
    assert 'class="node' in (tmp_path / "vic.svg").read_text()
    # Can publish alone cannot open apps in a managed space (permissions-managed-space-prof-full)
    assert [(f.code, f.rule) for f in lint(load_scenario(CLOUD))] == [("role-cannot-open", "Public data: ACME\\pat")]
    text = CLOUD.read_text().replace("user_default: {public_link_creation: not_allowed}",
                                     "user_default: {public_link_creation: allowed}")
    codes = {f.code for f in lint(load_scenario_text(text, "x.yaml"))}
    assert "public-link-for-everyone" in codes


def test_cloud_preview(capsys):
    from qsplay.cli import main
    import json
    # Can view opens apps and copies links (managed-space table; anonymous-access-app-link)
    assert main(["preview", str(CLOUD), "--space-role", "Public data", "ACME\\tim", "can_view",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    gained = {(c["resource"], tuple(sorted(c["gained"]))) for c in data["changes"]}
    assert gained == {("app:Market data", ("copy_link", "open")), ("space:Public data", ("see_space",))}
