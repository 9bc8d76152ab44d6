"""Test databases: SQLite by default, PostgreSQL when IDBEHEER_TEST_DATABASE_URL names a server
(e.g. postgresql+psycopg://postgres@127.0.0.1/postgres). Each run makes its own databases."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from support import DatabaseMaker, seeded

from attribute_authority import clock
from attribute_authority.db import make_engine, upgrade
from attribute_authority.national_register import FileRegister

SERVER_URL = os.environ.get("IDBEHEER_TEST_DATABASE_URL", "")


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
    return seeded(databases.new(), register)


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
    url = databases.new()
    upgrade(url)
    return url


@pytest.fixture
def today():
    return clock.today()
