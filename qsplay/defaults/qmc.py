"""The QMC's sections, as security rules address them (`QmcSection_<section>`).

"Each role is associated with QMC section access rules that grant administrators read access to
sections in the QMC according to their needs. The RootAdmin has access to all QMC sections."
"The QMC section access rules only grant read access to a QMC section." (QMC section access for
default admin roles, May 2023,
https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/default-admin-qmc-section-access.htm)
A section a user cannot read is the section "greyed out" in the QMC start page: a custom admin
role needs its own QmcSection_* companion rule (admin-needs §8).
"""
from __future__ import annotations

# the sections the page's table lists (May 2023); the page writes VirtualProxyConfiguration and
# LoadBalancingRules where the preinstalled rules write VirtualProxyConfig and LoadBalancingRule:
# both spellings are kept, which one the QMC uses is UNCONFIRMED
DOCUMENTED_SECTIONS = (
    "Audit", "Tag", "Stream", "App", "App.Object", "DataConnection", "AnalyticConnection", "User",
    "CustomPropertyDefinition", "Task", "Event", "SchemaEvent", "CompositeEvent", "Extension", "ReloadTask",
    "UserSyncTask", "ContentLibrary", "Templates", "ServerNodeConfiguration", "ServiceCluster", "EngineService",
    "ProxyService", "VirtualProxyConfiguration", "RepositoryService", "SchedulerService", "PrintingService",
    "Licenses", "License.LoginAccessType", "License.UserAccessType", "License.UserAccessRule",
    "License.ApplicationAccessType", "Token", "UserDirectory", "Certificates", "Certificates.Export", "SyncRule",
    "LoadBalancingRules", "SystemRule",
)


def builtin_qmc_sections(rules) -> list[str]:
    """The documented sections plus every section a (preinstalled or custom) rule names explicitly."""
    out = list(DOCUMENTED_SECTIONS)
    seen = {s.lower() for s in out}
    for rule in rules:
        for entry in (rule.resource_filter or "").split(","):
            entry = entry.strip()
            if entry.lower().startswith("qmcsection_") and not entry.endswith("*"):
                section = entry.split("_", 1)[1]
                if section.lower() not in seen:
                    seen.add(section.lower())
                    out.append(section)
    return out
