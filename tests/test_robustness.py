"""Bad input never crashes: any text given to the parser, the loader or the command layer ends in a
result or a clear, located error (hypothesis generates the input)."""
import string

from hypothesis import HealthCheck, given, settings, strategies as st

from qsplay.commands import CommandError, Session, run_line
from qsplay.rules import ConditionError, parse
from qsplay.scenario import ScenarioError, demo_path, load_scenario_text

RULE_ALPHABET = string.ascii_letters + string.digits + ' .@()!="*\\\'_-,&|\n\t\u201c'
TOKENS = ["user", "resource", ".", "group", "@Dept", "=", "!=", "==", "!==", "like", "matches", "and", "or", "!",
          "(", ")", '"Sales"', '"a*"', "HasPrivilege(", '"read"', "IsAnonymous()", "Empty()", "stream", "true"]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet=RULE_ALPHABET, max_size=60),
                 st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join)))
def test_parser_returns_or_raises_a_located_error(text):
    try:
        parse(text)
    except ConditionError as err:
        assert 1 <= err.line and 1 <= err.col
        assert "^" in err.caret()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=string.printable, max_size=200))
def test_loader_returns_or_raises_located_problems(text):
    try:
        load_scenario_text("qsplay: 1\nname: x\n" + text, "fuzz.yaml")
    except ScenarioError as err:
        assert err.problems and all(p.file == "fuzz.yaml" and p.line >= 1 for p in err.problems)


SESSION = Session()
SESSION.load(demo_path())
WORDS = ["can", "why", "decide", "rule", "user", "eval", "show", "set", "time", "audit", "--user", "--resource",
         "stream:Public", "app:Nope", "CORP\\bob", "anonymous", "read", "fly", "in", "qmc", "via", "public", "'",
         '"', "--condition", 'user.group = "', "+90x", "disable", "Stream", "undo", "diff", "help", "-h"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(" ".join))
def test_command_lines_never_crash(line):
    try:
        run_line(SESSION, line)
    except CommandError as err:
        assert str(err)


# -- grammar-aware conditions (Hypothesis builds them from the rule language's grammar) ------------
PATHS = st.sampled_from(["user.group", "user.@Dept", "user.userId", "user.roles", "resource.name", "resource.@Dept",
                         "resource.stream.name", "resource.app.stream.@Region", "resource.owner", "user",
                         "user.environment.ip", "resource.objectType", "Resource.Stream.Name", "foo.bar"])
TEXT = st.text(alphabet=string.ascii_letters + ' *.?\\"[](){}+|^$\u00e9\u202e', max_size=12)
LEAVES = st.one_of(
    st.builds(lambda p, o, v: f'{p} {o} "{v}"', PATHS, st.sampled_from(["=", "!=", "==", "!==", "like", "matches"]),
              TEXT.map(lambda t: t.replace("\\", "\\\\").replace('"', '\\"'))),
    st.builds(lambda a, o, b: f"{a} {o} {b}", PATHS, st.sampled_from(["=", "!=", "==", "!=="]), PATHS),
    st.builds(lambda p, f: f"{p}.{f}", PATHS, st.sampled_from(["IsAnonymous()", "Empty()", "IsOwned()",
                                                               'HasPrivilege("read")', 'HasPrivilege("fly")'])),
    st.sampled_from(["true", "false", "TRUE"]))
CONDITIONS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds(lambda a, o, b: f"{a} {o} {b}", inner, st.sampled_from(["and", "or", "AND", "Or"]), inner),
    inner.map(lambda c: f"({c})"), inner.map(lambda c: f"!{c}"), inner.map(lambda c: f"!({c})")), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(CONDITIONS)
def test_grammar_built_conditions_parse_or_fail_located_and_evaluate(text):
    from qsplay.rules import EvalContext, EvaluationFailure, Environment
    from qsplay.model import App, Stream, User
    try:
        parsed = parse(text)
    except ConditionError as err:  # e.g. a pattern that does not compile
        assert 1 <= err.line and 1 <= err.col and "^" in err.caret()
        return
    user = User(id="u", name="Ann", directory="CORP", user_id="ann", groups=["Sales"])
    app = App(id="a", name="A", owner=user, stream=Stream(id="s", name="S"))
    from qsplay.rules.evaluator import evaluate
    from qsplay.semantics import Semantics
    ctx = EvalContext(user=user, resource=app, environment=Environment({}), semantics=Semantics(),
                      has_privilege=lambda t, a, w: (a == "read", None))
    try:
        evaluate(parsed, ctx, trace=True)
    except EvaluationFailure:
        pass


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 30, max_value=10 ** 30),
                    st.floats(allow_nan=True), st.text(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=10)
SECTIONS = ["name", "users", "streams", "apps", "objects", "security_rules", "license", "license_rules",
            "virtual_proxies", "checks", "now", "semantics", "custom_properties", "platform"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(SECTIONS), VALUES, min_size=1, max_size=6))
def test_scenarios_with_values_of_every_kind_load_or_fail_located(document):
    """Wrong types in every section: a located problem naming the file, never another exception."""
    import io
    from ruamel.yaml import YAML
    buf = io.StringIO()
    YAML(typ="safe").dump(document, buf)
    try:
        load_scenario_text("qsplay: 1\n" + buf.getvalue(), "typed.yaml")
    except ScenarioError as err:
        assert err.problems and all(p.file == "typed.yaml" and p.line >= 1 and p.col >= 1 for p in err.problems)
