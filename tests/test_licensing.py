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
    ("{key: signed, overage_minutes: -2}", "  []", "overage_minutes must be at least -1", 5),
    ("{key: signed, tokens: -1}", "  []", "cannot be negative", 5),
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


# -- reasons for every access type tried (LicenseResult.attempts[].code) -------------------------

def codes(decision):
    return {a["access_type"]: a["code"] for a in decision.license.attempts}


def test_every_type_tried_with_a_reason_when_nothing_applies():
    # "You cannot access Qlik Sense because you have no access pass"
    # https://community.qlik.com/t5/Support-Knowledge-Base/You-cannot-access-Qlik-Sense-because-you-have-no-access-pass/ta-p/1715138
    site, engine, state = make("{key: serial, professional: 0, analyzer: 1, analyzer_capacity_minutes: 60, tokens: 1}",
                               "\n".join(["  - {name: p, type: professional, condition: 'user.group = \"Staff\"'}",
                                          "  - {name: c, type: analyzer_capacity, condition: 'user.group = \"Staff\"'}",
                                          "  - {name: g, type: login_access, tokens: 1, condition: 'user.id = \"x\"'}"]),
                               ann=", access: [analyzer]")
    assert ask(engine, state, "ACME\\ann").access_type == "analyzer"
    d = ask(engine, state, "ACME\\ben")
    assert d.license.message == NO_ACCESS_PASS
    assert codes(d) == {"professional": "not_in_licence", "analyzer": "no_rule", "analyzer_capacity": "key_type",
                        "user_access": "no_rule", "login_access": "no_rule"}
    assert [a["access_type"] for a in d.license.attempts] == ["professional", "analyzer", "analyzer_capacity",
                                                              "user_access", "login_access"]
    assert d.to_dict()["license"]["attempts"][2]["code"] == "key_type"


def test_anonymous_reasons_and_the_trace_steps():
    # "User-based licenses, with professional access and analyzer access, do not support anonymous authentication"
    # https://help.qlik.com/en-US/sense-admin/August2022/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/anonymous-authentication.htm
    site, engine, state = make("{key: signed, professional: 5, analyzer: 5, analyzer_capacity_minutes: 60}",
                               "  - {name: c, type: analyzer_capacity, condition: 'user.group = \"Staff\"'}")
    d = ask(engine, state, "anonymous")
    assert codes(d) == {"professional": "anonymous", "analyzer": "anonymous", "analyzer_capacity": "no_rule",
                        "user_access": "anonymous", "login_access": "no_rule"}
    capacity = next(a for a in d.license.attempts if a["access_type"] == "analyzer_capacity")
    assert "user.IsAnonymous()" in capacity["reason"]  # the hint for the usual mistake
    licence_steps = [s.text for s in d.steps if s.phase == "license"]
    assert any(t.startswith("professional: not for anonymous users") for t in licence_steps)
    assert any("Licence rule \"c\" (analyzer_capacity) does not match" in t for t in licence_steps)


def test_the_order_allocated_analyzer_before_professional_rules():
    # composed order, reference §1.7 (UNCONFIRMED as a whole): allocated access comes before rules
    site, engine, state = make("{key: signed, professional: 1, analyzer: 1}",
                               "  - {name: p, type: professional, condition: 'user.group = \"Staff\"'}",
                               ann=", access: [analyzer]")
    d = ask(engine, state)
    assert d.access_type == "analyzer" and codes(d) == {"professional": "not_allocated", "analyzer": "allocated"}
    assert "comes before professional access rules" in d.license.attempts[0]["reason"]
    assert state.in_use("professional") == 0


