"""The explanation steps from files on a realistic site (issue 21): `audit --format summary`, `lint`,
one `why-not`, `graph --user` and `audit --user`, each as a user runs it (`qsplay ...` in a fresh
process, so loading the file is included), in CPU seconds of that process, with `json.load` of the
QRS folder measured in the same run for the ratio.

    python -m benchmarks.explain_steps --size S          # generates and imports the folder if needed
    python -m benchmarks.explain_steps --folder DIR [--json]

The realistic generator (benchmarks/realistic.py) gives users no licence, so every request would be
denied by the licence; the scenario used here adds analyzer capacity for signed-in users (a licence
block and one licence rule, written into a copy) so that the why-not is about a security denial.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

GOALS = {"S": {"audit --format summary": 10, "lint": 10, "why-not": 3},
         "M": {"audit --format summary": 30, "lint": 30, "why-not": 10}}
LICENCE = ("license:\n  key: signed\n  analyzer_capacity_minutes: 100000000\n")
CAPACITY_RULE = ("  - name: Signed-in users use analyzer capacity (benchmark)\n    type: analyzer_capacity\n"
                 "    condition: '!user.IsAnonymous()'\n")


def child_cpu(argv: list[str]) -> tuple[float, int, str]:
    """CPU seconds (user + system) of one qsplay process, its exit code and the tail of its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "qsplay", *argv], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.returncode, (done.stdout + done.stderr).strip().splitlines()[-1:][0] if (done.stdout + done.stderr).strip() else ""


def json_load_cpu(folder: Path) -> float:
    started = time.process_time()
    for path in sorted(folder.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            json.load(f)
    return time.process_time() - started


def scenario_for(folder: Path, work: Path) -> Path:
    """import-qrs the folder once, then the copy with a licence that lets signed-in users in."""
    imported = work / f"{folder.name}.yaml"
    if not imported.exists():
        subprocess.run([sys.executable, "-m", "qsplay", "import-qrs", str(folder), "-o", str(imported)], check=True,
                       capture_output=True)
    licensed = work / f"{folder.name}-licensed.yaml"
    if not licensed.exists():
        text = imported.read_text(encoding="utf-8")
        if "\nlicense_rules:\n" in text:
            text = text.replace("\nlicense_rules:\n", "\n" + LICENCE + "license_rules:\n" + CAPACITY_RULE, 1)
        else:
            text += LICENCE + "license_rules:\n" + CAPACITY_RULE
        licensed.write_text(text, encoding="utf-8")
    return licensed


def pick_denial(scenario: Path) -> tuple[str, str]:
    """A signed-in user denied reading a published app by the security rules."""
    from qsplay.engine import engine_for, make_request
    from qsplay.scenario import load_scenario
    site = load_scenario(scenario)
    engine = engine_for(site)
    rng = random.Random(21)
    apps = [a for a in site.apps if a.stream is not None]
    for _ in range(2000):
        user, app = rng.choice(site.users), rng.choice(apps)
        request = make_request(site.ref_of(app), "read", user.qualified)
        decision = engine.decide(request, engine.new_state())
        if decision.denied_by == "security":
            return user.qualified, site.ref_of(app)
    raise SystemExit("no security denial found")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.explain_steps")
    p.add_argument("--size", choices=("S", "M", "L"))
    p.add_argument("--folder", help="a QRS export folder (default: generated for --size)")
    p.add_argument("--work", default="benchmarks/out", help="where the folder and scenarios are kept")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.folder:
        folder = Path(args.folder)
    else:
        if not args.size:
            p.error("--size or --folder")
        folder = work / f"{args.size}-qrs"
        if not folder.exists():
            from benchmarks.realistic import SIZES, generate
            generate(folder, **SIZES[args.size])
    size = args.size or "?"
    scenario = scenario_for(folder, work)
    user, app = pick_denial(scenario)
    site = str(scenario)
    steps = {
        "json.load of the QRS folder (anchor)": None,
        "audit --format summary": ["audit", site, "--format", "summary"],
        "lint": ["lint", site],
        "why-not": ["why-not", site, "--user", user, "--resource", app],
        "graph --user": ["graph", site, "--user", user, "-o", str(work / "user.dot")],
        "audit --user": ["audit", site, "--user", user],
    }
    rows = []
    anchor = json_load_cpu(folder)
    for name, command in steps.items():
        if command is None:
            rows.append({"step": name, "cpu_s": round(anchor, 2), "exit": 0, "last_line": ""})
            continue
        cpu, code, last = child_cpu(command)
        goal = GOALS.get(size, {}).get(name)
        rows.append({"step": name, "cpu_s": round(cpu, 2), "ratio_to_json_load": round(cpu / anchor, 1),
                     "goal_s": goal, "holds": None if goal is None else (cpu < goal and code in (0, 1)),
                     "exit": code, "last_line": last[:160]})
    report = {"size": size, "folder": str(folder), "scenario": site, "request": {"user": user, "resource": app},
              "cores": os.cpu_count(), "rows": rows}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"site {size} from {folder} ({site}); why-not and graph for {user} on {app}")
        for r in rows:
            goal = f"  goal < {r['goal_s']} s: {'holds' if r['holds'] else 'MISSED'}" if r.get("goal_s") else ""
            ratio = f" ({r['ratio_to_json_load']}x json.load)" if "ratio_to_json_load" in r else ""
            print(f"  {r['step']:<40} {r['cpu_s']:>8.2f} s CPU{ratio}, exit {r['exit']}{goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
