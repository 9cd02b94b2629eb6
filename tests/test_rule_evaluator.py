"""The evaluator: Qlik's documented operator semantics, multi-valued properties, functions,
the named choices for UNCONFIRMED behaviour, and the trace.

Sources (qlik-security-rules.md §1.2–§1.10): operator-equal / -not-equal / -strict-equal /
-strict-not-equal / -like / -matches pages; "The full list does not have to match when a value
used in an expression exists in a list"; rules-has-privilege, -is-anonymous, -empty, -is-owned.
"""
import pytest

from qsplay.model import App, Stream, User
from qsplay.rules import EvalContext, EvaluationFailure, Environment, evaluate, parse
from qsplay.semantics import Semantics


def run(cond, user=None, resource=None, env=None, semantics=None, has_privilege=None, trace=False):
    ctx = EvalContext(user=user, resource=resource, environment=Environment(env),
                      semantics=semantics or Semantics(), has_privilege=has_privilege)
    value, node = evaluate(parse(cond), ctx, trace=trace)
    return (value, node) if trace else value


ALICE = User(id="u1", name="Alice", directory="CORP", user_id="alice", groups=["Sales", "EMEA"],
             roles=["ContentAdmin"], properties={"Department": ["Sales"]}, email="alice@corp.example")
SALES = Stream(id="s1", name="Sales", owner=ALICE, properties={"org": ["uk"]})
APP = App(id="a1", name="Budget", owner=ALICE, stream=SALES)


def test_equal_is_case_insensitive():
    # "Given that @org = "uk" ... resource.@org = "UK" evaluates to True"
    assert run('resource.@org = "UK"', resource=SALES)
    assert not run('resource.@org = "United Kingdom"', resource=SALES)


def test_strict_equal_is_case_sensitive():
    # "Given that @org = "united States" ... resource.@org == "United States" evaluates to False"
    st = Stream(id="s2", name="US", properties={"org": ["united States"]})
    assert not run('resource.@org == "United States"', resource=st)
    assert run('resource.@org == "united States"', resource=st)
    # "resource.org !== "United States" evaluates to True because the operator is case sensitive"
    assert run('resource.@org !== "United States"', resource=st)


def test_not_equal_is_case_insensitive():
    # "Given that @org = "uk" ... resource.@org != "UK" evaluates to False"
    assert not run('resource.@org != "UK"', resource=SALES)


def test_multi_valued_any_match():
    # a user in several groups matches when any group matches
    assert run('user.group = "emea"', user=ALICE)
    assert run('user.roles = "ContentAdmin"', user=ALICE)
    assert not run('user.group = "Finance"', user=ALICE)


def test_property_to_property():
    assert run("resource.@Department = user.@Department", user=ALICE,
               resource=Stream(id="x", name="x", properties={"Department": ["SALES"]}))
    # resource.owner = user compares the owner to the requesting user
    assert run("resource.IsOwned() and resource.owner = user", user=ALICE, resource=APP)
    bob = User(id="u2", name="Bob", directory="CORP", user_id="bob")
    assert not run("resource.owner = user", user=bob, resource=APP)


def test_not_equal_on_lists_is_a_named_choice():
    # != on a multi-valued property is UNCONFIRMED in QSEoW; default reads Qlik Core's wording
    # "If a list is used, only one value needs not to match."
    assert run('user.group != "Sales"', user=ALICE)  # EMEA differs
    strict = Semantics(ne_on_lists="none_equal")
    assert not run('user.group != "Sales"', user=ALICE, semantics=strict)
    assert run('!(user.group = "Sales")', user=ALICE) is False  # the safe way to say "not in"
    value, node = run('user.group != "Sales"', user=ALICE, trace=True)
    assert any("ne_on_lists=any_differs" in n for n in node.notes)


