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
            if plan is None:
                plan = self._by_kind[kind] = self._kind_plan(kind)
            rules, every, named, general = plan
            rid = resource.id.lower()
            if not general and rid not in named:
                hit = every  # only the rules that select the whole type: one list for all such resources
            else:
                hit = [r for r, selects, ids in rules
                       if selects or (rid in ids if ids is not None else r.filter.matches(kind, resource.id))]
            self._by_resource[key] = hit
        return hit

    def _kind_plan(self, kind: str) -> tuple:
        """The rules that may select this type, in rule order, each with whether it selects all of it
        and, for a filter naming ids only (`Stream_<id>`), those ids (lower case)."""
        t = kind.lower()
        rules, named, general = [], set(), False
        for r in self.rules:
            if not r.filter.may_select(kind):
                continue
            selects = r.filter.selects_every(kind)
            ids = None
            if not selects:
                entries = [e for e in r.filter.entries if e.everything or e.type_exact in (None, t)
                           and (e.type_prefix is None or t.startswith(e.type_prefix)
                                or e.type_prefix.startswith(t + "_"))]  # others never match this type
                if not entries:
                    continue
                if all(e.resource_id is not None and not e.everything and e.type_prefix is None
                       and e.type_exact == t for e in entries):
                    ids = frozenset(e.resource_id for e in entries)
                    named |= ids
                else:
                    general = True
            rules.append((r, selects, ids))
        return rules, [r for r, selects, _ in rules if selects], named, general

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
