"""A stand-in QRS for tests: HTTPS on 127.0.0.1 that, like the real one on port 4242, requires a
client certificate issued by the site's CA and a matching xrfkey (header `X-Qlik-Xrfkey` == query
`xrfkey=`, 16 characters; else 403 "XSRF prevention check failed", Qlik's wording).
help.qlik.com …/RepositoryServiceAPI-Connect-API.htm; …/RepositoryServiceAPI-Filtering.htm;
…/RepositoryServiceAPI-Create-Table.htm (POST /table with skip/take).

API (small on purpose; other tests add endpoints to it):

    certs = make_certificates(tmp_path)             # CA, server, client; a stranger client; a wrong key
    with StandinQrs(certs) as qrs:                  # serves at qrs.url (https://127.0.0.1:<port>)
        qrs.add("user", [...])                      # a list: /qrs/user, /user/full, /user/count, POST /user/table
        qrs.add("about", {...})                     # anything else: GET /qrs/about returns it as is
        qrs.add("license", None)                    # null, as QRS says "no licence"
        qrs.handle("POST", "systemrule/security/audit", fn)   # fn(request) -> (status, json-able body)
        qrs.fail("stream/full", times=2, status=500)          # the next 2 calls to that path fail
        qrs.fail("user/full", times=99, after=3)              # … after 3 that succeed
        qrs.stall("user/table", seconds=2.5)                  # the next call answers only after 2.5 s
        qrs.log                                     # [Call(method, path, query, status, user)] in order

`StandinQrs(certs, site, client_certs=False, auth=fn, prefix="jwt")` stands in for a virtual proxy
instead: no client certificate asked; `auth(headers) -> bool` decides (False: 401); paths are
/jwt/qrs/…. `require_user="UserDirectory=…; UserId=…"`
answers 403 to any other X-Qlik-User. `server_cert=(certs.misnamed_cert, certs.misnamed_key)`: a server
certificate for another host name.

`Request` passed to handlers: .method, .path (after /qrs/), .query (dict), .body (parsed JSON or
None), .headers. `default_site()` gives recorded responses (tests/data/qrs/exports, real QRS JSON)
plus generated users, licence data and secrets for redaction tests.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

DATA = Path(__file__).resolve().parent / "data" / "qrs"


# -- certificates -----------------------------------------------------------------------------------

@dataclass
class Certificates:
    folder: Path
    ca: Path  # root.pem
    server_cert: Path
    server_key: Path
    client_cert: Path  # client.pem, issued by ca
    client_key: Path  # client_key.pem
    stranger_cert: Path  # a client certificate from another CA
    stranger_key: Path
    other_key: Path  # a key that is not client.pem's
    other_ca: Path  # another CA's root.pem
    misnamed_cert: Path  # a server certificate from the site's CA for another host name
    misnamed_key: Path


def make_certificates(folder: Path) -> Certificates:
    """Throwaway EC certificates (fast to make), as a QMC export would lay them out in folder/site/."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    folder = Path(folder)
    (folder / "site").mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def issue(subject_key, cn, issuer_key, issuer_name, ca=False, server=False, names=None):
        builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer_name or name(cn))
                   .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                            critical=True)
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                                            critical=False)
        else:
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                            critical=False)
        if server:
            alt = names or [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def write_cert(path, cert):
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def write_key(path, k):
        path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()))
        path.chmod(0o600)
        return path

    ca_key, other_ca_key = key(), key()
    ca = issue(ca_key, "standin-CA", ca_key, None, ca=True)
    other_ca = issue(other_ca_key, "stranger-CA", other_ca_key, None, ca=True)
    server_key, client_key, stranger_key, other_key, misnamed_key = key(), key(), key(), key(), key()
    site = folder / "site"
    return Certificates(
        folder=site,
        ca=write_cert(site / "root.pem", ca),
        server_cert=write_cert(folder / "server.pem", issue(server_key, "127.0.0.1", ca_key, ca.subject, server=True)),
        server_key=write_key(folder / "server_key.pem", server_key),
        client_cert=write_cert(site / "client.pem", issue(client_key, "QlikClient", ca_key, ca.subject)),
        client_key=write_key(site / "client_key.pem", client_key),
        stranger_cert=write_cert(folder / "stranger.pem", issue(stranger_key, "QlikClient", other_ca_key,
                                                                other_ca.subject)),
        stranger_key=write_key(folder / "stranger_key.pem", stranger_key),
        other_key=write_key(folder / "other_key.pem", other_key),
        other_ca=write_cert(folder / "other_root.pem", other_ca),
        misnamed_cert=write_cert(folder / "misnamed.pem", issue(misnamed_key, "qlik-central.example", ca_key, ca.subject,
                                                               server=True,
                                                               names=[x509.DNSName("qlik-central.example")])),
        misnamed_key=write_key(folder / "misnamed_key.pem", misnamed_key),
    )


