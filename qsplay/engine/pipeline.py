"""One request through the phases: authentication, licence, security, and (when an app is opened in the
hub) section access -> a Decision."""
from __future__ import annotations

from ..model import Site
from .access_types import access_type_limit
from .authentication import authenticate
from .decision import Decision, Step
from .licensing import Licensing
from .request import Request
from .section_access import app_opened, evaluate as evaluate_section_access, steps_for as section_access_steps
from .security import SecurityEngine
from .state import SiteState


class Engine:
    """The decision engine for one site. Keeps no state of its own between requests: the
    SiteState passed in (clock, allocations, usage) is what carries over."""

    def __init__(self, site: Site):
        self.site = site
        self.security = SecurityEngine(site)
        self.licensing = Licensing(site)

    def new_state(self) -> SiteState:
        return SiteState.start(self.site)

    def decide(self, request: Request, state: SiteState | None = None, trace: bool = True) -> Decision:
        state = state or self.new_state()
        resource = self.site.find_resource(request.resource)
        steps: list[Step] = []
        for event in state.advance_to(request.at) if request.at is not None else state.advance_to(state.now):
            steps.append(Step("authentication", event, "note"))

        identity = authenticate(self.site, request, steps)
        if identity.outcome == "refused":
            return Decision(request, "deny", "authentication", identity, None, None, steps, state.now,
                            rule_set=self.site.rule_set)

        license = self.licensing.allocate(identity, request, state, steps)
        if not license.granted:
            return Decision(request, "deny", "license", identity, license, None, steps, state.now,
                            rule_set=self.site.rule_set)

        security = self.security.evaluate(identity.user, resource, request.action, request.context,
                                          request.environment, trace=trace)
        if self.site.rule_set is not None:
            steps.append(Step("security", f"The site uses the {self.site.rule_set.describe()}.", "info"))
        steps.extend(_security_steps(security))
        rs = self.site.rule_set
        if not security.allowed:
            return Decision(request, "deny", "security", identity, license, security, steps, state.now, rule_set=rs)
        limit = (access_type_limit(license.access_type, resource, request.action, self.site.semantics)
                 if request.context == "hub" else None)  # the limits are the hub's (creating sheets, apps)
        if limit is not None:
            license.limit = limit
            steps.append(Step("license", f"The security rules grant {request.action} on {resource.ref}, but "
                                         f"{limit.reason}.", "fail", detail={"limit": limit.to_dict()}))
            return Decision(request, "deny", "license", identity, license, security, steps, state.now, rule_set=rs)
        app = app_opened(resource, request.action, request.context)
        if app is None:
            return Decision(request, "allow", None, identity, license, security, steps, state.now, rule_set=rs)
        opened = evaluate_section_access(app.section_access, identity.user, app.ref, self.site.semantics)
        steps.extend(section_access_steps(opened))
        return Decision(request, "allow" if opened.allowed else "deny", None if opened.allowed else "section_access",
                        identity, license, security, steps, state.now, section_access=opened, rule_set=rs)


def _security_steps(security) -> list[Step]:
    steps = []
    for ev in security.evaluations:
        outcome = {"granted": "pass", "false": "fail", "failed": "fail", "parse_error": "fail"}.get(ev.status, "skip")
        detail = {"status": ev.status, "condition": ev.condition}
        if ev.trace is not None:
            detail["trace"] = ev.trace  # a TraceNode; Step.to_dict writes it out as plain dicts
        steps.append(Step("security", f"Rule \"{ev.rule}\": {ev.reason}.", outcome, ev.rule, detail))
    for note in security.notes:
        steps.append(Step("security", note, "note"))
    if security.allowed:
        rules = ", ".join(f'"{r}"' for r in security.granting_rules)
        steps.append(Step("security", f"Access granted: {rules} grant{'s' if len(security.granting_rules) == 1 else ''} "
                                      f"{security.action} on {security.resource}.", "pass"))
    else:
        steps.append(Step("security", f"No security rule grants {security.action} on {security.resource}; "
                                      f"rules only ever grant, so access is denied.", "fail"))
    return steps


def decide(site: Site, request: Request, state: SiteState | None = None) -> Decision:
    return Engine(site).decide(request, state)
