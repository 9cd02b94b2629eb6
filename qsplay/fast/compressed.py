"""The compressed audit: evaluate once per resource class, for all users at once, not once per cell.

A resource's class is what the rules that can reach it see of it: which rules its filter selects,
the value of every condition part that reads only the resource, the raw values it offers to
comparisons with the user, and — for `resource.X.HasPrivilege(...)` — the classes of the targets.
Each class is evaluated once for every user together (qsplay.fast.bitsets: a user is a bit; a
comparison of a user property with a resource property is an index lookup from the resource's values
to the users holding them), so users need no classes: a user's long group list costs nothing.

Ownership is handled separately, because `resource.owner = user` would otherwise make every owner's
resources classes of their own: answers are computed for a *ghost* of each user (same properties,
an identity nobody owns), which is the exact answer for every cell where the user is not among the
entities that an identity comparison sees — directly or through a HasPrivilege target. Those few
cells (an owner and the things they own, and what hangs below them) are evaluated for the real
user. Sites where classes cannot be proven exact (HasPrivilege cycles, HasPrivilege on the user)
raise `Uncompressible` and the audit evaluates cell by cell. tests/test_fast.py checks all of this
against the reference evaluator on random sites.
"""
from __future__ import annotations

import copy

from ..model import Entity, User
from ..rules.ast import And, Bool, Call, Compare, Not, Or, Path, Str, walk
from ..rules.evaluator import EvaluationFailure, Environment
from ..rules.actions import ACTIONS
from .bitsets import UserBits, _mixed, compile_bits, members as _members
from .classes import _is_identity, _roots
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


def _spec(node, parsed, sem) -> tuple:
    """A condition as the resource side reads it: ("and"|"or", parts), ("not", part), ("const", value)
    or a leaf (kind, key, ...): "bool" reads only the resource, "user" only the user, "mixed" compares
    a user property with a resource property, "ident" the user's identity with the resource's
    entities, "hp" asks HasPrivilege of the resource's targets."""
    if isinstance(node, (And, Or)):
        return ("and" if isinstance(node, And) else "or", tuple(_spec(n, parsed, sem) for n in node.items))
    if isinstance(node, Not):
        return ("not", _spec(node.item, parsed, sem))
    if isinstance(node, Bool):
        return ("const", "T" if node.value else "F")
    key = parsed.span(node)
    if isinstance(node, Compare):
        roots = _roots(node)
        if "resource" not in roots:
            return ("user", ("cmp", key), _compare(node, sem))
        if "user" in roots and (_is_identity(node.left) or _is_identity(node.right)):
            side = node.right if _is_identity(node.left) else node.left
            return ("ident", ("ident", key), _path(side, sem))
        if "user" in roots:
            user = node.left if isinstance(node.left, Path) and node.left.root == "user" else node.right
            other = node.right if user is node.left else node.left
            return ("mixed", ("mixed", key), node, user, other)
        sides = (node.left, node.right)
        text = [x for x in sides if isinstance(x, Str)]
        path = [x for x in sides if isinstance(x, Path)]
        if node.op in ("=", "==", "!=", "!==") and len(text) == 1 and len(path) == 1:
            # resource.objectType = "sheet": the path read once per resource for every such part
            ci = node.op in ("=", "!=")
            wanted = text[0].value.casefold() if ci else text[0].value
            equal = node.op in ("=", "==")
            any_differs = sem.ne_on_lists == "any_differs"
            return ("text", ("bool", key), _compare(node, sem), path[0], wanted, ci, equal, any_differs)
        return ("bool", ("bool", key), _compare(node, sem))
    if isinstance(node, Call):
        root = node.target.root
        if node.function == "HasPrivilege" and root == "user":
            raise Uncompressible("HasPrivilege on the user")
        if node.function == "HasPrivilege" and root == "resource":
            return ("hp", ("hp", key), _path(node.target, sem), node.arg)
        if root == "user":
            return ("user", ("call", key), _call(node, sem))
        return ("bool", ("bool", key), _call(node, sem))
    raise Uncompressible("not a condition")


_FLIP = {"T": "F", "F": "T", "X": "X"}


