"""Qlik Cloud's documented permission tables, as data, each row with the page it comes from.

Roles (qlik.dev space-roles; UI name -> API name): owner; can_manage (facilitator); can_publish
(publisher); can_contribute (contributor); can_view (consumer); has_restricted_view (basicconsumer);
can_consume_data (dataconsumer); can_operate (operator); can_edit (producer); can_edit_data
(codeveloper, "Can edit data in apps").
"""
from __future__ import annotations

MANAGED = "https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Spaces/permissions-managed-space-prof-full.htm"
SHARED = "https://help.qlik.com/en-us/cloud-services/Subsystems/Hub/Content/Sense_Hub/Spaces/permissions-shared-space-prof-full.htm"
ANONYMOUS = "https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Share/share-anonymous-access.htm"
LINK = "https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Share/anonymous-access-app-link.htm"
ANON_CAPS = "https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Spaces/permissions-managed-space-anonymous.htm"
PERMISSION = "https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Admin/permissions-anonymous-access.htm"

ROLES = ("owner", "can_manage", "can_publish", "can_contribute", "can_view", "has_restricted_view",
         "can_consume_data", "can_operate", "can_edit", "can_edit_data")
ROLE_LABELS = {"owner": "Owner", "can_manage": "Can manage", "can_publish": "Can publish",
               "can_contribute": "Can contribute", "can_view": "Can view", "has_restricted_view": "Has restricted view",
               "can_consume_data": "Can consume data", "can_operate": "Can operate", "can_edit": "Can edit",
               "can_edit_data": "Can edit data in apps"}
ROLES_BY_SPACE = {
    "managed": {"owner", "can_manage", "can_publish", "can_contribute", "can_view", "has_restricted_view",
                "can_consume_data", "can_operate"},
    "shared": {"owner", "can_manage", "can_edit_data", "can_edit", "can_view", "can_consume_data"},
    "data": {"owner", "can_manage", "can_consume_data", "can_operate", "can_publish"},
    "personal": {"owner"},
}

# action -> space type -> roles that may, and the page
TABLE: dict[str, dict[str, tuple[frozenset, str]]] = {
    "see_space": {
        "managed": (frozenset(ROLES_BY_SPACE["managed"]), MANAGED),
        "shared": (frozenset(ROLES_BY_SPACE["shared"]), SHARED),
    },
    "delete_space": {"managed": (frozenset({"owner", "can_manage"}), MANAGED),
                     "shared": (frozenset({"owner", "can_manage"}), SHARED)},
    "manage_members": {"managed": (frozenset({"owner", "can_manage"}), MANAGED),
                       "shared": (frozenset({"owner", "can_manage"}), SHARED)},
    "open": {"managed": (frozenset({"owner", "can_manage", "can_contribute", "can_view", "has_restricted_view",
                                    "can_operate"}), MANAGED),
             # the shared table's row was cut off in the copy read; Can consume data is read as No, as in managed
             "shared": (frozenset({"owner", "can_manage", "can_edit_data", "can_edit", "can_view"}), SHARED),
             "personal": (frozenset({"owner"}), "https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Spaces/Spaces.htm")},
    "publish": {"managed": (frozenset({"owner", "can_publish"}), MANAGED),
                "shared": (frozenset({"owner", "can_manage", "can_edit_data", "can_edit"}), SHARED)},
    "create_app": {"shared": (frozenset({"owner", "can_manage", "can_edit_data", "can_edit"}), SHARED),
                   "personal": (frozenset({"owner"}), SHARED)},
    "share_app": {"managed": (frozenset({"owner", "can_manage"}), MANAGED),
                  "shared": (frozenset({"owner", "can_manage"}), SHARED)},
    "delete_app": {"managed": (frozenset({"owner", "can_manage"}), MANAGED)},
    "edit_app_attributes": {"managed": (frozenset({"owner", "can_manage", "can_operate"}), MANAGED)},
    "manage_folders": {"managed": (frozenset({"owner", "can_manage", "can_operate"}), MANAGED),
                       "shared": (frozenset({"owner", "can_manage", "can_edit_data", "can_edit"}), SHARED)},
    # anonymous access (Sharing app content with anonymous access)
    "toggle_anonymous_access": {"managed": (frozenset({"owner", "can_manage"}), ANONYMOUS)},
    "reset_access_code": {"managed": (frozenset({"owner", "can_manage"}), ANONYMOUS)},
    "copy_link": {"managed": (frozenset({"owner", "can_manage", "can_contribute", "can_view", "has_restricted_view",
                                         "can_operate"}), LINK)},
    "copy_embed_code": {"managed": (frozenset({"owner", "can_manage"}), ANONYMOUS)},
}
NEEDS_PUBLIC_LINK_PERMISSION = {"toggle_anonymous_access", "reset_access_code", "copy_embed_code"}
# "Anonymous user capabilities (managed space): Open an app; Open public sheets; View visualizations;
# Apply public bookmarks; Make selections; Download app content"
ANONYMOUS_ACTIONS = {"open", "read", "select", "download"}
CLOUD_ACTIONS = set(TABLE) | ANONYMOUS_ACTIONS
