"""Units of work: writers queue, readers of the AttributeQuery path never wait for them."""
import threading
import time

from sqlalchemy import func, select

from attribute_authority.db import make_engine, read_only, session_factory, unit_of_work
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