def test_quarantined_and_session_cap_reasons():
    site, engine, state = make("{key: serial, professional: 1}",
                               "  - {name: p, type: professional, condition: 'user.group = \"Staff\"'}",
                               ann=", access: [professional]")
    ann = site.find_user("ACME\\ann")
    for b in "abcde":
        assert ask(engine, state, session=b).allowed
    assert codes(ask(engine, state, session="f"))["professional"] == "session_cap"
    for b in "abcde":
        state.close(next(s for s in state.sessions if s.browser == b), state.now, "test")
    deallocate(site, state, ann.key, ann.qualified)
    d = ask(engine, state, at=site.now + timedelta(minutes=10))
    assert codes(d)["professional"] == "quarantined" and codes(d)["analyzer"] == "no_rule"
    assert codes(ask(engine, state, "ACME\\ben"))["professional"] == "pool_exhausted"


def test_a_continuing_session_says_so():
    site, engine, state = make("{key: signed, professional: 1}", ann=", access: [professional]")
    ask(engine, state)
    d = ask(engine, state, at=site.now + timedelta(minutes=3))
    assert d.license.attempts == [{"access_type": "professional", "applied": True, "code": "continues_session",
                                   "reason": d.license.attempts[0]["reason"], "rule": None}]


def test_licence_rules_have_no_resource():
    # licence rules use the same condition language; they are evaluated for the user at login
    site, engine, state = make("{key: signed, analyzer: 1}",
                               "  - {name: a, type: analyzer, condition: 'resource.name = \"Everyone\"'}")
    d = ask(engine, state)
    assert d.denied_by == "license" and codes(d)["analyzer"] == "no_rule"
    assert any("resource.* has no value" in s.text for s in d.steps)


# -- pools and tokens -----------------------------------------------------------------------------

def test_professional_pool_falls_through_to_analyzer_then_capacity():
    # QlikView's documented priority (same licensing family): "Professional access, if available. If not
    # available, the user is assigned Analyzer access. If Analyzer access is not available, ... Analyzer Capacity"
    # https://community.qlik.com/t5/Official-Support-Articles/How-to-Allow-Dynamic-CAL-Professional-and-Analyzer-Access/ta-p/1782979
    rules = "\n".join(f"  - {{name: {t}, type: {t}, condition: 'user.group = \"Staff\"'}}"
                      for t in ("professional", "analyzer", "analyzer_capacity"))
    site, engine, state = make("{key: signed, professional: 1, analyzer: 0, analyzer_capacity_minutes: 60}", rules)
    assert ask(engine, state, "ACME\\ann").access_type == "professional"
    d = ask(engine, state, "ACME\\ben")
    assert d.access_type == "analyzer_capacity"
    assert codes(d) == {"professional": "pool_exhausted", "analyzer": "not_in_licence",
                        "analyzer_capacity": "minutes_left"}


def test_user_access_pass_costs_a_token_and_is_quarantined_seven_days_from_last_use():
    # "When a user access pass is removed, it enters a quarantine for seven (7) days, counting from the last
    # time that the access pass was used."
    # https://help.qlik.com/de-DE/sense/February2019/Subsystems/PlanningQlikSenseDeployments/Content/Sense_Deployment/Server-Licensing-Quarantine.htm
    site, engine, state = make("{key: serial, tokens: 1}",
                               "  - {name: u, type: user_access, condition: 'user.group = \"Staff\"'}")
    assert ask(engine, state, "ACME\\ann").access_type == "user_access"
    assert codes(ask(engine, state, "ACME\\ben"))["user_access"] == "no_tokens"
    state.advance_to(site.now + timedelta(days=2))
    ann = site.find_user("ACME\\ann")
    assert "quarantined until 2026-11-09 09:00" in deallocate(site, state, ann.key, ann.qualified)
    assert codes(ask(engine, state, "ACME\\ben"))["user_access"] == "no_tokens"  # still in quarantine
    assert ask(engine, state, "ACME\\ben", at=site.now + timedelta(days=7, minutes=1)).access_type == "user_access"


