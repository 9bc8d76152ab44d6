"""Self-service pages over HTTP (issue 14, Benchmark): as Antwerpen's local administrator, the
access review page, the inbox of requests, the report page, and the CSV export of Antwerpen's
grants (report.csv), each asked one after the other by one client; prints p50/p99 per page,
and for the CSV the time to the first byte, the whole download and the workers' memory.

The data is bench/rights_store.py's (its generator and cache; 100 000 people and 1 000 000
grants at full scale, Antwerpen ~15 800 relations; smaller with --persons/--grants). The
measurement runs on a copy of the cached database (a file copy on SQLite, CREATE DATABASE …
TEMPLATE on PostgreSQL), dropped afterwards, in which:
  * Emil Novak (a demo person, so that dev_eid can sign him in) becomes a local administrator
    of Antwerpen, through the domain services, as Dina (central administrator) would;
  * --requests people of Antwerpen ask for demo-app-admin (access_requests.submit: the inbox);
  * Emil starts an access review of Antwerpen (every active grant of it: the review page).
gunicorn serves the all-in-one app with deploy/gunicorn.conf.py (sync workers, one per core),
rate limits off, sessions in Redis (IDBEHEER_BENCH_REDIS_URL, default
redis://127.0.0.1:6379/14); the client signs in through dev_eid and the bridge like a browser.

    PYTHONPATH=. .venv/bin/python bench/selfservice.py                      # 20 000 people
    PYTHONPATH=. .venv/bin/python bench/selfservice.py --persons 100000 --grants 1000000
    PYTHONPATH=. .venv/bin/python bench/selfservice.py --db postgresql

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from support.bridge import form_of  # noqa: E402

from attribute_authority import (  # noqa: E402
    access_requests,
    authz,
    clock,
    db,
    governments,
    grants,
    people,
    relations,
    reviews,
)
from attribute_authority.models import Government, Relation  # noqa: E402
from attribute_authority.national_register import FileRegister  # noqa: E402
from bench import rights_store  # noqa: E402
from idbeheer.settings import RATE_LIMITS  # noqa: E402

ANTWERPEN = rights_store.BIG_GOVERNMENT
EMIL, DINA = "88421013756", "01091204695"
PAGES = ("review", "review_filtered", "inbox", "report", "report_page_5")


def pct(values: list[float], p: float) -> float:
    return rights_store.pct(values, p)


# -- data ----------------------------------------------------------------------------------

def copy_database(kind: str, url: str) -> str:
    """A throw-away copy of the cached benchmark database."""
    if kind == "sqlite":
        source = Path(make_url(url).database)
        target = Path(tempfile.mkdtemp(prefix="selfservice-")) / "bench.sqlite"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    target = make_url(url).set(database="idbeheer_bench_selfservice")
    admin = db.make_engine(target.set(database="postgres").render_as_string(hide_password=False),
                           isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}" TEMPLATE '
                             f'"{make_url(url).database}"')
    admin.dispose()
    return target.render_as_string(hide_password=False)


def drop_database(kind: str, url: str) -> None:
    if kind == "sqlite":
        shutil.rmtree(Path(make_url(url).database).parent, ignore_errors=True)
        return
    target = make_url(url)
    admin = db.make_engine(target.set(database="postgres").render_as_string(hide_password=False),
                           isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


def prepare(url: str, today: date, asked: int, rng: random.Random) -> dict:
    """Emil as Antwerpen's local administrator, `asked` open requests, one open review."""
    engine = db.make_engine(url)
    factory = db.session_factory(engine)
    register = FileRegister()
    with db.unit_of_work(factory) as session:
        dina = authz.actor_for(session, DINA)
        emil, _ = people.add(session, dina, register, EMIL, on=today)
        antwerpen = governments.by_code(session, ANTWERPEN)
        governments.record_registration(session, dina, antwerpen, governments.Registration(
            secretary=emil, form_signed_on=today, terms_accepted_on=today), on=today)
        relations.add(session, dina, EMIL, ANTWERPEN, category="employee", type="standard",
                      email="emil.novak@antwerpen.be", on=today)
        grants.add(session, dina, EMIL, ANTWERPEN, authz.LOCAL_ADMIN_RIGHT, on=today)
    with db.unit_of_work(factory) as session:
        staff = list(session.scalars(select(Relation.person_id).where(
            Relation.government_id == select(Government.id).where(
                Government.code == ANTWERPEN).scalar_subquery(),
            Relation.ended_on.is_(None))))
        t = time.perf_counter()
        for person_id in rng.sample(staff, min(asked, len(staff))):
            access_requests.submit(session, person_id, ANTWERPEN, "demo-app-admin",
                                   "Ik beheer de demotoepassing voor mijn dienst.", on=today)
        submitted = time.perf_counter() - t
    with db.unit_of_work(factory) as session:
        emil_actor = authz.acting_actor(session, EMIL, ANTWERPEN)
        t = time.perf_counter()
        review = reviews.start(session, emil_actor, ANTWERPEN, today + timedelta(days=30), True,
                               on=today)
        started = time.perf_counter() - t
        review_id, items = review.id, reviews.progress(session, review).total
        relations_open = len(staff)
    engine.dispose()
    return {"review_id": review_id, "review_items": items, "relations": relations_open,
            "requests": min(asked, len(staff)), "submit_s": submitted, "review_start_s": started}


