"""A stand-in IdP for tests of service providers (the SP client, the admin UI): it reads the
SP's signed AuthnRequest from the redirect URL and writes the signed Response the bridge would,
with one thing changed at a time when a test asks."""
from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from samlkit.bindings import (
    BINDING_HTTP_REDIRECT,
    decode_redirect,
    verify_redirect_signature,
)
from samlkit.keys import KeyPair
from samlkit.mdprofile import key_descriptor
from samlkit.samlxml import (
    ATTRNAME_URI,
    NAMEID_PERSISTENT,
    SUCCESS,
    bearer_assertion,
    el,
    name_id,
    response,
    status,
    to_bytes,
)
from samlkit.spmetadata import IdpMetadata, parse_idp_metadata
from samlkit.xmlsig import sign

IDP_ENTITY = "http://localhost/idp/metadata"
SSO_URL = "http://localhost/idp/sso"
P = "urn:lb-idbeheer:attribute:"


class StubIdp:
    def __init__(self, keypair: KeyPair, entity_id: str = IDP_ENTITY, sso_url: str = SSO_URL) -> None:
        self.keypair, self.entity_id, self.sso_url = keypair, entity_id, sso_url

    def metadata(self) -> IdpMetadata:
        return parse_idp_metadata(self.metadata_xml())

    def metadata_xml(self) -> bytes:
        root = el(None, "md:EntityDescriptor", entityID=self.entity_id)
        idp = el(root, "md:IDPSSODescriptor",
                 protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol")
        key_descriptor(idp, self.keypair, "signing")
        el(idp, "md:SingleSignOnService", Binding=BINDING_HTTP_REDIRECT, Location=self.sso_url)
        return to_bytes(root)

    @staticmethod
    def request_of(url: str, sp_certs=None) -> etree._Element:
        """The AuthnRequest of a redirect URL (its signature checked when certs are given)."""
        query = urlsplit(url).query.encode()
        message = decode_redirect(query, "SAMLRequest", 1 << 20)
        if sp_certs is not None:
            verify_redirect_signature(message, sp_certs)
        return message.root

    def answer(self, url: str, attributes: dict[str, list[str]] | None = None, *,
               audience: str | None = None, recipient: str | None = None,
               destination: str | None = None, in_response_to: str | None = "same",
               now: dt.datetime | None = None, validity=dt.timedelta(minutes=5),
               sign_assertion: bool = True, signer: KeyPair | None = None,
               code: str = SUCCESS, relay_state: str | None = None) -> dict[str, str]:
        """The POST form fields answering the AuthnRequest in `url`."""
        request = self.request_of(url)
        acs = request.get("AssertionConsumerServiceURL")
        sp = request.findtext("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
        irt = request.get("ID") if in_response_to == "same" else in_response_to
        now = now or dt.datetime.now(dt.UTC)
        root = response(issuer=self.entity_id, destination=destination or acs,
                        in_response_to=irt, now=now)
        status(root, code)
        if code == SUCCESS:
            assertion = bearer_assertion(
                root, issuer=self.entity_id, name_id=name_id("nameid-1", NAMEID_PERSISTENT),
                recipient=recipient or acs, in_response_to=irt, audience=audience or sp, now=now,
                validity=validity, authn_instant=now, class_ref="urn:be:fedict:iam:fas:citizen:eid",
                attributes=sorted((attributes or {}).items()), name_format=ATTRNAME_URI)
            if sign_assertion:
                sign(assertion, signer or self.keypair)
        form = {"SAMLResponse": base64.b64encode(to_bytes(root)).decode()}
        relay = relay_state
        if relay is None:
            relay = parse_qs(urlsplit(url).query).get("RelayState", [None])[0]
        if relay:
            form["RelayState"] = relay
        return form


def employee(rrn: str, government: str, *rights: str, surname="Peeters", given="An") -> dict[str, list[str]]:
    """The attributes the bridge releases for an employee capacity."""
    found = {P + "rrn": [rrn], P + "surname": [surname], P + "givenName": [given],
             P + "authnMethod": ["eid"], P + "capacity": ["employee"], P + "government": [government]}
    if rights:
        found[P + "right"] = list(rights)
    return found


def citizen(rrn: str) -> dict[str, list[str]]:
    return {P + "rrn": [rrn], P + "surname": ["Peeters"], P + "givenName": ["An"],
            P + "authnMethod": ["eid"], P + "capacity": ["citizen"]}
