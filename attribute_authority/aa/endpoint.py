"""POST /aa/soap as a plain WSGI application.

The AttributeQuery is the one hot path of the service: answered by a callable that does only
what the endpoint needs (method, transport, size, then `AttributeAuthority.answer`), with no
web framework per request. The composition root routes /aa/soap here before the all-in-one
Flask app and wraps it with the same request id, access line and metrics as every view.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from . import soap
from .authority import Answer, AttributeAuthority

SOAP_TYPE = "text/xml; charset=utf-8"
_STATUS = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden",
           405: "405 Method Not Allowed", 413: "413 Content Too Large",
           415: "415 Unsupported Media Type", 503: "503 Service Unavailable"}
# SOAP 1.1's text/xml, and SOAP 1.2's type, which some SOAP stacks send for any envelope
# (the envelope's version is checked in soap.py); parameters such as charset may follow.
SOAP_MEDIA_TYPES = frozenset({"text/xml", "application/soap+xml"})

_USE_POST = b"AttributeQueries are POSTed (SAML SOAP binding)\n"

StartResponse = Callable[..., object]


class SoapEndpoint:
    """The SAML SOAP binding's endpoint. With `https_only` (production) a query that did not
    reach us over HTTPS gets 403; a body that is not declared XML (`SOAP_MEDIA_TYPES`) 415;
    behind a proxy, put a trusted-proxy fix (werkzeug ProxyFix) outside this callable so that
    wsgi.url_scheme is the client's. A body announced larger
    than `max_bytes` gets 413 before a byte of it is read."""

    def __init__(self, authority: AttributeAuthority, *, max_bytes: int,
                 https_only: bool = False) -> None:
        self.authority, self.max_bytes, self.https_only = authority, max_bytes, https_only

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            start_response(_STATUS[405], [("Allow", "POST"), ("Content-Type", "text/plain"),
                                          ("Content-Length", str(len(_USE_POST)))])
            return [_USE_POST]
        answer = self._answer(environ)
        headers = [("Content-Type", SOAP_TYPE), ("Content-Length", str(len(answer.body)))]
        if answer.http_status == 503:
            headers.append(("Retry-After", "5"))
        start_response(_STATUS[answer.http_status], headers)
        return [answer.body]

    def _answer(self, environ: dict) -> Answer:
        if self.https_only and environ.get("wsgi.url_scheme") != "https":
            return self.authority.fault(soap.SoapFault(
                "https_only", "the attribute authority is reached over HTTPS only"), 403)
        media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if media_type not in SOAP_MEDIA_TYPES:
            return self.authority.fault(soap.SoapFault(
                "unsupported_media_type", "a query is sent as text/xml (SOAP 1.1)"), 415)
        length = _content_length(environ)
        if length is not None and length > self.max_bytes:
            return self.authority.fault(soap.SoapFault(
                "too_large", f"a query is at most {self.max_bytes} bytes"), 413)
        return self.authority.answer(_read_body(environ, length, self.max_bytes + 1))


def _content_length(environ: dict) -> int | None:
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or ""))
    except ValueError:
        return None


def _read_body(environ: dict, length: int | None, limit: int) -> bytes:
    """At most `limit` bytes: Content-Length's worth, or up to `limit` of a chunked body the
    server has de-chunked (wsgi.input_terminated); no length and no such promise: nothing,
    as PEP 3333 allows a server to block on reading past the body otherwise."""
    stream = environ["wsgi.input"]
    if length is not None:
        return stream.read(min(length, limit))
    if environ.get("wsgi.input_terminated"):
        return stream.read(limit)
    return b""
