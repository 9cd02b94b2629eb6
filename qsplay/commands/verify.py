"""verify: qsplay's answers against Qlik's own (the QRS audit API), cell by cell."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import CommandError, Output, Session, arguments, command


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", help="a folder qsplay pull wrote (saved audit answers go to, and are read from, "
                                  "FOLDER/audit/)")
    p.add_argument("--url", help="ask this live QRS (same routes and flags as qsplay pull); without it the saved "
                                 "answers in FOLDER/audit/ are compared")
    p.add_argument("--sample", type=int, default=100, metavar="N",
                   help="user x resource pairs to ask about (default 100; see docs/qrs.md for how they are drawn)")
    p.add_argument("--seed", type=int, default=1, help="the sample's random seed (default 1): the same seed, the "
                                                       "same sample")
    p.add_argument("--context", choices=("either", "hub", "qmc"), default="either",
                   help="which rule contexts count for qsplay's answer (default either: the audit body names none, "
                        "UNCONFIRMED which Qlik applies)")
    p.add_argument("-o", "--output", metavar="DIR", help="where check files for disagreements go (default "
                                                         "FOLDER/verify/)")
    p.add_argument("--json", action="store_true", help="the summary and every cell that is not an agreement, as JSON")
    from .qrs import _route_arguments
    _route_arguments(p)


@command("verify", "compare qsplay's answers with Qlik's QRS audit API, cell by cell", scenarios="none",
         examples=("verify tests/data/qrs-verify",),
         description="Ask the QRS audit API (POST /qrs/systemrule/security/audit and /license/audit) about a "
                     "sample of user x resource cells of a pulled site and compare Qlik's answer with qsplay's. "
                     "Each disagreement is saved as a scenario with one check, to run with qsplay check and "
                     "attach to a bug report. Without --url, the answers saved in FOLDER/audit/ are compared.")
@arguments(_verify_arguments)
def run_verify(session: Session, args: argparse.Namespace) -> Output:
    from ..files import read_text, write_atomically
    from ..qrs import QrsError, import_folder
    from ..qrs import verify as V
    from ..qrs.importer import dump
    from ..scenario.document import dump as dump_document
    from ..scenario import ScenarioError, load_scenario_text

    folder = Path(args.folder)
    if args.sample < 1:
        raise CommandError("--sample must be at least 1")
    try:
        doc, report = import_folder(folder)
        site = load_scenario_text(dump(doc), f"{folder} (imported)")
    except (QrsError, ScenarioError, ValueError) as exc:
        raise CommandError(f"qsplay verify: {exc}")
    if args.url:
        pairs = V.sample_pairs(site, args.sample, args.seed)
        requests = V.audit_requests(pairs) + V.licence_requests(site, pairs)
        post = _live_post(args)
        try:
            paths = V.ask(requests, post, folder, write_atomically)
        except QrsError as exc:
            raise CommandError(f"qsplay verify: {exc}")
        finally:
            getattr(post, "close", lambda: None)()
        names = {p.name for p in paths}
    else:
        names = None
    try:
        saved = V.read_saved(folder, lambda p: read_text(p, inside=folder))
    except ValueError as exc:
        raise CommandError(f"qsplay verify: {exc}")
    if names is not None:
        saved = [(n, item) for n, item in saved if n in names]
    if not saved:
        raise CommandError(f"qsplay verify: no saved audit answers in {folder / V.AUDIT_FOLDER}; ask a live QRS "
                           f"with --url (see docs/qrs.md)")
    result = V.compare(site, saved, args.context)
    out = Path(args.output) if args.output else folder / "verify"
    wrong = [c for c in result.cells if c.verdict == "disagree"]
    if wrong:
        out.mkdir(parents=True, exist_ok=True)
    for i, cell in enumerate(wrong, 1):
        path = out / f"disagreement-{i:03d}.yaml"
        text = dump_document(V.check_document(doc, site, cell, args.context))
        try:
            load_scenario_text(text, str(path))  # written only if it loads
        except ScenarioError as exc:
            raise CommandError(f"qsplay verify: the check file for {cell.user} / {cell.resource} would not load "
                               f"(a bug worth reporting):\n{exc}")
        write_atomically(path, text)
        result.saved.append(str(path))
    output = Output(result.to_text(), data=result.to_dict(), exit_code=1 if wrong else 0)
    output.prefer = "json" if args.json else "text"
    return output


def _live_post(args):
    try:
        from ..qrs.client import QrsClient
        from .qrs import _route_from
    except ImportError:
        raise CommandError("qsplay verify --url needs the QRS client of qsplay pull, which this build lacks; "
                           "compare saved answers (verify FOLDER) instead") from None
    route, ca = _route_from(args)
    if args.insecure:
        print("qsplay verify: WARNING: --insecure: the server's certificate is NOT checked", file=sys.stderr)
    client = QrsClient(args.url, route, ca=ca, insecure=args.insecure, timeout=args.timeout, retries=args.retries)
    return lambda endpoint, body: client.post(endpoint, body)
