"""The claims an application gets, per granted scope (DESIGN.md's scope table), for the ID
token, userinfo and introspection alike. Rights are read live at each call (R8): those of
this application in the session's government, active today; a citizen carries none, as in
the SAML attribute release (`downstream/attributes.py`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from attribute_authority.clock import local_day
from attribute_authority.rights_query import active_rights

from ..pairwise import PairwiseNameIds
from ..person import EMPLOYEE, SignedInPerson

ACR = "urn:lb-idbeheer:acr:"
# RFC 8176 method references: the eID card is a smart card with a PIN; the federal token a
# list of one-time codes.
AMR = {"eid": ["sc", "pin"], "token": ["otp"]}


def acr_of(method: str) -> str:
    return ACR + method


def person_claims(db: Session | Connection, person: SignedInPerson, client_id: str, scopes: list[str],
                  sub: str, now: dt.datetime) -> dict[str, Any]:
    """Everything but the token's own (iss, aud, exp, iat, nonce)."""
    claims: dict[str, Any] = {"sub": sub, "acr": acr_of(person.method), "amr": AMR.get(person.method, []),
                              "auth_time": int(person.authn_instant.timestamp())}
    if "profile" in scopes:
        claims.update(given_name=person.given_name, family_name=person.surname)
    if "rrn" in scopes:
        claims["rrn"] = person.rrn
    capacity = person.capacity
    if "capacity" in scopes and capacity is not None:
        claims["capacity"] = capacity.kind
        if capacity.kind == EMPLOYEE and capacity.government:
            claims["government"] = capacity.government
    if "rights" in scopes:
        claims["rights"] = live_rights(db, person, client_id, now)
    return claims


def live_rights(db: Session | Connection, person: SignedInPerson, client_id: str,
                now: dt.datetime) -> list[str]:
    capacity = person.capacity
    if capacity is None or capacity.kind != EMPLOYEE or not capacity.government:
        return []
    return active_rights(db, person.rrn, client_id, local_day(now), [capacity.government])


def subject(name_ids: PairwiseNameIds, client_id: str, rrn: str) -> str:
    """Pairwise per application: the same value as the application's persistent SAML
    NameID, so an application that speaks both sees one identifier per person."""
    return name_ids.name_id(client_id, rrn)
