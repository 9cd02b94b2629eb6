"""The fast evaluator gives exactly the reference evaluator's answers (the oracle), on the demo
site and on 1,000 random sites drawn from the condition grammar."""
import random

from qsplay.explain.audit import audit
from qsplay.fast import FastSecurity, fast_evaluator
from qsplay.scenario import demo_path, load_scenario
from qsplay.engine.authentication import anonymous_user
from qsplay.synthetic import random_site


def same_audit(site, context):
    """The reference against both fast paths: cell by cell with user classes, and the compressed
    audit (classes of users and resources, owners' cells apart) that `audit` uses by default."""
    from qsplay.explain.audit import reference_evaluator
    reference = audit(site, include_anonymous=True, context=context, evaluator=reference_evaluator(site))
    fast = audit(site, include_anonymous=True, context=context, evaluator=fast_evaluator(site))
    compressed = audit(site, include_anonymous=True, context=context)
    same = reference.to_dict() == fast.to_dict() == compressed.to_dict()
    same = same and compressed.count() == len(reference.cells)
    return same, reference, compressed


def test_demo_site_audits_agree():
    site = load_scenario(demo_path())
    for context in ("hub", "qmc"):
        ok, _, _ = same_audit(site, context)
        assert ok


def test_differential_on_1000_random_sites():
    rng = random.Random(20261123)
    granting = merged = compressible = shared_resources = 0
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
        compressible += "uncompressed_because" not in fast.stats
        shared_resources += fast.stats.get("resource_classes", 99) < len(fast.resources)
        evaluator = fast_evaluator(site)
        users = list(site.users) + [anonymous_user(site, "")]
        merged += len({evaluator.class_of(u) for u in users}) < len(users)
    assert granting > 300  # the random sites really grant things, so agreement means something
    assert merged > 300  # and users really share classes, so the class-based audit is exercised
    assert compressible > 500 and shared_resources > 200  # and so do resources


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


def test_compiled_trace_equals_the_reference_walk():
    """Decisions trace through conditions compiled once (qsplay.rules.traced); the reference walk
    (`_Evaluator`) must give the same value, the same trace and the same failures, on 300 random sites."""
    from qsplay.rules import EvalContext, EvaluationFailure, Environment
    from qsplay.rules.evaluator import _Evaluator
    from qsplay.rules.traced import compiled_traced

    rng = random.Random(7)
    compared = 0
    for _ in range(300):
        site = random_site(rng)
        users = list(site.users) + [anonymous_user(site, "")]
        for rule in site.security_rules:
            if rule.parsed is None or rule.parsed.root is None:
                continue
            for user in users:
                for resource in site.all_resources():
                    env = Environment({"ip": ["10.0.0.1"]})
                    answers = {}

                    def has_privilege(target, action, want_trace):
                        granted = (hash((target.key, action)) % 2 == 0)
                        return granted, {"asked": target.ref, "action": action}

                    ctx = EvalContext(user=user, resource=resource, environment=env, semantics=site.semantics,
                                      has_privilege=has_privilege)
                    for name, run in (("reference", lambda: _Evaluator(rule.parsed, ctx, True).eval(rule.parsed.root)),
                                      ("compiled", lambda: compiled_traced(rule.parsed, site.semantics)(ctx))):
                        try:
                            value, node = run()
                            answers[name] = (value, node.to_dict())
                        except EvaluationFailure as exc:
                            answers[name] = ("failed", str(exc))
                    assert answers["reference"] == answers["compiled"], (rule.condition, user, resource)
                    compared += 1
    assert compared > 10000


def test_compressed_audit_on_larger_random_sites():
    """Sites with up to 16 users and 40 resources, where resource classes really merge and owners'
    cells are common: the compressed audit equals the reference."""
    rng = random.Random(99)
    exceptions = 0
    for n in range(60):
        site = random_site(rng, scale=4)
        ok, reference, compressed = same_audit(site, rng.choice(["hub", "qmc"]))
        assert ok, f"site {n}"
        exceptions += compressed.stats.get("exceptions", 0) > 0
    assert exceptions > 5


def test_compressed_audit_on_a_generated_site_with_the_preinstalled_rules():
    from qsplay.explain.audit import reference_evaluator
    from qsplay.synthetic import large_site
    site = large_site(users=40, streams=6, apps=30, objects=90)
    kinds = ["stream", "app", "object"]
    reference = audit(site, kinds=kinds, evaluator=reference_evaluator(site))
    compressed = audit(site, kinds=kinds)
    assert "uncompressed_because" not in compressed.stats
    assert compressed.stats["resource_classes"] < len(compressed.resources) / 2
    assert compressed.to_dict() == reference.to_dict()
    assert compressed.count() == len(reference.cells) > 0


def test_summary_counts_equal_the_cells(monkeypatch):
    """`audit --format summary` counts per class; the counts must equal the cells, one by one."""
    from qsplay.synthetic import large_site
    from qsplay.explain.audit import render_table
    site = large_site(users=60, streams=6, apps=40, objects=120)
    result = audit(site, kinds=["stream", "app", "object"])
    counted: dict = {}
    for cell in result.cells:
        kind = cell.resource.partition(":")[0]
        for action in cell.actions:
            counted.setdefault(kind, {}).setdefault(action, 0)
            counted[kind][action] += 1
    summary = result.summary()
    assert summary["granted_by_kind_and_action"] == counted
    assert summary["granted_cells"] == len(result.cells)
    import qsplay.explain.audit as audit_module
    monkeypatch.setattr(audit_module, "TABLE_LIMIT", 100)
    assert "narrow it with --user" in render_table(result)  # too many cells for a table: the summary


def test_differential_on_random_sites_with_real_world_rule_shapes():
    """Objects compared with text (resource.owner = user.userId), other roots (node.), like "*",
    "" on a missing attribute, bare-type and id-less filters, under every entity_text and
    empty_id_filter reading: the fast paths agree with the reference, cell by cell."""
    rng = random.Random(20261202)
    granting = 0
    for n in range(300):
        site = random_site(rng, shapes=True)
        context = rng.choice(["hub", "qmc"])
        ok, reference, fast = same_audit(site, context)
        assert ok, (n, site.semantics, [r.condition for r in site.security_rules if not r.preinstalled])
        granting += bool(reference.cells)
    assert granting > 100


def test_compiled_trace_equals_the_reference_walk_on_rule_shapes():
    from qsplay.rules import EvalContext, EvaluationFailure, Environment
    from qsplay.rules.evaluator import _Evaluator
    from qsplay.rules.traced import compiled_traced

    rng = random.Random(11)
    compared = noted = 0
    for _ in range(120):
        site = random_site(rng, shapes=True)
        users = list(site.users) + [anonymous_user(site, "")]
        for rule in site.security_rules:
            if rule.parsed is None or rule.parsed.root is None:
                continue
            for user in users:
                for resource in site.all_resources():
                    ctx = EvalContext(user=user, resource=resource, environment=Environment({}),
                                      semantics=site.semantics, has_privilege=lambda t, a, w: (True, None))
                    answers = {}
                    for name, run in (("reference", lambda: _Evaluator(rule.parsed, ctx, True).eval(rule.parsed.root)),
                                      ("compiled", lambda: compiled_traced(rule.parsed, site.semantics)(ctx))):
                        try:
                            value, node = run()
                            answers[name] = (value, node.to_dict())
                        except EvaluationFailure as exc:
                            answers[name] = ("failed", str(exc))
                    assert answers["reference"] == answers["compiled"], (rule.condition, user, resource)
                    compared += 1
                    noted += "entity_text=" in str(answers["reference"])
    assert compared > 3000 and noted > 100
