"""Read the section access table (and inline data) out of a Qlik load script.

What is read: `Section Access;` and `Section Application;` (Qlik help, "Sections in the script":
"If an access section is defined in the script, the part of the script loading the app data must be
put in a different section, initiated by the statement Section Application"), and in them
`[Label:] LOAD * INLINE [ ... ] [(delimiter is 'c')];` tables (or `LOAD F1, F2 INLINE`). Comments
(`//`, `/* */`, `REM ...;`), `SET`/`LET` and `Star is` are skipped. In Section Access any other
statement (a `LOAD ... FROM`, a `SELECT`) cannot be evaluated offline: it is an error with its line
and column, saying to export the table. In Section Application other statements are skipped and
noted; the inline tables there give the app's data values for strict exclusion.

Nothing here evaluates script expressions: text is only split and matched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_SCRIPT_CHARS = 5_000_000


class ScriptError(ValueError):
    def __init__(self, message: str, line: int, col: int):
        super().__init__(f"line {line}, col {col}: {message}")
        self.message, self.line, self.col = message, line, col


@dataclass
class InlineTable:
    header: list[str]
    rows: list[tuple[list[str], int, int]]  # cells, line, col of each data row
    line: int
    col: int


@dataclass
class Script:
    access: list[InlineTable] = field(default_factory=list)
    application: list[InlineTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    has_section_access: bool = False


_SECTION = re.compile(r"section\s+(access|application)\s*$", re.I)
_LABEL = re.compile(r'(?:[A-Za-z_%$][\w.%$]*|\[[^\]]*\]|"[^"]*")\s*:\s*')
_PREFIX = re.compile(r"(?:noconcatenate|concatenate(?:\s*\([^)]*\))?)\s+", re.I)
_INLINE = re.compile(r"load\s+(?P<fields>.*?)\s+inline\s*\[(?P<body>.*)\]\s*(?P<options>\(.*\))?\s*$", re.I | re.S)
_SKIP = re.compile(r"(?:set|let|star\s+is|trace|sleep)\b", re.I)
_DELIM = re.compile(r"delimiter\s+is\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))", re.I)


def parse_script(text: str) -> Script:
    if len(text) > MAX_SCRIPT_CHARS:
        raise ScriptError(f"the script has {len(text):,} characters; at most {MAX_SCRIPT_CHARS:,} are read", 1, 1)
    script = Script()
    section = "application"  # "If nothing is specified, section application is assumed"
    starts = _line_starts(text)
    for stmt, offset in _statements(text):
        body = stmt.strip()
        if not body:
            continue
        lead = len(stmt) - len(stmt.lstrip())
        line, col = _where(starts, offset + lead)
        if re.match(r"rem\b", body, re.I) or _SKIP.match(body):
            continue
        m = _SECTION.match(body)
        if m:
            section = m.group(1).lower()
            script.has_section_access |= section == "access"
            continue
        rest, skipped = body, 0
        label = _LABEL.match(rest)
        if label and not rest.lower().startswith(("load", "select")):
            skipped += label.end()
            rest = rest[label.end():]
        prefix = _PREFIX.match(rest)
        if prefix:
            skipped += prefix.end()
            rest = rest[prefix.end():]
        m = _INLINE.match(rest)
        if m is None:
            word = rest.split(None, 1)[0] if rest.split() else rest
            if section == "access":
                raise ScriptError(f"in Section Access qsplay reads LOAD ... INLINE tables only, not "
                                  f"'{_short(word)}'; export the table to a CSV file and name it with file:",
                                  line, col)
            script.notes.append(f"line {line}: a '{_short(word)}' statement in Section Application is not "
                                f"read (give the reduction fields' data values under data:)")
            continue
        body_offset = offset + lead + skipped + m.start("body")
        table = _inline_table(m.group("body"), m.group("fields"), m.group("options") or "", body_offset,
                              starts, line, col)
        (script.access if section == "access" else script.application).append(table)
    return script


def _statements(text: str):
    """(statement text, offset) split at `;` outside quotes, brackets and comments. Comments become
    spaces, so offsets stay true."""
    out = []
    buf: list[str] = []
    start = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            buf.append(" " * (end - i))
            i = end
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            buf.append("".join(c if c == "\n" else " " for c in text[i:end]))
            i = end
            continue
        if ch in "'\"[":
            close = "]" if ch == "[" else ch
            end = text.find(close, i + 1)
            end = n if end < 0 else end + 1
            buf.append(text[i:end])
            i = end
            continue
        if ch == ";":
            out.append(("".join(buf), start))
            buf = []
            start = i + 1
            i += 1
            continue
        buf.append(ch)
        i += 1
    if "".join(buf).strip():
        out.append(("".join(buf), start))
    return out


def _inline_table(body: str, fields: str, options: str, offset: int, starts: list[int], line: int, col: int
                  ) -> InlineTable:
    m = _DELIM.search(options)
    delimiter = ","
    if m:
        delimiter = next(g for g in m.groups() if g is not None)
        delimiter = "\t" if delimiter.lower() in ("\\t", "tab", "'\\t'") else delimiter
        if len(delimiter) != 1:
            raise ScriptError(f"delimiter {delimiter!r}: qsplay reads one-character delimiters", line, col)
    lines = body.split("\n")
    header = None
    rows = []
    pos = offset
    for raw in lines:
        here = pos
        pos += len(raw) + 1
        if not raw.strip():
            continue
        lead = len(raw) - len(raw.lstrip())
        r_line, r_col = _where(starts, here + lead)
        cells = _split_cells(raw.strip().rstrip("\r"), delimiter, r_line, r_col)
        if header is None:
            header = [_unquote_name(c) for c in cells]
            continue
        rows.append((cells, r_line, r_col))
    if header is None:
        raise ScriptError("the INLINE table is empty: it needs a header line with the field names", line, col)
    listed = fields.strip()
    if listed != "*":
        names = [_unquote_name(f.strip()) for f in listed.split(",")]
        unknown = [f for f in names if f.upper() not in {h.upper() for h in header}]
        if unknown:
            raise ScriptError(f"LOAD names {', '.join(unknown)}, which the INLINE header does not have "
                              f"(it has {', '.join(header)}); qsplay reads plain field lists only", line, col)
    return InlineTable(header, rows, line, col)


def _split_cells(text: str, delimiter: str, line: int, col: int) -> list[str]:
    cells, cur, quote = [], [], None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                cur.append(ch)
        elif ch in "'\"" and not "".join(cur).strip():
            quote = ch
        elif ch == delimiter:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if quote:
        raise ScriptError(f"a quote ({quote}) is not closed on this line", line, col)
    cells.append("".join(cur).strip())
    return cells


def _unquote_name(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and (name[0], name[-1]) in (("[", "]"), ('"', '"'), ("'", "'")):
        return name[1:-1].strip()
    return name


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _where(starts: list[int], offset: int) -> tuple[int, int]:
    import bisect
    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
