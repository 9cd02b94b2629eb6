"""Looking around a site: users, streams, apps, objects, proxies, rules, and `show` for one thing."""
from __future__ import annotations

import argparse

from ..model import ANONYMOUS_LABELS, UnknownReference
from ..rules.actions import CONTEXT_LABELS, sort_actions
from ..safe_text import one_line
from .base import CommandError, Output, Session, arguments, command


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(none)\n"
    rows = [[one_line(str(c)) for c in r] for r in rows]  # a name with a line break cannot forge rows
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(out) + "\n"


def _listing(headers, rows, key_names) -> Output:
    return Output(_table(headers, rows), data=[dict(zip(key_names, r)) for r in rows])


@command("users", "list the site's users", scenarios="one", examples=("users", "users --group Sales"))
@arguments(lambda p: p.add_argument("--group", help="only users in this group"))
def run_users(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    rows = []
    for u in site.users:
        if args.group and args.group.casefold() not in (g.casefold() for g in u.groups):
            continue
        state = "inactive" if u.inactive else "blocked" if u.blacklisted else "removed" if u.removed_externally else ""
        held = (session.state.holder(u.key) or "") if session.state else ""
        rows.append([u.qualified, u.name, ", ".join(u.groups), ", ".join(u.roles), held, state])
    return _listing(["user", "name", "groups", "roles", "access", "status"], rows,
                    ["user", "name", "groups", "roles", "access", "status"])


def _resources(session: Session, kind: str) -> list:
    return session.require_site().resources[kind]


@command("streams", "list streams", scenarios="one")
def run_streams(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    rows = [[s.name, s.id, s.owner.qualified if s.owner else "",
             str(sum(1 for a in site.apps if a.stream is s))] for s in site.streams]
    return _listing(["stream", "id", "owner", "apps"], rows, ["stream", "id", "owner", "apps"])


@command("apps", "list apps and where they are published", scenarios="one")
def run_apps(session: Session, args: argparse.Namespace) -> Output:
    rows = [[a.name, a.stream.name if a.stream else "(unpublished)", a.owner.qualified if a.owner else ""]
            for a in _resources(session, "app")]
    return _listing(["app", "stream", "owner"], rows, ["app", "stream", "owner"])


@command("objects", "list app objects (sheets, stories, ...)", scenarios="one")
@arguments(lambda p: p.add_argument("--app", help="only objects of this app"))
def run_objects(session: Session, args: argparse.Namespace) -> Output:
    rows = []
    for o in _resources(session, "object"):
        if args.app and (o.app is None or o.app.name.casefold() != args.app.casefold()):
            continue
        state = ("base" if o.published and o.approved else "community" if o.published else "private")
        rows.append([session.site.ref_of(o), o.object_type, state, o.owner.qualified if o.owner else ""])
    return _listing(["object", "type", "state", "owner"], rows, ["object", "type", "state", "owner"])


@command("proxies", "list virtual proxies and their anonymous access mode", scenarios="one")
def run_proxies(session: Session, args: argparse.Namespace) -> Output:
    rows = [[f'"{p.prefix}"', ANONYMOUS_LABELS[p.anonymous], p.authentication, str(p.session_timeout_minutes),
             p.description] for p in session.require_site().proxies()]
    return _listing(["prefix", "anonymous access", "authentication", "timeout", "description"], rows,
                    ["prefix", "anonymous", "authentication", "session_timeout_minutes", "description"])


@command("rules", "list security rules (custom and edited ones; --all for the preinstalled too)",
         scenarios="one", examples=("rules", "rules --all", "rules --resource stream:Public", "rules --licence"))
@arguments(lambda p: (p.add_argument("--all", action="store_true", help="include untouched preinstalled rules"),
                      p.add_argument("--resource", "-r", help="only rules whose resource filter selects this"),
                      p.add_argument("--licence", "--license", action="store_true", dest="licence",
                                     help="list licence rules instead"),
                      p.add_argument("match", nargs="?", help="only rules whose name contains this")))
def run_rules(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    if args.licence:
        rows = [[r.name, r.type, r.condition or "(empty: everyone)", "yes" if r.disabled else ""]
                for r in site.license_rules if not args.match or args.match.casefold() in r.name.casefold()]
        return _listing(["licence rule", "type", "condition", "disabled"], rows, ["name", "type", "condition", "disabled"])
    target = None
    if args.resource:
        try:
            target = site.find_resource(args.resource)
        except UnknownReference as exc:
            raise CommandError(str(exc))
    rows, hidden = [], 0
    for r in site.security_rules:
        if args.match and args.match.casefold() not in r.name.casefold():
            continue
        if target is not None and not (r.filter and r.filter.matches(target.kind, target.id)):
            continue
        if r.preinstalled and not r.edited and not args.all and target is None and not args.match:
            hidden += 1
            continue
        origin = ("preinstalled, edited" if r.edited else "preinstalled") if r.preinstalled else "custom"
        rows.append([r.name, origin, r.resource_filter, ", ".join(sort_actions(r.actions)), r.context,
                     "yes" if r.disabled else ""])
    out = _listing(["rule", "origin", "resource filter", "actions", "context", "disabled"], rows,
                   ["name", "origin", "resource_filter", "actions", "context", "disabled"])
    if hidden:
        out.text += f"({hidden} untouched preinstalled rules hidden; rules --all shows them)\n"
    return out


@command("show", "show one rule, user, proxy or resource in full", scenarios="one",
         examples=("show rule Stream", "show user CORP\\alice", "show stream:Public", "show proxy public"))
@arguments(lambda p: (p.add_argument("what", help="rule, licence-rule, user, proxy, or a KIND:NAME resource"),
                      p.add_argument("name", nargs="*", help="its name")))
def run_show(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    what, name = args.what, " ".join(args.name)
    try:
        if what == "rule":
            return _show_rule(site.find_security_rule(name))
        if what in ("licence-rule", "license-rule"):
            r = site.find_license_rule(name)
            return _fields({"licence rule": r.name, "type": r.type, "condition": r.condition or "(empty)",
                            "tokens": r.tokens if r.type == "login_access" else None,
                            "disabled": r.disabled, "description": r.description})
        if what == "user":
            u = site.find_user(name)
            held = session.state.holder(u.key) if session.state else None
            return _fields({"user": u.qualified, "name": u.name, "email": u.email, "groups": u.groups,
                            "roles": u.roles, "custom properties": u.properties, "attributes": u.attributes,
                            "access allocated": held or "(none)", "inactive": u.inactive,
                            "blocked": u.blacklisted, "removed externally": u.removed_externally})
        if what == "proxy":
            p = site.find_proxy(name)
            return _fields({"prefix": f'"{p.prefix}"', "description": p.description,
                            "anonymous access mode": ANONYMOUS_LABELS[p.anonymous],
                            "authentication": p.authentication, "session inactivity timeout": f"{p.session_timeout_minutes} min",
                            "extended security environment": p.extended_security_environment})
        ref = what if ":" in what else f"{what}:{name}"
        if ":" in what and name:
            ref = f"{what} {name}"
        e = site.find_resource(ref)
    except UnknownReference as exc:
        raise CommandError(str(exc))
    fields = {"resource": site.ref_of(e), "type": e.kind, "id": e.id, "owner": e.owner.qualified if e.owner else None,
              "custom properties": e.properties, "description": e.description}
    for prop in ("stream", "app"):
        if hasattr(e, prop):
            val = getattr(e, prop)
            fields[prop] = val.name if val is not None else "(none: unpublished)" if prop == "stream" else None
    for prop in ("object_type", "published", "approved", "type"):
        if hasattr(e, prop) and not callable(getattr(e, prop)):
            fields[prop.replace("_", " ")] = getattr(e, prop)
    rules = [r.name for r in site.security_rules if r.filter and r.filter.matches(e.kind, e.id)]
    fields["rules selecting it"] = f"{len(rules)}: " + ", ".join(rules)
    return _fields(fields)


def _show_rule(r) -> Output:
    origin = ("preinstalled (edited in this scenario)" if r.edited else "preinstalled") if r.preinstalled else "custom"
    fields = {"rule": r.name, "origin": origin, "type": r.type, "resource filter": r.resource_filter,
              "actions": ", ".join(sort_actions(r.actions)), "context": CONTEXT_LABELS[r.context],
              "disabled": r.disabled, "condition": r.condition or "(empty: applies to everyone)",
              "description": r.description, "seed id": r.seed_id if r.preinstalled else None,
              "source": r.source or None}
    if r.parse_error is not None:
        fields["does not parse"] = f"{r.parse_error}\n{r.parse_error.caret()}"
    elif r.parsed is not None and r.parsed.notes:
        fields["notes"] = [n.text for n in r.parsed.notes]
    return _fields(fields)


def _fields(fields: dict) -> Output:
    shown = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    width = max(len(k) for k in shown)
    lines = []
    for k, v in shown.items():
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        elif isinstance(v, dict):
            v = "; ".join(f"{a}: {', '.join(b)}" for a, b in v.items())
        elif isinstance(v, bool):
            v = "yes" if v else "no"
        text = str(v).replace("\n", "\n" + " " * (width + 2))
        lines.append(f"{k.ljust(width)}  {text}")
    return Output("\n".join(lines) + "\n", data={k: v for k, v in shown.items()})
