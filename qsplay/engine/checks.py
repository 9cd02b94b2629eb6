"""Run a scenario's `checks:` in order against one simulated site."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Check, Site
from .decision import Decision


@dataclass
class CheckResult:
    check: Check
    decision: Decision | None
    passed: bool
    explanation: str
    error: str | None = None

    def to_dict(self) -> dict:
        c = self.check
        expected = {"decision": c.expect}
        if c.denied_by:
            expected["denied_by"] = c.denied_by
        if c.access_type:
            expected["access_type"] = c.access_type
        got = None
        if self.decision is not None:
            got = {"decision": self.decision.decision, "denied_by": self.decision.denied_by,
                   "access_type": self.decision.access_type}
        out = {"name": c.name, "passed": self.passed, "expected": expected, "got": got,
               "explanation": self.explanation}
        if c.location is not None:
            out["line"] = c.location[0] + 1
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class FileResult:
    file: str
    results: list[CheckResult] = field(default_factory=list)
    error: str | None = None  # the file did not load
    events: list[str] = field(default_factory=list)  # what steps did (clock moved, sessions ended, ...)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed) + (1 if self.error else 0)

    def to_dict(self) -> dict:
        checks = [r.to_dict() for r in self.results]
        if self.error:
            checks.append({"name": self.file, "passed": False, "expected": None, "got": None,
                           "explanation": self.error})
        return {"file": self.file, "checks": checks}


def run_checks(site: Site, file: str | None = None) -> FileResult:
    from . import engine_for
    engine = engine_for(site)
    state = engine.new_state()
    out = FileResult(file or site.source or site.name)
    changed = False
    for check in site.checks:
        if check.step is not None:
            try:
                if any(check.step.get(k) is not None for k in SITE_STEPS):
                    if not changed:  # the caller's site stays as loaded; the file's day goes on on a copy
                        site, changed = site.copy(), True
                    out.events.extend(change_site(site, check.step))
                    engine = engine_for(site)  # engines index rules once: a changed site gets a new one
                out.events.extend(apply_step(site, state, check.step))
            except StepRefused as exc:  # a step the QMC would not allow is a failed check, never silent
                out.results.append(CheckResult(check, None, False, str(exc), str(exc)))
            continue
        try:
            decision = engine.decide(check.request, state)
        except LookupError as exc:
            out.results.append(CheckResult(check, None, False, str(exc), str(exc)))
            continue
        out.results.append(_judge(check, decision))
    return out


class StepRefused(Exception):
    """A step that cannot be carried out (e.g. allocating from an empty pool)."""


def apply_step(site: Site, state, step: dict) -> list[str]:
    """Move the simulated site on: advance the clock, end sessions, allocate or deallocate access."""
    from .licensing import allocate_access, deallocate, logout
    events = []
    if step.get("advance") is not None:
        try:
            target = state.now + step["advance"]
        except OverflowError:
            raise StepRefused(f"advance {step['advance']}: that is past the year 9999, where the clock ends") from None
        events += state.advance_to(target)
        events.append(f"the clock moves to {state.now:%Y-%m-%d %H:%M} UTC")
    if step.get("at") is not None:
        events += state.advance_to(step["at"])
        events.append(f"the clock moves to {state.now:%Y-%m-%d %H:%M} UTC")
    if step.get("logout") is not None:
        who = step["logout"]
        if isinstance(who, str):
            from .authentication import anonymous_user
            who = anonymous_user(site, who.partition(":")[2])
        events += logout(state, who.key, step.get("session")) or [f"{who.qualified} had no open session"]
    if step.get("deallocate") is not None:
        user = step["deallocate"]
        events.append(deallocate(site, state, user.key, user.qualified, step.get("access")))
    if step.get("allocate") is not None:
        try:
            events.append(allocate_access(site, state, step["allocate"], step["access"]))
        except ValueError as exc:
            raise StepRefused(f"allocate {step['allocate'].qualified} {step['access']}: {exc}") from None
    return events


SITE_STEPS = ("disable_rule", "enable_rule", "delete_rule", "edit_rule", "delete_user", "set_anonymous")
# Sources: "If a user access rule is deleted, and there are currently users with tokens allocated due
# to this rule, these tokens will not automatically be unallocated. They have to be unallocated
# manually." (help, Deleting user access rule,
# https://help.qlik.com/sense/1.1/en-US/online/Subsystems/ManagementConsole/Content/QMC_Resources_UserAccessRules_Deleting.htm);
# deleting a user: "The user will not be part of the Qlik Sense system. The user will not be granted
# access from the security evaluation." (help, Deleting users,
# https://help.qlik.com/en-US/sense-admin/September2019/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/delete-users.htm);
# Read only rules "cannot be edited or deleted" (help, Security rules included in Qlik Sense).


def change_site(site: Site, step: dict) -> list[str]:
    """Change a site between two requests, as an administrator does in the QMC. What the licence has
    already allocated stays allocated (allocations live in the SiteState, not in the rules)."""
    events = []
    for key, disabled in (("disable_rule", True), ("enable_rule", False)):
        if step.get(key) is not None:
            rule = _rule(site, step[key])
            rule.disabled = disabled
            events.append(f"rule \"{rule.name}\" is {'disabled' if disabled else 'enabled'}")
    if step.get("delete_rule") is not None:
        rule = _rule(site, step["delete_rule"])
        if getattr(rule, "type", "") == "ReadOnly":
            raise StepRefused(f"delete_rule {rule.name}: a Read only rule cannot be edited or deleted")
        if rule in site.security_rules:
            site.security_rules.remove(rule)
        else:
            site.license_rules.remove(rule)
            events.append(f"licence rule \"{rule.name}\" is deleted; access it allocated stays allocated until "
                          f"deallocated (\"these tokens will not automatically be unallocated\")")
            return events
        events.append(f"rule \"{rule.name}\" is deleted")
    if step.get("edit_rule") is not None:
        rule = _rule(site, step["edit_rule"])
        if getattr(rule, "type", "") == "ReadOnly":
            raise StepRefused(f"edit_rule {rule.name}: a Read only rule cannot be edited or deleted")
        rule.condition, rule.parsed, rule.parse_error = step["condition"]
        if getattr(rule, "preinstalled", False):
            rule.edited = True
        events.append(f"rule \"{rule.name}\" now reads: {rule.condition or '(empty)'}")
    if step.get("delete_user") is not None:
        user = site.find_user(step["delete_user"].qualified)
        site.users.remove(user)
        site._index.pop("user", None)
        site.extra.setdefault("deleted_users", set()).add(user.qualified.casefold())
        events.append(f"{user.qualified} is deleted: no longer part of the site, granted nothing by the rules")
    if step.get("set_anonymous") is not None:
        from ..model import ANONYMOUS_LABELS
        if not site.virtual_proxies:  # the implicit central proxy becomes an explicit one to change
            from ..model import VirtualProxy
            site.virtual_proxies.append(VirtualProxy(prefix="", description="Central proxy (default)"))
        proxy = site.find_proxy(step.get("proxy", ""))
        proxy.anonymous = step["set_anonymous"]
        events.append(f"{proxy.label} is set to \"{ANONYMOUS_LABELS[proxy.anonymous]}\"")
    return events


def _rule(site: Site, name: str):
    for rules in (site.security_rules, site.license_rules):
        for rule in rules:
            if rule.name.casefold() == name.casefold():
                return rule
    raise StepRefused(f"there is no rule {name!r} (any more)")


def _judge(check: Check, decision: Decision) -> CheckResult:
    problems = []
    if decision.decision != check.expect:
        problems.append(f"expected {check.expect}, got {decision.decision}")
    if check.denied_by and decision.denied_by != check.denied_by:
        problems.append(f"expected denial by {check.denied_by}, got {decision.denied_by or 'no denial'}")
    if check.access_type and decision.access_type != check.access_type:
        problems.append(f"expected access type {check.access_type}, got {decision.access_type or 'none'}")
    passed = not problems
    return CheckResult(check, decision, passed, explain(decision) if passed else "; ".join(problems) +
                       ": " + explain(decision))


def explain(decision: Decision) -> str:
    """Why the decision came out as it did, in one sentence."""
    if decision.denied_by == "authentication":
        return f"refused at authentication: {decision.identity.message}"
    if decision.denied_by == "license" and decision.license.limit is not None:
        return (f"the security rules grant {decision.request.action} on {decision.request.resource} "
                f"({', '.join(decision.security.granting_rules)}), but {decision.license.limit.reason}")
    if decision.denied_by == "license":
        failed = [f"{a['access_type']} ({a['reason']})" for a in decision.license.attempts if not a["applied"]]
        return f"{decision.license.message}; tried: " + "; ".join(failed)
    who = decision.identity.user.qualified
    if decision.denied_by == "section_access":
        return f"{who} may open the app by the security rules, but section access refuses: " \
               f"{decision.section_access.reason}"
    if decision.allowed:
        return (f"{who} got {decision.access_type}; granted by " + ", ".join(decision.security.granting_rules))
    considered = [e for e in decision.security.evaluations if e.status in ("false", "disabled", "failed")]
    names = ", ".join(f"{e.rule} ({e.status})" for e in considered[:6]) or "none applies"
    return f"{who} got {decision.access_type}, but no security rule grants {decision.request.action} " \
           f"on {decision.request.resource}; rules considered: {names}"
