"""The bridge's CPU per OIDC login beside per SAML login, in one process, and where it goes:
the all-in-one app (`idbeheer.app`, as a gunicorn worker runs it, sessions and state in
Redis, gc frozen after start) driven through werkzeug's test client by bench/oidc.py's and
bench/sso.py's own logins, one SAML and one OIDC login in turn, so that whatever else the
machine does weighs on both alike (bench/oidc.py's gunicorn phases run one after the other,
and on a shared machine their figures drift apart). The CPU inside the app is counted per
request as bench/sso.py's `measured_app` does, dev_eid's (the federal IdP's share) apart;
cProfile, on the endpoints asked for only, shows where it goes.

Run:  PYTHONPATH=. .venv/bin/python bench/oidc_profile.py [--logins 300] [--top 25]
      [--profile /oidc/token,/oidc/authorize] [--dump FILE]
      (no --profile: the CPU figures alone, without the profiler's own cost in them;
      env IDBEHEER_BENCH_REDIS_URL and IDBEHEER_BENCH_DATABASE_URL as bench/oidc.py)
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench import oidc, sso  # noqa: E402


class InProcessBrowser(sso.Browser):
    """`sso.Browser`'s `request`, answered by the app in this process: the CPU of each request
    inside the app is added to `spent[(kind, "METHOD /path")]`, under the profiler when the
    path is one of `profiled`."""

    def __init__(self, wsgi, base: str, kind: str, spent: dict, profile: cProfile.Profile,
                 profiled: set[str]) -> None:
        from werkzeug.test import Client

        super().__init__(base)
        self.client, self.base, self.kind = Client(wsgi, use_cookies=False), base, kind
        self.spent, self.profile, self.profiled = spent, profile, profiled

    def request(self, method: str, url: str, form: dict[str, str] | None = None):
        parts = urlsplit(url)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        data = urlencode(form, quote_via=sso._quote) if form is not None else None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        profiled = parts.path in self.profiled
        started = time.process_time()
        if profiled:
            self.profile.enable()
        reply = self.client.open(parts.path, method=method, query_string=parts.query, data=data,
                                 headers=headers, base_url=self.base)
        body = reply.get_data()
        if profiled:
            self.profile.disable()
        step = (self.kind, f"{method} {parts.path}")
        self.spent[step] = self.spent.get(step, 0.0) + time.process_time() - started
        self.keep_cookies(reply.headers.getlist("Set-Cookie"))
        if reply.status_code >= 400:
            raise RuntimeError(f"{method} {parts.path}: {reply.status_code} {body[:300]!r}")
        return reply.status_code, reply.headers, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--logins", type=int, default=300, help="of each kind")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", default="", help="paths to profile, comma-separated")
    parser.add_argument("--dump", help="also write the raw profile to this file (pstats)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-oidc-profile-"))
    database = os.environ.get("IDBEHEER_BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
    oidc.prepare(work, database)
    base = "http://127.0.0.1:8999"
    from idbeheer.settings import RATE_LIMITS

    os.environ.update({
        "IDBEHEER_HOME": str(work / "home"), "IDBEHEER_DATABASE_URL": database,
        "IDBEHEER_REDIS_URL": os.environ.get("IDBEHEER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "IDBEHEER_BASE_URL": base, "IDBEHEER_CERTS_DIR": str(work / "certs"),
        "IDBEHEER_METADATA_DIR": str(work / "metadata"), "IDBEHEER_SECRET_KEY": oidc.SECRET_KEY,
        "PROMETHEUS_MULTIPROC_DIR": str(work),
        **{f"IDBEHEER_RATE_LIMIT_{n.upper()}": "off" for n in RATE_LIMITS}})
    from werkzeug.test import Client

    from idbeheer.app import create_app
    from idbeheer.settings import from_env
    from samlkit.keys import ensure_dev_keypair

    wsgi = create_app(from_env())
    gc.collect()
    gc.freeze()  # as deploy/gunicorn.conf.py's post_worker_init does
    profiled = {p for p in args.profile.split(",") if p}
    profile = cProfile.Profile(time.process_time)  # CPU, not waiting for Redis or the database
    spent: dict[tuple[str, str], float] = {}

    def browser(kind: str) -> InProcessBrowser:
        return InProcessBrowser(wsgi, base, kind, spent, profile, profiled)

    jwks = json.loads(Client(wsgi).get("/oidc/jwks", base_url=base).get_data())
    app = oidc.OidcApp(base, ensure_dev_keypair(work / "certs", "bench-oidc", "bench OIDC app").key_pem, jwks)
    app_key = ensure_dev_keypair(work / "certs", "bench-app", "bench app")
    idp_cert = ensure_dev_keypair(work / "certs", "idp", "bench bridge IdP").certificate
    for _ in range(10):  # warm-up, not counted
        sso.one_login(base, app_key, idp_cert, browser("warm"))
        oidc.one_oidc_login(app, browser("warm"))
    for _ in range(args.logins):
        sso.one_login(base, app_key, idp_cert, browser("saml"))
        oidc.one_oidc_login(app, browser("oidc"))
    print(f"{args.logins} SAML and {args.logins} OIDC logins in turn, in process"
          + (f" (profiled: {', '.join(sorted(profiled))})" if profiled else ""))
    totals = {}
    for kind in ("saml", "oidc"):
        steps = {step: ms / args.logins * 1000 for (k, step), ms in spent.items() if k == kind}
        totals[kind] = sum(ms for step, ms in steps.items() if " /dev-eid/" not in step)
        print(f"\n{kind} login, CPU inside the app per login and request:")
        for step, ms in sorted(steps.items(), key=lambda item: -item[1]):
            print(f"    {step:<28} {ms:5.2f} ms")
    print(f"\nbridge CPU per login: OIDC {totals['oidc']:.1f} ms vs SAML {totals['saml']:.1f} ms "
          f"(target OIDC <= SAML: {'met' if totals['oidc'] <= totals['saml'] else 'NOT met'})")
    if not profiled:
        return
    if args.dump:
        profile.dump_stats(args.dump)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        print(f"\nprofile of {', '.join(sorted(profiled))}, by {order}:")
        print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
