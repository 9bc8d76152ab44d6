"""Relations (R2, R3): a person's tie to one government, managed by that government's
administrators only."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, clock, governments, paging, people
from .audit import Change, snapshot
from .errors import InvalidInput, NotFound, RelationExists, RelationHasGrants
from .models import Grant, Person, Relation
from .states import active_or_pending

CATEGORIES = ("employee", "external")
TYPES = ("standard", "secretary")
_FIELDS = ("category", "type", "email", "phone", "note", "started_on", "ended_on", "end_reason")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ./()-]{6,30}$")


def validate(category: str, type_: str, email: str, phone: str | None) -> None:
    if category not in CATEGORIES:
        raise InvalidInput(detail="categorie moet 'employee' (personeel) of 'external' (extern) zijn",
                           detail_en="category must be 'employee' or 'external'")
    if type_ not in TYPES:
        raise InvalidInput(detail="type moet 'standard' of 'secretary' zijn",
                           detail_en="type must be 'standard' or 'secretary'")
    if not (email or "").strip():
        raise InvalidInput(detail="vul een e-mailadres in: daarop krijgt de persoon de "
                                  "verwittiging voor een recht vervalt",
                           detail_en="fill in an e-mail address: that is where the person is "
                                     "notified before a right expires")
    if not _EMAIL.match(email or ""):
        raise InvalidInput(detail=f"'{email}' is geen geldig e-mailadres",
                           detail_en=f"'{email}' is not a valid e-mail address")
    if phone and not _PHONE.match(phone):
        raise InvalidInput(detail=f"'{phone}' is geen geldig telefoonnummer",
                           detail_en=f"'{phone}' is not a valid phone number")


def open_relation(session: Session, person_id: int, government_id: int) -> Relation | None:
    return session.scalars(select(Relation).where(
        Relation.person_id == person_id, Relation.government_id == government_id,
        Relation.ended_on.is_(None))).first()


def add(session: Session, actor: authz.Actor, rrn: str, government_code: str, *,
        category: str, type: str, email: str, phone: str | None = None,
        note: str | None = None, on: date | None = None) -> Relation:
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    person = people.find(session, rrn)
    if person is None:
        raise NotFound(what="Persoon", what_en="Person", key=f"{rrn} (voeg de persoon eerst toe)",
                       key_en=f"{rrn} (add the person first)")
    email = (email or "").strip()
    validate(category, type, email, phone)
    if open_relation(session, person.id, government.id) is not None:
        raise RelationExists(person=person.full_name, government=government.name)
    relation = Relation(person=person, government=government, category=category, type=type,
                        email=email, phone=phone or None, note=note or None, started_on=on)
    session.add(relation)
    session.flush()
    audit.record(session, actor.rrn, Change("relation.added", "relation", relation.id,
                                            person_id=person.id, government_id=government.id,
                                            after=snapshot(relation, *_FIELDS)))
    return relation


def get(session: Session, actor: authz.Actor, relation_id: int, on: date | None = None) -> Relation:
    """A relation of one of the actor's governments; any other is NotFound."""
    on = on or clock.today()
    relation = session.get(Relation, relation_id)
    if relation is None or not authz.scope_of(session, actor, on).covers(relation.government_id):
        raise NotFound(what="Relatie", what_en="Relation", key=str(relation_id))
    return relation


def find_open(session: Session, actor: authz.Actor, rrn: str, government_code: str,
              on: date | None = None) -> Relation:
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    person = people.find(session, rrn)
    relation = open_relation(session, person.id, government.id) if person else None
    if relation is None:
        raise NotFound(what="Open relatie", what_en="Open relation", key=f"{rrn} @ {government_code}")
    return relation


def update(session: Session, actor: authz.Actor, relation_id: int, *, category: str,
           type: str, email: str, phone: str | None, note: str | None,
           on: date | None = None) -> Relation:
    on = on or clock.today()
    relation = get(session, actor, relation_id, on)
    authz.require_admin_of(session, actor, relation.government, on)
    if not relation.is_open:
        raise InvalidInput(detail="een beëindigde relatie kan niet meer gewijzigd worden",
                           detail_en="an ended relation can no longer be changed")
    email = (email or "").strip()
    validate(category, type, email, phone)
    before = snapshot(relation, *_FIELDS)
    relation.category, relation.type, relation.email = category, type, email
    relation.phone, relation.note = phone or None, note or None
    after = snapshot(relation, *_FIELDS)
    if after != before:
        audit.record(session, actor.rrn, Change("relation.changed", "relation", relation.id,
                                                person_id=relation.person_id,
                                                government_id=relation.government_id,
                                                before=before, after=after))
    return relation


def blocking_grants(session: Session, relation: Relation, on: date) -> int:
    """R3: the active or pending grants that keep a relation from ending."""
    return session.scalar(select(func.count(Grant.id)).where(
        Grant.relation_id == relation.id, active_or_pending(on))) or 0


def end(session: Session, actor: authz.Actor, rrn: str, government_code: str,
        reason: str | None = None, on: date | None = None) -> Relation:
    on = on or clock.today()
    relation = find_open(session, actor, rrn, government_code, on)
    count = blocking_grants(session, relation, on)
    if count:
        raise RelationHasGrants(count=count)
    before = snapshot(relation, *_FIELDS)
    relation.ended_on, relation.end_reason = on, reason
    audit.record(session, actor.rrn, Change("relation.ended", "relation", relation.id,
                                            person_id=relation.person_id,
                                            government_id=relation.government_id,
                                            before=before, after=snapshot(relation, *_FIELDS),
                                            reason=reason))
    return relation


def of_person(session: Session, actor: authz.Actor, person: Person,
              on: date | None = None) -> list[Relation]:
    """The person's relations the actor may see."""
    scope = authz.scope_of(session, actor, on or clock.today())
    stmt = select(Relation).where(Relation.person_id == person.id).order_by(Relation.started_on)
    if not scope.everything:
        stmt = stmt.where(Relation.government_id.in_(scope.government_ids))
    return list(session.scalars(stmt))


def of_government(session: Session, actor: authz.Actor, government_code: str,
                  on: date | None = None, page: int = 1,
                  size: int = paging.DEFAULT_SIZE) -> paging.Page[Relation]:
    """The open relations of a government, by name, for its administrators."""
    government = governments.administered(session, actor, government_code, on or clock.today())
    stmt = (select(Relation).join(Relation.person).options(contains_eager(Relation.person))
            .where(Relation.government_id == government.id, Relation.ended_on.is_(None))
            .order_by(Person.surname, Person.given_name, Relation.id))
    return paging.fetch(session, stmt, page, size)
