"""What a new user meets in the first hour (issue 19): messages that say what to do, answers that say
when asking changed the licence state, edits that cancel out, piped input run as a script."""
import subprocess
import sys
from pathlib import Path

import pytest

from qsplay import cli
from qsplay.commands import CommandError, Session, run_line
from qsplay.scenario import demo_path

from .conftest import ROOT

QSPLAY = str(Path(sys.executable).parent / "qsplay")


@pytest.fixture
def session():
    s = Session()
    s.load(demo_path())
    return s


def run(session, line):
    return run_line(session, line).render()


def test_a_name_with_spaces_unquoted_gets_a_word_about_quoting(session):
    with pytest.raises(CommandError, match='needs quotes: "app:Market Trends"'):
        run(session, "can CORP\\bob read app:Market Trends")


def test_can_is_short_and_says_what_asking_changed(session):
    # Qlik allocates analyzer access from a matching licence rule at the first access and it stays
    # (help.qlik.com, "Analyzer access" / "Managing access rules for analyzer access")
    text = run(session, "can CORP\\bob read stream:Public")
    assert text.startswith("ALLOW  CORP\\bob read stream:Public") and "3. Security rules" not in text
    assert "allocated analyzer access to CORP\\bob" in text and "state lists the changes" in text
    assert "--trace" in text
    assert "3. Security rules" in run(session, "can CORP\\bob read stream:Public --trace")
    again = run(session, "can CORP\\bob read stream:Public")
    assert "note: this" not in again  # nothing new changed
    state = run(session, "state")
    assert "1. allocated analyzer access to CORP\\bob" in state and "opened a session" in state
    assert "licence state 2 times" in run(session, "diff")
    run(session, "reset")
    assert "no request has changed" in run(session, "state")
    assert "allocated analyzer access" in run(session, "can CORP\\bob read stream:Public")


def test_capacity_minutes_used_are_named(session):
    text = run(session, 'can anonymous read "app:Market Trends" via public')
    assert "6 analyzer capacity minutes used" in text


def test_why_not_takes_words_as_can_does(session):
    assert run(session, "why-not CORP\\bob read stream:Finance").startswith("DENY   CORP\\bob read stream:Finance")
    with pytest.raises(CommandError, match="USER ACTION RESOURCE"):
        run(session, "why-not")


def test_unknown_words_suggest_documented_commands_only(session):
    with pytest.raises(CommandError) as err:
        run(session, "what can CORP\\bob do")
    assert "audit --user" in str(err.value) and "whynot" not in str(err.value)
    assert "whynot" not in run(session, "help")


def test_disable_then_enable_leaves_no_diff_and_nothing_unsaved(session):
    run(session, "rule disable StreamEveryoneAnonymous")
    assert session.dirty
    run(session, "rule enable StreamEveryoneAnonymous")
    assert not session.dirty and run(session, "diff").startswith("no edits")


def test_help_explains_functions_as_the_kernel_does(session):
    assert "HasPrivilege" in run(session, "help HasPrivilege")
    with pytest.raises(CommandError, match="not a command, condition function"):
        run(session, "help Frobnicate")


def test_licence_trace_names_each_stage_once(session):
    text = run(session, "why CORP\\bob read stream:Public")
    assert "an analyzer allocation" in text and "a analyzer" not in text
    assert "allocated professional:" in text and "professional access rules:" in text


def cli_run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_misspelled_subcommand_gets_a_suggestion(capsys):
    code, _, err = cli_run(capsys, "audti")
    assert code == 2 and "did you mean 'audit'" in err


def test_cli_shell_commands_say_how(capsys):
    code, _, err = cli_run(capsys, "can", "CORP\\bob", "read", "stream:Public")
    assert code == 2 and "load FILE" not in err
    assert "printf '%s\\n' 'can CORP\\bob read stream:Public' | qsplay" in err and "qsplay decide SCENARIO" in err


def test_piped_input_runs_as_a_script_cleanly():
    done = subprocess.run([QSPLAY], input="licence\ncan CORP\\bob read stream:Public\nfrob\n", capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert "Input is not a terminal" not in done.stderr + done.stdout and "\x1b" not in done.stdout
    assert done.stdout.startswith("licence key: signed") and "ALLOW  CORP\\bob" in done.stdout
    assert done.stderr.startswith("line 3: unknown command 'frob'")
    assert done.returncode == 2
    ok = subprocess.run([QSPLAY], input="expect allow anonymous read stream:Public via public\n",
                        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert ok.returncode == 0 and ok.stdout.startswith("✔")


def test_file_names_complete_where_a_file_is_asked_for(session, monkeypatch):
    from qsplay.commands.completion import completions
    monkeypatch.chdir(ROOT)
    assert [c.text for c in completions(session, "load sce")] == ["scenarios/"]
    assert "scenarios/no-access-pass.yaml" in [c.text for c in completions(session, "load scenarios/no")]
    assert [c.text for c in completions(session, "import-qrs tests/data/qrs/ex")] == ["tests/data/qrs/exports/"]
    assert "scenarios/" in [c.text for c in completions(session, "graph -o sc")]


def test_audit_agrees_with_can_for_an_inactive_user(session):
    # KB 000035663's seed: Carol's account is inactive, so the proxy refuses her ("Your account is
    # inactive...") before any rule: the audit must not show her reading anything
    from qsplay.explain.audit import audit
    result = audit(session.site, include_anonymous=True)
    assert result.refused == {"CORP\\carol": "inactive"}
    for ref in result.resources:
        if result.granted("CORP\\carol", ref):
            raise AssertionError(f"audit grants Carol {ref}")
    assert "CORP\\carol: refused at authentication (inactive)" in run(session, "audit --anonymous")
    assert run(session, "can CORP\\carol read stream:Finance").startswith("DENY")
    run(session, "user CORP\\carol --inactive no")
    assert audit(session.site).granted("CORP\\carol", "stream:Finance")
