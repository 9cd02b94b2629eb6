"""The simulated clock: check steps in scenario files (docs/licensing.md) and the shell commands
time, sessions, licence, logout, allocate, deallocate. Timing facts (reference §1, §3.5):
- "Session inactivity timeout (minutes) The maximum period of time with inactivity before timeout"
  https://help.qlik.com/en-US/sense-admin/November2024/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/edit-virtual-proxy.htm
- "Used login access passes are not released until 28 days after last use."
  https://help.qlik.com/de-DE/sense/April2018/Subsystems/ManagementConsole/Content/Sense_QMC/login-access-rules.htm
"""
import json

import pytest

from qsplay.commands import CommandError, Session, run_line
from qsplay.engine import run_checks
from qsplay.scenario import ScenarioError, load_scenario_text

SITE = """\
qsplay: 1
name: clock test
now: 2026-11-02T09:00:00Z
license: {key: serial, professional: 1, tokens: 2}
user_directories: [{name: ACME}]
users:
  - {directory: ACME, id: ann, access: [professional]}
  - {directory: ACME, id: ben}
virtual_proxies:
  - {prefix: "", anonymous: allow, session_timeout_minutes: 30}
license_rules:
  - {name: Visitors, type: login_access, tokens: 1, condition: user.IsAnonymous()}
checks:
"""


def load(checks: str, name="clock.yaml"):
    return load_scenario_text(SITE + checks, name)


@pytest.fixture
def shell(tmp_path):
    path = tmp_path / "clock.yaml"
    path.write_text(SITE + "  []\n")
    session = Session()
    session.load(path)
    return session


def text(session, line):
    return run_line(session, line).to_text()


# -- steps in checks: ---------------------------------------------------------------------------

def test_steps_move_the_site_on_and_are_not_counted():
    site = load("""\
  - {name: ann in, request: {user: ACME\\ann, resource: "stream:Everyone"}, expect: allow}
  - advance: 90m
  - logout: ACME\\ann
  - deallocate: ACME\\ann
  - name: quarantined, so ben is out and ann too
    request: {user: ACME\\ben, resource: "stream:Everyone"}
    expect: deny
    denied_by: license
  - {allocate: ACME\\ann, access: professional}
  - {name: reinstated, request: {user: ACME\\ann, resource: "stream:Everyone"}, expect: allow, access_type: professional}
  - at: 2026-12-01T00:00:00Z
""")
    result = run_checks(site)
    assert (result.passed, result.failed) == (3, 0)
    assert any("quarantined until 2026-11-09 09:00" in e for e in result.events)
    assert any("reinstated" in e for e in result.events)
    assert result.events[-1] == "the clock moves to 2026-12-01 00:00 UTC"


def test_a_step_the_qmc_would_refuse_is_a_failed_check():
    # "Allocate is disabled if the number of licenses available for allocation is insufficient"
    # https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/manage-analyzer-access.htm
    result = run_checks(load("  - {allocate: ACME\\ben, access: professional}\n"))
    assert result.failed == 1 and "Allocate is disabled" in result.results[0].explanation


def test_the_session_times_out_after_the_proxys_inactivity_timeout():
    site = load("""\
  - {name: in, request: {user: anonymous, resource: "stream:Everyone"}, expect: allow, access_type: login_access}
  - advance: 29m
  - {name: same session, request: {user: anonymous, resource: "stream:Everyone"}, expect: allow}
  - advance: 30m
""")
    result = run_checks(site)
    assert result.passed == 2
    assert any("inactive for 30 minutes" in e for e in result.events)


