"""The realistic-site generator (benchmarks/realistic.py): deterministic QRS export folders in the
shapes of real sites, which import-qrs reads (issue 21)."""
import json

from benchmarks.realistic import SIZES, generate
from qsplay.cli import main
from qsplay.scenario import load_scenario

TINY = dict(users=60, apps=50, objects=300)


def test_same_seed_same_files(tmp_path):
    generate(tmp_path / "a", **TINY, seed=7)
    generate(tmp_path / "b", **TINY, seed=7)
    generate(tmp_path / "c", **TINY, seed=8)
    for name in ("user.json", "app.json", "app_object.json", "systemrule.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "user.json").read_bytes() != (tmp_path / "c" / "user.json").read_bytes()


def test_shapes_of_a_real_site(tmp_path):
    generate(tmp_path, users=400, apps=400, objects=800, seed=1)
    users = json.loads((tmp_path / "user.json").read_text())
    group_counts = [sum(a["attributeType"] == "Group" for a in u["attributes"]) for u in users]
    assert min(group_counts) >= 1 and max(group_counts) <= 5
    assert len({a["attributeValue"] for u in users for a in u["attributes"] if a["attributeType"] == "Group"}) > 150
    apps = json.loads((tmp_path / "app.json").read_text())
    names = [a["name"] for a in apps]
    copies = len(names) - len(set(names))
    assert 0.02 * len(apps) < copies < 0.12 * len(apps)  # about 6% copied apps share a name
    objects = json.loads((tmp_path / "app_object.json").read_text())
    assert {o["objectType"] for o in objects} >= {"sheet", "bookmark", "story"}
    assert {o["published"] for o in objects} == {True, False}
    rules = json.loads((tmp_path / "systemrule.json").read_text())
    custom = [r for r in rules if r["type"] == "Custom" and r["category"] == "Security"]
    assert 60 <= len(custom) <= 150
    conditions = [r["rule"] for r in custom]
    assert "user.group = resource.@AccessGroup" in conditions
    assert any(" != " in c or "!=" in c for c in conditions) and any(" !user" in c or "!(" in c for c in conditions)
    assert any(r["type"] in ("Default", "ReadOnly") for r in rules)  # the preinstalled ones, as exported
    streams = json.loads((tmp_path / "stream.json").read_text())
    assert all(any(p["definition"]["name"] == "AccessGroup" for p in s["customProperties"]) for s in streams)


def test_imports_and_loads(tmp_path, capsys):
    generate(tmp_path / "export", **TINY)
    out = tmp_path / "site.yaml"
    assert main(["import-qrs", str(tmp_path / "export"), "-o", str(out)]) == 0
    site = load_scenario(out)
    assert len(site.users) == TINY["users"] and len(site.apps) == TINY["apps"]
    assert len(site.objects) == TINY["objects"]
    assert sum(1 for r in site.security_rules if not r.preinstalled) >= 60


def test_presets():
    assert SIZES["S"] == dict(users=1_000, apps=1_000, objects=10_000)
    assert SIZES["M"] == dict(users=5_000, apps=5_000, objects=50_000)
    assert SIZES["L"]["users"] == 20_000 and SIZES["L"]["objects"] == 200_000
