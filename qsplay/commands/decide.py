"""decide: one request through the three phases, with its trace."""
from __future__ import annotations

import argparse

from ..engine import Decision, make_request
from ..model import UnknownReference
from ..render.text import render_decision
from .base import CommandError, Output, Session, arguments, command


def add_request_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", "-u", help="DIRECTORY\\id, or anonymous (a visitor), or anonymous:NAME")
    p.add_argument("--resource", "-r", required=True, help="KIND:NAME or KIND:ID, e.g. stream:Sales, object:App/Sheet")
    p.add_argument("--action", "-a", default="read", help="read, update, publish, ... (default read)")
    p.add_argument("--context", "-c", default="hub", choices=("hub", "qmc"), help="where the request is made")
    p.add_argument("--proxy", "-p", default=None, help="virtual proxy prefix (default: the central proxy \"\")")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="a user.environment attribute, e.g. --env ip=10.0.0.5 (repeatable)")
    p.add_argument("--at", default=None, help="when (ISO time); default: the site's clock")
    p.add_argument("--session", default=None, help="which browser/device the request comes from")


def request_from_args(session: Session, args: argparse.Namespace):
    site = session.require_site()
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


class DecisionOutput(Output):
    def __init__(self, decision: Decision, verbose: bool = False):
        super().__init__(data=decision.to_dict())
        self.decision = decision
        self.verbose = verbose

    def to_text(self) -> str:
        return render_decision(self.decision, self.verbose)

    def to_html(self) -> str:
        try:
            from ..render.html import render_decision_html
        except ImportError:
            return super().to_html()
        return render_decision_html(self.decision)


@command("decide", "decide one request and show how each phase reached it",
         examples=("decide --user CORP\\alice --resource stream:Sales --action read",
                   "decide --user anonymous --proxy public --resource app:Budget --json"),
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
        decision = session.engine.decide(request, session.state)
    except UnknownReference as exc:
        raise CommandError(str(exc))
    out = DecisionOutput(decision, args.verbose)
    out.prefer = "json" if args.json else "text"
    if args.expect and decision.decision != args.expect:
        out.exit_code = 1
    return out