@pytest.mark.parametrize("entry, fragment, col", [
    ("  - advance: soon\n", "a duration looks like 90m", 14),
    ("  - at: yesterday\n", "at should be a date and time", 9),
    ("  - logout: ACME\\nobody\n", "no user 'ACME\\nobody'", 13),
    ("  - {deallocate: ACME\\ann, access: gold}\n", "access must be one of professional, analyzer, user_access", 36),
    ("  - {allocate: ACME\\ann}\n", "allocate needs access", 5),
    ("  - {advance: 5m, session: phone}\n", "session goes with logout", 28),
    ("  - {advance: 5m, acces: analyzer}\n", "unknown key 'acces'", 19),
])
def test_bad_steps_are_located(entry, fragment, col):
    line = SITE.count("\n") + 1
    with pytest.raises(ScenarioError) as err:
        load(entry, "steps.yaml")
    problem = next(p for p in err.value.problems if fragment in p.message)
    assert (problem.file, problem.line, problem.col) == ("steps.yaml", line, col)


# -- shell commands -------------------------------------------------------------------------------

def test_time_moves_forward_only(shell):
    assert text(shell, "time").startswith("now 2026-11-02 09:00 UTC")
    assert text(shell, "time +90m").startswith("now 2026-11-02 10:30 UTC")
    assert text(shell, "time 2026-11-03T10:00Z").startswith("now 2026-11-03 10:00 UTC")
    with pytest.raises(CommandError, match="only moves forward"):
        run_line(shell, "time 2026-11-01T00:00Z")
    with pytest.raises(CommandError, match="a duration looks like"):
        run_line(shell, "time +soon")


def test_sessions_show_passes_and_time_out(shell):
    assert text(shell, "sessions").startswith("no open sessions")
    run_line(shell, "decide --user anonymous:v1 --resource stream:Everyone")
    run_line(shell, "decide --user ACME\\ann --resource stream:Everyone --session phone")
    out = text(shell, "sessions")
    assert "2 open session(s)" in out and "login_access, 1 login pass(es), pass runs until 10:00" in out
    assert "(phone): professional" in out and "times out 09:30" in out
    rows = json.loads(run_line(shell, "sessions").to_json())
    assert {r["access_type"] for r in rows} == {"login_access", "professional"}
    out = text(shell, "time +31m")
    assert "inactive for 30 minutes" in out and text(shell, "sessions").startswith("no open sessions")


def test_licence_summary_counts_pools_quarantine_and_passes(shell):
    run_line(shell, "decide --user ACME\\ann --resource stream:Everyone")
    run_line(shell, "decide --user anonymous:v1 --resource stream:Everyone")
    out = text(shell, "licence")
    assert "professional: 1 allocated, 0 quarantined, 0 of 1 free — ACME\\ann" in out
    assert 'login access group "Visitors": 1 tokens = 10 passes, 1 used in the last 28 days, 9 left' in out
    assert "tokens: 2 (1 free)" in out
    run_line(shell, "logout ACME\\ann")
    assert "quarantined until 2026-11-09 09:00" in text(shell, "deallocate ACME\\ann")
    data = json.loads(run_line(shell, "licence").to_json())
    assert data["professional"]["quarantined"] == [{"user": "ACME\\ann", "until": "2026-11-09T09:00:00Z"}]
    assert data["tokens"]["login_access_groups"][0]["next_return"] == "2026-11-30T09:00:00Z"
    with pytest.raises(CommandError, match="Allocate is disabled"):
        run_line(shell, "allocate ACME\\ben professional")
    assert "reinstated" in text(shell, "allocate ACME\\ann professional")


def test_logout_one_browser_and_the_cooldown(shell):
    # "When a user with the maximum number of parallel user connections ends a connection ... five minutes
    # must pass" https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/professional-access-allocations.htm
    for b in "abcde":
        run_line(shell, f"decide --user ACME\\ann --resource stream:Everyone --session {b}")
    assert "ended" in text(shell, "logout ACME\\ann --session a")
    out = text(shell, "decide --user ACME\\ann --resource stream:Everyone --session f")
    assert "Too many sessions active in paralell" in out
    run_line(shell, "time +5m")
    assert text(shell, "decide --user ACME\\ann --resource stream:Everyone --session f").startswith("ALLOW")
    assert "has no open session" in text(shell, "logout ACME\\ben")
    with pytest.raises(CommandError, match="no user"):
        run_line(shell, "deallocate ACME\\nobody")
