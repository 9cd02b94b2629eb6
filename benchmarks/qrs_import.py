"""How long import-qrs takes on a site-sized export (run on demand: python -m benchmarks.qrs_import).

Generates a synthetic QRS export (users, streams, apps, app objects, rules) in a temporary folder,
then times reading it and writing + loading the scenario. Reports seconds and objects per second.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from pathlib import Path


def make_export(folder: Path, users: int, streams: int, apps: int, objects: int) -> None:
    ids = lambda n, kind: [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{kind}{i}")) for i in range(n)]
    sids, aids = ids(streams, "s"), ids(apps, "a")
    owner = {"userDirectory": "ACME", "userId": "u0"}
    (folder / "user.json").write_text(json.dumps([
        {"userDirectory": "ACME", "userId": f"u{i}", "name": f"User {i}", "roles": [],
         "attributes": [{"attributeType": "Group", "attributeValue": f"G{i % 50}"}]} for i in range(users)]))
    (folder / "stream.json").write_text(json.dumps([
        {"id": sid, "name": f"Stream {i}", "owner": owner, "customProperties": []} for i, sid in enumerate(sids)]))
    (folder / "app.json").write_text(json.dumps([
        {"id": aid, "name": f"App {i}", "owner": owner, "stream": {"id": sids[i % streams], "name": f"Stream {i % streams}"},
         "published": True} for i, aid in enumerate(aids)]))
    (folder / "app_object.json").write_text(json.dumps([
        {"id": str(uuid.uuid4()), "name": f"Sheet {i}", "objectType": "sheet", "published": True, "approved": True,
         "app": {"id": aids[i % apps], "name": f"App {i % apps}"}, "owner": owner} for i in range(objects)]))
    (folder / "systemrule.json").write_text(json.dumps([
        {"name": f"Group {g} reads", "rule": f'user.group = "G{g}" and resource.name like "Stream {g}*"',
         "resourceFilter": "Stream_*", "actions": 2, "ruleContext": 1, "disabled": False, "category": "Security",
         "type": "Custom", "seedId": "00000000-0000-0000-0000-000000000000"} for g in range(50)]))


def main() -> int:
    quick = "--quick" in sys.argv
    size = dict(users=500, streams=50, apps=450, objects=5000) if quick else \
        dict(users=5000, streams=500, apps=4500, objects=50000)
    from qsplay.qrs import import_folder, write_scenario
    from qsplay.scenario import load_scenario
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        folder.mkdir()
        make_export(folder, **size)
        t0 = time.perf_counter()
        doc, report = import_folder(folder)
        t1 = time.perf_counter()
        write_scenario(doc, Path(tmp) / "site.yaml")
        t2 = time.perf_counter()
        load_scenario(Path(tmp) / "site.yaml")
        t3 = time.perf_counter()
    total = sum(size.values())
    print(json.dumps({"quick": quick, "site": size, "seconds": {"read_and_map": round(t1 - t0, 2),
                      "write_yaml": round(t2 - t1, 2), "load_scenario": round(t3 - t2, 2)},
                      "objects_per_second": round(total / (t3 - t0))}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
