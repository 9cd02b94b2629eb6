"""Qlik's preinstalled rules: shipped verbatim, and behaving as Qlik documents them.

Ground truth: a real server's /qrs/systemrule/full export (reference/default-rules-qrs-2017.md).
Behaviour: help "Default configuration" (Feb 2019): "All authenticated users have read and publish
rights to the Everyone stream." "Anonymous users have read rights to the Everyone stream." "The
administrator roles RootAdmin, ContentAdmin, and SecurityAdmin have read and publish rights to the
Monitoring apps stream." "The RootAdmin has full access rights to all Qlik Sense resources." "An
anonymous user is not allowed to create content." "Only the owner of an unpublished app can see
it." "A published app is locked for editing." "Authenticated users (not anonymous) can: Publish apps
they own. Create new private app objects ... Export the app data they are allowed to see."
"Everyone can manage data connections from Qlik Sense, but only RootAdmin, ContentAdmin, and
SecurityAdmin can manage data connections of the type Folder directory." "Everyone can view
extensions."
"""
import re

import pytest

from qsplay.defaults import EVERYONE_STREAM_ID, MONITORING_STREAM_ID, preinstalled_rule_specs
from qsplay.rules.actions import ACTION_BITS, ALL_ACTIONS_MASK, CONTEXT_TO_QRS

from .conftest import SHARED, decide, site_from

REFERENCE = SHARED / "reference" / "default-rules-qrs-2017.md"


def reference_rows():
    rows = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| name"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 9 and cells[2] == "Security":
            rows[cells[0]] = cells
    return rows


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference not beside the project")
def test_every_preinstalled_rule_matches_the_qrs_export():
    rows = reference_rows()
    specs = {s["name"]: s for s in preinstalled_rule_specs("November 2017")}  # the 2017 set, verbatim
    assert set(specs) == set(rows)
    for name, (_, typ, _, filt, actions, ctx, _, cond, seed) in rows.items():
        spec = specs[name]
        assert spec["type"] == typ and spec["seed_id"] == seed, name
        assert spec["resource_filter"] == filt.strip("`"), name
        assert spec["condition"] == cond.strip("`"), name
        assert spec["context"] == ctx, name
        mask = int(re.search(r"\((\d+)\)", actions).group(1))
        got = ALL_ACTIONS_MASK if spec["actions"] == ["all"] else sum(ACTION_BITS[a] for a in spec["actions"])
        assert got == mask, name
        assert CONTEXT_TO_QRS[spec["context"]] in (0, 1, 2)


SITE = """
qsplay: 1
name: default configuration
default_rules: true
license: {professional: 10, analyzer_capacity_minutes: 600}
user_directories: [{name: CORP}]
users:
  - {directory: CORP, id: owner, access: [professional]}
  - {directory: CORP, id: other, access: [professional]}
  - {directory: CORP, id: root, roles: [RootAdmin], access: [professional]}
  - {directory: CORP, id: content, roles: [ContentAdmin], access: [professional]}
  - {directory: CORP, id: audit, roles: [AuditAdmin], access: [professional]}
  - {directory: CORP, id: deploy, roles: [DeploymentAdmin], access: [professional]}
  - {directory: INTERNAL, id: sa_scheduler, access: [professional]}
streams:
  - {name: Sales, owner: CORP\\owner}
apps:
  - {name: Published, stream: Everyone, owner: CORP\\owner}
  - {name: Unpublished, owner: CORP\\owner}
  - {name: In Sales, stream: Sales, owner: CORP\\owner}
  - {name: Ops Monitor, stream: Monitoring apps}
objects:
  - {name: Base sheet, app: Published, type: sheet, owner: CORP\\owner, published: true, approved: true}
  - {name: Community sheet, app: Published, type: sheet, owner: CORP\\other, published: true, approved: false}
  - {name: Private sheet, app: Published, type: sheet, owner: CORP\\other, published: false}
  - {name: Script, app: Published, type: app_appscript, owner: CORP\\owner, published: true, approved: true}
data_connections:
  - {name: Files, type: folder}
  - {name: SQL, type: OLEDB}
extensions:
  - {name: Map}
virtual_proxies:
  - {prefix: "", anonymous: allow}
license_rules:
  - {name: anon, type: analyzer_capacity, condition: user.IsAnonymous()}
"""


