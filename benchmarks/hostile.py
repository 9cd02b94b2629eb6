"""Issue 18's slow cases, measured (run on demand, never in the test suite):

    python -m benchmarks.hostile [--only NAME] [--timeout S]

- cycle-kN: k stream rules, each granting one action when the stream has any other (finding 2):
  decide, lint and why-not on one stream.
- like-N: `*a*a…(30 stars)…*x` against an N-character name (finding 3): decide.
- matches-audit: 300 streams × 3 rules of `(a|aa)+b` (finding 4): audit.
- cell-lines / cell-long-line: kernel cell splitting, 32,000 lines and one 2 MB line (finding 12).

Each case runs in a child process with a time limit, so a case that does not finish says so.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

ACTIONS = ["read", "update", "delete", "publish", "change_owner", "export", "duplicate", "approve", "export_data"]

HEAD = """qsplay: 1
name: bench
default_rules: false
license: {key: signed, professional: 5}
user_directories: [{name: CORP}]
users:
  - {directory: CORP, id: ann, groups: [Sales], access: [professional]}
"""


def cycle_site(k: int) -> str:
    acts = ACTIONS[:k]
    rules = []
    for a in acts:
        others = " or ".join(f'resource.HasPrivilege("{b}")' for b in acts if b != a)
        rules.append(f"  - {{name: R_{a}, resource_filter: Stream_*, actions: [{a}], condition: '{others}'}}")
    return HEAD + "streams:\n  - {name: S}\nsecurity_rules:\n" + "\n".join(rules) + "\n"


def like_site(n: int) -> str:
    pattern = "*a" * 30 + "*x"
    return (HEAD + f"streams:\n  - {{name: '{'a' * n}xb'}}\nsecurity_rules:\n"
            f"  - {{name: Like, resource_filter: Stream_*, actions: [read], condition: 'resource.name like \"{pattern}\"'}}\n")


def matches_site() -> str:
    streams = "\n".join(f"  - {{name: '{'a' * 28}{i:03d}'}}" for i in range(300))
    rules = "\n".join(f"  - {{name: M{j}, resource_filter: Stream_*, actions: [read], "
                      f"condition: 'resource.name matches \"(a|aa)+b{j}\"'}}" for j in range(3))
    return HEAD + "streams:\n" + streams + "\nsecurity_rules:\n" + rules + "\n"


def _run(case: str, text: str, out):
    from qsplay.commands import Session, run_line
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "site.yaml"
        path.write_text(text)
        session = Session()
        session.load(path)
        results = {}
        for line in case.split(";"):
            start = time.perf_counter()
            output = run_line(session, line)
            seconds = round(time.perf_counter() - start, 3)
            results[line.split()[0]] = {"s": seconds, "out": output.to_text().strip().splitlines()[0][:70]}
        out.put(results)


def _cells(kind: str, out):
    from qsplay.kernel.kernel import _commands
    # a condition continued over 32,000 lines ("... or"), or one 2 MB line of them
    condition = " or ".join(f'user.group = "g{i}"' for i in range(32_000))
    code = "eval " + condition.replace(" or ", " or\n") if kind == "lines" else "eval " + condition[:2_000_000]
    start = time.perf_counter()
    _commands(code)
    out.put({f"split {kind}": round(time.perf_counter() - start, 3)})


def measure(target, args, timeout: float) -> dict:
    out = mp.Queue()
    p = mp.Process(target=target, args=(*args, out))
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        p.join()
        return {"timeout": f"over {timeout:.0f} s"}
    return out.get() if not out.empty() else {"error": p.exitcode}


CASES = {
    **{f"cycle-k{k}-decide": (_run, ("decide --user CORP\\ann --resource stream:S --action read", cycle_site(k)))
       for k in (7, 8, 9)},
    "cycle-k8-lint": (_run, ("lint", cycle_site(8))),
    "cycle-k8-why-not": (_run, ("why-not --user CORP\\ann --resource stream:S", cycle_site(8))),
    "like-3000": (_run, ("decide --user CORP\\ann --resource stream:" + "a" * 3000 + "xb;lint", like_site(3000))),
    "like-20000": (_run, ("decide --user CORP\\ann --resource stream:" + "a" * 20000 + "xb", like_site(20000))),
    "matches-audit": (_run, ("audit", matches_site())),
    "cell-lines": (_cells, ("lines",)),
    "cell-long-line": (_cells, ("long",)),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    for name, (target, params) in CASES.items():
        if args.only and name not in args.only:
            continue
        print(json.dumps({name: measure(target, params, args.timeout)}), flush=True)


if __name__ == "__main__":
    main()
