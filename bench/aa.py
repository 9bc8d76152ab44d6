"""AttributeQuery throughput over real HTTP: prints figures, asserts nothing.

    PYTHONPATH=. .venv/bin/python bench/aa.py [--persons 50000] [--seconds 5] [--clients 1,8,32]

Builds (once, then reuses) a PostgreSQL database with the demo data plus --persons generated
people, each with a relation to a municipality and --grants-per-person grants of demo-app's
rights (active, expired, revoked and future ones). Starts gunicorn (`-w` one worker per core)
on a loopback port serving the all-in-one app (idbeheer.app.create_app, demo mode, replay
store on Redis), pre-signs distinct queries of demo-app about random generated people, then
runs 1, 8 and 32 concurrent clients. It prints answers/s, p50/p99 latency, `openssl speed
-seconds 3 rsa2048`'s sign rate, and the ratio answers/s / (RSA-2048 signs/s per core x cores).

`--backend xmlsec1` (or `both`) runs the same load against an AA whose signing and
verification go through pysaml2's default backend, the xmlsec1 program: a comparison for this
script only; the product never calls xmlsec1.

Client, server, PostgreSQL and Redis share the machine: the figures are for one box.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import func, insert, select  # noqa: E402

from attribute_authority import demo  # noqa: E402
from attribute_authority import rrn as rrn_rules  # noqa: E402
from attribute_authority.db import make_engine, query_engine, session_factory, upgrade  # noqa: E402
from attribute_authority.models import Government, Grant, Person, Relation, Right  # noqa: E402
from attribute_authority.national_register import FileRegister  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/idbeheer_bench_aa"
REDIS = "redis://127.0.0.1:6379/14"
WORK = ROOT / "bench" / "out" / "aa"


# -- data ---------------------------------------------------------------------------------


def ensure_database(url: str, persons: int, per_person: int) -> list[str]:
    """The database (created and filled when needed); returns the generated RRNs."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("postgresql"):
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = make_url(url).database
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session, session.begin():
        if session.scalar(select(func.count()).select_from(Government)) == 0:
            demo.seed(session, FileRegister())
        have = session.scalar(select(func.count()).select_from(Person).where(
            Person.surname == "Bench"))
        if have < persons:
            _generate(session, persons - have, per_person, seed=have)
            if url.startswith("postgresql"):
                session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would
        rrns = list(session.scalars(select(Person.rrn).where(Person.surname == "Bench")))
        grants = session.scalar(select(func.count()).select_from(Grant))
    engine.dispose()
    print(f"database: {len(rrns)} generated people, {grants} grants in all ({url.split('@')[-1]})")
    return rrns


def _generate(session, count: int, per_person: int, seed: int) -> None:
    rng = random.Random(seed)
    today = date.today()
    now = datetime.now(timezone.utc)
    govs = list(session.scalars(select(Government.id).where(Government.kind == "municipality")))
    rights = list(session.scalars(select(Right.id).where(Right.code.like("demo-app-%"))))
    taken = set(session.scalars(select(Person.rrn)))
    batch = 5000
    for first in range(0, count, batch):
        people = []
        while len(people) < min(batch, count - first):
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
            rrn = rrn_rules.make(born, rng.randrange(1, 998))
            if rrn not in taken:
                taken.add(rrn)
                people.append({"rrn": rrn, "surname": "Bench", "given_name": "P",
                               "birth_date": born, "aligned_at": now, "created_at": now})
        ids = session.execute(insert(Person).returning(Person.id), people).scalars().all()
        relations = [{"person_id": pid, "government_id": rng.choice(govs), "category": "employee",
                      "type": "standard", "email": "x@example.be", "started_on": today - timedelta(days=900)}
                     for pid in ids]
        rel_ids = session.execute(insert(Relation).returning(Relation.id), relations).scalars().all()
        grants = []
        for rid in rel_ids:
            for k in range(per_person):
                start = today + timedelta(days=rng.randrange(-800, 30))
                end = start + timedelta(days=rng.randrange(1, 90))
                revoked = k % 7 == 3
                grants.append({"relation_id": rid, "right_id": rights[k % len(rights)],
                               "start": start, "end": end, "created_at": now,
                               "revoked_at": now if revoked else None,
                               "revoked_on": today - timedelta(days=1) if revoked else None})
        session.execute(insert(Grant), grants)
        print(f"  generated {first + len(people)}/{count} people", flush=True)


