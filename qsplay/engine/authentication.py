"""The authentication phase: the virtual proxy decides who the requester is.

Anonymous access mode (QMC, virtual proxy > Authentication): "No anonymous user" (default):
users must supply identity and credentials; "Allow anonymous user": users enter as anonymous and
can switch to a user account; "Always anonymous user": all users are anonymous. An anonymous
requester is "identified as NONE\\anonymous<GUID>" (Qlik KB 000035663).
"""
from __future__ import annotations

import uuid

from ..model import ANONYMOUS_LABELS, Site, UnknownReference, User
from .decision import Identity, Step
from .request import Request

INACTIVE_MESSAGE = "Your account is inactive. Contact your administrator to activate it."
_VISITOR_NS = uuid.UUID("0c6f4f0e-5a8e-4bd3-9d3e-6f1f9a3c2b10")


def anonymous_user(site: Site, visitor: str) -> User:
    """NONE\\anonymous<guid>: one stable identity per named visitor in a site."""
    guid = uuid.uuid5(_VISITOR_NS, f"{site.name}|{visitor or 'visitor'}")
    return User(id=str(guid), name=f"anonymous{guid}", directory="NONE", user_id=f"anonymous{guid}",
                is_anonymous=True)


def authenticate(site: Site, request: Request, steps: list[Step]) -> Identity:
    def step(text: str, outcome: str = "info") -> None:
        steps.append(Step("authentication", text, outcome))

    try:
        proxy = site.find_proxy(request.proxy)
    except UnknownReference as exc:
        step(f"The request arrives at a virtual proxy that does not exist: {exc}.", "fail")
        return Identity(None, False, "refused", None, f"No virtual proxy with prefix {request.proxy!r}.")
    if not site.virtual_proxies:
        step("The site declares no virtual proxy, so the request uses Qlik's default central proxy "
             "(prefix \"\", anonymous access mode: No anonymous user).", "note")
    mode = ANONYMOUS_LABELS[proxy.anonymous]
    step(f"The request arrives at {proxy.label}: authentication {proxy.authentication}, "
         f"anonymous access mode \"{mode}\", session inactivity timeout {proxy.session_timeout_minutes} min.")

    if request.is_visitor:
        if proxy.anonymous == "none":
            step(f"The visitor has not signed in and {proxy.label} is set to \"{mode}\": Qlik asks for "
                 f"credentials, so the request goes no further.", "fail")
            return Identity(None, False, "refused", proxy,
                            "Users must supply user identity and credentials (anonymous access mode: No anonymous user).")
        user = anonymous_user(site, request.visitor_name)
        step(f"The visitor has not signed in; with \"{mode}\" the proxy lets them in as {user.qualified} "
             f"(user.userDirectory = \"NONE\", user.IsAnonymous() is true).", "pass")
        return Identity(user, True, "anonymous", proxy)

    wanted = (request.user or "").removeprefix("user:").replace("/", "\\").casefold()
    if wanted in site.extra.get("deleted_users", ()):
        step(f"{request.user} was deleted (a step of this file): \"The user will not be part of the Qlik Sense "
             f"system\" (help, Deleting users).", "fail")
        return Identity(None, False, "refused", proxy, "The user was deleted.")
    user = site.find_user(request.user)
    if proxy.anonymous == "always":
        anon = anonymous_user(site, user.qualified)
        step(f"{proxy.label} is set to \"Always anonymous user\": everyone is anonymous, so "
             f"{user.qualified}'s own identity is not used; they are {anon.qualified}.", "note")
        return Identity(anon, True, "anonymous", proxy)
    why = refused_because(user)
    if why is not None:
        step(f"{user.qualified} is {why}: \"{INACTIVE_MESSAGE}\"", "fail")
        return Identity(user, False, "refused", proxy, INACTIVE_MESSAGE)
    step(f"{user.qualified} signs in through {proxy.label} ({proxy.authentication} authentication).", "pass")
    return Identity(user, False, "user", proxy)


def refused_because(user) -> str | None:
    """Why the proxy refuses a signed-in user before any licence or rule is looked at (None: it does
    not). The one test: decide's authentication and the audit share it."""
    if user.inactive:
        return "inactive"
    if user.blacklisted:
        return "blocked"
    if user.removed_externally:
        return "removed externally (gone from the user directory)"
    return None