@pytest.fixture(scope="module")
def site():
    return site_from(SITE)


def granted(site, resource, action, user, context="hub"):
    d = decide(site, resource, action, user=user, context=context)
    assert d.denied_by in (None, "security"), d.summary()
    return d.allowed, d.security.granting_rules


def test_builtin_streams_exist(site):
    assert site.find_resource("stream:Everyone").id == EVERYONE_STREAM_ID
    assert site.find_resource("stream:Monitoring apps").id == MONITORING_STREAM_ID


def test_stream_everyone_read_publish_for_authenticated(site):
    for action in ("read", "publish"):
        for ctx in ("hub", "qmc"):  # context 0: both
            ok, rules = granted(site, "stream:Everyone", action, "CORP\\other", ctx)
            assert ok and "StreamEveryone" in rules


def test_stream_everyone_anonymous_reads_in_hub_only(site):
    ok, rules = granted(site, "stream:Everyone", "read", "anonymous")
    assert ok and rules == ["StreamEveryoneAnonymous"]
    assert not granted(site, "stream:Everyone", "publish", "anonymous")[0]
    assert not granted(site, "stream:Everyone", "read", "anonymous", "qmc")[0]  # context 1: hub only


def test_stream_rule_reads_apps_and_published_objects_through_the_stream(site):
    assert granted(site, "app:Published", "read", "CORP\\other") == (True, ["Stream"])
    assert granted(site, "object:Published/Base sheet", "read", "anonymous")[0]
    assert granted(site, "object:Published/Community sheet", "read", "anonymous")[0]
    assert not granted(site, "object:Published/Script", "read", "anonymous")[0]  # app_appscript excluded
    assert not granted(site, "object:Published/Private sheet", "read", "CORP\\owner")[0]
    assert not granted(site, "app:In Sales", "read", "CORP\\other")[0]  # no rule grants the Sales stream


def test_owner_rules(site):
    # "Only the owner of an unpublished app can see it." (OwnerRead, read-only rule)
    assert granted(site, "app:Unpublished", "read", "CORP\\owner") == (True, ["OwnerRead"])
    assert not granted(site, "app:Unpublished", "read", "CORP\\other")[0]
    # Owner: update/delete unless published; "A published app is locked for editing."
    assert granted(site, "app:Unpublished", "update", "CORP\\owner") == (True, ["Owner"])
    assert not granted(site, "app:Published", "update", "CORP\\owner")[0]
    assert not granted(site, "object:Published/Base sheet", "delete", "CORP\\owner")[0]
    assert granted(site, "object:Published/Private sheet", "update", "CORP\\other")[0]
    # OwnerPublish: "Publish apps they own"; OwnerPublishAppObject: only unapproved objects
    assert granted(site, "app:Unpublished", "publish", "CORP\\owner") == (True, ["OwnerPublish"])
    assert granted(site, "stream:Sales", "publish", "CORP\\owner")[0]
    assert granted(site, "object:Published/Private sheet", "publish", "CORP\\other")[0]
    assert not granted(site, "object:Published/Base sheet", "publish", "CORP\\owner")[0]


def test_create_rules(site):
    # CreateApp: "An anonymous user is not allowed to create content."
    assert granted(site, "app:Unpublished", "create", "CORP\\other") == (True, ["CreateApp"])
    assert not granted(site, "app:Unpublished", "create", "anonymous")[0]
    # CreateAppObjectsPublishedApp: sheets etc. in a published app the user can read
    assert "CreateAppObjectsPublishedApp" in granted(site, "object:Published/Base sheet", "create", "CORP\\other")[1]
    assert not granted(site, "object:Published/Base sheet", "create", "anonymous")[0]


