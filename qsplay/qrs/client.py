"""An HTTP session with a live QRS (Qlik Sense Repository Service), by one of its four routes.

Routes (see ../shared/reference/qrs-live-site.md §1 and Qlik's "Connecting to the QRS API" pages):
- certificate (the default): `https://<central node>:4242/qrs/...` with the client.pem/client_key.pem
  the QMC exports and root.pem to check the server; the calls run as `X-Qlik-User` (default
  INTERNAL\\sa_repository). help.qlik.com …/RepositoryServiceAPI-Example-Connect-cURL-Certificates.htm
- header: through a virtual proxy that takes the user from a header (`--header-user NAME:VALUE`);
- JWT: through a JWT virtual proxy, `Authorization: Bearer <token>`;
- Windows (NTLM) through a virtual proxy, with `requests_ntlm` (the optional `ntlm` extra) and
  `User-Agent: Windows` so the proxy does not answer with a login form (…-Connect-cURL-Windows.htm).

Every request carries a fresh-per-session 16-character xrfkey as the `X-Qlik-Xrfkey` header and the
`xrfkey=` query parameter: the QRS refuses the call unless both are there and equal
(…/RepositoryServiceAPI-Connect-API.htm). 5xx answers and timeouts are retried with backoff by
urllib3's Retry. Every failure becomes a `QrsHttpError` whose message names the likely cause; no
message, log or file ever holds the token, a password or the key file's content.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import ssl
import string
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from .reader import QrsError

CERTIFICATE_PORT = 4242  # the QRS's own port: client and server certificates, no proxy
DEFAULT_QLIK_USER = "INTERNAL\\sa_repository"
CERT_FILES = ("client.pem", "client_key.pem", "root.pem")  # the names the QMC's export gives them


class QrsHttpError(QrsError):
    """A call to the QRS that failed, said with its likely cause. `status` is the HTTP status (or None)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Route:
    """How to authenticate. `kind` is certificate | header | jwt | ntlm."""
    kind: str = "certificate"
    cert: Path | None = None
    key: Path | None = None
    qlik_user: str = DEFAULT_QLIK_USER  # X-Qlik-User, certificate route only
    header: tuple[str, str] | None = None  # (header name, user id) for a header virtual proxy
    token: str | None = field(default=None, repr=False)  # the JWT; never shown
    ntlm_user: str | None = None  # DOMAIN\\name
    ntlm_password: str | None = field(default=None, repr=False)

    @property
    def via_proxy(self) -> bool:
        return self.kind != "certificate"


def certificate_files(cert_dir: str | Path) -> tuple[Path, Path, Path | None]:
    """client.pem, client_key.pem and (when there) root.pem in a folder exported from the QMC."""
    folder = Path(cert_dir)
    if not folder.is_dir():
        raise QrsHttpError(f"--cert-dir {folder}: not a folder (it should hold {', '.join(CERT_FILES)} as the QMC "
                           f"exports them)")
    cert, key, root = (folder / name for name in CERT_FILES)
    missing = [p.name for p in (cert, key) if not p.is_file()]
    if missing:
        raise QrsHttpError(f"--cert-dir {folder}: no {' or '.join(missing)} there; export the certificates in the QMC "
                           f"(Certificates → Export, 'Platform independent PEM-format', include the secret key)")
    return cert, key, root if root.is_file() else None


def check_client_certificate(cert: Path, key: Path) -> None:
    """Load the pair as the TLS layer will, so a wrong file is named before any connection is made."""
    for flag, path in (("--cert", cert), ("--key", key)):
        if not Path(path).is_file():
            raise QrsHttpError(f"{flag} {path}: no such file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    def password_asked():
        raise QrsHttpError(f"--key {key}: the secret key is protected by a password; export the certificates again "
                           f"in the QMC without a certificate password (qsplay does not store or ask for it)")
    try:
        context.load_cert_chain(str(cert), str(key), password=password_asked)
    except QrsHttpError:
        raise
    except ssl.SSLError as exc:
        text = str(exc)
        if "KEY_VALUES_MISMATCH" in text or "key values mismatch" in text:
            raise QrsHttpError(f"--cert {cert} and --key {key} are not a pair: the key does not belong to the "
                               f"certificate; use client.pem and client_key.pem from the same QMC export") from None
        raise QrsHttpError(f"--cert {cert} / --key {key}: not a PEM certificate and its secret key ({exc.reason or text}); "
                           f"export them in the QMC in 'Platform independent PEM-format' with the secret key") from None
    except OSError as exc:
        raise QrsHttpError(f"--cert {cert} / --key {key}: cannot read: {exc.strerror or exc}") from None


def check_ca(ca: Path) -> None:
    if not Path(ca).is_file():
        raise QrsHttpError(f"--ca {ca}: no such file")
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(ca))
    except (ssl.SSLError, ValueError) as exc:
        raise QrsHttpError(f"--ca {ca}: not a PEM certificate ({exc}); use root.pem from the QMC's export") from None


