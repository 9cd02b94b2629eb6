"""Conditions evaluated for every user at once: each user is one bit of a Python int.

A rule's condition on one resource becomes the set of users for whom it is true, built from
- user-only parts (`user.group = "Sales"`, `user.IsAnonymous()`): one set per part, made once;
- resource-only parts: all users or none;
- comparisons of a user property with a resource property (`user.group = resource.@AccessGroup`):
  the union, over the resource's values, of the users holding an equal value — an index from
  value to users, so a user's whole group list never has to be a class of its own;
- `resource.X.HasPrivilege(a)`: the users who may do `a` on the targets (the caller's callback).
`and`/`or`/`!` are bit operations that keep the compiled evaluator's order: a part that fails
(`Semantics.missing_property == "fail"`) makes the whole condition false for the users it reaches,
exactly as `qsplay.fast.compiled` does when the failure propagates. Users are evaluated as ghosts
(see qsplay.fast.compressed): an identity comparison (`resource.owner = user`) matches nobody here;
owners' cells are evaluated apart. tests/test_fast.py compares audits built this way with the
reference evaluator.
"""
from __future__ import annotations

from ..rules.ast import And, Bool, Call, Compare, Not, Or, Path, Str
from ..rules.evaluator import EvaluationFailure, Environment
from .compiled import _call, _compare, _path

_NO_ENV = Environment({})


def _fold(text: str, ci: bool) -> str:
    return text.casefold() if ci else text


