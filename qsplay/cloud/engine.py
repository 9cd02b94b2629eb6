"""Decisions on Qlik Cloud: identity, entitlement, then tenant permission and space role.

The same three phases as on Windows, re-read for the Cloud (docs/cloud.md):
1. identity — a tenant user, or an anonymous visitor with the app's access code (a link or embed
   code carries it as `eac`); a reset code no longer works;
2. entitlement — professional or analyzer (or analyzer capacity) for tenant users; for anonymous
   visitors the tenant's anonymous capacity (concurrent sessions), each session lasting 15 minutes;
3. permission — the space role's documented permission table (highest role wins: individual and
   group roles add up), plus the tenant permission "Public link creation" where Qlik requires it.
"""
from __future__ import annotations

from datetime import timedelta

from ..engine.authentication import anonymous_user
from ..engine.decision import Decision, Identity, LicenseResult, RuleEvaluation, SecurityResult, Step
from ..engine.request import Request
from ..engine.state import Session, SiteState
from ..model import Site
from .model import Space, cloud
from .permissions import (ANON_CAPS, ANONYMOUS, ANONYMOUS_ACTIONS, NEEDS_PUBLIC_LINK_PERMISSION, PERMISSION,
                          ROLE_LABELS, TABLE)

ANONYMOUS_SESSION = timedelta(minutes=15)
AUDIT_ACTIONS = {
    "App": ("open", "publish", "share_app", "delete_app", "edit_app_attributes", "toggle_anonymous_access",
            "reset_access_code", "copy_link", "copy_embed_code"),
    "Space": ("see_space", "manage_members", "delete_space", "manage_folders", "create_app"),
}
NO_SUBSCRIPTION = "Anonymous access is only available with a Qlik Anonymous Access subscription"


