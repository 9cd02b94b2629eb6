"""The licence phase: which access type lets this identity in, tried in Qlik's order, on the clock.

Order (composed from Qlik's help and KBs; no page states the whole QSEoW sequence, see
reference/qlik-licensing-proxy-cloud.md §1.7): allocated professional, allocated analyzer,
professional rules, analyzer rules, analyzer capacity rules; with tokens: user access (allocated,
then by rule), then login access groups. Anonymous users only ever get analyzer capacity or login
access ("User-based licenses ... do not support anonymous authentication").

Sessions: a request from the same user, proxy and browser within the proxy's inactivity timeout
continues its session and its access type; a new session is refused with "Too many sessions active
in paralell" when the user already has five. Analyzer capacity is paid in 6-minute units, one per
6-minute period of the session in which there is activity, from a monthly pool reset at 00:00 UTC
on the 1st. A login access pass covers 60 continuous minutes from its first use; activity after
that uses another pass; used passes return 28 days after use.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..model import LicenseRule, Site
from ..rules import EvalContext, EvaluationFailure, Environment, evaluate
from .decision import Identity, LicenseResult, Step
from .request import Request
from .state import QUARANTINE, Allocation, Quarantine, Session, SiteState, month_key

NO_ACCESS_PASS = "You cannot access Qlik Sense because you have no access pass"
TOO_MANY_SESSIONS = "Too many sessions active in paralell"  # Qlik's spelling
PASSES_PER_TOKEN = 10
CAPACITY_UNIT = timedelta(minutes=6)
LOGIN_PASS_SPAN = timedelta(minutes=60)
SESSION_CAP = 5
USER_BASED = ("professional", "analyzer")


class Licensing:
    def __init__(self, site: Site):
        self.site = site

    # -- licence rules -----------------------------------------------------------------------------
    def matching_rules(self, identity: Identity, request: Request, rule_type: str,
                       steps: list[Step] | None = None) -> list[LicenseRule]:
        """Enabled licence rules of this type whose condition is true for the identity."""
        out = []
        ctx = EvalContext(user=identity.user, resource=None, environment=Environment(request.environment),
                          semantics=self.site.semantics)
        for rule in self.site.license_rules:
            if rule.type != rule_type or rule.parsed is None:
                continue
            if rule.disabled:
                if steps is not None:
                    steps.append(Step("license", f"Licence rule \"{rule.name}\" is disabled.", "skip", rule.name))
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

    # -- the phase ---------------------------------------------------------------------------------
    def allocate(self, identity: Identity, request: Request, state: SiteState, steps: list[Step]) -> LicenseResult:
        user = identity.user
        browser = request.session or "browser"
        proxy = identity.proxy.prefix if identity.proxy is not None else ""
        now = state.now
        attempts: list[dict] = []

        def tried(access_type: str, ok: bool, reason: str, rule: str | None = None) -> None:
            attempts.append({"access_type": access_type, "applied": ok, "reason": reason, "rule": rule})
            steps.append(Step("license", f"{access_type}: {reason}", "pass" if ok else "skip", rule))

        existing = next((s for s in state.sessions if s.user_key == user.key and s.proxy == proxy
                         and s.browser == browser), None)
        if existing is not None:
            steps.append(Step("license", f"{user.qualified} already has a session via "
                                         f"{_proxy_label(proxy)} ({browser}), opened {existing.opened:%H:%M}, "
                                         f"last active {existing.last_activity:%H:%M}: it goes on with "
                                         f"{existing.access_type}.", "info"))
            problem = self._consume(existing, identity, request, state, steps)
            if problem:
                state.close(existing, now, problem)
                tried(existing.access_type, False, problem, existing.rule)
                steps.append(Step("license", f"The session is discontinued: {problem}.", "fail"))
                return LicenseResult(False, None, None, NO_ACCESS_PASS, attempts)
            existing.last_activity = now
            return LicenseResult(True, existing.access_type, existing.rule, None, attempts)

        cooldown = state.cooldown.get(user.key)
        open_sessions = state.user_sessions(user.key)
        choice = self._choose(identity, request, state, steps, tried)
        if choice is None:
            steps.append(Step("license", f"No access type is available: \"{NO_ACCESS_PASS}\".", "fail"))
            return LicenseResult(False, None, None, NO_ACCESS_PASS, attempts)
        access_type, rule, commit = choice
        if access_type != "analyzer_capacity":
            if len(open_sessions) >= SESSION_CAP:
                where = ", ".join(f"{_proxy_label(s.proxy)} ({s.browser})" for s in open_sessions)
                reason = (f"{user.qualified} already has {len(open_sessions)} sessions open ({where}); "
                          f"the maximum for one user is five")
                tried(access_type, False, reason, rule)
                steps.append(Step("license", f"\"{TOO_MANY_SESSIONS}\": {reason}.", "fail"))
                return LicenseResult(False, None, None, TOO_MANY_SESSIONS, attempts)
            if cooldown is not None and now < cooldown:
                reason = (f"a session of {user.qualified} ended while five were open; five minutes must pass "
                          f"before another connection (until {cooldown:%H:%M})")
                tried(access_type, False, reason, rule)
                steps.append(Step("license", f"\"{TOO_MANY_SESSIONS}\": {reason}.", "fail"))
                return LicenseResult(False, None, None, TOO_MANY_SESSIONS, attempts)
        commit()
        timeout = timedelta(minutes=identity.proxy.session_timeout_minutes if identity.proxy else 30)
        session = Session(user.key, user.qualified, proxy, browser, now, now, timeout, access_type, rule)
        state.sessions.append(session)
        problem = self._consume(session, identity, request, state, steps, first=True)
        if problem:  # cannot happen after a successful choice, kept as a guard
            state.close(session, now, problem)
            return LicenseResult(False, None, None, NO_ACCESS_PASS, attempts)
        steps.append(Step("license", f"A new session opens via {_proxy_label(proxy)} ({browser}) with "
                                     f"{access_type}; it ends after {int(timeout.total_seconds() // 60)} minutes "
                                     f"without activity.", "info"))
        return LicenseResult(True, access_type, rule, None, attempts)

    def _choose(self, identity, request, state, steps, tried):
        """The first access type that applies, as (type, rule, commit) — commit makes it so."""
        lic, user, now = self.site.license, identity.user, state.now
        held = state.allocations.get(user.key)
        parked = state.quarantine.get(user.key)
        parked = parked if parked is not None and parked.until > now else None

        if identity.anonymous:
            for t in USER_BASED:
                tried(t, False, "not for anonymous users: user-based licences do not support anonymous authentication")
        else:
            for t in USER_BASED:
                if held is not None and held.access_type == t:
                    def use(held=held):
                        held.last_used = now
                    tried(t, True, f"{user.qualified} has {t} access allocated")
                    return t, held.rule, use
            for t in USER_BASED:
                if parked is not None and parked.access_type == t:
                    tried(t, False, f"{user.qualified}'s {t} access is quarantined until {parked.until:%Y-%m-%d %H:%M} "
                                    f"(deallocated within seven days of use); it can be reinstated to them in the QMC")
                    continue
                rules = self.matching_rules(identity, request, t, steps)
                pool = getattr(lic, t)
                if not rules:
                    tried(t, False, f"no {t} access allocated and no {t} access rule matches")
                    continue
                if held is not None:
                    tried(t, False, f"rule \"{rules[0].name}\" matches but {user.qualified} already holds "
                                    f"{held.access_type} access", rules[0].name)
                    continue
                if state.in_use(t) >= pool:
                    parked_n = sum(1 for q in state.quarantine.values() if q.access_type == t and q.until > now)
                    extra = f" ({parked_n} in quarantine)" if parked_n else ""
                    tried(t, False, f"rule \"{rules[0].name}\" matches but all {pool} {t} allocations are in "
                                    f"use{extra}", rules[0].name)
                    continue

                def allocate(t=t, rule=rules[0]):
                    state.allocations[user.key] = Allocation(t, now, now, rule.name)
                tried(t, True, f"rule \"{rules[0].name}\" matches and a {t} allocation is free "
                               f"({state.in_use(t) + 1} of {pool} in use once allocated); it stays allocated",
                      rules[0].name)
                return t, rules[0].name, allocate

        rules = self.matching_rules(identity, request, "analyzer_capacity", steps)
        left = self._capacity_left(state, now)
        if not rules:
            hint = (" (for anonymous users the condition needs e.g. user.IsAnonymous() or "
                    "user.userDirectory = \"NONE\")" if identity.anonymous else "")
            tried("analyzer_capacity", False, f"no analyzer capacity rule matches{hint}")
        elif lic.key != "signed":
            tried("analyzer_capacity", False, f"rule \"{rules[0].name}\" matches but analyzer capacity needs a "
                                              f"signed licence key; this site has a serial key", rules[0].name)
        elif left is not None and left < CAPACITY_UNIT.total_seconds() / 60:
            tried("analyzer_capacity", False, f"rule \"{rules[0].name}\" matches but this month's analyzer "
                                              f"capacity minutes are used up ({state.capacity_used(now)} of "
                                              f"{lic.analyzer_capacity_minutes}; they reset at 00:00 UTC on the 1st)",
                  rules[0].name)
        else:
            tried("analyzer_capacity", True, f"rule \"{rules[0].name}\" matches and analyzer capacity minutes "
                                             f"remain ({'unlimited overage' if left is None else f'{left} left'} "
                                             f"this month)", rules[0].name)
            return "analyzer_capacity", rules[0].name, lambda: None

        if identity.anonymous:
            tried("user_access", False, "not for anonymous users: a user access pass is assigned to an identified user")
        elif held is not None and held.access_type == "user_access":
            def use_pass(held=held):
                held.last_used = now
            tried("user_access", True, f"{user.qualified} holds a user access pass")
            return "user_access", held.rule, use_pass
        elif parked is not None and parked.access_type == "user_access":
            tried("user_access", False, f"{user.qualified}'s user access pass is quarantined until "
                                        f"{parked.until:%Y-%m-%d %H:%M}")
        else:
            rules = self.matching_rules(identity, request, "user_access", steps)
            if not rules:
                tried("user_access", False, "no user access pass and no user access rule matches")
            elif self.free_tokens(state) < 1:
                tried("user_access", False, f"rule \"{rules[0].name}\" matches but no token is free "
                                            f"({lic.tokens} in the licence)", rules[0].name)
            else:
                def give(rule=rules[0]):
                    state.allocations[user.key] = Allocation("user_access", now, now, rule.name)
                tried("user_access", True, f"rule \"{rules[0].name}\" matches; a user access pass is allocated "
                                           f"(1 token)", rules[0].name)
                return "user_access", rules[0].name, give

        groups = self.matching_rules(identity, request, "login_access", steps)
        window = state.login_windows.get(user.key)
        for rule in groups:
            passes = rule.tokens * PASSES_PER_TOKEN
            used = state.passes_used(rule.name)
            if window is not None and now < window:
                tried("login_access", True, f"login access group \"{rule.name}\" matches; the pass in use runs "
                                            f"until {window:%H:%M}", rule.name)
                return "login_access", rule.name, lambda: None
            if used >= passes:
                tried("login_access", False, f"login access group \"{rule.name}\" matches but all its {passes} "
                                             f"passes were used in the last 28 days", rule.name)
                continue
            tried("login_access", True, f"login access group \"{rule.name}\" matches; {passes - used} of "
                                        f"{passes} passes left", rule.name)
            return "login_access", rule.name, lambda: None
        if not groups:
            tried("login_access", False, "no login access group's licence rule matches")
        return None

    def _capacity_left(self, state: SiteState, when: datetime) -> int | None:
        lic = self.site.license
        if lic.overage_minutes == -1:
            return None
        return lic.analyzer_capacity_minutes + lic.overage_minutes - state.capacity_used(when)

    def free_tokens(self, state: SiteState) -> int:
        given = sum(r.tokens for r in self.site.license_rules if r.type == "login_access")
        return self.site.license.tokens - given - state.in_use("user_access")

    def _consume(self, session: Session, identity, request, state: SiteState, steps, first: bool = False) -> str | None:
        """Pay for activity at state.now in the session's access type; a problem ends the session."""
        now = state.now
        if session.access_type == "analyzer_capacity":
            period = int((now - session.opened) / CAPACITY_UNIT)
            if period in session.capacity_periods:
                steps.append(Step("license", f"Activity in the session's 6-minute period {period + 1}, already "
                                             f"paid for: no new unit.", "info"))
                return None
            left = self._capacity_left(state, now)
            if left is not None and left < CAPACITY_UNIT.total_seconds() / 60:
                return "this month's analyzer capacity minutes are used up"
            key = month_key(now)
            state.capacity_minutes[key] = state.capacity_minutes.get(key, 0) + 6
            session.capacity_periods.add(period)
            total = self.site.license.analyzer_capacity_minutes
            steps.append(Step("license", f"Activity in the session's 6-minute period {period + 1}: one unit "
                                         f"(6 minutes) is consumed ({state.capacity_minutes[key]} of {total} minutes "
                                         f"used in {key}).", "info"))
            return None
        if session.access_type == "login_access":
            window = state.login_windows.get(session.user_key)
            if window is not None and now < window:
                return None
            rule = next((r for r in self.site.license_rules if r.name == session.rule), None)
            passes = rule.tokens * PASSES_PER_TOKEN if rule else 0
            if rule is None or state.passes_used(rule.name) >= passes:
                return "the hour's login access pass ran out and no other pass is left"
            state.login_passes.setdefault(rule.name, []).append(now)
            state.login_windows[session.user_key] = now + LOGIN_PASS_SPAN
            steps.append(Step("license", f"A login access pass from \"{rule.name}\" is used: it covers 60 minutes, "
                                         f"until {now + LOGIN_PASS_SPAN:%H:%M} ({state.passes_used(rule.name)} of "
                                         f"{passes} used in the last 28 days; each returns 28 days after use).",
                              "info"))
            return None
        alloc = state.allocations.get(session.user_key)
        if alloc is None or alloc.access_type != session.access_type:
            return f"{session.user}'s {session.access_type} access is no longer allocated"
        alloc.last_used = now
        return None