def test_like_wildcards_and_case():
    # "resource.name like "mya*" ... names beginning with "mya", irrespective of case"
    assert run('resource.name like "bud*"', resource=APP)
    assert run('resource.name like "*DG*"', resource=APP)
    assert not run('resource.name like "dget*"', resource=APP)
    assert not run('resource.name like "Bud?et"', resource=APP)  # ? is not documented as a wildcard


def test_matches_full_case_insensitive_by_default():
    # "Regex start and end anchors are implicitly added"; case-insensitive (help 2022+)
    assert run('resource.name matches ".*dge.*"', resource=APP)
    assert not run('resource.name matches "dge"', resource=APP)
    assert run('resource.name matches "budget"', resource=APP)
    assert not run('resource.name matches "budget"', resource=APP, semantics=Semantics(matches_case="sensitive"))
    assert run('resource.resourcefilter matches "Stream_\\\\w+"', resource=SALES)


def test_matches_cannot_hang():
    # (a|aa)+b backtracks exponentially on a long run of a's; the evaluator gives up and says so
    victim = Stream(id="x", name="a" * 40 + "!")
    value, node = run('resource.name matches "(a|aa)+b"', resource=victim, trace=True)
    assert value is False
    assert any("was stopped" in n for n in node.notes)


def test_functions():
    anon = User(id="n", name="anon", directory="NONE", user_id="anonymousX", is_anonymous=True)
    assert run("user.IsAnonymous()", user=anon)
    assert run("!user.IsAnonymous()", user=ALICE)
    # "resource.stream.Empty() ... provided that the app is not connected (published) to a stream"
    draft = App(id="a2", name="Draft", owner=ALICE)
    assert run("resource.stream.Empty()", resource=draft)
    assert not run("resource.stream.Empty()", resource=APP)
    assert run("resource.@Missing.Empty()", resource=APP)
    assert run("resource.IsOwned()", resource=APP)
    assert not run("resource.IsOwned()", resource=Stream(id="e", name="Everyone"))


def test_has_privilege_asks_back_and_is_false_on_empty():
    asked = []

    def has_privilege(target, action, trace):
        asked.append((target.name, action))
        return target.name == "Sales", None
    assert run('resource.stream.HasPrivilege("read")', resource=APP, has_privilege=has_privilege)
    assert asked == [("Sales", "read")]
    draft = App(id="a2", name="Draft", owner=ALICE)
    assert not run('resource.stream.HasPrivilege("read")', resource=draft, has_privilege=has_privilege)


def test_environment_attributes():
    # user.environment.browser like "*Firefox*" (available-resource-conditions)
    env = {"browser": ["Mozilla/5.0 (Windows NT 6.1) Firefox/50.0"], "ip": ["::ffff:10.88.0.5"]}
    assert run('user.environment.browser like "*Firefox*"', user=ALICE, env=env)
    assert run('user.environment.ip = "::ffff:10.88.0.5"', user=ALICE, env=env)
    assert not run('user.environment.group = "Dev"', user=ALICE, env=env)


def test_names_are_case_insensitive():
    assert run('user.UserDirectory = "corp" and user.USERID = "ALICE"', user=ALICE)
    assert run('resource.Stream.Name = "sales"', resource=APP)


def test_missing_property_is_a_named_choice():
    assert not run('user.shoeSize = "42"', user=ALICE)
    value, node = run('user.shoeSize = "42"', user=ALICE, trace=True)
    assert any("missing_property=empty" in n for n in node.notes)
    with pytest.raises(EvaluationFailure):
        run('user.shoeSize = "42"', user=ALICE, semantics=Semantics(missing_property="fail"))


def test_short_circuit_is_traced():
    value, node = run('user.group = "Finance" and user.name = "Alice"', user=ALICE, trace=True)
    assert value is False
    assert [c.value for c in node.children] == [False, None]  # the second was not evaluated
    compare = node.children[0]
    assert compare.operands == [("user.group", ["Sales", "EMEA"])]


def test_empty_condition_is_true():
    assert run("", user=ALICE)
