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
from .compiled import compile_condition

_EMPTY_ENV = Environment({})


class FastSecurity:
    def __init__(self, site: Site):
        self.site = site
        self.rules = [r for r in site.security_rules if r.category.lower() == "security" and not r.disabled
                      and r.parsed is not None and r.filter is not None]
        self.compiled = {id(r): compile_condition(r.parsed, site.semantics) for r in self.rules}
        # a rule that asks HasPrivilege is evaluated once per action (the reference's cycle guard depends on
        # the action asked); any other rule once per cell, for all its actions
        self.per_action = {id(r) for r in self.rules if _asks_privilege(r)}
        self._by_resource: dict[str, list] = {}
        self._by_kind: dict[str, list] = {}
        self._memo: dict[tuple, bool] = {}

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
        return self._allowed(user, resource, action, context, ())[0]

    def _allowed(self, user, resource: Entity, action: str, context: str, stack: tuple) -> tuple[bool, bool]:
        """(granted, touched a cycle). An answer that met a cycle depends on where the question came
        from (the reference counts the repeated question as not granted), so it is not memoised."""
        key = (user.key, resource.key, action, context)
        if key in self._memo:
            return self._memo[key], False
        if key in stack:
            return False, True
        inner = stack + (key,)
        tainted = False
        result = False
        for rule in self.candidates(resource):
            if action in rule.actions and rule.applies_in(context):
                granted, touched = self._grants(rule, user, resource, context, inner)
                tainted |= touched
                if granted:
                    result = True
                    break
        if not tainted:
            self._memo[key] = result
        return result, tainted

    def _grants(self, rule, user, resource, context: str, stack: tuple) -> tuple[bool, bool]:
        touched = []

        def has_privilege(target, wanted):
            granted, cycle = self._allowed(user, target, wanted, context, stack)
            if cycle:
                touched.append(True)
            return granted
        try:
            return self.compiled[id(rule)](user, resource, _EMPTY_ENV, has_privilege), bool(touched)
        except EvaluationFailure:
            return False, bool(touched)

    def granted(self, user, resource: Entity, context: str) -> dict[str, list[str]]:
        """action -> every rule granting it (an audit cell), in rule order."""
        out: dict[str, list[str]] = {}
        for rule in self.candidates(resource):
            if not rule.applies_in(context):
                continue
            if id(rule) in self.per_action:
                hits = [a for a in rule.actions
                        if self._grants(rule, user, resource, context, ((user.key, resource.key, a, context),))[0]]
            else:
                top = tuple((user.key, resource.key, a, context) for a in rule.actions)
                hits = list(rule.actions) if self._grants(rule, user, resource, context, top)[0] else []
            for action in hits:
                out.setdefault(action, []).append(rule.name)
        return {a: out[a] for a in ACTIONS if a in out}


def _asks_privilege(rule) -> bool:
    from ..rules.ast import Call, walk
    return any(isinstance(n, Call) and n.function == "HasPrivilege" for n in walk(rule.parsed.root))


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
