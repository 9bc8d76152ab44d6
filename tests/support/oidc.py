"""Test vocabulary of the OIDC provider: a relying party of the tests' own (keys, client
assertions, token calls), registration through the catalog's service, as the CLI does, the
browser's authorization journey, and an application's back-channel logout receiver and
front-channel pages (redirect URI, signed-out page) on real loopback ports."""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Request, Response

from attribute_authority import authz, oidc_clients
from attribute_authority.db import unit_of_work
from support import DINA, free_port
from support.aa import ServerThread
from support.bridge import BridgeHarness, _path

REDIRECT = "https://rp.example.test/callback"
ISSUER = "http://localhost/oidc"
SCOPES = ("openid", "profile", "capacity", "rights")


class RelyingParty:
    """An application registered as an OIDC client, talking to the bridge's test client."""

    def __init__(self, op: BridgeHarness, client_id: str, *, secret: str | None = None,
                 key: RSAKey | None = None) -> None:
        self.op, self.client_id, self.secret, self.key = op, client_id, secret, key
        self.http = op.app.test_client()

    @property
    def public(self) -> bool:
        return self.secret is None and self.key is None

    def assertion(self, **overrides) -> str:
        assert self.key is not None
        # the bridge's clock, which a test may move on
        return client_assertion(self.key, self.client_id, ISSUER + "/token",
                                int(self.op.clock().timestamp()), **overrides)

    def auth(self, **overrides) -> tuple[dict, dict]:
        """(form fields, headers) that authenticate this client (a public one: its name)."""
        if self.public:
            return {"client_id": self.client_id}, {}
        if self.secret is not None:
            basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
            return {}, {"Authorization": "Basic " + basic}
        return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion(**overrides)}, {}

    def token(self, **form):
        fields, headers = self.auth()
        return self.http.post("/oidc/token", data={**fields, **form}, headers=headers)

    def exchange(self, code: str, verifier: str | None = None) -> dict:
        """The token answer for a code (asserted 200)."""
        answer = self.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                            **({"code_verifier": verifier} if verifier else {}))
        assert answer.status_code == 200, answer.json
        return answer.json

    def id_claims(self, id_token: str) -> dict:
        """The ID token's claims, its signature checked with the keys of /oidc/jwks only."""
        return verified(self.op, id_token)

    def userinfo(self, access_token: str):
        return self.http.get("/oidc/userinfo", headers={"Authorization": "Bearer " + access_token})

    def client_token(self) -> str:
        answer = self.token(grant_type="client_credentials")
        assert answer.status_code == 200, answer.json
        return answer.json["access_token"]


def new_rsa_key() -> RSAKey:
    key = RSAKey.generate_key(2048)
    return RSAKey.import_key(key.as_dict(private=True), {"kid": key.thumbprint()})


def client_assertion(key: RSAKey, client_id: str, audience: str, now: int | None = None,
                     **overrides) -> str:
    """A `private_key_jwt` client assertion (RFC 7523), fresh jti; `overrides` None drops a claim."""
    now = int(time.time()) if now is None else now
    claims = {"iss": client_id, "sub": client_id, "aud": audience,
              "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def register(op: BridgeHarness, code: str = "demo-app", *, secret: bool = False,
             public: bool = False, scopes=SCOPES, **kw) -> RelyingParty:
    new_secret, key = register_client(op.db, code, secret=secret, public=public, scopes=scopes, **kw)
    return RelyingParty(op, code, secret=new_secret, key=key)


def register_client(db, code: str, *, secret: bool = False, public: bool = False, scopes=SCOPES,
                    **kw) -> tuple[str | None, RSAKey | None]:
    """CODE registered as an OIDC client on the database of `db` (a sessionmaker), as the CLI
    does: (its new secret, or its new key; neither for a public client)."""
    key = None if secret or public else new_rsa_key()
    if secret:
        auth = oidc_clients.ClientAuth(new_secret=True)
    elif public:
        auth = oidc_clients.ClientAuth(public=True)
    else:
        auth = oidc_clients.ClientAuth(jwks={"keys": [key.as_dict(private=False)]})
    with unit_of_work(db) as session:
        _client, new_secret = oidc_clients.register_oidc_client(
            session, authz.actor_for(session, DINA), code, redirect_uris=kw.pop("redirect_uris", [REDIRECT]),
            auth=auth, scopes=list(scopes), name=kw.pop("name", _new_name(code)), **kw)
    return new_secret, key


def _new_name(code: str) -> str | None:
    """A name for a new application; None keeps a catalog application's own (the demo data
    is shared by the whole test run: renaming demo-app would show in other tests' pages)."""
    return None if code == "demo-app" else code


def random_code() -> str:
    return "oidc-" + secrets.token_hex(4)


