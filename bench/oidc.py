"""OpenID Connect beside SAML, in one run, over HTTP on loopback (gunicorn, sync workers, one
per core, sessions and protocol state in Redis), on the demo data:

1. full SAML logins/s: bench/sso.py's loop (the application's signed AuthnRequest -> /idp/sso
   -> dev_eid -> /sp/acs -> capacity -> the bridge's signed assertion, verified);
2. full OIDC logins/s: the application's authorization request (state, nonce, PKCE S256) ->
   /oidc/authorize -> dev_eid -> /sp/acs -> capacity -> back with a code -> /oidc/token with a
   `private_key_jwt` assertion -> the ID token verified with /oidc/jwks (fetched once per
   client process, as an application caches it) and its nonce checked;
3. /oidc/rights answers/s at 8 connections (one client_credentials token, GET with a bearer
   header, demo people's pairwise subs in turn) against /aa/soap answers/s at 8 connections
   (pre-signed AttributeQueries of demo-app about the same people, bench/aa.py's wrk script).

Each login phase gets a gunicorn of its own, so the CPU measured inside its workers (per
method and path, bench/sso.py's `measured_app`) is that phase's alone; the bridge's CPU per
login leaves out dev_eid's requests (the federal IdP's share, not run in production). The
rights phase reads the workers' CPU from /proc around each wrk run.

Run:  PYTHONPATH=. .venv/bin/python bench/oidc.py [--seconds 10] [--clients 4] [--workers N]
      [--rights-seconds 5]  (env IDBEHEER_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14;
      IDBEHEER_BENCH_DATABASE_URL, default a fresh SQLite file)
Needs wrk (apt-get install wrk). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench import aa as aa_bench  # noqa: E402
from bench import sso  # noqa: E402

CLIENT_ID = "demo-app"  # the OIDC side signs in as demo-app, whose rights /oidc/rights answers
REDIRECT = "https://bench-app.example.test/callback"
SECRET_KEY = "bench"
PEOPLE = ("90021411412", "78010125797", "75120512328", "85073003328")  # demo people with relations
RIGHTS_LUA = ROOT / "bench" / "oidc_rights.lua"


# -- the OIDC application and browser -----------------------------------------------------


class OidcApp:
    """The application's side of an OIDC login, with the client libraries an application uses
    (joserfc for the assertion and the ID token, Authlib's PKCE helper)."""

    def __init__(self, base: str, key_pem: bytes, jwks: dict | None = None) -> None:
        """`jwks`: the provider's, when not to be fetched from its /oidc/jwks over HTTP."""
        from joserfc.jwk import KeySet, RSAKey

        self.base, self.issuer = base, base + "/oidc"
        self.key = RSAKey.import_key(key_pem)
        self.key = RSAKey.import_key(key_pem, {"kid": self.key.thumbprint()})
        if jwks is None:
            with urllib.request.urlopen(self.issuer + "/jwks", timeout=10) as answer:
                jwks = json.loads(answer.read())
        self.jwks = KeySet.import_key_set(jwks)

    def authorization_url(self) -> tuple[str, dict[str, str]]:
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        pending = {"state": generate_token(24), "nonce": generate_token(24), "verifier": generate_token(48)}
        query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
                 "scope": "openid profile capacity rights", "state": pending["state"],
                 "nonce": pending["nonce"], "code_challenge_method": "S256",
                 "code_challenge": create_s256_code_challenge(pending["verifier"])}
        return self.issuer + "/authorize?" + urlencode(query), pending

    def assertion(self, audience: str) -> str:
        import secrets

        from joserfc import jwt

        now = int(time.time())
        return jwt.encode({"alg": "RS256", "kid": self.key.kid},
                          {"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": audience, "iat": now,
                           "exp": now + 60, "jti": secrets.token_urlsafe(16)}, self.key)

    def token(self, browser: sso.Browser, form: dict[str, str]) -> dict:
        url = self.issuer + "/token"
        form = {**form, "client_assertion": self.assertion(url),
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
        _status, _headers, body = browser.request("POST", url, form)
        return json.loads(body)

    def verify(self, id_token: str, nonce: str) -> dict:
        from joserfc import jwt

        claims = jwt.decode(id_token, self.jwks, algorithms=["RS256"]).claims
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                              aud={"essential": True, "value": CLIENT_ID},
                              nonce={"essential": True, "value": nonce},
                              exp={"essential": True}).validate(claims)
        return claims


