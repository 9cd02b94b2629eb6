"""Replay the denials in a Qlik Sense audit-security log on a site, each at its timestamp.

Which lines are denials (each with the phase the log points to):
- licence: `Command=License user access;Result=403;ResultText=Error: Access denied` with "Login access
  denied for SessionID: ..., OperationType: 'UsageDenied'" (help "License user access", sense-admin
  May2022); the session cap: "Access was denied for User: 'Domain\\USER', with AccessID ...,
  SessionCount: '5', ... OperationType: 'UsageDenied'" (Qlik Support "Troubleshoot no access pass or
  too many sessions active in parallel"); `Command=Add user access from license;Result=400`
  (help "Add user access from license");
- opening an app: `Command=Open app;Result=403;ResultText=Error: Security`, a security rule or section
  access -- the log cannot tell which (help "Open app", sense-admin November2022); with "Your account
  is inactive" it is the account (authentication);
- any other line with a 4xx Result (the wazuh-qlik rules treat 4xx as ACCESS DENIED), replayed when
  it names a resource the site has.

The file is read line by line in bounded memory (lines over 1 MB are cut and counted); lines it does
not understand are counted with a few examples, never fatal. ProxySessionId is a salted hash, so a
line cannot be joined to other logs' sessions; a session-limit line is replayed with the SessionCount
it reports already open.
"""
from __future__ import annotations

import os
import stat
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import engine_for, make_request
from ..model import Site, UnknownReference
from .formats import (MAX_LINE_BYTES, LineProblem, LogLine, guess_columns, header_columns, parse_line,
                      session_count, user_in_message)

EXAMPLES = 5
CAUSES = {
    "no_access_pass": ("license", "no access pass (UsageDenied)"),
    "session_limit": ("license", "too many sessions in parallel (UsageDenied, SessionCount)"),
    "allocation_failed": ("license", "allocating access from the licence failed"),
    "inactive_user": ("authentication", "account inactive (Open app 403)"),
    "open_app_refused": ("security|section_access", "Open app refused: Error: Security"),
    "other_denial": ("?", "another 4xx result"),
}
EXPECTED = {"license": {"license"}, "authentication": {"authentication"},
            "security|section_access": {"security", "section_access"}, "?": {"authentication", "license",
                                                                             "security", "section_access"}}
_CANDIDATE = (b"Result=4", b"UsageDenied")


@dataclass
class Denial:
    line: int
    at: str | None
    user: str
    resource: str | None
    proxy: str
    cause: str
    logged: str  # the phase(s) the log points to
    text: str  # what the log says (command, result)
    verdict: str = ""  # agrees | site_allows | other_phase | not_replayed
    why_not_replayed: str = ""
    decision: object = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self, with_trace: bool = True) -> dict:
        out = {"line": self.line, "at": self.at, "user": self.user, "resource": self.resource, "proxy": self.proxy,
               "cause": self.cause, "logged_phase": self.logged, "log": self.text, "verdict": self.verdict,
               "notes": list(self.notes)}
        if self.why_not_replayed:
            out["why_not_replayed"] = self.why_not_replayed
        if self.decision is not None:
            out["decision"] = self.decision.to_dict() if with_trace else {
                "decision": self.decision.decision, "denied_by": self.decision.denied_by}
        return out


@dataclass
class ReplayResult:
    log: str
    site: str
    lines: int = 0
    understood: int = 0
    not_understood: int = 0
    examples: list[dict] = field(default_factory=list)  # a few lines not understood, with why
    denials: int = 0
    kept: list[Denial] = field(default_factory=list)  # the first `keep` denials, with their decisions
    table: Counter = field(default_factory=Counter)  # (logged phase, cause, verdict) -> count
    replayed_by: Counter = field(default_factory=Counter)  # (cause, the site's denied_by or allow) -> count
    notes: list[str] = field(default_factory=list)

    def summary_rows(self) -> list[dict]:
        rows: dict[str, dict] = {}
        for (cause, verdict), n in sorted(self.table.items()):
            row = rows.setdefault(cause, {"logged_phase": CAUSES[cause][0], "cause": cause,
                                          "what": CAUSES[cause][1], "count": 0, "agrees": 0, "site_allows": 0,
                                          "other_phase": 0, "not_replayed": 0, "site_phases": {}})
            row["count"] += n
            row[verdict] += n
        for (cause, phase), n in self.replayed_by.items():
            rows[cause]["site_phases"][phase] = n
        return list(rows.values())

    def to_dict(self, with_trace: bool = True) -> dict:
        return {"log": self.log, "site": self.site, "lines": self.lines, "understood": self.understood,
                "not_understood": {"count": self.not_understood, "examples": list(self.examples)},
                "denials": self.denials, "summary": self.summary_rows(),
                "replayed": [d.to_dict(with_trace) for d in self.kept], "notes": list(self.notes)}


