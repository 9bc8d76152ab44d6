"""The service-provider side of single logout with its IdP (SAML core 3.7), HTTP-Redirect
binding, for applications that sign in through the bridge (the admin UI).

- `request_logout` writes the signed LogoutRequest for a session's NameID and SessionIndex to
  the IdP's SingleLogoutService and remembers its ID among the outstanding requests;
- `accept_logout_response` takes the IdP's answer to such a request;
- `accept_logout_request` takes a LogoutRequest the IdP sends (the person signed out
  elsewhere, or switched capacity), `logout_response_url` answers it.

A received message's query-string signature is checked with the IdP's certificates before any
of its content is read; then its type, Issuer, Destination and age, and its ID is used once.
Every refusal is a `SamlSecurityError` with its own reason.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from .bindings import BINDING_HTTP_REDIRECT, Received, redirect_url, verify_redirect_signature
from .errors import LogoutRefused
from .logout import (
    PARTIAL_LOGOUT,
    NameId,
    check_delivery,
    logout_request,
    logout_response,
    name_id_of,
    use_once,
)
from .replay import OneTimeStore
from .samlxml import SAMLP, SUCCESS, issuer_of, read_status, to_bytes
from .sp_client import OutstandingRequests, ServiceProvider
from .spmetadata import Endpoint, IdpMetadata

__all__ = ["LoggedOut", "LogoutAsked", "accept_logout_request", "accept_logout_response",
           "logout_response_url", "request_logout"]

@dataclass(frozen=True)
class LoggedOut:
    """The IdP's verified answer to our LogoutRequest."""

    state: str  # what the starter remembered with the request
    partial: bool  # the IdP could not end every session of the person
    status: str | None


@dataclass(frozen=True)
class LogoutAsked:
    """A verified LogoutRequest of the IdP."""

    request_id: str
    name_id: NameId
    session_indexes: tuple[str, ...]
    relay_state: str | None


def request_logout(sp: ServiceProvider, idp: IdpMetadata, name_id: NameId,
                   session_index: str | None, outstanding: OutstandingRequests, *,
                   now: dt.datetime, state: str = "") -> str:
    """The URL that sends the browser to the IdP with a signed LogoutRequest."""
    endpoint = _slo_endpoint(idp)
    root = logout_request(issuer=sp.entity_id, destination=endpoint.location, name_id=name_id,
                          session_index=session_index, now=now)
    outstanding.remember(root.get("ID", ""), state)
    return redirect_url(endpoint.location, "SAMLRequest", to_bytes(root), None, sp.keypair)


def accept_logout_response(message: Received, sp: ServiceProvider, idp: IdpMetadata,
                           outstanding: OutstandingRequests, replay: OneTimeStore, *,
                           now: dt.datetime, skew: dt.timedelta = dt.timedelta(seconds=60)
                           ) -> LoggedOut:
    """The IdP's answer to a LogoutRequest of ours; raises a `SamlSecurityError` otherwise."""
    root = _verified(message, sp, idp, "LogoutResponse", now=now, skew=skew)
    use_once(replay, f"sp:{sp.entity_id}:logout-response:{idp.entity_id}:", root)
    state = outstanding.take(root.get("InResponseTo"))
    if state is None:
        raise LogoutRefused("unknown_in_response_to",
                            f"no outstanding LogoutRequest {root.get('InResponseTo')!r}")
    code, sub_code, _message = read_status(root)
    return LoggedOut(state, partial=code != SUCCESS or sub_code == PARTIAL_LOGOUT,
                     status=sub_code or code)


def accept_logout_request(message: Received, sp: ServiceProvider, idp: IdpMetadata,
                          replay: OneTimeStore, *, now: dt.datetime,
                          skew: dt.timedelta = dt.timedelta(seconds=60),
                          ours: Callable[[NameId], bool] = lambda _name_id: True) -> LogoutAsked:
    """A LogoutRequest of the IdP; raises a `SamlSecurityError` otherwise. `ours` says
    whether its NameID is the one the session at hand was signed in with; a request about
    another sign-in is refused (`not_this_session`) before its ID is used, so that it still
    works in the browser it was meant for."""
    root = _verified(message, sp, idp, "LogoutRequest", now=now, skew=skew)
    name_id = name_id_of(root)
    if name_id is None:
        raise LogoutRefused("no_name_id", "LogoutRequest without a (plain) NameID")
    if not ours(name_id):
        raise LogoutRefused("not_this_session", "LogoutRequest about another sign-in")
    use_once(replay, f"sp:{sp.entity_id}:logout-request:{idp.entity_id}:", root)
    indexes = tuple((node.text or "").strip() for node in root.findall(f"{{{SAMLP}}}SessionIndex"))
    return LogoutAsked(root.get("ID", ""), name_id, indexes, message.relay_state)


def logout_response_url(sp: ServiceProvider, idp: IdpMetadata, asked: LogoutAsked, *,
                        now: dt.datetime, partial: bool = False) -> str:
    """The URL that brings our signed LogoutResponse to the IdP, its RelayState echoed."""
    endpoint = _slo_endpoint(idp)
    location = endpoint.response_location or endpoint.location
    root = logout_response(issuer=sp.entity_id, destination=location,
                           in_response_to=asked.request_id, now=now, partial=partial)
    return redirect_url(location, "SAMLResponse", to_bytes(root), asked.relay_state, sp.keypair)


def _slo_endpoint(idp: IdpMetadata) -> Endpoint:
    endpoint = idp.single_logout_services.get(BINDING_HTTP_REDIRECT)
    if endpoint is None:
        raise LogoutRefused("no_slo_endpoint", f"{idp.entity_id} has no HTTP-Redirect SLO service")
    return endpoint


def _verified(message: Received, sp: ServiceProvider, idp: IdpMetadata, kind: str, *,
              now: dt.datetime, skew: dt.timedelta) -> etree._Element:
    """The message's root once its signature verified, if it is a `kind` of the IdP, to our
    SLO endpoint, issued within the validity window."""
    verify_redirect_signature(message, idp.signing_certs)
    # From here on the signed message is read.
    root = message.root
    if root.tag != f"{{{SAMLP}}}{kind}":
        reason = "not_a_logout_request" if kind == "LogoutRequest" else "not_a_logout_response"
        raise LogoutRefused(reason, f"{root.tag} is not a samlp:{kind}")
    if issuer_of(root) != idp.entity_id:
        raise LogoutRefused("wrong_issuer", f"{kind} issuer {issuer_of(root)!r}")
    check_delivery(root, destination=sp.slo_url, now=now, skew=skew)
    return root
