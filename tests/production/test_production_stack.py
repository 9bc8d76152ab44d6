"""The service as it runs in production, end to end: gunicorn (deploy/gunicorn.conf.py, three
workers, TLS with its own certificate) in IDBEHEER_MODE=production, PostgreSQL, Redis, an SMTP
server, provided (non-development) keys, and peers of its own: a target application (key,
metadata/sp/prod-app.xml, catalog row made with the CLI) and an upstream eID IdP (dev_eid's
protocol code served as a separate app on another port, with its own key, its metadata in
metadata/upstream/). The CLI runs against the same database and settings, as the operator's
jobs do."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from support import AN, BART, DINA, MERELBEKE, DatabaseMaker, free_port
from support.aa import SAML, ServerThread, envelope, query, read, signed
from support.bridge import TestSp, attributes_of, sign_in_over_http, sp_metadata_xml
from support.mail import Inbox, smtp_server
from support.private_servers import running_postgres, running_redis

from attribute_authority.db import make_engine
from attribute_authority.models import Grant
from attribute_authority.national_register import FileRegister
from idp_bridge.config import utc_now
from idp_bridge.dev_eid.idp import DevEid, TrustedSp
from idp_bridge.dev_eid.web import blueprint as dev_eid_pages
from samlkit.keys import KeyPair, cert_der_b64, load_keypair, self_signed_keypair
from samlkit.replay import MemoryStore
from samlkit.xmlsig import verify

ROOT = Path(__file__).resolve().parents[2]
MACHINE_POSTGRES = (os.environ.get("IDBEHEER_TEST_DATABASE_URL")
                    or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
APP = "prod-app"
RIGHT = f"{APP}-user"
METRICS_TOKEN = secrets.token_urlsafe(32)


def provided_key(certs: Path, name: str, common_name: str) -> KeyPair:
    """An operator's key pair: self-signed, as SAML peers expect, and not a development key."""
    pair = self_signed_keypair(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                               common_name, days=365)
    certs.mkdir(parents=True, exist_ok=True)
    (certs / f"{name}.key").write_bytes(pair.key_pem)
    (certs / f"{name}.key").chmod(0o600)
    (certs / f"{name}.crt").write_bytes(pair.cert_pem)
    return load_keypair(certs / f"{name}.key", certs / f"{name}.crt")


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    """The web tier's TLS certificate for 127.0.0.1 (self-signed; clients trust this file)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "tls.crt", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def upstream_idp(bridge: str, bridge_sp_key: KeyPair, metadata_dir: Path, keys: Path) -> tuple[Flask, int]:
    """A stand-in for the federal eID IdP on a port of its own: dev_eid's protocol and pages,
    trusting only the bridge's SP, signing with a provided key; its metadata goes to
    metadata/upstream/ where the bridge looks for its upstream IdP."""
    port = free_port()
    trusted = TrustedSp(f"{bridge}/sp/metadata", f"{bridge}/sp/acs", f"{bridge}/sp/slo",
                        [bridge_sp_key.certificate])
    idp = DevEid(f"http://127.0.0.1:{port}", provided_key(keys, "upstream-idp", "test eID IdP"),
                 MemoryStore(), lambda entity_id: trusted if entity_id == trusted.entity_id else None,
                 utc_now)
    (metadata_dir / "upstream").mkdir(parents=True, exist_ok=True)
    (metadata_dir / "upstream" / "federal-idp.xml").write_bytes(idp.metadata())
    app = Flask("upstream-test-idp")
    app.register_blueprint(dev_eid_pages(idp, FileRegister(), 256 * 1024))
    return app, port


@dataclass
class Stack:
    base: str
    env: dict[str, str]
    tls_cert: Path
    certs: Path
    database_url: str
    inbox: Inbox
    app_key: KeyPair
    log: Path
    app: TestSp | None = None  # the target application, once the bridge's metadata is there

    def browser(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace `verify`
        session.verify = str(self.tls_cert)
        return session

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-c", "from idbeheer.cli import main; main()", *args],
                              cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr[-2000:])
        return done


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, or on a private server when there is none."""
    maker = DatabaseMaker(tmp_path_factory.mktemp("db"), MACHINE_POSTGRES)
    try:
        url = maker.new()
    except OperationalError:
        with running_postgres() as pg:
            yield pg.url
        return
    yield url
    maker.drop_all()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, database_url) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("production")
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    certs, metadata = tmp / "certs", tmp / "metadata"
    for name in ("aa", "aa-encryption", "idp", "sp", "sp-encryption", "admin", "oidc"):
        provided_key(certs, name, f"lb-idbeheer {name}")
    tls_cert, tls_key = tls_certificate(tmp / "tls")
    app_key = provided_key(tmp / "peers", APP, "production test application")
    idp_app, idp_port = upstream_idp(base, load_keypair(certs / "sp.key", certs / "sp.crt"), metadata,
                                     tmp / "peers")
    with running_redis(tmp) as redis_server, smtp_server() as (inbox, smtp_url), \
            ServerThread(idp_app, idp_port):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "IDBEHEER_MODE": "production",
               "IDBEHEER_BASE_URL": base, "IDBEHEER_DATABASE_URL": database_url,
               "IDBEHEER_REDIS_URL": redis_server.url, "IDBEHEER_SMTP_URL": smtp_url,
               "IDBEHEER_SECRET_KEY": secrets.token_urlsafe(48), "IDBEHEER_HOME": str(tmp / "home"),
               "IDBEHEER_CERTS_DIR": str(certs), "IDBEHEER_METADATA_DIR": str(metadata),
               "IDBEHEER_BIND": f"127.0.0.1:{port}", "IDBEHEER_WORKERS": "3",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"), "IDBEHEER_METRICS_TOKEN": METRICS_TOKEN}
        (tmp / "metrics").mkdir()
        # The operator's steps: schema, demo data, the target application in the catalog.
        entity, acs, slo = (f"https://{APP}.example.test/{p}" for p in ("sp", "acs", "slo"))
        (tmp / f"{APP}.xml").write_text(sp_metadata_xml(entity, acs, slo, app_key))  # as TestSp's
        stack = Stack(base, env, tls_cert, certs, database_url, inbox, app_key, tmp / "gunicorn.log")
        stack.cli("db", "upgrade")
        stack.cli("seed-demo")
        stack.cli("app", "register", APP, "--name", "Productietest", "--metadata", str(tmp / f"{APP}.xml"),
                  "--as", DINA)
        stack.cli("right", "add", RIGHT, "--app", APP, "--name", "Gebruiker", "--max-days", "30",
                  "--as", DINA)
        stack.cli("grant", "add", AN, MERELBEKE, RIGHT, "--as", AN)
        gunicorn = start_gunicorn(stack, tls_cert, tls_key)
        try:
            stack.app = TestSp(APP, metadata, app_key, stack.browser().get(f"{base}/idp/metadata").content,
                               tmp, idp_entity_id=f"{base}/idp/metadata")
            yield stack
        finally:
            gunicorn.terminate()
            gunicorn.wait(30)