# -- the server -------------------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str  # after /qrs/, no query, lower case
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    status: int
    user: str | None


@dataclass
class _Trouble:
    times: int
    status: int = 500
    seconds: float = 0.0
    after: int = 0  # calls that succeed first


class StandinQrs:
    def __init__(self, certs: Certificates, site: dict[str, Any] | None = None, require_user: str | None = None,
                 client_certs: bool = True, auth: Callable[[dict], bool] | None = None, prefix: str = "",
                 server_cert: tuple[Path, Path] | None = None):
        self.certs = certs
        self.server_cert = server_cert or (certs.server_cert, certs.server_key)  # (certificate, key)
        self.prefix = f"/{prefix.strip('/')}" if prefix.strip("/") else ""  # a virtual proxy's: /<prefix>/qrs/...
        self.client_certs = client_certs
        self.auth = auth
        self.lists: dict[str, list[dict]] = {}
        self.things: dict[str, Any] = {}
        self.handlers: dict[tuple[str, str], Callable[[Request], tuple[int, Any]]] = {}
        self.failures: dict[str, _Trouble] = {}
        self.stalls: dict[str, _Trouble] = {}
        self.log: list[Call] = []
        self.require_user = require_user  # answer 403 to any other X-Qlik-User
        self._lock = threading.Lock()
        for name, data in (site or {}).items():
            if not name.startswith("_"):  # "_secret" and the like are for the test, not served
                self.add(name, data)
        self._server = None

    # set-up
    def add(self, name: str, data: Any) -> None:
        name = name.strip("/").lower()
        if isinstance(data, list):
            self.lists[name] = data
        else:
            self.things[name] = data

    def handle(self, method: str, path: str, fn: Callable[[Request], tuple[int, Any]]) -> None:
        self.handlers[(method.upper(), path.strip("/").lower())] = fn

    def fail(self, path: str, times: int = 1, status: int = 500, after: int = 0) -> None:
        self.failures[path.strip("/").lower()] = _Trouble(times, status, after=after)

    def stall(self, path: str, seconds: float, times: int = 1) -> None:
        self.stalls[path.strip("/").lower()] = _Trouble(times, seconds=seconds)

    def calls(self, path: str, method: str | None = None) -> list[Call]:
        path = path.strip("/").lower()
        return [c for c in self.log if c.path == path and (method is None or c.method == method)]

    # life
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "StandinQrs":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.server_cert[0]), str(self.server_cert[1]))
        if self.client_certs:
            context.verify_mode = ssl.CERT_REQUIRED  # like port 4242: no client certificate, no connection
            context.load_verify_locations(cafile=str(self.certs.ca))
        self._server = _Server(("127.0.0.1", 0), _Handler, context, self)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # answering
    def answer(self, request: Request) -> tuple[int, Any]:
        with self._lock:
            trouble = self.failures.get(request.path)
            if trouble and trouble.after > 0:
                trouble.after -= 1
            elif trouble and trouble.times > 0:
                trouble.times -= 1
                return trouble.status, {"message": "stand-in: planned failure"}
            stall = self.stalls.get(request.path)
            pause = 0.0
            if stall and stall.times > 0:
                stall.times -= 1
                pause = stall.seconds
        if pause:
            time.sleep(pause)
        fn = self.handlers.get((request.method, request.path))
        if fn is not None:
            return fn(request)
        path = request.path
        for suffix in ("/full", "/count", "/table", ""):
            if suffix and not path.endswith(suffix):
                continue
            base = path[: len(path) - len(suffix)] if suffix else path
            if base in self.lists:
                records = self.lists[base]
                if request.query.get("filter"):
                    records = _filtered(records, request.query["filter"])
                if suffix == "/count" and request.method == "GET":
                    return 200, {"value": len(records)}
                if suffix == "/table" and request.method == "POST":
                    return 200, _table(records, request.body, request.query)
                if request.method == "GET":
                    return 200, records
        if request.method == "GET" and path in self.things:
            return 200, self.things[path]
        return 404, {"message": f"stand-in: no {request.method} /qrs/{path}"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context, standin):
        self.context, self.standin = context, standin
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # the TLS handshake in the request's own thread: a client that stalls or is refused holds up no one
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body go out as written
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            try:
                request.close()
            except OSError:
                pass
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):  # a client that hung up is not worth a traceback
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real QRS
    server: _Server

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_DELETE(self):
        self._serve("DELETE")

    def _serve(self, method):
        standin = self.server.standin
        parts = urlsplit(self.path)
        query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = unquote(parts.path).lower()
        user = self.headers.get("X-Qlik-User")
        if not path.startswith(standin.prefix + "/qrs/"):
            return self._send(standin, method, path, query, user, 404, {"message": "not the QRS"})
        path = path[len(standin.prefix + "/qrs/"):].strip("/")
        header_key = self.headers.get("X-Qlik-Xrfkey")
        if not header_key or header_key != query.get("xrfkey") or len(header_key) != 16:
            return self._send(standin, method, path, query, user, 403,
                              "XSRF prevention check failed. Possible XSRF discovered.")
        if standin.auth is not None and not standin.auth(dict(self.headers)):
            return self._send(standin, method, path, query, user, 401, {"message": "Unauthorized"})
        if standin.require_user and user != standin.require_user:
            return self._send(standin, method, path, query, user, 403, {"message": "Forbidden"})
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._send(standin, method, path, query, user, 400, {"message": "body is not JSON"})
        request = Request(method, path, query, body, dict(self.headers))
        try:
            status, answer = standin.answer(request)
        except Exception as exc:  # a bug in a test handler shows as a 500 with its text
            status, answer = 500, {"message": f"stand-in handler failed: {type(exc).__name__}: {exc}"}
        self._send(standin, method, path, query, user, status, answer)

    def _send(self, standin, method, path, query, user, status, answer):
        standin.log.append(Call(method, path, {k: v for k, v in query.items() if k != "xrfkey"}, status, user))
        data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a stalled answer after its timeout)


