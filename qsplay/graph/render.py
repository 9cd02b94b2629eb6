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

from ..safe_text import one_line

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
# The phases a request goes through, left to right: each kind of node has its column (DOT rank)
PHASE_OF = {"proxy": 0, "user": 1, "user_resource": 1, "group": 2, "role": 2, "licence_rule": 3, "access_type": 4,
            "rule": 5, "stream": 6, "space": 6, "app": 7, "app_object": 8, "object": 8, "section_access": 9}
PHASE_TITLES = ["proxy", "users", "groups, roles", "licence rules", "access", "security rules", "streams",
                "apps", "objects", "section access"]
EDGE_LEGEND = {  # kind -> what the legend says; drawn with the edge's own style
    "identifies": "the proxy lets the visitor in", "member": "member of a group", "role": "has an admin role",
    "matches": "matches a licence rule", "allocates": "licence rule gives an access type",
    "allocated": "access allocated to the user", "applies": "rule's condition holds for the user",
    "grants": "rule grants actions on the resource", "contains": "contains (stream, app, object)",
    "has_privilege": "condition asks HasPrivilege of another resource", "opens": "opens with section access",
}
PAGE_INCHES = 12.5  # 1,200 px at 96 dpi: Graphviz scales a bigger layout down to this width


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


def to_dot(g: nx.DiGraph, limit: int = DEFAULT_LIMIT, legend: bool = True) -> str:
    """The graph laid out by phase (proxy → users → licence → rules → streams → apps → objects, one
    column each), apps and objects boxed by stream, a legend of the edge kinds drawn, sized to a
    page (1,200 px; an SVG scales to its container and keeps its viewBox for zooming)."""
    g = limit_graph(g, limit)
    dot = graphviz.Digraph(name="qsplay", graph_attr={
        "rankdir": "LR", "newrank": "true", "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.15",
        "ranksep": "0.5", "label": _text(g.graph.get("title", "")), "labelloc": "t", "size": f"{PAGE_INCHES},100",
        "pad": "0.1", "remincross": "true"},
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
            sub.attr(label=_text(f"stream {stream}"), style="rounded,dashed", color="#16a34a", fontcolor="#166534")
            for node in nodes:
                sub.node(ids[node], **_node_attrs(node, g.nodes[node]))
    present = sorted(phases(g).items())
    for phase, nodes in present:
        with dot.subgraph(name=f"phase_{phase}") as sub:  # newrank: one column per phase, boxes or not
            sub.attr(rank="same")
            sub.node(f"phase{phase}", label="", shape="point", style="invis", width="0")
            for node in nodes:
                sub.node(ids[node])
    for (a, _), (b, _) in zip(present, present[1:]):  # the columns in the phases' order
        dot.edge(f"phase{a}", f"phase{b}", style="invis")
    for a, b, data in g.edges(data=True):
        attrs = _edge_attrs(data)
        pa, pb = PHASE_OF.get(g.nodes[a].get("kind")), PHASE_OF.get(g.nodes[b].get("kind"))
        if pa is not None and pb is not None and pa >= pb:
            # an edge back or within a column (a rule asking HasPrivilege of another) keeps the columns;
            # its label goes to the tooltip (Graphviz cannot lay out labels of edges within a rank;
            # the legend says what its style means)
            attrs["constraint"] = "false"
            if attrs.get("label"):
                attrs["tooltip"] = attrs.pop("label")
        tip = _text(f"{a} -> {b}") + (f": {attrs.pop('tooltip')}" if "tooltip" in attrs else "")  # parts escaped
        dot.edge(ids[a], ids[b], **attrs, id=_text(f"{a} -> {b}"), tooltip=graphviz.nohtml(tip))
    if legend:
        _legend(dot, {data.get("kind", "") for _, _, data in g.edges(data=True)})
    return dot.source


def phases(g: nx.DiGraph) -> dict[int, list[str]]:
    """Node ids by phase column (notes and unknown kinds have none)."""
    out: dict[int, list[str]] = {}
    for node, data in g.nodes(data=True):
        phase = PHASE_OF.get(data.get("kind"))
        if phase is not None:
            out.setdefault(phase, []).append(node)
    return out


LEGEND_LINES = {"solid": "———▶", "dashed": "– – ▶", "dotted": "·······"}


def _legend(dot: graphviz.Digraph, kinds: set[str]) -> None:
    """A box saying what each kind of edge drawn means, each in its own colour and line style, and
    the marks of a decision's path. Its text is qsplay's own (no site data)."""
    import html
    shown = [k for k in EDGE_LEGEND if k in kinds]
    if not shown:
        return
    rows = []
    for kind, meaning, extra in [(k, EDGE_LEGEND[k], {}) for k in shown] + [
            ("grants", "on the path that decided", {"highlight": True}),
            ("grants", "a rule that did not grant", {"failed": True})]:
        attrs = _edge_attrs({"kind": kind, **extra})
        line = LEGEND_LINES["dashed" if "dashed" in attrs.get("style", "") else
                            "dotted" if "dotted" in attrs.get("style", "") else "solid"]
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT COLOR="{attrs.get("color", "#6b7280")}">{html.escape(line)}</FONT></TD>'
                    f'<TD ALIGN="LEFT">{html.escape(meaning, quote=False)}</TD></TR>')
    label = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD COLSPAN="2"><B>legend'
             '</B></TD></TR>' + "".join(rows) + "</TABLE>>")
    dot.node("legend", label=label, shape="box", style="rounded", color="#9ca3af", fontsize="9", id="legend",
             **{"class": "legend"})


def _text(value) -> str:
    """The one place site data becomes DOT text (labels, tooltips, ids, titles): always a quoted
    plain string — never an HTML-like label (a name `<...>` would be markup: tables, HREFs into
    the SVG), backslashes literal (CORP\\alice keeps its \\; no \\N or \\l escapes from data),
    control, bidi and line-break characters shown as \\uXXXX (qsplay/safe_text.py)."""
    return graphviz.escape(one_line(str(value)))


def _lines(*parts) -> str:
    """Several plain-text lines in one label."""
    return graphviz.nohtml("\\n".join(_text(p) for p in parts))


def _node_attrs(node: str, data: dict) -> dict:
    attrs = dict(STYLE.get(data.get("kind"), {"shape": "box", "fillcolor": "#ffffff"}))
    if data.get("kind") == "rule" and data.get("filter"):
        attrs["label"] = _lines(data.get("label", node), data["filter"])
    else:
        attrs["label"] = _text(data.get("label", node))
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
    if kind == "applies" and not data.get("highlight"):
        label = ""  # the actions are said once, on the rule's grants edge
    attrs = {"label": _text(label), "class": _text(kind)}
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
    """An SVG string for notebooks and the Python API (shown inline), as wide as its container."""
    return fit_width(render(to_dot(g, limit), "svg").decode("utf-8"))


def fit_width(svg: str) -> str:
    """Scale to the container (a ~943 px notebook output, a page) keeping the viewBox, so the browser
    zooms into detail; never wider than drawn."""
    import re
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not match:
        return svg
    width = float(match.group(1)) * 4 / 3  # pt -> px
    return svg.replace(match.group(0), f'<svg width="100%" style="max-width:{width:.0f}px;height:auto"', 1)