def deallocate(site: Site, state: SiteState, user_key: str, qualified: str) -> str:
    """Remove a user's allocated access (QMC: License management > ... > Deallocate)."""
    alloc = state.allocations.pop(user_key, None)
    if alloc is None:
        return f"{qualified} has no allocated access"
    used = alloc.last_used
    recent = used is not None and state.now - used < QUARANTINE
    if alloc.access_type == "user_access":
        rule_applies, why = True, "user access passes are quarantined for 7 days from last use"
    else:
        choice = site.semantics.allocation_quarantine
        rule_applies = choice == "always" or (choice == "serial_only" and site.license.key == "serial")
        why = (f"semantics allocation_quarantine={choice}, licence key {site.license.key}: "
               f"{'quarantined' if rule_applies else 'released at once'}")
    if rule_applies and recent:
        until = used + QUARANTINE
        state.quarantine[user_key] = Quarantine(alloc.access_type, qualified, until)
        return (f"{qualified}'s {alloc.access_type} access is deallocated and quarantined until "
                f"{until:%Y-%m-%d %H:%M} ({why}); it cannot be given to anyone else until then")
    if rule_applies:
        return f"{qualified}'s {alloc.access_type} access is released at once: not used in the last seven days"
    return f"{qualified}'s {alloc.access_type} access is released at once ({why})"


def logout(state: SiteState, user_key: str, browser: str | None = None) -> list[str]:
    return [state.close(s, state.now, "logged out") for s in list(state.sessions)
            if s.user_key == user_key and (browser is None or s.browser == browser)]


def _proxy_label(prefix: str) -> str:
    return f"/{prefix}" if prefix else "the central proxy"
