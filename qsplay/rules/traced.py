"""Traced evaluation compiled once per condition: the same answers and the same trace as the
reference `_Evaluator` (tests/test_rule_evaluator.py compares them on random sites), without
re-reading the syntax tree on every decision. Texts, operator choices and pattern notes are worked
out when the condition is compiled; a path that meets an unknown property is re-read by the
reference resolver, so its notes are word for word the same.
"""
from __future__ import annotations

from .ast import And, Bool, Call, Compare, Not, Or, ParsedCondition, Path, Str
from .evaluator import (EvaluationFailure, TraceNode, _as_text, _equal, _Evaluator, _like, _matches_any,
                        _matches_note, _ne_note, _shown, call_value, entity_meets_text, entity_text_note,
                        entity_texts)


def compiled_traced(parsed: ParsedCondition, semantics):
    """(ctx) -> (value, TraceNode), cached on the parsed condition per semantics."""
    cache = parsed.__dict__.get("_traced")
    if cache is None:
        cache = {}
        object.__setattr__(parsed, "_traced", cache)
    fn = cache.get(semantics)
    if fn is None:
        fn = cache[semantics] = _Compiler(parsed, semantics).node(parsed.root)
    return fn


class _Compiler:
    def __init__(self, parsed: ParsedCondition, semantics):
        self.parsed, self.sem = parsed, semantics

    def text(self, node) -> str:
        return self.parsed.text[node.start:node.end]

    def node(self, node):
        text = self.text(node)
        if isinstance(node, (Or, And)):
            return self.junction(node, text)
        if isinstance(node, Not):
            inner = self.node(node.item)

            def negate(ctx):
                value, child = inner(ctx)
                return (not value), TraceNode("not", text, not value, [child])
            return negate
        if isinstance(node, Compare):
            return self.compare(node, text)
        if isinstance(node, Call):
            return self.call(node, text)
        if isinstance(node, Bool):
            value = node.value
            return lambda ctx: (value, TraceNode("bool", text, value))

        def not_a_condition(ctx):
            raise EvaluationFailure(f"{text!r} is not a condition")
        return not_a_condition

    def junction(self, node, text):
        stop_on = isinstance(node, Or)
        kind = "or" if stop_on else "and"
        parts = [self.node(item) for item in node.items]
        rest_texts = [[self.text(r) for r in node.items[i + 1:]] for i in range(len(node.items))]

        def run(ctx):
            children = []
            result = not stop_on
            for i, part in enumerate(parts):
                value, child = part(ctx)
                children.append(child)
                if value == stop_on:
                    result = stop_on
                    children.extend(TraceNode("skipped", t, None) for t in rest_texts[i])
                    break
            return result, TraceNode(kind, text, result, children)
        return run

    def values(self, side):
        """(ctx, notes) -> values, the reference resolver's answer."""
        if isinstance(side, Str):
            value = side.value
            return lambda ctx, notes: [value]
        if not isinstance(side, Path):
            text = self.text(side)

            def not_a_value(ctx, notes):
                raise EvaluationFailure(f"{text!r} is not a value")
            return not_a_value
        return self.path(side)

    def path(self, path: Path):
        root = path.root
        segments = path.segments
        parsed = self.parsed
        uses_environment = root == "user" and any(s.lower() == "environment" for s in segments)

        def slow(ctx, notes):
            return _Evaluator(parsed, ctx, True).resolve_path(path, notes)

        if root not in ("user", "resource") or uses_environment:
            return slow

        def resolve(ctx, notes):
            start = ctx.user if root == "user" else ctx.resource
            if start is None:
                return slow(ctx, notes)
            values = [start]
            for seg in segments:
                nxt = []
                for v in values:
                    if isinstance(v, str):
                        return slow(ctx, notes)
                    got = v.get(seg)
                    if got is None:
                        return slow(ctx, notes)  # unknown property: the reference words the note
                    nxt.extend(got)
                values = nxt
            return values
        return resolve

    def compare(self, node: Compare, text: str):
        left_of, right_of = self.values(node.left), self.values(node.right)
        left_is_path, right_is_path = isinstance(node.left, Path), isinstance(node.right, Path)
        left_text, right_text = self.text(node.left), self.text(node.right)
        show_right = not (isinstance(node.right, Str) and node.right.quoted)
        op, sem = node.op, self.sem
        entity_note = entity_text_note(text, sem)

        if op in ("=", "=="):
            ci = op == "="

            def test(left, right, shown_left, shown_right, notes):
                return any(_equal(a, b, ci) for a in left for b in right)
        elif op in ("!=", "!=="):
            ci = op == "!="
            any_differs = sem.ne_on_lists == "any_differs"

            def test(left, right, shown_left, shown_right, notes):
                if any_differs:
                    result = any(not _equal(a, b, ci) for a in left for b in right)
                else:
                    result = bool(left or right) and not any(_equal(a, b, ci) for a in left for b in right)
                if len(shown_left) > 1 or len(shown_right) > 1:
                    notes.append(_ne_note(op, len(left), len(right), sem, left_text, right_text))
                return result
        elif op == "like":
            pattern = node.right.value
            wildcard_note = "? is matched as a plain character; Qlik documents only * as a wildcard" \
                if "?" in pattern else None

            def test(left, right, shown_left, shown_right, notes):
                result = any(_like(_as_text(a), pattern) for a in left)
                if wildcard_note:
                    notes.append(wildcard_note)
                return result
        else:
            pattern = node.right.value
            sensitive = sem.matches_case == "sensitive"
            how = _matches_note(sem)

            def test(left, right, shown_left, shown_right, notes):
                result = _matches_any(left, pattern, sensitive, notes)
                notes.append(how)
                return result

        def run(ctx):
            notes: list[str] = []
            shown_left = left_of(ctx, notes)
            shown_right = right_of(ctx, notes)
            left = shown_left if shown_left or not left_is_path else [""]
            right = shown_right if shown_right or not right_is_path else [""]
            if entity_meets_text(left, right, op):
                left, right = entity_texts(left, right, sem)
                notes.append(entity_note)
            result = test(left, right, shown_left, shown_right, notes)
            operands = [(left_text, _shown(shown_left))]
            if show_right:
                operands.append((right_text, _shown(shown_right)))
            if left_is_path and not shown_left:
                notes.append(f"{left_text} has no value, so it compares as empty text \"\"")
            if right_is_path and not shown_right:
                notes.append(f"{right_text} has no value, so it compares as empty text \"\"")
            return result, TraceNode("compare", text, result, operands=operands, notes=notes)
        return run

    def call(self, node: Call, text: str):
        targets_of = self.path(node.target)
        target_text, dotted = self.text(node.target), node.target.dotted
        fn, arg = node.function, node.arg

        def run(ctx):
            notes: list[str] = []
            targets = targets_of(ctx, notes)
            nested: list = []
            result = call_value(fn, arg, dotted, targets, ctx.has_privilege, True, notes, nested)
            return result, TraceNode("call", text, result, operands=[(target_text, _shown(targets))],
                                     notes=notes, nested=nested)
        return run
