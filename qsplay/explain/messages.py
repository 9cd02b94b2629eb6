"""From the message: what Qlik's on-screen (or log) message means, which phase produces it, and the
commands that diagnose it on the loaded site -- with the users and apps of that site filled in.

Each message carries its source. Matching is on normalised text (case, spacing, quotes, Qlik's own
"paralell" spelling), so a message pasted with its surroundings is still found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..engine import engine_for, make_request
from ..model import Site


@dataclass(frozen=True)
class Message:
    key: str
    wording: str  # Qlik's text, as it appears
    phase: str
    meaning: str
    source: str
    patterns: tuple[str, ...]  # normalised substrings, most specific first


MESSAGES = (
    Message("too_many_sessions", "You cannot access Qlik Sense because you have no access pass or too many sessions "
            "active in parallel", "license",
            "The user already has five sessions open (professional, analyzer, user and login passes allow five in "
            "parallel; after a session ends at the cap, five minutes must pass). Each browser, device or virtual "
            "proxy is its own session.",
            "Qlik Support \"Troubleshoot no access pass or too many sessions active in parallel\" (community.qlik.com "
            "... tac-p/2103625); \"How to count sessions in Qlik Sense\" (ta-p/1714209); help \"Professional access "
            "allocations\" (maximum of five parallel connections)",
            ("too many sessions active in parallel", "too many sessions", "sessioncount")),
    Message("no_access_pass", "You cannot access Qlik Sense because you have no access pass", "license",
            "The licence phase found no access type: no professional or analyzer allocation, no licence rule that "
            "allocates one, no analyzer capacity, user or login access pass for the user.",
            "Qlik Support KB \"You cannot access Qlik Sense because you have no access pass\" (community.qlik.com "
            "... ta-p/1715138); help \"License user access\" (log: OperationType: 'UsageDenied')",
            ("you have no access pass", "no access pass", "operationtype: usagedenied", "login access denied",
             "usagedenied")),
    Message("account_inactive", "Your account is inactive. Contact your administrator to activate it.",
            "authentication",
            "The proxy identified the user, but the account is inactive, blocked (blacklisted) or removed from the "
            "user directory, so the repository refuses it before any licence or rule.",
            "help \"Open app\" troubleshooting (sense-admin November2022, ServerLogTroubleshoot-Repository-Open-App):"
            " \"Your account is inactive. Contact your administrator to activate it. (HTTP code: 403)\"",
            ("your account is inactive", "account is inactive")),
    Message("access_denied", "Access denied", "security|section_access",
            "Opening an app was refused: either no security rule grants read on the app (or its stream), or the "
            "app's section access refuses the user (not in the table, no valid ACCESS, or strict exclusion). The "
            "message is the same for both; the engine's audit log tells them apart.",
            "help \"Open app\" troubleshooting (log: Command=Open app;Result=403;ResultText=Error: Security); "
            "databridge \"Qlik Sense app: access denied, why?\"; Engine API NxLocalizedErrorCode "
            "LOCERR_GENERIC_ACCESS_DENIED = 5",
            ("resulttext=error: security", "error: security", "locerr_generic_access_denied", "access denied",
             "access is denied")),
)
PHASE_WORDS = {"license": "2. Licence (access type)", "authentication": "1. Authentication (virtual proxy)",
               "security|section_access": "3. Security rules or 4. Section access"}
MAX_TEXT = 4000
MAX_PROBES = 400  # decisions tried to find who on this site meets the message


def normalise(text: str) -> str:
    text = text[:MAX_TEXT].lower().replace("paralell", "parallel").replace("\u2019", "'")
    text = re.sub(r"[\"'`\u201c\u201d]", "", text)
    return " ".join(text.split())


def match(text: str) -> list[Message]:
    """The messages a text contains, the most specific first (a longer message beats one it contains)."""
    norm = normalise(text)
    hits = []
    for msg in MESSAGES:
        for i, pattern in enumerate(msg.patterns):
            if pattern in norm:
                hits.append((len(pattern), -i, msg))
                break
    hits.sort(key=lambda h: (-h[0], h[1]))
    out = [h[2] for h in hits]
    if out and out[0].key == "too_many_sessions":
        out = [m for m in out if m.key != "no_access_pass"]  # its wording starts with the no-pass one
    if any(m.phase == "license" for m in out) and "error: security" not in norm:
        out = [m for m in out if m.key != "access_denied"]  # "Error: Access denied" of a licence line
    return out


def looks_like_message(text: str) -> bool:
    return bool(match(text))


@dataclass
class Explanation:
    text: str
    messages: list[Message]
    on_site: dict[str, list[str]] = field(default_factory=dict)  # key -> what the loaded site shows
    commands: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"text": self.text[:MAX_TEXT], "matches": [
            {"key": m.key, "wording": m.wording, "phase": m.phase, "meaning": m.meaning, "source": m.source,
             "on_this_site": self.on_site.get(m.key, []), "commands": self.commands.get(m.key, [])}
            for m in self.messages]}

    def to_text(self) -> str:
        if not self.messages:
            known = "; ".join(f"\"{m.wording}\"" for m in MESSAGES)
            return f"no Qlik message recognised in that text. Known: {known}\n"
        lines = []
        for i, m in enumerate(self.messages):
            lines += [("Also: " if i else "") + f"\"{m.wording}\"",
                      f"  phase:   {PHASE_WORDS[m.phase]}", f"  means:   {m.meaning}", f"  source:  {m.source}"]
            for fact in self.on_site.get(m.key, []):
                lines.append(f"  here:    {fact}")
            if self.commands.get(m.key):
                lines.append("  diagnose on this site:")
                lines += [f"    {c}" for c in self.commands[m.key]]
            lines.append("")
        return "\n".join(lines)


def explain_message(text: str, site: Site | None) -> Explanation:
    result = Explanation(text, match(text))
    if site is None or site.platform != "windows":
        return result
    for m in result.messages:
        facts, commands = _on_site(m, site)
        result.on_site[m.key], result.commands[m.key] = facts, commands
    return result


def _quote(text: str) -> str:
    return f"'{text}'" if re.search(r"[\s\\\"$]", text) else text


def _first_resource(site: Site) -> str | None:
    for pool in (site.apps, site.streams):
        if pool:
            return _quote(pool[0].ref)
    return None


def _on_site(m: Message, site: Site) -> tuple[list[str], list[str]]:
    engine = engine_for(site)
    users = [u for u in site.users][:MAX_PROBES]
    facts: list[str] = []
    if m.key == "account_inactive":
        blocked = [u for u in users if u.inactive or u.blacklisted or u.removed_externally]
        facts = [f"{len(blocked)} user(s) are inactive, blocked or removed externally"
                 + (f": {', '.join(u.qualified for u in blocked[:5])}" if blocked else "")]
        target = _first_resource(site)
        if not blocked or target is None:
            return facts, ["users"]
        who = _quote(blocked[0].qualified)
        return facts, [f"decide --user {who} --resource {target}", f"why-not --user {who} --resource {target}",
                       f"show user:{who}"]
    if m.key in ("no_access_pass", "too_many_sessions"):
        target = _first_resource(site)
        if target is None:
            return ["the site has no stream or app to ask about"], ["licence"]
        refused = []
        for u in users:
            if u.inactive or u.blacklisted or u.removed_externally:
                continue
            d = engine.decide(make_request(target.strip("'"), "read", u.qualified), engine.new_state(), trace=False)
            if d.denied_by == "license":
                refused.append(u.qualified)
        if m.key == "no_access_pass":
            facts = [f"{len(refused)} user(s) get no access type on a fresh site"
                     + (f": {', '.join(refused[:5])}" if refused else "")]
            who = _quote(refused[0]) if refused else "USER"
            return facts, ["licence", f"decide --user {who} --resource {target}",
                           f"why-not --user {who} --resource {target}"]
        who = _quote(next((u.qualified for u in users if u.qualified not in refused), "USER"))
        return ["the cap is five sessions per user; `sessions` lists the open ones on the simulated clock"], [
            "sessions", *[f"decide --user {who} --resource {target} --session browser{i}" for i in range(1, 7)],
            "replay LOG (a log line with SessionCount is replayed with those sessions open)"]
    # access denied: which (user, app) pairs are refused by a rule, which by section access
    by_rules, by_table = [], []
    probes = 0
    for app in site.apps:
        for u in users:
            if probes >= MAX_PROBES:
                break
            probes += 1
            d = engine.decide(make_request(f"app:{app.id}", "read", u.qualified), engine.new_state(), trace=False)
            if d.denied_by == "security":
                by_rules.append((u.qualified, app))
            elif d.denied_by == "section_access":
                by_table.append((u.qualified, app))
    facts = [f"{len(by_rules)} user/app pair(s) are refused by the security rules, {len(by_table)} by section "
             f"access" + (f" (first {MAX_PROBES} pairs tried)" if probes >= MAX_PROBES else "")]
    commands = []
    for who, app in (by_table[:1] + by_rules[:1]):
        ref = _quote(f"app:{app.name}")
        commands += [f"decide --user {_quote(who)} --resource {ref}", f"why-not --user {_quote(who)} --resource {ref}"]
    if not commands:
        commands = ["apps", "decide --user USER --resource app:NAME"]
    commands.append("replay LOG (the Open app 403 lines of AuditSecurity_Repository.txt, each told apart)")
    return facts, commands
