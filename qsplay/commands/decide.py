"""decide: one request through the three phases, with its trace."""
from __future__ import annotations

import argparse

from ..engine import Decision, make_request
from ..model import UnknownReference
from ..render.text import render_decision
from ..rules.actions import normalize_action
from .base import CommandError, Output, Session, arguments, command


def add_request_arguments(p: argparse.ArgumentParser, words: bool = False) -> None:
    """The request flags; with `words`, the request may instead be said as `can` takes it."""
    if words:
        p.add_argument("words", nargs="*", metavar="USER ACTION RESOURCE",
                       help="the request in words, as can takes it (instead of the flags)")
    p.add_argument("--user", "-u", help="DIRECTORY\\id, or anonymous (a visitor), or anonymous:NAME")
    p.add_argument("--resource", "-r", required=not words, help="KIND:NAME or KIND:ID, e.g. stream:Sales, object:App/Sheet")
    p.add_argument("--action", "-a", default="read", help="read, update, publish, ... (default read)")
    p.add_argument("--context", "-c", default="hub", choices=("hub", "qmc"), help="where the request is made")
    p.add_argument("--proxy", "-p", default=None, help="virtual proxy prefix (default: the central proxy \"\")")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="a user.environment attribute, e.g. --env ip=10.0.0.5 (repeatable)")
    p.add_argument("--at", default=None, help="when (ISO time); default: the site's clock")
    p.add_argument("--session", default=None, help="which browser/device the request comes from")


def request_from_args(session: Session, args: argparse.Namespace):
    site = session.require_site()
    if getattr(args, "words", None):
        if args.resource is not None:
            raise CommandError("give the request in words or with --user/--resource, not both")
        parts = parse_sentence(args.words, session)
        args.user, args.action, args.resource = parts["user"], parts["action"], parts["resource"]
        args.context, args.proxy = parts["context"], parts["proxy"]
        args.at = parts["at"] or args.at
    elif getattr(args, "words", None) is not None and args.resource is None:
        raise CommandError("say the request: USER ACTION RESOURCE (as can takes it), or --user U --resource R")
    env: dict[str, list[str]] = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--env wants KEY=VALUE, not {item!r}")
        env.setdefault(key.strip(), []).append(value.strip())
    user = args.user if args.user is not None else session.settings.get("user")
    proxy = args.proxy if args.proxy is not None else session.settings.get("proxy", "")
    try:
        request = make_request(args.resource, args.action, user, proxy, args.context, env, args.at, args.session)
        site.find_resource(request.resource)
        if request.user is not None and not request.is_visitor:
            site.find_user(request.user)
    except (ValueError, UnknownReference) as exc:
        raise CommandError(str(exc))
    return request


def parse_sentence(words: list[str], session: Session) -> dict:
    """USER ACTION RESOURCE [in hub|qmc] [via PROXY] [as of TIME]; USER may be left out after `as`."""
    words = list(words)
    opts = {"context": "hub", "proxy": None}
    while len(words) >= 2 and words[-2] in ("in", "via", "at"):
        key, value = words[-2], words[-1]
        del words[-2:]
        if key == "in":
            if value not in ("hub", "qmc"):
                raise CommandError(f"'in' takes hub or qmc, not {value!r}")
            opts["context"] = value
        elif key == "via":
            opts["proxy"] = "" if value in ('""', "central", "''") else value
        else:
            opts["at"] = value
    if len(words) == 2 and session.settings.get("user") is not None:
        words = [session.settings["user"], *words]
    if len(words) != 3:
        hint = ("; a name with spaces needs quotes: \"app:Market Trends\" or 'CORP\\Jane Doe'"
                if len(words) > 3 else "")
        raise CommandError("say: USER ACTION RESOURCE [in hub|qmc] [via PROXY], e.g. "
                           f"can CORP\\alice read stream:Public in hub{hint}")
    user, action, resource = words
    if normalize_action(action) is None:
        raise CommandError(f"unknown action {action!r}")
    proxy = opts["proxy"] if opts["proxy"] is not None else session.settings.get("proxy", "")
    return {"user": None if user.lower() in ("nobody", "visitor") else user, "action": action,
            "resource": resource, "context": opts["context"], "proxy": proxy, "at": opts.get("at")}


STATE_HINT = "(asking changes the licence state as in Qlik; state lists the changes, reset starts over)"


class DecisionOutput(Output):
    """A decision; `brief` is the answer and its reason in a line (can), else the whole trace; `changes`
    says what the request changed in the licence state."""

    def __init__(self, decision: Decision, verbose: bool = False, brief: bool = False,
                 changes: list[str] = (), more: str = ""):
        super().__init__(data=decision.to_dict())
        self.decision = decision
        self.verbose = verbose
        self.brief, self.changes, self.more = brief, list(changes), more

    def to_text(self) -> str:
        text = self.decision.summary() + "\n" if self.brief else render_decision(self.decision, self.verbose)
        if self.changes:
            text += "note: this " + "; ".join(self.changes) + "\n      " + STATE_HINT + "\n"
        if self.brief and self.more:
            text += self.more + "\n"
        return text

    def to_html(self) -> str:
        import html
        try:
            from ..render.html import render_decision_html
        except ImportError:
            return super().to_html()
        whole = render_decision_html(self.decision)
        notes = "".join(f"<p>note: this {html.escape('; '.join(self.changes))} "
                        f"<i>{html.escape(STATE_HINT)}</i></p>" for _ in self.changes[:1])
        if self.brief:
            return f"<details><summary>{html.escape(self.decision.summary())}</summary>{whole}</details>{notes}"
        return whole + notes


@command("decide", "decide one request and show how each phase reached it",
         examples=("decide --user CORP\\alice --resource stream:Public --action publish",
                   "decide --user anonymous --proxy public --resource \"app:Market Trends\" --json"),
)
@arguments(lambda p: (add_request_arguments(p),
                      p.add_argument("--json", action="store_true", help="print the contract's JSON object"),
                      p.add_argument("--verbose", "-v", action="store_true",
                                     help="also list rules skipped for their action or context"),
                      p.add_argument("--expect", choices=("allow", "deny"),
                                     help="exit 1 unless the decision is this (for scripts and CI)")))
def run_decide(session: Session, args: argparse.Namespace) -> Output:
    request = request_from_args(session, args)
    try:
        decision, changes = session.decide(request)
    except UnknownReference as exc:
        raise CommandError(str(exc))
    out = DecisionOutput(decision, args.verbose, changes=changes)
    out.prefer = "json" if args.json else "text"
    if args.expect and decision.decision != args.expect:
        out.exit_code = 1
    return out
