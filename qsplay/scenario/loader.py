"""Load a scenario file (YAML, the contract's format) into a Site, with located errors.

Every problem names the file, line, column and key path; unknown keys suggest the nearest known
one. Loading keeps the round-trip document (`site.extra['document']`) so the shell can save edits
with the user's comments and key order intact.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable

from .. import defaults
from ..engine.request import ANONYMOUS, make_request
from ..model import (ANONYMOUS_LABELS, LICENSE_TYPES, RESOURCE_CLASSES, AllocationRecord, Check, CustomPropertyDefinition,
                     License, LicenseRule, SecurityRule, Site, Stream,
                     UnknownReference, User, UserDirectory, VirtualProxy, parse_duration, parse_time, stable_id)
from ..rules import ConditionError, FilterError, parse, parse_filter
from ..rules.actions import ACTIONS, CONTEXTS, actions_from_mask, ALL_ACTIONS_MASK, normalize_action
from ..semantics import CHOICES, Semantics
from . import cache
from .progress import report
from .errors import Problem, ScenarioError
from .section_access import read_section_access

TOP_KEYS = ("qsplay", "name", "description", "platform", "default_rules", "now", "license",
            "user_directories", "users", "streams", "apps", "objects", "data_connections", "extensions",
            "content_libraries", "reload_tasks", "custom_properties", "virtual_proxies", "license_rules",
            "security_rules", "checks", "semantics", "qlik_release", "admin_resources")
LICENSE_KEYS = ("key", "professional", "analyzer", "analyzer_capacity_minutes", "tokens", "overage_minutes",
                "capacity_used_minutes", "allocations")
ALLOCATION_KEYS = ("user", "access", "last_used", "quarantined_until", "excess", "deleted", "id")
USER_KEYS = ("directory", "id", "name", "email", "groups", "roles", "properties", "attributes", "access",
             "inactive", "blacklisted", "removed_externally")
RESOURCE_KEYS = ("name", "id", "owner", "properties", "description")
SECTION_KEYS = {
    "streams": RESOURCE_KEYS,
    "apps": RESOURCE_KEYS + ("stream", "section_access"),
    "objects": RESOURCE_KEYS + ("app", "type", "published", "approved"),
    "data_connections": RESOURCE_KEYS + ("type",),
    "extensions": RESOURCE_KEYS,
    "content_libraries": RESOURCE_KEYS,
    "reload_tasks": RESOURCE_KEYS + ("app",),
}
SECTION_KIND = {"streams": "stream", "apps": "app", "objects": "object", "data_connections": "data_connection",
                "extensions": "extension", "content_libraries": "content_library", "reload_tasks": "reload_task"}
PROXY_KEYS = ("prefix", "description", "anonymous", "authentication", "session_timeout_minutes",
              "extended_security_environment")
AUTH_METHODS = ("windows", "ticket", "header", "saml", "jwt", "oidc")
LICENSE_RULE_KEYS = ("name", "type", "condition", "tokens", "disabled", "description", "id", "qrs_name",
                     "resource_filter", "actions", "context", "seed_id", "qrs_type", "passes_used")
SECURITY_RULE_KEYS = ("name", "resource_filter", "actions", "condition", "context", "disabled", "description",
                      "type", "seed_id", "id", "qrs_name")
# keys that only say which QRS record a rule is: an override giving only these does not edit the rule
RULE_IDENTITY_KEYS = ("name", "id", "qrs_name", "seed_id", "type")
CHECK_KEYS = ("name", "request", "expect", "denied_by", "access_type")
# a check entry may instead be a step that moves the simulated site on (extension, docs/licensing.md)
STEP_KEYS = ("name", "advance", "at", "logout", "deallocate", "allocate", "session", "access",
             "disable_rule", "enable_rule", "delete_rule", "edit_rule", "condition", "delete_user",
             "set_anonymous", "proxy")
# steps that change the site between requests (docs/scenario-format.md "Steps that change the site")
SITE_STEPS = ("disable_rule", "enable_rule", "delete_rule", "edit_rule", "delete_user", "set_anonymous")
STEP_ACTIONS = ("advance", "at", "logout", "deallocate", "allocate") + SITE_STEPS
REQUEST_KEYS = ("proxy", "user", "resource", "action", "context", "at", "environment", "session")
ACCESS_VALUES = ("professional", "analyzer", "user_access")
DENIED_BY = ("authentication", "license", "security", "section_access")

# Other platforms (e.g. `platform: cloud`) register loaders for their own top-level sections:
# name -> function(reader, value, site) that fills site.extra; a name starting with "_" always runs
# (with value None), after the common sections, and may read reader.document.
SECTION_LOADERS: dict[str, Callable[["Reader", Any, Site], None]] = {}
# ... and extra keys they read in common sections themselves (e.g. apps[].space): section -> keys
EXTRA_ENTRY_KEYS: dict[str, tuple[str, ...]] = {}
PLATFORMS = ("windows", "cloud")
MAX_SCENARIO_BYTES = 256 * 1024 * 1024  # an L-size generated site is well under this
# Qlik documents no upper bound for a virtual proxy's session inactivity timeout (QMC "Virtual proxies
# properties": default 30 minutes); a century keeps the simulated clock within Python's dates
MAX_SESSION_TIMEOUT_MINUTES = 100 * 365 * 24 * 60


def load_scenario(path: str | Path, lenient: bool = False, fast: bool = True) -> Site:
    """Load a scenario file. `lenient` keeps rules whose condition does not parse (they grant
    nothing and carry `parse_error`), for the linter; otherwise any problem raises ScenarioError.
    `fast` reads with the fast reader (the round-trip document is then read on first edit or save);
    the site is the same either way."""
    from ..files import FileProblem, read_bytes
    path = Path(path)
    try:
        data = read_bytes(path, max_bytes=MAX_SCENARIO_BYTES)
    except FileProblem as exc:
        raise ScenarioError([Problem(str(path), 0, 0, "", str(exc).removeprefix(f"{path}: "))])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = exc.object[:exc.start].decode("utf-8", errors="replace")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        raise ScenarioError([Problem(str(path), line, col, "", f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
                                                               f"cannot start a character here (save the file as UTF-8)")])
    cached = cache_key = None
    if fast and len(data) >= cache.MIN_BYTES:
        cache_key = cache.key(data, str(path), lenient)
        cached = cache.get(cache_key)
    if cached is not None:  # what Reader.build made from these very bytes with this very code
        site = cached
        site.extra.lazy = LazyDocument(text, str(path))
    else:
        site = load_scenario_text(text, str(path), lenient=lenient, fast=fast)
        if cache_key is not None:
            remember(cache_key, site)
    site.extra["content_hash"] = content_hash(data)  # what was read, for save-conflict detection
    return site


def remember(cache_key: str, site: Site) -> None:
    """Keep a site the fast reader read (a round-trip read, which has its document, is not kept)."""
    if getattr(site.extra, "lazy", None) is not None and "document" not in site.extra.keys():
        cache.put(cache_key, site)


def remember_written(path: str | Path, data: bytes, site: Site) -> None:
    """A file qsplay has just written and loaded (import-qrs): the first check of it is a cache hit."""
    if len(data) >= cache.MIN_BYTES:
        remember(cache.key(data, str(path), False), site)


def content_hash(data: bytes) -> str:
    """What was read (save compares it with the file on disk): the one fingerprint, qsplay/files.py."""
    from ..files import fingerprint
    return fingerprint(data)


def load_scenario_text(text: str, filename: str = "<scenario>", lenient: bool = False, fast: bool = True) -> Site:
    from .yaml_guard import YamlRefused, check_characters, check_text
    if fast:
        from .fast_reader import NotFast, read_fast
        try:
            check_text(text, filename)
        except YamlRefused as refused:
            raise ScenarioError([refused.problem])
        try:
            data = read_fast(text)
            check_characters(data, filename, text)
        except (NotFast, YamlRefused):
            pass  # the round-trip reader reads it, or says where it is wrong
        else:
            report(0.7, "building the model")
            try:
                site = site_from_document(data, filename, text, lenient, document=LazyDocument(text, filename))
            except ScenarioError:
                pass  # the round-trip reader's document locates the problems (and mends what it mends)
            else:
                return site
    return site_from_document(read_document(text, filename), filename, text, lenient)


def read_document(text: str, filename: str):
    """The round-trip document (comments, order and quoting kept), or ScenarioError."""
    from .document import yaml_rt
    from .yaml_guard import YamlRefused, read_yaml
    try:
        return read_yaml(text, filename, yaml_rt())
    except YamlRefused as refused:
        raise ScenarioError([refused.problem])


class LazyDocument:
    """The round-trip document of a file the fast reader read, read from the same text on first use
    (an edit, a save, a diff): reading only never pays for it."""

    def __init__(self, text: str, filename: str):
        self.text, self.filename = text, filename

    def load(self):
        return read_document(self.text, self.filename)


class SiteExtra(dict):
    """`site.extra` whose "document" is read when first asked for. `pop("document")` gives only a
    document already read (None otherwise), so copying a site never reads it."""

    def __init__(self, *args, lazy: LazyDocument | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def __missing__(self, key):
        if key == "document" and self.lazy is not None:
            document = self.lazy.load()
            self["document"] = document
            return document
        raise KeyError(key)

    def get(self, key, default=None):
        if key == "document" and key not in self.keys() and self.lazy is not None:
            return self[key]
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        return super().__contains__(key) or (key == "document" and self.lazy is not None)

    def pop(self, key, *default):
        if key == "document" and not super().__contains__(key):
            return default[0] if default else None
        return super().pop(key, *default)


def site_from_document(data, filename: str = "<scenario>", text: str = "", lenient: bool = False,
                       document: LazyDocument | None = None) -> Site:
    """Build a Site from a YAML document — the round-trip one (edits, saves) or the fast reader's
    (`document` then says where the round-trip one comes from). One builder for both, so a new
    scenario field reaches both. What-if edits change the document and rebuild the site from it, so
    the model and what `save` writes never disagree."""
    reader = Reader(filename, text, lenient)
    site = reader.build(data)
    if reader.problems:
        raise ScenarioError(reader.problems)
    site.source = filename
    site.extra = SiteExtra(site.extra, lazy=document)
    if document is None:
        site.extra["document"] = data
    site.extra["parse_notes"] = reader.parse_notes
    site.extra["warnings"] = reader.warnings
    return site


class Reader:
    """Walks the YAML document, building the Site and collecting located problems."""

    def __init__(self, filename: str, text: str, lenient: bool):
        self.file = filename
        self.lines = text.splitlines()
        self.lenient = lenient
        self.problems: list[Problem] = []
        self.parse_notes: list[str] = []
        self.warnings: list[str] = []
        self.ids_seen: dict[str, dict] = {}

    # -- locating ------------------------------------------------------------------------------
    def problem(self, line0: int, col0: int, path: str, message: str) -> None:
        src = self.lines[line0] if 0 <= line0 < len(self.lines) else ""
        self.problems.append(Problem(self.file, line0 + 1, col0 + 1, path, message, src))

    def at_key(self, node, key, path: str, message: str) -> None:
        line0, col0 = _pos(node, key=key)
        self.problem(line0, col0, path, message)

    def at_value(self, node, key, path: str, message: str) -> None:
        line0, col0 = _pos(node, key=key, value=True)
        self.problem(line0, col0, path, message)

    def at_node(self, node, path: str, message: str) -> None:
        line0, col0 = _pos(node)
        self.problem(line0, col0, path, message)

    def in_scalar(self, node, key, path: str, offset_line: int, offset_col: int, message: str) -> None:
        """A problem inside a scalar value (a condition): map its line/col to the file."""
        line0, col0 = _pos(node, key=key, value=True)
        first = self.lines[line0][col0:col0 + 1] if 0 <= line0 < len(self.lines) else ""
        if first in ("|", ">"):
            body0 = line0 + offset_line  # content starts on the next line
            indent = len(self.lines[body0]) - len(self.lines[body0].lstrip()) if body0 < len(self.lines) else 0
            self.problem(body0, indent + offset_col - 1, path, message)
        elif first in ('"', "'"):
            self.problem(line0 + offset_line - 1, (col0 + offset_col) if offset_line == 1 else offset_col - 1,
                         path, message)
        else:
            self.problem(line0 + offset_line - 1, (col0 + offset_col - 1) if offset_line == 1 else offset_col - 1,
                         path, message)

    # -- typed access --------------------------------------------------------------------------
    def mapping(self, node, path: str, allowed: tuple[str, ...], what: str) -> bool:
        if not isinstance(node, dict):
            self.at_node(node, path, f"{what} should be a mapping (key: value), not {_kind(node)}")
            return False
        self.mend_split_text(node, path, allowed)
        for key in node:
            if isinstance(key, Mapping) or (isinstance(key, Sequence) and not isinstance(key, str)):
                # `? {a: b}`: YAML allows it, a scenario never needs it
                self.at_key(node, key, path, "a mapping or a list cannot be a key; keys are plain names such as "
                                             "users: or name:")
                continue
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(allowed)}"
                self.at_key(node, key, f"{path}.{key}" if path else str(key), f"unknown key '{key}'{hint}")
        return True

    def mend_split_text(self, node, path: str, allowed: tuple[str, ...]) -> None:
        """`{name: no licence, no access, ...}`: in a flow mapping an unquoted comma ends the value, and
        the rest become keys without values. Join them back into the text the author meant, and say so."""
        fa = getattr(node, "fa", None)  # a round-trip or a fast-reader mapping (fast_reader.LocatedMap)
        if fa is None or not isinstance(node, dict) or not fa.flow_style():
            return
        keys = list(node)
        for i, key in enumerate(keys):
            if key not in ("name", "description") or not isinstance(node.get(key), str):
                continue
            parts = []
            for stray in keys[i + 1:]:
                if stray in allowed or node.get(stray) is not None:
                    break
                parts.append(str(stray))
            if parts:
                line0, col0 = _pos(node, key=key, value=True)
                merged = ", ".join([node[key], *parts])
                for stray in parts:
                    del node[stray]
                node[key] = merged
                self.warnings.append(f"{self.file}: line {line0 + 1}: the {key} {merged!r} contains commas "
                                     f"inside {{...}}; it was read as one text, but quote it to be safe")

    def seq(self, node, key, path: str) -> list:
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.at_value(node, key, path, f"{key} should be a list, not {_kind(value)}")
            return []
        return value

    def text(self, node, key, path: str, default: str | None = None, required: bool = False) -> str | None:
        if key not in node or node.get(key) is None:
            if required:
                self.at_node(node, path, f"'{key}' is required")
            return default
        value = node[key]
        if isinstance(value, (dict, list)):
            self.at_value(node, key, path, f"{key} should be text, not {_kind(value)}")
            return default
        return str(value) if not isinstance(value, bool) else ("true" if value else "false")

    def boolean(self, node, key, path: str, default: bool = False) -> bool:
        value = node.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.at_value(node, key, path, f"{key} should be true or false, not {value!r}")
            return default
        return value

    def integer(self, node, key, path: str, default: int = 0, minimum: int | None = 0,
                maximum: int | None = None) -> int:
        value = node.get(key, default)
        if value is None:
            return default
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        if isinstance(value, bool) or not isinstance(value, int):
            self.at_value(node, key, path, f"{key} should be a whole number, not {shown}")
            return default
        if minimum is not None and value < minimum:
            self.at_value(node, key, path, f"{key} cannot be negative ({shown})" if minimum == 0
                          else f"{key} must be at least {minimum}, not {shown}")
            return default
        if maximum is not None and value > maximum:
            self.at_value(node, key, path, f"{key} must be at most {maximum:,}")
            return default
        return value

    def choice(self, node, key, path: str, options: tuple[str, ...], default: str) -> str:
        value = node.get(key)
        if value is None:
            return default
        text = str(value).strip().lower()
        if text not in options:
            close = difflib.get_close_matches(text, options, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.at_value(node, key, path, f"{key} must be one of {', '.join(options)}, not {value!r}{hint}")
            return default
        return text

    def strings(self, node, key, path: str) -> list[str]:
        value = node.get(key)
        if value is None:
            return []
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return [str(value)]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            self.at_value(node, key, path, f"{key} should be a list of text values")
            return []
        return [str(v) for v in value]

    def multimap(self, node, key, path: str) -> dict[str, list[str]]:
        value = node.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.at_value(node, key, path, f"{key} should be a mapping of name: [values]")
            return {}
        out = {}
        for k, v in value.items():
            if isinstance(v, list):
                out[str(k)] = [str(x) for x in v]
            elif isinstance(v, dict):
                self.at_value(value, k, f"{path}.{k}", f"{k} should be a value or a list of values")
            elif v is not None:
                out[str(k)] = [str(v)]
        return out

    def condition(self, node, key, path: str):
        """Parse a condition; on error record it at its place in the file."""
        text = self.text(node, key, path, default="") or ""
        try:
            parsed = parse(text)
        except ConditionError as err:
            if not self.lenient:
                self.in_scalar(node, key, path, err.line, err.col, err.message)
            return text, None, err
        for note in parsed.notes:
            self.parse_notes.append(f"{path}: {note.text}")
        return text, parsed, None

    # -- building ------------------------------------------------------------------------------
    def build(self, data) -> Site:
        site = Site()
        if data is None:
            self.problem(0, 0, "", "the file is empty; a scenario needs at least `name:`")
            return site
        platform = data.get("platform") if isinstance(data, dict) else None
        if platform not in (None, "windows") and str(platform) in PLATFORMS:
            import importlib
            importlib.import_module(f"qsplay.{platform}")  # a platform registers its own sections
        self.document = data
        if not self.mapping(data, "", TOP_KEYS + tuple(k for k in SECTION_LOADERS if not k.startswith("_")),
                            "a scenario"):
            return site
        version = data.get("qsplay", 1)
        if version not in (1, "1"):
            self.at_value(data, "qsplay", "qsplay", f"format version {version!r} is not supported (this is 1)")
        site.name = self.text(data, "name", "name", default=None) or ""
        if not site.name:
            self.at_node(data, "", "'name' is required")
        site.description = (self.text(data, "description", "description", default="") or "").strip()
        site.platform = self.choice(data, "platform", "platform", PLATFORMS, "windows")
        site.default_rules = self.boolean(data, "default_rules", "default_rules", True)
        self.read_release(data, site)
        if data.get("now") is not None:
            try:
                site.now = parse_time(data["now"])
            except ValueError:
                self.at_value(data, "now", "now", "now should be a date and time like 2026-11-02T09:00:00Z")
        self.read_semantics(data, site)
        self.read_license(data, site)
        for i, item in enumerate(self.seq(data, "user_directories", "user_directories")):
            p = f"user_directories[{i}]"
            if self.mapping(item, p, ("name", "type"), "a user directory"):
                site.user_directories.append(UserDirectory(self.text(item, "name", p, required=True) or "",
                                                           self.text(item, "type", p, default="") or ""))
        self.read_users(data, site)
        self.read_allocations(data, site)
        self.read_resources(data, site)
        self.read_custom_properties(data, site)
        self.read_proxies(data, site)
        self.read_license_rules(data, site)
        self.read_security_rules(data, site)
        self.read_admin_resources(data, site)
        for name, loader in SECTION_LOADERS.items():
            if name in data or name.startswith("_"):
                loader(self, data.get(name), site)
        self.read_checks(data, site)
        return site

    def read_release(self, data, site: Site) -> None:
        """`qlik_release: "May 2024"` picks that release's preinstalled rules (default: the newest documented)."""
        from ..defaults.releases import DEFAULT_RELEASE, RuleSet, normalise_release
        if not site.default_rules:
            if data.get("qlik_release") is not None:
                self.warnings.append(f"{self.file}: qlik_release: default_rules is false, so no preinstalled "
                                     f"rules are used and the release changes nothing")
            return
        if data.get("qlik_release") is None:
            site.rule_set = RuleSet(DEFAULT_RELEASE, "default")
            return
        text = self.text(data, "qlik_release", "qlik_release") or ""
        try:
            name, note = normalise_release(text)
        except ValueError as exc:
            self.at_value(data, "qlik_release", "qlik_release", str(exc))
            site.rule_set = RuleSet(DEFAULT_RELEASE, "default")
            return
        site.rule_set = RuleSet(name, "scenario", note)

    def read_admin_resources(self, data, site: Site) -> None:
        """The QMC's own resources. Built in (with the preinstalled rules): the QMC sections the admin
        tables and the preinstalled rules name. Derived from the file: a SystemRule per security rule, a
        VirtualProxyConfig per virtual proxy, a CustomPropertyDefinition per definition, a UserDirectory
        per directory. Declared: `admin_resources: [{type: Tag, name: Finance}, {type: QmcSection, name:
        Apps}]` for anything else (ServerNodeConfiguration, Tag, UserSyncTask, App.Content, ...)."""
        from ..defaults.qmc import builtin_qmc_sections
        from ..model.entities import ADMIN_KIND_TO_TYPE, AdminResource
        by_type = {t.lower(): (k, t) for k, t in ADMIN_KIND_TO_TYPE.items()}

        def add(kind: str, type_name: str, rid: str, name: str, item=None):
            entity = AdminResource(id=rid, name=name, kind=type_name, location=_pos(item) if item is not None else None)
            site.resources[kind].append(entity)
            return entity
        if site.default_rules:
            for section in builtin_qmc_sections(site.security_rules):
                add("qmc_section", "QmcSection", section, f"QmcSection_{section}")
        for rule in site.security_rules:
            add("system_rule", "SystemRule", rule.id or stable_id("rule", rule.name), rule.name)
        for proxy in site.virtual_proxies:
            add("virtual_proxy_config", "VirtualProxyConfig", stable_id("virtualproxy", proxy.prefix),
                proxy.prefix or "central")
        for definition in site.custom_properties:
            add("custom_property_definition", "CustomPropertyDefinition", stable_id("customproperty", definition.name),
                definition.name)
        for directory in site.user_directories:
            add("user_directory", "UserDirectory", stable_id("userdirectory", directory.name), directory.name)
        for i, item in enumerate(self.seq(data, "admin_resources", "admin_resources")):
            p = f"admin_resources[{i}]"
            if not self.mapping(item, p, ("type", "name", "id", "owner", "properties", "app", "description"),
                                "an admin resource"):
                continue
            type_text = self.text(item, "type", p, required=True) or ""
            hit = by_type.get(type_text.lower())
            if hit is None:
                self.at_value(item, "type", p + ".type", f"unknown admin resource type {type_text!r}; types: "
                                                         f"{', '.join(ADMIN_KIND_TO_TYPE.values())}")
                continue
            kind, type_name = hit
            name = self.text(item, "name", p, required=True) or ""
            sectioned = type_name in ("QmcSection", "HubSection")
            rid = self.text(item, "id", p, default=None) or (name if sectioned else stable_id(kind, name))
            entity = add(kind, type_name, rid, f"{type_name}_{name}" if sectioned else name, item)
            entity.properties = self.multimap(item, "properties", p + ".properties")
            entity.description = self.text(item, "description", p, default="") or ""
            if item.get("owner") is not None:
                entity.owner = self.ref_user(item, "owner", p + ".owner", site)
            if item.get("app") is not None:
                entity.app = self.ref_resource(item, "app", p + ".app", site, "app")

    def read_semantics(self, data, site: Site) -> None:
        node = data.get("semantics")
        if node is None or not self.mapping(node, "semantics", tuple(CHOICES), "semantics"):
            return
        values = {}
        for key in node:
            if key in CHOICES:
                values[key] = self.choice(node, key, f"semantics.{key}", CHOICES[key], getattr(Semantics(), key))
        site.semantics = Semantics(**values)

    def read_license(self, data, site: Site) -> None:
        node = data.get("license")
        if node is None or not self.mapping(node, "license", LICENSE_KEYS, "license"):
            return
        site.license = License(
            key=self.choice(node, "key", "license.key", ("signed", "serial"), "signed"),
            professional=self.integer(node, "professional", "license.professional"),
            analyzer=self.integer(node, "analyzer", "license.analyzer"),
            analyzer_capacity_minutes=self.integer(node, "analyzer_capacity_minutes",
                                                   "license.analyzer_capacity_minutes"),
            tokens=self.integer(node, "tokens", "license.tokens"),
            overage_minutes=self.integer(node, "overage_minutes", "license.overage_minutes", minimum=-1),
            capacity_used_minutes=self.integer(node, "capacity_used_minutes", "license.capacity_used_minutes"),
        )

    def time(self, node, key, path: str):
        if node.get(key) is None:
            return None
        try:
            return parse_time(node[key])
        except (ValueError, TypeError):
            self.at_value(node, key, path, f"{key} should be a date and time like 2026-11-02T09:00:00Z")
            return None

    def read_allocations(self, data, site: Site) -> None:
        """`license.allocations`: the QMC's allocation lists at `now` (a pulled site's licence state)."""
        node = data.get("license")
        if not isinstance(node, dict):
            return
        seen: dict[tuple[str, str], int] = {}
        for i, item in enumerate(self.seq(node, "allocations", "license.allocations")):
            p = f"license.allocations[{i}]"
            if not self.mapping(item, p, ALLOCATION_KEYS, "an allocation"):
                continue
            who = (self.text(item, "user", p, required=True) or "").replace("/", "\\")
            access = self.choice(item, "access", p + ".access", ACCESS_VALUES, "professional")
            if item.get("access") is None:
                self.at_node(item, p, f"'access' is required: one of {', '.join(ACCESS_VALUES)}")
            deleted = self.boolean(item, "deleted", p)
            if not deleted:
                try:
                    who = site.find_user(who).qualified
                except UnknownReference as exc:
                    self.at_value(item, "user", p + ".user", f"{exc} (a deleted user's allocation says deleted: true)")
                    continue
            key = (who.casefold(), access)
            if key in seen:
                self.at_node(item, p, f"{who} already has {access} access at license.allocations[{seen[key]}]")
                continue
            seen[key] = i
            if not deleted and access in site.find_user(who).access:
                self.at_value(item, "user", p + ".user", f"{who} has {access} in users[].access too; say it once")
                continue
            site.license.allocations.append(AllocationRecord(
                user=who, access=access, last_used=self.time(item, "last_used", p + ".last_used"),
                quarantined_until=self.time(item, "quarantined_until", p + ".quarantined_until"),
                excess=self.boolean(item, "excess", p), deleted=deleted,
                id=self.text(item, "id", p, default="") or ""))

    def read_users(self, data, site: Site) -> None:
        seen: dict[str, int] = {}
        counts = {"professional": 0, "analyzer": 0, "user_access": 0}
        for i, item in enumerate(self.seq(data, "users", "users")):
            p = f"users[{i}]"
            if not self.mapping(item, p, USER_KEYS, "a user"):
                continue
            directory = self.text(item, "directory", p, required=True) or ""
            uid = self.text(item, "id", p, required=True) or ""
            qualified = f"{directory}\\{uid}"
            if qualified.casefold() in seen:
                self.at_node(item, p, f"user {qualified} is already defined at users[{seen[qualified.casefold()]}]")
                continue
            seen[qualified.casefold()] = i
            if directory.upper() == "NONE":
                self.at_value(item, "directory", p + ".directory",
                              "the directory NONE is for anonymous users, who are made by the proxy; "
                              "use user: anonymous in a request instead")
            access = []
            for j, a in enumerate(self.strings(item, "access", p + ".access")):
                norm = a.strip().lower()
                if norm not in ACCESS_VALUES:
                    self.at_value(item, "access", f"{p}.access[{j}]",
                                  f"access must be one of {', '.join(ACCESS_VALUES)}, not {a!r}")
                else:
                    access.append(norm)
                    counts[norm] += 1
            site.users.append(User(
                id=stable_id("user", qualified), name=self.text(item, "name", p, default=uid) or uid,
                directory=directory, user_id=uid, email=self.text(item, "email", p, default="") or "",
                groups=self.strings(item, "groups", p + ".groups"), roles=self.strings(item, "roles", p + ".roles"),
                properties=self.multimap(item, "properties", p + ".properties"),
                attributes=self.multimap(item, "attributes", p + ".attributes"), access=access,
                inactive=self.boolean(item, "inactive", p), blacklisted=self.boolean(item, "blacklisted", p),
                removed_externally=self.boolean(item, "removed_externally", p),
                location=_pos(item)))
        lic = data.get("license") if isinstance(data.get("license"), dict) else None
        pools = {"professional": site.license.professional, "analyzer": site.license.analyzer}
        for kind, available in pools.items():
            if counts[kind] > available:
                where = (lic, kind) if lic is not None and kind in lic else (data, "users")
                self.at_value(where[0], where[1], f"license.{kind}",
                              f"{counts[kind]} users have {kind} access allocated but the licence provides "
                              f"{available}; the QMC does not allow allocating more than are available")
        if counts["user_access"] > site.license.tokens:
            self.at_node(data.get("license") or data, "license.tokens",
                         f"{counts['user_access']} users hold a user access pass (1 token each) but the licence "
                         f"has {site.license.tokens} tokens")

    def read_resources(self, data, site: Site) -> None:
        builtin = {}
        if site.default_rules:
            for spec in defaults.BUILTIN_STREAMS:
                stream = Stream(id=spec["id"], name=spec["name"])
                site.streams.append(stream)
                builtin[spec["name"].casefold()] = builtin[spec["id"]] = stream
        for section in ("streams", "apps", "objects", "data_connections", "extensions", "content_libraries",
                        "reload_tasks"):
            kind = SECTION_KIND[section]
            for i, item in enumerate(self.seq(data, section, section)):
                p = f"{section}[{i}]"
                allowed = SECTION_KEYS[section] + (EXTRA_ENTRY_KEYS.get(section, ()) if site.platform != "windows" else ())
                if not self.mapping(item, p, allowed, f"an entry of {section}"):
                    continue
                name = self.text(item, "name", p, required=True) or ""
                rid = self.text(item, "id", p, default=None)
                refined = builtin.get(rid or "") or builtin.get(name.casefold()) if kind == "stream" else None
                entity = refined or RESOURCE_CLASSES[kind](id=rid or stable_id(kind, name), name=name)
                if refined:
                    entity.name = name
                    entity.id = rid or entity.id
                entity.location = _pos(item)
                entity.properties = self.multimap(item, "properties", p + ".properties")
                entity.description = self.text(item, "description", p, default="") or ""
                if item.get("owner") is not None:
                    entity.owner = self.ref_user(item, "owner", p + ".owner", site)
                if kind == "app" and item.get("stream") is not None:
                    entity.stream = self.ref_resource(item, "stream", p + ".stream", site, "stream")
                if kind in ("object", "reload_task"):
                    if kind == "object" and item.get("app") is None:
                        self.at_node(item, p, "'app' is required: an app object lives in an app")
                    elif item.get("app") is not None:
                        entity.app = self.ref_resource(item, "app", p + ".app", site, "app")
                if kind == "object":
                    entity.object_type = self.text(item, "type", p, default="sheet") or "sheet"
                    entity.published = self.boolean(item, "published", p)
                    entity.approved = self.boolean(item, "approved", p)
                if kind == "data_connection":
                    entity.type = self.text(item, "type", p, default="") or ""
                if kind == "app":
                    read_section_access(self, item, p, entity)
                if not refined:
                    self.check_duplicate_id(site, kind, entity, item, p)
                    site.resources[kind].append(entity)

    def check_duplicate_id(self, site: Site, kind: str, entity, item, path: str) -> None:
        seen = self.ids_seen.setdefault(kind, {})
        other = seen.get(entity.id.lower())
        if other is not None:
            self.at_node(item, path, f"{kind} id {entity.id} is already used by {other.ref}")
        seen[entity.id.lower()] = entity

    def ref_user(self, node, key, path: str, site: Site) -> User | None:
        try:
            return site.find_user(str(node[key]))
        except UnknownReference as exc:
            self.at_value(node, key, path, str(exc))
            return None

    def ref_resource(self, node, key, path: str, site: Site, kind: str):
        try:
            return site.find_resource(f"{kind}:{node[key]}")
        except UnknownReference as exc:
            self.at_value(node, key, path, str(exc))
            return None

    def read_custom_properties(self, data, site: Site) -> None:
        for i, item in enumerate(self.seq(data, "custom_properties", "custom_properties")):
            p = f"custom_properties[{i}]"
            if self.mapping(item, p, ("name", "values", "resource_types", "description"), "a custom property"):
                site.custom_properties.append(CustomPropertyDefinition(
                    self.text(item, "name", p, required=True) or "", self.strings(item, "values", p + ".values"),
                    self.strings(item, "resource_types", p + ".resource_types")))

    def read_proxies(self, data, site: Site) -> None:
        seen = set()
        for i, item in enumerate(self.seq(data, "virtual_proxies", "virtual_proxies")):
            p = f"virtual_proxies[{i}]"
            if not self.mapping(item, p, PROXY_KEYS, "a virtual proxy"):
                continue
            prefix = (self.text(item, "prefix", p, default="") or "").strip("/")
            if prefix != prefix.lower():
                self.at_value(item, "prefix", p + ".prefix", "Qlik allows only lower-case letters in a prefix")
            if prefix in seen:
                self.at_node(item, p, f"the prefix {prefix!r} is used twice; prefixes must be unique")
            seen.add(prefix)
            site.virtual_proxies.append(VirtualProxy(
                prefix=prefix, description=self.text(item, "description", p, default="") or "",
                anonymous=self.choice(item, "anonymous", p + ".anonymous", ("none", "allow", "always"), "none"),
                authentication=self.choice(item, "authentication", p + ".authentication", AUTH_METHODS, "windows"),
                session_timeout_minutes=self.integer(item, "session_timeout_minutes", p + ".session_timeout_minutes",
                                                     30, minimum=1, maximum=MAX_SESSION_TIMEOUT_MINUTES),
                extended_security_environment=self.boolean(item, "extended_security_environment", p),
                location=_pos(item)))

    def read_license_rules(self, data, site: Site) -> None:
        for i, item in enumerate(self.seq(data, "license_rules", "license_rules")):
            p = f"license_rules[{i}]"
            if not self.mapping(item, p, LICENSE_RULE_KEYS, "a licence rule"):
                continue
            if item.get("type") is None:
                self.at_node(item, p, f"'type' is required: one of {', '.join(LICENSE_TYPES)}")
            ltype = self.choice(item, "type", p + ".type", LICENSE_TYPES, "analyzer")
            text, parsed, err = self.condition(item, "condition", p + ".condition")
            tokens = self.integer(item, "tokens", p + ".tokens")
            if tokens and ltype != "login_access":
                self.warnings.append(f"{self.file}: {p}.tokens: tokens apply to login_access rules only; "
                                     f"ignored for a {ltype} rule")
            name = self.text(item, "name", p, required=True) or ""
            rule = LicenseRule(
                name=name, type=ltype, condition=text, tokens=tokens, disabled=self.boolean(item, "disabled", p),
                description=self.text(item, "description", p, default="") or "",
                id=self.text(item, "id", p, default=None) or stable_id("license_rule", name),
                location=_pos(item), parsed=parsed, parse_error=err,
                qrs_name=self.text(item, "qrs_name", p, default="") or "",
                resource_filter=self.text(item, "resource_filter", p, default="") or "",
                mask=self.integer(item, "actions", p + ".actions", default=1),
                context=self.choice(item, "context", p + ".context", CONTEXTS, "both"),
                seed_id=self.text(item, "seed_id", p, default=None) or LicenseRule.seed_id,
                qrs_type=self.text(item, "qrs_type", p, default=None) or "Custom",
                passes_used=self.passes(item, p, site, ltype))
            if rule.resource_filter:
                self.license_filter(item, p, rule)
            site.license_rules.append(rule)
        given = sum(r.tokens for r in site.license_rules if r.type == "login_access")
        users_with_pass = sum(1 for u in site.users if "user_access" in u.access)
        if given + users_with_pass > site.license.tokens and given:
            self.at_node(data.get("license_rules"), "license_rules",
                         f"login access rules give {given} tokens and user access passes use {users_with_pass}, "
                         f"but the licence has {site.license.tokens} tokens")

    def passes(self, item, p: str, site: Site, ltype: str) -> list:
        """`passes_used`: a number (each counted as used at `now`, so it returns 28 days later: the
        safe reading when QRS gave only a count) or the times the passes were used."""
        value = item.get("passes_used")
        if value is None:
            return []
        if ltype != "login_access":
            self.at_value(item, "passes_used", p + ".passes_used", "passes_used is for login_access rules")
            return []
        if isinstance(value, int) and not isinstance(value, bool):
            return [site.now] * self.integer(item, "passes_used", p + ".passes_used")
        out = []
        for j, when in enumerate(value if isinstance(value, list) else [None]):
            try:
                out.append(parse_time(when))
            except (ValueError, TypeError):
                self.at_value(item, "passes_used", f"{p}.passes_used[{j}]",
                              "passes_used is a number or a list of times like 2026-11-02T09:00:00Z")
                return []
        return out

    def license_filter(self, item, p: str, rule: LicenseRule) -> None:
        from ..qrs.mapping import LICENSE_FILTERS, license_type
        kind = license_type(rule.resource_filter)
        if kind is None:
            self.at_value(item, "resource_filter", p + ".resource_filter",
                          f"a licence rule's resource filter names its access group: "
                          f"{LICENSE_FILTERS[rule.type]}_<id>, not {rule.resource_filter!r}")
        elif kind != rule.type:
            self.at_value(item, "resource_filter", p + ".resource_filter",
                          f"{rule.resource_filter!r} is a {kind} access group, but the rule's type is {rule.type}")

    def read_security_rules(self, data, site: Site) -> None:
        by_name: dict[str, SecurityRule] = {}
        ids: dict[str, str] = {}
        if site.default_rules:
            for spec in defaults.preinstalled_rule_specs(site.rule_set.release if site.rule_set else None):
                rule = _rule_from_spec(spec)
                site.security_rules.append(rule)
                by_name[rule.name.casefold()] = rule
        for i, item in enumerate(self.seq(data, "security_rules", "security_rules")):
            p = f"security_rules[{i}]"
            if not self.mapping(item, p, SECURITY_RULE_KEYS, "a security rule"):
                continue
            name = self.text(item, "name", p, required=True) or ""
            base = by_name.get(name.casefold())
            if base is not None and base.preinstalled and not base.edited:
                rule = base  # override: the keys given replace the preinstalled rule's
                rule.edited = any(k not in RULE_IDENTITY_KEYS for k in item)
                rule.location = _pos(item)
            else:
                if base is not None:
                    self.at_key(item, "name", p + ".name", f"a rule named {name!r} is already defined")
                for key in ("resource_filter", "actions"):
                    if item.get(key) is None:
                        self.at_node(item, p, f"'{key}' is required (the QMC marks it mandatory)")
                rule = SecurityRule(name=name, resource_filter="*", actions=frozenset(), id=stable_id("rule", name),
                                    location=_pos(item), parsed=parse(""))
                site.security_rules.append(rule)
                by_name[name.casefold()] = rule
            if item.get("id") is not None:
                rule.id = self.text(item, "id", p + ".id") or rule.id
                if rule.id.casefold() in ids and ids[rule.id.casefold()] != p:
                    self.at_value(item, "id", p + ".id", f"id {rule.id} is already the id of {ids[rule.id.casefold()]}")
            ids[rule.id.casefold()] = p
            if item.get("qrs_name") is not None:
                rule.qrs_name = self.text(item, "qrs_name", p) or ""
            if item.get("resource_filter") is not None:
                rule.resource_filter = self.text(item, "resource_filter", p) or ""
                try:
                    rule.filter = parse_filter(rule.resource_filter, site.semantics.empty_id_filter)
                except FilterError as err:
                    self.in_scalar(item, "resource_filter", p + ".resource_filter", 1, err.offset + 1, str(err))
            if item.get("actions") is not None:
                rule.actions = self.actions(item, p + ".actions")
                value = item.get("actions")
                rule.mask = value if isinstance(value, int) and not isinstance(value, bool) else None
            if "condition" in item:
                rule.condition, rule.parsed, rule.parse_error = self.condition(item, "condition", p + ".condition")
            if item.get("context") is not None:
                rule.context = self.choice(item, "context", p + ".context", CONTEXTS, "both")
            if "disabled" in item:
                rule.disabled = self.boolean(item, "disabled", p)
            if item.get("description") is not None:
                rule.description = self.text(item, "description", p) or ""
            if item.get("type") is not None:
                rule.type = self.choice(item, "type", p + ".type", ("default", "readonly", "custom"), "custom").title() \
                    .replace("Readonly", "ReadOnly")
                rule.type_given = True
            if item.get("seed_id") is not None:
                rule.seed_id = self.text(item, "seed_id", p) or rule.seed_id

    def actions(self, item, path: str) -> frozenset[str]:
        value = item.get("actions")
        if isinstance(value, int) and not isinstance(value, bool):
            return actions_from_mask(value)
        out = set()
        for j, a in enumerate(self.strings(item, "actions", path)):
            if a.strip().lower() == "all":
                out.update(actions_from_mask(ALL_ACTIONS_MASK))
                continue
            norm = normalize_action(a)
            if norm is None:
                close = difflib.get_close_matches(a.lower(), ACTIONS, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; actions: {', '.join(ACTIONS)}"
                self.at_value(item, "actions", f"{path}[{j}]", f"unknown action {a!r}{hint}")
            else:
                out.add(norm)
        if not out and value is not None:
            self.at_value(item, "actions", path, "a rule needs at least one action (QMC: \"You must specify at "
                                                 "least one action.\")")
        return frozenset(out)

    def read_checks(self, data, site: Site) -> None:
        for i, item in enumerate(self.seq(data, "checks", "checks")):
            p = f"checks[{i}]"
            if isinstance(item, dict) and "request" not in item and any(k in item for k in STEP_ACTIONS):
                self.read_step(item, p, site)
                continue
            if not self.mapping(item, p, CHECK_KEYS, "a check"):
                continue
            req = item.get("request")
            if req is None:
                self.at_node(item, p, "'request' is required")
                continue
            if not self.mapping(req, p + ".request", REQUEST_KEYS, "a request"):
                continue
            request = self.request(req, p + ".request", site)
            if item.get("expect") is None:
                self.at_node(item, p, "'expect' is required: allow or deny")
            expect = self.choice(item, "expect", p + ".expect", ("allow", "deny"), "allow")
            denied_by = item.get("denied_by")
            if denied_by is not None:
                denied_by = self.choice(item, "denied_by", p + ".denied_by",
                                        DENIED_BY, "security")
                if expect == "allow":
                    self.warnings.append(f"{self.file}: {p}.denied_by: denied_by goes with expect: deny; ignored")
                    denied_by = None
            access_type = item.get("access_type")
            if access_type is not None:
                access_type = self.choice(item, "access_type", p + ".access_type", LICENSE_TYPES, "professional")
            if request is not None:
                site.checks.append(Check(name=self.text(item, "name", p, default=f"check {i + 1}") or "",
                                         request=request, expect=expect, denied_by=denied_by,
                                         access_type=access_type, location=_pos(item), raw=item))

    def read_step(self, item, path: str, site: Site) -> None:
        """`- advance: 90m`, `- at: 2026-11-03T09:00Z`, `- logout: CORP\\alice` (optional `session:`),
        `- deallocate: CORP\\bob` (optional `access:`), `- {allocate: CORP\\bob, access: analyzer}`."""
        if not self.mapping(item, path, STEP_KEYS, "a step"):
            return
        step = {}
        if item.get("advance") is not None:
            try:
                step["advance"] = parse_duration(str(item["advance"]))
            except ValueError as exc:
                self.at_value(item, "advance", path + ".advance", str(exc))
        if item.get("at") is not None:
            try:
                step["at"] = parse_time(item["at"])
            except ValueError:
                self.at_value(item, "at", path + ".at", "at should be a date and time like 2026-11-02T09:00:00Z")
        for key in ("logout", "deallocate", "allocate"):
            if item.get(key) is not None:
                who = str(item[key])
                try:
                    step[key] = site.find_user(who)
                except UnknownReference as exc:
                    if key == "logout" and who.lower().startswith(ANONYMOUS):
                        step[key] = who
                    else:
                        self.at_value(item, key, f"{path}.{key}", str(exc))
        step["session"] = self.text(item, "session", path, default=None)
        if item.get("session") is not None and item.get("logout") is None:
            self.at_value(item, "session", path + ".session", "session goes with logout: which browser to end")
        if item.get("access") is not None:
            if item.get("allocate") is None and item.get("deallocate") is None:
                self.at_value(item, "access", path + ".access", "access goes with allocate or deallocate")
            step["access"] = self.choice(item, "access", path + ".access", ACCESS_VALUES, "professional")
        elif item.get("allocate") is not None:
            self.at_node(item, path, f"allocate needs access: one of {', '.join(ACCESS_VALUES)}")
        self.read_site_step(item, path, site, step)
        name = self.text(item, "name", path, default=None) or ", ".join(
            f"{k} {item[k]}" for k in STEP_ACTIONS if item.get(k) is not None)
        site.checks.append(Check(name=name, request=None, expect="", location=_pos(item), raw=item, step=step))

    def read_site_step(self, item, path: str, site: Site, step: dict) -> None:
        """`- disable_rule: NAME` (also enable_rule, delete_rule; security or licence rules),
        `- {edit_rule: NAME, condition: ...}`, `- delete_user: CORP\\bob`,
        `- {set_anonymous: allow, proxy: public}`: what an administrator changes between two requests."""
        for key in ("disable_rule", "enable_rule", "delete_rule", "edit_rule"):
            if item.get(key) is None:
                continue
            name = str(item[key])
            known = [r.name.casefold() for r in site.security_rules] + [r.name.casefold() for r in site.license_rules]
            if name.casefold() not in known:
                self.at_value(item, key, f"{path}.{key}", site._unknown(
                    "rule", name, [r.name for r in site.security_rules] + [r.name for r in site.license_rules]))
            step[key] = name
        if item.get("edit_rule") is not None:
            if "condition" not in item:
                self.at_node(item, path, "edit_rule needs condition: the rule's new condition")
            else:
                step["condition"] = self.condition(item, "condition", path + ".condition")
        elif "condition" in item:
            self.at_value(item, "condition", path + ".condition", "condition goes with edit_rule")
        if item.get("delete_user") is not None:
            try:
                step["delete_user"] = site.find_user(str(item["delete_user"]))
            except UnknownReference as exc:
                self.at_value(item, "delete_user", path + ".delete_user", str(exc))
        if item.get("set_anonymous") is not None:
            step["set_anonymous"] = self.choice(item, "set_anonymous", path + ".set_anonymous",
                                                tuple(ANONYMOUS_LABELS), "none")
            prefix = self.text(item, "proxy", path, default="") or ""
            try:
                site.find_proxy(prefix)
            except UnknownReference as exc:
                self.at_value(item, "proxy", path + ".proxy", str(exc))
            step["proxy"] = prefix
        elif item.get("proxy") is not None:
            self.at_value(item, "proxy", path + ".proxy", "proxy goes with set_anonymous")

    def request(self, req, path: str, site: Site):
        user = req.get("user")
        if user is not None:
            user = str(user)
            if not (user.lower() == ANONYMOUS or user.lower().startswith(ANONYMOUS + ":")):
                try:
                    site.find_user(user)
                except UnknownReference as exc:
                    self.at_value(req, "user", path + ".user", str(exc))
        resource = self.text(req, "resource", path, required=True)
        if resource:
            try:
                site.find_resource(resource)
            except UnknownReference as exc:
                self.at_value(req, "resource", path + ".resource", str(exc))
        env = req.get("environment")
        if env is not None and not isinstance(env, dict):
            self.at_value(req, "environment", path + ".environment", "environment should be a mapping")
            env = None
        try:
            return make_request(resource=resource or "", action=self.text(req, "action", path, default="read"),
                                user=user, proxy=self.text(req, "proxy", path, default=""),
                                context=self.text(req, "context", path, default="hub"),
                                environment=dict(env or {}), at=req.get("at"),
                                session=self.text(req, "session", path, default=None))
        except ValueError as exc:
            self.at_node(req, path, str(exc))
            return None


def _rule_from_spec(spec: dict) -> SecurityRule:
    acts = set()
    for a in spec["actions"]:
        acts.update(actions_from_mask(ALL_ACTIONS_MASK) if a == "all" else {normalize_action(a)})
    rule = SecurityRule(name=spec["name"], resource_filter=spec["resource_filter"], actions=frozenset(acts),
                        condition=spec.get("condition", ""), context=spec.get("context", "both"),
                        description=spec.get("description", ""), type=spec.get("type", "Default"),
                        seed_id=spec.get("seed_id", ""), preinstalled=True, source=spec.get("source", ""),
                        since=spec.get("since", ""), unconfirmed=spec.get("unconfirmed", ""),
                        id=spec.get("seed_id") or stable_id("rule", spec["name"]))
    rule.filter = parse_filter(rule.resource_filter)
    rule.parsed = parse(rule.condition)
    return rule


def _pos(node, key=None, value: bool = False) -> tuple[int, int]:
    """0-based (line, col) of a node, of a key in a mapping, or of the value under that key."""
    try:  # a round-trip node (CommentedMap/Seq) or a fast-reader one (LocatedMap/List): both carry .lc
        lc = getattr(node, "lc", None) if isinstance(node, (dict, list)) else None
        if lc is None:
            got = None
        elif key is not None and isinstance(node, dict):
            got = lc.value(key) if value else lc.key(key)
        else:
            got = lc.line, lc.col
    except (KeyError, AttributeError, TypeError):
        got = None
    # a document built in memory (an import, an edit) has no positions: the top of the file
    if isinstance(got, tuple) and len(got) == 2 and all(isinstance(v, int) for v in got):
        return got
    return 0, 0


def _kind(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"
