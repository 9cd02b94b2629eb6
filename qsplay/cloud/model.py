"""The Qlik Cloud model and its scenario sections."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Entity, Site, UnknownReference, stable_id
from .permissions import ROLES, ROLES_BY_SPACE

SUBSCRIPTIONS = ("standard", "anonymous_access")
SPACE_TYPES = ("personal", "shared", "managed", "data")
PERMISSIONS = ("public_link_creation",)  # tenant permissions qsplay models (the anonymous access link one)
PERMISSION_VALUES = ("allowed", "not_allowed")


@dataclass
class Tenant:
    subscription: str = "standard"
    anonymous_capacity: int = 0  # concurrent anonymous app sessions
    user_default: dict[str, str] = field(default_factory=lambda: {"public_link_creation": "not_allowed"})
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # custom role -> permissions

    def permission(self, user, name: str) -> tuple[bool, str]:
        """Allowed through User Default or any of the user's custom roles; which one says so."""
        if self.user_default.get(name) == "allowed":
            return True, "the User Default role allows it"
        for role in getattr(user, "roles", []):
            if self.roles.get(role, {}).get(name) == "allowed":
                return True, f"the custom role {role!r} allows it"
        return False, ("neither User Default nor any of the user's custom roles allows it (not allowed by "
                       "default, even for tenant admins)")


@dataclass(eq=False)
class Space(Entity):
    kind = "Space"
    type: str = "shared"
    members: list[tuple[str, str, frozenset]] = field(default_factory=list)  # ("user"|"group", name, roles)

    def roles_of(self, user) -> dict[str, str]:
        """role -> how the user holds it (owner, directly, or through a group); highest wins = union."""
        out: dict[str, str] = {}
        if self.owner is not None and user is not None and self.owner.key == user.key:
            out["owner"] = "space owner"
        groups = {g.casefold() for g in getattr(user, "groups", [])}
        for kind, name, roles in self.members:
            if kind == "user" and user is not None and name.casefold() == user.qualified.casefold():
                for r in roles:
                    out.setdefault(r, "member")
            elif kind == "group" and name.casefold() in groups:
                for r in roles:
                    out.setdefault(r, f"group {name}")
        return out


@dataclass
class CloudApp:
    space: Space | None = None
    anonymous_access: bool = False
    access_code: str | None = None
    previous_codes: list[str] = field(default_factory=list)


@dataclass
class CloudSite:
    tenant: Tenant = field(default_factory=Tenant)
    apps: dict[str, CloudApp] = field(default_factory=dict)  # app id -> cloud properties


def cloud(site: Site) -> CloudSite:
    return site.extra.setdefault("cloud", CloudSite())


def read_tenant(reader, node, site: Site) -> None:
    if not reader.mapping(node, "tenant", ("subscription", "anonymous_capacity", "user_default", "roles"), "tenant"):
        return
    t = cloud(site).tenant
    t.subscription = reader.choice(node, "subscription", "tenant.subscription", SUBSCRIPTIONS, "standard")
    t.anonymous_capacity = reader.integer(node, "anonymous_capacity", "tenant.anonymous_capacity")
    if node.get("user_default") is not None:
        t.user_default.update(_permissions(reader, node, "user_default", "tenant.user_default"))
    for i, role in enumerate(reader.seq(node, "roles", "tenant.roles")):
        p = f"tenant.roles[{i}]"
        if reader.mapping(role, p, ("name", "permissions", "description"), "a custom role"):
            name = reader.text(role, "name", p, required=True) or ""
            t.roles[name] = _permissions(reader, role, "permissions", p + ".permissions") if role.get("permissions") else {}


def _permissions(reader, node, key: str, path: str) -> dict[str, str]:
    value = node.get(key)
    if not reader.mapping(value, path, PERMISSIONS, "permissions"):
        return {}
    return {k: reader.choice(value, k, f"{path}.{k}", PERMISSION_VALUES, "not_allowed") for k in value}


def read_spaces(reader, node, site: Site) -> None:
    for i, item in enumerate(reader.seq({"spaces": node}, "spaces", "spaces")):
        p = f"spaces[{i}]"
        if not reader.mapping(item, p, ("name", "id", "type", "owner", "members", "description"), "a space"):
            continue
        name = reader.text(item, "name", p, required=True) or ""
        space = Space(id=reader.text(item, "id", p, default=None) or stable_id("space", name), name=name,
                      type=reader.choice(item, "type", p + ".type", SPACE_TYPES, "shared"))
        if item.get("owner") is not None:
            space.owner = reader.ref_user(item, "owner", p + ".owner", site)
        for j, member in enumerate(reader.seq(item, "members", p + ".members")):
            mp = f"{p}.members[{j}]"
            if not reader.mapping(member, mp, ("user", "group", "roles"), "a space member"):
                continue
            roles = []
            for role in reader.strings(member, "roles", mp + ".roles"):
                key = role.strip().lower().replace(" ", "_")
                if key not in ROLES_BY_SPACE.get(space.type, set(ROLES)) or key == "owner":
                    allowed = sorted(ROLES_BY_SPACE.get(space.type, set(ROLES)) - {"owner"})
                    reader.at_value(member, "roles", mp + ".roles", f"{role!r} is not a role of a {space.type} space "
                                    f"(roles: {', '.join(allowed)}; the owner is set with owner:)")
                else:
                    roles.append(key)
            if member.get("user") is not None:
                user = reader.ref_user(member, "user", mp + ".user", site)
                if user is not None:
                    space.members.append(("user", user.qualified, frozenset(roles)))
            elif member.get("group") is not None:
                space.members.append(("group", str(member["group"]), frozenset(roles)))
            else:
                reader.at_node(member, mp, "a member is a user: or a group:")
        site.resources.setdefault("space", []).append(space)


def read_apps(reader, _node, site: Site) -> None:
    """Cloud keys on apps: space, anonymous_access, access_code, previous_access_codes."""
    data = reader.document
    state = cloud(site)
    for i, item in enumerate(reader.seq(data, "apps", "apps")):
        if not isinstance(item, dict) or not item.get("name"):
            continue
        p = f"apps[{i}]"
        try:
            app = site.find_resource(f"app:{item.get('id') or item['name']}")
        except UnknownReference:
            continue
        info = CloudApp()
        if item.get("space") is not None:
            info.space = reader.ref_resource(item, "space", p + ".space", site, "space")
        info.anonymous_access = reader.boolean(item, "anonymous_access", p)
        info.access_code = reader.text(item, "access_code", p, default=None)
        info.previous_codes = reader.strings(item, "previous_access_codes", p + ".previous_access_codes")
        if info.anonymous_access and info.space is not None and info.space.type != "managed":
            reader.at_value(item, "anonymous_access", p + ".anonymous_access",
                            "anonymous access is for apps in a managed space (publish the app to one first)")
        if info.anonymous_access and not info.access_code:
            reader.at_node(item, p, "an app with anonymous access has an access_code (links and embed codes carry it)")
        state.apps[app.id] = info
