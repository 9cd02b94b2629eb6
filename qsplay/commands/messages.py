"""explain-message: Qlik's on-screen or log message -> meaning, phase, source, and commands for this site.
The shell and the kernel also run it when a pasted line is a Qlik message rather than a command."""
from __future__ import annotations

import argparse

from .base import Output, Session, arguments, command, load_for_cli


class MessageOutput(Output):
    def __init__(self, explanation):
        super().__init__(data=explanation.to_dict())
        self.explanation = explanation

    def to_text(self) -> str:
        return self.explanation.to_text()


@command("explain-message", "what a Qlik message means, which phase says it, and how to diagnose it on this site",
         scenarios="none", raw=True,
         examples=('explain-message "You cannot access Qlik Sense because you have no access pass"',
                   'explain-message "Your account is inactive. Contact your administrator to activate it."',
                   "explain-message --site scenarios/section-access.yaml Access denied"),
         description="Paste the message as it appears in the hub or in a log line. In the shell and the kernel a "
                     "pasted Qlik message is recognised without the command name. Messages known: no access pass, "
                     "too many sessions active in parallel, Access denied, Your account is inactive.")
@arguments(lambda p: (p.add_argument("text", nargs="+", help="the message"),
                      p.add_argument("--site", help="scenario file (default in the shell: the loaded one)"),
                      p.add_argument("--json", action="store_true")))
def run_explain_message(session: Session, args: argparse.Namespace) -> Output:
    from ..explain.messages import explain_message
    text = args.text if isinstance(args.text, str) else " ".join(args.text)
    json_out = getattr(args, "json", False)
    if isinstance(args.text, str) and text.startswith("--json"):  # the shell passes the line unsplit
        json_out, text = True, text[len("--json"):].strip()
    if getattr(args, "site", None):
        session = load_for_cli(args.site)
    out = MessageOutput(explain_message(text.strip().strip("\"'"), session.site))
    out.prefer = "json" if json_out else "text"
    return out
