"""Test databases: SQLite by default, PostgreSQL when IDBEHEER_TEST_DATABASE_URL names a server
(e.g. postgresql+psycopg://postgres@127.0.0.1/postgres). Each run makes its own databases."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from support import seeded

from attribute_authority import clock
from attribute_authority.db import make_engine, upgrade
from attribute_authority.national_register import FileRegister

SERVER_URL = os.environ.get("IDBEHEER_TEST_DATABASE_URL", "")


def backend() -> str:
    return "postgresql" if SERVER_URL.startswith("postgresql") else "sqlite"


def pytest_report_header(config) -> str:
    return f"database backend: {backend()}"


class DatabaseMaker:
    """Creates empty databases for one test run and drops them afterwards."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def new(self) -> str:
        name = f"idbeheer_t_{uuid.uuid4().hex[:10]}"
        if backend() == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            return
        admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[DatabaseMaker]:
    maker = DatabaseMaker(tmp_path_factory.mktemp("db"))
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