class CloudEngine:
    def __init__(self, site: Site):
        self.site = site
        self.cloud = cloud(site)
        self.security = None  # the Windows rule engine does not apply to a Cloud tenant

    def new_state(self) -> SiteState:
        return SiteState.start(self.site)

    def decide(self, request: Request, state: SiteState | None = None, trace: bool = True) -> Decision:
        state = state or self.new_state()
        steps: list[Step] = []
        for event in state.advance_to(request.at or state.now):
            steps.append(Step("authentication", event, "note"))
        resource = self.site.find_resource(request.resource)
        app = resource if resource.kind == "App" else getattr(resource, "app", None)
        info = self.cloud.apps.get(app.id) if app is not None else None
        space = resource if isinstance(resource, Space) else (info.space if info else None)

        identity = self._identity(request, app, info, steps)
        if identity.outcome == "refused":
            return Decision(platform="cloud", request=request, decision="deny", denied_by="authentication",
                            identity=identity, license=None, security=None, steps=steps, at=state.now)
        license = self._entitlement(identity, request, state, steps)
        if not license.granted:
            return Decision(platform="cloud", request=request, decision="deny", denied_by="license",
                            identity=identity, license=license, security=None, steps=steps, at=state.now)
        security = self._permission(identity, request, resource, app, info, space, steps)
        return Decision(platform="cloud", request=request, decision="allow" if security.allowed else "deny",
                        denied_by=None if security.allowed else "security", identity=identity, license=license,
                        security=security, steps=steps, at=state.now)

    def granted(self, user, resource, context: str = "hub") -> dict[str, list[str]]:
        """action -> the space roles (or anonymous access) allowing it: one audit cell, permission phase only
        (like the QMC's security audit, entitlements are not part of it)."""
        from ..engine.request import Request
        app = resource if resource.kind == "App" else None
        info = self.cloud.apps.get(app.id) if app is not None else None
        space = resource if isinstance(resource, Space) else (info.space if info else None)
        if getattr(user, "is_anonymous", False):
            if info is None or not info.anonymous_access:
                return {}
            return {a: ["anonymous access"] for a in sorted(ANONYMOUS_ACTIONS - {"read"})}
        identity = Identity(user, False, "user")
        out = {}
        for action in AUDIT_ACTIONS["Space" if isinstance(resource, Space) else resource.kind]:
            result = self._permission(identity, Request(resource.ref, action), resource, app, info, space, [])
            if result.allowed:
                out[action] = list(result.granting_rules)
        return out

    # -- 1. identity -------------------------------------------------------------------------------
    def _identity(self, request: Request, app, info, steps) -> Identity:
        def step(text, outcome="info"):
            steps.append(Step("authentication", text, outcome))
        if not request.is_visitor:
            user = self.site.find_user(request.user)
            if user.inactive or user.blacklisted or user.removed_externally:
                step(f"{user.qualified} is not an active tenant user.", "fail")
                return Identity(user, False, "refused", None, "The user is not active in the tenant.")
            step(f"{user.qualified} signs in to the tenant.", "pass")
            return Identity(user, False, "user")
        tenant = self.cloud.tenant
        if tenant.subscription != "anonymous_access":
            step(f"A visitor without a Qlik account: \"{NO_SUBSCRIPTION}\" ({ANONYMOUS}); this tenant's "
                 f"subscription is {tenant.subscription}.", "fail")
            return Identity(None, False, "refused", None, NO_SUBSCRIPTION)
        code = _code(request)
        if app is None or info is None or not info.anonymous_access:
            step(f"Anonymous access is not turned on for {request.resource}: \"Anonymous access is controlled at "
                 f"the app level\" ({ANONYMOUS}).", "fail")
            return Identity(None, False, "refused", None, "Anonymous access is not turned on for this app.")
        if code is None:
            step("The visitor has no access code: an app link copied without a qualifying space role carries "
                 "none, and the code is \"what provides authentication for anonymous users\".", "fail")
            return Identity(None, False, "refused", None, "No access code.")
        if code in info.previous_codes:
            step(f"The access code {code!r} was reset: \"users with the old access code can no longer access the "
                 f"app\" ({ANONYMOUS}).", "fail")
            return Identity(None, False, "refused", None, "The access code was reset.")
        if code != info.access_code:
            step(f"The access code {code!r} is not this app's.", "fail")
            return Identity(None, False, "refused", None, "Wrong access code.")
        user = anonymous_user(self.site, request.visitor_name)
        step("The visitor's link carries the app's current access code (it does not expire): they are an "
             "anonymous user, not a member of the tenant.", "pass")
        return Identity(user, True, "anonymous")

    # -- 2. entitlement ----------------------------------------------------------------------------
    def _entitlement(self, identity: Identity, request: Request, state: SiteState, steps) -> LicenseResult:
        def step(text, outcome="info"):
            steps.append(Step("license", text, outcome))
        user = identity.user
        if identity.anonymous:
            tenant = self.cloud.tenant
            browser = request.session or "browser"
            mine = next((s for s in state.sessions if s.user_key == user.key and s.browser == browser), None)
            if mine is not None and state.now - mine.opened >= ANONYMOUS_SESSION:
                state.close(mine, mine.opened + ANONYMOUS_SESSION, "an anonymous session lasts 15 minutes")
                step("The visitor's 15-minute anonymous session has ended; a refresh starts a new one.", "note")
                mine = None
            state.sessions[:] = [s for s in state.sessions if not (s.access_type == "anonymous"
                                                                    and state.now - s.opened >= ANONYMOUS_SESSION)]
            if mine is None:
                open_anon = sum(1 for s in state.sessions if s.access_type == "anonymous")
                if open_anon >= tenant.anonymous_capacity:
                    step(f"All {tenant.anonymous_capacity} concurrent anonymous sessions of the tenant's anonymous "
                         f"capacity are in use.", "fail")
                    return LicenseResult(False, None, None, "The tenant's anonymous capacity is in use",
                                         [{"access_type": "anonymous", "applied": False,
                                           "reason": "anonymous capacity in use", "rule": None}])
                state.sessions.append(Session(user.key, user.qualified, "", browser, state.now, state.now,
                                              ANONYMOUS_SESSION, "anonymous"))
                step(f"A 15-minute anonymous session starts ({open_anon + 1} of {tenant.anonymous_capacity} "
                     f"concurrent anonymous sessions).", "pass")
            return LicenseResult(True, "anonymous", None, None,
                                 [{"access_type": "anonymous", "applied": True, "reason": "anonymous capacity", "rule": None}])
        for entitlement in ("professional", "analyzer"):
            if entitlement in user.access:
                step(f"{user.qualified} has {entitlement} entitlement.", "pass")
                return LicenseResult(True, entitlement, None, None,
                                     [{"access_type": entitlement, "applied": True, "reason": "assigned", "rule": None}])
        if self.site.license.analyzer_capacity_minutes > 0:
            step(f"{user.qualified} has no professional or analyzer entitlement; analyzer capacity applies.", "pass")
            return LicenseResult(True, "analyzer_capacity", None, None,
                                 [{"access_type": "analyzer_capacity", "applied": True, "reason": "capacity", "rule": None}])
        step(f"{user.qualified} has no entitlement (professional, analyzer or analyzer capacity).", "fail")
        return LicenseResult(False, None, None, "No entitlement",
                             [{"access_type": t, "applied": False, "reason": "not assigned", "rule": None}
                              for t in ("professional", "analyzer", "analyzer_capacity")])

    # -- 3. permission -----------------------------------------------------------------------------
    def _permission(self, identity, request, resource, app, info, space, steps) -> SecurityResult:
        result = SecurityResult(False, resource.ref, request.action)
        action = request.action
        if identity.anonymous:
            ok = action in ANONYMOUS_ACTIONS and app is not None
            reason = (f"anonymous users may open the app, its public sheets, make selections and download content "
                      f"({ANON_CAPS})" if ok else f"anonymous users cannot {action}")
            result.evaluations.append(RuleEvaluation("anonymous access", "granted" if ok else "false", reason))
            result.allowed = ok
            result.granting_rules = ["anonymous access"] if ok else []
            steps.append(Step("security", reason, "pass" if ok else "fail"))
            return result
        user = identity.user
        if action == "read":
            action = "open" if resource.kind != "Space" else "see_space"
        if space is None:
            owner_ok = resource.owner is not None and resource.owner.key == user.key
            text = ("an app in its owner's personal space: only the owner may open it" if resource.kind != "Space"
                    else "not a space")
            result.evaluations.append(RuleEvaluation("personal space", "granted" if owner_ok else "false", text))
            result.allowed = owner_ok and action in ("open", "publish", "create_app")
            result.granting_rules = ["personal space owner"] if result.allowed else []
            steps.append(Step("security", f"Personal space: {text}.", "pass" if result.allowed else "fail"))
            return result
        held = space.roles_of(user)
        row = TABLE.get(action, {}).get(space.type)
        if row is None:
            text = f"Qlik documents no {action} for a {space.type} space"
            result.evaluations.append(RuleEvaluation(f"{space.name} ({space.type})", "false", text))
            steps.append(Step("security", text + ".", "fail"))
            return result
        allowed_roles, page = row
        if not held:
            extra = (" TenantAdmin does not help: \"even if a user has been assigned the broadest administrative "
                     "tenant role (TenantAdmin), they still need the appropriate space role to open a Qlik Sense "
                     "app in a space\"." if "TenantAdmin" in user.roles else "")
            steps.append(Step("security", f"{user.qualified} has no role in the {space.type} space "
                                          f"{space.name!r}.{extra}", "fail"))
        for role, how in held.items():
            ok = role in allowed_roles
            label = f"space role {ROLE_LABELS[role]} in {space.name} ({space.type})"
            verdict = "may" if ok else "may not"
            text = f"{ROLE_LABELS[role]} ({how}) {verdict} {action.replace('_', ' ')} ({page})"
            result.evaluations.append(RuleEvaluation(label, "granted" if ok else "false", text))
            steps.append(Step("security", text + ".", "pass" if ok else "fail", label))
            if ok:
                result.allowed = True
                result.granting_rules.append(label)
        if result.allowed and action in NEEDS_PUBLIC_LINK_PERMISSION:
            permitted, why = self.cloud.tenant.permission(user, "public_link_creation")
            steps.append(Step("security", f"Tenant permission \"Public link creation\": {why} ({PERMISSION}).",
                              "pass" if permitted else "fail"))
            result.evaluations.append(RuleEvaluation("Public link creation", "granted" if permitted else "false", why))
            if not permitted:
                result.allowed = False
                result.granting_rules = []
        if result.allowed and action == "toggle_anonymous_access" and not (info and info.anonymous_access):
            # switching it on needs the subscription at that moment, not only when a visitor arrives:
            # anonymous sharing "is only available with a Qlik Anonymous Access subscription" (Sharing app
            # content with anonymous access, https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Share/share-anonymous-access.htm)
            tenant = self.cloud.tenant
            if tenant.subscription != "anonymous_access":
                steps.append(Step("security", f"Turning anonymous access on: \"{NO_SUBSCRIPTION}\" ({ANONYMOUS}); this "
                                              f"tenant's subscription is {tenant.subscription}.", "fail"))
                result.evaluations.append(RuleEvaluation("Qlik Anonymous Access subscription", "false",
                                                         f"the tenant's subscription is {tenant.subscription}"))
                result.allowed = False
                result.granting_rules = []
                result.notes.append(NO_SUBSCRIPTION)
        if result.allowed and action in ("copy_link", "copy_embed_code") and not (info and info.anonymous_access):
            steps.append(Step("security", "Anonymous access is off for this app: the link carries no access code.",
                              "note"))
        if not result.allowed:
            needed = ", ".join(ROLE_LABELS[r] for r in sorted(allowed_roles))
            steps.append(Step("security", f"{action.replace('_', ' ')} in a {space.type} space needs one of: {needed}.",
                              "fail"))
        return result


def _code(request: Request) -> str | None:
    for key in ("eac", "access_code", "code"):
        for k, v in request.environment.items():
            if k.lower() == key and v:
                return v[0]
    return None
