"""The site's access as a networkx graph, and focused views of it.

Node ids are "kind:name" (user:CORP\\alice, group:Sales, proxy:public, licence:NAME, access:analyzer,
rule:NAME, stream:Sales, app:Budget, object:Budget/Sheet). Edge data says what the edge means
(`kind`: member, role, matches, allocates, grants, contains, has_privilege, identifies, path) and,
for grants, which actions and contexts.
"""
from __future__ import annotations

import networkx as nx

from ..engine import Decision, engine_for
from ..engine.authentication import anonymous_user
from ..model import Site
from ..rules.actions import sort_actions
from ..rules.ast import Call, walk


def _add(g: nx.DiGraph, node: str, kind: str, label: str | None = None, **data) -> str:
    if node not in g:
        g.add_node(node, kind=kind, label=label or node.split(":", 1)[1], **data)
    return node


def _resource_node(g: nx.DiGraph, entity, site: Site) -> str:
    node = _add(g, site.ref_of(entity), entity.kind.lower().replace(".", "_"), entity.name)
    stream = getattr(entity, "stream", None) or (getattr(getattr(entity, "app", None), "stream", None))
    if stream is not None:
        g.nodes[node]["cluster"] = stream.name
    return node


def _containment(g: nx.DiGraph, entity, site: Site) -> None:
    """stream -> app -> object edges for the entities already in the graph."""
    app = getattr(entity, "app", None)
    if app is not None:
        g.add_edge(_resource_node(g, app, site), site.ref_of(entity), kind="contains")
        entity = app
    stream = getattr(entity, "stream", None)
    if stream is not None:
        g.add_edge(_resource_node(g, stream, site), site.ref_of(entity), kind="contains")


def privilege_calls(rule) -> list[tuple[str, str]]:
    """(relation path, action) of each HasPrivilege call in a rule's condition."""
    if rule.parsed is None:
        return []
    return [(".".join(n.target.segments) or "resource", n.arg) for n in walk(rule.parsed.root)
            if isinstance(n, Call) and n.function == "HasPrivilege"]


def _related_type(relation: str) -> str:
    last = relation.split(".")[-1].lower()
    return {"stream": "stream", "app": "app", "resource": "*", "contentlibrarys": "contentlibrary",
            "extensions": "extension"}.get(last, last)


def site_graph(site: Site, context: str = "hub", include_anonymous: bool = True, users: list | None = None,
               resources: list[str] | None = None, rule: str | None = None) -> nx.DiGraph:
    """Who matches which licence rule, which rules grant whom what, containment and HasPrivilege
    dependencies between rules; optionally only for some users, resources or one rule."""
    from ..explain.audit import audit
    g = nx.DiGraph(name=site.name)
    engine = engine_for(site)
    subjects = users if users is not None else (
        list(site.users) + ([anonymous_user(site, "")] if include_anonymous else []))
    for proxy in site.proxies():
        _add(g, f"proxy:{proxy.prefix}", "proxy", f"/{proxy.prefix}" if proxy.prefix else "central proxy",
             anonymous=proxy.anonymous)
    for user in subjects:
        unode = _add(g, f"user:{user.qualified}", "user", "anonymous" if user.is_anonymous else user.qualified)
        for group in user.groups:
            g.add_edge(unode, _add(g, f"group:{group}", "group"), kind="member")
        for role in user.roles:
            g.add_edge(unode, _add(g, f"role:{role}", "role"), kind="role")
        if user.is_anonymous:
            for proxy in site.proxies():
                if proxy.anonymous != "none":
                    g.add_edge(f"proxy:{proxy.prefix}", unode, kind="identifies")
    from ..engine.decision import Identity
    from ..engine.request import make_request
    for user in subjects:
        identity = Identity(user, user.is_anonymous, "anonymous" if user.is_anonymous else "user")
        for rule_type in {r.type for r in site.license_rules}:
            for lrule in engine.licensing.matching_rules(identity, make_request("stream:x"), rule_type):
                lnode = _add(g, f"licence:{lrule.name}", "licence_rule", lrule.name)
                g.add_edge(f"user:{user.qualified}", lnode, kind="matches")
                g.add_edge(lnode, _add(g, f"access:{lrule.type}", "access_type", lrule.type.replace("_", " ")),
                           kind="allocates")
        for access in user.access:
            g.add_edge(f"user:{user.qualified}", _add(g, f"access:{access}", "access_type",
                                                      access.replace("_", " ")), kind="allocated")
    result = audit(site, users=[u.qualified if not u.is_anonymous else "anonymous" for u in subjects],
                   resources=resources, context=context)
    rules_used = set()
    for (who, ref), granted in result.rules_by_action.items():
        if rule is not None:
            granted = {a: [r for r in names if r == rule] for a, names in granted.items()}
            granted = {a: names for a, names in granted.items() if names}
            if not granted:
                continue
        entity = site.find_resource(ref) if not ref.startswith("user:") else site.find_user(ref[5:])
        rnode = _resource_node(g, entity, site) if not ref.startswith("user:") else _add(g, ref, "user_resource")
        _containment(g, entity, site)
        for action, names in granted.items():
            for name in names:
                srule = site.find_security_rule(name)
                node = _add(g, f"rule:{name}", "rule", name, filter=srule.resource_filter,
                            preinstalled=srule.preinstalled, context=srule.context)
                rules_used.add(name)
                _merge_edge(g, f"user:{who}", node, "applies", action)
                _merge_edge(g, node, rnode, "grants", action, srule.context)
    for name in rules_used:
        for relation, action in privilege_calls(site.find_security_rule(name)):
            wanted = _related_type(relation)
            for other in rules_used:
                orule = site.find_security_rule(other)
                if other != name and action in orule.actions and orule.filter and \
                        (wanted == "*" or any(e.everything or (e.type_exact or e.type_prefix or "") .startswith(wanted)
                                               for e in orule.filter.entries)):
                    g.add_edge(f"rule:{name}", f"rule:{other}", kind="has_privilege", action=action,
                               relation=relation)
    return g


