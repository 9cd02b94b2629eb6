"""QRS records <-> the scenario format.

Rules: `actions` is a bitmask; `ruleContext` 0 both, 1 hub, 2 QMC (QRS SystemRule; the condensed
/qrs/systemrule omits it); `category` Security, License or Sync. Licence rules are recognised by
their resource filter: `License.LoginAccessType_<id>` is documented (a DSC configuration and
Qlik-Cli); the other access-group prefixes are the QRS license entity names (UNCONFIRMED as filter
text, and reported when seen). Preinstalled rules (matched by seedId, else by name) become
overrides of the built-in rule with only what differs, so an edited or disabled default is honoured.
"""
from __future__ import annotations

from ..defaults import preinstalled_rule_specs
from ..model import stable_id
from ..rules.actions import (ACTION_BITS, ALL_ACTIONS_MASK, CONTEXT_TO_QRS, QRS_TO_CONTEXT, actions_from_mask,
                             mask_from_actions, sort_actions)
from ..rules.parser import parse
from ..rules.errors import ConditionError

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
LICENSE_FILTERS = {
    "login_access": "License.LoginAccessType",
    "professional": "License.ProfessionalAccessGroup",
    "analyzer": "License.AnalyzerAccessGroup",
    "analyzer_capacity": "License.AnalyzerTimeAccessGroup",
    "user_access": "License.UserAccessGroup",
}
CONTEXT_NAMES = {"bothqliksenseandqmc": "both", "qliksenseonly": "hub", "qmconly": "qmc", "both": "both",
                 "hub": "hub", "qmc": "qmc"}
AUTH_METHODS = {0: "ticket", 1: "header", 2: "header", 3: "saml", 4: "jwt", 5: "oidc"}
ANONYMOUS_MODES = {0: "none", 1: "allow", 2: "always"}


def rule_context(record: dict, report: list[str], where: str) -> str:
    value = record.get("ruleContext")
    if value is None:
        report.append(f"{where}: no ruleContext (condensed /qrs/systemrule export?): read as both hub and QMC")
        return "both"
    if isinstance(value, int) and value in QRS_TO_CONTEXT:
        return QRS_TO_CONTEXT[value]
    if isinstance(value, str) and value.replace(" ", "").lower() in CONTEXT_NAMES:
        return CONTEXT_NAMES[value.replace(" ", "").lower()]
    raise ValueError(f"{where}: ruleContext {value!r} is not 0, 1, 2 or a context name")


def rule_actions(record: dict, where: str) -> list[str]:
    value = record.get("actions")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: actions should be a QRS bitmask (a whole number), not {value!r}")
    if value & ALL_ACTIONS_MASK == ALL_ACTIONS_MASK:
        return ["all"]
    return sort_actions(actions_from_mask(value))


def license_type(resource_filter: str) -> str | None:
    head = resource_filter.strip().split("_", 1)[0]
    for kind, prefix in LICENSE_FILTERS.items():
        if head.lower() == prefix.lower():
            return kind
    return None


def builtin_index(release: str | None = None) -> tuple[dict, dict]:
    specs = preinstalled_rule_specs(release)
    return ({s["seed_id"]: s for s in specs if s.get("seed_id")},  # rules added since 2017: seedId UNCONFIRMED
            {s["name"].casefold(): s for s in specs})


