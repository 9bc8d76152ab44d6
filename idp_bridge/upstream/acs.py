"""The assertion consumer: from the upstream IdP's POSTed Response to a `SignedInPerson`.

Verify before reading, then read only what was verified: the shared SP client
(`samlkit.sp_client`) checks both signatures on the tree as received (an
EncryptedAssertion: the Response's signature, then decryption with the bridge SP's encryption
key, then the decrypted Assertion's own signature),
Destination, Recipient, Audience, the validity window, InResponseTo against the outstanding
requests in the shared store and one-time use of the assertion ID, each refusal with its own
reason code. What is the bridge's own is here: the authentication method from the
AuthnContextClassRef and the person from the eGov attributes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from attribute_authority import rrn as rrn_rules
from attribute_authority.errors import InvalidRrn
from samlkit.errors import SamlSecurityError
from samlkit.keys import KeyPair
from samlkit.logout import NameId
from samlkit.replay import OneTimeStore
from samlkit.sp_client import (
    ServiceProvider,
    SignInDeclined,
    accept_response,
)
from samlkit.spmetadata import IdpMetadata

from ..errors import BridgeRefusal, UpstreamRefused, reason_of
from ..i18n import lazy_gettext as _l
from ..person import SignedInPerson
from .authn import outstanding

EGOV = {"egovNRN": "rrn", "surname": "surname", "givenName": "given_name", "mail": "mail",
        "PrefLanguage": "language"}
_ANY = dt.timedelta(0)  # taking a request needs no lifetime


class UpstreamFailed(BridgeRefusal):
    """The upstream IdP answered, correctly signed, that the person did not get through."""

    status = 401
    message = _l("Aanmelden bij de federale aanmeldingsdienst is niet gelukt of werd geannuleerd.")

    def __init__(self, reason: str, detail: str, state: str) -> None:
        super().__init__(reason, detail)
        self.state = state


@dataclass(frozen=True)
class Accepted:
    person: SignedInPerson
    state: str  # what the starter of the sign-in stored with the request
    name_id: NameId  # upstream NameID as issued and session index: for upstream logout only
    session_index: str | None


@dataclass(frozen=True)
class AcsContext:
    sp: ServiceProvider
    idp: IdpMetadata
    store: OneTimeStore
    authn_contexts: Mapping[str, str]
    now: dt.datetime
    skew: dt.timedelta
    max_bytes: int
    decryption_keys: tuple[KeyPair, ...] = ()  # for an EncryptedAssertion: current, staged


def consume(form: Mapping[str, str], ctx: AcsContext) -> Accepted:
    """Accept one POSTed SAMLResponse or raise `UpstreamRefused` / `UpstreamFailed`."""
    try:
        signed_in = accept_response(form, ctx.sp, ctx.idp, outstanding(ctx.store, _ANY),
                                    ctx.store, now=ctx.now, skew=ctx.skew, max_bytes=ctx.max_bytes,
                                    decryption_keys=ctx.decryption_keys,
                                    signed_errors_only=True)
    except SignInDeclined as exc:
        reason = "upstream_" + _snake((exc.sub_code or exc.code or "error").rsplit(":", 1)[-1])
        raise UpstreamFailed(reason, exc.message or exc.sub_code or exc.code or "", exc.state) from None
    except SamlSecurityError as exc:
        raise UpstreamRefused(reason_of(exc), exc.message) from None
    method = ctx.authn_contexts.get(signed_in.authn_context or "")
    if method is None:
        raise UpstreamRefused("unknown_authn_context",
                              f"AuthnContextClassRef {signed_in.authn_context!r}")
    attributes = _attributes(signed_in.attributes)
    person = SignedInPerson(
        rrn=attributes["rrn"], surname=attributes.get("surname", ""),
        given_name=attributes.get("given_name", ""), method=method,
        authn_instant=signed_in.authn_instant or ctx.now,
        mail=attributes.get("mail"), language=attributes.get("language"))
    return Accepted(person, signed_in.state, signed_in.subject, signed_in.session_index)


def _attributes(released: Mapping[str, list[str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for full_name, values in released.items():
        name = EGOV.get(full_name.rsplit(":", 1)[-1])
        if name and values and name not in found:
            found[name] = values[0]
    try:
        found["rrn"] = rrn_rules.parse(found.get("rrn", "")).rrn
    except InvalidRrn:
        raise UpstreamRefused("invalid_rrn", "egovNRN missing or not a valid RRN/BIS") from None
    return found


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
