"""Admin sessions are kept server-side (#10.5): "Afmelden" deletes the session, so a copied
cookie opens nothing afterwards; signing in gives a new session ID; the cookie is HttpOnly,
SameSite=Lax, and Secure over https. On each store the service uses: this process's memory (a
bare blueprint), cachelib's files (the embedded default) and Redis (production)."""
import os

import pytest
import redis
from cachelib import FileSystemCache
from support import AN, BART, MERELBEKE
from support.admin import build_app, post, sign_in

from admin_ui.session_store import COOKIE_NAME, KEY_PREFIX

REDIS_URL = os.environ.get("IDBEHEER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["memory", "files", "redis"])
def backend(request, tmp_path):
    if request.param == "memory":
        yield None
    elif request.param == "files":
        yield "cachelib", FileSystemCache(str(tmp_path / "admin_sessions"))
    else:
        client = redis.Redis.from_url(REDIS_URL)
        yield "redis", client
        for key in client.scan_iter(KEY_PREFIX + "*"):
            client.delete(key)


@pytest.fixture
def app(seeded_url, register, jobs, backend):
    app = build_app(seeded_url, register, jobs, session_backend=backend)
    yield app
    app.extensions["test.engine"].dispose()


def _cookie(client) -> str:
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None, "no admin session cookie"
    return cookie.value


def _browser_with(app, cookie: str):
    """Another browser that was handed a copy of the cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE_NAME, cookie, domain="localhost")
    return other


def test_a_copied_cookie_opens_nothing_after_afmelden(app, client):
    sign_in(client, AN, MERELBEKE)
    copied = _cookie(client)
    assert _browser_with(app, copied).get("/admin/people/" + BART).status_code == 200  # the risk
    post(client, "/admin/sign-out")
    replayed = _browser_with(app, copied).get("/admin/people/" + BART)
    assert replayed.status_code == 302 and "/idp/sso?" in replayed.location
    assert client.get("/admin/people/" + BART).status_code == 302


def test_signing_in_gives_a_new_session_id(app, client):
    client.get("/admin/sign-in")
    before = _cookie(client)  # the session that holds the outstanding AuthnRequest
    sign_in(client, AN, MERELBEKE)
    after = _cookie(client)
    assert after != before
    assert _browser_with(app, before).get("/admin/").status_code == 302  # a fixed ID gets nothing
    assert _browser_with(app, after).get("/admin/").status_code == 200


def test_the_session_data_is_not_in_the_cookie(client):
    sign_in(client, AN, MERELBEKE)
    assert AN not in _cookie(client) and "." not in _cookie(client)  # an ID, not signed data


def _set_cookie(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME + "=")]
    return header


def test_the_cookie_is_httponly_and_samesite_lax_for_real(client):
    header = _set_cookie(client.get("/admin/sign-in"))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_over_https_the_cookie_is_secure(seeded_url, register):
    app = build_app(seeded_url, register, base_url="https://idbeheer.example.be")
    header = _set_cookie(app.test_client().get("/admin/sign-in", base_url="https://idbeheer.example.be"))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    app.extensions["test.engine"].dispose()


def test_while_redis_is_down_the_admin_ui_says_so_clearly(seeded_url, register):
    """Sessions on a Redis that cannot be reached: a 503 page, never a 500 from the store."""
    down = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    app = build_app(seeded_url, register, session_backend=("redis", down))
    client = app.test_client()
    client.set_cookie(COOKIE_NAME, "some-session-id", domain="localhost")
    page = client.get("/admin/people/" + BART)
    assert page.status_code == 503
    assert "Probeer het binnen enkele minuten opnieuw" in page.get_data(as_text=True)
    app.extensions["test.engine"].dispose()
