"""Test databases: SQLite by default, PostgreSQL when IDBEHEER_TEST_DATABASE_URL names a server
(e.g. postgresql+psycopg://postgres@127.0.0.1/postgres). Each run makes its own databases.

The fast lane, `pytest -m "not slow"`: every test that drives a browser, starts gunicorn or
another subprocess server, or talks to a real peer is marked `slow` here, by folder, file,
marker or fixture, so that a new test in those places is slow without anyone remembering."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from support import DatabaseMaker

from attribute_authority import clock
from attribute_authority.db import make_engine
from attribute_authority.national_register import FileRegister

SERVER_URL = os.environ.get("IDBEHEER_TEST_DATABASE_URL", "")


_TESTS = Path(__file__).parent
# Folders and files whose every test is slow: browsers, real peers, the production stack,
# fault injection (private PostgreSQL/Redis servers), gunicorn workers.
SLOW_PATHS = ("e2e", "interop", "production", "faults", "idp_bridge/test_bridge_browser.py",
              "idp_bridge/test_bridge_workers.py")
SLOW_MARKERS = ("browser", "interop")
SLOW_FIXTURES = ("private_postgres", "private_redis", "chromium", "browser", "page")


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(_TESTS).as_posix()
        if (where.startswith(tuple(p if p.endswith(".py") else p + "/" for p in SLOW_PATHS))
                or any(item.get_closest_marker(m) for m in SLOW_MARKERS)
                or set(SLOW_FIXTURES) & set(getattr(item, "fixturenames", ()))):
            item.add_marker(pytest.mark.slow)


def backend() -> str:
    return "postgresql" if SERVER_URL.startswith("postgresql") else "sqlite"


def pytest_report_header(config) -> str:
    return f"database backend: {backend()}"


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[DatabaseMaker]:
    maker = DatabaseMaker(tmp_path_factory.mktemp("db"), SERVER_URL)
    yield maker
    maker.drop_all()


@pytest.fixture(scope="session")
def register() -> FileRegister:
    return FileRegister()


@pytest.fixture(scope="session")
def demo_url(databases, register) -> str:
    """A migrated database with the demo data, shared read-mostly by the session fixture."""
    return databases.seeded(register)


@pytest.fixture(scope="session")
def demo_engine(demo_url):
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(demo_engine) -> Iterator[Session]:
    """A session on the demo database whose every change is rolled back after the test."""
    with demo_engine.connect() as conn:
        outer = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield s
        finally:
            s.close()
            outer.rollback()


@pytest.fixture
def fresh_url(databases) -> str:
    """An empty, migrated database of the test's own."""
    return databases.migrated()


@pytest.fixture
def today():
    return clock.today()
