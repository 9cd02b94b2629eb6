"""Why not? For a denied request, the smallest changes that would grant it, each checked by running
the engine again on an edited copy of the site.

Qlik's rules only grant ("All security rules are inclusive by nature ... you never create a rule
to deny users access"), so every suggestion adds something: a group, a property, a role, an action
or context on an existing rule, an enabled rule, a published app, a licence rule or allocation, an
anonymous mode, an activated account, or — last — a new rule scoped to exactly this user (or all
anonymous visitors) and this one resource. Never a rule that allows everything, never a deny.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..engine import Decision, engine_for
from ..engine.request import Request
from ..model import Site, UnknownReference
from ..rules import EvalContext, EvaluationFailure, Environment, evaluate, parse
from ..rules.ast import Compare, Path, Str
from ..scenario import ScenarioError
from . import edits as E
from .audit import audit
from .licence_fixes import licence_candidates, licence_facts
from .preview import diff_audits

PHASE_ORDER = {"authentication": 0, "license": 1, "security": 2, "section_access": 3, None: 4}
KIND_ORDER = ["add_space_role", "allow_public_link_creation", "turn_on_anonymous_access",
              "enable_rule", "add_group", "set_property", "add_role", "rule_add_action", "rule_add_context",
              "publish_to_stream", "publish_object", "activate_user", "change_access_type", "allocate_access",
              "add_license_rule", "change_proxy_anonymous", "add_section_access_row", "add_rule"]
MAX_DEPTH = 3
MAX_BRANCH = 8
GAINS_LIMIT = 400_000  # user x resource pairs beyond which also_gains is not computed
GAINS_NAMED = 6  # extra grants named in the text (the JSON's also_gains.examples)


@dataclass
class Suggestion:
    edits: list[E.Edit]
    phase: str
    grants: bool = True
    also_gains: dict | None = None
    rank: int = 0

    @property
    def kind(self) -> str:
        return self.edits[0].kind

    @property
    def change(self) -> str:
        return "; then ".join(e.text for e in self.edits)

    def to_dict(self) -> dict:
        return {"rank": self.rank, "phase": self.phase, "kind": self.kind, "change": self.change,
                "grants": self.grants, "also_gains": self.also_gains,
                "steps": [{"kind": e.kind, "change": e.text} for e in self.edits]}


@dataclass
class WhyNot:
    decision: Decision
    suggestions: list[Suggestion] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # what made the phase refuse (licence: pools, allocations)

    def to_dict(self) -> dict:
        return {"request": self.decision.request.to_dict(), "decision": self.decision.decision,
                "denied_by": self.decision.denied_by, "facts": list(self.facts),
                "suggestions": [s.to_dict() for s in self.suggestions]}

    def to_text(self) -> str:
        d = self.decision
        if d.allowed:
            return f"{d.summary()}\nnothing to change: the request is allowed\n"
        lines = [d.summary(), ""]
        if self.facts:
            lines += ["why:"] + [f"  - {fact}" for fact in self.facts] + [""]
        if not self.suggestions:
            lines.append("no change found that would grant this (checked by re-running the engine)")
        for s in self.suggestions:
            gains = ""
            if s.also_gains is not None:
                g = s.also_gains
                if not g["cells"]:
                    gains = "  (grants nothing else)"
                elif g["users"]:
                    gains = f"  (also grants {g['cells']} more action(s), {g['users']} other user(s) included)"
                else:
                    gains = f"  (also grants {g['cells']} more action(s), all to the same requester)"
            lines.append(f"{s.rank}. [{s.phase}] {s.change}{gains}")
            for edit in s.edits:
                if edit.detail:
                    lines.append(f"     the rule it adds: {edit.detail}")
            if s.also_gains and s.also_gains.get("examples"):
                more = s.also_gains.get("unnamed", 0)
                lines.append("     also: " + "; ".join(s.also_gains["examples"]) + (f"; and {more} more" if more > 0 else ""))
        return "\n".join(lines) + "\n"


def decide_fresh(site: Site, request: Request, states: "_FreshStates | None" = None) -> Decision:
    engine = engine_for(site)
    return engine.decide(request, states.fresh(site, request) if states is not None else engine.new_state())


class _FreshStates:
    """A fresh SiteState per try without reading every user again: the allocations of the first,
    re-read only for users whose allocated access an edit replaced (edits set new values, never
    change lists in place: see qsplay.explain.edits._change); the requester's copied, as deciding
    may update them."""

    def __init__(self, site: Site):
        from ..engine.state import SiteState
        self.base = SiteState.start(site)
        self.seen = [(u, u.access) for u in site.users]

    def fresh(self, site: Site, request: Request):
        import copy as _copy

        from ..engine.state import Allocation, SiteState
        lic = site.license
        if site.platform != "windows" or len(site.users) != len(self.seen) or site.now != self.base.now \
                or lic.allocations or lic.capacity_used_minutes or any(r.passes_used for r in site.license_rules):
            return engine_for(site).new_state()  # an imported licence state (edits change it in place): read it all
        state = SiteState(now=site.now, allocations=dict(self.base.allocations))
        for (before, access), user in zip(self.seen, site.users):
            if user is not before:
                return engine_for(site).new_state()
            if user.access is not access:
                for a in access:
                    state.allocations.pop((user.key, a), None)
                for a in user.access:
                    state.allocations[(user.key, a)] = Allocation(a, site.now)
        try:
            me = site.find_user(request.user).key if request.user and not request.is_visitor else None
        except UnknownReference:
            me = None
        for key, allocation in state.allocations.items():
            if key[0] == me:
                state.allocations[key] = _copy.copy(allocation)
        return state


def why_not(site: Site, request: Request, compute_gains: bool = True) -> WhyNot:
    decision = decide_fresh(site, request)
    result = WhyNot(decision)
    if decision.allowed:
        return result
    if decision.denied_by == "license" and decision.identity is not None and decision.identity.user is not None:
        result.facts = licence_facts(site, decision, _state_at(site, request))
    found: dict[str, list[E.Edit]] = {}
    states = _FreshStates(site) if site.platform == "windows" else None

    def explore(current: Site, chain: list[E.Edit], current_decision: Decision, depth: int) -> None:
        # each candidate is tried on the loaded model (edits made in place and undone, see E.trying);
        # deeper tries stack their edits on top
        for candidate in candidates(current, current_decision)[:MAX_BRANCH]:
            key = " | ".join(e.text for e in chain + candidate)
            if key in found:
                continue
            try:
                with E.trying(current, candidate) as edited:
                    after = decide_fresh(edited, request, states)
                    if after.allowed:
                        found[key] = chain + candidate
                    elif depth + 1 < MAX_DEPTH and (
                            PHASE_ORDER[after.denied_by] > PHASE_ORDER[current_decision.denied_by]
                            or candidate[0].kind in ("add_group", "set_property", "add_role")):
                        explore(edited, chain + candidate, after, depth + 1)
            except (ScenarioError, ValueError, UnknownReference):
                continue

    explore(site, [], decision, 0)
    suggestions = [Suggestion(chain, decision.denied_by) for chain in found.values()]
    if compute_gains:
        before: list = []  # the audit before any edit, made once for all suggestions
        for s in suggestions:
            s.also_gains = _also_gains(site, s.edits, decision, before)
    # fewest changes first; a new rule only after changes to what exists; then least extra access
    suggestions.sort(key=lambda s: (len(s.edits), s.kind == "add_rule", s.also_gains["cells"] if s.also_gains else 0,
                                    KIND_ORDER.index(s.kind) if s.kind in KIND_ORDER else 99))
    for i, s in enumerate(suggestions, 1):
        s.rank = i
    result.suggestions = suggestions
    return result


def candidates(site: Site, decision: Decision) -> list[list[E.Edit]]:
    if site.platform == "cloud":
        from ..cloud.why_not import candidates as cloud_candidates
        return cloud_candidates(site, decision)
    req = decision.request
    if decision.denied_by == "authentication":
        return _authentication_candidates(site, decision)
    if decision.denied_by == "license" and decision.license is not None and decision.license.limit is not None:
        return access_type_candidates(site, decision)
    if decision.denied_by == "license":
        return _license_candidates(site, decision)
    if decision.denied_by == "section_access":
        from .section_access import row_candidates
        return row_candidates(site, decision)
    resource = site.find_resource(req.resource)
    out = _security_candidates(site, decision.identity.user, resource, req.action, req.context, req.environment, 2)
    seen, unique = set(), []
    for cand in out:
        key = tuple(e.text for e in cand)
        if key not in seen:
            seen.add(key)
            unique.append(cand)
    unique.sort(key=lambda c: (len(c), KIND_ORDER.index(c[0].kind) if c[0].kind in KIND_ORDER else 99))
    return unique


def _authentication_candidates(site: Site, decision: Decision) -> list[list[E.Edit]]:
    req, identity = decision.request, decision.identity
    if identity.proxy is None:
        return []
    if req.is_visitor and identity.proxy.anonymous == "none":
        return [[E.change_proxy_anonymous(identity.proxy.prefix, "allow")]]
    if identity.user is not None and not identity.anonymous:
        return [[E.activate_user(identity.user.qualified)]]
    return []


def _license_candidates(site: Site, decision: Decision) -> list[list[E.Edit]]:
    identity, lic = decision.identity, site.license
    out = []
    if identity.anonymous:
        if lic.key == "signed" and lic.analyzer_capacity_minutes > 0:
            out.append([E.add_license_rule("Anonymous users use analyzer capacity", "analyzer_capacity",
                                           "user.IsAnonymous()")])
        return out
    user = identity.user
    out += licence_candidates(site, decision, _state_at(site, decision.request))
    if lic.key == "signed" and lic.analyzer_capacity_minutes > 0 and not any(
            a["code"] == "minutes_used_up" for a in decision.license.attempts):
        out.append([E.add_license_rule(f"{user.user_id} uses analyzer capacity", "analyzer_capacity",
                                       f'user.userDirectory = "{user.directory}" and user.userId = "{user.user_id}"')])
    return out


def _state_at(site: Site, request: Request):
    """The licence state when the request happens (a fresh start, moved to its `at`)."""
    state = engine_for(site).new_state()
    if request.at is not None:
        state.advance_to(request.at)
    return state


def access_type_candidates(site: Site, decision: Decision) -> list[list[E.Edit]]:
    """The rules grant the request but the access type does not allow it (an analyzer creating a
    sheet): the fix is professional access (Professional access allocations: "A user with professional
    access can create, edit, and publish sheets or apps"). Anonymous users cannot have professional
    access ("User-based licenses ... do not support anonymous authentication"), so there is none."""
    identity, limit = decision.identity, decision.license.limit
    if identity.anonymous or identity.user is None:
        return []
    user = identity.user
    why = f"{limit.access_type.replace('_', ' ')} access cannot {limit.action} {limit.what}"
    from ..engine.state import SiteState
    state = SiteState.start(site)  # the site's allocations, an imported licence state's included
    held = state.in_use("professional") - (1 if (user.key, "professional") in state.allocations else 0)
    if held >= site.license.professional:
        return []  # no professional allocation is free: the QMC would not allocate one
    return [[E.change_access_type(user.qualified, limit.access_type, "professional", why)]]


def _security_candidates(site: Site, user, resource, action: str, context: str, environment, depth: int,
                         _asked: dict | None = None):
    """Candidate edits; a nested HasPrivilege question is explored once per why-not (issue 18: k
    mutually dependent rules re-explored each other's candidates, over 100 s at k=8)."""
    asked = _asked if _asked is not None else {}
    key = (resource.key, action, depth)
    if key in asked:
        return asked[key]
    asked[key] = []  # a cycle back to this question adds nothing
    asked[key] = _security_candidates_of(site, user, resource, action, context, environment, depth, asked)
    return asked[key]


def _security_candidates_of(site: Site, user, resource, action: str, context: str, environment, depth: int,
                            asked: dict):
    engine = engine_for(site).security
    editable_user = not getattr(user, "is_anonymous", False)
    out: list[list[E.Edit]] = []

    solver = engine.solver(user, context, environment)
    traces: dict = {}

    def has_privilege(target, wanted, trace):
        if not trace:
            return solver.answer((target.key, wanted), target), None
        sub = engine.evaluate(user, target, wanted, context, environment, trace=True, solver=solver, traces=traces)
        return sub.allowed, sub

    ctx = EvalContext(user=user, resource=resource, environment=Environment(environment),
                      semantics=site.semantics, has_privilege=has_privilege)
    for rule in engine.rules_for(resource):
        if rule.parsed is None:
            continue
        try:
            value, node = evaluate(rule.parsed, ctx, trace=True)
        except EvaluationFailure:
            continue
        rule_fixes = []
        if rule.preinstalled and not rule.disabled and (action not in rule.actions or not rule.applies_in(context)):
            continue  # widening Qlik's own rules changes the whole site; Qlik advises copies, not edits
        if rule.disabled:
            rule_fixes.append(E.enable_rule(rule.name))
        if action not in rule.actions:
            if action == "read" or value:
                rule_fixes.append(E.rule_add_action(rule.name, sorted(rule.actions), action))
            else:
                continue  # a rule that neither grants the action nor applies: not a sensible lever
        if not rule.applies_in(context):
            rule_fixes.append(E.rule_add_context(rule.name, rule.context))
        if value:
            if rule_fixes:
                out.append(rule_fixes)
            continue
        if editable_user:
            fixes = _user_fixes(node, user)
            if fixes:
                out.append(fixes + rule_fixes)
                if len(fixes) > 1:
                    out.extend([f] + rule_fixes for f in fixes)
        if depth > 0:
            for target, wanted in _failed_privileges(node, site):
                for sub in _security_candidates(site, user, target, wanted, context, environment, depth - 1,
                                                asked)[:4]:
                    out.append(sub + rule_fixes)
    out.extend(_publish_candidates(site, user, resource, action, context))
    scope = ("user.IsAnonymous()" if not editable_user else
             f'user.userDirectory = "{user.directory}" and user.userId = "{user.user_id}"')
    who = "anonymous visitors" if not editable_user else user.qualified
    out.append([E.add_rule({"name": f"{who} may {action} {resource.ref}"[:120],
                            "resource_filter": f"{resource.kind}_{resource.id}", "actions": [action],
                            "condition": scope, "context": context})])
    return out


def _user_fixes(node, user) -> list[E.Edit]:
    """Edits to the user that would make false comparisons in a condition true."""
    fixes: list[E.Edit] = []

    def walk(n, positive: bool):
        if n.kind == "not":
            for c in n.children:
                walk(c, not positive)
            return
        for c in n.children:
            walk(c, positive)
        if n.kind != "compare" or n.value is not False or not positive:
            return
        try:
            cmp = parse(n.text).root
        except Exception:
            return
        if not isinstance(cmp, Compare) or cmp.op not in ("=", "=="):
            return
        for side, other, other_values in ((cmp.left, cmp.right, n.operands[1][1] if len(n.operands) > 1 else None),
                                          (cmp.right, cmp.left, n.operands[0][1] if n.operands else None)):
            if not (isinstance(side, Path) and side.root == "user" and len(side.segments) == 1):
                continue
            if isinstance(other, Str):
                values = [other.value]
            elif isinstance(other, Path) and other.root == "resource" and other_values:
                values = other_values[:1]
            else:
                continue
            prop = side.segments[0]
            for value in values:
                if prop.lower() in ("group", "groups"):
                    fixes.append(E.add_group(user.qualified, value))
                elif prop.lower() == "roles":
                    fixes.append(E.add_role(user.qualified, value))
                elif prop.startswith("@"):
                    fixes.append(E.set_property(user.qualified, prop[1:], value))
            return
    walk(node, True)
    unique, seen = [], set()
    for f in fixes:
        if f.text not in seen:
            seen.add(f.text)
            unique.append(f)
    return unique


def _failed_privileges(node, site: Site):
    """(resource, action) of HasPrivilege calls that were false in a trace."""
    out = []

    def walk(n):
        if n.kind == "call" and n.value is False:
            for nested in n.nested:
                if hasattr(nested, "resource") and not nested.allowed:
                    try:
                        out.append((site.find_resource(nested.resource), nested.action))
                    except UnknownReference:
                        pass
        for c in n.children:
            walk(c)
    walk(node)
    return out


def _publish_candidates(site: Site, user, resource, action: str, context: str) -> list[list[E.Edit]]:
    out = []
    if resource.kind == "App" and resource.stream is None and action == "read":
        engine = engine_for(site).security
        for stream in site.streams:
            if engine.evaluate(user, stream, "read", context, trace=False).allowed:
                out.append([E.publish_to_stream(E.named(site, resource), E.named(site, stream))])
    if resource.kind == "App.Object" and not resource.published and action == "read" and resource.app is not None:
        shared = site.ref_of(resource).partition(":")[2] == resource.id
        out.append([E.publish_object(resource.app.name, resource.name, resource.id if shared else None)])
    return out


def _also_gains(site: Site, edits: list[E.Edit], decision: Decision, before: list) -> dict | None:
    if len(site.users) * max(1, len(site.all_resources())) > GAINS_LIMIT:
        return None
    context = decision.request.context
    if not before:
        before.append(audit(site, context=context, include_anonymous=True))
    opened_app = decision.section_access.app if decision.denied_by == "section_access" else None
    if opened_app is not None:
        from .section_access import opening_apps
        opens_before = opening_apps(site)
    try:
        with E.trying(site, edits) as edited:
            after = audit(edited, context=context, include_anonymous=True)
            opens_after = opening_apps(edited) if opened_app is not None else set()
    except (ScenarioError, ValueError, UnknownReference):
        return None
    changes = diff_audits(before[0], after)
    me = decision.identity.user.qualified if decision.identity and decision.identity.user is not None else None
    target = site.ref_of(site.find_resource(decision.request.resource))
    anonymous = bool(decision.identity and decision.identity.anonymous)
    cells, users, named = 0, set(), []
    for c in changes:
        mine = c.user == me or (anonymous and c.user.startswith("NONE\\"))
        gained = [a for a in c.gained if not (mine and c.resource == target and a == decision.request.action)]
        if gained:
            cells += len(gained)
            named.append((f"{'anonymous' if c.user.startswith('NONE') else c.user} {', '.join(gained)} {c.resource}",
                          len(gained)))
            if not mine:
                users.add(c.user)
    if opened_app is not None:  # opening an app is a cell of its own (the audit's "opens")
        for who, app in opens_after - opens_before:
            if (who, app) != (me, opened_app):
                cells += 1
                if who != me:
                    users.add(who)
    return {"users": len(users), "cells": cells, "examples": [text for text, _ in named[:GAINS_NAMED]],
            "unnamed": cells - sum(n for _, n in named[:GAINS_NAMED])}
