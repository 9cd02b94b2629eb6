"""What changes as a site is used: the simulated clock, allocations, quarantine, sessions, analyzer
capacity minutes and login access passes. A file's checks run against one SiteState, so they form
a small "day in the life"; the shell keeps one per session.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..model import Site

QUARANTINE = timedelta(days=7)
PASS_RETURN = timedelta(days=28)
CAP_COOLDOWN = timedelta(minutes=5)
SESSION_CAP = 5
ALLOCATED_TYPES = ("professional", "analyzer", "user_access")  # per-user allocations, in Qlik's order


@dataclass
class Allocation:
    access_type: str  # professional | analyzer | user_access
    since: datetime
    last_used: datetime | None = None
    rule: str | None = None  # the licence rule that allocated it, if any
    excess: bool = False  # QRS `excess`: held beyond the licence's quota
    holder: str = ""  # who holds it, for messages (a deleted user's allocation has no user key)


@dataclass
class Quarantine:
    access_type: str
    user: str  # qualified name, for messages
    until: datetime
    last_used: datetime | None = None


@dataclass
class Session:
    """A proxy session: one user, one proxy, one browser/device."""
    user_key: str
    user: str
    proxy: str
    browser: str
    opened: datetime
    last_activity: datetime
    timeout: timedelta
    access_type: str
    rule: str | None = None
    capacity_periods: set[int] = field(default_factory=set)  # 6-minute periods already paid for
    passes: int = 0  # login access passes this session used

    @property
    def expires(self) -> datetime:
        return self.last_activity + self.timeout

    @property
    def capacity_minutes(self) -> int:
        return 6 * len(self.capacity_periods)


@dataclass
class SiteState:
    now: datetime
    allocations: dict[tuple[str, str], Allocation] = field(default_factory=dict)  # (user key, type) ->
    quarantine: dict[tuple[str, str], Quarantine] = field(default_factory=dict)  # (user key, type) ->
    sessions: list[Session] = field(default_factory=list)  # open sessions
    closed: list[tuple[Session, datetime, str]] = field(default_factory=list)  # (session, when, why)
    capacity_minutes: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" -> minutes used
    login_passes: dict[str, list[datetime]] = field(default_factory=dict)  # rule -> when each pass was used
    login_windows: dict[str, datetime] = field(default_factory=dict)  # user key -> end of the current pass
    cooldown: dict[str, datetime] = field(default_factory=dict)  # user key -> may open a session again at

    @classmethod
    def start(cls, site: Site) -> "SiteState":
        state = cls(now=site.now)
        for user in site.users:
            for access in user.access:
                state.allocations[(user.key, access)] = Allocation(access, site.now, holder=user.qualified)
        state.take_over(site)
        return state

    def take_over(self, site: Site) -> None:
        """Start from the site's licence state at `now` (`license.allocations`, capacity used, login
        passes used): what a pulled site's QMC showed at the time of the dump."""
        lic = site.license
        for rec in lic.allocations:
            key = f"deleted:{rec.user.casefold()}" if rec.deleted else site.find_user(rec.user).key
            if rec.quarantined_until is not None:
                self.quarantine[(key, rec.access)] = Quarantine(rec.access, rec.user, rec.quarantined_until,
                                                                rec.last_used)
            else:
                self.allocations[(key, rec.access)] = Allocation(rec.access, rec.last_used or site.now,
                                                                 rec.last_used, excess=rec.excess, holder=rec.user)
        if lic.capacity_used_minutes:
            self.capacity_minutes[month_key(site.now)] = lic.capacity_used_minutes
        for rule in site.license_rules:
            if rule.passes_used:
                self.login_passes[rule.name] = list(rule.passes_used)

    # -- clock -----------------------------------------------------------------------------------
    def advance_to(self, when: datetime) -> list[str]:
        """Move the clock forward (never back); returns what happened on the way (sessions that
        timed out)."""
        events = []
        if when > self.now:
            self.now = when
        elif when < self.now:
            events.append(f"{when:%Y-%m-%d %H:%M} is earlier than the simulated clock; the clock never goes "
                          f"back, so this happens at {self.now:%Y-%m-%d %H:%M} UTC")
        for s in sorted((s for s in self.sessions if s.expires <= self.now), key=lambda s: s.expires):
            if s.expires <= self.now:
                events.append(self.close(s, s.expires, f"inactive for {int(s.timeout.total_seconds() // 60)} "
                                                       f"minutes (the proxy's session inactivity timeout)"))
        return events

    def close(self, session: Session, when: datetime, why: str) -> str:
        at_cap = len(self.user_sessions(session.user_key)) >= SESSION_CAP
        self.sessions.remove(session)
        self.closed.append((session, when, why))
        if at_cap:
            self.cooldown[session.user_key] = when + CAP_COOLDOWN
        where = f"/{session.proxy}" if session.proxy else "the central proxy"
        return f"{session.user}'s session via {where} ({session.browser}) ended at {when:%Y-%m-%d %H:%M}: {why}"

    # -- allocations -----------------------------------------------------------------------------
    def allocation(self, user_key: str, access_type: str) -> Allocation | None:
        return self.allocations.get((user_key, access_type))

    def allocated_types(self, user_key: str) -> list[str]:
        return [t for t in ALLOCATED_TYPES if (user_key, t) in self.allocations]

    def quarantined(self, user_key: str, access_type: str) -> Quarantine | None:
        """The user's quarantined allocation of this type, while its quarantine lasts."""
        q = self.quarantine.get((user_key, access_type))
        return q if q is not None and q.until > self.now else None

    def in_use(self, access_type: str) -> int:
        """Allocations of a type held by users or in quarantine (neither can be given to others)."""
        held = sum(1 for (_, t) in self.allocations if t == access_type)
        parked = sum(1 for (_, t), q in self.quarantine.items() if t == access_type and q.until > self.now)
        return held + parked

    def holder(self, user_key: str) -> str | None:
        """The first access type allocated to the user, in Qlik's order (None: none)."""
        types = self.allocated_types(user_key)
        return types[0] if types else None

    # -- usage -----------------------------------------------------------------------------------
    def capacity_used(self, when: datetime | None = None) -> int:
        return self.capacity_minutes.get(month_key(when or self.now), 0)

    def passes_used(self, rule: str) -> int:
        """Login access passes used within the last 28 days ("Passes are released every 28 days")."""
        cutoff = self.now - PASS_RETURN
        return sum(1 for t in self.login_passes.get(rule, []) if t > cutoff)

    def next_pass_return(self, rule: str) -> datetime | None:
        """When the oldest pass still counted comes back."""
        cutoff = self.now - PASS_RETURN
        used = [t for t in self.login_passes.get(rule, []) if t > cutoff]
        return min(used) + PASS_RETURN if used else None

    def holders(self, access_type: str) -> list[tuple[str, Allocation]]:
        """Who holds the allocations of a type, most recently used first."""
        held = [(a.holder or key, a) for (key, t), a in self.allocations.items() if t == access_type]
        return sorted(held, key=lambda h: h[1].last_used or h[1].since, reverse=True)

    def user_sessions(self, user_key: str) -> list[Session]:
        return [s for s in self.sessions if s.user_key == user_key]


