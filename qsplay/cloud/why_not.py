"""Why-not on Qlik Cloud: a space role for the user (the least one the permission table needs), the
"Public link creation" permission through a custom role, an entitlement, or anonymous access on."""
from __future__ import annotations

from ..explain.edits import Edit, allocate_access
from ..scenario.document import entry, find_named, flow_list, section
from .model import Space, cloud
from .permissions import ROLE_LABELS, TABLE

LEAST_FIRST = ["has_restricted_view", "can_view", "can_consume_data", "can_contribute", "can_operate", "can_publish",
               "can_edit", "can_edit_data", "can_manage"]
PUBLISHER_ROLE = "Anonymous access publisher"


def add_space_role(space: str, user: str, role: str) -> Edit:
    def apply(doc):
        item = find_named(doc, "spaces", space)
        if item is None:
            raise ValueError(f"space {space} is not defined in the file")
        members = item.get("members")
        if members is None:
            item["members"] = members = flow_list([])
            members.fa.set_block_style()
        members.append(entry({"user": user, "roles": [role]}, flow=True))
    return Edit("add_space_role", f"give {user} the role {ROLE_LABELS[role]} in the space \"{space}\"", apply)


def allow_public_link_creation(user: str) -> Edit:
    def apply(doc):
        tenant = doc.get("tenant")
        if tenant is None:
            doc["tenant"] = tenant = entry({})
        roles = tenant.get("roles")
        if roles is None:
            tenant["roles"] = roles = section(tenant, "roles")
        if not any(str(r.get("name")) == PUBLISHER_ROLE for r in roles):
            roles.append(entry({"name": PUBLISHER_ROLE,
                                "permissions": entry({"public_link_creation": "allowed"}, flow=True)}))
        for item in doc.get("users") or []:
            if f"{item.get('directory')}\\{item.get('id')}".casefold() == user.casefold():
                item["roles"] = flow_list(list(item.get("roles") or []) + [PUBLISHER_ROLE])
                return
        raise ValueError(f"user {user} is not defined in the file")
    return Edit("allow_public_link_creation", f"give {user} a custom role allowing \"Public link creation\"", apply)


def turn_on_anonymous_access(app: str) -> Edit:
    def apply(doc):
        item = find_named(doc, "apps", app)
        if item is None:
            raise ValueError(f"app {app} is not defined in the file")
        item["anonymous_access"] = True
        if not item.get("access_code"):
            item["access_code"] = "NEWCODE"
    return Edit("turn_on_anonymous_access", f"turn on anonymous access for the app \"{app}\"", apply)


def candidates(site, decision) -> list[list[Edit]]:
    req, identity = decision.request, decision.identity
    resource = site.find_resource(req.resource)
    if decision.denied_by == "authentication":
        if req.is_visitor and resource.kind == "App":
            info = cloud(site).apps.get(resource.id)
            if info is None or not info.anonymous_access:
                return [[turn_on_anonymous_access(resource.name)]]
        return []
    if decision.denied_by == "license":
        return [[allocate_access(identity.user.qualified, t)] for t in ("analyzer", "professional")]
    if identity is None or identity.anonymous:
        return []
    user = identity.user.qualified
    info = cloud(site).apps.get(resource.id) if resource.kind == "App" else None
    space = resource if isinstance(resource, Space) else (info.space if info else None)
    if space is None:
        return []
    action = {"read": "open"}.get(req.action, req.action)
    if isinstance(resource, Space) and req.action == "read":
        action = "see_space"
    row = TABLE.get(action, {}).get(space.type)
    if row is None:
        return []
    allowed, _ = row
    held = space.roles_of(identity.user)
    permission = cloud(site).tenant.permission(identity.user, "public_link_creation")[0]
    out = []
    role_edits = [] if set(held) & allowed else [add_space_role(space.name, user, r) for r in LEAST_FIRST if r in allowed][:2]
    needs_permission = action in ("toggle_anonymous_access", "reset_access_code", "copy_embed_code") and not permission
    for edit in role_edits or [None]:
        chain = [e for e in (edit, allow_public_link_creation(user) if needs_permission else None) if e]
        if chain:
            out.append(chain)
    return out
