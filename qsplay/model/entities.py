"""The site model: users and resources as the rule engine sees them, and the rules themselves.

Property names follow the QRS entities' security-accessible fields (QRS API reference: User,
Stream, App, AppObject) and the QMC's "available resource conditions" page. Lookups are
case-insensitive because official examples spell the same property several ways
(`resource.Stream` / `resource.stream`, `user.UserDirectory` / `user.userDirectory`).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..rules.actions import sort_actions

NAMESPACE = uuid.UUID("5b0d0a57-6c0e-4c53-9a4c-51c2f1a3b7e1")

# contract KIND -> Qlik resource type
KIND_TO_TYPE = {
    "stream": "Stream", "app": "App", "object": "App.Object", "data_connection": "DataConnection",
    "extension": "Extension", "content_library": "ContentLibrary", "reload_task": "ReloadTask",
    "user": "User", "space": "Space",
}
# The QMC's own resources and the other types Qlik's admin-role tables name (Default administration
# roles; QMC section access for default admin roles): kind (as requests write it) -> Qlik type
ADMIN_KIND_TO_TYPE = {
    "qmc_section": "QmcSection", "hub_section": "HubSection", "system_rule": "SystemRule", "license": "License",
    "server_node_configuration": "ServerNodeConfiguration", "virtual_proxy_config": "VirtualProxyConfig",
    "proxy_service": "ProxyService", "engine_service": "EngineService", "tag": "Tag",
    "custom_property_definition": "CustomPropertyDefinition", "user_sync_task": "UserSyncTask",
    "schema_event": "SchemaEvent", "static_content_reference": "StaticContentReference",
    "app_content": "App.Content", "app_data_segment": "App.DataSegment", "user_directory": "UserDirectory",
    "analytic_connection": "AnalyticConnection", "terms_acceptance": "TermsAcceptance",
}
KIND_TO_TYPE.update(ADMIN_KIND_TO_TYPE)
TYPE_TO_KIND = {v: k for k, v in KIND_TO_TYPE.items()}


def stable_id(kind: str, name: str) -> str:
    """Ids generated from names stay the same from one run to the next."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


@dataclass(eq=False)
class Entity:
    """Anything a rule can look at. Subclasses add their own properties in `_props`."""
    kind = "Entity"
    id: str = ""
    name: str = ""
    properties: dict[str, list[str]] = field(default_factory=dict)  # custom properties
    owner: "User | None" = None
    description: str = ""
    location: Any = None  # where it was defined (scenario loader), for messages

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def ref(self) -> str:
        return f"{TYPE_TO_KIND.get(self.kind, self.kind.lower())}:{self.name}"

    def compare_text(self) -> str:
        return self.id

    def display(self) -> str:
        return self.ref

    def _props(self) -> dict[str, list]:
        return {}

    def get(self, name: str) -> list | None:
        """The values of a property (lower-case lookup), [] when it has none, None when this kind of
        object has no such property. Built once: entities do not change after loading (what-if edits
        build a new site)."""
        table = self.__dict__.get("_table")
        if table is None:
            table = self._build_table()
        got = table.get(name.lower())
        if got is None and name.startswith("@"):
            return []
        return got

    def _build_table(self) -> dict:
        table = {"id": [self.id], "name": [self.name], "resourcetype": [self.kind],
                 "resourcefilter": [f"{self.kind}_{self.id}"],
                 "owner": [self.owner] if self.owner is not None else [],
                 "description": [self.description] if self.description else []}
        for k, v in self._props().items():
            table.setdefault(k, v)
        for k, v in self.properties.items():
            table.setdefault("@" + k.lower(), list(v))
        self.__dict__["_table"] = table
        return table

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name!r}>"


@dataclass(eq=False)
class User(Entity):
    kind = "User"
    directory: str = ""
    user_id: str = ""
    email: str = ""
    groups: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    access: list[str] = field(default_factory=list)  # allocated access types
    inactive: bool = False
    blacklisted: bool = False
    removed_externally: bool = False
    is_anonymous: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.directory}\\{self.user_id}"

    @property
    def ref(self) -> str:
        return f"user:{self.qualified}"

    def compare_text(self) -> str:
        return self.qualified

    def display(self) -> str:
        return self.qualified

    def _props(self) -> dict[str, list]:
        props: dict[str, list] = {
            "userid": [self.user_id], "userdirectory": [self.directory],
            "email": [self.email] if self.email else [],
            "group": list(self.groups), "groups": list(self.groups),
            "roles": list(self.roles),
            "inactive": [_bool_text(self.inactive)],
            "blacklisted": [_bool_text(self.blacklisted)],
            "removedexternally": [_bool_text(self.removed_externally)],
        }
        for k, v in self.attributes.items():
            props.setdefault(k.lower(), list(v))
        return props


