"""The fourth phase: section access, when a user opens an app (or a sheet in it) in the hub.

Order (Qlik help, "Open app" troubleshooting, sense-admin November2022): the repository checks that
the security rules let the user open the app, then "the QES checks the access to the data set in
the app" -- section access, in the app's load script. What qsplay applies, each with its source:

- ACCESS is ADMIN or USER; "If no valid access level is assigned, the user cannot open the app."
  USERID is the proxy's DOMAIN\\USER; GROUP is one of the user's groups; OMIT removes fields.
  (help "Managing data security with section access")
- Field names and values are upper-cased: "All field names and field values listed in Section
  Access are always converted to upper case" (same page); the app's data is not, so a lower-case
  value in the data matches nothing.
- `*` in a reduction field or OMIT "represents the values listed in this field in section access.
  It does not represent other values that may exist in the data" (help "Star").
- Reduction values act as selections and "in Qlik Sense Strict Exclusion is always ON": a user
  whose values match nothing in the data "is denied access to the application" (Qlik Support,
  "Section Access: Strict Exclusion").
- Users absent from the table cannot open the app (bitmetric "Qlik section access pitfalls").
- A scheduled reload runs as INTERNAL\\SA_SCHEDULER, which needs a row (Qlik's QSEoW example
  `ADMIN, INTERNAL\\SA_SCHEDULER`); without it the server reload fails.

Readings the sources leave open are semantics options (section_access_star_identity,
section_access_empty_identity, section_access_admin), said in every trace that depends on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model.section_access import ACCESS_LEVELS, IDENTITY_FIELDS, SCHEDULER, STAR, SectionAccess
from .decision import Step

# Qlik's hub wording for a section access refusal is UNCONFIRMED; the engine's error is
# LOCERR_GENERIC_ACCESS_DENIED (5) (Engine API, NxLocalizedErrorCode).
DENIED_MESSAGE = "Access denied"


@dataclass
class SectionAccessResult:
    app: str  # the app's reference
    has_table: bool  # the app has section access at all
    allowed: bool = True
    access: str | None = None  # ADMIN | USER, the level the user gets
    rows: list[dict] = field(default_factory=list)  # the rows that matched the user
    reduction: dict[str, list[str]] | None = None  # field -> values the user sees (None: all data)
    omitted: list[str] = field(default_factory=list)
    reason: str = ""
    message: str | None = None
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def to_dict(self) -> dict:
        return {"app": self.app, "has_section_access": self.has_table, "allowed": self.allowed,
                "access": self.access, "matched_rows": list(self.rows),
                "reduction": None if self.reduction is None else {k: list(v) for k, v in self.reduction.items()},
                "omitted": list(self.omitted), "reason": self.reason, "message": self.message,
                "notes": list(self.notes), "source": self.source}


def app_opened(resource, action: str, context: str):
    """The app a request opens (an app, or the app of a sheet or other object), or None: section access
    applies when data is opened -- reading in the hub -- not to QMC management."""
    if context != "hub" or action != "read":
        return None
    kind = getattr(resource, "kind", "")
    if kind == "App":
        return resource
    if kind == "App.Object":
        return resource.app
    return None


def evaluate(table: SectionAccess | None, user, app_ref: str, semantics) -> SectionAccessResult:
    if table is None:
        return SectionAccessResult(app_ref, False, reason=f"{app_ref} has no section access: whoever may open "
                                                         f"it sees all its data")
    result = SectionAccessResult(app_ref, True, source=table.source)
    who = user.qualified.upper()
    groups = {g.upper() for g in getattr(user, "groups", [])}
    star_any = semantics.section_access_star_identity == "any_user"
    empty_none = semantics.section_access_empty_identity == "matches_none"
    used_star = used_empty = False
    matched = []
    for row in table.rows:
        ok = True
        for name in IDENTITY_FIELDS:
            if name not in table.fields:
                continue
            cell = row.get(name)
            if cell == STAR:
                used_star = True
                if star_any:
                    ok = True
                elif name == "USERID":
                    ok = who in table.listed(name)
                else:
                    ok = bool(groups & set(table.listed(name)))
            elif cell == "":
                used_empty = True
                ok = not empty_none
            else:
                ok = cell == who if name == "USERID" else cell in groups
            if not ok:
                break
        if ok:
            matched.append(row)
    if used_star:
        result.notes.append(f"'*' in USERID/GROUP read as semantics section_access_star_identity="
                            f"{semantics.section_access_star_identity} (UNCONFIRMED)")
    if used_empty:
        result.notes.append(f"an empty USERID/GROUP cell read as semantics section_access_empty_identity="
                            f"{semantics.section_access_empty_identity} (UNCONFIRMED)")
    if not table.has_scheduler():
        result.notes.append(f"no row gives {SCHEDULER} access, so a scheduled reload of this app fails "
                            f"(Qlik's QSEoW example has ADMIN, {SCHEDULER})")
    result.notes.extend(table.notes)
    result.rows = [{"row": r.number, "values": dict(r.values), "where": r.where} for r in matched]
    if not matched:
        groups_text = f" or their groups ({', '.join(sorted(groups))})" if "GROUP" in table.fields and groups else ""
        return _deny(result, f"no row of the section access table matches {who}{groups_text}: users absent from "
                             f"the table cannot open the app")
    valid = [r for r in matched if r.get("ACCESS") in ACCESS_LEVELS]
    if not valid:
        levels = ", ".join(sorted({r.get("ACCESS") or "(empty)" for r in matched}))
        return _deny(result, f"the matching row(s) give ACCESS {levels}, not ADMIN or USER: \"If no valid access "
                             f"level is assigned, the user cannot open the app\"")
    omitted = []
    for r in valid:
        cell = r.get("OMIT")
        for name in (table.listed("OMIT") if cell == STAR else [cell] if cell else []):
            if name not in omitted:
                omitted.append(name)
    result.omitted = omitted
    admin = any(r.get("ACCESS") == "ADMIN" for r in valid)
    result.access = "ADMIN" if admin else "USER"
    if admin and semantics.section_access_admin == "all_data":
        result.reason = (f"row {', '.join(str(r.number) for r in valid if r.get('ACCESS') == 'ADMIN')} gives ADMIN: "
                         f"all data (semantics section_access_admin=all_data)")
        return result
    considered = valid if not admin else [r for r in valid if r.get("ACCESS") == "ADMIN"]
    reduction: dict[str, list[str]] = {}
    for name in table.reduction_fields:
        values: list[str] = []
        for r in considered:
            cell = r.get(name)
            for v in (table.listed(name) if cell == STAR else [cell] if cell else []):
                if v not in values:
                    values.append(v)
        seen_in_data, why = _in_data(table, name, values)
        if why:
            result.notes.append(why)
        if not seen_in_data:
            result.reduction = reduction
            listed = ", ".join(values) if values else "none"
            return _deny(result, f"strict exclusion: the reduction values for {name} ({listed}) match nothing in "
                                 f"the app's data, so the user is denied the app (Qlik Sense: strict exclusion is "
                                 f"always on)")
        reduction[name] = seen_in_data
    result.reduction = reduction
    shown = "; ".join(f"{k} = {', '.join(v)}" for k, v in reduction.items()) or "no reduction fields"
    rows = ", ".join(str(r.number) for r in considered)
    result.reason = f"row{'s' if len(considered) > 1 else ''} {rows} give{'s' if len(considered) == 1 else ''} " \
                    f"{result.access}: sees {shown}"
    return result


def _in_data(table: SectionAccess, name: str, values: list[str]) -> tuple[list[str], str | None]:
    """The values that select something in the app's data (case-sensitive: the data is not upper-cased)."""
    data = table.data or {}
    if name not in data:
        near = [k for k in data if k.upper() == name]
        if near:
            return [], (f"the app's data has a field {near[0]!r}, not {name}: a reduction field must be upper-case "
                        f"in the data too, so it does not link")
        return list(values), (f"the app's data values for {name} are not given (section_access.data), so strict "
                              f"exclusion is not checked for it") if values else None
    present = set(data[name])
    hits = [v for v in values if v in present]
    lower = [d for d in data[name] if d != d.upper() and d.upper() in values]
    if lower:
        return hits, (f"the data has {', '.join(lower[:5])} in {name}: section access values are upper-cased, so "
                      f"lower-case data values match nothing")
    return hits, None