def month_key(when: datetime) -> str:
    """Analyzer capacity resets at 00:00 UTC on the first day of each calendar month."""
    return when.strftime("%Y-%m")


@dataclass(frozen=True)
class StateMark:
    """What a SiteState held at one moment, to say afterwards what a request changed."""
    allocations: frozenset
    sessions: frozenset
    capacity: int
    passes: int
    month: str


def mark(state: SiteState) -> StateMark:
    return StateMark(frozenset(state.allocations), frozenset(id(s) for s in state.sessions),
                     state.capacity_used(), sum(len(v) for v in state.login_passes.values()), month_key(state.now))


def changes_since(before: StateMark, state: SiteState, names: dict[str, str]) -> list[str]:
    """In words, what asking changed: Qlik allocates licences, opens sessions and counts capacity
    minutes and passes when a request is made, so a later answer may differ for this reason."""
    changes = []
    for key in sorted(set(state.allocations) - before.allocations):
        user_key, access = key
        rule = state.allocations[key].rule
        changes.append(f"allocated {access.replace('_', ' ')} access to {names.get(user_key, user_key)}"
                       + (f" (licence rule \"{rule}\")" if rule else "") + "; it stays allocated")
    for key in sorted(before.allocations - set(state.allocations)):
        changes.append(f"{names.get(key[0], key[0])}'s {key[1].replace('_', ' ')} allocation ended")
    for s in state.sessions:
        if id(s) not in before.sessions:
            where = f"/{s.proxy}" if s.proxy else "the central proxy"
            changes.append(f"opened a session for {s.user} via {where} with {s.access_type.replace('_', ' ')}")
    used = state.capacity_used() - (before.capacity if month_key(state.now) == before.month else 0)
    if used > 0:
        changes.append(f"{used} analyzer capacity minutes used ({state.capacity_used()} this month)")
    passes = sum(len(v) for v in state.login_passes.values()) - before.passes
    if passes > 0:
        changes.append(f"{passes} login access pass{'es' if passes != 1 else ''} used")
    return changes
