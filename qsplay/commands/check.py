"""check: run the `checks:` of scenario files; exit 1 when any does not hold."""
from __future__ import annotations

import argparse

from ..engine import FileResult, run_checks
from ..scenario import ScenarioError, load_scenario
from .base import Output, Session, arguments, command


class CheckOutput(Output):
    def __init__(self, files: list[FileResult]):
        passed = sum(f.passed for f in files)
        failed = sum(f.failed for f in files)
        unusable = sum(1 for f in files if f.error)
        # the README's promise: 2 when some input is unusable (a missing or broken file), else 1 for a failed check
        super().__init__(data={"passed": passed, "failed": failed, "files": [f.to_dict() for f in files]},
                         exit_code=2 if unusable else 1 if failed else 0)
        self.files = files

    def to_text(self) -> str:
        lines = []
        for f in self.files:
            if f.error:
                lines.append(f"FAIL {f.file}: does not load\n{f.error}")
                continue
            lines.append(f"{f.file}: {f.passed} passed, {f.failed} failed"
                         + (f" ({len(f.events)} step event(s))" if f.events else ""))
            for r in f.results:
                mark = "ok  " if r.passed else "FAIL"
                lines.append(f"  {mark} {r.check.name}")
                if not r.passed:
                    lines.append(f"       {r.explanation}")
        unusable = sum(1 for f in self.files if f.error)
        lines.append(f"{self.data['passed']} passed, {self.data['failed']} failed"
                     + (f"; {unusable} file{'s' if unusable != 1 else ''} could not be used" if unusable else ""))
        return "\n".join(lines) + "\n"


def check_files(paths: list[str]) -> CheckOutput:
    results = []
    for path in paths:
        try:
            site = load_scenario(path)
        except ScenarioError as exc:
            results.append(FileResult(str(path), error=str(exc)))
            continue
        results.append(run_checks(site, str(path)))
    return CheckOutput(results)


@command("check", "run the checks in scenario files (exit 1 if any fails, 2 if a file cannot be used)", scenarios="many",
         examples=("check", "check --json"))
@arguments(lambda p: p.add_argument("--json", action="store_true", help="print the contract's JSON"))
def run_check(session: Session, args: argparse.Namespace) -> Output:
    paths = getattr(args, "scenarios", None)
    if paths:
        out = check_files(paths)
    else:
        site = session.require_site()
        out = CheckOutput([run_checks(site, str(session.path or site.name))])
    out.prefer = "json" if args.json else "text"
    return out
