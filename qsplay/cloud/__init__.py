"""Qlik Cloud as a second platform (`platform: cloud`): tenant, spaces and space roles, per-app
anonymous access with access codes, on the same Decision, trace and front ends.

Scenario sections (see docs/cloud.md): `tenant:` (subscription, anonymous capacity, User Default
and custom roles' permissions), `spaces:` (type, owner, members with space roles), and on each app
`space:`, `anonymous_access:`, `access_code:`, `previous_access_codes:`. Users are the common
`users:` (groups; `roles:` are tenant roles; `access:` professional/analyzer is the entitlement).
"""
from __future__ import annotations

from ..engine import PLATFORM_ENGINES
from ..engine.request import PLATFORM_ACTIONS
from ..scenario.loader import EXTRA_ENTRY_KEYS, SECTION_LOADERS
from .engine import CloudEngine
from .model import read_apps, read_spaces, read_tenant
from .permissions import CLOUD_ACTIONS

SECTION_LOADERS.setdefault("tenant", read_tenant)
SECTION_LOADERS.setdefault("spaces", read_spaces)
SECTION_LOADERS.setdefault("_cloud_apps", read_apps)
EXTRA_ENTRY_KEYS.setdefault("apps", ("space", "anonymous_access", "access_code", "previous_access_codes"))
PLATFORM_ACTIONS.update(CLOUD_ACTIONS)
PLATFORM_ENGINES["cloud"] = CloudEngine
