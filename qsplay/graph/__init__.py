"""The rule-to-resource graph: a networkx model of the site's access, focused views, and DOT/SVG/PNG."""
from .model import decision_view, resource_view, rule_view, site_graph, user_view
from .render import render, render_svg, to_dot

__all__ = ["decision_view", "render", "render_svg", "resource_view", "rule_view", "site_graph", "to_dot", "user_view"]
