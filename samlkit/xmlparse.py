"""Hardened XML parsing for everything a peer sends us (messages, metadata).

libxml2 with entity resolution off would quietly *ignore* a DOCTYPE; we refuse it outright, so
entity and DTD tricks (XXE, billion laughs) are a logged refusal rather than a silent pass, and
no reader downstream has to wonder. Comments and processing instructions are dropped while
parsing: exclusive c14n without comments leaves them out of signatures anyway, and dropping
them keeps the text of an element in one node (a comment inside a signed NameID can no longer
cut `.text` short).
"""

from __future__ import annotations

import re
import zlib

from lxml import etree

from .errors import XmlRefused

__all__ = ["parse_xml", "inflate_limited"]

_DTD_MARKERS = re.compile(rb"<!\s*(doctype|entity|element|attlist)", re.IGNORECASE)


def parse_xml(data: bytes, max_bytes: int) -> etree._Element:
    """Parse one XML document of at most `max_bytes` and return its root element.

    Raises `XmlRefused` with reason `too_large`, `doctype` or `malformed`.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_xml takes bytes, as received; do not decode or re-encode")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlRefused("too_large", f"XML of {len(data)} bytes exceeds the limit of {max_bytes}")
    if not data.strip():
        raise XmlRefused("malformed", "empty XML document")
    if _DTD_MARKERS.search(_ascii_view(data)):
        raise XmlRefused("doctype", "a DOCTYPE or DTD declaration is not accepted")
    try:
        root = etree.fromstring(data, parser=_new_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused("malformed", f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("doctype", "a DOCTYPE or DTD declaration is not accepted")
    return root


def inflate_limited(data: bytes, max_bytes: int) -> bytes:
    """Inflate an HTTP-Redirect DEFLATE payload, stopping as soon as it outgrows `max_bytes`.

    The binding prescribes raw DEFLATE; a zlib-wrapped stream, which some SPs send, is
    accepted too. A deflate bomb costs at most `max_bytes + 1` bytes of output.
    """
    try:
        return _inflate(data, max_bytes, -zlib.MAX_WBITS)
    except zlib.error:
        pass
    try:
        return _inflate(data, max_bytes, zlib.MAX_WBITS | 32)
    except zlib.error as exc:
        raise XmlRefused("malformed", f"not a DEFLATE stream: {exc}") from None


def _inflate(data: bytes, max_bytes: int, wbits: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(data, max_bytes + 1)
    if len(out) > max_bytes:
        raise XmlRefused("too_large", f"inflated message exceeds the limit of {max_bytes} bytes")
    if not inflater.eof:
        # Output stayed under the limit, so all input was consumed: the stream is cut short.
        raise XmlRefused("malformed", "DEFLATE stream is truncated")
    return out


def _new_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers must not be used by two threads at once.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _ascii_view(data: bytes) -> bytes:
    """Bytes in which ASCII markup is contiguous, so the DTD scan also sees UTF-16/32 input."""
    return data.replace(b"\x00", b"") if b"\x00" in data else data
