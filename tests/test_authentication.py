"""The authentication phase: the virtual proxy decides who the requester is. Facts
(reference/qlik-licensing-proxy-cloud.md §3):
- "No anonymous user: Users must supply user identity and credentials." / "Allow anonymous user:
  Users enter as anonymous but can switch and log in with a user account." / "Select Always
  anonymous user if all users always are to be anonymous."
  https://help.qlik.com/en-US/sense-admin/November2024/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/edit-virtual-proxy.htm
  https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/anonymous-authentication.htm
- "Users who access Qlik Sense anonymously are identified as NONE\\anonymousd9e61933-...,
  where the GUID is a unique identifier." https://support.qlik.com/articles/000035663
- "Session inactivity timeout (minutes)" default "30 minutes" (edit-virtual-proxy, above).
- inactive users: "Your account is inactive. Contact your administrator to activate it."
  https://help.qlik.com/en-US/sense-admin/February2021/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Troubleshooting_QSEoW/ServerLogTroubleshoot-Repository-Open-App.htm
  and "Removed externally" users are inactivated:
  https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/inactivate-users.htm
"""
import json
import re
import uuid

import pytest

from qsplay.cli import main
from qsplay.engine import engine_for, make_request
from qsplay.engine.authentication import INACTIVE_MESSAGE

from .conftest import site_from

SITE = """
qsplay: 1
name: authentication test
license: {key: signed, analyzer_capacity_minutes: 6000}
user_directories: [{name: ACME}]
users:
  - {directory: ACME, id: ann}
  - {directory: ACME, id: ina, inactive: true}
  - {directory: ACME, id: bob, blacklisted: true}
  - {directory: ACME, id: rex, removed_externally: true}
virtual_proxies:
  - {prefix: "", anonymous: none}
  - {prefix: guest, anonymous: allow, authentication: saml, session_timeout_minutes: 10}
  - {prefix: kiosk, anonymous: always, authentication: header}
license_rules:
  - {name: everyone, type: analyzer_capacity, condition: ""}
"""
ANON = re.compile(r"^NONE\\anonymous[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def site():
    return site_from(SITE)


def decide(site, user, proxy="", state=None, engine=None):
    engine = engine or engine_for(site)
    return engine.decide(make_request("stream:Everyone", "read", user, proxy), state or engine.new_state())


def test_no_anonymous_user_asks_for_credentials(site):
    d = decide(site, "anonymous", "")
    assert d.denied_by == "authentication" and d.identity.outcome == "refused"
    assert "must supply user identity and credentials" in d.identity.message
    assert d.license is None and d.security is None  # later phases do not run


def test_a_signed_in_user_keeps_their_identity_on_each_mode(site):
    assert decide(site, "ACME\\ann", "").identity.user.qualified == "ACME\\ann"
    d = decide(site, "ACME\\ann", "guest")  # allow: can switch and log in with a user account
    assert d.identity.user.qualified == "ACME\\ann" and not d.identity.anonymous


def test_allow_lets_a_visitor_in_as_none_anonymous_guid(site):
    d = decide(site, "anonymous", "guest")
    user = d.identity.user
    assert d.identity.outcome == "anonymous" and d.identity.anonymous
    assert ANON.match(user.qualified) and user.directory == "NONE"
    assert user.get("userDirectory") == ["NONE"]
    assert d.allowed and d.access_type == "analyzer_capacity"


def test_always_makes_everyone_anonymous(site):
    d = decide(site, "ACME\\ann", "kiosk")
    assert d.identity.anonymous and ANON.match(d.identity.user.qualified)
    assert any("Always anonymous user" in s.text for s in d.steps)


def test_one_stable_identity_per_named_visitor(site):
    first = decide(site, "anonymous:v1", "guest").identity.user.qualified
    again = decide(site, "anonymous:v1", "guest").identity.user.qualified
    other = decide(site, "anonymous:v2", "guest").identity.user.qualified
    assert first == again != other
    uuid.UUID(first.split("anonymous", 1)[1])  # a real GUID


@pytest.mark.parametrize("user, why", [("ACME\\ina", "inactive"), ("ACME\\bob", "blocked"),
                                       ("ACME\\rex", "removed externally")])
def test_inactive_blocked_and_removed_users_are_refused_with_qliks_words(site, user, why):
    d = decide(site, user)
    assert d.denied_by == "authentication"
    assert d.identity.message == INACTIVE_MESSAGE == "Your account is inactive. Contact your administrator to activate it."
    assert any(why in s.text for s in d.steps if s.phase == "authentication")


def test_the_proxy_records_method_and_inactivity_timeout(site):
    d = decide(site, "anonymous", "guest")
    identity = d.to_dict()["identity"]
    assert identity["authentication"] == "saml" and identity["session_timeout_minutes"] == 10
    assert identity["anonymous_mode"] == "allow" and identity["proxy"] == "guest"
    assert decide(site, "ACME\\ann", "").to_dict()["identity"]["session_timeout_minutes"] == 30  # Qlik's default


def test_an_unknown_proxy_is_refused(site):
    d = decide(site, "ACME\\ann", "nowhere")
    assert d.denied_by == "authentication" and "No virtual proxy" in d.identity.message


def test_the_session_uses_the_proxys_inactivity_timeout(site):
    from datetime import timedelta
    engine = engine_for(site)
    state = engine.new_state()
    decide(site, "anonymous", "guest", state, engine)
    assert state.sessions[0].timeout == timedelta(minutes=10)


def test_decide_json_fills_identity_and_license(tmp_path, capsys):
    path = tmp_path / "site.yaml"
    path.write_text(SITE)
    code = main(["decide", str(path), "--user", "anonymous", "--proxy", "guest", "--resource",
                 "stream:Everyone", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["identity"]["outcome"] == "anonymous" and data["identity"]["anonymous"] is True
    assert data["license"] == {**data["license"], "granted": True, "access_type": "analyzer_capacity",
                               "rule": "everyone", "message": None}
    code = main(["decide", str(path), "--user", "ACME\\ina", "--resource", "stream:Everyone", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["denied_by"] == "authentication" and data["license"] is None and data["security"] is None
    assert data["identity"]["message"] == INACTIVE_MESSAGE


def test_a_zero_inactivity_timeout_is_rejected_with_its_location():
    from qsplay.scenario import ScenarioError, load_scenario_text
    with pytest.raises(ScenarioError) as err:
        load_scenario_text("qsplay: 1\nname: t\nvirtual_proxies:\n  - {prefix: x, session_timeout_minutes: 0}\n", "p.yaml")
    problem = err.value.problems[0]
    assert (problem.file, problem.line, problem.col) == ("p.yaml", 4, 42)
    assert "session_timeout_minutes must be at least 1, not 0" in problem.message
