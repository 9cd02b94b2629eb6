"""The licence phase on the simulated clock. Facts (reference/qlik-licensing-proxy-cloud.md):
- access types and who may have them: "User-based licenses ... do not support anonymous
  authentication"; analyzer capacity "requires a signed license key"; login passes are for
  "identified or anonymous" users, user access passes for identified users only;
- analyzer capacity: "units of six minutes. For each new six-minute period, a unit is consumed";
  reset "0:00 UTC time on the first day of the calendar month";
- login access: "1 token = 10 Login Access Passes", "maximum of 60 continuous minutes", "another
  login access pass is used", "Passes are released every 28 days";
- "The maximum number of parallel user connections ... is five (5)";
- sessions end after the virtual proxy's "Session inactivity timeout (minutes)" (default 30).
"""
from datetime import timedelta

import pytest

from qsplay.engine import engine_for, make_request
from qsplay.engine.licensing import NO_ACCESS_PASS, TOO_MANY_SESSIONS, deallocate
from qsplay.scenario import ScenarioError, load_scenario_text

from .conftest import site_from

BASE = """
qsplay: 1
name: licence test
now: 2026-11-02T09:00:00Z
license: {license}
user_directories: [{{name: ACME}}]
users:
  - {{directory: ACME, id: ann, groups: [Staff]{ann}}}
  - {{directory: ACME, id: ben, groups: [Staff]}}
virtual_proxies:
  - {{prefix: "", anonymous: allow, session_timeout_minutes: 30}}
license_rules:
{rules}
"""


def make(license="{key: signed}", rules="  []", ann=""):
    site = site_from(BASE.format(license=license, rules=rules, ann=ann))
    engine = engine_for(site)
    return site, engine, engine.new_state()


def ask(engine, state, user="ACME\\ann", at=None, session=None):
    return engine.decide(make_request("stream:Everyone", "read", user, at=at, session=session), state)


def test_allocated_access_is_used_first():
    site, engine, state = make("{key: signed, professional: 1, analyzer: 1}",
                               "  - {name: a, type: analyzer, condition: 'user.group = \"Staff\"'}",
                               ann=", access: [professional]")
    d = ask(engine, state)
    assert d.access_type == "professional"
    assert d.license.attempts[0] == {"access_type": "professional", "applied": True, "code": "allocated",
                                     "reason": "ACME\\ann has professional access allocated", "rule": None}


@pytest.mark.parametrize("rule_type, license, expected", [
    ("professional", "{key: signed, professional: 1}", "professional"),
    ("analyzer", "{key: signed, analyzer: 1}", "analyzer"),
    ("analyzer_capacity", "{key: signed, analyzer_capacity_minutes: 60}", "analyzer_capacity"),
    ("user_access", "{key: serial, tokens: 1}", "user_access"),
])
def test_each_access_type_by_rule(rule_type, license, expected):
    site, engine, state = make(license, f"  - {{name: r, type: {rule_type}, condition: 'user.group = \"Staff\"'}}")
    assert ask(engine, state).access_type == expected


def test_login_access_by_group():
    site, engine, state = make("{key: serial, tokens: 1}",
                               "  - {name: g, type: login_access, tokens: 1, condition: 'user.group = \"Staff\"'}")
    d = ask(engine, state)
    assert d.access_type == "login_access" and state.passes_used("g") == 1


def test_order_professional_then_analyzer_then_capacity_then_tokens():
    rules = "\n".join(f"  - {{name: {t}, type: {t}, condition: 'user.group = \"Staff\"'}}"
                      for t in ("user_access", "analyzer_capacity", "analyzer", "professional"))
    site, engine, state = make("{key: signed, professional: 1, analyzer: 1, analyzer_capacity_minutes: 60, tokens: 5}",
                               rules)
    assert ask(engine, state, "ACME\\ann").access_type == "professional"
    assert ask(engine, state, "ACME\\ben").access_type == "analyzer"
    tried = [a["access_type"] for a in ask(engine, state, "ACME\\ann", session="x").license.attempts]
    assert tried == ["professional"]


def test_pool_runs_out_with_the_reason():
    site, engine, state = make("{key: signed, analyzer: 1}",
                               "  - {name: a, type: analyzer, condition: 'user.group = \"Staff\"'}")
    assert ask(engine, state, "ACME\\ann").allowed
    d = ask(engine, state, "ACME\\ben")
    assert d.denied_by == "license" and d.license.message == NO_ACCESS_PASS
    reasons = {a["access_type"]: a["reason"] for a in d.license.attempts}
    assert "all 1 analyzer allocations are in use" in reasons["analyzer"]
    assert set(reasons) == {"professional", "analyzer", "analyzer_capacity", "user_access", "login_access"}


def test_anonymous_only_capacity_or_login():
    rules = "\n".join(f"  - {{name: {t}, type: {t}, condition: 'user.IsAnonymous()'}}"
                      for t in ("professional", "analyzer", "user_access"))
    site, engine, state = make("{key: signed, professional: 5, analyzer: 5, tokens: 5}", rules)
    d = ask(engine, state, "anonymous")
    assert d.denied_by == "license"
    assert all(not a["applied"] for a in d.license.attempts)
    assert "not for anonymous users" in d.license.attempts[0]["reason"]


