"""A Qlik Sense site: everything one scenario file describes, with lookups by reference."""
from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from ..semantics import Semantics
from .entities import (KIND_TO_TYPE, App, AppObject, Check, CustomPropertyDefinition, Entity, License,
                       LicenseRule, SecurityRule, Stream, User, UserDirectory, VirtualProxy)

DEFAULT_NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
RESOURCE_KINDS = ("stream", "app", "object", "data_connection", "extension", "content_library",
                  "reload_task", "user", "space")  # space: Qlik Cloud
# the QMC's and hub's own resources and other admin types: found by reference, audited on request
# (`audit --type qmc_section`), not part of the default audit of a site's content
from .entities import ADMIN_KIND_TO_TYPE  # noqa: E402
ADMIN_KINDS = tuple(ADMIN_KIND_TO_TYPE)


class LookupError_(LookupError):
    """A reference (user or resource) that names nothing in the site."""


@dataclass
class Site:
    name: str = "Untitled site"
    description: str = ""
    platform: str = "windows"
    default_rules: bool = True
    rule_set: Any = None  # defaults.releases.RuleSet: which release's preinstalled rules (None: none)
    now: datetime = DEFAULT_NOW
    license: License = field(default_factory=License)
    user_directories: list[UserDirectory] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    resources: dict[str, list[Entity]] = field(default_factory=lambda: {k: [] for k in RESOURCE_KINDS + ADMIN_KINDS
                                                                         if k != "user"})
    custom_properties: list[CustomPropertyDefinition] = field(default_factory=list)
    virtual_proxies: list[VirtualProxy] = field(default_factory=list)
    license_rules: list[LicenseRule] = field(default_factory=list)
    security_rules: list[SecurityRule] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    semantics: Semantics = field(default_factory=Semantics)
    source: str | None = None  # the file it came from
    extra: dict[str, Any] = field(default_factory=dict)  # platform-specific sections (e.g. cloud)
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    # -- collections ---------------------------------------------------------------------------
    @property
    def streams(self) -> list[Stream]:
        return self.resources["stream"]

    @property
    def apps(self) -> list[App]:
        return self.resources["app"]

    @property
    def objects(self) -> list[AppObject]:
        return self.resources["object"]

    def all_resources(self, kinds: Iterable[str] | None = None) -> list[Entity]:
        out: list[Entity] = []
        for kind in kinds or RESOURCE_KINDS:
            out.extend(self.users if kind == "user" else self.resources.get(kind, []))
        return out

    def copy(self) -> "Site":
        """An independent copy for what-if edits (entities and rules are copied too)."""
        document = self.extra.pop("document", None)
        try:
            twin = copy.deepcopy(self)
        finally:
            if document is not None:
                self.extra["document"] = document
        if document is not None:
            from ..scenario.document import clone
            twin.extra["document"] = clone(document)
        return twin

    # -- lookups ---------------------------------------------------------------------------------
    def find_user(self, ref: str) -> User:
        text = ref[5:] if ref.lower().startswith("user:") else ref
        wanted = text.replace("/", "\\").casefold()
        index = self._index.get("user")
        if index is None or index[0] != len(self.users):  # rebuilt when the list changes size
            by_name: dict = {}
            for user in self.users:
                by_name.setdefault(user.qualified.casefold(), user)
            index = self._index["user"] = (len(self.users), by_name)
        hit = index[1].get(wanted)
        if hit is not None and hit.qualified.casefold() == wanted:
            return hit
        for user in self.users:
            if user.qualified.casefold() == wanted:
                return user
        if "\\" not in wanted:
            hits = [u for u in self.users if u.user_id.casefold() == wanted]
            if len(hits) == 1:
                return hits[0]
        raise LookupError_(self._unknown("user", text, [u.qualified for u in self.users]))

    def find_resource(self, ref: str) -> Entity:
        """'stream:Sales', 'app:<id>', 'object:App/Sheet', 'user:CORP\\alice'. Only a reference a person
        typed can be ambiguous (real sites have copied apps with the same name); the message then
        lists the candidates and how to name one by id. `ref_of` gives a reference that is never
        ambiguous, for what qsplay itself passes around (audit rows, graph nodes, traces)."""
        kind, sep, name = ref.partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in RESOURCE_KINDS + ADMIN_KINDS:
            raise LookupError_(f"resource {ref!r} is not KIND:NAME; kinds: {', '.join(RESOURCE_KINDS)} (and the "
                               f"QMC's own: {', '.join(ADMIN_KINDS)})")
        name = name.strip()
        if kind == "user":
            return self.find_user(name)
        pool: list[Entity] = self.resources[kind]
        by_key = self._lookup_index(kind)
        hits = by_key.get(("id", name.lower()))
        if not hits and kind == "object" and "/" in name:
            app_name, _, obj_name = name.partition("/")
            hits = by_key.get(("in", app_name, obj_name)) or by_key.get(("in~", app_name.casefold(),
                                                                           obj_name.casefold()))
        if not hits:
            hits = by_key.get(("name", name)) or by_key.get(("name~", name.casefold()))
        if hits and len(hits) == 1:
            return hits[0]
        if hits:
            raise LookupError_(self._ambiguous(kind, name, hits))
        raise LookupError_(self._unknown(kind, name, [e.name for e in pool]))

    def _lookup_index(self, kind: str) -> dict:
        """Resources of one kind by id, name, case-folded name and (for objects) app/name; rebuilt
        when the list changes size."""
        pool = self.resources[kind]
        index = self._index.get(kind)
        if index is None or index[0] != len(pool):
            by_key: dict = {}
            for e in pool:
                by_key.setdefault(("id", e.id.lower()), []).append(e)
                by_key.setdefault(("name", e.name), []).append(e)
                by_key.setdefault(("name~", e.name.casefold()), []).append(e)
                if kind == "object" and e.app is not None:
                    by_key.setdefault(("in", e.app.name, e.name), []).append(e)
                    by_key.setdefault(("in~", e.app.name.casefold(), e.name.casefold()), []).append(e)
            index = self._index[kind] = (len(pool), by_key)
        return index[1]

    def ref_of(self, entity: Entity) -> str:
        """A reference that finds exactly this entity: its name reference when that names it alone,
        else KIND:ID (a copied app shares its name with the original)."""
        ref = entity.ref
        kind = ref.partition(":")[0]
        if kind == "user" or kind not in self.resources:
            return ref
        try:
            if self.find_resource(ref) is entity:
                return ref
        except LookupError_:
            pass
        return f"{kind}:{entity.id}"

    def _ambiguous(self, kind: str, name: str, hits: list[Entity]) -> str:
        lines = [f"{len(hits)} resources are called {kind}:{name}; name one by id:"]
        for e in hits[:12]:
            stream = getattr(e, "stream", None) or getattr(getattr(e, "app", None), "stream", None)
            where = [f"stream {stream.name}" if stream is not None else "not published"]
            if getattr(e, "app", None) is not None:
                where.insert(0, f"in app {e.app.name} ({e.app.id})")
            where.append(f"owner {e.owner.qualified}" if e.owner is not None else "no owner")
            lines.append(f"  {kind}:{e.id}  ({', '.join(where)})")
        if len(hits) > 12:
            lines.append(f"  ... and {len(hits) - 12} more")
        return "\n".join(lines)

    def find_proxy(self, prefix: str) -> VirtualProxy:
        wanted = (prefix or "").strip().strip("/").lower()
        for proxy in self.proxies():
            if proxy.prefix.lower() == wanted:
                return proxy
        raise LookupError_(self._unknown("virtual proxy", wanted, [p.prefix for p in self.proxies()]))

    def proxies(self) -> list[VirtualProxy]:
        """The declared virtual proxies; a site that declares none has Qlik's default central proxy."""
        return self.virtual_proxies or [VirtualProxy(prefix="", description="Central proxy (default)")]

    def find_security_rule(self, name: str) -> SecurityRule:
        for rule in self.security_rules:
            if rule.name == name:
                return rule
        for rule in self.security_rules:
            if rule.name.casefold() == name.casefold():
                return rule
        raise LookupError_(self._unknown("security rule", name, [r.name for r in self.security_rules]))

    def find_license_rule(self, name: str) -> LicenseRule:
        for rule in self.license_rules:
            if rule.name.casefold() == name.casefold():
                return rule
        raise LookupError_(self._unknown("licence rule", name, [r.name for r in self.license_rules]))

    @staticmethod
    def _unknown(what: str, name: str, known: list[str]) -> str:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else (
            f"; known: {', '.join(known[:8])}{' ...' if len(known) > 8 else ''}" if known else "; there are none")
        return f"no {what} '{name}'{hint}"

    @staticmethod
    def resource_type(kind: str) -> str:
        return KIND_TO_TYPE[kind]
