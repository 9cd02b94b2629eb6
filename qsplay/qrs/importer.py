"""Turn a folder of QRS exports into a scenario file, saying where each part came from."""
from __future__ import annotations

from contextlib import contextmanager

import io
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from ..scenario.document import yaml_rt
from ..scenario.loader import MAX_SESSION_TIMEOUT_MINUTES
from . import mapping
from . import licence_state
from .reader import Export, QrsError, read_folder

SECTIONS = ("user_directories", "users", "custom_properties", "streams", "apps", "objects", "data_connections",
            "virtual_proxies", "license_rules", "security_rules")


def import_folder(folder: str | Path, name: str | None = None) -> tuple[CommentedMap, list[str]]:
    export = read_folder(folder)
    doc, left_out = build_document(export, name or f"Imported from {Path(folder).name}")
    doc.qsplay_export = export  # where its values came from, for refusal messages (not dumped)
    return doc, export.report


def build_document(export: Export, name: str) -> tuple[CommentedMap, list]:
    report = export.report
    doc = CommentedMap()
    doc["qsplay"] = 1
    doc["name"] = name
    doc["description"] = "Imported from QRS API responses by qsplay import-qrs."
    doc["default_rules"] = True
    release = _release(export, report)
    if release is not None:
        doc["qlik_release"] = release
    users, known = _users(export, report)
    owners_needed: dict[str, dict] = {}

    def owner_of(record) -> str | None:
        owner = record.get("owner")
        if isinstance(owner, dict) and owner.get("userId"):
            ref = f"{owner.get('userDirectory') or 'INTERNAL'}\\{owner['userId']}"
        elif isinstance(owner, str) and owner:
            ref = owner if "\\" in owner else f"INTERNAL\\{owner}"
        else:
            return None
        if ref.casefold() not in known and ref.casefold() not in owners_needed:
            directory, _, uid = ref.partition("\\")
            owners_needed[ref.casefold()] = {"directory": directory, "id": uid}
        return ref

    streams = []
    stream_names: dict[str, str] = {}
    for rec in export.records["stream"]:
        with _record(rec, "stream", report):
            entry = _named(rec)
            _props(rec, entry)
            if owner_of(rec):
                entry["owner"] = owner_of(rec)
            stream_names[str(rec.get("id", "")).lower()] = entry["name"]
            streams.append(entry)
    apps, app_refs = [], {}
    app_name_count: dict[str, int] = {}
    for rec in export.records["app"]:
        app_name_count[str(rec.get("name", "")).casefold()] = app_name_count.get(str(rec.get("name", "")).casefold(), 0) + 1
    for rec in export.records["app"]:
        with _record(rec, "app", report):
            entry = _named(rec)
            stream = rec.get("stream")
            if isinstance(stream, dict) and (stream.get("id") or stream.get("name")):
                entry["stream"] = stream_names.get(str(stream.get("id", "")).lower()) or stream.get("name")
                if entry["stream"] is None or (str(stream.get("id", "")).lower() not in stream_names
                                               and stream.get("name") not in stream_names.values()):
                    report.append(f"app {entry['name']!r}: its stream {stream.get('name') or stream.get('id')} is not "
                                  f"in stream.json; imported unpublished")
                    entry.pop("stream", None)
            _props(rec, entry)
            if owner_of(rec):
                entry["owner"] = owner_of(rec)
            unique = app_name_count[entry["name"].casefold()] == 1
            app_refs[str(rec.get("id", "")).lower()] = entry["name"] if unique else entry["id"]
            app_refs.setdefault(("name", entry["name"].casefold()), entry["name"] if unique else entry["id"])
            apps.append(entry)
    objects, orphans = [], {}
    for rec in export.records["app_object"]:
        with _record(rec, "app object", report):
            app = rec.get("app") if isinstance(rec.get("app"), dict) else {}
            ref = app_refs.get(str(app.get("id", "")).lower()) or app_refs.get(("name", str(app.get("name", "")).casefold()))
            if ref is None:
                key = str(app.get("name") or app.get("id"))
                orphans[key] = orphans.get(key, 0) + 1
                continue
            entry = _named(rec)
            entry["app"] = ref
            entry["type"] = str(rec.get("objectType") or "sheet")
            entry["published"] = bool(rec.get("published"))
            entry["approved"] = bool(rec.get("approved"))
            if rec.get("description"):
                entry["description"] = str(rec["description"])
            if owner_of(rec):
                entry["owner"] = owner_of(rec)
            objects.append(entry)
    if orphans:
        listed = ", ".join(f"{name} ({n})" for name, n in sorted(orphans.items())[:12])
        more = f" and {len(orphans) - 12} more" if len(orphans) > 12 else ""
        report.append(f"{sum(orphans.values())} app objects skipped: their apps are not in app.json: {listed}{more}")
    connections = []
    for rec in export.records["dataconnection"]:
        with _record(rec, "data connection", report):
            entry = _named(rec)
            if rec.get("type"):
                entry["type"] = str(rec["type"])
            if owner_of(rec):
                entry["owner"] = owner_of(rec)
            connections.append(entry)
    definitions = {}
    for rec in export.records["custompropertydefinition"] + [
            d for r in export.records["package"] for d in _list(r.get("customPropertyObj"))]:
        if isinstance(rec, dict) and isinstance(rec.get("name"), str) and rec["name"] not in definitions:
            entry = CommentedMap(name=str(rec["name"]))
            if rec.get("choiceValues"):
                entry["values"] = _flow([str(v) for v in rec["choiceValues"]])
            if rec.get("objectTypes"):
                entry["resource_types"] = _flow([str(v) for v in rec["objectTypes"]])
            definitions[rec["name"]] = entry
    proxies = []
    for rec in export.records["virtualproxyconfig"]:
        with _record(rec, "virtual proxy", report):
            proxies.append(_proxy(rec, report))
    for ref, user in owners_needed.items():
        report.append(f"owner {user['directory']}\\{user['id']} is not in user.json: added as a user with no groups")
        users.append(CommentedMap(directory=user["directory"], id=user["id"]))
    security, licences, left_out = mapping.rule_entries(export.records["systemrule"] + export.records["package"], report,
                                                        release=release)
    if export.licence:
        _licence_state(export, doc, users, licences, report)
    directories = sorted({u["directory"] for u in users})
    sections = {
        "user_directories": [CommentedMap(name=d) for d in directories],
        "users": users, "custom_properties": list(definitions.values()), "streams": streams, "apps": apps,
        "objects": objects, "data_connections": connections, "virtual_proxies": proxies,
        "license_rules": [_rule_map(e) for e in licences], "security_rules": [_rule_map(e) for e in security],
    }
    origin = {"users": "user.json", "streams": "stream.json", "apps": "app.json", "objects": "app_object.json",
              "data_connections": "dataconnection.json", "virtual_proxies": "virtualproxyconfig.json",
              "custom_properties": "custompropertydefinition.json / rule packages",
              "security_rules": "systemrule.json / rule packages (preinstalled rules only where they differ)",
              "license_rules": "systemrule.json (category License)"}
    for key in SECTIONS:
        if sections[key]:
            seq = CommentedSeq(sections[key])
            doc[key] = seq
            if key in origin:
                doc.yaml_set_comment_before_after_key(key, before=f"from {origin[key]}")
    if left_out:
        lines = ["Rules left out (they would not load):"]
        for rec, why in left_out:
            lines.append(f"  {rec.get('name')!r}: {why}")
            for text in str(rec.get("rule", "")).splitlines():
                lines.append(f"    {text}")
        doc.yaml_set_comment_before_after_key("qsplay", before="\n".join(lines))
    return doc, left_out