def _resource_free(spec: tuple) -> bool:
    """Whether a condition part reads nothing of the resource (only the user, or constants)."""
    kind = spec[0]
    if kind in ("and", "or"):
        return all(_resource_free(p) for p in spec[1])
    if kind == "not":
        return _resource_free(spec[1])
    return kind in ("user", "const")


def _identity_parts(form, out: dict) -> None:
    """The keys of the identity ("i") and HasPrivilege ("h") leaves left in a residual form."""
    if isinstance(form, tuple):
        head = form[0]
        if head in ("and", "or"):
            for part in form[1]:
                _identity_parts(part, out)
        elif head == "not":
            _identity_parts(form[1], out)
        elif head in ("i", "h"):
            out[form[1]] = True


class ResourceClasses:
    """A resource's class: which rules select it and, per rule, what is left of its condition once
    the parts that read only the resource are known (`_residual`): a part that a resource-only
    value cuts short (`resource.objectType = "sheet" and ...` on a bookmark) is never read, so
    resources that differ only there fall in one class; a comparison of a user property with a
    resource property is reduced to the users it holds for (given `users`), so resources naming
    values no user holds fall in one class too."""

    def __init__(self, security: FastSecurity, context: str | None, users: UserBits | None = None):
        self.security, self.context, self.users = security, context, users
        self.semantics = security.site.semantics
        self._plans: dict[tuple, tuple] = {}
        self._specs: dict[int, tuple] = {}
        self._of: dict[str, tuple[int, frozenset]] = {}  # resource key -> (class id, identity closure)
        self._ids: dict[tuple, int] = {}
        self.representative: list[Entity] = []
        self._active: set[str] = set()
        self._leaves_of: dict[str, tuple] = {}  # resource key -> the ident and hp leaves its residuals read
        self._identity: dict[tuple[str, str], tuple] = {}
        self._can_fail: dict = {}
        self._mixed: dict = {}
        self._forms: dict[str, list] = {}  # resource key -> per rule of its plan, what is left of its condition
        self._plan_of: dict[str, tuple] = {}
        self._paths: dict = {}
        self._free: set[int] = set()  # ids of the forms of parts that read nothing of the resource
        self._position: dict[tuple, dict] = {}  # plan -> rule id -> its place in the plan

    def _plan(self, resource: Entity) -> tuple:
        rules = tuple(r for r in self.security.candidates(resource)
                      if self.context is None or r.applies_in(self.context))  # None: both contexts
        key = tuple(id(r) for r in rules)
        plan = self._plans.get(key)
        if plan is None:
            specs = []
            for rule in rules:
                spec = self._specs.get(id(rule))
                if spec is None:
                    root = rule.parsed.root
                    spec = self._specs[id(rule)] = self._residual(("const", "T") if root is None else
                                                                  _spec(root, rule.parsed, self.semantics))
                specs.append(spec)
            plan = self._plans[key] = (key, tuple(specs))
            self._position[key] = {id(rule): i for i, rule in enumerate(rules)}
        return plan

    def sees_identity(self, rule, resource: Entity) -> bool:
        """Whether what is left of the rule's condition on this resource compares the user's identity
        or asks HasPrivilege; where it does not, the ghost's answer is the real user's."""
        self.of(resource)
        i = self._position[self._plan_of[resource.key]].get(id(rule))
        if i is None:
            return True
        form = self._forms[resource.key][i]
        if form.__class__ is str:
            return False
        found: dict = {}
        _identity_parts(form, found)
        return bool(found)

    def of(self, resource: Entity) -> tuple[int, frozenset]:
        """(class id, keys of the entities an identity comparison can see from here)."""
        got = self._of.get(resource.key)
        if got is not None:
            return got
        if resource.key in self._active:
            raise Uncompressible("HasPrivilege cycle")
        self._active.add(resource.key)
        plan_key, specs = self._plan(resource)
        read: dict = {}  # leaf key -> ((form, can fail), spec, entity keys it sees), once for all rules here
        forms = []
        kept: dict = {}  # the identity and HasPrivilege parts left in the forms: only they can tell owners apart
        for residual in specs:
            form = residual(resource, read)[0]
            if form.__class__ is str:
                forms.append("T" if form == "T" else "F")  # a failing condition grants nothing, like a false one
            else:
                forms.append(form)
                if id(form) not in self._free:
                    _identity_parts(form, kept)
        touched: set = set()
        for key in kept:
            touched.update(read[key][2])
        self._leaves_of[resource.key] = tuple(read[key][1] for key in kept)
        self._forms[resource.key] = forms
        self._plan_of[resource.key] = plan_key
        self._active.discard(resource.key)
        signature = (resource.kind, plan_key, tuple(forms))
        cid = self._ids.get(signature)
        if cid is None:
            cid = self._ids[signature] = len(self.representative)
            self.representative.append(resource)
        got = self._of[resource.key] = (cid, frozenset(touched))
        return got

    def _residual(self, spec: tuple, free: bool = True):
        """The spec as fn(resource, read) -> (form, can fail): "T", "F", "X" (fails for everyone) or
        what is left to evaluate per user, with the compiled evaluator's order and failures (a failing
        part fails the whole condition for the users it reaches; `and`/`or` stop where it stops)."""
        kind = spec[0]
        if free and kind in ("and", "or", "not") and _resource_free(spec):  # the same form on every resource
            fn = self._residual(spec, free=False)
            constant = fn(None, {})
            self._free.add(id(constant[0]))  # kept alive by the closure: no other object takes its id
            return lambda resource, read: constant
        if kind in ("and", "or"):
            parts = [self._residual(p) for p in spec[1]]
            stop, skip = ("F", "T") if kind == "and" else ("T", "F")
            stopped = {stop: (stop, False), "X": ("X", True)}

            def junction(resource, read):
                kept, can_fail = [], False
                for part in parts:
                    form, fails = part(resource, read)
                    if form == skip:
                        continue
                    if form == stop or form == "X":
                        if not kept or (form == stop and not can_fail):
                            return stopped[form]  # everyone reaches it, or stops as they would here
                        kept.append(form)
                        return (kind, tuple(kept)), True
                    kept.append(form)
                    can_fail |= fails
                if not kept:
                    return skip, False
                return (kind, tuple(kept)), can_fail
            return junction
        if kind == "not":
            inner = self._residual(spec[1])
            flipped = {"T": ("F", False), "F": ("T", False), "X": ("X", True)}

            def negate(resource, read):
                form, fails = inner(resource, read)
                return flipped.get(form) or (("not", form), fails) if form.__class__ is str else \
                    (("not", form), fails)
            return negate
        if kind == "const":
            constant = (spec[1], False)
            return lambda resource, read: constant
        key = spec[1]
        if kind == "user":  # the same for every resource: whether some user's value fails decides
            constant = (("u", key), self.users is None or bool(self.users.leaf(key, spec[2])[1]))
            self._free.add(id(constant[0]))
            return lambda resource, read: constant
        leaf = self._leaf

        def part(resource, read):
            got = read.get(key)
            if got is None:
                touched: set = set()
                got = read[key] = (leaf(spec, resource, touched, read), spec, touched)
            return got[0]
        return part

    def _resolved(self, path: Path, resource: Entity, read: dict):
        """The values of a resource path, read once per resource (None: it fails)."""
        key = ("path", path.root, path.segments)
        got = read.get(key, read)
        if got is read:
            fn = self._paths.get(key)
            if fn is None:
                fn = self._paths[key] = _path(path, self.semantics)
            try:
                got = fn(None, resource, _NO_ENV)
            except EvaluationFailure:
                got = None
            read[key] = got
        return got

    def _leaf(self, spec: tuple, resource: Entity, touched: set, read: dict) -> tuple:
        kind, key = spec[0], spec[1]
        if kind == "text":
            values = self._resolved(spec[3], resource, read)
            if values is None:
                return "X", True
            if all(v.__class__ is str for v in values):
                wanted, ci, equal, any_differs = spec[4:]
                found = [v.casefold() if ci else v for v in values] or [""]  # no value compares as ""
                if equal:
                    hit = wanted in found
                elif any_differs:
                    hit = any(v != wanted for v in found)
                else:
                    hit = wanted not in found
                return ("T" if hit else "F"), False
            kind = "bool"  # objects compared with text: as the compiled evaluator does it
        if kind == "bool":
            try:
                return ("T" if spec[2](None, resource, _NO_ENV, None) else "F"), False
            except EvaluationFailure:
                return "X", True
        if kind == "user":
            fails = self._can_fail.get(key)
            if fails is None:
                fails = self._can_fail[key] = self.users is None or bool(self.users.leaf(key, spec[2])[1])
            return ("u", key), fails
        if kind == "mixed":
            if self.users is None:  # no users to reduce with: the raw values
                try:
                    values = _path(spec[4], self.semantics)(None, resource, _NO_ENV)
                except EvaluationFailure:
                    return "X", True
                return ("m", key, tuple(v if isinstance(v, str) else ("entity", v.key) for v in values)), True
            fn = self._mixed.get(key)
            if fn is None:
                try:
                    fn = self._mixed[key] = _mixed(spec[2], spec[3], spec[4], self.semantics, self.users)
                except ValueError as why:
                    raise Uncompressible(str(why))
            true, failed = fn(resource, None)
            return ("m", key, true, failed), bool(failed)
        try:
            values = spec[2](None, resource, _NO_ENV)
        except EvaluationFailure:
            return "X", True
        if kind == "ident":
            entities = [v.key for v in values if not isinstance(v, str)]
            touched.update(entities)
            return ("i", key, tuple(v for v in values if isinstance(v, str)), bool(entities)), False
        targets = set()  # hp: the classes of the targets decide the answer
        for target in values:
            if target is resource:
                targets.add("itself")  # decided by this resource's own parts, read here anyway
            elif not isinstance(target, str):
                cid, below = self.of(target)
                targets.add(cid)
                touched.update(below)
        return ("h", key, spec[3], tuple(sorted(targets, key=str))), False

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
        for spec in self._leaves_of[resource.key]:
            parts.append(spec[1])  # which part: equal signatures then mean the same parts, seen alike
            try:
                values = spec[2](None, resource, _NO_ENV)
            except EvaluationFailure:
                parts.append(FAILED)
                continue
            if spec[0] == "ident":
                keys = [v.key for v in values if not isinstance(v, str)]
                parts.append((user_key in keys, any(k != user_key for k in keys)))
            else:
                below = {(self.of(t)[0], self.identity_signature(user_key, t)) for t in values
                         if not isinstance(t, str) and t is not resource}
                parts.append(tuple(sorted(below, key=repr)))
        got = self._identity[memo] = tuple(parts)
        return got


