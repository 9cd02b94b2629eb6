"""Benchmarks, run on demand: `python -m benchmarks [--quick] [--json]` from the project root
(`python -m benchmarks --realistic --size M` runs benchmarks/from_files.py instead)
(cedarpy comes with `pip install -e '.[bench]'`).

One run on one machine, on the generated site (qsplay.synthetic.large_site), reports:
- a single decision with its full trace (authentication, licence, every candidate rule traced),
  against cedarpy's `is_authorized` on the equivalent Cedar policy set (benchmarks/cedar.py) with
  policies and entities parsed once — and, for reference, with them passed as text per call;
- the full audit (every user x every stream, app and object, all actions) with the compressed
  audit, against cedarpy's batch over the same matrix (run on a sample, scaled, and said so) and
  against the reference evaluator (on a few users, scaled, and said so);
- whether cedarpy and qsplay agree on every request of the sample;
- `qsplay --version` start-up and the process's peak memory after the audit.
"""
from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time


def timed(fn, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _cedar_requests(site, pairs, actions_for):
    from benchmarks.cedar import TYPE
    requests, keys = [], []
    for user, target in pairs:
        for action in actions_for(target):
            requests.append({"principal": {"type": "User", "id": user.id}, "action": {"type": "Action", "id": action},
                             "resource": {"type": TYPE[target.kind], "id": target.id}, "context": {}})
            keys.append((user, target, action))
    return requests, keys


def main(argv: list[str]) -> int:
    if "--realistic" in argv:  # the user's steps from files on realistic sites: benchmarks/from_files.py
        from benchmarks.from_files import main as from_files
        return from_files([a for a in argv if a != "--realistic"])
    quick = "--quick" in argv
    as_json = "--json" in argv
    from qsplay.engine import engine_for, make_request
    from qsplay.explain.audit import audit, reference_evaluator
    from qsplay.synthetic import large_site

    size = dict(users=500, streams=50, apps=450, objects=1500) if quick else \
        dict(users=5000, streams=500, apps=4500, objects=15000)
    kinds = ["stream", "app", "object"]
    site = large_site(**size)
    targets = site.all_resources(kinds)
    notes = []

    # single decisions with the full trace, on a running site (the state is made once), over the same
    # distinct requests cedarpy answers below: random users reading random streams, apps and objects
    engine = engine_for(site)
    rng = random.Random(5)
    picks = [(rng.choice(site.users), rng.choice(targets)) for _ in range(300)]
    requests = [make_request(t.ref, "read", u.qualified) for u, t in picks]
    state = engine.new_state()
    for request in requests[:20]:
        engine.decide(request, state)
    def decide_all():
        for r in requests:
            engine.decide(r, state)
    decide_traced = timed(decide_all, repeat=3) / len(requests)

    # the full audit: every user x every resource, compressed
    started = time.perf_counter()
    result = audit(site, kinds=kinds)
    audit_full = time.perf_counter() - started
    granted_cells = result.count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux reports KB)

    # the reference evaluator on a few users, scaled to all
    ref_users = site.users[:3 if quick else 2]
    ref_seconds = timed(lambda: audit(site, users=[u.qualified for u in ref_users], kinds=kinds,
                                      evaluator=reference_evaluator(site)))
    reference_full = ref_seconds * len(site.users) / len(ref_users)
    notes.append(f"reference evaluator measured on {len(ref_users)} users x {len(targets)} resources "
                 f"({ref_seconds:.1f} s) and scaled to {len(site.users)} users")

    cedar = _cedar(site, targets, result, engine, picks, quick, notes)

    version = timed(lambda: subprocess.run([sys.executable, "-m", "qsplay", "--version"], capture_output=True),
                    repeat=5)
    seconds = {"decide_traced": round(decide_traced, 6), "cedarpy_is_authorized": cedar.get("single"),
               "cedarpy_is_authorized_text_per_call": cedar.get("single_text"),
               "audit_full": round(audit_full, 2), "cedarpy_batch_same_matrix": cedar.get("batch_full"),
               "reference_audit_same_matrix": round(reference_full, 1), "version": round(version, 3)}
    ratios = {"decide_vs_cedarpy": _ratio(decide_traced, cedar.get("single")),
              "cedarpy_batch_vs_audit": _ratio(cedar.get("batch_full"), audit_full),
              "reference_vs_audit": _ratio(reference_full, audit_full)}
    goals = {"decide_vs_cedarpy <= 2": _meets(ratios["decide_vs_cedarpy"], lambda r: r <= 2),
             "audit_full < 10 s": audit_full < 10,
             "cedarpy_batch_vs_audit >= 10": _meets(ratios["cedarpy_batch_vs_audit"], lambda r: r >= 10),
             "reference_vs_audit >= 50": _meets(ratios["reference_vs_audit"], lambda r: r >= 50),
             "version < 0.3 s": version < 0.3}
    out = {
        "quick": quick,
        "site": {"users": len(site.users), "resources": len(targets), "rules": len(site.security_rules),
                 "cells": len(site.users) * len(targets), "granted_cells": granted_cells},
        "audit": result.stats,
        "seconds": seconds, "ratios": ratios, "goals": goals,
        "cedarpy": {k: v for k, v in cedar.items() if k not in ("single", "single_text", "batch_full")},
        "peak_memory_mb": round(peak, 1),
        "notes": notes,
    }
    if as_json:
        print(json.dumps(out, indent=2))
    else:
        _print(out)
    return 0


