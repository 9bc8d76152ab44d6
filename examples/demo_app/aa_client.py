"""Ask the lb-idbeheer attribute authority which rights a person holds: a signed SAML 2.0
AttributeQuery over SOAP, and a careful reading of the answer.

Self-contained on purpose (lxml, python-xmlsec and the standard library only): copy it into
your application. README.md walks through it.
"""
from __future__ import annotations

import base64
import secrets
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone

import xmlsec
from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
RIGHT = "urn:lb-idbeheer:attribute:right"
GOVERNMENT = "urn:lb-idbeheer:attribute:government"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
NS = {"soap": SOAP_ENV, "samlp": SAMLP, "saml": SAML, "md": MD, "ds": DS}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


@dataclass(frozen=True)
class Answer:
    status: str                       # e.g. "Success", "UnknownPrincipal", "RequestDenied"
    rights: list[str] = field(default_factory=list)  # "RIGHT@GOVERNMENT" values
    message: str | None = None


def build_query(issuer: str, destination: str, rrn: str, key_pem: bytes, cert_pem: bytes,
                governments: list[str] | None = None) -> tuple[str, bytes]:
    """A signed samlp:AttributeQuery in a SOAP envelope; returns (query ID, bytes to POST)."""
    query_id = "_" + secrets.token_hex(16)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    query = etree.SubElement(body, f"{{{SAMLP}}}AttributeQuery",
                             nsmap={"samlp": SAMLP, "saml": SAML}, ID=query_id, Version="2.0",
                             IssueInstant=now, Destination=destination)
    etree.SubElement(query, f"{{{SAML}}}Issuer").text = issuer
    subject = etree.SubElement(query, f"{{{SAML}}}Subject")
    etree.SubElement(subject, f"{{{SAML}}}NameID", Format=UNSPECIFIED).text = rrn
    if governments:
        scope = etree.SubElement(query, f"{{{SAML}}}Attribute", Name=GOVERNMENT,
                                 NameFormat=URI_FORMAT)
        for code in governments:
            etree.SubElement(scope, f"{{{SAML}}}AttributeValue").text = code

    sign_enveloped(query, key_pem, cert_pem)
    return query_id, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def sign_enveloped(element: etree._Element, key_pem: bytes, cert_pem: bytes, *,
                   method=xmlsec.constants.TransformRsaSha256,
                   digest=xmlsec.constants.TransformSha256) -> None:
    """Enveloped signature over the element's ID, exclusive c14n, placed right after its
    Issuer, with the certificate in KeyInfo (a hint; the AA trusts your metadata)."""
    signature = xmlsec.template.create(element, xmlsec.constants.TransformExclC14N, method,
                                       ns="ds")
    element.insert(1, signature)
    ref = xmlsec.template.add_reference(signature, digest, uri=f"#{element.get('ID')}")
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    ctx = xmlsec.SignatureContext()
    ctx.register_id(element, "ID")
    ctx.key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    ctx.key.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatPem)
    ctx.sign(signature)


def aa_signing_certs(metadata: bytes) -> list[bytes]:
    """DER certificates of the AA's signing keys (KeyDescriptor use="signing" or no use)."""
    root = etree.fromstring(metadata, _PARSER)
    path = ("//md:AttributeAuthorityDescriptor/md:KeyDescriptor[not(@use) or @use='signing']"
            "/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    return [base64.b64decode("".join(t.text.split())) for t in root.xpath(path, namespaces=NS)]


def read_answer(data: bytes, query_id: str, my_entity_id: str, aa_certs: list[bytes]) -> Answer:
    """Check and read the AA's answer. Only the Assertion at Envelope/Body/Response/Assertion
    counts, and only once its own signature verifies with one of the AA's keys."""
    root = etree.fromstring(data, _PARSER)
    responses = root.xpath("/soap:Envelope/soap:Body/samlp:Response", namespaces=NS)
    if len(responses) != 1:
        raise ValueError("not one samlp:Response in the SOAP Body")
    response = responses[0]
    if response.get("InResponseTo") != query_id:
        raise ValueError("the answer is not for this query")
    codes = response.xpath("samlp:Status//samlp:StatusCode/@Value", namespaces=NS)
    message = response.findtext(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusMessage")
    if not codes or codes[0] != STATUS + "Success":
        return Answer(status=codes[-1].rsplit(":", 1)[-1] if codes else "?", message=message)
    assertions = response.findall(f"{{{SAML}}}Assertion")
    if len(assertions) != 1:
        raise ValueError("a Success answer holds exactly one Assertion")
    assertion = assertions[0]
    _verify(assertion, aa_certs)
    audiences = assertion.xpath("saml:Conditions/saml:AudienceRestriction/saml:Audience/text()",
                                namespaces=NS)
    if my_entity_id not in audiences:
        raise ValueError("the Assertion is not meant for us")
    not_after = assertion.find(f"{{{SAML}}}Conditions").get("NotOnOrAfter")
    if datetime.fromisoformat(not_after) <= datetime.now(timezone.utc):
        raise ValueError("the Assertion has expired")
    values = assertion.xpath(f"saml:AttributeStatement/saml:Attribute[@Name='{RIGHT}']"
                             "/saml:AttributeValue/text()", namespaces=NS)
    return Answer(status="Success", rights=sorted(values))


def _verify(element: etree._Element, certs: list[bytes]) -> None:
    signatures = element.findall(f"{{{DS}}}Signature")
    if len(signatures) != 1:
        raise ValueError("the Assertion is not signed")
    refs = signatures[0].xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=NS)
    if refs != [f"#{element.get('ID')}"]:
        raise ValueError("the signature does not cover the Assertion")
    for der in certs:
        ctx = xmlsec.SignatureContext()
        ctx.register_id(element, "ID")
        ctx.key = xmlsec.Key.from_memory(der, xmlsec.constants.KeyDataFormatCertDer)
        try:
            ctx.verify(signatures[0])
            return
        except xmlsec.Error:
            continue
    raise ValueError("the Assertion's signature does not verify with the AA's keys")


def post(url: str, envelope: bytes, timeout: float = 10.0) -> bytes:
    request = urllib.request.Request(url, data=envelope, method="POST", headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://www.oasis-open.org/committees/security"'})
    with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - our AA's URL
        return reply.read()


def fetch(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310
        return reply.read()
