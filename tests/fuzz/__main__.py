"""The fuzz campaign: `python -m tests.fuzz --minutes 30` (from the project root).

Runs the targets of tests/fuzz/targets.py in worker processes (one per core by default), each input
under a time limit (a hang is an input that exceeds it), and prints what it did. Every crash or
hang is saved to tests/fuzz/crashers/<target>-<hash>.txt — tests/test_fuzz.py replays those files
on every run, so a crash found once stays a regression test. Budgets: --minutes shares the time
between the targets; --parser-inputs N (and --loader-inputs, --qrs-inputs, --command-inputs) stop a
target after N inputs. The exit code is 1 when anything crashed or hung.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

CRASHERS = Path(__file__).resolve().parent / "crashers"


class Hang(Exception):
    pass


def _on_alarm(signum, frame):
    raise Hang()


def fuzz(target_name: str, seed: int, inputs: int | None, seconds: float | None, save: bool = True) -> dict:
    """Run one target in this process; returns counts and the failures (input, kind, summary)."""
    from tests.fuzz.targets import TARGETS
    target = TARGETS[target_name]()
    rng = random.Random(seed)
    signal.signal(signal.SIGALRM, _on_alarm)
    done, failures, slowest = 0, [], 0.0
    started = time.monotonic()
    while (inputs is None or done < inputs) and (seconds is None or time.monotonic() - started < seconds):
        text = target.generate(rng)
        t = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, target.limit)
        try:
            target.run(text)
            kind = None
        except Hang:
            kind, summary = "hang", f"took longer than {target.limit} s"
        except RecursionError:
            kind, summary = "crash", "RecursionError"
        except Exception as exc:  # anything the oracle did not accept
            kind, summary = "crash", "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        slowest = max(slowest, time.monotonic() - t)
        done += 1
        if kind is not None:
            failures.append({"target": target_name, "kind": kind, "summary": summary, "input": text})
            if save:
                _save(target_name, text, kind, summary)
    return {"target": target_name, "seed": seed, "inputs": done, "seconds": time.monotonic() - started,
            "slowest": slowest, "failures": failures}


def _save(target: str, text: str, kind: str, summary: str) -> Path:
    CRASHERS.mkdir(exist_ok=True)
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    path = CRASHERS / f"{target}-{digest}.json"
    path.write_text(json.dumps({"target": target, "kind": kind, "summary": summary, "input": text},
                               ensure_ascii=True, indent=1), encoding="utf-8")
    return path


def _job(args):
    return fuzz(*args)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=None, help="total wall-clock budget, shared by the targets")
    p.add_argument("--parser-inputs", type=int)
    p.add_argument("--loader-inputs", type=int)
    p.add_argument("--qrs-inputs", type=int)
    p.add_argument("--command-inputs", type=int)
    p.add_argument("--targets", default="parser,loader,qrs,commands")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    limits = {"parser": args.parser_inputs, "loader": args.loader_inputs, "qrs": args.qrs_inputs,
              "commands": args.command_inputs}
    if args.minutes is None and not any(limits[n] for n in names):
        args.minutes = 1.0
    # the time budget: half to the parser's many cheap inputs' share is not needed; split evenly by job
    jobs = []
    for name in names:
        for worker in range(args.workers):
            count = limits[name]
            share = None if count else (args.minutes * 60 / len(names))
            per_worker = None if count is None else -(-count // args.workers)
            jobs.append((name, args.seed * 1000 + hash(name) % 997 + worker, per_worker, share))
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(_job, jobs, chunksize=1)
    totals: dict[str, dict] = {}
    for r in results:
        t = totals.setdefault(r["target"], {"inputs": 0, "cpu_seconds": 0.0, "crashes": 0, "hangs": 0, "slowest": 0.0})
        t["inputs"] += r["inputs"]
        t["cpu_seconds"] += r["seconds"]
        t["slowest"] = max(t["slowest"], r["slowest"])
        t["crashes"] += sum(f["kind"] == "crash" for f in r["failures"])
        t["hangs"] += sum(f["kind"] == "hang" for f in r["failures"])
    wall = time.monotonic() - started
    report = {"seed": args.seed, "workers": args.workers, "wall_seconds": round(wall, 1), "targets": totals,
              "failures": [{k: v for k, v in f.items() if k != "input"} | {"input": f["input"][:200]}
                           for r in results for f in r["failures"]][:50]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"fuzz campaign: seed {args.seed}, {args.workers} workers, {wall:.0f} s")
        for name, t in totals.items():
            rate = t["inputs"] / max(t["cpu_seconds"], 1e-9)
            print(f"  {name:<9} {t['inputs']:>10,} inputs  {rate:8,.0f}/s per worker  crashes {t['crashes']}  "
                  f"hangs {t['hangs']}  slowest {t['slowest'] * 1000:.0f} ms")
        for f in report["failures"]:
            print(f"  {f['target']} {f['kind']}: {f['summary'].splitlines()[-1] if f['summary'] else ''}")
        if report["failures"]:
            print(f"saved to {CRASHERS}/ (tests/test_fuzz.py replays them)")
    return 1 if any(t["crashes"] or t["hangs"] for t in totals.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
