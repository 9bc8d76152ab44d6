"""What the provider hands out, kept in the shared one-time store (Redis in production, so
every worker sees it): authorization codes, access tokens, refresh tokens. Only a hash of each
token is a key; the token itself is never stored nor logged.

Everything issued from one authorization belongs to one *grant* (`gid`). A code is used once
(`take`); a second use revokes the grant, so the tokens the first use issued stop working
(RFC 6749 4.1.2). Logging out of the bridge session revokes the grants of that session.

Refresh tokens are bound to the core session (`Grant.session`; the token endpoint asks the
core whether it still lives) and rotate: each is used once and the answer carries the next,
of the same grant; a refresh token used a second time revokes the whole grant, the tokens
its first use issued included (OAuth 2.0 Security BCP, RFC 9700 4.14.2).
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from samlkit.replay import OneTimeStore

CODE_TTL = 60
ACCESS_TTL = 300
_CODE, _USED, _ACCESS, _REFRESH, _REFRESH_USED, _REVOKED = (
    "oidc:code:", "used:", "oidc:at:", "oidc:rt:", "oidc:rt-used:", "oidc:revoked:")


@dataclass
class Grant:
    """One authorization of one client: who (the session's person, as plain data), which
    scopes, and what binds it (the session, the redirect URI, the nonce, the PKCE challenge)."""

    client_id: str
    scopes: list[str]
    gid: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    kind: str = "user"  # "user" (authorization code) or "client" (client_credentials)
    person: dict[str, Any] | None = None  # SignedInPerson.to_dict()
    sid: str | None = None  # the bridge session's OIDC session ID for this client (`session_sid`)
    session: str | None = None  # the core session's ID (server-side only, never sent)
    redirect_uri: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    auth_time: int | None = None
    expires_at: int | None = None  # access tokens: when they lapse (for introspection)
    session_ends: int | None = None  # the session's absolute end: refresh tokens lapse then

    def to_json(self) -> str:
        # The fields are JSON values already: no dataclasses.asdict, whose recursive deep copy
        # of the person was a third of the token endpoint's CPU (three grants per exchange).
        return json.dumps(vars(self))

    @classmethod
    def from_json(cls, text: str) -> Grant:
        return cls(**json.loads(text))


def session_sid(core_id: str | None, client_id: str) -> str | None:
    """The OIDC `sid` of one sign-in session towards one client: the same for every ID token
    and logout_token of that session to that client, different for each client (pairwise:
    two applications cannot link their sessions by it), and the core session's ID cannot be
    read back from it."""
    if core_id is None:
        return None
    return hashlib.sha256(f"lb-idbeheer oidc sid|{client_id}|{core_id}".encode()).hexdigest()[:32]


def _h(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _gid_of(code: str) -> str:
    """The ID of the grant a code starts: derived from the code (which it does not reveal)."""
    return _h("grant of " + code)[:32]


class Grants:
    def __init__(self, store: OneTimeStore, *, revoke_ttl: int) -> None:
        self._store = store
        self._revoke_ttl = revoke_ttl  # at least as long as any token of a grant lives

    def new_code(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(32)
        grant.gid = _gid_of(code)
        self._store.put(_CODE + _h(code), grant.to_json(), CODE_TTL)
        return code

    def redeem_code(self, code: str) -> Grant | None:
        """The grant of an unused code; None for an unknown or reused one (a reuse revokes
        what the first use issued). The first use replaces the code's entry with a mark,
        kept as long as a revocation, in one atomic step; the grant's ID comes from the code
        itself, so the mark needs nothing read first."""
        used = _USED + _gid_of(code)
        raw = self._store.swap(_CODE + _h(code), used, self._revoke_ttl)
        if raw is None:
            return None
        if raw == used:
            self.revoke(_gid_of(code))
            return None
        grant = Grant.from_json(raw)
        # The grant itself cannot be revoked yet: only a use of what this redemption issues
        # (a reused code or refresh token) revokes it. Its session may have ended.
        revoked = grant.sid is not None and self._store.get(_REVOKED + "sid:" + grant.sid) is not None
        return None if revoked else grant

    def new_access_token(self, grant: Grant, now: int, ttl: int = ACCESS_TTL) -> str:
        return self.issue(grant, now, ttl, refresh=False)[0]

    def issue(self, grant: Grant, now: int, ttl: int = ACCESS_TTL, *,
              refresh: bool) -> tuple[str, str | None]:
        """A new access token of the grant and, when `refresh` and the session has time
        left, a refresh token (lapsing with the session), written in one round trip."""
        access = secrets.token_urlsafe(32)
        grant.expires_at = now + ttl
        items = [(_ACCESS + _h(access), grant.to_json(), ttl)]
        refresh_ttl = (grant.session_ends or 0) - now
        token = secrets.token_urlsafe(32) if refresh and refresh_ttl > 0 else None
        if token is not None:
            items.append((_REFRESH + _h(token), items[0][1], refresh_ttl))
        self._store.put_many(items)
        return access, token

    def access(self, token: str) -> Grant | None:
        raw = self._store.get(_ACCESS + _h(token)) if token else None
        if raw is None:
            return None
        grant = Grant.from_json(raw)
        return None if self.revoked(grant.gid, grant.sid) else grant

    def refresh_token_grant(self, token: str) -> Grant | None:
        """The grant of a refresh token, without using the token up."""
        raw = self._store.get(_REFRESH + _h(token))
        return Grant.from_json(raw) if raw is not None else None

    def redeem_refresh_token(self, token: str) -> Grant | None:
        """The grant of an unused refresh token; None for an unknown, expired or reused one
        (a reuse revokes the grant: whoever holds the next token loses it too)."""
        raw = self._store.take(_REFRESH + _h(token))
        if raw is None:
            used = self._store.get(_REFRESH_USED + _h(token))
            if used is not None:
                self.revoke(used)
            return None
        grant = Grant.from_json(raw)
        self._store.put(_REFRESH_USED + _h(token), grant.gid, self._revoke_ttl)
        return None if self.revoked(grant.gid, grant.sid) else grant

    def revoke(self, gid: str) -> None:
        self._store.put(_REVOKED + gid, "1", self._revoke_ttl)

    def revoke_session(self, sid: str) -> None:
        """The bridge session ended: every grant issued in it stops (refresh tokens too)."""
        self._store.put(_REVOKED + "sid:" + sid, "1", self._revoke_ttl)

    def revoked(self, gid: str, sid: str | None = None) -> bool:
        keys = [_REVOKED + gid] + ([_REVOKED + "sid:" + sid] if sid is not None else [])
        return any(value is not None for value in self._store.get_many(keys))
