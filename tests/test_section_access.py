"""Section access, the fourth phase (scenario table inline, CSV/XLSX file, load script), with Qlik's
semantics as cited in qsplay/engine/section_access.py and scenarios/section-access.yaml."""
import json
import textwrap

import pytest

from qsplay.cli import main
from qsplay.engine import run_checks
from qsplay.scenario import ScenarioError, load_scenario, load_scenario_text
from qsplay.scenario.load_script import ScriptError, parse_script
from qsplay.scenario.section_access import table_from_script

from .conftest import ROOT, decide

SCENARIO = ROOT / "scenarios" / "section-access.yaml"

BASE = """\
qsplay: 1
name: sa
license: {professional: 5}
users:
  - {directory: ACME, id: ann, groups: [Finance], access: [professional]}
  - {directory: ACME, id: bo, groups: [Sales], access: [professional]}
streams: [{name: S}]
security_rules:
  - {name: all read S, resource_filter: Stream_*, actions: [read], condition: resource.name = "S"}
apps:
  - name: A
    stream: S
    section_access:
"""


def site_with(section: str, filename: str = "t.yaml"):
    return load_scenario_text(BASE + textwrap.indent(textwrap.dedent(section), " " * 6), filename)


def test_the_shipped_scenario_checks_hold():
    result = run_checks(load_scenario(SCENARIO))
    assert result.failed == 0 and result.passed >= 15, [r.explanation for r in result.results if not r.passed]


def test_every_section_access_rule_cites_its_source():
    text = SCENARIO.read_text()
    for tag in ("[SA]", "[SECTIONS]", "[STAR]", "[STRICT]", "[PITFALLS]"):
        assert text.count(tag) >= 2, tag  # defined in the description and used by a check


def test_row_reduction_and_omit_in_the_json_trace():
    site = load_scenario(SCENARIO)
    d = decide(site, "app:Sales Dashboard", user="ACME\\sam")
    data = d.to_dict()
    sa = data["section_access"]
    assert data["decision"] == "allow" and sa["access"] == "USER"
    assert [r["row"] for r in sa["matched_rows"]] == [5]
    # [STAR] '*' = the values listed in the column (NORTH, EAST, WEST, SOUTH); those in the data: NORTH, SOUTH
    assert sa["reduction"] == {"REGION": ["NORTH", "SOUTH"]}
    assert sa["omitted"] == ["MARGIN"]
    assert "section_access" in {s["phase"] for s in data["steps"]}


def test_no_row_is_said_and_denies():
    d = decide(load_scenario(SCENARIO), "app:Sales Dashboard", user="ACME\\olle")
    assert d.denied_by == "section_access" and d.section_access.rows == []
    assert "No row matches." in [s.text for s in d.steps if s.phase == "section_access"]
    assert "users absent from the table cannot open the app" in d.section_access.reason


def test_a_stream_request_has_no_section_access_phase():
    d = decide(load_scenario(SCENARIO), "stream:Sales", user="ACME\\olle")
    assert d.allowed and d.to_dict()["section_access"] is None


def test_text_and_html_traces_show_the_fourth_phase():
    from qsplay.render.html import render_decision_html
    from qsplay.render.text import render_decision
    site = load_scenario(SCENARIO)
    d = decide(site, "app:Sales Dashboard", user="ACME\\erica")
    text = render_decision(d)
    assert "4. Section access" in text and "strict exclusion" in text
    html = render_decision_html(d)
    assert "4. Section access" in html and "Row 4 matches" in html and "<th>REGION</th>" in html
    denied_earlier = decide(site, "app:Sales Dashboard", user="ACME\\sven")
    assert "4. Section access (the app's load script): not reached" in render_decision(denied_earlier)


