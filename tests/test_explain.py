"""Why-not, audit, preview and lint on the scenarios.

Semantics relied on: rules only grant (help "How security rules work": "you never create a rule to
deny users access"), so every suggestion adds something; the audit shows existing resources only
with the QMC letters (audit-overview, audit-access-control); disabled rules grant nothing.
"""
import json

import pytest

from qsplay.cli import main
from qsplay.explain import edits as E
from qsplay.explain.audit import audit, render_csv
from qsplay.explain.lint import lint
from qsplay.explain.preview import preview
from qsplay.explain.why_not import decide_fresh, why_not
from qsplay.render.html import render_decision_html
from qsplay.scenario import load_scenario

from .conftest import ROOT

DEMO = ROOT / "scenarios" / "anonymous-hub.yaml"


@pytest.fixture(scope="module")
def demo():
    return load_scenario(DEMO)


def denied_checks(site):
    return [c for c in site.checks if c.expect == "deny"]


def test_every_denied_request_of_the_seed_gets_a_first_suggestion_that_grants(demo, tmp_path, capsys):
    assert denied_checks(demo)
    for check in denied_checks(demo):
        result = why_not(demo, check.request)
        assert result.suggestions, check.name
        first = result.suggestions[0]
        assert first.grants and first.rank == 1
        edited = E.apply_edits(demo, first.edits)
        assert decide_fresh(edited, check.request).allowed, (check.name, first.change)
        # never a deny, never "allow everything"
        for s in result.suggestions:
            assert "deny" not in s.change.lower()
            for e in s.edits:
                assert e.kind != "add_rule" or "_*" not in e.text


def test_suggestions_follow_the_failing_phase(demo):
    visitor = next(c for c in demo.checks if c.name.startswith("the central proxy"))
    assert why_not(demo, visitor.request).suggestions[0].kind == "change_proxy_anonymous"
    carol = next(c for c in demo.checks if c.name.startswith("Carol"))
    first = why_not(demo, carol.request).suggestions[0]
    # inactive, then no licence: both steps are needed ("Your account is inactive"; no access pass)
    assert [e.kind for e in first.edits] == ["activate_user", "allocate_access"]
    qmc = next(c for c in demo.checks if "Only in hub" in c.name)
    assert why_not(demo, qmc.request).suggestions[0].kind == "rule_add_context"
    publish = next(c for c in demo.checks if c.name == "visitors cannot publish")
    assert why_not(demo, publish.request).suggestions[0].kind == "rule_add_action"
    draft = next(c for c in demo.checks if c.name.startswith("Bob cannot"))
    kinds = [s.kind for s in why_not(demo, draft.request).suggestions]
    assert kinds[0] == "publish_to_stream" and "add_rule" in kinds


def test_group_suggestion_from_a_false_comparison(demo):
    from qsplay.engine import make_request
    result = why_not(demo, make_request("stream:Finance", "read", "CORP\\bob"))
    first = result.suggestions[0]
    assert first.kind == "add_group" and first.change == "add CORP\\bob to group Finance"
    # Budget 2027 becomes readable through Stream, and so exportable (ExportAppData) and offline (Offline access)
    assert (first.also_gains["users"], first.also_gains["cells"]) == (0, 3)
    assert first.also_gains["examples"] == ["CORP\\bob read, export_data, access_offline app:Budget 2027"]
    text = result.to_text()
    assert "also: CORP\\bob read, export_data, access_offline app:Budget 2027" in text
    assert "the rule it adds: resource filter Stream_" in text and "actions read" in text


def test_allowed_request_has_no_suggestions(demo):
    from qsplay.engine import make_request
    result = why_not(demo, make_request("stream:Public", "read", "CORP\\alice"))
    assert result.decision.allowed and result.suggestions == []


