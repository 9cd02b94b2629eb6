"""audit, why-not, preview and lint: the explanation commands (engine in qsplay/explain/)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..model import UnknownReference
from ..scenario import ScenarioError
from .base import CommandError, Output, Session, arguments, command
from .decide import add_request_arguments, request_from_args


class AuditOutput(Output):
    def __init__(self, result, fmt: str):
        super().__init__(prefer="json" if fmt == "json" else "text")
        self.result, self.fmt = result, fmt

    opens: list = []  # section access: who opens which app and sees which values

    @property
    def data(self):  # built when asked: a big site's cells are produced only for JSON
        out = self.result.summary() if self.fmt == "summary" else self.result.to_dict()
        if self.opens:
            out = {**out, "section_access": [c.to_dict() for c in self.opens]}
        return out

    @data.setter
    def data(self, value):
        pass

    def _summary_text(self) -> str:
        from ..explain.audit import render_table
        return render_table(self.result)

    def to_text(self) -> str:
        from ..explain.audit import render_csv, render_summary, render_table
        from ..explain.section_access import render_opens
        if self.fmt == "summary":
            return render_summary(self.result) + render_opens(self.opens)
        return render_csv(self.result) if self.fmt == "csv" else render_table(self.result) + render_opens(self.opens)

    def to_html(self) -> str:
        from ..explain.audit import TABLE_LIMIT
        from ..render.html import render_table_html
        if self.fmt == "summary" or self.result.count() > TABLE_LIMIT:
            import html
            return f"<pre>{html.escape(self.to_text() if self.fmt == 'summary' else self._summary_text())}</pre>"
        rows = [[c.user, c.resource, c.letters, ", ".join(c.rules)] for c in self.result.cells]
        return render_table_html(["user", "resource", "access", "granted by"], rows)


def _audit_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", "-u", action="append", help="only this user (repeatable; 'anonymous' for a visitor)")
    p.add_argument("--resource", "-r", action="append", help="only this resource (repeatable)")
    from ..model.site import ADMIN_KINDS
    p.add_argument("--type", "-t", action="append", choices=("stream", "app", "object", "data_connection",
                                                             "extension", "content_library", "reload_task", "user")
                   + ADMIN_KINDS,
                   help="only resources of this kind (repeatable); the QMC's own, e.g. qmc_section, are "
                        "audited only when named")
    p.add_argument("--context", "-c", default="hub", choices=("hub", "qmc"))
    p.add_argument("--anonymous", action="store_true", help="add an anonymous visitor as a column")


@command("audit", "who may do what to which resource, and by which rules (the QMC audit page, whole)",
         examples=("audit", "audit --type stream --anonymous", "audit --user CORP\\bob --format csv",
                   "audit --context qmc --format json", "audit --format summary"))
@arguments(lambda p: (_audit_flags(p),
                      p.add_argument("--format", "-f", default="table", choices=("table", "csv", "json", "summary"),
                                     help="summary: counts per kind and action, for sites too big for a table")))
def run_audit(session: Session, args: argparse.Namespace) -> Output:
    from ..explain.audit import audit
    site = session.require_site()
    try:
        result = audit(site, users=args.user, resources=args.resource, kinds=args.type, context=args.context,
                       include_anonymous=args.anonymous, progress=True)
    except UnknownReference as exc:
        raise CommandError(str(exc))
    out = AuditOutput(result, args.format)
    if site.platform == "windows" and args.context == "hub" and (not args.type or "app" in args.type):
        from ..explain.audit import audit_subjects
        from ..explain.section_access import section_access_audit
        apps = [site.find_resource(r) for r in args.resource] if args.resource else None
        out.opens = section_access_audit(site, audit_subjects(site, args.user, args.anonymous), apps)
    return out


class WhyNotOutput(Output):
    def __init__(self, result):
        super().__init__(data=result.to_dict())
        self.result = result

    def to_text(self) -> str:
        return self.result.to_text()


@command("why-not", "for a denied request, the smallest changes that would grant it (each checked)",
         examples=("why-not CORP\\bob read \"app:Draft Ideas\"",
                   "why-not --user anonymous --resource stream:Finance --proxy public --json",
                   "why-not --user CORP\\bob --resource stream:Finance --apply 1 -o fixed.yaml"))
@arguments(lambda p: (add_request_arguments(p, words=True), p.add_argument("--json", action="store_true"),
                      p.add_argument("--apply", type=int, metavar="N", help="apply suggestion N ..."),
                      p.add_argument("-o", "--output", metavar="NEW.yaml", help="... and write the scenario here")))
def run_why_not(session: Session, args: argparse.Namespace) -> Output:
    from ..explain.why_not import why_not
    from ..scenario.document import save_atomically
    site = session.require_site()
    request = request_from_args(session, args)
    result = why_not(site, request)
    out = WhyNotOutput(result)
    out.prefer = "json" if args.json else "text"
    if args.apply is not None:
        if not args.output:
            raise CommandError("--apply N needs -o NEW.yaml")
        chosen = [s for s in result.suggestions if s.rank == args.apply]
        if not chosen:
            raise CommandError(f"there is no suggestion {args.apply} (there are {len(result.suggestions)})")
        from ..explain.edits import apply_edits
        edited = apply_edits(site, chosen[0].edits)
        from ..scenario.section_access import rebased
        save_atomically(rebased(edited.extra["document"], site.source, args.output), Path(args.output))
        out.text = f"wrote {args.output} with suggestion {args.apply}: {chosen[0].change}\n"
        out.to_text = lambda: out.text
        out.data = {**out.data, "applied": args.apply, "output": args.output}
    return out


class PreviewOutput(Output):
    def __init__(self, result, fmt: str):
        super().__init__(data=result.to_dict(), prefer="json" if fmt == "json" else "text")
        self.result, self.fmt = result, fmt

    def to_text(self) -> str:
        return self.result.to_csv() if self.fmt == "csv" else self.result.to_text()


def _preview_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--disable", action="append", default=[], metavar="RULE")
    p.add_argument("--enable", action="append", default=[], metavar="RULE")
    p.add_argument("--delete", action="append", default=[], metavar="RULE")
    p.add_argument("--add-rule", metavar="NAME", help="a new rule (with --filter --actions [--condition --context])")
    p.add_argument("--set-rule", metavar="NAME", help="change a rule (with any of --filter --actions --condition --context)")
    p.add_argument("--filter")
    p.add_argument("--actions")
    p.add_argument("--condition")
    p.add_argument("--rule-context", dest="rule_context", choices=("hub", "qmc", "both"))
    p.add_argument("--set-user", metavar="USER", help="change a user (with --add-group / --add-role / --property)")
    p.add_argument("--add-group", action="append", default=[])
    p.add_argument("--add-role", action="append", default=[])
    p.add_argument("--property", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--publish", nargs=2, metavar=("APP", "STREAM"))
    p.add_argument("--space-role", nargs=3, metavar=("SPACE", "USER", "ROLE"), help="Qlik Cloud: add a space role")
    p.add_argument("--allow-public-link", metavar="USER", help="Qlik Cloud: a custom role allowing Public link creation")
    p.add_argument("--context", "-c", default="hub", choices=("hub", "qmc"), help="audit context")
    p.add_argument("--format", "-f", default="text", choices=("text", "csv", "json"))
    p.add_argument("-o", "--output", help="save the diff (its format by --format)")


def preview_edits(args: argparse.Namespace, site):
    from ..explain import edits as E
    from ..rules.actions import normalize_action
    chosen = []
    for name in args.disable:
        chosen.append(E.disable_rule(site.find_security_rule(name).name))
    for name in args.enable:
        chosen.append(E.enable_rule(site.find_security_rule(name).name))
    for name in args.delete:
        chosen.append(E.delete_rule(site.find_security_rule(name).name))
    actions = [normalize_action(a) for a in (args.actions or "").split(",") if a.strip()]
    if None in actions:
        raise CommandError(f"unknown action in --actions {args.actions!r}")
    if args.add_rule:
        if not args.filter or not actions:
            raise CommandError("--add-rule needs --filter and --actions")
        values = {"name": args.add_rule, "resource_filter": args.filter, "actions": actions}
        if args.condition:
            values["condition"] = args.condition
        if args.rule_context:
            values["context"] = args.rule_context
        chosen.append(E.add_rule(values))
    if args.set_rule:
        changes = {}
        if args.filter:
            changes["resource_filter"] = args.filter
        if actions:
            changes["actions"] = actions
        if args.condition is not None:
            changes["condition"] = args.condition
        if args.rule_context:
            changes["context"] = args.rule_context
        chosen.append(E.set_rule(site.find_security_rule(args.set_rule).name, **changes))
    if args.set_user:
        user = site.find_user(args.set_user).qualified
        chosen += [E.add_group(user, g) for g in args.add_group] + [E.add_role(user, r) for r in args.add_role]
        for prop in args.property:
            key, _, value = prop.partition("=")
            chosen.append(E.set_property(user, key, value))
    if args.publish:
        chosen.append(E.publish_to_stream(E.named(site, site.find_resource(f"app:{args.publish[0]}")),
                                          E.named(site, site.find_resource(f"stream:{args.publish[1]}"))))
    if args.space_role or args.allow_public_link:
        if site.platform != "cloud":
            raise CommandError("--space-role and --allow-public-link are for Qlik Cloud scenarios")
        from ..cloud.why_not import add_space_role, allow_public_link_creation
        if args.space_role:
            space, user, role = args.space_role
            chosen.append(add_space_role(site.find_resource(f"space:{space}").name, site.find_user(user).qualified,
                                         role.lower().replace(" ", "_")))
        if args.allow_public_link:
            chosen.append(allow_public_link_creation(site.find_user(args.allow_public_link).qualified))
    return chosen


@command("preview", "apply an edit to a copy of the site and show who gains and who loses what",
         examples=("preview --disable StreamEveryoneAnonymous",
                   "preview --add-rule \"Finance reads\" --filter Stream_* --actions read --condition 'user.group = \"Finance\"'",
                   "preview --set-user CORP\\bob --add-group Finance --format json -o diff.json"))
@arguments(_preview_flags)
def run_preview(session: Session, args: argparse.Namespace) -> Output:
    from ..explain.preview import preview
    site = session.require_site()
    try:
        chosen = preview_edits(args, site)
        if not chosen:
            raise CommandError("say what to change: --disable/--enable/--delete RULE, --add-rule, --set-rule, "
                               "--set-user, --publish (Qlik Cloud: --space-role, --allow-public-link)")
        result, _ = preview(site, chosen, context=args.context)
    except UnknownReference as exc:
        raise CommandError(str(exc))
    except (ScenarioError, ValueError) as exc:
        raise CommandError(f"the edit does not apply: {exc}")
    out = PreviewOutput(result, args.format)
    if args.output:
        from ..files import write_atomically
        write_atomically(args.output, out.to_json() + "\n" if args.format == "json" else out.to_text())
    return out


class LintOutput(Output):
    def __init__(self, findings):
        super().__init__(data={"findings": [f.to_dict() for f in findings]}, exit_code=1 if findings else 0)
        self.findings = findings

    def to_text(self) -> str:
        if not self.findings:
            return "no findings\n"
        lines = []
        for f in self.findings:
            lines += [f"{f.severity.upper():7} {f.code}  rule \"{f.rule}\"", f"        {f.message}",
                      f"        fix: {f.fix}"]
        return "\n".join(lines) + f"\n{len(self.findings)} finding(s)\n"


@command("lint", "risky or useless rules, each with why it matters and how to fix it (exit 1 with findings)",
         examples=("lint", "lint --json"))
@arguments(lambda p: p.add_argument("--json", action="store_true"))
def run_lint(session: Session, args: argparse.Namespace) -> Output:
    from ..explain.lint import lint
    from ..scenario import load_scenario
    site = session.require_site()
    if site.platform == "cloud":
        from ..cloud.lint import lint as cloud_lint
        out = LintOutput(cloud_lint(site))
        out.prefer = "json" if args.json else "text"
        return out
    if session.path is not None and session.site is session.original:
        try:
            site = load_scenario(session.path, lenient=True)  # keep rules that do not parse, to report them
        except ScenarioError as exc:
            raise CommandError(str(exc))
    out = LintOutput(lint(site))
    out.prefer = "json" if args.json else "text"
    return out