def start_gunicorn(stack: Stack, cert: Path, key: Path) -> subprocess.Popen:
    executable = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    with open(stack.log, "wb") as log:
        proc = subprocess.Popen([executable, "-c", "deploy/gunicorn.conf.py", "--certfile", str(cert),
                                 "--keyfile", str(key), "idbeheer.wsgi:app"],
                                cwd=ROOT, env=stack.env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    with stack.browser() as browser:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if browser.get(f"{stack.base}/readyz", timeout=5).ok:
                    return proc
            except requests.RequestException:
                pass
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"gunicorn did not start: {stack.log.read_text()[-3000:]}")


def ask(stack: Stack, rrn: str, **kwargs) -> requests.Response:
    q = signed(query(stack.app.entity_id, rrn, destination=f"{stack.base}/aa/soap", **kwargs),
               stack.app_key)
    return stack.browser().post(f"{stack.base}/aa/soap", data=envelope(q), timeout=10,
                                headers={"Content-Type": "text/xml; charset=utf-8"})


def test_provided_keys_are_published_and_dev_eid_is_absent(stack):
    browser = stack.browser()
    for path, name in (("/aa/metadata", "aa"), ("/aa/metadata", "aa-encryption"),
                       ("/idp/metadata", "idp"), ("/sp/metadata", "sp"),
                       ("/sp/metadata", "sp-encryption")):
        cert = x509.load_pem_x509_certificate((stack.certs / f"{name}.crt").read_bytes())
        assert cert_der_b64(cert) in browser.get(stack.base + path).text, (path, name)
    assert browser.get(f"{stack.base}/dev-eid/metadata").status_code == 404
    with pytest.raises(requests.ConnectionError):  # TLS only
        requests.get(stack.base.replace("https:", "http:") + "/healthz", timeout=5)