def one_oidc_login(app: OidcApp, browser: sso.Browser | None = None) -> None:
    """Browser and application end to end; raises if anything is off. Follows the bridge's
    redirects and forms (dev_eid's, the capacity page, the hand-over pages) until a redirect to
    the application's redirect URI arrives. `browser`: as for `sso.one_login`."""
    browser = browser or sso.Browser(app.base)  # a new browser per login: every login is a full sign-in
    url, pending = app.authorization_url()
    method, form = "GET", None
    for _ in range(12):
        status, headers, page = browser.request(method, url, form)
        if status in (302, 303):
            location = urljoin(url, headers["Location"])
            if location.startswith(REDIRECT + "?"):
                break
            method, url, form = "GET", location, None
            continue
        action, fields = sso._form(page)
        if action.startswith("/dev-eid/"):
            fields.update(rrn=sso.BART, method="eid")
        elif b'name="capacity"' in page:
            fields["capacity"] = sso.MERELBEKE
        method, url, form = "POST", urljoin(url, action), fields
    else:
        raise RuntimeError("no redirect to the application after 12 steps")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    if answer.get("state") != pending["state"] or answer.get("iss") != app.issuer:
        raise RuntimeError(f"authorization response refused: {answer}")
    tokens = app.token(browser, {"grant_type": "authorization_code", "code": answer["code"],
                                 "redirect_uri": REDIRECT, "code_verifier": pending["verifier"]})
    claims = app.verify(tokens["id_token"], pending["nonce"])
    if claims.get("government") != sso.MERELBEKE:
        raise RuntimeError(f"unexpected claims {claims}")


def oidc_client(base: str, certs: str, deadline: float, out) -> None:
    from samlkit.keys import ensure_dev_keypair

    app = OidcApp(base, ensure_dev_keypair(certs, "bench-oidc", "bench OIDC app").key_pem)
    latencies, errors, last_error = [], 0, ""
    while time.time() < deadline:
        started = time.perf_counter()
        try:
            one_oidc_login(app)
            latencies.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
            errors += 1
            last_error = repr(exc)[:200]
    out.put((latencies, errors, os.times(), last_error))


def saml_client(base: str, certs: str, deadline: float, out) -> None:
    sso.client(base, certs, deadline, out)


# -- set-up ----------------------------------------------------------------------------------


def prepare(work: Path, database: str) -> None:
    """Demo data, the SAML bench application (bench/sso.py's) and demo-app registered as an
    OIDC client with the bench's key."""
    from sqlalchemy import text

    from attribute_authority import authz, demo, oidc_clients
    from attribute_authority.db import make_engine, session_factory, upgrade
    from attribute_authority.national_register import FileRegister
    from examples.demo_app.oidc_client import public_jwks
    from samlkit.keys import ensure_dev_keypair

    certs, metadata = work / "certs", work / "metadata"
    upgrade(database)
    oidc_key = ensure_dev_keypair(certs, "bench-oidc", "bench OIDC app")
    engine = make_engine(database)
    with session_factory(engine)() as s, s.begin():
        if not s.scalar(text("select count(*) from person")):
            demo.seed(s, FileRegister())
        oidc_clients.register_oidc_client(
            s, authz.actor_for(s, "01091204695"), CLIENT_ID, redirect_uris=[REDIRECT],
            auth=oidc_clients.ClientAuth(jwks=public_jwks(oidc_key)),
            scopes=["openid", "profile", "capacity", "rights"])
    engine.dispose()
    sso.write_bench_app(certs, metadata)


