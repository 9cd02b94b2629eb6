"""Deterministic synthetic sites: large ones for benchmarks, tiny random ones for differential tests.

`large_site(...)` builds a realistic site (groups, custom properties, streams per department, apps,
sheets, stream rules by group and property, an app-level custom-property rule, HasPrivilege rules)
on top of the preinstalled rules. `random_site(rng)` draws a small site with random rules from the
condition grammar (every operator and function, HasPrivilege, disabled rules, contexts, semantics
choices) for comparing evaluators.
"""
from __future__ import annotations

import random

from .defaults import BUILTIN_STREAMS, preinstalled_rule_specs
from .model import App, AppObject, SecurityRule, Site, Stream, User, stable_id
from .rules import parse, parse_filter
from .rules.actions import ACTIONS
from .semantics import CHOICES, Semantics

DEPARTMENTS = ["Sales", "Finance", "HR", "Marketing", "IT", "Operations", "Legal", "Support", "R&D", "Procurement"]
REGIONS = ["North", "South", "East", "West"]


def _rule(name: str, resource_filter: str, actions, condition: str, context: str = "both",
          disabled: bool = False, empty_id: str = "nothing") -> SecurityRule:
    rule = SecurityRule(name=name, resource_filter=resource_filter, actions=frozenset(actions), condition=condition,
                        context=context, disabled=disabled, id=stable_id("rule", name))
    rule.filter = parse_filter(resource_filter, empty_id)
    rule.parsed = parse(condition)
    return rule


def _preinstalled() -> list[SecurityRule]:
    from .scenario.loader import _rule_from_spec
    return [_rule_from_spec(spec) for spec in preinstalled_rule_specs()]


