"""AuthnRequests to the upstream IdP, and the memory of which ones are outstanding.

Outstanding requests live in the shared one-time store (Redis in production), keyed by the
request ID, together with the opaque state of whoever started the sign-in. The ACS finds them
by InResponseTo alone: it needs no session cookie, so the cross-site POST from the upstream
IdP works whatever SameSite policy the browser applies, and any worker can finish the flow.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from samlkit.bindings import BINDING_HTTP_REDIRECT
from samlkit.keys import KeyPair
from samlkit.replay import OneTimeStore
from samlkit.samlxml import NAMEID_TRANSIENT
from samlkit.sp_client import ServiceProvider, StoreRequests, authn_request
from samlkit.spmetadata import IdpMetadata

from .peer import UpstreamUnavailable

_KEY = "bridge:upstream:outstanding:"


def outstanding(store: OneTimeStore, validity: dt.timedelta) -> StoreRequests:
    return StoreRequests(store, _KEY, validity.total_seconds())


def start(idp: IdpMetadata, *, sp_entity_id: str, acs_url: str, keypair: KeyPair,
          store: OneTimeStore, state: str, force_authn: bool, now: dt.datetime,
          validity: dt.timedelta, authn_contexts: Sequence[str] = ()) -> str:
    """Remember `state` under a new request ID; return the redirect URL to the upstream IdP
    (`authn_contexts`: the AuthnContextClassRefs that will do; none: any)."""
    sso = idp.single_sign_on_services.get(BINDING_HTTP_REDIRECT)
    if sso is None:
        raise UpstreamUnavailable("no_upstream_sso", "the upstream IdP has no HTTP-Redirect SSO")
    return authn_request(ServiceProvider(sp_entity_id, acs_url, keypair), sso.location,
                         outstanding(store, validity), now=now, state=state,
                         force_authn=force_authn, name_id_format=NAMEID_TRANSIENT,
                         authn_contexts=authn_contexts)
