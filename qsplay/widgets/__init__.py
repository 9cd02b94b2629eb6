"""ipywidgets explorers: pick a request and watch the decision, trace and graph change; edit a rule
and see who would gain or lose what; move the clock and watch the licence.

They work from the `qsplay` kernel (`explore`, `rule-editor`, `licence-panel`) and from the Python
API (`qsplay.widgets.DecisionExplorer(qsplay.Site.demo())`). State lives in the same Session the
commands use; the widgets only read and write it through the engine.
"""
from __future__ import annotations

import ipywidgets as W

from ..commands import CommandError, Session, run_line
from ..engine import make_request
from ..safe_text import html_text


def _session(target) -> Session:
    return target.session if hasattr(target, "session") else target


class DecisionExplorer(W.VBox):
    """Dropdowns for proxy, user (or anonymous), resource, action and context; the decision, its trace
    and its graph update on every change."""

    def __init__(self, target, show_graph: bool = True):
        self.qsplay = _session(target)
        site = self.qsplay.site
        from ..rules.actions import ACTIONS
        self.proxy = W.Dropdown(description="proxy", options=[(p.prefix or "(central)", p.prefix) for p in site.proxies()])
        self.user = W.Dropdown(description="user", options=["anonymous"] + [u.qualified for u in site.users])
        self.resource = W.Dropdown(description="resource", options=[e.ref for e in site.all_resources()
                                                                     if not e.ref.startswith("user:")])
        self.action = W.Dropdown(description="action", options=list(ACTIONS), value="read")
        self.context = W.ToggleButtons(description="context", options=["hub", "qmc"], value="hub")
        self.verdict = W.HTML()
        self.trace = W.HTML()
        self.graph = W.HTML()
        self.show_graph = show_graph
        for control in (self.proxy, self.user, self.resource, self.action, self.context):
            control.observe(lambda change: self.refresh(), names="value")
        # `verdict` holds the one-line summary for code that reads it; the trace shows it too
        super().__init__([W.HBox([self.proxy, self.user]), W.HBox([self.resource, self.action]), self.context,
                          self.trace] + ([self.graph] if show_graph else []))
        self.refresh()

    def refresh(self) -> None:
        from ..render.html import render_decision_html
        request = make_request(self.resource.value, self.action.value, self.user.value, self.proxy.value,
                               self.context.value)
        engine = self.qsplay.engine
        self.decision = engine.decide(request, engine.new_state())  # what-if: the session's clock is not moved
        self.verdict.value = f"<b>{html_text(self.decision.summary())}</b>"
        self.trace.value = render_decision_html(self.decision)
        if self.show_graph:
            from ..graph import decision_view, render_svg
            self.graph.value = render_svg(decision_view(self.qsplay.site, self.decision))


class RuleEditor(W.VBox):
    """A rule's filter, actions, context and condition; as you type, the audit diff against the site."""

    def __init__(self, target, name: str = "My rule", resource_filter: str = "Stream_*", actions: str = "read",
                 condition: str = "", context: str = "both"):
        self.qsplay = _session(target)
        self.name = W.Text(description="name", value=name)
        self.filter = W.Text(description="filter", value=resource_filter)
        self.actions = W.Text(description="actions", value=actions)
        self.context = W.ToggleButtons(description="context", options=["both", "hub", "qmc"], value=context)
        self.condition = W.Textarea(description="condition", value=condition, layout=W.Layout(width="95%"))
        self.result = W.HTML()
        for control in (self.name, self.filter, self.actions, self.context, self.condition):
            control.observe(lambda change: self.refresh(), names="value")
        super().__init__([self.name, self.filter, self.actions, self.context, self.condition, self.result])
        self.refresh()

    def refresh(self) -> None:
        from ..explain import edits as E
        from ..explain.preview import preview
        from ..rules import ConditionError, parse
        from ..rules.actions import normalize_action
        try:
            parse(self.condition.value)
        except ConditionError as err:
            self.result.value = (f"<pre style='color:#b91c1c'>{html_text(err.message)}\n"
                                 f"{html_text(err.caret())}</pre>")
            return
        actions = [normalize_action(a) for a in self.actions.value.split(",") if a.strip()]
        if not actions or None in actions:
            self.result.value = "<i>actions: a comma-separated list such as read, publish</i>"
            return
        values = {"name": self.name.value or "My rule", "resource_filter": self.filter.value, "actions": actions,
                  "condition": self.condition.value, "context": self.context.value}
        try:
            result, _ = preview(self.qsplay.site, [E.add_rule(values)])
        except Exception as exc:
            self.result.value = f"<pre style='color:#b91c1c'>{html_text(str(exc))}</pre>"
            return
        self.preview = result
        self.result.value = f"<pre>{html_text(result.to_text())}</pre>"


class LicencePanel(W.VBox):
    """The simulated clock and licence usage: buttons move time; a request button uses the licence."""

    def __init__(self, target):
        self.qsplay = _session(target)
        self.steps = {label: W.Button(description=label) for label in ("+6m", "+1h", "+1d", "+7d", "+28d")}
        for label, button in self.steps.items():
            button.on_click(lambda _, label=label: self.advance(label))
        self.user = W.Dropdown(description="user", options=["anonymous"] + [u.qualified for u in self.qsplay.site.users])
        self.proxy = W.Dropdown(description="proxy", options=[(p.prefix or "(central)", p.prefix)
                                                              for p in self.qsplay.site.proxies()])
        self.visit = W.Button(description="open the hub")
        self.visit.on_click(lambda _: self.open_hub())
        self.status = W.HTML()
        self.last = W.HTML()
        super().__init__([W.HBox(list(self.steps.values())), W.HBox([self.user, self.proxy, self.visit]),
                          self.last, self.status])
        self.refresh()

    def advance(self, step: str) -> None:
        run_line(self.qsplay, f"time {step}")
        self.refresh()

    def open_hub(self) -> None:
        request = make_request("stream:Everyone", "read", self.user.value, self.proxy.value, "hub")
        decision = self.qsplay.engine.decide(request, self.qsplay.state)
        self.last.value = f"<b>{html_text(decision.summary())}</b>"
        self.refresh()

    def refresh(self) -> None:
        text = run_line(self.qsplay, "licence").to_text() + run_line(self.qsplay, "sessions").to_text()
        self.status.value = f"<pre>{html_text(text)}</pre>"


__all__ = ["DecisionExplorer", "LicencePanel", "RuleEditor"]