def _licence_state(export: Export, doc: CommentedMap, users: list, licences: list[dict], report: list[str]) -> None:
    """`now` (the dump's time), `license:` (pools and allocations) and the login access groups' tokens
    and used passes, from the licence endpoints (qrs/licence_state.py)."""
    from datetime import datetime
    now = licence_state.dump_time(export.folder, export.licence, report) if export.folder else None
    if now is not None:
        doc["now"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    known = {f"{u['directory']}\\{u['id']}".casefold(): f"{u['directory']}\\{u['id']}" for u in users}
    section, added, groups = licence_state.licence_section(export.licence, known, now, report)
    users.extend(CommentedMap(directory=u["directory"], id=u["id"]) for u in added)
    if section is not None:
        doc["license"] = section
        doc.yaml_set_comment_before_after_key("license", before="from license*.json (pool sizes, allocations at `now`)")
    given: set[str] = set()
    for rule in licences:
        group = str(rule.get("resource_filter", "")).partition("_")[2].strip().lower()
        if rule.get("type") != "login_access" or group not in groups:
            continue
        if group in given:
            report.append(f"licence rule {rule['name']!r}: its login access group's tokens are counted on the first "
                          f"rule pointing at it")
            continue
        given.add(group)
        tokens, passes = groups[group]
        if tokens:
            rule["tokens"] = tokens
        if passes:
            rule["passes_used"] = passes if isinstance(passes, int) else \
                [p.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(p, datetime) else p for p in passes]


def write_scenario(doc: CommentedMap, path: str | Path):
    """Write the scenario only if qsplay will load it (same loader, same character policy as
    qsplay/safe_text.py): otherwise QrsError, naming the export record, and nothing is written.
    Returns the loaded Site."""
    from ..files import write_atomically
    from ..scenario import ScenarioError, load_scenario_text
    text = fast_dump(doc)
    try:
        site = load_scenario_text(text, str(path))
    except ScenarioError as exc:
        raise QrsError(f"{_record_with_unsafe_text(getattr(doc, 'qsplay_export', None))}the scenario would not load, so "
                       f"nothing was written to {path}:\n{exc}") from None
    write_atomically(path, text)
    from ..scenario.loader import remember_written
    remember_written(path, text.encode("utf-8"), site)
    return site


def _record_with_unsafe_text(export: Export | None) -> str:
    """'stream.json[3].name: U+202E (...)\n' for the first export value the character policy refuses."""
    from ..safe_text import describe, first_unsafe
    if export is None:
        return ""
    for records in export.records.values():
        for record in records:
            todo = [(record, "")]
            while todo:
                value, where = todo.pop()
                if isinstance(value, dict):
                    todo.extend((v, f"{where}.{k}") for k, v in value.items() if k != "_source")
                elif isinstance(value, list):
                    todo.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
                elif isinstance(value, str) and first_unsafe(value):
                    return (f"{record.get('_source', '?')}{where}: {describe(first_unsafe(value).group())}: qsplay "
                            f"scenarios may not contain it (rename it on the server, or remove the record); ")
    return ""


def dump(doc) -> str:
    buf = io.StringIO()
    yaml_rt().dump(doc, buf)
    return buf.getvalue()


def fast_dump(doc: CommentedMap) -> str:
    """The imported document as `dump` writes it (same layout: lists indented under their key,
    flow lists, block conditions, the comments before top-level keys), through libyaml's C emitter:
    ruamel's emitter was 90% of import-qrs (S site: 69 of 76 s). Time and memory grow with the data:
    each section is emitted in chunks of entries."""
    import yaml
    dumper = _dumper()
    parts: list[str] = []
    for key, value in doc.items():
        for token in (doc.ca.items.get(key) or [None, None])[1] or []:
            parts.append(token.value)
        if isinstance(value, list) and value and not value.fa.flow_style():
            parts.append(f"{key}:\n")
            for start in range(0, len(value), 2000):
                chunk = yaml.dump(list(value[start:start + 2000]), Dumper=dumper, **_DUMP_OPTIONS)
                parts.append("".join("  " + line if line.strip() else line for line in chunk.splitlines(True)))
        else:
            parts.append(yaml.dump({key: value}, Dumper=dumper, **_DUMP_OPTIONS))
    return "".join(parts)


def _dumper():
    """libyaml's emitter with representers for the importer's ruamel types, and YAML 1.2's numbers
    added to what it quotes (it knows 1.1's; ruamel reads 1.2, where 1e3 and 0o17 are numbers)."""
    import re

    import yaml

    class Dumper(yaml.CSafeDumper):
        pass

    def mapping(dumper, data):
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=data.fa.flow_style())

    def sequence(dumper, data):
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=data.fa.flow_style())

    def styled(style):
        return lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=style)

    Dumper.add_representer(CommentedMap, mapping)
    Dumper.add_representer(CommentedSeq, sequence)
    Dumper.add_representer(LiteralScalarString, styled("|"))
    Dumper.add_representer(DoubleQuotedScalarString, styled('"'))
    Dumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0o[0-7_]+|0b[01_]+|[0-9_]+)$"),
                                 list("-+0123456789"))
    Dumper.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(
        r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$|^[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$"),
        list("-+0123456789."))
    return Dumper


_DUMP_OPTIONS = dict(default_flow_style=False, sort_keys=False, allow_unicode=True, width=4096)


def _release(export: Export, report: list[str]) -> str | None:
    """The site's Qlik Sense release from /qrs/about (about.json), which picks its preinstalled rules."""
    from ..defaults.releases import DEFAULT_RELEASE, release_from_about
    abouts = export.records.get("about") or []
    if not abouts:
        report.append(f"no about.json (/qrs/about): the site's release is unknown; qlik_release is left out, so "
                      f"the preinstalled rules of the newest documented release ({DEFAULT_RELEASE}) are used")
        return None
    release, how = release_from_about(abouts[0])
    if release is None:
        report.append(f"{abouts[0].get('_source', 'about.json')}: {how}; qlik_release is left out ({DEFAULT_RELEASE} rules)")
        return None
    report.append(f"qlik_release: {release} ({how})")
    return release


def _users(export: Export, report: list[str]) -> tuple[list, set]:
    users, known = [], set()
    for rec in export.records["user"]:
        with _record(rec, "user", report):
            directory, uid = str(rec.get("userDirectory") or ""), str(rec.get("userId") or "")
            if not directory or not uid:
                report.append(f"a user without userDirectory/userId ({rec.get('name')!r}): skipped")
                continue
            ref = f"{directory}\\{uid}"
            if ref.casefold() in known:
                report.append(f"user {ref} appears twice: the first is kept")
                continue
            known.add(ref.casefold())
            entry = CommentedMap(directory=directory, id=uid)
            if rec.get("name") and rec["name"] != uid:
                entry["name"] = str(rec["name"])
            groups, attrs, email = [], {}, None
            for attr in rec.get("attributes") or []:
                kind, value = str(attr.get("attributeType", "")), attr.get("attributeValue")
                if value is None:
                    continue
                if kind.lower() == "group":
                    groups.append(str(value))
                elif kind.lower() == "email" and email is None:
                    email = str(value)
                else:
                    attrs.setdefault(kind, []).append(str(value))
            if email:
                entry["email"] = email
            if groups:
                entry["groups"] = _flow(groups)
            roles = [str(r) for r in rec.get("roles") or []]
            if roles:
                entry["roles"] = _flow(roles)
            _props(rec, entry)
            if attrs:
                entry["attributes"] = CommentedMap({k: _flow(v) for k, v in attrs.items()})
            for key, target in (("inactive", "inactive"), ("blacklisted", "blacklisted"),
                                ("removedExternally", "removed_externally")):
                if rec.get(key):
                    entry[target] = True
            users.append(entry)
    return users, known


def _list(value) -> list:
    return value if isinstance(value, list) else []


@contextmanager
def _record(rec: dict, kind: str, report: list[str]):
    """One QRS record mapped to scenario entries; a record with a field of the wrong kind (a number
    where text belongs, a list where an object does) is skipped and reported, never a crash."""
    try:
        yield
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
        where = rec.get("_source", "") if isinstance(rec, dict) else ""
        name = rec.get("name") if isinstance(rec, dict) else None
        report.append(f"{where + ': ' if where else ''}{kind} {str(name)[:60]!r}: a field has the wrong kind of "
                      f"value ({type(exc).__name__}: {str(exc)[:120]}); skipped")


def _named(rec: dict) -> CommentedMap:
    entry = CommentedMap(name=str(rec.get("name") or rec.get("id") or "unnamed"))
    if rec.get("id"):
        entry["id"] = str(rec["id"])
    return entry


def _props(rec: dict, entry: CommentedMap) -> None:
    props: dict[str, list[str]] = {}
    for cp in rec.get("customProperties") or []:
        definition = cp.get("definition") or {}
        name = definition.get("name") if isinstance(definition, dict) else None
        if name and cp.get("value") is not None:
            props.setdefault(str(name), []).append(str(cp["value"]))
    if props:
        m = CommentedMap({k: _flow(v) for k, v in props.items()})
        m.fa.set_flow_style()
        entry["properties"] = m


def _proxy(rec: dict, report: list[str]) -> CommentedMap:
    entry = CommentedMap(prefix=str(rec.get("prefix") or ""))
    if rec.get("description"):
        entry["description"] = str(rec["description"])
    mode = rec.get("anonymousAccessMode", 0)
    entry["anonymous"] = mapping.ANONYMOUS_MODES.get(mode, "none")
    method = rec.get("authenticationMethod", 0)
    auth = mapping.AUTH_METHODS.get(method)
    if auth is None:
        report.append(f"virtual proxy {entry['prefix']!r}: authenticationMethod {method!r} unknown; read as ticket")
        auth = "ticket"
    if auth == "ticket" and rec.get("windowsAuthenticationEnabledDevicePattern"):
        auth = "windows"
    entry["authentication"] = auth
    if rec.get("sessionInactivityTimeout"):
        minutes = _minutes(rec["sessionInactivityTimeout"])
        if minutes is None:
            report.append(f"{rec.get('_source', 'virtual proxy')}: sessionInactivityTimeout "
                          f"{str(rec['sessionInactivityTimeout'])[:40]!r} is not a usable number of minutes "
                          f"(1 to {MAX_SESSION_TIMEOUT_MINUTES:,}); left at the default, 30")
        else:
            entry["session_timeout_minutes"] = minutes
    if rec.get("extendedSecurityEnvironment"):
        entry["extended_security_environment"] = True
    return entry


def _rule_map(entry: dict) -> CommentedMap:
    m = CommentedMap()
    for key, value in entry.items():
        if key in ("condition", "description") and isinstance(value, str) and "\n" in value:
            m[key] = _multiline(value)
        elif isinstance(value, list):
            m[key] = _flow(value)
        else:
            m[key] = value
    return m


def _multiline(text: str):
    """A block scalar where it keeps the text exactly (import -> export gives the same bytes); else a
    double-quoted string, which can say \r, tabs and trailing spaces."""
    lines = text.split("\n")
    plain = ("\r" not in text and "\t" not in text and not text[:1].isspace()
             and not any(line != line.rstrip() for line in lines))
    return LiteralScalarString(text) if plain else DoubleQuotedScalarString(text)


def _flow(values: list) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


__all__ = ["QrsError", "import_folder", "write_scenario", "dump"]


def _minutes(value) -> int | None:
    """A whole number of minutes the scenario accepts, or None (1e300, Infinity, NaN, "abc", 0)."""
    import math
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value) if not isinstance(value, int) else value
    except (ValueError, OverflowError):
        return None
    if isinstance(number, float) and (not math.isfinite(number) or number != int(number)):
        return None
    number = int(number)
    return number if 1 <= number <= MAX_SESSION_TIMEOUT_MINUTES else None
