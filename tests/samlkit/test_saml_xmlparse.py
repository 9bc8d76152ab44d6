"""Hardened parsing: DTDs refused outright, sizes capped before work is done."""

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samlkit.errors import XmlRefused
from samlkit.xmlparse import inflate_limited, parse_xml

LIMIT = 64 * 1024


def refused(data: bytes, max_bytes: int = LIMIT) -> str:
    with pytest.raises(XmlRefused) as info:
        parse_xml(data, max_bytes)
    return info.value.reason


def test_parses_plain_saml():
    root = parse_xml(b'<samlp:LogoutRequest xmlns:samlp="urn:x" ID="_1"/>', LIMIT)
    assert root.get("ID") == "_1"


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>',
        b'<!DOCTYPE r SYSTEM "http://evil.example/x.dtd"><r/>',
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        # billion laughs, cut short: refused before libxml2 sees an entity
        b'<!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
        # a DOCTYPE that libxml2 would accept and ignore is still refused
        b"<!DOCTYPE r><r/>",
        b"<!doctype r><r/>",
    ],
)
def test_any_dtd_is_refused(doc):
    assert refused(doc) == "doctype"


def test_dtd_in_utf16_is_refused():
    doc = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    assert refused(doc.encode("utf-16")) == "doctype"


def test_size_is_checked_before_parsing():
    assert refused(b"<r>" + b"x" * LIMIT + b"</r>") == "too_large"


@pytest.mark.parametrize("doc", [b"", b"   ", b"<r>", b"<r>&undefined;</r>", b"not xml"])
def test_malformed(doc):
    assert refused(doc) == "malformed"


def test_comment_cannot_cut_text_short():
    # The 2018 "comment in NameID" attack: text must not stop at the comment.
    root = parse_xml(b"<NameID>admin@example.org<!-- -->.evil.example</NameID>", LIMIT)
    assert root.text == "admin@example.org.evil.example"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_parse_or_are_refused(data):
    try:
        parse_xml(data, 200)
    except XmlRefused as exc:
        assert exc.reason in {"too_large", "doctype", "malformed"}


def _deflate(data: bytes, wbits: int = -15) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


def test_inflate_roundtrip_raw_and_zlib_wrapped():
    message = b"<samlp:AuthnRequest/>" * 10
    assert inflate_limited(_deflate(message), 10_000) == message
    assert inflate_limited(_deflate(message, 15), 10_000) == message


def test_deflate_bomb_stops_at_the_limit():
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(compressor.compress(chunk) for _ in range(256)) + compressor.flush()
    assert len(bomb) < 300_000  # about 256 KiB that would inflate to 256 MiB
    with pytest.raises(XmlRefused) as info:
        inflate_limited(bomb, 100_000)
    assert info.value.reason == "too_large"


def test_inflate_exactly_at_limit_passes():
    message = b"a" * 1000
    assert inflate_limited(_deflate(message), 1000) == message
    with pytest.raises(XmlRefused):
        inflate_limited(_deflate(message), 999)


@pytest.mark.parametrize("data", [b"", b"garbage!", _deflate(bytes(range(256)) * 4)[:40]])
def test_inflate_malformed(data):
    with pytest.raises(XmlRefused) as info:
        inflate_limited(data, 10_000)
    assert info.value.reason == "malformed"
