"""The bridge's answers to an application: a signed assertion, or an error status.

The Assertion is signed (our key, RSA-SHA256, exclusive c14n) with Audience = the
application's entityID, Recipient and Destination = its ACS URL, InResponseTo = its request,
and the pairwise NameID in the Format the request asked for (persistent or transient). The
Response itself is not signed: the Assertion carries the proof, as the contract asks.
"""
from __future__ import annotations

import datetime as dt

from samlkit.keys import KeyPair
from samlkit.samlxml import (
    ATTRNAME_URI,
    NAMEID_PERSISTENT,
    SUCCESS,
    bearer_assertion,
    name_id,
    response,
    status,
    to_bytes,
)
from samlkit.xmlsig import sign

from .requests import SamlRequest


def success(pending: SamlRequest, *, issuer: str, keypair: KeyPair, now: dt.datetime,
            validity: dt.timedelta, name_id_value: str, authn_instant: dt.datetime,
            class_ref: str, attributes: list[tuple[str, list[str]]],
            name_id_format: str = NAMEID_PERSISTENT) -> tuple[bytes, str]:
    """(the Response, the SessionIndex it carries)."""
    root = response(issuer=issuer, destination=pending.acs_url, in_response_to=pending.request_id,
                    now=now)
    status(root, SUCCESS)
    assertion = bearer_assertion(
        root, issuer=issuer,
        name_id=name_id(name_id_value, name_id_format, NameQualifier=issuer,
                        SPNameQualifier=pending.sp_entity_id),
        recipient=pending.acs_url, in_response_to=pending.request_id,
        audience=pending.sp_entity_id, now=now, validity=validity, authn_instant=authn_instant,
        class_ref=class_ref, attributes=attributes, name_format=ATTRNAME_URI)
    sign(assertion, keypair)
    session_index = assertion.find("{*}AuthnStatement").get("SessionIndex")
    return to_bytes(root), session_index


def failure(pending: SamlRequest, *, issuer: str, now: dt.datetime, code: str,
            sub_code: str | None, message: str | None) -> bytes:
    root = response(issuer=issuer, destination=pending.acs_url, in_response_to=pending.request_id,
                    now=now)
    status(root, code, sub_code, message)
    return to_bytes(root)
