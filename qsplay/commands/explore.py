"""explore, rule-editor, licence-panel: the ipywidgets explorers, from the qsplay kernel."""
from __future__ import annotations

import argparse

from .base import CommandError, Output, Session, command


def _widget_output(session: Session, make) -> Output:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise CommandError("the explorers need ipywidgets (and Jupyter)")
    session.require_site()
    out = Output("(an interactive explorer: open it in Jupyter with the qsplay kernel)\n")
    out.widget = make()
    return out


@command("explore", "a live decision explorer (Jupyter): proxy, user, resource, action, context", scenarios="none",
         cli=False)
def run_explore(session: Session, args: argparse.Namespace) -> Output:
    from ..widgets import DecisionExplorer
    return _widget_output(session, lambda: DecisionExplorer(session))


@command("rule-editor", "a rule editor that previews the audit diff as you type (Jupyter)", scenarios="none",
         cli=False)
def run_rule_editor(session: Session, args: argparse.Namespace) -> Output:
    from ..widgets import RuleEditor
    return _widget_output(session, lambda: RuleEditor(session))


@command("licence-panel", "a licence panel that moves the clock (Jupyter)", scenarios="none", cli=False)
def run_licence_panel(session: Session, args: argparse.Namespace) -> Output:
    from ..widgets import LicencePanel
    return _widget_output(session, lambda: LicencePanel(session))
