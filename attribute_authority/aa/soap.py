"""SOAP 1.1 as the SAML SOAP binding uses it: one SAML message in the Body, nothing else.

Refusals here are about the envelope, before anything SAML is known, so they are answered
with a SOAP Fault (HTTP 400), never with a stack trace.
"""
from __future__ import annotations

from lxml import etree

from .names import SAMLP, SOAP_ENV

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_HEADER = f"{{{SOAP_ENV}}}Header"
_BODY = f"{{{SOAP_ENV}}}Body"
_MUST_UNDERSTAND = f"{{{SOAP_ENV}}}mustUnderstand"
ATTRIBUTE_QUERY = f"{{{SAMLP}}}AttributeQuery"


class SoapFault(Exception):
    """The envelope is not one we answer. `code` is the SOAP 1.1 faultcode's local name
    (`Client`, `MustUnderstand`, `VersionMismatch`); `reason` a stable code for the log."""

    def __init__(self, reason: str, message: str, code: str = "Client") -> None:
        super().__init__(f"{reason}: {message}")
        self.reason, self.message, self.code = reason, message, code


def attribute_query(envelope: etree._Element) -> etree._Element:
    """The one samlp:AttributeQuery in the Body of `envelope` (as parsed, untouched).

    The Body holds exactly that element and no text; an optional Header may carry blocks we
    ignore, but not one marked mustUnderstand (SOAP 1.1 §4.2.3).
    """
    if envelope.tag != _ENVELOPE:
        if etree.QName(envelope).localname == "Envelope":
            raise SoapFault("soap_version", "only SOAP 1.1 envelopes are answered", "VersionMismatch")
        raise SoapFault("not_soap", "the request is not a SOAP 1.1 Envelope")
    parts = [child.tag for child in envelope]
    if parts not in ([_BODY], [_HEADER, _BODY]) or _has_text(envelope):
        raise SoapFault("bad_envelope", "an Envelope holds an optional Header and one Body")
    if parts[0] == _HEADER:
        for block in envelope[0]:
            if block.get(_MUST_UNDERSTAND) in ("1", "true"):
                raise SoapFault("must_understand", f"header {block.tag} is not understood",
                                "MustUnderstand")
    body = envelope[-1]
    if len(body) != 1 or _has_text(body):
        raise SoapFault("bad_body", f"the Body must hold one SAML request, not {len(body)} elements")
    query = body[0]
    if query.tag != ATTRIBUTE_QUERY:
        raise SoapFault("not_attribute_query", f"{query.tag} is not a samlp:AttributeQuery")
    return query


def envelope(message: etree._Element) -> bytes:
    """`message` in a SOAP 1.1 Envelope, serialized as UTF-8 with an XML declaration."""
    env = etree.Element(_ENVELOPE, nsmap={"soap11": SOAP_ENV})
    etree.SubElement(env, _BODY).append(message)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault(fault: SoapFault) -> bytes:
    env = etree.Element(_ENVELOPE, nsmap={"soap11": SOAP_ENV})
    node = etree.SubElement(etree.SubElement(env, _BODY), f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(node, "faultcode").text = f"soap11:{fault.code}"
    etree.SubElement(node, "faultstring").text = fault.message
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _has_text(node: etree._Element) -> bool:
    return bool((node.text or "").strip()) or any((c.tail or "").strip() for c in node)
