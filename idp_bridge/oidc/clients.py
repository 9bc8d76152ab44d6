"""Registered OIDC clients, read from the catalog, and client authentication at the token and
introspection endpoints: `client_secret_basic`, or `private_key_jwt` (RFC 7523) verified with
the client's registered JWKS, its `jti` used once in the shared store.

As the SAML side's SP registry does (`samlkit.spmetadata.SpRegistry`, whose `check_interval`
this follows): a client this worker does not know is read at once (a newly registered client
works on the next request); one it knows is served from memory and read again when its copy
is `check_interval` old (1 s in the server, 0 in the tests), so a changed registration counts
within that. The read is one compiled statement on a bare read-only connection; what is built
from it (the `Client` and its parsed keys) is kept while the registration reads the same."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote_plus

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session, sessionmaker

from attribute_authority import oidc_clients
from attribute_authority.db import read_only
from samlkit.replay import OneTimeStore

from .errors import InvalidClientError, InvalidRequestError

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Asymmetric only: no `none`, no HS* (an HMAC "signed" with the client's public key).
ASSERTION_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
# An assertion is made for one call: issued at most 10 minutes ago. Its exp may lie up to an
# hour after iat (Authlib's client, for one, asks an hour); its jti is kept until then.
MAX_ASSERTION_AGE = 600
MAX_ASSERTION_LIFETIME = 3600
_JWKS_URI_TTL = 300


@dataclass(frozen=True)
class Client:
    client_id: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    has_secret: bool
    backchannel_logout_uri: str | None
    secret_hash: str | None = field(default=None, repr=False)

    @property
    def confidential(self) -> bool:
        """Authenticates at the token endpoint (a secret or a registered key)."""
        return self.has_secret or self.jwks is not None or self.jwks_uri is not None

    @property
    def public(self) -> bool:
        """No credentials: names itself by client_id, proves its codes with PKCE."""
        return not self.confidential

    @property
    def auth_method(self) -> str:
        if self.public:
            return "none"
        return "client_secret_basic" if self.has_secret else "private_key_jwt"


@dataclass
class _Built:
    values: tuple  # the registration as read
    client: Client
    read_at: float  # time.monotonic() of that read
    keys: KeySet | None = None  # its registered JWKS, parsed


class ClientDirectory:
    def __init__(self, db: sessionmaker[Session], store: OneTimeStore, *, token_url: str,
                 issuer: str, clock, skew: dt.timedelta,
                 check_interval: Callable[[], float] = lambda: 0.0) -> None:
        self._engine = read_only(db.kw["bind"])
        self._store = store
        self._audiences = [token_url, issuer]
        self._clock = clock
        self._skew = int(skew.total_seconds())
        self._check_interval = check_interval
        self._jwks_cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()
        self._built: dict[str, _Built] = {}

    def get(self, client_id: str | None) -> Client | None:
        if not client_id or len(client_id) > 60:
            return None
        built = self._built.get(client_id)
        now = time.monotonic()
        if built is not None and now - built.read_at < self._check_interval():
            return built.client
        with self._engine.connect() as connection:
            row = oidc_clients.client_row(connection, client_id)
        if row is None:
            self._built.pop(client_id, None)
            return None
        values = tuple(row)
        if built is not None and built.values == values:
            built.read_at = now
            return built.client
        client = Client(client_id=row.code, redirect_uris=tuple(row.redirect_uris),
                        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris or ()),
                        scopes=tuple(row.scopes), jwks=row.jwks, jwks_uri=row.jwks_uri,
                        has_secret=bool(row.secret_hash), backchannel_logout_uri=row.backchannel_logout_uri,
                        secret_hash=row.secret_hash)
        if len(self._built) > 1000:  # registrations are few; a bound all the same
            self._built.clear()
        self._built[client_id] = _Built(values, client, now)
        return client

    def authenticate(self, form: Mapping[str, str], authorization: str | None) -> Client:
        """The calling client, proven; otherwise `invalid_client` (401). A public client is
        only named (`none`): what it may do is limited by the caller (`Client.public`)."""
        if authorization and authorization[:6].lower() == "basic ":
            return self._basic(authorization[6:].strip())
        if form.get("client_assertion_type") == ASSERTION_TYPE and form.get("client_assertion"):
            return self._assertion(form["client_assertion"], form.get("client_id"))
        if form.get("client_secret"):
            raise InvalidClientError(description="client_secret_post is not supported", status_code=401)
        named = self.get(form.get("client_id")) if form.get("client_id") else None
        if named is not None and named.public:
            return named
        raise InvalidClientError(description="client authentication required", status_code=401)

    def _basic(self, credentials: str) -> Client:
        try:
            raw = base64.b64decode(credentials, validate=True).decode("utf-8")
            client_id, secret = (unquote_plus(part) for part in raw.split(":", 1))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidClientError(description="malformed Basic credentials", status_code=401) from None
        client = self.get(client_id)
        if client is None or not oidc_clients.secret_hash_matches(client.secret_hash, secret):
            raise InvalidClientError(description="unknown client or wrong secret", status_code=401)
        return client

    def _assertion(self, assertion: str, form_client_id: str | None) -> Client:
        try:
            unverified = json.loads(jws.extract_compact(assertion.encode("ascii")).payload)
        except (JoseError, ValueError, UnicodeError, TypeError):
            raise InvalidClientError(description="client_assertion is not a JWT", status_code=401) from None
        client_id = unverified.get("iss") if isinstance(unverified, dict) else None
        if not isinstance(client_id, str) or (form_client_id and form_client_id != client_id):
            raise InvalidClientError(description="client_assertion iss missing or not the client_id",
                                     status_code=401)
        client = self.get(client_id)
        if client is None or client.has_secret or client.public:
            raise InvalidClientError(description="unknown client or not registered for private_key_jwt",
                                     status_code=401)
        keys = self._keys(client)
        try:
            token = jwt.decode(assertion, keys, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(description="client_assertion signature not valid",
                                     status_code=401) from None
        claims = token.claims
        now = int(self._clock().timestamp())
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=self._skew, iss={"essential": True, "value": client_id},
            sub={"essential": True, "value": client_id}, aud={"essential": True, "values": self._audiences},
            exp={"essential": True}, iat={"essential": True}, jti={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=f"client_assertion claim refused: {exc.error}",
                                     status_code=401) from None
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, (int, float)) or iat > now + self._skew \
                or now - iat > MAX_ASSERTION_AGE or exp - iat > MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(description="client_assertion iat not fresh or lifetime too long",
                                     status_code=401)
        ttl = max(1, int(exp - now) + self._skew)
        if not self._store.first_use(f"oidc:jti:{client_id}:{claims['jti']}"[:400], ttl):
            raise InvalidClientError(description="client_assertion replayed (jti seen)", status_code=401)
        return client

    def _keys(self, client: Client) -> KeySet:
        if client.jwks is None:
            return self._parse(self._fetch(client.jwks_uri or ""))
        built = self._built.get(client.client_id)
        if built is None or built.client is not client:
            return self._parse(client.jwks)
        if built.keys is None:
            built.keys = self._parse(client.jwks)  # parsed once per registration as read
        return built.keys

    @staticmethod
    def _parse(jwks: dict) -> KeySet:
        try:
            return _key_set(json.dumps(jwks, sort_keys=True))
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(description="the client's JWKS is unusable", status_code=401) from None

    def _fetch(self, uri: str) -> dict:
        with self._lock:
            cached = self._jwks_cache.get(uri)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            with urllib.request.urlopen(uri, timeout=5) as answer:  # noqa: S310 - https, registered
                jwks = oidc_clients.checked_jwks(json.loads(answer.read(256 * 1024)))
        except Exception as exc:  # any failure to fetch is the client's key being unavailable
            log.warning("JWKS of a client unavailable: %s", type(exc).__name__)
            raise InvalidClientError(description="the client's jwks_uri is unavailable",
                                     status_code=401) from None
        with self._lock:
            self._jwks_cache[uri] = (time.monotonic() + _JWKS_URI_TTL, jwks)
        return jwks


@functools.lru_cache(maxsize=256)
def _key_set(jwks_json: str) -> KeySet:
    """A client's keys parsed once per content (a changed registration is a new entry: the
    next request uses it), not at every token call."""
    return KeySet.import_key_set(cast(Any, json.loads(jwks_json)))  # shape checked by joserfc


def require(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidRequestError(description=f"missing parameter {name}")
    return value
