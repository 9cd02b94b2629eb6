"""Read a folder of QRS API responses (JSON) and recognise what each file holds.

File names follow the endpoints (systemrule.json, user.json, stream.json, app.json, app_object.json,
dataconnection.json, custompropertydefinition.json, virtualproxyconfig.json, and what `qsplay pull`
writes besides: about.json, userdirectory.json, extension.json, tag.json, license*.json, …; see
qsplay/qrs/pull.py ENDPOINTS); a file under another name is recognised by its content. Table
responses (`columnNames` + `rows`) become records. A pulled folder's `pull-manifest.json` is read
into `Export.manifest` (its `started` is the dump's time).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..files import FileProblem, read_text
from ..scenario.errors import line_window

MAX_EXPORT_FILE_BYTES = 1024 * 1024 * 1024  # one /qrs/.../full response; a big site's is a few hundred MB
KINDS = ("systemrule", "user", "stream", "app", "app_object", "dataconnection", "custompropertydefinition",
         "virtualproxyconfig", "package", "about")
# read by name only (what `qsplay pull` writes); a one-object response (license, …) is a one-record list
PULLED_KINDS = ("about_api_enums", "userdirectory", "proxyservice", "extension", "tag", "license",
                "license_accesstypeoverview", "license_accesstypeinfo",
                *(f"license_{k}" for k in ("professionalaccesstype", "analyzeraccesstype", "useraccesstype",
                                           "loginaccesstype", "analyzertimeaccesstype", "professionalaccessgroup",
                                           "analyzeraccessgroup", "useraccessgroup", "professionalaccessusage",
                                           "analyzeraccessusage", "useraccessusage", "loginaccessusage",
                                           "analyzertimeaccessusage")))
MANIFEST = "pull-manifest.json"


LICENCE_STEMS = ("license", "pull-manifest")  # and every license_<endpoint>.json


class QrsError(Exception):
    """An export that cannot be used, located by file (and line/column for bad JSON)."""


@dataclass
class Export:
    records: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in KINDS + PULLED_KINDS})
    sources: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS + PULLED_KINDS})
    report: list[str] = field(default_factory=list)  # what was missing, skipped or assumed
    # the licence endpoints and pull-manifest.json, by file stem, as read (qrs/licence_state.py)
    licence: dict[str, object] = field(default_factory=dict)
    folder: Path | None = None
    manifest: dict | None = None  # pull-manifest.json of a folder `qsplay pull` wrote


def read_folder(folder: str | Path) -> Export:
    folder = Path(folder)
    if not folder.is_dir():
        raise QrsError(f"{folder}: not a folder of QRS JSON files")
    export = Export(folder=folder)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise QrsError(f"{folder}: no .json files")
    for path in files:
        data = load_json(path, inside=folder)
        if path.name == MANIFEST:
            export.manifest = data if isinstance(data, dict) else None
        if path.stem.lower() in LICENCE_STEMS or path.stem.lower().startswith("license_"):
            export.licence[path.stem.lower()] = data  # licence state: read by qrs/licence_state.py
            continue
        kind, records = classify(path, data)
        for i, record in enumerate(records):
            record.setdefault("_source", f"{path.name}[{i}]")
        if kind == "systemrule":
            for record in records:
                if "resourceFilter" not in record and "rule" not in record:
                    raise QrsError(f"{record['_source']}: has neither resourceFilter nor rule: not a "
                                   f"/qrs/systemrule response")
        if kind is None:
            export.report.append(f"{path.name}: not recognised as a QRS response; skipped")
            continue
        export.records[kind].extend(records)
        export.sources[kind].append(path.name)
    for kind in ("systemrule", "user", "stream", "app", "app_object", "virtualproxyconfig"):
        if not export.records[kind] and not (kind == "systemrule" and export.records["package"]):
            export.report.append(f"no {kind} data in {folder}: that part of the site is left empty, not guessed")
    return export


def load_json(path: Path, inside: Path | None = None):
    try:
        text = read_text(path, MAX_EXPORT_FILE_BYTES, inside=inside, encoding="utf-8-sig")
    except FileProblem as exc:
        raise QrsError(str(exc))
    except UnicodeDecodeError as exc:
        raise QrsError(f"{path}: not UTF-8 text at byte {exc.start:,}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        start = text.rfind("\n", 0, exc.pos) + 1
        end = text.find("\n", exc.pos)
        excerpt, caret = line_window(text[start:end if end >= 0 else len(text)], exc.colno)
        raise QrsError(f"{path}: line {exc.lineno}, col {exc.colno:,}: not valid JSON: {exc.msg}\n"
                       f"    {excerpt}\n    {' ' * (caret - 1)}^")
    except RecursionError:
        raise QrsError(f"{path}: nested too deeply to read (lists or objects inside each other thousands of "
                       f"levels deep; a QRS response has a few)") from None


def classify(path: Path, data) -> tuple[str | None, list[dict]]:
    stem = path.stem.lower().replace("-", "_")
    if stem in PULLED_KINDS:
        if data is None:  # e.g. GET /qrs/license on a site with no licence set
            return stem, []
        if isinstance(data, dict):
            return stem, [data]
    if isinstance(data, dict) and "localpackagelist" in data:
        return "package", _package_rules(path, data)
    if isinstance(data, dict) and "columnNames" in data and "rows" in data:
        data = _table_records(path, data)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise QrsError(f"{path}: expected a JSON list of objects (a QRS /full response), got {type(data).__name__}")
    records = [r for r in data if isinstance(r, dict)]
    if len(records) != len(data):
        bad = next(i for i, r in enumerate(data) if not isinstance(r, dict))
        raise QrsError(f"{path}: item [{bad}] is not a JSON object")
    if stem in PULLED_KINDS:
        return stem, records
    by_name = {"systemrule": "systemrule", "user": "user", "stream": "stream", "app": "app",
               "app_object": "app_object", "appobject": "app_object", "dataconnection": "dataconnection",
               "custompropertydefinition": "custompropertydefinition", "virtualproxyconfig": "virtualproxyconfig",
               "about": "about"}
    if stem in by_name:
        return by_name[stem], records
    return _by_content(records), records


def _by_content(records: list[dict]) -> str | None:
    if not records:
        return None
    keys = set().union(*(r.keys() for r in records[:20]))
    if "buildVersion" in keys:  # /qrs/about: which release the site runs
        return "about"
    if {"resourceFilter", "rule"} <= keys:
        return "systemrule"
    if {"userDirectory", "userId"} <= keys:
        return "user"
    if "objectType" in keys:
        return "app_object"
    if {"prefix", "anonymousAccessMode"} & keys and "prefix" in keys:
        return "virtualproxyconfig"
    if "connectionstring" in {k.lower() for k in keys}:
        return "dataconnection"
    if {"choiceValues", "objectTypes"} & keys:
        return "custompropertydefinition"
    if "stream" in keys or "publishTime" in keys:
        return "app"
    if "name" in keys and "owner" in keys:
        return "stream"
    return None


def _package_rules(path: Path, data: dict) -> list[dict]:
    rules = []
    packages = data.get("localpackagelist")
    if not isinstance(packages, list):
        raise QrsError(f"{path}: localpackagelist should be a list of packages")
    for i, package in enumerate(packages):
        rule_list = package.get("ruleList") if isinstance(package, dict) else None
        if not isinstance(rule_list, list):
            raise QrsError(f"{path}: localpackagelist[{i}].ruleList should be a list of rules")
        for j, rule in enumerate(rule_list):
            if not isinstance(rule, dict):
                raise QrsError(f"{path}: localpackagelist[{i}].ruleList[{j}] should be a rule (an object), "
                               f"not {type(rule).__name__}")
            rules.append({**rule, "_package": str(package.get("packageName") or "")})
    return rules


def _table_records(path: Path, data: dict) -> list[dict]:
    columns = data["columnNames"]
    if not isinstance(columns, list) or not isinstance(data["rows"], list):
        raise QrsError(f"{path}: a table response needs columnNames and rows lists")
    out = []
    for i, row in enumerate(data["rows"]):
        if not isinstance(row, list) or len(row) != len(columns):
            raise QrsError(f"{path}: rows[{i}] has {len(row) if isinstance(row, list) else '?'} cells for "
                           f"{len(columns)} columns")
        record: dict = {}
        for name, value in zip(columns, row):
            target = record
            parts = str(name).split(".")
            for part in parts[:-1]:
                target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
            target[parts[-1]] = value
        out.append(record)
    return out