def _deny(result: SectionAccessResult, reason: str) -> SectionAccessResult:
    result.allowed = False
    result.reason = reason
    result.message = DENIED_MESSAGE
    return result


def steps_for(result: SectionAccessResult) -> list[Step]:
    """The trace: which row matched (or that none did), the reduction and the omitted fields."""
    phase = "section_access"
    if not result.has_table:
        return [Step(phase, result.reason + ".", "info")]
    steps = [Step(phase, f"{result.app} has section access (from {result.source}); the engine checks the "
                         f"user against it when the app opens.", "info")]
    for row in result.rows:
        values = ", ".join(f"{k}={v}" if v else f"{k}=(empty)" for k, v in row["values"].items())
        steps.append(Step(phase, f"Row {row['row']} matches: {values}.", "pass", detail={"row": row}))
    if not result.rows:
        steps.append(Step(phase, "No row matches.", "fail"))
    for note in result.notes:
        steps.append(Step(phase, note, "note"))
    if result.omitted:
        steps.append(Step(phase, f"Fields omitted for this user: {', '.join(result.omitted)}.", "info"))
    if result.allowed:
        steps.append(Step(phase, f"The app opens: {result.reason}.", "pass",
                          detail={"reduction": result.reduction, "omitted": result.omitted}))
    else:
        steps.append(Step(phase, f"Denied: {result.reason}. Hub: \"{DENIED_MESSAGE}\" (wording UNCONFIRMED).",
                          "fail"))
    return steps
