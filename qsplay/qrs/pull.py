"""Pull a whole Qlik Sense Enterprise on Windows site from its QRS into a folder `import-qrs` reads.

One file per endpoint (`user.json`, `systemrule.json`, `license_accesstypeoverview.json`, …, see
ENDPOINTS) and `pull-manifest.json`: where from, when (the dump's time), what each endpoint gave,
what was redacted, how many requests and retries it took.

Big sites: `GET /qrs/<type>/count` first; up to `page_size` records come in one `GET …/full`
(which has no skip/take); more are paged: `POST /qrs/<type>/table?skip=&take=` lists a page of ids
and `GET …/full?filter=id eq … or id eq …` fetches them whole, IDS_PER_REQUEST at a time so the URL
stays short. help.qlik.com …/RepositoryServiceAPI-Get-All-As-Full.htm, …-Table-Pagination.htm,
…-Filtering.htm. Each page is written (redacted, atomically) under `.pages/<endpoint>/` as it
arrives; the endpoint's file replaces them when all are in, so an interrupted pull resumes where
it stopped: finished endpoints and pages are not fetched again.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..files import write_atomically
from .client import QrsClient, QrsHttpError
from .reader import QrsError
from .redact import redact

MANIFEST = "pull-manifest.json"
PAGES = ".pages"
IDS_PER_REQUEST = 100  # 100 "id eq <guid>" terms ≈ 5 kB of URL, well within what servers accept
FORMAT = 1


@dataclass(frozen=True)
class Endpoint:
    name: str  # the file's stem and the manifest's key
    path: str  # under /qrs/
    entity: str | None = None  # a listing (/full, /count, /table) with this table entity; None: one GET
    required: bool = False  # the pull fails without it; others may be absent on a release (404)

    @property
    def file(self) -> str:
        return f"{self.name}.json"


def _listing(name: str, path: str, entity: str, required: bool = False) -> Endpoint:
    return Endpoint(name, path, entity, required)


# Everything access decisions need (../shared/reference/qrs-live-site.md §2.2) and the licence (§2.3).
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("about", "about", required=True),
    Endpoint("about_api_enums", "about/api/enums"),  # decodes the ints offline
    _listing("systemrule", "systemrule", "SystemRule", required=True),  # security, licence and sync rules
    _listing("user", "user", "User"),
    _listing("userdirectory", "userdirectory", "UserDirectory"),
    _listing("stream", "stream", "Stream"),
    _listing("app", "app", "App"),
    _listing("app_object", "app/object", "App.Object"),
    _listing("custompropertydefinition", "custompropertydefinition", "CustomPropertyDefinition"),
    _listing("virtualproxyconfig", "virtualproxyconfig", "VirtualProxyConfig"),
    _listing("proxyservice", "proxyservice", "ProxyService"),
    _listing("dataconnection", "dataconnection", "DataConnection"),
    _listing("extension", "extension", "Extension"),
    _listing("tag", "tag", "Tag"),
    Endpoint("license", "license"),  # null when no licence is set
    Endpoint("license_accesstypeoverview", "license/accesstypeoverview"),
    Endpoint("license_accesstypeinfo", "license/accesstypeinfo"),  # deprecated, still on older releases
    *(_listing(f"license_{kind}", f"license/{kind}", f"License.{entity}") for kind, entity in (
        ("professionalaccesstype", "ProfessionalAccessType"), ("analyzeraccesstype", "AnalyzerAccessType"),
        ("useraccesstype", "UserAccessType"), ("loginaccesstype", "LoginAccessType"),
        ("analyzertimeaccesstype", "AnalyzerTimeAccessType"),
        ("professionalaccessgroup", "ProfessionalAccessGroup"), ("analyzeraccessgroup", "AnalyzerAccessGroup"),
        ("useraccessgroup", "UserAccessGroup"),
        ("professionalaccessusage", "ProfessionalAccessUsage"), ("analyzeraccessusage", "AnalyzerAccessUsage"),
        ("useraccessusage", "UserAccessUsage"), ("loginaccessusage", "LoginAccessUsage"),
        ("analyzertimeaccessusage", "AnalyzerTimeAccessUsage"))),
)

PULLED_FILES = frozenset([e.file for e in ENDPOINTS] + [MANIFEST])


@dataclass
class PullResult:
    folder: Path
    manifest: dict
    fetched: list[str] = field(default_factory=list)  # endpoints fetched this time
    resumed: list[str] = field(default_factory=list)  # finished by an earlier, interrupted run
    missing: list[str] = field(default_factory=list)  # 404 on this server
    pages: int = 0  # listing pages fetched this time (/full requests)
    requests: int = 0
    retries: int = 0


def pull(client: QrsClient, folder: str | Path, page_size: int = 1000, fresh: bool = False,
         progress: bool = True, endpoints: tuple[Endpoint, ...] = ENDPOINTS,
         say: Callable[[str], None] | None = None) -> PullResult:
    folder = Path(folder)
    say = say or (lambda text: None)
    manifest = _start(folder, client, fresh, page_size)
    base = (manifest["requests"], manifest["retries"])  # an interrupted run's, when resuming
    result = PullResult(folder, manifest)
    for endpoint in endpoints:
        entry = manifest["endpoints"].get(endpoint.name)
        if entry and entry.get("status") in ("done", "missing") and (entry["status"] == "missing"
                                                                     or (folder / endpoint.file).is_file()):
            result.resumed.append(endpoint.name)
            continue
        before = (client.requests, client.retries)
        try:
            data, info = _fetch(client, endpoint, folder, page_size, progress)
        except QrsHttpError as exc:
            if exc.status == 404 and not endpoint.required:
                manifest["endpoints"][endpoint.name] = {"path": f"/qrs/{endpoint.path}", "status": "missing",
                                                        "note": "404: not on this server or release"}
                result.missing.append(endpoint.name)
                _save_manifest(folder, manifest, client, base)
                continue
            _save_manifest(folder, manifest, client, base)
            raise
        data, places = redact(endpoint.name, data)
        write_atomically(folder / endpoint.file, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        shutil.rmtree(folder / PAGES / endpoint.name, ignore_errors=True)
        info.update(path=f"/qrs/{endpoint.path}", file=endpoint.file, status="done",
                    requests=client.requests - before[0], retries=client.retries - before[1],
                    finished=_now())
        if places:
            info["redacted"] = _places(places)
        manifest["endpoints"][endpoint.name] = info
        if endpoint.name == "about" and isinstance(data, dict):
            manifest["qrs_version"] = data.get("buildVersion")
        result.fetched.append(endpoint.name)
        result.pages += info.get("pages", 0)
        if info.get("note"):
            say(f"{endpoint.name}: {info['note']}")
        _save_manifest(folder, manifest, client, base)
    manifest["finished"] = _now()
    _save_manifest(folder, manifest, client, base)
    try:
        (folder / PAGES).rmdir()
    except OSError:
        pass
    result.requests, result.retries = client.requests, client.retries
    return result


def _fetch(client: QrsClient, endpoint: Endpoint, folder: Path, page_size: int, progress: bool):
    if endpoint.entity is None:
        return client.get(endpoint.path), {}
    try:
        count = client.count(f"{endpoint.path}/count")
    except QrsHttpError as exc:
        if exc.status != 404:
            raise
        count = None  # some endpoints have no /count: fetch them whole
    bar = _bar(endpoint.name, count, progress)
    try:
        if count is None or count <= page_size:
            records = client.get(f"{endpoint.path}/full")
            if not isinstance(records, list):
                raise QrsHttpError(f"/qrs/{endpoint.path}/full: expected a list, got {type(records).__name__}")
            bar.update(len(records))
            info = {"records": len(records), "pages": 1}
            if count is not None:
                info["count"] = count
            return records, _changed(info, count, len(records))
        records, pages = _paged(client, endpoint, folder, page_size, bar)
        return records, _changed({"records": len(records), "count": count, "pages": pages}, count, len(records))
    finally:
        bar.close()


def _paged(client: QrsClient, endpoint: Endpoint, folder: Path, page_size: int, bar) -> tuple[list, int]:
    pages_dir = folder / PAGES / endpoint.name
    pages_dir.mkdir(parents=True, exist_ok=True)
    body = {"entity": endpoint.entity, "columns": [{"name": "id", "columnType": "Property", "definition": "id"}]}
    records: dict[str, dict] = {}
    fetched = 0
    number = 0
    while True:
        page_file = pages_dir / f"page-{number:05d}.json"
        page = _read_page(page_file)
        if page is None:
            table = client.post(f"{endpoint.path}/table", body,
                                {"skip": number * page_size, "take": page_size, "sortColumn": "id",
                                 "orderAscending": "true"})
            ids = _table_ids(endpoint, table)
            got: list[dict] = []
            for start in range(0, len(ids), IDS_PER_REQUEST):
                chunk = ids[start:start + IDS_PER_REQUEST]
                part = client.get(f"{endpoint.path}/full", {"filter": " or ".join(f"id eq {i}" for i in chunk)})
                if not isinstance(part, list):
                    raise QrsHttpError(f"/qrs/{endpoint.path}/full: expected a list, got {type(part).__name__}")
                got.extend(part)
                bar.update(len(part))
            # secrets never reach the disk, not even in a page
            page = {"ids": ids, "records": redact(endpoint.name, got)[0]}
            write_atomically(page_file, json.dumps(page, ensure_ascii=False))
            fetched += 1
        else:
            bar.update(len(page["records"]))
        for rec in page["records"]:
            if isinstance(rec, dict):
                records.setdefault(str(rec.get("id")), rec)
        number += 1
        if len(page["ids"]) < page_size:
            break
    return list(records.values()), fetched


def _table_ids(endpoint: Endpoint, table) -> list[str]:
    if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
        raise QrsHttpError(f"/qrs/{endpoint.path}/table: expected columnNames and rows")
    names = [str(n).lower() for n in table.get("columnNames") or ["id"]]
    at = names.index("id") if "id" in names else 0
    return [str(row[at]) for row in table["rows"] if isinstance(row, list) and len(row) > at]


def _read_page(path: Path) -> dict | None:
    try:
        page = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent (or, should a disk have lied, unreadable): fetch it again
    if isinstance(page, dict) and isinstance(page.get("ids"), list) and isinstance(page.get("records"), list):
        return page
    return None


def _changed(info: dict, count: int | None, got: int) -> dict:
    if count is not None and count != got:
        info["note"] = f"count said {count}, got {got}: the site changed during the pull"
    return info


def _start(folder: Path, client: QrsClient, fresh: bool, page_size: int) -> dict:
    manifest_path = folder / MANIFEST
    if folder.exists() and not folder.is_dir():
        raise QrsError(f"{folder}: exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    earlier = None
    if manifest_path.is_file():
        try:
            earlier = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise QrsError(f"{manifest_path}: unreadable ({exc}); remove it or pull into a new folder")
        if not isinstance(earlier, dict) or earlier.get("qsplay_pull") != FORMAT:
            raise QrsError(f"{manifest_path}: not a qsplay pull manifest; pull into a new folder")
        if earlier.get("server") != client.base and not fresh:
            raise QrsError(f"{folder} holds a pull from {earlier.get('server')}, not {client.base}; pull into another "
                           f"folder, or add --fresh to replace it")
    elif any(p.name not in PULLED_FILES and p.name != PAGES for p in folder.iterdir()):
        raise QrsError(f"{folder}: has other files and no {MANIFEST}; pull into a new or empty folder")
    if fresh and earlier is not None:  # nothing of the earlier pull may pass for this one's
        for name in PULLED_FILES - {MANIFEST}:
            (folder / name).unlink(missing_ok=True)
    if fresh or earlier is None or earlier.get("page_size") != page_size:
        shutil.rmtree(folder / PAGES, ignore_errors=True)  # pages of another size do not line up
        if earlier is not None and not fresh:
            earlier["endpoints"] = {k: v for k, v in earlier.get("endpoints", {}).items() if v.get("status") == "done"}
    if fresh or earlier is None:
        return {"qsplay_pull": FORMAT, "server": client.base, "route": client.route.kind,
                **({"qlik_user": client.route.qlik_user} if client.route.kind == "certificate" else {}),
                "started": _now(), "finished": None, "page_size": page_size, "endpoints": {},
                "requests": 0, "retries": 0}
    earlier["finished"] = None
    earlier["page_size"] = page_size
    earlier.setdefault("resumed", []).append(_now())
    return earlier


def _save_manifest(folder: Path, manifest: dict, client: QrsClient, base: tuple[int, int]) -> None:
    manifest["requests"] = base[0] + client.requests
    manifest["retries"] = base[1] + client.retries
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


def _places(places: list[str], limit: int = 50) -> list[str]:
    return places[:limit] + ([f"… and {len(places) - limit} more"] if len(places) > limit else [])


def _bar(name: str, total: int | None, show: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc=f"{name:<32}", unit=" records", file=sys.stderr, leave=True,
                disable=not show, dynamic_ncols=True)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


__all__ = ["pull", "PullResult", "ENDPOINTS", "Endpoint", "MANIFEST", "PULLED_FILES"]