def test_capacity_needs_a_signed_key():
    site, engine, state = make("{key: serial, analyzer_capacity_minutes: 60}",
                               "  - {name: c, type: analyzer_capacity, condition: 'user.IsAnonymous()'}")
    d = ask(engine, state, "anonymous")
    assert "needs a signed licence key" in d.license.attempts[2]["reason"]


def test_capacity_six_minute_units_and_monthly_reset():
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 30}",
                               "  - {name: c, type: analyzer_capacity, condition: 'user.IsAnonymous()'}")
    t0 = site.now
    for minutes in (0, 1, 5):  # one period
        assert ask(engine, state, "anonymous", at=t0 + timedelta(minutes=minutes)).allowed
    assert state.capacity_used() == 6
    ask(engine, state, "anonymous", at=t0 + timedelta(minutes=6))
    assert state.capacity_used() == 12
    ask(engine, state, "anonymous", at=t0 + timedelta(minutes=25))  # idle periods cost nothing
    assert state.capacity_used() == 18
    # a new month: the reset at 00:00 UTC on the 1st
    assert state.capacity_used(t0.replace(month=12, day=1, hour=0)) == 0


def test_inactivity_timeout_closes_the_session():
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 600}",
                               "  - {name: c, type: analyzer_capacity, condition: 'user.IsAnonymous()'}")
    t0 = site.now
    ask(engine, state, "anonymous", at=t0)
    assert len(state.sessions) == 1
    ask(engine, state, "anonymous", at=t0 + timedelta(minutes=29))
    assert len(state.sessions) == 1
    d = ask(engine, state, "anonymous", at=t0 + timedelta(minutes=29 + 31))
    assert any("inactive for 30 minutes" in s.text for s in d.steps)
    assert len(state.closed) == 1 and len(state.sessions) == 1  # a fresh one


def test_login_pass_sixty_minutes_and_28_day_return():
    site, engine, state = make("{key: serial, tokens: 1}",
                               "  - {name: g, type: login_access, tokens: 1, condition: 'user.IsAnonymous()'}")
    t0 = site.now
    ask(engine, state, "anonymous", at=t0)
    ask(engine, state, "anonymous", at=t0 + timedelta(minutes=25))
    ask(engine, state, "anonymous", at=t0 + timedelta(minutes=50))
    assert state.passes_used("g") == 1
    ask(engine, state, "anonymous", at=t0 + timedelta(minutes=61))  # stays past the hour
    assert state.passes_used("g") == 2
    for i in range(8):
        assert ask(engine, state, f"anonymous:v{i}").allowed
    assert state.passes_used("g") == 10
    assert ask(engine, state, "anonymous:late").denied_by == "license"
    state.advance_to(t0 + timedelta(days=28, minutes=62))
    assert state.passes_used("g") == 0
    assert ask(engine, state, "anonymous:late").allowed


def test_five_sessions_and_the_cooldown():
    site, engine, state = make("{key: signed, professional: 1}", ann=", access: [professional]")
    for b in "abcde":
        assert ask(engine, state, session=b).allowed
    d = ask(engine, state, session="f")
    assert d.license.message == TOO_MANY_SESSIONS
    from qsplay.engine.licensing import logout
    logout(state, site.find_user("ACME\\ann").key, "a")
    assert ask(engine, state, session="f").license.message == TOO_MANY_SESSIONS  # the 5-minute wait
    assert ask(engine, state, session="f", at=site.now + timedelta(minutes=5)).allowed


def test_quarantine_follows_the_semantics_choice():
    for key, choice, quarantined in [("serial", "serial_only", True), ("signed", "serial_only", False),
                                     ("signed", "always", True), ("serial", "never", False)]:
        text = BASE.format(license=f"{{key: {key}, professional: 1}}", rules="  []", ann=", access: [professional]")
        text = text.replace("license_rules:", f"semantics: {{allocation_quarantine: {choice}}}\nlicense_rules:")
        site = site_from(text)
        engine = engine_for(site)
        state = engine.new_state()
        ask(engine, state)
        message = deallocate(site, state, site.find_user("ACME\\ann").key, "ACME\\ann")
        assert ("quarantined until" in message) is quarantined, (key, choice, message)
        assert state.in_use("professional") == (1 if quarantined else 0)


def test_unused_allocation_is_released_at_once():
    site, engine, state = make("{key: serial, professional: 1}", ann=", access: [professional]")
    message = deallocate(site, state, site.find_user("ACME\\ann").key, "ACME\\ann")
    assert "released at once" in message  # never used: not in quarantine


@pytest.mark.parametrize("license, rules, fragment, line", [
    ("{key: signed, professional: -2}", "  []", "cannot be negative", 5),
    ("{key: gold}", "  []", "key must be one of signed, serial", 5),
    ("{key: signed, analyzer: many}", "  []", "should be a whole number", 5),
    ("{key: signed}", "  - {name: r, type: platinum}", "type must be one of professional", 13),
    ("{key: signed, tokens: 1}", "  - {name: r, type: login_access, tokens: 3}", "give 3 tokens", 13),
])
def test_bad_licence_data_is_located(license, rules, fragment, line):
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(BASE.format(license=license, rules=rules, ann=""), "bad.yaml")
    problem = next(p for p in err.value.problems if fragment in p.message)
    assert problem.file == "bad.yaml" and problem.line == line and problem.col > 1
