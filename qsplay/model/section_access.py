"""An app's section access: the security table its load script loads, and the data values its
reduction fields link to.

Field names and values are kept upper-cased, as Qlik does: "All field names and field values
listed in Section Access are always converted to upper case" (Qlik Sense help, "Managing data
security with section access"). The app's data values are kept as written, because the data is
*not* upper-cased for you: a lower-case value in the data never matches a reduction value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The section access system fields Qlik Sense documents (help: "Managing data security with section
# access", "Sections in the script"); every other field in the table is a reduction field.
SYSTEM_FIELDS = ("ACCESS", "USERID", "GROUP", "OMIT")
IDENTITY_FIELDS = ("USERID", "GROUP")
ACCESS_LEVELS = ("ADMIN", "USER")
# "ADMIN, INTERNAL\SA_SCHEDULER" in Qlik's QSEoW example, so that scheduled reloads can open the app
SCHEDULER = "INTERNAL\\SA_SCHEDULER"
STAR = "*"


@dataclass
class SectionAccessRow:
    values: dict[str, str]  # upper-cased field name -> upper-cased value ("" for an empty cell)
    number: int  # 1-based row number in the table
    where: str = ""  # file, line (and column) the row comes from, for messages

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def text(self) -> str:
        return ", ".join(f"{k}={v}" if v else f"{k}=(empty)" for k, v in self.values.items())


@dataclass
class SectionAccess:
    """One app's section access table (and, when known, the values in the app's data)."""
    fields: list[str]  # upper-cased, in table order
    rows: list[SectionAccessRow]
    source: str = "inline"  # inline | FILE (csv/xlsx) | script FILE-or-inline
    data: dict[str, list[str]] | None = None  # reduction field -> values in the app's data (as written)
    location: Any = None
    notes: list[str] = field(default_factory=list)  # what the reader noticed (said in traces)

    @property
    def reduction_fields(self) -> list[str]:
        return [f for f in self.fields if f not in SYSTEM_FIELDS]

    def listed(self, name: str) -> list[str]:
        """The values listed in a column of the table ('*' stands for these, Qlik help "Star")."""
        out: list[str] = []
        for row in self.rows:
            value = row.get(name)
            if value and value != STAR and value not in out:
                out.append(value)
        return out

    def has_scheduler(self) -> bool:
        return any(row.get("USERID") == SCHEDULER and row.get("ACCESS") in ACCESS_LEVELS for row in self.rows)
