"""What one application gets to see of the signed-in person (DESIGN.md's attribute table).

Rights are those of *this* application in *the session's* government, active today (Brussels
day), read from the rights store at the moment of sign-in. A citizen carries no rights.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from attribute_authority.clock import local_day
from attribute_authority.rights_query import active_rights
from samlkit.samlxml import ATTRIBUTE
from samlkit.spmetadata import PAIRWISE_ID, SUBJECT_ID

from ..pairwise import PairwiseNameIds
from ..person import EMPLOYEE, SignedInPerson


def release(session: Session, person: SignedInPerson, app_code: str,
            now: dt.datetime) -> list[tuple[str, list[str]]]:
    capacity = person.capacity
    assert capacity is not None, "attributes are released only in a chosen capacity"
    released = [
        ("rrn", [person.rrn]),
        ("surname", [person.surname]),
        ("givenName", [person.given_name]),
        ("authnMethod", [person.method]),
        ("capacity", [capacity.kind]),
    ]
    if capacity.kind == EMPLOYEE and capacity.government:
        released.append(("government", [capacity.government]))
        rights = active_rights(session, person.rrn, app_code, local_day(now), [capacity.government])
        released.append(("right", rights))
    return [(ATTRIBUTE + name, values) for name, values in released]


def subject_identifiers(name_ids: PairwiseNameIds, app_code: str, rrn: str, scope: str, *,
                        subject_id: bool) -> list[tuple[str, list[str]]]:
    """SAML V2.0 Subject Identifier Attributes: pairwise-id always, subject-id when the
    application's metadata asks for it (`SpMetadata.wants_subject_id`)."""
    released = [(PAIRWISE_ID, [name_ids.pairwise_id(app_code, rrn, scope)])]
    if subject_id:
        released.append((SUBJECT_ID, [name_ids.subject_id(rrn, scope)]))
    return released
