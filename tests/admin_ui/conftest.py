"""Admin UI fixtures: each test gets a database of its own with the demo data (the app commits
per request, so nothing can be rolled back afterwards) and an app with only the admin blueprint."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from support.admin import Jobs, build_app

from attribute_authority.db import make_engine


@pytest.fixture
def seeded_url(databases, register):
    """A migrated database of the test's own with the demo data."""
    return databases.seeded(register)


@pytest.fixture
def jobs():
    return Jobs()


@pytest.fixture
def app(seeded_url, register, jobs):
    app = build_app(seeded_url, register, jobs)
    yield app
    app.extensions["test.engine"].dispose()


@pytest.fixture
def db(seeded_url):
    """A session to look at what the app committed. On SQLite it uses the driver's own deferred
    transactions, so that the test's reads never hold the write lock the app needs."""
    engine = create_engine(seeded_url) if seeded_url.startswith("sqlite") else make_engine(seeded_url)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


