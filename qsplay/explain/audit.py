"""The audit matrix: which user may do what to which resource, and by which rules.

Like the QMC audit page ("The audit tools only show rules as they are applied to existing
resources"; "Only users with access rights ... are shown"), cells exist only where something is
granted, and letters follow the audit legend. The licence is not part of a security audit (the QMC
audits licence rules separately).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..engine.authentication import anonymous_user
from ..engine.security import SecurityEngine
from ..model import Entity, Site, User
from ..rules.actions import letters, sort_actions


@dataclass
class AuditCell:
    user: str
    resource: str
    actions: list[str]
    rules: list[str]  # every rule that grants at least one of the actions

    @property
    def letters(self) -> str:
        return letters(self.actions)

    def to_dict(self) -> dict:
        return {"user": self.user, "resource": self.resource, "actions": self.actions, "letters": self.letters,
                "rules": self.rules}


@dataclass
class Audit:
    context: str
    cells: list[AuditCell] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    rules_by_action: dict = field(default_factory=dict)  # (user, resource) -> {action: [rules]}

    def cell(self, user: str, resource: str) -> AuditCell | None:
        for c in self.cells:
            if c.user == user and c.resource == resource:
                return c
        return None

    def grants(self) -> set[tuple[str, str, str]]:
        return {(c.user, c.resource, a) for c in self.cells for a in c.actions}

    def to_dict(self) -> dict:
        return {"context": self.context, "cells": [c.to_dict() for c in self.cells]}


# (site, user, resource, context) -> {action: [granting rules]}; the fast evaluator plugs in here
Evaluator = Callable[[Site, User, Entity, str], dict]


def reference_evaluator(site: Site) -> Callable[[User, Entity, str], dict]:
    engine = SecurityEngine(site)

    def evaluate(user: User, resource: Entity, context: str) -> dict:
        possible = set()
        for rule in engine.rules_for(resource):
            if not rule.disabled and rule.parsed is not None and rule.applies_in(context):
                possible |= rule.actions
        out = {}
        for action in sort_actions(possible):
            result = engine.evaluate(user, resource, action, context, trace=False, all_granting=True)
            if result.allowed:
                out[action] = result.granting_rules
        return out
    return evaluate


def audit_subjects(site: Site, users: Iterable[str] | None = None, include_anonymous: bool = False) -> list[User]:
    chosen = [site.find_user(u) if not u.lower().startswith("anonymous") else anonymous_user(site, "")
              for u in users] if users else list(site.users)
    if include_anonymous and not users:
        chosen.append(anonymous_user(site, ""))
    return chosen


def audit(site: Site, users: Iterable[str] | None = None, resources: Iterable[str] | None = None,
          kinds: Iterable[str] | None = None, context: str = "hub", include_anonymous: bool = False,
          evaluator=None, progress: bool = False) -> Audit:
    subjects = audit_subjects(site, users, include_anonymous)
    if site.platform == "cloud" and not kinds and not resources:
        kinds = ["app", "space"]
    targets = [site.find_resource(r) for r in resources] if resources else site.all_resources(kinds)
    if evaluator is None and site.platform == "cloud":  # space roles and tenant permissions
        from ..engine import engine_for
        evaluator = engine_for(site).granted
        kinds = kinds or ["app", "space"]
    if evaluator is None:  # the fast path; the reference evaluator stays the oracle (tests/test_fast.py)
        from ..fast import fast_evaluator
        evaluator = fast_evaluator(site)
    evaluate = evaluator
    result = Audit(context, users=[u.qualified for u in subjects], resources=[t.ref for t in targets])
    total = len(subjects) * len(targets)
    show = progress and sys.stderr.isatty() and total > 2000
    started, done = time.monotonic(), 0
    class_of = getattr(evaluate, "class_of", None)  # users the rules cannot tell apart share answers
    shared: dict[tuple, dict] = {}
    for user in subjects:
        group = class_of(user) if class_of is not None else None
        for target in targets:
            if group is None:
                granted = evaluate(user, target, context)
            else:
                key = (group, target.key)
                granted = shared.get(key)
                if granted is None:
                    granted = shared[key] = evaluate(user, target, context)
            done += 1
            if show and done % 500 == 0:
                _progress(done, total, started)
            if not granted:
                continue
            rules = []
            for names in granted.values():
                rules.extend(n for n in names if n not in rules)
            result.cells.append(AuditCell(user.qualified, target.ref, sort_actions(granted), rules))
            result.rules_by_action[(user.qualified, target.ref)] = granted
    if show:
        sys.stderr.write("\r" + " " * 60 + "\r")
    return result


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total)
    rate = done / max(time.monotonic() - started, 1e-6)
    left = (total - done) / rate
    sys.stderr.write(f"\raudit [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  ~{left:.0f}s left")
    sys.stderr.flush()


def render_table(result: Audit) -> str:
    """Resources down, users across, QMC letters in the cells (as the audit page shows them)."""
    users = [u for u in result.users if any(c.user == u for c in result.cells)]
    resources = [r for r in result.resources if any(c.resource == r for c in result.cells)]
    if not users:
        return f"no access granted in the {result.context} to the selected users and resources\n"
    from ..rules.actions import ACTION_LETTERS
    lookup = {(c.user, c.resource): c.letters if all(a in ACTION_LETTERS for a in c.actions)
              else _short_actions(c.actions) for c in result.cells}
    short = {u: "anonymous" if u.startswith("NONE\\anonymous") else u if len(u) <= 18 else u[:8] + "…" + u[-8:]
             for u in users}
    rw = max(len(r) for r in resources)
    widths = [max([len(short[u]), 4] + [len(lookup.get((u, r)) or "") for r in resources]) for u in users]
    cloud = any(not c.letters or len(c.letters) < len(c.actions) for c in result.cells)
    legend = ("Qlik Cloud actions, abbreviated by initials: o open, p publish, sa share app, cl copy link, "
              "cec copy embed code, taa toggle anonymous access, rac reset access code, ss see space, "
              "mm manage members, ..." if cloud else
              "letters: C create, R read, U update, D delete, E export, A export data, T duplicate, M offline, "
              "P publish, O change owner, V approve")
    lines = [f"audit, context {result.context} ({legend})", ""]
    lines.append(" " * rw + "  " + "  ".join(short[u].ljust(w) for u, w in zip(users, widths)))
    for r in resources:
        lines.append(r.ljust(rw) + "  " + "  ".join((lookup.get((u, r)) or "-").ljust(w)
                                                      for u, w in zip(users, widths)).rstrip())
    return "\n".join(lines) + "\n"


def _short_actions(actions: list[str]) -> str:
    """Actions without a QMC audit letter (Qlik Cloud's), abbreviated: copy_link -> cl."""
    return ",".join("".join(w[0] for w in a.split("_")) for a in actions)


def render_csv(result: Audit) -> str:
    import csv
    import io
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["user", "resource", "context", "letters", "actions", "rules"])
    for c in result.cells:
        writer.writerow([c.user, c.resource, result.context, c.letters, " ".join(c.actions), "; ".join(c.rules)])
    return buf.getvalue()
