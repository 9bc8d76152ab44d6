"""Checks on SAML metadata files handed to the CLI, before they are copied into place."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def check_sp_metadata(path: str | Path) -> str | None:
    """None when the file is an SP EntityDescriptor we can use; otherwise what is wrong."""
    data = Path(path).read_bytes()
    if len(data) > 1_000_000:
        return "groter dan 1 MB"
    if b"<!DOCTYPE" in data.upper().replace(b"<!doctype", b"<!DOCTYPE"):
        return "bevat een DOCTYPE"
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return f"geen geldige XML ({exc})"
    if root.tag != f"{{{MD}}}EntityDescriptor" or not root.get("entityID"):
        return "geen md:EntityDescriptor met entityID"
    if root.find(f"{{{MD}}}SPSSODescriptor") is None:
        return "geen md:SPSSODescriptor"
    return None
