"""demo-app's OpenID Connect relying party, as an application owner writes one: discovery,
the authorization request (state, nonce, PKCE S256), the code exchange authenticated with
`private_key_jwt`, the ID token checked with the provider's published JWKS, userinfo, a
`client_credentials` token for `/oidc/rights`, RP-initiated logout and the back-channel
`logout_token`.

JOSE is joserfc's (signing the client assertion, verifying ID and logout tokens with an
algorithm allow-list); the PKCE challenge and random tokens are Authlib's helpers. Nothing of
the bridge is imported: an application knows only the issuer URL and its own key.

`http(method, url, form=None, headers=None) -> (status, body)` carries every call; the default
is urllib. The all-in-one server hands in one that calls the bridge in-process, as the SAML
side reads the bridge's metadata from the bridge object.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from samlkit.keys import KeyPair

Http = Callable[..., tuple[int, bytes]]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS256"]  # what the provider's discovery document says it signs with
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY = 60


class SignInRefused(Exception):
    """The provider's answer cannot be accepted; `reason` says why (for the page and the log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def urllib_http(method: str, url: str, form: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the issuer's URLs
            return answer.status, answer.read(1 << 20)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(1 << 20)


def client_jwk(keypair: KeyPair) -> RSAKey:
    """The application's signing key as a JWK, its kid the RFC 7638 thumbprint."""
    key = RSAKey.import_key(keypair.key_pem)
    return RSAKey.import_key(keypair.key_pem, {"kid": key.thumbprint(), "use": "sig", "alg": "RS256"})


def public_jwks(keypair: KeyPair) -> dict[str, Any]:
    """What to register with `idbeheer app oidc --jwks FILE`: the public key only."""
    return {"keys": [client_jwk(keypair).as_dict(private=False)]}


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the application keeps (in its session) until the browser comes back."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class SignIn:
    claims: dict[str, Any]  # the verified ID token's claims
    id_token: str
    access_token: str


