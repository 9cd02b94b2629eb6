"""pull, import-qrs and export-qrs: a live site fetched, real sites in, rules out, in the QRS API's JSON."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..files import write_atomically
from ..safe_text import escape_unsafe
from .base import CommandError, Output, Session, arguments, command


@command("import-qrs", "read a folder of QRS API responses (JSON) into a scenario file", scenarios="none",
         examples=("import-qrs tests/data/qrs/exports -o site.yaml",))
@arguments(lambda p: (p.add_argument("folder"), p.add_argument("-o", "--output", required=True, metavar="SCENARIO"),
                      p.add_argument("--name", help="the scenario's name")))
def run_import(session: Session, args: argparse.Namespace) -> Output:
    from ..qrs import QrsError, import_folder, write_scenario
    try:
        doc, report = import_folder(args.folder, args.name)
    except (QrsError, ValueError) as exc:
        raise CommandError(str(exc))
    for line in report:
        print(escape_unsafe(f"import-qrs: {line}"), file=sys.stderr)
    try:
        site = write_scenario(doc, args.output)  # only a scenario that loads is written
    except QrsError as exc:
        raise CommandError(str(exc))
    custom = sum(1 for r in site.security_rules if not r.preinstalled or r.edited)
    return Output(f"wrote {args.output}: {len(site.users)} users, {len(site.streams)} streams, {len(site.apps)} apps, "
                  f"{len(site.objects)} objects, {custom} custom or edited security rules, "
                  f"{len(site.license_rules)} licence rules; {len(report)} note(s) on stderr\n",
                  data={"output": args.output, "notes": report})


@command("export-qrs", "the scenario's rules (preinstalled ones included) as a /qrs/systemrule/full list",
         examples=("export-qrs -o rules.json",))
@arguments(lambda p: p.add_argument("-o", "--output", required=True, metavar="FILE.json"))
def run_export(session: Session, args: argparse.Namespace) -> Output:
    from ..qrs.mapping import rule_to_qrs
    site = session.require_site()
    records = [rule_to_qrs(r) for r in site.security_rules]
    records += [rule_to_qrs(r, "License") for r in site.license_rules]
    write_atomically(args.output, json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    return Output(f"wrote {args.output}: {len(records)} rules\n", data={"output": args.output, "rules": len(records)})


def _pull_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="the QRS: https://HOST (certificate route, port 4242) or https://PROXY/PREFIX "
                               "(a virtual proxy, for the header, JWT and Windows routes)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write (new, empty, or an "
                                                                       "earlier pull of the same server to resume)")
    _route_arguments(p)
    p.add_argument("--page-size", type=int, default=1000, metavar="N",
                   help="records per page on big endpoints (default 1000)")
    p.add_argument("--fresh", action="store_true", help="start again instead of resuming an earlier pull in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _route_arguments(p: argparse.ArgumentParser) -> None:
    """How to reach and authenticate to a live QRS (pull and verify)."""
    cert = p.add_argument_group("certificate route (the default)")
    cert.add_argument("--cert-dir", metavar="FOLDER", help="the QMC's export: client.pem, client_key.pem, root.pem")
    cert.add_argument("--cert", metavar="client.pem")
    cert.add_argument("--key", metavar="client_key.pem")
    cert.add_argument("--qlik-user", default="INTERNAL\\sa_repository", metavar="DIR\\ID",
                      help="X-Qlik-User the calls run as (default INTERNAL\\sa_repository)")
    proxy = p.add_argument_group("through a virtual proxy")
    proxy.add_argument("--header-user", metavar="HEADER:USERID", help="header authentication: the virtual proxy's "
                                                                     "header name and the user id to send")
    proxy.add_argument("--jwt-file", metavar="FILE", help="JWT authentication: a file holding the signed token")
    proxy.add_argument("--jwt-env", metavar="VAR", help="JWT authentication: an environment variable holding it")
    proxy.add_argument("--ntlm", metavar="DOMAIN\\USER", help="Windows authentication (pip install 'qsplay[ntlm]'); "
                                                             "the password from $QSPLAY_NTLM_PASSWORD or a prompt")
    tls = p.add_argument_group("TLS and transport")
    tls.add_argument("--ca", metavar="root.pem", help="the CA the server's certificate must come from")
    tls.add_argument("--insecure", action="store_true", help="do not check the server's certificate (said loudly)")
    tls.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per request (default 60)")
    tls.add_argument("--retries", type=int, default=4, help="on 5xx answers and timeouts, with backoff (default 4)")


def _route_from(args):
    from ..qrs.client import Route, certificate_files, read_token
    return _route(args, Route, certificate_files, read_token)


# No `examples=`: every pull needs a live server, so the templates are in the description, where the
# printed-examples test (tests/test_examples.py) does not run them.
@command("pull", "fetch a whole site from a live QRS into a folder that import-qrs reads", scenarios="none",
         description="Fetch every endpoint access decisions need (rules, users, streams, apps, objects, proxies,\n"
                     "data connections, ...) and the licence state from a Qlik Sense Enterprise on Windows QRS into\n"
                     "DIR: one JSON file per endpoint, and pull-manifest.json. Licence keys, passwords and\n"
                     "connection-string credentials are redacted before anything is written. An interrupted pull\n"
                     "resumes when run again. Step by step: docs/qrs.md.\n\n"
                     "templates (they need your server):\n"
                     "  qsplay pull https://qlik.example.com --cert-dir certs/ -o site-dump/\n"
                     "  qsplay pull https://qlik.example.com/jwt --jwt-file token.jwt -o site-dump/\n"
                     "  qsplay import-qrs site-dump/ -o site.yaml")
@arguments(_pull_arguments)
def run_pull(session: Session, args: argparse.Namespace) -> Output:
    from ..qrs import QrsError
    from ..qrs.client import QrsClient, Route, certificate_files, read_token
    from ..qrs.pull import pull
    try:
        route, ca = _route(args, Route, certificate_files, read_token)
        if args.insecure:
            print("qsplay pull: WARNING: --insecure: the server's certificate is NOT checked; anyone on the network "
                  "path could pose as the server and read the site data", file=sys.stderr)
        if args.page_size < 1 or args.retries < 0 or args.timeout <= 0:
            raise CommandError("--page-size must be at least 1, --retries at least 0, --timeout above 0")
        client = QrsClient(args.url, route, ca=ca, insecure=args.insecure, timeout=args.timeout, retries=args.retries)
        try:
            result = pull(client, args.output, page_size=args.page_size, fresh=args.fresh,
                          progress=not args.quiet and sys.stderr.isatty(),
                          say=lambda text: print(f"qsplay pull: {text}", file=sys.stderr))
        except KeyboardInterrupt:
            print(f"qsplay pull: interrupted; run the same command again to resume (what finished is in "
                  f"{args.output}/pull-manifest.json)", file=sys.stderr)
            raise
        finally:
            client.close()
    except QrsError as exc:
        raise CommandError(f"qsplay pull: {exc}")
    manifest = result.manifest
    records = {name: e.get("records") for name, e in manifest["endpoints"].items() if e.get("records") is not None}
    redacted = sum(len(e.get("redacted", [])) for e in manifest["endpoints"].values())
    lines = [f"pulled {client.base} (QRS {manifest.get('qrs_version') or '?'}) into {args.output}: "
             f"{len(result.fetched)} endpoints fetched"
             + (f", {len(result.resumed)} finished earlier" if result.resumed else "")
             + (f", {len(result.missing)} not on this server ({', '.join(result.missing)})" if result.missing else ""),
             "  " + ", ".join(f"{records[k]} {label}" for k, label in (
                 ("user", "users"), ("stream", "streams"), ("app", "apps"), ("app_object", "app objects"),
                 ("systemrule", "rules"), ("license_professionalaccesstype", "professional allocations"),
                 ("license_analyzeraccesstype", "analyzer allocations")) if k in records),
             f"  {result.requests} requests, {result.retries} retries"
             + "".join(f", {name} in {e['pages']} pages" for name, e in manifest["endpoints"].items()
                       if name in result.fetched and e.get("pages", 0) > 1) + "; "
             f"{redacted} secret field(s) redacted (listed in pull-manifest.json)",
             f"next: qsplay import-qrs {args.output} -o site.yaml"]
    return Output("\n".join(lines) + "\n", data={"output": args.output, "server": client.base,
                                                 "fetched": result.fetched, "resumed": result.resumed,
                                                 "missing": result.missing, "records": records,
                                                 "requests": result.requests, "retries": result.retries,
                                                 "pages": result.pages})


def _route(args, Route, certificate_files, read_token):
    """The authentication route from the flags; a JWT or password is read from a file, the
    environment or a prompt — never the command line."""
    chosen = [flag for flag, value in (("--header-user", args.header_user), ("--jwt-file", args.jwt_file),
                                       ("--jwt-env", args.jwt_env), ("--ntlm", args.ntlm)) if value]
    if len(chosen) > 1:
        raise CommandError(f"qsplay pull: choose one route: {' and '.join(chosen)} were both given")
    ca = Path(args.ca) if args.ca else None
    if not chosen:
        cert, key = (Path(args.cert) if args.cert else None), (Path(args.key) if args.key else None)
        if args.cert_dir:
            dir_cert, dir_key, dir_root = certificate_files(args.cert_dir)
            cert, key, ca = cert or dir_cert, key or dir_key, ca or dir_root
        if bool(cert) != bool(key):
            raise CommandError("qsplay pull: --cert and --key go together (client.pem and client_key.pem)")
        return Route("certificate", cert=cert, key=key, qlik_user=args.qlik_user), ca
    if args.cert or args.key or args.cert_dir:
        raise CommandError(f"qsplay pull: {chosen[0]} goes through a virtual proxy: no client certificate is sent; "
                           f"leave out --cert/--key/--cert-dir")
    if args.header_user:
        name, sep, value = args.header_user.partition(":")
        if not sep or not name.strip() or not value.strip():
            raise CommandError("qsplay pull: --header-user HEADER:USERID, e.g. --header-user hdr-user:jsmith")
        return Route("header", header=(name.strip(), value.strip())), ca
    if args.jwt_file or args.jwt_env:
        return Route("jwt", token=read_token(args.jwt_file, args.jwt_env)), ca
    import getpass
    import os
    password = os.environ.get("QSPLAY_NTLM_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise CommandError("qsplay pull: --ntlm needs the password in $QSPLAY_NTLM_PASSWORD (no terminal to ask on)")
        password = getpass.getpass(f"password for {args.ntlm}: ")
    return Route("ntlm", ntlm_user=args.ntlm, ntlm_password=password), ca
