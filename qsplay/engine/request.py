"""A request: which proxy, who, which resource, which action, in which context, when."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..rules.actions import REQUEST_CONTEXTS, normalize_action

ANONYMOUS = "anonymous"
# actions other platforms add (Qlik Cloud: open, copy_link, toggle_anonymous_access, ...)
PLATFORM_ACTIONS: set[str] = set()


@dataclass
class Request:
    resource: str  # KIND:NAME or KIND:ID
    action: str = "read"
    user: str | None = None  # DIRECTORY\id, 'anonymous', 'anonymous:NAME', or None (not signed in)
    proxy: str = ""
    context: str = "hub"
    environment: dict[str, list[str]] = field(default_factory=dict)
    at: datetime | None = None
    session: str | None = None  # which browser/device (extension): one user's sessions are counted by it

    @property
    def is_visitor(self) -> bool:
        """A visitor who has not signed in (no user, or anonymous / anonymous:NAME)."""
        return self.user is None or self.user.lower() == ANONYMOUS or self.user.lower().startswith(ANONYMOUS + ":")

    @property
    def visitor_name(self) -> str:
        if self.user and ":" in self.user and self.user.lower().startswith(ANONYMOUS + ":"):
            return self.user.split(":", 1)[1]
        return ""

    def to_dict(self) -> dict:
        out = {"proxy": self.proxy, "user": self.user if self.user is not None else ANONYMOUS,
               "resource": self.resource, "action": self.action, "context": self.context}
        if self.environment:
            out["environment"] = {k: list(v) for k, v in self.environment.items()}
        if self.at is not None:
            out["at"] = self.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.session:
            out["session"] = self.session
        return out


def make_request(resource: str, action: str = "read", user: str | None = None, proxy: str | None = "",
                 context: str | None = "hub", environment: dict | None = None, at=None,
                 session: str | None = None) -> Request:
    """Build a request, normalising and validating its parts (ValueError on bad input)."""
    norm = normalize_action(action or "")
    if norm is None and (action or "").lower() in PLATFORM_ACTIONS:
        norm = action.lower()
    if norm is None:
        raise ValueError(f"unknown action {action!r}")
    ctx = (context or "hub").lower()
    if ctx not in REQUEST_CONTEXTS:
        raise ValueError(f"context must be hub or qmc, not {context!r}")
    env = {str(k): [_env_value(x) for x in (v if isinstance(v, (list, tuple)) else [v])]
           for k, v in (environment or {}).items()}
    if at is not None and not isinstance(at, datetime):
        from ..model.entities import parse_time
        at = parse_time(at)
    user = None if user in (None, "") else str(user)
    return Request(resource=str(resource), action=norm, user=user, proxy=(proxy or "").strip("/"),
                   context=ctx, environment=env, at=at, session=session)


def _env_value(value) -> str:
    """`secure: true` (YAML) is the text "true", as rules compare it (`user.environment.secureRequest="true"`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
