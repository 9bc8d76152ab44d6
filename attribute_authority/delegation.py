"""R9: the local administrator role is the time-limited right `idbeheer-local-admin`.

A central administrator appoints the first one (the secretary or provincial griffier recorded
in the government's registration) and restores one when none is left; after that, any local
administrator may grant the right to others of the same government through `grants.add`.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import authz, catalog, clock, governments, grants, relations
from .errors import LocalAdminStillPresent, NotFound
from .models import Grant, Person, Relation, Right
from .states import active_on


def active_local_admins(session: Session, government_id: int, on: date) -> list[Person]:
    return list(session.scalars(
        select(Person).join(Relation, Relation.person_id == Person.id)
        .join(Grant, Grant.relation_id == Relation.id).join(Right, Right.id == Grant.right_id)
        .where(Relation.government_id == government_id, Relation.ended_on.is_(None),
               Right.code == authz.LOCAL_ADMIN_RIGHT, active_on(on))
        .order_by(Person.surname)))


def local_admin_grants(session: Session, government_id: int, on: date) -> list[Grant]:
    """The government's active local-administrator grants (R9), with their end dates."""
    return list(session.scalars(
        select(Grant).join(Relation, Relation.id == Grant.relation_id)
        .join(Right, Right.id == Grant.right_id)
        .where(Relation.government_id == government_id, Relation.ended_on.is_(None),
               Right.code == authz.LOCAL_ADMIN_RIGHT, active_on(on))
        .order_by(Grant.end)))


def appoint_local_admin(session: Session, actor: authz.Actor, government_code: str, *,
                        rrn: str | None = None, email: str | None = None,
                        phone: str | None = None, reason: str | None = None,
                        on: date | None = None) -> Grant:
    """Appoint (first time) or restore (none left) a local administrator, as a central
    administrator. Without `rrn`, the registered secretary is appointed. A missing relation
    is created in the same transaction (type secretary for the secretary)."""
    on = on or clock.today()
    authz.require_central(session, actor, on)
    government = governments.by_code(session, government_code)
    if incomplete := governments.registration_incomplete(government):
        raise incomplete
    if active_local_admins(session, government.id, on):
        raise LocalAdminStillPresent(government=government.name)
    person = (session.scalars(select(Person).where(Person.rrn == rrn)).first()
              if rrn else government.secretary)
    if person is None:
        raise NotFound(what="Persoon", what_en="Person", key=rrn or "algemeen directeur",
                       key_en=rrn or "general director")
    relation = relations.open_relation(session, person.id, government.id)
    if relation is None:
        is_secretary = person.id == government.secretary_person_id
        relation = relations.add(session, actor, person.rrn, government.code, category="employee",
                                 type="secretary" if is_secretary else "standard",
                                 email=email or "", phone=phone, on=on)
    right = catalog.right_by_code(session, authz.LOCAL_ADMIN_RIGHT)
    return grants.add(session, actor, person.rrn, government.code, right.code,
                      reason=reason or "aanstelling eerste lokale beheerder", on=on)



def local_admins_of(session: Session, actor: authz.Actor, government_code: str,
                    on: date | None = None) -> list[Person]:
    """The active local administrators of a government, for its administrators."""
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    return active_local_admins(session, government.id, on)


def local_admin_grants_of(session: Session, actor: authz.Actor, government_code: str,
                          on: date | None = None) -> list[Grant]:
    """`local_admin_grants` for the government's administrators (delegation page)."""
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    return local_admin_grants(session, government.id, on)