def revoke_grant(op, rrn: str, right_code: str) -> None:
    """An administrator revokes the person's grant of the right (R7), committed."""
    from sqlalchemy import select

    from attribute_authority import authz, grants
    from attribute_authority.db import unit_of_work
    from attribute_authority.models import Grant, Person, Relation, Right
    from support import AN

    with unit_of_work(op.db) as session:
        grant_id = session.scalar(
            select(Grant.id).join(Right, Right.id == Grant.right_id)
            .join(Relation, Relation.id == Grant.relation_id).join(Person, Person.id == Relation.person_id)
            .where(Person.rrn == rrn, Right.code == right_code, Grant.revoked_at.is_(None)))
        grants.revoke(session, authz.actor_for(session, AN), grant_id, reason="test R8")


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(rp, **extra) -> str:
    params = {"response_type": "code", "client_id": rp.client_id, "redirect_uri": REDIRECT,
              "scope": "openid profile capacity rights", "state": "st-1", "nonce": "n-1"}
    params.update(extra)
    return "/oidc/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def answer_of(response) -> dict[str, str]:
    assert response.status_code == 303, response.data[:800]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def to_dev_eid(browser, url: str):
    """The authorization request sends the browser upstream: dev_eid's sign-in page."""
    first = browser.get(url)
    assert first.status_code == 302 and "/dev-eid/sso" in first.headers["Location"], (
        first.status_code, first.headers.get("Location"), first.data[:800])
    page = browser.get(_path(first.headers["Location"]))
    assert page.status_code == 200, page.data[:800]
    return page


def upstream(browser, url: str, rrn: str, method: str = "eid", outcome: str = "ok"):
    """From the authorization request through dev_eid's form to the bridge's ACS answer."""
    page = to_dev_eid(browser, url)
    autopost = browser.submit(page.data, rrn=rrn, method=method, outcome=outcome)
    return browser.submit(autopost.data)


def sign_in(browser, url: str, rrn: str, capacity: str, method: str = "eid", outcome: str = "ok"):
    """A first sign-in: dev_eid, then the capacity page; returns the answer (or ACS page)."""
    acs = upstream(browser, url, rrn, method, outcome)
    if outcome != "ok":
        return acs
    assert acs.status_code == 303, acs.data[:800]
    return browser.choose(capacity)


def tokens_for(rp: RelyingParty, response) -> dict:
    """The token answer for the code in an authorization answer (`response`, the 303)."""
    return rp.exchange(answer_of(response)["code"])


def verified(op: BridgeHarness, token: str, typ: str = "JWT") -> dict:
    """The claims of a JWT of the provider, verified with the keys /oidc/jwks publishes only."""
    jwks = KeySet.import_key_set(op.app.test_client().get("/oidc/jwks").json)
    decoded = jwt.decode(token, jwks, algorithms=["RS256"])
    assert decoded.header.get("typ") == typ, decoded.header
    return decoded.claims


class LogoutReceiver:
    """An application's back-channel logout endpoint (OIDC Back-Channel Logout 1.0, 2.8) over
    real HTTP on a free loopback port: it keeps every logout_token POSTed to it and answers
    `status` (200, or an error to see how the bridge takes a refusal); with a `barrier`, only
    once the barrier's other receivers were told as well."""

    def __init__(self, status: int = 200, barrier: threading.Barrier | None = None) -> None:
        self.status, self.barrier = status, barrier
        self.tokens: list[str] = []
        self.content_types: list[str] = []
        self._lock = threading.Lock()
        self.url = f"http://127.0.0.1:{free_port()}/backchannel-logout"
        self._server = ServerThread(self._app, int(urlsplit(self.url).port or 0))

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            if request.method == "POST" and request.path == "/backchannel-logout":
                self.content_types.append(request.mimetype)
                self.tokens.extend(request.form.getlist("logout_token"))
        if self.barrier is not None:  # answer only once every receiver of the barrier was told
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                return Response(status=504)(environ, start_response)
        return Response(status=self.status, headers={"Cache-Control": "no-store"})(environ, start_response)

    def __enter__(self) -> LogoutReceiver:
        self._server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._server.__exit__(*exc)


class ApplicationPages:
    """An application's front-channel pages over real HTTP on a free loopback port, for a
    browser to land on: its redirect URI `callback` and its `signed_out` page (the
    post_logout_redirect_uri). Each arrival's query is kept; the answer is a small page of its
    own (a browser test's route cannot catch a redirect's target, a real server can)."""

    PAGE = (b'<!doctype html><html lang="nl"><head><title>Toepassing</title></head>'
            b"<body><main><h1>Toepassing</h1><p>Terug bij de toepassing.</p></main></body></html>")

    def __init__(self) -> None:
        self.arrived: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        base = f"http://127.0.0.1:{free_port()}"
        self.callback, self.signed_out = base + "/callback", base + "/signed-out"
        self._server = ServerThread(self._app, int(urlsplit(base).port or 0))

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.path == "/favicon.ico":  # the browser's own fetch, at a moment of its choosing
            return Response(status=404)(environ, start_response)
        with self._lock:
            self.arrived.append((request.path, dict(request.args.items())))
        return Response(self.PAGE, content_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})(environ, start_response)

    def last(self, path: str = "/callback") -> dict[str, str]:
        """The query of the latest arrival at `path`."""
        with self._lock:
            found = [args for p, args in self.arrived if p == path]
        assert found, f"nothing arrived at {path}: {self.arrived}"
        return found[-1]

    def __enter__(self) -> ApplicationPages:
        self._server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._server.__exit__(*exc)


def signed_in_again(browser, url: str, rrn: str, method: str = "eid"):
    """A fresh upstream sign-in of the session's own person (prompt=login, max_age, ...): the
    capacity is kept, the capacity page answers at once."""
    acs = upstream(browser, url, rrn, method)
    assert acs.status_code == 303, acs.data[:800]
    return browser.get("/idp/capacity")
