"""The fast evaluator gives exactly the reference evaluator's answers (the oracle), on the demo
site and on 1,000 random sites drawn from the condition grammar."""
import random

from qsplay.explain.audit import audit
from qsplay.fast import FastSecurity, fast_evaluator
from qsplay.scenario import demo_path, load_scenario
from qsplay.engine.authentication import anonymous_user
from qsplay.synthetic import random_site


def same_audit(site, context):
    from qsplay.explain.audit import reference_evaluator
    reference = audit(site, include_anonymous=True, context=context, evaluator=reference_evaluator(site))
    fast = audit(site, include_anonymous=True, context=context, evaluator=fast_evaluator(site))
    return reference.to_dict() == fast.to_dict(), reference, fast


def test_demo_site_audits_agree():
    site = load_scenario(demo_path())
    for context in ("hub", "qmc"):
        ok, _, _ = same_audit(site, context)
        assert ok


def test_differential_on_1000_random_sites():
    rng = random.Random(20261123)
    granting = merged = 0
    for n in range(1000):
        site = random_site(rng)
        context = rng.choice(["hub", "qmc"])
        ok, reference, fast = same_audit(site, context)
        if not ok:
            rules = "\n".join(f"{r.name}: {r.resource_filter} {sorted(r.actions)} {r.context} "
                              f"{'disabled ' if r.disabled else ''}{r.condition}" for r in site.security_rules
                              if not r.preinstalled)
            raise AssertionError(f"site {n} ({site.semantics}) differs in {context}:\n{rules}\n"
                                 f"reference {reference.to_dict()}\nfast {fast.to_dict()}")
        granting += bool(reference.cells)
        evaluator = fast_evaluator(site)
        users = list(site.users) + [anonymous_user(site, "")]
        merged += len({evaluator.class_of(u) for u in users}) < len(users)
    assert granting > 300  # the random sites really grant things, so agreement means something
    assert merged > 300  # and users really share classes, so the class-based audit is exercised


def test_allowed_matches_decisions():
    site = load_scenario(demo_path())
    fast = FastSecurity(site)
    from qsplay.engine import engine_for
    engine = engine_for(site).security
    for user in site.users:
        for resource in site.all_resources():
            for action in ("read", "update", "publish"):
                assert fast.allowed(user, resource, action, "hub") == \
                    engine.evaluate(user, resource, action, "hub", trace=False).allowed
