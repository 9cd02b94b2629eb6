"""Graphs a person reads: the site laid out by phase (one column each, in the order a request goes:
proxy → users → groups → licence rules → access → security rules → streams → apps → objects), a
legend of the edge kinds drawn, sized to a page, and a big site drawn as classes of users and
resources (the compressed audit's). Structure is asserted, never bytes or pixels."""
import re
import struct

import pygraphviz
import pytest

from qsplay.graph import site_graph
from qsplay.graph.grouping import grouped_site_graph, needs_grouping
from qsplay.graph.render import EDGE_LEGEND, PHASE_OF, fit_width, render, to_dot


def laid_out(dot: str) -> pygraphviz.AGraph:
    graph = pygraphviz.AGraph(string=dot)
    graph.layout(prog="dot")
    return graph


def columns(graph: pygraphviz.AGraph, g) -> dict[int, list[float]]:
    """x of each node, by its phase."""
    ids = {f"n{i}": node for i, node in enumerate(g.nodes)}
    out: dict[int, list[float]] = {}
    for n in graph.nodes():
        if n in ids:
            x = float(n.attr["pos"].split(",")[0])
            out.setdefault(PHASE_OF[g.nodes[ids[n]]["kind"]], []).append(x)
    return out


def test_the_demo_site_reads_left_to_right_by_phase(demo_site):
    g = site_graph(demo_site)
    assert len(g) == 37 and g.number_of_edges() == 88  # Carol, inactive, reaches no rule (as decide says)
    dot = to_dot(g)
    graph = laid_out(dot)
    cols = columns(graph, g)
    assert sorted(cols) == [0, 1, 2, 3, 4, 5, 6, 7, 8]  # proxy, users, groups, licence, access, rules, streams, apps, objects
    for a, b in zip(sorted(cols), sorted(cols)[1:]):
        assert max(cols[a]) < min(cols[b]), f"phase {a} is not left of phase {b}"
    assert len({round(x) for x in cols[5]}) == 1  # every security rule in one column
    stream_boxes = [s for s in graph.subgraphs() if s.name.startswith("cluster_") and s.name != "cluster_legend"]
    assert len(stream_boxes) == 2  # apps and objects boxed by stream: Public, Finance


def test_a_legend_names_every_edge_kind_drawn(demo_site):
    g = site_graph(demo_site)
    dot = to_dot(g)
    legend = re.search(r"\blegend \[.*", dot).group(0)
    drawn = {d["kind"] for _, _, d in g.edges(data=True)}
    for kind in drawn:
        assert EDGE_LEGEND[kind] in legend
    assert "on the path that decided" in legend and "did not grant" in legend
    assert "legend" not in to_dot(g, legend=False)


def test_sized_to_a_page_and_zoomable_in_a_notebook(demo_site):
    dot = to_dot(site_graph(demo_site))
    png = render(dot, "png")
    width, height = struct.unpack(">II", png[16:24])
    assert width <= 1200
    svg = fit_width(render(dot, "svg").decode())
    head = re.search(r"<svg[^>]*>", svg).group(0)
    assert 'width="100%"' in head and "viewBox" in head and 'height="' not in head.replace("max-", "")


@pytest.fixture(scope="module")
def thousand():
    from qsplay.synthetic import large_site
    return large_site(users=1000, streams=20, apps=100, objects=200)


def test_a_thousand_users_are_a_picture_of_classes(thousand):
    assert needs_grouping(thousand)
    g = grouped_site_graph(thousand)
    kinds = [d["kind"] for _, d in g.nodes(data=True)]
    assert len(g) < 130 and g.number_of_edges() < 500
    assert "group" not in kinds and "role" not in kinds
    users = [d for _, d in g.nodes(data=True) if d["kind"] == "user"]
    assert kinds.count("user") <= 40
    signed_in = sum(d.get("count", 1) for n, d in g.nodes(data=True) if d["kind"] == "user"
                    and n not in ("user:(every user)",) and not n.startswith("user:NONE\\"))
    assert signed_in == 1000  # every user is in exactly one class node
    assert any(d["label"].startswith("every signed-in user (1000)") for d in users)
    assert g.graph["user_classes"] < 100 and g.graph["resource_classes"] < g.graph["resources"]
    dot = to_dot(g, 400)
    cols = columns(laid_out(dot), g)
    for a, b in zip(sorted(cols), sorted(cols)[1:]):
        assert max(cols[a]) < min(cols[b])
    width, _ = struct.unpack(">II", render(dot, "png")[16:24])
    assert width <= 1200


def test_the_graph_command_groups_a_big_site_and_says_so(thousand, tmp_path):
    from qsplay.commands import Session, run_line
    session = Session()
    session.use(thousand)
    out = run_line(session, f"graph -o {tmp_path / 'site.dot'}")
    assert "1000 users in" in out.text and "classes" in out.text and "graph --each" in out.text
