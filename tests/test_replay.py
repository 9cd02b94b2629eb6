"""replay LOG SITE: Qlik's audit-security logs (lines built from the documented formats in
tests/logs_builder.py), malformed and truncated lines, and a 200 MB file in bounded memory."""
import json
import subprocess
import sys
import time

import pytest

from qsplay.cli import main
from qsplay.engine import engine_for, make_request
from qsplay.logs import classify, parse_line, parse_timestamp, replay
from qsplay.logs.formats import REPOSITORY_COLUMNS, LineProblem
from qsplay.scenario import load_scenario

from . import logs_builder as B
from .conftest import ROOT

LOGS = ROOT / "tests" / "data" / "logs"
NO_PASS_SITE = ROOT / "scenarios" / "no-access-pass.yaml"
SA_SITE = ROOT / "scenarios" / "section-access.yaml"


def test_the_shipped_samples_are_what_the_builder_makes():
    assert (LOGS / "AuditSecurity_Repository.txt").read_text() == B.repository_sample()
    assert (LOGS / "AuditSecurity_Proxy.txt").read_text() == B.proxy_sample()


def test_timestamps_are_read_as_documented():
    # help "Audit security log": 20110805T145657.000+0200 is 2011-08-05 14:56:57 GMT+2
    assert parse_timestamp("20110805T145657.000+0200").isoformat() == "2011-08-05T12:56:57+00:00"
    with pytest.raises(LineProblem):
        parse_timestamp("2011-08-05 14:56")


def test_denial_lines_are_classified():
    line = parse_line(B.repository_line(1, "20261102T090000.000Z", "ACME\\dana", *B.NO_PASS, B.no_pass_message()),
                      1, REPOSITORY_COLUMNS)
    assert classify(line) == ("no_access_pass", "license")
    cap = parse_line(B.repository_line(2, "20261102T090000.000Z", "", *B.SESSIONS,
                                       B.session_limit_message("ACME\\erik")), 2, REPOSITORY_COLUMNS)
    assert classify(cap) == ("session_limit", "license")
    inactive = parse_line(B.repository_line(3, "20261102T090000.000Z", "ACME\\x", "Open app", 403, "Error: Security",
                                            "Your account is inactive. Contact your administrator to activate it. "
                                            "(HTTP code: 403)"), 3, REPOSITORY_COLUMNS)
    assert classify(inactive) == ("inactive_user", "authentication")
    assert classify(parse_line(B.success_line(4, "20261102T090000.000Z", "ACME\\x"), 4, REPOSITORY_COLUMNS)) is None


def test_repository_sample_counts_and_verdicts():
    result = replay(LOGS / "AuditSecurity_Repository.txt", load_scenario(NO_PASS_SITE), progress=False)
    assert (result.lines, result.understood, result.not_understood, result.denials) == (8, 5, 3, 4)
    assert [e["line"] for e in result.examples] == [6, 7, 9]
    assert "truncated" in result.examples[2]["reason"]
    verdicts = {(d.user, d.cause): d.verdict for d in result.kept}
    assert verdicts == {("ACME\\dana", "no_access_pass"): "agrees", ("ACME\\erik", "session_limit"): "agrees",
                        ("ACME\\frida", "open_app_refused"): "site_allows",
                        ("ACME\\nobody", "no_access_pass"): "not_replayed"}


def test_replayed_denials_match_what_the_site_says():
    """Each replay is the engine's own decision for that user, resource and time."""
    for log, scenario in ((LOGS / "AuditSecurity_Repository.txt", NO_PASS_SITE),
                          (LOGS / "AuditSecurity_Proxy.txt", SA_SITE)):
        site = load_scenario(scenario)
        engine = engine_for(site)
        for d in replay(log, site, progress=False).kept:
            if d.decision is None or d.cause == "session_limit":
                continue
            state = engine.new_state()
            state.now = d.decision.at
            direct = engine.decide(make_request(d.resource, "read", d.user, d.proxy), state)
            assert (direct.decision, direct.denied_by) == (d.decision.decision, d.decision.denied_by), d.line


def test_proxy_sample_tells_security_from_section_access():
    result = replay(LOGS / "AuditSecurity_Proxy.txt", load_scenario(SA_SITE), progress=False)
    got = {d.user: d.decision.denied_by for d in result.kept}
    assert got == {"ACME\\erica": "section_access", "ACME\\sven": "security", "ACME\\olle": "section_access"}
    rows = {r["cause"]: r for r in result.summary_rows()}
    assert rows["open_app_refused"]["site_phases"] == {"section_access": 1, "security": 1}
    assert rows["open_app_refused"]["agrees"] == 2


