"""The licence phase: which access type lets this identity in, tried in Qlik's order, on the clock.

Order (composed from Qlik's help and KBs; no page states the whole QSEoW sequence, see
reference/qlik-licensing-proxy-cloud.md §1.7, UNCONFIRMED): allocated professional, allocated
analyzer, professional rules, analyzer rules, analyzer capacity rules; with tokens: user access
(allocated, then by rule), then login access groups. Anonymous users only ever get analyzer
capacity or login access ("User-based licenses ... do not support anonymous authentication").

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
from ..rules.ast import Path, walk
from .decision import Identity, LicenseResult, Step
from .request import Request
from .state import (CAP_COOLDOWN, QUARANTINE, SESSION_CAP, Allocation, Quarantine, Session, SiteState,
                    month_key)

NO_ACCESS_PASS = "You cannot access Qlik Sense because you have no access pass"
# When the licence is checked (docs/licensing.md "Which contexts need an access pass"):
HUB_CHECK = ("\"The license check for user-based licenses (professional and analyzer) and tokens occurs when you "
             "access the hub\" (Qlik Support, https://community.qlik.com/t5/Knowledge/You-cannot-access-Qlik-Sense-"
             "because-you-have-no-access-pass/ta-p/1715138)")
ROOT_ADMIN = ("help, Professional access allocations: \"To avoid unnecessary session consumption, the root admin "
              "should not be allocated any type of access\"")
QMC_COUNTS = ("\"If you use a license with a signed license key, accessing the QMC also counts and adds to the "
              "maximum number of parallel sessions, which is five\" (help, Professional access allocations, "
              "https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/"
              "Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/professional-access-allocations.htm)")
TOO_MANY_SESSIONS = "Too many sessions active in paralell"  # Qlik's spelling
PASSES_PER_TOKEN = 10
CAPACITY_UNIT = timedelta(minutes=6)
UNIT_MINUTES = 6
LOGIN_PASS_SPAN = timedelta(minutes=60)
USER_BASED = ("professional", "analyzer")
ACCESS_ORDER = ("professional", "analyzer", "analyzer_capacity", "user_access", "login_access")

# Why an access type did or did not apply (`LicenseResult.attempts[].code`).
REASON_CODES = {
    "allocated": "the user has this access allocated",
    "allocated_by_rule": "a licence rule matched and an allocation was free; it stays allocated",
    "minutes_left": "a capacity rule matched and minutes remain",
    "pass_available": "a login access group matched and has a pass (or the pass in use still runs)",
    "continues_session": "the request continues an open session, with the access type it opened with",
    "not_allocated": "not allocated to the user, and another allocated access type comes first",
    "no_rule": "no enabled licence rule of the type matches the user",
    "not_in_licence": "the licence provides none of this access type",
    "pool_exhausted": "every allocation of the type is held or quarantined",
    "no_tokens": "no token is free for a new user access pass",
    "passes_used_up": "the group's passes were all used in the last 28 days",
    "anonymous": "not for anonymous users",
    "key_type": "analyzer capacity needs a signed licence key",
    "quarantined": "the user's allocation of this type is in quarantine",
    "minutes_used_up": "this month's analyzer capacity minutes are used up",
    "session_cap": "the user already has five sessions (or must wait five minutes after the cap)",
    "excess": "the user's allocation is beyond the licence's quota (QRS excess; semantics excess_allocation)",
}


class Licensing:
    def __init__(self, site: Site):
        self.site = site

    # -- licence rules -----------------------------------------------------------------------------
    def matching_rules(self, identity: Identity, request: Request, rule_type: str,
                       steps: list[Step] | None = None) -> list[LicenseRule]:
        """Enabled licence rules of this type whose condition is true for the identity. Licence rules
        use the security rules' condition language with no resource."""
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
                if _mentions_resource(rule):
                    steps.append(Step("license", f"Licence rule \"{rule.name}\" refers to resource.*, but a "
                                                 f"licence rule is evaluated for the user alone, at login: "
                                                 f"resource.* has no value there.", "note", rule.name))
            if value:
                out.append(rule)
        return out

    # -- the phase ---------------------------------------------------------------------------------
    def allocate(self, identity: Identity, request: Request, state: SiteState, steps: list[Step]) -> LicenseResult:
        user = identity.user
        browser = request.session or "browser"
        proxy = identity.proxy.prefix if identity.proxy is not None else ""
        now = state.now
        attempts = _Attempts(steps)

        if request.context == "qmc" and self.site.semantics.qmc_access_pass == "not_needed":
            held = [] if identity.anonymous else [t for t in USER_BASED if state.allocation(user.key, t)]
            if not (held and self.site.license.key == "signed"):
                steps.append(Step("license", f"The QMC needs no access pass: {HUB_CHECK}; so {user.qualified} "
                                             f"works in the QMC with {'no access type' if not held else held[0]}"
                                             f" and no session is counted ({ROOT_ADMIN}; semantics "
                                             f"qmc_access_pass=not_needed).", "pass"))
                return LicenseResult(True, None, None, None, [])
            steps.append(Step("license", f"{user.qualified} has {held[0]} access allocated and the licence key is "
                                         f"signed: {QMC_COUNTS}.", "note"))
        existing = next((s for s in state.sessions if s.user_key == user.key and s.proxy == proxy
                         and s.browser == browser), None)
        if existing is not None:
            steps.append(Step("license", f"{user.qualified} already has a session via "
                                         f"{_proxy_label(proxy)} ({browser}), opened {existing.opened:%H:%M}, "
                                         f"last active {existing.last_activity:%H:%M}: it goes on with "
                                         f"{existing.access_type}.", "info"))
            problem = self._consume(existing, state, steps)
            if problem:
                code, text = problem
                state.close(existing, now, text)
                attempts.add(existing.access_type, False, code, text, existing.rule)
                steps.append(Step("license", f"The session is discontinued: {text}.", "fail"))
                return attempts.result(False, None, None, NO_ACCESS_PASS)
            existing.last_activity = now
            attempts.add(existing.access_type, True, "continues_session",
                         f"continues the open session ({browser}) opened at {existing.opened:%H:%M}",
                         existing.rule, step=False)
            return attempts.result(True, existing.access_type, existing.rule, None)

        choice = self._choose(identity, request, state, steps, attempts)
        if choice is None:
            steps.append(Step("license", f"No access type is available: \"{NO_ACCESS_PASS}\".", "fail"))
            return attempts.result(False, None, None, NO_ACCESS_PASS)
        access_type, rule, commit = choice
        refusal = self._session_cap(user, access_type, state)
        if refusal is not None:
            attempts.add(access_type, False, "session_cap", refusal, rule)
            steps.append(Step("license", f"\"{TOO_MANY_SESSIONS}\": {refusal}.", "fail"))
            return attempts.result(False, None, None, TOO_MANY_SESSIONS)
        commit()
        timeout = timedelta(minutes=identity.proxy.session_timeout_minutes if identity.proxy else 30)
        session = Session(user.key, user.qualified, proxy, browser, now, now, timeout, access_type, rule)
        state.sessions.append(session)
        problem = self._consume(session, state, steps)
        if problem:  # cannot happen after a successful choice; kept as a guard
            state.close(session, now, problem[1])
            attempts.add(access_type, False, problem[0], problem[1], rule)
            return attempts.result(False, None, None, NO_ACCESS_PASS)
        steps.append(Step("license", f"A new session opens via {_proxy_label(proxy)} ({browser}) with "
                                     f"{access_type}; it ends after {int(timeout.total_seconds() // 60)} minutes "
                                     f"without activity.", "info"))
        return attempts.result(True, access_type, rule, None)

    def _session_cap(self, user, access_type: str, state: SiteState) -> str | None:
        """Five parallel sessions for professional, analyzer, user and login access passes; after a
        capped user ends one, five minutes must pass. Analyzer capacity: no cap is documented."""
        if access_type == "analyzer_capacity":
            return None
        open_sessions = state.user_sessions(user.key)
        if len(open_sessions) >= SESSION_CAP:
            where = ", ".join(f"{_proxy_label(s.proxy)} ({s.browser})" for s in open_sessions)
            return (f"{user.qualified} already has {len(open_sessions)} sessions open ({where}); the maximum "
                    f"for one user with {access_type} is five")
        cooldown = state.cooldown.get(user.key)
        if cooldown is not None and state.now < cooldown:
            return (f"a session of {user.qualified} ended while five were open; "
                    f"{int(CAP_COOLDOWN.total_seconds() // 60)} minutes must pass before another connection "
                    f"(until {cooldown:%H:%M})")
        return None

    def _choose(self, identity, request, state: SiteState, steps, attempts: "_Attempts"):
        """The first access type that applies, as (type, rule, commit); commit makes it so."""
        lic, user, now = self.site.license, identity.user, state.now

        if identity.anonymous:
            for t in USER_BASED:
                attempts.add(t, False, "anonymous", "not for anonymous users: user-based licences do not support "
                                                    "anonymous authentication")
        else:
            # 1-2: access already allocated to the user
            for t in USER_BASED:
                held = state.allocation(user.key, t)
                if held is not None and held.excess and self.site.semantics.excess_allocation == "refused":
                    attempts.add(t, False, "excess", f"{user.qualified}'s {t} allocation is beyond the licence's "
                                                     f"quota (QRS excess: true; QRS result ExcessAssignment; "
                                                     f"semantics excess_allocation=refused)")
                    continue
                if held is not None:
                    if t == "analyzer" and attempts.code("professional") == "not_allocated":
                        attempts.by_type["professional"]["reason"] += (
                            "; allocated analyzer access comes before professional access rules")
                    attempts.add(t, True, "allocated", f"{user.qualified} has {t} access allocated", held.rule)
                    return t, held.rule, _touch(held, now)
                parked = state.quarantined(user.key, t)
                if parked is not None:
                    attempts.add(t, False, "quarantined", _quarantine_text(user.qualified, t, parked))
                else:
                    attempts.add(t, False, "not_allocated", f"{user.qualified} has no {t} access allocated")
            # 3-4: access rules allocate from the pool
            for t in USER_BASED:
                if state.quarantined(user.key, t) is not None:
                    steps.append(Step("license", f"{t} access rules are not tried: {user.qualified}'s {t} access "
                                                 f"is quarantined.", "skip"))
                    continue
                rules = self.matching_rules(identity, request, t, steps)
                pool = getattr(lic, t)
                if not rules:
                    if attempts.code(t) != "excess":  # the excess allocation is the reason worth telling
                        attempts.add(t, False, "no_rule", f"no {t} access allocated and no {t} access rule matches")
                    continue
                rule = rules[0]
                if pool == 0:
                    attempts.add(t, False, "not_in_licence", f"rule \"{rule.name}\" matches but the licence "
                                                             f"provides no {t} access", rule.name)
                    continue
                if state.in_use(t) >= pool:
                    attempts.add(t, False, "pool_exhausted", f"rule \"{rule.name}\" matches but "
                                                             f"{pool_facts(state, t, pool)}", rule.name)
                    continue

                def give(t=t, rule=rule):
                    state.allocations[(user.key, t)] = Allocation(t, now, now, rule.name, holder=user.qualified)
                attempts.add(t, True, "allocated_by_rule",
                             f"rule \"{rule.name}\" matches and {_a(t)} {t} allocation is free ({state.in_use(t) + 1} of "
                             f"{pool} in use once allocated); it stays allocated", rule.name)
                return t, rule.name, give

        # 5: analyzer capacity
        rules = self.matching_rules(identity, request, "analyzer_capacity", steps)
        left = self.capacity_left(state, now)
        if not rules:
            hint = (" (for anonymous users the condition needs e.g. user.IsAnonymous() or "
                    "user.userDirectory = \"NONE\")" if identity.anonymous else "")
            attempts.add("analyzer_capacity", False, "no_rule", f"no analyzer capacity rule matches{hint}")
        elif lic.key != "signed":
            attempts.add("analyzer_capacity", False, "key_type",
                         f"rule \"{rules[0].name}\" matches but analyzer capacity needs a signed licence key; "
                         f"this site has a serial key", rules[0].name)
        elif lic.analyzer_capacity_minutes == 0 and lic.overage_minutes == 0:
            attempts.add("analyzer_capacity", False, "not_in_licence",
                         f"rule \"{rules[0].name}\" matches but the licence has no analyzer capacity minutes",
                         rules[0].name)
        elif left is not None and left < UNIT_MINUTES:
            attempts.add("analyzer_capacity", False, "minutes_used_up",
                         f"rule \"{rules[0].name}\" matches but this month's analyzer capacity minutes are used "
                         f"up ({state.capacity_used(now)} of {lic.analyzer_capacity_minutes}"
                         f"{f' + {lic.overage_minutes} overage' if lic.overage_minutes else ''}; they reset at "
                         f"00:00 UTC on the 1st)", rules[0].name)
        else:
            attempts.add("analyzer_capacity", True, "minutes_left",
                         f"rule \"{rules[0].name}\" matches and analyzer capacity minutes remain "
                         f"({'unlimited overage' if left is None else f'{left} left'} this month)", rules[0].name)
            return "analyzer_capacity", rules[0].name, lambda: None

        # 6: user access pass (tokens)
        if identity.anonymous:
            attempts.add("user_access", False, "anonymous",
                         "not for anonymous users: a user access pass is assigned to an identified user")
        elif (held := state.allocation(user.key, "user_access")) is not None:
            attempts.add("user_access", True, "allocated", f"{user.qualified} holds a user access pass", held.rule)
            return "user_access", held.rule, _touch(held, now)
        elif (parked := state.quarantined(user.key, "user_access")) is not None:
            attempts.add("user_access", False, "quarantined", _quarantine_text(user.qualified, "user_access", parked))
        else:
            rules = self.matching_rules(identity, request, "user_access", steps)
            if not rules:
                attempts.add("user_access", False, "no_rule", "no user access pass and no user access rule matches")
            elif self.free_tokens(state) < 1:
                attempts.add("user_access", False, "no_tokens",
                             f"rule \"{rules[0].name}\" matches but no token is free ({lic.tokens} in the licence)",
                             rules[0].name)
            else:
                def give_pass(rule=rules[0]):
                    state.allocations[(user.key, "user_access")] = Allocation("user_access", now, now, rule.name,
                                                                             holder=user.qualified)
                attempts.add("user_access", True, "allocated_by_rule",
                             f"rule \"{rules[0].name}\" matches; a user access pass is allocated (1 token)",
                             rules[0].name)
                return "user_access", rules[0].name, give_pass

        # 7: login access groups
        groups = self.matching_rules(identity, request, "login_access", steps)
        window = state.login_windows.get(user.key)
        for rule in groups:
            passes = rule.tokens * PASSES_PER_TOKEN
            used = state.passes_used(rule.name)
            if window is not None and now < window:
                attempts.add("login_access", True, "pass_available",
                             f"login access group \"{rule.name}\" matches; the pass in use runs until "
                             f"{window:%H:%M}", rule.name)
                return "login_access", rule.name, lambda: None
            if used >= passes:
                back = state.next_pass_return(rule.name)
                attempts.add("login_access", False, "passes_used_up",
                             f"login access group \"{rule.name}\" matches but all its {passes} passes were used "
                             f"in the last 28 days" + (f" (the first returns {back:%Y-%m-%d %H:%M})" if back else ""),
                             rule.name)
                continue
            attempts.add("login_access", True, "pass_available",
                         f"login access group \"{rule.name}\" matches; {passes - used} of {passes} passes left",
                         rule.name)
            return "login_access", rule.name, lambda: None
        if not groups:
            attempts.add("login_access", False, "no_rule", "no login access group's licence rule matches")
        return None

    def capacity_left(self, state: SiteState, when: datetime) -> int | None:
        """Analyzer capacity minutes left this calendar month, overage included (None: unlimited)."""
        lic = self.site.license
        if lic.overage_minutes == -1:
            return None
        return lic.analyzer_capacity_minutes + lic.overage_minutes - state.capacity_used(when)

    def free_tokens(self, state: SiteState) -> int:
        given = sum(r.tokens for r in self.site.license_rules if r.type == "login_access")
        return self.site.license.tokens - given - state.in_use("user_access")

    def _consume(self, session: Session, state: SiteState, steps) -> tuple[str, str] | None:
        """Pay for activity at state.now in the session's access type; a (code, text) problem ends it."""
        now = state.now
        if session.access_type == "analyzer_capacity":
            period = int((now - session.opened) / CAPACITY_UNIT)
            if period in session.capacity_periods:
                steps.append(Step("license", f"Activity in the session's 6-minute period {period + 1}, already "
                                             f"paid for: no new unit.", "info"))
                return None
            left = self.capacity_left(state, now)
            if left is not None and left < UNIT_MINUTES:
                return "minutes_used_up", "this month's analyzer capacity minutes are used up"
            key = month_key(now)
            state.capacity_minutes[key] = state.capacity_minutes.get(key, 0) + UNIT_MINUTES
            session.capacity_periods.add(period)
            total = self.site.license.analyzer_capacity_minutes
            steps.append(Step("license", f"Activity in the session's 6-minute period {period + 1} "
                                         f"({session.opened + period * CAPACITY_UNIT:%H:%M}-"
                                         f"{session.opened + (period + 1) * CAPACITY_UNIT:%H:%M}): one unit "
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
                return "passes_used_up", "the hour's login access pass ran out and no other pass is left"
            state.login_passes.setdefault(rule.name, []).append(now)
            state.login_windows[session.user_key] = now + LOGIN_PASS_SPAN
            session.passes += 1
            steps.append(Step("license", f"A login access pass from \"{rule.name}\" is used: it covers 60 minutes, "
                                         f"until {now + LOGIN_PASS_SPAN:%H:%M} ({state.passes_used(rule.name)} of "
                                         f"{passes} used in the last 28 days; each returns 28 days after use).",
                              "info"))
            return None
        alloc = state.allocation(session.user_key, session.access_type)
        if alloc is None:
            return "not_allocated", f"{session.user}'s {session.access_type} access is no longer allocated"
        alloc.last_used = now
        return None


class _Attempts:
    """Every access type tried, one entry per type (its final word), each also a trace step."""

    def __init__(self, steps: list[Step]):
        self.steps = steps
        self.by_type: dict[str, dict] = {}

    def add(self, access_type: str, applied: bool, code: str, reason: str, rule: str | None = None,
            step: bool = True) -> None:
        self.by_type[access_type] = {"access_type": access_type, "applied": applied, "code": code,
                                     "reason": reason, "rule": rule}
        if step:
            self.steps.append(Step("license", f"{_stage(access_type, code)}: {reason}", "pass" if applied else "skip",
                                   rule))

    def code(self, access_type: str) -> str | None:
        entry = self.by_type.get(access_type)
        return entry["code"] if entry else None

    def result(self, granted: bool, access_type, rule, message) -> LicenseResult:
        return LicenseResult(granted, access_type, rule, message, list(self.by_type.values()))


def _stage(access_type: str, code: str) -> str:
    """Professional and analyzer are each tried twice in Qlik's order (allocated, then access rules):
    the step says which of the two it is."""
    if access_type in USER_BASED and code != "anonymous":
        return f"allocated {access_type}" if code in ("allocated", "quarantined", "not_allocated") \
            else f"{access_type} access rules"
    return access_type


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def pool_facts(state: SiteState, access_type: str, pool: int, shown: int = 3) -> str:
    """"all 3 professional allocations are in use: CORP\\ann (last used 2026-11-01 16:20), ...; 1 in
    quarantine" — the pool's facts, most recent holders first."""
    held = state.holders(access_type)
    parked = [q for (_, t), q in state.quarantine.items() if t == access_type and q.until > state.now]
    names = [f"{who} (last used {a.last_used:%Y-%m-%d %H:%M})" if a.last_used else f"{who} (never used)"
             for who, a in held[:shown]]
    more = f" and {len(held) - shown} more" if len(held) > shown else ""
    text = f"all {pool} {access_type} allocations are in use ({len(held)} held, {len(parked)} in quarantine)"
    if names:
        text += f"; most recently used: {', '.join(names)}{more}"
    if parked:
        soonest = min(parked, key=lambda q: q.until)
        text += f"; the first quarantine ends {soonest.until:%Y-%m-%d %H:%M} ({soonest.user})"
    return text


def _touch(alloc: Allocation, now: datetime):
    def use() -> None:
        alloc.last_used = now
    return use


def _quarantine_text(who: str, access_type: str, parked: Quarantine) -> str:
    return (f"{who}'s {access_type} access is quarantined until {parked.until:%Y-%m-%d %H:%M} (deallocated within "
            f"seven days of use); it can be reinstated to {who} (allocate), not given to anyone else")


def _mentions_resource(rule: LicenseRule) -> bool:
    root = rule.parsed.root if rule.parsed is not None else None
    return any(isinstance(n, Path) and n.root.lower() == "resource" for n in walk(root))


# -- QMC actions on allocations --------------------------------------------------------------------

def deallocate(site: Site, state: SiteState, user_key: str, qualified: str,
               access_type: str | None = None) -> str:
    """Remove a user's allocated access (QMC: License management > ... allocations > Deallocate)."""
    types = [access_type] if access_type else state.allocated_types(user_key)
    if not types or all(state.allocation(user_key, t) is None for t in types):
        return f"{qualified} has no {access_type + ' ' if access_type else ''}access allocated"
    return "\n".join(_deallocate_one(site, state, user_key, qualified, t) for t in types
                     if state.allocation(user_key, t) is not None)


def _deallocate_one(site: Site, state: SiteState, user_key: str, qualified: str, access_type: str) -> str:
    alloc = state.allocations.pop((user_key, access_type))
    used = alloc.last_used
    recent = used is not None and state.now - used < QUARANTINE
    if access_type == "user_access":
        quarantines, why = True, "user access passes are quarantined for 7 days from last use"
    else:
        choice = site.semantics.allocation_quarantine
        quarantines = choice == "always" or (choice == "serial_only" and site.license.key == "serial")
        why = (f"semantics allocation_quarantine={choice}, licence key {site.license.key}: "
               f"{'quarantined' if quarantines else 'released at once'}")
    if quarantines and recent:
        until = used + QUARANTINE
        state.quarantine[(user_key, access_type)] = Quarantine(access_type, qualified, until, used)
        return (f"{qualified}'s {access_type} access is deallocated and quarantined until "
                f"{until:%Y-%m-%d %H:%M} ({why}); it cannot be given to anyone else until then")
    if quarantines:
        return (f"{qualified}'s {access_type} access is released at once: "
                f"{'never used' if used is None else 'not used in the last seven days'}")
    return f"{qualified}'s {access_type} access is released at once ({why})"


def allocate_access(site: Site, state: SiteState, user, access_type: str) -> str:
    """Allocate (or reinstate from quarantine) access to a user, as the QMC's Allocate button does.
    Raises ValueError when the QMC would not allow it."""
    if access_type not in ("professional", "analyzer", "user_access"):
        raise ValueError(f"only professional, analyzer and user_access are allocated to users, not {access_type!r}")
    if user.is_anonymous:
        raise ValueError("anonymous users cannot be allocated access: user-based licences and user access passes "
                         "are for identified users")
    if state.allocation(user.key, access_type) is not None:
        return f"{user.qualified} already has {access_type} access allocated"
    parked = state.quarantined(user.key, access_type)
    if parked is not None:
        del state.quarantine[(user.key, access_type)]
        state.allocations[(user.key, access_type)] = Allocation(access_type, state.now, parked.last_used,
                                                                holder=user.qualified)
        return (f"{user.qualified}'s quarantined {access_type} access is reinstated (\"You can reinstate "
                f"quarantined ... access, to the same user, within seven days\"); no other allocation is used")
    lic = site.license
    if access_type == "user_access":
        if Licensing(site).free_tokens(state) < 1:
            raise ValueError(f"no token is free for a user access pass ({lic.tokens} in the licence, the rest given "
                             f"to login access groups, user access passes or quarantine)")
    elif state.in_use(access_type) >= getattr(lic, access_type):
        raise ValueError(f"all {getattr(lic, access_type)} {access_type} allocations are in use or quarantined "
                         f"(QMC: \"Allocate is disabled if the number of licenses available for allocation is "
                         f"insufficient\")")
    state.allocations[(user.key, access_type)] = Allocation(access_type, state.now, holder=user.qualified)
    return f"{user.qualified} is allocated {access_type} access"


def logout(state: SiteState, user_key: str, browser: str | None = None) -> list[str]:
    return [state.close(s, state.now, "logged out") for s in list(state.sessions)
            if s.user_key == user_key and (browser is None or s.browser == browser)]


def _proxy_label(prefix: str) -> str:
    return f"/{prefix}" if prefix else "the central proxy"
