"""A linter for rules: risky or useless security rules, each finding with why it matters and a fix.

Codes are the contract's: anonymous-write, wildcard-empty-condition, ne-on-multivalued,
matches-nothing, redundant, unknown-property, dead-context, parse-error. Preinstalled rules are
checked only when the scenario edits them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.authentication import anonymous_user
from ..engine.security import SecurityEngine
from ..model import SecurityRule, Site
from ..model.site import ADMIN_KINDS, RESOURCE_KINDS

ALL_KINDS = RESOURCE_KINDS + ADMIN_KINDS  # a rule on QmcSection_App selects a section, not nothing
from ..rules import EvalContext, EvaluationFailure, Environment, evaluate
from ..rules.ast import Compare, Path, Str, walk
from ..semantics import Semantics

SEVERITY = {"parse-error": "error", "anonymous-write": "error", "wildcard-empty-condition": "warning",
            "ne-on-multivalued": "warning", "matches-nothing": "warning", "redundant": "info",
            "unknown-property": "warning", "dead-context": "warning",
            # rule shapes found in public rule collections whose outcome Qlik does not document
            "entity-compared-with-text": "warning", "unknown-root": "warning", "filter-without-id": "warning",
            "empty-text-compare": "info", "bare-type-filter": "info", "like-star": "info",
            # section access tables (qsplay/explain/section_access.py)
            "section-access-no-scheduler": "error", "section-access-lower-case-data": "warning",
            "section-access-unknown-group": "warning", "section-access-duplicate-row": "info"}
MULTI_VALUED = {"group", "groups", "roles"}
USER_BUILTINS = {"name", "userid", "userdirectory", "email", "group", "groups", "roles", "environment", "id",
                 "inactive", "blacklisted", "removedexternally"}
RESOURCE_BUILTINS = {"id", "name", "resourcetype", "resourcefilter", "owner", "description", "stream", "app",
                     "objecttype", "published", "approved", "type", "category"}
# Which actions mean something for which resource type (QMC actions page and audit legend):
# e.g. Approve is for app objects, Export and Access offline for apps, Publish for apps, objects and streams.
ACTIONS_BY_TYPE = {
    "stream": {"create", "read", "update", "delete", "publish", "change_owner"},
    "app": {"create", "read", "update", "delete", "export", "publish", "change_owner", "export_data",
            "access_offline", "duplicate", "distribute"},
    "app.object": {"create", "read", "update", "delete", "publish", "change_owner", "approve", "export_data"},
    "dataconnection": {"create", "read", "update", "delete", "change_owner"},
    "extension": {"create", "read", "update", "delete", "change_owner"},
    "contentlibrary": {"create", "read", "update", "delete", "change_owner"},
    "reloadtask": {"create", "read", "update", "delete"},
    "user": {"create", "read", "update", "delete", "change_owner", "change_role"},
}
HUB_ONLY_TYPES = ("hubsection",)
QMC_ONLY_TYPES = ("qmcsection",)


@dataclass
class Finding:
    code: str
    rule: str
    message: str
    fix: str

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]

    def to_dict(self) -> dict:
        return {"code": self.code, "rule": self.rule, "severity": self.severity, "message": self.message,
                "fix": self.fix}


def lint(site: Site) -> list[Finding]:
    findings: list[Finding] = []
    rules = [r for r in site.security_rules if not r.preinstalled or r.edited]
    for rule in rules:
        if rule.parse_error is not None or rule.parsed is None:
            err = rule.parse_error
            where = f" (line {err.line}, col {err.col})" if err is not None else ""
            findings.append(Finding("parse-error", rule.name, f"the condition does not parse{where}: "
                                    f"{err.message if err else 'unknown error'}; Qlik grants nothing through it",
                                    "correct the condition; qsplay shows where with a caret"))
            continue
        findings.extend(_static(site, rule))
    findings.extend(_dynamic(site, rules))
    from .section_access import lint_section_access
    findings.extend(lint_section_access(site))
    rank = {"error": 0, "warning": 1, "info": 2}
    order = list(SEVERITY)
    findings.sort(key=lambda f: (rank[f.severity], order.index(f.code), f.rule))
    return findings


def _static(site: Site, rule: SecurityRule) -> list[Finding]:
    out = []
    entries = rule.filter.entries if rule.filter else ()
    if any(e.everything for e in entries) and rule.parsed.root is None:
        out.append(Finding("wildcard-empty-condition", rule.name,
                           f"resource filter * with an empty condition gives {', '.join(sorted(rule.actions))} on "
                           f"every resource to every user, anonymous users included",
                           "narrow the resource filter (e.g. Stream_*) and add a condition on the user"))
    known_props = _known_custom_properties(site)
    known_attrs = {k.lower() for u in site.users for k in u.attributes}
    for node in walk(rule.parsed.root):
        if isinstance(node, Compare) and node.op in ("!=", "!=="):
            for side in (node.left, node.right):
                if isinstance(side, Path) and side.segments and _multi_valued(site, side):
                    text = rule.parsed.span(node)
                    out.append(Finding(
                        "ne-on-multivalued", rule.name,
                        f"{text}: {side.dotted} can hold several values, and {node.op} on a list is true when "
                        f"any value differs (Qlik's exact reading is UNCONFIRMED), so a user in groups [X, Y] "
                        f"passes {side.dotted} {node.op} \"X\"",
                        f"write !({rule.parsed.span(node.left)} = {rule.parsed.span(node.right)}) to mean 'not in'"))
                    break
        if isinstance(node, Path):
            problem = _unknown_path(node, known_props, known_attrs)
            if problem:
                out.append(Finding("unknown-property", rule.name, problem,
                                   "define the custom property (custom_properties:) or fix the name; an undefined "
                                   "property has no value, so comparisons with it are false"))
    out.extend(_shapes(site, rule))
    types = _filter_types(rule)
    if types:
        dead = [a for a in sorted(rule.actions)
                if all(a not in ACTIONS_BY_TYPE.get(t, set(rule.actions)) for t in types)]
        if dead:
            out.append(Finding("dead-context", rule.name,
                               f"the action(s) {', '.join(dead)} never apply to {', '.join(sorted(types))}",
                               "remove the action(s), or widen the resource filter to a type they apply to"))
    for e in entries:
        t = (e.type_exact or e.type_prefix or "")
        if t.startswith(QMC_ONLY_TYPES) and rule.context == "hub":
            out.append(Finding("dead-context", rule.name, f"{e.text} names QMC sections but the rule applies only "
                                                          f"in the hub", "set the context to qmc or both"))
        if t.startswith(HUB_ONLY_TYPES) and rule.context == "qmc":
            out.append(Finding("dead-context", rule.name, f"{e.text} names hub sections but the rule applies only "
                                                          f"in the QMC", "set the context to hub or both"))
    return out


def _filter_types(rule: SecurityRule) -> set[str]:
    """The modelled resource types a filter can select (empty when it can select anything)."""
    types = set()
    for e in rule.filter.entries:
        if e.everything:
            return set()
        if e.type_prefix is not None:
            hit = {t for t in ACTIONS_BY_TYPE if t.startswith(e.type_prefix)}
            if not hit:
                return set()
            types |= hit
        elif e.type_exact in ACTIONS_BY_TYPE:
            types.add(e.type_exact)
        else:
            return set()
    return types


def _multi_valued(site: Site, path: Path) -> bool:
    last = path.segments[-1]
    if last.lower() in MULTI_VALUED:
        return True
    if last.startswith("@"):
        name = last[1:].lower()
        for d in site.custom_properties:
            if d.name.lower() == name and len(d.values) > 1:
                return True
        return any(len(v) > 1 for e in [*site.users, *site.all_resources()]
                   for k, v in e.properties.items() if k.lower() == name)
    return False


def _known_custom_properties(site: Site) -> set[str]:
    names = {d.name.lower() for d in site.custom_properties}
    for e in [*site.users, *site.all_resources()]:
        names.update(k.lower() for k in e.properties)
    return names


ENTITY_PATHS = {("resource", "owner"), ("resource", "stream"), ("resource", "app"), ("resource", "app.stream"),
                ("resource", "app.owner"), ("resource", "stream.owner"), ("user", "")}


def _is_entity(path: Path) -> bool:
    return (path.root, ".".join(s.lower() for s in path.segments)) in ENTITY_PATHS


def _shapes(site: Site, rule: SecurityRule) -> list[Finding]:
    """Shapes people write whose outcome Qlik does not document: say what Qlik may do instead."""
    out = []
    for node in walk(rule.parsed.root):
        if isinstance(node, Path) and node.root not in ("user", "resource"):
            out.append(Finding("unknown-root", rule.name,
                               f"{node.dotted}: conditions start from user or resource (help: \"resource: Implies "
                               f"that the conditions will be applied to a resource\"); '{node.root}' is neither, so "
                               f"qsplay reads it as no value and Qlik may reject the rule or do the same",
                               f"write resource.{node.root}.… (the related {node.root} of the resource) or "
                               f"resource.… (the resource itself)"))
        if not isinstance(node, Compare):
            continue
        text = rule.parsed.span(node)
        sides = (node.left, node.right)
        entity = next((s for s in sides if isinstance(s, Path) and _is_entity(s)), None)
        other = node.right if entity is node.left else node.left
        if entity is not None and not (isinstance(other, Path) and _is_entity(other)):
            out.append(Finding("entity-compared-with-text", rule.name,
                               f"{text}: {entity.dotted} is an object (a user, a stream or an app) compared with "
                               f"{'a pattern' if node.op in ('like', 'matches') else 'text'}; Qlik documents only "
                               f"object-to-object comparison (resource.owner = user), so what it compares here is "
                               f"UNCONFIRMED (qsplay: semantics entity_text={site.semantics.entity_text})",
                               f"compare a property: e.g. {entity.dotted}.userId = user.userId or "
                               f"{entity.dotted}.name = user.name"))
        if node.op in ("=", "==", "!=", "!==") and any(isinstance(s, Str) and s.value == "" for s in sides):
            path = next((s for s in sides if isinstance(s, Path)), None)
            if path is not None:
                neg = "!" if node.op.startswith("!") else ""
                out.append(Finding("empty-text-compare", rule.name,
                                   f"{text}: comparing with \"\" to test for a missing value is not documented; "
                                   f"qsplay reads a property without value as \"\" (semantics missing_property="
                                   f"{site.semantics.missing_property}), Qlik may not",
                                   f"write {neg}{path.dotted}.Empty() (help: Empty \"returns True if the specified "
                                   f"resource has no connections (that is, has no value)\")"))
        if node.op == "like" and isinstance(node.right, Str) and node.right.value.strip("*") == "" and \
                isinstance(node.left, Path) and node.left.root == "user":
            out.append(Finding("like-star", rule.name,
                               f"{text}: like \"*\" is true for every user, anonymous visitors included "
                               f"(\"*\" matches any text, help: like)",
                               "to mean identified users write !user.IsAnonymous(); or drop the comparison"))
    for e in (rule.filter.entries if rule.filter else ()):
        if e.text.endswith("_"):
            out.append(Finding("filter-without-id", rule.name,
                               f"filter entry {e.text} has a type and no id; Qlik documents Type_<id>, Type_* and "
                               f"Type*, not this; qsplay reads it as selecting "
                               f"{'nothing' if site.semantics.empty_id_filter == 'nothing' else 'every ' + e.type_exact}"
                               f" (semantics empty_id_filter={site.semantics.empty_id_filter}); Qlik may reject it",
                               f"write {e.text}* for every {e.type_exact}, or {e.text}<id> for one"))
        elif e.type_exact is not None and e.resource_id is None and not e.text.endswith(("*", "_")) \
                and e.type_exact not in ("transientobject", "fileextension", "fileextensionwhitelist",
                                         "servicecluster", "loadbalancingselectlist"):
            out.append(Finding("bare-type-filter", rule.name,
                               f"filter entry {e.text} names a type without _*: qsplay selects every "
                               f"{e.text} as Qlik's own rules do with bare types (TransientObject, FileExtension, "
                               f"ServiceCluster in the preinstalled rules), but the help's forms are {e.text}_* "
                               f"(that type only) and {e.text}* (with its objects)",
                               f"write {e.text}_* (or {e.text}* to include what belongs to it)"))
    return out


def _unknown_path(path: Path, known_props: set[str], known_attrs: set[str]) -> str | None:
    if path.root not in ("user", "resource"):
        return None  # reported as unknown-root
    segments = list(path.segments)
    if path.root == "user" and segments[:1] and segments[0].lower() == "environment":
        return None  # session attributes come with each request
    for seg in segments:
        low = seg.lower()
        if low.startswith("@"):
            if low[1:] not in known_props:
                return f"{path.dotted}: no custom property {seg[1:]} is defined or used in this site"
            continue
        builtins = USER_BUILTINS if path.root == "user" and seg is segments[0] else RESOURCE_BUILTINS | USER_BUILTINS
        if low not in builtins and low not in known_attrs:
            return f"{path.dotted}: {seg} is not a property qsplay knows for this kind of object"
    return None


def _grants(site: Site, engine: SecurityEngine, rule: SecurityRule) -> set[tuple]:
    """Every (user, resource, action, context) this rule alone grants in the site."""
    subjects = [*site.users, anonymous_user(site, "")]
    targets = [r for r in site.all_resources(ALL_KINDS) if rule.filter and rule.filter.matches(r.kind, r.id)]
    contexts = ("hub", "qmc") if rule.context == "both" else (rule.context,)
    out = set()
    for context in contexts:
        for user in subjects:
            solver = engine.solver(user, context)  # HasPrivilege answers, shared by this user's cells
            for target in targets:
                def has_privilege(t, a, trace, solver=solver):
                    return solver.answer((t.key, a), t), None
                ctx = EvalContext(user=user, resource=target, environment=Environment({}),
                                  semantics=site.semantics or Semantics(), has_privilege=has_privilege)
                try:
                    value, _ = evaluate(rule.parsed, ctx)
                except EvaluationFailure:
                    continue
                if value:
                    out.update((user.qualified, target.key, a, context) for a in rule.actions)
    return out


def _dynamic(site: Site, rules: list[SecurityRule]) -> list[Finding]:
    """What each rule grants in this site: on the audit's classes (qsplay.fast.compressed.RuleCells),
    or — where those cannot be shown exact — by the reference evaluator, cell by cell."""
    from ..fast.compressed import Uncompressible
    if all(r.category.lower() == "security" for r in site.security_rules):
        try:
            return _dynamic_on_classes(site, rules)
        except Uncompressible:
            pass
    engine = SecurityEngine(site)
    grants = {r.name: _grants(site, engine, r) for r in rules
              if not r.disabled and r.parse_error is None and r.parsed is not None}
    return _dynamic_by_cells(site, rules, grants)


def _matches_nothing(site: Site, rule: SecurityRule) -> Finding:
    selected = any(rule.filter.matches(r.kind, r.id) for r in site.all_resources(ALL_KINDS)) if rule.filter else False
    why = ("no existing resource matches its resource filter" if not selected else
           "its condition is false for every user (and anonymous visitor) on every resource it selects")
    return Finding("matches-nothing", rule.name, f"the rule grants nothing in this site: {why}",
                   "check the filter and the names in the condition against the site; the audit "
                   "(qsplay audit) shows who gets what")


def _anonymous_write(rule: SecurityRule, actions: list[str]) -> Finding:
    return Finding("anonymous-write", rule.name,
                   f"anonymous visitors get {', '.join(actions)} (more than read) through this rule",
                   "add !user.IsAnonymous() to the condition, or split read for anonymous users into "
                   "its own rule (Qlik: \"An anonymous user is not allowed to create content\")")


def _redundant(rule: SecurityRule) -> Finding:
    return Finding("redundant", rule.name, "every access this rule grants in this site is granted by other rules too",
                   "remove it, or keep it deliberately if the other rules may change")


def _dynamic_on_classes(site: Site, rules: list[SecurityRule]) -> list[Finding]:
    """The same findings as `_dynamic_by_cells`, from what each rule grants per resource class for all
    users at once; only owners' cells of rules that can see identity are evaluated one by one."""
    from ..fast.bitsets import members
    from ..fast.compressed import RuleCells
    subjects = [*site.users, anonymous_user(site, "")]
    anonymous = len(subjects) - 1
    cells = RuleCells(site, subjects, ALL_KINDS)

    def covered(rule, others: set, contexts) -> bool:
        for context in contexts:
            for rc, indices in cells.by_class(rule).items():
                mine = cells.ghost(rule, rc, context)
                here = [o for o in cells.rules_at(rc, context) if o is not rule and id(o) in others]
                here.sort(key=cells.reads_identity)  # owners' cells: rules answered by a bit first
                for action in rule.actions:
                    granting = [o for o in here if action in o.actions]
                    union = 0
                    for o in granting:
                        union |= cells.ghost(o, rc, context)
                    missing = mine & ~union
                    for ri in indices:
                        touched = cells.touched(ri)
                        if missing & ~touched:
                            return False
                        for ui in members(touched):
                            if cells.real(rule, rc, ri, ui, context) and \
                                    not any(cells.real(o, rc, ri, ui, context) for o in granting):
                                return False
        return True

    out = []
    enabled = [r for r in site.security_rules if not r.disabled and r.parsed is not None]
    redundant: set[str] = set()
    for rule in reversed(rules):  # the later of two overlapping rules is the one reported
        if rule.disabled or rule.parse_error is not None or rule.parsed is None:
            continue
        contexts = ("hub", "qmc") if rule.context == "both" else (rule.context,)
        if not any(cells.grants_to(rule, c) for c in contexts):
            out.append(_matches_nothing(site, rule))
            continue
        writes = [a for a in sorted(rule.actions) if a != "read"]
        if writes and any(cells.grants_to(rule, c, anonymous) for c in contexts):
            out.append(_anonymous_write(rule, writes))
        others = {id(o) for o in enabled if o is not rule and o.name not in redundant}
        if covered(rule, others, contexts):
            redundant.add(rule.name)
            out.append(_redundant(rule))
    return out


def _dynamic_by_cells(site: Site, rules: list[SecurityRule], grants: dict) -> list[Finding]:
    out = []
    engine = SecurityEngine(site)
    enabled = [r for r in site.security_rules if not r.disabled and r.parsed is not None]
    redundant: set[str] = set()
    for rule in reversed(rules):  # the later of two overlapping rules is the one reported
        if rule.disabled or rule.name not in grants:
            continue
        mine = grants[rule.name]
        if not mine:
            out.append(_matches_nothing(site, rule))
            continue
        anonymous_cells = {g for g in mine if g[0].startswith("NONE\\") and g[2] != "read"}
        if anonymous_cells:
            out.append(_anonymous_write(rule, sorted({g[2] for g in anonymous_cells})))
        others: set = set()
        for other in enabled:
            if other is rule or other.name in redundant:
                continue
            if other.name not in grants:
                grants[other.name] = _grants(site, engine, other)
            others |= grants[other.name]
        if mine <= others:
            redundant.add(rule.name)
            out.append(_redundant(rule))
    return out
