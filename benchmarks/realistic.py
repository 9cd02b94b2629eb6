"""Realistic QRS export folders of any size, deterministic from a seed (issue 21).

`python -m benchmarks.realistic --size M -o DIR` writes the files `qsplay import-qrs` reads
(user.json, stream.json, app.json, app_object.json, systemrule.json, custompropertydefinition.json,
dataconnection.json, virtualproxyconfig.json), in the shapes of QRS `/qrs/<entity>/full` responses,
with what real sites have and the in-memory synthetic site (qsplay.synthetic) does not:

- users in 1-5 of 300 directory groups (a few groups are large, most small), with e-mail and several
  other directory attributes, a few admin roles, custom properties;
- streams with custom properties (`AccessGroup` naming groups, `Region`);
- apps spread unevenly over owners, most published, about 6% copies sharing another app's name
  (copied apps: "3 resources are called app:X"), `SheetLevelSecurity` on some;
- sheets, bookmarks, stories and master items, published and approved or not;
- 60-150 custom rules of the shapes admins write — `user.group = resource.@AccessGroup`, group and
  name patterns, owner rules, conditions with ` != ` and ` !x` like Qlik's SheetLevelSecurity package
  (flautrup/QlikSenseSecurityRuleRepository, tests/data/qrs/packages/SheetLevelSecurity.json) —
  plus the preinstalled rules as a real export lists them (a few edited or disabled), and licence rules.

Presets (objects are app objects): S 1,000 users / 1,000 apps / 10,000 objects; M 5,000 / 5,000 /
50,000; L 20,000 / 20,000 / 200,000.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from pathlib import Path

SIZES = {
    "S": dict(users=1_000, apps=1_000, objects=10_000),
    "M": dict(users=5_000, apps=5_000, objects=50_000),
    "L": dict(users=20_000, apps=20_000, objects=200_000),
}
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
STAMP = {"createdDate": "2024-01-15T08:00:00.000Z", "modifiedDate": "2025-06-01T08:00:00.000Z",
         "modifiedByUserName": "CORP\\qlikservice"}  # on every QRS /full record
DEPARTMENTS = ("Finance", "Sales", "Marketing", "HR", "IT", "Operations", "Legal", "Procurement", "Logistics",
               "Support", "Engineering", "Research", "Risk", "Audit", "Treasury", "Facilities", "Quality",
               "Strategy", "Compliance", "Product")
REGIONS = ("EMEA", "AMER", "APAC", "Nordics", "DACH", "UKI", "Iberia", "France", "Benelux", "Italy", "Japan",
           "China", "India", "Brazil", "Canada")
COUNTRIES = ("SE", "DE", "GB", "FR", "ES", "IT", "NL", "US", "CA", "BR", "JP", "CN", "IN", "AU", "NO")
TITLES = ("Analyst", "Manager", "Director", "Developer", "Consultant", "Engineer", "Specialist", "Lead")
FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kim", "Lena",
         "Marco", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Yara", "Zoe")
LAST = ("Andersson", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen", "Ivanova", "Jensen",
        "Kowalski", "Larsen", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt", "Tanaka", "Weber")
APP_WORDS = ("Dashboard", "Analysis", "Monitor", "Report", "Forecast", "Tracker", "Overview", "Scorecard",
             "Explorer", "Planner")
OBJECT_TYPES = (("sheet", 55), ("bookmark", 15), ("story", 8), ("masterobject", 10), ("dimension", 6),
                ("measure", 6))
DIRECTORIES = ("CORP", "EMEA", "AMER")


def groups() -> list[str]:
    """300 directory groups: every department in every region."""
    return [f"{d}-{r}" for d in DEPARTMENTS for r in REGIONS]


def generate(folder: str | Path, users: int, apps: int, objects: int, streams: int | None = None,
             custom_rules: int | None = None, seed: int = 21) -> dict:
    """Write a QRS export folder; returns what was written (counts per file)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    ids = _Ids(seed)
    all_groups = groups()
    streams = streams if streams is not None else max(10, apps // 15)
    if custom_rules is None:
        custom_rules = min(150, max(60, 60 + (users // 250)))
    # a few big groups, a long tail of small ones (directory groups are Zipf-like)
    group_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(all_groups))]
    rnd.shuffle(group_weights)

    user_records = []
    for i in range(users):
        directory = DIRECTORIES[0] if i % 10 < 7 else DIRECTORIES[1 + i % 2]
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        user_id = f"{first[0].lower()}{_ascii(last).lower()}{i:05d}"
        chosen = _distinct(rnd, all_groups, group_weights, rnd.choice((1, 1, 2, 2, 2, 3, 3, 4, 5)))
        attributes = [{"attributeType": "Group", "attributeValue": g} for g in chosen]
        attributes += [{"attributeType": "Email", "attributeValue": f"{user_id}@example.com"},
                       {"attributeType": "Department", "attributeValue": chosen[0].split("-")[0]},
                       {"attributeType": "Title", "attributeValue": rnd.choice(TITLES)},
                       {"attributeType": "Country", "attributeValue": rnd.choice(COUNTRIES)},
                       {"attributeType": "Office", "attributeValue": f"Office {rnd.randrange(40)}"}]
        roles = []
        if i < max(2, users // 500):
            roles = ["RootAdmin"]
        elif i < max(4, users // 200):
            roles = [rnd.choice(("ContentAdmin", "SecurityAdmin", "AuditAdmin"))]
        props = [_prop(ids, "Region", chosen[0].split("-")[1])]
        if rnd.random() < 0.3:
            props.append(_prop(ids, "AccessGroup", rnd.choice(all_groups)))
        user_records.append({
            "id": ids.next("user"), **STAMP, "userDirectory": directory, "userId": user_id, "name": f"{first} {last}",
            "roles": roles, "attributes": attributes, "customProperties": props, "inactive": rnd.random() < 0.01,
            "removedExternally": False, "blacklisted": False, "tags": [], "privileges": None,
            "createdDate": "2024-01-15T08:00:00.000Z", "modifiedDate": "2025-06-01T08:00:00.000Z"})
    owners = [_owner(u) for u in user_records]
    # a few people own most apps (developers), everyone some
    owner_weights = [1.0 / (i + 1) ** 1.1 for i in range(len(owners))]

    stream_records, stream_groups = [], []
    for i in range(streams):
        dept, region = DEPARTMENTS[i % len(DEPARTMENTS)], REGIONS[(i // len(DEPARTMENTS)) % len(REGIONS)]
        access = _distinct(rnd, [g for g in all_groups if g.startswith(dept)] or all_groups, None, rnd.choice((1, 2, 3)))
        stream_groups.append(access)
        props = [_prop(ids, "AccessGroup", g) for g in access] + [_prop(ids, "Region", region)]
        if rnd.random() < 0.2:
            props.append(_prop(ids, "Confidential", "Yes"))
        stream_records.append({"id": ids.next("stream"), **STAMP, "name": f"{dept} {region} {i:03d}",
                               "owner": owners[rnd.randrange(min(len(owners), 20))], "customProperties": props,
                               "tags": [], "privileges": None})

    app_records, names = [], []
    for i in range(apps):
        copied = names and rnd.random() < 0.06  # a copy keeps its original's name
        name = rnd.choice(names) if copied else f"{rnd.choice(DEPARTMENTS)} {rnd.choice(APP_WORDS)} {i}"
        names.append(name)
        published = not copied and rnd.random() < 0.7
        stream = rnd.randrange(streams) if published else None
        props = []
        if rnd.random() < 0.25:
            props.append(_prop(ids, "SheetLevelSecurity", rnd.choice(("Yes", "No"))))
        if rnd.random() < 0.5:
            props.append(_prop(ids, "Department", name.split(" ")[0]))
        owner = owners[_weighted_index(rnd, owner_weights)]
        app_records.append({
            "id": ids.next("app"), **STAMP, "name": name, "appId": "", "savedInProductVersion": "12.1477.0",
            "migrationHash": "", "availabilityStatus": 0, "lastReloadTime": "2025-11-30T02:00:00.000Z",
            "thumbnail": "", "dynamicColor": "", "sourceAppId": ZERO_GUID, "targetAppId": ZERO_GUID, "owner": owner, "published": published,
            "publishTime": "2025-03-01T10:00:00.000Z" if published else "1753-01-01T00:00:00.000Z",
            "stream": {"id": stream_records[stream]["id"], "name": stream_records[stream]["name"],
                       "privileges": None} if published else None,
            "customProperties": props, "description": "", "fileSize": rnd.randrange(10_000, 90_000_000),
            "tags": [], "privileges": None})

    object_records = []
    type_names, type_weights = zip(*OBJECT_TYPES)
    for i in range(objects):
        app = app_records[rnd.randrange(apps)]
        kind = rnd.choices(type_names, type_weights)[0]
        base = app["published"] and rnd.random() < 0.6  # the app's own sheets, published with it
        published = base or (app["published"] and rnd.random() < 0.3)  # community sheets
        owner = app["owner"] if base else owners[rnd.randrange(len(owners))]
        record = {"id": ids.next("object"), **STAMP, "owner": owner, "name": f"{kind.title()} {i}",
                  "engineObjectId": uuid.UUID(int=rnd.getrandbits(128)).hex[:10], "description": "",
                  "objectType": kind, "publishTime": app["publishTime"], "published": published, "approved": base,
                  "tags": [], "app": {"id": app["id"], "name": app["name"], "appId": "", "publishTime": app["publishTime"],
                                      "published": app["published"], "stream": app["stream"],
                                      "savedInProductVersion": "12.1477.0", "migrationHash": "", "availabilityStatus": 0,
                                      "privileges": None},
                  "contentHash": uuid.UUID(int=rnd.getrandbits(128)).hex, "attributes": "", "size": rnd.randrange(900, 90000),
                  "sourceObject": "", "draftObject": "", "appObjectBlobId": ids.next("blob"), "privileges": None,
                  "schemaPath": "App.Object"}
        if kind == "sheet" and rnd.random() < 0.2:  # SheetLevelSecurity reads the group from the description
            record["description"] = rnd.choice(all_groups)
        object_records.append(record)

    connections = [{"id": ids.next("dc"), "name": f"{rnd.choice(DEPARTMENTS)} DB {i}",
                    "connectionstring": f"CUSTOM CONNECT TO \"provider=QvOdbcConnectorPackage.exe;host=db{i}\"",
                    "type": rnd.choice(("QvOdbcConnectorPackage.exe", "folder", "OLEDB")),
                    "owner": owners[rnd.randrange(min(50, len(owners)))], "customProperties": [],
                    "tags": [], "privileges": None} for i in range(max(5, apps // 50))]
    definitions = [
        {"id": ids.next("cp"), "name": "AccessGroup", "valueType": "Text", "choiceValues": all_groups,
         "objectTypes": ["Stream", "App", "User"]},
        {"id": ids.next("cp"), "name": "Region", "valueType": "Text", "choiceValues": list(REGIONS),
         "objectTypes": ["Stream", "User"]},
        {"id": ids.next("cp"), "name": "Confidential", "valueType": "Text", "choiceValues": ["Yes", "No"],
         "objectTypes": ["Stream"]},
        {"id": ids.next("cp"), "name": "SheetLevelSecurity", "valueType": "Text", "choiceValues": ["Yes", "No"],
         "objectTypes": ["App"]},
        {"id": ids.next("cp"), "name": "Department", "valueType": "Text", "choiceValues": list(DEPARTMENTS),
         "objectTypes": ["App"]},
    ]
    proxies = [
        {"id": ids.next("vp"), "prefix": "", "description": "Central Proxy (Default)", "authenticationMethod": 0,
         "anonymousAccessMode": 0, "windowsAuthenticationEnabledDevicePattern": "Windows",
         "sessionInactivityTimeout": 30, "extendedSecurityEnvironment": False},
        {"id": ids.next("vp"), "prefix": "hdr", "description": "Header authentication for the portal",
         "authenticationMethod": 1, "anonymousAccessMode": 0, "sessionInactivityTimeout": 60,
         "headerAuthenticationHeaderName": "X-Qlik-User", "extendedSecurityEnvironment": False},
    ]
    rules = _preinstalled(ids, rnd) + _custom_rules(ids, rnd, custom_rules, all_groups, stream_records) + \
        _licence_rules(ids, all_groups)
    files = {"user.json": user_records, "stream.json": stream_records, "app.json": app_records,
             "app_object.json": object_records, "systemrule.json": rules, "dataconnection.json": connections,
             "custompropertydefinition.json": definitions, "virtualproxyconfig.json": proxies}
    for name, records in files.items():
        with open(folder / name, "w", encoding="utf-8") as fh:
            json.dump(records, fh, ensure_ascii=False)  # QRS responses: one compact JSON list
    return {name: len(records) for name, records in files.items()}


class _Ids:
    """Deterministic GUIDs (QRS ids) from the seed."""

    def __init__(self, seed: int):
        self.seed, self.n = seed, 0

    def next(self, kind: str) -> str:
        self.n += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qsplay-realistic/{self.seed}/{kind}/{self.n}"))


def _ascii(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isalpha())


def _owner(user: dict) -> dict:
    return {"id": user["id"], "userId": user["userId"], "userDirectory": user["userDirectory"],
            "name": user["name"], "privileges": None}


def _prop(ids: _Ids, name: str, value: str) -> dict:
    return {"id": ids.next("cpv"), "value": value, "definition": {"id": ZERO_GUID, "name": name,
                                                                  "valueType": "Text", "choiceValues": None}}


def _weighted_index(rnd: random.Random, weights: list[float]) -> int:
    return rnd.choices(range(len(weights)), weights)[0]


def _distinct(rnd: random.Random, values: list[str], weights, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < min(n, len(values)):
        pick = rnd.choices(values, weights)[0] if weights else rnd.choice(values)
        if pick not in out:
            out.append(pick)
    return out


def _rule(ids: _Ids, name: str, condition: str, resource_filter: str, actions: int, context: int = 0,
          comment: str = "", disabled: bool = False, rtype: str = "Custom", seed_id: str = ZERO_GUID,
          category: str = "Security") -> dict:
    return {"id": ids.next("rule"), "category": category, "type": rtype, "name": name, "rule": condition,
            "resourceFilter": resource_filter, "actions": actions, "comment": comment, "disabled": disabled,
            "ruleContext": context, "seedId": seed_id, "version": 0, "tags": [], "privileges": None,
            "schemaPath": "SystemRule"}


def _preinstalled(ids: _Ids, rnd: random.Random) -> list[dict]:
    """The preinstalled rules as GET /qrs/systemrule/full lists them; a real site has edited a few."""
    from qsplay.defaults import preinstalled_rule_specs
    from qsplay.rules.actions import ALL_ACTIONS_MASK, CONTEXT_TO_QRS, mask_from_actions
    out = []
    for spec in preinstalled_rule_specs():
        mask = ALL_ACTIONS_MASK if spec["actions"] == ["all"] else mask_from_actions(spec["actions"])
        record = _rule(ids, spec["name"], spec.get("condition", ""), spec["resource_filter"], mask,
                       CONTEXT_TO_QRS[spec.get("context", "both")], spec.get("description", ""),
                       rtype=spec.get("type", "Default"), seed_id=spec.get("seed_id") or ZERO_GUID)
        out.append(record)
    for record in rnd.sample(out, 3):  # the usual local changes: a default switched off
        if record["name"] in ("Stream", "CreateApp", "StreamEveryoneAnonymous", "ExportAppData"):
            record["disabled"] = True
    for record in out:
        if record["name"] in ("StreamEveryoneAnonymous", "CreateAppObjectsPublishedApp"):
            record["disabled"] = True
    return out


SHEET_LEVEL_SECURITY = [  # verbatim shapes from Qlik's SheetLevelSecurity package (see module docstring)
    ("SheetLevelSecurity - sheets", '((resource.objectType="sheet" and resource.published ="true" and '
     'resource.app.@SheetLevelSecurity="Yes" and user.group=resource.description) or (resource.published ="true" '
     'and resource.objectType!="sheet")) and resource.app.stream.HasPrivilege("read")', "App.Object_*", 2),
    ("SheetLevelSecurity - apps", '(resource.resourcetype = "App" and resource.stream.HasPrivilege("read")) or '
     '((resource.resourcetype = "App.Object" and resource.published ="true" and '
     'resource.app.@SheetLevelSecurity!="Yes" and resource.objectType != "app_appscript") and '
     'resource.app.stream.HasPrivilege("read"))', "App*", 2),
]


def _custom_rules(ids: _Ids, rnd: random.Random, n: int, all_groups: list[str], streams: list[dict]) -> list[dict]:
    out = [_rule(ids, name, cond, rf, actions, comment="Imported from the SheetLevelSecurity rule package")
           for name, cond, rf, actions in SHEET_LEVEL_SECURITY]
    fixed = [
        ("Stream access by AccessGroup", "user.group = resource.@AccessGroup", "Stream_*", 2, 1,
         "Streams list the groups that may see them in the AccessGroup custom property"),
        ("Publish by AccessGroup", '(user.group = resource.@AccessGroup and user.@AccessGroup = resource.@AccessGroup)',
         "Stream_*", 32, 1, ""),
        ("Apps of my region", "resource.stream.@Region = user.@Region and !user.IsAnonymous()", "App_*", 2, 1, ""),
        ("Not confidential", 'resource.@Confidential != "Yes" and !user.IsAnonymous()', "Stream_*", 2, 1,
         "Everyone sees streams that are not confidential"),
        ("Owner manages own apps", "resource.IsOwned() and resource.owner.name = user.name", "App_*", 2 | 4 | 8 | 32, 0, ""),
        ("Root admin group", '((user.group="QlikRootAdmin" or user.roles="RootAdmin"))', "*", 0x7FF, 0, ""),
        ("QMC stream admins", 'user.group = "IT-EMEA" or user.group = "IT-AMER"', "QmcSection_Stream,Stream_*", 2 | 4, 2,
         ""),
        ("Department apps", "resource.@Department = user.department", "App_*", 2, 1, ""),
        ("Publish sheets in my streams", 'resource.app.stream.HasPrivilege("publish") and resource.objectType = "sheet"',
         "App.Object_*", 32, 1, ""),
        ("Deny hidden sheets", 'resource.objectType = "sheet" and resource.name != "Hidden*" and '
         'resource.app.stream.@AccessGroup = user.group', "App.Object_*", 2, 1, ""),
    ]
    out += [_rule(ids, name, cond, rf, acts, ctx, comment) for name, cond, rf, acts, ctx, comment in fixed]
    shapes = [
        lambda g: (f"{g} stream read", f'user.group = "{g}" and resource.name like "{g.split("-")[0]}*"', "Stream_*", 2, 1),
        lambda g: (f"{g} app read", f'((user.group = "{g}")) and resource.stream.name like "{g.split("-")[0]} *"',
                   "App_*", 2, 1),
        lambda g: (f"{g} developers", f'user.group = "{g}" and user.title = "Developer"', "App_*,App.Object_*",
                   1 | 2 | 4 | 8, 0),
        lambda g: (f"{g} not external", f'user.group = "{g}" and !(user.userdirectory = "EMEA") and '
                   f'resource.@Region != "China"', "Stream_*", 2, 1),
        lambda g: (f"{g} multi-line", f'(user.group = "{g}" or user.@AccessGroup = "{g}")\nand resource.stream.'
                   f'@AccessGroup = "{g}"\nand resource.objectType != "story"', "App.Object_*", 2, 1),
        lambda g: (f"{g} data connections", f'user.group = "{g}" and resource.name like "{g.split("-")[0]} DB*"',
                   "DataConnection_*", 2 | 4, 0),
    ]
    picked = rnd.sample(all_groups, len(all_groups))
    i = 0
    while len(out) < n:
        name, cond, rf, acts, ctx = shapes[i % len(shapes)](picked[i % len(picked)])
        out.append(_rule(ids, name, cond, rf, acts, ctx, disabled=rnd.random() < 0.05))
        i += 1
    return out[:n]


def _licence_rules(ids: _Ids, all_groups: list[str]) -> list[dict]:
    out = []
    for kind, group in (("ProfessionalAccessGroup", "IT-EMEA"), ("AnalyzerAccessGroup", "Sales-EMEA")):
        rule_id = ids.next("licence")
        out.append({**_rule(ids, f"License rule to grant {kind} for {group}", f'((user.group="{group}"))',
                            f"License.{kind}_{rule_id}", 1, category="License"), "id": rule_id})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.realistic",
                                     description="Write a realistic QRS export folder (for import-qrs and benchmarks).")
    parser.add_argument("--size", choices=sorted(SIZES), default="S", help="S, M or L (default S)")
    parser.add_argument("-o", "--output", required=True, help="folder to write the JSON files to")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--users", type=int, help="override the preset's number of users")
    parser.add_argument("--apps", type=int, help="override the preset's number of apps")
    parser.add_argument("--objects", type=int, help="override the preset's number of app objects")
    args = parser.parse_args(argv)
    size = dict(SIZES[args.size])
    for key in ("users", "apps", "objects"):
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    counts = generate(args.output, seed=args.seed, **size)
    total = sum(f.stat().st_size for f in Path(args.output).glob("*.json"))
    print(f"wrote {args.output}: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()) +
          f" ({total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