def test_cli_replay_text_and_json(capsys):
    assert main(["replay", str(LOGS / "AuditSecurity_Repository.txt"), str(NO_PASS_SITE), "--trace",
                 "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "no_access_pass" in out and "2. Licence" in out and "3 more denials" in out
    assert main(["replay", str(LOGS / "AuditSecurity_Proxy.txt"), str(SA_SITE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["denials"] == 3 and data["replayed"][0]["decision"]["section_access"]["allowed"] is False


def test_not_a_regular_file_and_missing_file(capsys, tmp_path):
    assert main(["replay", str(tmp_path), str(NO_PASS_SITE)]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "none.txt"), str(NO_PASS_SITE)]) == 2


def test_overlong_binary_and_headerless_lines_are_counted(tmp_path):
    log = tmp_path / "QS_AuditSecurity_Repository.txt"
    with open(log, "wb") as fh:
        fh.write(B.repository_line(1, "20261102T090500.000Z", "ACME\\dana", *B.NO_PASS, B.no_pass_message()).encode())
        fh.write(b"x" * (3 << 20) + b"\n")  # a 3 MB line
        fh.write(b"\xff\xfe\x00garbage\t\t\n")
        fh.write(B.repository_line(4, "20261102T090600.000Z", "ACME\\dana", *B.NO_PASS, B.no_pass_message()).encode())
    result = replay(log, load_scenario(NO_PASS_SITE), progress=False)
    assert (result.lines, result.not_understood, result.denials) == (4, 2, 2)
    assert "longer than" in result.examples[0]["reason"]
    assert any("no header line" in n for n in result.notes)


def test_a_200_mb_log_streams_in_bounded_memory(tmp_path):
    """200 MB of the documented line format (about 530,000 lines, one denial in 1,000), replayed in a child
    process whose peak resident memory is measured (resource.getrusage)."""
    log = tmp_path / "QS_AuditSecurity_Repository.txt"
    ok = B.success_line(1, "20261102T090000.000+0100", "ACME\\erik")
    denial = B.repository_line(2, "20261102T090500.000+0100", "ACME\\dana", *B.NO_PASS, B.no_pass_message())
    block = (ok * 999 + denial).encode()
    size = 200 * 1024 * 1024
    started = time.perf_counter()
    with open(log, "wb") as fh:
        fh.write(B.header(REPOSITORY_COLUMNS).encode())
        written = 0
        while written < size:
            fh.write(block)
            written += len(block)
        fh.write(b"a malformed line\n" + denial.encode()[:120])  # and a truncated last line
    child = ("import json, resource, sys, time\n"
             "from qsplay.logs import replay\nfrom qsplay.scenario import load_scenario\n"
             "t = time.perf_counter()\n"
             "r = replay(sys.argv[1], load_scenario(sys.argv[2]), keep=50, progress=False)\n"
             "print(json.dumps({'lines': r.lines, 'denials': r.denials, 'bad': r.not_understood,"
             " 'agrees': sum(n for (c, v), n in r.table.items() if v == 'agrees'),"
             " 'seconds': time.perf_counter() - t,"
             " 'peak_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n")
    run = subprocess.run([sys.executable, "-c", child, str(log), str(NO_PASS_SITE)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    blocks = -(-size // len(block))
    assert got["denials"] == blocks and got["agrees"] == blocks
    assert got["lines"] == blocks * 1000 + 2 and got["bad"] == 2
    peak_mb = got["peak_kb"] / 1024
    print(f"\n200 MB log: {got['lines']:,} lines in {got['seconds']:.1f} s, peak RSS {peak_mb:.0f} MB "
          f"(written in {time.perf_counter() - started - got['seconds']:.1f} s)")
    assert peak_mb < 150, peak_mb  # the file is 200 MB: it was streamed, not read whole


def test_a_proxy_log_without_header_says_what_it_assumed(tmp_path):
    log = tmp_path / "QS_AuditSecurity_Proxy.txt"
    log.write_text(B.proxy_sample().split("\n", 1)[1])  # the sample without its header line
    result = replay(log, load_scenario(SA_SITE), progress=False)
    assert result.denials == 3 and any("UNCONFIRMED" in n for n in result.notes)