def test_cli_decide_json(capsys):
    code = main(["decide", str(SCENARIO), "--user", "ACME\\erica", "--resource", "app:Sales Dashboard", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["denied_by"] == "section_access"
    assert data["section_access"]["message"] == "Access denied"


def test_admin_sees_all_data_unless_semantics_says_reduced():
    section = """\
    table:
      - {ACCESS: ADMIN, USERID: ACME\\ann, REGION: EAST}
      - {ACCESS: USER, USERID: ACME\\bo, REGION: NORTH}
    data: {REGION: [NORTH]}
    """
    site = site_with(section)
    assert decide(site, "app:A", user="ACME\\ann").section_access.reduction is None
    reduced = load_scenario_text(BASE.replace("name: sa\n", "name: sa\nsemantics: {section_access_admin: reduced}\n")
                                 + textwrap.indent(textwrap.dedent(section), " " * 6))
    d = decide(reduced, "app:A", user="ACME\\ann")
    assert d.denied_by == "section_access" and "strict exclusion" in d.section_access.reason


def test_star_in_identity_is_a_named_option():
    section = """\
    table:
      - {ACCESS: USER, USERID: "*", GROUP: FINANCE}
    """
    assert decide(site_with(section), "app:A", user="ACME\\ann").allowed
    listed = load_scenario_text(BASE.replace("name: sa\n", "name: sa\nsemantics: {section_access_star_identity: "
                                                          "listed_only}\n")
                                + textwrap.indent(textwrap.dedent(section), " " * 6))
    d = decide(listed, "app:A", user="ACME\\ann")
    assert d.denied_by == "section_access"
    assert any("section_access_star_identity=listed_only" in n for n in d.section_access.notes)


def test_omit_star_omits_every_listed_field():
    # help "Star": "USER5 has a '*' added which means that all listed fields in OMIT are unavailable"
    site = site_with("""\
    table:
      - {ACCESS: USER, USERID: ACME\\ann, OMIT: SALES}
      - {ACCESS: USER, USERID: ACME\\ann, OMIT: WAREHOUSE}
      - {ACCESS: USER, USERID: ACME\\bo, OMIT: "*"}
    """)
    assert decide(site, "app:A", user="ACME\\ann").section_access.omitted == ["SALES", "WAREHOUSE"]
    assert decide(site, "app:A", user="ACME\\bo").section_access.omitted == ["SALES", "WAREHOUSE"]


def test_a_reduction_field_with_only_star_selects_nothing():
    # '*' stands for the values listed in the column; when none are, it stands for nothing (strict exclusion)
    site = site_with("""\
    table:
      - {ACCESS: USER, USERID: ACME\\ann, REGION: "*"}
    data: {REGION: [NORTH]}
    """)
    assert decide(site, "app:A", user="ACME\\ann").denied_by == "section_access"


def test_a_lower_case_field_name_in_the_data_does_not_link():
    site = site_with("""\
    table:
      - {ACCESS: USER, USERID: ACME\\ann, REGION: NORTH}
    data: {region: [NORTH]}
    """)
    d = decide(site, "app:A", user="ACME\\ann")
    assert d.denied_by == "section_access" and any("'region', not REGION" in n for n in d.section_access.notes)


def test_script_parser_reads_sections_comments_and_delimiters():
    script = parse_script(textwrap.dedent("""\
        /* a block
           comment */ SET x = 1;
        REM a remark;
        Section Access;  // the table
        Auth:
        LOAD * INLINE [
        ACCESS; USERID
        ADMIN; 'INTERNAL\\SA_SCHEDULER'
        USER; acme\\ann
        ] (delimiter is ';');
        Section Application;
        Facts: LOAD * INLINE [REGION, X
        NORTH, 1];
        LOAD * FROM [lib://data/facts.qvd] (qvd);
        """))
    assert script.has_section_access
    assert script.access[0].header == ["ACCESS", "USERID"]
    assert [c for c, _, _ in script.access[0].rows] == [["ADMIN", "INTERNAL\\SA_SCHEDULER"], ["USER", "acme\\ann"]]
    assert script.access[0].rows[1][1] == 9  # line of the row
    assert script.application[0].header == ["REGION", "X"]
    assert any("line 14" in n for n in script.notes)


def test_script_errors_are_located():
    with pytest.raises(ScriptError) as err:
        table_from_script("Section Access;\n  LOAD ACCESS, USERID FROM users.qvd (qvd);\n", "x")
    assert (err.value.line, err.value.col) == (2, 3) and "export the table" in err.value.message
    with pytest.raises(ScriptError) as err:
        parse_script("Section Access;\nLOAD * INLINE [\nACCESS, USERID\nUSER, 'ACME\\ANN\n];")
    assert err.value.line == 4 and "quote" in err.value.message


def test_script_error_in_a_scenario_names_the_scenario_line():
    with pytest.raises(ScenarioError) as err:
        site_with("""\
        script: |
          Section Access;
          SELECT * FROM users;
        """, "shop.yaml")
    text = str(err.value)
    assert "shop.yaml" in text and "line 16, col 9" in text and "SELECT" in text


def test_csv_file_next_to_the_scenario_and_its_located_errors(tmp_path):
    (tmp_path / "access.csv").write_text("ACCESS,USERID,REGION\nUSER,ACME\\ann,NORTH\nUSER,ACME\\bo\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE + "      file: access.csv\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario)
    assert "access.csv: line 3: 2 values for 3 fields" in str(err.value)
    (tmp_path / "access.csv").write_text("ACCESS;USERID;REGION\nUSER;ACME\\ann;NORTH\n")
    assert decide(load_scenario(scenario), "app:A", user="ACME\\ann").section_access.reduction == {"REGION": ["NORTH"]}


def test_only_regular_files_are_read(tmp_path):
    (tmp_path / "access.csv").mkdir()
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE + "      file: access.csv\n")
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(scenario)


def test_xlsx_file(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Access"
    for row in (["ACCESS", "USERID", "REGION"], ["ADMIN", "INTERNAL\\SA_SCHEDULER", "*"], ["USER", "ACME\\bo", "SOUTH"]):
        ws.append(row)
    book.save(tmp_path / "access.xlsx")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE + "      file: access.xlsx\n      sheet: Access\n      data: {REGION: [SOUTH]}\n")
    site = load_scenario(scenario)
    assert decide(site, "app:A", user="ACME\\bo").section_access.reduction == {"REGION": ["SOUTH"]}
    assert decide(site, "app:A", user="ACME\\ann").denied_by == "section_access"
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    scenario.write_text(BASE + "      file: broken.xlsx\n")
    with pytest.raises(ScenarioError, match="not a readable .xlsx"):
        load_scenario(scenario)


def test_exactly_one_source_and_an_access_field():
    with pytest.raises(ScenarioError, match="exactly one of"):
        site_with("data: {REGION: [X]}\n")
    with pytest.raises(ScenarioError, match="no ACCESS field"):
        site_with("table:\n  - {USERID: ACME\\ann}\n")


def test_check_denied_by_section_access_is_accepted():
    site = site_with("""\
    table:
      - {ACCESS: USER, USERID: ACME\\bo}
    """)
    assert decide(site, "app:A", user="ACME\\ann").denied_by == "section_access"


# -- why-not, audit, lint ----------------------------------------------------------------------------------

def test_why_not_suggests_the_row_to_add_and_it_is_checked(tmp_path):
    from qsplay.explain.why_not import why_not
    from qsplay.engine import make_request
    site = load_scenario(SCENARIO)
    result = why_not(site, make_request("app:Sales Dashboard", "read", "ACME\\olle"))
    first = result.suggestions[0]
    assert first.kind == "add_section_access_row" and first.grants
    assert "USERID: ACME\\OLLE" in first.change and "REGION: NORTH" in first.change  # a value in the data
    # a group row opens the app to the group's other members too, and also_gains says so
    budget = why_not(site, make_request("app:Budget", "read", "ACME\\sam"))
    group_row = [s for s in budget.suggestions if "GROUP: SALES" in s.change][0]
    assert group_row.also_gains["users"] == 5  # erica, olle, lena, ivan, pia (mary already opens it)


def test_why_not_apply_writes_a_scenario_that_allows(tmp_path, capsys):
    out = tmp_path / "fixed.yaml"
    assert main(["why-not", str(SCENARIO), "--user", "ACME\\erica", "--resource", "app:Sales Dashboard",
                 "--apply", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    site = load_scenario(out)  # the Forecast CSV is still found from the new place
    assert decide(site, "app:Sales Dashboard", user="ACME\\erica").allowed
    assert decide(site, "app:Forecast", user="ACME\\greta").allowed


def test_audit_says_who_opens_the_app_and_sees_which_values(capsys):
    assert main(["audit", str(SCENARIO), "--type", "app", "--format", "json"]) == 0
    cells = {(c["user"], c["app"]): c for c in json.loads(capsys.readouterr().out)["section_access"]}
    assert cells[("ACME\\sam", "app:Sales Dashboard")]["sees"] == {"REGION": ["NORTH", "SOUTH"]}
    assert cells[("ACME\\anna", "app:Sales Dashboard")]["sees"] is None  # ADMIN: all data
    assert cells[("ACME\\erica", "app:Sales Dashboard")]["opens"] is False
    assert ("ACME\\sven", "app:Sales Dashboard") not in cells  # the rules do not let him read it


def test_lint_finds_table_problems():
    from qsplay.explain.lint import lint
    site = site_with("""\
    table:
      - {ACCESS: USER, USERID: ACME\\ann, REGION: NORTH}
      - {ACCESS: USER, USERID: ACME\\ann, REGION: NORTH}
      - {ACCESS: USER, USERID: ACME\\bo, GROUP: MARKETING, REGION: NORTH}
    data: {REGION: [NORTH, south]}
    """)
    codes = [f.code for f in lint(site) if f.code.startswith("section-access")]
    assert codes == ["section-access-no-scheduler", "section-access-lower-case-data",
                     "section-access-unknown-group", "section-access-duplicate-row"]
    shipped = [f.code for f in lint(load_scenario(SCENARIO)) if f.code.startswith("section-access")]
    assert shipped == ["section-access-lower-case-data"]  # the 'west' trap, on purpose


def test_the_graph_shows_the_fourth_phase():
    from qsplay.graph import decision_view
    site = load_scenario(SCENARIO)
    g = decision_view(site, decide(site, "app:Sales Dashboard", user="ACME\\sam"))
    node = "section_access:app:Sales Dashboard"
    assert g.nodes[node]["kind"] == "section_access" and g.nodes[node]["highlight"]
    assert "REGION = NORTH, SOUTH" in g.nodes[node]["label"] and "omits MARGIN" in g.nodes[node]["label"]
    assert g.edges["app:Sales Dashboard", node]["kind"] == "opens"
    denied = decision_view(site, decide(site, "object:Sales Dashboard/Overview", user="ACME\\olle"))
    assert denied.nodes[node]["failed"] and "no row matches" in denied.nodes[node]["label"]


def test_control_and_bidi_characters_in_a_table_file_are_refused(tmp_path):
    (tmp_path / "access.csv").write_text("ACCESS,USERID\nUSER,ACME\\ann\u202e\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE + "      file: access.csv\n")
    with pytest.raises(ScenarioError, match="U\\+202E"):
        load_scenario(scenario)


def test_a_pasted_message_in_the_shell():
    from qsplay.commands import Session
    from qsplay.shell.app import execute
    session = Session()
    session.load(SCENARIO)
    written = []
    execute(session, "Your account is inactive. Contact your administrator to activate it.", written.append)
    assert "1. Authentication" in "".join(written)
