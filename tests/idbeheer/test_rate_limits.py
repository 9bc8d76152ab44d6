"""Rate limits (issue 10.12): N requests pass, the next is a 429 with Retry-After and a clear
page, another client (or another issuer at /aa/soap) is not affected; in Redis two app
instances count together, as gunicorn workers behind one nginx do."""
from __future__ import annotations

import io
import os
import uuid

import pytest

from idbeheer.app import create_app
from idbeheer.settings import from_env

REDIS_URL = os.environ.get("IDBEHEER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
N = 3


def _settings(tmp_path, url, **env):
    return from_env({"IDBEHEER_HOME": str(tmp_path / "var"), "IDBEHEER_DATABASE_URL": url,
                     "IDBEHEER_BASE_URL": "http://localhost",
                     "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
                     "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"), **env})


@pytest.fixture(scope="module")
def url(databases, register):
    return databases.seeded(register)


@pytest.fixture(scope="module")
def app(url, tmp_path_factory):
    limits = {f"IDBEHEER_RATE_LIMIT_{name}": f"{N}/minute"
              for name in ("AA_IP", "SSO", "ACS", "ADMIN_SIGN_IN", "UPLOAD")}
    return create_app(_settings(tmp_path_factory.mktemp("rl"), url, **limits,
                                IDBEHEER_RATE_LIMIT_AA_ISSUER="2/minute"))


def _query(issuer: str) -> bytes:
    return (b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">'
            b'<soap-env:Body><samlp:AttributeQuery xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
            b' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0">'
            b"<saml:Issuer>" + issuer.encode() + b"</saml:Issuer></samlp:AttributeQuery>"
            b"</soap-env:Body></soap-env:Envelope>")


DOORS = {
    "sso": lambda c, **kw: c.get("/idp/sso?SAMLRequest=x", **kw),
    "acs": lambda c, **kw: c.post("/sp/acs", data={"SAMLResponse": "x"}, **kw),
    "admin sign-in": lambda c, **kw: c.get("/admin/sign-in", **kw),
    "csv upload": lambda c, **kw: c.post("/admin/bulk/upload", data={
        "file": (io.BytesIO(b"rrn\n"), "a.csv")}, **kw),
    "aa per client": lambda c, **kw: c.post("/aa/soap", data=_query(f"urn:x:{uuid.uuid4()}"),
                                            content_type="text/xml", **kw),
}


def _from(address: str, **kw) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}, **kw}


@pytest.mark.parametrize("door", DOORS)
def test_the_request_after_the_limit_is_a_429_with_retry_after(app, door):
    send, client = DOORS[door], app.test_client()
    address = f"10.1.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for _ in range(N):
        assert send(client, **_from(address)).status_code != 429
    refused = send(client, **_from(address))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Te veel aanvragen" in refused.get_data(as_text=True)
    english = send(client, **_from(address, headers={"Accept-Language": "en"}))
    assert english.status_code == 429 and "Too many requests" in english.get_data(as_text=True)
    assert "seconds and try again" in english.get_data(as_text=True)
    assert send(app.test_client(), **_from(address + "1")).status_code != 429  # another client


def test_aa_counts_each_claimed_issuer_with_its_client(app):
    client, address = app.test_client(), f"10.2.0.{uuid.uuid4().int % 250}"
    post = lambda issuer, at=address: client.post(  # noqa: E731
        "/aa/soap", data=_query(issuer), content_type="text/xml", **_from(at))
    first, second = f"urn:a:{uuid.uuid4()}", f"urn:b:{uuid.uuid4()}"
    assert [post(first).status_code for _ in range(2)] == [200, 200]  # RequestDenied, in SOAP
    refused = post(first)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert post(second).status_code == 200  # another issuer from the same client
    # The claimed Issuer is not verified yet: from another client it is counted apart, so
    # nobody can use up an application's quota by naming it.
    assert post(first, at=address + "9").status_code == 200


def test_limits_are_settings_and_can_be_turned_off(tmp_path, url):
    settings = _settings(tmp_path, url, IDBEHEER_RATE_LIMIT_SSO="off",
                         IDBEHEER_RATE_LIMIT_ACS="5/second")
    assert (settings.rate_limit_sso, settings.rate_limit_acs) == ("", "5/second")
    assert settings.rate_limit_admin_sign_in == "30/minute"
    with pytest.raises(SystemExit, match="IDBEHEER_RATE_LIMIT_UPLOAD"):
        _settings(tmp_path, url, IDBEHEER_RATE_LIMIT_UPLOAD="lots")
    client = create_app(settings).test_client()
    assert all(client.get("/idp/sso").status_code != 429 for _ in range(150))


def test_two_instances_sharing_redis_count_together(tmp_path, url):
    """Requests spread over two app instances on one Redis are counted once."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.fail(f"this test needs Redis at {REDIS_URL} (IDBEHEER_TEST_REDIS_URL)")
    env = {"IDBEHEER_REDIS_URL": REDIS_URL, "IDBEHEER_RATE_LIMIT_SSO": f"{N}/minute"}
    one = create_app(_settings(tmp_path / "one", url, **env)).test_client()
    two = create_app(_settings(tmp_path / "two", url, **env)).test_client()
    address = f"10.3.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    answers = [(one if i % 2 else two).get("/idp/sso", **_from(address)).status_code
               for i in range(N + 1)]
    assert 429 not in answers[:N] and answers[N] == 429
    assert two.get("/idp/sso", **_from(address)).status_code == 429
    assert one.get("/idp/sso", **_from(address + "7")).status_code != 429


def test_a_concurrent_flood_over_two_instances_lets_exactly_the_limit_through(tmp_path, url):
    """A load test: 8 threads send 40 sign-in requests from one client over two instances
    that share Redis; exactly the limit passes (Redis counts in one atomic step)."""
    from concurrent.futures import ThreadPoolExecutor

    limit = 10
    env = {"IDBEHEER_REDIS_URL": REDIS_URL, "IDBEHEER_RATE_LIMIT_SSO": f"{limit}/minute"}
    apps = [create_app(_settings(tmp_path / name, url, **env)) for name in ("one", "two")]
    address = f"10.4.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"

    def send(i: int) -> int:
        return apps[i % 2].test_client().get("/idp/sso", **_from(address)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(40)))
    assert answers.count(429) == 40 - limit


def test_an_outage_of_the_counters_lets_requests_through(caplog):
    """Rate limits never take the service down: Redis unreachable, the request is served."""
    from limits import parse

    from idbeheer.rate_limits import Limit, RateLimited, door

    def ok(_environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"served"]

    limited = RateLimited(ok, [Limit("sso", parse("1/minute"), door("/idp/sso", "GET"))],
                          "redis://127.0.0.1:1/0")
    from werkzeug.test import Client

    client = Client(limited)
    assert [client.get("/idp/sso").status_code for _ in range(3)] == [200, 200, 200]
    assert "rate limit sso not counted" in caplog.text