class Server:
    """gunicorn as deployed, with bench/sso.py's per-path CPU accounting into `cpu_dir`."""

    def __init__(self, work: Path, database: str, workers: int, name: str) -> None:
        from support import free_port

        from idbeheer.settings import RATE_LIMITS

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cpu_dir = work / f"cpu-{name}"
        self.cpu_dir.mkdir()
        (work / "metrics").mkdir(exist_ok=True)
        env = {**os.environ, "IDBEHEER_HOME": str(work / "home"), "IDBEHEER_DATABASE_URL": database,
               "IDBEHEER_REDIS_URL": os.environ.get("IDBEHEER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
               "IDBEHEER_BASE_URL": self.base,
               **{f"IDBEHEER_RATE_LIMIT_{n.upper()}": "off" for n in RATE_LIMITS},
               "IDBEHEER_CERTS_DIR": str(work / "certs"), "IDBEHEER_METADATA_DIR": str(work / "metadata"),
               "IDBEHEER_SECRET_KEY": SECRET_KEY, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}",
               "BENCH_SSO_CPU_DIR": str(self.cpu_dir), "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "bench.sso:measured_app()"],
            cwd=ROOT, env=env, stdout=(work / f"gunicorn-{name}.log").open("ab"), stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5)
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start, see {work}/gunicorn-{name}.log")

    def cpu(self) -> float:
        return aa_bench.worker_cpu(self.proc.pid)

    def stop(self) -> dict[str, float]:
        """Stops the workers (they write their per-path CPU) and returns it."""
        self.proc.terminate()
        self.proc.wait(20)
        return sso._app_cpu(self.cpu_dir)


# -- the phases ------------------------------------------------------------------------------


def logins(kind: str, work: Path, database: str, args) -> dict:
    server = Server(work, database, args.workers, kind)
    target = oidc_client if kind == "oidc" else saml_client
    try:
        # warm-up of the workers (and a check that logins work at all), counted in the app
        warm: multiprocessing.Queue = multiprocessing.Queue()
        warm_deadline = time.time() + 1.5
        warmers = [multiprocessing.Process(target=target, args=(server.base, str(work / "certs"),
                                                                 warm_deadline, warm))]
        for p in warmers:
            p.start()
        warmed = [warm.get() for _ in warmers]
        for p in warmers:
            p.join()
        warm_logins = sum(len(r[0]) for r in warmed)
        if not warm_logins:
            raise SystemExit(f"{kind} logins fail: {warmed[0][3] if len(warmed[0]) > 3 else warmed}")
        cpu = server.cpu()
        deadline = time.time() + args.seconds
        queue: multiprocessing.Queue = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=target,
                                         args=(server.base, str(work / "certs"), deadline, queue))
                 for _ in range(args.clients)]
        started = time.time()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.time() - started
        cpu = server.cpu() - cpu
        for p in procs:
            p.join()
    finally:
        spent = server.stop()
    latencies = sorted(x for r in results for x in r[0])
    all_logins = len(latencies) + warm_logins  # the warm-up logins ran in the app too
    bridge = sum(v for k, v in spent.items() if " /dev-eid/" not in k)
    return {"kind": kind, "logins": len(latencies), "elapsed": elapsed, "errors": sum(r[1] for r in results),
            "rate": len(latencies) / elapsed, "latencies": latencies,
            "server_ms": cpu / max(len(latencies), 1) * 1000,
            "bridge_ms": bridge / max(all_logins, 1) * 1000,
            "dev_eid_ms": (sum(spent.values()) - bridge) / max(all_logins, 1) * 1000,
            "steps": {k: v / max(all_logins, 1) * 1000 for k, v in spent.items()},
            "last_error": next((r[3] for r in results if len(r) > 3 and r[3]), "")}


def _wrk_rights(url: str, token: str, paths: list[str], clients: int, seconds: float) -> dict:
    return aa_bench.run_wrk(url, RIGHTS_LUA, clients, seconds,
                            BENCH_OIDC_TOKEN=token, BENCH_OIDC_PATHS="\n".join(paths))