def rule_entries(records: list[dict], report: list[str], release: str | None = None
                 ) -> tuple[list[dict], list[dict], list[tuple[dict, str]]]:
    """(security rule entries, licence rule entries, rules left out with why); preinstalled rules are
    compared with those of the site's release. Every entry keeps what export-qrs needs to give the
    record back as it was: id, the QRS name, the bitmask, comment, type and seedId (see rule_to_qrs)."""
    by_seed, by_name = builtin_index(release)
    security, licences, left_out = [], [], []
    names: dict[str, int] = {key: 1 for key in by_name}  # a custom rule named like a preinstalled one stays apart
    overridden: set[str] = set()
    for i, rec in enumerate(records):
        name = str(rec.get("name") or f"rule {i + 1}")
        where = f"{rec.get('_source', '')}: rule {name!r}".lstrip(": ")
        category = str(rec.get("category", "Security")).lower()
        if category == "sync":
            report.append(f"{where}: a Sync (load balancing) rule, not an access rule: skipped")
            continue
        condition = _line_ends(rec, "rule", report, where)
        if rec.get("comment"):
            rec = {**rec, "comment": _line_ends(rec, "comment", report, where)}
        try:
            parse(condition)
        except ConditionError as err:
            left_out.append((rec, f"its condition does not parse (line {err.line}, col {err.col}: {err.message})"))
            report.append(f"{where}: condition does not parse ({err.message}); kept as a comment in the scenario")
            continue
        resource_filter = str(rec.get("resourceFilter") or "")
        if category == "license":
            kind = license_type(resource_filter)
            if kind is None:
                left_out.append((rec, f"licence rule with filter {resource_filter!r}: its access type is unknown"))
                report.append(f"{where}: licence rule with unknown filter {resource_filter!r}: kept as a comment")
                continue
            entry = {"name": _unique(name, names, report), "type": kind}
            _identity(entry, rec, name)
            entry["resource_filter"] = resource_filter
            if condition:
                entry["condition"] = condition
            if rec.get("disabled"):
                entry["disabled"] = True
            if rec.get("comment"):
                entry["description"] = str(rec["comment"])
            try:
                mask = rule_mask(rec, where)
                context = rule_context(rec, report, where)
            except ValueError as err:
                left_out.append((rec, str(err).removeprefix(where + ": ")))
                report.append(f"{err}: kept as a comment in the scenario")
                continue
            if mask != 1:
                entry["actions"] = mask
            if context != "both":
                entry["context"] = context
            if str(rec.get("seedId") or ZERO_GUID) != ZERO_GUID:
                entry["seed_id"] = str(rec["seedId"])
            if rec.get("type") and str(rec["type"]) != "Custom":
                entry["qrs_type"] = str(rec["type"])
            licences.append(entry)
            continue
        try:
            actions = rule_actions(rec, where)
            context = rule_context(rec, report, where)
        except ValueError as err:  # a record with fields of the wrong kind: left out, said why
            left_out.append((rec, str(err).removeprefix(where + ": ")))
            report.append(f"{err}: kept as a comment in the scenario")
            continue
        seed = str(rec.get("seedId") or ZERO_GUID)
        builtin = by_seed.get(seed) if seed != ZERO_GUID else None
        if builtin is None and str(rec.get("type", "")).lower() in ("default", "readonly"):
            builtin = by_name.get(name.casefold())
        if builtin is not None and builtin["name"].casefold() in overridden:
            report.append(f"{where}: a second rule with the seedId of the preinstalled rule {builtin['name']!r}: "
                          f"imported as a rule of its own")
            builtin = None
        mask = rule_mask(rec, where)
        entry: dict = {}
        if builtin is not None:
            overridden.add(builtin["name"].casefold())
            changed = _differences(builtin, resource_filter, actions, condition, context, bool(rec.get("disabled")))
            if "actions" in changed and export_mask(actions_from_mask(mask)) != mask:
                changed["actions"] = mask
            entry = {"name": builtin["name"]}
            _identity(entry, rec, name, builtin["name"], builtin.get("seed_id") or stable_id("rule", builtin["name"]))
            entry.update(changed)
            if builtin["name"] != name:
                report.append(f"{where}: matches the preinstalled rule {builtin['name']!r} by seedId; imported as "
                              f"an override of it")
            if str(rec.get("comment") or "") != builtin.get("description", ""):
                entry["description"] = str(rec.get("comment") or "")
            if seed != (builtin.get("seed_id") or ZERO_GUID):
                entry["seed_id"] = seed
            edits = any(k not in ("name", "id", "qrs_name", "seed_id") for k in entry)
            qrs_type = str(rec.get("type") or "")
            if qrs_type and (qrs_type != builtin.get("type", "Default") or (edits and qrs_type != "Custom")):
                entry["type"] = qrs_type  # (an edited rule is exported as Custom unless its type is given)
            if len(entry) > 1:
                security.append(entry)  # else: the built-in rule as shipped, under its own id
            continue
        entry = {"name": _unique(name, names, report)}
        _identity(entry, rec, name)
        entry.update({"resource_filter": resource_filter,
                      "actions": actions if export_mask(actions_from_mask(mask)) == mask else mask})
        if condition:
            entry["condition"] = condition
        if context != "both":
            entry["context"] = context
        if rec.get("disabled"):
            entry["disabled"] = True
        if rec.get("comment"):
            entry["description"] = str(rec["comment"])
        if rec.get("type") and str(rec["type"]).lower() != "custom":
            entry["type"] = str(rec["type"])
        if seed != ZERO_GUID:
            entry["seed_id"] = seed
        security.append(entry)
    return security, licences, left_out


