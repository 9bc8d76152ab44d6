"""The OAuth refusals the provider answers with: Authlib's typed errors, which render
themselves as the RFC's JSON (`InvalidGrantError` -> 400 `invalid_grant`). Descriptions are
fixed ASCII text of ours, never echoed input."""
from __future__ import annotations

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oidc.core.errors import InteractionRequiredError, LoginRequiredError


class UnsupportedGrantTypeError(OAuth2Error):
    """Authlib's own echoes the grant type it was sent; ours does not."""

    error = "unsupported_grant_type"


class InsufficientScope(OAuth2Error):
    error = "insufficient_scope"
    status_code = 403


class UnknownPerson(OAuth2Error):
    error = "unknown_person"
    status_code = 404


class LogoutRefused(Exception):
    """An RP-initiated logout that cannot be honoured as asked (unknown redirect, bad hint):
    shown as the bridge's page, never a redirect to an unregistered place."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = ["InsufficientScope", "InteractionRequiredError", "InvalidClientError", "InvalidGrantError",
           "InvalidRequestError", "InvalidScopeError", "InvalidTokenError", "LoginRequiredError",
           "LogoutRefused", "OAuth2Error", "UnauthorizedClientError", "UnknownPerson",
           "UnsupportedGrantTypeError", "UnsupportedResponseTypeError"]