def test_export_data_and_offline_for_authenticated_readers(site):
    # "Export the app data they are allowed to see" (ExportAppData); anonymous excluded
    assert granted(site, "app:Published", "export_data", "CORP\\other") == (True, ["ExportAppData"])
    assert not granted(site, "app:Published", "export_data", "anonymous")[0]
    assert granted(site, "app:Published", "access_offline", "CORP\\other") == (True, ["Offline access"])
    # no default rule lets a non-admin export (download) an app: "By Default, non-admin users are not
    # allowed to import/export Qlik Sense apps" (Qlik Support)
    assert not granted(site, "app:Unpublished", "export", "CORP\\owner")[0]


def test_root_admin_everything_in_qmc_only(site):
    # "the RootAdmin rule applies in the QMC only"
    assert granted(site, "app:In Sales", "delete", "CORP\\root", "qmc") == (True, ["RootAdmin"])
    assert not granted(site, "app:In Sales", "read", "CORP\\root", "hub")[0]


def test_admin_roles_in_qmc(site):
    assert "ContentAdmin" in granted(site, "app:In Sales", "update", "CORP\\content", "qmc")[1]
    assert not granted(site, "app:In Sales", "update", "CORP\\content", "hub")[0]
    assert "AuditAdmin" in granted(site, "app:In Sales", "read", "CORP\\audit", "qmc")[1]
    assert not granted(site, "app:In Sales", "update", "CORP\\audit", "qmc")[0]
    assert "DeploymentAdminAppAccess" in granted(site, "app:In Sales", "update", "CORP\\deploy", "qmc")[1]


def test_monitoring_apps_stream_for_admin_roles(site):
    # "RootAdmin, ContentAdmin, and SecurityAdmin have read and publish rights to the Monitoring apps stream"
    assert "StreamMonitoringAppsRead" in granted(site, "stream:Monitoring apps", "read", "CORP\\content")[1]
    assert "StreamMonitoringAppsPublish" in granted(site, "stream:Monitoring apps", "publish", "CORP\\root")[1]
    assert not granted(site, "stream:Monitoring apps", "read", "CORP\\other")[0]
    assert granted(site, "app:Ops Monitor", "read", "CORP\\audit")[0]  # via the Stream rule


def test_service_account_has_everything(site):
    assert granted(site, "app:In Sales", "delete", "INTERNAL\\sa_scheduler") == (True, ["ServiceAccount"])


def test_data_connections_and_extensions(site):
    # "Everyone can manage data connections ... but only RootAdmin, ContentAdmin, and SecurityAdmin ...
    # of the type Folder directory"
    assert granted(site, "data_connection:SQL", "create", "CORP\\other") == (True, ["DataConnection"])
    assert not granted(site, "data_connection:Files", "create", "CORP\\other")[0]
    assert "FolderDataConnection" in granted(site, "data_connection:Files", "update", "CORP\\content")[1]
    # "Everyone can view extensions."
    assert granted(site, "extension:Map", "read", "anonymous") == (True, ["Extension"])


def test_a_rule_named_like_a_preinstalled_one_overrides_it():
    text = SITE + """
security_rules:
  - {name: StreamEveryoneAnonymous, disabled: true}
  - {name: Stream, condition: 'resource.resourcetype = "App" and resource.stream.HasPrivilege("read") and resource.@Visible = "yes"'}
"""
    site = site_from(text)
    assert not granted(site, "stream:Everyone", "read", "anonymous")[0]
    rule = site.find_security_rule("Stream")
    assert rule.edited and rule.resource_filter == "App*" and rule.actions == frozenset({"read"})
    assert not granted(site, "app:Published", "read", "CORP\\other")[0]
