"""Conditions compiled to closures, for answers without traces (audits, lint, graphs).

Same semantics as `qsplay.rules.evaluator` (the reference, kept as the oracle and checked against
this by a differential test on random sites): any-value matching, case rules, a path without value
comparing as "", the `Semantics` choices, like/matches with the same patterns and timeout,
HasPrivilege through a callback. Nothing is evaluated from text: the closures are built from the
parsed syntax tree.
"""
from __future__ import annotations

from typing import Callable

from ..rules.ast import And, Bool, Call, Compare, Not, Or, ParsedCondition, Path, Str
from ..rules.evaluator import EvaluationFailure, _as_text, _like, _matches, entity_meets_text, entity_texts
from ..semantics import Semantics

# a compiled condition: (user, resource, environment, has_privilege) -> bool
Compiled = Callable[[object, object, object, Callable], bool]


def compile_condition(parsed: ParsedCondition, semantics: Semantics) -> Compiled:
    if parsed.root is None:
        return lambda u, r, e, hp: True
    return _compile(parsed.root, semantics)


def _compile(node, sem: Semantics):
    if isinstance(node, Or):
        parts = [_compile(n, sem) for n in node.items]
        return lambda u, r, e, hp: any(p(u, r, e, hp) for p in parts)
    if isinstance(node, And):
        parts = [_compile(n, sem) for n in node.items]
        return lambda u, r, e, hp: all(p(u, r, e, hp) for p in parts)
    if isinstance(node, Not):
        inner = _compile(node.item, sem)
        return lambda u, r, e, hp: not inner(u, r, e, hp)
    if isinstance(node, Bool):
        value = node.value
        return lambda u, r, e, hp: value
    if isinstance(node, Compare):
        return _compare(node, sem)
    if isinstance(node, Call):
        return _call(node, sem)
    raise EvaluationFailure("not a condition")


def _values(node, sem: Semantics):
    if isinstance(node, Str):
        value = [node.value]
        return lambda u, r, e: value
    return _path(node, sem)


def _path(path: Path, sem: Semantics):
    root, segments = path.root, path.segments
    fail = sem.missing_property == "fail"
    env_at = 0 if root == "user" and segments[:1] and segments[0].lower() == "environment" else -1

    def resolve(u, r, e):
        start = u if root == "user" else r if root == "resource" else None
        if start is None:
            return []
        values = [start]
        for i, seg in enumerate(segments):
            if i == env_at:
                values = [e]
                continue
            nxt, unknown = [], False
            for v in values:
                if isinstance(v, str):
                    unknown = True
                    continue
                got = v.get(seg)
                if got is None:
                    unknown = True
                else:
                    nxt.extend(got)
            if unknown and not nxt and fail:
                raise EvaluationFailure(f"{seg} is not a property")
            values = nxt
        return values
    return resolve


def _compare(node: Compare, sem: Semantics):
    left, right = _values(node.left, sem), _values(node.right, sem)
    left_path, right_path = isinstance(node.left, Path), isinstance(node.right, Path)
    op = node.op

    def sides(u, r, e):
        lv, rv = left(u, r, e), right(u, r, e)
        if not lv and left_path:
            lv = [""]
        if not rv and right_path:
            rv = [""]
        if entity_meets_text(lv, rv, op):
            return entity_texts(lv, rv, sem)
        return lv, rv

    if op in ("=", "=="):
        ci = op == "="
        return lambda u, r, e, hp: _any_equal(*sides(u, r, e), ci)
    if op in ("!=", "!=="):
        ci = op == "!="
        if sem.ne_on_lists == "any_differs":
            def differs(u, r, e, hp):
                lv, rv = sides(u, r, e)
                return any(not _eq(a, b, ci) for a in lv for b in rv)
            return differs

        def none_equal(u, r, e, hp):
            lv, rv = sides(u, r, e)
            return bool(lv or rv) and not _any_equal(lv, rv, ci)
        return none_equal
    pattern = node.right.value
    if op == "like":
        return lambda u, r, e, hp: any(_like(_as_text(a), pattern) for a in sides(u, r, e)[0])
    sensitive = sem.matches_case == "sensitive"

    def matches(u, r, e, hp):
        for a in sides(u, r, e)[0]:
            try:
                if _matches(_as_text(a), pattern, sensitive):
                    return True
            except TimeoutError:
                continue
        return False
    return matches


def _eq(a, b, ci: bool) -> bool:
    if not isinstance(a, str) and not isinstance(b, str):
        return a.key == b.key
    ta = a if isinstance(a, str) else a.compare_text()
    tb = b if isinstance(b, str) else b.compare_text()
    return ta.casefold() == tb.casefold() if ci else ta == tb


def _any_equal(lv, rv, ci: bool) -> bool:
    return any(_eq(a, b, ci) for a in lv for b in rv)


def _call(node: Call, sem: Semantics):
    target = _path(node.target, sem)
    fn = node.function
    if fn == "IsAnonymous":
        return lambda u, r, e, hp: any(getattr(t, "is_anonymous", False) for t in target(u, r, e))
    if fn == "Empty":
        return lambda u, r, e, hp: not target(u, r, e)
    if fn == "IsOwned":
        return lambda u, r, e, hp: any(not isinstance(t, str) and t.get("owner") for t in target(u, r, e))
    action = node.arg
    return lambda u, r, e, hp: any(hp(t, action) for t in target(u, r, e) if not isinstance(t, str))
