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


def agreeing_audits(site, context, n):
    """The reference and the compressed audit of a random site, which must agree (else: its rules)."""
    ok, reference, fast = same_audit(site, context)
    if not ok:
        rules = "\n".join(f"{r.name}: {r.resource_filter} {sorted(r.actions)} {r.context} "
                          f"{'disabled ' if r.disabled else ''}{r.condition}" for r in site.security_rules
                          if not r.preinstalled)
        raise AssertionError(f"site {n} ({site.semantics}) differs in {context}:\n{rules}\n"
                             f"reference {reference.to_dict()}\nfast {fast.to_dict()}")
    return reference, fast


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
        reference, fast = agreeing_audits(site, context, n)
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


# Shapes of real sites (issue 21; benchmarks/realistic.py makes them at size): users in several
# groups, group-valued custom properties on users and streams (`user.group = resource.@AccessGroup`),
# objects whose description names a group (SheetLevelSecurity), != and !x conditions, copied apps
# with the same name, published and private objects, owners.
REALISTIC_CONDITIONS = [
    "user.group = resource.@AccessGroup",
    "user.group = resource.@AccessGroup and user.@AccessGroup = resource.@AccessGroup",
    "resource.app.stream.@AccessGroup = user.group and resource.objectType != \"story\"",
    "user.group = resource.description and resource.published = \"true\"",
    "resource.@AccessGroup != user.group",
    "user.@AccessGroup !== resource.stream.@AccessGroup",
    "user.group = \"G1\" and !(user.userdirectory = \"EXT\") and resource.@Region != \"North\"",
    "!(resource.@Region = user.@Region) or user.group = \"G2\"",
    "resource.stream.@Region = user.@Region and !user.IsAnonymous()",
    "resource.IsOwned() and resource.owner.name = user.name",
    "resource.owner = user or resource.owner != user and user.group = \"G3\"",
    "user.@Department = resource.@Department",
    "resource.stream.HasPrivilege(\"read\") and (user.group = resource.@AccessGroup or user.group = \"G0\")",
    "resource.app.HasPrivilege(\"read\") and resource.published = \"true\"",
    "user.group like \"G*\" and resource.name like \"App*\"",
]


def realistic_random_site(rng):
    from qsplay.model import App, AppObject, Site, Stream, User, stable_id
    from qsplay.semantics import CHOICES, Semantics
    from qsplay.synthetic import _rule
    from qsplay.rules.actions import ACTIONS
    site = Site(name="realistic random")
    site.semantics = Semantics(**{k: rng.choice(v) for k, v in CHOICES.items()})
    groups = [f"G{i}" for i in range(6)] + ["g1"]
    site.users = [User(id=stable_id("user", f"u{i}"), name=rng.choice(["Ann", "Bo", "Cy"]),
                       directory=rng.choice(["CORP", "EXT"]), user_id=f"u{i}",
                       groups=rng.sample(groups, rng.randint(0, 4)),
                       properties={"AccessGroup": rng.sample(groups, rng.randint(0, 2)),
                                   **({"Region": [rng.choice(["North", "South"])]} if rng.random() < 0.7 else {})},
                       attributes={"Department": [rng.choice(["Sales", "HR"])]} if rng.random() < 0.5 else {})
                  for i in range(rng.randint(2, 10))]
    streams = [Stream(id=stable_id("stream", f"s{i}"), name=f"S{i}", owner=rng.choice(site.users + [None]),
                      properties={"AccessGroup": rng.sample(groups, rng.randint(0, 3)),
                                  "Region": rng.sample(["North", "South", "East"], rng.randint(0, 2))})
               for i in range(rng.randint(1, 4))]
    site.streams.extend(streams)
    apps = [App(id=stable_id("app", f"a{i}"), name=f"App {rng.randint(0, 2)}",  # copies share names
                owner=rng.choice(site.users + [None]), stream=rng.choice(streams + [None]),
                properties={"AccessGroup": rng.sample(groups, rng.randint(0, 2)),
                            "Department": rng.sample(["Sales", "HR"], rng.randint(0, 1))})
            for i in range(rng.randint(1, 6))]
    site.apps.extend(apps)
    site.objects.extend(AppObject(id=stable_id("object", f"o{i}"), name=f"Sheet {i % 3}", app=rng.choice(apps),
                                  object_type=rng.choice(["sheet", "story", "bookmark"]),
                                  owner=rng.choice(site.users + [None]), published=rng.random() < 0.6,
                                  approved=rng.random() < 0.4, description=rng.choice(groups + ["", "notes"]))
                        for i in range(rng.randint(0, 10)))
    rules = []
    for i in range(rng.randint(2, 7)):
        rules.append(_rule(f"r{i}", rng.choice(["Stream_*", "App_*", "App.Object_*", "App*", "*"]),
                           rng.sample(ACTIONS[:6], rng.randint(1, 3)), rng.choice(REALISTIC_CONDITIONS),
                           rng.choice(["both", "hub", "qmc"]), rng.random() < 0.1))
    if rng.random() < 0.15:
        from qsplay.synthetic import _preinstalled
        rules = _preinstalled() + rules
    site.security_rules = rules
    return site


