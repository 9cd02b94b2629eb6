"""import-qrs -> export-qrs gives back every rule of a real export unchanged, field by field.

Compared per rule, matched by its QRS id: id, name, category, type, rule, resourceFilter, actions
(the bitmask), ruleContext, disabled, comment, seedId — every one of these the input record has
(a condensed /qrs/systemrule has no ruleContext or seedId). Not kept: createdDate, modifiedDate,
modifiedByUserName, version, tags, privileges, schemaPath (QRS sets them itself when a rule is
written); Windows line ends (CR LF) in a condition or comment come back as LF, because a scenario
holds no U+000D (qsplay/safe_text.py) — none of the real exports has one. Sync rules are not access rules and are not imported. export-qrs also writes the
preinstalled rules the export did not hold; those are extra, not compared.
"""
import json
import shutil

import pytest

from qsplay.cli import main
from qsplay.qrs import import_folder, write_scenario
from qsplay.qrs.mapping import RULE_FIELDS
from qsplay.qrs.reader import classify

from .conftest import ROOT, SHARED

DATA = ROOT / "tests" / "data" / "qrs"
SAMPLES = sorted(p for p in DATA.rglob("*.json"))
SYNTHETIC = ROOT / "tests" / "data" / "qrs-round-trip"


def rules_in(path):
    kind, records = classify(path, json.loads(path.read_text(encoding="utf-8-sig")))
    if kind not in ("systemrule", "package"):
        return []
    return [r for r in records if str(r.get("category", "Security")).lower() != "sync"]


def round_trip(tmp_path, files):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder)
    doc, report = import_folder(folder)
    assert not any("kept as a comment" in line for line in report), report
    scenario = tmp_path / "site.yaml"
    write_scenario(doc, scenario)
    out = tmp_path / "rules.json"
    assert main(["export-qrs", str(scenario), "-o", str(out)]) == 0
    return {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))}, scenario


def assert_unchanged(original, exported):
    for rec in original:
        got = exported.get(rec["id"])
        assert got is not None, f"rule {rec['name']!r} ({rec['id']}) is missing from the export"
        for key in RULE_FIELDS:
            if key in rec:
                want = rec[key] if rec[key] is not None else ""
                if key in ("rule", "comment"):  # CR LF comes back as LF: scenarios hold no U+000D
                    want = want.replace("\r\n", "\n")
                assert got[key] == want, f"{rec['name']!r}.{key}: {got[key]!r} != {want!r}"


def test_the_shared_samples_are_the_ones_tested_here():
    """tests/data/qrs holds byte copies of ../shared/samples, so CI tests them without the shared folder."""
    if not (SHARED / "samples").is_dir():
        pytest.skip("no shared samples folder here")
    shared = {p.name: p.read_bytes() for p in (SHARED / "samples").rglob("*.json")}
    ours = {p.name: p.read_bytes() for p in SAMPLES}
    assert shared == ours


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_rule_of_every_real_export_comes_back_unchanged(tmp_path, sample):
    original = rules_in(sample)
    exported, _ = round_trip(tmp_path, [sample])
    assert_unchanged(original, exported)
    # counted: SheetLevelSecurity 2, StreamDevRole 3, systemrule-gss 2, rule-manager-package 3,
    # systemrule-oem-developer 1; the proxy and app-object files hold none
    expected = {"SheetLevelSecurity.json": 2, "StreamDevRole.json": 3, "systemrule-gss.json": 2,
                "rule-manager-package.json": 3, "systemrule-oem-developer.json": 1}
    assert len(original) == expected.get(sample.name, 0)


def test_all_real_exports_together(tmp_path):
    original = [r for s in SAMPLES for r in rules_in(s)]
    exported, _ = round_trip(tmp_path, SAMPLES)
    assert len(original) == 11
    assert_unchanged(original, exported)


def test_the_hard_cases_come_back_unchanged(tmp_path):
    """Two rules under one name (QRS identifies rules by id), a custom rule named like a preinstalled
    one, a preinstalled rule as shipped under this site's own id, an edited default still typed
    Default, Windows line ends and trailing spaces in a condition, a bitmask with every action bit
    but not QRS's all-bits value, and licence rules pointing at their access groups
    (License.ProfessionalAccessGroup_<id>, License.LoginAccessType_<id>; reference/qrs-live-site.md §2.3)."""
    source = SYNTHETIC / "systemrule.json"
    original = rules_in(source)
    exported, scenario = round_trip(tmp_path, [source])
    assert_unchanged(original, exported)
    text = scenario.read_text()
    assert "qrs_name: Read own apps" in text  # the second one is renamed in the scenario, not in QRS
    from qsplay.scenario import load_scenario
    site = load_scenario(scenario)
    login = next(r for r in site.license_rules if r.type == "login_access")
    assert login.access_group == "5d9ac2a3-3a5c-4b0d-9d35-1f0b9a4e0c11"
    stream = site.find_security_rule("Stream")
    assert stream.preinstalled and not stream.edited  # only its id was kept
