"""Single logout, front-channel (R12's other end): one browser trip through every application
of the session, then the upstream IdP, then the answer to whoever started it. A capacity
switch (R13) takes the same trip through the applications, then signs in anew upstream.

The plan of the trip sits in the shared store, keyed by an unguessable ID that travels as
RelayState, so each hop can land on any worker and needs no cookie (SameSite=Lax in demo
does not send one on a cross-site POST). The messages themselves are written by
`samlkit.logout`, shared with the applications' side.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field

from lxml import etree

from samlkit.bindings import (
    BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT,
    post_form,
    redirect_url,
)
from samlkit.keys import KeyPair
from samlkit.replay import OneTimeStore
from samlkit.samlxml import to_bytes
from samlkit.xmlsig import sign

_KEY = "bridge:logout:"
_TTL = 600


@dataclass
class Reply:
    """Whom to answer with a LogoutResponse at the end: an application, or the upstream IdP."""

    issuer: str  # our entityID towards that peer
    location: str
    request_id: str | None
    relay_state: str | None
    key_role: str  # "idp" (we answer an application) or "sp" (we answer the upstream IdP)
    binding: str = BINDING_HTTP_REDIRECT


@dataclass
class Plan:
    apps: list[dict] = field(default_factory=list)  # {sp, app, name_id, session_index}
    upstream: dict | None = None  # {name_id, session_index}
    reply: Reply | None = None
    partial: bool = False
    # A capacity switch (R13): after the applications, a fresh upstream sign-in (for the
    # waiting request, PendingRequest JSON, if any) instead of an answer.
    switch: bool = False
    pending: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        reply = data.pop("reply")
        return cls(**data, reply=Reply(**reply) if reply else None)


def save(store: OneTimeStore, plan: Plan, plan_id: str | None = None) -> str:
    plan_id = plan_id or secrets.token_urlsafe(24)
    store.put(_KEY + plan_id, plan.to_json(), _TTL)
    return plan_id


def load(store: OneTimeStore, plan_id: str | None) -> Plan | None:
    raw = store.take(_KEY + plan_id) if plan_id else None
    return Plan.from_json(raw) if raw else None


def send(root: etree._Element, location: str, binding: str, field_name: str,
         relay_state: str | None, keypair: KeyPair) -> tuple[str, str]:
    """('redirect', url) or ('post', html): a signed message on the chosen binding."""
    if binding == BINDING_HTTP_POST:
        sign(root, keypair)
        return "post", post_form(location, field_name, to_bytes(root), relay_state)
    return "redirect", redirect_url(location, field_name, to_bytes(root), relay_state, keypair)


__all__ = ["BINDING_HTTP_POST", "BINDING_HTTP_REDIRECT", "Plan", "Reply", "load", "save", "send"]
