"""The protected resources: userinfo (OIDC Core 5.3), introspection (RFC 7662) and
`/oidc/rights` (the AttributeQuery's counterpart). Each answers from the live rights store
(R8): a revoke is gone from the next answer."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attribute_authority.clock import local_day
from attribute_authority.rights_query import QueryAnswer
from attribute_authority.rights_query import answer as rights_answer
from attribute_authority.rrn import is_valid as valid_rrn

from ..person import SignedInPerson
from .claims import live_rights, person_claims, subject
from .clients import require
from .errors import (
    InsufficientScope,
    InvalidClientError,
    InvalidRequestError,
    InvalidTokenError,
    UnknownPerson,
)
from .grants import Grant
from .provider import Provider


def bearer(provider: Provider, authorization: str | None) -> Grant:
    """The live grant behind an `Authorization: Bearer` header (never a query parameter:
    tokens stay out of URLs and logs)."""
    if not authorization or authorization[:7].lower() != "bearer ":
        raise InvalidTokenError(description="bearer token required in the Authorization header")
    grant = provider.grants.access(authorization[7:].strip())
    if grant is None:
        raise InvalidTokenError(description="access token unknown, expired or revoked")
    return grant


class UserInfoEndpoint:
    def __call__(self, provider: Provider, authorization: str | None) -> dict[str, Any]:
        grant = bearer(provider, authorization)
        if grant.kind != "user" or grant.person is None:
            raise InsufficientScope(description="userinfo needs a token of a signed-in person")
        person = SignedInPerson.from_dict(grant.person)
        with provider.connect() as db:
            claims = person_claims(db, person, grant.client_id, grant.scopes,
                                   subject(provider.name_ids, grant.client_id, person.rrn), provider.now())
        for token_only in ("acr", "amr", "auth_time"):
            claims.pop(token_only, None)
        return claims


class IntrospectionEndpoint:
    """RFC 7662: the client that holds a token asks about it; another client learns only
    `active: false`."""

    def __call__(self, provider: Provider, form: Mapping[str, str],
                 authorization: str | None) -> dict[str, Any]:
        client = provider.clients.authenticate(form, authorization)
        if client.public:
            raise InvalidClientError(description="introspection needs client authentication",
                                     status_code=401)
        grant = provider.grants.access(require(form, "token"))
        if grant is None or grant.client_id != client.client_id:
            return {"active": False}
        answer: dict[str, Any] = {"active": True, "client_id": grant.client_id, "token_type": "Bearer",
                                  "scope": " ".join(grant.scopes), "exp": grant.expires_at,
                                  "iss": provider.issuer}
        if grant.person is not None:
            person = SignedInPerson.from_dict(grant.person)
            answer["sub"] = subject(provider.name_ids, grant.client_id, person.rrn)
            if "rights" in grant.scopes:
                with provider.connect() as db:
                    answer["rights"] = live_rights(db, person, grant.client_id, provider.now())
        return answer


class RightsEndpoint:
    """GET /oidc/rights?sub=SUB[&government=GOV] (or rrn=RRN when the application may see
    RRNs), with a client_credentials token of the calling application. `read(rrn, app, day,
    governments)` answers the one rights statement (default: the provider's read-only
    session; the composition's hot path hands in the AA's bare query connection)."""

    def __init__(self, read: Callable[..., QueryAnswer] | None = None) -> None:
        self._read = read

    def __call__(self, provider: Provider, args: Mapping[str, str], governments: list[str],
                 authorization: str | None) -> dict[str, Any]:
        grant = bearer(provider, authorization)
        if grant.kind != "client" or "rights" not in grant.scopes:
            raise InsufficientScope(description="a client_credentials token with the rights scope is needed")
        app = grant.client_id
        sub, rrn = args.get("sub"), args.get("rrn")
        if bool(sub) == bool(rrn):
            raise InvalidRequestError(description="give exactly one of sub and rrn")
        if rrn:
            client = provider.clients.get(app)
            if client is None or "rrn" not in client.scopes or "rrn" not in grant.scopes:
                raise InsufficientScope(description="this client may not look people up by rrn")
            if not (rrn.isdigit() and len(rrn) == 11 and valid_rrn(rrn)):
                raise InvalidRequestError(description="rrn is not a valid national register number")
        else:
            rrn = provider.name_ids.rrn_for(app, sub or "")
            if rrn is None:
                raise UnknownPerson(description="no person with this sub for this application")
        if any(not g or len(g) > 40 for g in governments):
            raise InvalidRequestError(description="government must not be empty")
        now = provider.now()
        if self._read is not None:
            found = self._read(rrn, app, local_day(now), governments or None)
        else:
            with provider.read_db() as db:
                found = rights_answer(db, rrn, app, local_day(now), governments or None)
        if not found.person_known:
            raise UnknownPerson(description="unknown person")
        return {"sub": sub or subject(provider.name_ids, app, rrn), "rights": found.rights,
                "at": now.isoformat(timespec="seconds")}