# -- server and client ---------------------------------------------------------------------

def serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "-w", str(workers), "-b", f"127.0.0.1:{port}", "idbeheer.wsgi:app"],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=log.open("ab"), stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn did not start, see {log}")


def sign_in(base: str) -> requests.Session:
    """Emil, through dev_eid and the bridge, in capacity Antwerpen (no JavaScript: each
    hand-over form is posted as the button would)."""
    browser = requests.Session()
    page = browser.get(f"{base}/admin/", timeout=30)  # ends on dev_eid's form
    action, fields = form_of(page.content)
    autopost = browser.post(urljoin(page.url, action), timeout=30,
                            data={**fields, "rrn": EMIL, "method": "eid"})
    if autopost.status_code != 200:
        raise SystemExit(f"dev_eid refused: {autopost.status_code} {autopost.text[:300]}")
    action, fields = form_of(autopost.content)
    capacity = browser.post(action, data=fields, timeout=30)  # the bridge's /sp/acs
    action, fields = form_of(capacity.content)
    answer = browser.post(urljoin(capacity.url, action), timeout=30,
                          data={**fields, "capacity": ANTWERPEN})
    action, fields = form_of(answer.content)
    home = browser.post(action, data=fields, timeout=30)  # /admin/acs, then /admin/
    if home.status_code != 200 or "Antwerpen" not in home.text:
        raise SystemExit(f"sign-in failed: {home.status_code} {home.url}")
    return browser


def worker_memory(master: int) -> tuple[int, int]:
    """(current RSS, peak RSS) in KiB, summed over the gunicorn master's workers."""
    rss = peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(lines.get("PPid", "0").strip()) == master:
            rss += int(lines["VmRSS"].split()[0])
            peak += int(lines["VmHWM"].split()[0])
    return rss, peak


def measure_page(browser: requests.Session, url: str, samples: int, check: str) -> dict:
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        response = browser.get(url, timeout=60)
        times.append(time.perf_counter() - t)
        if response.status_code != 200 or check not in response.text:
            raise SystemExit(f"{url}: HTTP {response.status_code}, '{check}' missing")
    return {"p50": pct(times, 50), "p99": pct(times, 99), "max": max(times),
            "bytes": len(response.content)}


def measure_csv(browser: requests.Session, url: str, samples: int) -> dict:
    first, total, size, rows = [], [], 0, 0
    for _ in range(samples):
        t = time.perf_counter()
        with browser.get(url, timeout=300, stream=True) as response:
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            chunks = response.iter_content(chunk_size=None)
            head = next(chunks)
            first.append(time.perf_counter() - t)
            size, rows = len(head), head.count(b"\n")
            for chunk in chunks:
                size, rows = size + len(chunk), rows + chunk.count(b"\n")
        total.append(time.perf_counter() - t)
    rows -= 1  # the header line
    return {"first_p50": pct(first, 50), "first_p99": pct(first, 99),
            "total_p50": pct(total, 50), "total_p99": pct(total, 99), "bytes": size, "rows": rows}


