"""The whole-site graph at site scale: one node per class of users and per class of resources.

The classes are the compressed audit's (qsplay/fast/): users the rules cannot tell apart
(`UserClasses`, owners not set apart), resources the rules see alike (`ResourceClasses`). The graph is
drawn for one representative of each class and each node says how many it stands for, so a site
of thousands stays a picture of its rules. What owners reach through their own items (OwnerRead
and the like) is a per-user detail the picture leaves to `graph --user`.
"""
from __future__ import annotations

import networkx as nx

from ..engine.authentication import anonymous_user
from ..model import Site

GROUP_ABOVE = 40  # users + resources beyond which the whole-site graph shows classes


def needs_grouping(site: Site) -> bool:
    resources = sum(1 for e in site.all_resources() if not e.ref.startswith("user:"))
    return len(site.users) + resources > GROUP_ABOVE


def grouped_site_graph(site: Site, context: str = "hub", include_anonymous: bool = True) -> nx.DiGraph:
    from ..fast.classes import UserClasses
    from ..fast.compressed import ResourceClasses, Uncompressible
    from ..fast.engine import FastSecurity
    from .model import site_graph
    security = FastSecurity(site)
    user_classes = UserClasses(site, security.rules, owners_apart=False)
    members: dict[tuple, list] = {}
    for user in site.users:
        members.setdefault(user_classes.of(user), []).append(user)
    resource_classes = ResourceClasses(security, context)
    kinds: dict[tuple, list] = {}
    for entity in site.all_resources():
        if entity.ref.startswith("user:"):
            continue
        try:
            cid = resource_classes.of(entity)[0]
        except Uncompressible:  # a HasPrivilege cycle: this resource is a class of its own
            cid = ("alone", entity.key)
        stream = getattr(entity, "stream", None) or getattr(getattr(entity, "app", None), "stream", None)
        # a stream's apps stay in the stream's box: the class is split by stream where streams hold few classes
        kinds.setdefault((entity.kind, cid), []).append(entity)
    reps = [group[0] for group in members.values()]
    if include_anonymous:
        reps.append(anonymous_user(site, ""))
    resource_reps = {site.ref_of(group[0]): group for group in kinds.values()}
    g = site_graph(site, context, users=reps, resources=list(resource_reps))
    for group in members.values():
        node = f"user:{group[0].qualified}"
        if node in g and len(group) > 1:
            g.nodes[node].update(label=_users_label(group), count=len(group), grouped=True)
    for ref, group in resource_reps.items():
        if ref in g and len(group) > 1:
            g.nodes[ref].update(label=_resources_label(group), count=len(group), grouped=True)
    # groups and roles at site scale are hundreds of nodes; the class labels name the shared groups
    g = g.subgraph([n for n in g if g.nodes[n].get("kind") not in ("group", "role")]).copy()
    # then classes that the picture cannot tell apart (the same rules reach them) become one node
    g = merge_alike(g, _picture_signature(g))
    for node in g:  # merged classes span streams: no stream boxes at this scale
        g.nodes[node].pop("cluster", None)
    g = _everyone(g)
    # rule-to-rule HasPrivilege chains are a rule's detail at this scale (graph --rule NAME shows them)
    g.remove_edges_from([(a, b) for a, b, d in g.edges(data=True) if d.get("kind") == "has_privilege"])
    g.graph.update(grouped=True, user_classes=len(members), resource_classes=len(kinds),
                   users=len(site.users), resources=sum(len(v) for v in kinds.values()))
    return g


def _everyone(g: nx.DiGraph) -> nx.DiGraph:
    """A rule that reaches every signed-in user class gets one edge from "every user" instead of one
    from each class."""
    people = [n for n, d in g.nodes(data=True) if d.get("kind") == "user" and not n.startswith("user:NONE\\")]
    if len(people) < 3:
        return g
    common = set.intersection(*(set(g.successors(n)) for n in people))
    common = {n for n in common if g.nodes[n].get("kind") == "rule"}
    if not common:
        return g
    total = sum(g.nodes[n].get("count", 1) for n in people)
    g.add_node("user:(every user)", kind="user", label=f"every signed-in user ({total})", grouped=True, count=total)
    for rule in sorted(common):
        actions: set = set()
        for n in people:
            actions |= set(g.edges[n, rule].get("actions", ()))
            g.remove_edge(n, rule)
        from ..rules.actions import sort_actions
        g.add_edge("user:(every user)", rule, kind="applies", actions=sort_actions(actions))
    return g


def _picture_signature(g: nx.DiGraph) -> dict:
    """Users that the same licence and security rules reach, resources the same rules grant (with
    the same actions), alike: one node each in the picture."""
    sig = {}
    for node, data in g.nodes(data=True):
        kind = data.get("kind")
        if kind == "user":
            sig[node] = (kind, frozenset(g.successors(node)))
        elif kind in ("stream", "app", "app_object", "object"):
            rules = frozenset((p, tuple(g.edges[p, node].get("actions", ()))) for p in g.predecessors(node)
                              if g.nodes[p].get("kind") == "rule")
            sig[node] = (kind, rules)
    return sig


def merge_alike(g: nx.DiGraph, signature: dict) -> nx.DiGraph:
    """One node per signature (the first node stands for the rest); edges merged, counts summed."""
    first: dict = {}
    into: dict = {}
    for node in g:
        key = signature.get(node)
        if key is None:
            into[node] = node
            continue
        into[node] = first.setdefault(key, node)
    merged = nx.DiGraph(**g.graph)
    for node, data in g.nodes(data=True):
        target = into[node]
        if target not in merged:
            merged.add_node(target, **data)
            merged.nodes[target]["members"] = [data.get("label", node)]
            merged.nodes[target]["count"] = data.get("count", 1)
        elif target != node:
            merged.nodes[target]["members"].append(data.get("label", node))
            merged.nodes[target]["count"] += data.get("count", 1)
    for a, b, data in g.edges(data=True):
        a, b = into[a], into[b]
        if a == b:
            continue
        if merged.has_edge(a, b):
            acts = set(merged.edges[a, b].get("actions", ())) | set(data.get("actions", ()))
            if acts:
                from ..rules.actions import sort_actions
                merged.edges[a, b]["actions"] = sort_actions(acts)
        else:
            merged.add_edge(a, b, **data)
    for node, data in merged.nodes(data=True):
        if len(data["members"]) > 1:
            kind = data.get("kind")
            noun = "users" if kind == "user" else _plural(kind)
            data["label"] = f"{data['count']} {noun}, e.g. {_short(data['members'][0])}"
            data["grouped"] = True
        elif data.get("count", 1) > 1:
            data["grouped"] = True
    return merged


def _plural(kind: str) -> str:
    return {"stream": "streams", "app": "apps", "app_object": "objects", "object": "objects"}.get(kind, kind + "s")


def _short(label: str) -> str:
    return label.split(", e.g. ")[-1].split(" like ")[-1]


def _users_label(group: list) -> str:
    common = set(group[0].groups)
    for user in group[1:]:
        common &= set(user.groups)
    said = ", ".join(sorted(common)[:2]) or "no shared group"
    return f"{len(group)} users ({said}), e.g. {group[0].qualified}"


def _resources_label(group: list) -> str:
    kind = group[0].kind.replace("App.Object", "object").lower()
    plural = {"stream": "streams", "app": "apps", "object": "objects"}.get(kind, kind + "s")
    return f"{len(group)} {plural} like {group[0].name}"
