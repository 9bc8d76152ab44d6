"""The protocol side of dev_eid: read the bridge's AuthnRequest, write the federal-style answer."""
from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree

from attribute_authority.national_register import RegisterRecord
from samlkit.bindings import Received, verify_redirect_signature
from samlkit.encryption import encrypt_assertion
from samlkit.keys import KeyPair
from samlkit.logout import logout_response
from samlkit.mdprofile import entity_descriptor, key_descriptor
from samlkit.replay import OneTimeStore
from samlkit.samlxml import (
    AUTHN_FAILED,
    NAMEID_TRANSIENT,
    RESPONDER,
    SAML,
    SAMLP,
    SUCCESS,
    bearer_assertion,
    el,
    issuer_of,
    name_id,
    new_id,
    response,
    status,
    to_bytes,
)
from samlkit.xmlsig import sign

from ..downstream.metadata import SAML2
from ..errors import RequestRefused

CLASS_REFS = {
    "eid": "urn:be:fedict:iam:fas:citizen:eid",
    "token": "urn:be:fedict:iam:fas:citizen:token",
}
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
# outcome -> (second-level status, message); "ok" signs the person in
FAILURES = {
    "cancel": (AUTHN_FAILED, "De gebruiker heeft het aanmelden geannuleerd."),
    "card_error": (None, "De eID-kaart kon niet gelezen worden."),
}
_KEY = "dev-eid:request:"


@dataclass(frozen=True)
class TrustedSp:
    entity_id: str
    acs_url: str
    slo_url: str
    signing_certs: Sequence[x509.Certificate]
    encryption_certs: Sequence[x509.Certificate] = ()


@dataclass
class DevEid:
    base_url: str
    keypair: KeyPair
    store: OneTimeStore
    trusted_sp: Callable[[str], TrustedSp | None]
    clock: Callable[[], dt.datetime]
    # Encrypt each assertion (signed first) to the SP's encryption key, as the federal IdP may.
    encrypt: bool = False
    class_refs: Mapping[str, str] = field(default_factory=lambda: dict(CLASS_REFS))

    @property
    def entity_id(self) -> str:
        return self.base_url + "/dev-eid/metadata"

    def metadata(self, now: dt.datetime | None = None) -> bytes:
        """`now` for the copy served at /dev-eid/metadata (SAML2Int: validUntil); the bridge's
        own copy in metadata/upstream/ has none."""
        root = entity_descriptor(self.entity_id, now)
        idp = el(root, "md:IDPSSODescriptor", protocolSupportEnumeration=SAML2,
                 WantAuthnRequestsSigned="true")
        key_descriptor(idp, self.keypair, "signing")
        el(idp, "md:SingleLogoutService", Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
           Location=self.base_url + "/dev-eid/slo")
        el(idp, "md:NameIDFormat", NAMEID_TRANSIENT)
        el(idp, "md:SingleSignOnService", Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
           Location=self.base_url + "/dev-eid/sso")
        return to_bytes(root)

    def accept_request(self, message: Received) -> str:
        """Check a signed AuthnRequest of a trusted SP; return a handle for the sign-in form."""
        root = message.root
        sp = self.trusted_sp(issuer_of(root) or "")
        if root.tag != f"{{{SAMLP}}}AuthnRequest" or sp is None:
            raise RequestRefused("unknown_application", "dev_eid serves the bridge only")
        verify_redirect_signature(message, sp.signing_certs)
        acs = root.get("AssertionConsumerServiceURL") or sp.acs_url
        if acs != sp.acs_url:
            raise RequestRefused("wrong_acs", acs)
        handle = secrets.token_urlsafe(18)
        request = {"id": root.get("ID"), "sp": sp.entity_id, "acs": acs,
                   "relay_state": message.relay_state, "methods": self._methods_asked(root)}
        self.store.put(_KEY + handle, json.dumps(request), 900)
        return handle

    def _methods_asked(self, root: etree._Element) -> list[str]:
        """The sign-in methods a RequestedAuthnContext (exact) leaves, as the federal IdP
        offers only the means asked for; without one (or naming none we know): all."""
        asked = [ref.text for ref in root.iterfind(
            f"{{{SAMLP}}}RequestedAuthnContext/{{{SAML}}}AuthnContextClassRef")]
        methods = [m for m, ref in self.class_refs.items() if ref in asked]
        return methods or list(self.class_refs)

    def methods(self, handle: str) -> list[str]:
        """The methods the sign-in form behind `handle` offers."""
        raw = self.store.get(_KEY + handle) if handle else None
        return json.loads(raw).get("methods", list(self.class_refs)) if raw else list(self.class_refs)

    def answer(self, handle: str, record: RegisterRecord | None, method: str,
               outcome: str) -> tuple[str, bytes, str | None]:
        """(ACS URL, signed Response, RelayState) for the request behind `handle`."""
        raw = self.store.take(_KEY + handle)
        if raw is None:
            raise RequestRefused("unknown_request", "this sign-in form was already used or expired")
        request = json.loads(raw)
        if method not in request.get("methods", self.class_refs):
            raise RequestRefused("method_not_offered", "this sign-in method was not asked for")
        now = self.clock()
        root = response(issuer=self.entity_id, destination=request["acs"],
                        in_response_to=request["id"], now=now)
        if outcome in FAILURES or record is None:
            sub_code, message = FAILURES.get(outcome, (AUTHN_FAILED, "Onbekende persoon."))
            status(root, RESPONDER, sub_code, message)
        else:
            status(root, SUCCESS)
            released = [(name, [value]) for name, value in (
                ("egovNRN", record.rrn), ("surname", record.surname),
                ("givenName", record.given_name), ("mail", record.email),
                ("PrefLanguage", record.language)) if value]
            assertion = bearer_assertion(
                root, issuer=self.entity_id,
                # qualified, as many IdPs do: the bridge must send all of it back at logout
                name_id=name_id(new_id(), NAMEID_TRANSIENT, NameQualifier=self.entity_id,
                                SPNameQualifier=request["sp"]),
                recipient=request["acs"], in_response_to=request["id"], audience=request["sp"],
                now=now, validity=dt.timedelta(minutes=5), authn_instant=now,
                class_ref=self.class_refs[method], attributes=released, name_format=BASIC)
            sign(assertion, self.keypair)
            if self.encrypt:
                self._encrypt(root, assertion, request["sp"])
        sign(root, self.keypair)  # the Assertion first, then the Response around it
        return request["acs"], to_bytes(root), request["relay_state"]

    def _encrypt(self, root: etree._Element, assertion: etree._Element, sp_entity_id: str) -> None:
        """Put the signed Assertion, encrypted to the SP's first encryption key, in its place."""
        sp = self.trusted_sp(sp_entity_id)
        if sp is None or not sp.encryption_certs:
            raise RequestRefused("no_encryption_key", "the SP publishes no encryption key")
        root.replace(assertion, encrypt_assertion(assertion, sp.encryption_certs[0]))

    def logout_response(self, message: Received) -> tuple[str, bytes, str | None]:
        """Answer a LogoutRequest of the trusted SP with Success (dev_eid keeps no sessions)."""
        root = message.root
        sp = self.trusted_sp(issuer_of(root) or "")
        if root.tag != f"{{{SAMLP}}}LogoutRequest" or sp is None:
            raise RequestRefused("unknown_application", "dev_eid serves the bridge only")
        verify_redirect_signature(message, sp.signing_certs)
        response = logout_response(issuer=self.entity_id, destination=sp.slo_url,
                                   in_response_to=root.get("ID"), now=self.clock())
        return sp.slo_url, to_bytes(response), message.relay_state
