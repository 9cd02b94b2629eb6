"""A user's steps from files on realistic sites (issue 21): `python -m benchmarks.from_files --size S`
(or `python -m benchmarks --realistic S M`), run on demand, never as a test.

For each size it writes a realistic QRS export folder (benchmarks/realistic.py), then runs each step
as the user would — a `qsplay` process — and reports its CPU seconds (user + system of that process,
from os.wait4: the machines are shared, so wall time says little) and peak memory (max RSS), with
the ratio to `json.load` of the same folder, measured in the same run:

  import-qrs, check (the first read of the file: fast reader + builder, and the compiled site kept
  by its content hash, qsplay/scenario/cache.py), check again (what every later read costs), one
  decide, shell ready (load + engine, what the shell does before its
  prompt), audit --format summary, lint, why-not (one denial), graph --user.

A step that runs past --timeout CPU-seconds' worth of wall time is stopped and reported as such.
The QRS folder holds no licence state, so a `license:` section (professional and analyzer for
every user) is added to the imported file; the generated licence rules then allocate access and the
decide reaches the security rules.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .realistic import SIZES, generate

ROOT = Path(__file__).resolve().parents[1]
JSON_LOAD = ("import glob, json, sys, time\n"
             "t = time.process_time()\n"
             "for f in sorted(glob.glob(sys.argv[1] + '/*.json')):\n"
             "    with open(f, encoding='utf-8') as fh: json.load(fh)\n"
             "print(time.process_time() - t)\n")
SHELL_READY = ("import sys\n"
               "from qsplay.shell import app\n"  # what the shell imports before its prompt
               "from qsplay.commands.base import Session\n"
               "Session().load(sys.argv[1])\n")


def run(argv: list[str], timeout: float, stdin: str | None = None) -> dict:
    """One process: its CPU seconds and peak RSS, from the kernel's accounting of that process."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    if stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    out_chunks = []
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > timeout:
            proc.send_signal(signal.SIGKILL)
            timed_out = True
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    out_chunks.append(out)
    return {"cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "wall_s": round(time.monotonic() - start, 1), "exit": proc.returncode, "timed_out": timed_out,
            "stdout": out[:2000], "stderr": err[-2000:]}


def measure_size(size: str, work: Path, timeout: float, steps: set[str] | None = None) -> dict:
    folder, site = work / f"{size}-export", work / f"{size}.yaml"
    counts = generate(folder, **SIZES[size])
    mb = sum(f.stat().st_size for f in folder.glob("*.json")) / 1e6
    py = sys.executable
    qsplay = [py, "-m", "qsplay"]
    anchor = run([py, "-c", JSON_LOAD, str(folder)], timeout)
    json_cpu = float(anchor["stdout"].strip() or "nan")
    results = {"json.load": {"cpu_s": round(json_cpu, 2), "process_cpu_s": anchor["cpu_s"],
                             "peak_rss_mb": anchor["peak_rss_mb"]}}
    users = json.loads((folder / "user.json").read_text(encoding="utf-8"))
    streams = json.loads((folder / "stream.json").read_text(encoding="utf-8"))
    analyst = next(u for u in users if any(a["attributeValue"] == "Sales-EMEA" for a in u["attributes"])
                   and not u["roles"] and not u["inactive"])
    user = f"{analyst['userDirectory']}\\{analyst['userId']}"
    groups = {a["attributeValue"] for a in analyst["attributes"] if a["attributeType"] == "Group"}
    closed = next(s for s in streams if not groups & {p["value"] for p in s["customProperties"]
                                                         if p["definition"]["name"] == "AccessGroup"}
                  and any(p["definition"]["name"] == "Confidential" for p in s["customProperties"]))
    resource = f"stream:{closed['name']}"

    plan = [
        ("import-qrs", qsplay + ["import-qrs", str(folder), "-o", str(site)], None),
        ("check (first read)", qsplay + ["check", str(site)], None),
        ("check", qsplay + ["check", str(site)], None),
        ("decide", qsplay + ["decide", str(site), "--user", user, "--resource", resource], None),
        ("shell ready", [py, "-c", SHELL_READY, str(site)], None),
        ("audit --format summary", qsplay + ["audit", str(site), "--format", "summary"], None),
        ("lint", qsplay + ["lint", str(site)], None),
        ("why-not", qsplay + ["why-not", str(site), "--user", user, "--resource", resource], None),
        ("graph --user", qsplay + ["graph", str(site), "--user", user, "-o", str(work / f"{size}-graph.dot")], None),
    ]
    for name, argv, stdin in plan:
        if steps and name not in steps and name != "import-qrs":
            continue
        got = run(argv, timeout, stdin)
        if name == "import-qrs" and got["exit"] == 0:
            with open(site, "a", encoding="utf-8") as fh:  # licence state is not in the QRS folder (see above)
                fh.write(f"license: {{professional: {len(users)}, analyzer: {len(users)}}}\n")
        got["ratio_to_json_load"] = round(got["cpu_s"] / json_cpu, 1) if json_cpu > 0 else None
        first = (got["stdout"].strip().splitlines() or [""])[0][:160]
        got["says"] = first if got["exit"] in (0, 1) else (got["stderr"].strip().splitlines() or [""])[-1][:200]
        del got["stdout"], got["stderr"]
        results[name] = got
    return {"size": size, "site": SIZES[size], "files": counts, "qrs_mb": round(mb, 1),
            "yaml_mb": round(site.stat().st_size / 1e6, 1) if site.exists() else None,
            "request": {"user": user, "resource": resource}, "steps": results}


def report(result: dict) -> str:
    s = result["site"]
    lines = [f"{result['size']}: {s['users']:,} users, {s['apps']:,} apps, {s['objects']:,} objects — QRS JSON "
             f"{result['qrs_mb']} MB, scenario YAML {result['yaml_mb']} MB; request {result['request']['user']} "
             f"read {result['request']['resource']}",
             f"  {'step':<24}{'CPU s':>8}{'x json.load':>13}{'peak MB':>9}  outcome"]
    for name, got in result["steps"].items():
        if name == "json.load":
            lines.append(f"  {name:<24}{got['cpu_s']:>8.2f}{1:>13.1f}{got['peak_rss_mb']:>9}  (anchor; the whole "
                         f"process {got['process_cpu_s']:.2f} s)")
            continue
        outcome = "STOPPED (timeout)" if got["timed_out"] else f"exit {got['exit']}: {got['says']}"
        lines.append(f"  {name:<24}{got['cpu_s']:>8.2f}{got['ratio_to_json_load'] or 0:>13.1f}"
                     f"{got['peak_rss_mb']:>9}  {outcome}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.from_files", description=__doc__.split("\n")[0])
    parser.add_argument("--size", action="append", choices=sorted(SIZES), help="S, M or L (repeatable; default S)")
    parser.add_argument("--timeout", type=float, default=300, help="wall seconds per step before it is stopped")
    parser.add_argument("--steps", help="comma-separated subset of the steps (import-qrs always runs)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", help="write the folders and scenarios here instead of a temporary folder")
    args = parser.parse_args(argv)
    steps = set(args.steps.split(",")) if args.steps else None
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        for size in args.size or ["S"]:
            result = measure_size(size, work, args.timeout, steps)
            results.append(result)
            if not args.json:
                print(report(result), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
