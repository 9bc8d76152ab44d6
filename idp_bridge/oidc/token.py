"""The token endpoint (RFC 6749 section 3.2): client authentication, then one class per
grant type, Authlib's shape. Every refusal is an OAuth error JSON; answers are `no-store`.

Refresh tokens: every confidential client gets one with its tokens, bound to the bridge
session (`grants`): it works while the person's sign-in session lives and not a moment after
(logout, idle timeout, lifetime: R12), so it is an *online* refresh token, a way to renew
the short-lived access and ID tokens (and the live rights in them, R8) while the person is
signed in. `offline_access` (OIDC Core 11: access while the person is *not* signed in) is not
offered: it would outlive the session, which the bridge's rules do not allow; Core 11 lets the
OP issue refresh tokens in other contexts, and an `offline_access` asked for is ignored.
Public clients (no client authentication) get none."""
from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from ..person import SignedInPerson
from .claims import person_claims, subject
from .clients import Client, require
from .errors import InvalidGrantError, InvalidScopeError, UnauthorizedClientError, UnsupportedGrantTypeError
from .grants import ACCESS_TTL, Grant
from .provider import ID_TOKEN_TTL, Provider

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
CLIENT_SCOPES = ("rights", "rrn")  # what a back-end token (client_credentials) may carry


def id_token(provider: Provider, grant: Grant, person: SignedInPerson) -> str:
    now = provider.epoch()
    sub = subject(provider.name_ids, grant.client_id, person.rrn)
    with provider.connect() as db:
        claims = person_claims(db, person, grant.client_id, grant.scopes, sub, provider.now())
    claims.update(iss=provider.issuer, aud=grant.client_id, azp=grant.client_id, iat=now,
                  exp=now + ID_TOKEN_TTL, sid=grant.sid)
    if grant.nonce:
        claims["nonce"] = grant.nonce
    return provider.keys.sign(claims)


def _user_tokens(provider: Provider, client: Client, grant: Grant) -> dict[str, Any]:
    assert grant.person is not None
    person = SignedInPerson.from_dict(grant.person)
    access, refresh = provider.grants.issue(grant, provider.epoch(), refresh=client.confidential)
    answer = {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TTL,
              "scope": " ".join(grant.scopes), "id_token": id_token(provider, grant, person)}
    if refresh:
        answer["refresh_token"] = refresh
    return answer


class AuthorizationCodeGrant:
    grant_type = "authorization_code"

    def __call__(self, provider: Provider, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        code = require(form, "code")
        grant = provider.grants.redeem_code(code)
        if grant is None:
            raise InvalidGrantError(description="code unknown, expired or already used")
        if grant.client_id != client.client_id:
            raise InvalidGrantError(description="code issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise InvalidGrantError(description="redirect_uri differs from the authorization request")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier") or ""
            if not _VERIFIER.match(verifier) or not hmac.compare_digest(
                    create_s256_code_challenge(verifier), grant.code_challenge):
                raise InvalidGrantError(description="code_verifier does not match the code_challenge")
        elif form.get("code_verifier") or client.public:
            raise InvalidGrantError(description="code_verifier without a code_challenge")
        return _user_tokens(provider, client, grant)


class RefreshTokenGrant:
    grant_type = "refresh_token"

    def __call__(self, provider: Provider, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        token = require(form, "refresh_token")
        if form.get("scope"):  # a request that is wrong on its face leaves the token usable
            held = provider.grants.refresh_token_grant(token)
            if held is not None and held.client_id == client.client_id \
                    and not set(form["scope"].split()) <= set(held.scopes):
                raise InvalidScopeError(description="a refresh cannot widen the scopes")
        grant = provider.grants.redeem_refresh_token(token)
        if grant is not None and grant.client_id != client.client_id:
            provider.grants.revoke(grant.gid)  # another client holds it: leaked, the grant ends
            grant = None
        if grant is None:
            raise InvalidGrantError(description="refresh_token unknown, used, revoked or of another client")
        if not provider.session_alive(grant.session):
            provider.grants.revoke(grant.gid)
            raise InvalidGrantError(description="the sign-in session of this refresh_token has ended")
        if form.get("scope"):
            asked = form["scope"].split()
            if not set(asked) <= set(grant.scopes):
                raise InvalidScopeError(description="a refresh cannot widen the scopes")
            grant.scopes = [s for s in grant.scopes if s in asked]
        grant.nonce = None  # a refresh is no authentication request (OIDC Core 12.2, errata)
        return _user_tokens(provider, client, grant)


class ClientCredentialsGrant:
    """Back-end calls (`/oidc/rights`): a token of the application itself, no person."""

    grant_type = "client_credentials"

    def __call__(self, provider: Provider, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if client.public:
            raise UnauthorizedClientError(description="a public client has no back-end token")
        allowed = [s for s in CLIENT_SCOPES if s in client.scopes]
        asked = form.get("scope", "").split() or allowed
        if not set(asked) <= set(allowed):
            raise InvalidScopeError(description="scope not registered for this client")
        if "rights" not in asked:
            raise UnauthorizedClientError(description="client_credentials serves the rights scope only")
        grant = Grant(client_id=client.client_id, scopes=asked, kind="client")
        return {"access_token": provider.grants.new_access_token(grant, provider.epoch()),
                "token_type": "Bearer", "expires_in": ACCESS_TTL, "scope": " ".join(asked)}


GRANTS = {g.grant_type: g() for g in (AuthorizationCodeGrant, RefreshTokenGrant, ClientCredentialsGrant)}


class TokenEndpoint:
    def __call__(self, provider: Provider, form: Mapping[str, str],
                 authorization: str | None) -> dict[str, Any]:
        grant_type = require(form, "grant_type")
        handler = GRANTS.get(grant_type)
        if handler is None:
            raise UnsupportedGrantTypeError(description="grant_type not supported")
        client = provider.clients.authenticate(form, authorization)
        return handler(provider, client, form)
