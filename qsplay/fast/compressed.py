"""The compressed audit: evaluate once per (user class, resource class), not once per cell.

A resource's class is what the rules that can reach it see of it: which rules its filter selects,
the value of every condition part that reads only the resource, the raw values it offers to
comparisons with the user, and — for `resource.X.HasPrivilege(...)` — the classes of the targets.
A user's class is the same on the user side (`UserClasses`, with owners not set apart).

Ownership is handled separately, because `resource.owner = user` would otherwise make every owner a
class of their own: answers are computed for a *ghost* of each user class (same properties, an
identity nobody owns), which is the exact answer for every cell where the user is not among the
entities that an identity comparison sees — directly or through a HasPrivilege target. Those few
cells (an owner and the things they own, and what hangs below them) are evaluated for the real
user. Sites where classes cannot be proven exact (HasPrivilege cycles, HasPrivilege on the user)
raise `Uncompressible` and the audit evaluates cell by cell. tests/test_fast.py checks all of this
against the reference evaluator on random sites.
"""
from __future__ import annotations

import copy

from ..model import Entity, User
from ..rules.ast import Call, Compare, Path, walk
from ..rules.evaluator import EvaluationFailure, Environment
from .classes import UserClasses, _is_identity, _roots
from .compiled import _call, _compare, _path
from .engine import FastSecurity

_NO_ENV = Environment({})
FAILED = "failed"


class Uncompressible(Exception):
    """The classes could not be shown to give the reference's answers for this site."""


class _Ghost(User):
    """A user's twin with an identity of its own: every property is the user's, but no identity
    comparison (`resource.owner = user`) can ever match it."""

    @property
    def key(self) -> str:
        return "ghost:" + self.id


def ghost_of(user: User) -> User:
    user.get("id")  # build the property table once, so the twin shares it
    twin = copy.copy(user)
    twin.__class__ = _Ghost
    return twin


class _Leaf:
    """One comparison or function call of some rule, as the resource side sees it."""
    __slots__ = ("kind", "fn", "action")

    def __init__(self, kind: str, fn, action: str | None = None):
        self.kind, self.fn, self.action = kind, fn, action


def _leaves(rule, semantics, out: dict) -> None:
    parsed = rule.parsed
    for node in walk(parsed.root):
        key = parsed.span(node)
        if isinstance(node, Compare):
            roots = _roots(node)
            if "resource" not in roots:
                continue  # the user's side: part of the user's class
            if (_is_identity(node.left) or _is_identity(node.right)) and "user" in roots:
                side = node.right if _is_identity(node.left) else node.left
                if isinstance(side, Path):
                    out.setdefault(("ident", key), _Leaf("ident", _path(side, semantics)))
                continue
            if "user" in roots:
                for side in (node.left, node.right):
                    if isinstance(side, Path) and side.root == "resource":
                        out.setdefault(("raw", side.dotted), _Leaf("raw", _path(side, semantics)))
                continue
            out.setdefault(("bool", key), _Leaf("bool", _compare(node, semantics)))
        elif isinstance(node, Call):
            root = node.target.root
            if node.function == "HasPrivilege":
                if root == "user":
                    raise Uncompressible("HasPrivilege on the user")
                if root == "resource":
                    out.setdefault(("hp", key), _Leaf("hp", _path(node.target, semantics), node.arg))
            elif root != "user":
                out.setdefault(("bool", key), _Leaf("bool", _call(node, semantics)))