class Columns:
    """The ghost answers of each resource class, for all users at once (qsplay.fast.bitsets): per
    class, action -> [(granting rule, the users it grants to, as bits)]."""

    def __init__(self, security: FastSecurity, classes: ResourceClasses, users: UserBits, context: str):
        self.security, self.classes, self.users, self.context = security, classes, users, context
        self._compiled: dict[int, object] = {}
        self._rule_bits: dict[tuple[int, int], int] = {}
        self._allowed: dict[tuple[int, str], int] = {}
        self._active: set[tuple[int, str]] = set()
        self._plan: dict[int, list] = {}

    def rules(self, rc: int) -> list:
        got = self._plan.get(rc)
        if got is None:
            rep = self.classes.representative[rc]
            got = self._plan[rc] = [r for r in self.security.candidates(rep) if r.applies_in(self.context)]
        return got

    def rule_bits(self, rule, rc: int) -> int:
        key = (id(rule), rc)
        got = self._rule_bits.get(key)
        if got is None:
            fn = self._compiled.get(id(rule))
            if fn is None:
                try:
                    fn = self._compiled[id(rule)] = compile_bits(rule.parsed, self.security.site.semantics, self.users)
                except ValueError as why:
                    raise Uncompressible(str(why))
            got = self._rule_bits[key] = fn(self.classes.representative[rc], self._privilege)
        return got

    def _privilege(self, target, action: str) -> int:
        return self.allowed(self.classes.of(target)[0], action)

    def allowed(self, rc: int, action: str) -> int:
        key = (rc, action)
        got = self._allowed.get(key)
        if got is None:
            if key in self._active:
                raise Uncompressible("HasPrivilege cycle")
            self._active.add(key)
            got = 0
            for rule in self.rules(rc):
                if action in rule.actions:
                    got |= self.rule_bits(rule, rc)
            self._active.discard(key)
            self._allowed[key] = got
        return got

    def column(self, rc: int) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list] = {}
        for rule in self.rules(rc):
            bits = self.rule_bits(rule, rc)
            if bits:
                for action in rule.actions:
                    out.setdefault(action, []).append((rule.name, bits))
        return {a: out[a] for a in ACTIONS if a in out}