def test_attribute_query_round_trip(stack):
    answer = ask(stack, AN, governments=[MERELBEKE], query_id="_prod-round-trip")
    assert answer.status_code == 200, answer.text[:500]
    read_answer = read(answer.content)
    assert read_answer.statuses == ["Success"] and read_answer.rights == [f"{RIGHT}@{MERELBEKE}"]
    aa_cert = x509.load_pem_x509_certificate((stack.certs / "aa.crt").read_bytes())
    assertion = read_answer.response.find(f"{{{SAML}}}Assertion")
    verify(read_answer.root, assertion, [aa_cert])
    audience = assertion.findtext(f".//{{{SAML}}}AudienceRestriction/{{{SAML}}}Audience")
    assert audience == stack.app.entity_id
    # Bart holds no right of this application; the same query again is a replay (Redis).
    assert read(ask(stack, BART).content).rights == []
    replayed = read(ask(stack, AN, governments=[MERELBEKE], query_id="_prod-round-trip").content)
    assert replayed.statuses == ["Requester", "RequestDenied"]


def test_single_sign_on_through_the_upstream_idp(stack):
    response = sign_in_over_http(stack.browser(), stack.base, stack.app, AN, MERELBEKE)
    attributes = attributes_of(response)  # pysaml2 verified it with the bridge's metadata
    assert attributes["rrn"] == [AN] and attributes["authnMethod"] == ["eid"]
    assert attributes["capacity"] == ["employee"] and attributes["government"] == [MERELBEKE]
    assert attributes["right"] == [f"{RIGHT}@{MERELBEKE}"]
    assert response.assertion.issuer.text == f"{stack.base}/idp/metadata"


def test_expiry_notices_over_smtp_once(stack):
    engine = make_engine(stack.database_url)
    with engine.connect() as conn:
        first_end = conn.scalar(select(func.min(Grant.end)).where(Grant.revoked_at.is_(None)))
    engine.dispose()
    day = (first_end - dt.timedelta(days=14)).isoformat()
    first = stack.cli("notify-expiring", "--date", day)
    sent = int(re.search(r"(\d+) sent, 0 failed", first.stdout).group(1))
    assert sent >= 2, first.stdout  # the holder, and the digest to the local administrators
    deadline = time.monotonic() + 5
    while len(stack.inbox.messages) < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(stack.inbox.messages) == sent
    assert "an.peeters@merelbeke-melle.be" in {m["To"] for m in stack.inbox.messages}
    again = stack.cli("notify-expiring", "--date", day)
    assert "0 sent" in again.stdout, again.stdout
    time.sleep(0.3)
    assert len(stack.inbox.messages) == sent


def test_readiness_and_metrics(stack):
    browser = stack.browser()
    ready = browser.get(f"{stack.base}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert read(ask(stack, BART).content).statuses == ["Success"]
    sign_in_over_http(stack.browser(), stack.base, stack.app, AN, MERELBEKE)
    assert browser.get(f"{stack.base}/metrics").status_code == 401  # Prometheus brings the token
    metrics = browser.get(f"{stack.base}/metrics",
                          headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in metrics.splitlines() if line and not line.startswith("#")}
    assert samples['idbeheer_aa_queries_total{outcome="success"}'] >= 1
    assert samples["idbeheer_aa_query_seconds_count"] >= 1
    assert samples['idbeheer_sign_ins_total{outcome="success",reason="assertion_issued"}'] >= 1
    assert samples['idbeheer_sign_ins_total{outcome="success",reason="upstream_signed_in"}'] >= 1
