"""graph: the rule-to-resource graph, whole or focused, as DOT, SVG or PNG."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..files import write_atomically
from ..model import UnknownReference
from .base import CommandError, Output, Session, arguments, command


class GraphOutput(Output):
    def __init__(self, graph, dot: str, written: str | None):
        summary = f"{graph.graph.get('title', 'graph')}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
        if graph.graph.get("truncated"):
            summary += f" ({graph.graph['truncated']} left out by the node limit)"
        text = f"wrote {written} — {summary}\n" if written else dot
        super().__init__(text, data={"title": graph.graph.get("title"), "nodes": list(graph.nodes),
                                     "edges": [[a, b] for a, b in graph.edges], "file": written})
        self.graph, self.dot = graph, dot

    def to_html(self) -> str:
        from ..graph.render import render
        from ..graph.render import fit_width
        return fit_width(render(self.dot, "svg").decode("utf-8"))


def _flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", "-u", help="what this user can reach (with --resource: one decision's path)")
    p.add_argument("--resource", "-r", help="who can reach this resource, and how")
    p.add_argument("--rule", help="what this rule touches")
    p.add_argument("--action", "-a", default="read", help="for a decision (default read)")
    p.add_argument("--context", "-c", default="hub", choices=("hub", "qmc"))
    p.add_argument("--proxy", "-p", default=None, help="for a decision: the virtual proxy prefix")
    p.add_argument("--limit", type=int, default=120, help="node limit (default 120)")
    p.add_argument("--each", action="store_true",
                   help="whole site: one node per user and resource even on a big site (default: classes)")
    p.add_argument("-o", "--output", help="FILE.svg, FILE.png or FILE.dot (default: print DOT)")


@command("graph", "the rule-to-resource graph, whole or focused on a user, resource, rule or decision",
         examples=("graph -o site.svg", "graph --user anonymous --proxy public --resource \"app:Market Trends\" -o path.svg",
                   "graph --resource stream:Finance -o who.png", "graph --rule Stream -o stream-rule.dot"))
@arguments(_flags)
def run_graph(session: Session, args: argparse.Namespace) -> Output:
    from ..engine import make_request
    from ..graph import decision_view, resource_view, rule_view, site_graph, user_view
    from ..graph.render import render, to_dot
    site = session.require_site()
    try:
        if site.platform == "cloud" and not (args.user and args.resource):
            from ..cloud.graph import cloud_graph
            if args.rule:
                raise CommandError("a Qlik Cloud site has no security rules; graph --user or --resource")
            users = None
            if args.user:
                from ..engine.authentication import anonymous_user
                users = [anonymous_user(site, "") if args.user.lower().startswith("anonymous")
                         else site.find_user(args.user)]
            graph = cloud_graph(site, users=users,
                                resources=[site.find_resource(args.resource).ref] if args.resource else None)
            graph.graph["title"] = f"{site.name}: who reaches what, through which space roles"
        elif args.user and args.resource:
            request = make_request(args.resource, args.action, args.user,
                                   args.proxy if args.proxy is not None else session.settings.get("proxy", ""),
                                   args.context)
            decision = session.engine.decide(request, session.state)
            graph = decision_view(site, decision)
        elif args.user:
            graph = user_view(site, args.user, args.context)
        elif args.resource:
            graph = resource_view(site, args.resource, args.context)
        elif args.rule:
            graph = rule_view(site, args.rule, args.context)
        else:
            from ..graph.grouping import grouped_site_graph, needs_grouping
            if needs_grouping(site) and not args.each:
                graph = grouped_site_graph(site, args.context)
                graph.graph["title"] = (f"{site.name}: who reaches what, through which rules ({args.context}); "
                                        f"{graph.graph['users']} users in {graph.graph['user_classes']} classes, "
                                        f"{graph.graph['resources']} resources in {graph.graph['resource_classes']} "
                                        f"classes, alike ones merged (graph --each: one node each)")
            else:
                graph = site_graph(site, args.context)
                graph.graph["title"] = f"{site.name}: who reaches what, through which rules ({args.context})"
    except (UnknownReference, ValueError) as exc:
        raise CommandError(str(exc))
    dot = to_dot(graph, args.limit)
    written = None
    if args.output:
        path = Path(args.output)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("svg", "png", "dot", "gv"):
            raise CommandError("-o wants a .svg, .png or .dot file")
        data = dot.encode() if fmt in ("dot", "gv") else render(dot, fmt)
        if fmt == "svg":
            from ..graph.render import fit_width
            data = fit_width(data.decode("utf-8")).encode("utf-8")
        write_atomically(path, data)
        written = str(path)
    out = GraphOutput(graph, dot, written)
    out.svg = None
    return out
