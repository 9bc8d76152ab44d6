"""The attribute authority's Flask blueprint: GET /aa/metadata and POST /aa/soap.

Thin: bound the body, check the transport, hand the bytes to `AttributeAuthority`, return its
answer. Dependencies come in as arguments; nothing is read from the app's config.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, request
from sqlalchemy import Engine

from ..saml.replay import OneTimeStore
from ..saml.spmetadata import SpRegistry
from . import soap
from .authority import MAX_QUERY_BYTES, MAX_SKEW, VALIDITY, AttributeAuthority
from .keys import AaKeys
from .metadata import aa_metadata
from .nameids import NameIdResolver

SOAP_TYPE = "text/xml; charset=utf-8"
METADATA_TYPE = "application/samlmetadata+xml"


def create_blueprint(db: Engine, keys: AaKeys, registry: SpRegistry,
                     store: OneTimeStore, *, base_url: str, https_only: bool = False,
                     resolver: NameIdResolver | None = None, max_skew: timedelta = MAX_SKEW,
                     validity: timedelta = VALIDITY, max_query_bytes: int = MAX_QUERY_BYTES,
                     sign_response: bool = True) -> Blueprint:
    """The blueprint, mounted at /aa. `base_url` is BASE of DESIGN.md: the entityID is
    BASE/aa/metadata, the SOAP endpoint BASE/aa/soap. With `https_only` (production) a query
    that did not reach us over HTTPS gets 403; behind a proxy, the app must trust its
    X-Forwarded-Proto (werkzeug ProxyFix) for that to work."""
    base = base_url.rstrip("/")
    entity_id, soap_url = f"{base}/aa/metadata", f"{base}/aa/soap"
    authority = AttributeAuthority(
        db, keys, registry, store, entity_id=entity_id, soap_url=soap_url, resolver=resolver,
        max_skew=max_skew, validity=validity, max_bytes=max_query_bytes,
        sign_response=sign_response)
    metadata = aa_metadata(entity_id, soap_url, keys)
    bp = Blueprint("aa", __name__, url_prefix="/aa")

    @bp.get("/metadata")
    def metadata_view() -> Response:
        return Response(metadata, mimetype=METADATA_TYPE)

    @bp.post("/soap")
    def soap_view() -> Response:
        if https_only and request.scheme != "https":
            answer = authority.fault(soap.SoapFault(
                "https_only", "the attribute authority is reached over HTTPS only"), 403)
        elif (request.content_length or 0) > max_query_bytes:
            answer = authority.fault(soap.SoapFault(
                "too_large", f"a query is at most {max_query_bytes} bytes"), 413)
        else:
            answer = authority.answer(request.stream.read(max_query_bytes + 1))
        response = Response(answer.body, status=answer.http_status, content_type=SOAP_TYPE)
        if answer.http_status == 503:
            response.headers["Retry-After"] = "5"
        return response

    return bp
