"""What-if edits: rules, users, publishing, licence and proxies; undo, diff and save.

Every edit changes a copy of the scenario document and rebuilds the site from it (Session.edit),
so an invalid edit is refused with the loader's message and `save` writes exactly what was used.
"""
from __future__ import annotations

import argparse
import difflib
from pathlib import Path

from ..model import UnknownReference
from ..rules import ConditionError, parse
from ..rules.actions import CONTEXTS, normalize_action
from ..explain import edits as E
from ..files import fingerprint, fingerprint_of, write_atomically
from ..scenario.document import dump, entry, find_user, flow_list, set_value
from .base import CommandError, Output, Session, arguments, command


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _check_condition(text: str) -> None:
    try:
        parse(text)
    except ConditionError as err:
        raise CommandError(f"the condition does not parse: {err.message}\n  {text}\n  {' ' * (err.col - 1)}^")


def _actions(text: str) -> list[str]:
    out = []
    for a in _split(text):
        norm = normalize_action(a)
        if norm is None:
            raise CommandError(f"unknown action {a!r}")
        out.append(norm)
    if not out:
        raise CommandError("a rule needs at least one action")
    return out


def _rule_flags(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--filter", "--resource-filter", dest="filter", required=required,
                   help="resource filter, e.g. Stream_*, App*, App.Object_*")
    p.add_argument("--actions", required=required, help="comma-separated, e.g. read,publish")
    p.add_argument("--condition", help="rule condition (quote it)")
    p.add_argument("--context", choices=CONTEXTS, help="hub, qmc or both")
    p.add_argument("--description")


def _configure_rule(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="verb", required=True, parser_class=type(p))
    _rule_flags(sub.add_parser("add", help="add a security rule"), required=True)
    sub.choices["add"].add_argument("name")
    _rule_flags(sub.add_parser("set", help="change a security rule (preinstalled ones too)"), required=False)
    sub.choices["set"].add_argument("name")
    for verb in ("disable", "enable", "delete"):
        sub.add_parser(verb, help=f"{verb} a security rule").add_argument("name")


@command("rule", "what-if: add, set, disable, enable or delete a security rule", scenarios="none", cli=False,
         examples=("rule disable StreamEveryoneAnonymous",
                   "rule add \"Finance reads\" --filter Stream_* --actions read --condition 'user.group = \"Finance\"'",
                   "rule set Stream --context hub"))
