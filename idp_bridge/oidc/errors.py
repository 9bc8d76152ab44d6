"""The OAuth refusals the provider answers with: Authlib's typed errors, which render
themselves as the RFC's JSON (`InvalidGrantError` -> 400 `invalid_grant`). Descriptions are
fixed ASCII text of ours, never echoed input."""
from __future__ import annotations

from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
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


__all__ = ["AccessDeniedError", "InsufficientScope", "InteractionRequiredError",
           "InvalidClientError", "InvalidGrantError", "InvalidRequestError", "InvalidScopeError",
           "InvalidTokenError", "LoginRequiredError", "OAuth2Error", "UnauthorizedClientError",
           "UnknownPerson", "UnsupportedGrantTypeError"]
