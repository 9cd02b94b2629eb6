"""The Python API for notebooks and scripts: a Site whose answers render themselves in Jupyter.

    site = qsplay.Site.demo()
    site.decide("CORP\\\\bob", "app:Draft Ideas")          # a Decision view: HTML trace in Jupyter
    site.why_not("CORP\\\\bob", "stream:Finance")
    site.audit(kinds=["stream"])
    site.graph(user="anonymous", resource="app:Market Trends", proxy="public")   # SVG inline
    site.run("can anonymous read stream:Public via public")   # any shell command
"""
from __future__ import annotations

from pathlib import Path

from .commands import Session, run_line
from .engine import make_request
from .scenario import demo_path


class Site:
    def __init__(self, path: str | Path | None = None):
        self.session = Session()
        self.session.load(path or demo_path())

    @classmethod
    def demo(cls) -> "Site":
        return cls(None)

    @property
    def model(self):
        return self.session.site

    def run(self, line: str):
        """Any shell command; the result shows as HTML (or SVG) in Jupyter and as text in print()."""
        return run_line(self.session, line)

    def decide(self, user: str | None, resource: str, action: str = "read", context: str = "hub",
               proxy: str = "", **request) -> "DecisionView":
        req = make_request(resource, action, user, proxy, context, **request)
        return DecisionView(self.session.engine.decide(req, self.session.state))

    def why_not(self, user: str | None, resource: str, action: str = "read", context: str = "hub",
                proxy: str = "") -> "WhyNotView":
        from .explain.why_not import why_not
        return WhyNotView(why_not(self.model, make_request(resource, action, user, proxy, context)))

    def audit(self, **filters) -> "AuditView":
        from .explain.audit import audit
        return AuditView(audit(self.model, **filters))

    def graph(self, user: str | None = None, resource: str | None = None, rule: str | None = None,
              action: str = "read", context: str = "hub", proxy: str = "", limit: int = 120) -> "GraphView":
        from .graph import decision_view, resource_view, rule_view, site_graph, user_view
        if user and resource:
            g = decision_view(self.model, self.decide(user, resource, action, context, proxy).decision)
        elif user:
            g = user_view(self.model, user, context)
        elif resource:
            g = resource_view(self.model, resource, context)
        elif rule:
            g = rule_view(self.model, rule, context)
        else:
            g = site_graph(self.model, context)
        return GraphView(g, limit)

    def __repr__(self) -> str:
        s = self.model
        return f"<qsplay.Site {s.name!r}: {len(s.users)} users, {len(s.streams)} streams, {len(s.apps)} apps>"


class DecisionView:
    def __init__(self, decision):
        self.decision = decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def __getattr__(self, name):
        return getattr(self.decision, name)

    def _repr_html_(self) -> str:
        from .render.html import render_decision_html
        return render_decision_html(self.decision)

    def __str__(self) -> str:
        from .render.text import render_decision
        return render_decision(self.decision)

    __repr__ = lambda self: self.decision.summary()


class WhyNotView:
    def __init__(self, result):
        self.result = result
        self.suggestions = result.suggestions

    def _repr_html_(self) -> str:
        from .safe_text import html_text
        items = "".join(f"<li><b>{s.rank}.</b> [{html_text(s.phase)}] {html_text(s.change)}</li>"
                        for s in self.suggestions) or "<li>nothing to change</li>"
        from .render.html import CSS
        return f'{CSS}<div class="qsp"><div class="verdict deny">{html_text(self.result.decision.summary())}' \
               f"</div><ol style='list-style:none'>{items}</ol></div>"

    def __str__(self) -> str:
        return self.result.to_text()

    __repr__ = __str__


class AuditView:
    def __init__(self, result):
        self.result = result
        self.cells = result.cells

    def _repr_html_(self) -> str:
        from .render.html import render_table_html
        return render_table_html(["user", "resource", "access", "granted by"],
                                 [[c.user, c.resource, c.letters, ", ".join(c.rules)] for c in self.cells])

    def __str__(self) -> str:
        from .explain.audit import render_table
        return render_table(self.result)

    __repr__ = __str__


class GraphView:
    def __init__(self, graph, limit: int = 120):
        self.graph = graph
        self.limit = limit

    def dot(self) -> str:
        from .graph import to_dot
        return to_dot(self.graph, self.limit)

    def _repr_svg_(self) -> str:
        from .graph import render_svg
        return render_svg(self.graph, self.limit)

    def save(self, path: str) -> str:
        from .graph.render import render
        from .files import write_atomically
        fmt = Path(path).suffix.lstrip(".").lower()
        write_atomically(path, self.dot().encode() if fmt in ("dot", "gv") else render(self.dot(), fmt))
        return path

    def __repr__(self) -> str:
        return f"<qsplay graph: {self.graph.number_of_nodes()} nodes, {self.graph.number_of_edges()} edges>"
