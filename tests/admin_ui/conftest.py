"""Admin UI test apps: one Flask app with only the admin blueprint, on the demo database of the
test run. Each test works in its own copy-free way: changes are committed (the app commits per
request), so tests that change data use `fresh_app` on a database of their own."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from admin_ui import AdminConfig, create_blueprint
from attribute_authority import demo
from attribute_authority.db import make_engine, session_factory

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Jobs:
    """Collects server-side jobs so a test runs them when it chooses."""

    def __init__(self) -> None:
        self.waiting = []

    def __call__(self, fn) -> None:
        self.waiting.append(fn)

    def run_all(self) -> None:
        while self.waiting:
            self.waiting.pop(0)()


def build_app(url: str, register, jobs: Jobs | None = None, **config) -> Flask:
    app = Flask("admin-test")
    app.config.update(SECRET_KEY="test-secret", TESTING=True)
    engine = make_engine(url)
    app.extensions["test.engine"] = engine
    app.extensions["test.db"] = session_factory(engine)
    settings = dict(base_url="http://localhost", dev_sign_in=True)
    settings.update(config)
    app.register_blueprint(create_blueprint(session_factory=app.extensions["test.db"],
                                            national_register=register,
                                            config=AdminConfig(**settings), run_job=jobs or Jobs()),
                           url_prefix="/admin")
    return app


@pytest.fixture
def seeded_url(databases, register):
    """A migrated database of the test's own with the demo data."""
    from attribute_authority.db import upgrade
    url = databases.new()
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as s, s.begin():
        demo.seed(s, register)
    engine.dispose()
    return url


@pytest.fixture
def jobs():
    return Jobs()


@pytest.fixture
def app(seeded_url, register, jobs):
    app = build_app(seeded_url, register, jobs)
    yield app
    app.extensions["test.engine"].dispose()


@pytest.fixture
def db(app):
    """A session to look at what the app committed."""
    factory = app.extensions["test.db"]
    with factory() as s:
        yield s


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(client, path="/admin/sign-in/dev") -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, rrn: str, government: str):
    """Sign in through complete_sign_in, via the stand-in sign-in page."""
    token = csrf(client)
    response = client.post("/admin/sign-in/dev", data={"csrf_token": token, "rrn": rrn,
                                                         "government": government})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def post(client, path: str, data: dict | None = None, **kw):
    """POST with a valid CSRF token taken from a page of the session."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client, "/admin/signed-out"))
    return client.post(path, data=data, **kw)


IDLE = timedelta(minutes=30)