def test_reinstating_quarantined_access_to_the_same_user():
    # "You can reinstate quarantined professional access, to the same user, within seven days."
    # https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/professional-access-allocations.htm
    from qsplay.engine.licensing import allocate_access
    site, engine, state = make("{key: serial, professional: 1}", ann=", access: [professional]")
    ann, ben = site.find_user("ACME\\ann"), site.find_user("ACME\\ben")
    ask(engine, state)
    deallocate(site, state, ann.key, ann.qualified)
    with pytest.raises(ValueError, match="Allocate is disabled"):
        allocate_access(site, state, ben, "professional")
    assert "reinstated" in allocate_access(site, state, ann, "professional")
    assert state.in_use("professional") == 1 and ask(engine, state, session="again").access_type == "professional"


def test_login_groups_in_turn_and_anonymous_login_access():
    # "A login access pass allows an identified or anonymous user to access the hub"
    # https://help.qlik.com/en-US/sense-admin/June2020/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/create-login-access.htm?l=zh-TW
    rules = "\n".join(["  - {name: small, type: login_access, tokens: 1, condition: 'user.IsAnonymous()'}",
                       "  - {name: big, type: login_access, tokens: 2, condition: 'user.IsAnonymous()'}"])
    site, engine, state = make("{key: serial, tokens: 3}", rules)
    rules_used = [ask(engine, state, f"anonymous:v{i}").license.rule for i in range(30)]
    assert rules_used == ["small"] * 10 + ["big"] * 20
    d = ask(engine, state, "anonymous:v30")
    assert codes(d)["login_access"] == "passes_used_up" and "the first returns 2026-11-30 09:00" in d.license.attempts[-1]["reason"]


# -- the clock ------------------------------------------------------------------------------------

def test_capacity_26_active_minutes_cost_five_units():
    # "If you are active for 26 minutes, five units (30 minutes) are consumed."
    # https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/analyzer-capacity.htm
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 600}",
                               "  - {name: c, type: analyzer_capacity, condition: ''}")
    for minute in range(0, 27):
        assert ask(engine, state, at=site.now + timedelta(minutes=minute)).allowed
    assert state.capacity_used() == 30


def test_capacity_a_fifteen_minute_stay_costs_three_units():
    # "If the user stays in for 15 minutes, 3 units will be consumed (18 minutes)"
    # https://community.qlik.com/t5/Support-Updates-Blog/Qlik-Sense-Analyzer-Capacity-license-usage-monitoring-and/ba-p/1669226
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 600}",
                               "  - {name: c, type: analyzer_capacity, condition: ''}")
    for minute in (0, 5, 10, 15):
        ask(engine, state, at=site.now + timedelta(minutes=minute))
    assert state.capacity_used() == 18


def test_capacity_runs_out_mid_session_then_resets_on_the_first_at_midnight_utc():
    # "When all analyzer time has been consumed, you can no longer access Qlik Sense, until the monthly reset"
    # https://help.qlik.com/en-US/sense/February2019/Subsystems/ManagementConsole/Content/Sense_QMC/analyzer-capacity.htm
    # "(reset 0:00 UTC time on the first day of the calendar month)"
    # https://support.qlik.com/articles/Basic/New-Analyzer-Capacity-license-type-Qlik-Sense-Feb-2019
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 12}",
                               "  - {name: c, type: analyzer_capacity, condition: ''}")
    end = site.now.replace(day=30, hour=23, minute=40)
    assert ask(engine, state, at=end).allowed
    assert ask(engine, state, at=end + timedelta(minutes=6)).allowed
    d = ask(engine, state, at=end + timedelta(minutes=12))
    assert d.denied_by == "license" and codes(d)["analyzer_capacity"] == "minutes_used_up"
    assert not state.sessions  # the session is discontinued
    assert codes(ask(engine, state, at=end + timedelta(minutes=19, seconds=59)))["analyzer_capacity"] == "minutes_used_up"
    d = ask(engine, state, at=end + timedelta(minutes=20))  # 2026-12-01T00:00Z
    assert d.allowed and state.capacity_used() == 6


