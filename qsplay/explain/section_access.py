"""Section access in the explanations: why-not's row to add, the audit's "opens the app" and "sees which
values", and lint findings on the table (cited in qsplay/engine/section_access.py)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..engine.section_access import app_opened, evaluate
from ..model import Site
from ..model.section_access import SCHEDULER, STAR
from . import edits as E


def row_candidates(site: Site, decision) -> list[list[E.Edit]]:
    """The rows that would let this user open the app: one for the user (USERID), and one per group of
    theirs when the table has GROUP; each with a reduction value that exists in the data."""
    resource = site.find_resource(decision.request.resource)
    app = app_opened(resource, decision.request.action, decision.request.context)
    if app is None or app.section_access is None:
        return []
    table = app.section_access
    user = decision.identity.user
    values = {}
    for name in table.reduction_fields:
        data = (table.data or {}).get(name)
        choices = [v for v in (data or []) if v == v.upper()] or table.listed(name)
        if choices:
            values[name] = choices[0]
    base = {f: "" for f in table.fields}
    out = []
    row = {**base, "ACCESS": "USER", **values}
    if "USERID" in table.fields:
        row["USERID"] = user.qualified.upper()
        if "GROUP" in table.fields:
            row["GROUP"] = STAR
        out.append([E.add_section_access_row(app.name, _clean(row), table)])
    if "GROUP" in table.fields:
        for group in getattr(user, "groups", [])[:3]:
            grow = {**base, "ACCESS": "USER", **values, "GROUP": group.upper()}
            if "USERID" in table.fields:
                grow["USERID"] = STAR
            out.append([E.add_section_access_row(app.name, _clean(grow), table)])
    return out


def _clean(row: dict) -> dict:
    return {k: v for k, v in row.items() if v != "" or k in ("ACCESS", "USERID")}


@dataclass
class OpenCell:
    user: str
    app: str
    opens: bool
    access: str | None
    sees: dict | None  # field -> values; None: all data
    omitted: list
    reason: str

    def to_dict(self) -> dict:
        return {"user": self.user, "app": self.app, "opens": self.opens, "access": self.access, "sees": self.sees,
                "omitted": list(self.omitted), "reason": self.reason}


def section_access_audit(site: Site, users, apps=None) -> list[OpenCell]:
    """For each app with section access and each user the security rules let read it (in the hub): opens
    the app, and sees which values."""
    from ..engine import engine_for
    security = engine_for(site).security
    out = []
    for app in apps if apps is not None else site.apps:
        if getattr(app, "section_access", None) is None:
            continue
        for user in users:
            if not security.evaluate(user, app, "read", "hub", trace=False).allowed:
                continue
            r = evaluate(app.section_access, user, app.ref, site.semantics)
            out.append(OpenCell(user.qualified, app.ref, r.allowed, r.access, r.reduction, r.omitted, r.reason))
    return out


def render_opens(cells: list[OpenCell]) -> str:
    if not cells:
        return ""
    lines = ["", "Section access (users the rules let read the app): opens the app, and sees which values"]
    for c in cells:
        sees = "all data" if c.sees is None else "; ".join(f"{k} = {', '.join(v)}" for k, v in c.sees.items()) \
            or "no reduction"
        omitted = f"; omitted: {', '.join(c.omitted)}" if c.omitted else ""
        what = f"opens ({c.access}): {sees}{omitted}" if c.opens else f"cannot open: {c.reason.split(': ', 1)[0]}"
        lines.append(f"  {c.user:<24} {c.app:<28} {what}")
    return "\n".join(lines) + "\n"


def lint_section_access(site: Site) -> list[Finding]:
    from .lint import Finding  # lint imports this module lazily
    out: list[Finding] = []
    groups = {g.upper() for u in site.users for g in u.groups}
    for app in site.apps:
        table = app.section_access
        if table is None:
            continue
        ref = f"section access of {app.ref}"
        if not table.has_scheduler():
            out.append(Finding(
                "section-access-no-scheduler", ref, f"no row gives {SCHEDULER} access: a scheduled reload of the app "
                f"fails (Qlik's QSEoW example has ADMIN, {SCHEDULER})",
                f"add the row {{ACCESS: ADMIN, USERID: {SCHEDULER}}}"))
        for name, values in (table.data or {}).items():
            lower = [v for v in values if v != v.upper()]
            if name.upper() in table.reduction_fields and name != name.upper():
                out.append(Finding("section-access-lower-case-data", ref,
                                        f"the data field {name!r} is not upper-case, so it does not link to "
                                        f"{name.upper()} (section access names are upper-cased)",
                                        f"load it as Upper-case: LOAD ... AS {name.upper()}"))
            if lower and name.upper() in table.reduction_fields:
                out.append(Finding("section-access-lower-case-data", ref,
                                        f"{len(lower)} value(s) of {name} in the data are not upper-case "
                                        f"({', '.join(lower[:5])}): section access values are upper-cased, so no "
                                        f"user can be reduced to them",
                                        f"load the field with Upper({name}) in Section Application"))
        seen = Counter(tuple(sorted(r.values.items())) for r in table.rows)
        for values, n in seen.items():
            if n > 1:
                shown = ", ".join(f"{k}={v}" for k, v in values if v)
                out.append(Finding("section-access-duplicate-row", ref, f"the row {shown} appears {n} times",
                                        "remove the copies"))
        if "GROUP" in table.fields:
            for group in table.listed("GROUP"):
                if group not in groups:
                    out.append(Finding("section-access-unknown-group", ref,
                                            f"no user of the site is in the GROUP {group} (groups are compared "
                                            f"upper-cased)", "check the group's name against the user directory"))
    return out


def opening_apps(site: Site) -> set[tuple[str, str]]:
    """(user, app) pairs where the user opens an app with section access: the security rules let them read
    it and the table lets them in (why-not's also_gains compares these before and after an edit)."""
    from ..engine import engine_for
    security = engine_for(site).security
    out = set()
    for app in site.apps:
        if app.section_access is None:
            continue
        for user in site.users:
            if evaluate(app.section_access, user, app.ref, site.semantics).allowed and \
                    security.evaluate(user, app, "read", "hub", trace=False).allowed:
                out.add((user.qualified, app.ref))
    return out
