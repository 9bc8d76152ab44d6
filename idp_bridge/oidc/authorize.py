"""The authorization endpoint (OIDC Core 3.1.2) as a front end of the sign-in core: the
request is checked, handed to `core.start` as a `PendingRequest(protocol="oidc")`, and the
core's `Ready` is answered with a single-use code on the registered redirect_uri (with `iss`,
RFC 9207). A request whose client or redirect_uri is not registered is refused on a page of
ours, never redirected; any other refusal goes back to the redirect_uri as an OAuth error."""
from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Response

from ..core import INTERACTION_REQUIRED, NO_SESSION, Failure, PendingRequest, Ready, SignInCore
from ..errors import RequestRefused
from ..logout import AppEntry
from .grants import Grant, session_sid
from .provider import Provider

PROTOCOL = "oidc"
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_ERRORS = {NO_SESSION: "login_required", INTERACTION_REQUIRED: "interaction_required"}


class Redirected(Exception):
    """A refusal answerable on the (checked) redirect_uri."""

    def __init__(self, redirect_uri: str, state: str | None, error: str, description: str) -> None:
        super().__init__(error)
        self.redirect_uri, self.state, self.error, self.description = redirect_uri, state, error, description


def redirect(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return Response(status=303, headers={"Location": uri + ("&" if "?" in uri else "?") + query,
                                         "Cache-Control": "no-store"})


class OidcFrontEnd:
    protocol = PROTOCOL
    answers_by_redirect = True  # the bridge answers the capacity form's POST at once (web.py)

    def __init__(self, provider: Provider, core: SignInCore) -> None:
        self.provider, self.core = provider, core

    def authorize(self, args: Mapping[str, str]) -> PendingRequest:
        client = self.provider.clients.get(args.get("client_id"))
        if client is None:
            raise RequestRefused("oidc_unknown_client", "unknown client_id")
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            raise RequestRefused("oidc_redirect_uri", "redirect_uri not registered")
        state = args.get("state")

        def refuse(error: str, description: str) -> Redirected:
            return Redirected(redirect_uri, state, error, description)

        if args.get("response_type") != "code":
            raise refuse("unsupported_response_type", "only response_type=code is supported")
        # offline_access is ignored (OIDC Core 11): refresh tokens live only with the session
        scopes = [s for s in args.get("scope", "").split() if s != "offline_access"]
        if "openid" not in scopes:
            raise refuse("invalid_scope", "the openid scope is required")
        if not set(scopes) <= {"openid", *client.scopes}:
            raise refuse("invalid_scope", "scope not registered for this client")
        challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
        if challenge is not None or method is not None:
            if method != "S256":
                raise refuse("invalid_request", "code_challenge_method must be S256")
            if not challenge or not _CHALLENGE.match(challenge):
                raise refuse("invalid_request", "code_challenge malformed")
        prompts = set(args.get("prompt", "").split())
        if "none" in prompts and len(prompts) > 1:
            raise refuse("invalid_request", "prompt=none cannot be combined")
        max_age = None
        if args.get("max_age"):
            if not args["max_age"].isdigit():
                raise refuse("invalid_request", "max_age must be a number of seconds")
            max_age = int(args["max_age"])
        capacity = args.get("capacity") or None
        return PendingRequest(
            protocol=PROTOCOL, app_code=client.client_id, capacity=capacity,
            force_authn="login" in prompts, passive="none" in prompts, max_age=max_age,
            continuation={"redirect_uri": redirect_uri, "state": state, "nonce": args.get("nonce"),
                          "code_challenge": challenge, "scopes": scopes})

    def answer(self, ready: Ready) -> Response:
        person, pending = ready.person, ready.pending
        cont = pending.continuation
        sub = self.provider.name_ids.name_id(pending.app_code, person.rrn)
        core_id = self.core.session_id()
        grant = Grant(client_id=pending.app_code, scopes=cont["scopes"], person=person.to_dict(),
                      sid=session_sid(core_id, pending.app_code), session=core_id,
                      redirect_uri=cont["redirect_uri"], nonce=cont.get("nonce"),
                      code_challenge=cont.get("code_challenge"),
                      auth_time=int(person.authn_instant.timestamp()),
                      session_ends=int((person.authn_instant + self.provider.lifetime).timestamp()))
        code = self.provider.grants.new_code(grant)
        self.core.answered(pending, person, AppEntry(PROTOCOL, pending.app_code, pending.app_code, sub,
                                                     grant.sid))
        return redirect(cont["redirect_uri"], {"code": code, "state": cont.get("state"),
                                               "iss": self.provider.issuer})

    def fail(self, pending: PendingRequest, failure: Failure) -> Response:
        cont = pending.continuation
        return redirect(cont["redirect_uri"], {"error": _ERRORS.get(failure.reason, "access_denied"),
                                               "state": cont.get("state"),
                                               "iss": self.provider.issuer})

    def refused(self, exc: Redirected) -> Response:
        return redirect(exc.redirect_uri, {"error": exc.error, "error_description": exc.description,
                                           "state": exc.state, "iss": self.provider.issuer})
