"""Hostile names through every renderer (issue 18 findings 1 and 9): text, HTML, SVG/DOT, CSV,
JSON and the widgets show each name as the plain text it is — no markup, no link, no formula, no
forged row.

The corpus (tests/data/hostile-names.yaml): a Graphviz HTML-like label with a javascript: HREF, a
group `<b>grp</b>` (was `internal error (DotError)`), an app `<draft>` (was drawn as `draft`),
script/img/attribute injections, CSV formula cells (OWASP "CSV Injection": = + - @) and a stream
name with `","` and a line break that forged a preview CSV row for a user who does not exist.
"""
import csv
import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from qsplay.api import Site
from qsplay.cli import main
from qsplay.commands import Session, run_line
from qsplay.graph import decision_view, resource_view, site_graph, user_view
from qsplay.graph.render import render, to_dot

from .conftest import ROOT

HOSTILE = str(ROOT / "tests" / "data" / "hostile-names.yaml")
TABLE = '<<TABLE><TR><TD HREF="javascript:alert(1)">x</TD></TR></TABLE>>'
FORGED = 'a","CORP\\ghost",gained,read\nforged'
NAMES = [TABLE, "<b>grp</b>", "<draft>", "</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>",
         "' onmouseover='alert(1)", "+cmd|' /C calc'!A0", "{a|b} \\N \\l \\G"]
FORMULAS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def session():
    s = Session()
    s.load(HOSTILE)
    return s


class Elements(HTMLParser):
    """Every element and attribute an HTML fragment really contains."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def assert_inert_html(html: str, must_show=()):
    p = Elements()
    p.feed(html)
    assert not p.tags & {"script", "img", "iframe", "foreignobject"}, p.tags
    for raw in ("<TABLE>", "<TD ", "<script>", "<img ", "<b>grp", "<i>names", "<draft>", "onmouseover='"):
        assert raw not in html, raw  # the corpus's markup only ever appears escaped
    # data only ever lands in text and in inert attributes (id, class, title): never a link, source or handler
    assert not [a for a in p.attrs if a[1].startswith("on") or a[1].endswith("href") or a[1] in ("src", "action")]
    text = "".join(p.text)
    for name in must_show:
        assert name in text, name


def test_graph_labels_are_plain_text_in_dot_and_svg(session):
    site = session.site
    for g in (site_graph(site, "hub"), user_view(site, "CORP\\mallory", "hub"),
              resource_view(site, f"stream:{TABLE}", "hub")):
        dot = to_dot(g)
        data_lines = [line for line in dot.splitlines() if not line.lstrip().startswith("legend ")]
        assert "=<" not in "\n".join(data_lines)  # no HTML-like label but qsplay's own legend: data is quoted text
        root = ET.fromstring(render(dot, "svg").decode())
        hrefs = [v for e in root.iter() for k, v in e.attrib.items() if k.endswith("href")]
        assert not hrefs, hrefs
    svg = render(to_dot(site_graph(site, "hub")), "svg").decode()
    texts = {"".join(e.itertext()) for e in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}
    for name in (TABLE, "<b>grp</b>", "<draft>", "{a|b} \\N \\l \\G", "<img src=x onerror=alert(1)>"):
        assert name in texts, name
    assert 'a","CORP\\ghost",gained,read\\u000aforged' in texts  # one line, the break shown


def test_graph_command_and_site_run_html_are_inert(session, tmp_path, capsys):
    code = main(["graph", HOSTILE, "-o", str(tmp_path / "g.svg")])
    assert code == 0, capsys.readouterr()
    assert_inert_html((tmp_path / "g.svg").read_text())
    out = run_line(session, "graph --user CORP\\mallory")
    assert_inert_html(out.to_html(), ["<b>grp</b>"])
    site = Site(HOSTILE)
    assert_inert_html(site.run("graph").to_html(), ["<draft>"])
    assert_inert_html(site.graph(user="CORP\\mallory")._repr_svg_(), ["<b>grp</b>"])


def test_html_renderers_escape(session):
    site = Site(HOSTILE)
    for view in (site.decide("CORP\\mallory", f"stream:{TABLE}"), site.why_not("CORP\\bob", "app:<draft>"),
                 site.audit(kinds=["stream"])):
        assert_inert_html(view._repr_html_())
    html = site.decide("CORP\\mallory", f"stream:{TABLE}")._repr_html_()
    assert_inert_html(html, [TABLE, "<img src=x onerror=alert(1)>"])
    for line in ("streams", "apps", "users", "rules", "audit", f"decide --user CORP\\mallory --resource 'stream:{TABLE}'",
                 "lint"):
        assert_inert_html(run_line(session, line).to_html())


def test_widgets_are_inert(session):
    from qsplay.widgets import DecisionExplorer
    explorer = DecisionExplorer(session)
    explorer.user.value = "CORP\\mallory"
    explorer.resource.value = f"stream:{TABLE}"
    for html in (explorer.verdict.value, explorer.trace.value, explorer.graph.value):
        assert_inert_html(html)
    assert TABLE in "".join(ET.fromstring(explorer.graph.value).itertext())


def _rows(text: str):
    return list(csv.reader(io.StringIO(text)))


def test_csv_is_quoted_and_formulas_neutralised(session):
    out = run_line(session, "preview --add-rule Everything --filter Stream_* --actions read --condition true "
                            "--format csv").to_text()
    rows = _rows(out)
    assert rows[0] == ["user", "resource", "change", "action"]
    assert {r[0] for r in rows[1:] if not r[0].startswith("NONE\\anonymous")} <= {"CORP\\mallory", "CORP\\bob"}
    assert not [r for r in rows if "CORP\\ghost" == r[0]]  # no forged row
    assert all(len(r) == 4 for r in rows)
    assert any(r[1] == "stream:" + FORGED for r in rows)
    assert not [c for r in rows for c in r if c.startswith(FORMULAS)]
    assert any(r[1] == "stream:+cmd|' /C calc'!A0" for r in rows)  # "stream:" in front: not a formula
    audit = _rows(run_line(session, "audit --format csv").to_text())
    assert all(len(r) == 6 for r in audit) and not [c for r in audit for c in r if c.startswith(FORMULAS)]


def test_csv_cells_that_would_be_formulas():
    from qsplay.safe_text import csv_text
    rows = _rows(csv_text(["a"], [["=1+1"], ["+1"], ["-1"], ["@x"], ["\tx"], ["\rx"], ["ok"]]))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\\u000dx", "ok"]


def _strings(data):
    if isinstance(data, dict):
        for k, v in data.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)
    elif isinstance(data, str):
        yield data


def test_json_stays_json(session, capsys):
    for argv in (["decide", HOSTILE, "--user", "CORP\\mallory", "--resource", f"stream:{TABLE}", "--json"],
                 ["audit", HOSTILE, "--format", "json"], ["preview", HOSTILE, "--disable", "Sales reads everything",
                                                          "--format", "json"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code in (0, 1), err
        assert any(TABLE in value for value in _strings(json.loads(out))), argv


def test_text_output_cannot_be_forged(session):
    for line in ("streams", "audit --type stream"):
        text = run_line(session, line).render()
        assert not [ln for ln in text.splitlines() if ln.startswith("forged")]
        assert "\\u000aforged" in text