def at(column: dict, ui: int) -> dict:
    """One user's cell of a column: {action: [granting rules]}."""
    out = {}
    for action, grants in column.items():
        names = [name for name, bits in grants if bits >> ui & 1]
        if names:
            out[action] = names
    return out


class CompressedAudit:
    """What `qsplay.explain.audit.Audit` stores: a class per resource, per class the users each rule
    grants each action to (as bits), and the exceptional cells evaluated for the real user."""

    def __init__(self, resource_class: list, columns: dict, exceptions: dict, stats: dict):
        self.resource_class, self.columns = resource_class, columns
        self.exceptions, self.stats = exceptions, stats


class _OwnerSecurity(FastSecurity):
    """For owners' cells: a HasPrivilege target whose identity comparisons do not see the user is
    answered from its class's column (the ghost's answer is exact there)."""
    columns: "Columns | None" = None
    index: dict[str, int] = {}

    def _grants_question(self, user, context: str, action: str, resource, ask) -> bool:
        if self.columns is not None and context == self.columns.context:
            ui = self.index.get(user.key)
            rc, touched = self.columns.classes.of(resource)
            if ui is not None and user.key not in touched:
                return bool(self.columns.allowed(rc, action) >> ui & 1)
        return super()._grants_question(user, context, action, resource, ask)


