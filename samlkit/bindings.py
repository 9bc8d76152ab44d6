"""SAML HTTP-Redirect and HTTP-POST bindings: encoding, decoding, query-string signatures.

Received messages are parsed from the bytes as they arrived, with the hardened parser and a
bounded inflate. Redirect signatures are checked on the query string *as received* (the
binding signs the URL-encoded octets, and peers encode differently), in-process with
`cryptography`, SHA-256 or stronger only.
"""
from __future__ import annotations

import base64
import binascii
import html
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree

from .errors import SignatureRefused, XmlRefused
from .keys import KeyPair
from .spmetadata import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from .xmlparse import inflate_limited, parse_xml

__all__ = [
    "BINDING_HTTP_POST", "BINDING_HTTP_REDIRECT", "Received", "decode_post", "decode_redirect",
    "post_form", "redirect_url", "verify_redirect_signature",
]

MAX_RELAY_STATE = 2048
_DSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
# Constructors of the digest of each accepted SigAlg (typed so: HashAlgorithm is abstract).
SIG_ALGS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    _DSIG_MORE + "rsa-sha256": hashes.SHA256,
    _DSIG_MORE + "rsa-sha384": hashes.SHA384,
    _DSIG_MORE + "rsa-sha512": hashes.SHA512,
    _DSIG_MORE + "ecdsa-sha256": hashes.SHA256,
    _DSIG_MORE + "ecdsa-sha384": hashes.SHA384,
    _DSIG_MORE + "ecdsa-sha512": hashes.SHA512,
}
RSA_SHA256 = _DSIG_MORE + "rsa-sha256"


@dataclass(frozen=True)
class Received:
    """One SAML message as it arrived: the parsed root and what its binding carried."""

    root: etree._Element
    binding: str
    relay_state: str | None
    sig_alg: str | None = None
    signature: bytes | None = None
    signed_octets: bytes | None = None

    @property
    def has_redirect_signature(self) -> bool:
        return self.signature is not None


def decode_redirect(raw_query: bytes, field: str, max_bytes: int) -> Received:
    """Read `field` (SAMLRequest or SAMLResponse) of an HTTP-Redirect query string."""
    if len(raw_query) > 4 * max_bytes:
        raise XmlRefused("too_large", "query string too long")
    raw: dict[str, str] = {}
    for part in raw_query.decode("ascii", "replace").split("&"):
        name, _, value = part.partition("=")
        if name in raw:
            raise XmlRefused("malformed", f"parameter {name} given twice")
        raw[name] = value
    if field not in raw:
        raise XmlRefused("malformed", f"no {field} parameter")
    try:
        deflated = base64.b64decode(unquote_plus(raw[field]), validate=True)
    except (binascii.Error, ValueError):
        raise XmlRefused("malformed", f"{field} is not base64") from None
    root = parse_xml(inflate_limited(deflated, max_bytes), max_bytes)
    relay_state = _relay_state(unquote_plus(raw["RelayState"]) if "RelayState" in raw else None)
    if "Signature" not in raw:
        return Received(root, BINDING_HTTP_REDIRECT, relay_state)
    try:
        signature = base64.b64decode(unquote_plus(raw["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused("bad_signature", "Signature is not base64") from None
    octets = "&".join(f"{name}={raw[name]}" for name in (field, "RelayState", "SigAlg") if name in raw)
    return Received(root, BINDING_HTTP_REDIRECT, relay_state,
                    sig_alg=unquote_plus(raw.get("SigAlg", "")), signature=signature,
                    signed_octets=octets.encode("ascii"))


def decode_post(form: Mapping[str, str], field: str, max_bytes: int) -> Received:
    """Read `field` of an HTTP-POST form (base64 of the XML, no DEFLATE)."""
    value = form.get(field)
    if not value:
        raise XmlRefused("malformed", f"no {field} field")
    if len(value) > max_bytes * 4 // 3 + 4:
        raise XmlRefused("too_large", f"{field} exceeds the limit of {max_bytes} bytes")
    try:
        xml = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise XmlRefused("malformed", f"{field} is not base64") from None
    return Received(parse_xml(xml, max_bytes), BINDING_HTTP_POST, _relay_state(form.get("RelayState")))


def verify_redirect_signature(message: Received, certs: Sequence[x509.Certificate]) -> None:
    """Check a Redirect-binding signature with one of `certs`; raise SignatureRefused if not."""
    if message.signature is None or message.signed_octets is None:
        raise SignatureRefused("unsigned", "the request carries no signature")
    sig_alg = message.sig_alg or ""
    algorithm = SIG_ALGS.get(sig_alg)
    if algorithm is None:
        raise SignatureRefused("weak_algorithm", f"SigAlg {sig_alg!r} is not accepted")
    if not certs:
        raise SignatureRefused("untrusted_key", "no signing certificate in the metadata")
    for cert in certs:
        key = cert.public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey) and sig_alg.startswith(_DSIG_MORE + "rsa"):
                if key.key_size < 2048:
                    continue
                key.verify(message.signature, message.signed_octets, padding.PKCS1v15(), algorithm())
                return
            if isinstance(key, ec.EllipticCurvePublicKey) and "ecdsa" in sig_alg:
                key.verify(message.signature, message.signed_octets, ec.ECDSA(algorithm()))
                return
        except InvalidSignature:
            continue
    raise SignatureRefused("bad_signature", "the query-string signature does not verify")


def redirect_url(location: str, field: str, xml: bytes, relay_state: str | None,
                 keypair: KeyPair | None) -> str:
    """A Redirect-binding URL for `xml`, signed with RSA-SHA256 when a key pair is given."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(xml) + compressor.flush()
    query = f"{field}={_quote_b64(base64.b64encode(deflated))}"
    if relay_state:
        query += f"&RelayState={quote_plus(relay_state)}"
    if keypair is not None:
        query += f"&SigAlg={quote_plus(RSA_SHA256)}"
        signature = keypair.private_key.sign(query.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        query += f"&Signature={_quote_b64(base64.b64encode(signature))}"
    return location + ("&" if "?" in location else "?") + query


_B64_ESCAPES = {ord("+"): "%2B", ord("/"): "%2F", ord("="): "%3D"}


def _quote_b64(value: bytes) -> str:
    """`quote_plus` for base64 text, where only `+`, `/` and `=` need escaping; the general
    function walks a multi-kilobyte message byte by byte in Python."""
    return value.decode("ascii").translate(_B64_ESCAPES)


def post_form(location: str, field: str, xml: bytes, relay_state: str | None) -> str:
    """The auto-submitting HTML page of the HTTP-POST binding (works without JavaScript too)."""
    value = base64.b64encode(xml).decode("ascii")
    relay = (f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
             if relay_state else "")
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Doorsturen…</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{html.escape(location)}">
<input type="hidden" name="{field}" value="{value}">{relay}
<noscript><p>JavaScript staat uit. Klik op de knop om verder te gaan.</p></noscript>
<button type="submit">Verder</button>
</form></body></html>"""


def _relay_state(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_RELAY_STATE:
        raise XmlRefused("too_large", "RelayState is too long")
    return value or None
