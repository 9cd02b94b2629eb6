"""One character policy (qsplay/safe_text.py), issue 18 findings 5, 6 and 11.

Control characters (C0/C1, ESC sequences such as ESC]52; clipboard writes, ESC[2J, ESC]0; window
titles) and bidirectional overrides/isolates (U+202A-U+202E, U+2066-U+2069, "Trojan Source") never
reach a terminal raw, and a scenario may not contain them, raw or written as a YAML escape.
"""
import json

import pytest

from qsplay.cli import main
from qsplay.commands import Output
from qsplay.safe_text import csv_cell, escape_unsafe, html_text, one_line
from qsplay.scenario import ScenarioError, load_scenario_text

HOSTILE = ["\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "\x1b]0;owned\x07", "a\u202eexe.txt", "\u2066x\u2069", "\x9b31m",
           "\r overprinted", "\x00", "\x7f"]
RAW = set("\x1b\x07\u202e\u2066\u2069\x9b\r\x00\x7f")


def raw_in(text: str) -> set:
    return RAW & set(text)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_is_visible_and_json_stays_the_same_json(value):
    shown = escape_unsafe(value)
    assert not raw_in(shown)
    rendered = Output(data={"name": value}, prefer="json").render()
    assert not raw_in(rendered) and json.loads(rendered) == {"name": value}
    assert not raw_in(html_text(value)) and not raw_in(one_line(value)) and not raw_in(csv_cell(value))


def test_tab_and_newline_are_layout_not_escaped():
    assert escape_unsafe("a\tb\nc") == "a\tb\nc"
    assert one_line("a\nb") == "a\\u000ab"


@pytest.mark.parametrize("escape, char", [(r"\e", "001B"), (r"\u202e", "202E"), (r"\x9b", "009B"),
                                          (r"\u2066", "2066"), (r"\a", "0007"), (r"\x00", "0000")])
def test_the_loader_refuses_the_same_characters_written_as_escapes(escape, char):
    text = f'qsplay: 1\nname: t\nstreams:\n  - name: "evil{escape}name"\n'
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "t.yaml")
    problem = err.value.problems[0]
    assert (problem.line, problem.col) == (4, 11) and f"U+{char}" in problem.message


def test_escapes_of_ordinary_characters_still_load():
    site = load_scenario_text('qsplay: 1\nname: "caf\\u00e9\\ttab"\nstreams:\n  - name: "S\\u00e9"\n', "t.yaml")
    assert site.name == "café\ttab" and "Sé" in {s.name for s in site.streams}


def test_file_names_in_messages_are_escaped(capsys, tmp_path):
    name = tmp_path / "\x1b]0;owned\x07\u202e.yaml"
    code, out, err = run(capsys, "decide", str(name), "--resource", "stream:X")
    assert code == 2 and not raw_in(out + err) and "\\u001b]0;owned" in err


def test_typed_names_echoed_in_errors_are_escaped(capsys):
    from .conftest import ROOT
    code, out, err = run(capsys, "decide", str(ROOT / "scenarios" / "anonymous-hub.yaml"), "--user", "anonymous",
                         "--proxy", "public", "--resource", "stream:\x1b[2J\u202eX")
    assert not raw_in(out + err)


def test_the_shell_writes_no_raw_escapes():
    import io
    from qsplay.commands import Session
    from qsplay.shell.app import execute, toolbar
    session = Session()
    from qsplay.scenario import demo_path
    session.load(demo_path())
    buf = io.StringIO()
    execute(session, "can CORP\\bob read stream:\x1b]52;c;eA==\x07\u202e", buf.write)
    assert not raw_in(buf.getvalue())
    session.settings["user"] = "<b>\x1b[2J</b>"
    shown = toolbar(session)()
    assert "\x1b" not in str(shown.value) and "&lt;b&gt;" in shown.value


def _export(tmp_path, name):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "user.json").write_text(json.dumps([{"userId": "a", "userDirectory": "CORP", "name": "A"}]))
    (folder / "systemrule.json").write_text(json.dumps([{
        "name": name, "category": "Security", "type": "Custom", "rule": "user.name = \"A\"",
        "resourceFilter": "Stream_*", "actions": 2, "ruleContext": "BothQlikSenseAndQMC", "disabled": False}]))
    return folder


def test_import_qrs_writes_nothing_it_would_refuse(tmp_path, capsys):
    folder = _export(tmp_path, "rule\u202eevil")
    out = tmp_path / "site.yaml"
    code, stdout, err = run(capsys, "import-qrs", str(folder), "-o", str(out))
    assert code == 2 and not out.exists()
    assert "systemrule.json[0].name" in err and "U+202E" in err and "nothing was written" in err
    assert "a bug worth reporting" not in err and not raw_in(err)


def test_import_qrs_still_writes_ordinary_names(tmp_path, capsys):
    folder = _export(tmp_path, "Finance \"quoted\" rule")
    out = tmp_path / "site.yaml"
    code, stdout, err = run(capsys, "import-qrs", str(folder), "-o", str(out))
    assert code == 0, err
    assert out.exists()


def test_a_truncated_minified_export_prints_a_short_excerpt(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    records = [{"id": str(i), "name": f"s{i}", "owner": {"userId": "a", "userDirectory": "CORP"}} for i in range(60000)]
    text = json.dumps(records, separators=(",", ":"))
    (folder / "stream.json").write_text(text[:-30])
    code, _, err = run(capsys, "import-qrs", str(folder), "-o", str(tmp_path / "s.yaml"))
    assert code == 2 and "not valid JSON" in err and f"col {len(text) - 29:,}" in err
    assert len(err) < 1000


def test_deeply_nested_json_is_a_clear_error(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "user.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run(capsys, "import-qrs", str(folder), "-o", str(tmp_path / "s.yaml"))
    assert code == 2 and "nested too deeply" in err and "RecursionError" not in err