# -- filters and tables (the subset of QRS's syntax the tests use) ----------------------------------

_TERM = re.compile(r"\s*([\w.@]+)\s+(eq|ne|sw|ew|so|gt|ge|lt|le)\s+('(?:[^']|'')*'|[^\s()]+)\s*", re.I)


def _filtered(records: list[dict], text: str) -> list[dict]:
    """`prop op value (and|or prop op value)*`, `and` binding tighter than `or`; strings compare
    case-insensitively (…/RepositoryServiceAPI-Filtering.htm)."""
    alternatives = []
    for branch in re.split(r"\s+or\s+", text.strip(), flags=re.I):
        terms = []
        for piece in re.split(r"\s+and\s+", branch, flags=re.I):
            m = _TERM.fullmatch(piece.strip("() "))
            if not m:
                raise ValueError(f"stand-in cannot read the filter term {piece!r}")
            prop, op, value = m.group(1), m.group(2).lower(), m.group(3)
            if value.startswith("'"):
                value = value[1:-1].replace("''", "'")
            terms.append((prop, op, value.lower()))
        alternatives.append(terms)
    ids = {t[0][2] for t in alternatives if len(t) == 1 and t[0][:2] == ("id", "eq")}
    if len(ids) == len(alternatives):  # the pull's "id eq A or id eq B …": a set lookup
        return [r for r in records if str(r.get("id", "")).lower() in ids]
    return [r for r in records if any(all(_holds(r, *term) for term in terms) for terms in alternatives)]


def _holds(record, prop, op, value) -> bool:
    actual = _lookup(record, prop)
    actual = "" if actual is None else str(actual).lower()
    return {"eq": actual == value, "ne": actual != value, "sw": actual.startswith(value),
            "ew": actual.endswith(value), "so": value in actual, "gt": actual > value, "ge": actual >= value,
            "lt": actual < value, "le": actual <= value}[op]


def _lookup(record, dotted):
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value


def _table(records: list[dict], body, query) -> dict:
    columns = [c.get("definition") or c.get("name") for c in (body or {}).get("columns", [])] or ["id"]
    names = [c.get("name") or c.get("definition") for c in (body or {}).get("columns", [])] or ["id"]
    sort = query.get("sortcolumn")
    if sort:
        records = sorted(records, key=lambda r: str(_lookup(r, sort) or ""),
                         reverse=query.get("orderascending", "true").lower() == "false")
    skip, take = int(query.get("skip") or 0), int(query.get("take") or 0)
    chosen = records[skip: skip + take] if take else records[skip:]
    return {"id": "00000000-0000-0000-0000-000000000000", "columnNames": names,
            "rows": [[_lookup(r, c) for c in columns] for r in chosen]}


# -- a site to serve ----------------------------------------------------------------------------------

