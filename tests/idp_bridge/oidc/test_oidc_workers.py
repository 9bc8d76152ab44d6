"""Production shape for the OpenID Provider (issue 12, "sessions and codes in Redis with two
gunicorn workers"): one gunicorn with two sync workers on one socket, as deploy/gunicorn.conf.py
runs it, Redis for sessions and protocol state. The test's entry (`support.worker_app`) names
the answering worker and lets the test hold one worker busy, so each step that depends on
shared state is sent to the other worker than the step before, not left to the kernel (which
tends to hand the next connection to the worker that just answered): the sign-in (started on
one, finished on the other), the code (issued on one, redeemed on the other), the session
(reused on the other), the access token, the refresh token and the assertion's jti (a replay
on the other worker is still refused)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from support import BART, MERELBEKE, free_port
from support.bridge import NO_SIGN_IN_LIMITS, REDIS_URL, form_of
from support.oidc import REDIRECT, authorize_url, client_assertion, random_code, register_client
from support.worker_app import HOLD_PATH

from attribute_authority.db import make_engine, session_factory

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def gunicorn_two_workers(tmp_path, demo_url, redis_client):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IDBEHEER_HOME": str(tmp_path / "home"), "IDBEHEER_DATABASE_URL": demo_url,
           "IDBEHEER_REDIS_URL": REDIS_URL, "IDBEHEER_BASE_URL": base,
           "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"), "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
           "IDBEHEER_SECRET_KEY": "two-oidc-workers", "IDBEHEER_BIND": f"127.0.0.1:{port}",
           "IDBEHEER_WORKERS": "2", **NO_SIGN_IN_LIMITS, "IDBEHEER_TEST_HOLD_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
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
        yield Workers(base, tmp_path)
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


class Workers:
    """The two workers, and a way to send a request to the one that did not answer before."""

    def __init__(self, base: str, hold_dir: Path) -> None:
        self.base, self.hold_dir = base, hold_dir

    def elsewhere(self, busy: str, send: Callable[[], requests.Response]) -> requests.Response:
        """`send()`'s answer, from the worker other than `busy` (held until `send` returns)."""
        held: list[requests.Response] = []

        def hold() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                answer = requests.get(self.base + HOLD_PATH, params={"pid": busy}, timeout=30)
                if answer.status_code == 200:
                    held.append(answer)
                    return

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        marker = self.hold_dir / busy
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert time.monotonic() < deadline and holder.is_alive(), f"worker {busy} could not be held"
            time.sleep(0.01)
        try:
            answer = send()
        finally:
            marker.unlink(missing_ok=True)
            holder.join(30)
        assert held, f"worker {busy} was not held"
        assert worker(answer) != busy
        return answer


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


def sign_in(workers: Workers, browser: requests.Session, rp: Rp) -> tuple[requests.Response, list[str]]:
    """The browser's journey: authorize -> dev_eid -> ACS -> capacity -> the code's redirect,
    each hop on the other worker than the one before; the answer and the workers, in order."""
    base, seen = workers.base, []

    def hop(send):
        response = workers.elsewhere(seen[-1], send) if seen else send()
        seen.append(worker(response))
        return response

    start = hop(lambda: browser.get(base + authorize_url(rp), allow_redirects=False))
    assert start.status_code == 302, start.text[:500]
    page = hop(lambda: browser.get(urljoin(base, start.headers["Location"])))
    action, fields = form_of(page.content)
    signed = {**fields, "rrn": BART, "method": "eid"}
    autopost = hop(lambda: browser.post(urljoin(page.url, action), data=signed))
    action, fields = form_of(autopost.content)
    acs = hop(lambda: browser.post(action, data=fields, allow_redirects=False))
    assert acs.status_code == 303, acs.text[:500]
    choice = hop(lambda: browser.get(base + "/idp/capacity"))
    action, fields = form_of(choice.content)
    # answered at once with the code's redirect (web.Bridge.after_choice)
    answer = hop(lambda: browser.post(base + "/idp/capacity", data={**fields, "capacity": MERELBEKE},
                                      allow_redirects=False))
    return answer, seen


def test_oidc_code_flow_across_two_gunicorn_workers_with_redis(gunicorn_two_workers, demo_url):
    workers = gunicorn_two_workers
    base, elsewhere = workers.base, workers.elsewhere
    engine = make_engine(demo_url)
    code = random_code()
    try:
        _secret, key = register_client(session_factory(engine), code)
    finally:
        engine.dispose()
    rp = Rp(base, code, key)
    jwks = KeySet.import_key_set(requests.get(base + "/oidc/jwks", timeout=10).json())
    browser = requests.Session()
    answer, journey = sign_in(workers, browser, rp)
    assert all(one != then for one, then in zip(journey, journey[1:], strict=False)), journey

    def redeem(response: requests.Response, assertion: str | None = None) -> requests.Response:
        return rp.token(assertion, grant_type="authorization_code", code=_code_of(response),
                        redirect_uri=REDIRECT)

    def userinfo() -> requests.Response:
        return requests.get(base + "/oidc/userinfo", headers=bearer, timeout=10)

    tokens = elsewhere(worker(answer), lambda: redeem(answer))
    assert tokens.status_code == 200, tokens.text
    claims = jwt.decode(tokens.json()["id_token"], jwks, algorithms=["RS256"]).claims
    assert claims["government"] == MERELBEKE and claims["nonce"] == "n-1"
    bearer = {"Authorization": "Bearer " + tokens.json()["access_token"]}
    info = elsewhere(worker(tokens), userinfo)
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"], info.text
    # the session, on the other worker: a second code without a sign-in
    again = elsewhere(journey[-1], lambda: browser.get(base + authorize_url(rp, state="st-2"),
                                                       allow_redirects=False))
    assertion = rp.assertion()
    refreshed = elsewhere(worker(tokens), lambda: rp.token(assertion, grant_type="refresh_token",
                                                           refresh_token=tokens.json()["refresh_token"]))
    assert refreshed.status_code == 200, refreshed.text
    replayed = elsewhere(worker(refreshed), lambda: redeem(again, assertion))
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_client", replayed.text
    reused = elsewhere(worker(tokens), lambda: redeem(answer))
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant", reused.text
    revoked = elsewhere(worker(reused), userinfo)
    assert revoked.status_code == 401
