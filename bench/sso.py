"""Full SSO logins per second over HTTP on loopback, as in production: gunicorn with one sync
worker per core, sessions and protocol state in Redis.

One login = the application's signed AuthnRequest -> /idp/sso -> dev_eid page -> dev_eid
answer (Response and Assertion signed) -> /sp/acs -> capacity page -> capacity choice ->
the bridge's signed assertion, verified by the application (our saml layer, in-process).
Seven HTTP requests and five RSA signatures per login. Clients run in their own processes
on the same machine, so they compete with the server for the cores: the figure is for the
whole loop, a lower bound for the bridge alone. The browser is a lean http.client loop (the
requests library cost more CPU than the bridge's pages); the application's work (signing the
AuthnRequest, verifying the answer) is real. It also prints the CPU per login of the gunicorn
workers and of the clients, and, measured inside the workers, how much of it is the bridge's
and how much dev_eid's (the federal IdP's share, which production does not run).

Run:  PYTHONPATH=. .venv/bin/python bench/sso.py [--seconds 20] [--clients 6] [--workers N]
      (env IDBEHEER_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14;
       IDBEHEER_BENCH_DATABASE_URL, default a fresh SQLite file)
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import base64
import html
import http.client
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus, urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from attribute_authority import demo  # noqa: E402
from attribute_authority.db import make_engine, session_factory, upgrade  # noqa: E402
from attribute_authority.national_register import FileRegister  # noqa: E402
from idbeheer.settings import RATE_LIMITS  # noqa: E402
from samlkit.bindings import redirect_url  # noqa: E402
from samlkit.keys import KeyPair, cert_der_b64, ensure_dev_keypair  # noqa: E402
from samlkit.samlxml import el, instant, new_id, to_bytes  # noqa: E402
from samlkit.xmlparse import parse_xml  # noqa: E402
from samlkit.xmlsig import verify  # noqa: E402

APP_ENTITY = "https://bench-app.example.test/sp"
APP_ACS = "https://bench-app.example.test/acs"
BART, MERELBEKE = "90021411412", "44088"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_FORM = re.compile(rb'<form[^>]*\saction="([^"]*)"', re.I)
_INPUT = re.compile(rb"<input\b[^>]*>", re.I)
_ATTR = re.compile(rb'(\w+)="([^"]*)"')


def _form(page: bytes) -> tuple[str, dict[str, str]]:
    """The first form of one of the bridge's own pages: its action and its named inputs'
    values (a browser's job, done with two regular expressions to keep the load generator
    cheap; the pages are ours and attribute values are always double-quoted)."""
    start = page.index(b"<form")
    end = page.index(b"</form>", start)
    chunk = page[start:end]
    action = html.unescape(_FORM.search(chunk).group(1).decode())
    fields: dict[str, str] = {}
    for tag in _INPUT.findall(chunk):
        attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
        if b"name" in attrs and attrs.get(b"type", b"text").lower() in (b"hidden", b"text"):
            fields[html.unescape(attrs[b"name"].decode())] = html.unescape(
                attrs.get(b"value", b"").decode())
    return action, fields


_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
_BASE64_ESCAPES = {ord("+"): "%2B", ord("/"): "%2F", ord("="): "%3D"}


def _quote(value: str, safe: str = "", encoding=None, errors=None) -> str:
    """quote_plus, short-cut for base64 (a SAMLResponse is kilobytes of it)."""
    if _BASE64.fullmatch(value):
        return value.translate(_BASE64_ESCAPES)
    return quote_plus(value, safe, encoding, errors)


class Browser:
    """Just enough of a browser for the sign-in: one HTTP/1.1 request per connection (the
    sync workers close it anyway), cookies by name, no redirects followed by itself."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def keep_cookies(self, set_cookie_headers) -> None:
        for header in set_cookie_headers:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in rest or "expires=Thu, 01 Jan 1970" in rest:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, url: str, form: dict[str, str] | None = None):
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, quote_via=_quote).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, target, body, headers)
            reply = conn.getresponse()
            data = reply.read()
        finally:
            conn.close()
        self.keep_cookies(reply.headers.get_all("Set-Cookie") or ())
        if reply.status >= 400:
            raise RuntimeError(f"{method} {target}: {reply.status}")
        return reply.status, reply.headers, data


