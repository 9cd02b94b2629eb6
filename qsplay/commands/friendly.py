"""Friendly forms for the shell and the kernel: `can`, `why`, `as`, `eval`, `set`, `load`, `help`.

    can CORP\\alice read stream:Public in hub
    why anonymous read "app:Market Trends" via public
    as anonymous via public
    eval user.group = "Sales" for CORP\\bob on stream:Public
"""
from __future__ import annotations

import argparse

from ..engine import make_request
from ..model import UnknownReference
from ..rules import ConditionError, EvalContext, EvaluationFailure, Environment, evaluate, parse
from ..render.text import render_trace
from ..semantics import CHOICES, DESCRIPTIONS
from .base import REGISTRY, CommandError, Output, Session, arguments, command
from .decide import DecisionOutput, parse_sentence


def _decide_sentence(session: Session, words: list[str], verbose: bool, brief: bool = False) -> Output:
    site = session.require_site()
    parts = parse_sentence(words, session)
    try:
        request = make_request(parts["resource"], parts["action"], parts["user"], parts["proxy"],
                               parts["context"], at=parts["at"])
        site.find_resource(request.resource)
        if not request.is_visitor:
            site.find_user(request.user)
        decision, changes = session.decide(request)
    except (ValueError, UnknownReference) as exc:
        raise CommandError(str(exc))
    said = " ".join(f'"{w}"' if " " in w else w for w in words)
    return DecisionOutput(decision, verbose, brief=brief, changes=changes,
                          more=f"  (can {said} --trace: the steps; why {said}: every rule)")


@command("can", "ask in words: can USER ACTION RESOURCE [in hub|qmc] [via PROXY]", scenarios="none", cli=False,
         examples=("can CORP\\alice read stream:Public", "can anonymous read \"app:Market Trends\" via public",
                   "can CORP\\bob read stream:Public --trace",
                   "can CORP\\bob publish stream:Public in qmc"))
@arguments(lambda p: (p.add_argument("words", nargs="+"),
                      p.add_argument("--trace", action="store_true", help="show how each phase reached it")))
def run_can(session: Session, args: argparse.Namespace) -> Output:
    return _decide_sentence(session, args.words, verbose=False, brief=not args.trace)


@command("expect", "check an answer: expect allow|deny USER ACTION RESOURCE [in hub|qmc] [via PROXY]",
         scenarios="none", cli=False, examples=("expect allow anonymous read stream:Public via public",))
@arguments(lambda p: (p.add_argument("outcome", choices=("allow", "deny")), p.add_argument("words", nargs="+")))
def run_expect(session: Session, args: argparse.Namespace) -> Output:
    out = _decide_sentence(session, args.words, verbose=False, brief=True)
    decision = out.decision
    if decision.decision != args.outcome:
        raise CommandError(f"✘ not yet: expected {args.outcome}, got {decision.summary()}")
    return Output(f"✔ {decision.summary()}\n", data={"passed": True, "decision": decision.to_dict()})


@command("why", "the full trace for a request in words (like can, with every rule listed)", scenarios="none",
         cli=False, examples=("why CORP\\bob read \"app:Draft Ideas\"",))
@arguments(lambda p: p.add_argument("words", nargs="+"))
def run_why(session: Session, args: argparse.Namespace) -> Output:
    return _decide_sentence(session, args.words, verbose=True)


@command("as", "act as someone for the following requests: as USER [via PROXY] (as nobody to clear)",
         scenarios="none", cli=False, examples=("as anonymous via public", "as CORP\\alice", "as nobody"))