def test_overage_extends_the_month():
    # "To avoid lockout, you can add overage to your subscription. Overage can either be unlimited or with a
    # defined ceiling." (help Feb 2019, analyzer capacity, URL above)
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 6, overage_minutes: 6}",
                               "  - {name: c, type: analyzer_capacity, condition: ''}")
    assert ask(engine, state).allowed and ask(engine, state, at=site.now + timedelta(minutes=6)).allowed
    assert ask(engine, state, at=site.now + timedelta(minutes=12)).denied_by == "license"
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 6, overage_minutes: -1}",
                               "  - {name: c, type: analyzer_capacity, condition: ''}")
    assert all(ask(engine, state, at=site.now + timedelta(minutes=6 * i)).allowed for i in range(20))


def test_login_pass_runs_on_after_logout_and_a_new_one_after_four_hours():
    # "If you logout of the session, the 60 min countdown is STILL running" (https://community.qlik.com/docs/DOC-7151)
    # "when a session is closed after 20 min, and continue analysis after 4 hours, a new login access pass is used"
    # https://support.qlik.com/articles/000005527
    from qsplay.engine.licensing import logout
    site, engine, state = make("{key: serial, tokens: 1}", "  - {name: g, type: login_access, tokens: 1, condition: ''}")
    ann = site.find_user("ACME\\ann")
    ask(engine, state)
    state.advance_to(site.now + timedelta(minutes=20))
    logout(state, ann.key)
    ask(engine, state, at=site.now + timedelta(minutes=40))  # a new session within the hour
    assert state.passes_used("g") == 1
    logout(state, ann.key)
    ask(engine, state, at=site.now + timedelta(hours=4, minutes=20))
    assert state.passes_used("g") == 2


def test_login_pass_session_discontinued_when_no_pass_is_left():
    # "If no more login access passes are available, the session is discontinued." (create-login-access, above)
    site, engine, state = make("{key: serial, tokens: 1}", "  - {name: g, type: login_access, tokens: 1, condition: ''}")
    for i in range(9):
        ask(engine, state, f"anonymous:v{i}")
    ask(engine, state, "ACME\\ann")  # the tenth pass
    d = ask(engine, state, "ACME\\ann", at=site.now + timedelta(minutes=61))
    assert d.denied_by == "license" and codes(d)["login_access"] == "passes_used_up"
    assert not state.user_sessions(site.find_user("ACME\\ann").key)


def test_login_access_sessions_are_capped_at_five():
    # "Time limit of 1 hour per pass (Max of 5 simultaneous sessions during that hour)" (KB 000005527)
    site, engine, state = make("{key: serial, tokens: 1}", "  - {name: g, type: login_access, tokens: 1, condition: ''}")
    for b in "abcde":
        assert ask(engine, state, session=b).allowed
    d = ask(engine, state, session="f")
    assert d.license.message == TOO_MANY_SESSIONS and state.passes_used("g") == 1


def test_capacity_sessions_are_not_capped():
    # UNCONFIRMED reading (docs/licensing.md): Qlik documents the five-session cap for professional, analyzer,
    # user and login access passes, not for analyzer capacity, so capacity sessions are not capped here.
    site, engine, state = make("{key: signed, analyzer_capacity_minutes: 600}",
                               "  - {name: c, type: analyzer_capacity, condition: ''}")
    assert all(ask(engine, state, session=b).allowed for b in "abcdefg")


def test_a_request_in_the_past_happens_now_and_says_so():
    site, engine, state = make("{key: signed, professional: 1}", ann=", access: [professional]")
    ask(engine, state, at=site.now + timedelta(hours=1))
    d = ask(engine, state, at=site.now)
    assert d.at == site.now + timedelta(hours=1)
    assert any("the clock never goes back" in s.text for s in d.steps)
