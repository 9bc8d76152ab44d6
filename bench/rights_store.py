"""Foundation benchmark of the rights store: prints figures, asserts nothing.

Builds a database through the real migrations, loads the real governments and the catalog
(plus the demo people, so there are administrators), then generates --persons people with
valid national register numbers, their relations with the municipalities, OCMWs and provinces,
and --grants grants with years of history (expired, revoked), current (active) and future
(pending) periods. Then it measures, on SQLite and/or PostgreSQL:

  * the AttributeQuery read, rights_query.active_rights (p50/p99),
  * the administrators' grant search by government + reference date + state (p50/p99),
  * a bulk grant (R10) of one right to 10 000 open relations of one government, audit rows and
    commit included.

    PYTHONPATH=. .venv/bin/python bench/rights_store.py --db both
    PYTHONPATH=. .venv/bin/python bench/rights_store.py --db sqlite --persons 5000 --grants 50000

The generated data is reused: the SQLite file is cached under bench/out/ by its parameters, the
PostgreSQL database is kept and reused when it holds the same parameters. Both are brought to the
current migration head on every run. All dates are relative to the reference day stored with
the data, so a cached database measures the same thing on any later day.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from bisect import bisect
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from itertools import accumulate
from pathlib import Path

import sqlalchemy
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from attribute_authority import authz, bulk, clock, db, demo, grants, rights_query  # noqa: E402
from attribute_authority import rrn as rrn_rules
from attribute_authority.grants import GrantFilter  # noqa: E402
from attribute_authority.models import AuditHead, Government, Grant, Person, Relation, Right  # noqa: E402
from attribute_authority.national_register import FileRegister  # noqa: E402
from attribute_authority.states import STATES  # noqa: E402

GENERATOR_VERSION = 3  # bump when the generated data or the schema history changes
# 3: each generated grant has its period (grant_period, migration 0007); without it no grant
#    was in force, so searches, reviews and the AttributeQuery found nothing to read
OUT = Path(__file__).resolve().parent / "out"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/idbeheer_bench"
BIG_GOVERNMENT = "11002"  # Antwerpen: the one government with more than 10 000 people
BULK_RIGHT = "demo-app-admin"

SURNAMES = ("Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters De-Smet "
            "Dubois Lambert Dupont Martin Hermans Michiels Vermeulen Aerts Van-Damme Desmet "
            "Smets Pauwels Segers Verhoeven Coppens Hendrickx Van-de-Velde Lemmens Bogaerts "
            "Claessens Cools Stevens Van-den-Broeck Declercq Leclercq Martens").replace("-", " ").split()
GIVEN = ("An Bart Chris Dina Emil Femke Geert Hanne Ilse Jan Katrien Lars Marie Nele Olivier "
         "Pieter Quinten Rik Sofie Tom Ursula Vincent Wout Yasmine Zoë Lotte Arne Elke Bram "
         "Fatima Mohamed Noor Sander Lies Jens").split()


# ---------------------------------------------------------------------------------- helpers

def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.3f} ms" if ms < 10 else f"{ms:.1f} ms"


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", flush=True)


@contextmanager
def captured(engine: Engine):
    """The statements (and parameters) a block sends to the database, for EXPLAIN."""
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


# ------------------------------------------------------------------------------- generation

class Generator:
    """Deterministic synthetic population of the rights store (seeded)."""

    def __init__(self, persons: int, grant_count: int, seed: int, today: date) -> None:
        self.n_persons, self.n_grants, self.today = persons, grant_count, today
        self.rng = random.Random(seed)

    # Governments: a municipality's weight is a rough stand-in for its staff; Antwerpen and
    # Gent carry their real share, the rest a log-normal spread.
    def _weights(self, govs: list[tuple[int, str, str, str | None]]) -> None:
        rng = self.rng
        self.munis = [g for g in govs if g[2] == "municipality"]
        self.ocmw_of = {g[3]: g for g in govs if g[2] == "ocmw"}
        self.provinces = [g for g in govs if g[2] == "province"]
        self.central = next(g for g in govs if g[2] == "central")
        w = [rng.lognormvariate(0, 0.9) for _ in self.munis]
        rest = sum(w)
        for i, g in enumerate(self.munis):
            if g[1] == BIG_GOVERNMENT:   # ~12k open relations at 100k persons
                w[i] = rest * 0.20 / 0.72
            elif g[1] == "44021":        # Gent
                w[i] = rest * 0.07 / 0.72
        self.muni_cum = list(accumulate(w))

    def _muni(self):
        return self.munis[bisect(self.muni_cum, self.rng.random() * self.muni_cum[-1])]

    def persons(self, first_id: int, taken: set[str]) -> list[tuple]:
        rng, stamp = self.rng, datetime.combine(self.today - timedelta(days=400), dtime(9),
                                                tzinfo=timezone.utc)
        rows, seen = [], set(taken)
        lo, span = date(1955, 1, 1).toordinal(), (date(2005, 12, 31) - date(1955, 1, 1)).days
        while len(rows) < self.n_persons:
            birth = date.fromordinal(lo + rng.randrange(span))
            bis = "known-sex" if rng.random() < 0.01 else None
            number = rrn_rules.make(birth, rng.randint(1, 997), bis=bis)
            if number in seen:
                continue
            seen.add(number)
            info = rrn_rules.parse(number)
            rows.append((first_id + len(rows), number, rng.choice(SURNAMES), rng.choice(GIVEN),
                         info.birth_date, info.sex, bis is not None,
                         "nl" if rng.random() < 0.93 else "fr", stamp, stamp))
        return rows

    def relations(self, persons: list[tuple], first_id: int,
                  govs: list[tuple[int, str, str, str | None]]) -> list[dict]:
        """Plans of relations (dates come with their grants): ~1.4 per person."""
        rng = self.rng
        self._weights(govs)
        plans = []
        for p in persons:
            r = rng.random()
            if r < 0.72:
                primary = self._muni()
            elif r < 0.92:
                primary = self.ocmw_of[self._muni()[3]]
            elif r < 0.9995:
                primary = rng.choice(self.provinces)
            else:
                primary = self.central
            mine = [(primary, "employee")]
            if primary[2] == "municipality" and rng.random() < 0.30:
                mine.append((self.ocmw_of[primary[3]], "employee"))   # integrated staff
            if rng.random() < 0.08:
                other = self._muni()
                if other not in [g for g, _ in mine]:
                    mine.append((other, "external"))                   # consultants, ICT
            for gov, category in mine:
                plans.append({"id": first_id + len(plans), "person_id": p[0], "gov": gov,
                              "category": category, "rrn": p[1], "given": p[3],
                              "surname": p[2], "ended": rng.random() < 0.06})
        secretaries = set()
        for plan in plans:
            gid = plan["gov"][0]
            plan["type"] = "standard"
            if gid not in secretaries and not plan["ended"] and plan["category"] == "employee":
                secretaries.add(gid)
                plan["type"] = "secretary"
        return plans

    def grant_rows(self, plans: list[dict], rights: dict[str, tuple[int, int]]) -> list[list]:
        """Chains of consecutive periods per (relation, right), newest last; returns grant rows
        without id, in chronological order of creation (as a real store fills up)."""
        rng, today = self.rng, self.today
        chains = []  # (plan, right_code)
        admins: dict[int, int] = {}
        for plan in plans:
            kind = plan["gov"][2]
            if kind == "central":
                chains.append((plan, "idbeheer-central-admin"))
                continue
            if rng.random() < 0.85:
                chains.append((plan, "demo-app-reader"))
            if rng.random() < 0.12:
                chains.append((plan, "demo-app-admin"))
            gid = plan["gov"][0]
            if (not plan["ended"] and plan["category"] == "employee"
                    and (plan["type"] == "secretary" or admins.get(gid, 0) < 3
                         and rng.random() < 0.2)):
                admins[gid] = admins.get(gid, 0) + 1
                chains.append((plan, "idbeheer-local-admin"))
        mean = self.n_grants / len(chains)
        lengths = [max(1, round(rng.uniform(0.5, 2 * mean - 0.5))) for _ in chains]
        # Hit the requested total exactly; local administrators keep at least their chain.
        total = sum(lengths)
        while total != self.n_grants:
            i = rng.randrange(len(lengths))
            if total > self.n_grants and lengths[i] > 1:
                lengths[i] -= 1
                total -= 1
            elif total < self.n_grants:
                lengths[i] += 1
                total += 1
        rows = []
        for (plan, code), k in zip(chains, lengths):
            right_id, max_days = rights[code]
            if code == "idbeheer-local-admin" or code == "idbeheer-central-admin":
                last = "active"
            elif plan["ended"]:
                last = "expired" if rng.random() < 0.8 else "revoked"
            else:
                r = rng.random()
                last = ("active" if r < 0.55 else "pending" if r < 0.63
                        else "revoked" if r < 0.75 else "expired")
            chain = []
            d = max_days if rng.random() < 0.8 else rng.randint(30, max_days)
            if last == "active":
                start = today - timedelta(days=rng.randint(0, d))
            elif last == "pending":
                start = today + timedelta(days=rng.randint(1, 60))
            elif last == "revoked":
                start = today - timedelta(days=rng.randint(1, d))
            else:
                start = today - timedelta(days=d + rng.randint(1, 400))
            end = start + timedelta(days=d)
            revoked_on = None
            if last == "revoked":
                revoked_on = start + timedelta(days=rng.randint(0, (today - start).days))
            chain.append((start, end, revoked_on))
            for _ in range(k - 1):
                gap = rng.randint(1, 45) if rng.random() < 0.3 else 0
                end = start - timedelta(days=1 + gap)
                d = max_days if rng.random() < 0.8 else rng.randint(30, max_days)
                start = end - timedelta(days=d)
                revoked_on = (start + timedelta(days=rng.randint(0, d))
                              if rng.random() < 0.04 else None)
                chain.append((start, end, revoked_on))
            first = chain[-1][0]
            plan["started_on"] = min(plan.get("started_on", first), first
                                     - timedelta(days=rng.randint(0, 30)))
            if plan["ended"]:
                last_day = max(e if r is None else r for _, e, r in chain)
                plan["ended_on"] = max(plan.get("ended_on", last_day), last_day)
            for start, end, revoked_on in chain:
                created = datetime.combine(start - timedelta(days=rng.randint(0, 20)),
                                           dtime(8, rng.randint(0, 59)), tzinfo=timezone.utc)
                revoked_at = (datetime.combine(revoked_on, dtime(14), tzinfo=timezone.utc)
                              if revoked_on else None)
                rows.append([None, plan["id"], plan["gov"][0], right_id, start, end, None,
                             created, revoked_at,
                             revoked_on, "uit dienst" if revoked_on else None])
        rows.sort(key=lambda row: row[7])
        for plan in plans:
            plan.setdefault("started_on", today - timedelta(days=rng.randint(10, 3000)))
            if plan["ended"]:
                plan.setdefault("ended_on", today - timedelta(days=rng.randint(1, 700)))
                plan["ended_on"] = min(max(plan["ended_on"], plan["started_on"]), today)
        return rows


# --------------------------------------------------------------------------------- building

PERSON_COLS = ("id", "rrn", "surname", "given_name", "birth_date", "sex", "is_bis", "language",
               "aligned_at", "created_at")
RELATION_COLS = ("id", "person_id", "government_id", "category", "type", "email", "phone",
                 "note", "started_on", "ended_on", "end_reason")
GRANT_COLS = ("id", "relation_id", "government_id", "right_id", "start", "end", "reason", "created_at",
              "revoked_at", "revoked_on", "revoke_reason")


def bulk_load(engine: Engine, table, cols: tuple[str, ...], rows: list) -> None:
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            quoted = ", ".join(f'"{c}"' for c in cols)
            with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    stmt = insert(table)
    with engine.begin() as conn:
        for i in range(0, len(rows), 50_000):
            conn.execute(stmt, [dict(zip(cols, row)) for row in rows[i:i + 50_000]])


def build(engine: Engine, url: str, params: dict) -> None:
    t0 = time.perf_counter()
    db.upgrade(url)
    factory = db.session_factory(engine)
    today = date.fromisoformat(params["today"])
    with db.unit_of_work(factory) as session:
        demo.seed(session, FileRegister(), on=today)
    log(f"migrations, governments, catalog, demo people: {time.perf_counter() - t0:.1f} s")
    with engine.connect() as conn:
        govs = [tuple(r) for r in conn.execute(select(
            Government.id, Government.code, Government.kind, Government.nis_code)
            .order_by(Government.id))]
        rights = {c: (i, m) for c, i, m in conn.execute(select(Right.code, Right.id, Right.max_days))}
        taken = set(conn.scalars(select(Person.rrn)))
        max_person = conn.scalar(select(func.max(Person.id))) or 0
        max_relation = conn.scalar(select(func.max(Relation.id))) or 0
        max_grant = conn.scalar(select(func.max(Grant.id))) or 0

    gen = Generator(params["persons"], params["grants"], params["seed"], today)
    t = time.perf_counter()
    persons = gen.persons(max_person + 1, taken)
    plans = gen.relations(persons, max_relation + 1, govs)
    grant_rows = gen.grant_rows(plans, rights)
    for i, row in enumerate(grant_rows):
        row[0] = max_grant + 1 + i
    relation_rows = [
        (p["id"], p["person_id"], p["gov"][0], p["category"], p["type"],
         f"{p['given'].lower()}.{p['surname'].lower().replace(' ', '')}{p['id']}@bestuur.be",
         None, None, p["started_on"], p["ended_on"] if p["ended"] else None,
         "uit dienst" if p["ended"] else None)
        for p in plans]
    log(f"generated {len(persons)} persons, {len(relation_rows)} relations, "
        f"{len(grant_rows)} grants: {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    bulk_load(engine, Person.__table__, PERSON_COLS, persons)
    bulk_load(engine, Relation.__table__, RELATION_COLS, relation_rows)
    bulk_load(engine, Grant.__table__, GRANT_COLS, grant_rows)
    with engine.begin() as conn:  # one period per generated grant: no extension history
        conn.execute(text('INSERT INTO grant_period (grant_id, start, "end") '
                          'SELECT id, start, "end" FROM "grant" WHERE id > :after'),
                     {"after": max_grant})
    log(f"loaded: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("person", "relation", "grant"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT max(id) FROM \"{table}\"))")
        conn.exec_driver_sql("CREATE TABLE bench_meta (params TEXT NOT NULL)")
        conn.execute(text("INSERT INTO bench_meta (params) VALUES (:p)"),
                     {"p": json.dumps(params, sort_keys=True)})
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    log(f"finished (sequences, vacuum/analyze on PostgreSQL): {time.perf_counter() - t:.1f} s")


def stored_params(engine: Engine) -> dict | None:
    try:
        with engine.connect() as conn:
            raw = conn.exec_driver_sql("SELECT params FROM bench_meta").scalar()
    except Exception:
        return None
    return json.loads(raw) if raw else None


def prepare_sqlite(params: dict, rebuild: bool) -> tuple[Engine, str, dict]:
    OUT.mkdir(exist_ok=True)
    key = f"p{params['persons']}-g{params['grants']}-s{params['seed']}-v{GENERATOR_VERSION}"
    path = OUT / f"rights_store-{key}.sqlite"
    if rebuild and path.exists():
        path.unlink()
    if path.exists():
        url = f"sqlite:///{path}"
        engine = db.make_engine(url)
        stored = stored_params(engine)
        if stored and all(stored[k] == params[k] for k in ("persons", "grants", "seed", "version")):
            log(f"reusing {path.relative_to(ROOT)} (built for {stored['today']})")
            db.upgrade(url)
            return engine, url, stored
        engine.dispose()
        path.unlink()
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{tmp}"
    engine = db.make_engine(url)
    log(f"building {path.relative_to(ROOT)}")
    build(engine, url, params)
    engine.dispose()  # the last connection to close checkpoints and removes the WAL
    tmp.rename(path)
    url = f"sqlite:///{path}"
    db.upgrade(url)
    return db.make_engine(url), url, params


def prepare_postgresql(params: dict, url: str, rebuild: bool) -> tuple[Engine, str, dict]:
    target = make_url(url)
    admin = db.make_engine(target.set(database="postgres").render_as_string(hide_password=False),
                           isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": target.database}).scalar()
    if exists and not rebuild:
        engine = db.make_engine(url)
        stored = stored_params(engine)
        if stored and all(stored[k] == params[k] for k in ("persons", "grants", "seed", "version")):
            log(f"reusing database {target.database} (built for {stored['today']})")
            db.upgrade(url)
            admin.dispose()
            return engine, url, stored
        engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    engine = db.make_engine(url)
    log(f"building database {target.database}")
    build(engine, url, params)
    return engine, url, params


# -------------------------------------------------------------------------------- measuring

def describe(engine: Engine) -> dict:
    with engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()
                  for t in ("person", "relation", "grant", "audit_event")}
        if engine.dialect.name == "postgresql":
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            version = f"PostgreSQL {version}"
        else:
            version = "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()
    return {"version": version, **counts}


def state_mix(session, today: date) -> dict[str, int]:
    from attribute_authority.states import state_condition
    return {s: session.scalar(select(func.count(Grant.id)).where(state_condition(s, today)))
            for s in STATES}


def bench_attribute_query(engine, factory, today, samples, rng, explain) -> dict:
    with factory() as session:
        top = session.scalar(select(func.max(Relation.id)))
        picks = []
        while len(picks) < samples:
            ids = [rng.randint(1, top) for _ in range(min(samples, 5000))]
            picks += session.execute(
                select(Person.rrn, Government.code).join(Relation, Relation.person_id == Person.id)
                .join(Government, Government.id == Relation.government_id)
                .where(Relation.id.in_(ids), Relation.ended_on.is_(None))).all()
        picks = picks[:samples]
    rng.shuffle(picks)
    results = {}
    # As the AA endpoint calls it: one session (and on SQLite one transaction) per query.
    times, found = [], 0
    for i, (rrn, gov) in enumerate(picks[: min(300, len(picks))] + picks):
        with factory() as session:
            t = time.perf_counter()
            with session.begin():
                got = rights_query.active_rights(session, rrn, "demo-app", today, [gov])
            dt = time.perf_counter() - t
        if i >= min(300, len(picks)):
            times.append(dt)
            found += bool(got)
    results["aq_session"] = (times, found)
    # The statement alone, in one long-lived session.
    times = []
    with factory() as session:
        for i, (rrn, gov) in enumerate(picks[:300] + picks):
            t = time.perf_counter()
            rights_query.active_rights(session, rrn, "demo-app", today, [gov])
            dt = time.perf_counter() - t
            if i >= 300:
                times.append(dt)
    results["aq_stmt"] = (times, None)
    if explain:
        rrn, gov = picks[0]
        with factory() as session, captured(engine) as seen:
            rights_query.active_rights(session, rrn, "demo-app", today, [gov])
        results["aq_plan"] = explain_all(engine, seen)
    return results


def bench_search(engine, factory, today, samples, rng, explain) -> dict:
    with factory() as session:
        sizes = dict(session.execute(
            select(Government.code, func.count(Relation.id))
            .join(Relation, Relation.government_id == Government.id).group_by(Government.code)).all())
        ids = dict(session.execute(select(Government.code, Government.id)).all())
    codes = sorted(sizes)
    out = {}
    for label, pick in (("random", lambda: rng.choice(codes)), ("big", lambda: BIG_GOVERNMENT)):
        times: dict[str, list[float]] = {s: [] for s in STATES}
        with factory() as session:
            for i in range(samples + 40):
                code, state = pick(), STATES[i % len(STATES)]
                scope = authz.EVERYTHING if i % 2 else authz.Scope(False, frozenset({ids[code]}))
                t = time.perf_counter()
                grants.search(session, scope, GrantFilter(government=code, state=state),
                              on=today, limit=100)
                dt = time.perf_counter() - t
                session.expunge_all()  # every admin page view starts from an empty session
                if i >= 40:
                    times[state].append(dt)
        out[label] = times
    out["sizes"] = (len(codes), sizes.get(BIG_GOVERNMENT, 0), statistics.median(sizes.values()))
    if explain:
        plans = {}
        for state in STATES:
            for scope_name, scope in (("everything", authz.EVERYTHING),
                                      ("local", authz.Scope(False, frozenset({ids[BIG_GOVERNMENT]})))):
                with factory() as session, captured(engine) as seen:
                    grants.search(session, scope, GrantFilter(government=BIG_GOVERNMENT, state=state),
                                  on=today, limit=100)
                plans[f"{state}/{scope_name}"] = explain_all(engine, seen)
        out["plans"] = plans
    return out


def bench_bulk(engine, factory, today, size, explain) -> dict:
    with factory() as session:
        gov_id = session.scalar(select(Government.id).where(Government.code == BIG_GOVERNMENT))
        admin_rrn = session.scalar(
            select(Person.rrn).join(Relation, Relation.person_id == Person.id)
            .join(Grant, Grant.relation_id == Relation.id).join(Right, Right.id == Grant.right_id)
            .where(Relation.government_id == gov_id, Relation.ended_on.is_(None),
                   Right.code == authz.LOCAL_ADMIN_RIGHT, Grant.start <= today,
                   Grant.end >= today, Grant.revoked_on.is_(None)).limit(1))
    out: dict = {"admin": admin_rrn}
    # Step 1, one request: the administrator lists the candidates.
    with factory() as session:
        actor = authz.actor_for(session, admin_rrn)
        t = time.perf_counter()
        cands = bulk.candidates(session, actor, BIG_GOVERNMENT, BULK_RIGHT, on=today)
        out["candidates_s"] = time.perf_counter() - t
        out["candidates_n"] = len(cands)
        chosen = [c.relation.id for c in cands if not c.holds_already][:size]
    out["n"] = len(chosen)
    # Step 2, the next request: confirm. One transaction, audit rows and commit included.
    with factory() as session:
        head = session.get(AuditHead, 1)
        last_id, last_hash = head.last_id, head.last_hash
        max_grant = session.scalar(select(func.max(Grant.id)))
    with captured(engine) as seen:
        with factory() as session:
            t = time.perf_counter()
            with session.begin():
                actor = authz.actor_for(session, admin_rrn)
                created = bulk.grant_many(session, actor, BIG_GOVERNMENT, BULK_RIGHT, chosen,
                                          reason="benchmark", on=today)
                t_service = time.perf_counter()
                session.flush()
                t_flush = time.perf_counter()
            t_commit = time.perf_counter()
    out["grant_many_s"] = t_service - t
    out["flush_s"] = t_flush - t_service
    out["commit_s"] = t_commit - t_flush
    out["total_s"] = t_commit - t
    out["created"] = len(created)
    out["statements"] = len(seen)
    if explain:
        selects = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
        out["plans"] = explain_all(engine, selects)
    # Put the store back as it was, so the next run measures the same data.
    with engine.begin() as conn:
        audit_ids = conn.exec_driver_sql(
            f"SELECT count(*) FROM audit_event WHERE id > {last_id}").scalar()
        conn.exec_driver_sql(f"DELETE FROM audit_event WHERE id > {last_id}")
        conn.exec_driver_sql(f'DELETE FROM "grant" WHERE id > {max_grant}')
        conn.execute(text("UPDATE audit_head SET last_id = :i, last_hash = :h WHERE id = 1"),
                     {"i": last_id, "h": last_hash})
    out["audit_rows"] = audit_ids
    return out


def explain_all(engine: Engine, seen) -> list[tuple[str, str]]:
    plans = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, params in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if engine.dialect.name == "postgresql":
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
                plan = "\n".join(r[0] for r in cur.fetchall())
            else:
                cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                plan = "\n".join(f"{r[1]:>3} {r[3]}" for r in cur.fetchall())
            short = " ".join(statement.split())
            plans.append((short[:160] + ("…" if len(short) > 160 else ""), plan))
        raw.rollback()
    finally:
        raw.close()
    return plans


def run(kind: str, args, params: dict) -> dict:
    print(f"\n== {kind} ==", flush=True)
    t = time.perf_counter()
    if kind == "sqlite":
        engine, url, stored = prepare_sqlite(params, args.rebuild)
    else:
        engine, url, stored = prepare_postgresql(params, args.pg_url, args.rebuild)
    setup_s = time.perf_counter() - t
    today = date.fromisoformat(stored["today"])
    factory = db.session_factory(engine)
    info = describe(engine)
    with factory() as session:
        info["mix"] = state_mix(session, today)
    log(f"{info['version']}: {info['person']} persons, {info['relation']} relations, "
        f"{info['grant']} grants; ready in {setup_s:.1f} s")
    rng = random.Random(args.seed + 1)
    res = {"info": info, "setup_s": setup_s, "today": today}
    if args.freeze_gc:
        gc.collect()
        gc.freeze()
    log("AttributeQuery read …")
    res["aq"] = bench_attribute_query(engine, factory, today, args.samples, rng, args.explain)
    log("grant search …")
    res["search"] = bench_search(engine, factory, today, args.search_samples, rng, args.explain)
    log("bulk grant …")
    runs = [bench_bulk(engine, factory, today, args.bulk, args.explain and i == 0)
            for i in range(args.bulk_runs)]
    res["bulk"] = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]  # the median run
    res["bulk"]["plans"] = runs[0].get("plans", [])
    res["bulk"]["totals"] = [r["total_s"] for r in runs]
    engine.dispose()
    return res


def report(results: dict[str, dict], args) -> None:
    print("\n" + "=" * 96)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
          f"SQLAlchemy {sqlalchemy.__version__}; gc {'frozen after setup' if args.freeze_gc else 'default'}")
    for kind, res in results.items():
        info = res["info"]
        mix = ", ".join(f"{s} {n}" for s, n in info["mix"].items())
        print(f"{kind}: {info['version']}; {info['person']} persons, {info['relation']} relations, "
              f"{info['grant']} grants ({mix} on {res['today']}); {info['audit_event']} audit rows")
    kinds = list(results)
    rows: list[tuple[str, list[str], str]] = []

    def line(label, values, target=""):
        rows.append((label, values, target))

    line("AttributeQuery read, p50 (session per query)",
         [fmt_ms(pct(r["aq"]["aq_session"][0], 50)) for r in results.values()], "< 1 ms")
    line("AttributeQuery read, p99 (session per query)",
         [fmt_ms(pct(r["aq"]["aq_session"][0], 99)) for r in results.values()])
    line("AttributeQuery statement, p50 (one session)",
         [fmt_ms(pct(r["aq"]["aq_stmt"][0], 50)) for r in results.values()], "< 1 ms")
    line("AttributeQuery statement, p99 (one session)",
         [fmt_ms(pct(r["aq"]["aq_stmt"][0], 99)) for r in results.values()])
    line("  samples / with demo-app rights",
         [f"{len(r['aq']['aq_session'][0])} / {r['aq']['aq_session'][1]}" for r in results.values()])
    for label in ("random", "big"):
        name = "random government" if label == "random" else f"{BIG_GOVERNMENT} (largest)"
        alltimes = [[t for ts in r["search"][label].values() for t in ts] for r in results.values()]
        line(f"grant search, {name}, p50", [fmt_ms(pct(ts, 50)) for ts in alltimes])
        line(f"grant search, {name}, p99", [fmt_ms(pct(ts, 99)) for ts in alltimes], "< 50 ms")
        for state in STATES:
            line(f"  state={state} p99",
                 [fmt_ms(pct(r["search"][label][state], 99)) for r in results.values()])
    line("  governments / relations of largest / median",
         ["{} / {} / {:.0f}".format(*r["search"]["sizes"]) for r in results.values()])
    line("bulk: list candidates (bulk.candidates)",
         [f"{r['bulk']['candidates_s']:.2f} s ({r['bulk']['candidates_n']})" for r in results.values()])
    line("bulk grant: grant_many + flush + commit, median",
         [f"{r['bulk']['total_s']:.2f} s" for r in results.values()], "< 5 s")
    line("  all runs",
         [" ".join(f"{t:.2f}" for t in r["bulk"]["totals"]) + " s" for r in results.values()])
    line("  median run: grant_many / flush / commit",
         [f"{r['bulk']['grant_many_s']:.2f} / {r['bulk']['flush_s']:.2f} / {r['bulk']['commit_s']:.2f} s"
          for r in results.values()])
    line("  grants / audit rows / SQL statements",
         [f"{r['bulk']['created']} / {r['bulk']['audit_rows']} / {r['bulk']['statements']}"
          for r in results.values()])
    line("setup (build or reuse + migrate)", [f"{r['setup_s']:.1f} s" for r in results.values()])
    width = max(len(r[0]) for r in rows) + 2
    colw = 26
    print()
    print("".ljust(width) + "".join(k.ljust(colw) for k in kinds) + "target")
    for label, values, target in rows:
        print(label.ljust(width) + "".join(v.ljust(colw) for v in values) + target)
    if args.explain:
        for kind, res in results.items():
            print(f"\n---- query plans, {kind} ----")
            print("\n# AttributeQuery read")
            for stmt, plan in res["aq"]["aq_plan"]:
                print(f"{stmt}\n{plan}\n")
            for name, plans in res["search"]["plans"].items():
                print(f"# grant search {BIG_GOVERNMENT} {name}")
                for _stmt, plan in plans:
                    print(f"{plan}\n")
            print("# bulk grant (selects)")
            for stmt, plan in res["bulk"]["plans"]:
                print(f"{stmt}\n{plan}\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--grants", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--samples", type=int, default=5000, help="AttributeQuery reads per mode")
    ap.add_argument("--search-samples", type=int, default=400, help="searches per government kind")
    ap.add_argument("--bulk", type=int, default=10_000, help="relations in the bulk grant")
    ap.add_argument("--bulk-runs", type=int, default=3, help="bulk grants (each undone after)")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    ap.add_argument("--rebuild", action="store_true", help="regenerate even if cached")
    ap.add_argument("--explain", action="store_true", help="print the query plans")
    ap.add_argument("--freeze-gc", action="store_true",
                    help="gc.freeze() after setup, as a preloading server would: without it the "
                         "p99 figures include full (generation 2) garbage collections")
    args = ap.parse_args(argv)
    params = {"persons": args.persons, "grants": args.grants, "seed": args.seed,
              "version": GENERATOR_VERSION, "today": clock.today().isoformat()}
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {kind: run(kind, args, params) for kind in kinds}
    report(results, args)


if __name__ == "__main__":
    main()
