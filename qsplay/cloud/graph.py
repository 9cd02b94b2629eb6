"""The Qlik Cloud access graph: users and groups, space roles, spaces, apps, and anonymous access."""
from __future__ import annotations

import networkx as nx

from ..engine.authentication import anonymous_user
from .model import Space, cloud
from .permissions import ROLE_LABELS


def cloud_graph(site, users: list | None = None, resources: list[str] | None = None) -> nx.DiGraph:
    from ..explain.audit import audit
    g = nx.DiGraph(name=site.name)
    subjects = users if users is not None else list(site.users) + [anonymous_user(site, "")]
    result = audit(site, users=[u.qualified if not u.is_anonymous else "anonymous" for u in subjects],
                   resources=resources)
    state = cloud(site)
    for space in site.resources.get("space", []):
        g.add_node(space.ref, kind="stream", label=f"{space.name} ({space.type})")
    for app in site.apps:
        info = state.apps.get(app.id)
        node = app.ref
        if resources and node not in resources and (info is None or info.space is None
                                                    or info.space.ref not in resources):
            continue
        g.add_node(node, kind="app", label=app.name + (" · anonymous access on" if info and info.anonymous_access
                                                       else ""))
        if info and info.space is not None:
            g.add_edge(info.space.ref, node, kind="contains")
    for user in subjects:
        unode = f"user:{user.qualified}"
        g.add_node(unode, kind="user", label="anonymous" if user.is_anonymous else user.qualified)
        for group in user.groups:
            g.add_edge(unode, f"group:{group}", kind="member")
            g.nodes[f"group:{group}"].update(kind="group", label=group)
    for (who, ref), granted in result.rules_by_action.items():
        for action, names in granted.items():
            for name in names:
                node = f"rule:{name}"
                if node not in g:
                    g.add_node(node, kind="rule", label=name)
                _merge(g, f"user:{who}", node, "applies", action)
                _merge(g, node, ref, "grants", action)
    return g


def _merge(g, a, b, kind, action):
    if g.has_edge(a, b):
        g.edges[a, b]["actions"] = sorted(set(g.edges[a, b].get("actions", [])) | {action})
    else:
        g.add_edge(a, b, kind=kind, actions=[action])


def roles_summary(space: Space) -> str:
    return ", ".join(f"{name} ({', '.join(ROLE_LABELS[r] for r in sorted(roles))})" for _, name, roles in space.members)