def base_url(url: str, route: Route) -> str:
    """The URL the /qrs/... paths go under: https only; port 4242 by default on the certificate route;
    a virtual proxy's prefix (https://host/prefix) kept."""
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise QrsHttpError(f"{url}: the QRS is reached over https only")
    if not parts.hostname:
        raise QrsHttpError(f"{url}: no host name")
    netloc = parts.netloc
    if parts.port is None and route.kind == "certificate":
        netloc = f"{netloc}:{CERTIFICATE_PORT}"
    path = parts.path.rstrip("/")
    if path.endswith("/qrs"):
        path = path[:-4]
    return urlunsplit(("https", netloc, path, "", ""))


def qlik_user_header(user: str) -> str:
    """`UserDirectory=…; UserId=…`, both URL-encoded UTF-8 (…/ProxyServiceAPI-Injected-Req-Headers-X-Qlik-User.htm)."""
    directory, sep, uid = user.replace("/", "\\").partition("\\")
    if not sep or not directory or not uid:
        raise QrsHttpError(f"--qlik-user {user!r}: give it as DIRECTORY\\USERID, e.g. INTERNAL\\sa_repository")
    return f"UserDirectory={quote(directory, safe='')}; UserId={quote(uid, safe='')}"


def new_xrfkey() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


