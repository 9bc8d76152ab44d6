"""Units of work: writers queue, readers of the AttributeQuery path never wait for them."""
import threading
import time

from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select
from support import BART

from attribute_authority import rights_query
from attribute_authority.db import make_engine, query_engine, read_only, session_factory, unit_of_work
from attribute_authority.models import Person


def test_reader_does_not_wait_for_a_writer(demo_url):
    engine = make_engine(demo_url)
    writer, reader = session_factory(engine), session_factory(read_only(engine))
    holding, done = threading.Event(), threading.Event()

    def write():
        with unit_of_work(writer) as s:
            s.scalar(select(Person).limit(1)).surname = "Tijdelijk"
            s.flush()
            holding.set()
            done.wait(10)
            s.rollback()

    t = threading.Thread(target=write)
    t.start()
    try:
        assert holding.wait(10)
        started = time.perf_counter()
        with reader() as s:
            assert s.scalar(select(func.count()).select_from(Person)) > 0
        assert time.perf_counter() - started < 1.0
    finally:
        done.set()
        t.join()
        engine.dispose()


def test_two_writers_queue_instead_of_failing(demo_url):
    engine = make_engine(demo_url)
    factory = session_factory(engine)
    errors = []

    def write(i):
        try:
            with unit_of_work(factory) as s:
                person = s.scalar(select(Person).order_by(Person.id).limit(1))
                time.sleep(0.05)
                person.language = "nl"
        except Exception as exc:  # the test reports any failure below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == []


def test_query_engine_reads_in_one_round_trip(demo_url, today, monkeypatch):
    """The AttributeQuery's engine sends its one statement and nothing else: on PostgreSQL no
    BEGIN/ROLLBACK (AUTOCOMMIT) and no ping before use (the AA retries a dropped connection
    instead, see tests/faults); on SQLite the read-only deferred transaction."""
    engine = query_engine(demo_url)
    pings, statements = [], []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(1) or True)
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(2):  # the second checkout is the one a pre-ping would test
        with engine.connect() as conn:
            got = rights_query.answer(conn, BART, "demo-app", today)
            if engine.dialect.name == "postgresql":
                raw = conn.connection.dbapi_connection
                assert raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE
    engine.dispose()
    assert got.rights == ["demo-app-reader@44088"] and not pings
    if engine.dialect.name == "sqlite":  # BEGIN is ours, in process: deferred, not IMMEDIATE
        assert statements[0::2] == ["BEGIN", "BEGIN"]
        statements = statements[1::2]
    assert len(statements) == 2
