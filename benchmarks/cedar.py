"""An equivalent Cedar policy set for a qsplay site, so that cedarpy (Cedar's engine) can answer the
same audit matrix — the peer the performance issue measures against.

How Qlik's rule language maps onto Cedar (only what the benchmark sites use; anything else raises
`Untranslatable`, so a comparison is never silently about different policies):
- one `permit` per (rule, resource type) the filter selects, for the rule's actions, in one context;
- a property is a set of text (Qlik compares any value), with "" for "no value" as qsplay compares
  it; `p|ci` holds the case-folded values for `=`/`!=`, `p|has` says whether there is any value;
  `owner`, `app`, `stream` are entity references, guarded with `has`;
- `=` is `contains`, `!=` (some value differs) is `!(S == [x])`, property = property is
  `containsAny`; `like` and `matches` have no Cedar counterpart on sets, so the site's own values
  are matched once here and the rule tests `containsAny` of those — exact for this site, and said
  so;
- `HasPrivilege("a")` is inlined: the rules granting `a` on the target's type, rewritten onto the
  target (Cedar has no recursion; a cycle raises).
"""
from __future__ import annotations

import json

from qsplay.model import Entity
from qsplay.rules.ast import And, Bool, Call, Compare, Not, Or, Path, Str
from qsplay.rules.evaluator import _like, _matches

TYPE = {"User": "User", "Stream": "Stream", "App": "App", "App.Object": "AppObject"}
LINKS = {"App": {"stream": "Stream", "owner": "User"}, "App.Object": {"app": "App", "owner": "User"},
         "Stream": {"owner": "User"}, "User": {"owner": "User"}}


class Untranslatable(Exception):
    pass


def _q(text: str) -> str:
    return json.dumps(text)


def entity_uid(entity: Entity) -> dict:
    return {"type": TYPE[entity.kind], "id": entity.id}


def _ref(entity: Entity) -> str:
    return f'{TYPE[entity.kind]}::{_q(entity.id)}'


def entities_json(site, kinds=("stream", "app", "object")) -> list[dict]:
    out = []
    for entity in [*site.users, *site.all_resources(kinds)]:
        entity.get("id")
        attrs: dict = {}
        for name, values in entity.__dict__["_table"].items():
            if name in LINKS.get(entity.kind, {}):
                if values:
                    attrs[name] = {"__entity": entity_uid(values[0])}
                continue
            texts = [v if isinstance(v, str) else v.compare_text() for v in values]
            attrs[name] = sorted(set(texts)) or [""]
            attrs[name + "|ci"] = sorted({t.casefold() for t in texts}) or [""]
            attrs[name + "|has"] = bool(texts)
        if entity.kind == "User":
            attrs["isAnonymous"] = bool(entity.is_anonymous)
        out.append({"uid": entity_uid(entity), "attrs": attrs, "parents": []})
    return out