def compressed_audit(site, subjects: list[User], targets: list[Entity], context: str) -> CompressedAudit:
    security = _OwnerSecurity(site)
    users = UserBits([ghost_of(u) for u in subjects], site.semantics)
    classes = ResourceClasses(security, context, users)
    resource_class, identity = [], {}
    for index, target in enumerate(targets):
        cid, touched = classes.of(target)
        resource_class.append(cid)
        for key in touched:
            identity.setdefault(key, []).append(index)
    by_class = Columns(security, classes, users, context)
    security.columns, security.index = by_class, {u.key: i for i, u in enumerate(subjects)}
    present = sorted(set(resource_class))
    columns = {rc: by_class.column(rc) for rc in present}

    exceptions: dict[tuple[int, int], dict] = {}
    same: dict[tuple, dict] = {}  # (user, resource class, identity signature) -> answer
    owner_cells = 0
    for ui, user in enumerate(subjects):
        for ri in identity.get(user.key, ()):
            owner_cells += 1
            rc = resource_class[ri]
            key = (user.key, rc, classes.identity_signature(user.key, targets[ri]))
            granted = same.get(key)
            if granted is None:
                granted = same[key] = _owner_cell(security, by_class, user, ui, targets[ri], rc)
            if granted != at(columns[rc], ui):
                exceptions[(ui, ri)] = granted
    stats = {"users": len(subjects), "resource_classes": len(present), "owner_cells": owner_cells,
             "owner_evaluations": len(same), "exceptions": len(exceptions)}
    return CompressedAudit(resource_class, columns, exceptions, stats)


def _reads_identity(rule) -> bool:
    """Whether a ghost can answer differently from the real user: the rule compares the user's
    identity with the resource's entities, or asks HasPrivilege (whose targets may)."""
    for node in walk(rule.parsed.root):
        if isinstance(node, Call) and node.function == "HasPrivilege":
            return True
        if isinstance(node, Compare) and (_is_identity(node.left) or _is_identity(node.right)) \
                and "resource" in _roots(node):
            return True
    return False