@arguments(lambda p: p.add_argument("words", nargs="+"))
def run_as(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    words = list(args.words)
    proxy = None
    if len(words) >= 3 and words[-2] == "via":
        proxy = words[-1]
        words = words[:-2]
    who = " ".join(words)
    if who.lower() == "nobody":
        session.settings.pop("user", None)
        session.settings.pop("proxy", None)
        return Output("requests name their user again\n")
    if not who.lower().startswith("anonymous"):
        try:
            who = site.find_user(who).qualified
        except UnknownReference as exc:
            raise CommandError(str(exc))
    if proxy is not None:
        try:
            site.find_proxy(proxy)
        except UnknownReference as exc:
            raise CommandError(str(exc))
        session.settings["proxy"] = proxy
    session.settings["user"] = who
    via = session.settings.get("proxy", "")
    return Output(f"now acting as {who} through {'/' + via if via else 'the central proxy'}; "
                  f"e.g. can read stream:NAME\n")


@command("eval", "try a condition without a rule: eval CONDITION for USER on RESOURCE", scenarios="none",
         cli=False, raw=True, examples=('eval user.group = "Sales" for CORP\\bob on stream:Public',
                                        'eval resource.stream.HasPrivilege("read") for anonymous on app:Market Trends'))
@arguments(lambda p: p.add_argument("text", help="CONDITION [for USER] [on RESOURCE] [in hub|qmc]"))
def run_eval(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    text = args.text
    if not text:
        raise CommandError("eval CONDITION [for USER] [on RESOURCE] [in hub|qmc]")
    context = "hub"
    for ctx in ("hub", "qmc"):
        if text.endswith(f" in {ctx}"):
            text, context = text[: -len(f" in {ctx}")], ctx
    resource_ref = user_ref = None
    if " on " in text:
        text, _, resource_ref = text.rpartition(" on ")
    if " for " in text:
        text, _, user_ref = text.rpartition(" for ")
    try:
        parsed = parse(text)
    except ConditionError as err:
        raise CommandError(f"{err.message} (col {err.col})\n  {err.caret().replace(chr(10), chr(10) + '  ')}")
    from ..engine.authentication import anonymous_user
    try:
        if user_ref is None or user_ref.strip().lower().startswith("anonymous"):
            user = anonymous_user(site, (user_ref or "anonymous").strip().partition(":")[2])
        else:
            user = site.find_user(user_ref.strip())
        resource = site.find_resource(resource_ref.strip()) if resource_ref else None
    except UnknownReference as exc:
        raise CommandError(str(exc))

    solver = session.engine.security.solver(user, context)
    traces: dict = {}

    def has_privilege(target, action, trace):
        if not trace:
            return solver.answer((target.key, action), target), None
        sub = session.engine.security.evaluate(user, target, action, context, trace=True, solver=solver,
                                               traces=traces)
        return sub.allowed, sub
    ctx = EvalContext(user=user, resource=resource, environment=Environment({}), semantics=site.semantics,
                      has_privilege=has_privilege)
    try:
        value, node = evaluate(parsed, ctx, trace=True)
    except EvaluationFailure as exc:
        raise CommandError(f"the condition cannot be evaluated: {exc}")
    head = f"{'TRUE' if value else 'FALSE'}  for {user.qualified}" + (f" on {resource.ref}" if resource else "")
    lines = [head] + render_trace(node.to_dict(), "  ") + [f"  ! {n.text}" for n in parsed.notes]
    return Output("\n".join(lines) + "\n", data={"value": value, "trace": node.to_dict()})


@command("set", "set a semantics option for behaviour Qlik leaves unconfirmed (set alone lists them)",
         scenarios="none", cli=False, examples=("set", "set ne_on_lists none_equal"))
@arguments(lambda p: (p.add_argument("option", nargs="?"), p.add_argument("value", nargs="?")))
def run_set(session: Session, args: argparse.Namespace) -> Output:
    site = session.require_site()
    if args.option is None:
        lines = [f"{k} = {getattr(site.semantics, k)}    ({DESCRIPTIONS[k]})" for k in CHOICES]
        return Output("\n".join(lines) + "\n", data=site.semantics.as_dict())
    if args.value is None:
        raise CommandError(f"set {args.option} VALUE; values: {', '.join(CHOICES.get(args.option, ()))}")
    try:
        site.semantics.with_choice(args.option, args.value)
    except ValueError as exc:
        raise CommandError(str(exc))

    def change(doc):
        from ruamel.yaml.comments import CommentedMap
        sem = doc.get("semantics")
        if sem is None:
            sem = CommentedMap()
            doc["semantics"] = sem
        sem[args.option] = args.value
    session.edit(f"set {args.option} {args.value}", change)
    return Output(f"{args.option} = {args.value}\n")


@command("load", "open another scenario file", scenarios="none", cli=False, examples=("load scenarios/no-access-pass.yaml",))
@arguments(lambda p: p.add_argument("file"))
def run_load(session: Session, args: argparse.Namespace) -> Output:
    from ..scenario import ScenarioError
    if session.dirty:
        raise CommandError("there are unsaved edits: save them first, or undo them")
    try:
        site = session.load(args.file)
    except ScenarioError as exc:
        raise CommandError(str(exc))
    return Output(f"loaded {site.name} ({len(site.users)} users, {len(site.streams)} streams, "
                  f"{len(site.apps)} apps, {len(site.security_rules)} security rules)\n")


@command("help", "list commands; help COMMAND its flags and examples; help WORD explains a condition "
         "function, rule, user or resource", scenarios="none", cli=False,
         examples=("help", "help can", "help HasPrivilege", "help Stream"))
@arguments(lambda p: p.add_argument("topic", nargs="?"))
def run_help(session: Session, args: argparse.Namespace) -> Output:
    if args.topic:
        cmd = REGISTRY.get(args.topic.lower())
        if cmd is not None:
            return Output(cmd.parser().format_help())
        from .completion import describe
        meaning = describe(session, args.topic)  # a function, rule, user or resource, as Shift-Tab in Jupyter
        if meaning is None:
            raise CommandError(f"{args.topic!r} is not a command, condition function, rule, user or resource "
                               f"of this site; help lists the commands")
        return Output(meaning.rstrip() + "\n")
    unique = {c.name: c for c in REGISTRY.values()}
    width = max(len(n) for n in unique)
    lines = ["Try:  can CORP\\bob read stream:Public   why anonymous read \"app:Market Trends\" via public   "
             "why-not CORP\\bob read stream:Finance",
             "      (quote a name with spaces; every command below has examples: help COMMAND)", ""]
    lines += [f"  {name.ljust(width)}  {cmd.summary}" for name, cmd in sorted(unique.items())]
    lines += ["", "help COMMAND shows its flags and examples; Tab completes; Ctrl-D leaves."]
    return Output("\n".join(lines) + "\n")