def _load(name: str):
    return json.loads((DATA / "exports" / name).read_text(encoding="utf-8"))


def _guid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "qsplay-standin/" + seed))


def default_site(users: int = 60) -> dict[str, Any]:
    """Recorded responses (real QRS JSON from tests/data/qrs/exports) and generated ones around them:
    `users` users (use a few thousand to make the pull page), apps named as the recorded app objects'
    apps, licence state with allocations and a quarantine, and secrets the pull must redact."""
    rules = _load("systemrule-gss.json") + _load("systemrule-oem-developer.json")
    table = _load("app-object-table.json")  # POST /qrs/app/object/table as a real server returned it
    objects, app_names = [], {}
    for row in table["rows"]:
        rec = dict(zip(table["columnNames"], row))
        app_names.setdefault(rec["app.name"], rec["app.stream.name"])
        objects.append({"id": rec["id"], "name": rec["name"], "objectType": rec["objectType"],
                        "published": rec["published"], "approved": rec["approved"],
                        "owner": {"userId": rec["owner"], "userDirectory": "INTERNAL"},
                        "app": {"id": _guid("app/" + rec["app.name"]), "name": rec["app.name"]}})
    streams = [{"id": _guid("stream/" + s), "name": s, "owner": {"userId": "sa_repository",
                                                                  "userDirectory": "INTERNAL"},
                "customProperties": [], "tags": []} for s in sorted({s for s in app_names.values() if s})]
    apps = [{"id": _guid("app/" + a), "name": a, "published": bool(s), "publishTime": "2016-07-23T20:39:41.228Z",
             "stream": {"id": _guid("stream/" + s), "name": s} if s else None,
             "owner": {"userId": "sa_repository", "userDirectory": "INTERNAL"}, "customProperties": [], "tags": []}
            for a, s in sorted(app_names.items())]
    people = [{"id": _guid(f"user/{i}"), "userId": f"user{i:05d}", "userDirectory": "CORP", "name": f"User {i}",
               "roles": ["ContentAdmin"] if i == 1 else [], "inactive": False, "removedExternally": False,
               "blacklisted": False, "attributes": [{"attributeType": "Group", "attributeValue": f"Team{i % 7}"},
                                                    {"attributeType": "Email", "attributeValue": f"user{i}@corp.example"}],
               "customProperties": [], "tags": []} for i in range(users)]
    people += [{"id": _guid("user/sa"), "userId": "sa_repository", "userDirectory": "INTERNAL", "name": "sa_repository",
                "roles": [], "attributes": [], "customProperties": [], "tags": []},
               {"id": _guid("user/admin"), "userId": "administrator", "userDirectory": "INTERNAL",
                "name": "administrator", "roles": ["RootAdmin"], "attributes": [], "customProperties": [], "tags": []}]

    def user_ref(i):
        p = people[i]
        return {"id": p["id"], "userId": p["userId"], "userDirectory": p["userDirectory"], "name": p["name"]}
    never = "1753-01-01T00:00:00.000Z"  # QRS's "not quarantined"
    professional = [{"id": _guid(f"pro/{i}"), "user": user_ref(i), "lastUsed": "2026-11-30T09:00:00.000Z",
                     "excess": False, "quarantined": False, "quarantineEnd": never, "deletedUserId": "",
                     "deletedUserDirectory": ""} for i in range(min(users, 3))]
    if users > 3:
        professional.append({"id": _guid("pro/q"), "user": user_ref(3), "lastUsed": "2026-11-28T09:00:00.000Z",
                             "excess": False, "quarantined": True, "quarantineEnd": "2026-12-05T09:00:00.000Z",
                             "deletedUserId": "", "deletedUserDirectory": ""})
    analyzer = [{"id": _guid(f"an/{i}"), "user": user_ref(i), "lastUsed": "2026-11-29T10:00:00.000Z", "excess": False,
                 "quarantined": False, "quarantineEnd": never, "deletedUserId": "", "deletedUserDirectory": ""}
                for i in range(4, min(users, 9))]
    groups = {"professionalaccessgroup": [{"id": _guid("pg/1"), "name": "Developers",
                                           "schemaPath": "License.ProfessionalAccessGroup"}],
              "analyzeraccessgroup": [{"id": _guid("ag/1"), "name": "Readers", "schemaPath": "License.AnalyzerAccessGroup"}]}
    secret = "s3cr3t-Pa55"
    return {
        "about": {"buildVersion": "14.113.4", "buildDate": "9/20/2013 10:09:00 AM", "databaseProvider": "Devart.Data.PostgreSql",
                  "nodeType": 1, "sharedPersistence": True, "requiresBootstrap": False, "singleNodeOnly": False,
                  "schemaPath": "About"},
        "about/api/enums": {"SystemRule.Category": {"values": ["0: License", "1: Security", "2: Sync"]}},
        "systemrule": rules,
        "user": people,
        "userdirectory": [{"id": _guid("ud/corp"), "name": "CORP", "userDirectoryName": "CORP", "type": "Repository.UserDirectoryConnectors.LDAP.ActiveDirectory",
                           "syncOnlyLoggedInUsers": True, "operational": True,
                           "settings": [{"name": "User name", "category": "Connection", "secret": False,
                                         "value": "CORP\\svc_ldap"},
                                        {"name": "Password", "category": "Connection", "secret": True, "value": secret}]}],
        "stream": streams,
        "app": apps,
        "app/object": objects,
        "custompropertydefinition": [{"id": _guid("cp/dept"), "name": "Department", "valueType": "Text",
                                      "choiceValues": ["Finance", "HR"], "objectTypes": ["App", "Stream", "User"]}],
        "virtualproxyconfig": _load("virtualproxyconfig.json"),
        "proxyservice": [{"id": _guid("proxy/1"), "settings": {"listenPort": 443, "allowHttp": False,
                                                               "kerberosAuthentication": False}}],
        "dataconnection": [
            {"id": _guid("dc/1"), "name": "Finance DB", "type": "OLEDB",
             "connectionstring": f"Provider=SQLOLEDB.1;Data Source=db1;User ID=qlik;Password={secret};Initial Catalog=fin",
             "username": "qlik", "password": secret, "owner": {"userId": "sa_repository", "userDirectory": "INTERNAL"}},
            {"id": _guid("dc/2"), "name": "Web feed", "type": "internet",
             "connectionstring": f"https://feed:{secret}@example.com/data?token={secret}&x=1", "username": "", "password": ""},
            {"id": _guid("dc/3"), "name": "Shared folder", "type": "folder", "connectionstring": "\\\\files\\qlik\\data"}],
        "extension": [{"id": _guid("ext/1"), "name": "sense-navigation", "owner": {"userId": "sa_repository",
                                                                                   "userDirectory": "INTERNAL"},
                       "tags": [], "customProperties": []}],
        "tag": [{"id": _guid("tag/1"), "name": "Certified"}],
        "license": {"id": _guid("lic"), "serial": "9999000000001234", "check": "12345", "key": "eyJhbGciOi.SECRET.KEY",
                    "lef": f"Qlik Sense Enterprise;;;\nPRODUCTLEVEL;50;;2026-01-01\nCONTROL;{secret}",
                    "keyDetails": "Valid From: 2026-01-01\nValid To: 2027-12-31\nSerial: 9999000000001234\nProfessional: 10",
                    "name": "Corp", "organization": "Corp", "product": 1, "numberOfCores": 8, "isExpired": False,
                    "isBlacklisted": False, "isInvalid": False, "isSubscription": False},
        "license/accesstypeoverview": {
            "totalTokens": 0, "availableTokens": 0, "tokensEnabled": False,
            "professionalAccess": {"enabled": True, "total": 4, "allocated": len(professional), "used": 3,
                                   "quarantined": 1, "excess": 0, "available": 4 - len(professional)},
            "analyzerAccess": {"enabled": True, "total": 10, "allocated": len(analyzer), "used": len(analyzer),
                               "quarantined": 0, "excess": 0, "available": 10 - len(analyzer)},
            "analyzerTimeAccess": {"enabled": True, "allocatedMinutes": 6000, "usedMinutes": 5994,
                                   "unavailableMinutes": 0}},
        "license/professionalaccesstype": professional,
        "license/analyzeraccesstype": analyzer,
        "license/useraccesstype": [],
        "license/loginaccesstype": [],
        "license/analyzertimeaccesstype": [{"id": _guid("atime"), "name": "Capacity", "assignedUnits": 1000,
                                            "assignedMinutes": 6000, "usedMinutes": 5994, "remainingMinutes": 6}],
        "license/professionalaccessgroup": groups["professionalaccessgroup"],
        "license/analyzeraccessgroup": groups["analyzeraccessgroup"],
        "license/useraccessgroup": [],
        "license/analyzeraccessusage": [],
        "license/analyzertimeaccessusage": [],
        "license/loginaccessusage": [],
        "license/professionalaccessusage": [],
        "license/useraccessusage": [],
        "_secret": secret,  # not served (no such endpoint): what tests grep the pulled folder for
    }
