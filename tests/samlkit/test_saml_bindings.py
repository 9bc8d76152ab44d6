"""The Redirect binding's encoding: what we send decodes, with its signature, as any peer would
read it (the standard library's unquoting), whatever bytes the message holds."""
import base64
from urllib.parse import parse_qs, quote_plus, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from samlkit.bindings import _quote_b64 as quote_b64
from samlkit.bindings import (
    decode_redirect,
    redirect_url,
    verify_redirect_signature,
)


@given(st.binary(max_size=600))
def test_base64_quoting_equals_quote_plus(data):
    encoded = base64.b64encode(data)
    assert quote_b64(encoded) == quote_plus(encoded.decode())


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0xD7FF), max_size=80),
       st.text(max_size=40))
def test_signed_redirect_url_round_trips(keypair, text, relay_state):
    root = etree.Element("{urn:oasis:names:tc:SAML:2.0:protocol}AuthnRequest", ID="_x")
    root.text = text
    url = redirect_url("https://idp.example.be/sso?x=1", "SAMLRequest", etree.tostring(root),
                       relay_state or None, keypair)
    query = urlsplit(url).query
    assert parse_qs(query)["x"] == ["1"]
    received = decode_redirect(query.encode(), "SAMLRequest", 64 * 1024)
    assert received.root.text == (text or None) and received.relay_state == (relay_state or None)
    verify_redirect_signature(received, [keypair.certificate])
