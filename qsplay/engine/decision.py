"""A decision as plain data: what each phase found, and the steps that explain it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .request import Request

PHASES = ("authentication", "license", "security", "section_access")


@dataclass
class Step:
    phase: str  # authentication | license | security | section_access
    text: str  # one sentence a person can read
    outcome: str = "info"  # info | pass | fail | skip | note
    rule: str | None = None
    detail: dict | None = None  # structured data (e.g. a condition's evaluation tree)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"phase": self.phase, "text": self.text, "outcome": self.outcome}
        if self.rule is not None:
            out["rule"] = self.rule
        if self.detail is not None:
            out["detail"] = {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in self.detail.items()}
        return out


@dataclass
class Identity:
    user: Any  # model.User (for anonymous visitors a synthetic NONE\anonymous<guid> user)
    anonymous: bool
    outcome: str  # user | anonymous | refused
    proxy: Any = None  # model.VirtualProxy
    message: str | None = None  # Qlik's wording when refused

    def to_dict(self) -> dict:
        out = {"user": self.user.qualified if self.user is not None else None, "anonymous": self.anonymous,
               "outcome": self.outcome, "message": self.message,
               "proxy": self.proxy.prefix if self.proxy is not None else None}
        if self.proxy is not None:  # extension: what the virtual proxy records
            out["authentication"] = self.proxy.authentication
            out["anonymous_mode"] = self.proxy.anonymous
            out["session_timeout_minutes"] = self.proxy.session_timeout_minutes
        return out


@dataclass
class LicenseResult:
    granted: bool
    access_type: str | None = None
    rule: str | None = None
    message: str | None = None
    attempts: list[dict] = field(default_factory=list)  # each access type tried, and why it (did not) apply
    limit: Any = None  # engine.access_types.AccessTypeLimit: the access type does not allow this action

    def to_dict(self) -> dict:
        out = {"granted": self.granted, "access_type": self.access_type, "rule": self.rule,
               "message": self.message, "attempts": list(self.attempts)}
        if self.limit is not None:  # extension: allowed by the rules, refused by the access type
            out["limit"] = self.limit.to_dict()
        return out


@dataclass
class RuleEvaluation:
    """One security rule considered for a request."""
    rule: str
    status: str  # granted | false | disabled | action | context | failed | parse_error
    reason: str
    condition: str = ""
    trace: Any = None  # rules.TraceNode of the condition (when evaluated)
    would_grant: bool | None = None  # for disabled rules: would the condition have been true?

    def to_dict(self) -> dict:
        out = {"rule": self.rule, "status": self.status, "reason": self.reason, "condition": self.condition}
        if self.trace is not None:
            out["trace"] = self.trace.to_dict()
        if self.would_grant is not None:
            out["would_grant"] = self.would_grant
        return out


@dataclass
class SecurityResult:
    allowed: bool
    resource: str  # its reference, e.g. stream:Sales
    action: str
    granting_rules: list[str] = field(default_factory=list)
    evaluations: list[RuleEvaluation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"allowed": self.allowed, "resource": self.resource, "action": self.action,
                "granting_rules": list(self.granting_rules),
                "rules": [e.to_dict() for e in self.evaluations], "notes": list(self.notes)}


@dataclass
class Decision:
    request: Request
    decision: str  # allow | deny
    denied_by: str | None
    identity: Identity | None
    license: LicenseResult | None
    security: SecurityResult | None
    steps: list[Step] = field(default_factory=list)
    at: Any = None  # when it happened on the simulated clock
    platform: str = "windows"  # windows | cloud (the phases read differently)
    rule_set: Any = None  # defaults.releases.RuleSet: whose preinstalled rules were used (None: none)
    section_access: Any = None  # engine.section_access.SectionAccessResult, when the request opens an app

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def access_type(self) -> str | None:
        return self.license.access_type if self.license else None

    def to_dict(self) -> dict:
        """The contract's `qsplay decide --json` object (plus extension fields)."""
        sec = None
        if self.security is not None:
            sec = {"allowed": self.security.allowed, "granting_rules": list(self.security.granting_rules),
                   "rules": [e.to_dict() for e in self.security.evaluations]}
        out = {
            "request": self.request.to_dict(),
            "decision": self.decision,
            "denied_by": self.denied_by,
            "identity": self.identity.to_dict() if self.identity else None,
            "license": self.license.to_dict() if self.license else None,
            "security": sec,
            # extension: the fourth phase (null when it did not run: not an app opened in the hub)
            "section_access": self.section_access.to_dict() if self.section_access is not None else None,
            "steps": [s.to_dict() for s in self.steps],
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ") if self.at is not None else None,
        }
        if self.rule_set is not None:  # extension: which release's preinstalled rules were used
            out["rule_set"] = self.rule_set.to_dict()
        return out

    def summary(self) -> str:
        """One line: what was decided, and by what."""
        req = self.request
        who = self.identity.user.qualified if self.identity and self.identity.user is not None else (req.user or "anonymous")
        head = f"{who} {req.action} {req.resource}" + ("" if self.platform == "cloud" else f" in {req.context}")
        if self.allowed:
            rules = ", ".join(self.security.granting_rules) if self.security else ""
            via = f" as {self.access_type}" if self.access_type else ""
            if self.platform == "cloud":
                head = f"{who} {req.action} {req.resource}"
            seen = ""
            if self.section_access is not None and self.section_access.has_table:
                red = self.section_access.reduction
                seen = "; section access: " + ("all data" if red is None else
                                               "; ".join(f"{k} = {', '.join(v)}" for k, v in red.items()) or "no reduction")
            return f"ALLOW  {head}{via} (granted by {rules}{seen})"
        if self.denied_by == "authentication":
            return f"DENY   {head}: refused at authentication: {self.identity.message if self.identity else ''}"
        if self.denied_by == "license" and self.license is not None and self.license.limit is not None:
            return f"DENY   {head} as {self.access_type}: {self.license.limit.reason}"
        if self.denied_by == "license":
            return f"DENY   {head}: no access type: {self.license.message if self.license else ''}"
        if self.denied_by == "section_access":
            return f"DENY   {head}: refused by the app's section access: " \
                   f"{self.section_access.reason if self.section_access else ''}"
        if self.platform == "cloud":
            return f"DENY   {head}: no space role or permission allows {req.action}"
        return f"DENY   {head}: no security rule grants {req.action}"
