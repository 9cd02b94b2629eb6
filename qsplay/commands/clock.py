"""The simulated clock and licence usage: time, sessions, licence, logout, allocate, deallocate.
They work on the session's SiteState, the same one `decide`/`can` requests run against."""
from __future__ import annotations

import argparse

from ..model import UnknownReference, parse_duration, parse_time
from .base import CommandError, Output, Session, arguments, command

ACCESS_CHOICES = ("professional", "analyzer", "user_access")


@command("time", "show the simulated clock, or move it: time +90m, time 2026-11-03T09:00Z", scenarios="none",
         cli=False, examples=("time", "time +90m", "time +7d", "time 2026-12-01T00:00Z"))
@arguments(lambda p: p.add_argument("when", nargs="?", help="+DURATION (90m, 2h, 7d, 1h30m) or a UTC time"))
def run_time(session: Session, args: argparse.Namespace) -> Output:
    session.require_site()
    state = session.state
    events = []
    if args.when:
        try:
            relative = args.when.startswith("+") or not _looks_like_date(args.when)
            target = state.now + parse_duration(args.when) if relative else parse_time(args.when)
        except ValueError as exc:
            raise CommandError(f"{exc}; or a time like 2026-11-03T09:00Z") from None
        except OverflowError:
            raise CommandError("that is past the year 9999, where the clock ends") from None
        if target < state.now:
            raise CommandError(f"the clock only moves forward (it is {state.now:%Y-%m-%d %H:%M} UTC); "
                               f"reset starts over")
        events = state.advance_to(target)
    lines = [f"now {state.now:%Y-%m-%d %H:%M} UTC"] + [f"  {e}" for e in events]
    return Output("\n".join(lines) + "\n", data={"now": state.now.strftime("%Y-%m-%dT%H:%M:%SZ"), "events": events})


@command("state", "what asking changed in the licence state since the file was loaded (or reset)",
         scenarios="none", cli=False, examples=("state",))
def run_state(session: Session, args: argparse.Namespace) -> Output:
    session.require_site()
    log = session.state_log
    head = (f"since the file was loaded (clock {session.state.now:%Y-%m-%d %H:%M} UTC), requests changed the "
            f"licence state {len(log)} time{'s' if len(log) != 1 else ''}:" if log else
            "no request has changed the licence state since the file was loaded (or reset)")
    lines = [head] + [f"  {i}. {change}" for i, change in enumerate(log, 1)]
    lines.append("Qlik allocates access, opens sessions and counts capacity minutes when a user asks, so later "
                 "answers can differ (\"already has a session\"); these are not edits: diff and undo leave them, "
                 "reset starts over. licence and sessions show the state itself.")
    return Output("\n".join(lines) + "\n", data={"changes": list(log)})


@command("reset", "start the licence state over as the file describes it (edits are kept)", scenarios="none",
         cli=False, examples=("reset",))
def run_reset(session: Session, args: argparse.Namespace) -> Output:
    session.require_site()
    n = len(session.state_log)
    session.reset_state()
    return Output(f"the licence state is as in the file again (clock {session.state.now:%Y-%m-%d %H:%M} UTC, "
                  f"{n} change{'s' if n != 1 else ''} from requests undone); what-if edits are kept\n")


def _looks_like_date(text: str) -> bool:
    return len(text) >= 8 and text[4:5] == "-"


@command("sessions", "open proxy sessions: access type, capacity minutes or login passes used, time-outs",
         scenarios="none", cli=False)
def run_sessions(session: Session, args: argparse.Namespace) -> Output:
    session.require_site()
    state = session.state
    if not state.sessions:
        return Output(f"no open sessions at {state.now:%Y-%m-%d %H:%M} UTC\n", data=[])
    rows = []
    for s in state.sessions:
        row = {"user": s.user, "proxy": s.proxy, "browser": s.browser, "access_type": s.access_type,
               "rule": s.rule, "opened": _iso(s.opened), "last_activity": _iso(s.last_activity),
               "times_out": _iso(s.expires)}
        if s.access_type == "analyzer_capacity":
            row["capacity_minutes"] = s.capacity_minutes
        if s.access_type == "login_access":
            row["login_passes"] = s.passes
            window = state.login_windows.get(s.user_key)
            row["pass_runs_until"] = _iso(window) if window else None
        rows.append(row)
    lines = [f"{len(rows)} open session(s) at {state.now:%Y-%m-%d %H:%M} UTC"]
    for s, r in zip(state.sessions, rows):
        usage = ""
        if "capacity_minutes" in r:
            usage = f", {r['capacity_minutes']} capacity minutes"
        elif "login_passes" in r:
            window = state.login_windows.get(s.user_key)
            usage = f", {r['login_passes']} login pass(es)" + (f", pass runs until {window:%H:%M}" if window else "")
        where = f"/{s.proxy}" if s.proxy else "central proxy"
        lines.append(f"  {s.user} via {where} ({s.browser}): {s.access_type}{usage}; opened {s.opened:%H:%M}, "
                     f"last active {s.last_activity:%H:%M}, times out {s.expires:%H:%M}")
    return Output("\n".join(lines) + "\n", data=rows)


@command("licence", "licence usage: allocations, quarantine, capacity minutes, tokens and passes left",
         scenarios="none", cli=False, aliases=("license",))