def one_login(base: str, app_key, idp_cert, browser: Browser | None = None) -> None:
    """The application's side and the browser's, end to end; raises if anything is off.
    Follows whatever the bridge answers (redirects and auto-posting forms) until a form
    addressed to the application's ACS arrives, choosing the capacity on the way. `browser`:
    a fresh one with `Browser`'s `request` (default: over HTTP to `base`)."""
    import datetime as dt
    browser = browser or Browser(base)  # a new browser per login: every login is a full sign-in
    request_id = new_id()
    authn = el(None, "samlp:AuthnRequest", ID=request_id, Version="2.0",
               IssueInstant=instant(dt.datetime.now(dt.UTC)), Destination=base + "/idp/sso",
               AssertionConsumerServiceURL=APP_ACS)
    el(authn, "saml:Issuer", APP_ENTITY)
    method, url, form = "GET", redirect_url(base + "/idp/sso", "SAMLRequest", to_bytes(authn),
                                           "bench", app_key), None
    for _ in range(10):
        status, headers, page = browser.request(method, url, form)
        if status in (302, 303):
            method, url, form = "GET", urljoin(url, headers["Location"]), None
            continue
        action, fields = _form(page)
        if action == APP_ACS:
            break
        if action.startswith("/dev-eid/"):  # dev_eid's page: the person and the method
            fields.update(rrn=BART, method="eid")
        elif "csrf_token" in fields and "SAMLResponse" not in fields:  # the capacity choice
            fields["capacity"] = MERELBEKE
        method, url, form = "POST", urljoin(url, action), fields
    else:
        raise RuntimeError("no answer for the application after 10 steps")
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
        started = time.perf_counter()
        try:
            one_login(base, app_key, idp_cert)
            latencies.append(time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - counted and reported, the run goes on
            errors += 1
    out.put((latencies, errors, os.times()))


def measured_app():
    """gunicorn entry of this benchmark: the all-in-one app, with the CPU time each request
    takes inside the app added up per method and path (dev_eid's, the stand-in for the federal
    IdP, are not the bridge's own cost) and written to $BENCH_SSO_CPU_DIR when the worker
    exits."""
    import atexit
    import json

    from idbeheer.wsgi import app

    spent: dict[str, float] = {}

    def wsgi(environ, start_response):
        # read before the call: the app's dispatchers move PATH_INFO into SCRIPT_NAME
        step = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        started = time.process_time()
        body = b"".join(app(environ, start_response))  # small pages: the whole body, timed
        spent[step] = spent.get(step, 0.0) + time.process_time() - started
        return [body]

    def dump() -> None:
        out = Path(os.environ["BENCH_SSO_CPU_DIR"]) / f"{os.getpid()}.json"
        out.write_text(json.dumps(spent))

    atexit.register(dump)
    return wsgi


def write_bench_app(certs: Path, metadata: Path) -> KeyPair:
    """The bench's target application: its key, the bridge IdP's key, and its SP metadata in
    `metadata/sp/bench-app.xml`; returns the application's key pair."""
    app_key = ensure_dev_keypair(certs, "bench-app", "bench app")
    ensure_dev_keypair(certs, "idp", "bench bridge IdP")
    (metadata / "sp").mkdir(parents=True, exist_ok=True)
    (metadata / "sp" / "bench-app.xml").write_text(f"""<md:EntityDescriptor
 xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
 entityID="{APP_ENTITY}"><md:SPSSODescriptor AuthnRequestsSigned="true"
 protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor><ds:KeyInfo>
 <ds:X509Data><ds:X509Certificate>{cert_der_b64(app_key.certificate)}</ds:X509Certificate>
 </ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:AssertionConsumerService
 Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{APP_ACS}" index="0"/>
 </md:SPSSODescriptor></md:EntityDescriptor>""")
    return app_key


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
    app_key = write_bench_app(certs, metadata)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    redis_url = os.environ.get("IDBEHEER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = {**os.environ, "IDBEHEER_HOME": str(work / "home"), "IDBEHEER_DATABASE_URL": database,
           "IDBEHEER_REDIS_URL": redis_url, "IDBEHEER_BASE_URL": base,
           # capacity is measured, not the rate limits (idbeheer/rate_limits.py): all off
           **{f"IDBEHEER_RATE_LIMIT_{name.upper()}": "off" for name in RATE_LIMITS},
           "IDBEHEER_CERTS_DIR": str(certs), "IDBEHEER_METADATA_DIR": str(metadata),
           "IDBEHEER_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT),
           "BENCH_SSO_CPU_DIR": str(work), "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}
    (work / "metrics").mkdir()
    # As deployed (deploy/gunicorn.conf.py: sync workers, gc.freeze, multiprocess metrics),
    # logs to a file as to a journal.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "bench.sso:measured_app()"],
        cwd=ROOT, env=env, stdout=(work / "gunicorn.log").open("ab"), stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(2 * args.workers):  # warm-up of every worker, and a check
            one_login(base, app_key, ensure_dev_keypair(certs, "idp", "").certificate)
        server_cpu = _cpu_seconds(server.pid)
        deadline = time.time() + args.seconds
        queue: multiprocessing.Queue = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=client, args=(base, str(certs), deadline, queue))
                 for _ in range(args.clients)]
        started = time.time()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.time() - started
        server_cpu = _cpu_seconds(server.pid) - server_cpu
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(10)
    latencies = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    client_cpu = sum(r[2].user + r[2].system for r in results)
    print(f"cores: {os.cpu_count()}, gunicorn sync workers: {args.workers}, client processes: "
          f"{args.clients}, sessions: Redis, database: {database.split(':')[0]}")
    print(f"logins: {len(latencies)} in {elapsed:.1f} s, errors: {errors}")
    print(f"logins/s: {len(latencies) / elapsed:.1f}")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"latency per login: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms")
        print(f"CPU per login: gunicorn workers {server_cpu / len(latencies) * 1000:.1f} ms, "
              f"clients (browser + application) {client_cpu / len(latencies) * 1000:.1f} ms")
        spent = _app_cpu(work)
        logins = len(latencies) + 2 * args.workers  # the warm-up logins ran in the app too
        bridge = sum(v for k, v in spent.items() if " /dev-eid/" not in k)
        print(f"  of which inside the app: bridge {bridge / logins * 1000:.1f} ms, dev_eid (the "
              f"federal IdP's part) {(sum(spent.values()) - bridge) / logins * 1000:.1f} ms")
        for step, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            print(f"    {step:<24} {seconds / logins * 1000:5.2f} ms per login")


def _app_cpu(folder: Path) -> dict[str, float]:
    """CPU seconds inside the app per request kind, summed over the workers."""
    import json

    spent: dict[str, float] = {}
    for dump in folder.glob("*.json"):
        for step, seconds in json.loads(dump.read_text()).items():
            spent[step] = spent.get(step, 0.0) + seconds
    return spent


def _cpu_seconds(master: int) -> float:
    """User + system CPU seconds of gunicorn's workers (the children of `master`)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


if __name__ == "__main__":
    main()