class QrsClient:
    """GET and POST JSON on one QRS. `requests`/`retries` count what happened (for the pull's report)."""

    def __init__(self, url: str, route: Route, ca: Path | None = None, insecure: bool = False,
                 timeout: float = 60.0, retries: int = 4, backoff: float = 0.5):
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.route = route
        self.base = base_url(url, route)
        self.timeout = timeout
        self.retry_budget = retries
        self.insecure = insecure
        self.requests = 0
        self.retries = 0
        if route.kind == "certificate":
            if not route.cert or not route.key:
                raise QrsHttpError("the certificate route needs --cert client.pem and --key client_key.pem "
                                   "(or --cert-dir FOLDER), or choose a proxy route (--header-user, --jwt-file, --ntlm)")
            check_client_certificate(route.cert, route.key)
        if ca is not None:
            check_ca(ca)
        # urllib3 logs each retry as a warning with the URL; the pull counts them and says so once
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
        session = requests.Session()
        # 5xx and timeouts are retried; POST too, because the only POSTs are read-only (/table and the audits).
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0,
                      backoff_factor=backoff, backoff_max=30, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=frozenset({"GET", "POST"}), raise_on_status=False,
                      respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        self.xrfkey = new_xrfkey()
        session.headers["X-Qlik-Xrfkey"] = self.xrfkey
        session.headers["Accept"] = "application/json"
        if route.kind == "certificate":
            session.cert = (str(route.cert), str(route.key))
            session.headers["X-Qlik-User"] = qlik_user_header(route.qlik_user)
        elif route.kind == "header":
            name, value = route.header or ("", "")
            session.headers[name] = value
        elif route.kind == "jwt":
            session.headers["Authorization"] = f"Bearer {route.token}"
        elif route.kind == "ntlm":
            try:
                from requests_ntlm import HttpNtlmAuth
            except ImportError:
                raise QrsHttpError("the Windows (NTLM) route needs requests_ntlm: pip install 'qsplay[ntlm]'") from None
            session.auth = HttpNtlmAuth(route.ntlm_user, route.ntlm_password)
            session.headers["User-Agent"] = "Windows"  # else the proxy redirects to a login form
        # passed with each request: requests lets $REQUESTS_CA_BUNDLE override a session's verify
        self.verify: bool | str = True
        if insecure:
            self.verify = False
            from urllib3.exceptions import InsecureRequestWarning
            warnings.simplefilter("ignore", InsecureRequestWarning)  # said once, loudly, by the caller
        elif ca is not None:
            self.verify = str(ca)
        self.session = session

    # -- requests ---------------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None):
        return self._call("GET", path, params, None)

    def post(self, path: str, body, params: dict | None = None):
        return self._call("POST", path, params, body)

    def count(self, path: str, params: dict | None = None) -> int:
        """`GET /qrs/<type>/count` → {"value": N}."""
        answer = self.get(path, params)
        if isinstance(answer, dict) and isinstance(answer.get("value"), int):
            return answer["value"]
        raise QrsHttpError(f"{path}: expected {{\"value\": N}}, got {_shorten(json.dumps(answer))}")

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, params: dict | None, body):
        import requests
        path = "/qrs/" + path.strip("/").removeprefix("qrs/")  # callers name the endpoint, as the reference does
        url = self.base + path
        query = dict(params or {})
        query["xrfkey"] = self.xrfkey
        self.requests += 1
        try:
            response = self.session.request(method, url, params=query, json=body, timeout=self.timeout,
                                            verify=self.verify, allow_redirects=self.route.via_proxy)
        except requests.exceptions.RequestException as exc:
            raise QrsHttpError(self.explain_failure(exc, path)) from None
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        self.retries += len(history)
        if response.status_code >= 400:
            raise QrsHttpError(self.explain_status(response, path, len(history)), response.status_code)
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "?")
            hint = (" — on a proxy route this is usually the login page: the virtual proxy did not accept the "
                    "header, JWT or Windows credentials, or the prefix in the URL is not that virtual proxy's"
                    if self.route.via_proxy else "")
            raise QrsHttpError(f"{path}: the server answered {kind}, not JSON{hint}", response.status_code) from None

    # -- messages ---------------------------------------------------------------------------------

    def where(self) -> str:
        return urlsplit(self.base).netloc

    def explain_failure(self, exc: Exception, path: str) -> str:
        """A transport failure (TLS, connection, timeout), with the likely cause."""
        import requests
        text = _flatten(exc)
        where = self.where()
        low = text.lower()
        cert_route = self.route.kind == "certificate"
        if isinstance(exc, requests.exceptions.SSLError) or "ssl" in low or "tls" in low:
            if "certificate_verify_failed" in low or "certificate verify failed" in low:
                if "hostname" in low or "match" in low or "ip address mismatch" in low:
                    return (f"{where}: the server's certificate is not issued for this host name; use the name the "
                            f"certificate was made for (the node's host name as the QMC shows it), not an IP "
                            "address or alias")
                return (f"{where}: the server's certificate could not be verified"
                        + (" against --ca; root.pem is not this site's root certificate (export root.pem from "
                           "this site's QMC, with client.pem)" if self.verify not in (True, False)
                           else "; give the site's root.pem with --ca (or --cert-dir holding it)")
                        + ". Only if you understand the risk: --insecure")
            if any(s in low for s in ("unknown ca", "unknown_ca", "bad certificate", "bad_certificate",
                                      "certificate required", "certificate_required", "handshake failure",
                                      "certificate unknown", "certificate_unknown", "access denied")):
                return (f"{where}: the server refused the client certificate: client.pem is not one this site "
                        f"issued (export it from this site's QMC: Certificates → Export)" if cert_route else
                        f"{where}: the TLS handshake failed ({_shorten(text)})")
            if "wrong version number" in low or "wrong_version_number" in low or "record layer failure" in low:
                return (f"{where}: the server does not speak TLS on that port; wrong port? (the QRS listens on "
                        f"{CERTIFICATE_PORT}, the proxy on 443)")
            if "eof occurred" in low or "unexpected eof" in low:
                return (f"{where}: the server closed the connection during the TLS handshake"
                        + ("; most often it refused the client certificate (client.pem not issued by this site)"
                           if cert_route else "") + f" ({_shorten(text)})")
            return f"{where}: TLS failed: {_shorten(text)}"
        if isinstance(exc, (requests.exceptions.Timeout,)) or "timed out" in low or "read timeout" in low:
            return (f"{path}: no answer from {where} within {self.timeout:g} s, {self.retry_budget + 1} tries; "
                    f"the server is busy or a firewall drops the traffic (try --timeout)")
        if "connection refused" in low or "errno 111" in low:
            return (f"{where}: connection refused: nothing listens there; wrong port? (the QRS listens on "
                    f"{CERTIFICATE_PORT} on the central node and that port must be open in the firewall; a virtual "
                    f"proxy is on 443)")
        if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
            return f"{where}: the host name does not resolve"
        if "connection reset" in low or "connection aborted" in low or "remote end closed" in low:
            return (f"{where}: the server dropped the connection" +
                    ("; with the certificate route this most often means it refused the client certificate "
                     "(client.pem not issued by this site)" if cert_route else "") + f" ({_shorten(text)})")
        return f"{where}: {_shorten(text)}"

    def explain_status(self, response, path: str, retried: int) -> str:
        status = response.status_code
        body = _shorten(_safe_text(response.text), 160)
        said = f" (the server said: {body})" if body else ""
        user = self.route.qlik_user
        if status in (400, 403) and ("xsrf" in response.text.lower() or "xrf" in response.text.lower()):
            return (f"{path}: HTTP {status}: the QRS refused the xrfkey check: the X-Qlik-Xrfkey header and the "
                    f"xrfkey= query parameter must both be sent and be equal; something between qsplay and the "
                    f"server (a proxy, a gateway) changed or dropped one of them{said}")
        if status == 401:
            if self.route.via_proxy:
                return (f"{path}: HTTP 401: the virtual proxy did not authenticate you: check that the URL's prefix is "
                        f"the virtual proxy's, and the {self._route_words()}{said}")
            return f"{path}: HTTP 401: not authenticated; is {self.where()} the QRS (port {CERTIFICATE_PORT})?{said}"
        if status == 403:
            if self.route.via_proxy:
                return (f"{path}: HTTP 403: the user was authenticated but refused: through a proxy the calls need an "
                        f"access pass and the rights to read the QRS (e.g. RootAdmin){said}")
            return (f"{path}: HTTP 403: refused for X-Qlik-User {user}: that user has no rights to read the QRS; use "
                    f"INTERNAL\\sa_repository (the default) or a RootAdmin user{said}")
        if status == 404:
            return (f"{path}: HTTP 404: not found on {self.where()}; wrong port or virtual proxy prefix, or this Qlik "
                    f"release has no such endpoint")
        if status >= 500:
            return f"{path}: HTTP {status} from the QRS after {retried + 1} tries{said}"
        return f"{path}: HTTP {status}{said}"

    def _route_words(self) -> str:
        return {"header": "header name (the virtual proxy's 'Header authentication header name') and the user",
                "jwt": "JWT (signature against the virtual proxy's JWT certificate, expiry, and the user id and "
                       "directory attribute names it expects)",
                "ntlm": "Windows account and password (and that the virtual proxy uses Windows authentication)"
                }.get(self.route.kind, "credentials")


