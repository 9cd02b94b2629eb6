"""The rule language's parser: precedence, operators, paths, functions and located errors.

Sources: qlik-security-rules.md §1 (operators-and-functions-for-conditions, April 2018:
"NOT is evaluated first, then AND, and finally OR ... A OR B AND C ... is interpreted as
A OR (B AND C)"; operator pages; rules-has-privilege/-is-anonymous/-empty/-is-owned).
"""
import pytest

from qsplay.rules import ConditionError, parse
from qsplay.rules.ast import And, Bool, Call, Compare, Not, Or, Path, Str


def test_empty_condition_is_none_root():
    # "you can leave the Conditions field empty" (rules-conditions-advanced-view)
    assert parse("").root is None
    assert parse("   \n ").root is None


def test_or_binds_looser_than_and():
    # Qlik: "A OR B AND C" is "A OR (B AND C)"
    root = parse('user.name = "a" or user.name = "b" and user.name = "c"').root
    assert isinstance(root, Or)
    assert isinstance(root.items[0], Compare)
    assert isinstance(root.items[1], And)


def test_not_binds_tightest():
    root = parse('!user.IsAnonymous() and user.group = "X"').root
    assert isinstance(root, And)
    assert isinstance(root.items[0], Not)
    assert isinstance(root.items[0].item, Call)


def test_parentheses_group_and_keep_their_text():
    cond = '(user.group = "A" or user.group = "B") and resource.name = "S"'
    parsed = parse(cond)
    assert isinstance(parsed.root, And)
    assert isinstance(parsed.root.items[0], Or)
    assert parsed.span(parsed.root.items[0]) == '(user.group = "A" or user.group = "B")'


@pytest.mark.parametrize("op", ["=", "!=", "==", "!=="])
def test_comparison_operators(op):
    root = parse(f'resource.@org {op} "UK"').root
    assert isinstance(root, Compare) and root.op == op
    assert root.left == Path(root.left.start, root.left.end, "resource", ("@org",))


@pytest.mark.parametrize("op", ["like", "matches"])
def test_text_operators_take_a_fixed_string(op):
    assert parse(f'resource.name {op} "mya*"').root.op == op
    # "The matches and like operators only accept static strings on the right side" (Qlik Community)
    with pytest.raises(ConditionError) as err:
        parse(f"resource.name {op} user.group")
    assert f"expected a string after '{op}'" in err.value.message


def test_navigation_paths_and_custom_properties():
    root = parse('user.group = resource.app.stream.@DevGroup').root
    assert root.right.segments == ("app", "stream", "@DevGroup")
    root = parse("resource.owner = user").root
    assert root.right == Path(root.right.start, root.right.end, "user", ())


def test_functions_case_insensitive_with_canonical_names():
    # the 1.1 help writes user.isAnonymous(); later pages user.IsAnonymous()
    for text, fn in [("user.isAnonymous()", "IsAnonymous"), ("resource.stream.empty()", "Empty"),
                     ("resource.IsOwned()", "IsOwned"), ('resource.Stream.HasPrivilege("read")', "HasPrivilege")]:
        call = parse(text).root
        assert isinstance(call, Call) and call.function == fn
    assert parse('resource.app.HasPrivilege("Read")').root.arg == "read"


def test_unknown_function_is_located_with_suggestion():
    with pytest.raises(ConditionError) as err:
        parse("user.IsAnonymus()")
    assert "did you mean IsAnonymous()" in err.value.message
    assert (err.value.line, err.value.col) == (1, 6)


def test_has_privilege_needs_a_known_action():
    with pytest.raises(ConditionError):
        parse("resource.HasPrivilege(read)")
    with pytest.raises(ConditionError) as err:
        parse('resource.HasPrivilege("fly")')
    assert "unknown action" in err.value.message


def test_string_escapes():
    # the documented matches example doubles its backslashes; the 2017 export has single ones
    assert parse(r'resource.resourcefilter matches "Stream_\\w{8}"').root.right.value == r"Stream_\w{8}"
    assert parse(r'resource.resourcefilter matches "Stream_\w{8}"').root.right.value == r"Stream_\w{8}"
    assert parse(r'user.name = "say \"hi\""').root.right.value == 'say "hi"'


def test_booleans_and_bare_true():
    # preinstalled "Extension" and "HubSections" rules have the condition `true`
    assert parse("true").root == Bool(0, 4, True)
    # booleans are compared as strings: resource.published = "true"
    assert isinstance(parse('resource.published ="true"').root, Compare)


def test_unquoted_value_is_read_as_text_with_a_note():
    # documented example: resource.@Department = Finance (unquoted) — acceptance UNCONFIRMED
    parsed = parse("resource.@Department = Finance")
    assert parsed.root.right == Str(parsed.root.right.start, parsed.root.right.end, "Finance", quoted=False)
    assert any("bare word" in n.text for n in parsed.notes)


def test_upper_case_keywords_accepted_with_a_note():
    parsed = parse('user.group = "A" AND user.group = "B"')
    assert isinstance(parsed.root, And)
    assert any("lower case" in n.text for n in parsed.notes)


def test_wildcard_with_equals_gets_a_note():
    # QMC help: user.name = "a*" targets "The user named exactly a*"
    assert any("use like" in n.text for n in parse('user.name = "a*"').notes)


@pytest.mark.parametrize("text, line, col, fragment", [
    ('user.group = "Sales" and', 1, 25, "expected a condition"),
    ('user.group "Sales"', 1, 12, "expected an operator"),
    ('(user.group = "A"', 1, 18, "expected ')'"),
    ('user.group = "A")', 1, 17, "no matching '('"),
    ('user.group =', 1, 13, "expected a value"),
    ('user.group = "A" xor user.group = "B"', 1, 18, "expected 'and', 'or'"),
    ('user.group = "unterminated', 1, 14, "never closed"),
    ("user.group = 'A'", 1, 14, "double quotes"),
    ('user.group = \u201cA\u201d', 1, 14, "typographic quote"),
    ('user.group = "A" && user.name = "b"', 1, 18, "'and', not '&&'"),
    ('user.\n  group = "A" and\n  resource.name like user.name', 3, 22, "expected a string after 'like'"),
    ('resource.name matches "(unclosed"', 1, 23, "does not compile"),
])
def test_errors_are_located(text, line, col, fragment):
    with pytest.raises(ConditionError) as err:
        parse(text)
    assert fragment in err.value.message
    assert (err.value.line, err.value.col) == (line, col)
    caret_line = err.value.caret().splitlines()[-1]
    assert caret_line.index("^") == col - 1


def test_every_preinstalled_condition_parses():
    from qsplay.defaults import preinstalled_rule_specs
    for spec in preinstalled_rule_specs():
        parse(spec["condition"])  # raises if not
