"""Recursive-descent parser for Qlik rule conditions.

Grammar (derived from every documented example; Qlik publishes none):
    condition  := [or]                       (empty is true)
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "!" not | atom             (NOT binds tighter than AND, AND than OR)
    atom       := "(" or ")" | "true" | "false" | call | operand op operand
    op         := "=" | "!=" | "==" | "!==" | "like" STRING | "matches" STRING
    operand    := STRING | path | bare-word
    path       := WORD ("." (WORD | "@" WORD))*
    call       := path "." FUNCTION "(" [STRING] ")"
"""
from __future__ import annotations

import difflib

import regex

from .actions import normalize_action
from .ast import And, Bool, Call, Compare, Node, Not, Note, Or, ParsedCondition, Path, Str
from .errors import ConditionError
from .lexer import Token, tokenize

FUNCTIONS = {"hasprivilege": "HasPrivilege", "isanonymous": "IsAnonymous", "empty": "Empty",
             "isowned": "IsOwned"}
ROOTS = ("user", "resource")
_COMPARISON_OPS = ("=", "!=", "==", "!==")
_TEXT_OPS = ("like", "matches")
_ATOM_HINT = "a condition such as user.group = \"Sales\", user.IsAnonymous() or ( ... )"
# how deep ( and ! may nest: Qlik's own rules use four levels; the bound keeps the parser, the
# evaluators and the renderers (all recursive) far from Python's recursion limit
MAX_NESTING = 100