def members(bits: int):
    """The indices of the set bits, in order."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


class _UserValues:
    """The values one user path takes for every user, indexed by value (for = and == with the
    other side's values) and by "every value equals" (for != and !==)."""

    def __init__(self, path: Path, users: list, all_bits: int, semantics):
        resolve = _path(path, semantics)
        self.failed = 0
        self.values: list = []
        self.odd = 0  # users holding both text and entity values: evaluated one by one
        for i, user in enumerate(users):
            try:
                got = resolve(user, None, _NO_ENV)
            except EvaluationFailure:
                self.failed |= 1 << i
                self.values.append(None)
                continue
            if not got:
                got = [""]  # a path without value compares as "" (qsplay.fast.compiled)
            self.values.append(got)
            kinds = {isinstance(v, str) for v in got}
            if len(kinds) > 1:
                self.odd |= 1 << i
        self.all = all_bits
        self._index: dict = {}

    def _build(self, ci: bool) -> tuple:
        got = self._index.get(ci)
        if got is not None:
            return got
        text, entity_text, key, uniform_text, uniform_key = {}, {}, {}, {}, {}
        uniform_entity_text: dict = {}
        for i, values in enumerate(self.values):
            if values is None:
                continue
            bit = 1 << i
            texts = set()
            keys = set()
            for v in values:
                if isinstance(v, str):
                    t = _fold(v, ci)
                    text[t] = text.get(t, 0) | bit
                    texts.add(t)
                else:
                    t = _fold(v.compare_text(), ci)
                    entity_text[t] = entity_text.get(t, 0) | bit
                    key[v.key] = key.get(v.key, 0) | bit
                    texts.add(t)
                    keys.add(v.key)
            if len(texts) == 1 and not keys:
                t = next(iter(texts))
                uniform_text[t] = uniform_text.get(t, 0) | bit
            if keys and not any(isinstance(v, str) for v in values):
                if len(keys) == 1:
                    k = next(iter(keys))
                    uniform_key[k] = uniform_key.get(k, 0) | bit
                if len(texts) == 1:
                    t = next(iter(texts))
                    uniform_entity_text[t] = uniform_entity_text.get(t, 0) | bit
        got = self._index[ci] = (text, entity_text, key, uniform_text, uniform_key, uniform_entity_text)
        return got

    def equal(self, b, ci: bool) -> int:
        """Users with some value equal to b (qsplay.fast.compiled._eq)."""
        text, entity_text, key = self._build(ci)[:3]
        if isinstance(b, str):
            t = _fold(b, ci)
            return text.get(t, 0) | entity_text.get(t, 0)
        return key.get(b.key, 0) | text.get(_fold(b.compare_text(), ci), 0)

    def all_equal(self, b, ci: bool) -> int:
        """Users every value of whom equals b (odd users left out: the caller does them one by one)."""
        uniform_text, uniform_key, uniform_entity_text = self._build(ci)[3:]
        if isinstance(b, str):
            t = _fold(b, ci)
            return uniform_text.get(t, 0) | uniform_entity_text.get(t, 0)
        return uniform_key.get(b.key, 0) | uniform_text.get(_fold(b.compare_text(), ci), 0)


class UserBits:
    """What the users (as ghosts) are, for conditions evaluated on all of them at once."""

    def __init__(self, users: list, semantics):
        self.users, self.semantics = users, semantics
        self.all = (1 << len(users)) - 1
        self._leaf: dict = {}
        self._paths: dict = {}

    def leaf(self, key, fn) -> tuple[int, int]:
        """(true, failed) of a part that reads only the user."""
        got = self._leaf.get(key)
        if got is None:
            true = failed = 0
            for i, user in enumerate(self.users):
                try:
                    if fn(user, None, _NO_ENV, None):
                        true |= 1 << i
                except EvaluationFailure:
                    failed |= 1 << i
            got = self._leaf[key] = (true, failed)
        return got

    def values(self, path: Path) -> _UserValues:
        got = self._paths.get(path.dotted)
        if got is None:
            got = self._paths[path.dotted] = _UserValues(path, self.users, self.all, self.semantics)
        return got


def compile_bits(parsed, semantics, users: UserBits):
    """A rule's condition as fn(resource, has_privilege) -> users for whom it is true, where
    has_privilege(target, action) -> users who may. Raises ValueError for a shape it cannot do."""
    if parsed.root is None:
        return lambda r, hp: users.all
    fn = _node(parsed.root, parsed, semantics, users)

    def run(r, hp):
        true, failed = fn(r, hp)
        return true & ~failed
    return run


def _is_user(side) -> bool:
    return isinstance(side, Path) and side.root == "user"


def _is_resource(side) -> bool:
    return isinstance(side, Path) and side.root == "resource"


def _node(node, parsed, sem, users: UserBits):
    ALL = users.all
    if isinstance(node, (Or, And)):
        parts = [_node(n, parsed, sem, users) for n in node.items]
        if isinstance(node, Or):
            def any_of(r, hp):
                true = failed = 0
                pending = ALL
                for part in parts:
                    t, f = part(r, hp)
                    failed |= pending & f
                    true |= pending & t
                    pending &= ~(t | f)
                    if not pending:
                        break
                return true, failed
            return any_of

        def all_of(r, hp):
            failed = 0
            pending = ALL
            for part in parts:
                t, f = part(r, hp)
                failed |= pending & f
                pending &= t & ~f
                if not pending:
                    break
            return pending, failed
        return all_of
    if isinstance(node, Not):
        inner = _node(node.item, parsed, sem, users)

        def negate(r, hp):
            t, f = inner(r, hp)
            return ALL & ~t & ~f, f
        return negate
    if isinstance(node, Bool):
        constant = (ALL if node.value else 0, 0)
        return lambda r, hp: constant
    if isinstance(node, Call):
        root = node.target.root
        if root == "user":
            if node.function == "HasPrivilege":
                raise ValueError("HasPrivilege on the user")
            got = users.leaf(("call", parsed.span(node)), _call(node, sem))
            return lambda r, hp: got
        if root == "resource" and node.function == "HasPrivilege":
            targets, action = _path(node.target, sem), node.arg

            def privilege(r, hp):
                try:
                    found = targets(None, r, _NO_ENV)
                except EvaluationFailure:
                    return 0, ALL
                bits = 0
                for t in found:
                    if not isinstance(t, str):
                        bits |= hp(t, action)
                return bits, 0
            return privilege
        return _resource_only(_call(node, sem), ALL)
    if isinstance(node, Compare):
        user_side = [s for s in (node.left, node.right) if _is_user(s)]
        resource_side = [s for s in (node.left, node.right) if _is_resource(s)]
        if user_side and not resource_side:
            got = users.leaf(("cmp", parsed.span(node)), _compare(node, sem))
            return lambda r, hp: got
        if not user_side:
            return _resource_only(_compare(node, sem), ALL)
        return _mixed(node, user_side[0], resource_side[0], sem, users)
    raise ValueError("not a condition")


def _resource_only(fn, ALL: int):
    def run(r, hp):
        try:
            return (ALL if fn(None, r, _NO_ENV, None) else 0), 0
        except EvaluationFailure:
            return 0, ALL
    return run


def _mixed(node: Compare, user_path: Path, resource_path: Path, sem, users: UserBits):
    """A user property compared with a resource property, for all users at once."""
    if getattr(sem, "entity_text", "qualified") != "qualified":
        raise ValueError("objects compared with text under entity_text other than qualified")
    ALL = users.all
    values = users.values(user_path)
    other = _path(resource_path, sem)
    op = node.op
    ci = op in ("=", "!=")
    ok = ALL & ~values.failed
    one_by_one = _compare(node, sem) if op in ("!=", "!==") else None

    def resource_values(r):
        got = other(None, r, _NO_ENV)
        return got if got else [""]

    if op in ("=", "=="):
        def equal(r, hp):
            try:
                rv = resource_values(r)
            except EvaluationFailure:
                return 0, ALL
            bits = 0
            for b in rv:
                bits |= values.equal(b, ci)
            return bits & ok, values.failed
        return equal
    if op not in ("!=", "!=="):
        raise ValueError(f"{op} between a user and a resource property")
    any_differs = sem.ne_on_lists == "any_differs"

    def differs(r, hp):
        try:
            rv = resource_values(r)
        except EvaluationFailure:
            return 0, ALL
        if any_differs:  # some pair differs: all users but those whose every value equals every b
            same = ok & ~values.odd
            for b in rv:
                same &= values.all_equal(b, ci)
                if not same:
                    break
            bits = ok & ~values.odd & ~same
        else:  # none equal
            bits = 0
            for b in rv:
                bits |= values.equal(b, ci)
            bits = ok & ~values.odd & ~bits
        for i in members(values.odd & ok):
            try:
                if one_by_one(users.users[i], r, _NO_ENV, None):
                    bits |= 1 << i
            except EvaluationFailure:
                pass
        return bits, values.failed
    return differs
