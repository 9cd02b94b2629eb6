"""One character policy for untrusted text (site data, file names) — on input and on output.

Names, conditions and file names come from servers with many authors. Some characters make text
act or look other than it is:
- control characters (C0 except tab and newline, DEL, C1): `ESC ] 52 ;` writes the clipboard,
  `ESC [ 2J` clears the screen, `ESC ] 0 ;` retitles the window, a carriage return overprints;
- bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) display text reversed
  ("Trojan Source").

Input: a scenario may not contain them, raw or written as a YAML escape ("\\e", "\\u202e"), and
import-qrs refuses a QRS export that would bring them in (`first_unsafe`).
Output: every front end shows them as visible `\\uXXXX` escapes (`escape_unsafe`), which is also a
valid JSON escape of the same character, so escaped JSON stays the same JSON.
Per format: `html_text` (HTML), `csv_text` (CSV for spreadsheets) build on it; Graphviz labels are
made plain text in one place, qsplay/graph/render.py `_text`.
"""
from __future__ import annotations

import re

# tab and newline are layout; everything else below is refused on input and escaped on output
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_unsafe(text: str) -> str:
    """Text with every unsafe character shown as `\\uXXXX` (tab and newline kept)."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def one_line(text: str) -> str:
    """For a value shown inside one line (a name in a message, a table cell): line breaks and
    tabs escaped too, so data cannot forge lines of output."""
    return _UNSAFE_OR_BREAK.sub(_escape, text)


def first_unsafe(text: str) -> re.Match | None:
    return UNSAFE.search(text)


def describe(char: str) -> str:
    """'U+202E (a bidirectional override)' for messages."""
    code = ord(char)
    what = "a bidirectional override or isolate" if 0x202A <= code <= 0x2069 else "a control character"
    if code == 0x1B:
        what = "ESC, which starts terminal escape sequences"
    return f"U+{code:04X} ({what})"


def html_text(text: str) -> str:
    """Text for HTML element content or a quoted attribute."""
    import html
    return html.escape(escape_unsafe(str(text)), quote=True)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A spreadsheet-safe CSV cell: a value a spreadsheet would read as a formula gets a leading
    apostrophe (OWASP's advice for CSV injection); unsafe characters are escaped."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return escape_unsafe(text)


def csv_text(header: list[str], rows) -> str:
    """CSV through the csv module (quotes, commas and newlines in data cannot forge rows or
    columns), every cell through csv_cell."""
    import csv
    import io
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()
