"""The audit matrix: which user may do what to which resource, and by which rules.

Like the QMC audit page ("The audit tools only show rules as they are applied to existing
resources"; "Only users with access rights ... are shown"), cells exist only where something is
granted, and letters follow the audit legend. The licence is not part of a security audit (the QMC
audits licence rules separately).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from ..engine.authentication import anonymous_user
from ..engine.security import SecurityEngine
from ..model import Entity, Site, User
from ..rules.actions import ACTIONS, letters, sort_actions
from ..safe_text import one_line


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


class Audit:
    """The matrix, stored compressed: a class per resource and, per class, the users each rule grants
    each action to (bits of an int, qsplay.fast.compressed) — or, from the cell-by-cell path, a class
    per user and an answer per pair of classes — plus exceptional cells (an owner's own resources)
    stored apart. Cells are produced on demand, so a 10^8-cell site is audited without building 10^8
    objects; `count()`, `summary()` and `granted()` answer without producing them."""

    def __init__(self, context: str, users: list[str], resources: list[str], user_class: list | None = None,
                 resource_class: list | None = None, answers: dict | None = None, exceptions: dict | None = None,
                 stats: dict | None = None, columns: dict | None = None, narrowed: bool = False):
        self.context, self.users, self.resources = context, users, resources
        self.user_class = user_class if user_class is not None else list(range(len(users)))
        self.resource_class = resource_class if resource_class is not None else list(range(len(resources)))
        self.answers = answers if answers is not None else {}  # (user class, resource class) -> {action: [rules]}
        self.columns = columns  # resource class -> {action: [(rule, users as bits)]}, instead of answers
        self.exceptions = exceptions if exceptions is not None else {}  # (user index, resource index) -> ...
        self.stats = stats or {}
        self.narrowed = narrowed  # the users or resources were chosen: show what was asked for, whatever its size
        self._user_index = {u: i for i, u in enumerate(users)}
        self._resource_index = {r: i for i, r in enumerate(resources)}
        self._cells: list[AuditCell] | None = None
        self.refused: dict[str, str] = {}  # user -> why the proxy refuses them (their cells are empty)

    def _by_class(self, ui: int, ri: int) -> dict:
        if self.columns is not None:
            from ..fast.compressed import at
            column = self.columns.get(self.resource_class[ri])
            return at(column, ui) if column else {}
        return self.answers.get((self.user_class[ui], self.resource_class[ri])) or {}

    def _at(self, ui: int, ri: int) -> dict:
        got = self.exceptions.get((ui, ri))
        if got is not None:
            return got
        return self._by_class(ui, ri)

    def granted(self, user: str, resource: str) -> dict:
        """{action: [granting rules]} for one cell; {} when nothing is granted."""
        ui, ri = self._user_index.get(user), self._resource_index.get(resource)
        return {} if ui is None or ri is None else self._at(ui, ri)

    def _members(self) -> dict[int, list[int]]:
        by_class: dict[int, list[int]] = {}
        for ri, rc in enumerate(self.resource_class):
            by_class.setdefault(rc, []).append(ri)
        return by_class

    def _granting_resources(self) -> dict[int, list[int]]:
        """user index (columns) or user class -> resource indices where something may be granted."""
        by_class = self._members()
        out: dict[int, list[int]] = {}
        if self.columns is not None:
            from ..fast.bitsets import members
            for rc, column in self.columns.items():
                anyone = 0
                for grants in column.values():
                    for _, bits in grants:
                        anyone |= bits
                for ui in members(anyone):
                    out.setdefault(ui, []).extend(by_class.get(rc, ()))
        else:
            for (uc, rc) in self.answers:
                out.setdefault(uc, []).extend(by_class.get(rc, ()))
        for indices in out.values():
            indices.sort()
        return out

    def iter_cells(self):
        """Granted cells, user by user, resources in order."""
        granting = self._granting_resources()
        extra: dict[int, list[int]] = {}
        for ui, ri in self.exceptions:
            extra.setdefault(ui, []).append(ri)
        for ui, user in enumerate(self.users):
            indices = granting.get(ui if self.columns is not None else self.user_class[ui], [])
            if ui in extra:
                indices = sorted(set(indices) | set(extra[ui]))
            for ri in indices:
                granted = self._at(ui, ri)
                if granted:
                    rules: list[str] = []
                    for action in sort_actions(granted):  # in action order, whichever evaluator answered
                        rules.extend(n for n in granted[action] if n not in rules)
                    yield AuditCell(user, self.resources[ri], sort_actions(granted), rules)

    def _class_counts(self):
        """Per resource class and action, how many cells grant it ("*": anything), from the classes."""
        resources_in: dict[int, int] = {}
        for rc in self.resource_class:
            resources_in[rc] = resources_in.get(rc, 0) + 1
        counts: dict[int, dict[str, int]] = {}
        if self.columns is not None:
            for rc, column in self.columns.items():
                anyone, per = 0, {}
                for action, grants in column.items():
                    bits = 0
                    for _, b in grants:
                        bits |= b
                    anyone |= bits
                    per[action] = bits.bit_count() * resources_in.get(rc, 0)
                per["*"] = anyone.bit_count() * resources_in.get(rc, 0)
                counts[rc] = per
        else:
            users_in: dict[int, int] = {}
            for uc in self.user_class:
                users_in[uc] = users_in.get(uc, 0) + 1
            for (uc, rc), granted in self.answers.items():
                n = users_in.get(uc, 0) * resources_in.get(rc, 0)
                per = counts.setdefault(rc, {})
                for action in [*granted, "*"]:
                    per[action] = per.get(action, 0) + n
        return counts

    def count(self) -> int:
        """How many cells grant something, counted per class (no cell is built)."""
        total = sum(per.get("*", 0) for per in self._class_counts().values())
        for (ui, ri), granted in self.exceptions.items():
            total += bool(granted) - bool(self._by_class(ui, ri))
        return total

    def summary(self) -> dict:
        """Counts without producing cells: granted cells per resource kind and action, classes."""
        kind_of: dict[int, str] = {}
        for ri, rc in enumerate(self.resource_class):
            kind_of.setdefault(rc, self.resources[ri].partition(":")[0])
        by_kind: dict[str, dict[str, int]] = {}

        def add(kind: str, granted, n: int) -> None:
            counts = by_kind.setdefault(kind, {})
            for action in granted:
                counts[action] = counts.get(action, 0) + n
        total = 0
        for rc, per in self._class_counts().items():
            total += per.get("*", 0)
            kind = kind_of.get(rc, "?")
            counts = by_kind.setdefault(kind, {})
            for action, n in per.items():
                if action != "*":
                    counts[action] = counts.get(action, 0) + n
        for (ui, ri), granted in self.exceptions.items():
            kind = self.resources[ri].partition(":")[0]
            by_class = self._by_class(ui, ri)
            add(kind, by_class, -1)
            add(kind, granted, 1)
            total += bool(granted) - bool(by_class)
        order = {a: i for i, a in enumerate(ACTIONS)}
        return {"context": self.context, "users": len(self.users), "resources": len(self.resources),
                "cells": len(self.users) * len(self.resources), "granted_cells": total,
                "granted_by_kind_and_action": {k: {a: v[a] for a in sorted(v, key=lambda a: order.get(a, 99)) if v[a]}
                                               for k, v in by_kind.items()},
                "evaluation": dict(self.stats)}

    @property
    def cells(self) -> list[AuditCell]:
        if self._cells is None:
            self._cells = list(self.iter_cells())
        return self._cells

    @property
    def rules_by_action(self) -> dict:
        """(user, resource) -> {action: [rules]}, for every granted cell."""
        return {(c.user, c.resource): self.granted(c.user, c.resource) for c in self.cells}

    def cell(self, user: str, resource: str) -> AuditCell | None:
        granted = self.granted(user, resource)
        if not granted:
            return None
        rules: list[str] = []
        for action in sort_actions(granted):
            rules.extend(n for n in granted[action] if n not in rules)
        return AuditCell(user, resource, sort_actions(granted), rules)

    def grants(self) -> set[tuple[str, str, str]]:
        return {(c.user, c.resource, a) for c in self.cells for a in c.actions}

    def to_dict(self) -> dict:
        out = {"context": self.context, "cells": [c.to_dict() for c in self.cells]}
        if self.refused:
            out["refused"] = dict(self.refused)
        return out

    def refused_note(self) -> str:
        return "".join(f"{user}: refused at authentication ({why}), as decide and can say: no licence or rule "
                       f"is reached, so nothing is granted\n" for user, why in self.refused.items())


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
    """Who may do what, as decide answers it: a user the proxy refuses (inactive, blocked, removed)
    reaches no rule, so their cells are empty and `refused` says why."""
    result = _audit(site, users, resources, kinds, context, include_anonymous, evaluator, progress)
    if site.platform == "cloud":
        return result
    from ..engine.authentication import refused_because
    subjects = audit_subjects(site, users, include_anonymous)
    refused = {u.qualified: why for u in subjects if not u.is_anonymous and (why := refused_because(u))}
    if refused:
        if result.columns is not None:  # users are bits: clear theirs
            keep = ~sum(1 << ui for ui, user in enumerate(result.users) if user in refused)
            result.columns = {rc: {action: [(rule, bits & keep) for rule, bits in grants if bits & keep]
                                   for action, grants in column.items()}
                              for rc, column in result.columns.items()}
        else:
            empty = max(result.user_class, default=-1) + 1  # a class of their own, with no answers
            for ui, user in enumerate(result.users):
                if user in refused:
                    result.user_class[ui] = empty
        result.exceptions = {k: v for k, v in result.exceptions.items() if result.users[k[0]] not in refused}
        result._cells = None
    result.refused = refused
    return result


def _audit(site: Site, users, resources, kinds, context: str, include_anonymous: bool, evaluator,
           progress: bool) -> Audit:
    users_given = bool(users)
    subjects = audit_subjects(site, users, include_anonymous)
    if site.platform == "cloud" and not kinds and not resources:
        kinds = ["app", "space"]
    targets = [site.find_resource(r) for r in resources] if resources else site.all_resources(kinds)
    if evaluator is None and site.platform == "cloud":  # space roles and tenant permissions
        from ..engine import engine_for
        evaluator = engine_for(site).granted
        kinds = kinds or ["app", "space"]
    users, refs = [u.qualified for u in subjects], [site.ref_of(t) for t in targets]
    if evaluator is None:  # the fast path: classes of users and resources (qsplay.fast.compressed)
        from ..fast.compressed import Uncompressible, compressed_audit
        try:
            c = compressed_audit(site, subjects, targets, context)
            return Audit(context, users, refs, None, c.resource_class, None, c.exceptions, c.stats, c.columns,
                         narrowed=bool(users_given or resources))
        except Uncompressible as why:
            from ..fast import fast_evaluator
            evaluator = fast_evaluator(site)
            note = str(why)
        else:
            note = ""
    else:
        note = ""
    # cell by cell; users an evaluator puts in one class share answers
    total = len(subjects) * len(targets)
    show = progress and sys.stderr.isatty() and total > 2000
    started, done = time.monotonic(), 0
    class_of = getattr(evaluator, "class_of", None)
    classes: dict[tuple, int] = {}
    user_class, answers = [], {}
    for ui, user in enumerate(subjects):
        group = class_of(user) if class_of is not None else ("user", ui)
        known = group in classes
        uc = classes.setdefault(group, len(classes))
        user_class.append(uc)
        if known:
            done += len(targets)
            continue  # this class is already answered
        for ri, target in enumerate(targets):
            granted = evaluator(user, target, context)
            if granted:
                answers[(uc, ri)] = granted
            done += 1
            if show and done % 500 == 0:
                _progress(done, total, started)
    if show:
        sys.stderr.write("\r" + " " * 60 + "\r")
    stats = {"user_classes": len(classes), "resource_classes": len(targets)}
    if note:
        stats["uncompressed_because"] = note
    return Audit(context, users, refs, user_class, None, answers, None, stats, narrowed=bool(users_given or resources))


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total)
    rate = done / max(time.monotonic() - started, 1e-6)
    left = (total - done) / rate
    sys.stderr.write(f"\raudit [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  ~{left:.0f}s left")
    sys.stderr.flush()


TABLE_LIMIT = 20000  # granted cells; beyond this a table helps nobody, a summary does


def render_summary(result: Audit) -> str:
    return _render_summary(result) + result.refused_note()


def _render_summary(result: Audit) -> str:
    s = result.summary()
    lines = [f"audit, context {s['context']}: {s['users']:,} users x {s['resources']:,} resources = "
             f"{s['cells']:,} cells, {s['granted_cells']:,} grant something"]
    for kind, counts in s["granted_by_kind_and_action"].items():
        lines.append(f"  {kind}: " + ", ".join(f"{a} {n:,}" for a, n in counts.items()))
    ev = s["evaluation"]
    if "resource_classes" in ev and "owner_evaluations" in ev:
        lines.append(f"evaluated once per resource class for all users at once: {ev['resource_classes']:,} "
                     f"resource classes, plus {ev['owner_evaluations']:,} owners' evaluations")
    return "\n".join(lines) + "\n"


def render_table(result: Audit) -> str:
    """Resources down, users across, QMC letters in the cells (as the audit page shows them)."""
    if not result.narrowed and result.count() > TABLE_LIMIT:
        return (render_summary(result) + f"(more than {TABLE_LIMIT:,} granted cells: narrow it with --user, "
                f"--resource or --type, or write every cell with --format csv)\n")
    with_cells = {c.user for c in result.cells}, {c.resource for c in result.cells}  # sets: one pass
    users = [u for u in result.users if u in with_cells[0]]
    resources = [r for r in result.resources if r in with_cells[1]]
    shown = {r: one_line(r) for r in resources}  # a name with a line break cannot forge rows
    if not users:
        return (f"no access granted in the {result.context} to the selected users and resources\n"
                + result.refused_note())
    from ..rules.actions import ACTION_LETTERS
    lookup = {(c.user, c.resource): c.letters if all(a in ACTION_LETTERS for a in c.actions)
              else _short_actions(c.actions) for c in result.cells}
    short = {u: one_line("anonymous" if u.startswith("NONE\\anonymous") else u if len(u) <= 18 else u[:8] + "…" + u[-8:])
             for u in users}
    rw = max(len(shown[r]) for r in resources)
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
        lines.append(shown[r].ljust(rw) + "  " + "  ".join((lookup.get((u, r)) or "-").ljust(w)
                                                      for u, w in zip(users, widths)).rstrip())
    return "\n".join(lines) + "\n" + result.refused_note()


def _short_actions(actions: list[str]) -> str:
    """Actions without a QMC audit letter (Qlik Cloud's), abbreviated: copy_link -> cl."""
    return ",".join("".join(w[0] for w in a.split("_")) for a in actions)


def render_csv(result: Audit) -> str:
    from ..safe_text import csv_text
    return csv_text(["user", "resource", "context", "letters", "actions", "rules"],
                    ([c.user, c.resource, result.context, c.letters, " ".join(c.actions), "; ".join(c.rules)]
                     for c in result.cells))
