"""A pulled site's licence state -> the scenario's `license:` section and login access passes.

Read from the files `qsplay pull` writes (one per QRS endpoint, reference/qrs-live-site.md §2.3):
- `license.json` (/qrs/license): the key kind only — a signed key (`key`) or a serial and control
  number (`serial`); the key itself is a secret and never read into the scenario;
- `license_accesstypeoverview.json`: the pools — professionalAccess / analyzerAccess `total`,
  analyzerTimeAccess `allocatedMinutes` and `usedMinutes`, `totalTokens`;
- `license_{professional,analyzer,user}accesstype.json`: the allocations — user, lastUsed,
  quarantined + quarantineEnd (1753-01-01 means "not quarantined"), excess, deletedUserId/Directory;
- `license_loginaccesstype.json`: login access groups — assignedTokens, usedAccessTypes; with
  `license_loginaccessusage.json` the time each pass was first used (else each counts as used at the
  dump's time, so it returns 28 days later: the safe reading);
- `license_analyzertimeaccesstype.json`: capacity minutes when the overview has none;
- `pull-manifest.json` (`finished`/`started`): the dump's time, the scenario's `now`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from ..model import parse_time

NOT_QUARANTINED_BEFORE = datetime(1900, 1, 1, tzinfo=timezone.utc)  # QRS writes 1753-01-01 for "never"
ALLOCATION_FILES = {"professional": "license_professionalaccesstype", "analyzer": "license_analyzeraccesstype",
                    "user_access": "license_useraccesstype"}
LICENCE_FILES = ("license", "license_accesstypeoverview", "license_accesstypeinfo", "license_loginaccesstype",
                 "license_analyzertimeaccesstype", "license_loginaccessusage", *ALLOCATION_FILES.values())


def dump_time(folder: Path, records: dict, report: list[str]) -> datetime | None:
    """When the site was read: the pull manifest's `finished` (or `started`), else the newest licence
    file's modification time (a copied folder may have lost it: said in the report)."""
    manifest = records.get("pull-manifest")
    if isinstance(manifest, dict):
        for key in ("finished", "started"):
            when = _time(manifest.get(key))
            if when is not None:
                report.append(f"licence state as at {when:%Y-%m-%d %H:%M} UTC (pull-manifest.json {key}): the "
                              f"scenario's clock starts there")
                return when
    times = [p.stat().st_mtime for name in LICENCE_FILES if (p := folder / f"{name}.json").is_file()]
    if times:
        when = datetime.fromtimestamp(max(times), tz=timezone.utc).replace(microsecond=0)
        report.append(f"no pull-manifest.json: the licence state is taken as at {when:%Y-%m-%d %H:%M} UTC, the "
                      f"licence files' modification time (set `now:` if the files were copied since)")
        return when
    return None