class RelyingParty:
    def __init__(self, *, issuer: str, client_id: str, keypair: KeyPair, redirect_uri: str,
                 scopes: tuple[str, ...] = ("openid", "profile", "capacity", "rights"),
                 http: Http = urllib_http, clock: Callable[[], float] = time.time) -> None:
        self.issuer, self.client_id, self.redirect_uri = issuer.rstrip("/"), client_id, redirect_uri
        self.scopes = scopes
        self._key = client_jwk(keypair)
        self._http, self._clock = http, clock
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._jwks: KeySet | None = None
        self._client_token: tuple[float, str] | None = None

    # -- the provider's published configuration (read once, then kept) -----------------------

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            doc = self._json("GET", self.issuer + "/.well-known/openid-configuration")
            if doc.get("issuer") != self.issuer:  # mix-up defence: the document is the issuer's
                raise SignInRefused("discovery_issuer_mismatch")
            self._discovery = doc
        return self._discovery

    def _provider_keys(self, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            self._jwks = KeySet.import_key_set(cast(Any, self._json("GET", self.discovery()["jwks_uri"])))
        return self._jwks

    # -- sign-in -------------------------------------------------------------------------------

    def authorization_request(self, **extra: str) -> AuthorizationRequest:
        """`extra`: optional parameters such as `capacity`, `prompt`, `max_age`, `login_hint`."""
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        query = {"response_type": "code", "client_id": self.client_id,
                 "redirect_uri": self.redirect_uri, "scope": " ".join(self.scopes), "state": state,
                 "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
                 "code_challenge_method": "S256", **extra}
        return AuthorizationRequest(self.discovery()["authorization_endpoint"] + "?" + urlencode(query),
                                    state, nonce, verifier)

    def finish(self, args: Mapping[str, str], pending: AuthorizationRequest | None) -> SignIn:
        """The browser's return to the redirect URI: check `state` and `iss` (RFC 9207), then
        exchange the code and verify the ID token. Raises SignInRefused."""
        if pending is None or not secrets.compare_digest(args.get("state", ""), pending.state):
            raise SignInRefused("state_mismatch")
        if args.get("iss") != self.issuer:
            raise SignInRefused("iss_mismatch")
        if "error" in args:
            raise SignInRefused(f"provider_error:{args['error'][:40]}")
        code = args.get("code")
        if not code:
            raise SignInRefused("no_code")
        status, tokens = self._token({"grant_type": "authorization_code", "code": code,
                                      "redirect_uri": self.redirect_uri, "code_verifier": pending.verifier})
        if status != 200 or "id_token" not in tokens:
            raise SignInRefused(f"token_refused:{str(tokens.get('error', status))[:40]}")
        claims = self.verify_id_token(tokens["id_token"], nonce=pending.nonce)
        return SignIn(claims, tokens["id_token"], tokens["access_token"])

    def verify_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        claims = self._verified(token)
        now = self._clock()
        registry = jwt.JWTClaimsRegistry(
            now=int(now), leeway=LEEWAY, iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id}, exp={"essential": True},
            iat={"essential": True}, sub={"essential": True}, nonce={"essential": True, "value": nonce})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise SignInRefused(f"id_token_{getattr(exc, 'claim', exc.error)}") from None
        if claims.get("azp", self.client_id) != self.client_id:
            raise SignInRefused("id_token_azp")
        return claims

    def _verified(self, token: str) -> dict[str, Any]:
        for refresh in (False, True):  # an unknown kid: the provider rolled its key over
            try:
                return jwt.decode(token, self._provider_keys(refresh), algorithms=ALGORITHMS).claims
            except (JoseError, ValueError, TypeError):
                continue
        raise SignInRefused("id_token_signature")

    def userinfo(self, access_token: str) -> dict[str, Any]:
        return self._json("GET", self.discovery()["userinfo_endpoint"],
                          headers={"Authorization": "Bearer " + access_token})

    # -- the rights at any moment (the AttributeQuery's counterpart) --------------------------

    def rights(self, sub: str, governments: list[str] | None = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, answer) of GET /oidc/rights for `sub`, with a client_credentials token
        of this application (kept until shortly before it expires)."""
        query = urlencode([("sub", sub)] + [("government", g) for g in governments or ()])
        status, body = self._http("GET", self.issuer + "/rights?" + query,
                                  headers={"Authorization": "Bearer " + self.client_token()})
        return status, _json_or_error(body)

    def client_token(self) -> str:
        with self._lock:
            if self._client_token and self._client_token[0] > self._clock():
                return self._client_token[1]
        status, answer = self._token({"grant_type": "client_credentials", "scope": "rights"})
        if status != 200:
            raise SignInRefused(f"client_credentials_refused:{str(answer.get('error', status))[:40]}")
        with self._lock:
            self._client_token = (self._clock() + int(answer.get("expires_in", 60)) - 30,
                                  answer["access_token"])
        return answer["access_token"]

    # -- sign-out ------------------------------------------------------------------------------

    def logout_url(self, id_token: str, post_logout_redirect_uri: str, state: str) -> str:
        return self.discovery()["end_session_endpoint"] + "?" + urlencode(
            {"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri,
             "state": state, "client_id": self.client_id})

    def verify_logout_token(self, token: str) -> dict[str, Any]:
        """OIDC Back-Channel Logout 1.0, 2.6: signature, iss, aud, iat, the event, a sid or
        sub, and no nonce. Raises SignInRefused."""
        claims = self._verified(token)
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()), leeway=LEEWAY, iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id}, iat={"essential": True},
            jti={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise SignInRefused(f"logout_token_{getattr(exc, 'claim', exc.error)}") from None
        events = claims.get("events")
        if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events or "nonce" in claims \
                or not (claims.get("sid") or claims.get("sub")):
            raise SignInRefused("logout_token_shape")
        return claims

    # -- calls ---------------------------------------------------------------------------------

    def _assertion(self, audience: str) -> str:
        now = int(self._clock())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": audience, "iat": now,
                  "exp": now + 60, "jti": generate_token(32)}
        return jwt.encode({"alg": "RS256", "kid": self._key.kid}, claims, self._key, algorithms=["RS256"])

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        url = self.discovery()["token_endpoint"]
        form = {**form, "client_assertion_type": ASSERTION_TYPE, "client_assertion": self._assertion(url)}
        status, body = self._http("POST", url, form=form)
        return status, _json_or_error(body)

    def _json(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        status, body = self._http(method, url, **kw)
        answer = _json_or_error(body)
        if status != 200:
            raise SignInRefused(f"http_{status}:{str(answer.get('error', ''))[:40]}")
        return answer


def _json_or_error(body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError:
        return {"error": "not_json"}
    return answer if isinstance(answer, dict) else {"error": "not_an_object"}
