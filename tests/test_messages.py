"""From the message: Qlik's on-screen and log messages -> meaning, phase, source, commands for the site."""
import json

from qsplay.cli import main
from qsplay.commands import Session, run_line
from qsplay.explain.messages import explain_message, match
from qsplay.scenario import load_scenario

from .conftest import ROOT

NO_PASS_SITE = ROOT / "scenarios" / "no-access-pass.yaml"
SA_SITE = ROOT / "scenarios" / "section-access.yaml"


def test_each_message_names_its_phase_and_source():
    cases = {
        "You cannot access Qlik Sense because you have no access pass": ("no_access_pass", "license"),
        "You cannot access Qlik Sense because you have no access pass or too many sessions active in paralell":
            ("too_many_sessions", "license"),
        "Access denied": ("access_denied", "security|section_access"),
        "Your account is inactive. Contact your administrator to activate it. (HTTP code: 403)":
            ("account_inactive", "authentication"),
        "Login access denied for SessionID: 'x', Hostname: \"1.2.3.4\", OperationType: 'UsageDenied'":
            ("no_access_pass", "license"),
        "Command=Open app;Result=403;ResultText=Error: Security": ("access_denied", "security|section_access"),
    }
    for text, (key, phase) in cases.items():
        got = match(text)
        assert got and (got[0].key, got[0].phase) == (key, phase), text
        assert got[0].source
        assert len(got) == 1, (text, [m.key for m in got])
    assert match("hello world") == []


def test_commands_name_this_sites_users():
    e = explain_message("You cannot access Qlik Sense because you have no access pass", load_scenario(NO_PASS_SITE))
    assert "ACME\\dana" in e.on_site["no_access_pass"][0]
    assert "why-not --user 'ACME\\dana' --resource app:Pipeline" in e.commands["no_access_pass"]
    e = explain_message("Access denied", load_scenario(SA_SITE))
    assert any(c.startswith("decide --user 'ACME\\erica'") for c in e.commands["access_denied"])


def test_the_commands_it_prints_run(capsys):
    session = Session()
    session.load(SA_SITE)
    e = explain_message("Access denied", session.site)
    for line in e.commands["access_denied"]:
        if line.startswith(("decide", "why-not")):
            run_line(session, line)  # raises on a bad command


def test_pasted_into_the_shell_or_kernel_line():
    session = Session()
    session.load(NO_PASS_SITE)
    out = run_line(session, "You cannot access Qlik Sense because you have no access pass")
    assert "2. Licence" in out.to_text() and "ACME\\dana" in out.to_text()
    assert "unknown command" not in out.to_text()


def test_cli(capsys):
    assert main(["explain-message", "--site", str(SA_SITE), "--json", "Access", "denied"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matches"][0]["phase"] == "security|section_access"
    assert main(["explain-message", "nothing", "known"]) == 0
    assert "no Qlik message recognised" in capsys.readouterr().out
