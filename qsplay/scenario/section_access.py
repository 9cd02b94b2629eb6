"""`apps[].section_access` in a scenario: the app's section access table, given inline, in a CSV or
XLSX file next to the scenario, or as the app's load script; with located errors.

    section_access:
      table:                       # or file: sales-access.csv (sheet: NAME for .xlsx)
        - {ACCESS: ADMIN, USERID: INTERNAL\\SA_SCHEDULER}
        - {ACCESS: USER, USERID: CORP\\alice, REGION: NORTH}
      data: {REGION: [NORTH, SOUTH]}   # the reduction fields' values in the app's data
    section_access:
      script: |                    # or script_file: sales.qvs
        Section Access;
        LOAD * INLINE [ ... ];
        Section Application;
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..model.section_access import SectionAccess, SectionAccessRow
from .load_script import ScriptError, parse_script

SECTION_ACCESS_KEYS = ("table", "file", "sheet", "script", "script_file", "data", "description")
SOURCES = ("table", "file", "script", "script_file")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000


class TableError(ValueError):
    """A problem in a table file, located in that file."""


def read_section_access(reader, item, path: str, app) -> None:
    """Fill `app.section_access` from a scenario entry; problems go to the reader, located."""
    node = item.get("section_access")
    if node is None:
        return
    p = f"{path}.section_access"
    if not reader.mapping(node, p, SECTION_ACCESS_KEYS, "section access"):
        return
    given = [k for k in SOURCES if node.get(k) is not None]
    if len(given) != 1:
        reader.at_node(node, p, "section access needs exactly one of table:, file:, script: or script_file: "
                                f"(given: {', '.join(given) or 'none'})")
        return
    source = given[0]
    try:
        if source == "table":
            table = _from_inline(reader, node, p)
        elif source == "file":
            table = _from_file(reader, node, p)
        else:
            table = _from_script(reader, node, p, source)
    except TableError as exc:
        reader.at_value(node, source, f"{p}.{source}", str(exc))
        return
    if table is None:
        return
    if node.get("data") is not None:
        data = reader.multimap(node, "data", p + ".data")
        table.data = {**(table.data or {}), **data}  # names as written: the data is not upper-cased
    problem = check_table(table)
    if problem:
        reader.at_value(node, source, f"{p}.{source}", problem)
        return
    table.location = getattr(reader, "file", "")
    app.section_access = table


def check_table(table: SectionAccess) -> str | None:
    if "ACCESS" not in table.fields:
        return ("the table has no ACCESS field; Qlik: \"If no valid access level is assigned, the user cannot "
                "open the app\"")
    if not ({"USERID", "GROUP"} & set(table.fields)):
        return "the table has neither USERID nor GROUP, so it names no one (qsplay reads USERID and GROUP)"
    return None


def build_table(header: list[str], rows: list[tuple[list[str], str]], source: str) -> SectionAccess:
    fields = [h.strip().upper() for h in header]
    seen = set()
    for name in fields:
        if not name:
            raise TableError("a field name in the header is empty")
        if name in seen:
            raise TableError(f"the field {name} appears twice in the header (names are upper-cased)")
        seen.add(name)
    if len(rows) > MAX_ROWS:
        raise TableError(f"the table has {len(rows):,} rows; qsplay reads at most {MAX_ROWS:,}")
    from ..safe_text import describe, first_unsafe
    for name in fields:
        bad = first_unsafe(name)
        if bad:
            raise TableError(f"the field name {name!r} contains {describe(bad.group(0))}")
    out = []
    for number, (cells, where) in enumerate(rows, 1):
        for cell in cells:
            bad = first_unsafe(str(cell))
            if bad:  # the same character policy as the scenario loader's
                raise TableError(f"{where}: a value contains {describe(bad.group(0))}; not read")
        if len(cells) != len(fields):
            raise TableError(f"{where}: {len(cells)} values for {len(fields)} fields ({', '.join(fields)})")
        out.append(SectionAccessRow({f: str(c).strip().upper() for f, c in zip(fields, cells)}, number, where))
    return SectionAccess(fields=fields, rows=out, source=source)


def _from_inline(reader, node, p: str) -> SectionAccess | None:
    rows = node.get("table")
    if not isinstance(rows, list):
        reader.at_value(node, "table", p + ".table", "table should be a list of rows ({ACCESS: USER, USERID: ...})")
        return None
    header: list[str] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            reader.at_node(row, f"{p}.table[{i}]", "a row should be a mapping of field: value")
            return None
        for key in row:
            if str(key).upper() not in (h.upper() for h in header):
                header.append(str(key))
    from .loader import _pos
    cells = []
    for i, row in enumerate(rows):
        by_upper = {str(k).upper(): v for k, v in row.items()}
        line0, _ = _pos(row)
        values = []
        for h in header:
            v = by_upper.get(h.upper())
            if isinstance(v, (dict, list)):
                reader.at_value(row, h, f"{p}.table[{i}].{h}", "a value should be text")
                return None
            values.append("" if v is None else ("true" if v is True else "false" if v is False else str(v)))
        cells.append((values, f"{reader.file}: {p}.table[{i}] (line {line0 + 1})"))
    return build_table(header, cells, "inline")


def _scenario_dir(reader) -> Path:
    return Path(reader.file).resolve().parent if reader.file and not reader.file.startswith("<") else Path.cwd()


def _resolve(reader, node, key: str, p: str) -> Path | None:
    name = str(node.get(key))
    path = Path(name)
    if not path.is_absolute():
        path = _scenario_dir(reader) / path
    return path


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Through the project's one safe reader: regular files only, size-capped."""
    from ..files import FileProblem, read_bytes
    try:
        return read_bytes(path, max_bytes=limit)
    except FileProblem as exc:
        raise TableError(str(exc)) from None


