"""demo-app's key and its registration file, metadata/sp/demo-app.xml (demo mode only)."""
from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from attribute_authority.saml.keys import KeyPair, cert_der_b64, ensure_dev_keypair

APP_CODE = "demo-app"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def entity_id(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{APP_CODE}/metadata"


def demo_keypair(certs_dir: str | os.PathLike[str]) -> KeyPair:
    """demo-app's signing key, generated into the certs folder on first use (never committed)."""
    return ensure_dev_keypair(certs_dir, APP_CODE, "lb-idbeheer demo-app")


def sp_metadata(base_url: str, keypair: KeyPair) -> bytes:
    base = base_url.rstrip("/")
    root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD, "ds": DS},
                         entityID=entity_id(base))
    sp = etree.SubElement(root, f"{{{MD}}}SPSSODescriptor", protocolSupportEnumeration=SAMLP,
                          AuthnRequestsSigned="true", WantAssertionsSigned="true")
    key = etree.SubElement(sp, f"{{{MD}}}KeyDescriptor", use="signing")
    data = etree.SubElement(etree.SubElement(key, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = cert_der_b64(keypair.certificate)
    etree.SubElement(sp, f"{{{MD}}}AssertionConsumerService", Binding=POST,
                     Location=f"{base}/{APP_CODE}/acs", index="0", isDefault="true")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def ensure_demo_app(metadata_dir: str | os.PathLike[str], certs_dir: str | os.PathLike[str],
                    base_url: str) -> KeyPair:
    """Generate demo-app's key if needed and (re)write metadata/sp/demo-app.xml when its
    content changed (a new key or base URL); an unchanged file is left alone, so the
    attribute authority's registry has nothing to reload."""
    keypair = demo_keypair(certs_dir)
    target = Path(metadata_dir) / "sp" / f"{APP_CODE}.xml"
    content = sp_metadata(base_url, keypair)
    if not target.exists() or target.read_bytes() != content:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(target)
    return keypair
