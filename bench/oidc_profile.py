"""Where an OIDC login's CPU goes inside the bridge: the all-in-one app (`idbeheer.app`, as
gunicorn runs it, sessions and state in Redis) in this process, bench/oidc.py's login driven
through werkzeug's test client, cProfile on only the requests of the endpoints asked for
(default /oidc/authorize and /oidc/token). Prints the CPU per call of each endpoint and the
profile's top functions by cumulative and by own time.

Run:  PYTHONPATH=. .venv/bin/python bench/oidc_profile.py [--logins 300] [--top 25]
      [--paths /oidc/token,/oidc/authorize] [--dump FILE]
      (--paths none: the CPU per call only, without the profiler's own cost in it;
      env IDBEHEER_BENCH_REDIS_URL and IDBEHEER_BENCH_DATABASE_URL as bench/oidc.py)
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench import oidc, sso  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--paths", default="/oidc/authorize,/oidc/token")
    parser.add_argument("--dump", help="also write the raw profile to this file (pstats)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-oidc-profile-"))
    database = os.environ.get("IDBEHEER_BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    oidc.prepare(work, database)
    base = "http://127.0.0.1:8999"
    os.environ.update({
        "IDBEHEER_HOME": str(work / "home"), "IDBEHEER_DATABASE_URL": database,
        "IDBEHEER_REDIS_URL": os.environ.get("IDBEHEER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "IDBEHEER_BASE_URL": base, "IDBEHEER_CERTS_DIR": str(work / "certs"),
        "IDBEHEER_METADATA_DIR": str(work / "metadata"), "IDBEHEER_SECRET_KEY": oidc.SECRET_KEY,
        "PROMETHEUS_MULTIPROC_DIR": str(work)})
    from werkzeug.test import Client

    from idbeheer.app import create_app
    from idbeheer.settings import RATE_LIMITS, from_env
    from samlkit.keys import ensure_dev_keypair

    for name in RATE_LIMITS:
        os.environ[f"IDBEHEER_RATE_LIMIT_{name.upper()}"] = "off"
    wsgi = create_app(from_env())
    import gc

    gc.collect()
    gc.freeze()  # as deploy/gunicorn.conf.py's post_worker_init does
    profiled = set(args.paths.split(","))
    profile = cProfile.Profile(time.process_time)  # CPU, not waiting for Redis or the database
    spent: dict[str, float] = {}
    calls: dict[str, int] = {}

    def request(browser: Client, method: str, url: str, form=None):
        parts = urlsplit(url)
        path = parts.path
        started = time.process_time()
        if path in profiled:
            profile.enable()
        response = browser.open(parts.path, method=method, query_string=parts.query, data=form,
                                base_url=base)
        body = response.get_data()
        if path in profiled:
            profile.disable()
        spent[path] = spent.get(path, 0.0) + time.process_time() - started
        calls[path] = calls.get(path, 0) + 1
        return response.status_code, response.headers, body

    # the application: bench/oidc.py's (its key, its PKCE, its ID token checks)
    jwks = json.loads(Client(wsgi).get("/oidc/jwks", base_url=base).get_data())
    app = oidc.OidcApp(base, ensure_dev_keypair(work / "certs", "bench-oidc", "bench OIDC app").key_pem, jwks)
    for _ in range(args.logins):
        browser = Client(wsgi, use_cookies=True)
        url, pending = app.authorization_url()
        method, form = "GET", None
        for _step in range(12):
            status, headers, page = request(browser, method, url, form)
            if status in (302, 303):
                location = urljoin(url, headers["Location"])
                if location.startswith(oidc.REDIRECT + "?"):
                    break
                method, url, form = "GET", location, None
                continue
            action, fields = sso._form(page)
            if action.startswith("/dev-eid/"):
                fields.update(rrn=sso.BART, method="eid")
            elif b'name="capacity"' in page:
                fields["capacity"] = sso.MERELBEKE
            method, url, form = "POST", urljoin(url, action), fields
        answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        token_url = app.issuer + "/token"
        form = {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": oidc.REDIRECT,
                "code_verifier": pending["verifier"], "client_assertion": app.assertion(token_url),
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
        _status, _headers, body = request(browser, "POST", token_url, form)
        app.verify(json.loads(body)["id_token"], pending["nonce"])
    print(f"{args.logins} logins in process; CPU per call inside the app:")
    for path, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"    {path:<24} {seconds / calls[path] * 1000:6.2f} ms  ({calls[path]} calls)")
    if not profiled & set(calls):
        return
    if args.dump:
        profile.dump_stats(args.dump)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(order).print_stats(args.top)
        print(f"\nprofile of {', '.join(sorted(profiled))}, by {order}:")
        print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