def _from_file(reader, node, p: str) -> SectionAccess | None:
    path = _resolve(reader, node, "file", p)
    suffix = path.suffix.lower()
    raw = read_regular_file(path)
    if suffix in (".xlsx", ".xlsm"):
        header, rows = read_xlsx(raw, path, node.get("sheet"))
    elif suffix in (".csv", ".txt", ".tsv"):
        header, rows = read_csv(raw, path, "\t" if suffix == ".tsv" else None)
    else:
        raise TableError(f"{path.name}: qsplay reads section access tables from .csv, .tsv or .xlsx files")
    table = build_table(header, rows, str(node.get("file")))
    return table


def read_csv(raw: bytes, path: Path, delimiter: str | None = None):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise TableError(f"{path}: line {line}: not UTF-8 text (save the file as UTF-8)")
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = None
    rows = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = cells
                continue
            rows.append((cells, f"{path}: line {reader.line_num}"))
    except csv.Error as exc:
        raise TableError(f"{path}: line {reader.line_num}: {exc}")
    if header is None:
        raise TableError(f"{path}: line 1: the file is empty; it needs a header row (ACCESS, USERID, ...)")
    return header, rows


def read_xlsx(raw: bytes, path: Path, sheet=None):
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency
        raise TableError("reading .xlsx needs openpyxl (pip install openpyxl)")
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # a broken or hostile workbook is a message, never a crash
        raise TableError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})")
    try:
        if sheet is not None:
            if str(sheet) not in book.sheetnames:
                raise TableError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
            ws = book[str(sheet)]
        else:
            ws = book.worksheets[0]
        header = None
        rows = []
        for r, values in enumerate(ws.iter_rows(values_only=True), 1):
            cells = ["" if v is None else str(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if not cells:
                continue
            if header is None:
                header = cells
                continue
            cells += [""] * (len(header) - len(cells))
            rows.append((cells, f"{path}: sheet {ws.title}, row {r}"))
            if len(rows) > MAX_ROWS:
                break
    finally:
        book.close()
    if header is None:
        raise TableError(f"{path}: sheet {ws.title} is empty; it needs a header row (ACCESS, USERID, ...)")
    return header, rows


def _from_script(reader, node, p: str, source: str) -> SectionAccess | None:
    if source == "script_file":
        path = _resolve(reader, node, "script_file", p)
        raw = read_regular_file(path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableError(f"{path}: not UTF-8 text")
        try:
            return table_from_script(text, str(path))
        except ScriptError as err:
            raise TableError(f"{path}: line {err.line}, col {err.col}: {err.message}")
    text = reader.text(node, "script", p, default="") or ""
    try:
        return table_from_script(text, f"{reader.file}: {p}.script")
    except ScriptError as err:
        reader.in_scalar(node, "script", p + ".script", err.line, err.col, err.message)
        return None
    except TableError as exc:
        reader.at_value(node, "script", p + ".script", str(exc))
        return None


def table_from_script(text: str, where: str) -> SectionAccess:
    script = parse_script(text)
    if not script.access:
        raise ScriptError("the script has no Section Access; LOAD * INLINE [...] table", 1, 1)
    first = script.access[0]
    names = [h.upper() for h in first.header]
    rows = []
    for table in script.access:
        if [h.upper() for h in table.header] != names:
            raise ScriptError(f"a second Section Access table with other fields ({', '.join(table.header)}); "
                              f"qsplay reads one table (tables with the same fields are concatenated)",
                              table.line, table.col)
        rows += [(cells, f"{where}: line {line}") for cells, line, _ in table.rows]
    sa = build_table(first.header, rows, "script")
    data: dict[str, list[str]] = {}
    for table in script.application:
        for i, name in enumerate(table.header):
            key = name  # as written: a lower-case field name in the data does not link
            if key.upper() in sa.reduction_fields:
                values = data.setdefault(key, [])
                for cells, _, _ in table.rows:
                    if i < len(cells) and cells[i] not in values:
                        values.append(cells[i])
    sa.data = data or None
    sa.notes = list(script.notes)
    return sa


def rebased(document, from_file: str | None, to_file) -> object:
    """The document to write at `to_file`: relative `file:`/`script_file:` paths of section access, which
    are relative to the scenario, rewritten so that they still name the same files from the new place."""
    import os
    if not from_file or str(from_file).startswith("<"):
        return document
    old_dir = Path(from_file).resolve().parent
    new_dir = Path(to_file).resolve().parent
    if old_dir == new_dir:
        return document
    from .document import clone
    document = clone(document)
    for app in document.get("apps") or []:
        sa = app.get("section_access") if isinstance(app, dict) else None
        if not isinstance(sa, dict):
            continue
        for key in ("file", "script_file"):
            value = sa.get(key)
            if value is not None and not Path(str(value)).is_absolute():
                sa[key] = os.path.relpath(old_dir / str(value), new_dir)
    return document
