"""Users that no rule can tell apart get one evaluation.

A user's class is what the rules can see of them: the value of every comparison or function that
reads only the user (`user.group = "Sales"`, `user.UserId like "sa_*"`, `user.IsAnonymous()`), and
the raw values of user properties compared with resource properties (`user.group =
resource.@DevGroup`). Identity comparisons (`resource.owner = user`) tell owners apart: here a user
who owns any resource is a class of their own (`owners_apart`); the compressed audit instead
evaluates owners' own cells separately (qsplay.fast.compressed). The differential test checks
audits built this way against the reference evaluator.
"""
from __future__ import annotations

from ..rules.ast import Call, Compare, Path, walk
from ..rules.evaluator import EvaluationFailure, Environment
from .compiled import _call, _compare, _path

_NO_ENV = Environment({})


def _roots(node) -> set[str]:
    return {n.root for n in walk(node) if isinstance(n, Path)}


def _is_identity(node) -> bool:
    return isinstance(node, Path) and node.root == "user" and not node.segments


class UserClasses:
    def __init__(self, site, rules, owners_apart: bool = True, identity_text: bool = False):
        self.identity_text = identity_text  # an identity comparison met text: the user's name matters
        self.predicates = []
        self.mixed = []
        self.identity = False
        seen = set()
        for rule in rules:
            for node in walk(rule.parsed.root):
                if isinstance(node, Compare):
                    roots = _roots(node)
                    if (_is_identity(node.left) or _is_identity(node.right)) and "resource" in roots:
                        self.identity = True
                        other = node.right if _is_identity(node.left) else node.left
                        if owners_apart and not (isinstance(other, Path) and
                                                 tuple(s.lower() for s in other.segments[-1:]) in ((), ("owner",), ("app",), ("stream",))):
                            self.identity_text = True  # may compare the user's name with text
                    elif roots == {"user"} or "resource" not in roots:
                        key = ("p", rule.parsed.span(node))
                        if key not in seen:
                            seen.add(key)
                            self.predicates.append(_compare(node, site.semantics))
                    elif "user" in roots:
                        for side in (node.left, node.right):
                            if isinstance(side, Path) and side.root == "user" and ("m", side.dotted) not in seen:
                                seen.add(("m", side.dotted))
                                self.mixed.append(_path(side, site.semantics))
                elif isinstance(node, Call) and node.target.root == "user":
                    key = ("c", rule.parsed.span(node))
                    if key not in seen:
                        seen.add(key)
                        self.predicates.append(_call(node, site.semantics))
        owners = set()
        if self.identity and owners_apart:
            for resource in [*site.users, *site.all_resources()]:
                owner = getattr(resource, "owner", None)
                if owner is not None:
                    owners.add(owner.key)
        self.owners = owners

    def of(self, user) -> tuple:
        if user.key in self.owners:
            return ("owner", user.key)
        values = []
        for predicate in self.predicates:
            try:
                values.append(predicate(user, None, _NO_ENV, None))
            except EvaluationFailure:
                values.append("failed")
        for path in self.mixed:
            try:
                values.append(tuple(sorted(v if isinstance(v, str) else v.key for v in path(user, None, _NO_ENV))))
            except EvaluationFailure:
                values.append("failed")
        name = user.compare_text() if self.identity_text else None
        return (bool(getattr(user, "is_anonymous", False)), name, tuple(values))
