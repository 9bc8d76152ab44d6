"""The attribute authority's front door: GET /aa/metadata (a Flask blueprint) and POST
/aa/soap (a plain WSGI callable, `endpoint.SoapEndpoint`, which the blueprint serves too).

Thin: the endpoint bounds the body, checks the transport and hands the bytes to
`AttributeAuthority`. Dependencies come in as arguments; nothing is read from the app's config.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, Response
from sqlalchemy import Engine

from samlkit.replay import OneTimeStore
from samlkit.spmetadata import SpRegistry

from .authority import MAX_QUERY_BYTES, MAX_SKEW, VALIDITY, AttributeAuthority
from .endpoint import SOAP_TYPE, SoapEndpoint
from .keys import AaKeys
from .metadata import aa_metadata
from .nameids import NameIdResolver

__all__ = ["METADATA_TYPE", "SOAP_TYPE", "FrontDoor", "create_front_door"]

METADATA_TYPE = "application/samlmetadata+xml"


@dataclass(frozen=True)
class FrontDoor:
    """The blueprint (mounted at /aa: metadata and SOAP) and the SOAP endpoint alone, for a
    host that routes /aa/soap to it before its web framework (see idbeheer.app)."""

    blueprint: Blueprint
    soap: SoapEndpoint


def create_front_door(db: Engine, keys: AaKeys, registry: SpRegistry, store: OneTimeStore, *,
                      base_url: str, https_only: bool = False,
                      resolver: NameIdResolver | None = None, max_skew: timedelta = MAX_SKEW,
                      validity: timedelta = VALIDITY, max_query_bytes: int = MAX_QUERY_BYTES,
                      sign_response: bool = True) -> FrontDoor:
    """`base_url` is BASE of DESIGN.md: the entityID is BASE/aa/metadata, the SOAP endpoint
    BASE/aa/soap. `https_only` (production): see `SoapEndpoint`."""
    base = base_url.rstrip("/")
    entity_id, soap_url = f"{base}/aa/metadata", f"{base}/aa/soap"
    authority = AttributeAuthority(
        db, keys, registry, store, entity_id=entity_id, soap_url=soap_url, resolver=resolver,
        max_skew=max_skew, validity=validity, max_bytes=max_query_bytes,
        sign_response=sign_response)
    soap = SoapEndpoint(authority, max_bytes=max_query_bytes, https_only=https_only)
    bp = Blueprint("aa", __name__, url_prefix="/aa")

    @bp.get("/metadata")
    def metadata_view() -> Response:
        return Response(aa_metadata(entity_id, soap_url, keys, authority.now()),
                        mimetype=METADATA_TYPE)

    @bp.post("/soap")
    def soap_view():
        return soap  # Flask calls a returned WSGI application with this request's environ

    return FrontDoor(bp, soap)

