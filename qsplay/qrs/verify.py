"""Check qsplay against Qlik: the QRS audit API's answer for sampled user x resource cells, compared
with qsplay's, cell by cell.

The audit API (reference/qrs-live-site.md §2.2 row 14; Informatiqal qlik-repo-api `IAudit`,
`IAuditParameters`): `POST /qrs/systemrule/security/audit` with {resourceType, resourceFilter,
userFilter, environmentAttributes, includeNonGrantingRules, ...} answers {users, resources, rules,
ruleApplication: [{userID, resourceID, ruleID, allowed, errorAt, errorMessage, evaluationState}]}.
`users`, `resources` and `rules` are read as objects keyed by id or as lists of records with `id`.
A cell's Qlik answer: an action is granted when an entry with `allowed: true` names a rule whose
`actions` bitmask has the action's bit. The audit API evaluates security rules only — no proxy, no
licence — so qsplay's answer is its security phase alone. `POST /qrs/systemrule/license/audit` answers
the same way for licence rules against access groups; qsplay's answer there is whether a licence
rule pointing at that group (its `License.<Type>AccessGroup_<id>` filter) matches the user.

Sampling (`--sample N`, `--seed S`): N user x resource pairs, drawn with Python's seeded `random`:
round-robin over the resource types the site has (so a type with few resources is covered even
when apps outnumber streams a hundred to one), a random resource of that type, a random user; no
pair twice. Each pair compares every action. The same seed on the same site gives the same sample.

Saved responses: `DIR/audit/<n>.json` = {"endpoint", "request", "asked": {"user", "resources"},
"response"}; `verify DIR` with no URL compares those, so a pulled folder can be checked offline and
a live run leaves a folder that can be re-checked (and attached to a report).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..model import KIND_TO_TYPE, Site, UnknownReference
from ..rules.actions import ACTION_BITS, ACTIONS

SECURITY_AUDIT = "/qrs/systemrule/security/audit"
LICENSE_AUDIT = "/qrs/systemrule/license/audit"
AUDIT_FOLDER = "audit"
VERDICTS = ("agree", "disagree", "not_comparable")
# the contexts a rule can be limited to; which one the audit API applies is not documented (UNCONFIRMED)
CONTEXT_CHOICES = ("either", "hub", "qmc")
LICENSE_GROUP_TYPES = {"License.ProfessionalAccessGroup": "professional", "License.AnalyzerAccessGroup": "analyzer",
                       "License.UserAccessGroup": "user_access", "License.LoginAccessType": "login_access"}


@dataclass
class Cell:
    audit: str  # security | license
    user: str  # DIRECTORY\id
    resource: str  # qsplay reference (app:<id>, ...) or the QRS id when qsplay does not have it
    resource_type: str
    action: str  # a security action; "use" for a licence group
    qlik: bool | None
    qsplay: bool | None
    verdict: str
    why: str = ""
    qlik_rules: list[str] = field(default_factory=list)
    qsplay_rules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"audit": self.audit, "user": self.user, "resource": self.resource,
                "resource_type": self.resource_type, "action": self.action, "qlik": self.qlik,
                "qsplay": self.qsplay, "verdict": self.verdict, "why": self.why, "qlik_rules": self.qlik_rules,
                "qsplay_rules": self.qsplay_rules}


@dataclass
class Verification:
    context: str
    cells: list[Cell]
    files: list[str] = field(default_factory=list)  # the saved responses compared
    saved: list[str] = field(default_factory=list)  # check files written for disagreements

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.cells if c.verdict == v) for v in VERDICTS}

    def to_dict(self) -> dict:
        return {"context": self.context, "counts": self.counts(), "files": self.files, "check_files": self.saved,
                "cells": [c.to_dict() for c in self.cells if c.verdict != "agree"]}

    def to_text(self) -> str:
        counts = self.counts()
        total = len(self.cells)
        lines = [f"compared {total} cells (user x resource x action) from {len(self.files)} audit response(s); "
                 f"rule context: {self.context}",
                 f"  agree           {counts['agree']}",
                 f"  disagree        {counts['disagree']}",
                 f"  not comparable  {counts['not_comparable']}"]
        wrong = [c for c in self.cells if c.verdict == "disagree"]
        if wrong:
            lines += ["", "disagreements (Qlik | qsplay):"]
            for c in wrong:
                lines.append(f"  {c.user}  {c.action}  {c.resource}: Qlik {'allows' if c.qlik else 'denies'} "
                             f"({', '.join(c.qlik_rules) or 'no rule'}) | qsplay {'allows' if c.qsplay else 'denies'} "
                             f"({', '.join(c.qsplay_rules) or 'no rule'})")
        odd = {}
        for c in self.cells:
            if c.verdict == "not_comparable":
                odd[c.why] = odd.get(c.why, 0) + 1
        if odd:
            lines += ["", "not comparable:"]
            lines += [f"  {n} x {why}" for why, n in sorted(odd.items(), key=lambda kv: -kv[1])[:10]]
        if self.saved:
            lines += ["", f"{len(self.saved)} check file(s), one per disagreement (run them with qsplay check):"]
            lines += [f"  {p}" for p in self.saved]
        return "\n".join(lines) + "\n"


# -- sampling and asking ------------------------------------------------------------------------------

def sample_pairs(site: Site, n: int, seed: int) -> list[tuple[str, object]]:
    """N (user, resource) pairs: round-robin over resource types, a random pair of that type; no pair
    twice. Users as resources are not sampled (qsplay does not keep users' QRS ids)."""
    rng = random.Random(seed)
    users = sorted(site.users, key=lambda u: u.qualified.casefold())
    by_type: dict[str, list] = {}
    for entity in site.all_resources():
        if entity.kind != "User":
            by_type.setdefault(entity.kind, []).append(entity)
    if not users:
        return []
    pools = {}
    for kind, resources in sorted(by_type.items()):
        if len(users) * len(resources) <= max(10 * n, 1000):  # small: every pair, shuffled
            pairs = [(u, r) for u in users for r in resources]
            rng.shuffle(pairs)
            pools[kind] = iter(pairs)
        else:  # large: random draws (a repeat is drawn again)
            pools[kind] = _draws(rng, users, resources)
    chosen, seen = [], set()
    while pools and len(chosen) < n:
        for kind in list(pools):
            if len(chosen) >= n:
                break
            pair = next(pools[kind], None)
            if pair is None:
                del pools[kind]
                continue
            key = (pair[0].key, pair[1].key)
            if key not in seen:
                seen.add(key)
                chosen.append((pair[0].qualified, pair[1]))
    return chosen


def _draws(rng, users, resources):
    for _ in range(100 * len(resources) + 1000):
        yield rng.choice(users), rng.choice(resources)


def audit_requests(pairs: list[tuple[str, object]]) -> list[dict]:
    """One security audit request per (user, resource type): the sampled resources by id."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for user, resource in pairs:
        grouped.setdefault((user, resource.kind), []).append(resource.id)
    out = []
    for (user, kind), ids in grouped.items():
        directory, _, uid = user.partition("\\")
        body = {"resourceType": kind, "resourceFilter": " or ".join(f"id eq {i}" for i in ids),
                "userFilter": f"userDirectory eq '{_quote(directory)}' and userId eq '{_quote(uid)}'",
                "environmentAttributes": "", "includeNonGrantingRules": False,
                "userSkip": 0, "userTake": 1, "resourceSkip": 0, "resourceTake": len(ids)}
        out.append({"endpoint": SECURITY_AUDIT, "request": body, "asked": {"user": user, "resources": ids}})
    return out


def licence_requests(site: Site, pairs: list[tuple[str, object]], groups_max: int = 10) -> list[dict]:
    """One licence audit request per sampled user and access group a licence rule points at."""
    groups: dict[str, str] = {}
    for rule in site.license_rules:
        head = rule.resource_filter.partition("_")[0]
        if rule.access_group and head in LICENSE_GROUP_TYPES and len(groups) < groups_max:
            groups.setdefault(rule.access_group.lower(), head)
    out = []
    for user in dict.fromkeys(u for u, _ in pairs):
        directory, _, uid = user.partition("\\")
        for group, kind in groups.items():
            body = {"resourceType": kind, "resourceFilter": f"id eq {group}",
                    "userFilter": f"userDirectory eq '{_quote(directory)}' and userId eq '{_quote(uid)}'",
                    "environmentAttributes": "", "includeNonGrantingRules": False}
            out.append({"endpoint": LICENSE_AUDIT, "request": body, "asked": {"user": user, "resources": [group]}})
    return out


def ask(requests: list[dict], post: Callable[[str, dict], dict], folder: Path, write) -> list[Path]:
    """Send each request with `post(endpoint, body)` and save request and response in folder/audit."""
    target = folder / AUDIT_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    start = len(list(target.glob("*.json")))
    paths = []
    for i, item in enumerate(requests, start + 1):
        response = post(item["endpoint"], item["request"])
        path = target / f"{i:04d}.json"
        write(path, json.dumps({**item, "response": response}, indent=1, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def read_saved(folder: Path, read_text) -> list[tuple[str, dict]]:
    """(file name, saved exchange) for every DIR/audit/*.json; a file that is not one is an error."""
    out = []
    for path in sorted((folder / AUDIT_FOLDER).glob("*.json")):
        try:
            data = json.loads(read_text(path))
        except ValueError as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("response"), dict) \
                or data.get("endpoint") not in (SECURITY_AUDIT, LICENSE_AUDIT):
            raise ValueError(f"{path}: not a saved audit exchange ({{\"endpoint\": \"{SECURITY_AUDIT}\" or "
                             f"\"{LICENSE_AUDIT}\", \"request\", \"asked\", \"response\"}})")
        out.append((path.name, data))
    return out


# -- comparing ----------------------------------------------------------------------------------------

def compare(site: Site, saved: list[tuple[str, dict]], context: str = "either") -> Verification:
    from ..engine.security import SecurityEngine
    from ..engine.licensing import Licensing
    engine = SecurityEngine(site)
    licensing = Licensing(site)
    # rules keep their QRS ids on import: an answer naming a rule it does not list is read from the site
    site_rules = {r.id.lower(): {"name": r.qrs_name or r.name, "actions": sum(ACTION_BITS.get(a, 0) for a in r.actions)}
                  for r in site.security_rules if r.id}
    cells: list[Cell] = []
    for name, item in saved:
        response = item["response"]
        users = _by_id(response.get("users"))
        resources = _by_id(response.get("resources"))
        rules = _by_id(response.get("rules"))
        granted: dict[tuple[str, str], dict] = {}
        for app in response.get("ruleApplication") or []:
            if not isinstance(app, dict):
                continue
            key = (str(app.get("userID", "")).lower(), str(app.get("resourceID", "")).lower())
            cell = granted.setdefault(key, {"mask": 0, "rules": [], "errors": [], "unknown": []})
            rule_id = str(app.get("ruleID", "")).lower()
            rule = rules.get(rule_id) or site_rules.get(rule_id)
            if rule is None:  # neither in the answer nor pulled: its actions are unknown, not "none"
                if app.get("allowed") or app.get("errorMessage"):
                    cell["unknown"].append(str(app.get("ruleID")))
                continue
            if app.get("errorMessage"):
                cell["errors"].append((rule, str(app["errorMessage"])))
            elif app.get("allowed"):
                cell["mask"] |= int(rule.get("actions") or 0)
                cell["rules"].append(str(rule.get("name") or app.get("ruleID")))
        pairs = _pairs(item, users, resources)
        license_audit = item["endpoint"] == LICENSE_AUDIT
        for user_key, user_name, resource_id, resource_type in pairs:
            answer = granted.get((user_key, resource_id.lower()), {"mask": 0, "rules": [], "errors": [], "unknown": []})
            if license_audit:
                cells.append(_license_cell(site, licensing, user_name, resource_id, resource_type, answer))
            else:
                cells.extend(_security_cells(site, engine, user_name, resource_id, resource_type, answer, context))
    return Verification(context, cells, [n for n, _ in saved])


def _security_cells(site, engine, user_name, resource_id, resource_type, answer, context) -> list[Cell]:
    def all_actions(verdict, why, qsplay=None):
        return [Cell("security", user_name, resource_id, resource_type, a, bool(answer["mask"] & ACTION_BITS[a]),
                     qsplay, verdict, why) for a in ACTIONS]
    try:
        user = site.find_user(user_name)
    except UnknownReference:
        return all_actions("not_comparable", "the user is not in the pulled site")
    kind = _kind_of(resource_type)
    if kind is None:
        return all_actions("not_comparable", f"qsplay does not model resources of type {resource_type}")
    try:
        resource = site.find_resource(f"{kind}:{resource_id}")
    except UnknownReference:
        return all_actions("not_comparable", f"the {resource_type} is not in the pulled site")
    ref = site.ref_of(resource)
    errored = {}
    for rule, message in answer["errors"]:
        for a in ACTIONS:
            if int(rule.get("actions") or 0) & ACTION_BITS[a]:
                errored.setdefault(a, f"Qlik could not evaluate rule {rule.get('name')!r}: {message}")
    out = []
    contexts = ("hub", "qmc") if context == "either" else (context,)
    for action in ACTIONS:
        qlik = bool(answer["mask"] & ACTION_BITS[action])
        ours, rules = False, []
        for ctx in contexts:
            result = engine.evaluate(user, resource, action, ctx, trace=False, all_granting=True)
            if result.allowed:
                ours = True
                rules += [r for r in result.granting_rules if r not in rules]
        if answer.get("unknown") and not qlik:
            out.append(Cell("security", user.qualified, ref, resource_type, action, None, ours, "not_comparable",
                            f"Qlik's answer names rule(s) {', '.join(answer['unknown'])} that neither the answer "
                            f"nor the pulled site holds: which actions they grant is unknown", [], rules))
            continue
        if action in errored and not qlik:
            out.append(Cell("security", user.qualified, ref, resource_type, action, None, ours, "not_comparable",
                            errored[action], [], rules))
            continue
        verdict = "agree" if qlik == ours else "disagree"
        out.append(Cell("security", user.qualified, ref, resource_type, action, qlik, ours, verdict, "",
                        list(answer["rules"]) if qlik else [], rules))
    return out


def _license_cell(site, licensing, user_name, group_id, group_type, answer) -> Cell:
    from ..engine.decision import Identity
    from ..engine.request import make_request
    def cell(verdict, why, qsplay=None, rules=()):
        return Cell("license", user_name, group_id, group_type, "use", bool(answer["rules"]), qsplay, verdict, why,
                    list(answer["rules"]), list(rules))
    access = LICENSE_GROUP_TYPES.get(group_type)
    if access is None:
        return cell("not_comparable", f"qsplay does not model licence resources of type {group_type}")
    try:
        user = site.find_user(user_name)
    except UnknownReference:
        return cell("not_comparable", "the user is not in the pulled site")
    pointing = [r for r in site.license_rules if r.type == access and r.access_group.lower() == group_id.lower()]
    if not pointing:
        return cell("not_comparable", f"no licence rule in the pulled site points at {group_type}_{group_id}")
    identity = Identity(user, False, "user")
    asked = make_request(f"user:{user.qualified}", "read", user.qualified)  # licence rules see the user alone
    matched = [r.name for r in licensing.matching_rules(identity, asked, access) if r in pointing]
    ours = bool(matched)
    return cell("agree" if ours == bool(answer["rules"]) else "disagree", "", ours, matched)


def _pairs(item, users: dict, resources: dict) -> list[tuple[str, str, str, str]]:
    """(QRS user id, DIRECTORY\\id, resource id, resource type) for every cell the exchange answers."""
    asked = item.get("asked") if isinstance(item.get("asked"), dict) else None
    rtype = str((item.get("request") or {}).get("resourceType") or "")
    if asked and asked.get("user") and isinstance(asked.get("resources"), list):
        wanted = str(asked["user"]).casefold()
        ids = [k for k, u in users.items() if _qualified(u).casefold() == wanted] or [""]
        return [(ids[0], str(asked["user"]), str(r), rtype) for r in asked["resources"]]
    return [(uid, _qualified(u), rid, rtype or str(r.get("schemaPath") or ""))
            for uid, u in users.items() for rid, r in resources.items()]


def _by_id(value) -> dict[str, dict]:
    if isinstance(value, dict):
        return {str(k).lower(): (v if isinstance(v, dict) else {}) for k, v in value.items()}
    if isinstance(value, list):
        return {str(v.get("id")).lower(): v for v in value if isinstance(v, dict) and v.get("id")}
    return {}


def _qualified(user: dict) -> str:
    return f"{user.get('userDirectory') or ''}\\{user.get('userId') or ''}"


def _kind_of(resource_type: str) -> str | None:
    wanted = resource_type.casefold()
    return next((k for k, t in KIND_TO_TYPE.items() if t.casefold() == wanted and k != "user"), None)


def _quote(text: str) -> str:
    return text.replace("'", "''")


# -- a check file per disagreement --------------------------------------------------------------------

def check_document(document, site: Site, cell: Cell, context: str):
    """The imported site with one check: what Qlik answered, which `qsplay check` then shows qsplay
    not agreeing with. The audit API answers for rules alone, so the licence is set so that it does
    not stand in the way (security cells) or only the audited group's rules are left (licence cells);
    the description says so."""
    from ..scenario.document import clone, entry
    doc = clone(document)
    qlik = "allows" if cell.qlik else "denies"
    ours = "allows" if cell.qsplay else "denies"
    if cell.audit == "security":
        ctx = context if context != "either" else "hub"
        if context == "either" and cell.qsplay and not cell.qlik:
            engine_ctx = _granting_context(site, cell)
            ctx = engine_ctx or "hub"
        doc["license"] = entry({"key": "signed", "professional": 1})
        doc.pop("license_rules", None)
        for item in doc.get("users") or []:
            item.pop("access", None)
            if f"{item.get('directory')}\\{item.get('id')}".casefold() == cell.user.casefold():
                item["access"] = ["professional"]
                for flag in ("inactive", "blacklisted", "removed_externally"):
                    item.pop(flag, None)
        check = {"name": f"Qlik's security audit {qlik} {cell.action} on {cell.resource} to {cell.user}",
                 "request": entry({"user": cell.user, "resource": cell.resource, "action": cell.action,
                                   "context": ctx}, flow=True),
                 "expect": "allow" if cell.qlik else "deny"}
        if not cell.qlik:
            check["denied_by"] = "security"
        why = (f"The QRS security audit ({SECURITY_AUDIT}) {qlik} it (rules: {', '.join(cell.qlik_rules) or 'none'}); "
               f"qsplay {ours} it (rules: {', '.join(cell.qsplay_rules) or 'none'}). The audit API evaluates "
               f"security rules only, so here the user holds a professional allocation and is active: only "
               f"the security rules decide.")
    else:
        access = LICENSE_GROUP_TYPES[cell.resource_type]
        rules = [r for r in site.license_rules if r.type == access and r.access_group.lower() == cell.resource.lower()]
        keep = {r.name for r in rules}
        doc["license_rules"] = [item for item in doc.get("license_rules") or [] if item.get("name") in keep]
        pool = {"key": "signed", access if access in ("professional", "analyzer") else "tokens": max(1, len(site.users))}
        for item in doc["license_rules"]:
            item.pop("passes_used", None)
            if access == "login_access":
                item["tokens"] = max(1, int(item.get("tokens") or 0))
        if access == "login_access":
            pool["tokens"] = sum(int(i["tokens"]) for i in doc["license_rules"])
        doc["license"] = entry(pool)
        for item in doc.get("users") or []:
            item.pop("access", None)
        check = {"name": f"Qlik's licence audit: {cell.user} {'is' if cell.qlik else 'is not'} in "
                         f"{cell.resource_type}_{cell.resource}",
                 "request": entry({"user": cell.user, "resource": "stream:Everyone", "action": "read",
                                   "context": "hub"}, flow=True),
                 "expect": "allow" if cell.qlik else "deny"}
        if cell.qlik:
            check["access_type"] = access
        else:
            check["denied_by"] = "license"
        why = (f"The QRS licence audit ({LICENSE_AUDIT}) says the licence rules of {cell.resource_type}_"
               f"{cell.resource} {'match' if cell.qlik else 'do not match'} {cell.user} "
               f"({', '.join(cell.qlik_rules) or 'no rule'}); qsplay says they "
               f"{'match' if cell.qsplay else 'do not'} ({', '.join(cell.qsplay_rules) or 'no rule'}). Only that "
               f"group's licence rules are kept and its pool has room, so only their conditions decide.")
    doc["name"] = f"qsplay verify: {cell.user} / {cell.action} / {cell.resource}"
    doc["description"] = why + " Made by qsplay verify; attach it to a bug report."
    doc["checks"] = [entry(check)]
    return doc


def _granting_context(site: Site, cell: Cell) -> str | None:
    from ..engine.security import SecurityEngine
    engine = SecurityEngine(site)
    user, resource = site.find_user(cell.user), site.find_resource(cell.resource)
    for ctx in ("hub", "qmc"):
        if engine.evaluate(user, resource, cell.action, ctx, trace=False).allowed:
            return ctx
    return None
