"""Audit-security log lines built from the documented formats (qsplay/logs/formats.py cites them),
for tests and the sample files in tests/data/logs/ (`python -m tests.logs_builder` rewrites them)."""
from __future__ import annotations

import uuid
from pathlib import Path

from qsplay.logs.formats import PROXY_COLUMNS, REPOSITORY_COLUMNS

VERSION = "14.173.4"


def _line(columns, values: dict) -> str:
    return "\t".join(str(values.get(c, "")) for c in columns) + "\n"


def repository_line(seq: int, ts: str, user: str, command: str, result: int, result_text: str, message: str,
                    object_id: str = "", object_name: str = "") -> str:
    directory, _, uid = user.partition("\\")
    return _line(REPOSITORY_COLUMNS, {
        "Sequence#": seq, "ProductVersion": VERSION, "Timestamp": ts, "Hostname": "QS-NODE1",
        "Id": uuid.uuid5(uuid.NAMESPACE_OID, f"{seq}"), "Description":
            f"Command={command};Result={result};ResultText={result_text}",
        "ProxySessionId": "9f1c2d3e4b5a", "ProxyPackageId": "0", "RequestSequenceId": "0",
        "UserDirectory": directory, "UserId": uid, "ObjectId": object_id, "ObjectName": object_name,
        "SecurityClass": "License", "ClientHostAddress": "::1", "Service": "Repository", "Origin": "AppAccess",
        "Context": "/qrs/license", "Command": command, "Result": result, "Message": message,
        "Checksum": "3b7c9e"})


def proxy_line(seq: int, ts: str, user: str, command: str, result: int, result_text: str, message: str,
               app_id: str = "", virtual_proxy: str = "") -> str:
    directory, _, uid = user.partition("\\")
    return _line(PROXY_COLUMNS, {
        "Sequence#": seq, "ProductVersion": VERSION, "Timestamp": ts, "Hostname": "QS-NODE1",
        "Id": uuid.uuid5(uuid.NAMESPACE_OID, f"p{seq}"),
        "Description": f"Command={command};Result={result};ResultText={result_text}",
        "ProxySessionId": "0", "ProxyPackageId": "0", "RequestSequenceId": "0", "UserDirectory": directory,
        "UserId": uid, "Service": "Proxy", "Origin": "Proxy", "Command": command, "Result": result,
        "Message": message, "ConnectionId": "c-1", "ActiveUserDirectory": directory, "ActiveUserId": uid,
        "IpAddress": "10.0.0.5", "AppId": app_id, "TargetHost": "QS-NODE1", "VirtualProxy": virtual_proxy,
        "Checksum": "77aa01"})


def header(columns) -> str:
    return "\t".join(columns) + "\n"


NO_PASS = ("License user access", 403, "Error: Access denied")
SESSIONS = ("License user access", 403, "Error: Access denied")


def no_pass_message(guid: str = "5e6f7a8b-0000-4000-8000-000000000001") -> str:
    # help "License user access" (sense-admin May2022)
    return f"Login access denied for SessionID: '{guid}', Hostname: \"10.0.0.5\", OperationType: 'UsageDenied'"


def session_limit_message(user: str, count: int = 5) -> str:
    # Qlik Support "Troubleshoot no access pass or too many sessions active in parallel"
    return (f"Access was denied for User: '{user}', with AccessID '264ff070-6306-4f1b-85db-21a8468939b5', "
            f"SessionID: 'e3cd957b-a501-4bec-a3f8-d35170a73efa', SessionCount: '{count}', Hostname: '::1', "
            f"OperationType: 'UsageDenied'")


def success_line(seq: int, ts: str, user: str) -> str:
    return repository_line(seq, ts, user, "License user access", 0, "Success", "Access granted", "", "")


def repository_sample() -> str:
    """For scenarios/no-access-pass.yaml: dana has no pass, erik hits the session cap, frida's Open app 403
    is one the site would allow; and lines a reader must survive."""
    from qsplay.model import stable_id
    pipeline = stable_id("app", "Pipeline")
    out = [header(REPOSITORY_COLUMNS),
           success_line(1, "20261102T090000.000+0100", "ACME\\erik"),
           repository_line(2, "20261102T090500.123+0100", "ACME\\dana", *NO_PASS, no_pass_message()),
           repository_line(3, "20261102T091000.000+0100", "", *SESSIONS, session_limit_message("ACME\\erik")),
           repository_line(4, "20261102T091500.000+0100", "ACME\\frida", "Open app", 403, "Error: Security",
                           "Access denied (HTTP code: 403)", pipeline, "Pipeline"),
           "this line is not a log line at all\n",
           repository_line(6, "2026-11-02 09:20", "ACME\\dana", *NO_PASS, no_pass_message()),  # bad timestamp
           repository_line(7, "20261102T092500.000+0100", "ACME\\nobody", *NO_PASS, no_pass_message()),
           repository_line(8, "20261102T093000.000+0100", "ACME\\dana", *NO_PASS, no_pass_message())[:90]]  # cut
    return "".join(out)


def proxy_sample() -> str:
    """For scenarios/section-access.yaml: the Proxy log's 403s when opening apps."""
    from qsplay.model import stable_id
    dashboard = stable_id("app", "Sales Dashboard")
    return "".join([
        header(PROXY_COLUMNS),
        proxy_line(1, "20261102T100000.000Z", "ACME\\erica", "Open app", 403, "Error: Security",
                   "Access denied", dashboard),
        proxy_line(2, "20261102T100100.000Z", "ACME\\sven", "Open app", 403, "Error: Security",
                   "Access denied", dashboard),
        proxy_line(3, "20261102T100200.000Z", "ACME\\olle", "Open connection", 403, "Error: Access denied",
                   "Access denied", dashboard),
        proxy_line(4, "20261102T100300.000Z", "ACME\\mary", "Open app", 200, "Success", "App opened", dashboard),
    ])


def main() -> None:
    folder = Path(__file__).resolve().parent / "data" / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "AuditSecurity_Repository.txt").write_text(repository_sample(), encoding="utf-8")
    (folder / "AuditSecurity_Proxy.txt").write_text(proxy_sample(), encoding="utf-8")


if __name__ == "__main__":
    main()
