"""Lint for Qlik Cloud tenants: settings that expose apps or surprise their owners."""
from __future__ import annotations

from ..explain.lint import SEVERITY, Finding
from .model import cloud
from .permissions import ROLE_LABELS, TABLE

SEVERITY.setdefault("public-link-for-everyone", "warning")
SEVERITY.setdefault("role-cannot-open", "info")
SEVERITY.setdefault("anonymous-without-capacity", "error")


def lint(site) -> list[Finding]:
    out = []
    state = cloud(site)
    tenant = state.tenant
    if tenant.user_default.get("public_link_creation") == "allowed":
        out.append(Finding("public-link-for-everyone", "User Default",
                           "User Default allows Public link creation: any Owner or Can manage member of a managed "
                           "space can make its apps public (Qlik's default is Not allowed, even for admins)",
                           "set it to not_allowed and give a custom role to the few who publish anonymously"))
    for app in site.apps:
        info = state.apps.get(app.id)
        if info and info.anonymous_access and (tenant.subscription != "anonymous_access" or tenant.anonymous_capacity < 1):
            out.append(Finding("anonymous-without-capacity", app.name,
                               "anonymous access is on, but the tenant has no Qlik Anonymous Access subscription "
                               "or no anonymous capacity, so no visitor can get in",
                               "check the subscription and tenant.anonymous_capacity, or turn anonymous access off"))
    opens = TABLE["open"]["managed"][0]
    for space in site.resources.get("space", []):
        if space.type != "managed":
            continue
        for kind, name, roles in space.members:
            if roles and not roles & opens:
                labels = ", ".join(ROLE_LABELS[r] for r in sorted(roles))
                out.append(Finding("role-cannot-open", f"{space.name}: {name}",
                                   f"{name} has only {labels} in the managed space {space.name!r}: they cannot open its "
                                   f"apps (managed-space permission table)",
                                   "add Can view (or Has restricted view) if they should also see the apps"))
    return out