class ResourceClasses:
    def __init__(self, security: FastSecurity, context: str):
        self.security, self.context = security, context
        self.semantics = security.site.semantics
        self._plans: dict[tuple, tuple] = {}
        self._of: dict[str, tuple[int, frozenset]] = {}  # resource key -> (class id, identity closure)
        self._ids: dict[tuple, int] = {}
        self.representative: list[Entity] = []
        self._active: set[str] = set()
        self._leaves_of: dict[str, tuple] = {}
        self._identity: dict[tuple[str, str], tuple] = {}
        self.identity_text = False  # an identity comparison met text: the user's name matters

    def _plan(self, resource: Entity) -> tuple:
        rules = tuple(r for r in self.security.candidates(resource) if r.applies_in(self.context))
        key = tuple(id(r) for r in rules)
        plan = self._plans.get(key)
        if plan is None:
            leaves: dict = {}
            for rule in rules:
                _leaves(rule, self.semantics, leaves)
            plan = self._plans[key] = (key, tuple(leaves.values()))
        return plan

    def of(self, resource: Entity) -> tuple[int, frozenset]:
        """(class id, keys of the entities an identity comparison can see from here)."""
        got = self._of.get(resource.key)
        if got is not None:
            return got
        if resource.key in self._active:
            raise Uncompressible("HasPrivilege cycle")
        self._active.add(resource.key)
        plan_key, leaves = self._plan(resource)
        self._leaves_of[resource.key] = leaves
        values, touched = [], set()
        for leaf in leaves:
            values.append(self._read(leaf, resource, touched))
        self._active.discard(resource.key)
        signature = (resource.kind, plan_key, tuple(values))
        cid = self._ids.get(signature)
        if cid is None:
            cid = self._ids[signature] = len(self.representative)
            self.representative.append(resource)
        got = self._of[resource.key] = (cid, frozenset(touched))
        return got

    def _read(self, leaf: _Leaf, resource: Entity, touched: set):
        try:
            if leaf.kind == "bool":
                return leaf.fn(None, resource, _NO_ENV, None)
            values = leaf.fn(None, resource, _NO_ENV)
        except EvaluationFailure:
            return FAILED
        if leaf.kind == "raw":
            return tuple(v if isinstance(v, str) else ("entity", v.key) for v in values)
        if leaf.kind == "ident":
            texts = tuple(v for v in values if isinstance(v, str))
            if any(texts):
                self.identity_text = True
            entities = [v for v in values if not isinstance(v, str)]
            touched.update(v.key for v in entities)
            return texts, bool(entities)
        targets = set()  # hp: the classes of the targets decide the answer
        for target in values:
            if target is resource:
                targets.add("itself")  # decided by this resource's own leaves, read here anyway
            elif not isinstance(target, str):
                cid, below = self.of(target)
                targets.add(cid)
                touched.update(below)
        return tuple(sorted(targets, key=str))


    def identity_signature(self, user_key: str, resource: Entity) -> tuple:
        """Where this user appears among the entities the identity comparisons see, here and below
        HasPrivilege targets. With the user's class and the resource's class it decides the answer, so
        an owner's cells with equal signatures are evaluated once."""
        memo = (user_key, resource.key)
        got = self._identity.get(memo)
        if got is not None:
            return got
        self.of(resource)
        parts = []
        for leaf in self._leaves_of[resource.key]:
            if leaf.kind not in ("ident", "hp"):
                continue
            try:
                values = leaf.fn(None, resource, _NO_ENV)
            except EvaluationFailure:
                parts.append(FAILED)
                continue
            if leaf.kind == "ident":
                keys = [v.key for v in values if not isinstance(v, str)]
                parts.append((user_key in keys, any(k != user_key for k in keys)))
            else:
                below = {(self.of(t)[0], self.identity_signature(user_key, t)) for t in values
                         if not isinstance(t, str) and t is not resource}
                parts.append(tuple(sorted(below, key=repr)))
        got = self._identity[memo] = tuple(parts)
        return got


class _ClassSecurity(FastSecurity):
    """HasPrivilege answered on the target's class representative, memoised per class."""

    def __init__(self, site, classes: ResourceClasses):
        super().__init__(site)
        self.classes = classes

    def _allowed(self, user, resource, action, context, stack):
        rep = self.classes.representative[self.classes.of(resource)[0]]
        return super()._allowed(user, rep, action, context, stack)


class CompressedAudit:
    """What `qsplay.explain.audit.Audit` stores: a class per user and per resource, an answer per pair
    of classes that has one, and the exceptional cells evaluated for the real user."""

    def __init__(self, user_class: list, resource_class: list, answers: dict, exceptions: dict, stats: dict):
        self.user_class, self.resource_class = user_class, resource_class
        self.answers, self.exceptions, self.stats = answers, exceptions, stats


def compressed_audit(site, subjects: list[User], targets: list[Entity], context: str) -> CompressedAudit:
    security = FastSecurity(site)
    classes = ResourceClasses(security, context)
    resource_class, identity = [], {}
    for index, target in enumerate(targets):
        cid, touched = classes.of(target)
        resource_class.append(cid)
        for key in touched:
            identity.setdefault(key, []).append(index)
    users = UserClasses(site, security.rules, owners_apart=False, identity_text=classes.identity_text)
    user_class, ghosts, ids = [], [], {}
    for user in subjects:
        key = users.of(user)
        cid = ids.get(key)
        if cid is None:
            cid = ids[key] = len(ghosts)
            ghosts.append(ghost_of(user))
        user_class.append(cid)

    by_class = _ClassSecurity(site, classes)
    answers: dict[tuple[int, int], dict] = {}
    present = sorted(set(resource_class))
    for uc, ghost in enumerate(ghosts):
        for rc in present:
            granted = by_class.granted(ghost, classes.representative[rc], context)
            if granted:
                answers[(uc, rc)] = granted

    exceptions: dict[tuple[int, int], dict] = {}
    same: dict[tuple, dict] = {}  # (user class, resource class, identity signature) -> answer
    owner_cells = 0
    for ui, user in enumerate(subjects):
        for ri in identity.get(user.key, ()):
            owner_cells += 1
            uc, rc = user_class[ui], resource_class[ri]
            key = (uc, rc, classes.identity_signature(user.key, targets[ri]))
            granted = same.get(key)
            if granted is None:
                granted = same[key] = security.granted(user, targets[ri], context)
            if granted != answers.get((uc, rc), {}):
                exceptions[(ui, ri)] = granted
    stats = {"user_classes": len(ghosts), "resource_classes": len(present), "class_pairs": len(ghosts) * len(present),
             "owner_cells": owner_cells, "owner_evaluations": len(same), "exceptions": len(exceptions)}
    return CompressedAudit(user_class, resource_class, answers, exceptions, stats)