def large_site(users: int = 5000, streams: int = 500, apps: int = 4500, objects: int = 15000, seed: int = 7) -> Site:
    rng = random.Random(seed)
    site = Site(name=f"synthetic site ({users} users, {streams + 2} streams, {apps} apps, {objects} objects)")
    site.license.professional = site.license.analyzer = users
    for spec in BUILTIN_STREAMS:
        site.streams.append(Stream(id=spec["id"], name=spec["name"]))
    people = []
    for i in range(users):
        dept = DEPARTMENTS[i % len(DEPARTMENTS)]
        groups = [dept] + ([f"{dept} managers"] if i % 17 == 0 else []) + (["Analysts"] if i % 5 == 0 else [])
        roles = ["ContentAdmin"] if i % 997 == 0 else []
        u = User(id=stable_id("user", f"ACME\\u{i}"), name=f"User {i}", directory="ACME", user_id=f"u{i}",
                 groups=groups, roles=roles, properties={"Region": [REGIONS[i % 4]]},
                 access=["professional" if i % 20 == 0 else "analyzer"])
        people.append(u)
    site.users = people
    made_streams = []
    for i in range(streams):
        dept = DEPARTMENTS[i % len(DEPARTMENTS)]
        s = Stream(id=stable_id("stream", f"s{i}"), name=f"{dept} {i}", owner=people[i % max(1, users // 20)],
                   properties={"Department": [dept], "Region": [REGIONS[i % 4]]})
        made_streams.append(s)
    site.streams.extend(made_streams)
    developers = people[: max(1, users // 20)]  # apps are owned by the few who build them
    made_apps = []
    for i in range(apps):
        stream = made_streams[i % streams] if i % 10 else None  # one in ten unpublished
        a = App(id=stable_id("app", f"a{i}"), name=f"App {i}", owner=rng.choice(developers), stream=stream,
                properties={"Confidential": ["Yes"]} if i % 13 == 0 else {})
        made_apps.append(a)
    site.apps.extend(made_apps)
    for i in range(objects):
        app = made_apps[i % apps]
        published = i % 4 != 0
        site.objects.append(AppObject(id=stable_id("object", f"o{i}"), name=f"Sheet {i}", app=app,
                                      object_type="sheet" if i % 7 else "story", owner=app.owner,
                                      published=published, approved=published and i % 3 != 0))
    rules = _preinstalled()
    for dept in DEPARTMENTS:
        rules.append(_rule(f"{dept} reads its streams", "Stream_*", ["read"],
                           f'resource.@Department = "{dept}" and user.group = "{dept}"', "hub"))
        rules.append(_rule(f"{dept} managers publish", "Stream_*", ["read", "publish"],
                           f'user.group = "{dept} managers" and resource.@Department = "{dept}"'))
    rules.append(_rule("Analysts read their region", "Stream_*", ["read"],
                       'user.group = "Analysts" and user.@Region = resource.@Region', "hub"))
    rules.append(_rule("Confidential apps: managers only", "App_*", ["read"],
                       'resource.@Confidential = "Yes" and user.group like "* managers" and '
                       'resource.stream.HasPrivilege("read")'))
    rules.append(_rule("Stories for analysts", "App.Object_*", ["read", "export_data"],
                       'resource.objectType = "story" and user.group = "Analysts" and resource.app.HasPrivilege("read")'))
    rules.append(_rule("Legal reviews", "App*", ["read"], 'user.group = "Legal" and resource.app.stream.@Region = "North"',
                       "hub", disabled=True))
    site.security_rules = rules
    return site


# -- random tiny sites for differential tests ---------------------------------------------------
USER_PATHS = ["user.group", "user.roles", "user.@Region", "user.userId", "user.name", "user.userDirectory",
              "user.@Missing", "user.shoeSize"]
RESOURCE_PATHS = ["resource.name", "resource.@Region", "resource.stream.name", "resource.app.stream.name",
                  "resource.app.name", "resource.objectType", "resource.published", "resource.approved",
                  "resource.stream.@Region", "resource.resourcetype", "resource.owner.name", "resource.description"]
LITERALS = ["Sales", "sales", "Finance", "North", "south", "u1", "S1", "App 1", "sheet", "true", "false", "",
            "ContentAdmin", "ACME"]
PATTERNS_LIKE = ["S*", "*1", "*a*", "App*", "u?"]
PATTERNS_MATCH = ["s.*", ".*1", "(App|S) ?\\d", "[a-z]+", "north|south"]
FILTERS = ["*", "App*", "App_*", "App.Object_*", "Stream_*", "Stream*, App_*", "User*"]


# rule shapes found in public rule collections (issue 17): objects compared with text, other roots,
# like "*"; filters with a bare type or a type without id
SHAPE_PATHS = ["resource.owner", "resource.stream", "resource.app", "user", "node.name", "app.name", "stream.name"]
SHAPE_CONDITIONS = ['resource.owner = user.userId', 'user.name = resource.owner', 'resource.owner != "u1"',
                    'resource.stream = "S1"', 'user.name like "*"', 'resource.owner like "ACME*"',
                    'user.@Missing = ""', 'node.name = "S1"', 'resource.owner = "ACME\\u1"']
SHAPE_FILTERS = ["App", "Stream", "Stream_", "App_", "App.Object"]
NEW_CHOICES = ("entity_text", "empty_id_filter")  # drawn only by shape sites


def random_condition(rng: random.Random, depth: int = 0, shapes: bool = False) -> str:
    if shapes and rng.random() < 0.35:
        if rng.random() < 0.6:
            return rng.choice(SHAPE_CONDITIONS)
        left = rng.choice(SHAPE_PATHS)
        op = rng.choice(["=", "!=", "like", "=="])
        if op == "like" or rng.random() < 0.6:
            right = '"' + rng.choice(["*", "u1", "ACME*", "", "S1"]) + '"'
        else:
            right = rng.choice(USER_PATHS + RESOURCE_PATHS)
        return f"{left} {op} {right}"
    roll = rng.random()
    if depth < 2 and roll < 0.3:
        op = rng.choice([" and ", " or "])
        return f"({random_condition(rng, depth + 1, shapes)}{op}{random_condition(rng, depth + 1, shapes)})"
    if depth < 2 and roll < 0.38:
        return f"!({random_condition(rng, depth + 1, shapes)})"
    kind = rng.random()
    if kind < 0.12:
        return rng.choice(["user.IsAnonymous()", "resource.IsOwned()", "resource.stream.Empty()",
                           "user.@Region.Empty()", "true"])
    if kind < 0.25:
        # shape sites leave out HasPrivilege on the resource itself: how a self-referencing
        # HasPrivilege resolves is the fixpoint question, not a rule shape
        target = rng.choice(["resource.stream", "resource.app", "resource.app.stream"] + ([] if shapes else ["resource"]))
        return f'{target}.HasPrivilege("{rng.choice(["read", "update", "publish"])}")'
    if kind < 0.32:
        return "resource.owner = user"
    left = rng.choice(USER_PATHS + RESOURCE_PATHS)
    op = rng.choice(["=", "=", "!=", "==", "!==", "like", "matches"])
    if op == "like":
        return f'{left} like "{rng.choice(PATTERNS_LIKE)}"'
    if op == "matches":
        return f'{left} matches "{rng.choice(PATTERNS_MATCH)}"'
    right = (f'"{rng.choice(LITERALS)}"' if rng.random() < 0.75
             else rng.choice(USER_PATHS + RESOURCE_PATHS))
    return f"{left} {op} {right}"


def random_site(rng: random.Random, scale: int = 1, shapes: bool = False) -> Site:
    site = Site(name="random")
    site.semantics = Semantics(**{k: rng.choice(v) for k, v in CHOICES.items() if shapes or k not in NEW_CHOICES})
    n_users = rng.randint(1, 4 * scale)
    site.users = [User(id=stable_id("user", f"ACME\\u{i}"), name=rng.choice(["Ann", "Bo", "u1", "Sales"]),
                       directory=rng.choice(["ACME", "INTERNAL"]), user_id=f"u{i}",
                       groups=rng.sample(["Sales", "Finance", "North", "S1"], rng.randint(0, 3)),
                       roles=rng.sample(["ContentAdmin", "RootAdmin"], rng.randint(0, 1)),
                       properties={"Region": rng.sample(REGIONS + ["north"], rng.randint(0, 2))})
                  for i in range(n_users)]
    streams = [Stream(id=stable_id("stream", f"s{i}"), name=f"S{i}", owner=rng.choice(site.users + [None]),
                      properties={"Region": rng.sample(REGIONS, rng.randint(0, 2))}) for i in range(rng.randint(1, 3 * scale))]
    site.streams.extend(streams)
    apps = [App(id=stable_id("app", f"a{i}"), name=f"App {i}", owner=rng.choice(site.users + [None]),
                stream=rng.choice(streams + [None]), properties={"Region": rng.sample(REGIONS, rng.randint(0, 1))})
            for i in range(rng.randint(1, 4 * scale))]
    site.apps.extend(apps)
    site.objects.extend(AppObject(id=stable_id("object", f"o{i}"), name=f"Obj {i}", app=rng.choice(apps),
                                  object_type=rng.choice(["sheet", "story", "app_appscript"]),
                                  owner=rng.choice(site.users + [None]), published=rng.random() < 0.6,
                                  approved=rng.random() < 0.4, description=rng.choice(["", "Sales", "North"]))
                        for i in range(rng.randint(0, 4 * scale)))
    rules = _preinstalled() if rng.random() < 0.1 else []
    for i in range(rng.randint(1, 6)):
        filters = FILTERS + SHAPE_FILTERS if shapes else FILTERS
        rules.append(_rule(f"r{i}", rng.choice(filters), rng.sample(ACTIONS[:6], rng.randint(1, 3)),
                           random_condition(rng, 0, shapes), rng.choice(["both", "hub", "qmc"]), rng.random() < 0.15,
                           site.semantics.empty_id_filter))
    site.security_rules = rules
    return site
