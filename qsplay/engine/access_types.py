"""What an access type allows, on top of the security rules.

Qlik: "A user with analyzer access cannot create, edit, or publish sheets or apps, but can create
and publish stories, bookmarks and snapshots based on data in apps." (Analyzer access allocations,
https://help.qlik.com/en-US/sense-admin/February2024/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/analyzer-access-allocations.htm)
and "A user with professional access can create, edit, and publish sheets or apps, and make full
use of the available features" (Professional access allocations, May 2023,
https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/professional-access-allocations.htm).
Reloading an app is editing it: "User with Analyzer license cannot reload app data" (Qlik Support,
https://community.qlik.com/t5/Official-Support-Articles/Qlik-Sense-User-with-Analyzer-license-cannot-reload-app-data/ta-p/1715553).

So the security rules may grant an analyzer `create` on a sheet and the hub still refuses it: the
decision is denied by the licence phase, with the reason. Analyzer capacity is "analyzer time";
that it carries exactly analyzer's limits is UNCONFIRMED, so it is the named option
`analyzer_capacity_limits` (like_analyzer | none).
"""
from __future__ import annotations

from dataclasses import dataclass

ANALYZER_PAGE = ("Analyzer access allocations (help, February 2024): \"A user with analyzer access cannot create, "
                 "edit, or publish sheets or apps, but can create and publish stories, bookmarks and snapshots\"")
# actions that create, edit or publish; the object types the limit covers
LIMITED_ACTIONS = ("create", "update", "publish")
LIMITED_OBJECT_TYPES = ("sheet",)
FREE_OBJECT_TYPES = ("story", "bookmark", "snapshot", "embeddedsnapshot", "hiddenbookmark", "userstate")


@dataclass(frozen=True)
class AccessTypeLimit:
    access_type: str
    action: str
    resource: str
    what: str  # "sheets" | "apps"
    reason: str
    code: str = "access_type_limit"

    def to_dict(self) -> dict:
        return {"code": self.code, "access_type": self.access_type, "action": self.action,
                "resource": self.resource, "reason": self.reason, "source": ANALYZER_PAGE}


def access_type_limit(access_type: str | None, resource, action: str, semantics) -> AccessTypeLimit | None:
    """The limit an access type puts on this action, or None when it allows it."""
    if access_type == "analyzer_capacity" and semantics.analyzer_capacity_limits == "none":
        return None
    if access_type not in ("analyzer", "analyzer_capacity") or action not in LIMITED_ACTIONS:
        return None
    label = "analyzer" if access_type == "analyzer" else "analyzer capacity"
    verb = {"create": "create", "update": "edit", "publish": "publish"}[action]
    if resource.kind == "App":
        what = "apps"
        detail = " (reloading is editing the app)" if action == "update" else ""
    elif resource.kind == "App.Object" and resource.object_type.lower() in LIMITED_OBJECT_TYPES:
        what = "sheets"
        detail = ""
    else:
        return None
    extra = ("" if access_type == "analyzer" else
             "; analyzer capacity is taken to have analyzer's limits (UNCONFIRMED: semantics "
             "analyzer_capacity_limits=like_analyzer)")
    reason = (f"a user with {label} access cannot {verb} {what}{detail}, but can create and publish stories, "
              f"bookmarks and snapshots; professional access is needed{extra}")
    return AccessTypeLimit(access_type, action, resource.ref, what, reason)