def classify(line: LogLine) -> tuple[str, str] | None:
    """(cause, logged phase) of a denial line, or None for a line that is no denial."""
    message = line.message
    text = f"{line.result_text} {message}".lower()
    if "usagedenied" in text or (line.command.lower() == "license user access" and (line.result or 0) >= 400):
        cause = "session_limit" if session_count(message) is not None else "no_access_pass"
    elif line.command.lower() == "add user access from license" and (line.result or 0) >= 400:
        cause = "allocation_failed"
    elif line.command.lower() == "open app" and (line.result or 0) >= 400:
        cause = "inactive_user" if "inactive" in text else "open_app_refused"
    elif line.result is not None and 400 <= line.result < 500:
        cause = "other_denial"
    else:
        return None
    return cause, CAUSES[cause][0]


class Replayer:
    def __init__(self, site: Site, keep: int = 200):
        self.site, self.keep = site, keep
        self.engine = engine_for(site)
        self.memo: dict = {}

    def replay_line(self, line: LogLine, result: ReplayResult) -> None:
        got = classify(line)
        if got is None:
            return
        cause, logged = got
        result.denials += 1
        who = _user_of(line)
        denial = Denial(line.number, line.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z" if line.at else None,
                        who or "", None, _proxy_of(line), cause, logged,
                        f"{line.command} {line.result} {line.result_text}".strip())
        self._replay(denial, line)
        result.table[(cause, denial.verdict)] += 1
        if denial.decision is not None:
            result.replayed_by[(cause, denial.decision.denied_by or "allow")] += 1
        if len(result.kept) < self.keep:
            result.kept.append(denial)

    def _replay(self, denial: Denial, line: LogLine) -> None:
        site = self.site
        if not denial.user:
            return _not_replayed(denial, "the line names no user")
        if denial.user.upper().startswith("INTERNAL\\"):
            return _not_replayed(denial, f"{denial.user} is an internal service account")
        try:
            user = site.find_user(denial.user)
        except UnknownReference:
            return _not_replayed(denial, f"the user {denial.user} is not in the site")
        denial.user = user.qualified
        resource = _resource_of(site, line)
        if resource is None:
            if denial.cause in ("open_app_refused", "other_denial"):
                return _not_replayed(denial, "the line names no app or resource the site has")
            resource = _any_resource(site)
            if resource is None:
                return _not_replayed(denial, "the site has no stream or app to ask about")
            denial.notes.append(f"the line names no resource; {resource} is asked (the licence phase does not "
                                f"depend on it)")
        denial.resource = resource
        try:
            site.find_proxy(denial.proxy)
        except UnknownReference:
            denial.notes.append(f"the virtual proxy {denial.proxy!r} is not in the site; the central proxy is used")
            denial.proxy = ""
        count = session_count(line.message) if denial.cause == "session_limit" else 0
        when = line.at.replace(second=0, microsecond=0) if line.at else None
        key = (denial.user, resource, denial.proxy, count, when)
        decision = self.memo.get(key)
        if decision is None:
            decision = self._decide(denial, line, count or 0)
            if len(self.memo) > 10_000:
                self.memo.clear()
            self.memo[key] = decision
        denial.decision = decision
        if count:
            denial.notes.append(f"replayed with the {count} sessions the line reports already open")
        if decision.allowed:
            denial.verdict = "site_allows"
        elif decision.denied_by in EXPECTED[denial.logged]:
            denial.verdict = "agrees"
        else:
            denial.verdict = "other_phase"

    def _decide(self, denial: Denial, line: LogLine, sessions: int):
        state = self.engine.new_state()
        if line.at is not None:
            state.now = line.at  # a fresh site, replayed at the line's time
        for i in range(sessions):
            self.engine.decide(make_request(denial.resource, "read", denial.user, denial.proxy,
                                            session=f"log-session-{i + 1}"), state, trace=False)
        return self.engine.decide(make_request(denial.resource, "read", denial.user, denial.proxy,
                                               session="the denied request"), state)


def _not_replayed(denial: Denial, why: str) -> None:
    denial.verdict = "not_replayed"
    denial.why_not_replayed = why


def _user_of(line: LogLine) -> str | None:
    for d, u in (("UserDirectory", "UserId"), ("ActiveUserDirectory", "ActiveUserId")):
        if line.get(d).strip() and line.get(u).strip():
            return f"{line.get(d).strip()}\\{line.get(u).strip()}"
    return user_in_message(line.message)


def _proxy_of(line: LogLine) -> str:
    return line.get("VirtualProxy").strip().strip("{}").strip("/").lower()


def _resource_of(site: Site, line: LogLine) -> str | None:
    for key in ("AppId", "ObjectId", "ObjectName"):
        value = line.get(key).strip()
        if not value or value in ("0", "00000000-0000-0000-0000-000000000000"):
            continue
        for kind in ("app", "stream", "object"):
            try:
                return site.ref_of(site.find_resource(f"{kind}:{value}"))
            except UnknownReference:
                continue
    return None


def _any_resource(site: Site) -> str | None:
    for pool in (site.apps, site.streams):
        if pool:
            return site.ref_of(pool[0])
    return None


