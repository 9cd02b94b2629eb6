"""Completion for shell and kernel lines, free of any front end's types.

`completions(session, text_before_cursor)` returns `Completion`s: the text to insert, where it
starts (a negative offset from the cursor), what to show, and a short note. The shell wraps them
in prompt-toolkit completions; the kernel returns them for Tab.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..rules.actions import ACTIONS
from ..rules.parser import FUNCTIONS
from .base import REGISTRY, Session, split_words

USER_PROPERTIES = ("name", "userId", "userDirectory", "email", "group", "roles", "environment.")
RESOURCE_PROPERTIES = ("name", "id", "resourcetype", "resourcefilter", "owner", "description", "stream",
                       "app", "objectType", "published", "approved", "type")
ENVIRONMENT = ("ip", "browser", "os", "device", "secureRequest", "context")
FUNCTION_TEXT = {"HasPrivilege": 'HasPrivilege("', "IsAnonymous": "IsAnonymous()", "Empty": "Empty()",
                 "IsOwned": "IsOwned()"}
FUNCTION_DOCS = {
    "HasPrivilege": 'resource.X.HasPrivilege("action"): true if the requester has that action on the related '
                    "resource (asks the same rules again)",
    "IsAnonymous": "user.IsAnonymous(): true if the requester came in as an anonymous user",
    "Empty": "X.Empty(): true if the property or relation has no value (e.g. an unpublished app's stream)",
    "IsOwned": "resource.IsOwned(): true if the resource has an owner",
}
CONDITION_FLAGS = ("--condition",)
_PATH_RE = re.compile(r"((?:user|resource)(?:\.@?[A-Za-z_][\w]*)*\.)(@?[\w]*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Completion:
    text: str
    start: int  # where the replaced text begins, as a negative offset from the cursor
    display: str = ""
    meta: str = ""


def completions(session: Session, text: str) -> list[Completion]:
    from . import load_all
    load_all()
    in_condition = _condition_context(text)
    if in_condition is not None:
        return _condition_completions(session, in_condition)
    words = _words(text)
    current = "" if text.endswith((" ", "\t")) else (words[-1] if words else "")
    done = words[:-1] if current else words
    if not done:
        return _from(sorted({c.name for c in REGISTRY.values()}), current, "command")
    cmd = REGISTRY.get(done[0].lower())
    if cmd is None:
        return []
    previous = done[-1] if len(done) > 1 else ""
    if current.startswith("-"):
        parser = cmd.parser()
        flags = sorted({s for a in parser._actions for s in a.option_strings if s.startswith("--")})
        return _from(flags, current, "flag")
    if previous in FILE_FLAGS or (cmd.name in FILE_COMMANDS and len(done) <= FILE_COMMANDS[cmd.name]):
        return file_completions(current, folders_only=cmd.name == "import-qrs" and previous not in FILE_FLAGS)
    site = session.site
    if site is None:
        return []
    choices = _value_choices(session, cmd.name, previous, done)
    return _from(choices, current, "")


def _value_choices(session: Session, name: str, previous: str, done: list[str]) -> list[str]:
    site = session.site
    users = [u.qualified for u in site.users] + ["anonymous"]
    if previous in ("--user", "-u", "--set-user") or (name in ("can", "why", "as") and len(done) == 1):
        return users
    if previous in ("--resource", "-r") or (name in ("can", "why") and len(done) == 3) or \
            (name == "show" and len(done) == 1):
        refs = [site.ref_of(e) for e in site.all_resources()]
        return refs + (["rule", "user", "proxy", "licence-rule"] if name == "show" else [])
    if previous in ("--action", "-a") or (name in ("can", "why") and len(done) == 2):
        return list(ACTIONS)
    if previous in ("--context", "-c", "in"):
        return ["hub", "qmc"] + (["both"] if name == "rule" else [])
    if previous in ("--proxy", "-p", "via"):
        return [p.prefix for p in site.proxies()]
    if name in ("can", "why") and len(done) >= 4:
        return ["in", "via"]
    if (name == "show" and previous == "rule") or (name == "rule" and previous in ("set", "disable", "enable", "delete")):
        return [r.name for r in site.security_rules]
    if name == "rule" and len(done) == 1:
        return ["add", "set", "disable", "enable", "delete"]
    if name == "show" and previous == "user" or name == "user" and len(done) == 1:
        return [u.qualified for u in site.users]
    if name == "help" and len(done) == 1:
        return sorted({c.name for c in REGISTRY.values()})
    if name == "set" and len(done) == 1:
        from ..semantics import CHOICES
        return list(CHOICES)
    if name == "set" and len(done) == 2:
        from ..semantics import CHOICES
        return list(CHOICES.get(done[1], ()))
    if name == "publish":
        return [a.name for a in site.apps] if len(done) == 1 else [s.name for s in site.streams]
    if previous in ("--add-group", "--remove-group", "--group"):
        return sorted({g for u in site.users for g in u.groups})
    return []


def _words(text: str) -> list[str]:
    try:
        return split_words(text)
    except Exception:
        return text.split()


FILE_COMMANDS = {"load": 1, "save": 1, "import-qrs": 1, "replay": 2, "check": 99}  # name -> file words it takes
FILE_FLAGS = ("-o", "--output")


def file_completions(current: str, folders_only: bool = False) -> list[Completion]:
    """File and folder names (folders end in /), relative to the working directory as typed."""
    import os
    typed = current.strip('"')
    folder, _, prefix = typed.rpartition("/")
    base = os.path.expanduser(folder + "/" if folder else "./") if folder or not typed.startswith("/") else "/"
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(prefix) or (entry.name.startswith(".") and not prefix.startswith(".")):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if folders_only and not is_dir:
            continue
        text = (folder + "/" if folder else "") + entry.name + ("/" if is_dir else "")
        shown = f'"{text}"' if " " in text else text
        out.append(Completion(shown, -len(current), entry.name + ("/" if is_dir else ""), "folder" if is_dir else "file"))
    return out[:200]


def _from(choices, current: str, meta: str) -> list[Completion]:
    low = current.lower().strip('"')
    out = []
    for choice in choices:
        if choice.lower().startswith(low) and choice != current:
            shown = f'"{choice}"' if (" " in choice or choice == "") else choice
            out.append(Completion(shown, -len(current), choice or '""', meta))
    return out


def _condition_context(text: str) -> str | None:
    """The condition typed so far, when the cursor is inside one (eval ..., --condition '...')."""
    stripped = text.lstrip()
    if stripped.lower().startswith("eval "):
        return stripped[5:]
    for flag in CONDITION_FLAGS:
        pos = text.rfind(flag + " ")
        if pos >= 0:
            rest = text[pos + len(flag) + 1:]
            if rest[:1] in ("'", '"') and rest.count(rest[0]) % 2 == 1:
                return rest[1:]
    return None


def _condition_completions(session: Session, cond: str) -> list[Completion]:
    m = _PATH_RE.search(cond)
    if m:
        prefix, partial = m.group(1).lower(), m.group(2)
        if prefix.endswith("environment."):
            return _from(ENVIRONMENT, partial, "session attribute")
        root = prefix.split(".")[0]
        names = list(USER_PROPERTIES if (root == "user" and prefix.count(".") == 1) else RESOURCE_PROPERTIES)
        names += [f"@{n}" for n in _custom_properties(session)]
        out = _from(names, partial, "property")
        out += [Completion(FUNCTION_TEXT[f], -len(partial), f + "()", "function")
                for f in FUNCTIONS.values() if f.lower().startswith(partial.lower())]
        return out
    token = re.search(r"([\w@]*)$", cond).group(1)
    before = cond[: len(cond) - len(token)].rstrip()
    if before.endswith(("=", "like", "matches")) or before.endswith('"'):
        return []
    words = ["user.", "resource.", "and", "or", "like", "matches"] if cond.strip() else ["user.", "resource."]
    return _from(words, token, "")


def _custom_properties(session: Session) -> list[str]:
    site = session.site
    if site is None:
        return []
    names = {d.name for d in site.custom_properties}
    for e in [*site.users, *site.all_resources()]:
        names.update(e.properties)
    return sorted(names)


def describe(session: Session, word: str) -> str | None:
    """What a word means, for Shift-Tab in the kernel and help in the shell: a function, a rule, a
    user, a resource or a command."""
    from . import load_all
    load_all()
    bare = word.rstrip("(").split(".")[-1].split("(")[0]
    for name, doc in FUNCTION_DOCS.items():
        if bare.lower() == name.lower():
            return doc
    site = session.site
    if site is not None:
        for getter in (site.find_security_rule, site.find_user, site.find_resource):
            try:
                found = getter(word.strip('"'))
            except LookupError:
                continue
            if hasattr(found, "resource_filter"):
                return (f"rule {found.name}: {found.resource_filter} [{', '.join(sorted(found.actions))}] "
                        f"context {found.context}{' (disabled)' if found.disabled else ''}\n"
                        f"condition: {found.condition or '(empty)'}\n{found.description}".rstrip())
            return f"{found.ref}: {found!r}"
    cmd = REGISTRY.get(word.lower())
    if cmd is not None:
        return cmd.parser().format_help()
    return None
