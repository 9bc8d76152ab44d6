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

from attribute_authority.rrn import is_valid as valid_rrn

from ..core import (
    INTERACTION_REQUIRED,
    METHOD_STRENGTH,
    NO_SESSION,
    Failure,
    PendingRequest,
    Ready,
    SignInCore,
)
from ..errors import RequestRefused
from ..logout import AppEntry
from .claims import ACR
from .clients import Client
from .grants import Grant, session_sid
from .provider import Provider

PROTOCOL = "oidc"
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_ERRORS = {NO_SESSION: "login_required", INTERACTION_REQUIRED: "interaction_required"}
# OIDC Core 6: request objects are not supported, and say so (discovery says so too).
_NOT_SUPPORTED = {"request": "request_not_supported", "request_uri": "request_uri_not_supported",
                  "registration": "registration_not_supported"}
_RRN_PUNCTUATION = re.compile(r"[.\- ]")


def _method_asked(acr_values: str | None) -> str | None:
    """The weakest sign-in method the voluntary acr_values (OIDC Core 3.1.2.1) accept; None:
    any (nothing asked, or only values we do not know, which are ignored). The core signs in
    afresh when the session's method is weaker, asking the upstream for this one; the ID
    token's `acr` always says what was used, which the application checks."""
    methods = [v[len(ACR):] for v in (acr_values or "").split() if v.startswith(ACR)]
    known = [m for m in methods if m in METHOD_STRENGTH]
    return min(known, key=METHOD_STRENGTH.__getitem__) if known else None


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

        for name, error in _NOT_SUPPORTED.items():
            if name in args:
                raise refuse(error, f"the {name} parameter is not supported")
        if args.get("response_type") != "code":
            raise refuse("unsupported_response_type", "only response_type=code is supported")
        if args.get("response_mode", "query") != "query":
            raise refuse("invalid_request", "only response_mode=query is supported")
        # offline_access is ignored (OIDC Core 11): refresh tokens live only with the session
        asked = [s for s in args.get("scope", "").split() if s != "offline_access"]
        if "openid" not in asked:
            raise refuse("invalid_scope", "the openid scope is required")
        # OIDC Core 3.1.2.1 and RFC 6749 3.3: a scope the client is not registered for (rrn
        # for an application not allowed it) or that we do not know is left out, not refused;
        # the token answer's `scope` names what was granted.
        scopes = [s for s in dict.fromkeys(asked) if s in ("openid", *client.scopes)]
        challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
        if challenge is not None or method is not None:
            if method != "S256":
                raise refuse("invalid_request", "code_challenge_method must be S256")
            if not challenge or not _CHALLENGE.match(challenge):
                raise refuse("invalid_request", "code_challenge malformed")
        elif client.public:
            raise refuse("invalid_request", "a public client must send a PKCE S256 code_challenge")
        prompts = set(args.get("prompt", "").split())
        if "none" in prompts and len(prompts) > 1:
            raise refuse("invalid_request", "prompt=none cannot be combined")
        max_age = None
        if args.get("max_age"):
            if not args["max_age"].isdigit():
                raise refuse("invalid_request", "max_age must be a number of seconds")
            max_age = int(args["max_age"])
        expected_rrn, hint_unchecked = self._login_hint(client, args.get("login_hint"))
        if args.get("id_token_hint"):
            # OIDC Core 3.1.2.1: answer for the person of an ID token we gave this client, or not
            hinted = self._id_token_hint(client, args["id_token_hint"])
            if hinted is None:
                raise refuse("invalid_request", "id_token_hint is not an ID token of ours for this client")
            if expected_rrn is not None and expected_rrn != hinted:
                raise refuse("invalid_request", "login_hint and id_token_hint name different people")
            expected_rrn = hinted
        capacity = args.get("capacity") or None
        return PendingRequest(
            protocol=PROTOCOL, app_code=client.client_id, capacity=capacity,
            force_authn="login" in prompts or hint_unchecked, passive="none" in prompts,
            max_age=max_age, method=_method_asked(args.get("acr_values")), expected_rrn=expected_rrn,
            continuation={"redirect_uri": redirect_uri, "state": state, "nonce": args.get("nonce"),
                          "code_challenge": challenge, "scopes": scopes})

    def _login_hint(self, client: Client, hint: str | None) -> tuple[str | None, bool]:
        """(the RRN the application expects, whether the hint forces a fresh sign-in).

        A hint is this application's own `sub`, or an RRN. An RRN is checked against the
        session only for an application allowed the rrn scope: for any other, comparing would
        tell it whether the signed-in person has that RRN (a code at once, or a sign-in page),
        so its RRN hint always asks for a fresh sign-in instead. Anything else is no hint."""
        if not hint or len(hint) > 200:
            return None, False
        digits = _RRN_PUNCTUATION.sub("", hint)
        if len(digits) == 11 and digits.isdigit() and valid_rrn(digits):
            return (digits, False) if "rrn" in client.scopes else (None, True)
        return self.provider.name_ids.rrn_for(client.client_id, hint), False

    def _id_token_hint(self, client: Client, hint: str) -> str | None:
        """The RRN behind an ID token we issued to this client (signature checked, expiry not:
        an expired ID token still names its person)."""
        claims = self.provider.keys.verify(hint)
        if claims is None or claims.get("iss") != self.provider.issuer \
                or claims.get("aud") != client.client_id or not isinstance(claims.get("sub"), str):
            return None
        return self.provider.name_ids.rrn_for(client.client_id, claims["sub"])

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