def test_why_not_cli_json_and_apply(tmp_path, capsys):
    code = main(["why-not", str(DEMO), "--user", "CORP\\bob", "--resource", "stream:Finance", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["decision"] == "deny" and data["denied_by"] == "security"
    s = data["suggestions"][0]
    assert set(s) >= {"rank", "phase", "kind", "change", "grants", "also_gains"} and s["grants"] is True
    out = tmp_path / "fixed.yaml"
    code = main(["why-not", str(DEMO), "--user", "CORP\\bob", "--resource", "stream:Finance",
                 "--apply", "1", "-o", str(out)])
    assert code == 0
    text = out.read_text()
    assert "# allocated by hand in the QMC" in text  # comments kept
    code = main(["decide", str(out), "--user", "CORP\\bob", "--resource", "stream:Finance", "--expect", "allow"])
    assert code == 0


def test_audit_letters_rules_and_formats(demo):
    result = audit(demo, kinds=["stream"], include_anonymous=True)
    bob = result.cell("CORP\\bob", "stream:Public")
    assert bob.letters == "RP" and "Everyone (logged in) can read and publish to the Public stream" in bob.rules
    anon = [c for c in result.cells if c.user.startswith("NONE\\") and c.resource == "stream:Public"][0]
    assert anon.letters == "R"
    assert result.cell("CORP\\bob", "stream:Finance") is None  # no access: no cell (QMC grid)
    assert "CORP\\bob,stream:Public,hub,RP" in render_csv(result)
    qmc = audit(demo, kinds=["stream"], include_anonymous=True, context="qmc")
    assert not [c for c in qmc.cells if c.user.startswith("NONE\\") and c.resource == "stream:Public"]


def test_audit_cli_json_shape(capsys):
    code = main(["audit", str(DEMO), "--format", "json", "--user", "CORP\\alice", "--type", "stream"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["context"] == "hub"
    cell = [c for c in data["cells"] if c["resource"] == "stream:Everyone"][0]
    assert cell == {"user": "CORP\\alice", "resource": "stream:Everyone", "actions": ["read", "publish"],
                    "letters": "RP", "rules": ["StreamEveryone"]}


def test_preview_shows_a_change_that_removes_access(demo):
    result, _ = preview(demo, [E.disable_rule("Everyone (anonymous) can read the Public stream")])
    lost = {(c.resource, tuple(c.lost)) for c in result.changes if c.user.startswith("NONE\\")}
    # the stream, and through HasPrivilege its app and published sheet
    assert lost == {("stream:Public", ("read",)), ("app:Market Trends", ("read",)),
                    ("object:Market Trends/Overview", ("read",))}
    assert result.gains == 0


def test_preview_shows_gains_and_saves(demo, tmp_path, capsys):
    result, _ = preview(demo, [E.add_group("CORP\\bob", "Finance")])
    assert {(c.resource, tuple(c.gained)) for c in result.changes} == {
        ("stream:Finance", ("read",)), ("app:Budget 2027", ("read", "export_data", "access_offline"))}
    out = tmp_path / "diff.json"
    code = main(["preview", str(DEMO), "--set-user", "CORP\\bob", "--add-group", "Finance", "--format", "json",
                 "-o", str(out)])
    assert code == 0 and json.loads(out.read_text())["gained"] == 4


def test_lint_finds_each_problem_in_the_showcase():
    site = load_scenario(ROOT / "scenarios" / "lint-showcase.yaml", lenient=True)
    found = {(f.code, f.rule) for f in lint(site)}
    for expected in [("anonymous-write", "Anonymous edits apps"),
                     ("wildcard-empty-condition", "Everything for everyone"),
                     ("ne-on-multivalued", "Not Finance"),
                     ("matches-nothing", "Marketing stream readers"),
                     ("redundant", "Sales readers again"),
                     ("unknown-property", "Region readers"),
                     ("dead-context", "Approve streams")]:
        assert expected in found, expected
    for f in lint(site):
        assert f.message and f.fix


def test_lint_reports_a_rule_that_does_not_parse(capsys):
    path = ROOT / "tests" / "data" / "lint-parse-error.yaml"
    (finding,) = lint(load_scenario(path, lenient=True))
    assert finding.code == "parse-error" and "line 1, col 25" in finding.message
    assert main(["lint", str(path)]) == 1  # a finding, not unusable input


@pytest.mark.parametrize("name", ["anonymous-hub.yaml", "no-access-pass.yaml"])
def test_lint_is_quiet_on_clean_scenarios(name):
    assert lint(load_scenario(ROOT / "scenarios" / name)) == []


def test_lint_cli_exit_codes(capsys):
    assert main(["lint", str(ROOT / "scenarios" / "lint-showcase.yaml"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert {"code", "rule", "severity", "message", "fix"} <= set(data["findings"][0])
    assert main(["lint", str(DEMO)]) == 0


def test_html_trace_is_coloured_and_complete(demo):
    from qsplay.engine import make_request
    decision = decide_fresh(demo, make_request("app:Market Trends", "read", "anonymous", "public"))
    html = render_decision_html(decision)
    assert 'class="verdict allow"' in html
    assert "3. Security rules" in html and "asks: stream:Public read? yes" in html
    assert '<span class="t">true</span>' in html
    denied = render_decision_html(decide_fresh(demo, make_request("stream:Finance", "read", "CORP\\bob")))
    assert 'class="verdict deny"' in denied and "user.group is &quot;Sales&quot;" in denied


def test_edits_on_the_model_agree_with_edits_on_the_text(demo):
    """why-not tries candidates on the loaded model (E.trying), --apply writes the text edit: for every
    suggestion of every denied seed check, both give the same audit and the same decision, and the
    model is as loaded afterwards."""
    from qsplay.explain.preview import diff_audits
    before = audit(demo, context="hub", include_anonymous=True)
    tried = 0
    for check in denied_checks(demo):
        for s in why_not(demo, check.request, compute_gains=False).suggestions:
            assert all(e.model is not None for e in s.edits), s.change
            from_text = E.apply_edits(demo, s.edits)
            with E.trying(demo, s.edits) as in_memory:
                assert decide_fresh(in_memory, check.request).allowed == decide_fresh(from_text, check.request).allowed
                for context in ("hub", "qmc"):
                    assert not diff_audits(audit(from_text, context=context, include_anonymous=True),
                                           audit(in_memory, context=context, include_anonymous=True)), s.change
            tried += 1
    assert tried > 10
    assert not diff_audits(before, audit(demo, context="hub", include_anonymous=True))


def test_trying_undoes_the_edits_also_when_one_fails(demo):
    bob = demo.find_user("CORP\\bob")
    groups = list(bob.groups)
    with pytest.raises(ValueError):
        with E.trying(demo, [E.add_group("CORP\\bob", "Finance"), E.add_group("CORP\\nobody", "Finance")]):
            pass
    assert bob.groups == groups and bob.get("group") == groups


def test_lint_on_classes_gives_the_findings_of_the_reference():
    """lint's dynamic findings (matches-nothing, anonymous-write, redundant) come from the audit's
    classes; the reference evaluator, cell by cell, must find the same on random sites."""
    import random

    from qsplay.engine.security import SecurityEngine
    from qsplay.explain import lint as L
    from qsplay.fast.compressed import Uncompressible
    from qsplay.synthetic import random_site

    from .test_fast import realistic_random_site
    rng = random.Random(404)
    compared = found = 0
    for n in range(160):
        site = realistic_random_site(rng) if n % 2 else random_site(rng, scale=2)
        rules = [r for r in site.security_rules if not r.preinstalled or r.edited]
        try:
            fast = L._dynamic_on_classes(site, rules)
        except Uncompressible:
            continue
        engine = SecurityEngine(site)
        grants = {r.name: L._grants(site, engine, r) for r in rules if not r.disabled and r.parsed is not None}
        reference = L._dynamic_by_cells(site, rules, grants)
        assert [f.to_dict() for f in fast] == [f.to_dict() for f in reference], f"site {n}"
        compared += 1
        found += len(fast)
    assert compared > 100 and found > 50