@dataclass(eq=False)
class Stream(Entity):
    kind = "Stream"


@dataclass(eq=False)
class App(Entity):
    kind = "App"
    stream: Stream | None = None
    section_access: Any = None  # model.section_access.SectionAccess, when the app's script has one

    @property
    def published(self) -> bool:
        return self.stream is not None

    def _props(self) -> dict[str, list]:
        # `published` is not marked security-accessible on the QRS App entity; offered anyway
        # because rules in the wild use it, with the stream as the single source of truth.
        return {"stream": [self.stream] if self.stream else [], "published": [_bool_text(self.published)]}


@dataclass(eq=False)
class AppObject(Entity):
    kind = "App.Object"
    app: App | None = None
    object_type: str = "sheet"
    published: bool = False
    approved: bool = False

    @property
    def ref(self) -> str:
        return f"object:{self.app.name if self.app else '?'}/{self.name}"

    def _props(self) -> dict[str, list]:
        return {"app": [self.app] if self.app else [], "objecttype": [self.object_type],
                "published": [_bool_text(self.published)], "approved": [_bool_text(self.approved)]}


@dataclass(eq=False)
class DataConnection(Entity):
    kind = "DataConnection"
    type: str = ""  # connection type, e.g. folder (the default rules test resource.type)

    def _props(self) -> dict[str, list]:
        return {"type": [self.type] if self.type else []}


@dataclass(eq=False)
class Extension(Entity):
    kind = "Extension"


@dataclass(eq=False)
class ContentLibrary(Entity):
    kind = "ContentLibrary"


@dataclass(eq=False)
class ReloadTask(Entity):
    kind = "ReloadTask"
    app: App | None = None

    def _props(self) -> dict[str, list]:
        return {"app": [self.app] if self.app else []}


@dataclass(eq=False)
class AdminResource(Entity):
    """A QMC section, a hub section or another administration resource (SystemRule, Tag, ...).
    A QMC section is named in filters as QmcSection_<section> (its id here); its name is the same
    text and its resourcetype "TransientObject", as the preinstalled AuditAdmin rule reads it:
    `!(resource.resourcetype = "TransientObject" and resource.name like "QmcSection_*")`."""
    kind: str = "QmcSection"
    app: "App | None" = None  # App.Content / App.DataSegment: the app they belong to

    @property
    def ref(self) -> str:
        if self.kind in ("QmcSection", "HubSection"):
            return f"{TYPE_TO_KIND[self.kind]}:{self.id}"
        return f"{TYPE_TO_KIND.get(self.kind, self.kind.lower())}:{self.name}"

    def _props(self) -> dict[str, list]:
        return {"app": [self.app] if self.app else []}

    def _build_table(self) -> dict:
        table = super()._build_table()
        if self.kind in ("QmcSection", "HubSection"):
            table["resourcetype"] = ["TransientObject"]
        return table


RESOURCE_CLASSES: dict[str, type[Entity]] = {
    "stream": Stream, "app": App, "object": AppObject, "data_connection": DataConnection,
    "extension": Extension, "content_library": ContentLibrary, "reload_task": ReloadTask,
}


@dataclass(eq=False)
class SecurityRule:
    name: str
    resource_filter: str
    actions: frozenset[str]
    condition: str = ""
    context: str = "both"  # both | hub | qmc
    disabled: bool = False
    description: str = ""
    category: str = "Security"
    type: str = "Custom"  # Default | ReadOnly | Custom (QRS SystemRule.type)
    seed_id: str = "00000000-0000-0000-0000-000000000000"
    preinstalled: bool = False
    edited: bool = False  # a preinstalled rule the scenario changed
    type_given: bool = False  # `type` was stated in the file (export-qrs keeps it as is)
    qrs_name: str = ""  # the name QRS holds, when the scenario had to rename the rule (duplicate names)
    mask: int | None = None  # the QRS actions bitmask as written, when the scenario gave one
    source: str = ""  # where the rule's text comes from
    since: str = ""  # preinstalled: the release that added or last changed it ("" = the 2017 set)
    unconfirmed: str = ""  # preinstalled: what no Qlik source gives about this rule (traces repeat it)
    id: str = ""
    location: Any = None
    parsed: Any = None  # rules.ParsedCondition, or None when the text does not parse
    parse_error: Any = None  # rules.ConditionError when it does not
    filter: Any = None  # rules.ResourceFilter

    def applies_in(self, context: str) -> bool:
        return self.context == "both" or self.context == context

    def summary(self) -> str:
        acts = ", ".join(sort_actions(self.actions))
        return f"{self.name}: {self.resource_filter} [{acts}] in {self.context}"