def read_token(path: str | None, env: str | None) -> str:
    """A JWT from a file or an environment variable (never from the command line, where shell history
    and `ps` would show it)."""
    if path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise QrsHttpError(f"--jwt-file {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
        where = f"--jwt-file {path}"
    else:
        token = (os.environ.get(env or "") or "").strip()
        where = f"the environment variable {env}"
    if not token:
        raise QrsHttpError(f"{where}: empty; it should hold the signed JWT")
    if token.count(".") != 2 or any(c.isspace() for c in token):
        raise QrsHttpError(f"{where}: does not look like a JWT (three base64url parts separated by dots)")
    return token


def _flatten(exc: BaseException) -> str:
    """The message of an exception and the ones it wraps (urllib3 and ssl nest them)."""
    seen, parts = set(), []
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen or e is None:
            continue
        seen.add(id(e))
        parts.append(f"{type(e).__name__}: {e}")
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        stack.extend(x for x in (e.__cause__, e.__context__, getattr(e, "reason", None)) if isinstance(x, BaseException))
    return " | ".join(parts)


def _safe_text(text: str) -> str:
    """Server text shown in a message: no control characters, no markup-looking runs."""
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(cleaned.split())


def _shorten(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["QrsClient", "QrsHttpError", "Route", "certificate_files", "read_token", "base_url", "qlik_user_header",
           "DEFAULT_QLIK_USER", "CERTIFICATE_PORT"]
