"""What every EntityDescriptor we publish carries, per SAML2Int (DESIGN.md, "Metadata").

- `validUntil` (a week from now) and `cacheDuration` (six hours): a consumer refreshes it well
  before it would go stale, and stops trusting a copy it can no longer refresh;
- the algorithms our verifier accepts (SAML V2.0 Metadata Profile for Algorithm Support):
  without them Shibboleth SP and others sign with RSA-SHA1, which we refuse;
- on every encryption KeyDescriptor the methods we want used (AES-GCM, RSA-OAEP): standard SPs
  take the first one they support, AES-256-GCM;
- for an IdP, `mdui:UIInfo` (names in Dutch and English) and `shibmd:Scope`.

Every builder (bridge IdP and SP, attribute authority, admin UI, dev_eid, demo-app) starts
from `entity_descriptor` and `key_descriptor` here, so the profile is written once.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from lxml import etree

from .encryption import AUTHENTICATED_CIPHERS, KEY_TRANSPORT_METHODS
from .keys import KeyPair, cert_der_b64
from .samlxml import DS, MD, SAML, instant
from .xmlsig import DIGEST_METHODS, SIGNATURE_METHODS

__all__ = [
    "ALG",
    "CACHE_DURATION",
    "ENCRYPTION_METHODS",
    "MDUI",
    "SHIBMD",
    "VALID_FOR",
    "entity_descriptor",
    "extensions",
    "key_descriptor",
    "scope",
    "ui_info",
]

ALG = "urn:oasis:names:tc:SAML:metadata:algsupport"
MDUI = "urn:oasis:names:tc:SAML:metadata:ui"
SHIBMD = "urn:mace:shibboleth:metadata:1.0"
VALID_FOR = dt.timedelta(days=7)
CACHE_DURATION = "PT6H"
# AES-256 first: Shibboleth SP takes the first method it supports.
ENCRYPTION_METHODS = (*sorted(AUTHENTICATED_CIPHERS, key=lambda uri: ("256" not in uri, uri)),
                      *KEY_TRANSPORT_METHODS)
_NSMAP = {"md": MD, "ds": DS, "saml": SAML, "alg": ALG}


def entity_descriptor(entity_id: str, now: dt.datetime | None) -> etree._Element:
    """An md:EntityDescriptor with the algorithms we accept and, when `now` is given (a
    document served at its entityID), validUntil and cacheDuration. Copies we register with
    ourselves (metadata/sp/demo-app.xml, …/idbeheer.xml, upstream/dev-eid.xml) carry no
    validUntil: nothing refreshes them, they would expire in a running service."""
    root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap=_NSMAP, entityID=entity_id)
    if now is not None:
        root.set("validUntil", instant(now + VALID_FOR))
        root.set("cacheDuration", CACHE_DURATION)
    ext = etree.SubElement(root, f"{{{MD}}}Extensions")
    for digest in DIGEST_METHODS:
        etree.SubElement(ext, f"{{{ALG}}}DigestMethod", Algorithm=digest)
    for method in SIGNATURE_METHODS:
        etree.SubElement(ext, f"{{{ALG}}}SigningMethod", Algorithm=method)
    return root


def key_descriptor(role: etree._Element, keypair: KeyPair, use: str) -> etree._Element:
    """An md:KeyDescriptor with an explicit `use`; an encryption one names our methods."""
    descriptor = etree.SubElement(role, f"{{{MD}}}KeyDescriptor", use=use)
    data = etree.SubElement(etree.SubElement(descriptor, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = cert_der_b64(keypair.certificate)
    if use == "encryption":
        for method in ENCRYPTION_METHODS:
            etree.SubElement(descriptor, f"{{{MD}}}EncryptionMethod", Algorithm=method)
    return descriptor


def extensions(role: etree._Element) -> etree._Element:
    """The role descriptor's md:Extensions (its first child), made when absent."""
    first = role[0] if len(role) else None
    if first is not None and first.tag == f"{{{MD}}}Extensions":
        return first
    ext = etree.Element(f"{{{MD}}}Extensions")
    role.insert(0, ext)
    return ext


def ui_info(role: etree._Element, display_names: Mapping[str, str],
            descriptions: Mapping[str, str]) -> etree._Element:
    """mdui:UIInfo in the role's extensions: DisplayName and Description per language."""
    info = etree.SubElement(extensions(role), f"{{{MDUI}}}UIInfo", nsmap={"mdui": MDUI})
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for tag, texts in (("DisplayName", display_names), ("Description", descriptions)):
        for lang, text in texts.items():
            etree.SubElement(info, f"{{{MDUI}}}{tag}", {xml_lang: lang}).text = text
    return info


def scope(role: etree._Element, value: str) -> etree._Element:
    """shibmd:Scope: the scope of the scoped attributes (pairwise-id, subject-id) we release."""
    node = etree.SubElement(extensions(role), f"{{{SHIBMD}}}Scope", nsmap={"shibmd": SHIBMD},
                            regexp="false")
    node.text = value
    return node