def test_differential_on_realistic_shapes():
    rng = random.Random(2112)
    granting = compressed = 0
    for n in range(120):
        site = realistic_random_site(rng)
        context = rng.choice(["hub", "qmc"])
        reference, fast = agreeing_audits(site, context, n)
        granting += bool(reference.cells)
        compressed += "uncompressed_because" not in fast.stats
        assert fast.summary()["granted_cells"] == len(reference.cells)
    assert granting > 80 and compressed > 30  # entity_text other than qualified: cell by cell


def test_audit_of_one_user_shows_the_table_whatever_its_size(monkeypatch):
    """The "too big for a table" summary is for the whole matrix; a user asked for gets their table."""
    import qsplay.explain.audit as audit_module
    from qsplay.explain.audit import render_table
    from qsplay.synthetic import large_site
    site = large_site(users=60, streams=6, apps=40, objects=120)
    monkeypatch.setattr(audit_module, "TABLE_LIMIT", 10)
    one = audit(site, users=[site.users[0].qualified], kinds=["stream", "app", "object"])
    assert one.count() > 10 and "narrow it with --user" not in render_table(one)
    assert "narrow it with --user" in render_table(audit(site, kinds=["stream", "app", "object"]))


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


# Resource classes from what is left of each condition (qsplay.fast.compressed.ResourceClasses): a
# part a resource-only value cuts short is never read, and a comparison of a user property with a
# resource property counts by the users it holds for, not by the values the resource names.
SHORT_CIRCUITS = """
qsplay: 1
name: Short circuits and values nobody holds
default_rules: false
users:
  - {directory: CORP, id: ann, groups: [Sales]}
  - {directory: CORP, id: ben, groups: [HR]}
  - {directory: CORP, id: cy, groups: [Sales, HR]}
streams:
  - {name: Sales}
apps:
  - {name: A1, stream: Sales, owner: CORP\\ann}
  - {name: A2, owner: CORP\\ann}
  - {name: A3, owner: CORP\\ben}
  - {name: A4, stream: Sales, owner: CORP\\cy}
objects:
  - {name: s1, app: A1, type: sheet, owner: CORP\\ann, published: true, description: Sales}
  - {name: s2, app: A2, type: sheet, owner: CORP\\ann, published: false, description: Nobody}
  - {name: s3, app: A3, type: sheet, owner: CORP\\ben, published: false, description: Nobody else}
  - {name: b1, app: A1, type: bookmark, owner: CORP\\ann, published: true, description: HR}
  - {name: b2, app: A2, type: bookmark, owner: CORP\\ben, published: false, description: Sales}
  - {name: b3, app: A3, type: bookmark, owner: CORP\\cy, published: false, description: Finance}
  - {name: b4, app: A4, type: bookmark, owner: CORP\\cy, published: true}
security_rules:
  - name: Sheets by group
    resource_filter: App.Object_*
    actions: [read]
    condition: resource.objectType = "sheet" and user.group = resource.description
  - name: Sheets of readable apps
    resource_filter: App.Object_*
    actions: [read]
    condition: resource.objectType = "sheet" and resource.app.HasPrivilege("read")
  - name: Own sheets
    resource_filter: App.Object_*
    actions: [update]
    condition: resource.objectType = "sheet" and resource.owner = user
  - name: Own apps
    resource_filter: App_*
    actions: [read]
    condition: resource.owner = user
"""


def test_resources_differing_only_where_no_rule_looks_share_a_class():
    from qsplay.fast.compressed import compressed_audit
    from .conftest import site_from
    site = site_from(SHORT_CIRCUITS)
    ok, reference, compressed = same_audit(site, "hub")
    assert ok and len(reference.cells) > 0
    kinds = ["object"]
    targets = site.all_resources(kinds)
    c = compressed_audit(site, list(site.users), targets, "hub")
    by_name = {t.name: c.resource_class[i] for i, t in enumerate(targets)}
    # bookmarks: every rule stops at objectType = "sheet", whatever their app, owner or description
    assert by_name["b1"] == by_name["b2"] == by_name["b3"] == by_name["b4"]
    # sheets naming groups no user holds ("Nobody", "Nobody else") in apps their owners alone read
    assert by_name["s2"] == by_name["s3"] != by_name["s1"]
    # owners' cells only where identity is left to compare: the sheets, not the bookmarks
    assert c.stats["owner_cells"] == 3  # each sheet's owner (who owns its app too); no bookmark


def test_short_circuits_agree_with_the_reference_under_every_semantics():
    """Failing parts stop `and`/`or` for the users they reach: the residual classes keep that."""
    from itertools import product
    from .conftest import site_from
    from qsplay.semantics import Semantics
    site = site_from(SHORT_CIRCUITS)
    extra = ["resource.@Missing = \"x\" or resource.objectType = \"sheet\"",
             "!(resource.objectType = \"sheet\" and user.@Missing = \"x\") and resource.published = \"true\"",
             "resource.objectType != \"sheet\" or resource.owner = user or user.@Region = resource.@Region"]
    from qsplay.synthetic import _rule
    site.security_rules = site.security_rules + [_rule(f"x{i}", "App*", ["read", "delete"], c, "both", False)
                                                 for i, c in enumerate(extra)]
    for missing, ne in product(("fail", "empty"), ("any_differs", "none_equal")):
        site.semantics = Semantics(missing_property=missing, ne_on_lists=ne)
        for context in ("hub", "qmc"):
            ok, _, _ = same_audit(site, context)
            assert ok, (missing, ne, context)
