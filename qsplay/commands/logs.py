"""replay: the denials of a Qlik audit-security log, replayed on a site (engine in qsplay/logs/)."""
from __future__ import annotations

import argparse

from .base import CommandError, Output, Session, arguments, command, load_for_cli


class ReplayOutput(Output):
    def __init__(self, result, limit: int, trace: bool):
        super().__init__(data=result.to_dict())
        self.result, self.limit, self.trace = result, limit, trace

    def to_text(self) -> str:
        from ..logs.replay import render_text
        return render_text(self.result, self.limit, self.trace)


@command("replay", "replay each denial of a Qlik audit-security log (Repository or Proxy) on the site, at its time",
         scenarios="none",
         examples=("replay tests/data/logs/AuditSecurity_Repository.txt scenarios/no-access-pass.yaml",
                   "replay tests/data/logs/AuditSecurity_Repository.txt scenarios/no-access-pass.yaml --trace --limit 3",
                   "replay tests/data/logs/AuditSecurity_Proxy.txt scenarios/section-access.yaml --json"),
         description="Reads <Machine>_AuditSecurity_Repository.txt or _AuditSecurity_Proxy.txt line by line (any "
                     "size, bounded memory, a progress bar on a terminal), finds each denial (UsageDenied, Open app "
                     "403, session limits, other 4xx) and replays it on the site at its timestamp; prints a table of "
                     "denials by phase and cause and whether the site agrees. In the shell SITE defaults to the "
                     "loaded scenario.")
@arguments(lambda p: (p.add_argument("log", help="the audit-security log file"),
                      p.add_argument("site", nargs="?", help="scenario file (default in the shell: the loaded one)"),
                      p.add_argument("--trace", action="store_true", help="the full trace of each denial shown"),
                      p.add_argument("--limit", type=int, default=20, help="denials listed (default 20)"),
                      p.add_argument("--keep", type=int, default=200, help="denials kept for --json (default 200)"),
                      p.add_argument("--json", action="store_true")))
def run_replay(session: Session, args: argparse.Namespace) -> Output:
    from ..files import FileProblem
    from ..logs import replay
    if args.site:
        session = load_for_cli(args.site)
    site = session.require_site()
    if site.platform != "windows":
        raise CommandError("replay reads Qlik Sense Enterprise on Windows logs; this scenario is Qlik Cloud")
    if args.limit < 0 or args.keep < 0:
        raise CommandError("--limit and --keep cannot be negative")
    try:
        result = replay(args.log, site, keep=max(args.keep, args.limit))
    except FileProblem as exc:
        raise CommandError(str(exc))
    out = ReplayOutput(result, args.limit, args.trace)
    out.prefer = "json" if args.json else "text"
    return out
