"""Preview a change: apply edits to a copy of the site and show the audit diff — who gains and
who loses which actions on what (the QMC's rule preview, as a diff you can save)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Site
from .audit import Audit, audit
from .edits import Edit, apply_edits


@dataclass
class Change:
    user: str
    resource: str
    gained: list[str]
    lost: list[str]

    def to_dict(self) -> dict:
        return {"user": self.user, "resource": self.resource, "gained": self.gained, "lost": self.lost}


@dataclass
class Preview:
    edits: list[str]
    context: str
    changes: list[Change] = field(default_factory=list)

    @property
    def gains(self) -> int:
        return sum(len(c.gained) for c in self.changes)

    @property
    def losses(self) -> int:
        return sum(len(c.lost) for c in self.changes)

    def to_dict(self) -> dict:
        return {"edits": self.edits, "context": self.context, "gained": self.gains, "lost": self.losses,
                "changes": [c.to_dict() for c in self.changes]}

    def to_text(self) -> str:
        head = "; ".join(self.edits)
        if not self.changes:
            return f"preview ({self.context}): {head}\nno one gains or loses anything\n"
        lines = [f"preview ({self.context}): {head}",
                 f"{self.gains} action(s) gained, {self.losses} lost, for "
                 f"{len({c.user for c in self.changes})} user(s)", ""]
        for c in self.changes:
            parts = []
            if c.gained:
                parts.append("+ " + ", ".join(c.gained))
            if c.lost:
                parts.append("- " + ", ".join(c.lost))
            lines.append(f"  {c.user}  {c.resource}  {'  '.join(parts)}")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        from ..safe_text import csv_text
        rows = []
        for c in self.changes:
            rows += [[c.user, c.resource, "gained", a] for a in c.gained]
            rows += [[c.user, c.resource, "lost", a] for a in c.lost]
        return csv_text(["user", "resource", "change", "action"], rows)


def diff_audits(before: Audit, after: Audit) -> list[Change]:
    old = {(c.user, c.resource): set(c.actions) for c in before.cells}
    new = {(c.user, c.resource): set(c.actions) for c in after.cells}
    from ..rules.actions import sort_actions
    changes = []
    for key in sorted(set(old) | set(new)):
        gained = sort_actions(new.get(key, set()) - old.get(key, set()))
        lost = sort_actions(old.get(key, set()) - new.get(key, set()))
        if gained or lost:
            changes.append(Change(key[0], key[1], gained, lost))
    return changes


def preview(site: Site, edits: list[Edit], context: str = "hub", include_anonymous: bool = True,
            **audit_filters) -> tuple[Preview, Site]:
    """The audit before and after the edits (Qlik Cloud sites audit space permissions)."""
    edited = apply_edits(site, edits)
    before = audit(site, context=context, include_anonymous=include_anonymous, **audit_filters)
    after = audit(edited, context=context, include_anonymous=include_anonymous, **audit_filters)
    return Preview([e.text for e in edits], context, diff_audits(before, after)), edited
