"""AuthnRequests to the upstream IdP, and the memory of which ones are outstanding.

Outstanding requests live in the shared one-time store (Redis in production), keyed by the
request ID, together with the opaque state of whoever started the sign-in. The ACS finds them
by InResponseTo alone: it needs no session cookie, so the cross-site POST from the upstream
IdP works whatever SameSite policy the browser applies, and any worker can finish the flow.
"""
from __future__ import annotations

import datetime as dt

from attribute_authority.saml.bindings import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, redirect_url
from attribute_authority.saml.keys import KeyPair
from attribute_authority.saml.replay import OneTimeStore
from attribute_authority.saml.samlxml import NAMEID_TRANSIENT, el, instant, new_id, to_bytes
from attribute_authority.saml.spmetadata import IdpMetadata

from .peer import UpstreamUnavailable

_KEY = "bridge:upstream:outstanding:"


def start(idp: IdpMetadata, *, sp_entity_id: str, acs_url: str, keypair: KeyPair,
          store: OneTimeStore, state: str, force_authn: bool, now: dt.datetime,
          validity: dt.timedelta) -> tuple[str, str]:
    """Remember `state` under a new request ID; return (request ID, redirect URL)."""
    sso = idp.single_sign_on_services.get(BINDING_HTTP_REDIRECT)
    if sso is None:
        raise UpstreamUnavailable("no_upstream_sso", "the upstream IdP has no HTTP-Redirect SSO")
    request_id = new_id()
    root = el(None, "samlp:AuthnRequest", ID=request_id, Version="2.0", IssueInstant=instant(now),
              Destination=sso.location, AssertionConsumerServiceURL=acs_url,
              ProtocolBinding=BINDING_HTTP_POST, ForceAuthn="true" if force_authn else None)
    el(root, "saml:Issuer", sp_entity_id)
    el(root, "samlp:NameIDPolicy", Format=NAMEID_TRANSIENT, AllowCreate="true")
    store.put(_KEY + request_id, state, int(validity.total_seconds()))
    return request_id, redirect_url(sso.location, "SAMLRequest", to_bytes(root), None, keypair)


def take_outstanding(store: OneTimeStore, request_id: str | None) -> str | None:
    """The state of an outstanding request, once: a second answer to it finds nothing."""
    if not request_id:
        return None
    return store.take(_KEY + request_id)