class Translator:
    def __init__(self, site, context: str):
        self.site, self.context = site, context
        self.rules = [r for r in site.security_rules if r.category.lower() == "security" and not r.disabled
                      and r.parsed is not None and r.applies_in(context)]
        self._domain: dict[str, list[str]] = {}

    def domain(self, name: str) -> list[str]:
        """Every value of a property across the site, "" included (no value compares as "")."""
        got = self._domain.get(name)
        if got is None:
            values = {""}
            for entity in [*self.site.users, *self.site.all_resources()]:
                for v in entity.get(name) or []:
                    values.add(v if isinstance(v, str) else v.compare_text())
            got = self._domain[name] = sorted(values)
        return got

    def policies(self) -> str:
        out = []
        for rule in self.rules:
            for kind in TYPE:
                if kind == "User" or not self._selects(rule, kind):
                    continue
                condition = self.condition(rule.parsed.root, "resource", kind, ())
                actions = ", ".join(f'Action::{_q(a)}' for a in sorted(rule.actions))
                only = self._only_ids(rule, kind, "resource")
                out.append(f"// {rule.name} on {kind}\npermit(principal, action in [{actions}], resource is "
                           f"{TYPE[kind]}) when {{ {only}({condition}) }};")
        return "\n".join(out) + "\n"

    @staticmethod
    def _selects(rule, kind: str) -> bool:
        t = kind.lower()
        return any(e.everything or (e.type_prefix is not None and t.startswith(e.type_prefix)) or e.type_exact == t
                   for e in rule.filter.entries)

    @staticmethod
    def _only_ids(rule, kind: str, target: str) -> str:
        t = kind.lower()
        entries = [e for e in rule.filter.entries
                   if e.everything or (e.type_prefix is not None and t.startswith(e.type_prefix)) or e.type_exact == t]
        if any(e.resource_id is None for e in entries):
            return ""
        ids = " || ".join(f"{target} == {TYPE[kind]}::{_q(e.resource_id)}" for e in entries)
        return f"({ids}) && "

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, node, res: str, kind: str, stack: tuple) -> str:
        if node is None:
            return "true"
        if isinstance(node, Or):
            return "(" + " || ".join(self.condition(n, res, kind, stack) for n in node.items) + ")"
        if isinstance(node, And):
            return "(" + " && ".join(self.condition(n, res, kind, stack) for n in node.items) + ")"
        if isinstance(node, Not):
            return "!(" + self.condition(node.item, res, kind, stack) + ")"
        if isinstance(node, Bool):
            return "true" if node.value else "false"
        if isinstance(node, Call):
            return self.call(node, res, kind, stack)
        if isinstance(node, Compare):
            return self.compare(node, res, kind)
        raise Untranslatable(type(node).__name__)

    def _walk(self, path: Path, res: str, kind: str):
        """(guard, expression, kind of the entity reached, last property or None)."""
        if path.root == "user":
            base, base_kind = "principal", "User"
        elif path.root == "resource":
            base, base_kind = res, kind
        else:
            raise Untranslatable(f"root {path.root}")
        guards, expr, at = [], base, base_kind
        segments = [s.lower() for s in path.segments]
        for i, seg in enumerate(segments):
            link = LINKS.get(at, {}).get(seg)
            if link is not None:
                guards.append(f"{expr} has {seg}")
                expr, at = f"{expr}.{seg}", link
                continue
            if i != len(segments) - 1:
                return ["false"], expr, at, seg  # a text property has no properties: no value
            return guards, expr, at, seg
        return guards, expr, at, None

    def values(self, path: Path, res: str, kind: str, ci: bool) -> str:
        guards, expr, _, prop = self._walk(path, res, kind)
        if prop is None:
            raise Untranslatable(f"{path.dotted} is an entity compared as text")
        name = prop + ("|ci" if ci else "")
        guard = " && ".join(guards + [f'{expr} has {_q(name)}'])
        return f'(if {guard} then {expr}[{_q(name)}] else [""])'

    def compare(self, node: Compare, res: str, kind: str) -> str:
        op = node.op
        left, right = node.left, node.right
        identity = [s for s in (left, right) if isinstance(s, Path) and s.root == "user" and not s.segments]
        if identity:
            other = right if left is identity[0] else left
            if not isinstance(other, Path):
                raise Untranslatable("user compared with text")
            guards, expr, _, prop = self._walk(other, res, kind)
            if prop is not None:
                raise Untranslatable("user compared with a text property")
            same = " && ".join(guards + [f"{expr} == principal"]) if guards else f"{expr} == principal"
            if op in ("=", "=="):
                return f"({same})"
            if op in ("!=", "!=="):
                return f"!({same})"
            raise Untranslatable(op)
        if op in ("like", "matches"):
            if not isinstance(left, Path) or not isinstance(right, Str):
                raise Untranslatable("pattern")
            prop = self._walk(left, res, kind)[3]
            sensitive = self.site.semantics.matches_case == "sensitive"
            hits = [v for v in self.domain(prop or "")
                    if (_like(v, right.value) if op == "like" else _matches(v, right.value, sensitive))]
            listed = ", ".join(_q(v) for v in hits)
            return f"{self.values(left, res, kind, False)}.containsAny([{listed}])"
        ci = op in ("=", "!=")
        if isinstance(left, Str) and isinstance(right, Str):
            a, b = (left.value.casefold(), right.value.casefold()) if ci else (left.value, right.value)
            return "true" if (a == b) == (op in ("=", "==")) else "false"
        if isinstance(left, Str):
            left, right = right, left
        if isinstance(right, Str):
            lit = right.value.casefold() if ci else right.value
            s = self.values(left, res, kind, ci)
            if op in ("=", "=="):
                return f"{s}.contains({_q(lit)})"
            if self.site.semantics.ne_on_lists == "any_differs":
                return f"!({s} == [{_q(lit)}])"
            return f"!{s}.contains({_q(lit)})"
        a, b = self.values(left, res, kind, ci), self.values(right, res, kind, ci)
        if op in ("=", "=="):
            return f"{a}.containsAny({b})"
        raise Untranslatable("property != property")

    def call(self, node: Call, res: str, kind: str, stack: tuple) -> str:
        fn = node.function
        if fn == "IsAnonymous":
            if node.target.root == "user" and not node.target.segments:
                return "principal.isAnonymous"
            raise Untranslatable("IsAnonymous on a resource")
        guards, expr, at, prop = self._walk(node.target, res, kind)
        if fn == "Empty":
            if prop is None:
                return "!(" + (" && ".join(guards) or "true") + ")"
            return "!(" + " && ".join(guards + [f'{expr} has {_q(prop + "|has")}', f'{expr}[{_q(prop + "|has")}]']) + ")"
        if fn == "IsOwned":
            if prop is not None:
                return "false"
            return "(" + " && ".join(guards + [f"{expr} has owner"]) + ")"
        if fn == "HasPrivilege":
            if prop is not None:
                return "false"
            key = (at, node.arg)
            if key in stack:
                raise Untranslatable("HasPrivilege cycle")
            options = []
            for rule in self.rules:
                if node.arg in rule.actions and self._selects(rule, at):
                    inner = self.condition(rule.parsed.root, expr, at, stack + (key,))
                    options.append(f"({self._only_ids(rule, at, expr)}{inner})")
            granted = " || ".join(options) or "false"
            return "(" + " && ".join(guards + [f"({granted})"]) + ")"
        raise Untranslatable(fn)


def cedar_policies(site, context: str = "hub") -> str:
    return Translator(site, context).policies()