def _merge_edge(g: nx.DiGraph, a: str, b: str, kind: str, action: str, context: str | None = None) -> None:
    if g.has_edge(a, b):
        acts = set(g.edges[a, b].get("actions", ()))
        acts.add(action)
        g.edges[a, b]["actions"] = sort_actions(acts)
    else:
        g.add_edge(a, b, kind=kind, actions=[action], **({"context": context} if context else {}))


def user_view(site: Site, user_ref: str, context: str = "hub") -> nx.DiGraph:
    user = (anonymous_user(site, "") if user_ref.lower().startswith("anonymous") else site.find_user(user_ref))
    g = site_graph(site, context, users=[user])
    g.graph.update(focus=f"user:{user.qualified}", title=f"What {user.qualified} can reach ({context})")
    return g


def resource_view(site: Site, resource_ref: str, context: str = "hub") -> nx.DiGraph:
    entity = site.find_resource(resource_ref)
    g = site_graph(site, context, resources=[site.ref_of(entity)])
    reaching = {n for n in g if n.startswith("user:") and any(m.startswith("rule:") for m in g.successors(n))}
    g = g.subgraph([n for n in g if n in reaching or not n.startswith(("user:", "group:", "role:", "licence:",
                                                                       "access:", "proxy:"))]).copy()
    focus = _resource_node(g, entity, site)
    who = "No one can reach" if not any(n.startswith("user:") for n in g) else "Who can reach"
    g.graph.update(focus=focus, title=f"{who} {focus}, and how ({context})")
    return g


def rule_view(site: Site, rule_name: str, context: str = "hub") -> nx.DiGraph:
    rule = site.find_security_rule(rule_name)
    g = site_graph(site, context, rule=rule.name)
    g = g.subgraph([n for n in g if not n.startswith(("group:", "role:", "licence:", "access:", "proxy:"))]).copy()
    node = _add(g, f"rule:{rule.name}", "rule", rule.name, filter=rule.resource_filter)
    g = g.subgraph([n for n in g if n == node or nx.has_path(g.to_undirected(as_view=True), n, node)]).copy()
    verb = "touches" if g.degree(node) else "grants nothing in this site"
    g.graph.update(focus=node, title=f"What the rule \"{rule.name}\" {verb} ({context})")
    return g


