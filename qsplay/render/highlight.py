"""Pygments lexers: Qlik rule conditions, and qsplay command lines (which embed conditions)."""
from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace, Comment

_RULE_TOKENS = [
    (r"\s+", Whitespace),
    (r'"(\\\\|\\"|[^"])*"', String.Double),
    (r"\b(and|or|like|matches)\b", Operator.Word),
    (r"\b(true|false)\b", Keyword.Constant),
    (r"(\.)(HasPrivilege|IsAnonymous|Empty|IsOwned)(?=\s*\()", bygroups(Punctuation, Name.Function)),
    (r"\b(user|resource)\b", Name.Builtin),
    (r"@[A-Za-z_]\w*", Name.Variable),
    (r"!==|!=|==|=|!", Operator),
    (r"[().,]", Punctuation),
    (r"[A-Za-z_][\w-]*", Name.Attribute),
    (r"\d[\w-]*", Number),
]


class RuleLexer(RegexLexer):
    """The condition language of Qlik Sense security and licence rules."""
    name = "Qlik rule"
    aliases = ["qlikrule"]
    flags = 0
    tokens = {"root": list(_RULE_TOKENS)}


class CommandLexer(RegexLexer):
    """A qsplay shell/kernel line: the command word, flags, references, and conditions in quotes."""
    name = "qsplay"
    aliases = ["qsplay"]
    tokens = {
        "root": [
            (r"^\s*#.*$", Comment),
            (r"^(\s*)(eval)(\b)", bygroups(Whitespace, Keyword, Text), "condition"),
            (r"^(\s*)([A-Za-z][\w-]*)", bygroups(Whitespace, Keyword)),
            include("args"),
        ],
        "args": [
            (r"\s+", Whitespace),
            (r"(--condition)(\s+)(')", bygroups(Name.Tag, Whitespace, String.Single), "quoted-condition"),
            (r"--?[A-Za-z][\w-]*", Name.Tag),
            (r"\b(in|via|for|on|to)\b", Operator.Word),
            (r"\b(stream|app|object|data_connection|extension|content_library|reload_task|user)(:)",
             bygroups(Name.Class, Punctuation)),
            (r'"[^"]*"', String.Double),
            (r"'[^']*'", String.Single),
            (r"[^\s\"']+", Text),
        ],
        "condition": [
            (r"\b(for|on|in)\b", Operator.Word),
            *_RULE_TOKENS,
        ],
        "quoted-condition": [
            (r"'", String.Single, "#pop"),
            *_RULE_TOKENS,
        ],
    }
