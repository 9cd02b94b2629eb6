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


@dataclass
class Allocation:
    access_type: str  # professional | analyzer | user_access
    since: datetime
    last_used: datetime | None = None
    rule: str | None = None  # the licence rule that allocated it, if any


@dataclass
class Quarantine:
    access_type: str
    user: str  # qualified name, for messages
    until: datetime


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

    @property
    def expires(self) -> datetime:
        return self.last_activity + self.timeout


@dataclass
class SiteState:
    now: datetime
    allocations: dict[str, Allocation] = field(default_factory=dict)  # user key -> allocation
    quarantine: dict[str, Quarantine] = field(default_factory=dict)  # user key -> quarantined access
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
                state.allocations[user.key] = Allocation(access, site.now)
        return state

    # -- clock -----------------------------------------------------------------------------------
    def advance_to(self, when: datetime) -> list[str]:
        """Move the clock forward (never back); returns what happened on the way (sessions that
        timed out)."""
        events = []
        if when > self.now:
            self.now = when
        for s in list(self.sessions):
            if s.expires <= self.now:
                events.append(self.close(s, s.expires, f"inactive for {int(s.timeout.total_seconds() // 60)} "
                                                       f"minutes (the proxy's session inactivity timeout)"))
        return events

    def close(self, session: Session, when: datetime, why: str) -> str:
        at_cap = sum(1 for s in self.sessions if s.user_key == session.user_key) >= 5
        self.sessions.remove(session)
        self.closed.append((session, when, why))
        if at_cap:
            self.cooldown[session.user_key] = when + CAP_COOLDOWN
        return f"{session.user}'s session via /{session.proxy} ({session.browser}) ended at " \
               f"{when:%Y-%m-%d %H:%M}: {why}"

    # -- pools -----------------------------------------------------------------------------------
    def in_use(self, access_type: str) -> int:
        """Allocations of a type held by users or in quarantine (neither can be given to others)."""
        held = sum(1 for a in self.allocations.values() if a.access_type == access_type)
        parked = sum(1 for q in self.quarantine.values() if q.access_type == access_type and q.until > self.now)
        return held + parked

    def holder(self, user_key: str) -> str | None:
        alloc = self.allocations.get(user_key)
        return alloc.access_type if alloc else None

    def capacity_used(self, when: datetime | None = None) -> int:
        return self.capacity_minutes.get(_month(when or self.now), 0)

    def passes_used(self, rule: str) -> int:
        """Login access passes used within the last 28 days ("Passes are released every 28 days")."""
        cutoff = self.now - PASS_RETURN
        return sum(1 for t in self.login_passes.get(rule, []) if t > cutoff)

    def user_sessions(self, user_key: str) -> list[Session]:
        return [s for s in self.sessions if s.user_key == user_key]


def _month(when: datetime) -> str:
    """Analyzer capacity resets at 00:00 UTC on the first day of each calendar month."""
    return when.strftime("%Y-%m")


def month_key(when: datetime) -> str:
    return _month(when)
