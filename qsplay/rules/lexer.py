"""Tokens of Qlik's rule condition language.

Keywords (and, or, like, matches, true, false) are recognised in any case; the parser records a
note when they are not lower-case, because Qlik Support says they must be (UNCONFIRMED).
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ConditionError

KEYWORDS = {"and", "or", "like", "matches", "true", "false"}
OPERATORS = ("!==", "!=", "==", "=")  # longest first
_WORD_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
_WORD_CHARS = _WORD_START | {"-"}
_TYPOGRAPHIC_QUOTES = "\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # WORD, STRING, OP, BANG, LPAREN, RPAREN, DOT, COMMA, AT, EOF
    text: str  # raw text; for STRING the decoded value
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            value, end = _read_string(text, i)
            tokens.append(Token("STRING", value, i, end))
            i = end
            continue
        if ch in _TYPOGRAPHIC_QUOTES:
            raise ConditionError(
                f"{ch} is a typographic quote (often pasted from documents); use a plain double quote \"",
                text, i, ('"',))
        if ch == "'":
            raise ConditionError("strings are written in double quotes in Qlik rules, not single quotes",
                                 text, i, ('"',))
        for op in OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("OP", op, i, i + len(op)))
                i += len(op)
                break
        else:
            simple = {"!": "BANG", "(": "LPAREN", ")": "RPAREN", ".": "DOT", ",": "COMMA", "@": "AT"}
            if ch in simple:
                tokens.append(Token(simple[ch], ch, i, i + 1))
                i += 1
            elif ch in _WORD_START:
                j = i + 1
                while j < n and text[j] in _WORD_CHARS:
                    j += 1
                tokens.append(Token("WORD", text[i:j], i, j))
                i = j
            elif ch in "&|":
                word = "and" if ch == "&" else "or"
                raise ConditionError(f"Qlik rules write '{word}', not '{ch}{ch}'", text, i, (word,))
            else:
                raise ConditionError(f"unexpected character {ch!r}", text, i)
    end = len(text.rstrip())  # errors at the end point just past the last character, not a newline
    tokens.append(Token("EOF", "", end, end))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """A double-quoted string. \\" and \\\\ are escapes; any other backslash is kept as written,
    so both "\\w" and "\\\\w" reach a regular expression as \\w (Qlik's own rules use both)."""
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ConditionError("this string is never closed (missing \")", text, start, ('"',))
