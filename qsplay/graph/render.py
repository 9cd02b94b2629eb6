"""Graphs as DOT (the `graphviz` package) and SVG/PNG.

Rendering works after `pip install` alone: pygraphviz's wheels carry the Graphviz libraries and lay
out in-process. A system `dot` on PATH is used when present. Layout details differ between Graphviz
builds; structure (nodes, edges, classes, titles) does not.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections import deque

import graphviz
import networkx as nx

STYLE = {
    "user": {"shape": "ellipse", "fillcolor": "#dbeafe"},
    "group": {"shape": "ellipse", "fillcolor": "#eef2ff", "fontsize": "10"},
    "role": {"shape": "ellipse", "fillcolor": "#fae8ff", "fontsize": "10"},
    "proxy": {"shape": "cds", "fillcolor": "#e0f2fe"},
    "licence_rule": {"shape": "note", "fillcolor": "#fef9c3"},
    "access_type": {"shape": "hexagon", "fillcolor": "#fde68a"},
    "rule": {"shape": "box", "fillcolor": "#f3f4f6", "style": "rounded,filled"},
    "stream": {"shape": "folder", "fillcolor": "#dcfce7"},
    "app": {"shape": "component", "fillcolor": "#ccfbf1"},
    "app_object": {"shape": "box", "fillcolor": "#f0fdfa", "fontsize": "10"},
    "object": {"shape": "box", "fillcolor": "#f0fdfa", "fontsize": "10"},
    "note": {"shape": "plaintext", "fillcolor": "white", "fontcolor": "#6b7280"},
    "section_access": {"shape": "tab", "fillcolor": "#ede9fe"},  # phase 4: the app's own table
}
EDGE_LABEL = {"member": "member of", "role": "role", "matches": "matches", "allocates": "gives",
              "allocated": "allocated", "identifies": "lets in", "has_privilege": "HasPrivilege",
              "contains": "", "applies": "", "grants": "", "opens": "opens with"}
DEFAULT_LIMIT = 120


def limit_graph(g: nx.DiGraph, limit: int = DEFAULT_LIMIT) -> nx.DiGraph:
    """Keep the focus, the highlighted path and the nearest nodes; say what was left out."""
    if len(g) <= limit:
        return g
    focus = g.graph.get("focus")
    must = [n for n, d in g.nodes(data=True) if d.get("highlight")] + ([focus] if focus in g else [])
    order, seen = [], set()
    queue = deque(must or [next(iter(g))])
    undirected = g.to_undirected(as_view=True)
    while queue and len(order) < limit:
        n = queue.popleft()
        if n in seen:
            continue
        seen.add(n)
        order.append(n)
        queue.extend(sorted(undirected.neighbors(n)))
    kept = g.subgraph(order).copy()
    left = len(g) - len(kept)
    kept.add_node("note:limit", kind="note", label=f"{left} more node(s) not shown (node limit {limit}; "
                                                   f"use --limit or a focused view)")
    kept.graph.update(g.graph, truncated=left)
    return kept


def to_dot(g: nx.DiGraph, limit: int = DEFAULT_LIMIT) -> str:
    g = limit_graph(g, limit)
    dot = graphviz.Digraph(name="qsplay", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11",
                                                      "label": _text(g.graph.get("title", "")), "labelloc": "t"},
                           node_attr={"style": "filled", "fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#6b7280"})
    ids = {node: f"n{i}" for i, node in enumerate(g.nodes)}  # DOT would read "kind:name" as a port
    clusters: dict[str, list[str]] = {}
    for node, data in g.nodes(data=True):
        if data.get("cluster") and data.get("kind") in ("app", "app_object", "object"):
            clusters.setdefault(data["cluster"], []).append(node)
    clustered = {n for nodes in clusters.values() for n in nodes}
    for node, data in g.nodes(data=True):
        if node not in clustered:
            dot.node(ids[node], **_node_attrs(node, data))
    for i, (stream, nodes) in enumerate(sorted(clusters.items())):
        with dot.subgraph(name=f"cluster_{i}") as sub:
            sub.attr(label=f"stream {stream}", style="rounded,dashed", color="#16a34a", fontcolor="#166534")
            for node in nodes:
                sub.node(ids[node], **_node_attrs(node, g.nodes[node]))
    for a, b, data in g.edges(data=True):
        dot.edge(ids[a], ids[b], **_edge_attrs(data), id=_text(f"{a} -> {b}"), tooltip=_text(f"{a} -> {b}"))
    return dot.source


def _text(value: str) -> str:
    """Text for a DOT attribute: backslashes are escapes there (CORP\\alice would lose its \\)."""
    return value.replace("\\", "\\\\")


def _node_attrs(node: str, data: dict) -> dict:
    attrs = dict(STYLE.get(data.get("kind"), {"shape": "box", "fillcolor": "#ffffff"}))
    label = _text(data.get("label", node))
    if data.get("kind") == "rule" and data.get("filter"):
        label += "\\n" + _text(data["filter"])
    attrs["label"] = label
    attrs["tooltip"] = _text(node)
    attrs["id"] = _text(node)
    classes = [data.get("kind", "node")]
    if data.get("highlight"):
        attrs.update(color="#15803d", penwidth="2.5")
        classes.append("highlight")
    if data.get("failed"):
        attrs.update(color="#dc2626", fontcolor="#991b1b", style=attrs.get("style", "filled") + ",dashed")
        classes.append("failed")
    if data.get("disabled"):
        attrs.update(fontcolor="#9ca3af", style="filled,dashed")
    attrs["class"] = " ".join(classes)
    return attrs


def _edge_attrs(data: dict) -> dict:
    kind = data.get("kind", "")
    label = EDGE_LABEL.get(kind, kind)
    if data.get("actions"):
        label = ", ".join(data["actions"]) + (f" ({data['context']})" if data.get("context") not in (None, "both") else "")
    if kind == "has_privilege":
        label = f"HasPrivilege(\"{data.get('action', '')}\")"
    attrs = {"label": label, "class": kind}
    if kind == "contains":
        attrs.update(style="dotted", arrowhead="none")
    if kind == "has_privilege":
        attrs.update(style="dashed", color="#7c3aed")
    if data.get("highlight"):
        attrs.update(color="#15803d", penwidth="2.5", fontcolor="#15803d")
        attrs["class"] += " highlight"
    elif data.get("failed"):
        attrs.update(color="#f87171", style="dashed")
        attrs["class"] += " failed"
    return attrs


def render(dot_source: str, fmt: str = "svg") -> bytes:
    """DOT -> SVG or PNG bytes, with a system `dot` when there is one, else in-process."""
    if shutil.which("dot"):
        return graphviz.Source(dot_source).pipe(format=fmt)
    import pygraphviz
    with _quiet_stderr():  # the bundled fontconfig complains about newer system configs
        graph = pygraphviz.AGraph(string=dot_source)
        return graph.draw(format=fmt, prog="dot")


@contextlib.contextmanager
def _quiet_stderr():
    if os.environ.get("QSPLAY_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def render_svg(g: nx.DiGraph, limit: int = DEFAULT_LIMIT) -> str:
    """An SVG string for notebooks and the Python API (shown inline)."""
    return render(to_dot(g, limit), "svg").decode("utf-8")