def _cedar(site, targets, result, engine, picks, quick, notes) -> dict:
    try:
        import cedarpy
    except ImportError:
        notes.append("cedarpy is not installed (pip install -e '.[bench]'): no Cedar figures")
        return {}
    from benchmarks.cedar import Untranslatable, cedar_policies, entities_json
    from qsplay.engine import make_request
    from qsplay.rules.actions import ACTIONS
    try:
        started = time.perf_counter()
        text = cedar_policies(site, "hub")
        entities = json.dumps(entities_json(site))
        policies, handle = cedarpy.PolicySet.from_str(text), cedarpy.Entities.from_json_str(entities)
        translate = time.perf_counter() - started
    except Untranslatable as why:
        notes.append(f"no equivalent Cedar policy set: {why}")
        return {}

    # the actions any rule can grant on a type: the requests a Cedar audit has to make
    actions_by_kind: dict[str, list[str]] = {}

    def actions_for(target):
        got = actions_by_kind.get(target.kind)
        if got is None:
            possible = set()
            for rule in site.security_rules:
                if rule.category.lower() == "security" and rule.filter is not None and \
                        rule.filter.may_select(target.kind) and rule.applies_in("hub"):
                    possible |= rule.actions
            got = actions_by_kind[target.kind] = [a for a in ACTIONS if a in possible]
        return got

    singles, _ = _cedar_requests(site, picks, lambda target: ["read"])
    for one in singles[:20]:
        cedarpy.is_authorized(one, policies, handle)
    def authorize_all():
        for one in singles:
            cedarpy.is_authorized(one, policies, handle)
    single = timed(authorize_all, repeat=3) / len(singles)
    single_text = timed(lambda: cedarpy.is_authorized(singles[0], text, entities), repeat=3)
    disagree = sum(cedarpy.is_authorized(one, policies, handle).allowed !=
                   engine.decide(make_request(t.ref, "read", u.qualified), engine.new_state()).allowed
                   for one, (u, t) in zip(singles[:50], picks[:50]))

    rng = random.Random(11)
    pairs = [(rng.choice(site.users), rng.choice(targets)) for _ in range(600 if quick else 2000)]
    requests, keys = _cedar_requests(site, pairs, actions_for)
    started = time.perf_counter()
    answers = cedarpy.is_authorized_batch(requests, policies, handle)
    batch = time.perf_counter() - started
    disagree += sum(a.allowed != (action in result.granted(u.qualified, t.ref)) for a, (u, t, action)
                    in zip(answers, keys))
    matrix_requests = len(site.users) * sum(len(actions_for(t)) for t in targets)
    batch_full = batch / len(requests) * matrix_requests
    notes.append(f"cedarpy batch measured on {len(requests)} requests ({len(pairs)} random cells x the actions "
                 f"rules can grant on each type) and scaled to the {matrix_requests} requests of the full matrix")
    return {"single": round(single, 6), "single_text": round(single_text, 4), "batch_full": round(batch_full, 1),
            "batch_sample_seconds": round(batch, 3), "sample_requests": len(requests),
            "disagreements": disagree, "policies": text.count("permit("), "translate_seconds": round(translate, 2)}


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else round(a / b, 2 if a / b < 10 else 1)


def _meets(value, test):
    return None if value is None else bool(test(value))


def _print(out: dict) -> None:
    s, r = out["seconds"], out["ratios"]
    site = out["site"]
    print(f"site: {site['users']} users x {site['resources']} resources = {site['cells']:,} cells "
          f"({site['granted_cells']:,} grant something), {site['rules']} rules{' (quick)' if out['quick'] else ''}")
    print(f"audit classes: {out['audit']}")
    c = out["cedarpy"]
    rows = [("single decision, full trace", f"{s['decide_traced'] * 1000:.3f} ms"),
            ("cedarpy is_authorized, same 300 (parsed once)", _ms(s["cedarpy_is_authorized"])),
            ("cedarpy is_authorized (text per call)", _ms(s["cedarpy_is_authorized_text_per_call"])),
            ("full audit, compressed", f"{s['audit_full']:.2f} s"),
            ("cedarpy batch, same matrix", _s(s["cedarpy_batch_same_matrix"])),
            ("reference evaluator, same matrix", _s(s["reference_audit_same_matrix"])),
            ("qsplay --version", f"{s['version']:.3f} s"),
            ("peak memory", f"{out['peak_memory_mb']:.0f} MB")]
    for name, value in rows:
        print(f"  {name:<40} {value:>14}")
    print("ratios: " + ", ".join(f"{k} = {v}" for k, v in r.items()))
    print("goals: " + ", ".join(f"{k}: {'met' if v else 'NOT met' if v is not None else 'n/a'}"
                                for k, v in out["goals"].items()))
    if c:
        print(f"cedarpy and qsplay disagree on {c['disagreements']} of {c['sample_requests']} sampled requests "
              f"({c['policies']} Cedar policies)")
    for note in out["notes"]:
        print(f"note: {note}")


def _ms(v):
    return "n/a" if v is None else f"{v * 1000:.3f} ms"


def _s(v):
    return "n/a" if v is None else f"{v:.1f} s"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
