"""Full SSO logins per second over HTTP on loopback, as in production: gunicorn with one sync
worker per core, sessions and protocol state in Redis.

One login = the application's signed AuthnRequest -> /idp/sso -> dev_eid page -> dev_eid
answer (Response and Assertion signed) -> /sp/acs -> capacity page -> capacity choice ->
the bridge's signed assertion, verified by the application (our saml layer, in-process).
Seven HTTP requests and five RSA signatures per login. Clients run in their own processes
on the same machine, so they compete with the server for the cores: the figure is for the
whole loop, a lower bound for the bridge alone.

Run:  PYTHONPATH=. .venv/bin/python bench/sso.py [--seconds 20] [--clients 6] [--workers N]
      (env IDBEHEER_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14;
       IDBEHEER_BENCH_DATABASE_URL, default a fresh SQLite file)
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from attribute_authority import demo  # noqa: E402
from attribute_authority.db import make_engine, session_factory, upgrade  # noqa: E402
from attribute_authority.national_register import FileRegister  # noqa: E402
from attribute_authority.saml.bindings import redirect_url  # noqa: E402
from attribute_authority.saml.keys import cert_der_b64, ensure_dev_keypair  # noqa: E402
from attribute_authority.saml.samlxml import el, instant, new_id, to_bytes  # noqa: E402
from attribute_authority.saml.xmlparse import parse_xml  # noqa: E402
from attribute_authority.saml.xmlsig import verify  # noqa: E402

APP_ENTITY = "https://bench-app.example.test/sp"
APP_ACS = "https://bench-app.example.test/acs"
BART, MERELBEKE = "90021411412", "44088"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _form(html: bytes) -> tuple[str, dict[str, str]]:
    form = lxml.html.fromstring(html).forms[0]
    return form.action, dict(form.form_values())


def _local(base: str, url: str) -> str:
    parts = urlsplit(url)
    return base + parts.path + ("?" + parts.query if parts.query else "")


def one_login(http: requests.Session, base: str, app_key, idp_cert) -> None:
    """The application's side and the browser's, end to end; raises if anything is off."""
    import datetime as dt
    request_id = new_id()
    authn = el(None, "samlp:AuthnRequest", ID=request_id, Version="2.0",
               IssueInstant=instant(dt.datetime.now(dt.UTC)), Destination=base + "/idp/sso",
               AssertionConsumerServiceURL=APP_ACS)
    el(authn, "saml:Issuer", APP_ENTITY)
    url = redirect_url(base + "/idp/sso", "SAMLRequest", to_bytes(authn), "bench", app_key)
    to_dev_eid = http.get(url, allow_redirects=False)
    page = http.get(_local(base, to_dev_eid.headers["Location"]))
    action, fields = _form(page.content)
    autopost = http.post(_local(base, action), data={**fields, "rrn": BART, "method": "eid"})
    action, fields = _form(autopost.content)
    http.post(_local(base, action), data=fields, allow_redirects=False)
    choice = http.get(base + "/idp/capacity")
    action, fields = _form(choice.content)
    http.post(base + "/idp/capacity", data={**fields, "capacity": MERELBEKE}, allow_redirects=False)
    answer = http.get(base + "/idp/capacity")
    action, fields = _form(answer.content)
    assert action == APP_ACS, action
    root = parse_xml(base64.b64decode(fields["SAMLResponse"]), 1 << 20)
    assertion = verify(root, "/samlp:Response/saml:Assertion", [idp_cert])
    ns = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
    assert assertion.xpath("string(.//saml:Audience)", namespaces=ns) == APP_ENTITY
    assert assertion.xpath("string(.//saml:SubjectConfirmationData/@InResponseTo)",
                           namespaces=ns) == request_id


def client(base: str, certs: str, deadline: float, out) -> None:
    app_key = ensure_dev_keypair(certs, "bench-app", "bench app")
    idp_cert = ensure_dev_keypair(certs, "idp", "bench bridge IdP").certificate
    latencies, errors = [], 0
    while time.time() < deadline:
        http = requests.Session()  # a new browser per login: every login is a full sign-in
        started = time.perf_counter()
        try:
            one_login(http, base, app_key, idp_cert)
            latencies.append(time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - counted and reported, the run goes on
            errors += 1
    out.put((latencies, errors))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sso-"))
    certs, metadata = work / "certs", work / "metadata"
    database = os.environ.get("IDBEHEER_BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    upgrade(database)
    engine = make_engine(database)
    with session_factory(engine)() as s, s.begin():
        if not s.scalar(__import__("sqlalchemy").text("select count(*) from person")):
            demo.seed(s, FileRegister())
    engine.dispose()
    app_key = ensure_dev_keypair(certs, "bench-app", "bench app")
    ensure_dev_keypair(certs, "idp", "bench bridge IdP")
    (metadata / "sp").mkdir(parents=True)
    (metadata / "sp" / "bench-app.xml").write_text(f"""<md:EntityDescriptor
 xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
 entityID="{APP_ENTITY}"><md:SPSSODescriptor AuthnRequestsSigned="true"
 protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor><ds:KeyInfo>
 <ds:X509Data><ds:X509Certificate>{cert_der_b64(app_key.certificate)}</ds:X509Certificate>
 </ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:AssertionConsumerService
 Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{APP_ACS}" index="0"/>
 </md:SPSSODescriptor></md:EntityDescriptor>""")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    redis_url = os.environ.get("IDBEHEER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {**os.environ, "IDBEHEER_HOME": str(work / "home"), "IDBEHEER_DATABASE_URL": database,
           "IDBEHEER_REDIS_URL": redis_url, "IDBEHEER_BASE_URL": base,
           "IDBEHEER_CERTS_DIR": str(certs), "IDBEHEER_METADATA_DIR": str(metadata),
           "IDBEHEER_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen([gunicorn, "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "idbeheer.wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        one_login(requests.Session(), base, app_key,
                  ensure_dev_keypair(certs, "idp", "").certificate)  # warm-up, and a check
        deadline = time.time() + args.seconds
        queue: multiprocessing.Queue = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=client, args=(base, str(certs), deadline, queue))
                 for _ in range(args.clients)]
        started = time.time()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.time() - started
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(10)
    latencies = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    print(f"cores: {os.cpu_count()}, gunicorn sync workers: {args.workers}, client processes: "
          f"{args.clients}, sessions: Redis, database: {database.split(':')[0]}")
    print(f"logins: {len(latencies)} in {elapsed:.1f} s, errors: {errors}")
    print(f"logins/s: {len(latencies) / elapsed:.1f}")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"latency per login: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
