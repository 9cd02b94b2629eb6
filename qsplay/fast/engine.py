"""A fast security evaluator with the reference semantics: conditions compiled once, rules indexed by
the resources their filters select, HasPrivilege answers memoised per user, resource, action and
context. It answers "which actions, through which rules" without traces — what audits, lint and
graphs need. `SecurityEngine` stays the oracle (tests/test_fast.py compares them on random sites).
"""
from __future__ import annotations

from ..model import Entity, Site
from ..rules import Environment
from ..rules.actions import ACTIONS
from ..rules.evaluator import EvaluationFailure
from ..engine.privileges import PrivilegeSolver
from .compiled import compile_condition

_EMPTY_ENV = Environment({})


class FastSecurity:
    def __init__(self, site: Site):
        self.site = site
        self.rules = [r for r in site.security_rules if r.category.lower() == "security" and not r.disabled
                      and r.parsed is not None and r.filter is not None]
        self.compiled = {id(r): compile_condition(r.parsed, site.semantics) for r in self.rules}
        self._by_resource: dict[str, list] = {}
        self._by_kind: dict[str, list] = {}
        self._solvers: dict[tuple, PrivilegeSolver] = {}  # (user, context) -> its HasPrivilege answers

    def candidates(self, resource: Entity) -> list:
        key = resource.key
        hit = self._by_resource.get(key)
        if hit is None:
            kind = resource.kind
            plan = self._by_kind.get(kind)
            if plan is None:  # rules that may select this type, and whether they select all of it
                plan = self._by_kind[kind] = [(r, r.filter.selects_every(kind)) for r in self.rules
                                              if r.filter.may_select(kind)]
            hit = self._by_resource[key] = [r for r, every in plan if every or r.filter.matches(kind, resource.id)]
        return hit

    def allowed(self, user, resource: Entity, action: str, context: str) -> bool:
        return self.solver(user, context).answer((resource.key, action), resource)

    def solver(self, user, context: str) -> PrivilegeSolver:
        """The same fixpoint as the reference (engine/privileges.py), kept per user and context for
        the whole audit: settled answers do not change."""
        key = (user.key, context)
        solver = self._solvers.get(key)
        if solver is None:
            def grants(question, resource, ask):
                return self._grants_question(user, context, question[1], resource, ask)
            solver = self._solvers[key] = PrivilegeSolver(grants)
        return solver

    def _grants_question(self, user, context: str, action: str, resource: Entity, ask) -> bool:
        """Whether any rule grants `action` on `resource` to `user` (one step of the fixpoint)."""
        return any(action in rule.actions and rule.applies_in(context)
                   and self._condition(rule, user, resource, ask) for rule in self.candidates(resource))

    def rule_holds(self, rule, user, resource: Entity, context: str) -> bool:
        """Whether one rule's condition holds for this user and resource (HasPrivilege from the fixpoint)."""
        return self._condition(rule, user, resource, self.solver(user, context).answer)

    def _condition(self, rule, user, resource, ask) -> bool:
        try:
            return self.compiled[id(rule)](user, resource, _EMPTY_ENV, lambda t, a: ask((t.key, a), t))
        except EvaluationFailure:
            return False

    def granted(self, user, resource: Entity, context: str) -> dict[str, list[str]]:
        """action -> every rule granting it (an audit cell), in rule order. A rule's condition has
        one value whatever action is asked: HasPrivilege answers come from the fixpoint."""
        solver = self.solver(user, context)

        def ask(question, target):
            return solver.answer(question, target)
        out: dict[str, list[str]] = {}
        for rule in self.candidates(resource):
            if rule.applies_in(context) and self._condition(rule, user, resource, ask):
                for action in rule.actions:
                    out.setdefault(action, []).append(rule.name)
        return {a: out[a] for a in ACTIONS if a in out}


class FastEvaluator:
    """An audit evaluator (see qsplay.explain.audit): answers per cell, and a class per user so that
    users no rule can tell apart are evaluated once."""

    def __init__(self, site: Site):
        from .classes import UserClasses
        self.engine = FastSecurity(site)
        self.classes = UserClasses(site, self.engine.rules)

    def __call__(self, user, resource: Entity, context: str) -> dict[str, list[str]]:
        return self.engine.granted(user, resource, context)

    def class_of(self, user) -> tuple:
        return self.classes.of(user)


def fast_evaluator(site: Site) -> FastEvaluator:
    return FastEvaluator(site)
