"""The admin UI as a SAML service provider of the bridge, like any target application.

entityID BASE/admin/metadata, assertion consumer BASE/admin/acs (HTTP-POST), signed
AuthnRequests to BASE/idp/sso; application `idbeheer` in the catalog (capacity employee). The
SAML work is the shared SP client; this module only ties it to the admin UI's configuration
and session.

Outstanding requests are kept in the admin UI's own session (server-side, session_store.py;
its cookie SameSite=Lax). That cookie reaches /admin/acs because the page that POSTs the
answer is the bridge's, at the same origin BASE in every mode (the bridge, dev_eid and the
admin UI are one application under one host).
The cross-site POST of a sign-in is the upstream IdP's to /sp/acs, which the bridge handles
without any cookie. Should the admin UI ever live on another site than the bridge, use
`StoreRequests` on the shared store instead (see samlkit.sp_client).

Single logout (BASE/admin/slo, HTTP-Redirect) is the shared SP side of
samlkit.sp_logout: "Afmelden" sends the bridge a signed LogoutRequest for the
NameID and SessionIndex this admin session was signed in with; the bridge's LogoutRequests
(the person signed out elsewhere) are verified and answered here. Outstanding LogoutRequests
are kept in the session too: the bridge's answer is a top-level redirect, which carries it.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping

from flask import current_app, session

from samlkit.bindings import BINDING_HTTP_REDIRECT, decode_redirect
from samlkit.logout import NameId
from samlkit.replay import MemoryStore
from samlkit.sp_client import (
    ServiceProvider,
    SessionRequests,
    SignedIn,
    accept_response,
    authn_request,
    capacity_extension,
    sp_metadata,
)
from samlkit.sp_logout import (
    LoggedOut,
    LogoutAsked,
    accept_logout_request,
    accept_logout_response,
    logout_response_url,
    request_logout,
)
from samlkit.spmetadata import IdpMetadata, parse_idp_metadata

from .config import AdminConfig

OUTSTANDING = "admin_saml"  # session key of the outstanding AuthnRequests
LOGOUT_OUTSTANDING = "admin_saml_logout"  # and of the outstanding LogoutRequests
MAX_MESSAGE_BYTES = 256 * 1024
_lock = threading.Lock()


def _config():
    return current_app.extensions["admin_ui"].config


def service_provider() -> ServiceProvider:
    config = _config()
    return ServiceProvider(config.entity_id, config.acs_url, config.keypairs[0], config.slo_url)


def _idp() -> IdpMetadata:
    state = current_app.extensions["admin_ui.sso"]
    if state.get("idp") is None:
        with _lock:
            if state.get("idp") is None:
                state["idp"] = parse_idp_metadata(_config().idp_metadata())
    return state["idp"]


def metadata() -> bytes:
    """Served at /admin/metadata, with validUntil (SAML2Int)."""
    return registration_metadata(_config(), now=dt.datetime.now(dt.UTC))


def registration_metadata(config: AdminConfig, now: dt.datetime | None = None) -> bytes:
    """The admin UI's SP metadata: served at /admin/metadata and, without validUntil,
    registered with the bridge as metadata/sp/idbeheer.xml (the bridge learns the SLO
    endpoint there)."""
    return sp_metadata(config.entity_id, config.acs_url, config.keypairs,
                       slo_url=config.slo_url, slo_binding=BINDING_HTTP_REDIRECT, now=now)


def sign_in_url(return_to: str, government: str | None = None) -> str:
    """A signed AuthnRequest to the bridge; `government` asks it for that capacity."""
    extensions = [capacity_extension(government)] if government else []
    sso = _idp().single_sign_on_services[BINDING_HTTP_REDIRECT].location
    return authn_request(service_provider(), sso, SessionRequests(session, key=OUTSTANDING),
                         now=dt.datetime.now(dt.UTC), state=return_to, extensions=extensions)


def bridge_session(signed_in: SignedIn) -> dict:
    """What a LogoutRequest for this sign-in needs: the NameID as issued and the SessionIndex."""
    return {"name_id": signed_in.subject.to_dict(), "session_index": signed_in.session_index}


def sign_out_url(session_of_bridge: Mapping | None) -> str | None:
    """A signed LogoutRequest that ends `session_of_bridge` (see `bridge_session`) at the
    bridge and everywhere it signed the person in; None without one or when the bridge
    publishes no single-logout service."""
    if not session_of_bridge or BINDING_HTTP_REDIRECT not in _idp().single_logout_services:
        return None
    return request_logout(service_provider(), _idp(), NameId.from_dict(session_of_bridge["name_id"]),
                          session_of_bridge.get("session_index"),
                          SessionRequests(session, key=LOGOUT_OUTSTANDING), now=dt.datetime.now(dt.UTC))


def bridge_sign_out_url() -> str | None:
    """Without a bridge session to name (one signed in before single logout), the bridge's own
    sign-out page, which asks the person to confirm. None if the bridge publishes none."""
    endpoint = _idp().single_logout_services.get(BINDING_HTTP_REDIRECT)
    return endpoint.location if endpoint else None


def accept_logout_answer(raw_query: bytes) -> LoggedOut:
    """The bridge's verified answer to our LogoutRequest; raises SamlSecurityError."""
    message = decode_redirect(raw_query, "SAMLResponse", MAX_MESSAGE_BYTES)
    return accept_logout_response(message, service_provider(), _idp(),
                                  SessionRequests(session, key=LOGOUT_OUTSTANDING), _replay(),
                                  now=dt.datetime.now(dt.UTC))


def accept_bridge_logout(raw_query: bytes, ours: Callable[[NameId], bool]) -> LogoutAsked:
    """The bridge's verified LogoutRequest about a NameID that `ours` accepts (this browser's
    sign-in); raises SamlSecurityError."""
    message = decode_redirect(raw_query, "SAMLRequest", MAX_MESSAGE_BYTES)
    return accept_logout_request(message, service_provider(), _idp(), _replay(),
                                 now=dt.datetime.now(dt.UTC), ours=ours)


def answer_bridge_logout(asked: LogoutAsked) -> str:
    """Our signed LogoutResponse (Success) to the bridge's SLO response location."""
    return logout_response_url(service_provider(), _idp(), asked, now=dt.datetime.now(dt.UTC))


def _replay():
    return current_app.extensions["admin_ui.sso"]["replay"]


def accept(form) -> SignedIn:
    """The bridge's verified answer; raises SamlSecurityError or SignInDeclined."""
    return accept_response(form, service_provider(), _idp(), SessionRequests(session, key=OUTSTANDING),
                           _replay(), now=dt.datetime.now(dt.UTC))


def install(app, config) -> None:
    app.extensions["admin_ui.sso"] = {"idp": None, "replay": config.replay or MemoryStore()}
