"""The QRS audit API for the stand-in QRS (tests/qrs_standin.py), answering from a table the test
writes: which rules grant which user what on which resource — Qlik's answer, as the test derives it
from Qlik's documented rule semantics (or plants to differ from qsplay).

    audit = AuditTable(users, resources, rules)     # QRS records (id, userId/userDirectory; id, name)
    audit.grant("CORP\\ann", stream_id, "Sales stream")
    qrs.handle("POST", "systemrule/security/audit", audit.handler)
    audit.answer(body)                              # the same, without HTTP (saved-response tests)

The answer has the shape of POST /qrs/systemrule/security/audit (reference/qrs-live-site.md §2.2
row 14; Informatiqal qlik-repo-api IAudit): users, resources and rules keyed by id, and one
ruleApplication entry per (user, resource, granting rule) with allowed: true.
"""
from __future__ import annotations

import re


class AuditTable:
    def __init__(self, users: list[dict], resources: list[dict], rules: list[dict]):
        self.users = {u["id"]: u for u in users}
        self.resources = {r["id"]: r for r in resources}
        self.rules = {r["id"]: r for r in rules}
        self.grants: set[tuple[str, str, str]] = set()  # (user id, resource id, rule id)
        self.bodies: list[dict] = []  # every request body received

    def _user_id(self, qualified: str) -> str:
        directory, _, uid = qualified.partition("\\")
        return next(k for k, u in self.users.items()
                    if u["userDirectory"].casefold() == directory.casefold() and u["userId"].casefold() == uid.casefold())

    def _rule_id(self, name: str) -> str:
        return next(k for k, r in self.rules.items() if r["name"] == name)

    def grant(self, user: str, resource_id: str, rule: str) -> None:
        self.grants.add((self._user_id(user), resource_id, self._rule_id(rule)))

    def revoke(self, user: str, resource_id: str, rule: str) -> None:
        self.grants.discard((self._user_id(user), resource_id, self._rule_id(rule)))

    def answer(self, body: dict) -> dict:
        self.bodies.append(body)
        users = [k for k, u in self.users.items() if _holds(u, body.get("userFilter") or "")]
        resources = [k for k, r in self.resources.items()
                     if r.get("schemaPath", "") == body.get("resourceType") and _holds(r, body.get("resourceFilter") or "")]
        applications = [{"userID": u, "resourceID": r, "ruleID": rule, "allowed": True, "errorAt": 0,
                         "errorMessage": "", "evaluationState": 1, "schemaPath": "SystemRuleApplicationItem"}
                        for (u, r, rule) in sorted(self.grants) if u in users and r in resources]
        used = {a["ruleID"] for a in applications}
        return {"schemaPath": "AuditMatrix",
                "users": {u: {k: self.users[u][k] for k in ("userId", "userDirectory", "name")} for u in users},
                "resources": {r: {"id": r, "name": self.resources[r]["name"]} for r in resources},
                "rules": {k: {"name": self.rules[k]["name"], "actions": self.rules[k]["actions"],
                              "disabled": False} for k in used},
                "ruleApplication": applications}

    def handler(self, request) -> tuple[int, dict]:
        return 200, self.answer(request.body or {})


_TERM = re.compile(r"\s*(\w+)\s+eq\s+('(?:[^']|'')*'|[0-9a-fA-F-]+)\s*")


def _holds(record: dict, text: str) -> bool:
    """A QRS filter of `prop eq value` terms joined by `and` / `or` (and binds tighter)."""
    if not text.strip():
        return True
    for alternative in re.split(r"\s+or\s+", text):
        ok = True
        for term in re.split(r"\s+and\s+", alternative):
            m = _TERM.fullmatch(term)
            if m is None:
                raise ValueError(f"stand-in audit: cannot read the filter term {term!r}")
            value = m.group(2)
            value = value[1:-1].replace("''", "'") if value.startswith("'") else value
            ok = ok and str(record.get(m.group(1), "")).casefold() == value.casefold()
        if ok:
            return True
    return False
