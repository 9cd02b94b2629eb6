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