def rights_vs_soap(work: Path, database: str, args) -> list[tuple[str, dict, float]]:
    from examples.demo_app import ensure_demo_app
    from examples.demo_app.registration import demo_keypair, entity_id
    from idp_bridge.pairwise import PairwiseNameIds
    from samlkit.keys import ensure_dev_keypair

    server = Server(work, database, args.workers, "rights")
    rows = []
    try:
        app = OidcApp(server.base, ensure_dev_keypair(work / "certs", "bench-oidc", "").key_pem)
        token = app.token(sso.Browser(server.base), {"grant_type": "client_credentials", "scope": "rights"})
        names = PairwiseNameIds(hashlib.sha256(b"pairwise-nameid:" + SECRET_KEY.encode()).digest())
        paths = [f"/oidc/rights?sub={names.name_id(CLIENT_ID, rrn)}&government=44088" for rrn in PEOPLE]
        _wrk_rights(server.base + "/oidc/rights", token["access_token"], paths, 2, 1)  # warm-up
        cpu = server.cpu()
        got = _wrk_rights(server.base + "/oidc/rights", token["access_token"], paths, 8, args.rights_seconds)
        rows.append(("/oidc/rights", got, server.cpu() - cpu))
        # demo-app's SAML registration (its metadata file) for the AttributeQueries
        ensure_demo_app(work / "metadata", work / "certs", server.base)
        time.sleep(1.5)  # the registry notices the new file
        keypair, me = demo_keypair(work / "certs"), entity_id(server.base)
        bodies = work / "bodies.bin"
        rng = random.Random(1)
        aa_bench.presign(bodies, 200, list(PEOPLE), me, keypair, rng)
        aa_bench.wrk(server.base + "/aa/soap", bodies, 2, 1)  # warm-up
        aa_bench.presign(bodies, int(1500 * args.rights_seconds) + 100, list(PEOPLE), me, keypair, rng)
        cpu, refused = server.cpu(), aa_bench.not_success(work / "metrics")
        got = aa_bench.wrk(server.base + "/aa/soap", bodies, 8, args.rights_seconds)
        got["errors"] += aa_bench.not_success(work / "metrics") - refused  # answers but Success
        rows.append(("/aa/soap", got, server.cpu() - cpu))
    finally:
        server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="per login phase")
    parser.add_argument("--clients", type=int, default=4, help="login client processes")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rights-seconds", type=float, default=5)
    parser.add_argument("--phases", default="saml,oidc,rights", help="which of saml, oidc, rights")
    args = parser.parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode:
        raise SystemExit("wrk is missing: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-oidc-"))
    database = os.environ.get("IDBEHEER_BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    prepare(work, database)
    print(f"cores: {os.cpu_count()}, gunicorn sync workers: {args.workers}, login clients: "
          f"{args.clients}, sessions: Redis, database: {database.split(':')[0]}")
    phases = args.phases.split(",")
    results = [logins(kind, work, database, args) for kind in ("saml", "oidc") if kind in phases]
    if results:
        print_logins(results)
    if "rights" in args.phases:
        print_rights(rights_vs_soap(work, database, args))


def print_logins(results: list[dict]) -> None:
    print(f"\n{'login':<6} {'logins':>7} {'errors':>7} {'logins/s':>9} {'p50 ms':>7} "
          f"{'workers CPU/login':>18} {'bridge CPU/login':>17} {'dev_eid CPU/login':>18}")
    for r in results:
        p50 = statistics.median(r["latencies"]) * 1000 if r["latencies"] else 0
        print(f"{r['kind']:<6} {r['logins']:>7} {r['errors']:>7} {r['rate']:>9.1f} {p50:>7.0f} "
              f"{r['server_ms']:>15.1f} ms {r['bridge_ms']:>14.1f} ms {r['dev_eid_ms']:>15.1f} ms")
        if r["last_error"]:
            print(f"       last error: {r['last_error']}")
    for r in results:
        print(f"\n{r['kind']} login, CPU inside the app per login and request:")
        for step, ms in sorted(r["steps"].items(), key=lambda item: -item[1]):
            print(f"    {step:<28} {ms:5.2f} ms")
    if len(results) < 2:
        return
    saml, oidc = results
    print(f"\nbridge CPU per login: OIDC {oidc['bridge_ms']:.1f} ms vs SAML {saml['bridge_ms']:.1f} ms "
          f"(target OIDC <= SAML: {'met' if oidc['bridge_ms'] <= saml['bridge_ms'] else 'NOT met'})")


def print_rights(rows) -> None:
    print(f"\n{'8 connections':<14} {'answers/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
          f"{'workers CPU/answer':>19}")
    for name, got, cpu in rows:
        print(f"{name:<14} {got['rate']:>10.0f} {got['p50']:>8.2f} {got['p99']:>8.2f} {got['errors']:>7} "
              f"{cpu / max(got['answers'], 1) * 1000:>16.2f} ms")
    ratio = rows[0][1]["rate"] / max(rows[1][1]["rate"], 1)
    print(f"/oidc/rights / /aa/soap = {ratio:.1f}x (target >= 2x: {'met' if ratio >= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
