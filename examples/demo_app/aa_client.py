"""Ask the lb-idbeheer attribute authority which rights a person holds: a signed SAML 2.0
AttributeQuery over SOAP, and a careful reading of the answer.

Building the query needs lxml and python-xmlsec only. Reading the answer uses the project's
SAML toolkit (`samlkit`: the hardened parser, the signature verifier with its algorithm
allow-lists and document-unique IDs, the Conditions check), the same code the service runs on
what it receives: copy this file together with `samlkit/` (a leaf package: lxml, xmlsec and
cryptography only), or give your own stack the same checks (README.md, section 4).
"""
from __future__ import annotations

import secrets
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import xmlsec
from cryptography import x509
from lxml import etree

from samlkit import xmlsig
from samlkit.errors import AssertionRefused, SamlSecurityError
from samlkit.keys import certificate_from_b64
from samlkit.samlxml import DS, MD, SAML, SAMLP, SOAP_ENV, STATUS, issuer_of, parse_instant
from samlkit.sp_client import check_conditions
from samlkit.xmlparse import parse_xml

RIGHT = "urn:lb-idbeheer:attribute:right"
GOVERNMENT = "urn:lb-idbeheer:attribute:government"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
SENDER_VOUCHES = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"
NS = {"soap": SOAP_ENV, "samlp": SAMLP, "saml": SAML, "md": MD, "ds": DS}
MAX_ANSWER_BYTES = 1 << 20


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


@dataclass(frozen=True)
class Authority:
    """What the client trusts of the AA, read once from its metadata (refresh it daily)."""

    entity_id: str
    signing_certs: tuple[x509.Certificate, ...]


def read_aa_metadata(metadata: bytes) -> Authority:
    """The AA's entityID and signing keys (KeyDescriptor use="signing" or no use): during a
    key rollover two are published; trust both."""
    root = parse_xml(metadata, MAX_ANSWER_BYTES)
    path = ("md:AttributeAuthorityDescriptor/md:KeyDescriptor[not(@use) or @use='signing']"
            "/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    certs = tuple(certificate_from_b64(t.text or "") for t in root.xpath(path, namespaces=NS))
    if root.tag != f"{{{MD}}}EntityDescriptor" or not root.get("entityID") or not certs:
        raise ValueError("not the metadata of an attribute authority with a signing key")
    return Authority(root.get("entityID", ""), certs)


def read_answer(data: bytes, query_id: str, my_entity_id: str, aa: Authority, *,
                now: datetime | None = None, skew: timedelta = timedelta(seconds=60)) -> Answer:
    """Check and read the AA's answer to the query `query_id`; raise ValueError otherwise.

    Only the Assertion at Envelope/Body/Response/Assertion counts, and only once its own
    signature verifies with one of the AA's keys. The Response around it may be unsigned, so
    nothing of the Response binds the answer to our query: the signed Assertion must say it
    (sender-vouches SubjectConfirmationData with InResponseTo = our query, Recipient = us),
    come from the AA (Issuer), be meant for us (Audience) and be valid now."""
    now = now or datetime.now(timezone.utc)
    try:
        root = parse_xml(data, MAX_ANSWER_BYTES)
    except SamlSecurityError as refused:
        raise ValueError(f"not an answer: {refused.reason}") from None
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
    try:
        assertion = xmlsig.verify(root, assertions[0], aa.signing_certs)
        # From here on only `assertion` is read: the element whose signature verified.
        if issuer_of(assertion) != aa.entity_id:
            raise AssertionRefused("wrong_issuer", f"Assertion issuer {issuer_of(assertion)!r}")
        _check_confirmation(assertion, query_id, my_entity_id, now=now, skew=skew)
        check_conditions(assertion, my_entity_id, now=now, skew=skew)
    except SamlSecurityError as refused:
        raise ValueError(f"answer refused: {refused}") from None
    values = assertion.xpath(f"saml:AttributeStatement/saml:Attribute[@Name='{RIGHT}']"
                             "/saml:AttributeValue/text()", namespaces=NS)
    return Answer(status="Success", rights=sorted(values))


def _check_confirmation(assertion: etree._Element, query_id: str, recipient: str, *,
                        now: datetime, skew: timedelta) -> None:
    """The signed Assertion answers our query: its sender-vouches SubjectConfirmationData
    names it (InResponseTo) and us (Recipient), and has not expired."""
    path = (f"saml:Subject/saml:SubjectConfirmation[@Method='{SENDER_VOUCHES}']"
            "/saml:SubjectConfirmationData")
    confirmations = assertion.xpath(path, namespaces=NS)
    if len(confirmations) != 1:
        raise AssertionRefused("no_confirmation", "not one sender-vouches SubjectConfirmationData")
    data = confirmations[0]
    if data.get("InResponseTo") != query_id:
        raise AssertionRefused("in_response_to_mismatch",
                               f"the signed Assertion answers {data.get('InResponseTo')!r}")
    if data.get("Recipient") != recipient:
        raise AssertionRefused("wrong_recipient", f"Recipient {data.get('Recipient')!r}")
    not_on_or_after = parse_instant(data.get("NotOnOrAfter"))
    if not_on_or_after is not None and now >= not_on_or_after + skew:
        raise AssertionRefused("expired", "SubjectConfirmationData has expired")


def post(url: str, envelope: bytes, timeout: float = 10.0) -> bytes:
    request = urllib.request.Request(url, data=envelope, method="POST", headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://www.oasis-open.org/committees/security"'})
    with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - our AA's URL
        return reply.read()


def fetch(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310
        return reply.read()