def _line_ends(rec: dict, key: str, report: list[str], where: str) -> str:
    """Windows line ends (CR LF) in a condition or comment become LF: a scenario holds no U+000D
    (qsplay/safe_text.py), and the rule means the same; a lone CR is left for the safety check."""
    text = str(rec.get(key) or "")
    if "\r\n" in text:
        report.append(f"{where}: its {key} has Windows line ends (CR LF); kept with LF line ends")
        text = text.replace("\r\n", "\n")
    return text


def rule_mask(record: dict, where: str) -> int:
    value = record.get("actions", 1 if str(record.get("category", "")).lower() == "license" else None)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: actions should be a QRS bitmask (a whole number), not {value!r}")
    return value


def _identity(entry: dict, rec: dict, name: str, scenario_name: str | None = None, own_id: str | None = None) -> None:
    """The QRS id, and the QRS name when the scenario's differs (a duplicate renamed, a renamed default)."""
    if rec.get("id") and str(rec["id"]) != own_id:
        entry["id"] = str(rec["id"])
    if (scenario_name or entry["name"]) != name:
        entry["qrs_name"] = name


def _differences(builtin: dict, resource_filter: str, actions: list[str], condition: str, context: str,
                 disabled: bool) -> dict:
    out = {}
    if resource_filter != builtin["resource_filter"]:
        out["resource_filter"] = resource_filter
    if _mask(actions) != _mask(builtin["actions"]):
        out["actions"] = actions
    if condition != builtin["condition"]:
        out["condition"] = condition
    if context != builtin["context"]:
        out["context"] = context
    if disabled:
        out["disabled"] = True
    return out


def export_mask(actions) -> int:
    """The bitmask export-qrs writes for a set of actions: every action is QRS's all-bits value."""
    return ALL_ACTIONS_MASK if set(actions) == set(ACTION_BITS) else mask_from_actions(actions)


def _mask(actions: list[str]) -> int:
    return ALL_ACTIONS_MASK if actions == ["all"] else mask_from_actions(actions)


def _unique(name: str, names: dict[str, int], report: list[str]) -> str:
    key = name.casefold()
    if key not in names:
        names[key] = 1
        return name
    while True:
        names[key] += 1
        renamed = f"{name} ({names[key]})"
        if renamed.casefold() not in names:
            break
    names[renamed.casefold()] = 1
    report.append(f"rule {name!r} appears {names[key]} times (QRS identifies rules by id): imported as {renamed!r}, "
                  f"with qrs_name: {name!r} so export-qrs gives back the original name")
    return renamed


# the fields export-qrs writes, and the round-trip tests compare
RULE_FIELDS = ("id", "name", "category", "type", "rule", "resourceFilter", "actions", "ruleContext", "disabled",
               "comment", "seedId")


def rule_to_qrs(rule, category: str = "Security") -> dict:
    """A scenario rule as a /qrs/systemrule/full record; an imported rule comes back as QRS held it."""
    if category == "License":
        group_filter = rule.resource_filter or f"{LICENSE_FILTERS[rule.type]}_{rule.id}"
        return {"name": rule.qrs_name or rule.name, "rule": rule.condition, "resourceFilter": group_filter,
                "actions": rule.mask, "ruleContext": CONTEXT_TO_QRS[rule.context], "disabled": rule.disabled,
                "category": "License", "type": rule.qrs_type, "seedId": rule.seed_id or ZERO_GUID,
                "comment": rule.description, "id": rule.id}
    if rule.mask is not None and actions_from_mask(rule.mask) == rule.actions:
        mask = rule.mask
    else:
        mask = export_mask(rule.actions)
    rtype = rule.type if rule.type_given or not rule.edited else "Custom"
    return {"name": rule.qrs_name or rule.name, "rule": rule.condition, "resourceFilter": rule.resource_filter,
            "actions": mask, "ruleContext": CONTEXT_TO_QRS[rule.context], "disabled": rule.disabled,
            "category": "Security", "type": rtype, "seedId": rule.seed_id or ZERO_GUID,
            "comment": rule.description, "id": rule.id}
