"""Evaluate a parsed condition against a user, a resource and an environment.

Every path resolves to a list of values (strings or model entities); a comparison is true when
any pair of values matches (Qlik: "The full list does not have to match when a value used in an
expression exists in a list"). With `trace=True` every sub-expression records its value, the
values it compared and any note on how it was read, so a front end can show why.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import regex

from ..semantics import Semantics
from .ast import And, Bool, Call, Compare, Node, Not, Or, ParsedCondition, Path, Str

MATCH_TIMEOUT_SECONDS = 0.05


class Subject(Protocol):
    """What the evaluator needs from a model entity (user, stream, app, ...)."""
    kind: str
    key: str

    def get(self, name: str) -> list | None: ...  # None: no such property

    def compare_text(self) -> str: ...

    def display(self) -> str: ...


@dataclass(slots=True)
class TraceNode:
    kind: str  # or, and, not, compare, call, bool
    text: str  # the source text of this sub-expression
    value: bool | None  # None: not evaluated (an earlier operand decided)
    children: list["TraceNode"] = field(default_factory=list)
    operands: list[tuple[str, list[str]]] = field(default_factory=list)  # (text, values shown)
    notes: list[str] = field(default_factory=list)
    nested: list[Any] = field(default_factory=list)  # HasPrivilege: nested security results

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "value": self.value}
        if self.operands:
            out["operands"] = [{"text": t, "values": v} for t, v in self.operands]
        if self.notes:
            out["notes"] = list(self.notes)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        if self.nested:
            out["nested"] = [n.to_dict() if hasattr(n, "to_dict") else n for n in self.nested]
        return out


def trace_as_dict(trace) -> dict:
    """A trace as dicts, whether it is still a TraceNode (in a Decision) or already plain (from JSON)."""
    return trace.to_dict() if hasattr(trace, "to_dict") else trace


class EvaluationFailure(Exception):
    """The rule cannot be evaluated (QRS audit: evaluationState 'evaluationfailure')."""


class Environment:
    """user.environment.*: session attributes (ip, browser, os, device, secureRequest, SAML/ticket)."""
    kind = "Environment"
    key = "environment"

    # request keys (contract §2: ip, browser, os, device, secure, SAML/ticket attributes) -> the
    # attribute rules read; "secureRequest - Value true - if SSL is used - otherwise false"
    # (Available resource conditions, https://help.qlik.com/en-US/sense-admin/May2023/Subsystems/DeployAdministerQSE/Content/Sense_DeployAdminister/QSEoW/Administer_QSEoW/Managing_QSEoW/available-resource-conditions.htm)
    ALIASES = {"secure": "securerequest"}

    def __init__(self, values: dict[str, list[str]] | None):
        self._values = {}
        for k, v in (values or {}).items():
            key = self.ALIASES.get(k.lower(), k.lower())
            self._values.setdefault(key, []).extend(_env_text(x) for x in v)

    def get(self, name: str) -> list | None:
        return self._values.get(name.lower(), [])

    def compare_text(self) -> str:
        return ""

    def display(self) -> str:
        return "environment"


def _env_text(value) -> str:
    """Booleans as Qlik writes them in rules (`user.environment.secureRequest="true"`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class EvalContext:
    user: Subject | None
    resource: Subject | None
    environment: Environment
    semantics: Semantics
    # (target resource, action) -> (granted, nested result for the trace)
    has_privilege: Callable[[Subject, str, bool], tuple[bool, Any]] | None = None


def evaluate(parsed: ParsedCondition, ctx: EvalContext, trace: bool = False) -> tuple[bool, TraceNode | None]:
    """Evaluate; raise EvaluationFailure when the chosen semantics say the rule cannot be evaluated."""
    if parsed.root is None:
        node = TraceNode("bool", "", True, notes=["an empty condition is true: the rule applies to "
                                                   "all users and resources its filter selects"]) if trace else None
        return True, node
    if trace:  # compiled once per condition; same trace as the reference walk below
        return compiled_traced(parsed, ctx.semantics)(ctx)
    return _Evaluator(parsed, ctx, trace).eval(parsed.root)


class _Evaluator:
    def __init__(self, parsed: ParsedCondition, ctx: EvalContext, trace: bool):
        self.parsed = parsed
        self.ctx = ctx
        self.trace = trace

    def text(self, node: Node) -> str:
        return self.parsed.text[node.start:node.end]

    def eval(self, node: Node) -> tuple[bool, TraceNode | None]:
        if isinstance(node, (Or, And)):
            return self.eval_junction(node)
        if isinstance(node, Not):
            value, child = self.eval(node.item)
            return (not value), (TraceNode("not", self.text(node), not value, [child]) if self.trace else None)
        if isinstance(node, Compare):
            return self.eval_compare(node)
        if isinstance(node, Call):
            return self.eval_call(node)
        if isinstance(node, Bool):
            return node.value, (TraceNode("bool", self.text(node), node.value) if self.trace else None)
        raise EvaluationFailure(f"{self.text(node)!r} is not a condition")

    def eval_junction(self, node: Or | And) -> tuple[bool, TraceNode | None]:
        stop_on = isinstance(node, Or)  # OR stops at the first true, AND at the first false
        children: list[TraceNode] = []
        result = not stop_on
        for i, item in enumerate(node.items):
            value, child = self.eval(item)
            if self.trace:
                children.append(child)
            if value == stop_on:
                result = stop_on
                if self.trace:
                    children.extend(TraceNode("skipped", self.text(rest), None) for rest in node.items[i + 1:])
                break
        if not self.trace:
            return result, None
        return result, TraceNode("or" if stop_on else "and", self.text(node), result, children)

    # -- values ------------------------------------------------------------------------------
    def resolve(self, node: Node, notes: list[str]) -> list:
        if isinstance(node, Str):
            return [node.value]
        if isinstance(node, Path):
            return self.resolve_path(node, notes)
        raise EvaluationFailure(f"{self.text(node)!r} is not a value")

    def resolve_path(self, path: Path, notes: list[str]) -> list:
        root = self.ctx.user if path.root == "user" else self.ctx.resource if path.root == "resource" else None
        if root is None:
            if path.root in ("user", "resource"):
                notes.append(f"there is no {path.root} here, so {path.dotted} has no value")
            else:
                notes.append(f"'{path.root}' is not user or resource; {path.dotted} has no value here")
            return []
        values: list = [root]
        walked = path.root
        for seg in path.segments:
            if walked == "user" and seg.lower() == "environment":
                values = [self.ctx.environment]
                walked += "." + seg
                continue
            nxt: list = []
            unknown_on: list[str] = []
            for v in values:
                if isinstance(v, str):
                    unknown_on.append(f"the text {v!r}")
                    continue
                got = v.get(seg)
                if got is None:
                    unknown_on.append(f"a {v.kind}")
                else:
                    nxt.extend(got)
            if unknown_on and not nxt:
                msg = f"{walked}.{seg}: {seg} is not a property of {unknown_on[0]}"
                if self.ctx.semantics.missing_property == "fail":
                    raise EvaluationFailure(msg + " (semantics missing_property=fail: the rule fails)")
                notes.append(msg + " (read as no value; semantics missing_property=empty)")
            values = nxt
            walked += "." + seg
        return values

    # -- comparisons ---------------------------------------------------------------------------
    def eval_compare(self, node: Compare) -> tuple[bool, TraceNode | None]:
        notes: list[str] = []
        left = self.resolve(node.left, notes)
        right = self.resolve(node.right, notes)
        shown_left, shown_right = left, right
        # a property with no value compares as empty text: `resource.app.@SheetLevelSecurity != "Yes"` is
        # true for an app without the property (how Qlik's own SheetLevelSecurity package relies on it)
        if not left and isinstance(node.left, Path):
            left = [""]
        if not right and isinstance(node.right, Path):
            right = [""]
        op = node.op
        sem = self.ctx.semantics
        if entity_meets_text(left, right, op):
            left, right = entity_texts(left, right, sem)
            if self.trace:
                notes.append(entity_text_note(self.text(node), sem))
        if op in ("=", "=="):
            ci = op == "="
            result = any(_equal(a, b, ci) for a in left for b in right)
        elif op in ("!=", "!=="):
            ci = op == "!="
            if sem.ne_on_lists == "any_differs":
                result = any(not _equal(a, b, ci) for a in left for b in right)
            else:
                result = bool(left or right) and not any(_equal(a, b, ci) for a in left for b in right)
            if self.trace and (len(shown_left) > 1 or len(shown_right) > 1):
                notes.append(_ne_note(op, len(left), len(right), sem, self.text(node.left), self.text(node.right)))
        elif op == "like":
            pattern = node.right.value
            result = any(_like(_as_text(a), pattern) for a in left)
            if self.trace and "?" in pattern:
                notes.append("? is matched as a plain character; Qlik documents only * as a wildcard")
        else:  # matches
            pattern = node.right.value
            result = _matches_any(left, pattern, sem.matches_case == "sensitive", notes)
            if self.trace:
                notes.append(_matches_note(sem))
        if not self.trace:
            return result, None
        operands = [(self.text(node.left), _shown(shown_left))]
        if not (isinstance(node.right, Str) and node.right.quoted):
            operands.append((self.text(node.right), _shown(shown_right)))
        for side, values in ((node.left, shown_left), (node.right, shown_right)):
            if isinstance(side, Path) and not values:
                notes.append(f"{self.text(side)} has no value, so it compares as empty text \"\"")
        return result, TraceNode("compare", self.text(node), result, operands=operands, notes=notes)

    # -- functions -----------------------------------------------------------------------------
    def eval_call(self, node: Call) -> tuple[bool, TraceNode | None]:
        notes: list[str] = []
        targets = self.resolve_path(node.target, notes)
        nested: list = []
        result = call_value(node.function, node.arg, node.target.dotted, targets, self.ctx.has_privilege,
                            self.trace, notes, nested)
        if not self.trace:
            return result, None
        operands = [(self.text(node.target), _shown(targets))]
        return result, TraceNode("call", self.text(node), result, operands=operands, notes=notes, nested=nested)


def call_value(fn: str, arg: str | None, dotted: str, targets: list, has_privilege, trace: bool,
               notes: list[str], nested: list) -> bool:
    """IsAnonymous, Empty, IsOwned, HasPrivilege on a path's values (shared by both traced walks)."""
    if fn == "IsAnonymous":
        return any(getattr(t, "is_anonymous", False) for t in targets)
    if fn == "Empty":
        return not targets
    if fn == "IsOwned":
        return any(not isinstance(t, str) and t.get("owner") for t in targets)
    resources = [t for t in targets if not isinstance(t, str)]  # HasPrivilege
    if not resources and trace:
        notes.append(f"{dotted} is empty, so there is nothing to have {arg} on")
    for target in resources:
        if has_privilege is None:
            raise EvaluationFailure("HasPrivilege cannot be evaluated here")
        granted, sub = has_privilege(target, arg, trace)
        if trace and sub is not None:
            nested.append(sub)
        if granted:
            return True
    return False


def entity_meets_text(left: list, right: list, op: str) -> bool:
    """An object (a user, a stream) on one side and text on the other, or an object matched against a
    pattern: Qlik documents only object-to-object comparison (`resource.owner = user`)."""
    has_entity = any(not isinstance(v, str) for v in left) or (op not in ("like", "matches") and
                                                                any(not isinstance(v, str) for v in right))
    if not has_entity:
        return False
    if op in ("like", "matches"):
        return True
    return any(isinstance(v, str) for v in left) or any(isinstance(v, str) for v in right)


def entity_texts(left: list, right: list, sem: Semantics) -> tuple[list, list]:
    """Objects as the text semantics entity_text names (qualified: compare_text, as before)."""
    how = sem.entity_text
    if how == "qualified":
        return left, right

    def text(v):
        return v if isinstance(v, str) else (v.id if how == "id" else v.name)
    return [text(v) for v in left], [text(v) for v in right]


def entity_text_note(text: str, sem: Semantics) -> str:
    reading = {"qualified": "a user as DIRECTORY\\userId, another object as its id", "id": "its id (GUID)",
               "name": "its name"}[sem.entity_text]
    return (f"{text} compares an object (a user, a stream, an app) with text: Qlik documents only comparing "
            f"objects (resource.owner = user), so the outcome is UNCONFIRMED; read as {reading} (semantics "
            f"entity_text={sem.entity_text}). Compare a property instead, e.g. resource.owner.userId = user.userId")


def _ne_note(op: str, n_left: int, n_right: int, sem: Semantics, left_text: str, right_text: str) -> str:
    reading = ("true when at least one value differs" if sem.ne_on_lists == "any_differs"
               else "true when no value is equal")
    return (f"{op} on {n_left} and {n_right} values is {reading} (semantics ne_on_lists={sem.ne_on_lists}; "
            f"Qlik's rule is UNCONFIRMED). To mean 'not in', write !({left_text} = {right_text})")


def _matches_any(values: list, pattern: str, sensitive: bool, notes: list[str]) -> bool:
    """A full match against any value; a value that takes too long is stopped, noted, and no match."""
    for a in values:
        try:
            if _matches(_as_text(a), pattern, sensitive):
                return True
        except MatchBudgetSpent:
            notes.append(f"the command's time for matches ({COMMAND_MATCH_BUDGET_SECONDS:.0f} s) was used up "
                         f"before {_as_text(a)!r}; that value counts as no match")
        except TimeoutError:
            notes.append(f"the pattern took longer than {MATCH_TIMEOUT_SECONDS * 1000:.0f} ms on "
                         f"{_as_text(a)!r} and was stopped; that value counts as no match")
    return False


def _matches_note(sem: Semantics) -> str:
    return (f"matches is a full, {'case-sensitive' if sem.matches_case == 'sensitive' else 'case-insensitive'} "
            f"regular-expression match (semantics matches_case={sem.matches_case})")


def _as_text(value) -> str:
    return value if isinstance(value, str) else value.compare_text()


def _shown(values: list) -> list[str]:
    return [v if isinstance(v, str) else v.display() for v in values]


def _equal(a, b, case_insensitive: bool) -> bool:
    if not isinstance(a, str) and not isinstance(b, str):
        return a.key == b.key
    ta, tb = _as_text(a), _as_text(b)
    return ta.casefold() == tb.casefold() if case_insensitive else ta == tb


@functools.lru_cache(maxsize=4096)
def _like_parts(pattern: str) -> tuple[str, ...]:
    # only * is a wildcard (Qlik: "mya*" begins with, "*US*" contains); the rest is literal; no case
    return tuple(pattern.casefold().split("*"))


def _like(text: str, pattern: str) -> bool:
    """A glob match in linear time: the first piece begins the text, the last ends it, and each
    piece between is found leftmost after the previous one (for `*`-only globs the leftmost
    choice is always right, so nothing is ever retried: `*a*a…*x` on 20,000 characters is instant)."""
    parts = _like_parts(pattern)
    text = text.casefold()
    if len(parts) == 1:
        return text == parts[0]
    first, last = parts[0], parts[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    pos, end = len(first), len(text) - len(last)
    for piece in parts[1:-1]:
        if piece:
            found = text.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
    return True


@functools.lru_cache(maxsize=4096)
def _matches_regex(pattern: str, sensitive: bool):
    return regex.compile(pattern, 0 if sensitive else regex.IGNORECASE)


class MatchBudgetSpent(TimeoutError):
    """The command's time for `matches` is used up."""


COMMAND_MATCH_BUDGET_SECONDS = 2.0  # slow `matches` of one command together (audit: every cell)
SLOW_MATCH_SECONDS = 0.001  # a match slower than this counts against the command's budget
SPENT_MATCH_TIMEOUT_SECONDS = 0.001  # once the budget is spent, what a value not yet known may take
_match_budget: contextvars.ContextVar[list | None] = contextvars.ContextVar("match_budget", default=None)
_match_cache: dict[tuple, bool | None] = {}  # (pattern, case, value) -> result; None: timed out
_MATCH_CACHE_SIZE = 200_000


@contextlib.contextmanager
def match_budget(seconds: float = COMMAND_MATCH_BUDGET_SECONDS):
    """Bound the time slow `matches` inside spend together (one command: a decide, an audit);
    past it, a value not yet known gets a millisecond and otherwise counts as no match (the trace
    says so)."""
    token = _match_budget.set([seconds])
    try:
        yield
    finally:
        _match_budget.reset(token)


def _matches(text: str, pattern: str, sensitive: bool) -> bool:
    # anchors are implicit (help 2022+); each value has a timeout, each command a budget, and each
    # (pattern, value) is matched once: an audit asks the same question for every user
    key = (pattern, sensitive, text)
    known = _match_cache.get(key, ...)
    if known is None:
        raise TimeoutError(f"{pattern!r} on {text!r}")
    if known is not ...:
        return known
    left = _match_budget.get()
    timeout = MATCH_TIMEOUT_SECONDS if left is None or left[0] > 0 else SPENT_MATCH_TIMEOUT_SECONDS
    if len(_match_cache) >= _MATCH_CACHE_SIZE:
        _match_cache.clear()
    start = time.perf_counter()
    try:
        result = _matches_regex(pattern, sensitive).fullmatch(text, timeout=timeout) is not None
    except TimeoutError:
        if timeout < MATCH_TIMEOUT_SECONDS:  # cut short by the spent budget, not by the value itself
            raise MatchBudgetSpent(f"{pattern!r} on {text!r}") from None
        _match_cache[key] = None
        raise
    finally:
        spent = time.perf_counter() - start
        if left is not None and spent > SLOW_MATCH_SECONDS:  # ordinary matches never use the budget up
            left[0] -= spent
    _match_cache[key] = result
    return result


from .traced import compiled_traced  # noqa: E402  (it builds on the names above)
