"""The security phase: additive, grant-only rules with default deny.

"If at least one rule evaluates to True then Qlik Sense will provide the user with access ...
If no rules evaluate to True then the user will be denied access." (Qlik Support, Security rules
evaluation). A rule is considered when it is enabled, its resource filter selects the resource,
it carries the action and its context covers the request's. `HasPrivilege` asks this same
engine about a related resource, in the same context (which context Qlik uses there is
UNCONFIRMED; the trace says so); questions that depend on each other are answered as a fixpoint
within a budget (engine/privileges.py), and a privilege only its own cycle would grant is not granted.
"""
from __future__ import annotations

from ..model import Entity, SecurityRule, Site
from ..rules import EvalContext, EvaluationFailure, Environment, evaluate
from .decision import RuleEvaluation, SecurityResult
from .privileges import PrivilegeSolver

MAX_TRACE_DEPTH = 12  # HasPrivilege levels a trace expands (object -> app -> stream needs three)


class SecurityEngine:
    def __init__(self, site: Site):
        self.site = site
        self.rules = [r for r in site.security_rules if r.category.lower() == "security"]
        self._by_kind: dict[str, list] = {}  # sites never change in place, so the index stays true
        self._by_resource: dict[str, list] = {}

    def rules_for(self, resource: Entity) -> list[SecurityRule]:
        """Rules whose resource filter selects this resource, in rule order."""
        hit = self._by_resource.get(resource.key)
        if hit is None:
            kind = resource.kind
            plan = self._by_kind.get(kind)
            if plan is None:
                plan = self._by_kind[kind] = [(r, r.filter.selects_every(kind)) for r in self.rules
                                              if r.filter is not None and r.filter.may_select(kind)]
            hit = self._by_resource[resource.key] = [r for r, every in plan
                                                     if every or r.filter.matches(kind, resource.id)]
        return hit

    def evaluate(self, user, resource: Entity, action: str, context: str, environment: dict | None = None,
                 trace: bool = True, all_granting: bool = False, solver: PrivilegeSolver | None = None,
                 _stack: tuple = (), traces: dict | None = None) -> SecurityResult:
        """Decide one action. Without `trace` the first granting rule ends the search, unless
        `all_granting` asks for every rule that grants (the audit lists them all). HasPrivilege is
        answered by the decision's PrivilegeSolver (a fixpoint with a budget, engine/privileges.py);
        with `trace` each nested question is shown once, with the answer the fixpoint gave."""
        env = Environment(environment)
        solver = solver or self.solver(user, context, environment)
        stack = _stack + ((resource.key, action),)
        traced = traces if traces is not None else {}  # nested results shown, one per question
        result = SecurityResult(False, self.site.ref_of(resource), action)

        def has_privilege(target: Entity, wanted: str, want_trace: bool):
            key = (target.key, wanted)
            granted = solver.answer(key, target)
            if not (want_trace and trace):
                return granted, None
            if key in stack:
                how = ("granted by a rule that does not depend on it" if granted else
                       "no rule grants it without relying on itself, so it counts as not granted")
                return granted, SecurityResult(granted, self.site.ref_of(target), wanted, notes=[
                    f"{self.site.ref_of(target)} {wanted} is already being decided further up (a HasPrivilege cycle): {how}"])
            if key not in traced:
                if len(stack) >= MAX_TRACE_DEPTH:
                    return granted, SecurityResult(granted, self.site.ref_of(target), wanted, notes=[
                        f"{self.site.ref_of(target)} {wanted}: {'granted' if granted else 'not granted'} (not traced further: "
                        f"more than {MAX_TRACE_DEPTH} HasPrivilege levels)"])
                sub = self.evaluate(user, target, wanted, context, environment, True, solver=solver, _stack=stack,
                                    traces=traced)
                sub.notes.append(f"asked by HasPrivilege(\"{wanted}\") in the same context ({context}); "
                                 f"which context Qlik uses here is UNCONFIRMED")
                traced[key] = sub
            return granted, traced[key]

        ctx = EvalContext(user=user, resource=resource, environment=env, semantics=self.site.semantics,
                          has_privilege=has_privilege)
        for rule in self.rules_for(resource):
            status, reason = self._skip_reason(rule, action, context)
            if status is not None and not trace:
                continue
            if status == "parse_error":
                result.evaluations.append(RuleEvaluation(rule.name, status, reason, rule.condition))
                continue
            if status in ("action", "context"):
                result.evaluations.append(RuleEvaluation(rule.name, status, reason, rule.condition))
                continue
            try:
                value, node = evaluate(rule.parsed, ctx, trace)
            except EvaluationFailure as exc:
                result.evaluations.append(RuleEvaluation(rule.name, "failed", f"the condition could not be "
                                                         f"evaluated: {exc}", rule.condition))
                continue
            if status == "disabled":
                result.evaluations.append(RuleEvaluation(
                    rule.name, "disabled", reason + (" (its condition is true: enabling it would grant)"
                                                     if value else " (its condition is false anyway)"),
                    rule.condition, node, would_grant=value))
                continue
            if value:
                result.allowed = True
                result.granting_rules.append(rule.name)
                result.evaluations.append(RuleEvaluation(rule.name, "granted", "the condition is true" +
                                                         _unconfirmed(rule), rule.condition, node))
                if not trace and not all_granting:
                    break
            elif trace:
                result.evaluations.append(RuleEvaluation(rule.name, "false", "the condition is false" +
                                                         _unconfirmed(rule), rule.condition, node))
        if trace:
            for rule in self.rules:
                entry = next((e for e in (rule.filter.entries if rule.filter else ()) if e.resource_id == ""
                              and e.type_exact == resource.kind.lower()), None)
                if entry is not None:
                    result.notes.append(f"rule \"{rule.name}\": its filter entry {entry.text} has a type and no id, "
                                        f"so it selects nothing here (semantics empty_id_filter=nothing; Qlik "
                                        f"documents no reading: Type_<id>, Type_* and Type* are its forms)")
        if trace and not result.evaluations:
            result.notes.append(f"no security rule's resource filter selects {self.site.ref_of(resource)} "
                                f"({resource.kind}), so nothing can grant it")
        return result

    def solver(self, user, context: str, environment: dict | None = None) -> PrivilegeSolver:
        """The HasPrivilege answers of one decision (this user, context and environment)."""
        env = Environment(environment)
        semantics = self.site.semantics

        def grants(key, target: Entity, ask) -> bool:
            wanted = key[1]
            ctx = EvalContext(user=user, resource=target, environment=env, semantics=semantics,
                              has_privilege=lambda t, a, _trace: (ask((t.key, a), t), None))
            for rule in self.rules_for(target):
                if self._skip_reason(rule, wanted, context)[0] is not None:
                    continue
                try:
                    if evaluate(rule.parsed, ctx, False)[0]:
                        return True
                except EvaluationFailure:
                    continue
            return False
        return PrivilegeSolver(grants)

    @staticmethod
    def _skip_reason(rule: SecurityRule, action: str, context: str) -> tuple[str | None, str]:
        if rule.parsed is None:
            return "parse_error", f"the condition does not parse ({rule.parse_error}), so the rule grants nothing"
        if action not in rule.actions:
            return "action", f"the rule does not grant {action}"
        if not rule.applies_in(context):
            return "context", f"the rule applies only in the {rule.context.upper() if rule.context == 'qmc' else rule.context}, not the {context.upper() if context == 'qmc' else context}"
        if rule.disabled:
            return "disabled", "the rule is disabled, so it grants nothing"
        return None, ""

    def allowed_actions(self, user, resource: Entity, context: str, environment: dict | None = None,
                        actions=None) -> dict[str, list[str]]:
        """action -> granting rule names, for every action some rule could grant (audit cells)."""
        from ..rules.actions import ACTIONS
        out: dict[str, list[str]] = {}
        for action in actions or ACTIONS:
            res = self.evaluate(user, resource, action, context, environment, trace=False)
            if res.allowed:
                out[action] = res.granting_rules
        return out


def _unconfirmed(rule: SecurityRule) -> str:
    """What no Qlik source gives about a preinstalled rule, said wherever it decides something."""
    if not rule.unconfirmed or rule.edited:
        return ""
    return f" (preinstalled since {rule.since}; UNCONFIRMED: {rule.unconfirmed})"
