"""Problems found in a scenario file, each with file, line, column and key path."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    file: str
    line: int  # 1-based
    col: int  # 1-based
    path: str  # e.g. security_rules[2].condition
    message: str
    source_line: str = ""

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        at = f"line {self.line}, col {self.col}: " if self.line else ""  # line 0: the file as a whole
        head = f"{self.file}: {where}{at}{self.message}"
        if self.source_line:
            line, col = line_window(self.source_line, self.col)
            return f"{head}\n    {line}\n    {' ' * (col - 1)}^"
        return head

    def to_dict(self) -> dict:
        return {"file": self.file, "line": max(self.line, 1), "col": max(self.col, 1), "path": self.path,
                "message": self.message}


def line_window(line: str, col: int, width: int = 100) -> tuple[str, int]:
    """A long line shown around the column (a minified or hostile file can have 100,000 characters)."""
    line = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in line)
    if len(line) <= width:
        return line, col
    start = max(0, min(col - 1 - width // 2, len(line) - width))
    shown = ("…" if start else "") + line[start:start + width] + ("…" if start + width < len(line) else "")
    return shown, col - start + (1 if start else 0)


class ScenarioError(Exception):
    """A scenario that does not load; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))