def parse(text: str) -> ParsedCondition:
    """Parse a condition. Raises ConditionError with the position and what was expected."""
    if text is None or not text.strip():
        return ParsedCondition(text or "", None, ())
    parser = _Parser(text)
    root = parser.parse()
    return ParsedCondition(text, root, tuple(parser.notes))


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.notes: list[Note] = []

    # -- helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.pos + n, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def is_keyword(self, tok: Token, *words: str) -> bool:
        return tok.kind == "WORD" and tok.lower in words

    def keyword(self, *words: str) -> Token | None:
        if self.is_keyword(self.tok, *words):
            tok = self.advance()
            if tok.text != tok.lower:
                self.notes.append(Note(tok.start, tok.end,
                    f"'{tok.text}' read as '{tok.lower}'; Qlik Support says operators must be written "
                    f"in lower case (UNCONFIRMED), so write '{tok.lower}'"))
            return tok
        return None

    def fail(self, message: str, tok: Token | None = None, expected: tuple[str, ...] = ()):
        tok = tok or self.tok
        raise ConditionError(message, self.text, tok.start, expected)

    def describe(self, tok: Token) -> str:
        return "the end of the condition" if tok.kind == "EOF" else repr(self.text[tok.start:tok.end])

    # -- grammar -------------------------------------------------------------------------
    def parse(self) -> Node:
        node = self.parse_or()
        if self.tok.kind != "EOF":
            if self.tok.kind == "RPAREN":
                self.fail("this ')' has no matching '('")
            self.fail(f"expected 'and', 'or' or the end of the condition, found {self.describe(self.tok)}",
                      expected=("and", "or"))
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.keyword("or"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(items[0].start, items[-1].end, tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_not()]
        while self.keyword("and"):
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(items[0].start, items[-1].end, tuple(items))

    def nest(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"nested too deeply: more than {MAX_NESTING} levels of '(' and '!' (Qlik's own rules "
                      f"use at most four)", tok=tok)

    def parse_not(self) -> Node:
        if self.tok.kind == "BANG":
            bang = self.advance()
            self.nest(bang)
            item = self.parse_not()
            self.depth -= 1
            return Not(bang.start, item.end, item)
        return self.parse_atom()

    def parse_atom(self) -> Node:
        tok = self.tok
        if tok.kind == "LPAREN":
            self.advance()
            self.nest(tok)
            node = self.parse_or()
            self.depth -= 1
            if self.tok.kind != "RPAREN":
                self.fail(f"expected ')' to close the '(' at col {self._col(tok)}, found {self.describe(self.tok)}",
                          expected=(")",))
            close = self.advance()
            return _respan(node, tok.start, close.end)
        if tok.kind == "EOF":
            self.fail(f"expected {_ATOM_HINT}", expected=("user.", "resource.", "(", "!"))
        if self.is_keyword(tok, "true", "false") and not self._is_operator(self.peek()):
            self.keyword("true", "false")
            return Bool(tok.start, tok.end, tok.lower == "true")
        if tok.kind not in ("WORD", "STRING"):
            self.fail(f"expected {_ATOM_HINT}, found {self.describe(tok)}",
                      expected=("user.", "resource.", "(", "!"))
        if self.is_keyword(tok, "and", "or", "like", "matches"):
            self.fail(f"expected {_ATOM_HINT} before '{tok.text}'", expected=("user.", "resource."))
        left = self.parse_operand()
        if isinstance(left, Call):
            if self._is_operator(self.tok):
                self.fail(f"{left.function}() is already a condition; it cannot be compared")
            return left
        op_tok = self.tok
        if op_tok.kind == "OP":
            self.advance()
            if self.tok.kind == "EOF" or self._is_operator(self.tok) or self.is_keyword(self.tok, "and", "or"):
                self.fail(f"expected a value or a property after '{op_tok.text}'", expected=('"', "user.", "resource."))
            right = self.parse_operand()
            if isinstance(right, Call):
                self.fail(f"{right.function}() is a condition, not a value", tok=self.tokens[self.pos - 1])
            if op_tok.text in ("=", "==", "!=", "!==") and isinstance(right, Str) and "*" in right.value:
                self.notes.append(Note(right.start, right.end,
                    f"'{op_tok.text}' compares exactly, so * is not a wildcard here (Qlik: "
                    f"user.name = \"a*\" targets the user named exactly a*); use like for wildcards"))
            return Compare(left.start, right.end, left, op_tok.text, right)
        if self.is_keyword(op_tok, *_TEXT_OPS):
            self.keyword(*_TEXT_OPS)
            op = op_tok.lower
            pattern = self.tok
            if pattern.kind != "STRING":
                self.fail(f"expected a string after '{op}' (Qlik accepts only a fixed string on the right "
                          f"of like and matches)", expected=('"',))
            self.advance()
            right = Str(pattern.start, pattern.end, pattern.text)
            if op == "matches":
                weight = repetition_weight(pattern.text)
                if weight > MAX_REPETITION:
                    self.fail(f"this regular expression repeats up to {weight:,} times (nested counts multiply); "
                              f"more than {MAX_REPETITION:,} is refused because compiling it can take seconds",
                              tok=pattern)
                try:
                    regex.compile(pattern.text)
                except regex.error as exc:
                    self.fail(f"this regular expression does not compile: {exc}", tok=pattern)
            return Compare(left.start, right.end, left, op, right)
        name = self.text[left.start:left.end]
        if isinstance(left, Path) and not self._is_operator(op_tok) and op_tok.kind == "WORD":
            close = difflib.get_close_matches(op_tok.lower, ["and", "or", "like", "matches"], n=1)
            if close:
                self.fail(f"unknown operator '{op_tok.text}'; did you mean '{close[0]}'?", expected=(close[0],))
        self.fail(f"expected an operator (=, !=, ==, !==, like, matches) after {name!r}",
                  expected=("=", "!=", "==", "!==", "like", "matches"))

    def parse_operand(self) -> Node:
        tok = self.tok
        if tok.kind == "STRING":
            self.advance()
            return Str(tok.start, tok.end, tok.text)
        if tok.kind != "WORD":
            self.fail(f"expected a value or a property, found {self.describe(tok)}")
        first = self.advance()
        if self.tok.kind != "DOT":
            if first.lower in ROOTS:
                return Path(first.start, first.end, first.lower, ())
            self.notes.append(Note(first.start, first.end,
                f"bare word {first.text!r} read as the string \"{first.text}\"; quote it "
                f"(Qlik documents quoted values; unquoted ones are UNCONFIRMED)"))
            return Str(first.start, first.end, first.text, quoted=False)
        root = first.lower if first.lower in ROOTS else first.text
        segments: list[str] = []
        end = first.end
        while self.tok.kind == "DOT":
            self.advance()
            seg = self.tok
            if seg.kind == "AT":
                self.advance()
                if self.tok.kind != "WORD":
                    self.fail("expected a custom property name after '@'", expected=("@name",))
                name_tok = self.advance()
                segments.append("@" + name_tok.text)
                end = name_tok.end
                continue
            if seg.kind != "WORD":
                self.fail("expected a property name after '.'", expected=("name",))
            self.advance()
            if self.tok.kind == "LPAREN":
                target = Path(first.start, end, root, tuple(segments))
                return self.parse_call(target, seg)
            segments.append(seg.text)
            end = seg.end
        return Path(first.start, end, root, tuple(segments))

    def parse_call(self, target: Path, name_tok: Token) -> Call:
        canonical = FUNCTIONS.get(name_tok.lower)
        if canonical is None:
            close = difflib.get_close_matches(name_tok.lower, list(FUNCTIONS), n=1)
            hint = f"; did you mean {FUNCTIONS[close[0]]}()?" if close else ""
            self.fail(f"unknown function '{name_tok.text}' (Qlik documents HasPrivilege, IsAnonymous, "
                      f"Empty and IsOwned){hint}", tok=name_tok)
        self.advance()  # (
        arg = None
        if canonical == "HasPrivilege":
            arg_tok = self.tok
            if arg_tok.kind != "STRING":
                self.fail('expected an action in double quotes, e.g. HasPrivilege("read")', expected=('"',))
            self.advance()
            action = normalize_action(arg_tok.text)
            if action is None:
                self.fail(f"unknown action {arg_tok.text!r} in HasPrivilege", tok=arg_tok)
            arg = action
        if self.tok.kind != "RPAREN":
            what = "no argument" if canonical != "HasPrivilege" else "one action"
            self.fail(f"expected ')': {canonical}() takes {what}", expected=(")",))
        close = self.advance()
        return Call(target.start, close.end, target, canonical, arg)

    def _is_operator(self, tok: Token) -> bool:
        return tok.kind == "OP" or self.is_keyword(tok, *_TEXT_OPS)

    def _col(self, tok: Token) -> int:
        return tok.start - (self.text.rfind("\n", 0, tok.start) + 1) + 1


MAX_REPETITION = 1000
_COUNT = regex.compile(r"\{(\d*)(?:,(\d*))?\}")


def repetition_weight(pattern: str) -> int:
    """The largest product of counted repetitions ({n}, {n,m}) along any nesting in a pattern:
    `(a{100}){100}` weighs 10,000. The regex module compiles counted repeats of groups in time that
    grows with this weight, so a pattern typed into a rule could otherwise stall the parser."""
    frames = [1]  # the heaviest product seen inside each open group
    last = 1  # the weight of the atom just read (a group's inner weight after ')')
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            last = 1
            continue
        if ch == "[":  # a character class is one atom
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            last = 1
            continue
        if ch == "(":
            frames.append(1)
            i += 1
            continue
        if ch == ")" and len(frames) > 1:
            last = frames.pop()
            frames[-1] = max(frames[-1], last)
            i += 1
            continue
        if ch == "{":
            m = _COUNT.match(pattern, i)
            if m and (m.group(1) or m.group(2)):
                count = max(int(m.group(1) or 0), int(m.group(2) or 0))
                last = last * max(count, 1)
                frames[-1] = max(frames[-1], last)
                i = m.end()
                if last > 10 ** 9:
                    return last
                continue
        last = 1
        i += 1
    return max(frames)


def _respan(node: Node, start: int, end: int) -> Node:
    """Widen a node's span to include its parentheses, so traces quote what the author wrote."""
    kwargs = {f: getattr(node, f) for f in node.__dataclass_fields__}
    kwargs["start"], kwargs["end"] = start, end
    return type(node)(**kwargs)
