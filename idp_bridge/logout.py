"""Single logout, front-channel and back-channel (R12's other end), as typed records: one
trip through every application of the session (each by the hop handler of its protocol, see
`core`), then the upstream IdP, then the answer to whoever started it. A capacity switch (R13)
takes the same trip through the applications, then signs in anew upstream.

The plan of the trip sits in the shared store, keyed by an unguessable ID that travels as
RelayState (SAML) or state, so each hop can land on any worker and needs no cookie
(SameSite=Lax in demo does not send one on a cross-site POST).
"""
from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from samlkit.replay import OneTimeStore

if TYPE_CHECKING:
    from .core import PendingRequest

_KEY = "bridge:logout:"
_TTL = 600


@dataclass(frozen=True)
class AppEntry:
    """One application this session answered: what its front end needs to sign it out."""

    protocol: str  # "saml" | "oidc": whose hop handler signs it out
    app_code: str
    peer: str  # SAML: the SP's entityID; OIDC: the client_id
    subject: str  # what the application got: SAML NameID value, OIDC pairwise `sub`
    session_index: str | None = None  # SAML SessionIndex, OIDC `sid`
    subject_format: str | None = None  # SAML NameID Format

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppEntry:
        if "protocol" not in data:  # a session stored before entries were typed (SAML only)
            return cls("saml", data["app"], data["sp"], data["name_id"],
                       data.get("session_index"), data.get("format"))
        return cls(**data)


@dataclass(frozen=True)
class Reply:
    """Whom to answer at the end of the trip, by the reply handler of `protocol`: "saml" (an
    application's LogoutRequest), "upstream" (the upstream IdP's LogoutRequest), "oidc"
    (RP-initiated logout: `location` is the post_logout_redirect_uri, `relay_state` the state)."""

    protocol: str
    location: str
    request_id: str | None = None
    relay_state: str | None = None
    binding: str | None = None


@dataclass
class LogoutPlan:
    entries: list[AppEntry] = field(default_factory=list)
    upstream: dict[str, Any] | None = None  # the back end's record of the upstream sign-in
    reply: Reply | None = None
    partial: bool = False
    # A capacity switch (R13): after the applications, a fresh upstream sign-in (for the
    # waiting request, if any) instead of an answer.
    switch: bool = False
    pending: PendingRequest | None = None
    # Another person finished a forced fresh sign-in (ForceAuthn, prompt=login, max_age, a
    # login hint): after the previous person's applications, the capacity page of the new one.
    resume: bool = False

    def to_json(self) -> str:
        return json.dumps({"entries": [e.to_dict() for e in self.entries],
                           "upstream": self.upstream,
                           "reply": asdict(self.reply) if self.reply else None,
                           "partial": self.partial, "switch": self.switch,
                           "resume": self.resume,
                           "pending": self.pending.to_json() if self.pending else None})

    @classmethod
    def from_json(cls, text: str) -> LogoutPlan:
        from .core import PendingRequest

        data = json.loads(text)
        return cls(entries=[AppEntry.from_dict(e) for e in data["entries"]],
                   upstream=data["upstream"],
                   reply=Reply(**data["reply"]) if data["reply"] else None,
                   partial=data["partial"], switch=data["switch"],
                   resume=data.get("resume", False),
                   pending=PendingRequest.from_json(data["pending"]) if data["pending"] else None)


def save(store: OneTimeStore, plan: LogoutPlan, plan_id: str | None = None) -> str:
    plan_id = plan_id or secrets.token_urlsafe(24)
    store.put(_KEY + plan_id, plan.to_json(), _TTL)
    return plan_id


def load(store: OneTimeStore, plan_id: str | None) -> LogoutPlan | None:
    try:
        raw = store.take(_KEY + plan_id) if plan_id else None
    except UnicodeError:  # a RelayState no store key can be made of: no plan
        return None
    return LogoutPlan.from_json(raw) if raw else None
