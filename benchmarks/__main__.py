"""Benchmarks, run on demand: `python -m benchmarks [--quick] [--json]` from the project root.

One run on one machine reports: a single decision with its full trace; an audit of the generated
site with the fast evaluator; the reference evaluator on a sample of the same matrix (extrapolated,
and said so); ratios between them. cedarpy figures are reported as null until an equivalent Cedar
policy set exists (see the note on issue 10); `qsplay --version` time and peak memory are reported.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import resource


def timed(fn, repeat: int = 1) -> float:
    best = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t)
    return statistics.median(best)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    as_json = "--json" in argv
    from qsplay.engine import engine_for, make_request
    from qsplay.explain.audit import audit, reference_evaluator
    from qsplay.fast import fast_evaluator
    from qsplay.synthetic import large_site

    size = dict(users=500, streams=50, apps=450, objects=1500) if quick else \
        dict(users=5000, streams=500, apps=4500, objects=15000)
    site = large_site(**size)
    resources = len(site.all_resources()) - len(site.users)
    kinds = ["stream", "app", "object"]

    engine = engine_for(site)
    user = site.users[7]
    app = site.apps[11]
    request = make_request(app.ref, "read", user.qualified)
    decide_traced = timed(lambda: engine.decide(request, engine.new_state()), repeat=20)

    # the audit: every user x every resource with the fast evaluator
    sample = site.users
    fast_seconds = timed(lambda: audit(site, users=[u.qualified for u in sample], kinds=kinds,
                                       evaluator=fast_evaluator(site)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux reports KB)
    audit_full = fast_seconds * len(site.users) / len(sample)

    ref_sample = site.users[:5]
    ref_seconds = timed(lambda: audit(site, users=[u.qualified for u in ref_sample], kinds=kinds,
                                      evaluator=reference_evaluator(site)))
    fast_sample = timed(lambda: audit(site, users=[u.qualified for u in ref_sample], kinds=kinds,
                                      evaluator=fast_evaluator(site)))
    reference_full = ref_seconds * len(site.users) / len(ref_sample)

    version = timed(lambda: subprocess.run([sys.executable, "-m", "qsplay", "--version"], capture_output=True),
                    repeat=5)
    result = {
        "quick": quick,
        "site": {"users": len(site.users), "resources": resources, "rules": len(site.security_rules)},
        "seconds": {"decide_traced": round(decide_traced, 6), "cedarpy_is_authorized": None,
                    "audit_full": round(audit_full, 2), "cedarpy_batch_same_matrix": None,
                    "reference_audit_same_matrix": round(reference_full, 2), "version": round(version, 3)},
        "ratios": {"decide_vs_cedarpy": None, "cedarpy_batch_vs_audit": None,
                   "reference_vs_audit": round(reference_full / audit_full, 1)},
        "peak_memory_mb": round(peak, 1),
        "notes": [f"audit_full measured on {len(sample)} of {len(site.users)} users and scaled"
                  if len(sample) != len(site.users) else "audit_full measured on every user",
                  f"reference measured on {len(ref_sample)} users and scaled to all (it evaluates every user; "
                  f"on those {len(ref_sample)} users alone it is {ref_seconds / fast_sample:.1f}x slower)",
                  "cedarpy: no equivalent Cedar policy set yet"],
    }
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        s, r = result["seconds"], result["ratios"]
        print(f"site: {result['site']}{' (quick)' if quick else ''}")
        print(f"single decision with full trace   {s['decide_traced'] * 1000:8.2f} ms")
        print(f"audit, fast evaluator             {s['audit_full']:8.2f} s")
        print(f"audit, reference evaluator        {s['reference_audit_same_matrix']:8.2f} s   "
              f"(reference / fast = {r['reference_vs_audit']}x)")
        print(f"qsplay --version                  {s['version']:8.3f} s")
        print(f"peak memory (process)             {result['peak_memory_mb']:8.1f} MB")
        for note in result["notes"]:
            print(f"note: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
