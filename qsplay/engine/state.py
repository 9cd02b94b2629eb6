"""What changes as a site is used: the simulated clock, allocations, minutes and passes used.

A file's checks run against one SiteState, so they form a small "day in the life".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..model import Site


@dataclass
class SiteState:
    now: datetime
    allocations: dict[str, str] = field(default_factory=dict)  # user key -> professional|analyzer|user_access
    allocated_by_rule: dict[str, str] = field(default_factory=dict)  # user key -> licence rule name
    capacity_minutes_used: int = 0
    login_passes_used: dict[str, int] = field(default_factory=dict)  # licence rule name -> passes used
    sessions: dict[tuple, datetime] = field(default_factory=dict)  # (user key, proxy, session) -> opened

    @classmethod
    def start(cls, site: Site) -> "SiteState":
        state = cls(now=site.now)
        for user in site.users:
            for access in user.access:
                state.allocations[user.key] = access
        return state

    def in_use(self, access_type: str) -> int:
        return sum(1 for a in self.allocations.values() if a == access_type)

    def advance_to(self, when: datetime) -> None:
        if when > self.now:
            self.now = when