def licence_section(records: dict, known_users: dict[str, str], now: datetime | None,
                    report: list[str]) -> tuple[CommentedMap | None, list[dict], dict[str, list]]:
    """(the `license:` mapping or None when the folder has no licence data, users to add — allocation
    holders missing from user.json —, login access type id -> [tokens, passes used])."""
    overview = _one(records.get("license_accesstypeoverview"))
    licence = _one(records.get("license"))
    lists = {kind: records.get(name) for kind, name in ALLOCATION_FILES.items()}
    if overview is None and licence is None and not any(lists.values()):
        return None, [], {}
    out = CommentedMap()
    if isinstance(licence, dict):
        if licence.get("key") or licence.get("isSubscription"):
            out["key"] = "signed"
        elif licence.get("serial"):
            out["key"] = "serial"
    if isinstance(overview, dict):
        for kind, field in (("professional", "professionalAccess"), ("analyzer", "analyzerAccess")):
            pool = overview.get(field) or {}
            if isinstance(pool, dict) and pool.get("enabled", True) and isinstance(pool.get("total"), int):
                out[kind] = pool["total"]
        capacity = overview.get("analyzerTimeAccess") or {}
        if isinstance(capacity, dict) and isinstance(capacity.get("allocatedMinutes"), int):
            out["analyzer_capacity_minutes"] = capacity["allocatedMinutes"]
            if isinstance(capacity.get("usedMinutes"), int) and capacity["usedMinutes"]:
                out["capacity_used_minutes"] = capacity["usedMinutes"]
        if overview.get("tokensEnabled") and isinstance(overview.get("totalTokens"), int):
            out["tokens"] = overview["totalTokens"]
    else:
        report.append("no license_accesstypeoverview.json: the pools are left at 0, not guessed")
    if "analyzer_capacity_minutes" not in out:
        minutes = [r.get("assignedMinutes") for r in records.get("license_analyzertimeaccesstype") or []
                   if isinstance(r, dict) and isinstance(r.get("assignedMinutes"), int)]
        if minutes:
            out["analyzer_capacity_minutes"] = sum(minutes)
            used = sum(r.get("usedMinutes") or 0 for r in records["license_analyzertimeaccesstype"]
                       if isinstance(r, dict) and isinstance(r.get("usedMinutes"), int))
            if used:
                out["capacity_used_minutes"] = used
    allocations, added = [], []
    for kind, rows in lists.items():
        for i, row in enumerate(rows or []):
            entry = _allocation(kind, row, known_users, added, report, f"{ALLOCATION_FILES[kind]}.json[{i}]", now)
            if entry is not None:
                allocations.append(entry)
    if allocations:
        out["allocations"] = allocations
    groups = {}
    usage = _pass_times(records.get("license_loginaccessusage") or [])
    for row in records.get("license_loginaccesstype") or []:
        if isinstance(row, dict) and row.get("id"):
            used = row.get("usedAccessTypes") if isinstance(row.get("usedAccessTypes"), int) else 0
            times = usage.get(str(row["id"]).lower(), [])
            passes: int | list = [t for t in times][-used:] if used and len(times) >= used else used
            groups[str(row["id"]).lower()] = [int(row.get("assignedTokens") or 0), passes]
    return out, added, groups


def _allocation(kind: str, row, known: dict[str, str], added: list[dict], report: list[str], where: str,
                now: datetime | None) -> CommentedMap | None:
    if not isinstance(row, dict):
        report.append(f"{where}: not an allocation record; skipped")
        return None
    user = row.get("user") if isinstance(row.get("user"), dict) else None
    entry = CommentedMap()
    if user and user.get("userId"):
        qualified = f"{user.get('userDirectory') or 'INTERNAL'}\\{user['userId']}"
        if qualified.casefold() not in known:
            known[qualified.casefold()] = qualified
            added.append({"directory": user.get("userDirectory") or "INTERNAL", "id": str(user["userId"])})
            report.append(f"{where}: {qualified} holds {kind} access but is not in user.json: added as a user "
                          f"with no groups")
        entry["user"] = known[qualified.casefold()]
    elif row.get("deletedUserId"):
        entry["user"] = f"{row.get('deletedUserDirectory') or '?'}\\{row['deletedUserId']}"
        entry["deleted"] = True
    else:
        report.append(f"{where}: a {kind} allocation with neither a user nor a deleted user; skipped")
        return None
    entry["access"] = kind
    last_used = _time(row.get("lastUsed"))
    if last_used is not None and last_used > NOT_QUARANTINED_BEFORE:
        entry["last_used"] = _iso(last_used)
    end = _time(row.get("quarantineEnd"))
    if row.get("quarantined") and end is not None and end > NOT_QUARANTINED_BEFORE:
        if now is None or end > now:
            entry["quarantined_until"] = _iso(end)
        else:
            report.append(f"{where}: {entry['user']}'s {kind} quarantine ended {end:%Y-%m-%d %H:%M}, before the "
                          f"dump: the allocation is free again; left out")
            return None
    if row.get("excess"):
        entry["excess"] = True
    if row.get("id"):
        entry["id"] = str(row["id"])
    entry.fa.set_flow_style()
    return entry


def _pass_times(rows: list) -> dict[str, list[datetime]]:
    """login access type id -> when each pass was first used (LicenseLoginAccessUsage useStartTime)."""
    out: dict[str, list[datetime]] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        group = row.get("loginAccessType") if isinstance(row.get("loginAccessType"), dict) else {}
        when = _time(row.get("useStartTime"))
        if group.get("id") and when is not None:
            out.setdefault(str(group["id"]).lower(), []).append(when)
    for times in out.values():
        times.sort()
    return out


def _one(value):
    if isinstance(value, list):
        return value[0] if len(value) == 1 and isinstance(value[0], dict) else None
    return value if isinstance(value, dict) else None


def _time(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
