"""Why-not for a request the licence refused: the pool and allocation facts behind it, and the
changes that would let the user in — each tried by why-not like any other suggestion.

Facts come from the licence phase's attempts (`LicenseResult.attempts`, docs/licensing.md) and the
site's licence state at the request's time (a pulled site's allocations, quarantines, capacity
minutes and login passes: `license.allocations`, docs/scenario-format.md). Fixes, in the QMC's terms
(help "Managing professional access allocations", "Analyzer capacity", "Login access"):
- reinstate the user's own quarantined allocation ("You can reinstate quarantined ... access, to
  the same user, within seven days" — it uses no other allocation);
- deallocate the least recently used holder not used for seven days (released at once, not
  quarantined), when the pool is full;
- raise the pool by what is missing (a licence change: more allocations, capacity or overage
  minutes, tokens for a login access group);
- a licence rule for the user's group, of a type whose pool has room.
"""
from __future__ import annotations

from datetime import timedelta

from ..engine.licensing import PASSES_PER_TOKEN, UNIT_MINUTES, Licensing, pool_facts
from ..engine.state import QUARANTINE, SiteState
from ..model import Site
from ..scenario.document import entry, find_user, section
from . import edits as E

USER_BASED = ("professional", "analyzer")


def licence_facts(site: Site, decision, state: SiteState) -> list[str]:
    """One line per fact that made an access type unavailable to this user."""
    lic, out = site.license, []
    user = decision.identity.user if decision.identity else None
    for attempt in decision.license.attempts if decision.license else []:
        t, code = attempt["access_type"], attempt["code"]
        if code == "pool_exhausted":
            out.append(f"{t}: {pool_facts(state, t, getattr(lic, t))}")
        elif code == "quarantined" and user is not None:
            parked = state.quarantined(user.key, t)
            if parked is not None:
                used = f", last used {parked.last_used:%Y-%m-%d %H:%M}" if parked.last_used else ""
                out.append(f"{t}: {user.qualified}'s allocation is quarantined until {parked.until:%Y-%m-%d %H:%M} "
                           f"UTC{used}; only {user.qualified} can have it back (reinstate)")
        elif code == "minutes_used_up":
            nxt = (state.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
            over = f" + {lic.overage_minutes} overage" if lic.overage_minutes else ""
            out.append(f"analyzer capacity: {state.capacity_used()} of {lic.analyzer_capacity_minutes}{over} minutes "
                       f"used in {state.now:%Y-%m}; they return {nxt:%Y-%m-%d} 00:00 UTC")
        elif code == "passes_used_up":
            for rule in _login_rules(site, attempt.get("rule")):
                passes = rule.tokens * PASSES_PER_TOKEN
                back = state.next_pass_return(rule.name)
                when = f"; the next returns {back:%Y-%m-%d %H:%M} UTC" if back else ""
                out.append(f"login access \"{rule.name}\": {state.passes_used(rule.name)} of {passes} passes used in the "
                           f"last 28 days ({rule.tokens} token(s)){when}")
        elif code == "no_tokens":
            out.append(f"tokens: {lic.tokens} in the licence, {Licensing(site).free_tokens(state)} free")
        elif code == "excess" and user is not None:
            out.append(f"{t}: {user.qualified}'s allocation is flagged excess by QRS (beyond the licence's quota)")
    return out


def licence_candidates(site: Site, decision, state: SiteState) -> list[list[E.Edit]]:
    """Changes that may let a named user in, for why-not to try."""
    user = decision.identity.user
    lic, out = site.license, []
    codes = {a["access_type"]: a for a in (decision.license.attempts if decision.license else [])}
    for t in USER_BASED:
        attempt = codes.get(t, {})
        code = attempt.get("code")
        if code == "quarantined":
            out.append([reinstate(user.qualified, t)])
            continue
        pool = getattr(lic, t)
        free = pool - state.in_use(t)
        if free > 0:
            if code == "no_rule":
                out.append([E.allocate_access(user.qualified, t)])
                group = user.groups[0] if user.groups else None
                if group:
                    out.append([E.add_license_rule(f"{group} get {t} access", t, f'user.group = "{group}"')])
            continue
        if pool == 0 and code not in ("pool_exhausted", "no_rule"):
            continue
        release_one = _releasable(site, state, t)
        grant = [] if code == "pool_exhausted" else [E.allocate_access(user.qualified, t)]
        if release_one is not None:
            out.append([release(*release_one, t)] + grant)
        if pool or code == "pool_exhausted":
            out.append([raise_pool(t, state.in_use(t) + 1)] + grant)
    attempt = codes.get("analyzer_capacity", {})
    if attempt.get("code") == "minutes_used_up":
        needed = state.capacity_used() + UNIT_MINUTES - lic.analyzer_capacity_minutes
        out.append([add_overage(max(lic.overage_minutes, 0) + max(needed, UNIT_MINUTES))])
    attempt = codes.get("login_access", {})
    if attempt.get("code") == "passes_used_up":
        for rule in _login_rules(site, attempt.get("rule")):
            out.append([add_login_tokens(rule.name, rule.tokens + 1, lic.tokens
                                         + (1 if Licensing(site).free_tokens(state) < 1 else 0))])
    return out


def _login_rules(site: Site, name: str | None):
    return [r for r in site.license_rules if r.type == "login_access" and (name is None or r.name == name)]


def _releasable(site: Site, state: SiteState, access_type: str):
    """(holder, why it is freed at once) for the least recently used allocation that deallocating
    frees at once: not used for seven days, or quarantine does not apply (semantics and key)."""
    choice = site.semantics.allocation_quarantine
    never = choice == "never" or (choice == "serial_only" and site.license.key != "serial")
    deleted = {r.user.casefold() for r in site.license.allocations if r.deleted}
    for who, alloc in reversed(state.holders(access_type)):  # least recently used first
        used = alloc.last_used
        when = f"last used {used:%Y-%m-%d}" if used else "never used"
        who_text = f"the deleted user {who}" if who.casefold() in deleted else who
        if never:
            return who_text, who, (f"{when}; released at once: semantics allocation_quarantine={choice}, "
                                   f"{site.license.key} licence key")
        if used is None or state.now - used >= QUARANTINE:
            return who_text, who, f"{when}: not used for seven days, so it is released at once, not quarantined"
    return None


# -- the edits (document form + model form, see explain/edits.py) --------------------------------------

def _allocation_item(doc, user: str, access: str):
    for item in (doc.get("license") or {}).get("allocations") or []:
        if str(item.get("user", "")).casefold() == user.casefold() and item.get("access") == access:
            return item
    return None


def _allocation_record(site: Site, user: str, access: str):
    for rec in site.license.allocations:
        if rec.user.casefold() == user.casefold() and rec.access == access:
            return rec
    return None


def reinstate(user: str, access: str) -> E.Edit:
    def apply(doc):
        item = _allocation_item(doc, user, access)
        if item is None or "quarantined_until" not in item:
            raise ValueError(f"{user} has no quarantined {access} allocation in the file")
        del item["quarantined_until"]

    def model(site):
        rec = _allocation_record(site, user, access)
        if rec is None or rec.quarantined_until is None:
            raise ValueError(f"{user} has no quarantined {access} allocation in the file")
        return E._change(rec, quarantined_until=None)
    return E.Edit("reinstate_allocation", f"reinstate {user}'s quarantined {access} allocation (QMC: License "
                                          f"management > {access.title()} access allocations > Reinstate)", apply, model)


def release(label: str, holder: str, why: str, access: str) -> E.Edit:

    def apply(doc):
        item = _allocation_item(doc, holder, access)
        if item is not None:
            doc["license"]["allocations"].remove(item)
            return
        user = find_user(doc, holder)
        if user is None or access not in (user.get("access") or []):
            raise ValueError(f"{holder} holds no {access} allocation in the file")
        user["access"] = E.flow_list([a for a in user["access"] if a != access])

    def model(site):
        rec = _allocation_record(site, holder, access)
        if rec is not None:
            i = site.license.allocations.index(rec)
            site.license.allocations.remove(rec)
            return lambda: site.license.allocations.insert(i, rec)
        user = E._model_user(site, holder)
        if access not in user.access:
            raise ValueError(f"{holder} holds no {access} allocation in the file")
        return E._change(user, access=[a for a in user.access if a != access])
    return E.Edit("release_allocation", f"deallocate {label}'s {access} access ({why})", apply, model)


def raise_pool(access: str, total: int) -> E.Edit:
    def apply(doc):
        doc.setdefault("license", entry({}))[access] = total
    return E.Edit("raise_pool", f"raise the licence's {access} allocations to {total} (a licence change)", apply,
                  lambda site: E._change(site.license, **{access: total}))


def add_overage(minutes: int) -> E.Edit:
    def apply(doc):
        doc.setdefault("license", entry({}))["overage_minutes"] = minutes
    return E.Edit("raise_pool", f"allow {minutes} analyzer capacity overage minutes a month (a licence change)",
                  apply, lambda site: E._change(site.license, overage_minutes=minutes))


def add_login_tokens(rule: str, tokens: int, licence_tokens: int) -> E.Edit:
    def apply(doc):
        for item in doc.get("license_rules") or []:
            if item.get("name") == rule:
                item["tokens"] = tokens
                doc.setdefault("license", entry({}))["tokens"] = licence_tokens
                return
        raise ValueError(f"the licence rule {rule!r} is not in the file")

    def model(site):
        target = next((r for r in site.license_rules if r.name == rule), None)
        if target is None:
            raise ValueError(f"the licence rule {rule!r} is not in the file")
        undo = [E._change(target, tokens=tokens), E._change(site.license, tokens=licence_tokens)]
        return lambda: [u() for u in reversed(undo)]
    return E.Edit("raise_pool", f"give the login access group \"{rule}\" {tokens} token(s) ({tokens * PASSES_PER_TOKEN} "
                                f"passes; the licence then needs {licence_tokens} tokens)", apply, model)
