"""Vocabulary of the admin UI tests: a test app with only the admin blueprint, and signing in
through complete_sign_in (the stand-in sign-in page) with CSRF tokens taken from pages."""
from __future__ import annotations

import re

from flask import Flask

from admin_ui import AdminConfig, create_blueprint
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