def open_log(path: str | Path):
    """A regular file opened for reading in binary (streamed, never read whole)."""
    from ..files import FileProblem
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem(f"{path}: not a regular file; not read")
    fh = open(path, "rb")
    if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
        fh.close()
        raise FileProblem(f"{path}: not a regular file; not read")
    return fh, info.st_size


def replay(log: str | Path, site: Site, keep: int = 200, progress: bool | None = None) -> ReplayResult:
    """Stream a log, replay each denial on the site. `progress`: None shows a bar on a terminal only."""
    fh, size = open_log(log)
    result = ReplayResult(str(log), site.name)
    columns, assumed = guess_columns(Path(log).name)
    replayer = Replayer(site, keep)
    bar = _progress_bar(size, progress)
    pending = 0
    minimum = len(columns) - 2  # tabs on a whole line (Checksum may be missing)
    try:
        number = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            pending += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of an overlong line without keeping it
                    more = fh.readline(MAX_LINE_BYTES)
                    pending += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                result.lines += 1
                _not_understood(result, number, f"longer than {MAX_LINE_BYTES:,} bytes")
                continue
            if pending >= 1 << 20 and bar is not None:
                bar.update(pending)
                pending = 0
            if number == 1 or raw.startswith(b"Sequence#"):
                header = header_columns(raw.decode("utf-8", "replace"))
                if header is not None:
                    columns, assumed = header, ""
                    minimum = len(columns) - 2
                    continue
            if number == 1 and assumed:
                result.notes.append(assumed)
            if not raw.strip():
                continue
            result.lines += 1
            tabs = raw.count(b"\t")
            if tabs < minimum or b"Command=" not in raw:
                _not_understood(result, number, f"{tabs + 1} tab-separated fields, {len(columns)} expected "
                                                f"(truncated?)" if 3 <= tabs < minimum else
                                "not a log line of this format (no tab-separated fields with a "
                                "Command=...;Result=... description)")
                continue
            if not any(marker in raw for marker in _CANDIDATE):
                result.understood += 1
                continue
            try:
                line = parse_line(raw.decode("utf-8", "replace"), number, columns)
            except LineProblem as exc:
                _not_understood(result, number, str(exc))
                continue
            result.understood += 1
            replayer.replay_line(line, result)
    finally:
        fh.close()
        if bar is not None:
            bar.update(pending)
            bar.close()
    return result


def _not_understood(result: ReplayResult, number: int, why: str) -> None:
    result.not_understood += 1
    if len(result.examples) < EXAMPLES:
        result.examples.append({"line": number, "reason": why})


def _progress_bar(size: int, progress: bool | None):
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return None
    from tqdm import tqdm
    return tqdm(total=size, unit="B", unit_scale=True, desc="replay", file=sys.stderr, leave=False)


VERDICT_WORDS = {"agrees": "the site agrees", "site_allows": "the site ALLOWS it",
                 "other_phase": "the site denies it in another phase", "not_replayed": "not replayed"}


def render_text(result: ReplayResult, limit: int = 20, trace: bool = False) -> str:
    from ..render.text import render_decision
    lines = [f"replay {result.log} on {result.site}: {result.lines:,} lines, {result.understood:,} understood, "
             f"{result.not_understood:,} not understood; {result.denials:,} denials"]
    for ex in result.examples:
        lines.append(f"  not understood: line {ex['line']}: {ex['reason']}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    rows = result.summary_rows()
    if rows:
        lines += ["", f"{'phase (log)':<24} {'cause':<18} {'count':>7} {'agrees':>7} {'allows':>7} {'other':>7} "
                      f"{'skipped':>7}  site's phases"]
        for r in rows:
            phases = ", ".join(f"{k} {v}" for k, v in sorted(r["site_phases"].items()))
            lines.append(f"{r['logged_phase']:<24} {r['cause']:<18} {r['count']:>7} {r['agrees']:>7} "
                         f"{r['site_allows']:>7} {r['other_phase']:>7} {r['not_replayed']:>7}  {phases}")
    shown = result.kept[:limit]
    if shown:
        lines += ["", f"denials replayed (first {len(shown)} of {result.denials:,}):"]
    for d in shown:
        head = f"line {d.line} at {d.at or '?'}: {d.user or '?'} -- {d.text} [{d.cause}]"
        if d.decision is None:
            lines.append(f"{head}\n    not replayed: {d.why_not_replayed}")
            continue
        lines.append(f"{head}\n    {VERDICT_WORDS[d.verdict]}: {d.decision.summary()}")
        for note in d.notes:
            lines.append(f"    ! {note}")
        if trace:
            lines += ["    " + t for t in render_decision(d.decision).rstrip().splitlines()]
    if result.denials > len(shown):
        lines.append(f"... {result.denials - len(shown):,} more denials counted in the table "
                     f"(--limit N shows more, --json lists the first {len(result.kept)})")
    return "\n".join(lines) + "\n"