# -- main ----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--grants", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--requests", type=int, default=300, help="open requests in Antwerpen's inbox")
    ap.add_argument("--samples", type=int, default=100, help="requests per page")
    ap.add_argument("--csv-samples", type=int, default=10, help="CSV downloads")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", rights_store.DEFAULT_PG))
    args = ap.parse_args(argv)

    params = {"persons": args.persons, "grants": args.grants, "seed": args.seed,
              "version": rights_store.GENERATOR_VERSION, "today": clock.today().isoformat()}
    t = time.perf_counter()
    if args.db == "sqlite":
        engine, cached, stored = rights_store.prepare_sqlite(params, rebuild=False)
    else:
        engine, cached, stored = rights_store.prepare_postgresql(params, args.pg_url, rebuild=False)
    counts = rights_store.describe(engine)
    engine.dispose()
    today = date.fromisoformat(stored["today"])
    url = copy_database(args.db, cached)
    work = Path(tempfile.mkdtemp(prefix="selfservice-home-"))
    proc = None
    try:
        # The pages read "today" from the clock: the data's reference day is when it was built.
        if today != clock.today():
            print(f"note: data built for {today}, measured on {clock.today()}")
        setup = prepare(url, clock.today(), args.requests, random.Random(args.seed))
        print(f"data: {counts['version']}, {counts['person']} persons, {counts['relation']} "
              f"relations, {counts['grant']} grants; Antwerpen {setup['relations']} open relations, "
              f"review of {setup['review_items']} active grants (started in "
              f"{setup['review_start_s'] * 1000:.0f} ms), {setup['requests']} open requests "
              f"(submitted in {setup['submit_s']:.1f} s); setup {time.perf_counter() - t:.0f} s")
        port = rights_store_free_port()
        base = f"http://127.0.0.1:{port}"
        env = {"IDBEHEER_HOME": str(work), "IDBEHEER_DATABASE_URL": url,
               "IDBEHEER_CERTS_DIR": str(work / "certs"),
               "IDBEHEER_METADATA_DIR": str(work / "metadata"), "IDBEHEER_BASE_URL": base,
               # sessions and dev_eid's pending sign-ins shared by the workers, as in production
               "IDBEHEER_REDIS_URL": os.environ.get("IDBEHEER_BENCH_REDIS_URL",
                                                    "redis://127.0.0.1:6379/14"),
               **{f"IDBEHEER_RATE_LIMIT_{name.upper()}": "off" for name in RATE_LIMITS},
               "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}
        (work / "metrics").mkdir()
        proc = serve(env, port, args.workers, work / "gunicorn.log")
        browser = sign_in(base)
        review = f"{base}/admin/reviews/{setup['review_id']}"
        targets = {
            "review": (review, "Herziening van Antwerpen"),
            "review_filtered": (f"{review}?application=demo-app&category=external&page=2",
                                "Herziening van Antwerpen"),
            "inbox": (f"{base}/admin/requests", "in afwachting"),
            "report": (f"{base}/admin/report", "Antwerpen"),
            "report_page_5": (f"{base}/admin/report?page=5", "Antwerpen"),
        }
        for target, _check in targets.values():  # warm up every worker's caches
            for _ in range(args.workers * 2):
                browser.get(target, timeout=60)
        print(f"\ngunicorn -w {args.workers} (deploy/gunicorn.conf.py), {args.db}, one client, "
              f"{args.samples} requests per page")
        print(f"{'page':<18} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'KiB':>6}")
        for page in PAGES:
            target, check = targets[page]
            got = measure_page(browser, target, args.samples, check)
            print(f"{page:<18} {got['p50'] * 1000:8.1f} {got['p99'] * 1000:8.1f} "
                  f"{got['max'] * 1000:8.1f} {got['bytes'] / 1024:6.0f}")
        before = worker_memory(proc.pid)
        measure_csv(browser, f"{base}/admin/report.csv", args.workers)  # each worker once
        once = worker_memory(proc.pid)
        got = measure_csv(browser, f"{base}/admin/report.csv", args.csv_samples)
        after = worker_memory(proc.pid)
        print(f"\nreport.csv ({got['rows']} rows, {got['bytes'] / 1024:.0f} KiB), "
              f"{args.csv_samples} downloads: first byte p50 {got['first_p50'] * 1000:.1f} ms, "
              f"p99 {got['first_p99'] * 1000:.1f} ms; whole file p50 "
              f"{got['total_p50'] * 1000:.0f} ms, p99 {got['total_p99'] * 1000:.0f} ms")
        print(f"workers' memory (RSS, summed): {before[0] / 1024:.0f} MiB before the downloads, "
              f"{once[0] / 1024:.0f} MiB after one per worker, {after[0] / 1024:.0f} MiB after "
              f"{args.csv_samples} more (peak {before[1] / 1024:.0f} -> {once[1] / 1024:.0f} -> "
              f"{after[1] / 1024:.0f} MiB)")
        got = measure_csv(browser, f"{base}/admin/reviews/{setup['review_id']}/report.csv",
                          args.csv_samples)
        print(f"review report CSV ({got['rows']} rows): first byte p50 "
              f"{got['first_p50'] * 1000:.1f} ms, p99 {got['first_p99'] * 1000:.1f} ms; whole "
              f"file p50 {got['total_p50'] * 1000:.0f} ms")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop_database(args.db, url)
        shutil.rmtree(work, ignore_errors=True)


def rights_store_free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