def run_licence(session: Session, args: argparse.Namespace) -> Output:
    from ..engine.licensing import PASSES_PER_TOKEN, Licensing
    site = session.require_site()
    state, lic = session.state, site.license
    licensing = Licensing(site)
    names = {u.key: u.qualified for u in site.users}
    lines = [f"licence key: {lic.key}  (clock {state.now:%Y-%m-%d %H:%M} UTC)"]
    data: dict = {"key": lic.key, "now": _iso(state.now)}
    for t in ACCESS_CHOICES:
        if t == "user_access" and not lic.tokens:
            continue
        holders = sorted(names.get(k, k) for (k, at) in state.allocations if at == t)
        parked = [{"user": q.user, "until": _iso(q.until)} for (_, at), q in state.quarantine.items()
                  if at == t and q.until > state.now]
        total = lic.tokens if t == "user_access" else getattr(lic, t)
        if not (total or holders or parked):
            continue
        label = "user access passes" if t == "user_access" else t
        line = f"{label}: {len(holders)} allocated, {len(parked)} quarantined"
        if t != "user_access":
            line += f", {max(total - len(holders) - len(parked), 0)} of {total} free"
        if holders:
            line += f" — {', '.join(holders)}"
        if parked:
            line += "; quarantined: " + ", ".join(f"{p['user']} until {p['until'][:16].replace('T', ' ')}"
                                                  for p in parked)
        lines.append(line)
        data[t] = {"total": total, "allocated": holders, "quarantined": parked}
    if lic.analyzer_capacity_minutes or lic.overage_minutes:
        used, left = state.capacity_used(), licensing.capacity_left(state, state.now)
        overage = ("unlimited overage" if lic.overage_minutes == -1 else
                   f"{lic.overage_minutes} overage" if lic.overage_minutes else "no overage")
        lines.append(f"analyzer capacity: {used} of {lic.analyzer_capacity_minutes} minutes used in "
                     f"{state.now:%Y-%m} ({overage}; {'unlimited' if left is None else left} left); "
                     f"resets 00:00 UTC on the 1st"
                     + ("" if lic.key == "signed" else " — unusable: needs a signed key"))
        data["analyzer_capacity"] = {"minutes": lic.analyzer_capacity_minutes, "overage": lic.overage_minutes,
                                     "used_this_month": used, "left": left}
    if lic.tokens:
        free = licensing.free_tokens(state)
        lines.append(f"tokens: {lic.tokens} ({free} free)")
        groups = []
        for rule in site.license_rules:
            if rule.type == "login_access":
                passes = rule.tokens * PASSES_PER_TOKEN
                used = state.passes_used(rule.name)
                back = state.next_pass_return(rule.name)
                lines.append(f"  login access group \"{rule.name}\": {rule.tokens} tokens = {passes} passes, "
                             f"{used} used in the last 28 days, {passes - used} left"
                             + (f"; next returns {back:%Y-%m-%d %H:%M}" if back else ""))
                groups.append({"rule": rule.name, "tokens": rule.tokens, "passes": passes, "used": used,
                               "left": passes - used, "next_return": _iso(back) if back else None})
        data["tokens"] = {"total": lic.tokens, "free": free, "login_access_groups": groups}
    return Output("\n".join(lines) + "\n", data=data)


def _iso(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(session: Session, ref: str):
    try:
        return session.require_site().find_user(ref)
    except UnknownReference as exc:
        raise CommandError(str(exc)) from None


@command("logout", "end a user's sessions (all, or one browser with --session)", scenarios="none", cli=False,
         examples=("logout CORP\\alice", "logout CORP\\alice --session phone", "logout anonymous:v1"))
@arguments(lambda p: (p.add_argument("user"), p.add_argument("--session", help="which browser or device")))
def run_logout(session: Session, args: argparse.Namespace) -> Output:
    from ..engine.licensing import logout
    if args.user.lower() == "anonymous" or args.user.lower().startswith("anonymous:"):
        from ..engine.authentication import anonymous_user
        user = anonymous_user(session.require_site(), args.user.partition(":")[2])
    else:
        user = _user(session, args.user)
    events = logout(session.state, user.key, args.session)
    return Output("\n".join(events or [f"{user.qualified} has no open session"]) + "\n", data={"events": events})


@command("deallocate", "take a user's allocated access away (quarantine applies where Qlik documents it)",
         scenarios="none", cli=False, examples=("deallocate CORP\\bob", "deallocate CORP\\bob --access analyzer"))
@arguments(lambda p: (p.add_argument("user"), p.add_argument("--access", choices=ACCESS_CHOICES)))
def run_deallocate(session: Session, args: argparse.Namespace) -> Output:
    from ..engine.licensing import deallocate
    user = _user(session, args.user)
    text = deallocate(session.site, session.state, user.key, user.qualified, args.access)
    return Output(text + "\n", data={"message": text})


@command("allocate", "allocate access to a user, or reinstate it from quarantine (QMC: Allocate)",
         scenarios="none", cli=False, examples=("allocate CORP\\bob professional",))
@arguments(lambda p: (p.add_argument("user"), p.add_argument("access", choices=ACCESS_CHOICES)))
def run_allocate(session: Session, args: argparse.Namespace) -> Output:
    from ..engine.licensing import allocate_access
    user = _user(session, args.user)
    try:
        text = allocate_access(session.site, session.state, user, args.access)
    except ValueError as exc:
        raise CommandError(f"not allocated: {exc}", exit_code=1) from None
    return Output(text + "\n", data={"message": text})