# -- xmlsec1 comparison backend (pysaml2's default) ------------------------------------------


def xmlsec1_crypto(keypair):
    """sign/verify with the same contract as saml.xmlsig, done by pysaml2's CryptoBackendXmlSec1
    (one xmlsec1 process per signature and per verification)."""
    from cryptography.hazmat.primitives import serialization
    from lxml import etree
    from saml2.sigver import CryptoBackendXmlSec1, get_xmlsec_binary, pre_signature_part

    from attribute_authority.saml.errors import SignatureRefused

    crypto = CryptoBackendXmlSec1(get_xmlsec_binary())
    files = tempfile.mkdtemp(prefix="aa-xmlsec1-")
    key_file = Path(files) / "aa.key"
    key_file.write_bytes(keypair.key_pem)
    cert_files: dict[bytes, str] = {}
    alg = ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256")

    def _node_name(element):
        qname = etree.QName(element)
        return f"{qname.namespace}:{qname.localname}"

    def sign(element, _keypair):
        template = etree.fromstring(pre_signature_part(
            element.get("ID"), digest_alg=alg[1], sign_alg=alg[0]).to_string())
        element.insert(1, template)
        root = element.getroottree().getroot()
        signed = etree.fromstring(crypto.sign_statement(
            etree.tostring(root).decode(), _node_name(element), str(key_file),
            element.get("ID")).encode())
        (done,) = signed.xpath("//*[@ID=$id]", id=element.get("ID"))
        element.replace(template, done.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))

    def verify(root, target, certs):
        data = etree.tostring(root.getroottree().getroot())
        for cert in certs:
            der = cert.public_bytes(serialization.Encoding.DER)
            if der not in cert_files:
                path = Path(files) / f"c{len(cert_files)}.pem"
                path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
                cert_files[der] = str(path)
            try:
                if crypto.validate_signature(data.decode(), cert_files[der], "pem",
                                             _node_name(target), target.get("ID")):
                    return target
            except Exception:  # noqa: BLE001 - any xmlsec1 failure is a refusal here
                continue
        raise SignatureRefused("bad_signature", "xmlsec1 did not verify")

    return sign, verify


def wsgi_app():
    """gunicorn entry: the all-in-one app, or with BENCH_AA_BACKEND=xmlsec1 an AA whose
    signatures go through xmlsec1."""
    from idbeheer.app import create_app
    from idbeheer.settings import from_env

    settings = from_env()
    if os.environ.get("BENCH_AA_BACKEND") != "xmlsec1":
        return create_app(settings)
    import redis
    from flask import Flask

    from attribute_authority.aa.authority import AttributeAuthority
    from attribute_authority.aa.keys import load_aa_keys
    from attribute_authority.saml.replay import RedisStore
    from attribute_authority.saml.spmetadata import SpRegistry

    keys = load_aa_keys(settings.certs_dir, generate_dev=True)
    sign, verify = xmlsec1_crypto(keys.signer)
    authority = AttributeAuthority(
        query_engine(settings.database_url), keys, SpRegistry(settings.metadata_dir),
        RedisStore(redis.Redis.from_url(settings.redis_url)),
        entity_id=f"{settings.base_url}/aa/metadata", soap_url=f"{settings.base_url}/aa/soap",
        sign=sign, verify=verify)
    app = Flask("bench_xmlsec1")

    @app.post("/aa/soap")
    def soap():
        from flask import Response, request
        answer = authority.answer(request.get_data())
        return Response(answer.body, status=answer.http_status, content_type="text/xml")

    return app


