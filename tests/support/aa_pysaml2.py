"""pysaml2's client side playing the target application against our AA (interop)."""
from __future__ import annotations

from pathlib import Path

import requests
from lxml import etree
from saml2 import BINDING_HTTP_POST, saml
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.response import AttributeResponse
from saml2.sigver import get_xmlsec_binary

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
RIGHT = "urn:lb-idbeheer:attribute:right"


def client(base_url: str, entity_id: str, key_file: Path, cert_file: Path,
           workdir: Path, *, want_response_signed: bool = True) -> Saml2Client:
    """A pysaml2 SP that trusts the AA's metadata as fetched over HTTP and signs its queries
    with RSA-SHA256 (pysaml2's default rsa-sha1 is refused by the AA). It wants a signed
    Assertion always, and a signed Response too unless `want_response_signed` is false."""
    metadata = workdir / "aa-metadata.xml"
    metadata.write_bytes(requests.get(f"{base_url}/aa/metadata", timeout=10).content)
    config = SPConfig()
    config.load({
        "entityid": entity_id,
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "xmlsec_binary": get_xmlsec_binary(),
        "metadata": {"local": [str(metadata)]},
        "signing_algorithm": RSA_SHA256,
        "digest_algorithm": SHA256,
        "accepted_time_diff": 30,
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [
                (entity_id.replace("/metadata", "/acs"), BINDING_HTTP_POST)]},
            "want_response_signed": want_response_signed,
            "want_assertions_signed": True,
            "allow_unsolicited": True,
        }},
    })
    return Saml2Client(config)


def scope(government: str) -> dict:
    """pysaml2 writes one AttributeValue per attribute (a list is read as value and xsi:type),
    so several governments are asked with hand-written queries."""
    return {("urn:lb-idbeheer:attribute:government", URI, "government"): government}


def ask(sp: Saml2Client, soap_url: str, rrn: str, *, government: str | None = None,
        name_format: str = UNSPECIFIED):
    """Query with pysaml2 (its own message classes, signing and SOAP sending) and parse the
    answer with pysaml2. Its SOAP unpacking re-serializes the Response with ns0: prefixes,
    which breaks any signature made by another stack (ours included), so the Response is
    taken out of the envelope with lxml, as received, and handed to pysaml2 unwrapped."""
    _, query = sp.create_attribute_query(
        soap_url, name_id=saml.NameID(text=rrn, format=name_format),
        attribute=scope(government) if government else None,
        sign=True, sign_alg=RSA_SHA256, digest_alg=SHA256)
    reply = sp.send_using_soap(query, soap_url)
    assert reply.status_code == 200, reply.text
    # What parse_attribute_query_response does for BINDING_SOAP, minus the SOAP unpacking.
    return sp._parse_response(response_from_envelope(reply.content), AttributeResponse,
                              "attribute_consuming_service", None, asynchop=False,
                              entity_id=sp.config.entityid,
                              attribute_converters=sp.config.attribute_converters)


def response_from_envelope(data: bytes) -> bytes:
    body = etree.fromstring(data).find(f"{{{SOAP_ENV}}}Body")
    (response,) = list(body)
    return etree.tostring(response)


def rights(parsed) -> list[str]:
    """The right values of the Assertion pysaml2 verified (signature, audience, validity)."""
    (statement,) = parsed.assertion.attribute_statement
    (attribute,) = [a for a in statement.attribute if a.name == RIGHT]
    return sorted(value.text for value in attribute.attribute_value)
