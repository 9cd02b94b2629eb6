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
        head = f"{self.file}: {where}line {self.line}, col {self.col}: {self.message}"
        if self.source_line:
            return f"{head}\n    {self.source_line}\n    {' ' * (self.col - 1)}^"
        return head

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col, "path": self.path,
                "message": self.message}


class ScenarioError(Exception):
    """A scenario that does not load; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))
