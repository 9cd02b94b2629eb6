"""The licence phase: which access type lets this identity in, tried in Qlik's order.

Order (composed from Qlik's help and KBs; the exact QSEoW sequence is UNCONFIRMED, see
reference/qlik-licensing-proxy-cloud.md §1.7): allocated professional, allocated analyzer,
professional rules, analyzer rules, analyzer capacity rules; with tokens: user access
(allocated, then by rule), then login access groups. Anonymous users can only get analyzer
capacity or login access ("User-based licenses ... do not support anonymous authentication").
When nothing applies the hub says "You cannot access Qlik Sense because you have no access pass".
"""
from __future__ import annotations

from ..model import LicenseRule, Site
from ..rules import EvalContext, EvaluationFailure, Environment, evaluate
from .decision import Identity, LicenseResult, Step
from .request import Request
from .state import SiteState

NO_ACCESS_PASS = "You cannot access Qlik Sense because you have no access pass"
PASSES_PER_TOKEN = 10
CAPACITY_UNIT_MINUTES = 6


class Licensing:
    def __init__(self, site: Site):
        self.site = site

    def matching_rules(self, identity: Identity, request: Request, rule_type: str,
                       steps: list[Step] | None = None) -> list[LicenseRule]:
        """Enabled licence rules of this type whose condition is true for the identity."""
        out = []
        ctx = EvalContext(user=identity.user, resource=None, environment=Environment(request.environment),
                          semantics=self.site.semantics)
        for rule in self.site.license_rules:
            if rule.type != rule_type:
                continue
            if rule.disabled:
                if steps is not None:
                    steps.append(Step("license", f"Licence rule \"{rule.name}\" is disabled.", "skip", rule.name))
                continue
            if rule.parsed is None:
                continue
            try:
                value, node = evaluate(rule.parsed, ctx, trace=steps is not None)
            except EvaluationFailure as exc:
                value, node = False, None
                if steps is not None:
                    steps.append(Step("license", f"Licence rule \"{rule.name}\" could not be evaluated: {exc}",
                                      "fail", rule.name))
            if steps is not None and node is not None:
                verdict = "matches" if value else "does not match"
                steps.append(Step("license", f"Licence rule \"{rule.name}\" ({rule.type}) {verdict} "
                                             f"{identity.user.qualified}: {rule.condition or '(empty: everyone)'}",
                                  "pass" if value else "fail", rule.name, {"trace": node.to_dict()}))
            if value:
                out.append(rule)
        return out

    def allocate(self, identity: Identity, request: Request, state: SiteState, steps: list[Step]) -> LicenseResult:
        lic = self.site.license
        user = identity.user
        attempts: list[dict] = []

        def tried(access_type: str, ok: bool, reason: str, rule: str | None = None) -> None:
            attempts.append({"access_type": access_type, "applied": ok, "reason": reason, "rule": rule})
            steps.append(Step("license", f"{access_type}: {reason}", "pass" if ok else "skip", rule))

        def granted(access_type: str, rule: str | None = None) -> LicenseResult:
            return LicenseResult(True, access_type, rule, None, attempts)

        held = state.allocations.get(user.key)
        if identity.anonymous:
            for t in ("professional", "analyzer"):
                tried(t, False, "not for anonymous users: user-based licences do not support anonymous "
                                "authentication")
        else:
            for t in ("professional", "analyzer"):
                if held == t:
                    tried(t, True, f"{user.qualified} has {t} access allocated")
                    return granted(t)
            for t in ("professional", "analyzer"):
                pool = getattr(lic, t)
                rules = self.matching_rules(identity, request, t, steps)
                if not rules:
                    tried(t, False, f"no {t} access allocation and no {t} access rule matches")
                    continue
                if state.in_use(t) >= pool:
                    tried(t, False, f"rule \"{rules[0].name}\" matches but all {pool} {t} allocations are in "
                                    f"use", rules[0].name)
                    continue
                state.allocations[user.key] = t
                state.allocated_by_rule[user.key] = rules[0].name
                tried(t, True, f"rule \"{rules[0].name}\" matches and a {t} allocation is free "
                               f"({state.in_use(t)} of {pool} now used); it stays allocated", rules[0].name)
                return granted(t, rules[0].name)

        rules = self.matching_rules(identity, request, "analyzer_capacity", steps)
        if not rules:
            tried("analyzer_capacity", False, "no analyzer capacity rule matches"
                  + (" (for anonymous users it needs e.g. user.IsAnonymous() or user.userDirectory = \"NONE\")"
                     if identity.anonymous else ""))
        elif lic.key != "signed":
            tried("analyzer_capacity", False, f"rule \"{rules[0].name}\" matches but analyzer capacity needs a "
                                              f"signed licence key; this site has a serial key", rules[0].name)
        elif lic.analyzer_capacity_minutes - state.capacity_minutes_used < CAPACITY_UNIT_MINUTES \
                and lic.overage_minutes == 0:
            tried("analyzer_capacity", False, f"rule \"{rules[0].name}\" matches but this month's "
                                              f"{lic.analyzer_capacity_minutes} analyzer capacity minutes are used up",
                  rules[0].name)
        else:
            state.capacity_minutes_used += CAPACITY_UNIT_MINUTES
            tried("analyzer_capacity", True, f"rule \"{rules[0].name}\" matches; a {CAPACITY_UNIT_MINUTES}-minute "
                                             f"unit is consumed ({state.capacity_minutes_used} of "
                                             f"{lic.analyzer_capacity_minutes} minutes used this month)",
                  rules[0].name)
            return granted("analyzer_capacity", rules[0].name)

        if identity.anonymous:
            tried("user_access", False, "not for anonymous users: a user access pass is assigned to an "
                                        "identified user")
        elif held == "user_access":
            tried("user_access", True, f"{user.qualified} holds a user access pass")
            return granted("user_access")
        else:
            rules = self.matching_rules(identity, request, "user_access", steps)
            used = state.in_use("user_access") + sum(r.tokens for r in self.site.license_rules
                                                     if r.type == "login_access")
            if not rules:
                tried("user_access", False, "no user access pass and no user access rule matches")
            elif used >= lic.tokens:
                tried("user_access", False, f"rule \"{rules[0].name}\" matches but no token is free", rules[0].name)
            else:
                state.allocations[user.key] = "user_access"
                state.allocated_by_rule[user.key] = rules[0].name
                tried("user_access", True, f"rule \"{rules[0].name}\" matches; a user access pass is allocated "
                                           f"(1 token)", rules[0].name)
                return granted("user_access", rules[0].name)

        for rule in self.matching_rules(identity, request, "login_access", steps):
            passes = rule.tokens * PASSES_PER_TOKEN
            used = state.login_passes_used.get(rule.name, 0)
            if used >= passes:
                tried("login_access", False, f"login access group \"{rule.name}\" matches but all its {passes} "
                                             f"passes are used", rule.name)
                continue
            state.login_passes_used[rule.name] = used + 1
            tried("login_access", True, f"login access group \"{rule.name}\" matches; a login access pass is "
                                        f"used ({used + 1} of {passes})", rule.name)
            return granted("login_access", rule.name)
        if not any(a["access_type"] == "login_access" for a in attempts):
            tried("login_access", False, "no login access group's licence rule matches")

        steps.append(Step("license", f"No access type is available: \"{NO_ACCESS_PASS}\".", "fail"))
        return LicenseResult(False, None, None, NO_ACCESS_PASS, attempts)
