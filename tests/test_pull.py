"""qsplay pull against a stand-in QRS (tests/qrs_standin.py): HTTPS on 127.0.0.1 that requires a
client certificate from the site's CA and a matching xrfkey, serves recorded QRS responses
(tests/data/qrs/exports) and generated large ones that must be paged, fails and stalls on purpose.

Qlik's facts the stand-in holds the client to: port 4242 needs client and server certificates,
the xrfkey as header and query parameter, X-Qlik-User "UserDirectory=…; UserId=…" URL-encoded
(help.qlik.com …/RepositoryServiceAPI-Connect-API.htm, …-Example-Connect-cURL-Certificates.htm,
…/ProxyServiceAPI-Injected-Req-Headers-X-Qlik-User.htm); /full has no skip/take, /table has
(…-Get-All-As-Full.htm, …-Table-Pagination.htm).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from qsplay.cli import main  # noqa: E402
from qsplay.qrs import import_folder, write_scenario  # noqa: E402
from qsplay.qrs.client import QrsClient, QrsHttpError, Route, qlik_user_header  # noqa: E402
from qsplay.qrs.pull import MANIFEST, pull  # noqa: E402
from qsplay.qrs.redact import REDACTED, redact, redact_connection_string  # noqa: E402

from .qrs_standin import StandinQrs, default_site, make_certificates  # noqa: E402

SA = "UserDirectory=INTERNAL; UserId=sa_repository"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


def client(qrs, certs, cert=None, key=None, ca=None, **kw):
    route = Route("certificate", cert=cert or certs.client_cert, key=key or certs.client_key)
    kw.setdefault("timeout", 1.0)
    kw.setdefault("backoff", 0.01)
    return QrsClient(qrs.url, route, ca=ca or certs.ca, **kw)


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


def test_pull_pages_retries_redacts_and_imports(certs, tmp_path):
    site = default_site(users=250)
    with StandinQrs(certs, site, require_user=SA) as qrs:
        qrs.fail("stream/full", times=2, status=500)  # two 500s, then it answers
        qrs.stall("user/table", seconds=3)  # the first page of ids answers after the client's 1 s timeout
        c = client(qrs, certs)
        result = pull(c, tmp_path / "dump", page_size=100, progress=False)
        log = list(qrs.log)
    out = tmp_path / "dump"
    # paging: count first, ids in pages of 100 by POST /table, then /full by id, never one unfiltered /full
    assert [x.status for x in log if x.path == "user/count"] == [200]
    tables = [x for x in log if x.path == "user/table" and x.status == 200]
    assert sorted({int(x.query["skip"]) for x in tables}) == [0, 100, 200]  # skip=0 twice: stalled, then retried
    user_fulls = [x for x in log if x.path == "user/full"]
    assert user_fulls and all("filter" in x.query for x in user_fulls)
    assert len(user_fulls) == 3  # 252 ids, 100 per request
    # small endpoints come in one /full
    assert [x.query for x in log if x.path == "systemrule/full"] == [{}]
    # the retries: 2 planned 500s and the stalled call (answered after the client gave up, so not logged)
    assert [x.status for x in log if x.path == "stream/full"] == [500, 500, 200]
    assert result.retries >= 3 and c.retries == result.retries
    # every call carried the xrfkey both ways and the X-Qlik-User header (else the stand-in says 403)
    assert all(x.status != 403 for x in log) and {x.user for x in log} == {SA}
    assert "license_accesstypeinfo" in result.missing  # 404 on this "release": noted, not fatal
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["endpoints"]["user"] == {**manifest["endpoints"]["user"], "records": 252, "count": 252,
                                             "pages": 3, "status": "done"}
    assert manifest["finished"] and manifest["started"] and manifest["qrs_version"] == "14.113.4"
    assert not (out / ".pages").exists()  # pages are merged away when an endpoint is complete
    users = json.loads((out / "user.json").read_text())
    assert len(users) == len({u["id"] for u in users}) == 252
    # nothing secret is stored: licence key/LEF/serial/control number, passwords, connection-string credentials
    text = all_text(out)
    assert site["_secret"] not in text and "9999000000001234" not in text and "SECRET.KEY" not in text
    licence = json.loads((out / "license.json").read_text())
    assert licence["key"] == licence["lef"] == licence["serial"] == licence["check"] == REDACTED
    assert "Valid To: 2027-12-31" in licence["keyDetails"]  # what is not secret stays
    redacted = [p for e in manifest["endpoints"].values() for p in e.get("redacted", [])]
    assert "dataconnection[0].password" in redacted and "userdirectory[0].settings[1].value" in redacted
    # the folder imports into a scenario qsplay loads
    doc, report = import_folder(out)
    loaded = write_scenario(doc, tmp_path / "site.yaml")  # written only once it loads
    assert loaded is not None and len(loaded.users) >= 252
    assert len(loaded.objects) == 106 and len(loaded.apps) == len(site["app"])
    assert {"_gss - Publishing Rights by Role", "Z_OEM_DEVELOPER"} <= {r.name for r in loaded.security_rules}
    assert {p.prefix for p in loaded.virtual_proxies} >= {"presentationsso"}


def test_an_interrupted_pull_resumes_without_fetching_again(certs, tmp_path):
    site = default_site(users=450)
    out = tmp_path / "dump"
    with StandinQrs(certs, site) as qrs:
        qrs.fail("user/full", times=99, after=3)  # page 0 (2 calls), 1 of page 1, then the server keeps failing
        with pytest.raises(QrsHttpError, match="HTTP 500 from the QRS after 2 tries"):
            pull(client(qrs, certs, retries=1), out, page_size=200, progress=False)
        manifest = json.loads((out / MANIFEST).read_text())
        assert manifest["endpoints"]["systemrule"]["status"] == "done" and "user" not in manifest["endpoints"]
        assert sorted(p.name for p in (out / ".pages" / "user").iterdir()) == ["page-00000.json"]
        first_run = len(qrs.log)
        qrs.failures.clear()
        result = pull(client(qrs, certs), out, page_size=200, progress=False)
        again = qrs.log[first_run:]
    assert {"about", "systemrule"} <= set(result.resumed) and "user" in result.fetched
    assert not [x for x in again if x.path in ("about", "systemrule/full")]  # finished endpoints: not asked again
    assert sorted(int(x.query["skip"]) for x in again if x.path == "user/table") == [200, 400]  # page 0 kept
    users = json.loads((out / "user.json").read_text())
    assert len(users) == len({u["id"] for u in users}) == 452
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["finished"] and len(manifest["resumed"]) == 1


def test_a_wrong_client_certificate_is_named(certs, tmp_path):
    with StandinQrs(certs, default_site(users=5)) as qrs:
        c = client(qrs, certs, cert=certs.stranger_cert, key=certs.stranger_key, retries=0)
        with pytest.raises(QrsHttpError) as info:
            pull(c, tmp_path / "dump", progress=False)
        assert "refused the client certificate" in str(info.value) or "dropped the connection" in str(info.value)
        assert "client.pem" in str(info.value)
        assert not qrs.log  # refused at the handshake: no request reached the QRS


def test_a_key_that_is_not_the_certificates_is_named_before_connecting(certs):
    with StandinQrs(certs, default_site(users=5)) as qrs:
        with pytest.raises(QrsHttpError, match="are not a pair: the key does not belong to the certificate"):
            client(qrs, certs, key=certs.other_key)
        assert not qrs.log


def test_a_root_pem_from_another_site_is_named(certs, tmp_path):
    with StandinQrs(certs, default_site(users=5)) as qrs:
        with pytest.raises(QrsHttpError, match="root.pem is not this site's root certificate"):
            pull(client(qrs, certs, ca=certs.other_ca, retries=0), tmp_path / "dump", progress=False)


def test_the_xrfkey_must_match(certs, tmp_path):
    import requests
    with StandinQrs(certs, default_site(users=5)) as qrs:
        c = client(qrs, certs, retries=0)
        c.session.headers["X-Qlik-Xrfkey"] = "abcdefghijklmnop"  # header and query now differ
        with pytest.raises(QrsHttpError, match="refused the xrfkey check") as info:
            c.get("about")
        assert info.value.status == 403 and "XSRF prevention check failed" in str(info.value)
        # the stand-in holds any client to it: no xrfkey at all is refused too
        answer = requests.get(qrs.url + "/qrs/about", cert=(str(certs.client_cert), str(certs.client_key)),
                              verify=str(certs.ca), timeout=5)
        assert answer.status_code == 403


def test_an_x_qlik_user_without_rights_is_named(certs):
    with StandinQrs(certs, default_site(users=5), require_user=SA) as qrs:
        c = QrsClient(qrs.url, Route("certificate", cert=certs.client_cert, key=certs.client_key,
                                     qlik_user="CORP\\joe"), ca=certs.ca, retries=0)
        with pytest.raises(QrsHttpError, match=r"refused for X-Qlik-User CORP\\joe: that user has no rights"):
            c.get("about")
        assert qrs.log[-1].user == "UserDirectory=CORP; UserId=joe"


def test_x_qlik_user_values_are_url_encoded():
    assert qlik_user_header("INTERNAL\\sa_repository") == SA
    assert qlik_user_header("CORP DE\\jürgen;x") == "UserDirectory=CORP%20DE; UserId=j%C3%BCrgen%3Bx"
    with pytest.raises(QrsHttpError, match="DIRECTORY"):
        qlik_user_header("nobody")


def test_the_wrong_port_is_named(certs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = QrsClient(f"https://127.0.0.1:{port}", Route("certificate", cert=certs.client_cert, key=certs.client_key),
                  ca=certs.ca, retries=0, timeout=2)
    with pytest.raises(QrsHttpError, match="connection refused: nothing listens there; wrong port"):
        c.get("about")


def test_jwt_and_header_routes_through_a_virtual_proxy(certs, tmp_path, monkeypatch):
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"
    seen = []
    with StandinQrs(certs, default_site(users=5), client_certs=False, prefix="jwt",
                    auth=lambda h: seen.append(h) or h.get("Authorization") == f"Bearer {token}") as qrs:
        (tmp_path / "token.jwt").write_text(token + "\n")
        code = main(["pull", qrs.url + "/jwt", "--jwt-file", str(tmp_path / "token.jwt"), "--ca", str(certs.ca),
                     "-o", str(tmp_path / "dump"), "--quiet"])
        assert code == 0 and "X-Qlik-User" not in seen[0]
        assert token not in all_text(tmp_path / "dump")
        monkeypatch.setenv("QSPLAY_TEST_JWT", "aaa.bbb.ccc")
        code = main(["pull", qrs.url + "/jwt", "--jwt-env", "QSPLAY_TEST_JWT", "--ca", str(certs.ca),
                     "-o", str(tmp_path / "dump2"), "--quiet", "--retries", "0"])
        assert code == 2
    with StandinQrs(certs, default_site(users=5), client_certs=False, prefix="hdr",
                    auth=lambda h: h.get("hdr-user") == "admin") as qrs:
        c = QrsClient(qrs.url + "/hdr", Route("header", header=("hdr-user", "admin")), ca=certs.ca)
        assert c.get("about")["buildVersion"] == "14.113.4"


def test_the_ntlm_route_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "requests_ntlm", None)
    with pytest.raises(QrsHttpError, match=r"pip install 'qsplay\[ntlm\]'"):
        QrsClient("https://qlik.example.com/win", Route("ntlm", ntlm_user="CORP\\me", ntlm_password="x"))


def test_cli_errors_are_messages_not_tracebacks(certs, tmp_path, capsys):
    with StandinQrs(certs, default_site(users=5)) as qrs:
        code = main(["pull", qrs.url, "--cert", str(certs.stranger_cert), "--key", str(certs.stranger_key),
                     "--ca", str(certs.ca), "--retries", "0", "-o", str(tmp_path / "a")])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err and "client.pem" in err
        code = main(["pull", qrs.url, "--cert", str(certs.client_cert), "--key", str(certs.other_key),
                     "-o", str(tmp_path / "b")])
        err = capsys.readouterr().err
        assert code == 2 and "not a pair" in err and "Traceback" not in err
        code = main(["pull", qrs.url, "--cert-dir", str(certs.folder), "--insecure", "--quiet", "-o",
                     str(tmp_path / "c")])
        err = capsys.readouterr().err
        assert code == 0 and "WARNING: --insecure" in err
        (tmp_path / "d").mkdir()
        (tmp_path / "d" / "notes.txt").write_text("mine")
        code = main(["pull", qrs.url, "--cert-dir", str(certs.folder), "-o", str(tmp_path / "d")])
        assert code == 2 and "has other files" in capsys.readouterr().err


def test_redaction():
    assert redact_connection_string("Server=db;User ID=qlik;Password=hunter2;Pwd = x;") == \
        f"Server=db;User ID=qlik;Password={REDACTED};Pwd={REDACTED};"
    assert redact_connection_string("CUSTOM CONNECT TO \"provider=Qv.exe;XUserId=a;XPassword=b;\"") == \
        f"CUSTOM CONNECT TO \"provider=Qv.exe;XUserId=a;XPassword={REDACTED};\""
    assert redact_connection_string("https://me:pw@h/x?api_key=k&a=1") == \
        f"https://me:{REDACTED}@h/x?api_key={REDACTED}&a=1"
    assert redact_connection_string("\\\\files\\share") == "\\\\files\\share"
    data, places = redact("virtualproxyconfig", [{"prefix": "oidc", "oidcClientSecret": "abc", "usedTokens": 3,
                                                  "sessionCookieHeaderName": "X-Qlik-Session"}])
    assert data == [{"prefix": "oidc", "oidcClientSecret": REDACTED, "usedTokens": 3,
                     "sessionCookieHeaderName": "X-Qlik-Session"}]
    assert places == ["virtualproxyconfig[0].oidcClientSecret"]


def test_cli_as_users_run_it(certs, tmp_path):
    """pull, then import-qrs, then a question to the imported site: the commands as a user types them."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with StandinQrs(certs, default_site(users=40)) as qrs:
        run = subprocess.run(["qsplay", "pull", qrs.url, "--cert-dir", str(certs.folder), "-o", "dump"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "42 users" in run.stdout and "next: qsplay import-qrs dump -o site.yaml" in run.stdout
    run = subprocess.run(["qsplay", "import-qrs", "dump", "-o", "site.yaml"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "106 objects" in run.stdout
    run = subprocess.run(["qsplay", "audit", "site.yaml", "--user", "CORP\\user00001", "--format", "summary"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr


def test_a_server_that_never_answers_is_named_after_the_retries(certs):
    with StandinQrs(certs, default_site(users=5)) as qrs:
        qrs.stall("about", seconds=2, times=2)
        c = client(qrs, certs, retries=1, timeout=0.5)
        with pytest.raises(QrsHttpError, match=r"about: no answer from 127\.0\.0\.1:\d+ within 0\.5 s, 2 tries"):
            c.get("about")


def test_a_server_certificate_for_another_host_name_is_named(certs):
    with StandinQrs(certs, default_site(users=5), server_cert=(certs.misnamed_cert, certs.misnamed_key)) as qrs:
        with pytest.raises(QrsHttpError, match="not issued for this host name; use the name the certificate"):
            client(qrs, certs, retries=0).get("about")


def test_fresh_leaves_nothing_of_the_earlier_pull(certs, tmp_path):
    site = default_site(users=5)
    with StandinQrs(certs, site) as qrs:
        pull(client(qrs, certs), tmp_path / "dump", progress=False)
    del site["tag"]  # gone on the server: a fresh pull must not keep the old file
    with StandinQrs(certs, site) as qrs:
        result = pull(client(qrs, certs), tmp_path / "dump", progress=False, fresh=True)
    assert "tag" in result.missing and not (tmp_path / "dump" / "tag.json").exists()
