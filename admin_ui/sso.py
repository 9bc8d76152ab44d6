"""The admin UI as a SAML service provider of the bridge, like any target application.

entityID BASE/admin/metadata, assertion consumer BASE/admin/acs (HTTP-POST), signed
AuthnRequests to BASE/idp/sso; application `idbeheer` in the catalog (capacity employee). The
SAML work is the shared SP client; this module only ties it to the admin UI's configuration
and session.

Outstanding requests are kept in the admin UI's own session cookie (SameSite=Lax). That cookie
reaches /admin/acs because the page that POSTs the answer is the bridge's, at the same origin
BASE in every mode (the bridge, dev_eid and the admin UI are one application under one host).
The cross-site POST of a sign-in is the upstream IdP's to /sp/acs, which the bridge handles
without any cookie. Should the admin UI ever live on another site than the bridge, use
`StoreRequests` on the shared store instead (see attribute_authority.saml.sp_client).
"""
from __future__ import annotations

import datetime as dt
import threading

from flask import current_app, session

from attribute_authority.saml.bindings import BINDING_HTTP_REDIRECT
from attribute_authority.saml.replay import MemoryStore
from attribute_authority.saml.sp_client import (
    ServiceProvider,
    SessionRequests,
    SignedIn,
    accept_response,
    authn_request,
    capacity_extension,
    sp_metadata,
)
from attribute_authority.saml.spmetadata import IdpMetadata, parse_idp_metadata

OUTSTANDING = "admin_saml"  # session key of the outstanding AuthnRequests
_lock = threading.Lock()


def _config():
    return current_app.extensions["admin_ui"].config


def service_provider() -> ServiceProvider:
    config = _config()
    return ServiceProvider(config.entity_id, config.acs_url, config.keypairs[0])


def _idp() -> IdpMetadata:
    state = current_app.extensions["admin_ui.sso"]
    if state.get("idp") is None:
        with _lock:
            if state.get("idp") is None:
                state["idp"] = parse_idp_metadata(_config().idp_metadata())
    return state["idp"]


def metadata() -> bytes:
    config = _config()
    return sp_metadata(config.entity_id, config.acs_url, config.keypairs)


def sign_in_url(return_to: str, government: str | None = None) -> str:
    """A signed AuthnRequest to the bridge; `government` asks it for that capacity."""
    extensions = [capacity_extension(government)] if government else []
    sso = _idp().single_sign_on_services[BINDING_HTTP_REDIRECT].location
    return authn_request(service_provider(), sso, SessionRequests(session, key=OUTSTANDING),
                         now=dt.datetime.now(dt.UTC), state=return_to, extensions=extensions)


def bridge_sign_out_url() -> str | None:
    """Where to end the bridge's session too, so that the next person at this computer must
    sign in again: the bridge's single-logout endpoint, which without a message asks the person
    to confirm signing out of every application and upstream (a bare GET never signs out).
    None if the bridge publishes none."""
    endpoint = _idp().single_logout_services.get(BINDING_HTTP_REDIRECT)
    return endpoint.location if endpoint else None


def accept(form) -> SignedIn:
    """The bridge's verified answer; raises SamlSecurityError or SignInDeclined."""
    return accept_response(form, service_provider(), _idp(), SessionRequests(session, key=OUTSTANDING),
                           current_app.extensions["admin_ui.sso"]["replay"],
                           now=dt.datetime.now(dt.UTC))


def install(app, config) -> None:
    app.extensions["admin_ui.sso"] = {"idp": None, "replay": config.replay or MemoryStore()}
