"""Errors in rule text, located by line and column inside the condition."""
from __future__ import annotations


class ConditionError(Exception):
    """A condition that does not parse. `offset` is 0-based into the text; line/col are 1-based."""

    def __init__(self, message: str, text: str, offset: int, expected: tuple[str, ...] = ()):
        self.message = message
        self.text = text
        self.offset = max(0, min(offset, len(text)))
        self.expected = expected
        self.line, self.col = line_col(text, self.offset)
        super().__init__(f"line {self.line}, col {self.col}: {message}")

    def __reduce__(self):  # copies and pickles keep the position
        return (type(self), (self.message, self.text, self.offset, self.expected))

    def caret(self) -> str:
        """The offending line with a caret under the column."""
        return caret_lines(self.text, self.line, self.col)


def line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    col = offset - (before.rfind("\n") + 1) + 1
    return line, col


def caret_lines(text: str, line: int, col: int) -> str:
    lines = text.split("\n")
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    return f"{src}\n{' ' * (col - 1)}^"