# -- load -----------------------------------------------------------------------------------


def presign(count: int, rrns: list[str], entity_id: str, keypair, rng) -> list[bytes]:
    from aa_support import envelope, query, signed

    return [envelope(signed(query(entity_id, rng.choice(rrns)), keypair)) for _ in range(count)]


def load(url: str, bodies: list[bytes], clients: int, seconds: float) -> tuple[int, list[float], int]:
    """`clients` threads post distinct bodies for `seconds`; (answers, latencies, failures)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    lock = threading.Lock()
    it = iter(bodies)
    latencies: list[float] = []
    failures = [0]
    stop = time.perf_counter() + seconds

    def worker():
        mine, bad = [], 0
        while time.perf_counter() < stop:
            with lock:
                body = next(it, None)
            if body is None:
                break
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("POST", parts.path, body, {"Content-Type": "text/xml"})
            reply = conn.getresponse()
            data = reply.read()
            conn.close()
            mine.append(time.perf_counter() - t0)
            if reply.status != 200 or b"status:Success" not in data:
                bad += 1
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return int(len(latencies) / elapsed), latencies, failures[0]


def openssl_rsa2048_signs() -> float:
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"], capture_output=True,
                         text=True, check=True).stdout
    match = re.search(r"rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)", out)
    return float(match.group(1))


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "bench.aa:wsgi_app()"],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/aa/soap", timeout=1)
        except urllib.error.HTTPError:
            return proc  # 405 for GET: it is up
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * p / 100)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--grants-per-person", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backend", choices=("inprocess", "xmlsec1", "both"), default="both")
    args = parser.parse_args()

    from aa_support import free_port

    from examples.demo_app.registration import demo_keypair, entity_id

    rrns = ensure_database(args.db, args.persons, args.grants_per_person)
    WORK.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"IDBEHEER_HOME": str(WORK), "IDBEHEER_DATABASE_URL": args.db,
           "IDBEHEER_CERTS_DIR": str(WORK / "certs"), "IDBEHEER_METADATA_DIR": str(WORK / "metadata"),
           "IDBEHEER_BASE_URL": base, "IDBEHEER_REDIS_URL": REDIS}
    from examples.demo_app import ensure_demo_app

    ensure_demo_app(WORK / "metadata", WORK / "certs", base)
    keypair, me = demo_keypair(WORK / "certs"), entity_id(base)
    cores = os.cpu_count() or 1
    signs = openssl_rsa2048_signs()
    print(f"openssl speed rsa2048: {signs:.0f} signs/s per core, {cores} cores "
          f"-> {signs * cores:.0f} signs/s on this machine")
    levels = [int(c) for c in args.clients.split(",")]
    rng = random.Random(1)
    backends = ["inprocess", "xmlsec1"] if args.backend == "both" else [args.backend]
    for backend in backends:
        proc = serve({**env, "BENCH_AA_BACKEND": backend}, port, args.workers)
        try:
            print(f"\nbackend {backend}: gunicorn -w {args.workers}, {args.seconds:.0f} s per level")
            print(f"{'clients':>8} {'answers/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7} {'ratio':>7}")
            for clients in levels:
                budget = 4000 if backend == "inprocess" else 600
                bodies = presign(int(budget * args.seconds * (1 if clients > 1 else 0.5)),
                                 rrns, me, keypair, rng)
                load(f"{base}/aa/soap", bodies[:50], clients, 2)  # warm up the workers
                rate, latencies, failed = load(f"{base}/aa/soap", bodies[50:], clients, args.seconds)
                ratio = rate / (signs * cores)
                print(f"{clients:>8} {rate:>10} {pct(latencies, 50) * 1000:>8.2f} "
                      f"{pct(latencies, 99) * 1000:>8.2f} {failed:>7} {ratio:>7.1%}", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    print("\nratio = answers/s / (RSA-2048 signs/s per core x cores); each answer costs two RSA "
          "signatures (Assertion and Response), so 50 % is the ceiling.")


if __name__ == "__main__":
    main()
