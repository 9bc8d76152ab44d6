"""Enveloped XML signatures for SAML, in-process with the python `xmlsec` bindings.

Verification is where SAML stacks get broken, so `verify` does not ask "is there a valid
signature somewhere?" but "is *this* element signed, by *one of these* keys, in the one shape
SAML uses?": the ds:Signature must be a direct child of the element, with exactly one Reference
to the element's own (document-unique) ID, only the enveloped + exclusive-c14n transforms,
allow-listed algorithms, and a key from the trusted certificates (the certificate inside the
message is a hint, never a trust anchor). Callers must then read only the element returned.

Signatures are checked on the tree as parsed from the bytes received: never re-serialize a
message (pysaml2's helpers do, with `ns0:` prefixes) before verifying it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from .errors import SignatureRefused
from .keys import KeyPair, cert_der_b64, certificate_from_b64, same_public_key
from .samlxml import DS, DS11, MD, SAML, SAMLP

if TYPE_CHECKING:  # the type of xmlsec.constants.Transform*, named only in xmlsec's stubs
    from xmlsec.constants import __Transform as Transform

__all__ = ["DIGEST_METHODS", "NS", "SIGNATURE_METHODS", "sign", "verify"]

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
NS = {"ds": DS, "saml": SAML, "samlp": SAMLP, "md": MD}

_SIGNATURE_METHODS = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": xmlsec.constants.TransformRsaSha256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": xmlsec.constants.TransformRsaSha384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": xmlsec.constants.TransformRsaSha512,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": xmlsec.constants.TransformEcdsaSha256,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": xmlsec.constants.TransformEcdsaSha384,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": xmlsec.constants.TransformEcdsaSha512,
}
_DIGEST_METHODS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": xmlsec.constants.TransformSha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": xmlsec.constants.TransformSha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": xmlsec.constants.TransformSha512,
}
# What we accept, strongest last, for metadata to advertise (SAML V2.0 Metadata Profile for
# Algorithm Support): a peer that reads it signs with one of these instead of RSA-SHA1.
SIGNATURE_METHODS = tuple(_SIGNATURE_METHODS)
DIGEST_METHODS = tuple(_DIGEST_METHODS)
# Exclusive c14n *without* comments only: the SAML profile's choice, and the parser drops
# comments anyway (see xmlparse), so a with-comments digest could never match.
_CANONICALIZATIONS = {EXC_C14N: xmlsec.constants.TransformExclC14N}
_REFERENCE_TRANSFORMS = {
    ENVELOPED: xmlsec.constants.TransformEnveloped,
    EXC_C14N: xmlsec.constants.TransformExclC14N,
}
_ID_ATTRIBUTES = {"id", "assertionid", "responseid", "requestid"}
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_MIN_RSA_BITS = 2048


def sign(
    element: etree._Element,
    keypair: KeyPair,
    *,
    before: str | None = None,
    digest: str = "sha256",
) -> etree._Element:
    """Sign `element` in place with an enveloped signature over its `ID`; return the ds:Signature.

    The signature goes before the first child tagged `before` (a Clark name such as
    `{urn:oasis:names:tc:SAML:2.0:assertion}Subject`) or, by default, right after
    `saml:Issuer` (or first when there is none), as the SAML schemas place it. Sign the
    innermost element first: signing an Assertion after its Response breaks the Response.
    """
    element_id = element.get("ID")
    if not element_id:
        raise ValueError(f"{element.tag} has no ID attribute to reference")
    is_ec = isinstance(keypair.private_key, ec.EllipticCurvePrivateKey)
    method = f"http://www.w3.org/2001/04/xmldsig-more#{'ecdsa' if is_ec else 'rsa'}-{digest}"
    digest_method = {
        "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
        "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
    }[digest]
    signature = _signature_template(element_id, method, digest_method, keypair)
    element.insert(_signature_position(element, before), signature)

    ctx = xmlsec.SignatureContext()
    ctx.register_id(element, "ID")
    ctx.key = keypair.xmlsec_key
    try:
        ctx.sign(signature)
    except xmlsec.Error:
        element.remove(signature)
        raise
    return signature


def verify(
    root: etree._Element,
    target: str | etree._Element,
    trusted_certs: Sequence[x509.Certificate],
) -> etree._Element:
    """Verify the signature of one element of the document `root`; return that element.

    `target` is the element itself or an XPath (prefixes of `NS`) evaluated on `root` that
    must select exactly one element, e.g. `/samlp:Response/saml:Assertion`. Raises
    `SignatureRefused` with reason `not_found`, `unsigned`, `missing_id`, `wrapping`,
    `bad_transform`, `weak_algorithm`, `untrusted_key` or `bad_signature`.
    """
    element = _target_element(root, target)
    signature = _own_signature(element)
    element_id = element.get("ID")
    if not element_id:
        raise SignatureRefused("missing_id", f"{_local(element)} has no ID attribute")
    _check_id_unique(root.getroottree().getroot(), element_id)
    signed_info = _check_signature_shape(signature)
    method = _check_signed_info(signed_info, element_id)

    hinted = _key_info_certificate(signature)
    candidates = list(trusted_certs)
    if hinted is not None:
        matching = [c for c in candidates if _same_cert(c, hinted)]
        # A stale or foreign KeyInfo is only a hint: fall back to every trusted key.
        candidates = matching + [c for c in candidates if c not in matching]
    if not candidates:
        raise SignatureRefused("untrusted_key", "no trusted certificate for this signer")

    weak_keys = 0
    for cert in candidates:
        try:
            key = _verification_key(_der(cert))
        except SignatureRefused:
            weak_keys += 1
            continue
        if _verify_with(element, signature, method, key):
            return element
    if weak_keys == len(candidates):
        raise SignatureRefused("weak_algorithm", "every trusted key is too short")
    if hinted is not None and not any(_same_cert(c, hinted) for c in trusted_certs):
        raise SignatureRefused("untrusted_key", "signed with a key that is not trusted")
    raise SignatureRefused("bad_signature", f"signature of {_local(element)} does not verify")


# -- structure checks ---------------------------------------------------------------------


def _target_element(root: etree._Element, target: str | etree._Element) -> etree._Element:
    if isinstance(target, str):
        found = root.xpath(target, namespaces=NS)
        elements = [e for e in found if isinstance(e, etree._Element)]
        if not elements:
            raise SignatureRefused("not_found", f"no element at {target}")
        if len(elements) > 1:
            raise SignatureRefused("wrapping", f"{len(elements)} elements at {target}")
        return elements[0]
    if target is not root and not any(a is root for a in target.iterancestors()):
        raise ValueError("target element is not part of the document root")
    return target


def _own_signature(element: etree._Element) -> etree._Element:
    signatures = element.findall(f"{{{DS}}}Signature")
    if not signatures:
        raise SignatureRefused("unsigned", f"{_local(element)} carries no signature")
    if len(signatures) > 1:
        raise SignatureRefused("wrapping", f"{_local(element)} carries several signatures")
    return signatures[0]


def _check_id_unique(root: etree._Element, element_id: str) -> None:
    holders = 0
    for node in root.iter(etree.Element):
        for name, value in node.attrib.items():
            if value == element_id and (
                name == _XML_ID or etree.QName(name).localname.lower() in _ID_ATTRIBUTES
            ):
                holders += 1
    if holders != 1:
        raise SignatureRefused("wrapping", f"ID {element_id!r} occurs {holders} times")


def _check_signature_shape(signature: etree._Element) -> etree._Element:
    """SignedInfo, SignatureValue, optional KeyInfo; nothing else, and only XML-DSig inside.

    Unsigned content inside the signature (ds:Object, foreign elements in KeyInfo) is where
    wrapping attacks hide a copy for a careless `.//` search to find; SAML never needs it.
    """
    names = [_ds_name(child) for child in signature]
    if names not in (["SignedInfo", "SignatureValue"], ["SignedInfo", "SignatureValue", "KeyInfo"]):
        raise SignatureRefused("wrapping", f"unexpected signature content {names}")
    for node in signature.iter(etree.Element):
        if etree.QName(node).namespace not in (DS, DS11, EXC_C14N):
            raise SignatureRefused("wrapping", f"foreign element {node.tag} inside ds:Signature")
    return signature[0]


def _check_signed_info(signed_info: etree._Element, element_id: str) -> Transform:
    """Check SignedInfo against the allow-lists; return the xmlsec signature transform."""
    names = [_ds_name(child) for child in signed_info]
    if names[:2] != ["CanonicalizationMethod", "SignatureMethod"] or any(
        n != "Reference" for n in names[2:]
    ):
        raise SignatureRefused("wrapping", f"unexpected SignedInfo content {names}")
    if len(names) != 3:
        raise SignatureRefused("wrapping", f"{len(names) - 2} References instead of one")
    c14n = signed_info[0].get("Algorithm")
    if c14n not in _CANONICALIZATIONS:
        raise SignatureRefused("weak_algorithm", f"canonicalization {c14n} is not accepted")
    method = signed_info[1].get("Algorithm")
    if method not in _SIGNATURE_METHODS or len(signed_info[1]):
        raise SignatureRefused("weak_algorithm", f"signature method {method} is not accepted")

    reference = signed_info[2]
    if reference.get("URI") != f"#{element_id}":
        raise SignatureRefused(
            "wrapping", f"Reference {reference.get('URI')!r} is not the signed element's ID"
        )
    parts = [_ds_name(child) for child in reference]
    if parts[-2:] != ["DigestMethod", "DigestValue"] or parts[:-2] not in ([], ["Transforms"]):
        raise SignatureRefused("wrapping", f"unexpected Reference content {parts}")
    transforms = [t.get("Algorithm") for t in reference.findall(f"{{{DS}}}Transforms/*")]
    if (
        any(t not in _REFERENCE_TRANSFORMS for t in transforms)
        or len(set(transforms)) != len(transforms)
        or ENVELOPED not in transforms
    ):
        raise SignatureRefused("bad_transform", f"transforms {transforms} are not accepted")
    digest = reference.find(f"{{{DS}}}DigestMethod").get("Algorithm")
    if digest not in _DIGEST_METHODS:
        raise SignatureRefused("weak_algorithm", f"digest method {digest} is not accepted")
    return _SIGNATURE_METHODS[method]


def _key_info_certificate(signature: etree._Element) -> x509.Certificate | None:
    text = signature.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if not text or not text.strip():
        return None
    try:
        return _hint_certificate("".join(text.split()))
    except ValueError:
        raise SignatureRefused("untrusted_key", "unreadable certificate in KeyInfo") from None


@functools.lru_cache(maxsize=256)
def _hint_certificate(b64: str) -> x509.Certificate:
    """Parsed once per distinct KeyInfo certificate: a querier sends the same one every time,
    and the same object then compares with the trusted ones by identity of its DER (`_der`)."""
    return certificate_from_b64(b64)


# -- cryptography -------------------------------------------------------------------------


def _verify_with(
    element: etree._Element, signature: etree._Element, method: Transform, key: xmlsec.Key
) -> bool:
    ctx = xmlsec.SignatureContext()
    # Second fence behind the allow-lists above: xmlsec itself refuses anything else.
    for transform in _CANONICALIZATIONS.values():
        ctx.enable_signature_transform(transform)
    ctx.enable_signature_transform(method)
    for transform in (*_REFERENCE_TRANSFORMS.values(), *_DIGEST_METHODS.values()):
        ctx.enable_reference_transform(transform)
    ctx.register_id(element, "ID")
    ctx.key = key
    try:
        ctx.verify(signature)
    except xmlsec.Error:
        return False
    return True


def _signature_template(
    element_id: str, method: str, digest_method: str, keypair: KeyPair
) -> etree._Element:
    # Built with lxml rather than xmlsec.template: nodes that xmlsec creates are invisible to
    # lxml's find() in the same tree, which would trip up whoever reads the signed element.
    signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    signed_info = _ds_child(signature, "SignedInfo")
    _ds_child(signed_info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _ds_child(signed_info, "SignatureMethod", Algorithm=method)
    reference = _ds_child(signed_info, "Reference", URI=f"#{element_id}")
    transforms = _ds_child(reference, "Transforms")
    _ds_child(transforms, "Transform", Algorithm=ENVELOPED)
    _ds_child(transforms, "Transform", Algorithm=EXC_C14N)
    _ds_child(reference, "DigestMethod", Algorithm=digest_method)
    _ds_child(reference, "DigestValue")
    _ds_child(signature, "SignatureValue")
    key_info = _ds_child(signature, "KeyInfo")
    certificate = _ds_child(_ds_child(key_info, "X509Data"), "X509Certificate")
    certificate.text = cert_der_b64(keypair.certificate)
    return signature


def _ds_child(parent: etree._Element, name: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{DS}}}{name}", attributes)


@functools.lru_cache(maxsize=256)
def _verification_key(cert_der: bytes) -> xmlsec.Key:
    """The certificate's public key alone. The certificate is only the carrier of a key we
    trust by configuration (xmlsec checks no chain or dates when given the key), and a key
    without its X509 data costs far less to copy into each SignatureContext (xmlsec
    duplicates the key, certificate included, per verification)."""
    cert = x509.load_der_x509_certificate(cert_der)
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < _MIN_RSA_BITS:
        raise SignatureRefused("weak_algorithm", f"RSA key of {public_key.key_size} bits")
    spki = public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return xmlsec.Key.from_memory(spki, xmlsec.constants.KeyDataFormatPem)


def _same_cert(a: x509.Certificate, b: x509.Certificate) -> bool:
    return _der(a) == _der(b) or same_public_key(a, b)


@functools.lru_cache(maxsize=512)
def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _ds_name(node: etree._Element) -> str:
    if not isinstance(node.tag, str):
        return "#other"
    qname = etree.QName(node)
    return qname.localname if qname.namespace == DS else f"{{{qname.namespace}}}{qname.localname}"


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _signature_position(element: etree._Element, before: str | None) -> int:
    children = list(element)
    if before is not None:
        for index, child in enumerate(children):
            if child.tag == before:
                return index
        return len(children)
    if children and children[0].tag == f"{{{SAML}}}Issuer":
        return 1
    return 0
