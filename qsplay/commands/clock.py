"""The simulated clock and licence usage: time, sessions, licence, logout, deallocate."""
from __future__ import annotations

import argparse

from ..engine.licensing import PASSES_PER_TOKEN, deallocate, logout
from ..model import UnknownReference, parse_duration, parse_time
from .base import CommandError, Output, Session, arguments, command


@command("time", "show the simulated clock, or move it: time +90m, time 2026-11-03T09:00Z", scenarios="none",
         cli=False, examples=("time", "time +90m", "time +7d", "time 2026-12-01T00:00Z"))
@arguments(lambda p: p.add_argument("when", nargs="?"))
def run_time(session: Session, args: argparse.Namespace) -> Output:
    session.require_site()
    state = session.state
    events = []
    if args.when:
        try:
            target = (state.now + parse_duration(args.when) if args.when[0] in "+0123456789" and
                      not _looks_like_date(args.when) else parse_time(args.when))
        except ValueError as exc:
            raise CommandError(str(exc))
        if target < state.now:
            raise CommandError("the clock only moves forward (load the file again to start over)")
        events = state.advance_to(target)
    lines = [f"now {state.now:%Y-%m-%d %H:%M} UTC"] + [f"  {e}" for e in events]
    return Output("\n".join(lines) + "\n", data={"now": state.now.isoformat(), "events": events})


def _looks_like_date(text: str) -> bool:
    return len(text) >= 8 and text[4:5] == "-"


@command("sessions", "open proxy sessions, with their access type and when they time out", scenarios="none",
         cli=False)
def run_sessions(session: Session, args: argparse.Namespace) -> Output:
    session.require_site()
    state = session.state
    if not state.sessions:
        return Output(f"no open sessions at {state.now:%Y-%m-%d %H:%M} UTC\n", data=[])
    rows = [{"user": s.user, "proxy": s.proxy, "browser": s.browser, "access_type": s.access_type,
             "opened": f"{s.opened:%H:%M}", "last_activity": f"{s.last_activity:%H:%M}",
             "times_out": f"{s.expires:%H:%M}"} for s in state.sessions]
    lines = [f"{len(rows)} open session(s) at {state.now:%Y-%m-%d %H:%M} UTC"]
    lines += [f"  {r['user']} via /{r['proxy']} ({r['browser']}): {r['access_type']}, opened {r['opened']}, "
              f"last active {r['last_activity']}, times out {r['times_out']}" for r in rows]
    return Output("\n".join(lines) + "\n", data=rows)


@command("licence", "licence usage: allocations, quarantine, capacity minutes, tokens and passes",
         scenarios="none", cli=False, aliases=("license",))
def run_licence(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    state, lic = session.state, site.license
    from ..engine.licensing import Licensing
    lines = [f"licence key: {lic.key}  (clock {state.now:%Y-%m-%d %H:%M} UTC)"]
    data = {"key": lic.key}
    for t in ("professional", "analyzer"):
        holders = [u.qualified for u in site.users if state.holder(u.key) == t]
        parked = [f"{q.user} until {q.until:%Y-%m-%d}" for q in state.quarantine.values()
                  if q.access_type == t and q.until > state.now]
        lines.append(f"{t}: {state.in_use(t)} of {getattr(lic, t)} in use"
                     + (f" — {', '.join(holders)}" if holders else "")
                     + (f"; quarantined: {', '.join(parked)}" if parked else ""))
        data[t] = {"total": getattr(lic, t), "allocated": holders, "quarantined": parked}
    used = state.capacity_used()
    overage = "unlimited overage" if lic.overage_minutes == -1 else f"{lic.overage_minutes} overage"
    lines.append(f"analyzer capacity: {used} of {lic.analyzer_capacity_minutes} minutes used in "
                 f"{state.now:%Y-%m} ({overage}); resets 00:00 UTC on the 1st")
    data["analyzer_capacity"] = {"minutes": lic.analyzer_capacity_minutes, "used_this_month": used}
    if lic.tokens:
        free = Licensing(site).free_tokens(state)
        lines.append(f"tokens: {lic.tokens} ({free} free)")
        for rule in site.license_rules:
            if rule.type == "login_access":
                passes = rule.tokens * PASSES_PER_TOKEN
                lines.append(f"  login access group \"{rule.name}\": {rule.tokens} tokens = {passes} passes, "
                             f"{state.passes_used(rule.name)} used in the last 28 days")
        data["tokens"] = {"total": lic.tokens, "free": free}
    return Output("\n".join(lines) + "\n", data=data)


def _user(session: Session, ref: str):
    try:
        return session.require_site().find_user(ref)
    except UnknownReference as exc:
        raise CommandError(str(exc))


@command("logout", "end a user's sessions (all, or one browser with --session)", scenarios="none", cli=False,
         examples=("logout CORP\\alice",))
@arguments(lambda p: (p.add_argument("user"), p.add_argument("--session")))
def run_logout(session: Session, args: argparse.Namespace) -> Output:
    if args.user.lower().startswith("anonymous"):
        from ..engine.authentication import anonymous_user
        user = anonymous_user(session.require_site(), args.user.partition(":")[2])
    else:
        user = _user(session, args.user)
    events = logout(session.state, user.key, args.session)
    return Output("\n".join(events or [f"{user.qualified} has no open session"]) + "\n")


@command("deallocate", "take a user's allocated access away (quarantine applies where Qlik documents it)",
         scenarios="none", cli=False, examples=("deallocate CORP\\bob",))
@arguments(lambda p: p.add_argument("user"))
def run_deallocate(session: Session, args: argparse.Namespace) -> Output:
    user = _user(session, args.user)
    return Output(deallocate(session.site, session.state, user.key, user.qualified) + "\n")
