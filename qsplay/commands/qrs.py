"""import-qrs and export-qrs: real sites in, rules out, in the QRS API's JSON."""
from __future__ import annotations

import argparse
import json
import sys

from ..files import write_atomically
from ..safe_text import escape_unsafe
from .base import CommandError, Output, Session, arguments, command


@command("import-qrs", "read a folder of QRS API responses (JSON) into a scenario file", scenarios="none",
         examples=("import-qrs tests/data/qrs/exports -o site.yaml",))
@arguments(lambda p: (p.add_argument("folder"), p.add_argument("-o", "--output", required=True, metavar="SCENARIO"),
                      p.add_argument("--name", help="the scenario's name")))
def run_import(session: Session, args: argparse.Namespace) -> Output:
    from ..qrs import QrsError, import_folder, write_scenario
    try:
        doc, report = import_folder(args.folder, args.name)
    except (QrsError, ValueError) as exc:
        raise CommandError(str(exc))
    for line in report:
        print(escape_unsafe(f"import-qrs: {line}"), file=sys.stderr)
    try:
        site = write_scenario(doc, args.output)  # only a scenario that loads is written
    except QrsError as exc:
        raise CommandError(str(exc))
    custom = sum(1 for r in site.security_rules if not r.preinstalled or r.edited)
    return Output(f"wrote {args.output}: {len(site.users)} users, {len(site.streams)} streams, {len(site.apps)} apps, "
                  f"{len(site.objects)} objects, {custom} custom or edited security rules, "
                  f"{len(site.license_rules)} licence rules; {len(report)} note(s) on stderr\n",
                  data={"output": args.output, "notes": report})


@command("export-qrs", "the scenario's rules (preinstalled ones included) as a /qrs/systemrule/full list",
         examples=("export-qrs -o rules.json",))
@arguments(lambda p: p.add_argument("-o", "--output", required=True, metavar="FILE.json"))
def run_export(session: Session, args: argparse.Namespace) -> Output:
    from ..qrs.mapping import rule_to_qrs
    site = session.require_site()
    records = [rule_to_qrs(r) for r in site.security_rules]
    records += [rule_to_qrs(r, "License") for r in site.license_rules]
    write_atomically(args.output, json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    return Output(f"wrote {args.output}: {len(records)} rules\n", data={"output": args.output, "rules": len(records)})
