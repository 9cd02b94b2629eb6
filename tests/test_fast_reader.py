"""The fast reader (qsplay/scenario/fast_reader.py) and the round-trip reader give the same model,
built by the same Reader, and the same located errors (issue 21)."""
import dataclasses
import json
import datetime
import textwrap

import pytest

from benchmarks.realistic import generate
from qsplay.qrs import import_folder, write_scenario
from qsplay.scenario import ScenarioError, builtin_dir, load_scenario, load_scenario_text
from qsplay.scenario.fast_reader import LocatedMap, NotFast, read_fast

from .conftest import ROOT, SHARED

SHIPPED = sorted(builtin_dir().glob("*.yaml")) + sorted((SHARED / "conformance").glob("*.yaml")) + \
    sorted((ROOT / "tests" / "data").glob("*.yaml"))


def canonical(value, top=True, seen=None):
    """A model as plain data: entities inside entities by reference, every field otherwise."""
    seen = set() if seen is None else seen
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): canonical(v, False, seen) for k, v in value.items() if k not in ("document",)}
    if isinstance(value, (list, tuple)):
        return [canonical(v, False, seen) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if dataclasses.is_dataclass(value):
        if hasattr(value, "ref") and not top:
            return ["ref", value.ref]
        if id(value) in seen:
            return ["seen", type(value).__name__]
        seen.add(id(value))
        return {f.name: canonical(getattr(value, f.name), False, seen) for f in dataclasses.fields(value)
                if not f.name.startswith("_")}
    return repr(value)


def model(site):
    out = canonical(site, top=True)
    out["users"] = [canonical(u, True) for u in site.users]
    out["resources"] = {k: [canonical(r, True) for r in v] for k, v in site.resources.items()}
    out["extra"] = {k: canonical(v, False) for k, v in site.extra.items() if k not in ("document", "content_hash")}
    return out


def without_locations(value):
    if isinstance(value, dict):
        return {k: without_locations(v) for k, v in value.items() if k not in ("location", "raw")}
    if isinstance(value, list):
        return [without_locations(v) for v in value]
    return value


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_same_model_on_shipped_files(path):
    try:
        fast = load_scenario(path, lenient=True)
    except ScenarioError as exc:
        with pytest.raises(ScenarioError) as slow:
            load_scenario(path, lenient=True, fast=False)
        assert str(slow.value) == str(exc)
        return
    slow = load_scenario(path, lenient=True, fast=False)
    assert model(fast) == model(slow)
    assert fast.extra["content_hash"] == slow.extra["content_hash"]


def test_same_model_on_a_generated_site(tmp_path):
    generate(tmp_path / "export", users=80, apps=60, objects=300, seed=3)
    doc, _ = import_folder(tmp_path / "export")
    write_scenario(doc, tmp_path / "site.yaml")
    text = (tmp_path / "site.yaml").read_text()
    assert isinstance(read_fast(text), LocatedMap)  # read by the fast reader, not handed on
    assert model(load_scenario(tmp_path / "site.yaml")) == model(load_scenario(tmp_path / "site.yaml", fast=False))


def test_the_document_is_read_on_first_edit_only():
    path = builtin_dir() / "anonymous-hub.yaml"
    site = load_scenario(path)
    assert "document" not in site.extra.keys()  # not read yet
    twin = site.copy()
    assert "document" not in site.extra.keys() and "document" not in twin.extra.keys()
    document = site.extra["document"]  # an edit or a save asks for it: read then, from the same text
    assert type(document).__name__ == "CommentedMap"
    assert document == load_scenario(path, fast=False).extra["document"]


VALUES = """\
    name: values
    now: 2026-11-02T09:00:00Z
    description: 0123
    license: {professional: 0x2, analyzer: 1_0}
    users:
      - {directory: CORP, id: 007, name: "quoted", email: 'single'}
      - {directory: CORP, id: 1.5e3}
      - {directory: CORP, id: "-dash", groups: [yes, no, on, off, ~, null]}
    security_rules:
      - name: multi
        resource_filter: Stream_*
        actions: [read]
        condition: |
          user.group = "a"
          and resource.name != "b" and !user.IsAnonymous()
"""


def test_scalars_read_as_the_round_trip_reader_reads_them():
    text = textwrap.dedent(VALUES)
    assert model(load_scenario_text(text, "v.yaml")) == model(load_scenario_text(text, "v.yaml", fast=False))


BROKEN = {
    "unknown key": "name: x\nusers:\n  - {directory: CORP, id: a, grups: [g]}\n",
    "bad condition": "name: x\nsecurity_rules:\n  - name: r\n    resource_filter: Stream_*\n    actions: [read]\n"
                     "    condition: user.group = = \"a\"\n",
    "syntax": "name: x\nusers:\n  - directory: CORP\n   id: a\n",
    "tag": "name: x\nsecurity_rules:\n  - name: r\n    resource_filter: Stream_*\n    actions: [read]\n"
           "    condition: !user.IsAnonymous()\n",
    "duplicate key": "name: x\nname: y\n",
    "unknown user": "name: x\napps:\n  - {name: a, owner: CORP\\nobody}\n",
    "alias bomb": "name: x\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e]\n",
    "bidi": "name: x\u202e\n",
    "split flow text": "name: x\nstreams:\n  - {name: no licence, no access}\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_errors_and_warnings_located_identically(name):
    text = BROKEN[name]
    outcomes = []
    for fast in (True, False):
        try:
            site = load_scenario_text(text, "broken.yaml", fast=fast)
            outcomes.append(("loaded", site.extra["warnings"], [s.name for s in site.streams]))
        except ScenarioError as exc:
            outcomes.append(("error", str(exc)))
    assert outcomes[0] == outcomes[1]


def test_what_the_fast_reader_hands_on():
    for text in ("a: &x 1\nb: *x\n", "a: !!str 1\n", "<<: {a: 1}\n", "a: 1\na: 2\n", "? [a]\n: 1\n", "a: [\n"):
        with pytest.raises(NotFast):
            read_fast(text)


def test_a_large_site_with_not_equal_conditions_is_no_alias_bomb(tmp_path):
    """The M export's false alarm: ` != ` and ` !x` (Qlik's SheetLevelSecurity package writes both)
    make the guard look at events; it counted every value, so 5,000 users x 50,000 objects were
    "more than 200,000 values" with no alias in the file. Only what aliases add counts."""
    from qsplay.scenario.document import yaml_rt
    from qsplay.scenario.yaml_guard import MAX_EXPANSION, YamlRefused, _check_events, read_yaml
    groups = ", ".join(f"G{i}" for i in range(MAX_EXPANSION + 10))
    text = (f"name: M-shaped\nusers:\n  - {{directory: CORP, id: a, groups: [{groups}]}}\n"
            "security_rules:\n  - name: r\n    resource_filter: App.Object_*\n    actions: [read]\n"
            "    condition: resource.objectType != \"sheet\" and !user.IsAnonymous()\n")
    _check_events(text, "m.yaml")  # no refusal
    with pytest.raises(YamlRefused, match="alias bomb"):
        read_yaml(BROKEN["alias bomb"], "bomb.yaml", yaml_rt())


def test_import_writes_what_the_round_trip_writer_would(tmp_path):
    """import-qrs emits with libyaml (qrs/importer.py fast_dump); both texts load to the same model,
    also for text that YAML 1.2 (ruamel) reads as a number and YAML 1.1 (libyaml) does not."""
    from qsplay.qrs.importer import dump, fast_dump
    generate(tmp_path / "export", users=40, apps=30, objects=100, seed=5)
    users = (tmp_path / "export" / "user.json")
    tricky = ["1e3", "0o17", "0b101", "1_000", "012", "yes", "No", "~", "null", "2026-01-02", ".5", "-1", "+1",
              "a: b", "# not a comment", "multi\nline  ", "  lead", "tab\there", "'quote", '"dq']
    records = json.loads(users.read_text())
    for record, value in zip(records, tricky):
        record["name"] = value
        record["attributes"].append({"attributeType": "Title", "attributeValue": value})
    users.write_text(json.dumps(records))
    doc, _ = import_folder(tmp_path / "export")
    slow_text, fast_text = dump(doc), fast_dump(doc)
    for fast in (True, False):
        a, b = load_scenario_text(slow_text, "s.yaml", fast=fast), load_scenario_text(fast_text, "s.yaml", fast=fast)
        assert [u.name for u in b.users][:len(tricky)] == tricky
        assert without_locations(model(a)) == without_locations(model(b))  # the texts differ in layout only


def test_the_compiled_site_cache_gives_the_builders_model(tmp_path, monkeypatch):
    from qsplay.scenario import cache
    monkeypatch.setenv("QSPLAY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    generate(tmp_path / "export", users=30, apps=20, objects=60, seed=9)
    doc, _ = import_folder(tmp_path / "export")
    site_file = tmp_path / "site.yaml"
    write_scenario(doc, site_file)
    first = load_scenario(site_file)  # builds, and keeps it
    assert len(list((tmp_path / "cache").glob("*.site"))) == 1
    second = load_scenario(site_file)  # from the cache
    assert second is not first and model(second) == model(first) == model(load_scenario(site_file, fast=False))
    assert second.extra["document"] == load_scenario(site_file, fast=False).extra["document"]  # still editable
    site_file.write_text(site_file.read_text().replace("Imported from", "Renamed from"))
    assert load_scenario(site_file).name.startswith("Renamed from")  # other bytes, other key
    for entry in (tmp_path / "cache").glob("*.site"):
        entry.write_bytes(b"damaged")
    assert model(load_scenario(site_file)) == model(load_scenario(site_file, fast=False))
    (tmp_path / "cache").chmod(0o777)  # a folder others may write to is not trusted
    assert cache.get("anything") is None