def _owner_cell(security: FastSecurity, by_class: Columns, user, ui: int, target, rc: int) -> dict:
    """The real user's cell: rules that cannot see identity answer as for the ghost (their bit in
    the class's column); the others are evaluated for the user (FastSecurity.granted's way)."""
    reads = security.__dict__.setdefault("_reads_identity", {})
    context = by_class.context
    out: dict[str, list[str]] = {}
    for rule in by_class.rules(rc):
        seen = reads.get(id(rule))
        if seen is None:
            seen = reads[id(rule)] = _reads_identity(rule)
        if not seen or not by_class.classes.sees_identity(rule, target):
            hits = rule.actions if by_class.rule_bits(rule, rc) >> ui & 1 else ()
        else:  # once for all its actions: HasPrivilege answers come from the user's fixpoint
            hits = rule.actions if security.rule_holds(rule, user, target, context) else ()
        for action in hits:
            out.setdefault(action, []).append(rule.name)
    return {a: out[a] for a in ACTIONS if a in out}


class RuleCells:
    """What each rule alone grants, per resource, for lint: for every user (bits) on every resource
    its filter selects, in each context — built on the audit's resource classes (made once for both
    contexts) and ghost columns, with the cells where identity can matter (owners) evaluated for the
    real user."""

    def __init__(self, site, subjects: list[User], kinds=None):
        self.site, self.subjects = site, subjects
        self.security = FastSecurity(site)
        self.users = UserBits([ghost_of(u) for u in subjects], site.semantics)
        self.classes = ResourceClasses(self.security, None, self.users)
        self.targets = site.all_resources(kinds)
        self.index = {u.key: i for i, u in enumerate(subjects)}
        self._of = [self.classes.of(t) for t in self.targets]
        self._touched = []
        for _, keys in self._of:
            bits = 0
            for key in keys:
                ui = self.index.get(key)
                if ui is not None:
                    bits |= 1 << ui
            self._touched.append(bits)
        self._at: dict[int, dict[int, list[int]]] = {}  # id(rule) -> class -> target indices
        for ri, target in enumerate(self.targets):
            for rule in self.security.candidates(target):
                self._at.setdefault(id(rule), {}).setdefault(self._of[ri][0], []).append(ri)
        self._contexts: dict[str, tuple] = {}
        self._reads: dict[int, bool] = {}
        self._real: dict[tuple, bool] = {}

    def _in(self, context: str) -> tuple["Columns", "_OwnerSecurity"]:
        got = self._contexts.get(context)
        if got is None:
            security = _OwnerSecurity(self.site)
            columns = Columns(security, self.classes, self.users, context)
            security.columns, security.index = columns, self.index
            got = self._contexts[context] = (columns, security)
        return got

    def by_class(self, rule) -> dict[int, list[int]]:
        """class -> indices of the resources of that class the rule's filter selects."""
        return self._at.get(id(rule), {})

    def touched(self, ri: int) -> int:
        return self._touched[ri]

    def rules_at(self, rc: int, context: str) -> list:
        return self._in(context)[0].rules(rc)

    def ghost(self, rule, rc: int, context: str) -> int:
        return self._in(context)[0].rule_bits(rule, rc)

    def reads_identity(self, rule) -> bool:
        reads = self._reads.get(id(rule))
        if reads is None:
            reads = self._reads[id(rule)] = _reads_identity(rule)
        return reads

    def real(self, rule, rc: int, ri: int, ui: int, context: str) -> bool:
        """Whether the rule grants on this resource to this (real) user."""
        if not self.reads_identity(rule) or not self._touched[ri] >> ui & 1 \
                or not self.classes.sees_identity(rule, self.targets[ri]):
            return bool(self.ghost(rule, rc, context) >> ui & 1)
        key = (id(rule), ri, ui, context)
        got = self._real.get(key)
        if got is None:
            user, target = self.subjects[ui], self.targets[ri]
            got = self._real[key] = self._in(context)[1].rule_holds(rule, user, target, context)
        return got

    def grants_to(self, rule, context: str, ui: int | None = None) -> bool:
        """Whether the rule grants anything in this context (to anyone, or to user `ui`)."""
        for rc, indices in self.by_class(rule).items():
            bits = self.ghost(rule, rc, context)
            for ri in indices:
                touched = self._touched[ri]
                if ui is None:
                    if bits & ~touched:
                        return True
                    if any(self.real(rule, rc, ri, u, context) for u in _members(touched)):
                        return True
                elif touched >> ui & 1:
                    if self.real(rule, rc, ri, ui, context):
                        return True
                elif bits >> ui & 1:
                    return True
        return False
