"""Edits to a site, as changes to its scenario document: the same mechanism the shell's what-if
commands use, so why-not suggestions and previews can be applied, re-run and saved with the
user's comments kept."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..model import Site
from ..scenario import site_from_document
from ..scenario.document import clone, entry, find_named, find_user, flow_list, rule_entry, section, set_value


@dataclass
class Edit:
    kind: str  # the contract's why-not kinds: add_group, enable_rule, ...
    text: str  # what a person reads: "add CORP\bob to group Finance"
    apply: Callable[[object], None] = field(repr=False)  # changes a scenario document in place


def apply_edits(site: Site, edits: list[Edit]) -> Site:
    """A new Site with the edits applied to a copy of its document (the original is untouched)."""
    document = clone(site.extra["document"])
    for edit in edits:
        edit.apply(document)
    return site_from_document(document, site.source or "<edited>")


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
    return Edit(kind, text, apply)


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
    return Edit("set_property", f"set custom property {name} = {value} on {user}", apply)


def activate_user(user: str) -> Edit:
    def apply(doc):
        item = _user_item(doc, user)
        for key in ("inactive", "blacklisted", "removed_externally"):
            if item.get(key):
                item[key] = False
    return Edit("activate_user", f"activate {user} (QMC: Users > Activate)", apply)


def allocate_access(user: str, access_type: str) -> Edit:
    def apply(doc):
        set_value(_user_item(doc, user), "access", [access_type])
    return Edit("allocate_access", f"allocate {access_type} access to {user}", apply)


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
    return Edit("enable_rule", f"enable the rule \"{name}\"", apply)


def disable_rule(name: str) -> Edit:
    return Edit("disable_rule", f"disable the rule \"{name}\"",
                lambda doc: set_value(rule_entry(doc, name), "disabled", True))


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
    return Edit("set_rule", f"change the rule \"{name}\": {described}", apply)


def rule_add_action(name: str, actions: list[str], action: str) -> Edit:
    edit = set_rule(name, actions=sorted(set(actions) | {action}, key=_action_order))
    return Edit("rule_add_action", f"add the action {action} to the rule \"{name}\"", edit.apply)


def rule_add_context(name: str, context: str) -> Edit:
    edit = set_rule(name, context="both")
    return Edit("rule_add_context", f"make the rule \"{name}\" apply in both hub and QMC (it is {context} only)",
                edit.apply)


def add_rule(values: dict) -> Edit:
    return Edit("add_rule", f"add the rule \"{values['name']}\"",
                lambda doc: section(doc, "security_rules").append(entry(values)))


def publish_to_stream(app: str, stream: str | None) -> Edit:
    """Publish an app to a stream (None: take it back to its owner's work area)."""
    def apply(doc):
        item = find_named(doc, "apps", app)
        if item is None:
            raise ValueError(f"app {app} is not defined in the file")
        if stream is None:
            item.pop("stream", None)
        else:
            item["stream"] = stream
    text = (f"publish the app \"{app}\" to the stream \"{stream}\"" if stream
            else f"unpublish the app \"{app}\"")
    return Edit("publish_to_stream", text, apply)


def publish_object(app: str, name: str) -> Edit:
    """The owner publishes a private sheet or story so that the app's users can see it."""
    def apply(doc):
        for item in doc.get("objects") or []:
            if str(item.get("app")) == app and str(item.get("name")) == name:
                item["published"] = True
                return
        raise ValueError(f"object {app}/{name} is not defined in the file")
    return Edit("publish_object", f"have the owner publish \"{name}\" in the app \"{app}\"", apply)


def add_license_rule(name: str, rule_type: str, condition: str) -> Edit:
    label = rule_type.replace("_", " ")
    article = "an" if label[0] in "aeiou" else "a"
    return Edit("add_license_rule", f"add {article} {label} licence rule \"{name}\" with condition {condition}",
                lambda doc: section(doc, "license_rules").append(
                    entry({"name": name, "type": rule_type, "condition": condition})))


def set_proxy(prefix: str, **changes) -> Edit:
    def apply(doc):
        item = find_named(doc, "virtual_proxies", prefix, key="prefix")
        if item is None:
            item = entry({"prefix": prefix})
            section(doc, "virtual_proxies").append(item)
        for key, value in changes.items():
            item[key] = value
    described = ", ".join(f"{k} = {v}" for k, v in changes.items())
    return Edit("set_proxy", f"change the virtual proxy {prefix!r}: {described}", apply)


def change_proxy_anonymous(prefix: str, mode: str) -> Edit:
    apply = set_proxy(prefix, anonymous=mode).apply
    label = {"allow": "Allow anonymous user", "always": "Always anonymous user"}.get(mode, mode)
    where = f"/{prefix}" if prefix else "the central proxy"
    return Edit("change_proxy_anonymous", f"set the anonymous access mode of {where} to \"{label}\"", apply)


def _action_order(action: str) -> int:
    from ..rules.actions import ACTIONS
    return ACTIONS.index(action) if action in ACTIONS else 99
