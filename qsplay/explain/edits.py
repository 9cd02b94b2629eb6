"""Edits to a site, in two forms that must agree: as changes to its scenario document (the same
mechanism the shell's what-if commands use, so why-not suggestions and previews can be applied,
re-run and saved with the user's comments kept), and as changes to the loaded model, made in place
and undone, so that why-not can try many candidates without dumping and re-reading the file
(`trying`). tests/test_explain.py checks that both forms give the same decisions and audits."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..model import LicenseRule, SecurityRule, Site, VirtualProxy, stable_id
from ..rules import ConditionError, FilterError, parse, parse_filter
from ..rules.actions import normalize_action
from ..scenario import site_from_document
from ..scenario.document import clone, entry, find_named, find_user, flow_list, rule_entry, section, set_value

Undo = Callable[[], None]


@dataclass
class Edit:
    kind: str  # the contract's why-not kinds: add_group, enable_rule, ...
    text: str  # what a person reads: "add CORP\bob to group Finance"
    apply: Callable[[object], None] = field(repr=False)  # changes a scenario document in place
    # the same change made on a loaded site in place; returns what undoes it. None: only the document
    # form exists, and `trying` falls back to re-reading the edited document
    model: Callable[[Site], Undo] | None = field(default=None, repr=False)
    detail: str = ""  # what the change writes, shown before it is applied (a new rule's filter, actions, condition)


def apply_edits(site: Site, edits: list[Edit]) -> Site:
    """A new Site with the edits applied to a copy of its document (the original is untouched)."""
    document = clone(site.extra["document"])
    for edit in edits:
        edit.apply(document)
    return site_from_document(document, site.source or "<edited>")


@contextmanager
def trying(site: Site, edits: list[Edit]) -> Iterator[Site]:
    """The site with the edits made, for evaluating them: on the model in place and undone on leaving
    (also on an error or Ctrl-C), or — when an edit has no model form — a site re-read from the
    edited document. Build a fresh engine on what this yields; never keep it past the block."""
    if any(e.model is None for e in edits):
        yield apply_edits(site, edits)
        return
    undo: list[Undo] = []
    try:
        for e in edits:
            undo.append(e.model(site))
        yield site
    finally:
        for u in reversed(undo):
            u()


def _change(entity, **values) -> Undo:
    """Set attributes of an entity or rule; its property table is rebuilt on next use."""
    old = {k: getattr(entity, k) for k in values}
    for k, v in values.items():
        setattr(entity, k, v)
    entity.__dict__.pop("_table", None)

    def undo():
        for k, v in old.items():
            setattr(entity, k, v)
        entity.__dict__.pop("_table", None)
    return undo


def _appended(items: list, item) -> Undo:
    items.append(item)
    return lambda: items.remove(item)


def _model_user(site: Site, user: str):
    try:
        found = site.find_user(user)
    except LookupError:
        found = None
    if found is None or found.qualified.casefold() != user.replace("/", "\\").casefold():
        raise ValueError(f"user {user} is not defined in the file")
    return found


def _user_item(doc, user: str):
    item = find_user(doc, user)
    if item is None:
        raise ValueError(f"user {user} is not defined in the file")
    return item


def _add_to_list(user: str, key: str, value: str, kind: str, text: str) -> Edit:
    def apply(doc):
        item = _user_item(doc, user)
        values = list(item.get(key) or [])
        if value not in values:
            set_value(item, key, values + [value])

    def model(site):
        u = _model_user(site, user)
        values = getattr(u, key)
        return _change(u, **{key: values if value in values else [*values, value]})
    return Edit(kind, text, apply, model)


def add_group(user: str, group: str) -> Edit:
    return _add_to_list(user, "groups", group, "add_group", f"add {user} to group {group}")


def add_role(user: str, role: str) -> Edit:
    return _add_to_list(user, "roles", role, "add_role", f"give {user} the role {role}")


def set_property(user: str, name: str, value: str) -> Edit:
    def apply(doc):
        item = _user_item(doc, user)
        props = item.get("properties")
        if props is None:
            item["properties"] = props = entry({}, flow=True)
        values = list(props.get(name) or [])
        if value not in values:
            props[name] = flow_list(values + [value])

    def model(site):
        u = _model_user(site, user)
        props = dict(u.properties)
        values = list(props.get(name) or [])
        props[name] = values if value in values else [*values, value]
        return _change(u, properties=props)
    return Edit("set_property", f"set custom property {name} = {value} on {user}", apply, model)


def activate_user(user: str) -> Edit:
    def apply(doc):
        item = _user_item(doc, user)
        for key in ("inactive", "blacklisted", "removed_externally"):
            if item.get(key):
                item[key] = False
    return Edit("activate_user", f"activate {user} (QMC: Users > Activate)", apply,
                lambda site: _change(_model_user(site, user), inactive=False, blacklisted=False,
                                     removed_externally=False))


def allocate_access(user: str, access_type: str) -> Edit:
    def apply(doc):
        set_value(_user_item(doc, user), "access", [access_type])
    return Edit("allocate_access", f"allocate {access_type} access to {user}", apply,
                lambda site: _change(_model_user(site, user), access=[access_type]))


def change_access_type(user: str, current: str, wanted: str, why: str) -> Edit:
    """Give the user another access type (QMC: License management > deallocate, then allocate)."""
    def apply(doc):
        set_value(_user_item(doc, user), "access", [wanted])
    return Edit("change_access_type", f"give {user} {wanted} access instead of {current} ({why})", apply)


def enable_rule(name: str) -> Edit:
    def apply(doc):
        # enabled is the default: drop the key, and an override left with only its name, so that
        # disable then enable gives back the file as it was
        item = rule_entry(doc, name)
        item.pop("disabled", None)
        if set(item) == {"name"}:
            rules = section(doc, "security_rules")
            rules.remove(item)
            if not rules:
                del doc["security_rules"]
    return Edit("enable_rule", f"enable the rule \"{name}\"", apply, _rule_model(name, disabled=False))


def disable_rule(name: str) -> Edit:
    return Edit("disable_rule", f"disable the rule \"{name}\"",
                lambda doc: set_value(rule_entry(doc, name), "disabled", True), _rule_model(name, disabled=True))


def delete_rule(name: str) -> Edit:
    def apply(doc):
        item = find_named(doc, "security_rules", name)
        if item is None:
            raise ValueError(f"the rule {name!r} is not defined in the file (preinstalled rules are disabled, not deleted)")
        section(doc, "security_rules").remove(item)
    return Edit("delete_rule", f"delete the rule \"{name}\"", apply)


def set_rule(name: str, **changes) -> Edit:
    def apply(doc):
        item = rule_entry(doc, name)
        for key, value in changes.items():
            set_value(item, key, value)
    described = ", ".join(f"{k} = {v}" for k, v in changes.items())
    return Edit("set_rule", f"change the rule \"{name}\": {described}", apply, _rule_model(name, **changes))


def _rule_fields(changes: dict) -> dict | None:
    """Scenario keys of a security rule as model attributes (None: a key only the loader reads)."""
    out = {}
    for key, value in changes.items():
        if key == "actions" and isinstance(value, (list, tuple, set, frozenset)):
            actions = {normalize_action(str(a)) for a in value}
            if None in actions:
                return None
            out["actions"] = frozenset(actions)
        elif key in ("context", "disabled", "description"):
            out[key] = value
        elif key == "condition":
            try:
                out.update(condition=str(value), parsed=parse(str(value)), parse_error=None)
            except ConditionError:
                return None  # the loader reports it, located, when the document form is applied
        elif key == "resource_filter":
            try:
                out.update(resource_filter=str(value), filter=parse_filter(str(value)))
            except FilterError:
                return None
        else:
            return None
    return out


def _rule_model(name: str, **changes):
    fields = _rule_fields(changes)
    if fields is None:
        return None

    def model(site):
        try:
            rule = site.find_security_rule(name)
        except LookupError as exc:
            raise ValueError(str(exc))
        return _change(rule, **fields)
    return model


def rule_add_action(name: str, actions: list[str], action: str) -> Edit:
    edit = set_rule(name, actions=sorted(set(actions) | {action}, key=_action_order))
    return Edit("rule_add_action", f"add the action {action} to the rule \"{name}\"", edit.apply, edit.model)


def rule_add_context(name: str, context: str) -> Edit:
    edit = set_rule(name, context="both")
    return Edit("rule_add_context", f"make the rule \"{name}\" apply in both hub and QMC (it is {context} only)",
                edit.apply, edit.model)


def add_rule(values: dict) -> Edit:
    def model(site):
        if any(r.name.casefold() == str(values["name"]).casefold() for r in site.security_rules):
            raise ValueError(f"a rule named {values['name']!r} is already defined")
        rule = SecurityRule(name=str(values["name"]), resource_filter="*", actions=frozenset(),
                            id=stable_id("rule", str(values["name"])), parsed=parse(""))
        fields = _rule_fields({k: v for k, v in values.items() if k != "name"})
        if fields is None:
            raise ValueError("the rule has keys only the scenario loader reads")
        _change(rule, **fields)
        return _appended(site.security_rules, rule)
    return Edit("add_rule", f"add the rule \"{values['name']}\"",
                lambda doc: section(doc, "security_rules").append(entry(values)),
                model if _rule_fields({k: v for k, v in values.items() if k != "name"}) is not None else None,
                _rule_detail(values))


def _rule_detail(values: dict) -> str:
    actions = values.get("actions") or []
    return (f"resource filter {values.get('resource_filter', '')}; actions "
            f"{', '.join(actions) if isinstance(actions, (list, tuple)) else actions}; "
            f"condition {values.get('condition') or '(none: everyone)'}; context {values.get('context', 'both')}")


def _find_by_id_or_name(document, section_name: str, ref: str):
    """An entry by its id, else by its name: `ref` is what `Site.ref_of` gives after the kind, so a
    copied app (same name as the original) is named by id."""
    for item in document.get(section_name) or []:
        if isinstance(item, dict) and str(item.get("id", "")).casefold() == ref.casefold():
            return item
    return find_named(document, section_name, ref)


def named(site: Site, entity) -> str:
    """How an edit names an entity: its name, or its id where a copy shares the name."""
    return site.ref_of(entity).partition(":")[2]


def publish_to_stream(app: str, stream: str | None) -> Edit:
    """Publish an app to a stream (None: take it back to its owner's work area). `app` and `stream`
    are names, or ids where the name is shared (see `Site.ref_of`)."""
    def apply(doc):
        item = _find_by_id_or_name(doc, "apps", app)
        if item is None:
            raise ValueError(f"app {app} is not defined in the file")
        if stream is None:
            item.pop("stream", None)
        else:
            item["stream"] = stream

    def model(site):
        try:
            target = site.find_resource(f"app:{app}")
            where = site.find_resource(f"stream:{stream}") if stream is not None else None
        except LookupError as exc:
            raise ValueError(str(exc))
        return _change(target, stream=where)
    text = (f"publish the app \"{app}\" to the stream \"{stream}\"" if stream
            else f"unpublish the app \"{app}\"")
    return Edit("publish_to_stream", text, apply, model)


def publish_object(app: str, name: str, object_id: str | None = None) -> Edit:
    """The owner publishes a private sheet or story so that the app's users can see it (`object_id`
    picks one of several objects with the same app and name)."""
    def apply(doc):
        for item in doc.get("objects") or []:
            if object_id is not None and str(item.get("id", "")).casefold() == object_id.casefold() or \
                    object_id is None and str(item.get("app")) == app and str(item.get("name")) == name:
                item["published"] = True
                return
        raise ValueError(f"object {app}/{name} is not defined in the file")

    def model(site):
        try:
            target = site.find_resource(f"object:{object_id}" if object_id else f"object:{app}/{name}")
        except LookupError as exc:
            raise ValueError(str(exc))
        return _change(target, published=True)
    return Edit("publish_object", f"have the owner publish \"{name}\" in the app \"{app}\"", apply, model)


def add_license_rule(name: str, rule_type: str, condition: str) -> Edit:
    label = rule_type.replace("_", " ")
    article = "an" if label[0] in "aeiou" else "a"

    def model(site):
        try:
            parsed = parse(condition)
        except ConditionError as exc:
            raise ValueError(str(exc))
        return _appended(site.license_rules, LicenseRule(name=name, type=rule_type, condition=condition,
                                                         id=stable_id("license_rule", name), parsed=parsed))
    return Edit("add_license_rule", f"add {article} {label} licence rule \"{name}\" with condition {condition}",
                lambda doc: section(doc, "license_rules").append(
                    entry({"name": name, "type": rule_type, "condition": condition})), model)


def set_proxy(prefix: str, **changes) -> Edit:
    def apply(doc):
        item = find_named(doc, "virtual_proxies", prefix, key="prefix")
        if item is None:
            item = entry({"prefix": prefix})
            section(doc, "virtual_proxies").append(item)
        for key, value in changes.items():
            item[key] = value

    def model(site):
        undo: list[Undo] = []
        proxy = next((p for p in site.virtual_proxies if p.prefix == prefix), None)
        if proxy is None:
            proxy = VirtualProxy(prefix=prefix)
            undo.append(_appended(site.virtual_proxies, proxy))
        undo.append(_change(proxy, **changes))
        return lambda: [u() for u in reversed(undo)]
    described = ", ".join(f"{k} = {v}" for k, v in changes.items())
    known = set(changes) <= {"anonymous", "authentication", "description", "session_timeout_minutes",
                             "extended_security_environment"}
    return Edit("set_proxy", f"change the virtual proxy {prefix!r}: {described}", apply, model if known else None)


def change_proxy_anonymous(prefix: str, mode: str) -> Edit:
    edit = set_proxy(prefix, anonymous=mode)
    label = {"allow": "Allow anonymous user", "always": "Always anonymous user"}.get(mode, mode)
    where = f"/{prefix}" if prefix else "the central proxy"
    return Edit("change_proxy_anonymous", f"set the anonymous access mode of {where} to \"{label}\"", edit.apply,
                edit.model)


def _action_order(action: str) -> int:
    from ..rules.actions import ACTIONS
    return ACTIONS.index(action) if action in ACTIONS else 99


def add_section_access_row(app: str, row: dict[str, str], table) -> Edit:
    """Add a row to an app's section access table. A table read from a file or a script becomes
    inline in the scenario (its rows and data kept), so the edit can be checked and saved; the text says
    to add the same line to that file or script."""
    from ruamel.yaml.comments import CommentedSeq

    def apply(doc):
        item = find_named(doc, "apps", app)
        sa = item.get("section_access") if item is not None else None
        if sa is None:
            raise ValueError(f"app {app} has no section access in the file")
        if sa.get("table") is None:
            for key in ("file", "sheet", "script", "script_file"):
                sa.pop(key, None)
            sa["table"] = CommentedSeq([entry(dict(r.values), flow=True) for r in table.rows])
            if table.data and sa.get("data") is None:
                sa["data"] = entry({k: list(v) for k, v in table.data.items()})
        sa["table"].append(entry(row, flow=True))
    shown = ", ".join(f"{k}: {v}" for k, v in row.items())
    where = "" if table.source == "inline" else f" (and the same line to {table.source}; the scenario's copy of " \
                                                f"the table becomes inline)"

    def model(site: Site) -> Undo:
        from ..model.section_access import SectionAccessRow
        target = next(a for a in site.apps if a.name.casefold() == app.casefold() and a.section_access is not None)
        rows = target.section_access.rows
        full = {f: str(row.get(f, "")).upper() for f in target.section_access.fields}
        rows.append(SectionAccessRow(full, len(rows) + 1, "suggested"))
        return lambda: rows.pop()
    return Edit("add_section_access_row", f"add the row {{{shown}}} to the section access of the app \"{app}\"{where}",
                apply, model)