def decision_view(site: Site, decision: Decision) -> nx.DiGraph:
    """One decision: proxy → identity → licence rule → access type → security rules → resource,
    with the granting path highlighted, HasPrivilege chains followed, failing rules marked."""
    g = nx.DiGraph()
    req = decision.request
    path: list[str] = []
    proxy = decision.identity.proxy if decision.identity else None
    if proxy is not None:
        path.append(_add(g, f"proxy:{proxy.prefix}", "proxy", f"/{proxy.prefix}" if proxy.prefix else "central proxy"))
    user = decision.identity.user if decision.identity else None
    who = _add(g, f"user:{user.qualified}" if user else "user:(not signed in)", "user",
               ("anonymous" if decision.identity.anonymous else user.qualified) if user else "not signed in",
               failed=decision.denied_by == "authentication")
    if path:
        g.add_edge(path[-1], who, kind="identifies")
    path.append(who)
    if decision.license is not None:
        lic = decision.license
        if lic.granted:
            if lic.rule:
                path.append(_add(g, f"licence:{lic.rule}", "licence_rule", lic.rule))
                g.add_edge(path[-2], path[-1], kind="matches")
            path.append(_add(g, f"access:{lic.access_type}", "access_type", lic.access_type.replace("_", " ")))
            g.add_edge(path[-2], path[-1], kind="allocates")
        else:
            node = _add(g, "access:none", "access_type", "no access pass", failed=True, note=lic.message)
            g.add_edge(who, node, kind="allocates", failed=True)
    resource = site.find_resource(req.resource)
    target = _resource_node(g, resource, site)
    _containment(g, resource, site)
    if decision.security is not None:
        _security_into(g, decision.security, path[-1], target, target)
    if decision.section_access is not None:
        _section_access_into(g, site, decision.section_access, resource)
    for a, b in zip(path, path[1:]):
        g.edges[a, b]["highlight"] = True
    for n in path:
        g.nodes[n]["highlight"] = True
    g.graph.update(focus=target, title=decision.summary())
    return g


def _section_access_into(g: nx.DiGraph, site: Site, result, resource) -> None:
    """Phase 4: the app's section access, after the resource the rules granted: which row matched (or
    none), and the reduction the user gets."""
    app = resource if resource.kind == "App" else resource.app
    app_node = _resource_node(g, app, site)
    if not result.has_table:
        label = "no section access: all data"
    elif result.rows:
        rows = ", ".join(str(r["row"]) for r in result.rows)
        sees = "all data" if result.reduction is None else "; ".join(
            f"{k} = {', '.join(v)}" for k, v in result.reduction.items()) or "no reduction"
        label = f"section access: row {rows} ({result.access or 'no valid ACCESS'})\n" + \
                (sees if result.allowed else "denied: " + result.reason.split(":", 1)[0])
        if result.omitted:
            label += f"\nomits {', '.join(result.omitted)}"
    else:
        label = "section access: no row matches\ndenied"
    node = _add(g, f"section_access:{site.ref_of(app)}", "section_access", label, failed=not result.allowed,
                highlight=result.allowed, phase="section_access")
    g.add_edge(app_node, node, kind="opens", failed=not result.allowed, highlight=result.allowed)


def _security_into(g: nx.DiGraph, result, source: str, target: str, ref: str, depth: int = 0) -> None:
    for ev in result.evaluations:
        if ev.status in ("action", "context"):
            continue
        node = _add(g, f"rule:{ev.rule}", "rule", ev.rule)
        granted = ev.status == "granted"
        g.nodes[node]["failed"] = g.nodes[node].get("failed", True) and not granted
        g.add_edge(source, node, kind="applies", failed=not granted, highlight=granted)
        g.add_edge(node, target, kind="grants", actions=[result.action], failed=not granted, highlight=granted)
        if granted:
            g.nodes[node]["highlight"] = True
        if ev.trace is not None and depth < 3:
            for call in _calls(ev.trace):
                for nested in call.nested:
                    if not hasattr(nested, "resource"):
                        continue
                    sub = _add(g, nested.resource, nested.resource.split(":", 1)[0], nested.resource.split(":", 1)[1])
                    g.add_edge(node, sub, kind="has_privilege", action=nested.action, highlight=granted and nested.allowed,
                               failed=not nested.allowed)
                    if granted and nested.allowed:
                        g.nodes[sub]["highlight"] = True
                    _security_into(g, nested, source, sub, nested.resource, depth + 1)
    if result.allowed:
        g.nodes[target]["highlight"] = True
    else:
        g.nodes[target]["failed"] = True


def _calls(trace):
    stack = [trace]
    while stack:
        n = stack.pop()
        if n.kind == "call" and n.nested:
            yield n
        stack.extend(n.children)


def _containers(g: nx.DiGraph, node: str) -> set[str]:
    out, frontier = set(), [node]
    while frontier:
        n = frontier.pop()
        for p in g.predecessors(n):
            if g.edges[p, n].get("kind") == "contains" and p not in out:
                out.add(p)
                frontier.append(p)
    return out


def _with_containers(g: nx.DiGraph, keep: set[str]) -> set[str]:
    out = set(keep)
    for n in keep:
        out |= _containers(g, n)
    return out
