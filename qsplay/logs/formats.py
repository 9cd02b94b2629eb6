"""Qlik Sense audit-security log lines: columns as documented, parsed one line at a time.

Files: `<Machine>_AuditSecurity_Repository.txt` and `<Machine>_AuditSecurity_Proxy.txt`
(`C:\\ProgramData\\Qlik\\Sense\\Log\\<Service>\\Audit\\`). Tab-separated, no Severity column ("The Audit
security log does not include a Severity field", help "Audit security log", sense-admin
November2023, Server-Logging-New-Log-File-Format-Fields-Audit-Security-Log.htm). A file normally
starts with a header line naming the columns; when it does, the header decides. Without one, the
documented order is used: the Repository order as parsed by the wazuh-qlik decoder
(avanwouwe/wazuh-qlik rules/0600-qlik_decoders.xml) and matching the help's field list; for the
Proxy, the same common fields with the QPS audit fields ("ConnectionId, ActiveUserDirectory,
ActiveUserId, TicketId, IpAddress, AppId, TargetHost, VirtualProxy", help "Audit log", additional
fields) before Checksum -- that position is UNCONFIRMED, so a Proxy file without a header is read
with it and the replay says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

REPOSITORY_COLUMNS = (
    "Sequence#", "ProductVersion", "Timestamp", "Hostname", "Id", "Description", "ProxySessionId",
    "ProxyPackageId", "RequestSequenceId", "UserDirectory", "UserId", "ObjectId", "ObjectName",
    "SecurityClass", "ClientHostAddress", "Service", "Origin", "Context", "Command", "Result", "Message",
    "Checksum")
PROXY_EXTRA = ("ConnectionId", "ActiveUserDirectory", "ActiveUserId", "TicketId", "IpAddress", "AppId",
               "TargetHost", "VirtualProxy")
PROXY_COLUMNS = REPOSITORY_COLUMNS[:-1] + PROXY_EXTRA + ("Checksum",)
MAX_LINE_BYTES = 1 << 20  # a line longer than this is not understood (and not kept)

_DESCRIPTION = re.compile(r"Command=(?P<command>[^;]*);Result=(?P<result>-?\d+);ResultText=(?P<text>.*)", re.S)
_TIMESTAMP = re.compile(r"(\d{8})T(\d{6})(?:\.(\d{1,6}))?([+-]\d{4}|Z)?$")
_SESSION_COUNT = re.compile(r"SessionCount:\s*'(\d+)'")
_USER_IN_MESSAGE = re.compile(r"User:\s*'([^'\\]+)\\([^']+)'")


class LineProblem(ValueError):
    """A line the reader does not understand (counted, never fatal)."""


@dataclass
class LogLine:
    number: int
    fields: dict[str, str]
    at: datetime | None
    command: str
    result: int | None
    result_text: str

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def message(self) -> str:
        return self.get("Message")


def header_columns(text: str) -> tuple[str, ...] | None:
    """A header line's column names, or None when the line is not a header."""
    cells = [c.strip() for c in text.rstrip("\r\n").split("\t")]
    if cells and cells[0].lower() in ("sequence#", "sequence") and "Timestamp" in cells:
        return tuple(cells)
    return None


def guess_columns(name: str) -> tuple[tuple[str, ...], str]:
    """Columns for a file without a header line, from its name; and what was assumed."""
    if "proxy" in name.lower():
        return PROXY_COLUMNS, ("no header line: the Proxy columns are read in the documented order with the QPS "
                               "fields before Checksum (that position is UNCONFIRMED)")
    return REPOSITORY_COLUMNS, "no header line: the Repository columns are read in the documented order"


def parse_line(text: str, number: int, columns: tuple[str, ...]) -> LogLine:
    cells = text.rstrip("\r\n").split("\t")
    if len(cells) < len(columns) - 1:  # Checksum may be missing on a line cut short
        raise LineProblem(f"{len(cells)} tab-separated fields, {len(columns)} expected (truncated?)")
    fields = dict(zip(columns, cells))
    at = parse_timestamp(fields.get("Timestamp", ""))
    m = _DESCRIPTION.match(fields.get("Description", "").strip())
    command, result, result_text = "", None, ""
    if m:
        command, result, result_text = m.group("command"), int(m.group("result")), m.group("text").strip()
    else:
        command = fields.get("Command", "")
        try:
            result = int(fields.get("Result", "").strip())
        except ValueError:
            result = None
    if not command and result is None:
        raise LineProblem("neither a Description (Command=...;Result=...) nor Command/Result fields")
    return LogLine(number, fields, at, command.strip(), result, result_text)


def parse_timestamp(text: str) -> datetime:
    """YYYYMMDDThhmmss.fffK (e.g. 20110805T145657.000+0200) -> aware UTC."""
    m = _TIMESTAMP.match(text.strip())
    if m is None:
        raise LineProblem(f"timestamp {text[:40]!r} is not YYYYMMDDThhmmss.fffK")
    day, clock, frac, zone = m.groups()
    try:
        dt = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
    except ValueError:
        raise LineProblem(f"timestamp {text[:40]!r} is not a real date") from None
    if frac:
        dt = dt.replace(microsecond=int(frac.ljust(6, "0")))
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return dt.replace(tzinfo=timezone(offset)).astimezone(timezone.utc)


def session_count(message: str) -> int | None:
    m = _SESSION_COUNT.search(message)
    return int(m.group(1)) if m else None


def user_in_message(message: str) -> str | None:
    m = _USER_IN_MESSAGE.search(message)
    return f"{m.group(1)}\\{m.group(2)}" if m else None
