"""Vocabulary of the admin UI tests: a test app with only the admin blueprint, signing in over
SAML at /admin/acs with a stand-in bridge (tests/support/sp.py: the answer the bridge would
sign), and CSRF tokens taken from pages. The whole journey through the real bridge is in
tests/idbeheer/test_admin_sso.py."""
from __future__ import annotations

import re

from flask import Flask

from admin_ui import AdminConfig, create_account_blueprint, create_blueprint
from attribute_authority.db import make_engine, session_factory
from samlkit.keys import KeyPair, self_signed_keypair
from samlkit.replay import MemoryStore
from support.sp import StubIdp, employee

_KEYS: dict[str, KeyPair] = {}


def key_pair(name: str) -> KeyPair:
    """A key pair per name, made once per test process."""
    if name not in _KEYS:
        from cryptography.hazmat.primitives.asymmetric import rsa

        _KEYS[name] = self_signed_keypair(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                                          f"test {name}", days=2)
    return _KEYS[name]


def bridge() -> StubIdp:
    """The stand-in bridge every test app of the admin UI trusts."""
    return StubIdp(key_pair("bridge"))

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
    settings = dict(base_url="http://localhost", keypairs=(key_pair("admin"),),
                    idp_metadata=bridge().metadata_xml, replay=MemoryStore())
    settings.update(config)
    app.register_blueprint(create_blueprint(session_factory=app.extensions["test.db"],
                                            national_register=register,
                                            config=AdminConfig(**settings), run_job=jobs or Jobs()),
                           url_prefix="/admin")
    app.register_blueprint(create_account_blueprint(), url_prefix="/account")
    return app


def csrf(client, path="/admin/signed-out") -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in_answer(client, rrn: str, government: str, path: str = "/admin/sign-in", **change):
    """Follow the admin UI to the bridge and POST back what the bridge would answer."""
    to_bridge = client.get(path)
    assert to_bridge.status_code == 302, to_bridge.get_data(as_text=True)[:500]
    attributes = change.pop("attributes", None) or employee(rrn, government)
    return client.post("/admin/acs", data=bridge().answer(to_bridge.location, attributes, **change))


def sign_in(client, rrn: str, government: str, path: str = "/admin/sign-in"):
    """Sign in over SAML; returns the ACS's redirect to where the administrator was going."""
    response = sign_in_answer(client, rrn, government, path)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def post(client, path: str, data: dict | None = None, **kw):
    """POST with a valid CSRF token taken from a page of the session."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client, "/admin/signed-out"))
    return client.post(path, data=data, **kw)