@arguments(_configure_rule)
def run_rule(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    name = args.name
    existing = None
    try:
        existing = site.find_security_rule(name)
        name = existing.name
    except UnknownReference as exc:
        if args.verb != "add":
            raise CommandError(str(exc))
    if args.verb == "add":
        if existing is not None:
            raise CommandError(f"a rule named {name!r} exists; use rule set")
        if args.condition:
            _check_condition(args.condition)
        values = {"name": name, "resource_filter": args.filter, "actions": _actions(args.actions)}
        if args.condition:
            values["condition"] = args.condition
        if args.context:
            values["context"] = args.context
        if args.description:
            values["description"] = args.description
        _apply(session, E.add_rule(values))
        return Output(f"added rule {name!r}\n")
    if args.verb == "delete":
        if existing.preinstalled:
            raise CommandError(f"{name!r} is preinstalled; Qlik recommends disabling it instead: rule disable {name}")

        _apply(session, E.delete_rule(name))
        return Output(f"deleted rule {name!r}\n")
    if args.verb in ("disable", "enable"):
        _apply(session, E.disable_rule(name) if args.verb == "disable" else E.enable_rule(name))
        return Output(f"rule {name!r} is now {args.verb}d\n")
    changes = {}
    if args.filter:
        changes["resource_filter"] = args.filter
    if args.actions:
        changes["actions"] = _actions(args.actions)
    if args.condition is not None:
        _check_condition(args.condition)
        changes["condition"] = args.condition
    if args.context:
        changes["context"] = args.context
    if args.description is not None:
        changes["description"] = args.description
    if not changes:
        raise CommandError("rule set NAME needs at least one of --filter --actions --condition --context --description")

    _apply(session, E.set_rule(name, **changes))
    return Output(f"changed {', '.join(changes)} of rule {name!r}\n")


def _configure_user(p: argparse.ArgumentParser) -> None:
    p.add_argument("user")
    p.add_argument("--groups", help="replace the groups (comma-separated)")
    p.add_argument("--add-group", action="append", default=[])
    p.add_argument("--remove-group", action="append", default=[])
    p.add_argument("--roles", help="replace the admin roles (comma-separated)")
    p.add_argument("--add-role", action="append", default=[])
    p.add_argument("--property", action="append", default=[], metavar="NAME=VALUE[,VALUE]",
                   help="set a custom property (repeatable)")
    p.add_argument("--inactive", choices=("yes", "no"))
    p.add_argument("--access", choices=("professional", "analyzer", "user_access", "none"),
                   help="allocate an access type by hand (none removes it)")


@command("user", "what-if: change a user's groups, roles, properties, status or allocated access",
         scenarios="none", cli=False,
         examples=("user CORP\\bob --add-group Finance", "user CORP\\carol --inactive no",
                   "user CORP\\bob --property Region=North"))
@arguments(_configure_user)
def run_user(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    try:
        user = site.find_user(args.user)
    except UnknownReference as exc:
        raise CommandError(str(exc))

    def change(doc):
        item = find_user(doc, user.qualified)
        groups = _split(args.groups) if args.groups is not None else list(user.groups)
        groups = [g for g in groups + args.add_group if g.casefold() not in {r.casefold() for r in args.remove_group}]
        if groups != list(user.groups):
            set_value(item, "groups", list(dict.fromkeys(groups)))
        roles = _split(args.roles) if args.roles is not None else list(user.roles)
        if roles + args.add_role != list(user.roles):
            set_value(item, "roles", list(dict.fromkeys(roles + args.add_role)))
        for prop in args.property:
            key, sep, values = prop.partition("=")
            if not sep:
                raise CommandError(f"--property wants NAME=VALUE, not {prop!r}")
            props = item.get("properties")
            if props is None:
                item["properties"] = props = entry({}, flow=True)
            props[key.strip()] = flow_list(_split(values))
        if args.inactive is not None:
            item["inactive"] = args.inactive == "yes"
        if args.access is not None:
            if args.access == "none":
                item.pop("access", None)
            else:
                set_value(item, "access", [args.access])
    session.edit(f"user {user.qualified}", change)
    return Output(f"changed {user.qualified}\n")


@command("publish", "what-if: publish an app to a stream (publish APP STREAM; --unpublish to take it back)",
         scenarios="none", cli=False, examples=('publish "Draft Ideas" Public', 'publish "Draft Ideas" --unpublish'))
@arguments(lambda p: (p.add_argument("app"), p.add_argument("stream", nargs="?"),
                      p.add_argument("--unpublish", action="store_true")))
def run_publish(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    try:
        app = site.find_resource(f"app:{args.app}")
        stream = site.find_resource(f"stream:{args.stream}") if args.stream else None
    except UnknownReference as exc:
        raise CommandError(str(exc))
    if stream is None and not args.unpublish:
        raise CommandError("publish APP STREAM, or publish APP --unpublish")

    _apply(session, E.publish_to_stream(E.named(site, app), None if args.unpublish else E.named(site, stream)))
    return Output(f"{site.ref_of(app)} is now {'unpublished' if args.unpublish else 'published to ' + stream.name}\n")


@command("proxy", "what-if: change a virtual proxy's anonymous access mode or timeout", scenarios="none", cli=False,
         examples=('proxy "" --anonymous allow',))
@arguments(lambda p: (p.add_argument("prefix"), p.add_argument("--anonymous", choices=("none", "allow", "always")),
                      p.add_argument("--timeout", type=int, help="session inactivity timeout (minutes)")))
def run_proxy(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    prefix = "" if args.prefix in ('""', "''", "central") else args.prefix
    try:
        site.find_proxy(prefix)
    except UnknownReference as exc:
        raise CommandError(str(exc))

    changes = {k: v for k, v in (("anonymous", args.anonymous), ("session_timeout_minutes", args.timeout)) if v}
    if not changes:
        raise CommandError("proxy PREFIX needs --anonymous and/or --timeout")
    _apply(session, E.set_proxy(prefix, **changes))
    return Output(f"changed virtual proxy {prefix!r}\n")


def _apply(session: Session, edit) -> None:
    try:
        session.edit(edit.text, edit.apply)
    except ValueError as exc:
        raise CommandError(str(exc))


@command("undo", "take back the last what-if edit", scenarios="none", cli=False)
def run_undo(session: Session, args: argparse.Namespace) -> Output:
    return Output(f"undone: {session.undo()}\n{_state_note(session)}")


def _state_note(session: Session) -> str:
    n = len(session.state_log)
    return (f"(requests also changed the licence state {n} time{'s' if n != 1 else ''}: not an edit, so "
            f"diff and undo leave it; state lists it, reset starts it over)\n") if n else ""


@command("diff", "what the edits changed, against the file as loaded (or saved)", scenarios="none", cli=False)
def run_diff(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    before = dump(session.original.extra["document"]).splitlines(keepends=True)
    after = dump(site.extra["document"]).splitlines(keepends=True)
    name = str(session.path or site.source or "scenario")
    text = "".join(difflib.unified_diff(before, after, f"{name} (loaded)", f"{name} (edited)"))
    return Output((text or "no edits\n") + _state_note(session), data={"diff": text, "state_changes": session.state_log})


@command("save", "write the edited scenario (comments and key order kept; atomic; refuses to overwrite a "
                 "file changed on disk since it was loaded unless --force)", scenarios="none", cli=False,
         examples=("save my-site.yaml",))
@arguments(lambda p: (p.add_argument("file", nargs="?"),
                      p.add_argument("--force", action="store_true",
                                     help="overwrite the file even if it changed on disk since it was loaded")))
def run_save(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    target = Path(args.file) if args.file else session.path
    if target is None:
        raise CommandError("save FILE: this site was not loaded from a file")
    from ..scenario import builtin_dir
    try:
        if not args.file and target.resolve().parent == builtin_dir().resolve():
            raise CommandError("this is a built-in scenario; save it under a new name: save FILE")
    except OSError:
        pass
    _refuse_lost_changes(session, target, args.force)
    text = dump(site.extra["document"])
    write_atomically(target, text)
    session.mark_saved(target, fingerprint(text.encode("utf-8")))
    return Output(f"saved {target}\n")


def _refuse_lost_changes(session: Session, target: Path, force: bool) -> None:
    """Saving over the loaded file when it changed on disk since (another session saved, an editor
    added a comment) would silently drop that change: refuse, and say what to do."""
    if force or session.path is None or session.on_disk is None or not target.exists():
        return
    try:
        same = target.resolve() == session.path.resolve()
    except OSError:
        same = False
    if not same:
        return
    now = fingerprint_of(target)
    if now is not None and now != session.on_disk:
        raise CommandError(f"{target} changed on disk since it was loaded (another session or an editor); "
                           f"saving would drop that change. Keep both: save OTHER.yaml and compare; or "
                           f"overwrite it: save --force")
