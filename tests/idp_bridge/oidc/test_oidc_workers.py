"""Production shape for the OpenID Provider (issue 12, "sessions and codes in Redis with two
gunicorn workers"): one gunicorn with two sync workers on one socket, as deploy/gunicorn.conf.py
runs it, Redis for sessions and protocol state. Sync workers close every connection, so each
request is a fresh connection the kernel hands to either worker; the test's entry
(`support.worker_app`) names the answering worker, and the flow is repeated until every step
that depends on shared state has been seen landing on the other worker than the step before:
the code (issued on one, redeemed on the other), the session (signed in on one, reused on the
other), the access token, the refresh token and the assertion's jti (a replay on the other
worker is still refused)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from support import BART, MERELBEKE, free_port
from support.bridge import REDIS_URL, form_of
from support.oidc import REDIRECT, authorize_url, client_assertion, random_code, register_client

from attribute_authority.db import make_engine, session_factory

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ROUNDS = 30


@pytest.fixture
def gunicorn_two_workers(tmp_path, demo_url, redis_client):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IDBEHEER_HOME": str(tmp_path / "home"), "IDBEHEER_DATABASE_URL": demo_url,
           "IDBEHEER_REDIS_URL": REDIS_URL, "IDBEHEER_BASE_URL": base,
           "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"), "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
           "IDBEHEER_SECRET_KEY": "two-oidc-workers", "IDBEHEER_BIND": f"127.0.0.1:{port}",
           "IDBEHEER_WORKERS": "2", "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    log = (tmp_path / "gunicorn.log").open("wb")
    config = str(ROOT / "deploy" / "gunicorn.conf.py")
    proc = subprocess.Popen([gunicorn, "-c", config, "support.worker_app:app"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        workers: set[str] = set()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            try:
                workers.add(requests.get(base + "/healthz", timeout=5).headers["X-Test-Worker"])
            except requests.RequestException:
                time.sleep(0.2)
        if len(workers) < 2:
            pytest.fail("gunicorn's two workers did not both answer: "
                        + (tmp_path / "gunicorn.log").read_text()[-2000:])
        yield base
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


class Rp:
    """The application, over HTTP: private_key_jwt at the token endpoint."""

    def __init__(self, base: str, client_id: str, key) -> None:
        self.base, self.client_id, self.key = base, client_id, key
        self.token_url = base + "/oidc/token"

    def assertion(self) -> str:
        return client_assertion(self.key, self.client_id, self.token_url)

    def token(self, assertion: str | None = None, **form) -> requests.Response:
        auth = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion or self.assertion()}
        return requests.post(self.token_url, data={**form, **auth}, timeout=10)


def worker(response: requests.Response) -> str:
    return response.headers["X-Test-Worker"]


def _code_of(response: requests.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return parse_qs(urlsplit(location).query)["code"][0]


def sign_in(base: str, browser: requests.Session, rp: Rp, seen: list[str]) -> requests.Response:
    """The browser's journey: authorize -> dev_eid -> ACS -> capacity -> the code's redirect,
    each request on whichever worker takes it (their workers appended to `seen`)."""
    def hop(response):
        seen.append(worker(response))
        return response

    start = hop(browser.get(base + authorize_url(rp), allow_redirects=False))
    assert start.status_code == 302, start.text[:500]
    page = hop(browser.get(urljoin(base, start.headers["Location"])))
    action, fields = form_of(page.content)
    autopost = hop(browser.post(urljoin(page.url, action), data={**fields, "rrn": BART, "method": "eid"}))
    action, fields = form_of(autopost.content)
    acs = hop(browser.post(action, data=fields, allow_redirects=False))
    assert acs.status_code == 303, acs.text[:500]
    choice = hop(browser.get(base + "/idp/capacity"))
    action, fields = form_of(choice.content)
    # answered at once with the code's redirect (web.Bridge.after_choice)
    return hop(browser.post(base + "/idp/capacity", data={**fields, "capacity": MERELBEKE},
                            allow_redirects=False))


def test_oidc_code_flow_across_two_gunicorn_workers_with_redis(gunicorn_two_workers, demo_url):
    base = gunicorn_two_workers
    engine = make_engine(demo_url)
    code = random_code()
    try:
        _secret, key = register_client(session_factory(engine), code)
    finally:
        engine.dispose()
    rp = Rp(base, code, key)
    jwks = KeySet.import_key_set(requests.get(base + "/oidc/jwks", timeout=10).json())
    crossed: set[str] = set()
    for _round in range(MAX_ROUNDS):
        browser = requests.Session()
        journey: list[str] = []
        answer = sign_in(base, browser, rp, journey)
        if len(set(journey)) > 1:
            crossed.add("session")  # the sign-in itself moved between workers
        tokens = rp.token(grant_type="authorization_code", code=_code_of(answer), redirect_uri=REDIRECT)
        assert tokens.status_code == 200, tokens.text
        if worker(tokens) != worker(answer):
            crossed.add("code")
        claims = jwt.decode(tokens.json()["id_token"], jwks, algorithms=["RS256"]).claims
        assert claims["government"] == MERELBEKE and claims["nonce"] == "n-1"
        bearer = {"Authorization": "Bearer " + tokens.json()["access_token"]}
        # userinfo changes nothing: asked again until the other worker answers (the worker that
        # just answered tends to take the next connection too)
        for _try in range(MAX_ROUNDS):
            info = requests.get(base + "/oidc/userinfo", headers=bearer, timeout=10)
            assert info.status_code == 200 and info.json()["sub"] == claims["sub"], info.text
            if worker(info) != worker(tokens):
                crossed.add("access token")
                break
        # the session, from the other worker perhaps: a second code without a sign-in
        again = browser.get(base + authorize_url(rp, state="st-2"), allow_redirects=False)
        if worker(again) != journey[-1]:
            crossed.add("session reused")
        assertion = rp.assertion()
        refreshed = rp.token(assertion, grant_type="refresh_token",
                             refresh_token=tokens.json()["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        if worker(refreshed) != worker(tokens):
            crossed.add("refresh token")
        replayed = rp.token(assertion, grant_type="authorization_code", code=_code_of(again),
                            redirect_uri=REDIRECT)
        assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_client", replayed.text
        if worker(replayed) != worker(refreshed):
            crossed.add("jti")
        reused = rp.token(grant_type="authorization_code", code=_code_of(answer), redirect_uri=REDIRECT)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant", reused.text
        assert requests.get(base + "/oidc/userinfo", headers=bearer, timeout=10).status_code == 401
        if crossed >= {"session", "code", "access token", "session reused", "refresh token", "jti"}:
            break
    else:
        pytest.fail(f"in {MAX_ROUNDS} rounds only these steps moved between workers: {sorted(crossed)}")