LICENSE_TYPES = ("professional", "analyzer", "analyzer_capacity", "login_access", "user_access")


@dataclass(eq=False)
class LicenseRule:
    name: str
    type: str  # one of LICENSE_TYPES
    condition: str = ""
    tokens: int = 0  # login_access: tokens given to the group (1 token = 10 passes)
    disabled: bool = False
    description: str = ""
    id: str = ""
    location: Any = None
    parsed: Any = None
    parse_error: Any = None
    # kept from QRS so export-qrs gives the rule back as it was (docs/qrs.md)
    qrs_name: str = ""  # the name QRS holds, when the scenario had to rename the rule
    resource_filter: str = ""  # License.<Type>AccessGroup_<id> / License.LoginAccessType_<id>
    mask: int = 1  # QRS actions bitmask (licence rules: 1, "Allow access"; Qlik's own example uses 15)
    context: str = "both"
    seed_id: str = "00000000-0000-0000-0000-000000000000"
    qrs_type: str = "Custom"  # QRS SystemRule.type
    passes_used: list = field(default_factory=list)  # login_access: when each pass counted at `now` was used

    @property
    def access_group(self) -> str:
        """The access group (or login access type) id the rule points at ("" when not known)."""
        head, sep, tail = self.resource_filter.partition("_")
        return tail.strip() if sep else ""


@dataclass
class License:
    key: str = "signed"  # signed | serial
    professional: int = 0
    analyzer: int = 0
    analyzer_capacity_minutes: int = 0
    tokens: int = 0
    overage_minutes: int = 0  # extra analyzer capacity minutes a month (0: none, -1: unlimited)
    # the site's licence state at `now` (import-qrs from a pulled site; docs/licensing.md)
    allocations: list["AllocationRecord"] = field(default_factory=list)
    capacity_used_minutes: int = 0  # analyzer capacity minutes already used in `now`'s month


@dataclass
class AllocationRecord:
    """One row of the QMC's professional / analyzer / user access allocation lists."""
    user: str  # DIRECTORY\id; for a deleted user, as QRS recorded it (deletedUserDirectory\deletedUserId)
    access: str  # professional | analyzer | user_access
    last_used: datetime | None = None
    quarantined_until: datetime | None = None
    excess: bool = False  # QRS `excess`: beyond the licence's quota
    deleted: bool = False  # the user was deleted; the allocation still holds a place in the pool
    id: str = ""  # the allocation's QRS id


@dataclass
class VirtualProxy:
    prefix: str = ""
    description: str = ""
    anonymous: str = "none"  # none | allow | always
    authentication: str = "windows"
    session_timeout_minutes: int = 30
    extended_security_environment: bool = False
    location: Any = None

    @property
    def label(self) -> str:
        return f"/{self.prefix}" if self.prefix else "the central proxy (prefix \"\")"


ANONYMOUS_LABELS = {"none": "No anonymous user", "allow": "Allow anonymous user",
                    "always": "Always anonymous user"}


@dataclass
class UserDirectory:
    name: str
    type: str = ""


@dataclass
class CustomPropertyDefinition:
    name: str
    values: list[str] = field(default_factory=list)
    resource_types: list[str] = field(default_factory=list)


@dataclass
class Check:
    name: str
    request: Any  # engine.request.Request
    expect: str  # allow | deny
    denied_by: str | None = None
    access_type: str | None = None
    location: Any = None
    raw: dict = field(default_factory=dict)
    step: dict | None = None  # not a check but a step: advance / at / logout / deallocate


@dataclass
class Location:
    """Where something is in a scenario file (1-based line and column)."""
    file: str
    line: int
    col: int
    path: str = ""  # e.g. security_rules[2].condition

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}: {where}line {self.line}, col {self.col}"


def parse_time(value) -> datetime:
    """ISO-8601 text or a YAML timestamp -> aware UTC datetime."""
    from datetime import timezone
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def parse_duration(text: str):
    """'90m', '+2h', '7d', '1h30m', '45s' -> timedelta."""
    import re
    from datetime import timedelta
    body = text.strip().lstrip("+").replace(" ", "")
    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", body.lower())
    if not parts or "".join(n + u for n, u in parts) != body.lower():
        raise ValueError(f"a duration looks like 90m, 2h, 7d or 1h30m, not {text!r}")
    seconds_in = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    seconds = sum(float(n) * seconds_in[u] for n, u in parts)
    if seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"a duration of at most {MAX_DURATION_DAYS} days (100 years), not {text!r}")
    return timedelta(seconds=seconds)


MAX_DURATION_DAYS = 36500
